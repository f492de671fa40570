/* The slice view widget: view state (vp-slice.h) kept in step with the shared
 * view context, drawn by the render layer's slice renderer, and the gestures
 * and keys that scroll, zoom, pan, window, move the crosshair and measure. */
#include "vp-slice-widget.h"

#include <glib/gi18n.h>
#include <math.h>

#include "vp-anatomy-overlay.h"

/* Viewport used until the widget gets its first size. */
#define DEFAULT_SIDE_PX 256
/* Room left around the case when fitting it, per side. */
#define FIT_MARGIN 0.05
/* Zoom per wheel notch with Ctrl. */
#define ZOOM_PER_NOTCH 1.2
#define PAGE_SLICES 10
/* Opacity of the parts' tint over the CT or the section. */
#define ANATOMY_TINT_ALPHA 0.38

typedef enum {
  DRAG_NONE,
  DRAG_PAN,
  DRAG_WINDOW,
  DRAG_CROSSHAIR,
  DRAG_FRAME_ORIGIN, /* the anatomy frame's origin, moved in the plane */
  DRAG_FRAME_TURN,   /* an axis end of the frame, turned about the view's normal */
} DragMode;

/* How near (pixels) a press must be to a frame handle to take it. */
#define HANDLE_GRAB_PX 10.0
/* An axis end is a handle only when the axis lies this much in the plane
 * (its drawn length over VP_ANATOMY_AXIS_PX): one along the normal cannot turn. */
#define HANDLE_MIN_IN_PLANE 0.5

struct _VpSliceWidget {
  GtkWidget parent_instance;

  VpViewContext *context; /* owned reference */
  VpSliceOrientation orientation;
  VpSliceView view;
  double offset_mm;   /* plane's distance from the crosshair (oblique: from the line) */
  gboolean needs_fit; /* fit the case once the widget has its size */
  gboolean user_framed; /* zoomed or panned by the user: resizing keeps their framing */
  VpSliceRenderer *renderer;
  double last_frame_ms;

  /* Measurement in progress: the points placed so far. */
  VpVec3 pending[3];
  int pending_count;
  gboolean pointer_inside;
  double pointer_x, pointer_y;

  DragMode drag_mode;
  double drag_start_x, drag_start_y;
  double drag_last_x, drag_last_y;
  VpAnatomyFrame drag_frame; /* the frame when a frame handle was taken */
};

G_DEFINE_FINAL_TYPE(VpSliceWidget, vp_slice_widget, GTK_TYPE_WIDGET)

/* ---- View state ---- */

static int viewport_width(VpSliceWidget *self)
{
  int w = gtk_widget_get_width(GTK_WIDGET(self));
  return w > 0 ? w : DEFAULT_SIDE_PX;
}

static int viewport_height(VpSliceWidget *self)
{
  int h = gtk_widget_get_height(GTK_WIDGET(self));
  return h > 0 ? h : DEFAULT_SIDE_PX;
}

static const VpCase *current_case(VpSliceWidget *self)
{
  return self->context ? vp_view_context_get_case(self->context) : NULL;
}

static void update_step(VpSliceWidget *self)
{
  const VpCase *c = current_case(self);
  self->view.step_mm = vp_slice_step_for_volume(c ? c->ct : NULL, vp_slice_view_normal(&self->view));
}

/* Screen up for the oblique plane: the frame's superior, or its anterior
 * when the line runs head to foot. */
static VpVec3 oblique_up(const VpViewFrame *frame, VpVec3 a, VpVec3 b)
{
  VpVec3 d = vp_vec3_normalize(vp_vec3_sub(b, a));
  return fabs(vp_vec3_dot(d, frame->superior)) > 0.95 ? frame->anterior : frame->superior;
}

/* The plane from the context, keeping the pixel size: a standard plane
 * through the crosshair, or the oblique one along the line. */
static void rebuild_plane(VpSliceWidget *self, double mm_per_px)
{
  const VpViewFrame *frame = vp_view_context_get_frame(self->context);
  int w = viewport_width(self), h = viewport_height(self);
  gboolean ok;
  if (self->orientation == VP_SLICE_OBLIQUE) {
    VpVec3 a, b;
    vp_view_context_get_oblique_line(self->context, &a, &b);
    ok = vp_slice_view_init_along_line(&self->view, a, b, oblique_up(frame, a, b), w, h,
                                       mm_per_px, NULL);
  } else {
    ok = vp_slice_view_init(&self->view, self->orientation, frame, w, h, mm_per_px, NULL);
    if (ok)
      vp_slice_view_move_plane_to(&self->view, vp_view_context_get_crosshair(self->context));
  }
  if (!ok) /* a degenerate line: an axial plane rather than nothing */
    vp_slice_view_init(&self->view, VP_SLICE_AXIAL, frame, w, h, mm_per_px, NULL);
  self->offset_mm = 0;
  update_step(self);
}

static void fit_case(VpSliceWidget *self)
{
  vp_slice_view_fit_box(&self->view, vp_view_context_get_bounds(self->context), FIT_MARGIN);
}

static void abandon_measurement(VpSliceWidget *self)
{
  self->pending_count = 0;
}

/* Everything from scratch: a new case, orientation or frame. */
static void reset_view(VpSliceWidget *self)
{
  rebuild_plane(self, self->view.mm_per_px > 0 ? self->view.mm_per_px : 1.0);
  fit_case(self);
  self->needs_fit = gtk_widget_get_width(GTK_WIDGET(self)) <= 0;
  self->user_framed = FALSE;
  abandon_measurement(self);
  vp_slice_renderer_invalidate(self->renderer);
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

/* Range of offsets that keep the plane within the case's box. */
static void offset_range(VpSliceWidget *self, double *lo, double *hi)
{
  VpBox3 box = vp_view_context_get_bounds(self->context);
  *lo = -INFINITY;
  *hi = INFINITY;
  if (vp_box3_is_empty(box))
    return;
  VpVec3 n = vp_slice_view_normal(&self->view);
  VpVec3 base = vp_vec3_sub(self->view.center_mm, vp_vec3_scale(n, self->offset_mm));
  *lo = INFINITY;
  *hi = -INFINITY;
  for (int corner = 0; corner < 8; corner++) {
    VpVec3 p = vp_vec3(corner & 1 ? box.max.x : box.min.x, corner & 2 ? box.max.y : box.min.y,
                       corner & 4 ? box.max.z : box.min.z);
    double d = vp_vec3_dot(vp_vec3_sub(p, base), n);
    *lo = fmin(*lo, d);
    *hi = fmax(*hi, d);
  }
}

/* ---- Context signals ---- */

static void on_case_changed(VpSliceWidget *self)
{
  self->view.mm_per_px = 0;
  reset_view(self);
}

static void on_frame_changed(VpSliceWidget *self)
{
  rebuild_plane(self, self->view.mm_per_px);
  fit_case(self);
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

static void on_crosshair_changed(VpSliceWidget *self)
{
  if (self->orientation != VP_SLICE_OBLIQUE) {
    vp_slice_view_move_plane_to(&self->view, vp_view_context_get_crosshair(self->context));
    self->offset_mm = 0;
  }
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

static void on_oblique_changed(VpSliceWidget *self)
{
  if (self->orientation == VP_SLICE_OBLIQUE)
    rebuild_plane(self, self->view.mm_per_px);
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

static void on_tool_changed(VpSliceWidget *self)
{
  abandon_measurement(self);
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

static void connect_context(VpSliceWidget *self)
{
  VpViewContext *ctx = self->context;
  g_signal_connect_swapped(ctx, "case-changed", G_CALLBACK(on_case_changed), self);
  g_signal_connect_swapped(ctx, "frame-changed", G_CALLBACK(on_frame_changed), self);
  g_signal_connect_swapped(ctx, "crosshair-changed", G_CALLBACK(on_crosshair_changed), self);
  g_signal_connect_swapped(ctx, "oblique-changed", G_CALLBACK(on_oblique_changed), self);
  g_signal_connect_swapped(ctx, "notify::tool", G_CALLBACK(on_tool_changed), self);
  g_signal_connect_swapped(ctx, "window-level-changed", G_CALLBACK(gtk_widget_queue_draw), self);
  g_signal_connect_swapped(ctx, "measurements-changed", G_CALLBACK(gtk_widget_queue_draw), self);
  g_signal_connect_swapped(ctx, "style-changed", G_CALLBACK(gtk_widget_queue_draw), self);
  g_signal_connect_swapped(ctx, "anatomy-changed", G_CALLBACK(gtk_widget_queue_draw), self);
}

/* ---- Drawing ---- */

static const char *plane_name(VpSliceOrientation orientation)
{
  switch (orientation) {
  case VP_SLICE_AXIAL:
    return _("Axial");
  case VP_SLICE_SAGITTAL:
    return _("Sagittal");
  case VP_SLICE_CORONAL:
    return _("Coronal");
  case VP_SLICE_OBLIQUE:
  default:
    return _("Oblique");
  }
}

static char *format_number(double value, const char *format)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  return g_strdup(g_ascii_formatd(buf, sizeof buf, format, value));
}

/* "Axial 12.0 mm" and, with a CT, "W 2000 L 500 HU". */
static char *info_text(VpSliceWidget *self, gboolean has_ct)
{
  double position = vp_vec3_dot(self->view.center_mm, vp_slice_view_normal(&self->view));
  position = round(position * 10) / 10 + 0.0; /* no "-0.0" */
  g_autofree char *pos = format_number(position, "%.1f");
  /* TRANSLATORS: a slice plane's name and its position along its normal */
  g_autofree char *plane = g_strdup_printf(_("%s %s mm"), plane_name(self->orientation), pos);
  if (!has_ct)
    return g_steal_pointer(&plane);
  VpWindowLevel wl = vp_view_context_get_window_level(self->context);
  g_autofree char *w = format_number(wl.window_hu, "%.0f");
  g_autofree char *l = format_number(wl.level_hu, "%.0f");
  /* TRANSLATORS: CT window width and level in Hounsfield units */
  g_autofree char *window = g_strdup_printf(_("W %s L %s HU"), w, l);
  return g_strdup_printf("%s\n%s", plane, window);
}

/* Where (x, y) is on the text's box. */
typedef enum {
  TEXT_TOP_LEFT,
  TEXT_CENTRED,
  TEXT_BOTTOM_LEFT,
} TextAnchor;

/* Text on a dark box at (x, y), sized like the overlays' labels. */
static void append_text(VpSliceWidget *self, GtkSnapshot *snapshot, const char *text, double x,
                        double y, TextAnchor anchor, const VpSliceStyle *style)
{
  PangoLayout *layout = gtk_widget_create_pango_layout(GTK_WIDGET(self), text);
  PangoFontDescription *font = pango_font_description_new();
  pango_font_description_set_family(font, "Sans");
  /* A message in the middle is the view's whole content; the corner text is
   * secondary to the image: smaller than the letters, so it keeps to its corner. */
  double size = style->text_px * (anchor == TEXT_CENTRED ? 1.2 : 0.9);
  pango_font_description_set_absolute_size(font, size * PANGO_SCALE);
  pango_layout_set_font_description(layout, font);
  pango_font_description_free(font);
  int tw, th;
  pango_layout_get_pixel_size(layout, &tw, &th);
  if (anchor == TEXT_CENTRED) {
    x -= 0.5 * tw;
    y -= 0.5 * th;
  } else if (anchor == TEXT_BOTTOM_LEFT) {
    y -= th;
  }
  const double pad = 3;
  GdkRGBA shade = {0, 0, 0, 0.55};
  GdkRGBA ink = {(float)style->text_rgb[0], (float)style->text_rgb[1], (float)style->text_rgb[2], 1};
  gtk_snapshot_append_color(snapshot, &shade,
                            &GRAPHENE_RECT_INIT(x - pad, y - pad, tw + 2 * pad, th + 2 * pad));
  gtk_snapshot_save(snapshot);
  gtk_snapshot_translate(snapshot, &GRAPHENE_POINT_INIT(x, y));
  gtk_snapshot_append_layout(snapshot, layout, &ink);
  gtk_snapshot_restore(snapshot);
  g_object_unref(layout);
}

static void append_background(GtkSnapshot *snapshot, int w, int h)
{
  GdkRGBA dark = {0.08f, 0.08f, 0.09f, 1};
  gtk_snapshot_append_color(snapshot, &dark, &GRAPHENE_RECT_INIT(0, 0, w, h));
}

static gboolean point_near_plane(const VpSliceView *view, const double p[3])
{
  double x, y, depth;
  vp_slice_view_world_to_pixel(view, vp_vec3(p[0], p[1], p[2]), &x, &y, &depth);
  return fabs(depth) <= 0.5 * view->step_mm + 1e-6;
}

static gboolean measurement_in_plane(const VpSliceView *view, const VpPlanMeasurement *m)
{
  int n = m->kind == VP_MEASUREMENT_ANGLE ? 3 : 2;
  for (int i = 0; i < n; i++)
    if (!point_near_plane(view, m->points_mm[i]))
      return FALSE;
  return TRUE;
}

static VpVec3 point_of(const double p[3])
{
  return vp_vec3(p[0], p[1], p[2]);
}

static void draw_measurements(VpSliceWidget *self, cairo_t *cr, const VpSliceStyle *style)
{
  gsize count = 0;
  const VpPlanMeasurement *items = vp_view_context_get_measurements(self->context, &count);
  for (gsize i = 0; i < count; i++) {
    const VpPlanMeasurement *m = &items[i];
    if (!measurement_in_plane(&self->view, m))
      continue;
    if (m->kind == VP_MEASUREMENT_ANGLE)
      vp_slice_draw_angle(cr, &self->view, point_of(m->points_mm[0]), point_of(m->points_mm[1]),
                          point_of(m->points_mm[2]), style);
    else
      vp_slice_draw_distance(cr, &self->view, point_of(m->points_mm[0]),
                             point_of(m->points_mm[1]), style);
  }
}

/* The anatomy of the Anatomy step: parts tinted, isthmus sections and the
 * frame axes, under the measurements. */
static void draw_anatomy(VpSliceWidget *self, cairo_t *cr, const VpSliceStyle *style)
{
  const VpAnatomy *anatomy = vp_view_context_get_anatomy(self->context);
  if (!anatomy || !vp_view_context_get_anatomy_shown(self->context))
    return;
  vp_anatomy_overlay_draw_parts(cr, &self->view, anatomy->parts,
                                vp_view_context_get_anatomy_parts(self->context),
                                ANATOMY_TINT_ALPHA);
  for (int side = 0; side < 2; side++)
    vp_anatomy_overlay_draw_isthmus(cr, &self->view, &anatomy->measures.pedicle[side], style);
  if (vp_view_context_get_show_frame_axes(self->context))
    vp_anatomy_overlay_draw_frame(cr, &self->view, &anatomy->frame, style);
}

/* The points placed so far, and a rubber band to the pointer. */
static void draw_pending(VpSliceWidget *self, cairo_t *cr, const VpSliceStyle *style)
{
  if (self->pending_count == 0)
    return;
  cairo_save(cr);
  cairo_set_source_rgba(cr, style->measure_rgba[0], style->measure_rgba[1], style->measure_rgba[2],
                        style->measure_rgba[3]);
  for (int i = 0; i < self->pending_count; i++) {
    double x, y;
    vp_slice_view_world_to_pixel(&self->view, self->pending[i], &x, &y, NULL);
    cairo_arc(cr, x, y, 1.5 * style->line_width_px + 1.5, 0, 2 * G_PI);
    cairo_fill(cr);
  }
  cairo_restore(cr);
  if (!self->pointer_inside)
    return;
  VpVec3 pointer = vp_slice_widget_point_at(self, self->pointer_x, self->pointer_y);
  if (self->pending_count == 1)
    vp_slice_draw_distance(cr, &self->view, self->pending[0], pointer, style);
  else
    vp_slice_draw_angle(cr, &self->view, self->pending[0], self->pending[1], pointer, style);
}

static void snapshot_no_case(VpSliceWidget *self, GtkSnapshot *snapshot, int w, int h,
                             const VpSliceStyle *style)
{
  append_background(snapshot, w, h);
  append_text(self, snapshot, _("No case open"), 0.5 * w, 0.5 * h, TEXT_CENTRED, style);
}

static void vp_slice_widget_snapshot(GtkWidget *widget, GtkSnapshot *snapshot)
{
  VpSliceWidget *self = VP_SLICE_WIDGET(widget);
  int w = gtk_widget_get_width(widget), h = gtk_widget_get_height(widget);
  if (w <= 0 || h <= 0 || !self->context)
    return;
  VpSliceStyle style;
  vp_view_context_get_style(self->context, &style);
  const VpCase *c = current_case(self);
  if (!c) {
    snapshot_no_case(self, snapshot, w, h, &style);
    return;
  }
  gint64 start = g_get_monotonic_time();
  VpSliceScene scene;
  vp_slice_scene_init(&scene);
  scene.ct = c->ct;
  scene.surface = c->surface;
  scene.window = vp_view_context_get_window_level(self->context);
  scene.crosshair_mm = vp_view_context_get_crosshair(self->context);
  scene.style = style;
  cairo_t *cr = gtk_snapshot_append_cairo(snapshot, &GRAPHENE_RECT_INIT(0, 0, w, h));
  VpError err;
  vp_error_clear(&err);
  gboolean ok = vp_slice_renderer_draw(self->renderer, cr, &self->view, &scene, &err);
  if (ok) {
    draw_anatomy(self, cr, &style);
    draw_measurements(self, cr, &style);
    draw_pending(self, cr, &style);
  }
  cairo_destroy(cr);
  self->last_frame_ms = (double)(g_get_monotonic_time() - start) / 1000.0;
  if (!ok) {
    append_text(self, snapshot, err.message, 0.5 * w, 0.5 * h, TEXT_CENTRED, &style);
    return;
  }
  g_autofree char *info = info_text(self, c->ct != NULL);
  /* Bottom left: the orientation letters hold the middle of each edge and
   * the scale bar the bottom right, so larger presentation text meets neither. */
  append_text(self, snapshot, info, 8, h - 8, TEXT_BOTTOM_LEFT, &style);
}

static void vp_slice_widget_size_allocate(GtkWidget *widget, int width, int height, int baseline)
{
  (void)baseline;
  VpSliceWidget *self = VP_SLICE_WIDGET(widget);
  if (width <= 0 || height <= 0)
    return;
  vp_slice_view_resize(&self->view, width, height);
  /* Until the user frames the view, it keeps the whole vertebra in sight
   * as panes change size (layout, side panels, presentation mode). */
  if ((self->needs_fit || !self->user_framed) && self->context) {
    fit_case(self);
    self->needs_fit = FALSE;
  }
}

static void vp_slice_widget_measure(GtkWidget *widget, GtkOrientation orientation, int for_size,
                                    int *minimum, int *natural, int *minimum_baseline,
                                    int *natural_baseline)
{
  (void)widget;
  (void)orientation;
  (void)for_size;
  *minimum = 64;
  *natural = DEFAULT_SIDE_PX;
  *minimum_baseline = *natural_baseline = -1;
}

/* ---- Input ---- */

static gboolean on_scroll(GtkEventControllerScroll *controller, double dx, double dy,
                          VpSliceWidget *self)
{
  (void)dx;
  GdkModifierType state =
      gtk_event_controller_get_current_event_state(GTK_EVENT_CONTROLLER(controller));
  if (state & GDK_CONTROL_MASK) {
    double x = self->pointer_inside ? self->pointer_x : 0.5 * viewport_width(self);
    double y = self->pointer_inside ? self->pointer_y : 0.5 * viewport_height(self);
    vp_slice_widget_zoom_at(self, pow(ZOOM_PER_NOTCH, -dy), x, y);
  } else {
    /* Wheel up moves the plane away from the viewer. */
    vp_slice_widget_scroll_slices(self, dy < 0 ? 1 : dy > 0 ? -1 : 0);
  }
  return TRUE;
}

static gboolean on_key(GtkEventControllerKey *controller, guint keyval, guint keycode,
                       GdkModifierType state, VpSliceWidget *self)
{
  (void)controller;
  (void)keycode;
  (void)state;
  switch (keyval) {
  case GDK_KEY_Up:
  case GDK_KEY_KP_Up:
    vp_slice_widget_scroll_slices(self, 1);
    return TRUE;
  case GDK_KEY_Down:
  case GDK_KEY_KP_Down:
    vp_slice_widget_scroll_slices(self, -1);
    return TRUE;
  case GDK_KEY_Page_Up:
  case GDK_KEY_KP_Page_Up:
    vp_slice_widget_scroll_slices(self, PAGE_SLICES);
    return TRUE;
  case GDK_KEY_Page_Down:
  case GDK_KEY_KP_Page_Down:
    vp_slice_widget_scroll_slices(self, -PAGE_SLICES);
    return TRUE;
  case GDK_KEY_Escape:
    if (self->pending_count == 0)
      return FALSE;
    abandon_measurement(self);
    gtk_widget_queue_draw(GTK_WIDGET(self));
    return TRUE;
  default:
    return FALSE;
  }
}

static void on_pressed(GtkGestureClick *gesture, int n_press, double x, double y,
                       VpSliceWidget *self)
{
  GdkModifierType state = gtk_event_controller_get_current_event_state(GTK_EVENT_CONTROLLER(gesture));
  gtk_widget_grab_focus(GTK_WIDGET(self));
  if (n_press != 1 || (state & GDK_CONTROL_MASK)) /* Ctrl: windowing by the drag */
    return;
  if (vp_slice_widget_frame_handle_at(self, x, y) >= 0) /* the drag takes the handle */
    return;
  vp_slice_widget_click(self, x, y);
}

static void on_motion(GtkEventControllerMotion *controller, double x, double y,
                      VpSliceWidget *self)
{
  (void)controller;
  self->pointer_inside = TRUE;
  self->pointer_x = x;
  self->pointer_y = y;
  if (self->pending_count > 0)
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

static void on_leave(GtkEventControllerMotion *controller, VpSliceWidget *self)
{
  (void)controller;
  self->pointer_inside = FALSE;
  if (self->pending_count > 0)
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

/* The drag of the primary button without Ctrl goes to vp_slice_widget_drag_begin(). */
static DragMode drag_mode_for(GtkGestureDrag *gesture)
{
  guint button = gtk_gesture_single_get_current_button(GTK_GESTURE_SINGLE(gesture));
  GdkModifierType state = gtk_event_controller_get_current_event_state(GTK_EVENT_CONTROLLER(gesture));
  if (button == GDK_BUTTON_MIDDLE)
    return DRAG_PAN;
  if (button == GDK_BUTTON_SECONDARY ||
      (button == GDK_BUTTON_PRIMARY && (state & GDK_CONTROL_MASK)))
    return DRAG_WINDOW;
  return DRAG_NONE;
}

static void on_drag_begin(GtkGestureDrag *gesture, double x, double y, VpSliceWidget *self)
{
  DragMode mode = drag_mode_for(gesture);
  guint button = gtk_gesture_single_get_current_button(GTK_GESTURE_SINGLE(gesture));
  if (mode == DRAG_NONE && button == GDK_BUTTON_PRIMARY) {
    vp_slice_widget_drag_begin(self, x, y);
    return;
  }
  self->drag_mode = mode;
  self->drag_start_x = x;
  self->drag_start_y = y;
  self->drag_last_x = self->drag_last_y = 0;
}

static void on_drag_update(GtkGestureDrag *gesture, double off_x, double off_y,
                           VpSliceWidget *self)
{
  (void)gesture;
  vp_slice_widget_drag_update(self, off_x, off_y);
}

static void on_drag_end(GtkGestureDrag *gesture, double off_x, double off_y, VpSliceWidget *self)
{
  (void)gesture;
  vp_slice_widget_drag_end(self, off_x, off_y);
}

static void add_controllers(VpSliceWidget *self)
{
  GtkWidget *widget = GTK_WIDGET(self);
  GtkEventController *scroll = gtk_event_controller_scroll_new(
      GTK_EVENT_CONTROLLER_SCROLL_VERTICAL | GTK_EVENT_CONTROLLER_SCROLL_DISCRETE);
  g_signal_connect(scroll, "scroll", G_CALLBACK(on_scroll), self);
  gtk_widget_add_controller(widget, scroll);

  GtkEventController *key = gtk_event_controller_key_new();
  g_signal_connect(key, "key-pressed", G_CALLBACK(on_key), self);
  gtk_widget_add_controller(widget, key);

  GtkGesture *click = gtk_gesture_click_new();
  gtk_gesture_single_set_button(GTK_GESTURE_SINGLE(click), GDK_BUTTON_PRIMARY);
  g_signal_connect(click, "pressed", G_CALLBACK(on_pressed), self);
  gtk_widget_add_controller(widget, GTK_EVENT_CONTROLLER(click));

  GtkEventController *motion = gtk_event_controller_motion_new();
  g_signal_connect(motion, "enter", G_CALLBACK(on_motion), self);
  g_signal_connect(motion, "motion", G_CALLBACK(on_motion), self);
  g_signal_connect(motion, "leave", G_CALLBACK(on_leave), self);
  gtk_widget_add_controller(widget, motion);

  GtkGesture *drag = gtk_gesture_drag_new();
  gtk_gesture_single_set_button(GTK_GESTURE_SINGLE(drag), 0);
  g_signal_connect(drag, "drag-begin", G_CALLBACK(on_drag_begin), self);
  g_signal_connect(drag, "drag-update", G_CALLBACK(on_drag_update), self);
  g_signal_connect(drag, "drag-end", G_CALLBACK(on_drag_end), self);
  gtk_widget_add_controller(widget, GTK_EVENT_CONTROLLER(drag));
}

/* ---- GObject ---- */

static void vp_slice_widget_dispose(GObject *object)
{
  VpSliceWidget *self = VP_SLICE_WIDGET(object);
  if (self->context) {
    g_signal_handlers_disconnect_by_data(self->context, self);
    g_clear_object(&self->context);
  }
  G_OBJECT_CLASS(vp_slice_widget_parent_class)->dispose(object);
}

static void vp_slice_widget_finalize(GObject *object)
{
  VpSliceWidget *self = VP_SLICE_WIDGET(object);
  vp_slice_renderer_free(self->renderer);
  G_OBJECT_CLASS(vp_slice_widget_parent_class)->finalize(object);
}

static void vp_slice_widget_class_init(VpSliceWidgetClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
  object_class->dispose = vp_slice_widget_dispose;
  object_class->finalize = vp_slice_widget_finalize;
  widget_class->snapshot = vp_slice_widget_snapshot;
  widget_class->size_allocate = vp_slice_widget_size_allocate;
  widget_class->measure = vp_slice_widget_measure;
  gtk_widget_class_set_css_name(widget_class, "vp-slice-view");
}

static void vp_slice_widget_init(VpSliceWidget *self)
{
  self->renderer = vp_slice_renderer_new();
  self->needs_fit = TRUE;
  gtk_widget_set_focusable(GTK_WIDGET(self), TRUE);
  gtk_widget_set_focus_on_click(GTK_WIDGET(self), TRUE);
  gtk_widget_set_hexpand(GTK_WIDGET(self), TRUE);
  gtk_widget_set_vexpand(GTK_WIDGET(self), TRUE);
  add_controllers(self);
}

GtkWidget *vp_slice_widget_new(VpViewContext *context, VpSliceOrientation orientation)
{
  g_return_val_if_fail(VP_IS_VIEW_CONTEXT(context), NULL);
  VpSliceWidget *self = g_object_new(VP_TYPE_SLICE_WIDGET, NULL);
  self->context = g_object_ref(context);
  self->orientation = orientation;
  connect_context(self);
  on_case_changed(self);
  return GTK_WIDGET(self);
}

/* ---- Public API ---- */

VpSliceOrientation vp_slice_widget_get_orientation(VpSliceWidget *self)
{
  g_return_val_if_fail(VP_IS_SLICE_WIDGET(self), VP_SLICE_AXIAL);
  return self->orientation;
}

void vp_slice_widget_set_orientation(VpSliceWidget *self, VpSliceOrientation orientation)
{
  g_return_if_fail(VP_IS_SLICE_WIDGET(self));
  if (orientation == self->orientation)
    return;
  self->orientation = orientation;
  if (self->context)
    on_case_changed(self);
}

const VpSliceView *vp_slice_widget_get_view(VpSliceWidget *self)
{
  g_return_val_if_fail(VP_IS_SLICE_WIDGET(self), NULL);
  return &self->view;
}

double vp_slice_widget_get_offset_mm(VpSliceWidget *self)
{
  g_return_val_if_fail(VP_IS_SLICE_WIDGET(self), 0);
  return self->offset_mm;
}

void vp_slice_widget_scroll_slices(VpSliceWidget *self, int steps)
{
  g_return_if_fail(VP_IS_SLICE_WIDGET(self));
  if (steps == 0 || !current_case(self))
    return;
  double lo, hi;
  offset_range(self, &lo, &hi);
  double target = self->offset_mm + steps * self->view.step_mm;
  /* Whole steps only, within the case (a plane already outside may come back). */
  while (target > hi && target > self->offset_mm)
    target -= self->view.step_mm;
  while (target < lo && target < self->offset_mm)
    target += self->view.step_mm;
  double slices = (target - self->offset_mm) / self->view.step_mm;
  if (fabs(slices) < 0.5)
    return;
  vp_slice_view_scroll(&self->view, round(slices));
  self->offset_mm += round(slices) * self->view.step_mm;
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

void vp_slice_widget_zoom_at(VpSliceWidget *self, double factor, double x, double y)
{
  g_return_if_fail(VP_IS_SLICE_WIDGET(self));
  vp_slice_view_zoom_at(&self->view, factor, x, y);
  self->user_framed = TRUE;
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

void vp_slice_widget_pan(VpSliceWidget *self, double dx, double dy)
{
  g_return_if_fail(VP_IS_SLICE_WIDGET(self));
  vp_slice_view_pan(&self->view, dx, dy);
  self->user_framed = TRUE;
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

static int points_needed(VpMeasureTool tool)
{
  return tool == VP_MEASURE_TOOL_ANGLE ? 3 : tool == VP_MEASURE_TOOL_DISTANCE ? 2 : 0;
}

static void finish_measurement(VpSliceWidget *self, VpMeasureTool tool)
{
  VpPlanMeasurement m = {0};
  m.kind = tool == VP_MEASURE_TOOL_ANGLE ? VP_MEASUREMENT_ANGLE : VP_MEASUREMENT_DISTANCE;
  for (int i = 0; i < self->pending_count; i++) {
    m.points_mm[i][0] = self->pending[i].x;
    m.points_mm[i][1] = self->pending[i].y;
    m.points_mm[i][2] = self->pending[i].z;
  }
  abandon_measurement(self);
  vp_view_context_create_measurement(self->context, &m);
}

void vp_slice_widget_click(VpSliceWidget *self, double x, double y)
{
  g_return_if_fail(VP_IS_SLICE_WIDGET(self));
  if (!current_case(self))
    return;
  VpVec3 p = vp_slice_widget_point_at(self, x, y);
  VpMeasureTool tool = vp_view_context_get_tool(self->context);
  int needed = points_needed(tool);
  if (needed == 0) {
    vp_view_context_set_crosshair(self->context, p);
    return;
  }
  self->pending[self->pending_count++] = p;
  if (self->pending_count >= needed)
    finish_measurement(self, tool);
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

void vp_slice_widget_adjust_window_level(VpSliceWidget *self, double dx, double dy)
{
  g_return_if_fail(VP_IS_SLICE_WIDGET(self));
  VpWindowLevel wl = vp_view_context_get_window_level(self->context);
  vp_window_level_drag(&wl, dx, dy);
  vp_view_context_set_window_level(self->context, wl);
}

VpVec3 vp_slice_widget_point_at(VpSliceWidget *self, double x, double y)
{
  g_return_val_if_fail(VP_IS_SLICE_WIDGET(self), vp_vec3(0, 0, 0));
  return vp_slice_view_pixel_to_world(&self->view, x, y);
}

double vp_slice_widget_get_last_frame_ms(VpSliceWidget *self)
{
  g_return_val_if_fail(VP_IS_SLICE_WIDGET(self), 0);
  return self->last_frame_ms;
}

/* ---- Frame handles (the Anatomy step) ---- */

/* The frame whose handles take the pointer: the anatomy's while the step
 * shows it with its axes, or NULL. */
static const VpAnatomyFrame *handle_frame(VpSliceWidget *self)
{
  if (!self->context || !current_case(self) || !vp_view_context_get_anatomy_shown(self->context) ||
      !vp_view_context_get_show_frame_axes(self->context))
    return NULL;
  const VpAnatomy *anatomy = vp_view_context_get_anatomy(self->context);
  return anatomy ? &anatomy->frame : NULL;
}

int vp_slice_widget_frame_handle_at(VpSliceWidget *self, double x, double y)
{
  g_return_val_if_fail(VP_IS_SLICE_WIDGET(self), -1);
  const VpAnatomyFrame *frame = handle_frame(self);
  if (!frame)
    return -1;
  double xy[4][2];
  vp_anatomy_overlay_frame_handles(&self->view, frame, xy);
  int best = -1;
  double best_d = HANDLE_GRAB_PX;
  for (int h = 0; h < 4; h++) {
    double drawn = hypot(xy[h][0] - xy[0][0], xy[h][1] - xy[0][1]);
    if (h > 0 && drawn < HANDLE_MIN_IN_PLANE * VP_ANATOMY_AXIS_PX)
      continue;
    double d = hypot(x - xy[h][0], y - xy[h][1]);
    /* The origin wins a tie: it is the handle drawn under the others. */
    if (d < best_d || (h == 0 && d <= best_d)) {
      best = h;
      best_d = d;
    }
  }
  return best;
}

/* A vector turned by angle (radians) about the unit axis n (Rodrigues). */
static VpVec3 turn_about(VpVec3 v, VpVec3 n, double angle)
{
  double c = cos(angle), s = sin(angle);
  VpVec3 out = vp_vec3_add(vp_vec3_scale(v, c), vp_vec3_scale(vp_vec3_cross(n, v), s));
  return vp_vec3_add(out, vp_vec3_scale(n, vp_vec3_dot(n, v) * (1 - c)));
}

/* The frame the drag asks for: the frame it started from with its origin
 * moved by the pointer's move in the plane, or its axes turned about the
 * view's normal by the angle the pointer swept about the origin. */
static VpAnatomyFrame dragged_frame(VpSliceWidget *self, double off_x, double off_y)
{
  VpAnatomyFrame frame = self->drag_frame;
  VpVec3 from = vp_slice_widget_point_at(self, self->drag_start_x, self->drag_start_y);
  VpVec3 to = vp_slice_widget_point_at(self, self->drag_start_x + off_x, self->drag_start_y + off_y);
  if (self->drag_mode == DRAG_FRAME_ORIGIN) {
    frame.origin_mm = vp_vec3_add(frame.origin_mm, vp_vec3_sub(to, from));
    return frame;
  }
  double ox, oy;
  vp_slice_view_world_to_pixel(&self->view, frame.origin_mm, &ox, &oy, NULL);
  VpVec3 centre = vp_slice_widget_point_at(self, ox, oy); /* the origin on the plane */
  VpVec3 n = vp_slice_view_normal(&self->view);
  VpVec3 u0 = vp_vec3_sub(from, centre), u1 = vp_vec3_sub(to, centre);
  if (vp_vec3_length(u0) < 1e-9 || vp_vec3_length(u1) < 1e-9)
    return frame;
  double angle = atan2(vp_vec3_dot(n, vp_vec3_cross(u0, u1)), vp_vec3_dot(u0, u1));
  frame.left = vp_vec3_normalize(turn_about(frame.left, n, angle));
  frame.anterior = vp_vec3_normalize(turn_about(frame.anterior, n, angle));
  frame.superior = vp_vec3_normalize(turn_about(frame.superior, n, angle));
  return frame;
}

void vp_slice_widget_drag_begin(VpSliceWidget *self, double x, double y)
{
  g_return_if_fail(VP_IS_SLICE_WIDGET(self));
  self->drag_start_x = x;
  self->drag_start_y = y;
  self->drag_last_x = self->drag_last_y = 0;
  int handle = vp_slice_widget_frame_handle_at(self, x, y);
  if (handle >= 0) {
    self->drag_frame = *handle_frame(self);
    self->drag_mode = handle == 0 ? DRAG_FRAME_ORIGIN : DRAG_FRAME_TURN;
    return;
  }
  gboolean measuring = self->context && vp_view_context_get_tool(self->context) != VP_MEASURE_TOOL_NONE;
  self->drag_mode = measuring ? DRAG_NONE : DRAG_CROSSHAIR;
}

void vp_slice_widget_drag_update(VpSliceWidget *self, double off_x, double off_y)
{
  g_return_if_fail(VP_IS_SLICE_WIDGET(self));
  if (!isfinite(off_x) || !isfinite(off_y))
    return;
  double dx = off_x - self->drag_last_x, dy = off_y - self->drag_last_y;
  self->drag_last_x = off_x;
  self->drag_last_y = off_y;
  switch (self->drag_mode) {
  case DRAG_PAN:
    vp_slice_widget_pan(self, dx, dy);
    break;
  case DRAG_WINDOW:
    vp_slice_widget_adjust_window_level(self, dx, dy);
    break;
  case DRAG_CROSSHAIR:
    vp_view_context_set_crosshair(self->context,
                                  vp_slice_widget_point_at(self, self->drag_start_x + off_x,
                                                           self->drag_start_y + off_y));
    break;
  case DRAG_FRAME_ORIGIN:
  case DRAG_FRAME_TURN: {
    VpAnatomyFrame frame = dragged_frame(self, off_x, off_y);
    vp_view_context_drag_frame(self->context, &frame, FALSE);
    break;
  }
  case DRAG_NONE:
  default:
    break;
  }
}

void vp_slice_widget_drag_end(VpSliceWidget *self, double off_x, double off_y)
{
  g_return_if_fail(VP_IS_SLICE_WIDGET(self));
  DragMode mode = self->drag_mode;
  if (mode == DRAG_FRAME_ORIGIN || mode == DRAG_FRAME_TURN) {
    if (!isfinite(off_x) || !isfinite(off_y)) {
      off_x = self->drag_last_x;
      off_y = self->drag_last_y;
    }
    VpAnatomyFrame frame = dragged_frame(self, off_x, off_y);
    self->drag_mode = DRAG_NONE;
    vp_view_context_drag_frame(self->context, &frame, TRUE);
    return;
  }
  vp_slice_widget_drag_update(self, off_x, off_y);
  self->drag_mode = DRAG_NONE;
}
