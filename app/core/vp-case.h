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
  char *ct_path;      /* surface_path is NULL when the surface was extracted */
  char *mask_path;    /* from the mask, until vp_case_save_surface() */
  VpMeshRepairReport repair; /* what loading the surface found and fixed */
  bool ct_same_grid; /* the CT shares the mask's voxel grid; when false (and both
                      * are present) the CT is sampled by world coordinates */
} VpCase;

typedef enum VpFileKind {
  VP_FILE_UNKNOWN,
  VP_FILE_MESH,   /* STL, OBJ, PLY */
  VP_FILE_VOLUME, /* NIfTI-1/2, .nii or .nii.gz: a CT or a mask */
  VP_FILE_PLAN,   /* .vplan */
} VpFileKind;

/* What a file is, by content first and extension second: NIfTI signatures
 * (also inside gzip), JSON naming the plan format, PLY and STL signatures,
 * then the extensions .stl .obj .ply .nii .nii.gz .vplan. A file that cannot
 * be read is judged by its extension alone. */
VpFileKind vp_file_kind(const char *path);
/* "mesh", "volume", "plan" or "unknown" (not translated: for JSON). */
const char *vp_file_kind_name(VpFileKind kind);

/* A volume of small non-negative integers with few distinct values is a
 * label mask; anything else (e.g. HU from -1024 up) is a CT. Precisely: every
 * value within 1e-3 of a whole number from 0 to 999, at most 128 distinct
 * values (so float-stored masks and whole-body segmentations count). */
bool vp_volume_looks_like_mask(const VpVolume *vol);

/* For a CT, the mask beside it (e.g. "x_ct.nii.gz" -> "x_seg-vert_msk.nii.gz"),
 * or for a mask the CT beside it; malloc'ed path or NULL when none exists. */
char *vp_case_find_companion(const char *path, bool want_ct);

void vp_case_free(VpCase *c);

/* A case from a surface mesh file, loaded and repaired (see c->repair). A
 * model in metres is reported (repair.looks_like_metres), not scaled. The
 * name is the file name without extension; a level written in it as a word
 * ("sub-verse009_L3.stl") becomes the case's level. Errors name the file. */
VpCase *vp_case_from_mesh_file(const char *path, const VpProgress *progress, VpError *err);

/* A case from one label of a mask: the surface by marching cubes (opts NULL:
 * vp_surface_options_default for the mask), the CT loaded when ct_path is
 * given and checked with vp_case_check_ct_grid(). A volume that does not look
 * like a mask, or a label it lacks (the message lists those present), fails
 * with VP_ERR_INVALID. Progress stages: "Reading the mask", "Reading the CT",
 * "Extracting the L3 surface", "Done"; cancellation is checked before each.
 * The name is the mask's file name without its mask ending plus the level
 * ("sub-verse009 L3"). */
VpCase *vp_case_from_mask(const char *mask_path, int label, const char *ct_path,
                          const VpSurfaceOptions *opts, const VpProgress *progress, VpError *err);

/* The case a plan document describes, from its sources (paths already
 * resolved by vp_plan_load). Missing or changed sources are errors here; the
 * caller checks the load report first to ask the user. The surface comes
 * from the surface source when there is one, else it is extracted again
 * from the mask and the plan's label. The plan's name, level and label win
 * over those the files suggest. */
VpCase *vp_case_from_plan(const VpPlan *plan, const VpProgress *progress, VpError *err);

/* Saves the case's surface as binary STL (atomically) and makes that file
 * its surface source (c->surface_path), so a plan written afterwards names
 * the surface, the CT and the mask, and opens without extracting again. */
bool vp_case_save_surface(VpCase *c, const char *stl_path, VpError *err);

/* Whether a CT can be shown with a mask: the same dimensions with every corner
 * voxel centre within 1e-3 mm (*same_grid true), or another grid whose world
 * box overlaps the mask's (*same_grid false: the CT is then sampled by world
 * coordinates; neither volume is changed). No overlap is an error giving
 * both boxes. same_grid may be NULL. */
bool vp_case_check_ct_grid(const VpVolume *mask, const VpVolume *ct, bool *same_grid, VpError *err);

/* Writes the case's name, level, label and sources into plan: the plan's
 * surface, CT and mask sources are replaced (SHA-256 taken now), sources of
 * roles this version does not know are kept. On failure the plan is left as
 * it was. */
bool vp_case_to_plan(const VpCase *c, VpPlan *plan, VpError *err);
