/* Real-data suite: the anatomy of every vertebra of the VerSe 005 and 009
 * masks (skipped when ../shared/data/verse is absent), checked against the
 * mask itself rather than constants: the frame's anterior axis must point
 * from the canal (the hole the mask encloses in slices across the spine's
 * own axis, which the neighbouring vertebrae give) to the body (the thickest
 * bone, found by eroding each slice), both found here without the anatomy
 * code; the pedicle widths must lie in the published range for
 * the level; the body must be 45-70 % of the vertebra; and the two pedicles
 * must be within 3 mm of each other. A table of the figures is printed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vp-anatomy.h"
#include "vp-case.h"
#include "vp-test-util.h"

/* Sampling of the independent checks: world-axial slices on a 1 mm grid. */
#define GRID_MM 1.0
/* Smallest enclosed hole taken for the canal (smaller ones are gaps in the mask). */
#define MIN_CANAL_AREA_MM2 30.0
/* A pixel is "thick bone" when a disc of this radius around it is all bone:
 * true inside the body, false in the arch, so what survives is the body. */
#define THICK_RADIUS_MM 5.0
/* The frame's anterior axis against the independent canal-to-body direction
 * (taken across the spine's axis). */
#define MAX_ANTERIOR_ERROR_DEG 30.0
#define MIN_BODY_FRACTION 0.45
#define MAX_BODY_FRACTION 0.70
#define MAX_PEDICLE_ASYMMETRY_MM 3.0

static VpVec3 v3(double x, double y, double z) { return (VpVec3){x, y, z}; }
static VpVec3 sub(VpVec3 a, VpVec3 b) { return v3(a.x - b.x, a.y - b.y, a.z - b.z); }
static double dot(VpVec3 a, VpVec3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
static double norm(VpVec3 a) { return sqrt(dot(a, a)); }

static VpVec3 add(VpVec3 a, VpVec3 b) { return v3(a.x + b.x, a.y + b.y, a.z + b.z); }
static VpVec3 scale(VpVec3 a, double s) { return v3(a.x * s, a.y * s, a.z * s); }
static VpVec3 unit(VpVec3 a) { return scale(a, 1.0 / norm(a)); }
static VpVec3 cross(VpVec3 a, VpVec3 b)
{
  return v3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x);
}

static double angle_deg(VpVec3 a, VpVec3 b)
{
  double c = dot(a, b) / (norm(a) * norm(b));
  return vp_rad_to_deg(acos(c > 1 ? 1 : c < -1 ? -1 : c));
}

/* ---- what the mask itself says ---- */

typedef struct MaskTruth {
  bool has_canal;
  VpVec3 canal_mm;  /* centroid of the enclosed holes */
  VpVec3 thick_mm;  /* centroid of the thick bone: the body */
  double canal_slices;
} MaskTruth;

/* The centroid of every label of the mask (index = label), NAN where absent. */
#define MAX_LABEL 64
typedef struct Centroids {
  VpVec3 at[MAX_LABEL];
} Centroids;

static void label_centroids(const VpVolume *mask, Centroids *out)
{
  VpVec3 sum[MAX_LABEL] = {{0}};
  double count[MAX_LABEL] = {0};
  for (int k = 0; k < mask->dims[2]; k++)
    for (int j = 0; j < mask->dims[1]; j++)
      for (int i = 0; i < mask->dims[0]; i++) {
        int label = vp_label_from_value(vp_volume_value(mask, i, j, k));
        if (label <= 0 || label >= MAX_LABEL)
          continue;
        sum[label] = add(sum[label], vp_volume_voxel_to_world(mask, v3(i, j, k)));
        count[label]++;
      }
  for (int l = 0; l < MAX_LABEL; l++)
    out->at[l] = count[l] > 0 ? scale(sum[l], 1.0 / count[l]) : v3(NAN, NAN, NAN);
}

/* The spine's axis at label, pointing up (VerSe numbers grow downwards): from
 * the vertebra below to the one above, or to or from the one neighbour there is. */
static VpVec3 spine_axis(const Centroids *c, int label)
{
  VpVec3 above = label > 0 && isfinite(c->at[label - 1].x) ? c->at[label - 1] : c->at[label];
  VpVec3 below = label + 1 < MAX_LABEL && isfinite(c->at[label + 1].x) ? c->at[label + 1]
                                                                       : c->at[label];
  VpVec3 d = sub(above, below);
  return norm(d) > 0 ? unit(d) : v3(0, 0, 1);
}

typedef struct Slice {
  int nx, ny;
  double x0, y0;
  unsigned char *bone;  /* nx * ny */
  int *fill;            /* 0 unvisited, -1 outside, > 0 hole id */
  int *stack;
} Slice;

/* A right-handed basis with w along the spine's axis. */
typedef struct Basis {
  VpVec3 u, v, w;
} Basis;

static Basis basis_along(VpVec3 w)
{
  VpVec3 x = fabs(w.x) < 0.9 ? v3(1, 0, 0) : v3(0, 1, 0);
  VpVec3 u = unit(sub(x, scale(w, dot(x, w))));
  return (Basis){u, cross(w, u), w};
}

static VpVec3 to_basis(const Basis *b, VpVec3 p) { return v3(dot(p, b->u), dot(p, b->v), dot(p, b->w)); }

static VpVec3 from_basis(const Basis *b, double x, double y, double z)
{
  return add(add(scale(b->u, x), scale(b->v, y)), scale(b->w, z));
}

/* The label's box in basis coordinates. */
static VpBox3 label_box(const VpVolume *mask, int label, const Basis *b)
{
  VpBox3 box = {v3(INFINITY, INFINITY, INFINITY), v3(-INFINITY, -INFINITY, -INFINITY)};
  for (int k = 0; k < mask->dims[2]; k++)
    for (int j = 0; j < mask->dims[1]; j++)
      for (int i = 0; i < mask->dims[0]; i++) {
        if (vp_label_from_value(vp_volume_value(mask, i, j, k)) != label)
          continue;
        VpVec3 p = to_basis(b, vp_volume_voxel_to_world(mask, v3(i, j, k)));
        box.min = v3(fmin(box.min.x, p.x), fmin(box.min.y, p.y), fmin(box.min.z, p.z));
        box.max = v3(fmax(box.max.x, p.x), fmax(box.max.y, p.y), fmax(box.max.z, p.z));
      }
  return box;
}

/* Flood fill from (x, y) over background pixels with value id. Returns the count. */
static long flood(Slice *s, int x, int y, int id, double *sx, double *sy)
{
  long count = 0;
  int top = 0;
  s->stack[top++] = y * s->nx + x;
  s->fill[y * s->nx + x] = id;
  while (top > 0) {
    int at = s->stack[--top];
    int px = at % s->nx, py = at / s->nx;
    count++;
    *sx += px, *sy += py;
    const int nb[4][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
    for (int n = 0; n < 4; n++) {
      int qx = px + nb[n][0], qy = py + nb[n][1];
      if (qx < 0 || qy < 0 || qx >= s->nx || qy >= s->ny)
        continue;
      int q = qy * s->nx + qx;
      if (s->bone[q] || s->fill[q])
        continue;
      s->fill[q] = id;
      s->stack[top++] = q;
    }
  }
  return count;
}

/* The largest background region not reaching the slice's border: the canal. */
static long largest_hole(Slice *s, double *cx, double *cy)
{
  memset(s->fill, 0, sizeof(int) * (size_t)(s->nx * s->ny));
  double ignore_x = 0, ignore_y = 0;
  for (int x = 0; x < s->nx; x++)
    for (int y = 0; y < s->ny; y += (x == 0 || x == s->nx - 1) ? 1 : s->ny - 1)
      if (!s->bone[y * s->nx + x] && !s->fill[y * s->nx + x])
        flood(s, x, y, -1, &ignore_x, &ignore_y);
  long best = 0;
  int id = 1;
  for (int y = 0; y < s->ny; y++)
    for (int x = 0; x < s->nx; x++) {
      if (s->bone[y * s->nx + x] || s->fill[y * s->nx + x])
        continue;
      double sx = 0, sy = 0;
      long n = flood(s, x, y, id++, &sx, &sy);
      if (n > best) {
        best = n;
        *cx = s->x0 + GRID_MM * sx / (double)n;
        *cy = s->y0 + GRID_MM * sy / (double)n;
      }
    }
  return best;
}

static bool disc_is_bone(const Slice *s, int x, int y, int r)
{
  for (int dy = -r; dy <= r; dy++)
    for (int dx = -r; dx <= r; dx++) {
      if (dx * dx + dy * dy > r * r)
        continue;
      int qx = x + dx, qy = y + dy;
      if (qx < 0 || qy < 0 || qx >= s->nx || qy >= s->ny || !s->bone[qy * s->nx + qx])
        return false;
    }
  return true;
}

static MaskTruth mask_truth(const VpVolume *mask, int label, VpVec3 axis)
{
  MaskTruth t = {0};
  Basis b = basis_along(axis);
  VpBox3 box = label_box(mask, label, &b);
  if (!(box.max.x >= box.min.x))
    return t;
  Slice s = {0};
  s.x0 = box.min.x - 3.0, s.y0 = box.min.y - 3.0;
  s.nx = (int)ceil((box.max.x - box.min.x + 6.0) / GRID_MM) + 1;
  s.ny = (int)ceil((box.max.y - box.min.y + 6.0) / GRID_MM) + 1;
  size_t n = (size_t)s.nx * (size_t)s.ny;
  s.bone = malloc(n);
  s.fill = malloc(n * sizeof *s.fill);
  s.stack = malloc(n * sizeof *s.stack);
  assert_true(s.bone && s.fill && s.stack);
  VpVec3 canal_sum = {0}, thick_sum = {0};
  double canal_weight = 0, thick_count = 0;
  int r = (int)lround(THICK_RADIUS_MM / GRID_MM);
  for (double z = box.min.z; z <= box.max.z; z += GRID_MM) {
    for (int y = 0; y < s.ny; y++)
      for (int x = 0; x < s.nx; x++) {
        VpVec3 p = from_basis(&b, s.x0 + x * GRID_MM, s.y0 + y * GRID_MM, z);
        s.bone[y * s.nx + x] = vp_label_from_value(vp_volume_sample_nearest(mask, p, 0)) == label;
      }
    double cx = 0, cy = 0;
    long hole = largest_hole(&s, &cx, &cy);
    if (hole * GRID_MM * GRID_MM >= MIN_CANAL_AREA_MM2) {
      canal_sum = v3(canal_sum.x + hole * cx, canal_sum.y + hole * cy, canal_sum.z + hole * z);
      canal_weight += (double)hole;
      t.canal_slices++;
    }
    for (int y = 0; y < s.ny; y++)
      for (int x = 0; x < s.nx; x++)
        if (s.bone[y * s.nx + x] && disc_is_bone(&s, x, y, r)) {
          thick_sum = v3(thick_sum.x + s.x0 + x * GRID_MM, thick_sum.y + s.y0 + y * GRID_MM,
                         thick_sum.z + z);
          thick_count++;
        }
  }
  t.has_canal = canal_weight > 0 && thick_count > 0;
  if (canal_weight > 0)
    t.canal_mm = from_basis(&b, canal_sum.x / canal_weight, canal_sum.y / canal_weight,
                            canal_sum.z / canal_weight);
  if (thick_count > 0)
    t.thick_mm = from_basis(&b, thick_sum.x / thick_count, thick_sum.y / thick_count,
                            thick_sum.z / thick_count);
  free(s.bone), free(s.fill), free(s.stack);
  return t;
}

/* Centroid of the body's parts in the anatomy's part map. */
static VpVec3 body_centroid(const VpVolume *parts)
{
  VpVec3 sum = {0};
  double count = 0;
  for (int k = 0; k < parts->dims[2]; k++)
    for (int j = 0; j < parts->dims[1]; j++)
      for (int i = 0; i < parts->dims[0]; i++) {
        int part = (int)vp_volume_value(parts, i, j, k);
        if (part < VP_ANATOMY_BODY_TRABECULAR || part > VP_ANATOMY_POSTERIOR_WALL)
          continue;
        VpVec3 p = vp_volume_voxel_to_world(parts, v3(i, j, k));
        sum = v3(sum.x + p.x, sum.y + p.y, sum.z + p.z);
        count++;
      }
  return count > 0 ? v3(sum.x / count, sum.y / count, sum.z / count) : v3(NAN, NAN, NAN);
}

/* ---- one vertebra against its mask ---- */

typedef struct Failures {
  char text[8192];
  int count;
} Failures;

static void __attribute__((format(printf, 2, 3))) failed(Failures *f, const char *format, ...)
{
  size_t used = strlen(f->text);
  va_list args;
  va_start(args, format);
  vsnprintf(f->text + used, sizeof f->text - used, format, args);
  va_end(args);
  used = strlen(f->text);
  snprintf(f->text + used, sizeof f->text - used, "\n");
  f->count++;
}

static void print_header(void)
{
  print_message("%-5s %5s %7s %7s %6s %6s %6s %5s  %-11s %5s %6s %6s %7s %6s\n", "level", "ant°",
                "body>c", "bodyml", "vertml", "frac", "pedL", "pedR", "range", "L-R", "angL°",
                "angR°", "canalmm", "genant");
}

/* --frame: only the frame's checks, which the anatomy meets today. Without
 * it, every acceptance check of issue 6, including pedicle widths in the
 * published range, left-right agreement and the body's share of the
 * vertebra, which it does not meet yet on every level (tests/meson.build
 * registers that run as an expected failure until it does). */
static bool frame_only;

static void check_vertebra(const char *mask_path, const VpVolume *mask, const Centroids *centroids,
                           const VpLabelCount *l, Failures *f)
{
  const char *level = vp_level_name(l->label);
  level = level ? level : "?";
  VpError err = {0};
  VpCase *c = vp_case_from_mask(mask_path, l->label, NULL, NULL, NULL, &err);
  if (!c) {
    failed(f, "%s: case: %s", level, err.message);
    return;
  }
  VpAnatomyOptions opts = vp_anatomy_options_default();
  VpAnatomy *a = vp_anatomy_compute(c, NULL, &opts, NULL, &err);
  if (!a) {
    failed(f, "%s: anatomy failed: %s", level, err.message);
    vp_case_free(c);
    return;
  }
  const VpAnatomyMeasures *m = &a->measures;
  VpVec3 axis = l->label < MAX_LABEL ? spine_axis(centroids, l->label) : v3(0, 0, 1);
  MaskTruth t = l->label < MAX_LABEL ? mask_truth(mask, l->label, axis) : (MaskTruth){0};
  VpVec3 body = body_centroid(a->parts);
  /* Across the spine's axis: the vertebra's tilt is the superior axis's business. */
  VpVec3 canal_to_thick = sub(t.thick_mm, t.canal_mm);
  canal_to_thick = sub(canal_to_thick, scale(axis, dot(canal_to_thick, axis)));
  double anterior_error = t.has_canal ? angle_deg(a->frame.anterior, canal_to_thick) : NAN;
  double body_ahead = t.has_canal ? dot(sub(body, t.canal_mm), canal_to_thick) / norm(canal_to_thick)
                                  : NAN;
  double fraction = m->body_volume_ml / l->volume_ml;
  const VpPedicleMeasures *pl = &m->pedicle[0], *pr = &m->pedicle[1];
  VpAnatomyReference ref;
  bool has_ref = vp_anatomy_reference(level, &ref) && ref.pedicle_width_mm.known;
  char range[32] = "-";
  if (has_ref)
    snprintf(range, sizeof range, "%.1f-%.1f", ref.pedicle_width_mm.low, ref.pedicle_width_mm.high);
  print_message("%-5s %5.1f %7.1f %7.1f %6.1f %6.2f %6.1f %5.1f  %-11s %5.1f %6.1f %6.1f %7.1f %3d/%d\n",
                level, anterior_error, body_ahead, m->body_volume_ml, l->volume_ml, fraction,
                pl->found ? pl->width_mm : NAN, pr->found ? pr->width_mm : NAN, range,
                pl->found && pr->found ? fabs(pl->width_mm - pr->width_mm) : NAN,
                pl->found ? pl->transverse_angle_deg : NAN,
                pr->found ? pr->transverse_angle_deg : NAN, m->canal_width_mm,
                m->genant_grade, (int)m->genant_shape);

  if (!t.has_canal)
    failed(f, "%s: the mask encloses no canal in any axial slice", level);
  else {
    if (!(anterior_error <= MAX_ANTERIOR_ERROR_DEG))
      failed(f, "%s: anterior axis %.1f degrees from the canal-to-body direction (at most %.0f)",
             level, anterior_error, MAX_ANTERIOR_ERROR_DEG);
    if (!(body_ahead > 0))
      failed(f, "%s: the body's centroid lies %.1f mm behind the canal", level, -body_ahead);
  }
  if (frame_only) {
    vp_anatomy_free(a);
    vp_case_free(c);
    return;
  }
  if (!(fraction >= MIN_BODY_FRACTION && fraction <= MAX_BODY_FRACTION))
    failed(f, "%s: body %.1f mL is %.0f %% of the vertebra's %.1f mL (45-70 %%)", level,
           m->body_volume_ml, 100 * fraction, l->volume_ml);
  for (int side = 0; side < 2; side++) {
    const VpPedicleMeasures *p = &m->pedicle[side];
    const char *name = side ? "right" : "left";
    if (!p->found)
      failed(f, "%s: no %s pedicle found", level, name);
    else if (has_ref &&
             !(p->width_mm >= ref.pedicle_width_mm.low && p->width_mm <= ref.pedicle_width_mm.high))
      failed(f, "%s: %s pedicle width %.2f mm outside %.1f-%.1f mm (%s)", level, name, p->width_mm,
             ref.pedicle_width_mm.low, ref.pedicle_width_mm.high, ref.pedicle_width_mm.source);
  }
  if (pl->found && pr->found && !(fabs(pl->width_mm - pr->width_mm) <= MAX_PEDICLE_ASYMMETRY_MM))
    failed(f, "%s: pedicle widths %.2f (left) and %.2f mm (right) differ by more than 3 mm", level,
           pl->width_mm, pr->width_mm);
  vp_anatomy_free(a);
  vp_case_free(c);
}

static void check_every_vertebra(const char *relative)
{
  char *path = vp_test_shared_file(relative);
  assert_non_null(path);
  VpError err = {0};
  VpVolume *mask = vp_volume_load_nifti(path, NULL, NULL, &err);
  if (!mask)
    fail_msg("%s", err.message);
  VpLabelStats labels = {0};
  assert_true(vp_volume_label_stats(mask, &labels, &err));
  assert_true(labels.count > 0);
  static Failures f;
  memset(&f, 0, sizeof f);
  print_message("%s: ant° = frame anterior against the mask's canal-to-body direction; body>c = "
                "body centroid ahead of the canal along it (mm)\n", relative);
  print_header();
  static Centroids centroids;
  label_centroids(mask, &centroids);
  for (size_t i = 0; i < labels.count; i++)
    check_vertebra(path, mask, &centroids, &labels.labels[i], &f);
  vp_label_stats_clear(&labels);
  vp_volume_free(mask);
  free(path);
  if (f.count) {
    /* Line by line: cmocka cuts a long message short. */
    print_message("%d check(s) failed:\n", f.count);
    for (char *line = strtok(f.text, "\n"); line; line = strtok(NULL, "\n"))
      print_message("  %s\n", line);
    fail_msg("%d check(s) failed on %s (listed above)", f.count, relative);
  }
}

static void every_vertebra_of_005(void **state)
{
  (void)state;
  check_every_vertebra("verse/sub-verse005_seg-vert_msk.nii.gz");
}

static void every_vertebra_of_009(void **state)
{
  (void)state;
  check_every_vertebra("verse/sub-verse009_seg-vert_msk.nii.gz");
}

int main(int argc, char **argv)
{
  frame_only = argc > 1 && strcmp(argv[1], "--frame") == 0;
  char *probe = vp_test_shared_file("verse/sub-verse009_seg-vert_msk.nii.gz");
  if (!probe)
    return vp_test_skip("verse-anatomy", "../shared/data/verse is not beside the checkout");
  free(probe);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_vertebra_of_005),
      cmocka_unit_test(every_vertebra_of_009),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
