/* One pane of the view area: a thin bar with a drop-down of the view types
 * above the view widget of the type chosen, made anew when the type changes.
 * The pane gives the 3D view its mesh and the anatomy overlay, since
 * VpView3d knows no context. */
#include "vp-view-pane.h"

#include <glib/gi18n.h>

#include "vp-anatomy-overlay.h"
#include "vp-fluoro-view.h"
#include "vp-slice-widget.h"

struct _VpViewPane {
  GtkWidget parent_instance;

  VpViewContext *context;
  gulong case_changed_handler;
  gulong anatomy_changed_handler;
  VpViewType type;
  GtkWidget *header;
  GtkWidget *dropdown;
  GtkWidget *view;
};

enum { PROP_0, PROP_VIEW_TYPE, N_PROPS };
static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE(VpViewPane, vp_view_pane, GTK_TYPE_WIDGET)

static const struct {
  const char *id;
  const char *name; /* translated when shown */
} view_types[VP_VIEW_TYPE_COUNT] = {
    [VP_VIEW_TYPE_3D] = {"3d", N_("3D")},
    [VP_VIEW_TYPE_AXIAL] = {"axial", N_("Axial")},
    [VP_VIEW_TYPE_SAGITTAL] = {"sagittal", N_("Sagittal")},
    [VP_VIEW_TYPE_CORONAL] = {"coronal", N_("Coronal")},
    [VP_VIEW_TYPE_OBLIQUE] = {"oblique", N_("Oblique")},
    [VP_VIEW_TYPE_FLUORO_AP] = {"fluoro-ap", N_("Fluoroscopy AP")},
    [VP_VIEW_TYPE_FLUORO_LATERAL] = {"fluoro-lateral", N_("Fluoroscopy Lateral")},
};

static gboolean type_is_valid(VpViewType type)
{
  return (int)type >= 0 && type < VP_VIEW_TYPE_COUNT;
}

const char *vp_view_type_to_string(VpViewType type)
{
  return type_is_valid(type) ? view_types[type].id : NULL;
}

gboolean vp_view_type_from_string(const char *name, VpViewType *out)
{
  for (int i = 0; name && i < VP_VIEW_TYPE_COUNT; i++) {
    if (g_str_equal(name, view_types[i].id)) {
      if (out)
        *out = (VpViewType)i;
      return TRUE;
    }
  }
  return FALSE;
}

const char *vp_view_type_display_name(VpViewType type)
{
  return type_is_valid(type) ? _(view_types[type].name) : NULL;
}

/* ---- The view widget ---- */

static void give_view3d_the_case(VpViewPane *self)
{
  if (!VP_IS_VIEW3D(self->view))
    return;
  const VpCase *c = vp_view_context_get_case(self->context);
  VpView3d *view = VP_VIEW3D(self->view);
  vp_view3d_set_mesh(view, c ? c->surface : NULL);
  if (c)
    vp_view3d_set_scene_bounds(view, vp_view_context_get_bounds(self->context));
}

static void on_case_changed(VpViewContext *context, VpViewPane *self)
{
  give_view3d_the_case(self);
}

/* The Anatomy step's frame axes and isthmus markers over the 3D view. */
static void draw_view3d_overlay(cairo_t *cr, const VpCamera *camera, int width, int height,
                                gpointer user_data)
{
  VpViewPane *self = user_data;
  if (!self->context || !vp_view_context_get_anatomy_shown(self->context))
    return;
  const VpAnatomy *anatomy = vp_view_context_get_anatomy(self->context);
  if (!anatomy)
    return;
  VpSliceStyle style;
  vp_view_context_get_style(self->context, &style);
  vp_anatomy_overlay_draw_3d(cr, camera, width, height, anatomy,
                             vp_view_context_get_show_frame_axes(self->context), &style);
}

static void on_anatomy_changed(VpViewContext *context, VpViewPane *self)
{
  (void)context;
  if (VP_IS_VIEW3D(self->view))
    gtk_widget_queue_draw(self->view);
}

static GtkWidget *new_view(VpViewPane *self, VpViewType type)
{
  switch (type) {
  case VP_VIEW_TYPE_AXIAL:
    return vp_slice_widget_new(self->context, VP_SLICE_AXIAL);
  case VP_VIEW_TYPE_SAGITTAL:
    return vp_slice_widget_new(self->context, VP_SLICE_SAGITTAL);
  case VP_VIEW_TYPE_CORONAL:
    return vp_slice_widget_new(self->context, VP_SLICE_CORONAL);
  case VP_VIEW_TYPE_OBLIQUE:
    return vp_slice_widget_new(self->context, VP_SLICE_OBLIQUE);
  case VP_VIEW_TYPE_FLUORO_AP:
    return vp_fluoro_view_new(self->context, VP_DRR_AP);
  case VP_VIEW_TYPE_FLUORO_LATERAL:
    return vp_fluoro_view_new(self->context, VP_DRR_LATERAL);
  case VP_VIEW_TYPE_3D:
  case VP_VIEW_TYPE_COUNT:
  default:
    return vp_view3d_new();
  }
}

static void replace_view(VpViewPane *self)
{
  g_clear_pointer(&self->view, gtk_widget_unparent);
  self->view = new_view(self, self->type);
  gtk_widget_set_hexpand(self->view, TRUE);
  gtk_widget_set_vexpand(self->view, TRUE);
  gtk_widget_insert_after(self->view, GTK_WIDGET(self), self->header);
  if (VP_IS_VIEW3D(self->view))
    vp_view3d_set_overlay(VP_VIEW3D(self->view), draw_view3d_overlay, self);
  give_view3d_the_case(self);
}

/* ---- The header ---- */

static void on_dropdown_selected(GObject *dropdown, GParamSpec *pspec, VpViewPane *self)
{
  guint selected = gtk_drop_down_get_selected(GTK_DROP_DOWN(dropdown));
  if (selected < VP_VIEW_TYPE_COUNT)
    vp_view_pane_set_view_type(self, (VpViewType)selected);
}

static GtkWidget *new_header(VpViewPane *self)
{
  const char *names[VP_VIEW_TYPE_COUNT + 1] = {NULL};
  for (int i = 0; i < VP_VIEW_TYPE_COUNT; i++)
    names[i] = vp_view_type_display_name((VpViewType)i);
  GtkWidget *header = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_widget_add_css_class(header, "vp-view-pane-header");
  self->dropdown = gtk_drop_down_new_from_strings(names);
  gtk_widget_add_css_class(self->dropdown, "flat");
  gtk_widget_set_tooltip_text(self->dropdown, _("What this pane shows"));
  gtk_accessible_update_property(GTK_ACCESSIBLE(self->dropdown), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                 _("View type"), -1);
  gtk_box_append(GTK_BOX(header), self->dropdown);
  return header;
}

/* ---- Public API ---- */

GtkWidget *vp_view_pane_new(VpViewContext *context, VpViewType type)
{
  g_return_val_if_fail(VP_IS_VIEW_CONTEXT(context), NULL);
  g_return_val_if_fail(type_is_valid(type), NULL);
  VpViewPane *self = g_object_new(VP_TYPE_VIEW_PANE, NULL);
  self->context = g_object_ref(context);
  self->case_changed_handler =
      g_signal_connect(context, "case-changed", G_CALLBACK(on_case_changed), self);
  self->anatomy_changed_handler =
      g_signal_connect(context, "anatomy-changed", G_CALLBACK(on_anatomy_changed), self);
  self->type = type;
  gtk_drop_down_set_selected(GTK_DROP_DOWN(self->dropdown), type);
  g_signal_connect(self->dropdown, "notify::selected", G_CALLBACK(on_dropdown_selected), self);
  replace_view(self);
  return GTK_WIDGET(self);
}

VpViewType vp_view_pane_get_view_type(VpViewPane *self)
{
  g_return_val_if_fail(VP_IS_VIEW_PANE(self), VP_VIEW_TYPE_3D);
  return self->type;
}

void vp_view_pane_set_view_type(VpViewPane *self, VpViewType type)
{
  g_return_if_fail(VP_IS_VIEW_PANE(self));
  g_return_if_fail(type_is_valid(type));
  if (type == self->type && self->view)
    return;
  self->type = type;
  if (gtk_drop_down_get_selected(GTK_DROP_DOWN(self->dropdown)) != (guint)type)
    gtk_drop_down_set_selected(GTK_DROP_DOWN(self->dropdown), type); /* comes back here: no-op */
  if (self->context)
    replace_view(self);
  g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_VIEW_TYPE]);
}

GtkWidget *vp_view_pane_get_view(VpViewPane *self)
{
  g_return_val_if_fail(VP_IS_VIEW_PANE(self), NULL);
  return self->view;
}

/* ---- GObject ---- */

static void vp_view_pane_get_property(GObject *object, guint prop_id, GValue *value,
                                      GParamSpec *pspec)
{
  VpViewPane *self = VP_VIEW_PANE(object);
  switch (prop_id) {
  case PROP_VIEW_TYPE:
    g_value_set_int(value, self->type);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
  }
}

static void vp_view_pane_set_property(GObject *object, guint prop_id, const GValue *value,
                                      GParamSpec *pspec)
{
  VpViewPane *self = VP_VIEW_PANE(object);
  switch (prop_id) {
  case PROP_VIEW_TYPE:
    vp_view_pane_set_view_type(self, (VpViewType)g_value_get_int(value));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
  }
}

static void vp_view_pane_dispose(GObject *object)
{
  VpViewPane *self = VP_VIEW_PANE(object);
  g_clear_pointer(&self->view, gtk_widget_unparent);
  g_clear_pointer(&self->header, gtk_widget_unparent);
  self->dropdown = NULL;
  if (self->context) {
    g_clear_signal_handler(&self->case_changed_handler, self->context);
    g_clear_signal_handler(&self->anatomy_changed_handler, self->context);
    g_clear_object(&self->context);
  }
  G_OBJECT_CLASS(vp_view_pane_parent_class)->dispose(object);
}

static void vp_view_pane_class_init(VpViewPaneClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
  object_class->dispose = vp_view_pane_dispose;
  object_class->get_property = vp_view_pane_get_property;
  object_class->set_property = vp_view_pane_set_property;

  properties[PROP_VIEW_TYPE] =
      g_param_spec_int("view-type", NULL, NULL, 0, VP_VIEW_TYPE_COUNT - 1, VP_VIEW_TYPE_3D,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties(object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type(widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name(widget_class, "viewpane");
}

static void vp_view_pane_init(VpViewPane *self)
{
  GtkLayoutManager *layout = gtk_widget_get_layout_manager(GTK_WIDGET(self));
  gtk_orientable_set_orientation(GTK_ORIENTABLE(layout), GTK_ORIENTATION_VERTICAL);
  gtk_widget_add_css_class(GTK_WIDGET(self), "vp-view-pane");
  /* The theme's frame: four panes read as four, on light and dark styles. */
  gtk_widget_add_css_class(GTK_WIDGET(self), "frame");
  gtk_widget_set_overflow(GTK_WIDGET(self), GTK_OVERFLOW_HIDDEN);
  gtk_widget_set_hexpand(GTK_WIDGET(self), TRUE);
  gtk_widget_set_vexpand(GTK_WIDGET(self), TRUE);
  self->header = new_header(self);
  gtk_widget_set_parent(self->header, GTK_WIDGET(self));
}
