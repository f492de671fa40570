/* The vertebra phantom generator: every level closed and in one piece,
 * determinism, parts where they belong (open canal, pedicles joining body
 * and arch, isthmus width on the mesh), fracture heights by Genant grade, CT
 * densities, mask labels, pathology in the ground truth, saved cases and
 * parameter files, and clear refusals of bad parameters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vp-bvh.h"
#include "vp-case.h"
#include "vp-phantom.h"
#include "vp-plan.h"
#include "vp-test-util.h"

/* ---- helpers ---- */

/* A level's defaults on coarse grids, so the many phantoms of this suite
 * stay quick; tests of fine detail set the real grids again. */
static VpPhantomParams params_for(const char *level)
{
  VpPhantomParams p;
  VpError err = {0};
  if (!vp_phantom_params_init(&p, level, &err))
    fail_msg("%s: %s", level, err.message);
  p.spacing_mm = 1.0;
  p.surface_spacing_mm = 1.0;
  p.margin_mm = 4.0;
  return p;
}

/* The generator's own surface grid, as the bundled cases are made. */
static VpPhantomParams fine_surface(VpPhantomParams p)
{
  VpPhantomParams defaults;
  assert_true(vp_phantom_params_init_label(&defaults, p.label, NULL));
  p.surface_spacing_mm = defaults.surface_spacing_mm;
  p.spacing_mm = 2.0; /* the CT plays no part */
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

static VpPhantom *make_level(const char *level)
{
  VpPhantomParams p = params_for(level);
  return make(&p);
}

static void assert_refused(const VpPhantomParams *p, VpErrorCode code, const char *part)
{
  VpError err = {0};
  VpPhantom *ph = vp_phantom_generate(p, NULL, &err);
  if (ph)
    fail_msg("accepted parameters that should be refused (expected \"%s\")", part);
  assert_int_equal(err.code, code);
  if (!strstr(err.message, part))
    fail_msg("message \"%s\" does not mention \"%s\"", err.message, part);
}

static VpVec3 to_world(const VpPhantom *ph, VpVec3 local)
{
  return vp_mat4_transform_point(ph->local_to_world, local);
}

/* Mean CT value within radius of a point (world mm), and the voxel count. */
static double mean_hu(const VpVolume *ct, VpVec3 c, double radius, int *count)
{
  double sum = 0.0;
  int n = 0;
  for (int k = 0; k < ct->dims[2]; k++)
    for (int j = 0; j < ct->dims[1]; j++)
      for (int i = 0; i < ct->dims[0]; i++) {
        VpVec3 p = vp_volume_voxel_to_world(ct, vp_vec3(i, j, k));
        if (vp_vec3_distance(p, c) <= radius) {
          sum += vp_volume_value(ct, i, j, k);
          n++;
        }
      }
  if (count)
    *count = n;
  return n ? sum / n : NAN;
}

/* Vertical extent of the mesh along the line through (x, y) of the
 * vertebra frame: first hit from above to last hit. */
static double mesh_height(const VpPhantom *ph, const VpBvh *bvh, double x, double y)
{
  VpVec3 top = to_world(ph, vp_vec3(x, y, 200.0));
  VpRayHits hits = {0};
  VpError err = {0};
  assert_true(vp_bvh_raycast_all(bvh, top, vp_vec3(0, 0, -1), 0.0, 400.0, &hits, &err));
  assert_true(hits.count >= 2);
  double h = hits.hits[hits.count - 1].t - hits.hits[0].t;
  vp_ray_hits_clear(&hits);
  return h;
}

/* ---- the cross-section of a mesh ---- */

typedef struct Segment2 {
  double a[2], b[2];
} Segment2;

/* Segments where the mesh's triangles cut the plane through c with normal n,
 * in plane coordinates along u and v = n x u. */
static Segment2 *plane_segments(const VpMesh *m, VpVec3 c, VpVec3 n, VpVec3 u, size_t *count)
{
  VpVec3 v = vp_vec3_cross(n, u);
  Segment2 *out = malloc(sizeof *out * m->triangle_count);
  assert_non_null(out);
  *count = 0;
  for (uint32_t t = 0; t < m->triangle_count; t++) {
    VpVec3 q[3];
    double d[3];
    for (int k = 0; k < 3; k++) {
      const float *p = m->positions + 3 * (size_t)m->indices[3 * t + k];
      q[k] = vp_vec3_sub(vp_vec3(p[0], p[1], p[2]), c);
      d[k] = vp_vec3_dot(q[k], n);
    }
    double pts[2][2];
    int np = 0;
    for (int k = 0; k < 3 && np < 2; k++) {
      int l = (k + 1) % 3;
      if ((d[k] >= 0.0) == (d[l] >= 0.0))
        continue;
      VpVec3 x = vp_vec3_lerp(q[k], q[l], d[k] / (d[k] - d[l]));
      pts[np][0] = vp_vec3_dot(x, u);
      pts[np][1] = vp_vec3_dot(x, v);
      np++;
    }
    if (np == 2)
      out[(*count)++] = (Segment2){{pts[0][0], pts[0][1]}, {pts[1][0], pts[1][1]}};
  }
  return out;
}

/* Distance along the ray from the origin at angle a to the nearest segment. */
static double ray_to_segments(const Segment2 *s, size_t n, double a)
{
  double dx = cos(a), dy = sin(a), best = INFINITY;
  for (size_t i = 0; i < n; i++) {
    double ex = s[i].b[0] - s[i].a[0], ey = s[i].b[1] - s[i].a[1];
    double den = dx * ey - dy * ex;
    if (fabs(den) < 1e-12)
      continue;
    double t = (s[i].a[0] * ey - s[i].a[1] * ex) / den;
    double w = (s[i].a[0] * dy - s[i].a[1] * dx) / den;
    if (t > 0.0 && w >= 0.0 && w <= 1.0 && t < best)
      best = t;
  }
  return best;
}

/* Width (along u) and height (along v) of the section outline around c:
 * a fan of rays from c finds the outline of the region c lies in, so other
 * parts the plane cuts do not count. */
static void section_size(const VpMesh *m, VpVec3 c, VpVec3 n, VpVec3 u, double *width,
                         double *height)
{
  size_t count = 0;
  Segment2 *s = plane_segments(m, c, n, u, &count);
  double umin = INFINITY, umax = -INFINITY, vmin = INFINITY, vmax = -INFINITY;
  for (int r = 0; r < 3600; r++) {
    double a = 2.0 * VP_PI * r / 3600.0, t = ray_to_segments(s, count, a);
    assert_true(isfinite(t));
    umin = fmin(umin, t * cos(a));
    umax = fmax(umax, t * cos(a));
    vmin = fmin(vmin, t * sin(a));
    vmax = fmax(vmax, t * sin(a));
  }
  free(s);
  *width = umax - umin;
  *height = vmax - vmin;
}

/* ---- every level ---- */

static void test_every_level_is_closed_and_in_one_piece(void **state)
{
  (void)state;
  for (int label = 8; label <= 24; label++) {
    VpPhantomParams p;
    VpError err = {0};
    assert_true(vp_phantom_params_init_label(&p, label, &err));
    p.spacing_mm = 2.0;
    p.surface_spacing_mm = 0.8;
    p.margin_mm = 0.0;
    VpPhantom *ph = make(&p);
    VpMeshStats s;
    assert_true(vp_mesh_measure(ph->surface, &s, &err));
    if (!s.edges.watertight || s.components != 1 || !s.outward)
      fail_msg("%s: watertight %d, %u components, outward %d", ph->level, s.edges.watertight,
               s.components, s.outward);
    vp_phantom_free(ph);
  }
}

static void test_surface_encloses_the_volume_of_the_ground_truth(void **state)
{
  (void)state;
  VpPhantomParams p = params_for("L2");
  p.spacing_mm = 0.5;
  p.surface_spacing_mm = 0.5;
  VpPhantom *ph = make(&p);
  VpMeshStats s;
  VpError err = {0};
  assert_true(vp_mesh_measure(ph->surface, &s, &err));
  assert_true(fabs(s.volume_ml - ph->truth.vertebra_volume_ml) < 0.01 * s.volume_ml);
  vp_phantom_free(ph);
}

static void test_levels_have_plausible_volumes(void **state)
{
  (void)state;
  /* Whole-vertebra volumes of real vertebrae (shared/data/verse/README.md)
   * are T5 17.7, T8 27.6, L3 54.2-64.1 mL; the phantoms are smaller bones
   * and must still be of the right order. */
  static const struct {
    const char *level;
    double min_ml, max_ml;
  } expected[] = {{"T5", 12.0, 25.0}, {"T8", 17.0, 33.0}, {"L3", 38.0, 66.0}};
  for (size_t i = 0; i < 3; i++) {
    VpPhantom *ph = make_level(expected[i].level);
    double v = ph->truth.vertebra_volume_ml;
    if (v < expected[i].min_ml || v > expected[i].max_ml)
      fail_msg("%s: %.1f mL", expected[i].level, v);
    assert_true(ph->truth.body_volume_ml > 0.3 * v && ph->truth.body_volume_ml < 0.75 * v);
    vp_phantom_free(ph);
  }
}

/* ---- determinism ---- */

static void test_same_seed_gives_identical_output(void **state)
{
  (void)state;
  VpPhantomParams p = params_for("L2");
  p.seed = 42;
  VpPhantom *a = make(&p), *b = make(&p);
  size_t n = vp_volume_voxel_count(a->ct);
  assert_memory_equal(a->ct->data, b->ct->data, n * sizeof(int16_t));
  assert_memory_equal(a->mask->data, b->mask->data, n);
  assert_int_equal(a->surface->triangle_count, b->surface->triangle_count);
  assert_memory_equal(a->surface->positions, b->surface->positions,
                      3 * sizeof(float) * a->surface->vertex_count);
  assert_memory_equal(a->surface->indices, b->surface->indices,
                      3 * sizeof(uint32_t) * a->surface->triangle_count);
  vp_phantom_free(a);
  vp_phantom_free(b);
}

static void test_another_seed_changes_only_the_ct_noise(void **state)
{
  (void)state;
  VpPhantomParams p = params_for("L2");
  p.seed = 1;
  VpPhantom *a = make(&p);
  p.seed = 2;
  VpPhantom *b = make(&p);
  size_t n = vp_volume_voxel_count(a->ct), differ = 0;
  assert_memory_equal(a->mask->data, b->mask->data, n);
  assert_memory_equal(a->parts->data, b->parts->data, n);
  assert_memory_equal(a->surface->positions, b->surface->positions,
                      3 * sizeof(float) * a->surface->vertex_count);
  double sum = 0.0, biggest = 0.0;
  const int16_t *x = a->ct->data, *y = b->ct->data;
  for (size_t i = 0; i < n; i++) {
    double d = (double)x[i] - y[i];
    differ += d != 0.0;
    sum += d;
    biggest = fmax(biggest, fabs(d));
  }
  assert_true(differ > n / 2);              /* noise everywhere */
  assert_true(fabs(sum / n) < 1.0);         /* no change of the mean */
  assert_true(biggest < 12.0 * p.noise_hu); /* nothing but noise */
  vp_phantom_free(a);
  vp_phantom_free(b);
}

/* ---- parts where they belong ---- */

static void test_spinal_canal_is_open(void **state)
{
  (void)state;
  VpPhantomParams p = fine_surface(params_for("L3"));
  p.spacing_mm = 1.0;
  VpPhantom *ph = make(&p);
  VpError err = {0};
  VpBvh *bvh = vp_bvh_build(ph->surface, &err);
  assert_non_null(bvh);
  double cy = ph->truth.canal_center_y_mm, a = 0.4 * ph->params.canal_width_mm,
         b = 0.4 * ph->truth.canal_depth_mm;
  for (int i = 0; i < 16; i++) {
    double t = 2.0 * VP_PI * i / 16.0;
    VpVec3 from = to_world(ph, vp_vec3(a * cos(t), cy + b * sin(t), 100.0));
    VpRayHit hit;
    if (vp_bvh_raycast(bvh, from, vp_vec3(0, 0, -1), 0.0, 200.0, &hit))
      fail_msg("bone in the canal at (%.1f, %.1f) mm", a * cos(t), cy + b * sin(t));
    VpVec3 mid = to_world(ph, vp_vec3(a * cos(t), cy + b * sin(t), 0.0));
    assert_int_equal(vp_label_from_value(vp_volume_sample_nearest(ph->mask, mid, 0)), 0);
  }
  vp_bvh_free(bvh);
  vp_phantom_free(ph);
}

/* Whether any voxel of part `from` touches (26-neighbourhood) one of `to`. */
static bool parts_touch(const VpVolume *parts, int from, const int *to, int to_count)
{
  const uint8_t *d = parts->data;
  const int *n = parts->dims;
  for (int k = 1; k < n[2] - 1; k++)
    for (int j = 1; j < n[1] - 1; j++)
      for (int i = 1; i < n[0] - 1; i++) {
        if (d[i + (size_t)n[0] * (j + (size_t)n[1] * k)] != from)
          continue;
        for (int q = 0; q < 27; q++) {
          size_t at = (size_t)(i + q % 3 - 1) +
                      (size_t)n[0] * ((size_t)(j + q / 3 % 3 - 1) + (size_t)n[1] * (k + q / 9 - 1));
          for (int t = 0; t < to_count; t++)
            if (d[at] == to[t])
              return true;
        }
      }
  return false;
}

static void test_pedicles_join_body_and_arch(void **state)
{
  (void)state;
  static const int body[] = {VP_PART_BODY_CORTEX, VP_PART_BODY_TRABECULAR};
  static const int arch[] = {VP_PART_LAMINA, VP_PART_ARTICULAR_SUPERIOR, VP_PART_TRANSVERSE};
  const char *levels[] = {"T6", "L4"};
  for (int l = 0; l < 2; l++) {
    VpPhantom *ph = make_level(levels[l]);
    for (int part = VP_PART_PEDICLE_LEFT; part <= VP_PART_PEDICLE_RIGHT; part++) {
      if (!parts_touch(ph->parts, part, body, 2))
        fail_msg("%s: %s does not join the body", levels[l], vp_phantom_part_name(part));
      if (!parts_touch(ph->parts, part, arch, 3))
        fail_msg("%s: %s does not join the arch", levels[l], vp_phantom_part_name(part));
    }
    vp_phantom_free(ph);
  }
}

/* Measures both isthmuses on the mesh, perpendicular to each pedicle axis. */
static void check_isthmus(const VpPhantom *ph, double tolerance_mm)
{
  const double asked[2] = {ph->params.pedicle_width_left_mm, ph->params.pedicle_width_right_mm};
  const double asked_h[2] = {ph->params.pedicle_height_left_mm, ph->params.pedicle_height_right_mm};
  for (int s = 0; s < 2; s++) {
    const VpPhantomPedicle *pd = &ph->truth.pedicle[s];
    double width, height;
    section_size(ph->surface, pd->isthmus_center_mm, pd->axis, pd->width_direction, &width,
                 &height);
    if (fabs(width - asked[s]) > tolerance_mm || fabs(height - asked_h[s]) > tolerance_mm)
      fail_msg("%s side %d: isthmus %.2f x %.2f mm on the mesh, asked %.2f x %.2f", ph->level, s,
               width, height, asked[s], asked_h[s]);
  }
}

static void test_isthmus_width_on_the_mesh_matches_the_request(void **state)
{
  (void)state;
  static const struct {
    const char *level;
    double left, right;
  } cases[] = {
      {"L1", NAN, NAN}, {"L4", NAN, NAN}, {"T5", 4.0, 4.0}, {"T8", 5.0, 6.8}, {"T11", NAN, NAN}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    VpPhantomParams p = fine_surface(params_for(cases[i].level));
    if (!isnan(cases[i].left)) {
      p.pedicle_width_left_mm = cases[i].left;
      p.pedicle_width_right_mm = cases[i].right;
    }
    assert_true(p.surface_spacing_mm <= 0.5);
    VpPhantom *ph = make(&p);
    check_isthmus(ph, 0.3);
    vp_phantom_free(ph);
  }
}

/* ---- fractures ---- */

/* Largest relative loss of body height on the mesh at the three lines of the
 * ground truth, against the same vertebra without fracture. */
static double measured_loss(VpFractureShape shape, int grade)
{
  VpPhantomParams p = fine_surface(params_for("L2"));
  VpPhantom *normal = make(&p);
  VpError err = {0};
  assert_true(vp_phantom_params_set_fracture(&p, shape, grade, &err));
  VpPhantom *broken = make(&p);
  VpBvh *a = vp_bvh_build(normal->surface, &err), *b = vp_bvh_build(broken->surface, &err);
  assert_non_null(a);
  assert_non_null(b);
  double loss = 0.0;
  for (int i = 0; i < 3; i++) {
    double y = broken->truth.height_y_mm[i];
    double before = mesh_height(normal, a, 0.0, y), after = mesh_height(broken, b, 0.0, y);
    assert_true(fabs(after - broken->truth.height_mm[i]) < 0.3);
    loss = fmax(loss, 100.0 * (1.0 - after / before));
  }
  vp_bvh_free(a);
  vp_bvh_free(b);
  vp_phantom_free(normal);
  vp_phantom_free(broken);
  return loss;
}

static void test_body_height_loss_matches_the_genant_grade(void **state)
{
  (void)state;
  static const struct {
    VpFractureShape shape;
    int grade;
  } cases[] = {{VP_FRACTURE_WEDGE, 1},
               {VP_FRACTURE_WEDGE, 2},
               {VP_FRACTURE_WEDGE, 3},
               {VP_FRACTURE_BICONCAVE, 2},
               {VP_FRACTURE_CRUSH, 3}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    double loss = measured_loss(cases[i].shape, cases[i].grade);
    if (vp_genant_grade(loss) != cases[i].grade)
      fail_msg("%s grade %d: measured loss %.1f %% is grade %d",
               vp_fracture_shape_name(cases[i].shape), cases[i].grade, loss, vp_genant_grade(loss));
  }
}

static void test_genant_grades_follow_the_bands(void **state)
{
  (void)state;
  assert_int_equal(vp_genant_grade(19.9), 0);
  assert_int_equal(vp_genant_grade(22.0), 1);
  assert_int_equal(vp_genant_grade(30.0), 2);
  assert_int_equal(vp_genant_grade(41.0), 3);
}

/* ---- the CT and the mask ---- */

static void test_trabecular_hu_matches_the_request(void **state)
{
  (void)state;
  static const struct {
    bool osteoporotic;
    double hu, expect;
  } cases[] = {{false, NAN, 200.0}, {true, NAN, 85.0}, {false, 150.0, 150.0}};
  for (size_t i = 0; i < 3; i++) {
    VpPhantomParams p = params_for("L1");
    p.osteoporotic = cases[i].osteoporotic;
    p.trabecular_hu = cases[i].hu;
    VpPhantom *ph = make(&p);
    int n = 0;
    double hu = mean_hu(ph->ct, to_world(ph, vp_vec3(0, 3, 0)), 6.0, &n);
    assert_true(n > 100);
    if (fabs(hu - cases[i].expect) > 5.0)
      fail_msg("trabecular bone %.1f HU, asked %.1f", hu, cases[i].expect);
    vp_phantom_free(ph);
  }
}

static void test_cortex_is_dense(void **state)
{
  (void)state;
  VpPhantomParams p = params_for("L3");
  p.spacing_mm = 0.5;
  VpPhantom *ph = make(&p);
  /* The brightest voxel across the anterior wall reaches cortical density
   * despite the partial-volume blur of a thin shell. */
  double best = -2000.0;
  for (double y = 10.0; y < 22.0; y += 0.25)
    best = fmax(best, vp_volume_sample_nearest(ph->ct, to_world(ph, vp_vec3(0, y, 0)), -1024));
  assert_true(best > 500.0 && best < 1300.0);
  vp_phantom_free(ph);
}

static void test_lesion_voxels_carry_lesion_hu(void **state)
{
  (void)state;
  static const struct {
    VpLesionKind kind;
    double expect;
  } cases[] = {{VP_LESION_LYTIC, 35.0}, {VP_LESION_BLASTIC, 900.0}};
  for (size_t i = 0; i < 2; i++) {
    VpPhantomParams p = params_for("L3");
    VpPhantomLesion l = {cases[i].kind, {4, 2, 0}, 8.0, NAN, VP_BREACH_NONE};
    VpError err = {0};
    assert_true(vp_phantom_params_add_lesion(&p, &l, &err));
    VpPhantom *ph = make(&p);
    VpVec3 c = to_world(ph, l.center_mm);
    double hu = mean_hu(ph->ct, c, l.radius_mm - 2.0, NULL);
    if (fabs(hu - cases[i].expect) > 15.0)
      fail_msg("%s lesion: %.1f HU", vp_lesion_kind_name(cases[i].kind), hu);
    assert_int_equal(vp_volume_sample_nearest(ph->parts, c, 0), VP_PART_LESION);
    double sphere = 4.0 / 3.0 * VP_PI * pow(l.radius_mm, 3) / 1000.0;
    assert_true(fabs(ph->truth.lesion_volume_ml[0] - sphere) < 0.1 * sphere);
    vp_phantom_free(ph);
  }
}

static void test_mask_labels_the_vertebra_with_its_verse_number(void **state)
{
  (void)state;
  static const struct {
    const char *level;
    int label;
  } cases[] = {{"T8", 15}, {"L1", 20}};
  for (size_t i = 0; i < 2; i++) {
    VpPhantom *ph = make_level(cases[i].level);
    VpLabelStats stats;
    VpError err = {0};
    assert_true(vp_volume_label_stats(ph->mask, &stats, &err));
    assert_int_equal(stats.count, 1);
    assert_int_equal(stats.labels[0].label, cases[i].label);
    assert_true(fabs(stats.labels[0].volume_ml - ph->truth.vertebra_volume_ml) <
                0.05 * ph->truth.vertebra_volume_ml);
    vp_label_stats_clear(&stats);
    vp_phantom_free(ph);
  }
}

/* ---- pathology ---- */

/* Highest CT value on the line across the posterior wall at the midline. */
static double posterior_wall_peak(const VpPhantom *ph, double z)
{
  double best = -2000.0;
  double wall = ph->truth.canal_center_y_mm + 0.5 * ph->params.canal_depth_mm;
  for (double y = wall - 3.0; y < wall + 3.0; y += 0.2)
    best = fmax(best, vp_volume_sample_linear(ph->ct, to_world(ph, vp_vec3(0, y, z)), -1024));
  return best;
}

static void test_breaching_lesion_replaces_the_posterior_wall(void **state)
{
  (void)state;
  VpPhantomParams p = params_for("L3");
  p.spacing_mm = 0.5;
  p.noise_hu = 0.0;
  VpPhantom *intact = make(&p);
  VpPhantomLesion l = {VP_LESION_LYTIC, {0, -6, 0}, 8.0, NAN, VP_BREACH_POSTERIOR};
  VpError err = {0};
  assert_true(vp_phantom_params_add_lesion(&p, &l, &err));
  VpPhantom *broken = make(&p);
  assert_true(posterior_wall_peak(intact, 0.0) > 500.0);
  assert_true(posterior_wall_peak(broken, 0.0) < 150.0);
  assert_int_equal(broken->truth.lesion_breach[0].site, VP_BREACH_POSTERIOR);
  /* a defect about the channel's cross-section (radius 0.6 R) */
  double disc = VP_PI * pow(0.6 * l.radius_mm, 2);
  double area = broken->truth.lesion_breach[0].area_mm2;
  if (area < 0.6 * disc || area > 2.0 * disc)
    fail_msg("breach area %.1f mm2, channel %.1f mm2", area, disc);
  assert_true(intact->truth.lesion_breach[0].area_mm2 == 0.0);
  vp_phantom_free(intact);
  vp_phantom_free(broken);
}

static void test_cleft_holds_gas(void **state)
{
  (void)state;
  VpPhantomParams p = params_for("T12");
  p.spacing_mm = 0.5;
  p.cleft = true;
  VpError err = {0};
  assert_true(vp_phantom_params_set_fracture(&p, VP_FRACTURE_WEDGE, 2, &err));
  VpPhantom *ph = make(&p);
  assert_true(ph->truth.cleft_volume_ml > 0.3);
  /* The cleft's voxels in the part map are gas in the CT. */
  double sum = 0.0;
  size_t n = 0, count = vp_volume_voxel_count(ph->parts);
  const uint8_t *parts = ph->parts->data;
  const int16_t *hu = ph->ct->data;
  for (size_t i = 0; i < count; i++)
    if (parts[i] == VP_PART_CLEFT) {
      sum += hu[i];
      n++;
    }
  assert_true(n > 100);
  assert_true(sum / n < -500.0);
  assert_true(fabs(n * pow(p.spacing_mm, 3) / 1000.0 - ph->truth.cleft_volume_ml) <
              0.25 * ph->truth.cleft_volume_ml);
  vp_phantom_free(ph);
}

static void test_endplate_break_opens_the_cortex(void **state)
{
  (void)state;
  VpPhantomParams p = params_for("L2");
  p.surface_spacing_mm = 0.5;
  VpPhantom *intact = make(&p);
  p.endplate_break = VP_ENDPLATE_SUPERIOR;
  VpPhantom *broken = make(&p);
  double r = p.endplate_break_radius_mm;
  assert_true(intact->truth.endplate_break_area_mm2 == 0.0);
  assert_true(broken->truth.endplate_break_area_mm2 > 0.6 * VP_PI * r * r);
  assert_true(broken->truth.endplate_break_area_mm2 < 1.6 * VP_PI * r * r);
  /* the endplate sinks where it broke */
  VpError err = {0};
  VpBvh *a = vp_bvh_build(intact->surface, &err), *b = vp_bvh_build(broken->surface, &err);
  double y = 0.2 * 0.5 * p.body_depth_mm;
  assert_true(mesh_height(broken, b, 0.0, y) < mesh_height(intact, a, 0.0, y) - 1.0);
  vp_bvh_free(a);
  vp_bvh_free(b);
  vp_phantom_free(intact);
  vp_phantom_free(broken);
}

/* Free space along the midline from the posterior body wall backwards. */
static double canal_depth_on_mesh(const VpPhantom *ph, double z)
{
  VpError err = {0};
  VpBvh *bvh = vp_bvh_build(ph->surface, &err);
  assert_non_null(bvh);
  VpVec3 from = to_world(ph, vp_vec3(0, ph->truth.canal_center_y_mm, z));
  VpRayHit front, back;
  assert_true(vp_bvh_raycast(bvh, from, vp_vec3(0, 1, 0), 0.0, 100.0, &front));
  assert_true(vp_bvh_raycast(bvh, from, vp_vec3(0, -1, 0), 0.0, 100.0, &back));
  vp_bvh_free(bvh);
  return front.t + back.t;
}

static void test_retropulsion_narrows_the_canal(void **state)
{
  (void)state;
  VpPhantomParams p = fine_surface(params_for("L1"));
  double z = 0.5 * p.body_height_posterior_mm - 4.0; /* through the fragment */
  VpPhantom *intact = make(&p);
  p.retropulsion_mm = 4.0;
  VpPhantom *burst = make(&p);
  double before = canal_depth_on_mesh(intact, z), after = canal_depth_on_mesh(burst, z);
  if (fabs(before - after - 4.0) > 0.5)
    fail_msg("canal %.2f mm deep, %.2f mm with 4 mm retropulsion", before, after);
  assert_true(fabs(burst->truth.canal_depth_mm - (p.canal_depth_mm - 4.0)) < 1e-9);
  vp_phantom_free(intact);
  vp_phantom_free(burst);
}

static void test_thoracic_levels_have_rib_facets_and_lumbar_do_not(void **state)
{
  (void)state;
  const char *levels[] = {"T8", "L2"};
  for (int i = 0; i < 2; i++) {
    VpPhantom *ph = make_level(levels[i]);
    size_t n = vp_volume_voxel_count(ph->parts), facets = 0, ribs = 0;
    const uint8_t *d = ph->parts->data;
    for (size_t k = 0; k < n; k++) {
      facets += d[k] == VP_PART_RIB_FACET;
      ribs += d[k] == VP_PART_RIB;
    }
    assert_true(i == 0 ? facets > 20 && ribs > 100 : facets == 0 && ribs == 0);
    vp_phantom_free(ph);
  }
}

/* ---- the ground truth and saved cases ---- */

static void test_ground_truth_lists_every_parameter_with_its_source(void **state)
{
  (void)state;
  VpPhantomParams p = params_for("T8");
  p.pedicle_width_left_mm = 4.5;
  VpPhantom *ph = make(&p);
  VpError err = {0};
  cJSON *truth = vp_phantom_truth_json(ph, &err);
  assert_non_null(truth);
  const cJSON *params = cJSON_GetObjectItem(truth, "parameters");
  assert_int_equal(cJSON_GetArraySize(params), (int)vp_phantom_param_count());
  const cJSON *left = cJSON_GetObjectItem(params, "pedicle_width_left_mm");
  const cJSON *right = cJSON_GetObjectItem(params, "pedicle_width_right_mm");
  const cJSON *height = cJSON_GetObjectItem(params, "body_height_posterior_mm");
  assert_string_equal(cJSON_GetObjectItem(left, "source")->valuestring, "user");
  assert_string_equal(cJSON_GetObjectItem(right, "source")->valuestring,
                      "secondary compilation (DOMAIN.md)");
  assert_string_equal(cJSON_GetObjectItem(height, "source")->valuestring, "estimate");
  assert_string_equal(cJSON_GetObjectItem(truth, "level")->valuestring, "T8");
  const cJSON *measured = cJSON_GetObjectItem(truth, "measured");
  assert_non_null(cJSON_GetObjectItem(measured, "body_volume_ml"));
  assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(measured, "pedicles"), "left"));
  cJSON_Delete(truth);
  vp_phantom_free(ph);
}

static void test_saved_case_is_a_plan_with_its_files_and_truth(void **state)
{
  (void)state;
  VpPhantomParams p = params_for("L4");
  VpPhantom *ph = make(&p);
  char *path = vp_test_tmp_path("case.vplan");
  VpError err = {0};
  if (!vp_phantom_save_case(ph, path, "l4-normal", "A title", "A note.", &err))
    fail_msg("%s", err.message);
  VpPlanLoadReport report;
  VpPlan *plan = vp_plan_load(path, &report, &err);
  assert_non_null(plan);
  assert_string_equal(plan->case_info.level, "L4");
  assert_int_equal(plan->case_info.label, 23);
  assert_string_equal(plan->case_info.name, "A title");
  assert_string_equal(plan->case_info.teaching_note, "A note.");
  assert_int_equal(plan->case_info.source_count, 3);
  assert_int_equal(report.missing_count + report.changed_count, 0);
  const cJSON *truth = plan->case_info.phantom;
  assert_string_equal(cJSON_GetObjectItem(truth, "case_id")->valuestring, "l4-normal");
  assert_string_equal(cJSON_GetObjectItem(truth, "part_map")->valuestring, "case_parts.nii.gz");
  /* stored relative to the plan, so the folder can move */
  char *text = vp_test_read_file(path, NULL);
  assert_non_null(strstr(text, "\"path\":\t\"case_ct.nii.gz\""));
  VpVolume *mask = vp_volume_load_nifti(plan->case_info.sources[2].path, NULL, NULL, &err);
  assert_non_null(mask);
  assert_true(vp_volume_require_label(mask, 23, &err));
  free(text);
  vp_volume_free(mask);
  vp_plan_load_report_clear(&report);
  vp_plan_free(plan);
  free(path);
  vp_phantom_free(ph);
}

static void test_saved_case_opens_as_a_case_with_ct_and_mask(void **state)
{
  (void)state;
  VpPhantomParams p = params_for("T12");
  VpPhantom *ph = make(&p);
  char *path = vp_test_tmp_path("t12.vplan");
  VpError err = {0};
  assert_true(vp_phantom_save_case(ph, path, NULL, NULL, NULL, &err));
  VpPlan *plan = vp_plan_load(path, NULL, &err);
  assert_non_null(plan);
  VpCase *c = vp_case_from_plan(plan, NULL, &err);
  if (!c)
    fail_msg("%s", err.message);
  assert_string_equal(c->level, "T12");
  assert_int_equal(c->label, 19);
  assert_non_null(c->ct);
  assert_non_null(c->mask);
  assert_int_equal(c->surface->triangle_count, ph->surface->triangle_count);
  /* the CT holds the same Hounsfield units after the round trip */
  VpVec3 centre = to_world(ph, vp_vec3(0, 0, 0));
  assert_true(vp_volume_sample_nearest(c->ct, centre, 0) ==
              vp_volume_sample_nearest(ph->ct, centre, 0));
  vp_case_free(c);
  vp_plan_free(plan);
  free(path);
  vp_phantom_free(ph);
}

static void test_saving_needs_a_plan_name(void **state)
{
  (void)state;
  VpPhantom *ph = make_level("L4");
  char *path = vp_test_tmp_path("case.json");
  VpError err = {0};
  assert_false(vp_phantom_save_case(ph, path, NULL, NULL, NULL, &err));
  assert_non_null(strstr(err.message, ".vplan"));
  free(path);
  vp_phantom_free(ph);
}

/* ---- parameter files and the bundled cases ---- */

static void test_parameter_file_sets_level_pathology_and_overrides(void **state)
{
  (void)state;
  const char *text =
      "{\"format\": \"vertebra-planner-phantom\", \"id\": \"x\", \"level\": \"T9\","
      " \"fracture\": {\"shape\": \"biconcave\", \"genant_grade\": 3}, \"cleft\": true,"
      " \"lesions\": [{\"kind\": \"blastic\", \"center_mm\": [1, 2, 3], \"radius_mm\": 4,"
      " \"breach\": \"left\"}], \"seed\": 9, \"parameters\": {\"pedicle_width_mm\": 5.5}}";
  VpPhantomParams p;
  char id[VP_PHANTOM_CASE_ID_SIZE];
  VpError err = {0};
  if (!vp_phantom_params_from_json(text, &p, id, &err))
    fail_msg("%s", err.message);
  assert_string_equal(id, "x");
  assert_int_equal(p.label, 16);
  assert_int_equal(p.fracture, VP_FRACTURE_BICONCAVE);
  assert_int_equal(p.genant_grade, 3);
  assert_true(p.cleft);
  assert_int_equal(p.lesion_count, 1);
  assert_int_equal(p.lesions[0].breach, VP_BREACH_LEFT);
  assert_true(p.seed == 9);
  assert_true(p.pedicle_width_left_mm == 5.5 && p.pedicle_width_right_mm == 5.5);
}

static void test_parameter_file_refuses_unknown_keys(void **state)
{
  (void)state;
  const char *bad[][2] = {
      {"{\"format\": \"vertebra-planner-phantom\", \"level\": \"L1\", \"craft\": true}", "craft"},
      {"{\"format\": \"vertebra-planner-phantom\", \"level\": \"L1\", \"parameters\": "
       "{\"pedicle_widht_mm\": 3}}",
       "pedicle_widht_mm"},
      {"{\"format\": \"vertebra-planner-phantom\", \"level\": \"C5\"}", "C5"},
      {"{\"format\": \"something-else\", \"level\": \"L1\"}", "format"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    VpPhantomParams p;
    VpError err = {0};
    assert_false(vp_phantom_params_from_json(bad[i][0], &p, NULL, &err));
    if (!strstr(err.message, bad[i][1]))
      fail_msg("\"%s\" does not name \"%s\"", err.message, bad[i][1]);
  }
}

static void test_bundled_cases_are_valid_and_have_notes(void **state)
{
  (void)state;
  const char *source = getenv("VP_SOURCE_DIR");
  assert_non_null(source);
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/resources/cases", source);
  DIR *d = opendir(dir);
  assert_non_null(d);
  int found = 0;
  for (struct dirent *e; (e = readdir(d));) {
    size_t n = strlen(e->d_name);
    if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
      continue;
    char path[1400], id[VP_PHANTOM_CASE_ID_SIZE];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    VpPhantomParams p;
    VpError err = {0};
    if (!vp_phantom_params_load(path, &p, id, &err) || !vp_phantom_params_validate(&p, &err))
      fail_msg("%s: %s", e->d_name, err.message);
    const VpTeachingCase *tc = vp_teaching_case_find(id);
    if (!tc || strlen(tc->note) < 200 || !strstr(e->d_name, id))
      fail_msg("%s: no teaching case \"%s\" with a note", e->d_name, id);
    found++;
  }
  closedir(d);
  assert_true(found >= 6);
  assert_int_equal((size_t)found, vp_teaching_case_count());
}

/* ---- bad parameters ---- */

static void test_bad_parameters_are_refused_with_clear_messages(void **state)
{
  (void)state;
  VpPhantomParams p = params_for("L2");
  p.body_width_mm = -40.0;
  assert_refused(&p, VP_ERR_INVALID, "body_width_mm cannot be negative");
  p = params_for("L2");
  p.pedicle_width_left_mm = 25.0;
  assert_refused(&p, VP_ERR_INVALID, "wider than half the vertebral body");
  p = params_for("L2");
  VpPhantomLesion outside = {VP_LESION_LYTIC, {0, 60, 0}, 5.0, NAN, VP_BREACH_NONE};
  VpError err = {0};
  assert_true(vp_phantom_params_add_lesion(&p, &outside, &err));
  assert_refused(&p, VP_ERR_INVALID, "lies outside the vertebra");
  p = params_for("L2");
  VpPhantomLesion far = {VP_LESION_LYTIC, {0, 8, 0}, 3.0, NAN, VP_BREACH_POSTERIOR};
  assert_true(vp_phantom_params_add_lesion(&p, &far, &err));
  assert_refused(&p, VP_ERR_INVALID, "does not reach the posterior wall");
  p = params_for("L2");
  p.spacing_mm = 0.2;
  p.margin_mm = 50.0;
  assert_refused(&p, VP_ERR_LIMIT, "spacing_mm");
  p = params_for("L2");
  p.fracture = VP_FRACTURE_WEDGE;
  p.genant_grade = 1;
  p.height_loss_percent = 45.0;
  assert_refused(&p, VP_ERR_INVALID, "Genant grade 3, not 1");
  p = params_for("L2");
  p.retropulsion_mm = 16.0;
  assert_refused(&p, VP_ERR_INVALID, "retropulsion_mm");
  p = params_for("L2");
  p.endplate_break = (VpEndplateSide)7;
  assert_refused(&p, VP_ERR_INVALID, "endplate");
  p = params_for("L2");
  VpPhantomLesion odd = {(VpLesionKind)9, {0, 0, 0}, 4.0, NAN, VP_BREACH_NONE};
  assert_true(vp_phantom_params_add_lesion(&p, &odd, &err));
  assert_refused(&p, VP_ERR_INVALID, "lesion 1");
  p = params_for("L2");
  p.lesion_count = -3;
  assert_refused(&p, VP_ERR_INVALID, "lesions");
}

static void test_unknown_levels_and_names_are_refused(void **state)
{
  (void)state;
  VpPhantomParams p;
  VpError err = {0};
  assert_false(vp_phantom_params_init(&p, "C5", &err));
  assert_non_null(strstr(err.message, "T1-T12 or L1-L5"));
  assert_false(vp_phantom_params_init(&p, "L9", &err));
  assert_false(vp_phantom_params_init(&p, NULL, &err));
  assert_false(vp_phantom_params_init_label(&p, 25, &err));
  assert_true(vp_phantom_params_init(&p, "l3", &err));
  assert_false(vp_phantom_params_set(&p, "pedicle_girth_mm", 3.0, &err));
  assert_non_null(strstr(err.message, "pedicle_girth_mm"));
  assert_false(vp_phantom_params_set(&p, "canal_width_mm", NAN, &err));
  assert_true(vp_phantom_params_set(&p, "trabecular_hu", NAN, &err));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_level_is_closed_and_in_one_piece),
      cmocka_unit_test(test_surface_encloses_the_volume_of_the_ground_truth),
      cmocka_unit_test(test_levels_have_plausible_volumes),
      cmocka_unit_test(test_same_seed_gives_identical_output),
      cmocka_unit_test(test_another_seed_changes_only_the_ct_noise),
      cmocka_unit_test(test_spinal_canal_is_open),
      cmocka_unit_test(test_pedicles_join_body_and_arch),
      cmocka_unit_test(test_isthmus_width_on_the_mesh_matches_the_request),
      cmocka_unit_test(test_body_height_loss_matches_the_genant_grade),
      cmocka_unit_test(test_genant_grades_follow_the_bands),
      cmocka_unit_test(test_trabecular_hu_matches_the_request),
      cmocka_unit_test(test_cortex_is_dense),
      cmocka_unit_test(test_lesion_voxels_carry_lesion_hu),
      cmocka_unit_test(test_mask_labels_the_vertebra_with_its_verse_number),
      cmocka_unit_test(test_breaching_lesion_replaces_the_posterior_wall),
      cmocka_unit_test(test_cleft_holds_gas),
      cmocka_unit_test(test_endplate_break_opens_the_cortex),
      cmocka_unit_test(test_retropulsion_narrows_the_canal),
      cmocka_unit_test(test_thoracic_levels_have_rib_facets_and_lumbar_do_not),
      cmocka_unit_test(test_ground_truth_lists_every_parameter_with_its_source),
      cmocka_unit_test(test_saved_case_is_a_plan_with_its_files_and_truth),
      cmocka_unit_test(test_saved_case_opens_as_a_case_with_ct_and_mask),
      cmocka_unit_test(test_saving_needs_a_plan_name),
      cmocka_unit_test(test_parameter_file_sets_level_pathology_and_overrides),
      cmocka_unit_test(test_parameter_file_refuses_unknown_keys),
      cmocka_unit_test(test_bundled_cases_are_valid_and_have_notes),
      cmocka_unit_test(test_bad_parameters_are_refused_with_clear_messages),
      cmocka_unit_test(test_unknown_levels_and_names_are_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
