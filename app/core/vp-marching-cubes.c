/* Marching cubes over one label of a mask, giving a closed, manifold,
 * outward-facing surface in world mm.
 *
 * Why it is closed: the classic Lorensen table decides ambiguous cube faces
 * differently in the two cubes sharing the face and leaves holes. Here the
 * case table is generated from one rule applied per face (a face with two
 * diagonal inside corners joins them), so both cubes sharing a face cut it
 * identically, and within a cube the pieces follow the same rule: inside
 * corners are one body (26-connectivity of the label), outside corners joined
 * by cube edges are one body (6-connectivity of the background). Each cube
 * therefore holds one disk per outside body, except when the only inside
 * corners are the two ends of a body diagonal: then a tube joins them. A
 * polygon is fanned from a corner unless a fan diagonal would lie on a cube
 * face, where the neighbouring cube could draw the same edge; then it is fanned
 * from its centroid. Vertices are shared by grid edge, so nothing needs welding. */
#include "vp-surface.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vp-intl-private.h"

#define NO_VERTEX UINT32_MAX
#define MAX_CASE_TRIANGLES 12
#define MAX_POLYGONS 4
#define CENTROID 12 /* triangle corner 12 + p: the centroid of polygon p */

typedef struct CubeCase {
  uint8_t triangle_count;
  uint8_t polygon_count;
  uint8_t polygon_size[MAX_POLYGONS];
  int8_t polygon_edges[MAX_POLYGONS][12];
  int8_t triangles[MAX_CASE_TRIANGLES][3];
} CubeCase;

/* ---- the case table ---- */

/* Corner c of the unit cube sits at (c & 1, c >> 1 & 1, c >> 2 & 1). Edge e
 * runs along axis e / 4; e % 4 gives the two other coordinates. */
static void other_axes(int axis, int *u, int *v)
{
  *u = axis == 0 ? 1 : 0;
  *v = axis == 2 ? 1 : 2;
}

static int edge_between(int c0, int c1)
{
  int diff = c0 ^ c1, axis = diff == 1 ? 0 : diff == 2 ? 1 : 2, low = c0 & c1, u, v;
  other_axes(axis, &u, &v);
  return 4 * axis + ((low >> u) & 1) + 2 * ((low >> v) & 1);
}

static void edge_low_corner(int e, int *corner, int *axis)
{
  int u, v;
  *axis = e / 4;
  other_axes(*axis, &u, &v);
  *corner = ((e % 4) & 1) << u | ((e % 4) >> 1) << v;
}

static void corner_position(int c, double p[3])
{
  for (int a = 0; a < 3; a++)
    p[a] = (c >> a) & 1;
}

static void edge_midpoint(int e, double p[3])
{
  int corner, axis;
  edge_low_corner(e, &corner, &axis);
  corner_position(corner, p);
  p[axis] += 0.5;
}

static bool edges_share_face(int e0, int e1)
{
  int c0, a0, c1, a1;
  edge_low_corner(e0, &c0, &a0);
  edge_low_corner(e1, &c1, &a1);
  /* Two edges lie on a common face when some axis, other than both edge
   * directions, has the same coordinate on both. */
  for (int a = 0; a < 3; a++)
    if (a != a0 && a != a1 && ((c0 >> a) & 1) == ((c1 >> a) & 1))
      return true;
  return false;
}

/* Directs the segment ea-eb on the face with outward normal sign * axis so
 * that, seen from outside the label, the surface runs counter-clockwise:
 * the reference corner (inside or not) must lie on the matching side. */
static void add_segment(int8_t next[12], int ea, int eb, int ref_corner, bool ref_inside,
                        int axis, int sign)
{
  double pa[3], pb[3], pc[3], d[3], t[3];
  edge_midpoint(ea, pa);
  edge_midpoint(eb, pb);
  corner_position(ref_corner, pc);
  for (int a = 0; a < 3; a++) {
    d[a] = (pa[a] + pb[a]) / 2 - pc[a];
    t[a] = pb[a] - pa[a];
  }
  int u = (axis + 1) % 3, v = (axis + 2) % 3;
  double along_normal = (d[u] * t[v] - d[v] * t[u]) * sign;
  if ((along_normal < 0) != ref_inside) {
    int swap = ea;
    ea = eb;
    eb = swap;
  }
  next[ea] = (int8_t)eb;
}

/* The segments of one face: two crossings are joined; four (diagonal inside
 * corners) are joined around each outside corner, keeping the inside ones
 * connected. */
static void face_segments(int cfg, int axis, int side, int8_t next[12])
{
  int u, v, q[4], e[4];
  bool in[4];
  other_axes(axis, &u, &v);
  int base = side << axis;
  q[0] = base, q[1] = base | 1 << u, q[2] = base | 1 << u | 1 << v, q[3] = base | 1 << v;
  for (int k = 0; k < 4; k++)
    in[k] = (cfg >> q[k]) & 1;
  int crossings[4], count = 0;
  for (int k = 0; k < 4; k++) {
    e[k] = edge_between(q[k], q[(k + 1) % 4]);
    if (in[k] != in[(k + 1) % 4])
      crossings[count++] = k;
  }
  int sign = side ? 1 : -1;
  if (count == 2)
    add_segment(next, e[crossings[0]], e[crossings[1]], q[0], in[0], axis, sign);
  else if (count == 4)
    for (int k = 0; k < 4; k++)
      if (!in[k])
        add_segment(next, e[(k + 3) % 4], e[k], q[k], false, axis, sign);
}

static void trace_polygons(const int8_t next[12], CubeCase *cc)
{
  bool seen[12] = {false};
  for (int start = 0; start < 12; start++) {
    if (next[start] < 0 || seen[start])
      continue;
    int p = cc->polygon_count++;
    for (int e = start; !seen[e]; e = next[e]) {
      seen[e] = true;
      cc->polygon_edges[p][cc->polygon_size[p]++] = (int8_t)e;
    }
  }
}

static void add_triangle(CubeCase *cc, int a, int b, int c)
{
  int8_t *t = cc->triangles[cc->triangle_count++];
  t[0] = (int8_t)a, t[1] = (int8_t)b, t[2] = (int8_t)c;
}

/* A fan from vertex `from` is safe when none of its diagonals lies on a face. */
static bool fan_is_safe(const CubeCase *cc, int p, int from)
{
  int n = cc->polygon_size[p];
  for (int k = 2; k < n - 1; k++)
    if (edges_share_face(cc->polygon_edges[p][from], cc->polygon_edges[p][(from + k) % n]))
      return false;
  return true;
}

static void triangulate_polygon(CubeCase *cc, int p)
{
  int n = cc->polygon_size[p];
  const int8_t *e = cc->polygon_edges[p];
  for (int from = 0; from < n; from++)
    if (fan_is_safe(cc, p, from)) {
      for (int k = 1; k < n - 1; k++)
        add_triangle(cc, e[from], e[(from + k) % n], e[(from + k + 1) % n]);
      return;
    }
  for (int k = 0; k < n; k++)
    add_triangle(cc, CENTROID + p, e[k], e[(k + 1) % n]);
}

static double squared_distance(int e0, int e1)
{
  double a[3], b[3];
  edge_midpoint(e0, a);
  edge_midpoint(e1, b);
  return (a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) +
         (a[2] - b[2]) * (a[2] - b[2]);
}

/* Joins the two triangles around diagonal inside corners by a band of six
 * triangles. Each keeps its boundary direction (p_i -> p_i+1, q_j -> q_j+1),
 * which is what the neighbouring cubes expect; of the three rotations of the
 * band the one with the shortest rungs is taken. */
static void build_tube(CubeCase *cc)
{
  const int8_t *p = cc->polygon_edges[0], *q = cc->polygon_edges[1];
  int best = 0;
  double best_length = INFINITY;
  for (int s = 0; s < 3; s++) {
    double length = 0;
    for (int i = 0; i < 3; i++)
      length += squared_distance(p[i], q[(s - i + 3) % 3]) +
                squared_distance(p[(i + 1) % 3], q[(s - i + 3) % 3]);
    if (length < best_length) {
      best_length = length;
      best = s;
    }
  }
  for (int i = 0; i < 3; i++) {
    int qa = q[(best - i + 3) % 3], qb = q[(best - i + 2) % 3];
    add_triangle(cc, p[i], p[(i + 1) % 3], qa);
    add_triangle(cc, qb, qa, p[(i + 1) % 3]);
  }
}

static bool is_diagonal_pair(int cfg)
{
  for (int c = 0; c < 4; c++)
    if (cfg == (1 << c | 1 << (7 - c)))
      return true;
  return false;
}

static void build_case(int cfg, CubeCase *cc)
{
  int8_t next[12];
  memset(next, -1, sizeof next);
  memset(cc, 0, sizeof *cc);
  for (int axis = 0; axis < 3; axis++)
    for (int side = 0; side < 2; side++)
      face_segments(cfg, axis, side, next);
  trace_polygons(next, cc);
  if (is_diagonal_pair(cfg)) {
    build_tube(cc);
    return;
  }
  for (int p = 0; p < cc->polygon_count; p++)
    triangulate_polygon(cc, p);
}

static void build_table(CubeCase table[256])
{
  for (int cfg = 0; cfg < 256; cfg++)
    build_case(cfg, &table[cfg]);
}

/* ---- the mask ---- */

/* flags[i] = 1 where the voxel at start + i holds label. */
static void match_row(const VpVolume *mask, size_t start, int n, int label, uint8_t *flags)
{
  switch (mask->type) {
  case VP_VOXEL_U8:
    for (int i = 0; i < n; i++)
      flags[i] = ((const uint8_t *)mask->data)[start + i] == label;
    break;
  case VP_VOXEL_I16:
    for (int i = 0; i < n; i++)
      flags[i] = ((const int16_t *)mask->data)[start + i] == label;
    break;
  case VP_VOXEL_U16:
    for (int i = 0; i < n; i++)
      flags[i] = ((const uint16_t *)mask->data)[start + i] == label;
    break;
  case VP_VOXEL_I32:
    for (int i = 0; i < n; i++)
      flags[i] = ((const int32_t *)mask->data)[start + i] == label;
    break;
  case VP_VOXEL_F32:
    for (int i = 0; i < n; i++)
      flags[i] = vp_label_from_value(((const float *)mask->data)[start + i]) == label;
    break;
  }
}

typedef struct Box {
  int lo[3], hi[3];
} Box;

static void box_add_row(Box *box, const uint8_t *flags, int n, int j, int k)
{
  int first = 0, last = n - 1;
  while (first < n && !flags[first])
    first++;
  if (first == n)
    return;
  while (!flags[last])
    last--;
  int lo[3] = {first, j, k}, hi[3] = {last, j, k};
  for (int a = 0; a < 3; a++) {
    box->lo[a] = lo[a] < box->lo[a] ? lo[a] : box->lo[a];
    box->hi[a] = hi[a] > box->hi[a] ? hi[a] : box->hi[a];
  }
}

/* Voxel bounding box of the label; false (with err naming the labels
 * present) when the label is absent. */
static bool label_box(const VpVolume *mask, int label, Box *box, VpError *err)
{
  uint8_t *flags = malloc((size_t)mask->dims[0]);
  if (!flags)
    return vp_error_set(err, VP_ERR_NOMEM, _("out of memory"));
  *box = (Box){{mask->dims[0], mask->dims[1], mask->dims[2]}, {-1, -1, -1}};
  for (int k = 0; k < mask->dims[2]; k++)
    for (int j = 0; j < mask->dims[1]; j++) {
      size_t start = (size_t)mask->dims[0] * ((size_t)j + (size_t)mask->dims[1] * (size_t)k);
      match_row(mask, start, mask->dims[0], label, flags);
      box_add_row(box, flags, mask->dims[0], j, k);
    }
  free(flags);
  if (box->hi[0] >= 0)
    return true;
  vp_volume_require_label(mask, label, err); /* fills err with the labels present */
  return false;
}

/* The label inside its box, padded by one empty voxel on every side so that
 * the surface closes where the label touches the border of the grid. Grid
 * point (x, y, z) is voxel box.lo + (x, y, z) - 1. */
typedef struct Grid {
  int n[3];
  int origin[3];
  uint8_t *inside;
} Grid;

static bool grid_fill(Grid *g, const VpVolume *mask, int label, const Box *box, VpError *err)
{
  for (int a = 0; a < 3; a++) {
    g->n[a] = box->hi[a] - box->lo[a] + 3;
    g->origin[a] = box->lo[a] - 1;
  }
  /* Each n[a] is at most the mask's dimension + 2, so the product is bounded by
   * what the mask itself occupies (plus a thin shell). */
  size_t count = (size_t)g->n[0] * (size_t)g->n[1] * (size_t)g->n[2];
  g->inside = calloc(count, 1);
  if (!g->inside) {
    char n[32];
    return vp_error_set(err, VP_ERR_NOMEM, _("out of memory for a grid of %s voxels"),
                        vp_format_count(count, n));
  }
  int width = box->hi[0] - box->lo[0] + 1;
  for (int z = 1; z < g->n[2] - 1; z++)
    for (int y = 1; y < g->n[1] - 1; y++) {
      size_t j = (size_t)(g->origin[1] + y), k = (size_t)(g->origin[2] + z);
      size_t start = (size_t)box->lo[0] + (size_t)mask->dims[0] * (j + (size_t)mask->dims[1] * k);
      size_t row = 1 + (size_t)g->n[0] * ((size_t)y + (size_t)g->n[1] * (size_t)z);
      match_row(mask, start, width, label, g->inside + row);
    }
  return true;
}

/* A first-in first-out list of grid indices that grows as needed: a flood
 * from the border holds a wavefront, far smaller than the grid. */
typedef struct Queue {
  size_t *items;
  size_t head, tail, capacity;
} Queue;

static bool queue_push(Queue *q, size_t item)
{
  if (q->tail == q->capacity) {
    if (q->head > q->capacity / 2) { /* reuse the consumed front */
      memmove(q->items, q->items + q->head, (q->tail - q->head) * sizeof *q->items);
      q->tail -= q->head;
      q->head = 0;
    } else {
      size_t grown = q->capacity ? 2 * q->capacity : 4096;
      size_t *bigger = grown < SIZE_MAX / sizeof *bigger
                           ? realloc(q->items, grown * sizeof *bigger)
                           : NULL;
      if (!bigger)
        return false;
      q->items = bigger;
      q->capacity = grown;
    }
  }
  q->items[q->tail++] = item;
  return true;
}

#define OUTSIDE_REACHED 2

/* Marks the background face-neighbours of a voxel off the border (so all six
 * exist) as reached and queues them: the background's connectivity. */
static bool flood_from(Queue *q, uint8_t *inside, const ptrdiff_t step[6], size_t at)
{
  for (int d = 0; d < 6; d++) {
    size_t next = (size_t)((ptrdiff_t)at + step[d]);
    if (inside[next] == 0) {
      inside[next] = OUTSIDE_REACHED;
      if (!queue_push(q, next))
        return false;
    }
  }
  return true;
}

/* The padding layer is background and joins everything outside the label:
 * marked reached, it seeds the flood without ever being queued itself. */
static bool seed_from_padding(Queue *q, uint8_t *inside, const int n[3])
{
  for (int z = 0; z < n[2]; z++)
    for (int y = 0; y < n[1]; y++)
      for (int x = 0; x < n[0]; x++) {
        bool border = x == 0 || y == 0 || z == 0 || x == n[0] - 1 || y == n[1] - 1 || z == n[2] - 1;
        size_t at = (size_t)x + (size_t)n[0] * ((size_t)y + (size_t)n[1] * (size_t)z);
        if (border)
          inside[at] = OUTSIDE_REACHED;
        else if (inside[at] == 0 && (x == 1 || y == 1 || z == 1 || x == n[0] - 2 ||
                                     y == n[1] - 2 || z == n[2] - 2)) {
          inside[at] = OUTSIDE_REACHED;
          if (!queue_push(q, at))
            return false;
        }
      }
  return true;
}

/* Fills background pockets the label encloses (gaps in a segmentation): they
 * would give inner surfaces, which a needle path or a volume must not see. */
static bool fill_cavities(Grid *g, VpError *err)
{
  ptrdiff_t nx = g->n[0], plane = nx * g->n[1];
  const ptrdiff_t step[6] = {-1, 1, -nx, nx, -plane, plane};
  Queue q = {0};
  bool ok = seed_from_padding(&q, g->inside, g->n);
  while (ok && q.head < q.tail)
    ok = flood_from(&q, g->inside, step, q.items[q.head++]);
  free(q.items);
  if (!ok)
    return vp_error_set(err, VP_ERR_NOMEM, _("out of memory filling cavities of the label"));
  size_t count = (size_t)g->n[0] * (size_t)g->n[1] * (size_t)g->n[2];
  for (size_t at = 0; at < count; at++)
    g->inside[at] = g->inside[at] != OUTSIDE_REACHED;
  return true;
}

/* ---- the mesh under construction ---- */

typedef struct Builder {
  float *positions;
  uint32_t *indices;
  size_t vertex_count, vertex_capacity;
  size_t triangle_count, triangle_capacity;
  VpMat4 to_world;
  bool flip; /* the affine mirrors: reverse every triangle */
  bool failed;
} Builder;

static bool grow(void **array, size_t *capacity, size_t needed, size_t item_size)
{
  if (needed <= *capacity)
    return true;
  size_t grown = *capacity ? *capacity * 2 : 4096;
  if (grown < needed)
    grown = needed;
  if (grown > SIZE_MAX / item_size)
    return false;
  void *bigger = realloc(*array, grown * item_size);
  if (!bigger)
    return false;
  *array = bigger;
  *capacity = grown;
  return true;
}

/* Adds a vertex given in voxel coordinates. */
static uint32_t add_vertex(Builder *b, VpVec3 voxel)
{
  if (b->failed || b->vertex_count >= UINT32_MAX - 1 ||
      !grow((void **)&b->positions, &b->vertex_capacity, b->vertex_count + 1, 3 * sizeof(float))) {
    b->failed = true;
    return 0;
  }
  VpVec3 w = vp_mat4_transform_point(b->to_world, voxel);
  float *p = b->positions + 3 * b->vertex_count;
  p[0] = (float)w.x, p[1] = (float)w.y, p[2] = (float)w.z;
  return (uint32_t)b->vertex_count++;
}

static void add_mesh_triangle(Builder *b, uint32_t v0, uint32_t v1, uint32_t v2)
{
  if (b->failed || b->triangle_count >= VP_MESH_MAX_TRIANGLES ||
      !grow((void **)&b->indices, &b->triangle_capacity, b->triangle_count + 1,
            3 * sizeof(uint32_t))) {
    b->failed = true;
    return;
  }
  uint32_t *t = b->indices + 3 * b->triangle_count++;
  t[0] = v0, t[1] = b->flip ? v2 : v1, t[2] = b->flip ? v1 : v2;
}

/* Vertex ids of the grid edges of two slices: x and y edges starting in
 * slice z (by parity of z) and z edges from slice z to z + 1. */
typedef struct EdgeCache {
  uint32_t *along[2][2]; /* [slice parity][axis x or y] */
  uint32_t *up;          /* z edges of the current layer */
  size_t plane;
} EdgeCache;

static bool cache_init(EdgeCache *c, const Grid *g)
{
  c->plane = (size_t)g->n[0] * (size_t)g->n[1];
  bool ok = true;
  for (int s = 0; s < 2; s++)
    for (int a = 0; a < 2; a++)
      ok = (c->along[s][a] = malloc(c->plane * sizeof(uint32_t))) != NULL && ok;
  ok = (c->up = malloc(c->plane * sizeof(uint32_t))) != NULL && ok;
  return ok;
}

static void cache_clear(EdgeCache *c)
{
  for (int s = 0; s < 2; s++)
    for (int a = 0; a < 2; a++)
      free(c->along[s][a]);
  free(c->up);
}

static void cache_reset(uint32_t *ids, size_t count)
{
  memset(ids, 0xff, count * sizeof *ids); /* every byte 0xff: NO_VERTEX */
}

/* Voxel coordinates of the crossing on edge e of the cube at grid (x, y, z):
 * the midpoint, since the field is binary and the iso-level 0.5. */
static VpVec3 crossing_point(const Grid *g, int x, int y, int z, int e)
{
  double p[3];
  edge_midpoint(e, p);
  return vp_vec3(g->origin[0] + x + p[0], g->origin[1] + y + p[1], g->origin[2] + z + p[2]);
}

/* The vertex on edge e of the cube at (x, y, z), made on first use. */
static uint32_t edge_vertex(Builder *b, EdgeCache *c, const Grid *g, int x, int y, int z, int e)
{
  int corner, axis;
  edge_low_corner(e, &corner, &axis);
  int gx = x + (corner & 1), gy = y + (corner >> 1 & 1), gz = z + (corner >> 2 & 1);
  size_t at = (size_t)gx + (size_t)g->n[0] * (size_t)gy;
  uint32_t *slot = axis == 2 ? &c->up[at] : &c->along[gz & 1][axis][at];
  if (*slot == NO_VERTEX)
    *slot = add_vertex(b, crossing_point(g, x, y, z, e));
  return *slot;
}

static uint32_t centroid_vertex(Builder *b, const Grid *g, int x, int y, int z,
                                const CubeCase *cc, int p)
{
  VpVec3 sum = vp_vec3(0, 0, 0);
  for (int k = 0; k < cc->polygon_size[p]; k++)
    sum = vp_vec3_add(sum, crossing_point(g, x, y, z, cc->polygon_edges[p][k]));
  return add_vertex(b, vp_vec3_scale(sum, 1.0 / cc->polygon_size[p]));
}

static void march_cube(Builder *b, EdgeCache *c, const Grid *g, const CubeCase *cc, int x, int y,
                       int z)
{
  uint32_t ids[CENTROID + MAX_POLYGONS];
  for (int p = 0; p < cc->polygon_count; p++) {
    for (int k = 0; k < cc->polygon_size[p]; k++) {
      int e = cc->polygon_edges[p][k];
      ids[e] = edge_vertex(b, c, g, x, y, z, e);
    }
    ids[CENTROID + p] = NO_VERTEX;
  }
  for (int t = 0; t < cc->triangle_count; t++)
    for (int k = 0; k < 3; k++) {
      int corner = cc->triangles[t][k];
      if (corner >= CENTROID && ids[corner] == NO_VERTEX)
        ids[corner] = centroid_vertex(b, g, x, y, z, cc, corner - CENTROID);
    }
  if (b->failed)
    return;
  for (int t = 0; t < cc->triangle_count; t++) {
    const int8_t *tri = cc->triangles[t];
    add_mesh_triangle(b, ids[tri[0]], ids[tri[1]], ids[tri[2]]);
  }
}

static int cube_config(const Grid *g, size_t at)
{
  size_t nx = (size_t)g->n[0], plane = nx * (size_t)g->n[1];
  const uint8_t *v = g->inside + at;
  return v[0] | v[1] << 1 | v[nx] << 2 | v[nx + 1] << 3 | v[plane] << 4 | v[plane + 1] << 5 |
         v[plane + nx] << 6 | v[plane + nx + 1] << 7;
}

static void march_layer(Builder *b, EdgeCache *c, const Grid *g, const CubeCase *table, int z)
{
  cache_reset(c->along[(z + 1) & 1][0], c->plane);
  cache_reset(c->along[(z + 1) & 1][1], c->plane);
  cache_reset(c->up, c->plane);
  for (int y = 0; y + 1 < g->n[1]; y++)
    for (int x = 0; x + 1 < g->n[0]; x++) {
      size_t at = (size_t)x + (size_t)g->n[0] * ((size_t)y + (size_t)g->n[1] * (size_t)z);
      int cfg = cube_config(g, at);
      if (cfg != 0 && cfg != 255)
        march_cube(b, c, g, &table[cfg], x, y, z);
    }
}

static bool march(Builder *b, const Grid *g, VpError *err)
{
  CubeCase *table = malloc(256 * sizeof *table);
  EdgeCache cache = {0};
  bool ok = table && cache_init(&cache, g);
  if (ok) {
    build_table(table);
    cache_reset(cache.along[0][0], cache.plane);
    cache_reset(cache.along[0][1], cache.plane);
    for (int z = 0; z + 1 < g->n[2] && !b->failed; z++)
      march_layer(b, &cache, g, table, z);
  }
  cache_clear(&cache);
  free(table);
  if (!ok || b->failed) {
    char n[32];
    return vp_error_set(err, VP_ERR_NOMEM,
                        _("out of memory (or over the mesh size limit) after %s triangles"),
                        vp_format_count(b->triangle_count, n));
  }
  return true;
}

static VpMesh *builder_to_mesh(const Builder *b, VpError *err)
{
  VpMesh *mesh = vp_mesh_new((uint32_t)b->vertex_count, (uint32_t)b->triangle_count, err);
  if (!mesh)
    return NULL;
  if (b->vertex_count)
    memcpy(mesh->positions, b->positions, b->vertex_count * 3 * sizeof(float));
  if (b->triangle_count)
    memcpy(mesh->indices, b->indices, b->triangle_count * 3 * sizeof(uint32_t));
  vp_mesh_compute_normals(mesh);
  return mesh;
}

static double affine_determinant(const VpMat4 *m)
{
  VpMat3 r;
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      r.m[i][j] = m->m[i][j];
  return vp_mat3_determinant(r);
}

static VpMesh *extract(const VpVolume *mask, int label, bool fill, VpError *err)
{
  for (int a = 0; a < 3; a++) /* the padded grid counts dims + 2 in an int */
    if (mask->dims[a] > INT32_MAX - 3) {
      vp_error_set(err, VP_ERR_LIMIT, _("the mask is too large for surface extraction"));
      return NULL;
    }
  Box box;
  Grid grid = {0};
  if (!label_box(mask, label, &box, err) || !grid_fill(&grid, mask, label, &box, err) ||
      (fill && !fill_cavities(&grid, err))) {
    free(grid.inside);
    return NULL;
  }
  Builder b = {.to_world = mask->voxel_to_world,
               .flip = affine_determinant(&mask->voxel_to_world) < 0};
  VpMesh *mesh = march(&b, &grid, err) ? builder_to_mesh(&b, err) : NULL;
  free(grid.inside);
  free(b.positions);
  free(b.indices);
  return mesh;
}

void vp_surface_options_default(const VpVolume *mask, VpSurfaceOptions *opts)
{
  double lo = mask->spacing_mm[0], hi = mask->spacing_mm[0];
  for (int a = 1; a < 3; a++) {
    lo = fmin(lo, mask->spacing_mm[a]);
    hi = fmax(hi, mask->spacing_mm[a]);
  }
  *opts = (VpSurfaceOptions){
      .fill_cavities = true,
      .smooth = lo > 0 && hi / lo > VP_SURFACE_SMOOTH_ANISOTROPY,
      .smooth_iterations = 10,
      .smooth_lambda = 0.5,
      .smooth_mu = -0.53,
  };
}

VpMesh *vp_volume_extract_label_surface(const VpVolume *mask, int label,
                                        const VpSurfaceOptions *opts, VpError *err)
{
  VpSurfaceOptions defaults;
  if (!opts) {
    vp_surface_options_default(mask, &defaults);
    opts = &defaults;
  }
  VpMesh *mesh = extract(mask, label, opts->fill_cavities, err);
  if (mesh && opts->smooth &&
      !vp_mesh_smooth_taubin(mesh, opts->smooth_iterations, opts->smooth_lambda, opts->smooth_mu,
                             err)) {
    vp_mesh_free(mesh);
    return NULL;
  }
  return mesh;
}
