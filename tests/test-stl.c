/* Tests of STL reading (binary, ASCII, welding, every kind of bad input) and
 * atomic binary STL writing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vp-mesh.h"
#include "vp-test-util.h"

/* ---- fixtures ---- */

/* A 10 mm cube: corner v is at 10 * (bit pattern below), faces outward. */
static const float cube_corners[8][3] = {{0, 0, 0},   {10, 0, 0},  {10, 10, 0}, {0, 10, 0},
                                         {0, 0, 10},  {10, 0, 10}, {10, 10, 10}, {0, 10, 10}};
static const uint32_t cube_faces[12][3] = {{0, 2, 1}, {0, 3, 2}, {4, 5, 6}, {4, 6, 7},
                                           {0, 1, 5}, {0, 5, 4}, {2, 3, 7}, {2, 7, 6},
                                           {1, 2, 6}, {1, 6, 5}, {0, 4, 7}, {0, 7, 3}};

/* The cube as 12 separate triangles (108 floats). */
static void cube_soup(float soup[108])
{
  for (int t = 0; t < 12; t++)
    for (int k = 0; k < 3; k++)
      memcpy(soup + 9 * t + 3 * k, cube_corners[cube_faces[t][k]], 3 * sizeof(float));
}

typedef struct Buffer {
  unsigned char *data;
  size_t size;
} Buffer;

static void put_u32(unsigned char *p, uint32_t v)
{
  for (int i = 0; i < 4; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}

/* A binary STL: header text, declared count, `stored` triangles cycled from
 * the cube soup, then `extra` zero bytes. */
static Buffer binary_stl(const char *header, uint32_t declared, uint32_t stored, size_t extra)
{
  float soup[108];
  cube_soup(soup);
  Buffer b;
  b.size = 84 + 50 * (size_t)stored + extra;
  b.data = calloc(1, b.size);
  memcpy(b.data, header, strlen(header) < 80 ? strlen(header) : 80);
  put_u32(b.data + 80, declared);
  for (uint32_t t = 0; t < stored; t++) {
    unsigned char *rec = b.data + 84 + 50 * (size_t)t;
    for (int i = 0; i < 9; i++) {
      uint32_t bits;
      memcpy(&bits, &soup[9 * (t % 12) + i], sizeof bits);
      put_u32(rec + 12 + 4 * i, bits);
    }
  }
  return b;
}

static void set_binary_coordinate(Buffer *b, uint32_t triangle, int index, float value)
{
  uint32_t bits;
  memcpy(&bits, &value, sizeof bits);
  put_u32(b->data + 84 + 50 * (size_t)triangle + 12 + 4 * index, bits);
}

/* Reads from memory and expects failure with this code; returns the message. */
static VpError read_fails(const void *data, size_t size, VpErrorCode code)
{
  VpError err;
  vp_error_clear(&err);
  VpMesh *mesh = vp_mesh_read_stl(data, size, NULL, &err);
  if (mesh)
    fail_msg("read succeeded, expected error code %d", code);
  if (err.code != code)
    fail_msg("error code %d (%s), expected %d", err.code, err.message, code);
  return err;
}

static void assert_contains(const char *text, const char *part)
{
  if (!strstr(text, part))
    fail_msg("'%s' does not contain '%s'", text, part);
}

static VpMesh *read_text(const char *text, VpStlInfo *info)
{
  VpError err;
  VpMesh *mesh = vp_mesh_read_stl(text, strlen(text), info, &err);
  if (!mesh)
    fail_msg("%s", err.message);
  return mesh;
}

/* Written facet by facet, so a mistake in the parser cannot hide behind a
 * mistake in a generator. Vertices: V0..V7 of a 10 mm cube. */
#define V0 "0 0 0"
#define V1 "10 0 0"
#define V2 "10 10 0"
#define V3 "0 10 0"
#define V4 "0 0 10"
#define V5 "10 0 10"
#define V6 "10 10 10"
#define V7 "0 10 10"
#define FACET(a, b, c)                                                                    \
  "  facet normal 0 0 0\n    outer loop\n      vertex " a "\n      vertex " b "\n"     \
  "      vertex " c "\n    endloop\n  endfacet\n"

static const char ascii_cube[] = "solid hand-written cube\n"
    FACET(V0, V2, V1) FACET(V0, V3, V2) FACET(V4, V5, V6) FACET(V4, V6, V7)
    FACET(V0, V1, V5) FACET(V0, V5, V4) FACET(V2, V3, V7) FACET(V2, V7, V6)
    FACET(V1, V2, V6) FACET(V1, V6, V5) FACET(V0, V4, V7) FACET(V0, V7, V3)
    "endsolid hand-written cube\n";

static double volume_ml(const VpMesh *mesh)
{
  return vp_mesh_signed_volume_mm3(mesh) / 1000.0;
}

/* ---- welding ---- */

static void test_weld_cube_soup_gives_8_vertices(void **state)
{
  (void)state;
  float soup[108];
  cube_soup(soup);
  uint32_t dropped = 99;
  VpMesh *mesh = vp_mesh_weld_soup(soup, 12, &dropped, NULL);
  assert_non_null(mesh);
  assert_int_equal(mesh->vertex_count, 8);
  assert_int_equal(mesh->triangle_count, 12);
  assert_int_equal(dropped, 0);
  assert_true(fabs(volume_ml(mesh) - 1.0) < 1e-9);
  vp_mesh_free(mesh);
}

static void test_weld_treats_minus_zero_as_zero(void **state)
{
  (void)state;
  float soup[108];
  cube_soup(soup);
  for (int i = 0; i < 108; i += 2)
    if (soup[i] == 0.0f)
      soup[i] = -0.0f;
  VpMesh *mesh = vp_mesh_weld_soup(soup, 12, NULL, NULL);
  assert_non_null(mesh);
  assert_int_equal(mesh->vertex_count, 8);
  vp_mesh_free(mesh);
}

static void test_weld_drops_and_counts_collapsed_triangles(void **state)
{
  (void)state;
  float soup[108 + 18];
  cube_soup(soup);
  const float collapsed[18] = {1, 2, 3, 1, 2, 3, 4, 5, 6, /* two corners on one point */
                               7, 7, 7, 8, 8, 8, 7, 7, 7};
  memcpy(soup + 108, collapsed, sizeof collapsed);
  uint32_t dropped = 0;
  VpMesh *mesh = vp_mesh_weld_soup(soup, 14, &dropped, NULL);
  assert_non_null(mesh);
  assert_int_equal(dropped, 2);
  assert_int_equal(mesh->triangle_count, 12);
  assert_int_equal(mesh->vertex_count, 8); /* no orphans left by the dropped ones */
  vp_mesh_free(mesh);
}

static void test_weld_computes_outward_normals(void **state)
{
  (void)state;
  float soup[108];
  cube_soup(soup);
  VpMesh *mesh = vp_mesh_weld_soup(soup, 12, NULL, NULL);
  for (uint32_t v = 0; v < mesh->vertex_count; v++) {
    const float *p = mesh->positions + 3 * v, *n = mesh->normals + 3 * v;
    VpVec3 out = vp_vec3(p[0] - 5, p[1] - 5, p[2] - 5);
    assert_true(vp_vec3_dot(out, vp_vec3(n[0], n[1], n[2])) > 0);
  }
  vp_mesh_free(mesh);
}

/* ---- binary ---- */

static void test_binary_round_trip_through_save_and_load(void **state)
{
  (void)state;
  float soup[108];
  cube_soup(soup);
  VpMesh *cube = vp_mesh_weld_soup(soup, 12, NULL, NULL);
  char *path = vp_test_tmp_path("round-trip.stl");
  VpError err;
  assert_true(vp_mesh_save_stl(cube, path, &err));
  VpStlInfo info;
  VpMesh *back = vp_mesh_load_stl(path, &info, &err);
  assert_non_null(back);
  assert_true(info.binary);
  assert_false(info.solid_header_binary);
  assert_int_equal(info.file_triangles, 12);
  assert_int_equal(back->vertex_count, 8);
  assert_int_equal(back->triangle_count, 12);
  /* Welding visits corners in file order, so the same soup gives the same mesh. */
  assert_memory_equal(back->positions, cube->positions, 8 * 3 * sizeof(float));
  assert_memory_equal(back->indices, cube->indices, 12 * 3 * sizeof(uint32_t));
  vp_mesh_free(cube);
  vp_mesh_free(back);
  free(path);
}

static void test_binary_with_solid_header_loads_as_binary(void **state)
{
  (void)state;
  Buffer b = binary_stl("solid trap: binary despite this header", 12, 12, 0);
  VpStlInfo info;
  VpError err;
  VpMesh *mesh = vp_mesh_read_stl(b.data, b.size, &info, &err);
  assert_non_null(mesh);
  assert_true(info.binary);
  assert_true(info.solid_header_binary);
  assert_string_equal(info.name, "solid trap: binary despite this header");
  assert_int_equal(mesh->triangle_count, 12);
  vp_mesh_free(mesh);
  free(b.data);
}

static void test_empty_file_is_rejected(void **state)
{
  (void)state;
  VpError err = read_fails("", 0, VP_ERR_FORMAT);
  assert_contains(err.message, "empty file");
}

static void test_header_only_with_count_zero_has_no_triangles(void **state)
{
  (void)state;
  Buffer b = binary_stl("nothing here", 0, 0, 0);
  VpError err = read_fails(b.data, b.size, VP_ERR_FORMAT);
  assert_contains(err.message, "contains no triangles");
  free(b.data);
}

static void test_truncated_binary_names_both_counts(void **state)
{
  (void)state;
  Buffer b = binary_stl("cut short", 27760, 1234, 17);
  VpError err = read_fails(b.data, b.size, VP_ERR_TRUNCATED);
  assert_contains(err.message, "after");
  assert_contains(err.message, "1,234");
  assert_contains(err.message, "27,760");
  free(b.data);
}

static void test_trailing_bytes_after_binary_are_rejected(void **state)
{
  (void)state;
  Buffer b = binary_stl("too long", 12, 12, 1000);
  VpError err = read_fails(b.data, b.size, VP_ERR_FORMAT);
  assert_contains(err.message, "1,000 bytes");
  assert_contains(err.message, "12 triangles");
  free(b.data);
}

static void test_count_above_limit_is_a_limit_error(void **state)
{
  (void)state;
  Buffer b = binary_stl("huge", VP_MESH_MAX_TRIANGLES + 1, 2, 0);
  VpError err = read_fails(b.data, b.size, VP_ERR_LIMIT);
  assert_contains(err.message, "50,000,001");
  free(b.data);
}

static void test_nan_in_binary_names_the_triangle(void **state)
{
  (void)state;
  Buffer b = binary_stl("nan", 12, 12, 0);
  set_binary_coordinate(&b, 2, 4, NAN);
  VpError err = read_fails(b.data, b.size, VP_ERR_FORMAT);
  assert_contains(err.message, "triangle 3 ");
  free(b.data);
}

static void test_infinity_in_binary_names_the_triangle(void **state)
{
  (void)state;
  Buffer b = binary_stl("inf", 12, 12, 0);
  set_binary_coordinate(&b, 11, 8, -INFINITY);
  VpError err = read_fails(b.data, b.size, VP_ERR_FORMAT);
  assert_contains(err.message, "triangle 12 ");
  free(b.data);
}

static void test_png_is_not_an_stl_file(void **state)
{
  (void)state;
  unsigned char png[200] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H'};
  VpError err = read_fails(png, sizeof png, VP_ERR_FORMAT);
  assert_contains(err.message, "not an STL file");
  assert_contains(err.message, "PNG");
}

static void test_plain_text_is_not_an_stl_file(void **state)
{
  (void)state;
  VpError err = read_fails("hello world\n", 12, VP_ERR_FORMAT);
  assert_contains(err.message, "not an STL file");
}

static void test_short_binary_junk_is_not_an_stl_file(void **state)
{
  (void)state;
  const unsigned char junk[40] = {1, 2, 3, 0, 5};
  VpError err = read_fails(junk, sizeof junk, VP_ERR_FORMAT);
  assert_contains(err.message, "not an STL file");
}

/* ---- ASCII ---- */

static void test_ascii_hand_written_cube(void **state)
{
  (void)state;
  VpStlInfo info;
  VpMesh *mesh = read_text(ascii_cube, &info);
  assert_false(info.binary);
  assert_int_equal(info.file_triangles, 12);
  assert_string_equal(info.name, "hand-written cube");
  assert_int_equal(mesh->triangle_count, 12);
  assert_int_equal(mesh->vertex_count, 8);
  assert_true(fabs(volume_ml(mesh) - 1.0) < 1e-9);
  vp_mesh_free(mesh);
}

static void test_ascii_accepts_crlf_case_and_odd_whitespace(void **state)
{
  (void)state;
  const char text[] = "\r\n  SOLID\tx\r\n FACET NORMAL 0 0 1\r\n\tOuter\vLoop\r\n"
                      "VERTEX 0 0 0\r\n  Vertex 1.0e1 0 0\fvertex 0 +10 0\r\n"
                      "ENDLOOP\r\nEndFacet\r\nENDSOLID x";
  VpMesh *mesh = read_text(text, NULL);
  assert_int_equal(mesh->triangle_count, 1);
  assert_true(mesh->positions[3] == 10.0f);
  vp_mesh_free(mesh);
}

static void test_ascii_after_utf8_byte_order_mark(void **state)
{
  (void)state;
  const char text[] = "\xef\xbb\xbfsolid b\nfacet normal 0 0 1 outer loop vertex 0 0 0 "
                      "vertex 1 0 0 vertex 0 1 0 endloop endfacet endsolid b\n";
  VpMesh *mesh = read_text(text, NULL);
  assert_int_equal(mesh->triangle_count, 1);
  vp_mesh_free(mesh);
}

static void test_ascii_reads_several_solids(void **state)
{
  (void)state;
  const char text[] = "solid a\nfacet normal 0 0 1 outer loop vertex 0 0 0 vertex 1 0 0 "
                      "vertex 0 1 0 endloop endfacet endsolid a\n"
                      "solid b\nfacet normal 0 0 1 outer loop vertex 5 0 0 vertex 6 0 0 "
                      "vertex 5 1 0 endloop endfacet endsolid b\n";
  VpMesh *mesh = read_text(text, NULL);
  assert_int_equal(mesh->triangle_count, 2);
  vp_mesh_free(mesh);
}

static void test_ascii_quad_facet_is_fanned_into_two_triangles(void **state)
{
  (void)state;
  const char text[] = "solid q\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\n"
                      "vertex 1 1 0\nvertex 0 1 0\nendloop\nendfacet\nendsolid q\n";
  VpMesh *mesh = read_text(text, NULL);
  assert_int_equal(mesh->triangle_count, 2);
  assert_true(fabs(vp_mesh_surface_area_mm2(mesh) - 1.0) < 1e-12);
  vp_mesh_free(mesh);
}

static void test_ascii_without_facets_has_no_triangles(void **state)
{
  (void)state;
  const char text[] = "solid empty\nendsolid empty\n";
  VpError err = read_fails(text, strlen(text), VP_ERR_FORMAT);
  assert_contains(err.message, "contains no triangles");
}

static void test_ascii_misspelled_keyword_names_the_line(void **state)
{
  (void)state;
  const char text[] = "solid s\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\n"
                      "vertx 1 0 0\nvertex 0 1 0\nendloop\nendfacet\nendsolid s\n";
  VpError err = read_fails(text, strlen(text), VP_ERR_FORMAT);
  assert_string_equal(err.message, "line 5: expected 'vertex', found 'vertx'");
}

static void test_ascii_facet_with_two_vertices_is_rejected(void **state)
{
  (void)state;
  const char text[] = "solid s\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\n"
                      "endloop\nendfacet\nendsolid s\n";
  VpError err = read_fails(text, strlen(text), VP_ERR_FORMAT);
  assert_contains(err.message, "line 6:");
}

static void test_ascii_bad_number_names_the_line(void **state)
{
  (void)state;
  const char text[] = "solid s\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\n"
                      "vertex 0 1,5 0\nendloop\nendfacet\nendsolid s\n";
  VpError err = read_fails(text, strlen(text), VP_ERR_FORMAT);
  assert_contains(err.message, "line 6:");
  assert_contains(err.message, "1,5");
}

static void test_ascii_ending_inside_a_facet_is_truncated(void **state)
{
  (void)state;
  const char text[] = "solid s\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0";
  VpError err = read_fails(text, strlen(text), VP_ERR_TRUNCATED);
  assert_contains(err.message, "line 5:");
}

static void test_ascii_nan_coordinate_names_the_line(void **state)
{
  (void)state;
  const char text[] = "solid s\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\n"
                      "vertex 0 nan 0\nendloop\nendfacet\nendsolid s\n";
  VpError err = read_fails(text, strlen(text), VP_ERR_FORMAT);
  assert_contains(err.message, "line 6:");
  assert_contains(err.message, "not a finite number");
}

static void test_ascii_infinite_coordinate_names_the_line(void **state)
{
  (void)state;
  const char text[] = "solid s\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\n"
                      "vertex 1e39 0 0\nvertex 0 1 0\nendloop\nendfacet\nendsolid s\n";
  VpError err = read_fails(text, strlen(text), VP_ERR_FORMAT);
  assert_contains(err.message, "line 5:");
}

static void test_ascii_numbers_ignore_a_comma_locale(void **state)
{
  (void)state;
  if (!vp_test_set_comma_locale()) {
    print_message("no comma-decimal locale installed; skipping\n");
    skip();
  }
  const char text[] = "solid s\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1.5 0 0\n"
                      "vertex 0 2.25 0\nendloop\nendfacet\nendsolid s\n";
  VpError err;
  VpMesh *mesh = vp_mesh_read_stl(text, strlen(text), NULL, &err);
  char still[8];
  snprintf(still, sizeof still, "%s", localeconv()->decimal_point);
  setlocale(LC_ALL, "C");
  assert_non_null(mesh);
  assert_string_equal(still, ","); /* the reader put the caller's locale back */
  assert_true(mesh->positions[3] == 1.5f);
  assert_true(mesh->positions[7] == 2.25f);
  vp_mesh_free(mesh);
}

/* ---- files ---- */

static VpMesh *cube_mesh(void)
{
  float soup[108];
  cube_soup(soup);
  return vp_mesh_weld_soup(soup, 12, NULL, NULL);
}

static bool dir_has_temp_files(const char *dir)
{
  DIR *d = opendir(dir);
  bool found = false;
  for (struct dirent *e; d && (e = readdir(d));)
    found |= strstr(e->d_name, ".tmp-") != NULL;
  if (d)
    closedir(d);
  return found;
}

static void test_missing_file_is_an_io_error(void **state)
{
  (void)state;
  char *path = vp_test_tmp_path("does-not-exist.stl");
  VpError err;
  assert_null(vp_mesh_load_stl(path, NULL, &err));
  assert_int_equal(err.code, VP_ERR_IO);
  free(path);
}

/* A sparse file: the size is there, the disk space is not used. */
static void test_file_over_size_limit_is_refused_before_reading(void **state)
{
  (void)state;
  char *path = vp_test_tmp_path("huge.stl");
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  bool sparse = ftruncate(fileno(f), 4294967297LL) == 0;
  fclose(f);
  if (!sparse) {
    unlink(path);
    free(path);
    print_message("cannot make a 4 GiB sparse file here; skipping\n");
    skip();
    return; /* skip() does not return; the compiler does not know that */
  }
  VpError err;
  VpMesh *mesh = vp_mesh_load_stl(path, NULL, &err);
  unlink(path);
  free(path);
  assert_null(mesh);
  assert_int_equal(err.code, VP_ERR_LIMIT);
  assert_contains(err.message, "4096.0 MiB, more than the limit of 2048.0 MiB");
}

static void test_save_into_missing_directory_fails(void **state)
{
  (void)state;
  VpMesh *cube = cube_mesh();
  char *path = vp_test_tmp_path("no-such-dir/cube.stl");
  VpError err;
  vp_error_clear(&err);
  assert_false(vp_mesh_save_stl(cube, path, &err));
  assert_int_equal(err.code, VP_ERR_IO);
  assert_true(strlen(err.message) > 0);
  vp_mesh_free(cube);
  free(path);
}

static void test_save_replaces_existing_file_without_leftovers(void **state)
{
  (void)state;
  VpMesh *cube = cube_mesh();
  char *path = vp_test_tmp_path("replace.stl");
  assert_true(vp_test_write_file(path, "old", 3));
  assert_true(vp_mesh_save_stl(cube, path, NULL));
  size_t size = 0;
  free(vp_test_read_file(path, &size));
  assert_int_equal(size, 84 + 12 * 50);
  assert_false(dir_has_temp_files(vp_test_tmpdir()));
  vp_mesh_free(cube);
  free(path);
}

/* A file-size limit makes the write fail halfway even for root, which a
 * read-only directory would not stop. */
static void test_failed_write_keeps_existing_file(void **state)
{
  (void)state;
  VpMesh *cube = cube_mesh();
  char *path = vp_test_tmp_path("keep.stl");
  assert_true(vp_test_write_file(path, "old content", 11));
  struct rlimit saved, small;
  assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
  small = saved;
  small.rlim_cur = 200; /* less than the 684 bytes of the cube */
  void (*previous)(int) = signal(SIGXFSZ, SIG_IGN);
  assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
  VpError err;
  bool saved_ok = vp_mesh_save_stl(cube, path, &err);
  setrlimit(RLIMIT_FSIZE, &saved);
  signal(SIGXFSZ, previous);
  assert_false(saved_ok);
  assert_int_equal(err.code, VP_ERR_IO);
  size_t size = 0;
  char *data = vp_test_read_file(path, &size);
  assert_int_equal(size, 11);
  assert_memory_equal(data, "old content", 11);
  assert_false(dir_has_temp_files(vp_test_tmpdir()));
  free(data);
  vp_mesh_free(cube);
  free(path);
}

static void test_save_into_read_only_directory_fails(void **state)
{
  (void)state;
  if (geteuid() == 0) {
    print_message("root writes into read-only directories; skipping\n");
    skip();
  }
  char *dir = vp_test_tmp_path("read-only");
  assert_int_equal(mkdir(dir, 0755), 0);
  char path[4200];
  snprintf(path, sizeof path, "%s/cube.stl", dir);
  assert_true(vp_test_write_file(path, "old", 3));
  chmod(dir, 0555);
  VpMesh *cube = cube_mesh();
  VpError err;
  bool ok = vp_mesh_save_stl(cube, path, &err);
  chmod(dir, 0755);
  assert_false(ok);
  size_t size = 0;
  free(vp_test_read_file(path, &size));
  assert_int_equal(size, 3);
  vp_mesh_free(cube);
  free(dir);
}

static void test_load_dispatches_stl_by_content(void **state)
{
  (void)state;
  char *path = vp_test_tmp_path("cube.mesh-without-known-extension");
  assert_true(vp_test_write_file(path, ascii_cube, strlen(ascii_cube)));
  VpError err;
  VpMesh *mesh = vp_mesh_load(path, &err);
  assert_non_null(mesh);
  assert_int_equal(mesh->triangle_count, 12);
  vp_mesh_free(mesh);
  free(path);
}

static void test_load_dispatches_binary_stl_by_size(void **state)
{
  (void)state;
  Buffer b = binary_stl("no solid here", 12, 12, 0);
  char *path = vp_test_tmp_path("cube.bin");
  assert_true(vp_test_write_file(path, b.data, b.size));
  VpError err;
  VpMesh *mesh = vp_mesh_load(path, &err);
  assert_non_null(mesh);
  assert_int_equal(mesh->vertex_count, 8);
  vp_mesh_free(mesh);
  free(path);
  free(b.data);
}

static void test_load_of_unknown_format_names_supported_formats(void **state)
{
  (void)state;
  char *path = vp_test_tmp_path("notes.txt");
  assert_true(vp_test_write_file(path, "just some notes\n", 16));
  VpError err;
  assert_null(vp_mesh_load(path, &err));
  assert_int_equal(err.code, VP_ERR_FORMAT);
  assert_contains(err.message, "STL");
  free(path);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_weld_cube_soup_gives_8_vertices),
      cmocka_unit_test(test_weld_treats_minus_zero_as_zero),
      cmocka_unit_test(test_weld_drops_and_counts_collapsed_triangles),
      cmocka_unit_test(test_weld_computes_outward_normals),
      cmocka_unit_test(test_binary_round_trip_through_save_and_load),
      cmocka_unit_test(test_binary_with_solid_header_loads_as_binary),
      cmocka_unit_test(test_empty_file_is_rejected),
      cmocka_unit_test(test_header_only_with_count_zero_has_no_triangles),
      cmocka_unit_test(test_truncated_binary_names_both_counts),
      cmocka_unit_test(test_trailing_bytes_after_binary_are_rejected),
      cmocka_unit_test(test_count_above_limit_is_a_limit_error),
      cmocka_unit_test(test_nan_in_binary_names_the_triangle),
      cmocka_unit_test(test_infinity_in_binary_names_the_triangle),
      cmocka_unit_test(test_png_is_not_an_stl_file),
      cmocka_unit_test(test_plain_text_is_not_an_stl_file),
      cmocka_unit_test(test_short_binary_junk_is_not_an_stl_file),
      cmocka_unit_test(test_ascii_hand_written_cube),
      cmocka_unit_test(test_ascii_accepts_crlf_case_and_odd_whitespace),
      cmocka_unit_test(test_ascii_after_utf8_byte_order_mark),
      cmocka_unit_test(test_ascii_reads_several_solids),
      cmocka_unit_test(test_ascii_quad_facet_is_fanned_into_two_triangles),
      cmocka_unit_test(test_ascii_without_facets_has_no_triangles),
      cmocka_unit_test(test_ascii_misspelled_keyword_names_the_line),
      cmocka_unit_test(test_ascii_facet_with_two_vertices_is_rejected),
      cmocka_unit_test(test_ascii_bad_number_names_the_line),
      cmocka_unit_test(test_ascii_ending_inside_a_facet_is_truncated),
      cmocka_unit_test(test_ascii_nan_coordinate_names_the_line),
      cmocka_unit_test(test_ascii_infinite_coordinate_names_the_line),
      cmocka_unit_test(test_ascii_numbers_ignore_a_comma_locale),
      cmocka_unit_test(test_missing_file_is_an_io_error),
      cmocka_unit_test(test_file_over_size_limit_is_refused_before_reading),
      cmocka_unit_test(test_save_into_missing_directory_fails),
      cmocka_unit_test(test_save_replaces_existing_file_without_leftovers),
      cmocka_unit_test(test_failed_write_keeps_existing_file),
      cmocka_unit_test(test_save_into_read_only_directory_fails),
      cmocka_unit_test(test_load_dispatches_stl_by_content),
      cmocka_unit_test(test_load_dispatches_binary_stl_by_size),
      cmocka_unit_test(test_load_of_unknown_format_names_supported_formats),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
