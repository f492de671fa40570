/* Entry point of the GTK application: binds translations, runs VpApplication. */
#include <glib/gi18n.h>
#include <locale.h>

#include "vp-application.h"
#include "vp-config.h"

int main(int argc, char *argv[])
{
  /* VP_LOCALEDIR in the environment lets an uninstalled build find its translations. */
  const char *localedir = g_getenv("VP_LOCALEDIR");
  setlocale(LC_ALL, "");
  bindtextdomain(GETTEXT_PACKAGE, localedir && *localedir ? localedir : VP_LOCALEDIR);
  bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
  textdomain(GETTEXT_PACKAGE);
  g_set_application_name(_("Vertebra Planner"));

  VpApplication *app = vp_application_new(G_APPLICATION_DEFAULT_FLAGS);
  int status = g_application_run(G_APPLICATION(app), argc, argv);
  if (status == 0)
    status = vp_application_get_exit_status(app);
  g_object_unref(app);
  return status;
}
