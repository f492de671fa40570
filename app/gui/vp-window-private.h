/* VpWindow's instance struct, shared by vp-window.c and vp-window-actions.c. */
#pragma once

#include "vp-mesh-files.h"
#include "vp-window.h"

G_BEGIN_DECLS

struct _VpWindow {
  AdwApplicationWindow parent_instance;

  GSettings *settings;
  VpLoadedMesh *loaded; /* what the view shows; freed only after the view lets go */
  GCancellable *load_cancellable;
  char *page_before_loading;

  /* Template children */
  AdwWindowTitle *window_title;
  GtkWidget *reset_button;
  GtkWidget *view_menu_button;
  GtkStack *stack;
  GtkWidget *recent_box;
  GtkListBox *recent_list;
  GtkLabel *loading_label;
  GtkSpinner *loading_spinner;
  VpView3d *view;
  GtkLabel *file_label;
  GtkLabel *measures_label;
};

/* Window actions (win.*): views, projection. */
void vp_window_actions_init(VpWindow *self);
/* Enables the view actions only while a mesh is shown. */
void vp_window_actions_update(VpWindow *self);

G_END_DECLS
