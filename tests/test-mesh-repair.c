/* Tests of the checks and repairs applied after loading: welding,
 * degenerate triangles, orientation, holes, parts, units and the summary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vp-mesh-repair.h"

/* ---- fixtures ---- */

static const float cube_corners[8][3] = {{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, 0},
                                         {0, 0, 1}, {1, 0, 1}, {1, 1, 1}, {0, 1, 1}};
static const uint32_t cube_faces[12][3] = {{0, 2, 1}, {0, 3, 2}, {4, 5, 6}, {4, 6, 7},
                                           {0, 1, 5}, {0, 5, 4}, {2, 3, 7}, {2, 7, 6},
                                           {1, 2, 6}, {1, 6, 5}, {0, 4, 7}, {0, 7, 3}};

/* Writes a cube of edge `size` at `x0` along x into mesh, from vertex v0 and
 * triangle t0 on; `flipped` says which triangles to store reversed. */
static void put_cube(VpMesh *mesh, uint32_t v0, uint32_t t0, float size, float x0,
                     const bool flipped[12])
{
  for (uint32_t v = 0; v < 8; v++)
    for (int a = 0; a < 3; a++)
      mesh->positions[3 * (v0 + v) + a] = cube_corners[v][a] * size + (a == 0 ? x0 : 0.0f);
  for (uint32_t t = 0; t < 12; t++) {
    uint32_t *dst = mesh->indices + 3 * (t0 + t);
    bool f = flipped && flipped[t];
    dst[0] = v0 + cube_faces[t][0];
    dst[1] = v0 + cube_faces[t][f ? 2 : 1];
    dst[2] = v0 + cube_faces[t][f ? 1 : 2];
  }
}

static VpMesh *cube(float size, const bool flipped[12])
{
  VpMesh *mesh = vp_mesh_new(8, 12, NULL);
  assert_non_null(mesh);
  put_cube(mesh, 0, 0, size, 0.0f, flipped);
  return mesh;
}

static VpMeshRepairReport repair_ok(VpMesh **mesh)
{
  VpMeshRepairReport report;
  VpError err;
  memset(&report, 0xee, sizeof report); /* every field must be written */
  if (!vp_mesh_repair(mesh, &report, &err))
    fail_msg("repair failed: %s", err.message);
  return report;
}

static void assert_watertight(const VpMesh *mesh)
{
  VpEdgeReport edges;
  assert_true(vp_mesh_check_edges(mesh, &edges, NULL));
  assert_true(edges.watertight);
}

static void assert_volume(const VpMesh *mesh, double want)
{
  double got = vp_mesh_signed_volume_mm3(mesh);
  if (fabs(got - want) > 1e-6 * fabs(want))
    fail_msg("volume %g, expected %g", got, want);
}

/* ---- orientation ---- */

static void test_clean_cube_needs_nothing(void **state)
{
  (void)state;
  VpMesh *mesh = cube(10.0f, NULL);
  VpMeshRepairReport r = repair_ok(&mesh);
  assert_int_equal(r.welded_vertices + r.dropped_unused_vertices + r.dropped_degenerate, 0);
  assert_int_equal(r.flipped_triangles, 0);
  assert_false(r.inverted_fixed);
  assert_int_equal(r.components, 1);
  assert_int_equal(r.boundary_edges + r.holes + r.nonmanifold_edges + r.misoriented_edges, 0);
  assert_false(r.looks_like_metres);
  assert_true(r.suggested_scale == 1.0);
  assert_volume(mesh, 1000.0);
  vp_mesh_free(mesh);
}

static void test_one_flipped_triangle_is_turned_back(void **state)
{
  (void)state;
  bool flipped[12] = {[5] = true};
  VpMesh *mesh = cube(10.0f, flipped);
  VpMeshRepairReport r = repair_ok(&mesh);
  assert_int_equal(r.flipped_triangles, 1);
  assert_false(r.inverted_fixed);
  assert_watertight(mesh);
  assert_volume(mesh, 1000.0);
  vp_mesh_free(mesh);
}

static void test_first_triangle_flipped_is_the_one_turned(void **state)
{
  (void)state;
  /* The walk starts at triangle 0: the majority, not the seed, decides. */
  bool flipped[12] = {[0] = true};
  VpMesh *mesh = cube(10.0f, flipped);
  VpMeshRepairReport r = repair_ok(&mesh);
  assert_int_equal(r.flipped_triangles, 1);
  assert_false(r.inverted_fixed);
  assert_volume(mesh, 1000.0);
  vp_mesh_free(mesh);
}

static void test_inverted_cube_is_turned_outward(void **state)
{
  (void)state;
  bool flipped[12];
  for (int t = 0; t < 12; t++)
    flipped[t] = true;
  VpMesh *mesh = cube(10.0f, flipped);
  assert_volume(mesh, -1000.0);
  VpMeshRepairReport r = repair_ok(&mesh);
  assert_true(r.inverted_fixed);
  assert_int_equal(r.flipped_triangles, 0);
  assert_watertight(mesh);
  assert_volume(mesh, 1000.0);
  vp_mesh_free(mesh);
}

static void test_normals_point_outward_after_turning(void **state)
{
  (void)state;
  bool flipped[12];
  for (int t = 0; t < 12; t++)
    flipped[t] = true;
  VpMesh *mesh = cube(10.0f, flipped);
  repair_ok(&mesh);
  for (uint32_t v = 0; v < mesh->vertex_count; v++) {
    const float *p = mesh->positions + 3 * v, *n = mesh->normals + 3 * v;
    float outward = (p[0] - 5) * n[0] + (p[1] - 5) * n[1] + (p[2] - 5) * n[2];
    assert_true(outward > 0.0f);
  }
  vp_mesh_free(mesh);
}

static void test_open_patch_is_made_consistent_without_turning_outward(void **state)
{
  (void)state;
  VpMesh *mesh = vp_mesh_new(4, 2, NULL);
  const float square[12] = {0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0};
  const uint32_t tris[6] = {0, 1, 2, 0, 2, 3};
  memcpy(mesh->positions, square, sizeof square);
  memcpy(mesh->indices, tris, sizeof tris);
  mesh->indices[4] = 3; /* second triangle reversed: 0 3 2 */
  mesh->indices[5] = 2;
  VpMeshRepairReport r = repair_ok(&mesh);
  assert_int_equal(r.flipped_triangles, 1);
  assert_false(r.inverted_fixed);
  assert_int_equal(r.holes, 1);
  assert_int_equal(r.boundary_edges, 4);
  assert_true(mesh->normals[2] > 0.99f || mesh->normals[2] < -0.99f);
  vp_mesh_free(mesh);
}

static void test_moebius_strip_reports_one_misoriented_edge(void **state)
{
  (void)state;
  /* Eight quads around a ring; the last joins the first with a half twist. */
  enum { N = 8 };
  VpMesh *mesh = vp_mesh_new(2 * N, 2 * N, NULL);
  for (uint32_t i = 0; i < N; i++) {
    double a = 2.0 * 3.14159265358979 * i / N;
    float *top = mesh->positions + 6 * i, *bottom = top + 3;
    top[0] = bottom[0] = (float)(10 * cos(a));
    top[1] = bottom[1] = (float)(10 * sin(a));
    top[2] = 1.0f;
    bottom[2] = -1.0f;
  }
  for (uint32_t i = 0; i < N; i++) {
    uint32_t t0 = 2 * i, b0 = 2 * i + 1;
    uint32_t t1 = i + 1 < N ? 2 * i + 2 : 1, b1 = i + 1 < N ? 2 * i + 3 : 0; /* twist */
    const uint32_t quad[6] = {t0, b0, b1, t0, b1, t1};
    memcpy(mesh->indices + 6 * i, quad, sizeof quad);
  }
  VpMeshRepairReport r = repair_ok(&mesh);
  assert_int_equal(r.misoriented_edges, 1);
  assert_false(r.inverted_fixed);
  vp_mesh_free(mesh);
}

/* ---- holes, edges and parts ---- */

static void test_removed_triangle_is_one_hole_of_three_edges(void **state)
{
  (void)state;
  VpMesh *mesh = cube(10.0f, NULL);
  mesh->triangle_count = 11;
  VpMeshRepairReport r = repair_ok(&mesh);
  assert_int_equal(r.holes, 1);
  assert_int_equal(r.boundary_edges, 3);
  assert_int_equal(r.flipped_triangles, 0);
  assert_int_equal(mesh->triangle_count, 11);
  vp_mesh_free(mesh);
}

static void test_two_separate_holes_are_counted(void **state)
{
  (void)state;
  VpMesh *mesh = cube(10.0f, NULL);
  /* Drop the bottom (triangles 0, 1) and the top (2, 3). */
  memmove(mesh->indices, mesh->indices + 12, 8 * 3 * sizeof(uint32_t));
  mesh->triangle_count = 8;
  VpMeshRepairReport r = repair_ok(&mesh);
  assert_int_equal(r.holes, 2);
  assert_int_equal(r.boundary_edges, 8);
  vp_mesh_free(mesh);
}

static void test_two_cubes_are_two_components(void **state)
{
  (void)state;
  VpMesh *mesh = vp_mesh_new(16, 24, NULL);
  put_cube(mesh, 0, 0, 10.0f, 0.0f, NULL);
  put_cube(mesh, 8, 12, 10.0f, 30.0f, NULL);
  VpMeshRepairReport r = repair_ok(&mesh);
  assert_int_equal(r.components, 2);
  assert_volume(mesh, 2000.0);
  vp_mesh_free(mesh);
}

static void test_one_inverted_cube_of_two_is_turned(void **state)
{
  (void)state;
  bool all[12];
  for (int t = 0; t < 12; t++)
    all[t] = true;
  VpMesh *mesh = vp_mesh_new(16, 24, NULL);
  put_cube(mesh, 0, 0, 10.0f, 0.0f, NULL);
  put_cube(mesh, 8, 12, 10.0f, 30.0f, all);
  VpMeshRepairReport r = repair_ok(&mesh);
  assert_true(r.inverted_fixed);
  assert_volume(mesh, 2000.0);
  vp_mesh_free(mesh);
}

static void test_edge_of_three_triangles_is_non_manifold(void **state)
{
  (void)state;
  VpMesh *mesh = vp_mesh_new(5, 3, NULL);
  const float p[15] = {0, 0, 0, 1, 0, 0, 0, 1, 0, 0, -1, 0, 0, 0, 1};
  const uint32_t t[9] = {0, 1, 2, 1, 0, 3, 0, 1, 4};
  memcpy(mesh->positions, p, sizeof p);
  memcpy(mesh->indices, t, sizeof t);
  VpMeshRepairReport r = repair_ok(&mesh);
  assert_int_equal(r.nonmanifold_edges, 1);
  assert_int_equal(r.boundary_edges, 6);
  vp_mesh_free(mesh);
}

/* ---- welding and degenerate triangles ---- */

static void test_duplicate_vertices_are_welded(void **state)
{
  (void)state;
  VpMesh *mesh = vp_mesh_new(36, 12, NULL);
  for (uint32_t t = 0; t < 12; t++)
    for (uint32_t k = 0; k < 3; k++) {
      memcpy(mesh->positions + 9 * t + 3 * k, cube_corners[cube_faces[t][k]], 3 * sizeof(float));
      mesh->indices[3 * t + k] = 3 * t + k;
    }
  VpMeshRepairReport r = repair_ok(&mesh);
  assert_int_equal(r.welded_vertices, 28);
  assert_int_equal(mesh->vertex_count, 8);
  assert_int_equal(mesh->triangle_count, 12);
  assert_watertight(mesh);
  vp_mesh_free(mesh);
}

static void test_minus_zero_welds_with_zero(void **state)
{
  (void)state;
  VpMesh *mesh = cube(10.0f, NULL);
  VpMesh *bigger = vp_mesh_new(9, 12, NULL);
  memcpy(bigger->positions, mesh->positions, 24 * sizeof(float));
  memcpy(bigger->indices, mesh->indices, 36 * sizeof(uint32_t));
  const float minus_zero[3] = {-0.0f, -0.0f, -0.0f};
  memcpy(bigger->positions + 24, minus_zero, sizeof minus_zero);
  bigger->indices[0] = 8; /* vertex 0 again, written as -0 */
  VpMeshRepairReport r = repair_ok(&bigger);
  assert_int_equal(r.welded_vertices, 1);
  assert_watertight(bigger);
  vp_mesh_free(mesh);
  vp_mesh_free(bigger);
}

static void test_degenerate_triangles_are_dropped(void **state)
{
  (void)state;
  VpMesh *mesh = vp_mesh_new(9, 14, NULL);
  put_cube(mesh, 0, 0, 10.0f, 0.0f, NULL);
  const float mid_edge[3] = {5, 0, 0}; /* on the edge from vertex 0 to vertex 1 */
  memcpy(mesh->positions + 24, mid_edge, sizeof mid_edge);
  const uint32_t bad[6] = {0, 0, 1, 0, 8, 1}; /* repeated corner; zero area */
  memcpy(mesh->indices + 36, bad, sizeof bad);
  VpMeshRepairReport r = repair_ok(&mesh);
  assert_int_equal(r.dropped_degenerate, 2);
  assert_int_equal(r.dropped_unused_vertices, 1);
  assert_int_equal(mesh->triangle_count, 12);
  assert_int_equal(mesh->vertex_count, 8);
  assert_watertight(mesh);
  vp_mesh_free(mesh);
}

static void test_thin_but_real_triangle_is_kept(void **state)
{
  (void)state;
  VpMesh *mesh = vp_mesh_new(3, 1, NULL);
  const float p[9] = {0, 0, 0, 100, 0, 0, 50, 0.001f, 0};
  const uint32_t t[3] = {0, 1, 2};
  memcpy(mesh->positions, p, sizeof p);
  memcpy(mesh->indices, t, sizeof t);
  VpMeshRepairReport r = repair_ok(&mesh);
  assert_int_equal(r.dropped_degenerate, 0);
  assert_int_equal(mesh->triangle_count, 1);
  vp_mesh_free(mesh);
}

static void test_unused_vertices_are_dropped_not_welded_to(void **state)
{
  (void)state;
  VpMesh *mesh = vp_mesh_new(10, 12, NULL);
  /* Vertices 0 and 9 are never used; 0 sits where cube corner 0 (vertex 1) is. */
  put_cube(mesh, 1, 0, 10.0f, 0.0f, NULL);
  VpMeshRepairReport r = repair_ok(&mesh);
  assert_int_equal(r.dropped_unused_vertices, 2);
  assert_int_equal(r.welded_vertices, 0);
  assert_int_equal(mesh->vertex_count, 8);
  assert_int_equal(mesh->indices[0], 0);
  vp_mesh_free(mesh);
}

/* ---- units ---- */

static void test_three_centimetre_cube_in_metres_is_reported(void **state)
{
  (void)state;
  VpMesh *mesh = cube(0.03f, NULL);
  VpMeshRepairReport r = repair_ok(&mesh);
  assert_true(r.looks_like_metres);
  assert_true(r.suggested_scale == 1000.0);
  vp_mesh_free(mesh);
}

static void test_thirty_millimetre_cube_is_not_metres(void **state)
{
  (void)state;
  VpMesh *mesh = cube(30.0f, NULL);
  VpMeshRepairReport r = repair_ok(&mesh);
  assert_false(r.looks_like_metres);
  assert_true(r.suggested_scale == 1.0);
  vp_mesh_free(mesh);
}

static void test_scale_multiplies_positions(void **state)
{
  (void)state;
  VpMesh *mesh = cube(0.03f, NULL);
  assert_true(vp_mesh_scale(mesh, 1000.0, NULL));
  assert_true(fabsf(mesh->positions[3 * 6] - 30.0f) < 1e-4f);
  assert_volume(mesh, 27000.0);
  vp_mesh_free(mesh);
}

static void test_scale_rejects_non_positive_and_nan_factors(void **state)
{
  (void)state;
  VpMesh *mesh = cube(1.0f, NULL);
  VpError err;
  assert_false(vp_mesh_scale(mesh, 0.0, &err));
  assert_int_equal(err.code, VP_ERR_INVALID);
  assert_false(vp_mesh_scale(mesh, -2.0, NULL));
  assert_false(vp_mesh_scale(mesh, NAN, NULL));
  assert_false(vp_mesh_scale(mesh, INFINITY, NULL));
  assert_true(mesh->positions[3] == 1.0f);
  vp_mesh_free(mesh);
}

static void test_scale_beyond_float_range_changes_nothing(void **state)
{
  (void)state;
  VpMesh *mesh = cube(1e30f, NULL);
  VpError err;
  assert_false(vp_mesh_scale(mesh, 1e10, &err));
  assert_int_equal(err.code, VP_ERR_INVALID);
  assert_true(mesh->positions[3] == 1e30f);
  vp_mesh_free(mesh);
}

/* ---- the summary line ---- */

static void test_summary_of_a_clean_mesh_is_empty(void **state)
{
  (void)state;
  VpMesh *mesh = cube(10.0f, NULL);
  VpMeshRepairReport r = repair_ok(&mesh);
  char line[256];
  assert_string_equal(vp_mesh_repair_summary(&r, line, sizeof line), "");
  vp_mesh_free(mesh);
}

static void test_summary_names_holes_parts_and_units(void **state)
{
  (void)state;
  VpMesh *mesh = vp_mesh_new(16, 24, NULL);
  put_cube(mesh, 0, 0, 0.01f, 0.0f, NULL);
  put_cube(mesh, 8, 12, 0.01f, 0.05f, NULL);
  memmove(mesh->indices + 3 * 11, mesh->indices + 3 * 12, 12 * 3 * sizeof(uint32_t));
  mesh->triangle_count = 22; /* one triangle gone from each cube */
  VpMeshRepairReport r = repair_ok(&mesh);
  char line[256];
  vp_mesh_repair_summary(&r, line, sizeof line);
  assert_string_equal(line, "2 holes (6 open edges); 2 separate parts; the model looks like it "
                            "is in metres: scale by 1,000?");
  vp_mesh_free(mesh);
}

static void test_summary_says_what_was_repaired(void **state)
{
  (void)state;
  VpMeshRepairReport r = {.welded_vertices = 1,
                          .dropped_degenerate = 2,
                          .flipped_triangles = 1,
                          .inverted_fixed = true,
                          .components = 1,
                          .holes = 1,
                          .boundary_edges = 3,
                          .suggested_scale = 1.0};
  char line[256];
  vp_mesh_repair_summary(&r, line, sizeof line);
  assert_string_equal(line, "1 hole (3 open edges); repaired: 1 duplicate vertex merged, "
                            "2 degenerate triangles removed, 1 triangle turned to match its "
                            "neighbours, the inside-out surface turned outward");
}

static void test_summary_is_cut_to_the_buffer(void **state)
{
  (void)state;
  VpMeshRepairReport r = {.holes = 1234,
                          .boundary_edges = 56789,
                          .components = 3,
                          .looks_like_metres = true,
                          .suggested_scale = 1000.0};
  char line[16];
  memset(line, 'x', sizeof line);
  vp_mesh_repair_summary(&r, line, sizeof line);
  assert_int_equal(strlen(line), 15);
  assert_string_equal(line, "1,234 holes (56");
}

/* ---- bad input ---- */

static void test_out_of_range_index_fails_and_keeps_the_mesh(void **state)
{
  (void)state;
  VpMesh *mesh = cube(10.0f, NULL);
  VpMesh *before = mesh;
  mesh->indices[7] = 8;
  VpError err;
  VpMeshRepairReport r;
  assert_false(vp_mesh_repair(&mesh, &r, &err));
  assert_ptr_equal(mesh, before);
  assert_int_equal(err.code, VP_ERR_INVALID);
  assert_string_equal(err.message, "triangle 3 refers to vertex 8 of only 8");
  vp_mesh_free(mesh);
}

static void test_nan_position_fails(void **state)
{
  (void)state;
  VpMesh *mesh = cube(10.0f, NULL);
  mesh->positions[7] = NAN;
  VpError err;
  assert_false(vp_mesh_repair(&mesh, NULL, &err));
  assert_string_equal(err.message, "vertex 3 has a coordinate that is not a finite number");
  vp_mesh_free(mesh);
}

static void test_only_degenerate_triangles_fail(void **state)
{
  (void)state;
  VpMesh *mesh = vp_mesh_new(3, 2, NULL);
  const float p[9] = {0, 0, 0, 1, 0, 0, 2, 0, 0};
  const uint32_t t[6] = {0, 1, 2, 0, 0, 1};
  memcpy(mesh->positions, p, sizeof p);
  memcpy(mesh->indices, t, sizeof t);
  VpError err;
  assert_false(vp_mesh_repair(&mesh, NULL, &err));
  assert_int_equal(err.code, VP_ERR_INVALID);
  assert_non_null(strstr(err.message, "no triangle is left"));
  vp_mesh_free(mesh);
}

static void test_mesh_without_triangles_fails(void **state)
{
  (void)state;
  VpMesh *mesh = vp_mesh_new(3, 0, NULL);
  VpError err;
  assert_false(vp_mesh_repair(&mesh, NULL, &err));
  assert_string_equal(err.message, "the mesh has no triangles");
  vp_mesh_free(mesh);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_clean_cube_needs_nothing),
      cmocka_unit_test(test_one_flipped_triangle_is_turned_back),
      cmocka_unit_test(test_first_triangle_flipped_is_the_one_turned),
      cmocka_unit_test(test_inverted_cube_is_turned_outward),
      cmocka_unit_test(test_normals_point_outward_after_turning),
      cmocka_unit_test(test_open_patch_is_made_consistent_without_turning_outward),
      cmocka_unit_test(test_moebius_strip_reports_one_misoriented_edge),
      cmocka_unit_test(test_removed_triangle_is_one_hole_of_three_edges),
      cmocka_unit_test(test_two_separate_holes_are_counted),
      cmocka_unit_test(test_two_cubes_are_two_components),
      cmocka_unit_test(test_one_inverted_cube_of_two_is_turned),
      cmocka_unit_test(test_edge_of_three_triangles_is_non_manifold),
      cmocka_unit_test(test_duplicate_vertices_are_welded),
      cmocka_unit_test(test_minus_zero_welds_with_zero),
      cmocka_unit_test(test_degenerate_triangles_are_dropped),
      cmocka_unit_test(test_thin_but_real_triangle_is_kept),
      cmocka_unit_test(test_unused_vertices_are_dropped_not_welded_to),
      cmocka_unit_test(test_three_centimetre_cube_in_metres_is_reported),
      cmocka_unit_test(test_thirty_millimetre_cube_is_not_metres),
      cmocka_unit_test(test_scale_multiplies_positions),
      cmocka_unit_test(test_scale_rejects_non_positive_and_nan_factors),
      cmocka_unit_test(test_scale_beyond_float_range_changes_nothing),
      cmocka_unit_test(test_summary_of_a_clean_mesh_is_empty),
      cmocka_unit_test(test_summary_names_holes_parts_and_units),
      cmocka_unit_test(test_summary_says_what_was_repaired),
      cmocka_unit_test(test_summary_is_cut_to_the_buffer),
      cmocka_unit_test(test_out_of_range_index_fails_and_keeps_the_mesh),
      cmocka_unit_test(test_nan_position_fails),
      cmocka_unit_test(test_only_degenerate_triangles_fail),
      cmocka_unit_test(test_mesh_without_triangles_fails),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
