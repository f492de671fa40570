/* One pane of the view area: a small bar with a drop-down choosing what the
 * pane shows (3D, axial, sagittal, coronal, oblique, fluoroscopy AP or
 * lateral) above the view itself. */
#pragma once

#include <gtk/gtk.h>

#include "vp-view-context.h"
#include "vp-view3d.h"

G_BEGIN_DECLS

typedef enum {
  VP_VIEW_TYPE_3D,
  VP_VIEW_TYPE_AXIAL,
  VP_VIEW_TYPE_SAGITTAL,
  VP_VIEW_TYPE_CORONAL,
  VP_VIEW_TYPE_OBLIQUE,
  VP_VIEW_TYPE_FLUORO_AP,
  VP_VIEW_TYPE_FLUORO_LATERAL,
  VP_VIEW_TYPE_COUNT,
} VpViewType;

/* "3d", "axial", "sagittal", "coronal", "oblique", "fluoro-ap",
 * "fluoro-lateral" (for actions and settings, not translated). */
const char *vp_view_type_to_string(VpViewType type);
gboolean vp_view_type_from_string(const char *name, VpViewType *out);
/* Translated name for menus ("Fluoroscopy AP"). */
const char *vp_view_type_display_name(VpViewType type);

#define VP_TYPE_VIEW_PANE (vp_view_pane_get_type())
G_DECLARE_FINAL_TYPE(VpViewPane, vp_view_pane, VP, VIEW_PANE, GtkWidget)

GtkWidget *vp_view_pane_new(VpViewContext *context, VpViewType type);

/* Property "view-type" (int). */
VpViewType vp_view_pane_get_view_type(VpViewPane *self);
void vp_view_pane_set_view_type(VpViewPane *self, VpViewType type);
/* The view widget shown now: a VpView3d, VpSliceView or VpFluoroView. */
GtkWidget *vp_view_pane_get_view(VpViewPane *self);

G_END_DECLS
