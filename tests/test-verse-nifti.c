/* Real-data suite: the VerSe CT and vertebra masks under ../shared/data/verse
 * (skipped when absent). Grids, orientation, Hounsfield range, labels and
 * volumes against the README, and every vertebra's surface closed, in one
 * piece, with the right volume and placed where the reference STL is. */
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
#include "vp-test-util.h"

/* Loaded once: the files are read-only and several tests look at each. */
static VpVolume *ct005, *mask005, *mask009;
static VpVolumeInfo ct005_info, mask005_info, mask009_info;

static VpVolume *load(const char *name, VpVolumeInfo *info)
{
  char *path = vp_test_shared_file(name);
  VpError err = {0};
  VpVolume *v = path ? vp_volume_load_nifti(path, NULL, info, &err) : NULL;
  if (path && !v)
    fprintf(stderr, "%s\n", err.message);
  free(path);
  return v;
}

static int setup(void **state)
{
  (void)state;
  ct005 = load("verse/sub-verse005_ct.nii.gz", &ct005_info);
  mask005 = load("verse/sub-verse005_seg-vert_msk.nii.gz", &mask005_info);
  mask009 = load("verse/sub-verse009_seg-vert_msk.nii.gz", &mask009_info);
  return ct005 && mask005 && mask009 ? 0 : -1;
}

static int teardown(void **state)
{
  (void)state;
  vp_volume_free(ct005);
  vp_volume_free(mask005);
  vp_volume_free(mask009);
  return 0;
}

static void assert_grid(const VpVolume *v, int nx, int ny, int nz, double sx, double sy, double sz)
{
  assert_int_equal(v->dims[0], nx);
  assert_int_equal(v->dims[1], ny);
  assert_int_equal(v->dims[2], nz);
  assert_float_equal(v->spacing_mm[0], sx, 1e-4);
  assert_float_equal(v->spacing_mm[1], sy, 1e-4);
  assert_float_equal(v->spacing_mm[2], sz, 1e-4);
}

/* ---- grids ---- */

static void grids_match_the_readme(void **state)
{
  (void)state;
  assert_grid(ct005, 103, 180, 106, 1, 1, 1);
  assert_grid(mask005, 103, 180, 106, 1, 1, 1);
  assert_grid(mask009, 106, 408, 48, 1, 1, 2);
}

static void voxel_axes_are_posterior_inferior_right(void **state)
{
  (void)state;
  const VpVolume *all[] = {ct005, mask005, mask009};
  for (int i = 0; i < 3; i++) {
    char code[4];
    vp_volume_orientation_code(all[i], code);
    assert_string_equal(code, "PIR");
  }
}

static void datatypes_and_transform_are_reported(void **state)
{
  (void)state;
  assert_string_equal(ct005_info.datatype_name, "int16");
  assert_int_equal(ct005->type, VP_VOXEL_I16);
  assert_string_equal(mask005_info.datatype_name, "uint8");
  assert_int_equal(mask009->type, VP_VOXEL_U8);
  assert_true(mask009_info.compressed);
  assert_int_equal(mask009_info.nifti_version, 1);
  printf("transform of the VerSe files: %s (sform_code %d, qform_code %d)\n",
         vp_volume_transform_name(mask009_info.transform), mask009_info.sform_code,
         mask009_info.qform_code);
  assert_int_equal(mask009_info.transform, VP_VOLUME_TRANSFORM_QFORM);
}

static void ct_values_span_air_to_dense_bone(void **state)
{
  (void)state;
  double lo, hi;
  vp_volume_value_range(ct005, &lo, &hi);
  printf("sub-verse005 CT: %.0f to %.0f HU\n", lo, hi);
  assert_true(lo <= -1000);
  assert_true(hi >= 1500);
}

/* Trilinear sampling at a voxel centre returns the voxel, between two
 * centres their mean. */
static void ct_sampling_agrees_with_voxels(void **state)
{
  (void)state;
  VpVec3 centre = vp_volume_voxel_to_world(ct005, vp_vec3(50, 90, 53));
  assert_float_equal(vp_volume_sample_linear(ct005, centre, -1024),
                     vp_volume_value(ct005, 50, 90, 53), 1e-6);
  VpVec3 between = vp_volume_voxel_to_world(ct005, vp_vec3(50.5, 90, 53));
  double mean = (vp_volume_value(ct005, 50, 90, 53) + vp_volume_value(ct005, 51, 90, 53)) / 2;
  assert_float_equal(vp_volume_sample_linear(ct005, between, -1024), mean, 1e-6);
  VpVec3 far = vp_vec3(1e4, 0, 0);
  assert_float_equal(vp_volume_sample_linear(ct005, far, -1024), -1024, 0);
}

/* ---- labels ---- */

typedef struct Expected {
  int label;
  const char *level;
  double volume_ml; /* README: voxel-count volume */
} Expected;

static const Expected verse005[] = {
  {20, "L1", 52.2}, {21, "L2", 58.3}, {22, "L3", 64.1}, {23, "L4", 68.4}, {24, "L5", 68.1},
};

static const Expected verse009[] = {
  {9, "T2", 17.6},  {10, "T3", 17.9},  {11, "T4", 20.1},  {12, "T5", 17.7},
  {13, "T6", 23.2}, {14, "T7", 26.1},  {15, "T8", 27.6},  {16, "T9", 30.4},
  {17, "T10", 31.4}, {18, "T11", 35.4}, {19, "T12", 40.4}, {20, "L1", 45.6},
  {21, "L2", 53.1}, {22, "L3", 54.2},  {23, "L4", 63.4},  {24, "L5", 58.1},
};

static void assert_labels(const VpVolume *mask, const Expected *expected, size_t count)
{
  VpLabelStats stats;
  VpError err;
  assert_true(vp_volume_label_stats(mask, &stats, &err));
  assert_int_equal(stats.count, count);
  for (size_t i = 0; i < count; i++) {
    assert_int_equal(stats.labels[i].label, expected[i].label);
    assert_string_equal(vp_level_name(stats.labels[i].label), expected[i].level);
    assert_float_equal(stats.labels[i].volume_ml, expected[i].volume_ml, 0.051);
  }
  vp_label_stats_clear(&stats);
}

static void verse005_labels_are_l1_to_l5_with_readme_volumes(void **state)
{
  (void)state;
  assert_labels(mask005, verse005, sizeof verse005 / sizeof verse005[0]);
}

static void verse009_labels_are_t2_to_l5_with_readme_volumes(void **state)
{
  (void)state;
  assert_labels(mask009, verse009, sizeof verse009 / sizeof verse009[0]);
}

static void absent_level_is_refused_with_levels_present(void **state)
{
  (void)state;
  VpError err = {0};
  assert_null(vp_volume_extract_label_surface(mask005, vp_level_label("T12"), NULL, &err));
  assert_non_null(strstr(err.message, "20 (L1), 21 (L2), 22 (L3), 23 (L4), 24 (L5)"));
}

/* ---- surfaces ---- */

static void assert_surface(const VpVolume *mask, const Expected *e)
{
  VpError err = {0};
  VpMesh *mesh = vp_volume_extract_label_surface(mask, e->label, NULL, &err);
  if (!mesh)
    fail_msg("%s: %s", e->level, err.message);
  VpMeshStats s;
  assert_true(vp_mesh_measure(mesh, &s, &err));
  printf("  %-3s %7u triangles  %6.2f mL (voxels %5.1f mL, %+.2f %%)  %s, %u component(s)\n",
         e->level, s.triangles, s.volume_ml, e->volume_ml,
         100 * (s.volume_ml - e->volume_ml) / e->volume_ml,
         s.edges.watertight ? "watertight" : "OPEN", s.components);
  assert_true(s.edges.watertight);
  assert_true(s.outward);
  assert_int_equal(s.components, 1);
  assert_true(fabs(s.volume_ml - e->volume_ml) < 0.03 * e->volume_ml);
  vp_mesh_free(mesh);
}

static void every_verse005_vertebra_is_one_closed_surface(void **state)
{
  (void)state;
  for (size_t i = 0; i < sizeof verse005 / sizeof verse005[0]; i++)
    assert_surface(mask005, &verse005[i]);
}

/* 2 mm slices: the default options smooth, and the volume must still hold. */
static void every_verse009_vertebra_is_one_closed_smoothed_surface(void **state)
{
  (void)state;
  VpSurfaceOptions opts;
  vp_surface_options_default(mask009, &opts);
  assert_true(opts.smooth);
  for (size_t i = 0; i < sizeof verse009 / sizeof verse009[0]; i++)
    assert_surface(mask009, &verse009[i]);
}

/* The reference STL was made independently (marching cubes, no smoothing):
 * our L3 must sit in the same place, each face of the bounding box within 1 mm. */
static void verse009_l3_lies_where_the_reference_stl_does(void **state)
{
  (void)state;
  char *path = vp_test_shared_file("verse/sub-verse009_L3.stl");
  if (!path)
    skip();
  VpError err = {0};
  VpMesh *reference = vp_mesh_load_stl(path, NULL, &err);
  free(path);
  assert_non_null(reference);
  VpMesh *ours = vp_volume_extract_label_surface(mask009, 22, NULL, &err);
  assert_non_null(ours);
  VpBox3 a = vp_mesh_bounds(ours), b = vp_mesh_bounds(reference);
  printf("L3 box ours (%.2f %.2f %.2f)-(%.2f %.2f %.2f), reference (%.2f %.2f %.2f)-(%.2f %.2f "
         "%.2f)\n",
         a.min.x, a.min.y, a.min.z, a.max.x, a.max.y, a.max.z, b.min.x, b.min.y, b.min.z, b.max.x,
         b.max.y, b.max.z);
  assert_true(fabs(a.min.x - b.min.x) <= 1.0 && fabs(a.max.x - b.max.x) <= 1.0);
  assert_true(fabs(a.min.y - b.min.y) <= 1.0 && fabs(a.max.y - b.max.y) <= 1.0);
  assert_true(fabs(a.min.z - b.min.z) <= 1.0 && fabs(a.max.z - b.max.z) <= 1.0);
  vp_mesh_free(ours);
  vp_mesh_free(reference);
}

/* Without smoothing our marching cubes meets the independent extraction
 * the STL files came from: same counts, same box, volume within 0.2 %. */
static void assert_matches_reference(int label, const char *stl)
{
  char *path = vp_test_shared_file(stl);
  if (!path)
    skip();
  VpError err = {0};
  VpMesh *reference = vp_mesh_load_stl(path, NULL, &err);
  free(path);
  assert_non_null(reference);
  VpSurfaceOptions opts;
  vp_surface_options_default(mask009, &opts);
  opts.smooth = false;
  VpMesh *ours = vp_volume_extract_label_surface(mask009, label, &opts, &err);
  assert_non_null(ours);
  assert_int_equal(ours->triangle_count, reference->triangle_count);
  assert_int_equal(ours->vertex_count, reference->vertex_count);
  VpBox3 a = vp_mesh_bounds(ours), b = vp_mesh_bounds(reference);
  assert_float_equal(a.min.x, b.min.x, 0.01);
  assert_float_equal(a.min.y, b.min.y, 0.01);
  assert_float_equal(a.min.z, b.min.z, 0.01);
  assert_float_equal(a.max.x, b.max.x, 0.01);
  assert_float_equal(a.max.y, b.max.y, 0.01);
  assert_float_equal(a.max.z, b.max.z, 0.01);
  double va = vp_mesh_signed_volume_mm3(ours), vb = vp_mesh_signed_volume_mm3(reference);
  printf("label %d unsmoothed: %.3f mL, reference STL %.3f mL\n", label, va / 1000, vb / 1000);
  assert_true(fabs(va - vb) < 0.002 * vb);
  vp_mesh_free(ours);
  vp_mesh_free(reference);
}

static void unsmoothed_l3_matches_the_reference_stl(void **state)
{
  (void)state;
  assert_matches_reference(22, "verse/sub-verse009_L3.stl");
}

static void unsmoothed_t8_matches_the_reference_ascii_stl(void **state)
{
  (void)state;
  assert_matches_reference(15, "verse/sub-verse009_T8_ascii.stl");
}

/* Smoothing the 2 mm staircase moves the volume by well under 1 %. */
static void smoothing_keeps_every_verse009_volume_within_1_percent(void **state)
{
  (void)state;
  VpSurfaceOptions raw, smooth;
  vp_surface_options_default(mask009, &smooth);
  raw = smooth;
  raw.smooth = false;
  for (size_t i = 0; i < sizeof verse009 / sizeof verse009[0]; i++) {
    VpMesh *a = vp_volume_extract_label_surface(mask009, verse009[i].label, &raw, NULL);
    VpMesh *b = vp_volume_extract_label_surface(mask009, verse009[i].label, &smooth, NULL);
    assert_non_null(a);
    assert_non_null(b);
    double va = vp_mesh_signed_volume_mm3(a), vb = vp_mesh_signed_volume_mm3(b);
    assert_true(fabs(vb - va) < 0.01 * va);
    vp_mesh_free(a);
    vp_mesh_free(b);
  }
}

int main(void)
{
  char *probe = vp_test_shared_file("verse/sub-verse009_seg-vert_msk.nii.gz");
  if (!probe)
    return vp_test_skip("verse-nifti", "the VerSe data are not in ../shared/data/verse");
  free(probe);
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(grids_match_the_readme),
    cmocka_unit_test(voxel_axes_are_posterior_inferior_right),
    cmocka_unit_test(datatypes_and_transform_are_reported),
    cmocka_unit_test(ct_values_span_air_to_dense_bone),
    cmocka_unit_test(ct_sampling_agrees_with_voxels),
    cmocka_unit_test(verse005_labels_are_l1_to_l5_with_readme_volumes),
    cmocka_unit_test(verse009_labels_are_t2_to_l5_with_readme_volumes),
    cmocka_unit_test(absent_level_is_refused_with_levels_present),
    cmocka_unit_test(every_verse005_vertebra_is_one_closed_surface),
    cmocka_unit_test(every_verse009_vertebra_is_one_closed_smoothed_surface),
    cmocka_unit_test(verse009_l3_lies_where_the_reference_stl_does),
    cmocka_unit_test(unsmoothed_l3_matches_the_reference_stl),
    cmocka_unit_test(unsmoothed_t8_matches_the_reference_ascii_stl),
    cmocka_unit_test(smoothing_keeps_every_verse009_volume_within_1_percent),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
