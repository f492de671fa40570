/* Real-data suite: cases from the VerSe files under ../shared/data/verse
 * (skipped when absent). File kinds and mask detection of the real CT and
 * masks, the CT found beside its mask, the 009 L3 surface from the mask
 * against the independently made STL, the 005 L3 case with its CT, and a
 * plan round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vp-case.h"
#include "vp-test-util.h"

static char *ct005, *mask005, *mask009, *stl009;

static int setup(void **state)
{
  (void)state;
  ct005 = vp_test_shared_file("verse/sub-verse005_ct.nii.gz");
  mask005 = vp_test_shared_file("verse/sub-verse005_seg-vert_msk.nii.gz");
  mask009 = vp_test_shared_file("verse/sub-verse009_seg-vert_msk.nii.gz");
  stl009 = vp_test_shared_file("verse/sub-verse009_L3.stl");
  return ct005 && mask005 && mask009 && stl009 ? 0 : -1;
}

static int teardown(void **state)
{
  (void)state;
  free(ct005), free(mask005), free(mask009), free(stl009);
  return 0;
}

static VpVolume *load(const char *path)
{
  VpError err = {0};
  VpVolume *v = vp_volume_load_nifti(path, NULL, NULL, &err);
  if (!v)
    fail_msg("%s", err.message);
  return v;
}

static void real_files_are_told_apart_by_kind(void **state)
{
  (void)state;
  assert_int_equal(vp_file_kind(ct005), VP_FILE_VOLUME);
  assert_int_equal(vp_file_kind(mask009), VP_FILE_VOLUME);
  assert_int_equal(vp_file_kind(stl009), VP_FILE_MESH);
}

static void real_ct_is_no_mask_and_real_masks_are(void **state)
{
  (void)state;
  const char *paths[3] = {ct005, mask005, mask009};
  for (int i = 0; i < 3; i++) {
    VpVolume *v = load(paths[i]);
    assert_int_equal(vp_volume_looks_like_mask(v), i > 0);
    vp_volume_free(v);
  }
}

static void ct_and_mask_of_005_find_each_other(void **state)
{
  (void)state;
  char *mask = vp_case_find_companion(ct005, false), *ct = vp_case_find_companion(mask005, true);
  assert_non_null(mask);
  assert_non_null(ct);
  assert_string_equal(mask, mask005);
  assert_string_equal(ct, ct005);
  assert_null(vp_case_find_companion(mask009, true)); /* 009 comes without its CT */
  free(mask), free(ct);
}

static void assert_boxes_within(VpBox3 a, VpBox3 b, double tolerance_mm)
{
  const double d[6] = {a.min.x - b.min.x, a.min.y - b.min.y, a.min.z - b.min.z,
                       a.max.x - b.max.x, a.max.y - b.max.y, a.max.z - b.max.z};
  for (int i = 0; i < 6; i++) {
    if (fabs(d[i]) > tolerance_mm)
      fail_msg("bounding boxes differ by %.3f mm (side %d)", d[i], i);
  }
}

static void l3_of_009_matches_the_reference_stl(void **state)
{
  (void)state;
  VpError err = {0};
  VpCase *from_mask = vp_case_from_mask(mask009, 22, NULL, NULL, NULL, &err);
  VpCase *from_stl = vp_case_from_mesh_file(stl009, NULL, &err);
  assert_non_null(from_mask);
  assert_non_null(from_stl);
  assert_string_equal(from_mask->name, "sub-verse009 L3");
  assert_string_equal(from_stl->level, "L3");
  VpBox3 a = vp_mesh_bounds(from_mask->surface), b = vp_mesh_bounds(from_stl->surface);
  printf(
      "mask L3 box %.2f..%.2f %.2f..%.2f %.2f..%.2f mm; STL %.2f..%.2f %.2f..%.2f %.2f..%.2f mm\n",
      a.min.x, a.max.x, a.min.y, a.max.y, a.min.z, a.max.z, b.min.x, b.max.x, b.min.y, b.max.y,
      b.min.z, b.max.z);
  assert_boxes_within(a, b, 1.0);
  double va = vp_mesh_signed_volume_mm3(from_mask->surface) / 1000.0;
  double vb = vp_mesh_signed_volume_mm3(from_stl->surface) / 1000.0;
  printf("volumes: from the mask %.3f mL, STL %.3f mL\n", va, vb);
  assert_true(fabs(va - vb) < 0.02 * vb);
  assert_int_equal(from_mask->repair.components, 1);
  assert_int_equal(from_stl->repair.holes, 0);
  assert_false(from_stl->repair.inverted_fixed);
  vp_case_free(from_mask);
  vp_case_free(from_stl);
}

static void l3_of_005_with_its_ct_shares_the_grid(void **state)
{
  (void)state;
  VpError err = {0};
  VpCase *c = vp_case_from_mask(mask005, vp_level_label("L3"), ct005, NULL, NULL, &err);
  if (!c)
    fail_msg("%s", err.message);
  assert_true(c->ct_same_grid);
  assert_string_equal(c->name, "sub-verse005 L3");
  double volume = vp_mesh_signed_volume_mm3(c->surface) / 1000.0;
  printf("005 L3: %u triangles, %.2f mL (voxels 64.1 mL)\n", c->surface->triangle_count, volume);
  assert_true(fabs(volume - 64.1) < 0.03 * 64.1);
  vp_case_free(c);
}

/* Two patients: the 005 CT's box ends 54.6 mm posterior to where the 009
 * mask's begins (y), so pairing them is refused with both boxes named. */
static void ct_of_another_patient_is_refused(void **state)
{
  (void)state;
  VpError err = {0};
  assert_null(vp_case_from_mask(mask009, 22, ct005, NULL, NULL, &err));
  assert_int_equal(err.code, VP_ERR_INVALID);
  assert_non_null(strstr(err.message, "do not overlap"));
  assert_non_null(strstr(err.message, "y -80.1 to 25.9"));
}

static void real_case_survives_a_plan_round_trip(void **state)
{
  (void)state;
  VpError err = {0};
  VpCase *c = vp_case_from_mask(mask005, 22, ct005, NULL, NULL, &err);
  assert_non_null(c);
  char *stl = vp_test_tmp_path("real_L3.stl"), *plan_path = vp_test_tmp_path("real.vplan");
  assert_true(vp_case_save_surface(c, stl, &err));
  VpPlan *plan = vp_plan_new("test", &err);
  assert_true(vp_case_to_plan(c, plan, &err));
  assert_true(vp_plan_save(plan, plan_path, &err));
  VpPlanLoadReport report;
  VpPlan *loaded = vp_plan_load(plan_path, &report, &err);
  assert_non_null(loaded);
  assert_int_equal(report.source_count, 3);
  assert_int_equal(report.missing_count + report.changed_count + report.unreadable_count, 0);
  VpCase *back = vp_case_from_plan(loaded, NULL, &err);
  if (!back)
    fail_msg("%s", err.message);
  assert_int_equal(back->label, 22);
  assert_string_equal(back->level, "L3");
  assert_int_equal(back->surface->triangle_count, c->surface->triangle_count);
  assert_float_equal(vp_mesh_signed_volume_mm3(back->surface),
                     vp_mesh_signed_volume_mm3(c->surface), 1e-6);
  assert_true(back->ct_same_grid);
  vp_case_free(back);
  vp_plan_load_report_clear(&report);
  vp_plan_free(loaded);
  vp_plan_free(plan);
  vp_case_free(c);
  free(stl), free(plan_path);
}

int main(void)
{
  char *probe = vp_test_shared_file("verse/sub-verse009_seg-vert_msk.nii.gz");
  if (!probe)
    return vp_test_skip("verse-case", "../shared/data/verse is not beside the checkout");
  free(probe);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(real_files_are_told_apart_by_kind),
      cmocka_unit_test(real_ct_is_no_mask_and_real_masks_are),
      cmocka_unit_test(ct_and_mask_of_005_find_each_other),
      cmocka_unit_test(l3_of_009_matches_the_reference_stl),
      cmocka_unit_test(l3_of_005_with_its_ct_shares_the_grid),
      cmocka_unit_test(ct_of_another_patient_is_refused),
      cmocka_unit_test(real_case_survives_a_plan_round_trip),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
