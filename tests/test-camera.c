/* Tests of the 3D view's camera: standard views in patient RAS+, fitting,
 * projection, and the orbit, pan and zoom gestures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>

#include "vp-camera.h"

#define W 800.0
#define H 600.0

static void assert_near(double actual, double expected, double tolerance)
{
  if (!(fabs(actual - expected) <= tolerance))
    fail_msg("%.17g differs from %.17g by more than %g", actual, expected, tolerance);
}

static void assert_vec3_near(VpVec3 a, VpVec3 b, double tolerance)
{
  assert_near(a.x, b.x, tolerance);
  assert_near(a.y, b.y, tolerance);
  assert_near(a.z, b.z, tolerance);
}

static VpCamera camera_at_box(VpVec3 min, VpVec3 max, VpProjection projection)
{
  VpCamera cam;
  vp_camera_init(&cam);
  cam.projection = projection;
  vp_camera_set_scene(&cam, (VpBox3){min, max});
  return cam;
}

static void project_or_fail(const VpCamera *cam, VpVec3 p, double w, double h, double *px,
                            double *py)
{
  double depth;
  if (!vp_camera_project(cam, p, w, h, px, py, &depth))
    fail_msg("(%g, %g, %g) did not project", p.x, p.y, p.z);
}

/* Pixel offset from the viewport centre of target + offset. */
static void screen_offset(const VpCamera *cam, VpVec3 offset, double *dx, double *dy)
{
  double px, py;
  project_or_fail(cam, vp_vec3_add(cam->target, offset), W, H, &px, &py);
  *dx = px - 0.5 * W;
  *dy = py - 0.5 * H;
}

static void check_ray_projects_to_pixel(VpProjection projection)
{
  VpCamera cam = camera_at_box(vp_vec3(-20, -10, -40), vp_vec3(30, 15, 35), projection);
  vp_camera_orbit(&cam, 70, -40, H);
  const double pixels[][2] = {{0, 0}, {400, 300}, {799, 13}, {123.25, 567.5}};
  for (size_t i = 0; i < sizeof pixels / sizeof pixels[0]; i++) {
    VpVec3 origin, dir;
    vp_camera_pixel_ray(&cam, pixels[i][0], pixels[i][1], W, H, &origin, &dir);
    assert_near(vp_vec3_length(dir), 1.0, 1e-12);
    for (double t = 0.0; t < 300.0; t += 100.0) {
      double px, py;
      project_or_fail(&cam, vp_vec3_add(origin, vp_vec3_scale(dir, t)), W, H, &px, &py);
      assert_near(px, pixels[i][0], 1e-6);
      assert_near(py, pixels[i][1], 1e-6);
    }
  }
}

static void test_pixel_ray_points_project_to_their_pixel_perspective(void **state)
{
  (void)state;
  check_ray_projects_to_pixel(VP_PROJECTION_PERSPECTIVE);
}

static void test_pixel_ray_points_project_to_their_pixel_orthographic(void **state)
{
  (void)state;
  check_ray_projects_to_pixel(VP_PROJECTION_ORTHOGRAPHIC);
}

static void test_project_rejects_points_behind_the_eye(void **state)
{
  (void)state;
  VpCamera cam;
  vp_camera_init(&cam);
  VpVec3 behind = vp_vec3_sub(vp_camera_eye(&cam), vp_vec3_scale(vp_camera_forward(&cam), 10.0));
  double px, py, depth;
  assert_false(vp_camera_project(&cam, behind, W, H, &px, &py, &depth));
}

static void test_reset_views_from_the_anterior_side(void **state)
{
  (void)state;
  VpCamera cam;
  vp_camera_init(&cam);
  VpVec3 eye_dir = vp_vec3_normalize(vp_vec3_sub(vp_camera_eye(&cam), cam.target));
  assert_vec3_near(eye_dir, vp_vec3(0, 1, 0), 1e-12);
  assert_vec3_near(vp_camera_up(&cam), vp_vec3(0, 0, 1), 1e-12);
}

static void test_anterior_view_shows_patient_right_on_screen_left_and_superior_up(void **state)
{
  (void)state;
  VpCamera cam;
  vp_camera_init(&cam);
  vp_camera_set_standard_view(&cam, VP_VIEW_ANTERIOR);
  double dx, dy;
  screen_offset(&cam, vp_vec3(10, 0, 0), &dx, &dy);
  assert_true(dx < -1.0);
  assert_near(dy, 0.0, 1e-9);
  screen_offset(&cam, vp_vec3(0, 0, 10), &dx, &dy);
  assert_true(dy < -1.0);
  assert_near(dx, 0.0, 1e-9);
}

static void test_posterior_view_shows_patient_right_on_screen_right(void **state)
{
  (void)state;
  VpCamera cam;
  vp_camera_init(&cam);
  vp_camera_set_standard_view(&cam, VP_VIEW_POSTERIOR);
  double dx, dy;
  screen_offset(&cam, vp_vec3(10, 0, 0), &dx, &dy);
  assert_true(dx > 1.0);
  screen_offset(&cam, vp_vec3(0, 0, 10), &dx, &dy);
  assert_true(dy < -1.0);
}

/* Screen direction of anterior (+y) and of superior (+z) in a standard view. */
static void check_view(VpStandardView view, VpVec3 expect_right_of_screen,
                       VpVec3 expect_up_of_screen)
{
  VpCamera cam;
  vp_camera_init(&cam);
  vp_camera_set_standard_view(&cam, view);
  double dx, dy;
  screen_offset(&cam, vp_vec3_scale(expect_right_of_screen, 10.0), &dx, &dy);
  assert_true(dx > 1.0);
  assert_near(dy, 0.0, 1e-9);
  screen_offset(&cam, vp_vec3_scale(expect_up_of_screen, 10.0), &dx, &dy);
  assert_true(dy < -1.0);
  assert_near(dx, 0.0, 1e-9);
}

static void test_left_view_shows_anterior_on_screen_left(void **state)
{
  (void)state;
  check_view(VP_VIEW_LEFT, vp_vec3(0, -1, 0), vp_vec3(0, 0, 1));
}

static void test_right_view_shows_anterior_on_screen_right(void **state)
{
  (void)state;
  check_view(VP_VIEW_RIGHT, vp_vec3(0, 1, 0), vp_vec3(0, 0, 1));
}

/* From above with anterior up, the patient's right is necessarily on the right. */
static void test_superior_view_shows_anterior_up_and_patient_right_on_screen_right(void **state)
{
  (void)state;
  check_view(VP_VIEW_SUPERIOR, vp_vec3(1, 0, 0), vp_vec3(0, 1, 0));
}

static void test_inferior_view_reads_like_axial_ct(void **state)
{
  (void)state;
  check_view(VP_VIEW_INFERIOR, vp_vec3(-1, 0, 0), vp_vec3(0, 1, 0));
}

static void check_box_fits(VpProjection projection, double w, double h)
{
  VpVec3 min = vp_vec3(-30, -20, -80), max = vp_vec3(50, 10, 40);
  VpCamera cam = camera_at_box(min, max, projection);
  double lo_x = w, hi_x = 0, lo_y = h, hi_y = 0;
  for (int i = 0; i < 8; i++) {
    VpVec3 corner = vp_vec3(i & 1 ? max.x : min.x, i & 2 ? max.y : min.y, i & 4 ? max.z : min.z);
    double px, py;
    project_or_fail(&cam, corner, w, h, &px, &py);
    if (px < 0 || py < 0 || px > w || py > h)
      fail_msg("corner %d lands at (%g, %g) outside %g x %g", i, px, py, w, h);
    lo_x = fmin(lo_x, px), hi_x = fmax(hi_x, px), lo_y = fmin(lo_y, py), hi_y = fmax(hi_y, py);
  }
  /* Fitted, not lost in the middle: the box spans most of the shorter side. */
  double span = fmax((hi_x - lo_x) / fmin(w, h), (hi_y - lo_y) / fmin(w, h));
  if (span < 0.8)
    fail_msg("the box spans only %.0f %% of the shorter side of %g x %g", 100 * span, w, h);
}

static void test_reset_fits_the_scene_box_in_wide_and_tall_viewports(void **state)
{
  (void)state;
  for (int p = 0; p < 2; p++) {
    VpProjection projection = p ? VP_PROJECTION_ORTHOGRAPHIC : VP_PROJECTION_PERSPECTIVE;
    check_box_fits(projection, 1600, 500);
    check_box_fits(projection, 300, 1200);
    check_box_fits(projection, 600, 600);
  }
}

static void test_vertical_orbit_across_the_full_height_turns_half_a_turn(void **state)
{
  (void)state;
  VpCamera cam =
      camera_at_box(vp_vec3(-10, -10, -10), vp_vec3(30, 10, 10), VP_PROJECTION_PERSPECTIVE);
  VpVec3 before = vp_vec3_sub(vp_camera_eye(&cam), cam.target);
  vp_camera_orbit(&cam, 0, H, H);
  VpVec3 after = vp_vec3_sub(vp_camera_eye(&cam), cam.target);
  assert_vec3_near(after, vp_vec3_neg(before), 1e-9 * cam.distance_mm);
}

static void test_vertical_drag_down_raises_the_eye(void **state)
{
  (void)state;
  VpCamera cam;
  vp_camera_init(&cam);
  vp_camera_orbit(&cam, 0, 0.25 * H, H);
  VpVec3 eye_dir = vp_vec3_normalize(vp_vec3_sub(vp_camera_eye(&cam), cam.target));
  assert_vec3_near(eye_dir, vp_vec3(0, sqrt(0.5), sqrt(0.5)), 1e-12);
}

static void test_horizontal_orbit_turns_about_the_superior_axis(void **state)
{
  (void)state;
  VpCamera cam;
  vp_camera_init(&cam);
  vp_camera_orbit(&cam, 0, 0.2 * H, H); /* tilted first: the turn must still be about +z */
  VpVec3 before = vp_vec3_sub(vp_camera_eye(&cam), cam.target);
  vp_camera_orbit(&cam, 0.5 * H, 0, H);
  VpVec3 after = vp_vec3_sub(vp_camera_eye(&cam), cam.target);
  /* Dragging right brings the patient's right side (screen left) round to the front. */
  assert_vec3_near(after, vp_vec3(before.y, -before.x, before.z), 1e-9 * cam.distance_mm);
  assert_true(after.x > 0.0);
}

/* Screen x of a point between the target and the eye, before and after a small drag right. */
static void check_drag_right_moves_near_side_right(VpCamera cam)
{
  VpVec3 near_side = vp_vec3_lerp(cam.target, vp_camera_eye(&cam), 0.3);
  double x0, y0, x1, y1;
  project_or_fail(&cam, near_side, W, H, &x0, &y0);
  vp_camera_orbit(&cam, 20, 0, H);
  project_or_fail(&cam, near_side, W, H, &x1, &y1);
  if (!(x1 > x0 + 1.0))
    fail_msg("the near side moved from x = %g to %g on a drag to the right", x0, x1);
}

static void test_horizontal_drag_turns_the_near_side_with_the_pointer_even_upside_down(void **state)
{
  (void)state;
  VpCamera cam;
  vp_camera_init(&cam);
  vp_camera_orbit(&cam, 0, 0.2 * H, H); /* tilted, so the turn about +z moves the near side */
  check_drag_right_moves_near_side_right(cam);
  vp_camera_orbit(&cam, 0, 0.6 * H, H); /* over the top: now upside down */
  assert_true(vp_camera_up(&cam).z < 0.0);
  check_drag_right_moves_near_side_right(cam);
}

static void check_zoom_keeps_point(VpProjection projection, double factor)
{
  VpCamera cam = camera_at_box(vp_vec3(-20, -10, -40), vp_vec3(30, 15, 35), projection);
  vp_camera_orbit(&cam, 50, 30, H);
  const double ptr_x = 123.4, ptr_y = 456.7;
  VpVec3 origin, dir;
  vp_camera_pixel_ray(&cam, ptr_x, ptr_y, W, H, &origin, &dir);
  VpVec3 point = vp_vec3_add(origin, vp_vec3_scale(dir, 0.8 * cam.distance_mm));
  double distance = cam.distance_mm;
  vp_camera_zoom_at(&cam, factor, ptr_x, ptr_y, W, H);
  assert_near(cam.distance_mm, distance / factor, 1e-9 * distance);
  double px, py;
  project_or_fail(&cam, point, W, H, &px, &py);
  assert_near(px / W, ptr_x / W, 1e-6);
  assert_near(py / H, ptr_y / H, 1e-6);
}

static void test_zoom_at_keeps_the_point_under_the_pointer_perspective(void **state)
{
  (void)state;
  check_zoom_keeps_point(VP_PROJECTION_PERSPECTIVE, 1.7);
  check_zoom_keeps_point(VP_PROJECTION_PERSPECTIVE, 0.6);
}

static void test_zoom_at_keeps_the_point_under_the_pointer_orthographic(void **state)
{
  (void)state;
  check_zoom_keeps_point(VP_PROJECTION_ORTHOGRAPHIC, 1.7);
  check_zoom_keeps_point(VP_PROJECTION_ORTHOGRAPHIC, 0.6);
}

static void check_pan_follows_pointer(VpProjection projection)
{
  VpCamera cam = camera_at_box(vp_vec3(-20, -10, -40), vp_vec3(30, 15, 35), projection);
  vp_camera_orbit(&cam, -80, 45, H);
  VpVec3 grabbed = cam.target; /* under the viewport centre */
  vp_camera_pan(&cam, 37.0, -21.0, W, H);
  double px, py;
  project_or_fail(&cam, grabbed, W, H, &px, &py);
  assert_near(px, 0.5 * W + 37.0, 1e-6);
  assert_near(py, 0.5 * H - 21.0, 1e-6);
}

static void test_pan_moves_the_grabbed_point_with_the_pointer(void **state)
{
  (void)state;
  check_pan_follows_pointer(VP_PROJECTION_PERSPECTIVE);
  check_pan_follows_pointer(VP_PROJECTION_ORTHOGRAPHIC);
}

/* Top-edge pixel row of target + up * view_height / 2, in either projection. */
static double half_height_row(VpProjection projection)
{
  VpCamera cam = camera_at_box(vp_vec3(-20, -10, -40), vp_vec3(30, 15, 35), projection);
  VpVec3 top = vp_vec3_add(cam.target,
                           vp_vec3_scale(vp_camera_up(&cam), 0.5 * vp_camera_view_height_mm(&cam)));
  double px, py;
  project_or_fail(&cam, top, W, H, &px, &py);
  return py;
}

static void test_orthographic_view_height_equals_the_perspective_slab(void **state)
{
  (void)state;
  assert_near(half_height_row(VP_PROJECTION_PERSPECTIVE), 0.0, 1e-9);
  assert_near(half_height_row(VP_PROJECTION_ORTHOGRAPHIC), 0.0, 1e-9);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pixel_ray_points_project_to_their_pixel_perspective),
      cmocka_unit_test(test_pixel_ray_points_project_to_their_pixel_orthographic),
      cmocka_unit_test(test_project_rejects_points_behind_the_eye),
      cmocka_unit_test(test_reset_views_from_the_anterior_side),
      cmocka_unit_test(test_anterior_view_shows_patient_right_on_screen_left_and_superior_up),
      cmocka_unit_test(test_posterior_view_shows_patient_right_on_screen_right),
      cmocka_unit_test(test_left_view_shows_anterior_on_screen_left),
      cmocka_unit_test(test_right_view_shows_anterior_on_screen_right),
      cmocka_unit_test(test_superior_view_shows_anterior_up_and_patient_right_on_screen_right),
      cmocka_unit_test(test_inferior_view_reads_like_axial_ct),
      cmocka_unit_test(test_reset_fits_the_scene_box_in_wide_and_tall_viewports),
      cmocka_unit_test(test_vertical_orbit_across_the_full_height_turns_half_a_turn),
      cmocka_unit_test(test_vertical_drag_down_raises_the_eye),
      cmocka_unit_test(test_horizontal_orbit_turns_about_the_superior_axis),
      cmocka_unit_test(test_horizontal_drag_turns_the_near_side_with_the_pointer_even_upside_down),
      cmocka_unit_test(test_zoom_at_keeps_the_point_under_the_pointer_perspective),
      cmocka_unit_test(test_zoom_at_keeps_the_point_under_the_pointer_orthographic),
      cmocka_unit_test(test_pan_moves_the_grabbed_point_with_the_pointer),
      cmocka_unit_test(test_orthographic_view_height_equals_the_perspective_slab),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
