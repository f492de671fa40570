/* A slice view widget: axial, sagittal, coronal or oblique, drawn by the
 * render layer (vp-slice.h). CT under the context's window/level (free
 * adjust by right-button or Ctrl+left drag: horizontal = width, vertical =
 * level), the surface contour, the crosshair, orientation letters, a scale
 * bar and the plan's measurements on top.
 * Input: wheel or Up/Down/Page Up/Page Down scroll slices (one step, ten
 * steps); Ctrl+wheel zooms at the pointer; middle drag pans; a left click
 * moves the linked crosshair, or, with a measuring tool active, places the
 * tool's points (Escape abandons a measurement in progress). Standard planes
 * pass through the crosshair, so clicking in one view moves the others. */
#pragma once

#include <gtk/gtk.h>

#include "vp-slice.h"
#include "vp-view-context.h"

G_BEGIN_DECLS

#define VP_TYPE_SLICE_WIDGET (vp_slice_widget_get_type())
G_DECLARE_FINAL_TYPE(VpSliceWidget, vp_slice_widget, VP, SLICE_WIDGET, GtkWidget)

GtkWidget *vp_slice_widget_new(VpViewContext *context, VpSliceOrientation orientation);

VpSliceOrientation vp_slice_widget_get_orientation(VpSliceWidget *self);
void vp_slice_widget_set_orientation(VpSliceWidget *self, VpSliceOrientation orientation);

/* The view state as it will be drawn next (plane, scale, viewport). */
const VpSliceView *vp_slice_widget_get_view(VpSliceWidget *self);
/* Signed offset of the plane from the crosshair along its normal, in mm
 * (oblique: from the plane through the context's oblique line, which the
 * oblique view keeps to when the crosshair moves). Scrolling keeps the plane
 * within the case's bounds. */
double vp_slice_widget_get_offset_mm(VpSliceWidget *self);

/* What the gestures and keys do; public so tests can drive them. */
void vp_slice_widget_scroll_slices(VpSliceWidget *self, int steps);
void vp_slice_widget_zoom_at(VpSliceWidget *self, double factor, double x, double y);
void vp_slice_widget_pan(VpSliceWidget *self, double dx, double dy);
/* A primary click at widget pixel (x, y): crosshair or measuring tool. */
void vp_slice_widget_click(VpSliceWidget *self, double x, double y);
/* Changes the context's window/level as a drag of (dx, dy) pixels would. */
void vp_slice_widget_adjust_window_level(VpSliceWidget *self, double dx, double dy);
/* The world point under widget pixel (x, y), on the plane. */
VpVec3 vp_slice_widget_point_at(VpSliceWidget *self, double x, double y);

/* Milliseconds the last frame took to draw (for the status line / tests). */
/* The primary button's drag, as the widget's gesture drives it (offsets
 * from the start point, in pixels). Begun on a frame handle while the
 * Anatomy step shows the frame's axes, it moves the frame's origin in the
 * plane or turns the frame about the view's normal, emitting the context's
 * "frame-dragged" as it goes and once more, done, at its end; elsewhere it
 * moves the crosshair (or nothing while measuring). */
void vp_slice_widget_drag_begin(VpSliceWidget *self, double x, double y);
void vp_slice_widget_drag_update(VpSliceWidget *self, double off_x, double off_y);
void vp_slice_widget_drag_end(VpSliceWidget *self, double off_x, double off_y);
/* The frame handle a press at (x, y) takes: 0 the origin, 1 2 3 the ends of
 * the left, anterior and superior axes (those lying in the plane), or -1. */
int vp_slice_widget_frame_handle_at(VpSliceWidget *self, double x, double y);

double vp_slice_widget_get_last_frame_ms(VpSliceWidget *self);

G_END_DECLS
