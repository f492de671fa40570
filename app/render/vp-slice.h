/* Slice views (axial, sagittal, coronal and oblique) and the display of
 * simulated fluoroscopy: view state without widgets, CT resampling under a
 * window/level, and vector overlays (surface contour, crosshair, orientation
 * letters, scale bar, distance and angle measurements) drawn into any cairo
 * context, so the window, the CLI's PNGs and the PDF report share them.
 *
 * Coordinates: world space is RAS+ mm. A view maps it to pixels of a
 * width_px x height_px viewport, origin at the top left, y down, pixel
 * centres at half-integers; drawing functions take cairo's user space to be
 * those pixels (scale the context for other sizes). */
#pragma once

#include <cairo.h>
#include <stdbool.h>
#include <stddef.h>

#include "vp-drr.h"
#include "vp-error.h"
#include "vp-math.h"
#include "vp-mesh.h"
#include "vp-volume.h"

/* ---- View state ---- */

/* Radiological conventions, all with the frame's superior or anterior up:
 * axial is seen from the feet (patient's right on the screen's left,
 * anterior up); coronal from the front (right on the left, superior up);
 * sagittal from the patient's left (anterior on the screen's left, superior
 * up). Oblique planes are set through a line, e.g. a needle. */
typedef enum VpSliceOrientation {
  VP_SLICE_AXIAL,
  VP_SLICE_SAGITTAL,
  VP_SLICE_CORONAL,
  VP_SLICE_OBLIQUE,
} VpSliceOrientation;

/* The plane is the one through center_mm spanned by u and v. Scrolling moves
 * it along the normal v x u, away from the viewer: towards superior in axial,
 * posterior in coronal and the patient's right in sagittal. */
typedef struct VpSliceView {
  VpVec3 center_mm;    /* world point at the viewport's centre; on the plane */
  VpVec3 u, v;         /* unit, orthogonal: screen right and screen up */
  double mm_per_px;
  int width_px, height_px;
  double step_mm;      /* distance between neighbouring slices when scrolling */
  VpSliceOrientation orientation;
} VpSliceView;

/* Largest viewport, per side, checked by the functions that allocate. */
#define VP_SLICE_MAX_SIDE_PX 8192

/* A standard plane through the frame's origin with mm_per_px and a 1 mm
 * step (set step_mm from the CT with vp_slice_step_for_volume()). Fails
 * (VP_ERR_INVALID) for VP_SLICE_OBLIQUE, an empty or oversized viewport or a
 * pixel size that is not a positive number. */
bool vp_slice_view_init(VpSliceView *view, VpSliceOrientation orientation,
                        const VpViewFrame *frame, int width_px, int height_px, double mm_per_px,
                        VpError *err);

/* The oblique plane containing the line from a to b (centred on its middle,
 * a on the screen's left and b on its right) and the direction up, made
 * orthogonal to the line (screen up). Fails for a line of zero length or an
 * up direction along it. */
bool vp_slice_view_init_along_line(VpSliceView *view, VpVec3 a_mm, VpVec3 b_mm, VpVec3 up,
                                   int width_px, int height_px, double mm_per_px, VpError *err);

/* A view on the isocentre plane of a fluoroscopy view (same axes, pixel size
 * and viewport), so the overlays below can be drawn on a radiograph and
 * lengths read in mm at the isocentre. In a perspective view a world point
 * off that plane is imaged elsewhere: place it with vp_drr_view_project(). */
VpSliceView vp_slice_view_from_drr(const VpDrrView *drr);

/* Unit normal v x u, pointing away from the viewer. */
VpVec3 vp_slice_view_normal(const VpSliceView *view);

VpVec3 vp_slice_view_pixel_to_world(const VpSliceView *view, double px, double py);
/* Pixel position of a world point projected onto the plane; depth_mm (may
 * be NULL) receives its signed distance from the plane along the normal. */
void vp_slice_view_world_to_pixel(const VpSliceView *view, VpVec3 p_mm, double *px, double *py,
                                  double *depth_mm);

/* Moves the plane by a number of slices (step_mm each) along the normal. */
void vp_slice_view_scroll(VpSliceView *view, double slices);
/* Moves the plane along its normal so that it passes through p: what the
 * other views do when the user clicks a point in one (linked crosshair). */
void vp_slice_view_move_plane_to(VpSliceView *view, VpVec3 p_mm);
/* factor > 1 zooms in; the world point under pixel (px, py) stays there. */
void vp_slice_view_zoom_at(VpSliceView *view, double factor, double px, double py);
/* Moves the picture with the pointer by (dx, dy) pixels. */
void vp_slice_view_pan(VpSliceView *view, double dx_px, double dy_px);
/* A new viewport size, keeping centre and pixel size. */
void vp_slice_view_resize(VpSliceView *view, int width_px, int height_px);
/* The same field of view with factor times as many pixels per side (0.5:
 * half as many, at least one), for high-resolution output or previews. */
VpSliceView vp_slice_view_scaled(const VpSliceView *view, double factor);
/* Centres the box's outline in the plane and sets the pixel size so it fills
 * the viewport but for margin_fraction each side. The plane does not move.
 * No change for an empty or non-finite box. */
void vp_slice_view_fit_box(VpSliceView *view, VpBox3 box, double margin_fraction);

/* Slice step of a volume along a direction: the distance after which the
 * fastest-changing voxel index along it changes by one (the spacing of that
 * axis when the direction is along one). 1 mm for a NULL volume. */
double vp_slice_step_for_volume(const VpVolume *vol, VpVec3 direction);

/* ---- Measurements in the plane ---- */

/* Distance in mm between the projections of a and b onto the plane. */
double vp_slice_view_distance_mm(const VpSliceView *view, VpVec3 a_mm, VpVec3 b_mm);
/* Angle at vertex between the rays to a and b, projected onto the plane,
 * in degrees [0, 180]; 0 when a ray has no length. */
double vp_slice_view_angle_deg(const VpSliceView *view, VpVec3 a_mm, VpVec3 vertex_mm,
                               VpVec3 b_mm);
/* "23.4 mm" and "31.5°" in the user's locale. */
void vp_format_length_mm(double mm, char *buf, size_t size);
void vp_format_angle_deg(double deg, char *buf, size_t size);

/* ---- CT window/level ---- */

/* Grey levels from level - window / 2 (black) to level + window / 2 (white). */
typedef struct VpWindowLevel {
  double window_hu;
  double level_hu;
} VpWindowLevel;

/* Common radiology presets: bone W 2000 / L 500, soft tissue W 400 / L 40. */
typedef enum VpWindowPreset {
  VP_WINDOW_BONE,
  VP_WINDOW_SOFT_TISSUE,
} VpWindowPreset;

VpWindowLevel vp_window_level_preset(VpWindowPreset preset);
/* A drag of (dx, dy) pixels: rightwards widens the window (by a factor of e
 * per 200 px), upwards raises the level (by a window per 200 px), as in
 * common viewers. The window stays between 1 and 100,000 HU. */
void vp_window_level_drag(VpWindowLevel *wl, double dx_px, double dy_px);
/* Grey level 0..255 of a value in HU. */
int vp_window_level_grey(VpWindowLevel wl, double hu);

typedef enum VpSliceInterpolation {
  VP_SLICE_INTERP_AUTO,    /* trilinear, nearest when a pixel spans two voxels or more */
  VP_SLICE_INTERP_LINEAR,
  VP_SLICE_INTERP_NEAREST,
} VpSliceInterpolation;

/* Colour of pixels outside the volume: darker than anything inside. */
#define VP_SLICE_OUTSIDE_ARGB 0xff000000u

/* Resamples the CT on the view's plane into image, an ARGB32 surface of the
 * view's size (the caller keeps it between frames). Each row advances by
 * fixed steps in voxel space. Fails (VP_ERR_INVALID) for a NULL volume, a
 * view or window that makes no sense or an image of another size or format. */
bool vp_slice_sample_ct(const VpVolume *ct, const VpSliceView *view, VpWindowLevel wl,
                        VpSliceInterpolation interpolation, cairo_surface_t *image, VpError *err);

/* ---- Surface contour: the mesh cut by the plane ---- */

typedef struct VpPolyline {
  size_t first, count; /* points[first .. first + count) */
  bool closed;         /* the last point joins the first */
} VpPolyline;

/* Start from {0}, reuse across planes, release with vp_slice_contour_clear().
 * Points are world mm, on the plane. Closed loops of a closed, outward mesh
 * run counter-clockwise around the bone when seen from the side the plane's
 * normal points to. */
typedef struct VpSliceContour {
  VpVec3 *points;
  size_t point_count, point_capacity;
  VpPolyline *lines;
  size_t line_count, line_capacity;
} VpSliceContour;

/* Cuts mesh with the plane through plane_point with normal plane_normal;
 * segments are chained through the mesh edges they cross (vertices on the
 * plane count as above it, so every crossing lies on an edge). Fails only
 * for bad arguments or when memory runs out. */
bool vp_slice_contour_compute(const VpMesh *mesh, VpVec3 plane_point, VpVec3 plane_normal,
                              VpSliceContour *out, VpError *err);
void vp_slice_contour_clear(VpSliceContour *contour);
/* Total length of the polylines in mm. */
double vp_slice_contour_length_mm(const VpSliceContour *contour);

/* ---- Drawing ---- */

typedef struct VpSliceStyle {
  double contour_rgba[4];   /* the surface outline over CT: bone yellow */
  double section_rgb[3];    /* the cut surface when there is no CT: bone grey */
  double crosshair_rgba[4];
  double measure_rgba[4];
  double text_rgb[3];
  double line_width_px;
  double text_px;           /* capital height of labels */
} VpSliceStyle;

void vp_slice_style_default(VpSliceStyle *style);

/* Paints image (from vp_slice_sample_ct, or a radiograph) over the viewport,
 * stretched when it has another size (e.g. a reduced preview). */
void vp_slice_draw_image(cairo_t *cr, const VpSliceView *view, cairo_surface_t *image);
/* Black viewport with the inside of the contour's closed loops filled
 * (even-odd), so slices of a case without CT still show the bone. */
void vp_slice_draw_section(cairo_t *cr, const VpSliceView *view, const VpSliceContour *contour,
                           const VpSliceStyle *style);
void vp_slice_draw_contour(cairo_t *cr, const VpSliceView *view, const VpSliceContour *contour,
                           const VpSliceStyle *style);
/* Two lines across the viewport through the projection of point_mm. */
void vp_slice_draw_crosshair(cairo_t *cr, const VpSliceView *view, VpVec3 point_mm,
                             const VpSliceStyle *style);

/* Text of capital height size_px centred on (x, y) in the overlays' own
 * stroked font (no system fonts: the same on every machine), light strokes
 * over a dark halo so it reads over bone and air alike. */
void vp_slice_draw_text(cairo_t *cr, const char *text, double x, double y, double size_px,
                        const double rgb[3], bool bold);

/* Letter of the patient direction dir points to most: R/L, A/P or S/I. */
char vp_orientation_letter(VpVec3 dir);
/* The letters at the middle of the four edges, from u and v. */
void vp_slice_draw_orientation_letters(cairo_t *cr, const VpSliceView *view,
                                       const VpSliceStyle *style);

/* Longest round length (1, 2 or 5 times a power of ten, mm) that is at most
 * max_px long on screen; 0 when none is. */
double vp_scale_bar_length_mm(double mm_per_px, double max_px);
/* A bar of at most a quarter of the viewport's width in the lower right
 * corner, labelled with its length ("10 mm"). */
void vp_slice_draw_scale_bar(cairo_t *cr, const VpSliceView *view, const VpSliceStyle *style);

/* A line from a to b labelled with its in-plane length. */
void vp_slice_draw_distance(cairo_t *cr, const VpSliceView *view, VpVec3 a_mm, VpVec3 b_mm,
                            const VpSliceStyle *style);
/* Two rays from vertex to a and b with an arc, labelled with the angle. */
void vp_slice_draw_angle(cairo_t *cr, const VpSliceView *view, VpVec3 a_mm, VpVec3 vertex_mm,
                         VpVec3 b_mm, const VpSliceStyle *style);

/* ---- A whole slice view ---- */

/* What a slice shows. The CLI and the report fill one; the window keeps one
 * per view. */
typedef struct VpSliceScene {
  const VpVolume *ct;      /* may be NULL: the surface's cut is shown instead */
  const VpMesh *surface;   /* may be NULL */
  VpWindowLevel window;
  VpSliceInterpolation interpolation;
  bool show_contour, show_orientation, show_scale_bar;
  bool show_crosshair;
  VpVec3 crosshair_mm;
  VpSliceStyle style;
} VpSliceScene;

/* No CT or surface, bone window, every overlay on, crosshair at the origin. */
void vp_slice_scene_init(VpSliceScene *scene);

/* Keeps the resampled image and the contour between frames: the contour is
 * recut only when the plane or the surface changes, the image is reused
 * while the viewport keeps its size. */
typedef struct VpSliceRenderer VpSliceRenderer;

VpSliceRenderer *vp_slice_renderer_new(void);
void vp_slice_renderer_free(VpSliceRenderer *renderer);
/* Forgets the cached contour (call after editing the surface in place). */
void vp_slice_renderer_invalidate(VpSliceRenderer *renderer);
/* Draws the scene into the rectangle (0, 0, width_px, height_px) of cr. */
bool vp_slice_renderer_draw(VpSliceRenderer *renderer, cairo_t *cr, const VpSliceView *view,
                            const VpSliceScene *scene, VpError *err);
/* The contour cut for the last frame (empty before the first). */
const VpSliceContour *vp_slice_renderer_contour(const VpSliceRenderer *renderer);

/* Convenience for tests and the CLI: a new ARGB32 image of the scene. */
cairo_surface_t *vp_slice_render_to_image(const VpSliceView *view, const VpSliceScene *scene,
                                          VpError *err);

/* ---- Simulated fluoroscopy display ---- */

/* Grey levels from attenuation (-ln(I / I0)): 0 at black_attenuation, 1 at
 * white_attenuation, raised to gamma. Bone is bright, as on a radiograph;
 * invert shows it dark, as many fluoroscopy monitors do. */
typedef struct VpDrrDisplay {
  double black_attenuation;
  double white_attenuation;
  double gamma;
  bool invert;
} VpDrrDisplay;

/* A display for the image, from the attenuation of the pixels the volume
 * covers: white at their 99.5th percentile, black as far below their median
 * as twice the median's distance from white (at least 0), gamma 1.5, not
 * inverted. Soft tissue around the spine turns dark grey and bone bright; a
 * bone-only synthetic CT keeps black at zero. */
void vp_drr_display_auto(const VpDrrImage *image, VpDrrDisplay *out);

/* Writes the radiograph into image, an ARGB32 surface of the same size.
 * Fails (VP_ERR_INVALID) for a size or format that does not match. */
bool vp_drr_display_to_image(const VpDrrImage *drr, const VpDrrDisplay *display,
                             cairo_surface_t *image, VpError *err);

/* Overlays of a fluoroscopy view: orientation letters and a scale bar
 * measured at the isocentre. */
void vp_fluoro_draw_overlays(cairo_t *cr, const VpDrrView *view, const VpSliceStyle *style);

/* Convenience for tests and the CLI: computes the radiograph of ct (options
 * and display NULL: defaults and vp_drr_display_auto) and returns it as a new
 * ARGB32 image with letters and scale bar. */
cairo_surface_t *vp_fluoro_render_to_image(const VpVolume *ct, const VpDrrView *view,
                                           const VpDrrOptions *options,
                                           const VpDrrDisplay *display, VpError *err);
