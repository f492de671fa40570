/* The plan document (.vplan): which case is planned and which files it was
 * made from, saved as JSON. Built to grow: keys this version does not know are
 * kept and written back, and every newer version reads every older plan. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vp-error.h"
#include "vp-fileutil.h"
#include "vp-sha256.h"

#define VP_PLAN_FORMAT_NAME "vertebra-planner-plan"
/* The major format version this build writes and the newest it reads. It
 * changes only when older versions could misread a plan; new keys do not
 * change it, since older versions keep keys they do not know. */
#define VP_PLAN_FORMAT_VERSION 1
#define VP_PLAN_EXTENSION ".vplan"
/* Plans are small; anything larger is not a plan, and is refused before reading. */
#define VP_PLAN_MAX_FILE_BYTES ((size_t)64 * 1024 * 1024)
/* "L3", "T12", or "" when not set. */
#define VP_PLAN_LEVEL_SIZE 8
/* Mask labels: VerSe numbers run from 1 (C1) to 28 (T13), other segmentations
 * use more; any positive label up to 65535 is kept. 0 means not set (JSON null). */
#define VP_PLAN_LABEL_NONE 0
#define VP_PLAN_LABEL_MAX 65535

struct cJSON; /* keys this version does not know, kept opaque */

typedef enum VpSourceRole {
  VP_SOURCE_ROLE_SURFACE, /* "surface": a mesh of the vertebra */
  VP_SOURCE_ROLE_CT,      /* "ct": the CT volume */
  VP_SOURCE_ROLE_MASK,    /* "mask": a label volume */
  VP_SOURCE_ROLE_OTHER,   /* a role a newer version wrote; kept, not used */
} VpSourceRole;

typedef struct VpPlanSource {
  VpSourceRole role;
  char *path;                         /* absolute, or as stored when no folder was known */
  char sha256[VP_SHA256_HEX_SIZE];    /* of the file when it was added */
  uint64_t size_bytes;
  struct cJSON *unknown;              /* owned; may be NULL */
} VpPlanSource;

typedef struct VpPlanCase {
  char *name;                         /* never NULL; "" when not set */
  char level[VP_PLAN_LEVEL_SIZE];
  int label;                          /* VerSe label number or VP_PLAN_LABEL_NONE */
  char *notes;                        /* free text the user typed; NULL when none */
  VpPlanSource *sources;
  size_t source_count;
  struct cJSON *unknown;
  /* A teaching case's note for the trainee, as its author wrote it (shown
   * through gettext, so the notes of the bundled cases appear translated);
   * NULL when none. JSON "case.teaching_note". */
  char *teaching_note;
  /* What a generated phantom was built as (its ground truth, see
   * vp-phantom.h): an owned JSON object, or NULL. JSON "case.phantom". */
  struct cJSON *phantom;
} VpPlanCase;

/* A distance or an angle the user measured on a view, in world RAS+ mm.
 * JSON "measurements": [{"kind": "distance"|"angle", "points_mm": [[x,y,z],...]}]. */
typedef enum VpMeasurementKind {
  VP_MEASUREMENT_DISTANCE, /* points[0] to points[1] */
  VP_MEASUREMENT_ANGLE,    /* the angle at points[1] between points[0] and points[2] */
} VpMeasurementKind;

/* Most measurements one plan keeps; more is not a plan a person made. */
#define VP_PLAN_MAX_MEASUREMENTS 1000

typedef struct VpPlanMeasurement {
  VpMeasurementKind kind;
  double points_mm[3][3]; /* 2 used for a distance, 3 for an angle; finite */
} VpPlanMeasurement;

/* Limits of a stored frame correction. */
#define VP_PLAN_MAX_FRAME_ROTATION_DEG 180.0
#define VP_PLAN_MAX_FRAME_OFFSET_MM 100.0

/* The user's correction of the automatic anatomical frame (see
 * VpFrameAdjustment in vp-anatomy.h): JSON "anatomy": {"frame_adjustment":
 * {"rotation_deg": [l, a, s], "offset_mm": [l, a, s]}}; absent when none. */
typedef struct VpPlanAnatomy {
  bool has_frame_adjustment;
  double rotation_deg[3]; /* about left, anterior, superior; finite, within ±180 */
  double offset_mm[3];    /* along left, anterior, superior; finite, within ±100 mm */
} VpPlanAnatomy;

/* Owned by the caller: vp_plan_new() or vp_plan_load(), then vp_plan_free(). */
typedef struct VpPlan {
  int format_version;                 /* as read; saving writes VP_PLAN_FORMAT_VERSION */
  char *created_with;                 /* application version that created the plan */
  VpPlanCase case_info;               /* JSON "case" */
  VpPlanMeasurement *measurements;    /* JSON "measurements"; absent in older plans */
  size_t measurement_count;
  VpPlanAnatomy anatomy;              /* JSON "anatomy" */
  struct cJSON *unknown;
} VpPlan;

/* A new, empty plan. created_with is the application's version string. */
VpPlan *vp_plan_new(const char *created_with, VpError *err);
void vp_plan_free(VpPlan *plan);

/* Sets the case. level is "" or a vertebra such as "L3" (C1-C7, T1-T13,
 * L1-L6, S1); label is a VerSe label number or VP_PLAN_LABEL_NONE. */
bool vp_plan_set_case(VpPlan *plan, const char *name, const char *level, int label, VpError *err);
/* notes may be NULL or "" to remove them. */
bool vp_plan_set_notes(VpPlan *plan, const char *notes, VpError *err);
/* note may be NULL or "" to remove it. */
bool vp_plan_set_teaching_note(VpPlan *plan, const char *note, VpError *err);
/* Stores a copy of a phantom's ground truth (a JSON object); NULL removes it. */
bool vp_plan_set_phantom(VpPlan *plan, const struct cJSON *truth, VpError *err);
/* Adds a file the plan is made from, recording its SHA-256 and size now. A
 * relative path is taken from the current directory and stored absolute. */
bool vp_plan_add_source(VpPlan *plan, VpSourceRole role, const char *path, VpError *err);
/* Removes source index (must be < source_count). */
void vp_plan_remove_source(VpPlan *plan, size_t index);

/* Appends a copy of m (points must be finite; at most VP_PLAN_MAX_MEASUREMENTS). */
bool vp_plan_add_measurement(VpPlan *plan, const VpPlanMeasurement *m, VpError *err);
/* Removes measurement index (must be < measurement_count). */
void vp_plan_remove_measurement(VpPlan *plan, size_t index);
/* Length in mm (distance) or angle in degrees (angle). */
double vp_plan_measurement_value(const VpPlanMeasurement *m);

/* Stores the frame correction; all zeros removes it. Values out of the
 * ranges above fail (VP_ERR_INVALID) and leave the plan as it was. */
bool vp_plan_set_frame_adjustment(VpPlan *plan, const double rotation_deg[3],
                                  const double offset_mm[3], VpError *err);

/* A deep copy, or NULL with err set when memory runs out. */
VpPlan *vp_plan_copy(const VpPlan *plan, VpError *err);
/* Whether two plans would be written as the same document. */
bool vp_plan_equal(const VpPlan *a, const VpPlan *b);

/* "surface", "ct", "mask", or NULL for VP_SOURCE_ROLE_OTHER. */
const char *vp_source_role_name(VpSourceRole role);

/* ---- the document ---- */

/* The plan as JSON text, malloc'ed, ending in a newline. Source paths are
 * written relative to base_dir (absolute; NULL for none: paths as they are),
 * with ".." for files outside it. Returns NULL with err set when memory runs out. */
char *vp_plan_to_json(const VpPlan *plan, const char *base_dir, VpError *err);
/* Reads a plan from NUL-terminated JSON text; relative source paths are
 * resolved against base_dir when it is not NULL. Touches no file. Errors give
 * the line and column of a syntax error or the key that is wrong
 * ("case.sources[0].sha256"). */
VpPlan *vp_plan_from_json(const char *text, const char *base_dir, VpError *err);

/* Room for any double written by vp_plan_format_number(). */
#define VP_PLAN_NUMBER_SIZE 40
/* Writes d as JSON number text that reads back as exactly d (fewest digits
 * that do, '.' as the decimal point in every locale). False for NaN and
 * infinities, which JSON cannot hold. */
bool vp_plan_format_number(double d, char buf[VP_PLAN_NUMBER_SIZE]);

/* ---- files ---- */

typedef enum VpSourceState {
  VP_SOURCE_FOUND,      /* present with the recorded size and SHA-256 */
  VP_SOURCE_MISSING,    /* no file at the path */
  VP_SOURCE_CHANGED,    /* a file is there, but not the same bytes */
  VP_SOURCE_UNREADABLE, /* present but could not be read (permissions, a folder) */
} VpSourceState;

/* What loading found out about the plan's files. These are not errors: the
 * plan loads, and the application asks the user what to do. */
typedef struct VpPlanLoadReport {
  VpSourceState *source_states; /* source_count entries, same order as the plan's sources */
  size_t source_count;
  size_t missing_count;
  size_t changed_count;
  size_t unreadable_count;
} VpPlanLoadReport;

void vp_plan_load_report_clear(VpPlanLoadReport *report);

/* Looks at the file now: size first, then SHA-256. */
VpSourceState vp_plan_source_check(const VpPlanSource *source);

/* Writes the plan to path atomically; source paths are stored relative to the
 * plan's folder, so the folder can be moved as a whole together with sources
 * inside it, and sources beside it stay found when both move together. */
bool vp_plan_save(const VpPlan *plan, const char *path, VpError *err);
/* Reads a plan and checks its files. report (may be NULL) is filled on
 * success and must be cleared with vp_plan_load_report_clear(). */
VpPlan *vp_plan_load(const char *path, VpPlanLoadReport *report, VpError *err);
