/* The real window in German: every text a user can see in the main window,
 * its menus, the preferences, the About window and the keyboard shortcuts is
 * checked against the German catalogue (po/de.po), so a string shown in
 * English although it has a German translation fails the test. Also checks
 * that figures keep their decimal point and saves screenshots to look at. */
#include "vp-test-gui.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "vp-config.h"
#include "vp-test-util.h"

#define GERMAN_LOCALE "de_DE.UTF-8"

/* English msgid -> German msgstr, for entries translated (not fuzzy) with a
 * German text different from the English; both with and without mnemonics. */
static GHashTable *german_of;
/* English msgids with no German in the catalogue: untranslated, or marked
 * fuzzy (msgfmt leaves those out). Shown, they are shown in English. */
static GHashTable *fuzzy_ids;

/* ---- Reading po/de.po ---- */

/* The text between the quotes of a PO line, with C escapes resolved. */
static char *po_unquote(const char *line)
{
  const char *start = strchr(line, '"');
  const char *end = strrchr(line, '"');
  if (!start || end <= start)
    return g_strdup("");
  g_autofree char *inner = g_strndup(start + 1, (gsize)(end - start - 1));
  return g_strcompress(inner);
}

static char *without_mnemonic(const char *text)
{
  GString *out = g_string_new(NULL);
  for (const char *p = text; *p; p++) {
    if (*p == '_' && p[1] == '_')
      g_string_append_c(out, *p++);
    else if (*p != '_')
      g_string_append_c(out, *p);
  }
  return g_string_free(out, FALSE);
}

typedef struct {
  GString *id;
  GString *str;
  gboolean plural;
  gboolean fuzzy;
  GString **field; /* what a continuation line extends */
} PoEntry;

static void po_entry_reset(PoEntry *e)
{
  g_string_truncate(e->id, 0);
  g_string_truncate(e->str, 0);
  e->plural = e->fuzzy = FALSE;
  e->field = NULL;
}

static void po_entry_store(const PoEntry *e)
{
  if (e->id->len > 0 && !e->plural && (e->fuzzy || e->str->len == 0)) {
    g_hash_table_add(fuzzy_ids, g_strdup(e->id->str));
    g_hash_table_add(fuzzy_ids, without_mnemonic(e->id->str));
  }
  if (e->id->len == 0 || e->str->len == 0 || e->plural || e->fuzzy)
    return;
  if (strcmp(e->id->str, e->str->str) == 0)
    return;
  g_hash_table_insert(german_of, g_strdup(e->id->str), g_strdup(e->str->str));
  g_autofree char *plain_id = without_mnemonic(e->id->str);
  g_autofree char *plain_str = without_mnemonic(e->str->str);
  if (strcmp(plain_id, plain_str) != 0)
    g_hash_table_insert(german_of, g_strdup(plain_id), g_strdup(plain_str));
}

/* Plural entries are left out: their visible texts carry numbers. */
static void load_catalogue(const char *po_path)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  if (!g_file_get_contents(po_path, &contents, NULL, &error))
    fail_msg("cannot read %s: %s", po_path, error->message);
  german_of = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  fuzzy_ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  PoEntry e = {g_string_new(NULL), g_string_new(NULL), FALSE, FALSE, NULL};
  g_auto(GStrv) lines = g_strsplit(contents, "\n", -1);
  for (char **l = lines; *l; l++) {
    const char *line = *l;
    if (g_str_has_prefix(line, "#,") && strstr(line, "fuzzy")) {
      e.fuzzy = TRUE;
    } else if (g_str_has_prefix(line, "msgid_plural")) {
      e.plural = TRUE;
      e.field = NULL;
    } else if (g_str_has_prefix(line, "msgid ")) {
      gboolean fuzzy = e.fuzzy && e.str->len == 0 && e.id->len == 0;
      po_entry_store(&e);
      po_entry_reset(&e);
      e.fuzzy = fuzzy;
      g_autofree char *text = po_unquote(line);
      g_string_append(e.id, text);
      e.field = &e.id;
    } else if (g_str_has_prefix(line, "msgstr")) {
      g_autofree char *text = po_unquote(line);
      g_string_append(e.str, text);
      e.field = &e.str;
    } else if (line[0] == '"' && e.field) {
      g_autofree char *text = po_unquote(line);
      g_string_append(*e.field, text);
    } else if (line[0] == '\0') {
      /* A blank line ends the entry; a fuzzy flag belongs to the next one. */
      po_entry_store(&e);
      po_entry_reset(&e);
    }
  }
  po_entry_store(&e);
  g_string_free(e.id, TRUE);
  g_string_free(e.str, TRUE);
  print_message("catalogue %s: %u English texts with a German translation\n", po_path,
                g_hash_table_size(german_of));
  assert_true(g_hash_table_size(german_of) > 100);
}

static const char *german_for(const char *english)
{
  return g_hash_table_lookup(german_of, english);
}

/* ---- Collecting what a user sees ---- */

typedef struct {
  GPtrArray *texts;     /* every text seen, for the known-translation checks */
  GPtrArray *offenders; /* "text (where)" of texts shown in English */
} Seen;

static void seen_init(Seen *seen)
{
  seen->texts = g_ptr_array_new_with_free_func(g_free);
  seen->offenders = g_ptr_array_new_with_free_func(g_free);
}

static void seen_clear(Seen *seen)
{
  g_ptr_array_unref(seen->texts);
  g_ptr_array_unref(seen->offenders);
}

static void see_text(Seen *seen, const char *text, const char *where)
{
  if (!text || !*text)
    return;
  g_ptr_array_add(seen->texts, without_mnemonic(text));
  if (g_hash_table_contains(fuzzy_ids, text))
    g_ptr_array_add(seen->offenders,
                    g_strdup_printf("\"%s\" (%s; no German in the catalogue, or only a fuzzy one)",
                                    text, where));
  const char *german = german_for(text);
  if (german)
    g_ptr_array_add(seen->offenders,
                    g_strdup_printf("\"%s\" (%s; German: \"%s\")", text, where, german));
}

static void see_string_property(Seen *seen, GObject *object, const char *property)
{
  GParamSpec *spec = g_object_class_find_property(G_OBJECT_GET_CLASS(object), property);
  if (!spec || spec->value_type != G_TYPE_STRING || !(spec->flags & G_PARAM_READABLE))
    return;
  g_autofree char *text = NULL;
  g_object_get(object, property, &text, NULL);
  g_autofree char *where = g_strdup_printf("%s:%s", G_OBJECT_TYPE_NAME(object), property);
  see_text(seen, text, where);
}

static void see_list_model(Seen *seen, GListModel *model, const char *where)
{
  if (!model)
    return;
  guint n = g_list_model_get_n_items(model);
  for (guint i = 0; i < n; i++) {
    g_autoptr(GObject) item = g_list_model_get_item(model, i);
    if (GTK_IS_STRING_OBJECT(item))
      see_text(seen, gtk_string_object_get_string(GTK_STRING_OBJECT(item)), where);
  }
}

static void see_menu(Seen *seen, GMenuModel *menu)
{
  if (!menu)
    return;
  int n = g_menu_model_get_n_items(menu);
  for (int i = 0; i < n; i++) {
    g_autofree char *label = NULL;
    if (g_menu_model_get_item_attribute(menu, i, G_MENU_ATTRIBUTE_LABEL, "s", &label))
      see_text(seen, label, "menu item");
    g_autoptr(GMenuLinkIter) links = g_menu_model_iterate_item_links(menu, i);
    GMenuModel *linked;
    while (g_menu_link_iter_get_next(links, NULL, &linked)) {
      see_menu(seen, linked);
      g_object_unref(linked);
    }
  }
}

/* Every property a widget shows as text; the names are shared across GTK and
 * libadwaita (GtkLabel, GtkButton, AdwWindowTitle, AdwStatusPage, AdwActionRow,
 * AdwPreferencesGroup, GtkShortcutsShortcut, ...). */
static const char *const shown_properties[] = {
    "label", "title", "subtitle", "description", "tooltip-text", "placeholder-text",
    "text",  "body",  "heading",  "comments",    "accelerator-title",
};

/* Visible widgets only, but hidden stack pages count: a user reaches them. */
static void see_widget(Seen *seen, GtkWidget *widget)
{
  if (!gtk_widget_get_visible(widget))
    return;
  for (size_t i = 0; i < G_N_ELEMENTS(shown_properties); i++)
    see_string_property(seen, G_OBJECT(widget), shown_properties[i]);
  if (GTK_IS_DROP_DOWN(widget))
    see_list_model(seen, gtk_drop_down_get_model(GTK_DROP_DOWN(widget)), "drop-down item");
  if (ADW_IS_COMBO_ROW(widget))
    see_list_model(seen, adw_combo_row_get_model(ADW_COMBO_ROW(widget)), "combo row item");
  if (GTK_IS_MENU_BUTTON(widget))
    see_menu(seen, gtk_menu_button_get_menu_model(GTK_MENU_BUTTON(widget)));
  if (GTK_IS_POPOVER_MENU(widget))
    see_menu(seen, gtk_popover_menu_get_menu_model(GTK_POPOVER_MENU(widget)));
  for (GtkWidget *child = gtk_widget_get_first_child(widget); child;
       child = gtk_widget_get_next_sibling(child))
    see_widget(seen, child);
}

static void assert_nothing_in_english(const Seen *seen, const char *what)
{
  print_message("%s: %u texts seen\n", what, seen->texts->len);
  assert_true(seen->texts->len > 0);
  for (guint i = 0; i < seen->offenders->len; i++)
    print_error("%s shows in English: %s\n", what, (char *)g_ptr_array_index(seen->offenders, i));
  if (seen->offenders->len > 0)
    fail_msg("%s: %u texts are shown untranslated", what, seen->offenders->len);
}

static gboolean seen_contains(const Seen *seen, const char *text)
{
  for (guint i = 0; i < seen->texts->len; i++) {
    if (strstr(g_ptr_array_index(seen->texts, i), text))
      return TRUE;
  }
  return FALSE;
}

/* The German for english (from the catalogue) must be among the texts seen. */
static void assert_german_shown(const Seen *seen, const char *english)
{
  const char *german = german_for(english);
  if (!german)
    fail_msg("\"%s\" has no German translation in po/de.po", english);
  g_autofree char *plain = without_mnemonic(german);
  if (!seen_contains(seen, plain))
    fail_msg("the German \"%s\" for \"%s\" is not shown", plain, english);
}

/* ---- Windows other than the main one ---- */

static GType wanted_type;

static GtkWindow *find_toplevel(GType type)
{
  GtkWindow *found = NULL;
  GList *toplevels = gtk_window_list_toplevels();
  for (GList *l = toplevels; l && !found; l = l->next) {
    if (g_type_is_a(G_OBJECT_TYPE(l->data), type) && gtk_widget_get_visible(l->data))
      found = l->data;
  }
  g_list_free(toplevels);
  return found;
}

static gboolean wanted_window_shown(void)
{
  GtkWindow *window = find_toplevel(wanted_type);
  return window && gtk_widget_get_mapped(GTK_WIDGET(window));
}

/* Activates action on the main window, waits for a window of type, checks it
 * is all German and saves a screenshot. */
static GtkWindow *open_and_check_window(const char *action, GType type, const char *png)
{
  vp_test_close_dialogs();
  if (!gtk_widget_activate_action(GTK_WIDGET(vp_test_window), action, NULL))
    fail_msg("the window has no action %s", action);
  wanted_type = type;
  assert_true(vp_test_wait_until(wanted_window_shown));
  GtkWindow *window = find_toplevel(type);
  vp_test_screenshot_dialog(window, png);
  return window;
}

/* ---- Tests ---- */

/* g_ptr_array_sort hands over pointers to the elements. */
static int compare_names(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *first_teaching_case(void)
{
  const char *dir = g_getenv("VP_CASES_DIR");
  assert_non_null(dir);
  g_autoptr(GDir) folder = g_dir_open(dir, 0, NULL);
  if (!folder)
    fail_msg("no teaching cases folder %s", dir);
  g_autoptr(GPtrArray) plans = g_ptr_array_new_with_free_func(g_free);
  for (const char *name; (name = g_dir_read_name(folder));) {
    if (g_str_has_suffix(name, ".vplan"))
      g_ptr_array_add(plans, g_strdup(name));
  }
  if (plans->len == 0)
    fail_msg("no .vplan in %s", dir);
  g_ptr_array_sort(plans, compare_names);
  return g_build_filename(dir, g_ptr_array_index(plans, 0), NULL);
}

static void welcome_page_is_german(void **state)
{
  assert_string_equal(vp_window_get_page(vp_test_window), "welcome");
  Seen seen;
  seen_init(&seen);
  see_widget(&seen, GTK_WIDGET(vp_test_window));
  assert_nothing_in_english(&seen, "welcome page");
  assert_german_shown(&seen, "_Open…"); /* the main menu's Open */
  assert_german_shown(&seen, "Teaching Cases");
  seen_clear(&seen);
}

/* A figure with one decimal and a unit, e.g. "44.6 × 36.2 × 33.9 mm". */
static void assert_decimal_points(const char *status)
{
  if (!g_regex_match_simple("[0-9]\\.[0-9] × [0-9]+\\.[0-9] × [0-9]+\\.[0-9] mm", status, 0, 0))
    fail_msg("status line \"%s\" lacks a size with decimal points", status);
  if (g_regex_match_simple("[0-9],[0-9] (mm|mL)", status, 0, 0))
    fail_msg("status line \"%s\" shows a decimal comma", status);
}

static void teaching_case_is_german(void **state)
{
  g_autofree char *plan = first_teaching_case();
  vp_test_open_and_wait(plan);
  if (vp_test_message_dialog_shown())
    fail_msg("opening %s asked: %s", plan,
             adw_message_dialog_get_heading(vp_test_find_message_dialog()));
  assert_string_equal(vp_window_get_page(vp_test_window), "view");
  vp_test_wait_for_settled_window();
  /* First, so there is a picture to look at even when a check below fails. */
  g_autofree char *png = vp_test_artifact_path("gui-german.png");
  g_autoptr(GError) error = NULL;
  if (!vp_window_save_screenshot(vp_test_window, png, &error))
    fail_msg("screenshot %s: %s", png, error->message);
  print_message("saved %s\n", png);

  g_autofree char *status = vp_window_dup_status_text(vp_test_window);
  print_message("status line: %s\n", status);
  assert_non_null(strstr(status, " Dreiecke"));
  assert_decimal_points(status);

  Seen seen;
  seen_init(&seen);
  see_widget(&seen, GTK_WIDGET(vp_test_window));
  assert_nothing_in_english(&seen, "case window");
  assert_german_shown(&seen, "_Open…");
  assert_german_shown(&seen, "_Keyboard Shortcuts");
  assert_german_shown(&seen, "Look From");
  /* The planning steps, once the window has them. */
  static const char *const steps[] = {"Trajectory", "Cement", "Lesion"};
  for (size_t i = 0; i < G_N_ELEMENTS(steps); i++) {
    if (german_for(steps[i]))
      assert_german_shown(&seen, steps[i]);
    else
      print_message("note: no step \"%s\" in the catalogue yet\n", steps[i]);
  }
  seen_clear(&seen);
}

static gboolean anatomy_settled(void)
{
  return !vp_window_is_anatomy_pending(vp_test_window);
}

/* Every step's panel, as a user visits them. */
static void every_step_is_german(void **state)
{
  static const char *const steps[] = {"case", "anatomy", "lesion", "trajectory", "cement", "report"};
  for (size_t i = 0; i < G_N_ELEMENTS(steps); i++) {
    g_action_group_activate_action(G_ACTION_GROUP(vp_test_window), "step",
                                   g_variant_new_string(steps[i]));
    assert_true(vp_test_wait_until(anatomy_settled));
    vp_test_wait_for_settled_window();
    g_autofree char *name = g_strdup_printf("gui-german-step-%s.png", steps[i]);
    g_autofree char *png = vp_test_artifact_path(name);
    g_autoptr(GError) error = NULL;
    if (!vp_window_save_screenshot(vp_test_window, png, &error))
      fail_msg("screenshot %s: %s", png, error->message);
    Seen seen;
    seen_init(&seen);
    see_widget(&seen, GTK_WIDGET(vp_test_window));
    g_autofree char *what = g_strdup_printf("step \"%s\"", steps[i]);
    assert_nothing_in_english(&seen, what);
    seen_clear(&seen);
  }
}

static void check_window(const char *action, GType type, const char *png, const char *what)
{
  GtkWindow *window = open_and_check_window(action, type, png);
  Seen seen;
  seen_init(&seen);
  see_widget(&seen, GTK_WIDGET(window));
  assert_nothing_in_english(&seen, what);
  seen_clear(&seen);
  gtk_window_destroy(window);
}

static void preferences_are_german(void **state)
{
  check_window("app.preferences", ADW_TYPE_PREFERENCES_WINDOW, "gui-german-preferences.png",
               "preferences");
}

static void about_window_is_german(void **state)
{
  GtkWindow *about = open_and_check_window("app.about", ADW_TYPE_ABOUT_WINDOW,
                                           "gui-german-about.png");
  Seen seen;
  seen_init(&seen);
  see_widget(&seen, GTK_WIDGET(about));
  assert_nothing_in_english(&seen, "About window");
  seen_clear(&seen);
  const char *comments = adw_about_window_get_comments(ADW_ABOUT_WINDOW(about));
  assert_non_null(strstr(comments, "Medizinprodukt"));
  gtk_window_destroy(about);
}

static void shortcuts_are_german(void **state)
{
  GtkWindow *shortcuts = open_and_check_window("win.show-help-overlay", GTK_TYPE_SHORTCUTS_WINDOW,
                                               "gui-german-shortcuts.png");
  Seen seen;
  seen_init(&seen);
  see_widget(&seen, GTK_WIDGET(shortcuts));
  assert_nothing_in_english(&seen, "keyboard shortcuts");
  assert_german_shown(&seen, "Reset view");
  seen_clear(&seen);
  gtk_window_destroy(shortcuts);
}

/* Before GTK starts: the German locale and the build tree's catalogue. */
static int use_german(void)
{
  g_setenv("LANGUAGE", "de", TRUE);
  g_setenv("LANG", GERMAN_LOCALE, TRUE);
  g_setenv("LC_ALL", GERMAN_LOCALE, TRUE);
  if (!setlocale(LC_ALL, "")) {
    print_message("skipped: the locale %s is not installed (localedef -i de_DE -f UTF-8 %s)\n",
                  GERMAN_LOCALE, GERMAN_LOCALE);
    return VP_TEST_SKIP;
  }
  const char *localedir = g_getenv("VP_LOCALEDIR");
  if (!localedir || !*localedir)
    localedir = VP_LOCALEDIR;
  g_autofree char *mo = g_build_filename(localedir, "de", "LC_MESSAGES", GETTEXT_PACKAGE ".mo", NULL);
  if (!g_file_test(mo, G_FILE_TEST_IS_REGULAR)) {
    print_error("the German catalogue %s was not built\n", mo);
    return 1;
  }
  bindtextdomain(GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
  textdomain(GETTEXT_PACKAGE);
  return 0;
}

int main(void)
{
  int status = use_german();
  if (status != 0)
    return status;
  const char *source = g_getenv("VP_SOURCE_DIR");
  g_autofree char *po = g_build_filename(source ? source : ".", "po", "de.po", NULL);
  load_catalogue(po);
  vp_test_gui_use_private_home();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(welcome_page_is_german),   cmocka_unit_test(teaching_case_is_german),
      cmocka_unit_test(every_step_is_german),
      cmocka_unit_test(preferences_are_german),   cmocka_unit_test(about_window_is_german),
      cmocka_unit_test(shortcuts_are_german),
  };
  int failed = cmocka_run_group_tests_name("gui-german", tests, vp_test_gui_start, vp_test_gui_stop);
  g_hash_table_unref(german_of);
  g_hash_table_unref(fuzzy_ids);
  return failed;
}
