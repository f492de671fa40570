/* Helpers shared by the test suites. */
#include "vp-test-util.h"

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *join_path(const char *dir, const char *name)
{
  size_t n = strlen(dir) + strlen(name) + 2;
  char *path = malloc(n);
  if (path)
    snprintf(path, n, "%s/%s", dir, name);
  return path;
}

static bool is_file(const char *path)
{
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

char *vp_test_shared_file(const char *relative_path)
{
  const char *shared = getenv("VP_SHARED_DIR");
  if (!shared || !*shared)
    return NULL;
  char *data_dir = join_path(shared, "data");
  char *path = data_dir ? join_path(data_dir, relative_path) : NULL;
  free(data_dir);
  if (path && !is_file(path)) {
    free(path);
    path = NULL;
  }
  return path;
}

int vp_test_skip(const char *suite, const char *why)
{
  printf("SKIP %s: %s\n", suite, why);
  fflush(stdout);
  return VP_TEST_SKIP;
}

static void make_dirs(const char *path)
{
  char buf[4096];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *p = buf + 1; *p; p++) {
    if (*p == '/') {
      *p = '\0';
      mkdir(buf, 0755);
      *p = '/';
    }
  }
  mkdir(buf, 0755);
}

static const char *build_tests_dir(void)
{
  const char *dir = getenv("VP_TEST_BUILD_DIR");
  return (dir && *dir) ? dir : ".";
}

const char *vp_test_tmpdir(void)
{
  static char dir[4096];
  if (dir[0])
    return dir;
  char parent[4000];
  snprintf(parent, sizeof parent, "%s/tmp", build_tests_dir());
  make_dirs(parent);
  snprintf(dir, sizeof dir, "%s/run-XXXXXX", parent);
  if (!mkdtemp(dir)) {
    fprintf(stderr, "cannot create a temporary directory in %s: %s\n", parent, strerror(errno));
    exit(1);
  }
  return dir;
}

char *vp_test_tmp_path(const char *name)
{
  return join_path(vp_test_tmpdir(), name);
}

const char *vp_test_artifacts_dir(void)
{
  static char dir[4096];
  if (!dir[0]) {
    snprintf(dir, sizeof dir, "%s/artifacts", build_tests_dir());
    make_dirs(dir);
  }
  return dir;
}

char *vp_test_artifact_path(const char *name)
{
  return join_path(vp_test_artifacts_dir(), name);
}

bool vp_test_write_file(const char *path, const void *data, size_t size)
{
  FILE *f = fopen(path, "wb");
  if (!f)
    return false;
  bool ok = fwrite(data, 1, size, f) == size;
  return fclose(f) == 0 && ok;
}

void *vp_test_read_file(const char *path, size_t *size)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *data = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (data && fread(data, 1, (size_t)n, f) != (size_t)n) {
    free(data);
    data = NULL;
  }
  fclose(f);
  if (data) {
    data[n] = '\0';
    if (size)
      *size = (size_t)n;
  }
  return data;
}

static void fixture_failed(const char *what, const char *detail)
{
  fprintf(stderr, "test fixture: %s %s: %s\n", what, detail, strerror(errno));
  abort();
}

char *vp_test_join(const char *dir, const char *name)
{
  char *path = join_path(dir, name);
  if (!path)
    fixture_failed("out of memory joining", name);
  return path;
}

char *vp_test_fresh_dir(const char *name)
{
  char *dir = vp_test_join(vp_test_tmpdir(), name);
  if (mkdir(dir, 0755) != 0)
    fixture_failed("cannot create the folder", dir);
  return dir;
}

void vp_test_write_text(const char *path, const char *text)
{
  if (!vp_test_write_file(path, text, strlen(text)))
    fixture_failed("cannot write", path);
}

const char *vp_test_set_comma_locale(void)
{
  static const char *const names[] = {"de_DE.UTF-8", "de_DE.utf8",  "de_DE",       "fr_FR.UTF-8",
                                      "fr_FR.utf8",  "nl_NL.UTF-8", "es_ES.UTF-8", "ru_RU.UTF-8"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (setlocale(LC_ALL, names[i]) && strcmp(localeconv()->decimal_point, ",") == 0)
      return names[i];
  setlocale(LC_ALL, "C");
  return NULL;
}

static void put_u32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static void put_f32(unsigned char *p, float v) { memcpy(p, &v, 4); }

void vp_test_write_cube_stl(const char *path, float edge, uint32_t keep_triangles,
                            bool inside_out)
{
  /* Corner c has bit 0, 1, 2 set for +x, +y, +z; each quad runs counter-
   * clockwise seen from outside. */
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
  if (keep_triangles > 12)
    keep_triangles = 12;
  if (!vp_test_write_file(path, data, 84 + (size_t)keep_triangles * 50))
    fixture_failed("cannot write", path);
}
