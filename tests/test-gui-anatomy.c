/* The Anatomy step in the real window under Xvfb: the anatomy of a phantom
 * teaching case (and of the VerSe L3 when ../shared is there) is computed
 * off the main loop, the panel lists the measurements with units and their
 * published ranges, the parts are tinted in the slice views, the frame can
 * be turned from the panel with undo and redo giving back the exact plan and
 * frame, and a saved plan reopens with its correction. Until the core can
 * compute an anatomy, the failure message is what is checked. Screenshots go
 * to the artifacts folder. */
#include "vp-test-gui.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vp-anatomy-overlay.h"
#include "vp-document.h"
#include "vp-screenshot.h"
#include "vp-slice-widget.h"
#include "vp-view-grid.h"
#include "vp-view-pane.h"
#include "vp-test-image.h"
#include "vp-test-util.h"

static int start(void **state)
{
  assert_non_null(g_getenv("VP_CASES_DIR"));
  return vp_test_gui_start(state);
}

/* ---- Helpers ---- */

static void activate(const char *action, GVariant *param)
{
  g_action_group_activate_action(G_ACTION_GROUP(vp_test_window), action, param);
}

static const VpPlan *plan(void)
{
  const VpDocument *doc = vp_window_get_document(vp_test_window);
  assert_non_null(doc);
  return vp_document_plan(doc);
}

static VpViewContext *context(void)
{
  return vp_window_get_view_context(vp_test_window);
}

static gboolean anatomy_settled(void)
{
  return !vp_window_is_anatomy_pending(vp_test_window) && vp_window_is_settled(vp_test_window);
}

/* Opens path (discarding the changes of the test before) and waits for its anatomy. */
static void open_and_wait_for_anatomy(const char *path, const char *teaching_id)
{
  vp_test_close_dialogs();
  if (teaching_id)
    assert_true(vp_window_open_teaching_case(vp_test_window, teaching_id));
  else
    vp_test_open(path);
  assert_true(vp_test_wait_until(vp_test_window_is_not_loading));
  AdwMessageDialog *dialog = vp_test_find_message_dialog();
  if (dialog && adw_message_dialog_has_response(dialog, "discard")) {
    adw_message_dialog_response(dialog, "discard");
    vp_test_close_dialogs();
    assert_true(vp_test_wait_until(vp_test_window_is_not_loading));
    dialog = vp_test_find_message_dialog();
  }
  if (dialog)
    fail_msg("opening: \"%s\" %s", adw_message_dialog_get_heading(dialog),
             adw_message_dialog_get_body(dialog));
  assert_string_equal(vp_window_get_page(vp_test_window), "view");
  activate("layout", g_variant_new_string("grid"));
  activate("step", g_variant_new_string("anatomy"));
  assert_true(vp_test_wait_until(anatomy_settled));
  vp_test_wait_for_settled_window();
}

static GtkWidget *panel(void)
{
  GtkWidget *label =
      vp_test_find_widget(GTK_WIDGET(vp_test_window), GTK_TYPE_LABEL, "Vertebra Frame");
  assert_non_null(label);
  GtkWidget *stack = gtk_widget_get_ancestor(label, GTK_TYPE_STACK);
  assert_non_null(stack);
  assert_string_equal(gtk_stack_get_visible_child_name(GTK_STACK(stack)), "anatomy");
  return gtk_stack_get_visible_child(GTK_STACK(stack));
}

static GtkSpinButton *frame_spin(const char *title)
{
  GtkWidget *row = vp_test_find_widget(panel(), ADW_TYPE_ACTION_ROW, title);
  assert_non_null(row);
  GtkWidget *spin = vp_test_find_widget(row, GTK_TYPE_SPIN_BUTTON, NULL);
  assert_non_null(spin);
  return GTK_SPIN_BUTTON(spin);
}

static gboolean frames_equal(const VpAnatomyFrame *a, const VpAnatomyFrame *b)
{
  return memcmp(a, b, sizeof *a) == 0;
}

/* The panel says why there is no anatomy: the core cannot compute one yet. */
static gboolean failure_is_shown(const char *screenshot)
{
  if (vp_window_get_anatomy(vp_test_window))
    return FALSE;
  assert_non_null(vp_window_get_anatomy_error(vp_test_window));
  assert_non_null(vp_test_find_widget(panel(), GTK_TYPE_LABEL, "Anatomy could not be computed: "));
  vp_test_screenshot_and_check(screenshot);
  print_message("the anatomy could not be computed (%s): success checks not run\n",
                vp_window_get_anatomy_error(vp_test_window));
  return TRUE;
}

/* ---- What the panel and the views show ---- */

static void check_panel_figures(void)
{
  GtkWidget *p = panel();
  const char *const rows[] = {"Body Volume",    "Anterior Height", "Middle Height",
                              "Posterior Height", "Endplate Width", "Isthmus Width",
                              "Transverse Angle", "Genant"};
  for (gsize i = 0; i < G_N_ELEMENTS(rows); i++)
    if (!vp_test_find_widget(p, ADW_TYPE_ACTION_ROW, rows[i]))
      fail_msg("no row \"%s\" in the Anatomy panel", rows[i]);
  assert_non_null(vp_test_find_widget(p, GTK_TYPE_LABEL, " mL"));
  assert_non_null(vp_test_find_widget(p, GTK_TYPE_LABEL, " mm"));
  assert_non_null(vp_test_find_widget(p, GTK_TYPE_LABEL, "°"));
  assert_non_null(vp_test_find_widget(p, GTK_TYPE_LABEL, " mm²"));
}

static void check_reference_ranges(void)
{
  VpAnatomyReference ref;
  const VpAnatomy *an = vp_window_get_anatomy(vp_test_window);
  if (!vp_anatomy_reference(an->level, &ref) || !ref.pedicle_width_mm.known) {
    print_message("no published pedicle width for level \"%s\": ranges not checked\n", an->level);
    return;
  }
  GtkWidget *row = vp_test_find_widget(panel(), ADW_TYPE_ACTION_ROW, "Isthmus Width");
  const char *subtitle = adw_action_row_get_subtitle(ADW_ACTION_ROW(row));
  assert_non_null(subtitle);
  assert_non_null(strstr(subtitle, "Published "));
  assert_non_null(strstr(subtitle, " mm ("));
}

/* The 3D view shows the frame's axes and the isthmus markers in the
 * Anatomy step: a shot with them differs from one of another step, and a
 * found isthmus is drawn in its pedicle's colour where it projects. */
static void check_view3d_overlay(const char *name)
{
  VpView3d *view = vp_view_grid_find_view3d(vp_window_get_view_grid(vp_test_window));
  assert_non_null(view);
  g_autofree char *with_name = g_strdup_printf("%s-3d.png", name);
  g_autofree char *without_name = g_strdup_printf("%s-3d-no-anatomy.png", name);
  cairo_surface_t *with = vp_test_capture_widget(GTK_WIDGET(view), with_name);
  vp_view_context_set_anatomy_shown(context(), FALSE);
  vp_test_wait_for_settled_window();
  cairo_surface_t *without = vp_test_capture_widget(GTK_WIDGET(view), without_name);
  vp_view_context_set_anatomy_shown(context(), TRUE);
  vp_test_wait_for_settled_window();
  double differ = vp_test_fraction_changed(with, without, 24);
  print_message("%s: %.2f %% of the 3D view changes with the frame and isthmus markers\n", name,
                100 * differ);
  assert_true(differ > 0.002);
  const VpAnatomy *an = vp_window_get_anatomy(vp_test_window);
  int w = gtk_widget_get_width(GTK_WIDGET(view)), h = gtk_widget_get_height(GTK_WIDGET(view));
  int sx = cairo_image_surface_get_width(with), sy = cairo_image_surface_get_height(with);
  for (int side = 0; side < 2; side++) {
    const VpPedicleMeasures *p = &an->measures.pedicle[side];
    double x, y, depth, rgb[3];
    if (!p->found || !vp_camera_project(vp_view3d_get_camera(view), p->isthmus_mm, w, h, &x, &y, &depth))
      continue;
    vp_anatomy_part_rgb(side ? VP_ANATOMY_PEDICLE_RIGHT : VP_ANATOMY_PEDICLE_LEFT, rgb);
    uint32_t px = vp_test_pixel(with, (int)(x * sx / w), (int)(y * sy / h));
    int r = (px >> 16) & 0xff, g = (px >> 8) & 0xff, b = px & 0xff;
    print_message("isthmus %d at (%.0f, %.0f): %d %d %d, expected %.0f %.0f %.0f\n", side, x, y,
                  r, g, b, 255 * rgb[0], 255 * rgb[1], 255 * rgb[2]);
    assert_true(abs(r - (int)lround(255 * rgb[0])) < 40 && abs(g - (int)lround(255 * rgb[1])) < 40 &&
                abs(b - (int)lround(255 * rgb[2])) < 40);
  }
  cairo_surface_destroy(with);
  cairo_surface_destroy(without);
}

/* The costovertebral parts are listed for thoracic levels only; the Genant
 * row keeps its title whole: the grade beside it, the shape under it. */
static void check_panel_rows(void)
{
  const VpAnatomy *an = vp_window_get_anatomy(vp_test_window);
  const char *const parts[] = {"left costovertebral region", "right costovertebral region"};
  for (gsize i = 0; i < G_N_ELEMENTS(parts); i++) {
    GtkWidget *row = vp_test_find_widget(panel(), ADW_TYPE_ACTION_ROW, parts[i]);
    assert_non_null(row);
    assert_int_equal(gtk_widget_get_visible(row), an->thoracic);
  }
  GtkWidget *genant = vp_test_find_widget(panel(), ADW_TYPE_ACTION_ROW, "Genant");
  assert_non_null(genant);
  assert_non_null(strstr(adw_action_row_get_subtitle(ADW_ACTION_ROW(genant)), "% height loss"));
  assert_non_null(vp_test_find_widget(genant, GTK_TYPE_LABEL, "Grade "));
  GtkWidget *title = vp_test_find_widget(genant, GTK_TYPE_LABEL, "Genant");
  assert_non_null(title);
  int min_w, nat_w;
  gtk_widget_measure(title, GTK_ORIENTATION_HORIZONTAL, -1, &min_w, &nat_w, NULL, NULL);
  print_message("the Genant title is %d px wide for %d px natural\n",
                gtk_widget_get_width(title), nat_w);
  assert_true(gtk_widget_get_width(title) >= nat_w);
}

/* The tint changes the slice views: shots with and without the parts differ. */
static void check_parts_overlay(const char *name)
{
  GtkWidget *grid = GTK_WIDGET(vp_window_get_view_grid(vp_test_window));
  g_autofree char *with_name = g_strdup_printf("%s-parts.png", name);
  g_autofree char *without_name = g_strdup_printf("%s-no-parts.png", name);
  cairo_surface_t *with = vp_test_capture_widget(grid, with_name);
  vp_view_context_set_anatomy_parts(context(), 0);
  vp_test_wait_for_settled_window();
  cairo_surface_t *without = vp_test_capture_widget(grid, without_name);
  vp_view_context_set_anatomy_parts(context(), VP_ANATOMY_PARTS_ALL);
  vp_test_wait_for_settled_window();
  double differ = vp_test_fraction_changed(with, without, 24);
  print_message("%s: %.1f %% of the view grid changes with the parts tinted\n", name,
                100 * differ);
  assert_true(differ > 0.01);
  cairo_surface_destroy(with);
  cairo_surface_destroy(without);
}

/* The slice view of the grid with that orientation. */
static VpSliceWidget *slice_view(VpSliceOrientation orientation)
{
  VpViewGrid *grid = vp_window_get_view_grid(vp_test_window);
  for (guint i = 0; vp_view_grid_get_pane(grid, i); i++) {
    GtkWidget *view = vp_view_pane_get_view(vp_view_grid_get_pane(grid, i));
    if (VP_IS_SLICE_WIDGET(view) &&
        vp_slice_widget_get_orientation(VP_SLICE_WIDGET(view)) == orientation)
      return VP_SLICE_WIDGET(view);
  }
  fail_msg("no slice view of orientation %d in the grid", (int)orientation);
  return NULL;
}

static double angle_between(VpVec3 a, VpVec3 b)
{
  return vp_rad_to_deg(acos(fmin(1, fmax(-1, vp_vec3_dot(a, b)))));
}

/* Undo gives back the exact plan and frame of before the drag: one drag was
 * one edit. */
static void undo_and_check(const VpPlan *before, const VpAnatomyFrame *frame_before)
{
  activate("undo", NULL);
  vp_test_wait_for_settled_window();
  assert_true(vp_plan_equal(plan(), before));
  assert_true(frames_equal(&vp_window_get_anatomy(vp_test_window)->frame, frame_before));
}

/* Dragging the origin handle of the axial view moves the origin in the
 * plane by the pointer's move, previewed while dragging and one undoable
 * edit at the end; a press elsewhere takes no handle. */
static void check_origin_drag(VpSliceWidget *axial, const VpPlan *before,
                              const VpAnatomyFrame *frame_before)
{
  const VpSliceView *view = vp_slice_widget_get_view(axial);
  double xy[4][2];
  vp_anatomy_overlay_frame_handles(view, frame_before, xy);
  assert_int_equal(vp_slice_widget_frame_handle_at(axial, xy[0][0], xy[0][1]), 0);
  assert_int_equal(vp_slice_widget_frame_handle_at(axial, xy[0][0] + 30, xy[0][1] - 30), -1);
  double mm_per_px = view->mm_per_px;
  vp_slice_widget_drag_begin(axial, xy[0][0] + 2, xy[0][1] - 1);
  vp_slice_widget_drag_update(axial, 6, 4);
  vp_slice_widget_drag_update(axial, 12, 8);
  const VpAnatomy *an = vp_window_get_anatomy(vp_test_window);
  assert_true(vp_vec3_distance(an->frame.origin_mm, frame_before->origin_mm) > 0.5 * hypot(12, 8) * mm_per_px);
  assert_true(vp_plan_equal(plan(), before)); /* a preview, no edit yet */
  vp_slice_widget_drag_end(axial, 18, 12);
  vp_test_wait_for_settled_window();
  an = vp_window_get_anatomy(vp_test_window);
  double moved = vp_vec3_distance(an->frame.origin_mm, frame_before->origin_mm);
  double expected = hypot(18, 12) * mm_per_px;
  print_message("the origin moved %.2f mm for %.2f mm of pointer\n", moved, expected);
  assert_true(fabs(moved - expected) < 0.2);
  assert_true(fabs(vp_vec3_dot(vp_vec3_sub(an->frame.origin_mm, frame_before->origin_mm),
                               vp_slice_view_normal(view))) < 0.1);
  assert_true(plan()->anatomy.has_frame_adjustment);
  assert_true(angle_between(an->frame.anterior, frame_before->anterior) < 0.01);
  vp_test_screenshot_and_check("gui-anatomy-origin-dragged.png");
  undo_and_check(before, frame_before);
}

/* Dragging the end of the anterior axis in the axial view through 20
 * degrees about the origin turns the frame by 20 degrees about the view's
 * normal (superior stays), as one undoable edit. */
static void check_turn_drag(VpSliceWidget *axial, const VpPlan *before,
                            const VpAnatomyFrame *frame_before)
{
  const VpSliceView *view = vp_slice_widget_get_view(axial);
  double xy[4][2];
  vp_anatomy_overlay_frame_handles(view, frame_before, xy);
  assert_int_equal(vp_slice_widget_frame_handle_at(axial, xy[2][0], xy[2][1]), 2);
  double rx = xy[2][0] - xy[0][0], ry = xy[2][1] - xy[0][1];
  vp_slice_widget_drag_begin(axial, xy[2][0], xy[2][1]);
  for (int deg = 5; deg <= 20; deg += 5) {
    double t = vp_deg_to_rad(deg);
    double off_x = xy[0][0] + rx * cos(t) - ry * sin(t) - xy[2][0];
    double off_y = xy[0][1] + rx * sin(t) + ry * cos(t) - xy[2][1];
    if (deg < 20)
      vp_slice_widget_drag_update(axial, off_x, off_y);
    else
      vp_slice_widget_drag_end(axial, off_x, off_y);
  }
  vp_test_wait_for_settled_window();
  const VpAnatomy *an = vp_window_get_anatomy(vp_test_window);
  double turned = angle_between(an->frame.anterior, frame_before->anterior);
  print_message("the anterior axis turned %.2f degrees in the axial view (rotation %.1f, %.1f, %.1f)\n",
                turned, plan()->anatomy.rotation_deg[0], plan()->anatomy.rotation_deg[1],
                plan()->anatomy.rotation_deg[2]);
  assert_true(fabs(turned - 20) < 0.5);
  assert_true(angle_between(an->frame.superior, frame_before->superior) < 0.5);
  assert_true(fabs(fabs(plan()->anatomy.rotation_deg[2]) - 20) < 0.5);
  assert_true(vp_vec3_distance(an->frame.origin_mm, frame_before->origin_mm) < 0.1);
  /* The views align to the turned frame. */
  assert_true(vp_vec3_dot(vp_view_context_get_frame(context())->anterior, an->frame.anterior) > 0.9999);
  vp_test_screenshot_and_check("gui-anatomy-turn-dragged.png");
  undo_and_check(before, frame_before);
}

static void check_handle_drags(void)
{
  VpPlan *before = vp_plan_copy(plan(), NULL);
  VpAnatomyFrame frame_before = vp_window_get_anatomy(vp_test_window)->frame;
  VpSliceWidget *axial = slice_view(VP_SLICE_AXIAL);
  check_origin_drag(axial, before, &frame_before);
  check_turn_drag(axial, before, &frame_before);
  vp_plan_free(before);
}

/* Turning the frame changes it and the measurements; undo gives back the
 * exact plan and frame, redo the turned ones. */
static void check_turn_undo_redo(void)
{
  VpPlan *before = vp_plan_copy(plan(), NULL);
  VpAnatomyFrame frame_before = vp_window_get_anatomy(vp_test_window)->frame;
  VpAnatomyMeasures measures_before = vp_window_get_anatomy(vp_test_window)->measures;

  gtk_spin_button_set_value(frame_spin("Turn about Superior"), 10);
  vp_test_wait_for_settled_window();
  assert_true(plan()->anatomy.has_frame_adjustment);
  assert_true(plan()->anatomy.rotation_deg[2] == 10);
  const VpAnatomy *an = vp_window_get_anatomy(vp_test_window);
  double turned = vp_rad_to_deg(acos(fmin(1, vp_vec3_dot(an->frame.anterior, frame_before.anterior))));
  print_message("the anterior axis turned by %.2f degrees\n", turned);
  assert_true(fabs(turned - 10) < 0.5);
  VpAnatomyFrame frame_turned = an->frame;
  /* The pedicle's angle is measured in the turned frame: on a side where a
   * pedicle was traced (on real scans one may not be, yet). */
  int side = measures_before.pedicle[0].found ? 0 : 1;
  assert_true(measures_before.pedicle[side].found && an->measures.pedicle[side].found);
  double change = fabs(an->measures.pedicle[side].transverse_angle_deg -
                       measures_before.pedicle[side].transverse_angle_deg);
  print_message("the %s pedicle's transverse angle changed by %.1f degrees\n",
                side ? "right" : "left", change);
  assert_true(change > 5);
  /* The views align to the turned frame. */
  const VpViewFrame *view_frame = vp_view_context_get_frame(context());
  assert_true(vp_vec3_dot(view_frame->anterior, an->frame.anterior) > 0.9999);
  assert_true(vp_vec3_dot(view_frame->right, an->frame.left) < -0.9999);
  vp_test_screenshot_and_check("gui-anatomy-turned.png");

  activate("undo", NULL);
  vp_test_wait_for_settled_window();
  assert_true(vp_plan_equal(plan(), before));
  assert_true(frames_equal(&vp_window_get_anatomy(vp_test_window)->frame, &frame_before));
  assert_true(gtk_spin_button_get_value(frame_spin("Turn about Superior")) == 0);

  activate("redo", NULL);
  vp_test_wait_for_settled_window();
  assert_true(plan()->anatomy.rotation_deg[2] == 10);
  assert_true(frames_equal(&vp_window_get_anatomy(vp_test_window)->frame, &frame_turned));
  assert_true(gtk_spin_button_get_value(frame_spin("Turn about Superior")) == 10);
  vp_plan_free(before);
}

/* The plan saved with the turn opens with it: the anatomy is computed with it. */
static void check_saved_plan_keeps_turn(const char *name)
{
  VpAnatomyFrame turned = vp_window_get_anatomy(vp_test_window)->frame;
  g_autofree char *file = g_strdup_printf("%s.vplan", name);
  g_autofree char *folder = g_strdup_printf("gui-anatomy-%s", name);
  char *dir = vp_test_fresh_dir(folder);
  char *path = vp_test_join(dir, file);
  VpError err;
  vp_error_clear(&err);
  if (!vp_plan_save(plan(), path, &err))
    fail_msg("saving %s: %s", path, err.message);
  open_and_wait_for_anatomy(path, NULL);
  assert_true(plan()->anatomy.rotation_deg[2] == 10);
  const VpAnatomy *an = vp_window_get_anatomy(vp_test_window);
  assert_non_null(an);
  assert_true(an->adjustment.rotation_deg[2] == 10);
  assert_true(vp_vec3_dot(an->frame.anterior, turned.anterior) > 0.9999);
  assert_true(gtk_spin_button_get_value(frame_spin("Turn about Superior")) == 10);
  free(path);
  free(dir);
}

static void check_case(const char *name)
{
  g_autofree char *failed = g_strdup_printf("%s-failed.png", name);
  if (failure_is_shown(failed))
    return;
  g_autofree char *shot = g_strdup_printf("%s.png", name);
  vp_test_screenshot_and_check(shot);
  check_panel_figures();
  check_reference_ranges();
  check_panel_rows();
  check_view3d_overlay(name);
  check_parts_overlay(name);
  check_handle_drags();
  check_turn_undo_redo();
  check_saved_plan_keeps_turn(name);
}

/* ---- Tests ---- */

static void the_anatomy_step_is_available(void **state)
{
  (void)state;
  open_and_wait_for_anatomy(NULL, "l1-osteoporotic-wedge");
  GtkWidget *row = vp_test_find_widget(GTK_WIDGET(vp_test_window), GTK_TYPE_LIST_BOX_ROW, NULL);
  assert_non_null(row);
  GtkWidget *title =
      vp_test_find_widget(GTK_WIDGET(vp_test_window), GTK_TYPE_LABEL, "Anatomy");
  assert_non_null(title);
  GtkWidget *step_row = gtk_widget_get_ancestor(title, GTK_TYPE_LIST_BOX_ROW);
  assert_non_null(step_row);
  assert_null(vp_test_find_widget(step_row, GTK_TYPE_LABEL, "Not available yet"));
  assert_true(vp_view_context_get_anatomy_shown(context()));
  activate("step", g_variant_new_string("case"));
  assert_false(vp_view_context_get_anatomy_shown(context()));
  activate("step", g_variant_new_string("anatomy"));
  assert_true(vp_view_context_get_anatomy_shown(context()));
}

static void a_phantom_shows_its_anatomy(void **state)
{
  (void)state;
  open_and_wait_for_anatomy(NULL, "l1-osteoporotic-wedge");
  check_case("gui-anatomy-phantom");
}

static void the_verse_l3_shows_its_anatomy(void **state)
{
  (void)state;
  char *mask = vp_test_shared_file("verse/sub-verse005_seg-vert_msk.nii.gz");
  char *ct = vp_test_shared_file("verse/sub-verse005_ct.nii.gz");
  if (!mask || !ct) {
    print_message("skipped: the VerSe sub-verse005 files are not in VP_SHARED_DIR\n");
    free(mask);
    free(ct);
    skip();
  }
  /* A plan naming the mask, its label and the CT opens without questions. */
  VpError err;
  vp_error_clear(&err);
  VpCase *c = vp_case_from_mask(mask, 22, ct, NULL, NULL, &err);
  if (!c)
    fail_msg("%s", err.message);
  VpPlan *p = vp_plan_new("test", &err);
  assert_non_null(p);
  if (!vp_case_to_plan(c, p, &err))
    fail_msg("%s", err.message);
  char *dir = vp_test_fresh_dir("gui-anatomy-verse");
  char *path = vp_test_join(dir, "verse005-l3.vplan");
  assert_true(vp_plan_save(p, path, &err));
  vp_plan_free(p);
  vp_case_free(c);
  open_and_wait_for_anatomy(path, NULL);
  check_case("gui-anatomy-verse005-L3");
  free(path);
  free(dir);
  free(mask);
  free(ct);
}

int main(void)
{
  vp_test_gui_use_private_home();
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(the_anatomy_step_is_available),
    cmocka_unit_test(a_phantom_shows_its_anatomy),
    cmocka_unit_test(the_verse_l3_shows_its_anatomy),
  };
  return cmocka_run_group_tests(tests, start, vp_test_gui_stop);
}
