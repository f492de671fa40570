/* Measuring a vertebra from its part map and its frame alone: volumes, body
 * heights, endplate, pedicle isthmus, canal, Genant grade and trabecular
 * density; and the phantom's own part map turned into anatomy parts, so the
 * measuring can be checked against a phantom's ground truth.
 *
 * Everything is measured in the frame (x left, y anterior, z superior), so a
 * tilted scan gives the same figures. Lengths along lines are sampled finely
 * with nearest-voxel look-ups and averaged over a small bundle of parallel
 * lines: the voxels' cubes give the boundary, and the bundle averages the
 * grid's phase away where the boundary is not aligned with the grid. */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vp-anatomy-private.h"
#include "vp-intl-private.h"

#define MEASURE_LINE_OFFSETS 5       /* bundle of lines: 5 x 5 */
#define MEASURE_HEIGHT_INSET_MM 3.0  /* height lines inside the anterior and posterior walls */
#define MEASURE_MIN_PEDICLE_MM3 8.0  /* less than this is no pedicle */
#define MEASURE_SLAB_MM 2.0          /* thickness of a pedicle cross-section */
#define MEASURE_ERODE_MM 3.0         /* trabecular core kept this far from anything else */
#define MEASURE_CANAL_SLAB_MM 2.0    /* thickness of the canal's cross-section */
#define MEASURE_MIN_NEIGHBOUR_MM 5.0 /* a shorter run is not a neighbouring body */
/* A normal superior endplate lies above the pedicles' upper margin (the
 * pedicles arise from the upper part of the body's posterior wall); used as
 * the reference for a crush fracture when the mask has no neighbours. */
#define MEASURE_PEDICLE_TOP_GAP_MM 1.5

typedef uint32_t PartSet; /* a bit per VpAnatomyPart */
#define PART_BIT(p) (1u << (p))
#define BODY_PARTS                                                                                 \
  (PART_BIT(VP_ANATOMY_BODY_TRABECULAR) | PART_BIT(VP_ANATOMY_BODY_CORTEX) |                       \
   PART_BIT(VP_ANATOMY_ENDPLATE_SUPERIOR) | PART_BIT(VP_ANATOMY_ENDPLATE_INFERIOR) |               \
   PART_BIT(VP_ANATOMY_POSTERIOR_WALL))
#define BONE_PARTS                                                                                 \
  (BODY_PARTS | PART_BIT(VP_ANATOMY_PEDICLE_LEFT) | PART_BIT(VP_ANATOMY_PEDICLE_RIGHT) |           \
   PART_BIT(VP_ANATOMY_POSTERIOR_ARCH))

/* The part map seen in the frame: voxel index <-> frame coordinates. */
typedef struct Grid {
  const uint8_t *data;
  int dims[3];
  double to_local[3][4]; /* local = M (i, j, k, 1) */
  double to_voxel[3][4]; /* voxel = N (x, y, z, 1) */
  double spacing;        /* the smallest voxel side */
  double voxel_mm3;
  VpAnatomyFrame frame;
} Grid;


static VpVec3 frame_local(const VpAnatomyFrame *f, VpVec3 w)
{
  VpVec3 d = vp_vec3_sub(w, f->origin_mm);
  return vp_vec3(vp_vec3_dot(d, f->left), vp_vec3_dot(d, f->anterior), vp_vec3_dot(d, f->superior));
}

static VpVec3 frame_world(const VpAnatomyFrame *f, VpVec3 l)
{
  VpVec3 w = vp_vec3_add(f->origin_mm, vp_vec3_scale(f->left, l.x));
  w = vp_vec3_add(w, vp_vec3_scale(f->anterior, l.y));
  return vp_vec3_add(w, vp_vec3_scale(f->superior, l.z));
}

static VpVec3 frame_dir_world(const VpAnatomyFrame *f, VpVec3 l)
{
  VpVec3 w = vp_vec3_scale(f->left, l.x);
  w = vp_vec3_add(w, vp_vec3_scale(f->anterior, l.y));
  return vp_vec3_add(w, vp_vec3_scale(f->superior, l.z));
}

static bool frame_valid(const VpAnatomyFrame *f)
{
  const VpVec3 axes[3] = {f->left, f->anterior, f->superior};
  for (int a = 0; a < 3; a++)
    if (!vp_vec3_is_finite(axes[a]) || fabs(vp_vec3_length(axes[a]) - 1.0) > 1e-3)
      return false;
  return vp_vec3_is_finite(f->origin_mm) && fabs(vp_vec3_dot(f->left, f->anterior)) < 1e-3 &&
         fabs(vp_vec3_dot(f->left, f->superior)) < 1e-3 &&
         fabs(vp_vec3_dot(f->anterior, f->superior)) < 1e-3;
}

static void grid_init(Grid *g, const VpVolume *vol, const VpAnatomyFrame *frame)
{
  g->data = vol->data;
  memcpy(g->dims, vol->dims, sizeof g->dims);
  g->frame = *frame;
  g->spacing = fmin(vol->spacing_mm[0], fmin(vol->spacing_mm[1], vol->spacing_mm[2]));
  g->voxel_mm3 = vp_volume_voxel_volume_mm3(vol);
  VpVec3 o = frame_local(frame, vp_volume_voxel_to_world(vol, vp_vec3(0, 0, 0)));
  VpVec3 cols[3];
  for (int a = 0; a < 3; a++) {
    VpVec3 e = vp_vec3(a == 0, a == 1, a == 2);
    cols[a] = vp_vec3_sub(frame_local(frame, vp_volume_voxel_to_world(vol, e)), o);
  }
  const double ov[3] = {o.x, o.y, o.z};
  for (int r = 0; r < 3; r++) {
    for (int a = 0; a < 3; a++)
      g->to_local[r][a] = r == 0 ? cols[a].x : r == 1 ? cols[a].y : cols[a].z;
    g->to_local[r][3] = ov[r];
  }
  VpVec3 w0 = vp_volume_world_to_voxel(vol, frame->origin_mm);
  const VpVec3 axes[3] = {frame->left, frame->anterior, frame->superior};
  VpVec3 vcols[3];
  for (int a = 0; a < 3; a++)
    vcols[a] = vp_vec3_sub(vp_volume_world_to_voxel(vol, vp_vec3_add(frame->origin_mm, axes[a])), w0);
  const double wv[3] = {w0.x, w0.y, w0.z};
  for (int r = 0; r < 3; r++) {
    for (int a = 0; a < 3; a++)
      g->to_voxel[r][a] = r == 0 ? vcols[a].x : r == 1 ? vcols[a].y : vcols[a].z;
    g->to_voxel[r][3] = wv[r];
  }
}

static VpVec3 grid_local(const Grid *g, int i, int j, int k)
{
  double v[3];
  for (int r = 0; r < 3; r++)
    v[r] = g->to_local[r][0] * i + g->to_local[r][1] * j + g->to_local[r][2] * k + g->to_local[r][3];
  return vp_vec3(v[0], v[1], v[2]);
}

/* The part at a point of the frame (nearest voxel); OUTSIDE off the grid. */
static int grid_part_at(const Grid *g, VpVec3 l)
{
  int idx[3];
  for (int r = 0; r < 3; r++) {
    double v = g->to_voxel[r][0] * l.x + g->to_voxel[r][1] * l.y + g->to_voxel[r][2] * l.z +
               g->to_voxel[r][3];
    idx[r] = (int)floor(v + 0.5);
    if (idx[r] < 0 || idx[r] >= g->dims[r])
      return VP_ANATOMY_OUTSIDE;
  }
  return g->data[(size_t)idx[0] + (size_t)g->dims[0] * ((size_t)idx[1] + (size_t)g->dims[1] * idx[2])];
}

/* Length of the parts in set along the segment from start, length long,
 * direction dir (unit, frame): the mean over a bundle of parallel lines
 * spread over one voxel across the direction. */
static double bundle_length(const Grid *g, VpVec3 start, VpVec3 dir, double length, PartSet set)
{
  VpVec3 a = fabs(dir.z) < 0.9 ? vp_vec3(0, 0, 1) : vp_vec3(1, 0, 0);
  VpVec3 e1 = vp_vec3_normalize(vp_vec3_cross(dir, a)), e2 = vp_vec3_cross(dir, e1);
  double step = 0.25 * g->spacing, total = 0.0;
  int steps = (int)ceil(length / step);
  for (int p = 0; p < MEASURE_LINE_OFFSETS; p++)
    for (int q = 0; q < MEASURE_LINE_OFFSETS; q++) {
      double op = g->spacing * ((p + 0.5) / MEASURE_LINE_OFFSETS - 0.5);
      double oq = g->spacing * ((q + 0.5) / MEASURE_LINE_OFFSETS - 0.5);
      VpVec3 s0 = vp_vec3_add(start, vp_vec3_add(vp_vec3_scale(e1, op), vp_vec3_scale(e2, oq)));
      int n = 0;
      for (int t = 0; t < steps; t++)
        n += (set >> grid_part_at(g, vp_vec3_add(s0, vp_vec3_scale(dir, (t + 0.5) * step)))) & 1u;
      total += n * step;
    }
  return total / (MEASURE_LINE_OFFSETS * MEASURE_LINE_OFFSETS);
}

/* ---- one pass over the voxels ---- */

typedef struct PointList {
  VpVec3 *p;
  size_t n, cap;
} PointList;

static bool list_push(PointList *l, VpVec3 p)
{
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 1024;
    VpVec3 *np = realloc(l->p, cap * sizeof *np);
    if (!np)
      return false;
    l->p = np;
    l->cap = cap;
  }
  l->p[l->n++] = p;
  return true;
}

typedef struct Census {
  size_t count[VP_ANATOMY_PART_COUNT];
  VpBox3 body_box;       /* frame */
  double mid_front, mid_back; /* body's y extent at the midline */
  PointList pedicle[2];
  /* Each pedicle's voxels that touch the body (its anterior end) and the
   * posterior arch (its posterior end): sums of their frame positions. */
  VpVec3 contact_sum[2][2]; /* [side][0 body, 1 arch] */
  double contact_n[2][2];
  PointList canal;
} Census;

static void census_free(Census *c)
{
  for (int s = 0; s < 2; s++)
    free(c->pedicle[s].p);
  free(c->canal.p);
}

/* Records whether the pedicle voxel (i, j, k) touches the body or the arch
 * across one of its faces. */
static void census_contacts(const Grid *g, Census *c, int side, int i, int j, int k, VpVec3 l)
{
  static const int off[6][3] = {{1, 0, 0}, {-1, 0, 0}, {0, 1, 0}, {0, -1, 0}, {0, 0, 1}, {0, 0, -1}};
  bool touches[2] = {false, false};
  for (int n = 0; n < 6; n++) {
    int x = i + off[n][0], y = j + off[n][1], z = k + off[n][2];
    if (x < 0 || y < 0 || z < 0 || x >= g->dims[0] || y >= g->dims[1] || z >= g->dims[2])
      continue;
    int part = g->data[(size_t)x + (size_t)g->dims[0] * ((size_t)y + (size_t)g->dims[1] * z)];
    if (part < VP_ANATOMY_PART_COUNT && (BODY_PARTS >> part & 1u))
      touches[0] = true;
    else if (part == VP_ANATOMY_POSTERIOR_ARCH)
      touches[1] = true;
  }
  for (int e = 0; e < 2; e++)
    if (touches[e]) {
      c->contact_sum[side][e] = vp_vec3_add(c->contact_sum[side][e], l);
      c->contact_n[side][e] += 1.0;
    }
}

static bool census_take(const Grid *g, Census *c)
{
  memset(c, 0, sizeof *c);
  c->body_box = vp_box3_empty();
  c->mid_front = -INFINITY;
  c->mid_back = INFINITY;
  size_t n = 0;
  bool ok = true;
  for (int k = 0; k < g->dims[2]; k++)
    for (int j = 0; j < g->dims[1]; j++)
      for (int i = 0; i < g->dims[0]; i++, n++) {
        int part = g->data[n];
        if (part == VP_ANATOMY_OUTSIDE || part >= VP_ANATOMY_PART_COUNT)
          continue;
        c->count[part]++;
        VpVec3 l = grid_local(g, i, j, k);
        if (BODY_PARTS >> part & 1u) {
          c->body_box = vp_box3_extend(c->body_box, l);
          if (fabs(l.x) <= 0.5 * g->spacing) {
            c->mid_front = fmax(c->mid_front, l.y);
            c->mid_back = fmin(c->mid_back, l.y);
          }
        } else if (part == VP_ANATOMY_PEDICLE_LEFT || part == VP_ANATOMY_PEDICLE_RIGHT) {
          int side = part - VP_ANATOMY_PEDICLE_LEFT;
          ok = ok && list_push(&c->pedicle[side], l);
          census_contacts(g, c, side, i, j, k, l);
        } else if (part == VP_ANATOMY_CANAL) {
          ok = ok && list_push(&c->canal, l);
        }
      }
  return ok;
}

static double census_volume_ml(const Grid *g, const Census *c, PartSet set)
{
  size_t n = 0;
  for (int p = 0; p < VP_ANATOMY_PART_COUNT; p++)
    if (set >> p & 1u)
      n += c->count[p];
  return (double)n * g->voxel_mm3 * 1e-3;
}

/* ---- body heights and endplate ---- */

static double body_height_at(const Grid *g, const Census *c, double y)
{
  double z0 = c->body_box.min.z - 2.0 * g->spacing, z1 = c->body_box.max.z + 2.0 * g->spacing;
  return bundle_length(g, vp_vec3(0.0, y, z0), vp_vec3(0, 0, 1), z1 - z0, BODY_PARTS);
}

/* The superior endplate's z at the midline line at y (the body's top along it). */
static double body_top_at(const Grid *g, const Census *c, double y)
{
  double z = c->body_box.max.z + g->spacing, step = 0.25 * g->spacing;
  for (; z > c->body_box.min.z; z -= step)
    if (BODY_PARTS >> grid_part_at(g, vp_vec3(0.0, y, z)) & 1u)
      return z + 0.5 * step;
  return NAN;
}

static void measure_heights(const Grid *g, const Census *c, VpAnatomyMeasures *out)
{
  /* The cube of the outermost voxel reaches half a voxel beyond its centre. */
  double front = c->mid_front + 0.5 * g->spacing, back = c->mid_back - 0.5 * g->spacing;
  out->body_height_y_mm[0] = front - MEASURE_HEIGHT_INSET_MM;
  /* the middle of the body's whole depth: the midline's posterior wall is
   * concave, the body's corners are not */
  out->body_height_y_mm[1] = 0.5 * (c->body_box.max.y + c->body_box.min.y);
  out->body_height_y_mm[2] = back + MEASURE_HEIGHT_INSET_MM;
  for (int i = 0; i < 3; i++)
    out->body_height_mm[i] = body_height_at(g, c, out->body_height_y_mm[i]);
}

/* Width and depth of the body a little below the superior endplate's centre. */
static void measure_endplate(const Grid *g, const Census *c, VpAnatomyMeasures *out)
{
  double top = body_top_at(g, c, out->body_height_y_mm[1]);
  double z = isnan(top) ? 0.0 : top - 2.0 * g->spacing - 1.0;
  double span_x = c->body_box.max.x - c->body_box.min.x + 4.0 * g->spacing;
  double span_y = c->body_box.max.y - c->body_box.min.y + 4.0 * g->spacing;
  double xmid = 0.5 * (c->body_box.max.x + c->body_box.min.x);
  out->endplate_width_mm =
      bundle_length(g, vp_vec3(xmid - 0.5 * span_x, out->body_height_y_mm[1], z), vp_vec3(1, 0, 0),
                    span_x, BODY_PARTS);
  out->endplate_depth_mm = bundle_length(
      g, vp_vec3(0.0, out->body_height_y_mm[1] - 0.5 * span_y, z), vp_vec3(0, 1, 0), span_y, BODY_PARTS);
}

/* ---- pedicles ---- */

/* The axis: every coronal slice of a straight tube is centred on its axis,
 * so a line fitted through the centres of the pedicle's coronal slices
 * follows it, however the ends are cut by the body and the arch. The middle
 * of the pedicle's anterior extent is used, clear of both junctions. */
static VpVec3 pedicle_axis(const PointList *l, double bin)
{
  double ymin = INFINITY, ymax = -INFINITY;
  for (size_t n = 0; n < l->n; n++) {
    ymin = fmin(ymin, l->p[n].y);
    ymax = fmax(ymax, l->p[n].y);
  }
  double lo = ymin + 0.2 * (ymax - ymin), hi = ymax - 0.2 * (ymax - ymin);
  /* least squares of x and z against y over the voxels in range (the same
   * as fitting the slices' centres weighted by their areas) */
  double n0 = 0, sy = 0, syy = 0, sx = 0, sxy = 0, sz = 0, szy = 0;
  for (size_t n = 0; n < l->n; n++) {
    VpVec3 p = l->p[n];
    if (p.y < lo || p.y > hi)
      continue;
    n0 += 1.0;
    sy += p.y;
    syy += p.y * p.y;
    sx += p.x;
    sxy += p.x * p.y;
    sz += p.z;
    szy += p.z * p.y;
  }
  double var = n0 * syy - sy * sy;
  if (n0 < 2.0 || var <= bin * bin * n0 * n0 * 1e-6)
    return vp_vec3(0, 1, 0);
  double kx = (n0 * sxy - sx * sy) / var, kz = (n0 * szy - sz * sy) / var;
  return vp_vec3_normalize(vp_vec3(kx, 1.0, kz));
}


/* The pedicle is measured on plane sections across a trial axis, sampled
 * finely from the part map. A section counts only when the bone around the
 * pedicle's sample nearest the axis, flooded within the plane, stays clear of
 * the body and of the window's edge: near either end the plane runs into the
 * body or the arch and the flooded region grows or merges, so the complete
 * sections are exactly those across the free stretch of the pedicle, and the
 * narrowest of them is the isthmus. (The pedicle's own label is not enough:
 * the body takes over the pedicle's front and the costal facets its lateral
 * cortex, so a labelled section can be short of the bone's.) */
#define PEDICLE_AXIS_PASSES 3
#define PEDICLE_AXIS_SETTLED_DEG 0.3 /* a pass turning less ends the search */
#define PEDICLE_AXIS_TURN_DEG 25.0 /* largest correction of the first axis */
#define PEDICLE_AXIS_SHIFT_MM 6.0
#define PEDICLE_ISTHMUS_REACH_MM 4.0
#define PEDICLE_ISTHMUS_HALF_MM 0.5 /* sections this close to the narrowest are averaged */

typedef struct SectionWindow {
  int n;           /* samples per side */
  double h;        /* mm between samples */
  /* A sample's state in the current section, stamped so no section clears
   * the window: mark == stamp in the region, stamp + 1 seen and not,
   * anything else unseen. */
  uint32_t *mark;
  uint32_t stamp;
  int *queue;
} SectionWindow;

typedef struct Section {
  bool complete;
  double area;              /* mm^2 */
  double mu, mv;            /* centroid across the axis (mm from the axis point) */
  double uu, vv;            /* second central moments, mm^2 */
  VpVec3 centroid;          /* frame */
} Section;

typedef struct SectionPlane {
  VpVec3 origin, u, v; /* frame: the axis point and the plane's axes */
} SectionPlane;

/* The window's samples in voxel coordinates: sample (a, b) lies at
 * p0 + a pa + b pb, so a look-up costs a few additions, not a change of
 * coordinates (the sections are most of the measuring's time). */
typedef struct PlaneSampler {
  const Grid *g;
  double p0[3], pa[3], pb[3];
} PlaneSampler;

static PlaneSampler plane_sampler(const Grid *g, const SectionPlane *pl, const SectionWindow *w)
{
  PlaneSampler s = {.g = g};
  double half = 0.5 * (w->n - 1);
  VpVec3 corner = vp_vec3_sub(pl->origin, vp_vec3_scale(vp_vec3_add(pl->u, pl->v), half * w->h));
  for (int r = 0; r < 3; r++) {
    const double *m = g->to_voxel[r];
    s.p0[r] = m[0] * corner.x + m[1] * corner.y + m[2] * corner.z + m[3];
    s.pa[r] = (m[0] * pl->u.x + m[1] * pl->u.y + m[2] * pl->u.z) * w->h;
    s.pb[r] = (m[0] * pl->v.x + m[1] * pl->v.y + m[2] * pl->v.z) * w->h;
  }
  return s;
}

/* The part at sample (a, b) (nearest voxel); OUTSIDE off the grid. */
static int sampler_part(const PlaneSampler *s, int a, int b)
{
  size_t idx[3];
  for (int r = 0; r < 3; r++) {
    double v = s->p0[r] + a * s->pa[r] + b * s->pb[r] + 0.5;
    if (!(v >= 0.0) || v >= s->g->dims[r])
      return VP_ANATOMY_OUTSIDE;
    idx[r] = (size_t)v; /* v >= 0: truncation is floor */
  }
  const int *dims = s->g->dims;
  return s->g->data[idx[0] + (size_t)dims[0] * (idx[1] + (size_t)dims[1] * idx[2])];
}

/* The pedicle's sample nearest the window's centre, in growing square rings;
 * -1 when the plane misses the pedicle near the axis. */
static int section_seed(const PlaneSampler *s, const SectionWindow *w, int pedicle)
{
  int c = w->n / 2, reach = w->n / 4;
  for (int r = 0; r <= reach; r++)
    for (int b = c - r; b <= c + r; b++)
      for (int a = c - r; a <= c + r; a++) {
        if (abs(a - c) != r && abs(b - c) != r)
          continue;
        if (sampler_part(s, a, b) == pedicle)
          return a + w->n * b;
      }
  return -1;
}

/* A fresh stamp for the next section; the marks are cleared only when the
 * stamps run out. */
static void window_next_stamp(SectionWindow *w)
{
  if (w->stamp >= UINT32_MAX - 4) {
    memset(w->mark, 0, (size_t)w->n * (size_t)w->n * sizeof *w->mark);
    w->stamp = 0;
  }
  w->stamp += 2;
}

/* The section through the plane; max_samples bounds its size (INFINITY: no
 * bound): a larger region is given up as incomplete, for a search of the
 * smallest section has no use for it (and a region merged with the arch
 * would otherwise be flooded to the window's edge). */
static Section section_take(const Grid *g, const SectionPlane *pl, SectionWindow *w, int pedicle,
                            double max_samples)
{
  Section sec = {0};
  PlaneSampler smp = plane_sampler(g, pl, w);
  int n = w->n, seed = section_seed(&smp, w, pedicle);
  if (seed < 0)
    return sec;
  window_next_stamp(w);
  const uint32_t in_region = w->stamp, not_bone = w->stamp + 1;
  int head = 0, tail = 0;
  w->queue[tail++] = seed;
  w->mark[seed] = in_region;
  bool clear = true;
  double cnt = 0, sa = 0, sb = 0, saa = 0, sbb = 0;
  while (head < tail) {
    int idx = w->queue[head++], b = idx / n, a = idx - b * n;
    cnt += 1.0;
    sa += a;
    sb += b;
    saa += (double)a * a;
    sbb += (double)b * b;
    if (a == 0 || b == 0 || a == n - 1 || b == n - 1) {
      clear = false; /* reaches the window's edge: merged with the arch or the body */
      break;
    }
    static const int step[4][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
    for (int k = 0; k < 4; k++) {
      int na = a + step[k][0], nb = b + step[k][1], ni = na + n * nb;
      if (w->mark[ni] == in_region || w->mark[ni] == not_bone)
        continue;
      int part = sampler_part(&smp, na, nb);
      bool bone = part < VP_ANATOMY_PART_COUNT && (BONE_PARTS >> part & 1u);
      w->mark[ni] = bone ? in_region : not_bone;
      if (!bone)
        continue;
      if (BODY_PARTS >> part & 1u) {
        clear = false; /* the plane runs into the body */
        head = tail;
        break;
      }
      w->queue[tail++] = ni;
    }
    if (tail > max_samples) {
      clear = false; /* already larger than the smallest section known */
      break;
    }
  }
  if (!clear || cnt < 4.0)
    return sec;
  double half = 0.5 * (n - 1), ma = sa / cnt, mb = sb / cnt;
  sec.complete = true;
  sec.area = cnt * w->h * w->h;
  sec.mu = (ma - half) * w->h;
  sec.mv = (mb - half) * w->h;
  /* the variance of a sample on a cell of side h adds h^2 / 12 */
  sec.uu = (saa / cnt - ma * ma) * w->h * w->h + w->h * w->h / 12.0;
  sec.vv = (sbb / cnt - mb * mb) * w->h * w->h + w->h * w->h / 12.0;
  sec.centroid = vp_vec3_add(pl->origin,
                             vp_vec3_add(vp_vec3_scale(pl->u, sec.mu), vp_vec3_scale(pl->v, sec.mv)));
  return sec;
}

/* Across the axis d: u horizontal in the frame's axial plane, towards the
 * lateral side; v = u x d, upwards. */
static void pedicle_basis(VpVec3 d, double lateral, VpVec3 *u, VpVec3 *v)
{
  VpVec3 h = vp_vec3(d.y, -d.x, 0.0);
  *u = vp_vec3_length(h) > 1e-9 ? vp_vec3_normalize(h) : vp_vec3(1, 0, 0);
  if (u->x * lateral < 0.0)
    *u = vp_vec3_neg(*u);
  *v = vp_vec3_cross(*u, d);
  if (v->z < 0.0)
    *v = vp_vec3_neg(*v);
}

typedef struct SectionRun {
  int count;
  double s0, ds;      /* section i lies at s0 + i ds along the axis from the centre */
  Section *sec;
} SectionRun;

/* Sections across d through centre + s d for every s spanning the pedicle;
 * only those within reach of the centre are taken (the others are left
 * incomplete: the isthmus is sought near the centre). */
static void section_run(const Grid *g, const PointList *l, VpVec3 centre, VpVec3 d, double lateral,
                        int pedicle, SectionWindow *w, SectionRun *run, int capacity, double reach)
{
  double smin = INFINITY, smax = -INFINITY;
  for (size_t n = 0; n < l->n; n++) {
    double s = vp_vec3_dot(vp_vec3_sub(l->p[n], centre), d);
    smin = fmin(smin, s);
    smax = fmax(smax, s);
  }
  SectionPlane pl;
  pedicle_basis(d, lateral, &pl.u, &pl.v);
  run->count = (int)fmin(floor((smax - smin) / run->ds) + 1.0, capacity);
  run->s0 = smin;
  for (int i = 0; i < run->count; i++) {
    double s = run->s0 + i * run->ds;
    pl.origin = vp_vec3_add(centre, vp_vec3_scale(d, s));
    if (fabs(s) > reach) {
      run->sec[i] = (Section){0}; /* beyond what the isthmus search looks at */
      continue;
    }
    run->sec[i] = section_take(g, &pl, w, pedicle, INFINITY);
  }
}

/* How far from the centre run_narrowest() and the isthmus's averaging look:
 * the search's reach, one section beyond for the neighbours' mean, and the
 * averaged half-width. */
static double run_reach(const SectionRun *run)
{
  return PEDICLE_ISTHMUS_REACH_MM + fmax(run->ds, PEDICLE_ISTHMUS_HALF_MM) + run->ds;
}

/* The narrowest complete section, by the mean area of three neighbours so a
 * single noisy section does not decide; -1 when none is complete. */
static int run_narrowest(const SectionRun *run, double reach)
{
  int best = -1;
  double best_area = INFINITY;
  for (int i = 0; i < run->count; i++) {
    if (!run->sec[i].complete || fabs(run->s0 + i * run->ds) > reach)
      continue;
    double sum = 0.0;
    int n = 0;
    for (int k = i - 1; k <= i + 1; k++)
      if (k >= 0 && k < run->count && run->sec[k].complete) {
        sum += run->sec[k].area;
        n++;
      }
    if (sum / n < best_area) {
      best_area = sum / n;
      best = i;
    }
  }
  return best;
}

/* A first axis from the pedicle's connections: the centroid of its voxels
 * touching the body (its anterior end) and of those touching the arch (its
 * posterior end); a wall cutting an elliptic tube leaves a contact patch
 * centred near the axis. Without both, a line through the pedicle's coronal
 * slices, and its centroid. */
static void first_axis(const Census *c, int side, const PointList *l, VpVec3 *centre, VpVec3 *d)
{
  VpVec3 mean = vp_vec3(0, 0, 0);
  for (size_t n = 0; n < l->n; n++)
    mean = vp_vec3_add(mean, l->p[n]);
  mean = vp_vec3_scale(mean, 1.0 / (double)l->n);
  if (c->contact_n[side][0] > 0.0 && c->contact_n[side][1] > 0.0) {
    VpVec3 front = vp_vec3_scale(c->contact_sum[side][0], 1.0 / c->contact_n[side][0]);
    VpVec3 back = vp_vec3_scale(c->contact_sum[side][1], 1.0 / c->contact_n[side][1]);
    VpVec3 ab = vp_vec3_sub(front, back);
    if (vp_vec3_length(ab) > 1.0 && ab.y > 0.0) {
      *d = vp_vec3_normalize(ab);
      *centre = vp_vec3_scale(vp_vec3_add(front, back), 0.5);
      return;
    }
  }
  *d = pedicle_axis(l, 1.0);
  *centre = mean;
}

/* The axis as the direction whose narrowest section through the isthmus is
 * smallest: a plane across a tube at an angle cuts a section larger by
 * 1 / cos of the angle, and larger still where the tube flares. The area is
 * sampled on a grid of tilts around d and a quadric fitted to it, whose
 * lowest point is the axis; the quadric averages the single sections' noise,
 * which is as large as the growth a few degrees off the axis. */
#define PEDICLE_TILT_STEPS 4        /* tilts -4..4 steps each way */
#define PEDICLE_TILT_STEP_DEG 3.0
#define PEDICLE_TILT_REACH_MM 1.5   /* the narrowest section is sought this far along the axis */
/* ... on sections this far apart (or half a voxel apart on coarser grids):
 * the area changes little over half a millimetre, and on a fine grid
 * closer sections only cost time */
#define PEDICLE_TILT_SECTION_STEP_MM 0.5

/* The smallest complete section within PEDICLE_TILT_REACH_MM of centre
 * along d. The sections nearest the centre come first: the smallest is
 * usually there, and every later section is given up as soon as it grows
 * past it. */
static double narrowest_area_near(const Grid *g, VpVec3 centre, VpVec3 d, double lateral,
                                  int pedicle, SectionWindow *w)
{
  SectionPlane pl;
  pedicle_basis(d, lateral, &pl.u, &pl.v);
  double dt = fmax(w->h, PEDICLE_TILT_SECTION_STEP_MM);
  int steps = (int)floor(PEDICLE_TILT_REACH_MM / dt + 1e-9);
  double best = INFINITY, cell = w->h * w->h;
  for (int k = 0; k <= 2 * steps; k++) {
    int i = k % 2 ? (k + 1) / 2 : -(k / 2); /* 0, 1, -1, 2, -2, ... */
    pl.origin = vp_vec3_add(centre, vp_vec3_scale(d, i * dt));
    Section sec = section_take(g, &pl, w, pedicle, best / cell);
    if (sec.complete)
      best = fmin(best, sec.area);
  }
  return best;
}

/* Solves the n x n system a x = b in place (Gaussian elimination with
 * partial pivoting); false when singular. */
static bool solve_small(int n, double a[6][6], double b[6])
{
  for (int c = 0; c < n; c++) {
    int piv = c;
    for (int r = c + 1; r < n; r++)
      if (fabs(a[r][c]) > fabs(a[piv][c]))
        piv = r;
    if (fabs(a[piv][c]) < 1e-12)
      return false;
    for (int k = 0; k < n; k++) {
      double t = a[c][k];
      a[c][k] = a[piv][k];
      a[piv][k] = t;
    }
    double t = b[c];
    b[c] = b[piv];
    b[piv] = t;
    for (int r = c + 1; r < n; r++) {
      double f = a[r][c] / a[c][c];
      for (int k = c; k < n; k++)
        a[r][k] -= f * a[c][k];
      b[r] -= f * b[c];
    }
  }
  for (int r = n - 1; r >= 0; r--) {
    for (int k = r + 1; k < n; k++)
      b[r] -= a[r][k] * b[k];
    b[r] /= a[r][r];
  }
  return true;
}

/* d turned by x degrees towards u and y degrees towards v. */
static VpVec3 tilted(VpVec3 d, VpVec3 u, VpVec3 v, double x, double y)
{
  VpVec3 off = vp_vec3_add(vp_vec3_scale(u, tan(vp_deg_to_rad(x))),
                           vp_vec3_scale(v, tan(vp_deg_to_rad(y))));
  return vp_vec3_normalize(vp_vec3_add(d, off));
}

static bool min_area_axis(const Grid *g, VpVec3 centre, VpVec3 *d, double lateral, int pedicle,
                          SectionWindow *w)
{
  VpVec3 u, v;
  pedicle_basis(*d, lateral, &u, &v);
  double ata[6][6] = {{0}}, atb[6] = {0};
  int used = 0;
  for (int j = -PEDICLE_TILT_STEPS; j <= PEDICLE_TILT_STEPS; j++)
    for (int i = -PEDICLE_TILT_STEPS; i <= PEDICLE_TILT_STEPS; i++) {
      double x = i * PEDICLE_TILT_STEP_DEG, y = j * PEDICLE_TILT_STEP_DEG;
      double area = narrowest_area_near(g, centre, tilted(*d, u, v, x, y), lateral, pedicle, w);
      if (!isfinite(area))
        continue;
      double row[6] = {1.0, x, y, x * x, x * y, y * y};
      for (int r = 0; r < 6; r++) {
        for (int k = 0; k < 6; k++)
          ata[r][k] += row[r] * row[k];
        atb[r] += row[r] * area;
      }
      used++;
    }
  if (used < 12 || !solve_small(6, ata, atb))
    return false;
  /* the lowest point of c0 + c1 x + c2 y + c3 x^2 + c4 x y + c5 y^2 */
  double a11 = 2.0 * atb[3], a12 = atb[4], a22 = 2.0 * atb[5];
  double det = a11 * a22 - a12 * a12;
  if (!(a11 > 0.0 && det > 0.0))
    return false;
  double reach = PEDICLE_TILT_STEPS * PEDICLE_TILT_STEP_DEG;
  double x = fmax(-reach, fmin(reach, (-atb[1] * a22 + atb[2] * a12) / det));
  double y = fmax(-reach, fmin(reach, (-atb[2] * a11 + atb[1] * a12) / det));
  *d = tilted(*d, u, v, x, y);
  return true;
}

static void measure_pedicle(const Grid *g, const Census *c, int side, VpPedicleMeasures *out)
{
  memset(out, 0, sizeof *out);
  const PointList *l = &c->pedicle[side];
  if ((double)l->n * g->voxel_mm3 < MEASURE_MIN_PEDICLE_MM3)
    return;
  double lateral = side == 0 ? 1.0 : -1.0; /* the left pedicle lies at +x (left) */
  int pedicle = VP_ANATOMY_PEDICLE_LEFT + side;
  VpVec3 centre, d;
  first_axis(c, side, l, &centre, &d);
  double reach = 0.0;
  for (size_t n = 0; n < l->n; n++)
    reach = fmax(reach, vp_vec3_distance(l->p[n], centre));
  SectionWindow w = {.h = 0.5 * g->spacing};
  double half = fmin(reach, 30.0) + 2.0;
  w.n = 2 * (int)ceil(half / w.h) + 1;
  int capacity = (int)ceil(2.0 * reach / (0.5 * g->spacing)) + 2;
  w.mark = calloc((size_t)w.n * (size_t)w.n, sizeof *w.mark);
  w.queue = malloc((size_t)w.n * (size_t)w.n * sizeof *w.queue);
  SectionRun run = {.sec = malloc((size_t)capacity * sizeof *run.sec)};
  if (!w.mark || !w.queue || !run.sec)
    goto done;
  /* refine the axis: re-centre on the narrowest section (one voxel apart)
   * near the current centre, then turn to the least-area direction */
  run.ds = g->spacing;
  VpVec3 centre0 = centre, d0 = d;
  for (int pass = 0; pass < PEDICLE_AXIS_PASSES; pass++) {
    section_run(g, l, centre, d, lateral, pedicle, &w, &run, capacity, run_reach(&run));
    int near = run_narrowest(&run, PEDICLE_ISTHMUS_REACH_MM);
    if (near < 0)
      break;
    VpVec3 nc = run.sec[near].centroid, nd = d;
    if (!min_area_axis(g, nc, &nd, lateral, pedicle, &w))
      break;
    /* a refinement that wanders far from the first axis has locked onto
     * a fragment of the label, not the pedicle's free stretch */
    if (vp_vec3_dot(nd, d0) < cos(vp_deg_to_rad(PEDICLE_AXIS_TURN_DEG)) ||
        vp_vec3_distance(nc, centre0) > PEDICLE_AXIS_SHIFT_MM)
      break;
    bool settled = vp_vec3_dot(nd, d) >= cos(vp_deg_to_rad(PEDICLE_AXIS_SETTLED_DEG));
    centre = nc;
    d = nd;
    if (settled)
      break; /* a pass that hardly turns: another would not turn either */
  }
  /* the isthmus: sections half a voxel apart along the final axis */
  run.ds = 0.5 * g->spacing;
  section_run(g, l, centre, d, lateral, pedicle, &w, &run, capacity, run_reach(&run));
  /* the isthmus lies around the centre the axis was found at */
  int at = run_narrowest(&run, PEDICLE_ISTHMUS_REACH_MM);
  if (at < 0)
    goto done;
  double n = 0, area = 0, uu = 0, vv = 0;
  VpVec3 isthmus = vp_vec3(0, 0, 0);
  for (int i = 0; i < run.count; i++)
    if (run.sec[i].complete && abs(i - at) * run.ds <= PEDICLE_ISTHMUS_HALF_MM + 1e-9) {
      n += 1.0;
      area += run.sec[i].area;
      uu += run.sec[i].uu;
      vv += run.sec[i].vv;
      isthmus = vp_vec3_add(isthmus, run.sec[i].centroid);
    }
  area /= n;
  /* an ellipse of semi-axes a, b: area pi a b, second moments a^2/4, b^2/4 */
  double ratio = sqrt(uu / vv);
  VpVec3 u, v;
  pedicle_basis(d, lateral, &u, &v);
  out->found = true;
  out->width_mm = 2.0 * sqrt(area * ratio / VP_PI);
  out->height_mm = 2.0 * sqrt(area / ratio / VP_PI);
  out->transverse_angle_deg = vp_rad_to_deg(atan2(-lateral * d.x, d.y));
  out->sagittal_angle_deg = vp_rad_to_deg(atan2(-d.z, hypot(d.x, d.y)));
  out->isthmus_mm = frame_world(&g->frame, vp_vec3_scale(isthmus, 1.0 / n));
  out->axis = frame_dir_world(&g->frame, d);
  out->width_direction = frame_dir_world(&g->frame, u);
  out->height_direction = frame_dir_world(&g->frame, v);
done:
  free(w.mark);
  free(w.queue);
  free(run.sec);
}

/* The two pedicles are measured at once, one on a thread of its own: the
 * axis search is most of the measuring's time, and the sides share nothing
 * but the read-only grid and census. */
typedef struct PedicleJob {
  const Grid *g;
  const Census *c;
  int side;
  VpPedicleMeasures *out;
} PedicleJob;

static void *pedicle_job_run(void *data)
{
  PedicleJob *job = data;
  measure_pedicle(job->g, job->c, job->side, job->out);
  return NULL;
}

static void measure_pedicles(const Grid *g, const Census *c, VpAnatomyMeasures *m)
{
  PedicleJob jobs[2];
  for (int s = 0; s < 2; s++)
    jobs[s] = (PedicleJob){g, c, s, &m->pedicle[s]};
  pthread_t right;
  bool threaded = pthread_create(&right, NULL, pedicle_job_run, &jobs[1]) == 0;
  pedicle_job_run(&jobs[0]);
  if (threaded)
    pthread_join(right, NULL);
  else
    pedicle_job_run(&jobs[1]); /* no thread to be had: one after the other */
}

/* ---- canal ---- */

static void measure_canal(const Grid *g, const Census *c, const VpAnatomyMeasures *m,
                          VpAnatomyMeasures *out)
{
  double z = 0.0;
  int found = 0;
  for (int s = 0; s < 2; s++)
    if (m->pedicle[s].found) {
      z += frame_local(&g->frame, m->pedicle[s].isthmus_mm).z;
      found++;
    }
  z = found ? z / found : 0.5 * (c->body_box.min.z + c->body_box.max.z);
  double half = 0.5 * MEASURE_CANAL_SLAB_MM, n = 0.0;
  VpVec3 sum = vp_vec3(0, 0, 0);
  double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
  for (size_t i = 0; i < c->canal.n; i++) {
    VpVec3 p = c->canal.p[i];
    if (p.z < z - half || p.z >= z + half)
      continue;
    n += 1.0;
    sum = vp_vec3_add(sum, p);
    xmin = fmin(xmin, p.x);
    xmax = fmax(xmax, p.x);
    ymin = fmin(ymin, p.y);
    ymax = fmax(ymax, p.y);
  }
  if (n <= 0.0) {
    out->canal_centroid_mm = frame_world(&g->frame, vp_vec3(0, 0, z));
    return;
  }
  VpVec3 centre = vp_vec3_scale(sum, 1.0 / n);
  out->canal_area_mm2 = n * g->voxel_mm3 / MEASURE_CANAL_SLAB_MM;
  out->canal_centroid_mm = frame_world(&g->frame, centre);
  double pad = 2.0 * g->spacing;
  out->canal_width_mm = bundle_length(g, vp_vec3(xmin - pad, centre.y, z), vp_vec3(1, 0, 0),
                                      xmax - xmin + 2.0 * pad, PART_BIT(VP_ANATOMY_CANAL));
  out->canal_depth_mm = bundle_length(g, vp_vec3(0.0, ymin - pad, z), vp_vec3(0, 1, 0),
                                      ymax - ymin + 2.0 * pad, PART_BIT(VP_ANATOMY_CANAL));
}

/* ---- Genant ---- */

/* Height of the neighbour's run of label along the frame's vertical line at
 * (0, y), searched up (dir +1) or down (-1) from the body; 0 when absent. */
static double neighbour_height(const VpVolume *mask, int label, const VpAnatomyFrame *frame,
                               const Census *c, double y, int dir, double step)
{
  double z = dir > 0 ? c->body_box.max.z : c->body_box.min.z, run = 0.0;
  bool seen = false;
  for (double t = 0.0; t < 120.0; t += step) {
    VpVec3 w = frame_world(frame, vp_vec3(0.0, y, z + dir * t));
    double v = vp_volume_sample_nearest(mask, w, 0.0);
    if (vp_label_from_value(v) == label) {
      run += step;
      seen = true;
    } else if (seen) {
      break;
    }
  }
  return run;
}

/* Expected heights from the neighbours in the mask (label - 1 above, + 1
 * below): the mean of their heights along the same lines. */
static bool expected_from_neighbours(const Grid *g, const Census *c, const VpCase *cs,
                                     const VpAnatomyMeasures *m, double expected[3])
{
  if (!cs || !cs->mask || cs->label <= 0)
    return false;
  for (int i = 0; i < 3; i++) {
    double sum = 0.0;
    int n = 0;
    for (int side = 0; side < 2; side++) {
      double h = neighbour_height(cs->mask, cs->label + (side == 0 ? -1 : 1), &g->frame, c,
                                  m->body_height_y_mm[i], side == 0 ? 1 : -1, 0.25 * g->spacing);
      if (h >= MEASURE_MIN_NEIGHBOUR_MM) {
        sum += h;
        n++;
      }
    }
    if (n == 0)
      return false;
    expected[i] = sum / n;
  }
  return true;
}

/* Without neighbours the posterior height is the reference (Genant's own
 * comparison within the vertebra). A crush fracture lowers the posterior
 * height too, so it needs a reference of its own: the pedicles, which a
 * compression fracture leaves in place. A normal superior endplate lies
 * above the pedicles' upper margin; when the posterior endplate has sunk
 * below it, the posterior height has lost at least that depth. */
static double posterior_reference(const Grid *g, const Census *c, const VpAnatomyMeasures *m)
{
  double post = m->body_height_mm[2], pedicle_top = -INFINITY;
  for (int s = 0; s < 2; s++) {
    const VpPedicleMeasures *p = &m->pedicle[s];
    if (!p->found)
      continue;
    VpVec3 centre = frame_local(&g->frame, p->isthmus_mm);
    VpVec3 hd = frame_local(&g->frame, vp_vec3_add(g->frame.origin_mm, p->height_direction));
    pedicle_top = fmax(pedicle_top, centre.z + 0.5 * p->height_mm * fabs(hd.z));
  }
  double top = body_top_at(g, c, m->body_height_y_mm[2]);
  if (!isfinite(pedicle_top) || isnan(top))
    return post;
  double sunk = pedicle_top + MEASURE_PEDICLE_TOP_GAP_MM - top;
  return sunk > 0.0 ? post + sunk : post;
}

static void measure_genant(const Grid *g, const Census *c, const VpCase *cs, VpAnatomyMeasures *m)
{
  double expected[3];
  m->expected_from_neighbours = expected_from_neighbours(g, c, cs, m, expected);
  if (!m->expected_from_neighbours) {
    double ref = posterior_reference(g, c, m);
    expected[0] = expected[1] = expected[2] = ref;
  }
  double loss[3];
  int worst = 0;
  for (int i = 0; i < 3; i++) {
    loss[i] = expected[i] > 0.0 ? 100.0 * (1.0 - m->body_height_mm[i] / expected[i]) : 0.0;
    if (loss[i] > loss[worst])
      worst = i;
  }
  m->expected_height_mm = m->expected_from_neighbours ? expected[2] : expected[2];
  m->height_loss_percent = fmax(loss[worst], 0.0);
  m->genant_grade = vp_genant_grade(m->height_loss_percent);
  if (m->genant_grade == 0)
    m->genant_shape = VP_FRACTURE_NONE;
  else if (loss[2] >= 20.0)
    m->genant_shape = VP_FRACTURE_CRUSH; /* the posterior height itself is reduced */
  else
    m->genant_shape = worst == 0 ? VP_FRACTURE_WEDGE : VP_FRACTURE_BICONCAVE;
}

/* ---- trabecular density ---- */

/* Erodes the trabecular core along one voxel axis: keeps a voxel only when
 * r voxels either way along the axis are kept too. */
static void erode_axis(uint8_t *keep, const int dims[3], int axis, int r)
{
  const size_t stride[3] = {1, (size_t)dims[0], (size_t)dims[0] * dims[1]};
  int len = dims[axis];
  uint8_t *line = malloc((size_t)len);
  if (!line)
    return;
  int o1 = (axis + 1) % 3, o2 = (axis + 2) % 3;
  for (int b = 0; b < dims[o2]; b++)
    for (int a = 0; a < dims[o1]; a++) {
      size_t base = (size_t)a * stride[o1] + (size_t)b * stride[o2];
      for (int t = 0; t < len; t++)
        line[t] = keep[base + (size_t)t * stride[axis]];
      int run = 0; /* kept voxels in a row ending at t */
      for (int t = 0; t < len; t++) {
        run = line[t] ? run + 1 : 0;
        line[t] = (uint8_t)(run > 2 * r ? 2 : line[t]); /* mark the centre of a long run below */
      }
      for (int t = 0; t < len; t++)
        keep[base + (size_t)t * stride[axis]] = 0;
      for (int t = 0; t < len; t++)
        if (line[t] == 2)
          keep[base + (size_t)(t - r) * stride[axis]] = 1;
    }
  free(line);
}

static void measure_density(const VpVolume *parts, const VpCase *cs, VpAnatomyMeasures *m)
{
  m->has_ct = cs && cs->ct;
  m->trabecular_hu = NAN;
  m->bone_density = VP_BONE_DENSITY_UNKNOWN;
  if (!m->has_ct)
    return;
  size_t count = vp_volume_voxel_count(parts);
  uint8_t *keep = malloc(count);
  if (!keep)
    return;
  const uint8_t *data = parts->data;
  for (size_t n = 0; n < count; n++)
    keep[n] = data[n] == VP_ANATOMY_BODY_TRABECULAR;
  for (int a = 0; a < 3; a++)
    erode_axis(keep, parts->dims, a, (int)ceil(MEASURE_ERODE_MM / parts->spacing_mm[a]));
  double sum = 0.0, n_in = 0.0;
  size_t n = 0;
  for (int k = 0; k < parts->dims[2]; k++)
    for (int j = 0; j < parts->dims[1]; j++)
      for (int i = 0; i < parts->dims[0]; i++, n++) {
        if (!keep[n])
          continue;
        double hu = vp_volume_sample_linear(cs->ct, vp_volume_voxel_to_world(parts, vp_vec3(i, j, k)), NAN);
        if (!isnan(hu)) {
          sum += hu;
          n_in += 1.0;
        }
      }
  free(keep);
  if (n_in <= 0.0)
    return;
  m->trabecular_hu = sum / n_in;
  m->bone_density = m->trabecular_hu <= VP_BONE_DENSITY_OSTEOPOROTIC_HU ? VP_BONE_DENSITY_OSTEOPOROTIC
                    : m->trabecular_hu <= VP_BONE_DENSITY_LOW_HU      ? VP_BONE_DENSITY_LOW
                                                                      : VP_BONE_DENSITY_NORMAL;
}

/* ---- the whole measuring ---- */

bool vp_anatomy_measure(const VpVolume *parts, const VpAnatomyFrame *frame, const VpCase *c,
                        VpAnatomyMeasures *out, VpError *err)
{
  if (!parts || !frame || !out || parts->type != VP_VOXEL_U8)
    return vp_error_set(err, VP_ERR_INVALID, _("the vertebra's parts must be a map of bytes"));
  if (!frame_valid(frame))
    return vp_error_set(err, VP_ERR_INVALID,
                        _("the vertebra's frame needs three orthogonal unit axes and an origin"));
  Grid g;
  grid_init(&g, parts, frame);
  Census census;
  if (!census_take(&g, &census)) {
    census_free(&census);
    return vp_error_set(err, VP_ERR_NOMEM, _("out of memory for measuring the vertebra"));
  }
  bool has_body = census_volume_ml(&g, &census, BODY_PARTS) > 0.0 && isfinite(census.mid_front);
  if (!has_body) {
    census_free(&census);
    return vp_error_set(err, VP_ERR_INVALID,
                        _("the vertebra has no body to measure: no body voxels lie on its "
                          "mid-sagittal plane"));
  }
  VpAnatomyMeasures m;
  memset(&m, 0, sizeof m);
  m.vertebra_volume_ml = census_volume_ml(&g, &census, BONE_PARTS);
  m.body_volume_ml = census_volume_ml(&g, &census, BODY_PARTS);
  measure_heights(&g, &census, &m);
  measure_endplate(&g, &census, &m);
  measure_pedicles(&g, &census, &m);
  measure_canal(&g, &census, &m, &m);
  measure_genant(&g, &census, c, &m);
  measure_density(parts, c, &m);
  census_free(&census);
  *out = m;
  return true;
}

/* ---- the phantom's part map in anatomy parts ---- */

static int anatomy_of_phantom(int part)
{
  switch (part) {
  case VP_PART_BODY_TRABECULAR:
  case VP_PART_LESION:
  case VP_PART_CLEFT:
    return VP_ANATOMY_BODY_TRABECULAR;
  case VP_PART_BODY_CORTEX:
    return VP_ANATOMY_BODY_CORTEX;
  case VP_PART_PEDICLE_LEFT:
    return VP_ANATOMY_PEDICLE_LEFT;
  case VP_PART_PEDICLE_RIGHT:
    return VP_ANATOMY_PEDICLE_RIGHT;
  case VP_PART_LAMINA:
  case VP_PART_SPINOUS:
  case VP_PART_TRANSVERSE:
  case VP_PART_ARTICULAR_SUPERIOR:
  case VP_PART_ARTICULAR_INFERIOR:
  case VP_PART_RIB_FACET:
    return VP_ANATOMY_POSTERIOR_ARCH;
  case VP_PART_CANAL:
    return VP_ANATOMY_CANAL;
  default:
    return VP_ANATOMY_OUTSIDE;
  }
}

static bool is_body_phantom(int part)
{
  return part == VP_PART_BODY_CORTEX || part == VP_PART_BODY_TRABECULAR ||
         part == VP_PART_LESION || part == VP_PART_CLEFT;
}

#define SHELL_REACH 3 /* voxels searched for the outside a shell voxel faces */

/* The region of the shell a cortex voxel belongs to, from the direction (in
 * frame) towards the voxels outside the body around it. */
static int shell_region(const VpVolume *ph_parts, const Grid *g, int i, int j, int k)
{
  const uint8_t *d = ph_parts->data;
  const int *dims = ph_parts->dims;
  VpVec3 here = grid_local(g, i, j, k), normal = vp_vec3(0, 0, 0);
  for (int c = -SHELL_REACH; c <= SHELL_REACH; c++)
    for (int b = -SHELL_REACH; b <= SHELL_REACH; b++)
      for (int a = -SHELL_REACH; a <= SHELL_REACH; a++) {
        int x = i + a, y = j + b, z = k + c;
        if (x < 0 || y < 0 || z < 0 || x >= dims[0] || y >= dims[1] || z >= dims[2])
          continue;
        if (is_body_phantom(d[(size_t)x + (size_t)dims[0] * ((size_t)y + (size_t)dims[1] * z)]))
          continue;
        VpVec3 off = vp_vec3_sub(grid_local(g, x, y, z), here);
        double len2 = vp_vec3_dot(off, off);
        normal = vp_vec3_add(normal, vp_vec3_scale(off, 1.0 / len2));
      }
  double len = vp_vec3_length(normal);
  if (len <= 0.0)
    return VP_ANATOMY_BODY_CORTEX;
  VpVec3 n = vp_vec3_scale(normal, 1.0 / len);
  if (n.z > 0.7)
    return VP_ANATOMY_ENDPLATE_SUPERIOR;
  if (n.z < -0.7)
    return VP_ANATOMY_ENDPLATE_INFERIOR;
  if (n.y < -0.7) {
    /* facing the canal: it lies a few millimetres behind */
    for (double t = 0.0; t < 8.0; t += 0.5 * g->spacing)
      if (grid_part_at(g, vp_vec3_add(here, vp_vec3(0, -t, 0))) == VP_ANATOMY_CANAL)
        return VP_ANATOMY_POSTERIOR_WALL;
  }
  return VP_ANATOMY_BODY_CORTEX;
}

VpVolume *vp_anatomy_parts_from_phantom(const VpPhantom *phantom, const VpAnatomyFrame *frame,
                                        VpError *err)
{
  if (!phantom || !phantom->parts || !frame || phantom->parts->type != VP_VOXEL_U8) {
    vp_error_set(err, VP_ERR_INVALID, _("the phantom has no part map"));
    return NULL;
  }
  if (!frame_valid(frame)) {
    vp_error_set(err, VP_ERR_INVALID,
                 _("the vertebra's frame needs three orthogonal unit axes and an origin"));
    return NULL;
  }
  const VpVolume *src = phantom->parts;
  VpVolume *out = vp_volume_new(src->dims, VP_VOXEL_U8, &src->voxel_to_world, NULL, err);
  if (!out)
    return NULL;
  const uint8_t *in = src->data;
  uint8_t *dst = out->data;
  size_t count = vp_volume_voxel_count(src);
  for (size_t n = 0; n < count; n++)
    dst[n] = (uint8_t)anatomy_of_phantom(in[n]);
  Grid g; /* reads the converted map: the canal is known there */
  grid_init(&g, out, frame);
  size_t n = 0;
  for (int k = 0; k < src->dims[2]; k++)
    for (int j = 0; j < src->dims[1]; j++)
      for (int i = 0; i < src->dims[0]; i++, n++)
        if (in[n] == VP_PART_BODY_CORTEX)
          dst[n] = (uint8_t)shell_region(src, &g, i, j, k);
  return out;
}
