/* The main window: pages (welcome, loading, the planning workspace), the
 * case shown, the Case step's panel and the status line, repair warnings,
 * recent files, drag and drop, size memory and screenshots. The steps of
 * opening a file are in vp-window-open.c, the actions, the step sidebar and
 * presentation mode in vp-window-actions.c. */
#include "vp-window-private.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "vp-case-files.h"
#include "vp-config.h"
#include "vp-fluoro-view.h"
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
  gtk_widget_set_visible(self->layout_box, self->doc != NULL);
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

/* A fluoroscopy view shown without its radiograph yet, while one can be made. */
static gboolean fluoro_view_is_waiting(VpWindow *self, GtkWidget *view)
{
  if (!VP_IS_FLUORO_VIEW(view) || !gtk_widget_get_mapped(view) || !self->doc)
    return FALSE;
  if (vp_view_context_is_fluoro_volume_pending(self->context))
    return TRUE;
  return !vp_view_context_get_fluoro_error(self->context) &&
         !vp_fluoro_view_is_ready(VP_FLUORO_VIEW(view));
}

static gboolean views_are_waiting(VpWindow *self)
{
  for (guint i = 0; self->view_grid && i < VP_VIEW_GRID_PANES; i++) {
    VpViewPane *pane = vp_view_grid_get_pane(self->view_grid, i);
    if (pane && fluoro_view_is_waiting(self, vp_view_pane_get_view(pane)))
      return TRUE;
  }
  return FALSE;
}

gboolean vp_window_is_settled(VpWindow *self)
{
  g_return_val_if_fail(VP_IS_WINDOW(self), FALSE);
  GtkWidget *content = adw_application_window_get_content(ADW_APPLICATION_WINDOW(self));
  return gtk_widget_get_mapped(GTK_WIDGET(self)) && gtk_widget_get_width(content) > 0 &&
         !self->opening && !gtk_stack_get_transition_running(self->stack) &&
         !gtk_stack_get_transition_running(self->step_stack) && !views_are_waiting(self) &&
         !vp_window_is_anatomy_pending(self);
}

VpView3d *vp_window_get_view(VpWindow *self)
{
  g_return_val_if_fail(VP_IS_WINDOW(self), NULL);
  return self->view_grid ? vp_view_grid_find_view3d(self->view_grid) : NULL;
}

VpViewGrid *vp_window_get_view_grid(VpWindow *self)
{
  g_return_val_if_fail(VP_IS_WINDOW(self), NULL);
  return self->view_grid;
}

VpViewContext *vp_window_get_view_context(VpWindow *self)
{
  g_return_val_if_fail(VP_IS_WINDOW(self), NULL);
  return self->context;
}

const char *vp_window_get_step(VpWindow *self)
{
  g_return_val_if_fail(VP_IS_WINDOW(self), NULL);
  return gtk_stack_get_visible_child_name(self->step_stack);
}

void vp_window_open_asking(VpWindow *self, GFile *file)
{
  if (vp_window_document_may_replace(self, file))
    vp_window_open(self, file);
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
static char *format_case_title(const char *case_name, const char *level)
{
  const char *name = case_name && case_name[0] ? case_name : _("Unnamed case");
  if (!level[0])
    return g_strdup(name);
  size_t n = strlen(name), m = strlen(level);
  if (n > m && g_str_has_prefix(name, level) && name[m] == ' ')
    return g_strdup(name); /* "L1 osteoporotic wedge fracture, …" says its level already */
  if (n > m + 1 && g_str_has_suffix(name, level) && strchr(" _-", name[n - m - 1]))
    n -= m + 1;
  /* Translators: case name and vertebra level, e.g. "sub-verse005 · L3". */
  return g_strdup_printf(_("%.*s · %s"), (int)n, name, level);
}

/* The plan's name once the user renamed the case, else the case's own. */
static const char *current_case_name(VpWindow *self)
{
  const char *name = self->doc->c->name;
  if (self->document) {
    const char *planned = vp_document_plan(self->document)->case_info.name;
    if (planned[0] && g_strcmp0(planned, name) != 0)
      return planned;
  }
  /* A bundled case's name is its title as written in the core (a message
   * id): shown translated, like its teaching note. */
  return name && name[0] ? _(name) : name;
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
  gtk_widget_set_visible(self->repair_row, summary[0] != '\0');
  gtk_label_set_text(self->repair_label, summary);
}

static void update_surface_rows(VpWindow *self);

static void update_status(VpWindow *self)
{
  const VpCase *c = self->doc->c;
  g_autofree char *title = format_case_title(current_case_name(self), c->level);
  g_autofree char *measures = format_measures(self->doc);
  g_autofree char *sources = format_sources(c);
  gtk_label_set_text(self->case_label, title);
  gtk_widget_set_tooltip_text(GTK_WIDGET(self->case_label), sources);
  gtk_label_set_text(self->measures_label, measures);
  /* The title names the plan file; before the first save it names the case,
   * and the subtitle says the plan is not saved yet rather than repeat it. */
  gboolean saved = self->document && vp_document_path(self->document);
  adw_window_title_set_subtitle(self->window_title, saved ? title : _("Plan not saved yet"));
  update_warning(self);
  update_surface_rows(self);
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
  /* The views read the surface and its bounds again; the measurements,
   * which the context drops with the case, come back from the plan. */
  vp_view_context_set_case(self->context, c, self->doc->stats.bounds);
  dismiss_case_toast(self);
  update_status(self);
  vp_window_actions_update(self);
  vp_window_anatomy_case_shown(self); /* the bone is another size now */
  vp_window_plan_changed(self);
}

/* ---- The Case panel: what the case is made of ---- */

static void set_dim_text(GtkLabel *label, const char *text)
{
  gtk_label_set_text(label, text && text[0] ? text : "—");
}

static void update_surface_rows(VpWindow *self)
{
  const VpMeshStats *stats = &self->doc->stats;
  char count[32], x[G_ASCII_DTOSTR_BUF_SIZE], y[G_ASCII_DTOSTR_BUF_SIZE],
      z[G_ASCII_DTOSTR_BUF_SIZE], volume[G_ASCII_DTOSTR_BUF_SIZE];
  VpVec3 size = vp_box3_size(stats->bounds);
  gtk_label_set_text(self->surface_triangles_label, vp_format_count(stats->triangles, count));
  g_autofree char *dims = g_strdup_printf(_("%s × %s × %s mm"), format_mm(x, size.x),
                                          format_mm(y, size.y), format_mm(z, size.z));
  gtk_label_set_text(self->surface_size_label, dims);
  gtk_widget_set_visible(self->surface_volume_row, stats->edges.watertight);
  g_autofree char *ml = g_strdup_printf(_("%s mL"), format_mm(volume, stats->volume_ml));
  gtk_label_set_text(self->surface_volume_label, ml);
}

static const char *source_role_display(VpSourceRole role)
{
  switch (role) {
  case VP_SOURCE_ROLE_SURFACE:
    return _("Surface");
  case VP_SOURCE_ROLE_CT:
    return _("CT");
  case VP_SOURCE_ROLE_MASK:
    return _("Label mask");
  case VP_SOURCE_ROLE_OTHER:
    break;
  }
  return _("Other file");
}

/* "1.2 MB", decimal units, the same in every locale like the other figures. */
static char *format_file_size(guint64 bytes)
{
  char number[G_ASCII_DTOSTR_BUF_SIZE];
  if (bytes < 1000)
    /* Translators: a file size in bytes, e.g. "512 bytes". */
    return g_strdup_printf(ngettext("%u byte", "%u bytes", (gulong)bytes), (unsigned)bytes);
  if (bytes < 1000 * 1000) {
    g_ascii_formatd(number, sizeof number, "%.1f", bytes / 1e3);
    /* Translators: a file size in kilobytes, e.g. "12.5 kB". */
    return g_strdup_printf(_("%s kB"), number);
  }
  g_ascii_formatd(number, sizeof number, "%.1f", bytes / 1e6);
  /* Translators: a file size in megabytes, e.g. "3.4 MB". */
  return g_strdup_printf(_("%s MB"), number);
}

static GtkWidget *source_row_new(VpSourceRole role, const char *path, guint64 size_bytes,
                                 gboolean size_known)
{
  g_autofree char *base = g_path_get_basename(path);
  g_autofree char *display = g_filename_display_name(base);
  g_autofree char *full = g_filename_display_name(path);
  g_autofree char *size = size_known ? format_file_size(size_bytes) : NULL;
  g_autofree char *subtitle =
      size ? g_strdup_printf("%s · %s", source_role_display(role), size)
           : g_strdup(source_role_display(role));
  GtkWidget *row = adw_action_row_new();
  adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
  adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), display);
  adw_action_row_set_subtitle(ADW_ACTION_ROW(row), subtitle);
  gtk_widget_set_tooltip_text(row, full);
  return row;
}

/* Removes the rows, not the placeholder. */
static void clear_list(GtkListBox *list)
{
  GtkListBoxRow *row;
  while ((row = gtk_list_box_get_row_at_index(list, 0)))
    gtk_list_box_remove(list, GTK_WIDGET(row));
}

static void append_case_source(GtkListBox *list, VpSourceRole role, const char *path)
{
  GStatBuf st;
  if (!path)
    return;
  gboolean known = g_stat(path, &st) == 0;
  gtk_list_box_append(list, source_row_new(role, path, known ? (guint64)st.st_size : 0, known));
}

/* The plan's list when there is one (it records each file's size when it
 * was added); else the files the case was read from. */
static void fill_sources(VpWindow *self)
{
  clear_list(self->source_list);
  const VpPlan *plan = self->document ? vp_document_plan(self->document) : NULL;
  if (plan && plan->case_info.source_count > 0) {
    for (size_t i = 0; i < plan->case_info.source_count; i++) {
      const VpPlanSource *s = &plan->case_info.sources[i];
      gtk_list_box_append(self->source_list,
                          source_row_new(s->role, s->path, s->size_bytes, TRUE));
    }
    return;
  }
  if (!self->doc)
    return;
  const VpCase *c = self->doc->c;
  append_case_source(self->source_list, VP_SOURCE_ROLE_SURFACE, c->surface_path);
  append_case_source(self->source_list, VP_SOURCE_ROLE_MASK, c->mask_path);
  append_case_source(self->source_list, VP_SOURCE_ROLE_CT, c->ct_path);
}

/* ---- The Case panel: editing the plan ---- */

/* A bundled case's name is its title as written in the core (a message id):
 * shown translated, like the teaching note's title. */
static const char *shown_case_name(VpWindow *self, const VpPlan *plan)
{
  const char *name = plan ? plan->case_info.name : (self->doc ? self->doc->c->name : "");
  if (self->doc && name[0] && g_strcmp0(name, self->doc->c->name) == 0)
    return _(name);
  return name;
}

static gboolean rename_case(VpPlan *plan, gpointer user_data, VpError *err)
{
  char level[VP_PLAN_LEVEL_SIZE];
  g_strlcpy(level, plan->case_info.level, sizeof level); /* set_case writes over it */
  return vp_plan_set_case(plan, user_data, level, plan->case_info.label, err);
}

/* Enter or the apply button; typing alone changes nothing. */
static void commit_case_name(VpWindow *self)
{
  if (!self->document || self->filling_panel)
    return;
  const char *typed = gtk_editable_get_text(GTK_EDITABLE(self->case_name_row));
  g_autofree char *name = g_strstrip(g_strdup(typed));
  if (g_strcmp0(name, shown_case_name(self, vp_document_plan(self->document))) == 0)
    return;
  vp_window_document_edit(self, _("Rename Case"), rename_case, name);
}

static char *notes_text(VpWindow *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer(self->notes_view);
  GtkTextIter start, end;
  gtk_text_buffer_get_bounds(buffer, &start, &end);
  return gtk_text_buffer_get_text(buffer, &start, &end, FALSE);
}

static gboolean set_notes(VpPlan *plan, gpointer user_data, VpError *err)
{
  return vp_plan_set_notes(plan, user_data, err);
}

void vp_window_commit_pending_edits(VpWindow *self)
{
  g_return_if_fail(VP_IS_WINDOW(self));
  if (!self->notes_dirty || !self->document)
    return;
  self->notes_dirty = FALSE;
  g_autofree char *text = notes_text(self);
  const char *old = vp_document_plan(self->document)->case_info.notes;
  if (g_strcmp0(text, old ? old : "") != 0)
    vp_window_document_edit(self, _("Edit Notes"), set_notes, text);
}

static void on_notes_changed(GtkTextBuffer *buffer, VpWindow *self)
{
  if (!self->filling_panel)
    self->notes_dirty = TRUE;
}

static void on_notes_focus_leave(GtkEventControllerFocus *focus, VpWindow *self)
{
  vp_window_commit_pending_edits(self);
}

static gboolean remove_measurement(VpPlan *plan, gpointer user_data, VpError *err)
{
  gsize index = GPOINTER_TO_SIZE(user_data);
  if (index >= plan->measurement_count)
    return vp_error_set(err, VP_ERR_INVALID, "%s", _("That measurement is no longer in the plan."));
  vp_plan_remove_measurement(plan, index);
  return TRUE;
}

static void on_delete_measurement_clicked(GtkButton *button, VpWindow *self)
{
  gsize index = GPOINTER_TO_SIZE(g_object_get_data(G_OBJECT(button), "index"));
  vp_window_document_edit(self, _("Delete Measurement"), remove_measurement,
                          GSIZE_TO_POINTER(index));
}

/* "23.4 mm" or "12.5°". */
static char *format_measurement_value(const VpPlanMeasurement *m)
{
  char number[G_ASCII_DTOSTR_BUF_SIZE];
  g_ascii_formatd(number, sizeof number, "%.1f", vp_plan_measurement_value(m));
  if (m->kind == VP_MEASUREMENT_ANGLE)
    /* Translators: an angle in degrees, e.g. "12.5°". */
    return g_strdup_printf(_("%s°"), number);
  /* Translators: a distance in millimetres, e.g. "23.4 mm". */
  return g_strdup_printf(_("%s mm"), number);
}

static GtkWidget *measurement_row_new(VpWindow *self, const VpPlanMeasurement *m, gsize index)
{
  GtkWidget *row = adw_action_row_new();
  adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), m->kind == VP_MEASUREMENT_ANGLE
                                                              ? _("Angle")
                                                              : _("Distance"));
  g_autofree char *value = format_measurement_value(m);
  GtkWidget *label = gtk_label_new(value);
  gtk_widget_add_css_class(label, "numeric");
  adw_action_row_add_suffix(ADW_ACTION_ROW(row), label);
  GtkWidget *button = gtk_button_new_from_icon_name("user-trash-symbolic");
  gtk_widget_set_valign(button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text(button, _("Delete Measurement"));
  gtk_widget_add_css_class(button, "flat");
  g_object_set_data(G_OBJECT(button), "index", GSIZE_TO_POINTER(index));
  g_signal_connect(button, "clicked", G_CALLBACK(on_delete_measurement_clicked), self);
  adw_action_row_add_suffix(ADW_ACTION_ROW(row), button);
  return row;
}

static void fill_measurements(VpWindow *self, const VpPlan *plan)
{
  clear_list(self->measurement_list);
  for (size_t i = 0; plan && i < plan->measurement_count; i++)
    gtk_list_box_append(self->measurement_list,
                        measurement_row_new(self, &plan->measurements[i], i));
}

static void fill_case_rows(VpWindow *self, const VpPlan *plan)
{
  /* Without the apply button while filling, so it only shows for what the user typed. */
  adw_entry_row_set_show_apply_button(self->case_name_row, FALSE);
  gtk_editable_set_text(GTK_EDITABLE(self->case_name_row), shown_case_name(self, plan));
  adw_entry_row_set_show_apply_button(self->case_name_row, TRUE);
  const char *level = plan ? plan->case_info.level : (self->doc ? self->doc->c->level : "");
  int label = plan ? plan->case_info.label : (self->doc ? self->doc->c->label : 0);
  set_dim_text(self->case_level_label, level);
  g_autofree char *number = label > 0 ? g_strdup_printf("%d", label) : NULL;
  set_dim_text(self->case_label_number, number);
  gtk_widget_set_sensitive(GTK_WIDGET(self->case_name_row), self->document != NULL);
  gtk_widget_set_sensitive(GTK_WIDGET(self->notes_view), self->document != NULL);
}

/* Text the user is typing stays; anything else shows the plan. */
static void fill_notes(VpWindow *self, const VpPlan *plan)
{
  if (self->notes_dirty && gtk_widget_has_focus(GTK_WIDGET(self->notes_view)))
    return;
  self->notes_dirty = FALSE;
  const char *notes = plan && plan->case_info.notes ? plan->case_info.notes : "";
  g_autofree char *shown = notes_text(self);
  if (!g_str_equal(shown, notes))
    gtk_text_buffer_set_text(gtk_text_view_get_buffer(self->notes_view), notes, -1);
}

void vp_window_plan_changed(VpWindow *self)
{
  g_return_if_fail(VP_IS_WINDOW(self));
  const VpPlan *plan = self->document ? vp_document_plan(self->document) : NULL;
  self->filling_panel = TRUE;
  fill_case_rows(self, plan);
  fill_notes(self, plan);
  fill_measurements(self, plan);
  fill_sources(self);
  self->filling_panel = FALSE;
  if (plan)
    vp_view_context_set_measurements(self->context, plan->measurements, plan->measurement_count);
  else
    vp_view_context_set_measurements(self->context, NULL, 0);
  if (self->doc)
    update_status(self); /* the name may have changed */
  vp_window_anatomy_plan_changed(self);
}

static void connect_case_panel(VpWindow *self)
{
  g_signal_connect_swapped(self->case_name_row, "apply", G_CALLBACK(commit_case_name), self);
  g_signal_connect_swapped(self->case_name_row, "entry-activated", G_CALLBACK(commit_case_name),
                           self);
  g_signal_connect(gtk_text_view_get_buffer(self->notes_view), "changed",
                   G_CALLBACK(on_notes_changed), self);
  GtkEventController *focus = gtk_event_controller_focus_new();
  g_signal_connect(focus, "leave", G_CALLBACK(on_notes_focus_leave), self);
  gtk_widget_add_controller(GTK_WIDGET(self->notes_view), focus);
}

/* ---- The case ---- */

void vp_window_show_case(VpWindow *self, VpLoadedCase *loaded)
{
  VpLoadedCase *old = self->doc;
  vp_view_context_set_case(self->context, loaded->c, loaded->stats.bounds);
  self->doc = loaded;
  /* Safe now: the views have let go of its surface (a worker may still read it). */
  vp_window_anatomy_release_case(self, old);
  vp_window_document_attach(self, loaded);
  vp_window_anatomy_case_shown(self);

  dismiss_case_toast(self);
  self->notes_dirty = FALSE; /* notes typed for the old case are gone with it */
  update_status(self);
  vp_window_show_page(self, "view");
  vp_window_actions_update(self);
  report_repair(self);
  vp_window_update_teaching_note(self);
  vp_window_plan_changed(self);
  VpView3d *view = vp_window_get_view(self);
  if (view)
    gtk_widget_grab_focus(GTK_WIDGET(view)); /* so the view keys work at once */
}

/* ---- Choosing a file ---- */

static void on_chooser_response(GtkNativeDialog *native, int response, VpWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT) {
    g_autoptr(GFile) file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(native));
    if (file)
      vp_window_open_asking(self, file);
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
  vp_window_open_asking(self, file);
}

/* ---- Drag and drop ---- */

static gboolean on_drop(GtkDropTarget *target, const GValue *value, double x, double y,
                        VpWindow *self)
{
  GSList *files = gdk_file_list_get_files(g_value_get_boxed(value));
  if (files)
    vp_window_open_asking(self, files->data); /* one case per window: the first wins */
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

/* GTK keeps the default size at the unmaximized size, which is what to
 * restore. Unsaved changes are asked about first; the document closes the
 * window again once the user has answered. */
static gboolean vp_window_close_request(GtkWindow *window)
{
  VpWindow *self = VP_WINDOW(window);
  vp_window_commit_pending_edits(self);
  if (!vp_window_document_may_close(self))
    return TRUE;
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

/* The views, made by the panes, share the window's context. */
static void add_view_grid(VpWindow *self)
{
  GtkWidget *grid = vp_view_grid_new(self->context);
  gtk_widget_set_hexpand(grid, TRUE);
  gtk_widget_set_vexpand(grid, TRUE);
  gtk_box_append(self->view_area, grid);
  self->view_grid = VP_VIEW_GRID(grid);
}

static void vp_window_dispose(GObject *object)
{
  VpWindow *self = VP_WINDOW(object);
  vp_window_abandon_open(self);
  vp_window_document_detach(self);
  if (self->case_toast)
    g_signal_handlers_disconnect_by_data(self->case_toast, self);
  g_clear_object(&self->case_toast);
  if (self->context) /* the views let go of the surface before it is freed */
    vp_view_context_set_case(self->context, NULL, vp_box3_empty());
  vp_window_anatomy_dispose(self); /* frees the case, or hands it to a worker reading it */
  g_clear_pointer(&self->doc, vp_loaded_case_free);
  gtk_widget_dispose_template(GTK_WIDGET(self), VP_TYPE_WINDOW);
  self->view_grid = NULL;
  g_clear_object(&self->context);
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

static void bind_template_children(GtkWidgetClass *widget_class)
{
  gtk_widget_class_bind_template_child(widget_class, VpWindow, window_title);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, undo_button);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, redo_button);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, reset_button);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, view_menu_button);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, layout_box);
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
  gtk_widget_class_bind_template_child(widget_class, VpWindow, step_list);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, view_area);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, step_stack);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, case_name_row);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, case_level_label);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, case_label_number);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, note_group);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, note_title_label);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, note_label);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, measurement_list);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, notes_view);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, surface_triangles_label);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, surface_size_label);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, surface_volume_label);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, surface_volume_row);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, repair_row);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, repair_label);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, source_list);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, case_label);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, warning_icon);
  gtk_widget_class_bind_template_child(widget_class, VpWindow, measures_label);
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

  gtk_widget_class_set_template_from_resource(widget_class,
                                              "/io/github/vertebraplanner/VertebraPlanner/"
                                              "vp-window.ui");
  bind_template_children(widget_class);
  vp_window_anatomy_class_init(widget_class);
  gtk_widget_class_bind_template_callback(widget_class, on_recent_row_activated);
}

static void vp_window_init(VpWindow *self)
{
  gtk_widget_init_template(GTK_WIDGET(self));
  self->settings = g_settings_new(VP_APP_ID);
  /* Before the document: it listens to the context for new measurements. */
  self->context = vp_view_context_new();
  add_view_grid(self);
  restore_size(self);
  vp_window_cases_init(self);
  vp_window_actions_init(self);
  vp_window_anatomy_init(self);
  vp_window_document_init(self);
  connect_case_panel(self);
  add_drop_target(self);
  g_signal_connect_object(gtk_recent_manager_get_default(), "changed",
                          G_CALLBACK(refresh_recent), self, G_CONNECT_SWAPPED);
  refresh_recent(self);
  vp_window_show_page(self, "welcome");
  vp_window_plan_changed(self);
}
