/* The simulated fluoroscopy widget. The C-arm view is kept as the standard
 * view of the projection fitted to the case plus the user's rotation, tilt,
 * zoom and pan, so every image is recomputed from scratch and the angles
 * shown are exact. Radiographs are computed one at a time in a GTask thread;
 * a newer request cancels the one running and starts when it returns. */
#include "vp-fluoro-view.h"

#include <glib/gi18n.h>
#include <math.h>
#include <pango/pangocairo.h>

/* Full images are computed at the widget's device pixels, at most this many
 * per side: beyond that a radiograph costs more than it shows. */
#define FULL_MAX_SIDE_PX 1024
/* Before the widget has a size. */
#define DEFAULT_SIDE_PX 512
#define DEGREES_PER_DRAG_PX 0.3
#define MAX_TILT_DEG 90.0
#define FIT_MARGIN 0.08
#define DEFAULT_FOV_MM 200.0
#define ZOOM_STEP 1.15
#define ZOOM_MIN 0.2
#define ZOOM_MAX 20.0

/* One radiograph to compute. Owned by its GTask; the widget only points at
 * it while the task runs, and waits on `finished` before it may let the
 * volume go (the volume is borrowed from the context's case). */
typedef struct {
  GWeakRef owner;
  const VpVolume *volume;
  VpDrrView view;
  gboolean preview;
  guint64 generation;
  gint cancelled; /* atomic */

  GMutex lock;
  GCond finished_cond;
  gboolean finished;

  cairo_surface_t *image; /* result, ARGB32 of view's size */
  gboolean ok;
  VpError err;
  double ms;
} FluoroJob;

struct _VpFluoroView {
  GtkWidget parent_instance;

  VpViewContext *context;
  gulong context_handlers[4];
  VpDrrProjection projection;

  /* The C-arm: standard view at the compute size, then the user's changes. */
  VpDrrView standard;
  int compute_width, compute_height; /* 0 until the standard view is built */
  double rotation_deg, tilt_deg, zoom, pan_u_mm, pan_v_mm;
  VpDrrView view; /* composed from the above */

  /* Requests: the newest waits while a task runs. */
  guint64 latest_generation;
  gboolean has_pending, pending_preview;
  gboolean needs_image; /* a request came before the widget could compute */
  GTask *task;          /* running, or NULL */
  FluoroJob *job;       /* the running task's data */

  /* Shown. */
  cairo_surface_t *image;
  VpDrrView image_view;
  gboolean image_preview;
  guint64 image_generation;
  char *message; /* instead of an image: waiting or why there is none */
  double last_ms[2]; /* full, preview */

  gboolean dragging, panning;
  double drag_rotation_deg, drag_tilt_deg;
  double pan_last_x, pan_last_y;
  double pointer_x, pointer_y;
  gboolean pointer_inside;

  GtkWidget *spinner;
};

G_DEFINE_FINAL_TYPE(VpFluoroView, vp_fluoro_view, GTK_TYPE_WIDGET)

static void request_image(VpFluoroView *self, gboolean preview);

/* ---- Jobs ---- */

static FluoroJob *job_new(VpFluoroView *owner, const VpVolume *volume, const VpDrrView *view,
                          gboolean preview, guint64 generation)
{
  FluoroJob *job = g_new0(FluoroJob, 1);
  g_weak_ref_init(&job->owner, owner);
  job->volume = volume;
  job->view = *view;
  job->preview = preview;
  job->generation = generation;
  g_mutex_init(&job->lock);
  g_cond_init(&job->finished_cond);
  vp_error_clear(&job->err);
  return job;
}

static void job_free(gpointer data)
{
  FluoroJob *job = data;
  g_weak_ref_clear(&job->owner);
  g_mutex_clear(&job->lock);
  g_cond_clear(&job->finished_cond);
  if (job->image)
    cairo_surface_destroy(job->image);
  g_free(job);
}

static bool job_is_cancelled(void *user)
{
  FluoroJob *job = user;
  return g_atomic_int_get(&job->cancelled) != 0;
}

/* Blocks until the worker no longer reads the volume; cancelled work stops
 * at the next row, so this is a short wait. */
static void job_cancel_and_wait(FluoroJob *job)
{
  g_atomic_int_set(&job->cancelled, 1);
  g_mutex_lock(&job->lock);
  while (!job->finished)
    g_cond_wait(&job->finished_cond, &job->lock);
  g_mutex_unlock(&job->lock);
}

static gboolean job_render(FluoroJob *job, const VpDrrImage *drr)
{
  job->image = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, drr->width_px, drr->height_px);
  if (cairo_surface_status(job->image) != CAIRO_STATUS_SUCCESS)
    return vp_error_set(&job->err, VP_ERR_NOMEM, _("There is not enough memory for the radiograph."));
  VpDrrDisplay display;
  vp_drr_display_auto(drr, &display);
  return vp_drr_display_to_image(drr, &display, job->image, &job->err);
}

/* Worker thread: the line integrals and their grey levels, nothing of GTK. */
static void job_run(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  FluoroJob *job = data;
  gint64 start = g_get_monotonic_time();
  VpProgress progress = {.cancelled = job_is_cancelled, .user = job};
  VpDrrOptions options = vp_drr_options_default();
  options.progress = &progress;
  VpDrrImage drr = {0};
  gboolean ok = vp_drr_compute(job->volume, &job->view, &options, &drr, &job->err);
  g_mutex_lock(&job->lock);
  job->finished = TRUE; /* the volume is not read after this */
  g_cond_broadcast(&job->finished_cond);
  g_mutex_unlock(&job->lock);
  job->ok = ok && job_render(job, &drr);
  vp_drr_image_clear(&drr);
  job->ms = (g_get_monotonic_time() - start) / 1000.0;
  g_task_return_boolean(task, job->ok);
}

/* ---- View state ---- */

static const char *projection_name(VpDrrProjection projection)
{
  return projection == VP_DRR_AP ? _("AP") : _("Lateral");
}

static void set_message(VpFluoroView *self, const char *message)
{
  if (g_strcmp0(self->message, message) == 0)
    return;
  g_free(self->message);
  self->message = g_strdup(message);
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

static void clear_image(VpFluoroView *self)
{
  g_clear_pointer(&self->image, cairo_surface_destroy);
  self->image_preview = FALSE;
  self->image_generation = 0;
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

static void update_spinner(VpFluoroView *self)
{
  gboolean busy = self->task != NULL ||
                  (self->context && vp_view_context_is_fluoro_volume_pending(self->context));
  /* Only spinning, not shown and hidden: that would need a new allocation. */
  gtk_spinner_set_spinning(GTK_SPINNER(self->spinner), busy);
}

/* The compute size: device pixels of the widget, capped, same aspect. */
static void compute_size(VpFluoroView *self, int *width, int *height)
{
  GtkWidget *widget = GTK_WIDGET(self);
  int scale = gtk_widget_get_scale_factor(widget);
  double w = gtk_widget_get_width(widget) * (double)scale;
  double h = gtk_widget_get_height(widget) * (double)scale;
  if (w < 1 || h < 1)
    w = h = DEFAULT_SIDE_PX;
  double k = fmin(1.0, FULL_MAX_SIDE_PX / fmax(w, h));
  *width = MAX(1, (int)lround(w * k));
  *height = MAX(1, (int)lround(h * k));
}

static void compose_view(VpFluoroView *self)
{
  const VpViewFrame *frame = self->context ? vp_view_context_get_frame(self->context) : NULL;
  VpVec3 superior = frame ? frame->superior : vp_vec3(0, 0, 1);
  VpDrrView v = self->standard;
  vp_drr_view_rotate(&v, superior, self->rotation_deg * VP_PI / 180.0);
  vp_drr_view_rotate(&v, v.u, self->tilt_deg * VP_PI / 180.0);
  v.mm_per_px /= self->zoom;
  v.center_mm = vp_vec3_add(v.center_mm, vp_vec3_add(vp_vec3_scale(v.u, self->pan_u_mm),
                                                      vp_vec3_scale(v.v, self->pan_v_mm)));
  self->view = v;
}

/* The standard view of the projection at the current size, fitted to the case. */
static void build_standard_view(VpFluoroView *self)
{
  compute_size(self, &self->compute_width, &self->compute_height);
  VpBox3 bounds = self->context ? vp_view_context_get_bounds(self->context) : vp_box3_empty();
  const VpViewFrame *context_frame = self->context ? vp_view_context_get_frame(self->context) : NULL;
  VpViewFrame frame = context_frame ? *context_frame
                                    : vp_view_frame_world(vp_box3_is_empty(bounds)
                                                              ? vp_vec3(0, 0, 0)
                                                              : vp_box3_center(bounds));
  VpVec3 size = vp_box3_is_empty(bounds) ? vp_vec3(0, 0, 0) : vp_box3_size(bounds);
  double fov = fmax(size.x, fmax(size.y, size.z));
  if (!(fov > 0.0) || !isfinite(fov))
    fov = DEFAULT_FOV_MM;
  VpError err;
  if (!vp_drr_view_init(&self->standard, self->projection, &frame, self->compute_width,
                        self->compute_height, fov, &err)) {
    g_warning("The fluoroscopy view could not be set up: %s", err.message);
    return;
  }
  vp_drr_view_fit_box(&self->standard, bounds, FIT_MARGIN);
  compose_view(self);
}

static void reset_user_changes(VpFluoroView *self)
{
  self->rotation_deg = self->tilt_deg = 0.0;
  self->pan_u_mm = self->pan_v_mm = 0.0;
  self->zoom = 1.0;
  self->dragging = self->panning = FALSE;
}

static gboolean can_compute_now(VpFluoroView *self)
{
  GtkWidget *widget = GTK_WIDGET(self);
  return gtk_widget_get_mapped(widget) && gtk_widget_get_width(widget) > 0 &&
         gtk_widget_get_height(widget) > 0;
}

/* ---- Requests ---- */

static void on_job_done(GObject *source, GAsyncResult *result, gpointer user_data);

static void start_pending(VpFluoroView *self)
{
  self->has_pending = FALSE;
  const VpVolume *volume = vp_view_context_get_fluoro_volume(self->context);
  if (!volume) {
    update_spinner(self);
    return;
  }
  VpDrrView view = self->pending_preview ? vp_drr_view_reduced(&self->view, VP_FLUORO_PREVIEW_FACTOR)
                                         : self->view;
  FluoroJob *job = job_new(self, volume, &view, self->pending_preview, self->latest_generation);
  GTask *task = g_task_new(NULL, NULL, on_job_done, NULL);
  g_task_set_task_data(task, job, job_free);
  g_task_set_name(task, "vp-fluoro-view");
  self->task = task; /* our reference, dropped when it returns */
  self->job = job;
  g_task_run_in_thread(task, job_run);
  update_spinner(self);
}

/* What to show while no radiograph can be requested. */
static gboolean volume_available(VpFluoroView *self)
{
  if (!self->context || !vp_view_context_get_case(self->context)) {
    set_message(self, NULL);
    clear_image(self);
    return FALSE;
  }
  if (vp_view_context_get_fluoro_volume(self->context)) {
    set_message(self, NULL);
    return TRUE;
  }
  const char *error = vp_view_context_get_fluoro_error(self->context);
  if (vp_view_context_is_fluoro_volume_pending(self->context) || !error)
    set_message(self, _("Preparing the radiograph…"));
  else
    set_message(self, error);
  clear_image(self);
  update_spinner(self);
  return FALSE;
}

static void request_image(VpFluoroView *self, gboolean preview)
{
  self->latest_generation++;
  if (!can_compute_now(self)) {
    self->needs_image = TRUE;
    return;
  }
  self->needs_image = FALSE;
  if (!volume_available(self))
    return;
  self->has_pending = TRUE;
  self->pending_preview = preview;
  gtk_widget_queue_draw(GTK_WIDGET(self)); /* the label may say "preview" now */
  if (self->task) {
    /* A preview running during a drag still shows the motion: let it end. */
    if (!(preview && self->job->preview))
      g_atomic_int_set(&self->job->cancelled, 1);
    return;
  }
  start_pending(self);
}

static void show_result(VpFluoroView *self, FluoroJob *job)
{
  self->last_ms[job->preview ? 1 : 0] = job->ms;
  /* Stale full images show a view the user has left; stale previews still
   * follow the drag and are replaced soon. */
  gboolean stale = job->generation != self->latest_generation;
  if (stale && (!job->preview || job->generation < self->image_generation))
    return;
  if (self->image)
    cairo_surface_destroy(self->image);
  self->image = g_steal_pointer(&job->image);
  self->image_view = job->view;
  self->image_preview = job->preview;
  self->image_generation = job->generation;
  set_message(self, NULL);
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

static void on_job_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = G_TASK(result);
  FluoroJob *job = g_task_get_task_data(task);
  g_autoptr(VpFluoroView) self = g_weak_ref_get(&job->owner);
  if (!self || self->task != task)
    return; /* disposed, or forgotten when the case changed */
  self->task = NULL;
  self->job = NULL;
  if (job->ok)
    show_result(self, job);
  else if (job->err.code != VP_ERR_CANCELLED && job->generation == self->latest_generation)
    set_message(self, job->err.message);
  if (self->has_pending)
    start_pending(self);
  update_spinner(self);
  g_object_unref(task);
}

/* Stops the running task before its volume may go away; its result is dropped. */
static void forget_running_task(VpFluoroView *self)
{
  self->has_pending = FALSE;
  if (!self->task)
    return;
  job_cancel_and_wait(self->job);
  self->job = NULL;
  g_clear_object(&self->task);
  update_spinner(self);
}

/* ---- Context signals ---- */

static void on_case_changed(VpViewContext *context, VpFluoroView *self)
{
  forget_running_task(self);
  clear_image(self);
  reset_user_changes(self);
  build_standard_view(self);
  request_image(self, FALSE);
}

static void on_frame_changed(VpViewContext *context, VpFluoroView *self)
{
  reset_user_changes(self);
  build_standard_view(self);
  request_image(self, FALSE);
}

static void on_fluoro_volume_ready(VpViewContext *context, VpFluoroView *self)
{
  request_image(self, FALSE);
  update_spinner(self);
}

static void on_style_changed(VpViewContext *context, VpFluoroView *self)
{
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

/* ---- Public API ---- */

GtkWidget *vp_fluoro_view_new(VpViewContext *context, VpDrrProjection projection)
{
  g_return_val_if_fail(VP_IS_VIEW_CONTEXT(context), NULL);
  VpFluoroView *self = g_object_new(VP_TYPE_FLUORO_VIEW, NULL);
  self->context = g_object_ref(context);
  self->projection = projection;
  self->context_handlers[0] =
      g_signal_connect(context, "case-changed", G_CALLBACK(on_case_changed), self);
  self->context_handlers[1] =
      g_signal_connect(context, "frame-changed", G_CALLBACK(on_frame_changed), self);
  self->context_handlers[2] =
      g_signal_connect(context, "fluoro-volume-ready", G_CALLBACK(on_fluoro_volume_ready), self);
  self->context_handlers[3] =
      g_signal_connect(context, "style-changed", G_CALLBACK(on_style_changed), self);
  gtk_accessible_update_property(GTK_ACCESSIBLE(self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                 projection == VP_DRR_AP ? _("Fluoroscopy AP")
                                                         : _("Fluoroscopy lateral"),
                                 -1);
  build_standard_view(self);
  request_image(self, FALSE);
  return GTK_WIDGET(self);
}

VpDrrProjection vp_fluoro_view_get_projection(VpFluoroView *self)
{
  g_return_val_if_fail(VP_IS_FLUORO_VIEW(self), VP_DRR_AP);
  return self->projection;
}

void vp_fluoro_view_set_projection(VpFluoroView *self, VpDrrProjection projection)
{
  g_return_if_fail(VP_IS_FLUORO_VIEW(self));
  self->projection = projection;
  reset_user_changes(self);
  build_standard_view(self);
  request_image(self, FALSE);
}

const VpDrrView *vp_fluoro_view_get_view(VpFluoroView *self)
{
  g_return_val_if_fail(VP_IS_FLUORO_VIEW(self), NULL);
  return &self->view;
}

gboolean vp_fluoro_view_is_ready(VpFluoroView *self)
{
  g_return_val_if_fail(VP_IS_FLUORO_VIEW(self), FALSE);
  return self->image && !self->image_preview && self->image_generation == self->latest_generation;
}

gboolean vp_fluoro_view_is_preview(VpFluoroView *self)
{
  g_return_val_if_fail(VP_IS_FLUORO_VIEW(self), FALSE);
  return self->image && self->image_preview;
}

cairo_surface_t *vp_fluoro_view_get_image(VpFluoroView *self)
{
  g_return_val_if_fail(VP_IS_FLUORO_VIEW(self), NULL);
  return self->image;
}

const VpDrrView *vp_fluoro_view_get_image_view(VpFluoroView *self)
{
  g_return_val_if_fail(VP_IS_FLUORO_VIEW(self), NULL);
  return self->image ? &self->image_view : NULL;
}

const char *vp_fluoro_view_get_message(VpFluoroView *self)
{
  g_return_val_if_fail(VP_IS_FLUORO_VIEW(self), NULL);
  return self->message;
}

double vp_fluoro_view_get_rotation_deg(VpFluoroView *self)
{
  g_return_val_if_fail(VP_IS_FLUORO_VIEW(self), 0.0);
  return self->rotation_deg;
}

double vp_fluoro_view_get_tilt_deg(VpFluoroView *self)
{
  g_return_val_if_fail(VP_IS_FLUORO_VIEW(self), 0.0);
  return self->tilt_deg;
}

void vp_fluoro_view_drag_begin(VpFluoroView *self)
{
  g_return_if_fail(VP_IS_FLUORO_VIEW(self));
  self->dragging = TRUE;
  self->drag_rotation_deg = self->rotation_deg;
  self->drag_tilt_deg = self->tilt_deg;
}

void vp_fluoro_view_drag_update(VpFluoroView *self, double dx, double dy)
{
  g_return_if_fail(VP_IS_FLUORO_VIEW(self));
  if (!self->dragging || !isfinite(dx) || !isfinite(dy))
    return;
  self->rotation_deg = remainder(self->drag_rotation_deg + dx * DEGREES_PER_DRAG_PX, 360.0);
  self->tilt_deg =
      CLAMP(self->drag_tilt_deg + dy * DEGREES_PER_DRAG_PX, -MAX_TILT_DEG, MAX_TILT_DEG);
  compose_view(self);
  request_image(self, TRUE);
}

void vp_fluoro_view_drag_end(VpFluoroView *self)
{
  g_return_if_fail(VP_IS_FLUORO_VIEW(self));
  if (!self->dragging)
    return;
  self->dragging = FALSE;
  request_image(self, FALSE);
}

/* Widget pixels to mm on the isocentre plane. */
static double logical_mm_per_px(VpFluoroView *self)
{
  int width = gtk_widget_get_width(GTK_WIDGET(self));
  return width > 0 ? self->view.mm_per_px * self->view.width_px / width : self->view.mm_per_px;
}

/* factor > 1 zooms in; what is under widget pixel (x, y) stays there. */
void vp_fluoro_view_zoom_at(VpFluoroView *self, double factor, double x, double y)
{
  g_return_if_fail(VP_IS_FLUORO_VIEW(self));
  if (!(factor > 0.0) || !isfinite(factor))
    return;
  double zoom = CLAMP(self->zoom * factor, ZOOM_MIN, ZOOM_MAX);
  factor = zoom / self->zoom;
  double mm_per_px = logical_mm_per_px(self);
  double ox = x - gtk_widget_get_width(GTK_WIDGET(self)) / 2.0;
  double oy = gtk_widget_get_height(GTK_WIDGET(self)) / 2.0 - y;
  self->pan_u_mm += ox * mm_per_px * (1.0 - 1.0 / factor);
  self->pan_v_mm += oy * mm_per_px * (1.0 - 1.0 / factor);
  self->zoom = zoom;
  compose_view(self);
  request_image(self, FALSE);
}

/* Moves the picture with the pointer by (dx, dy) widget pixels. */
void vp_fluoro_view_pan(VpFluoroView *self, double dx, double dy, gboolean preview)
{
  g_return_if_fail(VP_IS_FLUORO_VIEW(self));
  double mm_per_px = logical_mm_per_px(self);
  self->pan_u_mm -= dx * mm_per_px;
  self->pan_v_mm += dy * mm_per_px;
  compose_view(self);
  request_image(self, preview);
}

void vp_fluoro_view_reset(VpFluoroView *self)
{
  g_return_if_fail(VP_IS_FLUORO_VIEW(self));
  reset_user_changes(self);
  compose_view(self);
  request_image(self, FALSE);
}

double vp_fluoro_view_get_last_compute_ms(VpFluoroView *self, gboolean preview)
{
  g_return_val_if_fail(VP_IS_FLUORO_VIEW(self), 0.0);
  return self->last_ms[preview ? 1 : 0];
}

/* ---- Gestures ---- */

static void on_rotate_drag_begin(GtkGestureDrag *gesture, double x, double y, VpFluoroView *self)
{
  gtk_widget_grab_focus(GTK_WIDGET(self));
  vp_fluoro_view_drag_begin(self);
  gtk_widget_set_cursor_from_name(GTK_WIDGET(self), "grabbing");
}

static void on_rotate_drag_update(GtkGestureDrag *gesture, double dx, double dy,
                                  VpFluoroView *self)
{
  vp_fluoro_view_drag_update(self, dx, dy);
}

static void on_rotate_drag_end(GtkGestureDrag *gesture, double dx, double dy, VpFluoroView *self)
{
  vp_fluoro_view_drag_end(self);
  gtk_widget_set_cursor(GTK_WIDGET(self), NULL);
}

static void on_pan_drag_begin(GtkGestureDrag *gesture, double x, double y, VpFluoroView *self)
{
  self->panning = TRUE;
  self->pan_last_x = self->pan_last_y = 0.0;
  gtk_widget_set_cursor_from_name(GTK_WIDGET(self), "move");
}

static void on_pan_drag_update(GtkGestureDrag *gesture, double dx, double dy, VpFluoroView *self)
{
  vp_fluoro_view_pan(self, dx - self->pan_last_x, dy - self->pan_last_y, TRUE);
  self->pan_last_x = dx;
  self->pan_last_y = dy;
}

static void on_pan_drag_end(GtkGestureDrag *gesture, double dx, double dy, VpFluoroView *self)
{
  self->panning = FALSE;
  request_image(self, FALSE);
  gtk_widget_set_cursor(GTK_WIDGET(self), NULL);
}

static void on_click_pressed(GtkGestureClick *gesture, int n_press, double x, double y,
                             VpFluoroView *self)
{
  gtk_widget_grab_focus(GTK_WIDGET(self));
  if (n_press == 2)
    vp_fluoro_view_reset(self);
}

static void on_motion(GtkEventControllerMotion *motion, double x, double y, VpFluoroView *self)
{
  self->pointer_x = x;
  self->pointer_y = y;
  self->pointer_inside = TRUE;
}

static void on_leave(GtkEventControllerMotion *motion, VpFluoroView *self)
{
  self->pointer_inside = FALSE;
}

/* Only Ctrl+wheel zooms, as in the slice views; the plain wheel is left to
 * whatever contains the view. */
static gboolean on_scroll(GtkEventControllerScroll *scroll, double dx, double dy,
                          VpFluoroView *self)
{
  GdkModifierType state =
      gtk_event_controller_get_current_event_state(GTK_EVENT_CONTROLLER(scroll));
  if (!(state & GDK_CONTROL_MASK))
    return FALSE;
  GtkWidget *widget = GTK_WIDGET(self);
  double x = self->pointer_inside ? self->pointer_x : gtk_widget_get_width(widget) / 2.0;
  double y = self->pointer_inside ? self->pointer_y : gtk_widget_get_height(widget) / 2.0;
  vp_fluoro_view_zoom_at(self, pow(ZOOM_STEP, -dy), x, y);
  return TRUE;
}

static GtkGesture *add_drag(VpFluoroView *self, guint button, GCallback begin, GCallback update,
                            GCallback end)
{
  GtkGesture *drag = gtk_gesture_drag_new();
  gtk_gesture_single_set_button(GTK_GESTURE_SINGLE(drag), button);
  g_signal_connect(drag, "drag-begin", begin, self);
  g_signal_connect(drag, "drag-update", update, self);
  g_signal_connect(drag, "drag-end", end, self);
  gtk_widget_add_controller(GTK_WIDGET(self), GTK_EVENT_CONTROLLER(drag));
  return drag;
}

static void add_controllers(VpFluoroView *self)
{
  GtkWidget *widget = GTK_WIDGET(self);
  GtkGesture *click = gtk_gesture_click_new();
  g_signal_connect(click, "pressed", G_CALLBACK(on_click_pressed), self);
  gtk_widget_add_controller(widget, GTK_EVENT_CONTROLLER(click));

  add_drag(self, GDK_BUTTON_PRIMARY, G_CALLBACK(on_rotate_drag_begin),
           G_CALLBACK(on_rotate_drag_update), G_CALLBACK(on_rotate_drag_end));
  add_drag(self, GDK_BUTTON_MIDDLE, G_CALLBACK(on_pan_drag_begin), G_CALLBACK(on_pan_drag_update),
           G_CALLBACK(on_pan_drag_end));

  GtkEventController *motion = gtk_event_controller_motion_new();
  g_signal_connect(motion, "enter", G_CALLBACK(on_motion), self);
  g_signal_connect(motion, "motion", G_CALLBACK(on_motion), self);
  g_signal_connect(motion, "leave", G_CALLBACK(on_leave), self);
  gtk_widget_add_controller(widget, motion);

  GtkEventController *scroll = gtk_event_controller_scroll_new(GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
  g_signal_connect(scroll, "scroll", G_CALLBACK(on_scroll), self);
  gtk_widget_add_controller(widget, scroll);
}

static void action_reset(GtkWidget *widget, const char *name, GVariant *param)
{
  vp_fluoro_view_reset(VP_FLUORO_VIEW(widget));
}

/* ---- Drawing ---- */

/* The shown image's view stretched over the widget, for overlays in widget pixels. */
static VpDrrView widget_view(const VpDrrView *view, int width, int height)
{
  VpDrrView w = *view;
  w.mm_per_px = view->mm_per_px * view->width_px / width;
  w.width_px = width;
  w.height_px = height;
  return w;
}

static char *format_degrees(double deg)
{
  char number[G_ASCII_DTOSTR_BUF_SIZE];
  g_ascii_formatd(number, sizeof number, "%.0f", fabs(deg) < 0.5 ? 0.0 : deg);
  return g_strdup(number);
}

/* "AP", "Lateral · preview", and the C-arm's angles once it is turned. */
static char *corner_text(VpFluoroView *self)
{
  GString *text = g_string_new(projection_name(self->projection));
  if (self->image && self->image_preview)
    /* Translators: appended to "AP" or "Lateral" while a reduced image is shown. */
    g_string_append_printf(text, " · %s", _("preview"));
  if (fabs(self->rotation_deg) >= 0.5 || fabs(self->tilt_deg) >= 0.5) {
    g_autofree char *rotation = format_degrees(self->rotation_deg);
    g_autofree char *tilt = format_degrees(self->tilt_deg);
    g_string_append_c(text, '\n');
    /* Translators: the C-arm turned about the patient's long axis and tilted
     * towards the head or feet, in degrees. */
    g_string_append_printf(text, _("Rotation %s°, tilt %s°"), rotation, tilt);
  }
  return g_string_free(text, FALSE);
}

static void draw_text(GtkWidget *widget, cairo_t *cr, const char *text, double x, double y,
                      double text_px, const double rgb[3], gboolean centred)
{
  PangoLayout *layout = gtk_widget_create_pango_layout(widget, text);
  PangoFontDescription *font = pango_font_description_from_string("Sans Bold");
  pango_font_description_set_absolute_size(font, MAX(8.0, text_px * 1.4) * PANGO_SCALE);
  pango_layout_set_font_description(layout, font);
  pango_font_description_free(font);
  int tw, th;
  pango_layout_get_pixel_size(layout, &tw, &th);
  if (centred) {
    pango_layout_set_alignment(layout, PANGO_ALIGN_CENTER);
    x -= tw / 2.0;
    y -= th / 2.0;
  }
  cairo_set_source_rgba(cr, 0, 0, 0, 0.55);
  cairo_rectangle(cr, x - 4, y - 2, tw + 8, th + 4);
  cairo_fill(cr);
  cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
  cairo_move_to(cr, x, y);
  pango_cairo_show_layout(cr, layout);
  g_object_unref(layout);
}

static void vp_fluoro_view_snapshot(GtkWidget *widget, GtkSnapshot *snapshot)
{
  VpFluoroView *self = VP_FLUORO_VIEW(widget);
  int width = gtk_widget_get_width(widget), height = gtk_widget_get_height(widget);
  if (width <= 0 || height <= 0)
    return;
  VpSliceStyle style;
  if (self->context)
    vp_view_context_get_style(self->context, &style);
  else
    vp_slice_style_default(&style);

  graphene_rect_t bounds;
  graphene_rect_init(&bounds, 0, 0, (float)width, (float)height);
  cairo_t *cr = gtk_snapshot_append_cairo(snapshot, &bounds);
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_paint(cr);
  if (self->image) {
    VpDrrView shown = widget_view(&self->image_view, width, height);
    VpSliceView plane = vp_slice_view_from_drr(&shown);
    vp_slice_draw_image(cr, &plane, self->image);
    vp_fluoro_draw_overlays(cr, &shown, &style);
  }
  if (self->context && vp_view_context_get_case(self->context)) {
    g_autofree char *corner = corner_text(self);
    draw_text(widget, cr, corner, 8, 6, style.text_px, style.text_rgb, FALSE);
  }
  if (self->message)
    draw_text(widget, cr, self->message, width / 2.0, height / 2.0, style.text_px,
              style.text_rgb, TRUE);
  cairo_destroy(cr);
  gtk_widget_snapshot_child(widget, self->spinner, snapshot);
}

/* ---- GtkWidget ---- */

static void vp_fluoro_view_measure(GtkWidget *widget, GtkOrientation orientation, int for_size,
                                   int *minimum, int *natural, int *minimum_baseline,
                                   int *natural_baseline)
{
  *minimum = 32;
  *natural = 256;
}

static void vp_fluoro_view_size_allocate(GtkWidget *widget, int width, int height, int baseline)
{
  VpFluoroView *self = VP_FLUORO_VIEW(widget);
  int min, nat;
  gtk_widget_measure(self->spinner, GTK_ORIENTATION_HORIZONTAL, -1, &min, &nat, NULL, NULL);
  int side = MAX(nat, 16), margin = 8;
  gtk_widget_size_allocate(self->spinner,
                           &(GtkAllocation){MAX(0, width - side - margin), margin, side, side}, -1);
  int cw, ch;
  compute_size(self, &cw, &ch);
  if (cw != self->compute_width || ch != self->compute_height) {
    build_standard_view(self);
    request_image(self, FALSE);
  } else if (self->needs_image) {
    request_image(self, FALSE);
  }
}

static void vp_fluoro_view_map(GtkWidget *widget)
{
  VpFluoroView *self = VP_FLUORO_VIEW(widget);
  GTK_WIDGET_CLASS(vp_fluoro_view_parent_class)->map(widget);
  if (self->needs_image && can_compute_now(self))
    request_image(self, FALSE);
}

static void vp_fluoro_view_dispose(GObject *object)
{
  VpFluoroView *self = VP_FLUORO_VIEW(object);
  forget_running_task(self);
  if (self->context) {
    for (gsize i = 0; i < G_N_ELEMENTS(self->context_handlers); i++)
      g_clear_signal_handler(&self->context_handlers[i], self->context);
    g_clear_object(&self->context);
  }
  g_clear_pointer(&self->spinner, gtk_widget_unparent);
  g_clear_pointer(&self->image, cairo_surface_destroy);
  g_clear_pointer(&self->message, g_free);
  G_OBJECT_CLASS(vp_fluoro_view_parent_class)->dispose(object);
}

static void vp_fluoro_view_class_init(VpFluoroViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
  object_class->dispose = vp_fluoro_view_dispose;
  widget_class->snapshot = vp_fluoro_view_snapshot;
  widget_class->measure = vp_fluoro_view_measure;
  widget_class->size_allocate = vp_fluoro_view_size_allocate;
  widget_class->map = vp_fluoro_view_map;

  gtk_widget_class_install_action(widget_class, "fluoro.reset", NULL, action_reset);
  gtk_widget_class_add_binding_action(widget_class, GDK_KEY_r, 0, "fluoro.reset", NULL);
  gtk_widget_class_add_binding_action(widget_class, GDK_KEY_R, GDK_SHIFT_MASK, "fluoro.reset",
                                      NULL);
  gtk_widget_class_set_css_name(widget_class, "fluoroview");
  gtk_widget_class_set_accessible_role(widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void vp_fluoro_view_init(VpFluoroView *self)
{
  reset_user_changes(self);
  self->spinner = gtk_spinner_new();
  gtk_widget_set_parent(self->spinner, GTK_WIDGET(self));
  gtk_widget_set_focusable(GTK_WIDGET(self), TRUE);
  gtk_widget_set_hexpand(GTK_WIDGET(self), TRUE);
  gtk_widget_set_vexpand(GTK_WIDGET(self), TRUE);
  add_controllers(self);
}
