/* Case files for the GUI: chooser filters, type checks and recent files. */
#include "vp-case-files.h"

#include <glib/gi18n.h>
#include <string.h>

typedef struct FileKind {
  const char *const *mime_types;
  const char *const *suffixes;
} FileKind;

/* Shared-mime-info has used each of these for STL over the years; OBJ and
 * PLY have their own. NIfTI and plans have none. These only filter: the
 * loaders decide by content. */
static const char *const mesh_mime_types[] = {
  "model/stl", "application/sla", "model/x.stl-binary", "model/x.stl-ascii",
  "model/obj", "application/x-tgif", "model/x-ply", "application/x-ply", NULL,
};
static const char *const mesh_suffixes[] = {"stl", "obj", "ply", NULL};
static const char *const volume_suffixes[] = {"nii", "nii.gz", NULL};
static const char *const plan_suffixes[] = {"vplan", NULL};
static const char *const no_mime_types[] = {NULL};

static const FileKind kinds[] = {
  {mesh_mime_types, mesh_suffixes},
  {no_mime_types, volume_suffixes},
  {no_mime_types, plan_suffixes},
};

static void add_kind(GtkFileFilter *filter, const FileKind *kind)
{
  for (const char *const *m = kind->mime_types; *m; m++)
    gtk_file_filter_add_mime_type(filter, *m);
  for (const char *const *s = kind->suffixes; *s; s++)
    gtk_file_filter_add_suffix(filter, *s);
}

static GtkFileFilter *new_filter(const char *name, const FileKind *kind)
{
  GtkFileFilter *filter = gtk_file_filter_new();
  gtk_file_filter_set_name(filter, name);
  if (kind)
    add_kind(filter, kind);
  else
    gtk_file_filter_add_pattern(filter, "*");
  return filter;
}

/* The chooser keeps its own reference to each filter. */
static void add_and_drop(GtkFileChooser *chooser, GtkFileFilter *filter)
{
  gtk_file_chooser_add_filter(chooser, filter);
  g_object_unref(filter);
}

void vp_case_files_add_open_filters(GtkFileChooser *chooser)
{
  GtkFileFilter *supported = gtk_file_filter_new();
  gtk_file_filter_set_name(supported, _("Vertebra Models and Scans"));
  for (gsize i = 0; i < G_N_ELEMENTS(kinds); i++)
    add_kind(supported, &kinds[i]);
  gtk_file_chooser_add_filter(chooser, supported);
  add_and_drop(chooser, new_filter(_("Surface Meshes (STL, OBJ, PLY)"), &kinds[0]));
  add_and_drop(chooser, new_filter(_("CT Volumes and Label Masks (NIfTI)"), &kinds[1]));
  add_and_drop(chooser, new_filter(_("Plans (.vplan)"), &kinds[2]));
  add_and_drop(chooser, new_filter(_("All Files"), NULL));
  gtk_file_chooser_set_filter(chooser, supported);
  g_object_unref(supported);
}

void vp_case_files_add_volume_filters(GtkFileChooser *chooser)
{
  GtkFileFilter *volumes = new_filter(_("CT Volumes and Label Masks (NIfTI)"), &kinds[1]);
  gtk_file_chooser_add_filter(chooser, volumes);
  add_and_drop(chooser, new_filter(_("All Files"), NULL));
  gtk_file_chooser_set_filter(chooser, volumes);
  g_object_unref(volumes);
}

/* ".nii.gz" has two dots, so compare whole suffixes rather than the last extension. */
static gboolean has_suffix(const char *uri, const char *suffix)
{
  size_t n = strlen(uri), m = strlen(suffix);
  return n > m + 1 && uri[n - m - 1] == '.' && g_ascii_strcasecmp(uri + n - m, suffix) == 0;
}

static gboolean kind_matches(const FileKind *kind, const char *uri, const char *mime_type)
{
  for (const char *const *m = kind->mime_types; mime_type && *m; m++) {
    if (g_str_equal(mime_type, *m))
      return TRUE;
  }
  for (const char *const *s = kind->suffixes; uri && *s; s++) {
    if (has_suffix(uri, *s))
      return TRUE;
  }
  return FALSE;
}

gboolean vp_case_files_is_supported(const char *uri, const char *mime_type)
{
  for (gsize i = 0; i < G_N_ELEMENTS(kinds); i++) {
    if (kind_matches(&kinds[i], uri, mime_type))
      return TRUE;
  }
  return FALSE;
}

/* Items without a time (hand-edited bookmark files) sort last. */
static int compare_newest_first(gconstpointer a, gconstpointer b)
{
  GDateTime *ta = gtk_recent_info_get_modified((GtkRecentInfo *)a);
  GDateTime *tb = gtk_recent_info_get_modified((GtkRecentInfo *)b);
  if (!ta || !tb)
    return (ta == NULL) - (tb == NULL);
  return g_date_time_compare(tb, ta);
}

static gboolean is_listed(GtkRecentInfo *info)
{
  return gtk_recent_info_is_local(info) && gtk_recent_info_exists(info) &&
         vp_case_files_is_supported(gtk_recent_info_get_uri(info),
                                    gtk_recent_info_get_mime_type(info));
}

GList *vp_case_files_list_recent(guint max)
{
  GList *items = gtk_recent_manager_get_items(gtk_recent_manager_get_default());
  GList *listed = NULL;
  for (GList *l = items; l; l = l->next) {
    if (is_listed(l->data))
      listed = g_list_prepend(listed, gtk_recent_info_ref(l->data));
  }
  g_list_free_full(items, (GDestroyNotify)gtk_recent_info_unref);
  listed = g_list_sort(listed, compare_newest_first);
  while (g_list_length(listed) > max) {
    GList *last = g_list_last(listed);
    gtk_recent_info_unref(last->data);
    listed = g_list_delete_link(listed, last);
  }
  return listed;
}

void vp_case_files_add_recent(GFile *file)
{
  g_autofree char *uri = g_file_get_uri(file);
  g_autofree char *basename = g_file_get_basename(file);
  g_autofree char *content_type = g_content_type_guess(basename, NULL, 0, NULL);
  g_autofree char *mime_type = g_content_type_get_mime_type(content_type);
  const char *prgname = g_get_prgname();
  /* Explicit data instead of gtk_recent_manager_add_item(), which would
   * sniff the file asynchronously; the fields are not const in the API. */
  GtkRecentData data = {
    .mime_type = (char *)(mime_type ? mime_type : "application/octet-stream"),
    .app_name = (char *)(prgname ? prgname : "vertebra-planner"),
    .app_exec = (char *)"vertebra-planner %u",
  };
  gtk_recent_manager_add_full(gtk_recent_manager_get_default(), uri, &data);
}

char *vp_case_files_display_basename(const char *path)
{
  g_autofree char *basename = g_path_get_basename(path ? path : "");
  return g_filename_display_name(basename);
}

char *vp_case_files_display_name(GFile *file)
{
  g_autofree char *basename = g_file_get_basename(file);
  return g_filename_display_name(basename ? basename : "");
}

char *vp_case_files_short_folder(const char *path)
{
  g_autofree char *folder = g_path_get_dirname(path ? path : "");
  const char *home = g_get_home_dir();
  gsize home_len = strlen(home);
  if (home_len > 1 && g_str_has_prefix(folder, home) &&
      (folder[home_len] == '/' || folder[home_len] == '\0')) {
    g_autofree char *shorter = g_strconcat("~", folder + home_len, NULL);
    return g_filename_display_name(shorter);
  }
  return g_filename_display_name(folder);
}
