/* Tests of the core's vectors, matrices, quaternions and boxes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>

#include "vp-math.h"

#define EPS 1e-12

/* cmocka 1.1 compares floats only in single precision: doubles need this. */
#define assert_near(actual, expected, tolerance) \
  assert_near_at((actual), (expected), (tolerance), __FILE__, __LINE__)

static void assert_near_at(double actual, double expected, double tolerance, const char *file,
                           int line)
{
  if (!(fabs(actual - expected) <= tolerance)) {
    print_error("%.17g differs from %.17g by more than %g\n", actual, expected, tolerance);
    _fail(file, line);
  }
}

static void assert_vec3_near(VpVec3 a, VpVec3 b, double tolerance)
{
  assert_near(a.x, b.x, tolerance);
  assert_near(a.y, b.y, tolerance);
  assert_near(a.z, b.z, tolerance);
}

static void assert_mat4_near(VpMat4 a, VpMat4 b, double tolerance)
{
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++)
      assert_near(a.m[i][j], b.m[i][j], tolerance);
}

/* Same rotation: q and -q both count. */
static void assert_quat_same_rotation(VpQuat a, VpQuat b, double tolerance)
{
  double dot = a.w * b.w + a.x * b.x + a.y * b.y + a.z * b.z;
  assert_near(fabs(dot), 1.0, tolerance);
}

static void test_vec3_add_sub_scale(void **state)
{
  (void)state;
  VpVec3 a = vp_vec3(1, 2, 3), b = vp_vec3(-4, 5, 0.5);
  assert_vec3_near(vp_vec3_add(a, b), vp_vec3(-3, 7, 3.5), 0);
  assert_vec3_near(vp_vec3_sub(a, b), vp_vec3(5, -3, 2.5), 0);
  assert_vec3_near(vp_vec3_scale(a, -2), vp_vec3(-2, -4, -6), 0);
  assert_vec3_near(vp_vec3_neg(b), vp_vec3(4, -5, -0.5), 0);
  assert_vec3_near(vp_vec3_lerp(a, b, 0.5), vp_vec3(-1.5, 3.5, 1.75), 0);
}

static void test_vec3_cross_of_x_and_y_is_z(void **state)
{
  (void)state;
  assert_vec3_near(vp_vec3_cross(vp_vec3(1, 0, 0), vp_vec3(0, 1, 0)), vp_vec3(0, 0, 1), 0);
  assert_vec3_near(vp_vec3_cross(vp_vec3(0, 1, 0), vp_vec3(1, 0, 0)), vp_vec3(0, 0, -1), 0);
}

static void test_vec3_dot_length_distance(void **state)
{
  (void)state;
  assert_near(vp_vec3_dot(vp_vec3(1, 2, 3), vp_vec3(4, -5, 6)), 12, 0);
  assert_near(vp_vec3_length(vp_vec3(3, 4, 12)), 13, EPS);
  assert_near(vp_vec3_distance(vp_vec3(1, 1, 1), vp_vec3(4, 5, 1)), 5, EPS);
}

static void test_vec3_normalize_gives_unit_length(void **state)
{
  (void)state;
  assert_vec3_near(vp_vec3_normalize(vp_vec3(0, 3, 4)), vp_vec3(0, 0.6, 0.8), EPS);
}

static void test_vec3_normalize_of_zero_stays_zero(void **state)
{
  (void)state;
  VpVec3 n = vp_vec3_normalize(vp_vec3(0, 0, 0));
  assert_true(vp_vec3_is_finite(n));
  assert_vec3_near(n, vp_vec3(0, 0, 0), 0);
}

static void test_vec3_angle_right_and_straight(void **state)
{
  (void)state;
  assert_near(vp_vec3_angle(vp_vec3(2, 0, 0), vp_vec3(0, 0, 5)), VP_PI / 2, EPS);
  assert_near(vp_vec3_angle(vp_vec3(1, 1, 0), vp_vec3(-2, -2, 0)), VP_PI, EPS);
  assert_near(vp_vec3_angle(vp_vec3(1, 1, 0), vp_vec3(3, 3, 0)), 0, EPS);
}

static void test_vec3_is_finite_rejects_nan_and_inf(void **state)
{
  (void)state;
  assert_true(vp_vec3_is_finite(vp_vec3(1, -2, 3)));
  assert_false(vp_vec3_is_finite(vp_vec3(NAN, 0, 0)));
  assert_false(vp_vec3_is_finite(vp_vec3(0, INFINITY, 0)));
  assert_false(vp_vec3_is_finite(vp_vec3(0, 0, -INFINITY)));
}

static void test_deg_rad_conversion(void **state)
{
  (void)state;
  assert_near(vp_deg_to_rad(180), VP_PI, EPS);
  assert_near(vp_rad_to_deg(VP_PI / 2), 90, EPS);
}

static void test_mat3_rotation_of_x_by_90_about_z_is_y(void **state)
{
  (void)state;
  VpMat3 r = vp_mat3_rotation(vp_vec3(0, 0, 1), vp_deg_to_rad(90));
  assert_vec3_near(vp_mat3_mul_vec3(r, vp_vec3(1, 0, 0)), vp_vec3(0, 1, 0), EPS);
}

static void test_mat3_rotation_axis_need_not_be_unit(void **state)
{
  (void)state;
  VpMat3 r = vp_mat3_rotation(vp_vec3(0, 0, 7), vp_deg_to_rad(90));
  assert_vec3_near(vp_mat3_mul_vec3(r, vp_vec3(0, 1, 0)), vp_vec3(-1, 0, 0), EPS);
}

static void test_mat3_determinant(void **state)
{
  (void)state;
  VpMat3 m = {{{2, 0, 1}, {1, 3, 2}, {1, 1, 2}}};
  assert_near(vp_mat3_determinant(m), 2 * (6 - 2) - 0 + 1 * (1 - 3), EPS);
  assert_near(vp_mat3_determinant(vp_mat3_rotation(vp_vec3(1, 2, 3), 0.7)), 1, EPS);
}

static void test_mat3_inverse_times_matrix_is_identity(void **state)
{
  (void)state;
  VpMat3 m = {{{2, 0, 1}, {1, 3, 2}, {1, 1, 2}}}, inv;
  assert_true(vp_mat3_inverse(m, &inv));
  VpMat3 p = vp_mat3_mul(m, inv), id = vp_mat3_identity();
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      assert_near(p.m[i][j], id.m[i][j], EPS);
}

static void test_mat3_inverse_of_singular_fails_and_keeps_output(void **state)
{
  (void)state;
  VpMat3 m = {{{1, 2, 3}, {2, 4, 6}, {0, 1, 1}}}, out = vp_mat3_identity();
  assert_false(vp_mat3_inverse(m, &out));
  assert_near(out.m[0][0], 1, 0);
  assert_near(out.m[0][1], 0, 0);
}

static void test_mat3_transpose_and_columns(void **state)
{
  (void)state;
  VpMat3 m = vp_mat3_from_columns(vp_vec3(1, 2, 3), vp_vec3(4, 5, 6), vp_vec3(7, 8, 9));
  assert_near(m.m[1][0], 2, 0);
  assert_near(m.m[0][1], 4, 0);
  assert_near(vp_mat3_transpose(m).m[0][1], 2, 0);
  assert_vec3_near(vp_mat3_mul_vec3(m, vp_vec3(0, 1, 0)), vp_vec3(4, 5, 6), 0);
}

static void test_mat4_translation_moves_points_not_directions(void **state)
{
  (void)state;
  VpMat4 t = vp_mat4_translation(vp_vec3(1, 2, 3));
  assert_vec3_near(vp_mat4_transform_point(t, vp_vec3(1, 1, 1)), vp_vec3(2, 3, 4), 0);
  assert_vec3_near(vp_mat4_transform_dir(t, vp_vec3(1, 1, 1)), vp_vec3(1, 1, 1), 0);
}

static void test_mat4_mul_applies_right_factor_first(void **state)
{
  (void)state;
  VpMat4 m = vp_mat4_mul(vp_mat4_translation(vp_vec3(10, 0, 0)), vp_mat4_scaling(vp_vec3(2, 3, 4)));
  assert_vec3_near(vp_mat4_transform_point(m, vp_vec3(1, 1, 1)), vp_vec3(12, 3, 4), 0);
}

static void test_mat4_from_mat3_rotates_then_translates(void **state)
{
  (void)state;
  VpMat3 r = vp_mat3_rotation(vp_vec3(0, 0, 1), VP_PI / 2);
  VpMat4 m = vp_mat4_from_mat3(r, vp_vec3(0, 0, 5));
  assert_vec3_near(vp_mat4_transform_point(m, vp_vec3(1, 0, 0)), vp_vec3(0, 1, 5), EPS);
  assert_near(vp_mat4_transpose(m).m[3][2], 5, 0);
}

static void test_mat4_look_at_puts_target_on_negative_z(void **state)
{
  (void)state;
  VpVec3 eye = vp_vec3(10, 20, 30), target = vp_vec3(10, 20, 0);
  VpMat4 view = vp_mat4_look_at(eye, target, vp_vec3(0, 1, 0));
  assert_vec3_near(vp_mat4_transform_point(view, target), vp_vec3(0, 0, -30), EPS);
  assert_vec3_near(vp_mat4_transform_point(view, vp_vec3(10, 21, 30)), vp_vec3(0, 1, 0), EPS);
}

static void test_mat4_inverse_of_look_at_times_it_is_identity(void **state)
{
  (void)state;
  VpMat4 view = vp_mat4_look_at(vp_vec3(3, -7, 12), vp_vec3(1, 2, 3), vp_vec3(0, 0, 1)), inv;
  assert_true(vp_mat4_inverse(view, &inv));
  assert_mat4_near(vp_mat4_mul(inv, view), vp_mat4_identity(), 1e-12);
}

static void test_mat4_inverse_of_perspective_times_it_is_identity(void **state)
{
  (void)state;
  VpMat4 proj = vp_mat4_perspective(vp_deg_to_rad(45), 16.0 / 9.0, 0.1, 1000), inv;
  assert_true(vp_mat4_inverse(proj, &inv));
  assert_mat4_near(vp_mat4_mul(proj, inv), vp_mat4_identity(), 1e-9);
}

static void test_mat4_inverse_of_singular_fails(void **state)
{
  (void)state;
  VpMat4 flat = vp_mat4_scaling(vp_vec3(1, 0, 1)), out;
  assert_false(vp_mat4_inverse(flat, &out));
}

static void test_perspective_maps_near_and_far_to_ndc_limits(void **state)
{
  (void)state;
  VpMat4 proj = vp_mat4_perspective(vp_deg_to_rad(90), 1, 1, 100);
  /* The homogeneous divide: z = -1 at the near plane, +1 at the far plane. */
  assert_vec3_near(vp_mat4_transform_point(proj, vp_vec3(0, 0, -1)), vp_vec3(0, 0, -1), EPS);
  assert_vec3_near(vp_mat4_transform_point(proj, vp_vec3(0, 0, -100)), vp_vec3(0, 0, 1), EPS);
  /* fov 90: the frustum edge at depth 50 is x = 50, which lands on x = 1. */
  assert_near(vp_mat4_transform_point(proj, vp_vec3(50, 0, -50)).x, 1, EPS);
}

static void test_orthographic_maps_box_to_unit_cube(void **state)
{
  (void)state;
  VpMat4 ortho = vp_mat4_orthographic(-2, 6, -1, 3, 1, 11);
  assert_vec3_near(vp_mat4_transform_point(ortho, vp_vec3(-2, -1, -1)), vp_vec3(-1, -1, -1), EPS);
  assert_vec3_near(vp_mat4_transform_point(ortho, vp_vec3(6, 3, -11)), vp_vec3(1, 1, 1), EPS);
}

static void test_quat_from_axis_angle_matches_mat3_rotation(void **state)
{
  (void)state;
  VpVec3 axis = vp_vec3(1, -2, 0.5);
  double angle = 1.234;
  VpQuat q = vp_quat_from_axis_angle(axis, angle);
  VpMat3 r = vp_mat3_rotation(axis, angle), qr = vp_quat_to_mat3(q);
  VpVec3 v = vp_vec3(0.3, 4, -2);
  assert_vec3_near(vp_quat_rotate(q, v), vp_mat3_mul_vec3(r, v), 1e-12);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      assert_near(qr.m[i][j], r.m[i][j], 1e-12);
}

static void test_quat_from_mat3_round_trip(void **state)
{
  (void)state;
  /* Angles that exercise each branch of the conversion (trace > 0 and the
   * three diagonal cases near 180 degrees). */
  VpVec3 axes[] = {vp_vec3(0, 0, 1), vp_vec3(1, 0, 0), vp_vec3(0, 1, 0), vp_vec3(0, 0, 1),
                   vp_vec3(1, 1, 1)};
  double angles[] = {0.3, 3.0, 3.1, 3.14, 2.5};
  for (size_t i = 0; i < sizeof angles / sizeof angles[0]; i++) {
    VpQuat q = vp_quat_from_axis_angle(axes[i], angles[i]);
    assert_quat_same_rotation(vp_quat_from_mat3(vp_quat_to_mat3(q)), q, 1e-12);
  }
}

static void test_quat_mul_composes_rotations(void **state)
{
  (void)state;
  VpQuat a = vp_quat_from_axis_angle(vp_vec3(0, 0, 1), VP_PI / 2);
  VpQuat b = vp_quat_from_axis_angle(vp_vec3(1, 0, 0), VP_PI / 2);
  /* a * b rotates by b first: y -> z (about x), then z stays (about z). */
  assert_vec3_near(vp_quat_rotate(vp_quat_mul(a, b), vp_vec3(0, 1, 0)), vp_vec3(0, 0, 1), EPS);
  VpQuat back = vp_quat_mul(a, vp_quat_conjugate(a));
  assert_quat_same_rotation(back, vp_quat_identity(), EPS);
}

static void test_quat_normalize_of_zero_is_identity(void **state)
{
  (void)state;
  VpQuat q = vp_quat_normalize((VpQuat){0, 0, 0, 0});
  assert_quat_same_rotation(q, vp_quat_identity(), 0);
  VpQuat n = vp_quat_normalize((VpQuat){2, 0, 0, 0});
  assert_near(n.w, 1, 0);
}

static void test_quat_slerp_endpoints_and_midpoint(void **state)
{
  (void)state;
  VpQuat a = vp_quat_from_axis_angle(vp_vec3(0, 0, 1), 0.2);
  VpQuat b = vp_quat_from_axis_angle(vp_vec3(0, 0, 1), 1.4);
  assert_quat_same_rotation(vp_quat_slerp(a, b, 0), a, 1e-12);
  assert_quat_same_rotation(vp_quat_slerp(a, b, 1), b, 1e-12);
  assert_quat_same_rotation(vp_quat_slerp(a, b, 0.5),
                            vp_quat_from_axis_angle(vp_vec3(0, 0, 1), 0.8), 1e-12);
}

static void test_quat_slerp_takes_the_short_way(void **state)
{
  (void)state;
  VpQuat a = vp_quat_from_axis_angle(vp_vec3(0, 0, 1), 0.1);
  VpQuat b = vp_quat_from_axis_angle(vp_vec3(0, 0, 1), 0.5);
  VpQuat minus_b = {-b.w, -b.x, -b.y, -b.z};
  assert_quat_same_rotation(vp_quat_slerp(a, minus_b, 0.5),
                            vp_quat_from_axis_angle(vp_vec3(0, 0, 1), 0.3), 1e-12);
}

static void test_box3_empty_then_extended(void **state)
{
  (void)state;
  VpBox3 b = vp_box3_empty();
  assert_true(vp_box3_is_empty(b));
  b = vp_box3_extend(b, vp_vec3(1, 2, 3));
  assert_false(vp_box3_is_empty(b));
  b = vp_box3_extend(b, vp_vec3(-1, 6, 4));
  assert_vec3_near(b.min, vp_vec3(-1, 2, 3), 0);
  assert_vec3_near(b.max, vp_vec3(1, 6, 4), 0);
  assert_vec3_near(vp_box3_center(b), vp_vec3(0, 4, 3.5), 0);
  assert_vec3_near(vp_box3_size(b), vp_vec3(2, 4, 1), 0);
}

static void test_box3_size_of_empty_is_zero(void **state)
{
  (void)state;
  assert_vec3_near(vp_box3_size(vp_box3_empty()), vp_vec3(0, 0, 0), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_vec3_add_sub_scale),
      cmocka_unit_test(test_vec3_cross_of_x_and_y_is_z),
      cmocka_unit_test(test_vec3_dot_length_distance),
      cmocka_unit_test(test_vec3_normalize_gives_unit_length),
      cmocka_unit_test(test_vec3_normalize_of_zero_stays_zero),
      cmocka_unit_test(test_vec3_angle_right_and_straight),
      cmocka_unit_test(test_vec3_is_finite_rejects_nan_and_inf),
      cmocka_unit_test(test_deg_rad_conversion),
      cmocka_unit_test(test_mat3_rotation_of_x_by_90_about_z_is_y),
      cmocka_unit_test(test_mat3_rotation_axis_need_not_be_unit),
      cmocka_unit_test(test_mat3_determinant),
      cmocka_unit_test(test_mat3_inverse_times_matrix_is_identity),
      cmocka_unit_test(test_mat3_inverse_of_singular_fails_and_keeps_output),
      cmocka_unit_test(test_mat3_transpose_and_columns),
      cmocka_unit_test(test_mat4_translation_moves_points_not_directions),
      cmocka_unit_test(test_mat4_mul_applies_right_factor_first),
      cmocka_unit_test(test_mat4_from_mat3_rotates_then_translates),
      cmocka_unit_test(test_mat4_look_at_puts_target_on_negative_z),
      cmocka_unit_test(test_mat4_inverse_of_look_at_times_it_is_identity),
      cmocka_unit_test(test_mat4_inverse_of_perspective_times_it_is_identity),
      cmocka_unit_test(test_mat4_inverse_of_singular_fails),
      cmocka_unit_test(test_perspective_maps_near_and_far_to_ndc_limits),
      cmocka_unit_test(test_orthographic_maps_box_to_unit_cube),
      cmocka_unit_test(test_quat_from_axis_angle_matches_mat3_rotation),
      cmocka_unit_test(test_quat_from_mat3_round_trip),
      cmocka_unit_test(test_quat_mul_composes_rotations),
      cmocka_unit_test(test_quat_normalize_of_zero_is_identity),
      cmocka_unit_test(test_quat_slerp_endpoints_and_midpoint),
      cmocka_unit_test(test_quat_slerp_takes_the_short_way),
      cmocka_unit_test(test_box3_empty_then_extended),
      cmocka_unit_test(test_box3_size_of_empty_is_zero),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
