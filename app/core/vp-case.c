/* Cases: one vertebra as a surface, with the CT and label mask it came from,
 * made from a mesh file, a mask or a plan; and telling files apart by content. */
#include "vp-case.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "vp-intl-private.h"
#include "vp-mesh-private.h"

/* Enough of a file's start to recognise every supported format. */
#define SNIFF_BYTES 4096
/* The largest NIfTI header (NIfTI-2) and its 4 extension bytes. */
#define NIFTI_HEAD_BYTES 544

/* Masks hold small label numbers. 128 distinct values leave room for
 * whole-body segmentations (over 100 structures) while an image with its
 * hundreds of grey values is never taken for a mask. */
#define MASK_LABEL_LIMIT 1000
#define MASK_DISTINCT_LIMIT 128
#define MASK_INTEGER_TOLERANCE 1e-3

/* Two grids are the same when every corner voxel centre agrees this well. */
#define SAME_GRID_TOLERANCE_MM 1e-3

/* ======================================================================
 * Small path helpers (ASCII case-insensitive, locale-independent)
 * ====================================================================== */

static char lower_ascii(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

static bool ends_with(const char *s, size_t n, const char *suffix)
{
  size_t k = strlen(suffix);
  if (n < k)
    return false;
  for (size_t i = 0; i < k; i++)
    if (lower_ascii(s[n - k + i]) != lower_ascii(suffix[i]))
      return false;
  return true;
}

static bool has_extension(const char *path, const char *ext)
{
  return ends_with(path, strlen(path), ext);
}

static const char *base_name(const char *path)
{
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

/* Length of the file name without its extension (".nii.gz" counts as one). */
static size_t stem_length(const char *name)
{
  size_t n = strlen(name);
  if (ends_with(name, n, ".nii.gz"))
    return n - 7;
  const char *dot = strrchr(name, '.');
  return dot && dot != name ? (size_t)(dot - name) : n;
}

static bool is_regular_file(const char *path)
{
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Removes "." components, empty components and "x/.." pairs of an absolute
 * path in place, so the paths shown read like the ones the user typed. */
static void path_normalize(char *path)
{
  size_t kept = 0; /* bytes of output, written as "/name" per component */
  const char *in = path;
  while (*in) {
    while (*in == '/')
      in++;
    size_t len = strcspn(in, "/");
    if (len == 2 && in[0] == '.' && in[1] == '.') {
      while (kept > 0 && path[--kept] != '/')
        ;
    } else if (len > 0 && !(len == 1 && in[0] == '.')) {
      path[kept++] = '/'; /* at least one '/' was skipped, so this never overtakes in */
      memmove(path + kept, in, len);
      kept += len;
    }
    in += len;
  }
  if (kept == 0)
    path[kept++] = '/';
  path[kept] = '\0';
}

/* path made absolute against the current folder, malloc'ed; NULL when memory
 * runs out or the current folder is unknown. */
static char *path_absolute(const char *path)
{
  char *cwd = NULL;
  if (path[0] != '/') {
    size_t size = 256;
    while (!cwd) {
      char *buf = malloc(size);
      if (!buf)
        return NULL;
      if (getcwd(buf, size))
        cwd = buf;
      else {
        free(buf);
        if (errno != ERANGE || size > 65536)
          return NULL;
        size *= 2;
      }
    }
  }
  size_t n = (cwd ? strlen(cwd) + 1 : 0) + strlen(path) + 1;
  char *abs = malloc(n);
  if (abs) {
    snprintf(abs, n, "%s%s%s", cwd ? cwd : "", cwd ? "/" : "", path);
    path_normalize(abs);
  }
  free(cwd);
  return abs;
}

/* ======================================================================
 * What a file is
 * ====================================================================== */

/* Reads up to size bytes from the start of a regular file; 0 when it cannot. */
static size_t read_head(const char *path, unsigned char *buf, size_t size,
                        unsigned long long *file_size)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK); /* a FIFO must not block */
  if (fd < 0)
    return 0;
  struct stat st;
  size_t got = 0;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    *file_size = (unsigned long long)st.st_size;
    while (got < size) {
      ssize_t n = read(fd, buf + got, size - got);
      if (n <= 0)
        break;
      got += (size_t)n;
    }
  }
  close(fd);
  return got;
}

static bool nifti_magic(const unsigned char *head, size_t size)
{
  if (size >= 348 && (memcmp(head + 344, "n+1", 4) == 0 || memcmp(head + 344, "ni1", 4) == 0))
    return true;
  return size >= 8 && (memcmp(head + 4, "n+2", 4) == 0 || memcmp(head + 4, "ni2", 4) == 0);
}

/* The start of a gzip stream, decompressed; 0 when it is no gzip stream. The
 * read is bounded, so a compression bomb costs nothing. */
static size_t gunzip_head(const char *path, unsigned char *buf, size_t size)
{
  gzFile gz = gzopen(path, "rb");
  if (!gz)
    return 0;
  int got = gzread(gz, buf, (unsigned)size);
  gzclose(gz);
  return got > 0 ? (size_t)got : 0;
}

static bool contains(const unsigned char *data, size_t size, const char *needle)
{
  size_t k = strlen(needle);
  for (size_t i = 0; i + k <= size; i++)
    if (memcmp(data + i, needle, k) == 0)
      return true;
  return false;
}

static bool looks_like_plan(const unsigned char *head, size_t size)
{
  size_t i = size >= 3 && memcmp(head, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0; /* UTF-8 mark */
  while (i < size && (head[i] == ' ' || head[i] == '\t' || head[i] == '\n' || head[i] == '\r'))
    i++;
  return i < size && head[i] == '{' && contains(head + i, size - i, "\"" VP_PLAN_FORMAT_NAME "\"");
}

static VpFileKind kind_from_content(const char *path, const unsigned char *head, size_t size,
                                    unsigned long long file_size)
{
  if (nifti_magic(head, size))
    return VP_FILE_VOLUME;
  if (size >= 2 && head[0] == 0x1f && head[1] == 0x8b) {
    unsigned char inner[NIFTI_HEAD_BYTES];
    size_t got = gunzip_head(path, inner, sizeof inner);
    if (nifti_magic(inner, got) || has_extension(path, ".nii.gz"))
      return VP_FILE_VOLUME;
    return VP_FILE_UNKNOWN;
  }
  if (looks_like_plan(head, size))
    return VP_FILE_PLAN;
  if (size >= 4 && memcmp(head, "ply", 3) == 0 && (head[3] == '\n' || head[3] == '\r'))
    return VP_FILE_MESH;
  if (size > 0 && vp_mesh_stl_sniff(head, size, file_size))
    return VP_FILE_MESH;
  return VP_FILE_UNKNOWN;
}

static VpFileKind kind_from_extension(const char *path)
{
  static const struct {
    const char *ext;
    VpFileKind kind;
  } table[] = {{".stl", VP_FILE_MESH},      {".obj", VP_FILE_MESH},
               {".ply", VP_FILE_MESH},      {".nii", VP_FILE_VOLUME},
               {".nii.gz", VP_FILE_VOLUME}, {VP_PLAN_EXTENSION, VP_FILE_PLAN}};
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    if (has_extension(path, table[i].ext))
      return table[i].kind;
  return VP_FILE_UNKNOWN;
}

VpFileKind vp_file_kind(const char *path)
{
  if (!path || !*path)
    return VP_FILE_UNKNOWN;
  unsigned char head[SNIFF_BYTES];
  unsigned long long file_size = 0;
  size_t size = read_head(path, head, sizeof head, &file_size);
  VpFileKind kind = kind_from_content(path, head, size, file_size);
  return kind != VP_FILE_UNKNOWN ? kind : kind_from_extension(path);
}

const char *vp_file_kind_name(VpFileKind kind)
{
  switch (kind) {
  case VP_FILE_MESH:
    return "mesh";
  case VP_FILE_VOLUME:
    return "volume";
  case VP_FILE_PLAN:
    return "plan";
  case VP_FILE_UNKNOWN:
    break;
  }
  return "unknown";
}

/* ======================================================================
 * Masks and their companions
 * ====================================================================== */

bool vp_volume_looks_like_mask(const VpVolume *vol)
{
  bool seen[MASK_LABEL_LIMIT] = {false};
  size_t distinct = 0, n = vp_volume_voxel_count(vol);
  /* Stops at the first voxel that rules a mask out: for a CT that is
   * usually the first one (air at -1024 HU). */
  for (size_t at = 0; at < n; at++) {
    double v = vp_volume_value_at(vol, at), r = round(v);
    if (!(r >= 0.0 && r < MASK_LABEL_LIMIT) || fabs(v - r) > MASK_INTEGER_TOLERANCE)
      return false;
    if (!seen[(int)r]) {
      seen[(int)r] = true;
      if (++distinct > MASK_DISTINCT_LIMIT)
        return false;
    }
  }
  return true;
}

/* Name endings that mark a label mask, the VerSe one first. */
static const char *const mask_suffixes[] = {
    "_seg-vert_msk", "_msk",    "_mask",  "-mask",   "_seg",
    "-seg",          "_labels", "_label", "-labels", "-label",
};
static const char *const ct_suffixes[] = {"_ct", "-ct"};
static const char *const nifti_extensions[] = {".nii.gz", ".nii"};

/* Length of stem without the first matching suffix; stem_len when none matches. */
static size_t strip_suffix(const char *stem, size_t stem_len, const char *const *suffixes,
                           size_t count)
{
  for (size_t i = 0; i < count; i++)
    if (ends_with(stem, stem_len, suffixes[i]))
      return stem_len - strlen(suffixes[i]);
  return stem_len;
}

/* dir + core + suffix + each NIfTI extension: the first existing file other
 * than self, malloc'ed; NULL when none. */
static char *try_names(const char *dir, size_t dir_len, const char *core, size_t core_len,
                       const char *suffix, const char *self)
{
  for (size_t e = 0; e < sizeof nifti_extensions / sizeof nifti_extensions[0]; e++) {
    size_t n = dir_len + core_len + strlen(suffix) + strlen(nifti_extensions[e]) + 1;
    char *candidate = malloc(n);
    if (!candidate)
      return NULL;
    snprintf(candidate, n, "%.*s%.*s%s%s", (int)dir_len, dir, (int)core_len, core, suffix,
             nifti_extensions[e]);
    if (strcmp(candidate, self) != 0 && is_regular_file(candidate))
      return candidate;
    free(candidate);
  }
  return NULL;
}

static char *find_ct_for_mask(const char *path, size_t dir_len, const char *stem, size_t stem_len)
{
  size_t core =
      strip_suffix(stem, stem_len, mask_suffixes, sizeof mask_suffixes / sizeof mask_suffixes[0]);
  char *found = NULL;
  for (size_t i = 0; !found && i < sizeof ct_suffixes / sizeof ct_suffixes[0]; i++)
    found = try_names(path, dir_len, stem, core, ct_suffixes[i], path);
  if (!found && core < stem_len && core > 0) /* "x_mask.nii.gz" beside "x.nii.gz" */
    found = try_names(path, dir_len, stem, core, "", path);
  return found;
}

static char *find_mask_for_ct(const char *path, size_t dir_len, const char *stem, size_t stem_len)
{
  size_t core =
      strip_suffix(stem, stem_len, ct_suffixes, sizeof ct_suffixes / sizeof ct_suffixes[0]);
  size_t cores[2] = {core, stem_len}; /* "x_ct" -> "x_mask", then "x_ct_mask" */
  char *found = NULL;
  for (int c = 0; c < (core < stem_len ? 2 : 1); c++)
    for (size_t i = 0; !found && i < sizeof mask_suffixes / sizeof mask_suffixes[0]; i++)
      found = try_names(path, dir_len, stem, cores[c], mask_suffixes[i], path);
  return found;
}

char *vp_case_find_companion(const char *path, bool want_ct)
{
  if (!path || (!has_extension(path, ".nii") && !has_extension(path, ".nii.gz")))
    return NULL;
  const char *name = base_name(path);
  size_t dir_len = (size_t)(name - path), stem_len = stem_length(name);
  if (stem_len == 0)
    return NULL;
  return want_ct ? find_ct_for_mask(path, dir_len, name, stem_len)
                 : find_mask_for_ct(path, dir_len, name, stem_len);
}

/* ======================================================================
 * Progress
 * ====================================================================== */

/* A part [from, to] of the caller's progress, so nested work reports one
 * rising fraction. */
typedef struct Steps {
  const VpProgress *progress;
  double from, to;
} Steps;

static Steps steps_part(const Steps *s, double from, double to)
{
  double span = s->to - s->from;
  return (Steps){s->progress, s->from + from * span, s->from + to * span};
}

/* Checks for cancellation, then reports the stage. */
static bool step(const Steps *s, double fraction, const char *stage, VpError *err)
{
  const VpProgress *p = s->progress;
  if (p && p->cancelled && p->cancelled(p->user))
    return vp_error_set(err, VP_ERR_CANCELLED, _("cancelled"));
  if (p && p->report)
    p->report(p->user, s->from + fraction * (s->to - s->from), stage);
  return true;
}

/* ======================================================================
 * Cases
 * ====================================================================== */

void vp_case_free(VpCase *c)
{
  if (!c)
    return;
  free(c->name);
  vp_mesh_free(c->surface);
  vp_volume_free(c->ct);
  vp_volume_free(c->mask);
  free(c->surface_path);
  free(c->ct_path);
  free(c->mask_path);
  free(c);
}

static VpCase *case_new(VpError *err)
{
  VpCase *c = calloc(1, sizeof *c);
  if (!c)
    vp_error_set(err, VP_ERR_NOMEM, _("out of memory for a new case"));
  return c;
}

static bool set_path(char **field, const char *path, VpError *err)
{
  char *abs = path_absolute(path);
  if (!abs)
    return vp_error_set(err, VP_ERR_NOMEM, _("out of memory for a file name"));
  free(*field);
  *field = abs;
  return true;
}

static bool set_name(VpCase *c, const char *name, VpError *err)
{
  char *copy = strdup(name);
  if (!copy)
    return vp_error_set(err, VP_ERR_NOMEM, _("out of memory for the case name"));
  free(c->name);
  c->name = copy;
  return true;
}

static void set_level(VpCase *c, int label)
{
  const char *level = vp_level_name(label);
  snprintf(c->level, sizeof c->level, "%s", level ? level : "");
}

/* The level a file name states as a whole word ("sub-verse009_L3.stl"), or
 * -1; only words that are vertebra names count, so "L3a" or "XL3" do not. */
static int label_from_name(const char *stem, size_t stem_len)
{
  size_t i = 0;
  while (i < stem_len) {
    size_t start = i;
    while (i < stem_len && stem[i] != '_' && stem[i] != '-' && stem[i] != ' ' && stem[i] != '.')
      i++;
    char word[4];
    if (i - start >= 2 && i - start <= 3) {
      snprintf(word, sizeof word, "%.*s", (int)(i - start), stem + start);
      int label = word[0] >= 'A' && word[0] <= 'Z' ? vp_level_label(word) : -1;
      if (label > 0)
        return label;
    }
    i++;
  }
  return -1;
}

/* Pipes and devices would make the loaders wait forever; folders deserve a
 * plain answer. A missing file is left to the loader, which says so. */
static bool check_regular(const char *path, VpError *err)
{
  struct stat st;
  if (stat(path, &st) != 0 || S_ISREG(st.st_mode))
    return true;
  if (S_ISDIR(st.st_mode))
    return vp_error_set(err, VP_ERR_IO, _("%s: this is a folder, not a file"), path);
  return vp_error_set(err, VP_ERR_IO, _("%s: not a regular file (a pipe or a device?)"), path);
}

/* ---- from a mesh file ---- */

static bool read_surface(VpCase *c, const char *path, const Steps *s, VpError *err)
{
  if (!step(s, 0.0, _("Reading the surface"), err) || !check_regular(path, err))
    return false;
  VpMesh *mesh = vp_mesh_load(path, err);
  if (mesh && step(s, 0.7, _("Checking the surface"), err) &&
      vp_mesh_repair(&mesh, &c->repair, err)) {
    c->surface = mesh;
    return set_path(&c->surface_path, path, err);
  }
  vp_mesh_free(mesh);
  if (err && err->code != VP_ERR_CANCELLED)
    vp_error_prefix(err, "%s", path);
  return false;
}

static bool name_from_mesh(VpCase *c, const char *path, VpError *err)
{
  const char *name = base_name(path);
  size_t len = stem_length(name);
  char stem[256];
  snprintf(stem, sizeof stem, "%.*s", (int)(len < 255 ? len : 255), name);
  int label = label_from_name(stem, strlen(stem));
  if (label > 0)
    set_level(c, label); /* the level only: a mesh has no mask, so no label */
  return set_name(c, stem, err);
}

static VpCase *mesh_case(const char *path, const Steps *s, VpError *err)
{
  VpCase *c = case_new(err);
  if (c && read_surface(c, path, s, err) && name_from_mesh(c, path, err) &&
      step(s, 1.0, _("Done"), err))
    return c;
  vp_case_free(c);
  return NULL;
}

VpCase *vp_case_from_mesh_file(const char *path, const VpProgress *progress, VpError *err)
{
  vp_error_clear(err);
  if (!path || !*path) {
    vp_error_set(err, VP_ERR_INVALID, _("no file name given"));
    return NULL;
  }
  Steps s = {progress, 0.0, 1.0};
  return mesh_case(path, &s, err);
}

/* ---- the CT's place ---- */

static bool boxes_overlap(VpBox3 a, VpBox3 b)
{
  return a.min.x < b.max.x && b.min.x < a.max.x && a.min.y < b.max.y && b.min.y < a.max.y &&
         a.min.z < b.max.z && b.min.z < a.max.z;
}

static bool same_grid(const VpVolume *a, const VpVolume *b)
{
  if (memcmp(a->dims, b->dims, sizeof a->dims) != 0)
    return false;
  for (int corner = 0; corner < 8; corner++) {
    VpVec3 ijk = vp_vec3((corner & 1) ? a->dims[0] - 1 : 0, (corner & 2) ? a->dims[1] - 1 : 0,
                         (corner & 4) ? a->dims[2] - 1 : 0);
    if (vp_vec3_distance(vp_volume_voxel_to_world(a, ijk), vp_volume_voxel_to_world(b, ijk)) >
        SAME_GRID_TOLERANCE_MM)
      return false;
  }
  return true;
}

static void format_box(VpBox3 b, char *buf, size_t size)
{
  snprintf(buf, size, "x %.1f to %.1f, y %.1f to %.1f, z %.1f to %.1f mm", b.min.x, b.max.x,
           b.min.y, b.max.y, b.min.z, b.max.z);
}

bool vp_case_check_ct_grid(const VpVolume *mask, const VpVolume *ct, bool *same, VpError *err)
{
  bool identical = same_grid(mask, ct);
  if (same)
    *same = identical;
  VpBox3 mb = vp_volume_bounds_mm(mask), cb = vp_volume_bounds_mm(ct);
  if (identical || boxes_overlap(mb, cb))
    return true;
  char a[128], b[128];
  format_box(mb, a, sizeof a);
  format_box(cb, b, sizeof b);
  return vp_error_set(err, VP_ERR_INVALID,
                      _("the CT and the mask do not overlap in space (mask: %s; CT: %s), so they "
                        "cannot come from the same scan"),
                      a, b);
}

/* ---- from a mask ---- */

static VpVolume *read_volume(const char *path, VpError *err)
{
  if (!check_regular(path, err))
    return NULL;
  return vp_volume_load_nifti(path, NULL, NULL, err); /* names the file in its errors */
}

static bool check_is_mask(const VpVolume *mask, const char *path, VpError *err)
{
  if (vp_volume_looks_like_mask(mask))
    return true;
  double lo, hi;
  vp_volume_value_range(mask, &lo, &hi);
  return vp_error_set(err, VP_ERR_INVALID,
                      _("%s is not a label mask: its values run from %g to %g and are not a few "
                        "whole numbers (is it the CT?)"),
                      path, lo, hi);
}

static bool read_mask(VpCase *c, const char *path, int label, const Steps *s, VpError *err)
{
  if (!step(s, 0.0, _("Reading the mask"), err))
    return false;
  c->mask = read_volume(path, err);
  if (!c->mask || !check_is_mask(c->mask, path, err))
    return false;
  if (label != 0 && !vp_volume_require_label(c->mask, label, err)) {
    vp_error_prefix(err, "%s", path);
    return false;
  }
  return set_path(&c->mask_path, path, err);
}

static bool read_ct(VpCase *c, const char *path, const Steps *s, VpError *err)
{
  if (!step(s, 0.0, _("Reading the CT"), err))
    return false;
  c->ct = read_volume(path, err);
  if (!c->ct)
    return false;
  if (c->mask && !vp_case_check_ct_grid(c->mask, c->ct, &c->ct_same_grid, err))
    return false;
  if (!c->mask && c->surface &&
      !boxes_overlap(vp_mesh_bounds(c->surface), vp_volume_bounds_mm(c->ct)))
    return vp_error_set(err, VP_ERR_INVALID,
                        _("the surface lies outside the CT %s: they do not share a world frame"),
                        path);
  return set_path(&c->ct_path, path, err);
}

static bool extract_surface(VpCase *c, int label, const VpSurfaceOptions *opts, const Steps *s,
                            VpError *err)
{
  char stage[96];
  if (c->level[0])
    snprintf(stage, sizeof stage, _("Extracting the %s surface"), c->level);
  else
    snprintf(stage, sizeof stage, _("Extracting the surface of label %d"), label);
  if (!step(s, 0.0, stage, err))
    return false;
  VpMesh *mesh = vp_volume_extract_label_surface(c->mask, label, opts, err);
  if (!mesh || !vp_mesh_repair(&mesh, &c->repair, err)) {
    vp_mesh_free(mesh);
    return false;
  }
  c->surface = mesh;
  return true;
}

/* "sub-verse009 L3" from "sub-verse009_seg-vert_msk.nii.gz" and label 22. */
static bool name_from_mask(VpCase *c, const char *path, int label, VpError *err)
{
  const char *name = base_name(path);
  size_t len = stem_length(name);
  size_t core =
      strip_suffix(name, len, mask_suffixes, sizeof mask_suffixes / sizeof mask_suffixes[0]);
  if (core == 0)
    core = len;
  char text[300];
  if (c->level[0])
    snprintf(text, sizeof text, "%.*s %s", (int)(core < 255 ? core : 255), name, c->level);
  else
    snprintf(text, sizeof text, _("%.*s label %d"), (int)(core < 255 ? core : 255), name, label);
  return set_name(c, text, err);
}

static bool check_label(int label, VpError *err)
{
  if (label > 0)
    return true;
  return vp_error_set(err, VP_ERR_INVALID,
                      _("label %d cannot be a vertebra: labels are positive numbers"), label);
}

static VpCase *mask_case(const char *mask_path, int label, const char *ct_path,
                         const VpSurfaceOptions *opts, const Steps *s, VpError *err)
{
  VpCase *c = case_new(err);
  if (!c)
    return NULL;
  c->label = label;
  set_level(c, label);
  Steps mask_part = steps_part(s, 0.0, ct_path ? 0.15 : 0.3);
  Steps ct_part = steps_part(s, 0.15, 0.5), surface_part = steps_part(s, ct_path ? 0.5 : 0.3, 1.0);
  bool ok = read_mask(c, mask_path, label, &mask_part, err) &&
            (!ct_path || read_ct(c, ct_path, &ct_part, err)) &&
            extract_surface(c, label, opts, &surface_part, err) &&
            name_from_mask(c, mask_path, label, err) && step(s, 1.0, _("Done"), err);
  if (ok)
    return c;
  vp_case_free(c);
  return NULL;
}

VpCase *vp_case_from_mask(const char *mask_path, int label, const char *ct_path,
                          const VpSurfaceOptions *opts, const VpProgress *progress, VpError *err)
{
  vp_error_clear(err);
  if (!mask_path || !*mask_path) {
    vp_error_set(err, VP_ERR_INVALID, _("no mask file given"));
    return NULL;
  }
  if (!check_label(label, err))
    return NULL;
  Steps s = {progress, 0.0, 1.0};
  return mask_case(mask_path, label, ct_path && *ct_path ? ct_path : NULL, opts, &s, err);
}

/* ---- from a plan ---- */

static const VpPlanSource *find_source(const VpPlan *plan, VpSourceRole role)
{
  for (size_t i = 0; i < plan->case_info.source_count; i++)
    if (plan->case_info.sources[i].role == role)
      return &plan->case_info.sources[i];
  return NULL;
}

static const char *role_title(VpSourceRole role)
{
  switch (role) {
  case VP_SOURCE_ROLE_SURFACE:
    return _("surface");
  case VP_SOURCE_ROLE_CT:
    return _("CT");
  case VP_SOURCE_ROLE_MASK:
    return _("mask");
  case VP_SOURCE_ROLE_OTHER:
    break;
  }
  return _("file");
}

/* A source present with the bytes the plan recorded, or an error saying
 * what happened to it. */
static bool check_source(const VpPlanSource *src, VpError *err)
{
  if (!src)
    return true;
  const char *path = src->path ? src->path : "";
  switch (vp_plan_source_check(src)) {
  case VP_SOURCE_FOUND:
    return true;
  case VP_SOURCE_MISSING:
    return vp_error_set(err, VP_ERR_IO, _("the plan's %s file is missing: %s"),
                        role_title(src->role), path);
  case VP_SOURCE_CHANGED:
    return vp_error_set(err, VP_ERR_INVALID,
                        _("the plan's %s file has changed since the plan was made (its size or "
                          "SHA-256 differs): %s"),
                        role_title(src->role), path);
  case VP_SOURCE_UNREADABLE:
    break;
  }
  return vp_error_set(err, VP_ERR_IO, _("the plan's %s file cannot be read: %s"),
                      role_title(src->role), path);
}

/* The surface from its own file, with the mask and CT beside it. */
static VpCase *surface_plan_case(const VpPlan *plan, const VpPlanSource *surface,
                                 const VpPlanSource *mask, const VpPlanSource *ct, const Steps *s,
                                 VpError *err)
{
  Steps surface_part = steps_part(s, 0.0, 0.4), mask_part = steps_part(s, 0.4, 0.7),
        ct_part = steps_part(s, 0.7, 1.0);
  VpCase *c = case_new(err);
  int label = plan->case_info.label;
  bool ok = c && read_surface(c, surface->path, &surface_part, err) &&
            name_from_mesh(c, surface->path, err) &&
            (!mask || read_mask(c, mask->path, label, &mask_part, err)) &&
            (!ct || read_ct(c, ct->path, &ct_part, err));
  if (ok)
    return c;
  vp_case_free(c);
  return NULL;
}

static VpCase *case_of_plan_sources(const VpPlan *plan, const Steps *s, VpError *err)
{
  const VpPlanSource *surface = find_source(plan, VP_SOURCE_ROLE_SURFACE),
                     *mask = find_source(plan, VP_SOURCE_ROLE_MASK),
                     *ct = find_source(plan, VP_SOURCE_ROLE_CT);
  if (!check_source(surface, err) || !check_source(mask, err) || !check_source(ct, err))
    return NULL;
  if (surface)
    return surface_plan_case(plan, surface, mask, ct, s, err);
  if (!mask) {
    vp_error_set(err, VP_ERR_INVALID,
                 _("the plan names neither a surface nor a mask, so there is no vertebra to show"));
    return NULL;
  }
  if (plan->case_info.label == VP_PLAN_LABEL_NONE) {
    vp_error_set(err, VP_ERR_INVALID,
                 _("the plan names a mask but no label, so which vertebra it plans is unknown"));
    return NULL;
  }
  return mask_case(mask->path, plan->case_info.label, ct ? ct->path : NULL, NULL, s, err);
}

/* What the plan says wins over what the files suggest. */
static bool take_plan_case_fields(VpCase *c, const VpPlan *plan, VpError *err)
{
  const VpPlanCase *pc = &plan->case_info;
  if (pc->name && pc->name[0] && !set_name(c, pc->name, err))
    return false;
  if (pc->level[0])
    snprintf(c->level, sizeof c->level, "%s", pc->level);
  if (pc->label != VP_PLAN_LABEL_NONE && c->mask)
    c->label = pc->label;
  return true;
}

VpCase *vp_case_from_plan(const VpPlan *plan, const VpProgress *progress, VpError *err)
{
  vp_error_clear(err);
  Steps s = {progress, 0.0, 1.0};
  VpCase *c = case_of_plan_sources(plan, &s, err);
  if (c && take_plan_case_fields(c, plan, err) && step(&s, 1.0, _("Done"), err))
    return c;
  vp_case_free(c);
  return NULL;
}

/* ---- into a plan ---- */

bool vp_case_save_surface(VpCase *c, const char *stl_path, VpError *err)
{
  vp_error_clear(err);
  if (!c->surface)
    return vp_error_set(err, VP_ERR_INVALID, _("the case has no surface to save"));
  if (!stl_path || !*stl_path)
    return vp_error_set(err, VP_ERR_INVALID, _("no file name given for the surface"));
  return vp_mesh_save_stl(c->surface, stl_path, err) && set_path(&c->surface_path, stl_path, err);
}

static bool add_case_sources(const VpCase *c, VpPlan *plan, VpError *err)
{
  const struct {
    VpSourceRole role;
    const char *path;
  } sources[] = {{VP_SOURCE_ROLE_SURFACE, c->surface_path},
                 {VP_SOURCE_ROLE_CT, c->ct_path},
                 {VP_SOURCE_ROLE_MASK, c->mask_path}};
  for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++)
    if (sources[i].path && !vp_plan_add_source(plan, sources[i].role, sources[i].path, err))
      return false;
  return true;
}

/* Drops the sources of the roles a case has, from index `from` on, keeping
 * those a newer version wrote; `to` bounds the range. */
static void remove_case_sources(VpPlan *plan, size_t from, size_t to)
{
  for (size_t i = to; i-- > from;)
    if (plan->case_info.sources[i].role != VP_SOURCE_ROLE_OTHER)
      vp_plan_remove_source(plan, i);
}

bool vp_case_to_plan(const VpCase *c, VpPlan *plan, VpError *err)
{
  vp_error_clear(err);
  VpPlanCase *pc = &plan->case_info;
  char *old_name = strdup(pc->name ? pc->name : "");
  char old_level[VP_PLAN_LEVEL_SIZE];
  int old_label = pc->label;
  snprintf(old_level, sizeof old_level, "%s", pc->level);
  if (!old_name)
    return vp_error_set(err, VP_ERR_NOMEM, _("out of memory for the case name"));
  int label = c->mask && c->label > 0 ? c->label : VP_PLAN_LABEL_NONE;
  size_t old_count = pc->source_count;
  bool ok = vp_plan_set_case(plan, c->name ? c->name : "", c->level, label, err);
  if (ok && add_case_sources(c, plan, err))
    remove_case_sources(plan, 0, old_count); /* only now: a failure leaves the plan as it was */
  else if (ok) {
    remove_case_sources(plan, old_count, pc->source_count);
    vp_plan_set_case(plan, old_name, old_level, old_label, NULL);
    ok = false;
  }
  free(old_name);
  return ok;
}
