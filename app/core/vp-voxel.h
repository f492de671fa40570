/* Axis-aligned world grids built from a closed surface: an inside/outside
 * occupancy mask and a signed distance field in mm (negative inside), for
 * the cement-filling model and clearance maps. Unlike a CT volume (arbitrary
 * affine), these grids are aligned with the world axes with one spacing. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vp-bvh.h"
#include "vp-error.h"
#include "vp-math.h"
#include "vp-mesh.h"

/* Largest grid built by default, checked before allocating (an SDF needs
 * about 10 bytes per voxel while it is computed: some 670 MB at the limit). */
#define VP_GRID_MAX_VOXELS (64u * 1024u * 1024u)

typedef struct VpGrid {
  int dims[3];         /* voxels along x, y, z */
  double origin_mm[3]; /* world position of the centre of voxel (0, 0, 0) */
  double spacing_mm;   /* distance between neighbouring voxel centres, on every axis */
  float *values;       /* dims[0] * dims[1] * dims[2], x fastest; NULL when absent */
  uint8_t *mask;       /* same layout, 1 inside and 0 outside; NULL when absent */
} VpGrid;

typedef struct VpGridOptions {
  double spacing_mm; /* voxel size */
  double margin_mm;  /* added to the mesh bounds on every side */
  size_t max_voxels; /* larger grids are refused before anything is allocated */
  int threads;       /* SDF worker threads; 0: one per online processor (at most 64).
                        The field comes out the same whatever the count. */
} VpGridOptions;

/* 0.5 mm voxels, 2 mm margin, VP_GRID_MAX_VOXELS, automatic thread count. */
VpGridOptions vp_grid_options_default(void);

typedef struct VpVoxelReport {
  size_t odd_rows;    /* grid rows crossing the surface an odd number of times: the
                         mesh has holes there and the mask may miss voxels */
  size_t band_voxels; /* voxels given exact distances (SDF only) */
} VpVoxelReport;

/* Sets the geometry of grid (no arrays: values and mask become NULL) so that
 * its voxel centres cover box grown by margin_mm on every side, centred on the
 * box. Fails with VP_ERR_LIMIT when more than max_voxels voxels would be
 * needed and VP_ERR_INVALID for an empty or non-finite box, or a spacing or
 * margin that is not a positive (non-negative) number. */
bool vp_grid_fit_box(VpGrid *grid, VpBox3 box, double spacing_mm, double margin_mm,
                     size_t max_voxels, VpError *err);

/* Frees the arrays and zeroes the grid. */
void vp_grid_clear(VpGrid *grid);

size_t vp_grid_voxel_count(const VpGrid *grid);

static inline size_t vp_grid_index(const VpGrid *grid, int i, int j, int k)
{
  return (size_t)i + (size_t)grid->dims[0] * ((size_t)j + (size_t)grid->dims[1] * (size_t)k);
}

/* World position (mm) of the centre of voxel (i, j, k). */
VpVec3 vp_grid_voxel_center(const VpGrid *grid, int i, int j, int k);
/* Continuous voxel coordinates of a world point: voxel centres are integers. */
VpVec3 vp_grid_world_to_index(const VpGrid *grid, VpVec3 p_mm);
/* Voxel whose cell holds p; false when p is outside the grid or not finite. */
bool vp_grid_voxel_at(const VpGrid *grid, VpVec3 p_mm, int ijk[3]);

/* Trilinear interpolation of values at p. Points beyond the outermost voxel
 * centres take the value at the nearest border point (for an SDF, less than
 * the true distance). NAN when there are no values or p is not finite. */
double vp_grid_sample(const VpGrid *grid, VpVec3 p_mm);

/* Voxels with mask set, times the voxel volume; 0 without a mask. */
double vp_grid_mask_volume_mm3(const VpGrid *grid);

/* Occupancy of a closed mesh: each grid row along x is cut with the
 * watertight ray-triangle test and filled between alternate crossings, so a
 * row through an edge or vertex is counted once. options may be NULL for the
 * defaults. out is overwritten (mask set, values NULL); release it with
 * vp_grid_clear(). report may be NULL. On failure out is zeroed. */
bool vp_grid_voxelize(const VpMesh *mesh, const VpGridOptions *options, VpGrid *out,
                      VpVoxelReport *report, VpError *err);

/* Signed distance field of the closed mesh bvh was built over: values in mm,
 * negative inside (by the occupancy above), mask filled too.
 * - Voxels within one spacing of the surface get the exact distance (each
 *   triangle measures the voxels around it).
 * - The others take the exact distance to the triangle of their nearest such
 *   voxel (a Euclidean feature transform), refined within three spacings of
 *   the surface by sweeps that let neighbours trade triangles. Such a value
 *   is never below the true distance and exceeds it by at most 1.9 spacings
 *   in theory. Measured at 0.5 and 1 mm: at most 0.35 spacing within three
 *   spacings of the surface, half a spacing on spheres, and one spacing
 *   anywhere on a lumbar vertebra from VerSe (0.2 % of voxels over half).
 * Meshes of more than 2^28 (268,435,456) triangles are refused with
 * VP_ERR_LIMIT. options may be NULL. out is overwritten; release it with
 * vp_grid_clear(). */
bool vp_grid_compute_sdf(const VpBvh *bvh, const VpGridOptions *options, VpGrid *out,
                         VpVoxelReport *report, VpError *err);
