/* The plan document: SHA-256 against the NIST vectors, atomic file writing,
 * and .vplan saving, loading, checking of source files and refusal of bad input. */
#include <dirent.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "vp-document.h"
#include "vp-plan.h"
#include "vp-sha256.h"
#include "vp-test-util.h"

/* ---- helpers ---- */

static char *read_text(const char *path)
{
  char *text = vp_test_read_file(path, NULL);
  assert_non_null(text);
  return text;
}

/* Entries of a folder other than "." and "..", so leftovers are seen. */
static int count_entries(const char *dir)
{
  DIR *d = opendir(dir);
  assert_non_null(d);
  int n = 0;
  for (struct dirent *e; (e = readdir(d));)
    n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
  closedir(d);
  return n;
}

static void assert_contains(const char *text, const char *part)
{
  if (!strstr(text, part))
    fail_msg("\"%s\" does not contain \"%s\"", text, part);
}

static VpPlan *plan_from_json_ok(const char *text)
{
  VpError err = {0};
  VpPlan *plan = vp_plan_from_json(text, "/cases/a", &err);
  if (!plan)
    fail_msg("refused: %s", err.message);
  return plan;
}

/* Refuses text; returns the message (static buffer). */
static const char *plan_from_json_error(const char *text)
{
  static VpError err;
  vp_error_clear(&err);
  VpPlan *plan = vp_plan_from_json(text, "/cases/a", &err);
  assert_null(plan);
  assert_int_not_equal(err.code, VP_OK);
  return err.message;
}

/* ---- SHA-256: FIPS 180-4 examples and the NIST test vectors ---- */

static void assert_sha256(const void *data, size_t size, const char *expected)
{
  uint8_t digest[VP_SHA256_DIGEST_SIZE];
  char hex[VP_SHA256_HEX_SIZE];
  vp_sha256_buffer(data, size, digest);
  vp_sha256_hex(digest, hex);
  assert_string_equal(hex, expected);
}

static void test_sha256_abc(void **state)
{
  assert_sha256("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_sha256_empty_string(void **state)
{
  assert_sha256("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_sha256_448_bit_message(void **state)
{
  const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  assert_sha256(m, strlen(m), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_sha256_one_million_a_streamed(void **state)
{
  char a[1000];
  memset(a, 'a', sizeof a);
  VpSha256 ctx;
  vp_sha256_init(&ctx);
  for (int i = 0; i < 1000; i++)
    vp_sha256_update(&ctx, a, sizeof a);
  uint8_t digest[VP_SHA256_DIGEST_SIZE];
  char hex[VP_SHA256_HEX_SIZE];
  vp_sha256_final(&ctx, digest);
  vp_sha256_hex(digest, hex);
  assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Deterministic bytes that exercise every block boundary. */
static uint8_t *pseudo_random_bytes(size_t n)
{
  uint8_t *data = malloc(n);
  assert_non_null(data);
  uint32_t x = 2463534242u;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    data[i] = (uint8_t)x;
  }
  return data;
}

static void test_sha256_uneven_pieces_equal_one_shot(void **state)
{
  enum { N = 1000 };
  uint8_t *data = pseudo_random_bytes(N);
  uint8_t whole[VP_SHA256_DIGEST_SIZE], pieces[VP_SHA256_DIGEST_SIZE];
  vp_sha256_buffer(data, N, whole);
  VpSha256 ctx;
  vp_sha256_init(&ctx);
  for (size_t at = 0, step = 1; at < N; at += step, step = step * 7 % 130 + 1)
    vp_sha256_update(&ctx, data + at, at + step > N ? N - at : step);
  vp_sha256_final(&ctx, pieces);
  assert_memory_equal(whole, pieces, sizeof whole);
  free(data);
}

static void test_sha256_file_equals_buffer(void **state)
{
  enum { N = 700 * 1024 + 13 }; /* several read chunks and a partial block */
  uint8_t *data = pseudo_random_bytes(N);
  char *path = vp_test_tmp_path("hash-me.bin");
  assert_true(vp_test_write_file(path, data, N));
  uint8_t from_file[VP_SHA256_DIGEST_SIZE], from_buffer[VP_SHA256_DIGEST_SIZE];
  uint64_t size = 0;
  VpError err = {0};
  assert_true(vp_sha256_file(path, from_file, &size, &err));
  vp_sha256_buffer(data, N, from_buffer);
  assert_memory_equal(from_file, from_buffer, sizeof from_file);
  assert_int_equal(size, N);
  free(path);
  free(data);
}

static void test_sha256_file_missing_names_the_file(void **state)
{
  char *path = vp_test_tmp_path("no-such-file.bin");
  uint8_t digest[VP_SHA256_DIGEST_SIZE];
  VpError err = {0};
  assert_false(vp_sha256_file(path, digest, NULL, &err));
  assert_int_equal(err.code, VP_ERR_IO);
  assert_contains(err.message, path);
  assert_contains(err.message, "No such file");
  free(path);
}

/* ---- atomic writing ---- */

static void test_atomic_write_creates_file(void **state)
{
  char *dir = vp_test_fresh_dir("atomic-create");
  char *path = vp_test_join(dir, "plan.vplan");
  VpError err = {0};
  assert_true(vp_file_write_atomic(path, "hello", 5, &err));
  char *text = read_text(path);
  assert_string_equal(text, "hello");
  assert_int_equal(count_entries(dir), 1); /* no temporary file left */
  free(text);
  free(path);
  free(dir);
}

static void test_atomic_write_replaces_existing_file(void **state)
{
  char *dir = vp_test_fresh_dir("atomic-replace");
  char *path = vp_test_join(dir, "plan.vplan");
  vp_test_write_text(path, "the old, longer content");
  VpError err = {0};
  assert_true(vp_file_write_atomic(path, "new", 3, &err));
  char *text = read_text(path);
  assert_string_equal(text, "new");
  assert_int_equal(count_entries(dir), 1);
  free(text);
  free(path);
  free(dir);
}

static void test_atomic_write_keeps_permissions_of_replaced_file(void **state)
{
  char *dir = vp_test_fresh_dir("atomic-mode");
  char *path = vp_test_join(dir, "plan.vplan");
  vp_test_write_text(path, "old");
  assert_int_equal(chmod(path, 0640), 0);
  VpError err = {0};
  assert_true(vp_file_write_atomic(path, "new", 3, &err));
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0640);
  free(path);
  free(dir);
}

static void test_atomic_write_new_file_follows_umask(void **state)
{
  char *dir = vp_test_fresh_dir("atomic-umask");
  char *path = vp_test_join(dir, "plan.vplan");
  mode_t old_mask = umask(027);
  VpError err = {0};
  bool ok = vp_file_write_atomic(path, "new", 3, &err);
  umask(old_mask);
  assert_true(ok);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0640);
  free(path);
  free(dir);
}

static void test_atomic_write_into_missing_folder_says_so(void **state)
{
  char *dir = vp_test_fresh_dir("atomic-missing");
  char *missing = vp_test_join(dir, "missing");
  char *path = vp_test_join(missing, "plan.vplan");
  VpError err = {0};
  assert_false(vp_file_write_atomic(path, "x", 1, &err));
  assert_int_equal(err.code, VP_ERR_IO);
  assert_contains(err.message, "does not exist");
  assert_contains(err.message, missing);
  assert_int_equal(count_entries(dir), 0);
  free(path);
  free(missing);
  free(dir);
}

static void test_atomic_write_under_a_file_fails_and_keeps_it(void **state)
{
  char *dir = vp_test_fresh_dir("atomic-under-file");
  char *file = vp_test_join(dir, "existing-file");
  vp_test_write_text(file, "keep me");
  char *path = vp_test_join(file, "plan.vplan");
  VpError err = {0};
  assert_false(vp_file_write_atomic(path, "x", 1, &err));
  assert_contains(err.message, "is not a folder");
  char *text = read_text(file);
  assert_string_equal(text, "keep me");
  assert_int_equal(count_entries(dir), 1);
  free(text);
  free(path);
  free(file);
  free(dir);
}

static void test_atomic_write_onto_a_folder_leaves_no_temp_file(void **state)
{
  char *dir = vp_test_fresh_dir("atomic-onto-folder");
  char *target = vp_test_join(dir, "plan.vplan");
  assert_int_equal(mkdir(target, 0755), 0);
  VpError err = {0};
  assert_false(vp_file_write_atomic(target, "x", 1, &err));
  assert_contains(err.message, "a folder of that name is in the way");
  assert_int_equal(count_entries(dir), 1);
  free(target);
  free(dir);
}

/* A write that fails halfway (here: over the file-size limit, which also
 * fails for root, unlike permissions) must not touch the old file. */
static void test_atomic_write_failing_midway_keeps_old_file(void **state)
{
  char *dir = vp_test_fresh_dir("atomic-midway");
  char *path = vp_test_join(dir, "plan.vplan");
  vp_test_write_text(path, "old plan");
  size_t big = 64 * 1024;
  char *data = calloc(1, big);
  assert_non_null(data);
  struct rlimit saved, small;
  assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
  small = saved;
  small.rlim_cur = 4096;
  void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
  assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
  VpError err = {0};
  bool ok = vp_file_write_atomic(path, data, big, &err);
  assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
  signal(SIGXFSZ, old_handler);
  assert_false(ok);
  assert_contains(err.message, "could not save");
  assert_contains(err.message, "File too large");
  char *text = read_text(path);
  assert_string_equal(text, "old plan");
  assert_int_equal(count_entries(dir), 1);
  free(text);
  free(data);
  free(path);
  free(dir);
}

static void test_atomic_write_read_only_folder_keeps_old_file(void **state)
{
  if (geteuid() == 0)
    skip(); /* root writes into read-only folders; the other failure tests cover cleanup */
  char *dir = vp_test_fresh_dir("atomic-read-only");
  char *path = vp_test_join(dir, "plan.vplan");
  vp_test_write_text(path, "old plan");
  assert_int_equal(chmod(dir, 0555), 0);
  VpError err = {0};
  bool ok = vp_file_write_atomic(path, "new", 3, &err);
  assert_int_equal(chmod(dir, 0755), 0);
  assert_false(ok);
  assert_contains(err.message, "Permission denied");
  char *text = read_text(path);
  assert_string_equal(text, "old plan");
  assert_int_equal(count_entries(dir), 1);
  free(text);
  free(path);
  free(dir);
}

/* ---- plans: a case folder with its data ---- */

typedef struct CaseFolder {
  char *dir;
  char *data_dir;
  char *surface; /* dir/data/vertebra.stl */
  char *ct;      /* dir/data/ct.nii */
  char *plan;    /* dir/case.vplan */
} CaseFolder;

static CaseFolder case_folder_new(const char *name)
{
  CaseFolder f = {vp_test_fresh_dir(name), NULL, NULL, NULL, NULL};
  f.data_dir = vp_test_join(f.dir, "data");
  assert_int_equal(mkdir(f.data_dir, 0755), 0);
  f.surface = vp_test_join(f.data_dir, "vertebra.stl");
  f.ct = vp_test_join(f.data_dir, "ct.nii");
  f.plan = vp_test_join(f.dir, "case.vplan");
  vp_test_write_text(f.surface, "solid vertebra\nendsolid vertebra\n");
  vp_test_write_text(f.ct, "pretend CT voxels");
  return f;
}

static void case_folder_clear(CaseFolder *f)
{
  free(f->dir);
  free(f->data_dir);
  free(f->surface);
  free(f->ct);
  free(f->plan);
}

static VpPlan *sample_plan(const CaseFolder *f)
{
  VpError err = {0};
  VpPlan *plan = vp_plan_new("0.1.0-test", &err);
  assert_non_null(plan);
  assert_true(vp_plan_set_case(plan, "sub-verse009", "L3", 22, &err));
  assert_true(vp_plan_set_notes(plan, "Left pedicle narrow.\nCheck T12 as well \xe2\x80\x94 \xc3\xbc", &err));
  assert_true(vp_plan_add_source(plan, VP_SOURCE_ROLE_SURFACE, f->surface, &err));
  assert_true(vp_plan_add_source(plan, VP_SOURCE_ROLE_CT, f->ct, &err));
  return plan;
}

static void save_sample_plan(const CaseFolder *f)
{
  VpPlan *plan = sample_plan(f);
  VpError err = {0};
  if (!vp_plan_save(plan, f->plan, &err))
    fail_msg("save failed: %s", err.message);
  vp_plan_free(plan);
}

static VpPlan *load_ok(const char *path, VpPlanLoadReport *report)
{
  VpError err = {0};
  VpPlan *plan = vp_plan_load(path, report, &err);
  if (!plan)
    fail_msg("load failed: %s", err.message);
  return plan;
}

static void assert_same_source(const VpPlanSource *a, const VpPlanSource *b)
{
  assert_int_equal(a->role, b->role);
  assert_string_equal(a->path, b->path);
  assert_string_equal(a->sha256, b->sha256);
  assert_int_equal(a->size_bytes, b->size_bytes);
}

static void test_plan_round_trip_keeps_everything(void **state)
{
  CaseFolder f = case_folder_new("plan-round-trip");
  VpPlan *saved = sample_plan(&f);
  VpError err = {0};
  assert_true(vp_plan_save(saved, f.plan, &err));
  VpPlan *loaded = load_ok(f.plan, NULL);
  assert_int_equal(loaded->format_version, VP_PLAN_FORMAT_VERSION);
  assert_string_equal(loaded->created_with, "0.1.0-test");
  assert_string_equal(loaded->case_info.name, "sub-verse009");
  assert_string_equal(loaded->case_info.level, "L3");
  assert_int_equal(loaded->case_info.label, 22);
  assert_string_equal(loaded->case_info.notes, saved->case_info.notes);
  assert_int_equal(loaded->case_info.source_count, 2);
  for (size_t i = 0; i < 2; i++)
    assert_same_source(&loaded->case_info.sources[i], &saved->case_info.sources[i]);
  vp_plan_free(loaded);
  vp_plan_free(saved);
  case_folder_clear(&f);
}

static void test_plan_sources_all_found_after_save(void **state)
{
  CaseFolder f = case_folder_new("plan-found");
  save_sample_plan(&f);
  VpPlanLoadReport report;
  VpPlan *plan = load_ok(f.plan, &report);
  assert_int_equal(report.source_count, 2);
  assert_int_equal(report.source_states[0], VP_SOURCE_FOUND);
  assert_int_equal(report.source_states[1], VP_SOURCE_FOUND);
  assert_int_equal(report.missing_count + report.changed_count + report.unreadable_count, 0);
  vp_plan_load_report_clear(&report);
  vp_plan_free(plan);
  case_folder_clear(&f);
}

static void test_plan_add_source_records_size_and_sha256(void **state)
{
  CaseFolder f = case_folder_new("plan-add-source");
  VpPlan *plan = sample_plan(&f);
  const char *ct = "pretend CT voxels";
  uint8_t digest[VP_SHA256_DIGEST_SIZE];
  char hex[VP_SHA256_HEX_SIZE];
  vp_sha256_buffer(ct, strlen(ct), digest);
  vp_sha256_hex(digest, hex);
  assert_string_equal(plan->case_info.sources[1].sha256, hex);
  assert_int_equal(plan->case_info.sources[1].size_bytes, strlen(ct));
  vp_plan_free(plan);
  case_folder_clear(&f);
}

/* The JSON of a saved plan, parsed, for looking at what was stored. */
static cJSON *saved_json(const char *path)
{
  char *text = read_text(path);
  cJSON *root = cJSON_Parse(text);
  free(text);
  assert_non_null(root);
  return root;
}

static const char *stored_source_path(const cJSON *root, int index)
{
  const cJSON *sources = cJSON_GetObjectItem(cJSON_GetObjectItem(root, "case"), "sources");
  const cJSON *path = cJSON_GetObjectItem(cJSON_GetArrayItem(sources, index), "path");
  assert_true(cJSON_IsString(path));
  return path->valuestring;
}

static void test_plan_stores_sources_in_its_folder_relative(void **state)
{
  CaseFolder f = case_folder_new("plan-relative");
  save_sample_plan(&f);
  cJSON *root = saved_json(f.plan);
  assert_string_equal(stored_source_path(root, 0), "data/vertebra.stl");
  assert_string_equal(stored_source_path(root, 1), "data/ct.nii");
  cJSON_Delete(root);
  case_folder_clear(&f);
}

static void test_plan_stores_sources_outside_its_folder_relative(void **state)
{
  CaseFolder f = case_folder_new("plan-outside");
  char *plans = vp_test_fresh_dir("plan-outside-elsewhere");
  char *plan_path = vp_test_join(plans, "case.vplan");
  VpPlan *plan = sample_plan(&f);
  VpError err = {0};
  assert_true(vp_plan_save(plan, plan_path, &err));
  cJSON *root = saved_json(plan_path);
  /* Both folders sit side by side in the test's temporary folder. */
  assert_string_equal(stored_source_path(root, 0), "../plan-outside/data/vertebra.stl");
  cJSON_Delete(root);
  VpPlanLoadReport report;
  VpPlan *loaded = load_ok(plan_path, &report);
  assert_string_equal(loaded->case_info.sources[0].path, plan->case_info.sources[0].path);
  assert_int_equal(report.missing_count + report.changed_count, 0);
  vp_plan_load_report_clear(&report);
  vp_plan_free(loaded);
  vp_plan_free(plan);
  free(plan_path);
  free(plans);
  case_folder_clear(&f);
}

static void test_plan_folder_moved_as_a_whole_still_finds_sources(void **state)
{
  CaseFolder f = case_folder_new("plan-move-before");
  save_sample_plan(&f);
  char *moved = vp_test_tmp_path("plan-move-after");
  assert_int_equal(rename(f.dir, moved), 0);
  char *moved_plan = vp_test_join(moved, "case.vplan");
  char *moved_ct = vp_test_join(moved, "data/ct.nii");
  VpPlanLoadReport report;
  VpPlan *plan = load_ok(moved_plan, &report);
  assert_string_equal(plan->case_info.sources[1].path, moved_ct);
  assert_int_equal(report.missing_count + report.changed_count, 0);
  vp_plan_load_report_clear(&report);
  vp_plan_free(plan);
  free(moved_ct);
  free(moved_plan);
  free(moved);
  case_folder_clear(&f);
}

static void test_plan_missing_source_is_reported_not_refused(void **state)
{
  CaseFolder f = case_folder_new("plan-missing-source");
  save_sample_plan(&f);
  assert_int_equal(unlink(f.ct), 0);
  VpPlanLoadReport report;
  VpPlan *plan = load_ok(f.plan, &report);
  assert_int_equal(report.source_states[0], VP_SOURCE_FOUND);
  assert_int_equal(report.source_states[1], VP_SOURCE_MISSING);
  assert_int_equal(report.missing_count, 1);
  assert_int_equal(plan->case_info.source_count, 2); /* kept, so the user can relocate it */
  vp_plan_load_report_clear(&report);
  vp_plan_free(plan);
  case_folder_clear(&f);
}

static void test_plan_changed_source_of_same_size_is_reported(void **state)
{
  CaseFolder f = case_folder_new("plan-changed-source");
  save_sample_plan(&f);
  vp_test_write_text(f.ct, "PRETEND CT VOXELS"); /* same size: only the hash can tell */
  VpPlanLoadReport report;
  VpPlan *plan = load_ok(f.plan, &report);
  assert_int_equal(report.source_states[1], VP_SOURCE_CHANGED);
  assert_int_equal(report.changed_count, 1);
  vp_plan_load_report_clear(&report);
  vp_plan_free(plan);
  case_folder_clear(&f);
}

static void test_plan_changed_source_size_is_reported(void **state)
{
  CaseFolder f = case_folder_new("plan-resized-source");
  save_sample_plan(&f);
  vp_test_write_text(f.surface, "solid other\nendsolid other\n");
  VpPlanLoadReport report;
  VpPlan *plan = load_ok(f.plan, &report);
  assert_int_equal(report.source_states[0], VP_SOURCE_CHANGED);
  vp_plan_load_report_clear(&report);
  vp_plan_free(plan);
  case_folder_clear(&f);
}

static void test_plan_source_replaced_by_folder_is_unreadable(void **state)
{
  CaseFolder f = case_folder_new("plan-source-folder");
  save_sample_plan(&f);
  assert_int_equal(unlink(f.ct), 0);
  assert_int_equal(mkdir(f.ct, 0755), 0);
  VpPlanLoadReport report;
  VpPlan *plan = load_ok(f.plan, &report);
  assert_int_equal(report.source_states[1], VP_SOURCE_UNREADABLE);
  assert_int_equal(report.unreadable_count, 1);
  vp_plan_load_report_clear(&report);
  vp_plan_free(plan);
  case_folder_clear(&f);
}

static void test_plan_save_into_missing_folder_fails(void **state)
{
  CaseFolder f = case_folder_new("plan-save-missing");
  VpPlan *plan = sample_plan(&f);
  char *path = vp_test_join(f.dir, "gone/case.vplan");
  VpError err = {0};
  assert_false(vp_plan_save(plan, path, &err));
  assert_contains(err.message, "does not exist");
  vp_plan_free(plan);
  free(path);
  case_folder_clear(&f);
}

/* ---- plans: the JSON text ---- */

static const char *minimal_plan = "{\"format\": \"vertebra-planner-plan\", \"version\": 1}";

static void test_plan_minimal_older_plan_opens_with_defaults(void **state)
{
  VpPlan *plan = plan_from_json_ok(minimal_plan);
  assert_string_equal(plan->case_info.name, "");
  assert_string_equal(plan->case_info.level, "");
  assert_int_equal(plan->case_info.label, VP_PLAN_LABEL_NONE);
  assert_null(plan->case_info.notes);
  assert_int_equal(plan->case_info.source_count, 0);
  vp_plan_free(plan);
}

static void test_plan_unset_level_and_label_are_null(void **state)
{
  VpError err = {0};
  VpPlan *plan = vp_plan_new("0.1.0", &err);
  char *text = vp_plan_to_json(plan, NULL, &err);
  cJSON *root = cJSON_Parse(text);
  const cJSON *c = cJSON_GetObjectItem(root, "case");
  assert_true(cJSON_IsNull(cJSON_GetObjectItem(c, "label")));
  assert_true(cJSON_IsNull(cJSON_GetObjectItem(c, "level")));
  assert_null(cJSON_GetObjectItem(c, "notes"));
  cJSON_Delete(root);
  free(text);
  vp_plan_free(plan);
}

static void test_plan_relative_paths_resolve_against_base_dir(void **state)
{
  VpPlan *plan = plan_from_json_ok(
      "{\"format\": \"vertebra-planner-plan\", \"version\": 1, \"case\": {\"sources\": ["
      "{\"role\": \"surface\", \"path\": \"data/./x.stl\", \"size_bytes\": 1, \"sha256\": "
      "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"},"
      "{\"role\": \"ct\", \"path\": \"../shared/ct.nii\", \"size_bytes\": 1, \"sha256\": "
      "\"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\"}]}}");
  assert_string_equal(plan->case_info.sources[0].path, "/cases/a/data/x.stl");
  assert_string_equal(plan->case_info.sources[1].path, "/cases/shared/ct.nii");
  assert_string_equal(plan->case_info.sources[1].sha256,
                      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  vp_plan_free(plan);
}

static void test_plan_stored_paths_are_normalised(void **state)
{
  VpPlan *plan = plan_from_json_ok(
      "{\"format\": \"vertebra-planner-plan\", \"version\": 1, \"case\": {\"sources\": ["
      "{\"role\": \"mask\", \"path\": \"/../d//e/../f/./m.nii\", \"size_bytes\": 1, \"sha256\": "
      "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"}]}}");
  assert_string_equal(plan->case_info.sources[0].path, "/d/f/m.nii");
  vp_plan_free(plan);
}

static void test_plan_many_sources_load_in_order(void **state)
{
  enum { N = 1000 };
  size_t cap = 200 + N * 160;
  char *text = malloc(cap);
  assert_non_null(text);
  size_t n = (size_t)snprintf(text, cap, "{\"format\": \"vertebra-planner-plan\", \"version\": 1, "
                                          "\"case\": {\"sources\": [");
  for (int i = 0; i < N; i++)
    n += (size_t)snprintf(text + n, cap - n,
                          "%s{\"role\": \"mask\", \"path\": \"m%d.nii\", \"size_bytes\": %d, "
                          "\"sha256\": \"%064d\"}",
                          i ? ", " : "", i, i, 0);
  snprintf(text + n, cap - n, "]}}");
  VpPlan *plan = plan_from_json_ok(text);
  assert_int_equal(plan->case_info.source_count, N);
  assert_string_equal(plan->case_info.sources[N - 1].path, "/cases/a/m999.nii");
  assert_int_equal(plan->case_info.sources[N - 1].size_bytes, N - 1);
  vp_plan_free(plan);
  free(text);
}

static const char *plan_with_extras =
    "{\"format\": \"vertebra-planner-plan\", \"version\": 1,"
    " \"trajectories\": [{\"side\": \"left\", \"entry_mm\": [1.5, 2, 3]}],"
    " \"case\": {\"name\": \"x\", \"fracture\": {\"genant_grade\": 2},"
    "  \"sources\": [{\"role\": \"mri\", \"path\": \"/d/t2.nii\", \"size_bytes\": 5,"
    "   \"sha256\": \"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\","
    "   \"sequence\": \"T2\"}]}}";

static void test_plan_unknown_keys_are_kept_on_save(void **state)
{
  VpPlan *plan = plan_from_json_ok(plan_with_extras);
  VpError err = {0};
  char *text = vp_plan_to_json(plan, "/cases/a", &err);
  cJSON *root = cJSON_Parse(text);
  cJSON *expected = cJSON_Parse(plan_with_extras);
  const cJSON *c = cJSON_GetObjectItem(root, "case");
  const cJSON *source = cJSON_GetArrayItem(cJSON_GetObjectItem(c, "sources"), 0);
  assert_true(cJSON_Compare(cJSON_GetObjectItem(root, "trajectories"),
                            cJSON_GetObjectItem(expected, "trajectories"), true));
  assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(c, "fracture"), "genant_grade")->valueint, 2);
  assert_string_equal(cJSON_GetObjectItem(source, "sequence")->valuestring, "T2");
  cJSON_Delete(expected);
  cJSON_Delete(root);
  free(text);
  vp_plan_free(plan);
}

static void test_plan_unknown_source_role_is_kept(void **state)
{
  VpPlan *plan = plan_from_json_ok(plan_with_extras);
  assert_int_equal(plan->case_info.sources[0].role, VP_SOURCE_ROLE_OTHER);
  VpError err = {0};
  char *text = vp_plan_to_json(plan, NULL, &err);
  cJSON *root = cJSON_Parse(text);
  const cJSON *source =
      cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(root, "case"), "sources"), 0);
  assert_string_equal(cJSON_GetObjectItem(source, "role")->valuestring, "mri");
  assert_int_equal(cJSON_GetArraySize(source), 5); /* "role" written once */
  cJSON_Delete(root);
  free(text);
  vp_plan_free(plan);
}

static void test_plan_json_ends_with_newline(void **state)
{
  VpPlan *plan = plan_from_json_ok(minimal_plan);
  VpError err = {0};
  char *text = vp_plan_to_json(plan, NULL, &err);
  assert_non_null(text);
  assert_int_equal(text[strlen(text) - 1], '\n');
  free(text);
  vp_plan_free(plan);
}

static void test_plan_byte_order_mark_is_accepted(void **state)
{
  char text[256];
  snprintf(text, sizeof text, "\xEF\xBB\xBF%s", minimal_plan);
  vp_plan_free(plan_from_json_ok(text));
}

/* ---- plans: what is refused, and how it is said ---- */

static void test_plan_missing_comma_gives_line_and_column(void **state)
{
  const char *text = "{\n"
                     "  \"format\": \"vertebra-planner-plan\",\n"
                     "  \"version\": 1,\n"
                     "  \"case\": {\n"
                     "    \"name\": \"a\",\n"
                     "    \"level\": \"L3\",\n"
                     "  \"label\": 22 \"notes\": \"x\"\n"
                     "  }\n"
                     "}\n";
  assert_string_equal(plan_from_json_error(text), "line 7, column 15: expected ',' or '}'");
}

static void test_plan_column_counts_characters_not_bytes(void **state)
{
  assert_string_equal(plan_from_json_error("{\"n\": \"\xc3\xbc\xc3\xbc\" \"x\": 1}"),
                      "line 1, column 12: expected ',' or '}'");
}

static void test_plan_trailing_comma_is_explained(void **state)
{
  assert_string_equal(plan_from_json_error("{\"format\": \"x\",\n}"),
                      "line 2, column 1: expected a key in double quotes (is there a ',' too many?)");
}

static void test_plan_unclosed_object_is_explained(void **state)
{
  assert_contains(plan_from_json_error("{\"format\": \"vertebra-planner-plan\""),
                  "line 1, column 35: the text ends before every '{' and '[' is closed");
}

static void test_plan_unclosed_string_points_at_its_start(void **state)
{
  assert_string_equal(plan_from_json_error("{\n  \"format: 1}\n"),
                      "line 2, column 3: this text in quotes has no closing '\"'");
}

static void test_plan_not_json_is_refused_as_not_a_plan(void **state)
{
  assert_contains(plan_from_json_error("solid cube\nfacet normal 0 0 1\n"),
                  "line 1, column 1: this is not a plan file");
}

static void test_plan_empty_text_is_refused(void **state)
{
  assert_string_equal(plan_from_json_error("  \n"), "line 2, column 1: the file is empty");
}

static void test_plan_deep_nesting_is_refused_without_crash(void **state)
{
  size_t n = 100000;
  char *text = malloc(n + 1);
  assert_non_null(text);
  memset(text, '[', n);
  text[n] = '\0';
  assert_contains(plan_from_json_error(text), "nested too deeply");
  free(text);
}

static void test_plan_json_array_is_not_a_plan(void **state)
{
  assert_contains(plan_from_json_error("[1, 2]"), "not a Vertebra Planner plan");
}

static void test_plan_wrong_format_name_is_refused(void **state)
{
  assert_string_equal(
      plan_from_json_error("{\"format\": \"slicer-scene\", \"version\": 1}"),
      "not a Vertebra Planner plan: \"format\" is \"slicer-scene\", expected \"vertebra-planner-plan\"");
}

static void test_plan_missing_format_is_refused(void **state)
{
  assert_contains(plan_from_json_error("{\"version\": 1}"), "the key \"format\" is missing");
}

static void test_plan_newer_version_is_refused_clearly(void **state)
{
  assert_contains(
      plan_from_json_error("{\"format\": \"vertebra-planner-plan\", \"version\": 3, \"case\": 7}"),
      "made by a newer version of Vertebra Planner (format 3); this version reads up to 1");
}

static void test_plan_version_as_text_is_refused(void **state)
{
  assert_string_equal(
      plan_from_json_error("{\"format\": \"vertebra-planner-plan\", \"version\": \"1\"}"),
      "\"version\" must be a whole number, not text");
}

static void test_plan_fractional_version_is_refused(void **state)
{
  assert_contains(plan_from_json_error("{\"format\": \"vertebra-planner-plan\", \"version\": 0.5}"),
                  "\"version\" must be a whole number of 1 or more");
}

static void test_plan_wrong_type_names_the_json_path(void **state)
{
  assert_string_equal(
      plan_from_json_error("{\"format\": \"vertebra-planner-plan\", \"version\": 1, \"case\": {"
                           "\"sources\": [{\"role\": \"ct\", \"path\": \"a.nii\", \"sha256\": "
                           "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\","
                           " \"size_bytes\": \"12\"}]}}"),
      "\"case.sources[0].size_bytes\" must be a whole number, not text");
}

static void test_plan_bad_sha256_is_refused(void **state)
{
  assert_string_equal(
      plan_from_json_error("{\"format\": \"vertebra-planner-plan\", \"version\": 1, \"case\": {"
                           "\"sources\": [{\"role\": \"ct\", \"path\": \"a.nii\", \"sha256\": "
                           "\"abc\", \"size_bytes\": 12}]}}"),
      "\"case.sources[0].sha256\" must be 64 hexadecimal digits");
}

static void test_plan_source_without_role_is_refused(void **state)
{
  assert_string_equal(
      plan_from_json_error("{\"format\": \"vertebra-planner-plan\", \"version\": 1, \"case\": {"
                           "\"sources\": [{}, {\"role\": \"ct\"}]}}"),
      "\"case.sources[0].role\" is missing");
}

static void test_plan_label_out_of_range_is_refused(void **state)
{
  assert_string_equal(
      plan_from_json_error(
          "{\"format\": \"vertebra-planner-plan\", \"version\": 1, \"case\": {\"label\": 70000}}"),
      "\"case.label\" must be a whole number from 1 to 65535, not 70000");
}

static void test_plan_unknown_level_is_refused(void **state)
{
  assert_contains(
      plan_from_json_error(
          "{\"format\": \"vertebra-planner-plan\", \"version\": 1, \"case\": {\"level\": \"L9\"}}"),
      "\"case.level\" must be a vertebra such as \"L3\"");
}

static void test_plan_invalid_utf8_is_refused(void **state)
{
  assert_string_equal(
      plan_from_json_error(
          "{\"format\": \"vertebra-planner-plan\", \"version\": 1, \"case\": {\"name\": \"\xff\"}}"),
      "\"case.name\" is not valid UTF-8 text");
}

static void test_plan_duplicate_key_is_refused(void **state)
{
  assert_string_equal(
      plan_from_json_error("{\"format\": \"vertebra-planner-plan\", \"version\": 1, \"case\": "
                           "{\"name\": \"a\", \"name\": \"b\"}}"),
      "\"case.name\" is given twice");
}

/* ---- plans: files ---- */

static void test_plan_load_syntax_error_names_the_file(void **state)
{
  char *path = vp_test_tmp_path("broken.vplan");
  vp_test_write_text(path, "{\n  \"format\" \"vertebra-planner-plan\"\n}\n");
  VpError err = {0};
  assert_null(vp_plan_load(path, NULL, &err));
  char expected[1024];
  snprintf(expected, sizeof expected, "%s: line 2, column 12: expected ':' after the key", path);
  assert_string_equal(err.message, expected);
  free(path);
}

static void test_plan_load_missing_file_says_so(void **state)
{
  char *path = vp_test_tmp_path("never-saved.vplan");
  VpError err = {0};
  assert_null(vp_plan_load(path, NULL, &err));
  assert_int_equal(err.code, VP_ERR_IO);
  assert_contains(err.message, "does not exist");
  free(path);
}

static void test_plan_huge_file_is_refused_before_reading(void **state)
{
  char *path = vp_test_tmp_path("huge.vplan");
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  assert_true(fd >= 0);
  assert_int_equal(ftruncate(fd, (off_t)VP_PLAN_MAX_FILE_BYTES + 1), 0); /* sparse: no disk used */
  close(fd);
  VpError err = {0};
  assert_null(vp_plan_load(path, NULL, &err));
  assert_int_equal(err.code, VP_ERR_LIMIT);
  assert_contains(err.message, "more than the limit of 64.0 MiB");
  unlink(path);
  free(path);
}

static void test_plan_binary_file_is_refused(void **state)
{
  char *path = vp_test_tmp_path("binary.vplan");
  assert_true(vp_test_write_file(path, "{\"a\"\0\0\0", 7));
  VpError err = {0};
  assert_null(vp_plan_load(path, NULL, &err));
  assert_contains(err.message, "line 1, column 5: the file holds a NUL byte");
  free(path);
}

/* ---- plans: editing ---- */

static void test_plan_set_case_refuses_unknown_level(void **state)
{
  VpError err = {0};
  VpPlan *plan = vp_plan_new("0.1.0", &err);
  assert_false(vp_plan_set_case(plan, "x", "L9", 22, &err));
  assert_int_equal(err.code, VP_ERR_INVALID);
  assert_contains(err.message, "\"L9\" is not a vertebral level");
  assert_string_equal(plan->case_info.name, ""); /* unchanged */
  vp_plan_free(plan);
}

static void test_plan_set_case_accepts_every_thoracic_and_lumbar_level(void **state)
{
  VpError err = {0};
  VpPlan *plan = vp_plan_new("0.1.0", &err);
  char level[8];
  for (int i = 1; i <= 12; i++) {
    snprintf(level, sizeof level, "T%d", i);
    assert_true(vp_plan_set_case(plan, "x", level, 7 + i, &err));
  }
  for (int i = 1; i <= 5; i++) {
    snprintf(level, sizeof level, "L%d", i);
    assert_true(vp_plan_set_case(plan, "x", level, 19 + i, &err));
  }
  vp_plan_free(plan);
}

static void test_plan_set_case_refuses_label_out_of_range(void **state)
{
  VpError err = {0};
  VpPlan *plan = vp_plan_new("0.1.0", &err);
  assert_false(vp_plan_set_case(plan, "x", "L3", 0x10000, &err));
  assert_contains(err.message, "65536 is not a mask label");
  assert_true(vp_plan_set_case(plan, "x", "", 117, &err)); /* whole-body segmentations */
  vp_plan_free(plan);
}

static void test_plan_add_source_of_missing_file_fails(void **state)
{
  VpError err = {0};
  VpPlan *plan = vp_plan_new("0.1.0", &err);
  char *path = vp_test_tmp_path("not-there.stl");
  assert_false(vp_plan_add_source(plan, VP_SOURCE_ROLE_SURFACE, path, &err));
  assert_contains(err.message, path);
  assert_int_equal(plan->case_info.source_count, 0);
  free(path);
  vp_plan_free(plan);
}

static void test_plan_remove_source_keeps_the_others_in_order(void **state)
{
  CaseFolder f = case_folder_new("plan-remove");
  VpPlan *plan = sample_plan(&f);
  vp_plan_remove_source(plan, 0);
  assert_int_equal(plan->case_info.source_count, 1);
  assert_int_equal(plan->case_info.sources[0].role, VP_SOURCE_ROLE_CT);
  assert_string_equal(plan->case_info.sources[0].path, f.ct);
  vp_plan_free(plan);
  case_folder_clear(&f);
}

static void test_plan_empty_notes_remove_them(void **state)
{
  VpError err = {0};
  VpPlan *plan = vp_plan_new("0.1.0", &err);
  assert_true(vp_plan_set_notes(plan, "something", &err));
  assert_true(vp_plan_set_notes(plan, "", &err));
  assert_null(plan->case_info.notes);
  vp_plan_free(plan);
}

/* ---- measurements ---- */

static const char *const measured_plan =
    "{\"format\": \"vertebra-planner-plan\", \"version\": 1,\n"
    " \"measurements\": [{\"kind\": \"distance\", \"points_mm\": [[0, 0, 0], [3, 4, 0]]},\n"
    "   {\"kind\": \"angle\", \"points_mm\": [[10, 0, 0], [0, 0, 0], [0, 10, 0]]},\n"
    "   {\"kind\": \"distance\", \"points_mm\": [[0.1, -2.5, 3e-7], [1e300, 5, -6]]}]}";

/* measured_plan with its third measurement replaced by item. */
static const char *plan_with_measurement(const char *item)
{
  static char text[1024];
  snprintf(text, sizeof text,
           "{\"format\": \"vertebra-planner-plan\", \"version\": 1, \"measurements\": [\n"
           "  {\"kind\": \"distance\", \"points_mm\": [[0, 0, 0], [3, 4, 0]]},\n"
           "  {\"kind\": \"angle\", \"points_mm\": [[10, 0, 0], [0, 0, 0], [0, 10, 0]]},\n"
           "  %s]}",
           item);
  return text;
}

static void test_plan_measurements_read_in_order(void **state)
{
  VpPlan *plan = plan_from_json_ok(measured_plan);
  assert_int_equal(plan->measurement_count, 3);
  assert_int_equal(plan->measurements[0].kind, VP_MEASUREMENT_DISTANCE);
  assert_int_equal(plan->measurements[1].kind, VP_MEASUREMENT_ANGLE);
  assert_true(plan->measurements[2].points_mm[0][2] == 3e-7);
  assert_true(plan->measurements[2].points_mm[1][0] == 1e300);
  assert_float_equal(vp_plan_measurement_value(&plan->measurements[0]), 5.0, 1e-12);
  assert_float_equal(vp_plan_measurement_value(&plan->measurements[1]), 90.0, 1e-12);
  vp_plan_free(plan);
}

static void test_plan_measurements_survive_save_and_load_exactly(void **state)
{
  char *dir = vp_test_fresh_dir("plan-measurements");
  char *path = vp_test_join(dir, "m.vplan");
  VpPlan *plan = plan_from_json_ok(measured_plan);
  VpPlanMeasurement m = {VP_MEASUREMENT_DISTANCE, {{0.1 + 0.2, 1.0 / 3.0, -1e-310}, {2, 3, 4}}};
  VpError err = {0};
  assert_true(vp_plan_add_measurement(plan, &m, &err));
  assert_true(vp_plan_save(plan, path, &err));
  VpPlan *loaded = vp_plan_load(path, NULL, &err);
  assert_non_null(loaded);
  assert_int_equal(loaded->measurement_count, 4);
  for (size_t i = 0; i < 4; i++) {
    assert_int_equal(loaded->measurements[i].kind, plan->measurements[i].kind);
    assert_memory_equal(loaded->measurements[i].points_mm, plan->measurements[i].points_mm,
                        sizeof m.points_mm);
  }
  assert_true(vp_plan_equal(plan, loaded));
  vp_plan_free(loaded);
  vp_plan_free(plan);
  free(path);
  free(dir);
}

static void test_plan_without_measurements_writes_no_key(void **state)
{
  VpError err = {0};
  VpPlan *plan = vp_plan_new("0.1.0", &err);
  char *text = vp_plan_to_json(plan, NULL, &err);
  assert_null(strstr(text, "measurements"));
  free(text);
  vp_plan_free(plan);
  plan = plan_from_json_ok("{\"format\": \"vertebra-planner-plan\", \"version\": 1,"
                           " \"measurements\": null}");
  assert_int_equal(plan->measurement_count, 0);
  vp_plan_free(plan);
}

static void test_plan_measurement_errors_name_the_key(void **state)
{
  static const struct { const char *item; const char *part; } cases[] = {
      {"{\"kind\": \"distance\", \"points_mm\": [[0, 0, 0]]}", "\"measurements[2].points_mm\" must hold 2 points"},
      {"{\"kind\": \"angle\", \"points_mm\": [[0, 0, 0], [1, 0, 0]]}", "\"measurements[2].points_mm\" must hold 3 points"},
      {"{\"kind\": \"distance\"}", "\"measurements[2].points_mm\" is missing"},
      {"{\"points_mm\": [[0, 0, 0], [1, 0, 0]]}", "\"measurements[2].kind\" is missing"},
      {"{\"kind\": 3, \"points_mm\": [[0, 0, 0], [1, 0, 0]]}", "\"measurements[2].kind\" must be text"},
      {"{\"kind\": \"distance\", \"points_mm\": {}}", "\"measurements[2].points_mm\" must be a list"},
      {"{\"kind\": \"distance\", \"points_mm\": [[0, 0, 0], [1, 0]]}", "\"measurements[2].points_mm[1]\""},
      {"{\"kind\": \"distance\", \"points_mm\": [[0, 0, 0], 5]}", "\"measurements[2].points_mm[1]\" must be a list"},
      {"{\"kind\": \"distance\", \"points_mm\": [[0, \"1\", 0], [1, 0, 0]]}", "\"measurements[2].points_mm[0][1]\" must be a number"},
      {"{\"kind\": \"distance\", \"points_mm\": [[0, 0, 0], [1, 0, 1e999]]}", "\"measurements[2].points_mm[1][2]\" must be a finite number"},
      {"{\"kind\": \"distance\", \"kind\": \"angle\", \"points_mm\": []}", "\"measurements[2].kind\" is given twice"},
      {"[1, 2]", "\"measurements[2]\" must be an object"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    assert_contains(plan_from_json_error(plan_with_measurement(cases[i].item)), cases[i].part);
  assert_contains(plan_from_json_error("{\"format\": \"vertebra-planner-plan\", \"version\": 1,"
                                       " \"measurements\": {}}"),
                  "\"measurements\" must be a list");
}

static void test_plan_unknown_measurement_kind_is_refused_clearly(void **state)
{
  const char *message = plan_from_json_error(
      plan_with_measurement("{\"kind\": \"cobb\", \"points_mm\": [[0, 0, 0], [1, 0, 0]]}"));
  assert_contains(message, "\"measurements[2].kind\" is \"cobb\"");
  assert_contains(message, "\"distance\" and \"angle\"");
}

static void test_plan_too_many_measurements_are_refused(void **state)
{
  size_t item_len = strlen("{\"kind\": \"distance\", \"points_mm\": [[0, 0, 0], [1, 0, 0]]},");
  size_t n = VP_PLAN_MAX_MEASUREMENTS + 1;
  char *text = malloc(100 + n * item_len);
  assert_non_null(text);
  char *p = text + sprintf(text, "{\"format\": \"vertebra-planner-plan\", \"version\": 1, \"measurements\": [");
  for (size_t i = 0; i < n; i++)
    p += sprintf(p, "%s{\"kind\": \"distance\", \"points_mm\": [[0, 0, 0], [1, 0, 0]]}", i ? "," : "");
  strcpy(p, "]}");
  VpError err = {0};
  assert_null(vp_plan_from_json(text, NULL, &err));
  assert_int_equal(err.code, VP_ERR_LIMIT);
  assert_contains(err.message, "\"measurements\"");
  /* One fewer is a plan. */
  p[-strlen(",{\"kind\": \"distance\", \"points_mm\": [[0, 0, 0], [1, 0, 0]]}")] = '\0';
  strcat(text, "]}");
  VpPlan *plan = plan_from_json_ok(text);
  assert_int_equal(plan->measurement_count, VP_PLAN_MAX_MEASUREMENTS);
  VpPlanMeasurement m = {VP_MEASUREMENT_DISTANCE, {{0, 0, 0}, {1, 1, 1}}};
  assert_false(vp_plan_add_measurement(plan, &m, &err));
  assert_int_equal(err.code, VP_ERR_LIMIT);
  assert_int_equal(plan->measurement_count, VP_PLAN_MAX_MEASUREMENTS);
  vp_plan_free(plan);
  free(text);
}

static void test_plan_add_measurement_refuses_bad_values(void **state)
{
  VpError err = {0};
  VpPlan *plan = vp_plan_new("0.1.0", &err);
  VpPlanMeasurement m = {VP_MEASUREMENT_ANGLE, {{0, 0, 0}, {1, 0, 0}, {0, 0, NAN}}};
  assert_false(vp_plan_add_measurement(plan, &m, &err));
  assert_int_equal(err.code, VP_ERR_INVALID);
  m.points_mm[2][2] = INFINITY;
  assert_false(vp_plan_add_measurement(plan, &m, &err));
  m.kind = (VpMeasurementKind)7;
  m.points_mm[2][2] = 0;
  assert_false(vp_plan_add_measurement(plan, &m, &err));
  /* A distance does not use its third point. */
  m = (VpPlanMeasurement){VP_MEASUREMENT_DISTANCE, {{0, 0, 0}, {1, 0, 0}, {NAN, NAN, NAN}}};
  assert_true(vp_plan_add_measurement(plan, &m, &err));
  assert_int_equal(plan->measurement_count, 1);
  assert_true(plan->measurements[0].points_mm[2][0] == 0);
  vp_plan_free(plan);
}

static void test_plan_measurement_values(void **state)
{
  VpPlanMeasurement d = {VP_MEASUREMENT_DISTANCE, {{1, 2, 3}, {4, 6, 15}}};
  assert_float_equal(vp_plan_measurement_value(&d), 13.0, 1e-12);
  VpPlanMeasurement a = {VP_MEASUREMENT_ANGLE, {{2, 0, 0}, {1, 1, 1}, {1, 1, 5}}};
  assert_float_equal(vp_plan_measurement_value(&a), 125.26438968275466, 1e-9);
  VpPlanMeasurement straight = {VP_MEASUREMENT_ANGLE, {{-1, 0, 0}, {0, 0, 0}, {1e-3, 0, 0}}};
  assert_float_equal(vp_plan_measurement_value(&straight), 180.0, 1e-12);
  VpPlanMeasurement tiny = {VP_MEASUREMENT_ANGLE, {{1, 0, 0}, {0, 0, 0}, {1, 1e-9, 0}}};
  assert_float_equal(vp_plan_measurement_value(&tiny), 1e-9 * 180.0 / 3.14159265358979323846, 1e-20);
}

static void test_plan_remove_measurement_keeps_the_others_in_order(void **state)
{
  VpPlan *plan = plan_from_json_ok(measured_plan);
  vp_plan_remove_measurement(plan, 1);
  assert_int_equal(plan->measurement_count, 2);
  assert_int_equal(plan->measurements[0].kind, VP_MEASUREMENT_DISTANCE);
  assert_true(plan->measurements[1].points_mm[1][0] == 1e300);
  vp_plan_remove_measurement(plan, 1);
  vp_plan_remove_measurement(plan, 0);
  assert_int_equal(plan->measurement_count, 0);
  VpError err = {0};
  char *text = vp_plan_to_json(plan, NULL, &err);
  assert_null(strstr(text, "measurements"));
  free(text);
  vp_plan_free(plan);
}

static void test_plan_measurements_use_a_point_in_a_comma_locale(void **state)
{
  if (!vp_test_set_comma_locale()) {
    print_message("no comma-decimal locale installed; skipping\n");
    skip();
  }
  VpError err = {0};
  VpPlan *plan = vp_plan_new("0.1.0", &err);
  VpPlanMeasurement m = {VP_MEASUREMENT_DISTANCE, {{0.5, 0.1 + 0.2, -2.25}, {1e-7, 3, 4}}};
  bool added = vp_plan_add_measurement(plan, &m, &err);
  char *text = vp_plan_to_json(plan, NULL, &err);
  VpPlan *read = text ? vp_plan_from_json(text, NULL, &err) : NULL;
  setlocale(LC_ALL, "C");
  assert_true(added);
  assert_non_null(read);
  assert_contains(text, "0.5,");
  assert_contains(text, "0.30000000000000004");
  assert_null(strstr(text, "0,5"));
  assert_memory_equal(read->measurements[0].points_mm, m.points_mm, 2 * sizeof m.points_mm[0]);
  vp_plan_free(read);
  free(text);
  vp_plan_free(plan);
}

/* ---- the anatomical frame's correction ---- */

static const double adjusted_rotation[3] = {0.1 + 0.2, -1.0 / 3.0, 179.99999999999997};
static const double adjusted_offset[3] = {-1e-310, 2.5, -100.0};

static void test_plan_frame_adjustment_survives_save_and_load_exactly(void **state)
{
  char *dir = vp_test_fresh_dir("plan-frame-adjustment");
  char *path = vp_test_join(dir, "a.vplan");
  VpError err = {0};
  VpPlan *plan = vp_plan_new("test", &err);
  assert_true(vp_plan_set_frame_adjustment(plan, adjusted_rotation, adjusted_offset, &err));
  assert_true(plan->anatomy.has_frame_adjustment);
  assert_true(vp_plan_save(plan, path, &err));
  VpPlan *loaded = vp_plan_load(path, NULL, &err);
  assert_non_null(loaded);
  assert_true(loaded->anatomy.has_frame_adjustment);
  assert_memory_equal(loaded->anatomy.rotation_deg, adjusted_rotation, sizeof adjusted_rotation);
  assert_memory_equal(loaded->anatomy.offset_mm, adjusted_offset, sizeof adjusted_offset);
  assert_true(vp_plan_equal(plan, loaded));
  char *text = read_text(path);
  assert_contains(text, "\"anatomy\"");
  assert_contains(text, "\"frame_adjustment\"");
  assert_contains(text, "\"rotation_deg\"");
  assert_contains(text, "\"offset_mm\"");
  free(text);
  vp_plan_free(loaded);
  vp_plan_free(plan);
  free(path);
  free(dir);
}

static void test_plan_copy_and_equal_see_the_frame_adjustment(void **state)
{
  VpError err = {0};
  VpPlan *plan = vp_plan_new("test", &err);
  VpPlan *before = vp_plan_copy(plan, &err);
  assert_true(vp_plan_set_frame_adjustment(plan, adjusted_rotation, adjusted_offset, &err));
  assert_false(vp_plan_equal(plan, before));
  VpPlan *copy = vp_plan_copy(plan, &err);
  assert_non_null(copy);
  assert_true(vp_plan_equal(plan, copy));
  assert_memory_equal(&copy->anatomy, &plan->anatomy, sizeof plan->anatomy);
  /* One number changed by its last bit is another plan. */
  double rotation[3] = {adjusted_rotation[0], adjusted_rotation[1], adjusted_rotation[2]};
  rotation[1] = nextafter(rotation[1], 0.0);
  assert_true(vp_plan_set_frame_adjustment(copy, rotation, adjusted_offset, &err));
  assert_false(vp_plan_equal(plan, copy));
  vp_plan_free(copy);
  vp_plan_free(before);
  vp_plan_free(plan);
}

static void test_plan_without_frame_adjustment_writes_no_key(void **state)
{
  VpError err = {0};
  VpPlan *plan = plan_from_json_ok("{\"format\": \"vertebra-planner-plan\", \"version\": 1}");
  assert_false(plan->anatomy.has_frame_adjustment);
  static const double zero[3] = {0, 0, 0}, negative_zero[3] = {-0.0, 0, -0.0};
  assert_true(vp_plan_set_frame_adjustment(plan, adjusted_rotation, adjusted_offset, &err));
  /* All zeros removes the correction again, -0 included. */
  assert_true(vp_plan_set_frame_adjustment(plan, negative_zero, zero, &err));
  assert_false(plan->anatomy.has_frame_adjustment);
  char *text = vp_plan_to_json(plan, NULL, &err);
  assert_non_null(text);
  assert_null(strstr(text, "anatomy"));
  free(text);
  /* A file holding only zeros is a plan without a correction. */
  VpPlan *zeros = plan_from_json_ok(
      "{\"format\": \"vertebra-planner-plan\", \"version\": 1, \"anatomy\": {\"frame_adjustment\": "
      "{\"rotation_deg\": [0, 0, 0], \"offset_mm\": [0, -0, 0]}}}");
  assert_false(zeros->anatomy.has_frame_adjustment);
  assert_true(vp_plan_equal(plan, zeros));
  vp_plan_free(zeros);
  vp_plan_free(plan);
}

static void test_plan_anatomy_keys_of_newer_versions_are_read_past(void **state)
{
  VpPlan *plan = plan_from_json_ok(
      "{\"format\": \"vertebra-planner-plan\", \"version\": 1, \"anatomy\": {\"parts_edited\": true, "
      "\"frame_adjustment\": {\"rotation_deg\": [1, 2, 3], \"offset_mm\": [4, 5, 6], "
      "\"by\": \"x\"}}}");
  assert_true(plan->anatomy.has_frame_adjustment);
  assert_true(plan->anatomy.rotation_deg[1] == 2.0);
  assert_true(plan->anatomy.offset_mm[2] == 6.0);
  vp_plan_free(plan);
}

static const char *plan_with_anatomy(const char *anatomy)
{
  static char text[1024];
  snprintf(text, sizeof text,
           "{\"format\": \"vertebra-planner-plan\", \"version\": 1, \"anatomy\": %s}", anatomy);
  return text;
}

static void test_plan_frame_adjustment_errors_name_the_key(void **state)
{
  static const struct { const char *anatomy; const char *part; } cases[] = {
      {"[]", "\"anatomy\" must be an object"},
      {"{\"frame_adjustment\": 3}", "\"anatomy.frame_adjustment\" must be an object"},
      {"{\"frame_adjustment\": {\"offset_mm\": [0, 0, 0]}}",
       "\"anatomy.frame_adjustment.rotation_deg\" is missing"},
      {"{\"frame_adjustment\": {\"rotation_deg\": [0, 0, 0]}}",
       "\"anatomy.frame_adjustment.offset_mm\" is missing"},
      {"{\"frame_adjustment\": {\"rotation_deg\": [0, \"5\", 0], \"offset_mm\": [0, 0, 0]}}",
       "\"anatomy.frame_adjustment.rotation_deg[1]\" must be a number"},
      {"{\"frame_adjustment\": {\"rotation_deg\": [0, 180.5, 0], \"offset_mm\": [0, 0, 0]}}",
       "\"anatomy.frame_adjustment.rotation_deg[1]\" must be a number from -180 to 180"},
      {"{\"frame_adjustment\": {\"rotation_deg\": [0, 0, 1e999], \"offset_mm\": [0, 0, 0]}}",
       "\"anatomy.frame_adjustment.rotation_deg[2]\" must be a number from"},
      {"{\"frame_adjustment\": {\"rotation_deg\": [0, 0, 0], \"offset_mm\": [0, 0, -100.001]}}",
       "\"anatomy.frame_adjustment.offset_mm[2]\" must be a number from -100 to 100 mm"},
      {"{\"frame_adjustment\": {\"rotation_deg\": [0, 0], \"offset_mm\": [0, 0, 0]}}",
       "\"anatomy.frame_adjustment.rotation_deg\" must hold three numbers"},
      {"{\"frame_adjustment\": {\"rotation_deg\": {}, \"offset_mm\": [0, 0, 0]}}",
       "\"anatomy.frame_adjustment.rotation_deg\" must be a list"},
      {"{\"frame_adjustment\": {\"rotation_deg\": [0, 0, 0], \"rotation_deg\": [0, 0, 0], "
       "\"offset_mm\": [0, 0, 0]}}",
       "\"anatomy.frame_adjustment.rotation_deg\" is given twice"},
      {"{\"frame_adjustment\": {}, \"frame_adjustment\": {}}",
       "\"anatomy.frame_adjustment\" is given twice"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    assert_contains(plan_from_json_error(plan_with_anatomy(cases[i].anatomy)), cases[i].part);
  /* An older plan has no "anatomy"; null reads as none too. */
  VpPlan *plan = plan_from_json_ok(plan_with_anatomy("null"));
  assert_false(plan->anatomy.has_frame_adjustment);
  vp_plan_free(plan);
}

static void test_plan_set_frame_adjustment_refuses_bad_values(void **state)
{
  VpError err = {0};
  VpPlan *plan = vp_plan_new("test", &err);
  assert_true(vp_plan_set_frame_adjustment(plan, adjusted_rotation, adjusted_offset, &err));
  VpPlanAnatomy before = plan->anatomy;
  const double zero[3] = {0, 0, 0};
  const double bad_rotation[][3] = {{181, 0, 0}, {0, NAN, 0}, {0, 0, -INFINITY}};
  const double bad_offset[][3] = {{100.5, 0, 0}, {0, -NAN, 0}, {0, 0, INFINITY}};
  for (size_t i = 0; i < 3; i++) {
    vp_error_clear(&err);
    assert_false(vp_plan_set_frame_adjustment(plan, bad_rotation[i], zero, &err));
    assert_int_equal(err.code, VP_ERR_INVALID);
    assert_contains(err.message, "degrees");
    vp_error_clear(&err);
    assert_false(vp_plan_set_frame_adjustment(plan, zero, bad_offset[i], &err));
    assert_int_equal(err.code, VP_ERR_INVALID);
    assert_contains(err.message, "mm");
    assert_memory_equal(&plan->anatomy, &before, sizeof before);
  }
  /* The limits themselves are allowed. */
  const double edge_rotation[3] = {-180, 180, 0}, edge_offset[3] = {100, -100, 0};
  assert_true(vp_plan_set_frame_adjustment(plan, edge_rotation, edge_offset, &err));
  vp_plan_free(plan);
}

static void test_plan_frame_adjustment_is_undone_by_the_document(void **state)
{
  VpError err = {0};
  VpPlan *plan = vp_plan_new("test", &err);
  const double first[3] = {5, 0, 0}, none[3] = {0, 0, 0};
  assert_true(vp_plan_set_frame_adjustment(plan, first, none, &err));
  VpDocument *doc = vp_document_new(plan, NULL, &err);
  assert_non_null(doc);
  VpPlan *edit = vp_document_begin_edit(doc, &err);
  assert_non_null(edit);
  assert_true(vp_plan_set_frame_adjustment(edit, adjusted_rotation, adjusted_offset, &err));
  assert_true(vp_document_commit(doc, "Adjust Frame", &err));
  assert_memory_equal(vp_document_plan(doc)->anatomy.rotation_deg, adjusted_rotation,
                      sizeof adjusted_rotation);
  assert_true(vp_document_undo(doc));
  const VpPlanAnatomy *undone = &vp_document_plan(doc)->anatomy;
  assert_true(undone->has_frame_adjustment);
  assert_memory_equal(undone->rotation_deg, first, sizeof first);
  assert_memory_equal(undone->offset_mm, none, sizeof none);
  assert_true(vp_document_redo(doc));
  assert_memory_equal(vp_document_plan(doc)->anatomy.offset_mm, adjusted_offset,
                      sizeof adjusted_offset);
  /* Removing the correction is undone too. */
  edit = vp_document_begin_edit(doc, &err);
  assert_true(vp_plan_set_frame_adjustment(edit, none, none, &err));
  assert_true(vp_document_commit(doc, "Reset Frame", &err));
  assert_false(vp_document_plan(doc)->anatomy.has_frame_adjustment);
  assert_true(vp_document_undo(doc));
  assert_true(vp_document_plan(doc)->anatomy.has_frame_adjustment);
  assert_memory_equal(vp_document_plan(doc)->anatomy.rotation_deg, adjusted_rotation,
                      sizeof adjusted_rotation);
  vp_document_free(doc);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sha256_abc),
      cmocka_unit_test(test_sha256_empty_string),
      cmocka_unit_test(test_sha256_448_bit_message),
      cmocka_unit_test(test_sha256_one_million_a_streamed),
      cmocka_unit_test(test_sha256_uneven_pieces_equal_one_shot),
      cmocka_unit_test(test_sha256_file_equals_buffer),
      cmocka_unit_test(test_sha256_file_missing_names_the_file),
      cmocka_unit_test(test_atomic_write_creates_file),
      cmocka_unit_test(test_atomic_write_replaces_existing_file),
      cmocka_unit_test(test_atomic_write_keeps_permissions_of_replaced_file),
      cmocka_unit_test(test_atomic_write_new_file_follows_umask),
      cmocka_unit_test(test_atomic_write_into_missing_folder_says_so),
      cmocka_unit_test(test_atomic_write_under_a_file_fails_and_keeps_it),
      cmocka_unit_test(test_atomic_write_onto_a_folder_leaves_no_temp_file),
      cmocka_unit_test(test_atomic_write_failing_midway_keeps_old_file),
      cmocka_unit_test(test_atomic_write_read_only_folder_keeps_old_file),
      cmocka_unit_test(test_plan_round_trip_keeps_everything),
      cmocka_unit_test(test_plan_sources_all_found_after_save),
      cmocka_unit_test(test_plan_add_source_records_size_and_sha256),
      cmocka_unit_test(test_plan_stores_sources_in_its_folder_relative),
      cmocka_unit_test(test_plan_stores_sources_outside_its_folder_relative),
      cmocka_unit_test(test_plan_folder_moved_as_a_whole_still_finds_sources),
      cmocka_unit_test(test_plan_missing_source_is_reported_not_refused),
      cmocka_unit_test(test_plan_changed_source_of_same_size_is_reported),
      cmocka_unit_test(test_plan_changed_source_size_is_reported),
      cmocka_unit_test(test_plan_source_replaced_by_folder_is_unreadable),
      cmocka_unit_test(test_plan_save_into_missing_folder_fails),
      cmocka_unit_test(test_plan_minimal_older_plan_opens_with_defaults),
      cmocka_unit_test(test_plan_unset_level_and_label_are_null),
      cmocka_unit_test(test_plan_relative_paths_resolve_against_base_dir),
      cmocka_unit_test(test_plan_stored_paths_are_normalised),
      cmocka_unit_test(test_plan_many_sources_load_in_order),
      cmocka_unit_test(test_plan_unknown_keys_are_kept_on_save),
      cmocka_unit_test(test_plan_unknown_source_role_is_kept),
      cmocka_unit_test(test_plan_json_ends_with_newline),
      cmocka_unit_test(test_plan_byte_order_mark_is_accepted),
      cmocka_unit_test(test_plan_missing_comma_gives_line_and_column),
      cmocka_unit_test(test_plan_column_counts_characters_not_bytes),
      cmocka_unit_test(test_plan_trailing_comma_is_explained),
      cmocka_unit_test(test_plan_unclosed_object_is_explained),
      cmocka_unit_test(test_plan_unclosed_string_points_at_its_start),
      cmocka_unit_test(test_plan_not_json_is_refused_as_not_a_plan),
      cmocka_unit_test(test_plan_empty_text_is_refused),
      cmocka_unit_test(test_plan_deep_nesting_is_refused_without_crash),
      cmocka_unit_test(test_plan_json_array_is_not_a_plan),
      cmocka_unit_test(test_plan_wrong_format_name_is_refused),
      cmocka_unit_test(test_plan_missing_format_is_refused),
      cmocka_unit_test(test_plan_newer_version_is_refused_clearly),
      cmocka_unit_test(test_plan_version_as_text_is_refused),
      cmocka_unit_test(test_plan_fractional_version_is_refused),
      cmocka_unit_test(test_plan_wrong_type_names_the_json_path),
      cmocka_unit_test(test_plan_bad_sha256_is_refused),
      cmocka_unit_test(test_plan_source_without_role_is_refused),
      cmocka_unit_test(test_plan_label_out_of_range_is_refused),
      cmocka_unit_test(test_plan_unknown_level_is_refused),
      cmocka_unit_test(test_plan_invalid_utf8_is_refused),
      cmocka_unit_test(test_plan_duplicate_key_is_refused),
      cmocka_unit_test(test_plan_load_syntax_error_names_the_file),
      cmocka_unit_test(test_plan_load_missing_file_says_so),
      cmocka_unit_test(test_plan_huge_file_is_refused_before_reading),
      cmocka_unit_test(test_plan_binary_file_is_refused),
      cmocka_unit_test(test_plan_set_case_refuses_unknown_level),
      cmocka_unit_test(test_plan_set_case_accepts_every_thoracic_and_lumbar_level),
      cmocka_unit_test(test_plan_set_case_refuses_label_out_of_range),
      cmocka_unit_test(test_plan_add_source_of_missing_file_fails),
      cmocka_unit_test(test_plan_remove_source_keeps_the_others_in_order),
      cmocka_unit_test(test_plan_empty_notes_remove_them),
      cmocka_unit_test(test_plan_measurements_read_in_order),
      cmocka_unit_test(test_plan_measurements_survive_save_and_load_exactly),
      cmocka_unit_test(test_plan_without_measurements_writes_no_key),
      cmocka_unit_test(test_plan_measurement_errors_name_the_key),
      cmocka_unit_test(test_plan_unknown_measurement_kind_is_refused_clearly),
      cmocka_unit_test(test_plan_too_many_measurements_are_refused),
      cmocka_unit_test(test_plan_add_measurement_refuses_bad_values),
      cmocka_unit_test(test_plan_measurement_values),
      cmocka_unit_test(test_plan_remove_measurement_keeps_the_others_in_order),
      cmocka_unit_test(test_plan_measurements_use_a_point_in_a_comma_locale),
      cmocka_unit_test(test_plan_frame_adjustment_survives_save_and_load_exactly),
      cmocka_unit_test(test_plan_copy_and_equal_see_the_frame_adjustment),
      cmocka_unit_test(test_plan_without_frame_adjustment_writes_no_key),
      cmocka_unit_test(test_plan_anatomy_keys_of_newer_versions_are_read_past),
      cmocka_unit_test(test_plan_frame_adjustment_errors_name_the_key),
      cmocka_unit_test(test_plan_set_frame_adjustment_refuses_bad_values),
      cmocka_unit_test(test_plan_frame_adjustment_is_undone_by_the_document),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
