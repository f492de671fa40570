/* Placeholder: being written. */
#include "vp-window-private.h"

void vp_window_document_init(VpWindow *self) {}
void vp_window_document_attach(VpWindow *self, VpLoadedCase *loaded) {}
void vp_window_document_detach(VpWindow *self) {}
gboolean vp_window_document_edit(VpWindow *self, const char *label, VpPlanEditFunc edit,
                                 gpointer user_data)
{
  return FALSE;
}
gboolean vp_window_document_may_close(VpWindow *self)
{
  return TRUE;
}
void vp_window_document_update_title(VpWindow *self) {}
void vp_window_document_update_actions(VpWindow *self) {}
