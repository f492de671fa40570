/* The central view area: one pane, or four in a 2 x 2 grid. The panes keep
 * their view types when the layout changes (the single layout shows the
 * first). Default types: 3D, axial, sagittal, fluoroscopy AP. */
#pragma once

#include <gtk/gtk.h>

#include "vp-view-context.h"
#include "vp-view-pane.h"

G_BEGIN_DECLS

#define VP_VIEW_GRID_PANES 4

typedef enum {
  VP_VIEW_LAYOUT_SINGLE,
  VP_VIEW_LAYOUT_GRID,
} VpViewLayout;

#define VP_TYPE_VIEW_GRID (vp_view_grid_get_type())
G_DECLARE_FINAL_TYPE(VpViewGrid, vp_view_grid, VP, VIEW_GRID, GtkWidget)

GtkWidget *vp_view_grid_new(VpViewContext *context);

/* Property "layout" (int). */
VpViewLayout vp_view_grid_get_layout(VpViewGrid *self);
void vp_view_grid_set_layout(VpViewGrid *self, VpViewLayout layout);
/* "single" / "grid" <-> layout. */
const char *vp_view_layout_to_string(VpViewLayout layout);
gboolean vp_view_layout_from_string(const char *name, VpViewLayout *out);

/* Pane 0..VP_VIEW_GRID_PANES-1 (pane 0 is the one the single layout shows). */
VpViewPane *vp_view_grid_get_pane(VpViewGrid *self, guint index);
/* The first pane showing 3D, or NULL. */
VpView3d *vp_view_grid_find_view3d(VpViewGrid *self);

G_END_DECLS
