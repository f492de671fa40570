/* The command-line tool run as a separate process, exactly as a user runs it:
 * exit codes, standard output and standard error. With --verse, the checks
 * on the real VerSe meshes (suite "data", skipped when ../shared is absent). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "vp-test-util.h"

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

/* Runs the CLI with up to 8 arguments, capturing both streams in files. */
static CliRun run_cli(const char *first, ...)
{
  const char *argv[10] = {cli_path};
  int argc = 1;
  va_list args;
  va_start(args, first);
  for (const char *a = first; a && argc < 9; a = va_arg(args, const char *))
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

/* A binary STL of an axis-aligned cube of the given edge (mm), outward faces. */
static char *write_cube_stl(const char *name, float edge, uint32_t keep_triangles)
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
      for (int k = 0; k < 3; k++)
        for (int axis = 0; axis < 3; axis++)
          put_f32(tri + 12 + 12 * k + 4 * axis, (corners[t][k] >> axis & 1) ? edge : 0.0f);
  }
  char *path = vp_test_tmp_path(name);
  assert_true(vp_test_write_file(path, data, 84 + (size_t)keep_triangles * 50));
  return path;
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
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
