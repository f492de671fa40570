/* Tests of the PLY reader: ascii and both binary byte orders, properties of
 * every type in any order, list types, unknown elements, and bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vp-mesh.h"
#include "vp-fileutil.h"
#include "vp-test-util.h"

/* ---- a PLY writer for the tests ---- */

/* The unit cube: corners, and six outward quads numbered from 0. */
static const double cube_corners[8][3] = {{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, 0},
                                          {0, 0, 1}, {1, 0, 1}, {1, 1, 1}, {0, 1, 1}};
static const int cube_quads[6][4] = {{0, 3, 2, 1}, {4, 5, 6, 7}, {0, 1, 5, 4},
                                     {2, 3, 7, 6}, {1, 2, 6, 5}, {0, 4, 7, 3}};

typedef struct Buf {
  unsigned char *data;
  size_t size;
} Buf;

static void buf_add(Buf *b, const void *p, size_t n)
{
  b->data = realloc(b->data, b->size + n + 1);
  assert_non_null(b->data);
  memcpy(b->data + b->size, p, n);
  b->size += n;
  b->data[b->size] = '\0';
}

static void __attribute__((format(printf, 2, 3))) buf_printf(Buf *b, const char *format, ...)
{
  char text[512];
  va_list args;
  va_start(args, format);
  int n = vsnprintf(text, sizeof text, format, args);
  va_end(args);
  buf_add(b, text, (size_t)n);
}

typedef enum Format { ASCII, LITTLE, BIG } Format;

static const char *format_name(Format f)
{
  return f == ASCII ? "ascii" : f == LITTLE ? "binary_little_endian" : "binary_big_endian";
}

static size_t type_bytes(const char *type)
{
  if (strstr(type, "64") || strcmp(type, "double") == 0)
    return 8;
  if (strstr(type, "16") || strstr(type, "short"))
    return 2;
  if (strstr(type, "8") || strstr(type, "char"))
    return 1;
  return 4;
}

static bool type_is_float(const char *type)
{
  return strstr(type, "float") || strcmp(type, "double") == 0;
}

/* Appends one value of a PLY type in the file's encoding. */
static void put_value(Buf *b, Format f, const char *type, double v)
{
  if (f == ASCII) {
    buf_printf(b, type_is_float(type) ? "%.17g " : "%.0f ", v);
    return;
  }
  size_t n = type_bytes(type);
  uint64_t bits = 0;
  if (type_is_float(type) && n == 4) {
    float x = (float)v;
    uint32_t u;
    memcpy(&u, &x, 4);
    bits = u;
  } else if (type_is_float(type)) {
    memcpy(&bits, &v, 8);
  } else {
    bits = (uint64_t)(int64_t)v; /* two's complement, cut to n bytes below */
  }
  unsigned char bytes[8];
  for (size_t i = 0; i < n; i++)
    bytes[f == BIG ? n - 1 - i : i] = (unsigned char)(bits >> (8 * i));
  buf_add(b, bytes, n);
}

typedef struct Spec {
  Format format;
  const char *vertex_props[8]; /* "type name"; x, y and z get the coordinates, others 7 */
  const char *count_type, *index_type, *list_name;
  const char *face_before, *face_after; /* an extra scalar face property, or NULL */
  bool faces_first, unknown_element;
} Spec;

static Spec spec_plain(Format f)
{
  return (Spec){.format = f,
                .vertex_props = {"float x", "float y", "float z"},
                .count_type = "uchar",
                .index_type = "int",
                .list_name = "vertex_indices"};
}

static void write_header(Buf *b, const Spec *s)
{
  buf_printf(b, "ply\nformat %s 1.0\ncomment made by test-ply\nobj_info test\n",
             format_name(s->format));
  if (s->unknown_element)
    buf_printf(b, "element edge 2\nproperty int vertex1\nproperty list uchar int extra\n"
                  "property double crease\n");
  if (!s->faces_first) {
    buf_printf(b, "element vertex 8\n");
    for (int i = 0; i < 8 && s->vertex_props[i]; i++)
      buf_printf(b, "property %s\n", s->vertex_props[i]);
  }
  buf_printf(b, "element face 6\n");
  if (s->face_before)
    buf_printf(b, "property %s\n", s->face_before);
  buf_printf(b, "property list %s %s %s\n", s->count_type, s->index_type, s->list_name);
  if (s->face_after)
    buf_printf(b, "property %s\n", s->face_after);
  if (s->faces_first) {
    buf_printf(b, "element vertex 8\n");
    for (int i = 0; i < 8 && s->vertex_props[i]; i++)
      buf_printf(b, "property %s\n", s->vertex_props[i]);
  }
  buf_printf(b, "end_header\n");
}

static void write_vertices(Buf *b, const Spec *s)
{
  for (int v = 0; v < 8; v++) {
    for (int i = 0; i < 8 && s->vertex_props[i]; i++) {
      char type[32], name[32];
      assert_int_equal(sscanf(s->vertex_props[i], "%31s %31s", type, name), 2);
      int axis = name[1] == '\0' && name[0] >= 'x' && name[0] <= 'z' ? name[0] - 'x' : -1;
      put_value(b, s->format, type, axis >= 0 ? cube_corners[v][axis] : 7.0);
    }
    if (s->format == ASCII)
      buf_printf(b, "\n");
  }
}

static void put_extra(Buf *b, Format f, const char *prop)
{
  char type[32];
  if (prop && sscanf(prop, "%31s", type) == 1)
    put_value(b, f, type, 3.0);
}

static void write_faces(Buf *b, const Spec *s)
{
  for (int q = 0; q < 6; q++) {
    put_extra(b, s->format, s->face_before);
    put_value(b, s->format, s->count_type, 4);
    for (int k = 0; k < 4; k++)
      put_value(b, s->format, s->index_type, cube_quads[q][k]);
    put_extra(b, s->format, s->face_after);
    if (s->format == ASCII)
      buf_printf(b, "\n");
  }
}

/* Two edges with a variable-length list between fixed fields. */
static void write_unknown(Buf *b, const Spec *s)
{
  for (int e = 0; e < 2; e++) {
    put_value(b, s->format, "int", 99);
    put_value(b, s->format, "uchar", e + 1);
    for (int k = 0; k <= e; k++)
      put_value(b, s->format, "int", -5);
    put_value(b, s->format, "double", 0.25);
  }
}

static Buf make_ply(const Spec *s)
{
  Buf b = {0};
  write_header(&b, s);
  if (s->unknown_element)
    write_unknown(&b, s);
  if (!s->faces_first)
    write_vertices(&b, s);
  write_faces(&b, s);
  if (s->faces_first)
    write_vertices(&b, s);
  return b;
}

static VpMesh *read_spec(const Spec *s, VpError *err)
{
  Buf b = make_ply(s);
  VpMesh *mesh = vp_mesh_read_ply(b.data, b.size, err);
  free(b.data);
  return mesh;
}

static void assert_unit_cube(const VpMesh *mesh)
{
  assert_non_null(mesh);
  assert_int_equal(mesh->vertex_count, 8);
  assert_int_equal(mesh->triangle_count, 12);
  assert_true(fabs(vp_mesh_signed_volume_mm3(mesh) - 1.0) < 1e-9);
  for (uint32_t v = 0; v < 8; v++)
    for (int a = 0; a < 3; a++)
      assert_true(mesh->positions[3 * v + a] == (float)cube_corners[v][a]);
}

static void assert_spec_gives_cube(const Spec *s)
{
  VpError err;
  VpMesh *mesh = read_spec(s, &err);
  if (!mesh)
    fail_msg("%s", err.message);
  assert_unit_cube(mesh);
  vp_mesh_free(mesh);
}

static VpError read_failing(const void *data, size_t size)
{
  VpError err;
  vp_error_clear(&err);
  VpMesh *mesh = vp_mesh_read_ply(data, size, &err);
  assert_null(mesh);
  assert_int_not_equal(err.code, VP_OK);
  return err;
}

static VpError read_text_failing(const char *text)
{
  return read_failing(text, strlen(text));
}

static void assert_message_has(const VpError *err, const char *part)
{
  if (!strstr(err->message, part))
    fail_msg("message \"%s\" lacks \"%s\"", err->message, part);
}

/* Extra vertex properties around x, y, z in an odd order, and extra face
 * properties before and after the corner list. */
static Spec spec_odd(Format f, const char *face_before, const char *face_after)
{
  return (Spec){.format = f,
                .vertex_props = {"float nx", "uchar red", "double z", "float y", "int flags",
                                 "float x", "ushort alpha"},
                .count_type = "uchar",
                .index_type = "int",
                .list_name = "vertex_indices",
                .face_before = face_before,
                .face_after = face_after};
}

/* Only the coordinate types differ from the plain spec. */
static Spec spec_xyz(Format f, const char *x, const char *y, const char *z)
{
  Spec s = spec_plain(f);
  s.vertex_props[0] = x;
  s.vertex_props[1] = y;
  s.vertex_props[2] = z;
  return s;
}

/* ---- what is read ---- */

static void test_ascii_cube_of_quads(void **state)
{
  (void)state;
  Spec s = spec_plain(ASCII);
  assert_spec_gives_cube(&s);
}

static void test_ascii_with_extra_properties_in_odd_order(void **state)
{
  (void)state;
  Spec s = spec_odd(ASCII, "uchar flags", "int material");
  assert_spec_gives_cube(&s);
}

static void test_little_endian_with_extra_properties_in_odd_order(void **state)
{
  (void)state;
  Spec s = spec_odd(LITTLE, "uchar flags", "int material");
  assert_spec_gives_cube(&s);
}

static void test_big_endian_with_extra_properties_in_odd_order(void **state)
{
  (void)state;
  Spec s = spec_odd(BIG, "short flags", "double weight");
  assert_spec_gives_cube(&s);
}

static void test_list_count_ushort(void **state)
{
  (void)state;
  Spec s = spec_plain(LITTLE);
  s.count_type = "ushort";
  assert_spec_gives_cube(&s);
}

static void test_list_count_int(void **state)
{
  (void)state;
  Spec s = spec_plain(BIG);
  s.count_type = "int";
  assert_spec_gives_cube(&s);
}

static void test_list_count_uint_and_uint8_alias(void **state)
{
  (void)state;
  Spec s = spec_plain(LITTLE);
  s.count_type = "uint";
  assert_spec_gives_cube(&s);
  s.count_type = "uint8";
  assert_spec_gives_cube(&s);
}

static void test_index_type_uint(void **state)
{
  (void)state;
  Spec s = spec_plain(BIG);
  s.index_type = "uint";
  assert_spec_gives_cube(&s);
}

static void test_index_types_ushort_and_int32_alias(void **state)
{
  (void)state;
  Spec s = spec_plain(LITTLE);
  s.index_type = "ushort";
  assert_spec_gives_cube(&s);
  s.index_type = "int32";
  assert_spec_gives_cube(&s);
}

static void test_list_named_vertex_index(void **state)
{
  (void)state;
  Spec s = spec_plain(LITTLE);
  s.list_name = "vertex_index";
  assert_spec_gives_cube(&s);
}

static void test_unknown_element_before_faces_is_skipped_in_binary(void **state)
{
  (void)state;
  Spec s = spec_odd(LITTLE, NULL, NULL);
  s.unknown_element = true;
  assert_spec_gives_cube(&s);
  s.format = BIG;
  assert_spec_gives_cube(&s);
}

static void test_unknown_element_is_skipped_in_ascii(void **state)
{
  (void)state;
  Spec s = spec_plain(ASCII);
  s.unknown_element = true;
  assert_spec_gives_cube(&s);
}

static void test_faces_may_come_before_vertices(void **state)
{
  (void)state;
  Spec s = spec_plain(LITTLE);
  s.faces_first = true;
  assert_spec_gives_cube(&s);
}

static void test_integer_coordinates_of_every_size(void **state)
{
  (void)state;
  Spec s = spec_xyz(BIG, "char x", "short y", "int z");
  assert_spec_gives_cube(&s);
  Spec u = spec_xyz(LITTLE, "uint8 x", "uint16 y", "uint32 z");
  assert_spec_gives_cube(&u);
}

static void test_double_and_alias_coordinates(void **state)
{
  (void)state;
  Spec s = spec_xyz(BIG, "float64 x", "double y", "float32 z");
  assert_spec_gives_cube(&s);
}

static void test_negative_signed_coordinates_are_sign_extended(void **state)
{
  (void)state;
  const unsigned char data[] = "ply\nformat binary_big_endian 1.0\nelement vertex 3\n"
                               "property char x\nproperty short y\nproperty int z\n"
                               "element face 1\nproperty list uchar uchar vertex_indices\n"
                               "end_header\n"
                               "\xff\xff\xfe\xff\xff\xff\xfd" /* -1, -2, -3 */
                               "\x01\x00\x00\x00\x00\x00\x00" /* 1, 0, 0 */
                               "\x00\x00\x01\x00\x00\x00\x00" /* 0, 1, 0 */
                               "\x03\x00\x01\x02";
  VpError err;
  VpMesh *mesh = vp_mesh_read_ply(data, sizeof data - 1, &err);
  assert_non_null(mesh);
  assert_true(mesh->positions[0] == -1.0f);
  assert_true(mesh->positions[1] == -2.0f);
  assert_true(mesh->positions[2] == -3.0f);
  vp_mesh_free(mesh);
}

static void test_pentagon_is_fanned_from_its_first_corner(void **state)
{
  (void)state;
  const char text[] = "ply\nformat ascii 1.0\nelement vertex 5\nproperty float x\n"
                      "property float y\nproperty float z\nelement face 1\n"
                      "property list uchar int vertex_indices\nend_header\n"
                      "0 0 0\n2 0 0\n3 1 0\n1 2 0\n-1 1 0\n5 0 1 2 3 4\n";
  VpMesh *mesh = vp_mesh_read_ply(text, strlen(text), NULL);
  assert_non_null(mesh);
  assert_int_equal(mesh->triangle_count, 3);
  const uint32_t want[9] = {0, 1, 2, 0, 2, 3, 0, 3, 4};
  assert_memory_equal(mesh->indices, want, sizeof want);
  vp_mesh_free(mesh);
}

static void test_crlf_header_is_accepted(void **state)
{
  (void)state;
  const char text[] = "ply\r\nformat ascii 1.0\r\ncomment crlf\r\nelement vertex 3\r\n"
                      "property float x\r\nproperty float y\r\nproperty float z\r\n"
                      "element face 1\r\nproperty list uchar int vertex_indices\r\n"
                      "end_header\r\n0 0 0\r\n1 0 0\r\n0 1 0\r\n3 0 1 2\r\n";
  VpMesh *mesh = vp_mesh_read_ply(text, strlen(text), NULL);
  assert_non_null(mesh);
  assert_int_equal(mesh->triangle_count, 1);
  vp_mesh_free(mesh);
}

static void test_obj_and_ply_give_the_same_mesh(void **state)
{
  (void)state;
  const char obj[] = "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nv 0 0 1\nv 1 0 1\nv 1 1 1\nv 0 1 1\n"
                     "f 1 4 3 2\nf 5 6 7 8\nf 1 2 6 5\nf 3 4 8 7\nf 2 3 7 6\nf 1 5 8 4\n";
  Spec s = spec_plain(LITTLE);
  VpMesh *from_obj = vp_mesh_read_obj(obj, strlen(obj), NULL);
  VpMesh *from_ply = read_spec(&s, NULL);
  assert_unit_cube(from_obj);
  assert_unit_cube(from_ply);
  assert_memory_equal(from_obj->positions, from_ply->positions, 24 * sizeof(float));
  assert_memory_equal(from_obj->indices, from_ply->indices, 36 * sizeof(uint32_t));
  vp_mesh_free(from_obj);
  vp_mesh_free(from_ply);
}

static void test_load_reads_a_file(void **state)
{
  (void)state;
  Spec s = spec_plain(BIG);
  Buf b = make_ply(&s);
  char *path = vp_test_tmp_path("cube.ply");
  assert_true(vp_test_write_file(path, b.data, b.size));
  VpMesh *mesh = vp_mesh_load_ply(path, NULL);
  assert_unit_cube(mesh);
  vp_mesh_free(mesh);
  free(path);
  free(b.data);
}

/* ---- bad input ---- */

static void test_bad_magic_is_not_a_ply_file(void **state)
{
  (void)state;
  VpError err = read_text_failing("plz\nformat ascii 1.0\nend_header\n");
  assert_int_equal(err.code, VP_ERR_FORMAT);
  assert_message_has(&err, "not a PLY file");
}

static void test_unsupported_format_is_named(void **state)
{
  (void)state;
  VpError err = read_text_failing("ply\nformat binary_middle_endian 1.0\nend_header\n");
  assert_string_equal(err.message, "PLY header line 2: unsupported format “binary_middle_endian”");
}

static void test_unsupported_version_is_named(void **state)
{
  (void)state;
  VpError err = read_text_failing("ply\nformat ascii 2.0\nend_header\n");
  assert_message_has(&err, "unsupported version “2.0”");
}

static void test_truncated_binary_names_the_face(void **state)
{
  (void)state;
  Spec s = spec_plain(LITTLE);
  Buf b = make_ply(&s);
  VpError err = read_failing(b.data, b.size - 3);
  assert_int_equal(err.code, VP_ERR_TRUNCATED);
  assert_string_equal(err.message, "the file ends in face 6 of 6");
  free(b.data);
}

static void test_truncated_ascii_names_the_vertex(void **state)
{
  (void)state;
  const char text[] = "ply\nformat ascii 1.0\nelement face 1\n"
                      "property list uchar int vertex_indices\nelement vertex 3\n"
                      "property float x\nproperty float y\nproperty float z\nend_header\n"
                      "3 0 1 2\n0 0 0\n1 0 0\n0 1\n";
  VpError err = read_text_failing(text);
  assert_string_equal(err.message, "the file ends in vertex 3 of 3");
}

static void test_truncated_unknown_element_names_it(void **state)
{
  (void)state;
  Spec s = spec_plain(LITTLE);
  s.unknown_element = true;
  Buf b = make_ply(&s);
  const char *body = strstr((const char *)b.data, "end_header\n") + 11;
  VpError err = read_failing(b.data, (size_t)(body - (const char *)b.data) + 20);
  assert_message_has(&err, "the file ends in “edge” item 2 of 2");
  free(b.data);
}

static void test_index_out_of_range_names_face_and_count(void **state)
{
  (void)state;
  const char text[] = "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\n"
                      "property float y\nproperty float z\nelement face 2\n"
                      "property list uchar int vertex_indices\nend_header\n"
                      "0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n3 0 1 3\n";
  VpError err = read_text_failing(text);
  assert_string_equal(err.message,
                      "face 2 refers to vertex index 3 but the file has only 3 vertices "
                      "(numbered from 0)");
}

static void test_negative_index_in_binary_is_rejected(void **state)
{
  (void)state;
  const unsigned char data[] = "ply\nformat binary_little_endian 1.0\nelement vertex 3\n"
                               "property uchar x\nproperty uchar y\nproperty uchar z\n"
                               "element face 1\nproperty list uchar int vertex_indices\n"
                               "end_header\n"
                               "\x00\x00\x00\x01\x00\x00\x00\x01\x00"
                               "\x03\x00\x00\x00\x00\x01\x00\x00\x00\xff\xff\xff\xff";
  VpError err = read_failing(data, sizeof data - 1);
  assert_message_has(&err, "face 1 refers to vertex index -1");
}

static void test_two_to_the_31_vertices_is_a_limit_error(void **state)
{
  (void)state;
  VpError err = read_text_failing("ply\nformat binary_little_endian 1.0\n"
                                  "element vertex 2147483648\nproperty float x\n"
                                  "property float y\nproperty float z\nelement face 1\n"
                                  "property list uchar int vertex_indices\nend_header\n"
                                  "\x01\x02\x03");
  assert_int_equal(err.code, VP_ERR_LIMIT);
  assert_message_has(&err, "2,147,483,648 vertices, more than the limit");
}

static void test_counts_the_file_cannot_hold_are_rejected_before_allocating(void **state)
{
  (void)state;
  VpError err = read_text_failing("ply\nformat binary_little_endian 1.0\n"
                                  "element vertex 40000000\nproperty double x\n"
                                  "property double y\nproperty double z\nelement face 50000000\n"
                                  "property list uchar int vertex_indices\nend_header\n"
                                  "\x01\x02\x03");
  assert_int_equal(err.code, VP_ERR_TRUNCATED);
  assert_string_equal(err.message, "the file ends in vertex 1 of 40,000,000");
}

static void test_huge_unknown_element_is_rejected_before_reading(void **state)
{
  (void)state;
  VpError err = read_text_failing("ply\nformat ascii 1.0\nelement junk 4000000000\n"
                                  "property int a\nelement vertex 3\nproperty float x\n"
                                  "property float y\nproperty float z\nelement face 1\n"
                                  "property list uchar int vertex_indices\nend_header\n"
                                  "0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n");
  assert_int_equal(err.code, VP_ERR_TRUNCATED);
}

static void test_count_above_32_bits_is_a_limit_error(void **state)
{
  (void)state;
  VpError err = read_text_failing("ply\nformat ascii 1.0\nelement junk 99999999999999999999\n"
                                  "end_header\n");
  assert_int_equal(err.code, VP_ERR_LIMIT);
}

static void test_nan_coordinate_in_binary_names_the_vertex(void **state)
{
  (void)state;
  const unsigned char data[] = "ply\nformat binary_little_endian 1.0\nelement vertex 3\n"
                               "property float x\nproperty float y\nproperty float z\n"
                               "element face 1\nproperty list uchar uchar vertex_indices\n"
                               "end_header\n"
                               "\0\0\0\0\0\0\0\0\0\0\0\0"
                               "\0\0\x80\x3f\0\0\0\0\0\0\0\0"
                               "\0\0\0\0\0\0\xc0\x7f\0\0\0\0" /* y = NaN */
                               "\x03\x00\x01\x02";
  VpError err = read_failing(data, sizeof data - 1);
  assert_string_equal(err.message, "vertex 3 has a coordinate that is not a finite number");
}

static void test_infinite_coordinate_in_ascii_names_the_vertex(void **state)
{
  (void)state;
  VpError err = read_text_failing("ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\n"
                                  "property float y\nproperty float z\nelement face 1\n"
                                  "property list uchar int vertex_indices\nend_header\n"
                                  "0 0 0\ninf 0 0\n0 1 0\n3 0 1 2\n");
  assert_string_equal(err.message, "vertex 2 has a coordinate that is not a finite number");
}

static void test_double_beyond_float_range_is_rejected(void **state)
{
  (void)state;
  VpError err = read_text_failing("ply\nformat ascii 1.0\nelement vertex 3\nproperty double x\n"
                                  "property double y\nproperty double z\nelement face 1\n"
                                  "property list uchar int vertex_indices\nend_header\n"
                                  "0 0 0\n1e300 0 0\n0 1 0\n3 0 1 2\n");
  assert_message_has(&err, "vertex 2 has a coordinate that is not a finite number");
}

static void test_ascii_value_that_is_not_a_number_is_named(void **state)
{
  (void)state;
  VpError err = read_text_failing("ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\n"
                                  "property float y\nproperty float z\nelement face 1\n"
                                  "property list uchar int vertex_indices\nend_header\n"
                                  "0 0 0\n1,5 0 0\n0 1 0\n3 0 1 2\n");
  assert_string_equal(err.message, "vertex 2 of 3: a value is not a number");
}

static void test_empty_file_is_not_a_ply_file(void **state)
{
  (void)state;
  VpError err = read_failing("", 0);
  assert_message_has(&err, "not a PLY file");
}

static void test_nonsense_bytes_are_rejected(void **state)
{
  (void)state;
  unsigned char junk[4096];
  uint32_t x = 777;
  for (size_t i = 0; i < sizeof junk; i++) {
    x = x * 1664525u + 1013904223u;
    junk[i] = (unsigned char)(x >> 24);
  }
  memcpy(junk, "ply\n", 4); /* past the magic, into a header of junk */
  read_failing(junk, sizeof junk);
}

static void test_face_with_two_corners_is_rejected(void **state)
{
  (void)state;
  VpError err = read_text_failing("ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\n"
                                  "property float y\nproperty float z\nelement face 1\n"
                                  "property list uchar int vertex_indices\nend_header\n"
                                  "0 0 0\n1 0 0\n0 1 0\n2 0 1\n");
  assert_string_equal(err.message, "face 1 has 2 corners; a face needs at least 3");
}

static void test_header_without_end_is_rejected(void **state)
{
  (void)state;
  VpError err = read_text_failing("ply\nformat ascii 1.0\nelement vertex 3\n");
  assert_message_has(&err, "no end_header");
}

static void test_point_cloud_without_faces_is_rejected(void **state)
{
  (void)state;
  VpError err = read_text_failing("ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\n"
                                  "property float y\nproperty float z\nend_header\n0 0 0\n");
  assert_message_has(&err, "no “face” element");
}

static void test_missing_z_property_is_rejected(void **state)
{
  (void)state;
  VpError err = read_text_failing("ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\n"
                                  "property float y\nelement face 0\n"
                                  "property list uchar int vertex_indices\nend_header\n0 0\n");
  assert_message_has(&err, "no x, y and z");
}

static void test_float_list_count_is_rejected(void **state)
{
  (void)state;
  VpError err = read_text_failing("ply\nformat ascii 1.0\nelement face 1\n"
                                  "property list float int vertex_indices\nend_header\n");
  assert_string_equal(err.message, "PLY header line 4: a list length must have an integer type");
}

static void test_unknown_type_and_keyword_are_rejected(void **state)
{
  (void)state;
  VpError err = read_text_failing("ply\nformat ascii 1.0\nelement vertex 1\n"
                                  "property int128 x\nend_header\n");
  assert_message_has(&err, "line 4: unknown property type");
  err = read_text_failing("ply\nformat ascii 1.0\nelemnt vertex 1\nend_header\n");
  assert_message_has(&err, "line 3: unknown keyword “elemnt”");
}

static void test_property_before_any_element_is_rejected(void **state)
{
  (void)state;
  VpError err = read_text_failing("ply\nformat ascii 1.0\nproperty float x\nend_header\n");
  assert_message_has(&err, "before any element");
}

static void test_missing_file_is_an_io_error(void **state)
{
  (void)state;
  VpError err;
  assert_null(vp_mesh_load_ply("/nonexistent/dir/cube.ply", &err));
  assert_int_equal(err.code, VP_ERR_IO);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ascii_cube_of_quads),
      cmocka_unit_test(test_ascii_with_extra_properties_in_odd_order),
      cmocka_unit_test(test_little_endian_with_extra_properties_in_odd_order),
      cmocka_unit_test(test_big_endian_with_extra_properties_in_odd_order),
      cmocka_unit_test(test_list_count_ushort),
      cmocka_unit_test(test_list_count_int),
      cmocka_unit_test(test_list_count_uint_and_uint8_alias),
      cmocka_unit_test(test_index_type_uint),
      cmocka_unit_test(test_index_types_ushort_and_int32_alias),
      cmocka_unit_test(test_list_named_vertex_index),
      cmocka_unit_test(test_unknown_element_before_faces_is_skipped_in_binary),
      cmocka_unit_test(test_unknown_element_is_skipped_in_ascii),
      cmocka_unit_test(test_faces_may_come_before_vertices),
      cmocka_unit_test(test_integer_coordinates_of_every_size),
      cmocka_unit_test(test_double_and_alias_coordinates),
      cmocka_unit_test(test_negative_signed_coordinates_are_sign_extended),
      cmocka_unit_test(test_pentagon_is_fanned_from_its_first_corner),
      cmocka_unit_test(test_crlf_header_is_accepted),
      cmocka_unit_test(test_obj_and_ply_give_the_same_mesh),
      cmocka_unit_test(test_load_reads_a_file),
      cmocka_unit_test(test_bad_magic_is_not_a_ply_file),
      cmocka_unit_test(test_unsupported_format_is_named),
      cmocka_unit_test(test_unsupported_version_is_named),
      cmocka_unit_test(test_truncated_binary_names_the_face),
      cmocka_unit_test(test_truncated_ascii_names_the_vertex),
      cmocka_unit_test(test_truncated_unknown_element_names_it),
      cmocka_unit_test(test_index_out_of_range_names_face_and_count),
      cmocka_unit_test(test_negative_index_in_binary_is_rejected),
      cmocka_unit_test(test_two_to_the_31_vertices_is_a_limit_error),
      cmocka_unit_test(test_counts_the_file_cannot_hold_are_rejected_before_allocating),
      cmocka_unit_test(test_huge_unknown_element_is_rejected_before_reading),
      cmocka_unit_test(test_count_above_32_bits_is_a_limit_error),
      cmocka_unit_test(test_nan_coordinate_in_binary_names_the_vertex),
      cmocka_unit_test(test_infinite_coordinate_in_ascii_names_the_vertex),
      cmocka_unit_test(test_double_beyond_float_range_is_rejected),
      cmocka_unit_test(test_ascii_value_that_is_not_a_number_is_named),
      cmocka_unit_test(test_empty_file_is_not_a_ply_file),
      cmocka_unit_test(test_nonsense_bytes_are_rejected),
      cmocka_unit_test(test_face_with_two_corners_is_rejected),
      cmocka_unit_test(test_header_without_end_is_rejected),
      cmocka_unit_test(test_point_cloud_without_faces_is_rejected),
      cmocka_unit_test(test_missing_z_property_is_rejected),
      cmocka_unit_test(test_float_list_count_is_rejected),
      cmocka_unit_test(test_unknown_type_and_keyword_are_rejected),
      cmocka_unit_test(test_property_before_any_element_is_rejected),
      cmocka_unit_test(test_missing_file_is_an_io_error),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
