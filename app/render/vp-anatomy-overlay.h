/* Placeholder: being written. Drawing the anatomy (parts tinted, frame axes,
 * pedicle isthmus sections with their widths) over slice views. */
#pragma once

#include "vp-anatomy.h"
#include "vp-slice.h"
