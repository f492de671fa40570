/* The planning workspace in the real window under Xvfb: the step sidebar and
 * its panels, the 2 x 2 view grid with slice views that show different
 * planes, the Case panel editing the plan (name, notes, measurements) with
 * undo, presentation mode, the preferences window and the layout a new
 * window starts with. Screenshots of every step go to the artifacts folder. */
#include "vp-test-gui.h"

#include <stdlib.h>
#include <string.h>

#include <gdk/x11/gdkx.h>

#include "vp-document.h"
#include "vp-preferences-window.h"
#include "vp-screenshot.h"
#include "vp-slice-widget.h"
#include "vp-test-image.h"
#include "vp-test-util.h"

static const char *const step_ids[] = {"case", "anatomy", "lesion", "trajectory", "cement",
                                       "report"};
static const char *const step_titles[] = {"Case",       "Anatomy", "Lesion & Fracture",
                                          "Trajectory", "Cement",  "Report"};

static int start(void **state)
{
  assert_non_null(g_getenv("VP_CASES_DIR"));
  return vp_test_gui_start(state);
}

/* ---- Helpers ---- */

static void go_to_step(const char *step)
{
  g_action_group_activate_action(G_ACTION_GROUP(vp_test_window), "step",
                                 g_variant_new_string(step));
}

static void set_layout(const char *layout)
{
  g_action_group_activate_action(G_ACTION_GROUP(vp_test_window), "layout",
                                 g_variant_new_string(layout));
}

static const VpPlan *plan(void)
{
  const VpDocument *doc = vp_window_get_document(vp_test_window);
  assert_non_null(doc);
  return vp_document_plan(doc);
}

/* Each test starts from the case as it comes: the changes of the test
 * before are discarded when the window asks about them. */
static void open_teaching_case_1(void)
{
  vp_test_close_dialogs();
  assert_true(vp_window_open_teaching_case(vp_test_window, "l1-osteoporotic-wedge"));
  assert_true(vp_test_wait_until(vp_test_window_is_not_loading));
  AdwMessageDialog *dialog = vp_test_find_message_dialog();
  if (dialog && adw_message_dialog_has_response(dialog, "discard")) {
    adw_message_dialog_response(dialog, "discard");
    vp_test_close_dialogs(); /* a response alone leaves the dialog up */
    assert_true(vp_test_wait_until(vp_test_window_is_not_loading));
    dialog = vp_test_find_message_dialog();
  }
  if (dialog)
    fail_msg("opening case 1: \"%s\" %s", adw_message_dialog_get_heading(dialog),
             adw_message_dialog_get_body(dialog));
  assert_string_equal(vp_window_get_page(vp_test_window), "view");
}

/* The sidebar's rows, found by the title of a step that is sure to be there. */
static GtkListBox *step_list(void)
{
  GtkWidget *label =
      vp_test_find_widget(GTK_WIDGET(vp_test_window), GTK_TYPE_LABEL, "Lesion & Fracture");
  assert_non_null(label);
  GtkWidget *list = gtk_widget_get_ancestor(label, GTK_TYPE_LIST_BOX);
  assert_non_null(list);
  return GTK_LIST_BOX(list);
}

/* ---- The sidebar and the steps ---- */

static void the_sidebar_lists_the_six_steps_in_procedure_order(void **state)
{
  GtkListBox *list = step_list();
  for (int i = 0; i < 6; i++) {
    GtkListBoxRow *row = gtk_list_box_get_row_at_index(list, i);
    assert_non_null(row);
    GtkWidget *title = vp_test_find_widget(GTK_WIDGET(row), GTK_TYPE_LABEL, step_titles[i]);
    if (!title)
      fail_msg("row %d is not \"%s\"", i, step_titles[i]);
    gboolean available = i <= 1; /* the Case and Anatomy steps are built so far */
    GtkWidget *marked =
        vp_test_find_widget(GTK_WIDGET(row), GTK_TYPE_LABEL, "Not available yet");
    assert_int_equal(marked != NULL, !available);
    assert_int_equal(gtk_widget_has_css_class(GTK_WIDGET(row), "vp-step-unavailable"),
                     !available);
    assert_true(gtk_list_box_row_get_selectable(row)); /* still readable */
  }
  assert_null(gtk_list_box_get_row_at_index(list, 6));
}

static void the_grid_layout_and_every_step_show_their_panel(void **state)
{
  open_teaching_case_1();
  VpViewGrid *grid = vp_window_get_view_grid(vp_test_window);
  set_layout("single");
  assert_int_equal(vp_view_grid_get_layout(grid), VP_VIEW_LAYOUT_SINGLE);
  set_layout("grid");
  assert_int_equal(vp_view_grid_get_layout(grid), VP_VIEW_LAYOUT_GRID);

  GtkListBox *list = step_list();
  for (gsize i = 0; i < G_N_ELEMENTS(step_ids); i++) {
    go_to_step(step_ids[i]);
    assert_string_equal(vp_window_get_step(vp_test_window), step_ids[i]);
    GtkListBoxRow *selected = gtk_list_box_get_selected_row(list);
    assert_ptr_equal(selected, gtk_list_box_get_row_at_index(list, (int)i));
    vp_test_wait_for_settled_window();
    vp_test_wait_ms(300); /* the panels cross-fade */
    g_autofree char *name = g_strdup_printf("gui-workspace-%s.png", step_ids[i]);
    vp_test_screenshot_and_check(name);
    if (i > 0) /* the placeholder page says so */
      assert_non_null(vp_test_find_widget(GTK_WIDGET(vp_test_window), ADW_TYPE_STATUS_PAGE,
                                          NULL));
  }
  /* Selecting a row in the sidebar is the same as the action. */
  gtk_list_box_select_row(list, gtk_list_box_get_row_at_index(list, 0));
  assert_string_equal(vp_window_get_step(vp_test_window), "case");
  g_autoptr(GVariant) step =
      g_action_group_get_action_state(G_ACTION_GROUP(vp_test_window), "step");
  assert_string_equal(g_variant_get_string(step, NULL), "case");
}

static void the_three_slice_panes_show_different_planes(void **state)
{
  open_teaching_case_1();
  set_layout("grid");
  VpViewGrid *grid = vp_window_get_view_grid(vp_test_window);
  VpViewPane *fourth = vp_view_grid_get_pane(grid, 3);
  VpViewType fourth_type = vp_view_pane_get_view_type(fourth);
  vp_view_pane_set_view_type(fourth, VP_VIEW_TYPE_CORONAL);
  vp_test_wait_for_settled_window();

  cairo_surface_t *shots[3];
  for (guint i = 0; i < 3; i++) {
    GtkWidget *view = vp_view_pane_get_view(vp_view_grid_get_pane(grid, i + 1));
    assert_true(VP_IS_SLICE_WIDGET(view));
    g_autofree char *name = g_strdup_printf("gui-workspace-slice-%u.png", i + 1);
    shots[i] = vp_test_capture_widget(view, name);
    double drawn = vp_test_fraction_differing(shots[i], vp_test_pixel(shots[i], 0, 0), 8);
    print_message("%s: %.1f %% differ from the top-left pixel\n", name, 100 * drawn);
    assert_true(drawn > 0.05); /* bone, contour and crosshair, not a blank view */
  }
  for (int i = 0; i < 3; i++) {
    for (int j = i + 1; j < 3; j++) {
      double different = vp_test_fraction_changed(shots[i], shots[j], 24);
      print_message("slice panes %d and %d: %.1f %% of the pixels differ\n", i + 1, j + 1,
                    100 * different);
      assert_true(different > 0.05);
    }
  }
  for (int i = 0; i < 3; i++)
    cairo_surface_destroy(shots[i]);
  vp_view_pane_set_view_type(fourth, fourth_type);
}

/* ---- The Case panel ---- */

/* As the row's apply button does. */
static void apply_text(AdwEntryRow *row, const char *text)
{
  gtk_editable_set_text(GTK_EDITABLE(row), text);
  g_signal_emit_by_name(row, "apply");
}

static void renaming_the_case_is_one_undoable_edit(void **state)
{
  open_teaching_case_1();
  go_to_step("case");
  GtkWidget *row = vp_test_find_widget(GTK_WIDGET(vp_test_window), ADW_TYPE_ENTRY_ROW, "Name");
  assert_non_null(row);
  g_autofree char *before = g_strdup(plan()->case_info.name);

  /* Typing alone changes nothing; applying does. */
  gtk_editable_set_text(GTK_EDITABLE(row), "Practice case");
  assert_string_equal(plan()->case_info.name, before);
  apply_text(ADW_ENTRY_ROW(row), "Practice case");
  assert_string_equal(plan()->case_info.name, "Practice case");
  vp_test_assert_status_contains("Practice case");

  g_action_group_activate_action(G_ACTION_GROUP(vp_test_window), "undo", NULL);
  assert_string_equal(plan()->case_info.name, before);
  assert_string_not_equal(gtk_editable_get_text(GTK_EDITABLE(row)), "Practice case");
}

static void notes_are_committed_when_they_lose_focus(void **state)
{
  open_teaching_case_1();
  go_to_step("case");
  vp_test_wait_for_settled_window();
  GtkWidget *notes = vp_test_find_widget(GTK_WIDGET(vp_test_window), GTK_TYPE_TEXT_VIEW, NULL);
  assert_non_null(notes);
  assert_true(gtk_widget_grab_focus(notes));
  gtk_text_buffer_set_text(gtk_text_view_get_buffer(GTK_TEXT_VIEW(notes)),
                           "Check the posterior wall on the sagittal view.", -1);
  assert_null(plan()->case_info.notes); /* not per keystroke */
  GtkWidget *name = vp_test_find_widget(GTK_WIDGET(vp_test_window), ADW_TYPE_ENTRY_ROW, "Name");
  assert_true(gtk_widget_grab_focus(name));
  assert_non_null(plan()->case_info.notes);
  assert_string_equal(plan()->case_info.notes, "Check the posterior wall on the sagittal view.");
}

static GtkWidget *measurement_row(const char *kind)
{
  GtkWidget *heading =
      vp_test_find_widget(GTK_WIDGET(vp_test_window), GTK_TYPE_LABEL, "Measurements");
  assert_non_null(heading);
  GtkWidget *group = gtk_widget_get_ancestor(heading, ADW_TYPE_PREFERENCES_GROUP);
  return vp_test_find_widget(group, ADW_TYPE_ACTION_ROW, kind);
}

static void measurements_are_listed_with_units_and_can_be_deleted(void **state)
{
  open_teaching_case_1();
  go_to_step("case");
  VpViewContext *context = vp_window_get_view_context(vp_test_window);
  VpPlanMeasurement distance = {.kind = VP_MEASUREMENT_DISTANCE,
                                .points_mm = {{0, 0, 0}, {3, 4, 0}, {0, 0, 0}}};
  VpPlanMeasurement angle = {.kind = VP_MEASUREMENT_ANGLE,
                             .points_mm = {{10, 0, 0}, {0, 0, 0}, {0, 10, 0}}};
  vp_view_context_create_measurement(context, &distance);
  vp_view_context_create_measurement(context, &angle);
  assert_int_equal(plan()->measurement_count, 2);
  gsize shown = 0;
  vp_view_context_get_measurements(context, &shown);
  assert_int_equal(shown, 2);

  GtkWidget *row = measurement_row("Distance");
  assert_non_null(row);
  assert_non_null(vp_test_find_widget(row, GTK_TYPE_LABEL, "5.0 mm"));
  row = measurement_row("Angle");
  assert_non_null(row);
  assert_non_null(vp_test_find_widget(row, GTK_TYPE_LABEL, "90.0°"));
  vp_test_wait_for_settled_window();
  vp_test_screenshot_and_check("gui-workspace-measurements.png");

  GtkWidget *delete = vp_test_find_widget(row, GTK_TYPE_BUTTON, NULL);
  assert_non_null(delete);
  assert_string_equal(gtk_widget_get_tooltip_text(delete), "Delete Measurement");
  g_signal_emit_by_name(delete, "clicked");
  assert_int_equal(plan()->measurement_count, 1);
  assert_int_equal(plan()->measurements[0].kind, VP_MEASUREMENT_DISTANCE);
  vp_view_context_get_measurements(context, &shown);
  assert_int_equal(shown, 1);
  assert_null(measurement_row("Angle"));

  g_action_group_activate_action(G_ACTION_GROUP(vp_test_window), "undo", NULL);
  assert_int_equal(plan()->measurement_count, 2);
  assert_non_null(measurement_row("Angle"));
}

static void the_measure_tool_action_sets_the_views_tool(void **state)
{
  open_teaching_case_1();
  VpViewContext *context = vp_window_get_view_context(vp_test_window);
  g_action_group_activate_action(G_ACTION_GROUP(vp_test_window), "measure-tool",
                                 g_variant_new_string("angle"));
  assert_int_equal(vp_view_context_get_tool(context), VP_MEASURE_TOOL_ANGLE);
  vp_view_context_set_tool(context, VP_MEASURE_TOOL_NONE); /* as a view ending it */
  g_autoptr(GVariant) tool =
      g_action_group_get_action_state(G_ACTION_GROUP(vp_test_window), "measure-tool");
  assert_string_equal(g_variant_get_string(tool, NULL), "none");
}

static void the_window_presets_set_every_slice_views_window(void **state)
{
  open_teaching_case_1();
  VpViewContext *context = vp_window_get_view_context(vp_test_window);
  g_action_group_activate_action(G_ACTION_GROUP(vp_test_window), "window-preset",
                                 g_variant_new_string("soft-tissue"));
  VpWindowLevel wl = vp_view_context_get_window_level(context);
  assert_float_equal(wl.window_hu, 400.0, 1e-9);
  assert_float_equal(wl.level_hu, 40.0, 1e-9);
  g_action_group_activate_action(G_ACTION_GROUP(vp_test_window), "window-preset",
                                 g_variant_new_string("bone"));
  wl = vp_view_context_get_window_level(context);
  assert_float_equal(wl.window_hu, 2000.0, 1e-9);
  assert_float_equal(wl.level_hu, 500.0, 1e-9);
}

/* ---- Presentation mode ---- */

/* Full screen is the window manager's to grant: Xvfb alone has none. */
static gboolean can_go_full_screen(void)
{
  GdkDisplay *display = gtk_widget_get_display(GTK_WIDGET(vp_test_window));
  if (!GDK_IS_X11_DISPLAY(display))
    return TRUE;
  return gdk_x11_screen_supports_net_wm_hint(gdk_x11_display_get_screen(display),
                                             "_NET_WM_STATE_FULLSCREEN");
}

static gboolean is_fullscreen(void)
{
  return gtk_window_is_fullscreen(GTK_WINDOW(vp_test_window));
}

static gboolean is_not_fullscreen(void)
{
  return !is_fullscreen();
}

static void presentation_mode_goes_full_screen_with_larger_text(void **state)
{
  open_teaching_case_1();
  VpViewContext *context = vp_window_get_view_context(vp_test_window);
  GtkWidget *label = vp_test_find_widget(GTK_WIDGET(vp_test_window), GTK_TYPE_LABEL, "Anatomy");
  double size_before = 0;
  {
    PangoContext *pango = gtk_widget_get_pango_context(label);
    size_before = pango_font_description_get_size(pango_context_get_font_description(pango));
  }
  g_action_group_activate_action(G_ACTION_GROUP(vp_test_window), "presentation", NULL);
  assert_true(gtk_widget_has_css_class(GTK_WIDGET(vp_test_window), "presentation"));
  assert_true(vp_view_context_get_presentation(context));
  gboolean full_screen = can_go_full_screen();
  if (full_screen)
    assert_true(vp_test_wait_until(is_fullscreen));
  else
    print_message("no window manager grants full screen here: not checked\n");
  vp_test_wait_for_settled_window();
  double size_during =
      pango_font_description_get_size(pango_context_get_font_description(
          gtk_widget_get_pango_context(label)));
  print_message("sidebar font: %.1f pt, %.1f pt in presentation mode\n",
                size_before / PANGO_SCALE, size_during / PANGO_SCALE);
  assert_true(size_during > 1.2 * size_before);
  vp_test_screenshot_and_check("gui-workspace-presentation.png");

  g_action_group_activate_action(G_ACTION_GROUP(vp_test_window), "presentation", NULL);
  assert_false(gtk_widget_has_css_class(GTK_WIDGET(vp_test_window), "presentation"));
  assert_false(vp_view_context_get_presentation(context));
  assert_true(vp_test_wait_until(is_not_fullscreen));
  g_autoptr(GVariant) presenting =
      g_action_group_get_action_state(G_ACTION_GROUP(vp_test_window), "presentation");
  assert_false(g_variant_get_boolean(presenting));
}

/* ---- Preferences and the layout of a new window ---- */

static GtkWindow *find_preferences(void)
{
  GtkWindow *found = NULL;
  GList *toplevels = gtk_window_list_toplevels();
  for (GList *l = toplevels; l && !found; l = l->next) {
    if (VP_IS_PREFERENCES_WINDOW(l->data) && gtk_widget_get_visible(l->data))
      found = l->data;
  }
  g_list_free(toplevels);
  return found;
}

static gboolean preferences_shown(void)
{
  return find_preferences() != NULL;
}

static GtkSpinButton *spin_of_row(GtkWindow *prefs, const char *title)
{
  GtkWidget *row = vp_test_find_widget(GTK_WIDGET(prefs), ADW_TYPE_ACTION_ROW, title);
  if (!row)
    fail_msg("no row \"%s\" in the preferences", title);
  GtkWidget *spin = vp_test_find_widget(row, GTK_TYPE_SPIN_BUTTON, NULL);
  assert_non_null(spin);
  return GTK_SPIN_BUTTON(spin);
}

static void the_preferences_change_their_keys(void **state)
{
  vp_test_close_dialogs();
  g_autoptr(GSettings) settings = g_settings_new("io.github.vertebraplanner.VertebraPlanner");
  assert_int_equal(g_settings_get_int(settings, "needle-gauge"), 11);
  g_action_group_activate_action(G_ACTION_GROUP(vp_test_app), "preferences", NULL);
  assert_true(vp_test_wait_until(preferences_shown));
  GtkWindow *prefs = find_preferences();
  vp_test_screenshot_dialog(prefs, "gui-preferences.png");

  GtkWidget *gauge =
      vp_test_find_widget(GTK_WIDGET(prefs), ADW_TYPE_COMBO_ROW, "Default Needle Gauge");
  assert_non_null(gauge);
  assert_int_equal(adw_combo_row_get_selected(ADW_COMBO_ROW(gauge)), 1); /* 11 G */
  adw_combo_row_set_selected(ADW_COMBO_ROW(gauge), 2);
  assert_int_equal(g_settings_get_int(settings, "needle-gauge"), 13);

  GtkSpinButton *low = spin_of_row(prefs, "Lowest Target Fill");
  assert_float_equal(gtk_spin_button_get_value(low), 15.0, 1e-9);
  gtk_spin_button_set_value(low, 20);
  assert_float_equal(g_settings_get_double(settings, "fill-fraction-min"), 0.20, 1e-9);
  gtk_spin_button_set_value(low, 40); /* above the highest: the highest follows */
  assert_float_equal(g_settings_get_double(settings, "fill-fraction-max"), 0.40, 1e-9);

  GtkSpinButton *autosave = spin_of_row(prefs, "Autosave Interval");
  assert_float_equal(gtk_spin_button_get_value(autosave), 60.0, 1e-9);
  gtk_spin_button_set_value(autosave, 120);
  assert_int_equal(g_settings_get_int(settings, "autosave-interval"), 120);

  GtkWidget *layout =
      vp_test_find_widget(GTK_WIDGET(prefs), ADW_TYPE_COMBO_ROW, "Layout of a New Window");
  assert_non_null(layout);
  adw_preferences_window_set_visible_page(
      ADW_PREFERENCES_WINDOW(prefs),
      ADW_PREFERENCES_PAGE(gtk_widget_get_ancestor(layout, ADW_TYPE_PREFERENCES_PAGE)));
  vp_test_screenshot_dialog(prefs, "gui-preferences-workspace.png");
  assert_int_equal(adw_combo_row_get_selected(ADW_COMBO_ROW(layout)), 1); /* four views */
  adw_combo_row_set_selected(ADW_COMBO_ROW(layout), 0);
  g_autofree char *chosen = g_settings_get_string(settings, "default-layout");
  assert_string_equal(chosen, "single");

  const char *keys[] = {"needle-gauge", "fill-fraction-min", "fill-fraction-max",
                        "autosave-interval", "default-layout"};
  for (gsize i = 0; i < G_N_ELEMENTS(keys); i++)
    g_settings_reset(settings, keys[i]);
  vp_test_close_dialogs();
}

static void the_default_layout_decides_how_a_new_window_starts(void **state)
{
  g_autoptr(GSettings) settings = g_settings_new("io.github.vertebraplanner.VertebraPlanner");
  assert_int_equal(vp_view_grid_get_layout(vp_window_get_view_grid(vp_test_window)),
                   VP_VIEW_LAYOUT_GRID); /* the default */
  g_settings_set_string(settings, "default-layout", "single");
  VpWindow *window = vp_window_new(GTK_APPLICATION(vp_test_app));
  assert_int_equal(vp_view_grid_get_layout(vp_window_get_view_grid(window)),
                   VP_VIEW_LAYOUT_SINGLE);
  g_autoptr(GVariant) layout = g_action_group_get_action_state(G_ACTION_GROUP(window), "layout");
  assert_string_equal(g_variant_get_string(layout, NULL), "single");
  gtk_window_destroy(GTK_WINDOW(window));
  g_settings_reset(settings, "default-layout");
}

int main(void)
{
  vp_test_gui_use_private_home();
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(the_sidebar_lists_the_six_steps_in_procedure_order),
    cmocka_unit_test(the_default_layout_decides_how_a_new_window_starts),
    cmocka_unit_test(the_grid_layout_and_every_step_show_their_panel),
    cmocka_unit_test(the_three_slice_panes_show_different_planes),
    cmocka_unit_test(renaming_the_case_is_one_undoable_edit),
    cmocka_unit_test(notes_are_committed_when_they_lose_focus),
    cmocka_unit_test(measurements_are_listed_with_units_and_can_be_deleted),
    cmocka_unit_test(the_measure_tool_action_sets_the_views_tool),
    cmocka_unit_test(the_window_presets_set_every_slice_views_window),
    cmocka_unit_test(presentation_mode_goes_full_screen_with_larger_text),
    cmocka_unit_test(the_preferences_change_their_keys),
  };
  return cmocka_run_group_tests_name("gui-workspace", tests, start, vp_test_gui_stop);
}
