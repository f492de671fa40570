/* The files a case is opened from, as the GUI sees them: file chooser
 * filters, which files count as ours (recent files, drops), and the
 * recent-files list. What a file really is, the core decides by content. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The Open dialog's filters: every supported file (selected), meshes, NIfTI
 * volumes, plans, and all files. */
void vp_case_files_add_open_filters(GtkFileChooser *chooser);
/* Filters for choosing a CT or a mask: NIfTI volumes (selected) and all files. */
void vp_case_files_add_volume_filters(GtkFileChooser *chooser);

/* A mesh, NIfTI volume or plan by MIME type or file name. */
gboolean vp_case_files_is_supported(const char *uri, const char *mime_type);

/* Existing local supported files from GtkRecentManager, newest first, at
 * most max. Free with g_list_free_full(list, (GDestroyNotify)gtk_recent_info_unref). */
GList *vp_case_files_list_recent(guint max);
void vp_case_files_add_recent(GFile *file);

/* The file's name for showing it, e.g. "sub-verse005_ct.nii.gz". */
char *vp_case_files_display_name(GFile *file);
char *vp_case_files_display_basename(const char *path);
/* The folder of a local path for showing it: "~/scans" rather than
 * "/home/someone/scans", shorter and with no user name on screen. */
char *vp_case_files_short_folder(const char *path);

G_END_DECLS
