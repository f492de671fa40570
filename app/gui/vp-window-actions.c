/* The window's actions (win.*) and what only they drive: the 3D view's
 * camera moves, so that menus show and trigger them; the projection, whose
 * single truth is GSettings; scaling a model stored in metres; cancelling an
 * open; opening a teaching case; the planning steps (their sidebar and
 * panels); the view layout; the measuring tool; presentation mode. */
#include "vp-window-private.h"

#include <glib/gi18n.h>

/* ---- The planning steps, in procedure order ---- */

typedef struct {
  const char *id; /* the win.step target */
  const char *title;
  const char *icon;
  gboolean available;
  const char *description; /* what the step will do, for its placeholder page */
} VpStep;

static const VpStep steps[] = {
  {"case", N_("Case"), "document-properties-symbolic", TRUE, NULL},
  {"anatomy", N_("Anatomy"), "system-search-symbolic", TRUE,
   N_("Outline the vertebral body, the pedicles and the spinal canal, and measure the pedicle "
      "widths and the height and volume of the body.")},
  {"lesion", N_("Lesion & Fracture"), "dialog-warning-symbolic", FALSE,
   N_("Grade the fracture by its height loss (Genant), and mark lytic lesions, clefts and any "
      "involvement of the posterior wall.")},
  {"trajectory", N_("Trajectory"), "find-location-symbolic", FALSE,
   N_("Plan the needle path through the pedicle to the anterior third of the body, checked "
      "against the needle gauge and the pedicle walls.")},
  {"cement", N_("Cement"), "color-select-symbolic", FALSE,
   N_("Set the cement volume from the volume of the body and preview how the cement may spread "
      "and where it may leak.")},
  {"report", N_("Report"), "document-print-symbolic", FALSE,
   N_("Sum up the plan with its figures and views in a report to print or share.")},
};

static const VpStep *find_step(const char *id)
{
  for (gsize i = 0; i < G_N_ELEMENTS(steps); i++) {
    if (g_str_equal(steps[i].id, id))
      return &steps[i];
  }
  return NULL;
}

static GtkWidget *step_row_new(const VpStep *step)
{
  GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_box_append(GTK_BOX(box), gtk_image_new_from_icon_name(step->icon));
  GtkWidget *labels = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
  gtk_widget_set_valign(labels, GTK_ALIGN_CENTER);
  GtkWidget *title = gtk_label_new(_(step->title));
  gtk_label_set_xalign(GTK_LABEL(title), 0);
  gtk_box_append(GTK_BOX(labels), title);
  if (!step->available) {
    GtkWidget *subtitle = gtk_label_new(_("Not available yet"));
    gtk_label_set_xalign(GTK_LABEL(subtitle), 0);
    gtk_widget_add_css_class(subtitle, "caption");
    gtk_box_append(GTK_BOX(labels), subtitle);
  }
  gtk_box_append(GTK_BOX(box), labels);

  GtkWidget *row = gtk_list_box_row_new();
  gtk_list_box_row_set_child(GTK_LIST_BOX_ROW(row), box);
  gtk_widget_add_css_class(row, "vp-step");
  if (!step->available)
    gtk_widget_add_css_class(row, "vp-step-unavailable"); /* dimmed, still selectable */
  g_object_set_data(G_OBJECT(row), "step", (gpointer)step->id);
  return row;
}

static GtkWidget *step_page_new(const VpStep *step)
{
  GtkWidget *page = adw_status_page_new();
  adw_status_page_set_icon_name(ADW_STATUS_PAGE(page), step->icon);
  adw_status_page_set_title(ADW_STATUS_PAGE(page), _(step->title));
  g_autofree char *escaped = g_markup_escape_text(_(step->description), -1);
  g_autofree char *text =
      g_strdup_printf("%s\n\n<b>%s</b>", escaped, _("This step is not available yet."));
  adw_status_page_set_description(ADW_STATUS_PAGE(page), text);
  gtk_widget_add_css_class(page, "compact");
  GtkWidget *scrolled = gtk_scrolled_window_new();
  gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(scrolled), GTK_POLICY_NEVER,
                                 GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scrolled), page);
  return scrolled;
}

static void on_step_row_selected(GtkListBox *list, GtkListBoxRow *row, VpWindow *self)
{
  if (!row)
    return;
  const char *id = g_object_get_data(G_OBJECT(row), "step");
  g_action_group_change_action_state(G_ACTION_GROUP(self), "step", g_variant_new_string(id));
}

static void build_steps(VpWindow *self)
{
  for (gsize i = 0; i < G_N_ELEMENTS(steps); i++) {
    gtk_list_box_append(self->step_list, step_row_new(&steps[i]));
    if (!steps[i].available)
      gtk_stack_add_named(self->step_stack, step_page_new(&steps[i]), steps[i].id);
  }
  g_signal_connect(self->step_list, "row-selected", G_CALLBACK(on_step_row_selected), self);
}

/* The sidebar and the panel follow the action's state, whoever changed it. */
static void show_step(VpWindow *self, const char *id)
{
  gtk_stack_set_visible_child_name(self->step_stack, id);
  for (GtkWidget *row = gtk_widget_get_first_child(GTK_WIDGET(self->step_list)); row;
       row = gtk_widget_get_next_sibling(row)) {
    if (GTK_IS_LIST_BOX_ROW(row) && g_strcmp0(g_object_get_data(G_OBJECT(row), "step"), id) == 0)
      gtk_list_box_select_row(self->step_list, GTK_LIST_BOX_ROW(row));
  }
}

static void step_change_state(GSimpleAction *action, GVariant *state, gpointer user_data)
{
  const char *id = g_variant_get_string(state, NULL);
  if (!find_step(id))
    return;
  g_simple_action_set_state(action, state);
  show_step(user_data, id);
}

/* ---- The 3D view ---- */

static void reset_view_activated(GSimpleAction *action, GVariant *param, gpointer user_data)
{
  VpView3d *view = vp_window_get_view(user_data);
  if (view)
    vp_view3d_reset(view);
}

static void standard_view_activated(GSimpleAction *action, GVariant *param, gpointer user_data)
{
  VpView3d *view3d = vp_window_get_view(user_data);
  VpStandardView view;
  if (view3d && vp_view3d_standard_view_from_name(g_variant_get_string(param, NULL), &view))
    vp_view3d_set_standard_view(view3d, view);
}

static gboolean projection_to_orthographic(GValue *value, GVariant *variant, gpointer user_data)
{
  g_value_set_boolean(value, g_str_equal(g_variant_get_string(variant, NULL), "orthographic"));
  return TRUE;
}

static GVariant *orthographic_to_projection(const GValue *value, const GVariantType *type,
                                            gpointer user_data)
{
  return g_variant_new_string(g_value_get_boolean(value) ? "orthographic" : "perspective");
}

/* The menu's radio items, each 3D view's P key and the stored key all meet
 * in GSettings, so none of them can disagree with another. */
void vp_window_bind_projection(VpWindow *self)
{
  for (guint i = 0; self->view_grid && i < VP_VIEW_GRID_PANES; i++) {
    VpViewPane *pane = vp_view_grid_get_pane(self->view_grid, i);
    GtkWidget *view = pane ? vp_view_pane_get_view(pane) : NULL;
    if (!VP_IS_VIEW3D(view) || g_object_get_data(G_OBJECT(view), "vp-projection-bound"))
      continue;
    g_settings_bind_with_mapping(self->settings, "projection", view, "orthographic",
                                 G_SETTINGS_BIND_DEFAULT, projection_to_orthographic,
                                 orthographic_to_projection, NULL, NULL);
    g_object_set_data(G_OBJECT(view), "vp-projection-bound", GINT_TO_POINTER(TRUE));
  }
}

static void add_projection(VpWindow *self)
{
  GAction *projection = g_settings_create_action(self->settings, "projection");
  g_action_map_add_action(G_ACTION_MAP(self), projection);
  g_object_unref(projection);
  for (guint i = 0; self->view_grid && i < VP_VIEW_GRID_PANES; i++) {
    VpViewPane *pane = vp_view_grid_get_pane(self->view_grid, i);
    if (pane)
      g_signal_connect_object(pane, "notify::view-type", G_CALLBACK(vp_window_bind_projection),
                              self, G_CONNECT_SWAPPED);
  }
  vp_window_bind_projection(self);
}

/* ---- The view layout ---- */

static void layout_change_state(GSimpleAction *action, GVariant *state, gpointer user_data)
{
  VpWindow *self = user_data;
  VpViewLayout layout;
  if (!vp_view_layout_from_string(g_variant_get_string(state, NULL), &layout))
    return;
  g_simple_action_set_state(action, state);
  vp_view_grid_set_layout(self->view_grid, layout);
  vp_window_bind_projection(self);
}

static void toggle_layout_activated(GSimpleAction *action, GVariant *param, gpointer user_data)
{
  g_autoptr(GVariant) state = g_action_group_get_action_state(user_data, "layout");
  gboolean single = g_str_equal(g_variant_get_string(state, NULL), "single");
  g_action_group_change_action_state(user_data, "layout",
                                     g_variant_new_string(single ? "grid" : "single"));
}

/* The CT window of every slice view: bone (2000/500) or soft tissue (400/40). */
static void window_preset_activated(GSimpleAction *action, GVariant *param, gpointer user_data)
{
  VpWindow *self = user_data;
  const char *name = g_variant_get_string(param, NULL);
  VpWindowPreset preset = g_str_equal(name, "soft-tissue") ? VP_WINDOW_SOFT_TISSUE : VP_WINDOW_BONE;
  vp_view_context_set_window_level(self->context, vp_window_level_preset(preset));
}

/* A new window starts in the layout the preferences name. */
static GVariant *initial_layout(VpWindow *self)
{
  g_autofree char *name = g_settings_get_string(self->settings, "default-layout");
  VpViewLayout layout;
  if (!vp_view_layout_from_string(name, &layout))
    layout = VP_VIEW_LAYOUT_GRID;
  vp_view_grid_set_layout(self->view_grid, layout);
  return g_variant_new_string(layout == VP_VIEW_LAYOUT_SINGLE ? "single" : "grid");
}

/* ---- The measuring tool ---- */

static const char *const tool_names[] = {
  [VP_MEASURE_TOOL_NONE] = "none",
  [VP_MEASURE_TOOL_DISTANCE] = "distance",
  [VP_MEASURE_TOOL_ANGLE] = "angle",
};

static void measure_tool_change_state(GSimpleAction *action, GVariant *state, gpointer user_data)
{
  VpWindow *self = user_data;
  const char *name = g_variant_get_string(state, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS(tool_names); i++) {
    if (g_str_equal(name, tool_names[i])) {
      g_simple_action_set_state(action, state);
      vp_view_context_set_tool(self->context, (VpMeasureTool)i);
    }
  }
}

/* A view may end the tool itself; the buttons follow. */
static void on_tool_changed(VpViewContext *context, GParamSpec *pspec, VpWindow *self)
{
  VpMeasureTool tool = vp_view_context_get_tool(context);
  GAction *action = g_action_map_lookup_action(G_ACTION_MAP(self), "measure-tool");
  if (action && (gsize)tool < G_N_ELEMENTS(tool_names))
    g_simple_action_set_state(G_SIMPLE_ACTION(action), g_variant_new_string(tool_names[tool]));
}

/* ---- Presentation mode ---- */

static void set_presentation(VpWindow *self, GSimpleAction *action, gboolean on)
{
  g_simple_action_set_state(action, g_variant_new_boolean(on));
  if (on) {
    gtk_widget_add_css_class(GTK_WIDGET(self), "presentation");
    gtk_window_fullscreen(GTK_WINDOW(self));
  } else {
    gtk_widget_remove_css_class(GTK_WIDGET(self), "presentation");
    gtk_window_unfullscreen(GTK_WINDOW(self));
  }
  vp_view_context_set_presentation(self->context, on);
}

static void presentation_change_state(GSimpleAction *action, GVariant *state, gpointer user_data)
{
  set_presentation(user_data, action, g_variant_get_boolean(state));
}

/* Leaving full screen some other way (the window manager's key) ends
 * presentation mode too. */
static void on_fullscreened(VpWindow *self, GParamSpec *pspec, gpointer user_data)
{
  GAction *action = g_action_map_lookup_action(G_ACTION_MAP(self), "presentation");
  g_autoptr(GVariant) state = g_action_get_state(action);
  gboolean presenting = g_variant_get_boolean(state);
  gboolean full = gtk_window_is_fullscreen(GTK_WINDOW(self));
  if (full)
    self->presentation_was_fullscreen = TRUE;
  else if (presenting && self->presentation_was_fullscreen)
    set_presentation(self, G_SIMPLE_ACTION(action), FALSE);
  if (!full)
    self->presentation_was_fullscreen = FALSE;
}

/* ---- The rest ---- */

static void scale_activated(GSimpleAction *action, GVariant *param, gpointer user_data)
{
  vp_window_apply_suggested_scale(user_data);
}

static void cancel_open_activated(GSimpleAction *action, GVariant *param, gpointer user_data)
{
  vp_window_cancel_open(user_data);
}

static void open_sample_activated(GSimpleAction *action, GVariant *param, gpointer user_data)
{
  vp_window_open_teaching_case(user_data, g_variant_get_string(param, NULL));
}

static const GActionEntry win_entries[] = {
  {.name = "reset-view", .activate = reset_view_activated},
  {.name = "standard-view", .activate = standard_view_activated, .parameter_type = "s"},
  {.name = "scale-to-millimetres", .activate = scale_activated},
  {.name = "cancel-open", .activate = cancel_open_activated},
  {.name = "open-sample", .activate = open_sample_activated, .parameter_type = "s"},
  {.name = "step", .parameter_type = "s", .state = "'case'", .change_state = step_change_state},
  {.name = "toggle-layout", .activate = toggle_layout_activated},
  {.name = "window-preset", .activate = window_preset_activated, .parameter_type = "s"},
  {.name = "measure-tool",
   .parameter_type = "s",
   .state = "'none'",
   .change_state = measure_tool_change_state},
  {.name = "presentation", .state = "false", .change_state = presentation_change_state},
};

static void set_enabled(VpWindow *self, const char *name, gboolean enabled)
{
  GAction *action = g_action_map_lookup_action(G_ACTION_MAP(self), name);
  g_simple_action_set_enabled(G_SIMPLE_ACTION(action), enabled);
}

static void add_layout(VpWindow *self)
{
  GSimpleAction *layout = g_simple_action_new_stateful("layout", G_VARIANT_TYPE_STRING,
                                                       initial_layout(self));
  g_signal_connect(layout, "change-state", G_CALLBACK(layout_change_state), self);
  g_action_map_add_action(G_ACTION_MAP(self), G_ACTION(layout));
  g_object_unref(layout);
}

void vp_window_actions_init(VpWindow *self)
{
  g_action_map_add_action_entries(G_ACTION_MAP(self), win_entries, G_N_ELEMENTS(win_entries),
                                  self);
  add_layout(self);
  add_projection(self);
  build_steps(self);
  show_step(self, "case");
  g_signal_connect_object(self->context, "notify::tool", G_CALLBACK(on_tool_changed), self, 0);
  g_signal_connect(self, "notify::fullscreened", G_CALLBACK(on_fullscreened), NULL);
  vp_window_actions_update(self);
  set_enabled(self, "open-sample", self->teaching_cases->len > 0);
}

void vp_window_actions_update(VpWindow *self)
{
  gboolean has_case = self->doc != NULL;
  set_enabled(self, "reset-view", has_case);
  set_enabled(self, "standard-view", has_case);
  set_enabled(self, "scale-to-millimetres", has_case && self->doc->c->repair.looks_like_metres);
  set_enabled(self, "measure-tool", has_case);
  set_enabled(self, "window-preset", has_case && self->doc->c->ct != NULL);
  vp_window_bind_projection(self);
}
