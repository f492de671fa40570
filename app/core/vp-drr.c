/* Digitally reconstructed radiographs: C-arm view geometry, ray casting of
 * X-ray attenuation through a CT on several threads, and a synthetic CT for
 * cases that have only a surface. */
#include "vp-drr.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vp-bvh.h"
#include "vp-intl-private.h"
#include "vp-voxel.h"

#define MAX_THREADS 64
#define UNIT_TOLERANCE 1e-6
/* Voxels of a synthetic CT when the spacing is chosen automatically: the
 * distance field needs about 10 bytes per voxel while it is computed. */
#define SYNTHETIC_VOXEL_BUDGET (8.0 * 1024 * 1024)
#define SYNTHETIC_FINEST_MM 0.5

/* ---- frames ---- */

VpViewFrame vp_view_frame_world(VpVec3 origin_mm)
{
  return (VpViewFrame){origin_mm, vp_vec3(1, 0, 0), vp_vec3(0, 1, 0), vp_vec3(0, 0, 1)};
}

bool vp_view_frame_from_axes(VpVec3 origin_mm, VpVec3 anterior, VpVec3 superior, VpViewFrame *out,
                             VpError *err)
{
  if (!vp_vec3_is_finite(origin_mm) || !vp_vec3_is_finite(anterior) || !vp_vec3_is_finite(superior))
    return vp_error_set(err, VP_ERR_INVALID, _("the view frame has a coordinate that is not a number"));
  VpVec3 s = vp_vec3_normalize(superior);
  VpVec3 a = vp_vec3_sub(anterior, vp_vec3_scale(s, vp_vec3_dot(anterior, s)));
  if (vp_vec3_length(s) == 0.0 || !(vp_vec3_length(a) > 1e-6 * vp_vec3_length(anterior)))
    return vp_error_set(err, VP_ERR_INVALID,
                        _("the view frame's anterior and superior axes are zero or parallel"));
  a = vp_vec3_normalize(a);
  *out = (VpViewFrame){origin_mm, vp_vec3_cross(a, s), a, s};
  return true;
}

/* ---- view geometry ---- */

static bool is_unit(VpVec3 a) { return fabs(vp_vec3_length(a) - 1.0) < UNIT_TOLERANCE; }

bool vp_drr_view_check(const VpDrrView *view, VpError *err)
{
  if (!view)
    return vp_error_set(err, VP_ERR_INVALID, _("no fluoroscopy view was given"));
  if (!vp_vec3_is_finite(view->center_mm) || !vp_vec3_is_finite(view->u) ||
      !vp_vec3_is_finite(view->v) || !is_unit(view->u) || !is_unit(view->v) ||
      fabs(vp_vec3_dot(view->u, view->v)) > UNIT_TOLERANCE)
    return vp_error_set(err, VP_ERR_INVALID,
                        _("the fluoroscopy view's image axes are not two orthogonal unit vectors"));
  if (!(view->mm_per_px > 0.0) || !isfinite(view->mm_per_px))
    return vp_error_set(err, VP_ERR_INVALID,
                        _("the fluoroscopy pixel size must be a positive number of millimetres, "
                          "not %g"), view->mm_per_px);
  if (view->perspective &&
      (!(view->source_to_center_mm > 0.0) || !isfinite(view->source_to_center_mm)))
    return vp_error_set(err, VP_ERR_INVALID,
                        _("the X-ray source must be a positive distance from the isocentre, not "
                          "%g mm"), view->source_to_center_mm);
  if (view->width_px < 1 || view->height_px < 1)
    return vp_error_set(err, VP_ERR_INVALID, _("a fluoroscopy image of %d x %d pixels is empty"),
                        view->width_px, view->height_px);
  if (view->width_px > VP_DRR_MAX_SIDE_PX || view->height_px > VP_DRR_MAX_SIDE_PX ||
      (long)view->width_px * view->height_px > VP_DRR_MAX_PIXELS)
    return vp_error_set(err, VP_ERR_LIMIT,
                        _("a fluoroscopy image of %d x %d pixels is larger than the limit of "
                          "%ld pixels (at most %d per side)"),
                        view->width_px, view->height_px, (long)VP_DRR_MAX_PIXELS,
                        VP_DRR_MAX_SIDE_PX);
  return true;
}

bool vp_drr_view_init(VpDrrView *view, VpDrrProjection projection, const VpViewFrame *frame,
                      int width_px, int height_px, double fov_mm, VpError *err)
{
  if (!view || !frame)
    return vp_error_set(err, VP_ERR_INVALID, _("no fluoroscopy view or frame was given"));
  if (!(fov_mm > 0.0) || !isfinite(fov_mm))
    return vp_error_set(err, VP_ERR_INVALID,
                        _("the field of view must be a positive number of millimetres, not %g"),
                        fov_mm);
  VpVec3 u = projection == VP_DRR_AP ? vp_vec3_neg(frame->right) : vp_vec3_neg(frame->anterior);
  VpDrrView v = {
      .center_mm = frame->origin_mm,
      .u = u,
      .v = frame->superior,
      .mm_per_px = fov_mm / (width_px > height_px ? width_px : height_px),
      .width_px = width_px,
      .height_px = height_px,
      .perspective = true,
      .source_to_center_mm = VP_DRR_DEFAULT_SOURCE_TO_CENTER_MM,
  };
  if (!vp_drr_view_check(&v, err))
    return false;
  *view = v;
  return true;
}

VpVec3 vp_drr_view_beam(const VpDrrView *view) { return vp_vec3_cross(view->v, view->u); }

VpVec3 vp_drr_view_source(const VpDrrView *view)
{
  return vp_vec3_sub(view->center_mm,
                     vp_vec3_scale(vp_drr_view_beam(view), view->source_to_center_mm));
}

/* Position in the isocentre plane, mm from the centre along u and v. */
static bool plane_coords(const VpDrrView *view, VpVec3 p, double *x, double *y)
{
  if (!view->perspective) {
    VpVec3 d = vp_vec3_sub(p, view->center_mm);
    *x = vp_vec3_dot(d, view->u);
    *y = vp_vec3_dot(d, view->v);
    return vp_vec3_is_finite(p);
  }
  VpVec3 q = vp_vec3_sub(p, vp_drr_view_source(view));
  double depth = vp_vec3_dot(q, vp_drr_view_beam(view));
  if (!(depth > 1e-9) || !vp_vec3_is_finite(p))
    return false;
  double magnification = view->source_to_center_mm / depth;
  *x = vp_vec3_dot(q, view->u) * magnification;
  *y = vp_vec3_dot(q, view->v) * magnification;
  return true;
}

bool vp_drr_view_project(const VpDrrView *view, VpVec3 p_mm, double *px, double *py)
{
  double x, y;
  if (!plane_coords(view, p_mm, &x, &y))
    return false;
  *px = 0.5 * view->width_px + x / view->mm_per_px;
  *py = 0.5 * view->height_px - y / view->mm_per_px;
  return true;
}

/* World point of an image position on the isocentre plane. */
static VpVec3 pixel_point(const VpDrrView *view, double px, double py)
{
  double x = (px - 0.5 * view->width_px) * view->mm_per_px;
  double y = (0.5 * view->height_px - py) * view->mm_per_px;
  return vp_vec3_add(view->center_mm,
                     vp_vec3_add(vp_vec3_scale(view->u, x), vp_vec3_scale(view->v, y)));
}

void vp_drr_view_pixel_ray(const VpDrrView *view, double px, double py, VpVec3 *origin,
                           VpVec3 *direction)
{
  VpVec3 p = pixel_point(view, px, py);
  if (!view->perspective) {
    *origin = p;
    *direction = vp_drr_view_beam(view);
    return;
  }
  *origin = vp_drr_view_source(view);
  *direction = vp_vec3_normalize(vp_vec3_sub(p, *origin));
}

void vp_drr_view_fit_box(VpDrrView *view, VpBox3 box, double margin_fraction)
{
  if (vp_box3_is_empty(box) || !vp_vec3_is_finite(box.min) || !vp_vec3_is_finite(box.max) ||
      !(margin_fraction >= 0.0) || !isfinite(margin_fraction))
    return;
  VpDrrView probe = *view;
  probe.center_mm = vp_box3_center(box);
  double half_x = 0.0, half_y = 0.0;
  for (int corner = 0; corner < 8; corner++) {
    VpVec3 p = vp_vec3(corner & 1 ? box.max.x : box.min.x, corner & 2 ? box.max.y : box.min.y,
                       corner & 4 ? box.max.z : box.min.z);
    double x, y;
    if (!plane_coords(&probe, p, &x, &y)) {
      probe.perspective = false; /* the source sits inside the box: fit its shadow instead */
      plane_coords(&probe, p, &x, &y);
    }
    half_x = fmax(half_x, fabs(x));
    half_y = fmax(half_y, fabs(y));
  }
  double mm = fmax(2.0 * half_x / view->width_px, 2.0 * half_y / view->height_px);
  if (!(mm > 0.0) || !isfinite(mm))
    return;
  view->center_mm = probe.center_mm;
  view->mm_per_px = mm * (1.0 + 2.0 * margin_fraction);
}

VpDrrView vp_drr_view_reduced(const VpDrrView *view, int factor)
{
  VpDrrView r = *view;
  if (factor <= 1)
    return r;
  r.width_px = (view->width_px + factor - 1) / factor;
  r.height_px = (view->height_px + factor - 1) / factor;
  r.mm_per_px = view->mm_per_px * factor;
  return r;
}

void vp_drr_view_rotate(VpDrrView *view, VpVec3 axis, double angle_rad)
{
  if (!(vp_vec3_length(axis) > 0.0) || !vp_vec3_is_finite(axis) || !isfinite(angle_rad))
    return;
  VpMat3 r = vp_mat3_rotation(axis, angle_rad);
  view->u = vp_vec3_normalize(vp_mat3_mul_vec3(r, view->u));
  view->v = vp_vec3_normalize(vp_mat3_mul_vec3(r, view->v));
}

/* ---- images ---- */

VpDrrOptions vp_drr_options_default(void)
{
  return (VpDrrOptions){.mu_water_per_mm = VP_MU_WATER_60KEV_PER_MM, .threads = 0};
}

void vp_drr_image_clear(VpDrrImage *image)
{
  if (!image)
    return;
  free(image->attenuation);
  *image = (VpDrrImage){0};
}

float vp_drr_image_max(const VpDrrImage *image)
{
  float m = 0.0f;
  size_t n = (size_t)image->width_px * (size_t)image->height_px;
  for (size_t i = 0; image->attenuation && i < n; i++)
    m = image->attenuation[i] > m ? image->attenuation[i] : m;
  return m;
}

static bool image_reserve(VpDrrImage *image, int w, int h, VpError *err)
{
  size_t n = (size_t)w * (size_t)h;
  if (n > image->capacity) {
    float *grown = malloc(n * sizeof *grown);
    if (!grown)
      return vp_error_set(err, VP_ERR_NOMEM,
                          _("out of memory for a %d x %d fluoroscopy image"), w, h);
    free(image->attenuation);
    image->attenuation = grown;
    image->capacity = n;
  }
  image->width_px = w;
  image->height_px = h;
  return true;
}

/* ---- ray casting ---- */

/* Per-axis constants for bilinear sampling inside a slice. Positions are
 * clamped to the outermost voxel centres (the edge value within half a voxel
 * of the border, as vp_volume_sample_linear() gives), and a 1/512 voxel short
 * of the last one so the upper corner always exists without a test. */
typedef struct AxisSampler {
  float top;           /* largest position sampled */
  ptrdiff_t stride;    /* elements between neighbours */
  ptrdiff_t stride_hi; /* stride to the upper corner, 0 on a one-voxel axis */
} AxisSampler;

typedef struct RayCaster {
  const VpVolume *ct;
  VpDrrView view;
  VpMat3 to_voxel;         /* linear part of world_to_voxel */
  VpVec3 source_voxel;     /* perspective: where every ray starts, in voxel space */
  VpVec3 beam_voxel;       /* parallel: the beam per mm, in voxel space */
  VpVec3 source;           /* world mm */
  double mu_scale; /* mu_water / 1000, per mm */
  AxisSampler axis[3];
  VpDrrImage *out;
  const VpProgress *progress;
  int thread_count;
  /* The next row to cast: threads take rows as they finish the last, so a
   * thread slowed by other work on its core does not hold up the image. */
  atomic_int next_row;
} RayCaster;

typedef struct Worker {
  RayCaster *caster;
  bool cancelled;
  pthread_t thread;
  bool started;
} Worker;

static inline double vec_at(VpVec3 v, int k) { return k == 0 ? v.x : (k == 1 ? v.y : v.z); }

static inline double clampd(double x, double lo, double hi) { return x < lo ? lo : (x > hi ? hi : x); }

/* 1000 + HU of a stored voxel, 0 for air and anything below it (which
 * attenuates nothing). Branch-free for the integer types: rays cross
 * air-tissue boundaries too often for a branch to be predicted. */
static inline float above_air(const void *data, ptrdiff_t i, VpVoxelType type)
{
  int32_t x;
  switch (type) {
  case VP_VOXEL_U8:
    return 1000.0f + ((const uint8_t *)data)[i];
  case VP_VOXEL_I16:
    x = (int32_t)((const int16_t *)data)[i] + 1000;
    return (float)(x & -(int32_t)(x > 0));
  case VP_VOXEL_U16:
    return 1000.0f + ((const uint16_t *)data)[i];
  case VP_VOXEL_I32: {
    float v = (float)((const int32_t *)data)[i] + 1000.0f;
    return v > 0.0f ? v : 0.0f;
  }
  default: {
    float v = ((const float *)data)[i] + 1000.0f;
    return v > 0.0f ? v : 0.0f;
  }
  }
}

static inline float clampf(float x, float lo, float hi) { return x < lo ? lo : (x > hi ? hi : x); }

/* One bilinear sample in slice s (voxel offset base_m of the slice). */
static inline __attribute__((always_inline)) float
sample(const void *data, VpVoxelType type, const AxisSampler *sa, const AxisSampler *sb,
       ptrdiff_t base_m, float pa, float pb)
{
  float xa = clampf(pa, 0.0f, sa->top), xb = clampf(pb, 0.0f, sb->top);
  int ia = (int)xa, ib = (int)xb;
  float fa = xa - (float)ia, fb = xb - (float)ib;
  ptrdiff_t base = base_m + ia * sa->stride + ib * sb->stride;
  ptrdiff_t ha = sa->stride_hi, hb = sb->stride_hi;
  float v00 = above_air(data, base, type), v10 = above_air(data, base + ha, type);
  float v01 = above_air(data, base + hb, type), v11 = above_air(data, base + ha + hb, type);
  float lo = v00 + fa * (v10 - v00), hi = v01 + fa * (v11 - v01);
  return lo + fb * (hi - lo);
}

/* The march along one ray through slices first..last of the main axis m,
 * the other two axes a and b at pa + s da, pb + s db in slice first + s.
 * Returns the sum of 1000 + HU (air clamped per voxel) over the samples.
 * Two sums alternate so the additions do not wait on each other; inlined
 * once per voxel type, so the switch in above_air() folds away. */
static inline __attribute__((always_inline)) double
march(const RayCaster *c, VpVoxelType type, int m, int a, int b, int first, int last, float pa,
      float pb, float da, float db)
{
  const void *data = c->ct->data;
  const AxisSampler *sa = &c->axis[a], *sb = &c->axis[b];
  ptrdiff_t stride_m = c->axis[m].stride;
  int n = last - first + 1, s = 0;
  float even = 0.0f, odd = 0.0f;
  for (; s + 1 < n; s += 2) {
    ptrdiff_t base = (ptrdiff_t)(first + s) * stride_m;
    even += sample(data, type, sa, sb, base, pa + (float)s * da, pb + (float)s * db);
    odd += sample(data, type, sa, sb, base + stride_m, pa + (float)(s + 1) * da,
                  pb + (float)(s + 1) * db);
  }
  if (s < n)
    even += sample(data, type, sa, sb, (ptrdiff_t)(first + s) * stride_m, pa + (float)s * da,
                   pb + (float)s * db);
  return (double)even + (double)odd;
}

/* Clips the ray origin + t dir (voxel space) to the volume's box, voxel
 * faces included; t >= t_min. False when it misses. */
static bool clip_ray(const int dims[3], VpVec3 o, VpVec3 d, double t_min, double *t0, double *t1)
{
  double lo_t = t_min, hi_t = INFINITY;
  for (int k = 0; k < 3; k++) {
    double ok = vec_at(o, k), dk = vec_at(d, k), lo = -0.5, hi = dims[k] - 0.5;
    if (fabs(dk) < 1e-12) {
      if (ok < lo || ok > hi)
        return false;
      continue;
    }
    double ta = (lo - ok) / dk, tb = (hi - ok) / dk;
    lo_t = fmax(lo_t, fmin(ta, tb));
    hi_t = fmin(hi_t, fmax(ta, tb));
  }
  *t0 = lo_t;
  *t1 = hi_t;
  return lo_t < hi_t && isfinite(lo_t) && isfinite(hi_t);
}

static int main_axis(VpVec3 d)
{
  double ax = fabs(d.x), ay = fabs(d.y), az = fabs(d.z);
  return ax >= ay && ax >= az ? 0 : (ay >= az ? 1 : 2);
}

/* Attenuation along one ray given in world space with a unit direction. */
/* Attenuation along one ray, given in voxel space: o + t d with t in mm. */
static float cast_ray(const RayCaster *c, VpVec3 o, VpVec3 d, double t_min)
{
  const VpVolume *ct = c->ct;
  double t0, t1;
  if (!clip_ray(ct->dims, o, d, t_min, &t0, &t1))
    return 0.0f;
  int m = main_axis(d), a = (m + 1) % 3, b = (m + 2) % 3;
  double om = vec_at(o, m), dm = vec_at(d, m);
  double e0 = om + t0 * dm, e1 = om + t1 * dm;
  int first = (int)ceil(fmin(e0, e1)), last = (int)floor(fmax(e0, e1));
  first = first < 0 ? 0 : first;
  last = last > ct->dims[m] - 1 ? ct->dims[m] - 1 : last;
  if (first > last)
    return 0.0f;
  double t = (first - om) / dm; /* slices are visited in increasing index order */
  float pa = (float)(vec_at(o, a) + t * vec_at(d, a)), pb = (float)(vec_at(o, b) + t * vec_at(d, b));
  float da = (float)(vec_at(d, a) / dm), db = (float)(vec_at(d, b) / dm);
  double sum;
  switch (ct->type) {
  case VP_VOXEL_U8: sum = march(c, VP_VOXEL_U8, m, a, b, first, last, pa, pb, da, db); break;
  case VP_VOXEL_I16: sum = march(c, VP_VOXEL_I16, m, a, b, first, last, pa, pb, da, db); break;
  case VP_VOXEL_U16: sum = march(c, VP_VOXEL_U16, m, a, b, first, last, pa, pb, da, db); break;
  case VP_VOXEL_I32: sum = march(c, VP_VOXEL_I32, m, a, b, first, last, pa, pb, da, db); break;
  default: sum = march(c, VP_VOXEL_F32, m, a, b, first, last, pa, pb, da, db); break;
  }
  return (float)(sum * c->mu_scale / fabs(dm)); /* 1 / |dm|: mm of ray per slice */
}

/* Rays of a row start from one source (perspective) or step along u in
 * voxel space (parallel), so only their directions are worked out per pixel. */
static void cast_row(const RayCaster *c, int y)
{
  const VpDrrView *v = &c->view;
  float *row = c->out->attenuation + (size_t)y * (size_t)v->width_px;
  VpVec3 first = pixel_point(v, 0.5, y + 0.5), step = vp_vec3_scale(v->u, v->mm_per_px);
  if (v->perspective) {
    VpVec3 to_first = vp_vec3_sub(first, c->source);
    for (int x = 0; x < v->width_px; x++) {
      VpVec3 w = vp_vec3_normalize(vp_vec3_add(to_first, vp_vec3_scale(step, x)));
      row[x] = cast_ray(c, c->source_voxel, vp_mat3_mul_vec3(c->to_voxel, w), 0.0);
    }
    return;
  }
  VpVec3 o = vp_mat4_transform_point(c->ct->world_to_voxel, first);
  VpVec3 o_step = vp_mat3_mul_vec3(c->to_voxel, step);
  for (int x = 0; x < v->width_px; x++)
    row[x] = cast_ray(c, vp_vec3_add(o, vp_vec3_scale(o_step, x)), c->beam_voxel, -INFINITY);
}

static void *worker_run(void *arg)
{
  Worker *w = arg;
  RayCaster *c = w->caster;
  const VpProgress *p = c->progress;
  for (int y; (y = atomic_fetch_add(&c->next_row, 1)) < c->view.height_px;) {
    if (p && p->cancelled && p->cancelled(p->user)) {
      w->cancelled = true;
      break;
    }
    cast_row(c, y);
  }
  return NULL;
}

static int thread_count_for(const VpDrrOptions *options, int rows)
{
  long n = options->threads;
  if (n <= 0)
    n = sysconf(_SC_NPROCESSORS_ONLN);
  n = n < 1 ? 1 : (n > MAX_THREADS ? MAX_THREADS : n);
  return n > rows ? rows : (int)n;
}

static void sampler_init(RayCaster *c)
{
  const int *dims = c->ct->dims;
  ptrdiff_t stride = 1;
  for (int k = 0; k < 3; k++) {
    c->axis[k] = (AxisSampler){
        .top = dims[k] > 1 ? (float)(dims[k] - 1) - 1.0f / 512.0f : 0.0f,
        .stride = stride,
        .stride_hi = dims[k] > 1 ? stride : 0,
    };
    stride *= dims[k];
  }
}

/* Runs worker 0 on the calling thread; a worker whose thread cannot start
 * runs there too, so the result never depends on how many threads ran. */
static bool run_workers(RayCaster *c, VpError *err)
{
  Worker workers[MAX_THREADS];
  bool cancelled = false;
  atomic_init(&c->next_row, 0);
  for (int t = 0; t < c->thread_count; t++) {
    workers[t] = (Worker){.caster = c};
    if (t > 0)
      workers[t].started = pthread_create(&workers[t].thread, NULL, worker_run, &workers[t]) == 0;
  }
  worker_run(&workers[0]);
  for (int t = 1; t < c->thread_count; t++) {
    if (workers[t].started)
      pthread_join(workers[t].thread, NULL);
    else
      worker_run(&workers[t]);
  }
  for (int t = 0; t < c->thread_count; t++)
    cancelled = cancelled || workers[t].cancelled;
  if (cancelled)
    return vp_error_set(err, VP_ERR_CANCELLED, _("the fluoroscopy image was cancelled"));
  return true;
}

bool vp_drr_compute(const VpVolume *ct, const VpDrrView *view, const VpDrrOptions *options,
                    VpDrrImage *out, VpError *err)
{
  VpDrrOptions defaults = vp_drr_options_default();
  options = options ? options : &defaults;
  if (!ct || !ct->data || !out)
    return vp_error_set(err, VP_ERR_INVALID, _("there is no CT to compute fluoroscopy from"));
  if (!vp_drr_view_check(view, err))
    return false;
  if (!(options->mu_water_per_mm > 0.0) || !isfinite(options->mu_water_per_mm))
    return vp_error_set(err, VP_ERR_INVALID,
                        _("the attenuation of water must be a positive number per millimetre, "
                          "not %g"), options->mu_water_per_mm);
  if (!image_reserve(out, view->width_px, view->height_px, err))
    return false;
  RayCaster c = {
      .ct = ct,
      .view = *view,
      .mu_scale = options->mu_water_per_mm / 1000.0,
      .out = out,
      .progress = options->progress,
      .thread_count = thread_count_for(options, view->height_px),
  };
  sampler_init(&c);
  for (int r = 0; r < 3; r++)
    for (int k = 0; k < 3; k++)
      c.to_voxel.m[r][k] = ct->world_to_voxel.m[r][k];
  c.source = vp_drr_view_source(view);
  c.source_voxel = vp_mat4_transform_point(ct->world_to_voxel, c.source);
  c.beam_voxel = vp_mat3_mul_vec3(c.to_voxel, vp_drr_view_beam(view));
  return run_workers(&c, err);
}

/* ---- synthetic CT ---- */

VpSyntheticCtOptions vp_synthetic_ct_options_default(void)
{
  return (VpSyntheticCtOptions){
      .spacing_mm = 0.0,
      .cortex_mm = 1.0,
      .cortical_hu = 1000.0,
      .cancellous_hu = 200.0,
      .outside_hu = -1000.0,
  };
}

static double auto_spacing(VpBox3 box, double margin_mm)
{
  VpVec3 size = vp_box3_size(box);
  double h = SYNTHETIC_FINEST_MM;
  for (int tries = 0; tries < 64; tries++, h *= 1.25) {
    double n = (size.x + 2 * margin_mm) / h * ((size.y + 2 * margin_mm) / h) *
               ((size.z + 2 * margin_mm) / h);
    if (n <= SYNTHETIC_VOXEL_BUDGET)
      break;
  }
  return h;
}

static bool synthetic_check(const VpSyntheticCtOptions *o, VpError *err)
{
  double values[4] = {o->cortex_mm, o->cortical_hu, o->cancellous_hu, o->outside_hu};
  for (int i = 0; i < 4; i++)
    if (!isfinite(values[i]))
      return vp_error_set(err, VP_ERR_INVALID, _("a synthetic CT setting is not a number"));
  if (!(o->spacing_mm >= 0.0) || !isfinite(o->spacing_mm) || o->cortex_mm < 0.0)
    return vp_error_set(err, VP_ERR_INVALID,
                        _("the synthetic CT's voxel size (%g mm) and shell thickness (%g mm) must "
                          "not be negative"), o->spacing_mm, o->cortex_mm);
  return true;
}

/* Hounsfield value of a voxel at signed distance sdf (mm, negative inside),
 * each boundary blended over one voxel of width h (partial volume). */
static double synthetic_hu(const VpSyntheticCtOptions *o, double sdf, double h)
{
  double bone = clampd(0.5 - sdf / h, 0.0, 1.0);
  double core = clampd(0.5 - (sdf + o->cortex_mm) / h, 0.0, 1.0);
  return o->outside_hu + bone * (o->cortical_hu - o->outside_hu) +
         core * (o->cancellous_hu - o->cortical_hu);
}

static VpVolume *volume_from_sdf(const VpGrid *grid, const VpSyntheticCtOptions *o, VpError *err)
{
  double h = grid->spacing_mm;
  VpMat4 affine = vp_mat4_mul(
      vp_mat4_translation(vp_vec3(grid->origin_mm[0], grid->origin_mm[1], grid->origin_mm[2])),
      vp_mat4_scaling(vp_vec3(h, h, h)));
  VpVolume *vol = vp_volume_new(grid->dims, VP_VOXEL_I16, &affine, NULL, err);
  if (!vol)
    return NULL;
  int16_t *data = vol->data;
  size_t n = vp_grid_voxel_count(grid);
  for (size_t i = 0; i < n; i++)
    data[i] = (int16_t)lrint(clampd(synthetic_hu(o, grid->values[i], h), -32768.0, 32767.0));
  return vol;
}

VpVolume *vp_synthetic_ct_from_mesh(const VpMesh *mesh, const VpSyntheticCtOptions *options,
                                    VpError *err)
{
  VpSyntheticCtOptions o = options ? *options : vp_synthetic_ct_options_default();
  if (!synthetic_check(&o, err))
    return NULL;
  if (!mesh || mesh->triangle_count == 0) {
    vp_error_set(err, VP_ERR_INVALID, _("the surface has no triangles to make a CT from"));
    return NULL;
  }
  VpBvh *bvh = vp_bvh_build(mesh, err);
  if (!bvh)
    return NULL;
  VpGridOptions g = vp_grid_options_default();
  g.margin_mm = fmax(g.margin_mm, o.cortex_mm);
  g.spacing_mm = o.spacing_mm > 0.0 ? o.spacing_mm : auto_spacing(vp_mesh_bounds(mesh), g.margin_mm);
  g.margin_mm = fmax(g.margin_mm, 2.0 * g.spacing_mm); /* air around the blended boundary */
  VpGrid grid;
  bool ok = vp_grid_compute_sdf(bvh, &g, &grid, NULL, err);
  vp_bvh_free(bvh);
  if (!ok)
    return NULL;
  VpVolume *vol = volume_from_sdf(&grid, &o, err);
  vp_grid_clear(&grid);
  return vol;
}
