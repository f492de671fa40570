/* The software rasteriser behind every 3D picture: meshes to a z-buffered
 * ARGB32 raster, shaded by a headlight and outlined, then painted into cairo.
 *
 * Pipeline per frame: clear; opaque meshes write depth, a shading term and a
 * mesh index per pixel (deferred, so hidden pixels are never shaded); a
 * resolve pass turns those into colours over the background gradient; the
 * silhouette pass darkens covered pixels near uncovered ones or near depth
 * jumps; translucent meshes are then blended, depth-tested against the
 * opaque ones without writing depth. Vertices are transformed once per mesh
 * into fixed-point screen coordinates; triangles are filled with integer edge
 * functions (top-left rule) so shared edges are neither gapped nor doubled.
 *
 * Meshes normally carry vertex normals (smooth shading). A mesh whose normals
 * pointer is NULL is flat-shaded with face normals computed on the fly;
 * zero-length vertex normals are lit as if facing the eye. */
#include "vp-render3d.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SUBPIXEL_BITS 8
#define SUBPIXEL_ONE (1 << SUBPIXEL_BITS)
#define MAX_RASTER_SIDE 16384
#define MAX_RASTER_PIXELS (1L << 25)
#define MAX_PIXEL_SCALE 16.0
/* Screen-space margin, in pixels, beyond which triangles are clipped; it keeps
 * fixed-point coordinates below 2^24 so edge products fit comfortably in int64. */
#define GUARD_PX 8192.0f
#define NO_MESH UINT16_MAX
#define MAX_MESHES (NO_MESH - 1)
/* Depth jump outlined as a silhouette, as a fraction of the scene radius. */
#define EDGE_DEPTH_FRACTION 0.08
#define MAX_OUTLINE_REACH 32
#define MAX_CLIP_VERTICES 9 /* a triangle clipped by five planes */

enum {
  CLIP_NEAR = 1 << 0,
  CLIP_LEFT = 1 << 1,
  CLIP_RIGHT = 1 << 2,
  CLIP_BOTTOM = 1 << 3,
  CLIP_TOP = 1 << 4,
  CLIP_PLANES = (1 << 5) - 1,
  CLIP_BAD = 1 << 5, /* not finite: never drawn */
};

/* A transformed vertex: fixed-point pixel position, a depth key that is affine
 * in screen space and grows towards the eye (1/w in perspective, -z_ndc in
 * orthographic), and the view-space normal divided by w, which interpolates
 * linearly in screen space and normalises to the perspective-correct normal. */
typedef struct RVertex {
  int32_t x, y;
  float key;
  float n[3];
  uint32_t clip;
} RVertex;

typedef struct ClipVertex {
  float c[4]; /* clip-space position */
  float n[3]; /* view-space normal */
} ClipVertex;

/* A triangle ready to fill: its pixel bounding box, edge functions at the box's
 * first pixel centre with per-pixel steps, and attribute planes. */
typedef struct Tri {
  int x0, y0, x1, y1;
  int64_t e[3], ex[3], ey[3];
  float k, kx, ky;
  float n[3], nx[3], ny[3];
  bool normals_ready; /* normal planes are set up at the first visible pixel */
  const struct RVertex *a, *b, *c;
  float inv_area, ox, oy; /* 1 / area, first pixel centre relative to a (fixed point) */
} Tri;

struct VpRenderer {
  int width, height; /* raster pixels */
  cairo_surface_t *image;
  uint32_t *pixels;
  int pixel_stride; /* in uint32_t */
  float *depth;
  float *shade; /* |cos| between normal and view direction */
  uint16_t *mesh_id;
  uint8_t *outline_seed, *outline_run;
  size_t pixel_capacity;
  RVertex *verts;
  size_t vertex_capacity;
  uint32_t *deferred;
  size_t deferred_capacity;

  /* Per frame. */
  float to_clip[4][4];
  float to_view[3][3];
  bool perspective;
  float guard_x, guard_y; /* guard planes in clip space: |x| <= guard_x * w */
  float edge_depth_mm, ortho_key_per_mm;
  const VpRenderStyle *style;
  int cover_x0, cover_y0, cover_x1, cover_y1;

  /* Per mesh. */
  const VpMesh *mesh;
  uint16_t id;
  float rgb255[3], alpha;
};

/* ---- style ---- */

void vp_render_style_default(VpRenderStyle *style)
{
  *style = (VpRenderStyle){
      .background_top = {0x3b / 255.0f, 0x4a / 255.0f, 0x5e / 255.0f},
      .background_bottom = {0x16 / 255.0f, 0x1c / 255.0f, 0x25 / 255.0f},
      .silhouette_rgb = {0x0c / 255.0f, 0x0f / 255.0f, 0x14 / 255.0f},
      .silhouette_width_px = 1.5f,
      .ambient = 0.2f,
      .specular = 0.22f,
      .orientation_marker = true,
      .marker_size_px = 92.0f,
  };
}

void vp_render_bone_rgba(float rgba[4])
{
  rgba[0] = 0xef / 255.0f;
  rgba[1] = 0xe6 / 255.0f;
  rgba[2] = 0xd2 / 255.0f;
  rgba[3] = 1.0f;
}

/* ---- renderer lifetime and buffers ---- */

VpRenderer *vp_renderer_new(void) { return calloc(1, sizeof(VpRenderer)); }

static void free_pixels(VpRenderer *r)
{
  if (r->image)
    cairo_surface_destroy(r->image);
  r->image = NULL;
  free(r->depth);
  free(r->shade);
  free(r->mesh_id);
  free(r->outline_seed);
  free(r->outline_run);
  r->depth = r->shade = NULL;
  r->mesh_id = NULL;
  r->outline_seed = r->outline_run = NULL;
  r->pixel_capacity = 0;
  r->width = r->height = 0;
}

void vp_renderer_free(VpRenderer *renderer)
{
  if (!renderer)
    return;
  free_pixels(renderer);
  free(renderer->verts);
  free(renderer->deferred);
  free(renderer);
}

static bool grow_pixel_buffers(VpRenderer *r, size_t n, VpError *err)
{
  free_pixels(r);
  r->depth = malloc(n * sizeof *r->depth);
  r->shade = malloc(n * sizeof *r->shade);
  r->mesh_id = malloc(n * sizeof *r->mesh_id);
  r->outline_seed = malloc(n);
  r->outline_run = malloc(n);
  if (!r->depth || !r->shade || !r->mesh_id || !r->outline_seed || !r->outline_run) {
    free_pixels(r);
    return vp_error_set(err, VP_ERR_NOMEM, "out of memory for a %zu-pixel 3D view", n);
  }
  r->pixel_capacity = n;
  return true;
}

/* Buffers are kept while they are large enough; only the cairo image, whose
 * size is fixed, is recreated when the raster size changes. */
static bool ensure_raster(VpRenderer *r, int w, int h, VpError *err)
{
  size_t n = (size_t)w * (size_t)h;
  if (r->image && r->width == w && r->height == h)
    return true;
  if (n > r->pixel_capacity && !grow_pixel_buffers(r, n, err))
    return false;
  if (r->image)
    cairo_surface_destroy(r->image);
  r->image = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
  if (cairo_surface_status(r->image) != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy(r->image);
    r->image = NULL;
    return vp_error_set(err, VP_ERR_NOMEM, "cannot create a %d x %d image for the 3D view", w, h);
  }
  r->pixels = (uint32_t *)(void *)cairo_image_surface_get_data(r->image);
  r->pixel_stride = cairo_image_surface_get_stride(r->image) / 4;
  r->width = w;
  r->height = h;
  return true;
}

static bool ensure_mesh_buffers(VpRenderer *r, const VpScene *scene, VpError *err)
{
  size_t vertices = 0, triangles = 0;
  for (int i = 0; i < scene->mesh_count; i++) {
    const VpMesh *m = scene->meshes[i].mesh;
    vertices = m->vertex_count > vertices ? m->vertex_count : vertices;
    triangles = m->triangle_count > triangles ? m->triangle_count : triangles;
  }
  if (vertices > r->vertex_capacity) {
    free(r->verts);
    r->verts = malloc(vertices * sizeof *r->verts);
    r->vertex_capacity = r->verts ? vertices : 0;
  }
  if (triangles > r->deferred_capacity) {
    free(r->deferred);
    r->deferred = malloc(triangles * sizeof *r->deferred);
    r->deferred_capacity = r->deferred ? triangles : 0;
  }
  if (r->vertex_capacity < vertices || r->deferred_capacity < triangles)
    return vp_error_set(err, VP_ERR_NOMEM, "out of memory for a mesh of %zu vertices", vertices);
  return true;
}

/* ---- input checks ---- */

static bool check_mesh(const VpSceneMesh *item, int index, VpError *err)
{
  const VpMesh *m = item->mesh;
  if (!m)
    return vp_error_set(err, VP_ERR_INVALID, "scene mesh %d has no mesh", index);
  if ((m->vertex_count && !m->positions) || (m->triangle_count && !m->indices))
    return vp_error_set(err, VP_ERR_INVALID, "scene mesh %d has counts but no arrays", index);
  for (int c = 0; c < 4; c++)
    if (!isfinite(item->rgba[c]))
      return vp_error_set(err, VP_ERR_INVALID, "scene mesh %d has a colour that is not a number",
                          index);
  for (size_t i = 0; i < (size_t)m->triangle_count * 3; i++)
    if (m->indices[i] >= m->vertex_count)
      return vp_error_set(err, VP_ERR_INVALID,
                          "scene mesh %d: triangle %zu uses vertex %u but the mesh has %u", index,
                          i / 3, m->indices[i], m->vertex_count);
  return true;
}

static bool check_scene(const VpScene *scene, VpError *err)
{
  if (!scene)
    return vp_error_set(err, VP_ERR_INVALID, "no scene to render");
  if (scene->mesh_count < 0 || scene->mesh_count > MAX_MESHES)
    return vp_error_set(err, VP_ERR_LIMIT, "a scene holds 0 to %d meshes, not %d", MAX_MESHES,
                        scene->mesh_count);
  if (scene->mesh_count > 0 && !scene->meshes)
    return vp_error_set(err, VP_ERR_INVALID, "the scene has %d meshes but no mesh array",
                        scene->mesh_count);
  for (int i = 0; i < scene->mesh_count; i++)
    if (!check_mesh(&scene->meshes[i], i, err))
      return false;
  return true;
}

static bool check_camera(const VpCamera *cam, VpError *err)
{
  if (!cam)
    return vp_error_set(err, VP_ERR_INVALID, "no camera to render with");
  VpQuat q = cam->orientation;
  bool finite = vp_vec3_is_finite(cam->target) && isfinite(q.w) && isfinite(q.x) && isfinite(q.y) &&
                isfinite(q.z) && isfinite(cam->scene_radius_mm) &&
                vp_vec3_is_finite(cam->scene_center);
  if (!finite || !(cam->distance_mm > 0.0) || !isfinite(cam->distance_mm) ||
      !(cam->fov_y_deg > 0.0 && cam->fov_y_deg < 180.0))
    return vp_error_set(err, VP_ERR_INVALID,
                        "the camera is unusable (distance %g mm, field of view %g degrees)",
                        cam->distance_mm, cam->fov_y_deg);
  return true;
}

static bool check_size(double width, double height, double scale, int *w, int *h, VpError *err)
{
  if (!(width > 0.0 && height > 0.0 && isfinite(width) && isfinite(height)))
    return vp_error_set(err, VP_ERR_INVALID, "a 3D view of %g x %g has no pixels", width, height);
  if (!(scale > 0.0 && scale <= MAX_PIXEL_SCALE))
    return vp_error_set(err, VP_ERR_INVALID, "pixel scale %g is outside (0, %g]", scale,
                        MAX_PIXEL_SCALE);
  double wp = round(width * scale), hp = round(height * scale);
  if (wp < 1.0 || hp < 1.0 || wp > MAX_RASTER_SIDE || hp > MAX_RASTER_SIDE ||
      wp * hp > (double)MAX_RASTER_PIXELS)
    return vp_error_set(
        err, VP_ERR_LIMIT,
        "a 3D view of %.0f x %.0f pixels is outside 1 to %d per side and %ld in all", wp, hp,
        MAX_RASTER_SIDE, MAX_RASTER_PIXELS);
  *w = (int)wp;
  *h = (int)hp;
  return true;
}

/* ---- frame setup and vertex transform ---- */

static void setup_frame(VpRenderer *r, const VpCamera *cam, const VpRenderStyle *style)
{
  VpMat4 view = vp_camera_view_matrix(cam);
  VpMat4 proj = vp_camera_projection_matrix(cam, (double)r->width / r->height);
  VpMat4 m = vp_mat4_mul(proj, view);
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++)
      r->to_clip[i][j] = (float)m.m[i][j];
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      r->to_view[i][j] = (float)view.m[i][j];
  r->perspective = cam->projection == VP_PROJECTION_PERSPECTIVE;
  r->guard_x = 1.0f + 2.0f * GUARD_PX / (float)r->width;
  r->guard_y = 1.0f + 2.0f * GUARD_PX / (float)r->height;
  r->edge_depth_mm = (float)(EDGE_DEPTH_FRACTION * fmax(cam->scene_radius_mm, 1.0));
  r->ortho_key_per_mm = (float)fabs(proj.m[2][2]);
  r->style = style;
  r->cover_x0 = r->cover_y0 = INT32_MAX;
  r->cover_x1 = r->cover_y1 = -1;
}

static void transform_point(const VpRenderer *r, const float p[3], float c[4])
{
  for (int i = 0; i < 4; i++)
    c[i] = r->to_clip[i][0] * p[0] + r->to_clip[i][1] * p[1] + r->to_clip[i][2] * p[2] +
           r->to_clip[i][3];
}

static void rotate_normal(const VpRenderer *r, const float n[3], float out[3])
{
  for (int i = 0; i < 3; i++)
    out[i] = r->to_view[i][0] * n[0] + r->to_view[i][1] * n[1] + r->to_view[i][2] * n[2];
}

static uint32_t clip_code(const VpRenderer *r, const float c[4])
{
  if (!(isfinite(c[0]) && isfinite(c[1]) && isfinite(c[2]) && isfinite(c[3])))
    return CLIP_BAD;
  uint32_t code = 0;
  code |= c[2] + c[3] < 0.0f ? CLIP_NEAR : 0u;
  code |= c[0] + r->guard_x * c[3] < 0.0f ? CLIP_LEFT : 0u;
  code |= r->guard_x * c[3] - c[0] < 0.0f ? CLIP_RIGHT : 0u;
  code |= c[1] + r->guard_y * c[3] < 0.0f ? CLIP_BOTTOM : 0u;
  code |= r->guard_y * c[3] - c[1] < 0.0f ? CLIP_TOP : 0u;
  return code;
}

/* For a point inside all clip planes. */
static void project_vertex(const VpRenderer *r, const float c[4], const float n[3], RVertex *v)
{
  float inv_w = 1.0f / c[3];
  float sx = (c[0] * inv_w + 1.0f) * 0.5f * (float)r->width;
  float sy = (1.0f - c[1] * inv_w) * 0.5f * (float)r->height;
  /* floor(v + 0.5) by truncating a positive double: no libm call, and exact
   * because the guard band keeps |v| far below the 2^24 offset */
  v->x = (int32_t)((double)sx * SUBPIXEL_ONE + 0.5 + 16777216.0) - 16777216;
  v->y = (int32_t)((double)sy * SUBPIXEL_ONE + 0.5 + 16777216.0) - 16777216;
  v->key = r->perspective ? inv_w : -c[2];
  for (int i = 0; i < 3; i++)
    v->n[i] = n[i] * inv_w;
  v->clip = 0;
}

static void transform_mesh(VpRenderer *r, const VpMesh *m)
{
  static const float no_normal[3] = {0.0f, 0.0f, 0.0f};
  for (uint32_t i = 0; i < m->vertex_count; i++) {
    float c[4], n[3];
    transform_point(r, &m->positions[3 * i], c);
    RVertex *v = &r->verts[i];
    v->clip = clip_code(r, c);
    if (v->clip)
      continue;
    if (m->normals)
      rotate_normal(r, &m->normals[3 * i], n);
    project_vertex(r, c, m->normals ? n : no_normal, v);
  }
}

/* View-space normal of a triangle, for meshes without vertex normals. */
static void face_normal(const VpRenderer *r, const VpMesh *m, const uint32_t *tri, float out[3])
{
  const float *p0 = &m->positions[3 * tri[0]], *p1 = &m->positions[3 * tri[1]],
              *p2 = &m->positions[3 * tri[2]];
  float u[3] = {p1[0] - p0[0], p1[1] - p0[1], p1[2] - p0[2]};
  float v[3] = {p2[0] - p0[0], p2[1] - p0[1], p2[2] - p0[2]};
  float n[3] = {u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]};
  rotate_normal(r, n, out);
}

/* ---- triangle setup ---- */

static int64_t orient(const RVertex *a, const RVertex *b, const RVertex *c)
{
  return (int64_t)(b->x - a->x) * (c->y - a->y) - (int64_t)(b->y - a->y) * (c->x - a->x);
}

static int floor_div(int64_t v, int64_t d) { return (int)(v >= 0 ? v / d : -((-v + d - 1) / d)); }

/* Pixel centres inside the triangle's bounding box, clipped to the raster. */
static bool tri_bounds(const VpRenderer *r, const RVertex *a, const RVertex *b, const RVertex *c,
                       Tri *t)
{
  const int half = SUBPIXEL_ONE / 2;
  int32_t minx = a->x < b->x ? a->x : b->x, maxx = a->x > b->x ? a->x : b->x;
  int32_t miny = a->y < b->y ? a->y : b->y, maxy = a->y > b->y ? a->y : b->y;
  minx = c->x < minx ? c->x : minx;
  maxx = c->x > maxx ? c->x : maxx;
  miny = c->y < miny ? c->y : miny;
  maxy = c->y > maxy ? c->y : maxy;
  t->x0 = floor_div((int64_t)minx - half + SUBPIXEL_ONE - 1, SUBPIXEL_ONE);
  t->y0 = floor_div((int64_t)miny - half + SUBPIXEL_ONE - 1, SUBPIXEL_ONE);
  t->x1 = floor_div((int64_t)maxx - half, SUBPIXEL_ONE);
  t->y1 = floor_div((int64_t)maxy - half, SUBPIXEL_ONE);
  t->x0 = t->x0 < 0 ? 0 : t->x0;
  t->y0 = t->y0 < 0 ? 0 : t->y0;
  t->x1 = t->x1 >= r->width ? r->width - 1 : t->x1;
  t->y1 = t->y1 >= r->height ? r->height - 1 : t->y1;
  return t->x0 <= t->x1 && t->y0 <= t->y1;
}

/* Edge p->q, non-negative inside a positively oriented triangle. Pixels on
 * an edge belong to it only when it is a top or left edge; the others lose
 * one unit so the test stays a plain sign check. */
static void edge_setup(const RVertex *p, const RVertex *q, int64_t px, int64_t py, int64_t *e,
                       int64_t *ex, int64_t *ey)
{
  int64_t dx = (int64_t)q->x - p->x, dy = (int64_t)q->y - p->y;
  bool top_left = dy < 0 || (dy == 0 && dx > 0);
  *e = dx * (py - p->y) - dy * (px - p->x) - (top_left ? 0 : 1);
  *ex = -dy * SUBPIXEL_ONE;
  *ey = dx * SUBPIXEL_ONE;
}

/* Plane of one attribute in float: value at the first pixel centre and
 * per-pixel steps. Coordinate differences are exact integers below 2^24. */
static void attribute_plane(const Tri *t, float fa, float fb, float fc, float *f, float *fx,
                            float *fy)
{
  float dx1 = (float)(t->b->x - t->a->x), dy1 = (float)(t->b->y - t->a->y);
  float dx2 = (float)(t->c->x - t->a->x), dy2 = (float)(t->c->y - t->a->y);
  float df1 = fb - fa, df2 = fc - fa;
  float gx = (df1 * dy2 - df2 * dy1) * t->inv_area, gy = (df2 * dx1 - df1 * dx2) * t->inv_area;
  *f = fa + gx * t->ox + gy * t->oy;
  *fx = gx * SUBPIXEL_ONE;
  *fy = gy * SUBPIXEL_ONE;
}

/* Deferred until a pixel passes the depth test: hidden triangles never pay for it. */
static void normal_planes(Tri *t)
{
  for (int i = 0; i < 3; i++)
    attribute_plane(t, t->a->n[i], t->b->n[i], t->c->n[i], &t->n[i], &t->nx[i], &t->ny[i]);
  t->normals_ready = true;
}

/* area is orient(a, b, c), non-zero. */
static bool tri_setup(const VpRenderer *r, const RVertex *a, const RVertex *b, const RVertex *c,
                      int64_t area, Tri *t)
{
  if (area < 0) { /* make the orientation positive: swap b and c */
    const RVertex *s = b;
    b = c;
    c = s;
    area = -area;
  }
  if (!tri_bounds(r, a, b, c, t))
    return false;
  int64_t px = (int64_t)t->x0 * SUBPIXEL_ONE + SUBPIXEL_ONE / 2;
  int64_t py = (int64_t)t->y0 * SUBPIXEL_ONE + SUBPIXEL_ONE / 2;
  edge_setup(b, c, px, py, &t->e[0], &t->ex[0], &t->ey[0]);
  edge_setup(c, a, px, py, &t->e[1], &t->ex[1], &t->ey[1]);
  edge_setup(a, b, px, py, &t->e[2], &t->ex[2], &t->ey[2]);
  t->a = a, t->b = b, t->c = c;
  t->inv_area = 1.0f / (float)area;
  t->ox = (float)(px - a->x);
  t->oy = (float)(py - a->y);
  attribute_plane(t, a->key, b->key, c->key, &t->k, &t->kx, &t->ky);
  t->normals_ready = false;
  return true;
}

/* True when every pixel of the box already holds something nearer than the
 * triangle's nearest corner: the cheap way to skip hidden back faces. */
static bool tri_hidden(const VpRenderer *r, const RVertex *a, const RVertex *b, const RVertex *c)
{
  Tri box;
  if (!tri_bounds(r, a, b, c, &box))
    return true;
  float nearest = a->key > b->key ? a->key : b->key;
  nearest = c->key > nearest ? c->key : nearest;
  for (int y = box.y0; y <= box.y1; y++) {
    const float *depth = &r->depth[(size_t)y * (size_t)r->width];
    for (int x = box.x0; x <= box.x1; x++)
      if (depth[x] <= nearest)
        return false;
  }
  return true;
}

/* ---- filling ---- */

/* Two-sided headlight: |cos| of the angle between the normal and the view axis. */
static inline float facing_at(Tri *t, float i, float j)
{
  if (!t->normals_ready)
    normal_planes(t);
  float nx = t->n[0] + t->nx[0] * i + t->ny[0] * j;
  float ny = t->n[1] + t->nx[1] * i + t->ny[1] * j;
  float nz = t->n[2] + t->nx[2] * i + t->ny[2] * j;
  float len2 = nx * nx + ny * ny + nz * nz;
  float f = len2 > 1e-30f ? fabsf(nz) / sqrtf(len2) : 1.0f;
  return f < 1.0f ? f : 1.0f;
}

static void fill_opaque(VpRenderer *r, Tri *t)
{
  int64_t e0r = t->e[0], e1r = t->e[1], e2r = t->e[2];
  for (int y = t->y0; y <= t->y1; y++) {
    int64_t e0 = e0r, e1 = e1r, e2 = e2r;
    size_t row = (size_t)y * (size_t)r->width;
    float j = (float)(y - t->y0), krow = t->k + t->ky * j;
    for (int x = t->x0; x <= t->x1; x++) {
      if ((e0 | e1 | e2) >= 0) {
        float i = (float)(x - t->x0), k = krow + t->kx * i;
        size_t p = row + (size_t)x;
        if (k > r->depth[p]) {
          r->depth[p] = k;
          r->shade[p] = facing_at(t, i, j);
          r->mesh_id[p] = r->id;
        }
      }
      e0 += t->ex[0];
      e1 += t->ex[1];
      e2 += t->ex[2];
    }
    e0r += t->ey[0];
    e1r += t->ey[1];
    e2r += t->ey[2];
  }
}

static inline float clamp01(float v) { return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v); }

static inline uint8_t to_byte(float v)
{
  v = v < 0.0f ? 0.0f : (v > 255.0f ? 255.0f : v);
  return (uint8_t)(v + 0.5f);
}

/* Ambient plus diffuse from the headlight, then a Blinn-Phong highlight that
 * moves the colour towards white instead of adding to it, so bright bone
 * never saturates. With the light at the eye the half vector is the view
 * axis, so the highlight is facing^32 (five squarings, no pow per pixel). */
static inline void shade_rgb(const float rgb255[3], float facing, float ambient, float specular,
                             float out[3])
{
  float s = facing * facing;
  s *= s;
  s *= s;
  s *= s;
  s *= s;
  float diffuse = ambient + (1.0f - ambient) * facing, highlight = specular * s;
  for (int c = 0; c < 3; c++) {
    float lit = rgb255[c] * diffuse;
    out[c] = lit + (255.0f - lit) * highlight;
  }
}

static inline uint32_t pack_rgb(const float rgb[3])
{
  return 0xff000000u | (uint32_t)to_byte(rgb[0]) << 16 | (uint32_t)to_byte(rgb[1]) << 8 |
         (uint32_t)to_byte(rgb[2]);
}

static inline uint32_t blend_over(uint32_t dst, const float src[3], float alpha)
{
  float out[3];
  for (int c = 0; c < 3; c++) {
    float d = (float)((dst >> (16 - 8 * c)) & 0xffu);
    out[c] = src[c] * alpha + d * (1.0f - alpha);
  }
  return pack_rgb(out);
}

static void fill_translucent(VpRenderer *r, Tri *t)
{
  float ambient = r->style->ambient, specular = r->style->specular;
  int64_t e0r = t->e[0], e1r = t->e[1], e2r = t->e[2];
  for (int y = t->y0; y <= t->y1; y++) {
    int64_t e0 = e0r, e1 = e1r, e2 = e2r;
    float j = (float)(y - t->y0), krow = t->k + t->ky * j;
    for (int x = t->x0; x <= t->x1; x++) {
      if ((e0 | e1 | e2) >= 0) {
        float i = (float)(x - t->x0);
        size_t p = (size_t)y * (size_t)r->width + (size_t)x;
        if (krow + t->kx * i > r->depth[p]) {
          float rgb[3];
          shade_rgb(r->rgb255, facing_at(t, i, j), ambient, specular, rgb);
          uint32_t *dst = &r->pixels[(size_t)y * (size_t)r->pixel_stride + (size_t)x];
          *dst = blend_over(*dst, rgb, r->alpha);
        }
      }
      e0 += t->ex[0];
      e1 += t->ex[1];
      e2 += t->ex[2];
    }
    e0r += t->ey[0];
    e1r += t->ey[1];
    e2r += t->ey[2];
  }
}

static void raster_triangle(VpRenderer *r, const RVertex *a, const RVertex *b, const RVertex *c,
                            int64_t area, bool opaque)
{
  Tri t;
  if (!tri_setup(r, a, b, c, area, &t))
    return;
  if (!opaque) {
    fill_translucent(r, &t);
    return;
  }
  fill_opaque(r, &t);
  r->cover_x0 = t.x0 < r->cover_x0 ? t.x0 : r->cover_x0;
  r->cover_y0 = t.y0 < r->cover_y0 ? t.y0 : r->cover_y0;
  r->cover_x1 = t.x1 > r->cover_x1 ? t.x1 : r->cover_x1;
  r->cover_y1 = t.y1 > r->cover_y1 ? t.y1 : r->cover_y1;
}

/* ---- clipping: near plane and the guard band, in homogeneous clip space ---- */

static float plane_distance(const VpRenderer *r, const ClipVertex *v, uint32_t plane)
{
  const float *c = v->c;
  switch (plane) {
  case CLIP_NEAR: return c[2] + c[3];
  case CLIP_LEFT: return c[0] + r->guard_x * c[3];
  case CLIP_RIGHT: return r->guard_x * c[3] - c[0];
  case CLIP_BOTTOM: return c[1] + r->guard_y * c[3];
  default: return r->guard_y * c[3] - c[1];
  }
}

static ClipVertex clip_lerp(const ClipVertex *a, const ClipVertex *b, float t)
{
  ClipVertex v;
  for (int i = 0; i < 4; i++)
    v.c[i] = a->c[i] + (b->c[i] - a->c[i]) * t;
  for (int i = 0; i < 3; i++)
    v.n[i] = a->n[i] + (b->n[i] - a->n[i]) * t;
  return v;
}

/* Sutherland-Hodgman against one plane; returns the new vertex count. */
static int clip_polygon(const VpRenderer *r, const ClipVertex *in, int n, ClipVertex *out,
                        uint32_t plane)
{
  int m = 0;
  for (int i = 0; i < n; i++) {
    const ClipVertex *a = &in[i], *b = &in[(i + 1) % n];
    float da = plane_distance(r, a, plane), db = plane_distance(r, b, plane);
    if (da >= 0.0f)
      out[m++] = *a;
    if ((da >= 0.0f) != (db >= 0.0f))
      out[m++] = clip_lerp(a, b, da / (da - db));
  }
  return m;
}

static void load_clip_triangle(const VpRenderer *r, const VpMesh *m, const uint32_t *tri,
                               ClipVertex v[3])
{
  float face[3];
  if (!m->normals)
    face_normal(r, m, tri, face);
  for (int k = 0; k < 3; k++) {
    transform_point(r, &m->positions[3 * tri[k]], v[k].c);
    if (m->normals)
      rotate_normal(r, &m->normals[3 * tri[k]], v[k].n);
    else
      memcpy(v[k].n, face, sizeof face);
  }
}

/* Triangles crossing the eye plane or the guard band: cut, then drawn as a fan. */
static void draw_clipped(VpRenderer *r, const uint32_t *tri, uint32_t planes, bool opaque)
{
  ClipVertex buf[2][MAX_CLIP_VERTICES + 1];
  load_clip_triangle(r, r->mesh, tri, buf[0]);
  int n = 3, cur = 0;
  for (uint32_t plane = 1; plane & CLIP_PLANES && n >= 3; plane <<= 1) {
    if (planes & plane) {
      n = clip_polygon(r, buf[cur], n, buf[1 - cur], plane);
      cur = 1 - cur;
    }
  }
  RVertex v[MAX_CLIP_VERTICES + 1];
  for (int i = 0; i < n; i++)
    project_vertex(r, buf[cur][i].c, buf[cur][i].n, &v[i]);
  for (int i = 1; i + 1 < n; i++) {
    int64_t area = orient(&v[0], &v[i], &v[i + 1]);
    if (area != 0)
      raster_triangle(r, &v[0], &v[i], &v[i + 1], area, opaque);
  }
}

/* ---- meshes ---- */

/* Copies of the corners carrying the face normal, for meshes without normals. */
static void flat_corners(const VpRenderer *r, const uint32_t *tri, RVertex out[3])
{
  float n[3];
  face_normal(r, r->mesh, tri, n);
  for (int k = 0; k < 3; k++) {
    out[k] = r->verts[tri[k]];
    float q = r->perspective ? out[k].key : 1.0f;
    for (int i = 0; i < 3; i++)
      out[k].n[i] = n[i] * q;
  }
}

/* Draws one triangle, or defers it when it faces the other way than the
 * pass draws first. Returns true when deferred. */
static bool draw_or_defer(VpRenderer *r, uint32_t t, bool front_first, bool opaque, bool defer)
{
  const uint32_t *tri = &r->mesh->indices[3 * t];
  const RVertex *a = &r->verts[tri[0]], *b = &r->verts[tri[1]], *c = &r->verts[tri[2]];
  uint32_t any = a->clip | b->clip | c->clip;
  if (any) {
    if (!(any & CLIP_BAD) && !(a->clip & b->clip & c->clip))
      draw_clipped(r, tri, any, opaque);
    return false;
  }
  int64_t area = orient(a, b, c);
  if (area == 0)
    return false;
  /* counter-clockwise seen from outside is clockwise in y-down pixels */
  if (defer && (area < 0) != front_first)
    return true;
  if (!defer && opaque && tri_hidden(r, a, b, c))
    return false;
  RVertex flat[3];
  if (!r->mesh->normals) {
    flat_corners(r, tri, flat);
    a = &flat[0], b = &flat[1], c = &flat[2];
  }
  raster_triangle(r, a, b, c, area, opaque);
  return false;
}

/* Opaque meshes draw front faces first, so back faces of closed meshes mostly
 * fail the depth test before any shading; translucent ones draw back faces
 * first, the painter's order for convex shapes. */
static void draw_mesh(VpRenderer *r, const VpSceneMesh *item, uint16_t id, bool opaque)
{
  r->mesh = item->mesh;
  r->id = id;
  r->alpha = clamp01(item->rgba[3]);
  for (int c = 0; c < 3; c++)
    r->rgb255[c] = 255.0f * clamp01(item->rgba[c]);
  transform_mesh(r, item->mesh);
  bool front_first = opaque;
  size_t deferred = 0;
  for (uint32_t t = 0; t < item->mesh->triangle_count; t++)
    if (draw_or_defer(r, t, front_first, opaque, true))
      r->deferred[deferred++] = t;
  for (size_t i = 0; i < deferred; i++)
    draw_or_defer(r, r->deferred[i], front_first, opaque, false);
}

static bool is_opaque(const VpSceneMesh *item) { return item->rgba[3] >= 1.0f; }

/* ---- background, resolve and outline ---- */

static void clear_depth(VpRenderer *r)
{
  size_t n = (size_t)r->width * (size_t)r->height;
  for (size_t i = 0; i < n; i++)
    r->depth[i] = -FLT_MAX;
  for (size_t i = 0; i < n; i++)
    r->mesh_id[i] = NO_MESH;
}

/* The gradient at a row, dithered with a 4x4 Bayer pattern so the dark
 * gradient shows no bands; the pattern is fixed, so pixels are repeatable. */
static void background_row(const VpRenderer *r, int y, uint32_t out[4])
{
  static const float bayer[4][4] = {{0, 8, 2, 10}, {12, 4, 14, 6}, {3, 11, 1, 9}, {15, 7, 13, 5}};
  const VpRenderStyle *s = r->style;
  float t = ((float)y + 0.5f) / (float)r->height;
  for (int x = 0; x < 4; x++) {
    float dither = (bayer[y & 3][x] + 0.5f) / 16.0f - 0.5f, rgb[3];
    for (int c = 0; c < 3; c++)
      rgb[c] =
          255.0f * (s->background_top[c] + (s->background_bottom[c] - s->background_top[c]) * t) +
          dither;
    out[x] = pack_rgb(rgb);
  }
}

static void resolve(VpRenderer *r, const VpScene *scene)
{
  float ambient = r->style->ambient, specular = r->style->specular, base[3] = {0, 0, 0};
  uint16_t base_id = NO_MESH; /* the mesh whose colour is in base */
  for (int y = 0; y < r->height; y++) {
    uint32_t bg[4], *dst = &r->pixels[(size_t)y * (size_t)r->pixel_stride];
    const uint16_t *ids = &r->mesh_id[(size_t)y * (size_t)r->width];
    const float *shade = &r->shade[(size_t)y * (size_t)r->width];
    background_row(r, y, bg);
    for (int x = 0; x < r->width; x++) {
      if (ids[x] == NO_MESH) {
        dst[x] = bg[x & 3];
        continue;
      }
      if (ids[x] != base_id) {
        base_id = ids[x];
        for (int c = 0; c < 3; c++)
          base[c] = 255.0f * clamp01(scene->meshes[base_id].rgba[c]);
      }
      float rgb[3];
      shade_rgb(base, shade[x], ambient, specular, rgb);
      dst[x] = pack_rgb(rgb);
    }
  }
}

/* A covered pixel starts the outline when a 4-neighbour is uncovered or shows
 * another mesh farther away, or when it is nearer than the average of its
 * two neighbours along a row or column by more than the jump: a second
 * difference, so steep but smooth surfaces are not outlined while the near
 * side of a depth discontinuity is. Neighbours beyond the raster count as
 * copies of the pixel. */
typedef struct Neighbour {
  float key;
  uint16_t id;
} Neighbour;

static Neighbour neighbour(const VpRenderer *r, int x, int y, size_t p)
{
  if (x < 0 || y < 0 || x >= r->width || y >= r->height)
    return (Neighbour){r->depth[p], r->mesh_id[p]};
  size_t n = (size_t)y * (size_t)r->width + (size_t)x;
  return (Neighbour){r->depth[n], r->mesh_id[n]};
}

static inline bool seed_test(const VpRenderer *r, float k, uint16_t id, const Neighbour n[4],
                             float jump_mm)
{
  for (int i = 0; i < 4; i++)
    if (n[i].id == NO_MESH || (n[i].id != id && n[i].key <= k))
      return true;
  float jump = r->perspective ? k * k * jump_mm : r->ortho_key_per_mm * jump_mm;
  return 2.0f * k - n[0].key - n[1].key > jump || 2.0f * k - n[2].key - n[3].key > jump;
}

static bool outline_seed_at(const VpRenderer *r, int x, int y, float jump_mm)
{
  size_t p = (size_t)y * (size_t)r->width + (size_t)x;
  Neighbour n[4] = {neighbour(r, x - 1, y, p), neighbour(r, x + 1, y, p), neighbour(r, x, y - 1, p),
                    neighbour(r, x, y + 1, p)};
  return seed_test(r, r->depth[p], r->mesh_id[p], n, jump_mm);
}

/* The same test away from the raster's border, without bounds checks. */
static inline bool outline_seed_inside(const VpRenderer *r, size_t p, float jump_mm)
{
  size_t w = (size_t)r->width;
  Neighbour n[4] = {{r->depth[p - 1], r->mesh_id[p - 1]},
                    {r->depth[p + 1], r->mesh_id[p + 1]},
                    {r->depth[p - w], r->mesh_id[p - w]},
                    {r->depth[p + w], r->mesh_id[p + w]}};
  return seed_test(r, r->depth[p], r->mesh_id[p], n, jump_mm);
}

typedef struct Region {
  int x0, y0, x1, y1; /* inclusive */
} Region;

static void mark_outline_seeds(VpRenderer *r, Region g)
{
  float jump_mm = r->edge_depth_mm;
  for (int y = g.y0; y <= g.y1; y++) {
    bool inner_row = y > 0 && y < r->height - 1;
    for (int x = g.x0; x <= g.x1; x++) {
      size_t p = (size_t)y * (size_t)r->width + (size_t)x;
      bool inside = inner_row && x > 0 && x < r->width - 1;
      r->outline_seed[p] = r->mesh_id[p] != NO_MESH && (inside ? outline_seed_inside(r, p, jump_mm)
                                                               : outline_seed_at(r, x, y, jump_mm));
    }
  }
}

/* Horizontal distance to the nearest seed in each row, capped at 255. */
static void outline_runs(VpRenderer *r, Region g)
{
  for (int y = g.y0; y <= g.y1; y++) {
    const uint8_t *seed = &r->outline_seed[(size_t)y * (size_t)r->width];
    uint8_t *run_out = &r->outline_run[(size_t)y * (size_t)r->width];
    int run = 255;
    for (int x = g.x0; x <= g.x1; x++) {
      run = seed[x] ? 0 : (run < 255 ? run + 1 : 255);
      run_out[x] = (uint8_t)run;
    }
    run = 255;
    for (int x = g.x1; x >= g.x0; x--) {
      run = seed[x] ? 0 : (run < 255 ? run + 1 : 255);
      run_out[x] = (uint8_t)(run < run_out[x] ? run : run_out[x]);
    }
  }
}

/* Squared Euclidean distance to the nearest seed within reach rows. */
static inline int outline_distance2(const VpRenderer *r, Region g, int x, int y, int reach)
{
  int best = INT32_MAX;
  int ya = y - reach < g.y0 ? g.y0 : y - reach, yb = y + reach > g.y1 ? g.y1 : y + reach;
  for (int yy = ya; yy <= yb; yy++) {
    int h = r->outline_run[(size_t)yy * (size_t)r->width + (size_t)x];
    int d2 = h * h + (yy - y) * (yy - y);
    best = d2 < best ? d2 : best;
  }
  return best;
}

/* Coverage of each squared distance: the outline is width pixels wide,
 * measured from the seed pixel, with a soft last pixel. */
static void outline_alphas(float width, int reach, float *alpha)
{
  for (int d2 = 0; d2 <= reach * reach; d2++)
    alpha[d2] = clamp01(width - sqrtf((float)d2));
}

static void blend_outline(VpRenderer *r, Region g, float width, int reach)
{
  const float *srgb = r->style->silhouette_rgb;
  float rgb[3] = {255.0f * srgb[0], 255.0f * srgb[1], 255.0f * srgb[2]};
  float alpha[MAX_OUTLINE_REACH * MAX_OUTLINE_REACH + 1];
  outline_alphas(width, reach, alpha);
  for (int y = g.y0; y <= g.y1; y++) {
    const uint16_t *ids = &r->mesh_id[(size_t)y * (size_t)r->width];
    uint32_t *dst = &r->pixels[(size_t)y * (size_t)r->pixel_stride];
    for (int x = g.x0; x <= g.x1; x++) {
      if (ids[x] == NO_MESH)
        continue;
      int d2 = outline_distance2(r, g, x, y, reach);
      if (d2 <= reach * reach && alpha[d2] > 0.0f)
        dst[x] = blend_over(dst[x], rgb, alpha[d2]);
    }
  }
}

static void draw_outline(VpRenderer *r, double pixel_scale)
{
  float width = (float)(r->style->silhouette_width_px * pixel_scale);
  if (!(width > 0.0f) || r->cover_x1 < 0)
    return;
  int reach = (int)ceilf(width) - 1;
  reach = reach > MAX_OUTLINE_REACH ? MAX_OUTLINE_REACH : reach;
  Region g = {r->cover_x0, r->cover_y0, r->cover_x1, r->cover_y1};
  mark_outline_seeds(r, g);
  outline_runs(r, g);
  blend_outline(r, g, width, reach);
}

/* ---- frame ---- */

static void render_frame(VpRenderer *r, const VpScene *scene, double pixel_scale)
{
  cairo_surface_flush(r->image);
  clear_depth(r);
  for (int i = 0; i < scene->mesh_count; i++)
    if (is_opaque(&scene->meshes[i]))
      draw_mesh(r, &scene->meshes[i], (uint16_t)i, true);
  resolve(r, scene);
  draw_outline(r, pixel_scale);
  for (int i = 0; i < scene->mesh_count; i++)
    if (!is_opaque(&scene->meshes[i]) && scene->meshes[i].rgba[3] > 0.0f)
      draw_mesh(r, &scene->meshes[i], (uint16_t)i, false);
  cairo_surface_mark_dirty(r->image);
}

static void paint_raster(const VpRenderer *r, cairo_t *cr, double width, double height)
{
  cairo_save(cr);
  cairo_rectangle(cr, 0, 0, width, height);
  cairo_clip(cr);
  cairo_scale(cr, width / r->width, height / r->height);
  cairo_set_source_surface(cr, r->image, 0, 0);
  bool one_to_one = r->width == (int)width && r->height == (int)height;
  cairo_pattern_set_filter(cairo_get_source(cr),
                           one_to_one ? CAIRO_FILTER_NEAREST : CAIRO_FILTER_GOOD);
  cairo_paint(cr);
  cairo_restore(cr);
}

/* The marker shrinks in small views so it never covers much of the model. */
static void paint_marker(cairo_t *cr, const VpCamera *cam, const VpRenderStyle *style, double width,
                         double height)
{
  double size = fmin(style->marker_size_px, 0.4 * fmin(width, height));
  if (!style->orientation_marker || !(size > 8.0))
    return;
  double margin = 0.12 * size;
  vp_render_orientation_marker(cr, cam, margin + 0.5 * size, height - margin - 0.5 * size,
                               0.5 * size);
}

bool vp_renderer_draw(VpRenderer *renderer, cairo_t *cr, double width, double height,
                      double pixel_scale, const VpCamera *cam, const VpScene *scene,
                      const VpRenderStyle *style, VpError *err)
{
  int w, h;
  if (!renderer || !cr || !style)
    return vp_error_set(err, VP_ERR_INVALID, "the renderer, cairo context and style are required");
  if (!check_size(width, height, pixel_scale, &w, &h, err) || !check_camera(cam, err) ||
      !check_scene(scene, err))
    return false;
  if (!ensure_raster(renderer, w, h, err) || !ensure_mesh_buffers(renderer, scene, err))
    return false;
  setup_frame(renderer, cam, style);
  render_frame(renderer, scene, pixel_scale);
  paint_raster(renderer, cr, width, height);
  paint_marker(cr, cam, style, width, height);
  if (cairo_status(cr) != CAIRO_STATUS_SUCCESS)
    return vp_error_set(err, VP_ERR_IO, "drawing the 3D view failed: %s",
                        cairo_status_to_string(cairo_status(cr)));
  return true;
}

/* Images for files and pages are supersampled 2 x 2 when the raster limits
 * allow: cairo's box-filtered downscale smooths the silhouette's staircase
 * and stays deterministic. Windows pass their own pixel scale instead. */
static double image_pixel_scale(int width, int height)
{
  int w, h;
  return check_size(width, height, 2.0, &w, &h, NULL) ? 2.0 : 1.0;
}

cairo_surface_t *vp_render_to_image(const VpCamera *cam, const VpScene *scene,
                                    const VpRenderStyle *style, int width, int height, VpError *err)
{
  int w, h;
  if (!check_size(width, height, 1.0, &w, &h, err))
    return NULL;
  cairo_surface_t *image = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height);
  VpRenderer *renderer = vp_renderer_new();
  cairo_t *cr = cairo_create(image);
  bool ok = renderer && cairo_surface_status(image) == CAIRO_STATUS_SUCCESS;
  if (!ok)
    vp_error_set(err, VP_ERR_NOMEM, "out of memory for a %d x %d image", width, height);
  else
    ok = vp_renderer_draw(renderer, cr, width, height, image_pixel_scale(width, height), cam, scene,
                          style, err);
  cairo_destroy(cr);
  vp_renderer_free(renderer);
  if (!ok) {
    cairo_surface_destroy(image);
    return NULL;
  }
  return image;
}
