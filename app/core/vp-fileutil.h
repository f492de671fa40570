/* Whole-file reading with a size limit, and writing that never leaves a
 * half-written file behind; used by every saver and loader in the core. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "vp-error.h"

/* Replaces path with exactly these bytes, or leaves it as it was: the data go
 * to a temporary file in the same folder, which is flushed to disk and then
 * renamed over path. A new file gets the permissions the umask allows; an
 * existing file keeps its permissions. On failure no temporary file remains
 * and err says why ("could not save /a/plan.vplan: No space left on device"). */
bool vp_file_write_atomic(const char *path, const void *data, size_t size, VpError *err);

/* Reads a whole regular file into a malloc'ed buffer with a NUL after the last
 * byte (so text can be parsed in place); *size receives the byte count.
 * Refuses, before reading, files larger than max_bytes (VP_ERR_LIMIT). */
char *vp_file_read_all(const char *path, size_t max_bytes, size_t *size, VpError *err);
