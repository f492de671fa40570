/* Placeholder: being written. */
#include "vp-view-context.h"

struct _VpViewContext { GObject parent_instance; };
G_DEFINE_FINAL_TYPE(VpViewContext, vp_view_context, G_TYPE_OBJECT)
static void vp_view_context_class_init(VpViewContextClass *klass) {}
static void vp_view_context_init(VpViewContext *self) {}

VpViewContext *vp_view_context_new(void)
{
  return g_object_new(VP_TYPE_VIEW_CONTEXT, NULL);
}

void vp_view_context_set_case(VpViewContext *self, const VpCase *c, VpBox3 bounds)
{
  
}

const VpCase *vp_view_context_get_case(VpViewContext *self)
{
  return NULL;
}

VpBox3 vp_view_context_get_bounds(VpViewContext *self)
{
  return (VpBox3){0};
}

void vp_view_context_set_frame(VpViewContext *self, const VpViewFrame *frame)
{
  
}

const VpViewFrame *vp_view_context_get_frame(VpViewContext *self)
{
  return NULL;
}

void vp_view_context_set_crosshair(VpViewContext *self, VpVec3 point_mm)
{
  
}

VpVec3 vp_view_context_get_crosshair(VpViewContext *self)
{
  return (VpVec3){0};
}

void vp_view_context_set_window_level(VpViewContext *self, VpWindowLevel wl)
{
  
}

VpWindowLevel vp_view_context_get_window_level(VpViewContext *self)
{
  return (VpWindowLevel){0};
}

void vp_view_context_set_measurements(VpViewContext *self, const VpPlanMeasurement *items, gsize count)
{
  
}

const VpPlanMeasurement *vp_view_context_get_measurements(VpViewContext *self, gsize *count)
{
  return NULL;
}

void vp_view_context_create_measurement(VpViewContext *self, const VpPlanMeasurement *m)
{
  
}

void vp_view_context_set_tool(VpViewContext *self, VpMeasureTool tool)
{
  
}

VpMeasureTool vp_view_context_get_tool(VpViewContext *self)
{
  return 0;
}

void vp_view_context_set_oblique_line(VpViewContext *self, VpVec3 a_mm, VpVec3 b_mm)
{
  
}

void vp_view_context_get_oblique_line(VpViewContext *self, VpVec3 *a_mm, VpVec3 *b_mm)
{
  
}

void vp_view_context_set_presentation(VpViewContext *self, gboolean presentation)
{
  
}

gboolean vp_view_context_get_presentation(VpViewContext *self)
{
  return 0;
}

void vp_view_context_get_style(VpViewContext *self, VpSliceStyle *style)
{
  
}

const VpVolume *vp_view_context_get_fluoro_volume(VpViewContext *self)
{
  return NULL;
}

const char *vp_view_context_get_fluoro_error(VpViewContext *self)
{
  return NULL;
}

gboolean vp_view_context_is_fluoro_volume_pending(VpViewContext *self)
{
  return 0;
}
