/* The teaching cases in the real window under Xvfb: listed on the welcome
 * page and in the Samples menu, each opening as the vertebra it claims to be
 * with its teaching note in the Case step's panel, and a window without cases. */
#include "vp-test-gui.h"

#include <stdlib.h>
#include <string.h>

#include "vp-teaching-cases.h"
#include "vp-test-util.h"

static int start(void **state)
{
  /* The build's cases folder: tests/meson.build points VP_CASES_DIR at it. */
  assert_non_null(g_getenv("VP_CASES_DIR"));
  return vp_test_gui_start(state);
}

/* ---- Helpers ---- */

static GtkWidget *find_row(const char *title)
{
  GtkWidget *row = vp_test_find_widget(GTK_WIDGET(vp_test_window), ADW_TYPE_ACTION_ROW, title);
  if (!row)
    fail_msg("the welcome page has no teaching case \"%s\"", title);
  return row;
}

static GtkWidget *note_label;

static gboolean note_is_shown(void)
{
  return gtk_widget_get_mapped(note_label) && gtk_widget_get_width(note_label) > 0;
}

/* The Case panel shows a teaching note that begins with note_start. */
static void assert_note_shown(const char *note_start)
{
  note_label = vp_test_find_widget(GTK_WIDGET(vp_test_window), GTK_TYPE_LABEL, note_start);
  if (!note_label)
    fail_msg("no teaching note \"%s…\" in the window", note_start);
  assert_true(g_str_has_prefix(gtk_label_get_text(GTK_LABEL(note_label)), note_start));
  GtkWidget *group = gtk_widget_get_ancestor(note_label, ADW_TYPE_PREFERENCES_GROUP);
  assert_non_null(group);
  assert_string_equal(adw_preferences_group_get_title(ADW_PREFERENCES_GROUP(group)),
                      "Teaching Note");
  assert_true(gtk_widget_get_visible(group));
  assert_true(vp_test_wait_until(note_is_shown));
}

/* The teaching note's group in the Case panel. */
static GtkWidget *note_group(void)
{
  GtkWidget *heading =
      vp_test_find_widget(GTK_WIDGET(vp_test_window), GTK_TYPE_LABEL, "Teaching Note");
  assert_non_null(heading);
  GtkWidget *group = gtk_widget_get_ancestor(heading, ADW_TYPE_PREFERENCES_GROUP);
  assert_non_null(group);
  return group;
}

static void go_to_step(const char *step)
{
  g_action_group_activate_action(G_ACTION_GROUP(vp_test_window), "step",
                                 g_variant_new_string(step));
}

/* Activates the welcome page's row, as a click or Enter does, and waits for the case. */
static void open_from_welcome(const char *title)
{
  vp_test_close_dialogs();
  gtk_widget_activate(find_row(title));
  assert_true(vp_test_wait_until(vp_test_window_is_not_loading));
  if (vp_test_find_message_dialog())
    fail_msg("opening \"%s\": %s", title,
             adw_message_dialog_get_body(vp_test_find_message_dialog()));
  assert_string_equal(vp_window_get_page(vp_test_window), "view");
}

static void assert_case(const char *title, const char *level, const char *note_start)
{
  const VpCase *c = vp_window_get_case(vp_test_window);
  assert_non_null(c);
  assert_string_equal(c->level, level);
  assert_non_null(c->ct); /* every teaching case comes with its CT */
  vp_test_assert_status_contains(title);
  assert_note_shown(note_start);
}

static void open_and_check(const char *title, const char *level, const char *note_start)
{
  open_from_welcome(title);
  assert_case(title, level, note_start);
}

/* The primary menu's model, from the header bar's main menu button. */
static GMenuModel *find_primary_menu(GtkWidget *widget)
{
  if (GTK_IS_MENU_BUTTON(widget) && gtk_menu_button_get_primary(GTK_MENU_BUTTON(widget)))
    return gtk_menu_button_get_menu_model(GTK_MENU_BUTTON(widget));
  for (GtkWidget *child = gtk_widget_get_first_child(widget); child;
       child = gtk_widget_get_next_sibling(child)) {
    GMenuModel *found = find_primary_menu(child);
    if (found)
      return found;
  }
  return NULL;
}

/* The submenu labelled label in any section of menu, or NULL. */
static GMenuModel *find_submenu(GMenuModel *menu, const char *label)
{
  for (int i = 0; i < g_menu_model_get_n_items(menu); i++) {
    g_autofree char *item_label = NULL;
    g_menu_model_get_item_attribute(menu, i, G_MENU_ATTRIBUTE_LABEL, "s", &item_label);
    g_autoptr(GMenuModel) sub = g_menu_model_get_item_link(menu, i, G_MENU_LINK_SUBMENU);
    if (sub && g_strcmp0(item_label, label) == 0)
      return g_steal_pointer(&sub);
    g_autoptr(GMenuModel) section = g_menu_model_get_item_link(menu, i, G_MENU_LINK_SECTION);
    GMenuModel *found = section ? find_submenu(section, label) : NULL;
    if (found)
      return found;
  }
  return NULL;
}

/* ---- The welcome page ---- */

static void the_welcome_page_lists_the_six_teaching_cases(void **state)
{
  const char *titles[] = {
    "L1 osteoporotic wedge fracture, Genant grade 2",
    "L3 lytic metastasis breaking through the posterior wall",
    "T12 fracture with an intravertebral gas cleft (Kümmell)",
    "T8 metastasis: small pedicles, parapedicular route",
    "T5 with pedicles of about 4 mm",
    "L4 normal anatomy: free practice",
  };
  GtkWidget *first = find_row(titles[0]);
  assert_string_equal(adw_action_row_get_subtitle(ADW_ACTION_ROW(first)), "Case 1 · L1");
  GtkWidget *row = first;
  for (size_t i = 1; i < G_N_ELEMENTS(titles); i++) {
    row = gtk_widget_get_next_sibling(row); /* in the index's order */
    assert_non_null(row);
    assert_string_equal(adw_preferences_row_get_title(ADW_PREFERENCES_ROW(row)), titles[i]);
  }
  assert_null(gtk_widget_get_next_sibling(row));
  assert_true(gtk_widget_is_visible(first));
  vp_test_wait_for_settled_window();
  char *path = vp_test_artifact_path("gui-welcome-cases.png");
  g_autoptr(GError) error = NULL;
  if (!vp_window_save_screenshot(vp_test_window, path, &error))
    fail_msg("screenshot %s: %s", path, error->message);
  free(path);
}

/* ---- Each case ---- */

static void case_1_opens_as_an_l1_wedge_fracture_with_its_note(void **state)
{
  open_and_check("L1 osteoporotic wedge fracture, Genant grade 2", "L1",
                 "An osteoporotic L1 (trabecular bone about 85 HU) with a wedge compression");
}

static void case_2_opens_as_an_l3_lytic_metastasis_with_its_note(void **state)
{
  open_and_check("L3 lytic metastasis breaking through the posterior wall", "L3",
                 "A lytic metastasis fills the posterior half of the L3 body");
}

static void case_3_opens_as_a_t12_kummell_cleft_with_its_note(void **state)
{
  open_and_check("T12 fracture with an intravertebral gas cleft (Kümmell)", "T12",
                 "T12 has collapsed in a wedge fracture and holds a gas-filled cleft");
}

static void case_4_opens_as_a_t8_metastasis_with_its_note(void **state)
{
  open_and_check("T8 metastasis: small pedicles, parapedicular route", "T8",
                 "A lytic metastasis sits in the left half of the T8 body.");
}

static void case_5_opens_as_a_t5_with_narrow_pedicles_with_its_note(void **state)
{
  open_and_check("T5 with pedicles of about 4 mm", "T5",
                 "An osteoporotic T5 with a mild wedge fracture and pedicles only about");
}

static void case_6_opens_as_a_normal_l4_with_its_note(void **state)
{
  open_and_check("L4 normal anatomy: free practice", "L4",
                 "A normal L4 with healthy bone and no fracture, for free practice.");
}

static void case_1_screenshot_shows_the_vertebra_and_its_note(void **state)
{
  open_from_welcome("L1 osteoporotic wedge fracture, Genant grade 2");
  assert_note_shown("An osteoporotic L1");
  vp_test_wait_for_settled_window();
  vp_test_screenshot_and_check("gui-case-1.png");
}

/* ---- The Samples menu and the note button ---- */

static void the_samples_menu_lists_the_cases_and_opens_case_3(void **state)
{
  GMenuModel *primary = find_primary_menu(GTK_WIDGET(vp_test_window));
  assert_non_null(primary);
  g_autoptr(GMenuModel) samples = find_submenu(primary, "_Samples");
  assert_non_null(samples);
  assert_int_equal(g_menu_model_get_n_items(samples), 6);
  g_autofree char *action = NULL;
  g_autoptr(GVariant) target = g_menu_model_get_item_attribute_value(
      samples, 2, G_MENU_ATTRIBUTE_TARGET, G_VARIANT_TYPE_STRING); /* the third: case 3 */
  assert_non_null(target);
  assert_true(g_menu_model_get_item_attribute(samples, 2, G_MENU_ATTRIBUTE_ACTION, "s", &action));
  assert_string_equal(action, "win.open-sample");

  vp_test_close_dialogs();
  g_action_group_activate_action(G_ACTION_GROUP(vp_test_window), "open-sample", target);
  assert_true(vp_test_wait_until(vp_test_window_is_not_loading));
  assert_case("T12 fracture with an intravertebral gas cleft (Kümmell)", "T12",
              "T12 has collapsed in a wedge fracture");
}

static gboolean note_is_hidden(void)
{
  return !gtk_widget_get_mapped(note_label);
}

static void the_note_goes_with_the_case_step(void **state)
{
  open_from_welcome("L4 normal anatomy: free practice");
  assert_note_shown("A normal L4");
  go_to_step("trajectory");
  assert_true(vp_test_wait_until(note_is_hidden));
  go_to_step("case");
  assert_true(vp_test_wait_until(note_is_shown));
}

static void a_mesh_without_a_note_hides_the_note(void **state)
{
  VpMesh *sphere = vp_test_make_uv_sphere(20.0, 16, 32);
  char *path = vp_test_tmp_path("sphere-no-note.stl");
  VpError err;
  assert_true(vp_mesh_save_stl(sphere, path, &err));
  vp_mesh_free(sphere);
  vp_test_close_dialogs();
  vp_test_open_and_wait(path);
  vp_test_assert_status_contains("sphere-no-note");
  assert_false(gtk_widget_get_visible(note_group()));
  free(path);
}

/* ---- No cases ---- */

static void a_missing_cases_folder_hides_the_list_and_the_samples(void **state)
{
  g_autofree char *saved = g_strdup(g_getenv("VP_CASES_DIR"));
  char *missing = vp_test_tmp_path("no-such-cases-folder");
  g_setenv("VP_CASES_DIR", missing, TRUE);
  VpWindow *window = vp_window_new(GTK_APPLICATION(vp_test_app));
  g_setenv("VP_CASES_DIR", saved, TRUE);
  gtk_window_present(GTK_WINDOW(window));

  GtkWidget *heading = vp_test_find_widget(GTK_WIDGET(window), GTK_TYPE_LABEL, "Teaching Cases");
  assert_non_null(heading);
  assert_false(gtk_widget_is_visible(heading));
  assert_null(vp_test_find_widget(GTK_WIDGET(window), ADW_TYPE_ACTION_ROW, "L1 osteoporotic"));
  assert_false(g_action_group_get_action_enabled(G_ACTION_GROUP(window), "open-sample"));
  assert_null(find_submenu(find_primary_menu(GTK_WIDGET(window)), "_Samples"));
  assert_false(vp_window_open_teaching_case(window, "l1-osteoporotic-wedge"));
  assert_false(vp_window_is_loading(window));
  gtk_window_destroy(GTK_WINDOW(window));
  free(missing);
}

/* ---- A broken index ---- */

/* A folder holding a cases.json with text; returns the folder. */
static char *write_index(const char *folder_name, const char *text)
{
  char *dir = vp_test_tmp_path(folder_name);
  g_mkdir_with_parents(dir, 0755);
  g_autofree char *path = g_build_filename(dir, "cases.json", NULL);
  assert_true(g_file_set_contents(path, text, -1, NULL));
  return dir;
}

static void an_index_that_is_not_json_is_refused_with_a_reason(void **state)
{
  char *dir =
      write_index("cases-not-json", "{\"format\": \"vertebra-planner-cases\", \"cases\": [");
  g_autoptr(GError) error = NULL;
  assert_null(vp_teaching_cases_load(dir, &error));
  assert_non_null(error);
  assert_non_null(strstr(error->message, "is not valid JSON"));
  free(dir);
}

static void an_index_pointing_outside_its_folder_is_refused(void **state)
{
  char *dir = write_index("cases-escape",
                          "{\"format\": \"vertebra-planner-cases\", \"version\": 1, \"cases\": "
                          "[{\"id\": \"x\", \"level\": \"L1\", \"file\": \"../x.vplan\"}]}");
  g_autoptr(GError) error = NULL;
  assert_null(vp_teaching_cases_load(dir, &error));
  assert_non_null(error);
  assert_non_null(strstr(error->message, "no plan file name"));
  free(dir);
}

int main(void)
{
  vp_test_gui_use_private_home();
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(the_welcome_page_lists_the_six_teaching_cases),
    cmocka_unit_test(case_1_opens_as_an_l1_wedge_fracture_with_its_note),
    cmocka_unit_test(case_2_opens_as_an_l3_lytic_metastasis_with_its_note),
    cmocka_unit_test(case_3_opens_as_a_t12_kummell_cleft_with_its_note),
    cmocka_unit_test(case_4_opens_as_a_t8_metastasis_with_its_note),
    cmocka_unit_test(case_5_opens_as_a_t5_with_narrow_pedicles_with_its_note),
    cmocka_unit_test(case_6_opens_as_a_normal_l4_with_its_note),
    cmocka_unit_test(case_1_screenshot_shows_the_vertebra_and_its_note),
    cmocka_unit_test(the_samples_menu_lists_the_cases_and_opens_case_3),
    cmocka_unit_test(the_note_goes_with_the_case_step),
    cmocka_unit_test(a_mesh_without_a_note_hides_the_note),
    cmocka_unit_test(a_missing_cases_folder_hides_the_list_and_the_samples),
    cmocka_unit_test(an_index_that_is_not_json_is_refused_with_a_reason),
    cmocka_unit_test(an_index_pointing_outside_its_folder_is_refused),
  };
  return cmocka_run_group_tests_name("gui-cases", tests, start, vp_test_gui_stop);
}
