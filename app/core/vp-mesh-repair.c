/* Checks and repairs applied to every loaded mesh: welding, degenerate
 * triangles, consistent and outward orientation, and a report of what is
 * left for the user to judge (holes, non-manifold edges, parts, units). */
#include "vp-mesh-repair.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vp-intl-private.h"

#define NONE UINT32_MAX

static void *alloc_array(size_t count, size_t each)
{
  return count <= SIZE_MAX / each ? malloc((count ? count : 1) * each) : NULL;
}

static bool out_of_memory(VpError *err)
{
  return vp_error_set(err, VP_ERR_NOMEM, _("out of memory while checking the mesh"));
}

/* A power-of-two table size of at least twice n, and the shift that takes
 * the top bits of a 64-bit hash to an index. */
static size_t table_size(size_t n, int *shift)
{
  int bits = 4;
  while (((size_t)1 << bits) < 2 * n)
    bits++;
  *shift = 64 - bits;
  return (size_t)1 << bits;
}

static uint64_t mix3(uint32_t a, uint32_t b, uint32_t c)
{
  uint64_t h = (uint64_t)a * 0x9E3779B97F4A7C15ull;
  h ^= (uint64_t)b * 0xC2B2AE3D27D4EB4Full;
  h ^= (uint64_t)c * 0x165667B19E3779F9ull;
  h ^= h >> 29;
  return h * 0xBF58476D1CE4E5B9ull;
}

/* ---- input ---- */

static bool check_input(const VpMesh *mesh, VpError *err)
{
  char a[32], b[32], c[32];
  if (mesh->triangle_count == 0)
    return vp_error_set(err, VP_ERR_INVALID, _("the mesh has no triangles"));
  for (size_t i = 0; i < (size_t)mesh->triangle_count * 3; i++)
    if (mesh->indices[i] >= mesh->vertex_count)
      return vp_error_set(err, VP_ERR_INVALID, _("triangle %s refers to vertex %s of only %s"),
                          vp_format_count(i / 3 + 1, a), vp_format_count(mesh->indices[i], b),
                          vp_format_count(mesh->vertex_count, c));
  for (size_t i = 0; i < (size_t)mesh->vertex_count * 3; i++)
    if (!isfinite(mesh->positions[i]))
      return vp_error_set(err, VP_ERR_INVALID,
                          _("vertex %s has a coordinate that is not a finite number"),
                          vp_format_count(i / 3 + 1, a));
  return true;
}

/* ---- welding: remap[v] is the first vertex with v's position ---- */

static uint32_t float_key(float f)
{
  uint32_t bits;
  memcpy(&bits, &f, sizeof bits);
  return bits == 0x80000000u ? 0u : bits; /* -0 welds with +0 */
}

static bool same_position(const float *a, const float *b)
{
  for (int k = 0; k < 3; k++)
    if (float_key(a[k]) != float_key(b[k]))
      return false;
  return true;
}

static uint32_t weld_vertex(const VpMesh *mesh, uint32_t *slots, size_t mask, int shift, uint32_t v)
{
  const float *p = mesh->positions + 3 * (size_t)v;
  size_t i = (size_t)(mix3(float_key(p[0]), float_key(p[1]), float_key(p[2])) >> shift);
  for (;; i = (i + 1) & mask) { /* at most half full, so an empty slot comes */
    uint32_t u = slots[i];
    if (u == NONE) {
      slots[i] = v;
      return v;
    }
    if (same_position(mesh->positions + 3 * (size_t)u, p))
      return u;
  }
}

/* Only vertices some triangle uses take part, so that none is merged into
 * an unused one. */
static uint32_t *weld(const VpMesh *mesh, const uint8_t *used, VpError *err)
{
  int shift;
  size_t n = table_size(mesh->vertex_count, &shift);
  uint32_t *slots = alloc_array(n, sizeof *slots);
  uint32_t *remap = alloc_array(mesh->vertex_count, sizeof *remap);
  if (slots && remap) {
    memset(slots, 0xff, n * sizeof *slots); /* NONE everywhere */
    for (uint32_t v = 0; v < mesh->vertex_count; v++)
      remap[v] = used[v] ? weld_vertex(mesh, slots, n - 1, shift, v) : v;
  } else {
    free(remap);
    remap = NULL;
    out_of_memory(err);
  }
  free(slots);
  return remap;
}

/* ---- degenerate triangles ---- */

static VpVec3 position(const VpMesh *mesh, uint32_t v)
{
  const float *p = mesh->positions + 3 * (size_t)v;
  return vp_vec3(p[0], p[1], p[2]);
}

/* Zero area up to double rounding, relative to the longest edge. */
static bool zero_area(const VpMesh *mesh, const uint32_t *t)
{
  VpVec3 a = position(mesh, t[0]), b = position(mesh, t[1]), c = position(mesh, t[2]);
  VpVec3 ab = vp_vec3_sub(b, a), ac = vp_vec3_sub(c, a), bc = vp_vec3_sub(c, b);
  VpVec3 n = vp_vec3_cross(ab, ac);
  double longest = fmax(vp_vec3_dot(ab, ab), fmax(vp_vec3_dot(ac, ac), vp_vec3_dot(bc, bc)));
  return vp_vec3_dot(n, n) <= 1e-24 * longest * longest;
}

/* Writes the welded triangles that keep three distinct corners and some area
 * to out; returns how many. */
static uint32_t keep_triangles(const VpMesh *mesh, const uint32_t *remap, uint32_t *out)
{
  uint32_t kept = 0;
  for (size_t i = 0; i < (size_t)mesh->triangle_count * 3; i += 3) {
    uint32_t *t = out + 3 * (size_t)kept;
    for (int k = 0; k < 3; k++)
      t[k] = remap[mesh->indices[i + k]];
    if (t[0] != t[1] && t[1] != t[2] && t[0] != t[2] && !zero_area(mesh, t))
      kept++;
  }
  return kept;
}

/* ---- compaction into a new mesh ---- */

static void mark_used(const VpMesh *mesh, uint8_t *used)
{
  memset(used, 0, mesh->vertex_count);
  for (size_t i = 0; i < (size_t)mesh->triangle_count * 3; i++)
    used[mesh->indices[i]] = 1;
}

static uint32_t count_welded(const VpMesh *mesh, const uint32_t *remap)
{
  uint32_t welded = 0;
  for (uint32_t v = 0; v < mesh->vertex_count; v++)
    welded += remap[v] != v;
  return welded;
}

/* Numbers the vertices the kept triangles use 0, 1, ... in their old order. */
static uint32_t number_used(const VpMesh *mesh, const uint32_t *tris, uint32_t kept, uint8_t *used,
                            uint32_t *newid)
{
  memset(used, 0, mesh->vertex_count);
  for (size_t i = 0; i < (size_t)kept * 3; i++)
    used[tris[i]] = 1;
  uint32_t n = 0;
  for (uint32_t v = 0; v < mesh->vertex_count; v++)
    newid[v] = used[v] ? n++ : NONE;
  return n;
}

/* used is scratch space of vertex_count bytes. */
static VpMesh *compact(const VpMesh *mesh, const uint32_t *remap, const uint32_t *tris,
                       uint32_t kept, uint8_t *used, VpMeshRepairReport *r, VpError *err)
{
  uint32_t *newid = alloc_array(mesh->vertex_count, sizeof *newid);
  VpMesh *out = NULL;
  if (!newid) {
    out_of_memory(err);
  } else {
    r->welded_vertices = count_welded(mesh, remap);
    uint32_t nv = number_used(mesh, tris, kept, used, newid);
    r->dropped_unused_vertices = mesh->vertex_count - nv - r->welded_vertices;
    out = vp_mesh_new(nv, kept, err);
  }
  if (out) {
    for (uint32_t v = 0; v < mesh->vertex_count; v++)
      if (newid[v] != NONE)
        memcpy(out->positions + 3 * (size_t)newid[v], mesh->positions + 3 * (size_t)v,
               3 * sizeof(float));
    for (size_t i = 0; i < (size_t)kept * 3; i++)
      out->indices[i] = newid[tris[i]];
  }
  free(newid);
  return out;
}

/* ---- edges: mate[h] pairs the two half-edges of an edge of exactly two
 * triangles; half-edge h = 3t + k runs from corner k to corner k + 1 ---- */

#define BOUNDARY (UINT32_MAX - 1) /* mate of a half-edge alone on its edge */

typedef struct Edges {
  uint32_t *mate; /* per half-edge: its partner, BOUNDARY, or NONE when non-manifold */
  uint32_t boundary_edges, nonmanifold_edges;
} Edges;

static uint32_t he_from(const VpMesh *m, uint32_t h)
{
  return m->indices[h];
}

static uint32_t he_to(const VpMesh *m, uint32_t h)
{
  return m->indices[h - h % 3 + (h % 3 + 1) % 3];
}

static uint32_t he_low(const VpMesh *m, uint32_t h)
{
  uint32_t a = he_from(m, h), b = he_to(m, h);
  return a < b ? a : b;
}

static uint32_t he_high(const VpMesh *m, uint32_t h)
{
  uint32_t a = he_from(m, h), b = he_to(m, h);
  return a < b ? b : a;
}

/* Counting sort of the half-edges by their lower vertex: afterwards group v
 * is order[end[v - 1] .. end[v]) (from 0 for v = 0). Both sides of an edge
 * land in one group, and groups are small and local in memory. */
static void group_by_low_vertex(const VpMesh *m, uint32_t *end, uint32_t *order)
{
  size_t half_edges = (size_t)m->triangle_count * 3;
  memset(end, 0, ((size_t)m->vertex_count + 1) * sizeof *end);
  for (uint32_t h = 0; h < half_edges; h++)
    end[he_low(m, h) + 1]++;
  for (uint32_t v = 0; v < m->vertex_count; v++)
    end[v + 1] += end[v];
  for (uint32_t h = 0; h < half_edges; h++)
    order[end[he_low(m, h)]++] = h;
}

static int compare_u64(const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* Insertion sort for the usual handful (a vertex has about six edges),
 * qsort for the rare vertex of huge degree. */
static void sort_u64(uint64_t *keys, size_t n)
{
  if (n > 16) {
    qsort(keys, n, sizeof *keys, compare_u64);
    return;
  }
  for (size_t i = 1; i < n; i++) {
    uint64_t k = keys[i];
    size_t j = i;
    for (; j > 0 && keys[j - 1] > k; j--)
      keys[j] = keys[j - 1];
    keys[j] = k;
  }
}

/* Pairs up one run of half-edges on the same edge. */
static void pair_run(Edges *e, const uint64_t *keys, size_t n)
{
  uint32_t g = (uint32_t)keys[0], h = n > 1 ? (uint32_t)keys[1] : 0;
  if (n == 1) {
    e->mate[g] = BOUNDARY;
    e->boundary_edges++;
  } else if (n == 2) {
    e->mate[g] = h;
    e->mate[h] = g;
  } else {
    for (size_t i = 0; i < n; i++)
      e->mate[(uint32_t)keys[i]] = NONE;
    e->nonmanifold_edges++;
  }
}

/* Sorts one group by upper vertex (in keys, scratch as long as the group)
 * and pairs each run; O(g log g) even around a vertex of huge degree. */
static void pair_group(Edges *e, const VpMesh *m, const uint32_t *group, size_t n, uint64_t *keys)
{
  for (size_t i = 0; i < n; i++)
    keys[i] = (uint64_t)he_high(m, group[i]) << 32 | group[i];
  sort_u64(keys, n);
  for (size_t i = 0, run; i < n; i += run) {
    for (run = 1; i + run < n && keys[i + run] >> 32 == keys[i] >> 32; run++)
      ;
    pair_run(e, keys + i, run);
  }
}

static bool edges_build(Edges *e, const VpMesh *m, VpError *err)
{
  size_t half_edges = (size_t)m->triangle_count * 3;
  uint32_t *end = alloc_array((size_t)m->vertex_count + 1, sizeof *end);
  uint32_t *order = alloc_array(half_edges, sizeof *order);
  uint64_t *keys = alloc_array(half_edges, sizeof *keys);
  e->mate = alloc_array(half_edges, sizeof *e->mate);
  bool ok = end && order && keys && e->mate;
  if (ok) {
    group_by_low_vertex(m, end, order);
    for (uint32_t v = 0, begin = 0; v < m->vertex_count; begin = end[v++])
      pair_group(e, m, order + begin, end[v] - begin, keys);
  } else {
    free(e->mate);
    e->mate = NULL;
    out_of_memory(err);
  }
  free(end);
  free(order);
  free(keys);
  return ok;
}

/* ---- orientation ---- */

typedef struct Orient {
  const VpMesh *mesh;
  const Edges *edges;
  uint8_t *flip;   /* per triangle: reverse it */
  uint8_t *seen;   /* per triangle */
  uint32_t *queue; /* every triangle once, patch after patch */
} Orient;

/* Flip state for u that makes the shared edge of h (in t) and m (in u) run
 * in opposite directions. */
static uint8_t wanted_flip(const Orient *o, uint32_t h, uint32_t m)
{
  bool same_direction = he_from(o->mesh, h) == he_from(o->mesh, m);
  return (uint8_t)(o->flip[h / 3] ^ same_direction);
}

/* Breadth-first over two-triangle edges from queue[start]; returns the end
 * of the patch in the queue. Conflicts (a Moebius-like surface) are counted
 * once per edge. */
static size_t orient_patch(Orient *o, size_t start, VpMeshRepairReport *r)
{
  size_t tail = start + 1;
  for (size_t head = start; head < tail; head++) {
    uint32_t t = o->queue[head];
    for (uint32_t h = 3 * t; h < 3 * t + 3; h++) {
      uint32_t m = o->edges->mate[h];
      if (m >= BOUNDARY)
        continue;
      uint32_t u = m / 3;
      uint8_t want = wanted_flip(o, h, m);
      if (!o->seen[u]) {
        o->seen[u] = 1;
        o->flip[u] = want;
        o->queue[tail++] = u;
      } else if (o->flip[u] != want && h < m) {
        r->misoriented_edges++;
      }
    }
  }
  return tail;
}

static void flip_patch(Orient *o, size_t start, size_t end)
{
  for (size_t i = start; i < end; i++)
    o->flip[o->queue[i]] ^= 1;
}

/* Keeps the orientation most of the patch already had. */
static uint32_t keep_majority(Orient *o, size_t start, size_t end)
{
  size_t flipped = 0;
  for (size_t i = start; i < end; i++)
    flipped += o->flip[o->queue[i]];
  if (2 * flipped <= end - start)
    return (uint32_t)flipped;
  flip_patch(o, start, end);
  return (uint32_t)(end - start - flipped);
}

static bool patch_closed(const Orient *o, size_t start, size_t end)
{
  for (size_t i = start; i < end; i++)
    for (uint32_t h = 3 * o->queue[i]; h < 3 * o->queue[i] + 3; h++)
      if (o->edges->mate[h] >= BOUNDARY)
        return false;
  return true;
}

/* Six times the signed volume with the flips applied, measured from the
 * patch's first corner so that far-off meshes keep their precision. */
static double patch_volume6(const Orient *o, size_t start, size_t end)
{
  VpVec3 origin = position(o->mesh, o->mesh->indices[3 * (size_t)o->queue[start]]);
  double sum = 0.0;
  for (size_t i = start; i < end; i++) {
    const uint32_t *t = o->mesh->indices + 3 * (size_t)o->queue[i];
    VpVec3 a = vp_vec3_sub(position(o->mesh, t[0]), origin);
    VpVec3 b = vp_vec3_sub(position(o->mesh, t[1]), origin);
    VpVec3 c = vp_vec3_sub(position(o->mesh, t[2]), origin);
    double v = vp_vec3_dot(a, vp_vec3_cross(b, c));
    sum += o->flip[o->queue[i]] ? -v : v;
  }
  return sum;
}

static void orient_all(Orient *o, VpMeshRepairReport *r)
{
  size_t end = 0;
  for (uint32_t seed = 0; seed < o->mesh->triangle_count; seed++) {
    if (o->seen[seed])
      continue;
    size_t start = end;
    o->seen[seed] = 1;
    o->flip[seed] = 0;
    o->queue[start] = seed;
    end = orient_patch(o, start, r);
    r->flipped_triangles += keep_majority(o, start, end);
    if (patch_closed(o, start, end) && patch_volume6(o, start, end) < 0.0) {
      flip_patch(o, start, end);
      r->inverted_fixed = true;
    }
  }
}

static void apply_flips(VpMesh *mesh, const uint8_t *flip)
{
  for (uint32_t t = 0; t < mesh->triangle_count; t++) {
    if (!flip[t])
      continue;
    uint32_t *i = mesh->indices + 3 * (size_t)t;
    uint32_t swap = i[1];
    i[1] = i[2];
    i[2] = swap;
  }
}

static bool orient(VpMesh *mesh, const Edges *edges, VpMeshRepairReport *r, VpError *err)
{
  size_t n = mesh->triangle_count;
  Orient o = {mesh, edges, calloc(n, 1), calloc(n, 1), alloc_array(n, sizeof(uint32_t))};
  bool ok = o.flip && o.seen && o.queue;
  if (ok) {
    orient_all(&o, r);
    apply_flips(mesh, o.flip);
  } else {
    out_of_memory(err);
  }
  free(o.flip);
  free(o.seen);
  free(o.queue);
  return ok;
}

/* ---- what is left: edges, holes, parts, units ---- */

static uint32_t uf_find(uint32_t *parent, uint32_t v)
{
  while (parent[v] != v) {
    parent[v] = parent[parent[v]];
    v = parent[v];
  }
  return v;
}

/* Holes are the connected groups of boundary edges (loops touching at a
 * vertex count as one). */
static bool count_holes(const VpMesh *mesh, const Edges *e, VpMeshRepairReport *r, VpError *err)
{
  uint32_t *parent = alloc_array(mesh->vertex_count, sizeof *parent);
  if (!parent)
    return out_of_memory(err);
  for (uint32_t v = 0; v < mesh->vertex_count; v++)
    parent[v] = NONE;
  for (uint32_t h = 0; h < mesh->triangle_count * 3; h++) {
    if (e->mate[h] != BOUNDARY)
      continue;
    uint32_t a = he_from(mesh, h), b = he_to(mesh, h);
    parent[a] = parent[a] == NONE ? a : parent[a];
    parent[b] = parent[b] == NONE ? b : parent[b];
    uint32_t ra = uf_find(parent, a), rb = uf_find(parent, b);
    if (ra != rb)
      parent[ra] = rb;
  }
  for (uint32_t v = 0; v < mesh->vertex_count; v++)
    r->holes += parent[v] == v;
  free(parent);
  return true;
}

static void check_units(const VpMesh *mesh, VpMeshRepairReport *r)
{
  VpVec3 size = vp_box3_size(vp_mesh_bounds(mesh));
  double extent = fmax(size.x, fmax(size.y, size.z));
  r->looks_like_metres = extent > 0.0 && extent < VP_MESH_METRES_MAX_EXTENT;
  r->suggested_scale = r->looks_like_metres ? 1000.0 : 1.0;
}

static bool inspect_repaired(VpMesh *mesh, VpMeshRepairReport *r, VpError *err)
{
  Edges e = {0};
  if (!edges_build(&e, mesh, err))
    return false;
  bool ok = orient(mesh, &e, r, err);
  r->boundary_edges = e.boundary_edges;
  r->nonmanifold_edges = e.nonmanifold_edges;
  ok = ok && count_holes(mesh, &e, r, err);
  free(e.mate);
  if (ok)
    r->components = vp_mesh_components(mesh, NULL, err);
  ok = ok && r->components > 0;
  check_units(mesh, r);
  return ok;
}

static VpMesh *rebuild_from(const VpMesh *in, uint8_t *used, uint32_t *tris, VpMeshRepairReport *r,
                            VpError *err)
{
  mark_used(in, used);
  uint32_t *remap = weld(in, used, err);
  if (!remap)
    return NULL;
  uint32_t kept = keep_triangles(in, remap, tris);
  r->dropped_degenerate = in->triangle_count - kept;
  VpMesh *out = NULL;
  if (kept == 0)
    vp_error_set(err, VP_ERR_INVALID,
                 _("no triangle is left once the degenerate ones are "
                   "removed: every triangle has zero area"));
  else
    out = compact(in, remap, tris, kept, used, r, err);
  free(remap);
  return out;
}

/* Welds, drops degenerate triangles and unused vertices into a new mesh. */
static VpMesh *rebuild(const VpMesh *in, VpMeshRepairReport *r, VpError *err)
{
  uint8_t *used = alloc_array(in->vertex_count, 1);
  uint32_t *tris = alloc_array((size_t)in->triangle_count * 3, sizeof *tris);
  VpMesh *out = NULL;
  if (used && tris)
    out = rebuild_from(in, used, tris, r, err);
  else
    out_of_memory(err);
  free(used);
  free(tris);
  return out;
}

bool vp_mesh_repair(VpMesh **mesh_inout, VpMeshRepairReport *report, VpError *err)
{
  VpMeshRepairReport r = {.suggested_scale = 1.0};
  if (!check_input(*mesh_inout, err))
    return false;
  VpMesh *out = rebuild(*mesh_inout, &r, err);
  if (!out || !inspect_repaired(out, &r, err)) {
    vp_mesh_free(out);
    return false;
  }
  vp_mesh_compute_normals(out);
  vp_mesh_free(*mesh_inout);
  *mesh_inout = out;
  if (report)
    *report = r;
  return true;
}

/* ---- scaling ---- */

bool vp_mesh_scale(VpMesh *mesh, double factor, VpError *err)
{
  if (!(factor > 0.0 && factor <= DBL_MAX))
    return vp_error_set(err, VP_ERR_INVALID, _("a scale factor must be a positive number"));
  float largest = 0.0f;
  for (size_t i = 0; i < (size_t)mesh->vertex_count * 3; i++)
    largest = fmaxf(largest, fabsf(mesh->positions[i]));
  if ((double)largest * factor > FLT_MAX)
    return vp_error_set(err, VP_ERR_INVALID,
                        _("scaling by %g would put the model beyond the representable range"),
                        factor);
  for (size_t i = 0; i < (size_t)mesh->vertex_count * 3; i++)
    mesh->positions[i] = (float)(mesh->positions[i] * factor);
  return true;
}

/* ---- the summary line ---- */

typedef struct Line {
  char *buf;
  size_t size, used;
  const char *separator;
} Line;

/* Appends a formatted part after the separator, cutting at the end of the buffer. */
static void __attribute__((format(printf, 2, 3))) line_add(Line *l, const char *format, ...)
{
  char part[256];
  va_list args;
  va_start(args, format);
  vsnprintf(part, sizeof part, format, args);
  va_end(args);
  size_t room = l->size - l->used;
  int n = snprintf(l->buf + l->used, room, "%s%s", l->used > 0 ? l->separator : "", part);
  if (n > 0)
    l->used += (size_t)n < room ? (size_t)n : room - 1;
}

/* Plurals call dngettext itself, a keyword xgettext knows without options. */

static void summary_warnings(const VpMeshRepairReport *r, Line *l)
{
  char a[32], b[32];
  if (r->holes > 0)
    line_add(
        l,
        dngettext(GETTEXT_PACKAGE, "%s hole (%s open edges)", "%s holes (%s open edges)", r->holes),
        vp_format_count(r->holes, a), vp_format_count(r->boundary_edges, b));
  if (r->nonmanifold_edges > 0)
    line_add(l,
             dngettext(GETTEXT_PACKAGE, "%s edge shared by more than two triangles",
                       "%s edges shared by more than two triangles", r->nonmanifold_edges),
             vp_format_count(r->nonmanifold_edges, a));
  if (r->misoriented_edges > 0)
    line_add(l,
             dngettext(GETTEXT_PACKAGE, "%s edge between triangles that cannot face the same way",
                       "%s edges between triangles that cannot face the same way",
                       r->misoriented_edges),
             vp_format_count(r->misoriented_edges, a));
  if (r->components > 1)
    line_add(l, dngettext(GETTEXT_PACKAGE, "%s separate part", "%s separate parts", r->components),
             vp_format_count(r->components, a));
  if (r->looks_like_metres)
    line_add(l, _("the model looks like it is in metres: scale by %s?"),
             vp_format_count((unsigned long long)r->suggested_scale, a));
}

static void summary_repairs(const VpMeshRepairReport *r, Line *l)
{
  char a[32];
  if (r->welded_vertices > 0)
    line_add(l,
             dngettext(GETTEXT_PACKAGE, "%s duplicate vertex merged",
                       "%s duplicate vertices merged", r->welded_vertices),
             vp_format_count(r->welded_vertices, a));
  if (r->dropped_degenerate > 0)
    line_add(l,
             dngettext(GETTEXT_PACKAGE, "%s degenerate triangle removed",
                       "%s degenerate triangles removed", r->dropped_degenerate),
             vp_format_count(r->dropped_degenerate, a));
  if (r->flipped_triangles > 0)
    line_add(l,
             dngettext(GETTEXT_PACKAGE, "%s triangle turned to match its neighbours",
                       "%s triangles turned to match their neighbours", r->flipped_triangles),
             vp_format_count(r->flipped_triangles, a));
  if (r->inverted_fixed)
    line_add(l, "%s", _("the inside-out surface turned outward"));
}

char *vp_mesh_repair_summary(const VpMeshRepairReport *report, char *buf, size_t size)
{
  if (size == 0)
    return buf;
  buf[0] = '\0';
  char repairs[256] = "";
  Line warnings = {buf, size, 0, "; "}, fixes = {repairs, sizeof repairs, 0, ", "};
  summary_warnings(report, &warnings);
  summary_repairs(report, &fixes);
  if (fixes.used > 0)
    line_add(&warnings, _("repaired: %s"), repairs);
  return buf;
}
