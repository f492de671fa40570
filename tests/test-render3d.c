/* Tests of the software 3D renderer on literal meshes (a box, an icosphere,
 * a flat grid). Every image is saved under build/tests/artifacts for a look. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vp-render3d.h"
#include "vp-test-image.h"
#include "vp-test-util.h"

#define W 320
#define H 240

/* ---- meshes ---- */

/* Axis-aligned box with four vertices per face, so faces stay flat. */
static VpMesh *make_box(VpVec3 center, VpVec3 half)
{
  static const float corner[4][2] = {{-1, -1}, {1, -1}, {1, 1}, {-1, 1}};
  VpError err;
  VpMesh *m = vp_mesh_new(24, 12, &err);
  assert_non_null(m);
  double c[3] = {center.x, center.y, center.z}, h[3] = {half.x, half.y, half.z};
  for (int f = 0; f < 6; f++) {
    /* face normal along axis n; u x v = +n, swapped on the negative side */
    int n = f / 2, sign = f % 2 ? -1 : 1;
    int u = sign > 0 ? (n + 1) % 3 : (n + 2) % 3, v = sign > 0 ? (n + 2) % 3 : (n + 1) % 3;
    for (int k = 0; k < 4; k++) {
      float *p = &m->positions[3 * (4 * f + k)];
      p[n] = (float)(c[n] + sign * h[n]);
      p[u] = (float)(c[u] + corner[k][0] * h[u]);
      p[v] = (float)(c[v] + corner[k][1] * h[v]);
    }
    uint32_t base = 4u * (uint32_t)f, tri[6] = {0, 1, 2, 0, 2, 3};
    for (int k = 0; k < 6; k++)
      m->indices[6 * f + k] = base + tri[k];
  }
  vp_mesh_compute_normals(m);
  return m;
}

typedef struct EdgeCache {
  uint64_t *keys; /* edge (a, b), a < b, plus one; 0 is empty */
  uint32_t *values;
  size_t mask;
} EdgeCache;

static uint32_t midpoint(EdgeCache *cache, double *pos, uint32_t *count, uint32_t a, uint32_t b)
{
  uint64_t key = ((uint64_t)(a < b ? a : b) << 32 | (a < b ? b : a)) + 1;
  size_t slot = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 20) & cache->mask;
  for (; cache->keys[slot]; slot = (slot + 1) & cache->mask)
    if (cache->keys[slot] == key)
      return cache->values[slot];
  double *p = &pos[3 * *count], *pa = &pos[3 * a], *pb = &pos[3 * b];
  VpVec3 mid = vp_vec3_normalize(vp_vec3(pa[0] + pb[0], pa[1] + pb[1], pa[2] + pb[2]));
  p[0] = mid.x, p[1] = mid.y, p[2] = mid.z;
  cache->keys[slot] = key;
  cache->values[slot] = *count;
  return (*count)++;
}

static uint32_t subdivide(EdgeCache *cache, double *pos, uint32_t *count, const uint32_t *in,
                          uint32_t faces, uint32_t *out)
{
  memset(cache->keys, 0, (cache->mask + 1) * sizeof *cache->keys);
  for (uint32_t f = 0; f < faces; f++) {
    const uint32_t *t = &in[3 * f];
    uint32_t ab = midpoint(cache, pos, count, t[0], t[1]);
    uint32_t bc = midpoint(cache, pos, count, t[1], t[2]);
    uint32_t ca = midpoint(cache, pos, count, t[2], t[0]);
    uint32_t quad[12] = {t[0], ab, ca, ab, t[1], bc, ca, bc, t[2], ab, bc, ca};
    memcpy(&out[12 * f], quad, sizeof quad);
  }
  return faces * 4;
}

/* Icosphere of 20 * 4^level triangles, outward-facing. */
static VpMesh *make_icosphere(int level, VpVec3 center, double radius)
{
  static const double ico_v[12][3] = {{-1, 1.618034, 0},  {1, 1.618034, 0},   {-1, -1.618034, 0},
                                      {1, -1.618034, 0},  {0, -1, 1.618034},  {0, 1, 1.618034},
                                      {0, -1, -1.618034}, {0, 1, -1.618034},  {1.618034, 0, -1},
                                      {1.618034, 0, 1},   {-1.618034, 0, -1}, {-1.618034, 0, 1}};
  static const uint32_t ico_f[60] = {0, 11, 5, 0, 5,  1,  0,  1,  7,  0,  7, 10, 0, 10, 11,
                                     1, 5,  9, 5, 11, 4,  11, 10, 2,  10, 7, 6,  7, 1,  8,
                                     3, 9,  4, 3, 4,  2,  3,  2,  6,  3,  6, 8,  3, 8,  9,
                                     4, 9,  5, 2, 4,  11, 6,  2,  10, 8,  6, 7,  9, 8,  1};
  uint32_t faces = 20u << (2 * level), verts = 10u * (1u << (2 * level)) + 2u, count = 12;
  double *pos = malloc(3 * sizeof(double) * verts);
  uint32_t *a = malloc(3 * sizeof(uint32_t) * faces), *b = malloc(3 * sizeof(uint32_t) * faces);
  EdgeCache cache = {.mask = 1};
  while (cache.mask + 1 < 4u * faces)
    cache.mask = cache.mask * 2 + 1;
  cache.keys = malloc((cache.mask + 1) * sizeof *cache.keys);
  cache.values = malloc((cache.mask + 1) * sizeof *cache.values);
  assert_true(pos && a && b && cache.keys && cache.values);
  for (int i = 0; i < 12; i++) {
    VpVec3 v = vp_vec3_normalize(vp_vec3(ico_v[i][0], ico_v[i][1], ico_v[i][2]));
    pos[3 * i] = v.x, pos[3 * i + 1] = v.y, pos[3 * i + 2] = v.z;
  }
  memcpy(a, ico_f, sizeof ico_f);
  uint32_t n = 20;
  for (int l = 0; l < level; l++) {
    n = subdivide(&cache, pos, &count, a, n, b);
    uint32_t *s = a;
    a = b;
    b = s;
  }
  VpError err;
  VpMesh *m = vp_mesh_new(count, n, &err);
  assert_non_null(m);
  for (uint32_t i = 0; i < count; i++) {
    m->positions[3 * i] = (float)(center.x + radius * pos[3 * i]);
    m->positions[3 * i + 1] = (float)(center.y + radius * pos[3 * i + 1]);
    m->positions[3 * i + 2] = (float)(center.z + radius * pos[3 * i + 2]);
  }
  memcpy(m->indices, a, 3 * sizeof(uint32_t) * n);
  vp_mesh_compute_normals(m);
  free(pos), free(a), free(b), free(cache.keys), free(cache.values);
  return m;
}

/* Flat square in the x-z plane at y, facing +y, centred at (shift, y, shift)
 * and cut into cells; jittered cells put shared edges at arbitrary subpixel
 * positions, regular ones can put them exactly through pixel centres. */
static VpMesh *make_grid(double y, double half, int cells, bool jitter, double shift)
{
  VpError err;
  uint32_t side = (uint32_t)cells + 1;
  VpMesh *m = vp_mesh_new(side * side, 2u * (uint32_t)(cells * cells), &err);
  assert_non_null(m);
  for (uint32_t j = 0; j < side; j++)
    for (uint32_t i = 0; i < side; i++) {
      /* jittered inner vertices put shared edges at arbitrary subpixel positions */
      bool inner = jitter && i > 0 && i < side - 1 && j > 0 && j < side - 1;
      double jx = inner ? 0.31 * sin(7.1 * i + 3.3 * j) : 0.0;
      double jz = inner ? 0.29 * cos(5.3 * j + 2.9 * i) : 0.0;
      float *p = &m->positions[3 * (j * side + i)];
      p[0] = (float)(shift - half + (2.0 * half) * (i + jx) / cells);
      p[1] = (float)y;
      p[2] = (float)(shift - half + (2.0 * half) * (j + jz) / cells);
    }
  uint32_t *t = m->indices;
  for (uint32_t j = 0; j < (uint32_t)cells; j++)
    for (uint32_t i = 0; i < (uint32_t)cells; i++) {
      uint32_t v = j * side + i;
      /* counter-clockwise seen from +y: x then z is clockwise, so z first */
      uint32_t quad[6] = {v, v + side, v + side + 1, v, v + side + 1, v + 1};
      memcpy(t, quad, sizeof quad);
      t += 6;
    }
  vp_mesh_compute_normals(m);
  return m;
}

/* ---- rendering helpers ---- */

static VpBox3 scene_bounds(const VpSceneMesh *items, int n)
{
  VpBox3 b = vp_box3_empty();
  for (int i = 0; i < n; i++) {
    VpBox3 mb = vp_mesh_bounds(items[i].mesh);
    b = vp_box3_extend(vp_box3_extend(b, mb.min), mb.max);
  }
  return b;
}

static VpCamera camera_for(const VpSceneMesh *items, int n, VpStandardView view,
                           VpProjection projection)
{
  VpCamera cam;
  vp_camera_init(&cam);
  cam.projection = projection;
  vp_camera_set_scene(&cam, scene_bounds(items, n));
  vp_camera_set_standard_view(&cam, view);
  return cam;
}

static VpSceneMesh bone(const VpMesh *mesh)
{
  VpSceneMesh item = {.mesh = mesh};
  vp_render_bone_rgba(item.rgba);
  return item;
}

static cairo_surface_t *render_and_save(const VpCamera *cam, const VpSceneMesh *items, int n,
                                        const VpRenderStyle *style, int w, int h, const char *name)
{
  VpScene scene = {items, n};
  VpError err;
  vp_error_clear(&err);
  cairo_surface_t *image = vp_render_to_image(cam, &scene, style, w, h, &err);
  if (!image)
    fail_msg("rendering %s failed: %s", name, err.message);
  char *path = vp_test_artifact_path(name);
  assert_int_equal(cairo_surface_write_to_png(image, path), CAIRO_STATUS_SUCCESS);
  free(path);
  return image;
}

static int channel(uint32_t p, int shift) { return (int)((p >> shift) & 0xff); }

static int brightness(uint32_t p) { return channel(p, 16) + channel(p, 8) + channel(p, 0); }

static int colour_distance(uint32_t a, uint32_t b)
{
  int worst = 0;
  for (int s = 0; s <= 16; s += 8) {
    int d = abs(channel(a, s) - channel(b, s));
    worst = d > worst ? d : worst;
  }
  return worst;
}

static uint32_t rgb_pixel(const float rgb[3])
{
  uint32_t p = 0xff000000u;
  for (int c = 0; c < 3; c++)
    p |= (uint32_t)lrintf(255.0f * rgb[c]) << (16 - 8 * c);
  return p;
}

static uint32_t gradient_at_row(const VpRenderStyle *s, int y, int h)
{
  float t = ((float)y + 0.5f) / (float)h, rgb[3];
  for (int c = 0; c < 3; c++)
    rgb[c] = s->background_top[c] + (s->background_bottom[c] - s->background_top[c]) * t;
  return rgb_pixel(rgb);
}

/* Fraction of pixels that differ from the background gradient of their row. */
static double covered_fraction(cairo_surface_t *img, const VpRenderStyle *style)
{
  int w = cairo_image_surface_get_width(img), h = cairo_image_surface_get_height(img);
  long covered = 0;
  for (int y = 0; y < h; y++) {
    uint32_t bg = gradient_at_row(style, y, h);
    for (int x = 0; x < w; x++)
      covered += colour_distance(vp_test_pixel(img, x, y), bg) > 6;
  }
  return (double)covered / ((double)w * h);
}

static VpMesh *sphere_at_origin(void) { return make_icosphere(4, vp_vec3(0, 0, 0), 30.0); }

/* ---- tests ---- */

static void test_background_corners_follow_the_style_gradient(void **state)
{
  (void)state;
  VpMesh *sphere = sphere_at_origin();
  VpSceneMesh item = bone(sphere);
  VpCamera cam = camera_for(&item, 1, VP_VIEW_ANTERIOR, VP_PROJECTION_PERSPECTIVE);
  VpRenderStyle style;
  vp_render_style_default(&style);
  cairo_surface_t *img = render_and_save(&cam, &item, 1, &style, W, H, "render-background.png");
  const int corners[4][2] = {{0, 0}, {W - 1, 0}, {0, H - 1}, {W - 1, H - 1}};
  for (int i = 0; i < 4; i++) {
    uint32_t got = vp_test_pixel(img, corners[i][0], corners[i][1]);
    uint32_t want = gradient_at_row(&style, corners[i][1], H);
    if (colour_distance(got, want) > 2)
      fail_msg("corner %d is %08x, gradient says %08x", i, got, want);
  }
  assert_true(brightness(vp_test_pixel(img, 0, 0)) > brightness(vp_test_pixel(img, 0, H - 1)));
  cairo_surface_destroy(img);
  vp_mesh_free(sphere);
}

static void test_centre_pixel_is_shaded_bone(void **state)
{
  (void)state;
  VpMesh *sphere = sphere_at_origin();
  VpSceneMesh item = bone(sphere);
  VpCamera cam = camera_for(&item, 1, VP_VIEW_ANTERIOR, VP_PROJECTION_PERSPECTIVE);
  VpRenderStyle style;
  vp_render_style_default(&style);
  cairo_surface_t *img = render_and_save(&cam, &item, 1, &style, W, H, "render-sphere.png");
  uint32_t centre = vp_test_pixel(img, W / 2, H / 2);
  assert_true(colour_distance(centre, gradient_at_row(&style, H / 2, H)) > 60);
  /* warm ivory: red >= green > blue, and bright where the surface faces the light */
  assert_true(channel(centre, 16) >= channel(centre, 8));
  assert_true(channel(centre, 8) > channel(centre, 0));
  assert_true(channel(centre, 16) > 200);
  cairo_surface_destroy(img);
  vp_mesh_free(sphere);
}

static void test_surface_facing_the_eye_is_brighter_than_near_the_rim(void **state)
{
  (void)state;
  VpMesh *sphere = sphere_at_origin();
  VpSceneMesh item = bone(sphere);
  VpCamera cam = camera_for(&item, 1, VP_VIEW_ANTERIOR, VP_PROJECTION_PERSPECTIVE);
  VpRenderStyle style;
  vp_render_style_default(&style);
  cairo_surface_t *img = render_and_save(&cam, &item, 1, &style, W, H, "render-rim.png");
  double px, py, depth;
  assert_true(vp_camera_project(&cam, vp_vec3(30, 0, 0), W, H, &px, &py, &depth));
  int rim_x = (int)lround(W / 2.0 + 0.85 * (px - W / 2.0)); /* inside the outline */
  int centre = brightness(vp_test_pixel(img, W / 2, H / 2));
  int rim = brightness(vp_test_pixel(img, rim_x, H / 2));
  if (!(centre > rim + 90))
    fail_msg("centre brightness %d, near the rim (x = %d) %d", centre, rim_x, rim);
  cairo_surface_destroy(img);
  vp_mesh_free(sphere);
}

static void test_outline_has_the_silhouette_colour(void **state)
{
  (void)state;
  VpMesh *sphere = sphere_at_origin();
  VpSceneMesh item = bone(sphere);
  VpCamera cam = camera_for(&item, 1, VP_VIEW_ANTERIOR, VP_PROJECTION_PERSPECTIVE);
  VpRenderStyle style;
  vp_render_style_default(&style);
  cairo_surface_t *img = render_and_save(&cam, &item, 1, &style, W, H, "render-outline.png");
  uint32_t outline = rgb_pixel(style.silhouette_rgb),
           background = gradient_at_row(&style, H / 2, H);
  int x = 0;
  while (x < W / 2 && colour_distance(vp_test_pixel(img, x, H / 2), background) <= 2)
    x++;
  assert_true(x > 0 && x < W / 2); /* found the left edge of the sphere */
  int best = 255;
  for (int i = x; i < x + 3; i++) {
    int d = colour_distance(vp_test_pixel(img, i, H / 2), outline);
    best = d < best ? d : best;
  }
  if (best > 4)
    fail_msg("no silhouette-coloured pixel at the left edge (x = %d); closest differs by %d", x,
             best);
  cairo_surface_destroy(img);
  vp_mesh_free(sphere);
}

static void test_second_render_is_bit_identical(void **state)
{
  (void)state;
  VpMesh *sphere = make_icosphere(3, vp_vec3(10, 0, 5), 25.0),
         *box = make_box(vp_vec3(-15, 20, 0), vp_vec3(12, 8, 20));
  VpSceneMesh items[2] = {bone(sphere), bone(box)};
  items[1].rgba[3] = 0.5f;
  VpCamera cam = camera_for(items, 2, VP_VIEW_ANTERIOR, VP_PROJECTION_PERSPECTIVE);
  vp_camera_orbit(&cam, 40, -30, H);
  VpRenderStyle style;
  vp_render_style_default(&style);
  cairo_surface_t *a = render_and_save(&cam, items, 2, &style, W, H, "render-repeat-1.png");
  cairo_surface_t *b = render_and_save(&cam, items, 2, &style, W, H, "render-repeat-2.png");
  assert_int_equal(vp_test_count_different_pixels(a, b), 0);
  /* and again through one reused renderer, at the window's pixel scale */
  VpRenderer *renderer = vp_renderer_new();
  VpScene scene = {items, 2};
  cairo_surface_t *c = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, W, H);
  cairo_surface_t *d = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, W, H);
  cairo_surface_t *targets[2] = {c, d};
  for (int i = 0; i < 2; i++) {
    cairo_t *cr = cairo_create(targets[i]);
    assert_true(vp_renderer_draw(renderer, cr, W, H, 1.0, &cam, &scene, &style, NULL));
    cairo_destroy(cr);
  }
  assert_int_equal(vp_test_count_different_pixels(c, d), 0);
  vp_renderer_free(renderer);
  cairo_surface_destroy(a), cairo_surface_destroy(b), cairo_surface_destroy(c),
      cairo_surface_destroy(d);
  vp_mesh_free(sphere), vp_mesh_free(box);
}

static void test_anterior_and_left_views_of_an_asymmetric_box_differ(void **state)
{
  (void)state;
  VpMesh *box = make_box(vp_vec3(0, 0, 0), vp_vec3(40, 10, 20));
  VpSceneMesh item = bone(box);
  VpRenderStyle style;
  vp_render_style_default(&style);
  VpCamera front = camera_for(&item, 1, VP_VIEW_ANTERIOR, VP_PROJECTION_PERSPECTIVE);
  VpCamera side = camera_for(&item, 1, VP_VIEW_LEFT, VP_PROJECTION_PERSPECTIVE);
  cairo_surface_t *a = render_and_save(&front, &item, 1, &style, W, H, "render-box-anterior.png");
  cairo_surface_t *b = render_and_save(&side, &item, 1, &style, W, H, "render-box-left.png");
  long differing = vp_test_count_different_pixels(a, b);
  assert_true(differing > W * H / 10);
  /* the box is four times wider than deep: wide from the front, narrow from the side */
  uint32_t bg = gradient_at_row(&style, H / 2, H);
  int x_front = W / 2 - 60, x_side = W / 2 - 60;
  assert_true(colour_distance(vp_test_pixel(a, x_front, H / 2), bg) > 20);
  assert_true(colour_distance(vp_test_pixel(b, x_side, H / 2), bg) <= 2);
  cairo_surface_destroy(a), cairo_surface_destroy(b);
  vp_mesh_free(box);
}

/* Over a plain background a translucent layer shows blend(layer, bg); over
 * an opaque mesh it shows blend(layer, mesh). With alpha 1/2 and the box's
 * two faces (back, then front) in front of the sphere, the difference is
 * (1 - a)^2 (sphere - background). */
static void test_translucent_mesh_in_front_blends_with_the_opaque_one_behind(void **state)
{
  (void)state;
  VpMesh *sphere = sphere_at_origin(), *box = make_box(vp_vec3(0, 50, 0), vp_vec3(15, 10, 15));
  VpSceneMesh items[2] = {bone(sphere), {.mesh = box, .rgba = {0.3f, 0.5f, 1.0f, 0.5f}}};
  VpCamera cam = camera_for(items, 2, VP_VIEW_ANTERIOR, VP_PROJECTION_PERSPECTIVE);
  VpRenderStyle style;
  vp_render_style_default(&style);
  cairo_surface_t *both = render_and_save(&cam, items, 2, &style, W, H, "render-translucent.png");
  cairo_surface_t *alone =
      render_and_save(&cam, &items[1], 1, &style, W, H, "render-translucent-alone.png");
  cairo_surface_t *opaque =
      render_and_save(&cam, items, 1, &style, W, H, "render-translucent-opaque.png");
  uint32_t b = vp_test_pixel(both, W / 2, H / 2), a = vp_test_pixel(alone, W / 2, H / 2);
  uint32_t s = vp_test_pixel(opaque, W / 2, H / 2), bg = gradient_at_row(&style, H / 2, H);
  for (int sh = 0; sh <= 16; sh += 8) {
    double want = channel(a, sh) + 0.25 * (channel(s, sh) - channel(bg, sh));
    if (fabs(channel(b, sh) - want) > 3.0)
      fail_msg("channel %d is %d; blending predicts %.1f", sh / 8, channel(b, sh), want);
  }
  assert_true(colour_distance(b, s) > 20);
  cairo_surface_destroy(both), cairo_surface_destroy(alone), cairo_surface_destroy(opaque);
  vp_mesh_free(sphere), vp_mesh_free(box);
}

static void test_translucent_mesh_behind_an_opaque_one_stays_hidden(void **state)
{
  (void)state;
  VpMesh *sphere = make_icosphere(3, vp_vec3(0, 40, 0), 20.0),
         *box = make_box(vp_vec3(0, 0, 0), vp_vec3(30, 10, 30));
  VpSceneMesh items[2] = {bone(sphere), {.mesh = box, .rgba = {0.3f, 0.5f, 1.0f, 0.5f}}};
  VpCamera cam = camera_for(items, 2, VP_VIEW_ANTERIOR, VP_PROJECTION_PERSPECTIVE);
  VpRenderStyle style;
  vp_render_style_default(&style);
  cairo_surface_t *both =
      render_and_save(&cam, items, 2, &style, W, H, "render-translucent-behind.png");
  cairo_surface_t *opaque =
      render_and_save(&cam, items, 1, &style, W, H, "render-translucent-behind-opaque.png");
  assert_int_equal(vp_test_pixel(both, W / 2, H / 2), vp_test_pixel(opaque, W / 2, H / 2));
  cairo_surface_destroy(both), cairo_surface_destroy(opaque);
  vp_mesh_free(sphere), vp_mesh_free(box);
}

static void check_coverage(VpProjection projection, const char *name)
{
  VpMesh *sphere = sphere_at_origin();
  VpSceneMesh item = bone(sphere);
  VpCamera cam = camera_for(&item, 1, VP_VIEW_ANTERIOR, projection);
  vp_camera_orbit(&cam, 30, 20, H);
  VpRenderStyle style;
  vp_render_style_default(&style);
  style.orientation_marker = false;
  cairo_surface_t *img = render_and_save(&cam, &item, 1, &style, W, H, name);
  double covered = covered_fraction(img, &style);
  /* The camera fits the bounding box as seen from the side, with a tenth of
   * margin, so the (orbited) disc spans most of the shorter side but never
   * fills the frame. */
  if (!(covered > 0.20 && covered < 0.45))
    fail_msg("%s: %.3f of the image is covered", name, covered);
  cairo_surface_destroy(img);
  vp_mesh_free(sphere);
}

static void test_perspective_projection_covers_the_mesh(void **state)
{
  (void)state;
  check_coverage(VP_PROJECTION_PERSPECTIVE, "render-perspective.png");
}

static void test_orthographic_projection_covers_the_mesh(void **state)
{
  (void)state;
  check_coverage(VP_PROJECTION_ORTHOGRAPHIC, "render-orthographic.png");
}

static void test_mesh_behind_the_camera_leaves_only_background(void **state)
{
  (void)state;
  VpCamera cam;
  vp_camera_init(&cam); /* looks at the origin from anterior */
  VpVec3 behind = vp_vec3_add(vp_camera_eye(&cam), vp_vec3(0, 60, 0));
  VpMesh *sphere = make_icosphere(3, behind, 40.0);
  VpSceneMesh item = bone(sphere);
  VpRenderStyle style;
  vp_render_style_default(&style);
  style.orientation_marker = false;
  cairo_surface_t *empty = render_and_save(&cam, NULL, 0, &style, W, H, "render-empty.png");
  cairo_surface_t *img = render_and_save(&cam, &item, 1, &style, W, H, "render-behind.png");
  assert_int_equal(vp_test_count_different_pixels(empty, img), 0);
  cairo_surface_destroy(empty), cairo_surface_destroy(img);
  vp_mesh_free(sphere);
}

/* With the eye inside a sphere every view ray meets its inside, seen from
 * behind its faces: two-sided lighting, and nothing left uncovered. */
static void test_mesh_around_the_eye_covers_the_view(void **state)
{
  (void)state;
  VpMesh *sphere = make_icosphere(3, vp_vec3(0, 0, 0), 100.0);
  VpSceneMesh item = bone(sphere);
  VpCamera cam = camera_for(&item, 1, VP_VIEW_ANTERIOR, VP_PROJECTION_PERSPECTIVE);
  cam.distance_mm = 40.0; /* eye at y = 40, inside */
  cam.fov_y_deg = 100.0;
  VpRenderStyle style;
  vp_render_style_default(&style);
  style.orientation_marker = false;
  cairo_surface_t *empty = render_and_save(&cam, NULL, 0, &style, W, H, "render-inside-empty.png");
  cairo_surface_t *img = render_and_save(&cam, &item, 1, &style, W, H, "render-inside.png");
  assert_int_equal(vp_test_count_different_pixels(empty, img), (long)W * H);
  cairo_surface_destroy(empty), cairo_surface_destroy(img);
  vp_mesh_free(sphere);
}

/* Every pixel between (x0, y0) and (x1, y1), corners excluded by margin, has one colour. */
static void check_uniform(cairo_surface_t *img, double x0, double y0, double x1, double y1,
                          int margin)
{
  int xa = (int)fmin(x0, x1) + margin, xb = (int)fmax(x0, x1) - margin;
  int ya = (int)fmin(y0, y1) + margin, yb = (int)fmax(y0, y1) - margin;
  assert_true(xa < xb && ya < yb);
  uint32_t first = vp_test_pixel(img, xa, ya);
  for (int y = ya; y <= yb; y++)
    for (int x = xa; x <= xb; x++)
      if (vp_test_pixel(img, x, y) != first)
        fail_msg("pixel (%d, %d) is %08x, the rest of the grid %08x", x, y,
                 vp_test_pixel(img, x, y), first);
}

/* A translucent grid over a flat opaque plate: a doubled edge pixel would be
 * blended twice and a gap not at all, so the grid's inside must be one colour. */
static void test_shared_edges_are_neither_gapped_nor_doubled(void **state)
{
  (void)state;
  VpMesh *plate = make_grid(-20.0, 80.0, 1, false, 0.0), *grid = make_grid(0.0, 40.0, 9, true, 0.0);
  VpSceneMesh items[2] = {{.mesh = plate, .rgba = {0.8f, 0.3f, 0.2f, 1.0f}},
                          {.mesh = grid, .rgba = {0.2f, 0.6f, 0.9f, 0.5f}}};
  VpCamera cam = camera_for(items, 2, VP_VIEW_ANTERIOR, VP_PROJECTION_PERSPECTIVE);
  vp_camera_zoom_at(&cam, 1.9, W / 2, H / 2, W, H);
  VpRenderStyle style;
  vp_render_style_default(&style);
  style.orientation_marker = false;
  cairo_surface_t *img = render_and_save(&cam, items, 2, &style, W, H, "render-grid.png");
  double x0, y0, x1, y1, depth;
  assert_true(vp_camera_project(&cam, vp_vec3(40, 0, 40), W, H, &x0, &y0, &depth));
  assert_true(vp_camera_project(&cam, vp_vec3(-40, 0, -40), W, H, &x1, &y1, &depth));
  check_uniform(img, x0, y0, x1, y1, 2);
  cairo_surface_destroy(img);
  vp_mesh_free(plate), vp_mesh_free(grid);
}

/* The same with every grid vertex on a pixel centre (orthographic, 1 mm per
 * pixel, half-millimetre offset), so every edge, diagonals included, runs
 * exactly through pixel centres: only the top-left rule keeps them single. */
static void test_edges_through_pixel_centres_are_drawn_once(void **state)
{
  (void)state;
  VpMesh *plate = make_grid(-20.0, 80.0, 1, false, 0.0),
         *grid = make_grid(0.0, 40.0, 8, false, 0.5);
  VpSceneMesh items[2] = {{.mesh = plate, .rgba = {0.8f, 0.3f, 0.2f, 1.0f}},
                          {.mesh = grid, .rgba = {0.2f, 0.6f, 0.9f, 0.5f}}};
  VpCamera cam = camera_for(items, 2, VP_VIEW_ANTERIOR, VP_PROJECTION_ORTHOGRAPHIC);
  cam.target = vp_vec3(0, 0, 0);
  cam.distance_mm = 0.5 * H / tan(0.5 * vp_deg_to_rad(cam.fov_y_deg)); /* 1 mm per pixel */
  VpRenderStyle style;
  vp_render_style_default(&style);
  style.orientation_marker = false;
  VpScene scene = {items, 2};
  cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, W, H);
  cairo_t *cr = cairo_create(img);
  VpRenderer *renderer = vp_renderer_new();
  assert_true(vp_renderer_draw(renderer, cr, W, H, 1.0, &cam, &scene, &style, NULL));
  cairo_destroy(cr);
  vp_renderer_free(renderer);
  char *path = vp_test_artifact_path("render-grid-exact.png");
  cairo_surface_write_to_png(img, path);
  free(path);
  /* Grid x, z in [-39.5, 40.5] mm: edges through the centres of pixel columns
   * 119 and 199 and rows 79 and 159; left and top edges are in, right and bottom out. */
  check_uniform(img, 119, 79, 198, 158, 0);
  assert_int_equal(vp_test_pixel(img, 119, 79), vp_test_pixel(img, 160, 120));
  assert_true(vp_test_pixel(img, 199, 120) != vp_test_pixel(img, 160, 120));
  assert_true(vp_test_pixel(img, 160, 159) != vp_test_pixel(img, 160, 120));
  cairo_surface_destroy(img);
  vp_mesh_free(plate), vp_mesh_free(grid);
}

/* A floor below the eye that runs from far in front to behind the camera:
 * both of its triangles cross the eye plane, so without clipping nothing of
 * it would be drawn. The lower half of the view must be floor, the upper sky. */
static void test_triangles_crossing_the_eye_plane_are_clipped(void **state)
{
  (void)state;
  VpMesh *floor_mesh = make_grid(0.0, 400.0, 1, false, 0.0);
  for (uint32_t i = 0; i < floor_mesh->vertex_count;
       i++) { /* x-z grid to an x-y floor at z = -10 */
    float *p = &floor_mesh->positions[3 * i], *n = &floor_mesh->normals[3 * i];
    p[1] = p[2], p[2] = -10.0f;
    n[0] = 0.0f, n[1] = 0.0f, n[2] = 1.0f;
  }
  /* white: the headlight runs along the floor, which gets ambient light only */
  VpSceneMesh item = {.mesh = floor_mesh, .rgba = {1.0f, 1.0f, 1.0f, 1.0f}};
  VpCamera cam = camera_for(&item, 1, VP_VIEW_ANTERIOR, VP_PROJECTION_PERSPECTIVE);
  cam.target = vp_vec3(0, 0, 0);
  cam.distance_mm = 40.0; /* eye at y = 40, 10 mm above the floor */
  VpRenderStyle style;
  vp_render_style_default(&style);
  style.orientation_marker = false;
  cairo_surface_t *img = render_and_save(&cam, &item, 1, &style, W, H, "render-floor.png");
  for (int x = 0; x < W; x += 7) {
    assert_true(colour_distance(vp_test_pixel(img, x, H - 1), gradient_at_row(&style, H - 1, H)) >
                12);
    assert_true(colour_distance(vp_test_pixel(img, x, H / 4), gradient_at_row(&style, H / 4, H)) <=
                2);
  }
  cairo_surface_destroy(img);
  vp_mesh_free(floor_mesh);
}

static void test_nearer_mesh_hides_the_farther_one(void **state)
{
  (void)state;
  VpMesh *sphere = make_icosphere(3, vp_vec3(0, 30, 0), 15.0),
         *box = make_box(vp_vec3(0, 0, 0), vp_vec3(40, 10, 40));
  VpSceneMesh items[2] = {{.mesh = box, .rgba = {0.1f, 0.3f, 0.9f, 1.0f}}, bone(sphere)};
  VpCamera cam = camera_for(items, 2, VP_VIEW_ANTERIOR, VP_PROJECTION_PERSPECTIVE);
  VpRenderStyle style;
  vp_render_style_default(&style);
  cairo_surface_t *img = render_and_save(&cam, items, 2, &style, W, H, "render-occlusion.png");
  uint32_t centre = vp_test_pixel(img, W / 2, H / 2);
  assert_true(channel(centre, 16) > channel(centre, 0)); /* ivory sphere, not the blue box */
  cairo_surface_destroy(img);
  vp_mesh_free(sphere), vp_mesh_free(box);
}

/* Interpolated vertex normals on a coarse sphere: brightness along a row
 * changes by small steps, where face normals would jump at every edge. */
static void test_smooth_shading_hides_the_facets(void **state)
{
  (void)state;
  VpMesh *sphere = make_icosphere(2, vp_vec3(0, 0, 0), 30.0);
  VpSceneMesh item = bone(sphere);
  VpCamera cam = camera_for(&item, 1, VP_VIEW_ANTERIOR, VP_PROJECTION_PERSPECTIVE);
  vp_camera_zoom_at(&cam, 1.6, W / 2, H / 2, W, H);
  VpRenderStyle style;
  vp_render_style_default(&style);
  cairo_surface_t *img = render_and_save(&cam, &item, 1, &style, W, H, "render-smooth.png");
  double px, py, depth;
  assert_true(vp_camera_project(&cam, vp_vec3(-30, 0, 0), W, H, &px, &py, &depth));
  int reach = (int)(0.6 * (px - W / 2.0)), worst = 0;
  for (int x = W / 2 - reach; x < W / 2 + reach; x++) {
    int step = abs(brightness(vp_test_pixel(img, x + 1, H / 2 + 7)) -
                   brightness(vp_test_pixel(img, x, H / 2 + 7)));
    worst = step > worst ? step : worst;
  }
  if (worst > 15)
    fail_msg("brightness jumps by %d between neighbouring pixels", worst);
  cairo_surface_destroy(img);
  vp_mesh_free(sphere);
}

static void test_orientation_marker_is_drawn_in_the_lower_left_corner(void **state)
{
  (void)state;
  VpMesh *sphere = sphere_at_origin();
  VpSceneMesh item = bone(sphere);
  VpCamera cam = camera_for(&item, 1, VP_VIEW_ANTERIOR, VP_PROJECTION_PERSPECTIVE);
  vp_camera_orbit(&cam, 50, 35, H);
  VpRenderStyle with, without;
  vp_render_style_default(&with);
  without = with;
  without.orientation_marker = false;
  cairo_surface_t *a = render_and_save(&cam, &item, 1, &with, W, H, "render-marker.png");
  cairo_surface_t *b = render_and_save(&cam, &item, 1, &without, W, H, "render-no-marker.png");
  long inside = 0, outside = 0;
  int box = (int)ceil(1.2 * with.marker_size_px);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      if (vp_test_pixel(a, x, y) != vp_test_pixel(b, x, y))
        (x < box && y >= H - box) ? inside++ : outside++;
  assert_true(inside > 200);
  assert_int_equal(outside, 0);
  cairo_surface_destroy(a), cairo_surface_destroy(b);
  vp_mesh_free(sphere);
}

static void check_refused(int w, int h, const VpScene *scene, VpErrorCode code)
{
  VpCamera cam;
  vp_camera_init(&cam);
  VpRenderStyle style;
  vp_render_style_default(&style);
  VpError err;
  vp_error_clear(&err);
  cairo_surface_t *img = vp_render_to_image(&cam, scene, &style, w, h, &err);
  assert_null(img);
  assert_int_equal(err.code, code);
  assert_true(strlen(err.message) > 0);
}

static void test_invalid_sizes_are_refused(void **state)
{
  (void)state;
  VpScene empty = {NULL, 0};
  check_refused(0, 100, &empty, VP_ERR_INVALID);
  check_refused(100, -3, &empty, VP_ERR_INVALID);
  check_refused(100000, 10, &empty, VP_ERR_LIMIT);
  check_refused(16000, 16000, &empty, VP_ERR_LIMIT);
}

static void test_missing_scene_is_refused(void **state)
{
  (void)state;
  check_refused(64, 64, NULL, VP_ERR_INVALID);
}

static void test_triangle_with_an_out_of_range_vertex_is_refused(void **state)
{
  (void)state;
  VpMesh *box = make_box(vp_vec3(0, 0, 0), vp_vec3(1, 1, 1));
  box->indices[7] = box->vertex_count;
  VpSceneMesh item = bone(box);
  VpScene scene = {&item, 1};
  check_refused(64, 64, &scene, VP_ERR_INVALID);
  vp_mesh_free(box);
}

static double seconds_now(clockid_t clock)
{
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int compare_doubles(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Prints, does not assert: timing depends on the machine and the build. */
static void test_frame_time_of_a_large_mesh_is_reported(void **state)
{
  (void)state;
  VpMesh *sphere = make_icosphere(7, vp_vec3(0, 0, 0), 30.0);
  VpSceneMesh item = bone(sphere);
  VpScene scene = {&item, 1};
  VpCamera cam = camera_for(&item, 1, VP_VIEW_ANTERIOR, VP_PROJECTION_PERSPECTIVE);
  VpRenderStyle style;
  vp_render_style_default(&style);
  cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1280, 800);
  VpRenderer *renderer = vp_renderer_new();
  double wall[12], cpu[12]; /* CPU time too: a loaded machine inflates the wall clock */
  for (int i = 0; i < 12; i++) {
    cairo_t *cr = cairo_create(img);
    double w0 = seconds_now(CLOCK_MONOTONIC), c0 = seconds_now(CLOCK_PROCESS_CPUTIME_ID);
    assert_true(vp_renderer_draw(renderer, cr, 1280, 800, 1.0, &cam, &scene, &style, NULL));
    cpu[i] = seconds_now(CLOCK_PROCESS_CPUTIME_ID) - c0;
    wall[i] = seconds_now(CLOCK_MONOTONIC) - w0;
    cairo_destroy(cr);
    vp_camera_orbit(&cam, 3, 0, 800);
  }
  qsort(wall, 12, sizeof wall[0], compare_doubles);
  qsort(cpu, 12, sizeof cpu[0], compare_doubles);
  printf("frame of %u triangles at 1280x800: wall min %.2f / median %.2f ms, "
         "CPU min %.2f / median %.2f ms\n",
         sphere->triangle_count, 1e3 * wall[0], 1e3 * wall[6], 1e3 * cpu[0], 1e3 * cpu[6]);
  char *path = vp_test_artifact_path("render-large.png");
  cairo_surface_write_to_png(img, path);
  free(path);
  vp_renderer_free(renderer);
  cairo_surface_destroy(img);
  vp_mesh_free(sphere);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_background_corners_follow_the_style_gradient),
      cmocka_unit_test(test_centre_pixel_is_shaded_bone),
      cmocka_unit_test(test_surface_facing_the_eye_is_brighter_than_near_the_rim),
      cmocka_unit_test(test_outline_has_the_silhouette_colour),
      cmocka_unit_test(test_second_render_is_bit_identical),
      cmocka_unit_test(test_anterior_and_left_views_of_an_asymmetric_box_differ),
      cmocka_unit_test(test_translucent_mesh_in_front_blends_with_the_opaque_one_behind),
      cmocka_unit_test(test_translucent_mesh_behind_an_opaque_one_stays_hidden),
      cmocka_unit_test(test_perspective_projection_covers_the_mesh),
      cmocka_unit_test(test_orthographic_projection_covers_the_mesh),
      cmocka_unit_test(test_mesh_behind_the_camera_leaves_only_background),
      cmocka_unit_test(test_mesh_around_the_eye_covers_the_view),
      cmocka_unit_test(test_shared_edges_are_neither_gapped_nor_doubled),
      cmocka_unit_test(test_edges_through_pixel_centres_are_drawn_once),
      cmocka_unit_test(test_triangles_crossing_the_eye_plane_are_clipped),
      cmocka_unit_test(test_nearer_mesh_hides_the_farther_one),
      cmocka_unit_test(test_smooth_shading_hides_the_facets),
      cmocka_unit_test(test_orientation_marker_is_drawn_in_the_lower_left_corner),
      cmocka_unit_test(test_invalid_sizes_are_refused),
      cmocka_unit_test(test_missing_scene_is_refused),
      cmocka_unit_test(test_triangle_with_an_out_of_range_vertex_is_refused),
      cmocka_unit_test(test_frame_time_of_a_large_mesh_is_reported),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
