/* The case: file kinds by content, telling masks from CTs, finding a CT's
 * mask beside it, cases from meshes (with their repair report), from masks
 * (labels, the CT's grid, progress, cancellation) and through plan files.
 * Every volume and mesh is written by the tests themselves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vp-case.h"
#include "vp-test-util.h"

/* ---- helpers ---- */

static void fill_block(VpVolume *v, const int lo[3], const int hi[3], double value)
{
  for (int k = lo[2]; k <= hi[2]; k++)
    for (int j = lo[1]; j <= hi[1]; j++)
      for (int i = lo[0]; i <= hi[0]; i++)
        vp_volume_set_value(v, i, j, k, value);
}

/* The grid every test volume shares: 20 x 16 x 12 voxels of 1 mm, moved
 * off the origin so world and voxel coordinates differ. */
static VpMat4 test_affine(void) { return vp_mat4_translation(vp_vec3(-10.0, 30.0, 5.0)); }

static const int mask_dims[3] = {20, 16, 12};
/* Label 20 (L1): 6 x 8 x 7 = 336 voxels; label 22 (L3): 6 x 8 x 5 = 240 voxels. */
static const int l1_lo[3] = {2, 2, 2}, l1_hi[3] = {7, 9, 8};
static const int l3_lo[3] = {11, 3, 2}, l3_hi[3] = {16, 10, 6};

static VpVolume *make_mask(VpVoxelType type)
{
  VpMat4 affine = test_affine();
  VpVolume *v = vp_volume_new(mask_dims, type, &affine, NULL, NULL);
  assert_non_null(v);
  fill_block(v, l1_lo, l1_hi, 20);
  fill_block(v, l3_lo, l3_hi, 22);
  return v;
}

/* Hounsfield-like floats: air, a smooth ramp, nothing a mask would hold. */
static VpVolume *make_ct(const int dims[3], VpMat4 affine)
{
  VpVolume *v = vp_volume_new(dims, VP_VOXEL_F32, &affine, NULL, NULL);
  assert_non_null(v);
  for (int k = 0; k < dims[2]; k++)
    for (int j = 0; j < dims[1]; j++)
      for (int i = 0; i < dims[0]; i++)
        vp_volume_set_value(v, i, j, k, -1024.0 + 37.25 * i + 11.5 * j + 3.125 * k);
  return v;
}

static void save_volume(const VpVolume *v, const char *path)
{
  VpError err = {0};
  if (!vp_volume_save_nifti(v, path, &err))
    fail_msg("%s", err.message);
}

static char *write_mask(const char *dir, const char *name)
{
  char *path = vp_test_join(dir, name);
  VpVolume *mask = make_mask(VP_VOXEL_U8);
  save_volume(mask, path);
  vp_volume_free(mask);
  return path;
}

static char *write_ct(const char *dir, const char *name, const int dims[3], VpMat4 affine)
{
  char *path = vp_test_join(dir, name);
  VpVolume *ct = make_ct(dims, affine);
  save_volume(ct, path);
  vp_volume_free(ct);
  return path;
}

/* A binary STL cube of the given edge; inside_out reverses every triangle. */
static char *write_cube_stl(const char *path, float edge, bool inside_out)
{
  vp_test_write_cube_stl(path, edge, 12, inside_out);
  return (char *)path;
}

static double surface_volume_ml(const VpMesh *mesh)
{
  return vp_mesh_signed_volume_mm3(mesh) / 1000.0;
}

/* ---- file kinds ---- */

static void nifti_is_a_volume_whatever_its_name(void **state)
{
  char *dir = vp_test_fresh_dir("kind-nifti");
  char *plain = write_mask(dir, "m.nii"), *gz = write_mask(dir, "m.nii.gz");
  char *renamed = vp_test_join(dir, "scan.dat");
  assert_int_equal(rename(plain, renamed), 0);
  assert_int_equal(vp_file_kind(renamed), VP_FILE_VOLUME);
  assert_int_equal(vp_file_kind(gz), VP_FILE_VOLUME);
  free(plain), free(gz), free(renamed), free(dir);
}

static void gzip_nifti_is_recognised_inside_the_compression(void **state)
{
  char *dir = vp_test_fresh_dir("kind-gz");
  char *gz = write_mask(dir, "m.nii.gz"), *other = vp_test_join(dir, "m.bin");
  assert_int_equal(rename(gz, other), 0);
  assert_int_equal(vp_file_kind(other), VP_FILE_VOLUME);
  free(gz), free(other), free(dir);
}

static void plan_json_is_a_plan_whatever_its_name(void **state)
{
  char *plan = vp_test_tmp_path("kind-plan.json"), *other = vp_test_tmp_path("kind-other.json");
  vp_test_write_text(plan, "\n  {\"format\": \"vertebra-planner-plan\", \"version\": 1}\n");
  vp_test_write_text(other, "{\"format\": \"something-else\"}\n");
  assert_int_equal(vp_file_kind(plan), VP_FILE_PLAN);
  assert_int_equal(vp_file_kind(other), VP_FILE_UNKNOWN);
  free(plan), free(other);
}

static void meshes_are_recognised_by_content_then_extension(void **state)
{
  char *stl = write_cube_stl(vp_test_tmp_path("kind-cube.dat"), 10.0f, false);
  char *ply = vp_test_tmp_path("kind-mesh.bin"), *obj = vp_test_tmp_path("kind-mesh.OBJ");
  char *txt = vp_test_tmp_path("kind-mesh.txt");
  vp_test_write_text(ply, "ply\nformat ascii 1.0\nend_header\n");
  vp_test_write_text(obj, "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n");
  vp_test_write_text(txt, "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n");
  assert_int_equal(vp_file_kind(stl), VP_FILE_MESH);
  assert_int_equal(vp_file_kind(ply), VP_FILE_MESH);
  assert_int_equal(vp_file_kind(obj), VP_FILE_MESH);
  assert_int_equal(vp_file_kind(txt), VP_FILE_UNKNOWN);
  free(stl), free(ply), free(obj), free(txt);
}

static void missing_file_is_judged_by_its_extension(void **state)
{
  assert_int_equal(vp_file_kind("/nonexistent/a.vplan"), VP_FILE_PLAN);
  assert_int_equal(vp_file_kind("/nonexistent/a.NII.GZ"), VP_FILE_VOLUME);
  assert_int_equal(vp_file_kind("/nonexistent/a.stl"), VP_FILE_MESH);
  assert_int_equal(vp_file_kind("/nonexistent/a"), VP_FILE_UNKNOWN);
  assert_string_equal(vp_file_kind_name(VP_FILE_PLAN), "plan");
}

/* ---- masks and CTs ---- */

static void integer_label_volume_is_a_mask(void **state)
{
  VpVolume *mask = make_mask(VP_VOXEL_U8);
  assert_true(vp_volume_looks_like_mask(mask));
  vp_volume_free(mask);
}

static void hounsfield_volume_is_not_a_mask(void **state)
{
  VpVolume *ct = make_ct(mask_dims, test_affine());
  assert_false(vp_volume_looks_like_mask(ct));
  vp_volume_free(ct);
}

static void mask_stored_as_float_is_a_mask(void **state)
{
  VpVolume *mask = make_mask(VP_VOXEL_F32);
  ((float *)mask->data)[0] = 22.0004f; /* float noise within the tolerance */
  assert_true(vp_volume_looks_like_mask(mask));
  vp_volume_free(mask);
}

static void fractional_values_are_not_a_mask(void **state)
{
  VpVolume *mask = make_mask(VP_VOXEL_F32);
  ((float *)mask->data)[5] = 21.5f; /* interpolated labels */
  assert_false(vp_volume_looks_like_mask(mask));
  vp_volume_free(mask);
}

static void negative_values_are_not_a_mask(void **state)
{
  VpVolume *mask = make_mask(VP_VOXEL_I16);
  vp_volume_set_value(mask, 0, 0, 0, -1);
  assert_false(vp_volume_looks_like_mask(mask));
  vp_volume_free(mask);
}

static void many_distinct_values_are_not_a_mask(void **state)
{
  VpVolume *v = vp_volume_new(mask_dims, VP_VOXEL_I16, NULL, NULL, NULL);
  assert_non_null(v);
  for (int i = 0; i < 127; i++) /* 127 labels and background: 128 values */
    vp_volume_set_value(v, i % 20, i / 20, 0, 200 + i);
  assert_true(vp_volume_looks_like_mask(v));
  vp_volume_set_value(v, 0, 0, 5, 999); /* the 129th value */
  assert_false(vp_volume_looks_like_mask(v));
  vp_volume_free(v);
}

static void values_of_a_thousand_and_more_are_not_a_mask(void **state)
{
  VpVolume *v = make_mask(VP_VOXEL_I16);
  vp_volume_set_value(v, 0, 0, 0, 1000);
  assert_false(vp_volume_looks_like_mask(v));
  vp_volume_free(v);
}

/* ---- companions ---- */

static void touch(const char *dir, const char *name)
{
  char *path = vp_test_join(dir, name);
  vp_test_write_text(path, "x");
  free(path);
}

static void assert_companion(const char *dir, const char *from, bool want_ct, const char *expected)
{
  char *path = vp_test_join(dir, from);
  char *found = vp_case_find_companion(path, want_ct);
  if (!expected) {
    assert_null(found);
  } else {
    char *want = vp_test_join(dir, expected);
    assert_non_null(found);
    assert_string_equal(found, want);
    free(want);
  }
  free(found);
  free(path);
}

static void verse_ct_and_mask_find_each_other(void **state)
{
  char *dir = vp_test_fresh_dir("companion-verse");
  touch(dir, "sub-verse005_ct.nii.gz");
  touch(dir, "sub-verse005_seg-vert_msk.nii.gz");
  assert_companion(dir, "sub-verse005_ct.nii.gz", false, "sub-verse005_seg-vert_msk.nii.gz");
  assert_companion(dir, "sub-verse005_seg-vert_msk.nii.gz", true, "sub-verse005_ct.nii.gz");
  free(dir);
}

static void common_mask_names_are_found(void **state)
{
  char *dir = vp_test_fresh_dir("companion-common");
  touch(dir, "a.nii.gz");
  touch(dir, "a_mask.nii.gz");
  touch(dir, "b_ct.nii");
  touch(dir, "b_seg.nii.gz");
  touch(dir, "c.nii");
  touch(dir, "c-label.nii");
  touch(dir, "d_labels.nii.gz");
  touch(dir, "d.nii.gz");
  assert_companion(dir, "a.nii.gz", false, "a_mask.nii.gz");
  assert_companion(dir, "a_mask.nii.gz", true, "a.nii.gz");
  assert_companion(dir, "b_ct.nii", false, "b_seg.nii.gz");
  assert_companion(dir, "b_seg.nii.gz", true, "b_ct.nii");
  assert_companion(dir, "c.nii", false, "c-label.nii");
  assert_companion(dir, "d_labels.nii.gz", true, "d.nii.gz");
  free(dir);
}

static void no_companion_gives_null(void **state)
{
  char *dir = vp_test_fresh_dir("companion-none");
  touch(dir, "lonely_ct.nii.gz");
  touch(dir, "other_mask.nii.gz");
  assert_companion(dir, "lonely_ct.nii.gz", false, NULL);
  assert_companion(dir, "other_mask.nii.gz", true, NULL);
  assert_companion(dir, "mesh.stl", false, NULL);
  free(dir);
}

/* ---- cases from meshes ---- */

static void inside_out_mesh_is_turned_outward_and_reported(void **state)
{
  char *path = write_cube_stl(vp_test_tmp_path("inside-out.stl"), 20.0f, true);
  VpError err = {0};
  VpCase *c = vp_case_from_mesh_file(path, NULL, &err);
  assert_non_null(c);
  assert_true(c->repair.inverted_fixed);
  assert_float_equal(surface_volume_ml(c->surface), 8.0, 1e-6);
  assert_string_equal(c->name, "inside-out");
  assert_string_equal(c->surface_path, path);
  assert_null(c->mask);
  assert_int_equal(c->label, 0);
  vp_case_free(c);
  free(path);
}

static void mesh_in_metres_is_reported_not_scaled(void **state)
{
  char *path = write_cube_stl(vp_test_tmp_path("metres.stl"), 0.03f, false);
  VpError err = {0};
  VpCase *c = vp_case_from_mesh_file(path, NULL, &err);
  assert_non_null(c);
  assert_true(c->repair.looks_like_metres);
  assert_float_equal(c->repair.suggested_scale, 1000.0, 0.0);
  assert_float_equal(vp_mesh_bounds(c->surface).max.x, 0.03, 1e-6);
  vp_case_free(c);
  free(path);
}

static void level_in_a_mesh_file_name_becomes_the_level(void **state)
{
  char *path = write_cube_stl(vp_test_tmp_path("sub-x_L3.stl"), 30.0f, false);
  char *plain = write_cube_stl(vp_test_tmp_path("XL3a.stl"), 30.0f, false);
  VpError err = {0};
  VpCase *c = vp_case_from_mesh_file(path, NULL, &err),
         *d = vp_case_from_mesh_file(plain, NULL, &err);
  assert_non_null(c);
  assert_non_null(d);
  assert_string_equal(c->level, "L3");
  assert_string_equal(d->level, "");
  vp_case_free(c);
  vp_case_free(d);
  free(path), free(plain);
}

static void relative_mesh_path_becomes_absolute(void **state)
{
  char *dir = vp_test_fresh_dir("relative");
  char *path = vp_test_join(dir, "cube.stl");
  write_cube_stl(path, 10.0f, false);
  char *sub = vp_test_join(dir, "sub");
  assert_int_equal(mkdir(sub, 0755), 0);
  free(sub);
  char cwd[4096];
  assert_non_null(getcwd(cwd, sizeof cwd));
  assert_int_equal(chdir(dir), 0);
  VpError err = {0};
  VpCase *c = vp_case_from_mesh_file("./sub/../cube.stl", NULL, &err);
  assert_int_equal(chdir(cwd), 0);
  assert_non_null(c);
  assert_string_equal(c->surface_path, path);
  vp_case_free(c);
  free(path), free(dir);
}

static void unreadable_mesh_error_names_the_file(void **state)
{
  char *path = vp_test_tmp_path("garbage.stl");
  vp_test_write_text(path, "this is no mesh");
  VpError err = {0};
  assert_null(vp_case_from_mesh_file(path, NULL, &err));
  assert_int_not_equal(err.code, VP_OK);
  assert_non_null(strstr(err.message, path));
  free(path);
}

/* ---- cases from masks ---- */

static void mask_label_gives_a_closed_surface_and_its_level(void **state)
{
  char *dir = vp_test_fresh_dir("from-mask");
  char *mask = write_mask(dir, "sub-test_seg-vert_msk.nii.gz");
  VpError err = {0};
  VpCase *c = vp_case_from_mask(mask, 22, NULL, NULL, NULL, &err);
  assert_non_null(c);
  assert_int_equal(c->label, 22);
  assert_string_equal(c->level, "L3");
  assert_string_equal(c->name, "sub-test L3");
  assert_string_equal(c->mask_path, mask);
  assert_null(c->surface_path);
  VpMeshStats stats;
  assert_true(vp_mesh_measure(c->surface, &stats, &err));
  assert_true(stats.edges.watertight);
  assert_true(stats.outward);
  assert_int_equal(stats.components, 1);
  assert_int_equal(c->repair.components, 1);
  /* 240 voxels of 1 mm^3; the iso-surface cuts the block's edges and corners */
  assert_true(stats.volume_ml > 0.20 && stats.volume_ml <= 0.240);
  /* the block spans voxels 11..16 in x, world x = i - 10, faces half a voxel out */
  assert_float_equal(stats.bounds.min.x, 0.5, 1e-4);
  assert_float_equal(stats.bounds.max.x, 6.5, 1e-4);
  vp_case_free(c);
  free(mask), free(dir);
}

static void absent_label_lists_the_labels_present(void **state)
{
  char *dir = vp_test_fresh_dir("absent-label");
  char *mask = write_mask(dir, "m.nii.gz");
  VpError err = {0};
  assert_null(vp_case_from_mask(mask, 23, NULL, NULL, NULL, &err));
  assert_int_equal(err.code, VP_ERR_INVALID);
  assert_non_null(strstr(err.message, "20 (L1), 22 (L3)"));
  assert_non_null(strstr(err.message, "m.nii.gz"));
  free(mask), free(dir);
}

static void label_zero_is_refused(void **state)
{
  char *dir = vp_test_fresh_dir("label-zero");
  char *mask = write_mask(dir, "m.nii.gz");
  VpError err = {0};
  assert_null(vp_case_from_mask(mask, 0, NULL, NULL, NULL, &err));
  assert_int_equal(err.code, VP_ERR_INVALID);
  free(mask), free(dir);
}

static void ct_given_as_mask_is_refused(void **state)
{
  char *dir = vp_test_fresh_dir("ct-as-mask");
  char *ct = write_ct(dir, "ct.nii.gz", mask_dims, test_affine());
  VpError err = {0};
  assert_null(vp_case_from_mask(ct, 22, NULL, NULL, NULL, &err));
  assert_int_equal(err.code, VP_ERR_INVALID);
  assert_non_null(strstr(err.message, "not a label mask"));
  free(ct), free(dir);
}

static void truncated_mask_error_names_the_file(void **state)
{
  char *dir = vp_test_fresh_dir("truncated-mask");
  char *mask = write_mask(dir, "m.nii");
  size_t size = 0;
  char *data = vp_test_read_file(mask, &size);
  assert_true(vp_test_write_file(mask, data, size - 100));
  free(data);
  VpError err = {0};
  assert_null(vp_case_from_mask(mask, 22, NULL, NULL, NULL, &err));
  assert_int_equal(err.code, VP_ERR_TRUNCATED);
  assert_non_null(strstr(err.message, mask));
  free(mask), free(dir);
}

static void pipe_given_as_mask_is_refused_without_waiting(void **state)
{
  char *dir = vp_test_fresh_dir("pipe");
  char *fifo = vp_test_join(dir, "m.nii.gz");
  assert_int_equal(mkfifo(fifo, 0600), 0);
  VpError err = {0};
  assert_int_equal(vp_file_kind(fifo), VP_FILE_VOLUME); /* by its name: no content to read */
  assert_null(vp_case_from_mask(fifo, 22, NULL, NULL, NULL, &err));
  assert_int_equal(err.code, VP_ERR_IO);
  assert_non_null(strstr(err.message, "not a regular file"));
  assert_null(vp_case_from_mesh_file(dir, NULL, &err));
  assert_non_null(strstr(err.message, "folder"));
  free(fifo), free(dir);
}

static void ct_on_the_same_grid_is_kept(void **state)
{
  char *dir = vp_test_fresh_dir("same-grid");
  char *mask = write_mask(dir, "m.nii.gz");
  char *ct = write_ct(dir, "ct.nii.gz", mask_dims, test_affine());
  VpError err = {0};
  VpCase *c = vp_case_from_mask(mask, 20, ct, NULL, NULL, &err);
  assert_non_null(c);
  assert_non_null(c->ct);
  assert_true(c->ct_same_grid);
  assert_string_equal(c->ct_path, ct);
  assert_float_equal(vp_volume_value(c->ct, 1, 0, 0), -1024.0 + 37.25, 1e-3);
  vp_case_free(c);
  free(mask), free(ct), free(dir);
}

static void ct_on_another_overlapping_grid_is_accepted_unchanged(void **state)
{
  char *dir = vp_test_fresh_dir("other-grid");
  char *mask = write_mask(dir, "m.nii.gz");
  const int dims[3] = {8, 8, 6};
  VpMat4 affine = vp_mat4_mul(test_affine(), vp_mat4_scaling(vp_vec3(2.5, 2.0, 2.0)));
  char *ct = write_ct(dir, "ct.nii.gz", dims, affine);
  VpError err = {0};
  VpCase *c = vp_case_from_mask(mask, 20, ct, NULL, NULL, &err);
  assert_non_null(c);
  assert_false(c->ct_same_grid);
  assert_int_equal(c->ct->dims[0], 8);
  assert_float_equal(c->ct->spacing_mm[0], 2.5, 1e-6);
  assert_int_equal(c->mask->dims[0], 20);
  vp_case_free(c);
  free(mask), free(ct), free(dir);
}

static void ct_shifted_by_a_thousandth_is_another_grid(void **state)
{
  VpVolume *mask = make_mask(VP_VOXEL_U8);
  VpVolume *ct =
      make_ct(mask_dims, vp_mat4_mul(vp_mat4_translation(vp_vec3(0, 0, 0.0009)), test_affine()));
  bool same = false;
  VpError err = {0};
  assert_true(vp_case_check_ct_grid(mask, ct, &same, &err));
  assert_true(same);
  vp_volume_free(ct);
  ct = make_ct(mask_dims, vp_mat4_mul(vp_mat4_translation(vp_vec3(0, 0, 0.002)), test_affine()));
  assert_true(vp_case_check_ct_grid(mask, ct, &same, &err));
  assert_false(same);
  vp_volume_free(ct);
  vp_volume_free(mask);
}

static void ct_elsewhere_in_space_is_refused(void **state)
{
  char *dir = vp_test_fresh_dir("disjoint");
  char *mask = write_mask(dir, "m.nii.gz");
  char *ct = write_ct(dir, "ct.nii.gz", mask_dims,
                      vp_mat4_mul(vp_mat4_translation(vp_vec3(0, 0, 500)), test_affine()));
  VpError err = {0};
  assert_null(vp_case_from_mask(mask, 20, ct, NULL, NULL, &err));
  assert_int_equal(err.code, VP_ERR_INVALID);
  assert_non_null(strstr(err.message, "do not overlap"));
  free(mask), free(ct), free(dir);
}

/* ---- progress and cancellation ---- */

typedef struct Recorder {
  char stages[8][64];
  double fractions[8];
  int count;
  int cancel_after; /* cancel once this many stages were reported; -1 never */
  int asked;
} Recorder;

static void record(void *user, double fraction, const char *stage)
{
  Recorder *r = user;
  if (r->count < 8) {
    snprintf(r->stages[r->count], sizeof r->stages[0], "%s", stage);
    r->fractions[r->count] = fraction;
  }
  r->count++;
}

static bool should_cancel(void *user)
{
  Recorder *r = user;
  r->asked++;
  return r->cancel_after >= 0 && r->count >= r->cancel_after;
}

static void progress_stages_are_reported_in_order(void **state)
{
  char *dir = vp_test_fresh_dir("progress");
  char *mask = write_mask(dir, "m.nii.gz");
  char *ct = write_ct(dir, "ct.nii.gz", mask_dims, test_affine());
  Recorder r = {.cancel_after = -1};
  VpProgress progress = {record, should_cancel, &r};
  VpError err = {0};
  VpCase *c = vp_case_from_mask(mask, 22, ct, NULL, &progress, &err);
  assert_non_null(c);
  assert_int_equal(r.count, 4);
  assert_string_equal(r.stages[0], "Reading the mask");
  assert_string_equal(r.stages[1], "Reading the CT");
  assert_string_equal(r.stages[2], "Extracting the L3 surface");
  assert_string_equal(r.stages[3], "Done");
  for (int i = 1; i < 4; i++)
    assert_true(r.fractions[i] > r.fractions[i - 1]);
  assert_float_equal(r.fractions[0], 0.0, 0.0);
  assert_float_equal(r.fractions[3], 1.0, 1e-12);
  assert_true(r.asked >= 4);
  vp_case_free(c);
  free(mask), free(ct), free(dir);
}

static void cancelling_stops_with_cancelled(void **state)
{
  char *dir = vp_test_fresh_dir("cancel");
  char *mask = write_mask(dir, "m.nii.gz");
  for (int after = 0; after <= 2; after++) {
    Recorder r = {.cancel_after = after};
    VpProgress progress = {record, should_cancel, &r};
    VpError err = {0};
    assert_null(vp_case_from_mask(mask, 22, NULL, NULL, &progress, &err));
    assert_int_equal(err.code, VP_ERR_CANCELLED);
    assert_int_equal(r.count, after); /* nothing reported after the cancel */
  }
  free(mask), free(dir);
}

static void progress_may_be_partly_null(void **state)
{
  char *dir = vp_test_fresh_dir("progress-null");
  char *mask = write_mask(dir, "m.nii.gz");
  Recorder r = {.cancel_after = -1};
  VpProgress only_report = {record, NULL, &r};
  VpError err = {0};
  VpCase *c = vp_case_from_mask(mask, 20, NULL, NULL, &only_report, &err);
  assert_non_null(c);
  assert_int_equal(r.count, 3);
  vp_case_free(c);
  free(mask), free(dir);
}

/* ---- plans ---- */

static VpPlan *plan_of(const VpCase *c)
{
  VpError err = {0};
  VpPlan *plan = vp_plan_new("test", &err);
  assert_non_null(plan);
  if (!vp_case_to_plan(c, plan, &err))
    fail_msg("%s", err.message);
  return plan;
}

static VpCase *case_of_saved_plan(const VpPlan *plan, const char *path, VpError *err)
{
  if (!vp_plan_save(plan, path, err))
    fail_msg("%s", err->message);
  VpPlanLoadReport report;
  VpPlan *loaded = vp_plan_load(path, &report, err);
  assert_non_null(loaded);
  VpCase *c = vp_case_from_plan(loaded, NULL, err);
  vp_plan_load_report_clear(&report);
  vp_plan_free(loaded);
  return c;
}

static void mask_case_survives_a_plan_round_trip(void **state)
{
  char *dir = vp_test_fresh_dir("round-trip");
  char *mask = write_mask(dir, "sub-rt_seg-vert_msk.nii.gz");
  char *ct = write_ct(dir, "sub-rt_ct.nii.gz", mask_dims, test_affine());
  char *plan_path = vp_test_join(dir, "case.vplan");
  VpError err = {0};
  VpCase *c = vp_case_from_mask(mask, 22, ct, NULL, NULL, &err);
  assert_non_null(c);
  VpPlan *plan = plan_of(c);
  assert_int_equal(plan->case_info.source_count, 2);
  assert_int_equal(plan->case_info.label, 22);
  VpCase *back = case_of_saved_plan(plan, plan_path, &err);
  if (!back)
    fail_msg("%s", err.message);
  assert_int_equal(back->label, 22);
  assert_string_equal(back->level, "L3");
  assert_string_equal(back->name, "sub-rt L3");
  assert_int_equal(back->surface->triangle_count, c->surface->triangle_count);
  assert_float_equal(surface_volume_ml(back->surface), surface_volume_ml(c->surface), 1e-9);
  assert_non_null(back->ct);
  assert_string_equal(back->mask_path, mask);
  /* the plan names its files relative to itself */
  char *text = vp_test_read_file(plan_path, NULL);
  assert_non_null(strstr(text, "\"sub-rt_seg-vert_msk.nii.gz\""));
  free(text);
  vp_plan_free(plan);
  vp_case_free(back);
  vp_case_free(c);
  free(mask), free(ct), free(plan_path), free(dir);
}

static void mesh_case_survives_a_plan_round_trip(void **state)
{
  char *dir = vp_test_fresh_dir("round-trip-mesh");
  char *stl = vp_test_join(dir, "sub-m_T8.stl"), *plan_path = vp_test_join(dir, "m.vplan");
  write_cube_stl(stl, 25.0f, false);
  VpError err = {0};
  VpCase *c = vp_case_from_mesh_file(stl, NULL, &err);
  assert_non_null(c);
  VpPlan *plan = plan_of(c);
  assert_int_equal(plan->case_info.label, VP_PLAN_LABEL_NONE);
  VpCase *back = case_of_saved_plan(plan, plan_path, &err);
  assert_non_null(back);
  assert_string_equal(back->level, "T8");
  assert_string_equal(back->surface_path, stl);
  assert_float_equal(surface_volume_ml(back->surface), 15.625, 1e-6);
  vp_plan_free(plan);
  vp_case_free(back);
  vp_case_free(c);
  free(stl), free(plan_path), free(dir);
}

static void plan_name_and_level_win_over_the_file_name(void **state)
{
  char *dir = vp_test_fresh_dir("plan-wins");
  char *stl = vp_test_join(dir, "sub-m_T8.stl"), *plan_path = vp_test_join(dir, "m.vplan");
  write_cube_stl(stl, 25.0f, false);
  VpError err = {0};
  VpCase *c = vp_case_from_mesh_file(stl, NULL, &err);
  assert_non_null(c);
  VpPlan *plan = plan_of(c);
  assert_true(vp_plan_set_case(plan, "corrected", "T9", VP_PLAN_LABEL_NONE, &err));
  VpCase *back = case_of_saved_plan(plan, plan_path, &err);
  assert_non_null(back);
  assert_string_equal(back->level, "T9");
  assert_string_equal(back->name, "corrected");
  vp_plan_free(plan);
  vp_case_free(back);
  vp_case_free(c);
  free(stl), free(plan_path), free(dir);
}

static void writing_a_case_twice_replaces_its_sources(void **state)
{
  char *dir = vp_test_fresh_dir("twice");
  char *mask = write_mask(dir, "m.nii.gz");
  VpError err = {0};
  VpCase *c = vp_case_from_mask(mask, 20, NULL, NULL, NULL, &err);
  assert_non_null(c);
  VpPlan *plan = plan_of(c);
  assert_true(vp_case_to_plan(c, plan, &err));
  assert_int_equal(plan->case_info.source_count, 1);
  assert_int_equal(plan->case_info.sources[0].role, VP_SOURCE_ROLE_MASK);
  assert_string_equal(plan->case_info.level, "L1");
  vp_plan_free(plan);
  vp_case_free(c);
  free(mask), free(dir);
}

static void failed_write_leaves_the_plan_as_it_was(void **state)
{
  char *dir = vp_test_fresh_dir("failed-write");
  char *mask = write_mask(dir, "m.nii.gz");
  char *ct = write_ct(dir, "ct.nii.gz", mask_dims, test_affine());
  VpError err = {0};
  VpCase *c = vp_case_from_mask(mask, 20, NULL, NULL, NULL, &err);
  assert_non_null(c);
  VpPlan *plan = plan_of(c);
  VpCase *other = vp_case_from_mask(mask, 22, ct, NULL, NULL, &err);
  assert_non_null(other);
  /* the CT is added first, then the mask can no longer be hashed */
  assert_int_equal(unlink(mask), 0);
  assert_false(vp_case_to_plan(other, plan, &err));
  assert_int_equal(err.code, VP_ERR_IO);
  assert_int_equal(plan->case_info.label, 20);
  assert_string_equal(plan->case_info.level, "L1");
  assert_int_equal(plan->case_info.source_count, 1);
  assert_int_equal(plan->case_info.sources[0].role, VP_SOURCE_ROLE_MASK);
  vp_plan_free(plan);
  vp_case_free(other);
  vp_case_free(c);
  free(mask), free(ct), free(dir);
}

static VpPlan *saved_mask_plan(const char *dir, char **mask_out, char **plan_out)
{
  *mask_out = write_mask(dir, "m.nii.gz");
  *plan_out = vp_test_join(dir, "p.vplan");
  VpError err = {0};
  VpCase *c = vp_case_from_mask(*mask_out, 22, NULL, NULL, NULL, &err);
  assert_non_null(c);
  VpPlan *plan = plan_of(c);
  assert_true(vp_plan_save(plan, *plan_out, &err));
  vp_case_free(c);
  return plan;
}

static void changed_source_is_an_error_saying_so(void **state)
{
  char *dir = vp_test_fresh_dir("changed"), *mask, *plan_path;
  vp_plan_free(saved_mask_plan(dir, &mask, &plan_path));
  VpVolume *v = make_mask(VP_VOXEL_U8);
  vp_volume_set_value(v, 0, 0, 0, 22);
  save_volume(v, mask);
  vp_volume_free(v);
  VpError err = {0};
  VpPlan *loaded = vp_plan_load(plan_path, NULL, &err);
  assert_non_null(loaded);
  assert_null(vp_case_from_plan(loaded, NULL, &err));
  assert_non_null(strstr(err.message, "changed"));
  assert_non_null(strstr(err.message, mask));
  vp_plan_free(loaded);
  free(mask), free(plan_path), free(dir);
}

static void missing_source_is_an_error_saying_so(void **state)
{
  char *dir = vp_test_fresh_dir("missing"), *mask, *plan_path;
  vp_plan_free(saved_mask_plan(dir, &mask, &plan_path));
  assert_int_equal(unlink(mask), 0);
  VpError err = {0};
  VpPlan *loaded = vp_plan_load(plan_path, NULL, &err);
  assert_non_null(loaded);
  assert_null(vp_case_from_plan(loaded, NULL, &err));
  assert_non_null(strstr(err.message, "missing"));
  vp_plan_free(loaded);
  free(mask), free(plan_path), free(dir);
}

static void plan_with_a_mask_but_no_label_is_refused(void **state)
{
  char *dir = vp_test_fresh_dir("no-label"), *mask, *plan_path;
  VpPlan *plan = saved_mask_plan(dir, &mask, &plan_path);
  VpError err = {0};
  assert_true(vp_plan_set_case(plan, "x", "", VP_PLAN_LABEL_NONE, &err));
  assert_null(vp_case_from_plan(plan, NULL, &err));
  assert_int_equal(err.code, VP_ERR_INVALID);
  assert_non_null(strstr(err.message, "no label"));
  vp_plan_free(plan);
  free(mask), free(plan_path), free(dir);
}

static void plan_without_sources_is_refused(void **state)
{
  VpError err = {0};
  VpPlan *plan = vp_plan_new("test", &err);
  assert_non_null(plan);
  assert_null(vp_case_from_plan(plan, NULL, &err));
  assert_int_equal(err.code, VP_ERR_INVALID);
  vp_plan_free(plan);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(nifti_is_a_volume_whatever_its_name),
      cmocka_unit_test(gzip_nifti_is_recognised_inside_the_compression),
      cmocka_unit_test(plan_json_is_a_plan_whatever_its_name),
      cmocka_unit_test(meshes_are_recognised_by_content_then_extension),
      cmocka_unit_test(missing_file_is_judged_by_its_extension),
      cmocka_unit_test(integer_label_volume_is_a_mask),
      cmocka_unit_test(hounsfield_volume_is_not_a_mask),
      cmocka_unit_test(mask_stored_as_float_is_a_mask),
      cmocka_unit_test(fractional_values_are_not_a_mask),
      cmocka_unit_test(negative_values_are_not_a_mask),
      cmocka_unit_test(many_distinct_values_are_not_a_mask),
      cmocka_unit_test(values_of_a_thousand_and_more_are_not_a_mask),
      cmocka_unit_test(verse_ct_and_mask_find_each_other),
      cmocka_unit_test(common_mask_names_are_found),
      cmocka_unit_test(no_companion_gives_null),
      cmocka_unit_test(inside_out_mesh_is_turned_outward_and_reported),
      cmocka_unit_test(mesh_in_metres_is_reported_not_scaled),
      cmocka_unit_test(level_in_a_mesh_file_name_becomes_the_level),
      cmocka_unit_test(relative_mesh_path_becomes_absolute),
      cmocka_unit_test(unreadable_mesh_error_names_the_file),
      cmocka_unit_test(mask_label_gives_a_closed_surface_and_its_level),
      cmocka_unit_test(absent_label_lists_the_labels_present),
      cmocka_unit_test(label_zero_is_refused),
      cmocka_unit_test(ct_given_as_mask_is_refused),
      cmocka_unit_test(truncated_mask_error_names_the_file),
      cmocka_unit_test(pipe_given_as_mask_is_refused_without_waiting),
      cmocka_unit_test(ct_on_the_same_grid_is_kept),
      cmocka_unit_test(ct_on_another_overlapping_grid_is_accepted_unchanged),
      cmocka_unit_test(ct_shifted_by_a_thousandth_is_another_grid),
      cmocka_unit_test(ct_elsewhere_in_space_is_refused),
      cmocka_unit_test(progress_stages_are_reported_in_order),
      cmocka_unit_test(cancelling_stops_with_cancelled),
      cmocka_unit_test(progress_may_be_partly_null),
      cmocka_unit_test(mask_case_survives_a_plan_round_trip),
      cmocka_unit_test(mesh_case_survives_a_plan_round_trip),
      cmocka_unit_test(plan_name_and_level_win_over_the_file_name),
      cmocka_unit_test(writing_a_case_twice_replaces_its_sources),
      cmocka_unit_test(failed_write_leaves_the_plan_as_it_was),
      cmocka_unit_test(changed_source_is_an_error_saying_so),
      cmocka_unit_test(missing_source_is_an_error_saying_so),
      cmocka_unit_test(plan_with_a_mask_but_no_label_is_refused),
      cmocka_unit_test(plan_without_sources_is_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
