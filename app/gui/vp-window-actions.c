/* The window's actions (win.*): the 3D view's camera moves, so that menus show
 * and trigger them; the projection, whose single truth is GSettings; scaling
 * a model stored in metres; cancelling an open; opening a teaching case. */
#include "vp-window-private.h"

static void reset_view_activated(GSimpleAction *action, GVariant *param, gpointer user_data)
{
  VpWindow *self = user_data;
  vp_view3d_reset(self->view);
}

static void standard_view_activated(GSimpleAction *action, GVariant *param, gpointer user_data)
{
  VpWindow *self = user_data;
  VpStandardView view;
  if (vp_view3d_standard_view_from_name(g_variant_get_string(param, NULL), &view))
    vp_view3d_set_standard_view(self->view, view);
}

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
};

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

/* The menu's radio items, the view's P key and the stored key all meet in
 * GSettings, so none of them can disagree with another. */
static void add_projection(VpWindow *self)
{
  GAction *projection = g_settings_create_action(self->settings, "projection");
  g_action_map_add_action(G_ACTION_MAP(self), projection);
  g_object_unref(projection);
  g_settings_bind_with_mapping(self->settings, "projection", self->view, "orthographic",
                               G_SETTINGS_BIND_DEFAULT, projection_to_orthographic,
                               orthographic_to_projection, NULL, NULL);
}

static void set_enabled(VpWindow *self, const char *name, gboolean enabled);

void vp_window_actions_init(VpWindow *self)
{
  g_action_map_add_action_entries(G_ACTION_MAP(self), win_entries, G_N_ELEMENTS(win_entries),
                                  self);
  add_projection(self);
  vp_window_actions_update(self);
  set_enabled(self, "open-sample", self->teaching_cases->len > 0);
}

static void set_enabled(VpWindow *self, const char *name, gboolean enabled)
{
  GAction *action = g_action_map_lookup_action(G_ACTION_MAP(self), name);
  g_simple_action_set_enabled(G_SIMPLE_ACTION(action), enabled);
}

void vp_window_actions_update(VpWindow *self)
{
  gboolean has_case = self->doc != NULL;
  set_enabled(self, "reset-view", has_case);
  set_enabled(self, "standard-view", has_case);
  set_enabled(self, "scale-to-millimetres", has_case && self->doc->c->repair.looks_like_metres);
}
