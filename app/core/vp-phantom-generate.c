/* Checking a phantom's parameters against each other and generating it:
 * the model, then the CT, mask and part map, then the surface, then the
 * figures of the ground truth. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vp-intl-private.h"
#include "vp-phantom-private.h"

#define LEVEL_STEP_MM 28.0  /* automatic world height per level above L5 */
#define BREACH_REACH_MM 3.0 /* a breaching lesion must come this close to its wall */
#define LESION_MIN_RADIUS_MM 0.5
#define LESION_MAX_RADIUS_MM 25.0

static const char *side_name(int side) { return side == 0 ? _("left") : _("right"); }

static bool check_numbers(const VpPhantomParams *p, VpError *err)
{
  for (size_t i = 0; i < vp_phantom_param_count(); i++) {
    const VpPhantomParamInfo *info = vp_phantom_param_info(i);
    VpPhantomParams copy = *p;
    double value = 0.0;
    vp_phantom_params_get(p, info->name, &value);
    if (!vp_phantom_params_set(&copy, info->name, value, err))
      return false;
  }
  return true;
}

static bool check_proportions(const VpPhantomParams *p, VpError *err)
{
  const double widths[2] = {p->pedicle_width_left_mm, p->pedicle_width_right_mm};
  const double heights[2] = {p->pedicle_height_left_mm, p->pedicle_height_right_mm};
  double half = 0.5 * p->body_width_mm;
  for (int s = 0; s < 2; s++) {
    if (widths[s] > half)
      return vp_error_set(err, VP_ERR_INVALID,
                          _("the %s pedicle (%.1f mm wide) is wider than half the vertebral body "
                            "(%.1f mm): make it narrower or the body wider"),
                          side_name(s), widths[s], half);
    if (heights[s] > p->body_height_posterior_mm - 2.0)
      return vp_error_set(err, VP_ERR_INVALID,
                          _("the %s pedicle (%.1f mm high) does not fit the body: it must be at "
                            "least 2 mm lower than the posterior body height (%.1f mm)"),
                          side_name(s), heights[s], p->body_height_posterior_mm);
  }
  if (p->canal_width_mm >= p->body_width_mm)
    return vp_error_set(
        err, VP_ERR_INVALID,
        _("the spinal canal (%.1f mm wide) is wider than the vertebral body (%.1f mm)"),
        p->canal_width_mm, p->body_width_mm);
  if (p->retropulsion_mm > p->canal_depth_mm - 3.0)
    return vp_error_set(err, VP_ERR_INVALID,
                        _("a retropulsion of %.1f mm would close the spinal canal (%.1f mm deep); "
                          "use at most %.1f mm"),
                        p->retropulsion_mm, p->canal_depth_mm, p->canal_depth_mm - 3.0);
  if (p->endplate_break_radius_mm > 0.4 * p->body_width_mm)
    return vp_error_set(err, VP_ERR_INVALID,
                        _("an endplate break of radius %.1f mm is larger than the endplate allows "
                          "(at most %.1f mm)"),
                        p->endplate_break_radius_mm, 0.4 * p->body_width_mm);
  return true;
}

static bool check_fracture(const VpPhantomParams *p, VpError *err)
{
  bool has_loss = !isnan(p->height_loss_percent);
  if (!vp_endplate_side_name(p->endplate_break))
    return vp_error_set(err, VP_ERR_INVALID, _("unknown endplate side"));
  if (p->fracture == VP_FRACTURE_NONE) {
    if (p->genant_grade != 0 || has_loss)
      return vp_error_set(err, VP_ERR_INVALID,
                          _("a Genant grade or a height loss needs a fracture shape "
                            "(wedge, biconcave or crush)"));
    return true;
  }
  if (!vp_fracture_shape_name(p->fracture) || p->genant_grade < 1 || p->genant_grade > 3)
    return vp_error_set(err, VP_ERR_INVALID,
                        _("a fracture needs a shape (wedge, biconcave, crush) and a Genant grade "
                          "of 1, 2 or 3"));
  if (has_loss && vp_genant_grade(p->height_loss_percent) != p->genant_grade)
    return vp_error_set(err, VP_ERR_INVALID,
                        _("a height loss of %.1f %% is Genant grade %d, not %d (grade 1: 20-25 %%, "
                          "grade 2: 25-40 %%, grade 3: over 40 %%)"),
                        p->height_loss_percent, vp_genant_grade(p->height_loss_percent),
                        p->genant_grade);
  return true;
}

static bool check_lesion_fields(const VpPhantomLesion *l, int n, VpError *err)
{
  if (!vp_lesion_kind_name(l->kind) || !vp_breach_site_name(l->breach))
    return vp_error_set(err, VP_ERR_INVALID, _("lesion %d has an unknown kind or breach site"), n);
  if (!vp_vec3_is_finite(l->center_mm))
    return vp_error_set(err, VP_ERR_INVALID, _("lesion %d has no valid centre"), n);
  if (!(l->radius_mm >= LESION_MIN_RADIUS_MM && l->radius_mm <= LESION_MAX_RADIUS_MM))
    return vp_error_set(err, VP_ERR_INVALID,
                        _("lesion %d: the radius must lie between %.1f and %.1f mm, not %g mm"), n,
                        LESION_MIN_RADIUS_MM, LESION_MAX_RADIUS_MM, l->radius_mm);
  if (!isnan(l->hu) && !(l->hu >= -1000.0 && l->hu <= 3000.0))
    return vp_error_set(err, VP_ERR_INVALID,
                        _("lesion %d: a density of %g HU is outside -1000 to 3000 HU"), n, l->hu);
  return true;
}

static bool check_lesion_place(const ShapeModel *m, const VpPhantomLesion *l, int n, VpError *err)
{
  VpVec3 c = l->center_mm;
  if (shape_bone_sdf(m, c) >= 0.0)
    return vp_error_set(err, VP_ERR_INVALID,
                        _("lesion %d: its centre (%.1f, %.1f, %.1f mm from the centre of the body) "
                          "lies outside the vertebra"),
                        n, c.x, c.y, c.z);
  if (l->breach == VP_BREACH_NONE)
    return true;
  if (shape_body_sdf(m, c) >= 0.0)
    return vp_error_set(err, VP_ERR_INVALID,
                        _("lesion %d can break through the cortex of the vertebral body only when "
                          "its centre lies in the body"),
                        n);
  double gap = shape_body_exit_distance(m, c, shape_breach_direction(l->breach)) - l->radius_mm;
  if (gap > BREACH_REACH_MM)
    return vp_error_set(err, VP_ERR_INVALID,
                        _("lesion %d does not reach the %s wall: its edge is %.1f mm from it; move "
                          "it closer or make it larger"),
                        n, vp_breach_site_name(l->breach), gap);
  return true;
}

static bool check_grids(const ShapeModel *m, VpError *err)
{
  int ct[3], surface[3];
  phantom_ct_dims(m, ct);
  phantom_surface_dims(m, surface);
  double n_ct = (double)ct[0] * ct[1] * ct[2],
         n_surface = (double)surface[0] * surface[1] * surface[2];
  char a[32], b[32];
  if (n_ct > PHANTOM_MAX_VOXELS)
    return vp_error_set(err, VP_ERR_LIMIT,
                        _("the CT would have %s voxels, more than the %s allowed: use a larger "
                          "spacing_mm or a smaller margin_mm"),
                        vp_format_count((unsigned long long)n_ct, a),
                        vp_format_count(PHANTOM_MAX_VOXELS, b));
  if (n_surface > PHANTOM_MAX_VOXELS)
    return vp_error_set(err, VP_ERR_LIMIT,
                        _("the surface grid would have %s voxels, more than the %s allowed: use a "
                          "larger surface_spacing_mm"),
                        vp_format_count((unsigned long long)n_surface, a),
                        vp_format_count(PHANTOM_MAX_VOXELS, b));
  return true;
}

/* Automatic values made explicit. */
static void resolve(VpPhantomParams *p)
{
  if (p->fracture != VP_FRACTURE_NONE && isnan(p->height_loss_percent))
    p->height_loss_percent = phantom_grade_loss(p->genant_grade);
  if (isnan(p->trabecular_hu))
    p->trabecular_hu = p->osteoporotic ? 85.0 : 200.0;
  if (isnan(p->world_x_mm))
    p->world_x_mm = 0.0;
  if (isnan(p->world_y_mm))
    p->world_y_mm = 0.0;
  if (isnan(p->world_z_mm))
    p->world_z_mm = LEVEL_STEP_MM * (24 - p->label);
}

bool vp_phantom_params_validate(const VpPhantomParams *params, VpError *err)
{
  VpPhantomParams p;
  if (!vp_phantom_params_init_label(&p, params->label, err))
    return false;
  p = *params;
  if (!check_numbers(&p, err) || !check_proportions(&p, err) || !check_fracture(&p, err))
    return false;
  if (p.lesion_count < 0 || p.lesion_count > VP_PHANTOM_MAX_LESIONS)
    return vp_error_set(err, VP_ERR_INVALID, _("a phantom holds at most %d lesions"),
                        VP_PHANTOM_MAX_LESIONS);
  for (int i = 0; i < p.lesion_count; i++)
    if (!check_lesion_fields(&p.lesions[i], i + 1, err))
      return false;
  resolve(&p);
  ShapeModel *m = malloc(sizeof *m);
  if (!m)
    return vp_error_set(err, VP_ERR_NOMEM, _("out of memory for the phantom"));
  shape_model_build(m, &p);
  bool ok = check_grids(m, err);
  for (int i = 0; ok && i < p.lesion_count; i++)
    ok = check_lesion_place(m, &p.lesions[i], i + 1, err);
  free(m);
  return ok;
}

/* ---- the ground truth's figures ---- */

static void truth_pedicles(const ShapeModel *m, VpVec3 offset, VpPhantomTruth *t)
{
  for (int s = 0; s < 2; s++) {
    const ShapeTube *tube = &m->pedicle[s];
    VpPhantomPedicle *out = &t->pedicle[s];
    out->width_mm = 2.0 * tube->ru;
    out->height_mm = 2.0 * tube->rv;
    out->isthmus_center_mm = vp_vec3_add(tube->center, offset);
    out->axis = tube->d;
    out->width_direction = tube->u;
  }
}

static void truth_heights(const ShapeModel *m, VpPhantomTruth *t)
{
  const ShapeBodyGeometry *g = &m->body;
  t->height_y_mm[0] = g->b - 3.0;
  t->height_y_mm[1] = 0.0;
  t->height_y_mm[2] = -g->b + g->post_concavity + 3.0;
  t->height_loss_percent = 0.0;
  for (int i = 0; i < 3; i++) {
    t->height_mm[i] = shape_body_height(m, 0.0, t->height_y_mm[i], true);
    t->expected_height_mm[i] = shape_body_height(m, 0.0, t->height_y_mm[i], false);
    double loss = 100.0 * (1.0 - t->height_mm[i] / t->expected_height_mm[i]);
    t->height_loss_percent = fmax(t->height_loss_percent, loss);
  }
  t->genant_grade = vp_genant_grade(t->height_loss_percent);
}

static void truth_fill(const ShapeModel *m, VpVec3 offset, const PhantomVolumes *v,
                       VpPhantomTruth *t)
{
  const double ml = 1e-3;
  t->vertebra_volume_ml = v->vertebra * ml;
  t->body_volume_ml = v->body * ml;
  t->body_trabecular_ml = v->body_trabecular * ml;
  t->body_cortex_ml = v->body_cortex * ml;
  t->posterior_volume_ml = v->posterior * ml;
  t->cleft_volume_ml = v->cleft * ml;
  /* A cortical defect's area: the cortex volume it replaced over the thickness. */
  for (int i = 0; i < m->lesion_count; i++) {
    t->lesion_volume_ml[i] = v->lesion[i] * ml;
    t->lesion_breach[i].site = m->lesions[i].lesion.breach;
    t->lesion_breach[i].area_mm2 = v->lesion_breach[i] / m->p.cortex_mm;
  }
  t->endplate_break_area_mm2 = v->endplate_break / m->p.cortex_mm;
  truth_pedicles(m, offset, t);
  truth_heights(m, t);
  t->canal_center_y_mm = m->canal_yc;
  t->canal_depth_mm = 2.0 * m->canal_b - m->p.retropulsion_mm;
  t->trabecular_hu = m->trabecular_hu;
}

/* ---- generation ---- */

void vp_phantom_free(VpPhantom *phantom)
{
  if (!phantom)
    return;
  vp_mesh_free(phantom->surface);
  vp_volume_free(phantom->ct);
  vp_volume_free(phantom->mask);
  vp_volume_free(phantom->parts);
  free(phantom);
}

static bool generate_into(VpPhantom *ph, const ShapeModel *m, const VpProgress *progress,
                          VpError *err)
{
  VpVec3 offset = vp_vec3(ph->params.world_x_mm, ph->params.world_y_mm, ph->params.world_z_mm);
  ph->local_to_world = vp_mat4_translation(offset);
  snprintf(ph->level, sizeof ph->level, "%s", vp_level_name(ph->params.label));
  PhantomVolumes volumes;
  if (!phantom_progress(progress, 0.02, _("Shaping the vertebra")))
    return vp_error_set(err, VP_ERR_CANCELLED, _("the phantom was cancelled"));
  if (!phantom_sample_ct(m, offset, progress, &ph->ct, &ph->mask, &ph->parts, &volumes, err))
    return false;
  ph->surface = phantom_surface(m, offset, progress, err);
  if (!ph->surface)
    return false;
  truth_fill(m, offset, &volumes, &ph->truth);
  phantom_progress(progress, 1.0, _("Done"));
  return true;
}

VpPhantom *vp_phantom_generate(const VpPhantomParams *params, const VpProgress *progress,
                               VpError *err)
{
  if (!vp_phantom_params_validate(params, err))
    return NULL;
  VpPhantom *ph = calloc(1, sizeof *ph);
  ShapeModel *m = ph ? malloc(sizeof *m) : NULL;
  if (!m) {
    free(ph);
    vp_error_set(err, VP_ERR_NOMEM, _("out of memory for the phantom"));
    return NULL;
  }
  ph->params = *params;
  resolve(&ph->params);
  shape_model_build(m, &ph->params);
  bool ok = generate_into(ph, m, progress, err);
  free(m);
  if (!ok) {
    vp_phantom_free(ph);
    return NULL;
  }
  return ph;
}
