/* Placeholder: being written. */
#include "vp-anatomy-private.h"

const char *vp_anatomy_part_name(VpAnatomyPart part)
{
  return NULL;
}

const char *vp_anatomy_part_key(VpAnatomyPart part)
{
  return NULL;
}

bool vp_anatomy_part_is_bone(VpAnatomyPart part)
{
  return 0;
}

bool vp_frame_adjustment_is_identity(const VpFrameAdjustment *adj)
{
  return 0;
}

VpAnatomyFrame vp_anatomy_frame_adjusted(const VpAnatomyFrame *frame, const VpFrameAdjustment *adj)
{
  return (VpAnatomyFrame){0};
}

VpVec3 vp_anatomy_frame_to_local(const VpAnatomyFrame *frame, VpVec3 world_mm)
{
  return (VpVec3){0};
}

VpVec3 vp_anatomy_frame_to_world(const VpAnatomyFrame *frame, VpVec3 local_mm)
{
  return (VpVec3){0};
}

VpAnatomyOptions vp_anatomy_options_default(void)
{
  return (VpAnatomyOptions){0};
}

VpAnatomy *vp_anatomy_compute(const VpCase *c, const VpFrameAdjustment *adj, const VpAnatomyOptions *options, const VpProgress *progress, VpError *err)
{
  return NULL;
}

bool vp_anatomy_readjust(VpAnatomy *anatomy, const VpCase *c, const VpFrameAdjustment *adj, VpError *err)
{
  return 0;
}

void vp_anatomy_free(VpAnatomy *anatomy)
{
  
}
