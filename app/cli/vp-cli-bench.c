/* placeholder: the `bench` command is being written. */
#include "vp-cli-private.h"

void vp_cli_bench_help(FILE *out) { fprintf(out, "not yet available\n"); }

int vp_cli_bench(int argc, char **argv)
{
  (void)argc;
  (void)argv;
  vp_cli_error("bench", "not yet available");
  return VP_CLI_FAILED;
}
