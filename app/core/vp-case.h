/* The case: one vertebra, as a surface and optionally the CT and the label
 * mask it came from, all in one world frame (RAS+ mm), plus its level. Cases
 * come from a mesh file, from a mask (choosing a label), or from a plan
 * document, and go back into a plan's "case" section. */
#pragma once

#include <stdbool.h>

#include "vp-error.h"
#include "vp-mesh-repair.h"
#include "vp-mesh.h"
#include "vp-plan.h"
#include "vp-surface.h"
#include "vp-volume.h"

/* Progress of long work, for callers that show it and may cancel it. Both
 * callbacks may be NULL; they are called from the thread doing the work. */
typedef struct VpProgress {
  /* fraction in [0, 1]; stage is a short translated phrase ("Reading the CT") */
  void (*report)(void *user, double fraction, const char *stage);
  /* true when the caller wants the work to stop; the function then fails
   * with VP_ERR_CANCELLED */
  bool (*cancelled)(void *user);
  void *user;
} VpProgress;

typedef struct VpCase {
  char *name;        /* shown to the user, e.g. "sub-verse009 L3" (owned) */
  char level[8];     /* "L3", or "" when unknown */
  int label;         /* label in the mask, or 0 when the case has no mask */
  VpMesh *surface;   /* the vertebra surface, world RAS+ mm, repaired (owned) */
  VpVolume *ct;      /* optional CT in Hounsfield units (owned) */
  VpVolume *mask;    /* optional label mask (owned) */
  char *surface_path; /* absolute source paths (owned), NULL when absent; */
  char *ct_path;      /* surface_path is NULL when the surface was */
  char *mask_path;    /* extracted from the mask */
  VpMeshRepairReport repair; /* what loading the surface found and fixed */
} VpCase;

typedef enum VpFileKind {
  VP_FILE_UNKNOWN,
  VP_FILE_MESH,   /* STL, OBJ, PLY */
  VP_FILE_VOLUME, /* NIfTI-1/2, .nii or .nii.gz: a CT or a mask */
  VP_FILE_PLAN,   /* .vplan */
} VpFileKind;

/* What a file is, by content first and extension second. */
VpFileKind vp_file_kind(const char *path);

/* A volume of small non-negative integers with few distinct values is a
 * label mask; anything else (e.g. HU from -1024 up) is a CT. */
bool vp_volume_looks_like_mask(const VpVolume *vol);

/* For a CT, the mask beside it (e.g. "x_ct.nii.gz" -> "x_seg-vert_msk.nii.gz"),
 * or for a mask the CT beside it; malloc'ed path or NULL when none exists. */
char *vp_case_find_companion(const char *path, bool want_ct);

void vp_case_free(VpCase *c);

/* A case from a surface mesh file, loaded and repaired (see c->repair). */
VpCase *vp_case_from_mesh_file(const char *path, const VpProgress *progress, VpError *err);

/* A case from one label of a mask: the surface by marching cubes (opts NULL:
 * vp_surface_options_default for the mask), the CT loaded when ct_path is
 * given and checked to share the mask's grid or at least its world frame. */
VpCase *vp_case_from_mask(const char *mask_path, int label, const char *ct_path,
                          const VpSurfaceOptions *opts, const VpProgress *progress, VpError *err);

/* The case a plan document describes, from its sources (paths already
 * resolved by vp_plan_load). Missing or changed sources are errors here; the
 * caller checks the load report first to ask the user. */
VpCase *vp_case_from_plan(const VpPlan *plan, const VpProgress *progress, VpError *err);

/* Writes the case's name, level, label and sources into plan. */
bool vp_case_to_plan(const VpCase *c, VpPlan *plan, VpError *err);
