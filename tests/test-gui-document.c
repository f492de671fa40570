/* The document in the real window under Xvfb: measurements made through the
 * view context become undoable edits (undo and redo give back the plan's
 * JSON exactly), the title's unsaved mark, Save, Save As through the file
 * chooser and reopening what was saved, the question when closing with
 * unsaved changes, a save that fails, and recovery after a real crash: a
 * child process autosaves, is killed with SIGKILL, and the next start offers
 * its work back. */
#include "vp-test-gui.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vp-config.h"
#include "vp-recovery.h"
#include "vp-test-util.h"
/* For vp_window_document_may_replace() only, which the window's ways of
 * opening a file call before they open one. */
#include "vp-window-private.h"

#define TEACHING_CASE "6-l4-normal"
#define CHILD_FLAG "--child-autosave"
/* Smallest interval the schema allows. */
#define CHILD_AUTOSAVE_S 5
#define CHILD_READY_TIMEOUT_S 120

static char *cases_plan;    /* the teaching case's plan in the cases folder */
static char *plans_dir;     /* copies of it the tests save over */
static char *state_dir;     /* XDG_STATE_HOME of this process and its child */
static char *recovery_dir;  /* state_dir/vertebra-planner/recovery */

/* ---- Plans ---- */

/* A copy of the teaching case's plan at dir/name, its sources still found
 * (saved again, so their paths are relative to the new folder). */
static char *copy_plan(const char *dir, const char *name)
{
  VpError err;
  VpPlan *plan = vp_plan_load(cases_plan, NULL, &err);
  if (!plan)
    fail_msg("cannot read %s: %s", cases_plan, err.message);
  char *path = vp_test_join(dir, name);
  if (!vp_plan_save(plan, path, &err))
    fail_msg("cannot write %s: %s", path, err.message);
  vp_plan_free(plan);
  return path;
}

static const VpDocument *document_of(VpWindow *window)
{
  return vp_window_get_document(window);
}

static const VpPlan *plan_of(VpWindow *window)
{
  const VpDocument *doc = document_of(window);
  assert_non_null(doc);
  return vp_document_plan(doc);
}

static char *plan_json(VpWindow *window)
{
  VpError err;
  char *json = vp_plan_to_json(plan_of(window), NULL, &err);
  assert_non_null(json);
  return json;
}

static void assert_json_equal(const char *expected, const char *actual, const char *what)
{
  if (strcmp(expected, actual) != 0)
    fail_msg("%s: the plan differs.\nexpected:\n%s\nactual:\n%s", what, expected, actual);
}

static VpPlanMeasurement distance(double x0, double x1)
{
  VpPlanMeasurement m = {.kind = VP_MEASUREMENT_DISTANCE};
  m.points_mm[0][0] = x0;
  m.points_mm[1][0] = x1;
  m.points_mm[1][1] = 4.0;
  return m;
}

static VpPlanMeasurement angle(void)
{
  VpPlanMeasurement m = {.kind = VP_MEASUREMENT_ANGLE};
  double points[3][3] = {{10, 0, 0}, {0, 0, 0}, {0, 10, 5}};
  memcpy(m.points_mm, points, sizeof points);
  return m;
}

/* As a view does when the user completes a measurement. */
static void measure(VpWindow *window, const VpPlanMeasurement *m)
{
  vp_view_context_create_measurement(vp_window_get_view_context(window), m);
}

static void activate(VpWindow *window, const char *action)
{
  g_action_group_activate_action(G_ACTION_GROUP(window), action, NULL);
}

static gboolean action_enabled(VpWindow *window, const char *action)
{
  return g_action_group_get_action_enabled(G_ACTION_GROUP(window), action);
}

static GtkWidget *find_actionable(GtkWidget *root, const char *action)
{
  if (GTK_IS_ACTIONABLE(root) &&
      g_strcmp0(gtk_actionable_get_action_name(GTK_ACTIONABLE(root)), action) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child(root); child;
       child = gtk_widget_get_next_sibling(child)) {
    GtkWidget *found = find_actionable(child, action);
    if (found)
      return found;
  }
  return NULL;
}

static void assert_tooltip(VpWindow *window, const char *action, const char *expected)
{
  GtkWidget *button = find_actionable(GTK_WIDGET(window), action);
  assert_non_null(button);
  assert_string_equal(gtk_widget_get_tooltip_text(button), expected);
}

static void assert_title(VpWindow *window, const char *expected)
{
  const char *title = gtk_window_get_title(GTK_WINDOW(window));
  if (g_strcmp0(title, expected) != 0)
    fail_msg("the window title is \"%s\", not \"%s\"", title, expected);
}

static VpWindow *waiting_window;

static gboolean waiting_window_is_done(void)
{
  return !vp_window_is_loading(waiting_window) || vp_window_get_open_dialog(waiting_window);
}

/* vp_window_open() replaces the case without asking, as tests want. */
static void open_in(VpWindow *window, const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path(path);
  vp_window_open(window, file);
  waiting_window = window;
  assert_true(vp_test_wait_until(waiting_window_is_done));
  if (!vp_window_has_case(window))
    fail_msg("%s did not open", path);
  assert_null(vp_window_get_open_dialog(window));
}

static VpWindow *new_window(void)
{
  VpWindow *window = vp_window_new(GTK_APPLICATION(vp_test_app));
  gtk_window_present(GTK_WINDOW(window));
  return window;
}

/* Clicks the dialog's button for response, as a user does. */
static void answer(AdwMessageDialog *dialog, const char *label)
{
  GtkWidget *button = vp_test_find_widget(GTK_WIDGET(dialog), GTK_TYPE_BUTTON, label);
  if (!button)
    fail_msg("the dialog \"%s\" has no button \"%s\"", adw_message_dialog_get_heading(dialog), label);
  g_signal_emit_by_name(button, "clicked");
  while (g_main_context_iteration(NULL, FALSE))
    ;
}

static AdwMessageDialog *wait_for_dialog(const char *heading_part)
{
  assert_true(vp_test_wait_until(vp_test_message_dialog_shown));
  AdwMessageDialog *dialog = vp_test_find_message_dialog();
  const char *heading = adw_message_dialog_get_heading(dialog);
  if (!strstr(heading, heading_part))
    fail_msg("the dialog says \"%s\" (%s), not \"%s\"", heading,
             adw_message_dialog_get_body(dialog), heading_part);
  return dialog;
}

/* ---- Undo and redo ---- */

static void undo_and_redo_give_back_the_plan_exactly(void **state)
{
  g_autofree char *path = copy_plan(plans_dir, "undo.vplan");
  open_in(vp_test_window, path);
  assert_title(vp_test_window, "undo.vplan");
  assert_false(vp_document_is_modified(document_of(vp_test_window)));
  assert_false(action_enabled(vp_test_window, "undo"));
  assert_false(action_enabled(vp_test_window, "redo"));
  assert_true(action_enabled(vp_test_window, "save"));
  g_autofree char *before = plan_json(vp_test_window);

  VpPlanMeasurement d = distance(1.5, 31.5);
  measure(vp_test_window, &d);
  assert_int_equal(plan_of(vp_test_window)->measurement_count, 1);
  assert_true(vp_document_is_modified(document_of(vp_test_window)));
  assert_title(vp_test_window, "• undo.vplan");
  GtkWidget *header_title = vp_test_find_widget(GTK_WIDGET(vp_test_window), ADW_TYPE_WINDOW_TITLE, NULL);
  assert_non_null(header_title);
  assert_string_equal(adw_window_title_get_title(ADW_WINDOW_TITLE(header_title)), "• undo.vplan");
  assert_true(action_enabled(vp_test_window, "undo"));
  assert_string_equal(vp_document_undo_label(document_of(vp_test_window)), "Add Distance");
  g_autofree char *one = plan_json(vp_test_window);

  VpPlanMeasurement a = angle();
  measure(vp_test_window, &a);
  assert_int_equal(plan_of(vp_test_window)->measurement_count, 2);
  assert_string_equal(vp_document_undo_label(document_of(vp_test_window)), "Add Angle");
  assert_tooltip(vp_test_window, "win.undo", "Undo Add Angle (Ctrl+Z)");
  assert_tooltip(vp_test_window, "win.redo", "Redo (Ctrl+Shift+Z)");
  g_autofree char *two = plan_json(vp_test_window);

  activate(vp_test_window, "undo");
  g_autofree char *undone_once = plan_json(vp_test_window);
  assert_json_equal(one, undone_once, "after one undo");
  assert_tooltip(vp_test_window, "win.redo", "Redo Add Angle (Ctrl+Shift+Z)");
  activate(vp_test_window, "undo");
  g_autofree char *undone_twice = plan_json(vp_test_window);
  assert_json_equal(before, undone_twice, "after two undos");
  assert_false(vp_document_is_modified(document_of(vp_test_window)));
  assert_title(vp_test_window, "undo.vplan");
  assert_false(action_enabled(vp_test_window, "undo"));
  assert_true(action_enabled(vp_test_window, "redo"));

  activate(vp_test_window, "redo");
  g_autofree char *redone_once = plan_json(vp_test_window);
  assert_json_equal(one, redone_once, "after one redo");
  activate(vp_test_window, "redo");
  g_autofree char *redone_twice = plan_json(vp_test_window);
  assert_json_equal(two, redone_twice, "after two redos");
  assert_false(action_enabled(vp_test_window, "redo"));
  assert_title(vp_test_window, "• undo.vplan");
}

/* ---- Saving ---- */

static gboolean recent_has(const char *path)
{
  g_autofree char *uri = g_filename_to_uri(path, NULL, NULL);
  return gtk_recent_manager_has_item(gtk_recent_manager_get_default(), uri);
}

static void save_writes_the_file_and_a_fresh_window_reopens_it(void **state)
{
  g_autofree char *path = copy_plan(plans_dir, "saved.vplan");
  open_in(vp_test_window, path);
  VpPlanMeasurement d = distance(-3.25, 17.0), a = angle();
  measure(vp_test_window, &d);
  measure(vp_test_window, &a);
  assert_title(vp_test_window, "• saved.vplan");
  g_autofree char *json = plan_json(vp_test_window);

  activate(vp_test_window, "save");
  assert_false(vp_document_is_modified(document_of(vp_test_window)));
  assert_title(vp_test_window, "saved.vplan");
  assert_null(vp_test_find_message_dialog());
  assert_true(recent_has(path));

  VpError err;
  VpPlan *on_disk = vp_plan_load(path, NULL, &err);
  assert_non_null(on_disk);
  assert_int_equal(on_disk->measurement_count, 2);
  vp_plan_free(on_disk);

  VpWindow *fresh = new_window();
  open_in(fresh, path);
  assert_title(fresh, "saved.vplan");
  g_autofree char *reopened = plan_json(fresh);
  assert_json_equal(json, reopened, "the saved plan opened again");
  const VpPlan *plan = plan_of(fresh);
  assert_int_equal(plan->measurement_count, 2);
  assert_int_equal(plan->measurements[0].kind, VP_MEASUREMENT_DISTANCE);
  assert_true(plan->measurements[0].points_mm[0][0] == -3.25);
  assert_int_equal(plan->measurements[1].kind, VP_MEASUREMENT_ANGLE);
  assert_false(vp_document_is_modified(document_of(fresh)));
  gtk_window_close(GTK_WINDOW(fresh)); /* nothing to ask: closes at once */
  while (g_main_context_iteration(NULL, FALSE))
    ;
  assert_null(vp_test_find_message_dialog());
}

static GtkFileChooser *find_file_chooser(void)
{
  GtkFileChooser *found = NULL;
  GList *toplevels = gtk_window_list_toplevels();
  for (GList *l = toplevels; l && !found; l = l->next) {
    if (GTK_IS_FILE_CHOOSER_DIALOG(l->data) && gtk_widget_get_visible(l->data))
      found = GTK_FILE_CHOOSER(l->data);
  }
  g_list_free(toplevels);
  return found;
}

static gboolean file_chooser_shown(void)
{
  return find_file_chooser() != NULL;
}

static gboolean title_is_saved_as(void)
{
  return g_strcmp0(gtk_window_get_title(GTK_WINDOW(vp_test_window)), "saved-as.vplan") == 0;
}

/* A teaching case is a starting point: Save asks where to keep the plan. */
static void a_teaching_case_is_saved_as_a_new_file(void **state)
{
  open_in(vp_test_window, cases_plan);
  const char *case_name = plan_of(vp_test_window)->case_info.name;
  assert_null(vp_document_path(document_of(vp_test_window)));
  assert_title(vp_test_window, case_name);
  VpPlanMeasurement d = distance(0, 25);
  measure(vp_test_window, &d);
  g_autofree char *marked = g_strdup_printf("• %s", case_name);
  assert_title(vp_test_window, marked);

  activate(vp_test_window, "save");
  if (!vp_test_wait_until(file_chooser_shown))
    fail_msg("Save of a plan never saved shows no file chooser");
  GtkFileChooser *chooser = find_file_chooser();
  assert_int_equal(gtk_file_chooser_get_action(chooser), GTK_FILE_CHOOSER_ACTION_SAVE);
  g_autofree char *suggested = gtk_file_chooser_get_current_name(chooser);
  g_autofree char *expected_name = g_strconcat(case_name, ".vplan", NULL);
  assert_string_equal(suggested, expected_name);

  /* Typed as a user may: a full path, without the extension (it is added). */
  g_autofree char *typed = vp_test_join(plans_dir, "saved-as");
  gtk_file_chooser_set_current_name(chooser, typed);
  GtkWidget *button = vp_test_find_widget(GTK_WIDGET(chooser), GTK_TYPE_BUTTON, "_Save");
  assert_non_null(button);
  g_signal_emit_by_name(button, "clicked");
  if (!vp_test_wait_until(title_is_saved_as))
    fail_msg("after Save As the title is \"%s\"", gtk_window_get_title(GTK_WINDOW(vp_test_window)));
  g_autofree char *saved = vp_test_join(plans_dir, "saved-as.vplan");
  assert_true(g_file_test(saved, G_FILE_TEST_IS_REGULAR));
  assert_string_equal(vp_document_path(document_of(vp_test_window)), saved);
  assert_false(vp_document_is_modified(document_of(vp_test_window)));
  VpError err;
  VpPlan *on_disk = vp_plan_load(saved, NULL, &err);
  assert_non_null(on_disk);
  assert_int_equal(on_disk->measurement_count, 1);
  vp_plan_free(on_disk);
}

static void a_failed_save_keeps_the_changes_and_says_why(void **state)
{
  g_autofree char *dir = vp_test_fresh_dir("read-only");
  g_autofree char *path = copy_plan(dir, "locked.vplan");
  open_in(vp_test_window, path);
  VpPlanMeasurement d = distance(2, 12);
  measure(vp_test_window, &d);

  /* root writes into read-only folders: for root the folder goes away instead */
  gboolean root = geteuid() == 0;
  g_autofree char *moved = g_strconcat(dir, "-moved", NULL);
  if (root)
    assert_int_equal(g_rename(dir, moved), 0);
  else
    assert_int_equal(g_chmod(dir, 0555), 0);
  activate(vp_test_window, "save");
  AdwMessageDialog *dialog = wait_for_dialog("Could not save “locked.vplan”");
  print_message("save error: %s\n", adw_message_dialog_get_body(dialog));
  assert_true(vp_document_is_modified(document_of(vp_test_window)));
  assert_title(vp_test_window, "• locked.vplan");
  answer(dialog, "_Close");
  if (root)
    assert_int_equal(g_rename(moved, dir), 0);
  else
    assert_int_equal(g_chmod(dir, 0755), 0);

  VpError err;
  VpPlan *on_disk = vp_plan_load(path, NULL, &err); /* the old file is untouched */
  assert_non_null(on_disk);
  assert_int_equal(on_disk->measurement_count, 0);
  vp_plan_free(on_disk);
  activate(vp_test_window, "save"); /* and saving works again once it can */
  assert_false(vp_document_is_modified(document_of(vp_test_window)));
}

/* ---- Closing ---- */

static void closing_with_unsaved_changes_asks_first(void **state)
{
  g_autofree char *path = copy_plan(plans_dir, "close.vplan");
  VpWindow *window = new_window();
  g_object_add_weak_pointer(G_OBJECT(window), (gpointer *)&window);
  open_in(window, path);
  VpPlanMeasurement d = distance(5, 45);
  measure(window, &d);

  gtk_window_close(GTK_WINDOW(window));
  AdwMessageDialog *dialog = wait_for_dialog("Save Changes to “close.vplan”?");
  assert_ptr_equal(gtk_window_get_transient_for(GTK_WINDOW(dialog)), window);
  vp_test_screenshot_dialog(GTK_WINDOW(dialog), "gui-save-changes-dialog.png");
  answer(dialog, "_Cancel");
  assert_non_null(window);
  assert_true(gtk_widget_get_visible(GTK_WIDGET(window)));
  assert_true(vp_document_is_modified(document_of(window)));
  assert_null(vp_test_find_message_dialog());

  gtk_window_close(GTK_WINDOW(window));
  answer(wait_for_dialog("Save Changes"), "_Discard");
  assert_null(window); /* closed, and gone */
  VpError err;
  VpPlan *on_disk = vp_plan_load(path, NULL, &err);
  assert_non_null(on_disk);
  assert_int_equal(on_disk->measurement_count, 0);
  vp_plan_free(on_disk);
}

static void saving_from_the_close_question_saves_then_closes(void **state)
{
  g_autofree char *path = copy_plan(plans_dir, "close-save.vplan");
  VpWindow *window = new_window();
  g_object_add_weak_pointer(G_OBJECT(window), (gpointer *)&window);
  open_in(window, path);
  VpPlanMeasurement d = distance(5, 45);
  measure(window, &d);
  gtk_window_close(GTK_WINDOW(window));
  answer(wait_for_dialog("Save Changes to “close-save.vplan”?"), "_Save");
  assert_null(window);
  VpError err;
  VpPlan *on_disk = vp_plan_load(path, NULL, &err);
  assert_non_null(on_disk);
  assert_int_equal(on_disk->measurement_count, 1);
  vp_plan_free(on_disk);
}

static gboolean test_window_shows_another_case(void)
{
  return !vp_window_is_loading(vp_test_window) && document_of(vp_test_window) &&
         !vp_document_is_modified(document_of(vp_test_window));
}

static const char *document_basename(VpWindow *window)
{
  const char *path = vp_document_path(document_of(window));
  return path ? strrchr(path, '/') + 1 : NULL;
}

/* As the window's ways of opening a file ask first (the file chooser, recent
 * files, drops, samples). */
static void user_opens(GFile *file)
{
  if (vp_window_document_may_replace(vp_test_window, file))
    vp_window_open(vp_test_window, file);
}

/* Opening a file in the window would drop the changes with the case. */
static void opening_over_unsaved_changes_asks_first(void **state)
{
  g_autofree char *first = copy_plan(plans_dir, "first.vplan");
  g_autofree char *second = copy_plan(plans_dir, "second.vplan");
  g_autoptr(GFile) second_file = g_file_new_for_path(second);
  open_in(vp_test_window, first);
  VpPlanMeasurement d = distance(1, 2);
  measure(vp_test_window, &d);

  user_opens(second_file);
  AdwMessageDialog *dialog = wait_for_dialog("Save Changes to “first.vplan”?");
  assert_false(vp_window_is_loading(vp_test_window));
  answer(dialog, "_Cancel");
  assert_string_equal(document_basename(vp_test_window), "first.vplan");
  assert_true(vp_document_is_modified(document_of(vp_test_window)));

  user_opens(second_file);
  answer(wait_for_dialog("Save Changes to “first.vplan”?"), "_Save");
  assert_true(vp_test_wait_until(test_window_shows_another_case));
  assert_string_equal(document_basename(vp_test_window), "second.vplan");
  VpError err;
  VpPlan *on_disk = vp_plan_load(first, NULL, &err);
  assert_non_null(on_disk);
  assert_int_equal(on_disk->measurement_count, 1);
  vp_plan_free(on_disk);

  measure(vp_test_window, &d);
  g_autoptr(GFile) first_file = g_file_new_for_path(first);
  user_opens(first_file);
  answer(wait_for_dialog("Save Changes to “second.vplan”?"), "_Discard");
  g_autoptr(GFile) unchanged = g_file_new_for_path(first);
  assert_true(vp_test_wait_until(test_window_shows_another_case));
  user_opens(unchanged); /* nothing to lose: no question */
  assert_null(vp_test_find_message_dialog());
  assert_true(vp_test_wait_until(test_window_shows_another_case));
  assert_true(vp_test_wait_until(test_window_shows_another_case));
  assert_string_equal(document_basename(vp_test_window), "first.vplan");
  on_disk = vp_plan_load(second, NULL, &err);
  assert_non_null(on_disk);
  assert_int_equal(on_disk->measurement_count, 0);
  vp_plan_free(on_disk);
}

/* The recovery files of this process holding count measurements. */
static GPtrArray *own_autosaves(size_t count);

/* Closing without the question (the application quit) must not lose the
 * latest changes: they stay in the recovery file. */
static void destroying_a_window_with_changes_keeps_them_for_recovery(void **state)
{
  g_autofree char *path = copy_plan(plans_dir, "destroyed.vplan");
  VpWindow *window = new_window();
  open_in(window, path);
  VpPlanMeasurement d = distance(1, 2), e = distance(3, 4), f = distance(5, 6);
  measure(window, &d);
  measure(window, &e);
  measure(window, &f);
  g_autoptr(GPtrArray) before = own_autosaves(3);
  assert_int_equal(before->len, 0); /* no autosave yet: the interval is a minute */
  gtk_window_destroy(GTK_WINDOW(window));
  while (g_main_context_iteration(NULL, FALSE))
    ;
  g_autoptr(GPtrArray) after = own_autosaves(3);
  assert_int_equal(after->len, 1);
  VpRecoveryInfo info = {0};
  VpError err;
  VpPlan *plan = vp_recovery_read(g_ptr_array_index(after, 0), &info, &err);
  assert_non_null(plan);
  assert_string_equal(info.document_path, path);
  assert_int_equal(info.pid, (long)getpid());
  vp_plan_free(plan);
  vp_recovery_info_clear(&info);
  assert_true(vp_recovery_remove(g_ptr_array_index(after, 0), &err)); /* not for the next group */
}

/* ---- Recovery after a crash ---- */

/* A recovery file holding one measurement, written by this process (own)
 * or another, or NULL. */
static char *find_autosave_with_measurement(gboolean own)
{
  g_autoptr(GDir) dir = g_dir_open(recovery_dir, 0, NULL);
  const char *name;
  while (dir && (name = g_dir_read_name(dir))) {
    if (!g_str_has_suffix(name, VP_RECOVERY_EXTENSION))
      continue;
    char *path = g_build_filename(recovery_dir, name, NULL);
    VpError err;
    VpRecoveryInfo info = {0};
    VpPlan *plan = vp_recovery_read(path, &info, &err);
    gboolean found = plan && plan->measurement_count == 1 && (info.pid == (long)getpid()) == own;
    vp_plan_free(plan);
    vp_recovery_info_clear(&info);
    if (found)
      return path;
    g_free(path);
  }
  return NULL;
}

static GPtrArray *own_autosaves(size_t count)
{
  GPtrArray *found = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GDir) dir = g_dir_open(recovery_dir, 0, NULL);
  const char *name;
  while (dir && (name = g_dir_read_name(dir))) {
    char *path = g_build_filename(recovery_dir, name, NULL);
    VpRecoveryInfo info = {0};
    VpError err;
    VpPlan *plan = vp_recovery_read(path, &info, &err);
    if (plan && plan->measurement_count == count && info.pid == (long)getpid())
      g_ptr_array_add(found, g_steal_pointer(&path));
    vp_plan_free(plan);
    vp_recovery_info_clear(&info);
    g_free(path);
  }
  return found;
}

static gboolean autosaved(void)
{
  g_autofree char *path = find_autosave_with_measurement(TRUE);
  return path != NULL;
}

/* The child: opens the plan, measures, waits for the autosave, says
 * "ready" and waits to be killed (but not forever). */
static int run_child(const char *plan_path)
{
  if (vp_test_gui_start(NULL) != 0)
    return 2;
  g_autoptr(GSettings) settings = g_settings_new(VP_APP_ID);
  g_settings_set_int(settings, "autosave-interval", CHILD_AUTOSAVE_S);
  open_in(vp_test_window, plan_path);
  VpPlanMeasurement d = distance(-7.5, 22.25);
  measure(vp_test_window, &d);
  if (!vp_test_wait_until(autosaved)) {
    fprintf(stderr, "child: no autosave appeared in %s\n", recovery_dir);
    return 3;
  }
  printf("ready\n");
  fflush(stdout);
  for (int i = 0; i < CHILD_READY_TIMEOUT_S; i++)
    vp_test_wait_ms(1000);
  return 4; /* the parent never killed it */
}

static GSubprocess *child;
static char *child_plan;

typedef struct LineRead {
  gboolean done;
  char *line;
} LineRead;

static void on_line(GObject *source, GAsyncResult *result, gpointer data)
{
  LineRead *read = data;
  read->line = g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(source), result, NULL, NULL);
  read->done = TRUE;
}

static LineRead *pending_read;

static gboolean line_arrived(void)
{
  return pending_read->done;
}

/* Reads the child's lines until "ready", or gives up at end of output or
 * after a while. */
static gboolean wait_for_ready(GSubprocess *process)
{
  g_autoptr(GDataInputStream) lines = g_data_input_stream_new(g_subprocess_get_stdout_pipe(process));
  gint64 deadline = g_get_monotonic_time() + CHILD_READY_TIMEOUT_S * G_USEC_PER_SEC;
  while (g_get_monotonic_time() < deadline) {
    LineRead read = {0};
    pending_read = &read;
    g_data_input_stream_read_line_async(lines, G_PRIORITY_DEFAULT, NULL, on_line, &read);
    while (!vp_test_wait_until(line_arrived) && g_get_monotonic_time() < deadline)
      ;
    if (!read.done) { /* kill it so the read ends before read goes away */
      g_subprocess_force_exit(process);
      while (!read.done)
        g_main_context_iteration(NULL, TRUE);
    }
    g_autofree char *line = read.line;
    if (!line)
      return FALSE;
    print_message("child: %s\n", line);
    if (g_str_equal(line, "ready"))
      return TRUE;
  }
  return FALSE;
}

/* Group set-up: a child autosaves and is killed; then the application
 * starts here, as a user starts it again after the crash. */
static int crash_a_child(void **state)
{
  child_plan = copy_plan(plans_dir, "crashed.vplan");
  const char *argv[] = {g_getenv("VP_TEST_SELF"), CHILD_FLAG, child_plan, NULL};
  g_autoptr(GError) error = NULL;
  child = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  if (!child) {
    print_error("cannot start the child: %s\n", error->message);
    return -1;
  }
  gboolean ready = wait_for_ready(child);
  g_subprocess_send_signal(child, SIGKILL); /* a crash: no clean-up runs */
  g_subprocess_wait(child, NULL, NULL);
  if (!ready) {
    print_error("the child never autosaved\n");
    return -1;
  }
  if (!g_subprocess_get_if_signaled(child) || g_subprocess_get_term_sig(child) != SIGKILL) {
    print_error("the child ended before it was killed\n");
    return -1;
  }
  return vp_test_gui_start(state);
}

static int end_crash_group(void **state)
{
  g_clear_object(&child);
  g_free(child_plan);
  return vp_test_gui_stop(state);
}

static gboolean window_shows_case(void)
{
  return vp_window_has_case(vp_test_window) && !vp_window_is_loading(vp_test_window);
}

static void the_next_start_offers_the_work_back(void **state)
{
  g_autofree char *orphan = find_autosave_with_measurement(FALSE);
  assert_non_null(orphan);
  AdwMessageDialog *dialog = wait_for_dialog("Recover Unsaved Work?");
  const char *body = adw_message_dialog_get_body(dialog);
  print_message("recovery offer: %s\n", body);
  assert_non_null(strstr(body, "crashed.vplan"));
  assert_non_null(strstr(body, "autosaved at "));
  vp_test_screenshot_dialog(GTK_WINDOW(dialog), "gui-recovery-dialog.png");

  answer(dialog, "_Recover");
  assert_true(vp_test_wait_until(window_shows_case));
  assert_null(vp_test_find_message_dialog());
  const VpDocument *doc = document_of(vp_test_window);
  const VpPlan *plan = vp_document_plan(doc);
  assert_int_equal(plan->measurement_count, 1);
  assert_true(plan->measurements[0].points_mm[0][0] == -7.5);
  assert_true(plan->measurements[0].points_mm[1][0] == 22.25);
  assert_true(vp_document_is_modified(doc));
  assert_string_equal(vp_document_path(doc), child_plan);
  assert_title(vp_test_window, "• crashed.vplan");
  assert_false(g_file_test(orphan, G_FILE_TEST_EXISTS)); /* this window keeps its own now */
  g_autofree char *own = find_autosave_with_measurement(TRUE);
  assert_non_null(own);
  assert_string_not_equal(own, orphan);

  /* Saving ends it: the plan is on disk, the autosave is gone. */
  activate(vp_test_window, "save");
  assert_false(vp_document_is_modified(document_of(vp_test_window)));
  assert_false(g_file_test(own, G_FILE_TEST_EXISTS));
  VpError err;
  VpPlan *on_disk = vp_plan_load(child_plan, NULL, &err);
  assert_non_null(on_disk);
  assert_int_equal(on_disk->measurement_count, 1);
  vp_plan_free(on_disk);
}

/* ---- Main ---- */

static int start(void **state)
{
  g_autofree char *dir = g_strdup(g_getenv("VP_CASES_DIR"));
  cases_plan = g_build_filename(dir, TEACHING_CASE ".vplan", NULL);
  plans_dir = vp_test_fresh_dir("plans");
  return vp_test_gui_start(state);
}

int main(int argc, char *argv[])
{
  if (argc == 3 && g_str_equal(argv[1], CHILD_FLAG)) {
    /* The child: its parent's folders, from the environment it inherited. */
    state_dir = g_strdup(g_getenv("XDG_STATE_HOME"));
    recovery_dir = g_build_filename(state_dir, "vertebra-planner", "recovery", NULL);
    return run_child(argv[2]);
  }
  vp_test_gui_use_private_home();
  state_dir = vp_test_tmp_path("state");
  g_setenv("XDG_STATE_HOME", state_dir, TRUE); /* read once, at GTK's first look */
  g_setenv("VP_TEST_SELF", argv[0], TRUE);
  recovery_dir = g_build_filename(state_dir, "vertebra-planner", "recovery", NULL);
  const char *cases = g_getenv("VP_CASES_DIR");
  g_autofree char *plan = cases ? g_build_filename(cases, TEACHING_CASE ".vplan", NULL) : NULL;
  if (!plan || !g_file_test(plan, G_FILE_TEST_IS_REGULAR))
    return vp_test_skip("gui-document", "the teaching cases were not built");

  const struct CMUnitTest tests[] = {
    cmocka_unit_test(undo_and_redo_give_back_the_plan_exactly),
    cmocka_unit_test(save_writes_the_file_and_a_fresh_window_reopens_it),
    cmocka_unit_test(a_teaching_case_is_saved_as_a_new_file),
    cmocka_unit_test(a_failed_save_keeps_the_changes_and_says_why),
    cmocka_unit_test(closing_with_unsaved_changes_asks_first),
    cmocka_unit_test(saving_from_the_close_question_saves_then_closes),
    cmocka_unit_test(opening_over_unsaved_changes_asks_first),
    cmocka_unit_test(destroying_a_window_with_changes_keeps_them_for_recovery),
  };
  const struct CMUnitTest crash_tests[] = {
    cmocka_unit_test(the_next_start_offers_the_work_back),
  };
  int failed = cmocka_run_group_tests_name("gui-document", tests, start, vp_test_gui_stop);
  failed += cmocka_run_group_tests_name("gui-document-recovery", crash_tests, crash_a_child,
                                        end_crash_group);
  g_free(cases_plan);
  g_free(plans_dir);
  g_free(state_dir);
  g_free(recovery_dir);
  return failed;
}
