/* Taubin lambda/mu smoothing of triangle meshes: removes the staircase that
 * coarse slices leave on extracted surfaces without the shrinking of plain
 * Laplacian smoothing. */
#include "vp-surface.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vp-intl-private.h"

/* More passes than this only blur a mesh further; the cap keeps a typo in a
 * setting from freezing the application. */
#define MAX_ITERATIONS 10000

/* Vertex neighbours in compressed rows: the neighbours of v are
 * list[start[v] .. start[v + 1]). */
typedef struct Neighbours {
  size_t *start;
  uint32_t *list;
} Neighbours;

static void sort_unique(uint32_t *v, size_t *n)
{
  for (size_t i = 1; i < *n; i++) /* insertion sort: rows hold about six entries */
    for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
      uint32_t t = v[j];
      v[j] = v[j - 1];
      v[j - 1] = t;
    }
  size_t out = 0;
  for (size_t i = 0; i < *n; i++)
    if (out == 0 || v[out - 1] != v[i])
      v[out++] = v[i];
  *n = out;
}

/* Compacts each row after sorting out duplicate entries (each interior edge
 * is seen from both of its triangles). */
static void compact_rows(Neighbours *nb, uint32_t vertex_count)
{
  size_t out = 0;
  for (uint32_t v = 0; v < vertex_count; v++) {
    size_t from = nb->start[v], n = nb->start[v + 1] - from;
    sort_unique(nb->list + from, &n);
    memmove(nb->list + out, nb->list + from, n * sizeof *nb->list);
    nb->start[v] = out;
    out += n;
  }
  nb->start[vertex_count] = out;
}

static bool neighbours_build(Neighbours *nb, const VpMesh *mesh)
{
  size_t corners = (size_t)mesh->triangle_count * 3;
  nb->start = calloc((size_t)mesh->vertex_count + 2, sizeof *nb->start);
  nb->list = calloc(corners ? corners * 2 : 1, sizeof *nb->list);
  if (!nb->start || !nb->list)
    return false;
  const uint32_t *idx = mesh->indices;
  for (size_t c = 0; c < corners; c++) /* row sizes, then their running sums */
    nb->start[idx[c] + 1] += 2;
  for (uint32_t v = 0; v < mesh->vertex_count; v++)
    nb->start[v + 1] += nb->start[v];
  size_t *cursor = malloc(((size_t)mesh->vertex_count + 1) * sizeof *cursor);
  if (!cursor)
    return false;
  memcpy(cursor, nb->start, ((size_t)mesh->vertex_count + 1) * sizeof *cursor);
  for (size_t t = 0; t < corners; t += 3)
    for (int k = 0; k < 3; k++) {
      uint32_t a = idx[t + k], b = idx[t + (k + 1) % 3], c = idx[t + (k + 2) % 3];
      nb->list[cursor[a]++] = b;
      nb->list[cursor[a]++] = c;
    }
  free(cursor);
  compact_rows(nb, mesh->vertex_count);
  return true;
}

static void neighbours_clear(Neighbours *nb)
{
  free(nb->start);
  free(nb->list);
}

/* One umbrella step: every vertex moves by factor times the offset from it
 * to the mean of its neighbours (computed from the old positions). */
static void umbrella_step(const Neighbours *nb, uint32_t vertex_count, const float *from,
                          float *to, double factor)
{
  for (uint32_t v = 0; v < vertex_count; v++) {
    size_t first = nb->start[v], end = nb->start[v + 1];
    const float *p = from + 3 * (size_t)v;
    float *q = to + 3 * (size_t)v;
    if (first == end) {
      q[0] = p[0], q[1] = p[1], q[2] = p[2];
      continue;
    }
    double x = 0, y = 0, z = 0;
    for (size_t i = first; i < end; i++) {
      const float *n = from + 3 * (size_t)nb->list[i];
      x += n[0], y += n[1], z += n[2];
    }
    double w = factor / (double)(end - first);
    q[0] = (float)(p[0] + (x * w - factor * p[0]));
    q[1] = (float)(p[1] + (y * w - factor * p[1]));
    q[2] = (float)(p[2] + (z * w - factor * p[2]));
  }
}

static bool indices_valid(const VpMesh *mesh)
{
  for (size_t c = 0; c < (size_t)mesh->triangle_count * 3; c++)
    if (mesh->indices[c] >= mesh->vertex_count)
      return false;
  return true;
}

static bool check_parameters(const VpMesh *mesh, int iterations, double lambda, double mu,
                             VpError *err)
{
  if (iterations < 0 || iterations > MAX_ITERATIONS)
    return vp_error_set(err, VP_ERR_INVALID,
                        _("%d smoothing iterations requested; use 0 to %d"), iterations,
                        MAX_ITERATIONS);
  if (!(lambda > 0 && lambda <= 1) || !(mu < -lambda && mu >= -1))
    return vp_error_set(err, VP_ERR_INVALID,
                        _("smoothing factors lambda %g and mu %g do not fit Taubin smoothing: "
                          "lambda must lie in (0, 1] and mu in [-1, -lambda), e.g. 0.5 and "
                          "-0.53"),
                        lambda, mu);
  if (!indices_valid(mesh))
    return vp_error_set(err, VP_ERR_INVALID, _("the mesh refers to vertices it does not have"));
  return true;
}

bool vp_mesh_smooth_taubin(VpMesh *mesh, int iterations, double lambda, double mu, VpError *err)
{
  if (!check_parameters(mesh, iterations, lambda, mu, err))
    return false;
  if (iterations == 0 || mesh->vertex_count == 0)
    return true;
  Neighbours nb = {0};
  float *scratch = malloc((size_t)mesh->vertex_count * 3 * sizeof *scratch);
  bool ok = scratch && neighbours_build(&nb, mesh);
  if (ok) {
    for (int i = 0; i < iterations; i++) {
      umbrella_step(&nb, mesh->vertex_count, mesh->positions, scratch, lambda);
      umbrella_step(&nb, mesh->vertex_count, scratch, mesh->positions, mu);
    }
    vp_mesh_compute_normals(mesh);
  }
  neighbours_clear(&nb);
  free(scratch);
  if (!ok) {
    char n[32];
    return vp_error_set(err, VP_ERR_NOMEM, _("out of memory smoothing a mesh of %s vertices"),
                        vp_format_count(mesh->vertex_count, n));
  }
  return true;
}
