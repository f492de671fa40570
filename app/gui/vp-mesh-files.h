/* Mesh files as the GUI sees them: which files count as meshes (file chooser,
 * recent files, drops), the recent-files list, and loading off the main loop. */
#pragma once

#include <gtk/gtk.h>

#include "vp-mesh.h"

G_BEGIN_DECLS

/* A mesh and its measures, made in a worker thread. */
typedef struct VpLoadedMesh {
  VpMesh *mesh;
  VpMeshStats stats;
} VpLoadedMesh;

void vp_mesh_files_free_loaded(VpLoadedMesh *loaded);

/* File chooser filter for all supported mesh files (a new object). */
GtkFileFilter *vp_mesh_files_new_filter(void);
gboolean vp_mesh_files_is_mesh(const char *uri, const char *mime_type);

/* Existing local mesh files from GtkRecentManager, newest first, at most max.
 * Free with g_list_free_full(list, (GDestroyNotify)gtk_recent_info_unref). */
GList *vp_mesh_files_list_recent(guint max);
void vp_mesh_files_add_recent(GFile *file);

/* Loads and measures a mesh in a worker thread. The error message is the
 * loader's, written for the user. */
void vp_mesh_files_load_async(GFile *file, GCancellable *cancellable, GAsyncReadyCallback callback,
                              gpointer user_data);
VpLoadedMesh *vp_mesh_files_load_finish(GAsyncResult *result, GError **error);

G_END_DECLS
