/* placeholder: the `case` command is being written. */
#include "vp-cli-private.h"

void vp_cli_case_help(FILE *out) { fprintf(out, "not yet available\n"); }

int vp_cli_case(int argc, char **argv)
{
  (void)argc;
  (void)argv;
  vp_cli_error("case", "not yet available");
  return VP_CLI_FAILED;
}
