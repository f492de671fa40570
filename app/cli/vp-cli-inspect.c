/* `inspect`: load a vertebra model and print its measures as text or JSON. */
#include <cjson/cJSON.h>
#include <libintl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vp-cli-private.h"
#include "vp-mesh.h"

#define _(String) gettext(String)

typedef struct InspectOptions {
  const char *path;
  bool json;
} InspectOptions;

void vp_cli_inspect_help(FILE *out)
{
  fprintf(out, _("Usage: vertebra-planner-cli inspect FILE [--json]\n\n"));
  fprintf(out, "%s\n\n", _("Loads a vertebra surface mesh (STL, binary or ASCII) and prints its "
                           "triangle and vertex counts,\nbounding box, surface area, enclosed "
                           "volume, whether it is watertight and how many parts it has."));
  fprintf(out, "%s\n", _("Options:"));
  fprintf(out, "  --json  %s\n", _("Print one JSON object instead of text"));
}

static int parse_options(int argc, char **argv, InspectOptions *opts)
{
  memset(opts, 0, sizeof *opts);
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (strcmp(arg, "--json") == 0)
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
  return VP_CLI_OK;
}

/* Rounds away float noise so the JSON reads like a measurement. */
static double rounded(double value, double step)
{
  return round(value / step) * step;
}

static cJSON *vec3_json(VpVec3 v)
{
  const double xyz[3] = {rounded(v.x, 1e-3), rounded(v.y, 1e-3), rounded(v.z, 1e-3)};
  return cJSON_CreateDoubleArray(xyz, 3);
}

static const char *base_name(const char *path)
{
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

static cJSON *stats_json(const char *path, const VpMeshStats *s)
{
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "file", base_name(path));
  cJSON_AddNumberToObject(o, "triangles", s->triangles);
  cJSON_AddNumberToObject(o, "vertices", s->vertices);
  cJSON_AddItemToObject(o, "bbox_min_mm", vec3_json(s->bounds.min));
  cJSON_AddItemToObject(o, "bbox_max_mm", vec3_json(s->bounds.max));
  cJSON_AddItemToObject(o, "size_mm", vec3_json(vp_box3_size(s->bounds)));
  cJSON_AddNumberToObject(o, "surface_area_mm2", rounded(s->surface_area_mm2, 1e-2));
  cJSON_AddNumberToObject(o, "volume_ml", rounded(s->volume_ml, 1e-4));
  cJSON_AddBoolToObject(o, "watertight", s->edges.watertight);
  cJSON_AddBoolToObject(o, "outward_oriented", s->outward);
  cJSON_AddNumberToObject(o, "components", s->components);
  cJSON_AddNumberToObject(o, "boundary_edges", s->edges.boundary_edges);
  cJSON_AddNumberToObject(o, "nonmanifold_edges", s->edges.nonmanifold_edges);
  cJSON_AddNumberToObject(o, "misoriented_edges", s->edges.misoriented_edges);
  cJSON_AddStringToObject(o, "coordinates", "RAS+ mm");
  return o;
}

static void print_text(const char *path, const VpMeshStats *s)
{
  char a[32], b[32], c[32];
  VpVec3 size = vp_box3_size(s->bounds);
  printf(_("File:          %s\n"), base_name(path));
  printf(_("Triangles:     %s\n"), vp_format_count(s->triangles, a));
  printf(_("Vertices:      %s\n"), vp_format_count(s->vertices, b));
  printf(_("Size:          %.1f x %.1f x %.1f mm (x, y, z)\n"), size.x, size.y, size.z);
  printf(_("Bounds:        %.1f to %.1f, %.1f to %.1f, %.1f to %.1f mm (RAS+)\n"),
         s->bounds.min.x, s->bounds.max.x, s->bounds.min.y, s->bounds.max.y, s->bounds.min.z,
         s->bounds.max.z);
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
}

int vp_cli_inspect(int argc, char **argv)
{
  InspectOptions opts;
  int status = parse_options(argc, argv, &opts);
  if (status != VP_CLI_OK)
    return status;

  VpError err;
  vp_error_clear(&err);
  VpMesh *mesh = vp_mesh_load(opts.path, &err);
  VpMeshStats stats;
  if (!mesh || !vp_mesh_measure(mesh, &stats, &err)) {
    vp_cli_error(opts.path, err.message);
    vp_mesh_free(mesh);
    return VP_CLI_FAILED;
  }
  vp_mesh_free(mesh);

  if (!opts.json) {
    print_text(opts.path, &stats);
    return VP_CLI_OK;
  }
  cJSON *json = stats_json(opts.path, &stats);
  bool ok = json && vp_cli_print_json(json);
  cJSON_Delete(json);
  return ok ? VP_CLI_OK : VP_CLI_FAILED;
}
