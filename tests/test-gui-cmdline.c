/* The real application binary, started as a user starts it: the VerSe L3 mesh
 * given on the command line, a screenshot of the window saved by the
 * application's own --screenshot option, and the image checked not blank.
 * Reports skipped when ../shared/data/verse is not beside the checkout. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cairo.h>

#include "vp-test-image.h"
#include "vp-test-util.h"

/* Runs argv[0] with args; the exit status, or -1 when it crashed or hung. */
static int run_with_timeout(char *const args[], unsigned seconds)
{
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    alarm(seconds); /* a hang ends as SIGALRM, which counts as a failure */
    execv(args[0], args);
    _exit(127);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
    return -1;
  return WEXITSTATUS(status);
}

static int check_screenshot(const char *png)
{
  cairo_surface_t *image = cairo_image_surface_create_from_png(png);
  if (cairo_surface_status(image) != CAIRO_STATUS_SUCCESS) {
    fprintf(stderr, "FAIL: no readable screenshot at %s\n", png);
    return 1;
  }
  /* The header bar's corner is the background every window has; the
   * vertebra, the view's gradient and the status line must differ from it. */
  uint32_t corner = vp_test_pixel(image, 2, 2);
  double differing = vp_test_fraction_differing(image, corner, 8);
  int colours = vp_test_distinct_colours(image, 2000);
  printf("screenshot %d x %d: %.1f %% differ from the corner, %d colours\n",
         cairo_image_surface_get_width(image), cairo_image_surface_get_height(image),
         100 * differing, colours);
  cairo_surface_destroy(image);
  if (differing < 0.30 || colours < 200) {
    fprintf(stderr, "FAIL: the screenshot looks blank\n");
    return 1;
  }
  return 0;
}

int main(int argc, char **argv)
{
  if (argc < 2)
    return fprintf(stderr, "usage: test-gui-cmdline PATH-TO-vertebra-planner\n"), 2;
  char *mesh = vp_test_shared_file("verse/sub-verse009_L3.stl");
  if (!mesh)
    return vp_test_skip("gui-cmdline", "../shared/data/verse is not beside the checkout");
  char *png = vp_test_artifact_path("gui-cmdline-verse009-L3.png");
  unlink(png);
  char option[4200];
  snprintf(option, sizeof option, "--screenshot=%s", png);
  char *const args[] = {argv[1], option, mesh, NULL};
  int status = run_with_timeout(args, 120);
  int failed = 0;
  if (status != 0) {
    fprintf(stderr, "FAIL: vertebra-planner exited with %d\n", status);
    failed = 1;
  } else {
    failed = check_screenshot(png);
  }
  if (!failed)
    printf("PASS: %s shown from the command line, screenshot %s\n", mesh, png);
  free(png);
  free(mesh);
  return failed;
}
