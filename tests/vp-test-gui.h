/* Helpers for the GUI suites, which drive the real application in-process
 * under Xvfb: starting it, waiting on the main loop (never forever), finding
 * dialogs and widgets as a user sees them, and checking screenshots. */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "vp-application.h"
#include "vp-window.h"

/* The application under test and its first main window. */
extern VpApplication *vp_test_app;
extern VpWindow *vp_test_window;

/* Points HOME and the XDG folders into the test's temporary folder, so
 * GtkRecentManager and GSettings never touch the real home. Call first. */
void vp_test_gui_use_private_home(void);
/* Group setup and teardown: registers and activates the application and
 * waits for its window; destroys every window. */
int vp_test_gui_start(void **state);
int vp_test_gui_stop(void **state);

typedef gboolean (*VpTestCondition)(void);
/* Iterates the main loop until condition holds or a minute has passed. */
gboolean vp_test_wait_until(VpTestCondition condition);
/* Iterates the main loop for about ms milliseconds. */
void vp_test_wait_ms(guint ms);
/* Settled, then two frames, so layout and painting of the final state are done. */
void vp_test_wait_for_settled_window(void);

gboolean vp_test_window_is_not_loading(void);
/* Starts opening path in the window. */
void vp_test_open(const char *path);
/* Opens path and waits until the open has ended (shown, failed or waiting on a dialog). */
void vp_test_open_and_wait(const char *path);

/* The visible message dialog, or NULL. */
AdwMessageDialog *vp_test_find_message_dialog(void);
gboolean vp_test_message_dialog_shown(void);
/* Destroys every dialog and chooser left by an earlier test. */
void vp_test_close_dialogs(void);

/* The first widget under root (root included) of type type whose text or
 * title contains text (NULL: any), in tree order; NULL when none. Text is a
 * GtkLabel's label, a GtkButton's label or an AdwPreferencesRow's title. */
GtkWidget *vp_test_find_widget(GtkWidget *root, GType type, const char *text);

void vp_test_assert_status_contains(const char *expected);

/* A closed UV sphere about the origin with outward triangles:
 * 2 * slices * (stacks - 1) of them. Normals computed. */
VpMesh *vp_test_make_uv_sphere(double radius, uint32_t stacks, uint32_t slices);

/* Saves the window to artifacts/name and checks a mesh is visibly on it. */
void vp_test_screenshot_and_check(const char *name);
/* Saves a dialog (its content, without the frame) to artifacts/name once it
 * has been painted, and checks it is not blank. */
void vp_test_screenshot_dialog(GtkWindow *dialog, const char *name);

/* Saves widget as it is now (on the window's background) to artifacts/name
 * and reads it back; fails the test when either step fails or the image is
 * not more than 50 pixels each way. */
cairo_surface_t *vp_test_capture_widget(GtkWidget *widget, const char *name);
