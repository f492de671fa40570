/* Sampling the vertebra model: the synthetic CT with partial-volume edges,
 * scanner blur and noise, the label mask, the part map, the volumes of the
 * ground truth, and the surface with its vertices on the model's surface. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vp-intl-private.h"
#include "vp-phantom-private.h"
#include "vp-surface.h"

#define HU_MIN -1024.0
#define HU_MAX 3071.0

bool phantom_progress(const VpProgress *progress, double fraction, const char *stage)
{
  if (!progress)
    return true;
  if (progress->report)
    progress->report(progress->user, fraction, stage);
  return !(progress->cancelled && progress->cancelled(progress->user));
}

/* ---- grids ---- */

static VpBox3 ct_box(const ShapeModel *m)
{
  double g = m->p.margin_mm;
  VpBox3 b = m->bone_box;
  b.min = vp_vec3_sub(b.min, vp_vec3(g, g, g));
  b.max = vp_vec3_add(b.max, vp_vec3(g, g, g));
  return b;
}

static void box_dims(VpBox3 box, double spacing, int dims[3])
{
  VpVec3 size = vp_box3_size(box);
  const double extent[3] = {size.x, size.y, size.z};
  for (int a = 0; a < 3; a++)
    dims[a] = (int)ceil(extent[a] / spacing) + 1;
}

void phantom_ct_dims(const ShapeModel *m, int dims[3])
{
  box_dims(ct_box(m), m->p.spacing_mm, dims);
}

void phantom_surface_dims(const ShapeModel *m, int dims[3])
{
  box_dims(m->bone_box, m->p.surface_spacing_mm, dims);
}

/* Voxel axes towards patient left, posterior and superior, as the voxels of
 * an axial CT series; world = vertebra frame + offset. */
static VpMat4 ct_affine(const ShapeModel *m, VpVec3 offset)
{
  VpBox3 b = ct_box(m);
  double s = m->p.spacing_mm;
  VpMat4 a = vp_mat4_identity();
  a.m[0][0] = -s;
  a.m[1][1] = -s;
  a.m[2][2] = s;
  a.m[0][3] = b.max.x + offset.x;
  a.m[1][3] = b.max.y + offset.y;
  a.m[2][3] = b.min.z + offset.z;
  return a;
}

/* ---- the CT ---- */

static void account(PhantomVolumes *v, const ShapeSample *s, double w)
{
  if (s->bone_sdf >= 0.0)
    return;
  v->vertebra += w;
  if (s->in_body) {
    v->body += w;
    v->body_cortex += s->tissue == TISSUE_CORTEX ? w : 0.0;
    v->body_trabecular += s->tissue == TISSUE_TRABECULAR ? w : 0.0;
  } else {
    v->posterior += w;
  }
  v->cleft += s->tissue == TISSUE_CLEFT ? w : 0.0;
  v->endplate_break += s->tissue == TISSUE_BREAK ? w : 0.0;
  if (s->lesion >= 0) {
    v->lesion[s->lesion] += w;
    v->lesion_breach[s->lesion] += s->breach ? w : 0.0;
  }
}

/* HU of one voxel centred at p: the centre's value where no tissue boundary
 * comes within the voxel, else the mean of 2 x 2 x 2 samples (partial volume). */
static double voxel_hu(const ShapeModel *m, VpVec3 p, double s, uint32_t parts, ShapeSample *centre,
                       PhantomVolumes *vol)
{
  shape_sample_near(m, p, parts, centre);
  double voxel = s * s * s;
  if (centre->boundary_mm > 0.9 * s) {
    account(vol, centre, voxel);
    return centre->hu;
  }
  double sum = 0.0, q = 0.25 * s;
  for (int c = 0; c < 8; c++) {
    ShapeSample sub;
    VpVec3 o = vp_vec3(c & 1 ? q : -q, c & 2 ? q : -q, c & 4 ? q : -q);
    shape_sample_near(m, vp_vec3_add(p, o), parts, &sub);
    account(vol, &sub, voxel / 8.0);
    sum += sub.hu;
  }
  return sum / 8.0;
}

/* Voxels are visited in blocks: a block whose centre lies far from every
 * tissue boundary is one tissue throughout and takes the centre's values.
 * The factor allows for distance estimates that are not exact away from
 * the surfaces. */
#define BLOCK 4
#define BLOCK_SAFETY 1.5

typedef struct BlockRange {
  int lo[3], hi[3]; /* inclusive voxel index ranges */
} BlockRange;

static BlockRange block_range(const int dims[3], int bi, int bj, int bk)
{
  const int b[3] = {bi, bj, bk};
  BlockRange r;
  for (int a = 0; a < 3; a++) {
    r.lo[a] = b[a] * BLOCK;
    r.hi[a] = r.lo[a] + BLOCK - 1 < dims[a] - 1 ? r.lo[a] + BLOCK - 1 : dims[a] - 1;
  }
  return r;
}

/* Half the block's diagonal, voxels included whole. */
static double block_radius(const BlockRange *r, double s)
{
  double sum = 0.0;
  for (int a = 0; a < 3; a++)
    sum += (double)(r->hi[a] - r->lo[a] + 1) * (r->hi[a] - r->lo[a] + 1);
  return 0.5 * s * sqrt(sum);
}

typedef struct CtTarget {
  float *hu;
  uint8_t *mask, *parts;
  const int *dims;
  PhantomVolumes *vol;
} CtTarget;

static VpVec3 ct_point(const ShapeModel *m, double i, double j, double k)
{
  VpBox3 b = ct_box(m);
  double s = m->p.spacing_mm;
  return vp_vec3(b.max.x - i * s, b.max.y - j * s, b.min.z + k * s);
}

static void ct_store(const ShapeModel *m, CtTarget *t, size_t n, double hu, const ShapeSample *c)
{
  t->hu[n] = (float)hu;
  t->mask[n] = c->bone_sdf < 0.0 ? (uint8_t)m->p.label : 0;
  t->parts[n] = (uint8_t)c->part;
}

/* The block's extent in the vertebra frame, sub-samples included. */
static VpBox3 ct_block_box(const ShapeModel *m, const BlockRange *r)
{
  double h = 0.5 * m->p.spacing_mm;
  VpBox3 b =
      vp_box3_extend(vp_box3_extend(vp_box3_empty(), ct_point(m, r->lo[0], r->lo[1], r->lo[2])),
                     ct_point(m, r->hi[0], r->hi[1], r->hi[2]));
  b.min = vp_vec3_sub(b.min, vp_vec3(h, h, h));
  b.max = vp_vec3_add(b.max, vp_vec3(h, h, h));
  return b;
}

static void ct_block(const ShapeModel *m, CtTarget *t, const BlockRange *r)
{
  double s = m->p.spacing_mm;
  uint32_t parts = shape_parts_near(m, ct_block_box(m, r));
  ShapeSample c;
  shape_sample_near(m,
                    ct_point(m, 0.5 * (r->lo[0] + r->hi[0]), 0.5 * (r->lo[1] + r->hi[1]),
                             0.5 * (r->lo[2] + r->hi[2])),
                    parts, &c);
  bool uniform = c.boundary_mm > BLOCK_SAFETY * block_radius(r, s) + s;
  for (int k = r->lo[2]; k <= r->hi[2]; k++)
    for (int j = r->lo[1]; j <= r->hi[1]; j++)
      for (int i = r->lo[0]; i <= r->hi[0]; i++) {
        size_t n = (size_t)i + (size_t)t->dims[0] * ((size_t)j + (size_t)t->dims[1] * k);
        if (uniform) {
          account(t->vol, &c, s * s * s);
          ct_store(m, t, n, c.hu, &c);
        } else {
          ShapeSample v;
          double hu = voxel_hu(m, ct_point(m, i, j, k), s, parts, &v, t->vol);
          ct_store(m, t, n, hu, &v);
        }
      }
}

static bool sample_volumes(const ShapeModel *m, const VpProgress *progress, CtTarget *t,
                           VpError *err)
{
  const int *dims = t->dims;
  int blocks[3];
  for (int a = 0; a < 3; a++)
    blocks[a] = (dims[a] + BLOCK - 1) / BLOCK;
  for (int bk = 0; bk < blocks[2]; bk++) {
    if (!phantom_progress(progress, 0.05 + 0.6 * bk / blocks[2], _("Computing the CT")))
      return vp_error_set(err, VP_ERR_CANCELLED, _("the phantom was cancelled"));
    for (int bj = 0; bj < blocks[1]; bj++)
      for (int bi = 0; bi < blocks[0]; bi++) {
        BlockRange r = block_range(dims, bi, bj, bk);
        ct_block(m, t, &r);
      }
  }
  return true;
}

/* Gaussian blur of standard deviation sigma voxels along one axis. */
static void blur_axis(float *data, const int dims[3], int axis, const float *kernel, int radius,
                      float *line)
{
  size_t stride = axis == 0 ? 1 : axis == 1 ? (size_t)dims[0] : (size_t)dims[0] * dims[1];
  int len = dims[axis], a1 = axis == 0 ? 1 : 0, a2 = axis == 2 ? 1 : 2;
  size_t s1 = a1 == 0 ? 1 : (size_t)dims[0],
         s2 = a2 == 1 ? (size_t)dims[0] : (size_t)dims[0] * dims[1];
  for (int v = 0; v < dims[a2]; v++)
    for (int u = 0; u < dims[a1]; u++) {
      float *base = data + u * s1 + v * s2;
      for (int t = 0; t < len; t++)
        line[t] = base[t * stride];
      for (int t = 0; t < len; t++) {
        float sum = 0.0f;
        for (int r = -radius; r <= radius; r++) {
          int at = t + r < 0 ? 0 : t + r >= len ? len - 1 : t + r;
          sum += kernel[r + radius] * line[at];
        }
        base[t * stride] = sum;
      }
    }
}

static bool blur(float *data, const int dims[3], double sigma_vox, VpError *err)
{
  if (sigma_vox < 0.05)
    return true;
  int radius = (int)ceil(3.0 * sigma_vox), longest = dims[0];
  longest = dims[1] > longest ? dims[1] : longest;
  longest = dims[2] > longest ? dims[2] : longest;
  float *kernel = malloc(sizeof *kernel * (size_t)(2 * radius + 1));
  float *line = malloc(sizeof *line * (size_t)longest);
  if (!kernel || !line) {
    free(kernel);
    free(line);
    return vp_error_set(err, VP_ERR_NOMEM, _("out of memory for the phantom's CT"));
  }
  double total = 0.0;
  for (int r = -radius; r <= radius; r++)
    total += exp(-0.5 * r * r / (sigma_vox * sigma_vox));
  for (int r = -radius; r <= radius; r++)
    kernel[r + radius] = (float)(exp(-0.5 * r * r / (sigma_vox * sigma_vox)) / total);
  for (int axis = 0; axis < 3; axis++)
    blur_axis(data, dims, axis, kernel, radius, line);
  free(kernel);
  free(line);
  return true;
}

/* splitmix64: a small, well-mixed generator; the seed alone fixes the noise. */
static uint64_t next_random(uint64_t *state)
{
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static double uniform_open(uint64_t *state)
{
  return ((double)(next_random(state) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static void store_with_noise(const float *hu, int16_t *out, size_t n, double sigma, uint64_t seed)
{
  uint64_t state = seed;
  for (size_t i = 0; i < n; i += 2) {
    /* Box-Muller: two independent normal values per pair of uniforms. */
    double r = sqrt(-2.0 * log(uniform_open(&state))), t = 2.0 * VP_PI * uniform_open(&state);
    double noise[2] = {sigma * r * cos(t), sigma * r * sin(t)};
    for (size_t k = 0; k < 2 && i + k < n; k++) {
      double v = fmin(fmax(hu[i + k] + noise[k], HU_MIN), HU_MAX);
      out[i + k] = (int16_t)lround(v);
    }
  }
}

static VpVolume *new_volume(const int dims[3], VpVoxelType type, const VpMat4 *affine, VpError *err)
{
  VpVolumeLimits limits = vp_volume_limits_default();
  return vp_volume_new(dims, type, affine, &limits, err);
}

bool phantom_sample_ct(const ShapeModel *m, VpVec3 offset, const VpProgress *progress,
                       VpVolume **ct, VpVolume **mask, VpVolume **parts, PhantomVolumes *vol,
                       VpError *err)
{
  int dims[3];
  phantom_ct_dims(m, dims);
  VpMat4 affine = ct_affine(m, offset);
  *ct = new_volume(dims, VP_VOXEL_I16, &affine, err);
  *mask = *ct ? new_volume(dims, VP_VOXEL_U8, &affine, err) : NULL;
  *parts = *mask ? new_volume(dims, VP_VOXEL_U8, &affine, err) : NULL;
  size_t n = (size_t)dims[0] * dims[1] * dims[2];
  float *hu = *parts ? malloc(n * sizeof *hu) : NULL;
  if (*parts && !hu)
    vp_error_set(err, VP_ERR_NOMEM, _("out of memory for the phantom's CT"));
  memset(vol, 0, sizeof *vol);
  CtTarget target = {hu, *parts ? (*mask)->data : NULL, *parts ? (*parts)->data : NULL, dims, vol};
  bool ok = hu && sample_volumes(m, progress, &target, err) &&
            blur(hu, dims, m->p.blur_mm / m->p.spacing_mm, err);
  if (ok)
    store_with_noise(hu, (*ct)->data, n, m->p.noise_hu, m->p.seed);
  free(hu);
  if (!ok) {
    vp_volume_free(*ct);
    vp_volume_free(*mask);
    vp_volume_free(*parts);
    *ct = *mask = *parts = NULL;
  }
  return ok;
}

/* ---- the surface ---- */

static void surface_block(const ShapeModel *m, VpVolume *mask, const BlockRange *r)
{
  double s = m->p.surface_spacing_mm;
  VpVec3 o = m->bone_box.min;
  VpVec3 c = vp_vec3_add(
      o, vp_vec3_scale(vp_vec3(r->lo[0] + r->hi[0], r->lo[1] + r->hi[1], r->lo[2] + r->hi[2]),
                       0.5 * s));
  VpBox3 box = {vp_vec3_add(o, vp_vec3(r->lo[0] * s, r->lo[1] * s, r->lo[2] * s)),
                vp_vec3_add(o, vp_vec3(r->hi[0] * s, r->hi[1] * s, r->hi[2] * s))};
  uint32_t parts = shape_parts_near(m, box);
  double skipped = 0.0, f = shape_bone_sdf_near(m, c, parts, &skipped);
  double need = BLOCK_SAFETY * block_radius(r, s) + s;
  bool uniform = fabs(f) > need && skipped > need;
  uint8_t *data = mask->data;
  for (int k = r->lo[2]; k <= r->hi[2]; k++)
    for (int j = r->lo[1]; j <= r->hi[1]; j++)
      for (int i = r->lo[0]; i <= r->hi[0]; i++) {
        size_t n = (size_t)i + (size_t)mask->dims[0] * ((size_t)j + (size_t)mask->dims[1] * k);
        double v = uniform ? f
                           : shape_bone_sdf_near(m, vp_vec3_add(o, vp_vec3(i * s, j * s, k * s)),
                                                 parts, NULL);
        data[n] = v < 0.0;
      }
}

static VpVolume *surface_mask(const ShapeModel *m, VpVec3 offset, const VpProgress *progress,
                              VpError *err)
{
  int dims[3];
  phantom_surface_dims(m, dims);
  double s = m->p.surface_spacing_mm;
  VpMat4 affine = vp_mat4_scaling(vp_vec3(s, s, s));
  VpVec3 origin = vp_vec3_add(m->bone_box.min, offset);
  affine.m[0][3] = origin.x;
  affine.m[1][3] = origin.y;
  affine.m[2][3] = origin.z;
  VpVolume *mask = new_volume(dims, VP_VOXEL_U8, &affine, err);
  if (!mask)
    return NULL;
  int blocks[3];
  for (int a = 0; a < 3; a++)
    blocks[a] = (dims[a] + BLOCK - 1) / BLOCK;
  for (int bk = 0; bk < blocks[2]; bk++) {
    if (!phantom_progress(progress, 0.7 + 0.2 * bk / blocks[2], _("Making the surface"))) {
      vp_volume_free(mask);
      vp_error_set(err, VP_ERR_CANCELLED, _("the phantom was cancelled"));
      return NULL;
    }
    for (int bj = 0; bj < blocks[1]; bj++)
      for (int bi = 0; bi < blocks[0]; bi++) {
        BlockRange r = block_range(dims, bi, bj, bk);
        surface_block(m, mask, &r);
      }
  }
  return mask;
}

/* Moves a marching-cubes vertex, which sits halfway along the grid edge
 * between an inside and an outside sample, to where the model's surface
 * crosses that edge (regula falsi). Vertices off the grid edges (polygon
 * centres) stay. */
static void project_vertex(const ShapeModel *m, const VpVolume *mask, VpVec3 offset, float *pos)
{
  VpVec3 g = vp_volume_world_to_voxel(mask, vp_vec3(pos[0], pos[1], pos[2]));
  double c[3] = {g.x, g.y, g.z};
  int axis = -1;
  for (int a = 0; a < 3; a++) {
    double f = c[a] - floor(c[a]);
    if (fabs(f - 0.5) < 0.01)
      axis = axis < 0 ? a : 3;
    else if (f > 0.01 && f < 0.99)
      return;
  }
  if (axis < 0 || axis > 2)
    return;
  double lo[3] = {round(c[0]), round(c[1]), round(c[2])};
  lo[axis] = floor(c[axis]);
  double hi[3] = {lo[0], lo[1], lo[2]};
  hi[axis] += 1.0;
  VpVec3 p0 = vp_vec3_sub(vp_volume_voxel_to_world(mask, vp_vec3(lo[0], lo[1], lo[2])), offset);
  VpVec3 p1 = vp_vec3_sub(vp_volume_voxel_to_world(mask, vp_vec3(hi[0], hi[1], hi[2])), offset);
  double f0 = shape_bone_sdf(m, p0), f1 = shape_bone_sdf(m, p1);
  if ((f0 < 0.0) == (f1 < 0.0))
    return;
  double t0 = 0.0, t1 = 1.0, t = 0.5;
  for (int it = 0; it < 5; it++) {
    t = t0 + (t1 - t0) * f0 / (f0 - f1);
    double f = shape_bone_sdf(m, vp_vec3_lerp(p0, p1, t));
    if ((f < 0.0) == (f0 < 0.0)) {
      t0 = t;
      f0 = f;
    } else {
      t1 = t;
      f1 = f;
    }
  }
  /* Kept off the samples so vertices of neighbouring edges never coincide. */
  t = fmin(fmax(t, 0.02), 0.98);
  VpVec3 p = vp_vec3_add(vp_vec3_lerp(p0, p1, t), offset);
  pos[0] = (float)p.x;
  pos[1] = (float)p.y;
  pos[2] = (float)p.z;
}

VpMesh *phantom_surface(const ShapeModel *m, VpVec3 offset, const VpProgress *progress,
                        VpError *err)
{
  VpVolume *mask = surface_mask(m, offset, progress, err);
  if (!mask)
    return NULL;
  VpSurfaceOptions opts;
  vp_surface_options_default(mask, &opts);
  opts.fill_cavities = true;
  opts.smooth = false;
  VpMesh *mesh = vp_volume_extract_label_surface(mask, 1, &opts, err);
  if (mesh) {
    for (uint32_t v = 0; v < mesh->vertex_count; v++)
      project_vertex(m, mask, offset, mesh->positions + 3 * (size_t)v);
    /* Two gentle passes even out the slivers that projection leaves,
     * moving vertices by hundredths of a millimetre. */
    if (!vp_mesh_smooth_taubin(mesh, 2, 0.5, -0.53, err)) {
      vp_mesh_free(mesh);
      mesh = NULL;
    }
  }
  vp_volume_free(mask);
  return mesh;
}
