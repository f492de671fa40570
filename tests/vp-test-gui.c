/* GUI test helpers: the application, main-loop waits, widget lookup, screenshots. */
#include "vp-test-gui.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vp-render3d.h"
#include "vp-screenshot.h"
#include "vp-test-image.h"
#include "vp-test-util.h"

#define WAIT_TIMEOUT_S 60

VpApplication *vp_test_app;
VpWindow *vp_test_window;

/* ---- Waiting on the main loop, never forever ---- */

static gboolean wake_up(gpointer data)
{
  return G_SOURCE_CONTINUE; /* only there so iterations never block for long */
}

gboolean vp_test_wait_until(VpTestCondition condition)
{
  gint64 deadline = g_get_monotonic_time() + WAIT_TIMEOUT_S * G_USEC_PER_SEC;
  guint timer = g_timeout_add(20, wake_up, NULL);
  gboolean met;
  while (!(met = condition()) && g_get_monotonic_time() < deadline)
    g_main_context_iteration(NULL, TRUE);
  g_source_remove(timer);
  return met;
}

static gboolean time_is_up;

static gboolean set_time_is_up(gpointer data)
{
  time_is_up = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean is_time_up(void)
{
  return time_is_up;
}

void vp_test_wait_ms(guint ms)
{
  time_is_up = FALSE;
  g_timeout_add(ms, set_time_is_up, NULL);
  assert_true(vp_test_wait_until(is_time_up));
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
  return vp_window_is_settled(vp_test_window);
}

void vp_test_wait_for_settled_window(void)
{
  assert_true(vp_test_wait_until(window_is_settled));
  frames_seen = 0;
  guint id = gtk_widget_add_tick_callback(GTK_WIDGET(vp_test_window), count_frame, NULL, NULL);
  assert_true(vp_test_wait_until(two_frames_seen));
  gtk_widget_remove_tick_callback(GTK_WIDGET(vp_test_window), id);
}

gboolean vp_test_window_is_not_loading(void)
{
  return !vp_window_is_loading(vp_test_window) || vp_window_get_open_dialog(vp_test_window);
}

void vp_test_open(const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path(path);
  vp_window_open(vp_test_window, file);
  assert_true(vp_window_is_loading(vp_test_window));
}

void vp_test_open_and_wait(const char *path)
{
  vp_test_open(path);
  assert_true(vp_test_wait_until(vp_test_window_is_not_loading));
}

/* ---- Dialogs and widgets ---- */

AdwMessageDialog *vp_test_find_message_dialog(void)
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

gboolean vp_test_message_dialog_shown(void)
{
  return vp_test_find_message_dialog() != NULL;
}

/* Destroying one dialog may destroy others (its transients): hold them all first. */
void vp_test_close_dialogs(void)
{
  GList *toplevels = gtk_window_list_toplevels();
  for (GList *l = toplevels; l; l = l->next)
    g_object_ref(l->data);
  for (GList *l = toplevels; l; l = l->next) {
    if (!VP_IS_WINDOW(l->data) && gtk_widget_get_visible(l->data))
      gtk_window_destroy(l->data);
  }
  g_list_free_full(toplevels, g_object_unref);
  while (g_main_context_iteration(NULL, FALSE))
    ;
}

static const char *widget_text(GtkWidget *widget)
{
  if (GTK_IS_LABEL(widget))
    return gtk_label_get_label(GTK_LABEL(widget));
  if (GTK_IS_BUTTON(widget))
    return gtk_button_get_label(GTK_BUTTON(widget));
  if (ADW_IS_PREFERENCES_ROW(widget))
    return adw_preferences_row_get_title(ADW_PREFERENCES_ROW(widget));
  return NULL;
}

GtkWidget *vp_test_find_widget(GtkWidget *root, GType type, const char *text)
{
  if (g_type_is_a(G_OBJECT_TYPE(root), type)) {
    const char *own = widget_text(root);
    if (!text || (own && strstr(own, text)))
      return root;
  }
  for (GtkWidget *child = gtk_widget_get_first_child(root); child;
       child = gtk_widget_get_next_sibling(child)) {
    GtkWidget *found = vp_test_find_widget(child, type, text);
    if (found)
      return found;
  }
  return NULL;
}

void vp_test_assert_status_contains(const char *expected)
{
  g_autofree char *status = vp_window_dup_status_text(vp_test_window);
  if (!strstr(status, expected))
    fail_msg("status line \"%s\" lacks \"%s\"", status, expected);
}

/* ---- Test meshes ---- */

VpMesh *vp_test_make_uv_sphere(double radius, uint32_t stacks, uint32_t slices)
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

/* ---- Screenshots ---- */

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
  VpView3d *view = vp_window_get_view(vp_test_window);
  graphene_rect_t r;
  GtkWidget *content = adw_application_window_get_content(ADW_APPLICATION_WINDOW(vp_test_window));
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

void vp_test_screenshot_and_check(const char *name)
{
  char *path = vp_test_artifact_path(name);
  g_autoptr(GError) error = NULL;
  if (!vp_window_save_screenshot(vp_test_window, path, &error))
    fail_msg("screenshot %s: %s", path, error->message);
  cairo_surface_t *shot = cairo_image_surface_create_from_png(path);
  assert_int_equal(cairo_surface_status(shot), CAIRO_STATUS_SUCCESS);
  GtkWidget *content = adw_application_window_get_content(ADW_APPLICATION_WINDOW(vp_test_window));
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

static gboolean dialog_painted;

static gboolean note_dialog_frame(GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  dialog_painted = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean dialog_was_painted(void)
{
  return dialog_painted;
}

void vp_test_screenshot_dialog(GtkWindow *dialog, const char *name)
{
  for (int i = 0; i < 2; i++) { /* the first frame may come before the final layout */
    dialog_painted = FALSE;
    gtk_widget_add_tick_callback(GTK_WIDGET(dialog), note_dialog_frame, NULL, NULL);
    assert_true(vp_test_wait_until(dialog_was_painted));
  }
  char *path = vp_test_artifact_path(name);
  g_autoptr(GError) error = NULL;
  GtkWidget *content = gtk_window_get_child(dialog);
  if (ADW_IS_WINDOW(dialog))
    content = adw_window_get_content(ADW_WINDOW(dialog));
  if (!vp_screenshot_save(GTK_WIDGET(dialog), content, path, &error))
    fail_msg("screenshot %s: %s", path, error->message);
  cairo_surface_t *shot = cairo_image_surface_create_from_png(path);
  assert_int_equal(cairo_surface_status(shot), CAIRO_STATUS_SUCCESS);
  double differing = vp_test_fraction_differing(shot, vp_test_pixel(shot, 0, 0), 8);
  print_message("%s: %.1f %% differ from the top-left pixel\n", path, 100 * differing);
  assert_true(differing > 0.02); /* text and rows, not a blank window */
  cairo_surface_destroy(shot);
  free(path);
}

/* ---- The application ---- */

static VpWindow *first_vp_window(void)
{
  for (GList *l = gtk_application_get_windows(GTK_APPLICATION(vp_test_app)); l; l = l->next) {
    if (VP_IS_WINDOW(l->data))
      return l->data;
  }
  return NULL;
}

static gboolean window_is_mapped(void)
{
  vp_test_window = first_vp_window();
  return vp_test_window && gtk_widget_get_mapped(GTK_WIDGET(vp_test_window));
}

int vp_test_gui_start(void **state)
{
  g_autoptr(GError) error = NULL;
  /* As main() and g_application_run() do: GTK's file chooser records chosen
   * files in the recent list under these names. */
  g_set_prgname("vertebra-planner");
  g_set_application_name("Vertebra Planner");
  vp_test_app = vp_application_new(G_APPLICATION_NON_UNIQUE);
  if (!g_application_register(G_APPLICATION(vp_test_app), NULL, &error)) {
    print_error("cannot register the application: %s\n", error->message);
    return -1;
  }
  g_application_activate(G_APPLICATION(vp_test_app));
  if (!vp_test_wait_until(window_is_mapped)) {
    print_error("the window never appeared\n");
    return -1;
  }
  return 0;
}

int vp_test_gui_stop(void **state)
{
  vp_test_close_dialogs();
  GList *windows = g_list_copy(gtk_application_get_windows(GTK_APPLICATION(vp_test_app)));
  for (GList *l = windows; l; l = l->next)
    gtk_window_destroy(l->data);
  g_list_free(windows);
  while (g_main_context_iteration(NULL, FALSE))
    ;
  g_clear_object(&vp_test_app);
  return 0;
}

void vp_test_gui_use_private_home(void)
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

cairo_surface_t *vp_test_capture_widget(GtkWidget *widget, const char *name)
{
  char *path = vp_test_artifact_path(name);
  g_autoptr(GError) error = NULL;
  if (!vp_screenshot_save(GTK_WIDGET(vp_test_window), widget, path, &error))
    fail_msg("screenshot %s: %s", path, error->message);
  cairo_surface_t *shot = cairo_image_surface_create_from_png(path);
  assert_int_equal(cairo_surface_status(shot), CAIRO_STATUS_SUCCESS);
  /* Large enough for a share of changed pixels to mean something. */
  assert_true(cairo_image_surface_get_width(shot) > 50 &&
              cairo_image_surface_get_height(shot) > 50);
  free(path);
  return shot;
}
