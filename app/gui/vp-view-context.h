/* What every view of the workspace shares: the case shown, the frame views
 * align to, the linked crosshair, the CT window/level, the measurements of
 * the plan, the measuring tool in use, the oblique line, presentation mode,
 * and the volume simulated fluoroscopy projects (the CT, or a synthetic CT
 * made from the surface off the main loop when there is none).
 *
 * Views listen to its signals and redraw; they never change the plan. A view
 * that finishes a measurement emits "measurement-created" here and the window
 * turns it into an undoable edit of the document, then hands the plan's
 * measurements back with vp_view_context_set_measurements(). */
#pragma once

#include <gtk/gtk.h>

#include "vp-anatomy.h"
#include "vp-case.h"
#include "vp-drr.h"
#include "vp-plan.h"
#include "vp-slice.h"

G_BEGIN_DECLS

typedef enum {
  VP_MEASURE_TOOL_NONE,     /* clicks move the crosshair */
  VP_MEASURE_TOOL_DISTANCE, /* two clicks */
  VP_MEASURE_TOOL_ANGLE,    /* three clicks: end, vertex, end */
} VpMeasureTool;

#define VP_TYPE_VIEW_CONTEXT (vp_view_context_get_type())
G_DECLARE_FINAL_TYPE(VpViewContext, vp_view_context, VP, VIEW_CONTEXT, GObject)

VpViewContext *vp_view_context_new(void);

/* Borrows c (NULL clears) until the next call: the caller keeps it alive.
 * Resets the frame to the world axes at the centre of bounds, the crosshair
 * to that centre, the oblique line to the frame's left-right axis through
 * it (80 mm from the patient's right to the left, so the oblique view starts
 * out as the coronal one), the window/level to the bone preset, clears measurements and drops
 * any synthetic CT (a worker still making one for the old case is ignored).
 * Emits "case-changed" (views re-read everything), then
 * "measurements-changed" if there were any. */
void vp_view_context_set_case(VpViewContext *self, const VpCase *c, VpBox3 bounds);
const VpCase *vp_view_context_get_case(VpViewContext *self);
/* The surface's bounding box given with the case. */
VpBox3 vp_view_context_get_bounds(VpViewContext *self);

/* "frame-changed" */
void vp_view_context_set_frame(VpViewContext *self, const VpViewFrame *frame);
const VpViewFrame *vp_view_context_get_frame(VpViewContext *self);

/* "crosshair-changed" (only when it moves) */
void vp_view_context_set_crosshair(VpViewContext *self, VpVec3 point_mm);
VpVec3 vp_view_context_get_crosshair(VpViewContext *self);

/* "window-level-changed"; the width is kept at 1 HU or more. */
void vp_view_context_set_window_level(VpViewContext *self, VpWindowLevel wl);
VpWindowLevel vp_view_context_get_window_level(VpViewContext *self);

/* The plan's measurements, copied. "measurements-changed" */
void vp_view_context_set_measurements(VpViewContext *self, const VpPlanMeasurement *items,
                                      gsize count);
const VpPlanMeasurement *vp_view_context_get_measurements(VpViewContext *self, gsize *count);
/* Views call this when the user completes a measurement; emits
 * "measurement-created" (gpointer: const VpPlanMeasurement *, valid during
 * the emission). Does not add it: the window does, through the document. */
void vp_view_context_create_measurement(VpViewContext *self, const VpPlanMeasurement *m);

/* Property "tool" (VpMeasureTool as int). */
void vp_view_context_set_tool(VpViewContext *self, VpMeasureTool tool);
VpMeasureTool vp_view_context_get_tool(VpViewContext *self);

/* The line the oblique slice is cut along (later: the needle). "oblique-changed".
 * A line of zero length or with non-finite points is ignored. */
void vp_view_context_set_oblique_line(VpViewContext *self, VpVec3 a_mm, VpVec3 b_mm);
void vp_view_context_get_oblique_line(VpViewContext *self, VpVec3 *a_mm, VpVec3 *b_mm);

/* Property "presentation": thicker lines and larger text for projectors.
 * "style-changed" is emitted with it. */
void vp_view_context_set_presentation(VpViewContext *self, gboolean presentation);
gboolean vp_view_context_get_presentation(VpViewContext *self);
/* vp_slice_style_default, scaled up in presentation mode. */
void vp_view_context_get_style(VpViewContext *self, VpSliceStyle *style);

/* The volume to project for simulated fluoroscopy: the case's CT, or a
 * synthetic CT made from the surface. The first call for a case without CT
 * starts making it in a worker thread and returns NULL; "fluoro-volume-ready"
 * is emitted on the main loop when it is there, or when making it failed.
 * NULL without a case, or when making it failed (see
 * vp_view_context_get_fluoro_error()). The surface is copied first, so the
 * case may go while the worker runs. */
const VpVolume *vp_view_context_get_fluoro_volume(VpViewContext *self);
/* Why the synthetic CT could not be made, or NULL. */
const char *vp_view_context_get_fluoro_error(VpViewContext *self);
/* Whether the fluoroscopy volume is being made right now. */
gboolean vp_view_context_is_fluoro_volume_pending(VpViewContext *self);

/* ---- Anatomy (the Anatomy step) ----
 * The anatomy shown, borrowed (NULL clears): the window keeps it alive until
 * the next call or until vp_view_context_set_case(), which clears it. Which
 * parts the views tint (bits VP_ANATOMY_PART_BIT, all at first), whether
 * they draw the frame axes (yes at first), and whether views show the
 * anatomy at all, with handles on the frame that take the pointer in slice
 * views (while the Anatomy step is shown; no at first). Each setter
 * emits "anatomy-changed" when something changed. */
void vp_view_context_set_anatomy(VpViewContext *self, const VpAnatomy *anatomy);
const VpAnatomy *vp_view_context_get_anatomy(VpViewContext *self);
void vp_view_context_set_anatomy_parts(VpViewContext *self, guint visible_mask);
guint vp_view_context_get_anatomy_parts(VpViewContext *self);
void vp_view_context_set_show_frame_axes(VpViewContext *self, gboolean show);
gboolean vp_view_context_get_show_frame_axes(VpViewContext *self);
void vp_view_context_set_anatomy_shown(VpViewContext *self, gboolean shown);
gboolean vp_view_context_get_anatomy_shown(VpViewContext *self);
/* Views call this while the user drags a frame handle: emits "frame-dragged"
 * (gpointer: const VpAnatomyFrame *, the frame the drag asks for, valid during
 * the emission; gboolean: the drag has ended). The window previews it and,
 * when the drag ends, turns it into one undoable edit. */
void vp_view_context_drag_frame(VpViewContext *self, const VpAnatomyFrame *frame, gboolean done);

G_END_DECLS
