/* Locale-independent number parsing shared by the text mesh readers. */
#pragma once

#include <stdbool.h>

/* Parses a decimal number ("-1.5e3", "nan") that must fill [s, end) whole,
 * the same in every locale and without reading past end. Correctly rounded
 * up to 15 significant digits, within one unit in the last place of a double
 * beyond. False when the text is not one number. Shared by the text
 * readers. */
bool vp_text_parse_double(const char *s, const char *end, double *out);
