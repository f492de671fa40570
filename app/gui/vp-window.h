/* The main window: a welcome page until a case is open, then the planning
 * workspace: the steps of the procedure on the left, the views (one, or four
 * in a grid) in the middle, the panel of the step chosen on the right and a
 * status line of the case's measures. */
#pragma once

#include <adwaita.h>

#include "vp-case.h"
#include "vp-view-context.h"
#include "vp-view-grid.h"
#include "vp-view3d.h"

G_BEGIN_DECLS

#define VP_TYPE_WINDOW (vp_window_get_type())
G_DECLARE_FINAL_TYPE(VpWindow, vp_window, VP, WINDOW, AdwApplicationWindow)

VpWindow *vp_window_new(GtkApplication *application);

/* Opens a mesh, a NIfTI CT or label mask, or a plan, reading in the
 * background and asking the user what the file alone does not say (which
 * vertebra, which mask, what to do about a plan's missing files). Emits
 * "load-finished" (GFile *file, gboolean success, const char *error_message)
 * once at the end, unless a newer open replaced this one; the message is NULL
 * when the user cancelled. Failure shows a dialog; failure and cancelling
 * return to the previous page. */
void vp_window_open(VpWindow *self, GFile *file);
/* Opens the bundled teaching case with this id (see vp-teaching-cases.h),
 * first asking about unsaved changes as every way the user opens a file
 * does (vp_window_open() itself does not ask); FALSE, and nothing happens,
 * when the cases folder lists no such case. */
gboolean vp_window_open_teaching_case(VpWindow *self, const char *id);
/* Asks for a file with the native file chooser, then opens it. */
void vp_window_choose_file(VpWindow *self);
/* What the loading page's Cancel button does (win.cancel-open). */
void vp_window_cancel_open(VpWindow *self);

gboolean vp_window_has_case(VpWindow *self);
/* The case shown, or NULL; owned by the window. */
const VpCase *vp_window_get_case(VpWindow *self);
/* From vp_window_open() until the case is shown, the open fails or is cancelled. */
gboolean vp_window_is_loading(VpWindow *self);
/* The dialog the open in progress is asking the user, or NULL. */
GtkWindow *vp_window_get_open_dialog(VpWindow *self);
/* Shown, not loading, no page transition running and every fluoroscopy view
 * showing its radiograph (or why there is none): ready to be captured. */
gboolean vp_window_is_settled(VpWindow *self);
/* "welcome", "loading" or "view". */
const char *vp_window_get_page(VpWindow *self);
/* The status line as one string, e.g. "sub-verse005 · L3  27,760 triangles  ...". */
char *vp_window_dup_status_text(VpWindow *self);
/* The status line's warning about the surface (holes, parts, units, repairs),
 * or NULL when there is none. */
char *vp_window_dup_warning_text(VpWindow *self);
/* The first pane showing 3D, or NULL when no pane does. */
VpView3d *vp_window_get_view(VpWindow *self);
/* The central view area and the state its views share; owned by the window. */
VpViewGrid *vp_window_get_view_grid(VpWindow *self);
VpViewContext *vp_window_get_view_context(VpWindow *self);
/* The planning step whose panel is shown: "case", "anatomy", "lesion",
 * "trajectory", "cement" or "report" (the state of win.step). */
const char *vp_window_get_step(VpWindow *self);

/* Renders the window's content (header bar and page, without the frame the
 * compositor or GTK draws around it) as it is now into a PNG file. */
gboolean vp_window_save_screenshot(VpWindow *self, const char *png_path, GError **error);

/* The document being edited (see vp-document.h), or NULL while no case is shown. */
const struct VpDocument *vp_window_get_document(VpWindow *self);

/* The Anatomy step: the anatomy of the case shown, or NULL while it is being
 * computed (vp_window_is_anatomy_pending) or when it could not be (then
 * vp_window_get_anatomy_error says why). */
const struct VpAnatomy *vp_window_get_anatomy(VpWindow *self);
gboolean vp_window_is_anatomy_pending(VpWindow *self);
const char *vp_window_get_anatomy_error(VpWindow *self);

G_END_DECLS
