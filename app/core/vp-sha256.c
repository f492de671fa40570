/* SHA-256 as specified in FIPS 180-4, section 6.2, streaming, with a file
 * helper that reads in fixed pieces so CT volumes of any size can be hashed. */
#include "vp-sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vp-intl-private.h"

/* Large enough that read() calls do not dominate, small enough for any thread. */
#define FILE_CHUNK_BYTES (256u * 1024u)

static const uint32_t round_constants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t rotr(uint32_t x, unsigned n) { return (x >> n) | (x << (32u - n)); }

static uint32_t load_be32(const uint8_t *p)
{
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void store_be32(uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

/* The message schedule W[0..63] of one 512-bit block (FIPS 180-4, 6.2.2 step 1). */
static void expand_schedule(const uint8_t block[64], uint32_t w[64])
{
  for (int t = 0; t < 16; t++)
    w[t] = load_be32(block + 4 * t);
  for (int t = 16; t < 64; t++) {
    uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
    uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
    w[t] = w[t - 16] + s0 + w[t - 7] + s1;
  }
}

static void compress_block(uint32_t state[8], const uint8_t block[64])
{
  uint32_t w[64], v[8];
  expand_schedule(block, w);
  memcpy(v, state, sizeof v);
  for (int t = 0; t < 64; t++) {
    uint32_t s1 = rotr(v[4], 6) ^ rotr(v[4], 11) ^ rotr(v[4], 25);
    uint32_t ch = (v[4] & v[5]) ^ (~v[4] & v[6]);
    uint32_t t1 = v[7] + s1 + ch + round_constants[t] + w[t];
    uint32_t s0 = rotr(v[0], 2) ^ rotr(v[0], 13) ^ rotr(v[0], 22);
    uint32_t maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
    memmove(v + 1, v, 7 * sizeof v[0]);
    v[4] += t1;
    v[0] = t1 + s0 + maj;
  }
  for (int i = 0; i < 8; i++)
    state[i] += v[i];
}

void vp_sha256_init(VpSha256 *ctx)
{
  static const uint32_t initial[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                      0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(ctx->state, initial, sizeof initial);
  ctx->total_bytes = 0;
  ctx->block_used = 0;
}

void vp_sha256_update(VpSha256 *ctx, const void *data, size_t size)
{
  const uint8_t *p = data;
  ctx->total_bytes += size;
  while (size > 0) {
    size_t take = sizeof ctx->block - ctx->block_used;
    if (take > size)
      take = size;
    memcpy(ctx->block + ctx->block_used, p, take);
    ctx->block_used += take;
    p += take;
    size -= take;
    if (ctx->block_used == sizeof ctx->block) {
      compress_block(ctx->state, ctx->block);
      ctx->block_used = 0;
    }
  }
}

/* Padding (5.1.1): a 1 bit, zeros, then the message length in bits, big-endian. */
void vp_sha256_final(VpSha256 *ctx, uint8_t digest[VP_SHA256_DIGEST_SIZE])
{
  uint64_t bits = ctx->total_bytes * 8u;
  ctx->block[ctx->block_used++] = 0x80;
  if (ctx->block_used > 56) {
    memset(ctx->block + ctx->block_used, 0, 64 - ctx->block_used);
    compress_block(ctx->state, ctx->block);
    ctx->block_used = 0;
  }
  memset(ctx->block + ctx->block_used, 0, 56 - ctx->block_used);
  store_be32(ctx->block + 56, (uint32_t)(bits >> 32));
  store_be32(ctx->block + 60, (uint32_t)bits);
  compress_block(ctx->state, ctx->block);
  for (int i = 0; i < 8; i++)
    store_be32(digest + 4 * i, ctx->state[i]);
}

void vp_sha256_buffer(const void *data, size_t size, uint8_t digest[VP_SHA256_DIGEST_SIZE])
{
  VpSha256 ctx;
  vp_sha256_init(&ctx);
  vp_sha256_update(&ctx, data, size);
  vp_sha256_final(&ctx, digest);
}

void vp_sha256_hex(const uint8_t digest[VP_SHA256_DIGEST_SIZE], char hex[VP_SHA256_HEX_SIZE])
{
  static const char digits[] = "0123456789abcdef";
  for (int i = 0; i < VP_SHA256_DIGEST_SIZE; i++) {
    hex[2 * i] = digits[digest[i] >> 4];
    hex[2 * i + 1] = digits[digest[i] & 15];
  }
  hex[2 * VP_SHA256_DIGEST_SIZE] = '\0';
}

/* Feeds everything fd still holds into ctx; false with errno set on a read error. */
static bool hash_fd(int fd, VpSha256 *ctx, uint8_t *chunk)
{
  for (;;) {
    ssize_t n = read(fd, chunk, FILE_CHUNK_BYTES);
    if (n == 0)
      return true;
    if (n < 0 && errno != EINTR)
      return false;
    if (n > 0)
      vp_sha256_update(ctx, chunk, (size_t)n);
  }
}

bool vp_sha256_file(const char *path, uint8_t digest[VP_SHA256_DIGEST_SIZE], uint64_t *size_bytes,
                    VpError *err)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return vp_error_set(err, VP_ERR_IO, _("could not open %s: %s"), path, strerror(errno));
  uint8_t *chunk = malloc(FILE_CHUNK_BYTES);
  if (!chunk) {
    close(fd);
    return vp_error_set(err, VP_ERR_NOMEM, _("out of memory while reading %s"), path);
  }
  VpSha256 ctx;
  vp_sha256_init(&ctx);
  bool ok = hash_fd(fd, &ctx, chunk);
  int read_errno = errno;
  free(chunk);
  close(fd);
  if (!ok)
    return vp_error_set(err, VP_ERR_IO, _("could not read %s: %s"), path, strerror(read_errno));
  if (size_bytes)
    *size_bytes = ctx.total_bytes;
  vp_sha256_final(&ctx, digest);
  return true;
}
