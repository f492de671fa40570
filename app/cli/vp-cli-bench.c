/* `bench`: measures the speed of the core and the renderer on this machine and
 * prints each figure beside its target (PASS or MISS), as a table or as JSON.
 * A MISS is a figure, not a failure: the command fails only when it cannot run. */
#include <cairo.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <libintl.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "vp-anatomy.h"
#include "vp-bvh.h"
#include "vp-case.h"
#include "vp-cli-private.h"
#include "vp-drr.h"
#include "vp-mesh-repair.h"
#include "vp-mesh.h"
#include "vp-phantom.h"
#include "vp-render3d.h"
#include "vp-slice.h"
#include "vp-surface.h"
#include "vp-volume.h"
#include "vp-voxel.h"

#define _(String) gettext(String)

#define DEFAULT_RUNS 5
#define MAX_RUNS 100
#define FRAME_WIDTH 1280
#define FRAME_HEIGHT 800
#define L3_LABEL 22 /* VerSe numbering: 20..24 = L1..L5 */
#define SPHERE_RADIUS_MM 22.0
#define VIEW_SIDE_PX 512       /* slice and fluoroscopy images */
#define SLICE_SWEEP_MM 20.0    /* scrolling turns back this far from the start */
#define DRR_FOV_MM 200.0       /* before fitting the view to the CT */
#define PHANTOM_LEVEL "L3"
#define QUICK_PHANTOM_SPACING_MM 1.0 /* --quick: 8 times fewer voxels than the default 0.5 mm */

static const char *const VERSE_CT = "sub-verse005_ct.nii.gz";
static const char *const VERSE_MASK = "sub-verse005_seg-vert_msk.nii.gz";
static const char *const VERSE_L3 = "sub-verse009_L3.stl";

/* ---- sizes: a torus of segments x rings quads has 2 x segments x rings triangles ---- */

typedef struct TorusSize {
  uint32_t segments, rings;
} TorusSize;

static const TorusSize BIG_MESH = {1000, 500};   /* 1,000,000 triangles */
static const TorusSize QUICK_MESH = {250, 200};  /* 100,000 triangles */
static const TorusSize BVH_MESH = {250, 200};    /* 100,000 triangles */
static const TorusSize RENDER_MESH = {600, 250}; /* 300,000 triangles */

/* ---- state ---- */

typedef struct BenchOptions {
  bool json;
  bool quick;
  int runs;
  int threads; /* SDF and radiograph workers; 0: one per online core */
  const char *data_dir;
  unsigned only; /* one bit per case; 0 = every case */
} BenchOptions;

typedef struct Result {
  const char *name;
  const char *unit;
  double median, best; /* best is NAN for a single figure */
  double target;       /* upper limit in unit; NAN when there is none */
  int runs;
  char detail[192];
} Result;

#define MAX_RESULTS 24

typedef struct Bench {
  BenchOptions opts;
  char *tmpdir;
  char *verse_dir; /* NULL: synthetic data */
  char *stl_path, *obj_path, *ply_path, *ct_path, *mask_path;
  VpMesh *big;         /* the 1,000,000-triangle torus (100,000 with --quick) */
  VpVolume *mask;      /* for marching cubes */
  VpMesh *bvh_mesh;    /* 100,000-triangle torus */
  VpMesh *vertebra;    /* L3: the VerSe STL, or extracted from the synthetic mask */
  VpMesh *sphere;      /* SDF stand-in when there is no VerSe data */
  VpBvh *sdf_bvh;
  VpMesh *render_mesh; /* 300,000-triangle torus */
  VpRenderer *renderer;
  cairo_surface_t *frame;
  VpCamera render_cam, vertebra_cam; /* fitted once, outside the timing */
  VpVolume *view_ct;     /* CT of the slice and fluoroscopy views: VerSe, or a phantom's */
  cairo_surface_t *slice_image;
  VpSliceView slice_view;
  double slice_offset_mm, slice_direction; /* where the scrolling is, and which way */
  VpMesh *view_surface;  /* the vertebra inside view_ct, for the slice view's contour */
  VpSliceRenderer *slice_renderer;
  VpSliceScene slice_scene;
  VpDrrView drr_view;    /* set by each fluoroscopy case's setup */
  VpDrrProjection drr_projection;
  VpDrrOptions drr_options;
  VpDrrImage drr_image;  /* reused across frames, as the window reuses it */
  size_t phantom_voxels;
  uint32_t phantom_triangles;
  double phantom_spacing_mm;
  VpCase *anatomy_case;  /* L3: the VerSe 005 mask's, or the phantom's */
  double anatomy_spacing_mm;
  double anatomy_body_ml;
  bool big_files_tried, big_files_ready; /* written once; a failure is reported once */
  bool volume_files_tried, volume_files_ready;
  size_t ct_labels;
  size_t sdf_voxels;
  Result results[MAX_RESULTS];
  int result_count;
} Bench;

typedef struct BenchCase {
  const char *name;
  bool (*setup)(Bench *b, VpError *err);
  bool (*run)(Bench *b, double *seconds, VpError *err);
  void (*describe)(const Bench *b, char *buf, size_t size);
  double target_ms;     /* 0: a figure without a target yet */
  bool quick_shrinks;   /* --quick measures a smaller input, to which the target does not apply */
} BenchCase;

/* ---- small helpers ---- */

static double now_seconds(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static char *path_join(const char *dir, const char *name)
{
  size_t size = strlen(dir) + strlen(name) + 2;
  char *path = malloc(size);
  if (path)
    snprintf(path, size, "%s/%s", dir, name);
  return path;
}

static bool is_file(const char *path)
{
  struct stat st;
  return path && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static uint32_t torus_triangles(TorusSize s) { return 2 * s.segments * s.rings; }

static TorusSize big_size(const Bench *b) { return b->opts.quick ? QUICK_MESH : BIG_MESH; }

#define MAX_THREADS 64 /* as vp-voxel.h and vp-drr.h cap them */

/* Workers of the SDF and the radiographs: --threads, else one per online
 * core, as their defaults take them. */
static int bench_threads(const Bench *b)
{
  long cores = b->opts.threads > 0 ? b->opts.threads : sysconf(_SC_NPROCESSORS_ONLN);
  return cores < 1 ? 1 : cores > MAX_THREADS ? MAX_THREADS : (int)cores;
}

static bool nomem(VpError *err) { return vp_error_set(err, VP_ERR_NOMEM, _("out of memory")); }

/* ---- generated meshes ---- */

/* Vertex (i, j) of a torus with major radius 30 mm and tube radius 12 mm
 * (vertebra-sized), tilted 60 degrees so a frame shows its hole and its side. */
static void torus_vertex(VpMesh *mesh, VpMat3 tilt, TorusSize s, uint32_t i, uint32_t j)
{
  double u = 2.0 * VP_PI * i / s.segments, v = 2.0 * VP_PI * j / s.rings;
  double ring = 30.0 + 12.0 * cos(v);
  VpVec3 p = vp_mat3_mul_vec3(tilt, vp_vec3(ring * cos(u), ring * sin(u), 12.0 * sin(v)));
  float *out = mesh->positions + 3 * ((size_t)i * s.rings + j);
  out[0] = (float)p.x;
  out[1] = (float)p.y;
  out[2] = (float)p.z;
}

/* Two triangles of quad (i, j); u then v turns counter-clockwise seen from outside. */
static void torus_quad(VpMesh *mesh, TorusSize s, uint32_t i, uint32_t j)
{
  uint32_t i1 = (i + 1) % s.segments, j1 = (j + 1) % s.rings;
  uint32_t a = i * s.rings + j, b = i1 * s.rings + j, c = i1 * s.rings + j1, d = i * s.rings + j1;
  uint32_t *t = mesh->indices + 6 * ((size_t)i * s.rings + j);
  const uint32_t quad[6] = {a, b, c, a, c, d};
  memcpy(t, quad, sizeof quad);
}

/* Closed, outward-facing, and no two vertices at one position, so welding a
 * file written from it gives back the same mesh. */
static VpMesh *make_torus(TorusSize s, VpError *err)
{
  VpMesh *mesh = vp_mesh_new(s.segments * s.rings, torus_triangles(s), err);
  if (!mesh)
    return NULL;
  VpMat3 tilt = vp_mat3_rotation(vp_vec3(1, 0, 0), vp_deg_to_rad(60.0));
  for (uint32_t i = 0; i < s.segments; i++)
    for (uint32_t j = 0; j < s.rings; j++) {
      torus_vertex(mesh, tilt, s, i, j);
      torus_quad(mesh, s, i, j);
    }
  vp_mesh_compute_normals(mesh);
  return mesh;
}

static void set_triangle(uint32_t *t, uint32_t a, uint32_t b, uint32_t c)
{
  t[0] = a;
  t[1] = b;
  t[2] = c;
}

/* Vertex of ring k (1..bands-1, from the north pole) and meridian i; 0 and 1 are the poles. */
static uint32_t sphere_index(uint32_t k, uint32_t i, uint32_t meridians)
{
  return 2 + (k - 1) * meridians + i % meridians;
}

static void sphere_positions(VpMesh *mesh, uint32_t bands, uint32_t meridians, double r)
{
  const float poles[6] = {0, 0, (float)r, 0, 0, (float)-r};
  memcpy(mesh->positions, poles, sizeof poles);
  for (uint32_t k = 1; k < bands; k++)
    for (uint32_t i = 0; i < meridians; i++) {
      double theta = VP_PI * k / bands, phi = 2.0 * VP_PI * i / meridians;
      float *p = mesh->positions + 3 * sphere_index(k, i, meridians);
      p[0] = (float)(r * sin(theta) * cos(phi));
      p[1] = (float)(r * sin(theta) * sin(phi));
      p[2] = (float)(r * cos(theta));
    }
}

/* A latitude-longitude sphere at the origin, closed and outward-facing. */
static VpMesh *make_sphere(double radius_mm, uint32_t bands, uint32_t meridians, VpError *err)
{
  VpMesh *mesh = vp_mesh_new(2 + (bands - 1) * meridians, 2 * meridians * (bands - 1), err);
  if (!mesh)
    return NULL;
  sphere_positions(mesh, bands, meridians, radius_mm);
  uint32_t *t = mesh->indices;
  for (uint32_t i = 0; i < meridians; i++, t += 6) {
    set_triangle(t, 0, sphere_index(1, i, meridians), sphere_index(1, i + 1, meridians));
    set_triangle(t + 3, 1, sphere_index(bands - 1, i + 1, meridians),
                 sphere_index(bands - 1, i, meridians));
  }
  for (uint32_t k = 1; k + 1 < bands; k++)
    for (uint32_t i = 0; i < meridians; i++, t += 6) {
      uint32_t a = sphere_index(k, i, meridians), b = sphere_index(k + 1, i, meridians);
      uint32_t c = sphere_index(k + 1, i + 1, meridians), d = sphere_index(k, i + 1, meridians);
      set_triangle(t, a, b, c);
      set_triangle(t + 3, a, c, d);
    }
  vp_mesh_compute_normals(mesh);
  return mesh;
}

/* ---- writing OBJ and binary PLY (the loaders under test read them back) ---- */

static bool close_written(FILE *f, const char *path, bool ok, VpError *err)
{
  int saved = errno;
  if (fclose(f) != 0 || !ok)
    return vp_error_set(err, VP_ERR_IO, _("could not write %s: %s"), path,
                        strerror(ok ? errno : saved));
  return true;
}

static bool obj_lines(FILE *f, const VpMesh *mesh)
{
  for (uint32_t v = 0; v < mesh->vertex_count; v++) {
    const float *p = mesh->positions + 3 * (size_t)v;
    if (fprintf(f, "v %.9g %.9g %.9g\n", p[0], p[1], p[2]) < 0)
      return false;
  }
  for (uint32_t t = 0; t < mesh->triangle_count; t++) {
    const uint32_t *i = mesh->indices + 3 * (size_t)t;
    if (fprintf(f, "f %u %u %u\n", i[0] + 1, i[1] + 1, i[2] + 1) < 0)
      return false;
  }
  return true;
}

/* Numbers in OBJ files always use a decimal point, whatever the user's locale. */
static bool write_obj(const VpMesh *mesh, const char *path, VpError *err)
{
  FILE *f = fopen(path, "w");
  if (!f)
    return vp_error_set(err, VP_ERR_IO, _("could not create %s: %s"), path, strerror(errno));
  locale_t c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
  locale_t old = c_locale ? uselocale(c_locale) : (locale_t)0;
  fprintf(f, "# Vertebra Planner benchmark mesh\n");
  bool ok = c_locale && obj_lines(f, mesh);
  if (c_locale) {
    uselocale(old);
    freelocale(c_locale);
  }
  return close_written(f, path, ok, err);
}

static unsigned char *put_u32le(unsigned char *p, uint32_t v)
{
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v >> 8);
  p[2] = (unsigned char)(v >> 16);
  p[3] = (unsigned char)(v >> 24);
  return p + 4;
}

static unsigned char *put_f32le(unsigned char *p, float f)
{
  uint32_t bits;
  memcpy(&bits, &f, sizeof bits);
  return put_u32le(p, bits);
}

/* Vertices (3 floats) then faces (a uchar count of 3 and 3 ints), little-endian. */
static unsigned char *ply_body(const VpMesh *mesh, size_t *size)
{
  *size = (size_t)mesh->vertex_count * 12 + (size_t)mesh->triangle_count * 13;
  unsigned char *body = malloc(*size), *p = body;
  if (!body)
    return NULL;
  for (size_t i = 0; i < 3 * (size_t)mesh->vertex_count; i++)
    p = put_f32le(p, mesh->positions[i]);
  for (size_t t = 0; t < mesh->triangle_count; t++) {
    *p++ = 3;
    for (int c = 0; c < 3; c++)
      p = put_u32le(p, mesh->indices[3 * t + (size_t)c]);
  }
  return body;
}

static bool write_ply(const VpMesh *mesh, const char *path, VpError *err)
{
  size_t size;
  unsigned char *body = ply_body(mesh, &size);
  if (!body)
    return nomem(err);
  FILE *f = fopen(path, "wb");
  if (!f) {
    free(body);
    return vp_error_set(err, VP_ERR_IO, _("could not create %s: %s"), path, strerror(errno));
  }
  fprintf(f,
          "ply\nformat binary_little_endian 1.0\ncomment Vertebra Planner benchmark mesh\n"
          "element vertex %u\nproperty float x\nproperty float y\nproperty float z\n"
          "element face %u\nproperty list uchar int vertex_indices\nend_header\n",
          mesh->vertex_count, mesh->triangle_count);
  bool ok = fwrite(body, 1, size, f) == size;
  free(body);
  return close_written(f, path, ok, err);
}

/* ---- a synthetic spine, when the VerSe data is absent ---- */

/* Five lumbar-sized vertebrae 34 mm apart along z, labelled 20..24 (L1..L5)
 * from the top: an ellipsoidal body, a ring round the spinal canal and a
 * spinous process, about 36 mL each (VerSe lumbar vertebrae: 45-68 mL). */
static int synthetic_label(double x, double y, double z)
{
  for (int n = 0; n < 5; n++) {
    double dz = z - (68.0 - 34.0 * n);
    double body = (x / 24) * (x / 24) + (y / 18) * (y / 18) + (dz / 13) * (dz / 13);
    double ring = hypot(hypot(x, y + 30.0) - 13.0, dz);
    bool spinous = fabs(x) <= 4.0 && y <= -42.0 && y >= -62.0 && fabs(dz) <= 9.0;
    if (body <= 1.0 || ring <= 6.0 || spinous)
      return 20 + n;
  }
  return 0;
}

/* 1 mm voxels over x -40..40, y -70..30, z -85..85 mm (RAS+). */
static bool synthetic_volumes(VpVolume **ct, VpVolume **mask, VpError *err)
{
  const int dims[3] = {81, 101, 171};
  VpMat4 affine = vp_mat4_translation(vp_vec3(-40.0, -70.0, -85.0));
  *ct = vp_volume_new(dims, VP_VOXEL_I16, &affine, NULL, err);
  *mask = *ct ? vp_volume_new(dims, VP_VOXEL_U8, &affine, NULL, err) : NULL;
  if (!*mask)
    return false;
  for (int k = 0; k < dims[2]; k++)
    for (int j = 0; j < dims[1]; j++)
      for (int i = 0; i < dims[0]; i++) {
        VpVec3 p = vp_volume_voxel_to_world(*ct, vp_vec3(i, j, k));
        int label = synthetic_label(p.x, p.y, p.z);
        vp_volume_set_value(*mask, i, j, k, label);
        vp_volume_set_value(*ct, i, j, k, label ? 450.0 : 40.0); /* bone, soft tissue (HU) */
      }
  return true;
}

static bool write_synthetic_volumes(Bench *b, VpError *err)
{
  VpVolume *ct = NULL, *mask = NULL;
  b->ct_path = path_join(b->tmpdir, "synthetic_ct.nii.gz");
  b->mask_path = path_join(b->tmpdir, "synthetic_msk.nii.gz");
  bool ok = b->ct_path && b->mask_path ? synthetic_volumes(&ct, &mask, err) : nomem(err);
  ok = ok && vp_volume_save_nifti(ct, b->ct_path, err) &&
       vp_volume_save_nifti(mask, b->mask_path, err);
  vp_volume_free(ct);
  vp_volume_free(mask);
  return ok;
}

/* ---- where the VerSe data is ---- */

static bool has_verse_files(const char *dir)
{
  const char *const names[] = {VERSE_CT, VERSE_MASK, VERSE_L3};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    char *path = path_join(dir, names[i]);
    bool found = is_file(path);
    free(path);
    if (!found)
      return false;
  }
  return true;
}

/* Drops "." and "name/.." segments in place, so the folder shown to the user
 * reads plainly (realpath() is not in the POSIX subset the project builds with). */
static void normalize_path(char *path)
{
  char *copy = strdup(path);
  const char **kept = calloc(strlen(path) / 2 + 2, sizeof *kept);
  if (!copy || !kept) {
    free(copy);
    free(kept);
    return;
  }
  size_t count = 0;
  char *save = NULL;
  for (char *seg = strtok_r(copy, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
    if (strcmp(seg, "..") == 0 && count > 0 && strcmp(kept[count - 1], "..") != 0)
      count--;
    else if (strcmp(seg, ".") != 0)
      kept[count++] = seg;
  }
  char *out = path + (path[0] == '/');
  *out = '\0';
  for (size_t i = 0; i < count; i++)
    out += sprintf(out, "%s%s", i ? "/" : "", kept[i]);
  if (path[0] == '\0')
    snprintf(path, 2, ".");
  free(kept);
  free(copy);
}

/* DIR may be the VerSe folder itself or a shared folder holding data/verse. */
static char *verse_dir_in(const char *dir)
{
  char *path = path_join(dir, "data/verse");
  if (path && !has_verse_files(path))
    snprintf(path, strlen(path) + 1, "%s", dir);
  if (!path || !has_verse_files(path)) {
    free(path);
    return NULL;
  }
  normalize_path(path);
  return path;
}

static void strip_components(char *path, int count)
{
  for (int i = 0; i < count; i++) {
    char *slash = strrchr(path, '/');
    if (!slash)
      return;
    *slash = '\0';
  }
}

/* The default shared folder sits beside the source tree. Meson compiles with
 * source paths relative to the build root, two levels above this executable
 * (BUILD/app/cli/); an installed copy finds nothing there and uses synthetic data. */
static char *source_shared_dir(void)
{
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0)
    return NULL;
  exe[n] = '\0';
  strip_components(exe, 3);
  char *source = __FILE__[0] == '/' ? strdup(__FILE__) : path_join(exe, __FILE__);
  if (!source)
    return NULL;
  strip_components(source, 3); /* app/cli/vp-cli-bench.c */
  char *shared = path_join(source, "../shared");
  free(source);
  return shared;
}

static char *find_verse_dir(void)
{
  const char *env = getenv("VP_SHARED_DIR");
  if (env && *env)
    return verse_dir_in(env);
  char *shared = source_shared_dir();
  char *found = shared ? verse_dir_in(shared) : NULL;
  free(shared);
  return found;
}

/* ---- setup: each step runs once, only for the cases that need it ---- */

static bool need_tmpdir(Bench *b, VpError *err)
{
  if (b->tmpdir)
    return true;
  const char *base = getenv("TMPDIR");
  base = base && *base ? base : "/tmp";
  char *template = path_join(base, "vp-bench-XXXXXX");
  if (!template)
    return nomem(err);
  if (!mkdtemp(template)) {
    vp_error_set(err, VP_ERR_IO, _("could not create a temporary folder in %s: %s"), base,
                 strerror(errno));
    free(template);
    return false;
  }
  b->tmpdir = template;
  return true;
}

static bool need_big_mesh(Bench *b, VpError *err)
{
  if (!b->big)
    b->big = make_torus(big_size(b), err);
  return b->big != NULL;
}

static bool earlier_failure(VpError *err)
{
  return vp_error_set(err, VP_ERR_IO, _("its input could not be prepared (see above)"));
}

static bool need_big_files(Bench *b, VpError *err)
{
  if (b->big_files_tried)
    return b->big_files_ready || earlier_failure(err);
  b->big_files_tried = true;
  if (!need_tmpdir(b, err) || !need_big_mesh(b, err))
    return false;
  char *stl = path_join(b->tmpdir, "torus.stl"), *obj = path_join(b->tmpdir, "torus.obj");
  char *ply = path_join(b->tmpdir, "torus.ply");
  bool ok = stl && obj && ply ? true : nomem(err);
  ok = ok && vp_mesh_save_stl(b->big, stl, err) && write_obj(b->big, obj, err) &&
       write_ply(b->big, ply, err);
  b->stl_path = stl; /* kept even on failure, so cleanup removes what was written */
  b->obj_path = obj;
  b->ply_path = ply;
  b->big_files_ready = ok;
  return ok;
}

static bool need_volume_files(Bench *b, VpError *err)
{
  if (b->volume_files_tried)
    return b->volume_files_ready || earlier_failure(err);
  b->volume_files_tried = true;
  if (b->verse_dir) {
    b->ct_path = path_join(b->verse_dir, VERSE_CT);
    b->mask_path = path_join(b->verse_dir, VERSE_MASK);
    b->volume_files_ready = b->ct_path && b->mask_path ? true : nomem(err);
  } else {
    b->volume_files_ready = need_tmpdir(b, err) && write_synthetic_volumes(b, err);
  }
  return b->volume_files_ready;
}

static bool need_mask(Bench *b, VpError *err)
{
  if (!b->mask && need_volume_files(b, err))
    b->mask = vp_volume_load_nifti(b->mask_path, NULL, NULL, err);
  return b->mask != NULL;
}

static bool need_vertebra(Bench *b, VpError *err)
{
  if (b->vertebra)
    return true;
  if (b->verse_dir) {
    char *path = path_join(b->verse_dir, VERSE_L3);
    b->vertebra = path ? vp_mesh_load_stl(path, NULL, err) : NULL;
    free(path);
  } else if (need_mask(b, err)) {
    b->vertebra = vp_volume_extract_label_surface(b->mask, L3_LABEL, NULL, err);
  }
  return b->vertebra != NULL;
}

static bool need_bvh_mesh(Bench *b, VpError *err)
{
  if (!b->bvh_mesh)
    b->bvh_mesh = make_torus(BVH_MESH, err);
  return b->bvh_mesh != NULL;
}

/* The SDF is measured on the L3 vertebra, or on a sphere of vertebral-body
 * size when the VerSe data is absent. */
static bool need_sdf_bvh(Bench *b, VpError *err)
{
  if (b->sdf_bvh)
    return true;
  if (b->verse_dir ? !need_vertebra(b, err)
                   : !(b->sphere = make_sphere(SPHERE_RADIUS_MM, 64, 128, err)))
    return false;
  b->sdf_bvh = vp_bvh_build(b->verse_dir ? b->vertebra : b->sphere, err);
  return b->sdf_bvh != NULL;
}

static bool need_renderer(Bench *b, VpError *err)
{
  if (b->renderer)
    return true;
  b->frame = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, FRAME_WIDTH, FRAME_HEIGHT);
  b->renderer = vp_renderer_new();
  if (cairo_surface_status(b->frame) != CAIRO_STATUS_SUCCESS || !b->renderer)
    return nomem(err);
  return true;
}

/* The default phantom of the level; --quick samples it at 1 mm. */
static VpPhantom *make_phantom(const Bench *b, VpError *err)
{
  VpPhantomParams params;
  if (!vp_phantom_params_init(&params, PHANTOM_LEVEL, err))
    return NULL;
  if (b->opts.quick && !(vp_phantom_params_set(&params, "spacing_mm", QUICK_PHANTOM_SPACING_MM,
                                               err) &&
                         vp_phantom_params_set(&params, "surface_spacing_mm",
                                               QUICK_PHANTOM_SPACING_MM, err)))
    return NULL;
  return vp_phantom_generate(&params, NULL, err);
}

/* The CT the slice and fluoroscopy views show: the VerSe CT, or the L3
 * phantom's synthetic CT when the data is absent. */
static bool need_view_ct(Bench *b, VpError *err)
{
  if (b->view_ct)
    return true;
  if (b->verse_dir) {
    if (need_volume_files(b, err))
      b->view_ct = vp_volume_load_nifti(b->ct_path, NULL, NULL, err);
  } else {
    VpPhantom *ph = make_phantom(b, err);
    if (ph) {
      b->view_ct = ph->ct; /* kept; the surface, mask and part map go */
      ph->ct = NULL;
      vp_phantom_free(ph);
    }
  }
  return b->view_ct != NULL;
}

static VpViewFrame view_ct_frame(const Bench *b)
{
  return vp_view_frame_world(vp_box3_center(vp_volume_bounds_mm(b->view_ct)));
}

/* ---- the measured work: each run times only the call under test ---- */

static bool check_triangles(const VpMesh *mesh, uint32_t expected, const char *what, VpError *err)
{
  if (mesh->triangle_count == expected)
    return true;
  char a[32], b[32];
  return vp_error_set(err, VP_ERR_FORMAT, _("%s gave %s triangles instead of %s"), what,
                      vp_format_count(mesh->triangle_count, a), vp_format_count(expected, b));
}

typedef VpMesh *(*MeshLoader)(const char *path, VpError *err);

static VpMesh *load_stl(const char *path, VpError *err)
{
  return vp_mesh_load_stl(path, NULL, err);
}

static bool time_load(const Bench *b, MeshLoader load, const char *path, double *seconds,
                      VpError *err)
{
  double start = now_seconds();
  VpMesh *mesh = load(path, err);
  *seconds = now_seconds() - start;
  bool ok = mesh && check_triangles(mesh, torus_triangles(big_size(b)), path, err);
  vp_mesh_free(mesh);
  return ok;
}

static bool run_stl_load(Bench *b, double *seconds, VpError *err)
{
  return time_load(b, load_stl, b->stl_path, seconds, err);
}

static bool run_obj_load(Bench *b, double *seconds, VpError *err)
{
  return time_load(b, vp_mesh_load_obj, b->obj_path, seconds, err);
}

static bool run_ply_load(Bench *b, double *seconds, VpError *err)
{
  return time_load(b, vp_mesh_load_ply, b->ply_path, seconds, err);
}

static bool run_measure(Bench *b, double *seconds, VpError *err)
{
  VpMeshStats stats;
  double start = now_seconds();
  bool ok = vp_mesh_measure(b->big, &stats, err);
  *seconds = now_seconds() - start;
  if (ok && !stats.edges.watertight)
    return vp_error_set(err, VP_ERR_INVALID, _("the generated torus was measured as not closed"));
  return ok;
}

static bool run_repair(Bench *b, double *seconds, VpError *err)
{
  VpMesh *mesh = vp_mesh_clone(b->big, err);
  if (!mesh)
    return false;
  double start = now_seconds();
  bool ok = vp_mesh_repair(&mesh, NULL, err);
  *seconds = now_seconds() - start;
  ok = ok && check_triangles(mesh, b->big->triangle_count, _("repair"), err);
  vp_mesh_free(mesh);
  return ok;
}

static bool run_nifti_load(Bench *b, double *seconds, VpError *err)
{
  double start = now_seconds();
  VpVolume *ct = vp_volume_load_nifti(b->ct_path, NULL, NULL, err);
  VpVolume *mask = ct ? vp_volume_load_nifti(b->mask_path, NULL, NULL, err) : NULL;
  *seconds = now_seconds() - start;
  vp_volume_free(ct);
  vp_volume_free(mask);
  return mask != NULL;
}

static bool run_marching_cubes(Bench *b, double *seconds, VpError *err)
{
  double start = now_seconds();
  VpMesh *mesh = vp_volume_extract_label_surface(b->mask, L3_LABEL, NULL, err);
  *seconds = now_seconds() - start;
  vp_mesh_free(mesh);
  return mesh != NULL;
}

static bool surface_every_label(const VpVolume *mask, size_t *count, VpError *err)
{
  VpLabelStats stats = {0};
  bool ok = vp_volume_label_stats(mask, &stats, err);
  for (size_t i = 0; ok && i < stats.count; i++) {
    VpMesh *mesh = vp_volume_extract_label_surface(mask, stats.labels[i].label, NULL, err);
    ok = mesh != NULL;
    vp_mesh_free(mesh);
  }
  *count = stats.count;
  vp_label_stats_clear(&stats);
  return ok;
}

/* From the two files to one surface per vertebra, divided by the vertebrae. */
static bool run_ct_to_surfaces(Bench *b, double *seconds, VpError *err)
{
  size_t count = 0;
  double start = now_seconds();
  VpVolume *ct = vp_volume_load_nifti(b->ct_path, NULL, NULL, err);
  VpVolume *mask = ct ? vp_volume_load_nifti(b->mask_path, NULL, NULL, err) : NULL;
  bool ok = mask && surface_every_label(mask, &count, err);
  double elapsed = now_seconds() - start;
  vp_volume_free(ct);
  vp_volume_free(mask);
  if (ok && count == 0)
    return vp_error_set(err, VP_ERR_INVALID, _("%s holds no vertebra labels"), b->mask_path);
  b->ct_labels = count;
  *seconds = ok ? elapsed / (double)count : 0.0;
  return ok;
}

static bool run_bvh(Bench *b, double *seconds, VpError *err)
{
  double start = now_seconds();
  VpBvh *bvh = vp_bvh_build(b->bvh_mesh, err);
  *seconds = now_seconds() - start;
  vp_bvh_free(bvh);
  return bvh != NULL;
}

static bool run_sdf(Bench *b, double *seconds, VpError *err)
{
  VpGridOptions options = vp_grid_options_default();
  options.threads = bench_threads(b);
  VpGrid grid = {0};
  double start = now_seconds();
  bool ok = vp_grid_compute_sdf(b->sdf_bvh, &options, &grid, NULL, err);
  *seconds = now_seconds() - start;
  b->sdf_voxels = vp_grid_voxel_count(&grid);
  vp_grid_clear(&grid);
  return ok;
}

static void fit_camera(VpCamera *cam, const VpMesh *mesh)
{
  vp_camera_init(cam);
  vp_camera_set_scene(cam, vp_mesh_bounds(mesh));
}

/* One frame as the 3D view draws it: the renderer and its buffers are reused. */
static bool draw_frame(Bench *b, const VpMesh *mesh, const VpCamera *cam, double *seconds,
                       VpError *err)
{
  VpSceneMesh item = {.mesh = mesh};
  vp_render_bone_rgba(item.rgba);
  const VpScene scene = {&item, 1};
  VpRenderStyle style;
  vp_render_style_default(&style);
  cairo_t *cr = cairo_create(b->frame);
  double start = now_seconds();
  bool ok = vp_renderer_draw(b->renderer, cr, FRAME_WIDTH, FRAME_HEIGHT, 1.0, cam, &scene,
                             &style, err);
  cairo_surface_flush(b->frame);
  *seconds = now_seconds() - start;
  cairo_destroy(cr);
  return ok;
}

static bool run_render(Bench *b, double *seconds, VpError *err)
{
  return draw_frame(b, b->render_mesh, &b->render_cam, seconds, err);
}

static bool run_render_l3(Bench *b, double *seconds, VpError *err)
{
  return draw_frame(b, b->vertebra, &b->vertebra_cam, seconds, err);
}

static bool run_phantom(Bench *b, double *seconds, VpError *err)
{
  double start = now_seconds();
  VpPhantom *ph = make_phantom(b, err);
  *seconds = now_seconds() - start;
  if (!ph)
    return false;
  b->phantom_voxels = vp_volume_voxel_count(ph->ct);
  b->phantom_triangles = ph->surface->triangle_count;
  b->phantom_spacing_mm = ph->params.spacing_mm;
  vp_phantom_free(ph);
  return true;
}

/* One scroll step and the new slice, as the slice view redraws on the wheel.
 * The plane sweeps back and forth around the CT's centre so that every run
 * samples bone and soft tissue, never the empty space past the volume. */
static bool run_slice(Bench *b, double *seconds, VpError *err)
{
  double start = now_seconds();
  vp_slice_view_scroll(&b->slice_view, b->slice_direction);
  bool ok = vp_slice_sample_ct(b->view_ct, &b->slice_view, vp_window_level_preset(VP_WINDOW_BONE),
                               VP_SLICE_INTERP_AUTO, b->slice_image, err);
  *seconds = now_seconds() - start;
  b->slice_offset_mm += b->slice_direction * b->slice_view.step_mm;
  if (fabs(b->slice_offset_mm) >= SLICE_SWEEP_MM)
    b->slice_direction = -b->slice_direction;
  return ok;
}

/* A whole frame of the slice view after one scroll step, as the window's
 * slice pane draws it: CT under the bone window, the surface cut anew for
 * the new plane, crosshair, orientation letters and scale bar. */
static bool run_slice_view(Bench *b, double *seconds, VpError *err)
{
  double start = now_seconds();
  vp_slice_view_scroll(&b->slice_view, b->slice_direction);
  cairo_t *cr = cairo_create(b->frame);
  bool ok = vp_slice_renderer_draw(b->slice_renderer, cr, &b->slice_view, &b->slice_scene, err);
  cairo_destroy(cr);
  cairo_surface_flush(b->frame);
  *seconds = now_seconds() - start;
  b->slice_offset_mm += b->slice_direction * b->slice_view.step_mm;
  if (fabs(b->slice_offset_mm) >= SLICE_SWEEP_MM)
    b->slice_direction = -b->slice_direction;
  return ok;
}

/* A radiograph that is black everywhere would be a wrong answer, not a fast one. */
static bool check_radiograph(const Bench *b, VpError *err)
{
  if (vp_drr_image_max(&b->drr_image) > 0.0f)
    return true;
  return vp_error_set(err, VP_ERR_INVALID, _("the radiograph of %s came out empty"),
                      b->verse_dir ? b->ct_path : _("the phantom CT"));
}

static bool run_drr(Bench *b, double *seconds, VpError *err)
{
  double start = now_seconds();
  bool ok = vp_drr_compute(b->view_ct, &b->drr_view, &b->drr_options, &b->drr_image, err);
  *seconds = now_seconds() - start;
  return ok && check_radiograph(b, err);
}

/* Frame, parts and measurements of the L3, as the Anatomy step computes them. */
static bool run_anatomy(Bench *b, double *seconds, VpError *err)
{
  VpAnatomyOptions options = vp_anatomy_options_default();
  options.threads = b->opts.threads;
  double start = now_seconds();
  VpAnatomy *anatomy = vp_anatomy_compute(b->anatomy_case, NULL, &options, NULL, err);
  *seconds = now_seconds() - start;
  if (!anatomy)
    return false;
  b->anatomy_spacing_mm = anatomy->parts ? anatomy->parts->spacing_mm[0] : NAN;
  b->anatomy_body_ml = anatomy->measures.body_volume_ml;
  vp_anatomy_free(anatomy);
  return true;
}

/* ---- slice and fluoroscopy views, set up as the window's views are ---- */

static bool no_setup(Bench *b, VpError *err)
{
  (void)b, (void)err;
  return true;
}

/* A case from the phantom's surface, CT and mask, taken over from it. */
static VpCase *phantom_case(VpPhantom *ph, VpError *err)
{
  VpCase *c = calloc(1, sizeof *c);
  if (!c || !(c->name = strdup(ph->level))) {
    free(c);
    nomem(err);
    return NULL;
  }
  snprintf(c->level, sizeof c->level, "%s", ph->level);
  c->label = vp_level_label(ph->level);
  c->surface = ph->surface, c->ct = ph->ct, c->mask = ph->mask;
  ph->surface = NULL, ph->ct = NULL, ph->mask = NULL;
  c->ct_same_grid = true;
  c->repair.components = 1;
  c->repair.suggested_scale = 1.0;
  return c;
}

/* The L3 the anatomy is measured on: the VerSe 005 mask's (its CT is left
 * out, so the figure is the mask's alone), or the L3 phantom's. */
static bool setup_anatomy(Bench *b, VpError *err)
{
  if (b->anatomy_case)
    return true;
  if (b->verse_dir) {
    if (need_volume_files(b, err))
      b->anatomy_case = vp_case_from_mask(b->mask_path, L3_LABEL, NULL, NULL, NULL, err);
  } else {
    VpPhantom *ph = make_phantom(b, err);
    b->anatomy_case = ph ? phantom_case(ph, err) : NULL;
    vp_phantom_free(ph);
  }
  return b->anatomy_case != NULL;
}

/* An axial plane through the CT's centre, fitted to the volume, stepping one
 * voxel per scroll; one untimed slice first, as the view's first frame. */
static bool setup_slice(Bench *b, VpError *err)
{
  if (!need_view_ct(b, err))
    return false;
  VpViewFrame frame = view_ct_frame(b);
  if (!vp_slice_view_init(&b->slice_view, VP_SLICE_AXIAL, &frame, VIEW_SIDE_PX, VIEW_SIDE_PX,
                          1.0, err))
    return false;
  vp_slice_view_fit_box(&b->slice_view, vp_volume_bounds_mm(b->view_ct), 0.02);
  b->slice_view.step_mm =
      vp_slice_step_for_volume(b->view_ct, vp_slice_view_normal(&b->slice_view));
  b->slice_offset_mm = 0.0;
  b->slice_direction = 1.0;
  if (!b->slice_image)
    b->slice_image = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, VIEW_SIDE_PX, VIEW_SIDE_PX);
  if (cairo_surface_status(b->slice_image) != CAIRO_STATUS_SUCCESS)
    return nomem(err);
  return vp_slice_sample_ct(b->view_ct, &b->slice_view, vp_window_level_preset(VP_WINDOW_BONE),
                            VP_SLICE_INTERP_AUTO, b->slice_image, err);
}

/* The vertebra the view CT shows: the VerSe L3 from its mask, or the phantom's surface. */
static bool need_view_surface(Bench *b, VpError *err)
{
  if (b->view_surface)
    return true;
  if (b->verse_dir) {
    VpCase *c = vp_case_from_mask(b->mask_path, L3_LABEL, NULL, NULL, NULL, err);
    if (c) {
      b->view_surface = c->surface;
      c->surface = NULL;
      vp_case_free(c);
    }
  } else {
    VpPhantom *ph = make_phantom(b, err);
    if (ph) {
      b->view_surface = ph->surface;
      ph->surface = NULL;
      vp_phantom_free(ph);
    }
  }
  return b->view_surface != NULL;
}

/* The slice view of a window pane: FRAME_WIDTH x FRAME_HEIGHT / 2 (a pane of
 * the 2 x 2 grid on a large screen is smaller), the axial plane through the
 * vertebra's centre, fitted to it; one untimed frame first. */
static bool setup_slice_view(Bench *b, VpError *err)
{
  if (!need_view_ct(b, err) || !need_view_surface(b, err))
    return false;
  VpBox3 box = vp_mesh_bounds(b->view_surface);
  VpViewFrame frame = vp_view_frame_world(vp_box3_center(box));
  if (!vp_slice_view_init(&b->slice_view, VP_SLICE_AXIAL, &frame, FRAME_WIDTH / 2,
                          FRAME_HEIGHT / 2 + FRAME_HEIGHT / 4, 1.0, err))
    return false;
  vp_slice_view_fit_box(&b->slice_view, box, 0.1);
  b->slice_view.step_mm =
      vp_slice_step_for_volume(b->view_ct, vp_slice_view_normal(&b->slice_view));
  b->slice_offset_mm = 0.0;
  b->slice_direction = 1.0;
  vp_slice_scene_init(&b->slice_scene);
  b->slice_scene.ct = b->view_ct;
  b->slice_scene.surface = b->view_surface;
  b->slice_scene.crosshair_mm = frame.origin_mm;
  if (!b->slice_renderer && !(b->slice_renderer = vp_slice_renderer_new()))
    return nomem(err);
  if (!b->frame)
    b->frame = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, FRAME_WIDTH, FRAME_HEIGHT);
  if (cairo_surface_status(b->frame) != CAIRO_STATUS_SUCCESS)
    return nomem(err);
  double seconds;
  b->slice_direction = 0.0; /* the first frame stays on the centre plane */
  bool ok = run_slice_view(b, &seconds, err);
  b->slice_direction = 1.0;
  return ok;
}

/* The C-arm view fitted to the whole CT, on one thread per online core;
 * factor 2 is the half-resolution preview shown while the user drags. One
 * untimed radiograph sizes the image, as the view's first frame does. */
static bool setup_drr(Bench *b, VpDrrProjection projection, int factor, VpError *err)
{
  if (!need_view_ct(b, err))
    return false;
  VpViewFrame frame = view_ct_frame(b);
  VpDrrView view;
  if (!vp_drr_view_init(&view, projection, &frame, VIEW_SIDE_PX, VIEW_SIDE_PX, DRR_FOV_MM, err))
    return false;
  vp_drr_view_fit_box(&view, vp_volume_bounds_mm(b->view_ct), 0.02);
  b->drr_view = factor > 1 ? vp_drr_view_reduced(&view, factor) : view;
  b->drr_projection = projection;
  b->drr_options = vp_drr_options_default();
  b->drr_options.threads = bench_threads(b);
  return vp_drr_compute(b->view_ct, &b->drr_view, &b->drr_options, &b->drr_image, err) &&
         check_radiograph(b, err);
}

static bool setup_drr_ap(Bench *b, VpError *err) { return setup_drr(b, VP_DRR_AP, 1, err); }

static bool setup_drr_ap_preview(Bench *b, VpError *err)
{
  return setup_drr(b, VP_DRR_AP, 2, err);
}

static bool setup_drr_lateral(Bench *b, VpError *err)
{
  return setup_drr(b, VP_DRR_LATERAL, 1, err);
}

static bool setup_drr_lateral_preview(Bench *b, VpError *err)
{
  return setup_drr(b, VP_DRR_LATERAL, 2, err);
}

/* ---- the renderer, warmed up by one frame ---- */

/* A first frame sizes the renderer's buffers, as the window's first frame does. */
static bool setup_render(Bench *b, VpError *err)
{
  double unused;
  if (!b->render_mesh && !(b->render_mesh = make_torus(RENDER_MESH, err)))
    return false;
  fit_camera(&b->render_cam, b->render_mesh);
  return need_renderer(b, err) && draw_frame(b, b->render_mesh, &b->render_cam, &unused, err);
}

static bool setup_render_l3(Bench *b, VpError *err)
{
  double unused;
  if (!need_vertebra(b, err) || !need_renderer(b, err))
    return false;
  fit_camera(&b->vertebra_cam, b->vertebra);
  return draw_frame(b, b->vertebra, &b->vertebra_cam, &unused, err);
}

/* ---- descriptions of the inputs ---- */

static void describe_file(const Bench *b, char *buf, size_t size, const char *format)
{
  char n[32];
  snprintf(buf, size, _("%s, %s triangles (torus)"), format,
           vp_format_count(torus_triangles(big_size(b)), n));
}

static void describe_stl(const Bench *b, char *buf, size_t size)
{
  describe_file(b, buf, size, _("binary STL, loaded and welded"));
}

static void describe_obj(const Bench *b, char *buf, size_t size)
{
  describe_file(b, buf, size, _("OBJ"));
}

static void describe_ply(const Bench *b, char *buf, size_t size)
{
  describe_file(b, buf, size, _("binary little-endian PLY"));
}

static void describe_measure(const Bench *b, char *buf, size_t size)
{
  describe_file(b, buf, size, _("area, volume, parts, edges"));
}

static void describe_repair(const Bench *b, char *buf, size_t size)
{
  describe_file(b, buf, size, _("weld, orient, holes"));
}

static const char *volume_source(const Bench *b)
{
  return b->verse_dir ? _("VerSe sub-verse005, 1 mm") : _("synthetic, 1 mm");
}

static void describe_nifti(const Bench *b, char *buf, size_t size)
{
  snprintf(buf, size, _("CT + mask (%s)"), volume_source(b));
}

static void describe_mc(const Bench *b, char *buf, size_t size)
{
  snprintf(buf, size, _("L3 from the mask (%s)"), volume_source(b));
}

static void describe_ct_to_surfaces(const Bench *b, char *buf, size_t size)
{
  snprintf(buf, size, _("load CT + mask, then all %zu surfaces, per vertebra (%s)"),
           b->ct_labels, volume_source(b));
}

static void describe_bvh(const Bench *b, char *buf, size_t size)
{
  char n[32];
  snprintf(buf, size, _("build over %s triangles (torus)"),
           vp_format_count(torus_triangles(BVH_MESH), n));
}

/* "2 threads", "1 thread". */
static void format_threads(int threads, char *buf, size_t size)
{
  snprintf(buf, size, ngettext("%d thread", "%d threads", (unsigned long)threads), threads);
}

static void describe_sdf(const Bench *b, char *buf, size_t size)
{
  char n[32], threads[32];
  format_threads(bench_threads(b), threads, sizeof threads);
  snprintf(buf, size, _("%s at 0.5 mm, %s voxels, %s (BVH built beforehand)"),
           b->verse_dir ? _("VerSe L3 STL") : _("22 mm sphere"), vp_format_count(b->sdf_voxels, n),
           threads);
}

static void describe_render(const Bench *b, char *buf, size_t size)
{
  char n[32];
  snprintf(buf, size, _("%d x %d frame, %s triangles (torus)"), FRAME_WIDTH, FRAME_HEIGHT,
           vp_format_count(torus_triangles(RENDER_MESH), n));
}

static void describe_render_l3(const Bench *b, char *buf, size_t size)
{
  char n[32];
  snprintf(buf, size, _("%d x %d frame, %s L3, %s triangles"), FRAME_WIDTH, FRAME_HEIGHT,
           b->verse_dir ? _("VerSe") : _("synthetic"),
           vp_format_count(b->vertebra ? b->vertebra->triangle_count : 0, n));
}

static void describe_phantom(const Bench *b, char *buf, size_t size)
{
  char n[32], t[32];
  snprintf(buf, size,
           _("default %s: surface of %s triangles; CT, mask and parts of %s voxels at %.1f mm"),
           PHANTOM_LEVEL, vp_format_count(b->phantom_triangles, t),
           vp_format_count(b->phantom_voxels, n), b->phantom_spacing_mm);
}

static void describe_anatomy(const Bench *b, char *buf, size_t size)
{
  char threads[32];
  format_threads(bench_threads(b), threads, sizeof threads);
  snprintf(buf, size, _("frame, parts and measures of %s; parts at %.1f mm, body %.1f mL, %s"),
           b->verse_dir ? _("the VerSe sub-verse005 L3 (mask)") : _("the L3 phantom"),
           b->anatomy_spacing_mm, b->anatomy_body_ml, threads);
}

/* Which CT the views show, with its voxel size (the phantom's is set by --quick). */
static void view_ct_source(const Bench *b, char *buf, size_t size)
{
  double spacing = b->view_ct ? b->view_ct->spacing_mm[0] : NAN;
  if (b->verse_dir)
    snprintf(buf, size, _("VerSe sub-verse005 CT, %.1f mm"), spacing);
  else
    snprintf(buf, size, _("L3 phantom CT, %.1f mm"), spacing);
}

static void describe_slice(const Bench *b, char *buf, size_t size)
{
  char source[64];
  view_ct_source(b, source, sizeof source);
  snprintf(buf, size, _("%d x %d axial, scroll %.2f mm + resample, bone window (%s)"),
           b->slice_view.width_px, b->slice_view.height_px, b->slice_view.step_mm, source);
}

static void describe_slice_view(const Bench *b, char *buf, size_t size)
{
  char source[64];
  view_ct_source(b, source, sizeof source);
  snprintf(buf, size,
           _("%d x %d axial view: scroll %.2f mm, resample, recut the surface, overlays (%s)"),
           b->slice_view.width_px, b->slice_view.height_px, b->slice_view.step_mm, source);
}

static void describe_drr(const Bench *b, char *buf, size_t size)
{
  const VpDrrView *v = &b->drr_view;
  char source[64], threads[32];
  view_ct_source(b, source, sizeof source);
  format_threads(b->drr_options.threads, threads, sizeof threads);
  snprintf(buf, size, _("%d x %d %s, %s (%s)"), v->width_px, v->height_px,
           b->drr_projection == VP_DRR_AP ? _("AP") : _("lateral"), threads, source);
}

/* Targets in ms, as the project has set them; 0 where none is set yet. */
static const BenchCase CASES[] = {
    {"stl-load", need_big_files, run_stl_load, describe_stl, 250.0, true},
    {"obj-load", need_big_files, run_obj_load, describe_obj, 0, false},
    {"ply-load", need_big_files, run_ply_load, describe_ply, 0, false},
    {"mesh-measure", need_big_mesh, run_measure, describe_measure, 0, false},
    {"mesh-repair", need_big_mesh, run_repair, describe_repair, 0, false},
    {"nifti-load", need_volume_files, run_nifti_load, describe_nifti, 0, false},
    {"marching-cubes", need_mask, run_marching_cubes, describe_mc, 50.0, false},
    {"ct-to-surfaces", need_volume_files, run_ct_to_surfaces, describe_ct_to_surfaces, 50.0,
     false},
    {"bvh-build", need_bvh_mesh, run_bvh, describe_bvh, 50.0, false},
    {"sdf", need_sdf_bvh, run_sdf, describe_sdf, 200.0, false},
    {"render", setup_render, run_render, describe_render, 16.0, false},
    {"render-l3", setup_render_l3, run_render_l3, describe_render_l3, 16.0, false},
    {"phantom", no_setup, run_phantom, describe_phantom, 0, false},
    {"anatomy", setup_anatomy, run_anatomy, describe_anatomy, 300.0, false},
    {"slice", setup_slice, run_slice, describe_slice, 16.0, false},
    {"slice-view", setup_slice_view, run_slice_view, describe_slice_view, 16.0, false},
    {"drr", setup_drr_ap, run_drr, describe_drr, 100.0, false},
    {"drr-preview", setup_drr_ap_preview, run_drr, describe_drr, 30.0, false},
    {"drr-lateral", setup_drr_lateral, run_drr, describe_drr, 100.0, false},
    {"drr-lat-preview", setup_drr_lateral_preview, run_drr, describe_drr, 30.0, false},
};
#define CASE_COUNT (sizeof CASES / sizeof CASES[0])
_Static_assert(CASE_COUNT + 1 <= MAX_RESULTS, "one result per case plus peak memory");
_Static_assert(CASE_COUNT <= 32, "--only keeps one bit per case");

/* ---- running ---- */

static int compare_doubles(const void *pa, const void *pb)
{
  double a = *(const double *)pa, b = *(const double *)pb;
  return (a > b) - (a < b);
}

static double median_of_sorted(const double *v, int n)
{
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static Result *add_result(Bench *b, const char *name, const char *unit, double target)
{
  Result *r = &b->results[b->result_count++];
  *r = (Result){.name = name, .unit = unit, .target = target, .best = NAN};
  return r;
}

static bool run_case(Bench *b, const BenchCase *c, VpError *err)
{
  double samples[MAX_RUNS];
  if (!c->setup(b, err))
    return false;
  for (int i = 0; i < b->opts.runs; i++)
    if (!c->run(b, &samples[i], err))
      return false;
  qsort(samples, (size_t)b->opts.runs, sizeof samples[0], compare_doubles);
  bool has_target = c->target_ms > 0 && !(b->opts.quick && c->quick_shrinks);
  Result *r = add_result(b, c->name, "ms", has_target ? c->target_ms : NAN);
  r->median = 1000.0 * median_of_sorted(samples, b->opts.runs);
  r->best = 1000.0 * samples[0];
  r->runs = b->opts.runs;
  c->describe(b, r->detail, sizeof r->detail);
  if (c->quick_shrinks && b->opts.quick)
    snprintf(r->detail + strlen(r->detail), sizeof r->detail - strlen(r->detail), "%s",
             _("; reduced by --quick, so no target"));
  return true;
}

static void add_peak_memory(Bench *b)
{
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  Result *r = add_result(b, "peak-memory", "MiB", NAN);
  r->median = (double)usage.ru_maxrss / 1024.0; /* Linux reports kibibytes */
  r->runs = 1;
  snprintf(r->detail, sizeof r->detail, "%s", _("resident set at the end (getrusage ru_maxrss)"));
}

static bool selected(const Bench *b, size_t index)
{
  return b->opts.only == 0 || (b->opts.only & (1u << index));
}

/* Runs every selected case; a case that fails is reported and the others still run. */
static bool run_all(Bench *b)
{
  bool ok = true;
  bool progress = !b->opts.json && isatty(STDERR_FILENO);
  for (size_t i = 0; i < CASE_COUNT; i++) {
    if (!selected(b, i))
      continue;
    if (progress)
      fprintf(stderr, _("measuring %s...\n"), CASES[i].name);
    VpError err;
    vp_error_clear(&err);
    if (!run_case(b, &CASES[i], &err)) {
      char context[64];
      snprintf(context, sizeof context, "bench %s", CASES[i].name);
      vp_cli_error(context, err.message);
      ok = false;
    }
  }
  add_peak_memory(b);
  return ok;
}

static void remove_file(char *path)
{
  if (path && path[0])
    unlink(path);
  free(path);
}

static void bench_clear(Bench *b)
{
  bool synthetic = !b->verse_dir;
  remove_file(b->stl_path);
  remove_file(b->obj_path);
  remove_file(b->ply_path);
  if (synthetic) {
    remove_file(b->ct_path);
    remove_file(b->mask_path);
  } else {
    free(b->ct_path);
    free(b->mask_path);
  }
  if (b->tmpdir)
    rmdir(b->tmpdir);
  free(b->tmpdir);
  free(b->verse_dir);
  vp_mesh_free(b->big);
  vp_volume_free(b->mask);
  vp_mesh_free(b->bvh_mesh);
  vp_bvh_free(b->sdf_bvh);
  vp_mesh_free(b->vertebra);
  vp_mesh_free(b->sphere);
  vp_mesh_free(b->render_mesh);
  vp_renderer_free(b->renderer);
  if (b->frame)
    cairo_surface_destroy(b->frame);
  vp_volume_free(b->view_ct);
  if (b->slice_image)
    cairo_surface_destroy(b->slice_image);
  vp_mesh_free(b->view_surface);
  vp_slice_renderer_free(b->slice_renderer);
  vp_drr_image_clear(&b->drr_image);
  vp_case_free(b->anatomy_case);
}

/* ---- the machine ---- */

typedef struct Machine {
  char cpu[128];
  long cores;
  double memory_gib;
  char system[160];
  char build[96];
  char date[32];
  double load; /* 1-minute load average when the run started; NAN when unknown */
} Machine;

/* The value after "key<spaces>:" on the first line starting with key, or "". */
static void proc_field(const char *file, const char *key, char *out, size_t size)
{
  out[0] = '\0';
  FILE *f = fopen(file, "r");
  char line[512];
  while (f && fgets(line, sizeof line, f)) {
    if (strncmp(line, key, strlen(key)) != 0 || !strchr(line, ':'))
      continue;
    const char *value = strchr(line, ':') + 1;
    value += strspn(value, " \t");
    snprintf(out, size, "%.*s", (int)strcspn(value, "\n"), value);
    break;
  }
  if (f)
    fclose(f);
}

static const char *compiler_name(void)
{
#if defined(__clang__)
  return "clang " __clang_version__;
#elif defined(__GNUC__)
  return "gcc " __VERSION__;
#else
  return "unknown";
#endif
}

/* What the build type implies, as far as the compiler reveals it. */
static void build_flags(char *out, size_t size)
{
#ifdef __OPTIMIZE__
  const char *opt = "optimised";
#else
  const char *opt = "not optimised";
#endif
#ifdef NDEBUG
  const char *asserts = "assertions off";
#else
  const char *asserts = "assertions on";
#endif
#ifdef __SANITIZE_ADDRESS__
  const char *san = ", AddressSanitizer";
#else
  const char *san = "";
#endif
  snprintf(out, size, "%s, %s%s", opt, asserts, san);
}

/* Other work on the machine slows every figure, so the output shows it. The
 * file reads "0.52 0.58 ..." whatever the locale, hence no strtod(). */
static double load_average(void)
{
  FILE *f = fopen("/proc/loadavg", "r");
  unsigned whole = 0, hundredths = 0;
  int fields = f ? fscanf(f, "%u.%2u", &whole, &hundredths) : 0;
  if (f)
    fclose(f);
  return fields == 2 ? whole + hundredths / 100.0 : NAN;
}

static void machine_system(Machine *m)
{
  char mem[64];
  proc_field("/proc/cpuinfo", "model name", m->cpu, sizeof m->cpu);
  if (!m->cpu[0])
    snprintf(m->cpu, sizeof m->cpu, "unknown");
  m->cores = sysconf(_SC_NPROCESSORS_ONLN);
  proc_field("/proc/meminfo", "MemTotal", mem, sizeof mem);
  m->memory_gib = strtoull(mem, NULL, 10) / (1024.0 * 1024.0); /* the file says kB */
  struct utsname u;
  if (uname(&u) == 0)
    snprintf(m->system, sizeof m->system, "%.40s %.60s %.40s", u.sysname, u.release, u.machine);
  else
    snprintf(m->system, sizeof m->system, "unknown");
}

static void machine_read(Machine *m)
{
  machine_system(m);
  build_flags(m->build, sizeof m->build);
  time_t t = time(NULL);
  struct tm tm;
  strftime(m->date, sizeof m->date, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
  m->load = load_average();
}

/* ---- output ---- */

static void format_figure(double value, const char *unit, char *buf, size_t size)
{
  if (isnan(value))
    snprintf(buf, size, "-");
  else
    snprintf(buf, size, value < 10 ? "%.2f %s" : value < 1000 ? "%.1f %s" : "%.0f %s", value,
             unit);
}

static const char *verdict(const Result *r)
{
  if (isnan(r->target))
    return "-";
  return r->median < r->target ? "PASS" : "MISS";
}

static void print_result_row(const Result *r)
{
  char median[32], best[32], target[40];
  format_figure(r->median, r->unit, median, sizeof median);
  format_figure(r->best, r->unit, best, sizeof best);
  if (isnan(r->target))
    snprintf(target, sizeof target, "-");
  else
    snprintf(target, sizeof target, "< %g %s", r->target, r->unit);
  printf("%-15s %11s %11s %10s  %-5s  %s\n", r->name, median, best, target, verdict(r), r->detail);
}

static void print_data_line(const Bench *b)
{
  if (b->verse_dir)
    printf(_("Data:      VerSe, from %s\n"), b->verse_dir);
  else
    printf("%s\n", _("Data:      synthetic (VerSe data not found: give --data DIR or set "
                     "VP_SHARED_DIR)"));
}

static void print_text(const Bench *b, const Machine *m)
{
  printf(_("Vertebra Planner benchmark: median and best of %d run(s) each%s\n"), b->opts.runs,
         b->opts.quick ? _(", quick mode") : "");
  printf(_("Machine:   %s, %ld cores, %.1f GiB memory, %s\n"), m->cpu, m->cores, m->memory_gib,
         m->system);
  printf(_("Compiler:  %s (%s)\n"), compiler_name(), m->build);
  printf(_("Date:      %s\n"), m->date);
  if (!isnan(m->load))
    printf(_("Load:      %.2f (1-minute average when the run started, on %ld cores)\n"), m->load,
           m->cores);
  print_data_line(b);
  printf("\n%-15s %11s %11s %10s  %-5s  %s\n", _("benchmark"), _("median"), _("best"),
         _("target"), _("result"), _("input"));
  for (int i = 0; i < b->result_count; i++)
    print_result_row(&b->results[i]);
}

static double rounded(double value) { return round(value * 1000.0) / 1000.0; }

static cJSON *number_or_null(double value)
{
  return isnan(value) ? cJSON_CreateNull() : cJSON_CreateNumber(rounded(value));
}

static cJSON *machine_json(const Machine *m)
{
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "cpu", m->cpu);
  cJSON_AddNumberToObject(o, "cores", (double)m->cores);
  cJSON_AddNumberToObject(o, "memory_gib", round(m->memory_gib * 10.0) / 10.0);
  cJSON_AddStringToObject(o, "system", m->system);
  cJSON_AddStringToObject(o, "compiler", compiler_name());
  cJSON_AddStringToObject(o, "build", m->build);
  cJSON_AddItemToObject(o, "load_1min", number_or_null(m->load));
  return o;
}

static cJSON *result_json(const Result *r)
{
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "name", r->name);
  cJSON_AddNumberToObject(o, "value", rounded(r->median));
  cJSON_AddItemToObject(o, "best", number_or_null(r->best));
  cJSON_AddStringToObject(o, "unit", r->unit);
  cJSON_AddItemToObject(o, "target", number_or_null(r->target));
  cJSON_AddItemToObject(o, "pass", isnan(r->target) ? cJSON_CreateNull()
                                                    : cJSON_CreateBool(r->median < r->target));
  cJSON_AddNumberToObject(o, "runs", r->runs);
  cJSON_AddStringToObject(o, "input", r->detail);
  return o;
}

static bool print_json(const Bench *b, const Machine *m)
{
  cJSON *o = cJSON_CreateObject();
  cJSON_AddItemToObject(o, "machine", machine_json(m));
  cJSON_AddStringToObject(o, "date", m->date);
  cJSON_AddStringToObject(o, "data", b->verse_dir ? "verse" : "synthetic");
  cJSON_AddBoolToObject(o, "quick", b->opts.quick);
  cJSON_AddNumberToObject(o, "runs", b->opts.runs);
  cJSON *results = cJSON_AddArrayToObject(o, "results");
  for (int i = 0; i < b->result_count; i++)
    cJSON_AddItemToArray(results, result_json(&b->results[i]));
  bool ok = vp_cli_print_json(o);
  cJSON_Delete(o);
  return ok;
}

/* ---- command line ---- */

void vp_cli_bench_help(FILE *out)
{
  fprintf(out, _("Usage: vertebra-planner-cli bench [--json] [--quick] [--runs N] "
                 "[--threads N]\n"
                 "                                 [--only NAME,...] [--data DIR]\n\n"));
  fprintf(out, "%s\n\n",
          _("Measures loading, measuring and repairing a 1,000,000-triangle mesh, CT and mask\n"
            "loading, vertebra surface extraction, BVH and distance-field building, 3D\n"
            "frames, phantom generation, the vertebra's anatomy, CT slices and simulated\n"
            "fluoroscopy, and prints each figure with its target and PASS or MISS. A MISS\n"
            "does not make the command fail.\n"
            "Test meshes are generated and written to a temporary folder, which is removed\n"
            "afterwards. The VerSe CT, mask and L3 mesh are used when found ($VP_SHARED_DIR,\n"
            "or ../shared beside the source tree); otherwise a synthetic spine and the CT of\n"
            "an L3 phantom stand in and the output says so."));
  fprintf(out, "%s\n", _("Options:"));
  fprintf(out, "  --json           %s\n", _("Print one JSON object instead of a table"));
  fprintf(out, "  --quick          %s\n",
          _("One run each, a smaller mesh and a 1 mm phantom, for smoke tests"));
  fprintf(out, "  --runs N         %s\n", _("Runs per benchmark, 1 to 100 (default 5)"));
  fprintf(out, "  --threads N      %s\n",
          _("Worker threads of the SDF and radiographs, 1 to 64 (default: one per core)"));
  fprintf(out, "  --only NAME,...  %s", _("Run only these benchmarks:"));
  for (size_t i = 0, column = 80; i < CASE_COUNT; i++) {
    if (column + strlen(CASES[i].name) > 76)
      column = (size_t)fprintf(out, "\n                  ");
    column += (size_t)fprintf(out, " %s", CASES[i].name);
  }
  fprintf(out, "\n  --data DIR       %s\n",
          _("Folder with the VerSe files (or a folder holding data/verse)"));
}

static int parse_only(const char *list, unsigned *only)
{
  const char *p = list;
  while (*p) {
    size_t n = strcspn(p, ",");
    size_t i = 0;
    while (i < CASE_COUNT && !(strlen(CASES[i].name) == n && strncmp(CASES[i].name, p, n) == 0))
      i++;
    if (n == 0)
      return vp_cli_usage_error("bench", _("--only needs benchmark names separated by commas"));
    if (i == CASE_COUNT)
      return vp_cli_usage_error("bench", _("unknown benchmark '%.*s'"), (int)n, p);
    *only |= 1u << i;
    p += n + (p[n] == ',');
  }
  return *only ? VP_CLI_OK
               : vp_cli_usage_error("bench", _("--only needs benchmark names separated by commas"));
}

/* --runs and --threads: a whole number from 1 to max. */
static int parse_count(const char *option, const char *text, int max, int *out)
{
  char *end;
  errno = 0;
  long n = strtol(text, &end, 10);
  if (errno || end == text || *end || n < 1 || n > max)
    return vp_cli_usage_error("bench", _("%s needs a whole number from 1 to %d, not '%s'"), option,
                              max, text);
  *out = (int)n;
  return VP_CLI_OK;
}

static int parse_valued(const char *arg, const char *value, BenchOptions *opts)
{
  if (!value)
    return vp_cli_usage_error("bench", _("%s needs a value"), arg);
  if (strcmp(arg, "--only") == 0)
    return parse_only(value, &opts->only);
  if (strcmp(arg, "--runs") == 0)
    return parse_count(arg, value, MAX_RUNS, &opts->runs);
  if (strcmp(arg, "--threads") == 0)
    return parse_count(arg, value, MAX_THREADS, &opts->threads);
  opts->data_dir = value;
  return VP_CLI_OK;
}

static int parse_options(int argc, char **argv, BenchOptions *opts)
{
  memset(opts, 0, sizeof *opts);
  int status = VP_CLI_OK;
  for (int i = 1; i < argc && status == VP_CLI_OK; i++) {
    const char *arg = argv[i];
    if (strcmp(arg, "--json") == 0)
      opts->json = true;
    else if (strcmp(arg, "--quick") == 0)
      opts->quick = true;
    else if (strcmp(arg, "--only") == 0 || strcmp(arg, "--runs") == 0 ||
             strcmp(arg, "--threads") == 0 || strcmp(arg, "--data") == 0)
      status = parse_valued(arg, i + 1 < argc ? argv[++i] : NULL, opts);
    else
      status = vp_cli_usage_error("bench", _("unknown argument '%s'"), arg);
  }
  if (opts->runs == 0)
    opts->runs = opts->quick ? 1 : DEFAULT_RUNS;
  return status;
}

int vp_cli_bench(int argc, char **argv)
{
  Bench b = {0};
  int status = parse_options(argc, argv, &b.opts);
  if (status != VP_CLI_OK)
    return status;
  b.verse_dir = b.opts.data_dir ? verse_dir_in(b.opts.data_dir) : find_verse_dir();
  if (b.opts.data_dir && !b.verse_dir) {
    char message[600];
    snprintf(message, sizeof message, _("no VerSe files (%s, %s, %s) in %s or %s/data/verse"),
             VERSE_CT, VERSE_MASK, VERSE_L3, b.opts.data_dir, b.opts.data_dir);
    vp_cli_error("bench", message);
    return VP_CLI_FAILED;
  }
  Machine machine;
  machine_read(&machine);
  bool ok = run_all(&b);
  ok = (b.opts.json ? print_json(&b, &machine) : (print_text(&b, &machine), true)) && ok;
  bench_clear(&b);
  return ok ? VP_CLI_OK : VP_CLI_FAILED;
}
