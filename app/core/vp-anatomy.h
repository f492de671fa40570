/* Anatomy of one vertebra: its own frame, its parts and its measurements,
 * computed from any case (a label mask, or a surface voxelised when there is
 * no mask; the CT when present) and corrected by the user.
 *
 * The frame: origin at the centre of the vertebral body; superior along the
 * canal and perpendicular to the endplates; anterior from the canal towards
 * the body; left from the mid-sagittal symmetry plane (left = superior x
 * anterior, so right = -left completes RAS+). All vectors are unit vectors in
 * world RAS+ (DOMAIN.md: "Coordinates, exactly").
 *
 * Angles follow the phantom's conventions (vp-phantom.h): a pedicle's
 * transverse angle is its medial convergence going anterior (positive when
 * the axis runs towards the midline as it goes forward), its sagittal angle
 * its caudal inclination going anterior (positive when it runs inferiorly as
 * it goes forward), both in degrees in the vertebra frame. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "vp-case.h"
#include "vp-error.h"
#include "vp-math.h"
#include "vp-phantom.h"
#include "vp-volume.h"

/* Parts, one byte per voxel of VpAnatomy.parts. Bone parts first; the last
 * four are spaces the needle must respect, not bone. */
typedef enum VpAnatomyPart {
  VP_ANATOMY_OUTSIDE = 0,
  VP_ANATOMY_BODY_TRABECULAR,    /* the body's cancellous core */
  VP_ANATOMY_BODY_CORTEX,        /* the body's shell, except the three regions below */
  VP_ANATOMY_ENDPLATE_SUPERIOR,  /* the shell facing the disc above */
  VP_ANATOMY_ENDPLATE_INFERIOR,
  VP_ANATOMY_POSTERIOR_WALL,     /* the shell facing the canal */
  VP_ANATOMY_PEDICLE_LEFT,
  VP_ANATOMY_PEDICLE_RIGHT,
  VP_ANATOMY_POSTERIOR_ARCH,     /* laminae, spinous, transverse and articular processes */
  VP_ANATOMY_CANAL,              /* the vertebral foramen: the needle must never enter it */
  VP_ANATOMY_FORAMEN_LEFT,       /* neural foramen zone, inferior to the pedicle */
  VP_ANATOMY_FORAMEN_RIGHT,
  VP_ANATOMY_COSTOVERTEBRAL_LEFT, /* thoracic levels: lateral to the pedicle, towards the rib head */
  VP_ANATOMY_COSTOVERTEBRAL_RIGHT,
  VP_ANATOMY_PART_COUNT
} VpAnatomyPart;

/* "vertebral body (trabecular core)", ...: untranslated, marked with N_();
 * pass through gettext to show. */
const char *vp_anatomy_part_name(VpAnatomyPart part);
/* "body_trabecular", "pedicle_left", ...: stable keys for JSON. */
const char *vp_anatomy_part_key(VpAnatomyPart part);
/* Whether the part is bone of the vertebra (the first eight after OUTSIDE). */
bool vp_anatomy_part_is_bone(VpAnatomyPart part);

typedef struct VpAnatomyFrame {
  VpVec3 origin_mm;
  VpVec3 left, anterior, superior; /* unit, orthogonal, left = superior x anterior */
} VpAnatomyFrame;

/* The user's correction of the automatic frame, stored in the plan: turn
 * about the frame's own left, anterior and superior axes (degrees, applied in
 * that order, each about the axes as the previous turns left them) and move
 * the origin along the automatic frame's left, anterior and superior axes. */
typedef struct VpFrameAdjustment {
  double rotation_deg[3];
  double offset_mm[3];
} VpFrameAdjustment;

/* All zero: no correction. */
bool vp_frame_adjustment_is_identity(const VpFrameAdjustment *adj);
/* The frame after adj. */
VpAnatomyFrame vp_anatomy_frame_adjusted(const VpAnatomyFrame *frame, const VpFrameAdjustment *adj);
/* World point -> frame coordinates (x left, y anterior, z superior, mm) and back. */
VpVec3 vp_anatomy_frame_to_local(const VpAnatomyFrame *frame, VpVec3 world_mm);
VpVec3 vp_anatomy_frame_to_world(const VpAnatomyFrame *frame, VpVec3 local_mm);

typedef struct VpPedicleMeasures {
  bool found;                 /* false when no pedicle could be traced on this side */
  double width_mm;            /* isthmus, across the pedicle, in the transverse direction */
  double height_mm;           /* isthmus, across the pedicle, in the craniocaudal direction */
  double transverse_angle_deg;
  double sagittal_angle_deg;
  VpVec3 isthmus_mm;          /* centre of the narrowest cross-section, world */
  VpVec3 axis;                /* unit, posterior to anterior, world */
  VpVec3 width_direction;     /* unit, the width is measured along it, world */
  VpVec3 height_direction;    /* unit, world */
} VpPedicleMeasures;

/* Trabecular attenuation thresholds (DOMAIN.md, Pickhardt 2013): at most
 * 160 HU flags low bone density, at most 110 HU is highly specific for
 * osteoporosis. */
#define VP_BONE_DENSITY_LOW_HU 160.0
#define VP_BONE_DENSITY_OSTEOPOROTIC_HU 110.0

typedef enum VpBoneDensity {
  VP_BONE_DENSITY_UNKNOWN,      /* no CT */
  VP_BONE_DENSITY_NORMAL,
  VP_BONE_DENSITY_LOW,
  VP_BONE_DENSITY_OSTEOPOROTIC,
} VpBoneDensity;

typedef struct VpAnatomyMeasures {
  double vertebra_volume_ml;  /* all bone of the vertebra */
  double body_volume_ml;      /* the body only: trabecular core and its shell */
  double body_height_mm[3];   /* anterior, middle, posterior, along superior */
  double body_height_y_mm[3]; /* where they were measured, frame y (anterior) */
  double expected_height_mm;  /* from the neighbours in the mask, else the posterior height */
  bool expected_from_neighbours;
  double height_loss_percent; /* largest of the three against expected, 0 when none */
  int genant_grade;           /* 0-3 (DOMAIN.md: < 20, 20-25, 25-40, > 40 %) */
  VpFractureShape genant_shape; /* NONE (grade 0), WEDGE, BICONCAVE or CRUSH */
  double endplate_width_mm;   /* superior endplate, left-right */
  double endplate_depth_mm;   /* superior endplate, anterior-posterior */
  VpPedicleMeasures pedicle[2]; /* 0 left, 1 right */
  double canal_width_mm, canal_depth_mm, canal_area_mm2;
  VpVec3 canal_centroid_mm;   /* world */
  bool has_ct;
  double trabecular_hu;       /* mean in the body core eroded away from the cortex; NAN without CT */
  VpBoneDensity bone_density;
} VpAnatomyMeasures;

typedef struct VpAnatomy {
  char level[8];               /* the case's level, "" when unknown */
  bool thoracic;               /* T1-T13 (decides the costovertebral regions) */
  VpAnatomyFrame auto_frame;   /* as computed */
  VpFrameAdjustment adjustment;
  VpAnatomyFrame frame;        /* auto_frame after adjustment: the frame everything uses */
  VpVolume *parts;             /* uint8 VpAnatomyPart, an isotropic world-aligned grid */
  VpAnatomyMeasures measures;  /* in frame */
} VpAnatomy;

typedef struct VpAnatomyOptions {
  double spacing_mm; /* grid of the part map: 0.5 mm (0: the mask's voxel size, at most 1 mm) */
  int threads;       /* 0: one per online processor */
} VpAnatomyOptions;

VpAnatomyOptions vp_anatomy_options_default(void);

/* Frame, parts and measurements of the case's vertebra. adj NULL: none.
 * The bone comes from the mask (the case's label) when there is one, else
 * from the surface (voxelised, which must be closed). Progress stages
 * "Finding the vertebra's frame", "Labelling its parts", "Measuring";
 * cancellation is checked between them. Fails (VP_ERR_INVALID) when the
 * vertebra has no recognisable body or canal, with a message saying which. */
VpAnatomy *vp_anatomy_compute(const VpCase *c, const VpFrameAdjustment *adj,
                              const VpAnatomyOptions *options, const VpProgress *progress,
                              VpError *err);
/* Applies a new adjustment: frame and measurements again, parts kept. */
bool vp_anatomy_readjust(VpAnatomy *anatomy, const VpCase *c, const VpFrameAdjustment *adj,
                         VpError *err);
void vp_anatomy_free(VpAnatomy *anatomy);

/* ---- published reference ranges (DOMAIN.md) ---- */

typedef struct VpAnatomyRange {
  bool known;
  double low, high; /* mm, or degrees for angles */
  const char *source; /* short citation, untranslated: "Zindrick 1987 (mean ± 3 SD)" */
} VpAnatomyRange;

typedef struct VpAnatomyReference {
  VpAnatomyRange pedicle_width_mm;
  VpAnatomyRange pedicle_height_mm;
  VpAnatomyRange transverse_angle_deg;
  VpAnatomyRange posterior_body_height_mm;
  VpAnatomyRange endplate_width_mm;
  VpAnatomyRange canal_width_mm;
  VpAnatomyRange canal_depth_mm;
} VpAnatomyReference;

/* The ranges for a level ("L3", "T8"); ranges not published for the level
 * have known false. False for an unknown level. */
bool vp_anatomy_reference(const char *level, VpAnatomyReference *out);
