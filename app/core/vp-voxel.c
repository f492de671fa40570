/* World grids from closed surfaces: scanline-parity occupancy and a signed
 * distance field (exact near the surface, feature transform elsewhere). */
#include "vp-voxel.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vp-intl-private.h"

/* Beyond this many row crossings per voxel (plus a floor for small grids)
 * the mesh is piles of overlapping layers, not a surface; refusing keeps the
 * memory bounded by the grid size. */
#define CROSSINGS_FLOOR (1u << 20)

/* Corners of triangles either from an indexed mesh or from a soup of
 * 9 floats per triangle (indices NULL). */
typedef struct TriSource {
  const float *positions;
  const uint32_t *indices;
  uint32_t count;
} TriSource;

static void tri_corners(const TriSource *src, uint32_t t, VpVec3 c[3])
{
  for (int k = 0; k < 3; k++) {
    size_t v = src->indices ? src->indices[3 * (size_t)t + k] : 3 * (size_t)t + k;
    const float *p = src->positions + 3 * v;
    c[k] = vp_vec3(p[0], p[1], p[2]);
  }
}

static double vec_at(VpVec3 v, int k) { return k == 0 ? v.x : (k == 1 ? v.y : v.z); }

/* ---- grid geometry ---- */

VpGridOptions vp_grid_options_default(void)
{
  return (VpGridOptions){
      .spacing_mm = 0.5, .margin_mm = 2.0, .max_voxels = VP_GRID_MAX_VOXELS, .threads = 0};
}

static bool box_is_finite(VpBox3 box)
{
  return vp_vec3_is_finite(box.min) && vp_vec3_is_finite(box.max) && !vp_box3_is_empty(box);
}

static bool fit_check(VpBox3 box, double spacing_mm, double margin_mm, VpError *err)
{
  if (!box_is_finite(box))
    return vp_error_set(err, VP_ERR_INVALID,
                        _("the region to cover with voxels is empty or not finite"));
  if (!(spacing_mm > 0.0) || !isfinite(spacing_mm))
    return vp_error_set(err, VP_ERR_INVALID,
                        _("voxel spacing must be a positive number of millimetres, not %g"),
                        spacing_mm);
  if (!(margin_mm >= 0.0) || !isfinite(margin_mm))
    return vp_error_set(err, VP_ERR_INVALID,
                        _("grid margin must be zero or a positive number of millimetres, not %g"),
                        margin_mm);
  return true;
}

bool vp_grid_fit_box(VpGrid *grid, VpBox3 box, double spacing_mm, double margin_mm,
                     size_t max_voxels, VpError *err)
{
  *grid = (VpGrid){0};
  if (!fit_check(box, spacing_mm, margin_mm, err))
    return false;
  double n[3], total = 1.0;
  VpVec3 size = vp_box3_size(box), centre = vp_box3_center(box);
  for (int k = 0; k < 3; k++) {
    n[k] = ceil((vec_at(size, k) + 2.0 * margin_mm) / spacing_mm) + 1.0;
    total *= n[k];
  }
  if (n[0] > INT_MAX || n[1] > INT_MAX || n[2] > INT_MAX || total > (double)max_voxels) {
    char limit[32];
    return vp_error_set(err, VP_ERR_LIMIT,
                        _("a grid of %.0f x %.0f x %.0f voxels at %g mm is more than the limit "
                          "of %s voxels; choose a coarser spacing or a smaller region"),
                        n[0], n[1], n[2], spacing_mm, vp_format_count(max_voxels, limit));
  }
  for (int k = 0; k < 3; k++) {
    grid->dims[k] = (int)n[k];
    grid->origin_mm[k] = vec_at(centre, k) - 0.5 * (n[k] - 1.0) * spacing_mm;
  }
  grid->spacing_mm = spacing_mm;
  return true;
}

void vp_grid_clear(VpGrid *grid)
{
  free(grid->values);
  free(grid->mask);
  *grid = (VpGrid){0};
}

size_t vp_grid_voxel_count(const VpGrid *grid)
{
  if (grid->dims[0] <= 0 || grid->dims[1] <= 0 || grid->dims[2] <= 0)
    return 0;
  return (size_t)grid->dims[0] * (size_t)grid->dims[1] * (size_t)grid->dims[2];
}

VpVec3 vp_grid_voxel_center(const VpGrid *grid, int i, int j, int k)
{
  double h = grid->spacing_mm;
  return vp_vec3(grid->origin_mm[0] + i * h, grid->origin_mm[1] + j * h,
                 grid->origin_mm[2] + k * h);
}

VpVec3 vp_grid_world_to_index(const VpGrid *grid, VpVec3 p_mm)
{
  double h = grid->spacing_mm;
  return vp_vec3((p_mm.x - grid->origin_mm[0]) / h, (p_mm.y - grid->origin_mm[1]) / h,
                 (p_mm.z - grid->origin_mm[2]) / h);
}

bool vp_grid_voxel_at(const VpGrid *grid, VpVec3 p_mm, int ijk[3])
{
  VpVec3 g = vp_grid_world_to_index(grid, p_mm);
  for (int k = 0; k < 3; k++) {
    double r = floor(vec_at(g, k) + 0.5);
    if (!(r >= 0.0 && r < grid->dims[k]))
      return false; /* also catches NaN */
    ijk[k] = (int)r;
  }
  return true;
}

/* Lower corner index and weight along one axis, clamped to the grid. */
static int sample_axis(double g, int n, double *w)
{
  double c = fmin(fmax(g, 0.0), n - 1.0);
  int i = (int)c;
  if (i >= n - 1)
    i = n > 1 ? n - 2 : 0;
  *w = n > 1 ? c - i : 0.0;
  return i;
}

double vp_grid_sample(const VpGrid *grid, VpVec3 p_mm)
{
  if (!grid->values || vp_grid_voxel_count(grid) == 0 || !vp_vec3_is_finite(p_mm))
    return NAN;
  VpVec3 g = vp_grid_world_to_index(grid, p_mm);
  double w[3];
  int i = sample_axis(g.x, grid->dims[0], &w[0]), j = sample_axis(g.y, grid->dims[1], &w[1]),
      k = sample_axis(g.z, grid->dims[2], &w[2]);
  int di = grid->dims[0] > 1, dj = grid->dims[1] > 1, dk = grid->dims[2] > 1;
  double sum = 0.0;
  for (int c = 0; c < 8; c++) {
    int a = c & 1, b = (c >> 1) & 1, e = (c >> 2) & 1;
    double weight = (a ? w[0] : 1.0 - w[0]) * (b ? w[1] : 1.0 - w[1]) * (e ? w[2] : 1.0 - w[2]);
    sum += weight * grid->values[vp_grid_index(grid, i + a * di, j + b * dj, k + e * dk)];
  }
  return sum;
}

double vp_grid_mask_volume_mm3(const VpGrid *grid)
{
  if (!grid->mask)
    return 0.0;
  size_t n = vp_grid_voxel_count(grid), inside = 0;
  for (size_t v = 0; v < n; v++)
    inside += grid->mask[v] != 0;
  return (double)inside * grid->spacing_mm * grid->spacing_mm * grid->spacing_mm;
}

/* ---- occupancy by scanline parity ---- */

typedef struct Rows {
  uint32_t *offsets; /* rows + 1: crossings of row r are [offsets[r], offsets[r + 1]) */
  double *crossings; /* x of each crossing in voxel units */
  size_t count;
} Rows;

/* Range of voxel centres along one axis inside [lo, hi]. The bounds are
 * widened by a millionth of a voxel so rounding never drops a centre lying
 * exactly on one; an extra centre only costs a test that fails. */
static void axis_range(const VpGrid *grid, int axis, double lo, double hi, int *first, int *last)
{
  double h = grid->spacing_mm, o = grid->origin_mm[axis], top = grid->dims[axis] - 1;
  double a = ceil((lo - o) / h - 1e-6), b = floor((hi - o) / h + 1e-6);
  *first = a < 0.0 ? 0 : (a > top ? (int)top + 1 : (int)a);
  *last = b > top ? (int)top : (b < 0.0 ? -1 : (int)b);
}

static double min3(double a, double b, double c)
{
  return a < b ? (a < c ? a : c) : (b < c ? b : c);
}
static double max3(double a, double b, double c)
{
  return a > b ? (a > c ? a : c) : (b > c ? b : c);
}

/* Calls visit for each grid row (along x) the triangle crosses, with the
 * crossing's x in voxel units. */
typedef void (*CrossingVisitor)(void *ctx, size_t row, double x);

static void triangle_rows(const VpGrid *grid, const VpVec3 c[3], CrossingVisitor visit, void *ctx)
{
  int j0, j1, k0, k1;
  axis_range(grid, 1, min3(c[0].y, c[1].y, c[2].y), max3(c[0].y, c[1].y, c[2].y), &j0, &j1);
  axis_range(grid, 2, min3(c[0].z, c[1].z, c[2].z), max3(c[0].z, c[1].z, c[2].z), &k0, &k1);
  if (j0 > j1 || k0 > k1)
    return;
  /* The shear depends only on the direction, so one ray serves every row
   * once its origin moves; t comes out in voxels. */
  VpRay ray;
  vp_ray_init(&ray, vp_grid_voxel_center(grid, 0, 0, 0), vp_vec3(grid->spacing_mm, 0.0, 0.0));
  for (int k = k0; k <= k1; k++)
    for (int j = j0; j <= j1; j++) {
      VpRayHit hit;
      ray.origin = vp_grid_voxel_center(grid, 0, j, k);
      if (vp_ray_intersect_triangle(&ray, c[0], c[1], c[2], -INFINITY, INFINITY, &hit))
        visit(ctx, (size_t)j + (size_t)grid->dims[1] * k, hit.t);
    }
}

static void count_crossing(void *ctx, size_t row, double x)
{
  (void)x;
  ((Rows *)ctx)->offsets[row + 1]++;
}

static void store_crossing(void *ctx, size_t row, double x)
{
  Rows *r = ctx;
  r->crossings[r->offsets[row]++] = x;
}

static void rows_visit_all(const VpGrid *grid, const TriSource *src, CrossingVisitor visit, Rows *r)
{
  for (uint32_t t = 0; t < src->count; t++) {
    VpVec3 c[3];
    tri_corners(src, t, c);
    triangle_rows(grid, c, visit, r);
  }
}

/* Turns per-row counts into offsets; false when there are too many crossings. */
static bool rows_prefix(const VpGrid *grid, Rows *r, size_t rows, VpError *err)
{
  size_t limit = vp_grid_voxel_count(grid) + CROSSINGS_FLOOR, total = 0;
  for (size_t i = 1; i <= rows; i++) {
    total += r->offsets[i];
    if (total > limit || total > UINT32_MAX) {
      char a[32];
      return vp_error_set(err, VP_ERR_LIMIT,
                          _("the surface crosses the grid rows more than %s times; it is not a "
                            "single closed surface, or the voxels are far too small"),
                          vp_format_count(limit, a));
    }
    r->offsets[i] = (uint32_t)total;
  }
  r->count = total;
  return true;
}

/* Collects every row's crossings: a counting pass, then a filling pass, so
 * memory is exactly what the surface needs. */
static bool rows_collect(const VpGrid *grid, const TriSource *src, Rows *r, VpError *err)
{
  size_t rows = (size_t)grid->dims[1] * (size_t)grid->dims[2];
  r->offsets = calloc(rows + 1, sizeof *r->offsets);
  if (!r->offsets)
    return vp_error_set(err, VP_ERR_NOMEM, _("out of memory for the voxel rows"));
  rows_visit_all(grid, src, count_crossing, r);
  if (!rows_prefix(grid, r, rows, err))
    return false;
  r->crossings = malloc((r->count ? r->count : 1) * sizeof *r->crossings);
  if (!r->crossings)
    return vp_error_set(err, VP_ERR_NOMEM, _("out of memory for the voxel rows"));
  rows_visit_all(grid, src, store_crossing, r); /* advances each offset to the next row's start */
  memmove(r->offsets + 1, r->offsets, rows * sizeof *r->offsets);
  r->offsets[0] = 0;
  return true;
}

static void sort_small(double *x, size_t n)
{
  for (size_t i = 1; i < n; i++)
    for (size_t j = i; j > 0 && x[j - 1] > x[j]; j--) {
      double swap = x[j];
      x[j] = x[j - 1];
      x[j - 1] = swap;
    }
}

/* A voxel is inside when an odd number of crossings lie before its centre:
 * voxels i with x[2m] < i <= x[2m + 1]. Returns whether the row was odd. */
static bool row_fill(uint8_t *row, int n, double *x, size_t count)
{
  sort_small(x, count);
  for (size_t m = 0; m + 1 < count; m += 2) {
    double a = floor(x[m]) + 1.0, b = floor(x[m + 1]);
    int first = a < 0.0 ? 0 : (a > n ? n : (int)a);
    int last = b > n - 1 ? n - 1 : (b < -1.0 ? -1 : (int)b);
    if (last >= first)
      memset(row + first, 1, (size_t)(last - first + 1));
  }
  return count % 2 == 1;
}

static bool occupancy_fill(VpGrid *grid, const TriSource *src, VpVoxelReport *report, VpError *err)
{
  Rows r = {0};
  bool ok = rows_collect(grid, src, &r, err);
  size_t rows = (size_t)grid->dims[1] * (size_t)grid->dims[2];
  for (size_t row = 0; ok && row < rows; row++) {
    uint8_t *line = grid->mask + row * (size_t)grid->dims[0];
    uint32_t first = r.offsets[row], count = r.offsets[row + 1] - first;
    if (row_fill(line, grid->dims[0], r.crossings + first, count))
      report->odd_rows++;
  }
  free(r.offsets);
  free(r.crossings);
  return ok;
}

/* Bounds of the triangles, checking indices and corners on the way. */
static bool mesh_triangle_bounds(const VpMesh *mesh, VpBox3 *box, VpError *err)
{
  if (!mesh || mesh->triangle_count == 0 || !mesh->indices || !mesh->positions)
    return vp_error_set(err, VP_ERR_INVALID, _("the mesh has no triangles to fill with voxels"));
  *box = vp_box3_empty();
  for (size_t i = 0; i < (size_t)mesh->triangle_count * 3; i++) {
    uint32_t v = mesh->indices[i];
    if (v >= mesh->vertex_count)
      return vp_error_set(err, VP_ERR_INVALID, _("triangle %u refers to vertex %u of only %u"),
                          (unsigned)(i / 3 + 1), v, mesh->vertex_count);
    const float *p = mesh->positions + 3 * (size_t)v;
    VpVec3 q = vp_vec3(p[0], p[1], p[2]);
    if (!vp_vec3_is_finite(q))
      return vp_error_set(err, VP_ERR_INVALID,
                          _("vertex %u has a coordinate that is not a finite number"), v + 1);
    *box = vp_box3_extend(*box, q);
  }
  return true;
}

/* Fits the grid to box and allocates the requested arrays (zeroed). */
static bool grid_prepare(VpGrid *grid, VpBox3 box, const VpGridOptions *options, bool values,
                         VpError *err)
{
  VpGridOptions o = options ? *options : vp_grid_options_default();
  if (!vp_grid_fit_box(grid, box, o.spacing_mm, o.margin_mm, o.max_voxels, err))
    return false;
  size_t n = vp_grid_voxel_count(grid);
  grid->mask = calloc(n, sizeof *grid->mask);
  if (values)
    grid->values = calloc(n, sizeof *grid->values);
  if (!grid->mask || (values && !grid->values)) {
    vp_grid_clear(grid);
    char count[32];
    return vp_error_set(err, VP_ERR_NOMEM, _("out of memory for a grid of %s voxels"),
                        vp_format_count(n, count));
  }
  return true;
}

bool vp_grid_voxelize(const VpMesh *mesh, const VpGridOptions *options, VpGrid *out,
                      VpVoxelReport *report, VpError *err)
{
  VpVoxelReport scratch;
  report = report ? report : &scratch;
  *report = (VpVoxelReport){0};
  *out = (VpGrid){0};
  VpBox3 box;
  if (!mesh_triangle_bounds(mesh, &box, err) || !grid_prepare(out, box, options, false, err))
    return false;
  TriSource src = {mesh->positions, mesh->indices, mesh->triangle_count};
  if (occupancy_fill(out, &src, report, err))
    return true;
  vp_grid_clear(out);
  return false;
}

/* ---- signed distance ---- */

#define NO_SITE (-1)
/* Voxels this close to the band, in voxels, are refined by the sweeps. */
#define NEAR_VOXELS 3
#define MAX_THREADS 64
/* z planes per work item of the band and the in-plane passes: small enough
 * for two cores to share a vertebra evenly, large enough that taking an
 * item costs nothing and few triangles span two items. */
#define SLAB_PLANES 4
/* Lines along z gathered at once for the last pass: one cache line of
 * each row, and the gathered block stays in the first-level cache. */
#define COLUMN_BLOCK 16

/* ---- worker threads ---- */

/* Items are taken in turn from a shared counter, so a core busy with other
 * work takes fewer. Each item writes its own voxels only, computed the same
 * way whichever worker takes it: the grid never depends on the thread count. */
typedef void (*ItemFn)(void *ctx, int worker, size_t item);

typedef struct Pool {
  ItemFn fn;
  void *ctx;
  size_t count;
  atomic_size_t next;
} Pool;

typedef struct PoolWorker {
  Pool *pool;
  int index;
  pthread_t thread;
  bool started;
} PoolWorker;

static void *pool_work(void *arg)
{
  PoolWorker *w = arg;
  Pool *pool = w->pool;
  for (size_t item; (item = atomic_fetch_add(&pool->next, 1)) < pool->count;)
    pool->fn(pool->ctx, w->index, item);
  return NULL;
}

/* Runs fn on items 0 .. count - 1 with up to `threads` workers, the caller
 * being worker 0; a thread that cannot start leaves its share to the rest. */
static void pool_run(int threads, ItemFn fn, void *ctx, size_t count)
{
  Pool pool = {.fn = fn, .ctx = ctx, .count = count};
  atomic_init(&pool.next, 0);
  PoolWorker w[MAX_THREADS];
  for (int t = 0; t < threads; t++) {
    w[t] = (PoolWorker){.pool = &pool, .index = t};
    if (t > 0)
      w[t].started = pthread_create(&w[t].thread, NULL, pool_work, &w[t]) == 0;
  }
  pool_work(&w[0]);
  for (int t = 1; t < threads; t++)
    if (w[t].started)
      pthread_join(w[t].thread, NULL);
}

/* ---- point-triangle distance ---- */

/* vp_grid_voxel_center() without the call, for the hot loops; the same
 * arithmetic, so the same centres. */
static inline VpVec3 centre(const VpGrid *grid, int i, int j, int k)
{
  double h = grid->spacing_mm;
  return vp_vec3(grid->origin_mm[0] + i * h, grid->origin_mm[1] + j * h,
                 grid->origin_mm[2] + k * h);
}

static inline double length2(VpVec3 v) { return vp_vec3_dot(v, v); }

/* A triangle in double precision with the edge products its queries
 * share, made once per triangle: every voxel near the surface asks several. */
typedef struct Tri {
  VpVec3 a, ab, ac;
  double abab, abac, acac;
} Tri;

static Tri tri_make(const VpBvh *bvh, uint32_t slot)
{
  const float *c = bvh->corners + 9 * (size_t)slot;
  Tri t = {.a = vp_vec3(c[0], c[1], c[2])};
  t.ab = vp_vec3_sub(vp_vec3(c[3], c[4], c[5]), t.a);
  t.ac = vp_vec3_sub(vp_vec3(c[6], c[7], c[8]), t.a);
  t.abab = vp_vec3_dot(t.ab, t.ab);
  t.abac = vp_vec3_dot(t.ab, t.ac);
  t.acac = vp_vec3_dot(t.ac, t.ac);
  return t;
}

static VpVec3 tri_closest(const Tri *t, VpVec3 p)
{
  return vp_triangle_closest_point(p, t->a, vp_vec3_add(t->a, t->ab), vp_vec3_add(t->a, t->ac),
                                   NULL, NULL);
}

/* The Voronoi regions of a triangle: its face, corners and edges. */
enum { FACE, CORNER_A, CORNER_B, CORNER_C, EDGE_AB, EDGE_AC, EDGE_BC, REGION_BITS = 3 };

/* Squared distance from p to the triangle and the region of the nearest
 * point, by the tests of Ericson's closest-point routine (Real-Time
 * Collision Detection 5.1.5) as in vp_triangle_closest_point(), without the
 * point itself, and inlined: it runs millions of times per grid. */
static inline double tri_locate(const Tri *t, VpVec3 p, int *region)
{
  VpVec3 ap = vp_vec3_sub(p, t->a);
  double d1 = vp_vec3_dot(t->ab, ap), d2 = vp_vec3_dot(t->ac, ap);
  if (d1 <= 0.0 && d2 <= 0.0)
    return *region = CORNER_A, length2(ap);
  double d3 = d1 - t->abab, d4 = d2 - t->abac; /* the same products seen from b */
  if (d3 >= 0.0 && d4 <= d3)
    return *region = CORNER_B, length2(vp_vec3_sub(ap, t->ab));
  double d5 = d1 - t->abac, d6 = d2 - t->acac; /* and from c */
  if (d6 >= 0.0 && d5 <= d6)
    return *region = CORNER_C, length2(vp_vec3_sub(ap, t->ac));
  double vc = d1 * d4 - d3 * d2;
  if (vc <= 0.0 && d1 >= 0.0 && d3 <= 0.0 && d1 - d3 > 0.0)
    return *region = EDGE_AB, length2(vp_vec3_sub(ap, vp_vec3_scale(t->ab, d1 / (d1 - d3))));
  double vb = d5 * d2 - d1 * d6;
  if (vb <= 0.0 && d2 >= 0.0 && d6 <= 0.0 && d2 - d6 > 0.0)
    return *region = EDGE_AC, length2(vp_vec3_sub(ap, vp_vec3_scale(t->ac, d2 / (d2 - d6))));
  double va = d3 * d6 - d5 * d4, e1 = d4 - d3, e2 = d5 - d6;
  if (va <= 0.0 && e1 >= 0.0 && e2 >= 0.0 && e1 + e2 > 0.0) {
    VpVec3 bp = vp_vec3_sub(ap, t->ab), bc = vp_vec3_sub(t->ac, t->ab);
    return *region = EDGE_BC, length2(vp_vec3_sub(bp, vp_vec3_scale(bc, e1 / (e1 + e2))));
  }
  *region = FACE;
  double denom = va + vb + vc;
  if (!(denom > 0.0)) /* no area: the answer lies on an edge */
    return length2(vp_vec3_sub(p, tri_closest(t, p)));
  VpVec3 in_plane = vp_vec3_add(vp_vec3_scale(t->ab, vb / denom), vp_vec3_scale(t->ac, vc / denom));
  return length2(vp_vec3_sub(ap, in_plane));
}

static inline double tri_distance2(const Tri *t, VpVec3 p)
{
  int region;
  return tri_locate(t, p, &region);
}

static double segment_distance2(VpVec3 ap, VpVec3 ab, double along, double length2_ab)
{
  return length2(vp_vec3_sub(ap, vp_vec3_scale(ab, along / length2_ab)));
}

/* tri_distance2() for a point whose nearest point is expected in region
 * *hint, which becomes the region where it lies. Voxels near each other
 * mostly share it, and one region's test with its formula costs half of
 * going through them all, mispredicted branches included; when p lies
 * elsewhere, the full test. The same distance either way. */
static inline double tri_distance2_in(const Tri *t, VpVec3 p, int *hint)
{
  VpVec3 ap = vp_vec3_sub(p, t->a);
  double d1 = vp_vec3_dot(t->ab, ap), d2 = vp_vec3_dot(t->ac, ap);
  double d3 = d1 - t->abab, d4 = d2 - t->abac, d5 = d1 - t->abac, d6 = d2 - t->acac;
  switch (*hint) {
  case CORNER_A:
    if (d1 <= 0.0 && d2 <= 0.0)
      return length2(ap);
    break;
  case CORNER_B:
    if (d3 >= 0.0 && d4 <= d3)
      return length2(vp_vec3_sub(ap, t->ab));
    break;
  case CORNER_C:
    if (d6 >= 0.0 && d5 <= d6)
      return length2(vp_vec3_sub(ap, t->ac));
    break;
  case EDGE_AB:
    if (d1 * d4 - d3 * d2 <= 0.0 && d1 >= 0.0 && d3 <= 0.0 && d1 - d3 > 0.0)
      return segment_distance2(ap, t->ab, d1, d1 - d3);
    break;
  case EDGE_AC:
    if (d5 * d2 - d1 * d6 <= 0.0 && d2 >= 0.0 && d6 <= 0.0 && d2 - d6 > 0.0)
      return segment_distance2(ap, t->ac, d2, d2 - d6);
    break;
  case EDGE_BC: {
    double e1 = d4 - d3, e2 = d5 - d6;
    if (d3 * d6 - d5 * d4 <= 0.0 && e1 >= 0.0 && e2 >= 0.0 && e1 + e2 > 0.0)
      return segment_distance2(vp_vec3_sub(ap, t->ab), vp_vec3_sub(t->ac, t->ab), e1, e1 + e2);
    break;
  }
  default: {
    double va = d3 * d6 - d5 * d4, vb = d5 * d2 - d1 * d6, vc = d1 * d4 - d3 * d2;
    double denom = va + vb + vc;
    if (va >= 0.0 && vb >= 0.0 && vc >= 0.0 && denom > 0.0)
      return length2(vp_vec3_sub(
          ap, vp_vec3_add(vp_vec3_scale(t->ab, vb / denom), vp_vec3_scale(t->ac, vc / denom))));
  }
  }
  return tri_locate(t, p, hint);
}

/* ---- the field ---- */

/* Features are the band voxels' nearest triangles, named by BVH slot (leaf
 * order: triangles near each other in space lie near each other in memory)
 * and packed with the region of the band voxel's nearest point, a first
 * guess for the voxels that inherit the feature. Slots fit in the other
 * bits. */
#define MAX_SLOTS ((uint32_t)1 << (31 - REGION_BITS))

static inline int32_t feature_slot(int32_t feature) { return feature >> REGION_BITS; }
static inline int feature_region(int32_t feature) { return feature & ((1 << REGION_BITS) - 1); }

typedef struct Line { /* scratch of one line of the distance transform */
  int *v;      /* parabola sites */
  double *g;   /* their f + site^2 */
  double *z;   /* envelope breakpoints, n + 1 */
  double *inv; /* inv[d] = 1 / (2 d): breakpoints by multiplying */
} Line;

typedef struct Scratch { /* one worker's */
  Line line;
  double *f_in, *f_out;        /* a column (y pass) or a block of columns (z pass) */
  int32_t *feat_in, *feat_out; /* their features */
} Scratch;

typedef struct Sdf {
  VpGrid *grid;
  const VpBvh *bvh;
  int32_t *site;   /* per voxel: while the band is found, the nearest triangle's slot;
                      then the feature of the nearest band voxel; at the end a slot */
  uint8_t *near;   /* per voxel: refined by the sweeps */
  Tri *tris;       /* per slot */
  int (*box)[6];   /* per slot: voxel ranges within a spacing, x, y, z (first, last) */
  size_t *in_band; /* per slab: voxels given exact distances */
  Scratch *scratch;
  int threads;
  int blocks; /* column blocks per row in the z pass */
  float h2;   /* spacing squared, rounded up: every voxel within it is in the band */
} Sdf;

static void tri_box(const VpGrid *grid, const VpBvh *bvh, uint32_t slot, int box[6])
{
  const float *c = bvh->corners + 9 * (size_t)slot;
  double h = grid->spacing_mm;
  for (int k = 0; k < 3; k++) {
    double lo = min3(c[k], c[3 + k], c[6 + k]) - h, hi = max3(c[k], c[3 + k], c[6 + k]) + h;
    axis_range(grid, k, lo, hi, &box[2 * k], &box[2 * k + 1]);
  }
}

/* Offers the triangle to the voxels of planes k0 .. k1 - 1 in its box grown
 * by a spacing and within a spacing of its plane; each keeps the nearest
 * triangle offered. Every voxel within a spacing of the surface is offered
 * its nearest triangle, so the band comes out exact without a tree search.
 * The distance to the plane skips voxels that already have a nearer one. */
static void band_scatter(const Sdf *s, int32_t slot, const int box[6], int k0, int k1)
{
  const VpGrid *grid = s->grid;
  float *best = grid->values;
  const Tri *t = &s->tris[slot];
  VpVec3 n = vp_vec3_cross(t->ab, t->ac); /* not normalised: distances come out times |n| */
  double n2 = length2(n), reach = grid->spacing_mm * sqrt(n2) * (1.0 + 1e-9);
  for (int k = k0 > box[4] ? k0 : box[4]; k < k1 && k <= box[5]; k++)
    for (int j = box[2]; j <= box[3]; j++)
      for (int i = box[0]; i <= box[1]; i++) {
        VpVec3 p = centre(grid, i, j, k);
        double plane = vp_vec3_dot(n, vp_vec3_sub(p, t->a));
        size_t v = vp_grid_index(grid, i, j, k);
        if (plane > reach || plane < -reach || (n2 > 0.0 && plane * plane >= best[v] * n2))
          continue;
        double d2 = tri_distance2(t, p);
        if (d2 < best[v]) {
          best[v] = (float)d2;
          s->site[v] = slot;
        }
      }
}

/* Keeps as sites only the voxels found within a spacing, with the region
 * of their nearest point: farther ones, offered triangles by generous
 * boxes, would hand them to voxels they do not suit. Returns the number
 * kept in plane k. */
static size_t band_keep(const Sdf *s, int k)
{
  const VpGrid *grid = s->grid;
  size_t count = 0;
  for (int j = 0; j < grid->dims[1]; j++)
    for (int i = 0; i < grid->dims[0]; i++) {
      size_t v = vp_grid_index(grid, i, j, k);
      int32_t slot = s->site[v];
      if (slot < 0 || grid->values[v] > s->h2) {
        s->site[v] = NO_SITE;
        continue;
      }
      const Tri *t = &s->tris[slot];
      int region;
      tri_locate(t, centre(grid, i, j, k), &region);
      s->site[v] = slot << REGION_BITS | region;
      count++;
    }
  return count;
}

/* Nearest site along one row (sites have site >= 0): f gets the squared
 * distance in voxels and site the site's feature. Ties go left, as in the
 * lower envelope of edt_line. */
static void row_nearest(float *f, int32_t *site, int n)
{
  for (int q = 0, last = -1; q < n; q++) {
    if (site[q] >= 0)
      last = q;
    else if (last >= 0)
      site[q] = site[last];
    f[q] = last < 0 ? INFINITY : (float)(q - last) * (float)(q - last);
  }
  for (int q = n - 1, next = -1; q >= 0; q--) {
    if (f[q] == 0.0f)
      next = q;
    else if (next >= 0 && (float)(next - q) * (float)(next - q) < f[q]) {
      f[q] = (float)(next - q) * (float)(next - q);
      site[q] = site[next];
    }
  }
}

/* One line of the Euclidean distance transform (Felzenszwalb and
 * Huttenlocher 2012): the lower envelope of parabolas (x - q)^2 + f(q) over
 * the sites with finite f, carrying each site's feature along. */
static void edt_line(const Line *l, const double *f, const int32_t *feat, int n, double *f_out,
                     int32_t *feat_out)
{
  int k = -1;
  for (int q = 0; q < n; q++) {
    if (f[q] == INFINITY)
      continue;
    double g = f[q] + (double)q * q, s = -INFINITY;
    while (k >= 0) {
      s = (g - l->g[k]) * l->inv[q - l->v[k]];
      if (s > l->z[k])
        break;
      k--;
    }
    k++;
    l->v[k] = q;
    l->g[k] = g;
    l->z[k] = k == 0 ? -INFINITY : s;
  }
  if (k < 0) {
    for (int q = 0; q < n; q++) {
      f_out[q] = INFINITY;
      feat_out[q] = NO_SITE;
    }
    return;
  }
  l->z[k + 1] = INFINITY;
  for (int q = 0, m = 0; q < n; q++) {
    while (l->z[m + 1] < q)
      m++;
    int p = l->v[m];
    f_out[q] = (double)(q - p) * (q - p) + f[p];
    feat_out[q] = feat[p];
  }
}

/* The first two passes of the feature transform within plane k, along rows
 * then columns, while the plane is in cache: values get squared distances
 * in voxels to the nearest site of the plane, site its feature. */
static void plane_transform(const Sdf *s, Scratch *w, int k)
{
  const VpGrid *grid = s->grid;
  const int nx = grid->dims[0], ny = grid->dims[1];
  size_t base = vp_grid_index(grid, 0, 0, k);
  for (int j = 0; j < ny; j++)
    row_nearest(grid->values + base + (size_t)j * nx, s->site + base + (size_t)j * nx, nx);
  for (int i = 0; i < nx; i++) {
    float *f = grid->values + base + i;
    int32_t *site = s->site + base + i;
    for (int j = 0; j < ny; j++) {
      w->f_in[j] = f[(size_t)j * nx];
      w->feat_in[j] = site[(size_t)j * nx];
    }
    edt_line(&w->line, w->f_in, w->feat_in, ny, w->f_out, w->feat_out);
    for (int j = 0; j < ny; j++) {
      f[(size_t)j * nx] = (float)w->f_out[j];
      site[(size_t)j * nx] = w->feat_out[j];
    }
  }
}

static void slab_planes(const VpGrid *grid, size_t item, int *k0, int *k1)
{
  *k0 = (int)item * SLAB_PLANES;
  *k1 = *k0 + SLAB_PLANES < grid->dims[2] ? *k0 + SLAB_PLANES : grid->dims[2];
}

/* Work item of the first phase: the band in planes SLAB_PLANES * item on,
 * then the in-plane passes of the feature transform there. */
static void slab_run(void *ctx, int worker, size_t item)
{
  Sdf *s = ctx;
  const VpGrid *grid = s->grid;
  int k0, k1;
  slab_planes(grid, item, &k0, &k1);
  size_t first = vp_grid_index(grid, 0, 0, k0), end = vp_grid_index(grid, 0, 0, k1);
  for (size_t v = first; v < end; v++) {
    grid->values[v] = INFINITY;
    s->site[v] = NO_SITE;
  }
  for (uint32_t slot = 0; slot < s->bvh->triangle_count; slot++)
    if (s->box[slot][4] < k1 && s->box[slot][5] >= k0)
      band_scatter(s, (int32_t)slot, s->box[slot], k0, k1);
  for (int k = k0; k < k1; k++) {
    s->in_band[item] += band_keep(s, k);
    plane_transform(s, &s->scratch[worker], k);
  }
}

static inline float with_sign(const VpGrid *grid, size_t v, float d2)
{
  float d = sqrtf(d2);
  return grid->mask[v] ? -d : d;
}

/* A voxel's feature is final: its exact distance to that triangle, signed
 * unless the sweeps will still refine it (kept squared for them); site
 * becomes the triangle's slot. *hint as for tri_distance2_in(). */
static void voxel_finish(const Sdf *s, int i, int j, int k, double f, int32_t feature,
                         int *hint)
{
  const VpGrid *grid = s->grid;
  size_t v = vp_grid_index(grid, i, j, k);
  bool near = f > 0.0 && f <= NEAR_VOXELS * NEAR_VOXELS;
  double d2 = INFINITY;
  if (feature >= 0) {
    const Tri *t = &s->tris[feature_slot(feature)];
    d2 = tri_distance2_in(t, centre(grid, i, j, k), hint);
  }
  s->site[v] = feature >= 0 ? feature_slot(feature) : NO_SITE;
  s->near[v] = near;
  grid->values[v] = near ? (float)d2 : with_sign(grid, v, (float)d2);
}

/* A block of columns along z at row j, gathered from contiguous rows so the
 * pass along z stays in cache; the feature transform ends there and each
 * voxel gets its distance. */
static void column_block(const Sdf *s, Scratch *w, int j, int x0)
{
  const VpGrid *grid = s->grid;
  const int nz = grid->dims[2];
  const int width = grid->dims[0] - x0 < COLUMN_BLOCK ? grid->dims[0] - x0 : COLUMN_BLOCK;
  for (int k = 0; k < nz; k++) {
    size_t row = vp_grid_index(grid, x0, j, k);
    for (int x = 0; x < width; x++) {
      w->f_in[(size_t)x * nz + k] = grid->values[row + x];
      w->feat_in[(size_t)x * nz + k] = s->site[row + x];
    }
  }
  for (int x = 0; x < width; x++) {
    size_t at = (size_t)x * nz;
    edt_line(&w->line, w->f_in + at, w->feat_in + at, nz, w->f_out + at, w->feat_out + at);
  }
  /* Up a column the feature mostly stays, and its region with it: the
   * region found for the voxel below is a better guess than the band
   * voxel's, which sees the triangle from another side. */
  int32_t last[COLUMN_BLOCK];
  int hint[COLUMN_BLOCK];
  for (int x = 0; x < width; x++)
    last[x] = NO_SITE;
  for (int k = 0; k < nz; k++)
    for (int x = 0; x < width; x++) {
      int32_t feature = w->feat_out[(size_t)x * nz + k];
      if (feature != last[x])
        hint[x] = feature_region(feature);
      last[x] = feature;
      voxel_finish(s, x0 + x, j, k, w->f_out[(size_t)x * nz + k], feature, &hint[x]);
    }
}

/* Work item of the second phase: every column along z at y = item. Whole
 * rows per item, so no two workers write one cache line. */
static void columns_run(void *ctx, int worker, size_t item)
{
  Sdf *s = ctx;
  for (int b = 0; b < s->blocks; b++)
    column_block(s, &s->scratch[worker], (int)item, b * COLUMN_BLOCK);
}

/* Offers voxel v the triangle of neighbour n; keeps it when nearer. */
static inline void adopt(const Sdf *s, VpVec3 p, size_t v, size_t n)
{
  int32_t slot = s->site[n];
  if (slot < 0 || slot == s->site[v])
    return;
  const Tri *t = &s->tris[slot];
  double d2 = tri_distance2(t, p);
  if (d2 < s->grid->values[v]) {
    s->grid->values[v] = (float)d2;
    s->site[v] = slot;
  }
}

/* The sweeps: every voxel near the band is offered the triangles of its
 * neighbours, in raster order within each plane, forward then backward,
 * then along z both ways. The feature transform picks the nearest band
 * voxel centre, and on the staircase of centres that voxel's triangle may
 * lie to the side; the sweeps carry better ones along. Planes, and then
 * lines along z, are independent, so workers share them; a voxel is written
 * only by the plane or line that holds it. */

/* Offers every near voxel of row (j, k) the triangle of its neighbour
 * `from` voxels away, in the previous row of the sweep. */
static void sweep_row(const Sdf *s, int j, int k, ptrdiff_t from)
{
  const VpGrid *grid = s->grid;
  size_t row = vp_grid_index(grid, 0, j, k);
  const uint8_t *near = s->near + row;
  if (!memchr(near, 1, (size_t)grid->dims[0]))
    return;
  for (int i = 0; i < grid->dims[0]; i++)
    if (near[i])
      adopt(s, centre(grid, i, j, k), row + i, (size_t)((ptrdiff_t)(row + i) + from));
}

/* Row (j, k) of a plane sweep in direction dir (+1 forward, -1 backward):
 * each near voxel is offered the triangles of its neighbours along x and y
 * already visited. */
static void sweep_plane_row(const Sdf *s, int j, int k, int dir)
{
  const VpGrid *grid = s->grid;
  const int nx = grid->dims[0];
  size_t row = vp_grid_index(grid, 0, j, k);
  const uint8_t *near = s->near + row;
  if (!memchr(near, 1, (size_t)nx))
    return;
  bool behind = dir > 0 ? j > 0 : j < grid->dims[1] - 1;
  for (int n = 0; n < nx; n++) {
    int i = dir > 0 ? n : nx - 1 - n;
    size_t v = row + i;
    if (!near[i])
      continue;
    VpVec3 p = centre(grid, i, j, k);
    if (dir > 0 ? i > 0 : i < nx - 1)
      adopt(s, p, v, dir > 0 ? v - 1 : v + 1);
    if (behind)
      adopt(s, p, v, dir > 0 ? v - (size_t)nx : v + (size_t)nx);
  }
}

/* Work item of the third phase: plane z = item. */
static void sweep_plane(void *ctx, int worker, size_t item)
{
  const Sdf *s = ctx;
  const int ny = s->grid->dims[1], k = (int)item;
  for (int j = 0; j < ny; j++)
    sweep_plane_row(s, j, k, 1);
  for (int j = ny - 1; j >= 0; j--)
    sweep_plane_row(s, j, k, -1);
}

/* Work item of the fourth phase: the lines along z at y = item, whose
 * near voxels are then final and get their sign. */
static void sweep_columns(void *ctx, int worker, size_t item)
{
  const Sdf *s = ctx;
  const VpGrid *grid = s->grid;
  const int nz = grid->dims[2], j = (int)item;
  const ptrdiff_t sz = (ptrdiff_t)grid->dims[0] * grid->dims[1];
  for (int k = 1; k < nz; k++)
    sweep_row(s, j, k, -sz);
  for (int k = nz - 2; k >= 0; k--)
    sweep_row(s, j, k, sz);
  for (int k = 0; k < nz; k++) {
    size_t row = vp_grid_index(grid, 0, j, k);
    for (int i = 0; i < grid->dims[0]; i++)
      if (s->near[row + i])
        grid->values[row + i] = with_sign(grid, row + i, grid->values[row + i]);
  }
}

/* ---- setting up ---- */

static size_t line_length(const VpGrid *grid)
{
  return (size_t)(grid->dims[1] > grid->dims[2] ? grid->dims[1] : grid->dims[2]) + 1;
}

static size_t block_length(const VpGrid *grid)
{
  size_t width = grid->dims[0] < COLUMN_BLOCK ? (size_t)grid->dims[0] : COLUMN_BLOCK;
  size_t ny = (size_t)grid->dims[1], block = width * (size_t)grid->dims[2];
  return ny > block ? ny : block;
}

static bool scratch_init(Scratch *w, const VpGrid *grid)
{
  size_t line = line_length(grid), block = block_length(grid);
  w->line.v = malloc(line * sizeof *w->line.v);
  w->line.z = malloc(line * sizeof *w->line.z);
  w->line.g = malloc(line * sizeof *w->line.g);
  w->line.inv = malloc(line * sizeof *w->line.inv);
  w->f_in = malloc(block * sizeof *w->f_in);
  w->f_out = malloc(block * sizeof *w->f_out);
  w->feat_in = malloc(block * sizeof *w->feat_in);
  w->feat_out = malloc(block * sizeof *w->feat_out);
  if (!w->line.v || !w->line.z || !w->line.g || !w->line.inv || !w->f_in || !w->f_out ||
      !w->feat_in || !w->feat_out)
    return false;
  for (size_t d = 1; d < line; d++)
    w->line.inv[d] = 1.0 / (2.0 * (double)d);
  return true;
}

static void scratch_clear(Scratch *w)
{
  free(w->line.v);
  free(w->line.z);
  free(w->line.g);
  free(w->line.inv);
  free(w->f_in);
  free(w->f_out);
  free(w->feat_in);
  free(w->feat_out);
}

/* The requested count (0: one per online processor), at most MAX_THREADS,
 * and fewer when the grid is so thin along y or z that extra workers'
 * scratch lines would outweigh its own arrays. */
static int thread_count(const VpGridOptions *options, const VpGrid *grid)
{
  long n = options->threads > 0 ? options->threads : sysconf(_SC_NPROCESSORS_ONLN);
  n = n < 1 ? 1 : (n > MAX_THREADS ? MAX_THREADS : n);
  size_t per_worker = 28 * line_length(grid) + 24 * block_length(grid); /* bytes */
  size_t cap = 1 + vp_grid_voxel_count(grid) / per_worker;
  return (size_t)n > cap ? (int)cap : (int)n;
}

static size_t slab_count(const VpGrid *grid)
{
  return ((size_t)grid->dims[2] + SLAB_PLANES - 1) / SLAB_PLANES;
}

static bool sdf_alloc(Sdf *s, const VpGridOptions *options, VpError *err)
{
  const VpGrid *grid = s->grid;
  size_t n = vp_grid_voxel_count(grid);
  s->threads = thread_count(options, grid);
  s->blocks = (grid->dims[0] + COLUMN_BLOCK - 1) / COLUMN_BLOCK;
  s->h2 = nextafterf((float)(grid->spacing_mm * grid->spacing_mm), INFINITY);
  s->site = malloc(n * sizeof *s->site);
  s->near = malloc(n);
  s->tris = malloc((size_t)s->bvh->triangle_count * sizeof *s->tris);
  s->box = malloc((size_t)s->bvh->triangle_count * sizeof *s->box);
  s->in_band = calloc(slab_count(grid), sizeof *s->in_band);
  s->scratch = calloc((size_t)s->threads, sizeof *s->scratch);
  bool ok = s->site && s->near && s->tris && s->box && s->in_band && s->scratch;
  for (int t = 0; ok && t < s->threads; t++)
    ok = scratch_init(&s->scratch[t], grid);
  return ok || vp_error_set(err, VP_ERR_NOMEM, _("out of memory for the distance transform"));
}

static void sdf_free(Sdf *s)
{
  for (int t = 0; s->scratch && t < s->threads; t++)
    scratch_clear(&s->scratch[t]);
  free(s->scratch);
  free(s->in_band);
  free(s->box);
  free(s->tris);
  free(s->near);
  free(s->site);
}

/* Occupancy for the sign; then, on the worker threads, exact distances in
 * the band and the feature transform beyond it; then sweeps near the band. */
static bool sdf_fill(VpGrid *grid, const VpBvh *bvh, const VpGridOptions *options,
                     VpVoxelReport *report, VpError *err)
{
  TriSource src = {bvh->corners, NULL, bvh->triangle_count};
  if (!occupancy_fill(grid, &src, report, err))
    return false;
  Sdf s = {.grid = grid, .bvh = bvh};
  bool ok = sdf_alloc(&s, options, err);
  if (ok) {
    for (uint32_t slot = 0; slot < bvh->triangle_count; slot++) {
      s.tris[slot] = tri_make(bvh, slot);
      tri_box(grid, bvh, slot, s.box[slot]);
    }
    pool_run(s.threads, slab_run, &s, slab_count(grid));
    pool_run(s.threads, columns_run, &s, (size_t)grid->dims[1]);
    pool_run(s.threads, sweep_plane, &s, (size_t)grid->dims[2]);
    pool_run(s.threads, sweep_columns, &s, (size_t)grid->dims[1]);
    for (size_t i = 0; i < slab_count(grid); i++)
      report->band_voxels += s.in_band[i];
  }
  sdf_free(&s);
  return ok;
}

static VpBox3 bvh_bounds(const VpBvh *bvh)
{
  const VpBvhNode *root = &bvh->nodes[0];
  return (VpBox3){vp_vec3(root->min[0], root->min[1], root->min[2]),
                  vp_vec3(root->max[0], root->max[1], root->max[2])};
}

bool vp_grid_compute_sdf(const VpBvh *bvh, const VpGridOptions *options, VpGrid *out,
                         VpVoxelReport *report, VpError *err)
{
  VpVoxelReport scratch;
  report = report ? report : &scratch;
  *report = (VpVoxelReport){0};
  *out = (VpGrid){0};
  if (!bvh || bvh->triangle_count == 0)
    return vp_error_set(err, VP_ERR_INVALID,
                        _("the mesh has no triangles to measure distances to"));
  if (bvh->triangle_count > MAX_SLOTS) {
    char count[32], limit[32];
    return vp_error_set(err, VP_ERR_LIMIT,
                        _("a distance field takes at most %s triangles, not %s; simplify the mesh"),
                        vp_format_count(MAX_SLOTS, limit),
                        vp_format_count(bvh->triangle_count, count));
  }
  VpGridOptions o = options ? *options : vp_grid_options_default();
  if (!grid_prepare(out, bvh_bounds(bvh), &o, true, err))
    return false;
  if (sdf_fill(out, bvh, &o, report, err))
    return true;
  vp_grid_clear(out);
  return false;
}
