/* STL meshes: reading binary and ASCII files (welded into indexed meshes) with
 * errors a user can act on, and writing binary STL atomically. */
#include "vp-mesh.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vp-intl-private.h"
#include "vp-fileutil.h"
#include "vp-mesh-private.h"

#define STL_HEADER_BYTES 80
#define STL_PREFIX_BYTES 84   /* header + triangle count */
#define STL_TRIANGLE_BYTES 50 /* normal, 3 corners, attribute word */
/* How much of the start of a file is looked at to tell text from binary. */
#define STL_SNIFF_BYTES 512

static uint32_t read_u32le(const unsigned char *p)
{
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ASCII-only, so keywords compare the same under every locale. */
static char ascii_lower(char c)
{
  return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool is_space(unsigned char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool prefix_is(const unsigned char *d, size_t size, const char *word)
{
  size_t n = strlen(word);
  if (size < n)
    return false;
  for (size_t i = 0; i < n; i++)
    if (ascii_lower((char)d[i]) != word[i])
      return false;
  return true;
}

/* ---- telling binary from ASCII ---- */

static bool binary_size_matches(const unsigned char *d, size_t size)
{
  return size >= STL_PREFIX_BYTES &&
         (unsigned long long)size ==
             STL_PREFIX_BYTES + (unsigned long long)STL_TRIANGLE_BYTES * read_u32le(d + 80);
}

/* Control bytes other than whitespace (a NUL above all) do not occur in text. */
static bool looks_like_text(const unsigned char *d, size_t size)
{
  size_t n = size < STL_SNIFF_BYTES ? size : STL_SNIFF_BYTES;
  for (size_t i = 0; i < n; i++)
    if ((d[i] < 0x20 && !is_space(d[i])) || d[i] == 0x7f)
      return false;
  return true;
}

/* Bytes of a UTF-8 byte order mark at d, which some Windows editors write. */
static size_t bom_length(const unsigned char *d, size_t size)
{
  return (size >= 3 && d[0] == 0xef && d[1] == 0xbb && d[2] == 0xbf) ? 3 : 0;
}

static bool starts_with_solid(const unsigned char *d, size_t size)
{
  size_t i = bom_length(d, size);
  while (i < size && is_space(d[i]))
    i++;
  return prefix_is(d + i, size - i, "solid") && (size - i == 5 || is_space(d[i + 5]));
}

/* The classic trap: many binary writers put "solid" into the 80-byte header.
 * A size that matches the triangle count exactly settles it for binary. */
static bool stl_is_ascii(const unsigned char *d, size_t size, VpStlInfo *info)
{
  if (binary_size_matches(d, size)) {
    info->solid_header_binary = starts_with_solid(d, size);
    return false;
  }
  return starts_with_solid(d, size) && looks_like_text(d, size);
}

bool vp_mesh_stl_sniff(const void *head, size_t head_size, unsigned long long file_size)
{
  const unsigned char *d = head;
  if (starts_with_solid(d, head_size))
    return true;
  return head_size >= STL_PREFIX_BYTES &&
         file_size == STL_PREFIX_BYTES + (unsigned long long)STL_TRIANGLE_BYTES * read_u32le(d + 80);
}

/* ---- binary ---- */

typedef struct Magic {
  size_t offset;
  const char *bytes;
  size_t length;
  const char *what;
} Magic;

static const Magic known_magic[] = {
    {0, "\x89PNG\r\n\x1a\n", 8, N_("a PNG image")},
    {0, "\xff\xd8\xff", 3, N_("a JPEG image")},
    {0, "%PDF", 4, N_("a PDF document")},
    {0, "\x1f\x8b", 2, N_("a gzip-compressed file")},
    {0, "PK\x03\x04", 4, N_("a ZIP archive")},
    {0, "ply", 3, N_("a PLY mesh")},
    {344, "n+1\0", 4, N_("a NIfTI image")},
};

/* Files that are clearly something else get told so instead of a count error. */
static bool reject_non_stl(const unsigned char *d, size_t size, VpError *err)
{
  for (size_t i = 0; i < sizeof known_magic / sizeof known_magic[0]; i++) {
    const Magic *m = &known_magic[i];
    if (size >= m->offset + m->length && memcmp(d + m->offset, m->bytes, m->length) == 0)
      return vp_error_set(err, VP_ERR_FORMAT, _("not an STL file: it is %s"), _(m->what));
  }
  if (looks_like_text(d, size))
    return vp_error_set(err, VP_ERR_FORMAT,
                        _("not an STL file: it is text that does not begin with 'solid'"));
  char n[32];
  if (size < STL_PREFIX_BYTES)
    return vp_error_set(err, VP_ERR_FORMAT,
                        _("not an STL file: only %s bytes, less than a binary STL header (84)"),
                        vp_format_count(size, n));
  return true;
}

/* The declared count against the limit and the file size. */
static bool check_binary_count(size_t size, uint32_t count, VpError *err)
{
  unsigned long long expected = STL_PREFIX_BYTES + (unsigned long long)STL_TRIANGLE_BYTES * count;
  unsigned long long whole = (size - STL_PREFIX_BYTES) / STL_TRIANGLE_BYTES;
  char a[32], b[32], c[32];
  if (count > VP_MESH_MAX_TRIANGLES)
    return vp_error_set(err, VP_ERR_LIMIT,
                        _("binary STL declares %s triangles, more than the limit of %s"),
                        vp_format_count(count, a), vp_format_count(VP_MESH_MAX_TRIANGLES, b));
  if (count == 0)
    return vp_error_set(err, VP_ERR_FORMAT, _("contains no triangles"));
  if (size < expected)
    return vp_error_set(err, VP_ERR_TRUNCATED, _("file ends after %s of %s triangles"),
                        vp_format_count(whole, a), vp_format_count(count, b));
  if (size > expected)
    return vp_error_set(err, VP_ERR_FORMAT, _("binary STL has %s bytes after its %s triangles"),
                        vp_format_count(size - expected, c), vp_format_count(count, b));
  return true;
}

/* Header text up to its first NUL, control bytes blanked, trailing blanks cut. */
static void copy_name(char name[81], const unsigned char *text, size_t n)
{
  size_t len = 0;
  for (; len < n && len < 80 && text[len] != '\0'; len++)
    name[len] = (text[len] < 0x20 || text[len] == 0x7f) ? ' ' : (char)text[len];
  while (len > 0 && name[len - 1] == ' ')
    len--;
  name[len] = '\0';
}

/* Rejects Inf and NaN (an all-ones exponent) before anything is measured. */
static bool check_binary_finite(const unsigned char *p, uint32_t count, VpError *err)
{
  for (uint32_t t = 0; t < count; t++, p += STL_TRIANGLE_BYTES) {
    bool finite = true;
    for (int i = 0; i < 9; i++)
      finite &= (read_u32le(p + 12 + 4 * i) & 0x7f800000u) != 0x7f800000u;
    char n[32];
    if (!finite)
      return vp_error_set(err, VP_ERR_FORMAT,
                          _("triangle %s has a coordinate that is not a finite number"),
                          vp_format_count((unsigned long long)t + 1, n));
  }
  return true;
}

/* Welds the corners, reporting the triangles dropped; a mesh with none left is an error. */
static VpMesh *weld_stl(const void *corners, size_t stride, uint32_t count, VpStlInfo *info,
                        VpError *err)
{
  VpMesh *mesh = vp_mesh_weld_strided(corners, stride, count, &info->dropped_degenerate, err);
  if (mesh && mesh->triangle_count == 0) {
    char n[32];
    vp_mesh_free(mesh);
    vp_error_set(err, VP_ERR_FORMAT, _("all %s triangles are collapsed (two corners at one point)"),
                 vp_format_count(count, n));
    return NULL;
  }
  return mesh;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* The file's floats are already in host order: weld them where they lie. */
static VpMesh *weld_binary(const unsigned char *d, uint32_t count, VpStlInfo *info, VpError *err)
{
  return weld_stl(d + STL_PREFIX_BYTES + 12, STL_TRIANGLE_BYTES, count, info, err);
}
#else
/* Other hosts decode the little-endian floats into a soup first. */
static VpMesh *weld_binary(const unsigned char *d, uint32_t count, VpStlInfo *info, VpError *err)
{
  float *soup = malloc((size_t)count * 9 * sizeof *soup); /* count <= limit: no overflow */
  if (!soup) {
    char n[32];
    vp_error_set(err, VP_ERR_NOMEM, _("out of memory reading %s triangles"),
                 vp_format_count(count, n));
    return NULL;
  }
  const unsigned char *p = d + STL_PREFIX_BYTES + 12;
  for (size_t t = 0; t < count; t++, p += STL_TRIANGLE_BYTES)
    for (int i = 0; i < 9; i++) {
      uint32_t bits = read_u32le(p + 4 * i);
      memcpy(soup + 9 * t + i, &bits, sizeof bits);
    }
  VpMesh *mesh = weld_stl(soup, 9 * sizeof *soup, count, info, err);
  free(soup);
  return mesh;
}
#endif

static VpMesh *read_binary(const unsigned char *d, size_t size, VpStlInfo *info, VpError *err)
{
  if (!binary_size_matches(d, size) && !reject_non_stl(d, size, err))
    return NULL;
  uint32_t count = read_u32le(d + 80);
  if (!check_binary_count(size, count, err))
    return NULL;
  info->binary = true;
  info->file_triangles = count;
  copy_name(info->name, d, STL_HEADER_BYTES);
  if (!check_binary_finite(d + STL_PREFIX_BYTES, count, err))
    return NULL;
  return weld_binary(d, count, info, err);
}

/* ---- ASCII ---- */

typedef struct Token {
  const char *s;
  size_t n;
} Token;

typedef struct Ascii {
  const char *p, *end;
  unsigned long line; /* of the next unread byte */
  float *soup;        /* 9 floats a triangle */
  size_t triangles, capacity;
  VpStlInfo *info;
  VpError *err;
} Ascii;

static void skip_space(Ascii *a)
{
  for (; a->p < a->end && is_space((unsigned char)*a->p); a->p++)
    if (*a->p == '\n')
      a->line++;
}

/* The next whitespace-delimited word; n == 0 at the end of the input. */
static Token next_token(Ascii *a)
{
  skip_space(a);
  Token t = {a->p, 0};
  while (a->p < a->end && !is_space((unsigned char)*a->p))
    a->p++;
  t.n = (size_t)(a->p - t.s);
  return t;
}

static bool token_is(Token t, const char *word)
{
  return t.n == strlen(word) && prefix_is((const unsigned char *)t.s, t.n, word);
}

/* A token made safe to print: short, printable ASCII only. */
static const char *token_text(Token t, char buf[40])
{
  size_t n = t.n < 32 ? t.n : 32;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)t.s[i];
    buf[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
  }
  strcpy(buf + n, t.n > n ? "..." : "");
  return buf;
}

static bool unexpected(Ascii *a, Token t, const char *expected)
{
  char found[40];
  if (t.n == 0)
    return vp_error_set(a->err, VP_ERR_TRUNCATED, _("line %lu: file ends where %s was expected"),
                        a->line, expected);
  return vp_error_set(a->err, VP_ERR_FORMAT, _("line %lu: expected %s, found '%s'"), a->line,
                      expected, token_text(t, found));
}

static bool expect_word(Ascii *a, const char *word, const char *quoted)
{
  Token t = next_token(a);
  return token_is(t, word) || unexpected(a, t, quoted);
}

/* strtod in the C locale (the caller set it with uselocale), whole token only. */
static bool parse_number(Ascii *a, double *out)
{
  Token t = next_token(a);
  char buf[64], found[40];
  if (t.n == 0 || t.n >= sizeof buf)
    return unexpected(a, t, _("a number"));
  memcpy(buf, t.s, t.n);
  buf[t.n] = '\0';
  char *end;
  *out = strtod(buf, &end);
  if (end != buf + t.n)
    return vp_error_set(a->err, VP_ERR_FORMAT, _("line %lu: expected a number, found '%s'"),
                        a->line, token_text(t, found));
  return true;
}

static bool parse_vertex(Ascii *a, float v[3])
{
  for (int i = 0; i < 3; i++) {
    double d;
    if (!parse_number(a, &d))
      return false;
    v[i] = (float)d;
    if (!isfinite(v[i])) /* NaN, Inf, or beyond single precision */
      return vp_error_set(a->err, VP_ERR_FORMAT,
                          _("line %lu: vertex coordinate is not a finite number"), a->line);
  }
  return true;
}

static bool grow_soup(Ascii *a)
{
  size_t cap = a->capacity ? a->capacity * 2 : 4096;
  if (cap > VP_MESH_MAX_TRIANGLES)
    cap = VP_MESH_MAX_TRIANGLES;
  float *soup = realloc(a->soup, cap * 9 * sizeof *soup); /* cap <= limit: no overflow */
  if (!soup)
    return vp_error_set(a->err, VP_ERR_NOMEM, _("out of memory at line %lu"), a->line);
  a->soup = soup;
  a->capacity = cap;
  return true;
}

static bool push_triangle(Ascii *a, const float *v0, const float *v1, const float *v2)
{
  char limit[32];
  if (a->triangles >= VP_MESH_MAX_TRIANGLES)
    return vp_error_set(a->err, VP_ERR_LIMIT, _("line %lu: more triangles than the limit of %s"),
                        a->line, vp_format_count(VP_MESH_MAX_TRIANGLES, limit));
  if (a->triangles == a->capacity && !grow_soup(a))
    return false;
  float *dst = a->soup + 9 * a->triangles++;
  memcpy(dst, v0, 3 * sizeof *dst);
  memcpy(dst + 3, v1, 3 * sizeof *dst);
  memcpy(dst + 6, v2, 3 * sizeof *dst);
  return true;
}

/* "outer loop", then vertices until "endloop"; polygons with more than three
 * vertices are fanned around the first. */
static bool parse_loop(Ascii *a)
{
  float first[3] = {0}, prev[3] = {0}, v[3];
  unsigned count = 0;
  if (!expect_word(a, "outer", "'outer'") || !expect_word(a, "loop", "'loop'"))
    return false;
  for (;;) {
    Token t = next_token(a);
    if (count >= 3 && token_is(t, "endloop"))
      return true;
    if (!token_is(t, "vertex"))
      return unexpected(a, t, count >= 3 ? "'vertex' or 'endloop'" : "'vertex'");
    if (!parse_vertex(a, v))
      return false;
    if (count >= 2 && !push_triangle(a, first, prev, v))
      return false;
    if (count == 0)
      memcpy(first, v, sizeof v);
    memcpy(prev, v, sizeof v);
    count++;
  }
}

/* After "facet": an optional normal (ignored, any number), the loop, "endfacet". */
static bool parse_facet(Ascii *a)
{
  const char *mark = a->p;
  unsigned long mark_line = a->line;
  if (token_is(next_token(a), "normal")) {
    double ignored;
    for (int i = 0; i < 3; i++)
      if (!parse_number(a, &ignored))
        return false;
  } else {
    a->p = mark; /* no normal: give the word back to parse_loop */
    a->line = mark_line;
  }
  return parse_loop(a) && expect_word(a, "endfacet", "'endfacet'");
}

/* The rest of the current line, e.g. a solid's name. */
static Token rest_of_line(Ascii *a)
{
  while (a->p < a->end && *a->p != '\n' && is_space((unsigned char)*a->p))
    a->p++;
  Token t = {a->p, 0};
  while (a->p < a->end && *a->p != '\n')
    a->p++;
  t.n = (size_t)(a->p - t.s);
  return t;
}

static bool parse_solid(Ascii *a, bool first)
{
  Token name = rest_of_line(a);
  if (first)
    copy_name(a->info->name, (const unsigned char *)name.s, name.n);
  for (;;) {
    Token t = next_token(a);
    if (token_is(t, "endsolid")) {
      rest_of_line(a);
      return true;
    }
    if (!token_is(t, "facet"))
      return unexpected(a, t, "'facet' or 'endsolid'");
    if (!parse_facet(a))
      return false;
  }
}

/* One or more solids, one after another. */
static bool parse_ascii(Ascii *a)
{
  for (bool first = true;; first = false) {
    Token t = next_token(a);
    if (t.n == 0 && !first)
      return true;
    if (!token_is(t, "solid"))
      return unexpected(a, t, "'solid'");
    if (!parse_solid(a, first))
      return false;
  }
}

/* Parses with numbers read the C way ("1.5") whatever the process locale
 * is: the GUI runs under locales where strtod expects "1,5". */
static bool parse_ascii_c_locale(Ascii *a)
{
  locale_t c_numeric = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
  if (c_numeric == (locale_t)0)
    return vp_error_set(a->err, VP_ERR_NOMEM, _("cannot create the C locale to read numbers"));
  locale_t previous = uselocale(c_numeric);
  bool ok = parse_ascii(a);
  uselocale(previous);
  freelocale(c_numeric);
  return ok;
}

static VpMesh *read_ascii(const unsigned char *d, size_t size, VpStlInfo *info, VpError *err)
{
  size_t bom = bom_length(d, size);
  Ascii a = {(const char *)d + bom, (const char *)d + size, 1, NULL, 0, 0, info, err};
  VpMesh *mesh = NULL;
  info->binary = false;
  if (parse_ascii_c_locale(&a)) {
    info->file_triangles = (uint32_t)a.triangles;
    if (a.triangles == 0)
      vp_error_set(err, VP_ERR_FORMAT, _("contains no triangles"));
    else
      mesh = weld_stl(a.soup, 9 * sizeof *a.soup, (uint32_t)a.triangles, info, err);
  }
  free(a.soup);
  return mesh;
}

/* ---- entry points ---- */

VpMesh *vp_mesh_read_stl(const void *data, size_t size, VpStlInfo *info, VpError *err)
{
  VpStlInfo local;
  if (!info)
    info = &local;
  memset(info, 0, sizeof *info);
  vp_error_clear(err);
  if (size == 0) {
    vp_error_set(err, VP_ERR_FORMAT, _("empty file"));
    return NULL;
  }
  if (stl_is_ascii(data, size, info))
    return read_ascii(data, size, info, err);
  return read_binary(data, size, info, err);
}

VpMesh *vp_mesh_load_stl(const char *path, VpStlInfo *info, VpError *err)
{
  size_t size = 0;
  char *data = vp_file_read_all(path, VP_MESH_MAX_FILE_BYTES, &size, err);
  VpMesh *mesh = data ? vp_mesh_read_stl(data, size, info, err) : NULL;
  free(data);
  return mesh;
}

/* ---- writing ---- */

/* Never starts with "solid", so no reader mistakes the file for ASCII. */
static const char stl_writer_header[] = "Binary STL written by Vertebra Planner (mm, RAS+)";

static void put_u32le(unsigned char *p, uint32_t v)
{
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v >> 8);
  p[2] = (unsigned char)(v >> 16);
  p[3] = (unsigned char)(v >> 24);
}

static void put_f32le(unsigned char *p, float f)
{
  uint32_t bits;
  memcpy(&bits, &f, sizeof bits);
  put_u32le(p, bits);
}

static bool mesh_indices_valid(const VpMesh *mesh)
{
  for (size_t i = 0; i < (size_t)mesh->triangle_count * 3; i++)
    if (mesh->indices[i] >= mesh->vertex_count)
      return false;
  return true;
}

static void encode_triangle(const VpMesh *mesh, uint32_t t, unsigned char *p)
{
  const uint32_t *idx = mesh->indices + 3 * (size_t)t;
  const float *c[3];
  for (int k = 0; k < 3; k++)
    c[k] = mesh->positions + 3 * (size_t)idx[k];
  VpVec3 e1 = vp_vec3(c[1][0] - c[0][0], c[1][1] - c[0][1], c[1][2] - c[0][2]);
  VpVec3 e2 = vp_vec3(c[2][0] - c[0][0], c[2][1] - c[0][1], c[2][2] - c[0][2]);
  VpVec3 n = vp_vec3_normalize(vp_vec3_cross(e1, e2));
  put_f32le(p, (float)n.x);
  put_f32le(p + 4, (float)n.y);
  put_f32le(p + 8, (float)n.z);
  for (int i = 0; i < 9; i++)
    put_f32le(p + 12 + 4 * i, c[i / 3][i % 3]);
  p[48] = p[49] = 0;
}

/* The whole file in memory, so it can be written atomically in one go. */
static unsigned char *encode_stl(const VpMesh *mesh, size_t *size, VpError *err)
{
  *size = STL_PREFIX_BYTES + (size_t)mesh->triangle_count * STL_TRIANGLE_BYTES;
  unsigned char *buf = calloc(*size, 1);
  if (!buf) {
    vp_error_set(err, VP_ERR_NOMEM, _("out of memory"));
    return NULL;
  }
  memcpy(buf, stl_writer_header, sizeof stl_writer_header - 1);
  put_u32le(buf + STL_HEADER_BYTES, mesh->triangle_count);
  for (uint32_t t = 0; t < mesh->triangle_count; t++)
    encode_triangle(mesh, t, buf + STL_PREFIX_BYTES + (size_t)t * STL_TRIANGLE_BYTES);
  return buf;
}

bool vp_mesh_save_stl(const VpMesh *mesh, const char *path, VpError *err)
{
  if (!mesh_indices_valid(mesh))
    return vp_error_set(err, VP_ERR_INVALID, _("mesh refers to vertices it does not have"));
  size_t size = 0;
  unsigned char *buf = encode_stl(mesh, &size, err);
  bool ok = buf && vp_file_write_atomic(path, buf, size, err);
  free(buf);
  return ok;
}
