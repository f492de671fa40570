/* The teaching cases in the window: the list on the welcome page, the
 * Samples submenu of the main menu, opening a case by id, and the teaching
 * note in the Case step's panel. */
#include "vp-window-private.h"

#include <glib/gi18n.h>

/* ---- Opening ---- */

gboolean vp_window_open_teaching_case(VpWindow *self, const char *id)
{
  g_return_val_if_fail(VP_IS_WINDOW(self), FALSE);
  const VpTeachingCaseEntry *entry = vp_teaching_cases_find(self->teaching_cases, id);
  if (!entry)
    return FALSE;
  g_autoptr(GFile) file = g_file_new_for_path(entry->path);
  vp_window_open_asking(self, file);
  return TRUE;
}

static void on_case_row_activated(GtkListBox *list, GtkListBoxRow *row, VpWindow *self)
{
  vp_window_open_teaching_case(self, g_object_get_data(G_OBJECT(row), "case-id"));
}

/* ---- The welcome page and the Samples menu ---- */

static GtkWidget *case_row_new(const VpTeachingCaseEntry *entry, guint number)
{
  GtkWidget *row = adw_action_row_new();
  adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
  adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), entry->title);
  /* Translators: the teaching case's number in the list and its vertebra, e.g. "Case 1 · L1". */
  g_autofree char *subtitle = g_strdup_printf(_("Case %u · %s"), number, entry->level);
  adw_action_row_set_subtitle(ADW_ACTION_ROW(row), subtitle);
  adw_action_row_add_suffix(ADW_ACTION_ROW(row), gtk_image_new_from_icon_name("go-next-symbolic"));
  gtk_list_box_row_set_activatable(GTK_LIST_BOX_ROW(row), TRUE);
  g_object_set_data_full(G_OBJECT(row), "case-id", g_strdup(entry->id), g_free);
  return row;
}

static GMenu *samples_menu_new(GPtrArray *cases)
{
  GMenu *menu = g_menu_new();
  for (guint i = 0; i < cases->len; i++) {
    const VpTeachingCaseEntry *entry = g_ptr_array_index(cases, i);
    GMenuItem *item = g_menu_item_new(entry->title, NULL);
    g_menu_item_set_action_and_target_value(item, "win.open-sample",
                                            g_variant_new_string(entry->id));
    g_menu_append_item(menu, item);
    g_object_unref(item);
  }
  return menu;
}

static void fill_cases(VpWindow *self)
{
  GPtrArray *cases = self->teaching_cases;
  for (guint i = 0; i < cases->len; i++)
    gtk_list_box_append(self->cases_list, case_row_new(g_ptr_array_index(cases, i), i + 1));
  gtk_widget_set_visible(self->cases_box, cases->len > 0);
  if (cases->len == 0)
    return;
  g_autoptr(GMenu) samples = samples_menu_new(cases);
  g_menu_append_submenu(self->samples_section, _("_Samples"), G_MENU_MODEL(samples));
}

/* A missing folder is an installation without cases: the list stays hidden.
 * A broken index is said on the terminal; the window works without cases. */
static void load_cases(VpWindow *self)
{
  g_autofree char *dir = vp_teaching_cases_dir();
  g_autoptr(GError) error = NULL;
  self->teaching_cases = vp_teaching_cases_load(dir, &error);
  if (!self->teaching_cases) {
    g_warning("%s", error->message);
    self->teaching_cases = g_ptr_array_new();
  }
}

/* ---- The teaching note ---- */

void vp_window_update_teaching_note(VpWindow *self)
{
  g_autofree char *note = vp_teaching_note_display(self->doc ? self->doc->teaching_note : NULL);
  /* A bundled case's name is its title as in the core's table, the message
   * id: looked up like the note. */
  const char *name = self->doc ? self->doc->c->name : NULL;
  if (name && !name[0])
    name = NULL;
  gtk_label_set_text(self->note_title_label, name ? _(name) : "");
  gtk_label_set_text(self->note_label, note ? note : "");
  gtk_widget_set_visible(self->note_group, note != NULL);
}

void vp_window_cases_init(VpWindow *self)
{
  load_cases(self);
  fill_cases(self);
  g_signal_connect(self->cases_list, "row-activated", G_CALLBACK(on_case_row_activated), self);
}
