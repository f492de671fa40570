/* View state of a 3D view: where the camera is, how it projects, and how
 * mouse gestures move it. No drawing and no toolkit, so it is testable alone.
 * World space is patient RAS+ in mm: +x Right, +y Anterior, +z Superior. */
#pragma once

#include <stdbool.h>

#include "vp-math.h"

typedef enum VpProjection {
  VP_PROJECTION_PERSPECTIVE,
  VP_PROJECTION_ORTHOGRAPHIC,
} VpProjection;

/* Standard views, named for the side of the patient the viewer stands on. */
typedef enum VpStandardView {
  VP_VIEW_ANTERIOR,  /* from the front: patient's right on the screen's left */
  VP_VIEW_POSTERIOR, /* from behind: patient's right on the screen's right */
  VP_VIEW_LEFT,      /* from the patient's left: anterior on the screen's left */
  VP_VIEW_RIGHT,     /* from the patient's right: anterior on the screen's right */
  VP_VIEW_SUPERIOR,  /* from above: anterior up, patient's right on the screen's right
                      * (right on the left as well would be a mirror image) */
  VP_VIEW_INFERIOR,  /* from below, as axial CT is read: anterior up, right on the left */
} VpStandardView;

typedef struct VpCamera {
  VpVec3 target;        /* the point orbited about, world mm */
  VpQuat orientation;   /* camera-to-world rotation; the camera looks down its -z, up is +y */
  double distance_mm;   /* eye to target */
  double fov_y_deg;     /* vertical field of view (perspective); spans the width instead
                         * when the viewport is taller than wide, so fits hold for any aspect */
  VpProjection projection;
  VpVec3 scene_center;  /* what reset frames */
  double scene_radius_mm;
  VpVec3 scene_half_size_mm; /* half the scene box, so views fit the box, not its sphere */
} VpCamera;

/* A camera looking at a 100 mm scene at the origin from the anterior side. */
void vp_camera_init(VpCamera *cam);
/* Remembers the scene's bounding box and resets to it. */
void vp_camera_set_scene(VpCamera *cam, VpBox3 bounds);
/* Anterior view that fits the whole scene in the viewport. */
void vp_camera_reset(VpCamera *cam);
/* Looks at the scene from a standard side, fitted to the viewport. */
void vp_camera_set_standard_view(VpCamera *cam, VpStandardView view);

VpVec3 vp_camera_eye(const VpCamera *cam);
VpVec3 vp_camera_right(const VpCamera *cam);   /* world direction of screen +x */
VpVec3 vp_camera_up(const VpCamera *cam);      /* world direction of screen up */
VpVec3 vp_camera_forward(const VpCamera *cam); /* world direction the camera looks */

/* Height in mm of the visible slab at the target's depth (its width when the
 * viewport is taller than wide); the orthographic projection uses it so
 * switching projection keeps the apparent size. */
double vp_camera_view_height_mm(const VpCamera *cam);

VpMat4 vp_camera_view_matrix(const VpCamera *cam);
/* Near and far planes are chosen from the scene radius so the scene is never clipped. */
VpMat4 vp_camera_projection_matrix(const VpCamera *cam, double aspect);

/* Projects a world point to pixel coordinates (origin top left, y down) of a
 * width x height viewport; depth is NDC z in [-1, 1]. False when behind the eye. */
bool vp_camera_project(const VpCamera *cam, VpVec3 world, double width, double height, double *px,
                       double *py, double *depth);
/* The ray through a pixel: origin on the near plane, unit direction. */
void vp_camera_pixel_ray(const VpCamera *cam, double px, double py, double width, double height,
                         VpVec3 *origin, VpVec3 *direction);

/* Turntable orbit about the target: horizontal motion turns about the world
 * superior axis, vertical motion tilts about the screen's horizontal axis.
 * A drag across the full viewport height turns by 180 degrees. */
void vp_camera_orbit(VpCamera *cam, double dx_px, double dy_px, double height);
/* Moves target and eye so the point under the pointer follows it. */
void vp_camera_pan(VpCamera *cam, double dx_px, double dy_px, double width, double height);
/* factor > 1 zooms in; the world point under (px, py) stays under the pointer. */
void vp_camera_zoom_at(VpCamera *cam, double factor, double px, double py, double width,
                       double height);
