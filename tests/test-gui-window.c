/* The real application window, driven in-process under Xvfb: the welcome page,
 * opening good and bad files, the view actions, and screenshots that show a mesh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vp-application.h"
#include "vp-config.h"
#include "vp-render3d.h"
#include "vp-test-image.h"
#include "vp-test-util.h"
#include "vp-window.h"

#define WAIT_TIMEOUT_S 60

static VpApplication *app;
static VpWindow *window;

/* ---- Waiting on the main loop, never forever ---- */

typedef gboolean (*Condition)(void);

static gboolean wake_up(gpointer data)
{
  return G_SOURCE_CONTINUE; /* only there so iterations never block for long */
}

static gboolean wait_until(Condition condition)
{
  gint64 deadline = g_get_monotonic_time() + WAIT_TIMEOUT_S * G_USEC_PER_SEC;
  guint timer = g_timeout_add(20, wake_up, NULL);
  gboolean met;
  while (!(met = condition()) && g_get_monotonic_time() < deadline)
    g_main_context_iteration(NULL, TRUE);
  g_source_remove(timer);
  return met;
}

static guint frames_seen;

static gboolean count_frame(GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  frames_seen++;
  return G_SOURCE_CONTINUE;
}

static gboolean two_frames_seen(void)
{
  return frames_seen >= 2;
}

static gboolean window_is_settled(void)
{
  return vp_window_is_settled(window);
}

static gboolean window_is_not_loading(void)
{
  return !vp_window_is_loading(window);
}

/* Settled, then two frames, so layout and painting of the final state are done. */
static void wait_for_settled_window(void)
{
  assert_true(wait_until(window_is_settled));
  frames_seen = 0;
  guint id = gtk_widget_add_tick_callback(GTK_WIDGET(window), count_frame, NULL, NULL);
  assert_true(wait_until(two_frames_seen));
  gtk_widget_remove_tick_callback(GTK_WIDGET(window), id);
}

static VpWindow *first_vp_window(void)
{
  for (GList *l = gtk_application_get_windows(GTK_APPLICATION(app)); l; l = l->next) {
    if (VP_IS_WINDOW(l->data))
      return l->data;
  }
  return NULL;
}

static gboolean window_is_mapped(void)
{
  window = first_vp_window();
  return window && gtk_widget_get_mapped(GTK_WIDGET(window));
}

/* ---- Test files ---- */

/* A closed UV sphere with outward triangles: 2 * slices * (stacks - 1) of them. */
static VpMesh *make_uv_sphere(double radius, uint32_t stacks, uint32_t slices)
{
  VpError err;
  VpMesh *mesh = vp_mesh_new(2 + (stacks - 1) * slices, 2 * slices * (stacks - 1), &err);
  assert_non_null(mesh);
  float *p = mesh->positions;
  p[2] = (float)radius; /* vertex 0: superior pole; vertex 1: inferior pole */
  p[5] = (float)-radius;
  for (uint32_t i = 1; i < stacks; i++) {
    double theta = VP_PI * i / stacks;
    for (uint32_t j = 0; j < slices; j++) {
      double phi = 2 * VP_PI * j / slices;
      float *v = p + 3 * (2 + (i - 1) * slices + j);
      v[0] = (float)(radius * sin(theta) * cos(phi));
      v[1] = (float)(radius * sin(theta) * sin(phi));
      v[2] = (float)(radius * cos(theta));
    }
  }
  uint32_t *t = mesh->indices;
  for (uint32_t i = 0; i < stacks; i++) {
    for (uint32_t j = 0; j < slices; j++) {
      uint32_t jn = (j + 1) % slices;
      uint32_t a = i == 0 ? 0 : 2 + (i - 1) * slices + j, b = i == 0 ? 0 : 2 + (i - 1) * slices + jn;
      uint32_t c = i == stacks - 1 ? 1 : 2 + i * slices + j;
      uint32_t d = i == stacks - 1 ? 1 : 2 + i * slices + jn;
      if (i < stacks - 1) { /* (a, c, d) collapses at the inferior pole */
        *t++ = a, *t++ = c, *t++ = d;
      }
      if (i > 0) { /* (a, d, b) collapses at the superior pole */
        *t++ = a, *t++ = d, *t++ = b;
      }
    }
  }
  assert_int_equal(t - mesh->indices, 3 * mesh->triangle_count);
  vp_mesh_compute_normals(mesh);
  return mesh;
}

static char *sphere_path;

static const char *generated_sphere_path(void)
{
  if (sphere_path)
    return sphere_path;
  VpMesh *sphere = make_uv_sphere(20.0, 16, 32);
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

static void open_and_wait(const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path(path);
  vp_window_open(window, file);
  assert_true(vp_window_is_loading(window));
  assert_true(wait_until(window_is_not_loading));
}

static AdwMessageDialog *find_message_dialog(void);

/* Every test starts from a shown sphere and no dialog left by an earlier failure. */
static void ensure_sphere_open(void)
{
  AdwMessageDialog *left_over;
  while ((left_over = find_message_dialog()))
    gtk_window_destroy(GTK_WINDOW(left_over));
  if (!vp_window_has_mesh(window))
    open_and_wait(generated_sphere_path());
  assert_true(vp_window_has_mesh(window));
  wait_for_settled_window();
}

static void assert_status_contains(const char *expected)
{
  g_autofree char *status = vp_window_dup_status_text(window);
  if (!strstr(status, expected))
    fail_msg("status line \"%s\" lacks \"%s\"", status, expected);
}

static int colour_distance(uint32_t a, uint32_t b)
{
  int worst = 0;
  for (int shift = 0; shift < 24; shift += 8) /* RGB; the view is opaque */
    worst = MAX(worst, abs((int)((a >> shift) & 0xff) - (int)((b >> shift) & 0xff)));
  return worst;
}

/* Share of the 3D view's pixels that differ from an empty scene drawn with the
 * same camera: what the mesh (and the marker) added. */
static double view_fraction_drawn(cairo_surface_t *shot)
{
  VpView3d *view = vp_window_get_view(window);
  graphene_rect_t r;
  GtkWidget *content = adw_application_window_get_content(ADW_APPLICATION_WINDOW(window));
  assert_true(gtk_widget_compute_bounds(GTK_WIDGET(view), content, &r));
  int x0 = (int)r.origin.x, y0 = (int)r.origin.y, w = (int)r.size.width, h = (int)r.size.height;
  assert_true(w > 100 && h > 100);
  assert_true(x0 + w <= cairo_image_surface_get_width(shot));
  assert_true(y0 + h <= cairo_image_surface_get_height(shot));

  VpRenderStyle style;
  vp_render_style_default(&style);
  style.orientation_marker = false;
  VpScene empty = {.meshes = NULL, .mesh_count = 0};
  VpError err;
  cairo_surface_t *background =
      vp_render_to_image(vp_view3d_get_camera(view), &empty, &style, w, h, &err);
  if (!background)
    fail_msg("cannot render the background: %s", err.message);
  long drawn = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      drawn += colour_distance(vp_test_pixel(shot, x0 + x, y0 + y),
                               vp_test_pixel(background, x, y)) > 24;
  cairo_surface_destroy(background);
  return (double)drawn / ((double)w * h);
}

/* Saves the window to artifacts/name and checks a mesh is visibly on it. */
static void screenshot_and_check(const char *name)
{
  char *path = vp_test_artifact_path(name);
  g_autoptr(GError) error = NULL;
  if (!vp_window_save_screenshot(window, path, &error))
    fail_msg("screenshot %s: %s", path, error->message);
  cairo_surface_t *shot = cairo_image_surface_create_from_png(path);
  assert_int_equal(cairo_surface_status(shot), CAIRO_STATUS_SUCCESS);
  GtkWidget *content = adw_application_window_get_content(ADW_APPLICATION_WINDOW(window));
  assert_int_equal(cairo_image_surface_get_width(shot), gtk_widget_get_width(content));

  double differing = vp_test_fraction_differing(shot, vp_test_pixel(shot, 0, 0), 8);
  int colours = vp_test_distinct_colours(shot, 1000);
  double drawn = view_fraction_drawn(shot);
  print_message("%s: %.1f %% differ from the top-left pixel, %d colours, mesh covers %.1f %% "
                "of the view\n",
                path, 100 * differing, colours, 100 * drawn);
  assert_true(differing > 0.05);
  assert_true(colours > 50);
  assert_true(drawn > 0.05);
  cairo_surface_destroy(shot);
  free(path);
}

static gboolean eyes_equal(VpVec3 a, VpVec3 b)
{
  return vp_vec3_distance(a, b) < 1e-6;
}

static VpVec3 current_eye(void)
{
  return vp_camera_eye(vp_view3d_get_camera(vp_window_get_view(window)));
}

static void activate(const char *action, GVariant *parameter)
{
  g_action_group_activate_action(G_ACTION_GROUP(window), action, parameter);
}

/* ---- Tests ---- */

static void welcome_page_without_a_file(void **state)
{
  assert_string_equal(vp_window_get_page(window), "welcome");
  assert_false(vp_window_has_mesh(window));
}

/* Through GApplication's open, as a file from the command line arrives. */
static void opening_a_mesh_shows_it_with_its_measures(void **state)
{
  g_autoptr(GFile) file = g_file_new_for_path(generated_sphere_path());
  g_application_open(G_APPLICATION(app), &file, 1, "");
  window = first_vp_window();
  assert_non_null(window);
  assert_true(wait_until(window_is_not_loading));
  assert_true(vp_window_has_mesh(window));
  assert_string_equal(vp_window_get_page(window), "view");
  assert_status_contains("sphere-r20.stl");
  assert_status_contains("960 triangles");
  assert_status_contains("40.0 × 40.0 × 40.0 mm");
  assert_status_contains(" mL"); /* closed, so the volume is shown */
  wait_for_settled_window();
  screenshot_and_check("gui-generated.png");
}

static AdwMessageDialog *find_message_dialog(void)
{
  AdwMessageDialog *found = NULL;
  GList *toplevels = gtk_window_list_toplevels();
  for (GList *l = toplevels; l && !found; l = l->next) {
    if (ADW_IS_MESSAGE_DIALOG(l->data) && gtk_widget_get_visible(l->data))
      found = l->data;
  }
  g_list_free(toplevels);
  return found;
}

static gboolean message_dialog_shown(void)
{
  return find_message_dialog() != NULL;
}

static void bad_file_shows_the_loader_message_and_keeps_the_mesh(void **state)
{
  ensure_sphere_open();
  const VpMesh *shown = vp_view3d_get_mesh(vp_window_get_view(window));
  char *path = write_garbage_stl();
  VpError expected;
  vp_error_clear(&expected);
  VpMesh *none = vp_mesh_load(path, &expected);
  assert_null(none);
  assert_true(expected.message[0] != '\0');

  open_and_wait(path);
  assert_true(wait_until(message_dialog_shown));
  AdwMessageDialog *dialog = find_message_dialog();
  const char *body = adw_message_dialog_get_body(dialog);
  if (!strstr(body, expected.message))
    fail_msg("dialog body \"%s\" lacks the loader's \"%s\"", body, expected.message);
  assert_non_null(strstr(adw_message_dialog_get_heading(dialog), "garbage.stl"));
  assert_ptr_equal(gtk_window_get_transient_for(GTK_WINDOW(dialog)), window);

  /* Still running, still showing the previous mesh. */
  assert_true(g_application_get_is_registered(G_APPLICATION(app)));
  assert_non_null(g_list_find(gtk_application_get_windows(GTK_APPLICATION(app)), window));
  assert_string_equal(vp_window_get_page(window), "view");
  assert_ptr_equal(vp_view3d_get_mesh(vp_window_get_view(window)), shown);
  assert_status_contains("960 triangles");
  gtk_window_destroy(GTK_WINDOW(dialog));
  free(path);
}

static gboolean view_is_orthographic(void)
{
  return vp_view3d_get_orthographic(vp_window_get_view(window));
}

static gboolean view_is_perspective(void)
{
  return !view_is_orthographic();
}

static void view_actions_and_orbit_move_the_camera(void **state)
{
  ensure_sphere_open();
  const VpCamera *cam = vp_view3d_get_camera(vp_window_get_view(window));
  activate("reset-view", NULL);
  VpVec3 home = current_eye();

  activate("standard-view", g_variant_new_string("left"));
  VpVec3 left = current_eye();
  assert_false(eyes_equal(left, home));
  assert_true(left.x < cam->target.x - 1.0); /* the patient's left is -x in RAS+ */

  activate("reset-view", NULL);
  assert_true(eyes_equal(current_eye(), home));

  vp_view3d_orbit(vp_window_get_view(window), 80, 0);
  assert_false(eyes_equal(current_eye(), home));

  activate("projection", g_variant_new_string("orthographic"));
  assert_true(wait_until(view_is_orthographic));
  activate("projection", g_variant_new_string("perspective"));
  assert_true(wait_until(view_is_perspective));
}

/* The view's own key actions (what R, 1-6 and P trigger) reach the camera, and
 * the P toggle reaches the stored setting behind the menu's radio items. */
static void view_key_actions_move_the_camera_and_store_the_projection(void **state)
{
  ensure_sphere_open();
  GtkWidget *view = GTK_WIDGET(vp_window_get_view(window));
  const VpCamera *cam = vp_view3d_get_camera(VP_VIEW3D(view));

  assert_true(gtk_widget_activate_action(view, "view.standard-view", "s", "superior"));
  assert_true(current_eye().z > cam->target.z + 1.0); /* looking down from above */
  assert_true(gtk_widget_activate_action(view, "view.reset", NULL));
  assert_true(current_eye().y > cam->target.y + 1.0); /* anterior is +y */

  assert_true(gtk_widget_activate_action(view, "view.toggle-projection", NULL));
  assert_true(view_is_orthographic());
  g_autoptr(GVariant) stored = g_action_group_get_action_state(G_ACTION_GROUP(window), "projection");
  assert_string_equal(g_variant_get_string(stored, NULL), "orthographic");
  assert_true(gtk_widget_activate_action(view, "view.toggle-projection", NULL));
  assert_true(wait_until(view_is_perspective));
}

static void newest_open_wins(void **state)
{
  ensure_sphere_open();
  char *bad_path = write_garbage_stl();
  g_autoptr(GFile) bad = g_file_new_for_path(bad_path);
  g_autoptr(GFile) good = g_file_new_for_path(generated_sphere_path());
  vp_window_open(window, bad);
  vp_window_open(window, good);
  assert_true(wait_until(window_is_not_loading));
  assert_null(find_message_dialog()); /* the replaced open reports nothing */
  assert_string_equal(vp_window_get_page(window), "view");
  assert_status_contains("960 triangles");
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
  VpWindow *other = vp_window_new(GTK_APPLICATION(app));
  gtk_window_present(GTK_WINDOW(other));
  g_autoptr(GFile) file = g_file_new_for_path(generated_sphere_path());
  vp_window_open(other, file);
  gtk_window_destroy(GTK_WINDOW(other));
  load_thread_done = FALSE;
  g_timeout_add(500, wait_a_little, NULL);
  assert_true(wait_until(waited));
  assert_null(g_list_find(gtk_application_get_windows(GTK_APPLICATION(app)), other));
  assert_true(g_application_get_is_registered(G_APPLICATION(app)));
}

static VpWindow *probe;

static gboolean probe_is_mapped(void)
{
  return gtk_widget_get_mapped(GTK_WIDGET(probe));
}

static void window_size_is_remembered(void **state)
{
  probe = vp_window_new(GTK_APPLICATION(app));
  gtk_window_set_default_size(GTK_WINDOW(probe), 900, 640);
  gtk_window_present(GTK_WINDOW(probe));
  assert_true(wait_until(probe_is_mapped));
  gtk_window_close(GTK_WINDOW(probe));

  g_autoptr(GSettings) settings = g_settings_new(VP_APP_ID);
  assert_int_equal(g_settings_get_int(settings, "window-width"), 900);
  assert_int_equal(g_settings_get_int(settings, "window-height"), 640);
  assert_false(g_settings_get_boolean(settings, "window-maximized"));

  int width, height;
  probe = vp_window_new(GTK_APPLICATION(app));
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
  open_and_wait(path);
  assert_true(vp_window_has_mesh(window));
  assert_string_equal(vp_window_get_page(window), "view");
  assert_status_contains("sub-verse009_L3.stl");
  assert_status_contains("27,760 triangles");
  assert_status_contains(" mm");
  wait_for_settled_window();
  screenshot_and_check("gui-verse009-L3.png");
  free(path);
}

/* ---- Setup ---- */

static int start_application(void **state)
{
  g_autoptr(GError) error = NULL;
  app = vp_application_new(G_APPLICATION_NON_UNIQUE);
  if (!g_application_register(G_APPLICATION(app), NULL, &error)) {
    print_error("cannot register the application: %s\n", error->message);
    return -1;
  }
  g_application_activate(G_APPLICATION(app));
  if (!wait_until(window_is_mapped)) {
    print_error("the window never appeared\n");
    return -1;
  }
  return 0;
}

static int stop_application(void **state)
{
  GList *windows = g_list_copy(gtk_application_get_windows(GTK_APPLICATION(app)));
  for (GList *l = windows; l; l = l->next)
    gtk_window_destroy(l->data);
  g_list_free(windows);
  while (g_main_context_iteration(NULL, FALSE))
    ;
  g_clear_object(&app);
  free(sphere_path);
  return 0;
}

/* GtkRecentManager and GSettings must not touch the real home. */
static void use_private_home(void)
{
  char *home = vp_test_tmp_path("home");
  g_autofree char *data = g_build_filename(home, ".local", "share", NULL);
  g_autofree char *config = g_build_filename(home, ".config", NULL);
  g_autofree char *cache = g_build_filename(home, ".cache", NULL);
  g_mkdir_with_parents(data, 0700);
  g_setenv("HOME", home, TRUE);
  g_setenv("XDG_DATA_HOME", data, TRUE);
  g_setenv("XDG_CONFIG_HOME", config, TRUE);
  g_setenv("XDG_CACHE_HOME", cache, TRUE);
  free(home);
}

int main(void)
{
  use_private_home();
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
  return cmocka_run_group_tests_name("gui", tests, start_application, stop_application);
}
