/* The implicit model of a vertebra: each part is an approximate signed
 * distance function (negative inside) in the vertebra frame, joined by a
 * smooth union so parts merge with fillets as bone does; the spinal canal is
 * cut out afterwards so it always stays open. Distances are first-order
 * estimates (value over gradient), exact on the surface, which is all the
 * surface, the cortex band and the tissue boundaries need. */
#include <math.h>
#include <string.h>

#include "vp-phantom-private.h"

#define FAR_MM 1e3
#define PEDICLE_FLARE_HEIGHT 0.35 /* the pedicle's height flares less than its width */
#define RIB_CORTEX_MM 1.2

/* fmin/fmax without the NaN rules, so they compile to single instructions:
 * the model never produces NaN from finite parameters. */
static double mind(double a, double b) { return a < b ? a : b; }
static double maxd(double a, double b) { return a > b ? a : b; }
static double sq(double x) { return x * x; }
static double clampd(double x, double lo, double hi) { return x < lo ? lo : x > hi ? hi : x; }
static double lerp(double a, double b, double t) { return a + (b - a) * t; }

/* Polynomial smooth minimum: a fillet of about k mm where a and b meet. */
static double smin(double a, double b, double k)
{
  double h = maxd(k - fabs(a - b), 0.0) / k;
  return mind(a, b) - h * h * k * 0.25;
}

static double smax(double a, double b, double k) { return -smin(-a, -b, k); }

/* Approximate signed distance to |x/a|^n + |y/b|^n = 1 for n = 2 or 4. */
static double superellipse_sdf(double x, double y, double a, double b, int n)
{
  double u = x / a, v = y / b, rho, gx, gy;
  if (n == 2) {
    rho = sqrt(u * u + v * v);
    gx = u / a;
    gy = v / b;
    double g = sqrt(gx * gx + gy * gy);
    return g < 1e-12 ? -mind(a, b) : rho * (rho - 1.0) / g;
  }
  double u2 = u * u, v2 = v * v;
  rho = sqrt(sqrt(u2 * u2 + v2 * v2));
  gx = u2 * u / a;
  gy = v2 * v / b;
  double g = sqrt(gx * gx + gy * gy);
  return g < 1e-12 ? -mind(a, b) : (rho - 1.0) * rho * rho * rho / g;
}

/* Same for an ellipsoid with radii r. */
static double ellipsoid_sdf(VpVec3 q, VpVec3 r)
{
  double k0 = sqrt(sq(q.x / r.x) + sq(q.y / r.y) + sq(q.z / r.z));
  double k1 = sqrt(sq(q.x / (r.x * r.x)) + sq(q.y / (r.y * r.y)) + sq(q.z / (r.z * r.z)));
  return k1 < 1e-12 ? -mind(r.x, mind(r.y, r.z)) : k0 * (k0 - 1.0) / k1;
}

static double sphere_sdf(const ShapeSphere *s, VpVec3 p)
{
  return vp_vec3_distance(p, s->center) - s->radius;
}

/* ---- the vertebral body ---- */

static double body_rho(const ShapeBodyGeometry *g, double x, double y)
{
  return mind(sqrt(sq(x / g->a) + sq(y / g->b)), 1.0);
}

/* Height of the body at y without fracture, linear from posterior to anterior. */
static double body_height_at(const ShapeBodyGeometry *g, double y)
{
  return lerp(g->hp, g->ha, clampd((y + g->b) / (2.0 * g->b), 0.0, 1.0));
}

/* Height lost by the superior (top) and inferior endplates at (x, y). */
static void fracture_loss(const ShapeBodyGeometry *g, double x, double y, double *top,
                          double *bottom)
{
  double rho = body_rho(g, x, y);
  *top = *bottom = 0.0;
  switch (g->fracture) {
  case VP_FRACTURE_WEDGE:
    *top = g->loss_mm * clampd((y + g->b) / (2.0 * g->b), 0.0, 1.0);
    break;
  case VP_FRACTURE_BICONCAVE:
    *top = *bottom = 0.5 * g->loss_mm * sq(1.0 - rho * rho);
    break;
  case VP_FRACTURE_CRUSH:
    *top = 0.6 * g->loss_mm;
    *bottom = 0.4 * g->loss_mm;
    break;
  default:
    break;
  }
}

/* Depression of the broken endplate at (x, y): full inside the radius,
 * fading over the last millimetre. */
static double break_depression(const ShapeBodyGeometry *g, double x, double y)
{
  if (g->break_side == VP_ENDPLATE_NONE)
    return 0.0;
  double r = sqrt(sq(x - g->break_x) + sq(y - g->break_y));
  return g->break_depth * clampd(g->break_radius - r, 0.0, 1.0);
}

static void body_endplates(const ShapeBodyGeometry *g, double x, double y, bool fractured,
                           double *z_top, double *z_bottom)
{
  double h = body_height_at(g, y), hollow = g->concavity * (1.0 - sq(body_rho(g, x, y)));
  *z_top = 0.5 * h - hollow;
  *z_bottom = -0.5 * h + hollow;
  if (!fractured)
    return;
  double top, bottom, dent = break_depression(g, x, y);
  fracture_loss(g, x, y, &top, &bottom);
  *z_top -= top + (g->break_side == VP_ENDPLATE_SUPERIOR ? dent : 0.0);
  *z_bottom += bottom + (g->break_side == VP_ENDPLATE_INFERIOR ? dent : 0.0);
}

/* The horizontal section: an ellipse in front (narrowing for a heart shape),
 * a squarer superellipse behind with a concave posterior wall, blended
 * across the middle third so the side walls run on without a crease. */
static double body_section_sdf(const ShapeBodyGeometry *g, double x, double y, double waist)
{
  double a = g->a - waist, b = g->b - waist;
  /* In front between an ellipse and a squarer curve, as a body's outline is. */
  double ax = a * (1.0 - g->taper * clampd(y / b, 0.0, 1.0));
  double front = lerp(superellipse_sdf(x, y, ax, b, 2), superellipse_sdf(x, y, ax, b, 4), 0.35);
  double t = maxd(1.0 - sq(x / a), 0.0);
  double back = superellipse_sdf(x, y - g->post_concavity * t, a, g->b, 4);
  double w = clampd((y + 0.4 * g->b) / (0.45 * g->b), 0.0, 1.0);
  w = w * w * (3.0 - 2.0 * w);
  return lerp(back, front, w);
}

static double body_sdf_full(const ShapeBodyGeometry *g, VpVec3 p, bool fractured)
{
  double z_top, z_bottom;
  body_endplates(g, p.x, p.y, fractured, &z_top, &z_bottom);
  double half = 0.5 * body_height_at(g, p.y);
  double waist = g->waist * maxd(1.0 - sq(p.z / half), 0.0);
  double section = body_section_sdf(g, p.x, p.y, waist);
  double dz = maxd(p.z - z_top, z_bottom - p.z);
  return smax(section, dz, g->rim_round);
}

double shape_body_sdf(const ShapeModel *m, VpVec3 p) { return body_sdf_full(&m->body, p, true); }

double shape_body_section_sdf(const ShapeModel *m, double x, double y)
{
  return body_section_sdf(&m->body, x, y, 0.0);
}

double shape_body_height(const ShapeModel *m, double x, double y, bool fractured)
{
  double z_top, z_bottom;
  body_endplates(&m->body, x, y, fractured, &z_top, &z_bottom);
  return z_top - z_bottom;
}

/* ---- primitives of the posterior elements ---- */

static double tube_sdf(const ShapeTube *t, VpVec3 p)
{
  VpVec3 q = vp_vec3_sub(p, t->center);
  double s = vp_vec3_dot(q, t->d);
  double sc = clampd(s, t->s_min, t->s_flare),
         grow = mind(t->flare * sc * sc, PEDICLE_FLARE_MAX_MM);
  double e = superellipse_sdf(vp_vec3_dot(q, t->u), vp_vec3_dot(q, t->v), t->ru + grow,
                              t->rv + grow * PEDICLE_FLARE_HEIGHT, 2);
  return maxd(e, maxd(t->s_min - s, s - t->s_max));
}

static double capsule_sdf(const ShapeCapsule *c, VpVec3 p)
{
  VpVec3 q = vp_vec3_sub(p, c->a);
  double s = vp_vec3_dot(q, c->dir), t = clampd(s / c->length, 0.0, 1.0);
  VpVec3 off = vp_vec3_sub(q, vp_vec3_scale(c->dir, t * c->length));
  double r1 = lerp(c->r1a, c->r1b, t), r2 = lerp(c->r2a, c->r2b, t);
  VpVec3 local = {vp_vec3_dot(off, c->e1), vp_vec3_dot(off, c->e2), vp_vec3_dot(off, c->dir)};
  return ellipsoid_sdf(local, vp_vec3(r1, r2, mind(r1, r2)));
}

static double box_sdf(const ShapeBox *b, VpVec3 p)
{
  VpVec3 q = vp_vec3_sub(p, b->center);
  double x = vp_vec3_dot(q, b->ax), y = vp_vec3_dot(q, b->ay), z = vp_vec3_dot(q, b->az);
  double t = clampd((z + b->hz) / (2.0 * b->hz), 0.0, 1.0);
  double r = b->round_mm;
  double dx = fabs(x) - (lerp(b->hx, b->hx_tip, t) - r);
  double dy = fabs(y) - (lerp(b->hy, b->hy_tip, t) - r);
  double dz = fabs(z) - (b->hz - r);
  double outside = sqrt(sq(maxd(dx, 0.0)) + sq(maxd(dy, 0.0)) + sq(maxd(dz, 0.0)));
  return outside + mind(maxd(dx, maxd(dy, dz)), 0.0) - r;
}

static double canal_sdf(const ShapeModel *m, double x, double y, double scale)
{
  double dy = y - m->canal_yc, a = m->canal_a * scale, b = m->canal_b * scale;
  if (dy < 0.0)
    a *= 1.0 + m->canal_tri * maxd(dy / b, -1.0);
  return superellipse_sdf(x, dy, a, b, 2);
}

/* Distance to an axis-aligned box (0 inside): a lower bound of any part's
 * distance, used to skip parts far from p. */
static double box_distance(const VpBox3 *box, VpVec3 p)
{
  double dx = maxd(maxd(box->min.x - p.x, p.x - box->max.x), 0.0);
  double dy = maxd(maxd(box->min.y - p.y, p.y - box->max.y), 0.0);
  double dz = maxd(maxd(box->min.z - p.z, p.z - box->max.z), 0.0);
  double d2 = dx * dx + dy * dy + dz * dz;
  return d2 > 0.0 ? sqrt(d2) : 0.0;
}

static double part_sdf(const ShapeModel *m, ShapePart part, VpVec3 p)
{
  switch (part) {
  case SHAPE_BODY:
    return body_sdf_full(&m->body, p, true);
  case SHAPE_PEDICLE_LEFT:
  case SHAPE_PEDICLE_RIGHT:
    return tube_sdf(&m->pedicle[part - SHAPE_PEDICLE_LEFT], p);
  case SHAPE_LAMINA_LEFT:
  case SHAPE_LAMINA_RIGHT:
    return box_sdf(&m->lamina[part - SHAPE_LAMINA_LEFT], p);
  case SHAPE_SPINOUS:
    return box_sdf(&m->spinous, p);
  case SHAPE_SPINOUS_TIP:
    return sphere_sdf(&m->spinous_tip, p);
  case SHAPE_TRANSVERSE_LEFT:
  case SHAPE_TRANSVERSE_RIGHT:
    return capsule_sdf(&m->transverse[part - SHAPE_TRANSVERSE_LEFT], p);
  case SHAPE_SAP_LEFT:
  case SHAPE_SAP_RIGHT:
    return capsule_sdf(&m->sap[part - SHAPE_SAP_LEFT], p);
  case SHAPE_IAP_LEFT:
  case SHAPE_IAP_RIGHT:
    return capsule_sdf(&m->iap[part - SHAPE_IAP_LEFT], p);
  case SHAPE_MAMMILLARY_LEFT:
  case SHAPE_MAMMILLARY_RIGHT:
    return sphere_sdf(&m->mammillary[part - SHAPE_MAMMILLARY_LEFT], p);
  default:
    return FAR_MM;
  }
}

typedef struct BoneEval {
  double sdf;     /* the whole bone */
  ShapePart part; /* part with the smallest own distance (the body first) */
  double body_sdf;
  double facet_sdf;  /* nearest costal facet dimple */
  bool fragment;     /* in the retropulsed fragment */
  double skipped_mm; /* no part skipped for lying far from p comes nearer than this */
} BoneEval;

static bool in_box(const VpBox3 *b, VpVec3 p)
{
  return p.x >= b->min.x && p.x <= b->max.x && p.y >= b->min.y && p.y <= b->max.y &&
         p.z >= b->min.z && p.z <= b->max.z;
}

static bool boxes_meet(const VpBox3 *a, const VpBox3 *b)
{
  return a->min.x <= b->max.x && b->min.x <= a->max.x && a->min.y <= b->max.y &&
         b->min.y <= a->max.y && a->min.z <= b->max.z && b->min.z <= a->max.z;
}

uint32_t shape_parts_near(const ShapeModel *m, VpBox3 box)
{
  uint32_t parts = 0;
  for (int i = 0; i < SHAPE_PART_COUNT; i++)
    if (boxes_meet(&m->part_box[i], &box))
      parts |= 1u << i;
  return parts;
}

/* Smooth union of the parts whose (grown) boxes hold p. A part whose box
 * does not hold p lies further than the blend from p, so leaving it out
 * changes nothing near the surface; its box still bounds how near it is. */
static double union_parts(const ShapeModel *m, VpVec3 p, uint32_t parts, BoneEval *e)
{
  double f = FAR_MM, best = FAR_MM;
  e->part = SHAPE_BODY;
  e->body_sdf = FAR_MM;
  e->skipped_mm = FAR_MM;
  for (int i = 0; i < SHAPE_PART_COUNT; i++) {
    if (!(parts >> i & 1u))
      continue;
    if (!in_box(&m->part_box[i], p)) {
      e->skipped_mm = mind(e->skipped_mm, box_distance(&m->part_box[i], p) + 0.5);
      continue;
    }
    double d = part_sdf(m, (ShapePart)i, p);
    /* Costal facets are hollows of their own part only, so they never eat
     * into a neighbour such as the pedicle. */
    for (int k = 0; k < m->facet_count; k++)
      if (m->facet_part[k] == (ShapePart)i)
        d = smax(d, -sphere_sdf(&m->facet[k], p), 0.6);
    if (i == SHAPE_BODY)
      e->body_sdf = d;
    if (d < best && (i == SHAPE_BODY || e->body_sdf > 0.0)) {
      best = d;
      e->part = (ShapePart)i;
    }
    f = smin(f, d, m->blend_mm);
  }
  return f;
}

static void bone_eval(const ShapeModel *m, VpVec3 p, uint32_t parts, BoneEval *e)
{
  double f = union_parts(m, p, parts, e);
  e->facet_sdf = FAR_MM;
  for (int i = 0; i < m->facet_count; i++)
    e->facet_sdf = mind(e->facet_sdf, sphere_sdf(&m->facet[i], p));
  /* Cut with a slight rounding: a sharp crease would show as a jagged line
   * on a surface sampled from a grid. */
  f = smax(f, -canal_sdf(m, p.x, p.y, 1.0), 0.8);
  e->fragment = false;
  if (m->has_fragment) {
    double frag = box_sdf(&m->fragment, p);
    e->fragment = frag < 0.0 && frag < f;
    f = smin(f, frag, 0.8);
  }
  e->sdf = f;
}

double shape_bone_sdf_near(const ShapeModel *m, VpVec3 p, uint32_t parts, double *skipped_mm)
{
  double outside = box_distance(&m->bone_box, p);
  if (outside > 0.0) {
    if (skipped_mm)
      *skipped_mm = outside + 1.0;
    return outside + 1.0;
  }
  BoneEval e;
  bone_eval(m, p, parts, &e);
  if (skipped_mm)
    *skipped_mm = e.skipped_mm;
  return e.sdf;
}

double shape_bone_sdf(const ShapeModel *m, VpVec3 p)
{
  return shape_bone_sdf_near(m, p, SHAPE_ALL_PARTS, NULL);
}

/* ---- tissues ---- */

static VpPhantomPart part_of(ShapePart part)
{
  switch (part) {
  case SHAPE_PEDICLE_LEFT:
    return VP_PART_PEDICLE_LEFT;
  case SHAPE_PEDICLE_RIGHT:
    return VP_PART_PEDICLE_RIGHT;
  case SHAPE_LAMINA_LEFT:
  case SHAPE_LAMINA_RIGHT:
    return VP_PART_LAMINA;
  case SHAPE_SPINOUS:
  case SHAPE_SPINOUS_TIP:
    return VP_PART_SPINOUS;
  case SHAPE_TRANSVERSE_LEFT:
  case SHAPE_TRANSVERSE_RIGHT:
    return VP_PART_TRANSVERSE;
  case SHAPE_SAP_LEFT:
  case SHAPE_SAP_RIGHT:
  case SHAPE_MAMMILLARY_LEFT:
  case SHAPE_MAMMILLARY_RIGHT:
    return VP_PART_ARTICULAR_SUPERIOR;
  case SHAPE_IAP_LEFT:
  case SHAPE_IAP_RIGHT:
    return VP_PART_ARTICULAR_INFERIOR;
  default:
    return VP_PART_BODY_TRABECULAR;
  }
}

/* Mottled pattern of a mixed lesion, period 5 mm: true for the dense spots. */
static bool mixed_dense(VpVec3 q)
{
  double k = 2.0 * VP_PI / 5.0;
  return sin(k * q.x) * sin(k * q.y) * sin(k * q.z) > 0.0;
}

/* Lesion membership of a bone point; also the distance to its boundary. */
static bool in_lesion(const ShapeLesion *l, VpVec3 p, bool cortex, double *boundary)
{
  VpVec3 q = vp_vec3_sub(p, l->lesion.center_mm);
  double ds = vp_vec3_length(q) - l->lesion.radius_mm;
  double dc = FAR_MM;
  if (l->channel_radius > 0.0) {
    double s = vp_vec3_dot(q, l->channel_dir);
    double r = vp_vec3_length(vp_vec3_sub(q, vp_vec3_scale(l->channel_dir, s)));
    dc = maxd(r - l->channel_radius, maxd(-s, s - l->channel_length));
  }
  *boundary = mind(fabs(ds), fabs(dc));
  return dc < 0.0 || (ds < 0.0 && !cortex);
}

static double lesion_hu(const ShapeLesion *l, VpVec3 p, double *boundary)
{
  if (l->lesion.kind != VP_LESION_MIXED)
    return l->hu;
  *boundary = 0.0; /* textured: always partial volume */
  return mixed_dense(vp_vec3_sub(p, l->lesion.center_mm)) ? l->hu_high : l->hu_low;
}

static double cleft_sdf(const ShapeModel *m, VpVec3 p)
{
  return m->has_cleft ? ellipsoid_sdf(vp_vec3_sub(p, m->cleft_center), m->cleft_radii) : FAR_MM;
}

/* Inside the bone: cortex or trabecular bone, or what replaced it. */
static void sample_bone(const ShapeModel *m, VpVec3 p, const BoneEval *e, ShapeSample *out)
{
  bool body = e->part == SHAPE_BODY || e->fragment;
  double cortex = body ? m->p.cortex_mm : m->p.posterior_cortex_mm;
  bool is_cortex = e->sdf > -cortex;
  out->in_body = body;
  out->part = body ? (is_cortex ? VP_PART_BODY_CORTEX : VP_PART_BODY_TRABECULAR) : part_of(e->part);
  out->tissue = is_cortex ? TISSUE_CORTEX : TISSUE_TRABECULAR;
  out->boundary_mm = mind(fabs(e->sdf), fabs(e->sdf + cortex));
  if (e->facet_sdf < 1.5 && is_cortex)
    out->part = VP_PART_RIB_FACET;
  const ShapeBodyGeometry *g = &m->body;
  if (body && is_cortex && g->break_side != VP_ENDPLATE_NONE) {
    double r = sqrt(sq(p.x - g->break_x) + sq(p.y - g->break_y));
    bool side = g->break_side == VP_ENDPLATE_SUPERIOR ? p.z > 0.0 : p.z < 0.0;
    out->boundary_mm = mind(out->boundary_mm, fabs(r - g->break_radius));
    if (side && r < g->break_radius)
      out->tissue = TISSUE_BREAK;
  }
  double dcleft = cleft_sdf(m, p);
  out->boundary_mm = mind(out->boundary_mm, fabs(dcleft));
  if (body && !is_cortex && dcleft < 0.0) {
    out->tissue = TISSUE_CLEFT;
    out->part = VP_PART_CLEFT;
  }
  for (int i = 0; i < m->lesion_count; i++) {
    double boundary;
    bool in = in_lesion(&m->lesions[i], p, is_cortex, &boundary);
    out->boundary_mm = mind(out->boundary_mm, boundary);
    if (in && out->lesion < 0) {
      out->lesion = i;
      out->breach = is_cortex;
      out->tissue = TISSUE_LESION;
      out->part = VP_PART_LESION;
    }
  }
}

/* The lungs of thoracic levels (CT only): beside the body, 5 mm of
 * paravertebral tissue away, and in front of the line of the ribs from the
 * costovertebral joint past the tip of the transverse process, so they reach
 * back into the paravertebral gutters as in an axial CT of the chest. */
static bool in_lung(const ShapeModel *m, VpVec3 p, double *boundary)
{
  if (!m->thoracic) {
    *boundary = FAR_MM;
    return false;
  }
  int side = p.x < 0.0 ? 0 : 1;
  double sx = side == 0 ? -1.0 : 1.0;
  const ShapeCapsule *tp = &m->transverse[side];
  double ax = sx * 0.95 * m->body.a, ay = -0.45 * m->body.b;
  double bx = tp->b.x, by = tp->b.y + maxd(tp->r1b, tp->r2b) + 3.0;
  double nx = ay - by, ny = bx - ax, len = sqrt(nx * nx + ny * ny);
  if (ny < 0.0)
    len = -len; /* the normal points forwards */
  double behind = -((p.x - ax) * nx + (p.y - ay) * ny) / len;
  double beside = 5.0 - body_section_sdf(&m->body, p.x, p.y, 0.0);
  double field =
      superellipse_sdf(p.x - sx * (m->body.a + 50.0), p.y - 0.35 * m->body.b, 50.0, 75.0, 2);
  double d = maxd(field, maxd(behind, beside));
  *boundary = fabs(d);
  return d < 0.0;
}

/* Outside the bone: canal (CSF and epidural fat), discs, ribs, lungs, soft tissue. */
static void sample_outside(const ShapeModel *m, VpVec3 p, const BoneEval *e, ShapeSample *out)
{
  out->part = VP_PART_OUTSIDE;
  out->tissue = TISSUE_SOFT;
  out->boundary_mm = fabs(e->sdf);
  double canal = canal_sdf(m, p.x, p.y, 1.0);
  double dura = superellipse_sdf(p.x, p.y - m->canal_yc, m->dura_a, m->dura_b, 2);
  out->boundary_mm = mind(out->boundary_mm, mind(fabs(canal), fabs(dura)));
  if (canal < 0.0) {
    out->part = VP_PART_CANAL;
    out->tissue = dura < 0.0 ? TISSUE_CSF : TISSUE_FAT;
    return;
  }
  double section = body_section_sdf(&m->body, p.x, p.y, 0.0) + 0.5;
  double disc_h = m->thoracic ? 5.0 : 9.0, half = 0.5 * maxd(m->body.ha, m->body.hp);
  double disc = maxd(section, fabs(p.z) - (half + disc_h));
  out->boundary_mm = mind(out->boundary_mm, fabs(disc));
  if (disc < 0.0) {
    out->tissue = TISSUE_DISC;
    return;
  }
  double rib = FAR_MM;
  for (int i = 0; i < m->rib_count; i++)
    rib = mind(rib, in_box(&m->rib_box[i], p) ? capsule_sdf(&m->rib[i], p)
                                              : box_distance(&m->rib_box[i], p) + 0.5);
  out->boundary_mm = mind(out->boundary_mm, mind(fabs(rib), fabs(rib + RIB_CORTEX_MM)));
  if (rib < 0.0) {
    out->part = VP_PART_RIB;
    out->tissue = rib > -RIB_CORTEX_MM ? TISSUE_RIB_CORTEX : TISSUE_RIB_MARROW;
    return;
  }
  double lung;
  if (in_lung(m, p, &lung))
    out->tissue = TISSUE_LUNG;
  out->boundary_mm = mind(out->boundary_mm, lung);
}

static double tissue_hu(const ShapeModel *m, const ShapeSample *s, VpVec3 p, double *boundary)
{
  switch (s->tissue) {
  case TISSUE_FAT:
    return m->p.fat_hu;
  case TISSUE_CSF:
    return 10.0;
  case TISSUE_DISC:
    return 80.0;
  case TISSUE_LUNG:
    return -850.0;
  case TISSUE_CORTEX:
    return m->p.cortical_hu;
  case TISSUE_TRABECULAR:
    return m->trabecular_hu;
  case TISSUE_LESION:
    return lesion_hu(&m->lesions[s->lesion], p, boundary);
  case TISSUE_CLEFT:
    return m->p.cleft_hu;
  case TISSUE_RIB_CORTEX:
    return 0.8 * m->p.cortical_hu;
  case TISSUE_RIB_MARROW:
    return 220.0;
  default: /* soft tissue, and the blood and soft tissue filling an endplate break */
    return m->p.soft_tissue_hu;
  }
}

void shape_sample_near(const ShapeModel *m, VpVec3 p, uint32_t parts, ShapeSample *out)
{
  BoneEval e;
  double outside = box_distance(&m->bone_box, p);
  if (outside > 0.0) {
    e.sdf = e.skipped_mm = outside + 1.0;
    e.part = SHAPE_BODY;
  } else {
    bone_eval(m, p, parts, &e);
  }
  out->bone_sdf = e.sdf;
  out->in_body = false;
  out->lesion = -1;
  out->breach = false;
  if (e.sdf < 0.0)
    sample_bone(m, p, &e, out);
  else
    sample_outside(m, p, &e, out);
  double boundary = mind(out->boundary_mm, e.skipped_mm);
  out->hu = tissue_hu(m, out, p, &boundary);
  out->boundary_mm = boundary;
}

void shape_sample(const ShapeModel *m, VpVec3 p, ShapeSample *out)
{
  shape_sample_near(m, p, SHAPE_ALL_PARTS, out);
}

VpVec3 shape_breach_direction(VpBreachSite site)
{
  switch (site) {
  case VP_BREACH_POSTERIOR:
    return vp_vec3(0, -1, 0);
  case VP_BREACH_ANTERIOR:
    return vp_vec3(0, 1, 0);
  case VP_BREACH_SUPERIOR:
    return vp_vec3(0, 0, 1);
  case VP_BREACH_INFERIOR:
    return vp_vec3(0, 0, -1);
  case VP_BREACH_LEFT:
    return vp_vec3(-1, 0, 0);
  case VP_BREACH_RIGHT:
    return vp_vec3(1, 0, 0);
  default:
    return vp_vec3(0, 0, 0);
  }
}

double shape_body_exit_distance(const ShapeModel *m, VpVec3 c, VpVec3 dir)
{
  const double step = 0.1;
  for (double t = 0.0; t < 120.0; t += step)
    if (body_sdf_full(&m->body, vp_vec3_add(c, vp_vec3_scale(dir, t)), true) >= 0.0)
      return t;
  return INFINITY;
}
