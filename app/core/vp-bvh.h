/* Spatial queries over the triangles of a mesh: a bounding volume hierarchy
 * for ray hits, closest points, segment clearance (needles) and inside tests,
 * plus the watertight ray-triangle test they share with the voxelizer. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vp-error.h"
#include "vp-math.h"
#include "vp-mesh.h"

/* ---- Rays and the watertight ray-triangle test ---- */

/* A ray prepared for the watertight test of Woop, Benthin and Wald (JCGT 2013):
 * corners are sheared so the ray becomes the +z axis, and the 2D edge functions
 * of a shared edge are then exact negatives of each other in both triangles.
 * A tie-breaking rule (the rasterizer's top-left rule) gives a ray through an
 * edge or a vertex to exactly one triangle of a closed surface, so crossing
 * counts stay right where naive tests count zero or two. */
typedef struct VpRay {
  VpVec3 origin;
  VpVec3 direction; /* need not be unit length; t is measured in its lengths */
  int kx, ky, kz;   /* axis permutation: kz is the dominant direction axis */
  double shear_x, shear_y, shear_z;
} VpRay;

/* Prepares a ray. Returns false for a zero or non-finite direction or a
 * non-finite origin (such a ray hits nothing). */
bool vp_ray_init(VpRay *ray, VpVec3 origin, VpVec3 direction);

typedef struct VpRayHit {
  uint32_t triangle; /* index into the mesh's triangles */
  double t;          /* point = origin + t * direction */
  double u, v;       /* barycentrics: point = (1 - u - v) a + u b + v c */
  VpVec3 point;      /* mm */
  bool front_face;   /* the ray enters through the counter-clockwise side (from outside) */
} VpRayHit;

/* Intersects a prepared ray with triangle abc for t in [t_min, t_max].
 * Triangles seen edge-on (no area across the ray) are never hit. Fills hit
 * (its triangle field is left alone) and returns true on a hit. */
bool vp_ray_intersect_triangle(const VpRay *ray, VpVec3 a, VpVec3 b, VpVec3 c, double t_min,
                               double t_max, VpRayHit *hit);

/* Closest point of triangle abc to p (Ericson, Real-Time Collision Detection
 * 5.1.5); u and v (either may be NULL) receive its barycentrics as in
 * VpRayHit. Triangles without area are handled through their edges. */
VpVec3 vp_triangle_closest_point(VpVec3 p, VpVec3 a, VpVec3 b, VpVec3 c, double *u, double *v);

/* ---- The hierarchy ---- */

/* One node, 32 bytes. Inner nodes have count 0 and their children at first and
 * first + 1; leaves hold count triangles from first in VpBvh.triangles. */
typedef struct VpBvhNode {
  float min[3], max[3];
  uint32_t first;
  uint32_t count;
} VpBvhNode;

typedef struct VpBvh {
  /* Borrowed: the mesh must outlive the BVH and keep its triangles while the
   * BVH is in use, because every result names a triangle of this mesh. The
   * BVH copies the corners in leaf order for speed, so edits of the mesh after
   * vp_bvh_build() are not seen: rebuild after editing. */
  const VpMesh *mesh;
  VpBvhNode *nodes; /* nodes[0] is the root */
  uint32_t node_count;
  uint32_t *triangles; /* mesh triangle index of each leaf slot */
  float *corners;      /* 9 floats per leaf slot: the three corners, mm */
  uint32_t triangle_count;
  uint32_t depth; /* longest root-to-leaf path, in nodes */
} VpBvh;

/* Builds a BVH with binned surface-area-heuristic splits. Returns NULL with
 * err filled for a mesh without triangles, an index out of range, a corner
 * that is not finite, or when memory runs out. Free with vp_bvh_free(). */
VpBvh *vp_bvh_build(const VpMesh *mesh, VpError *err);
void vp_bvh_free(VpBvh *bvh);

/* Nearest hit of the ray with t in [t_min, t_max]. Returns false on a miss and
 * for an invalid ray (zero or non-finite direction, non-finite origin). */
bool vp_bvh_raycast(const VpBvh *bvh, VpVec3 origin, VpVec3 direction, double t_min, double t_max,
                    VpRayHit *hit);

/* A growable array of hits owned by the caller: start from {0} (or
 * vp_ray_hits_init), reuse it across queries so a hot loop stops allocating
 * once it is large enough, and release it with vp_ray_hits_clear(). */
typedef struct VpRayHits {
  VpRayHit *hits;
  size_t count;
  size_t capacity;
} VpRayHits;

void vp_ray_hits_init(VpRayHits *hits);
void vp_ray_hits_clear(VpRayHits *hits);

/* Every crossing of the ray with t in [t_min, t_max], sorted by t, replacing
 * the contents of out. A ray through a shared edge or vertex of a closed mesh
 * gives one hit there, not two. Returns false with err filled only when out
 * cannot grow; an invalid ray gives zero hits. */
bool vp_bvh_raycast_all(const VpBvh *bvh, VpVec3 origin, VpVec3 direction, double t_min,
                        double t_max, VpRayHits *out, VpError *err);

typedef struct VpClosestPoint {
  uint32_t triangle;  /* index into the mesh's triangles */
  VpVec3 point;       /* closest point on the surface, mm */
  double u, v;        /* barycentrics of point in that triangle, as in VpRayHit */
  double distance_mm; /* from the query to point */
} VpClosestPoint;

/* Closest point of the surface to p. Only points nearer than max_distance_mm
 * are looked for (pass INFINITY for no limit; a limit makes the query faster).
 * Returns false when there is none that near or p is not finite. */
bool vp_bvh_closest_point(const VpBvh *bvh, VpVec3 p, double max_distance_mm, VpClosestPoint *out);

typedef struct VpSegmentDistance {
  uint32_t triangle;    /* index into the mesh's triangles */
  double distance_mm;   /* 0 when the segment crosses or touches the surface */
  double s;             /* parameter of the nearest point of the segment: a + s (b - a) */
  VpVec3 segment_point; /* nearest point of the segment, mm */
  VpVec3 surface_point; /* nearest point of the surface, mm */
} VpSegmentDistance;

/* Shortest distance between the segment ab and the surface: a needle of radius
 * r along ab clears the surface by distance_mm - r. When the segment crosses
 * the surface the distance is 0 and s names one crossing, not necessarily
 * the first (vp_bvh_raycast finds that). Only distances below max_distance_mm
 * are looked for (INFINITY for no limit). Returns false when nothing is that
 * near or a or b is not finite. */
bool vp_bvh_segment_distance(const VpBvh *bvh, VpVec3 a, VpVec3 b, double max_distance_mm,
                             VpSegmentDistance *out);

/* Whether p lies inside the closed surface. Counts crossings of three
 * axis-parallel rays from p with the watertight test and takes the majority,
 * so rays along edges, through vertices or along faces give the right answer
 * for a watertight mesh, and a small hole misleads at most one ray. Points on
 * the surface may go either way; a non-finite p is outside. */
bool vp_bvh_contains(const VpBvh *bvh, VpVec3 p);
