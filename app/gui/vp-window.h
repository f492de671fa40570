/* The main window: a welcome page until a mesh is open, then the 3D view
 * with a status line of the mesh's measures. */
#pragma once

#include <adwaita.h>

#include "vp-view3d.h"

G_BEGIN_DECLS

#define VP_TYPE_WINDOW (vp_window_get_type())
G_DECLARE_FINAL_TYPE(VpWindow, vp_window, VP, WINDOW, AdwApplicationWindow)

VpWindow *vp_window_new(GtkApplication *application);

/* Loads file in the background; emits "load-finished" (GFile *file,
 * gboolean success, const char *error_message or NULL) when done, unless a
 * newer open replaced it. Failure shows a dialog and returns to the previous page. */
void vp_window_open(VpWindow *self, GFile *file);
/* Asks for a mesh file with the native file chooser, then opens it. */
void vp_window_choose_file(VpWindow *self);

gboolean vp_window_has_mesh(VpWindow *self);
gboolean vp_window_is_loading(VpWindow *self);
/* Shown, not loading and no page transition running: ready to be captured. */
gboolean vp_window_is_settled(VpWindow *self);
/* "welcome", "loading" or "view". */
const char *vp_window_get_page(VpWindow *self);
/* The status line as one string, e.g. "name.stl  27,760 triangles  ...". */
char *vp_window_dup_status_text(VpWindow *self);
VpView3d *vp_window_get_view(VpWindow *self);

/* Renders the window's content (header bar and page, without the frame the
 * compositor or GTK draws around it) as it is now into a PNG file. */
gboolean vp_window_save_screenshot(VpWindow *self, const char *png_path, GError **error);

G_END_DECLS
