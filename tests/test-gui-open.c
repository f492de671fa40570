/* Opening cases in the real window under Xvfb: label masks and CTs (the label
 * dialog, the companion CT, asking for a mask), mesh repair reports and the
 * offer to scale a model in metres, plans with missing or changed files,
 * cancelling, and the real VerSe mask with its CT. */
#include "vp-test-gui.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vp-case-files.h"
#include "vp-config.h"
#include "vp-label-dialog.h"
#include "vp-mesh-repair.h"
#include "vp-test-image.h"
#include "vp-test-util.h"

#define GRID 30
#define LABEL_L3 22
#define LABEL_L4 23

static char *mask_path;   /* blocks_seg-vert_msk.nii.gz: L3 and L4 blocks */
static char *ct_path;     /* blocks_ct.nii.gz beside it */
static char *lonely_path; /* lonely_ct.nii.gz: a CT with no mask beside it */
static char *sphere_path;

/* ---- Test files ---- */

static gboolean in_block(int label, int i, int j, int k)
{
  gboolean jk = j >= 5 && j < 15 && k >= 5 && k < 15;
  if (label == LABEL_L3)
    return jk && i >= 5 && i < 15; /* 10 × 10 × 10 voxels of 1 mm: 1.0 mL */
  return jk && i >= 18 && i < 26;  /* 8 × 10 × 10: 0.8 mL */
}

static void save_volume(const VpVolume *vol, const char *path)
{
  VpError err;
  if (!vp_volume_save_nifti(vol, path, &err))
    fail_msg("cannot write %s: %s", path, err.message);
}

/* Labels, or Hounsfield units (air, and bone where the labels are) when hu. */
static void write_blocks(const char *path, gboolean hu)
{
  VpError err;
  int dims[3] = {GRID, GRID, GRID};
  VpVolume *vol = vp_volume_new(dims, hu ? VP_VOXEL_I16 : VP_VOXEL_U8, NULL, NULL, &err);
  assert_non_null(vol);
  for (int k = 0; k < GRID; k++)
    for (int j = 0; j < GRID; j++)
      for (int i = 0; i < GRID; i++) {
        int label = in_block(LABEL_L3, i, j, k) ? LABEL_L3 : in_block(LABEL_L4, i, j, k) ? LABEL_L4 : 0;
        double value = hu ? (label ? 400 + i : -1000 + j) : label;
        vp_volume_set_value(vol, i, j, k, value);
      }
  save_volume(vol, path);
  vp_volume_free(vol);
}

static char *write_sphere(const char *name, double radius, uint32_t drop_triangles)
{
  VpMesh *sphere = vp_test_make_uv_sphere(radius, 16, 32);
  sphere->triangle_count -= drop_triangles; /* the last ones, at the inferior pole: a hole */
  VpError err;
  char *path = vp_test_tmp_path(name);
  if (!vp_mesh_save_stl(sphere, path, &err))
    fail_msg("cannot write %s: %s", path, err.message);
  vp_mesh_free(sphere);
  return path;
}

static int write_test_files(void **state)
{
  mask_path = vp_test_tmp_path("blocks_seg-vert_msk.nii.gz");
  ct_path = vp_test_tmp_path("blocks_ct.nii.gz");
  lonely_path = vp_test_tmp_path("lonely_ct.nii.gz");
  write_blocks(mask_path, FALSE);
  write_blocks(ct_path, TRUE);
  write_blocks(lonely_path, TRUE);
  sphere_path = write_sphere("sphere-r20.stl", 20.0, 0);
  return vp_test_gui_start(state);
}

static int remove_test_files(void **state)
{
  int status = vp_test_gui_stop(state);
  free(mask_path);
  free(ct_path);
  free(lonely_path);
  free(sphere_path);
  return status;
}

/* ---- Helpers ---- */

static gboolean open_dialog_shown(void)
{
  GtkWindow *dialog = vp_window_get_open_dialog(vp_test_window);
  return dialog && gtk_widget_get_mapped(GTK_WIDGET(dialog));
}

static VpLabelDialog *wait_for_label_dialog(void)
{
  assert_true(vp_test_wait_until(open_dialog_shown));
  GtkWindow *dialog = vp_window_get_open_dialog(vp_test_window);
  assert_true(VP_IS_LABEL_DIALOG(dialog));
  assert_ptr_equal(gtk_window_get_transient_for(dialog), vp_test_window);
  return VP_LABEL_DIALOG(dialog);
}

/* Clicks the dialog's button for response, as a user does (which, unlike
 * adw_message_dialog_response(), also closes the dialog). */
static void answer(AdwMessageDialog *dialog, const char *label)
{
  GtkWidget *button = vp_test_find_widget(GTK_WIDGET(dialog), GTK_TYPE_BUTTON, label);
  if (!button)
    fail_msg("the dialog \"%s\" has no button \"%s\"", adw_message_dialog_get_heading(dialog), label);
  g_signal_emit_by_name(button, "clicked");
}

static AdwMessageDialog *wait_for_question(void)
{
  if (!vp_test_wait_until(open_dialog_shown) && vp_test_find_message_dialog())
    fail_msg("instead: \"%s\": %s", adw_message_dialog_get_heading(vp_test_find_message_dialog()),
             adw_message_dialog_get_body(vp_test_find_message_dialog()));
  if (!open_dialog_shown())
    fail_msg("no dialog asks: the window shows its %s page", vp_window_get_page(vp_test_window));
  GtkWindow *dialog = vp_window_get_open_dialog(vp_test_window);
  assert_true(ADW_IS_MESSAGE_DIALOG(dialog));
  return ADW_MESSAGE_DIALOG(dialog);
}

static GtkWidget *find_row(VpLabelDialog *dialog, const char *title)
{
  GtkWidget *row = vp_test_find_widget(GTK_WIDGET(dialog), ADW_TYPE_ACTION_ROW, title);
  if (!row)
    fail_msg("the label dialog has no row \"%s\"", title);
  return row;
}

static GtkWidget *find_button(GtkWidget *root, const char *label)
{
  GtkWidget *button = vp_test_find_widget(root, GTK_TYPE_BUTTON, label);
  if (!button)
    fail_msg("no button \"%s\"", label);
  return button;
}

/* A click, at once: gtk_widget_activate() on a button emits "clicked" only
 * after a short delay that shows the button pressed. */
static void click(GtkWidget *button)
{
  g_signal_emit_by_name(button, "clicked");
}

/* As a user does: click the row (which ticks its radio button), then Open. */
static void choose_label(VpLabelDialog *dialog, const char *title)
{
  adw_action_row_activate(ADW_ACTION_ROW(find_row(dialog, title)));
  GtkWidget *open = find_button(GTK_WIDGET(dialog), "_Open");
  assert_true(gtk_widget_get_sensitive(open));
  click(open);
}

static void ensure_sphere_open(void)
{
  vp_test_close_dialogs();
  const VpCase *c = vp_window_get_case(vp_test_window);
  if (!c || g_strcmp0(c->surface_path, sphere_path) != 0) {
    vp_test_open_and_wait(sphere_path);
    assert_true(vp_window_has_case(vp_test_window));
  }
  vp_test_wait_for_settled_window();
}

static GtkWidget *find_file_chooser(void)
{
  GtkWidget *found = NULL;
  GList *toplevels = gtk_window_list_toplevels();
  for (GList *l = toplevels; l && !found; l = l->next) {
    if (GTK_IS_FILE_CHOOSER(l->data) && gtk_widget_get_visible(l->data))
      found = l->data;
  }
  g_list_free(toplevels);
  return found;
}

static gboolean file_chooser_shown(void)
{
  return find_file_chooser() != NULL;
}

static GFile *wanted_file;

static GtkFileChooser *shown_chooser(void)
{
  return GTK_FILE_CHOOSER(find_file_chooser());
}

static gboolean chooser_has_a_folder(void)
{
  g_autoptr(GFile) folder = gtk_file_chooser_get_current_folder(shown_chooser());
  return folder != NULL;
}

static gboolean chooser_is_in_wanted_folder(void)
{
  g_autoptr(GFile) folder = gtk_file_chooser_get_current_folder(shown_chooser());
  g_autoptr(GFile) parent = g_file_get_parent(wanted_file);
  return folder && g_file_equal(folder, parent);
}

static gint64 last_selection_us;

/* Selecting before the folder is read may be dropped, so select again now
 * and then (each time restarts the chooser's own search) until it holds. */
static gboolean wanted_file_selected(void)
{
  g_autoptr(GFile) selected = gtk_file_chooser_get_file(shown_chooser());
  if (selected && g_file_equal(selected, wanted_file))
    return TRUE;
  if (g_get_monotonic_time() - last_selection_us > G_USEC_PER_SEC / 2) {
    last_selection_us = g_get_monotonic_time();
    gtk_file_chooser_set_file(shown_chooser(), wanted_file, NULL);
  }
  return FALSE;
}

/* Picks path in the file chooser now shown, as a user does: once the chooser
 * has settled on its first folder, go to the file's folder, select the file
 * once the folder is read, then accept (which the chooser refuses before). */
static void choose_file(const char *path)
{
  assert_true(vp_test_wait_until(file_chooser_shown));
  assert_true(vp_test_wait_until(chooser_has_a_folder));
  wanted_file = g_file_new_for_path(path);
  g_autoptr(GFile) parent = g_file_get_parent(wanted_file);
  assert_true(gtk_file_chooser_set_current_folder(shown_chooser(), parent, NULL));
  assert_true(vp_test_wait_until(chooser_is_in_wanted_folder));
  last_selection_us = 0;
  assert_true(vp_test_wait_until(wanted_file_selected));
  g_clear_object(&wanted_file);
  gtk_dialog_response(GTK_DIALOG(shown_chooser()), GTK_RESPONSE_ACCEPT);
}

/* Paths may be spelled differently ("a/../b"); GFile resolves that. */
static void assert_same_file(const char *a, const char *b)
{
  assert_non_null(a);
  g_autoptr(GFile) fa = g_file_new_for_path(a);
  g_autoptr(GFile) fb = g_file_new_for_path(b);
  if (!g_file_equal(fa, fb))
    fail_msg("\"%s\" is not \"%s\"", a, b);
}

static void assert_contains(const char *text, const char *expected)
{
  if (!text || !strstr(text, expected))
    fail_msg("\"%s\" lacks \"%s\"", text ? text : "(null)", expected);
}

static void save_screenshot(const char *name)
{
  char *path = vp_test_artifact_path(name);
  g_autoptr(GError) error = NULL;
  if (!vp_window_save_screenshot(vp_test_window, path, &error))
    fail_msg("screenshot %s: %s", path, error->message);
  free(path);
}

/* Only in the toasts: the warning icon's tooltip says the same. */
static GtkWidget *find_in_toasts(GType type, const char *text)
{
  GtkWidget *overlay = vp_test_find_widget(GTK_WIDGET(vp_test_window), ADW_TYPE_TOAST_OVERLAY, NULL);
  assert_non_null(overlay);
  return vp_test_find_widget(overlay, type, text);
}

static double largest_size_mm(void)
{
  VpVec3 size = vp_box3_size(vp_mesh_bounds(vp_window_get_case(vp_test_window)->surface));
  return MAX(size.x, MAX(size.y, size.z));
}

/* ---- Masks and CTs ---- */

static void a_mask_lists_its_labels_by_level_and_offers_its_ct(void **state)
{
  vp_test_close_dialogs();
  vp_test_open(mask_path);
  VpLabelDialog *dialog = wait_for_label_dialog();
  find_row(dialog, "L3 — label 22 — 1.0 mL");
  find_row(dialog, "L4 — label 23 — 0.8 mL");
  find_row(dialog, "Also open the CT: blocks_ct.nii.gz");
  assert_string_equal(vp_label_dialog_get_ct_path(dialog), ct_path);
  assert_int_equal(vp_label_dialog_get_label(dialog), 0);
  assert_false(gtk_widget_get_sensitive(find_button(GTK_WIDGET(dialog), "_Open")));
  assert_true(vp_window_is_loading(vp_test_window));
  click(find_button(GTK_WIDGET(dialog), "_Cancel"));
  assert_false(vp_window_is_loading(vp_test_window));
}

static void choosing_a_label_opens_that_vertebra_with_the_ct(void **state)
{
  vp_test_close_dialogs();
  vp_test_open(mask_path);
  choose_label(wait_for_label_dialog(), "L4 — label 23");
  assert_string_equal(vp_window_get_page(vp_test_window), "loading");
  assert_true(vp_test_wait_until(vp_test_window_is_not_loading));
  assert_null(vp_test_find_message_dialog());
  assert_string_equal(vp_window_get_page(vp_test_window), "view");
  const VpCase *c = vp_window_get_case(vp_test_window);
  assert_int_equal(c->label, LABEL_L4);
  assert_non_null(c->ct);
  vp_test_assert_status_contains("blocks · L4  ");
  vp_test_assert_status_contains("8.0 × 10.0 × 10.0 mm");
  vp_test_assert_status_contains("CT 30 × 30 × 30, 1.0 mm");
}

static void an_unticked_ct_is_left_out(void **state)
{
  vp_test_close_dialogs();
  vp_test_open(mask_path);
  VpLabelDialog *dialog = wait_for_label_dialog();
  adw_action_row_activate(ADW_ACTION_ROW(find_row(dialog, "Also open the CT")));
  assert_null(vp_label_dialog_get_ct_path(dialog));
  choose_label(dialog, "L3 — label 22");
  assert_true(vp_test_wait_until(vp_test_window_is_not_loading));
  assert_null(vp_window_get_case(vp_test_window)->ct);
  vp_test_assert_status_contains("blocks · L3  ");
  g_autofree char *status = vp_window_dup_status_text(vp_test_window);
  assert_null(strstr(status, "CT "));
}

static void a_ct_with_its_mask_beside_it_offers_the_labels_with_that_ct(void **state)
{
  vp_test_close_dialogs();
  vp_test_open(ct_path);
  VpLabelDialog *dialog = wait_for_label_dialog();
  find_row(dialog, "L3 — label 22 — 1.0 mL");
  assert_string_equal(vp_label_dialog_get_ct_path(dialog), ct_path);
  gtk_window_close(GTK_WINDOW(dialog)); /* Escape or the window manager: a cancel */
  assert_false(vp_window_is_loading(vp_test_window));
}

static void a_ct_alone_asks_for_its_mask_and_opens_the_chosen_one(void **state)
{
  vp_test_close_dialogs();
  vp_test_open(lonely_path);
  AdwMessageDialog *question = wait_for_question();
  assert_string_equal(adw_message_dialog_get_heading(question), "Choose the Label Mask");
  assert_contains(adw_message_dialog_get_body(question), "“lonely_ct.nii.gz” is a CT");
  vp_test_screenshot_dialog(GTK_WINDOW(question), "gui-choose-mask.png");
  answer(question, "_Choose Mask…");
  choose_file(mask_path);
  VpLabelDialog *dialog = wait_for_label_dialog();
  /* The CT the user opened, not the one beside the mask. */
  assert_string_equal(vp_label_dialog_get_ct_path(dialog), lonely_path);
  find_row(dialog, "Also open the CT: lonely_ct.nii.gz");
  choose_label(dialog, "L3 — label 22");
  assert_true(vp_test_wait_until(vp_test_window_is_not_loading));
  assert_string_equal(vp_window_get_case(vp_test_window)->ct_path, lonely_path);
}

static void a_ct_chosen_as_the_mask_is_refused_with_a_reason(void **state)
{
  vp_test_close_dialogs();
  vp_test_open(lonely_path);
  answer(wait_for_question(), "_Choose Mask…");
  choose_file(ct_path);
  assert_true(vp_test_wait_until(vp_test_message_dialog_shown));
  AdwMessageDialog *error = vp_test_find_message_dialog();
  assert_contains(adw_message_dialog_get_body(error), "“blocks_ct.nii.gz” is a CT, not a label mask");
  assert_false(vp_window_is_loading(vp_test_window));
}

static gboolean is_recent(const char *path)
{
  g_autofree char *uri = g_filename_to_uri(path, NULL, NULL);
  GList *recent = vp_case_files_list_recent(8);
  gboolean listed = FALSE;
  for (GList *l = recent; l; l = l->next)
    listed |= g_str_equal(gtk_recent_info_get_uri(l->data), uri);
  g_list_free_full(recent, (GDestroyNotify)gtk_recent_info_unref);
  return listed;
}

/* A mask of its own: the file chooser records the files chosen in it, and
 * the other tests choose the shared one. */
static void an_opened_mask_is_listed_in_recent_files(void **state)
{
  vp_test_close_dialogs();
  char *path = vp_test_tmp_path("recent_seg-vert_msk.nii.gz");
  write_blocks(path, FALSE);
  assert_false(is_recent(path));
  vp_test_open(path);
  choose_label(wait_for_label_dialog(), "L3 — label 22");
  assert_true(vp_test_wait_until(vp_test_window_is_not_loading));
  assert_true(is_recent(path));
  free(path);
}

/* ---- Cancelling ---- */

static gboolean finished, finished_success;
static char *finished_message;

static void on_load_finished(VpWindow *window, GFile *file, gboolean success, const char *message,
                             gpointer data)
{
  finished = TRUE;
  finished_success = success;
  g_free(finished_message);
  finished_message = g_strdup(message);
}

static void assert_cancel_returns_quietly(const VpCase *before)
{
  assert_string_equal(vp_window_get_page(vp_test_window), "view");
  assert_false(vp_window_is_loading(vp_test_window));
  assert_true(finished);
  assert_false(finished_success);
  assert_null(finished_message);
  vp_test_wait_ms(500); /* the worker notices, stops and must report nothing */
  assert_null(vp_test_find_message_dialog());
  assert_ptr_equal(vp_window_get_case(vp_test_window), before);
  vp_test_assert_status_contains("sphere-r20  ");
}

static void cancelling_while_the_case_is_built_returns_to_the_previous_page(void **state)
{
  ensure_sphere_open();
  const VpCase *before = vp_window_get_case(vp_test_window);
  vp_test_open(mask_path);
  choose_label(wait_for_label_dialog(), "L3 — label 22");
  assert_string_equal(vp_window_get_page(vp_test_window), "loading");
  finished = FALSE;
  gulong id = g_signal_connect(vp_test_window, "load-finished", G_CALLBACK(on_load_finished), NULL);
  g_action_group_activate_action(G_ACTION_GROUP(vp_test_window), "cancel-open", NULL);
  g_signal_handler_disconnect(vp_test_window, id);
  assert_cancel_returns_quietly(before);
}

static void cancelling_while_the_file_is_read_returns_to_the_previous_page(void **state)
{
  ensure_sphere_open();
  const VpCase *before = vp_window_get_case(vp_test_window);
  vp_test_open(ct_path);
  assert_string_equal(vp_window_get_page(vp_test_window), "loading");
  finished = FALSE;
  gulong id = g_signal_connect(vp_test_window, "load-finished", G_CALLBACK(on_load_finished), NULL);
  click(find_button(GTK_WIDGET(vp_test_window), "_Cancel"));
  g_signal_handler_disconnect(vp_test_window, id);
  assert_cancel_returns_quietly(before);
  assert_null(vp_window_get_open_dialog(vp_test_window));
}

static void cancelling_the_label_dialog_keeps_the_case_shown(void **state)
{
  ensure_sphere_open();
  const VpCase *before = vp_window_get_case(vp_test_window);
  vp_test_open(mask_path);
  VpLabelDialog *dialog = wait_for_label_dialog();
  assert_string_equal(vp_window_get_page(vp_test_window), "view"); /* behind the dialog */
  finished = FALSE;
  gulong id = g_signal_connect(vp_test_window, "load-finished", G_CALLBACK(on_load_finished), NULL);
  click(find_button(GTK_WIDGET(dialog), "_Cancel"));
  g_signal_handler_disconnect(vp_test_window, id);
  assert_cancel_returns_quietly(before);
}

/* ---- Mesh checks ---- */

static void a_model_in_metres_is_offered_a_scale_by_1000(void **state)
{
  vp_test_close_dialogs();
  char *path = write_sphere("sphere-in-metres.stl", 0.025, 0);
  vp_test_open_and_wait(path);
  vp_test_wait_for_settled_window();
  g_autofree char *warning = vp_window_dup_warning_text(vp_test_window);
  assert_contains(warning, "metres");
  assert_non_null(find_in_toasts(
      GTK_TYPE_LABEL,
      "This model looks like it is in metres (largest size 0.05 units). Scale by 1,000?"));
  double before = largest_size_mm();
  vp_test_wait_ms(500); /* the toast slides in */
  save_screenshot("gui-metres-offer.png"); /* the camera cannot frame 0.05 mm: little to see */

  GtkWidget *button = find_in_toasts(GTK_TYPE_BUTTON, "Scale ×1,000");
  assert_non_null(button);
  click(button);
  assert_float_equal(largest_size_mm() / before, 1000.0, 1e-3);
  vp_test_assert_status_contains("50.0 × 50.0 × 50.0 mm");
  g_autofree char *after = vp_window_dup_warning_text(vp_test_window);
  assert_true(after == NULL || strstr(after, "metres") == NULL);
  assert_false(g_action_group_get_action_enabled(G_ACTION_GROUP(vp_test_window),
                                                 "scale-to-millimetres"));
  vp_test_wait_for_settled_window();
  vp_test_screenshot_and_check("gui-metres-scaled.png"); /* framed again at its new size */
  free(path);
}

static void a_mesh_with_a_hole_shows_the_repair_summary(void **state)
{
  vp_test_close_dialogs();
  char *path = write_sphere("sphere-with-hole.stl", 20.0, 3);
  vp_test_open_and_wait(path);
  g_autofree char *warning = vp_window_dup_warning_text(vp_test_window);
  assert_contains(warning, "1 hole (");
  char expected[1024];
  vp_mesh_repair_summary(&vp_window_get_case(vp_test_window)->repair, expected, sizeof expected);
  assert_string_equal(warning, expected);
  /* Said once in a toast, and kept on the status line. */
  assert_non_null(find_in_toasts(GTK_TYPE_LABEL, expected));
  g_autofree char *status = vp_window_dup_status_text(vp_test_window);
  assert_null(strstr(status, " mL")); /* open, so no volume */
  vp_test_wait_for_settled_window();
  vp_test_wait_ms(500); /* the toast slides in */
  vp_test_screenshot_and_check("gui-repair-warning.png");
  free(path);
}

/* ---- Plans ---- */

static char *write_plan(const char *plan_name, const char *source_path)
{
  VpError err;
  VpPlan *plan = vp_plan_new(VP_VERSION, &err);
  assert_non_null(plan);
  assert_true(vp_plan_set_case(plan, "blocks", "L3", LABEL_L3, &err));
  if (!vp_plan_add_source(plan, VP_SOURCE_ROLE_MASK, source_path, &err))
    fail_msg("cannot add %s: %s", source_path, err.message);
  char *path = vp_test_tmp_path(plan_name);
  if (!vp_plan_save(plan, path, &err))
    fail_msg("cannot save %s: %s", path, err.message);
  vp_plan_free(plan);
  return path;
}

/* The files the plan dialog lists, one per line, under its heading. */
static const char *listed_problems(AdwMessageDialog *dialog)
{
  GtkWidget *list = adw_message_dialog_get_extra_child(dialog);
  assert_true(GTK_IS_LABEL(list));
  return gtk_label_get_text(GTK_LABEL(list));
}

static void a_plan_with_a_missing_file_says_where_it_was_and_can_locate_it(void **state)
{
  vp_test_close_dialogs();
  char *gone = vp_test_tmp_path("gone_seg-vert_msk.nii.gz");
  write_blocks(gone, TRUE); /* any bytes other than the file located later */
  char *plan = write_plan("missing.vplan", gone);
  assert_int_equal(g_remove(gone), 0);

  vp_test_open(plan);
  AdwMessageDialog *question = wait_for_question();
  assert_string_equal(adw_message_dialog_get_heading(question),
                      "Files of This Plan Are Missing or Changed");
  g_autofree char *line = g_strdup_printf("gone_seg-vert_msk.nii.gz: missing (expected at %s)", gone);
  assert_contains(listed_problems(question), line);
  assert_contains(adw_message_dialog_get_body(question), "Locate “gone_seg-vert_msk.nii.gz”");
  vp_test_screenshot_dialog(GTK_WINDOW(question), "gui-plan-missing.png");
  assert_true(adw_message_dialog_has_response(question, "locate"));
  assert_false(adw_message_dialog_has_response(question, "open"));

  /* Located as a file with other bytes: now it has changed, and opening anyway works. */
  answer(question, "_Locate…");
  choose_file(mask_path);
  question = wait_for_question();
  assert_contains(listed_problems(question),
                  "blocks_seg-vert_msk.nii.gz: changed since the plan was saved");
  answer(question, "Open _Anyway");
  assert_true(vp_test_wait_until(vp_test_window_is_not_loading));
  assert_null(vp_test_find_message_dialog());
  vp_test_assert_status_contains("blocks · L3  ");
  assert_string_equal(vp_window_get_case(vp_test_window)->mask_path, mask_path);
  free(plan);
  free(gone);
}

static void a_plan_with_its_files_in_place_opens_directly(void **state)
{
  vp_test_close_dialogs();
  char *plan = write_plan("in-place.vplan", mask_path);
  vp_test_open_and_wait(plan);
  assert_null(vp_window_get_open_dialog(vp_test_window));
  assert_true(vp_window_has_case(vp_test_window));
  vp_test_assert_status_contains("blocks · L3  ");
  free(plan);
}

/* ---- Real data ---- */

static void real_mask_opens_l3_with_its_ct(void **state)
{
  char *mask = vp_test_shared_file("verse/sub-verse005_seg-vert_msk.nii.gz");
  if (!mask) {
    print_message("skipped: VP_SHARED_DIR/data/verse/sub-verse005_seg-vert_msk.nii.gz is not there\n");
    skip();
  }
  char *ct = vp_test_shared_file("verse/sub-verse005_ct.nii.gz");
  assert_non_null(ct);
  vp_test_close_dialogs();
  vp_test_open(mask);
  VpLabelDialog *dialog = wait_for_label_dialog();
  find_row(dialog, "L1 — label 20 — 52.2 mL");
  find_row(dialog, "L3 — label 22 — 64.1 mL");
  find_row(dialog, "L5 — label 24 — 68.1 mL");
  find_row(dialog, "Also open the CT: sub-verse005_ct.nii.gz");
  assert_same_file(vp_label_dialog_get_ct_path(dialog), ct);
  adw_action_row_activate(ADW_ACTION_ROW(find_row(dialog, "L3 — label 22")));
  vp_test_screenshot_dialog(GTK_WINDOW(dialog), "gui-label-dialog.png");

  click(find_button(GTK_WIDGET(dialog), "_Open"));
  assert_true(vp_test_wait_until(vp_test_window_is_not_loading));
  assert_null(vp_test_find_message_dialog());
  vp_test_assert_status_contains("sub-verse005 · L3  ");
  vp_test_assert_status_contains("CT 103 × 180 × 106, 1.0 mm");
  vp_test_assert_status_contains(" mL");
  vp_test_wait_for_settled_window();
  vp_test_screenshot_and_check("gui-verse005-L3-from-mask.png");
  free(mask);
  free(ct);
}

int main(void)
{
  vp_test_gui_use_private_home();
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(a_mask_lists_its_labels_by_level_and_offers_its_ct),
    cmocka_unit_test(choosing_a_label_opens_that_vertebra_with_the_ct),
    cmocka_unit_test(an_unticked_ct_is_left_out),
    cmocka_unit_test(a_ct_with_its_mask_beside_it_offers_the_labels_with_that_ct),
    cmocka_unit_test(a_ct_alone_asks_for_its_mask_and_opens_the_chosen_one),
    cmocka_unit_test(a_ct_chosen_as_the_mask_is_refused_with_a_reason),
    cmocka_unit_test(an_opened_mask_is_listed_in_recent_files),
    cmocka_unit_test(cancelling_while_the_case_is_built_returns_to_the_previous_page),
    cmocka_unit_test(cancelling_while_the_file_is_read_returns_to_the_previous_page),
    cmocka_unit_test(cancelling_the_label_dialog_keeps_the_case_shown),
    cmocka_unit_test(a_model_in_metres_is_offered_a_scale_by_1000),
    cmocka_unit_test(a_mesh_with_a_hole_shows_the_repair_summary),
    cmocka_unit_test(a_plan_with_a_missing_file_says_where_it_was_and_can_locate_it),
    cmocka_unit_test(a_plan_with_its_files_in_place_opens_directly),
    cmocka_unit_test(real_mask_opens_l3_with_its_ct),
  };
  int failed = cmocka_run_group_tests_name("gui-open", tests, write_test_files, remove_test_files);
  g_free(finished_message);
  return failed;
}
