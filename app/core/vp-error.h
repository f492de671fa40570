/* Errors as values: the function that fails fills a VpError with a code and a
 * message a user can act on. The core never prints, exits or aborts on bad input. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum VpErrorCode {
  VP_OK = 0,
  VP_ERR_IO,        /* the file could not be opened, read or written */
  VP_ERR_FORMAT,    /* the content is not what the format says */
  VP_ERR_TRUNCATED, /* the content ends early */
  VP_ERR_LIMIT,     /* a stated size limit would be exceeded */
  VP_ERR_NOMEM,     /* an allocation failed */
  VP_ERR_INVALID,   /* an argument or a request makes no sense */
  VP_ERR_CANCELLED, /* the caller asked the work to stop (see VpProgress) */
} VpErrorCode;

#define VP_ERROR_MESSAGE_MAX 512

typedef struct VpError {
  VpErrorCode code;
  char message[VP_ERROR_MESSAGE_MAX];
} VpError;

/* Resets err to VP_OK with an empty message. err may be NULL. */
void vp_error_clear(VpError *err);

/* Fills err (which may be NULL) and returns false, so callers can write
 * `return vp_error_set(err, ...)` in functions that return bool. */
bool vp_error_set(VpError *err, VpErrorCode code, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* Puts "context: " before the existing message, e.g. the file name. */
void vp_error_prefix(VpError *err, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* Formats a count with thousands separators ("27,760"), independent of the
 * locale, into buf; returns buf. */
char *vp_format_count(unsigned long long count, char buf[32]);
