/* Indexed triangle meshes: allocation, copying, vertex normals, welding a
 * triangle soup into an indexed mesh, and loading by file format. */
#include "vp-mesh.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vp-intl-private.h"
#include "vp-mesh-private.h"

/* Every vertex of a loadable mesh is the corner of some triangle. */
#define VP_MESH_MAX_VERTICES (3u * VP_MESH_MAX_TRIANGLES)

/* a * b without wrapping; false when it would not fit. */
static bool size_mul(size_t a, size_t b, size_t *out)
{
  if (b != 0 && a > SIZE_MAX / b)
    return false;
  *out = a * b;
  return true;
}

/* calloc of count * each bytes, never 0 bytes so that NULL always means failure. */
static void *calloc_array(size_t count, size_t each)
{
  size_t bytes;
  if (!size_mul(count, each, &bytes))
    return NULL;
  return calloc(count ? count : 1, each);
}

static bool mesh_check_limits(uint32_t vertex_count, uint32_t triangle_count, VpError *err)
{
  char a[32], b[32];
  if (triangle_count > VP_MESH_MAX_TRIANGLES)
    return vp_error_set(err, VP_ERR_LIMIT, _("mesh has %s triangles, more than the limit of %s"),
                        vp_format_count(triangle_count, a),
                        vp_format_count(VP_MESH_MAX_TRIANGLES, b));
  if (vertex_count > VP_MESH_MAX_VERTICES)
    return vp_error_set(err, VP_ERR_LIMIT, _("mesh has %s vertices, more than the limit of %s"),
                        vp_format_count(vertex_count, a), vp_format_count(VP_MESH_MAX_VERTICES, b));
  return true;
}

VpMesh *vp_mesh_new(uint32_t vertex_count, uint32_t triangle_count, VpError *err)
{
  if (!mesh_check_limits(vertex_count, triangle_count, err))
    return NULL;
  VpMesh *mesh = calloc(1, sizeof *mesh);
  if (mesh) {
    mesh->positions = calloc_array((size_t)vertex_count * 3, sizeof(float));
    mesh->normals = calloc_array((size_t)vertex_count * 3, sizeof(float));
    mesh->indices = calloc_array((size_t)triangle_count * 3, sizeof(uint32_t));
  }
  if (!mesh || !mesh->positions || !mesh->normals || !mesh->indices) {
    vp_mesh_free(mesh);
    char v[32], t[32];
    vp_error_set(err, VP_ERR_NOMEM, _("out of memory for a mesh of %s vertices and %s triangles"),
                 vp_format_count(vertex_count, v), vp_format_count(triangle_count, t));
    return NULL;
  }
  mesh->vertex_count = vertex_count;
  mesh->triangle_count = triangle_count;
  return mesh;
}

void vp_mesh_free(VpMesh *mesh)
{
  if (!mesh)
    return;
  free(mesh->positions);
  free(mesh->normals);
  free(mesh->indices);
  free(mesh);
}

VpMesh *vp_mesh_clone(const VpMesh *mesh, VpError *err)
{
  VpMesh *copy = vp_mesh_new(mesh->vertex_count, mesh->triangle_count, err);
  if (!copy)
    return NULL;
  size_t floats = (size_t)mesh->vertex_count * 3;
  memcpy(copy->positions, mesh->positions, floats * sizeof(float));
  if (mesh->normals)
    memcpy(copy->normals, mesh->normals, floats * sizeof(float));
  memcpy(copy->indices, mesh->indices, (size_t)mesh->triangle_count * 3 * sizeof(uint32_t));
  return copy;
}

/* ---- normals ---- */

static bool triangle_in_range(const VpMesh *mesh, const uint32_t *t)
{
  return t[0] < mesh->vertex_count && t[1] < mesh->vertex_count && t[2] < mesh->vertex_count;
}

/* Adds the unnormalised face normal (length = twice the area, hence the
 * area weighting) to the normal of each corner. */
static void accumulate_face_normal(float *normals, const float *pos, const uint32_t *t)
{
  const float *a = pos + 3 * (size_t)t[0], *b = pos + 3 * (size_t)t[1], *c = pos + 3 * (size_t)t[2];
  float e1[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
  float e2[3] = {c[0] - a[0], c[1] - a[1], c[2] - a[2]};
  float n[3] = {e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2],
                e1[0] * e2[1] - e1[1] * e2[0]};
  for (int k = 0; k < 3; k++) {
    float *dst = normals + 3 * (size_t)t[k];
    dst[0] += n[0];
    dst[1] += n[1];
    dst[2] += n[2];
  }
}

static void normalize_or_up(float *n)
{
  VpVec3 v = vp_vec3_normalize(vp_vec3(n[0], n[1], n[2]));
  if (!(vp_vec3_length(v) > 0.5)) /* unused vertex, or faces that cancel out */
    v = vp_vec3(0.0, 0.0, 1.0);
  n[0] = (float)v.x;
  n[1] = (float)v.y;
  n[2] = (float)v.z;
}

void vp_mesh_compute_normals(VpMesh *mesh)
{
  if (!mesh->normals) {
    mesh->normals = calloc_array((size_t)mesh->vertex_count * 3, sizeof(float));
    if (!mesh->normals)
      return;
  }
  memset(mesh->normals, 0, (size_t)mesh->vertex_count * 3 * sizeof(float));
  for (uint32_t i = 0; i < mesh->triangle_count; i++) {
    const uint32_t *t = mesh->indices + 3 * (size_t)i;
    if (triangle_in_range(mesh, t))
      accumulate_face_normal(mesh->normals, mesh->positions, t);
  }
  for (uint32_t v = 0; v < mesh->vertex_count; v++)
    normalize_or_up(mesh->normals + 3 * (size_t)v);
}

/* ---- welding ---- */

#define WELD_EMPTY UINT32_MAX
/* Triangles whose table slots are looked up together: their cache misses
 * overlap instead of queueing, which makes welding about twice as fast. */
#define WELD_BATCH 16

#if defined(__GNUC__)
#define WELD_PREFETCH(p) __builtin_prefetch(p)
#else
#define WELD_PREFETCH(p) ((void)(p))
#endif

/* Open-addressing table from position bit patterns to vertex indices. The
 * positions array holds the canonical bits, so a slot needs only the index. */
typedef struct Weld {
  uint32_t *slots;
  size_t mask;
  int shift;
  float *positions; /* vertex_count * 3, canonical bits (no -0) */
  uint32_t vertex_count;
} Weld;

/* The bits of a float with -0 folded onto +0, so both weld together. */
static uint32_t float_key(const unsigned char *p)
{
  uint32_t bits;
  memcpy(&bits, p, sizeof bits);
  return bits == 0x80000000u ? 0u : bits;
}

/* Multiplicative mixing; the top bits are the best mixed, so those index the table. */
static size_t weld_hash(const Weld *w, const uint32_t *k)
{
  uint64_t h = (uint64_t)k[0] * 0x9E3779B97F4A7C15ull;
  h ^= (uint64_t)k[1] * 0xC2B2AE3D27D4EB4Full;
  h ^= (uint64_t)k[2] * 0x165667B19E3779F9ull;
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ull;
  return (size_t)(h >> w->shift);
}

static uint32_t weld_find_or_add(Weld *w, const uint32_t *k, size_t i)
{
  for (;;) {
    uint32_t v = w->slots[i];
    if (v == WELD_EMPTY)
      break;
    if (memcmp(w->positions + 3 * (size_t)v, k, 3 * sizeof *k) == 0) /* bitwise */
      return v;
    i = (i + 1) & w->mask; /* the table is at most half full, so this ends */
  }
  uint32_t v = w->vertex_count++;
  memcpy(w->positions + 3 * (size_t)v, k, 3 * sizeof *k);
  w->slots[i] = v;
  return v;
}

/* A table of at least twice the corner count keeps probe chains short. */
static bool weld_init(Weld *w, size_t corners)
{
  int bits = 4;
  while (((size_t)1 << bits) < 2 * corners)
    bits++;
  size_t n = (size_t)1 << bits;
  w->mask = n - 1;
  w->shift = 64 - bits;
  w->vertex_count = 0;
  w->slots = calloc_array(n, sizeof *w->slots);
  w->positions = calloc_array(corners * 3, sizeof *w->positions);
  if (w->slots)
    memset(w->slots, 0xff, n * sizeof *w->slots); /* WELD_EMPTY everywhere */
  return w->slots && w->positions;
}

/* Keys and table slots of n triangles, stride bytes apart, with the slots
 * prefetched. */
static void weld_prepare(const Weld *w, const unsigned char *tri, size_t stride, uint32_t n,
                         uint32_t *keys, size_t *slots)
{
  for (uint32_t c = 0; c < 3 * n; c++) {
    const unsigned char *corner = tri + (c / 3) * stride + (c % 3) * 12;
    uint32_t *k = keys + 3 * (size_t)c;
    for (int i = 0; i < 3; i++)
      k[i] = float_key(corner + 4 * i);
    slots[c] = weld_hash(w, k);
    WELD_PREFETCH(w->slots + slots[c]);
  }
}

/* Second stage: the vertices the slots point at, compared next. Slots may
 * still change before use; a stale hint costs nothing but a wasted fetch. */
static void weld_prefetch_positions(const Weld *w, const size_t *slots, uint32_t corners)
{
  for (uint32_t c = 0; c < corners; c++) {
    uint32_t v = w->slots[slots[c]];
    if (v != WELD_EMPTY)
      WELD_PREFETCH(w->positions + 3 * (size_t)v);
  }
}

static bool keys_equal(const uint32_t *a, const uint32_t *b)
{
  return a[0] == b[0] && a[1] == b[1] && a[2] == b[2];
}

/* Welds one triangle; false (and nothing added) when two corners share a
 * position, so collapsed triangles leave no orphan vertices behind. */
static bool weld_triangle(Weld *w, const uint32_t *k, const size_t *slots, uint32_t *out)
{
  if (keys_equal(k, k + 3) || keys_equal(k + 3, k + 6) || keys_equal(k, k + 6))
    return false;
  for (int c = 0; c < 3; c++)
    out[c] = weld_find_or_add(w, k + 3 * c, slots[c]);
  return true;
}

/* Welds all triangles into indices; returns how many were kept. */
static uint32_t weld_all(Weld *w, const unsigned char *tri, size_t stride, uint32_t count,
                         uint32_t *indices)
{
  uint32_t keys[WELD_BATCH * 9], kept = 0;
  size_t slots[WELD_BATCH * 3];
  for (uint32_t first = 0; first < count; first += WELD_BATCH) {
    uint32_t n = count - first < WELD_BATCH ? count - first : WELD_BATCH;
    weld_prepare(w, tri + first * stride, stride, n, keys, slots);
    weld_prefetch_positions(w, slots, 3 * n);
    for (uint32_t t = 0; t < n; t++)
      if (weld_triangle(w, keys + 9 * t, slots + 3 * t, indices + 3 * (size_t)kept))
        kept++;
  }
  return kept;
}

/* Hands the weld's arrays to a mesh, shrinking the positions to their use. */
static VpMesh *mesh_adopt(Weld *w, uint32_t *indices, uint32_t triangles, VpError *err)
{
  VpMesh *mesh = calloc(1, sizeof *mesh);
  size_t floats = (size_t)w->vertex_count * 3;
  float *positions = realloc(w->positions, (floats ? floats : 1) * sizeof(float));
  if (positions)
    w->positions = NULL; /* now owned by the mesh */
  float *normals = calloc_array(floats, sizeof(float));
  if (!mesh || !positions || !normals) {
    free(mesh);
    free(positions);
    free(normals);
    free(indices);
    char n[32];
    vp_error_set(err, VP_ERR_NOMEM, _("out of memory while welding %s triangles"),
                 vp_format_count(triangles, n));
    return NULL;
  }
  *mesh = (VpMesh){positions, normals, indices, w->vertex_count, triangles};
  return mesh;
}

VpMesh *vp_mesh_weld_strided(const void *first_corner, size_t stride, uint32_t triangle_count,
                             uint32_t *dropped_degenerate, VpError *err)
{
  if (!mesh_check_limits(0, triangle_count, err))
    return NULL;
  size_t corners = (size_t)triangle_count * 3;
  Weld w = {0};
  uint32_t *indices = calloc_array(corners, sizeof *indices);
  if (!indices || !weld_init(&w, corners)) {
    free(indices);
    free(w.slots);
    free(w.positions);
    char n[32];
    vp_error_set(err, VP_ERR_NOMEM, _("out of memory while welding %s triangles"),
                 vp_format_count(triangle_count, n));
    return NULL;
  }
  uint32_t kept = weld_all(&w, first_corner, stride, triangle_count, indices);
  free(w.slots);
  if (dropped_degenerate)
    *dropped_degenerate = triangle_count - kept;
  VpMesh *mesh = mesh_adopt(&w, indices, kept, err);
  free(w.positions);
  if (mesh)
    vp_mesh_compute_normals(mesh);
  return mesh;
}

VpMesh *vp_mesh_weld_soup(const float *soup, uint32_t triangle_count, uint32_t *dropped_degenerate,
                          VpError *err)
{
  return vp_mesh_weld_strided(soup, 9 * sizeof *soup, triangle_count, dropped_degenerate, err);
}

/* ---- loading by format ---- */

/* Case-insensitive in ASCII only: strcasecmp follows the locale. */
static bool has_extension(const char *path, const char *ext)
{
  size_t n = strlen(path), e = strlen(ext);
  if (n <= e)
    return false;
  for (size_t i = 0; i < e; i++) {
    char c = path[n - e + i];
    if ((c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c) != ext[i])
      return false;
  }
  return true;
}

typedef enum MeshFormat { FORMAT_UNKNOWN, FORMAT_STL, FORMAT_OBJ, FORMAT_PLY } MeshFormat;

/* Looks at the start and the size of the file, whatever its name: PLY and
 * STL say what they are; OBJ has no signature, so its extension decides. */
static MeshFormat sniff_format(const char *path)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return FORMAT_UNKNOWN;
  unsigned char head[512];
  struct stat st;
  ssize_t got = read(fd, head, sizeof head);
  bool ok = fstat(fd, &st) == 0 && got > 0;
  close(fd);
  if (ok && got >= 4 && memcmp(head, "ply", 3) == 0 && (head[3] == '\n' || head[3] == '\r'))
    return FORMAT_PLY;
  if (ok && vp_mesh_stl_sniff(head, (size_t)got, (unsigned long long)st.st_size))
    return FORMAT_STL;
  return FORMAT_UNKNOWN;
}

static MeshFormat format_from_extension(const char *path)
{
  if (has_extension(path, ".stl"))
    return FORMAT_STL;
  if (has_extension(path, ".obj"))
    return FORMAT_OBJ;
  if (has_extension(path, ".ply"))
    return FORMAT_PLY;
  return FORMAT_UNKNOWN;
}

static bool unreadable(const char *path, VpError *err)
{
  char why[128];
  int code = errno;
  if (strerror_r(code, why, sizeof why) != 0)
    snprintf(why, sizeof why, "error %d", code);
  if (code == ENOENT)
    return vp_error_set(err, VP_ERR_IO, _("the file does not exist"));
  return vp_error_set(err, VP_ERR_IO, _("cannot open the file: %s"), why);
}

/* The caller names the file in its report; the message says what is wrong. */
VpMesh *vp_mesh_load(const char *path, VpError *err)
{
  if (access(path, R_OK) != 0) {
    unreadable(path, err);
    return NULL;
  }
  MeshFormat format = sniff_format(path);
  if (format == FORMAT_UNKNOWN)
    format = format_from_extension(path);
  switch (format) {
  case FORMAT_STL:
    return vp_mesh_load_stl(path, NULL, err);
  case FORMAT_OBJ:
    return vp_mesh_load_obj(path, err);
  case FORMAT_PLY:
    return vp_mesh_load_ply(path, err);
  case FORMAT_UNKNOWN:
    break;
  }
  vp_error_set(err, VP_ERR_FORMAT,
               _("unsupported mesh format; supported are STL (binary or ASCII), "
                 "Wavefront OBJ and PLY"));
  return NULL;
}
