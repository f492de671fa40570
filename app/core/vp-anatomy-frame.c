/* Placeholder: being written. */
#include "vp-anatomy-private.h"

VpVolume *vp_anatomy_bone_grid(const VpCase *c, double spacing_mm, int threads, VpError *err)
{
  return NULL;
}

bool vp_anatomy_find_frame(const VpVolume *bone, VpAnatomyFrame *out, VpError *err)
{
  return 0;
}
