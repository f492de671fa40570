/* The main window: pages (welcome, loading, 3D view), threaded opening of a
 * mesh, the status line, recent files, drag and drop, size memory, screenshots. */
#include "vp-window-private.h"

#include <glib/gi18n.h>

#include "vp-config.h"

#define MAX_RECENT_FILES 8

enum { LOAD_FINISHED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE(VpWindow, vp_window, ADW_TYPE_APPLICATION_WINDOW)

/* A load in flight keeps its window and file alive until it reports back. */
typedef struct LoadRequest {
  VpWindow *window;
  GFile *file;
} LoadRequest;

static void load_request_free(LoadRequest *request)
{
  g_object_unref(request->window);
  g_object_unref(request->file);
  g_free(request);
}

static char *display_name(GFile *file)
{
  g_autofree char *basename = g_file_get_basename(file);
  return g_filename_display_name(basename ? basename : "");
}

/* ---- Pages ---- */

static void show_page(VpWindow *self, const char *name)
{
  gtk_stack_set_visible_child_name(self->stack, name);
  gtk_spinner_set_spinning(self->loading_spinner, g_str_equal(name, "loading"));
  /* View controls only where there is something to view. */
  gtk_widget_set_visible(self->reset_button, self->loaded != NULL);
  gtk_widget_set_visible(self->view_menu_button, self->loaded != NULL);
}

const char *vp_window_get_page(VpWindow *self)
{
  g_return_val_if_fail(VP_IS_WINDOW(self), NULL);
  return gtk_stack_get_visible_child_name(self->stack);
}

gboolean vp_window_has_mesh(VpWindow *self)
{
  g_return_val_if_fail(VP_IS_WINDOW(self), FALSE);
  return self->loaded != NULL;
}

gboolean vp_window_is_loading(VpWindow *self)
{
  g_return_val_if_fail(VP_IS_WINDOW(self), FALSE);
  return self->load_cancellable != NULL;
}

gboolean vp_window_is_settled(VpWindow *self)
{
  g_return_val_if_fail(VP_IS_WINDOW(self), FALSE);
  GtkWidget *content = adw_application_window_get_content(ADW_APPLICATION_WINDOW(self));
  return gtk_widget_get_mapped(GTK_WIDGET(self)) && gtk_widget_get_width(content) > 0 &&
         !self->load_cancellable && !gtk_stack_get_transition_running(self->stack);
}

VpView3d *vp_window_get_view(VpWindow *self)
{
  g_return_val_if_fail(VP_IS_WINDOW(self), NULL);
  return self->view;
}

/* ---- Status line ---- */

/* Decimal points and thousands separators are the same in every locale, so
 * figures read alike next to each other and in the command-line tool. */
static char *format_measures(const VpMeshStats *stats)
{
  char count[32], x[G_ASCII_DTOSTR_BUF_SIZE], y[G_ASCII_DTOSTR_BUF_SIZE],
      z[G_ASCII_DTOSTR_BUF_SIZE], volume[G_ASCII_DTOSTR_BUF_SIZE];
  VpVec3 size = vp_box3_size(stats->bounds);
  GString *text = g_string_new(NULL);

  vp_format_count(stats->triangles, count);
  /* Translators: %s is a count with thousands separators, e.g. "27,760". */
  g_string_append_printf(text, ngettext("%s triangle", "%s triangles", stats->triangles), count);
  g_string_append(text, "  ·  ");
  /* Translators: bounding-box size right-left × posterior-anterior ×
   * inferior-superior, in millimetres, e.g. "44.6 × 36.2 × 33.9 mm". */
  g_string_append_printf(text, _("%s × %s × %s mm"), g_ascii_formatd(x, sizeof x, "%.1f", size.x),
                         g_ascii_formatd(y, sizeof y, "%.1f", size.y),
                         g_ascii_formatd(z, sizeof z, "%.1f", size.z));
  if (stats->edges.watertight) {
    g_string_append(text, "  ·  ");
    /* Translators: enclosed volume in millilitres, e.g. "54.0 mL". */
    g_string_append_printf(text, _("%s mL"),
                           g_ascii_formatd(volume, sizeof volume, "%.1f", stats->volume_ml));
  }
  return g_string_free(text, FALSE);
}

static void set_status(VpWindow *self, GFile *file, const VpMeshStats *stats)
{
  g_autofree char *name = display_name(file);
  g_autofree char *measures = format_measures(stats);
  gtk_label_set_text(self->file_label, name);
  gtk_label_set_text(self->measures_label, measures);
  adw_window_title_set_subtitle(self->window_title, name);
}

char *vp_window_dup_status_text(VpWindow *self)
{
  g_return_val_if_fail(VP_IS_WINDOW(self), NULL);
  return g_strdup_printf("%s  %s", gtk_label_get_text(self->file_label),
                         gtk_label_get_text(self->measures_label));
}

/* ---- Opening ---- */

static void show_mesh(VpWindow *self, GFile *file, VpLoadedMesh *loaded)
{
  VpLoadedMesh *old = self->loaded;
  vp_view3d_set_mesh(self->view, loaded->mesh);
  vp_view3d_set_scene_bounds(self->view, loaded->stats.bounds);
  self->loaded = loaded;
  vp_mesh_files_free_loaded(old); /* safe now: the view has let go of it */

  set_status(self, file, &loaded->stats);
  vp_mesh_files_add_recent(file);
  show_page(self, "view");
  vp_window_actions_update(self);
  gtk_widget_grab_focus(GTK_WIDGET(self->view)); /* so the view keys work at once */
}

static void show_load_error(VpWindow *self, GFile *file, const GError *error)
{
  g_autofree char *name = display_name(file);
  g_autofree char *heading = g_strdup_printf(_("Could not open “%s”"), name);
  GtkWidget *dialog = adw_message_dialog_new(GTK_WINDOW(self), heading, error->message);
  adw_message_dialog_add_response(ADW_MESSAGE_DIALOG(dialog), "close", _("_Close"));
  show_page(self, self->page_before_loading ? self->page_before_loading : "welcome");
  gtk_window_present(GTK_WINDOW(dialog));
}

static void on_load_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
  LoadRequest *request = user_data;
  VpWindow *self = request->window;
  g_autoptr(GError) error = NULL;
  VpLoadedMesh *loaded = vp_mesh_files_load_finish(result, &error);

  /* Cancelled: a newer open replaced this one, or the window is going away. */
  if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    g_clear_object(&self->load_cancellable);
    if (loaded)
      show_mesh(self, request->file, loaded);
    else
      show_load_error(self, request->file, error);
    g_signal_emit(self, signals[LOAD_FINISHED], 0, request->file, loaded != NULL,
                  error ? error->message : NULL);
  }
  load_request_free(request);
}

static void show_loading(VpWindow *self, GFile *file)
{
  g_autofree char *name = display_name(file);
  g_autofree char *text = g_strdup_printf(_("Opening “%s”…"), name);
  gtk_label_set_text(self->loading_label, text);
  show_page(self, "loading");
}

/* Where a failed open returns to. */
static void remember_page(VpWindow *self)
{
  g_free(self->page_before_loading);
  self->page_before_loading = g_strdup(vp_window_get_page(self));
}

void vp_window_open(VpWindow *self, GFile *file)
{
  g_return_if_fail(VP_IS_WINDOW(self));
  g_return_if_fail(G_IS_FILE(file));

  if (self->load_cancellable)
    g_cancellable_cancel(self->load_cancellable); /* the newest request wins */
  else
    remember_page(self);
  g_clear_object(&self->load_cancellable);
  self->load_cancellable = g_cancellable_new();

  show_loading(self, file);
  LoadRequest *request = g_new0(LoadRequest, 1);
  request->window = g_object_ref(self);
  request->file = g_object_ref(file);
  vp_mesh_files_load_async(file, self->load_cancellable, on_load_done, request);
}

static void on_chooser_response(GtkNativeDialog *native, int response, VpWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT) {
    g_autoptr(GFile) file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(native));
    if (file)
      vp_window_open(self, file);
  }
  g_object_unref(native);
}

static void add_filters(GtkFileChooser *chooser)
{
  g_autoptr(GtkFileFilter) meshes = vp_mesh_files_new_filter();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new();
  gtk_file_filter_set_name(all, _("All Files"));
  gtk_file_filter_add_pattern(all, "*");
  gtk_file_chooser_add_filter(chooser, meshes);
  gtk_file_chooser_add_filter(chooser, all);
  gtk_file_chooser_set_filter(chooser, meshes);
}

void vp_window_choose_file(VpWindow *self)
{
  g_return_if_fail(VP_IS_WINDOW(self));
  GtkFileChooserNative *native = gtk_file_chooser_native_new(
      _("Open Mesh"), GTK_WINDOW(self), GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  gtk_native_dialog_set_modal(GTK_NATIVE_DIALOG(native), TRUE);
  add_filters(GTK_FILE_CHOOSER(native));
  g_signal_connect_object(native, "response", G_CALLBACK(on_chooser_response), self, 0);
  gtk_native_dialog_show(GTK_NATIVE_DIALOG(native));
}

/* ---- Recent files on the welcome page ---- */

/* "~/scans" rather than "/home/someone/scans": shorter, and no user name on screen. */
static char *short_folder(const char *uri)
{
  g_autofree char *path = g_filename_from_uri(uri, NULL, NULL);
  g_autofree char *folder = path ? g_path_get_dirname(path) : g_strdup("");
  const char *home = g_get_home_dir();
  gsize home_len = strlen(home);
  if (home_len > 1 && g_str_has_prefix(folder, home) &&
      (folder[home_len] == '/' || folder[home_len] == '\0'))
    return g_strconcat("~", folder + home_len, NULL);
  return g_filename_display_name(folder);
}

static GtkWidget *recent_row_new(GtkRecentInfo *info)
{
  const char *uri = gtk_recent_info_get_uri(info);
  g_autofree char *folder = short_folder(uri);
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
  GList *recent = vp_mesh_files_list_recent(MAX_RECENT_FILES);
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
    vp_window_open(self, files->data); /* one mesh per window: the first wins */
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

static GskRenderNode *snapshot_widget(GtkWidget *widget, int width, int height)
{
  GdkPaintable *paintable = gtk_widget_paintable_new(widget);
  GtkSnapshot *snapshot = gtk_snapshot_new();
  gdk_paintable_snapshot(paintable, GDK_SNAPSHOT(snapshot), width, height);
  g_object_unref(paintable);
  return gtk_snapshot_free_to_node(snapshot);
}

/* Captures the window's content area (header bar and page) with the window
 * background behind it, but not the frame: that is the compositor's business,
 * and without one (Xvfb in CI) GTK draws a grey resize border around it. */
gboolean vp_window_save_screenshot(VpWindow *self, const char *png_path, GError **error)
{
  g_return_val_if_fail(VP_IS_WINDOW(self), FALSE);
  GtkWidget *widget = GTK_WIDGET(self);
  GtkWidget *content = adw_application_window_get_content(ADW_APPLICATION_WINDOW(self));
  GskRenderer *renderer = gtk_native_get_renderer(GTK_NATIVE(self));
  graphene_rect_t frame, area;
  if (!renderer || !gtk_widget_compute_bounds(widget, widget, &frame) ||
      !gtk_widget_compute_bounds(content, widget, &area) || area.size.width < 1 ||
      area.size.height < 1) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s",
                _("The window is not shown yet, so there is nothing to capture."));
    return FALSE;
  }
  /* The paintable puts the frame's corner at (0, 0); window coordinates do not. */
  GskRenderNode *node = snapshot_widget(widget, (int)frame.size.width, (int)frame.size.height);
  graphene_rect_offset(&area, -frame.origin.x, -frame.origin.y);
  GdkTexture *texture = gsk_renderer_render_texture(renderer, node, &area);
  gboolean saved = gdk_texture_save_to_png(texture, png_path);
  g_object_unref(texture);
  gsk_render_node_unref(node);
  if (!saved)
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Could not save the screenshot to “%s”."),
                png_path);
  return saved;
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
  if (self->load_cancellable)
    g_cancellable_cancel(self->load_cancellable);
  g_clear_object(&self->load_cancellable);
  if (self->view)
    vp_view3d_set_mesh(self->view, NULL);
  g_clear_pointer(&self->loaded, vp_mesh_files_free_loaded);
  gtk_widget_dispose_template(GTK_WIDGET(self), VP_TYPE_WINDOW);
  g_clear_object(&self->settings);
  G_OBJECT_CLASS(vp_window_parent_class)->dispose(object);
}

static void vp_window_finalize(GObject *object)
{
  VpWindow *self = VP_WINDOW(object);
  g_free(self->page_before_loading);
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
  signals[LOAD_FINISHED] = g_signal_new("load-finished", G_TYPE_FROM_CLASS(klass),
                                        G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                                        G_TYPE_FILE, G_TYPE_BOOLEAN, G_TYPE_STRING);

  g_type_ensure(VP_TYPE_VIEW3D);
  gtk_widget_class_set_template_from_resource(widget_class,
                                              "/io/github/vertebraplanner/VertebraPlanner/"
                                              "vp-window.ui");
  gtk_widget_class_bind_template_child(widget_class, VpWindow, window_title);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, reset_button);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, view_menu_button);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, stack);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, recent_box);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, recent_list);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, loading_label);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, loading_spinner);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, view);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, file_label);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, measures_label);
  gtk_widget_class_bind_template_callback(widget_class, on_recent_row_activated);
}

static void vp_window_init(VpWindow *self)
{
  gtk_widget_init_template(GTK_WIDGET(self));
  self->settings = g_settings_new(VP_APP_ID);
  restore_size(self);
  vp_window_actions_init(self);
  add_drop_target(self);
  g_signal_connect_object(gtk_recent_manager_get_default(), "changed",
                          G_CALLBACK(refresh_recent), self, G_CONNECT_SWAPPED);
  refresh_recent(self);
  show_page(self, "welcome");
}
