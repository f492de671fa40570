/* The anatomy drawn over slice views (see vp-anatomy-overlay.h): the part
 * map resampled on the plane into a small tint image, the frame axes and the
 * pedicle isthmus sections as vectors. */
#include "vp-anatomy-overlay.h"

#include <math.h>
#include <stdint.h>

/* Largest tint image per side: larger viewports share samples between pixels. */
#define TINT_MAX_SIDE 1024
/* A voxel is sampled about twice per side it spans on screen, no more. */
#define SAMPLES_PER_VOXEL 2.0

/* 0xRRGGBB per part, in enum order (see the header for the palettes). */
static const uint32_t part_colours[VP_ANATOMY_PART_COUNT] = {
    [VP_ANATOMY_OUTSIDE] = 0x000000,
    [VP_ANATOMY_BODY_TRABECULAR] = 0x88CCEE,     /* Tol cyan */
    [VP_ANATOMY_BODY_CORTEX] = 0x332288,         /* Tol indigo */
    [VP_ANATOMY_ENDPLATE_SUPERIOR] = 0x44AA99,   /* Tol teal */
    [VP_ANATOMY_ENDPLATE_INFERIOR] = 0x117733,   /* Tol green */
    [VP_ANATOMY_POSTERIOR_WALL] = 0xDDCC77,      /* Tol sand */
    [VP_ANATOMY_PEDICLE_LEFT] = 0xCC6677,        /* Tol rose */
    [VP_ANATOMY_PEDICLE_RIGHT] = 0x882255,       /* Tol wine */
    [VP_ANATOMY_POSTERIOR_ARCH] = 0x999933,      /* Tol olive */
    [VP_ANATOMY_CANAL] = 0xD55E00,               /* Okabe-Ito vermilion */
    [VP_ANATOMY_FORAMEN_LEFT] = 0xAA4499,        /* Tol purple */
    [VP_ANATOMY_FORAMEN_RIGHT] = 0xCC79A7,       /* Okabe-Ito reddish purple */
    [VP_ANATOMY_COSTOVERTEBRAL_LEFT] = 0xE69F00, /* Okabe-Ito orange */
    [VP_ANATOMY_COSTOVERTEBRAL_RIGHT] = 0xF0E442, /* Okabe-Ito yellow */
};

/* Frame axes: Okabe-Ito orange (left), sky blue (anterior), bluish green (superior). */
static const double axis_rgb[3][3] = {
    {0.902, 0.624, 0.0},
    {0.337, 0.706, 0.914},
    {0.0, 0.620, 0.451},
};
static const char *const axis_letters[3] = {"L", "A", "S"};

void vp_anatomy_part_rgb(VpAnatomyPart part, double rgb[3])
{
  uint32_t c = (unsigned)part < VP_ANATOMY_PART_COUNT ? part_colours[part] : 0;
  rgb[0] = ((c >> 16) & 0xff) / 255.0;
  rgb[1] = ((c >> 8) & 0xff) / 255.0;
  rgb[2] = (c & 0xff) / 255.0;
}

static VpSliceStyle style_or_default(const VpSliceStyle *style)
{
  VpSliceStyle s;
  if (style)
    return *style;
  vp_slice_style_default(&s);
  return s;
}

/* ---- Parts ---- */

/* Premultiplied ARGB32 of each part under the mask, transparent otherwise. */
static void tint_table(unsigned visible_mask, double alpha, uint32_t table[256])
{
  for (int v = 0; v < 256; v++) {
    table[v] = 0;
    if (v == VP_ANATOMY_OUTSIDE || v >= VP_ANATOMY_PART_COUNT ||
        !(visible_mask & VP_ANATOMY_PART_BIT(v)))
      continue;
    uint32_t c = part_colours[v];
    uint32_t a = (uint32_t)lround(alpha * 255.0);
    uint32_t r = (((c >> 16) & 0xff) * a + 127) / 255, g = (((c >> 8) & 0xff) * a + 127) / 255,
             b = ((c & 0xff) * a + 127) / 255;
    table[v] = a << 24 | r << 16 | g << 8 | b;
  }
}

static double smallest_spacing(const VpVolume *vol)
{
  return fmin(vol->spacing_mm[0], fmin(vol->spacing_mm[1], vol->spacing_mm[2]));
}

/* Screen pixels per tint sample along each side. */
static int tint_block(const VpSliceView *view, const VpVolume *parts)
{
  double block = floor(smallest_spacing(parts) / (SAMPLES_PER_VOXEL * view->mm_per_px));
  int side = view->width_px > view->height_px ? view->width_px : view->height_px;
  while (side / fmax(block, 1.0) > TINT_MAX_SIDE)
    block = fmax(block, 1.0) + 1.0;
  return block < 1.0 ? 1 : (int)block;
}

/* The sample under each tint pixel's centre, stepping through voxel space
 * by fixed increments per column and row. */
static void fill_tint(cairo_surface_t *image, const VpSliceView *view, const VpVolume *parts,
                      int block, const uint32_t table[256])
{
  int w = cairo_image_surface_get_width(image), h = cairo_image_surface_get_height(image);
  int stride = cairo_image_surface_get_stride(image);
  unsigned char *data = cairo_image_surface_get_data(image);
  VpVec3 origin = vp_volume_world_to_voxel(
      parts, vp_slice_view_pixel_to_world(view, 0.5 * block, 0.5 * block));
  VpVec3 right = vp_vec3_sub(vp_volume_world_to_voxel(parts, vp_slice_view_pixel_to_world(
                                                                 view, 1.5 * block, 0.5 * block)),
                             origin);
  VpVec3 down = vp_vec3_sub(vp_volume_world_to_voxel(parts, vp_slice_view_pixel_to_world(
                                                                view, 0.5 * block, 1.5 * block)),
                            origin);
  const uint8_t *voxels = parts->data;
  const int *d = parts->dims;
  for (int y = 0; y < h; y++) {
    uint32_t *row = (uint32_t *)(data + (size_t)y * stride);
    VpVec3 p = vp_vec3_add(origin, vp_vec3_scale(down, y));
    for (int x = 0; x < w; x++, p = vp_vec3_add(p, right)) {
      long i = lround(p.x), j = lround(p.y), k = lround(p.z);
      if (i < 0 || j < 0 || k < 0 || i >= d[0] || j >= d[1] || k >= d[2]) {
        row[x] = 0;
        continue;
      }
      row[x] = table[voxels[(size_t)i + (size_t)d[0] * ((size_t)j + (size_t)d[1] * (size_t)k)]];
    }
  }
  cairo_surface_mark_dirty(image);
}

bool vp_anatomy_overlay_draw_parts(cairo_t *cr, const VpSliceView *view, const VpVolume *parts,
                                   unsigned visible_mask, double alpha)
{
  if (!cr || !view || !parts || parts->type != VP_VOXEL_U8 || !parts->data ||
      !(visible_mask & VP_ANATOMY_PARTS_ALL) || !(alpha > 0) || view->width_px <= 0 ||
      view->height_px <= 0 || !(view->mm_per_px > 0))
    return true;
  int block = tint_block(view, parts);
  int w = (view->width_px + block - 1) / block, h = (view->height_px + block - 1) / block;
  cairo_surface_t *image = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
  if (cairo_surface_status(image) != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy(image);
    return false;
  }
  uint32_t table[256];
  tint_table(visible_mask, fmin(alpha, 1.0), table);
  cairo_surface_flush(image);
  fill_tint(image, view, parts, block, table);
  cairo_save(cr);
  cairo_scale(cr, block, block);
  cairo_set_source_surface(cr, image, 0, 0);
  /* Voxel edges stay crisp: blurring would invent parts between parts. */
  cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
  cairo_rectangle(cr, 0, 0, (double)view->width_px / block, (double)view->height_px / block);
  cairo_fill(cr);
  cairo_restore(cr);
  cairo_surface_destroy(image);
  return true;
}

/* ---- Frame ---- */

static void to_pixel(const VpSliceView *view, VpVec3 p, double xy[2])
{
  vp_slice_view_world_to_pixel(view, p, &xy[0], &xy[1], NULL);
}

void vp_anatomy_overlay_frame_handles(const VpSliceView *view, const VpAnatomyFrame *frame,
                                      double xy[4][2])
{
  const VpVec3 axes[3] = {frame->left, frame->anterior, frame->superior};
  double length_mm = VP_ANATOMY_AXIS_PX * view->mm_per_px;
  to_pixel(view, frame->origin_mm, xy[0]);
  for (int a = 0; a < 3; a++)
    to_pixel(view, vp_vec3_add(frame->origin_mm, vp_vec3_scale(axes[a], length_mm)), xy[a + 1]);
}

/* A capital letter centred on (x, y) over a dark halo, in the overlays'
 * stroked font. */
static void draw_letter(cairo_t *cr, const char *letter, double x, double y, double size_px,
                        const double rgb[3])
{
  vp_slice_draw_text(cr, letter, x, y, size_px, rgb, true);
}

static void draw_axis(cairo_t *cr, const double from[2], const double to[2], const double rgb[3],
                      const char *letter, const VpSliceStyle *s)
{
  double dx = to[0] - from[0], dy = to[1] - from[1], len = hypot(dx, dy);
  cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
  cairo_move_to(cr, from[0], from[1]);
  cairo_line_to(cr, to[0], to[1]);
  cairo_stroke(cr);
  /* The end is the handle that turns the axis. */
  cairo_arc(cr, to[0], to[1], 1.5 * s->line_width_px + 2.0, 0, 2 * VP_PI);
  cairo_fill(cr);
  if (len < 0.5 * s->text_px)
    return; /* along the normal: the letter would sit on the origin */
  double reach = 1.3 * s->text_px;
  draw_letter(cr, letter, to[0] + reach * dx / len, to[1] + reach * dy / len, s->text_px, rgb);
}

void vp_anatomy_overlay_draw_frame(cairo_t *cr, const VpSliceView *view,
                                   const VpAnatomyFrame *frame, const VpSliceStyle *style)
{
  if (!cr || !view || !frame || !vp_vec3_is_finite(frame->origin_mm))
    return;
  VpSliceStyle s = style_or_default(style);
  double xy[4][2], depth;
  vp_anatomy_overlay_frame_handles(view, frame, xy);
  vp_slice_view_world_to_pixel(view, frame->origin_mm, &xy[0][0], &xy[0][1], &depth);
  cairo_save(cr);
  cairo_set_line_width(cr, 1.5 * s.line_width_px);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
  if (fabs(depth) > VP_ANATOMY_ISTHMUS_NEAR_MM) {
    double dash[2] = {4.0 * s.line_width_px, 3.0 * s.line_width_px};
    cairo_set_dash(cr, dash, 2, 0);
  }
  for (int a = 0; a < 3; a++)
    draw_axis(cr, xy[0], xy[a + 1], axis_rgb[a], axis_letters[a], &s);
  /* The origin: a ring, the handle that moves the frame. */
  cairo_set_dash(cr, NULL, 0, 0);
  double r = 2.5 * s.line_width_px + 3.0;
  cairo_arc(cr, xy[0][0], xy[0][1], r, 0, 2 * VP_PI);
  cairo_set_source_rgba(cr, 0, 0, 0, 0.6);
  cairo_fill_preserve(cr);
  cairo_set_source_rgb(cr, s.text_rgb[0], s.text_rgb[1], s.text_rgb[2]);
  cairo_stroke(cr);
  cairo_restore(cr);
}

/* ---- Isthmus ---- */

bool vp_anatomy_overlay_isthmus_in_view(const VpSliceView *view, const VpPedicleMeasures *pedicle)
{
  if (!view || !pedicle || !pedicle->found || !vp_vec3_is_finite(pedicle->isthmus_mm))
    return false;
  double x, y, depth;
  vp_slice_view_world_to_pixel(view, pedicle->isthmus_mm, &x, &y, &depth);
  return fabs(depth) <= fmax(VP_ANATOMY_ISTHMUS_NEAR_MM, 0.5 * view->step_mm);
}

void vp_anatomy_overlay_draw_isthmus(cairo_t *cr, const VpSliceView *view,
                                     const VpPedicleMeasures *pedicle, const VpSliceStyle *style)
{
  if (!cr || !vp_anatomy_overlay_isthmus_in_view(view, pedicle))
    return;
  VpSliceStyle s = style_or_default(style);
  VpVec3 c = pedicle->isthmus_mm;
  VpVec3 half_w = vp_vec3_scale(pedicle->width_direction, 0.5 * pedicle->width_mm);
  VpVec3 half_h = vp_vec3_scale(pedicle->height_direction, 0.5 * pedicle->height_mm);
  /* The section's outline, projected: a rectangle, or a line seen edge-on. */
  const double corners[4][2] = {{1, 1}, {1, -1}, {-1, -1}, {-1, 1}};
  cairo_save(cr);
  cairo_set_line_width(cr, s.line_width_px);
  cairo_set_source_rgba(cr, s.measure_rgba[0], s.measure_rgba[1], s.measure_rgba[2],
                        0.6 * s.measure_rgba[3]);
  for (int i = 0; i < 4; i++) {
    VpVec3 p = vp_vec3_add(c, vp_vec3_add(vp_vec3_scale(half_w, corners[i][0]),
                                          vp_vec3_scale(half_h, corners[i][1])));
    double xy[2];
    to_pixel(view, p, xy);
    if (i == 0)
      cairo_move_to(cr, xy[0], xy[1]);
    else
      cairo_line_to(cr, xy[0], xy[1]);
  }
  cairo_close_path(cr);
  cairo_stroke(cr);
  cairo_restore(cr);
  /* The extent that lies in the plane, measured and labelled. */
  VpVec3 n = vp_slice_view_normal(view);
  bool width_in_plane = fabs(vp_vec3_dot(pedicle->width_direction, n)) <=
                        fabs(vp_vec3_dot(pedicle->height_direction, n));
  VpVec3 half = width_in_plane ? half_w : half_h;
  vp_slice_draw_distance(cr, view, vp_vec3_sub(c, half), vp_vec3_add(c, half), &s);
}

/* ---- Over the 3D view ---- */

static void draw_isthmus_marker(cairo_t *cr, const double xy[2], const double rgb[3],
                                const VpSliceStyle *s)
{
  double r = 2.0 * s->line_width_px + 3.0;
  cairo_arc(cr, xy[0], xy[1], r, 0, 2 * VP_PI);
  cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
  cairo_fill_preserve(cr);
  cairo_set_source_rgba(cr, 0, 0, 0, 0.75);
  cairo_set_line_width(cr, 0.75 * s->line_width_px + 0.5);
  cairo_stroke(cr);
}

void vp_anatomy_overlay_draw_3d(cairo_t *cr, const VpCamera *cam, int width, int height,
                                const VpAnatomy *anatomy, bool show_axes,
                                const VpSliceStyle *style)
{
  if (!cr || !cam || !anatomy || width <= 0 || height <= 0 ||
      !vp_vec3_is_finite(anatomy->frame.origin_mm))
    return;
  VpSliceStyle s = style_or_default(style);
  const VpAnatomyFrame *frame = &anatomy->frame;
  double origin[2], depth;
  if (!vp_camera_project(cam, frame->origin_mm, width, height, &origin[0], &origin[1], &depth))
    return;
  cairo_save(cr);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
  for (int side = 0; side < 2; side++) {
    const VpPedicleMeasures *p = &anatomy->measures.pedicle[side];
    double xy[2], rgb[3];
    if (!p->found || !vp_vec3_is_finite(p->isthmus_mm) ||
        !vp_camera_project(cam, p->isthmus_mm, width, height, &xy[0], &xy[1], &depth))
      continue;
    vp_anatomy_part_rgb(side == 0 ? VP_ANATOMY_PEDICLE_LEFT : VP_ANATOMY_PEDICLE_RIGHT, rgb);
    draw_isthmus_marker(cr, xy, rgb, &s);
  }
  /* The axes keep a steady length on screen, whatever the zoom. */
  double length_mm = VP_ANATOMY_AXIS_PX * vp_camera_view_height_mm(cam) / height;
  const VpVec3 axes[3] = {frame->left, frame->anterior, frame->superior};
  if (!show_axes) {
    cairo_restore(cr);
    return;
  }
  cairo_set_line_width(cr, 1.5 * s.line_width_px);
  for (int a = 0; a < 3; a++) {
    double end[2];
    VpVec3 tip = vp_vec3_add(frame->origin_mm, vp_vec3_scale(axes[a], length_mm));
    if (vp_camera_project(cam, tip, width, height, &end[0], &end[1], &depth))
      draw_axis(cr, origin, end, axis_rgb[a], axis_letters[a], &s);
  }
  double r = 2.0 * s.line_width_px + 2.0;
  cairo_arc(cr, origin[0], origin[1], r, 0, 2 * VP_PI);
  cairo_set_source_rgba(cr, 0, 0, 0, 0.6);
  cairo_fill_preserve(cr);
  cairo_set_source_rgb(cr, s.text_rgb[0], s.text_rgb[1], s.text_rgb[2]);
  cairo_stroke(cr);
  cairo_restore(cr);
}
