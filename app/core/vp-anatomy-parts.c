/* Placeholder: being written. */
#include "vp-anatomy-private.h"

VpVolume *vp_anatomy_label_parts(const VpVolume *bone, const VpAnatomyFrame *frame, bool thoracic, VpError *err)
{
  return NULL;
}

VpVolume *vp_anatomy_parts_from_phantom(const VpPhantom *phantom, const VpAnatomyFrame *frame, VpError *err)
{
  return NULL;
}
