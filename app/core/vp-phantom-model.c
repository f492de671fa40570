/* Builds the implicit model of a vertebra from its parameters: where each
 * part sits and how it is oriented. The proportions that have no published
 * figure (how far the arch hangs below the body, where the facets sit) are
 * anatomical estimates, chosen so the parts join as in a real vertebra. */
#include <math.h>
#include <string.h>

#include "vp-phantom-private.h"

#define BLEND_MM 1.5
#define RIM_ROUND_MM 1.5
#define PEDICLE_POSTERIOR_MM 7.0
#define PEDICLE_FLARE 0.045
#define PEDICLE_TOP_GAP_MM 1.5 /* pedicle's upper margin below the superior endplate */
#define BREAK_DEPTH_MM 1.5
#define JOINT_GAP_MM 0.8
#define FAR_AWAY 1e4

static double rad(double deg) { return vp_deg_to_rad(deg); }

static bool is_lumbar(const ShapeModel *m) { return !m->thoracic; }

/* ---- primitives ---- */

/* A capsule from a to b; r1 lies along ref (made perpendicular to the axis). */
static ShapeCapsule capsule_make(VpVec3 a, VpVec3 b, VpVec3 ref, double r1a, double r2a, double r1b,
                                 double r2b)
{
  ShapeCapsule c = {.a = a, .b = b, .r1a = r1a, .r2a = r2a, .r1b = r1b, .r2b = r2b};
  VpVec3 ab = vp_vec3_sub(b, a);
  c.length = fmax(vp_vec3_length(ab), 1e-6);
  c.dir = c.length > 1e-6 ? vp_vec3_scale(ab, 1.0 / c.length) : vp_vec3(0, 0, 1);
  VpVec3 e1 = vp_vec3_sub(ref, vp_vec3_scale(c.dir, vp_vec3_dot(ref, c.dir)));
  if (vp_vec3_length(e1) < 1e-6)
    e1 = fabs(c.dir.x) < 0.9 ? vp_vec3(1, 0, 0) : vp_vec3(0, 1, 0);
  c.e1 = vp_vec3_normalize(vp_vec3_sub(e1, vp_vec3_scale(c.dir, vp_vec3_dot(e1, c.dir))));
  c.e2 = vp_vec3_cross(c.dir, c.e1);
  return c;
}

static VpBox3 box_around(VpVec3 a, VpVec3 b, double r)
{
  VpBox3 box = vp_box3_extend(vp_box3_extend(vp_box3_empty(), a), b);
  box.min = vp_vec3_sub(box.min, vp_vec3(r, r, r));
  box.max = vp_vec3_add(box.max, vp_vec3(r, r, r));
  return box;
}

static VpBox3 capsule_box(const ShapeCapsule *c)
{
  double r = fmax(fmax(c->r1a, c->r2a), fmax(c->r1b, c->r2b));
  return box_around(c->a, c->b, r);
}

static VpBox3 tube_box(const ShapeTube *t)
{
  double s = fmax(-t->s_min, t->s_flare);
  double r = fmax(t->ru, t->rv) + fmin(t->flare * s * s, PEDICLE_FLARE_MAX_MM);
  return box_around(vp_vec3_add(t->center, vp_vec3_scale(t->d, t->s_min)),
                    vp_vec3_add(t->center, vp_vec3_scale(t->d, t->s_max)), r);
}

static VpBox3 shapebox_box(const ShapeBox *b)
{
  double hx = fmax(b->hx, b->hx_tip), hy = fmax(b->hy, b->hy_tip);
  VpVec3 e = {fabs(b->ax.x) * hx + fabs(b->ay.x) * hy + fabs(b->az.x) * b->hz,
              fabs(b->ax.y) * hx + fabs(b->ay.y) * hy + fabs(b->az.y) * b->hz,
              fabs(b->ax.z) * hx + fabs(b->ay.z) * hy + fabs(b->az.z) * b->hz};
  return (VpBox3){vp_vec3_sub(b->center, e), vp_vec3_add(b->center, e)};
}

static VpBox3 sphere_box(const ShapeSphere *s)
{
  return box_around(s->center, s->center, s->radius);
}

static VpBox3 box_grow(VpBox3 b, double r) { return box_around(b.min, b.max, r); }

static VpBox3 box_union(VpBox3 a, VpBox3 b)
{
  return vp_box3_extend(vp_box3_extend(a, b.min), b.max);
}

/* ---- the body and the canal ---- */

/* Fraction of the wedge loss that reaches the anterior measuring line. */
static double wedge_weight(const ShapeBodyGeometry *g, double y)
{
  return fmin(fmax((y + g->b) / (2.0 * g->b), 0.0), 1.0);
}

static void build_fracture(ShapeModel *m)
{
  ShapeBodyGeometry *g = &m->body;
  const VpPhantomParams *p = &m->p;
  g->fracture = p->fracture;
  if (p->fracture == VP_FRACTURE_NONE)
    return;
  double f = p->height_loss_percent / 100.0;
  double y_front = g->b - 3.0;
  switch (p->fracture) {
  case VP_FRACTURE_WEDGE:
    g->loss_mm = f * shape_body_height(m, 0.0, y_front, false) / wedge_weight(g, y_front);
    break;
  case VP_FRACTURE_BICONCAVE:
    g->loss_mm = f * shape_body_height(m, 0.0, 0.0, false);
    break;
  default: /* crush: the smallest expected height loses the stated fraction */
    g->loss_mm = f * shape_body_height(m, 0.0, 0.0, false);
    break;
  }
}

static void build_body(ShapeModel *m)
{
  const VpPhantomParams *p = &m->p;
  ShapeBodyGeometry *g = &m->body;
  g->a = 0.5 * p->body_width_mm;
  g->b = 0.5 * p->body_depth_mm;
  g->ha = p->body_height_anterior_mm;
  g->hp = p->body_height_posterior_mm;
  g->waist = p->body_waist_mm;
  g->concavity = p->endplate_concavity_mm;
  g->post_concavity = p->posterior_wall_concavity_mm;
  g->taper = p->body_heart_taper;
  g->rim_round = RIM_ROUND_MM;
  g->break_side = p->endplate_break;
  g->break_x = 0.0;
  g->break_y = 0.2 * g->b;
  g->break_radius = p->endplate_break_radius_mm;
  g->break_depth = BREAK_DEPTH_MM;
  build_fracture(m);
}

static void build_canal(ShapeModel *m)
{
  const VpPhantomParams *p = &m->p;
  double wall = -m->body.b + m->body.post_concavity;
  m->canal_b = 0.5 * p->canal_depth_mm;
  m->canal_yc = wall - m->canal_b;
  m->canal_a = 0.5 * p->canal_width_mm - 0.6; /* clear of the pedicles' medial walls */
  m->canal_tri = m->p.label == 24 ? 0.35 : is_lumbar(m) ? 0.25 : 0.0;
  m->dura_a = 0.72 * m->canal_a;
  m->dura_b = 0.72 * m->canal_b;
}

/* y of the body's posterior surface at x (its squarer posterior half). */
static double body_posterior_y(const ShapeBodyGeometry *g, double x)
{
  double u = fmin(fabs(x) / g->a, 0.95);
  return -g->b * pow(1.0 - pow(u, 4.0), 0.25) + g->post_concavity * (1.0 - u * u);
}

/* ---- pedicles and the arch ---- */

static void build_pedicle(ShapeModel *m, int side)
{
  const VpPhantomParams *p = &m->p;
  double sx = side == 0 ? -1.0 : 1.0;
  double w = side == 0 ? p->pedicle_width_left_mm : p->pedicle_width_right_mm;
  double h = side == 0 ? p->pedicle_height_left_mm : p->pedicle_height_right_mm;
  double tt = rad(p->pedicle_transverse_angle_deg), ts = rad(p->pedicle_sagittal_angle_deg);
  ShapeTube *t = &m->pedicle[side];
  t->d = vp_vec3(-sx * sin(tt) * cos(ts), cos(tt) * cos(ts), -sin(ts));
  t->u = vp_vec3_normalize(vp_vec3(t->d.y, -t->d.x, 0.0));
  if (t->u.x * sx < 0.0)
    t->u = vp_vec3_neg(t->u); /* width measured towards lateral */
  t->v = vp_vec3_cross(t->u, t->d);
  if (t->v.z < 0.0)
    t->v = vp_vec3_neg(t->v);
  t->ru = 0.5 * w;
  t->rv = 0.5 * h;
  double x = sx * (0.5 * p->canal_width_mm + t->ru / cos(tt));
  double y = body_posterior_y(&m->body, x) - p->pedicle_offset_mm;
  double z = 0.5 * m->body.hp - t->rv - PEDICLE_TOP_GAP_MM;
  t->center = vp_vec3(x, y, z);
  t->s_min = -PEDICLE_POSTERIOR_MM;
  /* The tube flares until it is inside the body and ends just beyond, so
   * its end never shows through the body's wall. */
  double s = 0.0;
  while (s < 40.0 && shape_body_sdf(m, vp_vec3_add(t->center, vp_vec3_scale(t->d, s))) > -1.0)
    s += 0.1;
  t->s_flare = fmin(s, 7.0);
  t->s_max = fmin(s + 2.5, t->s_flare + 3.0);
  t->flare = PEDICLE_FLARE;
}

/* Junction of pedicle, lamina, transverse and articular processes. */
static VpVec3 arch_junction(const ShapeModel *m, int side)
{
  const ShapeTube *t = &m->pedicle[side];
  return vp_vec3_add(t->center, vp_vec3_scale(t->d, t->s_min));
}

static VpVec3 lamina_midline(const ShapeModel *m)
{
  return vp_vec3(0.0, m->canal_yc - m->canal_b - 0.5 * m->p.lamina_thickness_mm + 1.0, m->lamina_z);
}

static void build_laminae(ShapeModel *m)
{
  const ShapeTube *ped = &m->pedicle[1];
  double top = ped->center.z + ped->rv;
  double bottom = -0.5 * m->body.hp - (m->thoracic ? 3.0 : 5.0);
  m->lamina_z = 0.5 * (top + bottom);
  m->lamina_half_height = 0.5 * (top - bottom);
  m->lamina_tilt = rad(m->thoracic ? 20.0 : 10.0);
  VpVec3 mid = lamina_midline(m);
  VpVec3 up = vp_vec3(0.0, sin(m->lamina_tilt), cos(m->lamina_tilt));
  double t = 0.5 * m->p.lamina_thickness_mm;
  for (int side = 0; side < 2; side++) {
    /* A plate with rounded edges, tilted like a roof tile (its lower edge
     * further back), from the pedicle's end to the midline. */
    VpVec3 j = arch_junction(m, side);
    j.z = m->lamina_z;
    ShapeBox *b = &m->lamina[side];
    VpVec3 along = vp_vec3_sub(mid, j);
    double len = vp_vec3_length(along);
    b->az = vp_vec3_scale(along, 1.0 / len);
    b->ay = vp_vec3_normalize(vp_vec3_sub(up, vp_vec3_scale(b->az, vp_vec3_dot(up, b->az))));
    b->ax = vp_vec3_cross(b->ay, b->az);
    b->center = vp_vec3_lerp(j, mid, 0.5);
    b->hx = b->hx_tip = t;
    b->hy = b->hy_tip = m->lamina_half_height;
    b->hz = 0.5 * len + t;
    b->round_mm = fmin(0.9 * t, 2.5);
  }
}

/* Direction the facet of a superior articular process faces (medial and
 * backwards), horizontal. */
static VpVec3 facet_normal(const ShapeModel *m, int side)
{
  double sx = side == 0 ? -1.0 : 1.0, phi = rad(m->p.facet_angle_deg);
  return vp_vec3(-sx * cos(phi), -sin(phi), 0.0);
}

static void build_articular(ShapeModel *m, int side)
{
  const VpPhantomParams *p = &m->p;
  double sx = side == 0 ? -1.0 : 1.0;
  const ShapeTube *t = &m->pedicle[side];
  VpVec3 j = arch_junction(m, side), n = facet_normal(m, side);
  double width = is_lumbar(m) ? 7.5 : 5.5, thick = is_lumbar(m) ? 3.6 : 3.0;
  VpVec3 base = vp_vec3(j.x + sx * 1.0, j.y - 1.5, t->center.z);
  VpVec3 top = vp_vec3(j.x + sx * 1.5, j.y - 2.5, t->center.z + t->rv + p->articular_height_mm);
  m->sap[side] = capsule_make(base, top, n, thick, width, 0.8 * thick, 0.75 * width);
  VpVec3 offset = vp_vec3_scale(n, thick + 1.0 + thick);
  double lam_bottom = m->lamina_z - m->lamina_half_height;
  VpVec3 i0 = vp_vec3_add(vp_vec3(base.x, base.y, lam_bottom + 8.0), offset);
  VpVec3 i1 = vp_vec3_add(
      vp_vec3(base.x, base.y - 1.0, -0.5 * m->body.hp - p->articular_height_mm - 2.0), offset);
  double iwidth = is_lumbar(m) ? 6.5 : 5.0;
  m->iap[side] = capsule_make(i0, i1, n, thick, iwidth, 0.85 * thick, 0.75 * iwidth);
  /* Mammillary process: a knob on the back of a lumbar superior articular process. */
  VpVec3 w = vp_vec3(n.y, -n.x, 0.0);
  if (w.y > 0.0)
    w = vp_vec3_neg(w);
  VpVec3 mid = vp_vec3_lerp(base, top, 0.45);
  m->mammillary[side].center = is_lumbar(m) ? vp_vec3_add(mid, vp_vec3_scale(w, width - 1.0))
                                            : vp_vec3(FAR_AWAY, FAR_AWAY, FAR_AWAY);
  m->mammillary[side].radius = is_lumbar(m) ? 2.6 : 0.1;
}

static void build_transverse(ShapeModel *m, int side)
{
  const VpPhantomParams *p = &m->p;
  double sx = side == 0 ? -1.0 : 1.0;
  double sweep = rad(p->transverse_angle_deg), rise = rad(m->thoracic ? 12.0 : 5.0);
  VpVec3 j = arch_junction(m, side);
  VpVec3 a = vp_vec3(j.x + sx * 2.0, j.y - 1.0, m->pedicle[side].center.z + 0.5);
  VpVec3 dir = vp_vec3(sx * cos(sweep) * cos(rise), -sin(sweep) * cos(rise), sin(rise));
  VpVec3 b = vp_vec3_add(a, vp_vec3_scale(dir, p->transverse_length_mm));
  double t = 0.5 * p->transverse_thickness_mm;
  double h = m->thoracic ? t + 0.5 : fmax(5.0, t + 1.5);
  /* Thoracic processes end in a club that carries the costal facet. */
  double tip_t = m->thoracic ? t + 0.5 : 0.8 * t, tip_h = m->thoracic ? h + 0.5 : 0.7 * h;
  VpVec3 horizontal = vp_vec3_cross(dir, vp_vec3(0, 0, 1));
  m->transverse[side] = capsule_make(a, b, horizontal, t, h, tip_t, tip_h);
}

static void build_spinous(ShapeModel *m)
{
  const VpPhantomParams *p = &m->p;
  double alpha = rad(p->spinous_angle_deg), len = p->spinous_length_mm;
  VpVec3 base = lamina_midline(m);
  ShapeBox *b = &m->spinous;
  b->az = vp_vec3(0.0, -cos(alpha), -sin(alpha));
  b->ax = vp_vec3(1.0, 0.0, 0.0);
  b->ay = vp_vec3_cross(b->az, b->ax);
  b->center = vp_vec3_add(base, vp_vec3_scale(b->az, 0.5 * len));
  b->hz = 0.5 * len;
  b->hx = 0.5 * p->spinous_thickness_mm;
  b->hx_tip = b->hx * (m->thoracic ? 1.0 : 1.15);
  b->hy_tip = 0.5 * p->spinous_height_mm;
  b->hy = b->hy_tip * (m->thoracic ? 1.2 : 0.75);
  b->round_mm = 1.5;
  /* Tubercle at the tip: thoracic processes end in a knob, lumbar ones in
   * a thickened lower corner. */
  VpVec3 tip = vp_vec3_add(base, vp_vec3_scale(b->az, len - (m->thoracic ? 2.5 : 4.0)));
  if (!m->thoracic)
    tip = vp_vec3_sub(tip, vp_vec3_scale(b->ay, 0.3 * p->spinous_height_mm));
  m->spinous_tip.center = tip;
  m->spinous_tip.radius = m->thoracic ? fmin(0.38 * p->spinous_height_mm, 3.6) : b->hx_tip + 0.3;
}

static void build_fragment(ShapeModel *m)
{
  double r = m->p.retropulsion_mm;
  m->has_fragment = r > 0.0;
  if (!m->has_fragment)
    return;
  double wall = -m->body.b + m->body.post_concavity, height = 0.45 * m->body.hp;
  double top = 0.5 * m->body.hp - m->body.concavity * 0.3;
  ShapeBox *b = &m->fragment;
  b->ax = vp_vec3(1, 0, 0);
  b->ay = vp_vec3(0, 1, 0);
  b->az = vp_vec3(0, 0, 1);
  b->center = vp_vec3(0.0, wall - 0.5 * r + 1.5, top - 0.5 * height);
  b->hx = b->hx_tip = fmin(0.75 * m->canal_a, 9.0);
  b->hy = b->hy_tip = 0.5 * (r + 3.0);
  b->hz = 0.5 * height;
  b->round_mm = 1.2;
}

/* ---- costal facets and ribs (thoracic) ---- */

/* Point of the body's side wall at height z in the horizontal direction
 * (dx, dy) from the body axis, and the wall's outward normal there. */
static VpVec3 body_wall_point(const ShapeModel *m, double dx, double dy, double z, VpVec3 *normal)
{
  VpVec3 dir = vp_vec3_normalize(vp_vec3(dx, dy, 0.0)), p = vp_vec3(0, 0, z);
  for (double t = 0.0; t < 100.0; t += 0.05) {
    p = vp_vec3(dir.x * t, dir.y * t, z);
    if (shape_body_section_sdf(m, p.x, p.y) >= 0.0)
      break;
  }
  const double e = 0.05;
  double gx = shape_body_section_sdf(m, p.x + e, p.y) - shape_body_section_sdf(m, p.x - e, p.y);
  double gy = shape_body_section_sdf(m, p.x, p.y + e) - shape_body_section_sdf(m, p.x, p.y - e);
  *normal = vp_vec3_normalize(vp_vec3(gx, gy, 0.0));
  return p;
}

static void add_facet(ShapeModel *m, ShapePart part, VpVec3 surface, VpVec3 normal, double radius,
                      double depth)
{
  if (m->facet_count >= SHAPE_MAX_FACETS)
    return;
  m->facet_part[m->facet_count] = part;
  ShapeSphere *s = &m->facet[m->facet_count++];
  s->radius = radius;
  s->center = vp_vec3_add(surface, vp_vec3_scale(normal, radius - depth));
}

static void add_rib(ShapeModel *m, VpVec3 a, VpVec3 b, double ra, double rb)
{
  if (m->rib_count >= SHAPE_MAX_RIBS)
    return;
  m->rib[m->rib_count++] = capsule_make(a, b, vp_vec3_cross(vp_vec3_sub(b, a), vp_vec3(0, 0, 1)),
                                        ra, ra * 1.2, rb, rb * 1.5);
}

/* A rib whose head sits in the facet at (surface, normal), its neck running
 * to the tubercle, then the start of its shaft. */
static void add_rib_from(ShapeModel *m, int side, VpVec3 surface, VpVec3 normal, VpVec3 tubercle)
{
  double sx = side == 0 ? -1.0 : 1.0, head = 4.0;
  VpVec3 h = vp_vec3_add(surface, vp_vec3_scale(normal, head + JOINT_GAP_MM - 1.0));
  add_rib(m, h, tubercle, head, 3.0);
  add_rib(m, tubercle, vp_vec3_add(tubercle, vp_vec3(sx * 26.0, -3.0, -6.0)), 3.0, 3.2);
}

static void build_costal(ShapeModel *m)
{
  int level = m->p.label - 7; /* T1 = 1 */
  const ShapeBodyGeometry *g = &m->body;
  for (int side = 0; side < 2; side++) {
    double sx = side == 0 ? -1.0 : 1.0;
    const ShapeCapsule *tp = &m->transverse[side];
    VpVec3 front = vp_vec3_normalize(vp_vec3(sx * 0.35, 1.0, 0.0));
    VpVec3 tp_face = vp_vec3_add(tp->b, vp_vec3_scale(front, tp->r1b));
    VpVec3 tubercle = vp_vec3_add(tp_face, vp_vec3_scale(front, 3.0 + JOINT_GAP_MM - 1.0));
    VpVec3 n;
    if (level >= 11) { /* T11, T12: one whole facet, no transverse facet */
      VpVec3 s = body_wall_point(m, sx * 0.9 * g->a, -0.7 * g->b, m->pedicle[side].center.z, &n);
      add_facet(m, SHAPE_BODY, s, n, 5.0, 1.2);
      add_rib_from(m, side, s, n, vp_vec3(sx * (fabs(tp->a.x) + 14.0), tp->a.y - 2.0, s.z - 4.0));
      continue;
    }
    VpVec3 s = body_wall_point(m, sx * 0.8 * g->a, -0.75 * g->b, 0.5 * g->hp - 1.5, &n);
    add_facet(m, SHAPE_BODY, s, n, level == 1 ? 5.0 : 4.5, 1.0);
    add_facet(m, (ShapePart)(SHAPE_TRANSVERSE_LEFT + side), tp_face, front, 4.0, 1.0);
    add_rib_from(m, side, s, n, tubercle);
    if (level <= 9) { /* the next rib's head: inferior demifacet */
      s = body_wall_point(m, sx * 0.8 * g->a, -0.75 * g->b, -0.5 * g->hp + 1.5, &n);
      add_facet(m, SHAPE_BODY, s, n, 4.5, 1.0);
      VpVec3 below = vp_vec3_sub(tubercle, vp_vec3(0, 0, g->hp + 5.0));
      add_rib_from(m, side, s, n, below);
    }
  }
}

/* ---- cleft and lesions ---- */

static void build_cleft(ShapeModel *m)
{
  m->has_cleft = m->p.cleft;
  if (!m->has_cleft)
    return;
  const ShapeBodyGeometry *g = &m->body;
  double k = m->p.cleft_scale, y = 0.18 * g->b;
  double h = shape_body_height(m, 0.0, y, true);
  m->cleft_radii = vp_vec3(0.4 * g->a * k, 0.38 * g->b * k, 0.22 * h * k);
  double z_top = 0.5 * h; /* the body is centred; the top moves down in a fracture */
  double top_actual = z_top;
  for (double z = 0.5 * g->ha + 1.0; z > -0.5 * g->ha; z -= 0.05)
    if (shape_body_sdf(m, vp_vec3(0.0, y, z)) < 0.0) {
      top_actual = z;
      break;
    }
  m->cleft_center = vp_vec3(0.0, y, top_actual - m->p.cortex_mm - 1.0 - m->cleft_radii.z);
}

double phantom_lesion_default_hu(VpLesionKind kind)
{
  return kind == VP_LESION_BLASTIC ? 900.0 : 35.0;
}

static void build_lesions(ShapeModel *m)
{
  m->lesion_count = m->p.lesion_count;
  for (int i = 0; i < m->lesion_count; i++) {
    ShapeLesion *l = &m->lesions[i];
    memset(l, 0, sizeof *l);
    l->lesion = m->p.lesions[i];
    bool given = !isnan(l->lesion.hu);
    l->hu = given ? l->lesion.hu : phantom_lesion_default_hu(l->lesion.kind);
    l->hu_low = phantom_lesion_default_hu(VP_LESION_LYTIC);
    l->hu_high = given ? l->lesion.hu : phantom_lesion_default_hu(VP_LESION_BLASTIC);
    if (l->lesion.breach == VP_BREACH_NONE)
      continue;
    l->channel_dir = shape_breach_direction(l->lesion.breach);
    double exit = shape_body_exit_distance(m, l->lesion.center_mm, l->channel_dir);
    l->channel_radius = fmax(1.5, 0.6 * l->lesion.radius_mm);
    l->channel_length = exit + m->p.cortex_mm + 1.0;
  }
}

/* ---- bounds ---- */

static void build_boxes(ShapeModel *m)
{
  const ShapeBodyGeometry *g = &m->body;
  double half = 0.5 * fmax(g->ha, g->hp) + 1.0;
  m->part_box[SHAPE_BODY] =
      (VpBox3){vp_vec3(-g->a - 1, -g->b - 1, -half), vp_vec3(g->a + 1, g->b + 1, half)};
  for (int s = 0; s < 2; s++) {
    m->part_box[SHAPE_PEDICLE_LEFT + s] = tube_box(&m->pedicle[s]);
    m->part_box[SHAPE_LAMINA_LEFT + s] = shapebox_box(&m->lamina[s]);
    m->part_box[SHAPE_TRANSVERSE_LEFT + s] = capsule_box(&m->transverse[s]);
    m->part_box[SHAPE_SAP_LEFT + s] = capsule_box(&m->sap[s]);
    m->part_box[SHAPE_IAP_LEFT + s] = capsule_box(&m->iap[s]);
    m->part_box[SHAPE_MAMMILLARY_LEFT + s] = sphere_box(&m->mammillary[s]);
  }
  m->part_box[SHAPE_SPINOUS] = shapebox_box(&m->spinous);
  m->part_box[SHAPE_SPINOUS_TIP] = sphere_box(&m->spinous_tip);
  VpBox3 all = vp_box3_empty();
  for (int i = 0; i < SHAPE_PART_COUNT; i++) {
    m->part_box[i] = box_grow(m->part_box[i], m->blend_mm + 0.5);
    if (m->part_box[i].min.x < FAR_AWAY / 2)
      all = box_union(all, m->part_box[i]);
  }
  if (m->has_fragment)
    all = box_union(all, box_grow(shapebox_box(&m->fragment), 1.0));
  for (int i = 0; i < m->rib_count; i++)
    m->rib_box[i] = box_grow(capsule_box(&m->rib[i]), 0.5);
  m->bone_box = box_grow(all, 1.0);
}

void shape_model_build(ShapeModel *m, const VpPhantomParams *p)
{
  memset(m, 0, sizeof *m);
  m->p = *p;
  m->thoracic = p->label <= 19;
  m->blend_mm = BLEND_MM;
  m->trabecular_hu = isnan(p->trabecular_hu) ? (p->osteoporotic ? 85.0 : 200.0) : p->trabecular_hu;
  build_body(m);
  build_canal(m);
  for (int side = 0; side < 2; side++)
    build_pedicle(m, side);
  build_laminae(m);
  for (int side = 0; side < 2; side++) {
    build_articular(m, side);
    build_transverse(m, side);
  }
  build_spinous(m);
  build_fragment(m);
  if (m->thoracic)
    build_costal(m);
  build_cleft(m);
  build_lesions(m);
  build_boxes(m);
}
