/* Helpers shared by the test suites: real-data lookup with meson's skip
 * code, temporary files, and artifacts kept under the build directory. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Exit code meson counts as "skipped". */
#define VP_TEST_SKIP 77

/* Path of a file under ../shared/data (VP_SHARED_DIR), malloc'ed, or NULL
 * when the shared data is not beside the checkout. */
char *vp_test_shared_file(const char *relative_path);
/* Prints why a suite is skipped and returns VP_TEST_SKIP, for main(). */
int vp_test_skip(const char *suite, const char *why);

/* A fresh directory for this test process, removed by nobody: it lives under
 * the build tree's tests/tmp. Returns a static buffer. */
const char *vp_test_tmpdir(void);
/* tmpdir/name, malloc'ed. */
char *vp_test_tmp_path(const char *name);
/* Directory for files a human should look at after the run (screenshots):
 * build/tests/artifacts. Created on demand; returns a static buffer. */
const char *vp_test_artifacts_dir(void);
char *vp_test_artifact_path(const char *name);

bool vp_test_write_file(const char *path, const void *data, size_t size);
/* Reads a whole file; malloc'ed, NUL-terminated beyond *size. */
void *vp_test_read_file(const char *path, size_t *size);
