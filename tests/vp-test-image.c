/* Pixel checks for rendered images and screenshots. */
#include "vp-test-image.h"

#include <stdlib.h>
#include <string.h>

uint32_t vp_test_pixel(cairo_surface_t *image, int x, int y)
{
  cairo_surface_flush(image);
  const unsigned char *data = cairo_image_surface_get_data(image);
  int stride = cairo_image_surface_get_stride(image);
  uint32_t p;
  memcpy(&p, data + (size_t)y * (size_t)stride + (size_t)x * 4, 4);
  if (cairo_image_surface_get_format(image) == CAIRO_FORMAT_RGB24)
    p |= 0xff000000u;
  return p;
}

static int channel_distance(uint32_t a, uint32_t b)
{
  int worst = 0;
  for (int shift = 0; shift < 32; shift += 8) {
    int d = abs((int)((a >> shift) & 0xff) - (int)((b >> shift) & 0xff));
    if (d > worst)
      worst = d;
  }
  return worst;
}

double vp_test_fraction_differing(cairo_surface_t *image, uint32_t colour, int tolerance)
{
  int w = cairo_image_surface_get_width(image);
  int h = cairo_image_surface_get_height(image);
  long differing = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      if (channel_distance(vp_test_pixel(image, x, y), colour) > tolerance)
        differing++;
  return w * h > 0 ? (double)differing / ((double)w * h) : 0.0;
}

int vp_test_distinct_colours(cairo_surface_t *image, int limit)
{
  int w = cairo_image_surface_get_width(image);
  int h = cairo_image_surface_get_height(image);
  uint32_t *seen = calloc((size_t)limit, sizeof *seen);
  int count = 0;
  for (int y = 0; y < h && count < limit; y++) {
    for (int x = 0; x < w && count < limit; x++) {
      uint32_t p = vp_test_pixel(image, x, y);
      int known = 0;
      for (int i = 0; i < count && !known; i++)
        known = seen[i] == p;
      if (!known)
        seen[count++] = p;
    }
  }
  free(seen);
  return count;
}

long vp_test_count_different_pixels(cairo_surface_t *a, cairo_surface_t *b)
{
  int w = cairo_image_surface_get_width(a);
  int h = cairo_image_surface_get_height(a);
  if (w != cairo_image_surface_get_width(b) || h != cairo_image_surface_get_height(b) ||
      cairo_image_surface_get_format(a) != cairo_image_surface_get_format(b))
    return -1;
  long n = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      n += vp_test_pixel(a, x, y) != vp_test_pixel(b, x, y);
  return n;
}

double vp_test_fraction_changed(cairo_surface_t *a, cairo_surface_t *b, int tolerance)
{
  int wa = cairo_image_surface_get_width(a), wb = cairo_image_surface_get_width(b);
  int ha = cairo_image_surface_get_height(a), hb = cairo_image_surface_get_height(b);
  int w = wa < wb ? wa : wb, h = ha < hb ? ha : hb;
  if (w <= 0 || h <= 0)
    return 0.0;
  long differ = 0;
  for (int y = 0; y < h; y++) {
    for (int x = 0; x < w; x++) {
      uint32_t pa = vp_test_pixel(a, x, y), pb = vp_test_pixel(b, x, y);
      int worst = 0;
      for (int shift = 0; shift < 24; shift += 8) {
        int d = abs((int)((pa >> shift) & 0xff) - (int)((pb >> shift) & 0xff));
        worst = d > worst ? d : worst;
      }
      differ += worst > tolerance;
    }
  }
  return (double)differ / ((double)w * h);
}
