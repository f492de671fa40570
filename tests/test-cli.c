/* The command-line tool run as a separate process, exactly as a user runs it:
 * exit codes, standard output and standard error, for meshes, volumes, plans
 * and the case command. With --verse, the checks on the real VerSe meshes,
 * CT and masks (suite "data", skipped when ../shared is absent). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "vp-test-util.h"
#include "vp-volume.h"

static const char *cli_path;

typedef struct CliRun {
  int status;
  char *out;
  char *err;
} CliRun;

static void cli_run_clear(CliRun *run)
{
  free(run->out);
  free(run->err);
}

/* Runs the CLI with up to 14 arguments, capturing both streams in files. */
static CliRun run_cli(const char *first, ...)
{
  const char *argv[16] = {cli_path};
  int argc = 1;
  va_list args;
  va_start(args, first);
  for (const char *a = first; a && argc < 15; a = va_arg(args, const char *))
    argv[argc++] = a;
  va_end(args);
  argv[argc] = NULL;

  char *out_path = vp_test_tmp_path("cli-stdout.txt");
  char *err_path = vp_test_tmp_path("cli-stderr.txt");
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    if (!freopen(out_path, "w", stdout) || !freopen(err_path, "w", stderr))
      _exit(127);
    execv(cli_path, (char *const *)argv);
    _exit(127);
  }
  int wstatus = 0;
  assert_int_equal(waitpid(pid, &wstatus, 0), pid);
  assert_true(WIFEXITED(wstatus)); /* a crash is never acceptable */
  CliRun run = {WEXITSTATUS(wstatus), vp_test_read_file(out_path, NULL),
                vp_test_read_file(err_path, NULL)};
  assert_non_null(run.out);
  assert_non_null(run.err);
  free(out_path);
  free(err_path);
  return run;
}

static int count_lines(const char *text)
{
  int lines = 0;
  for (const char *p = text; *p; p++)
    lines += *p == '\n';
  return lines;
}

static void put_u32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static void put_f32(unsigned char *p, float v) { memcpy(p, &v, 4); }

/* A binary STL of an axis-aligned cube of the given edge (mm), outward faces
 * unless inside_out. */
static char *write_cube_stl_oriented(const char *name, float edge, uint32_t keep_triangles,
                                     bool inside_out)
{
  static const int quads[6][4] = {{0, 2, 3, 1}, {4, 5, 7, 6}, {0, 1, 5, 4},
                                  {2, 6, 7, 3}, {0, 4, 6, 2}, {1, 3, 7, 5}};
  unsigned char data[84 + 12 * 50] = {0};
  put_u32(data + 80, 12);
  unsigned char *tri = data + 84;
  for (int q = 0; q < 6; q++) {
    const int corners[2][3] = {{quads[q][0], quads[q][1], quads[q][2]},
                               {quads[q][0], quads[q][2], quads[q][3]}};
    for (int t = 0; t < 2; t++, tri += 50)
      for (int k = 0; k < 3; k++) {
        int corner = corners[t][inside_out ? 2 - k : k];
        for (int axis = 0; axis < 3; axis++)
          put_f32(tri + 12 + 12 * k + 4 * axis, (corner >> axis & 1) ? edge : 0.0f);
      }
  }
  char *path = vp_test_tmp_path(name);
  assert_true(vp_test_write_file(path, data, 84 + (size_t)keep_triangles * 50));
  return path;
}

static char *write_cube_stl(const char *name, float edge, uint32_t keep_triangles)
{
  return write_cube_stl_oriented(name, edge, keep_triangles, false);
}

static void version_prints_the_version(void **state)
{
  CliRun run = run_cli("--version", NULL);
  assert_int_equal(run.status, 0);
  assert_non_null(strstr(run.out, "vertebra-planner-cli 0."));
  cli_run_clear(&run);
}

static void help_lists_inspect(void **state)
{
  CliRun run = run_cli("--help", NULL);
  assert_int_equal(run.status, 0);
  assert_non_null(strstr(run.out, "inspect"));
  assert_non_null(strstr(run.out, "not a medical device"));
  cli_run_clear(&run);
  run = run_cli("inspect", "--help", NULL);
  assert_int_equal(run.status, 0);
  assert_non_null(strstr(run.out, "--json"));
  cli_run_clear(&run);
}

static void no_arguments_is_a_usage_error(void **state)
{
  CliRun run = run_cli(NULL);
  assert_int_equal(run.status, 2);
  assert_non_null(strstr(run.err, "Usage"));
  cli_run_clear(&run);
}

static void unknown_command_gives_one_line(void **state)
{
  CliRun run = run_cli("frobnicate", NULL);
  assert_int_equal(run.status, 2);
  assert_int_equal(count_lines(run.err), 1);
  assert_non_null(strstr(run.err, "frobnicate"));
  assert_string_equal(run.out, "");
  cli_run_clear(&run);
}

static void unknown_option_is_a_usage_error(void **state)
{
  char *cube = write_cube_stl("opt-cube.stl", 10.0f, 12);
  CliRun run = run_cli("inspect", cube, "--jsno", NULL);
  assert_int_equal(run.status, 2);
  assert_int_equal(count_lines(run.err), 1);
  assert_non_null(strstr(run.err, "--jsno"));
  cli_run_clear(&run);
  free(cube);
}

static void inspect_json_measures_a_cube(void **state)
{
  char *cube = write_cube_stl("cube.stl", 10.0f, 12);
  CliRun run = run_cli("inspect", cube, "--json", NULL);
  assert_int_equal(run.status, 0);
  assert_string_equal(run.err, "");
  cJSON *json = cJSON_Parse(run.out);
  assert_non_null(json);
  assert_int_equal(cJSON_GetObjectItem(json, "triangles")->valueint, 12);
  assert_int_equal(cJSON_GetObjectItem(json, "vertices")->valueint, 8);
  assert_int_equal(cJSON_GetObjectItem(json, "components")->valueint, 1);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(json, "watertight")));
  assert_float_equal(cJSON_GetObjectItem(json, "volume_ml")->valuedouble, 1.0, 1e-9);
  assert_float_equal(cJSON_GetObjectItem(json, "surface_area_mm2")->valuedouble, 600.0, 1e-9);
  cJSON *max = cJSON_GetObjectItem(json, "bbox_max_mm");
  assert_int_equal(cJSON_GetArraySize(max), 3);
  assert_float_equal(cJSON_GetArrayItem(max, 2)->valuedouble, 10.0, 1e-9);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(json, "bbox_min_mm")), 3);
  cJSON_Delete(json);
  cli_run_clear(&run);
  free(cube);
}

static void inspect_text_is_readable(void **state)
{
  char *cube = write_cube_stl("cube-text.stl", 10.0f, 12);
  CliRun run = run_cli("inspect", cube, NULL);
  assert_int_equal(run.status, 0);
  assert_non_null(strstr(run.out, "Triangles:     12"));
  assert_non_null(strstr(run.out, "1.00 mL"));
  assert_non_null(strstr(run.out, "Watertight:    yes"));
  cli_run_clear(&run);
  free(cube);
}

static void inspect_open_surface_is_reported(void **state)
{
  char *path = write_cube_stl("open-cube.stl", 10.0f, 12);
  /* Rewrite the count so the file is a valid STL of 11 triangles: one face half open. */
  size_t size = 0;
  unsigned char *data = vp_test_read_file(path, &size);
  put_u32(data + 80, 11);
  assert_true(vp_test_write_file(path, data, 84 + 11 * 50));
  free(data);
  CliRun run = run_cli("inspect", path, "--json", NULL);
  assert_int_equal(run.status, 0);
  cJSON *json = cJSON_Parse(run.out);
  assert_non_null(json);
  assert_true(cJSON_IsFalse(cJSON_GetObjectItem(json, "watertight")));
  assert_int_equal(cJSON_GetObjectItem(json, "boundary_edges")->valueint, 3);
  cJSON_Delete(json);
  cli_run_clear(&run);
  free(path);
}

static void truncated_file_fails_with_one_clear_line(void **state)
{
  char *path = write_cube_stl("truncated.stl", 10.0f, 7);
  CliRun run = run_cli("inspect", path, "--json", NULL);
  assert_int_equal(run.status, 1);
  assert_string_equal(run.out, "");
  assert_int_equal(count_lines(run.err), 1);
  assert_non_null(strstr(run.err, "7 of 12 triangles"));
  cli_run_clear(&run);
  free(path);
}

static void missing_file_names_the_file(void **state)
{
  CliRun run = run_cli("inspect", "/nonexistent/vertebra.stl", NULL);
  assert_int_equal(run.status, 1);
  assert_int_equal(count_lines(run.err), 1);
  assert_non_null(strstr(run.err, "/nonexistent/vertebra.stl"));
  cli_run_clear(&run);
}

static void nonsense_file_is_refused(void **state)
{
  char *path = vp_test_tmp_path("nonsense.stl");
  assert_true(vp_test_write_file(path, "hello, this is not a mesh\n", 26));
  CliRun run = run_cli("inspect", path, NULL);
  assert_int_equal(run.status, 1);
  assert_int_equal(count_lines(run.err), 1);
  assert_string_equal(run.out, "");
  cli_run_clear(&run);
  free(path);
}

/* ---- volumes, masks, plans and the case command ---- */

/* Voxel axes towards posterior, inferior and right with 2 mm along k, as in
 * the VerSe files: column c of the affine is where voxel axis c points. */
static VpMat4 pir_affine(void)
{
  VpMat4 m = vp_mat4_identity();
  const double columns[3][3] = {{0, -1, 0}, {0, 0, -1}, {2, 0, 0}};
  for (int c = 0; c < 3; c++)
    for (int r = 0; r < 3; r++)
      m.m[r][c] = columns[c][r];
  m.m[0][3] = 12.0, m.m[1][3] = -40.0, m.m[2][3] = 100.0;
  return m;
}

static void fill_block(VpVolume *v, const int lo[3], const int hi[3], double value)
{
  for (int k = lo[2]; k <= hi[2]; k++)
    for (int j = lo[1]; j <= hi[1]; j++)
      for (int i = lo[0]; i <= hi[0]; i++)
        vp_volume_set_value(v, i, j, k, value);
}

static void save_volume(const VpVolume *v, const char *path)
{
  VpError err = {0};
  if (!vp_volume_save_nifti(v, path, &err))
    fail_msg("%s", err.message);
}

/* A 20 x 16 x 12 uint8 mask: label 20 (L1) 6 x 8 x 7 = 336 voxels, label 22
 * (L3) 6 x 8 x 5 = 240 voxels, each voxel 2 mm^3. */
static char *write_mask(const char *name)
{
  const int dims[3] = {20, 16, 12};
  const int l1_lo[3] = {2, 2, 2}, l1_hi[3] = {7, 9, 8};
  const int l3_lo[3] = {11, 3, 2}, l3_hi[3] = {16, 10, 6};
  VpMat4 affine = pir_affine();
  VpVolume *v = vp_volume_new(dims, VP_VOXEL_U8, &affine, NULL, NULL);
  assert_non_null(v);
  fill_block(v, l1_lo, l1_hi, 20);
  fill_block(v, l3_lo, l3_hi, 22);
  char *path = vp_test_tmp_path(name);
  save_volume(v, path);
  vp_volume_free(v);
  return path;
}

/* A CT-like int16 volume on the mask's grid, shifted by shift_mm along x. */
static char *write_ct(const char *name, double shift_mm)
{
  const int dims[3] = {20, 16, 12};
  VpMat4 affine = pir_affine();
  affine.m[0][3] += shift_mm;
  VpVolume *v = vp_volume_new(dims, VP_VOXEL_I16, &affine, NULL, NULL);
  assert_non_null(v);
  for (size_t at = 0; at < vp_volume_voxel_count(v); at++)
    ((int16_t *)v->data)[at] = (int16_t)(-1024 + (int)(at % 1500));
  char *path = vp_test_tmp_path(name);
  save_volume(v, path);
  vp_volume_free(v);
  return path;
}

static cJSON *json_of(const CliRun *run)
{
  cJSON *json = cJSON_Parse(run->out);
  if (!json)
    fail_msg("not JSON: %s (stderr: %s)", run->out, run->err);
  return json;
}

static double number_at(const cJSON *array, int index)
{
  return cJSON_GetArrayItem(array, index)->valuedouble;
}

static const char *string_of(const cJSON *o, const char *key)
{
  const cJSON *item = cJSON_GetObjectItem(o, key);
  assert_true(cJSON_IsString(item));
  return item->valuestring;
}

static void assert_one_error_line(const CliRun *run, int status, const char *part)
{
  assert_int_equal(run->status, status);
  assert_string_equal(run->out, "");
  assert_int_equal(count_lines(run->err), 1);
  if (!strstr(run->err, part))
    fail_msg("'%s' not in: %s", part, run->err);
}

static void inspect_mask_gives_grid_and_labels(void **state)
{
  char *mask = write_mask("labels_msk.nii.gz");
  CliRun run = run_cli("inspect", mask, "--json", NULL);
  assert_int_equal(run.status, 0);
  assert_string_equal(run.err, "");
  cJSON *json = json_of(&run);
  assert_string_equal(string_of(json, "kind"), "mask");
  assert_string_equal(string_of(json, "orientation"), "PIR");
  assert_string_equal(string_of(json, "datatype"), "uint8");
  assert_string_equal(string_of(json, "transform"), "sform");
  cJSON *dims = cJSON_GetObjectItem(json, "dims"),
        *spacing = cJSON_GetObjectItem(json, "spacing_mm");
  assert_float_equal(number_at(dims, 0), 20, 0);
  assert_float_equal(number_at(dims, 2), 12, 0);
  assert_float_equal(number_at(spacing, 1), 1.0, 1e-9);
  assert_float_equal(number_at(spacing, 2), 2.0, 1e-9);
  assert_float_equal(cJSON_GetObjectItem(json, "voxel_volume_mm3")->valuedouble, 2.0, 1e-9);
  cJSON *labels = cJSON_GetObjectItem(json, "labels");
  assert_int_equal(cJSON_GetArraySize(labels), 2);
  cJSON *l3 = cJSON_GetArrayItem(labels, 1);
  assert_int_equal(cJSON_GetObjectItem(l3, "label")->valueint, 22);
  assert_string_equal(string_of(l3, "level"), "L3");
  assert_int_equal(cJSON_GetObjectItem(l3, "voxels")->valueint, 240);
  assert_float_equal(cJSON_GetObjectItem(l3, "volume_ml")->valuedouble, 0.48, 1e-9);
  assert_string_equal(string_of(cJSON_GetArrayItem(labels, 0), "level"), "L1");
  assert_null(cJSON_GetObjectItem(json, "surface"));
  cJSON_Delete(json);
  cli_run_clear(&run);
  free(mask);
}

static void inspect_mask_text_lists_levels(void **state)
{
  char *mask = write_mask("text_msk.nii.gz");
  CliRun run = run_cli("inspect", mask, NULL);
  assert_int_equal(run.status, 0);
  assert_non_null(strstr(run.out, "label mask"));
  assert_non_null(strstr(run.out, "axes towards PIR"));
  assert_non_null(strstr(run.out, "Labels:        2"));
  assert_non_null(strstr(run.out, "22  L3"));
  assert_non_null(strstr(run.out, "0.5 mL"));
  cli_run_clear(&run);
  free(mask);
}

static void inspect_ct_gives_its_value_range(void **state)
{
  char *ct = write_ct("scan_ct.nii.gz", 0.0);
  CliRun run = run_cli("inspect", ct, "--json", NULL);
  assert_int_equal(run.status, 0);
  cJSON *json = json_of(&run);
  assert_string_equal(string_of(json, "kind"), "ct");
  cJSON *range = cJSON_GetObjectItem(json, "value_range");
  assert_float_equal(number_at(range, 0), -1024, 0);
  assert_float_equal(number_at(range, 1), -1024 + 1499, 0);
  assert_string_equal(string_of(json, "datatype"), "int16");
  assert_null(cJSON_GetObjectItem(json, "labels"));
  cJSON_Delete(json);
  cli_run_clear(&run);
  free(ct);
}

static void check_surface_of(const char *option, const char *value, int label)
{
  char *mask = write_mask("surface_msk.nii.gz");
  CliRun run = run_cli("inspect", mask, option, value, "--json", NULL);
  assert_int_equal(run.status, 0);
  cJSON *json = json_of(&run);
  cJSON *surface = cJSON_GetObjectItem(json, "surface");
  assert_non_null(surface);
  assert_int_equal(cJSON_GetObjectItem(surface, "label")->valueint, label);
  assert_true(cJSON_GetObjectItem(surface, "triangles")->valueint > 12);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(surface, "watertight")));
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(surface, "smoothed"))); /* 1 x 1 x 2 mm voxels */
  assert_int_equal(cJSON_GetObjectItem(surface, "components")->valueint, 1);
  double volume = cJSON_GetObjectItem(surface, "volume_ml")->valuedouble;
  double voxels = label == 22 ? 0.48 : 0.672;
  assert_true(volume > 0.7 * voxels && volume < 1.05 * voxels);
  cJSON_Delete(json);
  cli_run_clear(&run);
  free(mask);
}

static void inspect_mask_level_adds_the_surface(void **state)
{
  check_surface_of("--level", "L3", 22);
}

static void inspect_mask_label_adds_the_surface(void **state)
{
  check_surface_of("--label", "20", 20);
}

static void absent_label_lists_the_labels_present(void **state)
{
  char *mask = write_mask("absent_msk.nii.gz");
  CliRun run = run_cli("inspect", mask, "--label", "23", NULL);
  assert_one_error_line(&run, 1, "labels present: 20 (L1), 22 (L3)");
  cli_run_clear(&run);
  run = run_cli("inspect", mask, "--level", "L4", "--json", NULL);
  assert_one_error_line(&run, 1,
                        "L4 (label 23) is not in the mask; labels present: 20 (L1), 22 (L3)");
  cli_run_clear(&run);
  free(mask);
}

static void unknown_level_name_lists_the_labels_present(void **state)
{
  char *mask = write_mask("unknown_msk.nii.gz");
  CliRun run = run_cli("inspect", mask, "--level", "Q7", NULL);
  assert_one_error_line(&run, 1, "'Q7' is not a vertebra name");
  assert_non_null(strstr(run.err, "20 (L1), 22 (L3)"));
  cli_run_clear(&run);
  free(mask);
}

static void label_with_level_is_a_usage_error(void **state)
{
  char *mask = write_mask("both_msk.nii.gz");
  CliRun run = run_cli("inspect", mask, "--label", "22", "--level", "L3", NULL);
  assert_one_error_line(&run, 2, "--label and --level");
  cli_run_clear(&run);
  run = run_cli("inspect", mask, "--label", "twenty", NULL);
  assert_one_error_line(&run, 2, "'twenty'");
  cli_run_clear(&run);
  run = run_cli("inspect", mask, "--level", NULL);
  assert_one_error_line(&run, 2, "--level needs a value");
  cli_run_clear(&run);
  free(mask);
}

static void mask_options_with_a_ct_or_mesh_are_usage_errors(void **state)
{
  char *ct = write_ct("opt_ct.nii.gz", 0.0), *other = write_ct("opt2_ct.nii.gz", 0.0);
  char *cube = write_cube_stl("opt-level.stl", 10.0f, 12);
  CliRun run = run_cli("inspect", ct, "--ct", other, NULL);
  assert_one_error_line(&run, 2, "is a CT");
  cli_run_clear(&run);
  run = run_cli("inspect", cube, "--level", "L3", NULL);
  assert_one_error_line(&run, 2, "is a mesh");
  cli_run_clear(&run);
  free(ct), free(other), free(cube);
}

static void ct_beside_a_mask_is_checked(void **state)
{
  char *mask = write_mask("frame_msk.nii.gz");
  char *same = write_ct("frame_same.nii.gz", 0.0), *far = write_ct("frame_far.nii.gz", 900.0);
  CliRun run = run_cli("inspect", mask, "--ct", same, "--json", NULL);
  assert_int_equal(run.status, 0);
  cJSON *json = json_of(&run);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(json, "ct"), "same_grid")));
  cJSON_Delete(json);
  cli_run_clear(&run);
  run = run_cli("inspect", mask, "--level", "L1", "--ct", far, NULL);
  assert_one_error_line(&run, 1, "do not overlap");
  cli_run_clear(&run);
  free(mask), free(same), free(far);
}

static void truncated_nifti_fails_with_one_clear_line(void **state)
{
  char *mask = write_mask("cut_msk.nii");
  size_t size = 0;
  unsigned char *data = vp_test_read_file(mask, &size);
  assert_true(vp_test_write_file(mask, data, size / 2));
  free(data);
  CliRun run = run_cli("inspect", mask, "--json", NULL);
  assert_one_error_line(&run, 1, "cut_msk.nii");
  cli_run_clear(&run);
  free(mask);
}

static void folder_is_refused_in_one_line(void **state)
{
  char *dir = vp_test_tmp_path("folder.vplan");
  assert_int_equal(mkdir(dir, 0755), 0);
  CliRun run = run_cli("inspect", dir, NULL);
  assert_one_error_line(&run, 1, "folder.vplan: this is a folder");
  cli_run_clear(&run);
  free(dir);
}

static void inspect_mesh_reports_its_repair(void **state)
{
  char *flipped = write_cube_stl_oriented("flipped.stl", 20.0f, 12, true);
  char *metres = write_cube_stl("metres.stl", 0.04f, 12);
  CliRun run = run_cli("inspect", flipped, "--json", NULL);
  assert_int_equal(run.status, 0);
  cJSON *json = json_of(&run);
  assert_string_equal(string_of(json, "kind"), "mesh");
  assert_true(
      cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(json, "repair"), "inverted_fixed")));
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(json, "outward_oriented")));
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(json, "warnings")), 0);
  cJSON_Delete(json);
  cli_run_clear(&run);
  run = run_cli("inspect", metres, "--json", NULL);
  json = json_of(&run);
  assert_true(
      cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(json, "repair"), "looks_like_metres")));
  cJSON *warnings = cJSON_GetObjectItem(json, "warnings");
  assert_int_equal(cJSON_GetArraySize(warnings), 2);
  assert_non_null(strstr(cJSON_GetArrayItem(warnings, 0)->valuestring, "metres"));
  assert_non_null(strstr(cJSON_GetArrayItem(warnings, 1)->valuestring, "--scale 1000"));
  cJSON_Delete(json);
  cli_run_clear(&run);
  free(flipped), free(metres);
}

static void scale_measures_a_metre_model_in_millimetres(void **state)
{
  char *metres = write_cube_stl("scaled.stl", 0.04f, 12);
  CliRun run = run_cli("inspect", metres, "--scale", "1000", "--json", NULL);
  assert_int_equal(run.status, 0);
  cJSON *json = json_of(&run);
  assert_float_equal(cJSON_GetObjectItem(json, "volume_ml")->valuedouble, 64.0, 1e-3);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(json, "warnings")), 0);
  cJSON_Delete(json);
  cli_run_clear(&run);
  run = run_cli("inspect", metres, "--scale", "-5", NULL);
  assert_one_error_line(&run, 2, "'-5'");
  cli_run_clear(&run);
  free(metres);
}

static void case_writes_a_plan_that_inspect_reads(void **state)
{
  char *mask = write_mask("case_seg-vert_msk.nii.gz"), *ct = write_ct("case_ct.nii.gz", 0.0);
  char *plan = vp_test_tmp_path("made.vplan"), *stl = vp_test_tmp_path("made_L3.stl");
  CliRun run = run_cli("case", "--mask", mask, "--ct", ct, "--level", "L3", "-o", plan, NULL);
  assert_int_equal(run.status, 0);
  assert_string_equal(run.err, "");
  assert_int_equal(count_lines(run.out), 1);
  assert_non_null(strstr(run.out, "L3 (label 22), surface "));
  assert_non_null(strstr(run.out, " mL, in made_L3.stl"));
  cli_run_clear(&run);
  assert_true(access(stl, F_OK) == 0);
  run = run_cli("inspect", plan, "--json", NULL);
  assert_int_equal(run.status, 0);
  cJSON *json = json_of(&run);
  assert_string_equal(string_of(json, "kind"), "plan");
  assert_string_equal(string_of(json, "name"), "case L3");
  assert_string_equal(string_of(json, "level"), "L3");
  assert_int_equal(cJSON_GetObjectItem(json, "label")->valueint, 22);
  cJSON *sources = cJSON_GetObjectItem(json, "sources");
  assert_int_equal(cJSON_GetArraySize(sources), 3);
  for (int i = 0; i < 3; i++)
    assert_string_equal(string_of(cJSON_GetArrayItem(sources, i), "state"), "found");
  assert_true(
      cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(json, "surface"), "watertight")));
  cJSON_Delete(json);
  cli_run_clear(&run);
  free(mask), free(ct), free(plan), free(stl);
}

static void case_json_is_inspect_of_the_plan(void **state)
{
  char *mask = write_mask("json_msk.nii.gz");
  char *plan = vp_test_tmp_path("json.vplan");
  CliRun run = run_cli("case", "--mask", mask, "--label", "20", "-o", plan, "--json", NULL);
  assert_int_equal(run.status, 0);
  cJSON *json = json_of(&run);
  assert_string_equal(string_of(json, "kind"), "plan");
  assert_string_equal(string_of(json, "level"), "L1");
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(json, "sources")), 2);
  cJSON_Delete(json);
  cli_run_clear(&run);
  free(mask), free(plan);
}

static void case_command_line_errors(void **state)
{
  char *mask = write_mask("bad_msk.nii.gz");
  char *plan = vp_test_tmp_path("bad.vplan");
  CliRun run = run_cli("case", "--mask", mask, "--level", "L3", NULL);
  assert_one_error_line(&run, 2, "-o");
  cli_run_clear(&run);
  run = run_cli("case", "--mask", mask, "--level", "L3", "--label", "22", "-o", plan, NULL);
  assert_one_error_line(&run, 2, "--label and --level");
  cli_run_clear(&run);
  run = run_cli("case", "--mask", mask, "-o", plan, NULL);
  assert_one_error_line(&run, 2, "--level");
  cli_run_clear(&run);
  run = run_cli("case", "--mask", mask, "--level", "L4", "-o", plan, NULL);
  assert_one_error_line(&run, 1, "labels present: 20 (L1), 22 (L3)");
  cli_run_clear(&run);
  assert_true(access(plan, F_OK) != 0); /* nothing written */
  free(mask), free(plan);
}

static void plan_with_a_missing_file_is_inspected_with_a_warning(void **state)
{
  char *mask = write_mask("gone_msk.nii.gz");
  char *plan = vp_test_tmp_path("gone.vplan"), *stl = vp_test_tmp_path("gone_L1.stl");
  CliRun run = run_cli("case", "--mask", mask, "--level", "L1", "-o", plan, NULL);
  assert_int_equal(run.status, 0);
  cli_run_clear(&run);
  assert_int_equal(unlink(stl), 0);
  run = run_cli("inspect", plan, "--json", NULL);
  assert_int_equal(run.status, 0);
  cJSON *json = json_of(&run);
  cJSON *sources = cJSON_GetObjectItem(json, "sources");
  assert_string_equal(string_of(cJSON_GetArrayItem(sources, 0), "state"), "missing");
  assert_string_equal(string_of(cJSON_GetArrayItem(sources, 1), "state"), "found");
  assert_true(cJSON_IsNull(cJSON_GetObjectItem(json, "surface")));
  assert_non_null(
      strstr(cJSON_GetArrayItem(cJSON_GetObjectItem(json, "warnings"), 0)->valuestring, "missing"));
  cJSON_Delete(json);
  cli_run_clear(&run);
  free(mask), free(plan), free(stl);
}

static void malformed_plan_gives_the_position(void **state)
{
  char *plan = vp_test_tmp_path("broken.vplan");
  const char *text = "{\"format\": \"vertebra-planner-plan\",\n \"version\": 1,,\n}";
  assert_true(vp_test_write_file(plan, text, strlen(text)));
  CliRun run = run_cli("inspect", plan, NULL);
  assert_one_error_line(&run, 1, "line 2");
  cli_run_clear(&run);
  free(plan);
}

/* ---- real data ---- */

static void check_verse_mesh(const char *relative, int triangles, double volume_ml)
{
  char *path = vp_test_shared_file(relative);
  assert_non_null(path);
  CliRun run = run_cli("inspect", path, "--json", NULL);
  assert_int_equal(run.status, 0);
  cJSON *json = cJSON_Parse(run.out);
  assert_non_null(json);
  assert_int_equal(cJSON_GetObjectItem(json, "triangles")->valueint, triangles);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(json, "watertight")));
  assert_int_equal(cJSON_GetObjectItem(json, "components")->valueint, 1);
  double volume = cJSON_GetObjectItem(json, "volume_ml")->valuedouble;
  printf("%s: %.3f mL (reference %.2f mL)\n", relative, volume, volume_ml);
  assert_true(fabs(volume - volume_ml) <= 0.005 * volume_ml);
  cJSON_Delete(json);
  cli_run_clear(&run);
  free(path);
}

static void verse_l3_binary_stl(void **state)
{
  check_verse_mesh("verse/sub-verse009_L3.stl", 27760, 54.01);
}

static void verse_t8_ascii_stl(void **state)
{
  check_verse_mesh("verse/sub-verse009_T8_ascii.stl", 15916, 27.40);
}

static cJSON *inspect_json(const char *first, ...)
{
  const char *args[8] = {0};
  int n = 0;
  va_list ap;
  va_start(ap, first);
  for (const char *a = first; a && n < 7; a = va_arg(ap, const char *))
    args[n++] = a;
  va_end(ap);
  CliRun run = run_cli("inspect", args[0], args[1], args[2], args[3], args[4], args[5], NULL);
  if (run.status != 0)
    fail_msg("inspect failed (%d): %s", run.status, run.err);
  cJSON *json = json_of(&run);
  cli_run_clear(&run);
  return json;
}

static void verse_mask_lists_l1_to_l5(void **state)
{
  static const double readme_ml[5] = {52.2, 58.3, 64.1, 68.4, 68.1}; /* README, voxel counts */
  char *mask = vp_test_shared_file("verse/sub-verse005_seg-vert_msk.nii.gz");
  cJSON *json = inspect_json(mask, "--json", NULL);
  assert_string_equal(string_of(json, "kind"), "mask");
  assert_string_equal(string_of(json, "orientation"), "PIR");
  const double dims[3] = {103, 180, 106};
  for (int a = 0; a < 3; a++) {
    assert_float_equal(number_at(cJSON_GetObjectItem(json, "dims"), a), dims[a], 0);
    assert_float_equal(number_at(cJSON_GetObjectItem(json, "spacing_mm"), a), 1.0, 1e-4);
  }
  cJSON *labels = cJSON_GetObjectItem(json, "labels");
  assert_int_equal(cJSON_GetArraySize(labels), 5);
  for (int i = 0; i < 5; i++) {
    cJSON *l = cJSON_GetArrayItem(labels, i);
    char level[4];
    snprintf(level, sizeof level, "L%d", i + 1);
    assert_int_equal(cJSON_GetObjectItem(l, "label")->valueint, 20 + i);
    assert_string_equal(string_of(l, "level"), level);
    assert_true(fabs(cJSON_GetObjectItem(l, "volume_ml")->valuedouble - readme_ml[i]) <= 0.1);
  }
  assert_string_equal(string_of(json, "companion"), "sub-verse005_ct.nii.gz");
  cJSON_Delete(json);
  free(mask);
}

static void verse_ct_is_a_ct(void **state)
{
  char *ct = vp_test_shared_file("verse/sub-verse005_ct.nii.gz");
  cJSON *json = inspect_json(ct, "--json", NULL);
  assert_string_equal(string_of(json, "kind"), "ct");
  cJSON *range = cJSON_GetObjectItem(json, "value_range");
  printf("CT values %.0f to %.0f HU\n", number_at(range, 0), number_at(range, 1));
  assert_float_equal(number_at(range, 0), -1024, 0);
  assert_true(number_at(range, 1) > 2000 && number_at(range, 1) < 2200);
  assert_string_equal(string_of(json, "orientation"), "PIR");
  cJSON_Delete(json);
  free(ct);
}

static void verse_mask_level_l3_gives_its_surface(void **state)
{
  char *mask = vp_test_shared_file("verse/sub-verse005_seg-vert_msk.nii.gz");
  cJSON *json = inspect_json(mask, "--level", "L3", "--json", NULL);
  cJSON *surface = cJSON_GetObjectItem(json, "surface");
  assert_non_null(surface);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(surface, "watertight")));
  assert_int_equal(cJSON_GetObjectItem(surface, "components")->valueint, 1);
  double volume = cJSON_GetObjectItem(surface, "volume_ml")->valuedouble;
  printf("005 L3 surface: %.2f mL (voxels 64.1 mL)\n", volume);
  assert_true(fabs(volume - 64.1) <= 0.03 * 64.1);
  cJSON_Delete(json);
  free(mask);
}

static bool is_hex64(const char *s)
{
  size_t n = strspn(s, "0123456789abcdef");
  return n == 64 && s[64] == '\0';
}

static void verse_case_writes_a_plan_with_three_sources(void **state)
{
  char *mask = vp_test_shared_file("verse/sub-verse005_seg-vert_msk.nii.gz");
  char *ct = vp_test_shared_file("verse/sub-verse005_ct.nii.gz");
  char *plan = vp_test_tmp_path("verse-case.vplan");
  CliRun run = run_cli("case", "--mask", mask, "--ct", ct, "--level", "L3", "-o", plan, NULL);
  assert_int_equal(run.status, 0);
  printf("%s", run.out);
  cli_run_clear(&run);
  cJSON *json = inspect_json(plan, "--json", NULL);
  assert_string_equal(string_of(json, "level"), "L3");
  assert_int_equal(cJSON_GetObjectItem(json, "label")->valueint, 22);
  cJSON *sources = cJSON_GetObjectItem(json, "sources");
  assert_int_equal(cJSON_GetArraySize(sources), 3);
  for (int i = 0; i < 3; i++) {
    cJSON *source = cJSON_GetArrayItem(sources, i);
    assert_string_equal(string_of(source, "state"), "found");
    assert_true(is_hex64(string_of(source, "sha256")));
  }
  cJSON_Delete(json);
  free(mask), free(ct), free(plan);
}

int main(int argc, char **argv)
{
  if (argc < 2)
    return fprintf(stderr, "usage: test-cli PATH-TO-CLI [--verse]\n"), 2;
  cli_path = argv[1];
  if (argc > 2 && strcmp(argv[2], "--verse") == 0) {
    char *probe = vp_test_shared_file("verse/sub-verse009_L3.stl");
    if (!probe)
      return vp_test_skip("cli-verse", "../shared/data/verse is not beside the checkout");
    free(probe);
    const struct CMUnitTest verse[] = {
        cmocka_unit_test(verse_l3_binary_stl),
        cmocka_unit_test(verse_t8_ascii_stl),
        cmocka_unit_test(verse_mask_lists_l1_to_l5),
        cmocka_unit_test(verse_ct_is_a_ct),
        cmocka_unit_test(verse_mask_level_l3_gives_its_surface),
        cmocka_unit_test(verse_case_writes_a_plan_with_three_sources),
    };
    return cmocka_run_group_tests(verse, NULL, NULL);
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(version_prints_the_version),
      cmocka_unit_test(help_lists_inspect),
      cmocka_unit_test(no_arguments_is_a_usage_error),
      cmocka_unit_test(unknown_command_gives_one_line),
      cmocka_unit_test(unknown_option_is_a_usage_error),
      cmocka_unit_test(inspect_json_measures_a_cube),
      cmocka_unit_test(inspect_text_is_readable),
      cmocka_unit_test(inspect_open_surface_is_reported),
      cmocka_unit_test(truncated_file_fails_with_one_clear_line),
      cmocka_unit_test(missing_file_names_the_file),
      cmocka_unit_test(nonsense_file_is_refused),
      cmocka_unit_test(inspect_mask_gives_grid_and_labels),
      cmocka_unit_test(inspect_mask_text_lists_levels),
      cmocka_unit_test(inspect_ct_gives_its_value_range),
      cmocka_unit_test(inspect_mask_level_adds_the_surface),
      cmocka_unit_test(inspect_mask_label_adds_the_surface),
      cmocka_unit_test(absent_label_lists_the_labels_present),
      cmocka_unit_test(unknown_level_name_lists_the_labels_present),
      cmocka_unit_test(label_with_level_is_a_usage_error),
      cmocka_unit_test(mask_options_with_a_ct_or_mesh_are_usage_errors),
      cmocka_unit_test(ct_beside_a_mask_is_checked),
      cmocka_unit_test(truncated_nifti_fails_with_one_clear_line),
      cmocka_unit_test(folder_is_refused_in_one_line),
      cmocka_unit_test(inspect_mesh_reports_its_repair),
      cmocka_unit_test(scale_measures_a_metre_model_in_millimetres),
      cmocka_unit_test(case_writes_a_plan_that_inspect_reads),
      cmocka_unit_test(case_json_is_inspect_of_the_plan),
      cmocka_unit_test(case_command_line_errors),
      cmocka_unit_test(plan_with_a_missing_file_is_inspected_with_a_warning),
      cmocka_unit_test(malformed_plan_gives_the_position),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
