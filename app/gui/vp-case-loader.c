/* Opening cases in worker threads (GTask) with progress marshalled to the main loop. */
#include "vp-case-loader.h"

#include <glib/gi18n.h>
#include <stdlib.h>
#include <string.h>

#include "vp-config.h"
#include "vp-recovery.h"

/* ---- Progress ---- */

struct VpLoadProgress {
  gatomicrefcount refs;
  gint cancelled; /* atomic: written on the main thread, read by the worker */
  VpProgress core;
  GMutex lock; /* guards the fields below, written by the worker */
  double fraction;
  char *stage;
  gboolean delivery_pending;
  VpLoadProgressFunc func; /* main thread only */
  gpointer user_data;
};

static void core_report(void *user, double fraction, const char *stage)
{
  vp_load_progress_report(user, fraction, stage);
}

static bool core_cancelled(void *user)
{
  return vp_load_progress_is_cancelled(user);
}

VpLoadProgress *vp_load_progress_new(VpLoadProgressFunc func, gpointer user_data)
{
  VpLoadProgress *progress = g_new0(VpLoadProgress, 1);
  g_atomic_ref_count_init(&progress->refs);
  g_mutex_init(&progress->lock);
  progress->fraction = -1;
  progress->func = func;
  progress->user_data = user_data;
  progress->core = (VpProgress){.report = core_report, .cancelled = core_cancelled, .user = progress};
  return progress;
}

VpLoadProgress *vp_load_progress_ref(VpLoadProgress *progress)
{
  g_atomic_ref_count_inc(&progress->refs);
  return progress;
}

void vp_load_progress_unref(VpLoadProgress *progress)
{
  if (!progress || !g_atomic_ref_count_dec(&progress->refs))
    return;
  g_mutex_clear(&progress->lock);
  g_free(progress->stage);
  g_free(progress);
}

void vp_load_progress_cancel(VpLoadProgress *progress)
{
  g_atomic_int_set(&progress->cancelled, 1);
  progress->func = NULL;
}

gboolean vp_load_progress_is_cancelled(VpLoadProgress *progress)
{
  return g_atomic_int_get(&progress->cancelled) != 0;
}

const VpProgress *vp_load_progress_core(VpLoadProgress *progress)
{
  return &progress->core;
}

/* Runs on the main loop: shows the latest report. Reports that came in
 * between were superseded, so a fast worker cannot flood the main loop. */
static gboolean deliver(gpointer data)
{
  VpLoadProgress *progress = data;
  g_mutex_lock(&progress->lock);
  double fraction = progress->fraction;
  char *stage = g_strdup(progress->stage);
  progress->delivery_pending = FALSE;
  g_mutex_unlock(&progress->lock);
  if (progress->func && !vp_load_progress_is_cancelled(progress))
    progress->func(fraction, stage, progress->user_data);
  g_free(stage);
  return G_SOURCE_REMOVE;
}

void vp_load_progress_report(VpLoadProgress *progress, double fraction, const char *stage)
{
  g_mutex_lock(&progress->lock);
  progress->fraction = fraction;
  if (stage && g_strcmp0(stage, progress->stage) != 0) {
    g_free(progress->stage);
    progress->stage = g_strdup(stage);
  }
  if (!progress->delivery_pending) {
    progress->delivery_pending = TRUE;
    g_idle_add_full(G_PRIORITY_DEFAULT, deliver, vp_load_progress_ref(progress),
                    (GDestroyNotify)vp_load_progress_unref);
  }
  g_mutex_unlock(&progress->lock);
}

/* ---- Results ---- */

void vp_loaded_case_free(VpLoadedCase *loaded)
{
  if (!loaded)
    return;
  vp_case_free(loaded->c);
  g_free(loaded->teaching_note);
  vp_plan_free(loaded->plan);
  g_free(loaded->plan_path);
  g_free(loaded->recovery_path);
  g_free(loaded);
}

static void set_gerror(GError **error, const VpError *err)
{
  if (err->code == VP_ERR_CANCELLED)
    g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_CANCELLED, err->message);
  else
    g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                        err->message[0] ? err->message : _("The file could not be read."));
}

gboolean vp_loaded_case_remeasure(VpLoadedCase *loaded, GError **error)
{
  VpError err;
  vp_error_clear(&err);
  if (vp_mesh_measure(loaded->c->surface, &loaded->stats, &err))
    return TRUE;
  set_gerror(error, &err);
  return FALSE;
}

/* Takes c; NULL (with err set) when c is NULL or cannot be measured. */
static VpLoadedCase *loaded_case_new(VpCase *c, VpError *err)
{
  if (!c)
    return NULL;
  VpLoadedCase *loaded = g_new0(VpLoadedCase, 1);
  loaded->c = c;
  if (!vp_mesh_measure(c->surface, &loaded->stats, err)) {
    vp_loaded_case_free(loaded);
    return NULL;
  }
  return loaded;
}

/* The plan a case opened from a mesh or a mask starts its document with.
 * Without one the window makes it, on the main loop: no reason to fail here. */
static void describe_case(VpLoadedCase *loaded)
{
  VpError err;
  vp_error_clear(&err);
  VpPlan *plan = vp_plan_new(VP_VERSION, &err);
  if (plan && vp_case_to_plan(loaded->c, plan, &err))
    loaded->plan = plan;
  else
    vp_plan_free(plan);
}

void vp_open_result_free(VpOpenResult *result)
{
  if (!result)
    return;
  g_free(result->path);
  vp_loaded_case_free(result->loaded);
  free(result->mask_path); /* malloc'ed: some come from vp_case_find_companion() */
  free(result->ct_path);
  vp_label_stats_clear(&result->labels);
  vp_plan_free(result->plan);
  vp_plan_load_report_clear(&result->report);
  g_free(result->document_path);
  g_free(result);
}

/* ---- Helpers for the workers ---- */

/* Hands the task its result, or err when result is NULL. */
static void task_return(GTask *task, gpointer result, GDestroyNotify free_result, const VpError *err)
{
  if (result) {
    g_task_return_pointer(task, result, free_result);
    return;
  }
  GError *error = NULL;
  set_gerror(&error, err);
  g_task_return_error(task, error);
}

static bool check_cancelled(VpLoadProgress *progress, VpError *err)
{
  if (!vp_load_progress_is_cancelled(progress))
    return true;
  return vp_error_set(err, VP_ERR_CANCELLED, "%s", _("Cancelled."));
}

/* The first look at a file runs the task with this as its data. */
typedef struct OpenJob {
  char *path;
  char *ct_path;
  gboolean recovery; /* path is a recovery file */
  VpLoadProgress *progress;
} OpenJob;

static void open_job_free(OpenJob *job)
{
  g_free(job->path);
  g_free(job->ct_path);
  vp_load_progress_unref(job->progress);
  g_free(job);
}

/* ---- Looking at a file ---- */

static bool count_labels(VpOpenResult *r, const VpVolume *mask, const char *mask_path, VpError *err)
{
  if (!vp_volume_label_stats(mask, &r->labels, err))
    return false;
  if (r->labels.count == 0) {
    g_autofree char *name = g_path_get_basename(mask_path);
    return vp_error_set(err, VP_ERR_INVALID, _("The mask “%s” labels no voxel, so it holds no vertebra."),
                        name);
  }
  return true;
}

static VpVolume *read_volume(const char *path, const char *stage, VpLoadProgress *progress,
                             VpError *err)
{
  if (!check_cancelled(progress, err))
    return NULL;
  vp_load_progress_report(progress, -1, stage);
  return vp_volume_load_nifti(path, NULL, NULL, err);
}

/* A CT: the mask beside it, when there is one and it really is a mask. A
 * companion that cannot be read is an error naming it, not a silent skip. */
static bool open_ct(VpOpenResult *r, VpLoadProgress *progress, VpError *err)
{
  r->ct_path = strdup(r->path);
  char *mask_path = vp_case_find_companion(r->path, false);
  if (!mask_path)
    return true;
  VpVolume *mask = read_volume(mask_path, _("Reading the label mask"), progress, err);
  bool ok = mask != NULL;
  if (ok && vp_volume_looks_like_mask(mask)) {
    r->mask_path = mask_path;
    mask_path = NULL;
    ok = count_labels(r, mask, r->mask_path, err);
  } else if (!ok && err->code != VP_ERR_CANCELLED) {
    g_autofree char *name = g_path_get_basename(mask_path);
    vp_error_prefix(err, _("The label mask beside the CT, “%s”, could not be read"), name);
  }
  free(mask_path);
  vp_volume_free(mask);
  return ok;
}

static bool open_volume(VpOpenResult *r, const char *ct_hint, VpLoadProgress *progress,
                        VpError *err)
{
  VpVolume *vol = read_volume(r->path, _("Reading the volume"), progress, err);
  if (!vol)
    return false;
  r->opened_mask = vp_volume_looks_like_mask(vol);
  bool ok;
  if (r->opened_mask) {
    vp_load_progress_report(progress, -1, _("Counting the labels"));
    r->mask_path = strdup(r->path);
    r->ct_path = ct_hint ? strdup(ct_hint) : vp_case_find_companion(r->path, true);
    ok = count_labels(r, vol, r->path, err);
    vp_volume_free(vol);
  } else {
    vp_volume_free(vol); /* the CT is read again with the case; keep one in memory at a time */
    ok = open_ct(r, progress, err);
  }
  return ok && check_cancelled(progress, err);
}

static bool open_plan(VpOpenResult *r, VpLoadProgress *progress, VpError *err)
{
  vp_load_progress_report(progress, -1, _("Reading the plan and checking its files"));
  r->plan = vp_plan_load(r->path, &r->report, err);
  return r->plan && check_cancelled(progress, err);
}

static bool open_mesh(VpOpenResult *r, VpLoadProgress *progress, VpError *err)
{
  vp_load_progress_report(progress, -1, _("Reading the surface"));
  r->loaded = loaded_case_new(vp_case_from_mesh_file(r->path, vp_load_progress_core(progress), err), err);
  if (r->loaded)
    describe_case(r->loaded);
  return r->loaded != NULL;
}

static bool open_any(VpOpenResult *r, const char *ct_hint, VpLoadProgress *progress, VpError *err)
{
  switch (r->kind) {
  case VP_FILE_MESH:
    return open_mesh(r, progress, err);
  case VP_FILE_VOLUME:
    return open_volume(r, ct_hint, progress, err);
  case VP_FILE_PLAN:
    return open_plan(r, progress, err);
  case VP_FILE_UNKNOWN:
  default:
    return vp_error_set(err, VP_ERR_FORMAT, "%s",
                        _("This is not a file Vertebra Planner can open. It opens surface meshes "
                          "(STL, OBJ, PLY), CT volumes and label masks (NIfTI, .nii or .nii.gz) "
                          "and plans (.vplan)."));
  }
}

static bool check_sources(VpOpenResult *r, VpError *err);

/* An autosave: its plan is opened like a plan file, sources checked. */
static bool open_recovery(VpOpenResult *r, VpLoadProgress *progress, VpError *err)
{
  vp_load_progress_report(progress, -1, _("Reading the plan and checking its files"));
  VpRecoveryInfo info = {0};
  r->kind = VP_FILE_PLAN;
  r->recovered = TRUE;
  r->plan = vp_recovery_read(r->path, &info, err);
  if (r->plan)
    r->document_path = g_strdup(info.document_path);
  vp_recovery_info_clear(&info);
  return r->plan && check_sources(r, err) && check_cancelled(progress, err);
}

static void open_in_thread(GTask *task, gpointer source, gpointer task_data,
                           GCancellable *cancellable)
{
  OpenJob *job = task_data;
  VpError err;
  vp_error_clear(&err);
  if (!job->path) {
    g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "%s",
                            _("Only files on this computer can be opened."));
    return;
  }
  VpOpenResult *r = g_new0(VpOpenResult, 1);
  r->path = g_strdup(job->path);
  r->kind = vp_file_kind(job->path);
  gboolean opened = job->recovery ? open_recovery(r, job->progress, &err)
                                  : open_any(r, job->ct_path, job->progress, &err);
  if (!opened)
    g_clear_pointer(&r, vp_open_result_free);
  task_return(task, r, (GDestroyNotify)vp_open_result_free, &err);
}

static void run(gpointer data, GDestroyNotify free_data, GTaskThreadFunc func,
                GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new(NULL, NULL, callback, user_data);
  g_task_set_task_data(task, data, free_data);
  g_task_run_in_thread(task, func);
  g_object_unref(task);
}

void vp_case_loader_open_async(const char *path, const char *ct_path, VpLoadProgress *progress,
                               GAsyncReadyCallback callback, gpointer user_data)
{
  OpenJob *job = g_new0(OpenJob, 1);
  job->path = g_strdup(path);
  job->ct_path = g_strdup(ct_path);
  job->progress = vp_load_progress_ref(progress);
  run(job, (GDestroyNotify)open_job_free, open_in_thread, callback, user_data);
}

void vp_case_loader_open_recovery_async(const char *recovery_path, VpLoadProgress *progress,
                                        GAsyncReadyCallback callback, gpointer user_data)
{
  OpenJob *job = g_new0(OpenJob, 1);
  job->path = g_strdup(recovery_path);
  job->recovery = TRUE;
  job->progress = vp_load_progress_ref(progress);
  run(job, (GDestroyNotify)open_job_free, open_in_thread, callback, user_data);
}

VpOpenResult *vp_case_loader_open_finish(GAsyncResult *result, GError **error)
{
  g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
  return g_task_propagate_pointer(G_TASK(result), error);
}

/* ---- Plans ---- */

typedef struct PlanJob {
  VpOpenResult *result;
  VpLoadProgress *progress;
} PlanJob;

static void plan_job_free(PlanJob *job)
{
  vp_open_result_free(job->result);
  vp_load_progress_unref(job->progress);
  g_free(job);
}

static PlanJob *plan_job_new(VpOpenResult *result, VpLoadProgress *progress)
{
  PlanJob *job = g_new0(PlanJob, 1);
  job->result = result;
  job->progress = vp_load_progress_ref(progress);
  return job;
}

static bool check_sources(VpOpenResult *r, VpError *err)
{
  const VpPlanCase *pc = &r->plan->case_info;
  VpPlanLoadReport *report = &r->report;
  vp_plan_load_report_clear(report);
  report->source_states = calloc(pc->source_count ? pc->source_count : 1, sizeof(VpSourceState));
  if (!report->source_states)
    return vp_error_set(err, VP_ERR_NOMEM, "%s", _("Out of memory."));
  report->source_count = pc->source_count;
  for (size_t i = 0; i < pc->source_count; i++) {
    VpSourceState state = vp_plan_source_check(&pc->sources[i]);
    report->source_states[i] = state;
    report->missing_count += state == VP_SOURCE_MISSING;
    report->changed_count += state == VP_SOURCE_CHANGED;
    report->unreadable_count += state == VP_SOURCE_UNREADABLE;
  }
  return true;
}

static void check_plan_in_thread(GTask *task, gpointer source, gpointer task_data,
                                 GCancellable *cancellable)
{
  PlanJob *job = task_data;
  VpError err;
  vp_error_clear(&err);
  vp_load_progress_report(job->progress, -1, _("Checking the plan’s files"));
  VpOpenResult *r = NULL;
  if (check_sources(job->result, &err) && check_cancelled(job->progress, &err))
    r = g_steal_pointer(&job->result);
  task_return(task, r, (GDestroyNotify)vp_open_result_free, &err);
}

void vp_case_loader_check_plan_async(VpOpenResult *result, VpLoadProgress *progress,
                                     GAsyncReadyCallback callback, gpointer user_data)
{
  run(plan_job_new(result, progress), (GDestroyNotify)plan_job_free, check_plan_in_thread,
      callback, user_data);
}

VpOpenResult *vp_case_loader_check_plan_finish(GAsyncResult *result, GError **error)
{
  g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
  return g_task_propagate_pointer(G_TASK(result), error);
}

/* The user chose to go on with files that changed since the plan was saved:
 * record them as they are now (added again, so with today's checksum). */
static bool accept_changed_sources(VpOpenResult *r, VpError *err)
{
  VpPlanCase *pc = &r->plan->case_info;
  for (size_t i = pc->source_count; i-- > 0;) {
    if (i >= r->report.source_count || r->report.source_states[i] != VP_SOURCE_CHANGED)
      continue;
    VpSourceRole role = pc->sources[i].role;
    char *path = strdup(pc->sources[i].path);
    if (!path)
      return vp_error_set(err, VP_ERR_NOMEM, "%s", _("Out of memory."));
    vp_plan_remove_source(r->plan, i);
    bool added = vp_plan_add_source(r->plan, role, path, err);
    free(path);
    if (!added)
      return false;
  }
  vp_plan_load_report_clear(&r->report);
  return true;
}

static void build_from_plan_in_thread(GTask *task, gpointer source, gpointer task_data,
                                      GCancellable *cancellable)
{
  PlanJob *job = task_data;
  VpError err;
  vp_error_clear(&err);
  VpLoadedCase *loaded = NULL;
  if (accept_changed_sources(job->result, &err))
    loaded = loaded_case_new(
        vp_case_from_plan(job->result->plan, vp_load_progress_core(job->progress), &err), &err);
  if (loaded) { /* the case itself has no place for it: the window shows it beside the case */
    VpOpenResult *r = job->result;
    loaded->teaching_note = g_strdup(r->plan->case_info.teaching_note);
    loaded->plan_path = g_strdup(r->recovered ? r->document_path : r->path);
    loaded->recovery_path = r->recovered ? g_strdup(r->path) : NULL;
    loaded->plan = g_steal_pointer(&r->plan); /* the document starts from it */
  }
  task_return(task, loaded, (GDestroyNotify)vp_loaded_case_free, &err);
}

void vp_case_loader_build_from_plan_async(VpOpenResult *result, VpLoadProgress *progress,
                                          GAsyncReadyCallback callback, gpointer user_data)
{
  run(plan_job_new(result, progress), (GDestroyNotify)plan_job_free, build_from_plan_in_thread,
      callback, user_data);
}

/* ---- Masks ---- */

typedef struct MaskJob {
  char *mask_path;
  int label;
  char *ct_path;
  VpLoadProgress *progress;
} MaskJob;

static void mask_job_free(MaskJob *job)
{
  g_free(job->mask_path);
  g_free(job->ct_path);
  vp_load_progress_unref(job->progress);
  g_free(job);
}

static void build_from_mask_in_thread(GTask *task, gpointer source, gpointer task_data,
                                      GCancellable *cancellable)
{
  MaskJob *job = task_data;
  VpError err;
  vp_error_clear(&err);
  VpLoadedCase *loaded =
      loaded_case_new(vp_case_from_mask(job->mask_path, job->label, job->ct_path, NULL,
                                        vp_load_progress_core(job->progress), &err),
                      &err);
  if (loaded)
    describe_case(loaded);
  task_return(task, loaded, (GDestroyNotify)vp_loaded_case_free, &err);
}

void vp_case_loader_build_from_mask_async(const char *mask_path, int label, const char *ct_path,
                                          VpLoadProgress *progress, GAsyncReadyCallback callback,
                                          gpointer user_data)
{
  MaskJob *job = g_new0(MaskJob, 1);
  job->mask_path = g_strdup(mask_path);
  job->label = label;
  job->ct_path = g_strdup(ct_path);
  job->progress = vp_load_progress_ref(progress);
  run(job, (GDestroyNotify)mask_job_free, build_from_mask_in_thread, callback, user_data);
}

VpLoadedCase *vp_case_loader_build_finish(GAsyncResult *result, GError **error)
{
  g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
  return g_task_propagate_pointer(G_TASK(result), error);
}
