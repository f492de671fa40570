/* The checks and repairs every loaded mesh goes through: welding, degenerate
 * triangles, orientation, and a report of holes, parts and units. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vp-error.h"
#include "vp-mesh.h"

/* Below this largest bounding-box extent a vertebra (25-100 mm) must have
 * been stored in metres. */
#define VP_MESH_METRES_MAX_EXTENT 0.5

typedef struct VpMeshRepairReport {
  /* what was changed */
  uint32_t welded_vertices;         /* used vertices merged into another at the same position */
  uint32_t dropped_unused_vertices; /* vertices no triangle refers to */
  uint32_t dropped_degenerate;      /* triangles with a repeated corner or zero area */
  uint32_t flipped_triangles;       /* turned to agree with their edge neighbours */
  bool inverted_fixed;              /* a closed part was inside out and was turned outward */
  /* what is left for the user to judge */
  uint32_t components;        /* separate parts (vertex-connected) */
  uint32_t boundary_edges;    /* edges of one triangle only */
  uint32_t holes;             /* connected loops of boundary edges */
  uint32_t nonmanifold_edges; /* edges of three or more triangles */
  uint32_t misoriented_edges; /* edges no orientation could make consistent (Moebius-like) */
  bool looks_like_metres;     /* largest extent below VP_MESH_METRES_MAX_EXTENT */
  double suggested_scale;     /* 1000 when in metres, else 1 */
} VpMeshRepairReport;

/* Welds vertices with bitwise-equal positions, drops unused vertices and
 * degenerate triangles, orients each edge-connected patch consistently and
 * turns closed patches with negative volume outward, then fills report
 * (which may be NULL). On success *mesh_inout is replaced by the repaired mesh
 * (normals recomputed) and the old one is freed; on failure it is untouched.
 * Fails on out-of-range indices, non-finite positions, out of memory, and when
 * no triangle is left. */
bool vp_mesh_repair(VpMesh **mesh_inout, VpMeshRepairReport *report, VpError *err);

/* Multiplies every position by factor (e.g. report.suggested_scale); normals
 * are unchanged. Fails, changing nothing, when factor is not a positive
 * finite number or a coordinate would leave the float range. */
bool vp_mesh_scale(VpMesh *mesh, double factor, VpError *err);

/* One translated line of warnings for the user, e.g. "2 holes (37 open
 * edges); 3 separate parts; the model looks like it is in metres: scale by
 * 1,000?", followed by what was repaired ("; repaired: 12 duplicate vertices
 * merged, ..."). Empty when there is nothing to say. Returns buf. */
char *vp_mesh_repair_summary(const VpMeshRepairReport *report, char *buf, size_t size);
