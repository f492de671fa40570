/* Tests of label surfaces: marching cubes on analytic shapes and hostile
 * voxel patterns (closed, manifold, outward, one component per 26-connected
 * piece), mirrored affines, missing labels, float masks, and Taubin smoothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vp-surface.h"

/* ---- fixtures ---- */

static VpVolume *new_mask(int nx, int ny, int nz, VpVoxelType type)
{
  VpError err;
  VpVolume *v = vp_volume_new((int[3]){nx, ny, nz}, type, NULL, NULL, &err);
  assert_non_null(v);
  return v;
}

static VpMesh *extract_with(const VpVolume *mask, int label, bool fill_cavities)
{
  VpSurfaceOptions opts;
  vp_surface_options_default(mask, &opts);
  opts.smooth = false;
  opts.fill_cavities = fill_cavities;
  VpError err = {0};
  VpMesh *mesh = vp_volume_extract_label_surface(mask, label, &opts, &err);
  if (!mesh)
    fail_msg("extraction failed: %s", err.message);
  return mesh;
}

static VpMeshStats measure(const VpMesh *mesh)
{
  VpMeshStats stats;
  VpError err;
  assert_true(vp_mesh_measure(mesh, &stats, &err));
  return stats;
}

/* Marching cubes alone, cavities filled as by default. */
static VpMesh *extract_raw(const VpVolume *mask, int label)
{
  return extract_with(mask, label, true);
}

/* Closed, manifold, consistently and outward oriented. */
static void assert_closed_outward(const VpMesh *mesh)
{
  VpMeshStats s = measure(mesh);
  if (!s.edges.watertight)
    fail_msg("not watertight: %u boundary, %u non-manifold, %u misoriented edges",
             s.edges.boundary_edges, s.edges.nonmanifold_edges, s.edges.misoriented_edges);
  assert_true(vp_mesh_signed_volume_mm3(mesh) > 0);
}

/* Components of the label (26-connected) plus background pockets (6-connected
 * background not reaching the border): the number of closed surfaces. */
static int flood(const uint8_t *in, uint8_t *seen, const int n[3], int start, bool fg)
{
  int *stack = malloc(sizeof(int) * (size_t)n[0] * n[1] * n[2]);
  int top = 0, border = 0;
  stack[top++] = start;
  seen[start] = 1;
  while (top) {
    int v = stack[--top], x = v % n[0], y = v / n[0] % n[1], z = v / (n[0] * n[1]);
    border |= x == 0 || y == 0 || z == 0 || x == n[0] - 1 || y == n[1] - 1 || z == n[2] - 1;
    for (int d = 0; d < 27; d++) {
      int dx = d % 3 - 1, dy = d / 3 % 3 - 1, dz = d / 9 - 1;
      int steps = abs(dx) + abs(dy) + abs(dz);
      if (steps == 0 || (!fg && steps > 1))
        continue;
      int X = x + dx, Y = y + dy, Z = z + dz;
      if (X < 0 || Y < 0 || Z < 0 || X >= n[0] || Y >= n[1] || Z >= n[2])
        continue;
      int w = X + n[0] * (Y + n[1] * Z);
      if (!seen[w] && in[w] == fg) {
        seen[w] = 1;
        stack[top++] = w;
      }
    }
  }
  free(stack);
  return border;
}

static int expected_surfaces(const VpVolume *mask, int label, bool count_pockets)
{
  int n[3] = {mask->dims[0], mask->dims[1], mask->dims[2]}, count = n[0] * n[1] * n[2];
  uint8_t *in = calloc((size_t)count, 1), *seen = calloc((size_t)count, 1);
  for (int v = 0; v < count; v++)
    in[v] = vp_volume_value(mask, v % n[0], v / n[0] % n[1], v / (n[0] * n[1])) == label;
  int surfaces = 0;
  for (int v = 0; v < count; v++)
    if (in[v] && !seen[v]) {
      flood(in, seen, n, v, true);
      surfaces++;
    }
  for (int v = 0; v < count; v++)
    if (!in[v] && !seen[v] && !flood(in, seen, n, v, false) && count_pockets)
      surfaces++; /* a pocket the padding does not reach */
  free(in);
  free(seen);
  return surfaces;
}

/* With cavities kept and with them filled. */
static void assert_topology(const VpVolume *mask, int label)
{
  for (int fill = 0; fill < 2; fill++) {
    VpMesh *mesh = extract_with(mask, label, fill);
    assert_closed_outward(mesh);
    VpMeshStats s = measure(mesh);
    assert_int_equal(s.components, expected_surfaces(mask, label, !fill));
    vp_mesh_free(mesh);
  }
}

static void set(VpVolume *v, int i, int j, int k)
{
  vp_volume_set_value(v, i, j, k, 1);
}

/* A ball of radius r mm at 1 mm voxels, centred between voxel centres. */
static VpVolume *ball(double r, const double spacing[3])
{
  int n[3];
  for (int a = 0; a < 3; a++)
    n[a] = (int)ceil(2 * r / spacing[a]) + 4;
  VpVolume *v = new_mask(n[0], n[1], n[2], VP_VOXEL_U8);
  VpMat4 m = vp_mat4_scaling(vp_vec3(spacing[0], spacing[1], spacing[2]));
  assert_true(vp_volume_set_affine(v, m, NULL));
  for (int k = 0; k < n[2]; k++)
    for (int j = 0; j < n[1]; j++)
      for (int i = 0; i < n[0]; i++) {
        double x = (i - (n[0] - 1) / 2.0) * spacing[0], y = (j - (n[1] - 1) / 2.0) * spacing[1],
               z = (k - (n[2] - 1) / 2.0) * spacing[2];
        if (x * x + y * y + z * z <= r * r)
          set(v, i, j, k);
      }
  return v;
}

static double voxel_count_volume_mm3(const VpVolume *v, int label)
{
  VpLabelStats stats;
  assert_true(vp_volume_label_stats(v, &stats, NULL));
  const VpLabelCount *c = vp_label_stats_find(&stats, label);
  double mm3 = c ? c->volume_ml * 1000 : 0;
  vp_label_stats_clear(&stats);
  return mm3;
}

/* ---- analytic shapes ---- */

static void single_voxel_gives_octahedron_of_one_sixth_mm3(void **state)
{
  (void)state;
  VpVolume *v = new_mask(3, 3, 3, VP_VOXEL_U8);
  set(v, 1, 1, 1);
  VpMesh *mesh = extract_raw(v, 1);
  assert_closed_outward(mesh);
  assert_int_equal(mesh->vertex_count, 6);
  assert_int_equal(mesh->triangle_count, 8);
  assert_float_equal(vp_mesh_signed_volume_mm3(mesh), 1.0 / 6.0, 1e-6);
  vp_mesh_free(mesh);
  vp_volume_free(v);
}

/* Iso-level 0.5 between voxel centres cuts the 2x2x2 block's 2 mm cube at
 * its 12 edges (0.125 mm3 each) and 8 corners (5/48 mm3 each): 17/3 mm3. */
static void block_2x2x2_gives_seventeen_thirds_mm3(void **state)
{
  (void)state;
  VpVolume *v = new_mask(4, 4, 4, VP_VOXEL_U8);
  for (int k = 1; k < 3; k++)
    for (int j = 1; j < 3; j++)
      for (int i = 1; i < 3; i++)
        set(v, i, j, k);
  VpMesh *mesh = extract_raw(v, 1);
  assert_closed_outward(mesh);
  assert_float_equal(vp_mesh_signed_volume_mm3(mesh), 17.0 / 3.0, 1e-5);
  assert_int_equal(measure(mesh).components, 1);
  vp_mesh_free(mesh);
  vp_volume_free(v);
}

/* Marching cubes on a binary ball cuts the corners of the voxel staircase
 * and the voxelisation gains about as much: at r = 10 mm the volume is within
 * 1 % of 4/3 pi r^3 (measured 0.3 %) and of the voxel count, and the surface
 * lies within a voxel of radius r. */
static void ball_volume_is_close_to_four_thirds_pi_r_cubed(void **state)
{
  (void)state;
  double r = 10, spacing[3] = {1, 1, 1};
  VpVolume *v = ball(r, spacing);
  VpMesh *mesh = extract_raw(v, 1);
  assert_closed_outward(mesh);
  double exact = 4.0 / 3.0 * VP_PI * r * r * r, got = vp_mesh_signed_volume_mm3(mesh);
  printf("ball r=10: marching cubes %.1f mm3, voxel count %.1f mm3, exact %.1f mm3\n", got,
         voxel_count_volume_mm3(v, 1), exact);
  assert_true(fabs(got - exact) < 0.01 * exact);
  assert_true(fabs(got - voxel_count_volume_mm3(v, 1)) < 0.01 * exact);
  VpVec3 size = vp_box3_size(vp_mesh_bounds(mesh));
  assert_true(fabs(size.x - 2 * r) < 1.0 && fabs(size.z - 2 * r) < 1.0);
  assert_int_equal(measure(mesh).components, 1);
  vp_mesh_free(mesh);
  vp_volume_free(v);
}

/* ---- hostile patterns ---- */

/* Every one of the 256 inside/outside patterns of a single cube. */
static void every_cube_pattern_is_closed_and_connected(void **state)
{
  (void)state;
  for (int cfg = 1; cfg < 256; cfg++) {
    VpVolume *v = new_mask(2, 2, 2, VP_VOXEL_U8);
    for (int c = 0; c < 8; c++)
      if (cfg >> c & 1)
        set(v, c & 1, c >> 1 & 1, c >> 2 & 1);
    assert_topology(v, 1); /* all corners of a cube touch: one component */
    vp_volume_free(v);
  }
}

/* All 4,096 patterns of two cubes sharing a face: the shared face must be
 * cut identically from both sides. */
static void every_two_cube_pattern_is_closed(void **state)
{
  (void)state;
  for (int cfg = 1; cfg < 4096; cfg++) {
    VpVolume *v = new_mask(2, 2, 3, VP_VOXEL_U8);
    for (int c = 0; c < 12; c++)
      if (cfg >> c & 1)
        set(v, c & 1, c >> 1 & 1, c >> 2);
    assert_topology(v, 1);
    vp_volume_free(v);
  }
}

/* Random 4x4x4 patterns at several densities, against a flood-fill count. */
static void random_patterns_have_one_surface_per_component(void **state)
{
  (void)state;
  uint32_t seed = 12345;
  for (int run = 0; run < 600; run++) {
    VpVolume *v = new_mask(4, 4, 4, VP_VOXEL_U8);
    uint32_t density = 1u + (uint32_t)run % 7u; /* in eighths */
    for (int at = 0; at < 64; at++) {
      seed = seed * 1664525u + 1013904223u;
      if ((seed >> 24) % 8u < density)
        set(v, at % 4, at / 4 % 4, at / 16);
    }
    if (voxel_count_volume_mm3(v, 1) > 0)
      assert_topology(v, 1);
    vp_volume_free(v);
  }
}

/* A 3D checkerboard touches only at edges and corners: one label body with a
 * pocket around every enclosed background voxel. */
static void checkerboard_is_closed(void **state)
{
  (void)state;
  VpVolume *v = new_mask(7, 7, 7, VP_VOXEL_U8);
  for (int k = 0; k < 7; k++)
    for (int j = 0; j < 7; j++)
      for (int i = 0; i < 7; i++)
        if ((i + j + k) % 2 == 0)
          set(v, i, j, k);
  assert_topology(v, 1);
  vp_volume_free(v);
}

static void voxels_touching_at_an_edge_form_one_surface(void **state)
{
  (void)state;
  VpVolume *v = new_mask(4, 4, 3, VP_VOXEL_U8);
  set(v, 1, 1, 1);
  set(v, 2, 2, 1);
  VpMesh *mesh = extract_raw(v, 1);
  assert_closed_outward(mesh);
  assert_int_equal(measure(mesh).components, 1);
  vp_mesh_free(mesh);
  vp_volume_free(v);
}

static void voxels_touching_at_a_corner_form_one_surface(void **state)
{
  (void)state;
  VpVolume *v = new_mask(4, 4, 4, VP_VOXEL_U8);
  set(v, 1, 1, 1);
  set(v, 2, 2, 2);
  VpMesh *mesh = extract_raw(v, 1);
  assert_closed_outward(mesh);
  assert_int_equal(measure(mesh).components, 1);
  vp_mesh_free(mesh);
  vp_volume_free(v);
}

static void separate_voxels_form_separate_surfaces(void **state)
{
  (void)state;
  VpVolume *v = new_mask(5, 3, 3, VP_VOXEL_U8);
  set(v, 1, 1, 1);
  set(v, 3, 1, 1);
  VpMesh *mesh = extract_raw(v, 1);
  assert_closed_outward(mesh);
  assert_int_equal(measure(mesh).components, 2);
  vp_mesh_free(mesh);
  vp_volume_free(v);
}

/* A label filling the whole grid: the padding closes it. */
static void label_touching_the_border_is_closed(void **state)
{
  (void)state;
  VpVolume *v = new_mask(3, 4, 5, VP_VOXEL_U8);
  memset(v->data, 1, vp_volume_voxel_count(v));
  VpMesh *mesh = extract_raw(v, 1);
  assert_closed_outward(mesh);
  /* The 3 x 4 x 5 mm box of voxels loses its edges and corners like the block. */
  assert_true(vp_mesh_signed_volume_mm3(mesh) < 60 && vp_mesh_signed_volume_mm3(mesh) > 30);
  vp_mesh_free(mesh);
  vp_volume_free(v);
}

static VpVolume *hollow_cube(void)
{
  VpVolume *v = new_mask(5, 5, 5, VP_VOXEL_U8);
  memset(v->data, 1, vp_volume_voxel_count(v));
  vp_volume_set_value(v, 2, 2, 2, 0);
  return v;
}

/* By default a pocket inside the label is filled: one surface, and the
 * volume of the solid cube. */
static void enclosed_cavity_is_filled_by_default(void **state)
{
  (void)state;
  VpVolume *v = hollow_cube(), *solid = new_mask(5, 5, 5, VP_VOXEL_U8);
  memset(solid->data, 1, vp_volume_voxel_count(solid));
  VpMesh *mesh = extract_raw(v, 1), *expected = extract_raw(solid, 1);
  assert_closed_outward(mesh);
  assert_int_equal(measure(mesh).components, 1);
  assert_float_equal(vp_mesh_signed_volume_mm3(mesh), vp_mesh_signed_volume_mm3(expected), 1e-4);
  vp_mesh_free(mesh);
  vp_mesh_free(expected);
  vp_volume_free(v);
  vp_volume_free(solid);
}

/* Kept, the pocket gets an inner wall facing into it: the octahedron of the
 * missing voxel is subtracted. */
static void enclosed_cavity_kept_gives_inner_surface(void **state)
{
  (void)state;
  VpVolume *v = hollow_cube();
  VpMesh *hollow = extract_with(v, 1, false), *filled = extract_raw(v, 1);
  assert_closed_outward(hollow);
  assert_int_equal(measure(hollow).components, 2);
  assert_float_equal(vp_mesh_signed_volume_mm3(hollow),
                     vp_mesh_signed_volume_mm3(filled) - 1.0 / 6.0, 1e-4);
  vp_mesh_free(hollow);
  vp_mesh_free(filled);
  vp_volume_free(v);
}

/* ---- world placement ---- */

/* A mirrored affine (like a radiological L-R flip) must not turn the
 * surface inside out; the volume scales by |det|. */
static void mirrored_affine_still_faces_outward(void **state)
{
  (void)state;
  double spacing[3] = {1, 1, 1};
  VpVolume *v = ball(4, spacing);
  VpMesh *plain = extract_raw(v, 1);
  VpMat4 m = vp_mat4_scaling(vp_vec3(-0.5, 1.0, 2.0));
  m.m[0][3] = 100; /* and moved somewhere */
  assert_true(vp_volume_set_affine(v, m, NULL));
  VpMesh *mirrored = extract_raw(v, 1);
  assert_closed_outward(mirrored);
  assert_float_equal(vp_mesh_signed_volume_mm3(mirrored), vp_mesh_signed_volume_mm3(plain), 1e-3);
  vp_mesh_free(plain);
  vp_mesh_free(mirrored);
  vp_volume_free(v);
}

static void vertices_are_placed_through_the_affine(void **state)
{
  (void)state;
  VpVolume *v = new_mask(3, 3, 3, VP_VOXEL_U8);
  set(v, 1, 1, 1);
  VpMat4 m = vp_mat4_identity(); /* voxel axes P, I, R like the VerSe files */
  m.m[0][0] = 0, m.m[0][2] = 2, m.m[1][0] = -1, m.m[1][1] = 0, m.m[2][1] = -1, m.m[2][2] = 0;
  m.m[0][3] = 10, m.m[1][3] = 20, m.m[2][3] = 30;
  assert_true(vp_volume_set_affine(v, m, NULL));
  VpMesh *mesh = extract_raw(v, 1);
  VpBox3 b = vp_mesh_bounds(mesh);
  /* voxel (1,1,1) is at world (12, 19, 29); half a voxel either way */
  assert_float_equal(b.min.x, 11, 1e-5);
  assert_float_equal(b.max.x, 13, 1e-5);
  assert_float_equal(b.min.y, 18.5, 1e-5);
  assert_float_equal(b.max.z, 29.5, 1e-5);
  assert_closed_outward(mesh);
  vp_mesh_free(mesh);
  vp_volume_free(v);
}

/* ---- labels ---- */

static void missing_label_error_lists_labels_present(void **state)
{
  (void)state;
  VpVolume *v = new_mask(4, 4, 4, VP_VOXEL_U8);
  vp_volume_set_value(v, 1, 1, 1, 20);
  vp_volume_set_value(v, 2, 2, 2, 22);
  VpError err = {0};
  assert_null(vp_volume_extract_label_surface(v, 21, NULL, &err));
  assert_int_equal(err.code, VP_ERR_INVALID);
  assert_non_null(strstr(err.message, "label 21 is not in the mask"));
  assert_non_null(strstr(err.message, "20 (L1), 22 (L3)"));
  vp_volume_free(v);
}

static void label_beyond_the_voxel_type_is_missing(void **state)
{
  (void)state;
  VpVolume *v = new_mask(2, 2, 2, VP_VOXEL_U8);
  set(v, 0, 0, 0);
  VpError err = {0};
  assert_null(vp_volume_extract_label_surface(v, 300, NULL, &err));
  assert_non_null(strstr(err.message, "labels present: 1"));
  vp_volume_free(v);
}

static void other_labels_are_left_out(void **state)
{
  (void)state;
  VpVolume *v = new_mask(5, 3, 3, VP_VOXEL_I16);
  vp_volume_set_value(v, 1, 1, 1, 7);
  vp_volume_set_value(v, 2, 1, 1, 8);
  VpMesh *mesh = extract_raw(v, 7);
  assert_float_equal(vp_mesh_signed_volume_mm3(mesh), 1.0 / 6.0, 1e-6);
  vp_mesh_free(mesh);
  vp_volume_free(v);
}

/* Resampled masks stored as float carry values like 2.0000001 or 1.6. */
static void float_mask_rounds_to_nearest_label(void **state)
{
  (void)state;
  VpVolume *v = new_mask(4, 3, 3, VP_VOXEL_F32);
  vp_volume_set_value(v, 1, 1, 1, 2.0000001);
  vp_volume_set_value(v, 2, 1, 1, 1.6);
  vp_volume_set_value(v, 0, 0, 0, 2.5001);
  VpMesh *mesh = extract_raw(v, 2);
  assert_closed_outward(mesh);
  assert_int_equal(measure(mesh).components, 1); /* (1,1,1) and (2,1,1) together */
  assert_true(vp_mesh_signed_volume_mm3(mesh) > 1.0 / 6.0 + 1e-3);
  vp_mesh_free(mesh);
  vp_volume_free(v);
}

/* ---- smoothing ---- */

static void smoothing_defaults_follow_anisotropy(void **state)
{
  (void)state;
  VpVolume *v = new_mask(2, 2, 2, VP_VOXEL_U8);
  VpSurfaceOptions opts;
  vp_surface_options_default(v, &opts);
  assert_false(opts.smooth);
  assert_true(vp_volume_set_affine(v, vp_mat4_scaling(vp_vec3(1, 1, 2)), NULL));
  vp_surface_options_default(v, &opts);
  assert_true(opts.smooth);
  assert_true(vp_volume_set_affine(v, vp_mat4_scaling(vp_vec3(0.8, 0.8, 1.0)), NULL));
  vp_surface_options_default(v, &opts);
  assert_false(opts.smooth);
  vp_volume_free(v);
}

/* A ball sampled with 2.5 mm slices: smoothing keeps it closed, keeps its
 * volume within 1 % and removes the staircase (the area drops). */
static void smoothing_keeps_ball_closed_and_its_volume(void **state)
{
  (void)state;
  double spacing[3] = {1, 1, 2.5};
  VpVolume *v = ball(12, spacing);
  VpMesh *raw = extract_raw(v, 1);
  VpMesh *smooth = vp_volume_extract_label_surface(v, 1, NULL, NULL);
  assert_non_null(smooth);
  assert_closed_outward(smooth);
  double before = vp_mesh_signed_volume_mm3(raw), after = vp_mesh_signed_volume_mm3(smooth);
  printf("ball 2.5 mm slices: %.1f mm3 raw, %.1f mm3 smoothed (%+.2f %%), area %.0f -> %.0f mm2\n",
         before, after, 100 * (after - before) / before, vp_mesh_surface_area_mm2(raw),
         vp_mesh_surface_area_mm2(smooth));
  assert_true(fabs(after - before) < 0.01 * before);
  assert_true(vp_mesh_surface_area_mm2(smooth) < 0.97 * vp_mesh_surface_area_mm2(raw));
  vp_mesh_free(raw);
  vp_mesh_free(smooth);
  vp_volume_free(v);
}

static void smoothing_refuses_bad_factors(void **state)
{
  (void)state;
  VpVolume *v = new_mask(3, 3, 3, VP_VOXEL_U8);
  set(v, 1, 1, 1);
  VpMesh *mesh = extract_raw(v, 1);
  VpError err = {0};
  assert_false(vp_mesh_smooth_taubin(mesh, 10, 0.5, -0.4, &err)); /* |mu| < lambda shrinks */
  assert_int_equal(err.code, VP_ERR_INVALID);
  assert_false(vp_mesh_smooth_taubin(mesh, -1, 0.5, -0.53, &err));
  assert_false(vp_mesh_smooth_taubin(mesh, 10, NAN, -0.53, &err));
  assert_true(vp_mesh_smooth_taubin(mesh, 0, 0.5, -0.53, &err)); /* nothing to do */
  vp_mesh_free(mesh);
  vp_volume_free(v);
}

static void smoothing_refuses_indices_out_of_range(void **state)
{
  (void)state;
  VpMesh *mesh = vp_mesh_new(3, 1, NULL);
  mesh->indices[0] = 0, mesh->indices[1] = 1, mesh->indices[2] = 7;
  VpError err = {0};
  assert_false(vp_mesh_smooth_taubin(mesh, 1, 0.5, -0.53, &err));
  assert_int_equal(err.code, VP_ERR_INVALID);
  vp_mesh_free(mesh);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(single_voxel_gives_octahedron_of_one_sixth_mm3),
    cmocka_unit_test(block_2x2x2_gives_seventeen_thirds_mm3),
    cmocka_unit_test(ball_volume_is_close_to_four_thirds_pi_r_cubed),
    cmocka_unit_test(every_cube_pattern_is_closed_and_connected),
    cmocka_unit_test(every_two_cube_pattern_is_closed),
    cmocka_unit_test(random_patterns_have_one_surface_per_component),
    cmocka_unit_test(checkerboard_is_closed),
    cmocka_unit_test(voxels_touching_at_an_edge_form_one_surface),
    cmocka_unit_test(voxels_touching_at_a_corner_form_one_surface),
    cmocka_unit_test(separate_voxels_form_separate_surfaces),
    cmocka_unit_test(label_touching_the_border_is_closed),
    cmocka_unit_test(enclosed_cavity_is_filled_by_default),
    cmocka_unit_test(enclosed_cavity_kept_gives_inner_surface),
    cmocka_unit_test(mirrored_affine_still_faces_outward),
    cmocka_unit_test(vertices_are_placed_through_the_affine),
    cmocka_unit_test(missing_label_error_lists_labels_present),
    cmocka_unit_test(label_beyond_the_voxel_type_is_missing),
    cmocka_unit_test(other_labels_are_left_out),
    cmocka_unit_test(float_mask_rounds_to_nearest_label),
    cmocka_unit_test(smoothing_defaults_follow_anisotropy),
    cmocka_unit_test(smoothing_keeps_ball_closed_and_its_volume),
    cmocka_unit_test(smoothing_refuses_bad_factors),
    cmocka_unit_test(smoothing_refuses_indices_out_of_range),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
