/* Analytic test meshes shared by the suites: a cube and an icosphere whose
 * true volume, area and distances are known. */
#pragma once

#include "vp-mesh.h"

/* Cube [-h, h]^3 as 12 outward triangles. Corner v has bit 0, 1, 2 set for
 * +x, +y, +z. Every face is split along a diagonal through its centre, so rays
 * from the centre along an axis cross the surface exactly on a shared edge. */
VpMesh *vp_test_cube_new(double h);

/* Icosahedron subdivided `levels` times (20 * 4^levels triangles), corners on
 * the sphere of radius r, welded and outward. */
VpMesh *vp_test_icosphere_new(double r, int levels);
