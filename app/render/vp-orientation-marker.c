/* The orientation marker: the patient's axes as the camera sees them, labelled
 * R/L, A/P, S/I in Slicer's colours, drawn as cairo vectors. The six letters
 * are stroked glyphs rather than font text, so the marker looks the same on
 * every machine, needs no fonts, and images stay reproducible. */
#include "vp-render3d.h"

#include <math.h>

typedef struct AxisEnd {
  VpVec3 dir; /* world direction of this end */
  const char *label;
  double rgb[3];
  double sx, sy; /* screen direction, y down */
  double toward; /* > 0 when the end points at the viewer */
} AxisEnd;

static const double red[3] = {0.93, 0.36, 0.36};
static const double green[3] = {0.42, 0.84, 0.45};
static const double blue[3] = {0.42, 0.62, 1.0};

static void set_end(AxisEnd *end, VpVec3 dir, const char *label, const double rgb[3])
{
  end->dir = dir;
  end->label = label;
  for (int c = 0; c < 3; c++)
    end->rgb[c] = rgb[c];
}

static void make_ends(const VpCamera *cam, AxisEnd ends[6])
{
  set_end(&ends[0], vp_vec3(1, 0, 0), "R", red);
  set_end(&ends[1], vp_vec3(-1, 0, 0), "L", red);
  set_end(&ends[2], vp_vec3(0, 1, 0), "A", green);
  set_end(&ends[3], vp_vec3(0, -1, 0), "P", green);
  set_end(&ends[4], vp_vec3(0, 0, 1), "S", blue);
  set_end(&ends[5], vp_vec3(0, 0, -1), "I", blue);
  VpVec3 right = vp_camera_right(cam), up = vp_camera_up(cam), fwd = vp_camera_forward(cam);
  for (int i = 0; i < 6; i++) {
    ends[i].sx = vp_vec3_dot(ends[i].dir, right);
    ends[i].sy = -vp_vec3_dot(ends[i].dir, up);
    ends[i].toward = -vp_vec3_dot(ends[i].dir, fwd);
  }
}

/* Far ends first, so the ends pointing at the viewer are drawn on top;
 * insertion sort keeps ties in a fixed order. */
static void sort_far_to_near(AxisEnd ends[6])
{
  for (int i = 1; i < 6; i++) {
    AxisEnd e = ends[i];
    int j = i - 1;
    for (; j >= 0 && ends[j].toward > e.toward + 1e-9; j--)
      ends[j + 1] = ends[j];
    ends[j + 1] = e;
  }
}

/* Stroke glyphs in a box one unit high and 0.64 wide, y down. */
static void letter_path(cairo_t *cr, char letter)
{
  switch (letter) {
  case 'R':
  case 'P':
    cairo_move_to(cr, 0.05, 1.0);
    cairo_line_to(cr, 0.05, 0.0);
    cairo_line_to(cr, 0.34, 0.0);
    cairo_arc(cr, 0.34, 0.26, 0.26, -VP_PI / 2, VP_PI / 2);
    cairo_line_to(cr, 0.05, 0.52);
    if (letter == 'R') {
      cairo_move_to(cr, 0.32, 0.52);
      cairo_line_to(cr, 0.62, 1.0);
    }
    break;
  case 'L':
    cairo_move_to(cr, 0.08, 0.0);
    cairo_line_to(cr, 0.08, 1.0);
    cairo_line_to(cr, 0.6, 1.0);
    break;
  case 'A':
    cairo_move_to(cr, 0.0, 1.0);
    cairo_line_to(cr, 0.32, 0.0);
    cairo_line_to(cr, 0.64, 1.0);
    cairo_move_to(cr, 0.12, 0.64);
    cairo_line_to(cr, 0.52, 0.64);
    break;
  case 'S':
    cairo_arc_negative(cr, 0.32, 0.255, 0.245, -VP_PI / 6, VP_PI / 2);
    cairo_arc(cr, 0.32, 0.745, 0.245, -VP_PI / 2, 5 * VP_PI / 6);
    break;
  default: /* I */
    cairo_move_to(cr, 0.14, 0.0);
    cairo_line_to(cr, 0.5, 0.0);
    cairo_move_to(cr, 0.32, 0.0);
    cairo_line_to(cr, 0.32, 1.0);
    cairo_move_to(cr, 0.14, 1.0);
    cairo_line_to(cr, 0.5, 1.0);
    break;
  }
}

/* A dark halo under a light stroke keeps the letter readable over anything. */
static void draw_letter(cairo_t *cr, char letter, double x, double y, double height,
                        const double rgb[3], double alpha)
{
  cairo_new_path(cr);
  cairo_save(cr);
  cairo_translate(cr, x - 0.32 * height, y - 0.5 * height);
  cairo_scale(cr, height, height);
  letter_path(cr, letter);
  cairo_restore(cr); /* the path stays; strokes are measured in the caller's units */
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_width(cr, 0.38 * height);
  cairo_set_source_rgba(cr, 0.05, 0.06, 0.08, 0.8 * alpha);
  cairo_stroke_preserve(cr);
  cairo_set_line_width(cr, 0.2 * height);
  cairo_set_source_rgba(cr, rgb[0], rgb[1], rgb[2], alpha);
  cairo_stroke(cr);
}

/* The letter sits on a small dark disc ringed in the axis colour, so it reads
 * on the dark background and over the model alike. */
static void draw_label(cairo_t *cr, const AxisEnd *e, double x, double y, double r, double alpha)
{
  cairo_new_path(cr);
  cairo_arc(cr, x, y, r, 0, 2 * VP_PI);
  cairo_set_source_rgba(cr, 0.07, 0.09, 0.12, 0.88 * alpha);
  cairo_fill_preserve(cr);
  cairo_set_line_width(cr, 0.16 * r);
  cairo_set_source_rgba(cr, e->rgb[0], e->rgb[1], e->rgb[2], alpha);
  cairo_stroke(cr);
  double tint[3];
  for (int c = 0; c < 3; c++)
    tint[c] = 0.4 * e->rgb[c] + 0.6;
  draw_letter(cr, e->label[0], x, y, 1.0 * r, tint, alpha);
}

static void draw_end(cairo_t *cr, const AxisEnd *e, double cx, double cy, double radius)
{
  double label_r = 0.21 * radius, reach = radius - label_r;
  double alpha = 0.45 + 0.55 * (0.5 + 0.5 * e->toward);
  double x = cx + e->sx * reach, y = cy + e->sy * reach;
  double len = hypot(e->sx, e->sy), line = fmax(reach * len - label_r, 0.0); /* to the disc */
  cairo_new_path(cr);
  cairo_move_to(cr, cx, cy);
  if (len > 1e-9)
    cairo_line_to(cr, cx + e->sx / len * line, cy + e->sy / len * line);
  cairo_set_line_width(cr, 0.07 * radius);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
  cairo_set_source_rgba(cr, e->rgb[0], e->rgb[1], e->rgb[2], alpha);
  cairo_stroke(cr);
  draw_label(cr, e, x, y, label_r, alpha);
}

void vp_render_orientation_marker(cairo_t *cr, const VpCamera *cam, double cx, double cy,
                                  double radius)
{
  if (!cr || !cam || !(radius > 0.0) || !isfinite(cx) || !isfinite(cy))
    return;
  AxisEnd ends[6];
  make_ends(cam, ends);
  sort_far_to_near(ends);
  cairo_save(cr);
  cairo_arc(cr, cx, cy, 0.06 * radius, 0, 2 * VP_PI);
  cairo_set_source_rgba(cr, 0.8, 0.82, 0.86, 0.9);
  cairo_fill(cr);
  for (int i = 0; i < 6; i++)
    draw_end(cr, &ends[i], cx, cy, radius);
  cairo_restore(cr);
}
