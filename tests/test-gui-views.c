/* The shared view context and the slice view widget, in-process under Xvfb:
 * three linked views of a teaching case (CT and surface) in a window of
 * their own, scrolling, the linked crosshair, windowing, measuring, the
 * oblique plane, a surface-only case, presentation mode and the synthetic CT
 * made for fluoroscopy in a worker thread. */
#include "vp-test-gui.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vp-slice-widget.h"
#include "vp-test-image.h"
#include "vp-test-util.h"
#include "vp-view-context.h"

/* cmocka's assert_float_equal compares in single precision. */
#define assert_near(actual, expected, tolerance)                                                \
  do {                                                                                        \
    double actual_ = (actual), expected_ = (expected);                                       \
    if (!(fabs(actual_ - expected_) <= (tolerance)))                                          \
      fail_msg("%s is %.12g, expected %.12g", #actual, actual_, expected_);                 \
  } while (0)

#define CASE_STEM "6-l4-normal"
#define VIEW_SIDE_PX 360

static VpViewContext *context;
static VpCase *ct_case;
static GtkWidget *window;
static GtkWidget *views[4]; /* axial, sagittal, coronal, oblique */

/* ---- Fixtures ---- */

static char *case_file(const char *suffix)
{
  const char *dir = g_getenv("VP_CASES_DIR");
  g_autofree char *name = g_strconcat(CASE_STEM, suffix, NULL);
  char *path = g_build_filename(dir ? dir : ".", name, NULL);
  if (!g_file_test(path, G_FILE_TEST_EXISTS))
    fail_msg("the teaching case %s is not built (VP_CASES_DIR=%s)", path, dir ? dir : "unset");
  return path;
}

static VpCase *load_plan_case(void)
{
  g_autofree char *path = case_file(".vplan");
  VpError err;
  VpPlan *plan = vp_plan_load(path, NULL, &err);
  if (!plan)
    fail_msg("cannot load %s: %s", path, err.message);
  VpCase *c = vp_case_from_plan(plan, NULL, &err);
  vp_plan_free(plan);
  if (!c)
    fail_msg("cannot open the case of %s: %s", path, err.message);
  return c;
}

static VpCase *load_mesh_case(void)
{
  g_autofree char *path = case_file(".stl");
  VpError err;
  VpCase *c = vp_case_from_mesh_file(path, NULL, &err);
  if (!c)
    fail_msg("cannot open %s: %s", path, err.message);
  return c;
}

static void show_case(const VpCase *c)
{
  vp_view_context_set_case(context, c, c ? vp_mesh_bounds(c->surface) : vp_box3_empty());
}

static void on_created(VpViewContext *ctx, gpointer m, gpointer data);

static guint frames_seen;

static gboolean count_frame(GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  (void)widget;
  (void)clock;
  (void)data;
  frames_seen++;
  return G_SOURCE_CONTINUE;
}

static gboolean two_frames_seen(void)
{
  return frames_seen >= 2;
}

/* Layout and painting of the current state done. */
static void wait_for_frames(void)
{
  frames_seen = 0;
  guint id = gtk_widget_add_tick_callback(window, count_frame, NULL, NULL);
  assert_true(vp_test_wait_until(two_frames_seen));
  gtk_widget_remove_tick_callback(window, id);
}

static gboolean window_is_mapped(void)
{
  return gtk_widget_get_mapped(window) && gtk_widget_get_width(views[0]) > 0;
}

static int group_setup(void **state)
{
  (void)state;
  gtk_init();
  context = vp_view_context_new();
  g_signal_connect(context, "measurement-created", G_CALLBACK(on_created), NULL);
  ct_case = load_plan_case();
  show_case(ct_case);
  window = gtk_window_new();
  gtk_window_set_title(GTK_WINDOW(window), "slice views");
  gtk_window_set_default_size(GTK_WINDOW(window), 2 * VIEW_SIDE_PX, 2 * VIEW_SIDE_PX);
  GtkWidget *grid = gtk_grid_new();
  gtk_grid_set_row_homogeneous(GTK_GRID(grid), TRUE);
  gtk_grid_set_column_homogeneous(GTK_GRID(grid), TRUE);
  VpSliceOrientation orientations[4] = {VP_SLICE_AXIAL, VP_SLICE_SAGITTAL, VP_SLICE_CORONAL,
                                        VP_SLICE_OBLIQUE};
  for (int i = 0; i < 4; i++) {
    views[i] = vp_slice_widget_new(context, orientations[i]);
    gtk_grid_attach(GTK_GRID(grid), views[i], i % 2, i / 2, 1, 1);
  }
  gtk_window_set_child(GTK_WINDOW(window), grid);
  gtk_window_present(GTK_WINDOW(window));
  if (!vp_test_wait_until(window_is_mapped)) {
    print_error("the window never appeared\n");
    return -1;
  }
  wait_for_frames();
  return 0;
}

static int group_teardown(void **state)
{
  (void)state;
  gtk_window_destroy(GTK_WINDOW(window));
  g_clear_object(&context);
  vp_case_free(ct_case);
  return 0;
}

/* Every test starts from the CT case with the crosshair at its centre,
 * standard zoom, bone window, no tool and no presentation mode. */
static int reset(void **state)
{
  (void)state;
  vp_view_context_set_presentation(context, FALSE);
  vp_view_context_set_tool(context, VP_MEASURE_TOOL_NONE);
  show_case(ct_case);
  wait_for_frames();
  return 0;
}

static VpSliceWidget *view(int i)
{
  return VP_SLICE_WIDGET(views[i]);
}

/* The widget as GTK paints it now, as an ARGB32 image. */
static cairo_surface_t *render_widget(GtkWidget *widget)
{
  wait_for_frames();
  int w = gtk_widget_get_width(widget), h = gtk_widget_get_height(widget);
  assert_true(w > 0 && h > 0);
  GdkPaintable *paintable = gtk_widget_paintable_new(widget);
  GtkSnapshot *snapshot = gtk_snapshot_new();
  gdk_paintable_snapshot(paintable, GDK_SNAPSHOT(snapshot), w, h);
  g_object_unref(paintable);
  GskRenderNode *node = gtk_snapshot_free_to_node(snapshot);
  assert_non_null(node);
  GskRenderer *renderer = gtk_native_get_renderer(gtk_widget_get_native(widget));
  GdkTexture *texture = gsk_renderer_render_texture(renderer, node, &GRAPHENE_RECT_INIT(0, 0, w, h));
  gsk_render_node_unref(node);
  int tw = gdk_texture_get_width(texture), th = gdk_texture_get_height(texture);
  cairo_surface_t *image = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, tw, th);
  cairo_surface_flush(image);
  gdk_texture_download(texture, cairo_image_surface_get_data(image),
                       (gsize)cairo_image_surface_get_stride(image));
  cairo_surface_mark_dirty(image);
  g_object_unref(texture);
  return image;
}

static void save_artifact(cairo_surface_t *image, const char *name)
{
  char *path = vp_test_artifact_path(name);
  assert_int_equal(cairo_surface_write_to_png(image, path), CAIRO_STATUS_SUCCESS);
  free(path);
}

/* Not one flat colour: a slice with something on it. */
static void assert_not_blank(cairo_surface_t *image)
{
  uint32_t corner = vp_test_pixel(image, 1, 1);
  assert_true(vp_test_fraction_differing(image, corner, 16) > 0.02);
  assert_true(vp_test_distinct_colours(image, 64) >= 16);
}

static double centre_depth(VpSliceWidget *w, VpVec3 p)
{
  const VpSliceView *v = vp_slice_widget_get_view(w);
  return vp_vec3_dot(vp_vec3_sub(p, v->center_mm), vp_slice_view_normal(v));
}

static GtkEventController *find_controller(GtkWidget *widget, GType type)
{
  GListModel *controllers = gtk_widget_observe_controllers(widget);
  GtkEventController *found = NULL;
  for (guint i = 0; i < g_list_model_get_n_items(controllers) && !found; i++) {
    GtkEventController *c = g_list_model_get_item(controllers, i);
    if (G_TYPE_CHECK_INSTANCE_TYPE(c, type))
      found = c;
    g_object_unref(c);
  }
  g_object_unref(controllers);
  assert_non_null(found);
  return found;
}

/* A key press as the widget's key controller receives it. */
static gboolean press_key(GtkWidget *widget, guint keyval)
{
  gboolean handled = FALSE;
  g_signal_emit_by_name(find_controller(widget, GTK_TYPE_EVENT_CONTROLLER_KEY), "key-pressed",
                        keyval, 0, (GdkModifierType)0, &handled);
  return handled;
}

/* One wheel notch (dy = 1: towards the user) through the scroll controller. */
static void turn_wheel(GtkWidget *widget, double dy)
{
  gboolean handled = FALSE;
  g_signal_emit_by_name(find_controller(widget, GTK_TYPE_EVENT_CONTROLLER_SCROLL), "scroll", 0.0,
                        dy, &handled);
  assert_true(handled);
}

/* ---- Measurements created ---- */

static VpPlanMeasurement last_created;
static int created_count;

static void on_created(VpViewContext *ctx, gpointer m, gpointer data)
{
  (void)ctx;
  (void)data;
  last_created = *(const VpPlanMeasurement *)m;
  created_count++;
}

/* ---- Tests ---- */

static void context_defaults_follow_the_case(void **state)
{
  (void)state;
  VpBox3 box = vp_mesh_bounds(ct_case->surface);
  VpVec3 centre = vp_box3_center(box);
  assert_ptr_equal(vp_view_context_get_case(context), ct_case);
  assert_true(vp_vec3_distance(vp_view_context_get_crosshair(context), centre) < 1e-9);
  assert_true(vp_vec3_distance(vp_view_context_get_frame(context)->origin_mm, centre) < 1e-9);
  VpWindowLevel wl = vp_view_context_get_window_level(context);
  assert_near(wl.window_hu, 2000, 1e-9);
  assert_near(wl.level_hu, 500, 1e-9);
  VpVec3 a, b;
  vp_view_context_get_oblique_line(context, &a, &b);
  assert_near(vp_vec3_distance(a, b), 80, 1e-9);
  assert_true(vp_vec3_distance(vp_vec3_lerp(a, b, 0.5), centre) < 1e-9);
  assert_near(a.x - b.x, 80, 1e-9); /* from the patient's right to the left */
  /* The oblique view starts out as the coronal one. */
  const VpSliceView *oblique = vp_slice_widget_get_view(view(3));
  const VpSliceView *coronal = vp_slice_widget_get_view(view(2));
  assert_near(vp_vec3_dot(oblique->u, coronal->u), 1, 1e-12);
  assert_near(vp_vec3_dot(oblique->v, coronal->v), 1, 1e-12);
  assert_ptr_equal(vp_view_context_get_fluoro_volume(context), ct_case->ct);
  assert_false(vp_view_context_is_fluoro_volume_pending(context));
  for (int i = 0; i < 3; i++) {
    assert_near(centre_depth(view(i), centre), 0, 1e-6);
    assert_near(vp_slice_widget_get_offset_mm(view(i)), 0, 1e-12);
  }
}

static void three_views_draw_different_pictures(void **state)
{
  (void)state;
  static const char *names[4] = {"gui-views-axial.png", "gui-views-sagittal.png",
                                 "gui-views-coronal.png", "gui-views-oblique.png"};
  cairo_surface_t *images[4];
  for (int i = 0; i < 4; i++) {
    images[i] = render_widget(views[i]);
    save_artifact(images[i], names[i]);
    assert_not_blank(images[i]);
    assert_true(vp_slice_widget_get_last_frame_ms(view(i)) > 0);
  }
  for (int i = 0; i < 3; i++)
    for (int j = i + 1; j < 3; j++)
      assert_true(vp_test_count_different_pixels(images[i], images[j]) > 2000);
  for (int i = 0; i < 4; i++)
    cairo_surface_destroy(images[i]);
  /* The whole window, for a person to look at. */
  cairo_surface_t *all = render_widget(gtk_window_get_child(GTK_WINDOW(window)));
  save_artifact(all, "gui-views-window.png");
  cairo_surface_destroy(all);
}

static void scrolling_moves_the_plane_by_the_step(void **state)
{
  (void)state;
  VpSliceWidget *axial = view(0);
  const VpSliceView *v = vp_slice_widget_get_view(axial);
  double step = v->step_mm;
  assert_non_null(ct_case->ct);
  assert_near(step, vp_slice_step_for_volume(ct_case->ct, vp_vec3(0, 0, 1)), 1e-9);
  VpVec3 before = v->center_mm;
  cairo_surface_t *image_before = render_widget(views[0]);

  vp_slice_widget_scroll_slices(axial, 3);
  assert_near(vp_slice_widget_get_offset_mm(axial), 3 * step, 1e-9);
  assert_near(v->center_mm.z - before.z, 3 * step, 1e-9);
  wait_for_frames();
  cairo_surface_t *image_after = render_widget(views[0]);
  assert_true(vp_test_count_different_pixels(image_before, image_after) > 200);
  cairo_surface_destroy(image_before);
  cairo_surface_destroy(image_after);

  /* Keys and the wheel go the same way. */
  assert_true(press_key(views[0], GDK_KEY_Down));
  assert_near(vp_slice_widget_get_offset_mm(axial), 2 * step, 1e-9);
  assert_true(press_key(views[0], GDK_KEY_Page_Up));
  assert_near(vp_slice_widget_get_offset_mm(axial), 12 * step, 1e-9);
  turn_wheel(views[0], 1);
  assert_near(vp_slice_widget_get_offset_mm(axial), 11 * step, 1e-9);
  /* The plane stays in the case. */
  for (int i = 0; i < 100; i++)
    vp_slice_widget_scroll_slices(axial, 10);
  VpBox3 box = vp_mesh_bounds(ct_case->surface);
  assert_true(v->center_mm.z <= box.max.z + 1e-9);
  assert_true(v->center_mm.z > box.max.z - step - 1e-9);
  /* The other views did not move. */
  assert_near(vp_slice_widget_get_offset_mm(view(1)), 0, 1e-12);
}

static void a_click_moves_the_crosshair_and_the_other_planes(void **state)
{
  (void)state;
  VpSliceWidget *axial = view(0);
  vp_slice_widget_scroll_slices(axial, 2);
  VpVec3 sagittal_before = vp_slice_widget_get_view(view(1))->center_mm;
  VpVec3 coronal_before = vp_slice_widget_get_view(view(2))->center_mm;
  double x = 0.5 * gtk_widget_get_width(views[0]) + 30;
  double y = 0.5 * gtk_widget_get_height(views[0]) - 20;
  VpVec3 expected = vp_slice_widget_point_at(axial, x, y);
  vp_slice_widget_click(axial, x, y);

  VpVec3 crosshair = vp_view_context_get_crosshair(context);
  assert_true(vp_vec3_distance(crosshair, expected) < 1e-9);
  /* The axial plane stays where it was scrolled to: the point lies on it. */
  assert_near(centre_depth(axial, crosshair), 0, 1e-9);
  /* Screen right is the patient's left in axial: x grows; anterior is up. */
  const VpSliceView *s = vp_slice_widget_get_view(view(1));
  const VpSliceView *c = vp_slice_widget_get_view(view(2));
  assert_true(vp_vec3_distance(s->center_mm, sagittal_before) > 1);
  assert_true(vp_vec3_distance(c->center_mm, coronal_before) > 1);
  assert_near(centre_depth(view(1), crosshair), 0, 1e-9);
  assert_near(centre_depth(view(2), crosshair), 0, 1e-9);
  assert_near(vp_slice_widget_get_offset_mm(view(1)), 0, 1e-12);
}

static void dragging_the_window_changes_width_and_level(void **state)
{
  (void)state;
  cairo_surface_t *before = render_widget(views[0]);
  VpWindowLevel wl0 = vp_view_context_get_window_level(context);
  vp_slice_widget_adjust_window_level(view(0), 60, 0);
  VpWindowLevel wl1 = vp_view_context_get_window_level(context);
  assert_true(wl1.window_hu > wl0.window_hu + 100);
  assert_near(wl1.level_hu, wl0.level_hu, 1e-9);
  vp_slice_widget_adjust_window_level(view(0), 0, -40); /* upwards raises the level */
  VpWindowLevel wl2 = vp_view_context_get_window_level(context);
  assert_true(wl2.level_hu > wl1.level_hu + 100);
  assert_near(wl2.window_hu, wl1.window_hu, 1e-9);
  wait_for_frames();
  cairo_surface_t *after = render_widget(views[0]);
  assert_true(vp_test_count_different_pixels(before, after) > 1000);
  cairo_surface_destroy(before);
  cairo_surface_destroy(after);
}

static void distance_tool_measures_two_clicks(void **state)
{
  (void)state;
  created_count = 0;
  vp_view_context_set_tool(context, VP_MEASURE_TOOL_DISTANCE);
  VpVec3 crosshair = vp_view_context_get_crosshair(context);
  VpSliceWidget *coronal = view(2);
  vp_slice_widget_click(coronal, 100, 100);
  assert_int_equal(created_count, 0);
  wait_for_frames(); /* the first point and the rubber band are drawn */
  vp_slice_widget_click(coronal, 160, 180);
  assert_int_equal(created_count, 1);
  assert_int_equal(last_created.kind, VP_MEASUREMENT_DISTANCE);
  double mm_per_px = vp_slice_widget_get_view(coronal)->mm_per_px;
  assert_near(vp_plan_measurement_value(&last_created), 100 * mm_per_px, 1e-9);
  /* Measuring does not move the crosshair. */
  assert_true(vp_vec3_distance(vp_view_context_get_crosshair(context), crosshair) < 1e-12);

  /* The window adds it to the plan; the views draw it in its plane only. */
  cairo_surface_t *before = render_widget(views[2]);
  cairo_surface_t *axial_before = render_widget(views[0]);
  vp_view_context_set_measurements(context, &last_created, 1);
  wait_for_frames();
  cairo_surface_t *after = render_widget(views[2]);
  cairo_surface_t *axial_after = render_widget(views[0]);
  save_artifact(after, "gui-views-coronal-distance.png");
  assert_true(vp_test_count_different_pixels(before, after) > 100);
  assert_int_equal(vp_test_count_different_pixels(axial_before, axial_after), 0);
  cairo_surface_destroy(before);
  cairo_surface_destroy(after);
  cairo_surface_destroy(axial_before);
  cairo_surface_destroy(axial_after);
}

static void angle_tool_measures_three_clicks(void **state)
{
  (void)state;
  created_count = 0;
  vp_view_context_set_tool(context, VP_MEASURE_TOOL_ANGLE);
  VpSliceWidget *sagittal = view(1);
  vp_slice_widget_click(sagittal, 100, 100);
  vp_slice_widget_click(sagittal, 150, 150); /* the vertex */
  assert_int_equal(created_count, 0);
  vp_slice_widget_click(sagittal, 200, 100);
  assert_int_equal(created_count, 1);
  assert_int_equal(last_created.kind, VP_MEASUREMENT_ANGLE);
  assert_near(vp_plan_measurement_value(&last_created), 90, 1e-9);
  VpVec3 vertex = vp_slice_widget_point_at(sagittal, 150, 150);
  assert_near(last_created.points_mm[1][1], vertex.y, 1e-9);
}

static void escape_abandons_a_measurement(void **state)
{
  (void)state;
  created_count = 0;
  vp_view_context_set_tool(context, VP_MEASURE_TOOL_DISTANCE);
  assert_false(press_key(views[0], GDK_KEY_Escape)); /* nothing to abandon */
  vp_slice_widget_click(view(0), 100, 100);
  assert_true(press_key(views[0], GDK_KEY_Escape));
  vp_slice_widget_click(view(0), 120, 100);
  assert_int_equal(created_count, 0);
  vp_slice_widget_click(view(0), 120, 140);
  assert_int_equal(created_count, 1);
  assert_near(vp_plan_measurement_value(&last_created),
                     40 * vp_slice_widget_get_view(view(0))->mm_per_px, 1e-9);
  /* Changing the tool abandons too. */
  vp_slice_widget_click(view(0), 10, 10);
  vp_view_context_set_tool(context, VP_MEASURE_TOOL_ANGLE);
  vp_slice_widget_click(view(0), 20, 10);
  vp_slice_widget_click(view(0), 30, 10);
  assert_int_equal(created_count, 1);
}

static void oblique_view_follows_the_line(void **state)
{
  (void)state;
  VpSliceWidget *oblique = view(3);
  VpVec3 centre = vp_view_context_get_crosshair(context);
  VpVec3 a = vp_vec3_add(centre, vp_vec3(-20, -30, 10));
  VpVec3 b = vp_vec3_add(centre, vp_vec3(25, 10, -5));
  cairo_surface_t *before = render_widget(views[3]);
  vp_view_context_set_oblique_line(context, a, b);
  const VpSliceView *v = vp_slice_widget_get_view(oblique);
  VpVec3 along = vp_vec3_normalize(vp_vec3_sub(b, a));
  assert_near(vp_vec3_dot(v->u, along), 1, 1e-9);
  assert_true(vp_vec3_distance(v->center_mm, vp_vec3_lerp(a, b, 0.5)) < 1e-9);
  assert_true(v->v.z > 0); /* superior stays up */
  /* a on the left, b on the right, both on the plane. */
  double ax, ay, ad, bx, by, bd;
  vp_slice_view_world_to_pixel(v, a, &ax, &ay, &ad);
  vp_slice_view_world_to_pixel(v, b, &bx, &by, &bd);
  assert_true(ax < bx);
  assert_near(ad, 0, 1e-9);
  assert_near(bd, 0, 1e-9);
  wait_for_frames();
  cairo_surface_t *after = render_widget(views[3]);
  save_artifact(after, "gui-views-oblique-line.png");
  assert_not_blank(after);
  assert_true(vp_test_count_different_pixels(before, after) > 1000);
  cairo_surface_destroy(before);
  cairo_surface_destroy(after);
  /* A line of no length is refused. */
  vp_view_context_set_oblique_line(context, a, a);
  VpVec3 a2, b2;
  vp_view_context_get_oblique_line(context, &a2, &b2);
  assert_true(vp_vec3_distance(b2, b) < 1e-12);
}

static void a_case_without_ct_shows_the_section(void **state)
{
  (void)state;
  VpCase *mesh_case = load_mesh_case();
  show_case(mesh_case);
  wait_for_frames();
  assert_near(vp_slice_widget_get_view(view(0))->step_mm, 1.0, 1e-12);
  cairo_surface_t *image = render_widget(views[0]);
  save_artifact(image, "gui-views-axial-surface-only.png");
  assert_not_blank(image);
  /* The cut bone is filled with the section grey (at least 1 % of the view). */
  VpSliceStyle style;
  vp_view_context_get_style(context, &style);
  uint32_t section = 0xff000000u | (uint32_t)lround(style.section_rgb[0] * 255) << 16 |
                     (uint32_t)lround(style.section_rgb[1] * 255) << 8 |
                     (uint32_t)lround(style.section_rgb[2] * 255);
  assert_true(vp_test_fraction_differing(image, section, 8) < 0.99);
  cairo_surface_destroy(image);
  show_case(ct_case);
  vp_case_free(mesh_case);
}

static void without_a_case_the_views_say_so(void **state)
{
  (void)state;
  show_case(NULL);
  wait_for_frames();
  cairo_surface_t *image = render_widget(views[1]);
  save_artifact(image, "gui-views-no-case.png");
  /* Dark, with a line of text in the middle. */
  uint32_t corner = vp_test_pixel(image, 2, 2);
  assert_true(((corner >> 16) & 0xff) < 40);
  assert_true(vp_test_fraction_differing(image, corner, 16) > 0.002);
  assert_true(vp_test_fraction_differing(image, corner, 16) < 0.2);
  cairo_surface_destroy(image);
  /* Nothing to do for the input without a case. */
  vp_slice_widget_click(view(1), 10, 10);
  vp_slice_widget_scroll_slices(view(1), 5);
  assert_near(vp_slice_widget_get_offset_mm(view(1)), 0, 1e-12);
  assert_null(vp_view_context_get_fluoro_volume(context));
}

static int style_changes;

static void count_style_change(void)
{
  style_changes++;
}

static void presentation_mode_thickens_the_overlays(void **state)
{
  (void)state;
  VpSliceStyle normal, big;
  vp_view_context_get_style(context, &normal);
  cairo_surface_t *before = render_widget(views[0]);
  style_changes = 0;
  gulong id = g_signal_connect_swapped(context, "style-changed", G_CALLBACK(count_style_change),
                                       NULL);
  g_object_set(context, "presentation", TRUE, NULL);
  assert_int_equal(style_changes, 1);
  assert_true(vp_view_context_get_presentation(context));
  vp_view_context_get_style(context, &big);
  assert_near(big.line_width_px, 2 * normal.line_width_px, 1e-9);
  assert_near(big.text_px, 1.6 * normal.text_px, 1e-9);
  wait_for_frames();
  cairo_surface_t *after = render_widget(views[0]);
  save_artifact(after, "gui-views-axial-presentation.png");
  assert_true(vp_test_count_different_pixels(before, after) > 500);
  vp_view_context_set_presentation(context, TRUE); /* no change, no signal */
  assert_int_equal(style_changes, 1);
  g_signal_handler_disconnect(context, id);
  cairo_surface_destroy(before);
  cairo_surface_destroy(after);
}

static int ready_count;

static void count_ready(void)
{
  ready_count++;
}

static gboolean fluoro_ready(void)
{
  return ready_count > 0;
}

static gboolean only_the_test_holds_the_context(void)
{
  return G_OBJECT(context)->ref_count == 1 + 4; /* the test and the four views */
}

static void surface_only_case_gets_a_synthetic_ct(void **state)
{
  (void)state;
  gulong id = g_signal_connect_swapped(context, "fluoro-volume-ready", G_CALLBACK(count_ready),
                                       NULL);
  ready_count = 0;
  VpCase *mesh_case = load_mesh_case();
  show_case(mesh_case);
  assert_null(vp_view_context_get_fluoro_volume(context));
  assert_true(vp_view_context_is_fluoro_volume_pending(context));
  assert_null(vp_view_context_get_fluoro_volume(context)); /* still one worker */
  assert_true(vp_test_wait_until(fluoro_ready));
  assert_int_equal(ready_count, 1);
  assert_false(vp_view_context_is_fluoro_volume_pending(context));
  assert_null(vp_view_context_get_fluoro_error(context));
  const VpVolume *ct = vp_view_context_get_fluoro_volume(context);
  assert_non_null(ct);
  /* It covers the surface. */
  VpBox3 box = vp_mesh_bounds(mesh_case->surface);
  assert_true(ct->dims[0] * ct->spacing_mm[0] >= box.max.x - box.min.x);

  /* Cleared while a worker makes one: the result is dropped, the case may go. */
  ready_count = 0;
  show_case(mesh_case);
  assert_null(vp_view_context_get_fluoro_volume(context));
  assert_true(vp_view_context_is_fluoro_volume_pending(context));
  show_case(NULL);
  vp_case_free(mesh_case);
  assert_false(vp_view_context_is_fluoro_volume_pending(context));
  assert_true(vp_test_wait_until(only_the_test_holds_the_context));
  vp_test_wait_ms(50);
  assert_int_equal(ready_count, 0);
  assert_null(vp_view_context_get_fluoro_volume(context));
  g_signal_handler_disconnect(context, id);
}

int main(void)
{
  vp_test_gui_use_private_home();
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup(context_defaults_follow_the_case, reset),
    cmocka_unit_test_setup(three_views_draw_different_pictures, reset),
    cmocka_unit_test_setup(scrolling_moves_the_plane_by_the_step, reset),
    cmocka_unit_test_setup(a_click_moves_the_crosshair_and_the_other_planes, reset),
    cmocka_unit_test_setup(dragging_the_window_changes_width_and_level, reset),
    cmocka_unit_test_setup(distance_tool_measures_two_clicks, reset),
    cmocka_unit_test_setup(angle_tool_measures_three_clicks, reset),
    cmocka_unit_test_setup(escape_abandons_a_measurement, reset),
    cmocka_unit_test_setup(oblique_view_follows_the_line, reset),
    cmocka_unit_test_setup(a_case_without_ct_shows_the_section, reset),
    cmocka_unit_test_setup(without_a_case_the_views_say_so, reset),
    cmocka_unit_test_setup(presentation_mode_thickens_the_overlays, reset),
    cmocka_unit_test_setup(surface_only_case_gets_a_synthetic_ct, reset),
  };
  return cmocka_run_group_tests_name("gui-views", tests, group_setup, group_teardown);
}
