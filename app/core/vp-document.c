/* The document being edited: the plan, its file, and an undo/redo history
 * of exact snapshots of the plan. */
#include "vp-document.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "vp-intl-private.h"

/* One step of the history: the plan on the other side of the step and the
 * step's name. On the undo stack plan is the state before the step; on the
 * redo stack the state after it. */
typedef struct HistoryStep {
  VpPlan *plan;
  char *label;
} HistoryStep;

struct VpDocument {
  VpPlan *plan;
  char *path;
  VpPlan *before_edit; /* snapshot while an edit is open, else NULL */
  /* Both stacks hold at most VP_DOCUMENT_MAX_UNDO steps, allocated up
   * front so undo, redo and commit never run out of room halfway. */
  HistoryStep *undo;
  size_t undo_count;
  HistoryStep *redo;
  size_t redo_count;
  /* Steps forgotten from the bottom of the undo stack: the history
   * position dropped + undo_count counts steps since the document opened,
   * so it still identifies the saved state after old steps go. */
  uint64_t dropped;
  uint64_t saved_position;
  bool saved_reachable; /* false once the saved state left the history */
  uint64_t revision;
};

static void step_clear(HistoryStep *step)
{
  vp_plan_free(step->plan);
  free(step->label);
  step->plan = NULL;
  step->label = NULL;
}

static uint64_t history_position(const VpDocument *doc)
{
  return doc->dropped + doc->undo_count;
}

VpDocument *vp_document_new(VpPlan *plan, const char *path, VpError *err)
{
  assert(plan != NULL);
  VpDocument *doc = calloc(1, sizeof *doc);
  if (doc) {
    doc->plan = plan;
    doc->undo = calloc(VP_DOCUMENT_MAX_UNDO, sizeof *doc->undo);
    doc->redo = calloc(VP_DOCUMENT_MAX_UNDO, sizeof *doc->redo);
    doc->path = path ? strdup(path) : NULL;
    doc->saved_reachable = true; /* position 0, as opened */
  }
  if (!doc || !doc->undo || !doc->redo || (path && !doc->path)) {
    if (doc)
      vp_document_free(doc);
    else
      vp_plan_free(plan);
    vp_error_set(err, VP_ERR_NOMEM, _("out of memory for a new document"));
    return NULL;
  }
  return doc;
}

static void redo_clear(VpDocument *doc)
{
  for (size_t i = 0; i < doc->redo_count; i++)
    step_clear(&doc->redo[i]);
  doc->redo_count = 0;
}

void vp_document_free(VpDocument *doc)
{
  if (!doc)
    return;
  for (size_t i = 0; i < doc->undo_count; i++)
    step_clear(&doc->undo[i]);
  redo_clear(doc);
  free(doc->undo);
  free(doc->redo);
  vp_plan_free(doc->before_edit);
  vp_plan_free(doc->plan);
  free(doc->path);
  free(doc);
}

const VpPlan *vp_document_plan(const VpDocument *doc)
{
  return doc->plan;
}

const char *vp_document_path(const VpDocument *doc)
{
  return doc->path;
}

/* ---- Editing ---- */

VpPlan *vp_document_begin_edit(VpDocument *doc, VpError *err)
{
  if (doc->before_edit) {
    vp_error_set(err, VP_ERR_INVALID, _("another change to the plan is still being made"));
    return NULL;
  }
  doc->before_edit = vp_plan_copy(doc->plan, err);
  return doc->before_edit ? doc->plan : NULL;
}

void vp_document_cancel_edit(VpDocument *doc)
{
  if (!doc->before_edit)
    return;
  vp_plan_free(doc->plan);
  doc->plan = doc->before_edit;
  doc->before_edit = NULL;
  doc->revision++; /* the plan is another object now */
}

/* Makes room on the undo stack by forgetting the oldest step. */
static void undo_forget_oldest(VpDocument *doc)
{
  step_clear(&doc->undo[0]);
  memmove(&doc->undo[0], &doc->undo[1], (doc->undo_count - 1) * sizeof doc->undo[0]);
  doc->undo_count--;
  doc->dropped++;
}

bool vp_document_commit(VpDocument *doc, const char *label, VpError *err)
{
  if (!doc->before_edit)
    return vp_error_set(err, VP_ERR_INVALID, _("there is no change to the plan to finish"));
  if (vp_plan_equal(doc->before_edit, doc->plan)) {
    vp_plan_free(doc->before_edit);
    doc->before_edit = NULL;
    return true;
  }
  char *name = strdup(label ? label : "");
  if (!name) {
    vp_document_cancel_edit(doc);
    return vp_error_set(err, VP_ERR_NOMEM, _("out of memory recording the change; it was undone"));
  }
  /* A saved state only reachable by redo is gone once redo is cleared. */
  if (doc->saved_position > history_position(doc))
    doc->saved_reachable = false;
  redo_clear(doc);
  if (doc->undo_count == VP_DOCUMENT_MAX_UNDO)
    undo_forget_oldest(doc);
  doc->undo[doc->undo_count++] = (HistoryStep){doc->before_edit, name};
  doc->before_edit = NULL;
  doc->revision++;
  return true;
}

bool vp_document_can_undo(const VpDocument *doc)
{
  return !doc->before_edit && doc->undo_count > 0;
}

bool vp_document_can_redo(const VpDocument *doc)
{
  return !doc->before_edit && doc->redo_count > 0;
}

const char *vp_document_undo_label(const VpDocument *doc)
{
  return vp_document_can_undo(doc) ? doc->undo[doc->undo_count - 1].label : NULL;
}

const char *vp_document_redo_label(const VpDocument *doc)
{
  return vp_document_can_redo(doc) ? doc->redo[doc->redo_count - 1].label : NULL;
}

/* Moves the top step of from onto to, swapping its plan with the current
 * one. No allocation, so it cannot fail halfway. */
static void step_across(VpDocument *doc, HistoryStep *from, size_t *from_count, HistoryStep *to,
                        size_t *to_count)
{
  HistoryStep step = from[--*from_count];
  to[(*to_count)++] = (HistoryStep){doc->plan, step.label};
  doc->plan = step.plan;
  doc->revision++;
}

bool vp_document_undo(VpDocument *doc)
{
  if (!vp_document_can_undo(doc))
    return false;
  step_across(doc, doc->undo, &doc->undo_count, doc->redo, &doc->redo_count);
  return true;
}

bool vp_document_redo(VpDocument *doc)
{
  if (!vp_document_can_redo(doc))
    return false;
  step_across(doc, doc->redo, &doc->redo_count, doc->undo, &doc->undo_count);
  return true;
}

uint64_t vp_document_revision(const VpDocument *doc)
{
  return doc->revision;
}

bool vp_document_is_modified(const VpDocument *doc)
{
  return !doc->saved_reachable || doc->saved_position != history_position(doc);
}

/* ---- Files ---- */

bool vp_document_save(VpDocument *doc, const char *path, VpError *err)
{
  if (doc->before_edit)
    return vp_error_set(err, VP_ERR_INVALID,
                        _("could not save while a change to the plan is still being made"));
  if (!path)
    path = doc->path;
  if (!path)
    return vp_error_set(err, VP_ERR_INVALID, _("could not save: the plan has no file name yet"));
  /* Copied first, so running out of memory cannot follow a written file. */
  char *copy = strdup(path);
  if (!copy)
    return vp_error_set(err, VP_ERR_NOMEM, _("out of memory saving the plan"));
  if (!vp_plan_save(doc->plan, copy, err)) {
    free(copy);
    return false;
  }
  free(doc->path);
  doc->path = copy;
  doc->saved_position = history_position(doc);
  doc->saved_reachable = true;
  return true;
}

void vp_document_set_modified(VpDocument *doc)
{
  doc->saved_reachable = false;
}
