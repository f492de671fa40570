/* vertebra-planner-cli: the planning core without a window, for scripts,
 * batch work and tests. Each command lives in its own vp-cli-*.c file. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <libintl.h>
#include <locale.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "vp-cli-private.h"
#include "vp-config.h"

#define _(String) gettext(String)
#define N_(String) (String)
#define PROGRAM "vertebra-planner-cli"

static const VpCliCommand commands[] = {
    {"inspect", N_("Measure a vertebra model: a mesh, a CT or mask volume, or a plan"),
     vp_cli_inspect, vp_cli_inspect_help},
    {"case", N_("Make a plan document for one vertebra of a segmented CT"), vp_cli_case,
     vp_cli_case_help},
    {"phantom", N_("Generate an anatomical vertebra phantom with a synthetic CT and mask"),
     vp_cli_phantom, vp_cli_phantom_help},
    {"bench", N_("Measure the speed of the core and the renderer on this machine"), vp_cli_bench,
     vp_cli_bench_help},
};

void vp_cli_error(const char *context, const char *message)
{
  if (context)
    fprintf(stderr, "%s: %s: %s\n", PROGRAM, context, message);
  else
    fprintf(stderr, "%s: %s\n", PROGRAM, message);
}

int vp_cli_usage_error(const char *command, const char *format, ...)
{
  char message[512];
  va_list args;
  va_start(args, format);
  vsnprintf(message, sizeof message, format, args);
  va_end(args);
  fprintf(stderr, _("%s: %s (see '%s %s --help')\n"), PROGRAM, message, PROGRAM,
          command ? command : "");
  return VP_CLI_USAGE;
}

const char *vp_cli_option_value(int argc, char **argv, int *i, const char *name, bool *missing)
{
  size_t n = strlen(name);
  const char *arg = argv[*i];
  if (strncmp(arg, name, n) != 0 || (arg[n] != '\0' && arg[n] != '='))
    return NULL;
  if (arg[n] == '=')
    return arg + n + 1;
  if (*i + 1 >= argc) {
    *missing = true;
    return NULL;
  }
  return argv[++*i];
}

bool vp_cli_parse_int(const char *text, long min, long max, int *out)
{
  char *end = NULL;
  errno = 0;
  long value = strtol(text, &end, 10);
  if (errno || end == text || *end || value < min || value > max || value < INT_MIN ||
      value > INT_MAX)
    return false;
  *out = (int)value;
  return true;
}

bool vp_cli_print_json(const cJSON *json)
{
  char *text = cJSON_Print(json);
  if (!text) {
    vp_cli_error(NULL, _("out of memory while writing JSON"));
    return false;
  }
  puts(text);
  cJSON_free(text);
  return true;
}

static void print_help(FILE *out)
{
  fprintf(out, _("Usage: %s COMMAND [OPTIONS] [FILE]\n\n"), PROGRAM);
  fprintf(out, "%s\n\n", _("Vertebra Planner without a window: measure vertebra models from the "
                           "command line.\nA planning and teaching aid, not a medical device."));
  fprintf(out, "%s\n", _("Commands:"));
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(out, "  %-10s %s\n", commands[i].name, _(commands[i].summary));
  fprintf(out, "\n%s\n", _("Options:"));
  fprintf(out, "  --help     %s\n", _("Show this help, or a command's help after its name"));
  fprintf(out, "  --version  %s\n", _("Show the version"));
}

static const VpCliCommand *find_command(const char *name)
{
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp(commands[i].name, name) == 0)
      return &commands[i];
  return NULL;
}

static void setup_translations(void)
{
  setlocale(LC_ALL, "");
  const char *dir = getenv("VP_LOCALEDIR");
  bindtextdomain(GETTEXT_PACKAGE, dir && *dir ? dir : VP_LOCALEDIR);
  bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
  textdomain(GETTEXT_PACKAGE);
}

int main(int argc, char **argv)
{
  setup_translations();
  if (argc < 2) {
    print_help(stderr);
    return VP_CLI_USAGE;
  }
  const char *name = argv[1];
  if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
    print_help(stdout);
    return VP_CLI_OK;
  }
  if (strcmp(name, "--version") == 0) {
    printf("%s %s\n", PROGRAM, VP_VERSION);
    return VP_CLI_OK;
  }
  const VpCliCommand *command = find_command(name);
  if (!command)
    return vp_cli_usage_error(NULL, _("unknown command '%s'"), name);
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      command->print_help(stdout);
      return VP_CLI_OK;
    }
  }
  return command->run(argc - 1, argv + 1);
}
