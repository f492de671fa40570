/* Simulated fluoroscopy: digitally reconstructed radiographs (DRR), line
 * integrals of X-ray attenuation through a CT, or through a synthetic CT made
 * from the surface when a case has none, along the rays of an anteroposterior
 * or lateral C-arm view. The core computes attenuation; turning it into grey
 * levels and drawing overlays is the render layer's work (vp-slice.h). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "vp-case.h"
#include "vp-error.h"
#include "vp-math.h"
#include "vp-mesh.h"
#include "vp-volume.h"

/* ---- The frame views are aligned to ---- */

/* The patient axes that slice and fluoroscopy views line up with: the world
 * axes (RAS+) until the anatomy step provides the vertebra's own frame.
 * Unit, orthogonal and right-handed: right x anterior = superior. */
typedef struct VpViewFrame {
  VpVec3 origin_mm;
  VpVec3 right, anterior, superior;
} VpViewFrame;

/* The world axes, placed at origin_mm. */
VpViewFrame vp_view_frame_world(VpVec3 origin_mm);

/* A frame from approximate axes: superior is kept (normalised), anterior is
 * made orthogonal to it, right completes the frame. Fails (VP_ERR_INVALID)
 * for zero, parallel or non-finite axes or a non-finite origin. */
bool vp_view_frame_from_axes(VpVec3 origin_mm, VpVec3 anterior, VpVec3 superior, VpViewFrame *out,
                             VpError *err);

/* ---- The C-arm view ---- */

typedef enum VpDrrProjection {
  /* Beam from anterior to posterior (the tube under the table of a prone
   * patient). The image is shown as an AP radiograph is read, as if facing
   * the patient: the patient's right on the screen's left, superior up. */
  VP_DRR_AP,
  /* Beam from the patient's left to right. Anterior on the screen's left,
   * superior up: the same way round as the sagittal slice. */
  VP_DRR_LATERAL,
} VpDrrProjection;

/* The image is what an eye at the source sees looking along the beam, with
 * u to the right and v up; the beam therefore runs along v x u. Pixel (0, 0)
 * is the top left; pixel centres are at half-integers. */
typedef struct VpDrrView {
  VpVec3 center_mm;  /* isocentre: the world point imaged at the image centre */
  VpVec3 u, v;       /* unit, orthogonal: image right and image up, world RAS+ */
  double mm_per_px;  /* pixel size in the plane through the isocentre across the beam */
  int width_px, height_px;
  bool perspective;  /* rays fan out from a point source; false: parallel rays */
  double source_to_center_mm; /* source to isocentre (perspective only) */
} VpDrrView;

/* Source to isocentre of a typical mobile C-arm (source to image about
 * 100 cm, the patient nearer the image than the tube): a geometry default the
 * user can change, not a clinical figure. */
#define VP_DRR_DEFAULT_SOURCE_TO_CENTER_MM 600.0

/* Largest image computed, per side and in total, checked before allocating. */
#define VP_DRR_MAX_SIDE_PX 8192
#define VP_DRR_MAX_PIXELS (4096L * 4096L)

/* A standard view of the frame: isocentre at the frame's origin, fov_mm of
 * the frame across the image's larger side, perspective from the default
 * distance. Fails (VP_ERR_INVALID) for a size or field of view that makes no
 * sense, VP_ERR_LIMIT for an image above the limits. */
bool vp_drr_view_init(VpDrrView *view, VpDrrProjection projection, const VpViewFrame *frame,
                      int width_px, int height_px, double fov_mm, VpError *err);

/* VP_OK when the view can be computed; otherwise the reason. */
bool vp_drr_view_check(const VpDrrView *view, VpError *err);

/* Unit direction the X-rays travel in (v x u). */
VpVec3 vp_drr_view_beam(const VpDrrView *view);
/* Position of the point source (perspective views). */
VpVec3 vp_drr_view_source(const VpDrrView *view);

/* Centres the view on box and sets the pixel size so the box, seen along
 * the beam, fills the image but for margin_fraction (0.05: 5 % each side).
 * The box's near corners are magnified more in perspective; they are taken
 * into account. No change for an empty or non-finite box. */
void vp_drr_view_fit_box(VpDrrView *view, VpBox3 box, double margin_fraction);

/* The same field of view with 1/factor as many pixels on each side (at
 * least one), for quick previews while the user drags. */
VpDrrView vp_drr_view_reduced(const VpDrrView *view, int factor);

/* Turns the C-arm (u, v and the beam) about an axis through the isocentre. */
void vp_drr_view_rotate(VpDrrView *view, VpVec3 axis, double angle_rad);

/* Image position of a world point (pixel units, y down). False when the
 * point is at or behind the source, or not finite. */
bool vp_drr_view_project(const VpDrrView *view, VpVec3 p_mm, double *px, double *py);
/* The ray through an image position: origin at the source (perspective) or
 * on the isocentre plane (parallel), unit direction along the beam. */
void vp_drr_view_pixel_ray(const VpDrrView *view, double px, double py, VpVec3 *origin,
                           VpVec3 *direction);

/* ---- Computing the radiograph ---- */

/* Linear attenuation coefficient of water near the mean energy of a
 * fluoroscopy beam (about 60 keV): 0.206 cm^-1 (NIST XCOM). */
#define VP_MU_WATER_60KEV_PER_MM 0.0206

typedef struct VpDrrOptions {
  double mu_water_per_mm; /* attenuation of water; mu(HU) = mu_water * max(0, 1 + HU / 1000) */
  int threads;            /* worker threads; 0: one per online processor (at most 64) */
  /* Optional: cancelled() is polled between rows, from the worker threads,
   * so it must be thread-safe; report() is not called. */
  const VpProgress *progress;
} VpDrrOptions;

/* Water at 60 keV, one thread per processor, no progress. */
VpDrrOptions vp_drr_options_default(void);

/* Attenuation along each pixel's ray, -ln(I / I0): 0 where the ray misses
 * the volume or meets only air. Reuse one image across frames: computing
 * allocates only when the image has to grow. */
typedef struct VpDrrImage {
  int width_px, height_px;
  float *attenuation; /* width_px * height_px, row-major, row 0 at the top */
  size_t capacity;    /* floats allocated */
} VpDrrImage;

void vp_drr_image_clear(VpDrrImage *image);

/* Projects ct (Hounsfield units) through view into out. Rays are sampled once
 * per voxel slice across their main direction with bilinear interpolation in
 * the slice (Joseph 1982), only between their entry into and exit from the
 * volume. Rows are shared among threads, each written by exactly one, so the
 * result does not depend on the thread count. Reentrant: call it from a
 * worker thread to keep a user interface responsive. options NULL: defaults.
 * Fails (VP_ERR_INVALID) for a NULL volume or a view vp_drr_view_check()
 * refuses, VP_ERR_LIMIT above the size limits, VP_ERR_CANCELLED when asked. */
bool vp_drr_compute(const VpVolume *ct, const VpDrrView *view, const VpDrrOptions *options,
                    VpDrrImage *out, VpError *err);

/* Largest attenuation in the image (0 for an empty one). */
float vp_drr_image_max(const VpDrrImage *image);

/* ---- A CT for cases that have only a surface ---- */

/* Hounsfield values of the synthetic CT. Bands from DOMAIN.md (cortical bone
 * about 250-1200 HU, cancellous 130-250 HU; cortical shell 0.3-1 mm). */
typedef struct VpSyntheticCtOptions {
  double spacing_mm;    /* voxel size; 0 chooses 0.5 mm, coarser for large meshes */
  double cortex_mm;     /* thickness of the bright shell under the surface */
  double cortical_hu;
  double cancellous_hu;
  double outside_hu;    /* around the bone: air, so only the bone is seen */
} VpSyntheticCtOptions;

/* 0 (auto) spacing, 1 mm shell at 1000 HU, 200 HU inside, -1000 HU outside. */
VpSyntheticCtOptions vp_synthetic_ct_options_default(void);

/* An int16 CT of a closed surface from its signed distance field, the
 * boundaries blended over one voxel so projections are smooth. options NULL:
 * defaults. Fails for a mesh without triangles or a grid above
 * VP_GRID_MAX_VOXELS (choose a coarser spacing). Free with vp_volume_free(). */
VpVolume *vp_synthetic_ct_from_mesh(const VpMesh *mesh, const VpSyntheticCtOptions *options,
                                    VpError *err);
