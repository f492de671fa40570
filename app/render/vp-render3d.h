/* The software 3D renderer: triangle meshes rasterised with a z-buffer into a
 * cairo image, smooth-shaded by a headlight, with a silhouette outline over a
 * background gradient. Deterministic: the same input gives the same pixels.
 * Draws into any cairo context, so the window, PNG export and PDF pages share it. */
#pragma once

#include <cairo.h>
#include <stdbool.h>

#include "vp-camera.h"
#include "vp-error.h"
#include "vp-mesh.h"

typedef struct VpSceneMesh {
  const VpMesh *mesh; /* vertex normals for smooth shading; NULL normals: flat-shaded */
  float rgba[4];      /* straight (not premultiplied) colour, 0..1; alpha < 1 is translucent */
} VpSceneMesh;

typedef struct VpScene {
  const VpSceneMesh *meshes;
  int mesh_count;
} VpScene;

typedef struct VpRenderStyle {
  float background_top[3];    /* gradient, 0..1 RGB */
  float background_bottom[3];
  float silhouette_rgb[3];
  float silhouette_width_px;  /* 0 disables the outline */
  float ambient;              /* 0..1 */
  float specular;             /* 0..1 */
  bool orientation_marker;    /* A/P/L/R/S/I marker in the lower left corner */
  float marker_size_px;
} VpRenderStyle;

/* The application's look: dark blue-grey gradient, bone-white meshes. */
void vp_render_style_default(VpRenderStyle *style);
/* Colour for bone, for callers building a scene. */
void vp_render_bone_rgba(float rgba[4]);

/* Owns the z-buffer and scratch images, reused between frames so drawing
 * does not allocate when the size stays the same. */
typedef struct VpRenderer VpRenderer;

VpRenderer *vp_renderer_new(void);
void vp_renderer_free(VpRenderer *renderer);

/* Renders the scene into the rectangle (0, 0, width, height) of cr's user
 * space. The raster has width * pixel_scale by height * pixel_scale pixels
 * (pass the display's scale factor, or more for print). The orientation
 * marker, when enabled, is drawn as vectors on top. */
bool vp_renderer_draw(VpRenderer *renderer, cairo_t *cr, double width, double height,
                      double pixel_scale, const VpCamera *cam, const VpScene *scene,
                      const VpRenderStyle *style, VpError *err);

/* Convenience for tests and the CLI: a new ARGB32 image of the scene,
 * supersampled 2 x 2 when the raster limits allow, for smooth outlines. */
cairo_surface_t *vp_render_to_image(const VpCamera *cam, const VpScene *scene,
                                    const VpRenderStyle *style, int width, int height,
                                    VpError *err);

/* The orientation marker alone: patient axes as seen by cam, labelled with
 * A/P/L/R/S/I, centred at (cx, cy) with the given radius in cr's units. */
void vp_render_orientation_marker(cairo_t *cr, const VpCamera *cam, double cx, double cy,
                                  double radius);
