/* The interactive 3D view: a widget that draws one mesh with the software
 * renderer and turns pointer, scroll, pinch and key input into camera moves. */
#pragma once

#include <gtk/gtk.h>

#include "vp-camera.h"
#include "vp-mesh.h"

G_BEGIN_DECLS

#define VP_TYPE_VIEW3D (vp_view3d_get_type())
G_DECLARE_FINAL_TYPE(VpView3d, vp_view3d, VP, VIEW3D, GtkWidget)

GtkWidget *vp_view3d_new(void);

/* The view borrows mesh (which needs normals) until the next call; NULL clears. */
void vp_view3d_set_mesh(VpView3d *self, const VpMesh *mesh);
const VpMesh *vp_view3d_get_mesh(VpView3d *self);
/* Frames bounds (mm) and resets the camera to the anterior view. */
void vp_view3d_set_scene_bounds(VpView3d *self, VpBox3 bounds);

const VpCamera *vp_view3d_get_camera(VpView3d *self);
void vp_view3d_reset(VpView3d *self);
void vp_view3d_set_standard_view(VpView3d *self, VpStandardView view);
/* "anterior", "posterior", "left", "right", "superior", "inferior". */
gboolean vp_view3d_standard_view_from_name(const char *name, VpStandardView *out);

gboolean vp_view3d_get_orthographic(VpView3d *self);
void vp_view3d_set_orthographic(VpView3d *self, gboolean orthographic);

/* Drawn over the mesh at every frame, with the view's camera and size in
 * logical pixels (the Anatomy step's frame axes and markers). user_data is
 * borrowed: the caller keeps it alive while set; NULL func removes it. */
typedef void (*VpView3dOverlayFunc)(cairo_t *cr, const VpCamera *camera, int width, int height,
                                    gpointer user_data);
void vp_view3d_set_overlay(VpView3d *self, VpView3dOverlayFunc func, gpointer user_data);

/* What the gestures do, in widget pixels; public so tests can drive them. */
void vp_view3d_orbit(VpView3d *self, double dx, double dy);
void vp_view3d_pan(VpView3d *self, double dx, double dy);
void vp_view3d_zoom_at(VpView3d *self, double factor, double x, double y);

G_END_DECLS
