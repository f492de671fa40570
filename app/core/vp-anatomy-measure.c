/* Placeholder: being written. */
#include "vp-anatomy-private.h"

bool vp_anatomy_measure(const VpVolume *parts, const VpAnatomyFrame *frame, const VpCase *c, VpAnatomyMeasures *out, VpError *err)
{
  return 0;
}

VpVolume *vp_anatomy_parts_from_phantom(const VpPhantom *phantom, const VpAnatomyFrame *frame, VpError *err)
{
  return NULL;
}
