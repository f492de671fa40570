/* Slice views: plane geometry, CT resampling with window/level, the surface
 * contour, and the vector overlays shared with the fluoroscopy views. */
#include "vp-slice.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vp-intl-private.h"

#define UNIT_TOLERANCE 1e-6
#define NONE SIZE_MAX

static inline double clampd(double x, double lo, double hi) { return x < lo ? lo : (x > hi ? hi : x); }
static inline double vec_at(VpVec3 v, int k) { return k == 0 ? v.x : (k == 1 ? v.y : v.z); }

/* ---- view state ---- */

static bool viewport_check(int width_px, int height_px, double mm_per_px, VpError *err)
{
  if (width_px < 1 || height_px < 1 || width_px > VP_SLICE_MAX_SIDE_PX ||
      height_px > VP_SLICE_MAX_SIDE_PX)
    return vp_error_set(err, VP_ERR_INVALID,
                        _("a slice view of %d x %d pixels is empty or larger than %d pixels a "
                          "side"), width_px, height_px, VP_SLICE_MAX_SIDE_PX);
  if (!(mm_per_px > 0.0) || !isfinite(mm_per_px))
    return vp_error_set(err, VP_ERR_INVALID,
                        _("the slice pixel size must be a positive number of millimetres, not %g"),
                        mm_per_px);
  return true;
}

bool vp_slice_view_init(VpSliceView *view, VpSliceOrientation orientation,
                        const VpViewFrame *frame, int width_px, int height_px, double mm_per_px,
                        VpError *err)
{
  if (!view || !frame || orientation == VP_SLICE_OBLIQUE)
    return vp_error_set(err, VP_ERR_INVALID,
                        _("a standard slice needs a frame and one of axial, sagittal or coronal"));
  if (!viewport_check(width_px, height_px, mm_per_px, err))
    return false;
  VpVec3 u = orientation == VP_SLICE_SAGITTAL ? vp_vec3_neg(frame->anterior)
                                              : vp_vec3_neg(frame->right);
  VpVec3 v = orientation == VP_SLICE_AXIAL ? frame->anterior : frame->superior;
  *view = (VpSliceView){frame->origin_mm, u, v, mm_per_px, width_px, height_px, 1.0, orientation};
  return true;
}

bool vp_slice_view_init_along_line(VpSliceView *view, VpVec3 a_mm, VpVec3 b_mm, VpVec3 up,
                                   int width_px, int height_px, double mm_per_px, VpError *err)
{
  if (!viewport_check(width_px, height_px, mm_per_px, err))
    return false;
  VpVec3 d = vp_vec3_sub(b_mm, a_mm);
  double length = vp_vec3_length(d);
  if (!(length > 1e-9) || !isfinite(length) || !vp_vec3_is_finite(up))
    return vp_error_set(err, VP_ERR_INVALID,
                        _("an oblique slice needs a line of some length and an up direction"));
  VpVec3 u = vp_vec3_scale(d, 1.0 / length);
  VpVec3 v = vp_vec3_sub(up, vp_vec3_scale(u, vp_vec3_dot(up, u)));
  if (!(vp_vec3_length(v) > 1e-6 * vp_vec3_length(up)))
    return vp_error_set(err, VP_ERR_INVALID,
                        _("the up direction of an oblique slice must not lie along its line"));
  *view = (VpSliceView){vp_vec3_lerp(a_mm, b_mm, 0.5), u, vp_vec3_normalize(v), mm_per_px,
                        width_px, height_px, 1.0, VP_SLICE_OBLIQUE};
  return true;
}

VpSliceView vp_slice_view_from_drr(const VpDrrView *drr)
{
  return (VpSliceView){drr->center_mm, drr->u, drr->v, drr->mm_per_px,
                       drr->width_px, drr->height_px, 1.0, VP_SLICE_OBLIQUE};
}

VpVec3 vp_slice_view_normal(const VpSliceView *view) { return vp_vec3_cross(view->v, view->u); }

VpVec3 vp_slice_view_pixel_to_world(const VpSliceView *view, double px, double py)
{
  double x = (px - 0.5 * view->width_px) * view->mm_per_px;
  double y = (0.5 * view->height_px - py) * view->mm_per_px;
  return vp_vec3_add(view->center_mm,
                     vp_vec3_add(vp_vec3_scale(view->u, x), vp_vec3_scale(view->v, y)));
}

void vp_slice_view_world_to_pixel(const VpSliceView *view, VpVec3 p_mm, double *px, double *py,
                                  double *depth_mm)
{
  VpVec3 d = vp_vec3_sub(p_mm, view->center_mm);
  *px = 0.5 * view->width_px + vp_vec3_dot(d, view->u) / view->mm_per_px;
  *py = 0.5 * view->height_px - vp_vec3_dot(d, view->v) / view->mm_per_px;
  if (depth_mm)
    *depth_mm = vp_vec3_dot(d, vp_slice_view_normal(view));
}

void vp_slice_view_scroll(VpSliceView *view, double slices)
{
  if (!isfinite(slices))
    return;
  VpVec3 n = vp_slice_view_normal(view);
  view->center_mm = vp_vec3_add(view->center_mm, vp_vec3_scale(n, slices * view->step_mm));
}

void vp_slice_view_move_plane_to(VpSliceView *view, VpVec3 p_mm)
{
  if (!vp_vec3_is_finite(p_mm))
    return;
  VpVec3 n = vp_slice_view_normal(view);
  double depth = vp_vec3_dot(vp_vec3_sub(p_mm, view->center_mm), n);
  view->center_mm = vp_vec3_add(view->center_mm, vp_vec3_scale(n, depth));
}

void vp_slice_view_zoom_at(VpSliceView *view, double factor, double px, double py)
{
  if (!(factor > 0.0) || !isfinite(factor) || !isfinite(px) || !isfinite(py))
    return;
  VpVec3 anchor = vp_slice_view_pixel_to_world(view, px, py);
  view->mm_per_px /= factor;
  VpVec3 moved = vp_slice_view_pixel_to_world(view, px, py);
  view->center_mm = vp_vec3_add(view->center_mm, vp_vec3_sub(anchor, moved));
}

void vp_slice_view_pan(VpSliceView *view, double dx_px, double dy_px)
{
  if (!isfinite(dx_px) || !isfinite(dy_px))
    return;
  VpVec3 shift = vp_vec3_add(vp_vec3_scale(view->u, -dx_px * view->mm_per_px),
                             vp_vec3_scale(view->v, dy_px * view->mm_per_px));
  view->center_mm = vp_vec3_add(view->center_mm, shift);
}

void vp_slice_view_resize(VpSliceView *view, int width_px, int height_px)
{
  if (width_px < 1 || height_px < 1 || width_px > VP_SLICE_MAX_SIDE_PX ||
      height_px > VP_SLICE_MAX_SIDE_PX)
    return;
  view->width_px = width_px;
  view->height_px = height_px;
}

static int scaled_side(int side, double factor)
{
  double s = round(side * factor);
  return s < 1.0 ? 1 : (s > VP_SLICE_MAX_SIDE_PX ? VP_SLICE_MAX_SIDE_PX : (int)s);
}

VpSliceView vp_slice_view_scaled(const VpSliceView *view, double factor)
{
  VpSliceView s = *view;
  if (!(factor > 0.0) || !isfinite(factor))
    return s;
  s.width_px = scaled_side(view->width_px, factor);
  s.height_px = scaled_side(view->height_px, factor);
  s.mm_per_px = view->mm_per_px * view->width_px / s.width_px;
  return s;
}

void vp_slice_view_fit_box(VpSliceView *view, VpBox3 box, double margin_fraction)
{
  if (vp_box3_is_empty(box) || !vp_vec3_is_finite(box.min) || !vp_vec3_is_finite(box.max) ||
      !(margin_fraction >= 0.0) || !isfinite(margin_fraction))
    return;
  VpVec3 n = vp_slice_view_normal(view), c = vp_box3_center(box);
  c = vp_vec3_sub(c, vp_vec3_scale(n, vp_vec3_dot(vp_vec3_sub(c, view->center_mm), n)));
  double half_u = 0.0, half_v = 0.0;
  for (int corner = 0; corner < 8; corner++) {
    VpVec3 p = vp_vec3(corner & 1 ? box.max.x : box.min.x, corner & 2 ? box.max.y : box.min.y,
                       corner & 4 ? box.max.z : box.min.z);
    VpVec3 d = vp_vec3_sub(p, c);
    half_u = fmax(half_u, fabs(vp_vec3_dot(d, view->u)));
    half_v = fmax(half_v, fabs(vp_vec3_dot(d, view->v)));
  }
  double mm = fmax(2.0 * half_u / view->width_px, 2.0 * half_v / view->height_px);
  if (!(mm > 0.0) || !isfinite(mm))
    return;
  view->center_mm = c;
  view->mm_per_px = mm * (1.0 + 2.0 * margin_fraction);
}

double vp_slice_step_for_volume(const VpVolume *vol, VpVec3 direction)
{
  if (!vol || !(vp_vec3_length(direction) > 0.0) || !vp_vec3_is_finite(direction))
    return 1.0;
  VpVec3 d = vp_mat4_transform_dir(vol->world_to_voxel, vp_vec3_normalize(direction));
  double fastest = fmax(fabs(d.x), fmax(fabs(d.y), fabs(d.z)));
  return fastest > 0.0 && isfinite(1.0 / fastest) ? 1.0 / fastest : 1.0;
}

/* ---- measurements ---- */

static VpVec3 onto_plane(const VpSliceView *view, VpVec3 p)
{
  VpVec3 n = vp_slice_view_normal(view);
  return vp_vec3_sub(p, vp_vec3_scale(n, vp_vec3_dot(vp_vec3_sub(p, view->center_mm), n)));
}

double vp_slice_view_distance_mm(const VpSliceView *view, VpVec3 a_mm, VpVec3 b_mm)
{
  return vp_vec3_distance(onto_plane(view, a_mm), onto_plane(view, b_mm));
}

double vp_slice_view_angle_deg(const VpSliceView *view, VpVec3 a_mm, VpVec3 vertex_mm,
                               VpVec3 b_mm)
{
  VpVec3 o = onto_plane(view, vertex_mm);
  VpVec3 ra = vp_vec3_sub(onto_plane(view, a_mm), o), rb = vp_vec3_sub(onto_plane(view, b_mm), o);
  if (!(vp_vec3_length(ra) > 1e-12) || !(vp_vec3_length(rb) > 1e-12))
    return 0.0;
  return vp_rad_to_deg(vp_vec3_angle(ra, rb));
}

/* Rounds -0.04 to "0.0", not "-0.0". */
static double tidy(double x) { return fabs(x) < 0.05 ? 0.0 : x; }

void vp_format_length_mm(double mm, char *buf, size_t size)
{
  /* TRANSLATORS: a measured length in millimetres, e.g. "23.4 mm" */
  snprintf(buf, size, _("%.1f mm"), tidy(mm));
}

void vp_format_angle_deg(double deg, char *buf, size_t size)
{
  /* TRANSLATORS: a measured angle in degrees, e.g. "31.5°" */
  snprintf(buf, size, _("%.1f°"), tidy(deg));
}

/* ---- window/level ---- */

VpWindowLevel vp_window_level_preset(VpWindowPreset preset)
{
  if (preset == VP_WINDOW_SOFT_TISSUE)
    return (VpWindowLevel){400.0, 40.0};
  return (VpWindowLevel){2000.0, 500.0};
}

void vp_window_level_drag(VpWindowLevel *wl, double dx_px, double dy_px)
{
  if (!isfinite(dx_px) || !isfinite(dy_px))
    return;
  wl->window_hu = clampd(wl->window_hu * exp(dx_px / 200.0), 1.0, 100000.0);
  wl->level_hu -= dy_px * wl->window_hu / 200.0;
}

static bool window_ok(VpWindowLevel wl)
{
  return wl.window_hu > 0.0 && isfinite(wl.window_hu) && isfinite(wl.level_hu);
}

int vp_window_level_grey(VpWindowLevel wl, double hu)
{
  double t = (hu - (wl.level_hu - 0.5 * wl.window_hu)) / wl.window_hu;
  return t >= 0.0 ? (int)lrint(255.0 * fmin(t, 1.0)) : 0; /* NaN is black, as in the image */
}

/* ---- CT resampling ---- */

/* What every row needs to sample the volume: clamping limits and strides
 * per voxel axis (clamping to the outermost centres gives the edge value
 * within half a voxel of the border, as vp_volume_sample_linear() does), and
 * the window as a linear map to grey levels. */
typedef struct RowSampler {
  const VpVolume *ct;
  double last[3];   /* dims - 1 */
  int lo_max[3];
  ptrdiff_t stride[3], stride_hi[3];
  float grey_offset, grey_scale; /* grey = (hu - offset) * scale, clamped to 0..255 */
} RowSampler;

static inline float voxel_value(const void *data, ptrdiff_t i, VpVoxelType type)
{
  switch (type) {
  case VP_VOXEL_U8:
    return ((const uint8_t *)data)[i];
  case VP_VOXEL_I16:
    return ((const int16_t *)data)[i];
  case VP_VOXEL_U16:
    return ((const uint16_t *)data)[i];
  case VP_VOXEL_I32:
    return (float)((const int32_t *)data)[i];
  default:
    return ((const float *)data)[i];
  }
}

static inline uint32_t grey_pixel(const RowSampler *s, float hu)
{
  float g = (hu - s->grey_offset) * s->grey_scale;
  g = g >= 0.0f ? (g <= 255.0f ? g : 255.0f) : 0.0f; /* NaN (a float CT's hole) is black */
  uint32_t c = (uint32_t)(g + 0.5f);
  return 0xff000000u | c << 16 | c << 8 | c;
}

static inline __attribute__((always_inline)) float trilinear(const RowSampler *s, VpVoxelType type,
                                                             const double p[3])
{
  int i[3];
  float f[3];
  ptrdiff_t base = 0;
  for (int k = 0; k < 3; k++) {
    double x = clampd(p[k], 0.0, s->last[k]);
    i[k] = (int)x;
    i[k] = i[k] > s->lo_max[k] ? s->lo_max[k] : i[k];
    f[k] = (float)(x - i[k]);
    base += i[k] * s->stride[k];
  }
  const void *d = s->ct->data;
  ptrdiff_t sx = s->stride_hi[0], sy = s->stride_hi[1], sz = s->stride_hi[2];
  float c00 = voxel_value(d, base, type), c10 = voxel_value(d, base + sx, type);
  float c01 = voxel_value(d, base + sy, type), c11 = voxel_value(d, base + sx + sy, type);
  float e00 = voxel_value(d, base + sz, type), e10 = voxel_value(d, base + sz + sx, type);
  float e01 = voxel_value(d, base + sz + sy, type), e11 = voxel_value(d, base + sz + sx + sy, type);
  float a0 = c00 + f[0] * (c10 - c00), a1 = c01 + f[0] * (c11 - c01);
  float b0 = e00 + f[0] * (e10 - e00), b1 = e01 + f[0] * (e11 - e01);
  float a = a0 + f[1] * (a1 - a0), b = b0 + f[1] * (b1 - b0);
  return a + f[2] * (b - a);
}

static inline __attribute__((always_inline)) float nearest(const RowSampler *s, VpVoxelType type,
                                                           const double p[3])
{
  ptrdiff_t idx = 0;
  for (int k = 0; k < 3; k++)
    idx += (ptrdiff_t)floor(clampd(p[k], 0.0, s->last[k]) + 0.5) * s->stride[k];
  return voxel_value(s->ct->data, idx, type);
}

static inline __attribute__((always_inline)) void
sample_span(const RowSampler *s, VpVoxelType type, bool linear, uint32_t *row, int x0, int x1,
            const double start[3], const double step[3])
{
  double p[3] = {start[0] + x0 * step[0], start[1] + x0 * step[1], start[2] + x0 * step[2]};
  for (int x = x0; x <= x1; x++) {
    row[x] = grey_pixel(s, linear ? trilinear(s, type, p) : nearest(s, type, p));
    p[0] += step[0];
    p[1] += step[1];
    p[2] += step[2];
  }
}

/* Pixels x0..x1 of the row lie within the volume (voxel faces included). */
static bool row_span(const RowSampler *s, const double start[3], const double step[3], int width,
                     int *x0, int *x1)
{
  double lo = 0.0, hi = width - 1.0;
  for (int k = 0; k < 3; k++) {
    double a = -0.5, b = s->last[k] + 0.5;
    if (!isfinite(start[k]) || !isfinite(step[k]))
      return false;
    if (fabs(step[k]) < 1e-12) {
      if (start[k] < a || start[k] > b)
        return false;
      continue;
    }
    double ta = (a - start[k]) / step[k], tb = (b - start[k]) / step[k];
    lo = fmax(lo, fmin(ta, tb));
    hi = fmin(hi, fmax(ta, tb));
  }
  if (!(lo <= hi))
    return false;
  *x0 = (int)ceil(lo);
  *x1 = (int)floor(hi);
  return *x0 <= *x1;
}

static void sample_row(const RowSampler *s, bool linear, uint32_t *row, int width,
                       const double start[3], const double step[3])
{
  int x0, x1;
  for (int x = 0; x < width; x++)
    row[x] = VP_SLICE_OUTSIDE_ARGB;
  if (!row_span(s, start, step, width, &x0, &x1))
    return;
  switch (s->ct->type) {
  case VP_VOXEL_U8: sample_span(s, VP_VOXEL_U8, linear, row, x0, x1, start, step); break;
  case VP_VOXEL_I16: sample_span(s, VP_VOXEL_I16, linear, row, x0, x1, start, step); break;
  case VP_VOXEL_U16: sample_span(s, VP_VOXEL_U16, linear, row, x0, x1, start, step); break;
  case VP_VOXEL_I32: sample_span(s, VP_VOXEL_I32, linear, row, x0, x1, start, step); break;
  default: sample_span(s, VP_VOXEL_F32, linear, row, x0, x1, start, step); break;
  }
}

static void row_sampler_init(RowSampler *s, const VpVolume *ct, VpWindowLevel wl)
{
  s->ct = ct;
  ptrdiff_t stride = 1;
  for (int k = 0; k < 3; k++) {
    s->last[k] = ct->dims[k] - 1;
    s->lo_max[k] = ct->dims[k] > 1 ? ct->dims[k] - 2 : 0;
    s->stride[k] = stride;
    s->stride_hi[k] = ct->dims[k] > 1 ? stride : 0;
    stride *= ct->dims[k];
  }
  s->grey_offset = (float)(wl.level_hu - 0.5 * wl.window_hu);
  s->grey_scale = (float)(255.0 / wl.window_hu);
}

/* Nearest-neighbour once a pixel spans two voxels: the detail is lost
 * anyway and it is several times faster. */
static bool use_linear(const VpVolume *ct, const VpSliceView *view, VpSliceInterpolation interp)
{
  if (interp != VP_SLICE_INTERP_AUTO)
    return interp == VP_SLICE_INTERP_LINEAR;
  double largest = fmax(ct->spacing_mm[0], fmax(ct->spacing_mm[1], ct->spacing_mm[2]));
  return view->mm_per_px < 2.0 * largest;
}

static bool image_matches(cairo_surface_t *image, int w, int h)
{
  return image && cairo_surface_status(image) == CAIRO_STATUS_SUCCESS &&
         cairo_surface_get_type(image) == CAIRO_SURFACE_TYPE_IMAGE &&
         cairo_image_surface_get_format(image) == CAIRO_FORMAT_ARGB32 &&
         cairo_image_surface_get_width(image) == w && cairo_image_surface_get_height(image) == h;
}

static bool slice_view_ok(const VpSliceView *view, VpError *err)
{
  if (!view)
    return vp_error_set(err, VP_ERR_INVALID, _("no slice view was given"));
  if (!vp_vec3_is_finite(view->center_mm) || !vp_vec3_is_finite(view->u) ||
      !vp_vec3_is_finite(view->v) || fabs(vp_vec3_length(view->u) - 1.0) > UNIT_TOLERANCE ||
      fabs(vp_vec3_length(view->v) - 1.0) > UNIT_TOLERANCE ||
      fabs(vp_vec3_dot(view->u, view->v)) > UNIT_TOLERANCE)
    return vp_error_set(err, VP_ERR_INVALID,
                        _("the slice's screen axes are not two orthogonal unit vectors"));
  return viewport_check(view->width_px, view->height_px, view->mm_per_px, err);
}

static bool sample_ct_check(const VpVolume *ct, const VpSliceView *view, VpWindowLevel wl,
                            cairo_surface_t *image, VpError *err)
{
  if (!ct || !ct->data)
    return vp_error_set(err, VP_ERR_INVALID, _("there is no CT to show in the slice"));
  if (!slice_view_ok(view, err))
    return false;
  if (!window_ok(wl))
    return vp_error_set(err, VP_ERR_INVALID,
                        _("the window must be a positive width in HU (not %g) with a level that "
                          "is a number"), wl.window_hu);
  if (!image_matches(image, view->width_px, view->height_px))
    return vp_error_set(err, VP_ERR_INVALID,
                        _("the slice image must be ARGB32 of %d x %d pixels"), view->width_px,
                        view->height_px);
  return true;
}

bool vp_slice_sample_ct(const VpVolume *ct, const VpSliceView *view, VpWindowLevel wl,
                        VpSliceInterpolation interpolation, cairo_surface_t *image, VpError *err)
{
  if (!sample_ct_check(ct, view, wl, image, err))
    return false;
  RowSampler s;
  row_sampler_init(&s, ct, wl);
  bool linear = use_linear(ct, view, interpolation);
  VpVec3 step_w = vp_mat4_transform_dir(ct->world_to_voxel, vp_vec3_scale(view->u, view->mm_per_px));
  double step[3] = {step_w.x, step_w.y, step_w.z};
  cairo_surface_flush(image);
  unsigned char *data = cairo_image_surface_get_data(image);
  int stride = cairo_image_surface_get_stride(image);
  for (int y = 0; y < view->height_px; y++) {
    VpVec3 p = vp_mat4_transform_point(ct->world_to_voxel,
                                       vp_slice_view_pixel_to_world(view, 0.5, y + 0.5));
    double start[3] = {p.x, p.y, p.z};
    sample_row(&s, linear, (uint32_t *)(void *)(data + (size_t)y * stride), view->width_px, start,
               step);
  }
  cairo_surface_mark_dirty(image);
  return true;
}

/* ---- surface contour ---- */

void vp_slice_contour_clear(VpSliceContour *contour)
{
  if (!contour)
    return;
  free(contour->points);
  free(contour->lines);
  *contour = (VpSliceContour){0};
}

double vp_slice_contour_length_mm(const VpSliceContour *contour)
{
  double total = 0.0;
  for (size_t l = 0; l < contour->line_count; l++) {
    const VpPolyline *line = &contour->lines[l];
    const VpVec3 *p = contour->points + line->first;
    for (size_t i = 1; i < line->count; i++)
      total += vp_vec3_distance(p[i - 1], p[i]);
    if (line->closed && line->count > 2)
      total += vp_vec3_distance(p[line->count - 1], p[0]);
  }
  return total;
}

/* Crossing points keyed by the mesh edge they lie on, and one outgoing
 * segment per point (next), so chains follow the mesh's connectivity. */
typedef struct Cutter {
  const VpMesh *mesh;
  double *depth;        /* signed distance of each vertex from the plane */
  uint64_t *keys;       /* edge (lo, hi) + 1; 0 is empty */
  size_t *key_point;
  size_t key_mask;
  VpVec3 *points;
  size_t *next;
  bool *has_in, *visited;
  size_t count, capacity;
} Cutter;

static void cutter_free(Cutter *c)
{
  free(c->depth);
  free(c->keys);
  free(c->key_point);
  free(c->points);
  free(c->next);
  free(c->has_in);
  free(c->visited);
}

static VpVec3 vertex_at(const VpMesh *mesh, uint32_t v)
{
  const float *p = &mesh->positions[3 * (size_t)v];
  return vp_vec3(p[0], p[1], p[2]);
}

/* A new point not entered in the edge table: used when a non-manifold edge
 * would give a point a second outgoing or incoming segment. */
static size_t add_point(Cutter *c, VpVec3 p)
{
  c->points[c->count] = p;
  c->next[c->count] = NONE;
  c->has_in[c->count] = false;
  c->visited[c->count] = false;
  return c->count++;
}

/* The point where edge (a, b) crosses the plane, computed from the edge's
 * lower-numbered end so both triangles of the edge get the same point. */
static size_t edge_point(Cutter *c, uint32_t a, uint32_t b)
{
  uint32_t lo = a < b ? a : b, hi = a < b ? b : a;
  uint64_t key = ((uint64_t)lo << 32 | hi) + 1;
  size_t slot = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 17) & c->key_mask;
  for (; c->keys[slot]; slot = (slot + 1) & c->key_mask)
    if (c->keys[slot] == key)
      return c->key_point[slot];
  double t = c->depth[lo] / (c->depth[lo] - c->depth[hi]);
  c->keys[slot] = key;
  c->key_point[slot] = add_point(c, vp_vec3_lerp(vertex_at(c->mesh, lo), vertex_at(c->mesh, hi), t));
  return c->key_point[slot];
}

static void add_segment(Cutter *c, size_t from, size_t to)
{
  if (c->next[from] != NONE)
    from = add_point(c, c->points[from]);
  if (c->has_in[to])
    to = add_point(c, c->points[to]);
  c->next[from] = to;
  c->has_in[to] = true;
}

/* Along the triangle's counter-clockwise corners, the segment runs from the
 * edge leaving the positive side to the edge entering it: that keeps the
 * bone on the left of each segment seen from the positive side. */
static bool triangle_is_cut(const double *depth, const uint32_t tri[3])
{
  double a = depth[tri[0]], b = depth[tri[1]], d = depth[tri[2]];
  if (!isfinite(a) || !isfinite(b) || !isfinite(d))
    return false; /* a corner that is not a number has no place to cut */
  int positive = (a >= 0.0) + (b >= 0.0) + (d >= 0.0);
  return positive == 1 || positive == 2;
}

static void cut_triangle(Cutter *c, const uint32_t tri[3])
{
  if (!triangle_is_cut(c->depth, tri))
    return;
  size_t from = NONE, to = NONE;
  for (int e = 0; e < 3; e++) {
    uint32_t a = tri[e], b = tri[(e + 1) % 3];
    bool pa = c->depth[a] >= 0.0, pb = c->depth[b] >= 0.0;
    if (pa && !pb)
      from = edge_point(c, a, b);
    else if (!pa && pb)
      to = edge_point(c, a, b);
  }
  if (from != NONE && to != NONE)
    add_segment(c, from, to);
}

static size_t count_cut_triangles(const VpMesh *mesh, const double *depth)
{
  size_t n = 0;
  for (uint32_t t = 0; t < mesh->triangle_count; t++)
    n += triangle_is_cut(depth, &mesh->indices[3 * (size_t)t]);
  return n;
}

static bool cutter_alloc(Cutter *c, size_t segments, VpError *err)
{
  size_t slots = 16;
  while (slots < 4 * segments)
    slots *= 2;
  c->key_mask = slots - 1;
  c->capacity = 4 * segments + 1; /* two points per segment, doubled for non-manifold splits */
  c->keys = calloc(slots, sizeof *c->keys);
  c->key_point = malloc(slots * sizeof *c->key_point);
  c->points = malloc(c->capacity * sizeof *c->points);
  c->next = malloc(c->capacity * sizeof *c->next);
  c->has_in = malloc(c->capacity * sizeof *c->has_in);
  c->visited = malloc(c->capacity * sizeof *c->visited);
  if (c->keys && c->key_point && c->points && c->next && c->has_in && c->visited)
    return true;
  return vp_error_set(err, VP_ERR_NOMEM, _("out of memory cutting the surface with the slice"));
}

static bool contour_reserve(VpSliceContour *out, size_t points, size_t lines, VpError *err)
{
  if (points > out->point_capacity) {
    VpVec3 *p = realloc(out->points, points * sizeof *p);
    if (!p)
      return vp_error_set(err, VP_ERR_NOMEM, _("out of memory for the surface contour"));
    out->points = p;
    out->point_capacity = points;
  }
  if (lines > out->line_capacity) {
    VpPolyline *l = realloc(out->lines, lines * sizeof *l);
    if (!l)
      return vp_error_set(err, VP_ERR_NOMEM, _("out of memory for the surface contour"));
    out->lines = l;
    out->line_capacity = lines;
  }
  return true;
}

static void emit_chain(Cutter *c, VpSliceContour *out, size_t start)
{
  VpPolyline *line = &out->lines[out->line_count++];
  line->first = out->point_count;
  line->closed = false;
  for (size_t p = start; p != NONE && !c->visited[p]; p = c->next[p]) {
    c->visited[p] = true;
    out->points[out->point_count++] = c->points[p];
    line->closed = c->next[p] == start;
  }
  line->count = out->point_count - line->first;
}

/* Open chains first (from points nothing leads into), then the loops. */
static void chain_segments(Cutter *c, VpSliceContour *out)
{
  for (size_t p = 0; p < c->count; p++)
    if (!c->has_in[p] && !c->visited[p])
      emit_chain(c, out, p);
  for (size_t p = 0; p < c->count; p++)
    if (!c->visited[p])
      emit_chain(c, out, p);
}

static bool contour_args_ok(const VpMesh *mesh, VpVec3 point, VpVec3 normal, VpError *err)
{
  if (!mesh || (mesh->triangle_count > 0 && (!mesh->indices || !mesh->positions)))
    return vp_error_set(err, VP_ERR_INVALID, _("there is no surface to cut with the slice"));
  if (!vp_vec3_is_finite(point) || !vp_vec3_is_finite(normal) || !(vp_vec3_length(normal) > 0.0))
    return vp_error_set(err, VP_ERR_INVALID, _("the slice plane is not defined"));
  for (size_t i = 0; i < 3 * (size_t)mesh->triangle_count; i++)
    if (mesh->indices[i] >= mesh->vertex_count)
      return vp_error_set(err, VP_ERR_INVALID,
                          _("the surface refers to vertex %u of %u"), mesh->indices[i],
                          mesh->vertex_count);
  return true;
}

static bool cut_mesh(Cutter *c, VpVec3 point, VpVec3 normal, VpSliceContour *out, VpError *err)
{
  const VpMesh *mesh = c->mesh;
  VpVec3 n = vp_vec3_normalize(normal);
  c->depth = malloc(((size_t)mesh->vertex_count + 1) * sizeof *c->depth);
  if (!c->depth)
    return vp_error_set(err, VP_ERR_NOMEM, _("out of memory cutting the surface with the slice"));
  for (uint32_t v = 0; v < mesh->vertex_count; v++)
    c->depth[v] = vp_vec3_dot(vp_vec3_sub(vertex_at(mesh, v), point), n);
  size_t segments = count_cut_triangles(mesh, c->depth);
  if (!cutter_alloc(c, segments, err))
    return false;
  for (uint32_t t = 0; t < mesh->triangle_count; t++)
    cut_triangle(c, &mesh->indices[3 * (size_t)t]);
  if (!contour_reserve(out, c->count, c->count, err))
    return false;
  chain_segments(c, out);
  return true;
}

bool vp_slice_contour_compute(const VpMesh *mesh, VpVec3 plane_point, VpVec3 plane_normal,
                              VpSliceContour *out, VpError *err)
{
  if (!out)
    return vp_error_set(err, VP_ERR_INVALID, _("no contour was given to fill"));
  out->point_count = out->line_count = 0;
  if (!contour_args_ok(mesh, plane_point, plane_normal, err))
    return false;
  Cutter c = {.mesh = mesh};
  bool ok = cut_mesh(&c, plane_point, plane_normal, out, err);
  cutter_free(&c);
  if (!ok)
    out->point_count = out->line_count = 0;
  return ok;
}

/* ---- drawing ---- */

void vp_slice_style_default(VpSliceStyle *style)
{
  *style = (VpSliceStyle){
      .contour_rgba = {1.0, 0.84, 0.25, 0.95},
      .section_rgb = {0.80, 0.78, 0.72},
      .crosshair_rgba = {0.35, 0.85, 1.0, 0.75},
      .measure_rgba = {0.45, 1.0, 0.55, 1.0},
      .text_rgb = {0.95, 0.95, 0.92},
      .line_width_px = 1.5,
      .text_px = 10.0,
  };
}

static VpSliceStyle style_or_default(const VpSliceStyle *style)
{
  VpSliceStyle s;
  if (style)
    return *style;
  vp_slice_style_default(&s);
  return s;
}

void vp_slice_draw_image(cairo_t *cr, const VpSliceView *view, cairo_surface_t *image)
{
  if (!cr || !view || !image || cairo_surface_status(image) != CAIRO_STATUS_SUCCESS)
    return;
  int iw = cairo_image_surface_get_width(image), ih = cairo_image_surface_get_height(image);
  if (iw < 1 || ih < 1)
    return;
  cairo_save(cr);
  cairo_rectangle(cr, 0, 0, view->width_px, view->height_px);
  cairo_clip(cr);
  cairo_scale(cr, (double)view->width_px / iw, (double)view->height_px / ih);
  cairo_set_source_surface(cr, image, 0, 0);
  bool same = iw == view->width_px && ih == view->height_px;
  cairo_pattern_set_filter(cairo_get_source(cr), same ? CAIRO_FILTER_NEAREST : CAIRO_FILTER_GOOD);
  cairo_pattern_set_extend(cairo_get_source(cr), CAIRO_EXTEND_PAD);
  cairo_paint(cr);
  cairo_restore(cr);
}

static void polyline_path(cairo_t *cr, const VpSliceView *view, const VpSliceContour *contour,
                          const VpPolyline *line)
{
  for (size_t i = 0; i < line->count; i++) {
    double x, y;
    vp_slice_view_world_to_pixel(view, contour->points[line->first + i], &x, &y, NULL);
    if (i == 0)
      cairo_move_to(cr, x, y);
    else
      cairo_line_to(cr, x, y);
  }
  if (line->closed)
    cairo_close_path(cr);
}

void vp_slice_draw_section(cairo_t *cr, const VpSliceView *view, const VpSliceContour *contour,
                           const VpSliceStyle *style)
{
  if (!cr || !view)
    return;
  VpSliceStyle s = style_or_default(style);
  cairo_save(cr);
  cairo_rectangle(cr, 0, 0, view->width_px, view->height_px);
  cairo_clip_preserve(cr);
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_fill(cr);
  cairo_new_path(cr);
  for (size_t l = 0; contour && l < contour->line_count; l++)
    if (contour->lines[l].closed)
      polyline_path(cr, view, contour, &contour->lines[l]);
  cairo_set_fill_rule(cr, CAIRO_FILL_RULE_EVEN_ODD);
  cairo_set_source_rgb(cr, s.section_rgb[0], s.section_rgb[1], s.section_rgb[2]);
  cairo_fill(cr);
  cairo_restore(cr);
}

static void set_rgba(cairo_t *cr, const double c[4]) { cairo_set_source_rgba(cr, c[0], c[1], c[2], c[3]); }

void vp_slice_draw_contour(cairo_t *cr, const VpSliceView *view, const VpSliceContour *contour,
                           const VpSliceStyle *style)
{
  if (!cr || !view || !contour)
    return;
  VpSliceStyle s = style_or_default(style);
  cairo_save(cr);
  cairo_new_path(cr);
  for (size_t l = 0; l < contour->line_count; l++)
    polyline_path(cr, view, contour, &contour->lines[l]);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
  cairo_set_line_width(cr, s.line_width_px);
  set_rgba(cr, s.contour_rgba);
  cairo_stroke(cr);
  cairo_restore(cr);
}

/* The lines stop short of the point so the structure under it stays visible. */
void vp_slice_draw_crosshair(cairo_t *cr, const VpSliceView *view, VpVec3 point_mm,
                             const VpSliceStyle *style)
{
  if (!cr || !view || !vp_vec3_is_finite(point_mm))
    return;
  VpSliceStyle s = style_or_default(style);
  double x, y, gap = 10.0;
  vp_slice_view_world_to_pixel(view, point_mm, &x, &y, NULL);
  cairo_save(cr);
  cairo_new_path(cr);
  cairo_move_to(cr, 0, y);
  cairo_line_to(cr, x - gap, y);
  cairo_move_to(cr, x + gap, y);
  cairo_line_to(cr, view->width_px, y);
  cairo_move_to(cr, x, 0);
  cairo_line_to(cr, x, y - gap);
  cairo_move_to(cr, x, y + gap);
  cairo_line_to(cr, x, view->height_px);
  cairo_set_line_width(cr, 0.75 * s.line_width_px);
  set_rgba(cr, s.crosshair_rgba);
  cairo_stroke(cr);
  cairo_restore(cr);
}

char vp_orientation_letter(VpVec3 dir)
{
  double ax = fabs(dir.x), ay = fabs(dir.y), az = fabs(dir.z);
  if (ax >= ay && ax >= az)
    return dir.x >= 0.0 ? 'R' : 'L';
  if (ay >= az)
    return dir.y >= 0.0 ? 'A' : 'P';
  return dir.z >= 0.0 ? 'S' : 'I';
}

/* ---- stroked text ----
 * Labels are drawn with a small stroked font rather than system fonts, as the
 * 3D view's orientation marker is: the overlays look the same on every
 * machine, need no font files, and images stay reproducible. Glyphs are
 * paths in hundredths of the capital height, y down from the cap line:
 * M x y move, L x y line, C x1 y1 x2 y2 x y curve, E cx cy rx ry ellipse,
 * O / A cx cy r a0 a1 arc (clockwise on screen, degrees) starting a new piece
 * or continuing the current one, Q the same anticlockwise. */

typedef struct Glyph {
  uint32_t code;
  int advance; /* hundredths of the capital height */
  const char *path;
} Glyph;

static const Glyph glyphs[] = {
    {'0', 62, "E30 50 24 50"},
    {'1', 62, "M12 20 L32 0 L32 100"},
    {'2', 62, "O30 27 24 180 405 L6 100 L56 100"},
    {'3', 62, "O30 25 23 198 450 O30 73 26 270 522"},
    {'4', 62, "M44 100 L44 0 L4 70 L58 70"},
    {'5', 62, "M54 0 L14 0 L17 45 A29 69 27 243 504"},
    {'6', 62, "O30 70 26 0 360 M50 4 C22 10 4 40 4 70"},
    {'7', 62, "M4 0 L56 0 L20 100"},
    {'8', 62, "O30 26 22 0 360 O30 73 26 0 360"},
    {'9', 62, "O30 30 26 0 360 M56 30 C56 62 40 92 10 98"},
    {'.', 30, "M15 100 L15 100"},
    {',', 30, "M17 94 L8 116"},
    {'-', 52, "M8 60 L44 60"},
    {' ', 36, ""},
    {'m', 82, "M5 100 L5 45 M5 62 C10 42 38 42 38 62 L38 100 M38 62 C43 42 71 42 71 62 L71 100"},
    {0xb0, 36, "O17 14 12 0 360"}, /* degree sign */
    {'A', 68, "M2 100 L33 0 L64 100 M13 66 L53 66"},
    {'I', 50, "M6 0 L42 0 M24 0 L24 100 M6 100 L42 100"},
    {'L', 62, "M8 0 L8 100 L56 100"},
    {'P', 64, "M8 100 L8 0 L36 0 A36 26 26 270 450 L8 52"},
    {'R', 68, "M8 100 L8 0 L36 0 A36 26 26 270 450 L8 52 M34 52 L60 100"},
    {'S', 64, "Q32 26 24 330 90 A32 74 25 270 510"},
};

/* What a character the font lacks looks like: an empty box. */
static const Glyph missing_glyph = {0, 54, "M6 20 L46 20 L46 100 L6 100 L6 20"};

static const Glyph *find_glyph(uint32_t code)
{
  for (size_t i = 0; i < sizeof glyphs / sizeof glyphs[0]; i++)
    if (glyphs[i].code == code)
      return &glyphs[i];
  return &missing_glyph;
}

/* Next code point of UTF-8 text (two-byte sequences decoded; longer ones
 * skipped as one unknown character). */
static uint32_t next_code_point(const char **s)
{
  const unsigned char *p = (const unsigned char *)*s;
  uint32_t c = *p++;
  if (c >= 0xc0 && c < 0xe0 && (*p & 0xc0) == 0x80)
    c = (c & 0x1f) << 6 | (*p++ & 0x3f);
  else if (c >= 0x80)
    for (c = 0xfffd; (*p & 0xc0) == 0x80; p++)
      ;
  *s = (const char *)p;
  return c;
}

static void glyph_arc(cairo_t *cr, char op, const double *a, double x0, double y0, double h)
{
  double cx = x0 + h * a[0] / 100, cy = y0 + h * a[1] / 100, r = h * a[2] / 100;
  double a0 = vp_deg_to_rad(a[3]), a1 = vp_deg_to_rad(a[4]);
  if (op != 'A')
    cairo_new_sub_path(cr);
  if (op == 'Q')
    cairo_arc_negative(cr, cx, cy, r, a0, a1);
  else
    cairo_arc(cr, cx, cy, r, a0, a1);
}

static void glyph_ellipse(cairo_t *cr, const double *a, double x0, double y0, double h)
{
  cairo_new_sub_path(cr);
  cairo_save(cr);
  cairo_translate(cr, x0 + h * a[0] / 100, y0 + h * a[1] / 100);
  cairo_scale(cr, h * a[2] / 100, h * a[3] / 100);
  cairo_arc(cr, 0, 0, 1, 0, 2 * VP_PI);
  cairo_restore(cr); /* the path keeps the ellipse */
}

static void glyph_path(cairo_t *cr, const char *path, double x0, double y0, double h)
{
  for (const char *p = path; *p;) {
    char op = *p++;
    int n = op == 'M' || op == 'L' ? 2 : (op == 'C' ? 6 : (op == 'E' ? 4 : 5));
    double a[6];
    for (int i = 0; i < n; i++) {
      char *end;
      a[i] = (double)strtol(p, &end, 10);
      p = end;
    }
    while (*p == ' ')
      p++;
    if (op == 'M')
      cairo_move_to(cr, x0 + h * a[0] / 100, y0 + h * a[1] / 100);
    else if (op == 'L')
      cairo_line_to(cr, x0 + h * a[0] / 100, y0 + h * a[1] / 100);
    else if (op == 'C')
      cairo_curve_to(cr, x0 + h * a[0] / 100, y0 + h * a[1] / 100, x0 + h * a[2] / 100,
                     y0 + h * a[3] / 100, x0 + h * a[4] / 100, y0 + h * a[5] / 100);
    else if (op == 'E')
      glyph_ellipse(cr, a, x0, y0, h);
    else
      glyph_arc(cr, op, a, x0, y0, h);
  }
}

/* Width of text in capital heights. */
static double text_width(const char *text)
{
  int hundredths = 0;
  for (const char *p = text; *p;)
    hundredths += find_glyph(next_code_point(&p))->advance;
  return hundredths / 100.0;
}

void vp_slice_draw_text(cairo_t *cr, const char *text, double x, double y, double size_px,
                        const double rgb[3], bool bold)
{
  double pen = x - 0.5 * size_px * text_width(text), top = y - 0.5 * size_px;
  cairo_save(cr);
  cairo_new_path(cr);
  for (const char *p = text; *p;) {
    const Glyph *g = find_glyph(next_code_point(&p));
    glyph_path(cr, g->path, pen, top, size_px);
    pen += size_px * g->advance / 100.0;
  }
  double stroke = (bold ? 0.16 : 0.12) * size_px;
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_width(cr, stroke + 0.16 * size_px + 1.0);
  cairo_set_source_rgba(cr, 0.0, 0.0, 0.0, 0.75);
  cairo_stroke_preserve(cr);
  cairo_set_line_width(cr, stroke);
  cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
  cairo_stroke(cr);
  cairo_restore(cr);
}

void vp_slice_draw_orientation_letters(cairo_t *cr, const VpSliceView *view,
                                       const VpSliceStyle *style)
{
  if (!cr || !view)
    return;
  VpSliceStyle s = style_or_default(style);
  double size = 1.2 * s.text_px, inset = 1.1 * size;
  double w = view->width_px, h = view->height_px;
  char right[2] = {vp_orientation_letter(view->u), 0}, left[2] = {vp_orientation_letter(vp_vec3_neg(view->u)), 0};
  char top[2] = {vp_orientation_letter(view->v), 0}, bottom[2] = {vp_orientation_letter(vp_vec3_neg(view->v)), 0};
  vp_slice_draw_text(cr, left, inset, 0.5 * h, size, s.text_rgb, true);
  vp_slice_draw_text(cr, right, w - inset, 0.5 * h, size, s.text_rgb, true);
  vp_slice_draw_text(cr, top, 0.5 * w, inset, size, s.text_rgb, true);
  vp_slice_draw_text(cr, bottom, 0.5 * w, h - inset, size, s.text_rgb, true);
}

double vp_scale_bar_length_mm(double mm_per_px, double max_px)
{
  if (!(mm_per_px > 0.0) || !(max_px > 0.0) || !isfinite(mm_per_px) || !isfinite(max_px))
    return 0.0;
  double max_mm = mm_per_px * max_px;
  double decade = pow(10.0, floor(log10(max_mm)));
  static const double steps[3] = {5.0, 2.0, 1.0};
  for (int i = 0; i < 3; i++)
    if (steps[i] * decade <= max_mm * (1.0 + 1e-12))
      return steps[i] * decade;
  return decade; /* rounding at an exact power of ten */
}

void vp_slice_draw_scale_bar(cairo_t *cr, const VpSliceView *view, const VpSliceStyle *style)
{
  if (!cr || !view)
    return;
  VpSliceStyle s = style_or_default(style);
  double length_mm = vp_scale_bar_length_mm(view->mm_per_px, 0.25 * view->width_px);
  if (length_mm <= 0.0)
    return;
  double length_px = length_mm / view->mm_per_px, margin = 1.7 * s.text_px, tick = 0.55 * s.text_px;
  double x1 = view->width_px - margin, x0 = x1 - length_px, y = view->height_px - margin;
  cairo_save(cr);
  cairo_new_path(cr);
  cairo_move_to(cr, x0, y - tick);
  cairo_line_to(cr, x0, y);
  cairo_line_to(cr, x1, y);
  cairo_line_to(cr, x1, y - tick);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER);
  cairo_set_line_width(cr, 2.0 * s.line_width_px + 2.0);
  cairo_set_source_rgba(cr, 0, 0, 0, 0.75);
  cairo_stroke_preserve(cr);
  cairo_set_line_width(cr, 2.0 * s.line_width_px);
  cairo_set_source_rgb(cr, s.text_rgb[0], s.text_rgb[1], s.text_rgb[2]);
  cairo_stroke(cr);
  cairo_restore(cr);
  char label[32];
  /* TRANSLATORS: the length of the scale bar, e.g. "10 mm" */
  snprintf(label, sizeof label, _("%g mm"), length_mm);
  vp_slice_draw_text(cr, label, 0.5 * (x0 + x1), y - tick - 0.9 * s.text_px, s.text_px, s.text_rgb, false);
}

static void stroke_measure(cairo_t *cr, const VpSliceStyle *s)
{
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_width(cr, s->line_width_px + 2.0);
  cairo_set_source_rgba(cr, 0, 0, 0, 0.6);
  cairo_stroke_preserve(cr);
  cairo_set_line_width(cr, s->line_width_px);
  set_rgba(cr, s->measure_rgba);
  cairo_stroke(cr);
}

static void end_mark(cairo_t *cr, double x, double y, double nx, double ny, double half)
{
  cairo_move_to(cr, x - nx * half, y - ny * half);
  cairo_line_to(cr, x + nx * half, y + ny * half);
}

void vp_slice_draw_distance(cairo_t *cr, const VpSliceView *view, VpVec3 a_mm, VpVec3 b_mm,
                            const VpSliceStyle *style)
{
  if (!cr || !view || !vp_vec3_is_finite(a_mm) || !vp_vec3_is_finite(b_mm))
    return;
  VpSliceStyle s = style_or_default(style);
  double ax, ay, bx, by;
  vp_slice_view_world_to_pixel(view, a_mm, &ax, &ay, NULL);
  vp_slice_view_world_to_pixel(view, b_mm, &bx, &by, NULL);
  double len = hypot(bx - ax, by - ay), nx = 0.0, ny = -1.0;
  if (len > 1e-9) {
    nx = -(by - ay) / len;
    ny = (bx - ax) / len;
  }
  cairo_save(cr);
  cairo_new_path(cr);
  cairo_move_to(cr, ax, ay);
  cairo_line_to(cr, bx, by);
  end_mark(cr, ax, ay, nx, ny, 0.5 * s.text_px);
  end_mark(cr, bx, by, nx, ny, 0.5 * s.text_px);
  stroke_measure(cr, &s);
  cairo_restore(cr);
  char label[48];
  vp_format_length_mm(vp_slice_view_distance_mm(view, a_mm, b_mm), label, sizeof label);
  double side = ny > 0.0 ? -1.5 * s.text_px : 1.5 * s.text_px; /* the label goes above the line */
  vp_slice_draw_text(cr, label, 0.5 * (ax + bx) + side * nx, 0.5 * (ay + by) + side * ny, s.text_px,
            s.measure_rgba, false);
}

void vp_slice_draw_angle(cairo_t *cr, const VpSliceView *view, VpVec3 a_mm, VpVec3 vertex_mm,
                         VpVec3 b_mm, const VpSliceStyle *style)
{
  if (!cr || !view || !vp_vec3_is_finite(a_mm) || !vp_vec3_is_finite(b_mm) ||
      !vp_vec3_is_finite(vertex_mm))
    return;
  VpSliceStyle s = style_or_default(style);
  double ax, ay, ox, oy, bx, by;
  vp_slice_view_world_to_pixel(view, a_mm, &ax, &ay, NULL);
  vp_slice_view_world_to_pixel(view, vertex_mm, &ox, &oy, NULL);
  vp_slice_view_world_to_pixel(view, b_mm, &bx, &by, NULL);
  double ta = atan2(ay - oy, ax - ox), tb = atan2(by - oy, bx - ox);
  double sweep = remainder(tb - ta, 2.0 * VP_PI); /* the inner angle, signed */
  double r = fmin(3.5 * s.text_px, 0.4 * fmin(hypot(ax - ox, ay - oy), hypot(bx - ox, by - oy)));
  cairo_save(cr);
  cairo_new_path(cr);
  cairo_move_to(cr, ax, ay);
  cairo_line_to(cr, ox, oy);
  cairo_line_to(cr, bx, by);
  cairo_new_sub_path(cr);
  if (sweep >= 0.0)
    cairo_arc(cr, ox, oy, r, ta, ta + sweep);
  else
    cairo_arc_negative(cr, ox, oy, r, ta, ta + sweep);
  stroke_measure(cr, &s);
  cairo_restore(cr);
  char label[48];
  vp_format_angle_deg(vp_slice_view_angle_deg(view, a_mm, vertex_mm, b_mm), label, sizeof label);
  double mid = ta + 0.5 * sweep, reach = r + 2.2 * s.text_px;
  vp_slice_draw_text(cr, label, ox + reach * cos(mid), oy + reach * sin(mid), s.text_px, s.measure_rgba,
            false);
}

/* ---- whole views ---- */

void vp_slice_scene_init(VpSliceScene *scene)
{
  *scene = (VpSliceScene){
      .window = vp_window_level_preset(VP_WINDOW_BONE),
      .interpolation = VP_SLICE_INTERP_AUTO,
      .show_contour = true,
      .show_orientation = true,
      .show_scale_bar = true,
      .show_crosshair = true,
  };
  vp_slice_style_default(&scene->style);
}

struct VpSliceRenderer {
  cairo_surface_t *image;
  VpSliceContour contour;
  bool contour_valid;
  const VpMesh *contour_mesh;
  VpVec3 contour_normal;
  double contour_offset; /* normal . point of the cut plane */
};

VpSliceRenderer *vp_slice_renderer_new(void) { return calloc(1, sizeof(VpSliceRenderer)); }

void vp_slice_renderer_free(VpSliceRenderer *renderer)
{
  if (!renderer)
    return;
  if (renderer->image)
    cairo_surface_destroy(renderer->image);
  vp_slice_contour_clear(&renderer->contour);
  free(renderer);
}

void vp_slice_renderer_invalidate(VpSliceRenderer *renderer)
{
  if (renderer)
    renderer->contour_valid = false;
}

const VpSliceContour *vp_slice_renderer_contour(const VpSliceRenderer *renderer)
{
  return &renderer->contour;
}

static bool ensure_image(VpSliceRenderer *r, int w, int h, VpError *err)
{
  if (image_matches(r->image, w, h))
    return true;
  if (r->image)
    cairo_surface_destroy(r->image);
  r->image = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
  if (cairo_surface_status(r->image) == CAIRO_STATUS_SUCCESS)
    return true;
  cairo_surface_destroy(r->image);
  r->image = NULL;
  return vp_error_set(err, VP_ERR_NOMEM, _("cannot create a %d x %d slice image"), w, h);
}

/* Recuts only when the plane moved along its normal, tilted, or the surface
 * changed; panning and zooming keep the cut. */
static bool update_contour(VpSliceRenderer *r, const VpSliceView *view, const VpMesh *mesh,
                           VpError *err)
{
  VpVec3 n = vp_slice_view_normal(view);
  double offset = vp_vec3_dot(n, view->center_mm);
  if (r->contour_valid && r->contour_mesh == mesh && fabs(offset - r->contour_offset) < 1e-9 &&
      vp_vec3_distance(n, r->contour_normal) < 1e-12)
    return true;
  r->contour_valid = false;
  if (!vp_slice_contour_compute(mesh, view->center_mm, n, &r->contour, err))
    return false;
  r->contour_valid = true;
  r->contour_mesh = mesh;
  r->contour_normal = n;
  r->contour_offset = offset;
  return true;
}

static bool draw_base(VpSliceRenderer *r, cairo_t *cr, const VpSliceView *view,
                      const VpSliceScene *scene, VpError *err)
{
  if (scene->ct) {
    if (!ensure_image(r, view->width_px, view->height_px, err) ||
        !vp_slice_sample_ct(scene->ct, view, scene->window, scene->interpolation, r->image, err))
      return false;
    vp_slice_draw_image(cr, view, r->image);
    return true;
  }
  vp_slice_draw_section(cr, view, scene->surface ? &r->contour : NULL, &scene->style);
  return true;
}

bool vp_slice_renderer_draw(VpSliceRenderer *renderer, cairo_t *cr, const VpSliceView *view,
                            const VpSliceScene *scene, VpError *err)
{
  if (!renderer || !cr || !scene)
    return vp_error_set(err, VP_ERR_INVALID, _("nothing to draw the slice with"));
  if (!slice_view_ok(view, err))
    return false;
  if (scene->surface && !update_contour(renderer, view, scene->surface, err))
    return false;
  cairo_save(cr);
  cairo_rectangle(cr, 0, 0, view->width_px, view->height_px);
  cairo_clip(cr);
  bool ok = draw_base(renderer, cr, view, scene, err);
  if (ok && scene->surface && scene->show_contour)
    vp_slice_draw_contour(cr, view, &renderer->contour, &scene->style);
  if (ok && scene->show_crosshair)
    vp_slice_draw_crosshair(cr, view, scene->crosshair_mm, &scene->style);
  if (ok && scene->show_orientation)
    vp_slice_draw_orientation_letters(cr, view, &scene->style);
  if (ok && scene->show_scale_bar)
    vp_slice_draw_scale_bar(cr, view, &scene->style);
  cairo_restore(cr);
  return ok;
}

static cairo_surface_t *new_image(int w, int h, VpError *err)
{
  cairo_surface_t *image = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
  if (cairo_surface_status(image) == CAIRO_STATUS_SUCCESS)
    return image;
  cairo_surface_destroy(image);
  vp_error_set(err, VP_ERR_NOMEM, _("cannot create a %d x %d image"), w, h);
  return NULL;
}

cairo_surface_t *vp_slice_render_to_image(const VpSliceView *view, const VpSliceScene *scene,
                                          VpError *err)
{
  if (!slice_view_ok(view, err))
    return NULL;
  VpSliceRenderer *r = vp_slice_renderer_new();
  cairo_surface_t *image = r ? new_image(view->width_px, view->height_px, err) : NULL;
  if (!image) {
    if (!r)
      vp_error_set(err, VP_ERR_NOMEM, _("out of memory for a slice view"));
    vp_slice_renderer_free(r);
    return NULL;
  }
  cairo_t *cr = cairo_create(image);
  bool ok = vp_slice_renderer_draw(r, cr, view, scene, err);
  cairo_destroy(cr);
  vp_slice_renderer_free(r);
  if (ok)
    return image;
  cairo_surface_destroy(image);
  return NULL;
}

/* ---- fluoroscopy display ---- */

#define DISPLAY_BINS 4096
#define DISPLAY_GAMMA 1.5

/* Attenuation below which the fraction q of the covered pixels lie. */
static double histogram_quantile(const size_t *counts, size_t covered, double q, double top)
{
  size_t target = (size_t)ceil(q * (double)covered), seen = 0;
  int bin = 0;
  for (; bin < DISPLAY_BINS - 1 && seen + counts[bin] < target; bin++)
    seen += counts[bin];
  return (bin + 1.0) / DISPLAY_BINS * top;
}

/* White just below the densest rays; black as far below the median as twice
 * the median's distance from white. Through a CT with soft tissue the median
 * ray is mostly tissue, so tissue turns dark grey and bone stands out; for a
 * bone-only synthetic CT black falls to zero and thin bone stays visible. */
void vp_drr_display_auto(const VpDrrImage *image, VpDrrDisplay *out)
{
  *out = (VpDrrDisplay){.black_attenuation = 0.0, .white_attenuation = 1.0, .gamma = DISPLAY_GAMMA};
  float top = vp_drr_image_max(image);
  if (!(top > 0.0f) || !isfinite(top))
    return;
  size_t counts[DISPLAY_BINS] = {0}, covered = 0, n = (size_t)image->width_px * image->height_px;
  for (size_t i = 0; i < n; i++) {
    float a = image->attenuation[i];
    if (a > 0.0f) {
      int bin = (int)(a / top * DISPLAY_BINS);
      counts[bin >= DISPLAY_BINS ? DISPLAY_BINS - 1 : bin]++;
      covered++;
    }
  }
  double white = histogram_quantile(counts, covered, 0.995, top);
  double median = histogram_quantile(counts, covered, 0.5, top);
  out->white_attenuation = white;
  out->black_attenuation = fmax(0.0, median - 2.0 * (white - median));
}

static bool display_check(const VpDrrImage *drr, const VpDrrDisplay *display,
                          cairo_surface_t *image, VpError *err)
{
  if (!drr || !drr->attenuation || !display)
    return vp_error_set(err, VP_ERR_INVALID, _("there is no radiograph to display"));
  if (!image_matches(image, drr->width_px, drr->height_px))
    return vp_error_set(err, VP_ERR_INVALID,
                        _("the radiograph image must be ARGB32 of %d x %d pixels"), drr->width_px,
                        drr->height_px);
  double range = display->white_attenuation - display->black_attenuation;
  if (!(fabs(range) > 0.0) || !isfinite(range) || !(display->gamma > 0.0) ||
      !isfinite(display->gamma))
    return vp_error_set(err, VP_ERR_INVALID,
                        _("the radiograph display needs different black and white levels and a "
                          "positive gamma"));
  return true;
}

static uint32_t radiograph_pixel(const VpDrrDisplay *display, double range, float attenuation)
{
  double t = (attenuation - display->black_attenuation) / range;
  t = t >= 0.0 ? fmin(t, 1.0) : 0.0; /* NaN too */
  t = display->gamma == 1.0 ? t : pow(t, display->gamma);
  uint32_t g = (uint32_t)lrint(255.0 * (display->invert ? 1.0 - t : t));
  return 0xff000000u | g << 16 | g << 8 | g;
}

bool vp_drr_display_to_image(const VpDrrImage *drr, const VpDrrDisplay *display,
                             cairo_surface_t *image, VpError *err)
{
  if (!display_check(drr, display, image, err))
    return false;
  double range = display->white_attenuation - display->black_attenuation;
  cairo_surface_flush(image);
  unsigned char *data = cairo_image_surface_get_data(image);
  int stride = cairo_image_surface_get_stride(image);
  for (int y = 0; y < drr->height_px; y++) {
    uint32_t *row = (uint32_t *)(void *)(data + (size_t)y * stride);
    const float *a = drr->attenuation + (size_t)y * drr->width_px;
    for (int x = 0; x < drr->width_px; x++)
      row[x] = radiograph_pixel(display, range, a[x]);
  }
  cairo_surface_mark_dirty(image);
  return true;
}

void vp_fluoro_draw_overlays(cairo_t *cr, const VpDrrView *view, const VpSliceStyle *style)
{
  if (!cr || !view)
    return;
  VpSliceView plane = vp_slice_view_from_drr(view);
  vp_slice_draw_orientation_letters(cr, &plane, style);
  vp_slice_draw_scale_bar(cr, &plane, style);
}

cairo_surface_t *vp_fluoro_render_to_image(const VpVolume *ct, const VpDrrView *view,
                                           const VpDrrOptions *options,
                                           const VpDrrDisplay *display, VpError *err)
{
  VpDrrImage drr = {0};
  if (!vp_drr_compute(ct, view, options, &drr, err))
    return NULL;
  VpDrrDisplay automatic;
  if (!display) {
    vp_drr_display_auto(&drr, &automatic);
    display = &automatic;
  }
  cairo_surface_t *image = new_image(view->width_px, view->height_px, err);
  if (image && !vp_drr_display_to_image(&drr, display, image, err)) {
    cairo_surface_destroy(image);
    image = NULL;
  }
  vp_drr_image_clear(&drr);
  if (!image)
    return NULL;
  cairo_t *cr = cairo_create(image);
  vp_fluoro_draw_overlays(cr, view, NULL);
  cairo_destroy(cr);
  return image;
}
