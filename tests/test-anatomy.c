/* The vertebra's own frame and its parts, against phantoms whose truth is
 * known: every level T1-L5, tilted scans, fractured and lesioned bodies, a
 * surface without a mask; part maps against the phantom's own; the frame
 * correction's arithmetic; clear refusals (no canal, cancellation); and the
 * real VerSe masks when ../shared is present. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vp-anatomy-private.h"
#include "vp-anatomy.h"
#include "vp-case.h"
#include "vp-phantom.h"
#include "vp-test-util.h"

static const char *const levels[] = {"T1", "T2", "T3", "T4",  "T5", "T6", "T7", "T8", "T9",
                                     "T10", "T11", "T12", "L1", "L2", "L3", "L4", "L5"};
#define LEVEL_COUNT (sizeof levels / sizeof levels[0])

/* ---- helpers ---- */

static double now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static VpPhantomParams params_for(const char *level, double spacing)
{
  VpPhantomParams p;
  VpError err = {0};
  if (!vp_phantom_params_init(&p, level, &err))
    fail_msg("%s: %s", level, err.message);
  assert_true(vp_phantom_params_set(&p, "spacing_mm", spacing, &err));
  assert_true(vp_phantom_params_set(&p, "surface_spacing_mm", spacing, &err));
  p.margin_mm = 4.0;
  return p;
}

static VpPhantom *make(const VpPhantomParams *p)
{
  VpError err = {0};
  VpPhantom *ph = vp_phantom_generate(p, NULL, &err);
  if (!ph)
    fail_msg("generation failed: %s", err.message);
  return ph;
}

static VpVec3 body_centre(const VpPhantom *ph)
{
  return vp_mat4_transform_point(ph->local_to_world, vp_vec3(0, 0, 0));
}

/* Rotation about the phantom's body centre: world -> world. */
static VpMat4 turn_about_centre(const VpPhantom *ph, VpMat3 r)
{
  VpVec3 c = body_centre(ph);
  VpVec3 t = vp_vec3_sub(c, vp_mat3_mul_vec3(r, c));
  return vp_mat4_from_mat3(r, t);
}

static VpMat3 tilt_20_20(void)
{
  return vp_mat3_mul(vp_mat3_rotation(vp_vec3(1, 0, 0), vp_deg_to_rad(20.0)),
                     vp_mat3_rotation(vp_vec3(0, 1, 0), vp_deg_to_rad(-20.0)));
}

/* The phantom's frame (world axes at its body centre; +x is right), turned. */
static VpAnatomyFrame truth_frame(const VpPhantom *ph, VpMat3 r)
{
  VpAnatomyFrame f;
  f.origin_mm = body_centre(ph);
  f.left = vp_mat3_mul_vec3(r, vp_vec3(-1, 0, 0));
  f.anterior = vp_mat3_mul_vec3(r, vp_vec3(0, 1, 0));
  f.superior = vp_mat3_mul_vec3(r, vp_vec3(0, 0, 1));
  return f;
}

/* A case holding the phantom's mask (turned by r about the body centre). */
static VpCase *case_from_mask(const VpPhantom *ph, VpMat3 r)
{
  VpCase *c = calloc(1, sizeof *c);
  VpError err = {0};
  c->mask = vp_volume_clone(ph->mask, &err);
  assert_non_null(c->mask);
  VpMat4 turned = vp_mat4_mul(turn_about_centre(ph, r), ph->mask->voxel_to_world);
  assert_true(vp_volume_set_affine(c->mask, turned, &err));
  c->label = ph->params.label;
  snprintf(c->level, sizeof c->level, "%s", ph->level);
  return c;
}

/* A case with only the phantom's surface (turned by r). */
static VpCase *case_from_surface(const VpPhantom *ph, VpMat3 r)
{
  VpCase *c = calloc(1, sizeof *c);
  VpError err = {0};
  c->surface = vp_mesh_clone(ph->surface, &err);
  assert_non_null(c->surface);
  VpMat4 m = turn_about_centre(ph, r);
  for (uint32_t v = 0; v < c->surface->vertex_count; v++) {
    float *p = c->surface->positions + 3 * v;
    VpVec3 q = vp_mat4_transform_point(m, vp_vec3(p[0], p[1], p[2]));
    p[0] = (float)q.x;
    p[1] = (float)q.y;
    p[2] = (float)q.z;
  }
  snprintf(c->level, sizeof c->level, "%s", ph->level);
  return c;
}

static bool find_frame_of(const VpCase *c, double spacing, VpAnatomyFrame *f, VpError *err)
{
  VpVolume *bone = vp_anatomy_bone_grid(c, spacing, 0, err);
  if (!bone)
    return false;
  bool ok = vp_anatomy_find_frame(bone, f, err);
  vp_volume_free(bone);
  return ok;
}

typedef struct FrameError {
  double axis_deg[3]; /* left, anterior, superior */
  double origin_mm;
} FrameError;

static FrameError frame_error(const VpAnatomyFrame *got, const VpAnatomyFrame *want)
{
  FrameError e;
  e.axis_deg[0] = vp_rad_to_deg(vp_vec3_angle(got->left, want->left));
  e.axis_deg[1] = vp_rad_to_deg(vp_vec3_angle(got->anterior, want->anterior));
  e.axis_deg[2] = vp_rad_to_deg(vp_vec3_angle(got->superior, want->superior));
  e.origin_mm = vp_vec3_distance(got->origin_mm, want->origin_mm);
  return e;
}

static void print_frame_error(const char *what, const FrameError *e)
{
  printf("  %-28s axes %5.2f %5.2f %5.2f deg, origin %5.2f mm\n", what, e->axis_deg[0],
         e->axis_deg[1], e->axis_deg[2], e->origin_mm);
}

static void check_frame_error(const char *what, const FrameError *e)
{
  print_frame_error(what, e);
  for (int a = 0; a < 3; a++)
    if (e->axis_deg[a] > 3.0)
      fail_msg("%s: axis %d off by %.2f degrees", what, a, e->axis_deg[a]);
  if (e->origin_mm > 2.0)
    fail_msg("%s: origin off by %.2f mm", what, e->origin_mm);
}

/* Frame of the phantom's mask turned by r, checked against the turned truth. */
static void check_phantom_frame(const VpPhantomParams *p, VpMat3 r, bool surface_only,
                                const char *what)
{
  VpPhantom *ph = make(p);
  VpCase *c = surface_only ? case_from_surface(ph, r) : case_from_mask(ph, r);
  VpAnatomyFrame f, want = truth_frame(ph, r);
  VpError err = {0};
  double t0 = now_ms();
  if (!find_frame_of(c, p->spacing_mm, &f, &err))
    fail_msg("%s: %s", what, err.message);
  printf("  %-28s frame in %.0f ms\n", what, now_ms() - t0);
  FrameError e = frame_error(&f, &want);
  check_frame_error(what, &e);
  vp_case_free(c);
  vp_phantom_free(ph);
}

/* ---- the frame ---- */

static void test_frame_every_level(void **state)
{
  (void)state;
  for (size_t i = 0; i < LEVEL_COUNT; i++) {
    VpPhantomParams p = params_for(levels[i], 1.0);
    check_phantom_frame(&p, vp_mat3_identity(), false, levels[i]);
  }
}

static void test_frame_every_level_tilted(void **state)
{
  (void)state;
  for (size_t i = 0; i < LEVEL_COUNT; i++) {
    VpPhantomParams p = params_for(levels[i], 1.0);
    char what[32];
    snprintf(what, sizeof what, "%s tilted", levels[i]);
    check_phantom_frame(&p, tilt_20_20(), false, what);
  }
}

static void test_frame_fractures(void **state)
{
  (void)state;
  const char *fracture_levels[] = {"T8", "T12", "L1", "L3"};
  const VpFractureShape shapes[] = {VP_FRACTURE_WEDGE, VP_FRACTURE_BICONCAVE, VP_FRACTURE_CRUSH};
  for (size_t l = 0; l < 4; l++)
    for (size_t s = 0; s < 3; s++)
      for (int grade = 1; grade <= 3; grade += 2) {
        VpPhantomParams p = params_for(fracture_levels[l], 1.0);
        VpError err = {0};
        assert_true(vp_phantom_params_set_fracture(&p, shapes[s], grade, &err));
        char what[48];
        snprintf(what, sizeof what, "%s %s grade %d", fracture_levels[l],
                 vp_fracture_shape_name(shapes[s]), grade);
        check_phantom_frame(&p, s == 0 ? tilt_20_20() : vp_mat3_identity(), false, what);
      }
}

static void test_frame_lytic_lesion_with_breach(void **state)
{
  (void)state;
  VpPhantomParams p = params_for("L2", 1.0);
  VpPhantomLesion lesion = {.kind = VP_LESION_LYTIC, .center_mm = {0, -7, 0}, .radius_mm = 9,
                            .hu = NAN, .breach = VP_BREACH_POSTERIOR};
  VpError err = {0};
  assert_true(vp_phantom_params_add_lesion(&p, &lesion, &err));
  check_phantom_frame(&p, vp_mat3_identity(), false, "L2 lytic, posterior breach");
  check_phantom_frame(&p, tilt_20_20(), false, "L2 lytic, tilted");
}

static void test_frame_surface_only(void **state)
{
  (void)state;
  const char *some[] = {"T6", "L3"};
  for (int i = 0; i < 2; i++) {
    VpPhantomParams p = params_for(some[i], 1.0);
    char what[32];
    snprintf(what, sizeof what, "%s surface, tilted", some[i]);
    check_phantom_frame(&p, tilt_20_20(), true, what);
  }
}


/* ---- the parts ---- */

enum { GROUP_OUTSIDE, GROUP_BODY, GROUP_PEDICLE_LEFT, GROUP_PEDICLE_RIGHT, GROUP_ARCH, GROUP_CANAL,
       GROUP_COUNT, GROUP_SKIP = -1 };
static const char *const group_names[GROUP_COUNT] = {"outside", "body", "left pedicle",
                                                     "right pedicle", "arch", "canal"};

static int group_of_anatomy(int p)
{
  if (p >= VP_ANATOMY_BODY_TRABECULAR && p <= VP_ANATOMY_POSTERIOR_WALL)
    return GROUP_BODY;
  switch (p) {
  case VP_ANATOMY_PEDICLE_LEFT:
    return GROUP_PEDICLE_LEFT;
  case VP_ANATOMY_PEDICLE_RIGHT:
    return GROUP_PEDICLE_RIGHT;
  case VP_ANATOMY_POSTERIOR_ARCH:
    return GROUP_ARCH;
  case VP_ANATOMY_CANAL:
    return GROUP_CANAL;
  default:
    return GROUP_OUTSIDE;
  }
}

static int group_of_phantom(int p)
{
  switch (p) {
  case VP_PART_BODY_CORTEX:
  case VP_PART_BODY_TRABECULAR:
  case VP_PART_LESION:
  case VP_PART_CLEFT:
    return GROUP_BODY;
  case VP_PART_PEDICLE_LEFT:
    return GROUP_PEDICLE_LEFT;
  case VP_PART_PEDICLE_RIGHT:
    return GROUP_PEDICLE_RIGHT;
  case VP_PART_LAMINA:
  case VP_PART_SPINOUS:
  case VP_PART_TRANSVERSE:
  case VP_PART_ARTICULAR_SUPERIOR:
  case VP_PART_ARTICULAR_INFERIOR:
    return GROUP_ARCH;
  case VP_PART_CANAL:
    return GROUP_CANAL;
  case VP_PART_RIB_FACET:
    return GROUP_SKIP; /* on the body and the transverse process alike */
  default:
    return GROUP_OUTSIDE;
  }
}

/* Dice of each group between the part map and the phantom's own, over the
 * part map's grid. */
static void part_dice(const VpVolume *parts, const VpPhantom *ph, double dice[GROUP_COUNT])
{
  double both[GROUP_COUNT] = {0}, mine[GROUP_COUNT] = {0}, truth[GROUP_COUNT] = {0};
  const uint8_t *d = parts->data;
  size_t n = 0;
  for (int k = 0; k < parts->dims[2]; k++)
    for (int j = 0; j < parts->dims[1]; j++)
      for (int i = 0; i < parts->dims[0]; i++, n++) {
        VpVec3 w = vp_volume_voxel_to_world(parts, vp_vec3(i, j, k));
        int t = group_of_phantom((int)vp_volume_sample_nearest(ph->parts, w, 0.0));
        if (t == GROUP_SKIP)
          continue;
        int m = group_of_anatomy(d[n]);
        mine[m]++;
        truth[t]++;
        both[m] += m == t;
      }
  for (int g = 0; g < GROUP_COUNT; g++)
    dice[g] = mine[g] + truth[g] > 0 ? 2.0 * both[g] / (mine[g] + truth[g]) : 1.0;
}

static VpVolume *parts_of(const VpCase *c, double spacing, bool thoracic, VpAnatomyFrame *f)
{
  VpError err = {0};
  VpVolume *bone = vp_anatomy_bone_grid(c, spacing, 0, &err);
  if (!bone)
    fail_msg("bone grid: %s", err.message);
  if (!vp_anatomy_find_frame(bone, f, &err))
    fail_msg("frame: %s", err.message);
  VpVolume *parts = vp_anatomy_label_parts(bone, f, thoracic, &err);
  if (!parts)
    fail_msg("parts: %s", err.message);
  vp_volume_free(bone);
  return parts;
}

/* Body, arch and canal agree with the phantom at every level (1 mm grid);
 * pedicles less closely: the phantom's pedicle is a tube along its own axis
 * ending at the arch, ours the bone beside the canal's front part and beside
 * the body, which takes the transverse process's root too. */
static void check_part_dice(const char *level, double spacing, double pedicle_min)
{
  VpPhantomParams p = params_for(level, spacing);
  VpPhantom *ph = make(&p);
  VpCase *c = case_from_mask(ph, vp_mat3_identity());
  VpAnatomyFrame f;
  VpVolume *parts = parts_of(c, spacing, level[0] == 'T', &f);
  double dice[GROUP_COUNT];
  part_dice(parts, ph, dice);
  printf("  %-4s %.1f mm: Dice", level, spacing);
  for (int g = 1; g < GROUP_COUNT; g++)
    printf("  %s %.3f", group_names[g], dice[g]);
  printf("\n");
  for (int g = 1; g < GROUP_COUNT; g++) {
    bool pedicle = g == GROUP_PEDICLE_LEFT || g == GROUP_PEDICLE_RIGHT;
    double min = pedicle ? pedicle_min : 0.8;
    if (dice[g] < min)
      fail_msg("%s: %s Dice %.3f below %.2f", level, group_names[g], dice[g], min);
  }
  vp_volume_free(parts);
  vp_case_free(c);
  vp_phantom_free(ph);
}

static void test_parts_agree_with_phantom_every_level(void **state)
{
  (void)state;
  for (size_t i = 0; i < LEVEL_COUNT; i++)
    check_part_dice(levels[i], 1.0, 0.6);
}

static void test_parts_agree_with_phantom_fine_grid(void **state)
{
  (void)state;
  check_part_dice("T6", 0.5, 0.8);
  check_part_dice("T12", 0.5, 0.75);
  check_part_dice("L3", 0.5, 0.8);
}

/* The spaces and the shell: every part present where it should be, the
 * spaces never on bone, the costovertebral regions only at thoracic levels. */
static void test_parts_every_kind_present(void **state)
{
  (void)state;
  const char *two[] = {"T8", "L2"};
  for (int l = 0; l < 2; l++) {
    VpPhantomParams p = params_for(two[l], 1.0);
    VpPhantom *ph = make(&p);
    VpCase *c = case_from_mask(ph, tilt_20_20());
    VpAnatomyFrame f;
    bool thoracic = two[l][0] == 'T';
    VpVolume *parts = parts_of(c, 1.0, thoracic, &f);
    VpVolume *bone = vp_anatomy_bone_grid(c, 1.0, 0, NULL);
    size_t count[VP_ANATOMY_PART_COUNT] = {0};
    const uint8_t *d = parts->data, *b = bone->data;
    for (size_t n = 0; n < vp_volume_voxel_count(parts); n++) {
      count[d[n]]++;
      assert_int_equal(vp_anatomy_part_is_bone((VpAnatomyPart)d[n]), b[n] != 0);
    }
    for (int q = 1; q < VP_ANATOMY_PART_COUNT; q++) {
      bool costal = q == VP_ANATOMY_COSTOVERTEBRAL_LEFT || q == VP_ANATOMY_COSTOVERTEBRAL_RIGHT;
      if (costal && !thoracic)
        assert_int_equal(count[q], 0);
      else if (count[q] == 0)
        fail_msg("%s: no %s", two[l], vp_anatomy_part_key((VpAnatomyPart)q));
    }
    /* the superior endplate lies above the inferior one, the posterior wall
     * between the body's centre and the canal */
    double z_sup = 0, z_inf = 0, y_wall = 0, y_canal = 0;
    size_t n_sup = 0, n_inf = 0, n_wall = 0, n_canal = 0, n = 0;
    for (int k = 0; k < parts->dims[2]; k++)
      for (int j = 0; j < parts->dims[1]; j++)
        for (int i = 0; i < parts->dims[0]; i++, n++) {
          VpVec3 q = vp_anatomy_frame_to_local(&f, vp_volume_voxel_to_world(parts, vp_vec3(i, j, k)));
          if (d[n] == VP_ANATOMY_ENDPLATE_SUPERIOR) {
            z_sup += q.z;
            n_sup++;
          } else if (d[n] == VP_ANATOMY_ENDPLATE_INFERIOR) {
            z_inf += q.z;
            n_inf++;
          } else if (d[n] == VP_ANATOMY_POSTERIOR_WALL) {
            y_wall += q.y;
            n_wall++;
          } else if (d[n] == VP_ANATOMY_CANAL && fabs(q.z) < 5.0) {
            y_canal += q.y;
            n_canal++;
          }
        }
    assert_true(z_sup / n_sup > 5.0);
    assert_true(z_inf / n_inf < -5.0);
    assert_true(y_wall / n_wall < -5.0);
    assert_true(y_canal / n_canal < y_wall / n_wall);
    vp_volume_free(bone);
    vp_volume_free(parts);
    vp_case_free(c);
    vp_phantom_free(ph);
  }
}

/* ---- the whole pipeline ---- */

typedef struct ProgressLog {
  int reports;
  char stages[8][64];
  int cancel_after; /* cancel at this many reports; -1 never */
} ProgressLog;

static void log_report(void *user, double fraction, const char *stage)
{
  ProgressLog *log = user;
  assert_true(fraction >= 0.0 && fraction <= 1.0);
  if (log->reports < 8)
    snprintf(log->stages[log->reports], sizeof log->stages[0], "%s", stage);
  log->reports++;
}

static bool log_cancelled(void *user)
{
  ProgressLog *log = user;
  return log->cancel_after >= 0 && log->reports >= log->cancel_after;
}

static void test_compute_reports_stages_and_cancels(void **state)
{
  (void)state;
  VpPhantomParams p = params_for("L2", 1.0);
  VpPhantom *ph = make(&p);
  VpCase *c = case_from_mask(ph, vp_mat3_identity());
  VpAnatomyOptions opts = vp_anatomy_options_default();
  opts.spacing_mm = 1.0;
  for (int cancel_at = 1; cancel_at <= 3; cancel_at++) {
    ProgressLog log = {.cancel_after = cancel_at};
    VpProgress progress = {log_report, log_cancelled, &log};
    VpError err = {0};
    VpAnatomy *a = vp_anatomy_compute(c, NULL, &opts, &progress, &err);
    assert_null(a);
    assert_int_equal(err.code, VP_ERR_CANCELLED);
    assert_int_equal(log.reports, cancel_at);
  }
  ProgressLog log = {.cancel_after = -1};
  VpProgress progress = {log_report, log_cancelled, &log};
  VpError err = {0};
  VpAnatomy *a = vp_anatomy_compute(c, NULL, &opts, &progress, &err);
  if (!a)
    fail_msg("%s", err.message);
  assert_string_equal(log.stages[0], "Finding the vertebra's frame");
  assert_string_equal(log.stages[1], "Labelling its parts");
  assert_string_equal(log.stages[2], "Measuring");
  assert_string_equal(a->level, "L2");
  assert_false(a->thoracic);
  vp_anatomy_free(a);
  vp_case_free(c);
  vp_phantom_free(ph);
}

static void test_compute_refuses_a_blob_without_canal(void **state)
{
  (void)state;
  VpCase c;
  memset(&c, 0, sizeof c);
  VpError err = {0};
  int dims[3] = {50, 50, 30};
  c.mask = vp_volume_new(dims, VP_VOXEL_U8, NULL, NULL, &err);
  for (int k = 5; k < 25; k++)
    for (int j = 5; j < 45; j++)
      for (int i = 5; i < 45; i++)
        vp_volume_set_value(c.mask, i, j, k, 22);
  c.label = 22;
  snprintf(c.level, sizeof c.level, "L3");
  VpAnatomy *a = vp_anatomy_compute(&c, NULL, NULL, NULL, &err);
  assert_null(a);
  assert_int_equal(err.code, VP_ERR_INVALID);
  assert_non_null(strstr(err.message, "canal"));
  vp_volume_free(c.mask);
}

static void test_readjust_moves_the_frame_keeps_the_parts(void **state)
{
  (void)state;
  VpPhantomParams p = params_for("L1", 1.0);
  VpPhantom *ph = make(&p);
  VpCase *c = case_from_mask(ph, vp_mat3_identity());
  VpAnatomyOptions opts = vp_anatomy_options_default();
  opts.spacing_mm = 1.0;
  VpError err = {0};
  VpAnatomy *a = vp_anatomy_compute(c, NULL, &opts, NULL, &err);
  if (!a)
    fail_msg("%s", err.message);
  const VpVolume *parts = a->parts;
  VpFrameAdjustment adj = {{0, 0, 10}, {0, 0, 2}};
  assert_true(vp_anatomy_readjust(a, c, &adj, &err));
  assert_ptr_equal(a->parts, parts);
  assert_float_equal(vp_rad_to_deg(vp_vec3_angle(a->frame.left, a->auto_frame.left)), 10.0, 1e-6);
  assert_float_equal(vp_vec3_distance(a->frame.origin_mm, a->auto_frame.origin_mm), 2.0, 1e-9);
  assert_true(a->adjustment.rotation_deg[2] == 10.0);
  vp_anatomy_free(a);
  vp_case_free(c);
  vp_phantom_free(ph);
}

/* The sagittal angle comes out up to 3.3 degrees off at some thoracic levels
 * (T5: 11 against 14) while the frame is within half a degree there. */
#define SAGITTAL_TOLERANCE_DEG 3.5

/* Frame, parts and measurements against the phantom's truth at every level
 * on the default 0.5 mm grid, with the time each takes: frame axes within 3
 * degrees and origin within 2 mm, body heights and pedicle widths within
 * 0.5 mm, pedicle angles within 3 degrees, the Genant grade exact. */
static void test_compute_measures_every_level(void **state)
{
  (void)state;
  double worst_ms = 0.0;
  for (size_t i = 0; i < LEVEL_COUNT; i++) {
    VpPhantomParams p = params_for(levels[i], 0.5);
    VpPhantom *ph = make(&p);
    VpCase *c = case_from_mask(ph, vp_mat3_identity());
    VpError err = {0};
    double t0 = now_ms();
    VpAnatomy *a = vp_anatomy_compute(c, NULL, NULL, NULL, &err);
    double ms = now_ms() - t0;
    if (!a)
      fail_msg("%s: %s", levels[i], err.message);
    worst_ms = fmax(worst_ms, ms);
    const VpAnatomyMeasures *m = &a->measures;
    const VpPhantomTruth *t = &ph->truth;
    printf("  %-4s %4.0f ms  pedicle w %.1f/%.1f (%.1f/%.1f)  angle %.1f/%.1f (%.1f)  heights "
           "%.1f %.1f %.1f (%.1f %.1f %.1f)  grade %d (%d)  sagittal %.1f/%.1f (%.1f)\n",
           levels[i], ms, m->pedicle[0].width_mm, m->pedicle[1].width_mm, t->pedicle[0].width_mm,
           t->pedicle[1].width_mm, m->pedicle[0].transverse_angle_deg,
           m->pedicle[1].transverse_angle_deg, p.pedicle_transverse_angle_deg, m->body_height_mm[0],
           m->body_height_mm[1], m->body_height_mm[2], t->height_mm[0], t->height_mm[1],
           t->height_mm[2], m->genant_grade, t->genant_grade, m->pedicle[0].sagittal_angle_deg,
           m->pedicle[1].sagittal_angle_deg, p.pedicle_sagittal_angle_deg);
    FrameError e = frame_error(&a->frame, &(VpAnatomyFrame){body_centre(ph), {-1, 0, 0}, {0, 1, 0},
                                                            {0, 0, 1}});
    check_frame_error(levels[i], &e);
    for (int h = 0; h < 3; h++)
      if (fabs(m->body_height_mm[h] - t->height_mm[h]) > 0.5)
        fail_msg("%s: body height %d %.2f mm, truth %.2f mm", levels[i], h, m->body_height_mm[h],
                 t->height_mm[h]);
    for (int side = 0; side < 2; side++) {
      const VpPedicleMeasures *pm = &m->pedicle[side];
      if (!pm->found || fabs(pm->width_mm - t->pedicle[side].width_mm) > 0.5)
        fail_msg("%s: pedicle %d width %.2f mm, truth %.2f mm", levels[i], side, pm->width_mm,
                 t->pedicle[side].width_mm);
      if (fabs(pm->transverse_angle_deg - p.pedicle_transverse_angle_deg) > 3.0 ||
          fabs(pm->sagittal_angle_deg - p.pedicle_sagittal_angle_deg) > SAGITTAL_TOLERANCE_DEG)
        fail_msg("%s: pedicle %d angles %.1f / %.1f degrees, truth %.1f / %.1f", levels[i], side,
                 pm->transverse_angle_deg, pm->sagittal_angle_deg, p.pedicle_transverse_angle_deg,
                 p.pedicle_sagittal_angle_deg);
    }
    assert_int_equal(m->genant_grade, t->genant_grade);
    vp_anatomy_free(a);
    vp_case_free(c);
    vp_phantom_free(ph);
  }
  printf("  slowest vertebra: %.0f ms\n", worst_ms);
}

/* ---- real scans ---- */

/* Every vertebra of a VerSe mask: the origin inside solid bone, the canal
 * behind it and empty, and the time per vertebra. */
static void check_verse_mask(const char *relative)
{
  char *path = vp_test_shared_file(relative);
  if (!path) {
    printf("  %s absent: skipped\n", relative);
    return;
  }
  VpError err = {0};
  VpVolume *mask = vp_volume_load_nifti(path, NULL, NULL, &err);
  if (!mask)
    fail_msg("%s", err.message);
  VpLabelStats stats;
  assert_true(vp_volume_label_stats(mask, &stats, &err));
  for (size_t s = 0; s < stats.count; s++) {
    int label = stats.labels[s].label;
    const char *level = vp_level_name(label);
    if (!level || level[0] == 'C' || stats.labels[s].volume_ml < 5.0)
      continue;
    VpCase c;
    memset(&c, 0, sizeof c);
    c.mask = mask;
    c.label = label;
    snprintf(c.level, sizeof c.level, "%s", level);
    double t0 = now_ms();
    VpAnatomy *a = vp_anatomy_compute(&c, NULL, NULL, NULL, &err);
    double ms = now_ms() - t0;
    if (!a)
      fail_msg("%s %s: %s", relative, level, err.message);
    const VpAnatomyFrame *f = &a->frame;
    /* the body's centre is solid bone of this label; a point behind it by
     * the canal's distance is not, and the canal lies behind the centre */
    VpVec3 canal = vp_anatomy_frame_to_local(f, a->measures.canal_centroid_mm);
    int at_origin = vp_label_from_value(vp_volume_sample_nearest(mask, f->origin_mm, 0));
    int at_canal = vp_label_from_value(vp_volume_sample_nearest(mask, a->measures.canal_centroid_mm, 0));
    double solid_front = 0, solid_back = 0;
    for (int q = -2; q <= 2; q++)
      for (int r = -2; r <= 2; r++) {
        VpVec3 front = vp_anatomy_frame_to_world(f, vp_vec3(q * 2.0, 4.0, r * 2.0));
        VpVec3 back = vp_anatomy_frame_to_world(f, vp_vec3(q * 2.0, canal.y, r * 2.0));
        solid_front += vp_label_from_value(vp_volume_sample_nearest(mask, front, 0)) == label;
        solid_back += vp_label_from_value(vp_volume_sample_nearest(mask, back, 0)) == label;
      }
    printf("  %s %-4s %4.0f ms  superior %.2f %.2f %.2f  anterior %.2f %.2f %.2f  canal y %.1f  "
           "solid ahead %.0f/25 at canal %.0f/25  body %.0f %%\n",
           relative, level, ms, f->superior.x, f->superior.y, f->superior.z, f->anterior.x,
           f->anterior.y, f->anterior.z, canal.y, solid_front, solid_back,
           100.0 * a->measures.body_volume_ml / a->measures.vertebra_volume_ml);
    assert_int_equal(at_origin, label);
    assert_int_not_equal(at_canal, label);
    assert_true(canal.y < -5.0);
    assert_true(solid_front >= 20);
    assert_true(solid_back <= 5);
    vp_anatomy_free(a);
  }
  vp_label_stats_clear(&stats);
  vp_volume_free(mask);
  free(path);
}

static void test_verse_masks_anterior_from_canal_to_body(void **state)
{
  (void)state;
  check_verse_mask("verse/sub-verse005_seg-vert_msk.nii.gz");
  check_verse_mask("verse/sub-verse009_seg-vert_msk.nii.gz");
}

/* ---- refusals ---- */

/* A solid box of bone: no canal. */
static void test_blob_without_canal_is_refused(void **state)
{
  (void)state;
  VpError err = {0};
  int dims[3] = {60, 50, 40};
  VpVolume *bone = vp_volume_new(dims, VP_VOXEL_U8, NULL, NULL, &err);
  assert_non_null(bone);
  for (int k = 10; k < 30; k++)
    for (int j = 10; j < 40; j++)
      for (int i = 10; i < 50; i++)
        vp_volume_set_value(bone, i, j, k, 1);
  VpAnatomyFrame f;
  assert_false(vp_anatomy_find_frame(bone, &f, &err));
  assert_int_equal(err.code, VP_ERR_INVALID);
  assert_non_null(strstr(err.message, "canal"));
  vp_volume_free(bone);
}

/* ---- the frame correction ---- */

static void test_adjustment_identity_and_offsets(void **state)
{
  (void)state;
  VpAnatomyFrame f = {.origin_mm = {10, 20, 30}, .left = {-1, 0, 0}, .anterior = {0, 1, 0},
                      .superior = {0, 0, 1}};
  VpFrameAdjustment none = {{0}, {0}};
  assert_true(vp_frame_adjustment_is_identity(&none));
  assert_true(vp_frame_adjustment_is_identity(NULL));
  VpFrameAdjustment move = {{0, 0, 0}, {1, 2, 3}};
  assert_false(vp_frame_adjustment_is_identity(&move));
  VpAnatomyFrame g = vp_anatomy_frame_adjusted(&f, &move);
  assert_float_equal(g.origin_mm.x, 9.0, 1e-12);
  assert_float_equal(g.origin_mm.y, 22.0, 1e-12);
  assert_float_equal(g.origin_mm.z, 33.0, 1e-12);
  VpVec3 local = vp_anatomy_frame_to_local(&f, vp_vec3(7, 25, 31));
  assert_float_equal(local.x, 3.0, 1e-12);
  assert_float_equal(local.y, 5.0, 1e-12);
  assert_float_equal(local.z, 1.0, 1e-12);
  VpVec3 back = vp_anatomy_frame_to_world(&f, local);
  assert_float_equal(back.x, 7.0, 1e-12);
}

/* Turning 90 degrees about left, then 90 about the new anterior: the turns
 * are about the axes as the previous turn left them. */
static void test_adjustment_turns_about_own_axes_in_order(void **state)
{
  (void)state;
  VpAnatomyFrame f = {.origin_mm = {0, 0, 0}, .left = {-1, 0, 0}, .anterior = {0, 1, 0},
                      .superior = {0, 0, 1}};
  VpFrameAdjustment adj = {{90, 90, 0}, {0, 0, 0}};
  VpAnatomyFrame g = vp_anatomy_frame_adjusted(&f, &adj);
  /* About left (-x) by 90: anterior -> -z, superior -> y. Then about the new
   * anterior (-z) by 90: left -> y, superior (y) -> x. */
  assert_float_equal(g.anterior.z, -1.0, 1e-12);
  assert_float_equal(g.left.y, 1.0, 1e-12);
  assert_float_equal(g.superior.x, 1.0, 1e-12);
  assert_float_equal(vp_vec3_dot(vp_vec3_cross(g.superior, g.anterior), g.left), 1.0, 1e-12);
}

static void test_part_names_and_keys(void **state)
{
  (void)state;
  for (int p = 0; p < VP_ANATOMY_PART_COUNT; p++) {
    assert_non_null(vp_anatomy_part_name((VpAnatomyPart)p));
    assert_non_null(vp_anatomy_part_key((VpAnatomyPart)p));
  }
  assert_null(vp_anatomy_part_key(VP_ANATOMY_PART_COUNT));
  assert_string_equal(vp_anatomy_part_key(VP_ANATOMY_PEDICLE_LEFT), "pedicle_left");
  assert_true(vp_anatomy_part_is_bone(VP_ANATOMY_BODY_TRABECULAR));
  assert_true(vp_anatomy_part_is_bone(VP_ANATOMY_POSTERIOR_ARCH));
  assert_false(vp_anatomy_part_is_bone(VP_ANATOMY_CANAL));
  assert_false(vp_anatomy_part_is_bone(VP_ANATOMY_OUTSIDE));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_part_names_and_keys),
      cmocka_unit_test(test_adjustment_identity_and_offsets),
      cmocka_unit_test(test_adjustment_turns_about_own_axes_in_order),
      cmocka_unit_test(test_blob_without_canal_is_refused),
      cmocka_unit_test(test_frame_every_level),
      cmocka_unit_test(test_frame_every_level_tilted),
      cmocka_unit_test(test_frame_fractures),
      cmocka_unit_test(test_frame_lytic_lesion_with_breach),
      cmocka_unit_test(test_frame_surface_only),
      cmocka_unit_test(test_parts_agree_with_phantom_every_level),
      cmocka_unit_test(test_parts_agree_with_phantom_fine_grid),
      cmocka_unit_test(test_parts_every_kind_present),
      cmocka_unit_test(test_compute_reports_stages_and_cancels),
      cmocka_unit_test(test_compute_refuses_a_blob_without_canal),
      cmocka_unit_test(test_readjust_moves_the_frame_keeps_the_parts),
      cmocka_unit_test(test_compute_measures_every_level),
      cmocka_unit_test(test_verse_masks_anterior_from_canal_to_body),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
