/* The phantom generator's parameters (defaults, names, checks) and the
 * generation itself: model, CT, mask, part map, surface and ground truth. */
#include "vp-phantom.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vp-intl-private.h"
#include "vp-phantom-private.h"

#define FIRST_LABEL 8 /* T1 */
#define LAST_LABEL 24 /* L5 */

/* ---- the table of numeric parameters ---- */

typedef struct ParamEntry {
  VpPhantomParamInfo info;
  size_t offset;
  const char *source; /* for values not from the level table */
} ParamEntry;

/* clang-format off */
#define P(field, unit, desc, lo, hi, nan, src) \
  {{#field, unit, desc, lo, hi, nan}, offsetof(VpPhantomParams, field), src}
/* clang-format on */

static const ParamEntry params_table[] = {
    P(body_width_mm, "mm", N_("Width of the superior endplate"), 10, 80, false, NULL),
    P(body_depth_mm, "mm", N_("Depth of the superior endplate"), 8, 70, false, NULL),
    P(body_height_anterior_mm, "mm", N_("Anterior height of the vertebral body"), 5, 60, false,
      NULL),
    P(body_height_posterior_mm, "mm", N_("Posterior height of the vertebral body"), 5, 60, false,
      NULL),
    P(body_waist_mm, "mm", N_("Inward curve of the body's side walls"), 0, 5, false, "estimate"),
    P(endplate_concavity_mm, "mm", N_("Depth of the endplates' central hollow"), 0, 4, false,
      "estimate"),
    P(posterior_wall_concavity_mm, "mm", N_("Forward curve of the posterior wall"), 0, 6, false,
      "estimate"),
    P(body_heart_taper, "", N_("Narrowing of the body towards anterior (heart shape)"), 0, 0.5,
      false, "estimate"),
    P(cortex_mm, "mm", N_("Cortical shell of the body"), 0.2, 3, false, "DOMAIN.md (0.3-1 mm)"),
    P(posterior_cortex_mm, "mm", N_("Cortex of the posterior elements"), 0.3, 4, false, "estimate"),
    P(canal_width_mm, "mm", N_("Width of the spinal canal between the pedicles"), 5, 40, false,
      NULL),
    P(canal_depth_mm, "mm", N_("Depth of the spinal canal at the midline"), 5, 35, false, NULL),
    P(pedicle_width_left_mm, "mm", N_("Isthmus width of the left pedicle"), 1.5, 30, false, NULL),
    P(pedicle_width_right_mm, "mm", N_("Isthmus width of the right pedicle"), 1.5, 30, false, NULL),
    P(pedicle_height_left_mm, "mm", N_("Isthmus height of the left pedicle"), 2, 30, false, NULL),
    P(pedicle_height_right_mm, "mm", N_("Isthmus height of the right pedicle"), 2, 30, false, NULL),
    P(pedicle_transverse_angle_deg, "deg", N_("Medial convergence of the pedicles"), -30, 60, false,
      NULL),
    P(pedicle_sagittal_angle_deg, "deg", N_("Caudal inclination of the pedicles"), -30, 40, false,
      NULL),
    P(pedicle_offset_mm, "mm", N_("Distance of the isthmus behind the body"), 0, 15, false,
      "estimate"),
    P(lamina_thickness_mm, "mm", N_("Thickness of the laminae"), 2, 12, false, "estimate"),
    P(spinous_length_mm, "mm", N_("Length of the spinous process"), 5, 60, false, NULL),
    P(spinous_angle_deg, "deg", N_("Downward angle of the spinous process"), -20, 80, false, NULL),
    P(spinous_height_mm, "mm", N_("Height of the spinous process at its tip"), 3, 40, false, NULL),
    P(spinous_thickness_mm, "mm", N_("Thickness of the spinous process"), 2, 15, false, "estimate"),
    P(transverse_length_mm, "mm", N_("Length of the transverse processes"), 3, 45, false, NULL),
    P(transverse_angle_deg, "deg", N_("Backward sweep of the transverse processes"), -20, 70, false,
      NULL),
    P(transverse_thickness_mm, "mm", N_("Thickness of the transverse processes"), 2, 16, false,
      NULL),
    P(articular_height_mm, "mm", N_("Height of the articular processes above the pedicle"), 0, 20,
      false, NULL),
    P(facet_angle_deg, "deg", N_("Angle of the facet joints to the sagittal plane"), 0, 90, false,
      NULL),
    P(cortical_hu, "HU", N_("Density of cortical bone"), 200, 2500, false,
      "DOMAIN.md (cortical bone 250-1200 HU)"),
    P(trabecular_hu, "HU", N_("Density of trabecular bone (automatic: 200, osteoporotic 85)"), -200,
      1500, true,
      "DOMAIN.md (cancellous 130-250 HU; osteoporosis at or below 110 HU, Pickhardt 2013)"),
    P(soft_tissue_hu, "HU", N_("Density of soft tissue"), -100, 200, false, "default"),
    P(fat_hu, "HU", N_("Density of fat"), -200, 0, false, "default"),
    P(noise_hu, "HU", N_("Standard deviation of the CT noise"), 0, 200, false, "default"),
    P(blur_mm, "mm", N_("Standard deviation of the scanner blur"), 0, 3, false, "default"),
    P(height_loss_percent, "%",
      N_("Height loss of the fracture (automatic: middle of the Genant grade)"), 0, 90, true,
      "DOMAIN.md (Genant grades)"),
    P(cleft_hu, "HU", N_("Density of the cleft: gas about -900, fluid about 10"), -1000, 100, false,
      "DOMAIN.md"),
    P(cleft_scale, "", N_("Size of the cleft (1 = a quarter of the body's width)"), 0.2, 2.5, false,
      "default"),
    P(endplate_break_radius_mm, "mm", N_("Radius of the endplate break"), 1, 20, false, "default"),
    P(retropulsion_mm, "mm", N_("Posterior wall fragment pushed into the canal"), 0, 15, false,
      "default"),
    P(spacing_mm, "mm", N_("Voxel size of the CT and the mask"), 0.2, 2, false, "default"),
    P(surface_spacing_mm, "mm", N_("Grid of the surface mesh"), 0.2, 2, false, "default"),
    P(margin_mm, "mm", N_("CT margin around the vertebra"), 0, 50, false, "default"),
    P(world_x_mm, "mm", N_("World x of the body centre (automatic: 0)"), -10000, 10000, true,
      "default"),
    P(world_y_mm, "mm", N_("World y of the body centre (automatic: 0)"), -10000, 10000, true,
      "default"),
    P(world_z_mm, "mm", N_("World z of the body centre (automatic: by level)"), -10000, 10000, true,
      "default"),
};

#undef P

#define PARAM_COUNT (sizeof params_table / sizeof params_table[0])

size_t vp_phantom_param_count(void) { return PARAM_COUNT; }

const VpPhantomParamInfo *vp_phantom_param_info(size_t index)
{
  return index < PARAM_COUNT ? &params_table[index].info : NULL;
}

static const ParamEntry *find_entry(const char *name)
{
  for (size_t i = 0; name && i < PARAM_COUNT; i++)
    if (strcmp(params_table[i].info.name, name) == 0)
      return &params_table[i];
  return NULL;
}

const VpPhantomParamInfo *vp_phantom_param_find(const char *name)
{
  const ParamEntry *e = find_entry(name);
  return e ? &e->info : NULL;
}

static double *field(VpPhantomParams *p, const ParamEntry *e)
{
  return (double *)((char *)p + e->offset);
}

static double field_value(const VpPhantomParams *p, const ParamEntry *e)
{
  return *(const double *)((const char *)p + e->offset);
}

static bool check_value(const ParamEntry *e, double value, VpError *err)
{
  const VpPhantomParamInfo *in = &e->info;
  if (isnan(value) && in->nan_allowed)
    return true;
  if (!isfinite(value))
    return vp_error_set(err, VP_ERR_INVALID, _("%s must be a number"), in->name);
  if (value < 0.0 && in->min >= 0.0)
    return vp_error_set(err, VP_ERR_INVALID, _("%s cannot be negative (%g %s was given)"), in->name,
                        value, in->unit);
  if (value < in->min || value > in->max)
    return vp_error_set(err, VP_ERR_INVALID, _("%s must lie between %g and %g %s, not %g"),
                        in->name, in->min, in->max, in->unit, value);
  return true;
}

bool vp_phantom_params_set(VpPhantomParams *params, const char *name, double value, VpError *err)
{
  static const char *const both[][3] = {
      {"pedicle_width_mm", "pedicle_width_left_mm", "pedicle_width_right_mm"},
      {"pedicle_height_mm", "pedicle_height_left_mm", "pedicle_height_right_mm"},
  };
  for (size_t i = 0; name && i < sizeof both / sizeof both[0]; i++)
    if (strcmp(name, both[i][0]) == 0)
      return vp_phantom_params_set(params, both[i][1], value, err) &&
             vp_phantom_params_set(params, both[i][2], value, err);
  const ParamEntry *e = find_entry(name);
  if (!e)
    return vp_error_set(err, VP_ERR_INVALID,
                        _("there is no phantom parameter \"%.60s\"; `vertebra-planner-cli phantom "
                          "--list-params` lists them"),
                        name ? name : "");
  if (!check_value(e, value, err))
    return false;
  *field(params, e) = value;
  return true;
}

bool vp_phantom_params_get(const VpPhantomParams *params, const char *name, double *value)
{
  const ParamEntry *e = find_entry(name);
  if (e)
    *value = field_value(params, e);
  return e != NULL;
}

static bool same_value(double a, double b) { return (isnan(a) && isnan(b)) || a == b; }

const char *vp_phantom_param_source(const VpPhantomParams *params, const char *name)
{
  const ParamEntry *e = find_entry(name);
  VpPhantomParams defaults;
  if (!e || !vp_phantom_params_init_label(&defaults, params->label, NULL))
    return NULL;
  if (!same_value(field_value(params, e), field_value(&defaults, e)))
    return "user";
  int column = phantom_morphometry_column(name);
  return column >= 0 ? phantom_morphometry_source(params->label, (MorphColumn)column) : e->source;
}

/* ---- defaults ---- */

bool vp_phantom_params_init_label(VpPhantomParams *p, int label, VpError *err)
{
  if (label < FIRST_LABEL || label > LAST_LABEL)
    return vp_error_set(err, VP_ERR_INVALID,
                        _("no phantom for label %d: the generator makes T1-T12 (VerSe labels 8-19) "
                          "and L1-L5 (20-24)"),
                        label);
  memset(p, 0, sizeof *p);
  p->label = label;
  phantom_morphometry_fill(p, label);
  p->cortex_mm = 0.8;
  p->posterior_cortex_mm = 1.2;
  p->cortical_hu = 1000.0;
  p->trabecular_hu = NAN;
  p->soft_tissue_hu = 40.0;
  p->fat_hu = -100.0;
  p->noise_hu = 12.0;
  p->blur_mm = 0.4;
  p->height_loss_percent = NAN;
  p->cleft_hu = -900.0;
  p->cleft_scale = 1.0;
  p->endplate_break_radius_mm = 5.0;
  p->spacing_mm = 0.5;
  p->surface_spacing_mm = 0.5;
  p->margin_mm = 12.0;
  p->world_x_mm = p->world_y_mm = p->world_z_mm = NAN;
  p->seed = 1;
  return true;
}

bool vp_phantom_params_init(VpPhantomParams *params, const char *level, VpError *err)
{
  int label = level ? vp_level_label(level) : -1;
  if (label < FIRST_LABEL || label > LAST_LABEL)
    return vp_error_set(err, VP_ERR_INVALID,
                        _("\"%.20s\" is not a level the generator makes; use T1-T12 or L1-L5"),
                        level ? level : "");
  return vp_phantom_params_init_label(params, label, err);
}

/* ---- names ---- */

static const char *const fracture_names[] = {"none", "wedge", "biconcave", "crush"};
static const char *const lesion_names[] = {"lytic", "blastic", "mixed"};
static const char *const breach_names[] = {"none",     "posterior", "anterior", "superior",
                                           "inferior", "left",      "right"};
static const char *const endplate_names[] = {"none", "superior", "inferior"};

static int name_index(const char *const *names, int count, const char *name)
{
  for (int i = 0; name && i < count; i++)
    if (strcasecmp(names[i], name) == 0)
      return i;
  return -1;
}

#define NAME_COUNT(a) ((int)(sizeof(a) / sizeof(a)[0]))

const char *vp_fracture_shape_name(VpFractureShape shape)
{
  return (unsigned)shape < 4 ? fracture_names[shape] : NULL;
}

bool vp_fracture_shape_from_name(const char *name, VpFractureShape *out)
{
  int i = name_index(fracture_names, NAME_COUNT(fracture_names), name);
  if (i >= 0)
    *out = (VpFractureShape)i;
  return i >= 0;
}

const char *vp_lesion_kind_name(VpLesionKind kind)
{
  return (unsigned)kind < 3 ? lesion_names[kind] : NULL;
}

bool vp_lesion_kind_from_name(const char *name, VpLesionKind *out)
{
  int i = name_index(lesion_names, NAME_COUNT(lesion_names), name);
  if (i >= 0)
    *out = (VpLesionKind)i;
  return i >= 0;
}

const char *vp_breach_site_name(VpBreachSite site)
{
  return (unsigned)site < 7 ? breach_names[site] : NULL;
}

bool vp_breach_site_from_name(const char *name, VpBreachSite *out)
{
  int i = name_index(breach_names, NAME_COUNT(breach_names), name);
  if (i >= 0)
    *out = (VpBreachSite)i;
  return i >= 0;
}

const char *vp_endplate_side_name(VpEndplateSide side)
{
  return (unsigned)side < 3 ? endplate_names[side] : NULL;
}

bool vp_endplate_side_from_name(const char *name, VpEndplateSide *out)
{
  int i = name_index(endplate_names, NAME_COUNT(endplate_names), name);
  if (i >= 0)
    *out = (VpEndplateSide)i;
  return i >= 0;
}

static const char *const part_names[VP_PART_COUNT] = {
    N_("outside"),
    N_("spinal canal"),
    N_("body cortex"),
    N_("trabecular bone"),
    N_("pedicle (left)"),
    N_("pedicle (right)"),
    N_("lamina"),
    N_("spinous process"),
    N_("transverse process"),
    N_("superior articular process"),
    N_("inferior articular process"),
    N_("rib facet"),
    N_("lesion"),
    N_("cleft"),
    N_("rib"),
};

const char *vp_phantom_part_name(VpPhantomPart part)
{
  return (unsigned)part < VP_PART_COUNT ? part_names[part] : NULL;
}

/* ---- pathology ---- */

int vp_genant_grade(double loss)
{
  return loss < 20.0 ? 0 : loss <= 25.0 ? 1 : loss <= 40.0 ? 2 : 3;
}

double phantom_grade_loss(int grade)
{
  static const double loss[4] = {0.0, 22.5, 32.5, 50.0};
  return grade >= 1 && grade <= 3 ? loss[grade] : 0.0;
}

bool vp_phantom_params_set_fracture(VpPhantomParams *p, VpFractureShape shape, int grade,
                                    VpError *err)
{
  if (shape == VP_FRACTURE_NONE) {
    p->fracture = VP_FRACTURE_NONE;
    p->genant_grade = 0;
    return true;
  }
  if (!vp_fracture_shape_name(shape))
    return vp_error_set(err, VP_ERR_INVALID, _("unknown fracture shape"));
  if (grade < 1 || grade > 3)
    return vp_error_set(err, VP_ERR_INVALID,
                        _("a fracture needs a Genant grade of 1, 2 or 3, not %d"), grade);
  p->fracture = shape;
  p->genant_grade = grade;
  return true;
}

bool vp_phantom_params_add_lesion(VpPhantomParams *p, const VpPhantomLesion *lesion, VpError *err)
{
  if (p->lesion_count >= VP_PHANTOM_MAX_LESIONS)
    return vp_error_set(err, VP_ERR_LIMIT, _("a phantom holds at most %d lesions"),
                        VP_PHANTOM_MAX_LESIONS);
  p->lesions[p->lesion_count++] = *lesion;
  return true;
}
