/* Placeholder: being written. */
#include "vp-anatomy-private.h"

bool vp_anatomy_reference(const char *level, VpAnatomyReference *out)
{
  return 0;
}
