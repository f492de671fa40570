/* Simulated fluoroscopy widget: an anteroposterior or lateral digitally
 * reconstructed radiograph of the context's fluoroscopy volume (the CT or
 * the synthetic CT), computed in a worker thread so the main loop never
 * waits. While the user drags (left drag turns the C-arm about the
 * isocentre, Ctrl+wheel zooms, middle drag pans) a preview at a quarter of
 * the resolution is computed; the full image follows when the drag ends.
 * Orientation letters and a scale bar on top; a spinner while computing;
 * the reason in the view when no radiograph can be made. */
#pragma once

#include <gtk/gtk.h>

#include "vp-drr.h"
#include "vp-view-context.h"

G_BEGIN_DECLS

#define VP_TYPE_FLUORO_VIEW (vp_fluoro_view_get_type())
G_DECLARE_FINAL_TYPE(VpFluoroView, vp_fluoro_view, VP, FLUORO_VIEW, GtkWidget)

/* Preview images have 1 / VP_FLUORO_PREVIEW_FACTOR of the pixels per side. */
#define VP_FLUORO_PREVIEW_FACTOR 4

GtkWidget *vp_fluoro_view_new(VpViewContext *context, VpDrrProjection projection);

VpDrrProjection vp_fluoro_view_get_projection(VpFluoroView *self);
/* Back to the standard view of this projection. */
void vp_fluoro_view_set_projection(VpFluoroView *self, VpDrrProjection projection);

/* The C-arm view the next image is computed for. */
const VpDrrView *vp_fluoro_view_get_view(VpFluoroView *self);
/* Whether an image at full resolution for the current view is shown. */
gboolean vp_fluoro_view_is_ready(VpFluoroView *self);
/* Whether the image shown is a reduced preview. */
gboolean vp_fluoro_view_is_preview(VpFluoroView *self);

/* Drag gestures, public so tests can drive them: begin, move by (dx, dy)
 * pixels from the start (turns the C-arm), end (full resolution follows). */
void vp_fluoro_view_drag_begin(VpFluoroView *self);
void vp_fluoro_view_drag_update(VpFluoroView *self, double dx, double dy);
void vp_fluoro_view_drag_end(VpFluoroView *self);

/* Milliseconds the last full and the last preview radiograph took. */
double vp_fluoro_view_get_last_compute_ms(VpFluoroView *self, gboolean preview);

/* The radiograph shown (ARGB32, at the size it was computed), or NULL; the
 * view it was computed for; the text shown instead of or over it (waiting
 * for the synthetic CT, or why there is no radiograph), or NULL. */
cairo_surface_t *vp_fluoro_view_get_image(VpFluoroView *self);
const VpDrrView *vp_fluoro_view_get_image_view(VpFluoroView *self);
const char *vp_fluoro_view_get_message(VpFluoroView *self);

/* The C-arm turned about the frame's superior axis, then tilted about the
 * image's horizontal axis, in degrees (0, 0 in the standard view). */
double vp_fluoro_view_get_rotation_deg(VpFluoroView *self);
double vp_fluoro_view_get_tilt_deg(VpFluoroView *self);

/* What the other gestures and keys do: Ctrl+wheel zooms (factor > 1 zooms
 * in, keeping what is under widget pixel (x, y) there); middle drag pans by
 * (dx, dy) widget pixels (preview while dragging); double-click or R resets
 * to the standard view. */
void vp_fluoro_view_zoom_at(VpFluoroView *self, double factor, double x, double y);
void vp_fluoro_view_pan(VpFluoroView *self, double dx, double dy, gboolean preview);
void vp_fluoro_view_reset(VpFluoroView *self);

G_END_DECLS
