/* Internals of the phantom generator shared by its files: the level table,
 * the implicit model built from the parameters, and the sampler's view of it. */
#pragma once

#include "vp-phantom.h"

/* ---- the level table (vp-phantom-morphometry.c) ---- */

/* Columns of the level table, in VpPhantomParams field order. */
typedef enum MorphColumn {
  MORPH_BODY_WIDTH,
  MORPH_BODY_DEPTH,
  MORPH_BODY_HEIGHT_ANTERIOR,
  MORPH_BODY_HEIGHT_POSTERIOR,
  MORPH_CANAL_WIDTH,
  MORPH_CANAL_DEPTH,
  MORPH_PEDICLE_WIDTH,
  MORPH_PEDICLE_HEIGHT,
  MORPH_TRANSVERSE_ANGLE,
  MORPH_SAGITTAL_ANGLE,
  MORPH_SPINOUS_LENGTH,
  MORPH_SPINOUS_ANGLE,
  MORPH_SPINOUS_HEIGHT,
  MORPH_TRANSVERSE_LENGTH,
  MORPH_TRANSVERSE_SWEEP,
  MORPH_TRANSVERSE_THICKNESS,
  MORPH_ARTICULAR_HEIGHT,
  MORPH_FACET_ANGLE,
  MORPH_COLUMN_COUNT
} MorphColumn;

/* Fills the level-dependent fields of params for a VerSe label 8-24. */
void phantom_morphometry_fill(VpPhantomParams *params, int label);
/* Source of a level-table value: "Panjabi 1992", "estimate", ... */
const char *phantom_morphometry_source(int label, MorphColumn column);
/* The column a parameter name belongs to, or -1. */
int phantom_morphometry_column(const char *param_name);

/* Height loss in percent a Genant grade stands for: the middle of the
 * grade's band (22.5, 32.5), half the height for grade 3. */
double phantom_grade_loss(int grade);

/* ---- the implicit model (vp-phantom-shape.c) ---- */

/* Largest growth of the pedicle's radius away from its isthmus. */
#define PEDICLE_FLARE_MAX_MM 2.0

/* An elliptic tube that narrows to its isthmus: the pedicle. */
typedef struct ShapeTube {
  VpVec3 center;  /* isthmus centre */
  VpVec3 d, u, v; /* axis (posterior to anterior), width and height directions */
  double ru, rv;  /* isthmus half-width, half-height */
  double s_min, s_max;
  double flare;   /* radius growth per mm^2 away from the isthmus */
  double s_flare; /* the growth stops here, inside the body */
} ShapeTube;

/* A segment with an elliptic cross-section whose radii change linearly
 * from a to b; ellipsoidal ends. e1 is the direction of radius r1. */
typedef struct ShapeCapsule {
  VpVec3 a, b;
  VpVec3 dir, e1, e2;
  double length;
  double r1a, r2a, r1b, r2b;
} ShapeCapsule;

/* A box in its own frame (centre, axes) with rounded edges. */
typedef struct ShapeBox {
  VpVec3 center;
  VpVec3 ax, ay, az;     /* orthonormal */
  double hx, hy, hz;     /* half sizes at the base (s = -hz) */
  double hx_tip, hy_tip; /* half sizes at +hz: tapering or widening */
  double round_mm;
} ShapeBox;

typedef struct ShapeSphere {
  VpVec3 center;
  double radius;
} ShapeSphere;

/* Anatomical parts of the bone, before tissue (cortex, lesion) is decided. */
typedef enum ShapePart {
  SHAPE_BODY,
  SHAPE_PEDICLE_LEFT,
  SHAPE_PEDICLE_RIGHT,
  SHAPE_LAMINA_LEFT,
  SHAPE_LAMINA_RIGHT,
  SHAPE_SPINOUS,
  SHAPE_SPINOUS_TIP,
  SHAPE_TRANSVERSE_LEFT,
  SHAPE_TRANSVERSE_RIGHT,
  SHAPE_SAP_LEFT,
  SHAPE_SAP_RIGHT,
  SHAPE_IAP_LEFT,
  SHAPE_IAP_RIGHT,
  SHAPE_MAMMILLARY_LEFT,
  SHAPE_MAMMILLARY_RIGHT,
  SHAPE_PART_COUNT
} ShapePart;

#define SHAPE_MAX_FACETS 8
#define SHAPE_MAX_RIBS 8

typedef struct ShapeBodyGeometry {
  double a, b;   /* half width and half depth */
  double ha, hp; /* anterior and posterior heights */
  double waist, concavity, post_concavity, taper;
  double rim_round;
  /* fracture: height lost at the superior and inferior endplates */
  VpFractureShape fracture;
  double loss_mm; /* of the reference height (anterior, middle or posterior) */
  /* endplate break: a depressed disc of the endplate without cortex */
  VpEndplateSide break_side;
  double break_x, break_y, break_radius, break_depth;
} ShapeBodyGeometry;

typedef struct ShapeLesion {
  VpPhantomLesion lesion;
  double hu, hu_low, hu_high; /* mixed: the two densities */
  VpVec3 channel_dir;         /* towards the breach; zero without */
  double channel_radius, channel_length;
} ShapeLesion;

typedef struct ShapeModel {
  VpPhantomParams p;
  bool thoracic;
  ShapeBodyGeometry body;
  ShapeTube pedicle[2];
  ShapeBox lamina[2]; /* plates from the pedicles to the midline */
  double lamina_half_height, lamina_z, lamina_tilt;
  ShapeBox spinous;
  ShapeSphere spinous_tip;
  ShapeCapsule transverse[2];
  ShapeCapsule sap[2], iap[2];
  ShapeSphere mammillary[2];
  VpBox3 part_box[SHAPE_PART_COUNT]; /* bounds of each part grown by the blend */
  double blend_mm;
  /* spinal canal: a cylinder along z */
  double canal_yc, canal_a, canal_b, canal_tri;
  /* dura (CSF) inside the canal, for the CT */
  double dura_a, dura_b;
  /* retropulsed fragment */
  bool has_fragment;
  ShapeBox fragment;
  /* costal facets (dimples) and rib heads (CT only) */
  ShapeSphere facet[SHAPE_MAX_FACETS];
  ShapePart facet_part[SHAPE_MAX_FACETS]; /* the part each facet is cut into */
  int facet_count;
  ShapeCapsule rib[SHAPE_MAX_RIBS];
  VpBox3 rib_box[SHAPE_MAX_RIBS]; /* grown by 0.5 mm */
  int rib_count;
  /* cleft */
  bool has_cleft;
  VpVec3 cleft_center, cleft_radii;
  ShapeLesion lesions[VP_PHANTOM_MAX_LESIONS];
  int lesion_count;
  double trabecular_hu;
  VpBox3 bone_box; /* bounds of the bone */
} ShapeModel;

/* Tissue at a point, for the CT and the part map. */
typedef enum ShapeTissue {
  TISSUE_SOFT,
  TISSUE_FAT,
  TISSUE_CSF,
  TISSUE_DISC,
  TISSUE_LUNG,
  TISSUE_CORTEX,
  TISSUE_TRABECULAR,
  TISSUE_BREAK, /* endplate break: cortex missing */
  TISSUE_LESION,
  TISSUE_CLEFT,
  TISSUE_RIB_CORTEX,
  TISSUE_RIB_MARROW,
  TISSUE_COUNT
} ShapeTissue;

typedef struct ShapeSample {
  double bone_sdf; /* < 0 inside the vertebra */
  VpPhantomPart part;
  ShapeTissue tissue;
  bool in_body;       /* the vertebral body (for its volume) */
  int lesion;         /* index of the lesion, or -1 */
  bool breach;        /* lesion tissue where the cortex was */
  double hu;          /* before blur and noise */
  double boundary_mm; /* estimated distance to the nearest change of tissue */
} ShapeSample;

/* Derives the model from validated parameters. */
void shape_model_build(ShapeModel *m, const VpPhantomParams *p);
#define SHAPE_ALL_PARTS ((1u << SHAPE_PART_COUNT) - 1u)
/* The parts whose bounds meet box: evaluating only those gives the same
 * values anywhere in the box, faster (a bit per ShapePart). */
uint32_t shape_parts_near(const ShapeModel *m, VpBox3 box);
/* The bone alone (< 0 inside): for the surface. */
double shape_bone_sdf(const ShapeModel *m, VpVec3 p);
/* The same from the parts near p (see shape_parts_near); skipped_mm (may be
 * NULL) receives how near any part left out could come. */
double shape_bone_sdf_near(const ShapeModel *m, VpVec3 p, uint32_t parts, double *skipped_mm);
/* Tissue, part, HU and distance to the nearest tissue boundary at p. */
void shape_sample(const ShapeModel *m, VpVec3 p, ShapeSample *out);
void shape_sample_near(const ShapeModel *m, VpVec3 p, uint32_t parts, ShapeSample *out);
/* Body height (superior minus inferior endplate) along the vertical line at
 * (x, y) of the vertebra frame, with or without the fracture. */
double shape_body_height(const ShapeModel *m, double x, double y, bool fractured);
/* The body's own distance (< 0 inside), used for validation of lesions. */
double shape_body_sdf(const ShapeModel *m, VpVec3 p);
/* Distance from c along dir to where the body ends (its outer surface), or
 * INFINITY when the ray leaves through the bottom of the search. */
double shape_body_exit_distance(const ShapeModel *m, VpVec3 c, VpVec3 dir);
/* The body's horizontal section without its waist (< 0 inside). */
double shape_body_section_sdf(const ShapeModel *m, double x, double y);
/* Density of a lesion kind when none is given: lytic 35 HU, blastic 900 HU. */
double phantom_lesion_default_hu(VpLesionKind kind);
/* Direction of a breach site in the vertebra frame. */
VpVec3 shape_breach_direction(VpBreachSite site);

/* ---- sampling (vp-phantom-sample.c) ---- */

/* Volumes in mm^3 measured while sampling. */
typedef struct PhantomVolumes {
  double vertebra, body, body_cortex, body_trabecular, posterior, cleft, endplate_break;
  double lesion[VP_PHANTOM_MAX_LESIONS];
  double lesion_breach[VP_PHANTOM_MAX_LESIONS]; /* lesion tissue where cortex was */
} PhantomVolumes;

/* Largest CT grid and surface grid, checked before allocating. */
#define PHANTOM_MAX_VOXELS (48u * 1024u * 1024u)

/* Voxel counts of the CT grid (margin included) and of the surface grid. */
void phantom_ct_dims(const ShapeModel *m, int dims[3]);
void phantom_surface_dims(const ShapeModel *m, int dims[3]);

/* Progress in [from, to] of the whole job; false when the caller cancelled. */
bool phantom_progress(const VpProgress *progress, double fraction, const char *stage);

/* The CT (int16 HU), mask (uint8 label) and part map (uint8) on one grid
 * whose voxel axes run left, posterior, superior (as an axial DICOM series). */
bool phantom_sample_ct(const ShapeModel *m, VpVec3 offset, const VpProgress *progress,
                       VpVolume **ct, VpVolume **mask, VpVolume **parts, PhantomVolumes *vol,
                       VpError *err);
/* The bone surface: marching cubes over the sampled model, each vertex then
 * moved along its grid edge onto the model's surface. */
VpMesh *phantom_surface(const ShapeModel *m, VpVec3 offset, const VpProgress *progress,
                        VpError *err);
