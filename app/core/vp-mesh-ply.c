/* Stanford PLY reader: format 1.0 in ascii, binary_little_endian and
 * binary_big_endian; vertices and faces are taken, every other element and
 * property is skipped by its declared types. */
#include "vp-mesh.h"
#include "vp-fileutil.h"
#include "vp-text-private.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vp-intl-private.h"

#define PLY_MAX_ELEMENTS 32
#define PLY_MAX_PROPERTIES 64
#define PLY_NAME_MAX 32
#define PLY_MAX_VERTICES (3ull * VP_MESH_MAX_TRIANGLES)

typedef enum PlyType {
  PLY_NOTYPE,
  PLY_I8,
  PLY_U8,
  PLY_I16,
  PLY_U16,
  PLY_I32,
  PLY_U32,
  PLY_F32,
  PLY_F64,
} PlyType;

static const size_t type_size[] = {0, 1, 1, 2, 2, 4, 4, 4, 8};

typedef enum PlyFormat { PLY_NOFORMAT, PLY_ASCII, PLY_LITTLE, PLY_BIG } PlyFormat;

typedef struct PlyProperty {
  char name[PLY_NAME_MAX];
  PlyType type;       /* of the value, or of each list item */
  PlyType count_type; /* PLY_NOTYPE unless this is a list */
} PlyProperty;

typedef struct PlyElement {
  char name[PLY_NAME_MAX];
  uint64_t count;
  PlyProperty props[PLY_MAX_PROPERTIES];
  uint32_t prop_count;
} PlyElement;

typedef struct Ply {
  PlyFormat format;
  PlyElement elements[PLY_MAX_ELEMENTS];
  uint32_t element_count;
  const PlyElement *vertex, *face;
  int axis_of[PLY_MAX_PROPERTIES]; /* vertex property -> 0, 1, 2 for x, y, z, else -1 */
  int indices_prop;                /* face property holding the corners */
  const char *p, *end;             /* body cursor */
  size_t body_size;
  /* The body is too short for the declared counts: read without storing,
   * only to say exactly where it ends or what is wrong first. */
  bool dry;
  float *positions;
  uint32_t vertex_count;
  uint32_t *indices;
  size_t triangle_count, triangle_cap;
  VpError *err;
} Ply;

/* Why one item of an element could not be read; READ_BAD means err is set. */
typedef enum ReadStatus {
  READ_OK,
  READ_SHORT,
  READ_NOT_NUMBER,
  READ_BAD_COUNT,
  READ_BAD
} ReadStatus;

/* ---- header ---- */

typedef struct Word {
  const char *s;
  size_t n;
} Word;

static bool word_is(Word w, const char *literal)
{
  return w.n == strlen(literal) && memcmp(w.s, literal, w.n) == 0;
}

/* Copies a word for a message, printable ASCII only, cut at 24 bytes. */
static const char *word_quote(Word w, char buf[32])
{
  size_t n = w.n < 24 ? w.n : 24;
  for (size_t i = 0; i < n; i++)
    buf[i] = w.s[i] >= 0x20 && w.s[i] < 0x7f ? w.s[i] : '?';
  buf[n] = '\0';
  return buf;
}

static bool is_blank(char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Splits [s, end) at blanks into at most max words (the rest is ignored). */
static size_t split_words(const char *s, const char *end, Word *w, size_t max)
{
  size_t n = 0;
  while (n < max) {
    while (s < end && is_blank(*s))
      s++;
    if (s == end)
      break;
    const char *start = s;
    while (s < end && !is_blank(*s))
      s++;
    w[n++] = (Word){start, (size_t)(s - start)};
  }
  return n;
}

static PlyType parse_type(Word w)
{
  static const char *const names[][2] = {
      {"", ""},           {"char", "int8"},     {"uchar", "uint8"},
      {"short", "int16"}, {"ushort", "uint16"}, {"int", "int32"},
      {"uint", "uint32"}, {"float", "float32"}, {"double", "float64"},
  };
  for (int t = PLY_I8; t <= PLY_F64; t++)
    if (word_is(w, names[t][0]) || word_is(w, names[t][1]))
      return (PlyType)t;
  return PLY_NOTYPE;
}

static bool is_integer_type(PlyType t)
{
  return t >= PLY_I8 && t <= PLY_U32;
}

static void copy_name(char dst[PLY_NAME_MAX], Word w)
{
  size_t n =
      w.n < PLY_NAME_MAX - 1 ? w.n : PLY_NAME_MAX - 1; /* longer names match nothing we need */
  memcpy(dst, w.s, n);
  dst[n] = '\0';
}

static bool header_fail(Ply *ply, unsigned line, const char *what)
{
  char l[32];
  return vp_error_set(ply->err, VP_ERR_FORMAT, _("PLY header line %s: %s"),
                      vp_format_count(line, l), what);
}

static bool header_format(Ply *ply, const Word *w, size_t n, unsigned line)
{
  char q[32], msg[128];
  if (n < 3)
    return header_fail(ply, line, _("the format line needs a format and a version"));
  if (word_is(w[1], "ascii"))
    ply->format = PLY_ASCII;
  else if (word_is(w[1], "binary_little_endian"))
    ply->format = PLY_LITTLE;
  else if (word_is(w[1], "binary_big_endian"))
    ply->format = PLY_BIG;
  else {
    snprintf(msg, sizeof msg, _("unsupported format “%s”"), word_quote(w[1], q));
    return header_fail(ply, line, msg);
  }
  if (!word_is(w[2], "1.0") && !word_is(w[2], "1")) {
    snprintf(msg, sizeof msg, _("unsupported version “%s”; only 1.0 is supported"),
             word_quote(w[2], q));
    return header_fail(ply, line, msg);
  }
  return true;
}

/* Digits only, saturating far above any accepted count. */
static bool parse_count(Word w, uint64_t *out)
{
  uint64_t v = 0;
  if (w.n == 0)
    return false;
  for (size_t i = 0; i < w.n; i++) {
    if (w.s[i] < '0' || w.s[i] > '9')
      return false;
    v = v < (1ull << 40) ? v * 10 + (uint64_t)(w.s[i] - '0') : v;
  }
  *out = v;
  return true;
}

static bool header_element(Ply *ply, const Word *w, size_t n, unsigned line)
{
  if (ply->element_count == PLY_MAX_ELEMENTS)
    return header_fail(ply, line, _("too many elements"));
  PlyElement *e = &ply->elements[ply->element_count];
  if (n < 3 || !parse_count(w[2], &e->count))
    return header_fail(ply, line, _("an element needs a name and a count"));
  copy_name(e->name, w[1]);
  ply->element_count++;
  return true;
}

static bool header_property(Ply *ply, const Word *w, size_t n, unsigned line)
{
  if (ply->element_count == 0)
    return header_fail(ply, line, _("a property comes before any element"));
  PlyElement *e = &ply->elements[ply->element_count - 1];
  if (e->prop_count == PLY_MAX_PROPERTIES)
    return header_fail(ply, line, _("too many properties in one element"));
  PlyProperty *pr = &e->props[e->prop_count];
  bool list = n >= 2 && word_is(w[1], "list");
  if (n < (list ? 5u : 3u))
    return header_fail(ply, line, _("a property needs a type and a name"));
  pr->count_type = list ? parse_type(w[2]) : PLY_NOTYPE;
  pr->type = parse_type(w[list ? 3 : 1]);
  copy_name(pr->name, w[list ? 4 : 2]);
  if (pr->type == PLY_NOTYPE || (list && pr->count_type == PLY_NOTYPE))
    return header_fail(ply, line, _("unknown property type"));
  if (list && !is_integer_type(pr->count_type))
    return header_fail(ply, line, _("a list length must have an integer type"));
  e->prop_count++;
  return true;
}

static bool header_line(Ply *ply, const Word *w, size_t n, unsigned line)
{
  char q[32], msg[128];
  if (word_is(w[0], "comment") || word_is(w[0], "obj_info"))
    return true;
  if (word_is(w[0], "format"))
    return header_format(ply, w, n, line);
  if (word_is(w[0], "element"))
    return header_element(ply, w, n, line);
  if (word_is(w[0], "property"))
    return header_property(ply, w, n, line);
  snprintf(msg, sizeof msg, _("unknown keyword “%s”"), word_quote(w[0], q));
  return header_fail(ply, line, msg);
}

/* Length of the "ply" line including its end, or 0 when the magic is wrong. */
static size_t magic_length(const char *data, size_t size)
{
  if (size >= 4 && memcmp(data, "ply\n", 4) == 0)
    return 4;
  if (size >= 5 && memcmp(data, "ply\r\n", 5) == 0)
    return 5;
  return 0;
}

static bool read_header(Ply *ply, const char *data, size_t size)
{
  const char *p = data, *end = data + size;
  size_t magic = magic_length(data, size);
  if (magic == 0)
    return vp_error_set(ply->err, VP_ERR_FORMAT, _("not a PLY file: it does not start with “ply”"));
  p += magic;
  for (unsigned line = 2;; line++) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl)
      return vp_error_set(ply->err, VP_ERR_TRUNCATED, _("the PLY header has no end_header line"));
    Word w[5];
    size_t n = split_words(p, nl, w, 5);
    p = nl + 1;
    if (n > 0 && word_is(w[0], "end_header"))
      break;
    if (n > 0 && !header_line(ply, w, n, line))
      return false;
  }
  ply->p = p;
  ply->end = end;
  ply->body_size = (size_t)(end - p);
  return true;
}

/* ---- what the header must declare ---- */

static const PlyElement *find_element(const Ply *ply, const char *name, VpError *err)
{
  const PlyElement *found = NULL;
  for (uint32_t i = 0; i < ply->element_count; i++) {
    if (strcmp(ply->elements[i].name, name) != 0)
      continue;
    if (found) {
      vp_error_set(err, VP_ERR_FORMAT, _("the PLY header declares more than one “%s” element"),
                   name);
      return NULL;
    }
    found = &ply->elements[i];
  }
  if (!found && err->code == VP_OK)
    vp_error_set(err, VP_ERR_FORMAT, _("the PLY file has no “%s” element"), name);
  return found;
}

static bool find_axes(Ply *ply)
{
  static const char *const axes[3] = {"x", "y", "z"};
  bool seen[3] = {false, false, false};
  for (uint32_t i = 0; i < ply->vertex->prop_count; i++) {
    const PlyProperty *pr = &ply->vertex->props[i];
    ply->axis_of[i] = -1;
    for (int a = 0; a < 3; a++)
      if (pr->count_type == PLY_NOTYPE && strcmp(pr->name, axes[a]) == 0 && !seen[a]) {
        ply->axis_of[i] = a;
        seen[a] = true;
      }
  }
  if (!seen[0] || !seen[1] || !seen[2])
    return vp_error_set(ply->err, VP_ERR_FORMAT,
                        _("the PLY vertices have no x, y and z properties"));
  return true;
}

static bool find_corner_list(Ply *ply)
{
  ply->indices_prop = -1;
  for (uint32_t i = 0; i < ply->face->prop_count && ply->indices_prop < 0; i++) {
    const PlyProperty *pr = &ply->face->props[i];
    if (strcmp(pr->name, "vertex_indices") == 0 || strcmp(pr->name, "vertex_index") == 0)
      ply->indices_prop = (int)i;
  }
  if (ply->indices_prop < 0)
    return vp_error_set(ply->err, VP_ERR_FORMAT, _("the PLY faces have no vertex_indices list"));
  const PlyProperty *pr = &ply->face->props[ply->indices_prop];
  if (pr->count_type == PLY_NOTYPE || !is_integer_type(pr->type))
    return vp_error_set(ply->err, VP_ERR_FORMAT,
                        _("the PLY vertex_indices must be a list of integers"));
  return true;
}

static bool check_limits(Ply *ply)
{
  char n[32], limit[32];
  if (ply->vertex->count > PLY_MAX_VERTICES)
    return vp_error_set(
        ply->err, VP_ERR_LIMIT, _("the file declares %s vertices, more than the limit of %s"),
        vp_format_count(ply->vertex->count, n), vp_format_count(PLY_MAX_VERTICES, limit));
  if (ply->face->count > VP_MESH_MAX_TRIANGLES)
    return vp_error_set(
        ply->err, VP_ERR_LIMIT, _("the file declares %s faces, more than the limit of %s"),
        vp_format_count(ply->face->count, n), vp_format_count(VP_MESH_MAX_TRIANGLES, limit));
  if (ply->face->count == 0)
    return vp_error_set(ply->err, VP_ERR_FORMAT, _("the file has no faces (a point cloud?)"));
  return true;
}

/* The fewest bytes one item can take: binary sizes, or for ASCII one digit and
 * one separator per value; a face list has at least 3 corners. */
static uint64_t item_min_bytes(const Ply *ply, const PlyElement *e)
{
  uint64_t bytes = 0;
  for (uint32_t i = 0; i < e->prop_count; i++) {
    const PlyProperty *pr = &e->props[i];
    bool corners = e == ply->face && (int)i == ply->indices_prop;
    uint64_t items = corners ? 3 : 0;
    if (ply->format == PLY_ASCII)
      bytes += 2 * (1 + (pr->count_type != PLY_NOTYPE ? items : 0));
    else
      bytes += pr->count_type != PLY_NOTYPE
                   ? type_size[pr->count_type] + items * type_size[pr->type]
                   : type_size[pr->type];
  }
  return bytes;
}

/* Whether the body can hold the declared counts, decided before anything is
 * allocated for them (each count is below 2^32 and each item below 2^12
 * bytes: no overflow). */
static bool body_fits(const Ply *ply)
{
  uint64_t need = 0;
  for (uint32_t i = 0; i < ply->element_count; i++)
    need += ply->elements[i].count * item_min_bytes(ply, &ply->elements[i]);
  uint64_t have = (uint64_t)ply->body_size + (ply->format == PLY_ASCII); /* last separator */
  return need <= have;
}

/* Said when even the dry reading found nothing more precise. */
static bool body_too_short(Ply *ply)
{
  char v[32], f[32], b[32];
  return vp_error_set(ply->err, VP_ERR_TRUNCATED,
                      _("the header declares %s vertices and %s faces, more than the %s bytes "
                        "after it can hold"),
                      vp_format_count(ply->vertex->count, v), vp_format_count(ply->face->count, f),
                      vp_format_count(ply->body_size, b));
}

static bool check_header(Ply *ply)
{
  for (uint32_t i = 0; i < ply->element_count; i++)
    if (ply->elements[i].count > UINT32_MAX)
      return vp_error_set(ply->err, VP_ERR_LIMIT, _("the PLY header declares too many items"));
  if (ply->format == PLY_NOFORMAT)
    return vp_error_set(ply->err, VP_ERR_FORMAT, _("the PLY header has no format line"));
  ply->vertex = find_element(ply, "vertex", ply->err);
  ply->face = ply->vertex ? find_element(ply, "face", ply->err) : NULL;
  if (!ply->face || !find_axes(ply) || !find_corner_list(ply) || !check_limits(ply))
    return false;
  ply->vertex_count = (uint32_t)ply->vertex->count;
  return true;
}

/* ---- values ---- */

static uint64_t load_bits(const unsigned char *p, size_t size, bool big)
{
  uint64_t v = 0;
  for (size_t i = 0; i < size; i++)
    v = v << 8 | p[big ? i : size - 1 - i];
  return v;
}

static double bits_value(PlyType t, uint64_t bits)
{
  uint64_t sign = 1ull << (8 * type_size[t] - 1);
  switch (t) {
  case PLY_I8:
  case PLY_I16:
  case PLY_I32:
    return (double)((int64_t)(bits ^ sign) - (int64_t)sign); /* sign extension */
  case PLY_F32: {
    uint32_t u = (uint32_t)bits;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
  }
  case PLY_F64: {
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
  }
  default:
    return (double)bits;
  }
}

/* The next blank-separated ASCII token, across line ends. */
static bool next_token(Ply *ply, const char **s, const char **e)
{
  while (ply->p < ply->end && (is_blank(*ply->p) || *ply->p == '\n'))
    ply->p++;
  *s = ply->p;
  while (ply->p < ply->end && !is_blank(*ply->p) && *ply->p != '\n')
    ply->p++;
  *e = ply->p;
  return *s < *e;
}

/* Reads one value of type t. */
static ReadStatus read_value(Ply *ply, PlyType t, double *out)
{
  if (ply->format == PLY_ASCII) {
    const char *s, *e;
    if (!next_token(ply, &s, &e))
      return READ_SHORT;
    return vp_text_parse_double(s, e, out) ? READ_OK : READ_NOT_NUMBER;
  }
  size_t size = type_size[t];
  if ((size_t)(ply->end - ply->p) < size)
    return READ_SHORT;
  *out = bits_value(t, load_bits((const unsigned char *)ply->p, size, ply->format == PLY_BIG));
  ply->p += size;
  return READ_OK;
}

/* A list length or a corner index: a whole number in [0, 2^32). */
static ReadStatus read_whole(Ply *ply, PlyType t, uint32_t *out)
{
  double d = 0.0;
  ReadStatus s = read_value(ply, t, &d);
  if (s == READ_OK && !(d >= 0.0 && d <= (double)UINT32_MAX && d == floor(d)))
    return READ_BAD_COUNT;
  *out = s == READ_OK ? (uint32_t)d : 0;
  return s;
}

static ReadStatus skip_values(Ply *ply, PlyType t, uint64_t count)
{
  if (ply->format != PLY_ASCII) {
    if ((uint64_t)(ply->end - ply->p) / type_size[t] < count)
      return READ_SHORT;
    ply->p += count * type_size[t];
    return READ_OK;
  }
  const char *s, *e;
  for (uint64_t i = 0; i < count; i++)
    if (!next_token(ply, &s, &e))
      return READ_SHORT;
  return READ_OK;
}

static ReadStatus skip_property(Ply *ply, const PlyProperty *pr)
{
  if (pr->count_type == PLY_NOTYPE)
    return skip_values(ply, pr->type, 1);
  uint32_t n = 0;
  ReadStatus s = read_whole(ply, pr->count_type, &n);
  return s == READ_OK ? skip_values(ply, pr->type, n) : s;
}

/* ---- items ---- */

static bool to_float(double d, float *out)
{
  if (!(fabs(d) <= FLT_MAX))
    return false;
  *out = (float)d;
  return true;
}

static ReadStatus read_vertex(Ply *ply, uint64_t item)
{
  double xyz[3] = {0.0, 0.0, 0.0};
  const PlyElement *e = ply->vertex;
  for (uint32_t i = 0; i < e->prop_count; i++) {
    int axis = ply->axis_of[i];
    ReadStatus s = axis >= 0 ? read_value(ply, e->props[i].type, &xyz[axis])
                             : skip_property(ply, &e->props[i]);
    if (s != READ_OK)
      return s;
  }
  float dry_xyz[3];
  float *dst = ply->dry ? dry_xyz : ply->positions + 3 * item;
  char n[32];
  for (int a = 0; a < 3; a++) {
    if (!to_float(xyz[a], &dst[a])) {
      vp_error_set(ply->err, VP_ERR_FORMAT,
                   _("vertex %s has a coordinate that is not a finite number"),
                   vp_format_count(item + 1, n));
      return READ_BAD;
    }
  }
  return READ_OK;
}

static ReadStatus add_triangle(Ply *ply, uint32_t a, uint32_t b, uint32_t c)
{
  char limit[32];
  if (ply->triangle_count >= VP_MESH_MAX_TRIANGLES) {
    vp_error_set(ply->err, VP_ERR_LIMIT, _("the faces make more than %s triangles"),
                 vp_format_count(VP_MESH_MAX_TRIANGLES, limit));
    return READ_BAD;
  }
  if (ply->triangle_count == ply->triangle_cap) {
    size_t cap = ply->triangle_cap * 2;
    uint32_t *bigger = realloc(ply->indices, cap * 3 * sizeof *bigger);
    if (!bigger) {
      vp_error_set(ply->err, VP_ERR_NOMEM, _("out of memory for the triangles"));
      return READ_BAD;
    }
    ply->indices = bigger;
    ply->triangle_cap = cap;
  }
  uint32_t *t = ply->indices + 3 * ply->triangle_count++;
  t[0] = a;
  t[1] = b;
  t[2] = c;
  return READ_OK;
}

static ReadStatus bad_corner(Ply *ply, uint64_t item, double index)
{
  char f[32], i[32], n[32];
  if (index >= 0.0 && index < 1e18 && index == floor(index))
    vp_format_count((unsigned long long)index, i);
  else
    snprintf(i, sizeof i, "%g", index);
  vp_error_set(ply->err, VP_ERR_FORMAT,
               _("face %s refers to vertex index %s but the file has only %s vertices "
                 "(numbered from 0)"),
               vp_format_count(item + 1, f), i, vp_format_count(ply->vertex_count, n));
  return READ_BAD;
}

static ReadStatus too_few_corners(Ply *ply, uint64_t item, uint32_t corners)
{
  char f[32];
  vp_error_set(ply->err, VP_ERR_FORMAT, _("face %s has %u corners; a face needs at least 3"),
               vp_format_count(item + 1, f), corners);
  return READ_BAD;
}

/* Fans the polygon from its first corner as the corners arrive. */
static ReadStatus read_polygon(Ply *ply, const PlyProperty *pr, uint64_t item)
{
  uint32_t corners = 0, first = 0, previous = 0;
  ReadStatus s = read_whole(ply, pr->count_type, &corners);
  if (s != READ_OK)
    return s;
  if (corners < 3)
    return too_few_corners(ply, item, corners);
  for (uint32_t k = 0; k < corners; k++) {
    double d = 0.0;
    if ((s = read_value(ply, pr->type, &d)) != READ_OK)
      return s;
    if (!(d >= 0.0 && d < (double)ply->vertex_count && d == floor(d)))
      return bad_corner(ply, item, d);
    uint32_t index = (uint32_t)d;
    if (k >= 2 && !ply->dry && (s = add_triangle(ply, first, previous, index)) != READ_OK)
      return s;
    first = k == 0 ? index : first;
    previous = index;
  }
  return READ_OK;
}

static ReadStatus read_face(Ply *ply, uint64_t item)
{
  const PlyElement *e = ply->face;
  for (uint32_t i = 0; i < e->prop_count; i++) {
    ReadStatus s = (int)i == ply->indices_prop ? read_polygon(ply, &e->props[i], item)
                                               : skip_property(ply, &e->props[i]);
    if (s != READ_OK)
      return s;
  }
  return READ_OK;
}

static ReadStatus skip_item(Ply *ply, const PlyElement *e)
{
  for (uint32_t i = 0; i < e->prop_count; i++) {
    ReadStatus s = skip_property(ply, &e->props[i]);
    if (s != READ_OK)
      return s;
  }
  return READ_OK;
}

/* ---- body ---- */

static bool item_failed(Ply *ply, const PlyElement *e, uint64_t item, ReadStatus s)
{
  char what[64], q[32], i[32], n[32];
  if (s == READ_BAD)
    return false;
  if (e == ply->vertex || e == ply->face)
    snprintf(what, sizeof what, "%s", e == ply->vertex ? _("vertex") : _("face"));
  else
    snprintf(what, sizeof what, _("“%s” item"), word_quote((Word){e->name, strlen(e->name)}, q));
  vp_format_count(item + 1, i);
  vp_format_count(e->count, n);
  if (s == READ_SHORT)
    return vp_error_set(ply->err, VP_ERR_TRUNCATED, _("the file ends in %s %s of %s"), what, i, n);
  if (s == READ_NOT_NUMBER)
    return vp_error_set(ply->err, VP_ERR_FORMAT, _("%s %s of %s: a value is not a number"), what, i,
                        n);
  return vp_error_set(ply->err, VP_ERR_FORMAT,
                      _("%s %s of %s: a list length is not a whole number"), what, i, n);
}

static bool read_element(Ply *ply, const PlyElement *e)
{
  if (e->prop_count == 0)
    return true; /* items of nothing: 2^32 of them must not cost 2^32 steps */
  for (uint64_t item = 0; item < e->count; item++) {
    ReadStatus s = e == ply->vertex ? read_vertex(ply, item)
                   : e == ply->face ? read_face(ply, item)
                                    : skip_item(ply, e);
    if (s != READ_OK)
      return item_failed(ply, e, item, s);
  }
  return true;
}

/* Room for the declared vertices, and for one triangle per face (more are
 * added as polygons need them); both counts were checked against the size. */
static bool allocate(Ply *ply)
{
  ply->triangle_cap = (size_t)ply->face->count;
  ply->positions = malloc(((size_t)ply->vertex_count * 3 + 1) * sizeof(float));
  ply->indices = malloc(ply->triangle_cap * 3 * sizeof(uint32_t));
  if (ply->positions && ply->indices)
    return true;
  char n[32];
  return vp_error_set(ply->err, VP_ERR_NOMEM, _("out of memory for %s vertices"),
                      vp_format_count(ply->vertex_count, n));
}

static VpMesh *ply_mesh(const Ply *ply)
{
  VpMesh *mesh = vp_mesh_new(ply->vertex_count, (uint32_t)ply->triangle_count, ply->err);
  if (!mesh)
    return NULL;
  memcpy(mesh->positions, ply->positions, (size_t)ply->vertex_count * 3 * sizeof(float));
  memcpy(mesh->indices, ply->indices, ply->triangle_count * 3 * sizeof(uint32_t));
  vp_mesh_compute_normals(mesh);
  return mesh;
}

static bool read_body(Ply *ply)
{
  ply->dry = !body_fits(ply);
  if (!ply->dry && !allocate(ply))
    return false;
  for (uint32_t i = 0; i < ply->element_count; i++)
    if (!read_element(ply, &ply->elements[i]))
      return false;
  return !ply->dry || body_too_short(ply);
}

VpMesh *vp_mesh_read_ply(const void *data, size_t size, VpError *err)
{
  VpError local;
  if (!err)
    err = &local; /* find_element tells "absent" from "duplicate" by the code */
  vp_error_clear(err);
  Ply *ply = calloc(1, sizeof *ply);
  if (!ply) {
    vp_error_set(err, VP_ERR_NOMEM, _("out of memory"));
    return NULL;
  }
  ply->err = err;
  VpMesh *mesh = NULL;
  if (read_header(ply, data, size) && check_header(ply) && read_body(ply))
    mesh = ply_mesh(ply);
  free(ply->positions);
  free(ply->indices);
  free(ply);
  return mesh;
}

VpMesh *vp_mesh_load_ply(const char *path, VpError *err)
{
  size_t size;
  void *data = vp_file_read_all(path, VP_MESH_MAX_FILE_BYTES, &size, err);
  if (!data)
    return NULL;
  VpMesh *mesh = vp_mesh_read_ply(data, size, err);
  free(data);
  return mesh;
}
