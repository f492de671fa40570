/* Voxel volumes: allocation, value access, world <-> voxel transforms,
 * interpolation, bounds and orientation codes. */
#include "vp-volume.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vp-intl-private.h"

VpVolumeLimits vp_volume_limits_default(void)
{
  return (VpVolumeLimits){.max_bytes = VP_VOLUME_DEFAULT_MAX_BYTES};
}

size_t vp_voxel_type_size(VpVoxelType type)
{
  switch (type) {
  case VP_VOXEL_U8:
    return 1;
  case VP_VOXEL_I16:
  case VP_VOXEL_U16:
    return 2;
  case VP_VOXEL_I32:
  case VP_VOXEL_F32:
    return 4;
  }
  return 0;
}

const char *vp_voxel_type_name(VpVoxelType type)
{
  switch (type) {
  case VP_VOXEL_U8:
    return "uint8";
  case VP_VOXEL_I16:
    return "int16";
  case VP_VOXEL_U16:
    return "uint16";
  case VP_VOXEL_I32:
    return "int32";
  case VP_VOXEL_F32:
    return "float32";
  }
  return "unknown";
}

/* Voxel count of dims, or false when a dimension is below 1 or the product
 * does not fit in size_t. */
static bool dims_voxel_count(const int dims[3], size_t *count)
{
  size_t n = 1;
  for (int a = 0; a < 3; a++) {
    if (dims[a] < 1)
      return false;
    if (n > SIZE_MAX / (size_t)dims[a])
      return false;
    n *= (size_t)dims[a];
  }
  *count = n;
  return true;
}

static bool check_dims(const int dims[3], VpVoxelType type, const VpVolumeLimits *limits,
                       VpError *err)
{
  size_t count, size = vp_voxel_type_size(type);
  if (size == 0)
    return vp_error_set(err, VP_ERR_INVALID, _("unknown voxel type %d"), (int)type);
  for (int a = 0; a < 3; a++)
    if (dims[a] < 1)
      return vp_error_set(err, VP_ERR_INVALID,
                          _("volume dimension %d is %d; every dimension needs at least one voxel"),
                          a + 1, dims[a]);
  size_t max_bytes = limits ? limits->max_bytes : VP_VOLUME_DEFAULT_MAX_BYTES;
  if (!dims_voxel_count(dims, &count) || count > max_bytes / size) {
    char limit[32];
    return vp_error_set(err, VP_ERR_LIMIT,
                        _("a volume of %d x %d x %d %s voxels needs more than the memory limit of "
                          "%s bytes"),
                        dims[0], dims[1], dims[2], vp_voxel_type_name(type),
                        vp_format_count(max_bytes, limit));
  }
  return true;
}

static bool affine_is_valid(const VpMat4 *m)
{
  for (int r = 0; r < 4; r++)
    for (int c = 0; c < 4; c++)
      if (!isfinite(m->m[r][c]))
        return false;
  return m->m[3][0] == 0.0 && m->m[3][1] == 0.0 && m->m[3][2] == 0.0 && m->m[3][3] == 1.0;
}

bool vp_volume_set_affine(VpVolume *vol, VpMat4 voxel_to_world, VpError *err)
{
  VpMat4 inverse;
  if (!affine_is_valid(&voxel_to_world) || !vp_mat4_inverse(voxel_to_world, &inverse))
    return vp_error_set(err, VP_ERR_INVALID,
                        _("the voxel-to-world matrix is not an invertible affine transform"));
  vol->voxel_to_world = voxel_to_world;
  vol->world_to_voxel = inverse;
  for (int a = 0; a < 3; a++)
    vol->spacing_mm[a] = vp_vec3_length(vp_vec3(voxel_to_world.m[0][a], voxel_to_world.m[1][a],
                                                voxel_to_world.m[2][a]));
  return true;
}

VpVolume *vp_volume_new(const int dims[3], VpVoxelType type, const VpMat4 *voxel_to_world,
                        const VpVolumeLimits *limits, VpError *err)
{
  if (!check_dims(dims, type, limits, err))
    return NULL;
  VpVolume *vol = calloc(1, sizeof *vol);
  if (!vol) {
    vp_error_set(err, VP_ERR_NOMEM, _("out of memory"));
    return NULL;
  }
  memcpy(vol->dims, dims, sizeof vol->dims);
  vol->type = type;
  if (!vp_volume_set_affine(vol, voxel_to_world ? *voxel_to_world : vp_mat4_identity(), err)) {
    free(vol);
    return NULL;
  }
  size_t count = vp_volume_voxel_count(vol);
  vol->data = calloc(count, vp_voxel_type_size(type));
  if (!vol->data) {
    char n[32];
    vp_error_set(err, VP_ERR_NOMEM, _("out of memory for a volume of %s voxels"),
                 vp_format_count(count, n));
    free(vol);
    return NULL;
  }
  return vol;
}

void vp_volume_free(VpVolume *vol)
{
  if (!vol)
    return;
  free(vol->data);
  free(vol);
}

VpVolume *vp_volume_clone(const VpVolume *vol, VpError *err)
{
  VpVolumeLimits unlimited = {.max_bytes = SIZE_MAX};
  VpVolume *copy = vp_volume_new(vol->dims, vol->type, &vol->voxel_to_world, &unlimited, err);
  if (copy)
    memcpy(copy->data, vol->data, vp_volume_voxel_count(vol) * vp_voxel_type_size(vol->type));
  return copy;
}

size_t vp_volume_voxel_count(const VpVolume *vol)
{
  return (size_t)vol->dims[0] * (size_t)vol->dims[1] * (size_t)vol->dims[2];
}

bool vp_volume_contains_index(const VpVolume *vol, int i, int j, int k)
{
  return i >= 0 && j >= 0 && k >= 0 && i < vol->dims[0] && j < vol->dims[1] && k < vol->dims[2];
}

static size_t voxel_offset(const VpVolume *vol, int i, int j, int k)
{
  return (size_t)i + (size_t)vol->dims[0] * ((size_t)j + (size_t)vol->dims[1] * (size_t)k);
}

double vp_volume_value_at(const VpVolume *vol, size_t at)
{
  switch (vol->type) {
  case VP_VOXEL_U8:
    return ((const uint8_t *)vol->data)[at];
  case VP_VOXEL_I16:
    return ((const int16_t *)vol->data)[at];
  case VP_VOXEL_U16:
    return ((const uint16_t *)vol->data)[at];
  case VP_VOXEL_I32:
    return ((const int32_t *)vol->data)[at];
  case VP_VOXEL_F32:
    return ((const float *)vol->data)[at];
  }
  return NAN;
}

double vp_volume_value(const VpVolume *vol, int i, int j, int k)
{
  if (!vp_volume_contains_index(vol, i, j, k))
    return NAN;
  return vp_volume_value_at(vol, voxel_offset(vol, i, j, k));
}

/* Nearest integer of value clamped to [lo, hi]; NaN gives 0. */
static double round_clamp(double value, double lo, double hi)
{
  if (isnan(value))
    return 0.0;
  double r = nearbyint(value);
  return r < lo ? lo : r > hi ? hi : r;
}

void vp_volume_set_value(VpVolume *vol, int i, int j, int k, double value)
{
  if (!vp_volume_contains_index(vol, i, j, k))
    return;
  size_t at = voxel_offset(vol, i, j, k);
  switch (vol->type) {
  case VP_VOXEL_U8:
    ((uint8_t *)vol->data)[at] = (uint8_t)round_clamp(value, 0, UINT8_MAX);
    break;
  case VP_VOXEL_I16:
    ((int16_t *)vol->data)[at] = (int16_t)round_clamp(value, INT16_MIN, INT16_MAX);
    break;
  case VP_VOXEL_U16:
    ((uint16_t *)vol->data)[at] = (uint16_t)round_clamp(value, 0, UINT16_MAX);
    break;
  case VP_VOXEL_I32:
    ((int32_t *)vol->data)[at] = (int32_t)round_clamp(value, INT32_MIN, INT32_MAX);
    break;
  case VP_VOXEL_F32:
    /* Beyond FLT_MAX the conversion would be undefined: saturate to infinity. */
    ((float *)vol->data)[at] = fabs(value) > FLT_MAX ? (float)copysign(INFINITY, value)
                                                     : (float)value;
    break;
  }
}

VpVec3 vp_volume_voxel_to_world(const VpVolume *vol, VpVec3 ijk)
{
  return vp_mat4_transform_point(vol->voxel_to_world, ijk);
}

VpVec3 vp_volume_world_to_voxel(const VpVolume *vol, VpVec3 p_mm)
{
  return vp_mat4_transform_point(vol->world_to_voxel, p_mm);
}

/* Clamps a continuous coordinate into the grid along axis a; false when it
 * lies more than half a voxel beyond the outermost centres (or is NaN). */
static bool clamp_coordinate(const VpVolume *vol, int a, double x, double *out)
{
  double last = vol->dims[a] - 1;
  if (!(x >= -0.5 && x <= last + 0.5))
    return false;
  *out = x < 0.0 ? 0.0 : x > last ? last : x;
  return true;
}

static bool clamp_point(const VpVolume *vol, VpVec3 p_mm, double c[3])
{
  VpVec3 v = vp_volume_world_to_voxel(vol, p_mm);
  return clamp_coordinate(vol, 0, v.x, &c[0]) && clamp_coordinate(vol, 1, v.y, &c[1]) &&
         clamp_coordinate(vol, 2, v.z, &c[2]);
}

double vp_volume_sample_linear(const VpVolume *vol, VpVec3 p_mm, double outside_value)
{
  double c[3];
  if (!clamp_point(vol, p_mm, c))
    return outside_value;
  int lo[3], hi[3];
  double t[3];
  for (int a = 0; a < 3; a++) {
    lo[a] = (int)floor(c[a]);
    hi[a] = lo[a] + 1 < vol->dims[a] ? lo[a] + 1 : lo[a];
    t[a] = c[a] - lo[a];
  }
  double result = 0.0;
  for (int corner = 0; corner < 8; corner++) {
    double w = 1.0;
    int idx[3];
    for (int a = 0; a < 3; a++) {
      bool upper = (corner >> a) & 1;
      idx[a] = upper ? hi[a] : lo[a];
      w *= upper ? t[a] : 1.0 - t[a];
    }
    if (w != 0.0)
      result += w * vp_volume_value_at(vol, voxel_offset(vol, idx[0], idx[1], idx[2]));
  }
  return result;
}

double vp_volume_sample_nearest(const VpVolume *vol, VpVec3 p_mm, double outside_value)
{
  double c[3];
  if (!clamp_point(vol, p_mm, c))
    return outside_value;
  return vp_volume_value(vol, (int)lround(c[0]), (int)lround(c[1]), (int)lround(c[2]));
}

VpBox3 vp_volume_bounds_mm(const VpVolume *vol)
{
  VpBox3 box = vp_box3_empty();
  for (int corner = 0; corner < 8; corner++) {
    VpVec3 v = vp_vec3((corner & 1) ? vol->dims[0] - 0.5 : -0.5,
                       (corner & 2) ? vol->dims[1] - 0.5 : -0.5,
                       (corner & 4) ? vol->dims[2] - 0.5 : -0.5);
    box = vp_box3_extend(box, vp_volume_voxel_to_world(vol, v));
  }
  return box;
}

static VpMat3 affine_linear_part(const VpMat4 *m)
{
  VpMat3 r;
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      r.m[i][j] = m->m[i][j];
  return r;
}

double vp_volume_voxel_volume_mm3(const VpVolume *vol)
{
  return fabs(vp_mat3_determinant(affine_linear_part(&vol->voxel_to_world)));
}

void vp_volume_value_range(const VpVolume *vol, double *min, double *max)
{
  double lo = INFINITY, hi = -INFINITY;
  size_t n = vp_volume_voxel_count(vol);
  for (size_t at = 0; at < n; at++) {
    double v = vp_volume_value_at(vol, at);
    if (v < lo)
      lo = v;
    if (v > hi)
      hi = v;
  }
  if (lo > hi) /* every value NaN */
    lo = hi = NAN;
  *min = lo;
  *max = hi;
}

void vp_volume_orientation_code(const VpVolume *vol, char out[4])
{
  static const char positive[3] = {'R', 'A', 'S'}, negative[3] = {'L', 'P', 'I'};
  VpMat3 m = affine_linear_part(&vol->voxel_to_world);
  for (int c = 0; c < 3; c++) { /* compare directions, not voxel sizes */
    double len = vol->spacing_mm[c] > 0.0 ? vol->spacing_mm[c] : 1.0;
    for (int r = 0; r < 3; r++)
      m.m[r][c] /= len;
  }
  bool row_used[3] = {false, false, false}, col_used[3] = {false, false, false};
  /* Greedy: the strongest remaining world component claims its axis first, so
   * an oblique grid still gets three distinct letters. */
  for (int step = 0; step < 3; step++) {
    int best_r = 0, best_c = 0;
    double best = -1.0;
    for (int r = 0; r < 3; r++)
      for (int c = 0; c < 3; c++)
        if (!row_used[r] && !col_used[c] && fabs(m.m[r][c]) > best) {
          best = fabs(m.m[r][c]);
          best_r = r;
          best_c = c;
        }
    row_used[best_r] = col_used[best_c] = true;
    out[best_c] = m.m[best_r][best_c] >= 0.0 ? positive[best_r] : negative[best_r];
  }
  out[3] = '\0';
}
