/* Reads the teaching cases' index, cases.json, from the cases folder, with
 * titles and notes translated through the core's table of bundled cases. */
#include "vp-teaching-cases.h"

#include <cjson/cJSON.h>
#include <gio/gio.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

#include "vp-config.h"
#include "vp-phantom.h"

#define INDEX_NAME "cases.json"
#define INDEX_FORMAT "vertebra-planner-cases"
/* The index of a few dozen cases is a few kB; anything far larger is not ours. */
#define MAX_INDEX_BYTES (1024 * 1024)

char *vp_teaching_cases_dir(void)
{
  const char *dir = g_getenv("VP_CASES_DIR");
  if (dir && dir[0])
    return g_strdup(dir);
  return g_build_filename(VP_PKGDATADIR, "cases", NULL);
}

static void entry_free(VpTeachingCaseEntry *entry)
{
  g_free(entry->id);
  g_free(entry->title);
  g_free(entry->level);
  g_free(entry->path);
  g_free(entry);
}

static const char *string_item(const cJSON *object, const char *key)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, key);
  return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* The bundled case's title in the user's language; a case the table does not
 * know keeps the index's title. */
static char *translated_title(const char *id, const char *title)
{
  const VpTeachingCase *known = vp_teaching_case_find(id);
  if (known)
    return g_strdup(_(known->title));
  return g_strdup(title ? title : id);
}

/* The plan must be a file in the folder itself: the index cannot point elsewhere. */
static gboolean is_plain_name(const char *name)
{
  return name && name[0] && !strchr(name, '/') && !strchr(name, '\\') &&
         !g_str_equal(name, ".") && !g_str_equal(name, "..");
}

static VpTeachingCaseEntry *entry_from_json(const cJSON *item, const char *dir, GError **error)
{
  const char *id = string_item(item, "id");
  const char *file = string_item(item, "file");
  const char *level = string_item(item, "level");
  if (!id || !id[0] || !is_plain_name(file)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                _("A case in the teaching cases’ index has no id or no plan file name."));
    return NULL;
  }
  VpTeachingCaseEntry *entry = g_new0(VpTeachingCaseEntry, 1);
  entry->id = g_strdup(id);
  entry->title = translated_title(id, string_item(item, "title"));
  entry->level = g_strdup(level ? level : "");
  entry->path = g_build_filename(dir, file, NULL);
  return entry;
}

static gboolean parse_cases(const cJSON *root, const char *dir, GPtrArray *cases, GError **error)
{
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "cases");
  if (g_strcmp0(string_item(root, "format"), INDEX_FORMAT) != 0 || !cJSON_IsArray(list)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                _("The teaching cases’ index is not a list of cases."));
    return FALSE;
  }
  const cJSON *item;
  cJSON_ArrayForEach(item, list)
  {
    VpTeachingCaseEntry *entry = entry_from_json(item, dir, error);
    if (!entry)
      return FALSE;
    g_ptr_array_add(cases, entry);
  }
  return TRUE;
}

static char *read_index(const char *path, gsize *length, GError **error)
{
  GStatBuf st;
  if (g_stat(path, &st) == 0 && st.st_size > MAX_INDEX_BYTES) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                _("The teaching cases’ index “%s” is too large to be one."), path);
    return NULL;
  }
  char *text = NULL;
  if (!g_file_get_contents(path, &text, length, error))
    return NULL;
  return text;
}

GPtrArray *vp_teaching_cases_load(const char *dir, GError **error)
{
  g_return_val_if_fail(dir != NULL, NULL);
  GPtrArray *cases = g_ptr_array_new_with_free_func((GDestroyNotify)entry_free);
  g_autofree char *path = g_build_filename(dir, INDEX_NAME, NULL);
  if (!g_file_test(path, G_FILE_TEST_EXISTS))
    return cases;
  gsize length = 0;
  g_autofree char *text = read_index(path, &length, error);
  cJSON *root = text ? cJSON_ParseWithLength(text, length) : NULL;
  if (text && !root)
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                _("The teaching cases’ index “%s” is not valid JSON."), path);
  gboolean ok = root && parse_cases(root, dir, cases, error);
  cJSON_Delete(root);
  if (!ok)
    g_clear_pointer(&cases, g_ptr_array_unref);
  return cases;
}

const VpTeachingCaseEntry *vp_teaching_cases_find(GPtrArray *cases, const char *id)
{
  for (guint i = 0; cases && id && i < cases->len; i++) {
    const VpTeachingCaseEntry *entry = g_ptr_array_index(cases, i);
    if (g_str_equal(entry->id, id))
      return entry;
  }
  return NULL;
}

/* A bundled note is stored in the plan exactly as in the core's table, which
 * is the message id, so looking the text itself up finds its translation;
 * a note someone wrote for their own case has none and stays as written. */
char *vp_teaching_note_display(const char *note)
{
  if (!note || !note[0]) /* gettext("") is the catalogue's header */
    return NULL;
  return g_strdup(_(note));
}
