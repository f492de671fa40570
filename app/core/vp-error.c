/* Error values for the core. */
#include "vp-error.h"

#include <stdio.h>
#include <string.h>

void vp_error_clear(VpError *err)
{
  if (!err)
    return;
  err->code = VP_OK;
  err->message[0] = '\0';
}

bool vp_error_set(VpError *err, VpErrorCode code, const char *format, ...)
{
  if (!err)
    return false;
  va_list args;
  va_start(args, format);
  err->code = code;
  vsnprintf(err->message, sizeof err->message, format, args);
  va_end(args);
  return false;
}

void vp_error_prefix(VpError *err, const char *format, ...)
{
  if (!err)
    return;
  char joined[VP_ERROR_MESSAGE_MAX];
  va_list args;
  va_start(args, format);
  int n = vsnprintf(joined, sizeof joined, format, args);
  va_end(args);
  if (n < 0 || (size_t)n >= sizeof joined - 2)
    return; /* no room for the original message: keep it rather than lose it */
  size_t used = (size_t)n;
  memcpy(joined + used, ": ", 2);
  used += 2;
  size_t rest = strnlen(err->message, sizeof err->message - 1);
  if (rest > sizeof joined - 1 - used)
    rest = sizeof joined - 1 - used;
  memcpy(joined + used, err->message, rest);
  joined[used + rest] = '\0';
  memcpy(err->message, joined, used + rest + 1);
}

char *vp_format_count(unsigned long long count, char buf[32])
{
  char digits[24];
  int n = snprintf(digits, sizeof digits, "%llu", count);
  int out = 0;
  for (int i = 0; i < n; i++) {
    if (i > 0 && (n - i) % 3 == 0)
      buf[out++] = ',';
    buf[out++] = digits[i];
  }
  buf[out] = '\0';
  return buf;
}
