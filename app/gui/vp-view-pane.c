/* Placeholder: being written. */
#include "vp-view-pane.h"

struct _VpViewPane { GtkWidget parent_instance; };
G_DEFINE_FINAL_TYPE(VpViewPane, vp_view_pane, GTK_TYPE_WIDGET)
static void vp_view_pane_class_init(VpViewPaneClass *klass) {}
static void vp_view_pane_init(VpViewPane *self) {}

const char *vp_view_type_to_string(VpViewType type)
{
  return NULL;
}

gboolean vp_view_type_from_string(const char *name, VpViewType *out)
{
  return 0;
}

const char *vp_view_type_display_name(VpViewType type)
{
  return NULL;
}

GtkWidget *vp_view_pane_new(VpViewContext *context, VpViewType type)
{
  return g_object_new(VP_TYPE_VIEW_PANE, NULL);
}

VpViewType vp_view_pane_get_view_type(VpViewPane *self)
{
  return 0;
}

void vp_view_pane_set_view_type(VpViewPane *self, VpViewType type)
{
  
}

GtkWidget *vp_view_pane_get_view(VpViewPane *self)
{
  return NULL;
}
