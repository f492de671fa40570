/* Tests of the slice views: plane geometry and radiological conventions,
 * CT resampling under window/level on a bright cube, the surface contour of
 * a cube mesh, overlays (letters, scale bar, measurements) and the display of
 * radiographs. Images are saved under build/tests/artifacts for a look. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vp-anatomy-overlay.h"
#include "vp-slice.h"
#include "vp-test-image.h"
#include "vp-test-shapes.h"
#include "vp-test-util.h"

#define W 160
#define H 120

/* ---- fixtures ---- */

static VpSliceView standard_view(VpSliceOrientation orientation, double mm_per_px)
{
  VpViewFrame frame = vp_view_frame_world(vp_vec3(0, 0, 0));
  VpSliceView view;
  VpError err;
  assert_true(vp_slice_view_init(&view, orientation, &frame, W, H, mm_per_px, &err));
  return view;
}

/* 60 mm of water around a 20 mm cube of 1500 HU, 1 mm voxels centred on the
 * origin (voxel centres at half-millimetres, so no sample sits on an edge). */
static VpVolume *cube_volume(void)
{
  int dims[3] = {60, 60, 60};
  VpMat4 affine = vp_mat4_translation(vp_vec3(-29.5, -29.5, -29.5));
  VpVolume *vol = vp_volume_new(dims, VP_VOXEL_I16, &affine, NULL, NULL);
  assert_non_null(vol);
  for (int k = 0; k < 60; k++)
    for (int j = 0; j < 60; j++)
      for (int i = 0; i < 60; i++) {
        VpVec3 p = vp_volume_voxel_to_world(vol, vp_vec3(i, j, k));
        bool inside = fabs(p.x) < 10 && fabs(p.y) < 10 && fabs(p.z) < 10;
        vp_volume_set_value(vol, i, j, k, inside ? 1500.0 : 0.0);
      }
  return vol;
}

static cairo_surface_t *new_image(int w, int h)
{
  cairo_surface_t *image = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
  assert_int_equal(cairo_surface_status(image), CAIRO_STATUS_SUCCESS);
  return image;
}

static int grey_at(cairo_surface_t *image, int x, int y) { return vp_test_pixel(image, x, y) & 0xff; }

static void save(cairo_surface_t *image, const char *name)
{
  char *path = vp_test_artifact_path(name);
  assert_non_null(path);
  assert_int_equal(cairo_surface_write_to_png(image, path), CAIRO_STATUS_SUCCESS);
  free(path);
}

/* Signed area of a closed polyline in the plane's (e1, e2) coordinates. */
static double signed_area(const VpSliceContour *c, const VpPolyline *line, VpVec3 e1, VpVec3 e2)
{
  double area = 0.0;
  for (size_t i = 0; i < line->count; i++) {
    VpVec3 a = c->points[line->first + i], b = c->points[line->first + (i + 1) % line->count];
    area += vp_vec3_dot(a, e1) * vp_vec3_dot(b, e2) - vp_vec3_dot(b, e1) * vp_vec3_dot(a, e2);
  }
  return 0.5 * area;
}

/* ---- conventions ---- */

static void test_axial_view_puts_patient_right_on_screen_left_and_anterior_up(void **state)
{
  (void)state;
  VpSliceView view = standard_view(VP_SLICE_AXIAL, 0.5);
  double px, py;
  vp_slice_view_world_to_pixel(&view, vp_vec3(10, 0, 0), &px, &py, NULL);
  assert_true(px < W / 2.0);
  vp_slice_view_world_to_pixel(&view, vp_vec3(0, 10, 0), &px, &py, NULL);
  assert_true(py < H / 2.0);
}

static void test_coronal_view_puts_patient_right_on_screen_left_and_superior_up(void **state)
{
  (void)state;
  VpSliceView view = standard_view(VP_SLICE_CORONAL, 0.5);
  double px, py;
  vp_slice_view_world_to_pixel(&view, vp_vec3(10, 0, 0), &px, &py, NULL);
  assert_true(px < W / 2.0);
  vp_slice_view_world_to_pixel(&view, vp_vec3(0, 0, 10), &px, &py, NULL);
  assert_true(py < H / 2.0);
}

static void test_sagittal_view_puts_anterior_on_screen_left_and_superior_up(void **state)
{
  (void)state;
  VpSliceView view = standard_view(VP_SLICE_SAGITTAL, 0.5);
  double px, py;
  vp_slice_view_world_to_pixel(&view, vp_vec3(0, 10, 0), &px, &py, NULL);
  assert_true(px < W / 2.0);
  vp_slice_view_world_to_pixel(&view, vp_vec3(0, 0, 10), &px, &py, NULL);
  assert_true(py < H / 2.0);
}

static void test_standard_planes_follow_a_tilted_frame(void **state)
{
  (void)state;
  VpViewFrame frame;
  VpError err;
  assert_true(vp_view_frame_from_axes(vp_vec3(5, 6, 7), vp_vec3(0, 1, 0.3), vp_vec3(0, -0.3, 1),
                                      &frame, &err));
  VpSliceView view;
  assert_true(vp_slice_view_init(&view, VP_SLICE_AXIAL, &frame, W, H, 1.0, &err));
  assert_float_equal(vp_vec3_distance(vp_slice_view_normal(&view), frame.superior), 0.0, 1e-12);
  assert_float_equal(vp_vec3_distance(view.center_mm, frame.origin_mm), 0.0, 0.0);
}

static void test_oblique_standard_orientation_is_refused(void **state)
{
  (void)state;
  VpViewFrame frame = vp_view_frame_world(vp_vec3(0, 0, 0));
  VpSliceView view;
  VpError err;
  assert_false(vp_slice_view_init(&view, VP_SLICE_OBLIQUE, &frame, W, H, 1.0, &err));
  assert_int_equal(err.code, VP_ERR_INVALID);
}

static void test_line_view_puts_the_line_across_the_screen(void **state)
{
  (void)state;
  VpSliceView view;
  VpError err;
  VpVec3 a = vp_vec3(-30, 20, 5), b = vp_vec3(10, -5, 15);
  assert_true(vp_slice_view_init_along_line(&view, a, b, vp_vec3(0, 0, 1), W, H, 0.5, &err));
  double ax, ay, bx, by, depth;
  vp_slice_view_world_to_pixel(&view, a, &ax, &ay, &depth);
  assert_float_equal(depth, 0.0, 1e-9);
  vp_slice_view_world_to_pixel(&view, b, &bx, &by, &depth);
  assert_float_equal(depth, 0.0, 1e-9);
  assert_true(ax < bx);
  assert_float_equal(ay, by, 1e-9);
}

static void test_line_view_refuses_a_point_or_an_up_along_the_line(void **state)
{
  (void)state;
  VpSliceView view;
  VpError err;
  VpVec3 a = vp_vec3(1, 2, 3);
  assert_false(vp_slice_view_init_along_line(&view, a, a, vp_vec3(0, 0, 1), W, H, 0.5, &err));
  assert_false(vp_slice_view_init_along_line(&view, a, vp_vec3(1, 2, 9), vp_vec3(0, 0, -2), W, H,
                                             0.5, &err));
  assert_int_equal(err.code, VP_ERR_INVALID);
}

static void test_pixel_to_world_to_pixel_round_trips(void **state)
{
  (void)state;
  VpSliceView view;
  VpError err;
  assert_true(vp_slice_view_init_along_line(&view, vp_vec3(3, 1, 4), vp_vec3(1, 5, 9),
                                            vp_vec3(2, 6, 5), W, H, 0.37, &err));
  VpVec3 p = vp_slice_view_pixel_to_world(&view, 12.25, 99.5);
  double px, py, depth;
  vp_slice_view_world_to_pixel(&view, p, &px, &py, &depth);
  assert_float_equal(px, 12.25, 1e-9);
  assert_float_equal(py, 99.5, 1e-9);
  assert_float_equal(depth, 0.0, 1e-9);
}

/* ---- navigation ---- */

static void test_scroll_moves_the_plane_by_one_ct_spacing(void **state)
{
  (void)state;
  int dims[3] = {4, 4, 4};
  VpMat4 affine = vp_mat4_scaling(vp_vec3(0.8, 0.8, 2.5));
  VpVolume *vol = vp_volume_new(dims, VP_VOXEL_I16, &affine, NULL, NULL);
  assert_non_null(vol);
  VpSliceView view = standard_view(VP_SLICE_AXIAL, 0.5);
  view.step_mm = vp_slice_step_for_volume(vol, vp_slice_view_normal(&view));
  assert_float_equal(view.step_mm, 2.5, 1e-12);
  vp_slice_view_scroll(&view, 1.0);
  assert_float_equal(view.center_mm.z, 2.5, 1e-12); /* forward in axial goes superior */
  vp_volume_free(vol);
}

static void test_moving_the_plane_to_a_point_keeps_the_picture_in_place(void **state)
{
  (void)state;
  VpSliceView view = standard_view(VP_SLICE_CORONAL, 0.5);
  VpVec3 p = vp_vec3(7, -12, 3);
  vp_slice_view_move_plane_to(&view, p);
  double px, py, depth;
  vp_slice_view_world_to_pixel(&view, p, &px, &py, &depth);
  assert_float_equal(depth, 0.0, 1e-12);
  assert_float_equal(view.center_mm.x, 0.0, 1e-12);
  assert_float_equal(view.center_mm.z, 0.0, 1e-12);
}

static void test_zoom_keeps_the_point_under_the_pointer(void **state)
{
  (void)state;
  VpSliceView view = standard_view(VP_SLICE_AXIAL, 0.5);
  VpVec3 before = vp_slice_view_pixel_to_world(&view, 30, 90);
  vp_slice_view_zoom_at(&view, 2.0, 30, 90);
  assert_float_equal(view.mm_per_px, 0.25, 1e-12);
  assert_float_equal(vp_vec3_distance(vp_slice_view_pixel_to_world(&view, 30, 90), before), 0.0, 1e-9);
}

static void test_pan_moves_the_picture_with_the_pointer(void **state)
{
  (void)state;
  VpSliceView view = standard_view(VP_SLICE_SAGITTAL, 0.5);
  VpVec3 p = vp_slice_view_pixel_to_world(&view, 50, 40);
  vp_slice_view_pan(&view, 13, -7);
  double px, py;
  vp_slice_view_world_to_pixel(&view, p, &px, &py, NULL);
  assert_float_equal(px, 63, 1e-9);
  assert_float_equal(py, 33, 1e-9);
}

static void test_fit_shows_the_whole_volume(void **state)
{
  (void)state;
  VpSliceView view = standard_view(VP_SLICE_SAGITTAL, 0.01);
  VpBox3 box = {vp_vec3(-50, -120, 30), vp_vec3(40, -20, 210)};
  vp_slice_view_fit_box(&view, box, 0.05);
  for (int c = 0; c < 8; c++) {
    VpVec3 p = vp_vec3(c & 1 ? box.max.x : box.min.x, c & 2 ? box.max.y : box.min.y,
                       c & 4 ? box.max.z : box.min.z);
    double px, py;
    vp_slice_view_world_to_pixel(&view, p, &px, &py, NULL);
    assert_true(px >= 0 && px <= W && py >= 0 && py <= H);
  }
  assert_float_equal(view.center_mm.x, 0.0, 1e-12); /* the plane stays where it was */
}

static void test_scaled_view_keeps_the_field_of_view(void **state)
{
  (void)state;
  VpSliceView view = standard_view(VP_SLICE_AXIAL, 0.5), half = vp_slice_view_scaled(&view, 0.5);
  assert_int_equal(half.width_px, W / 2);
  assert_float_equal(half.width_px * half.mm_per_px, W * view.mm_per_px, 1e-9);
}

/* ---- measurements ---- */

static void test_distance_is_measured_in_the_plane(void **state)
{
  (void)state;
  VpSliceView view = standard_view(VP_SLICE_AXIAL, 0.5);
  /* 30 mm apart in the plane, one of them 10 mm above it */
  double d = vp_slice_view_distance_mm(&view, vp_vec3(0, 0, 0), vp_vec3(18, 24, 10));
  assert_float_equal(d, 30.0, 1e-9);
}

static void test_angle_is_measured_in_degrees_in_the_plane(void **state)
{
  (void)state;
  VpSliceView view = standard_view(VP_SLICE_CORONAL, 0.5);
  double a = vp_slice_view_angle_deg(&view, vp_vec3(10, 0, 0), vp_vec3(0, 5, 0), vp_vec3(0, -3, 10));
  assert_float_equal(a, 90.0, 1e-9);
  a = vp_slice_view_angle_deg(&view, vp_vec3(10, 0, 0), vp_vec3(0, 0, 0), vp_vec3(10, 0, 10));
  assert_float_equal(a, 45.0, 1e-9);
}

static void test_labels_carry_their_units(void **state)
{
  (void)state;
  char buf[32];
  vp_format_length_mm(23.44, buf, sizeof buf);
  assert_string_equal(buf, "23.4 mm");
  vp_format_angle_deg(31.46, buf, sizeof buf);
  assert_string_equal(buf, "31.5°");
  vp_format_length_mm(-0.01, buf, sizeof buf);
  assert_string_equal(buf, "0.0 mm");
}

static void test_scale_bar_takes_the_longest_round_length_that_fits(void **state)
{
  (void)state;
  assert_float_equal(vp_scale_bar_length_mm(0.3, 100), 20.0, 1e-12);
  assert_float_equal(vp_scale_bar_length_mm(0.5, 100), 50.0, 1e-12);
  assert_float_equal(vp_scale_bar_length_mm(0.11, 100), 10.0, 1e-12);
  assert_float_equal(vp_scale_bar_length_mm(0.099, 100), 5.0, 1e-12);
  assert_float_equal(vp_scale_bar_length_mm(0.002, 100), 0.2, 1e-12);
  assert_float_equal(vp_scale_bar_length_mm(0.0, 100), 0.0, 0.0);
}

static void test_orientation_letter_is_the_dominant_direction(void **state)
{
  (void)state;
  double c = cos(vp_deg_to_rad(30)), s = sin(vp_deg_to_rad(30));
  assert_int_equal(vp_orientation_letter(vp_vec3(-c, s, 0)), 'L'); /* 30 deg towards anterior */
  assert_int_equal(vp_orientation_letter(vp_vec3(-s, c, 0)), 'A'); /* 60 deg */
  assert_int_equal(vp_orientation_letter(vp_vec3(0.1, -0.2, -0.9)), 'I');
  assert_int_equal(vp_orientation_letter(vp_vec3(0.7, 0, 0.6)), 'R');
  assert_int_equal(vp_orientation_letter(vp_vec3(0, -1, 0)), 'P');
  assert_int_equal(vp_orientation_letter(vp_vec3(0, 0, 1)), 'S');
}

/* ---- window/level ---- */

static void test_window_level_maps_its_ends_to_black_and_white(void **state)
{
  (void)state;
  VpWindowLevel bone = vp_window_level_preset(VP_WINDOW_BONE);
  assert_float_equal(bone.window_hu, 2000.0, 0.0);
  assert_float_equal(bone.level_hu, 500.0, 0.0);
  assert_int_equal(vp_window_level_grey(bone, -500.0), 0);
  assert_int_equal(vp_window_level_grey(bone, 1500.0), 255);
  VpWindowLevel soft = vp_window_level_preset(VP_WINDOW_SOFT_TISSUE);
  assert_int_equal(vp_window_level_grey(soft, 40.0), 128);
  assert_int_equal(vp_window_level_grey(soft, 1000.0), 255);
}

static void test_dragging_right_widens_and_up_raises_the_level(void **state)
{
  (void)state;
  VpWindowLevel wl = vp_window_level_preset(VP_WINDOW_SOFT_TISSUE);
  vp_window_level_drag(&wl, 50, 0);
  assert_true(wl.window_hu > 400.0);
  double level = wl.level_hu;
  vp_window_level_drag(&wl, 0, -20);
  assert_true(wl.level_hu > level);
  vp_window_level_drag(&wl, -1e6, 0);
  assert_float_equal(wl.window_hu, 1.0, 0.0);
}

/* ---- CT resampling ---- */

static void test_bright_cube_is_bright_and_water_dark_under_the_bone_window(void **state)
{
  (void)state;
  VpVolume *vol = cube_volume();
  VpSliceView view = standard_view(VP_SLICE_AXIAL, 0.5);
  cairo_surface_t *image = new_image(W, H);
  VpError err;
  assert_true(vp_slice_sample_ct(vol, &view, vp_window_level_preset(VP_WINDOW_BONE),
                                 VP_SLICE_INTERP_LINEAR, image, &err));
  save(image, "slice-cube-bone.png");
  assert_int_equal(grey_at(image, W / 2, H / 2), 255);                /* 1500 HU */
  assert_int_equal(grey_at(image, W / 2 + 30, H / 2), vp_window_level_grey(vp_window_level_preset(VP_WINDOW_BONE), 0.0)); /* water, 15 mm out */
  cairo_surface_destroy(image);
  vp_volume_free(vol);
}

static void test_soft_tissue_window_changes_water_as_expected(void **state)
{
  (void)state;
  VpVolume *vol = cube_volume();
  VpSliceView view = standard_view(VP_SLICE_CORONAL, 0.5);
  cairo_surface_t *image = new_image(W, H);
  VpWindowLevel soft = vp_window_level_preset(VP_WINDOW_SOFT_TISSUE);
  VpError err;
  assert_true(vp_slice_sample_ct(vol, &view, soft, VP_SLICE_INTERP_LINEAR, image, &err));
  assert_int_equal(grey_at(image, W / 2 + 30, H / 2), 102); /* (0 - (40 - 200)) / 400 */
  assert_int_equal(grey_at(image, W / 2, H / 2), 255);
  cairo_surface_destroy(image);
  vp_volume_free(vol);
}

static void test_pixels_outside_the_volume_are_dark(void **state)
{
  (void)state;
  VpVolume *vol = cube_volume();
  VpSliceView view = standard_view(VP_SLICE_AXIAL, 1.0); /* 160 mm across a 60 mm volume */
  cairo_surface_t *image = new_image(W, H);
  VpError err;
  assert_true(vp_slice_sample_ct(vol, &view, vp_window_level_preset(VP_WINDOW_SOFT_TISSUE),
                                 VP_SLICE_INTERP_AUTO, image, &err));
  assert_int_equal(vp_test_pixel(image, 2, 2), VP_SLICE_OUTSIDE_ARGB);
  assert_int_equal(vp_test_pixel(image, W / 2 + 25, H / 2), 0xff666666u); /* water inside */
  cairo_surface_destroy(image);
  vp_volume_free(vol);
}

static void test_linear_sampling_blends_across_the_cube_edge_and_nearest_does_not(void **state)
{
  (void)state;
  VpVolume *vol = cube_volume();
  VpSliceView view = standard_view(VP_SLICE_AXIAL, 0.25);
  /* pixel column W / 2 + 40 sits at x = -10.125 mm, between the cube's last
   * voxel centre (-9.5) and the water's first (-10.5) */
  cairo_surface_t *linear = new_image(W, H), *nearest = new_image(W, H);
  VpWindowLevel wl = {2000.0, 500.0};
  VpError err;
  assert_true(vp_slice_sample_ct(vol, &view, wl, VP_SLICE_INTERP_LINEAR, linear, &err));
  assert_true(vp_slice_sample_ct(vol, &view, wl, VP_SLICE_INTERP_NEAREST, nearest, &err));
  int g_lin = grey_at(linear, W / 2 + 40, H / 2), g_near = grey_at(nearest, W / 2 + 40, H / 2);
  assert_true(g_lin > 64 && g_lin < 255);
  assert_true(g_near == 255 || g_near == 64);
  cairo_surface_destroy(linear);
  cairo_surface_destroy(nearest);
  vp_volume_free(vol);
}

static void test_sampling_refuses_an_image_of_another_size(void **state)
{
  (void)state;
  VpVolume *vol = cube_volume();
  VpSliceView view = standard_view(VP_SLICE_AXIAL, 0.5);
  cairo_surface_t *image = new_image(W - 1, H);
  VpError err;
  assert_false(vp_slice_sample_ct(vol, &view, vp_window_level_preset(VP_WINDOW_BONE),
                                  VP_SLICE_INTERP_AUTO, image, &err));
  assert_int_equal(err.code, VP_ERR_INVALID);
  assert_false(vp_slice_sample_ct(NULL, &view, vp_window_level_preset(VP_WINDOW_BONE),
                                  VP_SLICE_INTERP_AUTO, image, &err));
  cairo_surface_destroy(image);
  vp_volume_free(vol);
}

static void test_sampling_refuses_a_window_of_no_width(void **state)
{
  (void)state;
  VpVolume *vol = cube_volume();
  VpSliceView view = standard_view(VP_SLICE_AXIAL, 0.5);
  cairo_surface_t *image = new_image(W, H);
  VpWindowLevel wl = {0.0, 40.0};
  VpError err;
  assert_false(vp_slice_sample_ct(vol, &view, wl, VP_SLICE_INTERP_AUTO, image, &err));
  assert_int_equal(err.code, VP_ERR_INVALID);
  cairo_surface_destroy(image);
  vp_volume_free(vol);
}

/* ---- contour ---- */

static void test_cube_cut_across_is_a_square_of_its_size(void **state)
{
  (void)state;
  VpMesh *cube = vp_test_cube_new(10.0);
  VpSliceContour contour = {0};
  VpError err;
  assert_true(vp_slice_contour_compute(cube, vp_vec3(0, 0, 3), vp_vec3(0, 0, 1), &contour, &err));
  assert_int_equal(contour.line_count, 1);
  assert_true(contour.lines[0].closed);
  assert_float_equal(vp_slice_contour_length_mm(&contour), 80.0, 1e-5);
  for (size_t i = 0; i < contour.point_count; i++) {
    VpVec3 p = contour.points[i];
    assert_float_equal(p.z, 3.0, 1e-6);
    assert_float_equal(fmax(fabs(p.x), fabs(p.y)), 10.0, 1e-5); /* on the square's outline */
  }
  /* counter-clockwise around the bone seen from +z */
  assert_float_equal(signed_area(&contour, &contour.lines[0], vp_vec3(1, 0, 0), vp_vec3(0, 1, 0)),
                     400.0, 1e-3);
  vp_slice_contour_clear(&contour);
  vp_mesh_free(cube);
}

static void test_cut_through_mesh_vertices_stays_one_closed_loop(void **state)
{
  (void)state;
  VpMesh *cube = vp_test_cube_new(10.0);
  VpSliceContour contour = {0};
  VpError err;
  /* the diagonal plane x = y holds two vertical edges of the cube */
  assert_true(vp_slice_contour_compute(cube, vp_vec3(0, 0, 0), vp_vec3(1, -1, 0), &contour, &err));
  assert_int_equal(contour.line_count, 1);
  assert_true(contour.lines[0].closed);
  assert_float_equal(vp_slice_contour_length_mm(&contour), 2.0 * (20.0 * sqrt(2.0) + 20.0), 1e-4);
  vp_slice_contour_clear(&contour);
  vp_mesh_free(cube);
}

static void test_plane_missing_the_mesh_gives_no_contour(void **state)
{
  (void)state;
  VpMesh *cube = vp_test_cube_new(10.0);
  VpSliceContour contour = {0};
  VpError err;
  assert_true(vp_slice_contour_compute(cube, vp_vec3(0, 0, 30), vp_vec3(0, 0, 1), &contour, &err));
  assert_int_equal(contour.line_count, 0);
  vp_slice_contour_clear(&contour);
  vp_mesh_free(cube);
}

static void test_open_surface_gives_an_open_polyline(void **state)
{
  (void)state;
  VpMesh *cube = vp_test_cube_new(10.0);
  /* drop the two triangles of the +x face */
  memmove(&cube->indices[3 * 2], &cube->indices[3 * 4], 3 * 8 * sizeof(uint32_t));
  cube->triangle_count = 10;
  VpSliceContour contour = {0};
  VpError err;
  assert_true(vp_slice_contour_compute(cube, vp_vec3(0, 0, 0), vp_vec3(0, 0, 1), &contour, &err));
  assert_int_equal(contour.line_count, 1);
  assert_false(contour.lines[0].closed);
  assert_float_equal(vp_slice_contour_length_mm(&contour), 60.0, 1e-5);
  vp_slice_contour_clear(&contour);
  vp_mesh_free(cube);
}

static void test_contour_refuses_an_index_out_of_range(void **state)
{
  (void)state;
  VpMesh *cube = vp_test_cube_new(10.0);
  cube->indices[5] = 99;
  VpSliceContour contour = {0};
  VpError err;
  assert_false(vp_slice_contour_compute(cube, vp_vec3(0, 0, 0), vp_vec3(0, 0, 1), &contour, &err));
  assert_int_equal(err.code, VP_ERR_INVALID);
  vp_slice_contour_clear(&contour);
  vp_mesh_free(cube);
}

/* ---- whole views ---- */

static void test_slice_of_a_mesh_without_ct_fills_the_bone(void **state)
{
  (void)state;
  VpMesh *cube = vp_test_cube_new(10.0);
  VpSliceScene scene;
  vp_slice_scene_init(&scene);
  scene.surface = cube;
  scene.show_crosshair = false;
  VpSliceView view = standard_view(VP_SLICE_CORONAL, 0.25);
  VpError err;
  cairo_surface_t *image = vp_slice_render_to_image(&view, &scene, &err);
  assert_non_null(image);
  save(image, "slice-cube-mesh-only.png");
  uint32_t inside = vp_test_pixel(image, W / 2 + 10, H / 2 + 10);
  assert_int_equal(inside & 0xff, (int)lrint(255 * scene.style.section_rgb[2]));
  assert_int_equal(vp_test_pixel(image, W / 2 + 50, H / 2 + 10), 0xff000000u); /* 12.5 mm out */
  cairo_surface_destroy(image);
  vp_mesh_free(cube);
}

static void test_whole_view_draws_contour_and_overlays_over_the_ct(void **state)
{
  (void)state;
  VpVolume *vol = cube_volume();
  VpMesh *cube = vp_test_cube_new(10.0);
  VpSliceScene scene;
  vp_slice_scene_init(&scene);
  scene.ct = vol;
  scene.surface = cube;
  scene.crosshair_mm = vp_vec3(-5, 0, 5);
  VpSliceView view = standard_view(VP_SLICE_AXIAL, 0.25);
  VpError err;
  cairo_surface_t *image = vp_slice_render_to_image(&view, &scene, &err);
  assert_non_null(image);
  cairo_t *cr = cairo_create(image);
  vp_slice_draw_distance(cr, &view, vp_vec3(8, -12, 0), vp_vec3(-8, -12, 0), &scene.style);
  vp_slice_draw_angle(cr, &view, vp_vec3(-12, 12, 0), vp_vec3(-12, -8, 0), vp_vec3(0, -8, 0),
                      &scene.style);
  cairo_destroy(cr);
  save(image, "slice-cube-overlays.png");
  /* the cube's edge at x = -10 mm lies at column W / 2 + 40: bone yellow there */
  uint32_t edge = vp_test_pixel(image, W / 2 + 40, H / 2 + 20);
  assert_true(((edge >> 16) & 0xff) > 200 && (edge & 0xff) < 160);
  cairo_surface_destroy(image);
  vp_mesh_free(cube);
  vp_volume_free(vol);
}

static void test_renderer_recuts_the_contour_only_when_the_plane_moves(void **state)
{
  (void)state;
  VpMesh *cube = vp_test_cube_new(10.0);
  VpSliceScene scene;
  vp_slice_scene_init(&scene);
  scene.surface = cube;
  VpSliceView view = standard_view(VP_SLICE_AXIAL, 0.25);
  VpSliceRenderer *r = vp_slice_renderer_new();
  cairo_surface_t *image = new_image(W, H);
  cairo_t *cr = cairo_create(image);
  VpError err;
  assert_true(vp_slice_renderer_draw(r, cr, &view, &scene, &err));
  cube->positions[0] = -20.0f; /* an edit the cache cannot see: a corner pulled outwards */
  vp_slice_view_pan(&view, 5, 5);
  assert_true(vp_slice_renderer_draw(r, cr, &view, &scene, &err));
  assert_float_equal(vp_slice_contour_length_mm(vp_slice_renderer_contour(r)), 80.0, 1e-5);
  vp_slice_renderer_invalidate(r);
  assert_true(vp_slice_renderer_draw(r, cr, &view, &scene, &err));
  assert_true(vp_slice_contour_length_mm(vp_slice_renderer_contour(r)) > 80.0 + 1e-3);
  cairo_destroy(cr);
  cairo_surface_destroy(image);
  vp_slice_renderer_free(r);
  vp_mesh_free(cube);
}

static void test_letters_are_drawn_at_the_four_edges(void **state)
{
  (void)state;
  VpSliceView view = standard_view(VP_SLICE_AXIAL, 0.5);
  cairo_surface_t *image = new_image(W, H);
  cairo_t *cr = cairo_create(image);
  vp_slice_draw_orientation_letters(cr, &view, NULL);
  cairo_destroy(cr);
  cairo_surface_t *edges[4] = {
      cairo_surface_create_for_rectangle(image, 0, H / 2 - 12, 30, 24),
      cairo_surface_create_for_rectangle(image, W - 30, H / 2 - 12, 30, 24),
      cairo_surface_create_for_rectangle(image, W / 2 - 12, 0, 24, 30),
      cairo_surface_create_for_rectangle(image, W / 2 - 12, H - 30, 24, 30),
  };
  for (int e = 0; e < 4; e++) {
    cairo_surface_t *copy = new_image(30, 30);
    cairo_t *c2 = cairo_create(copy);
    cairo_set_source_surface(c2, edges[e], 0, 0);
    cairo_paint(c2);
    cairo_destroy(c2);
    assert_true(vp_test_fraction_differing(copy, 0x00000000u, 40) > 0.02);
    cairo_surface_destroy(copy);
    cairo_surface_destroy(edges[e]);
  }
  assert_true(vp_test_fraction_differing(image, 0x00000000u, 40) < 0.1); /* and nothing else */
  cairo_surface_destroy(image);
}

/* ---- radiograph display ---- */

static void test_radiograph_display_shows_dense_rays_bright_and_can_invert(void **state)
{
  (void)state;
  float values[4] = {0.0f, 1.0f, 2.0f, 4.0f};
  VpDrrImage drr = {.width_px = 4, .height_px = 1, .attenuation = values, .capacity = 4};
  VpDrrDisplay display = {.black_attenuation = 0.0, .white_attenuation = 4.0, .gamma = 1.0};
  cairo_surface_t *image = new_image(4, 1);
  VpError err;
  assert_true(vp_drr_display_to_image(&drr, &display, image, &err));
  assert_int_equal(grey_at(image, 0, 0), 0);
  assert_int_equal(grey_at(image, 2, 0), 128);
  assert_int_equal(grey_at(image, 3, 0), 255);
  display.invert = true;
  assert_true(vp_drr_display_to_image(&drr, &display, image, &err));
  assert_int_equal(grey_at(image, 3, 0), 0);
  display.gamma = 0.0;
  assert_false(vp_drr_display_to_image(&drr, &display, image, &err));
  cairo_surface_destroy(image);
}

static void test_automatic_display_puts_white_near_the_densest_rays(void **state)
{
  (void)state;
  enum { N = 1000 };
  float values[N];
  for (int i = 0; i < N; i++)
    values[i] = i < 100 ? 0.0f : 2.0f + (float)i / N; /* 100 rays miss, the rest 2.1 .. 3 */
  VpDrrImage drr = {.width_px = N, .height_px = 1, .attenuation = values, .capacity = N};
  VpDrrDisplay display;
  vp_drr_display_auto(&drr, &display);
  assert_float_equal(display.white_attenuation, 2.995, 0.01);
  /* median 2.55: black 2 x 0.445 below it */
  assert_float_equal(display.black_attenuation, 1.66, 0.02);
  assert_false(display.invert);
}

static double ring_cylinder(VpVec3 p)
{
  double r = hypot(p.x, p.y);
  return r < 8.0 ? 1200.0 : (r < 25.0 ? 20.0 : -1000.0);
}

static void test_fluoroscopy_image_has_the_view_size_and_bright_bone(void **state)
{
  (void)state;
  int dims[3] = {60, 60, 40};
  VpMat4 affine = vp_mat4_translation(vp_vec3(-29.5, -29.5, -19.5));
  VpVolume *vol = vp_volume_new(dims, VP_VOXEL_I16, &affine, NULL, NULL);
  assert_non_null(vol);
  for (int k = 0; k < 40; k++)
    for (int j = 0; j < 60; j++)
      for (int i = 0; i < 60; i++)
        vp_volume_set_value(vol, i, j, k, ring_cylinder(vp_volume_voxel_to_world(vol, vp_vec3(i, j, k))));
  VpViewFrame frame = vp_view_frame_world(vp_vec3(0, 0, 0));
  VpDrrView view;
  VpError err;
  assert_true(vp_drr_view_init(&view, VP_DRR_AP, &frame, W, H, 80.0, &err));
  cairo_surface_t *image = vp_fluoro_render_to_image(vol, &view, NULL, NULL, &err);
  assert_non_null(image);
  save(image, "fluoro-cylinder-ap.png");
  assert_int_equal(cairo_image_surface_get_width(image), W);
  assert_true(grey_at(image, W / 2, H / 2) > grey_at(image, W / 2 + 30, H / 2) + 40);
  cairo_surface_destroy(image);
  vp_volume_free(vol);
}

/* ---- Anatomy overlay ---- */

/* A 40 mm cube of 1 mm voxels centred on the origin: the patient's right
 * half (x > 0, RAS+) labelled as a pedicle, the left half as the canal. */
static VpVolume *two_part_map(void)
{
  const int dims[3] = {40, 40, 40};
  VpMat4 affine = vp_mat4_identity();
  affine.m[0][3] = affine.m[1][3] = affine.m[2][3] = -19.5;
  VpVolume *parts = vp_volume_new(dims, VP_VOXEL_U8, &affine, NULL, NULL);
  assert_non_null(parts);
  for (int k = 0; k < 40; k++)
    for (int j = 0; j < 40; j++)
      for (int i = 0; i < 40; i++)
        vp_volume_set_value(parts, i, j, k,
                            i >= 20 ? VP_ANATOMY_PEDICLE_LEFT : VP_ANATOMY_CANAL);
  return parts;
}

static cairo_surface_t *black_image(cairo_t **cr, int w, int h)
{
  cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
  *cr = cairo_create(img);
  cairo_set_source_rgb(*cr, 0, 0, 0);
  cairo_paint(*cr);
  return img;
}

static void assert_pixel_near(cairo_surface_t *img, int x, int y, const double rgb[3], double alpha)
{
  cairo_surface_flush(img);
  uint32_t p = vp_test_pixel(img, x, y);
  int got[3] = {(int)(p >> 16 & 0xff), (int)(p >> 8 & 0xff), (int)(p & 0xff)};
  for (int c = 0; c < 3; c++)
    assert_true(abs(got[c] - (int)lround(255 * alpha * rgb[c])) <= 3);
}

static void test_anatomy_parts_are_tinted_where_the_plane_cuts_them(void **state)
{
  (void)state;
  VpVolume *parts = two_part_map();
  VpViewFrame frame = vp_view_frame_world(vp_vec3(0, 0, 0));
  VpSliceView view;
  /* Axial, 0.25 mm pixels: the patient's right (x > 0) is on the screen's left. */
  assert_true(vp_slice_view_init(&view, VP_SLICE_AXIAL, &frame, 200, 100, 0.25, NULL));
  cairo_t *cr;
  cairo_surface_t *img = black_image(&cr, 200, 100);
  assert_true(vp_anatomy_overlay_draw_parts(cr, &view, parts, VP_ANATOMY_PARTS_ALL, 0.5));
  double pedicle[3], canal[3];
  vp_anatomy_part_rgb(VP_ANATOMY_PEDICLE_LEFT, pedicle);
  vp_anatomy_part_rgb(VP_ANATOMY_CANAL, canal);
  assert_pixel_near(img, 40, 50, pedicle, 0.5);
  assert_pixel_near(img, 160, 50, canal, 0.5);
  /* A hidden part is not tinted. */
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_paint(cr);
  vp_anatomy_overlay_draw_parts(cr, &view, parts, VP_ANATOMY_PART_BIT(VP_ANATOMY_CANAL), 0.5);
  const double black[3] = {0, 0, 0};
  assert_pixel_near(img, 40, 50, black, 1);
  assert_pixel_near(img, 160, 50, canal, 0.5);
  /* Outside the map, nothing. */
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_paint(cr);
  VpSliceView far = view;
  vp_slice_view_move_plane_to(&far, vp_vec3(0, 0, 30));
  vp_anatomy_overlay_draw_parts(cr, &far, parts, VP_ANATOMY_PARTS_ALL, 0.5);
  assert_pixel_near(img, 40, 50, black, 1);
  assert_pixel_near(img, 160, 50, black, 1);
  cairo_destroy(cr);
  cairo_surface_destroy(img);
  vp_volume_free(parts);
}

static void test_part_colours_are_distinct(void **state)
{
  (void)state;
  for (int a = 1; a < VP_ANATOMY_PART_COUNT; a++) {
    for (int b = a + 1; b < VP_ANATOMY_PART_COUNT; b++) {
      double ca[3], cb[3];
      vp_anatomy_part_rgb((VpAnatomyPart)a, ca);
      vp_anatomy_part_rgb((VpAnatomyPart)b, cb);
      double d = fabs(ca[0] - cb[0]) + fabs(ca[1] - cb[1]) + fabs(ca[2] - cb[2]);
      assert_true(d > 0.15);
    }
  }
}

static long lit_pixels(cairo_surface_t *img)
{
  cairo_surface_flush(img);
  long lit = 0;
  for (int y = 0; y < cairo_image_surface_get_height(img); y++)
    for (int x = 0; x < cairo_image_surface_get_width(img); x++)
      lit += (vp_test_pixel(img, x, y) & 0xffffff) != 0;
  return lit;
}

static void test_frame_axes_are_drawn_from_the_origin_with_handles(void **state)
{
  (void)state;
  VpViewFrame world = vp_view_frame_world(vp_vec3(0, 0, 0));
  VpSliceView view;
  assert_true(vp_slice_view_init(&view, VP_SLICE_AXIAL, &world, 200, 200, 0.25, NULL));
  VpAnatomyFrame frame = {vp_vec3(0, 0, 0), vp_vec3(-1, 0, 0), vp_vec3(0, 1, 0), vp_vec3(0, 0, 1)};
  double xy[4][2];
  vp_anatomy_overlay_frame_handles(&view, &frame, xy);
  assert_true(fabs(xy[0][0] - 100) < 1e-6 && fabs(xy[0][1] - 100) < 1e-6);
  /* Axial from the feet, the patient's right (+x, RAS) on the screen's left: an
   * axis along -x points to the screen's right. */
  assert_true(fabs(xy[1][0] - (100 + VP_ANATOMY_AXIS_PX)) < 1e-6);
  assert_true(fabs(xy[2][1] - (100 - VP_ANATOMY_AXIS_PX)) < 1e-6); /* anterior: up */
  assert_true(fabs(xy[3][0] - 100) < 1e-6 && fabs(xy[3][1] - 100) < 1e-6); /* superior: the normal */
  cairo_t *cr;
  cairo_surface_t *img = black_image(&cr, 200, 200);
  vp_anatomy_overlay_draw_frame(cr, &view, &frame, NULL);
  assert_true(lit_pixels(img) > 200);
  cairo_surface_flush(img);
  assert_true((vp_test_pixel(img, 100, 100 - (int)(VP_ANATOMY_AXIS_PX / 2)) & 0xffffff) != 0);
  cairo_destroy(cr);
  cairo_surface_destroy(img);
}

static void test_isthmus_is_drawn_only_near_the_plane(void **state)
{
  (void)state;
  VpViewFrame world = vp_view_frame_world(vp_vec3(0, 0, 0));
  VpSliceView view;
  assert_true(vp_slice_view_init(&view, VP_SLICE_AXIAL, &world, 200, 200, 0.25, NULL));
  VpPedicleMeasures p = {0};
  p.found = true;
  p.width_mm = 6.2;
  p.height_mm = 12;
  p.isthmus_mm = vp_vec3(0, 0, 0.5);
  p.axis = vp_vec3(0, 1, 0);
  p.width_direction = vp_vec3(1, 0, 0);
  p.height_direction = vp_vec3(0, 0, 1);
  assert_true(vp_anatomy_overlay_isthmus_in_view(&view, &p));
  cairo_t *cr;
  cairo_surface_t *img = black_image(&cr, 200, 200);
  vp_anatomy_overlay_draw_isthmus(cr, &view, &p, NULL);
  assert_true(lit_pixels(img) > 100);
  char *png = vp_test_artifact_path("anatomy-isthmus.png");
  cairo_surface_write_to_png(img, png);
  free(png);
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_paint(cr);
  p.isthmus_mm = vp_vec3(0, 0, 10);
  assert_false(vp_anatomy_overlay_isthmus_in_view(&view, &p));
  vp_anatomy_overlay_draw_isthmus(cr, &view, &p, NULL);
  assert_int_equal(lit_pixels(img), 0);
  p.isthmus_mm = vp_vec3(0, 0, 0);
  p.found = false;
  vp_anatomy_overlay_draw_isthmus(cr, &view, &p, NULL);
  assert_int_equal(lit_pixels(img), 0);
  cairo_destroy(cr);
  cairo_surface_destroy(img);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_axial_view_puts_patient_right_on_screen_left_and_anterior_up),
      cmocka_unit_test(test_coronal_view_puts_patient_right_on_screen_left_and_superior_up),
      cmocka_unit_test(test_sagittal_view_puts_anterior_on_screen_left_and_superior_up),
      cmocka_unit_test(test_standard_planes_follow_a_tilted_frame),
      cmocka_unit_test(test_oblique_standard_orientation_is_refused),
      cmocka_unit_test(test_line_view_puts_the_line_across_the_screen),
      cmocka_unit_test(test_line_view_refuses_a_point_or_an_up_along_the_line),
      cmocka_unit_test(test_pixel_to_world_to_pixel_round_trips),
      cmocka_unit_test(test_scroll_moves_the_plane_by_one_ct_spacing),
      cmocka_unit_test(test_moving_the_plane_to_a_point_keeps_the_picture_in_place),
      cmocka_unit_test(test_zoom_keeps_the_point_under_the_pointer),
      cmocka_unit_test(test_pan_moves_the_picture_with_the_pointer),
      cmocka_unit_test(test_fit_shows_the_whole_volume),
      cmocka_unit_test(test_scaled_view_keeps_the_field_of_view),
      cmocka_unit_test(test_distance_is_measured_in_the_plane),
      cmocka_unit_test(test_angle_is_measured_in_degrees_in_the_plane),
      cmocka_unit_test(test_labels_carry_their_units),
      cmocka_unit_test(test_scale_bar_takes_the_longest_round_length_that_fits),
      cmocka_unit_test(test_orientation_letter_is_the_dominant_direction),
      cmocka_unit_test(test_window_level_maps_its_ends_to_black_and_white),
      cmocka_unit_test(test_dragging_right_widens_and_up_raises_the_level),
      cmocka_unit_test(test_bright_cube_is_bright_and_water_dark_under_the_bone_window),
      cmocka_unit_test(test_soft_tissue_window_changes_water_as_expected),
      cmocka_unit_test(test_pixels_outside_the_volume_are_dark),
      cmocka_unit_test(test_linear_sampling_blends_across_the_cube_edge_and_nearest_does_not),
      cmocka_unit_test(test_sampling_refuses_an_image_of_another_size),
      cmocka_unit_test(test_sampling_refuses_a_window_of_no_width),
      cmocka_unit_test(test_cube_cut_across_is_a_square_of_its_size),
      cmocka_unit_test(test_cut_through_mesh_vertices_stays_one_closed_loop),
      cmocka_unit_test(test_plane_missing_the_mesh_gives_no_contour),
      cmocka_unit_test(test_open_surface_gives_an_open_polyline),
      cmocka_unit_test(test_contour_refuses_an_index_out_of_range),
      cmocka_unit_test(test_slice_of_a_mesh_without_ct_fills_the_bone),
      cmocka_unit_test(test_whole_view_draws_contour_and_overlays_over_the_ct),
      cmocka_unit_test(test_renderer_recuts_the_contour_only_when_the_plane_moves),
      cmocka_unit_test(test_letters_are_drawn_at_the_four_edges),
      cmocka_unit_test(test_radiograph_display_shows_dense_rays_bright_and_can_invert),
      cmocka_unit_test(test_automatic_display_puts_white_near_the_densest_rays),
      cmocka_unit_test(test_fluoroscopy_image_has_the_view_size_and_bright_bone),
      cmocka_unit_test(test_anatomy_parts_are_tinted_where_the_plane_cuts_them),
      cmocka_unit_test(test_part_colours_are_distinct),
      cmocka_unit_test(test_frame_axes_are_drawn_from_the_origin_with_handles),
      cmocka_unit_test(test_isthmus_is_drawn_only_near_the_plane),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
