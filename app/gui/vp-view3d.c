/* The interactive 3D view in the libshumate manner: the camera is the view
 * state, gesture controllers made in init move it, snapshot draws it. */
#include "vp-view3d.h"

#include <glib/gi18n.h>
#include <math.h>

#include "vp-render3d.h"

struct _VpView3d {
  GtkWidget parent_instance;

  VpCamera camera;
  VpRenderer *renderer;
  VpView3dOverlayFunc overlay;
  gpointer overlay_data;
  VpRenderStyle style;
  const VpMesh *mesh; /* borrowed from the window, which outlives our use of it */

  double pointer_x, pointer_y;
  gboolean pointer_inside;
  double orbit_last_x, orbit_last_y; /* drag offsets already applied */
  double pan_last_x, pan_last_y;
  double zoom_last_scale;
  gboolean draw_failed; /* warn once, not on every frame */
};

enum { PROP_0, PROP_ORTHOGRAPHIC, N_PROPS };
static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE(VpView3d, vp_view3d, GTK_TYPE_WIDGET)

static const struct {
  const char *name;
  VpStandardView view;
} standard_views[] = {
  {"anterior", VP_VIEW_ANTERIOR}, {"posterior", VP_VIEW_POSTERIOR},
  {"left", VP_VIEW_LEFT},         {"right", VP_VIEW_RIGHT},
  {"superior", VP_VIEW_SUPERIOR}, {"inferior", VP_VIEW_INFERIOR},
};

gboolean vp_view3d_standard_view_from_name(const char *name, VpStandardView *out)
{
  for (gsize i = 0; name && i < G_N_ELEMENTS(standard_views); i++) {
    if (g_str_equal(name, standard_views[i].name)) {
      *out = standard_views[i].view;
      return TRUE;
    }
  }
  return FALSE;
}

/* Camera maths divides by the viewport size, which is 0 before allocation. */
static double view_width(VpView3d *self)
{
  return MAX(1, gtk_widget_get_width(GTK_WIDGET(self)));
}

static double view_height(VpView3d *self)
{
  return MAX(1, gtk_widget_get_height(GTK_WIDGET(self)));
}

/* ---- Public view-state API ---- */

GtkWidget *vp_view3d_new(void)
{
  return g_object_new(VP_TYPE_VIEW3D, NULL);
}

void vp_view3d_set_mesh(VpView3d *self, const VpMesh *mesh)
{
  g_return_if_fail(VP_IS_VIEW3D(self));
  self->mesh = mesh;
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

const VpMesh *vp_view3d_get_mesh(VpView3d *self)
{
  g_return_val_if_fail(VP_IS_VIEW3D(self), NULL);
  return self->mesh;
}

void vp_view3d_set_scene_bounds(VpView3d *self, VpBox3 bounds)
{
  g_return_if_fail(VP_IS_VIEW3D(self));
  vp_camera_set_scene(&self->camera, bounds);
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

void vp_view3d_set_overlay(VpView3d *self, VpView3dOverlayFunc func, gpointer user_data)
{
  g_return_if_fail(VP_IS_VIEW3D(self));
  self->overlay = func;
  self->overlay_data = func ? user_data : NULL;
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

const VpCamera *vp_view3d_get_camera(VpView3d *self)
{
  g_return_val_if_fail(VP_IS_VIEW3D(self), NULL);
  return &self->camera;
}

void vp_view3d_reset(VpView3d *self)
{
  g_return_if_fail(VP_IS_VIEW3D(self));
  vp_camera_reset(&self->camera);
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

void vp_view3d_set_standard_view(VpView3d *self, VpStandardView view)
{
  g_return_if_fail(VP_IS_VIEW3D(self));
  vp_camera_set_standard_view(&self->camera, view);
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

gboolean vp_view3d_get_orthographic(VpView3d *self)
{
  g_return_val_if_fail(VP_IS_VIEW3D(self), FALSE);
  return self->camera.projection == VP_PROJECTION_ORTHOGRAPHIC;
}

void vp_view3d_set_orthographic(VpView3d *self, gboolean orthographic)
{
  g_return_if_fail(VP_IS_VIEW3D(self));
  if (vp_view3d_get_orthographic(self) == !!orthographic)
    return;
  self->camera.projection = orthographic ? VP_PROJECTION_ORTHOGRAPHIC : VP_PROJECTION_PERSPECTIVE;
  gtk_widget_queue_draw(GTK_WIDGET(self));
  g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_ORTHOGRAPHIC]);
}

void vp_view3d_orbit(VpView3d *self, double dx, double dy)
{
  g_return_if_fail(VP_IS_VIEW3D(self));
  vp_camera_orbit(&self->camera, dx, dy, view_height(self));
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

void vp_view3d_pan(VpView3d *self, double dx, double dy)
{
  g_return_if_fail(VP_IS_VIEW3D(self));
  vp_camera_pan(&self->camera, dx, dy, view_width(self), view_height(self));
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

void vp_view3d_zoom_at(VpView3d *self, double factor, double x, double y)
{
  g_return_if_fail(VP_IS_VIEW3D(self));
  if (!(factor > 0) || !isfinite(factor))
    return;
  vp_camera_zoom_at(&self->camera, factor, x, y, view_width(self), view_height(self));
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

/* ---- Gestures: each handler updates the camera and nothing else ---- */

static void on_click_pressed(GtkGestureClick *gesture, int n_press, double x, double y,
                             VpView3d *self)
{
  gtk_widget_grab_focus(GTK_WIDGET(self));
}

static void on_orbit_drag_begin(GtkGestureDrag *gesture, double x, double y, VpView3d *self)
{
  self->orbit_last_x = self->orbit_last_y = 0;
  gtk_widget_set_cursor_from_name(GTK_WIDGET(self), "grabbing");
}

/* Shift turns the left button into a pan, for mice and touchpads without a middle button. */
static void on_orbit_drag_update(GtkGestureDrag *gesture, double ox, double oy, VpView3d *self)
{
  GdkModifierType state =
      gtk_event_controller_get_current_event_state(GTK_EVENT_CONTROLLER(gesture));
  double dx = ox - self->orbit_last_x, dy = oy - self->orbit_last_y;
  self->orbit_last_x = ox;
  self->orbit_last_y = oy;
  if (state & GDK_SHIFT_MASK)
    vp_view3d_pan(self, dx, dy);
  else
    vp_view3d_orbit(self, dx, dy);
}

static void on_pan_drag_begin(GtkGestureDrag *gesture, double x, double y, VpView3d *self)
{
  self->pan_last_x = self->pan_last_y = 0;
  gtk_widget_set_cursor_from_name(GTK_WIDGET(self), "move");
}

static void on_pan_drag_update(GtkGestureDrag *gesture, double ox, double oy, VpView3d *self)
{
  vp_view3d_pan(self, ox - self->pan_last_x, oy - self->pan_last_y);
  self->pan_last_x = ox;
  self->pan_last_y = oy;
}

static void on_drag_end(GtkGestureDrag *gesture, double ox, double oy, VpView3d *self)
{
  gtk_widget_set_cursor(GTK_WIDGET(self), NULL);
}

static void on_motion(GtkEventControllerMotion *motion, double x, double y, VpView3d *self)
{
  self->pointer_x = x;
  self->pointer_y = y;
  self->pointer_inside = TRUE;
}

static void on_leave(GtkEventControllerMotion *motion, VpView3d *self)
{
  self->pointer_inside = FALSE;
}

/* Scrolling down (dy > 0) moves away, as in map and model viewers. */
static gboolean on_scroll(GtkEventControllerScroll *scroll, double dx, double dy, VpView3d *self)
{
  double x = self->pointer_inside ? self->pointer_x : view_width(self) / 2;
  double y = self->pointer_inside ? self->pointer_y : view_height(self) / 2;
  vp_view3d_zoom_at(self, pow(1.15, -dy), x, y);
  return TRUE;
}

static void on_zoom_begin(GtkGesture *gesture, GdkEventSequence *sequence, VpView3d *self)
{
  self->zoom_last_scale = 1.0;
}

/* The gesture reports scale since its start; the camera wants the step. */
static void on_zoom_scale_changed(GtkGestureZoom *gesture, double scale, VpView3d *self)
{
  double x = view_width(self) / 2, y = view_height(self) / 2;
  gtk_gesture_get_bounding_box_center(GTK_GESTURE(gesture), &x, &y);
  if (self->zoom_last_scale > 0)
    vp_view3d_zoom_at(self, scale / self->zoom_last_scale, x, y);
  self->zoom_last_scale = scale;
}

static void add_drag(VpView3d *self, guint button, GCallback begin, GCallback update)
{
  GtkGesture *drag = gtk_gesture_drag_new();
  gtk_gesture_single_set_button(GTK_GESTURE_SINGLE(drag), button);
  g_signal_connect(drag, "drag-begin", begin, self);
  g_signal_connect(drag, "drag-update", update, self);
  g_signal_connect(drag, "drag-end", G_CALLBACK(on_drag_end), self);
  gtk_widget_add_controller(GTK_WIDGET(self), GTK_EVENT_CONTROLLER(drag));
}

static void add_controllers(VpView3d *self)
{
  GtkWidget *widget = GTK_WIDGET(self);

  GtkGesture *click = gtk_gesture_click_new();
  gtk_gesture_single_set_button(GTK_GESTURE_SINGLE(click), 0);
  g_signal_connect(click, "pressed", G_CALLBACK(on_click_pressed), self);
  gtk_widget_add_controller(widget, GTK_EVENT_CONTROLLER(click));

  add_drag(self, GDK_BUTTON_PRIMARY, G_CALLBACK(on_orbit_drag_begin),
           G_CALLBACK(on_orbit_drag_update));
  add_drag(self, GDK_BUTTON_MIDDLE, G_CALLBACK(on_pan_drag_begin), G_CALLBACK(on_pan_drag_update));

  GtkEventController *motion = gtk_event_controller_motion_new();
  g_signal_connect(motion, "enter", G_CALLBACK(on_motion), self);
  g_signal_connect(motion, "motion", G_CALLBACK(on_motion), self);
  g_signal_connect(motion, "leave", G_CALLBACK(on_leave), self);
  gtk_widget_add_controller(widget, motion);

  GtkEventController *scroll = gtk_event_controller_scroll_new(GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
  g_signal_connect(scroll, "scroll", G_CALLBACK(on_scroll), self);
  gtk_widget_add_controller(widget, scroll);

  GtkGesture *zoom = gtk_gesture_zoom_new();
  g_signal_connect(zoom, "begin", G_CALLBACK(on_zoom_begin), self);
  g_signal_connect(zoom, "scale-changed", G_CALLBACK(on_zoom_scale_changed), self);
  gtk_widget_add_controller(widget, GTK_EVENT_CONTROLLER(zoom));
}

/* ---- Key actions (bound in class_init, active while the view has focus) ---- */

static void action_reset(GtkWidget *widget, const char *name, GVariant *param)
{
  vp_view3d_reset(VP_VIEW3D(widget));
}

static void action_standard_view(GtkWidget *widget, const char *name, GVariant *param)
{
  VpStandardView view;
  if (vp_view3d_standard_view_from_name(g_variant_get_string(param, NULL), &view))
    vp_view3d_set_standard_view(VP_VIEW3D(widget), view);
}

static void action_toggle_projection(GtkWidget *widget, const char *name, GVariant *param)
{
  VpView3d *self = VP_VIEW3D(widget);
  vp_view3d_set_orthographic(self, !vp_view3d_get_orthographic(self));
}

static void add_key_bindings(GtkWidgetClass *widget_class)
{
  static const guint digit_keys[] = {GDK_KEY_1, GDK_KEY_2, GDK_KEY_3,
                                     GDK_KEY_4, GDK_KEY_5, GDK_KEY_6};
  static const guint keypad_keys[] = {GDK_KEY_KP_1, GDK_KEY_KP_2, GDK_KEY_KP_3,
                                      GDK_KEY_KP_4, GDK_KEY_KP_5, GDK_KEY_KP_6};
  gtk_widget_class_install_action(widget_class, "view.reset", NULL, action_reset);
  gtk_widget_class_install_action(widget_class, "view.standard-view", "s", action_standard_view);
  gtk_widget_class_install_action(widget_class, "view.toggle-projection", NULL,
                                  action_toggle_projection);

  gtk_widget_class_add_binding_action(widget_class, GDK_KEY_r, 0, "view.reset", NULL);
  gtk_widget_class_add_binding_action(widget_class, GDK_KEY_p, 0, "view.toggle-projection", NULL);
  for (gsize i = 0; i < G_N_ELEMENTS(standard_views); i++) {
    gtk_widget_class_add_binding_action(widget_class, digit_keys[i], 0, "view.standard-view", "s",
                                        standard_views[i].name);
    gtk_widget_class_add_binding_action(widget_class, keypad_keys[i], 0, "view.standard-view", "s",
                                        standard_views[i].name);
  }
}

/* ---- GtkWidget ---- */

static void vp_view3d_snapshot(GtkWidget *widget, GtkSnapshot *snapshot)
{
  VpView3d *self = VP_VIEW3D(widget);
  int width = gtk_widget_get_width(widget), height = gtk_widget_get_height(widget);
  if (width <= 0 || height <= 0 || !self->renderer)
    return;

  VpSceneMesh item = {.mesh = self->mesh};
  vp_render_bone_rgba(item.rgba);
  VpScene scene = {.meshes = &item, .mesh_count = self->mesh ? 1 : 0};
  VpRenderStyle style = self->style;
  style.orientation_marker = self->mesh != NULL; /* axes of nothing would only puzzle */

  graphene_rect_t bounds;
  graphene_rect_init(&bounds, 0, 0, (float)width, (float)height);
  cairo_t *cr = gtk_snapshot_append_cairo(snapshot, &bounds);
  VpError err;
  vp_error_clear(&err);
  if (!vp_renderer_draw(self->renderer, cr, width, height, gtk_widget_get_scale_factor(widget),
                        &self->camera, &scene, &style, &err) &&
      !self->draw_failed) {
    self->draw_failed = TRUE;
    g_warning("The 3D view could not be drawn: %s", err.message);
  }
  if (self->overlay && self->mesh)
    self->overlay(cr, &self->camera, width, height, self->overlay_data);
  cairo_destroy(cr);
}

static void vp_view3d_get_property(GObject *object, guint prop_id, GValue *value,
                                   GParamSpec *pspec)
{
  VpView3d *self = VP_VIEW3D(object);
  switch (prop_id) {
  case PROP_ORTHOGRAPHIC:
    g_value_set_boolean(value, vp_view3d_get_orthographic(self));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
  }
}

static void vp_view3d_set_property(GObject *object, guint prop_id, const GValue *value,
                                   GParamSpec *pspec)
{
  VpView3d *self = VP_VIEW3D(object);
  switch (prop_id) {
  case PROP_ORTHOGRAPHIC:
    vp_view3d_set_orthographic(self, g_value_get_boolean(value));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
  }
}

static void vp_view3d_finalize(GObject *object)
{
  VpView3d *self = VP_VIEW3D(object);
  vp_renderer_free(self->renderer);
  G_OBJECT_CLASS(vp_view3d_parent_class)->finalize(object);
}

static void vp_view3d_class_init(VpView3dClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

  object_class->finalize = vp_view3d_finalize;
  object_class->get_property = vp_view3d_get_property;
  object_class->set_property = vp_view3d_set_property;
  widget_class->snapshot = vp_view3d_snapshot;

  /* Orthographic keeps sizes comparable across the view, for judging them by eye. */
  properties[PROP_ORTHOGRAPHIC] = g_param_spec_boolean(
      "orthographic", NULL, NULL, FALSE,
      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties(object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name(widget_class, "view3d");
  gtk_widget_class_set_accessible_role(widget_class, GTK_ACCESSIBLE_ROLE_IMG);
  add_key_bindings(widget_class);
}

static void vp_view3d_init(VpView3d *self)
{
  vp_camera_init(&self->camera);
  vp_render_style_default(&self->style);
  self->renderer = vp_renderer_new();

  gtk_widget_set_focusable(GTK_WIDGET(self), TRUE);
  gtk_widget_set_hexpand(GTK_WIDGET(self), TRUE);
  gtk_widget_set_vexpand(GTK_WIDGET(self), TRUE);
  gtk_accessible_update_property(GTK_ACCESSIBLE(self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                 _("3D view"), -1);
  add_controllers(self);
}
