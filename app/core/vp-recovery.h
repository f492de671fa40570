/* Autosave and crash recovery: a recovery file holds a copy of the plan being
 * edited, the path of the document it belongs to (or none) and the process
 * that wrote it. A file left by a process that is no longer running is work
 * to offer back to the user at the next start.
 *
 * The file is JSON: {"format": "vertebra-planner-recovery", "version": 1,
 * "document_path": "..." | null, "pid": 1234, "saved_at": unix seconds,
 * "plan": { ...the plan document... }}. Written atomically. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vp-error.h"
#include "vp-plan.h"

#define VP_RECOVERY_FORMAT_NAME "vertebra-planner-recovery"
#define VP_RECOVERY_EXTENSION ".vprecovery"

typedef struct VpRecoveryInfo {
  char *path;          /* the recovery file */
  char *document_path; /* the plan file it belongs to, or NULL when never saved */
  long pid;            /* process that wrote it */
  int64_t saved_at;    /* seconds since 1970 (UTC) */
  char *case_name;     /* the plan's case name, for the offer ("" when none) */
} VpRecoveryInfo;

void vp_recovery_info_clear(VpRecoveryInfo *info);

/* The recovery file name for this process and a window number, inside dir:
 * "<dir>/<pid>-<window>.vprecovery" (malloc'ed). */
char *vp_recovery_path(const char *dir, long pid, unsigned window);

/* Writes plan (paths absolute) with document_path (may be NULL), this
 * process's id and the time now, atomically; creates dir when missing. */
bool vp_recovery_write(const char *path, const VpPlan *plan, const char *document_path,
                       VpError *err);
/* Reads a recovery file: the plan (sources as stored, absolute) and info
 * (may be NULL; clear it after). */
VpPlan *vp_recovery_read(const char *path, VpRecoveryInfo *info, VpError *err);
/* Removes the file; a missing file is not an error. */
bool vp_recovery_remove(const char *path, VpError *err);

/* Whether a process with this id is running now (false for pid <= 0). */
bool vp_recovery_process_alive(long pid);

/* The recovery files in dir left by processes no longer running, newest
 * first; unreadable or foreign files are skipped, not errors. *count is set;
 * returns NULL with count 0 when there are none or dir does not exist.
 * Free with vp_recovery_list_free(). */
VpRecoveryInfo *vp_recovery_list_orphans(const char *dir, size_t *count, VpError *err);
void vp_recovery_list_free(VpRecoveryInfo *list, size_t count);
