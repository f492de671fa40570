/* The 3D view's camera: standard views, projection and the orbit, pan and
 * zoom gestures, all in patient RAS+ millimetres and without any drawing. */
#include "vp-camera.h"

#include <math.h>

#define FIT_MARGIN 1.1 /* reset leaves a tenth of the scene radius around it */
#define DEFAULT_FOV_DEG 30.0
#define DEFAULT_RADIUS_MM 50.0
#define MIN_RADIUS_MM 1.0

/* Camera-space axes (screen right, screen up, towards the viewer) in world
 * coordinates for each standard view. Right x up must equal the third column,
 * so a view from above with anterior up cannot also put the patient's right
 * on the screen's left: that would be a mirror image. */
static const double standard_axes[6][3][3] = {
    [VP_VIEW_ANTERIOR] = {{-1, 0, 0}, {0, 0, 1}, {0, 1, 0}},
    [VP_VIEW_POSTERIOR] = {{1, 0, 0}, {0, 0, 1}, {0, -1, 0}},
    [VP_VIEW_LEFT] = {{0, -1, 0}, {0, 0, 1}, {-1, 0, 0}},
    [VP_VIEW_RIGHT] = {{0, 1, 0}, {0, 0, 1}, {1, 0, 0}},
    [VP_VIEW_SUPERIOR] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}},
    [VP_VIEW_INFERIOR] = {{-1, 0, 0}, {0, 1, 0}, {0, 0, -1}},
};

static VpVec3 vec3_from(const double v[3]) { return vp_vec3(v[0], v[1], v[2]); }

void vp_camera_init(VpCamera *cam)
{
  *cam = (VpCamera){
      .orientation = vp_quat_identity(),
      .distance_mm = 1.0,
      .fov_y_deg = DEFAULT_FOV_DEG,
      .projection = VP_PROJECTION_PERSPECTIVE,
      .scene_radius_mm = DEFAULT_RADIUS_MM,
      .scene_half_size_mm = {DEFAULT_RADIUS_MM, DEFAULT_RADIUS_MM, DEFAULT_RADIUS_MM},
  };
  vp_camera_reset(cam);
}

void vp_camera_set_scene(VpCamera *cam, VpBox3 bounds)
{
  VpVec3 size = vp_box3_size(bounds);
  if (vp_box3_is_empty(bounds) || !vp_vec3_is_finite(bounds.min) || !vp_vec3_is_finite(size)) {
    cam->scene_center = vp_vec3(0, 0, 0);
    cam->scene_radius_mm = DEFAULT_RADIUS_MM;
    cam->scene_half_size_mm = vp_vec3(DEFAULT_RADIUS_MM, DEFAULT_RADIUS_MM, DEFAULT_RADIUS_MM);
  } else {
    cam->scene_center = vp_box3_center(bounds);
    cam->scene_radius_mm = fmax(0.5 * vp_vec3_length(size), MIN_RADIUS_MM);
    cam->scene_half_size_mm = vp_vec3_scale(size, 0.5);
  }
  vp_camera_reset(cam);
}

void vp_camera_reset(VpCamera *cam) { vp_camera_set_standard_view(cam, VP_VIEW_ANTERIOR); }

/* Half the scene box's extent along a world direction. */
static double box_half_extent(const VpCamera *cam, VpVec3 dir)
{
  VpVec3 h = cam->scene_half_size_mm;
  return fabs(dir.x) * h.x + fabs(dir.y) * h.y + fabs(dir.z) * h.z;
}

/* Distance at which the scene box, seen from the current side, fills the
 * shorter side of the viewport (the field of view spans the shorter side, so
 * this fits every aspect ratio). The box's near half-depth is added so its
 * front face fits in perspective too; a vertebra then fills the view instead
 * of floating in the sphere that would hold it in any orientation. */
static double fit_distance(const VpCamera *cam)
{
  double half_fov = 0.5 * vp_deg_to_rad(cam->fov_y_deg);
  double across = fmax(box_half_extent(cam, vp_camera_right(cam)),
                       box_half_extent(cam, vp_camera_up(cam)));
  across = fmax(across, MIN_RADIUS_MM);
  double depth = box_half_extent(cam, vp_camera_forward(cam));
  return FIT_MARGIN * across / tan(half_fov) + depth;
}

void vp_camera_set_standard_view(VpCamera *cam, VpStandardView view)
{
  if ((unsigned)view >= sizeof standard_axes / sizeof standard_axes[0])
    view = VP_VIEW_ANTERIOR;
  const double(*axes)[3] = standard_axes[view];
  VpMat3 rotation =
      vp_mat3_from_columns(vec3_from(axes[0]), vec3_from(axes[1]), vec3_from(axes[2]));
  cam->orientation = vp_quat_from_mat3(rotation);
  cam->target = cam->scene_center;
  cam->distance_mm = fit_distance(cam);
}

VpVec3 vp_camera_right(const VpCamera *cam)
{
  return vp_quat_rotate(cam->orientation, vp_vec3(1, 0, 0));
}
VpVec3 vp_camera_up(const VpCamera *cam)
{
  return vp_quat_rotate(cam->orientation, vp_vec3(0, 1, 0));
}
VpVec3 vp_camera_forward(const VpCamera *cam)
{
  return vp_quat_rotate(cam->orientation, vp_vec3(0, 0, -1));
}

VpVec3 vp_camera_eye(const VpCamera *cam)
{
  return vp_vec3_sub(cam->target, vp_vec3_scale(vp_camera_forward(cam), cam->distance_mm));
}

double vp_camera_view_height_mm(const VpCamera *cam)
{
  return 2.0 * cam->distance_mm * tan(0.5 * vp_deg_to_rad(cam->fov_y_deg));
}

/* Half-extents of the view at unit distance; the shorter side gets the field of view. */
static void half_tangents(const VpCamera *cam, double aspect, double *tx, double *ty)
{
  double t = tan(0.5 * vp_deg_to_rad(cam->fov_y_deg));
  if (!(aspect > 0.0) || !isfinite(aspect))
    aspect = 1.0;
  *tx = aspect >= 1.0 ? t * aspect : t;
  *ty = aspect >= 1.0 ? t : t / aspect;
}

/* Depth range that holds the scene sphere. Perspective needs a positive near
 * plane; orthographic may reach behind the eye, which it never moves. */
static void clip_range(const VpCamera *cam, double *z_near, double *z_far)
{
  VpVec3 to_center = vp_vec3_sub(cam->scene_center, vp_camera_eye(cam));
  double center_depth = vp_vec3_dot(to_center, vp_camera_forward(cam));
  double r = 1.05 * cam->scene_radius_mm + 1e-3;
  double n = center_depth - r, f = center_depth + r;
  if (cam->projection == VP_PROJECTION_PERSPECTIVE) {
    f = fmax(f, 1.0);
    n = fmax(n, 1e-4 * f);
  }
  *z_near = n;
  *z_far = fmax(f, n + 1e-3);
}

VpMat4 vp_camera_view_matrix(const VpCamera *cam)
{
  VpMat3 to_camera = vp_mat3_transpose(vp_quat_to_mat3(cam->orientation));
  VpVec3 t = vp_vec3_neg(vp_mat3_mul_vec3(to_camera, vp_camera_eye(cam)));
  return vp_mat4_from_mat3(to_camera, t);
}

VpMat4 vp_camera_projection_matrix(const VpCamera *cam, double aspect)
{
  double tx, ty, n, f;
  half_tangents(cam, aspect, &tx, &ty);
  clip_range(cam, &n, &f);
  if (cam->projection == VP_PROJECTION_PERSPECTIVE)
    return vp_mat4_perspective(2.0 * atan(ty), tx / ty, n, f);
  double hw = cam->distance_mm * tx, hh = cam->distance_mm * ty;
  return vp_mat4_orthographic(-hw, hw, -hh, hh, n, f);
}

/* Orthographic points always project: the depth range reaches behind the eye. */
bool vp_camera_project(const VpCamera *cam, VpVec3 world, double width, double height, double *px,
                       double *py, double *depth)
{
  VpMat4 m =
      vp_mat4_mul(vp_camera_projection_matrix(cam, width / height), vp_camera_view_matrix(cam));
  VpVec4 clip = vp_mat4_mul_vec4(m, (VpVec4){world.x, world.y, world.z, 1.0});
  if (!(clip.w > 1e-12))
    return false;
  *px = (clip.x / clip.w + 1.0) * 0.5 * width;
  *py = (1.0 - clip.y / clip.w) * 0.5 * height;
  if (depth)
    *depth = clip.z / clip.w;
  return true;
}

/* Camera-space ray through normalised device coordinates, then to world. */
void vp_camera_pixel_ray(const VpCamera *cam, double px, double py, double width, double height,
                         VpVec3 *origin, VpVec3 *direction)
{
  double tx, ty, n, f;
  half_tangents(cam, width / height, &tx, &ty);
  clip_range(cam, &n, &f);
  double sx = (2.0 * px / width - 1.0) * tx, sy = (1.0 - 2.0 * py / height) * ty;
  VpVec3 eye = vp_camera_eye(cam);
  if (cam->projection == VP_PROJECTION_PERSPECTIVE) {
    VpVec3 d = vp_quat_rotate(cam->orientation, vp_vec3(sx, sy, -1.0));
    *origin = vp_vec3_add(eye, vp_vec3_scale(d, n));
    *direction = vp_vec3_normalize(d);
  } else {
    double d = cam->distance_mm;
    *origin = vp_vec3_add(eye, vp_quat_rotate(cam->orientation, vp_vec3(sx * d, sy * d, -n)));
    *direction = vp_camera_forward(cam);
  }
}

static void rotate_about_target(VpCamera *cam, VpVec3 axis, double angle)
{
  VpQuat turn = vp_quat_from_axis_angle(axis, angle);
  cam->orientation = vp_quat_normalize(vp_quat_mul(turn, cam->orientation));
}

/* Flipping over the pole is allowed, so a full drag turns the model upside
 * down; once upside down the horizontal turn is reversed, so the model's near
 * side keeps following the pointer. */
void vp_camera_orbit(VpCamera *cam, double dx_px, double dy_px, double height)
{
  if (!(height > 0.0) || !isfinite(dx_px) || !isfinite(dy_px))
    return;
  double radians_per_px = VP_PI / height;
  double spin = -dx_px * radians_per_px;
  if (vp_camera_up(cam).z < 0.0)
    spin = -spin;
  rotate_about_target(cam, vp_vec3(0, 0, 1), spin);
  rotate_about_target(cam, vp_camera_right(cam), -dy_px * radians_per_px);
}

void vp_camera_pan(VpCamera *cam, double dx_px, double dy_px, double width, double height)
{
  if (!(width > 0.0) || !(height > 0.0) || !isfinite(dx_px) || !isfinite(dy_px))
    return;
  double tx, ty;
  half_tangents(cam, width / height, &tx, &ty);
  double mm_per_px = 2.0 * cam->distance_mm * ty / height;
  VpVec3 shift = vp_vec3_add(vp_vec3_scale(vp_camera_right(cam), -dx_px * mm_per_px),
                             vp_vec3_scale(vp_camera_up(cam), dy_px * mm_per_px));
  cam->target = vp_vec3_add(cam->target, shift);
}

/* Limits keep zooming from collapsing the view or losing the scene. */
static double clamp_distance(const VpCamera *cam, double distance)
{
  double r = fmax(cam->scene_radius_mm, MIN_RADIUS_MM);
  return fmin(fmax(distance, 1e-4 * r), 1e4 * r);
}

/* Perspective: the eye slides along the pointer's ray, so everything on the
 * ray stays under the pointer. Orthographic: the view shrinks about the point. */
void vp_camera_zoom_at(VpCamera *cam, double factor, double px, double py, double width,
                       double height)
{
  if (!(factor > 0.0) || !isfinite(factor) || !(width > 0.0) || !(height > 0.0))
    return;
  double distance = clamp_distance(cam, cam->distance_mm / factor);
  double keep = 1.0 - distance / cam->distance_mm; /* 1 - 1/effective factor */
  VpVec3 forward = vp_camera_forward(cam), origin, dir;
  vp_camera_pixel_ray(cam, px, py, width, height, &origin, &dir);
  if (cam->projection == VP_PROJECTION_PERSPECTIVE) {
    VpVec3 eye = vp_camera_eye(cam);
    VpVec3 at = vp_vec3_add(eye, vp_vec3_scale(dir, cam->distance_mm / vp_vec3_dot(dir, forward)));
    VpVec3 new_eye = vp_vec3_lerp(eye, at, keep);
    cam->target = vp_vec3_add(new_eye, vp_vec3_scale(forward, distance));
  } else {
    VpVec3 offset = vp_vec3_sub(origin, cam->target);
    offset = vp_vec3_sub(offset, vp_vec3_scale(forward, vp_vec3_dot(offset, forward)));
    cam->target = vp_vec3_add(cam->target, vp_vec3_scale(offset, keep));
  }
  cam->distance_mm = distance;
}
