/* Real data: vertebra meshes from the VerSe CT data set (../shared/data/verse),
 * one binary and one ASCII STL, measured against the reference figures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdlib.h>

#include "vp-mesh.h"
#include "vp-test-util.h"

#define L3_PATH "verse/sub-verse009_L3.stl"
#define T8_PATH "verse/sub-verse009_T8_ascii.stl"

/* The README's reference volumes come from the same marching-cubes surface,
 * so only the arithmetic can differ: 0.5 % is generous for that. */
#define VOLUME_TOLERANCE 0.005

typedef struct Expected {
  const char *path;
  bool binary;
  uint32_t triangles;
  double volume_ml;
} Expected;

static const Expected l3 = {L3_PATH, true, 27760, 54.01};
static const Expected t8 = {T8_PATH, false, 15916, 27.40};

static VpMesh *load(const Expected *e, VpStlInfo *info)
{
  char *path = vp_test_shared_file(e->path);
  assert_non_null(path);
  VpError err;
  VpMesh *mesh = vp_mesh_load_stl(path, info, &err);
  if (!mesh)
    fail_msg("%s: %s", path, err.message);
  free(path);
  return mesh;
}

static VpMeshStats measure(const Expected *e)
{
  VpMesh *mesh = load(e, NULL);
  VpMeshStats stats;
  VpError err;
  if (!vp_mesh_measure(mesh, &stats, &err))
    fail_msg("%s", err.message);
  vp_mesh_free(mesh);
  return stats;
}

static void check_triangles_and_encoding(const Expected *e)
{
  VpStlInfo info;
  VpMesh *mesh = load(e, &info);
  assert_int_equal(info.binary, e->binary);
  assert_int_equal(info.file_triangles, e->triangles);
  assert_int_equal(info.dropped_degenerate, 0);
  assert_int_equal(mesh->triangle_count, e->triangles);
  vp_mesh_free(mesh);
}

static void check_closed_single_part(const Expected *e)
{
  VpMeshStats s = measure(e);
  assert_true(s.edges.watertight);
  assert_int_equal(s.edges.boundary_edges, 0);
  assert_int_equal(s.components, 1);
  assert_true(s.outward);
}

static void check_volume(const Expected *e)
{
  VpMeshStats s = measure(e);
  if (!(fabs(s.volume_ml - e->volume_ml) <= VOLUME_TOLERANCE * e->volume_ml))
    fail_msg("%s: %.3f mL, expected %.2f mL +- 0.5 %%", e->path, s.volume_ml, e->volume_ml);
}

/* A human vertebra, body and arch, is a few centimetres on every axis. */
static void check_vertebra_sized(const Expected *e)
{
  VpMeshStats s = measure(e);
  VpVec3 size = vp_box3_size(s.bounds);
  double axes[3] = {size.x, size.y, size.z};
  for (int i = 0; i < 3; i++)
    if (!(axes[i] >= 30 && axes[i] <= 100))
      fail_msg("%s: axis %d is %.1f mm, outside 30-100 mm", e->path, i, axes[i]);
}

static void test_l3_binary_has_27760_triangles(void **state)
{
  (void)state;
  check_triangles_and_encoding(&l3);
}

static void test_l3_is_watertight_single_component(void **state)
{
  (void)state;
  check_closed_single_part(&l3);
}

static void test_l3_volume_near_54_01_ml(void **state)
{
  (void)state;
  check_volume(&l3);
}

static void test_l3_is_vertebra_sized(void **state)
{
  (void)state;
  check_vertebra_sized(&l3);
}

static void test_t8_ascii_has_15916_triangles(void **state)
{
  (void)state;
  check_triangles_and_encoding(&t8);
}

static void test_t8_is_watertight_single_component(void **state)
{
  (void)state;
  check_closed_single_part(&t8);
}

static void test_t8_volume_near_27_40_ml(void **state)
{
  (void)state;
  check_volume(&t8);
}

static void test_t8_is_vertebra_sized(void **state)
{
  (void)state;
  check_vertebra_sized(&t8);
}

static bool shared_file_exists(const char *relative)
{
  char *path = vp_test_shared_file(relative);
  bool found = path != NULL;
  free(path);
  return found;
}

int main(void)
{
  if (!shared_file_exists(L3_PATH) || !shared_file_exists(T8_PATH))
    return vp_test_skip("verse-stl", "the VerSe STL files are not in $VP_SHARED_DIR/data/verse");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_l3_binary_has_27760_triangles),
      cmocka_unit_test(test_l3_is_watertight_single_component),
      cmocka_unit_test(test_l3_volume_near_54_01_ml),
      cmocka_unit_test(test_l3_is_vertebra_sized),
      cmocka_unit_test(test_t8_ascii_has_15916_triangles),
      cmocka_unit_test(test_t8_is_watertight_single_component),
      cmocka_unit_test(test_t8_volume_near_27_40_ml),
      cmocka_unit_test(test_t8_is_vertebra_sized),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
