/* Placeholder: being written. */
#include "vp-window-private.h"
