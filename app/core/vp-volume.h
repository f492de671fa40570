/* Voxel volumes (CT in Hounsfield units, label masks, simulation grids) placed
 * in world space (NIfTI RAS+ millimetres) by an affine; NIfTI loading and
 * saving; label statistics and VerSe vertebra level names. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vp-error.h"
#include "vp-math.h"

typedef enum VpVoxelType {
  VP_VOXEL_U8,
  VP_VOXEL_I16,
  VP_VOXEL_U16,
  VP_VOXEL_I32,
  VP_VOXEL_F32,
} VpVoxelType;

/* A grid of dims[0] x dims[1] x dims[2] voxels. Voxel (i, j, k) is stored at
 * data[i + dims[0] * (j + dims[1] * k)] (i fastest). voxel_to_world maps a
 * voxel centre (i, j, k) to world RAS+ mm; change it only through
 * vp_volume_set_affine(), which keeps world_to_voxel and spacing_mm in step. */
typedef struct VpVolume {
  int dims[3];
  VpVoxelType type;
  void *data;
  VpMat4 voxel_to_world;
  VpMat4 world_to_voxel;
  double spacing_mm[3]; /* distance between neighbouring voxel centres along i, j, k */
} VpVolume;

/* 2 GiB: a 512 x 512 x 2000 int16 CT fits, a corrupt header asking for
 * terabytes does not. */
#define VP_VOLUME_DEFAULT_MAX_BYTES ((size_t)2 << 30)

typedef struct VpVolumeLimits {
  size_t max_bytes; /* largest voxel array a function may allocate */
} VpVolumeLimits;

VpVolumeLimits vp_volume_limits_default(void);

size_t vp_voxel_type_size(VpVoxelType type);
/* "uint8", "int16", "uint16", "int32", "float32". */
const char *vp_voxel_type_name(VpVoxelType type);

/* A zero-filled volume. voxel_to_world NULL means identity (1 mm voxels at
 * the origin); limits NULL means the default. Fails with VP_ERR_INVALID for a
 * dimension below 1 or a singular affine, VP_ERR_LIMIT when the voxel array
 * would exceed limits->max_bytes (checked before allocating). */
VpVolume *vp_volume_new(const int dims[3], VpVoxelType type, const VpMat4 *voxel_to_world,
                        const VpVolumeLimits *limits, VpError *err);
void vp_volume_free(VpVolume *vol);
/* Deep copy. */
VpVolume *vp_volume_clone(const VpVolume *vol, VpError *err);
/* Replaces the affine; refuses (VP_ERR_INVALID) one that is not finite,
 * not affine (last row other than 0 0 0 1) or singular. */
bool vp_volume_set_affine(VpVolume *vol, VpMat4 voxel_to_world, VpError *err);

size_t vp_volume_voxel_count(const VpVolume *vol);
bool vp_volume_contains_index(const VpVolume *vol, int i, int j, int k);
/* The stored value as a double; NAN when (i, j, k) lies outside the grid. */
double vp_volume_value(const VpVolume *vol, int i, int j, int k);
/* The value at a linear index (i + nx * (j + ny * k)), for loops over all
 * voxels; the index must be below vp_volume_voxel_count(). */
double vp_volume_value_at(const VpVolume *vol, size_t index);
/* Stores value, rounded to the nearest integer and clamped to the type's
 * range for integer types (NaN stores 0). Outside the grid: no effect. */
void vp_volume_set_value(VpVolume *vol, int i, int j, int k, double value);

/* Continuous voxel coordinates (voxel centres at integers) <-> world mm. */
VpVec3 vp_volume_voxel_to_world(const VpVolume *vol, VpVec3 ijk);
VpVec3 vp_volume_world_to_voxel(const VpVolume *vol, VpVec3 p_mm);

/* Trilinear interpolation at a world point. Points within half a voxel of the
 * outermost voxel centres take the nearest edge value; points further out
 * return outside_value (e.g. -1024 HU for air around a CT). */
double vp_volume_sample_linear(const VpVolume *vol, VpVec3 p_mm, double outside_value);
/* Value of the voxel containing a world point (labels must not be blended). */
double vp_volume_sample_nearest(const VpVolume *vol, VpVec3 p_mm, double outside_value);

/* World box around the whole grid, voxel faces included (not just centres). */
VpBox3 vp_volume_bounds_mm(const VpVolume *vol);
/* |det| of the affine's 3x3 part. */
double vp_volume_voxel_volume_mm3(const VpVolume *vol);
/* Smallest and largest stored value (NaN ignored). */
void vp_volume_value_range(const VpVolume *vol, double *min, double *max);
/* The anatomical direction each voxel axis increases towards, from the
 * affine: "PIR" when i runs posterior, j inferior and k right. Letters are
 * R/L, A/P, S/I; an oblique axis takes its nearest world axis, each world axis
 * used once. out receives three letters and a NUL. */
void vp_volume_orientation_code(const VpVolume *vol, char out[4]);

/* ---- NIfTI ---- */

/* Where the world coordinates of a loaded file came from. */
typedef enum VpVolumeTransform {
  VP_VOLUME_TRANSFORM_SFORM,  /* sform_code > 0: the general affine */
  VP_VOLUME_TRANSFORM_QFORM,  /* qform_code > 0: rotation + scaling + offset */
  VP_VOLUME_TRANSFORM_PIXDIM, /* neither: voxel size only, origin at voxel 0 */
} VpVolumeTransform;

/* "sform", "qform", "pixdim". */
const char *vp_volume_transform_name(VpVolumeTransform transform);

typedef struct VpVolumeInfo {
  int nifti_version;        /* 1 or 2 */
  bool compressed;          /* gzip */
  int datatype;             /* NIfTI datatype code as stored in the file */
  char datatype_name[16];   /* "uint8", "int16", "float64", ... */
  int64_t file_dims[8];     /* dim[0..7] as stored in the file */
  double pixdim_mm[3];      /* voxel size from the header, in mm */
  VpVolumeTransform transform;
  int sform_code, qform_code;
  double scl_slope, scl_inter; /* as stored */
  bool scaled;              /* scl_slope / scl_inter were applied to the values */
  bool precision_reduced;   /* float64 (or scaled 32-bit integers) stored as float32 */
  int64_t vox_offset;       /* byte offset of the voxel data (uncompressed) */
  char description[81];     /* the header's descrip field */
} VpVolumeInfo;

/* Reads a single-file NIfTI-1 or NIfTI-2 volume (.nii or .nii.gz; the gzip
 * layer is detected from the content). Values keep their meaning:
 * scl_slope/scl_inter are applied, so a CT holds Hounsfield units. Storage:
 * uint8 -> U8, int8/int16 -> I16, uint16 -> U16, int32 and uint32/int64/uint64
 * within int32 range -> I32, float32/float64 -> F32; scaled data -> I16 when
 * integer and exact in int16, else F32. The header is validated before any
 * voxel memory is allocated; limits NULL means the default. info may be NULL.
 * Refuses files with more than one 3D volume, NaN or infinite values,
 * unsupported datatypes, header/image pairs and ANALYZE 7.5 files (which have
 * no reliable orientation). */
VpVolume *vp_volume_load_nifti(const char *path, const VpVolumeLimits *limits, VpVolumeInfo *info,
                               VpError *err);

/* Writes the volume as NIfTI (NIfTI-1, or NIfTI-2 when a dimension exceeds
 * 32,767), gzip-compressed when path ends in ".gz". The affine goes to the
 * sform (code 1, scanner anatomical) and, when it has no shear, to the qform
 * too. Atomic: a failed save leaves any existing file untouched. */
bool vp_volume_save_nifti(const VpVolume *vol, const char *path, VpError *err);

/* ---- Labels ---- */

/* Label value of a stored voxel value: nearest integer, so float masks work. */
int vp_label_from_value(double value);

typedef struct VpLabelCount {
  int label;
  uint64_t voxel_count;
  double volume_ml;
} VpLabelCount;

typedef struct VpLabelStats {
  VpLabelCount *labels; /* ascending by label; background (0) not listed */
  size_t count;
} VpLabelStats;

/* Every non-zero label in the mask with its voxel count and volume. Fails
 * (VP_ERR_LIMIT) when the values span more than 1,048,576 labels, which no
 * mask does (a CT passed by mistake still fits: it spans a few thousand). */
bool vp_volume_label_stats(const VpVolume *mask, VpLabelStats *out, VpError *err);
void vp_label_stats_clear(VpLabelStats *stats);
/* The entry for label, or NULL. */
const VpLabelCount *vp_label_stats_find(const VpLabelStats *stats, int label);
/* Writes "20 (L1), 21 (L2), ..." into buf (truncated with "..." when long). */
void vp_label_stats_format(const VpLabelStats *stats, char *buf, size_t size);
/* True when label has voxels in mask; otherwise false with err saying which
 * labels are present ("label 30 is not in the mask; labels present: 20 (L1),
 * 21 (L2)"). */
bool vp_volume_require_label(const VpVolume *mask, int label, VpError *err);

/* VerSe numbering: 1-7 = C1-C7, 8-19 = T1-T12, 20-24 = L1-L5, 25 = L6,
 * 28 = T13. NULL for other labels. */
const char *vp_level_name(int label);
/* Inverse of vp_level_name(), case-insensitive ("l3" -> 22); -1 when unknown. */
int vp_level_label(const char *name);
