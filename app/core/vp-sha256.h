/* SHA-256 (FIPS 180-4) of memory and of files, so a plan can tell whether the
 * files it was made from are still the same bytes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vp-error.h"

#define VP_SHA256_DIGEST_SIZE 32
/* 64 lowercase hex digits and the terminating NUL. */
#define VP_SHA256_HEX_SIZE 65

/* Streaming state: init, update any number of times, final. */
typedef struct VpSha256 {
  uint32_t state[8];
  uint64_t total_bytes;
  uint8_t block[64];
  size_t block_used;
} VpSha256;

void vp_sha256_init(VpSha256 *ctx);
void vp_sha256_update(VpSha256 *ctx, const void *data, size_t size);
/* Writes the digest; ctx must be initialised again before reuse. */
void vp_sha256_final(VpSha256 *ctx, uint8_t digest[VP_SHA256_DIGEST_SIZE]);

/* One-shot digest of a buffer. */
void vp_sha256_buffer(const void *data, size_t size, uint8_t digest[VP_SHA256_DIGEST_SIZE]);
/* Lowercase hex of a digest. */
void vp_sha256_hex(const uint8_t digest[VP_SHA256_DIGEST_SIZE], char hex[VP_SHA256_HEX_SIZE]);

/* Digest of a file, read in pieces (never whole into memory). size_bytes
 * (may be NULL) receives the number of bytes hashed. Returns false with err
 * filled when the file cannot be opened or read. */
bool vp_sha256_file(const char *path, uint8_t digest[VP_SHA256_DIGEST_SIZE], uint64_t *size_bytes,
                    VpError *err);
