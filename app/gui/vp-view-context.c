/* The view state every view of the workspace shares (see vp-view-context.h),
 * and the synthetic CT for fluoroscopy of surface-only cases, made in a
 * worker thread from a copy of the surface. */
#include "vp-view-context.h"

#include "vp-anatomy-overlay.h"

#include <glib/gi18n.h>
#include <math.h>

/* Half the length of the default oblique line, in mm. */
#define DEFAULT_OBLIQUE_HALF_MM 40.0
/* Presentation mode: how much thicker lines and larger text get. */
#define PRESENTATION_LINE_SCALE 2.0
#define PRESENTATION_TEXT_SCALE 1.6

struct _VpViewContext {
  GObject parent_instance;

  const VpCase *c; /* borrowed */
  VpBox3 bounds;
  VpViewFrame frame;
  VpVec3 crosshair;
  VpWindowLevel window;
  VpPlanMeasurement *measurements;
  gsize measurement_count;
  VpMeasureTool tool;
  VpVec3 oblique_a, oblique_b;
  gboolean presentation;
  const VpAnatomy *anatomy; /* borrowed */
  guint anatomy_parts;
  gboolean show_frame_axes;
  gboolean anatomy_shown;

  /* Fluoroscopy volume of a case without CT. fluoro_serial changes with
   * every case, so a worker that finishes for an older one is ignored. */
  VpVolume *synthetic_ct;
  char *fluoro_error;
  gboolean fluoro_pending;
  guint fluoro_serial;
};

G_DEFINE_FINAL_TYPE(VpViewContext, vp_view_context, G_TYPE_OBJECT)

enum {
  SIGNAL_CASE_CHANGED,
  SIGNAL_FRAME_CHANGED,
  SIGNAL_CROSSHAIR_CHANGED,
  SIGNAL_WINDOW_LEVEL_CHANGED,
  SIGNAL_MEASUREMENTS_CHANGED,
  SIGNAL_MEASUREMENT_CREATED,
  SIGNAL_OBLIQUE_CHANGED,
  SIGNAL_STYLE_CHANGED,
  SIGNAL_FLUORO_VOLUME_READY,
  SIGNAL_ANATOMY_CHANGED,
  SIGNAL_FRAME_DRAGGED,
  N_SIGNALS,
};

static guint signals[N_SIGNALS];

enum {
  PROP_0,
  PROP_TOOL,
  PROP_PRESENTATION,
  N_PROPS,
};

static GParamSpec *props[N_PROPS];

/* ---- Fluoroscopy volume ---- */

/* Forgets the synthetic CT and any pending result: the case changed. */
static void drop_fluoro_volume(VpViewContext *self)
{
  self->fluoro_serial++;
  g_clear_pointer(&self->synthetic_ct, vp_volume_free);
  g_clear_pointer(&self->fluoro_error, g_free);
  self->fluoro_pending = FALSE;
}

typedef struct SyntheticJob {
  VpMesh *surface; /* a copy: the case may be freed while the worker runs */
  guint serial;
} SyntheticJob;

static void synthetic_job_free(SyntheticJob *job)
{
  vp_mesh_free(job->surface);
  g_free(job);
}

static void make_synthetic_ct(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  (void)source;
  (void)cancellable;
  SyntheticJob *job = data;
  VpError err;
  vp_error_clear(&err);
  VpVolume *ct = vp_synthetic_ct_from_mesh(job->surface, NULL, &err);
  if (ct) {
    g_task_return_pointer(task, ct, (GDestroyNotify)vp_volume_free);
    return;
  }
  g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s",
                          err.message[0] ? err.message
                                         : _("The simulated CT could not be made from the surface."));
}

/* On the main loop: keeps the result if the case is still the one it was
 * made for. */
static void synthetic_ct_done(GObject *source, GAsyncResult *result, gpointer data)
{
  (void)data;
  VpViewContext *self = VP_VIEW_CONTEXT(source);
  SyntheticJob *job = g_task_get_task_data(G_TASK(result));
  g_autoptr(GError) error = NULL;
  VpVolume *ct = g_task_propagate_pointer(G_TASK(result), &error);
  if (job->serial != self->fluoro_serial) {
    vp_volume_free(ct);
    return;
  }
  self->fluoro_pending = FALSE;
  self->synthetic_ct = ct;
  if (!ct)
    self->fluoro_error = g_strdup(error ? error->message : "");
  g_signal_emit(self, signals[SIGNAL_FLUORO_VOLUME_READY], 0);
}

static void start_synthetic_ct(VpViewContext *self)
{
  VpError err;
  vp_error_clear(&err);
  VpMesh *copy = self->c->surface ? vp_mesh_clone(self->c->surface, &err) : NULL;
  if (!copy) {
    self->fluoro_error = g_strdup(err.message[0] ? err.message : _("The case has no surface."));
    return;
  }
  SyntheticJob *job = g_new0(SyntheticJob, 1);
  job->surface = copy;
  job->serial = self->fluoro_serial;
  /* The task holds a reference on the context until it returns. */
  g_autoptr(GTask) task = g_task_new(self, NULL, synthetic_ct_done, NULL);
  g_task_set_task_data(task, job, (GDestroyNotify)synthetic_job_free);
  g_task_set_name(task, "vp-synthetic-ct");
  self->fluoro_pending = TRUE;
  g_task_run_in_thread(task, make_synthetic_ct);
}

const VpVolume *vp_view_context_get_fluoro_volume(VpViewContext *self)
{
  g_return_val_if_fail(VP_IS_VIEW_CONTEXT(self), NULL);
  if (!self->c)
    return NULL;
  if (self->c->ct)
    return self->c->ct;
  if (!self->synthetic_ct && !self->fluoro_error && !self->fluoro_pending)
    start_synthetic_ct(self);
  return self->synthetic_ct;
}

const char *vp_view_context_get_fluoro_error(VpViewContext *self)
{
  g_return_val_if_fail(VP_IS_VIEW_CONTEXT(self), NULL);
  return self->fluoro_error;
}

gboolean vp_view_context_is_fluoro_volume_pending(VpViewContext *self)
{
  g_return_val_if_fail(VP_IS_VIEW_CONTEXT(self), FALSE);
  return self->fluoro_pending;
}

/* ---- GObject ---- */

static void vp_view_context_get_property(GObject *object, guint prop_id, GValue *value,
                                         GParamSpec *pspec)
{
  VpViewContext *self = VP_VIEW_CONTEXT(object);
  switch (prop_id) {
  case PROP_TOOL:
    g_value_set_int(value, (int)self->tool);
    break;
  case PROP_PRESENTATION:
    g_value_set_boolean(value, self->presentation);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
  }
}

static void vp_view_context_set_property(GObject *object, guint prop_id, const GValue *value,
                                         GParamSpec *pspec)
{
  VpViewContext *self = VP_VIEW_CONTEXT(object);
  switch (prop_id) {
  case PROP_TOOL:
    vp_view_context_set_tool(self, (VpMeasureTool)g_value_get_int(value));
    break;
  case PROP_PRESENTATION:
    vp_view_context_set_presentation(self, g_value_get_boolean(value));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
  }
}

static void vp_view_context_finalize(GObject *object)
{
  VpViewContext *self = VP_VIEW_CONTEXT(object);
  drop_fluoro_volume(self);
  g_free(self->measurements);
  G_OBJECT_CLASS(vp_view_context_parent_class)->finalize(object);
}

static guint new_signal(GObjectClass *object_class, const char *name)
{
  return g_signal_new(name, G_TYPE_FROM_CLASS(object_class), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 0);
}

static void vp_view_context_class_init(VpViewContextClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  object_class->get_property = vp_view_context_get_property;
  object_class->set_property = vp_view_context_set_property;
  object_class->finalize = vp_view_context_finalize;

  props[PROP_TOOL] = g_param_spec_int("tool", NULL, NULL, VP_MEASURE_TOOL_NONE,
                                      VP_MEASURE_TOOL_ANGLE, VP_MEASURE_TOOL_NONE,
                                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                                          G_PARAM_STATIC_STRINGS);
  props[PROP_PRESENTATION] = g_param_spec_boolean("presentation", NULL, NULL, FALSE,
                                                  G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                                                      G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties(object_class, N_PROPS, props);

  signals[SIGNAL_CASE_CHANGED] = new_signal(object_class, "case-changed");
  signals[SIGNAL_FRAME_CHANGED] = new_signal(object_class, "frame-changed");
  signals[SIGNAL_CROSSHAIR_CHANGED] = new_signal(object_class, "crosshair-changed");
  signals[SIGNAL_WINDOW_LEVEL_CHANGED] = new_signal(object_class, "window-level-changed");
  signals[SIGNAL_MEASUREMENTS_CHANGED] = new_signal(object_class, "measurements-changed");
  signals[SIGNAL_MEASUREMENT_CREATED] =
      g_signal_new("measurement-created", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
                   NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_OBLIQUE_CHANGED] = new_signal(object_class, "oblique-changed");
  signals[SIGNAL_STYLE_CHANGED] = new_signal(object_class, "style-changed");
  signals[SIGNAL_FLUORO_VOLUME_READY] = new_signal(object_class, "fluoro-volume-ready");
  signals[SIGNAL_ANATOMY_CHANGED] = new_signal(object_class, "anatomy-changed");
  signals[SIGNAL_FRAME_DRAGGED] =
      g_signal_new("frame-dragged", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                   NULL, G_TYPE_NONE, 2, G_TYPE_POINTER, G_TYPE_BOOLEAN);
}

/* The state without a case: world axes at the origin. */
static void reset_view_state(VpViewContext *self, VpVec3 centre)
{
  self->frame = vp_view_frame_world(centre);
  self->crosshair = centre;
  /* From the patient's right to the left: the oblique view starts out as the
   * coronal one, the right on the screen's left. */
  self->oblique_a = vp_vec3_add(centre, vp_vec3_scale(self->frame.right, DEFAULT_OBLIQUE_HALF_MM));
  self->oblique_b = vp_vec3_sub(centre, vp_vec3_scale(self->frame.right, DEFAULT_OBLIQUE_HALF_MM));
  self->window = vp_window_level_preset(VP_WINDOW_BONE);
}

static void vp_view_context_init(VpViewContext *self)
{
  self->bounds = vp_box3_empty();
  self->anatomy_parts = VP_ANATOMY_PARTS_ALL;
  self->show_frame_axes = TRUE;
  reset_view_state(self, vp_vec3(0, 0, 0));
}

VpViewContext *vp_view_context_new(void)
{
  return g_object_new(VP_TYPE_VIEW_CONTEXT, NULL);
}

/* ---- Case ---- */

static VpVec3 bounds_centre(VpBox3 bounds)
{
  if (vp_box3_is_empty(bounds))
    return vp_vec3(0, 0, 0);
  VpVec3 centre = vp_box3_center(bounds);
  return vp_vec3_is_finite(centre) ? centre : vp_vec3(0, 0, 0);
}

void vp_view_context_set_case(VpViewContext *self, const VpCase *c, VpBox3 bounds)
{
  g_return_if_fail(VP_IS_VIEW_CONTEXT(self));
  /* Fluoroscopy views may be projecting it until they hear of the new case. */
  VpVolume *old_synthetic_ct = g_steal_pointer(&self->synthetic_ct);
  drop_fluoro_volume(self);
  self->c = c;
  self->anatomy = NULL; /* it was the old case's; views re-read everything below */
  self->bounds = c ? bounds : vp_box3_empty();
  reset_view_state(self, bounds_centre(self->bounds));
  gboolean had_measurements = self->measurement_count > 0;
  g_clear_pointer(&self->measurements, g_free);
  self->measurement_count = 0;
  g_signal_emit(self, signals[SIGNAL_CASE_CHANGED], 0);
  vp_volume_free(old_synthetic_ct);
  if (had_measurements)
    g_signal_emit(self, signals[SIGNAL_MEASUREMENTS_CHANGED], 0);
}

const VpCase *vp_view_context_get_case(VpViewContext *self)
{
  g_return_val_if_fail(VP_IS_VIEW_CONTEXT(self), NULL);
  return self->c;
}

VpBox3 vp_view_context_get_bounds(VpViewContext *self)
{
  g_return_val_if_fail(VP_IS_VIEW_CONTEXT(self), vp_box3_empty());
  return self->bounds;
}

/* ---- Frame, crosshair, window ---- */

void vp_view_context_set_frame(VpViewContext *self, const VpViewFrame *frame)
{
  g_return_if_fail(VP_IS_VIEW_CONTEXT(self));
  g_return_if_fail(frame != NULL);
  self->frame = *frame;
  g_signal_emit(self, signals[SIGNAL_FRAME_CHANGED], 0);
}

const VpViewFrame *vp_view_context_get_frame(VpViewContext *self)
{
  g_return_val_if_fail(VP_IS_VIEW_CONTEXT(self), NULL);
  return &self->frame;
}

void vp_view_context_set_crosshair(VpViewContext *self, VpVec3 point_mm)
{
  g_return_if_fail(VP_IS_VIEW_CONTEXT(self));
  if (!vp_vec3_is_finite(point_mm))
    return;
  if (point_mm.x == self->crosshair.x && point_mm.y == self->crosshair.y &&
      point_mm.z == self->crosshair.z)
    return;
  self->crosshair = point_mm;
  g_signal_emit(self, signals[SIGNAL_CROSSHAIR_CHANGED], 0);
}

VpVec3 vp_view_context_get_crosshair(VpViewContext *self)
{
  g_return_val_if_fail(VP_IS_VIEW_CONTEXT(self), vp_vec3(0, 0, 0));
  return self->crosshair;
}

void vp_view_context_set_window_level(VpViewContext *self, VpWindowLevel wl)
{
  g_return_if_fail(VP_IS_VIEW_CONTEXT(self));
  if (!isfinite(wl.window_hu) || !isfinite(wl.level_hu))
    return;
  if (wl.window_hu < 1)
    wl.window_hu = 1;
  if (wl.window_hu == self->window.window_hu && wl.level_hu == self->window.level_hu)
    return;
  self->window = wl;
  g_signal_emit(self, signals[SIGNAL_WINDOW_LEVEL_CHANGED], 0);
}

VpWindowLevel vp_view_context_get_window_level(VpViewContext *self)
{
  g_return_val_if_fail(VP_IS_VIEW_CONTEXT(self), vp_window_level_preset(VP_WINDOW_BONE));
  return self->window;
}

/* ---- Measurements ---- */

void vp_view_context_set_measurements(VpViewContext *self, const VpPlanMeasurement *items,
                                      gsize count)
{
  g_return_if_fail(VP_IS_VIEW_CONTEXT(self));
  g_return_if_fail(items != NULL || count == 0);
  g_clear_pointer(&self->measurements, g_free);
  self->measurement_count = 0;
  if (count > 0) {
    self->measurements = g_memdup2(items, count * sizeof *items);
    self->measurement_count = count;
  }
  g_signal_emit(self, signals[SIGNAL_MEASUREMENTS_CHANGED], 0);
}

const VpPlanMeasurement *vp_view_context_get_measurements(VpViewContext *self, gsize *count)
{
  g_return_val_if_fail(VP_IS_VIEW_CONTEXT(self), NULL);
  if (count)
    *count = self->measurement_count;
  return self->measurements;
}

void vp_view_context_create_measurement(VpViewContext *self, const VpPlanMeasurement *m)
{
  g_return_if_fail(VP_IS_VIEW_CONTEXT(self));
  g_return_if_fail(m != NULL);
  /* A copy, so a handler that changes the measurements cannot pull it away. */
  VpPlanMeasurement copy = *m;
  g_signal_emit(self, signals[SIGNAL_MEASUREMENT_CREATED], 0, &copy);
}

/* ---- Tool, oblique line, presentation ---- */

void vp_view_context_set_tool(VpViewContext *self, VpMeasureTool tool)
{
  g_return_if_fail(VP_IS_VIEW_CONTEXT(self));
  if (tool < VP_MEASURE_TOOL_NONE || tool > VP_MEASURE_TOOL_ANGLE || tool == self->tool)
    return;
  self->tool = tool;
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_TOOL]);
}

VpMeasureTool vp_view_context_get_tool(VpViewContext *self)
{
  g_return_val_if_fail(VP_IS_VIEW_CONTEXT(self), VP_MEASURE_TOOL_NONE);
  return self->tool;
}

void vp_view_context_set_oblique_line(VpViewContext *self, VpVec3 a_mm, VpVec3 b_mm)
{
  g_return_if_fail(VP_IS_VIEW_CONTEXT(self));
  if (!vp_vec3_is_finite(a_mm) || !vp_vec3_is_finite(b_mm) || vp_vec3_distance(a_mm, b_mm) <= 0)
    return;
  self->oblique_a = a_mm;
  self->oblique_b = b_mm;
  g_signal_emit(self, signals[SIGNAL_OBLIQUE_CHANGED], 0);
}

void vp_view_context_get_oblique_line(VpViewContext *self, VpVec3 *a_mm, VpVec3 *b_mm)
{
  g_return_if_fail(VP_IS_VIEW_CONTEXT(self));
  if (a_mm)
    *a_mm = self->oblique_a;
  if (b_mm)
    *b_mm = self->oblique_b;
}

void vp_view_context_set_presentation(VpViewContext *self, gboolean presentation)
{
  g_return_if_fail(VP_IS_VIEW_CONTEXT(self));
  presentation = !!presentation;
  if (presentation == self->presentation)
    return;
  self->presentation = presentation;
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_PRESENTATION]);
  g_signal_emit(self, signals[SIGNAL_STYLE_CHANGED], 0);
}

gboolean vp_view_context_get_presentation(VpViewContext *self)
{
  g_return_val_if_fail(VP_IS_VIEW_CONTEXT(self), FALSE);
  return self->presentation;
}

void vp_view_context_get_style(VpViewContext *self, VpSliceStyle *style)
{
  g_return_if_fail(VP_IS_VIEW_CONTEXT(self));
  g_return_if_fail(style != NULL);
  vp_slice_style_default(style);
  if (!self->presentation)
    return;
  style->line_width_px *= PRESENTATION_LINE_SCALE;
  style->text_px *= PRESENTATION_TEXT_SCALE;
}

/* ---- Anatomy ---- */

void vp_view_context_set_anatomy(VpViewContext *self, const VpAnatomy *anatomy)
{
  g_return_if_fail(VP_IS_VIEW_CONTEXT(self));
  self->anatomy = anatomy;
  /* Always emitted: the same anatomy may have been readjusted in place. */
  g_signal_emit(self, signals[SIGNAL_ANATOMY_CHANGED], 0);
}

const VpAnatomy *vp_view_context_get_anatomy(VpViewContext *self)
{
  g_return_val_if_fail(VP_IS_VIEW_CONTEXT(self), NULL);
  return self->anatomy;
}

void vp_view_context_set_anatomy_parts(VpViewContext *self, guint visible_mask)
{
  g_return_if_fail(VP_IS_VIEW_CONTEXT(self));
  visible_mask &= VP_ANATOMY_PARTS_ALL;
  if (visible_mask == self->anatomy_parts)
    return;
  self->anatomy_parts = visible_mask;
  g_signal_emit(self, signals[SIGNAL_ANATOMY_CHANGED], 0);
}

guint vp_view_context_get_anatomy_parts(VpViewContext *self)
{
  g_return_val_if_fail(VP_IS_VIEW_CONTEXT(self), 0);
  return self->anatomy_parts;
}

void vp_view_context_set_show_frame_axes(VpViewContext *self, gboolean show)
{
  g_return_if_fail(VP_IS_VIEW_CONTEXT(self));
  if (!!show == self->show_frame_axes)
    return;
  self->show_frame_axes = !!show;
  g_signal_emit(self, signals[SIGNAL_ANATOMY_CHANGED], 0);
}

gboolean vp_view_context_get_show_frame_axes(VpViewContext *self)
{
  g_return_val_if_fail(VP_IS_VIEW_CONTEXT(self), FALSE);
  return self->show_frame_axes;
}

void vp_view_context_set_anatomy_shown(VpViewContext *self, gboolean shown)
{
  g_return_if_fail(VP_IS_VIEW_CONTEXT(self));
  if (!!shown == self->anatomy_shown)
    return;
  self->anatomy_shown = !!shown;
  g_signal_emit(self, signals[SIGNAL_ANATOMY_CHANGED], 0);
}

gboolean vp_view_context_get_anatomy_shown(VpViewContext *self)
{
  g_return_val_if_fail(VP_IS_VIEW_CONTEXT(self), FALSE);
  return self->anatomy_shown;
}

void vp_view_context_drag_frame(VpViewContext *self, const VpAnatomyFrame *frame, gboolean done)
{
  g_return_if_fail(VP_IS_VIEW_CONTEXT(self));
  g_return_if_fail(frame != NULL);
  VpAnatomyFrame copy = *frame; /* a handler may replace the anatomy it came from */
  g_signal_emit(self, signals[SIGNAL_FRAME_DRAGGED], 0, &copy, done);
}
