/* Measures of an indexed mesh: bounds, area, volume, connected components and
 * the edge check that tells a closed, consistently oriented surface. */
#include "vp-mesh.h"

#include <stdlib.h>
#include <string.h>

#include "vp-intl-private.h"

static VpVec3 vertex_at(const VpMesh *mesh, uint32_t v)
{
  const float *p = mesh->positions + 3 * (size_t)v;
  return vp_vec3(p[0], p[1], p[2]);
}

/* Corners of triangle t in double precision; false when an index is out of range. */
static bool triangle_corners(const VpMesh *mesh, uint32_t t, VpVec3 c[3])
{
  const uint32_t *idx = mesh->indices + 3 * (size_t)t;
  for (int k = 0; k < 3; k++) {
    if (idx[k] >= mesh->vertex_count)
      return false;
    c[k] = vertex_at(mesh, idx[k]);
  }
  return true;
}

static bool indices_valid(const VpMesh *mesh, VpError *err)
{
  size_t n = (size_t)mesh->triangle_count * 3;
  for (size_t i = 0; i < n; i++)
    if (mesh->indices[i] >= mesh->vertex_count)
      return vp_error_set(err, VP_ERR_INVALID, _("triangle %u refers to vertex %u of only %u"),
                          (unsigned)(i / 3 + 1), mesh->indices[i], mesh->vertex_count);
  return true;
}

VpBox3 vp_mesh_bounds(const VpMesh *mesh)
{
  VpBox3 box = vp_box3_empty();
  for (uint32_t v = 0; v < mesh->vertex_count; v++)
    box = vp_box3_extend(box, vertex_at(mesh, v));
  return box;
}

double vp_mesh_surface_area_mm2(const VpMesh *mesh)
{
  double twice_area = 0.0;
  VpVec3 c[3];
  for (uint32_t t = 0; t < mesh->triangle_count; t++)
    if (triangle_corners(mesh, t, c))
      twice_area += vp_vec3_length(vp_vec3_cross(vp_vec3_sub(c[1], c[0]), vp_vec3_sub(c[2], c[0])));
  return twice_area / 2.0;
}

double vp_mesh_signed_volume_mm3(const VpMesh *mesh)
{
  /* Each triangle spans a tetrahedron with the origin of volume a.(b x c)/6;
   * the signs cancel outside a closed surface and leave its enclosed volume. */
  double six_volume = 0.0;
  VpVec3 c[3];
  for (uint32_t t = 0; t < mesh->triangle_count; t++)
    if (triangle_corners(mesh, t, c))
      six_volume += vp_vec3_dot(c[0], vp_vec3_cross(c[1], c[2]));
  return six_volume / 6.0;
}

/* ---- components: union-find over the vertices of each triangle ---- */

static uint32_t uf_find(uint32_t *parent, uint32_t v)
{
  while (parent[v] != v) {
    parent[v] = parent[parent[v]]; /* path halving keeps trees flat */
    v = parent[v];
  }
  return v;
}

static void uf_union(uint32_t *parent, uint32_t a, uint32_t b)
{
  a = uf_find(parent, a);
  b = uf_find(parent, b);
  /* Smaller root under larger: no rank array, still shallow with path halving. */
  if (a < b)
    parent[a] = b;
  else if (b < a)
    parent[b] = a;
}

/* Numbers the roots of used vertices 0, 1, ... and writes each vertex's number. */
static uint32_t label_components(const VpMesh *mesh, uint32_t *parent, const uint8_t *used,
                                 uint32_t *label)
{
  uint32_t count = 0;
  for (uint32_t v = 0; v < mesh->vertex_count; v++)
    if (used[v] && uf_find(parent, v) == v)
      label[v] = count++;
  for (uint32_t v = 0; v < mesh->vertex_count; v++)
    label[v] = used[v] ? label[uf_find(parent, v)] : UINT32_MAX;
  return count;
}

/* Joins the corners of every triangle and marks them used. */
static void union_triangles(const VpMesh *mesh, uint32_t *parent, uint8_t *used)
{
  for (uint32_t v = 0; v < mesh->vertex_count; v++)
    parent[v] = v;
  for (size_t i = 0; i < (size_t)mesh->triangle_count * 3; i += 3) {
    const uint32_t *t = mesh->indices + i;
    used[t[0]] = used[t[1]] = used[t[2]] = 1;
    uf_union(parent, t[0], t[1]);
    uf_union(parent, t[1], t[2]);
  }
}

uint32_t vp_mesh_components(const VpMesh *mesh, uint32_t *component_of_vertex, VpError *err)
{
  if (!indices_valid(mesh, err))
    return 0;
  size_t n = mesh->vertex_count ? mesh->vertex_count : 1;
  uint32_t *parent = malloc(n * sizeof *parent);
  uint32_t *label = component_of_vertex ? component_of_vertex : malloc(n * sizeof *label);
  uint8_t *used = calloc(n, 1);
  uint32_t count = 0;
  if (parent && label && used) {
    union_triangles(mesh, parent, used);
    count = label_components(mesh, parent, used, label);
  } else {
    vp_error_set(err, VP_ERR_NOMEM, _("out of memory while finding connected parts"));
  }
  free(parent);
  free(used);
  if (label != component_of_vertex)
    free(label);
  return count;
}

/* ---- edges ---- */

#define RADIX_BITS 11
#define RADIX_SIZE (1u << RADIX_BITS)

/* Least significant digit radix sort, 11 bits per pass (the counts fit on the
 * stack); passes in which every key has the same digit, such as the high
 * vertex bits of meshes with few vertices, are skipped. */
static void radix_sort_u64(uint64_t *keys, uint64_t *tmp, size_t n)
{
  size_t count[RADIX_SIZE];
  for (int shift = 0; shift < 64; shift += RADIX_BITS) {
    memset(count, 0, sizeof count);
    for (size_t i = 0; i < n; i++)
      count[(keys[i] >> shift) & (RADIX_SIZE - 1)]++;
    if (n == 0 || count[(keys[0] >> shift) & (RADIX_SIZE - 1)] == n)
      continue;
    size_t sum = 0;
    for (size_t d = 0; d < RADIX_SIZE; d++) {
      size_t c = count[d];
      count[d] = sum;
      sum += c;
    }
    for (size_t i = 0; i < n; i++)
      tmp[count[(keys[i] >> shift) & (RADIX_SIZE - 1)]++] = keys[i];
    memcpy(keys, tmp, n * sizeof *keys);
  }
}

/* A directed edge as one sortable key: the undirected edge (low vertex, high
 * vertex) above a direction bit, so both directions of an edge sort next to
 * each other. Needs vertex indices below 2^31 (checked by the caller). */
static uint64_t edge_key(uint32_t from, uint32_t to)
{
  uint64_t lo = from < to ? from : to, hi = from < to ? to : from;
  return lo << 33 | hi << 1 | (from > to);
}

static void classify_edge(VpEdgeReport *r, size_t forward, size_t backward)
{
  r->edges++;
  size_t uses = forward + backward;
  if (uses == 1)
    r->boundary_edges++;
  else if (uses > 2)
    r->nonmanifold_edges++;
  else if (forward != 1)
    r->misoriented_edges++;
}

/* Each run of keys with the same undirected edge is one edge; its direction
 * bits say how often it is used each way. */
static void tally_edges(const uint64_t *keys, size_t n, VpEdgeReport *r)
{
  for (size_t i = 0; i < n;) {
    size_t forward = 0, backward = 0, j = i;
    for (; j < n && keys[j] >> 1 == keys[i] >> 1; j++) {
      if (keys[j] & 1)
        backward++;
      else
        forward++;
    }
    classify_edge(r, forward, backward);
    i = j;
  }
}

/* Directed edges of all triangles; edges from a vertex to itself (collapsed
 * triangles) bound nothing and are left out. Returns the count. */
static size_t collect_edges(const VpMesh *mesh, uint64_t *keys)
{
  size_t n = 0;
  for (size_t i = 0; i < (size_t)mesh->triangle_count * 3; i += 3) {
    const uint32_t *t = mesh->indices + i;
    for (int k = 0; k < 3; k++) {
      uint32_t a = t[k], b = t[(k + 1) % 3];
      if (a != b)
        keys[n++] = edge_key(a, b);
    }
  }
  return n;
}

bool vp_mesh_check_edges(const VpMesh *mesh, VpEdgeReport *out, VpError *err)
{
  memset(out, 0, sizeof *out);
  if (!indices_valid(mesh, err))
    return false;
  if (mesh->vertex_count > (1u << 31))
    return vp_error_set(err, VP_ERR_LIMIT, _("too many vertices to check the edges"));
  size_t cap = (size_t)mesh->triangle_count * 3;
  uint64_t *keys = malloc((cap ? cap : 1) * sizeof *keys);
  uint64_t *tmp = malloc((cap ? cap : 1) * sizeof *tmp);
  if (!keys || !tmp) {
    free(keys);
    free(tmp);
    return vp_error_set(err, VP_ERR_NOMEM, _("out of memory while checking the edges"));
  }
  size_t n = collect_edges(mesh, keys);
  radix_sort_u64(keys, tmp, n);
  tally_edges(keys, n, out);
  free(keys);
  free(tmp);
  out->watertight = n > 0 && out->boundary_edges == 0 && out->nonmanifold_edges == 0 &&
                    out->misoriented_edges == 0;
  return true;
}

bool vp_mesh_measure(const VpMesh *mesh, VpMeshStats *out, VpError *err)
{
  memset(out, 0, sizeof *out);
  if (!vp_mesh_check_edges(mesh, &out->edges, err))
    return false;
  out->components = vp_mesh_components(mesh, NULL, err);
  if (out->components == 0 && mesh->triangle_count > 0)
    return false; /* err says why */
  double signed_mm3 = vp_mesh_signed_volume_mm3(mesh);
  out->triangles = mesh->triangle_count;
  out->vertices = mesh->vertex_count;
  out->bounds = vp_mesh_bounds(mesh);
  out->surface_area_mm2 = vp_mesh_surface_area_mm2(mesh);
  out->volume_ml = (signed_mm3 < 0 ? -signed_mm3 : signed_mm3) / 1000.0;
  out->outward = signed_mm3 > 0;
  return true;
}
