/* Tests of the OBJ reader: every face-reference form, polygons, relative
 * indices, ignored statements, number forms, and every kind of bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vp-mesh.h"
#include "vp-fileutil.h"
#include "vp-test-util.h"

/* ---- fixtures ---- */

/* A unit cube's corners, then its six faces as outward quads. */
#define CUBE_VERTICES "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nv 0 0 1\nv 1 0 1\nv 1 1 1\nv 0 1 1\n"

static const char cube_quads[] = CUBE_VERTICES "f 1 4 3 2\nf 5 6 7 8\nf 1 2 6 5\n"
                                               "f 3 4 8 7\nf 2 3 7 6\nf 1 5 8 4\n";

static const char cube_triangles[] = CUBE_VERTICES "f 1 3 2\nf 1 4 3\nf 5 6 7\nf 5 7 8\n"
                                                   "f 1 2 6\nf 1 6 5\nf 3 4 8\nf 3 8 7\n"
                                                   "f 2 3 7\nf 2 7 6\nf 1 5 8\nf 1 8 4\n";

static VpMesh *read_text(const char *text, VpError *err)
{
  return vp_mesh_read_obj(text, strlen(text), err);
}

static void assert_unit_cube(const VpMesh *mesh)
{
  assert_non_null(mesh);
  assert_int_equal(mesh->vertex_count, 8);
  assert_int_equal(mesh->triangle_count, 12);
  assert_true(fabs(vp_mesh_signed_volume_mm3(mesh) - 1.0) < 1e-9);
}

static void assert_triangle(const VpMesh *mesh, uint32_t t, uint32_t a, uint32_t b, uint32_t c)
{
  assert_int_equal(mesh->indices[3 * t], a);
  assert_int_equal(mesh->indices[3 * t + 1], b);
  assert_int_equal(mesh->indices[3 * t + 2], c);
}

/* Reads text that must fail; returns the error for the caller to check. */
static VpError read_failing(const char *text, size_t size)
{
  VpError err;
  vp_error_clear(&err);
  VpMesh *mesh = vp_mesh_read_obj(text, size, &err);
  assert_null(mesh);
  assert_int_not_equal(err.code, VP_OK);
  vp_mesh_free(mesh);
  return err;
}

static void assert_message_has(const VpError *err, const char *part)
{
  if (!strstr(err->message, part))
    fail_msg("message \"%s\" lacks \"%s\"", err->message, part);
}

/* ---- what is read ---- */

static void test_triangles_give_the_unit_cube(void **state)
{
  (void)state;
  VpMesh *mesh = read_text(cube_triangles, NULL);
  assert_unit_cube(mesh);
  assert_triangle(mesh, 0, 0, 2, 1);
  vp_mesh_free(mesh);
}

static void test_quads_are_fanned_into_the_unit_cube(void **state)
{
  (void)state;
  VpMesh *mesh = read_text(cube_quads, NULL);
  assert_unit_cube(mesh);
  assert_triangle(mesh, 0, 0, 3, 2);
  assert_triangle(mesh, 1, 0, 2, 1);
  vp_mesh_free(mesh);
}

static void test_pentagon_is_fanned_from_its_first_corner(void **state)
{
  (void)state;
  VpMesh *mesh = read_text("v 0 0 0\nv 2 0 0\nv 3 1 0\nv 1 2 0\nv -1 1 0\nf 1 2 3 4 5\n", NULL);
  assert_non_null(mesh);
  assert_int_equal(mesh->triangle_count, 3);
  assert_triangle(mesh, 0, 0, 1, 2);
  assert_triangle(mesh, 1, 0, 2, 3);
  assert_triangle(mesh, 2, 0, 3, 4);
  vp_mesh_free(mesh);
}

static void test_all_corner_forms_give_the_same_indices(void **state)
{
  (void)state;
  VpMesh *mesh = read_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 0 1\nvn 0 0 1\n"
                           "f 1 2 3\nf 1/1 2/2 3/3\nf 1//1 2//1 3//1\nf 1/1/1 2/2/1 3/3/1\n",
                           NULL);
  assert_non_null(mesh);
  assert_int_equal(mesh->triangle_count, 4);
  for (uint32_t t = 0; t < 4; t++)
    assert_triangle(mesh, t, 0, 1, 2);
  vp_mesh_free(mesh);
}

static void test_negative_indices_count_back_from_the_last_vertex(void **state)
{
  (void)state;
  VpMesh *mesh = read_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf -3 -2 -1\n"
                           "v 0 0 1\nf -4/1 -1/1 -3//2\n",
                           NULL);
  assert_non_null(mesh);
  assert_int_equal(mesh->vertex_count, 4);
  assert_triangle(mesh, 0, 0, 1, 2);
  assert_triangle(mesh, 1, 0, 3, 1);
  vp_mesh_free(mesh);
}

static void test_cube_written_with_relative_quads(void **state)
{
  (void)state;
  VpMesh *mesh = read_text(CUBE_VERTICES "f -8 -5 -6 -7\nf -4 -3 -2 -1\nf -8 -7 -3 -4\n"
                                         "f -6 -5 -1 -2\nf -7 -6 -2 -3\nf -8 -4 -1 -5\n",
                           NULL);
  assert_unit_cube(mesh);
  vp_mesh_free(mesh);
}

static void test_faces_may_refer_to_vertices_defined_later(void **state)
{
  (void)state;
  VpMesh *mesh = read_text("f 1 2 3\nv 0 0 0\nv 1 0 0\nv 0 1 0\n", NULL);
  assert_non_null(mesh);
  assert_triangle(mesh, 0, 0, 1, 2);
  vp_mesh_free(mesh);
}

static void test_irrelevant_statements_and_comments_are_ignored(void **state)
{
  (void)state;
  const char text[] = "# exported by a tool\r\nmtllib bone.mtl\r\no vertebra\r\ng body\r\n"
                      "\r\n   \t\r\nv 0 0 0\r\nv 1 0 0 # a comment after the numbers\r\n"
                      "v 0 1 0\r\nvt 0.5 0.5\r\nvn 0 0 1\r\nvp 0.1\r\nusemtl bone\r\ns off\r\n"
                      "l 1 2\r\np 1\r\nf 1 2 3 # one triangle\r\ncstype bezier\r\n";
  VpMesh *mesh = read_text(text, NULL);
  assert_non_null(mesh);
  assert_int_equal(mesh->vertex_count, 3);
  assert_int_equal(mesh->triangle_count, 1);
  assert_true(mesh->positions[3] == 1.0f);
  vp_mesh_free(mesh);
}

static void test_vertex_w_and_colour_values_are_ignored(void **state)
{
  (void)state;
  VpMesh *mesh =
      read_text("v 0 0 0 1.0\nv 1 0 0 0.2 0.4 0.6\nv 0 1 0 1 0.5 0.5 0.5\nf 1 2 3\n", NULL);
  assert_non_null(mesh);
  assert_true(mesh->positions[3] == 1.0f && mesh->positions[4] == 0.0f);
  assert_true(mesh->positions[6] == 0.0f && mesh->positions[7] == 1.0f);
  vp_mesh_free(mesh);
}

static void test_number_forms_are_read_exactly(void **state)
{
  (void)state;
  VpMesh *mesh = read_text("v -1.5 +2.25 .5\nv 1e-3 -2.5E+2 5.\n"
                           "v 0.1000000000000000000000001 1e30 -0\n"
                           "v 40.000004000000004 -12345678901234567e-15 0.12566001256600001\n"
                           "f 1 2 3\n",
                           NULL);
  assert_non_null(mesh);
  const float want[12] = {-1.5f,
                          2.25f,
                          0.5f,
                          0.001f,
                          -250.0f,
                          5.0f,
                          0.1f,
                          1e30f,
                          0.0f,
                          40.000004f,
                          -12.345678901234567f,
                          0.12566001256600001f};
  for (int i = 0; i < 12; i++)
    assert_true(mesh->positions[i] == want[i]);
  vp_mesh_free(mesh);
}

static void test_backslash_continues_a_line(void **state)
{
  (void)state;
  VpMesh *mesh = read_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nv 1 1 0\nf 1 2 \\\n 4 3\n", NULL);
  assert_non_null(mesh);
  assert_int_equal(mesh->triangle_count, 2);
  vp_mesh_free(mesh);
}

static void test_byte_order_mark_is_skipped(void **state)
{
  (void)state;
  VpMesh *mesh = read_text("\xEF\xBB\xBFv 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n", NULL);
  assert_non_null(mesh);
  assert_int_equal(mesh->vertex_count, 3);
  vp_mesh_free(mesh);
}

static void test_normals_are_computed(void **state)
{
  (void)state;
  VpMesh *mesh = read_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n", NULL);
  assert_non_null(mesh);
  assert_true(fabsf(mesh->normals[2] - 1.0f) < 1e-6f);
  vp_mesh_free(mesh);
}

static void test_numbers_ignore_a_comma_locale(void **state)
{
  (void)state;
  if (!vp_test_set_comma_locale()) {
    print_message("no comma-decimal locale installed; skipping\n");
    skip();
  }
  /* The long mantissa takes the strtod path, the short one the fast path. */
  VpMesh *mesh = read_text("v 0 0 0\nv 1.5 0 0\nv 0 2.2500000000000000000001 0\nf 1 2 3\n", NULL);
  char still[8];
  snprintf(still, sizeof still, "%s", localeconv()->decimal_point);
  setlocale(LC_ALL, "C");
  assert_string_equal(still, ","); /* the caller's locale is back */
  assert_non_null(mesh);
  assert_true(mesh->positions[3] == 1.5f);
  assert_true(mesh->positions[7] == 2.25f);
  vp_mesh_free(mesh);
}

static void test_load_reads_a_file(void **state)
{
  (void)state;
  char *path = vp_test_tmp_path("cube.obj");
  assert_true(vp_test_write_file(path, cube_quads, strlen(cube_quads)));
  VpError err;
  VpMesh *mesh = vp_mesh_load_obj(path, &err);
  assert_unit_cube(mesh);
  vp_mesh_free(mesh);
  free(path);
}

/* ---- bad input ---- */

static void test_index_out_of_range_names_line_and_count(void **state)
{
  (void)state;
  const char text[] = CUBE_VERTICES "f 1 2 3\nf 1 2 9\n";
  VpError err = read_failing(text, strlen(text));
  assert_int_equal(err.code, VP_ERR_FORMAT);
  assert_string_equal(err.message, "line 10: face refers to vertex 9 but only 8 are defined");
}

static void test_negative_index_before_the_first_vertex_is_rejected(void **state)
{
  (void)state;
  const char text[] = "v 0 0 0\nv 1 0 0\nv 0 1 0\nf -1 -2 -4\n";
  VpError err = read_failing(text, strlen(text));
  assert_string_equal(err.message, "line 4: face refers to vertex -4 but only 3 are defined");
}

static void test_huge_index_is_rejected(void **state)
{
  (void)state;
  const char text[] = "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 99999999999999999999999\n";
  VpError err = read_failing(text, strlen(text));
  assert_message_has(&err, "line 4: face refers to vertex");
}

static void test_zero_index_is_rejected(void **state)
{
  (void)state;
  const char text[] = "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 0 1 2\n";
  VpError err = read_failing(text, strlen(text));
  assert_message_has(&err, "line 4: face refers to vertex 0");
  assert_message_has(&err, "start at 1");
}

static void test_face_with_two_vertices_is_rejected(void **state)
{
  (void)state;
  const char text[] = "v 0 0 0\nv 1 0 0\nf 1 2\n";
  VpError err = read_failing(text, strlen(text));
  assert_string_equal(err.message, "line 3: a face needs at least 3 vertices, this one has 2");
}

static void test_face_corner_that_is_not_a_number_is_rejected(void **state)
{
  (void)state;
  const char text[] = "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 x3\n";
  VpError err = read_failing(text, strlen(text));
  assert_message_has(&err, "line 4: a face corner is not a vertex number");
}

static void test_nan_coordinate_names_the_line(void **state)
{
  (void)state;
  const char text[] = "v 0 0 0\nv nan 0 0\nv 0 1 0\nf 1 2 3\n";
  VpError err = read_failing(text, strlen(text));
  assert_string_equal(err.message, "line 2: a vertex coordinate is not a finite number");
}

static void test_infinite_coordinate_names_the_line(void **state)
{
  (void)state;
  const char text[] = "v 0 0 0\nv 1 0 0\nv 0 -inf 0\nf 1 2 3\n";
  VpError err = read_failing(text, strlen(text));
  assert_message_has(&err, "line 3: a vertex coordinate is not a finite number");
}

static void test_coordinate_beyond_float_range_is_rejected(void **state)
{
  (void)state;
  const char text[] = "v 0 0 0\nv 1e39 0 0\nv 0 1 0\nf 1 2 3\n";
  VpError err = read_failing(text, strlen(text));
  assert_message_has(&err, "line 2: a vertex coordinate is not a finite number");
}

static void test_comma_decimal_is_not_a_number(void **state)
{
  (void)state;
  const char text[] = "v 0 0 0\nv 1,5 0 0\nv 0 1 0\nf 1 2 3\n";
  VpError err = read_failing(text, strlen(text));
  assert_string_equal(err.message, "line 2: a vertex coordinate is not a number");
}

static void test_vertex_with_two_coordinates_is_rejected(void **state)
{
  (void)state;
  const char text[] = "v 0 0 0\nv 1 0\n";
  VpError err = read_failing(text, strlen(text));
  assert_message_has(&err, "line 2: a vertex needs three coordinates");
}

static void test_truncated_file_is_rejected(void **state)
{
  (void)state;
  /* Cut inside the last face: what is left names a face of two vertices. */
  size_t cut = strlen(cube_triangles) - 3;
  VpError err = read_failing(cube_triangles, cut);
  assert_message_has(&err, "line 20: a face needs at least 3 vertices");
}

static void test_empty_file_is_rejected(void **state)
{
  (void)state;
  VpError err = read_failing("", 0);
  assert_message_has(&err, "this is not an OBJ mesh");
}

static void test_nonsense_bytes_are_rejected(void **state)
{
  (void)state;
  unsigned char junk[4096];
  uint32_t x = 12345;
  for (size_t i = 0; i < sizeof junk; i++) {
    x = x * 1664525u + 1013904223u;
    junk[i] = (unsigned char)(x >> 24);
  }
  VpError err;
  VpMesh *mesh = vp_mesh_read_obj(junk, sizeof junk, &err);
  assert_null(mesh);
  assert_int_not_equal(err.code, VP_OK);
}

static void test_vertices_without_faces_are_rejected(void **state)
{
  (void)state;
  const char text[] = "v 0 0 0\nv 1 0 0\nv 0 1 0\n";
  VpError err = read_failing(text, strlen(text));
  assert_message_has(&err, "no faces");
}

static void test_unterminated_number_at_the_end_is_read_within_bounds(void **state)
{
  (void)state;
  /* No newline after the last digit: the parser must stop at the size. */
  const char text[] = "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3";
  VpMesh *mesh = vp_mesh_read_obj(text, strlen(text), NULL);
  assert_non_null(mesh);
  vp_mesh_free(mesh);
  VpError err = read_failing(text, strlen(text) - 2); /* "f 1 2" */
  assert_message_has(&err, "at least 3 vertices");
}

static void test_missing_file_is_an_io_error(void **state)
{
  (void)state;
  VpError err;
  VpMesh *mesh = vp_mesh_load_obj("/nonexistent/dir/cube.obj", &err);
  assert_null(mesh);
  assert_int_equal(err.code, VP_ERR_IO);
  assert_message_has(&err, "does not exist");
}

static void test_folder_is_not_a_file(void **state)
{
  (void)state;
  VpError err;
  VpMesh *mesh = vp_mesh_load_obj(vp_test_tmpdir(), &err);
  assert_null(mesh);
  assert_int_equal(err.code, VP_ERR_IO);
}

static void test_file_above_the_size_limit_is_refused_before_reading(void **state)
{
  (void)state;
  char *path = vp_test_tmp_path("limit.obj");
  assert_true(vp_test_write_file(path, cube_quads, strlen(cube_quads)));
  size_t size = 0;
  VpError err;
  void *data = vp_file_read_all(path, 16, &size, &err);
  assert_null(data);
  assert_int_equal(err.code, VP_ERR_LIMIT);
  assert_message_has(&err, "more than the limit of 16");
  free(path);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_triangles_give_the_unit_cube),
      cmocka_unit_test(test_quads_are_fanned_into_the_unit_cube),
      cmocka_unit_test(test_pentagon_is_fanned_from_its_first_corner),
      cmocka_unit_test(test_all_corner_forms_give_the_same_indices),
      cmocka_unit_test(test_negative_indices_count_back_from_the_last_vertex),
      cmocka_unit_test(test_cube_written_with_relative_quads),
      cmocka_unit_test(test_faces_may_refer_to_vertices_defined_later),
      cmocka_unit_test(test_irrelevant_statements_and_comments_are_ignored),
      cmocka_unit_test(test_vertex_w_and_colour_values_are_ignored),
      cmocka_unit_test(test_number_forms_are_read_exactly),
      cmocka_unit_test(test_backslash_continues_a_line),
      cmocka_unit_test(test_byte_order_mark_is_skipped),
      cmocka_unit_test(test_normals_are_computed),
      cmocka_unit_test(test_numbers_ignore_a_comma_locale),
      cmocka_unit_test(test_load_reads_a_file),
      cmocka_unit_test(test_index_out_of_range_names_line_and_count),
      cmocka_unit_test(test_negative_index_before_the_first_vertex_is_rejected),
      cmocka_unit_test(test_huge_index_is_rejected),
      cmocka_unit_test(test_zero_index_is_rejected),
      cmocka_unit_test(test_face_with_two_vertices_is_rejected),
      cmocka_unit_test(test_face_corner_that_is_not_a_number_is_rejected),
      cmocka_unit_test(test_nan_coordinate_names_the_line),
      cmocka_unit_test(test_infinite_coordinate_names_the_line),
      cmocka_unit_test(test_coordinate_beyond_float_range_is_rejected),
      cmocka_unit_test(test_comma_decimal_is_not_a_number),
      cmocka_unit_test(test_vertex_with_two_coordinates_is_rejected),
      cmocka_unit_test(test_truncated_file_is_rejected),
      cmocka_unit_test(test_empty_file_is_rejected),
      cmocka_unit_test(test_nonsense_bytes_are_rejected),
      cmocka_unit_test(test_vertices_without_faces_are_rejected),
      cmocka_unit_test(test_unterminated_number_at_the_end_is_read_within_bounds),
      cmocka_unit_test(test_missing_file_is_an_io_error),
      cmocka_unit_test(test_folder_is_not_a_file),
      cmocka_unit_test(test_file_above_the_size_limit_is_refused_before_reading),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
