/* Placeholder: being written. */
#include "vp-anatomy-overlay.h"
