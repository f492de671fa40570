/* World grids from closed surfaces: scanline-parity occupancy and a signed
 * distance field (exact near the surface, feature transform elsewhere). */
#include "vp-voxel.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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
  return (VpGridOptions){.spacing_mm = 0.5, .margin_mm = 2.0, .max_voxels = VP_GRID_MAX_VOXELS};
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
#define BAND_PENDING (-2)
/* Voxels this close to the band, in voxels, are refined by the sweeps. */
#define NEAR_VOXELS 3

/* Features are triangles, named by their BVH slot (leaf order) so corners
 * come from one contiguous array. site holds, per voxel, BAND_PENDING while
 * marking, then the slot of the nearest triangle known, or NO_SITE. */
typedef struct Band {
  const VpBvh *bvh;
  int32_t *site;
  uint32_t *slot_of; /* mesh triangle -> slot */
  size_t count;      /* voxels given exact distances */
} Band;

static double slot_distance2(const VpBvh *bvh, int32_t slot, VpVec3 p)
{
  const float *c = bvh->corners + 9 * (size_t)slot;
  VpVec3 q = vp_triangle_closest_point(p, vp_vec3(c[0], c[1], c[2]), vp_vec3(c[3], c[4], c[5]),
                                       vp_vec3(c[6], c[7], c[8]), NULL, NULL);
  VpVec3 d = vp_vec3_sub(p, q);
  return vp_vec3_dot(d, d);
}

/* Marks the voxels within one spacing of the triangle (and a few more):
 * those in its box grown by a spacing and within a spacing of its plane. */
static void band_mark_triangle(const VpGrid *grid, const VpVec3 c[3], int32_t *site)
{
  double h = grid->spacing_mm;
  VpVec3 n = vp_vec3_cross(vp_vec3_sub(c[1], c[0]), vp_vec3_sub(c[2], c[0]));
  double reach = h * vp_vec3_length(n) * (1.0 + 1e-9); /* n is not normalised */
  int r[3][2];
  for (int k = 0; k < 3; k++) {
    double lo = min3(vec_at(c[0], k), vec_at(c[1], k), vec_at(c[2], k)) - h;
    double hi = max3(vec_at(c[0], k), vec_at(c[1], k), vec_at(c[2], k)) + h;
    axis_range(grid, k, lo, hi, &r[k][0], &r[k][1]);
  }
  for (int k = r[2][0]; k <= r[2][1]; k++)
    for (int j = r[1][0]; j <= r[1][1]; j++)
      for (int i = r[0][0]; i <= r[0][1]; i++) {
        VpVec3 p = vp_grid_voxel_center(grid, i, j, k);
        if (fabs(vp_vec3_dot(n, vp_vec3_sub(p, c[0]))) <= reach)
          site[vp_grid_index(grid, i, j, k)] = BAND_PENDING;
      }
}

/* Closest triangle to p and its squared distance. The previous band voxel
 * is usually a neighbour, so its triangle gives a tight bound that prunes
 * most of the tree; when nothing beats it, it is the answer. */
static int32_t band_query(const Band *band, VpVec3 p, int32_t previous, double *d2)
{
  VpClosestPoint cp = {0};
  if (previous >= 0) {
    *d2 = slot_distance2(band->bvh, previous, p);
    if (!vp_bvh_closest_point(band->bvh, p, sqrt(*d2) * (1.0 + 1e-12), &cp))
      return previous;
  } else {
    vp_bvh_closest_point(band->bvh, p, INFINITY, &cp);
  }
  *d2 = cp.distance_mm * cp.distance_mm;
  return (int32_t)band->slot_of[cp.triangle];
}

/* Gives every marked voxel its closest triangle from the BVH. Marking is
 * generous (a box and a slab), so voxels found farther than a spacing from
 * the surface are unmarked again: as sites they would hand their triangle
 * to voxels that it does not suit. */
static void band_solve(const VpGrid *grid, Band *band)
{
  double h2 = grid->spacing_mm * grid->spacing_mm;
  int32_t previous = NO_SITE;
  for (int k = 0; k < grid->dims[2]; k++)
    for (int j = 0; j < grid->dims[1]; j++)
      for (int i = 0; i < grid->dims[0]; i++) {
        size_t v = vp_grid_index(grid, i, j, k);
        if (band->site[v] != BAND_PENDING)
          continue;
        double d2;
        previous = band_query(band, vp_grid_voxel_center(grid, i, j, k), previous, &d2);
        band->site[v] = d2 <= h2 ? previous : NO_SITE;
        band->count += d2 <= h2;
      }
}

static bool band_init(const VpGrid *grid, const VpBvh *bvh, Band *band, VpError *err)
{
  size_t n = vp_grid_voxel_count(grid);
  band->bvh = bvh;
  band->site = malloc(n * sizeof *band->site);
  band->slot_of = malloc((size_t)bvh->triangle_count * sizeof *band->slot_of);
  if (!band->site || !band->slot_of)
    return vp_error_set(err, VP_ERR_NOMEM, _("out of memory for the distance band"));
  for (uint32_t s = 0; s < bvh->triangle_count; s++)
    band->slot_of[bvh->triangles[s]] = s;
  for (size_t v = 0; v < n; v++)
    band->site[v] = NO_SITE;
  TriSource src = {bvh->corners, NULL, bvh->triangle_count};
  for (uint32_t t = 0; t < src.count; t++) {
    VpVec3 c[3];
    tri_corners(&src, t, c);
    band_mark_triangle(grid, c, band->site);
  }
  band_solve(grid, band);
  return true;
}

/* One line of the Euclidean distance transform (Felzenszwalb and
 * Huttenlocher 2012): the lower envelope of parabolas (x - q)^2 + f(q) over
 * the sites with finite f, carrying each site's feature along. */
typedef struct Line {
  double *f;     /* in: squared distance so far (INFINITY: none); out: updated */
  int32_t *feat; /* in/out: feature of the nearest site */
  int *v;        /* scratch: parabola sites */
  double *z;     /* scratch: envelope breakpoints, n + 1 */
  double *f_in;
  int32_t *feat_in;
} Line;

static void edt_line(Line *l, int n)
{
  memcpy(l->f_in, l->f, (size_t)n * sizeof *l->f);
  memcpy(l->feat_in, l->feat, (size_t)n * sizeof *l->feat);
  int k = -1;
  for (int q = 0; q < n; q++) {
    if (l->f_in[q] == INFINITY)
      continue;
    double s = -INFINITY;
    while (k >= 0) {
      int p = l->v[k];
      s = ((l->f_in[q] + (double)q * q) - (l->f_in[p] + (double)p * p)) / (2.0 * (q - p));
      if (s > l->z[k])
        break;
      k--;
    }
    k++;
    l->v[k] = q;
    l->z[k] = k == 0 ? -INFINITY : s;
    l->z[k + 1] = INFINITY;
  }
  for (int q = 0, m = 0; q < n; q++) {
    if (k < 0) {
      l->f[q] = INFINITY;
      l->feat[q] = NO_SITE;
      continue;
    }
    while (l->z[m + 1] < q)
      m++;
    int p = l->v[m];
    l->f[q] = (double)(q - p) * (q - p) + l->f_in[p];
    l->feat[q] = l->feat_in[p];
  }
}

/* Runs edt_line over every line along axis, gathering it from the grid. */
static void edt_axis(const VpGrid *grid, int axis, float *g, int32_t *site, Line *l)
{
  int n = grid->dims[axis], a = (axis + 1) % 3, b = (axis + 2) % 3;
  size_t stride =
      axis == 0 ? 1 : (axis == 1 ? (size_t)grid->dims[0] : (size_t)grid->dims[0] * grid->dims[1]);
  for (int jb = 0; jb < grid->dims[b]; jb++)
    for (int ja = 0; ja < grid->dims[a]; ja++) {
      int ijk[3];
      ijk[axis] = 0;
      ijk[a] = ja;
      ijk[b] = jb;
      size_t base = vp_grid_index(grid, ijk[0], ijk[1], ijk[2]);
      for (int q = 0; q < n; q++) {
        l->f[q] = g[base + q * stride];
        l->feat[q] = site[base + q * stride];
      }
      edt_line(l, n);
      for (int q = 0; q < n; q++) {
        g[base + q * stride] = (float)l->f[q];
        site[base + q * stride] = l->feat[q];
      }
    }
}

static bool line_init(Line *l, int n)
{
  size_t m = (size_t)n + 1;
  l->f = malloc(m * sizeof *l->f);
  l->f_in = malloc(m * sizeof *l->f_in);
  l->z = malloc(m * sizeof *l->z);
  l->v = malloc(m * sizeof *l->v);
  l->feat = malloc(m * sizeof *l->feat);
  l->feat_in = malloc(m * sizeof *l->feat_in);
  return l->f && l->f_in && l->z && l->v && l->feat && l->feat_in;
}

static void line_clear(Line *l)
{
  free(l->f);
  free(l->f_in);
  free(l->z);
  free(l->v);
  free(l->feat);
  free(l->feat_in);
}

/* Feature transform: afterwards every voxel carries the triangle of its
 * nearest band voxel. The grid's values hold squared distances in voxels
 * meanwhile. */
static bool feature_transform(VpGrid *grid, int32_t *site, VpError *err)
{
  int longest = grid->dims[0];
  for (int k = 1; k < 3; k++)
    longest = grid->dims[k] > longest ? grid->dims[k] : longest;
  Line l = {0};
  bool ok = line_init(&l, longest);
  if (ok) {
    size_t n = vp_grid_voxel_count(grid);
    for (size_t v = 0; v < n; v++)
      grid->values[v] = site[v] >= 0 ? 0.0f : INFINITY;
    for (int axis = 0; axis < 3; axis++)
      edt_axis(grid, axis, grid->values, site, &l);
  }
  line_clear(&l);
  return ok || vp_error_set(err, VP_ERR_NOMEM, _("out of memory for the distance transform"));
}

/* Squared distance of every voxel to its feature triangle, into values, and
 * which voxels lie near enough to the band to be refined. */
static void distances_init(VpGrid *grid, const Band *band, uint8_t *near)
{
  for (int k = 0; k < grid->dims[2]; k++)
    for (int j = 0; j < grid->dims[1]; j++)
      for (int i = 0; i < grid->dims[0]; i++) {
        size_t v = vp_grid_index(grid, i, j, k);
        int32_t f = band->site[v];
        near[v] = grid->values[v] > 0.0f && grid->values[v] <= NEAR_VOXELS * NEAR_VOXELS;
        VpVec3 p = vp_grid_voxel_center(grid, i, j, k);
        grid->values[v] = f >= 0 ? (float)slot_distance2(band->bvh, f, p) : INFINITY;
      }
}

/* Offers voxel v the triangle of neighbour n; keeps it when nearer. */
static void adopt(VpGrid *grid, const Band *band, VpVec3 p, size_t v, size_t n)
{
  int32_t f = band->site[n];
  if (f < 0 || f == band->site[v])
    return;
  double d2 = slot_distance2(band->bvh, f, p);
  if (d2 < grid->values[v]) {
    grid->values[v] = (float)d2;
    band->site[v] = f;
  }
}

/* One raster sweep of closest-triangle propagation (dir +1 forward, -1
 * backward) over the voxels near the band: each is offered the triangles of
 * its three neighbours already visited. The feature transform picks the
 * nearest band voxel centre, and on the staircase of centres that voxel's
 * triangle may lie to the side; the sweeps carry better ones along. */
static void sweep(VpGrid *grid, const Band *band, const uint8_t *near, int dir)
{
  const int nx = grid->dims[0], ny = grid->dims[1], nz = grid->dims[2];
  const size_t sy = (size_t)nx, sz = (size_t)nx * ny;
  for (int kk = 0; kk < nz; kk++)
    for (int jj = 0; jj < ny; jj++)
      for (int ii = 0; ii < nx; ii++) {
        int i = dir > 0 ? ii : nx - 1 - ii, j = dir > 0 ? jj : ny - 1 - jj;
        int k = dir > 0 ? kk : nz - 1 - kk;
        size_t v = vp_grid_index(grid, i, j, k);
        if (!near[v])
          continue;
        VpVec3 p = vp_grid_voxel_center(grid, i, j, k);
        if (i - dir >= 0 && i - dir < nx)
          adopt(grid, band, p, v, dir > 0 ? v - 1 : v + 1);
        if (j - dir >= 0 && j - dir < ny)
          adopt(grid, band, p, v, dir > 0 ? v - sy : v + sy);
        if (k - dir >= 0 && k - dir < nz)
          adopt(grid, band, p, v, dir > 0 ? v - sz : v + sz);
      }
}

/* From squared unsigned distances to signed millimetres. */
static void apply_sign(VpGrid *grid)
{
  size_t n = vp_grid_voxel_count(grid);
  for (size_t v = 0; v < n; v++) {
    float d = sqrtf(grid->values[v]);
    grid->values[v] = grid->mask[v] ? -d : d;
  }
}

/* Occupancy for the sign, exact distances in the band, the feature
 * transform beyond it, then sweeps near the band. */
static bool sdf_fill(VpGrid *grid, const VpBvh *bvh, VpVoxelReport *report, VpError *err)
{
  TriSource src = {bvh->corners, NULL, bvh->triangle_count};
  if (!occupancy_fill(grid, &src, report, err))
    return false;
  Band band = {0};
  uint8_t *near = malloc(vp_grid_voxel_count(grid));
  bool ok = near || vp_error_set(err, VP_ERR_NOMEM, _("out of memory for the distance transform"));
  ok = ok && band_init(grid, bvh, &band, err) && feature_transform(grid, band.site, err);
  if (ok) {
    distances_init(grid, &band, near);
    sweep(grid, &band, near, 1);
    sweep(grid, &band, near, -1);
    apply_sign(grid);
  }
  report->band_voxels = band.count;
  free(near);
  free(band.site);
  free(band.slot_of);
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
  if (!grid_prepare(out, bvh_bounds(bvh), options, true, err))
    return false;
  if (sdf_fill(out, bvh, report, err))
    return true;
  vp_grid_clear(out);
  return false;
}
