/* The teaching cases shipped with the application, as the GUI lists them:
 * the cases folder, its index (cases.json) and the translated titles and notes. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct VpTeachingCaseEntry {
  char *id;    /* "l1-osteoporotic-wedge" */
  char *title; /* translated, e.g. "L1 osteoporotic wedge fracture, Genant grade 2" */
  char *level; /* "L1" */
  char *path;  /* the case's plan (.vplan) in the cases folder */
} VpTeachingCaseEntry;

/* The cases folder: $VP_CASES_DIR when set, else VP_PKGDATADIR/cases. */
char *vp_teaching_cases_dir(void);

/* The cases the folder's cases.json lists, in its order: an array of
 * VpTeachingCaseEntry that frees them. Empty when the folder has no index (an
 * installation without cases); NULL with error when the index is unreadable
 * or malformed. */
GPtrArray *vp_teaching_cases_load(const char *dir, GError **error);

/* The entry with this id, or NULL. */
const VpTeachingCaseEntry *vp_teaching_cases_find(GPtrArray *cases, const char *id);

/* A plan's teaching note as shown: translated when it is a bundled case's
 * note (its text is the message id), else as written; NULL for NULL or "". */
char *vp_teaching_note_display(const char *note);

G_END_DECLS
