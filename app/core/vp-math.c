/* Small linear algebra for planning geometry: vectors, matrices, quaternions
 * and boxes in double precision (see vp-math.h for conventions). */
#include "vp-math.h"

#include <float.h>
#include <math.h>

/* Relative size below which a pivot or determinant counts as zero: well above
 * double rounding noise (~1e-16) so near-singular matrices are not "inverted"
 * into garbage, well below anything a real transform produces. */
#define SINGULAR_EPS 1e-14

/* ---- vectors ---- */

double vp_vec3_length(VpVec3 a)
{
  return sqrt(vp_vec3_dot(a, a));
}

double vp_vec3_distance(VpVec3 a, VpVec3 b)
{
  return vp_vec3_length(vp_vec3_sub(a, b));
}

VpVec3 vp_vec3_normalize(VpVec3 a)
{
  double len = vp_vec3_length(a);
  if (!(len > 0.0))
    return vp_vec3(0.0, 0.0, 0.0);
  return vp_vec3_scale(a, 1.0 / len);
}

double vp_vec3_angle(VpVec3 a, VpVec3 b)
{
  /* atan2 of |a x b| and a.b stays accurate near 0 and pi, where acos does not. */
  return atan2(vp_vec3_length(vp_vec3_cross(a, b)), vp_vec3_dot(a, b));
}

bool vp_vec3_is_finite(VpVec3 a)
{
  return isfinite(a.x) && isfinite(a.y) && isfinite(a.z);
}

/* ---- 3x3 matrices ---- */

VpMat3 vp_mat3_identity(void)
{
  return (VpMat3){{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};
}

VpMat3 vp_mat3_mul(VpMat3 a, VpMat3 b)
{
  VpMat3 r;
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      r.m[i][j] = a.m[i][0] * b.m[0][j] + a.m[i][1] * b.m[1][j] + a.m[i][2] * b.m[2][j];
  return r;
}

VpVec3 vp_mat3_mul_vec3(VpMat3 m, VpVec3 v)
{
  return vp_vec3(m.m[0][0] * v.x + m.m[0][1] * v.y + m.m[0][2] * v.z,
                 m.m[1][0] * v.x + m.m[1][1] * v.y + m.m[1][2] * v.z,
                 m.m[2][0] * v.x + m.m[2][1] * v.y + m.m[2][2] * v.z);
}

VpMat3 vp_mat3_transpose(VpMat3 m)
{
  VpMat3 r;
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      r.m[i][j] = m.m[j][i];
  return r;
}

static VpVec3 mat3_row(VpMat3 m, int i)
{
  return vp_vec3(m.m[i][0], m.m[i][1], m.m[i][2]);
}

double vp_mat3_determinant(VpMat3 m)
{
  return vp_vec3_dot(mat3_row(m, 0), vp_vec3_cross(mat3_row(m, 1), mat3_row(m, 2)));
}

bool vp_mat3_inverse(VpMat3 m, VpMat3 *out)
{
  VpVec3 r0 = mat3_row(m, 0), r1 = mat3_row(m, 1), r2 = mat3_row(m, 2);
  VpVec3 c0 = vp_vec3_cross(r1, r2), c1 = vp_vec3_cross(r2, r0), c2 = vp_vec3_cross(r0, r1);
  double det = vp_vec3_dot(r0, c0);
  /* Hadamard: |det| <= product of the row lengths, so this test is scale-free. */
  double bound = vp_vec3_length(r0) * vp_vec3_length(r1) * vp_vec3_length(r2);
  if (!isfinite(det) || !(fabs(det) > SINGULAR_EPS * bound))
    return false;
  /* The inverse's columns are the cross products of the rows, over det. */
  *out = vp_mat3_from_columns(vp_vec3_scale(c0, 1.0 / det), vp_vec3_scale(c1, 1.0 / det),
                              vp_vec3_scale(c2, 1.0 / det));
  return true;
}

VpMat3 vp_mat3_rotation(VpVec3 axis, double angle)
{
  VpVec3 u = vp_vec3_normalize(axis);
  double c = cos(angle), s = sin(angle), t = 1.0 - c;
  return (VpMat3){{
      {t * u.x * u.x + c, t * u.x * u.y - s * u.z, t * u.x * u.z + s * u.y},
      {t * u.x * u.y + s * u.z, t * u.y * u.y + c, t * u.y * u.z - s * u.x},
      {t * u.x * u.z - s * u.y, t * u.y * u.z + s * u.x, t * u.z * u.z + c},
  }};
}

VpMat3 vp_mat3_from_columns(VpVec3 c0, VpVec3 c1, VpVec3 c2)
{
  return (VpMat3){{{c0.x, c1.x, c2.x}, {c0.y, c1.y, c2.y}, {c0.z, c1.z, c2.z}}};
}

/* ---- 4x4 matrices ---- */

VpMat4 vp_mat4_identity(void)
{
  return (VpMat4){{{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}}};
}

VpMat4 vp_mat4_mul(VpMat4 a, VpMat4 b)
{
  VpMat4 r;
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++) {
      double sum = 0.0;
      for (int k = 0; k < 4; k++)
        sum += a.m[i][k] * b.m[k][j];
      r.m[i][j] = sum;
    }
  return r;
}

VpVec4 vp_mat4_mul_vec4(VpMat4 m, VpVec4 v)
{
  double in[4] = {v.x, v.y, v.z, v.w}, o[4];
  for (int i = 0; i < 4; i++)
    o[i] = m.m[i][0] * in[0] + m.m[i][1] * in[1] + m.m[i][2] * in[2] + m.m[i][3] * in[3];
  return (VpVec4){o[0], o[1], o[2], o[3]};
}

VpVec3 vp_mat4_transform_point(VpMat4 m, VpVec3 p)
{
  VpVec4 h = vp_mat4_mul_vec4(m, (VpVec4){p.x, p.y, p.z, 1.0});
  /* w == 0 is a point at infinity; dividing yields inf, which callers can test. */
  return vp_vec3(h.x / h.w, h.y / h.w, h.z / h.w);
}

VpVec3 vp_mat4_transform_dir(VpMat4 m, VpVec3 d)
{
  VpVec4 h = vp_mat4_mul_vec4(m, (VpVec4){d.x, d.y, d.z, 0.0});
  return vp_vec3(h.x, h.y, h.z);
}

VpMat4 vp_mat4_translation(VpVec3 t)
{
  VpMat4 r = vp_mat4_identity();
  r.m[0][3] = t.x;
  r.m[1][3] = t.y;
  r.m[2][3] = t.z;
  return r;
}

VpMat4 vp_mat4_scaling(VpVec3 s)
{
  VpMat4 r = vp_mat4_identity();
  r.m[0][0] = s.x;
  r.m[1][1] = s.y;
  r.m[2][2] = s.z;
  return r;
}

VpMat4 vp_mat4_from_mat3(VpMat3 r, VpVec3 t)
{
  VpMat4 o = vp_mat4_translation(t);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      o.m[i][j] = r.m[i][j];
  return o;
}

VpMat4 vp_mat4_transpose(VpMat4 m)
{
  VpMat4 r;
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++)
      r.m[i][j] = m.m[j][i];
  return r;
}

static double mat4_max_abs(const VpMat4 *m)
{
  double big = 0.0;
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++)
      big = fmax(big, fabs(m->m[i][j]));
  return big;
}

static void mat4_swap_rows(VpMat4 *m, int a, int b)
{
  for (int j = 0; j < 4; j++) {
    double t = m->m[a][j];
    m->m[a][j] = m->m[b][j];
    m->m[b][j] = t;
  }
}

static int mat4_pivot_row(const VpMat4 *m, int col)
{
  int best = col;
  for (int i = col + 1; i < 4; i++)
    if (fabs(m->m[i][col]) > fabs(m->m[best][col]))
      best = i;
  return best;
}

/* Scales row col to a unit pivot and clears column col from the other rows,
 * doing the same to inv. */
static void mat4_eliminate(VpMat4 *m, VpMat4 *inv, int col)
{
  double scale = 1.0 / m->m[col][col];
  for (int j = 0; j < 4; j++) {
    m->m[col][j] *= scale;
    inv->m[col][j] *= scale;
  }
  for (int i = 0; i < 4; i++) {
    double f = m->m[i][col];
    if (i == col || f == 0.0)
      continue;
    for (int j = 0; j < 4; j++) {
      m->m[i][j] -= f * m->m[col][j];
      inv->m[i][j] -= f * inv->m[col][j];
    }
  }
}

/* Gauss-Jordan elimination with partial pivoting. */
bool vp_mat4_inverse(VpMat4 m, VpMat4 *out)
{
  VpMat4 inv = vp_mat4_identity();
  double tiny = SINGULAR_EPS * mat4_max_abs(&m);
  for (int col = 0; col < 4; col++) {
    int p = mat4_pivot_row(&m, col);
    if (!isfinite(m.m[p][col]) || !(fabs(m.m[p][col]) > tiny))
      return false;
    mat4_swap_rows(&m, col, p);
    mat4_swap_rows(&inv, col, p);
    mat4_eliminate(&m, &inv, col);
  }
  *out = inv;
  return true;
}

VpMat4 vp_mat4_look_at(VpVec3 eye, VpVec3 target, VpVec3 up)
{
  VpVec3 f = vp_vec3_normalize(vp_vec3_sub(target, eye));
  VpVec3 s = vp_vec3_normalize(vp_vec3_cross(f, up));
  VpVec3 u = vp_vec3_cross(s, f);
  return (VpMat4){{
      {s.x, s.y, s.z, -vp_vec3_dot(s, eye)},
      {u.x, u.y, u.z, -vp_vec3_dot(u, eye)},
      {-f.x, -f.y, -f.z, vp_vec3_dot(f, eye)},
      {0, 0, 0, 1},
  }};
}

VpMat4 vp_mat4_perspective(double fov_y, double aspect, double z_near, double z_far)
{
  double f = 1.0 / tan(fov_y / 2.0);
  double depth = z_near - z_far;
  return (VpMat4){{
      {f / aspect, 0, 0, 0},
      {0, f, 0, 0},
      {0, 0, (z_far + z_near) / depth, 2.0 * z_far * z_near / depth},
      {0, 0, -1, 0},
  }};
}

VpMat4 vp_mat4_orthographic(double left, double right, double bottom, double top, double z_near,
                            double z_far)
{
  double w = right - left, h = top - bottom, d = z_far - z_near;
  return (VpMat4){{
      {2.0 / w, 0, 0, -(right + left) / w},
      {0, 2.0 / h, 0, -(top + bottom) / h},
      {0, 0, -2.0 / d, -(z_far + z_near) / d},
      {0, 0, 0, 1},
  }};
}

/* ---- quaternions ---- */

VpQuat vp_quat_identity(void)
{
  return (VpQuat){1.0, 0.0, 0.0, 0.0};
}

VpQuat vp_quat_from_axis_angle(VpVec3 axis, double angle)
{
  VpVec3 u = vp_vec3_normalize(axis);
  double s = sin(angle / 2.0);
  return (VpQuat){cos(angle / 2.0), u.x * s, u.y * s, u.z * s};
}

/* Shepperd's method: take the square root of the largest of the four
 * candidates so the division is never by a small number. */
VpQuat vp_quat_from_mat3(VpMat3 r)
{
  double(*m)[3] = r.m; /* r is our copy */
  double trace = m[0][0] + m[1][1] + m[2][2];
  VpQuat q;
  if (trace > 0.0) {
    double s = 2.0 * sqrt(1.0 + trace);
    q = (VpQuat){0.25 * s, (m[2][1] - m[1][2]) / s, (m[0][2] - m[2][0]) / s, (m[1][0] - m[0][1]) / s};
  } else if (m[0][0] > m[1][1] && m[0][0] > m[2][2]) {
    double s = 2.0 * sqrt(1.0 + m[0][0] - m[1][1] - m[2][2]);
    q = (VpQuat){(m[2][1] - m[1][2]) / s, 0.25 * s, (m[0][1] + m[1][0]) / s, (m[0][2] + m[2][0]) / s};
  } else if (m[1][1] > m[2][2]) {
    double s = 2.0 * sqrt(1.0 + m[1][1] - m[0][0] - m[2][2]);
    q = (VpQuat){(m[0][2] - m[2][0]) / s, (m[0][1] + m[1][0]) / s, 0.25 * s, (m[1][2] + m[2][1]) / s};
  } else {
    double s = 2.0 * sqrt(1.0 + m[2][2] - m[0][0] - m[1][1]);
    q = (VpQuat){(m[1][0] - m[0][1]) / s, (m[0][2] + m[2][0]) / s, (m[1][2] + m[2][1]) / s, 0.25 * s};
  }
  return vp_quat_normalize(q);
}

VpQuat vp_quat_mul(VpQuat a, VpQuat b)
{
  return (VpQuat){
      a.w * b.w - a.x * b.x - a.y * b.y - a.z * b.z,
      a.w * b.x + a.x * b.w + a.y * b.z - a.z * b.y,
      a.w * b.y - a.x * b.z + a.y * b.w + a.z * b.x,
      a.w * b.z + a.x * b.y - a.y * b.x + a.z * b.w,
  };
}

static double quat_dot(VpQuat a, VpQuat b)
{
  return a.w * b.w + a.x * b.x + a.y * b.y + a.z * b.z;
}

VpQuat vp_quat_normalize(VpQuat q)
{
  double len = sqrt(quat_dot(q, q));
  if (!(len > 0.0))
    return vp_quat_identity();
  return (VpQuat){q.w / len, q.x / len, q.y / len, q.z / len};
}

VpQuat vp_quat_conjugate(VpQuat q)
{
  return (VpQuat){q.w, -q.x, -q.y, -q.z};
}

VpVec3 vp_quat_rotate(VpQuat q, VpVec3 v)
{
  /* v' = v + 2 u x (u x v + w v), with u the vector part: no full products. */
  VpVec3 u = vp_vec3(q.x, q.y, q.z);
  VpVec3 t = vp_vec3_add(vp_vec3_cross(u, v), vp_vec3_scale(v, q.w));
  return vp_vec3_add(v, vp_vec3_scale(vp_vec3_cross(u, t), 2.0));
}

VpMat3 vp_quat_to_mat3(VpQuat q)
{
  double w = q.w, x = q.x, y = q.y, z = q.z;
  return (VpMat3){{
      {1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)},
      {2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)},
      {2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)},
  }};
}

static VpQuat quat_blend(VpQuat a, double wa, VpQuat b, double wb)
{
  return (VpQuat){a.w * wa + b.w * wb, a.x * wa + b.x * wb, a.y * wa + b.y * wb,
                  a.z * wa + b.z * wb};
}

VpQuat vp_quat_slerp(VpQuat a, VpQuat b, double t)
{
  double d = quat_dot(a, b);
  if (d < 0.0) { /* q and -q are the same rotation: take the short way round */
    b = (VpQuat){-b.w, -b.x, -b.y, -b.z};
    d = -d;
  }
  if (d > 0.9995) /* nearly parallel: sin(theta) ~ 0, linear blend is exact enough */
    return vp_quat_normalize(quat_blend(a, 1.0 - t, b, t));
  double theta = acos(d), s = sin(theta);
  return quat_blend(a, sin((1.0 - t) * theta) / s, b, sin(t * theta) / s);
}

/* ---- boxes ---- */

VpBox3 vp_box3_empty(void)
{
  return (VpBox3){{DBL_MAX, DBL_MAX, DBL_MAX}, {-DBL_MAX, -DBL_MAX, -DBL_MAX}};
}

bool vp_box3_is_empty(VpBox3 b)
{
  return b.min.x > b.max.x || b.min.y > b.max.y || b.min.z > b.max.z;
}

/* Plain comparisons rather than fmin/fmax, which are library calls here and
 * this runs once per vertex; a NaN coordinate compares false and is ignored. */
static double min_of(double a, double b)
{
  return b < a ? b : a;
}

static double max_of(double a, double b)
{
  return b > a ? b : a;
}

VpBox3 vp_box3_extend(VpBox3 b, VpVec3 p)
{
  b.min = vp_vec3(min_of(b.min.x, p.x), min_of(b.min.y, p.y), min_of(b.min.z, p.z));
  b.max = vp_vec3(max_of(b.max.x, p.x), max_of(b.max.y, p.y), max_of(b.max.z, p.z));
  return b;
}

VpVec3 vp_box3_center(VpBox3 b)
{
  if (vp_box3_is_empty(b))
    return vp_vec3(0.0, 0.0, 0.0);
  return vp_vec3_lerp(b.min, b.max, 0.5);
}

VpVec3 vp_box3_size(VpBox3 b)
{
  if (vp_box3_is_empty(b))
    return vp_vec3(0.0, 0.0, 0.0);
  return vp_vec3_sub(b.max, b.min);
}
