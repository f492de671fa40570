/* Shared pieces of the command-line tool: the command table and output helpers. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "vp-error.h"

typedef struct VpCliCommand {
  const char *name;
  const char *summary; /* untranslated; translated when printed */
  int (*run)(int argc, char **argv);
  void (*print_help)(FILE *out);
} VpCliCommand;

/* Exit codes: 0 success, 1 the input or the request could not be processed,
 * 2 the command line itself is wrong. */
enum { VP_CLI_OK = 0, VP_CLI_FAILED = 1, VP_CLI_USAGE = 2 };

int vp_cli_inspect(int argc, char **argv);
void vp_cli_inspect_help(FILE *out);
int vp_cli_case(int argc, char **argv);
void vp_cli_case_help(FILE *out);
int vp_cli_phantom(int argc, char **argv);
void vp_cli_phantom_help(FILE *out);
int vp_cli_bench(int argc, char **argv);
void vp_cli_bench_help(FILE *out);

/* One line on standard error: "vertebra-planner-cli: <context>: <message>". */
void vp_cli_error(const char *context, const char *message);
/* The same for a usage problem, followed by a hint to --help; returns VP_CLI_USAGE. */
int vp_cli_usage_error(const char *command, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* The value of an option given as "--name VALUE" or "--name=VALUE"; NULL
 * when argv[*i] is not that option, or (with *missing set) when its value is
 * missing. *i moves past a separate value. */
const char *vp_cli_option_value(int argc, char **argv, int *i, const char *name, bool *missing);
/* A whole number in [min, max] filling the whole text (scanf's %d would wrap
 * 4294967298 to 2 without a word). */
bool vp_cli_parse_int(const char *text, long min, long max, int *out);

/* Prints a cJSON tree (owned by the caller) to stdout, followed by a newline. */
struct cJSON;
bool vp_cli_print_json(const struct cJSON *json);
