/* Analytic test meshes shared by the suites. A failure here is a broken test
 * set-up, not a finding, so it stops the test at once. */
#include "vp-test-shapes.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *checked(void *p)
{
  if (!p) {
    fprintf(stderr, "test fixture: out of memory or mesh refused\n");
    abort();
  }
  return p;
}

VpMesh *vp_test_cube_new(double h)
{
  static const uint32_t faces[12][3] = {{0, 4, 6}, {0, 6, 2}, {1, 3, 7}, {1, 7, 5},
                                        {0, 1, 5}, {0, 5, 4}, {2, 6, 7}, {2, 7, 3},
                                        {0, 2, 3}, {0, 3, 1}, {4, 5, 7}, {4, 7, 6}};
  VpMesh *m = checked(vp_mesh_new(8, 12, NULL));
  for (int v = 0; v < 8; v++)
    for (int k = 0; k < 3; k++)
      m->positions[3 * v + k] = (float)((v >> k) & 1 ? h : -h);
  memcpy(m->indices, faces, sizeof faces);
  vp_mesh_compute_normals(m);
  return m;
}

typedef struct P3 {
  double x, y, z;
} P3;

static P3 unit(P3 a)
{
  double n = sqrt(a.x * a.x + a.y * a.y + a.z * a.z);
  return (P3){a.x / n, a.y / n, a.z / n};
}

/* Computed the same whichever way round the edge is taken, so shared
 * midpoints weld. */
static P3 midpoint(P3 a, P3 b)
{
  return unit((P3){(a.x + b.x) / 2, (a.y + b.y) / 2, (a.z + b.z) / 2});
}

static P3 *icosahedron(void)
{
  const double g = (1.0 + sqrt(5.0)) / 2.0;
  const P3 v[12] = {{-1, g, 0},  {1, g, 0},  {-1, -g, 0}, {1, -g, 0}, {0, -1, g},  {0, 1, g},
                    {0, -1, -g}, {0, 1, -g}, {g, 0, -1},  {g, 0, 1},  {-g, 0, -1}, {-g, 0, 1}};
  static const int f[20][3] = {{0, 11, 5}, {0, 5, 1},  {0, 1, 7},   {0, 7, 10}, {0, 10, 11},
                               {1, 5, 9},  {5, 11, 4}, {11, 10, 2}, {10, 7, 6}, {7, 1, 8},
                               {3, 9, 4},  {3, 4, 2},  {3, 2, 6},   {3, 6, 8},  {3, 8, 9},
                               {4, 9, 5},  {2, 4, 11}, {6, 2, 10},  {8, 6, 7},  {9, 8, 1}};
  P3 *tri = checked(malloc(60 * sizeof *tri));
  for (int t = 0; t < 20; t++)
    for (int k = 0; k < 3; k++)
      tri[3 * t + k] = unit(v[f[t][k]]);
  return tri;
}

/* Each triangle into four, corners pushed onto the unit sphere. */
static P3 *subdivide(P3 *tri, size_t n)
{
  P3 *next = checked(malloc(12 * n * sizeof *next));
  for (size_t t = 0; t < n; t++) {
    P3 a = tri[3 * t], b = tri[3 * t + 1], c = tri[3 * t + 2];
    P3 ab = midpoint(a, b), bc = midpoint(b, c), ca = midpoint(c, a);
    P3 four[12] = {a, ab, ca, b, bc, ab, c, ca, bc, ab, bc, ca};
    memcpy(next + 12 * t, four, sizeof four);
  }
  free(tri);
  return next;
}

VpMesh *vp_test_icosphere_new(double r, int levels)
{
  size_t n = 20;
  P3 *tri = icosahedron();
  for (int level = 0; level < levels; level++, n *= 4)
    tri = subdivide(tri, n);
  float *soup = checked(malloc(9 * n * sizeof *soup));
  for (size_t i = 0; i < 3 * n; i++) {
    soup[3 * i] = (float)(r * tri[i].x);
    soup[3 * i + 1] = (float)(r * tri[i].y);
    soup[3 * i + 2] = (float)(r * tri[i].z);
  }
  VpMesh *m = checked(vp_mesh_weld_soup(soup, (uint32_t)n, NULL, NULL));
  free(tri);
  free(soup);
  if (!(vp_mesh_signed_volume_mm3(m) > 0.0)) {
    fprintf(stderr, "test fixture: icosphere faces inward\n");
    abort();
  }
  return m;
}
