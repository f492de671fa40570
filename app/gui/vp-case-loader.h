/* Opening cases off the main loop: the first look at a file (a mesh becomes a
 * case at once; a volume yields its labels and companion; a plan its files'
 * states), building a case from the user's choice, and progress that worker
 * threads report and the main loop shows, with cancellation. */
#pragma once

#include <gio/gio.h>

#include "vp-case.h"

G_BEGIN_DECLS

/* ---- Progress ---- */

typedef struct VpLoadProgress VpLoadProgress;

/* Called on the main thread; fraction < 0 when unknown. */
typedef void (*VpLoadProgressFunc)(double fraction, const char *stage, gpointer user_data);

/* Created on the main thread; reports reach func there until cancelled. */
VpLoadProgress *vp_load_progress_new(VpLoadProgressFunc func, gpointer user_data);
VpLoadProgress *vp_load_progress_ref(VpLoadProgress *progress);
void vp_load_progress_unref(VpLoadProgress *progress);

/* Main thread: asks the work to stop and drops reports still on their way. */
void vp_load_progress_cancel(VpLoadProgress *progress);
/* Any thread. */
gboolean vp_load_progress_is_cancelled(VpLoadProgress *progress);
/* Any thread; stage may be NULL to keep the last one. */
void vp_load_progress_report(VpLoadProgress *progress, double fraction, const char *stage);
/* The core's view of it, valid as long as progress. */
const VpProgress *vp_load_progress_core(VpLoadProgress *progress);

/* ---- Results ---- */

/* A case and its measures, made in a worker thread. */
typedef struct VpLoadedCase {
  VpCase *c;
  VpMeshStats stats;
  char *teaching_note; /* the plan's teaching note, untranslated, or NULL */
  /* The plan of the case: the one it was opened from, or for a mesh or a
   * mask one made in the worker (vp_case_to_plan() hashes every file, which
   * takes long for a large CT); NULL when none could be made. Whoever takes
   * it sets this to NULL. */
  VpPlan *plan;
  char *plan_path;     /* the plan file the case was opened from, or NULL */
  char *recovery_path; /* the recovery file the plan was read from, or NULL */
} VpLoadedCase;

void vp_loaded_case_free(VpLoadedCase *loaded);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VpLoadedCase, vp_loaded_case_free)

/* Measures the case's surface again after it changed (e.g. was scaled). */
gboolean vp_loaded_case_remeasure(VpLoadedCase *loaded, GError **error);

typedef struct VpOpenResult {
  VpFileKind kind;
  char *path;
  VpLoadedCase *loaded;    /* VP_FILE_MESH: the case, ready */
  /* VP_FILE_VOLUME */
  gboolean opened_mask;    /* the file itself is the mask (else it is a CT) */
  char *mask_path;         /* the mask, or NULL when a CT has none beside it */
  char *ct_path;           /* the CT: opened, given, or found beside the mask; or NULL */
  VpLabelStats labels;     /* of the mask */
  /* VP_FILE_PLAN */
  VpPlan *plan;
  VpPlanLoadReport report; /* the state of each of the plan's files */
  /* A plan read from a recovery file (then path): the plan file it is the
   * unsaved state of, or NULL when it was never saved. */
  gboolean recovered;
  char *document_path;
} VpOpenResult;

void vp_open_result_free(VpOpenResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VpOpenResult, vp_open_result_free)

/* ---- Work in threads ----
 * Every function reports cancellation as G_IO_ERROR_CANCELLED and any other
 * failure as G_IO_ERROR_FAILED with the core's message, written for the user. */

/* Looks at path. For a mask, ct_path (may be NULL) is the CT to offer instead
 * of the one found beside it. */
void vp_case_loader_open_async(const char *path, const char *ct_path, VpLoadProgress *progress,
                               GAsyncReadyCallback callback, gpointer user_data);
VpOpenResult *vp_case_loader_open_finish(GAsyncResult *result, GError **error);
/* Reads a recovery file (see vp-recovery.h) and checks its plan's files, as
 * opening a plan does: the result is a VP_FILE_PLAN marked recovered. Finish
 * with vp_case_loader_open_finish(). */
void vp_case_loader_open_recovery_async(const char *recovery_path, VpLoadProgress *progress,
                                        GAsyncReadyCallback callback, gpointer user_data);

/* Checks a plan's files again (after the user located one); takes result
 * and gives it back with a fresh report. */
void vp_case_loader_check_plan_async(VpOpenResult *result, VpLoadProgress *progress,
                                     GAsyncReadyCallback callback, gpointer user_data);
VpOpenResult *vp_case_loader_check_plan_finish(GAsyncResult *result, GError **error);

/* The case of one label of a mask, with the CT when ct_path is not NULL. */
void vp_case_loader_build_from_mask_async(const char *mask_path, int label, const char *ct_path,
                                          VpLoadProgress *progress, GAsyncReadyCallback callback,
                                          gpointer user_data);
/* The case of a plan (takes result). Files the report found changed are
 * accepted as they are now: the plan records their new checksums. */
void vp_case_loader_build_from_plan_async(VpOpenResult *result, VpLoadProgress *progress,
                                          GAsyncReadyCallback callback, gpointer user_data);
VpLoadedCase *vp_case_loader_build_finish(GAsyncResult *result, GError **error);

G_END_DECLS
