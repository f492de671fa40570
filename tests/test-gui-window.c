/* The real application window, driven in-process under Xvfb: the welcome page,
 * opening good and bad files, the view actions, and screenshots that show a mesh. */
#include "vp-test-gui.h"

#include <stdlib.h>
#include <string.h>

#include "vp-config.h"
#include "vp-test-util.h"

static char *sphere_path;

static const char *generated_sphere_path(void)
{
  if (sphere_path)
    return sphere_path;
  VpMesh *sphere = vp_test_make_uv_sphere(20.0, 16, 32);
  VpError err;
  char *path = vp_test_tmp_path("sphere-r20.stl");
  if (!vp_mesh_save_stl(sphere, path, &err))
    fail_msg("cannot write %s: %s", path, err.message);
  vp_mesh_free(sphere);
  return sphere_path = path;
}

static char *write_garbage_stl(void)
{
  static const char garbage[] = "\x01\x02 this is not a mesh \xff\xfe\x00\x17";
  char *path = vp_test_tmp_path("garbage.stl");
  assert_true(vp_test_write_file(path, garbage, sizeof garbage));
  return path;
}

/* ---- Helpers on the window ---- */

/* Every test starts from a shown sphere and no dialog left by an earlier failure. */
static void ensure_sphere_open(void)
{
  vp_test_close_dialogs();
  if (!vp_window_has_case(vp_test_window))
    vp_test_open_and_wait(generated_sphere_path());
  assert_true(vp_window_has_case(vp_test_window));
  vp_test_wait_for_settled_window();
}

static gboolean eyes_equal(VpVec3 a, VpVec3 b)
{
  return vp_vec3_distance(a, b) < 1e-6;
}

static VpVec3 current_eye(void)
{
  return vp_camera_eye(vp_view3d_get_camera(vp_window_get_view(vp_test_window)));
}

static void activate(const char *action, GVariant *parameter)
{
  g_action_group_activate_action(G_ACTION_GROUP(vp_test_window), action, parameter);
}

/* ---- Tests ---- */

static void welcome_page_without_a_file(void **state)
{
  assert_string_equal(vp_window_get_page(vp_test_window), "welcome");
  assert_false(vp_window_has_case(vp_test_window));
}

/* Through GApplication's open, as a file from the command line arrives. */
static void opening_a_mesh_shows_it_with_its_measures(void **state)
{
  g_autoptr(GFile) file = g_file_new_for_path(generated_sphere_path());
  g_application_open(G_APPLICATION(vp_test_app), &file, 1, "");
  assert_non_null(vp_test_window);
  assert_true(vp_test_wait_until(vp_test_window_is_not_loading));
  assert_true(vp_window_has_case(vp_test_window));
  assert_string_equal(vp_window_get_page(vp_test_window), "view");
  vp_test_assert_status_contains("sphere-r20  ");
  vp_test_assert_status_contains("960 triangles");
  vp_test_assert_status_contains("40.0 × 40.0 × 40.0 mm");
  vp_test_assert_status_contains(" mL"); /* closed, so the volume is shown */
  vp_test_wait_for_settled_window();
  vp_test_screenshot_and_check("gui-generated.png");
}

static void bad_file_shows_the_loader_message_and_keeps_the_mesh(void **state)
{
  ensure_sphere_open();
  const VpMesh *shown = vp_view3d_get_mesh(vp_window_get_view(vp_test_window));
  char *path = write_garbage_stl();
  VpError expected;
  vp_error_clear(&expected);
  VpMesh *none = vp_mesh_load(path, &expected);
  assert_null(none);
  assert_true(expected.message[0] != '\0');

  vp_test_open_and_wait(path);
  assert_true(vp_test_wait_until(vp_test_message_dialog_shown));
  AdwMessageDialog *dialog = vp_test_find_message_dialog();
  const char *body = adw_message_dialog_get_body(dialog);
  if (!strstr(body, expected.message))
    fail_msg("dialog body \"%s\" lacks the loader's \"%s\"", body, expected.message);
  assert_non_null(strstr(adw_message_dialog_get_heading(dialog), "garbage.stl"));
  assert_ptr_equal(gtk_window_get_transient_for(GTK_WINDOW(dialog)), vp_test_window);

  /* Still running, still showing the previous mesh. */
  assert_true(g_application_get_is_registered(G_APPLICATION(vp_test_app)));
  assert_non_null(g_list_find(gtk_application_get_windows(GTK_APPLICATION(vp_test_app)), vp_test_window));
  assert_string_equal(vp_window_get_page(vp_test_window), "view");
  assert_ptr_equal(vp_view3d_get_mesh(vp_window_get_view(vp_test_window)), shown);
  vp_test_assert_status_contains("960 triangles");
  gtk_window_destroy(GTK_WINDOW(dialog));
  free(path);
}

static gboolean view_is_orthographic(void)
{
  return vp_view3d_get_orthographic(vp_window_get_view(vp_test_window));
}

static gboolean view_is_perspective(void)
{
  return !view_is_orthographic();
}

static void view_actions_and_orbit_move_the_camera(void **state)
{
  ensure_sphere_open();
  const VpCamera *cam = vp_view3d_get_camera(vp_window_get_view(vp_test_window));
  activate("reset-view", NULL);
  VpVec3 home = current_eye();

  activate("standard-view", g_variant_new_string("left"));
  VpVec3 left = current_eye();
  assert_false(eyes_equal(left, home));
  assert_true(left.x < cam->target.x - 1.0); /* the patient's left is -x in RAS+ */

  activate("reset-view", NULL);
  assert_true(eyes_equal(current_eye(), home));

  vp_view3d_orbit(vp_window_get_view(vp_test_window), 80, 0);
  assert_false(eyes_equal(current_eye(), home));

  activate("projection", g_variant_new_string("orthographic"));
  assert_true(vp_test_wait_until(view_is_orthographic));
  activate("projection", g_variant_new_string("perspective"));
  assert_true(vp_test_wait_until(view_is_perspective));
}

/* The view's own key actions (what R, 1-6 and P trigger) reach the camera, and
 * the P toggle reaches the stored setting behind the menu's radio items. */
static void view_key_actions_move_the_camera_and_store_the_projection(void **state)
{
  ensure_sphere_open();
  GtkWidget *view = GTK_WIDGET(vp_window_get_view(vp_test_window));
  const VpCamera *cam = vp_view3d_get_camera(VP_VIEW3D(view));

  assert_true(gtk_widget_activate_action(view, "view.standard-view", "s", "superior"));
  assert_true(current_eye().z > cam->target.z + 1.0); /* looking down from above */
  assert_true(gtk_widget_activate_action(view, "view.reset", NULL));
  assert_true(current_eye().y > cam->target.y + 1.0); /* anterior is +y */

  assert_true(gtk_widget_activate_action(view, "view.toggle-projection", NULL));
  assert_true(view_is_orthographic());
  g_autoptr(GVariant) stored = g_action_group_get_action_state(G_ACTION_GROUP(vp_test_window), "projection");
  assert_string_equal(g_variant_get_string(stored, NULL), "orthographic");
  assert_true(gtk_widget_activate_action(view, "view.toggle-projection", NULL));
  assert_true(vp_test_wait_until(view_is_perspective));
}

static void newest_open_wins(void **state)
{
  ensure_sphere_open();
  char *bad_path = write_garbage_stl();
  g_autoptr(GFile) bad = g_file_new_for_path(bad_path);
  g_autoptr(GFile) good = g_file_new_for_path(generated_sphere_path());
  vp_window_open(vp_test_window, bad);
  vp_window_open(vp_test_window, good);
  assert_true(vp_test_wait_until(vp_test_window_is_not_loading));
  assert_null(vp_test_find_message_dialog()); /* the replaced open reports nothing */
  assert_string_equal(vp_window_get_page(vp_test_window), "view");
  vp_test_assert_status_contains("960 triangles");
  free(bad_path);
}

static gboolean load_thread_done;

static gboolean wait_a_little(gpointer data)
{
  load_thread_done = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean waited(void)
{
  return load_thread_done;
}

/* The load finishes after its window is gone; under AddressSanitizer this
 * catches any touch of freed widgets or meshes. */
static void closing_a_window_while_it_loads_is_safe(void **state)
{
  VpWindow *other = vp_window_new(GTK_APPLICATION(vp_test_app));
  gtk_window_present(GTK_WINDOW(other));
  g_autoptr(GFile) file = g_file_new_for_path(generated_sphere_path());
  vp_window_open(other, file);
  gtk_window_destroy(GTK_WINDOW(other));
  load_thread_done = FALSE;
  g_timeout_add(500, wait_a_little, NULL);
  assert_true(vp_test_wait_until(waited));
  assert_null(g_list_find(gtk_application_get_windows(GTK_APPLICATION(vp_test_app)), other));
  assert_true(g_application_get_is_registered(G_APPLICATION(vp_test_app)));
}

static VpWindow *probe;

static gboolean probe_is_mapped(void)
{
  return gtk_widget_get_mapped(GTK_WIDGET(probe));
}

static void window_size_is_remembered(void **state)
{
  probe = vp_window_new(GTK_APPLICATION(vp_test_app));
  gtk_window_set_default_size(GTK_WINDOW(probe), 900, 640);
  gtk_window_present(GTK_WINDOW(probe));
  assert_true(vp_test_wait_until(probe_is_mapped));
  gtk_window_close(GTK_WINDOW(probe));

  g_autoptr(GSettings) settings = g_settings_new(VP_APP_ID);
  assert_int_equal(g_settings_get_int(settings, "window-width"), 900);
  assert_int_equal(g_settings_get_int(settings, "window-height"), 640);
  assert_false(g_settings_get_boolean(settings, "window-maximized"));

  int width, height;
  probe = vp_window_new(GTK_APPLICATION(vp_test_app));
  gtk_window_get_default_size(GTK_WINDOW(probe), &width, &height);
  assert_int_equal(width, 900);
  assert_int_equal(height, 640);
  gtk_window_destroy(GTK_WINDOW(probe));
  g_settings_reset(settings, "window-width");
  g_settings_reset(settings, "window-height");
}

static void real_vertebra_opens_and_draws(void **state)
{
  char *path = vp_test_shared_file("verse/sub-verse009_L3.stl");
  if (!path) {
    print_message("skipped: VP_SHARED_DIR/data/verse/sub-verse009_L3.stl is not there\n");
    skip();
  }
  vp_test_open_and_wait(path);
  assert_true(vp_window_has_case(vp_test_window));
  assert_string_equal(vp_window_get_page(vp_test_window), "view");
  vp_test_assert_status_contains("sub-verse009 · L3");
  vp_test_assert_status_contains("27,760 triangles");
  vp_test_assert_status_contains(" mm");
  vp_test_wait_for_settled_window();
  vp_test_screenshot_and_check("gui-verse009-L3.png");
  free(path);
}

int main(void)
{
  vp_test_gui_use_private_home();
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(welcome_page_without_a_file),
    cmocka_unit_test(opening_a_mesh_shows_it_with_its_measures),
    cmocka_unit_test(bad_file_shows_the_loader_message_and_keeps_the_mesh),
    cmocka_unit_test(view_actions_and_orbit_move_the_camera),
    cmocka_unit_test(view_key_actions_move_the_camera_and_store_the_projection),
    cmocka_unit_test(newest_open_wins),
    cmocka_unit_test(closing_a_window_while_it_loads_is_safe),
    cmocka_unit_test(window_size_is_remembered),
    cmocka_unit_test(real_vertebra_opens_and_draws),
  };
  int failed = cmocka_run_group_tests_name("gui", tests, vp_test_gui_start, vp_test_gui_stop);
  free(sphere_path);
  return failed;
}
