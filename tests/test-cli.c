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

#define MAX_CLI_ARGS 30

/* Runs the CLI with the NULL-terminated arguments, capturing both streams in files. */
static CliRun run_cli_argv(const char *const *args)
{
  const char *argv[MAX_CLI_ARGS + 2] = {cli_path};
  int argc = 1;
  for (; args[argc - 1]; argc++) {
    assert_true(argc <= MAX_CLI_ARGS);
    argv[argc] = args[argc - 1];
  }
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

/* Collects up to MAX_CLI_ARGS arguments after those already in args[0..n),
 * ending the list with NULL; false when there are more. */
static bool collect_args(const char **args, int n, const char *first, va_list more)
{
  for (const char *a = first; a; a = va_arg(more, const char *)) {
    if (n >= MAX_CLI_ARGS)
      return false;
    args[n++] = a;
  }
  args[n] = NULL;
  return true;
}

static CliRun run_cli(const char *first, ...)
{
  const char *args[MAX_CLI_ARGS + 1];
  va_list more;
  va_start(more, first);
  bool fits = collect_args(args, 0, first, more);
  va_end(more);
  assert_true(fits);
  return run_cli_argv(args);
}

static int count_lines(const char *text)
{
  int lines = 0;
  for (const char *p = text; *p; p++)
    lines += *p == '\n';
  return lines;
}

static void put_u32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }

/* A binary STL of an axis-aligned cube of the given edge (mm), outward faces
 * unless inside_out. */
static char *write_cube_stl_oriented(const char *name, float edge, uint32_t keep_triangles,
                                     bool inside_out)
{
  char *path = vp_test_tmp_path(name);
  vp_test_write_cube_stl(path, edge, keep_triangles, inside_out);
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

static cJSON *inspect_json(const char *first, ...);

/* ---- the phantom command ---- */

/* The coarsest grids the generator accepts (2 mm) keep each phantom to a
 * fraction of a second; none of the options under test depends on them. */
static CliRun run_phantom_args(const char *plan, const char *const *extra)
{
  const char *args[MAX_CLI_ARGS + 1] = {
      "phantom", "--set", "spacing_mm=2", "--set", "surface_spacing_mm=2", "-o", plan};
  int n = 7;
  for (; extra[n - 7]; n++) {
    assert_true(n < MAX_CLI_ARGS);
    args[n] = extra[n - 7];
  }
  args[n] = NULL;
  return run_cli_argv(args);
}

static CliRun run_phantom(const char *plan, const char *first, ...)
{
  const char *extra[MAX_CLI_ARGS + 1];
  va_list more;
  va_start(more, first);
  bool fits = collect_args(extra, 0, first, more);
  va_end(more);
  assert_true(fits);
  return run_phantom_args(plan, extra);
}

/* TMP/STEM followed by suffix: the files of one case lie side by side. */
static char *case_file(const char *stem, const char *suffix)
{
  char name[128];
  snprintf(name, sizeof name, "%s%s", stem, suffix);
  return vp_test_tmp_path(name);
}

/* Generates TMP/STEM.vplan and the files beside it; the stdout is dropped. */
static void generate(const char *stem, const char *first, ...)
{
  const char *extra[MAX_CLI_ARGS + 1];
  va_list more;
  va_start(more, first);
  bool fits = collect_args(extra, 0, first, more);
  va_end(more);
  assert_true(fits);
  char *plan = case_file(stem, ".vplan");
  CliRun run = run_phantom_args(plan, extra);
  if (run.status != 0)
    fail_msg("phantom failed (%d): %s", run.status, run.err);
  assert_string_equal(run.err, "");
  cli_run_clear(&run);
  free(plan);
}

static cJSON *load_plan(const char *stem)
{
  char *plan = case_file(stem, ".vplan");
  char *text = vp_test_read_file(plan, NULL);
  assert_non_null(text);
  cJSON *json = cJSON_Parse(text);
  if (!json)
    fail_msg("%s is not JSON", plan);
  free(text);
  free(plan);
  return json;
}

/* "case" -> "phantom" of a plan: the ground truth. */
static const cJSON *truth_of(const cJSON *plan)
{
  const cJSON *truth = cJSON_GetObjectItem(cJSON_GetObjectItem(plan, "case"), "phantom");
  assert_true(cJSON_IsObject(truth));
  return truth;
}

static const cJSON *object_at(const cJSON *o, const char *a, const char *b)
{
  const cJSON *item = cJSON_GetObjectItem(cJSON_GetObjectItem(o, a), b);
  if (!item)
    fail_msg("no %s.%s in the ground truth", a, b);
  return item;
}

static double number_of(const cJSON *o, const char *key)
{
  const cJSON *item = cJSON_GetObjectItem(o, key);
  if (!cJSON_IsNumber(item))
    fail_msg("%s is not a number", key);
  return item->valuedouble;
}

static bool same_bytes(const char *stem_a, const char *stem_b, const char *suffix)
{
  char *a = case_file(stem_a, suffix), *b = case_file(stem_b, suffix);
  size_t size_a = 0, size_b = 0;
  char *data_a = vp_test_read_file(a, &size_a), *data_b = vp_test_read_file(b, &size_b);
  assert_non_null(data_a);
  assert_non_null(data_b);
  bool same = size_a == size_b && memcmp(data_a, data_b, size_a) == 0;
  free(data_a), free(data_b), free(a), free(b);
  return same;
}

/* A breach site of measured.breach_sites, or NULL. */
static const cJSON *breach_site(const cJSON *truth, const char *site)
{
  const cJSON *item;
  cJSON_ArrayForEach(item, object_at(truth, "measured", "breach_sites"))
  {
    if (strcmp(string_of(item, "site"), site) == 0)
      return item;
  }
  return NULL;
}

static void phantom_help_lists_the_options(void **state)
{
  static const char *const options[] = {
      "--level LEVEL", "--fracture SHAPE:GRADE", "--cleft", "--endplate-break SIDE",
      "--retropulsion MM", "--osteoporotic", "--lesion KIND:X,Y,Z,R", "--set NAME=VALUE",
      "--seed N", "-o FILE", "T1-T12 or L1-L5",
  };
  CliRun run = run_cli("phantom", "--help", NULL);
  assert_int_equal(run.status, 0);
  assert_string_equal(run.err, "");
  for (size_t i = 0; i < sizeof options / sizeof options[0]; i++)
    if (!strstr(run.out, options[i]))
      fail_msg("'%s' is not in the help", options[i]);
  cli_run_clear(&run);
}

static void phantom_writes_the_case_files(void **state)
{
  static const char *const suffixes[] = {".vplan", ".stl", "_ct.nii.gz", "_seg-vert_msk.nii.gz",
                                         "_parts.nii.gz"};
  char *plan = case_file("p", ".vplan");
  CliRun run = run_phantom(plan, "--level", "L1", NULL);
  assert_int_equal(run.status, 0);
  assert_string_equal(run.err, "");
  assert_true(strncmp(run.out, "Wrote ", 6) == 0);
  assert_non_null(strstr(run.out, "p.vplan: L1 phantom"));
  cli_run_clear(&run);
  for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
    char *path = case_file("p", suffixes[i]);
    if (access(path, F_OK) != 0)
      fail_msg("%s was not written", path);
    free(path);
  }
  free(plan);
}

static void phantom_plan_is_read_back_by_inspect(void **state)
{
  static const char *const roles[] = {"surface", "ct", "mask"};
  generate("back", "--level", "L1", NULL);
  char *plan = case_file("back", ".vplan");
  cJSON *json = inspect_json(plan, "--json", NULL);
  assert_string_equal(string_of(json, "kind"), "plan");
  assert_string_equal(string_of(json, "level"), "L1");
  assert_int_equal(cJSON_GetObjectItem(json, "label")->valueint, 20);
  cJSON *sources = cJSON_GetObjectItem(json, "sources");
  assert_int_equal(cJSON_GetArraySize(sources), 3);
  for (int i = 0; i < 3; i++) {
    assert_string_equal(string_of(cJSON_GetArrayItem(sources, i), "role"), roles[i]);
    assert_string_equal(string_of(cJSON_GetArrayItem(sources, i), "state"), "found");
  }
  cJSON *surface = cJSON_GetObjectItem(json, "surface");
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(surface, "watertight")));
  assert_int_equal(cJSON_GetObjectItem(surface, "components")->valueint, 1);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(json, "warnings")), 0);
  cJSON_Delete(json);
  free(plan);
}

static void phantom_mask_holds_only_the_level_label(void **state)
{
  generate("labels", "--level", "L4", NULL);
  char *mask = case_file("labels", "_seg-vert_msk.nii.gz");
  cJSON *json = inspect_json(mask, "--json", NULL);
  assert_string_equal(string_of(json, "kind"), "mask");
  cJSON *labels = cJSON_GetObjectItem(json, "labels");
  assert_int_equal(cJSON_GetArraySize(labels), 1);
  assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(labels, 0), "label")->valueint, 23);
  assert_string_equal(string_of(cJSON_GetArrayItem(labels, 0), "level"), "L4");
  cJSON_Delete(json);
  free(mask);
}

static void phantom_without_pathology_records_none(void **state)
{
  generate("healthy", "--level", "L1", NULL);
  cJSON *plan = load_plan("healthy");
  const cJSON *truth = truth_of(plan);
  assert_string_equal(string_of(truth, "level"), "L1");
  assert_int_equal(cJSON_GetObjectItem(truth, "label")->valueint, 20);
  assert_true(cJSON_IsNull(object_at(truth, "pathology", "fracture")));
  assert_true(cJSON_IsFalse(object_at(truth, "pathology", "cleft")));
  assert_true(cJSON_IsFalse(object_at(truth, "pathology", "osteoporotic")));
  assert_string_equal(object_at(truth, "pathology", "endplate_break")->valuestring, "none");
  assert_int_equal(cJSON_GetArraySize(object_at(truth, "pathology", "lesions")), 0);
  assert_int_equal(cJSON_GetArraySize(object_at(truth, "measured", "breach_sites")), 0);
  cJSON_Delete(plan);
}

static void phantom_same_seed_gives_the_same_files(void **state)
{
  generate("same-a", "--level", "L2", "--seed", "7", NULL);
  generate("same-b", "--level", "L2", "--seed", "7", NULL);
  assert_true(same_bytes("same-a", "same-b", ".stl"));
  assert_true(same_bytes("same-a", "same-b", "_seg-vert_msk.nii.gz"));
  assert_true(same_bytes("same-a", "same-b", "_ct.nii.gz"));
}

static void phantom_seed_changes_only_the_ct(void **state)
{
  generate("seed-a", "--level", "L2", "--seed", "7", NULL);
  generate("seed-b", "--level", "L2", "--seed", "8", NULL);
  assert_false(same_bytes("seed-a", "seed-b", "_ct.nii.gz"));
  assert_true(same_bytes("seed-a", "seed-b", "_seg-vert_msk.nii.gz"));
  assert_true(same_bytes("seed-a", "seed-b", ".stl"));
}

static void phantom_records_the_fracture(void **state)
{
  generate("wedge", "--level", "L1", "--fracture", "wedge:2", NULL);
  cJSON *plan = load_plan("wedge");
  const cJSON *truth = truth_of(plan);
  const cJSON *fracture = object_at(truth, "pathology", "fracture");
  assert_string_equal(string_of(fracture, "shape"), "wedge");
  assert_int_equal(cJSON_GetObjectItem(fracture, "genant_grade")->valueint, 2);
  double loss = number_of(fracture, "height_loss_percent");
  assert_true(loss > 25.0 && loss <= 40.0); /* Genant grade 2 */
  assert_int_equal(object_at(truth, "measured", "genant_grade")->valueint, 2);
  const cJSON *front = cJSON_GetObjectItem(object_at(truth, "measured", "heights"), "anterior");
  assert_non_null(front);
  assert_true(number_of(front, "height_mm") < 0.8 * number_of(front, "expected_mm"));
  cJSON_Delete(plan);
}

static void phantom_records_the_cleft(void **state)
{
  generate("cleft", "--level", "L1", "--cleft", NULL);
  cJSON *plan = load_plan("cleft");
  const cJSON *truth = truth_of(plan);
  assert_true(cJSON_IsTrue(object_at(truth, "pathology", "cleft")));
  assert_true(object_at(truth, "pathology", "cleft_volume_ml")->valuedouble > 0.1);
  cJSON_Delete(plan);
}

static void phantom_records_the_endplate_break(void **state)
{
  generate("endplate", "--level", "L1", "--endplate-break", "superior", NULL);
  cJSON *plan = load_plan("endplate");
  const cJSON *truth = truth_of(plan);
  assert_string_equal(object_at(truth, "pathology", "endplate_break")->valuestring, "superior");
  assert_true(object_at(truth, "pathology", "endplate_break_area_mm2")->valuedouble > 0.0);
  const cJSON *site = breach_site(truth, "superior");
  assert_non_null(site);
  assert_string_equal(string_of(site, "cause"), "endplate break");
  cJSON_Delete(plan);
}

static void phantom_records_the_retropulsion(void **state)
{
  generate("retro", "--level", "L1", "--retropulsion", "3", NULL);
  cJSON *plan = load_plan("retro");
  const cJSON *truth = truth_of(plan);
  assert_float_equal(object_at(truth, "pathology", "retropulsion_mm")->valuedouble, 3.0, 1e-9);
  double canal = number_of(object_at(truth, "parameters", "canal_depth_mm"), "value");
  double left = number_of(object_at(truth, "measured", "canal"), "depth_mm");
  assert_float_equal(left, canal - 3.0, 0.5);
  cJSON_Delete(plan);
}

static void phantom_records_osteoporosis(void **state)
{
  generate("porotic", "--level", "L1", "--osteoporotic", NULL);
  cJSON *plan = load_plan("porotic");
  const cJSON *truth = truth_of(plan);
  assert_true(cJSON_IsTrue(object_at(truth, "pathology", "osteoporotic")));
  assert_float_equal(object_at(truth, "measured", "trabecular_hu")->valuedouble, 85.0, 1e-9);
  cJSON_Delete(plan);
}

/* The help's example: a lytic lesion 6 mm behind the body's centre, 8 mm in
 * radius, breaking through the posterior wall into the canal. */
static void phantom_records_the_lesion(void **state)
{
  generate("lesion", "--level", "L1", "--lesion", "lytic:0,-6,0,8:breach=posterior", NULL);
  cJSON *plan = load_plan("lesion");
  const cJSON *truth = truth_of(plan);
  const cJSON *lesions = object_at(truth, "pathology", "lesions");
  assert_int_equal(cJSON_GetArraySize(lesions), 1);
  const cJSON *l = cJSON_GetArrayItem(lesions, 0);
  assert_string_equal(string_of(l, "kind"), "lytic");
  const cJSON *center = cJSON_GetObjectItem(l, "center_mm");
  assert_float_equal(number_at(center, 0), 0.0, 1e-9);
  assert_float_equal(number_at(center, 1), -6.0, 1e-9);
  assert_float_equal(number_at(center, 2), 0.0, 1e-9);
  assert_float_equal(number_of(l, "radius_mm"), 8.0, 1e-9);
  assert_true(number_of(l, "volume_ml") > 0.5);
  assert_string_equal(string_of(cJSON_GetObjectItem(l, "breach"), "site"), "posterior");
  const cJSON *site = breach_site(truth, "posterior");
  assert_non_null(site);
  assert_string_equal(string_of(site, "cause"), "lesion");
  assert_true(number_of(site, "area_mm2") > 0.0);
  cJSON_Delete(plan);
}

/* An option is read whole however long it is: cutting it short at a buffer's
 * size would leave a different, valid lesion (here HU 0 instead of 35). */
static void phantom_long_lesion_option_is_read_whole(void **state)
{
  char spec[400];
  int n = snprintf(spec, sizeof spec, "lytic:0,-6,0,8:hu=");
  memset(spec + n, '0', 300);
  snprintf(spec + n + 300, sizeof spec - (size_t)n - 300, "35");
  generate("long", "--level", "L1", "--lesion", spec, NULL);
  cJSON *plan = load_plan("long");
  const cJSON *lesion = cJSON_GetArrayItem(object_at(truth_of(plan), "pathology", "lesions"), 0);
  assert_non_null(lesion);
  assert_float_equal(number_of(lesion, "hu"), 35.0, 1e-9);
  cJSON_Delete(plan);
}

static void phantom_summary_names_every_pathology(void **state)
{
  char *plan = case_file("summary", ".vplan");
  CliRun run = run_phantom(plan, "--level", "L1", "--fracture", "wedge:2", "--cleft",
                           "--endplate-break", "superior", "--retropulsion", "3",
                           "--osteoporotic", "--lesion", "lytic:0,-6,0,8:breach=posterior", NULL);
  assert_int_equal(run.status, 0);
  static const char *const lines[] = {
      "wedge fracture: height loss 32.5 %, Genant grade 2",
      "cleft: ",
      "superior endplate broken: ",
      "retropulsion: 3.0 mm",
      "trabecular bone 85 HU",
      "lytic lesion 1: ",
      ", breaching the posterior wall",
  };
  for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
    if (!strstr(run.out, lines[i]))
      fail_msg("'%s' is not in the summary:\n%s", lines[i], run.out);
  cli_run_clear(&run);
  free(plan);
}

/* One line on stderr with the given exit status, and nothing written. */
static void check_phantom_refused(int status, const char *part, const char *first, ...)
{
  const char *extra[MAX_CLI_ARGS + 1];
  va_list more;
  va_start(more, first);
  bool fits = collect_args(extra, 0, first, more);
  va_end(more);
  assert_true(fits);
  char *plan = case_file("refused", ".vplan"), *stl = case_file("refused", ".stl");
  CliRun run = run_phantom_args(plan, extra);
  assert_one_error_line(&run, status, part);
  assert_true(access(plan, F_OK) != 0);
  assert_true(access(stl, F_OK) != 0);
  cli_run_clear(&run);
  free(plan), free(stl);
}

static void phantom_unknown_level_is_a_usage_error(void **state)
{
  check_phantom_refused(2, "\"L9\" is not a level", "--level", "L9", NULL);
}

static void phantom_negative_lesion_radius_is_refused(void **state)
{
  check_phantom_refused(1, "the radius must lie between", "--level", "L1", "--lesion",
                        "lytic:0,0,0,-3", NULL);
}

static void phantom_lesion_outside_the_vertebra_is_refused(void **state)
{
  check_phantom_refused(1, "lies outside the vertebra", "--level", "L1", "--lesion",
                        "lytic:0,80,0,5", NULL);
}

/* L1's body is 41.2 mm wide (Panjabi 1992): a 30 mm pedicle cannot fit. */
static void phantom_pedicle_wider_than_the_body_is_refused(void **state)
{
  check_phantom_refused(1, "wider than half the vertebral body", "--level", "L1", "--set",
                        "pedicle_width_mm=30", NULL);
}

static void phantom_unknown_fracture_shape_is_a_usage_error(void **state)
{
  check_phantom_refused(2, "not 'spiral:2'", "--level", "L1", "--fracture", "spiral:2", NULL);
}

static void phantom_genant_grade_4_is_a_usage_error(void **state)
{
  check_phantom_refused(2, "Genant grade of 1, 2 or 3, not 4", "--level", "L1", "--fracture",
                        "wedge:4", NULL);
}

/* 2^32 + 2 must not wrap round to grade 2. */
static void phantom_grade_beyond_int_is_a_usage_error(void **state)
{
  check_phantom_refused(2, "4294967298", "--level", "L1", "--fracture", "wedge:4294967298", NULL);
}

static void phantom_without_output_is_a_usage_error(void **state)
{
  CliRun run = run_cli("phantom", "--level", "L1", NULL);
  assert_one_error_line(&run, 2, "use -o CASE.vplan");
  cli_run_clear(&run);
  run = run_cli("phantom", "--level", "L1", "-o", NULL);
  assert_one_error_line(&run, 2, "-o needs a value");
  cli_run_clear(&run);
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

/* Adds a distance and an angle to a plan file's JSON, as the application saves them. */
static void add_measurements_to_plan_file(const char *plan)
{
  char *text = vp_test_read_file(plan, NULL);
  cJSON *root = cJSON_Parse(text);
  assert_non_null(root);
  cJSON *list = cJSON_Parse("[{\"kind\": \"distance\", \"points_mm\": [[1, 2, 3], [4, 6, 15]]},"
                            " {\"kind\": \"angle\", \"points_mm\": [[10, 0, 0], [0, 0, 0], [0, 10, 0]]}]");
  cJSON_AddItemToObject(root, "measurements", list);
  char *printed = cJSON_Print(root);
  vp_test_write_text(plan, printed);
  cJSON_free(printed);
  cJSON_Delete(root);
  free(text);
}

static void plan_measurements_are_inspected_with_values(void **state)
{
  char *mask = write_mask("measured_msk.nii.gz");
  char *plan = vp_test_tmp_path("measured.vplan");
  CliRun run = run_cli("case", "--mask", mask, "--level", "L1", "-o", plan, NULL);
  assert_int_equal(run.status, 0);
  cli_run_clear(&run);
  add_measurements_to_plan_file(plan);
  run = run_cli("inspect", plan, "--json", NULL);
  assert_int_equal(run.status, 0);
  cJSON *json = json_of(&run);
  cJSON *list = cJSON_GetObjectItem(json, "measurements");
  assert_int_equal(cJSON_GetArraySize(list), 2);
  cJSON *distance = cJSON_GetArrayItem(list, 0), *angle = cJSON_GetArrayItem(list, 1);
  assert_string_equal(string_of(distance, "kind"), "distance");
  assert_float_equal(number_of(distance, "value"), 13.0, 1e-9);
  cJSON *ends = cJSON_GetObjectItem(distance, "points_mm");
  assert_int_equal(cJSON_GetArraySize(ends), 2);
  assert_float_equal(cJSON_GetArrayItem(cJSON_GetArrayItem(ends, 1), 2)->valuedouble, 15.0, 0);
  assert_string_equal(string_of(angle, "kind"), "angle");
  assert_float_equal(number_of(angle, "value"), 90.0, 1e-9);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(angle, "points_mm")), 3);
  cJSON_Delete(json);
  cli_run_clear(&run);
  free(mask), free(plan);
}

/* ---- anatomy in inspect ---- */

static const cJSON *path_item(const cJSON *o, const char *path)
{
  char key[64];
  const cJSON *item = o;
  for (const char *p = path; item && *p;) {
    const char *dot = strchr(p, '.');
    size_t n = dot ? (size_t)(dot - p) : strlen(p);
    snprintf(key, sizeof key, "%.*s", (int)n, p);
    item = cJSON_GetObjectItem(item, key);
    p += n + (dot != NULL);
  }
  if (!item)
    fail_msg("no %s in the output", path);
  return item;
}

static double path_number(const cJSON *o, const char *path)
{
  const cJSON *item = path_item(o, path);
  if (!cJSON_IsNumber(item))
    fail_msg("%s is not a number", path);
  return item->valuedouble;
}

/* A list of three numbers. */
static void path_vec(const cJSON *o, const char *path, double out[3])
{
  const cJSON *item = path_item(o, path);
  if (!cJSON_IsArray(item) || cJSON_GetArraySize(item) != 3)
    fail_msg("%s is not a list of three numbers", path);
  for (int i = 0; i < 3; i++)
    out[i] = cJSON_GetArrayItem(item, i)->valuedouble;
}

static double vec_dot(const double a[3], const double b[3])
{
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

static double vec_angle_deg(const double a[3], const double b[3])
{
  double c = vec_dot(a, b) / sqrt(vec_dot(a, a) * vec_dot(b, b));
  return acos(c > 1 ? 1 : c < -1 ? -1 : c) * 180.0 / 3.14159265358979323846;
}

static void cube_inspect_says_why_there_is_no_anatomy(void **state)
{
  char *path = write_cube_stl("anatomy-cube.stl", 20.0f, 12);
  cJSON *json = inspect_json(path, "--json", NULL);
  assert_true(cJSON_IsNull(cJSON_GetObjectItem(json, "anatomy")));
  const char *why = string_of(json, "anatomy_error");
  assert_true(strlen(why) > 0);
  assert_true(fabs(path_number(json, "volume_ml") - 8.0) < 1e-6); /* the rest is still there */
  cJSON_Delete(json);
  CliRun run = run_cli("inspect", path, NULL);
  assert_int_equal(run.status, 0);
  assert_non_null(strstr(run.out, "Anatomy:       not available: "));
  assert_non_null(strstr(run.out, "Volume:"));
  cli_run_clear(&run);
  free(path);
}

static void phantom_plan_inspect_gives_the_anatomy(void **state)
{
  static const char *const numbers[] = {
      "body_volume_ml", "body_height_mm.anterior", "body_height_mm.middle",
      "body_height_mm.posterior", "endplate_mm.width", "endplate_mm.depth",
      "pedicles.left.width_mm", "pedicles.left.height_mm", "pedicles.left.transverse_angle_deg",
      "pedicles.left.sagittal_angle_deg", "pedicles.right.width_mm", "pedicles.right.height_mm",
      "pedicles.right.transverse_angle_deg", "pedicles.right.sagittal_angle_deg",
      "canal.width_mm", "canal.depth_mm", "canal.area_mm2", "genant.grade", "trabecular_hu"};
  static const char *const points[] = {"frame.origin_mm", "frame.superior", "frame.anterior",
                                       "frame.left", "pedicles.left.isthmus_mm",
                                       "pedicles.right.isthmus_mm", "canal.centroid_mm"};
  /* At 1 mm: the 2 mm grid of the other phantom tests is coarse for a pedicle. */
  generate("anat", "--level", "L3", "--set", "spacing_mm=1", "--set", "surface_spacing_mm=1",
           NULL);
  char *plan = case_file("anat", ".vplan");
  cJSON *json = inspect_json(plan, "--json", NULL);
  const cJSON *a = cJSON_GetObjectItem(json, "anatomy");
  if (!cJSON_IsObject(a))
    fail_msg("no anatomy: %s", cJSON_GetStringValue(cJSON_GetObjectItem(json, "anatomy_error")));
  for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++)
    assert_true(isfinite(path_number(a, numbers[i])));
  double v[3];
  for (size_t i = 0; i < sizeof points / sizeof points[0]; i++)
    path_vec(a, points[i], v);
  assert_string_equal(cJSON_GetStringValue(path_item(a, "genant.shape")), "none");
  assert_int_equal((int)path_number(a, "genant.grade"), 0);
  /* The phantom's frame is the world's: anterior +y, superior +z, left -x. */
  static const double anterior[3] = {0, 1, 0}, superior[3] = {0, 0, 1}, left[3] = {-1, 0, 0};
  double ant[3], sup[3], lft[3];
  path_vec(a, "frame.anterior", ant);
  path_vec(a, "frame.superior", sup);
  path_vec(a, "frame.left", lft);
  assert_true(fabs(vec_dot(ant, ant) - 1) < 1e-3 && fabs(vec_dot(ant, sup)) < 1e-3 &&
              fabs(vec_dot(lft, sup)) < 1e-3);
  printf("L3 phantom frame: anterior %.2f, superior %.2f, left %.2f degrees off\n",
         vec_angle_deg(ant, anterior), vec_angle_deg(sup, superior), vec_angle_deg(lft, left));
  assert_true(vec_angle_deg(ant, anterior) < 5 && vec_angle_deg(sup, superior) < 5 &&
              vec_angle_deg(lft, left) < 5);
  assert_false(cJSON_IsTrue(path_item(a, "frame_adjusted")));
  cJSON_Delete(json);

  CliRun run = run_cli("inspect", plan, NULL);
  assert_int_equal(run.status, 0);
  static const char *const text[] = {"Anatomy:", "Body", " mL", "Left pedicle", "Right pedicle",
                                     " degrees", "Canal", " mm²", "Genant", " HU"};
  for (size_t i = 0; i < sizeof text / sizeof text[0]; i++)
    if (!strstr(run.out, text[i]))
      fail_msg("'%s' is not in the text:\n%s", text[i], run.out);
  cli_run_clear(&run);
  free(plan);
}

/* Writes STEM_adj.vplan beside STEM.vplan with the frame correction added. */
static char *plan_with_adjustment(const char *stem, const char *adjustment)
{
  cJSON *plan = load_plan(stem);
  cJSON *anatomy = cJSON_Parse(adjustment);
  assert_non_null(anatomy);
  cJSON_AddItemToObject(plan, "anatomy", anatomy);
  char *text = cJSON_Print(plan);
  char name[64];
  snprintf(name, sizeof name, "%s_adj", stem);
  char *path = case_file(name, ".vplan");
  vp_test_write_text(path, text);
  free(text);
  cJSON_Delete(plan);
  return path;
}

static void plan_frame_adjustment_is_applied_by_inspect(void **state)
{
  generate("turn", "--level", "L2", NULL);
  char *plan = case_file("turn", ".vplan");
  char *adjusted = plan_with_adjustment(
      "turn", "{\"frame_adjustment\": {\"rotation_deg\": [0, 0, 10], \"offset_mm\": [0, 2, 0]}}");
  cJSON *before = inspect_json(plan, "--json", NULL);
  cJSON *after = inspect_json(adjusted, "--json", NULL);
  const cJSON *a0 = cJSON_GetObjectItem(before, "anatomy"), *a1 = cJSON_GetObjectItem(after, "anatomy");
  if (!cJSON_IsObject(a0) || !cJSON_IsObject(a1))
    fail_msg("no anatomy: %s", cJSON_GetStringValue(cJSON_GetObjectItem(before, "anatomy_error")));
  assert_true(cJSON_IsTrue(path_item(a1, "frame_adjusted")));
  double ant0[3], ant1[3], sup0[3], sup1[3], o0[3], o1[3];
  path_vec(a0, "frame.anterior", ant0);
  path_vec(a1, "frame.anterior", ant1);
  path_vec(a0, "frame.superior", sup0);
  path_vec(a1, "frame.superior", sup1);
  path_vec(a0, "frame.origin_mm", o0);
  path_vec(a1, "frame.origin_mm", o1);
  /* 10 degrees about superior turns anterior by 10 degrees and leaves superior. */
  assert_true(fabs(vec_angle_deg(ant0, ant1) - 10.0) < 0.05);
  assert_true(vec_angle_deg(sup0, sup1) < 0.05);
  /* 2 mm along the automatic anterior axis. */
  double moved[3] = {o1[0] - o0[0], o1[1] - o0[1], o1[2] - o0[2]};
  assert_true(fabs(sqrt(vec_dot(moved, moved)) - 2.0) < 0.01);
  assert_true(fabs(vec_dot(moved, ant0) - 2.0) < 0.01);
  cJSON_Delete(before);
  cJSON_Delete(after);
  CliRun run = run_cli("inspect", adjusted, NULL);
  assert_non_null(strstr(run.out, "adjusted in the plan"));
  cli_run_clear(&run);
  free(adjusted);
  free(plan);
}

static void plan_with_missing_files_says_why_there_is_no_anatomy(void **state)
{
  generate("lost", "--level", "L1", NULL);
  char *plan = case_file("lost", ".vplan"), *stl = case_file("lost", ".stl");
  assert_int_equal(unlink(stl), 0);
  cJSON *json = inspect_json(plan, "--json", NULL);
  assert_true(cJSON_IsNull(cJSON_GetObjectItem(json, "anatomy")));
  assert_non_null(strstr(string_of(json, "anatomy_error"), "missing"));
  cJSON_Delete(json);
  free(stl);
  free(plan);
}

static void verse_l3_with_its_ct_gives_the_anatomy_and_hu(void **state)
{
  char *mask = vp_test_shared_file("verse/sub-verse005_seg-vert_msk.nii.gz");
  char *ct = vp_test_shared_file("verse/sub-verse005_ct.nii.gz");
  cJSON *json = inspect_json(mask, "--level", "L3", "--ct", ct, "--json", NULL);
  const cJSON *a = cJSON_GetObjectItem(json, "anatomy");
  if (!cJSON_IsObject(a))
    fail_msg("no anatomy: %s", cJSON_GetStringValue(cJSON_GetObjectItem(json, "anatomy_error")));
  double hu = cJSON_GetObjectItem(a, "trabecular_hu")->valuedouble;
  double body = cJSON_GetObjectItem(a, "body_volume_ml")->valuedouble;
  const char *density = cJSON_GetStringValue(cJSON_GetObjectItem(a, "bone_density"));
  printf("005 L3: body %.1f mL, trabecular %.0f HU (%s)\n", body, hu, density ? density : "?");
  /* Cancellous bone of an adult lumbar body: well above fat and water, below cortex. */
  assert_true(hu > 50 && hu < 400);
  assert_non_null(density);
  assert_true(body > 0.45 * 64.1 && body < 0.70 * 64.1);
  cJSON_Delete(json);
  free(ct);
  free(mask);
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
        cmocka_unit_test(verse_l3_with_its_ct_gives_the_anatomy_and_hu),
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
      cmocka_unit_test(phantom_help_lists_the_options),
      cmocka_unit_test(phantom_writes_the_case_files),
      cmocka_unit_test(phantom_plan_is_read_back_by_inspect),
      cmocka_unit_test(phantom_mask_holds_only_the_level_label),
      cmocka_unit_test(phantom_without_pathology_records_none),
      cmocka_unit_test(phantom_same_seed_gives_the_same_files),
      cmocka_unit_test(phantom_seed_changes_only_the_ct),
      cmocka_unit_test(phantom_records_the_fracture),
      cmocka_unit_test(phantom_records_the_cleft),
      cmocka_unit_test(phantom_records_the_endplate_break),
      cmocka_unit_test(phantom_records_the_retropulsion),
      cmocka_unit_test(phantom_records_osteoporosis),
      cmocka_unit_test(phantom_records_the_lesion),
      cmocka_unit_test(phantom_long_lesion_option_is_read_whole),
      cmocka_unit_test(phantom_summary_names_every_pathology),
      cmocka_unit_test(phantom_unknown_level_is_a_usage_error),
      cmocka_unit_test(phantom_negative_lesion_radius_is_refused),
      cmocka_unit_test(phantom_lesion_outside_the_vertebra_is_refused),
      cmocka_unit_test(phantom_pedicle_wider_than_the_body_is_refused),
      cmocka_unit_test(phantom_unknown_fracture_shape_is_a_usage_error),
      cmocka_unit_test(phantom_genant_grade_4_is_a_usage_error),
      cmocka_unit_test(phantom_grade_beyond_int_is_a_usage_error),
      cmocka_unit_test(phantom_without_output_is_a_usage_error),
      cmocka_unit_test(plan_measurements_are_inspected_with_values),
      cmocka_unit_test(cube_inspect_says_why_there_is_no_anatomy),
      cmocka_unit_test(phantom_plan_inspect_gives_the_anatomy),
      cmocka_unit_test(plan_frame_adjustment_is_applied_by_inspect),
      cmocka_unit_test(plan_with_missing_files_says_why_there_is_no_anatomy),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
