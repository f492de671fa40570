/* `inspect`: load a vertebra model (a mesh, a CT or mask volume, or a plan)
 * and print what it is and its measures, as text or JSON. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <libintl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vp-anatomy.h"
#include "vp-case.h"
#include "vp-cli-private.h"

#define _(String) gettext(String)

typedef struct InspectOptions {
  const char *path;
  const char *ct_path;
  const char *level; /* --level NAME */
  int label;         /* --label N; 0 when not given */
  double scale;      /* --scale F for meshes; 0 when not given */
  bool json;
} InspectOptions;

void vp_cli_inspect_help(FILE *out)
{
  fprintf(out, _("Usage: vertebra-planner-cli inspect FILE [--label N | --level NAME] [--ct CT] "
                 "[--scale F] [--json]\n\n"));
  fprintf(out, "%s\n\n",
          _("FILE is a surface mesh (STL, OBJ, PLY), a NIfTI volume (.nii, .nii.gz) or a plan\n"
            "(.vplan); what it is comes from its content.\n"
            "Meshes are checked and repaired as on opening (duplicate vertices welded, degenerate\n"
            "triangles dropped, orientation made outward); then come their triangle and vertex\n"
            "counts, bounding box, surface area, enclosed volume, whether they are watertight and\n"
            "how many parts they have. Holes, extra parts and models in metres are reported.\n"
            "Volumes are told apart as CT or label mask: grid, voxel size, axis directions,\n"
            "value range, and for masks every label with its vertebra (VerSe numbering) and\n"
            "volume. Plans show their case and whether their files are still there unchanged.\n"
            "For a vertebra (a mesh, a mask with --label or --level, or a plan) the anatomy\n"
            "follows: its frame, body volume and heights, endplate, pedicles, canal, Genant\n"
            "grade and, with a CT, the trabecular HU; a plan's frame correction is applied."));
  fprintf(out, "%s\n", _("Options:"));
  fprintf(out, "  --label N     %s\n",
          _("With a mask: also extract and measure the surface of label N"));
  fprintf(out, "  --level NAME  %s\n", _("With a mask: the same by vertebra name, e.g. L3 or T12"));
  fprintf(out, "  --ct CT       %s\n", _("With a mask: check that this CT shares its world frame"));
  fprintf(out, "  --scale F     %s\n",
          _("With a mesh: multiply it by F first (1000 for a model in metres)"));
  fprintf(out, "  --json        %s\n", _("Print one JSON object instead of text"));
}

/* ---- the command line ---- */

/* A positive finite number filling the whole argument ("1000", "1e3"). */
static bool parse_scale(const char *text, double *out)
{
  char *end = NULL;
  errno = 0;
  double value = strtod(text, &end);
  if (errno || end == text || *end || !(value > 0.0) || !isfinite(value))
    return false;
  *out = value;
  return true;
}

static int parse_value_option(InspectOptions *opts, const char *name, const char *value)
{
  if (strcmp(name, "--scale") == 0) {
    if (!parse_scale(value, &opts->scale))
      return vp_cli_usage_error("inspect", _("--scale needs a positive number, not '%s'"), value);
  } else if (strcmp(name, "--ct") == 0)
    opts->ct_path = value;
  else if (strcmp(name, "--level") == 0)
    opts->level = value;
  else if (!vp_cli_parse_int(value, 1, INT_MAX, &opts->label))
    return vp_cli_usage_error("inspect", _("--label needs a positive whole number, not '%s'"),
                              value);
  return VP_CLI_OK;
}

static int parse_options(int argc, char **argv, InspectOptions *opts)
{
  static const char *const with_value[] = {"--label", "--level", "--ct", "--scale"};
  memset(opts, 0, sizeof *opts);
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i], *value = NULL;
    bool missing = false;
    size_t v = 0;
    for (; v < 4 && !value && !missing; v++)
      value = vp_cli_option_value(argc, argv, &i, with_value[v], &missing);
    if (missing)
      return vp_cli_usage_error("inspect", _("%s needs a value"), with_value[v - 1]);
    if (value) {
      int status = parse_value_option(opts, with_value[v - 1], value);
      if (status != VP_CLI_OK)
        return status;
    } else if (strcmp(arg, "--json") == 0)
      opts->json = true;
    else if (arg[0] == '-' && arg[1] != '\0')
      return vp_cli_usage_error("inspect", _("unknown option '%s'"), arg);
    else if (opts->path)
      return vp_cli_usage_error("inspect", _("only one file can be inspected at a time"));
    else
      opts->path = arg;
  }
  if (!opts->path)
    return vp_cli_usage_error("inspect", _("no file given"));
  if (opts->label && opts->level)
    return vp_cli_usage_error("inspect", _("--label and --level choose the same thing; give one"));
  return VP_CLI_OK;
}

/* ---- output helpers ---- */

/* Rounds to decimal places so the JSON reads like a measurement: dividing by
 * a power of ten gives the double nearest the decimal, which prints short. */
static double rounded(double value, int decimals)
{
  double scale = pow(10.0, decimals);
  return round(value * scale) / scale;
}

static cJSON *vec3_json(VpVec3 v)
{
  const double xyz[3] = {rounded(v.x, 3), rounded(v.y, 3), rounded(v.z, 3)};
  return cJSON_CreateDoubleArray(xyz, 3);
}

static cJSON *triple_json(const double v[3], int decimals)
{
  const double xyz[3] = {rounded(v[0], decimals), rounded(v[1], decimals), rounded(v[2], decimals)};
  return cJSON_CreateDoubleArray(xyz, 3);
}

static const char *base_name(const char *path)
{
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

/* One error line naming the file once: core messages often name it already. */
static void file_error(const char *path, const char *message)
{
  vp_cli_error(strstr(message, path) ? NULL : path, message);
}

static void add_string_or_null(cJSON *o, const char *key, const char *value)
{
  if (value && *value)
    cJSON_AddStringToObject(o, key, value);
  else
    cJSON_AddNullToObject(o, key);
}

/* Human-readable lines for the user to judge, collected while inspecting. */
typedef struct Warnings {
  char lines[16][400];
  int count;
} Warnings;

static void __attribute__((format(printf, 2, 3))) warn(Warnings *w, const char *format, ...)
{
  if (w->count >= 16)
    return;
  va_list args;
  va_start(args, format);
  vsnprintf(w->lines[w->count++], sizeof w->lines[0], format, args);
  va_end(args);
}

static cJSON *warnings_json(const Warnings *w)
{
  cJSON *list = cJSON_CreateArray();
  for (int i = 0; i < w->count; i++)
    cJSON_AddItemToArray(list, cJSON_CreateString(w->lines[i]));
  return list;
}

static void print_warnings(const Warnings *w)
{
  for (int i = 0; i < w->count; i++)
    printf(_("Warning:       %s\n"), w->lines[i]);
}

static int print_json_and_free(cJSON *json)
{
  bool ok = json && vp_cli_print_json(json);
  cJSON_Delete(json);
  return ok ? VP_CLI_OK : VP_CLI_FAILED;
}

/* ---- anatomy ---- */

/* The vertebra's frame, parts and measurements, or why there are none. */
typedef struct AnatomyReport {
  bool tried;
  VpAnatomy *anatomy;
  char error[VP_ERROR_MESSAGE_MAX];
} AnatomyReport;

static void anatomy_compute(const VpCase *c, const VpFrameAdjustment *adj, AnatomyReport *r)
{
  VpError err;
  vp_error_clear(&err);
  VpAnatomyOptions options = vp_anatomy_options_default();
  r->tried = true;
  r->anatomy = vp_anatomy_compute(c, adj, &options, NULL, &err);
  if (!r->anatomy)
    snprintf(r->error, sizeof r->error, "%s",
             err.message[0] ? err.message : _("the anatomy could not be computed"));
}

static void anatomy_missing(AnatomyReport *r, const char *why)
{
  r->tried = true;
  snprintf(r->error, sizeof r->error, "%s", why);
}

static void anatomy_report_clear(AnatomyReport *r)
{
  vp_anatomy_free(r->anatomy);
  r->anatomy = NULL;
}

/* Unit vectors to four decimals (a hundredth of a degree). */
static cJSON *direction_json(VpVec3 v)
{
  const double xyz[3] = {rounded(v.x, 4), rounded(v.y, 4), rounded(v.z, 4)};
  return cJSON_CreateDoubleArray(xyz, 3);
}

static void add_number_or_null(cJSON *o, const char *key, double value, int decimals)
{
  if (isfinite(value))
    cJSON_AddNumberToObject(o, key, rounded(value, decimals));
  else
    cJSON_AddNullToObject(o, key);
}

static cJSON *frame_json(const VpAnatomyFrame *f)
{
  cJSON *o = cJSON_CreateObject();
  cJSON_AddItemToObject(o, "origin_mm", vec3_json(f->origin_mm));
  cJSON_AddItemToObject(o, "superior", direction_json(f->superior));
  cJSON_AddItemToObject(o, "anterior", direction_json(f->anterior));
  cJSON_AddItemToObject(o, "left", direction_json(f->left));
  return o;
}

static cJSON *pedicle_json(const VpPedicleMeasures *p)
{
  if (!p->found)
    return cJSON_CreateNull();
  cJSON *o = cJSON_CreateObject();
  add_number_or_null(o, "width_mm", p->width_mm, 2);
  add_number_or_null(o, "height_mm", p->height_mm, 2);
  add_number_or_null(o, "transverse_angle_deg", p->transverse_angle_deg, 2);
  add_number_or_null(o, "sagittal_angle_deg", p->sagittal_angle_deg, 2);
  cJSON_AddItemToObject(o, "isthmus_mm", vec3_json(p->isthmus_mm));
  return o;
}

static const char *bone_density_key(VpBoneDensity density)
{
  switch (density) {
  case VP_BONE_DENSITY_NORMAL:
    return "normal";
  case VP_BONE_DENSITY_LOW:
    return "low";
  case VP_BONE_DENSITY_OSTEOPOROTIC:
    return "osteoporotic";
  case VP_BONE_DENSITY_UNKNOWN:
    break;
  }
  return NULL;
}

static void add_measures_json(cJSON *o, const VpAnatomyMeasures *m)
{
  cJSON_AddNumberToObject(o, "body_volume_ml", rounded(m->body_volume_ml, 3));
  cJSON_AddNumberToObject(o, "vertebra_volume_ml", rounded(m->vertebra_volume_ml, 3));
  cJSON *heights = cJSON_AddObjectToObject(o, "body_height_mm");
  add_number_or_null(heights, "anterior", m->body_height_mm[0], 2);
  add_number_or_null(heights, "middle", m->body_height_mm[1], 2);
  add_number_or_null(heights, "posterior", m->body_height_mm[2], 2);
  add_number_or_null(o, "expected_height_mm", m->expected_height_mm, 2);
  cJSON_AddBoolToObject(o, "expected_from_neighbours", m->expected_from_neighbours);
  cJSON *endplate = cJSON_AddObjectToObject(o, "endplate_mm");
  add_number_or_null(endplate, "width", m->endplate_width_mm, 2);
  add_number_or_null(endplate, "depth", m->endplate_depth_mm, 2);
  cJSON *pedicles = cJSON_AddObjectToObject(o, "pedicles");
  cJSON_AddItemToObject(pedicles, "left", pedicle_json(&m->pedicle[0]));
  cJSON_AddItemToObject(pedicles, "right", pedicle_json(&m->pedicle[1]));
  cJSON *canal = cJSON_AddObjectToObject(o, "canal");
  add_number_or_null(canal, "width_mm", m->canal_width_mm, 2);
  add_number_or_null(canal, "depth_mm", m->canal_depth_mm, 2);
  add_number_or_null(canal, "area_mm2", m->canal_area_mm2, 1);
  cJSON_AddItemToObject(canal, "centroid_mm", vec3_json(m->canal_centroid_mm));
  cJSON *genant = cJSON_AddObjectToObject(o, "genant");
  cJSON_AddNumberToObject(genant, "grade", m->genant_grade);
  cJSON_AddStringToObject(genant, "shape", vp_fracture_shape_name(m->genant_shape));
  add_number_or_null(genant, "height_loss_percent", m->height_loss_percent, 1);
  if (m->has_ct) {
    add_number_or_null(o, "trabecular_hu", m->trabecular_hu, 1);
    add_string_or_null(o, "bone_density", bone_density_key(m->bone_density));
  }
}

/* "anatomy": the object, or null and "anatomy_error" saying why. */
static void add_anatomy_json(cJSON *o, const AnatomyReport *r)
{
  if (!r->tried)
    return;
  if (!r->anatomy) {
    cJSON_AddNullToObject(o, "anatomy");
    cJSON_AddStringToObject(o, "anatomy_error", r->error);
    return;
  }
  const VpAnatomy *a = r->anatomy;
  cJSON *anatomy = cJSON_CreateObject();
  add_string_or_null(anatomy, "level", a->level);
  cJSON_AddItemToObject(anatomy, "frame", frame_json(&a->frame));
  cJSON_AddBoolToObject(anatomy, "frame_adjusted",
                        !vp_frame_adjustment_is_identity(&a->adjustment));
  add_measures_json(anatomy, &a->measures);
  cJSON_AddItemToObject(o, "anatomy", anatomy);
}

static void print_pedicle_text(const char *title, const VpPedicleMeasures *p)
{
  if (!p->found) {
    printf(_("  %-13s not found\n"), title);
    return;
  }
  printf(_("  %-13s isthmus %.1f mm wide x %.1f mm high; transverse %.1f degrees, sagittal %.1f "
           "degrees\n"),
         title, p->width_mm, p->height_mm, p->transverse_angle_deg, p->sagittal_angle_deg);
}

static const char *bone_density_title(VpBoneDensity density)
{
  switch (density) {
  case VP_BONE_DENSITY_NORMAL:
    return _("normal");
  case VP_BONE_DENSITY_LOW:
    return _("low bone density");
  case VP_BONE_DENSITY_OSTEOPOROTIC:
    return _("osteoporotic range");
  case VP_BONE_DENSITY_UNKNOWN:
    break;
  }
  return _("unknown");
}

static void print_anatomy_text(const AnatomyReport *r)
{
  if (!r->tried)
    return;
  if (!r->anatomy) {
    printf(_("Anatomy:       not available: %s\n"), r->error);
    return;
  }
  const VpAnatomyFrame *f = &r->anatomy->frame;
  const VpAnatomyMeasures *m = &r->anatomy->measures;
  printf("%s\n", _("Anatomy:"));
  printf(_("  Frame origin  %.1f, %.1f, %.1f mm (RAS+)%s\n"), f->origin_mm.x, f->origin_mm.y,
         f->origin_mm.z,
         vp_frame_adjustment_is_identity(&r->anatomy->adjustment) ? ""
                                                                  : _(", adjusted in the plan"));
  printf(_("  Axes          superior %.3f, %.3f, %.3f; anterior %.3f, %.3f, %.3f (RAS+)\n"),
         f->superior.x, f->superior.y, f->superior.z, f->anterior.x, f->anterior.y, f->anterior.z);
  printf(_("  Body          %.1f mL of %.1f mL bone; heights %.1f, %.1f, %.1f mm "
           "(anterior, middle, posterior)\n"),
         m->body_volume_ml, m->vertebra_volume_ml, m->body_height_mm[0], m->body_height_mm[1],
         m->body_height_mm[2]);
  printf(_("  Endplate      %.1f mm wide, %.1f mm deep\n"), m->endplate_width_mm,
         m->endplate_depth_mm);
  print_pedicle_text(_("Left pedicle"), &m->pedicle[0]);
  print_pedicle_text(_("Right pedicle"), &m->pedicle[1]);
  printf(_("  Canal         %.1f mm wide, %.1f mm deep, %.0f mm²\n"), m->canal_width_mm,
         m->canal_depth_mm, m->canal_area_mm2);
  printf(_("  Genant        grade %d (%s), height loss %.0f %% against %.1f mm\n"),
         m->genant_grade, vp_fracture_shape_name(m->genant_shape), m->height_loss_percent,
         m->expected_height_mm);
  if (m->has_ct)
    printf(_("  Trabecular    %.0f HU (%s)\n"), m->trabecular_hu,
           bone_density_title(m->bone_density));
}

/* ---- meshes ---- */

/* The repair report split in two: what is left to judge, and what was fixed. */
static void repair_issues(const VpMeshRepairReport *r, Warnings *w)
{
  VpMeshRepairReport issues = *r;
  issues.welded_vertices = issues.dropped_unused_vertices = issues.dropped_degenerate = 0;
  issues.flipped_triangles = 0;
  issues.inverted_fixed = false;
  char line[600];
  vp_mesh_repair_summary(&issues, line, sizeof line);
  for (char *part = strtok(line, ";"); part; part = strtok(NULL, ";"))
    warn(w, "%s", part + (part[0] == ' '));
}

static void repair_fixes(const VpMeshRepairReport *r, char *buf, size_t size)
{
  VpMeshRepairReport fixes = {.welded_vertices = r->welded_vertices,
                              .dropped_degenerate = r->dropped_degenerate,
                              .flipped_triangles = r->flipped_triangles,
                              .inverted_fixed = r->inverted_fixed,
                              .components = 1,
                              .suggested_scale = 1.0};
  vp_mesh_repair_summary(&fixes, buf, size);
}

static cJSON *repair_json(const VpMeshRepairReport *r)
{
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "welded_vertices", r->welded_vertices);
  cJSON_AddNumberToObject(o, "dropped_unused_vertices", r->dropped_unused_vertices);
  cJSON_AddNumberToObject(o, "dropped_degenerate", r->dropped_degenerate);
  cJSON_AddNumberToObject(o, "flipped_triangles", r->flipped_triangles);
  cJSON_AddBoolToObject(o, "inverted_fixed", r->inverted_fixed);
  cJSON_AddNumberToObject(o, "components", r->components);
  cJSON_AddNumberToObject(o, "boundary_edges", r->boundary_edges);
  cJSON_AddNumberToObject(o, "holes", r->holes);
  cJSON_AddNumberToObject(o, "nonmanifold_edges", r->nonmanifold_edges);
  cJSON_AddNumberToObject(o, "misoriented_edges", r->misoriented_edges);
  cJSON_AddBoolToObject(o, "looks_like_metres", r->looks_like_metres);
  cJSON_AddNumberToObject(o, "suggested_scale", r->suggested_scale);
  return o;
}

/* The mesh fields, added to o (a mesh file's object or a "surface" object). */
static void add_mesh_fields(cJSON *o, const VpMeshStats *s, const VpMeshRepairReport *r)
{
  cJSON_AddNumberToObject(o, "triangles", s->triangles);
  cJSON_AddNumberToObject(o, "vertices", s->vertices);
  cJSON_AddItemToObject(o, "bbox_min_mm", vec3_json(s->bounds.min));
  cJSON_AddItemToObject(o, "bbox_max_mm", vec3_json(s->bounds.max));
  cJSON_AddItemToObject(o, "size_mm", vec3_json(vp_box3_size(s->bounds)));
  cJSON_AddNumberToObject(o, "surface_area_mm2", rounded(s->surface_area_mm2, 2));
  cJSON_AddNumberToObject(o, "volume_ml", rounded(s->volume_ml, 4));
  cJSON_AddBoolToObject(o, "watertight", s->edges.watertight);
  cJSON_AddBoolToObject(o, "outward_oriented", s->outward);
  cJSON_AddNumberToObject(o, "components", s->components);
  cJSON_AddNumberToObject(o, "boundary_edges", s->edges.boundary_edges);
  cJSON_AddNumberToObject(o, "nonmanifold_edges", s->edges.nonmanifold_edges);
  cJSON_AddNumberToObject(o, "misoriented_edges", s->edges.misoriented_edges);
  cJSON_AddStringToObject(o, "coordinates", "RAS+ mm");
  cJSON_AddItemToObject(o, "repair", repair_json(r));
}

static void print_mesh_text(const VpMeshStats *s, const VpMeshRepairReport *r)
{
  char a[32], b[32], c[32], fixed[300];
  VpVec3 size = vp_box3_size(s->bounds);
  printf(_("Triangles:     %s\n"), vp_format_count(s->triangles, a));
  printf(_("Vertices:      %s\n"), vp_format_count(s->vertices, b));
  printf(_("Size:          %.1f x %.1f x %.1f mm (x, y, z)\n"), size.x, size.y, size.z);
  printf(_("Bounds:        %.1f to %.1f, %.1f to %.1f, %.1f to %.1f mm (RAS+)\n"), s->bounds.min.x,
         s->bounds.max.x, s->bounds.min.y, s->bounds.max.y, s->bounds.min.z, s->bounds.max.z);
  printf(_("Surface area:  %.1f mm²\n"), s->surface_area_mm2);
  printf(_("Volume:        %.2f mL%s\n"), s->volume_ml,
         s->edges.watertight ? "" : _(" (surface is not closed: only an estimate)"));
  printf(_("Watertight:    %s\n"), s->edges.watertight ? _("yes") : _("no"));
  if (!s->edges.watertight)
    printf(_("Open edges:    %s boundary, %s non-manifold, %s misoriented\n"),
           vp_format_count(s->edges.boundary_edges, a),
           vp_format_count(s->edges.nonmanifold_edges, b),
           vp_format_count(s->edges.misoriented_edges, c));
  printf(_("Components:    %u\n"), s->components);
  repair_fixes(r, fixed, sizeof fixed);
  if (fixed[0])
    printf(_("Repair:        %s\n"), fixed);
}

static bool measure(const VpMesh *mesh, VpMeshStats *stats)
{
  VpError err;
  vp_error_clear(&err);
  if (vp_mesh_measure(mesh, stats, &err))
    return true;
  vp_cli_error(NULL, err.message);
  return false;
}

/* The offer made when a model looks like metres: --scale applies it. */
static bool apply_scale(VpCase *c, double scale, const char *path)
{
  VpError err;
  vp_error_clear(&err);
  if (!vp_mesh_scale(c->surface, scale, &err)) {
    vp_cli_error(path, err.message);
    return false;
  }
  c->repair.looks_like_metres = false; /* the user has answered */
  c->repair.suggested_scale = 1.0;
  return true;
}

static VpCase *load_mesh_case(const InspectOptions *opts)
{
  VpError err;
  vp_error_clear(&err);
  VpCase *c = vp_case_from_mesh_file(opts->path, NULL, &err); /* loads and repairs */
  if (!c)
    file_error(opts->path, err.message);
  else if (opts->scale > 0.0 && !apply_scale(c, opts->scale, opts->path)) {
    vp_case_free(c);
    c = NULL;
  }
  return c;
}

static void mesh_warnings(const VpMeshRepairReport *repair, Warnings *w)
{
  repair_issues(repair, w);
  if (repair->looks_like_metres)
    warn(w, _("to measure it in millimetres, run inspect again with --scale %g"),
         repair->suggested_scale);
}

static int inspect_mesh(const InspectOptions *opts)
{
  VpCase *c = load_mesh_case(opts);
  VpMeshStats stats;
  if (!c || !measure(c->surface, &stats)) {
    vp_case_free(c);
    return VP_CLI_FAILED;
  }
  VpMeshRepairReport repair = c->repair;
  AnatomyReport anatomy = {0};
  anatomy_compute(c, NULL, &anatomy);
  vp_case_free(c);
  Warnings w = {0};
  mesh_warnings(&repair, &w);
  if (!opts->json) {
    printf(_("File:          %s\n"), base_name(opts->path));
    if (opts->scale > 0.0)
      printf(_("Scaled by:     %g\n"), opts->scale);
    print_mesh_text(&stats, &repair);
    print_anatomy_text(&anatomy);
    print_warnings(&w);
    anatomy_report_clear(&anatomy);
    return VP_CLI_OK;
  }
  cJSON *json = cJSON_CreateObject();
  cJSON_AddStringToObject(json, "kind", "mesh");
  cJSON_AddStringToObject(json, "file", base_name(opts->path));
  cJSON_AddNumberToObject(json, "scale", opts->scale > 0.0 ? opts->scale : 1.0);
  add_mesh_fields(json, &stats, &repair);
  add_anatomy_json(json, &anatomy);
  anatomy_report_clear(&anatomy);
  cJSON_AddItemToObject(json, "warnings", warnings_json(&w));
  return print_json_and_free(json);
}

/* ---- volumes ---- */

/* Everything inspect learns about a volume file. */
typedef struct VolumeReport {
  VpVolume *vol;
  VpVolumeInfo info;
  bool is_mask;
  double min, max;
  VpLabelStats labels;
  char *companion; /* the CT beside a mask or the mask beside a CT */
  /* with --label/--level */
  int label;
  VpCase *c;
  VpMeshStats surface;
  bool smoothed;
  AnatomyReport anatomy;
  Warnings warnings;
} VolumeReport;

static void volume_report_clear(VolumeReport *r)
{
  vp_volume_free(r->vol);
  vp_label_stats_clear(&r->labels);
  free(r->companion);
  vp_case_free(r->c);
  anatomy_report_clear(&r->anatomy);
}

static void volume_warnings(VolumeReport *r)
{
  if (r->info.transform == VP_VOLUME_TRANSFORM_PIXDIM)
    warn(&r->warnings, _("the file gives no orientation (neither sform nor qform): the voxel axes "
                         "are taken to run towards R, A and S"));
  if (r->info.precision_reduced)
    warn(&r->warnings, _("the values were stored with more precision than float32 keeps"));
  if (r->is_mask && r->labels.count == 0)
    warn(&r->warnings, _("the mask has no labels: every voxel is background"));
}

static int load_volume(const char *path, VolumeReport *r)
{
  VpError err;
  vp_error_clear(&err);
  r->vol = vp_volume_load_nifti(path, NULL, &r->info, &err);
  if (!r->vol) {
    file_error(path, err.message);
    return VP_CLI_FAILED;
  }
  r->is_mask = vp_volume_looks_like_mask(r->vol);
  vp_volume_value_range(r->vol, &r->min, &r->max);
  if (r->is_mask && !vp_volume_label_stats(r->vol, &r->labels, &err)) {
    vp_cli_error(path, err.message);
    return VP_CLI_FAILED;
  }
  r->companion = vp_case_find_companion(path, r->is_mask);
  volume_warnings(r);
  return VP_CLI_OK;
}

/* The label --label or --level asks for, present in the mask; otherwise one
 * line saying which labels there are. */
static int choose_label(const InspectOptions *opts, VolumeReport *r)
{
  char present[400];
  vp_label_stats_format(&r->labels, present, sizeof present);
  if (!present[0])
    snprintf(present, sizeof present, "%s", _("none"));
  int label = opts->level ? vp_level_label(opts->level) : opts->label;
  char message[700];
  if (label < 0)
    snprintf(message, sizeof message,
             _("'%s' is not a vertebra name (C1-C7, T1-T13, L1-L6); labels present: %s"),
             opts->level, present);
  else if (!vp_label_stats_find(&r->labels, label) && opts->level)
    snprintf(message, sizeof message, _("%s (label %d) is not in the mask; labels present: %s"),
             opts->level, label, present);
  else if (!vp_label_stats_find(&r->labels, label))
    snprintf(message, sizeof message, _("label %d is not in the mask; labels present: %s"), label,
             present);
  else {
    r->label = label;
    return VP_CLI_OK;
  }
  vp_cli_error(opts->path, message);
  return VP_CLI_FAILED;
}

static int extract_surface(const InspectOptions *opts, VolumeReport *r)
{
  VpError err;
  vp_error_clear(&err);
  VpSurfaceOptions surface_opts;
  vp_surface_options_default(r->vol, &surface_opts);
  r->smoothed = surface_opts.smooth;
  r->c = vp_case_from_mask(opts->path, r->label, opts->ct_path, &surface_opts, NULL, &err);
  if (!r->c) {
    file_error(opts->path, err.message);
    return VP_CLI_FAILED;
  }
  if (!measure(r->c->surface, &r->surface))
    return VP_CLI_FAILED;
  repair_issues(&r->c->repair, &r->warnings);
  anatomy_compute(r->c, NULL, &r->anatomy);
  return VP_CLI_OK;
}

/* --ct without a label: only the check that the two share a world frame. */
static int check_ct_only(const InspectOptions *opts, VolumeReport *r)
{
  VpError err;
  vp_error_clear(&err);
  VpCase *c = calloc(1, sizeof *c);
  if (!c) {
    vp_cli_error(NULL, _("out of memory"));
    return VP_CLI_FAILED;
  }
  r->c = c;
  c->ct = vp_volume_load_nifti(opts->ct_path, NULL, NULL, &err);
  if (!c->ct || !vp_case_check_ct_grid(r->vol, c->ct, &c->ct_same_grid, &err)) {
    file_error(opts->ct_path, err.message);
    return VP_CLI_FAILED;
  }
  c->ct_path = strdup(opts->ct_path);
  return VP_CLI_OK;
}

static cJSON *labels_json(const VpLabelStats *stats)
{
  cJSON *list = cJSON_CreateArray();
  for (size_t i = 0; i < stats->count; i++) {
    const VpLabelCount *l = &stats->labels[i];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "label", l->label);
    add_string_or_null(o, "level", vp_level_name(l->label));
    cJSON_AddNumberToObject(o, "voxels", (double)l->voxel_count);
    cJSON_AddNumberToObject(o, "volume_ml", rounded(l->volume_ml, 3));
    cJSON_AddItemToArray(list, o);
  }
  return list;
}

static void add_grid_fields(cJSON *o, const VpVolume *v)
{
  char code[4];
  vp_volume_orientation_code(v, code);
  VpBox3 box = vp_volume_bounds_mm(v);
  const double dims[3] = {v->dims[0], v->dims[1], v->dims[2]};
  cJSON_AddItemToObject(o, "dims", cJSON_CreateDoubleArray(dims, 3));
  cJSON_AddItemToObject(o, "spacing_mm", triple_json(v->spacing_mm, 6));
  cJSON_AddStringToObject(o, "orientation", code);
  cJSON_AddNumberToObject(o, "voxel_volume_mm3", rounded(vp_volume_voxel_volume_mm3(v), 6));
  cJSON_AddItemToObject(o, "bbox_min_mm", vec3_json(box.min));
  cJSON_AddItemToObject(o, "bbox_max_mm", vec3_json(box.max));
}

static cJSON *surface_json(const VolumeReport *r)
{
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "label", r->label);
  add_string_or_null(o, "level", vp_level_name(r->label));
  cJSON_AddBoolToObject(o, "smoothed", r->smoothed);
  add_mesh_fields(o, &r->surface, &r->c->repair);
  return o;
}

static cJSON *ct_check_json(const VpCase *c)
{
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "file", base_name(c->ct_path));
  add_grid_fields(o, c->ct);
  cJSON_AddBoolToObject(o, "same_grid", c->ct_same_grid);
  return o;
}

static cJSON *volume_json(const char *path, const VolumeReport *r)
{
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "kind", r->is_mask ? "mask" : "ct");
  cJSON_AddStringToObject(o, "file", base_name(path));
  add_grid_fields(o, r->vol);
  const double range[2] = {rounded(r->min, 3), rounded(r->max, 3)};
  cJSON_AddItemToObject(o, "value_range", cJSON_CreateDoubleArray(range, 2));
  cJSON_AddStringToObject(o, "datatype", r->info.datatype_name);
  cJSON_AddStringToObject(o, "transform", vp_volume_transform_name(r->info.transform));
  cJSON_AddNumberToObject(o, "nifti_version", r->info.nifti_version);
  cJSON_AddBoolToObject(o, "compressed", r->info.compressed);
  cJSON_AddStringToObject(o, "coordinates", "RAS+ mm");
  if (r->is_mask)
    cJSON_AddItemToObject(o, "labels", labels_json(&r->labels));
  add_string_or_null(o, "companion", r->companion ? base_name(r->companion) : NULL);
  if (r->c && r->c->surface)
    cJSON_AddItemToObject(o, "surface", surface_json(r));
  add_anatomy_json(o, &r->anatomy);
  if (r->c && r->c->ct)
    cJSON_AddItemToObject(o, "ct", ct_check_json(r->c));
  cJSON_AddItemToObject(o, "warnings", warnings_json(&r->warnings));
  return o;
}

static void print_grid_text(const VpVolume *v)
{
  char code[4];
  vp_volume_orientation_code(v, code);
  VpBox3 b = vp_volume_bounds_mm(v);
  printf(_("Grid:          %d x %d x %d voxels of %.2f x %.2f x %.2f mm, axes towards %s\n"),
         v->dims[0], v->dims[1], v->dims[2], v->spacing_mm[0], v->spacing_mm[1], v->spacing_mm[2],
         code);
  printf(_("Bounds:        %.1f to %.1f, %.1f to %.1f, %.1f to %.1f mm (RAS+)\n"), b.min.x, b.max.x,
         b.min.y, b.max.y, b.min.z, b.max.z);
}

static void print_labels_text(const VpLabelStats *stats)
{
  char count[32];
  printf(_("Labels:        %zu\n"), stats->count);
  for (size_t i = 0; i < stats->count; i++) {
    const VpLabelCount *l = &stats->labels[i];
    const char *level = vp_level_name(l->label);
    printf(_("  %4d  %-4s %12s voxels  %8.1f mL\n"), l->label, level ? level : "-",
           vp_format_count(l->voxel_count, count), l->volume_ml);
  }
}

static void print_volume_text(const char *path, const VolumeReport *r)
{
  printf(_("File:          %s\n"), base_name(path));
  printf(_("Kind:          %s (NIfTI-%d%s, %s, orientation from the %s)\n"),
         r->is_mask ? _("label mask") : _("CT"), r->info.nifti_version,
         r->info.compressed ? _(", compressed") : "", r->info.datatype_name,
         vp_volume_transform_name(r->info.transform));
  print_grid_text(r->vol);
  printf(_("Values:        %g to %g%s\n"), r->min, r->max, r->is_mask ? "" : _(" HU"));
  if (r->is_mask)
    print_labels_text(&r->labels);
  if (r->companion)
    printf(r->is_mask ? _("CT beside it:  %s\n") : _("Mask beside it: %s\n"),
           base_name(r->companion));
  if (r->c && r->c->ct)
    printf(_("CT:            %s, %s\n"), base_name(r->c->ct_path),
           r->c->ct_same_grid ? _("same grid as the mask")
                              : _("another grid over the same space (sampled by position)"));
  if (r->c && r->c->surface) {
    const char *level = vp_level_name(r->label);
    printf(_("Surface of label %d%s%s%s:\n"), r->label, level ? " (" : "", level ? level : "",
           level ? ")" : "");
    print_mesh_text(&r->surface, &r->c->repair);
  }
  print_anatomy_text(&r->anatomy);
  print_warnings(&r->warnings);
}

static bool wants_mask_options(const InspectOptions *opts)
{
  return opts->label || opts->level || opts->ct_path;
}

static int refuse_options(const InspectOptions *opts, VpFileKind kind, bool is_ct)
{
  const char *what = kind == VP_FILE_MESH   ? _("a mesh")
                     : kind == VP_FILE_PLAN ? _("a plan")
                     : is_ct                ? _("a CT")
                                            : _("a label mask");
  if (kind != VP_FILE_MESH && opts->scale > 0.0)
    return vp_cli_usage_error("inspect", _("--scale goes with a mesh, and %s is %s"),
                              base_name(opts->path), what);
  return vp_cli_usage_error("inspect",
                            _("--label, --level and --ct go with a label mask, and %s "
                              "is %s"),
                            base_name(opts->path), what);
}

static int inspect_volume(const InspectOptions *opts)
{
  VolumeReport r = {0};
  int status = load_volume(opts->path, &r);
  if (status == VP_CLI_OK && ((!r.is_mask && wants_mask_options(opts)) || opts->scale > 0.0))
    status = refuse_options(opts, VP_FILE_VOLUME, !r.is_mask);
  bool selected = opts->label || opts->level;
  if (status == VP_CLI_OK && selected)
    status = choose_label(opts, &r);
  if (status == VP_CLI_OK && selected)
    status = extract_surface(opts, &r);
  else if (status == VP_CLI_OK && opts->ct_path)
    status = check_ct_only(opts, &r);
  if (status == VP_CLI_OK && opts->json)
    status = print_json_and_free(volume_json(opts->path, &r));
  else if (status == VP_CLI_OK)
    print_volume_text(opts->path, &r);
  volume_report_clear(&r);
  return status;
}

/* ---- plans ---- */

static const char *state_name(VpSourceState state)
{
  static const char *const names[] = {"found", "missing", "changed", "unreadable"};
  return (unsigned)state < 4 ? names[state] : "unreadable";
}

static const char *state_title(VpSourceState state)
{
  switch (state) {
  case VP_SOURCE_FOUND:
    return _("found");
  case VP_SOURCE_MISSING:
    return _("missing");
  case VP_SOURCE_CHANGED:
    return _("changed");
  case VP_SOURCE_UNREADABLE:
    break;
  }
  return _("unreadable");
}

typedef struct PlanReport {
  VpPlan *plan;
  VpPlanLoadReport load;
  VpCase *c; /* NULL when a source is missing or changed */
  VpMeshStats surface;
  AnatomyReport anatomy;
  Warnings warnings;
} PlanReport;

static void plan_report_clear(PlanReport *r)
{
  vp_plan_free(r->plan);
  vp_plan_load_report_clear(&r->load);
  vp_case_free(r->c);
  anatomy_report_clear(&r->anatomy);
}

/* The plan's correction of the automatic frame, as the anatomy takes it. */
static VpFrameAdjustment plan_frame_adjustment(const VpPlan *plan)
{
  VpFrameAdjustment adj = {{0, 0, 0}, {0, 0, 0}};
  if (plan->anatomy.has_frame_adjustment) {
    memcpy(adj.rotation_deg, plan->anatomy.rotation_deg, sizeof adj.rotation_deg);
    memcpy(adj.offset_mm, plan->anatomy.offset_mm, sizeof adj.offset_mm);
  }
  return adj;
}

static void source_warnings(PlanReport *r)
{
  for (size_t i = 0; i < r->plan->case_info.source_count; i++) {
    const VpPlanSource *s = &r->plan->case_info.sources[i];
    const char *role = vp_source_role_name(s->role);
    VpSourceState state = r->load.source_states[i];
    if (state == VP_SOURCE_MISSING)
      warn(&r->warnings, _("the %s file is missing: %s"), role ? role : "?", s->path);
    else if (state == VP_SOURCE_CHANGED)
      warn(&r->warnings, _("the %s file has changed since the plan was made: %s"),
           role ? role : "?", s->path);
    else if (state == VP_SOURCE_UNREADABLE)
      warn(&r->warnings, _("the %s file cannot be read: %s"), role ? role : "?", s->path);
  }
}

static int load_plan(const char *path, PlanReport *r)
{
  VpError err;
  vp_error_clear(&err);
  r->plan = vp_plan_load(path, &r->load, &err);
  if (!r->plan) {
    file_error(path, err.message);
    return VP_CLI_FAILED;
  }
  source_warnings(r);
  if (r->load.missing_count || r->load.changed_count || r->load.unreadable_count) {
    warn(&r->warnings, "%s", _("the vertebra cannot be shown until its files are back"));
    anatomy_missing(&r->anatomy, _("the vertebra's files are missing or changed"));
    return VP_CLI_OK;
  }
  r->c = vp_case_from_plan(r->plan, NULL, &err);
  if (!r->c) {
    file_error(path, err.message);
    return VP_CLI_FAILED;
  }
  if (!measure(r->c->surface, &r->surface))
    return VP_CLI_FAILED;
  repair_issues(&r->c->repair, &r->warnings);
  VpFrameAdjustment adj = plan_frame_adjustment(r->plan);
  anatomy_compute(r->c, &adj, &r->anatomy);
  return VP_CLI_OK;
}

static cJSON *sources_json(const PlanReport *r)
{
  cJSON *list = cJSON_CreateArray();
  for (size_t i = 0; i < r->plan->case_info.source_count; i++) {
    const VpPlanSource *s = &r->plan->case_info.sources[i];
    cJSON *o = cJSON_CreateObject();
    add_string_or_null(o, "role", vp_source_role_name(s->role));
    cJSON_AddStringToObject(o, "file", base_name(s->path));
    cJSON_AddStringToObject(o, "path", s->path);
    cJSON_AddStringToObject(o, "state", state_name(r->load.source_states[i]));
    cJSON_AddStringToObject(o, "sha256", s->sha256);
    cJSON_AddNumberToObject(o, "size_bytes", (double)s->size_bytes);
    cJSON_AddItemToArray(list, o);
  }
  return list;
}

static const char *measurement_kind_name(VpMeasurementKind kind)
{
  return kind == VP_MEASUREMENT_ANGLE ? "angle" : "distance";
}

/* Each measurement with its value: mm for a distance, degrees for an angle. */
static cJSON *measurements_json(const VpPlan *plan)
{
  cJSON *list = cJSON_CreateArray();
  for (size_t i = 0; i < plan->measurement_count; i++) {
    const VpPlanMeasurement *m = &plan->measurements[i];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "kind", measurement_kind_name(m->kind));
    cJSON *points = cJSON_AddArrayToObject(o, "points_mm");
    for (int p = 0; p < (m->kind == VP_MEASUREMENT_ANGLE ? 3 : 2); p++)
      cJSON_AddItemToArray(points, triple_json(m->points_mm[p], 3));
    cJSON_AddNumberToObject(o, "value", rounded(vp_plan_measurement_value(m), 3));
    cJSON_AddItemToArray(list, o);
  }
  return list;
}

static cJSON *plan_json(const char *path, const PlanReport *r)
{
  const VpPlanCase *pc = &r->plan->case_info;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "kind", "plan");
  cJSON_AddStringToObject(o, "file", base_name(path));
  cJSON_AddNumberToObject(o, "format_version", r->plan->format_version);
  cJSON_AddStringToObject(o, "created_with", r->plan->created_with);
  cJSON_AddStringToObject(o, "name", pc->name);
  add_string_or_null(o, "level", pc->level);
  if (pc->label != VP_PLAN_LABEL_NONE)
    cJSON_AddNumberToObject(o, "label", pc->label);
  else
    cJSON_AddNullToObject(o, "label");
  add_string_or_null(o, "notes", pc->notes);
  cJSON_AddItemToObject(o, "sources", sources_json(r));
  cJSON_AddItemToObject(o, "measurements", measurements_json(r->plan));
  if (r->c) {
    cJSON *surface = cJSON_CreateObject();
    add_mesh_fields(surface, &r->surface, &r->c->repair);
    cJSON_AddItemToObject(o, "surface", surface);
  } else
    cJSON_AddNullToObject(o, "surface");
  add_anatomy_json(o, &r->anatomy);
  cJSON_AddItemToObject(o, "warnings", warnings_json(&r->warnings));
  return o;
}

static void print_plan_text(const char *path, const PlanReport *r)
{
  const VpPlanCase *pc = &r->plan->case_info;
  printf(_("File:          %s\n"), base_name(path));
  printf(_("Kind:          plan (format version %d, made with %s)\n"), r->plan->format_version,
         r->plan->created_with[0] ? r->plan->created_with : "?");
  printf(_("Case:          %s\n"), pc->name[0] ? pc->name : _("(no name)"));
  if (pc->label != VP_PLAN_LABEL_NONE)
    printf(_("Level:         %s (label %d)\n"), pc->level[0] ? pc->level : "?", pc->label);
  else
    printf(_("Level:         %s\n"), pc->level[0] ? pc->level : _("not set"));
  printf("%s\n", _("Sources:"));
  for (size_t i = 0; i < pc->source_count; i++) {
    const char *role = vp_source_role_name(pc->sources[i].role);
    printf("  %-8s %-8s %s\n", role ? role : "?", state_title(r->load.source_states[i]),
           pc->sources[i].path);
  }
  if (r->c) {
    printf("%s\n", _("Surface:"));
    print_mesh_text(&r->surface, &r->c->repair);
  }
  print_anatomy_text(&r->anatomy);
  print_warnings(&r->warnings);
}

static int inspect_plan(const InspectOptions *opts)
{
  PlanReport r = {0};
  int status = load_plan(opts->path, &r);
  if (status == VP_CLI_OK && opts->json)
    status = print_json_and_free(plan_json(opts->path, &r));
  else if (status == VP_CLI_OK)
    print_plan_text(opts->path, &r);
  plan_report_clear(&r);
  return status;
}

/* ---- the command ---- */

/* Folders, pipes and devices are answered before any loader could wait on them. */
static bool is_readable_kind(const char *path)
{
  struct stat st;
  if (stat(path, &st) != 0 || S_ISREG(st.st_mode))
    return true;
  vp_cli_error(path, S_ISDIR(st.st_mode) ? _("this is a folder, not a file")
                                         : _("not a regular file (a pipe or a device?)"));
  return false;
}

static int unknown_kind(const char *path)
{
  if (access(path, F_OK) != 0)
    vp_cli_error(path, _("the file does not exist"));
  else
    vp_cli_error(path, _("not a file inspect reads: expected a mesh (STL, OBJ, PLY), a NIfTI "
                         "volume (.nii, .nii.gz) or a plan (.vplan)"));
  return VP_CLI_FAILED;
}

int vp_cli_inspect(int argc, char **argv)
{
  InspectOptions opts;
  int status = parse_options(argc, argv, &opts);
  if (status != VP_CLI_OK)
    return status;
  if (!is_readable_kind(opts.path))
    return VP_CLI_FAILED;
  VpFileKind kind = vp_file_kind(opts.path);
  if (kind == VP_FILE_VOLUME)
    return inspect_volume(&opts);
  if (kind != VP_FILE_UNKNOWN &&
      (wants_mask_options(&opts) || (opts.scale > 0.0 && kind != VP_FILE_MESH)))
    return refuse_options(&opts, kind, false);
  switch (kind) {
  case VP_FILE_MESH:
    return inspect_mesh(&opts);
  case VP_FILE_PLAN:
    return inspect_plan(&opts);
  case VP_FILE_VOLUME:
  case VP_FILE_UNKNOWN:
    break;
  }
  return unknown_kind(opts.path);
}
