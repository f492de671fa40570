/* Placeholder: being written. */
#include "vp-anatomy-private.h"

bool vp_anatomy_measure(const VpVolume *parts, const VpAnatomyFrame *frame, const VpCase *c, VpAnatomyMeasures *out, VpError *err)
{
  return 0;
}
