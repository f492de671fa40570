/* Drawing the anatomy of a vertebra over slice views: its parts tinted, the
 * axes of its frame, and the pedicle isthmus sections with their widths.
 * Cairo only, in the pixel space of a VpSliceView (see vp-slice.h), so the
 * window, the CLI's images and the report share it.
 *
 * Part colours come from palettes made to stay distinct under the common
 * colour-vision deficiencies: Paul Tol's "muted" scheme for the bone and
 * the foramina, Okabe & Ito's for the canal (vermilion: the needle must
 * never go there) and the costovertebral regions. Left and right parts have
 * different colours, so a misplaced label shows. */
#pragma once

#include <cairo.h>
#include <stdbool.h>

#include "vp-anatomy.h"
#include "vp-camera.h"
#include "vp-slice.h"

/* Bit of a part in a visibility mask. */
#define VP_ANATOMY_PART_BIT(part) (1u << (unsigned)(part))
/* Every part but VP_ANATOMY_OUTSIDE. */
#define VP_ANATOMY_PARTS_ALL (((1u << (unsigned)VP_ANATOMY_PART_COUNT) - 1u) & ~1u)

/* Screen length of a frame axis as drawn, in pixels (an axis along the view's
 * normal is drawn shorter: its projection). */
#define VP_ANATOMY_AXIS_PX 64.0
/* The isthmus is drawn when the plane passes within this distance of it. */
#define VP_ANATOMY_ISTHMUS_NEAR_MM 2.0

/* The colour of a part, 0..1 RGB (black for OUTSIDE and unknown values). */
void vp_anatomy_part_rgb(VpAnatomyPart part, double rgb[3]);

/* Tints each part of visible_mask where the plane cuts it, with alpha
 * (0..1) over what is drawn already. parts is a uint8 part map
 * (VpAnatomy.parts), sampled at each pixel's world point, nearest voxel;
 * several screen pixels share a sample when a voxel spans more than two of
 * them. Nothing happens for a NULL or non-uint8 map, an empty mask or alpha
 * 0. Returns false only when the image for the tint could not be made. */
bool vp_anatomy_overlay_draw_parts(cairo_t *cr, const VpSliceView *view, const VpVolume *parts,
                                   unsigned visible_mask, double alpha);

/* Where the frame's handles are on screen: [0] the origin, [1] [2] [3] the
 * ends of the left, anterior and superior axes (each VP_ANATOMY_AXIS_PX
 * long before projection). */
void vp_anatomy_overlay_frame_handles(const VpSliceView *view, const VpAnatomyFrame *frame,
                                      double xy[4][2]);

/* The frame's axes from its origin, projected onto the plane and labelled
 * L, A and S at their ends; dashed when the origin is off the plane by more
 * than VP_ANATOMY_ISTHMUS_NEAR_MM. style NULL: vp_slice_style_default. */
void vp_anatomy_overlay_draw_frame(cairo_t *cr, const VpSliceView *view,
                                   const VpAnatomyFrame *frame, const VpSliceStyle *style);

/* Whether the plane passes near the pedicle's isthmus (found pedicles only). */
bool vp_anatomy_overlay_isthmus_in_view(const VpSliceView *view, const VpPedicleMeasures *pedicle);

/* The isthmus section (a rectangle width_mm x height_mm about its centre,
 * across the pedicle axis) projected onto the plane, and its extent that
 * lies in the plane (the width, or the height when the width runs across
 * the plane) drawn as a measured line labelled in mm ("6.2 mm"). Only when
 * vp_anatomy_overlay_isthmus_in_view(). */
void vp_anatomy_overlay_draw_isthmus(cairo_t *cr, const VpSliceView *view,
                                     const VpPedicleMeasures *pedicle, const VpSliceStyle *style);

/* Over a 3D view drawn with cam into a width x height viewport (logical
 * pixels): when show_axes, the frame's axes from its origin, VP_ANATOMY_AXIS_PX long where
 * they lie across the view and labelled L, A and S, and a marker on each
 * found pedicle's isthmus centre in its part's colour. Drawn over the mesh
 * (markers inside the bone stay visible); points behind the eye are left
 * out. style NULL: vp_slice_style_default. */
void vp_anatomy_overlay_draw_3d(cairo_t *cr, const VpCamera *cam, int width, int height,
                                const VpAnatomy *anatomy, bool show_axes,
                                const VpSliceStyle *style);
