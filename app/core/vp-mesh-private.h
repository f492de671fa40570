/* Mesh internals shared by the core's loaders; not part of the public API. */
#pragma once

#include "vp-mesh.h"

/* vp_mesh_weld_soup() for triangles stored `stride` bytes apart, each as nine
 * native-order floats (three corners) starting at first_corner, so a loader
 * can weld straight out of a file buffer without copying it into a soup. */
VpMesh *vp_mesh_weld_strided(const void *first_corner, size_t stride, uint32_t triangle_count,
                             uint32_t *dropped_degenerate, VpError *err);

/* True when the start of a file (head_size bytes of it) and its size say
 * STL: text beginning with "solid", or a binary size matching its count. */
bool vp_mesh_stl_sniff(const void *head, size_t head_size, unsigned long long file_size);
