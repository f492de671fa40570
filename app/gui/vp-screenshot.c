/* Window captures: the widget tree rendered by the window's own renderer. */
#include "vp-screenshot.h"

#include <glib/gi18n.h>

static GskRenderNode *snapshot_widget(GtkWidget *widget, int width, int height)
{
  GdkPaintable *paintable = gtk_widget_paintable_new(widget);
  GtkSnapshot *snapshot = gtk_snapshot_new();
  gdk_paintable_snapshot(paintable, GDK_SNAPSHOT(snapshot), width, height);
  g_object_unref(paintable);
  return gtk_snapshot_free_to_node(snapshot);
}

/* The frame is the compositor's business, and without one (Xvfb in CI) GTK
 * draws a grey resize border around the window: so capture only area. */
gboolean vp_screenshot_save(GtkWidget *window, GtkWidget *area, const char *png_path,
                            GError **error)
{
  g_return_val_if_fail(GTK_IS_NATIVE(window), FALSE);
  GskRenderer *renderer = gtk_native_get_renderer(GTK_NATIVE(window));
  graphene_rect_t frame, bounds;
  if (!renderer || !gtk_widget_compute_bounds(window, window, &frame) ||
      !gtk_widget_compute_bounds(area, window, &bounds) || bounds.size.width < 1 ||
      bounds.size.height < 1) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s",
                _("The window is not shown yet, so there is nothing to capture."));
    return FALSE;
  }
  /* The paintable puts the frame's corner at (0, 0); window coordinates do not. */
  GskRenderNode *node = snapshot_widget(window, (int)frame.size.width, (int)frame.size.height);
  if (!node) { /* nothing painted yet */
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s",
                _("The window is not shown yet, so there is nothing to capture."));
    return FALSE;
  }
  graphene_rect_offset(&bounds, -frame.origin.x, -frame.origin.y);
  GdkTexture *texture = gsk_renderer_render_texture(renderer, node, &bounds);
  gboolean saved = gdk_texture_save_to_png(texture, png_path);
  g_object_unref(texture);
  gsk_render_node_unref(node);
  if (!saved)
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Could not save the screenshot to “%s”."),
                png_path);
  return saved;
}
