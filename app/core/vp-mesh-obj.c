/* Wavefront OBJ reader (v and f lines), plus the locale-independent number
 * parsing the text mesh readers share. */
#include "vp-mesh.h"
#include "vp-fileutil.h"
#include "vp-text-private.h"

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vp-intl-private.h"

/* Every vertex of a loadable mesh is the corner of some triangle. */
#define OBJ_MAX_VERTICES (3ull * VP_MESH_MAX_TRIANGLES)

/* ---- numbers ---- */

static bool is_digit(char c)
{
  return c >= '0' && c <= '9';
}

/* Accumulates decimal digits into *m; false when there are more significant
 * digits than the exact fast path can hold. Each digit after the point
 * lowers *scale. */
static bool scan_digits(const char **s, const char *end, uint64_t *m, int *digits, int *scale,
                        int fraction)
{
  for (; *s < end && is_digit(**s); (*s)++) {
    int d = **s - '0';
    *scale -= fraction;
    if (*scale < -400)
      return false; /* absurdly many decimals: strtod judges (and *scale stays small) */
    if (*m == 0 && d == 0)
      continue; /* leading zeros are not significant */
    if (++*digits > 19)
      return false;
    *m = *m * 10 + (uint64_t)d;
  }
  return true;
}

/* "e-12" and the like; false when no digit follows. */
static bool scan_exponent(const char **s, const char *end, int *exp10)
{
  bool neg = false;
  if (*s < end && (**s == '+' || **s == '-'))
    neg = *(*s)++ == '-';
  if (*s >= end || !is_digit(**s))
    return false;
  int e = 0;
  for (; *s < end && is_digit(**s); (*s)++)
    if (e < 100000) /* far beyond any double, and e cannot overflow */
      e = e * 10 + (**s - '0');
  *exp10 = neg ? -e : e;
  return true;
}

/* Clinger's fast path: a mantissa of at most 2^53 and a power of ten up to
 * 10^22 are both exact, so one multiplication or division rounds correctly.
 * Longer mantissas (exporters often write 17 digits) are rounded once more on
 * conversion, within one unit in the last place of a double: far below the
 * float precision meshes are stored in, and twice as fast as strtod. False
 * hands the text to strtod (over 19 digits, big exponents, nan, inf). */
static bool parse_fast(const char *s, const char *end, double *out)
{
  static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  bool neg = s < end && *s == '-';
  s += s < end && (*s == '+' || *s == '-');
  const char *int_start = s;
  uint64_t m = 0;
  int digits = 0, scale = 0, exp10 = 0;
  if (!scan_digits(&s, end, &m, &digits, &scale, 0))
    return false;
  size_t digit_chars = (size_t)(s - int_start);
  if (s < end && *s == '.') {
    const char *frac_start = ++s;
    if (!scan_digits(&s, end, &m, &digits, &scale, 1))
      return false;
    digit_chars += (size_t)(s - frac_start);
  }
  if (digit_chars == 0)
    return false; /* "", "." or "-" */
  if (s < end && (*s == 'e' || *s == 'E') && (s++, !scan_exponent(&s, end, &exp10)))
    return false;
  exp10 += scale;
  if (s != end || exp10 < -22 || exp10 > 22)
    return false;
  double v = exp10 >= 0 ? (double)m * pow10[exp10] : (double)m / pow10[-exp10];
  *out = neg ? -v : v;
  return true;
}

/* strtod in the C locale on a NUL-terminated copy, so that neither the
 * user's decimal comma nor a missing terminator can mislead it. */
static bool parse_slow(const char *s, const char *end, double *out)
{
  char buf[128];
  size_t n = (size_t)(end - s);
  if (n == 0 || n >= sizeof buf)
    return false;
  memcpy(buf, s, n);
  buf[n] = '\0';
  locale_t c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
  if (c_locale == (locale_t)0)
    return false;
  locale_t previous = uselocale(c_locale);
  char *stop = NULL;
  *out = strtod(buf, &stop);
  uselocale(previous);
  freelocale(c_locale);
  return stop == buf + n;
}

bool vp_text_parse_double(const char *s, const char *end, double *out)
{
  return parse_fast(s, end, out) || parse_slow(s, end, out);
}

/* ---- OBJ ---- */

typedef struct ObjReader {
  const char *p, *end;
  unsigned long long line; /* 1-based, for messages */
  float *positions;
  size_t vertex_count, vertex_cap;
  uint32_t *indices;
  size_t triangle_count, triangle_cap;
  /* The largest forward reference (to a vertex defined later in the file),
   * checked once all vertices are known. */
  unsigned long long max_forward, max_forward_line;
  VpError *err;
} ObjReader;

/* Doubles *cap until it holds need items of each bytes; false on overflow or
 * out of memory. */
static bool grow(void **buf, size_t *cap, size_t need, size_t each)
{
  if (need <= *cap)
    return true;
  size_t n = *cap ? *cap : 1024;
  while (n < need)
    n *= 2;
  if (n > SIZE_MAX / each)
    return false;
  void *bigger = realloc(*buf, n * each);
  if (!bigger)
    return false;
  *buf = bigger;
  *cap = n;
  return true;
}

static bool obj_fail(ObjReader *r, VpErrorCode code, const char *what)
{
  char line[32];
  return vp_error_set(r->err, code, _("line %s: %s"), vp_format_count(r->line, line), what);
}

static bool obj_is_blank(char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Skips blanks and backslash line continuations. */
static void obj_skip_blanks(ObjReader *r)
{
  for (;;) {
    while (r->p < r->end && obj_is_blank(*r->p))
      r->p++;
    const char *q = r->p;
    if (q < r->end && *q == '\\') {
      q++;
      while (q < r->end && *q == '\r')
        q++;
      if (q < r->end && *q == '\n') {
        r->p = q + 1;
        r->line++;
        continue;
      }
    }
    return;
  }
}

/* The next blank-separated word of this line; empty at the end of the line
 * or at a comment. */
static size_t obj_word(ObjReader *r, const char **word)
{
  obj_skip_blanks(r);
  *word = r->p;
  if (r->p < r->end && *r->p == '#')
    return 0;
  while (r->p < r->end && *r->p != '\n' && !obj_is_blank(*r->p))
    r->p++;
  return (size_t)(r->p - *word);
}

static void obj_next_line(ObjReader *r)
{
  const char *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
  r->p = nl ? nl + 1 : r->end;
  r->line++;
}

/* A double that fits a float and is finite. */
static bool to_float(double d, float *out)
{
  if (!(fabs(d) <= FLT_MAX))
    return false;
  *out = (float)d;
  return true;
}

static bool obj_vertex(ObjReader *r)
{
  if (r->vertex_count >= OBJ_MAX_VERTICES)
    return obj_fail(r, VP_ERR_LIMIT, _("too many vertices for one mesh"));
  if (!grow((void **)&r->positions, &r->vertex_cap, r->vertex_count + 1, 3 * sizeof(float)))
    return obj_fail(r, VP_ERR_NOMEM, _("out of memory for the vertices"));
  float *xyz = r->positions + 3 * r->vertex_count;
  for (int k = 0; k < 3; k++) { /* w or colour values may follow: ignored */
    const char *word;
    size_t n = obj_word(r, &word);
    double d;
    if (n == 0)
      return obj_fail(r, VP_ERR_FORMAT, _("a vertex needs three coordinates x y z"));
    if (!vp_text_parse_double(word, word + n, &d))
      return obj_fail(r, VP_ERR_FORMAT, _("a vertex coordinate is not a number"));
    if (!to_float(d, &xyz[k]))
      return obj_fail(r, VP_ERR_FORMAT, _("a vertex coordinate is not a finite number"));
  }
  r->vertex_count++;
  return true;
}

/* The leading integer of a corner such as "-3/7/2"; what follows the first
 * slash (texture and normal numbers) is ignored. Saturates far above any
 * valid index so that it cannot overflow. */
static bool obj_corner_number(const char *s, const char *end, long long *out)
{
  bool neg = s < end && *s == '-';
  s += s < end && (*s == '+' || *s == '-');
  if (s >= end || !is_digit(*s))
    return false;
  long long v = 0;
  for (; s < end && is_digit(*s); s++)
    v = v < (1ll << 40) ? v * 10 + (*s - '0') : v;
  if (s < end && *s != '/')
    return false;
  *out = neg ? -v : v;
  return true;
}

static bool obj_bad_reference(ObjReader *r, long long number, unsigned long long line)
{
  char l[32], n[32];
  if (number == 0)
    return vp_error_set(r->err, VP_ERR_FORMAT,
                        _("line %s: face refers to vertex 0, but OBJ vertex numbers start at 1"),
                        vp_format_count(line, l));
  return vp_error_set(r->err, VP_ERR_FORMAT,
                      _("line %s: face refers to vertex %lld but only %s are defined"),
                      vp_format_count(line, l), number, vp_format_count(r->vertex_count, n));
}

/* Turns a 1-based or negative (counted back from the last vertex so far)
 * OBJ number into a 0-based index. */
static bool obj_resolve(ObjReader *r, long long number, uint32_t *index)
{
  long long count = (long long)r->vertex_count;
  if (number == 0 || number < -count || number > (long long)OBJ_MAX_VERTICES)
    return obj_bad_reference(r, number, r->line);
  if (number < 0) {
    *index = (uint32_t)(count + number);
    return true;
  }
  if ((unsigned long long)number > r->max_forward && number > count) {
    r->max_forward = (unsigned long long)number;
    r->max_forward_line = r->line;
  }
  *index = (uint32_t)(number - 1);
  return true;
}

static bool obj_add_triangle(ObjReader *r, uint32_t a, uint32_t b, uint32_t c)
{
  if (r->triangle_count >= VP_MESH_MAX_TRIANGLES)
    return obj_fail(r, VP_ERR_LIMIT, _("too many triangles for one mesh"));
  if (!grow((void **)&r->indices, &r->triangle_cap, r->triangle_count + 1, 3 * sizeof(uint32_t)))
    return obj_fail(r, VP_ERR_NOMEM, _("out of memory for the triangles"));
  uint32_t *t = r->indices + 3 * r->triangle_count++;
  t[0] = a;
  t[1] = b;
  t[2] = c;
  return true;
}

/* Fans the polygon from its first corner as the corners arrive, so that
 * polygons of any size need no buffer. */
static bool obj_face(ObjReader *r)
{
  uint32_t first = 0, previous = 0;
  size_t corners = 0;
  const char *word;
  for (size_t n; (n = obj_word(r, &word)) > 0; corners++) {
    long long number;
    uint32_t index = 0;
    if (!obj_corner_number(word, word + n, &number))
      return obj_fail(r, VP_ERR_FORMAT, _("a face corner is not a vertex number"));
    if (!obj_resolve(r, number, &index))
      return false;
    if (corners >= 2 && !obj_add_triangle(r, first, previous, index))
      return false;
    if (corners == 0)
      first = index;
    previous = index;
  }
  if (corners < 3) {
    char line[32];
    return vp_error_set(r->err, VP_ERR_FORMAT,
                        _("line %s: a face needs at least 3 vertices, this one has %zu"),
                        vp_format_count(r->line, line), corners);
  }
  return true;
}

static bool obj_statement(ObjReader *r)
{
  const char *word;
  size_t n = obj_word(r, &word);
  if (n == 1 && word[0] == 'v')
    return obj_vertex(r);
  if ((n == 1 && word[0] == 'f') || (n == 2 && memcmp(word, "fo", 2) == 0))
    return obj_face(r);
  return true; /* vt, vn, g, o, s, l, mtllib, usemtl, comments: not needed for a surface */
}

static bool obj_finish(ObjReader *r)
{
  if (r->vertex_count == 0 && r->triangle_count == 0)
    return vp_error_set(r->err, VP_ERR_FORMAT,
                        _("no vertices and no faces found: this is not an OBJ mesh"));
  if (r->triangle_count == 0)
    return vp_error_set(r->err, VP_ERR_FORMAT,
                        _("the file has vertices but no faces (a point cloud?)"));
  if (r->max_forward > r->vertex_count)
    return obj_bad_reference(r, (long long)r->max_forward, r->max_forward_line);
  return true;
}

static VpMesh *obj_mesh(const ObjReader *r, VpError *err)
{
  VpMesh *mesh = vp_mesh_new((uint32_t)r->vertex_count, (uint32_t)r->triangle_count, err);
  if (!mesh)
    return NULL;
  memcpy(mesh->positions, r->positions, r->vertex_count * 3 * sizeof(float));
  memcpy(mesh->indices, r->indices, r->triangle_count * 3 * sizeof(uint32_t));
  vp_mesh_compute_normals(mesh);
  return mesh;
}

VpMesh *vp_mesh_read_obj(const void *data, size_t size, VpError *err)
{
  ObjReader r = {.p = data, .end = (const char *)data + size, .line = 1, .err = err};
  if (size >= 3 && memcmp(r.p, "\xEF\xBB\xBF", 3) == 0)
    r.p += 3; /* UTF-8 byte order mark */
  bool ok = true;
  while (ok && r.p < r.end) {
    ok = obj_statement(&r);
    if (ok)
      obj_next_line(&r);
  }
  VpMesh *mesh = ok && obj_finish(&r) ? obj_mesh(&r, err) : NULL;
  free(r.positions);
  free(r.indices);
  return mesh;
}

VpMesh *vp_mesh_load_obj(const char *path, VpError *err)
{
  size_t size;
  void *data = vp_file_read_all(path, VP_MESH_MAX_FILE_BYTES, &size, err);
  if (!data)
    return NULL;
  VpMesh *mesh = vp_mesh_read_obj(data, size, err);
  free(data);
  return mesh;
}
