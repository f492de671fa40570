/* Phantom parameter files: a level, its pathology and named overrides as
 * JSON, read strictly so a misspelt key is reported, not ignored. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vp-fileutil.h"
#include "vp-intl-private.h"
#include "vp-phantom.h"

#define FILE_VERSION 1
#define MAX_EXACT 9007199254740992.0 /* 2^53 */

static bool type_error(VpError *err, const char *key, const char *expected)
{
  return vp_error_set(err, VP_ERR_FORMAT, _("\"%s\" must be %s"), key, expected);
}

static bool only_known_keys(const cJSON *obj, const char *where, const char *const *known,
                            VpError *err)
{
  for (const cJSON *c = obj->child; c; c = c->next) {
    size_t i = 0;
    while (known[i] && strcmp(known[i], c->string ? c->string : "") != 0)
      i++;
    if (!known[i])
      return vp_error_set(err, VP_ERR_FORMAT, _("unknown key \"%.60s\" in %s"),
                          c->string ? c->string : "", where);
  }
  return true;
}

static bool read_choice(const cJSON *item, const char *key, bool (*from_name)(const char *, int *),
                        int *out, VpError *err)
{
  if (!cJSON_IsString(item) || !from_name(item->valuestring, out))
    return vp_error_set(err, VP_ERR_FORMAT, _("\"%s\" is not one of the names it accepts"), key);
  return true;
}

/* Adapters from the typed name functions to read_choice. */
static bool fracture_from(const char *n, int *o)
{
  VpFractureShape v;
  bool ok = vp_fracture_shape_from_name(n, &v);
  *o = (int)v;
  return ok;
}

static bool lesion_from(const char *n, int *o)
{
  VpLesionKind v;
  bool ok = vp_lesion_kind_from_name(n, &v);
  *o = (int)v;
  return ok;
}

static bool breach_from(const char *n, int *o)
{
  VpBreachSite v;
  bool ok = vp_breach_site_from_name(n, &v);
  *o = (int)v;
  return ok;
}

static bool endplate_from(const char *n, int *o)
{
  VpEndplateSide v;
  bool ok = vp_endplate_side_from_name(n, &v);
  *o = (int)v;
  return ok;
}

static bool read_bool(const cJSON *obj, const char *key, bool *out, VpError *err)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!item)
    return true;
  if (!cJSON_IsBool(item))
    return type_error(err, key, _("true or false"));
  *out = cJSON_IsTrue(item);
  return true;
}

static bool read_fracture(const cJSON *obj, VpPhantomParams *p, VpError *err)
{
  static const char *const known[] = {"shape", "genant_grade", NULL};
  const cJSON *f = cJSON_GetObjectItemCaseSensitive(obj, "fracture");
  if (!f || cJSON_IsNull(f))
    return true;
  if (!cJSON_IsObject(f))
    return type_error(err, "fracture", _("an object with \"shape\" and \"genant_grade\""));
  int shape = 0;
  const cJSON *grade = cJSON_GetObjectItemCaseSensitive(f, "genant_grade");
  if (!only_known_keys(f, "\"fracture\"", known, err) ||
      !read_choice(cJSON_GetObjectItemCaseSensitive(f, "shape"), "fracture.shape", fracture_from,
                   &shape, err))
    return false;
  if (!cJSON_IsNumber(grade) || grade->valuedouble != floor(grade->valuedouble))
    return type_error(err, "fracture.genant_grade", _("a whole number from 1 to 3"));
  return vp_phantom_params_set_fracture(p, (VpFractureShape)shape, (int)grade->valuedouble, err);
}

static bool read_center(const cJSON *item, const char *key, VpVec3 *out, VpError *err)
{
  double v[3];
  if (!cJSON_IsArray(item) || cJSON_GetArraySize(item) != 3)
    return type_error(err, key, _("a list of three numbers (mm)"));
  for (int i = 0; i < 3; i++) {
    const cJSON *n = cJSON_GetArrayItem(item, i);
    if (!cJSON_IsNumber(n))
      return type_error(err, key, _("a list of three numbers (mm)"));
    v[i] = n->valuedouble;
  }
  *out = vp_vec3(v[0], v[1], v[2]);
  return true;
}

static bool read_lesion(const cJSON *obj, const char *where, VpPhantomParams *p, VpError *err)
{
  static const char *const known[] = {"kind", "center_mm", "radius_mm", "hu", "breach", NULL};
  char key[64];
  if (!cJSON_IsObject(obj))
    return type_error(err, where, _("an object"));
  VpPhantomLesion l = {.hu = NAN};
  int kind = 0, breach = 0;
  const cJSON *radius = cJSON_GetObjectItemCaseSensitive(obj, "radius_mm");
  const cJSON *hu = cJSON_GetObjectItemCaseSensitive(obj, "hu");
  const cJSON *site = cJSON_GetObjectItemCaseSensitive(obj, "breach");
  snprintf(key, sizeof key, "%s.center_mm", where);
  if (!only_known_keys(obj, where, known, err) ||
      !read_choice(cJSON_GetObjectItemCaseSensitive(obj, "kind"), "lesion kind", lesion_from, &kind,
                   err) ||
      !read_center(cJSON_GetObjectItemCaseSensitive(obj, "center_mm"), key, &l.center_mm, err) ||
      (site && !cJSON_IsNull(site) &&
       !read_choice(site, "lesion breach", breach_from, &breach, err)))
    return false;
  snprintf(key, sizeof key, "%s.radius_mm", where);
  if (!cJSON_IsNumber(radius))
    return type_error(err, key, _("a number (mm)"));
  snprintf(key, sizeof key, "%s.hu", where);
  if (hu && !cJSON_IsNull(hu) && !cJSON_IsNumber(hu))
    return type_error(err, key, _("a number (HU)"));
  l.kind = (VpLesionKind)kind;
  l.breach = (VpBreachSite)breach;
  l.radius_mm = radius->valuedouble;
  l.hu = cJSON_IsNumber(hu) ? hu->valuedouble : NAN;
  return vp_phantom_params_add_lesion(p, &l, err);
}

static bool read_lesions(const cJSON *obj, VpPhantomParams *p, VpError *err)
{
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(obj, "lesions");
  if (!list || cJSON_IsNull(list))
    return true;
  if (!cJSON_IsArray(list))
    return type_error(err, "lesions", _("a list"));
  int i = 0;
  for (const cJSON *item = list->child; item; item = item->next, i++) {
    char where[32];
    snprintf(where, sizeof where, "lesions[%d]", i);
    if (!read_lesion(item, where, p, err))
      return false;
  }
  return true;
}

static bool read_parameters(const cJSON *obj, VpPhantomParams *p, VpError *err)
{
  const cJSON *params = cJSON_GetObjectItemCaseSensitive(obj, "parameters");
  if (!params || cJSON_IsNull(params))
    return true;
  if (!cJSON_IsObject(params))
    return type_error(err, "parameters", _("an object of names and numbers"));
  for (const cJSON *c = params->child; c; c = c->next) {
    /* null means "automatic" for the parameters that have an automatic value */
    double v = cJSON_IsNull(c) ? NAN : c->valuedouble;
    char key[96];
    snprintf(key, sizeof key, "parameters.%.80s", c->string ? c->string : "");
    if (!cJSON_IsNumber(c) && !cJSON_IsNull(c))
      return type_error(err, key, _("a number"));
    if (!vp_phantom_params_set(p, c->string, v, err))
      return false;
  }
  return true;
}

static bool read_seed(const cJSON *obj, VpPhantomParams *p, VpError *err)
{
  const cJSON *seed = cJSON_GetObjectItemCaseSensitive(obj, "seed");
  if (!seed)
    return true;
  double v = cJSON_IsNumber(seed) ? seed->valuedouble : -1.0;
  if (v < 0.0 || v > MAX_EXACT || v != floor(v))
    return type_error(err, "seed", _("a whole number of 0 or more"));
  p->seed = (uint64_t)v;
  return true;
}

static bool read_head(const cJSON *root, VpPhantomParams *p, char *case_id, VpError *err)
{
  const cJSON *format = cJSON_GetObjectItemCaseSensitive(root, "format");
  const cJSON *version = cJSON_GetObjectItemCaseSensitive(root, "version");
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "id");
  const cJSON *level = cJSON_GetObjectItemCaseSensitive(root, "level");
  if (!cJSON_IsString(format) || strcmp(format->valuestring, VP_PHANTOM_FILE_FORMAT) != 0)
    return vp_error_set(err, VP_ERR_FORMAT,
                        _("not a phantom parameter file: \"format\" must be \"%s\""),
                        VP_PHANTOM_FILE_FORMAT);
  if (version && (!cJSON_IsNumber(version) || version->valuedouble > FILE_VERSION))
    return vp_error_set(err, VP_ERR_FORMAT,
                        _("this phantom file needs a newer version of Vertebra Planner "
                          "(it reads format version %d)"),
                        FILE_VERSION);
  if (id && (!cJSON_IsString(id) || strlen(id->valuestring) >= VP_PHANTOM_CASE_ID_SIZE))
    return type_error(err, "id", _("text of at most 63 characters"));
  if (case_id)
    snprintf(case_id, VP_PHANTOM_CASE_ID_SIZE, "%s", id ? id->valuestring : "");
  if (!cJSON_IsString(level))
    return type_error(err, "level", _("a level such as \"L1\" or \"T12\""));
  return vp_phantom_params_init(p, level->valuestring, err);
}

static bool read_root(const cJSON *root, VpPhantomParams *p, char *case_id, VpError *err)
{
  static const char *const known[] = {"format",   "version",      "id",         "level",
                                      "fracture", "osteoporotic", "cleft",      "endplate_break",
                                      "lesions",  "seed",         "parameters", NULL};
  if (!cJSON_IsObject(root))
    return vp_error_set(err, VP_ERR_FORMAT, _("not a phantom parameter file: no JSON object"));
  const cJSON *endplate = cJSON_GetObjectItemCaseSensitive(root, "endplate_break");
  int side = 0;
  if (!read_head(root, p, case_id, err) ||
      !only_known_keys(root, _("the phantom file"), known, err) || !read_fracture(root, p, err) ||
      !read_bool(root, "osteoporotic", &p->osteoporotic, err) ||
      !read_bool(root, "cleft", &p->cleft, err) ||
      (endplate && !read_choice(endplate, "endplate_break", endplate_from, &side, err)) ||
      !read_lesions(root, p, err) || !read_seed(root, p, err))
    return false;
  p->endplate_break = (VpEndplateSide)side;
  return read_parameters(root, p, err);
}

bool vp_phantom_params_from_json(const char *text, VpPhantomParams *params,
                                 char case_id[VP_PHANTOM_CASE_ID_SIZE], VpError *err)
{
  cJSON *root = cJSON_Parse(text);
  if (!root)
    return vp_error_set(err, VP_ERR_FORMAT, _("the phantom file is not valid JSON"));
  bool ok = read_root(root, params, case_id, err);
  cJSON_Delete(root);
  return ok;
}

bool vp_phantom_params_load(const char *path, VpPhantomParams *params,
                            char case_id[VP_PHANTOM_CASE_ID_SIZE], VpError *err)
{
  size_t size = 0;
  char *text = vp_file_read_all(path, VP_PHANTOM_MAX_FILE_BYTES, &size, err);
  bool ok = text && vp_phantom_params_from_json(text, params, case_id, err);
  if (!ok)
    vp_error_prefix(err, "%s", path);
  free(text);
  return ok;
}
