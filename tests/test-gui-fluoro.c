/* Simulated fluoroscopy and the view panes, in-process under Xvfb: AP and
 * lateral radiographs of a teaching case computed off the main loop,
 * previews while the C-arm turns and the full image after, the newest of
 * rapid requests winning, a mesh-only case shown once its synthetic CT is
 * made, the grid's layouts and the widget each pane type makes, and
 * screenshots of the grid under the artifacts folder. */
#include "vp-test-gui.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vp-fluoro-view.h"
#include "vp-screenshot.h"
#include "vp-slice-widget.h"
#include "vp-test-image.h"
#include "vp-test-util.h"
#include "vp-view-grid.h"
#include "vp-view-pane.h"

#define CASE_STEM "6-l4-normal"

static char *case_plan_path;
static VpCase *ct_case;   /* surface, CT and mask */
static VpCase *mesh_case; /* the same surface alone */
static VpViewContext *context;
static GtkWindow *window;

/* The view the wait conditions below look at. */
static VpFluoroView *watched;

/* ---- Fixtures ---- */

static VpCase *load_plan_case(const char *path)
{
  VpPlanLoadReport report = {0};
  VpError err;
  VpPlan *plan = vp_plan_load(path, &report, &err);
  if (!plan)
    fail_msg("cannot load %s: %s", path, err.message);
  VpCase *c = vp_case_from_plan(plan, NULL, &err);
  if (!c)
    fail_msg("cannot open the case of %s: %s", path, err.message);
  vp_plan_load_report_clear(&report);
  vp_plan_free(plan);
  vp_mesh_compute_normals(c->surface); /* the 3D view draws with them */
  return c;
}

static VpCase *load_mesh_case(void)
{
  g_autofree char *stem = g_strndup(case_plan_path, strlen(case_plan_path) - strlen(".vplan"));
  g_autofree char *stl = g_strconcat(stem, ".stl", NULL);
  VpError err;
  VpCase *c = vp_case_from_mesh_file(stl, NULL, &err);
  if (!c)
    fail_msg("cannot open %s: %s", stl, err.message);
  vp_mesh_compute_normals(c->surface);
  return c;
}

static void show_case(const VpCase *c)
{
  vp_view_context_set_case(context, c, c ? vp_mesh_bounds(c->surface) : vp_box3_empty());
}

static int group_setup(void **state)
{
  if (vp_test_gui_start(state) != 0)
    return -1;
  ct_case = load_plan_case(case_plan_path);
  mesh_case = load_mesh_case();
  context = vp_view_context_new();
  window = GTK_WINDOW(gtk_window_new());
  gtk_window_set_application(window, GTK_APPLICATION(vp_test_app));
  gtk_window_set_default_size(window, 1200, 800);
  gtk_window_set_title(window, "Fluoroscopy test");
  gtk_window_present(window);
  return 0;
}

static int group_teardown(void **state)
{
  gtk_window_destroy(window);
  while (g_main_context_iteration(NULL, FALSE))
    ;
  show_case(NULL);
  g_clear_object(&context);
  vp_case_free(ct_case);
  vp_case_free(mesh_case);
  return vp_test_gui_stop(state);
}

static gboolean window_child_has_size(void)
{
  GtkWidget *child = gtk_window_get_child(window);
  return child && gtk_widget_get_mapped(child) && gtk_widget_get_width(child) > 100;
}

static guint frames;

static gboolean count_frame(GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  frames++;
  return G_SOURCE_CONTINUE;
}

static gboolean two_frames_drawn(void)
{
  return frames >= 2;
}

static void wait_two_frames(void)
{
  frames = 0;
  guint id = gtk_widget_add_tick_callback(GTK_WIDGET(window), count_frame, NULL, NULL);
  gtk_widget_queue_draw(GTK_WIDGET(window));
  assert_true(vp_test_wait_until(two_frames_drawn));
  gtk_widget_remove_tick_callback(GTK_WIDGET(window), id);
}

/* Puts child in the test window and waits until it is laid out. */
static void show_in_window(GtkWidget *child)
{
  gtk_window_set_child(window, child);
  assert_true(vp_test_wait_until(window_child_has_size));
  wait_two_frames();
}

static gboolean watched_is_ready(void)
{
  return vp_fluoro_view_is_ready(watched);
}

static gboolean watched_shows_preview(void)
{
  return vp_fluoro_view_is_preview(watched);
}

static void wait_ready(VpFluoroView *view)
{
  watched = view;
  if (!vp_test_wait_until(watched_is_ready))
    fail_msg("no radiograph arrived; the view says \"%s\"",
             vp_fluoro_view_get_message(view) ? vp_fluoro_view_get_message(view) : "");
}

/* A radiograph, not a flat picture: a fair share of bright pixels (bone)
 * and of dark ones, and many grey levels. */
static void assert_radiograph(VpFluoroView *view)
{
  cairo_surface_t *image = vp_fluoro_view_get_image(view);
  assert_non_null(image);
  double not_black = vp_test_fraction_differing(image, 0xff000000u, 40);
  double not_white = vp_test_fraction_differing(image, 0xffffffffu, 40);
  if (!(not_black > 0.05 && not_white > 0.3))
    fail_msg("the radiograph looks blank: %.3f of it not black, %.3f not white", not_black,
             not_white);
  assert_true(vp_test_distinct_colours(image, 64) >= 32);
}

static gboolean vec_equal(VpVec3 a, VpVec3 b)
{
  return vp_vec3_distance(a, b) < 1e-9;
}

static gboolean same_view(const VpDrrView *a, const VpDrrView *b)
{
  return a && b && vec_equal(a->u, b->u) && vec_equal(a->v, b->v) &&
         vec_equal(a->center_mm, b->center_mm) && fabs(a->mm_per_px - b->mm_per_px) < 1e-12 &&
         a->width_px == b->width_px && a->height_px == b->height_px;
}

static GtkWidget *two_fluoro_views(VpFluoroView **ap, VpFluoroView **lateral)
{
  GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 4);
  gtk_box_set_homogeneous(GTK_BOX(box), TRUE);
  GtkWidget *a = vp_fluoro_view_new(context, VP_DRR_AP);
  GtkWidget *l = vp_fluoro_view_new(context, VP_DRR_LATERAL);
  gtk_box_append(GTK_BOX(box), a);
  gtk_box_append(GTK_BOX(box), l);
  *ap = VP_FLUORO_VIEW(a);
  *lateral = VP_FLUORO_VIEW(l);
  return box;
}

static void save_screenshot(GtkWidget *area, const char *name)
{
  g_autofree char *path = vp_test_artifact_path(name);
  g_autoptr(GError) error = NULL;
  if (!vp_screenshot_save(GTK_WIDGET(window), area, path, &error))
    fail_msg("cannot save %s: %s", path, error->message);
  print_message("screenshot: %s\n", path);
}

/* ---- Fluoroscopy ---- */

static void ap_and_lateral_compute_off_the_main_loop(void **state)
{
  VpFluoroView *ap, *lateral;
  show_case(NULL);
  show_in_window(two_fluoro_views(&ap, &lateral));
  assert_null(vp_fluoro_view_get_image(ap));

  gint64 start = g_get_monotonic_time();
  show_case(ct_case);
  double call_ms = (g_get_monotonic_time() - start) / 1000.0;
  /* Nothing is drawn until the main loop runs again. */
  assert_false(vp_fluoro_view_is_ready(ap));
  assert_false(vp_fluoro_view_is_ready(lateral));
  wait_ready(ap);
  wait_ready(lateral);
  assert_radiograph(ap);
  assert_radiograph(lateral);
  double compute_ms = vp_fluoro_view_get_last_compute_ms(ap, FALSE);
  print_message("set_case returned after %.1f ms; the AP radiograph took %.1f ms\n", call_ms,
                compute_ms);
  assert_true(compute_ms > 0.0);
  assert_true(call_ms < 0.5 * compute_ms);
  assert_true(vp_vec3_distance(vp_fluoro_view_get_view(ap)->u,
                               vp_vec3_neg(vp_view_context_get_frame(context)->right)) < 1e-9);
  assert_true(vp_vec3_distance(vp_fluoro_view_get_view(lateral)->u,
                               vp_vec3_neg(vp_view_context_get_frame(context)->anterior)) < 1e-9);

  /* Changing the projection returns at once; the image follows. */
  start = g_get_monotonic_time();
  vp_fluoro_view_set_projection(ap, VP_DRR_LATERAL);
  call_ms = (g_get_monotonic_time() - start) / 1000.0;
  assert_false(vp_fluoro_view_is_ready(ap));
  wait_ready(ap);
  compute_ms = vp_fluoro_view_get_last_compute_ms(ap, FALSE);
  print_message("set_projection returned after %.2f ms; the radiograph took %.1f ms\n", call_ms,
                compute_ms);
  assert_true(call_ms < 0.5 * compute_ms);
  assert_true(same_view(vp_fluoro_view_get_image_view(ap), vp_fluoro_view_get_view(lateral)));

  /* Full resolution: the widget's pixels (capped at 1024 per side). */
  const VpDrrView *view = vp_fluoro_view_get_view(ap);
  int width = gtk_widget_get_width(GTK_WIDGET(ap)) * gtk_widget_get_scale_factor(GTK_WIDGET(ap));
  assert_int_equal(view->width_px, MIN(width, 1024));
  cairo_surface_t *image = vp_fluoro_view_get_image(ap);
  assert_int_equal(cairo_image_surface_get_width(image), view->width_px);
  assert_int_equal(cairo_image_surface_get_height(image), view->height_px);
}

static void dragging_shows_previews_and_the_full_image_after(void **state)
{
  VpFluoroView *ap, *lateral;
  show_case(ct_case);
  show_in_window(two_fluoro_views(&ap, &lateral));
  wait_ready(ap);
  const VpDrrView full = *vp_fluoro_view_get_view(ap);

  vp_fluoro_view_drag_begin(ap);
  vp_fluoro_view_drag_update(ap, 40.0, 0.0);
  assert_float_equal(vp_fluoro_view_get_rotation_deg(ap), 12.0, 1e-9);
  assert_float_equal(vp_fluoro_view_get_tilt_deg(ap), 0.0, 1e-9);
  watched = ap;
  assert_true(vp_test_wait_until(watched_shows_preview));
  const VpDrrView *shown = vp_fluoro_view_get_image_view(ap);
  assert_int_equal(shown->width_px, (full.width_px + VP_FLUORO_PREVIEW_FACTOR - 1) /
                                        VP_FLUORO_PREVIEW_FACTOR);
  assert_int_equal(cairo_image_surface_get_width(vp_fluoro_view_get_image(ap)), shown->width_px);
  /* turned 12 degrees about the superior axis */
  assert_float_equal(vp_vec3_dot(shown->u, full.u), cos(12.0 * VP_PI / 180.0), 1e-9);
  assert_false(vp_fluoro_view_is_ready(ap));

  vp_fluoro_view_drag_update(ap, 40.0, -20.0);
  vp_fluoro_view_drag_end(ap);
  wait_ready(ap);
  assert_false(vp_fluoro_view_is_preview(ap));
  assert_true(same_view(vp_fluoro_view_get_image_view(ap), vp_fluoro_view_get_view(ap)));
  assert_int_equal(vp_fluoro_view_get_image_view(ap)->width_px, full.width_px);
  assert_float_equal(vp_fluoro_view_get_tilt_deg(ap), -6.0, 1e-9);
  assert_radiograph(ap);
  assert_true(vp_fluoro_view_get_last_compute_ms(ap, TRUE) > 0.0);
  vp_fluoro_view_drag_begin(lateral);
  vp_fluoro_view_drag_update(lateral, -30.0, 0.0);
  vp_fluoro_view_drag_end(lateral);
  wait_ready(lateral);
  wait_two_frames();
  save_screenshot(gtk_window_get_child(window), "gui-fluoro-turned.png");

  /* R resets to the standard view. */
  vp_fluoro_view_reset(ap);
  wait_ready(ap);
  assert_true(same_view(vp_fluoro_view_get_image_view(ap), &full));
}

static void rapid_requests_end_with_the_newest_view(void **state)
{
  VpFluoroView *ap, *lateral;
  show_case(ct_case);
  show_in_window(two_fluoro_views(&ap, &lateral));
  wait_ready(ap);

  vp_fluoro_view_set_projection(ap, VP_DRR_LATERAL);
  vp_fluoro_view_zoom_at(ap, 1.5, 10.0, 20.0);
  vp_fluoro_view_drag_begin(ap);
  for (int i = 1; i <= 20; i++)
    vp_fluoro_view_drag_update(ap, 3.0 * i, -1.0 * i);
  vp_fluoro_view_drag_end(ap);
  vp_fluoro_view_pan(ap, 15.0, -5.0, FALSE);
  vp_fluoro_view_set_projection(ap, VP_DRR_AP);
  vp_fluoro_view_zoom_at(ap, 2.0, 100.0, 100.0);
  VpDrrView newest = *vp_fluoro_view_get_view(ap);
  wait_ready(ap);
  /* a little longer: nothing older may arrive after it */
  vp_test_wait_ms(300);
  assert_true(vp_fluoro_view_is_ready(ap));
  assert_true(same_view(vp_fluoro_view_get_image_view(ap), &newest));
  assert_true(same_view(vp_fluoro_view_get_view(ap), &newest));
  assert_radiograph(ap);
}

static gboolean watched_has_message(void)
{
  return vp_fluoro_view_get_message(watched) != NULL || vp_fluoro_view_is_ready(watched);
}

static void mesh_only_case_shows_a_radiograph_once_the_synthetic_ct_is_ready(void **state)
{
  VpFluoroView *ap, *lateral;
  show_case(NULL);
  show_in_window(two_fluoro_views(&ap, &lateral));
  show_case(mesh_case);
  watched = ap;
  assert_true(vp_test_wait_until(watched_has_message));
  if (!vp_fluoro_view_is_ready(ap))
    print_message("while the synthetic CT is made: \"%s\"\n", vp_fluoro_view_get_message(ap));
  wait_ready(ap);
  wait_ready(lateral);
  assert_null(vp_fluoro_view_get_message(ap));
  assert_non_null(vp_view_context_get_fluoro_volume(context));
  assert_radiograph(ap);
  assert_radiograph(lateral);
  show_case(ct_case);
}

/* ---- Panes and grid ---- */

static void every_pane_type_makes_its_widget(void **state)
{
  show_case(ct_case);
  GtkWidget *pane_widget = vp_view_pane_new(context, VP_VIEW_TYPE_3D);
  VpViewPane *pane = VP_VIEW_PANE(pane_widget);
  show_in_window(pane_widget);
  assert_true(gtk_widget_has_css_class(pane_widget, "vp-view-pane"));
  static const struct {
    VpViewType type;
    const char *id, *name;
  } expected[] = {
      {VP_VIEW_TYPE_3D, "3d", "3D"},
      {VP_VIEW_TYPE_AXIAL, "axial", "Axial"},
      {VP_VIEW_TYPE_SAGITTAL, "sagittal", "Sagittal"},
      {VP_VIEW_TYPE_CORONAL, "coronal", "Coronal"},
      {VP_VIEW_TYPE_OBLIQUE, "oblique", "Oblique"},
      {VP_VIEW_TYPE_FLUORO_AP, "fluoro-ap", "Fluoroscopy AP"},
      {VP_VIEW_TYPE_FLUORO_LATERAL, "fluoro-lateral", "Fluoroscopy Lateral"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(expected); i++) {
    VpViewType type = expected[i].type, parsed;
    assert_string_equal(vp_view_type_to_string(type), expected[i].id);
    assert_true(vp_view_type_from_string(expected[i].id, &parsed));
    assert_int_equal(parsed, type);
    assert_string_equal(vp_view_type_display_name(type), expected[i].name);
    vp_view_pane_set_view_type(pane, type);
    assert_int_equal(vp_view_pane_get_view_type(pane), type);
    GtkWidget *view = vp_view_pane_get_view(pane);
    assert_ptr_equal(gtk_widget_get_parent(view), pane_widget);
    switch (type) {
    case VP_VIEW_TYPE_3D:
      assert_true(VP_IS_VIEW3D(view));
      assert_ptr_equal(vp_view3d_get_mesh(VP_VIEW3D(view)), ct_case->surface);
      break;
    case VP_VIEW_TYPE_AXIAL:
    case VP_VIEW_TYPE_SAGITTAL:
    case VP_VIEW_TYPE_CORONAL:
    case VP_VIEW_TYPE_OBLIQUE:
      assert_true(VP_IS_SLICE_WIDGET(view));
      assert_int_equal(vp_slice_widget_get_orientation(VP_SLICE_WIDGET(view)),
                       (VpSliceOrientation)(type - VP_VIEW_TYPE_AXIAL));
      break;
    default:
      assert_true(VP_IS_FLUORO_VIEW(view));
      assert_int_equal(vp_fluoro_view_get_projection(VP_FLUORO_VIEW(view)),
                       type == VP_VIEW_TYPE_FLUORO_AP ? VP_DRR_AP : VP_DRR_LATERAL);
      break;
    }
    wait_two_frames();
  }
  assert_false(vp_view_type_from_string("fluoro", NULL));
  assert_null(vp_view_type_to_string(VP_VIEW_TYPE_COUNT));

  /* The property and the drop-down say the same. */
  g_object_set(pane, "view-type", (int)VP_VIEW_TYPE_CORONAL, NULL);
  GtkDropDown *dropdown = GTK_DROP_DOWN(vp_test_find_widget(pane_widget, GTK_TYPE_DROP_DOWN, NULL));
  assert_non_null(dropdown);
  assert_int_equal(gtk_drop_down_get_selected(dropdown), VP_VIEW_TYPE_CORONAL);
  gtk_drop_down_set_selected(dropdown, VP_VIEW_TYPE_FLUORO_LATERAL);
  assert_int_equal(vp_view_pane_get_view_type(pane), VP_VIEW_TYPE_FLUORO_LATERAL);
  assert_true(VP_IS_FLUORO_VIEW(vp_view_pane_get_view(pane)));
}

static gboolean pane_is_shown(VpViewGrid *grid, guint i)
{
  return gtk_widget_get_mapped(GTK_WIDGET(vp_view_grid_get_pane(grid, i)));
}

static VpViewGrid *shown_grid;

static gboolean grid_fluoro_is_ready(void)
{
  GtkWidget *view = vp_view_pane_get_view(vp_view_grid_get_pane(shown_grid, 3));
  return VP_IS_FLUORO_VIEW(view) && vp_fluoro_view_is_ready(VP_FLUORO_VIEW(view));
}


static void grid_switches_layouts_and_panes_keep_their_types(void **state)
{
  show_case(ct_case);
  GtkWidget *grid_widget = vp_view_grid_new(context);
  VpViewGrid *grid = VP_VIEW_GRID(grid_widget);
  show_in_window(grid_widget);
  shown_grid = grid;

  static const VpViewType defaults[] = {VP_VIEW_TYPE_3D, VP_VIEW_TYPE_AXIAL,
                                        VP_VIEW_TYPE_SAGITTAL, VP_VIEW_TYPE_FLUORO_AP};
  for (guint i = 0; i < VP_VIEW_GRID_PANES; i++) {
    assert_int_equal(vp_view_pane_get_view_type(vp_view_grid_get_pane(grid, i)), defaults[i]);
    assert_true(pane_is_shown(grid, i));
  }
  assert_int_equal(vp_view_grid_get_layout(grid), VP_VIEW_LAYOUT_GRID);
  assert_ptr_equal(vp_view_grid_find_view3d(grid),
                   vp_view_pane_get_view(vp_view_grid_get_pane(grid, 0)));
  assert_true(vp_test_wait_until(grid_fluoro_is_ready));
  wait_two_frames();
  save_screenshot(grid_widget, "gui-fluoro-grid.png");

  /* The four panes share the area about equally. */
  int grid_w = gtk_widget_get_width(grid_widget), grid_h = gtk_widget_get_height(grid_widget);
  for (guint i = 0; i < VP_VIEW_GRID_PANES; i++) {
    GtkWidget *pane = GTK_WIDGET(vp_view_grid_get_pane(grid, i));
    assert_true(abs(2 * gtk_widget_get_width(pane) - grid_w) < 16);
    assert_true(abs(2 * gtk_widget_get_height(pane) - grid_h) < 16);
  }

  vp_view_pane_set_view_type(vp_view_grid_get_pane(grid, 2), VP_VIEW_TYPE_CORONAL);
  vp_view_grid_set_layout(grid, VP_VIEW_LAYOUT_SINGLE);
  wait_two_frames();
  assert_true(pane_is_shown(grid, 0));
  for (guint i = 1; i < VP_VIEW_GRID_PANES; i++)
    assert_false(pane_is_shown(grid, i));
  GtkWidget *first = GTK_WIDGET(vp_view_grid_get_pane(grid, 0));
  assert_true(gtk_widget_get_width(first) >= grid_w - 4);
  assert_true(gtk_widget_get_height(first) >= grid_h - 4);
  save_screenshot(grid_widget, "gui-fluoro-single.png");

  int layout = -1;
  g_object_get(grid, "layout", &layout, NULL);
  assert_int_equal(layout, VP_VIEW_LAYOUT_SINGLE);
  g_object_set(grid, "layout", (int)VP_VIEW_LAYOUT_GRID, NULL);
  wait_two_frames();
  for (guint i = 0; i < VP_VIEW_GRID_PANES; i++)
    assert_true(pane_is_shown(grid, i));
  assert_int_equal(vp_view_pane_get_view_type(vp_view_grid_get_pane(grid, 2)),
                   VP_VIEW_TYPE_CORONAL);
  assert_int_equal(vp_view_pane_get_view_type(vp_view_grid_get_pane(grid, 3)),
                   VP_VIEW_TYPE_FLUORO_AP);

  /* With the 3D pane switched away the grid has none. */
  vp_view_pane_set_view_type(vp_view_grid_get_pane(grid, 0), VP_VIEW_TYPE_FLUORO_LATERAL);
  assert_null(vp_view_grid_find_view3d(grid));
  vp_view_pane_set_view_type(vp_view_grid_get_pane(grid, 1), VP_VIEW_TYPE_3D);
  assert_ptr_equal(vp_view_grid_find_view3d(grid),
                   vp_view_pane_get_view(vp_view_grid_get_pane(grid, 1)));

  VpViewLayout parsed;
  assert_true(vp_view_layout_from_string("single", &parsed));
  assert_int_equal(parsed, VP_VIEW_LAYOUT_SINGLE);
  assert_string_equal(vp_view_layout_to_string(VP_VIEW_LAYOUT_GRID), "grid");
  assert_false(vp_view_layout_from_string("quad", &parsed));
}

/* A view taken out of its window while it computes: no crash, nothing late. */
static void removing_a_view_while_it_computes_is_safe(void **state)
{
  VpFluoroView *ap, *lateral;
  show_case(ct_case);
  show_in_window(two_fluoro_views(&ap, &lateral));
  wait_ready(ap);
  vp_fluoro_view_set_projection(ap, VP_DRR_LATERAL);
  vp_fluoro_view_set_projection(lateral, VP_DRR_AP);
  gtk_window_set_child(window, NULL); /* disposes both views */
  vp_test_wait_ms(300);
  show_case(mesh_case); /* and the case changes under them */
  show_case(ct_case);
}

/* The case changing while a radiograph of its synthetic CT is computed: the
 * view lets go of the volume before the context frees it. */
static void changing_the_case_while_it_computes_is_safe(void **state)
{
  VpFluoroView *ap, *lateral;
  show_case(NULL);
  show_in_window(two_fluoro_views(&ap, &lateral));
  show_case(mesh_case);
  wait_ready(ap);
  wait_ready(lateral);
  for (int i = 0; i < 3; i++) {
    vp_fluoro_view_set_projection(ap, i % 2 ? VP_DRR_AP : VP_DRR_LATERAL);
    vp_fluoro_view_set_projection(lateral, i % 2 ? VP_DRR_LATERAL : VP_DRR_AP);
    vp_test_wait_ms(20);
    show_case(i % 2 ? mesh_case : ct_case);
  }
  wait_ready(ap);
  wait_ready(lateral);
  assert_radiograph(ap);
  assert_ptr_equal(vp_view_context_get_case(context), ct_case);
}

int main(void)
{
  const char *cases_dir = g_getenv("VP_CASES_DIR");
  if (!cases_dir)
    return vp_test_skip("gui-fluoro", "VP_CASES_DIR is not set");
  case_plan_path = g_build_filename(cases_dir, CASE_STEM ".vplan", NULL);
  if (!g_file_test(case_plan_path, G_FILE_TEST_EXISTS))
    return vp_test_skip("gui-fluoro", "the teaching cases are not built (ninja resources/cases)");
  vp_test_gui_use_private_home();

  const struct CMUnitTest tests[] = {
      cmocka_unit_test(ap_and_lateral_compute_off_the_main_loop),
      cmocka_unit_test(dragging_shows_previews_and_the_full_image_after),
      cmocka_unit_test(rapid_requests_end_with_the_newest_view),
      cmocka_unit_test(mesh_only_case_shows_a_radiograph_once_the_synthetic_ct_is_ready),
      cmocka_unit_test(every_pane_type_makes_its_widget),
      cmocka_unit_test(grid_switches_layouts_and_panes_keep_their_types),
      cmocka_unit_test(removing_a_view_while_it_computes_is_safe),
      cmocka_unit_test(changing_the_case_while_it_computes_is_safe),
  };
  int failed = cmocka_run_group_tests(tests, group_setup, group_teardown);
  g_free(case_plan_path);
  return failed;
}
