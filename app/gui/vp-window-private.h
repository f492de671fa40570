/* VpWindow's instance struct, shared by vp-window.c (pages, status line,
 * recent files, screenshots), vp-window-open.c (the steps of opening a
 * case) and vp-window-actions.c (win.* actions). */
#pragma once

#include "vp-case-loader.h"
#include "vp-document.h"
#include "vp-teaching-cases.h"
#include "vp-window.h"

G_BEGIN_DECLS

struct _VpWindow {
  AdwApplicationWindow parent_instance;

  GSettings *settings;
  VpLoadedCase *doc; /* the case shown; freed only after the view lets go of its surface */
  char *page_before_loading;
  AdwToast *case_toast; /* the repair summary or the offer to scale, while shown */

  /* The open in progress, from vp_window_open() until the case is shown, the
   * open fails or the user cancels it. Each step checks open_serial, which
   * every new open and every cancel bumps, so stale steps do nothing. */
  GFile *opening;
  guint open_serial;
  VpLoadProgress *progress; /* of the worker thread running now, or NULL */
  GtkWindow *open_dialog;   /* the dialog asking the user now, or NULL */
  char *mask_for_ct;        /* the CT whose mask the user was asked to choose */
  guint pulse_source;

  GPtrArray *teaching_cases; /* of VpTeachingCaseEntry, from the cases folder's index */

  /* ---- The document (vp-window-document.c owns these fields) ---- */
  VpDocument *document;       /* the plan being edited; NULL while no case is shown */
  guint autosave_source;      /* the autosave timer, 0 when none */
  guint64 autosaved_revision; /* the document revision last written to the recovery file */
  char *recovery_path;        /* this window's recovery file, or NULL before the first autosave */
  gboolean close_confirmed;   /* the user chose to close despite unsaved changes */
  GtkWindow *document_dialog; /* the save-changes or recovery question shown now, or NULL */

  /* ---- The workspace (vp-window.c, vp-window-actions.c) ---- */

  /* Template children */
  AdwWindowTitle *window_title;
  GtkWidget *reset_button;
  GtkWidget *view_menu_button;
  GtkToggleButton *note_button;
  GMenu *samples_section;
  AdwToastOverlay *toast_overlay;
  GtkStack *stack;
  GtkWidget *recent_box;
  GtkListBox *recent_list;
  GtkWidget *cases_box;
  GtkListBox *cases_list;
  GtkLabel *loading_label;
  GtkLabel *loading_stage_label;
  GtkProgressBar *loading_progress;
  VpView3d *view;
  GtkRevealer *note_revealer;
  GtkLabel *note_title_label;
  GtkLabel *note_label;
  GtkWidget *note_close_button;
  GtkLabel *case_label;
  GtkImage *warning_icon;
  GtkLabel *measures_label;
};

/* vp-window.c */
void vp_window_show_page(VpWindow *self, const char *name);
/* Back to where the user was before the open began. */
void vp_window_show_previous_page(VpWindow *self);
/* Makes loaded the window's case (taking it) and shows it. */
void vp_window_show_case(VpWindow *self, VpLoadedCase *loaded);
/* Scales the case by its repair report's suggested factor (metres to mm). */
void vp_window_apply_suggested_scale(VpWindow *self);
void vp_window_toast(VpWindow *self, const char *title);

/* vp-window-open.c */
/* Stops the open in progress without a word: a newer open replaces it or the
 * window goes away. */
void vp_window_abandon_open(VpWindow *self);

/* vp-window-cases.c: the teaching cases on the welcome page and in the
 * Samples menu, and the teaching note beside the view. */
void vp_window_cases_init(VpWindow *self);
/* Shows the teaching note of the case just shown, or hides the panel. */
void vp_window_update_teaching_note(VpWindow *self);

/* vp-window-document.c: the plan as an undoable document, saving, the
 * unsaved-changes question, autosave and recovery. */
void vp_window_document_init(VpWindow *self);
/* A new case is shown: makes its document (from the plan it was opened from,
 * or a new plan describing the case), not modified. */
void vp_window_document_attach(VpWindow *self, VpLoadedCase *loaded);
/* Drops the document and its recovery file (window closing). */
void vp_window_document_detach(VpWindow *self);
/* Applies one edit: calls edit(plan, user_data, err) between begin and
 * commit, recording label for undo; on failure cancels and shows the error.
 * Then refreshes everything that shows the plan. */
typedef gboolean (*VpPlanEditFunc)(VpPlan *plan, gpointer user_data, VpError *err);
gboolean vp_window_document_edit(VpWindow *self, const char *label, VpPlanEditFunc edit,
                                 gpointer user_data);
/* Close request: TRUE when the window may close now; otherwise it asks the
 * user (save, discard, cancel) and closes again when answered. */
gboolean vp_window_document_may_close(VpWindow *self);
/* Title and subtitle: the file name (or the case name) and a mark while modified. */
void vp_window_document_update_title(VpWindow *self);
/* Enables undo/redo/save with their labels. */
void vp_window_document_update_actions(VpWindow *self);

/* vp-window.c: everything that shows the plan (panels, measurements in the
 * views) reads it again; called after every edit, undo, redo and load. */
void vp_window_plan_changed(VpWindow *self);

/* vp-window-actions.c: window actions (win.*): views, projection, scaling. */
void vp_window_actions_init(VpWindow *self);
/* Enables the actions that need a case only while one is shown. */
void vp_window_actions_update(VpWindow *self);

G_END_DECLS
