/* Helpers shared by the test suites: real-data lookup with meson's skip
 * code, temporary files, and artifacts kept under the build directory. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* Test fixtures below stop the test process (abort) when they cannot do their
 * job: that is a broken set-up, not a finding. */

/* dir/name, malloc'ed. */
char *vp_test_join(const char *dir, const char *name);
/* A fresh, empty folder tmpdir/name, malloc'ed. */
char *vp_test_fresh_dir(const char *name);
/* Writes text (without its NUL) to path. */
void vp_test_write_text(const char *path, const char *text);
/* Switches LC_ALL to an installed locale whose decimal separator is a comma
 * and returns its name; NULL (and the "C" locale) when none is installed. */
const char *vp_test_set_comma_locale(void);
/* A binary STL of the axis-aligned cube [0, edge]^3 (mm): 12 triangles facing
 * outward, or inward when inside_out. Only the first keep_triangles are
 * written, after a header that still says 12, so fewer makes a truncated file. */
void vp_test_write_cube_stl(const char *path, float edge, uint32_t keep_triangles,
                            bool inside_out);
