/* The main window: pages (welcome, loading, 3D view), the case shown and its
 * status line, repair warnings, recent files, drag and drop, size memory and
 * screenshots. The steps of opening a file are in vp-window-open.c. */
#include "vp-window-private.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "vp-case-files.h"
#include "vp-config.h"
#include "vp-mesh-repair.h"
#include "vp-screenshot.h"

#define MAX_RECENT_FILES 8
/* A voxel size that differs by less than this along the three axes is shown once. */
#define ISOTROPIC_TOLERANCE_MM 0.05
/* Long enough to read a repair summary. */
#define TOAST_TIMEOUT_S 8

G_DEFINE_FINAL_TYPE(VpWindow, vp_window, ADW_TYPE_APPLICATION_WINDOW)

/* ---- Pages ---- */

void vp_window_show_page(VpWindow *self, const char *name)
{
  gtk_stack_set_visible_child_name(self->stack, name);
  /* View controls only where there is something to view. */
  gtk_widget_set_visible(self->reset_button, self->doc != NULL);
  gtk_widget_set_visible(self->view_menu_button, self->doc != NULL);
}

void vp_window_show_previous_page(VpWindow *self)
{
  const char *page = self->page_before_loading;
  if (!page || g_str_equal(page, "loading"))
    page = self->doc ? "view" : "welcome";
  vp_window_show_page(self, page);
}

const char *vp_window_get_page(VpWindow *self)
{
  g_return_val_if_fail(VP_IS_WINDOW(self), NULL);
  return gtk_stack_get_visible_child_name(self->stack);
}

gboolean vp_window_has_case(VpWindow *self)
{
  g_return_val_if_fail(VP_IS_WINDOW(self), FALSE);
  return self->doc != NULL;
}

const VpCase *vp_window_get_case(VpWindow *self)
{
  g_return_val_if_fail(VP_IS_WINDOW(self), NULL);
  return self->doc ? self->doc->c : NULL;
}

gboolean vp_window_is_loading(VpWindow *self)
{
  g_return_val_if_fail(VP_IS_WINDOW(self), FALSE);
  return self->opening != NULL;
}

GtkWindow *vp_window_get_open_dialog(VpWindow *self)
{
  g_return_val_if_fail(VP_IS_WINDOW(self), NULL);
  return self->open_dialog;
}

gboolean vp_window_is_settled(VpWindow *self)
{
  g_return_val_if_fail(VP_IS_WINDOW(self), FALSE);
  GtkWidget *content = adw_application_window_get_content(ADW_APPLICATION_WINDOW(self));
  return gtk_widget_get_mapped(GTK_WIDGET(self)) && gtk_widget_get_width(content) > 0 &&
         !self->opening && !gtk_stack_get_transition_running(self->stack);
}

VpView3d *vp_window_get_view(VpWindow *self)
{
  g_return_val_if_fail(VP_IS_WINDOW(self), NULL);
  return self->view;
}

void vp_window_toast(VpWindow *self, const char *title)
{
  AdwToast *toast = adw_toast_new(title);
  adw_toast_set_timeout(toast, TOAST_TIMEOUT_S);
  adw_toast_overlay_add_toast(self->toast_overlay, toast);
}

/* ---- Status line ---- */

/* Decimal points and thousands separators are the same in every locale, so
 * figures read alike next to each other and in the command-line tool. */
static const char *format_mm(char buf[G_ASCII_DTOSTR_BUF_SIZE], double value)
{
  return g_ascii_formatd(buf, G_ASCII_DTOSTR_BUF_SIZE, "%.1f", value);
}

static void append_surface(GString *text, const VpMeshStats *stats)
{
  char count[32], x[G_ASCII_DTOSTR_BUF_SIZE], y[G_ASCII_DTOSTR_BUF_SIZE],
      z[G_ASCII_DTOSTR_BUF_SIZE], volume[G_ASCII_DTOSTR_BUF_SIZE];
  VpVec3 size = vp_box3_size(stats->bounds);
  vp_format_count(stats->triangles, count);
  /* Translators: %s is a count with thousands separators, e.g. "27,760". */
  g_string_append_printf(text, ngettext("%s triangle", "%s triangles", stats->triangles), count);
  g_string_append(text, "  ·  ");
  /* Translators: bounding-box size right-left × posterior-anterior ×
   * inferior-superior, in millimetres, e.g. "44.6 × 36.2 × 33.9 mm". */
  g_string_append_printf(text, _("%s × %s × %s mm"), format_mm(x, size.x), format_mm(y, size.y),
                         format_mm(z, size.z));
  if (stats->edges.watertight) {
    g_string_append(text, "  ·  ");
    /* Translators: enclosed volume in millilitres, e.g. "54.0 mL". */
    g_string_append_printf(text, _("%s mL"), format_mm(volume, stats->volume_ml));
  }
}

static void append_ct(GString *text, const VpVolume *ct)
{
  char sx[G_ASCII_DTOSTR_BUF_SIZE], sy[G_ASCII_DTOSTR_BUF_SIZE], sz[G_ASCII_DTOSTR_BUF_SIZE];
  const double *s = ct->spacing_mm;
  g_autofree char *spacing = NULL;
  if (fabs(s[0] - s[1]) < ISOTROPIC_TOLERANCE_MM && fabs(s[0] - s[2]) < ISOTROPIC_TOLERANCE_MM)
    spacing = g_strdup(format_mm(sx, s[0]));
  else
    spacing = g_strdup_printf("%s × %s × %s", format_mm(sx, s[0]), format_mm(sy, s[1]),
                              format_mm(sz, s[2]));
  g_string_append(text, "  ·  ");
  /* Translators: the CT's grid in voxels and its voxel size in millimetres,
   * e.g. "CT 103 × 180 × 106, 1.0 mm" or "CT 106 × 408 × 48, 1.0 × 1.0 × 2.0 mm". */
  g_string_append_printf(text, _("CT %d × %d × %d, %s mm"), ct->dims[0], ct->dims[1], ct->dims[2],
                         spacing);
}

static char *format_measures(const VpLoadedCase *doc)
{
  GString *text = g_string_new(NULL);
  append_surface(text, &doc->stats);
  if (doc->c->ct)
    append_ct(text, doc->c->ct);
  return g_string_free(text, FALSE);
}

/* "sub-verse005 · L3". Case names often end in their level ("sub-verse005
 * L3", "sub-verse009_L3"): that ending gives way to the level. */
static char *format_case_title(const VpCase *c)
{
  const char *name = c->name && c->name[0] ? c->name : _("Unnamed case");
  if (!c->level[0])
    return g_strdup(name);
  size_t n = strlen(name), m = strlen(c->level);
  if (n > m && g_str_has_prefix(name, c->level) && name[m] == ' ')
    return g_strdup(name); /* "L1 osteoporotic wedge fracture, …" says its level already */
  if (n > m + 1 && g_str_has_suffix(name, c->level) && strchr(" _-", name[n - m - 1]))
    n -= m + 1;
  /* Translators: case name and vertebra level, e.g. "sub-verse005 · L3". */
  return g_strdup_printf(_("%.*s · %s"), (int)n, name, c->level);
}

/* Where the case came from, one file per line, for the status line's tooltip. */
static char *format_sources(const VpCase *c)
{
  const struct {
    const char *path;
    const char *what;
  } sources[] = {
    {c->surface_path, N_("Surface")},
    {c->mask_path, N_("Label mask")},
    {c->ct_path, N_("CT")},
  };
  GString *text = g_string_new(NULL);
  for (gsize i = 0; i < G_N_ELEMENTS(sources); i++) {
    if (!sources[i].path)
      continue;
    g_autofree char *display = g_filename_display_name(sources[i].path);
    g_string_append_printf(text, "%s%s: %s", text->len ? "\n" : "", _(sources[i].what), display);
  }
  return g_string_free(text, FALSE);
}

static void update_warning(VpWindow *self)
{
  char summary[1024];
  vp_mesh_repair_summary(&self->doc->c->repair, summary, sizeof summary);
  gtk_widget_set_visible(GTK_WIDGET(self->warning_icon), summary[0] != '\0');
  gtk_widget_set_tooltip_text(GTK_WIDGET(self->warning_icon), summary);
}

static void update_status(VpWindow *self)
{
  const VpCase *c = self->doc->c;
  g_autofree char *title = format_case_title(c);
  g_autofree char *measures = format_measures(self->doc);
  g_autofree char *sources = format_sources(c);
  gtk_label_set_text(self->case_label, title);
  gtk_widget_set_tooltip_text(GTK_WIDGET(self->case_label), sources);
  gtk_label_set_text(self->measures_label, measures);
  adw_window_title_set_subtitle(self->window_title, title);
  update_warning(self);
}

char *vp_window_dup_status_text(VpWindow *self)
{
  g_return_val_if_fail(VP_IS_WINDOW(self), NULL);
  return g_strdup_printf("%s  %s", gtk_label_get_text(self->case_label),
                         gtk_label_get_text(self->measures_label));
}

char *vp_window_dup_warning_text(VpWindow *self)
{
  g_return_val_if_fail(VP_IS_WINDOW(self), NULL);
  if (!gtk_widget_get_visible(GTK_WIDGET(self->warning_icon)))
    return NULL;
  return g_strdup(gtk_widget_get_tooltip_text(GTK_WIDGET(self->warning_icon)));
}

/* ---- Repair report ---- */

static void on_case_toast_dismissed(AdwToast *toast, VpWindow *self)
{
  if (self->case_toast == toast)
    g_clear_object(&self->case_toast);
}

/* What is said about one case must not linger over the next. */
static void dismiss_case_toast(VpWindow *self)
{
  if (self->case_toast)
    adw_toast_dismiss(self->case_toast); /* clears case_toast through "dismissed" */
}

static void show_case_toast(VpWindow *self, AdwToast *toast)
{
  self->case_toast = g_object_ref(toast);
  g_signal_connect_object(toast, "dismissed", G_CALLBACK(on_case_toast_dismissed), self, 0);
  adw_toast_overlay_add_toast(self->toast_overlay, toast);
}

/* Stays until the user scales or dismisses it: a model in metres is useless as it is. */
static void offer_metres_scale(VpWindow *self)
{
  char largest[G_ASCII_DTOSTR_BUF_SIZE], factor[32];
  VpVec3 size = vp_box3_size(self->doc->stats.bounds);
  double extent = MAX(size.x, MAX(size.y, size.z));
  const VpMeshRepairReport *r = &self->doc->c->repair;
  vp_format_count((unsigned long long)r->suggested_scale, factor);
  g_ascii_formatd(largest, sizeof largest, "%.3g", extent);
  /* Translators: a vertebra is 25-100 mm wide, so a largest size below 0.5
   * units means the file is in metres; e.g. "… (largest size 0.082 units).
   * Scale by 1,000?" */
  g_autofree char *title = g_strdup_printf(
      _("This model looks like it is in metres (largest size %s units). Scale by %s?"), largest,
      factor);
  g_autofree char *button = g_strdup_printf(_("Scale ×%s"), factor);
  AdwToast *toast = adw_toast_new(title);
  adw_toast_set_timeout(toast, 0);
  adw_toast_set_priority(toast, ADW_TOAST_PRIORITY_HIGH);
  adw_toast_set_button_label(toast, button);
  adw_toast_set_action_name(toast, "win.scale-to-millimetres");
  show_case_toast(self, toast);
}

/* What loading found and fixed is said once in a toast and stays on the
 * status line; holes and extra parts are the user's to judge, not ours to hide. */
static void report_repair(VpWindow *self)
{
  char summary[1024];
  const VpMeshRepairReport *r = &self->doc->c->repair;
  vp_mesh_repair_summary(r, summary, sizeof summary);
  if (r->looks_like_metres) {
    offer_metres_scale(self);
  } else if (summary[0]) {
    AdwToast *toast = adw_toast_new(summary);
    adw_toast_set_timeout(toast, TOAST_TIMEOUT_S);
    show_case_toast(self, toast);
  }
}

void vp_window_apply_suggested_scale(VpWindow *self)
{
  g_return_if_fail(self->doc != NULL);
  VpCase *c = self->doc->c;
  VpError err;
  g_autoptr(GError) error = NULL;
  vp_error_clear(&err);
  if (!vp_mesh_scale(c->surface, c->repair.suggested_scale, &err)) {
    vp_window_toast(self, err.message);
    return;
  }
  vp_mesh_compute_normals(c->surface);
  c->repair.looks_like_metres = false;
  c->repair.suggested_scale = 1.0;
  if (!vp_loaded_case_remeasure(self->doc, &error))
    vp_window_toast(self, error->message);
  vp_view3d_set_mesh(self->view, c->surface);
  vp_view3d_set_scene_bounds(self->view, self->doc->stats.bounds);
  dismiss_case_toast(self);
  update_status(self);
  vp_window_actions_update(self);
}

/* ---- The case ---- */

void vp_window_show_case(VpWindow *self, VpLoadedCase *loaded)
{
  VpLoadedCase *old = self->doc;
  vp_view3d_set_mesh(self->view, loaded->c->surface);
  vp_view3d_set_scene_bounds(self->view, loaded->stats.bounds);
  self->doc = loaded;
  vp_loaded_case_free(old); /* safe now: the view has let go of its surface */

  dismiss_case_toast(self);
  update_status(self);
  vp_window_show_page(self, "view");
  vp_window_actions_update(self);
  report_repair(self);
  vp_window_update_teaching_note(self);
  gtk_widget_grab_focus(GTK_WIDGET(self->view)); /* so the view keys work at once */
}

/* ---- Choosing a file ---- */

static void on_chooser_response(GtkNativeDialog *native, int response, VpWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT) {
    g_autoptr(GFile) file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(native));
    if (file)
      vp_window_open(self, file);
  }
  g_object_unref(native);
}

void vp_window_choose_file(VpWindow *self)
{
  g_return_if_fail(VP_IS_WINDOW(self));
  GtkFileChooserNative *native = gtk_file_chooser_native_new(
      _("Open a Mesh, CT, Label Mask or Plan"), GTK_WINDOW(self), GTK_FILE_CHOOSER_ACTION_OPEN,
      _("_Open"), _("_Cancel"));
  gtk_native_dialog_set_modal(GTK_NATIVE_DIALOG(native), TRUE);
  vp_case_files_add_open_filters(GTK_FILE_CHOOSER(native));
  g_signal_connect_object(native, "response", G_CALLBACK(on_chooser_response), self, 0);
  gtk_native_dialog_show(GTK_NATIVE_DIALOG(native));
}

/* ---- Recent files on the welcome page ---- */

static GtkWidget *recent_row_new(GtkRecentInfo *info)
{
  const char *uri = gtk_recent_info_get_uri(info);
  g_autofree char *path = g_filename_from_uri(uri, NULL, NULL);
  g_autofree char *folder = vp_case_files_short_folder(path);
  GtkWidget *row = adw_action_row_new();
  adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
  adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), gtk_recent_info_get_display_name(info));
  adw_action_row_set_subtitle(ADW_ACTION_ROW(row), folder);
  adw_action_row_add_suffix(ADW_ACTION_ROW(row), gtk_image_new_from_icon_name("go-next-symbolic"));
  gtk_list_box_row_set_activatable(GTK_LIST_BOX_ROW(row), TRUE);
  g_object_set_data_full(G_OBJECT(row), "uri", g_strdup(uri), g_free);
  return row;
}

static void refresh_recent(VpWindow *self)
{
  if (!self->recent_list) /* the template is gone: the window is closing */
    return;
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child(GTK_WIDGET(self->recent_list))))
    gtk_list_box_remove(self->recent_list, child);
  GList *recent = vp_case_files_list_recent(MAX_RECENT_FILES);
  for (GList *l = recent; l; l = l->next)
    gtk_list_box_append(self->recent_list, recent_row_new(l->data));
  gtk_widget_set_visible(self->recent_box, recent != NULL);
  g_list_free_full(recent, (GDestroyNotify)gtk_recent_info_unref);
}

static void on_recent_row_activated(GtkListBox *list, GtkListBoxRow *row, VpWindow *self)
{
  const char *uri = g_object_get_data(G_OBJECT(row), "uri");
  g_autoptr(GFile) file = g_file_new_for_uri(uri);
  vp_window_open(self, file);
}

/* ---- Drag and drop ---- */

static gboolean on_drop(GtkDropTarget *target, const GValue *value, double x, double y,
                        VpWindow *self)
{
  GSList *files = gdk_file_list_get_files(g_value_get_boxed(value));
  if (files)
    vp_window_open(self, files->data); /* one case per window: the first wins */
  g_slist_free(files);
  return files != NULL;
}

static void add_drop_target(VpWindow *self)
{
  GtkDropTarget *target = gtk_drop_target_new(GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect(target, "drop", G_CALLBACK(on_drop), self);
  gtk_widget_add_controller(GTK_WIDGET(self), GTK_EVENT_CONTROLLER(target));
}

/* ---- Screenshots ---- */

gboolean vp_window_save_screenshot(VpWindow *self, const char *png_path, GError **error)
{
  g_return_val_if_fail(VP_IS_WINDOW(self), FALSE);
  GtkWidget *content = adw_application_window_get_content(ADW_APPLICATION_WINDOW(self));
  return vp_screenshot_save(GTK_WIDGET(self), content, png_path, error);
}

/* ---- Window size memory ---- */

static void restore_size(VpWindow *self)
{
  gtk_window_set_default_size(GTK_WINDOW(self), g_settings_get_int(self->settings, "window-width"),
                              g_settings_get_int(self->settings, "window-height"));
  if (g_settings_get_boolean(self->settings, "window-maximized"))
    gtk_window_maximize(GTK_WINDOW(self));
}

/* GTK keeps the default size at the unmaximized size, which is what to restore. */
static gboolean vp_window_close_request(GtkWindow *window)
{
  VpWindow *self = VP_WINDOW(window);
  int width, height;
  gtk_window_get_default_size(window, &width, &height);
  g_settings_set_int(self->settings, "window-width", width);
  g_settings_set_int(self->settings, "window-height", height);
  g_settings_set_boolean(self->settings, "window-maximized", gtk_window_is_maximized(window));
  GtkWindowClass *parent = GTK_WINDOW_CLASS(vp_window_parent_class);
  return parent->close_request ? parent->close_request(window) : FALSE;
}

/* ---- GObject ---- */

VpWindow *vp_window_new(GtkApplication *application)
{
  return g_object_new(VP_TYPE_WINDOW, "application", application, NULL);
}

static void vp_window_dispose(GObject *object)
{
  VpWindow *self = VP_WINDOW(object);
  vp_window_abandon_open(self);
  if (self->case_toast)
    g_signal_handlers_disconnect_by_data(self->case_toast, self);
  g_clear_object(&self->case_toast);
  if (self->view)
    vp_view3d_set_mesh(self->view, NULL);
  g_clear_pointer(&self->doc, vp_loaded_case_free);
  gtk_widget_dispose_template(GTK_WIDGET(self), VP_TYPE_WINDOW);
  g_clear_object(&self->settings);
  G_OBJECT_CLASS(vp_window_parent_class)->dispose(object);
}

static void vp_window_finalize(GObject *object)
{
  VpWindow *self = VP_WINDOW(object);
  g_free(self->page_before_loading);
  g_clear_pointer(&self->teaching_cases, g_ptr_array_unref);
  G_OBJECT_CLASS(vp_window_parent_class)->finalize(object);
}

static void vp_window_class_init(VpWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

  object_class->dispose = vp_window_dispose;
  object_class->finalize = vp_window_finalize;
  GTK_WINDOW_CLASS(klass)->close_request = vp_window_close_request;

  /* (GFile *file, gboolean success, const char *error_message): lets the
   * application take a screenshot or report failure once a file is open. */
  g_signal_new("load-finished", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
               G_TYPE_NONE, 3, G_TYPE_FILE, G_TYPE_BOOLEAN, G_TYPE_STRING);

  g_type_ensure(VP_TYPE_VIEW3D);
  gtk_widget_class_set_template_from_resource(widget_class,
                                              "/io/github/vertebraplanner/VertebraPlanner/"
                                              "vp-window.ui");
  gtk_widget_class_bind_template_child(widget_class, VpWindow, window_title);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, reset_button);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, view_menu_button);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, note_button);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, samples_section);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, toast_overlay);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, stack);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, recent_box);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, recent_list);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, cases_box);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, cases_list);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, loading_label);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, loading_stage_label);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, loading_progress);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, view);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, note_revealer);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, note_title_label);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, note_label);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, note_close_button);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, case_label);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, warning_icon);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, measures_label);
  gtk_widget_class_bind_template_callback(widget_class, on_recent_row_activated);
}

static void vp_window_init(VpWindow *self)
{
  gtk_widget_init_template(GTK_WIDGET(self));
  self->settings = g_settings_new(VP_APP_ID);
  restore_size(self);
  vp_window_cases_init(self);
  vp_window_actions_init(self);
  add_drop_target(self);
  g_signal_connect_object(gtk_recent_manager_get_default(), "changed",
                          G_CALLBACK(refresh_recent), self, G_CONNECT_SWAPPED);
  refresh_recent(self);
  vp_window_show_page(self, "welcome");
}

void vp_window_plan_changed(VpWindow *self)
{
  /* Placeholder: the panels come with the workspace. */
}
