/* The application: app actions and accelerators (all of them, here), the
 * About window, opening files from the command line, and --screenshot. */
#include "vp-application.h"

#include <glib/gi18n.h>

#include "vp-config.h"
#include "vp-preferences-window.h"
#include "vp-resources.h"
#include "vp-window.h"

struct _VpApplication {
  AdwApplication parent_instance;

  char *screenshot_path; /* --screenshot: capture once the window is ready, then quit */
  gboolean screenshot_armed;
  guint screenshot_ticks;
  gulong load_finished_handler;
  int exit_status;
};

G_DEFINE_FINAL_TYPE(VpApplication, vp_application, ADW_TYPE_APPLICATION)

int vp_application_get_exit_status(VpApplication *self)
{
  g_return_val_if_fail(VP_IS_APPLICATION(self), 1);
  return self->exit_status;
}

gboolean vp_application_is_screenshot_run(VpApplication *self)
{
  g_return_val_if_fail(VP_IS_APPLICATION(self), FALSE);
  return self->screenshot_path != NULL;
}

/* The most recently focused main window (dialogs are not VpWindows). */
static VpWindow *find_window(VpApplication *self)
{
  for (GList *l = gtk_application_get_windows(GTK_APPLICATION(self)); l; l = l->next) {
    if (VP_IS_WINDOW(l->data))
      return l->data;
  }
  return NULL;
}

static VpWindow *find_or_new_window(VpApplication *self)
{
  VpWindow *window = find_window(self);
  return window ? window : vp_window_new(GTK_APPLICATION(self));
}

/* ---- --screenshot ---- */

static void save_screenshot_and_quit(VpApplication *self, VpWindow *window)
{
  g_autoptr(GError) error = NULL;
  if (!vp_window_save_screenshot(window, self->screenshot_path, &error)) {
    g_printerr("%s\n", error->message);
    self->exit_status = 1;
  }
  g_application_quit(G_APPLICATION(self));
}

/* Once the window has settled (no cross-fade half done), the first tick
 * comes before its final state is painted, the second after: capture then. */
static gboolean on_screenshot_tick(GtkWidget *widget, GdkFrameClock *clock, gpointer user_data)
{
  VpApplication *self = user_data;
  if (!vp_window_is_settled(VP_WINDOW(widget)))
    self->screenshot_ticks = 0;
  else
    self->screenshot_ticks++;
  if (self->screenshot_ticks < 2)
    return G_SOURCE_CONTINUE;
  save_screenshot_and_quit(self, VP_WINDOW(widget));
  return G_SOURCE_REMOVE;
}

static void on_load_finished(VpWindow *window, GFile *file, gboolean success, const char *message,
                             VpApplication *self)
{
  g_clear_signal_handler(&self->load_finished_handler, window);
  if (!success) {
    g_autofree char *name = g_file_get_parse_name(file);
    if (message)
      g_printerr(_("Could not open “%s”: %s\n"), name, message);
    else
      g_printerr(_("Opening “%s” was cancelled.\n"), name);
    self->exit_status = 1;
    g_application_quit(G_APPLICATION(self));
    return;
  }
  gtk_widget_add_tick_callback(GTK_WIDGET(window), on_screenshot_tick, self, NULL);
}

static void arm_screenshot(VpApplication *self, VpWindow *window)
{
  if (!self->screenshot_path || self->screenshot_armed)
    return;
  self->screenshot_armed = TRUE;
  if (vp_window_is_loading(window))
    self->load_finished_handler =
        g_signal_connect(window, "load-finished", G_CALLBACK(on_load_finished), self);
  else
    gtk_widget_add_tick_callback(GTK_WIDGET(window), on_screenshot_tick, self, NULL);
}

/* ---- Actions ---- */

static void open_activated(GSimpleAction *action, GVariant *param, gpointer user_data)
{
  VpWindow *window = find_or_new_window(user_data);
  gtk_window_present(GTK_WINDOW(window));
  vp_window_choose_file(window);
}

static void add_data_credits(AdwAboutWindow *about)
{
  adw_about_window_add_legal_section(
      about, _("VerSe Data"), NULL, GTK_LICENSE_CUSTOM,
      _("The vertebra models in the tests and screenshots are derived from the public VerSe "
        "data set (Large Scale Vertebrae Segmentation Challenge), licensed under "
        "<a href=\"https://creativecommons.org/licenses/by-sa/4.0/\">CC BY-SA 4.0</a>.\n\n"
        "Sekuboyina et al., Medical Image Analysis, 2021.\n"
        "Löffler et al., Radiology: Artificial Intelligence, 2020."));
}

static void about_activated(GSimpleAction *action, GVariant *param, gpointer user_data)
{
  AdwAboutWindow *about = ADW_ABOUT_WINDOW(adw_about_window_new());
  gtk_window_set_transient_for(GTK_WINDOW(about),
                               gtk_application_get_active_window(GTK_APPLICATION(user_data)));
  adw_about_window_set_application_name(about, _("Vertebra Planner"));
  adw_about_window_set_application_icon(about, VP_APP_ID);
  adw_about_window_set_version(about, VP_VERSION);
  adw_about_window_set_developer_name(about, _("The Vertebra Planner developers"));
  adw_about_window_set_website(about, "https://github.com/vertebraplanner/vertebra-planner");
  adw_about_window_set_license_type(about, GTK_LICENSE_GPL_3_0);
  adw_about_window_set_comments(about,
                                _("A planning and teaching aid for vertebral cement augmentation. "
                                  "Not a medical device: do not use it for clinical decisions."));
  add_data_credits(about);
  gtk_window_present(GTK_WINDOW(about));
}

/* One preferences window at a time, over the window it was asked from. */
static void preferences_activated(GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GtkWindow *parent = gtk_application_get_active_window(GTK_APPLICATION(user_data));
  for (GList *l = gtk_application_get_windows(GTK_APPLICATION(user_data)); l; l = l->next) {
    if (VP_IS_PREFERENCES_WINDOW(l->data)) {
      gtk_window_present(l->data);
      return;
    }
  }
  gtk_window_present(GTK_WINDOW(vp_preferences_window_new(parent)));
}

/* Closing (rather than just quitting) lets each window store its size. */
static void quit_activated(GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GList *windows = g_list_copy(gtk_application_get_windows(GTK_APPLICATION(user_data)));
  for (GList *l = windows; l; l = l->next)
    gtk_window_close(l->data);
  g_list_free(windows);
  /* A window with unsaved changes asks first and closes once answered; the
   * application ends by itself when its last window is gone. */
  if (!find_window(user_data))
    g_application_quit(G_APPLICATION(user_data));
}

static const GActionEntry app_entries[] = {
  {.name = "open", .activate = open_activated},
  {.name = "about", .activate = about_activated},
  {.name = "preferences", .activate = preferences_activated},
  {.name = "quit", .activate = quit_activated},
};

/* Every accelerator of the application. The views' single keys (R, 1-6 and
 * P in 3D, arrows and Page Up/Down in slices, Escape while measuring) are
 * bindings of the views themselves, so they never fire while typing
 * elsewhere; everything here has a modifier or is a function key. */
static void set_accelerators(GtkApplication *app)
{
  static const struct {
    const char *action;
    const char *accels[3];
  } accelerators[] = {
    {"app.open", {"<Control>o", NULL}},
    {"win.save", {"<Control>s", NULL}},
    {"win.save-as", {"<Control><Shift>s", NULL}},
    {"win.undo", {"<Control>z", NULL}},
    {"win.redo", {"<Control><Shift>z", "<Control>y", NULL}},
    {"app.preferences", {"<Control>comma", NULL}},
    {"win.presentation", {"F11", NULL}},
    {"win.step::case", {"<Alt>1", NULL}},
    {"win.step::anatomy", {"<Alt>2", NULL}},
    {"win.step::lesion", {"<Alt>3", NULL}},
    {"win.step::trajectory", {"<Alt>4", NULL}},
    {"win.step::cement", {"<Alt>5", NULL}},
    {"win.step::report", {"<Alt>6", NULL}},
    {"win.toggle-layout", {"<Control>g", NULL}},
    {"win.window-preset::bone", {"<Control>b", NULL}},
    {"win.window-preset::soft-tissue", {"<Control>t", NULL}},
    {"win.measure-tool::distance", {"<Control>d", NULL}},
    {"win.measure-tool::angle", {"<Control><Shift>a", NULL}},
    {"win.measure-tool::none", {"<Control><Shift>d", NULL}},
    {"app.quit", {"<Control>q", NULL}},
    {"win.show-help-overlay", {"<Control>question", NULL}},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(accelerators); i++)
    gtk_application_set_accels_for_action(app, accelerators[i].action, accelerators[i].accels);
}

/* ---- GApplication ---- */

static void vp_application_startup(GApplication *app)
{
  G_APPLICATION_CLASS(vp_application_parent_class)->startup(app);
  gtk_window_set_default_icon_name(VP_APP_ID);
  g_action_map_add_action_entries(G_ACTION_MAP(app), app_entries, G_N_ELEMENTS(app_entries), app);
  set_accelerators(GTK_APPLICATION(app));
}

static void vp_application_activate(GApplication *app)
{
  VpApplication *self = VP_APPLICATION(app);
  VpWindow *window = find_or_new_window(self);
  gtk_window_present(GTK_WINDOW(window));
  arm_screenshot(self, window);
}

/* A window that shows nothing yet takes the first file; others get their own. */
static void vp_application_open(GApplication *app, GFile **files, int n_files, const char *hint)
{
  VpApplication *self = VP_APPLICATION(app);
  VpWindow *reusable = find_window(self);
  if (reusable && (vp_window_has_case(reusable) || vp_window_is_loading(reusable)))
    reusable = NULL;
  for (int i = 0; i < n_files; i++) {
    VpWindow *window = (i == 0 && reusable) ? reusable : vp_window_new(GTK_APPLICATION(app));
    vp_window_open(window, files[i]);
    gtk_window_present(GTK_WINDOW(window));
    arm_screenshot(self, window);
  }
}

static int vp_application_handle_local_options(GApplication *app, GVariantDict *options)
{
  VpApplication *self = VP_APPLICATION(app);
  const char *path = NULL;
  if (g_variant_dict_lookup(options, "screenshot", "^&ay", &path)) {
    g_free(self->screenshot_path);
    self->screenshot_path = g_strdup(path);
    /* A screenshot run must not hand its file to an instance already running. */
    g_application_set_flags(app, g_application_get_flags(app) | G_APPLICATION_NON_UNIQUE);
  }
  return -1;
}

static void vp_application_finalize(GObject *object)
{
  VpApplication *self = VP_APPLICATION(object);
  g_free(self->screenshot_path);
  G_OBJECT_CLASS(vp_application_parent_class)->finalize(object);
}

static void vp_application_class_init(VpApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS(klass);
  G_OBJECT_CLASS(klass)->finalize = vp_application_finalize;
  app_class->startup = vp_application_startup;
  app_class->activate = vp_application_activate;
  app_class->open = vp_application_open;
  app_class->handle_local_options = vp_application_handle_local_options;

  /* Templates, the icon, style.css and the help overlay live here; the
   * resource must be registered before startup looks for them. */
  vp_register_resource();
}

static void vp_application_init(VpApplication *self)
{
  g_application_add_main_option(G_APPLICATION(self), "screenshot", 0, G_OPTION_FLAG_HIDDEN,
                                G_OPTION_ARG_FILENAME,
                                _("Save a PNG screenshot once the window is ready, then quit"),
                                _("FILE"));
}

VpApplication *vp_application_new(GApplicationFlags extra_flags)
{
  return g_object_new(VP_TYPE_APPLICATION, "application-id", VP_APP_ID, "flags",
                      G_APPLICATION_HANDLES_OPEN | extra_flags, "resource-base-path",
                      "/io/github/vertebraplanner/VertebraPlanner", NULL);
}
