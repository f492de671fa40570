/* Tests of world grids: geometry helpers, trilinear sampling, scanline
 * occupancy and signed distance fields against a cube and an icosphere with
 * analytic answers, and refusal of bad or oversized requests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vp-voxel.h"
#include "vp-test-shapes.h"

/* ---- fixtures (the same shapes as test-bvh.c) ---- */

/* Icosahedron subdivided `levels` times, corners on the sphere of radius r. */

/* Smallest distance from the centre to a face plane: the polyhedron lies
 * between this radius and r. */
static double inradius(const VpMesh *m)
{
  double best = INFINITY;
  for (uint32_t t = 0; t < m->triangle_count; t++) {
    VpVec3 c[3];
    for (int k = 0; k < 3; k++) {
      const float *q = m->positions + 3 * m->indices[3 * t + k];
      c[k] = vp_vec3(q[0], q[1], q[2]);
    }
    VpVec3 n = vp_vec3_normalize(vp_vec3_cross(vp_vec3_sub(c[1], c[0]), vp_vec3_sub(c[2], c[0])));
    best = fmin(best, vp_vec3_dot(n, c[0]));
  }
  return best;
}

/* Hexagonal prism of radius r and length len along axis: its long side
 * triangles are slivers whose bounding boxes reach far from the surface. */
static void prism_fill(VpMesh *m, uint32_t first_vertex, uint32_t first_triangle, double r,
                       double len, VpVec3 axis, VpVec3 centre)
{
  VpVec3 a = vp_vec3_normalize(axis);
  VpVec3 u = vp_vec3_normalize(vp_vec3_cross(a, vp_vec3(0.3, 0.1, 1))), w = vp_vec3_cross(a, u);
  for (int e = 0; e < 2; e++) {
    VpVec3 c = vp_vec3_add(centre, vp_vec3_scale(a, (e ? 0.5 : -0.5) * len));
    for (int i = 0; i <= 6; i++) { /* six rim corners, then the cap centre */
      double t = i * VP_PI / 3, rr = i < 6 ? r : 0.0;
      VpVec3 p =
          vp_vec3_add(c, vp_vec3_add(vp_vec3_scale(u, rr * cos(t)), vp_vec3_scale(w, rr * sin(t))));
      float *q = m->positions + 3 * (first_vertex + 7 * e + i);
      q[0] = (float)p.x;
      q[1] = (float)p.y;
      q[2] = (float)p.z;
    }
  }
  uint32_t *ix = m->indices + 3 * first_triangle, o = first_vertex;
  for (uint32_t i = 0; i < 6; i++) {
    uint32_t j = (i + 1) % 6;
    const uint32_t t[12] = {i, 7 + j, j, i, 7 + i, 7 + j, 6, j, i, 13, 7 + i, 7 + j};
    for (int k = 0; k < 12; k++)
      *ix++ = o + t[k];
  }
}

/* Two disjoint thin prisms on crossing diagonals: the gap between them is
 * cut by the planes of each other's slivers. */
static VpMesh *prisms_new(void)
{
  VpMesh *m = vp_mesh_new(28, 48, NULL);
  prism_fill(m, 0, 0, 1.0, 24, vp_vec3(1, 1, 1), vp_vec3(0, 0, 0));
  prism_fill(m, 14, 24, 1.0, 24, vp_vec3(-1, 1, 1), vp_vec3(2.5, -2.5, 0));
  return m;
}

/* Exact signed distance to the box [-h, h]^3. */
static double box_sdf(VpVec3 p, double h)
{
  double qx = fabs(p.x) - h, qy = fabs(p.y) - h, qz = fabs(p.z) - h;
  double outside =
      sqrt(fmax(qx, 0) * fmax(qx, 0) + fmax(qy, 0) * fmax(qy, 0) + fmax(qz, 0) * fmax(qz, 0));
  return outside + fmin(fmax(qx, fmax(qy, qz)), 0.0);
}

static VpGridOptions options(double spacing_mm, double margin_mm)
{
  VpGridOptions o = vp_grid_options_default();
  o.spacing_mm = spacing_mm;
  o.margin_mm = margin_mm;
  return o;
}

static const VpBox3 unit_box = {{-1, -1, -1}, {1, 1, 1}};

/* ---- geometry ---- */

static void test_fit_box_centres_grid_and_covers_margin(void **state)
{
  VpGrid g;
  assert_true(vp_grid_fit_box(&g, unit_box, 0.25, 0.5, VP_GRID_MAX_VOXELS, NULL));
  assert_int_equal(g.dims[0], 13); /* (2 + 2 * 0.5) / 0.25 + 1 */
  assert_float_equal(g.origin_mm[0], -1.5, 1e-12);
  VpVec3 last = vp_grid_voxel_center(&g, 12, 12, 12);
  assert_float_equal(last.z, 1.5, 1e-12);
  assert_null(g.values);
  assert_null(g.mask);
}

static void test_fit_box_refuses_grid_over_the_cap(void **state)
{
  VpGrid g;
  VpError err;
  assert_false(vp_grid_fit_box(&g, unit_box, 0.25, 0.5, 13 * 13 * 13 - 1, &err));
  assert_int_equal(err.code, VP_ERR_LIMIT);
  assert_non_null(strstr(err.message, "13 x 13 x 13"));
  assert_int_equal(g.dims[0], 0);
  assert_true(vp_grid_fit_box(&g, unit_box, 0.25, 0.5, 13 * 13 * 13, &err));
}

static void test_fit_box_rejects_bad_spacing_and_margin(void **state)
{
  VpGrid g;
  VpError err;
  const double bad[] = {0.0, -0.5, NAN, INFINITY};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    assert_false(vp_grid_fit_box(&g, unit_box, bad[i], 1.0, VP_GRID_MAX_VOXELS, &err));
    assert_int_equal(err.code, VP_ERR_INVALID);
    assert_non_null(strstr(err.message, "spacing"));
  }
  assert_false(vp_grid_fit_box(&g, unit_box, 0.5, -1.0, VP_GRID_MAX_VOXELS, &err));
  assert_non_null(strstr(err.message, "margin"));
  assert_false(vp_grid_fit_box(&g, vp_box3_empty(), 0.5, 1.0, VP_GRID_MAX_VOXELS, &err));
  assert_int_equal(err.code, VP_ERR_INVALID);
}

static void test_world_and_index_round_trip(void **state)
{
  VpGrid g;
  assert_true(vp_grid_fit_box(&g, unit_box, 0.3, 0.2, VP_GRID_MAX_VOXELS, NULL));
  VpVec3 p = vp_grid_voxel_center(&g, 2, 3, 4);
  VpVec3 idx = vp_grid_world_to_index(&g, p);
  assert_float_equal(idx.x, 2.0, 1e-12);
  assert_float_equal(idx.y, 3.0, 1e-12);
  assert_float_equal(idx.z, 4.0, 1e-12);
  int ijk[3];
  assert_true(vp_grid_voxel_at(&g, vp_vec3_add(p, vp_vec3(0.14, -0.14, 0.1)), ijk));
  assert_int_equal(ijk[0], 2);
  assert_int_equal(ijk[1], 3);
  assert_int_equal(ijk[2], 4);
  assert_false(vp_grid_voxel_at(&g, vp_vec3(50, 0, 0), ijk));
  assert_false(vp_grid_voxel_at(&g, vp_vec3(NAN, 0, 0), ijk));
}

/* Trilinear interpolation reproduces a linear field exactly inside the grid
 * and holds the border value beyond it. */
static void test_sample_is_exact_for_linear_field_and_clamps(void **state)
{
  VpGrid g;
  assert_true(vp_grid_fit_box(&g, unit_box, 0.5, 0.0, VP_GRID_MAX_VOXELS, NULL));
  g.values = malloc(vp_grid_voxel_count(&g) * sizeof *g.values);
  for (int k = 0; k < g.dims[2]; k++)
    for (int j = 0; j < g.dims[1]; j++)
      for (int i = 0; i < g.dims[0]; i++) {
        VpVec3 p = vp_grid_voxel_center(&g, i, j, k);
        g.values[vp_grid_index(&g, i, j, k)] = (float)(2 * p.x - p.y + 0.5 * p.z + 1);
      }
  assert_float_equal(vp_grid_sample(&g, vp_vec3(0.3, -0.7, 0.45)), 2 * 0.3 + 0.7 + 0.225 + 1, 1e-6);
  assert_float_equal(vp_grid_sample(&g, vp_vec3(5, 0, 0)), 2 * 1 + 1, 1e-6);
  assert_true(isnan(vp_grid_sample(&g, vp_vec3(NAN, 0, 0))));
  vp_grid_clear(&g);
  assert_true(isnan(vp_grid_sample(&g, vp_vec3(0, 0, 0))));
}

/* ---- occupancy ---- */

static void test_voxelize_rejects_mesh_without_triangles(void **state)
{
  VpMesh empty = {0};
  VpGrid g;
  VpError err;
  assert_false(vp_grid_voxelize(&empty, NULL, &g, NULL, &err));
  assert_int_equal(err.code, VP_ERR_INVALID);
  assert_non_null(strstr(err.message, "no triangles"));
  assert_null(g.mask);
}

/* 1e-4 mm voxels over a 20 mm sphere would be 8e15 voxels: refused before
 * anything is allocated (under ASan an attempt would abort the test). */
static void test_voxelize_refuses_huge_grid_without_allocating(void **state)
{
  VpMesh *m = vp_test_icosphere_new(10, 1);
  VpGrid g;
  VpError err;
  VpGridOptions o = options(1e-4, 0);
  assert_false(vp_grid_voxelize(m, &o, &g, NULL, &err));
  assert_int_equal(err.code, VP_ERR_LIMIT);
  assert_non_null(strstr(err.message, "coarser spacing"));
  assert_null(g.mask);
  assert_int_equal(vp_grid_voxel_count(&g), 0);
  vp_mesh_free(m);
}

static void test_voxelize_rejects_nan_corner(void **state)
{
  VpMesh *m = vp_test_cube_new(1);
  m->positions[4] = NAN;
  VpGrid g;
  VpError err;
  assert_false(vp_grid_voxelize(m, NULL, &g, NULL, &err));
  assert_int_equal(err.code, VP_ERR_INVALID);
  assert_non_null(strstr(err.message, "vertex 2"));
  vp_mesh_free(m);
}

/* Compares every voxel of a cube's mask with the analytic answer; centres
 * lying on a face may go either way. */
static void check_cube_mask(const VpGrid *g, double h)
{
  for (int k = 0; k < g->dims[2]; k++)
    for (int j = 0; j < g->dims[1]; j++)
      for (int i = 0; i < g->dims[0]; i++) {
        VpVec3 p = vp_grid_voxel_center(g, i, j, k);
        double m = fmax(fabs(p.x), fmax(fabs(p.y), fabs(p.z)));
        if (fabs(m - h) < 1e-9)
          continue;
        assert_int_equal(g->mask[vp_grid_index(g, i, j, k)], m < h);
      }
}

static void test_voxelize_cube_matches_analytic_mask(void **state)
{
  VpMesh *m = vp_test_cube_new(1);
  VpGrid g;
  VpVoxelReport report;
  VpGridOptions o = options(0.3, 0.4);
  assert_true(vp_grid_voxelize(m, &o, &g, &report, NULL));
  assert_null(g.values);
  check_cube_mask(&g, 1);
  assert_int_equal(report.odd_rows, 0);
  vp_grid_clear(&g);
  vp_mesh_free(m);
}

/* With 0.25 mm voxels rows run exactly through the face diagonals (y = z
 * on the x faces) and along the cube's edges. A naive crossing test counts
 * both triangles at a diagonal and leaves those rows empty. */
static void test_voxelize_rows_through_edges_and_diagonals(void **state)
{
  VpMesh *m = vp_test_cube_new(1);
  VpGrid g;
  VpVoxelReport report;
  VpGridOptions o = options(0.25, 0.5);
  assert_true(vp_grid_voxelize(m, &o, &g, &report, NULL));
  assert_float_equal(g.origin_mm[1], -1.5, 1e-12); /* centres hit +-1 and 0 exactly */
  check_cube_mask(&g, 1);
  assert_int_equal(report.odd_rows, 0);
  /* Centres on the faces go to one side of each pair of faces only, as a
   * rasterizer's top-left rule does: 7 inside + 1 per axis, so the count is
   * exactly the cube's volume. Counting both sides or neither would not be. */
  assert_float_equal(vp_grid_mask_volume_mm3(&g), 8.0, 1e-12);
  vp_grid_clear(&g);
  vp_mesh_free(m);
}

/* Counting voxel centres inside a sphere of radius 10 at 0.5 mm: the error
 * is about the surface times a small fraction of a voxel, well under 1 %;
 * the polyhedron itself is 0.3 % smaller than the sphere. 2 % leaves room. */
static void test_voxelize_sphere_volume_close_to_analytic(void **state)
{
  const double r = 10;
  VpMesh *m = vp_test_icosphere_new(r, 4);
  VpGrid g;
  VpVoxelReport report;
  assert_true(vp_grid_voxelize(m, NULL, &g, &report, NULL));
  double exact = 4.0 / 3.0 * VP_PI * r * r * r;
  assert_float_equal(vp_grid_mask_volume_mm3(&g) / exact, 1.0, 0.02);
  assert_int_equal(report.odd_rows, 0);
  assert_float_equal(g.spacing_mm, 0.5, 0);
  vp_grid_clear(&g);
  vp_mesh_free(m);
}

static void test_voxelize_reports_rows_through_a_hole(void **state)
{
  VpMesh *m = vp_test_cube_new(1);
  memcpy(m->indices + 6, m->indices + 33, 3 * sizeof *m->indices);
  m->triangle_count = 11; /* half of the +x face is gone */
  VpGrid g;
  VpVoxelReport report;
  VpGridOptions o = options(0.3, 0.4);
  assert_true(vp_grid_voxelize(m, &o, &g, &report, NULL));
  assert_true(report.odd_rows > 0);
  vp_grid_clear(&g);
  vp_mesh_free(m);
}

/* ---- signed distance ---- */

typedef struct SdfFixture {
  VpMesh *mesh;
  VpBvh *bvh;
  VpGrid grid;
  VpVoxelReport report;
  double r, rho; /* sphere radius and the polyhedron's inradius */
} SdfFixture;

static int sphere_sdf_setup(void **state)
{
  SdfFixture *f = calloc(1, sizeof *f);
  f->r = 10;
  f->mesh = vp_test_icosphere_new(f->r, 4);
  f->rho = inradius(f->mesh);
  f->bvh = vp_bvh_build(f->mesh, NULL);
  assert_non_null(f->bvh);
  assert_true(vp_grid_compute_sdf(f->bvh, NULL, &f->grid, &f->report, NULL));
  *state = f;
  return 0;
}

static int cube_sdf_setup(void **state)
{
  SdfFixture *f = calloc(1, sizeof *f);
  f->r = 1;
  f->mesh = vp_test_cube_new(1);
  f->bvh = vp_bvh_build(f->mesh, NULL);
  VpGridOptions o = options(0.1, 0.5);
  assert_true(vp_grid_compute_sdf(f->bvh, &o, &f->grid, &f->report, NULL));
  *state = f;
  return 0;
}

static int sdf_teardown(void **state)
{
  SdfFixture *f = *state;
  vp_grid_clear(&f->grid);
  vp_bvh_free(f->bvh);
  vp_mesh_free(f->mesh);
  free(f);
  return 0;
}

static void test_sdf_rejects_missing_bvh(void **state)
{
  VpGrid g;
  VpError err;
  assert_false(vp_grid_compute_sdf(NULL, NULL, &g, NULL, &err));
  assert_int_equal(err.code, VP_ERR_INVALID);
  assert_null(g.values);
}

static void test_sdf_refuses_huge_grid_without_allocating(void **state)
{
  VpMesh *m = vp_test_cube_new(1);
  VpBvh *b = vp_bvh_build(m, NULL);
  VpGrid g;
  VpError err;
  VpGridOptions o = options(0.001, 0);
  assert_false(vp_grid_compute_sdf(b, &o, &g, NULL, &err));
  assert_int_equal(err.code, VP_ERR_LIMIT);
  assert_null(g.values);
  assert_null(g.mask);
  vp_bvh_free(b);
  vp_mesh_free(m);
}

static void test_sdf_sign_is_negative_inside_positive_outside(void **state)
{
  SdfFixture *f = *state;
  assert_true(vp_grid_sample(&f->grid, vp_vec3(0, 0, 0)) < 0);
  assert_true(vp_grid_sample(&f->grid, vp_vec3(0, 0, 0.95 * f->r)) < 0);
  assert_true(vp_grid_sample(&f->grid, vp_vec3(0, 1.05 * f->r, 0)) > 0);
  assert_true(f->grid.values[0] > 0); /* a corner of the grid */
  assert_non_null(f->grid.mask);
}

/* Every voxel against |p| - r. The polyhedron lies between rho and r, so
 * its exact distance is within r - rho (0.015 mm) of the sphere's. Voxels
 * within a spacing of the surface are exact; elsewhere the feature transform
 * may overestimate, by under half a spacing on spheres (documented). */
static void test_sdf_matches_sphere_distance_at_every_voxel(void **state)
{
  SdfFixture *f = *state;
  const VpGrid *g = &f->grid;
  const double h = g->spacing_mm, approx = f->r - f->rho + 1e-5;
  for (int k = 0; k < g->dims[2]; k++)
    for (int j = 0; j < g->dims[1]; j++)
      for (int i = 0; i < g->dims[0]; i++) {
        VpVec3 p = vp_grid_voxel_center(g, i, j, k);
        double sphere = vp_vec3_length(p) - f->r;
        double err = fabs(g->values[vp_grid_index(g, i, j, k)] - sphere);
        assert_true(err <= (fabs(sphere) < h - approx ? approx : approx + 0.5 * h));
      }
}

/* Against the exact distance from the BVH: equal within a spacing of the
 * surface, at most 0.35 spacing above within three (the sweeps), and never
 * below anywhere, since every value is the distance to some triangle. */
static void test_sdf_is_exact_near_surface_and_never_underestimates(void **state)
{
  SdfFixture *f = *state;
  const VpGrid *g = &f->grid;
  const double h = g->spacing_mm;
  for (int k = 0; k < g->dims[2]; k += 2)
    for (int j = 0; j < g->dims[1]; j++)
      for (int i = 0; i < g->dims[0]; i++) {
        VpVec3 p = vp_grid_voxel_center(g, i, j, k);
        VpClosestPoint cp;
        assert_true(vp_bvh_closest_point(f->bvh, p, INFINITY, &cp));
        double value = fabs(g->values[vp_grid_index(g, i, j, k)]);
        assert_true(value >= cp.distance_mm - 1e-5);
        double d = cp.distance_mm;
        assert_true(value <= d + (d < h ? 1e-5 : (d < 3 * h ? 0.35 * h : 0.5 * h)));
      }
}

/* Between voxels, trilinear interpolation of |p| - r adds at most about
 * 3 h^2 / (8 |p|) (curvature 1/|p|): under 0.02 mm at 5 mm from the centre;
 * on top of the voxel values' own half-spacing bound. */
static void test_sdf_sampled_between_voxels_matches_sphere(void **state)
{
  SdfFixture *f = *state;
  uint64_t s = 99;
  for (int n = 0; n < 500; n++) {
    double c[3];
    for (int k = 0; k < 3; k++) {
      s ^= s << 13, s ^= s >> 7, s ^= s << 17;
      c[k] = ((double)(s >> 11) / (double)(1ull << 52) - 1.0) * 1.2 * f->r;
    }
    VpVec3 p = vp_vec3(c[0], c[1], c[2]);
    if (vp_vec3_length(p) < 5)
      continue;
    double tolerance = 0.5 * f->grid.spacing_mm + 0.02 + (f->r - f->rho);
    assert_float_equal(vp_grid_sample(&f->grid, p), vp_vec3_length(p) - f->r, tolerance);
  }
}

/* The band holds the voxels within one spacing of the surface: about two
 * layers of the sphere's area (a few more at triangle corners), not the
 * whole grid. */
static void test_sdf_band_is_a_thin_shell(void **state)
{
  SdfFixture *f = *state;
  double shell = 4 * VP_PI * f->r * f->r / (0.5 * 0.5);
  assert_true(f->report.band_voxels > 1.5 * shell);
  assert_true(f->report.band_voxels < 4.0 * shell);
  assert_int_equal(f->report.odd_rows, 0);
  assert_true(f->rho < f->r);
}

/* The cube has sharp edges and corners and a medial axis inside: every
 * voxel within half a spacing of the exact box distance, and exact within
 * one spacing of the faces. */
static void test_sdf_matches_cube_distance_at_every_voxel(void **state)
{
  SdfFixture *f = *state;
  const VpGrid *g = &f->grid;
  for (int k = 0; k < g->dims[2]; k++)
    for (int j = 0; j < g->dims[1]; j++)
      for (int i = 0; i < g->dims[0]; i++) {
        VpVec3 p = vp_grid_voxel_center(g, i, j, k);
        if (fabs(box_sdf(p, 1)) < 1e-9)
          continue; /* on a face: either sign */
        double exact = box_sdf(p, 1), h = g->spacing_mm;
        double tolerance = fabs(exact) < h ? 1e-6 : 0.5 * h;
        assert_float_equal(g->values[vp_grid_index(g, i, j, k)], exact, tolerance);
      }
}

/* Voxels far from the surface can be marked for the band by the box of a
 * sliver; left as sites they handed their triangle on and put voxels in the
 * gap several millimetres off. Everywhere within a spacing of exact. */
static void test_sdf_between_thin_oblique_prisms_stays_within_a_spacing(void **state)
{
  VpMesh *m = prisms_new();
  VpBvh *b = vp_bvh_build(m, NULL);
  VpGrid g;
  VpVoxelReport report;
  assert_true(vp_grid_compute_sdf(b, NULL, &g, &report, NULL));
  assert_int_equal(report.odd_rows, 0);
  for (int k = 0; k < g.dims[2]; k++)
    for (int j = 0; j < g.dims[1]; j++)
      for (int i = 0; i < g.dims[0]; i++) {
        VpVec3 p = vp_grid_voxel_center(&g, i, j, k);
        VpClosestPoint cp;
        vp_bvh_closest_point(b, p, INFINITY, &cp);
        double value = fabs(g.values[vp_grid_index(&g, i, j, k)]);
        assert_true(value >= cp.distance_mm - 1e-5 && value <= cp.distance_mm + g.spacing_mm);
      }
  vp_grid_clear(&g);
  vp_bvh_free(b);
  vp_mesh_free(m);
}

/* Every voxel of g within a spacing of the surface holds the exact
 * distance from the BVH, and no voxel anywhere lies below it. */
static void check_exact_band(const VpGrid *g, const VpBvh *b)
{
  for (int k = 0; k < g->dims[2]; k++)
    for (int j = 0; j < g->dims[1]; j++)
      for (int i = 0; i < g->dims[0]; i++) {
        VpClosestPoint cp;
        assert_true(vp_bvh_closest_point(b, vp_grid_voxel_center(g, i, j, k), INFINITY, &cp));
        double value = fabs(g->values[vp_grid_index(g, i, j, k)]);
        assert_true(value >= cp.distance_mm - 1e-5);
        if (cp.distance_mm < g->spacing_mm)
          assert_float_equal(value, cp.distance_mm, 1e-5);
      }
}

/* A triangle without area (all corners on one line) is still part of the
 * surface the BVH measures: a needle of 1.5 mm from the middle of the +x
 * face. Voxels beside it, already offered the face, must be offered the
 * needle too. */
static void test_sdf_is_exact_beside_a_triangle_without_area(void **state)
{
  VpMesh *cube = vp_test_cube_new(1);
  VpMesh *m = vp_mesh_new(11, 13, NULL);
  memcpy(m->positions, cube->positions, 8 * 3 * sizeof *m->positions);
  memcpy(m->indices, cube->indices, 12 * 3 * sizeof *m->indices);
  const float needle[3][3] = {{1.0f, 0.1f, 0.1f}, {1.75f, 0.1f, 0.1f}, {2.5f, 0.1f, 0.1f}};
  memcpy(m->positions + 8 * 3, needle, sizeof needle);
  const uint32_t last[3] = {8, 9, 10};
  memcpy(m->indices + 12 * 3, last, sizeof last);
  VpBvh *b = vp_bvh_build(m, NULL);
  assert_non_null(b);
  VpGrid g;
  VpGridOptions o = options(0.25, 0.5);
  assert_true(vp_grid_compute_sdf(b, &o, &g, NULL, NULL));
  check_exact_band(&g, b);
  int ijk[3]; /* a voxel near the needle and a millimetre from the face */
  assert_true(vp_grid_voxel_at(&g, vp_vec3(2.0, 0.25, 0.1), ijk));
  VpVec3 p = vp_grid_voxel_center(&g, ijk[0], ijk[1], ijk[2]);
  assert_float_equal(g.values[vp_grid_index(&g, ijk[0], ijk[1], ijk[2])],
                     hypot(p.y - 0.1, p.z - 0.1), 1e-5);
  vp_grid_clear(&g);
  vp_bvh_free(b);
  vp_mesh_free(m);
  vp_mesh_free(cube);
}

/* Workers share slabs and rows in whatever order they get to them; every
 * voxel must still come out bit for bit the same, from one thread to more
 * than the grid can use. */
static void test_sdf_is_identical_for_any_thread_count(void **state)
{
  VpMesh *m = prisms_new();
  VpBvh *b = vp_bvh_build(m, NULL);
  VpGridOptions o = options(0.4, 1.0);
  o.threads = 1;
  VpGrid one;
  VpVoxelReport one_report;
  assert_true(vp_grid_compute_sdf(b, &o, &one, &one_report, NULL));
  size_t n = vp_grid_voxel_count(&one);
  const int counts[] = {2, 3, 64};
  for (size_t c = 0; c < sizeof counts / sizeof *counts; c++) {
    o.threads = counts[c];
    VpGrid many;
    VpVoxelReport report;
    assert_true(vp_grid_compute_sdf(b, &o, &many, &report, NULL));
    assert_memory_equal(many.values, one.values, n * sizeof *one.values);
    assert_memory_equal(many.mask, one.mask, n);
    assert_int_equal(report.band_voxels, one_report.band_voxels);
    vp_grid_clear(&many);
  }
  vp_grid_clear(&one);
  vp_bvh_free(b);
  vp_mesh_free(m);
}

#define SPHERE_SDF(t) cmocka_unit_test_setup_teardown(t, sphere_sdf_setup, sdf_teardown)
#define CUBE_SDF(t) cmocka_unit_test_setup_teardown(t, cube_sdf_setup, sdf_teardown)

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fit_box_centres_grid_and_covers_margin),
      cmocka_unit_test(test_fit_box_refuses_grid_over_the_cap),
      cmocka_unit_test(test_fit_box_rejects_bad_spacing_and_margin),
      cmocka_unit_test(test_world_and_index_round_trip),
      cmocka_unit_test(test_sample_is_exact_for_linear_field_and_clamps),
      cmocka_unit_test(test_voxelize_rejects_mesh_without_triangles),
      cmocka_unit_test(test_voxelize_refuses_huge_grid_without_allocating),
      cmocka_unit_test(test_voxelize_rejects_nan_corner),
      cmocka_unit_test(test_voxelize_cube_matches_analytic_mask),
      cmocka_unit_test(test_voxelize_rows_through_edges_and_diagonals),
      cmocka_unit_test(test_voxelize_sphere_volume_close_to_analytic),
      cmocka_unit_test(test_voxelize_reports_rows_through_a_hole),
      cmocka_unit_test(test_sdf_rejects_missing_bvh),
      cmocka_unit_test(test_sdf_refuses_huge_grid_without_allocating),
      SPHERE_SDF(test_sdf_sign_is_negative_inside_positive_outside),
      SPHERE_SDF(test_sdf_matches_sphere_distance_at_every_voxel),
      SPHERE_SDF(test_sdf_is_exact_near_surface_and_never_underestimates),
      SPHERE_SDF(test_sdf_sampled_between_voxels_matches_sphere),
      SPHERE_SDF(test_sdf_band_is_a_thin_shell),
      CUBE_SDF(test_sdf_matches_cube_distance_at_every_voxel),
      cmocka_unit_test(test_sdf_between_thin_oblique_prisms_stays_within_a_spacing),
      cmocka_unit_test(test_sdf_is_exact_beside_a_triangle_without_area),
      cmocka_unit_test(test_sdf_is_identical_for_any_thread_count),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
