/* Recovery files: autosaved copies of the plan being edited, and finding
 * those left behind by a process that is no longer running. */
#include "vp-recovery.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "vp-intl-private.h"

#define RECOVERY_FORMAT_VERSION 1
/* The plan inside is indented one level deeper than in a plan file, and the
 * rest is a few short keys: twice a plan's limit is room enough. */
#define RECOVERY_MAX_FILE_BYTES (2 * VP_PLAN_MAX_FILE_BYTES)
/* JSON numbers are doubles: whole numbers are exact up to 2^53. */
#define JSON_MAX_EXACT_INTEGER 9007199254740992.0

void vp_recovery_info_clear(VpRecoveryInfo *info)
{
  if (!info)
    return;
  free(info->path);
  free(info->document_path);
  free(info->case_name);
  memset(info, 0, sizeof *info);
}

char *vp_recovery_path(const char *dir, long pid, unsigned window)
{
#define RECOVERY_NAME_FORMAT "%s/%ld-%u" VP_RECOVERY_EXTENSION
  int n = snprintf(NULL, 0, RECOVERY_NAME_FORMAT, dir, pid, window);
  char *path = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (path)
    snprintf(path, (size_t)n + 1, RECOVERY_NAME_FORMAT, dir, pid, window);
  return path;
#undef RECOVERY_NAME_FORMAT
}

/* ---- writing ---- */

/* mkdir -p: every missing folder on the way to dir, readable only by the
 * user, since a plan names patients' files. */
static bool make_dirs(const char *dir, VpError *err)
{
  char *path = strdup(dir);
  if (!path)
    return vp_error_set(err, VP_ERR_NOMEM, _("out of memory for the recovery folder"));
  bool ok = true;
  for (char *p = path + 1; ok; p++) {
    bool end = *p == '\0';
    if (!end && *p != '/')
      continue;
    *p = '\0';
    ok = mkdir(path, 0700) == 0 || errno == EEXIST;
    if (!ok)
      vp_error_set(err, VP_ERR_IO, _("could not create the folder %s: %s"), path, strerror(errno));
    if (end)
      break;
    *p = '/';
  }
  free(path);
  return ok;
}

static bool make_parent_dirs(const char *path, VpError *err)
{
  const char *slash = strrchr(path, '/');
  if (!slash || slash == path)
    return true; /* the current folder or the root */
  char *dir = strndup(path, (size_t)(slash - path));
  if (!dir)
    return vp_error_set(err, VP_ERR_NOMEM, _("out of memory for the recovery folder"));
  bool ok = make_dirs(dir, err);
  free(dir);
  return ok;
}

/* The fields around the plan, as JSON text without its closing brace. */
static char *header_text(const char *document_path)
{
  cJSON *root = cJSON_CreateObject();
  bool ok = root && cJSON_AddStringToObject(root, "format", VP_RECOVERY_FORMAT_NAME) &&
            cJSON_AddNumberToObject(root, "version", RECOVERY_FORMAT_VERSION) &&
            (document_path ? cJSON_AddStringToObject(root, "document_path", document_path)
                           : cJSON_AddNullToObject(root, "document_path")) &&
            cJSON_AddNumberToObject(root, "pid", (double)getpid()) &&
            cJSON_AddNumberToObject(root, "saved_at", (double)time(NULL));
  char *printed = ok ? cJSON_Print(root) : NULL;
  cJSON_Delete(root);
  char *text = printed ? strdup(printed) : NULL;
  cJSON_free(printed);
  char *close = text ? strrchr(text, '}') : NULL;
  if (close)
    *close = '\0';
  return text;
}

/* The plan goes in as the text vp_plan_to_json() wrote, not through a cJSON
 * tree, which would print its numbers less exactly. */
static char *recovery_text(const VpPlan *plan, const char *document_path, VpError *err)
{
  char *plan_text = vp_plan_to_json(plan, NULL, err);
  if (!plan_text)
    return NULL;
  char *header = header_text(document_path);
  static const char key[] = ",\n\t\"plan\": ";
  size_t size = header ? strlen(header) + sizeof key + strlen(plan_text) + 2 : 0;
  char *text = header ? malloc(size) : NULL;
  if (text) {
    /* header ends in the newline after the last field */
    size_t n = strlen(header);
    while (n > 0 && header[n - 1] == '\n')
      n--;
    snprintf(text, size, "%.*s%s%s}\n", (int)n, header, key, plan_text);
  }
  free(header);
  free(plan_text);
  if (!text)
    vp_error_set(err, VP_ERR_NOMEM, _("out of memory writing the recovery file"));
  return text;
}

bool vp_recovery_write(const char *path, const VpPlan *plan, const char *document_path,
                       VpError *err)
{
  if (!make_parent_dirs(path, err))
    return false;
  char *text = recovery_text(plan, document_path, err);
  bool ok = text && vp_file_write_atomic(path, text, strlen(text), err);
  free(text);
  return ok;
}

/* ---- reading ---- */

static bool whole_number(const cJSON *root, const char *key, double min, double max, double *out,
                         VpError *err)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, key);
  if (!item)
    return vp_error_set(err, VP_ERR_FORMAT, _("\"%s\" is missing"), key);
  if (!cJSON_IsNumber(item) || item->valuedouble != floor(item->valuedouble) ||
      item->valuedouble < min || item->valuedouble > max)
    return vp_error_set(err, VP_ERR_FORMAT, _("\"%s\" must be a whole number from %.0f to %.0f"),
                        key, min, max);
  *out = item->valuedouble;
  return true;
}

static bool check_header(const cJSON *root, VpError *err)
{
  const cJSON *format = cJSON_GetObjectItemCaseSensitive(root, "format");
  if (!cJSON_IsString(format) || strcmp(format->valuestring, VP_RECOVERY_FORMAT_NAME) != 0)
    return vp_error_set(err, VP_ERR_FORMAT, _("not a Vertebra Planner recovery file"));
  double version = 0;
  if (!whole_number(root, "version", 1, JSON_MAX_EXACT_INTEGER, &version, err))
    return false;
  if (version > RECOVERY_FORMAT_VERSION)
    return vp_error_set(err, VP_ERR_FORMAT,
                        _("this recovery file was written by a newer version of Vertebra Planner"));
  return true;
}

static bool read_document_path(const cJSON *root, char **out, VpError *err)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, "document_path");
  *out = NULL;
  if (!item)
    return vp_error_set(err, VP_ERR_FORMAT, _("\"%s\" is missing"), "document_path");
  if (cJSON_IsNull(item))
    return true;
  if (!cJSON_IsString(item) || !item->valuestring[0])
    return vp_error_set(err, VP_ERR_FORMAT,
                        _("\"%s\" must be the plan's file name or null"), "document_path");
  *out = strdup(item->valuestring);
  return *out ? true : vp_error_set(err, VP_ERR_NOMEM, _("out of memory reading the recovery file"));
}

/* Replaces the numbers under item by their exact text, so printing the
 * tree again gives back every bit of them. */
static bool numbers_to_exact_text(cJSON *item)
{
  for (cJSON *child = item->child, *next; child; child = next) {
    next = child->next;
    char text[VP_PLAN_NUMBER_SIZE];
    if (cJSON_IsNumber(child) && vp_plan_format_number(child->valuedouble, text)) {
      cJSON *raw = cJSON_CreateRaw(text);
      if (raw) { /* the key moves over; parsed keys are never const */
        raw->string = child->string;
        child->string = NULL;
      }
      if (!raw || !cJSON_ReplaceItemViaPointer(item, child, raw)) {
        cJSON_Delete(raw);
        return false;
      }
    } else if (!numbers_to_exact_text(child)) {
      return false;
    }
  }
  return true;
}

/* The plan object, printed and read as a plan document. */
static VpPlan *read_plan(cJSON *root, VpError *err)
{
  cJSON *item = cJSON_GetObjectItemCaseSensitive(root, "plan");
  if (!cJSON_IsObject(item)) {
    vp_error_set(err, VP_ERR_FORMAT, _("\"%s\" must be a plan (an object)"), "plan");
    return NULL;
  }
  char *printed = numbers_to_exact_text(item) ? cJSON_PrintUnformatted(item) : NULL;
  if (!printed) {
    vp_error_set(err, VP_ERR_NOMEM, _("out of memory reading the recovery file"));
    return NULL;
  }
  VpPlan *plan = vp_plan_from_json(printed, NULL, err);
  cJSON_free(printed);
  if (!plan)
    vp_error_prefix(err, "\"plan\"");
  return plan;
}

static VpPlan *read_root(cJSON *root, VpRecoveryInfo *info, VpError *err)
{
  double pid = 0, saved_at = 0;
  char *document_path = NULL;
  if (!cJSON_IsObject(root)) {
    vp_error_set(err, VP_ERR_FORMAT, _("not a Vertebra Planner recovery file"));
    return NULL;
  }
  if (!check_header(root, err) || !whole_number(root, "pid", 1, INT_MAX, &pid, err) ||
      !whole_number(root, "saved_at", -JSON_MAX_EXACT_INTEGER, JSON_MAX_EXACT_INTEGER, &saved_at,
                    err) ||
      !read_document_path(root, &document_path, err))
    return NULL;
  VpPlan *plan = read_plan(root, err);
  if (plan && info) {
    info->document_path = document_path;
    document_path = NULL;
    info->pid = (long)pid;
    info->saved_at = (int64_t)saved_at;
    info->case_name = strdup(plan->case_info.name ? plan->case_info.name : "");
    if (!info->case_name) {
      vp_plan_free(plan);
      plan = NULL;
      vp_error_set(err, VP_ERR_NOMEM, _("out of memory reading the recovery file"));
    }
  }
  free(document_path);
  return plan;
}

VpPlan *vp_recovery_read(const char *path, VpRecoveryInfo *info, VpError *err)
{
  if (info)
    memset(info, 0, sizeof *info);
  size_t size = 0;
  char *text = vp_file_read_all(path, RECOVERY_MAX_FILE_BYTES, &size, err);
  if (!text)
    return NULL;
  cJSON *root = memchr(text, '\0', size) ? NULL : cJSON_ParseWithOpts(text, NULL, true);
  free(text);
  VpPlan *plan = NULL;
  if (!root)
    vp_error_set(err, VP_ERR_FORMAT, _("not a Vertebra Planner recovery file: not JSON text"));
  else
    plan = read_root(root, info, err);
  cJSON_Delete(root);
  if (plan && info && !(info->path = strdup(path))) {
    vp_error_set(err, VP_ERR_NOMEM, _("out of memory reading the recovery file"));
    vp_plan_free(plan);
    plan = NULL;
  }
  if (!plan) {
    vp_recovery_info_clear(info);
    vp_error_prefix(err, "%s", path);
  }
  return plan;
}

bool vp_recovery_remove(const char *path, VpError *err)
{
  if (unlink(path) == 0 || errno == ENOENT)
    return true;
  return vp_error_set(err, VP_ERR_IO, _("could not remove %s: %s"), path, strerror(errno));
}

bool vp_recovery_process_alive(long pid)
{
  if (pid <= 0 || pid > INT_MAX)
    return false;
  /* Signal 0 only asks: EPERM means a process of another user holds the id. */
  return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/* ---- orphans ---- */

static bool has_recovery_extension(const char *name)
{
  size_t n = strlen(name), ext = strlen(VP_RECOVERY_EXTENSION);
  return n > ext && strcmp(name + n - ext, VP_RECOVERY_EXTENSION) == 0;
}

/* Newest first; the path breaks ties so the order is the same every time. */
static int compare_newest_first(const void *a, const void *b)
{
  const VpRecoveryInfo *x = a, *y = b;
  if (x->saved_at != y->saved_at)
    return x->saved_at > y->saved_at ? -1 : 1;
  return strcmp(x->path, y->path);
}

/* Reads the file's info when it is a recovery file of a process that is no
 * longer running; false to skip it. */
static bool orphan_info(const char *path, VpRecoveryInfo *info)
{
  VpPlan *plan = vp_recovery_read(path, info, NULL);
  if (!plan)
    return false;
  vp_plan_free(plan);
  if (info->pid == (long)getpid() || vp_recovery_process_alive(info->pid)) {
    vp_recovery_info_clear(info);
    return false;
  }
  return true;
}

static bool list_append(VpRecoveryInfo **list, size_t *count, size_t *capacity,
                        const VpRecoveryInfo *info)
{
  if (*count == *capacity) {
    size_t grown = *capacity ? 2 * *capacity : 8;
    VpRecoveryInfo *bigger = realloc(*list, grown * sizeof *bigger);
    if (!bigger)
      return false;
    *list = bigger;
    *capacity = grown;
  }
  (*list)[(*count)++] = *info;
  return true;
}

static char *join_path(const char *dir, const char *name)
{
  size_t nd = strlen(dir), nn = strlen(name);
  char *path = malloc(nd + nn + 2);
  if (path) {
    memcpy(path, dir, nd);
    path[nd] = '/';
    memcpy(path + nd + 1, name, nn + 1);
  }
  return path;
}

VpRecoveryInfo *vp_recovery_list_orphans(const char *dir, size_t *count, VpError *err)
{
  *count = 0;
  DIR *d = opendir(dir);
  if (!d) {
    if (errno != ENOENT)
      vp_error_set(err, VP_ERR_IO, _("could not look into %s: %s"), dir, strerror(errno));
    return NULL;
  }
  VpRecoveryInfo *list = NULL;
  size_t capacity = 0;
  bool ok = true;
  for (struct dirent *e; ok && (e = readdir(d));) {
    if (!has_recovery_extension(e->d_name))
      continue;
    char *path = join_path(dir, e->d_name);
    VpRecoveryInfo info = {0};
    ok = path != NULL;
    if (ok && orphan_info(path, &info) && !list_append(&list, count, &capacity, &info)) {
      vp_recovery_info_clear(&info);
      ok = false;
    }
    free(path);
  }
  closedir(d);
  if (!ok) {
    vp_recovery_list_free(list, *count);
    *count = 0;
    vp_error_set(err, VP_ERR_NOMEM, _("out of memory listing the recovery files"));
    return NULL;
  }
  if (*count > 1)
    qsort(list, *count, sizeof *list, compare_newest_first);
  return list;
}

void vp_recovery_list_free(VpRecoveryInfo *list, size_t count)
{
  for (size_t i = 0; list && i < count; i++)
    vp_recovery_info_clear(&list[i]);
  free(list);
}
