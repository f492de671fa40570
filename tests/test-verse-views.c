/* Slice views and simulated fluoroscopy of real CT (VerSe sub-verse005, L3)
 * and of a real surface without CT (sub-verse009 L3): bone where the mask
 * says, a left-right symmetric AP radiograph, the spine brighter than the
 * tissue beside it, the vertebral body in front of the canal on the lateral
 * view. Every picture is saved under build/tests/artifacts for a look.
 * Skipped (77) when ../shared/data is absent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "vp-slice.h"
#include "vp-surface.h"
#include "vp-test-util.h"

#define L3 22
#define SIDE 256
#define MM_PER_PX 0.5

typedef struct Verse {
  VpVolume *ct, *mask;
  VpVolume *l3_only; /* the CT with everything but L3 turned to air */
  VpMesh *l3_surface;
  VpBox3 l3_box;     /* voxel centres of L3, world mm */
  VpVec3 l3_centre;  /* mean of L3's voxel centres */
} Verse;

static char *ct_path, *mask_path, *stl_path;

/* ---- fixtures ---- */

static void measure_l3(Verse *v)
{
  const VpVolume *m = v->mask;
  VpVec3 sum = vp_vec3(0, 0, 0);
  long n = 0;
  v->l3_box = vp_box3_empty();
  for (int k = 0; k < m->dims[2]; k++)
    for (int j = 0; j < m->dims[1]; j++)
      for (int i = 0; i < m->dims[0]; i++) {
        if (vp_label_from_value(vp_volume_value(m, i, j, k)) != L3)
          continue;
        VpVec3 p = vp_volume_voxel_to_world(m, vp_vec3(i, j, k));
        v->l3_box = vp_box3_extend(v->l3_box, p);
        sum = vp_vec3_add(sum, p);
        n++;
      }
  assert_true(n > 1000);
  v->l3_centre = vp_vec3_scale(sum, 1.0 / n);
}

static VpVolume *only_label(const VpVolume *ct, const VpVolume *mask, int label)
{
  VpError err;
  VpVolume *out = vp_volume_clone(ct, &err);
  assert_non_null(out);
  for (int k = 0; k < ct->dims[2]; k++)
    for (int j = 0; j < ct->dims[1]; j++)
      for (int i = 0; i < ct->dims[0]; i++)
        if (vp_label_from_value(vp_volume_value(mask, i, j, k)) != label)
          vp_volume_set_value(out, i, j, k, -1000.0);
  return out;
}

static int setup(void **state)
{
  Verse *v = calloc(1, sizeof *v);
  VpError err;
  assert_non_null(v);
  v->ct = vp_volume_load_nifti(ct_path, NULL, NULL, &err);
  v->mask = vp_volume_load_nifti(mask_path, NULL, NULL, &err);
  assert_non_null(v->ct);
  assert_non_null(v->mask);
  measure_l3(v);
  v->l3_only = only_label(v->ct, v->mask, L3);
  v->l3_surface = vp_volume_extract_label_surface(v->mask, L3, NULL, &err);
  assert_non_null(v->l3_surface);
  *state = v;
  return 0;
}

static int teardown(void **state)
{
  Verse *v = *state;
  vp_volume_free(v->ct);
  vp_volume_free(v->mask);
  vp_volume_free(v->l3_only);
  vp_mesh_free(v->l3_surface);
  free(v);
  return 0;
}

static void save(cairo_surface_t *image, const char *name)
{
  char *path = vp_test_artifact_path(name);
  assert_non_null(path);
  assert_int_equal(cairo_surface_write_to_png(image, path), CAIRO_STATUS_SUCCESS);
  free(path);
}

static VpDrrView drr_view(const Verse *v, VpDrrProjection projection)
{
  VpViewFrame frame = vp_view_frame_world(v->l3_centre);
  VpDrrView view;
  VpError err;
  assert_true(vp_drr_view_init(&view, projection, &frame, SIDE, SIDE, SIDE * MM_PER_PX, &err));
  return view;
}

static VpDrrImage radiograph(const VpVolume *ct, const VpDrrView *view, const char *png)
{
  VpDrrImage drr = {0};
  VpError err;
  assert_true(vp_drr_compute(ct, view, NULL, &drr, &err));
  VpDrrDisplay display;
  vp_drr_display_auto(&drr, &display);
  cairo_surface_t *image = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, SIDE, SIDE);
  assert_true(vp_drr_display_to_image(&drr, &display, image, &err));
  cairo_t *cr = cairo_create(image);
  vp_fluoro_draw_overlays(cr, view, NULL);
  cairo_destroy(cr);
  save(image, png);
  cairo_surface_destroy(image);
  return drr;
}

/* Where a pixel's ray crosses the plane through the isocentre across the beam. */
static VpVec3 isocentre_point(const VpDrrView *view, int x, int y)
{
  VpVec3 origin, dir, beam = vp_drr_view_beam(view);
  vp_drr_view_pixel_ray(view, x + 0.5, y + 0.5, &origin, &dir);
  double t = vp_vec3_dot(vp_vec3_sub(view->center_mm, origin), beam) / vp_vec3_dot(dir, beam);
  return vp_vec3_add(origin, vp_vec3_scale(dir, t));
}

typedef bool (*Region)(const Verse *v, VpVec3 p);

static double mean_over(const Verse *v, const VpDrrView *view, const VpDrrImage *drr, Region in)
{
  double sum = 0.0;
  long n = 0;
  for (int y = 0; y < drr->height_px; y++)
    for (int x = 0; x < drr->width_px; x++)
      if (in(v, isocentre_point(view, x, y))) {
        sum += drr->attenuation[(size_t)y * drr->width_px + x];
        n++;
      }
  assert_true(n > 20);
  return sum / n;
}

/* Pearson correlation of the image with its mirror image over the rows of
 * L3, 30 mm either side of the mirror line; the line is the best within
 * 3 mm of L3's centre, because a real spine is not exactly centred. */
static double mirror_correlation(const Verse *v, const VpDrrView *view, const VpVolume *ct)
{
  double best = -1.0;
  for (double shift = -3.0; shift <= 3.0; shift += MM_PER_PX) {
    VpDrrView shifted = *view;
    shifted.center_mm.x += shift;
    VpDrrImage drr = {0};
    VpError err;
    assert_true(vp_drr_compute(ct, &shifted, NULL, &drr, &err));
    double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
    long n = 0;
    for (int y = 0; y < SIDE; y++)
      for (int x = 0; x < SIDE; x++) {
        VpVec3 p = isocentre_point(&shifted, x, y);
        if (p.z < v->l3_box.min.z || p.z > v->l3_box.max.z || fabs(p.x - shifted.center_mm.x) > 30)
          continue;
        double a = drr.attenuation[y * SIDE + x], b = drr.attenuation[y * SIDE + SIDE - 1 - x];
        sa += a, sb += b, saa += a * a, sbb += b * b, sab += a * b, n++;
      }
    double cov = sab / n - sa / n * sb / n;
    double r = cov / sqrt((saa / n - sa / n * sa / n) * (sbb / n - sb / n * sb / n));
    best = fmax(best, r);
    vp_drr_image_clear(&drr);
  }
  return best;
}

/* ---- slices ---- */

static VpSliceView slice_through_l3(const Verse *v, VpSliceOrientation orientation)
{
  VpViewFrame frame = vp_view_frame_world(v->l3_centre);
  VpSliceView view;
  VpError err;
  assert_true(vp_slice_view_init(&view, orientation, &frame, SIDE, SIDE, MM_PER_PX, &err));
  view.step_mm = vp_slice_step_for_volume(v->ct, vp_slice_view_normal(&view));
  return view;
}

static bool in_l3_box_xy(const VpBox3 *b, VpVec3 p)
{
  return p.x >= b->min.x && p.x <= b->max.x && p.y >= b->min.y && p.y <= b->max.y;
}

static void test_axial_slice_through_l3_shows_bone_inside_its_box_only(void **state)
{
  Verse *v = *state;
  VpSliceView view = slice_through_l3(v, VP_SLICE_AXIAL);
  VpWindowLevel bone = vp_window_level_preset(VP_WINDOW_BONE);
  cairo_surface_t *image = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, SIDE, SIDE);
  VpError err;
  assert_true(vp_slice_sample_ct(v->ct, &view, bone, VP_SLICE_INTERP_AUTO, image, &err));
  int bright = vp_window_level_grey(bone, 300.0); /* cortical bone and dense cancellous */
  long in = 0, in_bright = 0, out = 0, out_bright = 0;
  const unsigned char *data = cairo_image_surface_get_data(image);
  for (int y = 0; y < SIDE; y++)
    for (int x = 0; x < SIDE; x++) {
      uint32_t px = ((const uint32_t *)(const void *)(data + y * cairo_image_surface_get_stride(image)))[x];
      if (px == VP_SLICE_OUTSIDE_ARGB)
        continue;
      bool inside = in_l3_box_xy(&v->l3_box, vp_slice_view_pixel_to_world(&view, x + 0.5, y + 0.5));
      in += inside, out += !inside;
      in_bright += inside && (int)(px & 0xff) > bright;
      out_bright += !inside && (int)(px & 0xff) > bright;
    }
  printf("axial slice through L3: %.1f %% bright inside its box, %.2f %% outside\n",
         100.0 * in_bright / in, 100.0 * out_bright / (out ? out : 1));
  assert_true(in_bright > 0.03 * in);
  assert_true(out_bright < 0.005 * (out ? out : 1));
  cairo_surface_destroy(image);
}

static void test_slices_through_l3_carry_its_contour(void **state)
{
  Verse *v = *state;
  static const char *names[3] = {"verse005-L3-axial.png", "verse005-L3-sagittal.png",
                                 "verse005-L3-coronal.png"};
  static const VpSliceOrientation orientations[3] = {VP_SLICE_AXIAL, VP_SLICE_SAGITTAL,
                                                     VP_SLICE_CORONAL};
  for (int o = 0; o < 3; o++) {
    VpSliceView view = slice_through_l3(v, orientations[o]);
    VpSliceScene scene;
    vp_slice_scene_init(&scene);
    scene.ct = v->ct;
    scene.surface = v->l3_surface;
    scene.crosshair_mm = v->l3_centre;
    VpSliceRenderer *r = vp_slice_renderer_new();
    cairo_surface_t *image = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, SIDE, SIDE);
    cairo_t *cr = cairo_create(image);
    VpError err;
    assert_true(vp_slice_renderer_draw(r, cr, &view, &scene, &err));
    cairo_destroy(cr);
    save(image, names[o]);
    const VpSliceContour *contour = vp_slice_renderer_contour(r);
    assert_true(contour->line_count >= 1);
    assert_true(vp_slice_contour_length_mm(contour) > 100.0); /* a vertebra is several cm round */
    for (size_t i = 0; i < contour->point_count; i++) {
      VpVec3 p = contour->points[i];
      assert_true(p.x > v->l3_box.min.x - 1 && p.x < v->l3_box.max.x + 1);
      assert_true(p.y > v->l3_box.min.y - 1 && p.y < v->l3_box.max.y + 1);
      assert_true(p.z > v->l3_box.min.z - 1 && p.z < v->l3_box.max.z + 1);
    }
    cairo_surface_destroy(image);
    vp_slice_renderer_free(r);
  }
}

/* ---- fluoroscopy ---- */

static bool spine_column(const Verse *v, VpVec3 p)
{
  return fabs(p.x - v->l3_centre.x) < 10.0 && p.z > v->l3_box.min.z && p.z < v->l3_box.max.z;
}

static bool beside_spine(const Verse *v, VpVec3 p)
{
  double d = fabs(p.x - v->l3_centre.x);
  return d > 30.0 && d < 40.0 && p.z > v->l3_box.min.z && p.z < v->l3_box.max.z;
}

static void test_ap_radiograph_shows_the_spine_brighter_than_the_tissue_beside_it(void **state)
{
  Verse *v = *state;
  VpDrrView view = drr_view(v, VP_DRR_AP);
  VpDrrImage drr = radiograph(v->ct, &view, "verse005-fluoro-ap.png");
  double spine = mean_over(v, &view, &drr, spine_column), beside = mean_over(v, &view, &drr, beside_spine);
  printf("AP radiograph at L3: attenuation %.3f over the spine, %.3f 30-40 mm beside it\n", spine,
         beside);
  assert_true(spine > 1.04 * beside);
  vp_drr_image_clear(&drr);
}

static void test_ap_radiograph_of_l3_is_left_right_symmetric(void **state)
{
  Verse *v = *state;
  VpDrrView view = drr_view(v, VP_DRR_AP);
  VpDrrImage drr = radiograph(v->l3_only, &view, "verse005-L3-only-fluoro-ap.png");
  vp_drr_image_clear(&drr);
  double r = mirror_correlation(v, &view, v->l3_only);
  printf("AP radiograph of L3 alone: correlation with its mirror image %.3f\n", r);
  assert_true(r > 0.8);
}

/* Front to back along the mid-sagittal line through L3's centre, the mask
 * runs through the body, then the canal (no label), then the arch. */
static void find_body_and_canal(const Verse *v, double body[2], double canal[2])
{
  VpVec3 c = v->l3_centre;
  double edges[3]; /* y where the line enters the body, leaves it, enters the arch */
  int changes = 0;
  bool was_l3 = false;
  for (double y = v->l3_box.max.y + 1.0; y >= v->l3_box.min.y && changes < 3; y -= 0.25) {
    bool l3 = vp_label_from_value(vp_volume_sample_nearest(v->mask, vp_vec3(c.x, y, c.z), 0)) == L3;
    if (l3 != was_l3)
      edges[changes++] = y;
    was_l3 = l3;
  }
  assert_int_equal(changes, 3);
  body[0] = edges[1], body[1] = edges[0];
  canal[0] = edges[2], canal[1] = edges[1];
  printf("mid-sagittal line: body %.1f .. %.1f mm, canal %.1f .. %.1f mm (y, RAS)\n", body[0],
         body[1], canal[0], canal[1]);
  assert_true(canal[1] - canal[0] > 8.0 && canal[1] - canal[0] < 30.0); /* a canal, not noise */
}

static double g_body[2], g_canal[2];

static bool middle_of_l3(const Verse *v, VpVec3 p)
{
  double h = v->l3_box.max.z - v->l3_box.min.z;
  return fabs(p.z - v->l3_centre.z) < 0.25 * h;
}

static bool in_body(const Verse *v, VpVec3 p)
{
  return middle_of_l3(v, p) && p.y > g_body[0] + 2.0 && p.y < g_body[1] - 2.0;
}

static bool in_canal(const Verse *v, VpVec3 p)
{
  return middle_of_l3(v, p) && p.y > g_canal[0] + 1.0 && p.y < g_canal[1] - 1.0;
}

static void test_lateral_radiograph_of_l3_shows_the_body_in_front_of_the_canal(void **state)
{
  Verse *v = *state;
  find_body_and_canal(v, g_body, g_canal);
  VpDrrView view = drr_view(v, VP_DRR_LATERAL);
  VpDrrImage whole = radiograph(v->ct, &view, "verse005-fluoro-lateral.png");
  VpDrrImage drr = radiograph(v->l3_only, &view, "verse005-L3-only-fluoro-lateral.png");
  double body = mean_over(v, &view, &drr, in_body), canal = mean_over(v, &view, &drr, in_canal);
  printf("lateral radiograph of L3 alone: attenuation %.3f over the body, %.3f over the canal; "
         "with the surrounding tissue %.3f and %.3f\n",
         body, canal, mean_over(v, &view, &whole, in_body), mean_over(v, &view, &whole, in_canal));
  assert_true(body > 1.5 * canal);
  vp_drr_image_clear(&drr);
  vp_drr_image_clear(&whole);
}

/* ---- a case with a surface and no CT ---- */

static void test_surface_only_case_gives_a_radiograph_and_slices(void **state)
{
  (void)state;
  VpError err;
  VpMesh *mesh = vp_mesh_load_stl(stl_path, NULL, &err);
  assert_non_null(mesh);
  VpVolume *ct = vp_synthetic_ct_from_mesh(mesh, NULL, &err);
  assert_non_null(ct);
  VpBox3 box = vp_mesh_bounds(mesh);
  VpViewFrame frame = vp_view_frame_world(vp_box3_center(box));
  VpDrrView view;
  assert_true(vp_drr_view_init(&view, VP_DRR_AP, &frame, SIDE, SIDE, 100.0, &err));
  vp_drr_view_fit_box(&view, box, 0.1);
  VpDrrImage drr = radiograph(ct, &view, "verse009-L3-surface-fluoro-ap.png");
  long covered = 0;
  for (size_t i = 0; i < (size_t)SIDE * SIDE; i++)
    covered += drr.attenuation[i] > 0.0f;
  assert_true(covered > SIDE * SIDE / 10);
  vp_drr_image_clear(&drr);
  assert_true(vp_drr_view_init(&view, VP_DRR_LATERAL, &frame, SIDE, SIDE, 100.0, &err));
  vp_drr_view_fit_box(&view, box, 0.1);
  drr = radiograph(ct, &view, "verse009-L3-surface-fluoro-lateral.png");
  assert_true(vp_drr_image_max(&drr) > 0.5f); /* centimetres of bone along the densest rays */
  vp_drr_image_clear(&drr);

  VpSliceView slice;
  assert_true(vp_slice_view_init(&slice, VP_SLICE_AXIAL, &frame, SIDE, SIDE, 0.3, &err));
  VpSliceScene scene;
  vp_slice_scene_init(&scene);
  scene.surface = mesh;
  scene.crosshair_mm = frame.origin_mm;
  cairo_surface_t *image = vp_slice_render_to_image(&slice, &scene, &err);
  assert_non_null(image);
  save(image, "verse009-L3-surface-axial.png");
  cairo_surface_destroy(image);
  vp_volume_free(ct);
  vp_mesh_free(mesh);
}

int main(void)
{
  ct_path = vp_test_shared_file("verse/sub-verse005_ct.nii.gz");
  mask_path = vp_test_shared_file("verse/sub-verse005_seg-vert_msk.nii.gz");
  stl_path = vp_test_shared_file("verse/sub-verse009_L3.stl");
  if (!ct_path || !mask_path || !stl_path) {
    free(ct_path);
    free(mask_path);
    free(stl_path);
    return vp_test_skip("verse-views", "the VerSe data in ../shared/data/verse is not there");
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_axial_slice_through_l3_shows_bone_inside_its_box_only),
      cmocka_unit_test(test_slices_through_l3_carry_its_contour),
      cmocka_unit_test(test_ap_radiograph_shows_the_spine_brighter_than_the_tissue_beside_it),
      cmocka_unit_test(test_ap_radiograph_of_l3_is_left_right_symmetric),
      cmocka_unit_test(test_lateral_radiograph_of_l3_shows_the_body_in_front_of_the_canal),
      cmocka_unit_test(test_surface_only_case_gives_a_radiograph_and_slices),
  };
  int failed = cmocka_run_group_tests(tests, setup, teardown);
  free(ct_path);
  free(mask_path);
  free(stl_path);
  return failed;
}
