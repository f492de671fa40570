/* Anatomical vertebra phantoms: a parametric model of one vertebra (T1-L5)
 * shaped from published morphometry, with optional fractures, clefts,
 * endplate breaks, retropulsion, osteoporosis and lesions, turned into a
 * watertight surface, a label mask and a synthetic CT whose true answers are
 * known (the ground truth). Also the texts of the teaching cases shipped with
 * the application.
 *
 * The model lives in a vertebra frame with its origin at the centre of the
 * vertebral body and the axes of world RAS+: +x the patient's right, +y
 * anterior, +z superior. The phantom is placed in the world by a translation
 * (see VpPhantom.local_to_world); lesion centres are given in the vertebra
 * frame, so "0,0,0" is the centre of the body whatever the world position. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vp-case.h"
#include "vp-error.h"
#include "vp-math.h"
#include "vp-mesh.h"
#include "vp-volume.h"

struct cJSON;

#define VP_PHANTOM_MAX_LESIONS 4
/* Format version of the ground-truth object ("case.phantom" in a plan). */
#define VP_PHANTOM_TRUTH_VERSION 1

typedef enum VpFractureShape {
  VP_FRACTURE_NONE,
  VP_FRACTURE_WEDGE,     /* anterior height lost */
  VP_FRACTURE_BICONCAVE, /* middle height lost, both endplates */
  VP_FRACTURE_CRUSH,     /* the whole body, posterior height too */
} VpFractureShape;

typedef enum VpEndplateSide {
  VP_ENDPLATE_NONE,
  VP_ENDPLATE_SUPERIOR,
  VP_ENDPLATE_INFERIOR,
} VpEndplateSide;

typedef enum VpLesionKind {
  VP_LESION_LYTIC,   /* bone destroyed: soft-tissue density */
  VP_LESION_BLASTIC, /* sclerotic: dense bone */
  VP_LESION_MIXED,   /* mottled lytic and blastic */
} VpLesionKind;

/* Where a lesion breaks through the cortex of the vertebral body. */
typedef enum VpBreachSite {
  VP_BREACH_NONE,
  VP_BREACH_POSTERIOR, /* the posterior wall, into the spinal canal */
  VP_BREACH_ANTERIOR,
  VP_BREACH_SUPERIOR, /* the superior endplate, into the disc */
  VP_BREACH_INFERIOR,
  VP_BREACH_LEFT, /* a lateral wall */
  VP_BREACH_RIGHT,
} VpBreachSite;

typedef struct VpPhantomLesion {
  VpLesionKind kind;
  VpVec3 center_mm; /* vertebra frame (see the top of this file) */
  double radius_mm;
  double hu; /* NAN: the kind's default (lytic 30, blastic 900, mixed both) */
  VpBreachSite breach;
} VpPhantomLesion;

/* Everything that shapes a phantom. Start from vp_phantom_params_init(), then
 * change fields directly or by name (vp_phantom_params_set); every numeric
 * field below `label` is listed by vp_phantom_param_info(). Lengths in mm,
 * angles in degrees, densities in Hounsfield units. */
typedef struct VpPhantomParams {
  int label; /* VerSe label of the level: 8-19 = T1-T12, 20-24 = L1-L5 */

  /* vertebral body */
  double body_width_mm; /* superior endplate, left-right */
  double body_depth_mm; /* superior endplate, anterior-posterior */
  double body_height_anterior_mm;
  double body_height_posterior_mm;
  double body_waist_mm;               /* inward curve of the side walls at mid-height */
  double endplate_concavity_mm;       /* depth of each endplate's central hollow */
  double posterior_wall_concavity_mm; /* the posterior wall's curve towards anterior */
  double body_heart_taper;            /* 0 round, 0.3 heart-shaped (thoracic) */
  double cortex_mm;                   /* cortical shell of the body */
  double posterior_cortex_mm;         /* cortex of the posterior elements */
  /* spinal canal */
  double canal_width_mm; /* between the pedicles' medial walls */
  double canal_depth_mm; /* posterior wall to lamina, midline */
  /* pedicles */
  double pedicle_width_left_mm; /* isthmus, perpendicular to the pedicle axis */
  double pedicle_width_right_mm;
  double pedicle_height_left_mm;
  double pedicle_height_right_mm;
  double pedicle_transverse_angle_deg; /* medial convergence towards anterior */
  double pedicle_sagittal_angle_deg;   /* caudal inclination towards anterior */
  double pedicle_offset_mm;            /* isthmus behind the posterior body wall */
  /* posterior elements */
  double lamina_thickness_mm;
  double spinous_length_mm;
  double spinous_angle_deg; /* below horizontal */
  double spinous_height_mm; /* at the tip */
  double spinous_thickness_mm;
  double transverse_length_mm;
  double transverse_angle_deg; /* backwards from the coronal plane */
  double transverse_thickness_mm;
  double articular_height_mm; /* superior articular process above the pedicle */
  double facet_angle_deg;     /* facet plane from the sagittal plane */
  /* densities and imaging */
  double cortical_hu;
  double trabecular_hu; /* NAN: 200, or 85 when osteoporotic */
  double soft_tissue_hu;
  double fat_hu;
  double noise_hu; /* standard deviation of the CT noise */
  double blur_mm;  /* standard deviation of the scanner's blur */
  /* pathology, numeric part */
  double height_loss_percent; /* NAN: from the Genant grade (22.5, 32.5, 50) */
  double cleft_hu;            /* -900 gas; about 10 for fluid */
  double cleft_scale;         /* 1 = a cleft of about a quarter of the body's width */
  double endplate_break_radius_mm;
  double retropulsion_mm; /* posterior wall fragment pushed into the canal */
  /* sampling */
  double spacing_mm;         /* CT, mask and part map voxels, isotropic (0.5) */
  double surface_spacing_mm; /* grid of the surface (0.5; its vertices lie on the
                              * model's surface whatever the grid) */
  double margin_mm;          /* CT around the vertebra (12) */
  double world_x_mm;         /* body centre in the world; NAN: automatic */
  double world_y_mm;
  double world_z_mm;

  /* pathology, the rest */
  VpFractureShape fracture;
  int genant_grade; /* 1-3 with a fracture */
  bool cleft;
  VpEndplateSide endplate_break;
  bool osteoporotic;
  VpPhantomLesion lesions[VP_PHANTOM_MAX_LESIONS];
  int lesion_count;
  uint64_t seed; /* CT noise only: the shape never depends on it */
} VpPhantomParams;

/* Defaults of a level ("L1", "t12"): morphometry from the table in
 * vp-phantom-morphometry.c, no pathology, seed 1. Unknown or unsupported
 * levels fail with a message listing the supported ones. */
bool vp_phantom_params_init(VpPhantomParams *params, const char *level, VpError *err);
bool vp_phantom_params_init_label(VpPhantomParams *params, int label, VpError *err);

/* ---- numeric parameters by name ---- */

typedef struct VpPhantomParamInfo {
  const char *name;        /* "pedicle_width_left_mm" */
  const char *unit;        /* "mm", "deg", "HU", "%" or "" */
  const char *description; /* untranslated; pass through gettext to show */
  double min, max;         /* accepted range (NAN allowed where documented) */
  bool nan_allowed;        /* NAN means "automatic" */
} VpPhantomParamInfo;

size_t vp_phantom_param_count(void);
/* NULL past the end. */
const VpPhantomParamInfo *vp_phantom_param_info(size_t index);
const VpPhantomParamInfo *vp_phantom_param_find(const char *name);
/* Sets a numeric parameter; "pedicle_width_mm" and "pedicle_height_mm" set
 * both sides. Unknown names and values out of range fail. */
bool vp_phantom_params_set(VpPhantomParams *params, const char *name, double value, VpError *err);
bool vp_phantom_params_get(const VpPhantomParams *params, const char *name, double *value);
/* Where the value of a parameter comes from: the publication of the level
 * table ("Panjabi 1992"), "estimate", "default" for imaging settings, or
 * "user" when it differs from the level's default. */
const char *vp_phantom_param_source(const VpPhantomParams *params, const char *name);

/* ---- names of the choices ---- */

/* "wedge", "biconcave", "crush" ("none" for VP_FRACTURE_NONE). */
const char *vp_fracture_shape_name(VpFractureShape shape);
bool vp_fracture_shape_from_name(const char *name, VpFractureShape *out);
const char *vp_lesion_kind_name(VpLesionKind kind); /* "lytic", "blastic", "mixed" */
bool vp_lesion_kind_from_name(const char *name, VpLesionKind *out);
/* "posterior", "anterior", "superior", "inferior", "left", "right" ("none") */
const char *vp_breach_site_name(VpBreachSite site);
bool vp_breach_site_from_name(const char *name, VpBreachSite *out);
const char *vp_endplate_side_name(VpEndplateSide side); /* "superior", "inferior" ("none") */
bool vp_endplate_side_from_name(const char *name, VpEndplateSide *out);

/* Genant grade (0-3) of a height loss in percent: < 20 grade 0, 20-25
 * grade 1, 25-40 grade 2, > 40 grade 3 (DOMAIN.md). */
int vp_genant_grade(double height_loss_percent);

/* Sets a compression fracture of a Genant grade (1-3); the height loss is the
 * middle of the grade's band unless height_loss_percent is set. */
bool vp_phantom_params_set_fracture(VpPhantomParams *params, VpFractureShape shape, int grade,
                                    VpError *err);
bool vp_phantom_params_add_lesion(VpPhantomParams *params, const VpPhantomLesion *lesion,
                                  VpError *err);

/* ---- parameter files ---- */

#define VP_PHANTOM_FILE_FORMAT "vertebra-planner-phantom"
#define VP_PHANTOM_CASE_ID_SIZE 64
/* Largest parameter file read; checked before reading. */
#define VP_PHANTOM_MAX_FILE_BYTES ((size_t)1 << 20)

/* Reads a phantom parameter file (JSON; the bundled cases in resources/cases
 * are examples):
 *   {"format": "vertebra-planner-phantom", "version": 1, "id": "...",
 *    "level": "L1", "fracture": {"shape": "wedge", "genant_grade": 2},
 *    "osteoporotic": true, "cleft": false, "endplate_break": "superior",
 *    "lesions": [{"kind": "lytic", "center_mm": [0, -7, 0], "radius_mm": 9,
 *                 "hu": 35, "breach": "posterior"}],
 *    "seed": 7, "parameters": {"pedicle_width_mm": 4.0}}
 * Only "format" and "level" are required. params receives the level's
 * defaults with the file's choices applied; case_id (may be NULL) receives
 * "id" or "". Unknown keys are errors, so a misspelt key is never ignored;
 * errors name the key. The parameters are not cross-checked here (see
 * vp_phantom_params_validate). */
bool vp_phantom_params_from_json(const char *text, VpPhantomParams *params,
                                 char case_id[VP_PHANTOM_CASE_ID_SIZE], VpError *err);
bool vp_phantom_params_load(const char *path, VpPhantomParams *params,
                            char case_id[VP_PHANTOM_CASE_ID_SIZE], VpError *err);

/* Checks every field; the message names the parameter and the numbers (a
 * negative size, a pedicle wider than half the body, a lesion centre outside
 * the bone, a breach the lesion cannot reach, a grid too large, ...). */
bool vp_phantom_params_validate(const VpPhantomParams *params, VpError *err);

/* ---- the generated phantom ---- */

/* Parts of the part map (one byte per voxel of the CT grid). */
typedef enum VpPhantomPart {
  VP_PART_OUTSIDE = 0, /* soft tissue, fat, lung, disc */
  VP_PART_CANAL,       /* the open spinal canal */
  VP_PART_BODY_CORTEX,
  VP_PART_BODY_TRABECULAR,
  VP_PART_PEDICLE_LEFT,
  VP_PART_PEDICLE_RIGHT,
  VP_PART_LAMINA,
  VP_PART_SPINOUS,
  VP_PART_TRANSVERSE,
  VP_PART_ARTICULAR_SUPERIOR,
  VP_PART_ARTICULAR_INFERIOR,
  VP_PART_RIB_FACET, /* costal facets of thoracic vertebrae */
  VP_PART_LESION,
  VP_PART_CLEFT,
  VP_PART_RIB, /* rib heads and necks of thoracic levels: CT only, not in the mask */
  VP_PART_COUNT
} VpPhantomPart;

/* "body cortex", "pedicle (left)", ...: untranslated; pass through gettext. */
const char *vp_phantom_part_name(VpPhantomPart part);

typedef struct VpPhantomPedicle {
  double width_mm, height_mm; /* isthmus as built */
  VpVec3 isthmus_center_mm;   /* world */
  VpVec3 axis;                /* world unit vector, posterior to anterior */
  VpVec3 width_direction;     /* world unit vector the width is measured along */
} VpPhantomPedicle;

typedef struct VpPhantomBreach {
  VpBreachSite site;
  double area_mm2; /* cortical defect */
} VpPhantomBreach;

/* Figures measured on the model while it was sampled. */
typedef struct VpPhantomTruth {
  double vertebra_volume_ml; /* everything in the mask */
  double body_volume_ml;     /* the vertebral body, lesions and cleft inside it included */
  double body_trabecular_ml;
  double body_cortex_ml;
  double posterior_volume_ml; /* pedicles and arch */
  double cleft_volume_ml;
  double lesion_volume_ml[VP_PHANTOM_MAX_LESIONS];
  VpPhantomBreach lesion_breach[VP_PHANTOM_MAX_LESIONS];
  double endplate_break_area_mm2;
  VpPhantomPedicle pedicle[2]; /* 0 left, 1 right */
  /* Body heights along vertical lines at x = 0 (vertebra frame) through
   * height_y_mm[0..2] = anterior, middle, posterior; "expected" are those of
   * the same vertebra without fracture. */
  double height_y_mm[3];
  double height_mm[3];
  double expected_height_mm[3];
  double height_loss_percent; /* largest of the three losses */
  int genant_grade;
  double canal_center_y_mm; /* vertebra frame, midline */
  double canal_depth_mm;    /* remaining at the midline (retropulsion reduces it) */
  double trabecular_hu;     /* effective */
} VpPhantomTruth;

typedef struct VpPhantom {
  VpPhantomParams params; /* effective: automatic values resolved */
  char level[8];          /* "L1" */
  VpMat4 local_to_world;  /* a translation */
  VpMesh *surface;        /* world RAS+ mm, closed and outward */
  VpVolume *ct;           /* int16 HU */
  VpVolume *mask;         /* uint8: the level's VerSe label on the vertebra, 0 elsewhere */
  VpVolume *parts;        /* uint8 VpPhantomPart, on the CT's grid */
  VpPhantomTruth truth;
} VpPhantom;

/* Builds the phantom. Deterministic: the same parameters give the same bytes.
 * progress may be NULL. Fails with the validation errors above, VP_ERR_LIMIT
 * for a grid too large, VP_ERR_CANCELLED when progress asks to stop. */
VpPhantom *vp_phantom_generate(const VpPhantomParams *params, const VpProgress *progress,
                               VpError *err);
void vp_phantom_free(VpPhantom *phantom);

/* The ground truth as a new JSON object (the caller deletes it): level,
 * every parameter with unit and source, pathology, volumes, pedicles,
 * heights, breaches, the world transform, the seed. NULL when memory runs out. */
struct cJSON *vp_phantom_truth_json(const VpPhantom *phantom, VpError *err);

/* Writes a case: plan_path ("x.vplan") with the surface "x.stl", the CT
 * "x_ct.nii.gz", the mask "x_seg-vert_msk.nii.gz" and the part map
 * "x_parts.nii.gz" beside it; the plan names the first three as its sources
 * (relative paths), holds the level and label, the ground truth as
 * "case.phantom" (with "part_map" and, when given, "case_id": the teaching
 * case's id), and title (the case's name) and teaching_note when not NULL. */
bool vp_phantom_save_case(const VpPhantom *phantom, const char *plan_path, const char *case_id,
                          const char *title, const char *teaching_note, VpError *err);

/* ---- teaching cases shipped with the application ---- */

typedef struct VpTeachingCase {
  const char *id; /* "l1-osteoporotic-wedge"; the parameter file is resources/cases/<n>-<id>.json */
  const char *title; /* untranslated (marked for translation); pass through gettext to show */
  const char *note;  /* untranslated teaching note, one paragraph */
} VpTeachingCase;

size_t vp_teaching_case_count(void);
/* NULL past the end. */
const VpTeachingCase *vp_teaching_case_at(size_t index);
/* NULL when no case has this id. */
const VpTeachingCase *vp_teaching_case_find(const char *id);
