/* Translation of user-visible core messages. The core only looks strings up;
 * the application binds the text domain. */
#pragma once

#include <libintl.h>

#ifndef GETTEXT_PACKAGE
#error "GETTEXT_PACKAGE must be defined by the build"
#endif

#define _(String) dgettext(GETTEXT_PACKAGE, String)
#define N_(String) (String)
