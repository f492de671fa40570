/* The label dialog: one radio row per vertebra of the mask, and the CT row. */
#include "vp-label-dialog.h"

#include <glib/gi18n.h>

#include "vp-case-files.h"

struct _VpLabelDialog {
  AdwWindow parent_instance;

  int label;     /* chosen, or 0 */
  char *ct_path; /* offered or chosen; NULL when none */
  gboolean responded;

  /* Template children */
  AdwWindowTitle *window_title;
  GtkWidget *open_button;
  AdwPreferencesGroup *labels_group;
  AdwActionRow *ct_row;
  GtkCheckButton *ct_check;
};

enum { RESPONSE, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE(VpLabelDialog, vp_label_dialog, ADW_TYPE_WINDOW)

int vp_label_dialog_get_label(VpLabelDialog *self)
{
  g_return_val_if_fail(VP_IS_LABEL_DIALOG(self), 0);
  return self->label;
}

const char *vp_label_dialog_get_ct_path(VpLabelDialog *self)
{
  g_return_val_if_fail(VP_IS_LABEL_DIALOG(self), NULL);
  return self->ct_path && gtk_check_button_get_active(self->ct_check) ? self->ct_path : NULL;
}

char *vp_label_dialog_format_label(const VpLabelCount *count)
{
  char volume[G_ASCII_DTOSTR_BUF_SIZE];
  g_ascii_formatd(volume, sizeof volume, "%.1f", count->volume_ml);
  const char *level = vp_level_name(count->label);
  if (level)
    /* Translators: vertebra level, label number in the mask, volume in
     * millilitres, e.g. "L3 — label 22 — 64.1 mL". */
    return g_strdup_printf(_("%s — label %d — %s mL"), level, count->label, volume);
  /* Translators: a label with no vertebra name, e.g. "label 42 — 3.0 mL". */
  return g_strdup_printf(_("label %d — %s mL"), count->label, volume);
}

/* ---- Responding ---- */

/* Once only: a button and the close request may both come. */
static void emit_response(VpLabelDialog *self, const char *response)
{
  if (self->responded)
    return;
  self->responded = TRUE;
  g_signal_emit(self, signals[RESPONSE], 0, response);
}

static void respond(VpLabelDialog *self, const char *response)
{
  g_object_ref(self);
  emit_response(self, response);
  gtk_window_destroy(GTK_WINDOW(self));
  g_object_unref(self);
}

static void on_open_clicked(VpLabelDialog *self)
{
  if (self->label > 0)
    respond(self, "open");
}

static void on_cancel_clicked(VpLabelDialog *self)
{
  respond(self, "cancel");
}

/* Closing the window (Escape, the window manager) is cancelling. */
static gboolean vp_label_dialog_close_request(GtkWindow *window)
{
  emit_response(VP_LABEL_DIALOG(window), "cancel");
  GtkWindowClass *parent = GTK_WINDOW_CLASS(vp_label_dialog_parent_class);
  return parent->close_request ? parent->close_request(window) : FALSE;
}

/* ---- Label rows ---- */

static void on_label_toggled(GtkCheckButton *check, VpLabelDialog *self)
{
  if (!gtk_check_button_get_active(check))
    return;
  self->label = GPOINTER_TO_INT(g_object_get_data(G_OBJECT(check), "label"));
  gtk_widget_set_sensitive(self->open_button, TRUE);
}

static GtkWidget *label_row_new(VpLabelDialog *self, const VpLabelCount *count, GtkCheckButton *group)
{
  g_autofree char *title = vp_label_dialog_format_label(count);
  GtkWidget *row = adw_action_row_new();
  GtkWidget *check = gtk_check_button_new();
  gtk_widget_set_valign(check, GTK_ALIGN_CENTER);
  if (group)
    gtk_check_button_set_group(GTK_CHECK_BUTTON(check), group);
  g_object_set_data(G_OBJECT(check), "label", GINT_TO_POINTER(count->label));
  g_signal_connect(check, "toggled", G_CALLBACK(on_label_toggled), self);
  adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
  adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
  adw_action_row_add_prefix(ADW_ACTION_ROW(row), check);
  adw_action_row_set_activatable_widget(ADW_ACTION_ROW(row), check);
  return row;
}

static void add_label_rows(VpLabelDialog *self, const VpLabelStats *labels)
{
  GtkCheckButton *group = NULL;
  for (size_t i = 0; i < labels->count; i++) {
    GtkWidget *row = label_row_new(self, &labels->labels[i], group);
    adw_preferences_group_add(self->labels_group, row);
    if (!group)
      group = GTK_CHECK_BUTTON(adw_action_row_get_activatable_widget(ADW_ACTION_ROW(row)));
  }
  if (labels->count == 1) /* nothing to choose between */
    gtk_check_button_set_active(group, TRUE);
}

/* ---- The CT row ---- */

static void show_ct(VpLabelDialog *self)
{
  gboolean have_ct = self->ct_path != NULL;
  gtk_widget_set_sensitive(GTK_WIDGET(self->ct_check), have_ct);
  if (!have_ct) {
    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(self->ct_row), _("No CT found beside the mask"));
    adw_action_row_set_subtitle(self->ct_row,
                                _("The 3D view needs only the mask; the slice views need the CT."));
    return;
  }
  g_autofree char *name = vp_case_files_display_basename(self->ct_path);
  g_autofree char *folder = vp_case_files_short_folder(self->ct_path);
  /* Translators: %s is a file name, e.g. "sub-verse005_ct.nii.gz". */
  g_autofree char *title = g_strdup_printf(_("Also open the CT: %s"), name);
  adw_preferences_row_set_title(ADW_PREFERENCES_ROW(self->ct_row), title);
  adw_action_row_set_subtitle(self->ct_row, folder);
}

static void set_ct_path(VpLabelDialog *self, const char *path)
{
  g_free(self->ct_path);
  self->ct_path = g_strdup(path);
  show_ct(self);
  gtk_check_button_set_active(self->ct_check, path != NULL);
}

static void on_ct_chosen(GtkNativeDialog *native, int response, VpLabelDialog *self)
{
  if (response == GTK_RESPONSE_ACCEPT) {
    g_autoptr(GFile) file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(native));
    g_autofree char *path = file ? g_file_get_path(file) : NULL;
    if (path)
      set_ct_path(self, path);
  }
  g_object_unref(native);
}

static void on_choose_ct_clicked(VpLabelDialog *self)
{
  GtkFileChooserNative *native = gtk_file_chooser_native_new(
      _("Choose the CT"), GTK_WINDOW(self), GTK_FILE_CHOOSER_ACTION_OPEN, _("_Choose"), _("_Cancel"));
  gtk_native_dialog_set_modal(GTK_NATIVE_DIALOG(native), TRUE);
  vp_case_files_add_volume_filters(GTK_FILE_CHOOSER(native));
  if (self->ct_path) {
    g_autoptr(GFile) file = g_file_new_for_path(self->ct_path);
    gtk_file_chooser_set_file(GTK_FILE_CHOOSER(native), file, NULL);
  }
  g_signal_connect_object(native, "response", G_CALLBACK(on_ct_chosen), self, 0);
  gtk_native_dialog_show(GTK_NATIVE_DIALOG(native));
}

/* ---- GObject ---- */

VpLabelDialog *vp_label_dialog_new(GtkWindow *parent, const char *mask_path,
                                   const VpLabelStats *labels, const char *ct_path)
{
  VpLabelDialog *self = g_object_new(VP_TYPE_LABEL_DIALOG, "transient-for", parent, NULL);
  g_autofree char *mask_name = vp_case_files_display_basename(mask_path);
  adw_window_title_set_subtitle(self->window_title, mask_name);
  add_label_rows(self, labels);
  set_ct_path(self, ct_path);
  return self;
}

static void vp_label_dialog_finalize(GObject *object)
{
  g_free(VP_LABEL_DIALOG(object)->ct_path);
  G_OBJECT_CLASS(vp_label_dialog_parent_class)->finalize(object);
}

static void vp_label_dialog_dispose(GObject *object)
{
  gtk_widget_dispose_template(GTK_WIDGET(object), VP_TYPE_LABEL_DIALOG);
  G_OBJECT_CLASS(vp_label_dialog_parent_class)->dispose(object);
}

static void vp_label_dialog_class_init(VpLabelDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
  object_class->dispose = vp_label_dialog_dispose;
  object_class->finalize = vp_label_dialog_finalize;
  GTK_WINDOW_CLASS(klass)->close_request = vp_label_dialog_close_request;

  /* (const char *response): "open" or "cancel". */
  signals[RESPONSE] = g_signal_new("response", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
                                   NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource(widget_class,
                                              "/io/github/vertebraplanner/VertebraPlanner/"
                                              "vp-label-dialog.ui");
  gtk_widget_class_bind_template_child(widget_class, VpLabelDialog, window_title);
  gtk_widget_class_bind_template_child(widget_class, VpLabelDialog, open_button);
  gtk_widget_class_bind_template_child(widget_class, VpLabelDialog, labels_group);
  gtk_widget_class_bind_template_child(widget_class, VpLabelDialog, ct_row);
  gtk_widget_class_bind_template_child(widget_class, VpLabelDialog, ct_check);
  gtk_widget_class_bind_template_callback(widget_class, on_open_clicked);
  gtk_widget_class_bind_template_callback(widget_class, on_cancel_clicked);
  gtk_widget_class_bind_template_callback(widget_class, on_choose_ct_clicked);
  gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void vp_label_dialog_init(VpLabelDialog *self)
{
  gtk_widget_init_template(GTK_WIDGET(self));
}
