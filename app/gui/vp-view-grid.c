/* The central view area: a GtkGrid of four panes, 2 x 2 and homogeneous, or
 * the first pane alone. The other panes are hidden, not destroyed, so they
 * keep their types (and hidden fluoroscopy views compute nothing). */
#include "vp-view-grid.h"

#include <glib/gi18n.h>

#define GRID_SPACING_PX 4

struct _VpViewGrid {
  GtkWidget parent_instance;

  GtkWidget *grid;
  VpViewPane *panes[VP_VIEW_GRID_PANES];
  VpViewLayout layout;
};

enum { PROP_0, PROP_LAYOUT, N_PROPS };
static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE(VpViewGrid, vp_view_grid, GTK_TYPE_WIDGET)

static const VpViewType default_types[VP_VIEW_GRID_PANES] = {
    VP_VIEW_TYPE_3D,
    VP_VIEW_TYPE_AXIAL,
    VP_VIEW_TYPE_SAGITTAL,
    VP_VIEW_TYPE_FLUORO_AP,
};

const char *vp_view_layout_to_string(VpViewLayout layout)
{
  switch (layout) {
  case VP_VIEW_LAYOUT_SINGLE:
    return "single";
  case VP_VIEW_LAYOUT_GRID:
    return "grid";
  default:
    return NULL;
  }
}

gboolean vp_view_layout_from_string(const char *name, VpViewLayout *out)
{
  VpViewLayout layout;
  if (g_strcmp0(name, "single") == 0)
    layout = VP_VIEW_LAYOUT_SINGLE;
  else if (g_strcmp0(name, "grid") == 0)
    layout = VP_VIEW_LAYOUT_GRID;
  else
    return FALSE;
  if (out)
    *out = layout;
  return TRUE;
}

static void apply_layout(VpViewGrid *self)
{
  gboolean grid = self->layout == VP_VIEW_LAYOUT_GRID;
  /* Homogeneous rows and columns would keep room for the hidden panes. */
  gtk_grid_set_row_homogeneous(GTK_GRID(self->grid), grid);
  gtk_grid_set_column_homogeneous(GTK_GRID(self->grid), grid);
  for (guint i = 1; i < VP_VIEW_GRID_PANES; i++)
    if (self->panes[i])
      gtk_widget_set_visible(GTK_WIDGET(self->panes[i]), grid);
}

GtkWidget *vp_view_grid_new(VpViewContext *context)
{
  g_return_val_if_fail(VP_IS_VIEW_CONTEXT(context), NULL);
  VpViewGrid *self = g_object_new(VP_TYPE_VIEW_GRID, NULL);
  for (guint i = 0; i < VP_VIEW_GRID_PANES; i++) {
    self->panes[i] = VP_VIEW_PANE(vp_view_pane_new(context, default_types[i]));
    gtk_grid_attach(GTK_GRID(self->grid), GTK_WIDGET(self->panes[i]), (int)(i % 2),
                    (int)(i / 2), 1, 1);
  }
  apply_layout(self);
  return GTK_WIDGET(self);
}

VpViewLayout vp_view_grid_get_layout(VpViewGrid *self)
{
  g_return_val_if_fail(VP_IS_VIEW_GRID(self), VP_VIEW_LAYOUT_GRID);
  return self->layout;
}

void vp_view_grid_set_layout(VpViewGrid *self, VpViewLayout layout)
{
  g_return_if_fail(VP_IS_VIEW_GRID(self));
  g_return_if_fail(layout == VP_VIEW_LAYOUT_SINGLE || layout == VP_VIEW_LAYOUT_GRID);
  if (self->layout == layout)
    return;
  self->layout = layout;
  apply_layout(self);
  g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_LAYOUT]);
}

VpViewPane *vp_view_grid_get_pane(VpViewGrid *self, guint index)
{
  g_return_val_if_fail(VP_IS_VIEW_GRID(self), NULL);
  g_return_val_if_fail(index < VP_VIEW_GRID_PANES, NULL);
  return self->panes[index];
}

/* Panes the layout shows come first: the 3D actions act on what the user sees. */
VpView3d *vp_view_grid_find_view3d(VpViewGrid *self)
{
  g_return_val_if_fail(VP_IS_VIEW_GRID(self), NULL);
  VpView3d *hidden = NULL;
  for (guint i = 0; i < VP_VIEW_GRID_PANES; i++) {
    VpViewPane *pane = self->panes[i];
    if (!pane || vp_view_pane_get_view_type(pane) != VP_VIEW_TYPE_3D)
      continue;
    VpView3d *view = VP_VIEW3D(vp_view_pane_get_view(pane));
    if (gtk_widget_get_visible(GTK_WIDGET(pane)))
      return view;
    if (!hidden)
      hidden = view;
  }
  return hidden;
}

/* ---- GObject ---- */

static void vp_view_grid_get_property(GObject *object, guint prop_id, GValue *value,
                                      GParamSpec *pspec)
{
  VpViewGrid *self = VP_VIEW_GRID(object);
  switch (prop_id) {
  case PROP_LAYOUT:
    g_value_set_int(value, self->layout);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
  }
}

static void vp_view_grid_set_property(GObject *object, guint prop_id, const GValue *value,
                                      GParamSpec *pspec)
{
  VpViewGrid *self = VP_VIEW_GRID(object);
  switch (prop_id) {
  case PROP_LAYOUT:
    vp_view_grid_set_layout(self, (VpViewLayout)g_value_get_int(value));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
  }
}

static void vp_view_grid_dispose(GObject *object)
{
  VpViewGrid *self = VP_VIEW_GRID(object);
  for (guint i = 0; i < VP_VIEW_GRID_PANES; i++)
    self->panes[i] = NULL; /* owned by the grid */
  g_clear_pointer(&self->grid, gtk_widget_unparent);
  G_OBJECT_CLASS(vp_view_grid_parent_class)->dispose(object);
}

static void vp_view_grid_class_init(VpViewGridClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
  object_class->dispose = vp_view_grid_dispose;
  object_class->get_property = vp_view_grid_get_property;
  object_class->set_property = vp_view_grid_set_property;

  properties[PROP_LAYOUT] =
      g_param_spec_int("layout", NULL, NULL, VP_VIEW_LAYOUT_SINGLE, VP_VIEW_LAYOUT_GRID,
                       VP_VIEW_LAYOUT_GRID,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties(object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type(widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name(widget_class, "viewgrid");
}

static void vp_view_grid_init(VpViewGrid *self)
{
  self->layout = VP_VIEW_LAYOUT_GRID;
  self->grid = gtk_grid_new();
  gtk_grid_set_row_spacing(GTK_GRID(self->grid), GRID_SPACING_PX);
  gtk_grid_set_column_spacing(GTK_GRID(self->grid), GRID_SPACING_PX);
  gtk_widget_set_hexpand(self->grid, TRUE);
  gtk_widget_set_vexpand(self->grid, TRUE);
  gtk_widget_set_parent(self->grid, GTK_WIDGET(self));
  gtk_widget_set_hexpand(GTK_WIDGET(self), TRUE);
  gtk_widget_set_vexpand(GTK_WIDGET(self), TRUE);
}
