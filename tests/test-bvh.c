/* Tests of the BVH and the watertight ray-triangle test against analytic
 * answers on a cube and an icosphere, including rays through edges and
 * vertices where naive crossing counts go wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vp-bvh.h"
#include "vp-mesh.h"
#include "vp-test-shapes.h"

/* ---- fixtures ---- */

/* Smallest distance from the centre to a face plane: the polyhedron lies
 * between this radius and r, which bounds every error of the approximation. */
static double inradius(const VpMesh *m)
{
  double best = INFINITY;
  for (uint32_t t = 0; t < m->triangle_count; t++) {
    const float *a = m->positions + 3 * m->indices[3 * t];
    const float *b = m->positions + 3 * m->indices[3 * t + 1];
    const float *c = m->positions + 3 * m->indices[3 * t + 2];
    VpVec3 pa = vp_vec3(a[0], a[1], a[2]), pb = vp_vec3(b[0], b[1], b[2]);
    VpVec3 n = vp_vec3_normalize(
        vp_vec3_cross(vp_vec3_sub(pb, pa), vp_vec3_sub(vp_vec3(c[0], c[1], c[2]), pa)));
    best = fmin(best, vp_vec3_dot(n, pa));
  }
  return best;
}

typedef struct Fixture {
  VpMesh *mesh;
  VpBvh *bvh;
  double r, rho; /* sphere radius and polyhedron inradius */
} Fixture;

static int sphere_setup(void **state)
{
  Fixture *f = calloc(1, sizeof *f);
  f->r = 10.0;
  f->mesh = vp_test_icosphere_new(f->r, 4);
  f->rho = inradius(f->mesh);
  f->bvh = vp_bvh_build(f->mesh, NULL);
  assert_non_null(f->bvh);
  *state = f;
  return 0;
}

static int cube_setup(void **state)
{
  Fixture *f = calloc(1, sizeof *f);
  f->r = 1.0;
  f->mesh = vp_test_cube_new(1.0);
  f->rho = 1.0;
  f->bvh = vp_bvh_build(f->mesh, NULL);
  assert_non_null(f->bvh);
  *state = f;
  return 0;
}

static int fixture_teardown(void **state)
{
  Fixture *f = *state;
  vp_bvh_free(f->bvh);
  vp_mesh_free(f->mesh);
  free(f);
  return 0;
}

/* Deterministic pseudo-random numbers in [-1, 1] (xorshift). */
static double rand_signed(uint64_t *s)
{
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return (double)(*s >> 11) / (double)(1ull << 52) - 1.0;
}

static VpVec3 rand_dir(uint64_t *s)
{
  VpVec3 d;
  do
    d = vp_vec3(rand_signed(s), rand_signed(s), rand_signed(s));
  while (vp_vec3_length(d) < 0.1 || vp_vec3_length(d) > 1.0);
  return vp_vec3_normalize(d);
}

/* ---- building ---- */

static void test_build_rejects_mesh_without_triangles(void **state)
{
  VpMesh empty = {0};
  VpError err;
  vp_error_clear(&err);
  assert_null(vp_bvh_build(&empty, &err));
  assert_int_equal(err.code, VP_ERR_INVALID);
  assert_non_null(strstr(err.message, "no triangles"));
  assert_null(vp_bvh_build(NULL, &err));
}

static void test_build_rejects_index_out_of_range(void **state)
{
  VpMesh *m = vp_test_cube_new(1.0);
  m->indices[7] = 8;
  VpError err;
  assert_null(vp_bvh_build(m, &err));
  assert_int_equal(err.code, VP_ERR_INVALID);
  assert_non_null(strstr(err.message, "triangle 3"));
  vp_mesh_free(m);
}

static void test_build_rejects_nan_corner(void **state)
{
  VpMesh *m = vp_test_cube_new(1.0);
  m->positions[3 * 5 + 1] = NAN;
  VpError err;
  assert_null(vp_bvh_build(m, &err));
  assert_int_equal(err.code, VP_ERR_INVALID);
  assert_non_null(strstr(err.message, "vertex 6"));
  vp_mesh_free(m);
}

/* Every triangle lands in exactly one leaf and every leaf's box holds it. */
static void test_build_places_each_triangle_in_one_covering_leaf(void **state)
{
  Fixture *f = *state;
  const VpBvh *b = f->bvh;
  uint32_t *seen = calloc(b->triangle_count, sizeof *seen);
  for (uint32_t n = 0; n < b->node_count; n++) {
    const VpBvhNode *node = &b->nodes[n];
    for (uint32_t s = node->first; node->count && s < node->first + node->count; s++) {
      seen[b->triangles[s]]++;
      for (int c = 0; c < 9; c++) {
        float x = b->corners[9 * s + c];
        assert_true(x >= node->min[c % 3] && x <= node->max[c % 3]);
      }
    }
  }
  for (uint32_t t = 0; t < b->triangle_count; t++)
    assert_int_equal(seen[t], 1);
  assert_true(b->depth < 64);
  free(seen);
}

/* Identical triangles cannot be told apart by position: the builder must
 * still stop, keep the depth bounded and answer queries. */
static void test_build_copes_with_coincident_triangles(void **state)
{
  const uint32_t n = 5000;
  VpMesh *m = vp_mesh_new(3, n, NULL);
  const float corners[9] = {0, 0, 0, 1, 0, 0, 0, 1, 0};
  memcpy(m->positions, corners, sizeof corners);
  for (uint32_t t = 0; t < n; t++)
    for (int k = 0; k < 3; k++)
      m->indices[3 * t + k] = (uint32_t)k;
  VpBvh *b = vp_bvh_build(m, NULL);
  assert_non_null(b);
  assert_true(b->depth < 64);
  VpRayHit hit;
  assert_true(vp_bvh_raycast(b, vp_vec3(0.2, 0.2, 5), vp_vec3(0, 0, -1), 0, INFINITY, &hit));
  assert_float_equal(hit.t, 5.0, 1e-12);
  vp_bvh_free(b);
  vp_mesh_free(m);
}

/* ---- the ray-triangle test ---- */

static void test_triangle_hit_reports_t_and_barycentrics(void **state)
{
  VpRay ray;
  VpRayHit hit;
  assert_true(vp_ray_init(&ray, vp_vec3(0.25, 0.5, 3), vp_vec3(0, 0, -2)));
  assert_true(vp_ray_intersect_triangle(&ray, vp_vec3(0, 0, 0), vp_vec3(1, 0, 0), vp_vec3(0, 1, 0),
                                        0, INFINITY, &hit));
  assert_float_equal(hit.t, 1.5, 1e-15); /* t counts lengths of the direction */
  assert_float_equal(hit.u, 0.25, 1e-15);
  assert_float_equal(hit.v, 0.5, 1e-15);
  assert_float_equal(hit.point.z, 0.0, 1e-15);
  assert_true(hit.front_face);
}

static void test_triangle_seen_from_behind_is_hit_as_back_face(void **state)
{
  VpRay ray;
  VpRayHit hit;
  vp_ray_init(&ray, vp_vec3(0.25, 0.25, -1), vp_vec3(0, 0, 1));
  assert_true(vp_ray_intersect_triangle(&ray, vp_vec3(0, 0, 0), vp_vec3(1, 0, 0), vp_vec3(0, 1, 0),
                                        0, INFINITY, &hit));
  assert_false(hit.front_face);
}

static void test_invalid_ray_is_refused(void **state)
{
  VpRay ray;
  assert_false(vp_ray_init(&ray, vp_vec3(0, 0, 0), vp_vec3(0, 0, 0)));
  assert_false(vp_ray_init(&ray, vp_vec3(NAN, 0, 0), vp_vec3(1, 0, 0)));
  assert_false(vp_ray_init(&ray, vp_vec3(0, 0, 0), vp_vec3(INFINITY, 0, 0)));
}

/* Two triangles of a square share the diagonal; a ray exactly through it
 * must hit exactly one of them, whichever direction it comes from. */
static void test_ray_through_shared_edge_hits_exactly_one_triangle(void **state)
{
  const VpVec3 a = vp_vec3(0, 0, 0), b = vp_vec3(1, 0, 0), c = vp_vec3(1, 1, 0),
               d = vp_vec3(0, 1, 0);
  const double dz[2] = {-1.0, 1.0};
  for (int i = 0; i < 2; i++) {
    for (double s = 0.125; s < 1.0; s += 0.125) {
      VpRay ray;
      VpRayHit hit;
      vp_ray_init(&ray, vp_vec3(s, s, -dz[i]), vp_vec3(0, 0, dz[i]));
      int hits = vp_ray_intersect_triangle(&ray, a, b, c, 0, INFINITY, &hit) +
                 vp_ray_intersect_triangle(&ray, a, c, d, 0, INFINITY, &hit);
      assert_int_equal(hits, 1);
    }
  }
}

/* A fan of six triangles around a vertex: a ray through the vertex hits one. */
static void test_ray_through_shared_vertex_hits_exactly_one_triangle(void **state)
{
  VpVec3 rim[6];
  for (int i = 0; i < 6; i++)
    rim[i] = vp_vec3(cos(i * VP_PI / 3), sin(i * VP_PI / 3), 0.1 * (i % 2));
  const VpVec3 dirs[3] = {vp_vec3(0, 0, 1), vp_vec3(0.3, -0.2, 1), vp_vec3(-0.1, 0.4, -1)};
  for (int d = 0; d < 3; d++) {
    VpRay ray;
    vp_ray_init(&ray, vp_vec3_scale(dirs[d], -2.0), dirs[d]);
    int hits = 0;
    for (int i = 0; i < 6; i++) {
      VpRayHit hit;
      hits += vp_ray_intersect_triangle(&ray, vp_vec3(0, 0, 0), rim[i], rim[(i + 1) % 6], 0,
                                        INFINITY, &hit);
    }
    assert_int_equal(hits, 1);
  }
}

static void test_edge_on_triangle_is_not_hit(void **state)
{
  VpRay ray;
  VpRayHit hit;
  vp_ray_init(&ray, vp_vec3(-1, 0.2, 0), vp_vec3(1, 0, 0));
  assert_false(vp_ray_intersect_triangle(&ray, vp_vec3(0, 0, 0), vp_vec3(1, 0, 0), vp_vec3(0, 1, 0),
                                         0, INFINITY, &hit));
}

/* ---- first hit ---- */

static void test_raycast_hits_cube_face_at_expected_t(void **state)
{
  Fixture *f = *state;
  VpRayHit hit;
  assert_true(vp_bvh_raycast(f->bvh, vp_vec3(-5, 0.3, 0.2), vp_vec3(1, 0, 0), 0, INFINITY, &hit));
  assert_float_equal(hit.t, 4.0, 1e-12);
  assert_float_equal(hit.point.x, -1.0, 1e-12);
  assert_true(hit.front_face);
  assert_true(hit.triangle == 0 || hit.triangle == 1); /* the -x face */
}

/* The polyhedron lies between its inradius rho and r, so a ray through the
 * centre from distance 3r first meets it at t in [2r, 3r - rho]. */
static void test_raycast_hits_sphere_at_expected_t(void **state)
{
  Fixture *f = *state;
  uint64_t seed = 7;
  for (int i = 0; i < 100; i++) {
    VpVec3 d = rand_dir(&seed);
    VpRayHit hit;
    assert_true(vp_bvh_raycast(f->bvh, vp_vec3_scale(d, -3 * f->r), d, 0, INFINITY, &hit));
    assert_true(hit.t >= 2 * f->r - 1e-9 && hit.t <= 3 * f->r - f->rho + 1e-9);
    assert_true(hit.front_face);
  }
}

static void test_raycast_misses_beside_and_behind_sphere(void **state)
{
  Fixture *f = *state;
  VpRayHit hit;
  assert_false(
      vp_bvh_raycast(f->bvh, vp_vec3(-30, 1.01 * f->r, 0), vp_vec3(1, 0, 0), 0, INFINITY, &hit));
  assert_false(vp_bvh_raycast(f->bvh, vp_vec3(-30, 0, 0), vp_vec3(-1, 0, 0), 0, INFINITY, &hit));
}

static void test_raycast_respects_t_range(void **state)
{
  Fixture *f = *state;
  VpRayHit hit;
  VpVec3 o = vp_vec3(-5, 0.3, 0.2), d = vp_vec3(1, 0, 0);
  assert_false(vp_bvh_raycast(f->bvh, o, d, 0, 3.9, &hit));
  assert_true(vp_bvh_raycast(f->bvh, o, d, 4.5, INFINITY, &hit));
  assert_float_equal(hit.t, 6.0, 1e-12); /* the exit through +x */
  assert_false(hit.front_face);
}

static void test_raycast_with_invalid_input_misses(void **state)
{
  Fixture *f = *state;
  VpRayHit hit;
  assert_false(vp_bvh_raycast(f->bvh, vp_vec3(-5, 0, 0), vp_vec3(0, 0, 0), 0, INFINITY, &hit));
  assert_false(vp_bvh_raycast(f->bvh, vp_vec3(NAN, 0, 0), vp_vec3(1, 0, 0), 0, INFINITY, &hit));
  assert_false(vp_bvh_raycast(f->bvh, vp_vec3(-5, 0, 0), vp_vec3(1, 0, 0), NAN, INFINITY, &hit));
}

/* ---- all hits ---- */

static void test_raycast_all_through_cube_gives_two_sorted_hits(void **state)
{
  Fixture *f = *state;
  VpRayHits hits = {0};
  assert_true(vp_bvh_raycast_all(f->bvh, vp_vec3(0.3, 0.2, 5), vp_vec3(0, 0, -1), 0, INFINITY,
                                 &hits, NULL));
  assert_int_equal(hits.count, 2);
  assert_float_equal(hits.hits[0].t, 4.0, 1e-12);
  assert_float_equal(hits.hits[1].t, 6.0, 1e-12);
  assert_true(hits.hits[0].front_face);
  assert_false(hits.hits[1].front_face);
  vp_ray_hits_clear(&hits);
}

/* Rays through face diagonals, along an edge and through two opposite
 * corners: a naive test counts 0 or 2 at each of those crossings. */
static void test_raycast_all_counts_edge_and_vertex_crossings_once(void **state)
{
  Fixture *f = *state;
  VpRayHits hits = {0};
  assert_true(vp_bvh_raycast_all(f->bvh, vp_vec3(-5, 0.5, 0.5), vp_vec3(1, 0, 0), -INFINITY,
                                 INFINITY, &hits, NULL));
  assert_int_equal(hits.count, 2);
  assert_true(
      vp_bvh_raycast_all(f->bvh, vp_vec3(-5, -5, -5), vp_vec3(1, 1, 1), 0, INFINITY, &hits, NULL));
  assert_int_equal(hits.count, 2);
  assert_float_equal(hits.hits[0].t, 4.0, 1e-12);
  assert_float_equal(hits.hits[1].t, 6.0, 1e-12);
  assert_true(vp_bvh_raycast_all(f->bvh, vp_vec3(-5, -1, 0.25), vp_vec3(1, 0, 0), 0, INFINITY,
                                 &hits, NULL));
  assert_int_equal(hits.count % 2, 0); /* grazes the -y face: touches, never enters once */
  vp_ray_hits_clear(&hits);
}

/* Reusing the buffer replaces the hits and keeps the storage. */
static void test_raycast_all_reuses_caller_buffer(void **state)
{
  Fixture *f = *state;
  VpRayHits hits;
  vp_ray_hits_init(&hits);
  assert_true(
      vp_bvh_raycast_all(f->bvh, vp_vec3(-30, 0, 0), vp_vec3(1, 0, 0), 0, INFINITY, &hits, NULL));
  assert_int_equal(hits.count, 2);
  assert_true(hits.hits[0].t < hits.hits[1].t);
  VpRayHit *storage = hits.hits;
  assert_true(
      vp_bvh_raycast_all(f->bvh, vp_vec3(-30, 0, 0), vp_vec3(-1, 0, 0), 0, INFINITY, &hits, NULL));
  assert_int_equal(hits.count, 0);
  assert_ptr_equal(hits.hits, storage);
  vp_ray_hits_clear(&hits);
  assert_null(hits.hits);
}

/* ---- closest points ---- */

static void test_closest_point_outside_sphere(void **state)
{
  Fixture *f = *state;
  uint64_t seed = 11;
  for (int i = 0; i < 100; i++) {
    VpVec3 p = vp_vec3_scale(rand_dir(&seed), 2 * f->r);
    VpClosestPoint cp;
    assert_true(vp_bvh_closest_point(f->bvh, p, INFINITY, &cp));
    assert_true(cp.distance_mm >= f->r - 1e-9 && cp.distance_mm <= 2 * f->r - f->rho + 1e-9);
    assert_float_equal(vp_vec3_distance(p, cp.point), cp.distance_mm, 1e-9);
  }
}

static void test_closest_point_inside_sphere(void **state)
{
  Fixture *f = *state;
  VpClosestPoint cp;
  assert_true(vp_bvh_closest_point(f->bvh, vp_vec3(0, 0, 0), INFINITY, &cp));
  assert_true(cp.distance_mm >= f->rho - 1e-9 && cp.distance_mm <= f->r + 1e-9);
  assert_true(vp_bvh_closest_point(f->bvh, vp_vec3(0, 0, 0.5 * f->r), INFINITY, &cp));
  assert_true(cp.distance_mm >= f->rho - 0.5 * f->r - 1e-9 && cp.distance_mm <= 0.5 * f->r + 1e-9);
}

static void test_closest_point_of_a_vertex_is_itself(void **state)
{
  Fixture *f = *state;
  const float *v = f->mesh->positions + 3 * 17;
  VpClosestPoint cp;
  assert_true(vp_bvh_closest_point(f->bvh, vp_vec3(v[0], v[1], v[2]), INFINITY, &cp));
  assert_float_equal(cp.distance_mm, 0.0, 1e-12);
}

/* Points in the face, edge and vertex regions outside the cube. */
static void test_closest_point_on_cube_face_edge_and_vertex(void **state)
{
  Fixture *f = *state;
  VpClosestPoint cp;
  assert_true(vp_bvh_closest_point(f->bvh, vp_vec3(3, 0.2, 0.1), INFINITY, &cp));
  assert_float_equal(cp.distance_mm, 2.0, 1e-12);
  assert_float_equal(cp.point.y, 0.2, 1e-7);
  assert_true(vp_bvh_closest_point(f->bvh, vp_vec3(2, 2, 0.5), INFINITY, &cp));
  assert_float_equal(cp.distance_mm, sqrt(2.0), 1e-12);
  assert_true(vp_bvh_closest_point(f->bvh, vp_vec3(-2, 2, -2), INFINITY, &cp));
  assert_float_equal(cp.distance_mm, sqrt(3.0), 1e-12);
  assert_float_equal(cp.point.x, -1.0, 1e-12);
  assert_float_equal(cp.point.z, -1.0, 1e-12);
}

static void test_closest_point_respects_max_distance(void **state)
{
  Fixture *f = *state;
  VpClosestPoint cp;
  assert_false(vp_bvh_closest_point(f->bvh, vp_vec3(3, 0, 0), 1.5, &cp));
  assert_true(vp_bvh_closest_point(f->bvh, vp_vec3(3, 0, 0), 2.5, &cp));
  assert_false(vp_bvh_closest_point(f->bvh, vp_vec3(3, 0, 0), -1.0, &cp));
  assert_false(vp_bvh_closest_point(f->bvh, vp_vec3(NAN, 0, 0), INFINITY, &cp));
}

/* The barycentrics name the same point as the point itself. */
static void test_closest_point_barycentrics_match_point(void **state)
{
  Fixture *f = *state;
  uint64_t seed = 5;
  for (int i = 0; i < 50; i++) {
    VpVec3 p = vp_vec3_scale(rand_dir(&seed), f->r * (0.5 + fabs(rand_signed(&seed))));
    VpClosestPoint cp;
    assert_true(vp_bvh_closest_point(f->bvh, p, INFINITY, &cp));
    const uint32_t *idx = f->mesh->indices + 3 * cp.triangle;
    VpVec3 c[3];
    for (int k = 0; k < 3; k++) {
      const float *q = f->mesh->positions + 3 * idx[k];
      c[k] = vp_vec3(q[0], q[1], q[2]);
    }
    VpVec3 q = vp_vec3_add(vp_vec3_scale(c[0], 1 - cp.u - cp.v),
                           vp_vec3_add(vp_vec3_scale(c[1], cp.u), vp_vec3_scale(c[2], cp.v)));
    assert_float_equal(vp_vec3_distance(q, cp.point), 0.0, 1e-9);
  }
}

/* ---- inside test ---- */

static void test_contains_points_near_cube_faces(void **state)
{
  Fixture *f = *state;
  const double in = 0.999, out = 1.001;
  for (int axis = 0; axis < 3; axis++)
    for (int s = -1; s <= 1; s += 2) {
      VpVec3 p = vp_vec3(0.1, -0.2, 0.3), q = p;
      if (axis == 0)
        p.x = s * in, q.x = s * out;
      else if (axis == 1)
        p.y = s * in, q.y = s * out;
      else
        p.z = s * in, q.z = s * out;
      assert_true(vp_bvh_contains(f->bvh, p));
      assert_false(vp_bvh_contains(f->bvh, q));
    }
}

/* Points whose axis rays run exactly through face diagonals, along edges or
 * along faces, and through corners (a single naive ray gets these wrong),
 * and points just inside or outside edges and corners. */
static void test_contains_points_aligned_with_edges_and_vertices(void **state)
{
  Fixture *f = *state;
  const VpVec3 inside[] = {vp_vec3(0, 0, 0),
                           vp_vec3(0.5, 0.5, 0.5),
                           vp_vec3(-0.25, 0.25, -0.25),
                           vp_vec3(0.999, 0.999, 0.999),
                           vp_vec3(-0.999, 0.999, 0),
                           vp_vec3(0.999, -0.999, 0.5)};
  const VpVec3 outside[] = {
      vp_vec3(-2, 1, 1),        vp_vec3(-2, 1, 0),          vp_vec3(1, 1, -3),
      vp_vec3(-2, -2, -2),      vp_vec3(0, -1.5, 1),        vp_vec3(1.001, 0.5, 0.5),
      vp_vec3(-3, -1, -1),      vp_vec3(1.001, 1.001, 0.3), vp_vec3(1.001, 1.001, 1.001),
      vp_vec3(-1.001, 0, 1.001)};
  for (size_t i = 0; i < sizeof inside / sizeof *inside; i++)
    assert_true(vp_bvh_contains(f->bvh, inside[i]));
  for (size_t i = 0; i < sizeof outside / sizeof *outside; i++)
    assert_false(vp_bvh_contains(f->bvh, outside[i]));
}

static void test_contains_sphere_points(void **state)
{
  Fixture *f = *state;
  uint64_t seed = 3;
  for (int i = 0; i < 200; i++) {
    VpVec3 d = rand_dir(&seed);
    assert_true(vp_bvh_contains(f->bvh, vp_vec3_scale(d, 0.99 * f->rho)));
    assert_false(vp_bvh_contains(f->bvh, vp_vec3_scale(d, 1.01 * f->r)));
  }
  assert_true(vp_bvh_contains(f->bvh, vp_vec3(0, 0, 0)));
  assert_false(vp_bvh_contains(f->bvh, vp_vec3(NAN, 0, 0)));
}

/* ---- segments ---- */

static void test_segment_distance_beside_cube_face(void **state)
{
  Fixture *f = *state;
  VpSegmentDistance sd;
  assert_true(
      vp_bvh_segment_distance(f->bvh, vp_vec3(3, -0.5, 0), vp_vec3(3, 0.5, 0.2), INFINITY, &sd));
  assert_float_equal(sd.distance_mm, 2.0, 1e-12);
  assert_float_equal(sd.surface_point.x, 1.0, 1e-12);
  assert_float_equal(sd.segment_point.x, 3.0, 1e-12);
}

static void test_segment_distance_beside_cube_edge(void **state)
{
  Fixture *f = *state;
  VpSegmentDistance sd;
  assert_true(vp_bvh_segment_distance(f->bvh, vp_vec3(2, 2, -5), vp_vec3(2, 2, 5), INFINITY, &sd));
  assert_float_equal(sd.distance_mm, sqrt(2.0), 1e-12);
  /* skew to the edge: the nearest points are where the lines pass closest */
  assert_true(vp_bvh_segment_distance(f->bvh, vp_vec3(3, 1, 3), vp_vec3(1, 3, 3), INFINITY, &sd));
  assert_float_equal(sd.distance_mm, sqrt(2.0 * 2.0 + 2.0), 1e-12);
  assert_float_equal(sd.s, 0.5, 1e-12);
}

static void test_segment_crossing_surface_has_zero_distance(void **state)
{
  Fixture *f = *state;
  VpSegmentDistance sd;
  assert_true(
      vp_bvh_segment_distance(f->bvh, vp_vec3(0, 0, 0), vp_vec3(0.2, 3, 0.1), INFINITY, &sd));
  assert_float_equal(sd.distance_mm, 0.0, 1e-15);
  assert_float_equal(sd.surface_point.y, 1.0, 1e-12);
  assert_float_equal(sd.s, 1.0 / 3.0, 1e-12);
}

/* A needle inside a vertebra: the clearance of a segment inside the cube is
 * its distance to the nearest face. */
static void test_segment_inside_cube_measures_clearance(void **state)
{
  Fixture *f = *state;
  VpSegmentDistance sd;
  assert_true(vp_bvh_segment_distance(f->bvh, vp_vec3(-0.5, 0, 0.1), vp_vec3(0.6, 0.2, 0.1),
                                      INFINITY, &sd));
  assert_float_equal(sd.distance_mm, 0.4, 1e-12);
  assert_float_equal(sd.s, 1.0, 1e-12);
  assert_false(
      vp_bvh_segment_distance(f->bvh, vp_vec3(-0.5, 0, 0.1), vp_vec3(0.6, 0.2, 0.1), 0.3, &sd));
}

/* Against sampling: the minimum over points of the segment can only exceed
 * the segment distance, by at most half the sampling step. */
static void test_segment_distance_agrees_with_sampled_points(void **state)
{
  Fixture *f = *state;
  uint64_t seed = 19;
  const int samples = 400;
  for (int i = 0; i < 40; i++) {
    VpVec3 a = vp_vec3_scale(rand_dir(&seed), f->r * 1.6 * fabs(rand_signed(&seed)));
    VpVec3 b = vp_vec3_scale(rand_dir(&seed), f->r * 1.6 * fabs(rand_signed(&seed)));
    VpSegmentDistance sd;
    assert_true(vp_bvh_segment_distance(f->bvh, a, b, INFINITY, &sd));
    double sampled = INFINITY, step = vp_vec3_distance(a, b) / samples;
    for (int s = 0; s <= samples; s++) {
      VpClosestPoint cp;
      vp_bvh_closest_point(f->bvh, vp_vec3_lerp(a, b, (double)s / samples), INFINITY, &cp);
      sampled = fmin(sampled, cp.distance_mm);
    }
    assert_true(sd.distance_mm <= sampled + 1e-9);
    assert_true(sd.distance_mm >= sampled - 0.5 * step - 1e-9);
  }
}

static void test_segment_with_invalid_input_finds_nothing(void **state)
{
  Fixture *f = *state;
  VpSegmentDistance sd;
  assert_false(
      vp_bvh_segment_distance(f->bvh, vp_vec3(NAN, 0, 0), vp_vec3(1, 0, 0), INFINITY, &sd));
  assert_false(vp_bvh_segment_distance(f->bvh, vp_vec3(3, 0, 0), vp_vec3(4, 0, 0), 0.0, &sd));
}

/* A degenerate segment (a point) measures like the closest-point query. */
static void test_segment_of_zero_length_is_a_point(void **state)
{
  Fixture *f = *state;
  VpSegmentDistance sd;
  assert_true(
      vp_bvh_segment_distance(f->bvh, vp_vec3(3, 0.2, 0.1), vp_vec3(3, 0.2, 0.1), INFINITY, &sd));
  assert_float_equal(sd.distance_mm, 2.0, 1e-12);
}

#define SPHERE(t) cmocka_unit_test_setup_teardown(t, sphere_setup, fixture_teardown)
#define CUBE(t) cmocka_unit_test_setup_teardown(t, cube_setup, fixture_teardown)

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_build_rejects_mesh_without_triangles),
      cmocka_unit_test(test_build_rejects_index_out_of_range),
      cmocka_unit_test(test_build_rejects_nan_corner),
      SPHERE(test_build_places_each_triangle_in_one_covering_leaf),
      cmocka_unit_test(test_build_copes_with_coincident_triangles),
      cmocka_unit_test(test_triangle_hit_reports_t_and_barycentrics),
      cmocka_unit_test(test_triangle_seen_from_behind_is_hit_as_back_face),
      cmocka_unit_test(test_invalid_ray_is_refused),
      cmocka_unit_test(test_ray_through_shared_edge_hits_exactly_one_triangle),
      cmocka_unit_test(test_ray_through_shared_vertex_hits_exactly_one_triangle),
      cmocka_unit_test(test_edge_on_triangle_is_not_hit),
      CUBE(test_raycast_hits_cube_face_at_expected_t),
      SPHERE(test_raycast_hits_sphere_at_expected_t),
      SPHERE(test_raycast_misses_beside_and_behind_sphere),
      CUBE(test_raycast_respects_t_range),
      CUBE(test_raycast_with_invalid_input_misses),
      CUBE(test_raycast_all_through_cube_gives_two_sorted_hits),
      CUBE(test_raycast_all_counts_edge_and_vertex_crossings_once),
      SPHERE(test_raycast_all_reuses_caller_buffer),
      SPHERE(test_closest_point_outside_sphere),
      SPHERE(test_closest_point_inside_sphere),
      SPHERE(test_closest_point_of_a_vertex_is_itself),
      CUBE(test_closest_point_on_cube_face_edge_and_vertex),
      CUBE(test_closest_point_respects_max_distance),
      SPHERE(test_closest_point_barycentrics_match_point),
      CUBE(test_contains_points_near_cube_faces),
      CUBE(test_contains_points_aligned_with_edges_and_vertices),
      SPHERE(test_contains_sphere_points),
      CUBE(test_segment_distance_beside_cube_face),
      CUBE(test_segment_distance_beside_cube_edge),
      CUBE(test_segment_crossing_surface_has_zero_distance),
      CUBE(test_segment_inside_cube_measures_clearance),
      SPHERE(test_segment_distance_agrees_with_sampled_points),
      CUBE(test_segment_with_invalid_input_finds_nothing),
      CUBE(test_segment_of_zero_length_is_a_point),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
