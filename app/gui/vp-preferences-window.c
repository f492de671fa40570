/* The preferences window: each row bound to its GSettings key both ways, so
 * a change is stored at once and a change made elsewhere shows at once. The
 * rows show what people read (gauge names, per cent, seconds); the keys hold
 * what code uses (gauge numbers, fractions, seconds). */
#include "vp-preferences-window.h"

#include <glib/gi18n.h>
#include <stdlib.h>

#include "vp-config.h"

struct _VpPreferencesWindow {
  AdwPreferencesWindow parent_instance;

  GSettings *settings;

  AdwComboRow *gauge_row;
  GtkSpinButton *fill_min_spin;
  GtkSpinButton *fill_max_spin;
  AdwComboRow *layout_row;
  GtkSpinButton *autosave_spin;
};

G_DEFINE_FINAL_TYPE(VpPreferencesWindow, vp_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

/* The gauges offered, in the order of the combo row. */
static const int gauges[] = {10, 11, 13, 15};
static const char *const layouts[] = {"single", "grid"};

/* A gauge the key holds but the row does not offer (12, 14) shows as the
 * nearest offered one. */
static gboolean gauge_to_row(GValue *value, GVariant *variant, gpointer user_data)
{
  int gauge = g_variant_get_int32(variant);
  guint best = 0;
  for (guint i = 1; i < G_N_ELEMENTS(gauges); i++) {
    if (abs(gauges[i] - gauge) < abs(gauges[best] - gauge))
      best = i;
  }
  g_value_set_uint(value, best);
  return TRUE;
}

static GVariant *row_to_gauge(const GValue *value, const GVariantType *type, gpointer user_data)
{
  guint i = g_value_get_uint(value);
  return i < G_N_ELEMENTS(gauges) ? g_variant_new_int32(gauges[i]) : NULL;
}

static gboolean layout_to_row(GValue *value, GVariant *variant, gpointer user_data)
{
  g_value_set_uint(value, g_str_equal(g_variant_get_string(variant, NULL), "single") ? 0 : 1);
  return TRUE;
}

static GVariant *row_to_layout(const GValue *value, const GVariantType *type, gpointer user_data)
{
  guint i = g_value_get_uint(value);
  return i < G_N_ELEMENTS(layouts) ? g_variant_new_string(layouts[i]) : NULL;
}

static gboolean fraction_to_percent(GValue *value, GVariant *variant, gpointer user_data)
{
  g_value_set_double(value, 100.0 * g_variant_get_double(variant));
  return TRUE;
}

static GVariant *percent_to_fraction(const GValue *value, const GVariantType *type,
                                     gpointer user_data)
{
  return g_variant_new_double(g_value_get_double(value) / 100.0);
}

static void bind_percent(VpPreferencesWindow *self, const char *key, GtkSpinButton *spin)
{
  g_settings_bind_with_mapping(self->settings, key, gtk_spin_button_get_adjustment(spin), "value",
                               G_SETTINGS_BIND_DEFAULT, fraction_to_percent, percent_to_fraction,
                               NULL, NULL);
}

/* The range stays a range: raising the lowest fill above the highest raises
 * the highest with it, and the other way round. */
static void keep_fill_range(GSettings *settings, const char *key, VpPreferencesWindow *self)
{
  double low = g_settings_get_double(settings, "fill-fraction-min");
  double high = g_settings_get_double(settings, "fill-fraction-max");
  if (low <= high)
    return;
  if (g_str_equal(key, "fill-fraction-min"))
    g_settings_set_double(settings, "fill-fraction-max", low);
  else
    g_settings_set_double(settings, "fill-fraction-min", high);
}

static void vp_preferences_window_dispose(GObject *object)
{
  VpPreferencesWindow *self = VP_PREFERENCES_WINDOW(object);
  gtk_widget_dispose_template(GTK_WIDGET(self), VP_TYPE_PREFERENCES_WINDOW);
  g_clear_object(&self->settings);
  G_OBJECT_CLASS(vp_preferences_window_parent_class)->dispose(object);
}

static void vp_preferences_window_class_init(VpPreferencesWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
  G_OBJECT_CLASS(klass)->dispose = vp_preferences_window_dispose;
  gtk_widget_class_set_template_from_resource(widget_class,
                                              "/io/github/vertebraplanner/VertebraPlanner/"
                                              "vp-preferences-window.ui");
  gtk_widget_class_bind_template_child(widget_class, VpPreferencesWindow, gauge_row);
  gtk_widget_class_bind_template_child(widget_class, VpPreferencesWindow, fill_min_spin);
  gtk_widget_class_bind_template_child(widget_class, VpPreferencesWindow, fill_max_spin);
  gtk_widget_class_bind_template_child(widget_class, VpPreferencesWindow, layout_row);
  gtk_widget_class_bind_template_child(widget_class, VpPreferencesWindow, autosave_spin);
}

static void vp_preferences_window_init(VpPreferencesWindow *self)
{
  gtk_widget_init_template(GTK_WIDGET(self));
  self->settings = g_settings_new(VP_APP_ID);
  g_settings_bind_with_mapping(self->settings, "needle-gauge", self->gauge_row, "selected",
                               G_SETTINGS_BIND_DEFAULT, gauge_to_row, row_to_gauge, NULL, NULL);
  bind_percent(self, "fill-fraction-min", self->fill_min_spin);
  bind_percent(self, "fill-fraction-max", self->fill_max_spin);
  g_settings_bind(self->settings, "autosave-interval",
                  gtk_spin_button_get_adjustment(self->autosave_spin), "value",
                  G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping(self->settings, "default-layout", self->layout_row, "selected",
                               G_SETTINGS_BIND_DEFAULT, layout_to_row, row_to_layout, NULL, NULL);
  g_signal_connect(self->settings, "changed::fill-fraction-min", G_CALLBACK(keep_fill_range),
                   self);
  g_signal_connect(self->settings, "changed::fill-fraction-max", G_CALLBACK(keep_fill_range),
                   self);
}

GtkWidget *vp_preferences_window_new(GtkWindow *parent)
{
  return g_object_new(VP_TYPE_PREFERENCES_WINDOW, "transient-for", parent, NULL);
}
