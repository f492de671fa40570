/* Pixel checks for rendered images and screenshots. */
#pragma once

#include <cairo.h>
#include <stdint.h>

/* 0xAARRGGBB of pixel (x, y) of an ARGB32 or RGB24 image (alpha forced to
 * 0xff for RGB24). */
uint32_t vp_test_pixel(cairo_surface_t *image, int x, int y);
/* Fraction of pixels that differ from colour by more than tolerance in any channel. */
double vp_test_fraction_differing(cairo_surface_t *image, uint32_t colour, int tolerance);
/* Number of distinct colours, counted up to limit. */
int vp_test_distinct_colours(cairo_surface_t *image, int limit);
/* Number of pixels that differ between two images of the same size and format
 * (-1 when sizes or formats differ). */
long vp_test_count_different_pixels(cairo_surface_t *a, cairo_surface_t *b);

/* Fraction of the pixels of the area a and b have in common (their top-left
 * min(width) x min(height)) that differ by more than tolerance in a channel. */
double vp_test_fraction_changed(cairo_surface_t *a, cairo_surface_t *b, int tolerance);
