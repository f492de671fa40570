/* The application: app actions and every accelerator, the About window,
 * files from the command line, and the hidden --screenshot option. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define VP_TYPE_APPLICATION (vp_application_get_type())
G_DECLARE_FINAL_TYPE(VpApplication, vp_application, VP, APPLICATION, AdwApplication)

/* extra_flags are added to G_APPLICATION_HANDLES_OPEN; tests pass
 * G_APPLICATION_NON_UNIQUE so they never meet a running instance. */
VpApplication *vp_application_new(GApplicationFlags extra_flags);

/* 0, or 1 when a --screenshot run could not open its file or save the image. */
int vp_application_get_exit_status(VpApplication *self);
/* Started with --screenshot: it shows its file and quits, asking nothing. */
gboolean vp_application_is_screenshot_run(VpApplication *self);

G_END_DECLS
