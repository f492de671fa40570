/* Placeholder: being written. */
#include "vp-anatomy-private.h"

VpVolume *vp_anatomy_label_parts(const VpVolume *bone, const VpAnatomyFrame *frame, bool thoracic, VpError *err)
{
  return NULL;
}

