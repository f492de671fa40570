/* The anatomy of one vertebra from a case: names of its parts, the user's
 * frame correction, and the pipeline bone grid -> frame -> parts -> measures
 * with progress and cancellation between the stages. */
#include "vp-anatomy-private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vp-intl-private.h"

typedef struct PartText {
  const char *key;
  const char *name;
} PartText;

static const PartText part_texts[VP_ANATOMY_PART_COUNT] = {
    [VP_ANATOMY_OUTSIDE] = {"outside", N_("outside the vertebra")},
    [VP_ANATOMY_BODY_TRABECULAR] = {"body_trabecular", N_("vertebral body (trabecular core)")},
    [VP_ANATOMY_BODY_CORTEX] = {"body_cortex", N_("vertebral body (cortical shell)")},
    [VP_ANATOMY_ENDPLATE_SUPERIOR] = {"endplate_superior", N_("superior endplate")},
    [VP_ANATOMY_ENDPLATE_INFERIOR] = {"endplate_inferior", N_("inferior endplate")},
    [VP_ANATOMY_POSTERIOR_WALL] = {"posterior_wall", N_("posterior wall")},
    [VP_ANATOMY_PEDICLE_LEFT] = {"pedicle_left", N_("left pedicle")},
    [VP_ANATOMY_PEDICLE_RIGHT] = {"pedicle_right", N_("right pedicle")},
    [VP_ANATOMY_POSTERIOR_ARCH] = {"posterior_arch", N_("posterior arch")},
    [VP_ANATOMY_CANAL] = {"canal", N_("spinal canal")},
    [VP_ANATOMY_FORAMEN_LEFT] = {"foramen_left", N_("left neural foramen zone")},
    [VP_ANATOMY_FORAMEN_RIGHT] = {"foramen_right", N_("right neural foramen zone")},
    [VP_ANATOMY_COSTOVERTEBRAL_LEFT] = {"costovertebral_left", N_("left costovertebral region")},
    [VP_ANATOMY_COSTOVERTEBRAL_RIGHT] = {"costovertebral_right",
                                         N_("right costovertebral region")},
};

static bool part_valid(VpAnatomyPart part)
{
  return (int)part >= 0 && part < VP_ANATOMY_PART_COUNT;
}

const char *vp_anatomy_part_name(VpAnatomyPart part)
{
  return part_valid(part) ? part_texts[part].name : NULL;
}

const char *vp_anatomy_part_key(VpAnatomyPart part)
{
  return part_valid(part) ? part_texts[part].key : NULL;
}

bool vp_anatomy_part_is_bone(VpAnatomyPart part)
{
  return part >= VP_ANATOMY_BODY_TRABECULAR && part <= VP_ANATOMY_POSTERIOR_ARCH;
}

/* ---- the frame and its correction ---- */

bool vp_frame_adjustment_is_identity(const VpFrameAdjustment *adj)
{
  if (!adj)
    return true;
  for (int i = 0; i < 3; i++)
    if (adj->rotation_deg[i] != 0.0 || adj->offset_mm[i] != 0.0)
      return false;
  return true;
}

VpAnatomyFrame vp_anatomy_frame_adjusted(const VpAnatomyFrame *frame, const VpFrameAdjustment *adj)
{
  VpAnatomyFrame out = *frame;
  if (vp_frame_adjustment_is_identity(adj))
    return out;
  /* Right-handed turns in world space about the frame's own axes, each
   * about the axes as the previous turn left them. */
  VpVec3 *axes[3] = {&out.left, &out.anterior, &out.superior};
  for (int i = 0; i < 3; i++) {
    VpMat3 r = vp_mat3_rotation(*axes[i], vp_deg_to_rad(adj->rotation_deg[i]));
    for (int a = 0; a < 3; a++)
      *axes[a] = vp_mat3_mul_vec3(r, *axes[a]);
  }
  out.left = vp_vec3_normalize(out.left);
  out.anterior = vp_vec3_normalize(out.anterior);
  out.superior = vp_vec3_normalize(vp_vec3_cross(out.anterior, out.left));
  out.origin_mm = vp_anatomy_frame_to_world(frame, vp_vec3(adj->offset_mm[0], adj->offset_mm[1],
                                                           adj->offset_mm[2]));
  return out;
}

VpVec3 vp_anatomy_frame_to_local(const VpAnatomyFrame *frame, VpVec3 world_mm)
{
  VpVec3 d = vp_vec3_sub(world_mm, frame->origin_mm);
  return vp_vec3(vp_vec3_dot(d, frame->left), vp_vec3_dot(d, frame->anterior),
                 vp_vec3_dot(d, frame->superior));
}

VpVec3 vp_anatomy_frame_to_world(const VpAnatomyFrame *frame, VpVec3 local_mm)
{
  VpVec3 p = frame->origin_mm;
  p = vp_vec3_add(p, vp_vec3_scale(frame->left, local_mm.x));
  p = vp_vec3_add(p, vp_vec3_scale(frame->anterior, local_mm.y));
  return vp_vec3_add(p, vp_vec3_scale(frame->superior, local_mm.z));
}

/* ---- the pipeline ---- */

VpAnatomyOptions vp_anatomy_options_default(void)
{
  return (VpAnatomyOptions){.spacing_mm = 0.5, .threads = 0};
}

/* The grid spacing: as asked, or the mask's finest voxel size up to 1 mm. */
static double grid_spacing(const VpCase *c, const VpAnatomyOptions *options)
{
  if (options->spacing_mm > 0.0)
    return options->spacing_mm;
  if (!c->mask)
    return 1.0;
  double s = fmin(c->mask->spacing_mm[0], fmin(c->mask->spacing_mm[1], c->mask->spacing_mm[2]));
  return fmin(fmax(s, 0.2), 1.0);
}

static bool stage(const VpProgress *progress, double fraction, const char *text, VpError *err)
{
  if (progress && progress->cancelled && progress->cancelled(progress->user))
    return vp_error_set(err, VP_ERR_CANCELLED, "%s", _("Cancelled"));
  if (progress && progress->report)
    progress->report(progress->user, fraction, text);
  return true;
}

static bool measure_into(VpAnatomy *anatomy, const VpCase *c, VpError *err)
{
  VpAnatomyMeasures measures;
  memset(&measures, 0, sizeof measures);
  VpError local;
  vp_error_clear(&local);
  if (!vp_anatomy_measure(anatomy->parts, &anatomy->frame, c, &measures, &local)) {
    if (local.code == VP_OK)
      return vp_error_set(err, VP_ERR_INVALID, "%s", _("The vertebra could not be measured"));
    if (err)
      *err = local;
    return false;
  }
  anatomy->measures = measures;
  return true;
}

VpAnatomy *vp_anatomy_compute(const VpCase *c, const VpFrameAdjustment *adj,
                              const VpAnatomyOptions *options, const VpProgress *progress,
                              VpError *err)
{
  if (!c || (!c->surface && !(c->mask && c->label > 0))) {
    vp_error_set(err, VP_ERR_INVALID, "%s", _("The case has neither a mask nor a surface"));
    return NULL;
  }
  VpAnatomyOptions opts = options ? *options : vp_anatomy_options_default();
  if (!stage(progress, 0.0, _("Finding the vertebra's frame"), err))
    return NULL;
  VpAnatomy *anatomy = calloc(1, sizeof *anatomy);
  if (!anatomy) {
    vp_error_set(err, VP_ERR_NOMEM, "%s", _("Out of memory"));
    return NULL;
  }
  snprintf(anatomy->level, sizeof anatomy->level, "%s", c->level);
  anatomy->thoracic = c->level[0] == 'T' || c->level[0] == 't';
  VpVolume *bone = vp_anatomy_bone_grid(c, grid_spacing(c, &opts), opts.threads, err);
  bool ok = bone && vp_anatomy_find_frame(bone, &anatomy->auto_frame, err);
  ok = ok && stage(progress, 0.35, _("Labelling its parts"), err);
  if (ok) {
    anatomy->parts = vp_anatomy_label_parts(bone, &anatomy->auto_frame, anatomy->thoracic, err);
    ok = anatomy->parts != NULL;
  }
  vp_volume_free(bone);
  ok = ok && stage(progress, 0.7, _("Measuring"), err);
  if (ok) {
    anatomy->adjustment = adj ? *adj : (VpFrameAdjustment){{0}, {0}};
    anatomy->frame = vp_anatomy_frame_adjusted(&anatomy->auto_frame, &anatomy->adjustment);
    ok = measure_into(anatomy, c, err);
  }
  ok = ok && stage(progress, 1.0, _("Done"), err);
  if (!ok) {
    vp_anatomy_free(anatomy);
    return NULL;
  }
  return anatomy;
}

bool vp_anatomy_readjust(VpAnatomy *anatomy, const VpCase *c, const VpFrameAdjustment *adj,
                         VpError *err)
{
  if (!anatomy || !anatomy->parts)
    return vp_error_set(err, VP_ERR_INVALID, "%s", _("No anatomy to adjust"));
  VpFrameAdjustment next = adj ? *adj : (VpFrameAdjustment){{0}, {0}};
  VpFrameAdjustment before = anatomy->adjustment;
  VpAnatomyFrame before_frame = anatomy->frame;
  anatomy->adjustment = next;
  anatomy->frame = vp_anatomy_frame_adjusted(&anatomy->auto_frame, &next);
  if (!measure_into(anatomy, c, err)) {
    anatomy->adjustment = before;
    anatomy->frame = before_frame;
    return false;
  }
  return true;
}

void vp_anatomy_free(VpAnatomy *anatomy)
{
  if (!anatomy)
    return;
  vp_volume_free(anatomy->parts);
  free(anatomy);
}
