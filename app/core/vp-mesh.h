/* Indexed triangle meshes in millimetres (world RAS+), their loading and
 * their measures. Positions are float; indices are 32-bit because vertebra
 * meshes exceed 65,535 vertices. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vp-error.h"
#include "vp-math.h"

/* Largest mesh any loader accepts; checked before allocating. */
#define VP_MESH_MAX_TRIANGLES 50000000u

typedef struct VpMesh {
  float *positions;  /* vertex_count * 3, mm */
  float *normals;    /* vertex_count * 3, unit length; from vp_mesh_compute_normals() */
  uint32_t *indices; /* triangle_count * 3, counter-clockwise seen from outside */
  uint32_t vertex_count;
  uint32_t triangle_count;
} VpMesh;

/* Allocates a mesh with zeroed arrays of the given sizes (normals included).
 * Returns NULL with err filled when the sizes exceed the limit or memory runs out. */
VpMesh *vp_mesh_new(uint32_t vertex_count, uint32_t triangle_count, VpError *err);
void vp_mesh_free(VpMesh *mesh);
/* Deep copy. */
VpMesh *vp_mesh_clone(const VpMesh *mesh, VpError *err);

/* Area-weighted vertex normals. Vertices of no triangle get (0, 0, 1). */
void vp_mesh_compute_normals(VpMesh *mesh);

/* Builds an indexed mesh from a triangle soup (9 floats per triangle) by
 * merging vertices with bitwise-equal positions (+0 and -0 are equal).
 * Triangles that collapse (two corners on one vertex) are dropped and counted
 * in *dropped_degenerate (may be NULL). Normals are computed. */
VpMesh *vp_mesh_weld_soup(const float *soup, uint32_t triangle_count, uint32_t *dropped_degenerate,
                          VpError *err);

/* ---- STL ---- */

typedef struct VpStlInfo {
  bool binary;              /* binary encoding (else ASCII) */
  bool solid_header_binary; /* binary file whose 80-byte header starts with "solid" */
  uint32_t file_triangles;  /* triangles as stored in the file */
  uint32_t dropped_degenerate;
  char name[81];            /* header text (binary) or solid name (ASCII) */
} VpStlInfo;

/* Reads STL from memory, binary or ASCII, welding vertices. info may be NULL. */
VpMesh *vp_mesh_read_stl(const void *data, size_t size, VpStlInfo *info, VpError *err);
VpMesh *vp_mesh_load_stl(const char *path, VpStlInfo *info, VpError *err);
/* Writes binary STL atomically (temporary file, then rename). */
bool vp_mesh_save_stl(const VpMesh *mesh, const char *path, VpError *err);

/* ---- OBJ ----
 * `v` and `f` lines; face corners as v, v/vt, v//vn or v/vt/vn, negative
 * (relative) indices, polygons fan-triangulated. Texture coordinates, normals,
 * materials, groups and lines are ignored. Vertices are taken as indexed in
 * the file (no welding; see vp_mesh_repair()). Numbers are read the same in
 * every locale. Errors name the line. Normals are computed. */
VpMesh *vp_mesh_read_obj(const void *data, size_t size, VpError *err);
VpMesh *vp_mesh_load_obj(const char *path, VpError *err);

/* ---- PLY ----
 * Format 1.0 in ascii, binary_little_endian or binary_big_endian. The vertex
 * element needs x, y and z (any scalar type, any position among other
 * properties); the face element a list named vertex_indices or vertex_index
 * with integer count and index types. Other elements and properties are
 * skipped. Polygons are fan-triangulated. Normals are computed. */
VpMesh *vp_mesh_read_ply(const void *data, size_t size, VpError *err);
VpMesh *vp_mesh_load_ply(const char *path, VpError *err);

/* Largest file the mesh loaders read into memory; checked before allocating. */
#define VP_MESH_MAX_FILE_BYTES ((size_t)1 << 31)

/* Loads any supported mesh format (STL, OBJ, PLY), chosen by content, then
 * by extension. The mesh is as the file has it: see vp_mesh_repair(). */
VpMesh *vp_mesh_load(const char *path, VpError *err);

/* ---- Measures ---- */

VpBox3 vp_mesh_bounds(const VpMesh *mesh);
double vp_mesh_surface_area_mm2(const VpMesh *mesh);
/* Sum of signed tetrahedra against the origin: positive for a closed mesh with
 * outward-facing triangles. */
double vp_mesh_signed_volume_mm3(const VpMesh *mesh);

/* Number of vertex-connected components that hold at least one triangle.
 * component_of_vertex (vertex_count entries) may be NULL; vertices of no
 * triangle get UINT32_MAX. Returns 0 on allocation failure with err set. */
uint32_t vp_mesh_components(const VpMesh *mesh, uint32_t *component_of_vertex, VpError *err);

typedef struct VpEdgeReport {
  uint32_t edges;              /* distinct undirected edges */
  uint32_t boundary_edges;     /* used by one triangle */
  uint32_t nonmanifold_edges;  /* used by three or more */
  uint32_t misoriented_edges;  /* used twice in the same direction */
  bool watertight;             /* every edge used exactly twice, in opposite directions */
} VpEdgeReport;

bool vp_mesh_check_edges(const VpMesh *mesh, VpEdgeReport *out, VpError *err);

/* Everything `inspect` reports about a mesh. */
typedef struct VpMeshStats {
  uint32_t triangles;
  uint32_t vertices;
  VpBox3 bounds;              /* mm */
  double surface_area_mm2;
  double volume_ml;           /* |signed volume| / 1000 */
  bool outward;               /* signed volume positive */
  uint32_t components;
  VpEdgeReport edges;
} VpMeshStats;

bool vp_mesh_measure(const VpMesh *mesh, VpMeshStats *out, VpError *err);
