/* The window's document: the plan being edited as an undoable VpDocument,
 * the save, save-as, undo and redo actions, the title with its unsaved mark,
 * the question on closing with unsaved changes, the autosave to a recovery
 * file, and the offer at start to recover work a crash left behind. */
#include "vp-window-private.h"

#include "vp-application.h"

#include <glib/gi18n.h>
#include <string.h>
#include <unistd.h>

#include "vp-case-files.h"
#include "vp-config.h"
#include "vp-recovery.h"
#include "vp-teaching-cases.h"

/* When the installed schema is older than the key, or it holds nonsense. */
#define DEFAULT_AUTOSAVE_INTERVAL_S 60
#define AUTOSAVE_KEY "autosave-interval"

/* Numbers the windows of this process, so each has its own recovery file. */
static guint next_window_number;

/* ---- Small helpers ---- */

static void set_action_enabled(VpWindow *self, const char *name, gboolean enabled)
{
  GAction *action = g_action_map_lookup_action(G_ACTION_MAP(self), name);
  if (action)
    g_simple_action_set_enabled(G_SIMPLE_ACTION(action), enabled);
}

static gboolean is_modified(VpWindow *self)
{
  return self->document && vp_document_is_modified(self->document);
}

/* What the user calls the document: the plan file's name, or, before it was
 * ever saved, the case's name. */
static char *document_display_name(VpWindow *self)
{
  const char *path = vp_document_path(self->document);
  if (path)
    return vp_case_files_display_basename(path);
  const char *name = vp_document_plan(self->document)->case_info.name;
  if ((!name || !name[0]) && self->doc)
    name = self->doc->c->name;
  /* A bundled case's name is a message id: shown translated, as everywhere. */
  return g_strdup(name && name[0] ? _(name) : _("Unnamed case"));
}

/* Everything that shows the document, after it changed in any way. */
static void refresh(VpWindow *self)
{
  vp_window_document_update_title(self);
  vp_window_document_update_actions(self);
  vp_window_plan_changed(self);
}

static void show_error(VpWindow *self, const char *heading, const char *body)
{
  GtkWidget *dialog = adw_message_dialog_new(GTK_WINDOW(self), heading, body);
  adw_message_dialog_add_response(ADW_MESSAGE_DIALOG(dialog), "close", _("_Close"));
  gtk_window_present(GTK_WINDOW(dialog));
}

/* ---- Recovery files ---- */

static char *recovery_dir(void)
{
  return g_build_filename(g_get_user_state_dir(), "vertebra-planner", "recovery", NULL);
}

static void remove_recovery_file(VpWindow *self)
{
  VpError err;
  vp_error_clear(&err);
  if (self->recovery_path && !vp_recovery_remove(self->recovery_path, &err))
    g_warning("%s", err.message); /* a stale file is offered once and then discarded */
  self->autosaved_revision = 0;
}

/* Plans are small: writing one takes 2 to 3 ms (measured in the tests, most
 * of it the flush to disk), so it is done on the main loop, with no copy to
 * hand to a thread and no write that could land after the file was removed. */
static gboolean write_recovery_file(VpWindow *self)
{
  if (!self->recovery_path) {
    g_autofree char *dir = recovery_dir();
    char *path = vp_recovery_path(dir, (long)getpid(), self->window_number);
    self->recovery_path = g_strdup(path);
    free(path);
  }
  VpError err;
  vp_error_clear(&err);
  gint64 start = g_get_monotonic_time();
  gboolean ok = vp_recovery_write(self->recovery_path, vp_document_plan(self->document),
                                  vp_document_path(self->document), &err);
  g_debug("autosave to %s: %.2f ms", self->recovery_path,
          (double)(g_get_monotonic_time() - start) / 1000.0);
  if (ok) {
    /* Revisions start at 0; +1 keeps 0 meaning "no file written". */
    self->autosaved_revision = vp_document_revision(self->document) + 1;
  } else if (!self->autosave_failing && !gtk_widget_in_destruction(GTK_WIDGET(self))) {
    /* said once, not at every interval */
    g_autofree char *title = g_strdup_printf(_("Autosave failed: %s"), err.message);
    vp_window_toast(self, title);
  }
  self->autosave_failing = !ok;
  return ok;
}

static gboolean autosave_tick(gpointer data)
{
  VpWindow *self = data;
  if (!self->document)
    return G_SOURCE_CONTINUE;
  if (!vp_document_is_modified(self->document)) {
    if (self->autosaved_revision) /* back at the saved state: nothing to recover */
      remove_recovery_file(self);
  } else if (self->autosaved_revision != vp_document_revision(self->document) + 1) {
    write_recovery_file(self);
  }
  return G_SOURCE_CONTINUE;
}

static guint autosave_interval_s(VpWindow *self)
{
  g_autoptr(GSettingsSchema) schema = NULL;
  if (!self->settings)
    return DEFAULT_AUTOSAVE_INTERVAL_S;
  g_object_get(self->settings, "settings-schema", &schema, NULL);
  if (!schema || !g_settings_schema_has_key(schema, AUTOSAVE_KEY))
    return DEFAULT_AUTOSAVE_INTERVAL_S;
  int seconds = g_settings_get_int(self->settings, AUTOSAVE_KEY);
  return seconds > 0 ? (guint)seconds : DEFAULT_AUTOSAVE_INTERVAL_S;
}

static void stop_autosave(VpWindow *self)
{
  g_clear_handle_id(&self->autosave_source, g_source_remove);
}

static void start_autosave(VpWindow *self)
{
  stop_autosave(self);
  if (self->document)
    self->autosave_source = g_timeout_add_seconds(autosave_interval_s(self), autosave_tick, self);
}

static void on_autosave_interval_changed(GSettings *settings, const char *key, VpWindow *self)
{
  if (self->autosave_source)
    start_autosave(self);
}

/* ---- Editing, undo and redo ---- */

gboolean vp_window_document_edit(VpWindow *self, const char *label, VpPlanEditFunc edit,
                                 gpointer user_data)
{
  g_return_val_if_fail(VP_IS_WINDOW(self), FALSE);
  g_return_val_if_fail(self->document != NULL, FALSE);
  VpError err;
  vp_error_clear(&err);
  VpPlan *plan = vp_document_begin_edit(self->document, &err);
  gboolean ok = plan && edit(plan, user_data, &err);
  if (ok)
    ok = vp_document_commit(self->document, label, &err); /* undoes the change itself on failure */
  else if (plan)
    vp_document_cancel_edit(self->document);
  if (!ok)
    vp_window_toast(self, err.message[0] ? err.message : _("The change could not be made."));
  refresh(self);
  return ok;
}

static gboolean add_measurement(VpPlan *plan, gpointer data, VpError *err)
{
  return vp_plan_add_measurement(plan, data, err);
}

/* A view finished a measurement: it becomes one undoable step. */
static void on_measurement_created(VpViewContext *context, gpointer data, VpWindow *self)
{
  const VpPlanMeasurement *m = data;
  if (!self->document)
    return;
  vp_window_document_edit(self, m->kind == VP_MEASUREMENT_ANGLE ? _("Add Angle") : _("Add Distance"),
                          add_measurement, (gpointer)m);
}

static void undo_activated(GSimpleAction *action, GVariant *param, gpointer user_data)
{
  VpWindow *self = user_data;
  if (self->document && vp_document_undo(self->document))
    refresh(self);
}

static void redo_activated(GSimpleAction *action, GVariant *param, gpointer user_data)
{
  VpWindow *self = user_data;
  if (self->document && vp_document_redo(self->document))
    refresh(self);
}

/* ---- Saving ---- */

static void document_saved(VpWindow *self)
{
  g_autoptr(GFile) file = g_file_new_for_path(vp_document_path(self->document));
  vp_case_files_add_recent(file);
  remove_recovery_file(self);
  vp_window_document_update_title(self);
  vp_window_document_update_actions(self);
  vp_window_plan_changed(self); /* the subtitle names the case once there is a file */
}

/* path NULL: the document's own file. The old file stays as it was when
 * saving fails (vp_plan_save writes a new file and renames it over). */
static gboolean save_to(VpWindow *self, const char *path)
{
  VpError err;
  vp_error_clear(&err);
  if (vp_document_save(self->document, path, &err)) {
    document_saved(self);
    return TRUE;
  }
  g_autofree char *name =
      vp_case_files_display_basename(path ? path : vp_document_path(self->document));
  g_autofree char *heading = g_strdup_printf(_("Could not save “%s”"), name);
  g_autofree char *body = g_strdup_printf(
      _("%s\n\nThe plan is still open with its changes. Save it in another folder with Save As."),
      err.message);
  show_error(self, heading, body);
  return FALSE;
}

static gboolean close_now(gpointer data)
{
  if (!gtk_widget_in_destruction(data))
    gtk_window_close(GTK_WINDOW(data));
  return G_SOURCE_REMOVE;
}

/* Closing destroys the dialogs over the window, so it waits until the one
 * answering now has finished emitting its answer. */
static void close_soon(VpWindow *self)
{
  g_idle_add_full(G_PRIORITY_DEFAULT_IDLE, close_now, g_object_ref(self), g_object_unref);
}

/* What the save was for: closing the window or opening another file. */
static void continue_after_save(VpWindow *self, gboolean saved)
{
  gboolean close = saved && self->close_after_save;
  g_autoptr(GFile) open = g_steal_pointer(&self->open_after_save);
  self->close_after_save = FALSE;
  if (close)
    close_soon(self);
  else if (saved && open)
    vp_window_open(self, open);
}

/* "sub-verse005 L3.vplan": the case's name, without characters a file
 * name cannot hold. */
static char *suggested_file_name(VpWindow *self)
{
  g_autofree char *name = document_display_name(self);
  if (g_str_has_suffix(name, VP_PLAN_EXTENSION))
    return g_steal_pointer(&name);
  g_strdelimit(name, "/", '-'); /* the one character a file name cannot hold */
  return g_strconcat(name, VP_PLAN_EXTENSION, NULL);
}

/* Where Save As starts: the plan's folder, else the folder of the files the
 * case came from, unless those are the bundled teaching cases. */
static GFile *suggested_folder(VpWindow *self)
{
  const char *path = vp_document_path(self->document);
  const VpPlanCase *pc = &vp_document_plan(self->document)->case_info;
  if (!path && pc->source_count > 0)
    path = pc->sources[0].path;
  if (!path)
    return NULL;
  g_autofree char *folder = g_path_get_dirname(path);
  g_autofree char *cases = vp_teaching_cases_dir();
  g_autofree char *cases_canonical = g_canonicalize_filename(cases, NULL);
  if (g_str_equal(folder, cases_canonical) || !g_file_test(folder, G_FILE_TEST_IS_DIR))
    return NULL;
  return g_file_new_for_path(folder);
}

static void on_save_as_response(GtkNativeDialog *native, int response, VpWindow *self)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;
  if (response == GTK_RESPONSE_ACCEPT && (file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(native))))
    path = g_file_get_path(file);
  if (self->save_chooser == native)
    g_clear_object(&self->save_chooser);
  if (!path || !self->document) {
    continue_after_save(self, FALSE);
    return;
  }
  if (!g_str_has_suffix(path, VP_PLAN_EXTENSION)) {
    char *with_extension = g_strconcat(path, VP_PLAN_EXTENSION, NULL);
    g_free(path);
    path = with_extension;
  }
  continue_after_save(self, save_to(self, path));
}

static void save_as(VpWindow *self, gboolean then_close)
{
  self->close_after_save = then_close;
  if (self->save_chooser) {
    gtk_native_dialog_show(self->save_chooser);
    return;
  }
  GtkFileChooserNative *native = gtk_file_chooser_native_new(
      _("Save Plan"), GTK_WINDOW(self), GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  GtkFileChooser *chooser = GTK_FILE_CHOOSER(native);
  gtk_native_dialog_set_modal(GTK_NATIVE_DIALOG(native), TRUE);
  GtkFileFilter *filter = gtk_file_filter_new();
  gtk_file_filter_set_name(filter, _("Plans"));
  gtk_file_filter_add_pattern(filter, "*" VP_PLAN_EXTENSION);
  gtk_file_chooser_add_filter(chooser, filter);
  g_object_unref(filter);
  g_autoptr(GFile) folder = suggested_folder(self);
  if (folder)
    gtk_file_chooser_set_current_folder(chooser, folder, NULL);
  g_autofree char *name = suggested_file_name(self);
  gtk_file_chooser_set_current_name(chooser, name);
  g_signal_connect_object(native, "response", G_CALLBACK(on_save_as_response), self, 0);
  self->save_chooser = GTK_NATIVE_DIALOG(native);
  gtk_native_dialog_show(self->save_chooser);
}

/* A document never saved (or a teaching case's) is saved as a new file. */
static void save(VpWindow *self, gboolean then_close)
{
  if (!vp_document_path(self->document)) {
    save_as(self, then_close);
    return;
  }
  self->close_after_save = then_close;
  continue_after_save(self, save_to(self, NULL));
}

static void save_activated(GSimpleAction *action, GVariant *param, gpointer user_data)
{
  VpWindow *self = user_data;
  vp_window_commit_pending_edits(self); /* notes still being typed belong in the file */
  if (self->document)
    save(self, FALSE);
}

static void save_as_activated(GSimpleAction *action, GVariant *param, gpointer user_data)
{
  VpWindow *self = user_data;
  vp_window_commit_pending_edits(self);
  if (self->document)
    save_as(self, FALSE);
}

/* ---- Title and actions ---- */

void vp_window_document_update_title(VpWindow *self)
{
  g_return_if_fail(VP_IS_WINDOW(self));
  g_autofree char *title = NULL;
  if (!self->document) {
    title = g_strdup(_("Vertebra Planner"));
  } else {
    g_autofree char *name = document_display_name(self);
    /* Translators: the window title of a plan with unsaved changes. */
    title = is_modified(self) ? g_strdup_printf(_("• %s"), name) : g_steal_pointer(&name);
  }
  if (self->window_title)
    adw_window_title_set_title(self->window_title, title);
  gtk_window_set_title(GTK_WINDOW(self), title);
}


/* The header bar's buttons say what they would undo or redo. */
static void update_step_tooltips(VpWindow *self)
{
  const char *undo = self->document ? vp_document_undo_label(self->document) : NULL;
  const char *redo = self->document ? vp_document_redo_label(self->document) : NULL;
  /* Translators: %s is the step undone, e.g. "Undo Add Distance (Ctrl+Z)". */
  g_autofree char *undo_tip = undo ? g_strdup_printf(_("Undo %s (Ctrl+Z)"), undo)
                                   : g_strdup(_("Undo (Ctrl+Z)"));
  /* Translators: %s is the step redone, e.g. "Redo Add Distance (Ctrl+Shift+Z)". */
  g_autofree char *redo_tip = redo ? g_strdup_printf(_("Redo %s (Ctrl+Shift+Z)"), redo)
                                   : g_strdup(_("Redo (Ctrl+Shift+Z)"));
  if (self->undo_button)
    gtk_widget_set_tooltip_text(self->undo_button, undo_tip);
  if (self->redo_button)
    gtk_widget_set_tooltip_text(self->redo_button, redo_tip);
}

void vp_window_document_update_actions(VpWindow *self)
{
  g_return_if_fail(VP_IS_WINDOW(self));
  VpDocument *doc = self->document;
  set_action_enabled(self, "save", doc != NULL);
  set_action_enabled(self, "save-as", doc != NULL);
  set_action_enabled(self, "undo", doc && vp_document_can_undo(doc));
  set_action_enabled(self, "redo", doc && vp_document_can_redo(doc));
  update_step_tooltips(self);
}

/* ---- Attaching a case ---- */

/* The bundled teaching cases are starting points, not the user's files: a
 * plan made from one is saved somewhere new. */
static gboolean is_teaching_case_plan(const char *path)
{
  g_autofree char *cases = vp_teaching_cases_dir();
  g_autofree char *cases_canonical = g_canonicalize_filename(cases, NULL);
  g_autofree char *folder = g_path_get_dirname(path);
  g_autofree char *folder_canonical = g_canonicalize_filename(folder, NULL);
  return g_str_equal(cases_canonical, folder_canonical);
}

/* A plan describing the case, for one opened from a mesh or a mask whose
 * worker could not make it. Never NULL unless memory runs out. */
static VpPlan *plan_for_case(VpWindow *self, const VpCase *c)
{
  VpError err;
  vp_error_clear(&err);
  VpPlan *plan = vp_plan_new(VP_VERSION, &err);
  if (plan && !vp_case_to_plan(c, plan, &err)) {
    vp_window_toast(self, err.message); /* still a plan: the case's files are named again on save */
    vp_plan_set_case(plan, c->name ? c->name : "", c->level, c->label, &err);
  }
  return plan;
}

static void forget_document(VpWindow *self)
{
  stop_autosave(self);
  remove_recovery_file(self);
  g_clear_pointer(&self->document, vp_document_free);
  self->close_confirmed = FALSE;
  self->close_after_save = FALSE;
  self->replace_confirmed = FALSE;
  g_clear_object(&self->open_after_save);
}

/* The case came from an autosave: it is unsaved work again, kept in this
 * window's own recovery file before the old one goes. */
static void adopt_recovered(VpWindow *self, const char *orphan_path)
{
  VpError err;
  vp_error_clear(&err);
  vp_document_set_modified(self->document);
  if (write_recovery_file(self) && !vp_recovery_remove(orphan_path, &err))
    vp_window_toast(self, err.message);
}

void vp_window_document_attach(VpWindow *self, VpLoadedCase *loaded)
{
  g_return_if_fail(VP_IS_WINDOW(self));
  forget_document(self);
  VpPlan *plan = g_steal_pointer(&loaded->plan);
  const char *path = loaded->plan_path;
  if (path && is_teaching_case_plan(path))
    path = NULL;
  if (!plan)
    plan = plan_for_case(self, loaded->c);
  VpError err;
  vp_error_clear(&err);
  self->document = plan ? vp_document_new(plan, path, &err) : NULL;
  if (!self->document) {
    vp_window_toast(self, err.message[0] ? err.message : _("Out of memory."));
  } else {
    if (loaded->recovery_path)
      adopt_recovered(self, loaded->recovery_path);
    start_autosave(self);
  }
  refresh(self);
}

void vp_window_document_detach(VpWindow *self)
{
  g_return_if_fail(VP_IS_WINDOW(self));
  g_clear_handle_id(&self->recovery_offer_source, g_source_remove);
  if (self->document_dialog)
    gtk_window_destroy(g_steal_pointer(&self->document_dialog));
  if (self->save_chooser) {
    g_signal_handlers_disconnect_by_data(self->save_chooser, self);
    gtk_native_dialog_destroy(self->save_chooser);
    g_clear_object(&self->save_chooser);
  }
  /* Destroyed with changes nobody chose to drop (the application quit
   * without asking, say): the latest state stays in the recovery file, which
   * the next start offers back once this process is gone. */
  if (is_modified(self) && !self->close_confirmed && write_recovery_file(self))
    g_clear_pointer(&self->recovery_path, g_free);
  forget_document(self);
  g_clear_pointer(&self->recovery_path, g_free);
}

const VpDocument *vp_window_get_document(VpWindow *self)
{
  g_return_val_if_fail(VP_IS_WINDOW(self), NULL);
  return self->document;
}

/* ---- Closing with unsaved changes ---- */

static void on_document_dialog_destroyed(GtkWindow *dialog, VpWindow *self)
{
  if (self->document_dialog == dialog)
    self->document_dialog = NULL;
}

/* The question is the window's one at a time; it lets go when it goes. */
static void show_document_dialog(VpWindow *self, GtkWidget *dialog)
{
  self->document_dialog = GTK_WINDOW(dialog);
  g_signal_connect_object(dialog, "destroy", G_CALLBACK(on_document_dialog_destroyed), self, 0);
  gtk_window_present(GTK_WINDOW(dialog));
}

static void on_close_question_response(AdwMessageDialog *dialog, const char *response,
                                       VpWindow *self)
{
  if (self->document_dialog == GTK_WINDOW(dialog))
    self->document_dialog = NULL; /* it closes itself */
  if (g_str_equal(response, "discard")) {
    self->close_confirmed = TRUE;
    close_soon(self);
  } else if (g_str_equal(response, "save") && self->document) {
    save(self, TRUE);
  }
}

gboolean vp_window_document_may_close(VpWindow *self)
{
  g_return_val_if_fail(VP_IS_WINDOW(self), TRUE);
  if (!is_modified(self) || self->close_confirmed) {
    remove_recovery_file(self);
    return TRUE;
  }
  if (self->document_dialog) {
    gtk_window_present(self->document_dialog);
    return FALSE;
  }
  g_autofree char *name = document_display_name(self);
  g_autofree char *heading = g_strdup_printf(_("Save Changes to “%s”?"), name);
  GtkWidget *dialog = adw_message_dialog_new(
      GTK_WINDOW(self), heading, _("Changes that are not saved will be lost."));
  AdwMessageDialog *message = ADW_MESSAGE_DIALOG(dialog);
  adw_message_dialog_add_responses(message, "cancel", _("_Cancel"), "discard", _("_Discard"),
                                   "save", _("_Save"), NULL);
  adw_message_dialog_set_response_appearance(message, "discard", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_response_appearance(message, "save", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response(message, "save");
  adw_message_dialog_set_close_response(message, "cancel");
  g_signal_connect_object(dialog, "response", G_CALLBACK(on_close_question_response), self, 0);
  show_document_dialog(self, dialog);
  return FALSE;
}

/* ---- Opening another file over unsaved changes ---- */

static void on_replace_question_response(AdwMessageDialog *dialog, const char *response,
                                         VpWindow *self)
{
  if (self->document_dialog == GTK_WINDOW(dialog))
    self->document_dialog = NULL;
  g_autoptr(GFile) file = g_object_steal_data(G_OBJECT(dialog), "file");
  if (!file || !self->document)
    return;
  if (g_str_equal(response, "discard")) {
    self->replace_confirmed = TRUE;
    vp_window_open(self, file);
  } else if (g_str_equal(response, "save")) {
    g_set_object(&self->open_after_save, file);
    save(self, FALSE);
  }
}

gboolean vp_window_document_may_replace(VpWindow *self, GFile *file)
{
  g_return_val_if_fail(VP_IS_WINDOW(self), TRUE);
  if (self->replace_confirmed || !is_modified(self)) {
    self->replace_confirmed = FALSE; /* one open only: if it fails, the changes still count */
    return TRUE;
  }
  if (self->document_dialog)
    gtk_window_destroy(self->document_dialog); /* the newest question wins */
  g_autofree char *name = document_display_name(self);
  g_autofree char *heading = g_strdup_printf(_("Save Changes to “%s”?"), name);
  GtkWidget *dialog = adw_message_dialog_new(
      GTK_WINDOW(self), heading,
      _("Another case is about to open in this window. Changes that are not saved will be lost."));
  AdwMessageDialog *message = ADW_MESSAGE_DIALOG(dialog);
  adw_message_dialog_add_responses(message, "cancel", _("_Cancel"), "discard", _("_Discard"),
                                   "save", _("_Save"), NULL);
  adw_message_dialog_set_response_appearance(message, "discard", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_response_appearance(message, "save", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response(message, "save");
  adw_message_dialog_set_close_response(message, "cancel");
  g_object_set_data_full(G_OBJECT(dialog), "file", g_object_ref(file), g_object_unref);
  g_signal_connect_object(dialog, "response", G_CALLBACK(on_replace_question_response), self, 0);
  show_document_dialog(self, dialog);
  return FALSE;
}

/* ---- Recovering work a crash left behind ---- */

/* The orphans found at start, offered one after another. */
typedef struct RecoveryOffer {
  VpWindow *window;
  VpRecoveryInfo *orphans;
  size_t count;
  size_t next;
} RecoveryOffer;

static void recovery_offer_free(gpointer data, GClosure *closure)
{
  RecoveryOffer *offer = data;
  vp_recovery_list_free(offer->orphans, offer->count);
  g_object_unref(offer->window);
  g_free(offer);
}

/* "14:32" today, "2026-11-21 14:32" before. */
static char *format_saved_at(gint64 saved_at)
{
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_local(saved_at);
  g_autoptr(GDateTime) now = g_date_time_new_now_local();
  if (!when)
    return g_strdup("?");
  gboolean today = g_date_time_get_year(when) == g_date_time_get_year(now) &&
                   g_date_time_get_day_of_year(when) == g_date_time_get_day_of_year(now);
  return g_date_time_format(when, today ? "%H:%M" : "%Y-%m-%d %H:%M");
}

static char *describe_orphan(const VpRecoveryInfo *info)
{
  const char *case_name = info->case_name && info->case_name[0] ? info->case_name
                                                                  : _("Unnamed case");
  g_autofree char *when = format_saved_at(info->saved_at);
  if (info->document_path) {
    g_autofree char *file = vp_case_files_display_basename(info->document_path);
    /* Translators: file name, case name, time: "… changes to “l3.vplan”
     * (sub-verse005 L3) were saved. They were autosaved at 14:32." */
    return g_strdup_printf(_("Vertebra Planner stopped before the changes to “%s” (%s) were "
                             "saved. They were autosaved at %s."),
                           file, case_name, when);
  }
  /* Translators: case name and time: "… the plan of sub-verse005 L3 was saved.
   * It was autosaved at 14:32." */
  return g_strdup_printf(_("Vertebra Planner stopped before the plan of %s was saved. It was "
                           "autosaved at %s."),
                         case_name, when);
}

static void offer_next_orphan(RecoveryOffer *offer);

/* This window takes the first recovered plan; others get their own. */
static VpWindow *window_for_recovery(VpWindow *self)
{
  if (!vp_window_has_case(self) && !vp_window_is_loading(self))
    return self;
  GtkApplication *app = gtk_window_get_application(GTK_WINDOW(self));
  VpWindow *window = vp_window_new(app);
  gtk_window_present(GTK_WINDOW(window));
  return window;
}

static void on_recovery_response(AdwMessageDialog *dialog, const char *response,
                                 RecoveryOffer *offer)
{
  VpWindow *self = offer->window;
  if (self->document_dialog == GTK_WINDOW(dialog))
    self->document_dialog = NULL;
  const VpRecoveryInfo *info = &offer->orphans[offer->next++];
  VpError err;
  vp_error_clear(&err);
  if (g_str_equal(response, "recover"))
    vp_window_open_recovery(window_for_recovery(self), info->path, info->document_path);
  else if (g_str_equal(response, "discard") && !vp_recovery_remove(info->path, &err))
    vp_window_toast(self, err.message);
  /* "later" (closed): kept, and offered again at the next start */
  offer_next_orphan(offer);
}

static void offer_next_orphan(RecoveryOffer *offer)
{
  if (offer->next >= offer->count || gtk_widget_in_destruction(GTK_WIDGET(offer->window)))
    return;
  VpWindow *self = offer->window;
  g_autofree char *body = describe_orphan(&offer->orphans[offer->next]);
  GtkWidget *dialog = adw_message_dialog_new(GTK_WINDOW(self), _("Recover Unsaved Work?"), body);
  AdwMessageDialog *message = ADW_MESSAGE_DIALOG(dialog);
  adw_message_dialog_add_responses(message, "discard", _("_Discard"), "recover", _("_Recover"),
                                   NULL);
  adw_message_dialog_set_response_appearance(message, "discard", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_response_appearance(message, "recover", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response(message, "recover");
  adw_message_dialog_set_close_response(message, "later");
  /* The offer lives as long as the dialog that answers it; the next one
   * takes it over, so it is moved, not shared. */
  RecoveryOffer *moved = g_memdup2(offer, sizeof *offer);
  g_object_ref(moved->window);
  offer->count = 0;
  offer->orphans = NULL;
  g_signal_connect_data(dialog, "response", G_CALLBACK(on_recovery_response), moved,
                        recovery_offer_free, 0);
  show_document_dialog(self, dialog);
}

/* A --screenshot run shows its file and quits; it asks nothing. */
static gboolean is_screenshot_run(GApplication *app)
{
  return VP_IS_APPLICATION(app) && vp_application_is_screenshot_run(VP_APPLICATION(app));
}

static gboolean offer_recovery(gpointer data)
{
  VpWindow *self = data;
  self->recovery_offer_source = 0;
  GtkApplication *app = gtk_window_get_application(GTK_WINDOW(self));
  if (!app || g_object_get_data(G_OBJECT(app), "vp-recovery-offered") ||
      is_screenshot_run(G_APPLICATION(app)))
    return G_SOURCE_REMOVE;
  g_object_set_data(G_OBJECT(app), "vp-recovery-offered", GINT_TO_POINTER(TRUE));
  g_autofree char *dir = recovery_dir();
  VpError err;
  vp_error_clear(&err);
  RecoveryOffer offer = {.window = self};
  offer.orphans = vp_recovery_list_orphans(dir, &offer.count, &err);
  if (!offer.orphans && err.code != VP_OK)
    g_warning("%s", err.message);
  offer_next_orphan(&offer);
  vp_recovery_list_free(offer.orphans, offer.count);
  return G_SOURCE_REMOVE;
}

/* ---- Set-up ---- */

static const GActionEntry document_entries[] = {
  {.name = "save", .activate = save_activated},
  {.name = "save-as", .activate = save_as_activated},
  {.name = "undo", .activate = undo_activated},
  {.name = "redo", .activate = redo_activated},
};

void vp_window_document_init(VpWindow *self)
{
  self->window_number = next_window_number++;
  g_action_map_add_action_entries(G_ACTION_MAP(self), document_entries,
                                  G_N_ELEMENTS(document_entries), self);
  if (self->context)
    g_signal_connect_object(self->context, "measurement-created",
                            G_CALLBACK(on_measurement_created), self, 0);
  if (self->settings)
    g_signal_connect_object(self->settings, "changed::" AUTOSAVE_KEY,
                            G_CALLBACK(on_autosave_interval_changed), self, 0);
  /* The window belongs to its application only once constructed. */
  self->recovery_offer_source = g_idle_add(offer_recovery, self);
  vp_window_document_update_actions(self);
  vp_window_document_update_title(self);
}
