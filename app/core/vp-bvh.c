/* Bounding volume hierarchy over the triangles of a mesh (binned SAH, flat
 * node array) and the queries the planner needs: ray hits, closest points,
 * segment clearance for needles and a robust inside test. */
#include "vp-bvh.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vp-intl-private.h"

#define BIN_COUNT 12
/* Leaves hold at most this many triangles, unless every centroid coincides. */
#define LEAF_MAX 4
/* Past this depth splits halve the triangle range, so no path is longer than
 * SAH_DEPTH_MAX + log2(VP_MESH_MAX_TRIANGLES) < STACK_MAX. */
#define SAH_DEPTH_MAX 36
#define STACK_MAX 64

static double vec_at(VpVec3 v, int k) { return k == 0 ? v.x : (k == 1 ? v.y : v.z); }

/* ---- the watertight ray-triangle test ---- */

bool vp_ray_init(VpRay *ray, VpVec3 origin, VpVec3 direction)
{
  memset(ray, 0, sizeof *ray);
  if (!vp_vec3_is_finite(origin) || !vp_vec3_is_finite(direction))
    return false;
  double ax = fabs(direction.x), ay = fabs(direction.y), az = fabs(direction.z);
  int kz = (ax >= ay && ax >= az) ? 0 : (ay >= az ? 1 : 2);
  double dz = vec_at(direction, kz);
  if (dz == 0.0)
    return false;
  int kx = (kz + 1) % 3, ky = (kx + 1) % 3;
  if (dz < 0.0) { /* keeps the sheared frame right-handed, so the winding keeps its sign */
    int swap = kx;
    kx = ky;
    ky = swap;
  }
  ray->origin = origin;
  ray->direction = direction;
  ray->kx = kx;
  ray->ky = ky;
  ray->kz = kz;
  ray->shear_x = vec_at(direction, kx) / dz;
  ray->shear_y = vec_at(direction, ky) / dz;
  ray->shear_z = 1.0 / dz;
  return true;
}

typedef struct Sheared {
  double x, y, z;
} Sheared;

/* A corner in the ray's frame. Computed the same way for every triangle that
 * shares the corner, which is what makes shared edge functions exact opposites. */
static Sheared shear(const VpRay *ray, VpVec3 p)
{
  VpVec3 a = vp_vec3_sub(p, ray->origin);
  double az = vec_at(a, ray->kz);
  return (Sheared){vec_at(a, ray->kx) - ray->shear_x * az, vec_at(a, ray->ky) - ray->shear_y * az,
                   ray->shear_z * az};
}

/* The 2D edge function of edge p->q at the ray (the origin of the sheared
 * plane). Evaluated with the endpoints in one canonical order, so the two
 * triangles of a shared edge get the same value bit for bit up to its sign,
 * even where the compiler fuses multiply and add. */
static double edge_function(Sheared p, Sheared q)
{
  if (p.x < q.x || (p.x == q.x && p.y < q.y))
    return q.x * p.y - q.y * p.x;
  return -(p.x * q.y - p.y * q.x);
}

/* Tie-break for a ray exactly on edge p->q: of two triangles on either side
 * of the edge, which list it in opposite directions once both are turned to
 * the same orientation (sign), exactly one owns the edge. */
static bool edge_owned(Sheared p, Sheared q, double sign)
{
  double dx = (q.x - p.x) * sign, dy = (q.y - p.y) * sign;
  return dy > 0.0 || (dy == 0.0 && dx > 0.0);
}

static bool edge_admits(double e, double sign, Sheared p, Sheared q)
{
  double s = e * sign;
  return s > 0.0 || (s == 0.0 && edge_owned(p, q, sign));
}

bool vp_ray_intersect_triangle(const VpRay *ray, VpVec3 a, VpVec3 b, VpVec3 c, double t_min,
                               double t_max, VpRayHit *hit)
{
  Sheared A = shear(ray, a), B = shear(ray, b), C = shear(ray, c);
  double U = edge_function(B, C), V = edge_function(C, A), W = edge_function(A, B);
  double det = U + V + W;
  if (det == 0.0 || !isfinite(det))
    return false; /* edge-on: the ray cannot cross it, only graze it */
  double sign = det > 0.0 ? 1.0 : -1.0;
  if (!edge_admits(U, sign, B, C) || !edge_admits(V, sign, C, A) || !edge_admits(W, sign, A, B))
    return false;
  double t = (U * A.z + V * B.z + W * C.z) / det;
  if (!(t >= t_min && t <= t_max))
    return false;
  hit->t = t;
  hit->u = V / det;
  hit->v = W / det;
  hit->point = vp_vec3_add(ray->origin, vp_vec3_scale(ray->direction, t));
  hit->front_face = det > 0.0;
  return true;
}

/* ---- building ---- */

/* One triangle during the build. The array is partitioned in place, so every
 * pass over a node's range reads memory in order. */
typedef struct TriRef {
  float min[3], max[3], centroid[3];
  uint32_t triangle;
} TriRef;

typedef struct Bin {
  float min[3], max[3];
  uint32_t count;
} Bin;

typedef struct Task {
  uint32_t node, first, count, depth;
} Task;

typedef struct Builder {
  TriRef *refs; /* leaf order once built */
  VpBvhNode *nodes;
  uint32_t node_count;
  uint32_t depth;
} Builder;

typedef struct Split {
  int axis; /* -1: no useful split found */
  int bin;  /* triangles in bins <= bin go left */
  int bins; /* bins in use: fewer for small nodes, whose cost is mostly per bin */
  double cost;
  float cmin, scale; /* centroid-to-bin mapping on axis */
  Bin left, right;
} Split;

/* Comparisons rather than fminf/fmaxf, which are library calls on x86-64
 * (their NaN rules differ from the instructions); no NaN reaches here. */
static float min_f(float a, float b) { return a < b ? a : b; }
static float max_f(float a, float b) { return a > b ? a : b; }
static double min_d(double a, double b) { return a < b ? a : b; }
static double max_d(double a, double b) { return a > b ? a : b; }
static double clamp01(double a) { return a < 0.0 ? 0.0 : (a > 1.0 ? 1.0 : a); }

static void box_reset(float *min, float *max)
{
  for (int k = 0; k < 3; k++) {
    min[k] = FLT_MAX;
    max[k] = -FLT_MAX;
  }
}

static void box_grow(float *min, float *max, const float *omin, const float *omax)
{
  for (int k = 0; k < 3; k++) {
    min[k] = min_f(min[k], omin[k]);
    max[k] = max_f(max[k], omax[k]);
  }
}

static inline double half_area(const float *min, const float *max)
{
  float e[3];
  for (int k = 0; k < 3; k++)
    e[k] = max_f(max[k] - min[k], 0.0f);
  return (double)e[0] * e[1] + (double)e[1] * e[2] + (double)e[2] * e[0];
}

static bool size_mul(size_t a, size_t b, size_t *out)
{
  if (b != 0 && a > SIZE_MAX / b)
    return false;
  *out = a * b;
  return true;
}

static void *malloc_array(size_t count, size_t each)
{
  size_t bytes;
  if (!size_mul(count ? count : 1, each, &bytes))
    return NULL;
  return malloc(bytes);
}

/* Checks the triangle's indices and corners and fills its reference. */
static bool ref_init(const VpMesh *mesh, uint32_t t, TriRef *ref, VpError *err)
{
  const uint32_t *idx = mesh->indices + 3 * (size_t)t;
  box_reset(ref->min, ref->max);
  for (int c = 0; c < 3; c++) {
    if (idx[c] >= mesh->vertex_count)
      return vp_error_set(err, VP_ERR_INVALID, _("triangle %u refers to vertex %u of only %u"),
                          t + 1, idx[c], mesh->vertex_count);
    const float *p = mesh->positions + 3 * (size_t)idx[c];
    if (!isfinite(p[0]) || !isfinite(p[1]) || !isfinite(p[2]))
      return vp_error_set(err, VP_ERR_INVALID,
                          _("vertex %u has a coordinate that is not a finite number"), idx[c] + 1);
    box_grow(ref->min, ref->max, p, p);
  }
  for (int k = 0; k < 3; k++)
    ref->centroid[k] = 0.5f * (ref->min[k] + ref->max[k]);
  ref->triangle = t;
  return true;
}

static void range_bounds(const TriRef *refs, uint32_t count, float *min, float *max)
{
  box_reset(min, max);
  for (uint32_t i = 0; i < count; i++)
    box_grow(min, max, refs[i].min, refs[i].max);
}

static void centroid_bounds(const TriRef *refs, uint32_t count, float *cmin, float *cmax)
{
  box_reset(cmin, cmax);
  for (uint32_t i = 0; i < count; i++)
    box_grow(cmin, cmax, refs[i].centroid, refs[i].centroid);
}

static int bin_of(float c, float cmin, float scale, int bins)
{
  int i = (int)((c - cmin) * scale);
  return i < 0 ? 0 : (i >= bins ? bins - 1 : i);
}

static void bins_fill(const TriRef *refs, uint32_t count, int axis, float cmin, float scale,
                      int nbins, Bin *bins)
{
  for (int i = 0; i < nbins; i++) {
    box_reset(bins[i].min, bins[i].max);
    bins[i].count = 0;
  }
  for (uint32_t i = 0; i < count; i++) {
    Bin *bin = &bins[bin_of(refs[i].centroid[axis], cmin, scale, nbins)];
    box_grow(bin->min, bin->max, refs[i].min, refs[i].max);
    bin->count++;
  }
}

/* Sweeps the bins of one axis from both ends; cost = area x count per side. */
static void bins_best(const Bin *bins, int nbins, int axis, Split *best)
{
  Bin right[BIN_COUNT];
  Bin acc = {.count = 0};
  box_reset(acc.min, acc.max);
  for (int i = nbins - 1; i > 0; i--) {
    box_grow(acc.min, acc.max, bins[i].min, bins[i].max);
    acc.count += bins[i].count;
    right[i] = acc;
  }
  box_reset(acc.min, acc.max);
  acc.count = 0;
  for (int i = 0; i < nbins - 1; i++) {
    box_grow(acc.min, acc.max, bins[i].min, bins[i].max);
    acc.count += bins[i].count;
    const Bin *r = &right[i + 1];
    if (acc.count == 0 || r->count == 0)
      continue;
    double cost = half_area(acc.min, acc.max) * acc.count + half_area(r->min, r->max) * r->count;
    if (cost < best->cost)
      *best = (Split){.axis = axis, .bin = i, .cost = cost, .left = acc, .right = *r};
  }
}

/* Bins along the longest axis of the centroids only: a third of the work
 * of binning all three, for trees that answer queries a few per cent slower. */
static Split split_find(const TriRef *refs, uint32_t count, const float *cmin, const float *cmax)
{
  int axis = 0;
  for (int k = 1; k < 3; k++)
    if (cmax[k] - cmin[k] > cmax[axis] - cmin[axis])
      axis = k;
  int nbins = count < BIN_COUNT ? (int)count : BIN_COUNT;
  float scale = (float)nbins / (cmax[axis] - cmin[axis]);
  Split best = {.axis = -1, .cost = INFINITY};
  if (!(cmax[axis] > cmin[axis]) || !isfinite(scale))
    return best; /* every centroid in one place */
  Bin bins[BIN_COUNT];
  bins_fill(refs, count, axis, cmin[axis], scale, nbins, bins);
  bins_best(bins, nbins, axis, &best);
  if (best.axis >= 0) {
    best.bins = nbins;
    best.cmin = cmin[axis];
    best.scale = scale;
  }
  return best;
}

static uint32_t partition(TriRef *refs, uint32_t count, const Split *s)
{
  uint32_t lo = 0, hi = count;
  while (lo < hi) {
    if (bin_of(refs[lo].centroid[s->axis], s->cmin, s->scale, s->bins) <= s->bin) {
      lo++;
    } else {
      TriRef swap = refs[lo];
      refs[lo] = refs[--hi];
      refs[hi] = swap;
    }
  }
  return lo;
}

static void node_set_box(VpBvhNode *n, const float *min, const float *max)
{
  memcpy(n->min, min, sizeof n->min);
  memcpy(n->max, max, sizeof n->max);
}

/* Decides how many triangles go left: 0 makes the node a leaf. */
static uint32_t node_split(Builder *b, const Task *t, const VpBvhNode *n, Split *s)
{
  float cmin[3], cmax[3];
  TriRef *refs = b->refs + t->first;
  s->axis = -1;
  if (t->count <= 2)
    return 0;
  centroid_bounds(refs, t->count, cmin, cmax);
  if (t->depth < SAH_DEPTH_MAX)
    *s = split_find(refs, t->count, cmin, cmax);
  /* Splitting costs one more box test per visit (the node's own area). */
  double leaf_cost = half_area(n->min, n->max) * t->count;
  if (s->axis >= 0 && (t->count > LEAF_MAX || s->cost + half_area(n->min, n->max) < leaf_cost))
    return partition(refs, t->count, s);
  if (t->count <= LEAF_MAX)
    return 0;
  s->axis = -1; /* coincident centroids or too deep: halve the range */
  return t->count / 2;
}

static void child_box(const Builder *b, uint32_t first, uint32_t count, VpBvhNode *child)
{
  range_bounds(b->refs + first, count, child->min, child->max);
}

static int task_run(Builder *b, const Task *t, Task *out)
{
  VpBvhNode *n = &b->nodes[t->node];
  Split s;
  uint32_t left = node_split(b, t, n, &s);
  if (b->depth < t->depth + 1)
    b->depth = t->depth + 1;
  if (left == 0) {
    n->first = t->first;
    n->count = t->count;
    return 0;
  }
  uint32_t c = b->node_count;
  b->node_count += 2;
  n->first = c;
  n->count = 0;
  if (s.axis >= 0) {
    node_set_box(&b->nodes[c], s.left.min, s.left.max);
    node_set_box(&b->nodes[c + 1], s.right.min, s.right.max);
  } else {
    child_box(b, t->first, left, &b->nodes[c]);
    child_box(b, t->first + left, t->count - left, &b->nodes[c + 1]);
  }
  out[0] = (Task){c, t->first, left, t->depth + 1};
  out[1] = (Task){c + 1, t->first + left, t->count - left, t->depth + 1};
  return 2;
}

static void build_tree(Builder *b, uint32_t triangle_count)
{
  Task stack[STACK_MAX * 2];
  int sp = 0;
  b->node_count = 1;
  child_box(b, 0, triangle_count, &b->nodes[0]);
  stack[sp++] = (Task){0, 0, triangle_count, 0};
  while (sp > 0) {
    Task t = stack[--sp];
    sp += task_run(b, &t, &stack[sp]);
  }
}

static void gather_corners(VpBvh *bvh)
{
  const VpMesh *mesh = bvh->mesh;
  for (uint32_t slot = 0; slot < bvh->triangle_count; slot++) {
    const uint32_t *idx = mesh->indices + 3 * (size_t)bvh->triangles[slot];
    for (int c = 0; c < 3; c++)
      memcpy(bvh->corners + 9 * (size_t)slot + 3 * c, mesh->positions + 3 * (size_t)idx[c],
             3 * sizeof(float));
  }
}

static bool builder_init(Builder *b, const VpMesh *mesh, VpError *err)
{
  uint32_t n = mesh->triangle_count;
  b->refs = malloc_array(n, sizeof *b->refs);
  b->nodes = malloc_array(2 * (size_t)n, sizeof *b->nodes);
  if (!b->refs || !b->nodes) {
    char count[32];
    return vp_error_set(err, VP_ERR_NOMEM, _("out of memory for the search tree of %s triangles"),
                        vp_format_count(n, count));
  }
  for (uint32_t t = 0; t < n; t++)
    if (!ref_init(mesh, t, &b->refs[t], err))
      return false;
  return true;
}

static VpBvh *bvh_adopt(Builder *b, const VpMesh *mesh, VpError *err)
{
  uint32_t n = mesh->triangle_count;
  VpBvh *bvh = calloc(1, sizeof *bvh);
  float *corners = malloc_array((size_t)n * 9, sizeof(float));
  uint32_t *triangles = malloc_array(n, sizeof *triangles);
  if (!bvh || !corners || !triangles) {
    free(bvh);
    free(corners);
    free(triangles);
    char count[32];
    vp_error_set(err, VP_ERR_NOMEM, _("out of memory for the search tree of %s triangles"),
                 vp_format_count(n, count));
    return NULL;
  }
  for (uint32_t i = 0; i < n; i++)
    triangles[i] = b->refs[i].triangle;
  VpBvhNode *fit = realloc(b->nodes, (size_t)b->node_count * sizeof *fit);
  *bvh = (VpBvh){mesh, fit ? fit : b->nodes, b->node_count, triangles, corners, n, b->depth};
  b->nodes = NULL;
  gather_corners(bvh);
  return bvh;
}

VpBvh *vp_bvh_build(const VpMesh *mesh, VpError *err)
{
  if (!mesh || mesh->triangle_count == 0 || !mesh->indices || !mesh->positions) {
    vp_error_set(err, VP_ERR_INVALID, _("the mesh has no triangles to search"));
    return NULL;
  }
  Builder b = {0};
  VpBvh *bvh = NULL;
  if (builder_init(&b, mesh, err)) {
    build_tree(&b, mesh->triangle_count);
    bvh = bvh_adopt(&b, mesh, err);
  }
  free(b.refs);
  free(b.nodes);
  return bvh;
}

void vp_bvh_free(VpBvh *bvh)
{
  if (!bvh)
    return;
  free(bvh->nodes);
  free(bvh->triangles);
  free(bvh->corners);
  free(bvh);
}

/* ---- shared query helpers ---- */

static void slot_corners(const VpBvh *bvh, uint32_t slot, VpVec3 c[3])
{
  const float *p = bvh->corners + 9 * (size_t)slot;
  for (int k = 0; k < 3; k++)
    c[k] = vp_vec3(p[3 * k], p[3 * k + 1], p[3 * k + 2]);
}

/* Lower bound on the squared distance from a query to anything in a box. */
typedef double (*BoxBound)(const void *query, const VpBvhNode *n);
/* Tests a leaf's triangles, improving *best2 and the result; true if it did. */
typedef bool (*LeafTest)(const VpBvh *bvh, const VpBvhNode *n, const void *query, double *best2,
                         void *result);

/* Nearest-first descent that skips boxes no nearer than the best so far:
 * shared by closest points and segment distances. */
static bool descend(const VpBvh *bvh, const void *query, BoxBound bound, LeafTest test,
                    double best2, void *result)
{
  uint32_t stack[STACK_MAX];
  double dist2[STACK_MAX];
  int sp = 0;
  bool found = false;
  stack[sp] = 0;
  dist2[sp++] = bound(query, &bvh->nodes[0]);
  while (sp > 0) {
    sp--;
    if (dist2[sp] >= best2)
      continue;
    const VpBvhNode *n = &bvh->nodes[stack[sp]];
    if (n->count > 0) {
      found |= test(bvh, n, query, &best2, result);
      continue;
    }
    double dl = bound(query, &bvh->nodes[n->first]), dr = bound(query, &bvh->nodes[n->first + 1]);
    uint32_t near = dl <= dr ? n->first : n->first + 1;
    stack[sp] = 2 * n->first + 1 - near;
    dist2[sp++] = max_d(dl, dr);
    stack[sp] = near;
    dist2[sp++] = min_d(dl, dr);
  }
  return found;
}

/* ---- rays ---- */

typedef struct RayQuery {
  VpRay ray;
  double inv[3];
  bool parallel[3]; /* direction component too small to divide by */
  double t_min, t_max;
} RayQuery;

static bool ray_query_init(RayQuery *q, VpVec3 origin, VpVec3 direction, double t_min, double t_max)
{
  if (!vp_ray_init(&q->ray, origin, direction) || isnan(t_min) || isnan(t_max) || t_min > t_max)
    return false;
  for (int k = 0; k < 3; k++) {
    q->inv[k] = 1.0 / vec_at(direction, k);
    q->parallel[k] = !isfinite(q->inv[k]);
  }
  q->t_min = t_min;
  q->t_max = t_max;
  return true;
}

/* Entry t of the ray into the node's box within [t_min, t_max], or INFINITY.
 * The interval is widened by a few ulps so a ray along a box face, whose
 * triangle the watertight test would hit, is not lost to rounding here. */
static double ray_box(const RayQuery *q, const VpBvhNode *n)
{
  const double widen = 4.0 * DBL_EPSILON;
  double lo = q->t_min, hi = q->t_max;
  for (int k = 0; k < 3; k++) {
    double o = vec_at(q->ray.origin, k);
    if (q->parallel[k]) {
      if (o < n->min[k] || o > n->max[k])
        return INFINITY;
      continue;
    }
    double t0 = (n->min[k] - o) * q->inv[k], t1 = (n->max[k] - o) * q->inv[k];
    if (t0 > t1) {
      double swap = t0;
      t0 = t1;
      t1 = swap;
    }
    lo = max_d(lo, t0 - fabs(t0) * widen);
    hi = min_d(hi, t1 + fabs(t1) * widen);
  }
  return lo <= hi ? lo : INFINITY;
}

/* Receives each hit in a visited leaf; returns false to stop the walk. */
typedef bool (*HitVisitor)(void *ctx, RayQuery *q, const VpRayHit *hit);

static bool ray_leaf(const VpBvh *bvh, const VpBvhNode *n, RayQuery *q, HitVisitor visit, void *ctx)
{
  for (uint32_t i = n->first; i < n->first + n->count; i++) {
    VpVec3 c[3];
    VpRayHit hit;
    slot_corners(bvh, i, c);
    if (!vp_ray_intersect_triangle(&q->ray, c[0], c[1], c[2], q->t_min, q->t_max, &hit))
      continue;
    hit.triangle = bvh->triangles[i];
    if (!visit(ctx, q, &hit))
      return false;
  }
  return true;
}

/* Walks the boxes the ray enters, nearer child first; a visitor may shrink
 * q->t_max to prune what lies behind a hit. */
static bool ray_walk(const VpBvh *bvh, RayQuery *q, HitVisitor visit, void *ctx)
{
  uint32_t stack[STACK_MAX];
  double entry[STACK_MAX];
  int sp = 0;
  if (ray_box(q, &bvh->nodes[0]) == INFINITY)
    return true;
  stack[sp] = 0;
  entry[sp++] = q->t_min;
  while (sp > 0) {
    sp--;
    if (entry[sp] > q->t_max)
      continue;
    const VpBvhNode *n = &bvh->nodes[stack[sp]];
    if (n->count > 0) {
      if (!ray_leaf(bvh, n, q, visit, ctx))
        return false;
      continue;
    }
    double tl = ray_box(q, &bvh->nodes[n->first]), tr = ray_box(q, &bvh->nodes[n->first + 1]);
    uint32_t near = tl <= tr ? n->first : n->first + 1, far = 2 * n->first + 1 - near;
    double tn = min_d(tl, tr), tf = max_d(tl, tr);
    if (tf != INFINITY) {
      stack[sp] = far;
      entry[sp++] = tf;
    }
    if (tn != INFINITY) {
      stack[sp] = near;
      entry[sp++] = tn;
    }
  }
  return true;
}

static bool visit_nearest(void *ctx, RayQuery *q, const VpRayHit *hit)
{
  VpRayHit *best = ctx;
  *best = *hit;
  q->t_max = hit->t;
  return true;
}

bool vp_bvh_raycast(const VpBvh *bvh, VpVec3 origin, VpVec3 direction, double t_min, double t_max,
                    VpRayHit *hit)
{
  RayQuery q;
  if (!ray_query_init(&q, origin, direction, t_min, t_max))
    return false;
  VpRayHit best = {.t = INFINITY};
  ray_walk(bvh, &q, visit_nearest, &best);
  if (best.t == INFINITY)
    return false;
  *hit = best;
  return true;
}

void vp_ray_hits_init(VpRayHits *hits) { *hits = (VpRayHits){0}; }

void vp_ray_hits_clear(VpRayHits *hits)
{
  free(hits->hits);
  vp_ray_hits_init(hits);
}

typedef struct HitCollector {
  VpRayHits *out;
  VpError *err;
} HitCollector;

static bool visit_collect(void *ctx, RayQuery *q, const VpRayHit *hit)
{
  HitCollector *c = ctx;
  VpRayHits *out = c->out;
  if (out->count == out->capacity) {
    size_t capacity = out->capacity ? 2 * out->capacity : 16;
    VpRayHit *grown = NULL;
    size_t bytes;
    if (size_mul(capacity, sizeof *grown, &bytes))
      grown = realloc(out->hits, bytes);
    if (!grown)
      return vp_error_set(c->err, VP_ERR_NOMEM, _("out of memory for %zu ray hits"), capacity);
    out->hits = grown;
    out->capacity = capacity;
  }
  out->hits[out->count++] = *hit;
  return true;
}

static int hit_compare(const void *pa, const void *pb)
{
  const VpRayHit *a = pa, *b = pb;
  if (a->t != b->t)
    return a->t < b->t ? -1 : 1;
  return (a->triangle > b->triangle) - (a->triangle < b->triangle);
}

bool vp_bvh_raycast_all(const VpBvh *bvh, VpVec3 origin, VpVec3 direction, double t_min,
                        double t_max, VpRayHits *out, VpError *err)
{
  out->count = 0;
  RayQuery q;
  if (!ray_query_init(&q, origin, direction, t_min, t_max))
    return true;
  HitCollector c = {out, err};
  if (!ray_walk(bvh, &q, visit_collect, &c))
    return false;
  qsort(out->hits, out->count, sizeof *out->hits, hit_compare);
  return true;
}

static bool visit_count(void *ctx, RayQuery *q, const VpRayHit *hit)
{
  (*(uint32_t *)ctx)++;
  return true;
}

bool vp_bvh_contains(const VpBvh *bvh, VpVec3 p)
{
  int votes = 0;
  for (int k = 0; k < 3; k++) {
    VpVec3 dir = vp_vec3(k == 0, k == 1, k == 2);
    RayQuery q;
    if (!ray_query_init(&q, p, dir, 0.0, INFINITY))
      return false;
    uint32_t crossings = 0;
    ray_walk(bvh, &q, visit_count, &crossings);
    votes += (int)(crossings & 1u);
  }
  return votes >= 2;
}

/* ---- closest points ---- */

static double point_box_bound(const void *query, const VpBvhNode *n)
{
  const VpVec3 *p = query;
  double d2 = 0.0;
  for (int k = 0; k < 3; k++) {
    double v = vec_at(*p, k), e = 0.0;
    if (v < n->min[k])
      e = n->min[k] - v;
    else if (v > n->max[k])
      e = v - n->max[k];
    d2 += e * e;
  }
  return d2;
}

/* Closest point of segment ab to p, with its parameter. */
static VpVec3 closest_on_segment(VpVec3 p, VpVec3 a, VpVec3 b, double *s)
{
  VpVec3 ab = vp_vec3_sub(b, a);
  double len2 = vp_vec3_dot(ab, ab);
  double t = len2 > 0.0 ? vp_vec3_dot(vp_vec3_sub(p, a), ab) / len2 : 0.0;
  t = t < 0.0 ? 0.0 : (t > 1.0 ? 1.0 : t);
  *s = t;
  return vp_vec3_add(a, vp_vec3_scale(ab, t));
}

/* Closest point of a triangle with no area (or too little to divide by): on its edges. */
static VpVec3 closest_on_degenerate(VpVec3 p, const VpVec3 c[3], double *u, double *v)
{
  double s[3], best = INFINITY;
  VpVec3 q[3], out = c[0];
  for (int e = 0; e < 3; e++) {
    q[e] = closest_on_segment(p, c[e], c[(e + 1) % 3], &s[e]);
    double d2 = vp_vec3_dot(vp_vec3_sub(p, q[e]), vp_vec3_sub(p, q[e]));
    if (d2 < best) {
      best = d2;
      out = q[e];
      /* edge e runs from corner e to corner e+1; weights of corners 1 and 2 */
      double w[3] = {0.0, 0.0, 0.0};
      w[e] = 1.0 - s[e];
      w[(e + 1) % 3] = s[e];
      *u = w[1];
      *v = w[2];
    }
  }
  return out;
}

static VpVec3 weighted(double *u, double *v, double wu, double wv, VpVec3 point)
{
  *u = wu;
  *v = wv;
  return point;
}

/* Closest point of triangle c to p by Voronoi regions (Ericson, Real-Time
 * Collision Detection, 5.1.5); u, v weigh corners 1 and 2. */
static VpVec3 closest_on_triangle(VpVec3 p, const VpVec3 c[3], double *u, double *v)
{
  VpVec3 ab = vp_vec3_sub(c[1], c[0]), ac = vp_vec3_sub(c[2], c[0]), ap = vp_vec3_sub(p, c[0]);
  double d1 = vp_vec3_dot(ab, ap), d2 = vp_vec3_dot(ac, ap);
  if (d1 <= 0.0 && d2 <= 0.0)
    return weighted(u, v, 0.0, 0.0, c[0]);
  VpVec3 bp = vp_vec3_sub(p, c[1]);
  double d3 = vp_vec3_dot(ab, bp), d4 = vp_vec3_dot(ac, bp);
  if (d3 >= 0.0 && d4 <= d3)
    return weighted(u, v, 1.0, 0.0, c[1]);
  VpVec3 cp = vp_vec3_sub(p, c[2]);
  double d5 = vp_vec3_dot(ab, cp), d6 = vp_vec3_dot(ac, cp);
  if (d6 >= 0.0 && d5 <= d6)
    return weighted(u, v, 0.0, 1.0, c[2]);
  double vc = d1 * d4 - d3 * d2, vb = d5 * d2 - d1 * d6, va = d3 * d6 - d5 * d4;
  if (vc <= 0.0 && d1 >= 0.0 && d3 <= 0.0 && d1 - d3 > 0.0) {
    double w = d1 / (d1 - d3);
    return weighted(u, v, w, 0.0, vp_vec3_add(c[0], vp_vec3_scale(ab, w)));
  }
  if (vb <= 0.0 && d2 >= 0.0 && d6 <= 0.0 && d2 - d6 > 0.0) {
    double w = d2 / (d2 - d6);
    return weighted(u, v, 0.0, w, vp_vec3_add(c[0], vp_vec3_scale(ac, w)));
  }
  double e1 = d4 - d3, e2 = d5 - d6;
  if (va <= 0.0 && e1 >= 0.0 && e2 >= 0.0 && e1 + e2 > 0.0) {
    double w = e1 / (e1 + e2);
    return weighted(u, v, 1.0 - w, w, vp_vec3_lerp(c[1], c[2], w));
  }
  double denom = va + vb + vc;
  if (!(denom > 0.0)) /* no area to divide by: the answer lies on an edge */
    return closest_on_degenerate(p, c, u, v);
  double wb = vb / denom, wc = vc / denom;
  return weighted(u, v, wb, wc,
                  vp_vec3_add(c[0], vp_vec3_add(vp_vec3_scale(ab, wb), vp_vec3_scale(ac, wc))));
}

VpVec3 vp_triangle_closest_point(VpVec3 p, VpVec3 a, VpVec3 b, VpVec3 c, double *u, double *v)
{
  const VpVec3 corners[3] = {a, b, c};
  double wu, wv;
  VpVec3 q = closest_on_triangle(p, corners, &wu, &wv);
  if (u)
    *u = wu;
  if (v)
    *v = wv;
  return q;
}

static bool closest_leaf(const VpBvh *bvh, const VpBvhNode *n, const void *query, double *best2,
                         void *result)
{
  VpVec3 p = *(const VpVec3 *)query;
  bool found = false;
  for (uint32_t i = n->first; i < n->first + n->count; i++) {
    VpVec3 c[3];
    double u, v;
    slot_corners(bvh, i, c);
    VpVec3 q = closest_on_triangle(p, c, &u, &v);
    VpVec3 d = vp_vec3_sub(p, q);
    double d2 = vp_vec3_dot(d, d);
    if (d2 < *best2) {
      *best2 = d2;
      *(VpClosestPoint *)result = (VpClosestPoint){bvh->triangles[i], q, u, v, sqrt(d2)};
      found = true;
    }
  }
  return found;
}

bool vp_bvh_closest_point(const VpBvh *bvh, VpVec3 p, double max_distance_mm, VpClosestPoint *out)
{
  if (!vp_vec3_is_finite(p) || !(max_distance_mm > 0.0))
    return false;
  return descend(bvh, &p, point_box_bound, closest_leaf, max_distance_mm * max_distance_mm, out);
}

/* ---- segments (needle axes) ---- */

static void sort_small(double *x, int n)
{
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && x[j - 1] > x[j]; j--) {
      double swap = x[j];
      x[j] = x[j - 1];
      x[j - 1] = swap;
    }
}

/* Minimum over s in [s0, s1] of the squared excess of a + s d outside the
 * box, on a piece where each coordinate stays on one side of each face. */
static double piece_minimum(VpVec3 a, VpVec3 d, const VpBvhNode *n, double s0, double s1)
{
  double mid = 0.5 * (s0 + s1), qa = 0.0, qb = 0.0, qc = 0.0; /* qa s^2 + qb s + qc */
  for (int k = 0; k < 3; k++) {
    double dk = vec_at(d, k), ak = vec_at(a, k), x = ak + dk * mid, al = 0.0, be = 0.0;
    if (x < n->min[k]) {
      al = n->min[k] - ak;
      be = -dk;
    } else if (x > n->max[k]) {
      al = ak - n->max[k];
      be = dk;
    }
    qa += be * be;
    qb += 2.0 * al * be;
    qc += al * al;
  }
  double s = qa > 0.0 ? min_d(max_d(-qb / (2.0 * qa), s0), s1) : s0;
  return min_d(qc + s * (qb + qa * s), qc + s1 * (qb + qa * s1));
}

/* Squared distance from segment a + s d (s in [0, 1]) to the box. The squared
 * excess outside the box, summed over axes, is convex and quadratic between
 * the parameters where a coordinate crosses a face plane; the minimum is at a
 * stationary point of one piece or at a piece's end. */
static double segment_box_distance2(VpVec3 a, VpVec3 d, const VpBvhNode *n)
{
  double breaks[8] = {0.0, 1.0};
  int nb = 2;
  for (int k = 0; k < 3; k++) {
    double dk = vec_at(d, k), ak = vec_at(a, k);
    if (dk == 0.0)
      continue;
    double s0 = (n->min[k] - ak) / dk, s1 = (n->max[k] - ak) / dk;
    if (s0 > 0.0 && s0 < 1.0)
      breaks[nb++] = s0;
    if (s1 > 0.0 && s1 < 1.0)
      breaks[nb++] = s1;
  }
  sort_small(breaks, nb);
  double best = INFINITY;
  for (int i = 0; i + 1 < nb; i++)
    best = min_d(best, piece_minimum(a, d, n, breaks[i], breaks[i + 1]));
  return max_d(best, 0.0);
}

/* Closest points of segments p0p1 and q0q1 (Ericson 5.1.9), squared distance. */
static double segment_segment(VpVec3 p0, VpVec3 p1, VpVec3 q0, VpVec3 q1, double *s, VpVec3 *cp,
                              VpVec3 *cq)
{
  VpVec3 d1 = vp_vec3_sub(p1, p0), d2 = vp_vec3_sub(q1, q0), r = vp_vec3_sub(p0, q0);
  double a = vp_vec3_dot(d1, d1), e = vp_vec3_dot(d2, d2), f = vp_vec3_dot(d2, r);
  double sc = 0.0, tc = 0.0;
  if (a == 0.0 && e == 0.0) {
    /* both are points */
  } else if (a == 0.0) {
    tc = clamp01(f / e);
  } else {
    double c = vp_vec3_dot(d1, r);
    if (e == 0.0) {
      sc = clamp01(-c / a);
    } else {
      double b = vp_vec3_dot(d1, d2), denom = a * e - b * b;
      sc = denom > 0.0 ? clamp01((b * f - c * e) / denom) : 0.0;
      tc = (b * sc + f) / e;
      if (tc < 0.0 || tc > 1.0) { /* clamp onto q's segment, then refit s */
        tc = tc < 0.0 ? 0.0 : 1.0;
        sc = clamp01((b * tc - c) / a);
      }
    }
  }
  *s = sc;
  *cp = vp_vec3_add(p0, vp_vec3_scale(d1, sc));
  *cq = vp_vec3_add(q0, vp_vec3_scale(d2, tc));
  VpVec3 gap = vp_vec3_sub(*cp, *cq);
  return vp_vec3_dot(gap, gap);
}

typedef struct SegmentQuery {
  VpVec3 a, b, d; /* ends and b - a */
  VpRay ray;      /* a towards b, for the crossing test */
  bool has_ray;
} SegmentQuery;

static double segment_box_bound(const void *query, const VpBvhNode *n)
{
  const SegmentQuery *sq = query;
  return segment_box_distance2(sq->a, sq->d, n);
}

static void segment_candidate(double d2, double s, VpVec3 on_segment, VpVec3 on_surface,
                              double *best2, VpSegmentDistance *out)
{
  if (d2 >= *best2)
    return;
  *best2 = d2;
  out->distance_mm = sqrt(d2);
  out->s = s;
  out->segment_point = on_segment;
  out->surface_point = on_surface;
}

/* Tries the triangle against the best so far: a crossing, then both ends
 * against the face, then the segment against each edge. */
static void segment_triangle(const SegmentQuery *sq, const VpVec3 c[3], double *best2,
                             VpSegmentDistance *out)
{
  VpRayHit hit;
  if (sq->has_ray && vp_ray_intersect_triangle(&sq->ray, c[0], c[1], c[2], 0.0, 1.0, &hit)) {
    segment_candidate(0.0, hit.t, hit.point, hit.point, best2, out);
    return;
  }
  double u, v;
  VpVec3 q = closest_on_triangle(sq->a, c, &u, &v);
  segment_candidate(vp_vec3_dot(vp_vec3_sub(sq->a, q), vp_vec3_sub(sq->a, q)), 0.0, sq->a, q, best2,
                    out);
  q = closest_on_triangle(sq->b, c, &u, &v);
  segment_candidate(vp_vec3_dot(vp_vec3_sub(sq->b, q), vp_vec3_sub(sq->b, q)), 1.0, sq->b, q, best2,
                    out);
  for (int e = 0; e < 3; e++) {
    double s;
    VpVec3 cp, cq;
    double d2 = segment_segment(sq->a, sq->b, c[e], c[(e + 1) % 3], &s, &cp, &cq);
    segment_candidate(d2, s, cp, cq, best2, out);
  }
}

static bool segment_leaf(const VpBvh *bvh, const VpBvhNode *n, const void *query, double *best2,
                         void *result)
{
  VpSegmentDistance *out = result;
  bool found = false;
  for (uint32_t i = n->first; i < n->first + n->count; i++) {
    VpVec3 c[3];
    double before = *best2;
    slot_corners(bvh, i, c);
    segment_triangle(query, c, best2, out);
    if (*best2 < before) {
      out->triangle = bvh->triangles[i];
      found = true;
    }
  }
  return found;
}

bool vp_bvh_segment_distance(const VpBvh *bvh, VpVec3 a, VpVec3 b, double max_distance_mm,
                             VpSegmentDistance *out)
{
  if (!vp_vec3_is_finite(a) || !vp_vec3_is_finite(b) || !(max_distance_mm > 0.0))
    return false;
  SegmentQuery sq = {.a = a, .b = b, .d = vp_vec3_sub(b, a)};
  sq.has_ray = vp_ray_init(&sq.ray, a, sq.d);
  return descend(bvh, &sq, segment_box_bound, segment_leaf, max_distance_mm * max_distance_mm, out);
}
