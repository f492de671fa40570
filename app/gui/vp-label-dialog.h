/* The dialog that lists the vertebrae of a label mask by level, label number
 * and volume, lets the user pick one, and offers the CT to open with it. */
#pragma once

#include <adwaita.h>

#include "vp-volume.h"

G_BEGIN_DECLS

#define VP_TYPE_LABEL_DIALOG (vp_label_dialog_get_type())
G_DECLARE_FINAL_TYPE(VpLabelDialog, vp_label_dialog, VP, LABEL_DIALOG, AdwWindow)

/* A modal dialog over parent for the mask at mask_path with these labels
 * (copied). ct_path is the CT to offer, ticked, or NULL when none is known.
 * Emits "response" ("open" or "cancel") once, then closes itself. */
VpLabelDialog *vp_label_dialog_new(GtkWindow *parent, const char *mask_path,
                                   const VpLabelStats *labels, const char *ct_path);

/* The chosen label, or 0 when none is chosen yet. */
int vp_label_dialog_get_label(VpLabelDialog *self);
/* The CT to open with the case: offered or chosen, and ticked; else NULL. */
const char *vp_label_dialog_get_ct_path(VpLabelDialog *self);

/* "L3 — label 22 — 64.1 mL", or "label 42 — 3.0 mL" for labels with no level
 * name. Newly allocated. */
char *vp_label_dialog_format_label(const VpLabelCount *count);

G_END_DECLS
