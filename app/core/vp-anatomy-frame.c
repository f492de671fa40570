/* The vertebra's bone on a world-aligned grid, and its own frame found from
 * the bone alone:
 * 1. superior: the direction along which the bone shows the largest
 *    through-hole (the canal is a tunnel through the ring of body, pedicles
 *    and laminae), searched over the half-sphere, signed towards world +z;
 * 2. anterior: from the canal's centre towards the thick bone (the body is
 *    the one solid block; the arch is thin);
 * 3. left: the normal of the mid-sagittal plane that best maps the bone onto
 *    itself (reflection overlap, turning about superior);
 * 4. superior again: the mean normal of the superior and inferior endplates
 *    (planes fitted to the central part of each), or the one agreeing with
 *    the canal when a fracture tilts the other;
 * 5. origin: on the mid-sagittal plane, halfway between the body's posterior
 *    and anterior walls, halfway between the endplates near the posterior
 *    wall (where a wedge fracture leaves the height). */
#include "vp-anatomy-private.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vp-intl-private.h"
#include "vp-voxel.h"

/* ---- the bone grid ---- */

static VpVolume *grid_volume(const int dims[3], double spacing, VpVec3 origin, VpError *err)
{
  VpMat4 m = vp_mat4_identity();
  m.m[0][0] = m.m[1][1] = m.m[2][2] = spacing;
  m.m[0][3] = origin.x;
  m.m[1][3] = origin.y;
  m.m[2][3] = origin.z;
  return vp_volume_new(dims, VP_VOXEL_U8, &m, NULL, err);
}

/* One byte per mask voxel, 1 where the label is, and the label's index
 * box; NULL (with *found false) when the label has no voxels. */
static uint8_t *label_bytes(const VpVolume *mask, int label, int lo[3], int hi[3], bool *found,
                            VpError *err)
{
  const int *d = mask->dims;
  size_t count = vp_volume_voxel_count(mask);
  *found = false;
  uint8_t *bytes = malloc(count ? count : 1);
  if (!bytes) {
    vp_error_set(err, VP_ERR_NOMEM, "%s", _("Out of memory"));
    return NULL;
  }
  if (mask->type == VP_VOXEL_U8) {
    const uint8_t *v = mask->data;
    for (size_t n = 0; n < count; n++)
      bytes[n] = v[n] == label;
  } else if (mask->type == VP_VOXEL_I16) {
    const int16_t *v = mask->data;
    for (size_t n = 0; n < count; n++)
      bytes[n] = v[n] == label;
  } else {
    for (size_t n = 0; n < count; n++)
      bytes[n] = vp_label_from_value(vp_volume_value_at(mask, n)) == label;
  }
  lo[0] = lo[1] = lo[2] = INT32_MAX;
  hi[0] = hi[1] = hi[2] = -1;
  size_t n = 0;
  for (int k = 0; k < d[2]; k++)
    for (int j = 0; j < d[1]; j++)
      for (int i = 0; i < d[0]; i++, n++) {
        if (!bytes[n])
          continue;
        const int ijk[3] = {i, j, k};
        for (int a = 0; a < 3; a++) {
          lo[a] = ijk[a] < lo[a] ? ijk[a] : lo[a];
          hi[a] = ijk[a] > hi[a] ? ijk[a] : hi[a];
        }
      }
  *found = hi[0] >= 0;
  return bytes;
}

static VpVolume *bone_from_mask(const VpVolume *mask, int label, double spacing, VpError *err)
{
  int lo[3], hi[3];
  bool found;
  uint8_t *bytes = label_bytes(mask, label, lo, hi, &found, err);
  if (!bytes)
    return NULL;
  if (!found) {
    free(bytes);
    vp_volume_require_label(mask, label, err);
    return NULL;
  }
  VpBox3 box = vp_box3_empty();
  for (int c = 0; c < 8; c++) {
    VpVec3 ijk = vp_vec3((c & 1 ? hi[0] : lo[0]) + (c & 1 ? 0.5 : -0.5),
                         (c & 2 ? hi[1] : lo[1]) + (c & 2 ? 0.5 : -0.5),
                         (c & 4 ? hi[2] : lo[2]) + (c & 4 ? 0.5 : -0.5));
    box = vp_box3_extend(box, vp_volume_voxel_to_world(mask, ijk));
  }
  const double margin = 2.0;
  int dims[3];
  double size[3] = {box.max.x - box.min.x, box.max.y - box.min.y, box.max.z - box.min.z};
  for (int a = 0; a < 3; a++)
    dims[a] = (int)ceil((size[a] + 2.0 * margin) / spacing) + 1;
  /* Grid centres on the mask's centres when the spacings agree, not on
   * their faces, where nearest-neighbour lookups would shift by half a voxel. */
  double shift = 0.5 * spacing - margin;
  VpVec3 origin = vp_vec3_add(box.min, vp_vec3(shift, shift, shift));
  VpVolume *bone = grid_volume(dims, spacing, origin, err);
  if (!bone) {
    free(bytes);
    return NULL;
  }
  /* Nearest neighbour: the mask voxel holding each grid centre; the index
   * moves by a fixed step per grid step, so no matrix product per voxel. */
  const VpMat4 *w2v = &mask->world_to_voxel;
  uint8_t *out = bone->data;
  size_t n = 0;
  for (int k = 0; k < dims[2]; k++)
    for (int j = 0; j < dims[1]; j++) {
      VpVec3 p0 = vp_vec3(origin.x, origin.y + j * spacing, origin.z + k * spacing);
      VpVec3 v0 = vp_mat4_transform_point(*w2v, p0);
      VpVec3 step = vp_vec3(w2v->m[0][0] * spacing, w2v->m[1][0] * spacing,
                            w2v->m[2][0] * spacing);
      for (int i = 0; i < dims[0]; i++, n++) {
        int vi = (int)floor(v0.x + step.x * i + 0.5), vj = (int)floor(v0.y + step.y * i + 0.5),
            vk = (int)floor(v0.z + step.z * i + 0.5);
        if (vi < lo[0] || vj < lo[1] || vk < lo[2] || vi > hi[0] || vj > hi[1] || vk > hi[2])
          continue;
        out[n] = bytes[(size_t)vi + (size_t)mask->dims[0] * ((size_t)vj + (size_t)mask->dims[1] * vk)];
      }
    }
  free(bytes);
  return bone;
}

static VpVolume *bone_from_surface(const VpMesh *surface, double spacing, int threads,
                                   VpError *err)
{
  VpGridOptions opts = vp_grid_options_default();
  opts.spacing_mm = spacing;
  opts.margin_mm = 2.0;
  opts.threads = threads;
  VpGrid grid;
  if (!vp_grid_voxelize(surface, &opts, &grid, NULL, err))
    return NULL;
  VpVolume *bone = grid_volume(grid.dims, spacing,
                               vp_vec3(grid.origin_mm[0], grid.origin_mm[1], grid.origin_mm[2]),
                               err);
  if (bone)
    memcpy(bone->data, grid.mask, vp_grid_voxel_count(&grid));
  vp_grid_clear(&grid);
  return bone;
}

VpVolume *vp_anatomy_bone_grid(const VpCase *c, double spacing_mm, int threads, VpError *err)
{
  if (!c || !(spacing_mm > 0.0)) {
    vp_error_set(err, VP_ERR_INVALID, "%s", _("No case or no grid spacing for the anatomy"));
    return NULL;
  }
  if (c->mask && c->label > 0)
    return bone_from_mask(c->mask, c->label, spacing_mm, err);
  if (c->surface)
    return bone_from_surface(c->surface, spacing_mm, threads, err);
  vp_error_set(err, VP_ERR_INVALID, "%s", _("The case has neither a mask nor a surface"));
  return NULL;
}

/* ---- looking up the bone ---- */

typedef struct Bone {
  const uint8_t *data;
  int dims[3];
  VpVec3 origin;
  double spacing, inv;
} Bone;

static bool bone_init(Bone *b, const VpVolume *vol, VpError *err)
{
  const VpMat4 *m = &vol->voxel_to_world;
  double s = m->m[0][0];
  bool aligned = vol->type == VP_VOXEL_U8 && s > 0.0 && m->m[1][1] == s && m->m[2][2] == s &&
                 m->m[0][1] == 0.0 && m->m[0][2] == 0.0 && m->m[1][0] == 0.0 &&
                 m->m[1][2] == 0.0 && m->m[2][0] == 0.0 && m->m[2][1] == 0.0;
  if (!aligned)
    return vp_error_set(err, VP_ERR_INVALID, "%s",
                        _("The bone grid must be uint8, isotropic and aligned with the world"));
  b->data = vol->data;
  memcpy(b->dims, vol->dims, sizeof b->dims);
  b->origin = vp_vec3(m->m[0][3], m->m[1][3], m->m[2][3]);
  b->spacing = s;
  b->inv = 1.0 / s;
  return true;
}

static bool bone_at(const Bone *b, VpVec3 p)
{
  int i = (int)floor((p.x - b->origin.x) * b->inv + 0.5);
  int j = (int)floor((p.y - b->origin.y) * b->inv + 0.5);
  int k = (int)floor((p.z - b->origin.z) * b->inv + 0.5);
  if (i < 0 || j < 0 || k < 0 || i >= b->dims[0] || j >= b->dims[1] || k >= b->dims[2])
    return false;
  return b->data[(size_t)i + (size_t)b->dims[0] * ((size_t)j + (size_t)b->dims[1] * k)] != 0;
}

typedef struct Points {
  VpVec3 *p;
  size_t n;
} Points;

/* Centres of bone voxels taken every `stride` voxels along each axis. */
static bool points_sample(const Bone *b, int stride, Points *out)
{
  size_t cap = 1024;
  out->n = 0;
  out->p = malloc(cap * sizeof *out->p);
  if (!out->p)
    return false;
  for (int k = 0; k < b->dims[2]; k += stride)
    for (int j = 0; j < b->dims[1]; j += stride)
      for (int i = 0; i < b->dims[0]; i += stride) {
        if (!b->data[(size_t)i + (size_t)b->dims[0] * ((size_t)j + (size_t)b->dims[1] * k)])
          continue;
        if (out->n == cap) {
          VpVec3 *grown = realloc(out->p, 2 * cap * sizeof *grown);
          if (!grown)
            return false;
          out->p = grown;
          cap *= 2;
        }
        out->p[out->n++] = vp_vec3_add(b->origin, vp_vec3_scale(vp_vec3(i, j, k), b->spacing));
      }
  return true;
}

static VpVec3 points_centroid(const Points *pts)
{
  VpVec3 c = {0, 0, 0};
  for (size_t i = 0; i < pts->n; i++)
    c = vp_vec3_add(c, pts->p[i]);
  return pts->n ? vp_vec3_scale(c, 1.0 / (double)pts->n) : c;
}

/* Two unit vectors completing d to a right-handed orthonormal basis. */
static void basis_of(VpVec3 d, VpVec3 *u, VpVec3 *v)
{
  VpVec3 t = fabs(d.x) < 0.8 ? vp_vec3(1, 0, 0) : vp_vec3(0, 1, 0);
  *u = vp_vec3_normalize(vp_vec3_cross(t, d));
  *v = vp_vec3_cross(d, *u);
}

/* ---- the canal: the largest hole in the bone's projection ---- */

typedef struct Hole {
  double area_mm2;
  VpVec3 centre; /* in the plane through the points' centroid */
} Hole;

typedef struct Projector {
  const Points *pts;
  VpVec3 centre;
  double radius; /* of the points around centre */
  double pixel;
  int size;
  uint8_t *image;
  int *stack;
} Projector;

static bool projector_init(Projector *pr, const Points *pts, VpVec3 centre, double pixel)
{
  double r2 = 0.0;
  for (size_t i = 0; i < pts->n; i++) {
    VpVec3 d = vp_vec3_sub(pts->p[i], centre);
    r2 = fmax(r2, vp_vec3_dot(d, d));
  }
  pr->pts = pts;
  pr->centre = centre;
  pr->radius = sqrt(r2) + 2.0 * pixel;
  pr->pixel = pixel;
  pr->size = (int)ceil(2.0 * pr->radius / pixel) + 3;
  size_t cells = (size_t)pr->size * (size_t)pr->size;
  pr->image = malloc(cells);
  pr->stack = malloc(cells * sizeof *pr->stack);
  return pr->image && pr->stack;
}

static void projector_clear(Projector *pr)
{
  free(pr->image);
  free(pr->stack);
}

enum { PIX_EMPTY = 0, PIX_BONE = 1, PIX_OPEN = 2, PIX_HOLE = 3 };

/* Flood fills from seed over empty pixels, marking them mark; returns the
 * count and adds the pixel coordinates to sum. */
static size_t flood(Projector *pr, int seed, uint8_t mark, double sum[2])
{
  int n = pr->size, top = 0;
  size_t count = 0;
  pr->image[seed] = mark;
  pr->stack[top++] = seed;
  while (top > 0) {
    int at = pr->stack[--top];
    int x = at % n, y = at / n;
    count++;
    sum[0] += x;
    sum[1] += y;
    const int next[4] = {x > 0 ? at - 1 : -1, x < n - 1 ? at + 1 : -1, y > 0 ? at - n : -1,
                         y < n - 1 ? at + n : -1};
    for (int q = 0; q < 4; q++)
      if (next[q] >= 0 && pr->image[next[q]] == PIX_EMPTY) {
        pr->image[next[q]] = mark;
        pr->stack[top++] = next[q];
      }
  }
  return count;
}

static Hole projected_hole(Projector *pr, VpVec3 d)
{
  VpVec3 u, v;
  basis_of(d, &u, &v);
  int n = pr->size;
  memset(pr->image, PIX_EMPTY, (size_t)n * (size_t)n);
  double half = 0.5 * (n - 1), inv = 1.0 / pr->pixel;
  for (size_t i = 0; i < pr->pts->n; i++) {
    VpVec3 q = vp_vec3_sub(pr->pts->p[i], pr->centre);
    int x = (int)floor(vp_vec3_dot(q, u) * inv + half + 0.5);
    int y = (int)floor(vp_vec3_dot(q, v) * inv + half + 0.5);
    pr->image[x + n * y] = PIX_BONE;
  }
  double sum[2] = {0, 0};
  /* The projection never reaches the border (radius has a margin). */
  flood(pr, 0, PIX_OPEN, sum);
  Hole best = {0.0, pr->centre};
  for (int at = 0; at < n * n; at++) {
    if (pr->image[at] != PIX_EMPTY)
      continue;
    double s[2] = {0, 0};
    size_t count = flood(pr, at, PIX_HOLE, s);
    double area = (double)count * pr->pixel * pr->pixel;
    if (area > best.area_mm2) {
      best.area_mm2 = area;
      double cx = (s[0] / (double)count - half) * pr->pixel;
      double cy = (s[1] / (double)count - half) * pr->pixel;
      best.centre = vp_vec3_add(pr->centre, vp_vec3_add(vp_vec3_scale(u, cx), vp_vec3_scale(v, cy)));
    }
  }
  return best;
}

/* Turns d by small angles about the two axes across it. */
static VpVec3 tilt(VpVec3 d, double a_rad, double b_rad)
{
  VpVec3 u, v;
  basis_of(d, &u, &v);
  return vp_vec3_normalize(vp_vec3_add(d, vp_vec3_add(vp_vec3_scale(u, tan(a_rad)),
                                                      vp_vec3_scale(v, tan(b_rad)))));
}

/* Coarse: directions over the half-sphere about 8 degrees apart. */
static VpVec3 canal_axis_coarse(Projector *pr, double *best_area)
{
  VpVec3 best = vp_vec3(0, 0, 1);
  *best_area = -1.0;
  const double step = vp_deg_to_rad(8.0);
  for (double polar = 0.0; polar <= 0.5 * VP_PI + 1e-9; polar += step) {
    int around = polar < 1e-9 ? 1 : (int)ceil(2.0 * VP_PI * sin(polar) / step);
    for (int a = 0; a < around; a++) {
      double az = 2.0 * VP_PI * a / around;
      if (polar > 0.5 * VP_PI - 1e-9 && az >= VP_PI - 1e-9)
        continue; /* the equator's other half repeats the first */
      VpVec3 d = vp_vec3(sin(polar) * cos(az), sin(polar) * sin(az), cos(polar));
      double area = projected_hole(pr, d).area_mm2;
      if (area > *best_area) {
        *best_area = area;
        best = d;
      }
    }
  }
  return best;
}

/* Pattern search about d, halving the step down to a quarter degree. */
static VpVec3 canal_axis_refine(Projector *pr, VpVec3 d, Hole *hole)
{
  *hole = projected_hole(pr, d);
  for (double step = 4.0; step >= 0.25; step *= 0.5) {
    bool moved = true;
    for (int round = 0; moved && round < 12; round++) {
      moved = false;
      const double da[4][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
      for (int q = 0; q < 4; q++) {
        VpVec3 t = tilt(d, vp_deg_to_rad(step * da[q][0]), vp_deg_to_rad(step * da[q][1]));
        Hole h = projected_hole(pr, t);
        if (h.area_mm2 > hole->area_mm2) {
          *hole = h;
          d = t;
          moved = true;
        }
      }
    }
  }
  return d;
}

/* ---- anterior: towards the thick bone ---- */

/* Fraction of a disc of radius r around p, across axis, that is bone: the
 * body is the one part wide in both directions across the spine, even when
 * a fracture has flattened it. */
static double solidity(const Bone *b, VpVec3 p, VpVec3 axis, double r)
{
  VpVec3 u, v;
  basis_of(axis, &u, &v);
  double step = fmax(b->spacing, r / 4.0);
  int n = (int)floor(r / step), inside = 0, hits = 0;
  for (int j = -n; j <= n; j++)
    for (int i = -n; i <= n; i++) {
      if (i * i + j * j > n * n)
        continue;
      inside++;
      VpVec3 q = vp_vec3_add(vp_vec3_scale(u, i * step), vp_vec3_scale(v, j * step));
      hits += bone_at(b, vp_vec3_add(p, q));
    }
  return inside ? (double)hits / inside : 0.0;
}

static VpVec3 thick_bone_centroid(const Bone *b, const Points *pts, VpVec3 axis)
{
  VpVec3 sum = {0, 0, 0};
  double weight = 0.0;
  for (size_t i = 0; i < pts->n; i++) {
    double s = solidity(b, pts->p[i], axis, 7.0);
    double s2 = s * s, s4 = s2 * s2;
    double w = s4 * s4; /* the body stands out */
    sum = vp_vec3_add(sum, vp_vec3_scale(pts->p[i], w));
    weight += w;
  }
  return weight > 0.0 ? vp_vec3_scale(sum, 1.0 / weight) : points_centroid(pts);
}

static VpVec3 perpendicular_part(VpVec3 v, VpVec3 axis)
{
  return vp_vec3_sub(v, vp_vec3_scale(axis, vp_vec3_dot(v, axis)));
}

/* ---- left: the mid-sagittal plane ---- */

static double mirror_overlap(const Bone *b, const Points *pts, VpVec3 point, VpVec3 normal)
{
  size_t hits = 0;
  for (size_t i = 0; i < pts->n; i++) {
    double d = vp_vec3_dot(vp_vec3_sub(pts->p[i], point), normal);
    hits += bone_at(b, vp_vec3_sub(pts->p[i], vp_vec3_scale(normal, 2.0 * d)));
  }
  return pts->n ? (double)hits / (double)pts->n : 0.0;
}

typedef struct MirrorPlane {
  VpVec3 normal, point;
} MirrorPlane;

/* plane turned by a_sup about superior and a_ant about anterior (degrees),
 * then moved by t mm along its normal. */
static MirrorPlane mirror_moved(const MirrorPlane *m, VpVec3 superior, VpVec3 anterior,
                                const double q[3])
{
  VpMat3 r = vp_mat3_mul(vp_mat3_rotation(anterior, vp_deg_to_rad(q[1])),
                         vp_mat3_rotation(superior, vp_deg_to_rad(q[0])));
  MirrorPlane out;
  out.normal = vp_vec3_normalize(vp_mat3_mul_vec3(r, m->normal));
  out.point = vp_vec3_add(m->point, vp_vec3_scale(out.normal, q[2]));
  return out;
}

/* The mid-sagittal plane: a grid over turns about superior and offsets on
 * the coarse points, then a pattern search adding turns about anterior on
 * the fine points. */
static MirrorPlane symmetry_search(const Bone *b, const Points *coarse, const Points *fine,
                                   VpVec3 superior, VpVec3 anterior, MirrorPlane m)
{
  double best = -1.0, q_best[3] = {0, 0, 0};
  for (double a = -15.0; a <= 15.0 + 1e-9; a += 3.0)
    for (double t = -4.0; t <= 4.0 + 1e-9; t += 1.0) {
      double q[3] = {a, 0.0, t};
      MirrorPlane c = mirror_moved(&m, superior, anterior, q);
      double score = mirror_overlap(b, coarse, c.point, c.normal);
      if (score > best) {
        best = score;
        memcpy(q_best, q, sizeof q);
      }
    }
  m = mirror_moved(&m, superior, anterior, q_best);
  best = mirror_overlap(b, fine, m.point, m.normal);
  for (double step = 1.0; step >= 0.2; step *= 0.5) {
    bool moved = true;
    for (int round = 0; moved && round < 10; round++) {
      moved = false;
      for (int axis = 0; axis < 3; axis++)
        for (int sign = -1; sign <= 1; sign += 2) {
          double q[3] = {0, 0, 0};
          q[axis] = sign * step * (axis == 2 ? 0.5 : 1.0);
          MirrorPlane c = mirror_moved(&m, superior, anterior, q);
          double score = mirror_overlap(b, fine, c.point, c.normal);
          if (score > best) {
            best = score;
            m = c;
            moved = true;
          }
        }
    }
  }
  return m;
}

/* ---- the body: walls and endplates by marching through the bone ---- */

/* Distance from p along dir to the first point that is (want_bone) bone or
 * not bone; NAN when not met within limit. */
static double march(const Bone *b, VpVec3 p, VpVec3 dir, bool want_bone, double limit)
{
  double step = 0.25 * b->spacing;
  for (double t = 0.0; t <= limit; t += step)
    if (bone_at(b, vp_vec3_add(p, vp_vec3_scale(dir, t))) == want_bone)
      return t;
  return NAN;
}

typedef struct BodyWalls {
  double y_post, y_ant; /* along anterior, from the frame's origin */
  double z_top, z_bottom;
} BodyWalls;

static VpVec3 frame_point(const VpAnatomyFrame *f, double x, double y, double z)
{
  return vp_anatomy_frame_to_world(f, vp_vec3(x, y, z));
}

/* Walls of the body on the frame's midline; the frame's origin is on the
 * midline behind the body (in the canal) or inside the body. */
static bool body_walls(const Bone *b, const VpAnatomyFrame *f, double z, BodyWalls *w)
{
  VpVec3 p = frame_point(f, 0, 0, z);
  double y0 = 0.0;
  if (!bone_at(b, p)) {
    y0 = march(b, p, f->anterior, true, 60.0);
    if (isnan(y0))
      return false;
  } else {
    double back = march(b, p, vp_vec3_neg(f->anterior), false, 60.0);
    if (isnan(back))
      return false;
    y0 = -back;
  }
  double depth = march(b, frame_point(f, 0, y0, z), f->anterior, false, 80.0);
  if (isnan(depth))
    return false;
  w->y_post = y0;
  w->y_ant = y0 + depth;
  VpVec3 mid = frame_point(f, 0, 0.5 * (w->y_post + w->y_ant), z);
  double up = march(b, mid, f->superior, false, 60.0);
  double down = march(b, mid, vp_vec3_neg(f->superior), false, 60.0);
  if (isnan(up) || isnan(down))
    return false;
  w->z_top = z + up;
  w->z_bottom = z - down;
  return true;
}

typedef struct PlaneFit {
  VpVec3 normal; /* world, towards superior */
  size_t used;
} PlaneFit;

/* Least-squares plane z = a x + b y + c through frame points, refitted
 * without the points more than 1.5 mm off. */
static bool fit_plane(const VpVec3 *q, size_t n, const VpAnatomyFrame *f, PlaneFit *out)
{
  double coef[3] = {0, 0, 0};
  bool *use = malloc(n ? n : 1);
  if (!use)
    return false;
  for (size_t i = 0; i < n; i++)
    use[i] = true;
  size_t used = 0;
  for (int pass = 0; pass < 3; pass++) {
    double m[3][3] = {{0}}, r[3] = {0};
    used = 0;
    for (size_t i = 0; i < n; i++) {
      if (!use[i])
        continue;
      double row[3] = {q[i].x, q[i].y, 1.0};
      for (int a = 0; a < 3; a++) {
        for (int c = 0; c < 3; c++)
          m[a][c] += row[a] * row[c];
        r[a] += row[a] * q[i].z;
      }
      used++;
    }
    VpMat3 mm, inv;
    memcpy(mm.m, m, sizeof m);
    if (used < 8 || !vp_mat3_inverse(mm, &inv))
      break;
    VpVec3 sol = vp_mat3_mul_vec3(inv, vp_vec3(r[0], r[1], r[2]));
    coef[0] = sol.x;
    coef[1] = sol.y;
    coef[2] = sol.z;
    for (size_t i = 0; i < n; i++)
      use[i] = fabs(q[i].z - (coef[0] * q[i].x + coef[1] * q[i].y + coef[2])) < 1.5;
  }
  free(use);
  if (used < 8)
    return false;
  VpVec3 local = vp_vec3_normalize(vp_vec3(-coef[0], -coef[1], 1.0));
  out->normal = vp_vec3_normalize(vp_vec3_add(
      vp_vec3_add(vp_vec3_scale(f->left, local.x), vp_vec3_scale(f->anterior, local.y)),
      vp_vec3_scale(f->superior, local.z)));
  out->used = used;
  return true;
}

/* Planes through the tops and bottoms of the body's central columns (the
 * middle half of its width and depth, clear of the rims). */
static bool endplate_normals(const Bone *b, const VpAnatomyFrame *f, const BodyWalls *w,
                             double half_width, PlaneFit *top, PlaneFit *bottom)
{
  double depth = w->y_ant - w->y_post, z_mid = 0.5 * (w->z_top + w->z_bottom);
  double step = 1.0;
  size_t cap = 4096, nt = 0, nb = 0;
  VpVec3 *qt = malloc(cap * sizeof *qt), *qb = malloc(cap * sizeof *qb);
  bool ok = qt && qb;
  for (double y = w->y_post + 0.25 * depth; ok && y <= w->y_ant - 0.25 * depth; y += step)
    for (double x = -0.5 * half_width; x <= 0.5 * half_width && nt < cap; x += step) {
      VpVec3 p = frame_point(f, x, y, z_mid);
      if (!bone_at(b, p))
        continue;
      double up = march(b, p, f->superior, false, 50.0);
      double down = march(b, p, vp_vec3_neg(f->superior), false, 50.0);
      if (!isnan(up))
        qt[nt++] = vp_vec3(x, y, z_mid + up);
      if (!isnan(down))
        qb[nb++] = vp_vec3(x, y, z_mid - down);
    }
  ok = ok && fit_plane(qt, nt, f, top) && fit_plane(qb, nb, f, bottom);
  free(qt);
  free(qb);
  return ok;
}

/* Direction of the body's posterior wall on the midline, in the sagittal
 * plane: a line through the wall over the middle of the body's height. A
 * fracture changes the endplates, rarely this wall. */
static bool wall_direction(const Bone *b, const VpAnatomyFrame *f, const BodyWalls *w,
                           VpVec3 *out)
{
  double h = w->z_top - w->z_bottom, y_mid = 0.5 * (w->y_post + w->y_ant);
  double sz = 0, sy = 0, szz = 0, szy = 0;
  int n = 0;
  for (double x = -2.0; x <= 2.0 + 1e-9; x += 1.0)
    for (double z = w->z_bottom + 0.2 * h; z <= w->z_top - 0.2 * h; z += 0.5) {
      double t = march(b, frame_point(f, x, y_mid, z), vp_vec3_neg(f->anterior), false, 60.0);
      if (isnan(t))
        continue;
      double y = y_mid - t;
      sz += z;
      sy += y;
      szz += z * z;
      szy += z * y;
      n++;
    }
  double det = n * szz - sz * sz;
  if (n < 8 || det <= 1e-9)
    return false;
  double slope = (n * szy - sz * sy) / det; /* dy / dz */
  *out = vp_vec3_normalize(vp_vec3_add(f->superior, vp_vec3_scale(f->anterior, slope)));
  return true;
}

/* The superior axis in the mid-sagittal plane: perpendicular to both
 * endplates (their mean normal) when that agrees with the posterior wall;
 * when a fracture has tilted an endplate (or a mask cuts one off), between
 * the wall and the canal's axis. */
static VpVec3 superior_from_body(const VpAnatomyFrame *f, VpVec3 canal_axis, const PlaneFit *top,
                                 const PlaneFit *bottom, const VpVec3 *wall)
{
  VpVec3 mean = vp_vec3_add(top->normal, bottom->normal);
  mean = vp_vec3_normalize(perpendicular_part(mean, f->left));
  if (!wall || vp_vec3_angle(mean, *wall) < vp_deg_to_rad(2.5))
    return mean;
  /* the wall and the canal, each good to a few degrees on its own */
  canal_axis = vp_vec3_normalize(perpendicular_part(canal_axis, f->left));
  return vp_vec3_normalize(vp_vec3_add(*wall, canal_axis));
}

static void frame_orthonormal(VpAnatomyFrame *f, VpVec3 superior, VpVec3 anterior_hint)
{
  f->superior = vp_vec3_normalize(superior);
  f->anterior = vp_vec3_normalize(perpendicular_part(anterior_hint, f->superior));
  f->left = vp_vec3_cross(f->superior, f->anterior);
}

/* ---- the whole search ---- */

typedef struct Search {
  Bone bone;
  Points coarse, fine;
  VpVec3 centre;
} Search;

static void search_clear(Search *s)
{
  free(s->coarse.p);
  free(s->fine.p);
}

static bool find_axes(Search *s, VpAnatomyFrame *f, VpVec3 *canal_axis, VpError *err)
{
  Projector pr;
  double coarse_pixel = fmax(2.5, 1.25 * s->bone.spacing * 4);
  if (!projector_init(&pr, &s->coarse, s->centre, coarse_pixel)) {
    projector_clear(&pr);
    return vp_error_set(err, VP_ERR_NOMEM, "%s", _("Out of memory"));
  }
  double area;
  VpVec3 d = canal_axis_coarse(&pr, &area);
  projector_clear(&pr);
  Hole hole;
  if (!projector_init(&pr, &s->fine, s->centre, fmax(1.25, 1.25 * s->bone.spacing))) {
    projector_clear(&pr);
    return vp_error_set(err, VP_ERR_NOMEM, "%s", _("Out of memory"));
  }
  d = canal_axis_refine(&pr, d, &hole);
  projector_clear(&pr);
  if (hole.area_mm2 < 20.0)
    return vp_error_set(err, VP_ERR_INVALID, "%s",
                        _("No spinal canal found: the bone encloses no canal (is the posterior "
                          "arch missing?)"));
  if (d.z < 0.0)
    d = vp_vec3_neg(d); /* patients lie head towards world superior */
  *canal_axis = d;
  VpVec3 thick = thick_bone_centroid(&s->bone, &s->coarse, d);
  VpVec3 towards = perpendicular_part(vp_vec3_sub(thick, hole.centre), d);
  if (vp_vec3_length(towards) < 2.0)
    return vp_error_set(err, VP_ERR_INVALID, "%s",
                        _("No vertebral body found: no solid bone in front of the canal"));
  frame_orthonormal(f, d, towards);
  f->origin_mm = hole.centre;
  return true;
}

static bool find_body_centre(Search *s, VpAnatomyFrame *f, VpVec3 canal_axis, VpError *err)
{
  const char *no_body = _("No vertebral body found in front of the canal");
  BodyWalls w;
  if (!body_walls(&s->bone, f, 0.0, &w))
    return vp_error_set(err, VP_ERR_INVALID, "%s", no_body);
  /* Again at the body's mid height and once more below the pedicles. */
  double z_mid = 0.5 * (w.z_top + w.z_bottom);
  if (!body_walls(&s->bone, f, z_mid, &w))
    return vp_error_set(err, VP_ERR_INVALID, "%s", no_body);
  if (w.y_ant - w.y_post < 5.0 || w.z_top - w.z_bottom < 4.0)
    return vp_error_set(err, VP_ERR_INVALID, "%s", no_body);
  VpVec3 centre = frame_point(f, 0, 0.5 * (w.y_post + w.y_ant), 0.5 * (w.z_top + w.z_bottom));
  double right = march(&s->bone, centre, vp_vec3_neg(f->left), false, 60.0);
  double left = march(&s->bone, centre, f->left, false, 60.0);
  double half_width = isnan(left) || isnan(right) ? 10.0 : 0.5 * (left + right);
  PlaneFit top, bottom;
  VpVec3 wall;
  bool have_wall = wall_direction(&s->bone, f, &w, &wall);
  if (endplate_normals(&s->bone, f, &w, half_width, &top, &bottom))
    frame_orthonormal(f, superior_from_body(f, canal_axis, &top, &bottom, have_wall ? &wall : NULL),
                      f->anterior);
  else if (have_wall)
    frame_orthonormal(f, wall, f->anterior);
  /* Origin: halfway between the walls, and between the endplates near the
   * posterior wall, where a wedge fracture has not taken height. */
  z_mid = 0.5 * (w.z_top + w.z_bottom);
  double z_low = z_mid - 0.2 * (w.z_top - w.z_bottom);
  if (!body_walls(&s->bone, f, z_low, &w))
    return vp_error_set(err, VP_ERR_INVALID, "%s", no_body);
  double y_mid = 0.5 * (w.y_post + w.y_ant);
  double highest = -INFINITY, lowest = INFINITY;
  for (double y = w.y_post + 0.5; y <= w.y_post + 0.25 * (w.y_ant - w.y_post); y += 0.5) {
    VpVec3 p = frame_point(f, 0, y, z_low);
    double up = march(&s->bone, p, f->superior, false, 60.0);
    double down = march(&s->bone, p, vp_vec3_neg(f->superior), false, 60.0);
    if (isnan(up) || isnan(down) || !bone_at(&s->bone, p))
      continue;
    highest = fmax(highest, z_low + up);
    lowest = fmin(lowest, z_low - down);
  }
  double z_centre = isfinite(highest) && isfinite(lowest) ? 0.5 * (highest + lowest) : z_mid;
  f->origin_mm = frame_point(f, 0, y_mid, z_centre);
  return true;
}

bool vp_anatomy_find_frame(const VpVolume *bone, VpAnatomyFrame *out, VpError *err)
{
  Search s;
  memset(&s, 0, sizeof s);
  if (!bone || !out)
    return vp_error_set(err, VP_ERR_INVALID, "%s", _("No bone to find a frame in"));
  if (!bone_init(&s.bone, bone, err))
    return false;
  int fine_stride = (int)fmax(1.0, floor(1.0 / s.bone.spacing + 0.5));
  bool ok = points_sample(&s.bone, 4 * fine_stride, &s.coarse) &&
            points_sample(&s.bone, fine_stride, &s.fine);
  if (!ok) {
    search_clear(&s);
    return vp_error_set(err, VP_ERR_NOMEM, "%s", _("Out of memory"));
  }
  if (s.coarse.n < 50) {
    search_clear(&s);
    return vp_error_set(err, VP_ERR_INVALID, "%s", _("Too little bone to find the vertebra's frame"));
  }
  s.centre = points_centroid(&s.fine);
  VpAnatomyFrame f;
  VpVec3 canal_axis = {0, 0, 1};
  ok = find_axes(&s, &f, &canal_axis, err);
  if (ok) {
    MirrorPlane m = {f.left, f.origin_mm};
    m = symmetry_search(&s.bone, &s.coarse, &s.fine, f.superior, f.anterior, m);
    /* superior lies in the mid-sagittal plane */
    VpVec3 superior = vp_vec3_normalize(perpendicular_part(f.superior, m.normal));
    f.origin_mm = m.point;
    frame_orthonormal(&f, superior, vp_vec3_cross(m.normal, superior));
    ok = find_body_centre(&s, &f, canal_axis, err);
  }
  search_clear(&s);
  if (ok)
    *out = f;
  return ok;
}
