/* PNG captures of windows as the user sees them, for --screenshot and tests. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Renders area (a descendant of window, usually its content: header bar and
 * page without the frame GTK draws around a window) as it is now into a PNG
 * file, with the window's background behind it. */
gboolean vp_screenshot_save(GtkWidget *window, GtkWidget *area, const char *png_path,
                            GError **error);

G_END_DECLS
