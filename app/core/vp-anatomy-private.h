/* Between the anatomy's stages: vp-anatomy.c runs them, vp-anatomy-frame.c
 * and vp-anatomy-parts.c find the frame and label the parts, and
 * vp-anatomy-measure.c measures from the part map and the frame alone, so
 * the measuring can be checked against a phantom's own part map. */
#pragma once

#include "vp-anatomy.h"

/* Bone of the vertebra on an isotropic world-aligned uint8 grid (1 = bone):
 * from the mask's label, resampled, or the surface voxelised. */
VpVolume *vp_anatomy_bone_grid(const VpCase *c, double spacing_mm, int threads, VpError *err);

/* The automatic frame from the bone grid (and the mask, for the canal). */
bool vp_anatomy_find_frame(const VpVolume *bone, VpAnatomyFrame *out, VpError *err);

/* Labels the parts on bone's grid (a new uint8 volume of VpAnatomyPart). */
VpVolume *vp_anatomy_label_parts(const VpVolume *bone, const VpAnatomyFrame *frame, bool thoracic,
                                 VpError *err);

/* Measures everything from parts and frame; c gives the CT (HU, may be
 * absent), the mask and label (neighbours for the expected height, may be
 * absent) and the level. */
bool vp_anatomy_measure(const VpVolume *parts, const VpAnatomyFrame *frame, const VpCase *c,
                        VpAnatomyMeasures *out, VpError *err);

/* (vp-anatomy-measure.c) The phantom's part map in anatomy parts (for tests): body cortex and
 * trabecular bone, lesions and cleft inside the body count as body; the
 * regions of the shell (endplates, posterior wall) are split by frame. */
VpVolume *vp_anatomy_parts_from_phantom(const VpPhantom *phantom, const VpAnatomyFrame *frame,
                                        VpError *err);
