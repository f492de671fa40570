/* Placeholder: being written. */
#include "vp-view-grid.h"

struct _VpViewGrid { GtkWidget parent_instance; };
G_DEFINE_FINAL_TYPE(VpViewGrid, vp_view_grid, GTK_TYPE_WIDGET)
static void vp_view_grid_class_init(VpViewGridClass *klass) {}
static void vp_view_grid_init(VpViewGrid *self) {}

GtkWidget *vp_view_grid_new(VpViewContext *context)
{
  return g_object_new(VP_TYPE_VIEW_GRID, NULL);
}

VpViewLayout vp_view_grid_get_layout(VpViewGrid *self)
{
  return 0;
}

void vp_view_grid_set_layout(VpViewGrid *self, VpViewLayout layout)
{
  
}

const char *vp_view_layout_to_string(VpViewLayout layout)
{
  return NULL;
}

gboolean vp_view_layout_from_string(const char *name, VpViewLayout *out)
{
  return 0;
}

VpViewPane *vp_view_grid_get_pane(VpViewGrid *self, guint index)
{
  return NULL;
}

VpView3d *vp_view_grid_find_view3d(VpViewGrid *self)
{
  return NULL;
}
