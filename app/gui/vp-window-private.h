/* VpWindow's instance struct, shared by vp-window.c (pages, the workspace,
 * the Case panel, status line, recent files, screenshots), vp-window-open.c
 * (the steps of opening a case), vp-window-actions.c (win.* actions),
 * vp-window-cases.c (teaching cases) and vp-window-document.c (the document). */
#pragma once

#include "vp-case-loader.h"
#include "vp-document.h"
#include "vp-teaching-cases.h"
#include "vp-view-context.h"
#include "vp-view-grid.h"
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
  guint64 autosaved_revision; /* 1 + the document revision in the recovery file; 0: none */
  gboolean autosave_failing;  /* the last autosave failed (and the user was told) */
  char *recovery_path;        /* this window's recovery file, or NULL before the first autosave */
  gboolean close_confirmed;   /* the user chose to close despite unsaved changes */
  GtkWindow *document_dialog; /* the save-changes or recovery question shown now, or NULL */
  GtkNativeDialog *save_chooser; /* the Save As file chooser shown now, or NULL */
  gboolean close_after_save;  /* the save under way was asked for by closing */
  GFile *open_after_save;     /* ... or by opening this file over unsaved changes */
  gboolean replace_confirmed; /* the user chose to open another file over unsaved changes */
  guint window_number;        /* unique in this process: names the recovery file */
  guint recovery_offer_source; /* the idle that offers autosaves left by a crash */

  /* ---- The Anatomy step (vp-window-anatomy.c owns it) ---- */
  struct VpWindowAnatomy *anatomy;

  /* ---- The workspace (vp-window.c, vp-window-actions.c) ---- */
  VpViewContext *context; /* what every view shares; made before the document */
  VpViewGrid *view_grid;  /* the central view area, made in code inside view_area */
  gboolean notes_dirty;   /* the notes view holds text not yet committed */
  gboolean filling_panel; /* the panel is being filled from the plan, not edited */
  gboolean presentation_was_fullscreen; /* presentation mode reached full screen */

  /* Template children */
  GtkWidget *undo_button; /* their tooltips name the step (vp-window-document.c) */
  GtkWidget *redo_button;
  AdwWindowTitle *window_title;
  GtkWidget *reset_button;
  GtkWidget *view_menu_button;
  GtkWidget *layout_box;
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
  GtkListBox *step_list;
  GtkBox *view_area;
  GtkStack *step_stack;
  AdwEntryRow *case_name_row;
  GtkLabel *case_level_label;
  GtkLabel *case_label_number;
  GtkWidget *note_group;
  GtkLabel *note_title_label;
  GtkLabel *note_label;
  GtkListBox *measurement_list;
  GtkTextView *notes_view;
  GtkLabel *surface_triangles_label;
  GtkLabel *surface_size_label;
  GtkLabel *surface_volume_label;
  GtkWidget *surface_volume_row;
  GtkWidget *repair_row;
  GtkLabel *repair_label;
  GtkListBox *source_list;
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
/* What the user's ways of opening a file (chooser, recent files, drop,
 * samples) do: ask about unsaved changes first, then open. */
void vp_window_open_asking(VpWindow *self, GFile *file);

/* vp-window-open.c */
/* Stops the open in progress without a word: a newer open replaces it or the
 * window goes away. */
void vp_window_abandon_open(VpWindow *self);

/* vp-window-cases.c: the teaching cases on the welcome page and in the
 * Samples menu, and the teaching note in the Case step's panel. */
void vp_window_cases_init(VpWindow *self);
/* Shows the teaching note of the case just shown, or hides its group. */
void vp_window_update_teaching_note(VpWindow *self);

/* vp-window-document.c: the plan as an undoable document, saving, the
 * unsaved-changes question, autosave and recovery. */
void vp_window_document_init(VpWindow *self);
/* A new case is shown: makes its document (from the plan it was opened from,
 * or a new plan describing the case), not modified. */
void vp_window_document_attach(VpWindow *self, VpLoadedCase *loaded);
/* Drops the document and its recovery file (window closing). Changes the
 * user did not choose to drop (the window destroyed without closing) stay in
 * the recovery file, to be offered back at the next start. */
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
/* Before the user opens another file in the window (chooser, recent files,
 * drop, samples): TRUE when the document may go, and the caller opens file;
 * otherwise it asks the user (save, discard, cancel) and, when answered so,
 * opens file itself. vp_window_open() does not ask. */
gboolean vp_window_document_may_replace(VpWindow *self, GFile *file);
/* vp-window-open.c: opens the plan in a recovery file (an autosave) as a plan
 * file is opened; document_path (may be NULL) is the plan file it belongs to. */
void vp_window_open_recovery(VpWindow *self, const char *recovery_path, const char *document_path);

/* vp-window.c: everything that shows the plan (panels, measurements in the
 * views) reads it again; called after every edit, undo, redo and load. */
void vp_window_plan_changed(VpWindow *self);
/* Commits what the user typed but has not committed yet (the notes, which
 * are committed when they lose focus): call before saving or closing. */
void vp_window_commit_pending_edits(VpWindow *self);

/* vp-window-actions.c: window actions (win.*): views, projection, scaling,
 * steps, layout, measuring tool, presentation mode. */
void vp_window_actions_init(VpWindow *self);
/* The 3D views the panes show now follow the stored projection (call again
 * whenever a pane changes what it shows). */
void vp_window_bind_projection(VpWindow *self);
/* Enables the actions that need a case only while one is shown. */
void vp_window_actions_update(VpWindow *self);

/* vp-window-anatomy.c: the Anatomy step (the anatomy computed off the main
 * loop, its panel, the overlays' settings, the frame correction as edits). */
void vp_window_anatomy_class_init(GtkWidgetClass *widget_class);
/* After the actions (it follows win.step) and before the first plan_changed. */
void vp_window_anatomy_init(VpWindow *self);
/* A new case is shown (its document attached): forgets the old anatomy and
 * starts computing the new one. */
void vp_window_anatomy_case_shown(VpWindow *self);
/* Frees old, a case no longer shown, or hands it to the worker still reading
 * it, which frees it when done. */
void vp_window_anatomy_release_case(VpWindow *self, VpLoadedCase *old);
/* The plan changed (edit, undo, redo): the anatomy follows its frame correction. */
void vp_window_anatomy_plan_changed(VpWindow *self);
/* Stops the work, lets go of the anatomy and of self->doc (after the views have). */
void vp_window_anatomy_dispose(VpWindow *self);

G_END_DECLS
