/* Helpers shared by the test suites. */
#include "vp-test-util.h"

#include <errno.h>
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
