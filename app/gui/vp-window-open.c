/* The steps of opening a file in a window: a first look in a worker thread,
 * then what the file alone does not say is asked (which vertebra of a mask,
 * which mask for a CT, what to do about a plan's missing or changed files),
 * then the case is built in a worker thread while the loading page shows
 * progress and offers to cancel. */
#include "vp-window-private.h"

#include <glib/gi18n.h>
#include <stdlib.h>
#include <string.h>

#include "vp-case-files.h"
#include "vp-label-dialog.h"

#define PULSE_INTERVAL_MS 100
/* Wide enough for a file name and a folder path on one line in most cases. */
#define PLAN_DIALOG_WIDTH 560

/* ---- Steps ---- */

/* One asynchronous step of an open. It does nothing when it comes back after
 * a newer open or a cancel (open_serial moved on) or after the window closed. */
typedef struct Step {
  VpWindow *window;
  guint serial;
  VpOpenResult *result; /* what the step is about (owned), or NULL */
} Step;

static Step *step_new(VpWindow *self, VpOpenResult *result)
{
  Step *step = g_new0(Step, 1);
  step->window = g_object_ref(self);
  step->serial = self->open_serial;
  step->result = result;
  return step;
}

static void step_free(Step *step)
{
  g_object_unref(step->window);
  vp_open_result_free(step->result);
  g_free(step);
}

static void step_free_closure(gpointer data, GClosure *closure)
{
  step_free(data);
}

static gboolean step_is_current(Step *step)
{
  return step->window->opening && step->serial == step->window->open_serial;
}

/* ---- The loading page ---- */

static gboolean pulse(gpointer data)
{
  gtk_progress_bar_pulse(VP_WINDOW(data)->loading_progress);
  return G_SOURCE_CONTINUE;
}

static void start_pulse(VpWindow *self)
{
  if (!self->pulse_source)
    self->pulse_source = g_timeout_add(PULSE_INTERVAL_MS, pulse, self);
}

static void stop_pulse(VpWindow *self)
{
  g_clear_handle_id(&self->pulse_source, g_source_remove);
}

/* A fraction below 0 means the work cannot say how far it is: pulse. */
static void on_progress(double fraction, const char *stage, gpointer user_data)
{
  VpWindow *self = user_data;
  if (stage)
    gtk_label_set_text(self->loading_stage_label, stage);
  if (fraction < 0) {
    start_pulse(self);
    return;
  }
  stop_pulse(self);
  gtk_progress_bar_set_fraction(self->loading_progress, CLAMP(fraction, 0.0, 1.0));
}

/* Shows the loading page; returns the progress the next worker reports to. */
static VpLoadProgress *begin_work(VpWindow *self)
{
  g_autofree char *name = vp_case_files_display_name(self->opening);
  g_autofree char *title = g_strdup_printf(_("Opening “%s”…"), name);
  gtk_label_set_text(self->loading_label, title);
  gtk_label_set_text(self->loading_stage_label, "");
  gtk_progress_bar_set_fraction(self->loading_progress, 0);
  start_pulse(self);
  vp_window_show_page(self, "loading");
  self->progress = vp_load_progress_new(on_progress, self);
  return self->progress;
}

/* Stops the worker, if it still runs, and any report still on its way. */
static void end_work(VpWindow *self)
{
  stop_pulse(self);
  if (self->progress)
    vp_load_progress_cancel(self->progress);
  g_clear_pointer(&self->progress, vp_load_progress_unref);
}

/* ---- Ending an open ---- */

void vp_window_abandon_open(VpWindow *self)
{
  self->open_serial++;
  end_work(self);
  if (self->open_dialog)
    gtk_window_destroy(g_steal_pointer(&self->open_dialog));
  g_clear_pointer(&self->mask_for_ct, g_free);
  g_clear_object(&self->opening);
}

static void finish_open(VpWindow *self, gboolean success, const char *message)
{
  g_autoptr(GFile) file = g_object_ref(self->opening);
  vp_window_abandon_open(self);
  g_signal_emit_by_name(self, "load-finished", file, success, message);
}

void vp_window_cancel_open(VpWindow *self)
{
  g_return_if_fail(VP_IS_WINDOW(self));
  if (!self->opening)
    return;
  vp_window_show_previous_page(self);
  finish_open(self, FALSE, NULL);
}

static void fail_open(VpWindow *self, const char *message)
{
  g_autofree char *name = vp_case_files_display_name(self->opening);
  g_autofree char *heading = g_strdup_printf(_("Could not open “%s”"), name);
  GtkWidget *dialog = adw_message_dialog_new(GTK_WINDOW(self), heading, message);
  adw_message_dialog_add_response(ADW_MESSAGE_DIALOG(dialog), "close", _("_Close"));
  vp_window_show_previous_page(self);
  gtk_window_present(GTK_WINDOW(dialog));
  finish_open(self, FALSE, message);
}

static void succeed_open(VpWindow *self, VpLoadedCase *loaded)
{
  gboolean recovered = loaded->recovery_path != NULL; /* an autosave is not a file to reopen */
  vp_window_show_case(self, loaded);
  if (!recovered)
    vp_case_files_add_recent(self->opening);
  finish_open(self, TRUE, NULL);
}

/* A dialog destroyed without an answer (not closed by the user, who answers
 * by closing) leaves nothing to wait for: the open is cancelled. */
static void on_dialog_destroyed(GtkWindow *dialog, Step *step)
{
  if (step_is_current(step) && step->window->open_dialog == dialog) {
    step->window->open_dialog = NULL;
    vp_window_cancel_open(step->window);
  }
}

/* Dialogs of an open sit over the page the user came from. */
static void ask(VpWindow *self, GtkWindow *dialog)
{
  vp_window_show_previous_page(self);
  self->open_dialog = dialog;
  g_signal_connect_data(dialog, "destroy", G_CALLBACK(on_dialog_destroyed), step_new(self, NULL),
                        step_free_closure, 0);
  gtk_window_present(dialog);
}

/* A dialog's answer for the current open, or NULL for a stale one. */
static VpWindow *take_answer(Step *step)
{
  if (!step_is_current(step))
    return NULL;
  step->window->open_dialog = NULL; /* it closes itself */
  return step->window;
}

static void on_built(GObject *source, GAsyncResult *result, gpointer data)
{
  Step *step = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(VpLoadedCase) loaded = vp_case_loader_build_finish(result, &error);
  if (step_is_current(step)) {
    end_work(step->window);
    if (loaded)
      succeed_open(step->window, g_steal_pointer(&loaded));
    else
      fail_open(step->window, error->message);
  }
  step_free(step);
}

/* ---- Masks: which vertebra ---- */

static void on_label_response(VpLabelDialog *dialog, const char *response, Step *step)
{
  VpWindow *self = take_answer(step);
  if (!self)
    return;
  if (!g_str_equal(response, "open")) {
    vp_window_cancel_open(self);
    return;
  }
  VpLoadProgress *progress = begin_work(self);
  vp_case_loader_build_from_mask_async(step->result->mask_path, vp_label_dialog_get_label(dialog),
                                       vp_label_dialog_get_ct_path(dialog), progress, on_built,
                                       step_new(self, NULL));
}

static void ask_label(VpWindow *self, VpOpenResult *r)
{
  VpLabelDialog *dialog = vp_label_dialog_new(GTK_WINDOW(self), r->mask_path, &r->labels, r->ct_path);
  g_signal_connect_data(dialog, "response", G_CALLBACK(on_label_response), step_new(self, r),
                        step_free_closure, 0);
  ask(self, GTK_WINDOW(dialog));
}

/* ---- CTs: which mask ---- */

static void start_open(VpWindow *self, const char *path, const char *ct_path);

static void on_mask_chosen(GtkNativeDialog *native, int response, Step *step)
{
  VpWindow *self = step_is_current(step) ? step->window : NULL;
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;
  if (response == GTK_RESPONSE_ACCEPT && (file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(native))))
    path = g_file_get_path(file);
  if (self && path)
    start_open(self, path, self->mask_for_ct);
  else if (self)
    vp_window_cancel_open(self);
  g_object_unref(native); /* last: it frees step */
}

static void choose_mask(VpWindow *self, const char *ct_path)
{
  g_free(self->mask_for_ct);
  self->mask_for_ct = g_strdup(ct_path);
  GtkFileChooserNative *native = gtk_file_chooser_native_new(
      _("Choose the Label Mask"), GTK_WINDOW(self), GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"),
      _("_Cancel"));
  gtk_native_dialog_set_modal(GTK_NATIVE_DIALOG(native), TRUE);
  vp_case_files_add_volume_filters(GTK_FILE_CHOOSER(native));
  g_autofree char *folder_path = g_path_get_dirname(ct_path);
  g_autoptr(GFile) folder = g_file_new_for_path(folder_path);
  gtk_file_chooser_set_current_folder(GTK_FILE_CHOOSER(native), folder, NULL);
  g_signal_connect_data(native, "response", G_CALLBACK(on_mask_chosen), step_new(self, NULL),
                        step_free_closure, 0);
  gtk_native_dialog_show(GTK_NATIVE_DIALOG(native));
}

static void on_mask_question_response(AdwMessageDialog *dialog, const char *response, Step *step)
{
  VpWindow *self = take_answer(step);
  if (self && g_str_equal(response, "choose"))
    choose_mask(self, step->result->ct_path);
  else if (self)
    vp_window_cancel_open(self);
}

/* A CT alone does not say where the vertebra is. */
static void ask_for_mask(VpWindow *self, VpOpenResult *r)
{
  g_autofree char *name = vp_case_files_display_basename(r->ct_path);
  g_autofree char *body = g_strdup_printf(
      _("“%s” is a CT. To know which vertebra to show, Vertebra Planner needs the label mask "
        "segmented from it, and none was found beside it. Choose the mask to go on."),
      name);
  GtkWidget *dialog = adw_message_dialog_new(GTK_WINDOW(self), _("Choose the Label Mask"), body);
  AdwMessageDialog *message = ADW_MESSAGE_DIALOG(dialog);
  adw_message_dialog_add_responses(message, "cancel", _("_Cancel"), "choose", _("_Choose Mask…"),
                                   NULL);
  adw_message_dialog_set_response_appearance(message, "choose", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response(message, "choose");
  adw_message_dialog_set_close_response(message, "cancel");
  g_signal_connect_data(dialog, "response", G_CALLBACK(on_mask_question_response),
                        step_new(self, r), step_free_closure, 0);
  ask(self, GTK_WINDOW(dialog));
}

static void on_volume_opened(VpWindow *self, VpOpenResult *r)
{
  if (self->mask_for_ct && !r->opened_mask) {
    g_autofree char *name = vp_case_files_display_basename(r->path);
    g_autofree char *message = g_strdup_printf(
        _("“%s” is a CT, not a label mask: its values are Hounsfield units, not label numbers. "
          "Choose the mask segmented from the CT."),
        name);
    vp_open_result_free(r);
    fail_open(self, message);
  } else if (r->mask_path) {
    ask_label(self, r);
  } else {
    ask_for_mask(self, r);
  }
}

/* ---- Plans: missing and changed files ---- */

static void on_plan_opened(VpWindow *self, VpOpenResult *r);

static void on_plan_checked(GObject *source, GAsyncResult *result, gpointer data)
{
  Step *step = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(VpOpenResult) r = vp_case_loader_check_plan_finish(result, &error);
  if (step_is_current(step)) {
    end_work(step->window);
    if (r)
      on_plan_opened(step->window, g_steal_pointer(&r));
    else
      fail_open(step->window, error->message);
  }
  step_free(step);
}

/* The first file that is not there (or cannot be read), or -1. */
static gssize first_missing(const VpOpenResult *r)
{
  for (size_t i = 0; i < r->report.source_count; i++) {
    VpSourceState state = r->report.source_states[i];
    if (state == VP_SOURCE_MISSING || state == VP_SOURCE_UNREADABLE)
      return (gssize)i;
  }
  return -1;
}

static void on_source_located(GtkNativeDialog *native, int response, Step *step)
{
  VpWindow *self = step_is_current(step) ? step->window : NULL;
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;
  gssize index = first_missing(step->result);
  if (response == GTK_RESPONSE_ACCEPT && (file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(native))))
    path = g_file_get_path(file);
  char *copy = path ? strdup(path) : NULL; /* the plan frees its paths with free() */
  if (self && copy && index >= 0) {
    VpPlanSource *source = &step->result->plan->case_info.sources[index];
    free(source->path);
    source->path = copy;
    VpLoadProgress *progress = begin_work(self);
    vp_case_loader_check_plan_async(g_steal_pointer(&step->result), progress, on_plan_checked,
                                    step_new(self, NULL));
  } else {
    free(copy);
    if (self)
      vp_window_cancel_open(self);
  }
  g_object_unref(native); /* last: it frees step */
}

static void locate_source(VpWindow *self, VpOpenResult *r)
{
  const VpPlanSource *source = &r->plan->case_info.sources[first_missing(r)];
  g_autofree char *name = vp_case_files_display_basename(source->path);
  g_autofree char *title = g_strdup_printf(_("Locate “%s”"), name);
  GtkFileChooserNative *native = gtk_file_chooser_native_new(
      title, GTK_WINDOW(self), GTK_FILE_CHOOSER_ACTION_OPEN, _("_Use This File"), _("_Cancel"));
  gtk_native_dialog_set_modal(GTK_NATIVE_DIALOG(native), TRUE);
  g_autofree char *folder_path = g_path_get_dirname(r->path);
  g_autoptr(GFile) folder = g_file_new_for_path(folder_path);
  gtk_file_chooser_set_current_folder(GTK_FILE_CHOOSER(native), folder, NULL);
  g_signal_connect_data(native, "response", G_CALLBACK(on_source_located), step_new(self, r),
                        step_free_closure, 0);
  gtk_native_dialog_show(GTK_NATIVE_DIALOG(native));
}

static void build_plan(VpWindow *self, VpOpenResult *r)
{
  VpLoadProgress *progress = begin_work(self);
  vp_case_loader_build_from_plan_async(r, progress, on_built, step_new(self, NULL));
}

static void on_plan_question_response(AdwMessageDialog *dialog, const char *response, Step *step)
{
  VpWindow *self = take_answer(step);
  if (!self)
    return;
  if (g_str_equal(response, "locate"))
    locate_source(self, g_steal_pointer(&step->result));
  else if (g_str_equal(response, "open"))
    build_plan(self, g_steal_pointer(&step->result));
  else
    vp_window_cancel_open(self);
}

/* "sub-verse005_ct.nii.gz: missing (expected at /data/sub-verse005_ct.nii.gz)" */
static char *describe_source(const VpPlanSource *source, VpSourceState state)
{
  g_autofree char *name = vp_case_files_display_basename(source->path);
  g_autofree char *path = g_filename_display_name(source->path ? source->path : "");
  switch (state) {
  case VP_SOURCE_MISSING:
    return g_strdup_printf(_("%s: missing (expected at %s)"), name, path);
  case VP_SOURCE_CHANGED:
    return g_strdup_printf(_("%s: changed since the plan was saved"), name);
  case VP_SOURCE_UNREADABLE:
    return g_strdup_printf(_("%s: cannot be read (%s); check its permissions"), name, path);
  case VP_SOURCE_FOUND:
  default:
    return NULL;
  }
}

static char *describe_plan_problems(const VpOpenResult *r)
{
  GString *text = g_string_new(NULL);
  for (size_t i = 0; i < r->report.source_count && i < r->plan->case_info.source_count; i++) {
    g_autofree char *line =
        describe_source(&r->plan->case_info.sources[i], r->report.source_states[i]);
    if (line)
      g_string_append_printf(text, "%s%s", text->len ? "\n" : "", line);
  }
  return g_string_free(text, FALSE);
}

static void add_plan_responses(AdwMessageDialog *message, const VpOpenResult *r)
{
  adw_message_dialog_add_response(message, "cancel", _("_Cancel"));
  adw_message_dialog_set_close_response(message, "cancel");
  const char *next = first_missing(r) >= 0 ? "locate" : "open";
  adw_message_dialog_add_response(message, next,
                                  first_missing(r) >= 0 ? _("_Locate…") : _("Open _Anyway"));
  adw_message_dialog_set_response_appearance(message, next, ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response(message, next);
}

/* One line per file, left-aligned and selectable: paths are read and copied. */
static GtkWidget *problem_list_new(const VpOpenResult *r)
{
  g_autofree char *problems = describe_plan_problems(r);
  GtkWidget *label = gtk_label_new(problems);
  gtk_label_set_xalign(GTK_LABEL(label), 0);
  gtk_label_set_wrap(GTK_LABEL(label), TRUE);
  gtk_label_set_wrap_mode(GTK_LABEL(label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable(GTK_LABEL(label), TRUE);
  gtk_widget_add_css_class(label, "vp-plan-problems");
  return label;
}

/* Missing files are located one at a time (and checked again); changed ones
 * are the user's call: the plan may no longer fit them. */
static void ask_about_plan_files(VpWindow *self, VpOpenResult *r)
{
  gssize missing = first_missing(r);
  g_autofree char *missing_name =
      missing >= 0 ? vp_case_files_display_basename(r->plan->case_info.sources[missing].path) : NULL;
  g_autofree char *body =
      missing >= 0
          ? g_strdup_printf(_("The plan was made from these files, which are not as they were. "
                              "Locate “%s” to go on."),
                            missing_name)
          : g_strdup(_("The plan was made from these files, which changed since it was saved, so "
                       "it may no longer fit them. Open it anyway?"));
  GtkWidget *dialog =
      adw_message_dialog_new(GTK_WINDOW(self), _("Files of This Plan Are Missing or Changed"), body);
  adw_message_dialog_set_extra_child(ADW_MESSAGE_DIALOG(dialog), problem_list_new(r));
  gtk_window_set_default_size(GTK_WINDOW(dialog), PLAN_DIALOG_WIDTH, -1);
  add_plan_responses(ADW_MESSAGE_DIALOG(dialog), r);
  g_signal_connect_data(dialog, "response", G_CALLBACK(on_plan_question_response),
                        step_new(self, r), step_free_closure, 0);
  ask(self, GTK_WINDOW(dialog));
}

static void on_plan_opened(VpWindow *self, VpOpenResult *r)
{
  const VpPlanLoadReport *report = &r->report;
  if (report->missing_count + report->changed_count + report->unreadable_count > 0)
    ask_about_plan_files(self, r);
  else
    build_plan(self, r);
}

/* ---- The first look ---- */

static void on_opened(GObject *source, GAsyncResult *result, gpointer data)
{
  Step *step = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(VpOpenResult) r = vp_case_loader_open_finish(result, &error);
  VpWindow *self = step->window;
  if (step_is_current(step)) {
    end_work(self);
    if (!r)
      fail_open(self, error->message);
    else if (r->kind == VP_FILE_MESH)
      succeed_open(self, g_steal_pointer(&r->loaded));
    else if (r->kind == VP_FILE_VOLUME)
      on_volume_opened(self, g_steal_pointer(&r));
    else
      on_plan_opened(self, g_steal_pointer(&r));
  }
  step_free(step);
}

static void start_open(VpWindow *self, const char *path, const char *ct_path)
{
  VpLoadProgress *progress = begin_work(self);
  vp_case_loader_open_async(path, ct_path, progress, on_opened, step_new(self, NULL));
}

/* Where a failed or cancelled open returns to. */
static void remember_page(VpWindow *self)
{
  g_free(self->page_before_loading);
  self->page_before_loading = g_strdup(vp_window_get_page(self));
}

/* The window says which plan it is opening: the plan file the autosave
 * belongs to, when there is one, rather than the autosave's own name. */
void vp_window_open_recovery(VpWindow *self, const char *recovery_path, const char *document_path)
{
  g_return_if_fail(VP_IS_WINDOW(self));
  if (!self->opening)
    remember_page(self);
  vp_window_abandon_open(self);
  self->opening = g_file_new_for_path(document_path ? document_path : recovery_path);
  VpLoadProgress *progress = begin_work(self);
  vp_case_loader_open_recovery_async(recovery_path, progress, on_opened, step_new(self, NULL));
}

void vp_window_open(VpWindow *self, GFile *file)
{
  g_return_if_fail(VP_IS_WINDOW(self));
  g_return_if_fail(G_IS_FILE(file));
  if (!self->opening)
    remember_page(self);
  vp_window_abandon_open(self); /* the newest open wins */
  self->opening = g_object_ref(file);
  g_autofree char *path = g_file_get_path(file); /* NULL for remote files: the worker says so */
  start_open(self, path, NULL);
}
