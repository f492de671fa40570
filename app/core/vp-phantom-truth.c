/* The ground truth of a phantom as JSON ("case.phantom" of its plan), and
 * writing a phantom as a case: surface, CT, mask, part map and plan. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vp-config.h"
#include "vp-intl-private.h"
#include "vp-phantom-private.h"
#include "vp-plan.h"

/* Rounded so the JSON reads like measurements and stays stable. */
static double rounded(double v, int decimals)
{
  double scale = pow(10.0, decimals);
  return round(v * scale) / scale;
}

static cJSON *vec_json(VpVec3 v, int decimals)
{
  const double xyz[3] = {rounded(v.x, decimals), rounded(v.y, decimals), rounded(v.z, decimals)};
  return cJSON_CreateDoubleArray(xyz, 3);
}

/* Adds a new item; false when it could not be made (out of memory). */
static bool add(cJSON *obj, const char *key, cJSON *item)
{
  if (item && cJSON_AddItemToObject(obj, key, item))
    return true;
  cJSON_Delete(item);
  return false;
}

static bool add_number(cJSON *obj, const char *key, double v, int decimals)
{
  return add(obj, key, cJSON_CreateNumber(rounded(v, decimals)));
}

static cJSON *matrix_json(VpMat4 m)
{
  cJSON *rows = cJSON_CreateArray();
  for (int r = 0; rows && r < 4; r++) {
    const double row[4] = {m.m[r][0], m.m[r][1], m.m[r][2], m.m[r][3]};
    if (!cJSON_AddItemToArray(rows, cJSON_CreateDoubleArray(row, 4))) {
      cJSON_Delete(rows);
      return NULL;
    }
  }
  return rows;
}

static cJSON *parameters_json(const VpPhantomParams *p)
{
  cJSON *obj = cJSON_CreateObject();
  for (size_t i = 0; obj && i < vp_phantom_param_count(); i++) {
    const VpPhantomParamInfo *info = vp_phantom_param_info(i);
    double value = 0.0;
    vp_phantom_params_get(p, info->name, &value);
    cJSON *entry = cJSON_CreateObject();
    bool ok = entry && add_number(entry, "value", value, 4) &&
              cJSON_AddStringToObject(entry, "unit", info->unit) &&
              cJSON_AddStringToObject(entry, "source", vp_phantom_param_source(p, info->name));
    if (!ok || !add(obj, info->name, entry)) {
      if (!ok)
        cJSON_Delete(entry);
      cJSON_Delete(obj);
      return NULL;
    }
  }
  return obj;
}

static cJSON *fracture_json(const VpPhantom *ph)
{
  const VpPhantomParams *p = &ph->params;
  if (p->fracture == VP_FRACTURE_NONE)
    return cJSON_CreateNull();
  cJSON *obj = cJSON_CreateObject();
  if (obj && cJSON_AddStringToObject(obj, "shape", vp_fracture_shape_name(p->fracture)) &&
      add_number(obj, "genant_grade", p->genant_grade, 0) &&
      add_number(obj, "height_loss_percent", p->height_loss_percent, 2))
    return obj;
  cJSON_Delete(obj);
  return NULL;
}

static cJSON *breach_json(VpBreachSite site, const char *cause, double area)
{
  cJSON *obj = cJSON_CreateObject();
  if (obj && cJSON_AddStringToObject(obj, "site", vp_breach_site_name(site)) &&
      cJSON_AddStringToObject(obj, "cause", cause) && add_number(obj, "area_mm2", area, 1))
    return obj;
  cJSON_Delete(obj);
  return NULL;
}

static cJSON *lesion_json(const VpPhantom *ph, int i)
{
  const VpPhantomLesion *l = &ph->params.lesions[i];
  const VpPhantomTruth *t = &ph->truth;
  double hu = isnan(l->hu) ? phantom_lesion_default_hu(l->kind) : l->hu;
  cJSON *obj = cJSON_CreateObject();
  bool ok = obj && cJSON_AddStringToObject(obj, "kind", vp_lesion_kind_name(l->kind)) &&
            add(obj, "center_mm", vec_json(l->center_mm, 3)) &&
            add(obj, "center_world_mm",
                vec_json(vp_mat4_transform_point(ph->local_to_world, l->center_mm), 3)) &&
            add_number(obj, "radius_mm", l->radius_mm, 3) && add_number(obj, "hu", hu, 1) &&
            add_number(obj, "volume_ml", t->lesion_volume_ml[i], 3) &&
            add(obj, "breach",
                l->breach == VP_BREACH_NONE
                    ? cJSON_CreateNull()
                    : breach_json(l->breach, "lesion", t->lesion_breach[i].area_mm2));
  if (ok)
    return obj;
  cJSON_Delete(obj);
  return NULL;
}

static cJSON *pathology_json(const VpPhantom *ph)
{
  const VpPhantomParams *p = &ph->params;
  cJSON *obj = cJSON_CreateObject(), *lesions = cJSON_CreateArray();
  bool ok =
      obj && lesions && add(obj, "fracture", fracture_json(ph)) &&
      cJSON_AddBoolToObject(obj, "osteoporotic", p->osteoporotic) &&
      cJSON_AddBoolToObject(obj, "cleft", p->cleft) &&
      add_number(obj, "cleft_volume_ml", ph->truth.cleft_volume_ml, 3) &&
      cJSON_AddStringToObject(obj, "endplate_break", vp_endplate_side_name(p->endplate_break)) &&
      add_number(obj, "endplate_break_area_mm2", ph->truth.endplate_break_area_mm2, 1) &&
      add_number(obj, "retropulsion_mm", p->retropulsion_mm, 2);
  for (int i = 0; ok && i < p->lesion_count; i++)
    ok = cJSON_AddItemToArray(lesions, lesion_json(ph, i));
  if (ok && add(obj, "lesions", lesions))
    return obj;
  if (!ok)
    cJSON_Delete(lesions);
  cJSON_Delete(obj);
  return NULL;
}

static cJSON *pedicle_json(const VpPhantom *ph, int side)
{
  const VpPhantomPedicle *pd = &ph->truth.pedicle[side];
  cJSON *obj = cJSON_CreateObject();
  if (obj && add_number(obj, "isthmus_width_mm", pd->width_mm, 3) &&
      add_number(obj, "isthmus_height_mm", pd->height_mm, 3) &&
      add(obj, "isthmus_center_world_mm", vec_json(pd->isthmus_center_mm, 3)) &&
      add(obj, "axis", vec_json(pd->axis, 5)) &&
      add(obj, "width_direction", vec_json(pd->width_direction, 5)) &&
      add_number(obj, "transverse_angle_deg", ph->params.pedicle_transverse_angle_deg, 2) &&
      add_number(obj, "sagittal_angle_deg", ph->params.pedicle_sagittal_angle_deg, 2))
    return obj;
  cJSON_Delete(obj);
  return NULL;
}

static cJSON *heights_json(const VpPhantomTruth *t)
{
  static const char *const names[3] = {"anterior", "middle", "posterior"};
  cJSON *obj = cJSON_CreateObject();
  for (int i = 0; obj && i < 3; i++) {
    cJSON *h = cJSON_CreateObject();
    bool ok = h && add_number(h, "y_mm", t->height_y_mm[i], 3) &&
              add_number(h, "height_mm", t->height_mm[i], 3) &&
              add_number(h, "expected_mm", t->expected_height_mm[i], 3);
    if (!ok || !add(obj, names[i], h)) {
      if (!ok)
        cJSON_Delete(h);
      cJSON_Delete(obj);
      return NULL;
    }
  }
  return obj;
}

static cJSON *breach_sites_json(const VpPhantom *ph)
{
  cJSON *list = cJSON_CreateArray();
  const VpPhantomParams *p = &ph->params;
  bool ok = list != NULL;
  for (int i = 0; ok && i < p->lesion_count; i++)
    if (p->lesions[i].breach != VP_BREACH_NONE)
      ok = cJSON_AddItemToArray(
          list, breach_json(p->lesions[i].breach, "lesion", ph->truth.lesion_breach[i].area_mm2));
  if (ok && p->endplate_break != VP_ENDPLATE_NONE)
    ok = cJSON_AddItemToArray(
        list, breach_json(p->endplate_break == VP_ENDPLATE_SUPERIOR ? VP_BREACH_SUPERIOR
                                                                    : VP_BREACH_INFERIOR,
                          "endplate break", ph->truth.endplate_break_area_mm2));
  if (ok)
    return list;
  cJSON_Delete(list);
  return NULL;
}

static cJSON *measured_json(const VpPhantom *ph)
{
  const VpPhantomTruth *t = &ph->truth;
  cJSON *obj = cJSON_CreateObject(), *pedicles = cJSON_CreateObject(),
        *canal = cJSON_CreateObject();
  bool ok = obj && pedicles && canal && add(pedicles, "left", pedicle_json(ph, 0)) &&
            add(pedicles, "right", pedicle_json(ph, 1)) &&
            add_number(canal, "width_mm", ph->params.canal_width_mm, 3) &&
            add_number(canal, "depth_mm", t->canal_depth_mm, 3) &&
            add_number(canal, "center_y_mm", t->canal_center_y_mm, 3);
  ok = ok && add_number(obj, "vertebra_volume_ml", t->vertebra_volume_ml, 3) &&
       add_number(obj, "body_volume_ml", t->body_volume_ml, 3) &&
       add_number(obj, "body_trabecular_ml", t->body_trabecular_ml, 3) &&
       add_number(obj, "body_cortex_ml", t->body_cortex_ml, 3) &&
       add_number(obj, "posterior_volume_ml", t->posterior_volume_ml, 3) &&
       add(obj, "pedicles", pedicles);
  if (ok)
    pedicles = NULL;
  ok = ok && add(obj, "heights", heights_json(t)) &&
       add_number(obj, "height_loss_percent", t->height_loss_percent, 2) &&
       add_number(obj, "genant_grade", t->genant_grade, 0) && add(obj, "canal", canal);
  if (ok)
    canal = NULL;
  ok = ok && add_number(obj, "trabecular_hu", t->trabecular_hu, 1) &&
       add_number(obj, "cortical_hu", ph->params.cortical_hu, 1) &&
       add(obj, "breach_sites", breach_sites_json(ph));
  cJSON_Delete(pedicles);
  cJSON_Delete(canal);
  if (ok)
    return obj;
  cJSON_Delete(obj);
  return NULL;
}

static cJSON *parts_json(void)
{
  cJSON *obj = cJSON_CreateObject();
  for (int part = 0; obj && part < VP_PART_COUNT; part++) {
    char key[8];
    snprintf(key, sizeof key, "%d", part);
    if (!cJSON_AddStringToObject(obj, key, vp_phantom_part_name((VpPhantomPart)part))) {
      cJSON_Delete(obj);
      return NULL;
    }
  }
  return obj;
}

cJSON *vp_phantom_truth_json(const VpPhantom *ph, VpError *err)
{
  const VpPhantomParams *p = &ph->params;
  char seed[32];
  snprintf(seed, sizeof seed, "%llu", (unsigned long long)p->seed);
  cJSON *root = cJSON_CreateObject();
  bool ok =
      root && add_number(root, "version", VP_PHANTOM_TRUTH_VERSION, 0) &&
      cJSON_AddStringToObject(root, "level", ph->level) && add_number(root, "label", p->label, 0) &&
      /* a string: JSON numbers cannot hold every 64-bit seed exactly */
      cJSON_AddStringToObject(root, "seed", seed) &&
      cJSON_AddStringToObject(root, "frame",
                              "vertebra frame: origin at the centre of the body, axes of "
                              "world RAS+ (x right, y anterior, z superior), mm") &&
      add(root, "local_to_world", matrix_json(ph->local_to_world)) &&
      add(root, "parameters", parameters_json(p)) && add(root, "pathology", pathology_json(ph)) &&
      add(root, "measured", measured_json(ph)) && add(root, "part_codes", parts_json());
  if (ok)
    return root;
  cJSON_Delete(root);
  vp_error_set(err, VP_ERR_NOMEM, _("out of memory for the phantom's ground truth"));
  return NULL;
}

/* ---- the case on disk ---- */

/* plan_path without ".vplan", then the suffix; NULL when plan_path does not end so. */
static char *companion_path(const char *plan_path, const char *suffix)
{
  size_t n = strlen(plan_path), ext = strlen(VP_PLAN_EXTENSION);
  if (n <= ext || strcmp(plan_path + n - ext, VP_PLAN_EXTENSION) != 0)
    return NULL;
  char *out = malloc(n - ext + strlen(suffix) + 1);
  if (out) {
    memcpy(out, plan_path, n - ext);
    strcpy(out + n - ext, suffix);
  }
  return out;
}

static const char *const suffixes[4] = {".stl", "_ct.nii.gz", "_seg-vert_msk.nii.gz",
                                        "_parts.nii.gz"};

static bool write_files(const VpPhantom *ph, char *const paths[4], VpError *err)
{
  return vp_mesh_save_stl(ph->surface, paths[0], err) &&
         vp_volume_save_nifti(ph->ct, paths[1], err) &&
         vp_volume_save_nifti(ph->mask, paths[2], err) &&
         vp_volume_save_nifti(ph->parts, paths[3], err);
}

/* The truth as stored in the plan also names the part map beside it. */
static cJSON *truth_with_files(const VpPhantom *ph, const char *parts_path, const char *case_id,
                               VpError *err)
{
  cJSON *truth = vp_phantom_truth_json(ph, err);
  const char *slash = strrchr(parts_path, '/');
  if (truth && (!cJSON_AddStringToObject(truth, "part_map", slash ? slash + 1 : parts_path) ||
                (case_id && !cJSON_AddStringToObject(truth, "case_id", case_id)))) {
    cJSON_Delete(truth);
    vp_error_set(err, VP_ERR_NOMEM, _("out of memory for the phantom's ground truth"));
    return NULL;
  }
  return truth;
}

typedef struct CaseTexts {
  const char *id, *title, *note;
} CaseTexts;

static bool fill_plan(VpPlan *plan, const VpPhantom *ph, char *const paths[4], const CaseTexts *t,
                      VpError *err)
{
  char name[64];
  snprintf(name, sizeof name, _("%s phantom"), ph->level);
  cJSON *truth = NULL;
  bool ok = vp_plan_set_case(plan, t->title && *t->title ? t->title : name, ph->level,
                             ph->params.label, err) &&
            vp_plan_add_source(plan, VP_SOURCE_ROLE_SURFACE, paths[0], err) &&
            vp_plan_add_source(plan, VP_SOURCE_ROLE_CT, paths[1], err) &&
            vp_plan_add_source(plan, VP_SOURCE_ROLE_MASK, paths[2], err) &&
            vp_plan_set_teaching_note(plan, t->note, err) &&
            (truth = truth_with_files(ph, paths[3], t->id, err)) != NULL &&
            vp_plan_set_phantom(plan, truth, err);
  cJSON_Delete(truth);
  return ok;
}

bool vp_phantom_save_case(const VpPhantom *ph, const char *plan_path, const char *case_id,
                          const char *title, const char *teaching_note, VpError *err)
{
  const CaseTexts texts = {case_id, title, teaching_note};
  char *paths[4] = {NULL, NULL, NULL, NULL};
  bool named = plan_path != NULL;
  for (int i = 0; named && i < 4; i++)
    named = (paths[i] = companion_path(plan_path, suffixes[i])) != NULL;
  VpPlan *plan = NULL;
  bool ok = named || vp_error_set(err, VP_ERR_INVALID,
                                  _("a case is saved as a plan whose name ends in \"%s\", not "
                                    "\"%.200s\""),
                                  VP_PLAN_EXTENSION, plan_path ? plan_path : "");
  ok = ok && write_files(ph, paths, err) && (plan = vp_plan_new(VP_VERSION, err)) != NULL &&
       fill_plan(plan, ph, paths, &texts, err) && vp_plan_save(plan, plan_path, err);
  vp_plan_free(plan);
  for (int i = 0; i < 4; i++)
    free(paths[i]);
  return ok;
}
