/* Placeholder: being written. */
#include "vp-preferences-window.h"

struct _VpPreferencesWindow {
  AdwPreferencesWindow parent_instance;
};

G_DEFINE_FINAL_TYPE(VpPreferencesWindow, vp_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static void vp_preferences_window_class_init(VpPreferencesWindowClass *klass) {}
static void vp_preferences_window_init(VpPreferencesWindow *self) {}

GtkWidget *vp_preferences_window_new(GtkWindow *parent)
{
  return g_object_new(VP_TYPE_PREFERENCES_WINDOW, "transient-for", parent, NULL);
}
