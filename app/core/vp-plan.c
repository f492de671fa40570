/* The plan document (.vplan) in memory and as JSON, its loading and saving. */
#include "vp-plan.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "vp-intl-private.h"
#include "vp-math.h"

/* JSON numbers are doubles: whole numbers are exact up to 2^53. */
#define JSON_MAX_EXACT_INTEGER 9007199254740992.0
/* Room for "case.sources[<index>].size_bytes". */
#define WHERE_SIZE 96

/* ======================================================================
 * Text and path helpers
 * ====================================================================== */

/* Continuation bytes after a UTF-8 lead byte, or -1 when it cannot lead. */
static int utf8_extra_bytes(unsigned char lead)
{
  if (lead < 0x80)
    return 0;
  if ((lead & 0xE0) == 0xC0)
    return 1;
  if ((lead & 0xF0) == 0xE0)
    return 2;
  if ((lead & 0xF8) == 0xF0)
    return 3;
  return -1;
}

/* Strings go into JSON and on to GTK, both of which need valid UTF-8. */
static bool utf8_is_valid(const char *s)
{
  static const uint32_t smallest[4] = {0, 0x80, 0x800, 0x10000};
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    int extra = utf8_extra_bytes(*p);
    if (extra < 0)
      return false;
    uint32_t cp = extra == 0 ? *p : *p & (0x3Fu >> extra);
    p++;
    for (int i = 0; i < extra; i++, p++) {
      if ((*p & 0xC0) != 0x80) /* also stops at the NUL */
        return false;
      cp = cp << 6 | (*p & 0x3Fu);
    }
    if (cp < smallest[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false; /* overlong, beyond Unicode, or a UTF-16 surrogate */
  }
  return true;
}

/* Bytes of valid UTF-8 s to show in a message: at most max, never half a character. */
static int utf8_prefix_bytes(const char *s, size_t max)
{
  size_t n = 0;
  while (s[n] && n < max) {
    int extra = utf8_extra_bytes((unsigned char)s[n]);
    if (extra < 0 || n + 1 + (size_t)extra > max)
      break;
    n += 1 + (size_t)extra;
  }
  return (int)n;
}

static char *join3(const char *a, const char *b, const char *c)
{
  size_t na = strlen(a), nb = strlen(b), nc = strlen(c);
  char *out = malloc(na + nb + nc + 1);
  if (out) {
    memcpy(out, a, na);
    memcpy(out + na, b, nb);
    memcpy(out + na + nb, c, nc + 1);
  }
  return out;
}

static char *current_dir(void)
{
  for (size_t n = 256; n <= 1u << 20; n *= 2) {
    char *buf = malloc(n);
    if (!buf || getcwd(buf, n))
      return buf;
    free(buf);
    if (errno != ERANGE)
      return NULL;
  }
  return NULL;
}

/* Removes ".", ".." and empty components of an absolute path in place.
 * Each kept component is written as "/name" at out, which never passes the
 * reading position. */
static void path_normalize(char *path)
{
  char *out = path;
  const char *in = path + 1;
  while (*in) {
    const char *end = strchr(in, '/');
    size_t len = end ? (size_t)(end - in) : strlen(in);
    if (len == 2 && in[0] == '.' && in[1] == '.') {
      while (out > path && *--out != '/')
        ;
    } else if (len > 0 && !(len == 1 && in[0] == '.')) {
      *out++ = '/';
      memmove(out, in, len);
      out += len;
    }
    in += len + (end != NULL);
  }
  if (out == path)
    out++; /* the root */
  *out = '\0';
}

/* Absolute, lexically normalised path. Symbolic links are deliberately not
 * resolved, so a data folder linked into the case folder still counts as
 * inside it. Returns NULL when memory runs out or the current directory is gone. */
static char *path_absolute(const char *path)
{
  char *out;
  if (path[0] == '/') {
    out = strdup(path);
  } else {
    char *cwd = current_dir();
    out = cwd ? join3(cwd, "/", path) : NULL;
    free(cwd);
  }
  if (out)
    path_normalize(out);
  return out;
}

/* The absolute folder that holds path. */
static char *path_parent_absolute(const char *path)
{
  char *abs = path_absolute(path);
  if (!abs)
    return NULL;
  char *slash = strrchr(abs, '/');
  slash[slash == abs] = '\0'; /* keep the root's own slash */
  return abs;
}

/* path written relative to dir, with ".." where it lies outside dir, so a
 * plan names its sources relative to the plan file wherever they are. Both
 * absolute and normalised (no trailing '/' except the root); malloc'ed, NULL
 * when memory runs out. */
static char *path_relative(const char *path, const char *dir)
{
  size_t dir_len = strlen(dir);
  if (dir_len == 1)
    return strdup(path + 1);
  if (strncmp(path, dir, dir_len) == 0 && path[dir_len] == '/')
    return strdup(path + dir_len + 1);
  size_t common = 0; /* the last '/' up to which both agree */
  for (size_t i = 0; path[i] && path[i] == dir[i]; i++)
    if (path[i] == '/')
      common = i;
  size_t ups = 0; /* each '/' in dir from common on opens a folder to leave */
  for (size_t i = common; i < dir_len; i++)
    ups += dir[i] == '/';
  const char *rest = path + common + 1;
  char *out = malloc(3 * ups + strlen(rest) + 1);
  if (!out)
    return NULL;
  for (size_t i = 0; i < ups; i++)
    memcpy(out + 3 * i, "../", 3);
  strcpy(out + 3 * ups, rest);
  return out;
}

/* ======================================================================
 * The plan in memory
 * ====================================================================== */

static const char *const role_names[] = {"surface", "ct", "mask"};

const char *vp_source_role_name(VpSourceRole role)
{
  return (unsigned)role < sizeof role_names / sizeof role_names[0] ? role_names[role] : NULL;
}

static VpSourceRole role_from_name(const char *name)
{
  for (unsigned i = 0; i < sizeof role_names / sizeof role_names[0]; i++)
    if (strcmp(name, role_names[i]) == 0)
      return (VpSourceRole)i;
  return VP_SOURCE_ROLE_OTHER;
}

/* "" or a vertebra: C1-C7, T1-T13, L1-L6 (T13 and L6 are normal variants
 * that VerSe labels), or S1. */
static bool level_is_valid(const char *level)
{
  static const struct { char region; int last; } regions[] = {{'C', 7}, {'T', 13}, {'L', 6}, {'S', 1}};
  if (!level[0])
    return true;
  for (size_t i = 0; i < sizeof regions / sizeof regions[0]; i++) {
    if (level[0] != regions[i].region || level[1] < '1' || level[1] > '9')
      continue;
    if (level[2] && (level[2] < '0' || level[2] > '9' || level[3]))
      return false;
    int number = level[2] ? (level[1] - '0') * 10 + (level[2] - '0') : level[1] - '0';
    return number <= regions[i].last;
  }
  return false;
}

static bool label_is_valid(int label)
{
  return label == VP_PLAN_LABEL_NONE || (label >= 1 && label <= VP_PLAN_LABEL_MAX);
}

static void source_clear(VpPlanSource *source)
{
  free(source->path);
  cJSON_Delete(source->unknown);
  memset(source, 0, sizeof *source);
}

/* A plan with every field at its default; NULL when memory runs out. */
static VpPlan *plan_alloc(const char *created_with)
{
  VpPlan *plan = calloc(1, sizeof *plan);
  if (!plan)
    return NULL;
  plan->format_version = VP_PLAN_FORMAT_VERSION;
  plan->created_with = strdup(created_with ? created_with : "");
  plan->case_info.name = strdup("");
  plan->case_info.label = VP_PLAN_LABEL_NONE;
  if (!plan->created_with || !plan->case_info.name) {
    vp_plan_free(plan);
    return NULL;
  }
  return plan;
}

VpPlan *vp_plan_new(const char *created_with, VpError *err)
{
  if (created_with && !utf8_is_valid(created_with)) {
    vp_error_set(err, VP_ERR_INVALID, _("the application version is not valid UTF-8 text"));
    return NULL;
  }
  VpPlan *plan = plan_alloc(created_with);
  if (!plan)
    vp_error_set(err, VP_ERR_NOMEM, _("out of memory for a new plan"));
  return plan;
}

void vp_plan_free(VpPlan *plan)
{
  if (!plan)
    return;
  for (size_t i = 0; i < plan->case_info.source_count; i++)
    source_clear(&plan->case_info.sources[i]);
  free(plan->case_info.sources);
  free(plan->case_info.name);
  free(plan->case_info.notes);
  free(plan->case_info.teaching_note);
  cJSON_Delete(plan->case_info.phantom);
  cJSON_Delete(plan->case_info.unknown);
  free(plan->measurements);
  free(plan->created_with);
  cJSON_Delete(plan->unknown);
  free(plan);
}

static bool check_case_fields(const char *name, const char *level, int label, VpError *err)
{
  if (!name || !utf8_is_valid(name))
    return vp_error_set(err, VP_ERR_INVALID, _("the case name is not valid UTF-8 text"));
  if (!level || !level_is_valid(level))
    return vp_error_set(err, VP_ERR_INVALID,
                        _("\"%.*s\" is not a vertebral level; use C1-C7, T1-T13, L1-L6 or S1"),
                        level && utf8_is_valid(level) ? utf8_prefix_bytes(level, 20) : 1,
                        level && utf8_is_valid(level) ? level : "?");
  if (!label_is_valid(label))
    return vp_error_set(err, VP_ERR_INVALID,
                        _("%d is not a mask label; labels run from 1 to %d"), label,
                        VP_PLAN_LABEL_MAX);
  return true;
}

bool vp_plan_set_case(VpPlan *plan, const char *name, const char *level, int label, VpError *err)
{
  if (!check_case_fields(name, level, label, err))
    return false;
  char *copy = strdup(name);
  if (!copy)
    return vp_error_set(err, VP_ERR_NOMEM, _("out of memory for the case name"));
  free(plan->case_info.name);
  plan->case_info.name = copy;
  snprintf(plan->case_info.level, sizeof plan->case_info.level, "%s", level);
  plan->case_info.label = label;
  return true;
}

bool vp_plan_set_notes(VpPlan *plan, const char *notes, VpError *err)
{
  if (notes && !utf8_is_valid(notes))
    return vp_error_set(err, VP_ERR_INVALID, _("the notes are not valid UTF-8 text"));
  char *copy = notes && *notes ? strdup(notes) : NULL;
  if (notes && *notes && !copy)
    return vp_error_set(err, VP_ERR_NOMEM, _("out of memory for the notes"));
  free(plan->case_info.notes);
  plan->case_info.notes = copy;
  return true;
}

bool vp_plan_set_teaching_note(VpPlan *plan, const char *note, VpError *err)
{
  if (note && !utf8_is_valid(note))
    return vp_error_set(err, VP_ERR_INVALID, _("the teaching note is not valid UTF-8 text"));
  char *copy = note && *note ? strdup(note) : NULL;
  if (note && *note && !copy)
    return vp_error_set(err, VP_ERR_NOMEM, _("out of memory for the teaching note"));
  free(plan->case_info.teaching_note);
  plan->case_info.teaching_note = copy;
  return true;
}

bool vp_plan_set_phantom(VpPlan *plan, const cJSON *truth, VpError *err)
{
  if (truth && !cJSON_IsObject(truth))
    return vp_error_set(err, VP_ERR_INVALID, _("a phantom's ground truth must be a JSON object"));
  cJSON *copy = truth ? cJSON_Duplicate(truth, true) : NULL;
  if (truth && !copy)
    return vp_error_set(err, VP_ERR_NOMEM, _("out of memory for the phantom's ground truth"));
  cJSON_Delete(plan->case_info.phantom);
  plan->case_info.phantom = copy;
  return true;
}

/* Appends a zeroed source; NULL when memory runs out. The array doubles
 * whenever the count reaches a power of two, so a plan with many sources
 * loads in linear time without a capacity field in the public struct. */
static VpPlanSource *sources_append(VpPlanCase *c)
{
  size_t n = c->source_count;
  if (n == 0 || (n & (n - 1)) == 0) {
    size_t capacity = n ? 2 * n : 1;
    if (capacity > SIZE_MAX / sizeof *c->sources)
      return NULL;
    VpPlanSource *grown = realloc(c->sources, capacity * sizeof *grown);
    if (!grown)
      return NULL;
    c->sources = grown;
  }
  VpPlanSource *s = &c->sources[c->source_count++];
  memset(s, 0, sizeof *s);
  return s;
}

bool vp_plan_add_source(VpPlan *plan, VpSourceRole role, const char *path, VpError *err)
{
  if (!vp_source_role_name(role))
    return vp_error_set(err, VP_ERR_INVALID, _("a source must be a surface, a CT or a mask"));
  if (!path || !*path)
    return vp_error_set(err, VP_ERR_INVALID, _("no file was given for the source"));
  if (!utf8_is_valid(path))
    return vp_error_set(err, VP_ERR_INVALID,
                        _("the file name is not valid UTF-8 text; rename the file to use it in a plan"));
  uint8_t digest[VP_SHA256_DIGEST_SIZE];
  uint64_t size_bytes = 0;
  if (!vp_sha256_file(path, digest, &size_bytes, err))
    return false;
  char *abs = path_absolute(path);
  VpPlanSource *s = abs ? sources_append(&plan->case_info) : NULL;
  if (!s) {
    free(abs);
    return vp_error_set(err, VP_ERR_NOMEM, _("out of memory for another source"));
  }
  s->role = role;
  s->path = abs;
  s->size_bytes = size_bytes;
  vp_sha256_hex(digest, s->sha256);
  return true;
}

void vp_plan_remove_source(VpPlan *plan, size_t index)
{
  VpPlanCase *c = &plan->case_info;
  assert(index < c->source_count);
  source_clear(&c->sources[index]);
  memmove(&c->sources[index], &c->sources[index + 1],
          (c->source_count - index - 1) * sizeof c->sources[0]);
  c->source_count--;
}

/* ---- measurements ---- */

static const char *const kind_names[] = {"distance", "angle"};

static bool kind_is_valid(VpMeasurementKind kind)
{
  return (unsigned)kind < sizeof kind_names / sizeof kind_names[0];
}

/* Points a measurement of this kind uses: two ends, or the two ends and the vertex. */
static int kind_point_count(VpMeasurementKind kind)
{
  return kind == VP_MEASUREMENT_ANGLE ? 3 : 2;
}

static bool measurement_is_finite(const VpPlanMeasurement *m)
{
  for (int p = 0; p < kind_point_count(m->kind); p++)
    for (int axis = 0; axis < 3; axis++)
      if (!isfinite(m->points_mm[p][axis]))
        return false;
  return true;
}

/* Appends a zeroed measurement; NULL when memory runs out. Grows by
 * doubling at powers of two, like sources_append(). */
static VpPlanMeasurement *measurements_append(VpPlan *plan)
{
  size_t n = plan->measurement_count;
  if (n == 0 || (n & (n - 1)) == 0) {
    VpPlanMeasurement *grown = realloc(plan->measurements, (n ? 2 * n : 1) * sizeof *grown);
    if (!grown)
      return NULL;
    plan->measurements = grown;
  }
  VpPlanMeasurement *m = &plan->measurements[plan->measurement_count++];
  memset(m, 0, sizeof *m);
  return m;
}

bool vp_plan_add_measurement(VpPlan *plan, const VpPlanMeasurement *m, VpError *err)
{
  if (!kind_is_valid(m->kind))
    return vp_error_set(err, VP_ERR_INVALID, _("a measurement must be a distance or an angle"));
  if (!measurement_is_finite(m))
    return vp_error_set(err, VP_ERR_INVALID,
                        _("a measurement's points must be finite coordinates in mm"));
  if (plan->measurement_count >= VP_PLAN_MAX_MEASUREMENTS)
    return vp_error_set(err, VP_ERR_LIMIT, _("a plan holds at most %d measurements"),
                        VP_PLAN_MAX_MEASUREMENTS);
  VpPlanMeasurement *added = measurements_append(plan);
  if (!added)
    return vp_error_set(err, VP_ERR_NOMEM, _("out of memory for another measurement"));
  /* Unused points stay zero, so equal plans are equal in memory too. */
  added->kind = m->kind;
  memcpy(added->points_mm, m->points_mm, (size_t)kind_point_count(m->kind) * sizeof m->points_mm[0]);
  return true;
}

void vp_plan_remove_measurement(VpPlan *plan, size_t index)
{
  assert(index < plan->measurement_count);
  memmove(&plan->measurements[index], &plan->measurements[index + 1],
          (plan->measurement_count - index - 1) * sizeof plan->measurements[0]);
  plan->measurement_count--;
}

static void vector_between(const double from[3], const double to[3], double out[3])
{
  for (int axis = 0; axis < 3; axis++)
    out[axis] = to[axis] - from[axis];
}

static double vector_length(const double v[3])
{
  return sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
}

double vp_plan_measurement_value(const VpPlanMeasurement *m)
{
  double u[3], v[3];
  vector_between(m->points_mm[1], m->points_mm[0], u);
  if (m->kind != VP_MEASUREMENT_ANGLE)
    return vector_length(u);
  vector_between(m->points_mm[1], m->points_mm[2], v);
  /* atan2 of |u x v| and u . v stays accurate near 0 and 180 degrees,
   * where acos of the normalised dot product loses digits. */
  double cross[3] = {u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2],
                     u[0] * v[1] - u[1] * v[0]};
  double dot = u[0] * v[0] + u[1] * v[1] + u[2] * v[2];
  return vp_rad_to_deg(atan2(vector_length(cross), dot));
}

/* ======================================================================
 * Why a JSON text does not parse: a strict recursive scan used only after
 * cJSON has refused the text, to say where and what was expected.
 * ====================================================================== */

typedef struct JsonScan {
  const char *text;
  size_t pos;
  int depth;
  const char *problem; /* untranslated, marked with N_() */
} JsonScan;

static bool scan_value(JsonScan *s, const char *expected);

static bool scan_fail(JsonScan *s, const char *problem)
{
  s->problem = problem;
  return false;
}

static char scan_peek(JsonScan *s)
{
  while (s->text[s->pos] && strchr(" \t\r\n", s->text[s->pos]))
    s->pos++;
  return s->text[s->pos];
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static bool scan_digits(JsonScan *s)
{
  if (!is_digit(s->text[s->pos]))
    return scan_fail(s, N_("expected a digit"));
  while (is_digit(s->text[s->pos]))
    s->pos++;
  return true;
}

static bool scan_number(JsonScan *s)
{
  if (s->text[s->pos] == '-')
    s->pos++;
  if (s->text[s->pos] == '0')
    s->pos++;
  else if (!scan_digits(s))
    return false;
  if (s->text[s->pos] == '.') {
    s->pos++;
    if (!scan_digits(s))
      return false;
  }
  if (s->text[s->pos] == 'e' || s->text[s->pos] == 'E') {
    s->pos++;
    if (s->text[s->pos] == '+' || s->text[s->pos] == '-')
      s->pos++;
    return scan_digits(s);
  }
  return true;
}

static bool scan_escape(JsonScan *s)
{
  char c = s->text[s->pos + 1];
  if (c && strchr("\"\\/bfnrt", c)) {
    s->pos += 2;
    return true;
  }
  if (c != 'u')
    return scan_fail(s, N_("unknown escape sequence after '\\'"));
  for (int i = 2; i < 6; i++)
    if (!s->text[s->pos + i] || !strchr("0123456789abcdefABCDEF", s->text[s->pos + i]))
      return scan_fail(s, N_("expected four hexadecimal digits after '\\u'"));
  s->pos += 6;
  return true;
}

/* Raw control characters are let through, as cJSON lets them through. */
static bool scan_string(JsonScan *s)
{
  size_t start = s->pos++;
  for (;;) {
    char c = s->text[s->pos];
    if (c == '"') {
      s->pos++;
      return true;
    }
    if (c == '\0') {
      s->pos = start;
      return scan_fail(s, N_("this text in quotes has no closing '\"'"));
    }
    if (c != '\\')
      s->pos++;
    else if (!scan_escape(s))
      return false;
  }
}

static bool scan_word(JsonScan *s, const char *word, const char *expected)
{
  size_t n = strlen(word);
  if (strncmp(s->text + s->pos, word, n) != 0)
    return scan_fail(s, expected);
  s->pos += n;
  return true;
}

/* After an item: true with *done set at the closing bracket, true at a comma. */
static bool scan_separator(JsonScan *s, char close, bool *done, const char *expected)
{
  char c = scan_peek(s);
  if (c == '\0')
    return scan_fail(s, N_("the text ends before every '{' and '[' is closed"));
  if (c != ',' && c != close)
    return scan_fail(s, expected);
  s->pos++;
  *done = c == close;
  return true;
}

static bool scan_object(JsonScan *s)
{
  s->pos++;
  if (scan_peek(s) == '}') {
    s->pos++;
    return true;
  }
  for (bool done = false, first = true; !done; first = false) {
    if (scan_peek(s) != '"')
      return scan_fail(s, first ? N_("expected a key in double quotes or '}'")
                                : N_("expected a key in double quotes (is there a ',' too many?)"));
    if (!scan_string(s))
      return false;
    if (scan_peek(s) != ':')
      return scan_fail(s, N_("expected ':' after the key"));
    s->pos++;
    if (!scan_value(s, N_("expected a value after ':'")) ||
        !scan_separator(s, '}', &done, N_("expected ',' or '}'")))
      return false;
  }
  return true;
}

static bool scan_array(JsonScan *s)
{
  s->pos++;
  if (scan_peek(s) == ']') {
    s->pos++;
    return true;
  }
  for (bool done = false; !done;)
    if (!scan_value(s, N_("expected a value (is there a ',' too many?)")) ||
        !scan_separator(s, ']', &done, N_("expected ',' or ']'")))
      return false;
  return true;
}

static bool scan_container(JsonScan *s, bool object)
{
  if (++s->depth > CJSON_NESTING_LIMIT)
    return scan_fail(s, N_("nested too deeply"));
  bool ok = object ? scan_object(s) : scan_array(s);
  s->depth--;
  return ok;
}

static bool scan_value(JsonScan *s, const char *expected)
{
  char c = scan_peek(s);
  switch (c) {
  case '{':
    return scan_container(s, true);
  case '[':
    return scan_container(s, false);
  case '"':
    return scan_string(s);
  case 't':
    return scan_word(s, "true", expected);
  case 'f':
    return scan_word(s, "false", expected);
  case 'n':
    return scan_word(s, "null", expected);
  case '\0':
    return scan_fail(s, N_("the text ends where a value was expected"));
  default:
    return c == '-' || is_digit(c) ? scan_number(s) : scan_fail(s, expected);
  }
}

/* 1-based line and column (in characters, not bytes) of byte offset pos. */
static void text_position(const char *text, size_t pos, size_t *line, size_t *column)
{
  *line = 1;
  *column = 1;
  for (size_t i = 0; i < pos && text[i]; i++) {
    if (text[i] == '\n') {
      ++*line;
      *column = 1;
    } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
      ++*column;
    }
  }
}

static bool position_error(VpError *err, const char *text, size_t pos, const char *problem)
{
  size_t line, column;
  text_position(text, pos, &line, &column);
  return vp_error_set(err, VP_ERR_FORMAT, _("line %zu, column %zu: %s"), line, column, _(problem));
}

/* cJSON_ParseWithOpts refused text and stopped at cjson_end. */
static bool syntax_error(VpError *err, const char *text, const char *cjson_end)
{
  JsonScan s = {text, 0, 0, NULL};
  char first = scan_peek(&s);
  if (first == '\0')
    return position_error(err, text, s.pos, N_("the file is empty"));
  if (first != '{' && first != '[')
    return position_error(err, text, s.pos,
                          N_("this is not a plan file: a plan is JSON text starting with '{'"));
  if (scan_value(&s, N_("expected a value")) && scan_peek(&s) != '\0')
    scan_fail(&s, N_("unexpected text after the end of the plan"));
  if (s.problem)
    return position_error(err, text, s.pos, s.problem);
  /* The strict scan found nothing: trust cJSON's position. */
  size_t pos = cjson_end && cjson_end >= text ? (size_t)(cjson_end - text) : 0;
  return position_error(err, text, pos, N_("this is not valid JSON"));
}

/* ======================================================================
 * Reading the document: every key checked for its type, errors naming the
 * key by its JSON path, keys of newer versions kept.
 * ====================================================================== */

static const char *json_type_name(const cJSON *item)
{
  if (cJSON_IsString(item))
    return _("text");
  if (cJSON_IsNumber(item))
    return _("a number");
  if (cJSON_IsBool(item))
    return _("true or false");
  if (cJSON_IsNull(item))
    return "null";
  if (cJSON_IsArray(item))
    return _("a list");
  return _("an object");
}

/* "parent.key", or "key" at the top; cut short rather than overflow. */
static void where_key(char where[WHERE_SIZE], const char *parent, const char *key)
{
  size_t n = strlen(parent);
  n = n < WHERE_SIZE - 1 ? n : WHERE_SIZE - 1;
  memcpy(where, parent, n);
  if (n > 0 && n < WHERE_SIZE - 1)
    where[n++] = '.';
  size_t k = strlen(key);
  k = k < WHERE_SIZE - 1 - n ? k : WHERE_SIZE - 1 - n;
  memcpy(where + n, key, k);
  where[n + k] = '\0';
}

static bool type_error(VpError *err, const char *where, const char *expected, const cJSON *got)
{
  return vp_error_set(err, VP_ERR_FORMAT, _("\"%s\" must be %s, not %s"), where, expected,
                      json_type_name(got));
}

static bool missing_error(VpError *err, const char *where)
{
  return vp_error_set(err, VP_ERR_FORMAT, _("\"%s\" is missing"), where);
}

/* A whole number in [min, max]. */
static bool read_whole(const cJSON *item, const char *where, double min, double max, double *out,
                       VpError *err)
{
  if (!cJSON_IsNumber(item))
    return type_error(err, where, _("a whole number"), item);
  double d = item->valuedouble;
  if (d >= min && d <= max && d == floor(d)) {
    *out = d;
    return true;
  }
  if (max >= JSON_MAX_EXACT_INTEGER)
    return vp_error_set(err, VP_ERR_FORMAT, _("\"%s\" must be a whole number of %.0f or more, not %g"),
                        where, min, d);
  return vp_error_set(err, VP_ERR_FORMAT, _("\"%s\" must be a whole number from %.0f to %.0f, not %g"),
                      where, min, max, d);
}

/* Text at obj.key, copied; *out stays NULL when the key is absent or null
 * and not required. */
static bool read_text(const cJSON *obj, const char *parent, const char *key, bool required,
                      char **out, VpError *err)
{
  char where[WHERE_SIZE];
  where_key(where, parent, key);
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
  *out = NULL;
  if (!item || cJSON_IsNull(item))
    return required ? missing_error(err, where) : true;
  if (!cJSON_IsString(item))
    return type_error(err, where, _("text"), item);
  if (!utf8_is_valid(item->valuestring))
    return vp_error_set(err, VP_ERR_FORMAT, _("\"%s\" is not valid UTF-8 text"), where);
  *out = strdup(item->valuestring);
  return *out ? true : vp_error_set(err, VP_ERR_NOMEM, _("out of memory reading the plan"));
}

static bool key_is_known(const char *key, const char *const *known, size_t *index)
{
  for (size_t i = 0; known[i]; i++) {
    if (key && strcmp(key, known[i]) == 0) {
      *index = i;
      return true;
    }
  }
  return false;
}

/* Copies the keys of obj that this version does not know into *out (NULL
 * when there are none), refusing a known key given twice. */
static bool take_unknown(const cJSON *obj, const char *parent, const char *const *known,
                         cJSON **out, VpError *err)
{
  unsigned seen = 0;
  *out = NULL;
  for (const cJSON *child = obj->child; child; child = child->next) {
    size_t index;
    char where[WHERE_SIZE];
    if (key_is_known(child->string, known, &index)) {
      where_key(where, parent, known[index]);
      if (seen & (1u << index))
        return vp_error_set(err, VP_ERR_FORMAT, _("\"%s\" is given twice"), where);
      seen |= 1u << index;
      continue;
    }
    if (!*out && !(*out = cJSON_CreateObject()))
      return vp_error_set(err, VP_ERR_NOMEM, _("out of memory reading the plan"));
    cJSON *copy = cJSON_Duplicate(child, true);
    if (!copy || !cJSON_AddItemToObject(*out, child->string ? child->string : "", copy)) {
      cJSON_Delete(copy);
      return vp_error_set(err, VP_ERR_NOMEM, _("out of memory reading the plan"));
    }
  }
  return true;
}

static bool hex_digest_is_valid(const char *hex)
{
  for (int i = 0; i < 2 * VP_SHA256_DIGEST_SIZE; i++)
    if (!hex[i] || !strchr("0123456789abcdefABCDEF", hex[i]))
      return false;
  return hex[2 * VP_SHA256_DIGEST_SIZE] == '\0';
}

static bool read_source_role(const cJSON *obj, const char *where, VpPlanSource *s, VpError *err)
{
  char *role = NULL;
  if (!read_text(obj, where, "role", true, &role, err))
    return false;
  s->role = role_from_name(role);
  free(role);
  /* A role from a newer version is kept with the other unknown keys. */
  if (s->role != VP_SOURCE_ROLE_OTHER)
    return true;
  cJSON *copy = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(obj, "role"), true);
  if ((!s->unknown && !(s->unknown = cJSON_CreateObject())) || !copy ||
      !cJSON_AddItemToObject(s->unknown, "role", copy)) {
    cJSON_Delete(copy);
    return vp_error_set(err, VP_ERR_NOMEM, _("out of memory reading the plan"));
  }
  return true;
}

/* Relative paths are taken from base_dir, which makes them absolute. */
static bool read_source_path(const cJSON *obj, const char *where, const char *base_dir,
                             VpPlanSource *s, VpError *err)
{
  char *stored = NULL;
  if (!read_text(obj, where, "path", true, &stored, err))
    return false;
  char key[WHERE_SIZE];
  where_key(key, where, "path");
  if (!*stored) {
    free(stored);
    return vp_error_set(err, VP_ERR_FORMAT, _("\"%s\" is empty"), key);
  }
  if (stored[0] == '/' || base_dir) {
    char *joined = stored[0] == '/' ? strdup(stored) : join3(base_dir, "/", stored);
    s->path = joined ? path_absolute(joined) : NULL;
    free(joined);
    free(stored);
    return s->path ? true : vp_error_set(err, VP_ERR_NOMEM, _("out of memory reading the plan"));
  }
  s->path = stored;
  return true;
}

static bool read_source_digest(const cJSON *obj, const char *where, VpPlanSource *s, VpError *err)
{
  char key[WHERE_SIZE];
  where_key(key, where, "sha256");
  char *hex = NULL;
  if (!read_text(obj, where, "sha256", true, &hex, err))
    return false;
  bool valid = hex_digest_is_valid(hex);
  for (int i = 0; valid && i < 2 * VP_SHA256_DIGEST_SIZE; i++)
    s->sha256[i] = (char)(hex[i] >= 'A' && hex[i] <= 'F' ? hex[i] - 'A' + 'a' : hex[i]);
  free(hex);
  if (!valid)
    return vp_error_set(err, VP_ERR_FORMAT, _("\"%s\" must be 64 hexadecimal digits"), key);
  s->sha256[2 * VP_SHA256_DIGEST_SIZE] = '\0';
  return true;
}

static bool read_source_size(const cJSON *obj, const char *where, VpPlanSource *s, VpError *err)
{
  char key[WHERE_SIZE];
  where_key(key, where, "size_bytes");
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, "size_bytes");
  double size = 0;
  if (!item)
    return missing_error(err, key);
  if (!read_whole(item, key, 0, JSON_MAX_EXACT_INTEGER, &size, err))
    return false;
  s->size_bytes = (uint64_t)size;
  return true;
}

static bool read_source(const cJSON *obj, const char *where, const char *base_dir, VpPlanSource *s,
                        VpError *err)
{
  static const char *const known[] = {"role", "path", "sha256", "size_bytes", NULL};
  if (!cJSON_IsObject(obj))
    return type_error(err, where, _("an object"), obj);
  return take_unknown(obj, where, known, &s->unknown, err) &&
         read_source_role(obj, where, s, err) && read_source_path(obj, where, base_dir, s, err) &&
         read_source_digest(obj, where, s, err) && read_source_size(obj, where, s, err);
}

static bool read_sources(const cJSON *obj, const char *base_dir, VpPlanCase *c, VpError *err)
{
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(obj, "sources");
  if (!list || cJSON_IsNull(list))
    return true;
  if (!cJSON_IsArray(list))
    return type_error(err, "case.sources", _("a list"), list);
  for (const cJSON *item = list->child; item; item = item->next) {
    char where[WHERE_SIZE];
    snprintf(where, sizeof where, "case.sources[%zu]", c->source_count);
    VpPlanSource *s = sources_append(c);
    if (!s)
      return vp_error_set(err, VP_ERR_NOMEM, _("out of memory reading the plan"));
    if (!read_source(item, where, base_dir, s, err))
      return false;
  }
  return true;
}

static bool read_level(const cJSON *obj, VpPlanCase *c, VpError *err)
{
  char *level = NULL;
  if (!read_text(obj, "case", "level", false, &level, err))
    return false;
  bool valid = !level || (strlen(level) < sizeof c->level && level_is_valid(level));
  if (valid && level)
    snprintf(c->level, sizeof c->level, "%s", level);
  if (!valid)
    vp_error_set(err, VP_ERR_FORMAT,
                 _("\"case.level\" must be a vertebra such as \"L3\" (C1-C7, T1-T13, L1-L6, S1), not \"%.*s\""),
                 utf8_prefix_bytes(level, 20), level);
  free(level);
  return valid;
}

static bool read_label(const cJSON *obj, VpPlanCase *c, VpError *err)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, "label");
  double label = VP_PLAN_LABEL_NONE;
  if (item && !cJSON_IsNull(item) &&
      !read_whole(item, "case.label", 1, VP_PLAN_LABEL_MAX, &label, err))
    return false;
  c->label = (int)label;
  return true;
}

/* "case.phantom": kept as JSON; only its type is checked here. */
static bool read_phantom(const cJSON *obj, VpPlanCase *c, VpError *err)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, "phantom");
  if (!item || cJSON_IsNull(item))
    return true;
  if (!cJSON_IsObject(item))
    return type_error(err, "case.phantom", _("an object"), item);
  c->phantom = cJSON_Duplicate(item, true);
  return c->phantom ? true : vp_error_set(err, VP_ERR_NOMEM, _("out of memory reading the plan"));
}

static bool read_case(const cJSON *root, const char *base_dir, VpPlanCase *c, VpError *err)
{
  static const char *const known[] = {"name",    "level",         "label",   "sources",
                                      "notes",   "teaching_note", "phantom", NULL};
  const cJSON *obj = cJSON_GetObjectItemCaseSensitive(root, "case");
  if (!obj || cJSON_IsNull(obj))
    return true; /* a plan with no case yet */
  if (!cJSON_IsObject(obj))
    return type_error(err, "case", _("an object"), obj);
  char *name = NULL;
  if (!take_unknown(obj, "case", known, &c->unknown, err) ||
      !read_text(obj, "case", "name", false, &name, err))
    return false;
  if (name) {
    free(c->name);
    c->name = name;
  }
  return read_level(obj, c, err) && read_label(obj, c, err) &&
         read_text(obj, "case", "notes", false, &c->notes, err) &&
         read_text(obj, "case", "teaching_note", false, &c->teaching_note, err) &&
         read_phantom(obj, c, err) && read_sources(obj, base_dir, c, err);
}

/* ---- "measurements" ---- */

/* "parent[index]"; cut short rather than overflow, like where_key(). */
static void where_index(char where[WHERE_SIZE], const char *parent, int index)
{
  if (snprintf(where, WHERE_SIZE, "%s[%d]", parent, index) >= WHERE_SIZE)
    where[WHERE_SIZE - 1] = '\0';
}

static bool read_measurement_kind(const cJSON *obj, const char *where, VpPlanMeasurement *m,
                                  VpError *err)
{
  char key[WHERE_SIZE];
  where_key(key, where, "kind");
  char *kind = NULL;
  if (!read_text(obj, where, "kind", true, &kind, err))
    return false;
  bool known = false;
  for (unsigned i = 0; !known && i < sizeof kind_names / sizeof kind_names[0]; i++)
    if (strcmp(kind, kind_names[i]) == 0) {
      m->kind = (VpMeasurementKind)i;
      known = true;
    }
  if (!known)
    vp_error_set(err, VP_ERR_FORMAT,
                 _("\"%s\" is \"%.*s\", a kind of measurement this version does not know; "
                   "it knows \"distance\" and \"angle\""),
                 key, utf8_prefix_bytes(kind, 40), kind);
  free(kind);
  return known;
}

/* One point: a list of three finite numbers (x, y, z in mm). */
static bool read_point(const cJSON *item, const char *where, double out[3], VpError *err)
{
  if (!cJSON_IsArray(item) || cJSON_GetArraySize(item) != 3)
    return cJSON_IsArray(item)
               ? vp_error_set(err, VP_ERR_FORMAT,
                              _("\"%s\" must be a point of three numbers (x, y, z in mm), not %d"),
                              where, cJSON_GetArraySize(item))
               : type_error(err, where, _("a list of three numbers"), item);
  int axis = 0;
  for (const cJSON *c = item->child; c; c = c->next, axis++) {
    char key[WHERE_SIZE];
    where_index(key, where, axis);
    if (!cJSON_IsNumber(c))
      return type_error(err, key, _("a number"), c);
    if (!isfinite(c->valuedouble))
      return vp_error_set(err, VP_ERR_FORMAT, _("\"%s\" must be a finite number"), key);
    out[axis] = c->valuedouble;
  }
  return true;
}

static bool read_measurement_points(const cJSON *obj, const char *where, VpPlanMeasurement *m,
                                    VpError *err)
{
  char key[WHERE_SIZE];
  where_key(key, where, "points_mm");
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(obj, "points_mm");
  if (!list)
    return missing_error(err, key);
  if (!cJSON_IsArray(list))
    return type_error(err, key, _("a list of points"), list);
  int wanted = kind_point_count(m->kind);
  if (cJSON_GetArraySize(list) != wanted)
    return vp_error_set(err, VP_ERR_FORMAT,
                        m->kind == VP_MEASUREMENT_ANGLE
                            ? _("\"%s\" must hold %d points for an angle, not %d")
                            : _("\"%s\" must hold %d points for a distance, not %d"),
                        key, wanted, cJSON_GetArraySize(list));
  int p = 0;
  for (const cJSON *item = list->child; item; item = item->next, p++) {
    char point_key[WHERE_SIZE];
    where_index(point_key, key, p);
    if (!read_point(item, point_key, m->points_mm[p], err))
      return false;
  }
  return true;
}

/* Keys a newer version adds to a measurement are read past: VpPlanMeasurement
 * is a plain value the views copy freely, so it has no place to keep them. */
static bool read_measurement(const cJSON *obj, const char *where, VpPlanMeasurement *m,
                             VpError *err)
{
  static const char *const known[] = {"kind", "points_mm", NULL};
  if (!cJSON_IsObject(obj))
    return type_error(err, where, _("an object"), obj);
  cJSON *unknown = NULL;
  bool ok = take_unknown(obj, where, known, &unknown, err); /* refuses a key given twice */
  cJSON_Delete(unknown);
  return ok && read_measurement_kind(obj, where, m, err) &&
         read_measurement_points(obj, where, m, err);
}

static bool read_measurements(const cJSON *root, VpPlan *plan, VpError *err)
{
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "measurements");
  if (!list || cJSON_IsNull(list))
    return true; /* older plans have none */
  if (!cJSON_IsArray(list))
    return type_error(err, "measurements", _("a list"), list);
  if (cJSON_GetArraySize(list) > VP_PLAN_MAX_MEASUREMENTS)
    return vp_error_set(err, VP_ERR_LIMIT,
                        _("\"measurements\" holds %d measurements; a plan holds at most %d"),
                        cJSON_GetArraySize(list), VP_PLAN_MAX_MEASUREMENTS);
  for (const cJSON *item = list->child; item; item = item->next) {
    char where[WHERE_SIZE];
    snprintf(where, sizeof where, "measurements[%zu]", plan->measurement_count);
    VpPlanMeasurement *m = measurements_append(plan);
    if (!m)
      return vp_error_set(err, VP_ERR_NOMEM, _("out of memory reading the plan"));
    if (!read_measurement(item, where, m, err))
      return false;
  }
  return true;
}

/* ---- "anatomy" ---- */

static bool adjustment_values_zero(const double values[3])
{
  return values[0] == 0.0 && values[1] == 0.0 && values[2] == 0.0;
}

/* One of the three numbers of a frame correction, finite and within ±limit. */
static bool read_adjustment_number(const cJSON *item, const char *where, double limit,
                                   const char *unit, double *out, VpError *err)
{
  if (!cJSON_IsNumber(item))
    return type_error(err, where, _("a number"), item);
  double d = item->valuedouble;
  if (!isfinite(d) || fabs(d) > limit)
    return vp_error_set(err, VP_ERR_FORMAT, _("\"%s\" must be a number from %g to %g %s, not %g"),
                        where, -limit, limit, unit, d);
  *out = d;
  return true;
}

/* obj.key: a list of three numbers (left, anterior, superior). */
static bool read_adjustment_triple(const cJSON *obj, const char *parent, const char *key,
                                   double limit, const char *unit, double out[3], VpError *err)
{
  char where[WHERE_SIZE];
  where_key(where, parent, key);
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!list)
    return missing_error(err, where);
  if (!cJSON_IsArray(list))
    return type_error(err, where, _("a list of three numbers"), list);
  if (cJSON_GetArraySize(list) != 3)
    return vp_error_set(err, VP_ERR_FORMAT,
                        _("\"%s\" must hold three numbers (left, anterior, superior), not %d"),
                        where, cJSON_GetArraySize(list));
  int axis = 0;
  for (const cJSON *item = list->child; item; item = item->next, axis++) {
    char item_where[WHERE_SIZE];
    where_index(item_where, where, axis);
    if (!read_adjustment_number(item, item_where, limit, unit, &out[axis], err))
      return false;
  }
  return true;
}

static bool read_frame_adjustment(const cJSON *anatomy, VpPlanAnatomy *out, VpError *err)
{
  static const char *const known[] = {"rotation_deg", "offset_mm", NULL};
  const char *where = "anatomy.frame_adjustment";
  const cJSON *obj = cJSON_GetObjectItemCaseSensitive(anatomy, "frame_adjustment");
  if (!obj || cJSON_IsNull(obj))
    return true;
  if (!cJSON_IsObject(obj))
    return type_error(err, where, _("an object"), obj);
  cJSON *unknown = NULL;
  bool ok = take_unknown(obj, where, known, &unknown, err); /* refuses a key given twice */
  cJSON_Delete(unknown);
  VpPlanAnatomy read = {.has_frame_adjustment = true};
  ok = ok &&
       read_adjustment_triple(obj, where, "rotation_deg", VP_PLAN_MAX_FRAME_ROTATION_DEG,
                              _("degrees"), read.rotation_deg, err) &&
       read_adjustment_triple(obj, where, "offset_mm", VP_PLAN_MAX_FRAME_OFFSET_MM, "mm",
                              read.offset_mm, err);
  /* All zeros is no correction, as vp_plan_set_frame_adjustment() stores it. */
  bool identity = adjustment_values_zero(read.rotation_deg) && adjustment_values_zero(read.offset_mm);
  if (ok && !identity)
    *out = read;
  return ok;
}

/* Keys a newer version adds inside "anatomy" are read past, as within a
 * measurement: VpPlanAnatomy is a plain value with no place to keep them. */
static bool read_anatomy(const cJSON *root, VpPlan *plan, VpError *err)
{
  static const char *const known[] = {"frame_adjustment", NULL};
  const cJSON *obj = cJSON_GetObjectItemCaseSensitive(root, "anatomy");
  if (!obj || cJSON_IsNull(obj))
    return true; /* older plans have none */
  if (!cJSON_IsObject(obj))
    return type_error(err, "anatomy", _("an object"), obj);
  cJSON *unknown = NULL;
  bool ok = take_unknown(obj, "anatomy", known, &unknown, err);
  cJSON_Delete(unknown);
  return ok && read_frame_adjustment(obj, &plan->anatomy, err);
}

static bool check_format(const cJSON *root, VpError *err)
{
  const cJSON *format = cJSON_GetObjectItemCaseSensitive(root, "format");
  if (!format)
    return vp_error_set(err, VP_ERR_FORMAT,
                        _("not a Vertebra Planner plan: the key \"format\" is missing"));
  if (!cJSON_IsString(format))
    return type_error(err, "format", _("text"), format);
  if (strcmp(format->valuestring, VP_PLAN_FORMAT_NAME) != 0)
    return vp_error_set(err, VP_ERR_FORMAT,
                        _("not a Vertebra Planner plan: \"format\" is \"%.*s\", expected \"%s\""),
                        utf8_is_valid(format->valuestring) ? utf8_prefix_bytes(format->valuestring, 40) : 0,
                        format->valuestring, VP_PLAN_FORMAT_NAME);
  return true;
}

/* Checked before anything else, so a plan from a newer version gets this
 * message rather than a complaint about a key whose meaning changed. */
static bool check_version(const cJSON *root, int *version, VpError *err)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, "version");
  double v = 0;
  if (!item)
    return missing_error(err, "version");
  if (!read_whole(item, "version", 1, JSON_MAX_EXACT_INTEGER, &v, err))
    return false;
  if (v > VP_PLAN_FORMAT_VERSION)
    return vp_error_set(err, VP_ERR_FORMAT,
                        _("this plan was made by a newer version of Vertebra Planner (format %.0f); "
                          "this version reads up to %d. Update Vertebra Planner to open it."),
                        v, VP_PLAN_FORMAT_VERSION);
  *version = (int)v;
  return true;
}

static VpPlan *plan_from_root(const cJSON *root, const char *base_dir, VpError *err)
{
  static const char *const known[] = {"format", "version", "created_with", "case",
                                      "measurements", "anatomy", NULL};
  int version = 0;
  if (!check_format(root, err) || !check_version(root, &version, err))
    return NULL;
  VpPlan *plan = plan_alloc(NULL);
  if (!plan) {
    vp_error_set(err, VP_ERR_NOMEM, _("out of memory reading the plan"));
    return NULL;
  }
  plan->format_version = version;
  char *created_with = NULL;
  bool ok = take_unknown(root, "", known, &plan->unknown, err) &&
            read_text(root, "", "created_with", false, &created_with, err) &&
            read_case(root, base_dir, &plan->case_info, err) &&
            read_measurements(root, plan, err) && read_anatomy(root, plan, err);
  if (created_with) {
    free(plan->created_with);
    plan->created_with = created_with;
  }
  if (!ok) {
    vp_plan_free(plan);
    return NULL;
  }
  return plan;
}

VpPlan *vp_plan_from_json(const char *text, const char *base_dir, VpError *err)
{
  if (strncmp(text, "\xEF\xBB\xBF", 3) == 0) /* a byte-order mark some editors add */
    text += 3;
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithOpts(text, &end, true);
  if (!root) {
    syntax_error(err, text, end);
    return NULL;
  }
  VpPlan *plan = NULL;
  if (!cJSON_IsObject(root))
    vp_error_set(err, VP_ERR_FORMAT, _("not a Vertebra Planner plan: the text is %s, not an object"),
                 json_type_name(root));
  else
    plan = plan_from_root(root, base_dir, err);
  cJSON_Delete(root);
  return plan;
}

/* ======================================================================
 * Writing the document: known keys first, in a fixed order, then the keys
 * a newer version wrote.
 * ====================================================================== */

/* Appends copies of the unknown keys, except those this version writes itself. */
static bool append_unknown(cJSON *obj, const cJSON *unknown, const char *const *written)
{
  if (!unknown)
    return true;
  for (const cJSON *child = unknown->child; child; child = child->next) {
    size_t index;
    if (key_is_known(child->string, written, &index))
      continue;
    cJSON *copy = cJSON_Duplicate(child, true);
    if (!copy || !cJSON_AddItemToObject(obj, child->string ? child->string : "", copy)) {
      cJSON_Delete(copy);
      return false;
    }
  }
  return true;
}

/* The path as stored: relative to base_dir (absolute, normalised). */
static char *stored_path(const char *path, const char *base_dir)
{
  if (!base_dir || path[0] != '/')
    return strdup(path);
  char *abs = path_absolute(path);
  char *out = abs ? path_relative(abs, base_dir) : NULL;
  free(abs);
  return out;
}

static cJSON *source_to_json(const VpPlanSource *s, const char *base_dir)
{
  static const char *const written[] = {"role", "path", "sha256", "size_bytes", NULL};
  const char *role = vp_source_role_name(s->role);
  char *path = stored_path(s->path ? s->path : "", base_dir);
  cJSON *obj = path ? cJSON_CreateObject() : NULL;
  bool ok = obj && (!role || cJSON_AddStringToObject(obj, "role", role)) &&
            cJSON_AddStringToObject(obj, "path", path) &&
            cJSON_AddStringToObject(obj, "sha256", s->sha256) &&
            cJSON_AddNumberToObject(obj, "size_bytes", (double)s->size_bytes) &&
            append_unknown(obj, s->unknown, role ? written : written + 1);
  free(path);
  if (!ok) {
    cJSON_Delete(obj);
    return NULL;
  }
  return obj;
}

static bool add_sources(cJSON *obj, const VpPlanCase *c, const char *base_dir)
{
  cJSON *list = cJSON_AddArrayToObject(obj, "sources");
  for (size_t i = 0; list && i < c->source_count; i++) {
    cJSON *item = source_to_json(&c->sources[i], base_dir);
    if (!item || !cJSON_AddItemToArray(list, item)) {
      cJSON_Delete(item);
      return false;
    }
  }
  return list != NULL;
}

static bool add_copy(cJSON *obj, const char *key, const cJSON *value)
{
  cJSON *copy = cJSON_Duplicate(value, true);
  if (copy && cJSON_AddItemToObject(obj, key, copy))
    return true;
  cJSON_Delete(copy);
  return false;
}

static cJSON *case_to_json(const VpPlanCase *c, const char *base_dir)
{
  static const char *const written[] = {"name",    "level",         "label",   "sources",
                                        "notes",   "teaching_note", "phantom", NULL};
  cJSON *obj = cJSON_CreateObject();
  bool ok = obj && cJSON_AddStringToObject(obj, "name", c->name ? c->name : "") &&
            (c->level[0] ? cJSON_AddStringToObject(obj, "level", c->level)
                         : cJSON_AddNullToObject(obj, "level")) &&
            (c->label != VP_PLAN_LABEL_NONE ? cJSON_AddNumberToObject(obj, "label", c->label)
                                            : cJSON_AddNullToObject(obj, "label")) &&
            add_sources(obj, c, base_dir) &&
            (!c->notes || cJSON_AddStringToObject(obj, "notes", c->notes)) &&
            (!c->teaching_note ||
             cJSON_AddStringToObject(obj, "teaching_note", c->teaching_note)) &&
            (!c->phantom || add_copy(obj, "phantom", c->phantom)) &&
            append_unknown(obj, c->unknown, written);
  if (!ok) {
    cJSON_Delete(obj);
    return NULL;
  }
  return obj;
}

/* A JSON number that reads back as exactly d: cJSON's own printing accepts
 * 15 digits that come back within an epsilon, which would move a point by
 * a last bit on every save. Fewest digits first, so 0.5 stays "0.5". */
bool vp_plan_format_number(double d, char buf[VP_PLAN_NUMBER_SIZE])
{
  if (!isfinite(d))
    return false;
  for (int digits = 15; digits <= 17; digits++) {
    snprintf(buf, VP_PLAN_NUMBER_SIZE, "%.*g", digits, d);
    if (strtod(buf, NULL) == d) /* both in the same locale */
      break;
  }
  /* JSON wants '.', whatever the locale's decimal point (one byte or more). */
  const char *point = localeconv()->decimal_point;
  char *at = point && *point && strcmp(point, ".") != 0 ? strstr(buf, point) : NULL;
  if (at) {
    *at = '.';
    memmove(at + 1, at + strlen(point), strlen(at + strlen(point)) + 1);
  }
  return true;
}

static cJSON *exact_number(double d)
{
  char text[VP_PLAN_NUMBER_SIZE];
  return vp_plan_format_number(d, text) ? cJSON_CreateRaw(text) : cJSON_CreateNumber(d);
}

static cJSON *point_to_json(const double point[3])
{
  cJSON *list = cJSON_CreateArray();
  for (int axis = 0; list && axis < 3; axis++) {
    cJSON *number = exact_number(point[axis]);
    if (!number || !cJSON_AddItemToArray(list, number)) {
      cJSON_Delete(number);
      cJSON_Delete(list);
      return NULL;
    }
  }
  return list;
}

static cJSON *measurement_to_json(const VpPlanMeasurement *m)
{
  cJSON *obj = cJSON_CreateObject();
  cJSON *points = obj && cJSON_AddStringToObject(obj, "kind", kind_names[m->kind])
                      ? cJSON_AddArrayToObject(obj, "points_mm")
                      : NULL;
  bool ok = points != NULL;
  for (int p = 0; ok && p < kind_point_count(m->kind); p++) {
    cJSON *point = point_to_json(m->points_mm[p]);
    ok = point && cJSON_AddItemToArray(points, point);
    if (!ok)
      cJSON_Delete(point);
  }
  if (!ok) {
    cJSON_Delete(obj);
    return NULL;
  }
  return obj;
}

/* Written only when there are any, so a plan without measurements reads
 * exactly as plans did before they existed. */
static bool add_measurements(cJSON *root, const VpPlan *plan)
{
  if (plan->measurement_count == 0)
    return true;
  cJSON *list = cJSON_AddArrayToObject(root, "measurements");
  for (size_t i = 0; list && i < plan->measurement_count; i++) {
    cJSON *item = measurement_to_json(&plan->measurements[i]);
    if (!item || !cJSON_AddItemToArray(list, item)) {
      cJSON_Delete(item);
      return false;
    }
  }
  return list != NULL;
}

/* Written only when the user has corrected the frame, so a plan without a
 * correction reads exactly as plans did before anatomy existed. */
static bool add_anatomy(cJSON *root, const VpPlan *plan)
{
  const VpPlanAnatomy *a = &plan->anatomy;
  if (!a->has_frame_adjustment)
    return true;
  cJSON *anatomy = cJSON_AddObjectToObject(root, "anatomy");
  cJSON *adjustment = anatomy ? cJSON_AddObjectToObject(anatomy, "frame_adjustment") : NULL;
  if (!adjustment)
    return false;
  cJSON *rotation = point_to_json(a->rotation_deg);
  if (!rotation || !cJSON_AddItemToObject(adjustment, "rotation_deg", rotation)) {
    cJSON_Delete(rotation);
    return false;
  }
  cJSON *offset = point_to_json(a->offset_mm);
  if (!offset || !cJSON_AddItemToObject(adjustment, "offset_mm", offset)) {
    cJSON_Delete(offset);
    return false;
  }
  return true;
}

static cJSON *plan_to_cjson(const VpPlan *plan, const char *base_dir)
{
  static const char *const written[] = {"format", "version", "created_with", "case",
                                        "measurements", "anatomy", NULL};
  cJSON *root = cJSON_CreateObject();
  cJSON *case_obj = root ? case_to_json(&plan->case_info, base_dir) : NULL;
  bool ok = case_obj && cJSON_AddStringToObject(root, "format", VP_PLAN_FORMAT_NAME) &&
            cJSON_AddNumberToObject(root, "version", VP_PLAN_FORMAT_VERSION) &&
            cJSON_AddStringToObject(root, "created_with",
                                    plan->created_with ? plan->created_with : "");
  if (ok && cJSON_AddItemToObject(root, "case", case_obj))
    case_obj = NULL; /* now owned by root */
  else
    ok = false;
  ok = ok && add_measurements(root, plan) && add_anatomy(root, plan) &&
       append_unknown(root, plan->unknown, written);
  cJSON_Delete(case_obj);
  if (!ok) {
    cJSON_Delete(root);
    return NULL;
  }
  return root;
}

/* Copies cJSON's text into our own allocation, since cJSON's allocator can
 * be replaced and callers free with free(). */
static char *print_with_newline(const cJSON *root)
{
  char *printed = cJSON_Print(root);
  if (!printed)
    return NULL;
  size_t n = strlen(printed);
  char *text = malloc(n + 2);
  if (text) {
    memcpy(text, printed, n);
    memcpy(text + n, "\n", 2);
  }
  cJSON_free(printed);
  return text;
}

char *vp_plan_to_json(const VpPlan *plan, const char *base_dir, VpError *err)
{
  char *base = base_dir ? path_absolute(base_dir) : NULL;
  cJSON *root = base || !base_dir ? plan_to_cjson(plan, base) : NULL;
  char *text = root ? print_with_newline(root) : NULL;
  cJSON_Delete(root);
  free(base);
  if (!text)
    vp_error_set(err, VP_ERR_NOMEM, _("out of memory writing the plan"));
  return text;
}

/* ======================================================================
 * Plan files
 * ====================================================================== */

VpSourceState vp_plan_source_check(const VpPlanSource *source)
{
  struct stat st;
  if (!source->path || stat(source->path, &st) != 0)
    return !source->path || errno == ENOENT || errno == ENOTDIR ? VP_SOURCE_MISSING
                                                                 : VP_SOURCE_UNREADABLE;
  if (!S_ISREG(st.st_mode))
    return VP_SOURCE_UNREADABLE;
  if ((uint64_t)st.st_size != source->size_bytes) /* no need to read it all */
    return VP_SOURCE_CHANGED;
  uint8_t digest[VP_SHA256_DIGEST_SIZE];
  char hex[VP_SHA256_HEX_SIZE];
  if (!vp_sha256_file(source->path, digest, NULL, NULL))
    return VP_SOURCE_UNREADABLE;
  vp_sha256_hex(digest, hex);
  return strcmp(hex, source->sha256) == 0 ? VP_SOURCE_FOUND : VP_SOURCE_CHANGED;
}

void vp_plan_load_report_clear(VpPlanLoadReport *report)
{
  if (!report)
    return;
  free(report->source_states);
  memset(report, 0, sizeof *report);
}

static bool report_fill(VpPlanLoadReport *report, const VpPlan *plan, VpError *err)
{
  size_t n = plan->case_info.source_count;
  report->source_states = calloc(n ? n : 1, sizeof *report->source_states);
  if (!report->source_states)
    return vp_error_set(err, VP_ERR_NOMEM, _("out of memory checking the plan's files"));
  report->source_count = n;
  for (size_t i = 0; i < n; i++) {
    VpSourceState state = vp_plan_source_check(&plan->case_info.sources[i]);
    report->source_states[i] = state;
    report->missing_count += state == VP_SOURCE_MISSING;
    report->changed_count += state == VP_SOURCE_CHANGED;
    report->unreadable_count += state == VP_SOURCE_UNREADABLE;
  }
  return true;
}

bool vp_plan_save(const VpPlan *plan, const char *path, VpError *err)
{
  char *base = path && *path ? path_parent_absolute(path) : NULL;
  if (!base)
    return vp_error_set(err, VP_ERR_INVALID, _("could not save: \"%s\" is not a file name"),
                        path ? path : "");
  char *text = vp_plan_to_json(plan, base, err);
  bool ok = text && vp_file_write_atomic(path, text, strlen(text), err);
  free(text);
  free(base);
  return ok;
}

/* Parses text read from path, whose folder anchors relative source paths. */
static VpPlan *plan_from_file_text(const char *path, const char *text, size_t size, VpError *err)
{
  const char *nul = memchr(text, '\0', size);
  char *base = nul ? NULL : path_parent_absolute(path);
  VpPlan *plan = NULL;
  if (nul)
    position_error(err, text, (size_t)(nul - text),
                   N_("the file holds a NUL byte, so it is not a plan file"));
  else if (!base)
    vp_error_set(err, VP_ERR_NOMEM, _("out of memory reading the plan"));
  else
    plan = vp_plan_from_json(text, base, err);
  free(base);
  if (!plan)
    vp_error_prefix(err, "%s", path);
  return plan;
}

VpPlan *vp_plan_load(const char *path, VpPlanLoadReport *report, VpError *err)
{
  if (report)
    memset(report, 0, sizeof *report);
  size_t size = 0;
  char *text = vp_file_read_all(path, VP_PLAN_MAX_FILE_BYTES, &size, err);
  if (!text)
    return NULL;
  VpPlan *plan = plan_from_file_text(path, text, size, err);
  free(text);
  if (plan && report && !report_fill(report, plan, err)) {
    vp_plan_free(plan);
    return NULL;
  }
  return plan;
}

/* ======================================================================
 * Copies and comparison
 * ====================================================================== */

static bool copy_text(const char *from, char **to)
{
  *to = from ? strdup(from) : NULL;
  return !from || *to;
}

static bool copy_json(const cJSON *from, cJSON **to)
{
  *to = from ? cJSON_Duplicate(from, true) : NULL;
  return !from || *to;
}

static bool copy_source(const VpPlanSource *from, VpPlanSource *to)
{
  *to = *from;
  to->path = NULL;
  to->unknown = NULL;
  return copy_text(from->path, &to->path) && copy_json(from->unknown, &to->unknown);
}

static bool copy_case(const VpPlanCase *from, VpPlanCase *to)
{
  *to = *from;
  to->name = to->notes = to->teaching_note = NULL;
  to->sources = NULL;
  to->source_count = 0;
  to->unknown = to->phantom = NULL;
  if (!copy_text(from->name, &to->name) || !copy_text(from->notes, &to->notes) ||
      !copy_text(from->teaching_note, &to->teaching_note) ||
      !copy_json(from->unknown, &to->unknown) || !copy_json(from->phantom, &to->phantom))
    return false;
  for (size_t i = 0; i < from->source_count; i++) {
    VpPlanSource *s = sources_append(to);
    if (!s || !copy_source(&from->sources[i], s))
      return false;
  }
  return true;
}

/* Field by field rather than through JSON text, so the copy is exact even
 * where the text is not (a -0 coordinate, an infinite number in a key of a
 * newer version) and no path is touched. */
VpPlan *vp_plan_copy(const VpPlan *plan, VpError *err)
{
  VpPlan *copy = calloc(1, sizeof *copy);
  bool ok = copy != NULL;
  if (ok) {
    copy->format_version = plan->format_version;
    copy->anatomy = plan->anatomy; /* a plain value */
    ok = copy_text(plan->created_with, &copy->created_with) &&
         copy_case(&plan->case_info, &copy->case_info) && copy_json(plan->unknown, &copy->unknown);
  }
  for (size_t i = 0; ok && i < plan->measurement_count; i++) {
    VpPlanMeasurement *m = measurements_append(copy);
    if (m)
      *m = plan->measurements[i];
    ok = m != NULL;
  }
  if (!ok) {
    vp_plan_free(copy);
    vp_error_set(err, VP_ERR_NOMEM, _("out of memory copying the plan"));
    return NULL;
  }
  return copy;
}

bool vp_plan_equal(const VpPlan *a, const VpPlan *b)
{
  if (a == b)
    return true;
  char *text_a = vp_plan_to_json(a, NULL, NULL);
  char *text_b = text_a ? vp_plan_to_json(b, NULL, NULL) : NULL;
  /* Out of memory counts as different: a caller then keeps both. */
  bool equal = text_a && text_b && strcmp(text_a, text_b) == 0;
  free(text_a);
  free(text_b);
  return equal;
}

/* ======================================================================
 * The anatomical frame's correction
 * ====================================================================== */

static bool adjustment_values_valid(const double values[3], double limit)
{
  for (int axis = 0; axis < 3; axis++)
    if (!isfinite(values[axis]) || fabs(values[axis]) > limit)
      return false;
  return true;
}

bool vp_plan_set_frame_adjustment(VpPlan *plan, const double rotation_deg[3],
                                  const double offset_mm[3], VpError *err)
{
  if (!adjustment_values_valid(rotation_deg, VP_PLAN_MAX_FRAME_ROTATION_DEG))
    return vp_error_set(err, VP_ERR_INVALID,
                        _("the frame's turns must be finite and within ±%g degrees"),
                        VP_PLAN_MAX_FRAME_ROTATION_DEG);
  if (!adjustment_values_valid(offset_mm, VP_PLAN_MAX_FRAME_OFFSET_MM))
    return vp_error_set(err, VP_ERR_INVALID,
                        _("the frame's shifts must be finite and within ±%g mm"),
                        VP_PLAN_MAX_FRAME_OFFSET_MM);
  VpPlanAnatomy *a = &plan->anatomy;
  memset(a, 0, sizeof *a);
  /* -0 counts as zero, and is stored as +0 so equal plans stay equal. */
  if (adjustment_values_zero(rotation_deg) && adjustment_values_zero(offset_mm))
    return true;
  a->has_frame_adjustment = true;
  for (int axis = 0; axis < 3; axis++) {
    a->rotation_deg[axis] = rotation_deg[axis] + 0.0;
    a->offset_mm[axis] = offset_mm[axis] + 0.0;
  }
  return true;
}
