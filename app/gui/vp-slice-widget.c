/* Placeholder: being written. */
#include "vp-slice-widget.h"

struct _VpSliceWidget { GtkWidget parent_instance; };
G_DEFINE_FINAL_TYPE(VpSliceWidget, vp_slice_widget, GTK_TYPE_WIDGET)
static void vp_slice_widget_class_init(VpSliceWidgetClass *klass) {}
static void vp_slice_widget_init(VpSliceWidget *self) {}

GtkWidget *vp_slice_widget_new(VpViewContext *context, VpSliceOrientation orientation)
{
  return g_object_new(VP_TYPE_SLICE_WIDGET, NULL);
}

VpSliceOrientation vp_slice_widget_get_orientation(VpSliceWidget *self)
{
  return 0;
}

void vp_slice_widget_set_orientation(VpSliceWidget *self, VpSliceOrientation orientation)
{
  
}

const VpSliceView *vp_slice_widget_get_view(VpSliceWidget *self)
{
  return NULL;
}

double vp_slice_widget_get_offset_mm(VpSliceWidget *self)
{
  return 0;
}

void vp_slice_widget_scroll_slices(VpSliceWidget *self, int steps)
{
  
}

void vp_slice_widget_zoom_at(VpSliceWidget *self, double factor, double x, double y)
{
  
}

void vp_slice_widget_pan(VpSliceWidget *self, double dx, double dy)
{
  
}

void vp_slice_widget_click(VpSliceWidget *self, double x, double y)
{
  
}

void vp_slice_widget_adjust_window_level(VpSliceWidget *self, double dx, double dy)
{
  
}

VpVec3 vp_slice_widget_point_at(VpSliceWidget *self, double x, double y)
{
  return (VpVec3){0};
}

double vp_slice_widget_get_last_frame_ms(VpSliceWidget *self)
{
  return 0;
}
