/* `phantom`: generate an anatomical vertebra phantom (surface, mask,
 * synthetic CT and a plan holding its ground truth), list the generator's
 * parameters, or write the index of a set of generated cases. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <libintl.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vp-cli-private.h"
#include "vp-config.h"
#include "vp-fileutil.h"
#include "vp-phantom.h"
#include "vp-plan.h"

#define _(String) gettext(String)
#define MAX_REPEATED 64
#define CASES_FORMAT "vertebra-planner-cases"

typedef struct PhantomOptions {
  const char *level, *params_path, *out_path, *title, *note, *case_id;
  const char *fracture, *endplate, *retropulsion, *seed;
  const char *lesions[MAX_REPEATED];
  int lesion_count;
  const char *sets[MAX_REPEATED];
  int set_count;
  const char *inputs[MAX_REPEATED]; /* plans, for --index */
  int input_count;
  bool cleft, osteoporotic, json, list_params, index;
} PhantomOptions;

void vp_cli_phantom_help(FILE *out)
{
  fprintf(out, _("Usage: vertebra-planner-cli phantom --level LEVEL [OPTIONS] -o CASE.vplan\n"
                 "       vertebra-planner-cli phantom --params FILE [OPTIONS] -o CASE.vplan\n"
                 "       vertebra-planner-cli phantom --list-params [--level LEVEL]\n"
                 "       vertebra-planner-cli phantom --index -o CASES.json PLAN...\n\n"));
  fprintf(out, "%s\n\n",
          _("Generates one vertebra (T1-T12, L1-L5) shaped from published morphometry, with\n"
            "optional pathology, and writes a case: the surface (CASE.stl), a synthetic CT in\n"
            "Hounsfield units (CASE_ct.nii.gz), the label mask (CASE_seg-vert_msk.nii.gz, VerSe\n"
            "numbering), a map of the parts (CASE_parts.nii.gz) and the plan CASE.vplan, which\n"
            "records the ground truth: every parameter with its source, volumes, pedicle\n"
            "isthmus sizes, body heights, breaches. The same parameters and seed always give\n"
            "the same files; the seed changes only the CT noise.\n"
            "Lesion centres are in mm from the centre of the vertebral body, along the patient's\n"
            "right (x), anterior (y) and superior (z)."));
  fprintf(out, "%s\n", _("Options:"));
  fprintf(out, "  --level LEVEL             %s\n", _("The vertebra: T1-T12 or L1-L5"));
  fprintf(out, "  --params FILE             %s\n",
          _("Read the phantom from a parameter file (JSON)"));
  fprintf(out, "  --fracture SHAPE:GRADE    %s\n",
          _("Compression fracture: wedge, biconcave or crush, Genant grade 1-3"));
  fprintf(out, "  --cleft                   %s\n", _("An intravertebral gas cleft (Kümmell)"));
  fprintf(out, "  --endplate-break SIDE     %s\n", _("A broken endplate: superior or inferior"));
  fprintf(out, "  --retropulsion MM         %s\n",
          _("Push a posterior wall fragment into the canal"));
  fprintf(out, "  --osteoporotic            %s\n", _("Osteoporotic trabecular bone (85 HU)"));
  fprintf(out, "  --lesion KIND:X,Y,Z,R[:breach=SITE][:hu=HU]\n    %s\n",
          _("A lytic, blastic or mixed lesion (repeatable); SITE is posterior, anterior,\n"
            "    superior, inferior, left or right"));
  fprintf(out, "  --set NAME=VALUE          %s\n",
          _("Override any numeric parameter (repeatable; see --list-params)"));
  fprintf(out, "  --seed N                  %s\n", _("Seed of the CT noise (default 1)"));
  fprintf(out, "  --case ID                 %s\n",
          _("Title and teaching note of a bundled teaching case"));
  fprintf(out, "  --title TEXT              %s\n", _("Name of the case"));
  fprintf(out, "  --note TEXT               %s\n", _("Teaching note shown with the case"));
  fprintf(out, "  -o FILE                   %s\n",
          _("The plan to write (or the index with --index)"));
  fprintf(out, "  --json                    %s\n", _("Print the ground truth as JSON"));
  fprintf(out, "  --list-params             %s\n", _("List the numeric parameters"));
  fprintf(out, "  --index                   %s\n", _("Write an index of the given case plans"));
}

/* ---- parsing ---- */

/* A number in C notation whatever the locale (a German locale would want 4,5). */
static bool parse_number(const char *text, double *out)
{
  locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
  if (c == (locale_t)0)
    return false;
  locale_t old = uselocale(c);
  char *end = NULL;
  errno = 0;
  double v = strtod(text, &end);
  bool ok = errno == 0 && end != text && *end == '\0' && isfinite(v);
  uselocale(old);
  freelocale(c);
  if (ok)
    *out = v;
  return ok;
}

static int push(const char **list, int *count, const char *value, const char *option)
{
  if (*count >= MAX_REPEATED)
    return vp_cli_usage_error("phantom", _("%s can be given at most %d times"), option,
                              MAX_REPEATED);
  list[(*count)++] = value;
  return VP_CLI_OK;
}

static int store_value(PhantomOptions *o, const char *name, const char *value)
{
  struct {
    const char *name;
    const char **slot;
  } single[] = {
      {"--level", &o->level},
      {"--params", &o->params_path},
      {"-o", &o->out_path},
      {"--output", &o->out_path},
      {"--title", &o->title},
      {"--note", &o->note},
      {"--case", &o->case_id},
      {"--fracture", &o->fracture},
      {"--endplate-break", &o->endplate},
      {"--retropulsion", &o->retropulsion},
      {"--seed", &o->seed},
  };
  for (size_t i = 0; i < sizeof single / sizeof single[0]; i++)
    if (strcmp(name, single[i].name) == 0) {
      *single[i].slot = value;
      return VP_CLI_OK;
    }
  if (strcmp(name, "--lesion") == 0)
    return push(o->lesions, &o->lesion_count, value, name);
  return push(o->sets, &o->set_count, value, name);
}

static const char *const valued[] = {
    "--level",        "--params",   "-o",
    "--output",       "--title",    "--note",
    "--case",         "--fracture", "--endplate-break",
    "--retropulsion", "--seed",     "--lesion",
    "--set",          NULL,
};

static int parse_flag(PhantomOptions *o, const char *arg)
{
  struct {
    const char *name;
    bool *flag;
  } flags[] = {
      {"--cleft", &o->cleft}, {"--osteoporotic", &o->osteoporotic},
      {"--json", &o->json},   {"--list-params", &o->list_params},
      {"--index", &o->index},
  };
  for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
    if (strcmp(arg, flags[i].name) == 0) {
      *flags[i].flag = true;
      return VP_CLI_OK;
    }
  if (arg[0] == '-' && arg[1] != '\0')
    return vp_cli_usage_error("phantom", _("unknown option '%s'"), arg);
  return push(o->inputs, &o->input_count, arg, _("a file"));
}

static int parse_options(int argc, char **argv, PhantomOptions *o)
{
  memset(o, 0, sizeof *o);
  for (int i = 1; i < argc; i++) {
    const char *value = NULL;
    bool missing = false;
    size_t v = 0;
    for (; valued[v] && !value && !missing; v++)
      value = vp_cli_option_value(argc, argv, &i, valued[v], &missing);
    if (missing)
      return vp_cli_usage_error("phantom", _("%s needs a value"), valued[v - 1]);
    int status = value ? store_value(o, valued[v - 1], value) : parse_flag(o, argv[i]);
    if (status != VP_CLI_OK)
      return status;
  }
  if (!o->list_params && !o->out_path)
    return vp_cli_usage_error("phantom", _("no output given: use -o CASE.vplan"));
  if (!o->index && !o->list_params && o->input_count > 0)
    return vp_cli_usage_error("phantom", _("unexpected argument '%s'"), o->inputs[0]);
  if (!o->index && !o->list_params && !o->level && !o->params_path)
    return vp_cli_usage_error("phantom", _("say which vertebra: --level LEVEL or --params FILE"));
  return VP_CLI_OK;
}

/* ---- pathology options ---- */

static int apply_fracture(VpPhantomParams *p, const char *text)
{
  char shape[32];
  const char *colon = strchr(text, ':');
  int grade = 0;
  VpError err = {0};
  VpFractureShape s;
  size_t n = colon ? (size_t)(colon - text) : 0;
  if (n < sizeof shape)
    snprintf(shape, sizeof shape, "%.*s", (int)n, text);
  if (!colon || n >= sizeof shape || !vp_cli_parse_int(colon + 1, INT_MIN, INT_MAX, &grade) ||
      !vp_fracture_shape_from_name(shape, &s) || s == VP_FRACTURE_NONE)
    return vp_cli_usage_error("phantom",
                              _("--fracture needs SHAPE:GRADE with SHAPE wedge, biconcave or crush "
                                "and GRADE 1-3, e.g. wedge:2; not '%s'"),
                              text);
  if (!vp_phantom_params_set_fracture(p, s, grade, &err))
    return vp_cli_usage_error("phantom", "%s", err.message);
  return VP_CLI_OK;
}

/* Splits text (a copy the caller owns) in place. */
static bool parse_center(char *text, VpPhantomLesion *l)
{
  double v[4];
  char *save = NULL, *tok = strtok_r(text, ",", &save);
  for (int i = 0; i < 4; i++, tok = strtok_r(NULL, ",", &save))
    if (!tok || !parse_number(tok, &v[i]))
      return false;
  if (tok)
    return false;
  l->center_mm = vp_vec3(v[0], v[1], v[2]);
  l->radius_mm = v[3];
  return true;
}

static bool parse_lesion_extra(const char *text, VpPhantomLesion *l)
{
  if (strncmp(text, "breach=", 7) == 0)
    return vp_breach_site_from_name(text + 7, &l->breach);
  if (strncmp(text, "hu=", 3) == 0)
    return parse_number(text + 3, &l->hu);
  return false;
}

/* The whole option is copied, however long: cutting it at a buffer's size
 * could leave a different lesion that still parses. */
static int apply_lesion(VpPhantomParams *p, const char *text)
{
  VpPhantomLesion l = {.hu = NAN};
  VpError err = {0};
  char *copy = strdup(text);
  if (!copy) {
    vp_cli_error(NULL, _("out of memory"));
    return VP_CLI_FAILED;
  }
  char *save = NULL, *kind = strtok_r(copy, ":", &save), *where = strtok_r(NULL, ":", &save);
  bool ok = kind && where && vp_lesion_kind_from_name(kind, &l.kind) && parse_center(where, &l);
  for (char *extra = strtok_r(NULL, ":", &save); ok && extra; extra = strtok_r(NULL, ":", &save))
    ok = parse_lesion_extra(extra, &l);
  free(copy);
  if (!ok)
    return vp_cli_usage_error(
        "phantom",
        _("--lesion needs KIND:X,Y,Z,R[:breach=SITE][:hu=HU] with KIND lytic, "
          "blastic or mixed, e.g. lytic:0,-6,0,8:breach=posterior; not '%s'"),
        text);
  if (!vp_phantom_params_add_lesion(p, &l, &err))
    return vp_cli_usage_error("phantom", "%s", err.message);
  return VP_CLI_OK;
}

static int apply_set(VpPhantomParams *p, const char *text)
{
  char name[96];
  const char *eq = strchr(text, '=');
  double value = 0.0;
  VpError err = {0};
  if (!eq || eq == text || (size_t)(eq - text) >= sizeof name)
    return vp_cli_usage_error("phantom", _("--set needs NAME=VALUE, not '%s'"), text);
  memcpy(name, text, (size_t)(eq - text));
  name[eq - text] = '\0';
  bool automatic = strcmp(eq + 1, "auto") == 0;
  if (!automatic && !parse_number(eq + 1, &value))
    return vp_cli_usage_error("phantom", _("--set %s needs a number, not '%s'"), name, eq + 1);
  if (!vp_phantom_params_set(p, name, automatic ? NAN : value, &err))
    return vp_cli_usage_error("phantom", "%s", err.message);
  return VP_CLI_OK;
}

static int apply_scalars(const PhantomOptions *o, VpPhantomParams *p)
{
  VpError err = {0};
  double v = 0.0;
  if (o->endplate && (!vp_endplate_side_from_name(o->endplate, &p->endplate_break) ||
                      p->endplate_break == VP_ENDPLATE_NONE))
    return vp_cli_usage_error("phantom", _("--endplate-break needs superior or inferior, not '%s'"),
                              o->endplate);
  if (o->retropulsion &&
      (!parse_number(o->retropulsion, &v) || !vp_phantom_params_set(p, "retropulsion_mm", v, &err)))
    return vp_cli_usage_error("phantom", _("--retropulsion needs a distance in mm: %s"),
                              err.message[0] ? err.message : o->retropulsion);
  if (o->seed) {
    char *end = NULL;
    errno = 0;
    unsigned long long seed = strtoull(o->seed, &end, 10);
    if (errno || end == o->seed || *end || o->seed[0] == '-')
      return vp_cli_usage_error("phantom", _("--seed needs a whole number of 0 or more, not '%s'"),
                                o->seed);
    p->seed = seed;
  }
  p->cleft = p->cleft || o->cleft;
  p->osteoporotic = p->osteoporotic || o->osteoporotic;
  return VP_CLI_OK;
}

static int build_params(const PhantomOptions *o, VpPhantomParams *p, char case_id[])
{
  VpError err = {0};
  case_id[0] = '\0';
  if (o->params_path && !vp_phantom_params_load(o->params_path, p, case_id, &err)) {
    vp_cli_error(NULL, err.message);
    return VP_CLI_FAILED;
  }
  if (o->level && o->params_path && vp_level_label(o->level) != p->label)
    return vp_cli_usage_error("phantom", _("--level %s disagrees with the level in %s"), o->level,
                              o->params_path);
  if (o->level && !o->params_path && !vp_phantom_params_init(p, o->level, &err))
    return vp_cli_usage_error("phantom", "%s", err.message);
  int status = o->fracture ? apply_fracture(p, o->fracture) : VP_CLI_OK;
  for (int i = 0; status == VP_CLI_OK && i < o->lesion_count; i++)
    status = apply_lesion(p, o->lesions[i]);
  if (status == VP_CLI_OK)
    status = apply_scalars(o, p);
  for (int i = 0; status == VP_CLI_OK && i < o->set_count; i++)
    status = apply_set(p, o->sets[i]);
  return status;
}

/* ---- output ---- */

/* Whole phrases, not "the " + a site name, so translators see each one. */
static const char *breach_phrase(VpBreachSite site)
{
  switch (site) {
  case VP_BREACH_POSTERIOR:
    return _(", breaching the posterior wall");
  case VP_BREACH_ANTERIOR:
    return _(", breaching the anterior wall");
  case VP_BREACH_SUPERIOR:
    return _(", breaching the superior endplate");
  case VP_BREACH_INFERIOR:
    return _(", breaching the inferior endplate");
  case VP_BREACH_LEFT:
    return _(", breaching the left wall");
  case VP_BREACH_RIGHT:
    return _(", breaching the right wall");
  case VP_BREACH_NONE:
    break;
  }
  return "";
}

/* One line for each pathology asked for, so the user sees every option took effect. */
static void print_pathology(const VpPhantom *ph)
{
  const VpPhantomTruth *t = &ph->truth;
  const VpPhantomParams *p = &ph->params;
  if (p->fracture != VP_FRACTURE_NONE)
    printf(_("  %s fracture: height loss %.1f %%, Genant grade %d\n"),
           vp_fracture_shape_name(p->fracture), t->height_loss_percent, t->genant_grade);
  if (p->cleft)
    printf(_("  cleft: %.2f mL\n"), t->cleft_volume_ml);
  if (p->endplate_break == VP_ENDPLATE_SUPERIOR)
    printf(_("  superior endplate broken: %.1f mm² defect\n"), t->endplate_break_area_mm2);
  else if (p->endplate_break == VP_ENDPLATE_INFERIOR)
    printf(_("  inferior endplate broken: %.1f mm² defect\n"), t->endplate_break_area_mm2);
  if (p->retropulsion_mm > 0.0)
    printf(_("  retropulsion: %.1f mm into the canal, %.1f mm of canal depth left\n"),
           p->retropulsion_mm, t->canal_depth_mm);
  for (int i = 0; i < p->lesion_count; i++)
    printf(_("  %s lesion %d: %.2f mL%s\n"), vp_lesion_kind_name(p->lesions[i].kind), i + 1,
           t->lesion_volume_ml[i], breach_phrase(p->lesions[i].breach));
}

static void print_summary(const VpPhantom *ph, const char *path, const char *title)
{
  const VpPhantomTruth *t = &ph->truth;
  char triangles[32];
  printf(_("Wrote %s: %s\n"), path, title);
  printf(_("  surface: %s triangles; CT and mask: %d x %d x %d voxels of %.2f mm\n"),
         vp_format_count(ph->surface->triangle_count, triangles), ph->ct->dims[0], ph->ct->dims[1],
         ph->ct->dims[2], ph->params.spacing_mm);
  printf(_("  vertebra %.1f mL, body %.1f mL; trabecular bone %.0f HU\n"), t->vertebra_volume_ml,
         t->body_volume_ml, t->trabecular_hu);
  printf(_("  pedicle isthmus: left %.1f x %.1f mm, right %.1f x %.1f mm (width x height)\n"),
         t->pedicle[0].width_mm, t->pedicle[0].height_mm, t->pedicle[1].width_mm,
         t->pedicle[1].height_mm);
  print_pathology(ph);
}

static int generate(const PhantomOptions *o)
{
  VpPhantomParams p;
  char case_id[VP_PHANTOM_CASE_ID_SIZE];
  int status = build_params(o, &p, case_id);
  if (status != VP_CLI_OK)
    return status;
  const VpTeachingCase *tc = vp_teaching_case_find(o->case_id ? o->case_id : case_id);
  if (o->case_id && !tc)
    return vp_cli_usage_error("phantom", _("there is no teaching case '%s'"), o->case_id);
  /* A bundled case keeps its texts untranslated, so each user sees them in
   * their own language when the application looks them up. */
  const char *title = o->title ? o->title : tc ? tc->title : NULL;
  const char *note = o->note ? o->note : tc ? tc->note : NULL;
  VpError err = {0};
  VpPhantom *ph = vp_phantom_generate(&p, NULL, &err);
  if (!ph || !vp_phantom_save_case(ph, o->out_path, tc ? tc->id : NULL, title, note, &err)) {
    vp_cli_error(NULL, err.message);
    vp_phantom_free(ph);
    return VP_CLI_FAILED;
  }
  if (o->json) {
    cJSON *truth = vp_phantom_truth_json(ph, &err);
    status = truth && vp_cli_print_json(truth) ? VP_CLI_OK : VP_CLI_FAILED;
    cJSON_Delete(truth);
  } else {
    char name[64];
    snprintf(name, sizeof name, _("%s phantom"), ph->level);
    print_summary(ph, o->out_path, title ? title : name);
  }
  vp_phantom_free(ph);
  return status;
}

static int list_params(const PhantomOptions *o)
{
  VpPhantomParams p;
  VpError err = {0};
  bool values = o->level != NULL;
  if (values && !vp_phantom_params_init(&p, o->level, &err))
    return vp_cli_usage_error("phantom", "%s", err.message);
  for (size_t i = 0; i < vp_phantom_param_count(); i++) {
    const VpPhantomParamInfo *info = vp_phantom_param_info(i);
    double v = 0.0;
    printf("%-30s", info->name);
    if (values && vp_phantom_params_get(&p, info->name, &v)) {
      if (isnan(v))
        printf(" %10s %-4s", _("auto"), info->unit);
      else
        printf(" %10.2f %-4s", v, info->unit);
    } else {
      printf(" %4s %8g..%-8g", info->unit, info->min, info->max);
    }
    printf(" %s", _(info->description));
    if (values)
      printf(" [%s]", vp_phantom_param_source(&p, info->name));
    putchar('\n');
  }
  return VP_CLI_OK;
}

/* ---- the index of a set of cases ---- */

static char *folder_of(const char *path)
{
  const char *slash = strrchr(path, '/');
  return slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
}

static cJSON *index_entry(const char *plan_path, const char *index_dir, VpError *err)
{
  VpPlan *plan = vp_plan_load(plan_path, NULL, err);
  if (!plan) {
    if (!strstr(err->message, plan_path))
      vp_error_prefix(err, "%s", plan_path);
    return NULL;
  }
  char *dir = folder_of(plan_path);
  const char *slash = strrchr(plan_path, '/');
  /* Beside the index: the bare name, so the folder can move as a whole. */
  bool beside = dir && strcmp(dir, index_dir) == 0;
  const cJSON *truth = plan->case_info.phantom;
  const cJSON *id = truth ? cJSON_GetObjectItemCaseSensitive(truth, "case_id") : NULL;
  cJSON *e = cJSON_CreateObject();
  bool ok = e && cJSON_AddStringToObject(e, "id", cJSON_IsString(id) ? id->valuestring : "") &&
            cJSON_AddStringToObject(e, "title", plan->case_info.name) &&
            cJSON_AddStringToObject(e, "level", plan->case_info.level) &&
            cJSON_AddNumberToObject(e, "label", plan->case_info.label) &&
            cJSON_AddStringToObject(e, "file", beside && slash ? slash + 1 : plan_path) &&
            cJSON_AddStringToObject(e, "note_id", cJSON_IsString(id) ? id->valuestring : "");
  free(dir);
  vp_plan_free(plan);
  if (!ok) {
    cJSON_Delete(e);
    vp_error_set(err, VP_ERR_NOMEM, _("out of memory for the index"));
    return NULL;
  }
  return e;
}

static int write_index(const PhantomOptions *o)
{
  if (o->input_count == 0)
    return vp_cli_usage_error("phantom", _("--index needs the plans of the cases to list"));
  VpError err = {0};
  char *dir = folder_of(o->out_path);
  cJSON *root = cJSON_CreateObject(), *list = NULL;
  bool ok = dir && root && cJSON_AddStringToObject(root, "format", CASES_FORMAT) &&
            cJSON_AddNumberToObject(root, "version", 1) &&
            (list = cJSON_AddArrayToObject(root, "cases")) != NULL;
  for (int i = 0; ok && i < o->input_count; i++) {
    cJSON *e = index_entry(o->inputs[i], dir, &err);
    ok = e && cJSON_AddItemToArray(list, e);
  }
  char *text = ok ? cJSON_Print(root) : NULL;
  ok = text && vp_file_write_atomic(o->out_path, text, strlen(text), &err);
  if (!ok)
    vp_cli_error(NULL, err.message[0] ? err.message : _("out of memory for the index"));
  cJSON_free(text);
  cJSON_Delete(root);
  free(dir);
  return ok ? VP_CLI_OK : VP_CLI_FAILED;
}

int vp_cli_phantom(int argc, char **argv)
{
  PhantomOptions o;
  int status = parse_options(argc, argv, &o);
  if (status != VP_CLI_OK)
    return status;
  if (o.list_params)
    return list_params(&o);
  if (o.index)
    return write_index(&o);
  return generate(&o);
}
