/* The document being edited: a plan, the file it belongs to, whether it has
 * unsaved changes, and the undo/redo history of every edit. The history lives
 * here, below any widget: an edit is made between vp_document_begin_edit()
 * and vp_document_commit(), and the document keeps an exact copy of the plan
 * from before it, so undo restores the plan exactly.
 *
 * Typical use:
 *   VpPlan *plan = vp_document_begin_edit(doc, &err);
 *   vp_plan_add_measurement(plan, &m, &err);   (or any other change)
 *   vp_document_commit(doc, _("Add Distance"), &err);
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vp-error.h"
#include "vp-plan.h"

/* Undo steps kept; the oldest are forgotten beyond this. */
#define VP_DOCUMENT_MAX_UNDO 500

typedef struct VpDocument VpDocument;

/* Takes plan (never NULL), also when it fails. path is the file it was
 * opened from or last saved to (copied), or NULL for a document never saved;
 * a new document is not modified. Returns NULL with err set when memory runs out. */
VpDocument *vp_document_new(VpPlan *plan, const char *path, VpError *err);
void vp_document_free(VpDocument *doc);

/* The plan as it is now; owned by the document, valid until the next edit,
 * undo or redo. */
const VpPlan *vp_document_plan(const VpDocument *doc);
/* NULL when never saved. */
const char *vp_document_path(const VpDocument *doc);

/* ---- Editing ---- */

/* Starts an edit: remembers the plan as it is and returns it for changing.
 * Fails (VP_ERR_INVALID) while another edit is open. */
VpPlan *vp_document_begin_edit(VpDocument *doc, VpError *err);
/* Ends the edit, recording one undo step named label (a short translated
 * phrase: "Add Distance") and clearing the redo history. An edit that
 * changed nothing records nothing, keeps the redo history and returns true.
 * When memory runs out the change is undone (as by cancel) and it fails. */
bool vp_document_commit(VpDocument *doc, const char *label, VpError *err);
/* Ends the edit and puts the plan back as it was before it (a new object:
 * fetch it again with vp_document_plan()). */
void vp_document_cancel_edit(VpDocument *doc);

bool vp_document_can_undo(const VpDocument *doc);
bool vp_document_can_redo(const VpDocument *doc);
/* The label of the step undo (redo) would revert (repeat), or NULL. */
const char *vp_document_undo_label(const VpDocument *doc);
const char *vp_document_redo_label(const VpDocument *doc);
/* False (and nothing changes) when there is nothing to undo or redo, or
 * while an edit is open. */
bool vp_document_undo(VpDocument *doc);
bool vp_document_redo(VpDocument *doc);

/* Changes with every commit, undo and redo (never repeats a value), so a
 * caller can tell whether anything happened since it last looked. */
uint64_t vp_document_revision(const VpDocument *doc);
/* Unsaved changes: the plan differs in history position from the last save
 * (undoing back to the saved state makes it unmodified again). */
bool vp_document_is_modified(const VpDocument *doc);

/* ---- Files ---- */

/* Writes the plan to path atomically (vp_plan_save); on success path becomes
 * the document's and the document is unmodified. path NULL means the
 * document's own path. On failure the old file is untouched and the document
 * unchanged. Fails (VP_ERR_INVALID) while an edit is open. */
bool vp_document_save(VpDocument *doc, const char *path, VpError *err);
/* Marks the document modified (e.g. recovered from an autosave). */
void vp_document_set_modified(VpDocument *doc);
