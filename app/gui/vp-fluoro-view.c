/* Placeholder: being written. */
#include "vp-fluoro-view.h"

struct _VpFluoroView { GtkWidget parent_instance; };
G_DEFINE_FINAL_TYPE(VpFluoroView, vp_fluoro_view, GTK_TYPE_WIDGET)
static void vp_fluoro_view_class_init(VpFluoroViewClass *klass) {}
static void vp_fluoro_view_init(VpFluoroView *self) {}

GtkWidget *vp_fluoro_view_new(VpViewContext *context, VpDrrProjection projection)
{
  return g_object_new(VP_TYPE_FLUORO_VIEW, NULL);
}

VpDrrProjection vp_fluoro_view_get_projection(VpFluoroView *self)
{
  return 0;
}

void vp_fluoro_view_set_projection(VpFluoroView *self, VpDrrProjection projection)
{
  
}

const VpDrrView *vp_fluoro_view_get_view(VpFluoroView *self)
{
  return NULL;
}

gboolean vp_fluoro_view_is_ready(VpFluoroView *self)
{
  return 0;
}

gboolean vp_fluoro_view_is_preview(VpFluoroView *self)
{
  return 0;
}

void vp_fluoro_view_drag_begin(VpFluoroView *self)
{
  
}

void vp_fluoro_view_drag_update(VpFluoroView *self, double dx, double dy)
{
  
}

void vp_fluoro_view_drag_end(VpFluoroView *self)
{
  
}

double vp_fluoro_view_get_last_compute_ms(VpFluoroView *self, gboolean preview)
{
  return 0;
}
