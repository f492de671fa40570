/* Placeholder: being written. */
#include "vp-document.h"

VpDocument *vp_document_new(VpPlan *plan, const char *path, VpError *err)
{
  return NULL;
}

void vp_document_free(VpDocument *doc)
{
  
}

const VpPlan *vp_document_plan(const VpDocument *doc)
{
  return NULL;
}

const char *vp_document_path(const VpDocument *doc)
{
  return NULL;
}

VpPlan *vp_document_begin_edit(VpDocument *doc, VpError *err)
{
  return NULL;
}

bool vp_document_commit(VpDocument *doc, const char *label, VpError *err)
{
  return 0;
}

void vp_document_cancel_edit(VpDocument *doc)
{
  
}

bool vp_document_can_undo(const VpDocument *doc)
{
  return 0;
}

bool vp_document_can_redo(const VpDocument *doc)
{
  return 0;
}

const char *vp_document_undo_label(const VpDocument *doc)
{
  return NULL;
}

const char *vp_document_redo_label(const VpDocument *doc)
{
  return NULL;
}

bool vp_document_undo(VpDocument *doc)
{
  return 0;
}

bool vp_document_redo(VpDocument *doc)
{
  return 0;
}

uint64_t vp_document_revision(const VpDocument *doc)
{
  return 0;
}

bool vp_document_is_modified(const VpDocument *doc)
{
  return 0;
}

bool vp_document_save(VpDocument *doc, const char *path, VpError *err)
{
  return 0;
}

void vp_document_set_modified(VpDocument *doc)
{
  
}
