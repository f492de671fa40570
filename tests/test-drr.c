/* Tests of simulated fluoroscopy: C-arm view geometry and conventions, line
 * integrals through synthetic volumes with known answers (a water slab, a
 * bone cylinder, a flat box), symmetry, determinism across thread counts,
 * and the synthetic CT of a surface for cases without one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vp-drr.h"
#include "vp-phantom.h"
#include "vp-test-shapes.h"

#define W 96
#define H 80

/* ---- fixtures ---- */

typedef double (*HuAt)(VpVec3 p_mm);

/* A volume of dims voxels of spacing mm centred on the world origin, its
 * voxel axes along x, y, z; each voxel takes hu(centre). */
static VpVolume *volume_new(int nx, int ny, int nz, double spacing, HuAt hu)
{
  int dims[3] = {nx, ny, nz};
  VpMat4 affine = vp_mat4_mul(
      vp_mat4_translation(vp_vec3(-0.5 * (nx - 1) * spacing, -0.5 * (ny - 1) * spacing,
                                  -0.5 * (nz - 1) * spacing)),
      vp_mat4_scaling(vp_vec3(spacing, spacing, spacing)));
  VpVolume *vol = vp_volume_new(dims, VP_VOXEL_I16, &affine, NULL, NULL);
  assert_non_null(vol);
  for (int k = 0; k < nz; k++)
    for (int j = 0; j < ny; j++)
      for (int i = 0; i < nx; i++)
        vp_volume_set_value(vol, i, j, k, hu(vp_volume_voxel_to_world(vol, vp_vec3(i, j, k))));
  return vol;
}

static double slab_40mm(VpVec3 p) { return fabs(p.y) < 20.0 ? 0.0 : -1000.0; }
static double all_air(VpVec3 p) { return -1024.0 + 0.0 * p.x; }
/* A bone cylinder along z, radius 10 mm, in a water cylinder of radius 30 mm. */
static double bone_cylinder(VpVec3 p)
{
  double r = hypot(p.x, p.y);
  return r < 10.0 ? 1000.0 : (r < 30.0 ? 0.0 : -1000.0);
}
static double soft_cylinder(VpVec3 p) { return hypot(p.x, p.y) < 10.0 ? 400.0 : bone_cylinder(p); }
/* 80 mm wide (x) and 20 mm deep (y). */
static double flat_box(VpVec3 p) { return fabs(p.x) < 40.0 && fabs(p.y) < 10.0 ? 0.0 : -1000.0; }
/* Asymmetric: a bone block on the patient's right, so mirror images differ. */
static double block_on_right(VpVec3 p) { return p.x > 10.0 && p.x < 30.0 && fabs(p.y) < 10.0 ? 1000.0 : -1000.0; }

static VpDrrView view_of(VpDrrProjection projection, bool perspective, double fov_mm)
{
  VpViewFrame frame = vp_view_frame_world(vp_vec3(0, 0, 0));
  VpDrrView view;
  VpError err;
  assert_true(vp_drr_view_init(&view, projection, &frame, W, H, fov_mm, &err));
  view.perspective = perspective;
  return view;
}

static VpDrrImage project(const VpVolume *vol, const VpDrrView *view, int threads)
{
  VpDrrOptions options = vp_drr_options_default();
  options.threads = threads;
  VpDrrImage image = {0};
  VpError err;
  assert_true(vp_drr_compute(vol, view, &options, &image, &err));
  return image;
}

static float at(const VpDrrImage *image, int x, int y)
{
  return image->attenuation[(size_t)y * image->width_px + x];
}

/* ---- frames ---- */

static void test_frame_from_tilted_axes_is_orthonormal_and_right_handed(void **state)
{
  (void)state;
  VpViewFrame f;
  VpError err;
  assert_true(vp_view_frame_from_axes(vp_vec3(1, 2, 3), vp_vec3(0.2, 1, 0.3), vp_vec3(0, 0.1, 1),
                                      &f, &err));
  assert_float_equal(vp_vec3_length(f.right), 1.0, 1e-12);
  assert_float_equal(vp_vec3_length(f.anterior), 1.0, 1e-12);
  assert_float_equal(vp_vec3_dot(f.anterior, f.superior), 0.0, 1e-12);
  assert_float_equal(vp_vec3_dot(vp_vec3_cross(f.right, f.anterior), f.superior), 1.0, 1e-12);
  assert_true(f.right.x > 0.9); /* still roughly the patient's right */
}

static void test_frame_from_parallel_axes_fails(void **state)
{
  (void)state;
  VpViewFrame f;
  VpError err;
  assert_false(vp_view_frame_from_axes(vp_vec3(0, 0, 0), vp_vec3(0, 0, 2), vp_vec3(0, 0, 1), &f, &err));
  assert_int_equal(err.code, VP_ERR_INVALID);
}

/* ---- view geometry ---- */

static void test_ap_view_shows_patient_right_on_screen_left_and_superior_up(void **state)
{
  (void)state;
  VpDrrView view = view_of(VP_DRR_AP, true, 200.0);
  double px, py;
  assert_true(vp_drr_view_project(&view, vp_vec3(50, 0, 0), &px, &py));
  assert_true(px < W / 2.0);
  assert_true(vp_drr_view_project(&view, vp_vec3(0, 0, 50), &px, &py));
  assert_true(py < H / 2.0);
}

static void test_ap_beam_runs_from_anterior_to_posterior(void **state)
{
  (void)state;
  VpDrrView view = view_of(VP_DRR_AP, true, 200.0);
  VpVec3 beam = vp_drr_view_beam(&view), source = vp_drr_view_source(&view);
  assert_float_equal(beam.y, -1.0, 1e-12);
  assert_true(source.y > 0.0); /* the tube is on the anterior side */
}

static void test_lateral_view_shows_anterior_on_screen_left_with_beam_left_to_right(void **state)
{
  (void)state;
  VpDrrView view = view_of(VP_DRR_LATERAL, true, 200.0);
  double px, py;
  assert_true(vp_drr_view_project(&view, vp_vec3(0, 50, 0), &px, &py));
  assert_true(px < W / 2.0);
  assert_float_equal(vp_drr_view_beam(&view).x, 1.0, 1e-12);
}

static void test_pixel_ray_passes_through_the_projected_point(void **state)
{
  (void)state;
  VpDrrView view = view_of(VP_DRR_AP, true, 200.0);
  VpVec3 p = vp_vec3(23.0, -17.0, 31.0), origin, dir;
  double px, py;
  assert_true(vp_drr_view_project(&view, p, &px, &py));
  vp_drr_view_pixel_ray(&view, px, py, &origin, &dir);
  VpVec3 to_p = vp_vec3_sub(p, origin);
  double off_ray = vp_vec3_length(vp_vec3_sub(to_p, vp_vec3_scale(dir, vp_vec3_dot(to_p, dir))));
  assert_float_equal(off_ray, 0.0, 1e-9);
}

static void test_point_behind_the_source_does_not_project(void **state)
{
  (void)state;
  VpDrrView view = view_of(VP_DRR_AP, true, 200.0);
  double px, py;
  assert_false(vp_drr_view_project(&view, vp_vec3(0, 2000, 0), &px, &py));
}

static void test_view_check_refuses_views_that_make_no_sense(void **state)
{
  (void)state;
  VpDrrView good = view_of(VP_DRR_AP, true, 200.0), v;
  VpError err;
  v = good, v.width_px = 0;
  assert_false(vp_drr_view_check(&v, &err));
  assert_int_equal(err.code, VP_ERR_INVALID);
  v = good, v.u = vp_vec3(2, 0, 0);
  assert_false(vp_drr_view_check(&v, &err));
  v = good, v.v = v.u;
  assert_false(vp_drr_view_check(&v, &err));
  v = good, v.center_mm.x = NAN;
  assert_false(vp_drr_view_check(&v, &err));
  v = good, v.mm_per_px = -1.0;
  assert_false(vp_drr_view_check(&v, &err));
  v = good, v.source_to_center_mm = 0.0;
  assert_false(vp_drr_view_check(&v, &err));
  v.perspective = false; /* the distance only matters in perspective */
  assert_true(vp_drr_view_check(&v, &err));
}

static void test_huge_image_is_refused_before_allocating(void **state)
{
  (void)state;
  VpVolume *vol = volume_new(4, 4, 4, 1.0, all_air);
  VpDrrView view = view_of(VP_DRR_AP, false, 200.0);
  view.width_px = VP_DRR_MAX_SIDE_PX;
  view.height_px = VP_DRR_MAX_SIDE_PX;
  VpDrrImage image = {0};
  VpError err;
  assert_false(vp_drr_compute(vol, &view, NULL, &image, &err));
  assert_int_equal(err.code, VP_ERR_LIMIT);
  assert_null(image.attenuation);
  vp_volume_free(vol);
}

static void test_compute_refuses_a_missing_volume(void **state)
{
  (void)state;
  VpDrrView view = view_of(VP_DRR_AP, false, 200.0);
  VpDrrImage image = {0};
  VpError err;
  assert_false(vp_drr_compute(NULL, &view, NULL, &image, &err));
  assert_int_equal(err.code, VP_ERR_INVALID);
}

static void test_init_refuses_a_field_of_view_that_is_not_positive(void **state)
{
  (void)state;
  VpViewFrame frame = vp_view_frame_world(vp_vec3(0, 0, 0));
  VpDrrView view;
  VpError err;
  assert_false(vp_drr_view_init(&view, VP_DRR_AP, &frame, W, H, 0.0, &err));
  assert_int_equal(err.code, VP_ERR_INVALID);
}

static void test_fit_box_keeps_every_corner_inside_the_image(void **state)
{
  (void)state;
  VpDrrView view = view_of(VP_DRR_LATERAL, true, 10.0);
  VpBox3 box = {vp_vec3(-40, -70, 10), vp_vec3(60, 30, 130)};
  vp_drr_view_fit_box(&view, box, 0.05);
  for (int c = 0; c < 8; c++) {
    VpVec3 p = vp_vec3(c & 1 ? box.max.x : box.min.x, c & 2 ? box.max.y : box.min.y,
                       c & 4 ? box.max.z : box.min.z);
    double px, py;
    assert_true(vp_drr_view_project(&view, p, &px, &py));
    assert_true(px >= 0.0 && px <= W && py >= 0.0 && py <= H);
  }
}

static void test_reduced_view_keeps_the_field_of_view(void **state)
{
  (void)state;
  VpDrrView view = view_of(VP_DRR_AP, true, 200.0), half = vp_drr_view_reduced(&view, 2);
  assert_int_equal(half.width_px, W / 2);
  assert_int_equal(half.height_px, H / 2);
  assert_float_equal(half.width_px * half.mm_per_px, view.width_px * view.mm_per_px, 1e-9);
}

static void test_rotating_ap_a_quarter_turn_about_superior_gives_lateral(void **state)
{
  (void)state;
  VpDrrView ap = view_of(VP_DRR_AP, true, 200.0), lat = view_of(VP_DRR_LATERAL, true, 200.0);
  vp_drr_view_rotate(&ap, vp_vec3(0, 0, 1), VP_PI / 2);
  assert_float_equal(vp_vec3_distance(ap.u, lat.u), 0.0, 1e-12);
  assert_float_equal(vp_vec3_distance(vp_drr_view_beam(&ap), vp_drr_view_beam(&lat)), 0.0, 1e-12);
}

/* ---- line integrals ---- */

static void test_water_slab_attenuates_by_mu_times_thickness(void **state)
{
  (void)state;
  VpVolume *vol = volume_new(50, 76, 50, 0.8, slab_40mm); /* no voxel centre on the faces */
  VpDrrView view = view_of(VP_DRR_AP, false, 30.0);
  VpDrrImage image = project(vol, &view, 1);
  assert_float_equal(at(&image, W / 2, H / 2), VP_MU_WATER_60KEV_PER_MM * 40.0,
                     0.01 * VP_MU_WATER_60KEV_PER_MM * 40.0);
  vp_drr_image_clear(&image);
  vp_volume_free(vol);
}

static void test_nothing_behind_the_source_attenuates(void **state)
{
  (void)state;
  VpVolume *vol = volume_new(50, 76, 50, 0.8, slab_40mm);
  VpDrrView view = view_of(VP_DRR_AP, true, 30.0);
  view.source_to_center_mm = 10.0; /* the source inside the slab, 10 mm anterior */
  VpDrrImage image = project(vol, &view, 1);
  assert_float_equal(at(&image, W / 2, H / 2), VP_MU_WATER_60KEV_PER_MM * 30.0,
                     0.02 * VP_MU_WATER_60KEV_PER_MM * 30.0);
  vp_drr_image_clear(&image);
  vp_volume_free(vol);
}

static void test_air_attenuates_nothing(void **state)
{
  (void)state;
  VpVolume *vol = volume_new(20, 20, 20, 1.0, all_air);
  VpDrrView view = view_of(VP_DRR_LATERAL, true, 40.0);
  VpDrrImage image = project(vol, &view, 1);
  for (size_t i = 0; i < (size_t)W * H; i++)
    assert_float_equal(image.attenuation[i], 0.0, 0.0);
  vp_drr_image_clear(&image);
  vp_volume_free(vol);
}

static void test_rays_missing_the_volume_stay_zero(void **state)
{
  (void)state;
  VpVolume *vol = volume_new(20, 20, 20, 1.0, slab_40mm);
  VpDrrView view = view_of(VP_DRR_AP, false, 200.0); /* the 20 mm volume fills the middle only */
  VpDrrImage image = project(vol, &view, 1);
  assert_float_equal(at(&image, 0, 0), 0.0, 0.0);
  assert_true(at(&image, W / 2, H / 2) > 0.0f);
  vp_drr_image_clear(&image);
  vp_volume_free(vol);
}

static void test_ap_of_a_symmetric_cylinder_is_left_right_symmetric(void **state)
{
  (void)state;
  VpVolume *vol = volume_new(64, 64, 40, 1.0, bone_cylinder);
  VpDrrView view = view_of(VP_DRR_AP, true, 80.0);
  VpDrrImage image = project(vol, &view, 2);
  float peak = vp_drr_image_max(&image);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W / 2; x++)
      assert_float_equal(at(&image, x, y), at(&image, W - 1 - x, y), 1e-4 * peak);
  vp_drr_image_clear(&image);
  vp_volume_free(vol);
}

static void test_asymmetric_volume_is_not_mirror_symmetric(void **state)
{
  (void)state;
  VpVolume *vol = volume_new(64, 64, 40, 1.0, block_on_right);
  VpDrrView view = view_of(VP_DRR_AP, true, 80.0);
  VpDrrImage image = project(vol, &view, 1);
  double left = 0.0, right = 0.0;
  for (int x = 0; x < W / 2; x++) {
    left += at(&image, x, H / 2);
    right += at(&image, W - 1 - x, H / 2);
  }
  assert_true(left > 0.0 && right == 0.0); /* the patient's right shows on the screen's left */
  vp_drr_image_clear(&image);
  vp_volume_free(vol);
}

static void test_bone_is_brighter_than_water_and_denser_bone_brighter_still(void **state)
{
  (void)state;
  VpVolume *bone = volume_new(64, 64, 40, 1.0, bone_cylinder);
  VpVolume *soft = volume_new(64, 64, 40, 1.0, soft_cylinder);
  VpDrrView view = view_of(VP_DRR_AP, false, 80.0);
  VpDrrImage a = project(bone, &view, 1), b = project(soft, &view, 1);
  int beside = W / 2 + (int)(20.0 / view.mm_per_px); /* through water only, 20 mm off axis */
  assert_true(at(&a, W / 2, H / 2) > at(&a, beside, H / 2));
  assert_true(at(&a, W / 2, H / 2) > at(&b, W / 2, H / 2));
  vp_drr_image_clear(&a);
  vp_drr_image_clear(&b);
  vp_volume_free(bone);
  vp_volume_free(soft);
}

static void test_lateral_and_ap_see_different_thicknesses(void **state)
{
  (void)state;
  VpVolume *vol = volume_new(100, 30, 20, 1.0, flat_box);
  VpDrrView ap = view_of(VP_DRR_AP, false, 120.0), lat = view_of(VP_DRR_LATERAL, false, 120.0);
  VpDrrImage a = project(vol, &ap, 1), l = project(vol, &lat, 1);
  /* 20 mm of water front to back, 80 mm side to side */
  assert_float_equal(at(&l, W / 2, H / 2) / at(&a, W / 2, H / 2), 4.0, 0.1);
  vp_drr_image_clear(&a);
  vp_drr_image_clear(&l);
  vp_volume_free(vol);
}

static void test_perspective_matches_parallel_from_far_away(void **state)
{
  (void)state;
  VpVolume *vol = volume_new(64, 64, 40, 1.0, bone_cylinder);
  VpDrrView persp = view_of(VP_DRR_AP, true, 80.0), par = view_of(VP_DRR_AP, false, 80.0);
  persp.source_to_center_mm = 1e6;
  VpDrrImage a = project(vol, &persp, 1), b = project(vol, &par, 1);
  float peak = vp_drr_image_max(&b);
  for (size_t i = 0; i < (size_t)W * H; i++)
    assert_float_equal(a.attenuation[i], b.attenuation[i], 0.01 * peak);
  vp_drr_image_clear(&a);
  vp_drr_image_clear(&b);
  vp_volume_free(vol);
}

static void test_perspective_magnifies_what_is_near_the_source(void **state)
{
  (void)state;
  VpDrrView view = view_of(VP_DRR_AP, true, 200.0);
  double near_x, far_x, py;
  assert_true(vp_drr_view_project(&view, vp_vec3(20, 100, 0), &near_x, &py)); /* anterior: near the tube */
  assert_true(vp_drr_view_project(&view, vp_vec3(20, -100, 0), &far_x, &py));
  assert_true(W / 2.0 - near_x > W / 2.0 - far_x);
}

static void test_same_input_gives_identical_bytes_for_any_thread_count(void **state)
{
  (void)state;
  VpVolume *vol = volume_new(64, 64, 40, 1.0, bone_cylinder);
  VpDrrView view = view_of(VP_DRR_LATERAL, true, 80.0);
  vp_drr_view_rotate(&view, vp_vec3(1, 0.3, 0.2), 0.4);
  VpDrrImage one = project(vol, &view, 1), again = project(vol, &view, 1);
  VpDrrImage two = project(vol, &view, 2), five = project(vol, &view, 5);
  size_t bytes = (size_t)W * H * sizeof(float);
  assert_memory_equal(one.attenuation, again.attenuation, bytes);
  assert_memory_equal(one.attenuation, two.attenuation, bytes);
  assert_memory_equal(one.attenuation, five.attenuation, bytes);
  vp_drr_image_clear(&one);
  vp_drr_image_clear(&again);
  vp_drr_image_clear(&two);
  vp_drr_image_clear(&five);
  vp_volume_free(vol);
}

/* VerSe files store their voxels posterior, inferior, right (PIR): the
 * picture must come from the world positions, not the storage order. */
static void test_voxel_axis_order_does_not_change_the_image(void **state)
{
  (void)state;
  VpVolume *ras = volume_new(64, 64, 40, 1.0, block_on_right);
  int dims[3] = {64, 40, 64}; /* i: posterior, j: inferior, k: right */
  VpMat4 pir = {{{0, 0, 1, -31.5}, {-1, 0, 0, 31.5}, {0, -1, 0, 19.5}, {0, 0, 0, 1}}};
  VpVolume *stored = vp_volume_new(dims, VP_VOXEL_I16, &pir, NULL, NULL);
  assert_non_null(stored);
  for (int k = 0; k < 64; k++)
    for (int j = 0; j < 40; j++)
      for (int i = 0; i < 64; i++)
        vp_volume_set_value(stored, i, j, k,
                            block_on_right(vp_volume_voxel_to_world(stored, vp_vec3(i, j, k))));
  VpDrrView view = view_of(VP_DRR_AP, true, 80.0);
  VpDrrImage a = project(ras, &view, 1), b = project(stored, &view, 1);
  float peak = vp_drr_image_max(&a);
  assert_true(peak > 0.0f);
  for (size_t i = 0; i < (size_t)W * H; i++)
    assert_float_equal(a.attenuation[i], b.attenuation[i], 0.02 * peak);
  vp_drr_image_clear(&a);
  vp_drr_image_clear(&b);
  vp_volume_free(ras);
  vp_volume_free(stored);
}

/* The same voxels stored as float32 and int32 (as NIfTI loading may give)
 * project to the same picture as int16. */
static void test_voxel_type_does_not_change_the_image(void **state)
{
  (void)state;
  VpVolume *i16 = volume_new(32, 32, 20, 1.0, bone_cylinder);
  VpDrrView view = view_of(VP_DRR_AP, true, 60.0);
  VpDrrImage reference = project(i16, &view, 1);
  VpVoxelType types[2] = {VP_VOXEL_F32, VP_VOXEL_I32};
  for (int t = 0; t < 2; t++) {
    VpVolume *other = vp_volume_new(i16->dims, types[t], &i16->voxel_to_world, NULL, NULL);
    assert_non_null(other);
    for (int k = 0; k < 20; k++)
      for (int j = 0; j < 32; j++)
        for (int i = 0; i < 32; i++)
          vp_volume_set_value(other, i, j, k, vp_volume_value(i16, i, j, k));
    VpDrrImage image = project(other, &view, 1);
    assert_memory_equal(image.attenuation, reference.attenuation, (size_t)W * H * sizeof(float));
    vp_drr_image_clear(&image);
    vp_volume_free(other);
  }
  vp_drr_image_clear(&reference);
  vp_volume_free(i16);
}

static void test_image_of_the_same_size_is_reused(void **state)
{
  (void)state;
  VpVolume *vol = volume_new(20, 20, 20, 1.0, slab_40mm);
  VpDrrView view = view_of(VP_DRR_AP, false, 40.0);
  VpDrrImage image = project(vol, &view, 1);
  float *first = image.attenuation;
  VpDrrView half = vp_drr_view_reduced(&view, 2);
  VpError err;
  assert_true(vp_drr_compute(vol, &half, NULL, &image, &err));
  assert_ptr_equal(image.attenuation, first);
  assert_int_equal(image.width_px, W / 2);
  vp_drr_image_clear(&image);
  vp_volume_free(vol);
}

static bool always_cancelled(void *user)
{
  (void)user;
  return true;
}

static void test_cancelled_computation_reports_it(void **state)
{
  (void)state;
  VpVolume *vol = volume_new(20, 20, 20, 1.0, slab_40mm);
  VpDrrView view = view_of(VP_DRR_AP, false, 40.0);
  VpProgress progress = {.cancelled = always_cancelled};
  VpDrrOptions options = vp_drr_options_default();
  options.progress = &progress;
  options.threads = 2;
  VpDrrImage image = {0};
  VpError err;
  assert_false(vp_drr_compute(vol, &view, &options, &image, &err));
  assert_int_equal(err.code, VP_ERR_CANCELLED);
  vp_drr_image_clear(&image);
  vp_volume_free(vol);
}

/* ---- synthetic CT from a surface ---- */

static void test_synthetic_ct_has_cortex_cancellous_core_and_air(void **state)
{
  (void)state;
  VpMesh *cube = vp_test_cube_new(10.0);
  VpSyntheticCtOptions options = vp_synthetic_ct_options_default();
  options.spacing_mm = 0.5;
  VpError err;
  VpVolume *ct = vp_synthetic_ct_from_mesh(cube, &options, &err);
  assert_non_null(ct);
  assert_float_equal(vp_volume_sample_nearest(ct, vp_vec3(0, 0, 0), NAN), 200.0, 1.0);
  assert_float_equal(vp_volume_sample_nearest(ct, vp_vec3(9.5, 0, 0), NAN), 1000.0, 1.0);
  assert_float_equal(vp_volume_sample_nearest(ct, vp_vec3(11.0, 0, 0), NAN), -1000.0, 1.0);
  vp_volume_free(ct);
  vp_mesh_free(cube);
}

static void test_synthetic_ct_refuses_an_empty_surface(void **state)
{
  (void)state;
  VpMesh *empty = vp_mesh_new(0, 0, NULL);
  VpError err;
  assert_null(vp_synthetic_ct_from_mesh(empty, NULL, &err));
  assert_int_equal(err.code, VP_ERR_INVALID);
  vp_mesh_free(empty);
}

static void test_synthetic_ct_refuses_a_grid_above_the_limit(void **state)
{
  (void)state;
  VpMesh *cube = vp_test_cube_new(500.0);
  VpSyntheticCtOptions options = vp_synthetic_ct_options_default();
  options.spacing_mm = 0.1;
  VpError err;
  assert_null(vp_synthetic_ct_from_mesh(cube, &options, &err));
  assert_int_equal(err.code, VP_ERR_LIMIT);
  vp_mesh_free(cube);
}

static void test_mesh_only_radiograph_shows_the_bone(void **state)
{
  (void)state;
  VpMesh *cube = vp_test_cube_new(10.0);
  VpError err;
  VpVolume *ct = vp_synthetic_ct_from_mesh(cube, NULL, &err);
  assert_non_null(ct);
  VpDrrView view = view_of(VP_DRR_AP, true, 40.0);
  VpDrrImage image = project(ct, &view, 2);
  /* 2 mm of cortex and 18 mm of cancellous bone along the central ray */
  double expected = VP_MU_WATER_60KEV_PER_MM * (2.0 * 2.0 + 18.0 * 1.2);
  assert_float_equal(at(&image, W / 2, H / 2), expected, 0.05 * expected);
  assert_float_equal(at(&image, 2, 2), 0.0, 0.0);
  vp_drr_image_clear(&image);
  vp_volume_free(ct);
  vp_mesh_free(cube);
}

/* ---- the anatomical phantom ---- */

/* One L3 phantom at 1 mm for the tests below, built on first use. */
static VpPhantom *l3_phantom;

static const VpPhantom *phantom(void)
{
  if (l3_phantom)
    return l3_phantom;
  VpPhantomParams params;
  VpError err;
  assert_true(vp_phantom_params_init(&params, "L3", &err));
  assert_true(vp_phantom_params_set(&params, "spacing_mm", 1.0, &err));
  l3_phantom = vp_phantom_generate(&params, NULL, &err);
  assert_non_null(l3_phantom);
  return l3_phantom;
}

/* A view of the phantom centred on its vertebral body, 1 mm pixels. */
static VpDrrView phantom_view(VpDrrProjection projection)
{
  VpViewFrame frame = vp_view_frame_world(
      vp_mat4_transform_point(phantom()->local_to_world, vp_vec3(0, 0, 0)));
  VpDrrView view;
  VpError err;
  assert_true(vp_drr_view_init(&view, projection, &frame, W, H, W, &err));
  return view;
}

/* Mean attenuation over pixels whose isocentre-plane position, in mm from
 * the body's centre along the image axes, lies in [x0, x1] x [y0, y1]. */
static double mean_in(const VpDrrImage *image, const VpDrrView *view, double x0, double x1,
                      double y0, double y1)
{
  double sum = 0.0;
  int n = 0;
  for (int y = 0; y < image->height_px; y++)
    for (int x = 0; x < image->width_px; x++) {
      double right = (x + 0.5 - 0.5 * W) * view->mm_per_px, up = (0.5 * H - y - 0.5) * view->mm_per_px;
      if (right >= x0 && right <= x1 && up >= y0 && up <= y1) {
        sum += at(image, x, y);
        n++;
      }
    }
  assert_true(n > 0);
  return sum / n;
}

static void test_ap_of_the_phantom_is_left_right_symmetric(void **state)
{
  (void)state;
  VpDrrView view = phantom_view(VP_DRR_AP);
  VpDrrImage image = project(phantom()->ct, &view, 2);
  double difference = 0.0, peak = vp_drr_image_max(&image);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      difference += fabs(at(&image, x, y) - at(&image, W - 1 - x, y));
  /* the CT noise is not symmetric; the shape is */
  assert_true(difference / (W * H) < 0.005 * peak);
  vp_drr_image_clear(&image);
}

static void test_ap_of_the_phantom_shows_bone_brighter_than_soft_tissue(void **state)
{
  (void)state;
  VpDrrView view = phantom_view(VP_DRR_AP);
  VpDrrImage image = project(phantom()->ct, &view, 1);
  /* below the transverse processes: the body against the tissue beside it */
  double spine = mean_in(&image, &view, -10, 10, -10, -2);
  double beside = mean_in(&image, &view, 30, 40, -10, -2);
  assert_true(spine > 1.05 * beside);
  vp_drr_image_clear(&image);
}

/* With the surrounding tissue turned to air, as the vertebra alone: on a
 * lateral view the body lies anterior (screen left) of the canal. */
static void test_lateral_of_the_phantom_shows_the_body_in_front_of_the_canal(void **state)
{
  (void)state;
  const VpPhantom *p = phantom();
  VpError err;
  VpVolume *bone = vp_volume_clone(p->ct, &err);
  assert_non_null(bone);
  size_t n = vp_volume_voxel_count(bone);
  for (size_t i = 0; i < n; i++)
    if (((const uint8_t *)p->mask->data)[i] == 0)
      ((int16_t *)bone->data)[i] = -1000;
  VpDrrView view = phantom_view(VP_DRR_LATERAL);
  VpDrrImage image = project(bone, &view, 1);
  double half_depth = 0.5 * p->params.body_depth_mm, canal = p->truth.canal_center_y_mm;
  /* between the lower endplate and the pedicles, whose shadows fall on the
   * canal in a true lateral view */
  const VpPhantomPedicle *pedicle = &p->truth.pedicle[0];
  double centre_z = vp_mat4_transform_point(p->local_to_world, vp_vec3(0, 0, 0)).z;
  double low = -0.5 * p->params.body_height_posterior_mm + 2.0;
  double high = pedicle->isthmus_center_mm.z - centre_z - 0.5 * pedicle->height_mm - 1.0;
  assert_true(high - low > 2.0);
  /* screen right is posterior: x = -y of the vertebra frame */
  double body = mean_in(&image, &view, -half_depth + 3, half_depth - 3, low, high);
  double in_canal = mean_in(&image, &view, -canal - 3, -canal + 3, low, high);
  assert_true(body > 1.5 * in_canal);
  /* and the arch behind the body shows on the right, nothing on the left */
  double behind = mean_in(&image, &view, half_depth + 2, 0.5 * W, -0.5 * H, 0.5 * H);
  double in_front = mean_in(&image, &view, -0.5 * W, -half_depth - 2, -0.5 * H, 0.5 * H);
  assert_true(behind > 0.1 && in_front < 0.01);
  vp_drr_image_clear(&image);
  vp_volume_free(bone);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_frame_from_tilted_axes_is_orthonormal_and_right_handed),
      cmocka_unit_test(test_frame_from_parallel_axes_fails),
      cmocka_unit_test(test_ap_view_shows_patient_right_on_screen_left_and_superior_up),
      cmocka_unit_test(test_ap_beam_runs_from_anterior_to_posterior),
      cmocka_unit_test(test_lateral_view_shows_anterior_on_screen_left_with_beam_left_to_right),
      cmocka_unit_test(test_pixel_ray_passes_through_the_projected_point),
      cmocka_unit_test(test_point_behind_the_source_does_not_project),
      cmocka_unit_test(test_view_check_refuses_views_that_make_no_sense),
      cmocka_unit_test(test_huge_image_is_refused_before_allocating),
      cmocka_unit_test(test_compute_refuses_a_missing_volume),
      cmocka_unit_test(test_init_refuses_a_field_of_view_that_is_not_positive),
      cmocka_unit_test(test_fit_box_keeps_every_corner_inside_the_image),
      cmocka_unit_test(test_reduced_view_keeps_the_field_of_view),
      cmocka_unit_test(test_rotating_ap_a_quarter_turn_about_superior_gives_lateral),
      cmocka_unit_test(test_water_slab_attenuates_by_mu_times_thickness),
      cmocka_unit_test(test_nothing_behind_the_source_attenuates),
      cmocka_unit_test(test_air_attenuates_nothing),
      cmocka_unit_test(test_rays_missing_the_volume_stay_zero),
      cmocka_unit_test(test_ap_of_a_symmetric_cylinder_is_left_right_symmetric),
      cmocka_unit_test(test_asymmetric_volume_is_not_mirror_symmetric),
      cmocka_unit_test(test_bone_is_brighter_than_water_and_denser_bone_brighter_still),
      cmocka_unit_test(test_lateral_and_ap_see_different_thicknesses),
      cmocka_unit_test(test_perspective_matches_parallel_from_far_away),
      cmocka_unit_test(test_perspective_magnifies_what_is_near_the_source),
      cmocka_unit_test(test_same_input_gives_identical_bytes_for_any_thread_count),
      cmocka_unit_test(test_voxel_axis_order_does_not_change_the_image),
      cmocka_unit_test(test_voxel_type_does_not_change_the_image),
      cmocka_unit_test(test_image_of_the_same_size_is_reused),
      cmocka_unit_test(test_cancelled_computation_reports_it),
      cmocka_unit_test(test_synthetic_ct_has_cortex_cancellous_core_and_air),
      cmocka_unit_test(test_synthetic_ct_refuses_an_empty_surface),
      cmocka_unit_test(test_synthetic_ct_refuses_a_grid_above_the_limit),
      cmocka_unit_test(test_mesh_only_radiograph_shows_the_bone),
      cmocka_unit_test(test_ap_of_the_phantom_is_left_right_symmetric),
      cmocka_unit_test(test_ap_of_the_phantom_shows_bone_brighter_than_soft_tissue),
      cmocka_unit_test(test_lateral_of_the_phantom_shows_the_body_in_front_of_the_canal),
  };
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  vp_phantom_free(l3_phantom);
  return failed;
}
