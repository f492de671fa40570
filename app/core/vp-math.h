/* Small linear algebra for planning geometry: 3-vectors, 3x3 and 4x4 matrices
 * and unit quaternions, in double precision. Matrices are row-major and act
 * on column vectors (p' = M p). Angles are in radians unless a name says _deg. */
#pragma once

#include <stdbool.h>

typedef struct VpVec3 {
  double x, y, z;
} VpVec3;

typedef struct VpVec4 {
  double x, y, z, w;
} VpVec4;

typedef struct VpMat3 {
  double m[3][3]; /* m[row][column] */
} VpMat3;

typedef struct VpMat4 {
  double m[4][4]; /* m[row][column] */
} VpMat4;

typedef struct VpQuat {
  double w, x, y, z;
} VpQuat;

/* Axis-aligned box; empty when min > max on any axis. */
typedef struct VpBox3 {
  VpVec3 min, max;
} VpBox3;

#define VP_PI 3.14159265358979323846

static inline double vp_deg_to_rad(double deg) { return deg * (VP_PI / 180.0); }
static inline double vp_rad_to_deg(double rad) { return rad * (180.0 / VP_PI); }

static inline VpVec3 vp_vec3(double x, double y, double z) { return (VpVec3){x, y, z}; }
static inline VpVec3 vp_vec3_add(VpVec3 a, VpVec3 b) { return (VpVec3){a.x + b.x, a.y + b.y, a.z + b.z}; }
static inline VpVec3 vp_vec3_sub(VpVec3 a, VpVec3 b) { return (VpVec3){a.x - b.x, a.y - b.y, a.z - b.z}; }
static inline VpVec3 vp_vec3_scale(VpVec3 a, double s) { return (VpVec3){a.x * s, a.y * s, a.z * s}; }
static inline VpVec3 vp_vec3_neg(VpVec3 a) { return (VpVec3){-a.x, -a.y, -a.z}; }
static inline double vp_vec3_dot(VpVec3 a, VpVec3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
static inline VpVec3 vp_vec3_cross(VpVec3 a, VpVec3 b)
{
  return (VpVec3){a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}
/* a + (b - a) * t */
static inline VpVec3 vp_vec3_lerp(VpVec3 a, VpVec3 b, double t)
{
  return (VpVec3){a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t, a.z + (b.z - a.z) * t};
}

double vp_vec3_length(VpVec3 a);
double vp_vec3_distance(VpVec3 a, VpVec3 b);
/* Unit vector along a; the zero vector stays zero. */
VpVec3 vp_vec3_normalize(VpVec3 a);
/* Angle between two non-zero vectors, in [0, pi]. */
double vp_vec3_angle(VpVec3 a, VpVec3 b);
bool vp_vec3_is_finite(VpVec3 a);

VpMat3 vp_mat3_identity(void);
VpMat3 vp_mat3_mul(VpMat3 a, VpMat3 b);
VpVec3 vp_mat3_mul_vec3(VpMat3 m, VpVec3 v);
VpMat3 vp_mat3_transpose(VpMat3 m);
double vp_mat3_determinant(VpMat3 m);
/* Returns false (and leaves *out untouched) when m is singular. */
bool vp_mat3_inverse(VpMat3 m, VpMat3 *out);
/* Rotation by angle (right-handed) about a non-zero axis. */
VpMat3 vp_mat3_rotation(VpVec3 axis, double angle);
/* Matrix whose columns are c0, c1, c2. */
VpMat3 vp_mat3_from_columns(VpVec3 c0, VpVec3 c1, VpVec3 c2);

VpMat4 vp_mat4_identity(void);
VpMat4 vp_mat4_mul(VpMat4 a, VpMat4 b);
VpVec4 vp_mat4_mul_vec4(VpMat4 m, VpVec4 v);
/* M (p, 1) with the homogeneous divide. */
VpVec3 vp_mat4_transform_point(VpMat4 m, VpVec3 p);
/* The 3x3 part applied to a direction (no translation). */
VpVec3 vp_mat4_transform_dir(VpMat4 m, VpVec3 d);
VpMat4 vp_mat4_translation(VpVec3 t);
VpMat4 vp_mat4_scaling(VpVec3 s);
VpMat4 vp_mat4_from_mat3(VpMat3 r, VpVec3 t);
VpMat4 vp_mat4_transpose(VpMat4 m);
bool vp_mat4_inverse(VpMat4 m, VpMat4 *out);
/* World-to-camera matrix: camera at eye looking at target, camera +y towards
 * up, looking down its -z axis (OpenGL convention). */
VpMat4 vp_mat4_look_at(VpVec3 eye, VpVec3 target, VpVec3 up);
/* OpenGL-style clip matrices: visible depth maps to NDC z in [-1, 1]. */
VpMat4 vp_mat4_perspective(double fov_y, double aspect, double z_near, double z_far);
VpMat4 vp_mat4_orthographic(double left, double right, double bottom, double top, double z_near,
                            double z_far);

VpQuat vp_quat_identity(void);
VpQuat vp_quat_from_axis_angle(VpVec3 axis, double angle);
/* Rotation taking the identity frame to the frame with these orthonormal columns. */
VpQuat vp_quat_from_mat3(VpMat3 r);
VpQuat vp_quat_mul(VpQuat a, VpQuat b);
VpQuat vp_quat_normalize(VpQuat q);
VpQuat vp_quat_conjugate(VpQuat q);
VpVec3 vp_quat_rotate(VpQuat q, VpVec3 v);
VpMat3 vp_quat_to_mat3(VpQuat q);
/* Shortest-path spherical interpolation. */
VpQuat vp_quat_slerp(VpQuat a, VpQuat b, double t);

VpBox3 vp_box3_empty(void);
bool vp_box3_is_empty(VpBox3 b);
VpBox3 vp_box3_extend(VpBox3 b, VpVec3 p);
VpVec3 vp_box3_center(VpBox3 b);
VpVec3 vp_box3_size(VpBox3 b);
