/* The Anatomy step: the anatomy of the case shown (its frame, parts and
 * measurements) computed in a worker thread, shown in the views through the
 * view context and in the step's panel (measurements beside their published
 * ranges, the parts to tint, the frame axes), and the frame's correction as
 * undoable edits of the plan, from the panel's fields or by dragging the
 * frame's handles in a slice view.
 *
 * The worker reads the case the window owns. A case replaced while a worker
 * reads it is handed to that worker's job, which frees it when the worker is
 * done; the surface, which scaling changes in place, is copied first. */
#include "vp-window-private.h"

#include <glib/gi18n.h>
#include <math.h>

#include "vp-anatomy-overlay.h"

typedef struct AnatomyJob AnatomyJob;

typedef struct VpWindowAnatomy {
  VpAnatomy *anatomy;       /* of the case shown, or NULL (being computed, or failed) */
  char *error;              /* why it could not be computed, or NULL */
  guint serial;             /* bumped by every new case: older jobs are ignored */
  AnatomyJob *job;          /* the job for the case shown while it runs, or NULL */
  GList *running;           /* every job whose worker has not returned (AnatomyJob *) */
  VpLoadProgress *progress; /* of the job for the case shown */
  char *stage;              /* the stage it reported last */
  gboolean filling;         /* the panel is being filled, not edited */
  gboolean dragging;        /* a frame handle is being dragged: the preview shows */
  double compute_ms, readjust_ms;

  /* Template children (bound by name, not stored in VpWindow). */
  GtkWidget *status_box;
  GtkSpinner *spinner;
  GtkLabel *status_label;
  GtkBox *measures_box;
  GtkListBox *part_list;
  GtkSwitch *axes_switch;
  GtkListBox *frame_list;
  GtkWidget *reset_button;
  GtkSpinButton *spins[6]; /* rotations about left, anterior, superior, then offsets */
  GtkWidget *costovertebral_rows[2]; /* left, right: shown for thoracic levels only */
} VpWindowAnatomy;

struct AnatomyJob {
  GWeakRef window;
  guint serial;
  VpLoadedCase *doc;     /* borrowed while the window shows it; owned once handed over */
  gboolean owns_doc;
  VpCase view;           /* the case as the worker sees it: doc's, with its own surface */
  VpFrameAdjustment adjustment;
  VpLoadProgress *progress;
};

/* ---- Helpers ---- */

static VpWindowAnatomy *state(VpWindow *self)
{
  return self->anatomy;
}

static const VpPlan *current_plan(VpWindow *self)
{
  return self->document ? vp_document_plan(self->document) : NULL;
}

static VpFrameAdjustment plan_adjustment(const VpPlan *plan)
{
  VpFrameAdjustment adj = {{0, 0, 0}, {0, 0, 0}};
  if (plan && plan->anatomy.has_frame_adjustment) {
    for (int i = 0; i < 3; i++) {
      adj.rotation_deg[i] = plan->anatomy.rotation_deg[i];
      adj.offset_mm[i] = plan->anatomy.offset_mm[i];
    }
  }
  return adj;
}

static gboolean same_adjustment(const VpFrameAdjustment *a, const VpFrameAdjustment *b)
{
  for (int i = 0; i < 3; i++)
    if (a->rotation_deg[i] != b->rotation_deg[i] || a->offset_mm[i] != b->offset_mm[i])
      return FALSE;
  return TRUE;
}

static char *format_number(double value, const char *format)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  return g_strdup(g_ascii_formatd(buf, sizeof buf, format, value + 0.0));
}

/* ---- The frame the views align to ---- */

static gboolean view_frame_of(const VpAnatomyFrame *frame, VpViewFrame *out)
{
  /* right = -left: vp_view_frame_from_axes completes it from anterior and superior. */
  return vp_view_frame_from_axes(frame->origin_mm, frame->anterior, frame->superior, out, NULL);
}

/* The views align to the anatomy; the crosshair follows the frame's origin
 * when it was there (or at first), else stays where the user put it. */
static void show_anatomy_in_views(VpWindow *self, gboolean move_crosshair)
{
  VpWindowAnatomy *a = state(self);
  VpViewFrame frame;
  if (a->anatomy && view_frame_of(&a->anatomy->frame, &frame)) {
    const VpViewFrame *old = vp_view_context_get_frame(self->context);
    VpVec3 crosshair = vp_view_context_get_crosshair(self->context);
    if (vp_vec3_distance(crosshair, old->origin_mm) < 1e-6)
      move_crosshair = TRUE;
    vp_view_context_set_frame(self->context, &frame);
    if (move_crosshair)
      vp_view_context_set_crosshair(self->context, frame.origin_mm);
  }
  vp_view_context_set_anatomy(self->context, a->anatomy);
}

/* ---- The panel: status ---- */

static void show_status(VpWindow *self)
{
  VpWindowAnatomy *a = state(self);
  gboolean computing = a->job != NULL;
  g_autofree char *text = NULL;
  if (!self->doc)
    text = g_strdup(_("Open a case to see its anatomy."));
  else if (computing)
    text = g_strdup(a->stage && a->stage[0] ? a->stage : _("Computing the anatomy…"));
  else if (a->error)
    text = g_strdup_printf(_("Anatomy could not be computed: %s"), a->error);
  gtk_spinner_set_spinning(a->spinner, computing);
  gtk_widget_set_visible(GTK_WIDGET(a->spinner), computing);
  gtk_widget_set_visible(a->status_box, text != NULL);
  gtk_label_set_text(a->status_label, text ? text : "");
  gboolean ready = a->anatomy != NULL;
  gtk_widget_set_sensitive(GTK_WIDGET(a->frame_list), ready && self->document);
  gtk_widget_set_sensitive(a->reset_button, ready && self->document);
}

/* ---- The panel: measurements ---- */

static void clear_box(GtkBox *box)
{
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child(GTK_WIDGET(box))))
    gtk_box_remove(box, child);
}

static GtkWidget *group_new(GtkBox *box, const char *title, const char *description)
{
  GtkWidget *group = adw_preferences_group_new();
  adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(group), title);
  if (description)
    adw_preferences_group_set_description(ADW_PREFERENCES_GROUP(group), description);
  gtk_box_append(box, group);
  return group;
}

/* "8.7–14.2 mm (Zindrick 1987 (mean ± 3 SD))" */
static char *format_range(const VpAnatomyRange *range, const char *unit)
{
  g_autofree char *low = format_number(range->low, "%.1f");
  g_autofree char *high = format_number(range->high, "%.1f");
  /* Translators: a published reference range with its unit and source,
   * e.g. "Published 8.7–14.2 mm (Zindrick 1987)". */
  return g_strdup_printf(_("Published %s–%s %s (%s)"), low, high, unit,
                         range->source ? range->source : "");
}

/* One figure: its name, its value with unit and, when the level has one,
 * the published range beside it, flagged when the value lies outside. */
static GtkWidget *add_figure(GtkWidget *group, const char *title, const char *value,
                             const VpAnatomyRange *range, double figure, const char *unit)
{
  GtkWidget *row = adw_action_row_new();
  adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
  adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
  gtk_widget_add_css_class(row, "property");
  if (range && range->known) {
    g_autofree char *text = format_range(range, unit);
    adw_action_row_set_subtitle(ADW_ACTION_ROW(row), text);
    if (isfinite(figure) && (figure < range->low || figure > range->high)) {
      GtkWidget *icon = gtk_image_new_from_icon_name("dialog-warning-symbolic");
      gtk_widget_add_css_class(icon, "warning");
      gtk_widget_set_tooltip_text(icon, _("Outside the published range"));
      adw_action_row_add_suffix(ADW_ACTION_ROW(row), icon);
      gtk_widget_add_css_class(row, "vp-out-of-range");
    }
  }
  GtkWidget *label = gtk_label_new(value);
  gtk_label_set_selectable(GTK_LABEL(label), TRUE);
  gtk_widget_add_css_class(label, "numeric");
  adw_action_row_add_suffix(ADW_ACTION_ROW(row), label);
  adw_preferences_group_add(ADW_PREFERENCES_GROUP(group), row);
  return row;
}

static void add_mm(GtkWidget *group, const char *title, double mm, const VpAnatomyRange *range)
{
  g_autofree char *n = format_number(mm, "%.1f");
  /* Translators: a length in millimetres. */
  g_autofree char *value = isfinite(mm) ? g_strdup_printf(_("%s mm"), n) : g_strdup("—");
  add_figure(group, title, value, range, mm, _("mm"));
}

static void add_deg(GtkWidget *group, const char *title, double deg, const VpAnatomyRange *range)
{
  g_autofree char *n = format_number(deg, "%.1f");
  /* Translators: an angle in degrees. */
  g_autofree char *value = isfinite(deg) ? g_strdup_printf(_("%s°"), n) : g_strdup("—");
  add_figure(group, title, value, range, deg, "°");
}

static const char *shape_name(VpFractureShape shape)
{
  switch (shape) {
  case VP_FRACTURE_WEDGE:
    return _("wedge");
  case VP_FRACTURE_BICONCAVE:
    return _("biconcave");
  case VP_FRACTURE_CRUSH:
    return _("crush");
  default:
    return _("no fracture");
  }
}

static void fill_body(VpWindow *self, const VpAnatomy *an, const VpAnatomyReference *ref)
{
  const VpAnatomyMeasures *m = &an->measures;
  GtkWidget *g = group_new(state(self)->measures_box, _("Vertebral Body"), NULL);
  g_autofree char *ml = format_number(m->body_volume_ml, "%.1f");
  /* Translators: a volume in millilitres. */
  g_autofree char *volume = g_strdup_printf(_("%s mL"), ml);
  add_figure(g, _("Body Volume"), volume, NULL, NAN, NULL);
  add_mm(g, _("Anterior Height"), m->body_height_mm[0], NULL);
  add_mm(g, _("Middle Height"), m->body_height_mm[1], NULL);
  add_mm(g, _("Posterior Height"), m->body_height_mm[2], &ref->posterior_body_height_mm);
  add_mm(g, _("Endplate Width"), m->endplate_width_mm, &ref->endplate_width_mm);
  add_mm(g, _("Endplate Depth"), m->endplate_depth_mm, NULL);
  /* The grade beside the title, the shape and loss under it: a long value
   * beside it would squeeze the title into a column of syllables. */
  g_autofree char *loss = format_number(m->height_loss_percent, "%.0f");
  /* Translators: the Genant grade of a vertebral fracture (0-3). */
  g_autofree char *grade = g_strdup_printf(_("Grade %d"), m->genant_grade);
  /* Translators: fracture shape and height loss, e.g. "wedge, 32 % height loss". */
  g_autofree char *detail =
      g_strdup_printf(_("%s, %s %% height loss"), shape_name(m->genant_shape), loss);
  GtkWidget *row = add_figure(g, _("Genant"), grade, NULL, NAN, NULL);
  adw_action_row_set_subtitle(ADW_ACTION_ROW(row), detail);
}

static void fill_pedicle(VpWindow *self, const VpPedicleMeasures *p, const char *title,
                         const VpAnatomyReference *ref)
{
  GtkWidget *g = group_new(state(self)->measures_box, title, NULL);
  if (!p->found) {
    add_figure(g, _("Not found"), "—", NULL, NAN, NULL);
    return;
  }
  add_mm(g, _("Isthmus Width"), p->width_mm, &ref->pedicle_width_mm);
  add_mm(g, _("Isthmus Height"), p->height_mm, &ref->pedicle_height_mm);
  add_deg(g, _("Transverse Angle"), p->transverse_angle_deg, &ref->transverse_angle_deg);
  add_deg(g, _("Sagittal Angle"), p->sagittal_angle_deg, NULL);
}

static void fill_canal(VpWindow *self, const VpAnatomyMeasures *m, const VpAnatomyReference *ref)
{
  GtkWidget *g = group_new(state(self)->measures_box, _("Spinal Canal"), NULL);
  add_mm(g, _("Width"), m->canal_width_mm, &ref->canal_width_mm);
  add_mm(g, _("Depth"), m->canal_depth_mm, &ref->canal_depth_mm);
  g_autofree char *n = format_number(m->canal_area_mm2, "%.0f");
  /* Translators: an area in square millimetres. */
  g_autofree char *area = g_strdup_printf(_("%s mm²"), n);
  add_figure(g, _("Area"), area, NULL, NAN, NULL);
}

static const char *density_text(VpBoneDensity density)
{
  switch (density) {
  case VP_BONE_DENSITY_NORMAL:
    return _("Normal: above 160 HU");
  case VP_BONE_DENSITY_LOW:
    return _("Low bone density: 160 HU or less");
  case VP_BONE_DENSITY_OSTEOPOROTIC:
    return _("Osteoporosis likely: 110 HU or less");
  default:
    return _("Unknown without a CT");
  }
}

static void fill_density(VpWindow *self, const VpAnatomyMeasures *m)
{
  if (!m->has_ct)
    return;
  /* Translators: the source of the bone-density thresholds. */
  GtkWidget *g = group_new(state(self)->measures_box, _("Bone Density"),
                           _("Thresholds from Pickhardt 2013, for L1 on routine CT"));
  g_autofree char *n = format_number(m->trabecular_hu, "%.0f");
  /* Translators: a CT attenuation in Hounsfield units. */
  g_autofree char *hu = isfinite(m->trabecular_hu) ? g_strdup_printf(_("%s HU"), n) : g_strdup("—");
  add_figure(g, _("Trabecular Attenuation"), hu, NULL, NAN, NULL);
  add_figure(g, _("Density"), density_text(m->bone_density), NULL, NAN, NULL);
}

/* The costovertebral regions exist at thoracic levels only (no ribs below). */
static void show_part_rows(VpWindow *self)
{
  VpWindowAnatomy *a = state(self);
  gboolean thoracic = a->anatomy && a->anatomy->thoracic;
  for (int side = 0; side < 2; side++)
    if (a->costovertebral_rows[side])
      gtk_widget_set_visible(a->costovertebral_rows[side], thoracic);
}

static void fill_measurements(VpWindow *self)
{
  VpWindowAnatomy *a = state(self);
  show_part_rows(self);
  clear_box(a->measures_box);
  const VpAnatomy *an = a->anatomy;
  gtk_widget_set_visible(GTK_WIDGET(a->measures_box), an != NULL);
  if (!an)
    return;
  VpAnatomyReference ref;
  memset(&ref, 0, sizeof ref);
  if (!vp_anatomy_reference(an->level, &ref))
    memset(&ref, 0, sizeof ref); /* no ranges for an unknown level */
  fill_body(self, an, &ref);
  fill_pedicle(self, &an->measures.pedicle[0], _("Left Pedicle"), &ref);
  fill_pedicle(self, &an->measures.pedicle[1], _("Right Pedicle"), &ref);
  fill_canal(self, &an->measures, &ref);
  fill_density(self, &an->measures);
}

/* ---- The panel: frame fields ---- */

static void fill_frame_fields(VpWindow *self)
{
  VpWindowAnatomy *a = state(self);
  VpFrameAdjustment adj = plan_adjustment(current_plan(self));
  a->filling = TRUE;
  for (int i = 0; i < 3; i++) {
    gtk_spin_button_set_value(a->spins[i], adj.rotation_deg[i]);
    gtk_spin_button_set_value(a->spins[3 + i], adj.offset_mm[i]);
  }
  a->filling = FALSE;
}

static void refresh_panel(VpWindow *self)
{
  show_status(self);
  fill_measurements(self);
  fill_frame_fields(self);
}

/* ---- Computing the anatomy ---- */

static void job_free(AnatomyJob *job)
{
  g_weak_ref_clear(&job->window);
  vp_mesh_free(job->view.surface);
  if (job->owns_doc)
    vp_loaded_case_free(job->doc);
  g_clear_pointer(&job->progress, vp_load_progress_unref);
  g_free(job);
}

static void compute_in_thread(GTask *task, gpointer source, gpointer data,
                              GCancellable *cancellable)
{
  (void)source;
  (void)cancellable;
  AnatomyJob *job = data;
  VpError err;
  vp_error_clear(&err);
  VpAnatomyOptions options = vp_anatomy_options_default();
  gint64 start = g_get_monotonic_time();
  VpAnatomy *anatomy = vp_anatomy_compute(&job->view, &job->adjustment, &options,
                                          vp_load_progress_core(job->progress), &err);
  g_debug("anatomy computed in %.0f ms", (g_get_monotonic_time() - start) / 1000.0);
  if (anatomy) {
    g_task_return_pointer(task, anatomy, (GDestroyNotify)vp_anatomy_free);
    return;
  }
  if (err.code == VP_ERR_CANCELLED)
    g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s", err.message);
  else
    g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s",
                            err.message[0] ? err.message
                                           : _("the vertebra's frame and parts were not found"));
}

static void apply_plan_adjustment(VpWindow *self);

static void compute_done(GObject *source, GAsyncResult *result, gpointer data)
{
  (void)source;
  (void)data;
  AnatomyJob *job = g_task_get_task_data(G_TASK(result));
  g_autoptr(GError) error = NULL;
  VpAnatomy *anatomy = g_task_propagate_pointer(G_TASK(result), &error);
  g_autoptr(VpWindow) self = g_weak_ref_get(&job->window);
  VpWindowAnatomy *a = self ? state(self) : NULL;
  if (a)
    a->running = g_list_remove(a->running, job);
  if (!a || job->serial != a->serial) {
    vp_anatomy_free(anatomy); /* for a case no longer shown */
    return;
  }
  a->job = NULL;
  g_clear_pointer(&a->progress, vp_load_progress_unref);
  g_clear_pointer(&a->stage, g_free);
  a->anatomy = anatomy;
  if (!anatomy)
    a->error = g_strdup(error ? error->message : "");
  show_anatomy_in_views(self, TRUE);
  apply_plan_adjustment(self); /* the plan may have changed while the worker ran */
  refresh_panel(self);
}

static void on_progress(double fraction, const char *stage, gpointer user_data)
{
  (void)fraction;
  VpWindow *self = user_data;
  VpWindowAnatomy *a = state(self);
  if (!a || !stage)
    return;
  g_free(a->stage);
  a->stage = g_strdup(stage);
  show_status(self);
}

/* Forgets the anatomy shown and the job computing one. */
static void drop_anatomy(VpWindow *self)
{
  VpWindowAnatomy *a = state(self);
  a->serial++;
  a->job = NULL;
  if (a->progress)
    vp_load_progress_cancel(a->progress);
  g_clear_pointer(&a->progress, vp_load_progress_unref);
  g_clear_pointer(&a->stage, g_free);
  vp_view_context_set_anatomy(self->context, NULL); /* before it is freed */
  g_clear_pointer(&a->anatomy, vp_anatomy_free);
  g_clear_pointer(&a->error, g_free);
}

static void start_compute(VpWindow *self)
{
  VpWindowAnatomy *a = state(self);
  VpError err;
  vp_error_clear(&err);
  AnatomyJob *job = g_new0(AnatomyJob, 1);
  g_weak_ref_init(&job->window, self);
  job->serial = a->serial;
  job->doc = self->doc;
  job->view = *self->doc->c; /* a shallow copy: the volumes and strings stay the case's */
  job->view.surface = self->doc->c->surface ? vp_mesh_clone(self->doc->c->surface, &err) : NULL;
  job->adjustment = plan_adjustment(current_plan(self));
  if (self->doc->c->surface && !job->view.surface) {
    a->error = g_strdup(err.message);
    job_free(job);
    return;
  }
  a->progress = vp_load_progress_new(on_progress, self);
  job->progress = vp_load_progress_ref(a->progress);
  a->job = job;
  a->running = g_list_prepend(a->running, job);
  g_autoptr(GTask) task = g_task_new(NULL, NULL, compute_done, NULL);
  g_task_set_task_data(task, job, (GDestroyNotify)job_free);
  g_task_set_name(task, "vp-anatomy");
  g_task_run_in_thread(task, compute_in_thread);
}

void vp_window_anatomy_case_shown(VpWindow *self)
{
  g_return_if_fail(state(self) != NULL);
  drop_anatomy(self);
  if (self->doc)
    start_compute(self);
  refresh_panel(self);
}

void vp_window_anatomy_release_case(VpWindow *self, VpLoadedCase *old)
{
  if (!old)
    return;
  VpWindowAnatomy *a = state(self);
  for (GList *l = a ? a->running : NULL; l; l = l->next) {
    AnatomyJob *job = l->data;
    if (job->doc == old && !job->owns_doc) {
      job->owns_doc = TRUE; /* freed when its worker returns */
      return;
    }
  }
  vp_loaded_case_free(old);
}

/* ---- Adjusting the frame ---- */

/* The anatomy follows the plan's correction (after an edit, undo or redo). */
static void apply_plan_adjustment(VpWindow *self)
{
  VpWindowAnatomy *a = state(self);
  if (!a->anatomy || !self->doc)
    return;
  VpFrameAdjustment adj = plan_adjustment(current_plan(self));
  if (same_adjustment(&adj, &a->anatomy->adjustment))
    return;
  VpError err;
  vp_error_clear(&err);
  gint64 start = g_get_monotonic_time();
  gboolean ok = vp_anatomy_readjust(a->anatomy, self->doc->c, &adj, &err);
  a->readjust_ms = (g_get_monotonic_time() - start) / 1000.0;
  if (!ok) {
    vp_window_toast(self, err.message[0] ? err.message : _("The frame could not be adjusted."));
    return;
  }
  show_anatomy_in_views(self, FALSE);
  fill_measurements(self);
}

typedef struct {
  double rotation_deg[3];
  double offset_mm[3];
} FrameEdit;

static gboolean edit_frame(VpPlan *plan, gpointer user_data, VpError *err)
{
  const FrameEdit *edit = user_data;
  return vp_plan_set_frame_adjustment(plan, edit->rotation_deg, edit->offset_mm, err);
}

static void commit_adjustment(VpWindow *self, const char *label, const FrameEdit *edit)
{
  VpFrameAdjustment now = plan_adjustment(current_plan(self)), wanted;
  memcpy(wanted.rotation_deg, edit->rotation_deg, sizeof wanted.rotation_deg);
  memcpy(wanted.offset_mm, edit->offset_mm, sizeof wanted.offset_mm);
  if (same_adjustment(&now, &wanted) || !self->document)
    return;
  vp_window_document_edit(self, label, edit_frame, (gpointer)edit);
}

static void on_spin_changed(GtkSpinButton *spin, VpWindow *self)
{
  (void)spin;
  VpWindowAnatomy *a = state(self);
  if (a->filling)
    return;
  FrameEdit edit;
  for (int i = 0; i < 3; i++) {
    edit.rotation_deg[i] = gtk_spin_button_get_value(a->spins[i]);
    edit.offset_mm[i] = gtk_spin_button_get_value(a->spins[3 + i]);
  }
  commit_adjustment(self, _("Adjust Frame"), &edit);
}

static void on_reset_clicked(GtkButton *button, VpWindow *self)
{
  (void)button;
  FrameEdit edit = {{0, 0, 0}, {0, 0, 0}};
  commit_adjustment(self, _("Reset Frame"), &edit);
}

/* The adjustment that turns the automatic frame into target: offsets are
 * the origin's move in the automatic frame's axes; turns are the angles,
 * about left, then anterior, then superior as the turns leave them, that
 * take the automatic axes onto target's (intrinsic x-y-z Euler angles). */
static void adjustment_for_frame(const VpAnatomyFrame *auto_frame, const VpAnatomyFrame *target,
                                 FrameEdit *out)
{
  VpVec3 d = vp_vec3_sub(target->origin_mm, auto_frame->origin_mm);
  out->offset_mm[0] = vp_vec3_dot(d, auto_frame->left);
  out->offset_mm[1] = vp_vec3_dot(d, auto_frame->anterior);
  out->offset_mm[2] = vp_vec3_dot(d, auto_frame->superior);
  /* R maps automatic axis i to target axis i; in the automatic frame's
   * coordinates its columns are target's axes. R = Rx(a) Ry(b) Rz(c). */
  const VpVec3 axes[3] = {auto_frame->left, auto_frame->anterior, auto_frame->superior};
  const VpVec3 t[3] = {target->left, target->anterior, target->superior};
  double r[3][3];
  for (int row = 0; row < 3; row++)
    for (int col = 0; col < 3; col++)
      r[row][col] = vp_vec3_dot(t[col], axes[row]);
  double b = asin(CLAMP(r[0][2], -1.0, 1.0));
  double a = atan2(-r[1][2], r[2][2]);
  double c = atan2(-r[0][1], r[0][0]);
  out->rotation_deg[0] = vp_rad_to_deg(a);
  out->rotation_deg[1] = vp_rad_to_deg(b);
  out->rotation_deg[2] = vp_rad_to_deg(c);
  for (int i = 0; i < 3; i++) {
    out->rotation_deg[i] = CLAMP(round(out->rotation_deg[i] * 10) / 10 + 0.0,
                                 -VP_PLAN_MAX_FRAME_ROTATION_DEG, VP_PLAN_MAX_FRAME_ROTATION_DEG);
    out->offset_mm[i] = CLAMP(round(out->offset_mm[i] * 10) / 10 + 0.0,
                              -VP_PLAN_MAX_FRAME_OFFSET_MM, VP_PLAN_MAX_FRAME_OFFSET_MM);
  }
}

/* A drag of a frame handle: previewed in the views, one edit at its end. */
static void on_frame_dragged(VpViewContext *context, gpointer frame_ptr, gboolean done,
                             VpWindow *self)
{
  (void)context;
  VpWindowAnatomy *a = state(self);
  if (!a->anatomy || !self->doc)
    return;
  FrameEdit edit;
  adjustment_for_frame(&a->anatomy->auto_frame, frame_ptr, &edit);
  if (!done) {
    VpFrameAdjustment adj;
    memcpy(adj.rotation_deg, edit.rotation_deg, sizeof adj.rotation_deg);
    memcpy(adj.offset_mm, edit.offset_mm, sizeof adj.offset_mm);
    a->dragging = TRUE;
    if (vp_anatomy_readjust(a->anatomy, self->doc->c, &adj, NULL))
      vp_view_context_set_anatomy(self->context, a->anatomy); /* views redraw, frame stays */
    return;
  }
  gboolean previewed = a->dragging;
  a->dragging = FALSE;
  commit_adjustment(self, _("Adjust Frame"), &edit);
  /* The preview may differ from the plan (no change, or a failed edit); the
   * edit found the anatomy already adjusted to it, so the views align to
   * the new frame and the panel shows its measurements here. */
  apply_plan_adjustment(self);
  if (previewed) {
    show_anatomy_in_views(self, FALSE);
    fill_measurements(self);
  }
}

void vp_window_anatomy_plan_changed(VpWindow *self)
{
  VpWindowAnatomy *a = state(self);
  if (!a)
    return;
  apply_plan_adjustment(self);
  fill_frame_fields(self);
  show_status(self);
}

/* ---- Parts and axes ---- */

static void draw_swatch(GtkDrawingArea *area, cairo_t *cr, int w, int h, gpointer data)
{
  (void)area;
  double rgb[3];
  vp_anatomy_part_rgb((VpAnatomyPart)GPOINTER_TO_INT(data), rgb);
  cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
  cairo_arc(cr, 0.5 * w, 0.5 * h, 0.5 * MIN(w, h) - 1, 0, 2 * G_PI);
  cairo_fill_preserve(cr);
  cairo_set_source_rgba(cr, 0, 0, 0, 0.35);
  cairo_set_line_width(cr, 1);
  cairo_stroke(cr);
}

static void on_part_toggled(GtkCheckButton *check, VpWindow *self)
{
  VpAnatomyPart part = GPOINTER_TO_INT(g_object_get_data(G_OBJECT(check), "part"));
  guint mask = vp_view_context_get_anatomy_parts(self->context);
  if (gtk_check_button_get_active(check))
    mask |= VP_ANATOMY_PART_BIT(part);
  else
    mask &= ~VP_ANATOMY_PART_BIT(part);
  vp_view_context_set_anatomy_parts(self->context, mask);
}

static GtkWidget *part_row_new(VpWindow *self, VpAnatomyPart part)
{
  const char *name = vp_anatomy_part_name(part);
  GtkWidget *row = adw_action_row_new();
  adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), name ? _(name) : "");
  GtkWidget *swatch = gtk_drawing_area_new();
  gtk_drawing_area_set_content_width(GTK_DRAWING_AREA(swatch), 14);
  gtk_drawing_area_set_content_height(GTK_DRAWING_AREA(swatch), 14);
  gtk_widget_set_valign(swatch, GTK_ALIGN_CENTER);
  gtk_drawing_area_set_draw_func(GTK_DRAWING_AREA(swatch), draw_swatch, GINT_TO_POINTER(part),
                                 NULL);
  adw_action_row_add_prefix(ADW_ACTION_ROW(row), swatch);
  GtkWidget *check = gtk_check_button_new();
  gtk_widget_set_valign(check, GTK_ALIGN_CENTER);
  gtk_check_button_set_active(GTK_CHECK_BUTTON(check),
                              (vp_view_context_get_anatomy_parts(self->context) &
                               VP_ANATOMY_PART_BIT(part)) != 0);
  g_object_set_data(G_OBJECT(check), "part", GINT_TO_POINTER(part));
  g_signal_connect(check, "toggled", G_CALLBACK(on_part_toggled), self);
  adw_action_row_add_suffix(ADW_ACTION_ROW(row), check);
  adw_action_row_set_activatable_widget(ADW_ACTION_ROW(row), check);
  return row;
}

/* Part names come from the core; a core without them leaves the rows empty. */
static void build_part_rows(VpWindow *self)
{
  VpWindowAnatomy *a = state(self);
  for (int part = VP_ANATOMY_OUTSIDE + 1; part < VP_ANATOMY_PART_COUNT; part++) {
    GtkWidget *row = part_row_new(self, (VpAnatomyPart)part);
    gtk_list_box_append(a->part_list, row);
    if (part == VP_ANATOMY_COSTOVERTEBRAL_LEFT || part == VP_ANATOMY_COSTOVERTEBRAL_RIGHT)
      a->costovertebral_rows[part - VP_ANATOMY_COSTOVERTEBRAL_LEFT] = row;
  }
}

static void on_axes_switch(GObject *sw, GParamSpec *pspec, VpWindow *self)
{
  (void)pspec;
  vp_view_context_set_show_frame_axes(self->context, gtk_switch_get_active(GTK_SWITCH(sw)));
}

static GtkSpinButton *frame_row_new(VpWindow *self, const char *title, const char *unit,
                                    double limit, double step)
{
  GtkWidget *row = adw_action_row_new();
  adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
  GtkWidget *spin = gtk_spin_button_new_with_range(-limit, limit, step);
  gtk_spin_button_set_digits(GTK_SPIN_BUTTON(spin), 1);
  gtk_spin_button_set_numeric(GTK_SPIN_BUTTON(spin), TRUE);
  gtk_widget_set_valign(spin, GTK_ALIGN_CENTER);
  gtk_accessible_update_property(GTK_ACCESSIBLE(spin), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  g_signal_connect(spin, "value-changed", G_CALLBACK(on_spin_changed), self);
  adw_action_row_add_suffix(ADW_ACTION_ROW(row), spin);
  GtkWidget *unit_label = gtk_label_new(unit);
  gtk_widget_add_css_class(unit_label, "dim-label");
  gtk_widget_set_size_request(unit_label, 24, -1);
  gtk_label_set_xalign(GTK_LABEL(unit_label), 0);
  adw_action_row_add_suffix(ADW_ACTION_ROW(row), unit_label);
  gtk_list_box_append(state(self)->frame_list, row);
  return GTK_SPIN_BUTTON(spin);
}

static void build_frame_rows(VpWindow *self)
{
  VpWindowAnatomy *a = state(self);
  a->spins[0] = frame_row_new(self, _("Turn about Left"), _("°"), VP_PLAN_MAX_FRAME_ROTATION_DEG, 1);
  a->spins[1] =
      frame_row_new(self, _("Turn about Anterior"), _("°"), VP_PLAN_MAX_FRAME_ROTATION_DEG, 1);
  a->spins[2] =
      frame_row_new(self, _("Turn about Superior"), _("°"), VP_PLAN_MAX_FRAME_ROTATION_DEG, 1);
  a->spins[3] = frame_row_new(self, _("Shift Left"), _("mm"), VP_PLAN_MAX_FRAME_OFFSET_MM, 0.5);
  a->spins[4] = frame_row_new(self, _("Shift Anterior"), _("mm"), VP_PLAN_MAX_FRAME_OFFSET_MM, 0.5);
  a->spins[5] = frame_row_new(self, _("Shift Superior"), _("mm"), VP_PLAN_MAX_FRAME_OFFSET_MM, 0.5);
}

/* ---- The step ---- */

/* The action's state, not the panel: the panel follows it after this. */
static void on_step_changed(GObject *action, GParamSpec *pspec, VpWindow *self)
{
  (void)pspec;
  g_autoptr(GVariant) step = action ? g_action_get_state(G_ACTION(action)) : NULL;
  gboolean anatomy = step && g_strcmp0(g_variant_get_string(step, NULL), "anatomy") == 0;
  vp_view_context_set_anatomy_shown(self->context, anatomy);
}

/* ---- Setup and teardown ---- */

static const char *const child_names[] = {
    "anatomy_status_box", "anatomy_spinner",    "anatomy_status_label", "anatomy_measures_box",
    "anatomy_part_list",  "anatomy_axes_switch", "anatomy_frame_list",  "anatomy_reset_button",
};

void vp_window_anatomy_class_init(GtkWidgetClass *widget_class)
{
  for (gsize i = 0; i < G_N_ELEMENTS(child_names); i++)
    gtk_widget_class_bind_template_child_full(widget_class, child_names[i], FALSE, 0);
}

static GtkWidget *child(VpWindow *self, const char *name)
{
  return GTK_WIDGET(gtk_widget_get_template_child(GTK_WIDGET(self), VP_TYPE_WINDOW, name));
}

void vp_window_anatomy_init(VpWindow *self)
{
  VpWindowAnatomy *a = g_new0(VpWindowAnatomy, 1);
  self->anatomy = a;
  a->status_box = child(self, "anatomy_status_box");
  a->spinner = GTK_SPINNER(child(self, "anatomy_spinner"));
  a->status_label = GTK_LABEL(child(self, "anatomy_status_label"));
  a->measures_box = GTK_BOX(child(self, "anatomy_measures_box"));
  a->part_list = GTK_LIST_BOX(child(self, "anatomy_part_list"));
  a->axes_switch = GTK_SWITCH(child(self, "anatomy_axes_switch"));
  a->frame_list = GTK_LIST_BOX(child(self, "anatomy_frame_list"));
  a->reset_button = child(self, "anatomy_reset_button");
  build_part_rows(self);
  build_frame_rows(self);
  g_signal_connect(a->axes_switch, "notify::active", G_CALLBACK(on_axes_switch), self);
  g_signal_connect(a->reset_button, "clicked", G_CALLBACK(on_reset_clicked), self);
  g_signal_connect(self->context, "frame-dragged", G_CALLBACK(on_frame_dragged), self);
  GAction *step = g_action_map_lookup_action(G_ACTION_MAP(self), "step");
  if (step)
    g_signal_connect_object(step, "notify::state", G_CALLBACK(on_step_changed), self, 0);
  on_step_changed(G_OBJECT(step), NULL, self);
  refresh_panel(self);
}

void vp_window_anatomy_dispose(VpWindow *self)
{
  VpWindowAnatomy *a = state(self);
  if (!a)
    return;
  if (self->context) {
    g_signal_handlers_disconnect_by_data(self->context, self);
    vp_view_context_set_anatomy(self->context, NULL);
  }
  drop_anatomy(self);
  /* The case goes with the window; a worker still reading it keeps it. */
  vp_window_anatomy_release_case(self, g_steal_pointer(&self->doc));
  g_list_free(a->running); /* the jobs free themselves when their workers return */
  g_free(a);
  self->anatomy = NULL;
}

/* ---- For tests ---- */

const VpAnatomy *vp_window_get_anatomy(VpWindow *self)
{
  g_return_val_if_fail(VP_IS_WINDOW(self), NULL);
  return state(self) ? state(self)->anatomy : NULL;
}

gboolean vp_window_is_anatomy_pending(VpWindow *self)
{
  g_return_val_if_fail(VP_IS_WINDOW(self), FALSE);
  return state(self) && state(self)->job != NULL;
}

const char *vp_window_get_anatomy_error(VpWindow *self)
{
  g_return_val_if_fail(VP_IS_WINDOW(self), NULL);
  return state(self) ? state(self)->error : NULL;
}
