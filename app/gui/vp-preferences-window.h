/* The preferences window: default needle gauge, target fill fraction,
 * autosave interval and default layout, each bound to its GSettings key. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define VP_TYPE_PREFERENCES_WINDOW (vp_preferences_window_get_type())
G_DECLARE_FINAL_TYPE(VpPreferencesWindow, vp_preferences_window, VP, PREFERENCES_WINDOW,
                     AdwPreferencesWindow)

GtkWidget *vp_preferences_window_new(GtkWindow *parent);

G_END_DECLS
