/* `case`: make a plan document for one vertebra of a label mask (and its CT). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <libintl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vp-case.h"
#include "vp-cli-private.h"
#include "vp-config.h"

#define _(String) gettext(String)

typedef struct CaseOptions {
  const char *mask_path;
  const char *ct_path;
  const char *out_path;
  const char *surface_path; /* NULL: beside the plan */
  const char *level;
  int label;
  bool json;
} CaseOptions;

void vp_cli_case_help(FILE *out)
{
  fprintf(out,
          _("Usage: vertebra-planner-cli case --mask MASK (--level NAME | --label N) [--ct CT] "
            "-o PLAN [--json]\n\n"));
  fprintf(
      out, "%s\n\n",
      _("Extracts one vertebra's surface from a label mask (VerSe numbering: 8-19 = T1-T12,\n"
        "20-24 = L1-L5, 25 = L6, 28 = T13), checks that the CT shares the mask's world frame,\n"
        "saves the surface as binary STL beside the plan (PLAN-NAME_LEVEL.stl unless\n"
        "--surface says otherwise), and writes a plan document naming the surface, the CT\n"
        "and the mask with their SHA-256. Paths inside the plan's folder are stored\n"
        "relative to it. Writing is atomic: an existing file is replaced whole or not at all."));
  fprintf(out, "%s\n", _("Options:"));
  fprintf(out, "  --mask MASK    %s\n", _("The label mask (NIfTI)"));
  fprintf(out, "  --level NAME   %s\n", _("The vertebra by name, e.g. L3 or T12"));
  fprintf(out, "  --label N      %s\n", _("The vertebra by label number"));
  fprintf(out, "  --ct CT        %s\n", _("The CT the mask was made from (NIfTI, optional)"));
  fprintf(out, "  -o PLAN        %s\n", _("Where to write the plan (.vplan)"));
  fprintf(out, "  --surface STL  %s\n", _("Where to write the surface (default: beside the plan)"));
  fprintf(out, "  --json         %s\n", _("Print the written plan as 'inspect PLAN --json' does"));
}

/* Where each option's value goes; NULL for --label, which is parsed. */
static const char **value_slot(CaseOptions *opts, const char *name)
{
  if (strcmp(name, "--mask") == 0)
    return &opts->mask_path;
  if (strcmp(name, "--ct") == 0)
    return &opts->ct_path;
  if (strcmp(name, "--level") == 0)
    return &opts->level;
  if (strcmp(name, "-o") == 0 || strcmp(name, "--output") == 0)
    return &opts->out_path;
  if (strcmp(name, "--surface") == 0)
    return &opts->surface_path;
  return NULL;
}

static bool takes_value(const char *name)
{
  static const char *const names[] = {"--mask", "--ct",     "--level",  "--label",
                                      "-o",     "--output", "--surface"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(name, names[i]) == 0)
      return true;
  return false;
}

static int set_option(CaseOptions *opts, const char *name, const char *value)
{
  const char **slot = value_slot(opts, name);
  if (slot && *slot)
    return vp_cli_usage_error("case", _("%s is given twice"), name);
  if (slot)
    *slot = value;
  else if (!vp_cli_parse_int(value, 1, INT_MAX, &opts->label))
    return vp_cli_usage_error("case", _("--label needs a positive whole number, not '%s'"), value);
  return VP_CLI_OK;
}

/* One argument (and its value) at *i; "--name=value" works too. */
static int parse_one(int argc, char **argv, int *i, CaseOptions *opts)
{
  char name[32];
  const char *arg = argv[*i], *eq = strchr(arg, '=');
  snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - arg) : (int)strlen(arg), arg);
  if (strcmp(arg, "--json") == 0) {
    opts->json = true;
    return VP_CLI_OK;
  }
  if (!takes_value(name))
    return arg[0] == '-' ? vp_cli_usage_error("case", _("unknown option '%s'"), arg)
                         : vp_cli_usage_error("case",
                                              _("unexpected argument '%s'; the mask goes "
                                                "after --mask"),
                                              arg);
  if (eq)
    return set_option(opts, name, eq + 1);
  if (*i + 1 >= argc)
    return vp_cli_usage_error("case", _("%s needs a value"), name);
  return set_option(opts, name, argv[++*i]);
}

static int parse_options(int argc, char **argv, CaseOptions *opts)
{
  memset(opts, 0, sizeof *opts);
  for (int i = 1; i < argc; i++) {
    int status = parse_one(argc, argv, &i, opts);
    if (status != VP_CLI_OK)
      return status;
  }
  if (!opts->mask_path)
    return vp_cli_usage_error("case", _("no mask given (--mask MASK)"));
  if (!opts->out_path)
    return vp_cli_usage_error("case", _("no plan file given (-o PLAN)"));
  if (opts->label && opts->level)
    return vp_cli_usage_error("case", _("--label and --level choose the same thing; give one"));
  if (!opts->label && !opts->level)
    return vp_cli_usage_error("case", _("which vertebra? Give --level NAME or --label N"));
  if (opts->label > VP_PLAN_LABEL_MAX)
    return vp_cli_usage_error("case", _("a plan holds VerSe labels 1 to %d, not %d"),
                              VP_PLAN_LABEL_MAX, opts->label);
  if (opts->level && vp_level_label(opts->level) < 0)
    return vp_cli_usage_error("case", _("'%s' is not a vertebra name; use C1-C7, T1-T13 or L1-L6"),
                              opts->level);
  return VP_CLI_OK;
}

/* "dir/case_L3.stl" for the plan "dir/case.vplan", malloc'ed. */
static char *surface_beside(const char *plan_path, const VpCase *c)
{
  const char *name = strrchr(plan_path, '/');
  name = name ? name + 1 : plan_path;
  const char *dot = strrchr(name, '.');
  size_t stem = dot && dot != name ? (size_t)(dot - plan_path) : strlen(plan_path);
  char what[32];
  if (c->level[0])
    snprintf(what, sizeof what, "%s", c->level);
  else
    snprintf(what, sizeof what, "label%d", c->label);
  size_t n = stem + strlen(what) + 6;
  char *path = malloc(n);
  if (path)
    snprintf(path, n, "%.*s_%s.stl", (int)stem, plan_path, what);
  return path;
}

static bool save_surface(VpCase *c, const CaseOptions *opts, VpError *err)
{
  char *beside = opts->surface_path ? NULL : surface_beside(opts->out_path, c);
  if (!opts->surface_path && !beside)
    return vp_error_set(err, VP_ERR_NOMEM, "%s", _("out of memory"));
  bool ok = vp_case_save_surface(c, opts->surface_path ? opts->surface_path : beside, err);
  free(beside);
  return ok;
}

static bool write_plan(const VpCase *c, const char *path, VpError *err)
{
  VpPlan *plan = vp_plan_new(VP_VERSION, err);
  bool ok = plan && vp_case_to_plan(c, plan, err) && vp_plan_save(plan, path, err);
  vp_plan_free(plan);
  return ok;
}

static void print_summary(const VpCase *c, const char *path)
{
  char triangles[32], what[64];
  double volume_ml = fabs(vp_mesh_signed_volume_mm3(c->surface)) / 1000.0;
  if (c->level[0])
    snprintf(what, sizeof what, _("%s (label %d)"), c->level, c->label);
  else
    snprintf(what, sizeof what, _("label %d"), c->label);
  const char *stl = strrchr(c->surface_path, '/');
  printf(_("Wrote %s: %s, surface %s triangles, %.1f mL, in %s\n"), path, what,
         vp_format_count(c->surface->triangle_count, triangles), volume_ml,
         stl ? stl + 1 : c->surface_path);
}

int vp_cli_case(int argc, char **argv)
{
  CaseOptions opts;
  int status = parse_options(argc, argv, &opts);
  if (status != VP_CLI_OK)
    return status;
  int label = opts.level ? vp_level_label(opts.level) : opts.label;
  VpError err;
  vp_error_clear(&err);
  VpCase *c = vp_case_from_mask(opts.mask_path, label, opts.ct_path, NULL, NULL, &err);
  if (!c || !save_surface(c, &opts, &err) || !write_plan(c, opts.out_path, &err)) {
    vp_cli_error("case", err.message);
    vp_case_free(c);
    return VP_CLI_FAILED;
  }
  if (!opts.json)
    print_summary(c, opts.out_path);
  vp_case_free(c);
  if (!opts.json)
    return VP_CLI_OK;
  /* The same object inspect prints, read back from the file just written. */
  char *inspect_argv[] = {"inspect", (char *)opts.out_path, "--json", NULL};
  return vp_cli_inspect(3, inspect_argv);
}
