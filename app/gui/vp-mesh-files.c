/* Mesh files for the GUI: type checks, recent files and threaded loading. */
#include "vp-mesh-files.h"

#include <glib/gi18n.h>
#include <string.h>

/* Shared-mime-info has used each of these for STL over the years; OBJ and
 * PLY have their own. The loader decides by content, these only filter. */
static const char *const mesh_mime_types[] = {
  "model/stl", "application/sla", "model/x.stl-binary", "model/x.stl-ascii",
  "model/obj", "application/x-tgif", "model/x-ply", "application/x-ply",
};
static const char *const mesh_suffixes[] = {"stl", "obj", "ply"};

void vp_mesh_files_free_loaded(VpLoadedMesh *loaded)
{
  if (!loaded)
    return;
  vp_mesh_free(loaded->mesh);
  g_free(loaded);
}

GtkFileFilter *vp_mesh_files_new_filter(void)
{
  GtkFileFilter *filter = gtk_file_filter_new();
  gtk_file_filter_set_name(filter, _("Surface Meshes (STL, OBJ, PLY)"));
  for (gsize i = 0; i < G_N_ELEMENTS(mesh_mime_types); i++)
    gtk_file_filter_add_mime_type(filter, mesh_mime_types[i]);
  for (gsize i = 0; i < G_N_ELEMENTS(mesh_suffixes); i++)
    gtk_file_filter_add_suffix(filter, mesh_suffixes[i]);
  return filter;
}

static gboolean has_mesh_suffix(const char *uri)
{
  const char *dot = uri ? strrchr(uri, '.') : NULL;
  for (gsize i = 0; dot && i < G_N_ELEMENTS(mesh_suffixes); i++) {
    if (g_ascii_strcasecmp(dot + 1, mesh_suffixes[i]) == 0)
      return TRUE;
  }
  return FALSE;
}

gboolean vp_mesh_files_is_mesh(const char *uri, const char *mime_type)
{
  for (gsize i = 0; mime_type && i < G_N_ELEMENTS(mesh_mime_types); i++) {
    if (g_str_equal(mime_type, mesh_mime_types[i]))
      return TRUE;
  }
  return has_mesh_suffix(uri);
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
         vp_mesh_files_is_mesh(gtk_recent_info_get_uri(info),
                               gtk_recent_info_get_mime_type(info));
}

GList *vp_mesh_files_list_recent(guint max)
{
  GList *items = gtk_recent_manager_get_items(gtk_recent_manager_get_default());
  GList *meshes = NULL;
  for (GList *l = items; l; l = l->next) {
    if (is_listed(l->data))
      meshes = g_list_prepend(meshes, gtk_recent_info_ref(l->data));
  }
  g_list_free_full(items, (GDestroyNotify)gtk_recent_info_unref);
  meshes = g_list_sort(meshes, compare_newest_first);
  while (g_list_length(meshes) > max) {
    GList *last = g_list_last(meshes);
    gtk_recent_info_unref(last->data);
    meshes = g_list_delete_link(meshes, last);
  }
  return meshes;
}

void vp_mesh_files_add_recent(GFile *file)
{
  g_autofree char *uri = g_file_get_uri(file);
  g_autofree char *basename = g_file_get_basename(file);
  g_autofree char *content_type = g_content_type_guess(basename, NULL, 0, NULL);
  g_autofree char *mime_type = g_content_type_get_mime_type(content_type);
  const char *prgname = g_get_prgname();
  /* Explicit data instead of gtk_recent_manager_add_item(), which would
   * sniff the file asynchronously; the fields are not const in the API. */
  GtkRecentData data = {
    .mime_type = (char *)(mime_type ? mime_type : "model/stl"),
    .app_name = (char *)(prgname ? prgname : "vertebra-planner"),
    .app_exec = (char *)"vertebra-planner %u",
  };
  gtk_recent_manager_add_full(gtk_recent_manager_get_default(), uri, &data);
}

static void load_in_thread(GTask *task, gpointer source, gpointer task_data,
                           GCancellable *cancellable)
{
  g_autofree char *path = g_file_get_path(task_data);
  if (!path) {
    g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "%s",
                            _("Only files on this computer can be opened."));
    return;
  }
  VpError err;
  vp_error_clear(&err);
  VpLoadedMesh *loaded = g_new0(VpLoadedMesh, 1);
  loaded->mesh = vp_mesh_load(path, &err);
  if (!loaded->mesh || !vp_mesh_measure(loaded->mesh, &loaded->stats, &err)) {
    vp_mesh_files_free_loaded(loaded);
    g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s",
                            err.message[0] ? err.message : _("The file could not be read."));
    return;
  }
  g_task_return_pointer(task, loaded, (GDestroyNotify)vp_mesh_files_free_loaded);
}

void vp_mesh_files_load_async(GFile *file, GCancellable *cancellable, GAsyncReadyCallback callback,
                              gpointer user_data)
{
  GTask *task = g_task_new(NULL, cancellable, callback, user_data);
  g_task_set_task_data(task, g_object_ref(file), g_object_unref);
  g_task_run_in_thread(task, load_in_thread);
  g_object_unref(task);
}

VpLoadedMesh *vp_mesh_files_load_finish(GAsyncResult *result, GError **error)
{
  g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
  return g_task_propagate_pointer(G_TASK(result), error);
}
