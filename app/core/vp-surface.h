/* Surfaces from label masks: marching cubes over one label, in world mm,
 * closed and outward-facing, and volume-preserving smoothing for meshes made
 * from coarse slices. */
#pragma once

#include <stdbool.h>

#include "vp-error.h"
#include "vp-mesh.h"
#include "vp-volume.h"

typedef struct VpSurfaceOptions {
  bool fill_cavities;    /* fill background pockets enclosed by the label */
  bool smooth;           /* Taubin smoothing after extraction */
  int smooth_iterations; /* lambda/mu pairs */
  double smooth_lambda;  /* shrinking step, in (0, 1] */
  double smooth_mu;      /* inflating step, negative with |mu| > lambda */
} VpSurfaceOptions;

/* Anisotropy (largest over smallest voxel spacing) above which the default
 * is to smooth: 2-3 mm slices over 1 mm pixels leave a visible staircase. */
#define VP_SURFACE_SMOOTH_ANISOTROPY 1.5

/* Defaults for this mask: cavities filled; smoothing on for anisotropic
 * grids, off otherwise. */
void vp_surface_options_default(const VpVolume *mask, VpSurfaceOptions *opts);

/* The surface of the voxels whose value rounds to label (iso-level 0.5 of
 * the binary mask "label or not"), in world mm through the mask's affine,
 * triangles counter-clockwise seen from outside whatever the affine's
 * handedness. The mesh is closed and manifold: every edge is shared by exactly
 * two triangles in opposite directions, also where the label touches the
 * border of the grid. Voxels touching at a face, an edge or a corner are
 * joined (26-connectivity). Background pockets enclosed by the label (gaps in
 * a segmentation) are filled unless opts->fill_cavities is false, so a
 * connected label gives exactly one closed surface; unfilled, each pocket
 * gives an inner surface facing into it. opts NULL
 * means vp_surface_options_default(). A label absent from the mask fails with
 * VP_ERR_INVALID naming the labels present. */
VpMesh *vp_volume_extract_label_surface(const VpVolume *mask, int label,
                                        const VpSurfaceOptions *opts, VpError *err);

/* Taubin lambda/mu smoothing: each iteration moves every vertex by lambda
 * times the mean offset to its neighbours, then by mu times the new offset, so
 * the staircase of coarse slices goes while the shape does not shrink. The
 * connectivity is untouched (a closed mesh stays closed); normals are
 * recomputed. Typical values: lambda 0.5, mu -0.53. */
bool vp_mesh_smooth_taubin(VpMesh *mesh, int iterations, double lambda, double mu, VpError *err);
