/* The document: undo and redo by exact snapshots, the modified flag against
 * the saved history position, saving; recovery files and orphan listing;
 * copies and comparison of plans. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "vp-document.h"
#include "vp-recovery.h"
#include "vp-test-util.h"

/* ---- helpers ---- */

static void assert_contains(const char *text, const char *part)
{
  if (!strstr(text, part))
    fail_msg("\"%s\" does not contain \"%s\"", text, part);
}

static char *plan_text(const VpPlan *plan)
{
  VpError err = {0};
  char *text = vp_plan_to_json(plan, NULL, &err);
  if (!text)
    fail_msg("to_json: %s", err.message);
  return text;
}

static void assert_plan_text(const VpPlan *plan, const char *expected)
{
  char *text = plan_text(plan);
  assert_string_equal(text, expected);
  free(text);
}

static VpPlan *new_plan(void)
{
  VpError err = {0};
  VpPlan *plan = vp_plan_new("0.1.0-test", &err);
  assert_non_null(plan);
  return plan;
}

static VpDocument *new_document(const char *path)
{
  VpError err = {0};
  VpDocument *doc = vp_document_new(new_plan(), path, &err);
  if (!doc)
    fail_msg("document: %s", err.message);
  return doc;
}

static VpPlanMeasurement distance(double x0, double x1)
{
  return (VpPlanMeasurement){VP_MEASUREMENT_DISTANCE, {{x0, 0, 0}, {x1, 0, 0}, {0, 0, 0}}};
}

static VpPlanMeasurement right_angle(void)
{
  return (VpPlanMeasurement){VP_MEASUREMENT_ANGLE, {{10, 0, 0}, {0, 0, 0}, {0, 10, 0}}};
}

static VpPlan *begin(VpDocument *doc)
{
  VpError err = {0};
  VpPlan *plan = vp_document_begin_edit(doc, &err);
  if (!plan)
    fail_msg("begin_edit: %s", err.message);
  return plan;
}

static void commit(VpDocument *doc, const char *label)
{
  VpError err = {0};
  if (!vp_document_commit(doc, label, &err))
    fail_msg("commit: %s", err.message);
}

static void edit_add_measurement(VpDocument *doc, VpPlanMeasurement m)
{
  VpError err = {0};
  assert_true(vp_plan_add_measurement(begin(doc), &m, &err));
  commit(doc, m.kind == VP_MEASUREMENT_ANGLE ? "Add Angle" : "Add Distance");
}

static void edit_notes(VpDocument *doc, const char *notes)
{
  VpError err = {0};
  assert_true(vp_plan_set_notes(begin(doc), notes, &err));
  commit(doc, "Edit Notes");
}

/* ---- undo and redo ---- */

enum { SEQUENCE_STEPS = 7 };

/* Makes a sequence of different edits, keeping the plan's text before the
 * first and after each (states[0..SEQUENCE_STEPS]). */
static void make_edit_sequence(VpDocument *doc, char *states[SEQUENCE_STEPS + 1])
{
  VpError err = {0};
  states[0] = plan_text(vp_document_plan(doc));
  assert_true(vp_plan_set_case(begin(doc), "sub-verse009", "L3", 22, &err));
  commit(doc, "Set Case");
  states[1] = plan_text(vp_document_plan(doc));
  edit_add_measurement(doc, distance(1.25, 46.5));
  states[2] = plan_text(vp_document_plan(doc));
  edit_add_measurement(doc, right_angle());
  states[3] = plan_text(vp_document_plan(doc));
  edit_notes(doc, "pedicle narrow on the left");
  states[4] = plan_text(vp_document_plan(doc));
  vp_plan_remove_measurement(begin(doc), 0);
  commit(doc, "Delete Measurement");
  states[5] = plan_text(vp_document_plan(doc));
  edit_notes(doc, NULL);
  states[6] = plan_text(vp_document_plan(doc));
  assert_true(vp_plan_set_case(begin(doc), "sub-verse010", "T12", VP_PLAN_LABEL_NONE, &err));
  commit(doc, "Set Case");
  states[7] = plan_text(vp_document_plan(doc));
  for (int i = 0; i < SEQUENCE_STEPS; i++)
    assert_string_not_equal(states[i], states[i + 1]);
}

static void test_undo_and_redo_restore_every_state_exactly(void **state)
{
  VpDocument *doc = new_document(NULL);
  char *states[SEQUENCE_STEPS + 1];
  make_edit_sequence(doc, states);
  VpPlan *last = vp_plan_copy(vp_document_plan(doc), NULL);
  for (int i = SEQUENCE_STEPS; i > 0; i--) {
    assert_true(vp_document_undo(doc));
    assert_plan_text(vp_document_plan(doc), states[i - 1]);
  }
  assert_false(vp_document_undo(doc));
  assert_plan_text(vp_document_plan(doc), states[0]);
  for (int i = 1; i <= SEQUENCE_STEPS; i++) {
    assert_true(vp_document_redo(doc));
    assert_plan_text(vp_document_plan(doc), states[i]);
  }
  assert_false(vp_document_redo(doc));
  assert_true(vp_plan_equal(vp_document_plan(doc), last));
  vp_plan_free(last);
  for (int i = 0; i <= SEQUENCE_STEPS; i++)
    free(states[i]);
  vp_document_free(doc);
}

static void test_undo_restores_measurement_values_bit_for_bit(void **state)
{
  VpDocument *doc = new_document(NULL);
  VpPlanMeasurement m = distance(0.1 + 0.2, 1.0 / 3.0);
  edit_add_measurement(doc, m);
  edit_add_measurement(doc, distance(5, 6));
  assert_true(vp_document_undo(doc));
  const VpPlan *plan = vp_document_plan(doc);
  assert_int_equal(plan->measurement_count, 1);
  assert_memory_equal(plan->measurements[0].points_mm, m.points_mm, sizeof m.points_mm);
  vp_document_free(doc);
}

static void test_new_edit_clears_redo(void **state)
{
  VpDocument *doc = new_document(NULL);
  edit_add_measurement(doc, distance(0, 1));
  edit_add_measurement(doc, distance(0, 2));
  assert_true(vp_document_undo(doc));
  assert_true(vp_document_can_redo(doc));
  edit_notes(doc, "another way");
  assert_false(vp_document_can_redo(doc));
  assert_null(vp_document_redo_label(doc));
  assert_false(vp_document_redo(doc));
  assert_int_equal(vp_document_plan(doc)->measurement_count, 1);
  vp_document_free(doc);
}

static void test_labels_follow_undo_and_redo(void **state)
{
  VpDocument *doc = new_document(NULL);
  assert_null(vp_document_undo_label(doc));
  assert_null(vp_document_redo_label(doc));
  edit_add_measurement(doc, distance(0, 1));
  edit_notes(doc, "note");
  assert_string_equal(vp_document_undo_label(doc), "Edit Notes");
  assert_true(vp_document_undo(doc));
  assert_string_equal(vp_document_undo_label(doc), "Add Distance");
  assert_string_equal(vp_document_redo_label(doc), "Edit Notes");
  assert_true(vp_document_undo(doc));
  assert_null(vp_document_undo_label(doc));
  assert_string_equal(vp_document_redo_label(doc), "Add Distance");
  assert_true(vp_document_redo(doc));
  assert_string_equal(vp_document_undo_label(doc), "Add Distance");
  assert_string_equal(vp_document_redo_label(doc), "Edit Notes");
  vp_document_free(doc);
}

static void test_commit_of_unchanged_plan_records_nothing(void **state)
{
  VpDocument *doc = new_document(NULL);
  edit_add_measurement(doc, distance(0, 1));
  edit_add_measurement(doc, distance(0, 2));
  assert_true(vp_document_undo(doc));
  uint64_t revision = vp_document_revision(doc);
  VpError err = {0};
  VpPlan *plan = begin(doc);
  /* Changed and changed back: the same document, so no step. */
  assert_true(vp_plan_set_notes(plan, "temporary", &err));
  assert_true(vp_plan_set_notes(plan, NULL, &err));
  commit(doc, "Nothing");
  assert_int_equal(vp_document_revision(doc), revision);
  assert_string_equal(vp_document_undo_label(doc), "Add Distance");
  assert_true(vp_document_can_redo(doc));
  assert_true(vp_document_is_modified(doc)); /* still the unsaved first edit */
  vp_document_free(doc);
}

static void test_begin_while_an_edit_is_open_fails(void **state)
{
  VpDocument *doc = new_document(NULL);
  begin(doc);
  VpError err = {0};
  assert_null(vp_document_begin_edit(doc, &err));
  assert_int_equal(err.code, VP_ERR_INVALID);
  assert_false(vp_document_can_undo(doc));
  assert_false(vp_document_undo(doc));
  commit(doc, "Nothing");
  assert_non_null(begin(doc)); /* closed again */
  vp_document_cancel_edit(doc);
  vp_document_free(doc);
}

static void test_commit_without_begin_fails(void **state)
{
  VpDocument *doc = new_document(NULL);
  VpError err = {0};
  assert_false(vp_document_commit(doc, "Nothing", &err));
  assert_int_equal(err.code, VP_ERR_INVALID);
  vp_document_free(doc);
}

static void test_cancel_restores_the_plan_exactly(void **state)
{
  VpDocument *doc = new_document(NULL);
  edit_add_measurement(doc, right_angle());
  edit_notes(doc, "before");
  char *before = plan_text(vp_document_plan(doc));
  uint64_t revision = vp_document_revision(doc);
  VpError err = {0};
  VpPlan *plan = begin(doc);
  VpPlanMeasurement m = distance(3, 4);
  assert_true(vp_plan_add_measurement(plan, &m, &err));
  vp_plan_remove_measurement(plan, 0);
  assert_true(vp_plan_set_notes(plan, "after", &err));
  assert_true(vp_plan_set_case(plan, "other", "C1", 1, &err));
  vp_document_cancel_edit(doc);
  assert_plan_text(vp_document_plan(doc), before);
  assert_string_equal(vp_document_undo_label(doc), "Edit Notes");
  assert_int_not_equal(vp_document_revision(doc), revision);
  assert_non_null(begin(doc)); /* the edit is closed */
  vp_document_cancel_edit(doc);
  free(before);
  vp_document_free(doc);
}

static bool revision_seen(const uint64_t *seen, size_t n, uint64_t revision)
{
  for (size_t i = 0; i < n; i++)
    if (seen[i] == revision)
      return true;
  return false;
}

static void test_revision_never_repeats(void **state)
{
  VpDocument *doc = new_document(NULL);
  uint64_t seen[16];
  size_t n = 0;
  seen[n++] = vp_document_revision(doc);
  edit_add_measurement(doc, distance(0, 1));
  seen[n++] = vp_document_revision(doc);
  edit_add_measurement(doc, distance(0, 2));
  bool (*const steps[])(VpDocument *) = {vp_document_undo, vp_document_undo, vp_document_redo,
                                         vp_document_undo, vp_document_redo, vp_document_redo};
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
    uint64_t revision = vp_document_revision(doc);
    assert_false(revision_seen(seen, n, revision));
    seen[n++] = revision;
    assert_true(steps[i](doc));
  }
  assert_false(revision_seen(seen, n, vp_document_revision(doc)));
  vp_document_free(doc);
}

static void test_history_keeps_the_newest_max_undo_steps(void **state)
{
  VpDocument *doc = new_document(NULL);
  const int extra = 7;
  for (int i = 0; i < VP_DOCUMENT_MAX_UNDO + extra; i++) {
    VpPlanMeasurement m = distance(0, i + 1);
    VpError err = {0};
    VpPlan *plan = begin(doc);
    if (plan->measurement_count == 10) /* stay small, change every time */
      vp_plan_remove_measurement(plan, 0);
    assert_true(vp_plan_add_measurement(plan, &m, &err));
    commit(doc, "Add Distance");
  }
  int undone = 0;
  while (vp_document_undo(doc))
    undone++;
  assert_int_equal(undone, VP_DOCUMENT_MAX_UNDO);
  /* The plan after the first `extra` edits, the oldest still kept. */
  const VpPlan *plan = vp_document_plan(doc);
  assert_int_equal(plan->measurement_count, extra);
  assert_true(plan->measurements[extra - 1].points_mm[1][0] == extra);
  int redone = 0;
  while (vp_document_redo(doc))
    redone++;
  assert_int_equal(redone, VP_DOCUMENT_MAX_UNDO);
  assert_true(vp_document_plan(doc)->measurements[9].points_mm[1][0] ==
              VP_DOCUMENT_MAX_UNDO + extra);
  vp_document_free(doc);
}

/* ---- modified and saving ---- */

static void test_new_document_is_not_modified(void **state)
{
  VpDocument *doc = new_document("/nowhere/plan.vplan");
  assert_false(vp_document_is_modified(doc));
  assert_string_equal(vp_document_path(doc), "/nowhere/plan.vplan");
  assert_false(vp_document_can_undo(doc));
  assert_false(vp_document_can_redo(doc));
  vp_document_free(doc);
}

static void test_modified_follows_the_saved_history_position(void **state)
{
  char *dir = vp_test_fresh_dir("document-modified");
  char *path = vp_test_join(dir, "plan.vplan");
  VpDocument *doc = new_document(NULL);
  VpError err = {0};
  edit_add_measurement(doc, distance(0, 1));
  assert_true(vp_document_is_modified(doc));
  assert_true(vp_document_undo(doc));
  assert_false(vp_document_is_modified(doc)); /* back where it was opened */
  assert_true(vp_document_redo(doc));
  assert_true(vp_document_is_modified(doc));
  assert_true(vp_document_save(doc, path, &err));
  assert_string_equal(vp_document_path(doc), path);
  assert_false(vp_document_is_modified(doc));
  assert_true(vp_document_undo(doc));
  assert_true(vp_document_is_modified(doc)); /* saved, then undone */
  assert_true(vp_document_redo(doc));
  assert_false(vp_document_is_modified(doc));
  /* Undo past the save and edit another way: the saved state is gone. */
  assert_true(vp_document_undo(doc));
  edit_notes(doc, "another way");
  assert_true(vp_document_is_modified(doc));
  assert_true(vp_document_undo(doc));
  assert_true(vp_document_is_modified(doc));
  free(path);
  free(dir);
  vp_document_free(doc);
}

static void test_saved_state_forgotten_from_history_stays_modified(void **state)
{
  VpDocument *doc = new_document(NULL);
  for (int i = 0; i < VP_DOCUMENT_MAX_UNDO + 1; i++) {
    char notes[32];
    snprintf(notes, sizeof notes, "note %d", i);
    edit_notes(doc, notes);
  }
  while (vp_document_undo(doc))
    assert_true(vp_document_is_modified(doc));
  vp_document_free(doc);
}

static void test_set_modified_until_saved(void **state)
{
  char *dir = vp_test_fresh_dir("document-set-modified");
  char *path = vp_test_join(dir, "plan.vplan");
  VpDocument *doc = new_document(NULL);
  vp_document_set_modified(doc);
  assert_true(vp_document_is_modified(doc));
  VpError err = {0};
  assert_false(vp_document_save(doc, NULL, &err)); /* no file name yet */
  assert_true(vp_document_is_modified(doc));
  assert_true(vp_document_save(doc, path, &err));
  assert_false(vp_document_is_modified(doc));
  edit_notes(doc, "x");
  assert_true(vp_document_save(doc, NULL, &err)); /* its own path */
  assert_false(vp_document_is_modified(doc));
  free(path);
  free(dir);
  vp_document_free(doc);
}

static void test_saved_file_is_the_plan(void **state)
{
  char *dir = vp_test_fresh_dir("document-save");
  char *path = vp_test_join(dir, "plan.vplan");
  VpDocument *doc = new_document(NULL);
  edit_add_measurement(doc, right_angle());
  VpError err = {0};
  assert_true(vp_document_save(doc, path, &err));
  VpPlan *loaded = vp_plan_load(path, NULL, &err);
  assert_non_null(loaded);
  assert_true(vp_plan_equal(loaded, vp_document_plan(doc)));
  vp_plan_free(loaded);
  free(path);
  free(dir);
  vp_document_free(doc);
}

/* Saves doc (saved at old_path, then edited) to bad_path and expects the
 * failure to leave file and document as they were. */
static void assert_failed_save_changes_nothing(VpDocument *doc, const char *old_path,
                                               const char *bad_path)
{
  size_t size = 0;
  char *old_text = vp_test_read_file(old_path, &size);
  char *plan_before = plan_text(vp_document_plan(doc));
  uint64_t revision = vp_document_revision(doc);
  VpError err = {0};
  assert_false(vp_document_save(doc, bad_path, &err));
  assert_int_not_equal(err.code, VP_OK);
  assert_string_equal(vp_document_path(doc), old_path);
  assert_true(vp_document_is_modified(doc));
  assert_int_equal(vp_document_revision(doc), revision);
  assert_string_equal(vp_document_undo_label(doc), "Edit Notes");
  assert_plan_text(vp_document_plan(doc), plan_before);
  char *text_after = vp_test_read_file(old_path, NULL);
  assert_string_equal(text_after, old_text);
  free(text_after);
  free(plan_before);
  free(old_text);
}

static VpDocument *saved_then_edited(const char *path)
{
  VpDocument *doc = new_document(NULL);
  edit_add_measurement(doc, distance(0, 1));
  VpError err = {0};
  assert_true(vp_document_save(doc, path, &err));
  edit_notes(doc, "unsaved");
  return doc;
}

static void test_save_into_missing_folder_changes_nothing(void **state)
{
  char *dir = vp_test_fresh_dir("document-save-missing");
  char *path = vp_test_join(dir, "plan.vplan");
  char *bad = vp_test_join(dir, "missing/plan.vplan");
  VpDocument *doc = saved_then_edited(path);
  assert_failed_save_changes_nothing(doc, path, bad);
  vp_document_free(doc);
  free(bad);
  free(path);
  free(dir);
}

static void test_save_over_old_file_in_read_only_folder_keeps_it(void **state)
{
  if (geteuid() == 0)
    skip(); /* root writes into read-only folders; the missing folder test covers failure */
  char *dir = vp_test_fresh_dir("document-save-read-only");
  char *path = vp_test_join(dir, "plan.vplan");
  VpDocument *doc = saved_then_edited(path);
  assert_int_equal(chmod(dir, 0555), 0);
  assert_failed_save_changes_nothing(doc, path, path);
  assert_int_equal(chmod(dir, 0755), 0);
  vp_document_free(doc);
  free(path);
  free(dir);
}

static void test_save_under_a_file_changes_nothing(void **state)
{
  /* Fails for root too: a file is not a folder. */
  char *dir = vp_test_fresh_dir("document-save-under-file");
  char *path = vp_test_join(dir, "plan.vplan");
  char *bad = vp_test_join(dir, "plan.vplan/inside.vplan");
  VpDocument *doc = saved_then_edited(path);
  assert_failed_save_changes_nothing(doc, path, bad);
  vp_document_free(doc);
  free(bad);
  free(path);
  free(dir);
}

static void test_save_while_editing_fails(void **state)
{
  char *dir = vp_test_fresh_dir("document-save-editing");
  char *path = vp_test_join(dir, "plan.vplan");
  VpDocument *doc = new_document(NULL);
  begin(doc);
  VpError err = {0};
  assert_false(vp_document_save(doc, path, &err));
  assert_int_equal(err.code, VP_ERR_INVALID);
  assert_null(vp_document_path(doc));
  assert_int_equal(access(path, F_OK), -1);
  vp_document_cancel_edit(doc);
  vp_document_free(doc);
  free(path);
  free(dir);
}

/* ---- plan copies ---- */

/* A plan with every kind of content: sources, unknown keys at every level,
 * a phantom, notes, measurements. */
static VpPlan *rich_plan(void)
{
  const char *text =
      "{\"format\": \"vertebra-planner-plan\", \"version\": 1, \"created_with\": \"0.0.9\",\n"
      " \"case\": {\"name\": \"sub-verse009\", \"level\": \"L3\", \"label\": 22,\n"
      "   \"notes\": \"left pedicle narrow\", \"teaching_note\": \"look at L3\",\n"
      "   \"phantom\": {\"seed\": 7, \"levels\": [\"L1\", \"L2\"]},\n"
      "   \"future_case_key\": [1, 2, {\"x\": null}],\n"
      "   \"sources\": [{\"role\": \"surface\", \"path\": \"/data/v.stl\",\n"
      "     \"sha256\": \"" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" "\",\n"
      "     \"size_bytes\": 1234, \"future_source_key\": true},\n"
      "    {\"role\": \"hologram\", \"path\": \"/data/h.bin\",\n"
      "     \"sha256\": \"" "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210" "\",\n"
      "     \"size_bytes\": 5}]},\n"
      " \"measurements\": [{\"kind\": \"distance\", \"points_mm\": [[0.30000000000000004, -2.5, 3e-7], [4, 5, 6]]},\n"
      "   {\"kind\": \"angle\", \"points_mm\": [[1, 0, 0], [0, 0, 0], [0, 1, 0]]}],\n"
      " \"screws\": {\"newer\": \"version\"}}\n";
  VpError err = {0};
  VpPlan *plan = vp_plan_from_json(text, NULL, &err);
  if (!plan)
    fail_msg("rich plan: %s", err.message);
  return plan;
}

static void test_plan_copy_writes_the_same_document(void **state)
{
  VpPlan *plan = rich_plan();
  VpError err = {0};
  VpPlan *copy = vp_plan_copy(plan, &err);
  assert_non_null(copy);
  char *a = plan_text(plan), *b = plan_text(copy);
  assert_string_equal(a, b);
  assert_contains(b, "\"future_source_key\"");
  assert_contains(b, "\"hologram\"");
  assert_contains(b, "\"future_case_key\"");
  assert_contains(b, "\"screws\"");
  assert_contains(b, "\"seed\"");
  assert_true(vp_plan_equal(plan, copy));
  vp_plan_free(plan); /* the copy shares nothing */
  char *c = plan_text(copy);
  assert_string_equal(c, b);
  free(a);
  free(b);
  free(c);
  vp_plan_free(copy);
}

static void test_plan_equal_sees_every_change(void **state)
{
  VpPlan *plan = rich_plan();
  VpPlan *copy = vp_plan_copy(plan, NULL);
  VpError err = {0};
  copy->measurements[0].points_mm[1][2] += 1e-9;
  assert_false(vp_plan_equal(plan, copy));
  copy->measurements[0].points_mm[1][2] = plan->measurements[0].points_mm[1][2];
  assert_true(vp_plan_equal(plan, copy));
  assert_true(vp_plan_set_teaching_note(copy, NULL, &err));
  assert_false(vp_plan_equal(plan, copy));
  vp_plan_free(copy);
  copy = vp_plan_copy(plan, NULL);
  vp_plan_remove_source(copy, 1);
  assert_false(vp_plan_equal(plan, copy));
  vp_plan_free(copy);
  vp_plan_free(plan);
}

/* ---- recovery files ---- */

static char *recovery_dir(const char *name)
{
  return vp_test_fresh_dir(name);
}

static void write_recovery(const char *path, const VpPlan *plan, const char *document_path)
{
  VpError err = {0};
  if (!vp_recovery_write(path, plan, document_path, &err))
    fail_msg("recovery write: %s", err.message);
}

/* Rewrites one number of a recovery file, as another process would have written it. */
static void set_recovery_number(const char *path, const char *key, double value)
{
  char *text = vp_test_read_file(path, NULL);
  cJSON *root = cJSON_Parse(text);
  assert_non_null(root);
  cJSON *item = cJSON_GetObjectItemCaseSensitive(root, key);
  assert_non_null(item);
  cJSON_SetNumberValue(item, value);
  char *printed = cJSON_Print(root);
  vp_test_write_text(path, printed);
  cJSON_free(printed);
  cJSON_Delete(root);
  free(text);
}

/* A process id no process has: a child that has exited and been reaped. */
static long dead_pid(void)
{
  pid_t child = fork();
  assert_true(child >= 0);
  if (child == 0)
    _exit(0);
  int status = 0;
  assert_int_equal(waitpid(child, &status, 0), child);
  assert_false(vp_recovery_process_alive(child));
  return child;
}

static void test_recovery_path_names_pid_and_window(void **state)
{
  char *path = vp_recovery_path("/tmp/rec", 4321, 3);
  assert_string_equal(path, "/tmp/rec/4321-3" VP_RECOVERY_EXTENSION);
  free(path);
}

static void test_recovery_round_trip_keeps_plan_and_info(void **state)
{
  char *dir = recovery_dir("recovery-round-trip");
  char *path = vp_recovery_path(dir, (long)getpid(), 1);
  VpPlan *plan = rich_plan();
  time_t before = time(NULL);
  write_recovery(path, plan, "/cases/a/plan.vplan");
  VpRecoveryInfo info;
  VpError err = {0};
  VpPlan *read = vp_recovery_read(path, &info, &err);
  if (!read)
    fail_msg("recovery read: %s", err.message);
  assert_true(vp_plan_equal(read, plan));
  assert_int_equal(read->measurement_count, plan->measurement_count);
  for (size_t i = 0; i < plan->measurement_count; i++)
    assert_memory_equal(read->measurements[i].points_mm, plan->measurements[i].points_mm,
                        sizeof plan->measurements[i].points_mm);
  assert_int_equal(read->case_info.label, 22);
  assert_int_equal(read->case_info.sources[0].size_bytes, 1234);
  assert_string_equal(read->case_info.sources[0].path, "/data/v.stl");
  assert_string_equal(info.path, path);
  assert_string_equal(info.document_path, "/cases/a/plan.vplan");
  assert_int_equal(info.pid, (long)getpid());
  assert_true(info.saved_at >= before && info.saved_at <= time(NULL));
  assert_string_equal(info.case_name, "sub-verse009");
  vp_recovery_info_clear(&info);
  vp_plan_free(read);
  vp_plan_free(plan);
  free(path);
  free(dir);
}

static void test_recovery_without_document_path_and_new_folders(void **state)
{
  char *dir = recovery_dir("recovery-new-folders");
  char *nested = vp_test_join(dir, "a/b/c");
  char *path = vp_recovery_path(nested, 99, 0);
  VpPlan *plan = new_plan();
  write_recovery(path, plan, NULL);
  struct stat st;
  assert_int_equal(stat(nested, &st), 0);
  assert_true(S_ISDIR(st.st_mode));
  VpRecoveryInfo info;
  VpPlan *read = vp_recovery_read(path, &info, NULL);
  assert_non_null(read);
  assert_null(info.document_path);
  assert_string_equal(info.case_name, "");
  vp_recovery_info_clear(&info);
  vp_plan_free(read);
  vp_plan_free(plan);
  free(path);
  free(nested);
  free(dir);
}

static void test_recovery_remove_is_quiet_about_missing_files(void **state)
{
  char *dir = recovery_dir("recovery-remove");
  char *path = vp_recovery_path(dir, 5, 0);
  VpPlan *plan = new_plan();
  write_recovery(path, plan, NULL);
  VpError err = {0};
  assert_true(vp_recovery_remove(path, &err));
  assert_int_equal(access(path, F_OK), -1);
  assert_true(vp_recovery_remove(path, &err));
  vp_plan_free(plan);
  free(path);
  free(dir);
}

static void test_process_alive(void **state)
{
  assert_true(vp_recovery_process_alive((long)getpid()));
  assert_true(vp_recovery_process_alive(1)); /* init: alive, maybe not ours to signal */
  assert_false(vp_recovery_process_alive(0));
  assert_false(vp_recovery_process_alive(-1));
  assert_false(vp_recovery_process_alive(dead_pid()));
}

/* Expects vp_recovery_read to refuse text with a message containing part. */
static void assert_recovery_refused(const char *dir, const char *name, const char *text,
                                    const char *part)
{
  char *path = vp_test_join(dir, name);
  vp_test_write_text(path, text);
  VpError err = {0};
  VpRecoveryInfo info;
  assert_null(vp_recovery_read(path, &info, &err));
  assert_null(info.path);
  assert_int_not_equal(err.code, VP_OK);
  assert_contains(err.message, part);
  assert_contains(err.message, name); /* names the file */
  free(path);
}

static const char *const valid_head =
    "{\"format\": \"vertebra-planner-recovery\", \"version\": 1, \"document_path\": null,"
    " \"saved_at\": 1700000000, ";
static const char *const valid_plan =
    "\"plan\": {\"format\": \"vertebra-planner-plan\", \"version\": 1}}";

static char *recovery_with(const char *middle, const char *plan)
{
  size_t n = strlen(valid_head) + strlen(middle) + strlen(plan) + 1;
  char *text = malloc(n);
  assert_non_null(text);
  snprintf(text, n, "%s%s%s", valid_head, middle, plan);
  return text;
}

static void test_recovery_read_refuses_bad_files_clearly(void **state)
{
  char *dir = recovery_dir("recovery-bad");
  assert_recovery_refused(dir, "empty.vprecovery", "", "not a Vertebra Planner recovery file");
  assert_recovery_refused(dir, "plan.vprecovery",
                          "{\"format\": \"vertebra-planner-plan\", \"version\": 1}",
                          "not a Vertebra Planner recovery file");
  assert_recovery_refused(dir, "array.vprecovery", "[1, 2]", "not a Vertebra Planner recovery file");
  char *text = recovery_with("\"pid\": \"12\", ", valid_plan);
  assert_recovery_refused(dir, "pid-text.vprecovery", text, "\"pid\"");
  free(text);
  text = recovery_with("\"pid\": -4, ", valid_plan);
  assert_recovery_refused(dir, "pid-negative.vprecovery", text, "\"pid\"");
  free(text);
  text = recovery_with("\"pid\": 12.5, ", valid_plan);
  assert_recovery_refused(dir, "pid-fraction.vprecovery", text, "\"pid\"");
  free(text);
  text = recovery_with("", valid_plan);
  assert_recovery_refused(dir, "pid-missing.vprecovery", text, "\"pid\" is missing");
  free(text);
  text = recovery_with("\"pid\": 12, ", "\"plan\": [1]}");
  assert_recovery_refused(dir, "plan-list.vprecovery", text, "\"plan\"");
  free(text);
  text = recovery_with("\"pid\": 12, ",
                       "\"plan\": {\"format\": \"vertebra-planner-plan\", \"version\": 1,"
                       " \"measurements\": [{\"kind\": \"arc\", \"points_mm\": []}]}}");
  assert_recovery_refused(dir, "plan-bad.vprecovery", text, "measurements[0].kind");
  free(text);
  assert_recovery_refused(dir, "newer.vprecovery",
                          "{\"format\": \"vertebra-planner-recovery\", \"version\": 2}", "newer");
  free(dir);
}

static void test_recovery_read_refuses_truncated_file(void **state)
{
  char *dir = recovery_dir("recovery-truncated");
  char *path = vp_test_join(dir, "t.vprecovery");
  VpPlan *plan = rich_plan();
  write_recovery(path, plan, "/a/b.vplan");
  size_t size = 0;
  char *text = vp_test_read_file(path, &size);
  assert_true(vp_test_write_file(path, text, size / 2));
  VpError err = {0};
  assert_null(vp_recovery_read(path, NULL, &err));
  assert_int_equal(err.code, VP_ERR_FORMAT);
  free(text);
  vp_plan_free(plan);
  free(path);
  free(dir);
}

static void test_orphans_are_files_of_dead_processes_newest_first(void **state)
{
  char *dir = recovery_dir("recovery-orphans");
  VpPlan *plan = new_plan();
  VpError err = {0};
  assert_true(vp_plan_set_case(plan, "older", "", VP_PLAN_LABEL_NONE, &err));
  long dead = dead_pid();
  char *older = vp_recovery_path(dir, dead, 1);
  write_recovery(older, plan, NULL);
  set_recovery_number(older, "pid", (double)dead);
  set_recovery_number(older, "saved_at", 1700000000);
  assert_true(vp_plan_set_case(plan, "newer", "", VP_PLAN_LABEL_NONE, &err));
  char *newer = vp_recovery_path(dir, dead, 2);
  write_recovery(newer, plan, "/cases/newer.vplan");
  set_recovery_number(newer, "pid", (double)dead);
  set_recovery_number(newer, "saved_at", 1700000100);
  /* This process's own file, and one of a live process (init), are not orphans. */
  char *own = vp_recovery_path(dir, (long)getpid(), 1);
  write_recovery(own, plan, NULL);
  char *live = vp_recovery_path(dir, 1, 1);
  write_recovery(live, plan, NULL);
  set_recovery_number(live, "pid", 1);
  size_t count = 99;
  VpRecoveryInfo *list = vp_recovery_list_orphans(dir, &count, &err);
  assert_int_equal(count, 2);
  assert_non_null(list);
  assert_string_equal(list[0].path, newer);
  assert_string_equal(list[0].case_name, "newer");
  assert_string_equal(list[0].document_path, "/cases/newer.vplan");
  assert_int_equal(list[0].pid, dead);
  assert_int_equal(list[0].saved_at, 1700000100);
  assert_string_equal(list[1].path, older);
  assert_string_equal(list[1].case_name, "older");
  assert_null(list[1].document_path);
  vp_recovery_list_free(list, count);
  vp_plan_free(plan);
  free(older);
  free(newer);
  free(own);
  free(live);
  free(dir);
}

static void test_orphans_skip_foreign_and_broken_files(void **state)
{
  char *dir = recovery_dir("recovery-foreign");
  long dead = dead_pid();
  VpPlan *plan = rich_plan();
  char *good = vp_recovery_path(dir, dead, 1);
  write_recovery(good, plan, NULL);
  set_recovery_number(good, "pid", (double)dead);
  /* A good file without the extension is not looked at. */
  char *other_name = vp_test_join(dir, "copy.json");
  char *text = vp_test_read_file(good, NULL);
  vp_test_write_text(other_name, text);
  /* Broken, foreign and hostile files with the extension are skipped. */
  size_t n = strlen(text);
  char *truncated = vp_test_join(dir, "truncated.vprecovery");
  assert_true(vp_test_write_file(truncated, text, n / 2));
  char *garbage = vp_test_join(dir, "garbage.vprecovery");
  assert_true(vp_test_write_file(garbage, "\0\xff\xfe binary", 10));
  char *foreign = vp_test_join(dir, "foreign.vprecovery");
  vp_test_write_text(foreign, "{\"format\": \"something-else\", \"pid\": 2}");
  char *nested = vp_test_join(dir, "deep.vprecovery");
  FILE *f = fopen(nested, "w");
  assert_non_null(f);
  for (int i = 0; i < 100000; i++)
    fputc('[', f);
  fclose(f);
  char *folder = vp_test_join(dir, "folder.vprecovery");
  assert_int_equal(mkdir(folder, 0755), 0);
  char *bare = vp_test_join(dir, VP_RECOVERY_EXTENSION); /* only the extension */
  vp_test_write_text(bare, text);
  size_t count = 0;
  VpError err = {0};
  VpRecoveryInfo *list = vp_recovery_list_orphans(dir, &count, &err);
  assert_int_equal(err.code, VP_OK);
  assert_int_equal(count, 1);
  assert_string_equal(list[0].path, good);
  vp_recovery_list_free(list, count);
  free(bare);
  free(folder);
  free(nested);
  free(foreign);
  free(garbage);
  free(truncated);
  free(other_name);
  free(text);
  free(good);
  vp_plan_free(plan);
  free(dir);
}

static void test_orphans_of_missing_or_empty_folder_are_none(void **state)
{
  char *dir = recovery_dir("recovery-none");
  char *missing = vp_test_join(dir, "missing");
  size_t count = 5;
  VpError err = {0};
  assert_null(vp_recovery_list_orphans(missing, &count, &err));
  assert_int_equal(count, 0);
  assert_int_equal(err.code, VP_OK);
  count = 5;
  assert_null(vp_recovery_list_orphans(dir, &count, &err));
  assert_int_equal(count, 0);
  assert_int_equal(err.code, VP_OK);
  free(missing);
  free(dir);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_undo_and_redo_restore_every_state_exactly),
      cmocka_unit_test(test_undo_restores_measurement_values_bit_for_bit),
      cmocka_unit_test(test_new_edit_clears_redo),
      cmocka_unit_test(test_labels_follow_undo_and_redo),
      cmocka_unit_test(test_commit_of_unchanged_plan_records_nothing),
      cmocka_unit_test(test_begin_while_an_edit_is_open_fails),
      cmocka_unit_test(test_commit_without_begin_fails),
      cmocka_unit_test(test_cancel_restores_the_plan_exactly),
      cmocka_unit_test(test_revision_never_repeats),
      cmocka_unit_test(test_history_keeps_the_newest_max_undo_steps),
      cmocka_unit_test(test_new_document_is_not_modified),
      cmocka_unit_test(test_modified_follows_the_saved_history_position),
      cmocka_unit_test(test_saved_state_forgotten_from_history_stays_modified),
      cmocka_unit_test(test_set_modified_until_saved),
      cmocka_unit_test(test_saved_file_is_the_plan),
      cmocka_unit_test(test_save_into_missing_folder_changes_nothing),
      cmocka_unit_test(test_save_over_old_file_in_read_only_folder_keeps_it),
      cmocka_unit_test(test_save_under_a_file_changes_nothing),
      cmocka_unit_test(test_save_while_editing_fails),
      cmocka_unit_test(test_plan_copy_writes_the_same_document),
      cmocka_unit_test(test_plan_equal_sees_every_change),
      cmocka_unit_test(test_recovery_path_names_pid_and_window),
      cmocka_unit_test(test_recovery_round_trip_keeps_plan_and_info),
      cmocka_unit_test(test_recovery_without_document_path_and_new_folders),
      cmocka_unit_test(test_recovery_remove_is_quiet_about_missing_files),
      cmocka_unit_test(test_process_alive),
      cmocka_unit_test(test_recovery_read_refuses_bad_files_clearly),
      cmocka_unit_test(test_recovery_read_refuses_truncated_file),
      cmocka_unit_test(test_orphans_are_files_of_dead_processes_newest_first),
      cmocka_unit_test(test_orphans_skip_foreign_and_broken_files),
      cmocka_unit_test(test_orphans_of_missing_or_empty_folder_are_none),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
