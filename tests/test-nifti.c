/* Tests of volumes from NIfTI: every datatype and variant written by the tests
 * themselves (NIfTI-1/2, .nii/.nii.gz, sform/qform/pixdim, scaling, byte
 * order), every kind of bad input, saving, label statistics, level names and
 * the volume accessors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <fcntl.h>
#include <math.h>
#include <nifti2_io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "vp-test-util.h"
#include "vp-volume.h"

/* ---- writing test files ---- */

/* What to put in a test file; zero fields take the defaults of spec(). */
typedef struct Spec {
  int version;
  int datatype;
  int64_t dim[8];
  const void *data; /* voxel values in native order; NULL: zeros */
  double slope, inter;
  int sform_code, qform_code;
  VpMat4 sform, qform;
  double pixdim[3];
  int xyz_units;
  double vox_offset; /* 0: right after the header and extender */
  const char *magic; /* NULL: "n+1" or "n+2" */
  bool big_endian;
} Spec;

typedef struct Buffer {
  unsigned char *data;
  size_t size;
} Buffer;

/* A 2 x 3 x 4 uint8 volume with 1 mm voxels, pixdim transform only. */
static Spec spec(void)
{
  Spec s = {.version = 1, .datatype = DT_UINT8, .dim = {3, 2, 3, 4, 1, 1, 1, 1}};
  s.pixdim[0] = s.pixdim[1] = s.pixdim[2] = 1.0;
  s.xyz_units = NIFTI_UNITS_MM;
  s.sform = s.qform = vp_mat4_identity();
  return s;
}

/* Voxels the spec describes; SIZE_MAX for absurd dims (no data written). */
static size_t voxel_count(const Spec *s)
{
  size_t n = 1;
  for (int i = 1; i <= s->dim[0] && i < 8; i++) {
    if (s->dim[i] <= 0 || s->dim[i] > 100000000 || n * (size_t)s->dim[i] > 100000000)
      return SIZE_MAX;
    n *= (size_t)s->dim[i];
  }
  return n;
}

static size_t datatype_bytes(int datatype)
{
  int nbyper = 0, swapsize = 0;
  nifti_datatype_sizes(datatype, &nbyper, &swapsize);
  return nbyper > 0 ? (size_t)nbyper : 1;
}

static void swap_data(unsigned char *p, size_t count, size_t size)
{
  for (size_t i = 0; i < count; i++, p += size)
    for (size_t a = 0, b = size - 1; a < b; a++, b--) {
      unsigned char t = p[a];
      p[a] = p[b];
      p[b] = t;
    }
}

static void quaternion_of(const VpMat4 *m, double q[6], double *qfac)
{
  nifti_dmat44 r;
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++)
      r.m[i][j] = m->m[i][j];
  double dx, dy, dz;
  nifti_dmat44_to_quatern(r, &q[0], &q[1], &q[2], &q[3], &q[4], &q[5], &dx, &dy, &dz, qfac);
}

/* Dims the library's header maker accepts quietly; tests then store theirs. */
static const int64_t plain_dims[8] = {3, 1, 1, 1, 1, 1, 1, 1};

static void header_v1(const Spec *s, unsigned char *out)
{
  nifti_1_header *h = nifti_make_new_n1_header(plain_dims, s->datatype);
  for (int i = 0; i < 8; i++) /* the library fixes up odd dims; tests want them as given */
    h->dim[i] = (short)s->dim[i];
  double q[6], qfac;
  quaternion_of(&s->qform, q, &qfac);
  h->pixdim[0] = (float)qfac;
  for (int a = 0; a < 3; a++)
    h->pixdim[a + 1] = (float)s->pixdim[a];
  h->vox_offset = (float)(s->vox_offset ? s->vox_offset : 352);
  h->scl_slope = (float)s->slope;
  h->scl_inter = (float)s->inter;
  h->xyzt_units = (char)s->xyz_units;
  h->sform_code = (short)s->sform_code;
  h->qform_code = (short)s->qform_code;
  h->quatern_b = (float)q[0], h->quatern_c = (float)q[1], h->quatern_d = (float)q[2];
  h->qoffset_x = (float)q[3], h->qoffset_y = (float)q[4], h->qoffset_z = (float)q[5];
  for (int j = 0; j < 4; j++) {
    h->srow_x[j] = (float)s->sform.m[0][j];
    h->srow_y[j] = (float)s->sform.m[1][j];
    h->srow_z[j] = (float)s->sform.m[2][j];
  }
  snprintf(h->descrip, sizeof h->descrip, "test volume");
  memcpy(h->magic, s->magic ? s->magic : "n+1", 4);
  if (s->big_endian)
    nifti_swap_as_nifti1(h);
  memcpy(out, h, 348);
  free(h);
}

static void header_v2(const Spec *s, unsigned char *out)
{
  nifti_2_header *h = nifti_make_new_n2_header(plain_dims, s->datatype);
  for (int i = 0; i < 8; i++)
    h->dim[i] = s->dim[i];
  double q[6], qfac;
  quaternion_of(&s->qform, q, &qfac);
  h->pixdim[0] = qfac;
  for (int a = 0; a < 3; a++)
    h->pixdim[a + 1] = s->pixdim[a];
  h->vox_offset = (int64_t)(s->vox_offset ? s->vox_offset : 544);
  h->scl_slope = s->slope;
  h->scl_inter = s->inter;
  h->xyzt_units = s->xyz_units;
  h->sform_code = s->sform_code;
  h->qform_code = s->qform_code;
  h->quatern_b = q[0], h->quatern_c = q[1], h->quatern_d = q[2];
  h->qoffset_x = q[3], h->qoffset_y = q[4], h->qoffset_z = q[5];
  for (int j = 0; j < 4; j++) {
    h->srow_x[j] = s->sform.m[0][j];
    h->srow_y[j] = s->sform.m[1][j];
    h->srow_z[j] = s->sform.m[2][j];
  }
  memcpy(h->magic, s->magic ? s->magic : "n+2\0\r\n\032\n", 8);
  if (s->big_endian)
    nifti_swap_as_nifti2(h);
  memcpy(out, h, 540);
  free(h);
}

/* The whole file in memory: header, zero extender, padding, voxels. Voxel
 * bytes are omitted when the dims are absurd (those tests never get there). */
static Buffer encode(const Spec *s)
{
  size_t header = s->version == 2 ? 540 : 348;
  size_t offset = s->vox_offset >= header + 4 && s->vox_offset < 1e6 ? (size_t)s->vox_offset
                                                                      : header + 4;
  size_t bytes = datatype_bytes(s->datatype), count = voxel_count(s);
  size_t data = count != SIZE_MAX ? count * bytes : 0;
  Buffer b = {calloc(1, offset + data), offset + data};
  if (s->version == 2)
    header_v2(s, b.data);
  else
    header_v1(s, b.data);
  if (s->data && data)
    memcpy(b.data + offset, s->data, data);
  if (s->big_endian)
    swap_data(b.data + offset, data / bytes, bytes);
  return b;
}

static char *write_plain(const char *name, Buffer b, size_t keep)
{
  char *path = vp_test_tmp_path(name);
  assert_true(vp_test_write_file(path, b.data, keep < b.size ? keep : b.size));
  return path;
}

static char *write_gz(const char *name, Buffer b)
{
  char *path = vp_test_tmp_path(name);
  gzFile gz = gzopen(path, "wb");
  assert_non_null(gz);
  assert_int_equal(gzwrite(gz, b.data, (unsigned)b.size), (int)b.size);
  assert_int_equal(gzclose(gz), Z_OK);
  return path;
}

/* Writes the spec as name (gzip when it ends in .gz) and frees the buffer. */
static char *write_spec(const char *name, const Spec *s)
{
  Buffer b = encode(s);
  size_t n = strlen(name);
  char *path = n > 3 && strcmp(name + n - 3, ".gz") == 0 ? write_gz(name, b)
                                                          : write_plain(name, b, SIZE_MAX);
  free(b.data);
  return path;
}

static VpVolume *load_ok(const char *path, VpVolumeInfo *info)
{
  VpError err = {0};
  VpVolume *v = vp_volume_load_nifti(path, NULL, info, &err);
  if (!v)
    fail_msg("load failed: %s", err.message);
  return v;
}

/* Loads, expects failure with this code, returns the message (static). */
static const char *load_fails(const char *path, VpErrorCode code, const VpVolumeLimits *limits)
{
  static VpError err;
  vp_error_clear(&err);
  VpVolume *v = vp_volume_load_nifti(path, limits, NULL, &err);
  if (v) {
    vp_volume_free(v);
    fail_msg("%s loaded but should not have", path);
  }
  if (err.code != code)
    fail_msg("error code %d, expected %d: %s", err.code, code, err.message);
  assert_non_null(strstr(err.message, path)); /* the message names the file */
  return err.message;
}

static void assert_contains(const char *text, const char *part)
{
  if (!strstr(text, part))
    fail_msg("\"%s\" does not contain \"%s\"", text, part);
}

/* ---- datatypes ---- */

static const int32_t values24[24] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
                                     12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23};

/* Stores values24 (shifted) in the datatype, reads it back and checks every
 * voxel and the storage type chosen. */
static void check_datatype(int datatype, double shift, VpVoxelType expected_type)
{
  unsigned char raw[24 * 8];
  size_t size = datatype_bytes(datatype);
  for (int i = 0; i < 24; i++) {
    double v = values24[i] + shift;
    unsigned char *p = raw + (size_t)i * size;
#define PUT(T)                                                                                     \
  do {                                                                                             \
    T x = (T)v;                                                                                    \
    memcpy(p, &x, sizeof x);                                                                       \
  } while (0)
    switch (datatype) {
    case DT_UINT8: PUT(uint8_t); break;
    case DT_INT8: PUT(int8_t); break;
    case DT_INT16: PUT(int16_t); break;
    case DT_UINT16: PUT(uint16_t); break;
    case DT_INT32: PUT(int32_t); break;
    case DT_UINT32: PUT(uint32_t); break;
    case DT_INT64: PUT(int64_t); break;
    case DT_UINT64: PUT(uint64_t); break;
    case DT_FLOAT32: PUT(float); break;
    case DT_FLOAT64: PUT(double); break;
    }
#undef PUT
  }
  Spec s = spec();
  s.datatype = datatype;
  s.data = raw;
  char *path = write_spec("datatype.nii", &s);
  VpVolumeInfo info;
  VpVolume *v = load_ok(path, &info);
  assert_int_equal(v->type, expected_type);
  assert_int_equal(info.datatype, datatype);
  for (int k = 0, n = 0; k < 4; k++)
    for (int j = 0; j < 3; j++)
      for (int i = 0; i < 2; i++, n++)
        assert_float_equal(vp_volume_value(v, i, j, k), values24[n] + shift, 1e-9);
  vp_volume_free(v);
  free(path);
}

static void uint8_is_kept_as_uint8(void **state)
{
  (void)state;
  check_datatype(DT_UINT8, 200, VP_VOXEL_U8);
}

static void int8_is_widened_to_int16(void **state)
{
  (void)state;
  check_datatype(DT_INT8, -100, VP_VOXEL_I16);
}

static void int16_is_kept_as_int16(void **state)
{
  (void)state;
  check_datatype(DT_INT16, -1024, VP_VOXEL_I16);
}

static void uint16_is_kept_as_uint16(void **state)
{
  (void)state;
  check_datatype(DT_UINT16, 60000, VP_VOXEL_U16);
}

static void int32_is_kept_as_int32(void **state)
{
  (void)state;
  check_datatype(DT_INT32, -2000000000, VP_VOXEL_I32);
}

static void uint32_within_range_becomes_int32(void **state)
{
  (void)state;
  check_datatype(DT_UINT32, 2000000000, VP_VOXEL_I32);
}

static void int64_within_range_becomes_int32(void **state)
{
  (void)state;
  check_datatype(DT_INT64, -5, VP_VOXEL_I32);
}

static void uint64_within_range_becomes_int32(void **state)
{
  (void)state;
  check_datatype(DT_UINT64, 7, VP_VOXEL_I32);
}

static void float32_is_kept_as_float32(void **state)
{
  (void)state;
  check_datatype(DT_FLOAT32, -0.25, VP_VOXEL_F32);
}

static void float64_becomes_float32(void **state)
{
  (void)state;
  check_datatype(DT_FLOAT64, 0.5, VP_VOXEL_F32);
}

static void uint32_beyond_int32_is_refused(void **state)
{
  (void)state;
  uint32_t raw[24] = {0};
  raw[5] = 3000000000u;
  Spec s = spec();
  s.datatype = DT_UINT32;
  s.data = raw;
  char *path = write_spec("uint32-big.nii", &s);
  const char *msg = load_fails(path, VP_ERR_FORMAT, NULL);
  assert_contains(msg, "1 voxels beyond the 32-bit integer range");
  assert_contains(msg, "voxel 1, 2, 0");
  free(path);
}

static void unsupported_datatype_is_refused(void **state)
{
  (void)state;
  Spec s = spec();
  s.datatype = DT_COMPLEX64;
  char *path = write_spec("complex.nii", &s);
  assert_contains(load_fails(path, VP_ERR_FORMAT, NULL), "datatype 32");
  free(path);
}

/* ---- file variants ---- */

static void gzip_file_reads_like_plain(void **state)
{
  (void)state;
  Spec s = spec();
  uint8_t raw[24];
  for (int i = 0; i < 24; i++)
    raw[i] = (uint8_t)(3 * i);
  s.data = raw;
  char *path = write_spec("plain.nii.gz", &s);
  VpVolumeInfo info;
  VpVolume *v = load_ok(path, &info);
  assert_true(info.compressed);
  assert_float_equal(vp_volume_value(v, 1, 2, 3), 69, 0);
  vp_volume_free(v);
  free(path);
}

static void nifti2_file_is_read(void **state)
{
  (void)state;
  Spec s = spec();
  s.version = 2;
  s.datatype = DT_INT16;
  int16_t raw[24];
  for (int i = 0; i < 24; i++)
    raw[i] = (int16_t)(-i);
  s.data = raw;
  char *path = write_spec("two.nii.gz", &s);
  VpVolumeInfo info;
  VpVolume *v = load_ok(path, &info);
  assert_int_equal(info.nifti_version, 2);
  assert_float_equal(vp_volume_value(v, 1, 0, 1), -7, 0);
  vp_volume_free(v);
  free(path);
}

static void big_endian_file_is_read(void **state)
{
  (void)state;
  Spec s = spec();
  s.datatype = DT_FLOAT32;
  s.big_endian = true;
  float raw[24];
  for (int i = 0; i < 24; i++)
    raw[i] = 1.5f * (float)i;
  s.data = raw;
  s.pixdim[2] = 2.5;
  char *path = write_spec("big-endian.nii", &s);
  VpVolume *v = load_ok(path, NULL);
  assert_float_equal(vp_volume_value(v, 1, 1, 1), 1.5 * 9, 0);
  assert_float_equal(v->spacing_mm[2], 2.5, 1e-6);
  vp_volume_free(v);
  free(path);
}

static void data_after_a_larger_offset_is_found(void **state)
{
  (void)state;
  Spec s = spec();
  uint8_t raw[24];
  for (int i = 0; i < 24; i++)
    raw[i] = (uint8_t)(i + 100);
  s.data = raw;
  s.vox_offset = 400;
  char *path = write_spec("offset400.nii", &s);
  VpVolumeInfo info;
  VpVolume *v = load_ok(path, &info);
  assert_int_equal(info.vox_offset, 400);
  assert_float_equal(vp_volume_value(v, 0, 0, 0), 100, 0);
  vp_volume_free(v);
  free(path);
}

static void single_volume_with_fourth_dimension_one_is_read(void **state)
{
  (void)state;
  Spec s = spec();
  s.dim[0] = 4;
  s.dim[4] = 1;
  char *path = write_spec("four-d-one.nii", &s);
  VpVolumeInfo info;
  VpVolume *v = load_ok(path, &info);
  assert_int_equal(info.file_dims[0], 4);
  assert_int_equal(v->dims[2], 4);
  vp_volume_free(v);
  free(path);
}

static void two_dimensional_image_is_one_slice(void **state)
{
  (void)state;
  Spec s = spec();
  s.dim[0] = 2;
  char *path = write_spec("slice.nii", &s);
  VpVolume *v = load_ok(path, NULL);
  assert_int_equal(v->dims[0], 2);
  assert_int_equal(v->dims[1], 3);
  assert_int_equal(v->dims[2], 1);
  vp_volume_free(v);
  free(path);
}

static void time_series_is_refused(void **state)
{
  (void)state;
  Spec s = spec();
  s.dim[0] = 4;
  s.dim[4] = 3;
  char *path = write_spec("time-series.nii", &s);
  assert_contains(load_fails(path, VP_ERR_FORMAT, NULL), "more than one 3D volume");
  free(path);
}

/* ---- world transforms ---- */

/* Voxel axes P, I, R (as in the VerSe files) with 0.8 x 0.8 x 2 mm voxels. */
static VpMat4 pir_affine(void)
{
  VpMat4 m = vp_mat4_identity();
  m.m[0][0] = 0, m.m[0][2] = 2.0;
  m.m[1][0] = -0.8, m.m[1][1] = 0;
  m.m[2][1] = -0.8, m.m[2][2] = 0;
  m.m[0][3] = -78, m.m[1][3] = -135, m.m[2][3] = -34.2;
  return m;
}

static void assert_affine(const VpMat4 *a, const VpMat4 *b, double tolerance)
{
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++)
      assert_float_equal(a->m[i][j], b->m[i][j], tolerance);
}

static void sform_is_preferred_over_qform(void **state)
{
  (void)state;
  Spec s = spec();
  s.sform_code = NIFTI_XFORM_ALIGNED_ANAT;
  s.qform_code = NIFTI_XFORM_SCANNER_ANAT;
  s.sform = pir_affine();
  s.sform.m[0][1] = 0.3; /* a shear only an sform can hold */
  s.qform = vp_mat4_scaling(vp_vec3(3, 3, 3));
  char *path = write_spec("sform.nii", &s);
  VpVolumeInfo info;
  VpVolume *v = load_ok(path, &info);
  assert_int_equal(info.transform, VP_VOLUME_TRANSFORM_SFORM);
  assert_int_equal(info.sform_code, NIFTI_XFORM_ALIGNED_ANAT);
  assert_affine(&v->voxel_to_world, &s.sform, 1e-5);
  VpMat4 product = vp_mat4_mul(v->world_to_voxel, v->voxel_to_world);
  VpMat4 identity = vp_mat4_identity();
  assert_affine(&product, &identity, 1e-9);
  vp_volume_free(v);
  free(path);
}

static void qform_is_used_without_sform(void **state)
{
  (void)state;
  Spec s = spec();
  s.qform_code = NIFTI_XFORM_SCANNER_ANAT;
  s.qform = pir_affine();
  s.pixdim[0] = 0.8, s.pixdim[1] = 0.8, s.pixdim[2] = 2.0;
  char *path = write_spec("qform.nii.gz", &s);
  VpVolumeInfo info;
  VpVolume *v = load_ok(path, &info);
  assert_int_equal(info.transform, VP_VOLUME_TRANSFORM_QFORM);
  assert_affine(&v->voxel_to_world, &s.qform, 1e-5);
  char code[4];
  vp_volume_orientation_code(v, code);
  assert_string_equal(code, "PIR");
  assert_float_equal(v->spacing_mm[2], 2.0, 1e-6);
  vp_volume_free(v);
  free(path);
}

static void pixdim_alone_scales_voxels(void **state)
{
  (void)state;
  Spec s = spec();
  s.pixdim[0] = 0.5, s.pixdim[1] = 0.7, s.pixdim[2] = 3.0;
  char *path = write_spec("pixdim.nii", &s);
  VpVolumeInfo info;
  VpVolume *v = load_ok(path, &info);
  assert_int_equal(info.transform, VP_VOLUME_TRANSFORM_PIXDIM);
  assert_string_equal(vp_volume_transform_name(info.transform), "pixdim");
  VpVec3 p = vp_volume_voxel_to_world(v, vp_vec3(1, 2, 3));
  assert_float_equal(p.x, 0.5, 1e-6);
  assert_float_equal(p.y, 1.4, 1e-6);
  assert_float_equal(p.z, 9.0, 1e-6);
  char code[4];
  vp_volume_orientation_code(v, code);
  assert_string_equal(code, "RAS");
  vp_volume_free(v);
  free(path);
}

static void metre_units_become_millimetres(void **state)
{
  (void)state;
  Spec s = spec();
  s.xyz_units = NIFTI_UNITS_METER;
  s.pixdim[0] = s.pixdim[1] = s.pixdim[2] = 0.001;
  s.sform_code = 1;
  s.sform = vp_mat4_scaling(vp_vec3(0.001, 0.001, 0.002));
  s.sform.m[0][3] = 0.1;
  char *path = write_spec("metres.nii", &s);
  VpVolume *v = load_ok(path, NULL);
  assert_float_equal(v->spacing_mm[0], 1.0, 1e-6);
  assert_float_equal(v->spacing_mm[2], 2.0, 1e-6);
  assert_float_equal(v->voxel_to_world.m[0][3], 100.0, 1e-4);
  vp_volume_free(v);
  free(path);
}

static void singular_sform_is_refused(void **state)
{
  (void)state;
  Spec s = spec();
  s.sform_code = 1;
  s.sform = vp_mat4_scaling(vp_vec3(1, 0, 1));
  char *path = write_spec("singular.nii", &s);
  assert_contains(load_fails(path, VP_ERR_FORMAT, NULL), "sform transform");
  free(path);
}

static void implausibly_large_transform_is_refused(void **state)
{
  (void)state;
  Spec s = spec();
  s.pixdim[0] = 1e9; /* a metre-sized typo in mm, a thousand times over */
  char *path = write_spec("huge-voxels.nii", &s);
  assert_contains(load_fails(path, VP_ERR_FORMAT, NULL), "more than 1 km");
  free(path);
}

/* ---- scaling ---- */

/* A CT stored as int16 with an offset: the values become HU, kept exactly. */
static void slope_and_intercept_are_applied(void **state)
{
  (void)state;
  Spec s = spec();
  s.datatype = DT_INT16;
  s.slope = 1, s.inter = -1024;
  int16_t raw[24] = {0, 1024, 3000};
  s.data = raw;
  char *path = write_spec("scaled.nii", &s);
  VpVolumeInfo info;
  VpVolume *v = load_ok(path, &info);
  assert_true(info.scaled);
  assert_float_equal(vp_volume_value(v, 0, 0, 0), -1024, 0);
  assert_float_equal(vp_volume_value(v, 1, 0, 0), 0, 0);
  assert_float_equal(vp_volume_value(v, 0, 1, 0), 1976, 0);
  assert_int_equal(v->type, VP_VOXEL_F32); /* int16 range shifted no longer fits int16 */
  vp_volume_free(v);
  free(path);
}

static void exact_integer_scaling_stays_int16(void **state)
{
  (void)state;
  Spec s = spec();
  s.slope = 2, s.inter = -100;
  uint8_t raw[24] = {0, 255};
  s.data = raw;
  char *path = write_spec("scaled-u8.nii", &s);
  VpVolume *v = load_ok(path, NULL);
  assert_int_equal(v->type, VP_VOXEL_I16);
  assert_float_equal(vp_volume_value(v, 0, 0, 0), -100, 0);
  assert_float_equal(vp_volume_value(v, 1, 0, 0), 410, 0);
  vp_volume_free(v);
  free(path);
}

static void fractional_slope_gives_float(void **state)
{
  (void)state;
  Spec s = spec();
  s.datatype = DT_UINT16;
  s.slope = 0.5, s.inter = 0.25;
  uint16_t raw[24] = {3};
  s.data = raw;
  char *path = write_spec("scaled-frac.nii.gz", &s);
  VpVolume *v = load_ok(path, NULL);
  assert_int_equal(v->type, VP_VOXEL_F32);
  assert_float_equal(vp_volume_value(v, 0, 0, 0), 1.75, 1e-7);
  vp_volume_free(v);
  free(path);
}

static void slope_zero_means_no_scaling(void **state)
{
  (void)state;
  Spec s = spec();
  s.slope = 0, s.inter = 50;
  uint8_t raw[24] = {9};
  s.data = raw;
  char *path = write_spec("slope0.nii", &s);
  VpVolumeInfo info;
  VpVolume *v = load_ok(path, &info);
  assert_false(info.scaled);
  assert_int_equal(v->type, VP_VOXEL_U8);
  assert_float_equal(vp_volume_value(v, 0, 0, 0), 9, 0);
  vp_volume_free(v);
  free(path);
}

/* ---- bad values ---- */

static void nan_voxels_are_counted_and_refused(void **state)
{
  (void)state;
  float raw[24] = {0};
  for (int i = 4; i < 16; i++)
    raw[i] = NAN;
  Spec s = spec();
  s.datatype = DT_FLOAT32;
  s.data = raw;
  char *path = write_spec("nan.nii", &s);
  const char *msg = load_fails(path, VP_ERR_FORMAT, NULL);
  assert_contains(msg, "contains 12 voxels that are not numbers (NaN)");
  assert_contains(msg, "the first at voxel 0, 2, 0");
  free(path);
}

static void infinite_voxels_are_refused(void **state)
{
  (void)state;
  double raw[24] = {0};
  raw[23] = INFINITY;
  raw[22] = 1e300; /* finite, but not as float32 */
  Spec s = spec();
  s.datatype = DT_FLOAT64;
  s.data = raw;
  char *path = write_spec("inf.nii.gz", &s);
  assert_contains(load_fails(path, VP_ERR_FORMAT, NULL), "2 voxels that are infinite");
  free(path);
}

/* ---- bad files ---- */

static void truncated_file_is_refused_before_reading(void **state)
{
  (void)state;
  Spec s = spec();
  Buffer b = encode(&s);
  char *path = write_plain("truncated.nii", b, b.size - 5);
  const char *msg = load_fails(path, VP_ERR_TRUNCATED, NULL);
  assert_contains(msg, "ends early");
  assert_contains(msg, "need 24 bytes from byte 352, but only 19 are there");
  free(b.data);
  free(path);
}

static void truncated_header_is_refused(void **state)
{
  (void)state;
  Spec s = spec();
  Buffer b = encode(&s);
  char *path = write_plain("short-header.nii", b, 200);
  assert_contains(load_fails(path, VP_ERR_TRUNCATED, NULL), "header needs 348 bytes");
  free(b.data);
  free(path);
}

static void gzip_ending_early_is_refused(void **state)
{
  (void)state;
  Spec s = spec();
  s.dim[1] = s.dim[2] = s.dim[3] = 40; /* enough voxels for a long stream */
  s.datatype = DT_FLOAT32;
  float *raw = malloc(40 * 40 * 40 * sizeof *raw);
  for (int i = 0; i < 40 * 40 * 40; i++)
    raw[i] = sinf((float)i); /* does not compress to nothing */
  s.data = raw;
  char *full = write_spec("cut.nii.gz", &s);
  size_t size;
  unsigned char *bytes = vp_test_read_file(full, &size);
  Buffer b = {bytes, size};
  char *path = write_plain("cut-half.nii.gz", b, size / 2);
  assert_contains(load_fails(path, VP_ERR_TRUNCATED, NULL), "ends early");
  free(bytes);
  free(raw);
  free(full);
  free(path);
}

/* A small gzip file cannot hold a large volume: refused before allocating. */
static void gzip_too_small_for_its_volume_is_refused(void **state)
{
  (void)state;
  Spec s = spec();
  s.dim[1] = s.dim[2] = s.dim[3] = 1000; /* 1 GB of voxels, only the header written */
  Buffer b = encode(&s);
  b.size = 352;
  char *path = write_gz("header-only.nii.gz", b);
  assert_contains(load_fails(path, VP_ERR_TRUNCATED, NULL),
                  "1,000,000,000 bytes of voxel data cannot be in a compressed file of");
  free(b.data);
  free(path);
}

static void corrupt_gzip_is_refused(void **state)
{
  (void)state;
  Spec s = spec();
  s.dim[1] = s.dim[2] = s.dim[3] = 30;
  s.datatype = DT_INT16;
  char *full = write_spec("corrupt.nii.gz", &s);
  size_t size;
  unsigned char *bytes = vp_test_read_file(full, &size);
  for (size_t i = size / 3; i < size / 3 + 16 && i < size; i++)
    bytes[i] ^= 0x5a;
  assert_true(vp_test_write_file(full, bytes, size));
  VpError err = {0};
  assert_null(vp_volume_load_nifti(full, NULL, NULL, &err));
  assert_true(err.code == VP_ERR_FORMAT || err.code == VP_ERR_TRUNCATED);
  assert_true(strlen(err.message) > strlen(full) + 10);
  free(bytes);
  free(full);
}

static void voxel_offset_beyond_the_file_is_refused(void **state)
{
  (void)state;
  Spec s = spec();
  Buffer b = encode(&s);
  float offset = 4096;
  memcpy(b.data + 108, &offset, 4); /* vox_offset of a NIfTI-1 header */
  char *path = write_plain("far-offset.nii", b, SIZE_MAX);
  assert_contains(load_fails(path, VP_ERR_TRUNCATED, NULL),
                  "should start at byte 4,096, but the file has only 376 bytes");
  free(b.data);
  free(path);
}

static void voxel_offset_beyond_the_gzip_stream_is_refused(void **state)
{
  (void)state;
  Spec s = spec();
  Buffer b = encode(&s);
  float offset = 1e6;
  memcpy(b.data + 108, &offset, 4);
  char *path = write_gz("far-offset.nii.gz", b);
  assert_contains(load_fails(path, VP_ERR_TRUNCATED, NULL), "ends early");
  free(b.data);
  free(path);
}

static void voxel_offset_inside_the_header_is_refused(void **state)
{
  (void)state;
  Spec s = spec();
  s.vox_offset = 100;
  Buffer b = encode(&s); /* encode keeps the data at 352; the header says 100 */
  char *path = write_plain("inside-offset.nii", b, SIZE_MAX);
  assert_contains(load_fails(path, VP_ERR_FORMAT, NULL), "vox_offset 100");
  free(b.data);
  free(path);
}

static void nan_voxel_offset_is_refused(void **state)
{
  (void)state;
  Spec s = spec();
  s.vox_offset = NAN;
  char *path = write_spec("nan-offset.nii", &s);
  assert_contains(load_fails(path, VP_ERR_FORMAT, NULL), "vox_offset nan");
  free(path);
}

static void zero_dimension_is_refused(void **state)
{
  (void)state;
  Spec s = spec();
  s.dim[2] = 0;
  char *path = write_spec("zero-dim.nii", &s);
  assert_contains(load_fails(path, VP_ERR_FORMAT, NULL),
                  "dimension 2 has size 0; every dimension needs at least one voxel");
  free(path);
}

static void negative_dimension_is_refused(void **state)
{
  (void)state;
  Spec s = spec();
  s.dim[3] = -4;
  char *path = write_spec("negative-dim.nii", &s);
  assert_contains(load_fails(path, VP_ERR_FORMAT, NULL), "dimension 3 has size -4");
  free(path);
}

static void dimension_count_out_of_range_is_refused(void **state)
{
  (void)state;
  Spec s = spec();
  s.dim[0] = 9;
  char *path = write_spec("dim0.nii", &s);
  assert_contains(load_fails(path, VP_ERR_FORMAT, NULL), "9 dimensions");
  free(path);
}

/* 2^40 cubed overflows 64 bits: refused with a size, never allocated (an
 * attempt would fail as "out of memory" instead). */
static void overflowing_dimensions_are_refused_without_allocating(void **state)
{
  (void)state;
  Spec s = spec();
  s.version = 2;
  s.dim[1] = s.dim[2] = s.dim[3] = (int64_t)1 << 40;
  char *path = write_spec("overflow.nii", &s);
  const char *msg = load_fails(path, VP_ERR_LIMIT, NULL);
  assert_contains(msg, "1099511627776 x 1099511627776 x 1099511627776 voxels");
  assert_contains(msg, "more than the limit of 2.0 GiB (2,147,483,648 bytes)");
  free(path);
}

static void volume_over_the_memory_cap_is_refused(void **state)
{
  (void)state;
  Spec s = spec();
  s.dim[1] = 100, s.dim[2] = 100, s.dim[3] = 100;
  s.datatype = DT_INT16;
  char *path = write_spec("over-cap.nii.gz", &s);
  VpVolumeLimits limits = {.max_bytes = 1000000};
  const char *msg = load_fails(path, VP_ERR_LIMIT, &limits);
  assert_contains(msg, "100 x 100 x 100 voxels needs 0.0 GiB");
  assert_contains(msg, "(1,000,000 bytes)");
  VpVolumeLimits enough = {.max_bytes = 2000000};
  VpVolume *v = vp_volume_load_nifti(path, &enough, NULL, NULL);
  assert_non_null(v);
  vp_volume_free(v);
  free(path);
}

static void text_file_is_not_nifti(void **state)
{
  (void)state;
  char *path = vp_test_tmp_path("notes.nii");
  const char *text = "solid cube\nfacet normal 0 0 1\n";
  assert_true(vp_test_write_file(path, text, strlen(text)));
  assert_contains(load_fails(path, VP_ERR_FORMAT, NULL), "not a NIfTI file");
  free(path);
}

static void empty_file_is_refused(void **state)
{
  (void)state;
  char *path = vp_test_tmp_path("empty.nii");
  assert_true(vp_test_write_file(path, "", 0));
  assert_contains(load_fails(path, VP_ERR_TRUNCATED, NULL), "empty");
  free(path);
}

static void missing_file_is_an_io_error(void **state)
{
  (void)state;
  char *path = vp_test_tmp_path("no-such-file.nii.gz");
  assert_contains(load_fails(path, VP_ERR_IO, NULL), "No such file");
  free(path);
}

static void directory_is_refused(void **state)
{
  (void)state;
  char *path = vp_test_tmp_path("a-folder.nii");
  mkdir(path, 0755);
  assert_contains(load_fails(path, VP_ERR_IO, NULL), "not a regular file");
  free(path);
}

static void analyze_header_is_refused(void **state)
{
  (void)state;
  Spec s = spec();
  s.magic = "\0\0\0";
  char *path = write_spec("analyze.nii", &s);
  assert_contains(load_fails(path, VP_ERR_FORMAT, NULL), "ANALYZE");
  free(path);
}

static void header_of_a_pair_is_refused(void **state)
{
  (void)state;
  Spec s = spec();
  s.magic = "ni1";
  char *path = write_spec("pair.hdr", &s);
  assert_contains(load_fails(path, VP_ERR_FORMAT, NULL), ".hdr/.img pair");
  free(path);
}

/* The library prints diagnostics to stderr unless told not to; a core
 * function must stay silent whatever it is fed. */
static void bad_files_print_nothing(void **state)
{
  (void)state;
  Spec s = spec();
  s.dim[2] = 0;
  char *bad = write_spec("silent.nii", &s);
  Spec t = spec();
  t.datatype = DT_RGB24;
  char *rgb = write_spec("silent-rgb.nii", &t);
  char *log = vp_test_tmp_path("stderr.txt");
  fflush(stderr);
  int saved = dup(2), fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  dup2(fd, 2);
  VpVolume *a = vp_volume_load_nifti(bad, NULL, NULL, NULL);
  VpVolume *b = vp_volume_load_nifti(rgb, NULL, NULL, NULL);
  fflush(stderr);
  dup2(saved, 2);
  close(fd);
  close(saved);
  assert_null(a);
  assert_null(b);
  size_t size = 1;
  free(vp_test_read_file(log, &size));
  assert_int_equal(size, 0);
  free(bad);
  free(rgb);
  free(log);
}

/* Random damage to the header of a valid file: every outcome is a volume or
 * a clear error, never a crash (the sanitizer run checks memory too). */
static void damaged_headers_never_crash(void **state)
{
  (void)state;
  Spec s = spec();
  Buffer good = encode(&s);
  char *path = vp_test_tmp_path("damaged.nii");
  uint32_t seed = 2024;
  for (int run = 0; run < 3000; run++) {
    Buffer b = {malloc(good.size), good.size};
    memcpy(b.data, good.data, good.size);
    for (int flips = 0; flips < 1 + run % 4; flips++) {
      seed = seed * 1664525u + 1013904223u;
      b.data[(seed >> 8) % 352] = (unsigned char)(seed >> 24);
    }
    assert_true(vp_test_write_file(path, b.data, b.size));
    VpError err = {0};
    VpVolume *v = vp_volume_load_nifti(path, NULL, NULL, &err);
    assert_true(v != NULL || (err.code != VP_OK && strlen(err.message) > strlen(path) + 5));
    vp_volume_free(v);
    free(b.data);
  }
  free(good.data);
  free(path);
}

/* ---- saving ---- */

static VpVolume *sample_volume(VpVoxelType type)
{
  VpMat4 m = pir_affine();
  VpVolume *v = vp_volume_new((int[3]){5, 4, 3}, type, &m, NULL, NULL);
  assert_non_null(v);
  for (int k = 0; k < 3; k++)
    for (int j = 0; j < 4; j++)
      for (int i = 0; i < 5; i++)
        vp_volume_set_value(v, i, j, k, type == VP_VOXEL_F32 ? i * 0.25 - j : i + 5 * j + 20 * k);
  return v;
}

static void assert_same_volume(const VpVolume *a, const VpVolume *b)
{
  assert_int_equal(a->type, b->type);
  assert_memory_equal(a->dims, b->dims, sizeof a->dims);
  assert_affine(&a->voxel_to_world, &b->voxel_to_world, 1e-5);
  assert_memory_equal(a->data, b->data, vp_volume_voxel_count(a) * vp_voxel_type_size(a->type));
}

static void saved_volumes_read_back_identically(void **state)
{
  (void)state;
  const VpVoxelType types[] = {VP_VOXEL_U8, VP_VOXEL_I16, VP_VOXEL_U16, VP_VOXEL_I32,
                               VP_VOXEL_F32};
  const char *names[] = {"saved.nii", "saved.nii.gz"};
  for (size_t t = 0; t < sizeof types / sizeof types[0]; t++)
    for (int n = 0; n < 2; n++) {
      VpVolume *v = sample_volume(types[t]);
      char *path = vp_test_tmp_path(names[n]);
      VpError err = {0};
      assert_true(vp_volume_save_nifti(v, path, &err));
      VpVolumeInfo info;
      VpVolume *back = load_ok(path, &info);
      assert_same_volume(v, back);
      assert_int_equal(info.compressed, n == 1);
      assert_int_equal(info.transform, VP_VOLUME_TRANSFORM_SFORM);
      assert_int_equal(info.qform_code, NIFTI_XFORM_SCANNER_ANAT);
      vp_volume_free(back);
      vp_volume_free(v);
      free(path);
    }
}

/* A shear cannot go into the qform: only the sform is written. */
static void sheared_affine_is_saved_in_the_sform_only(void **state)
{
  (void)state;
  VpVolume *v = sample_volume(VP_VOXEL_U8);
  VpMat4 m = v->voxel_to_world;
  m.m[0][1] = 0.4;
  assert_true(vp_volume_set_affine(v, m, NULL));
  char *path = vp_test_tmp_path("sheared.nii");
  assert_true(vp_volume_save_nifti(v, path, NULL));
  VpVolumeInfo info;
  VpVolume *back = load_ok(path, &info);
  assert_int_equal(info.qform_code, 0);
  assert_same_volume(v, back);
  vp_volume_free(back);
  vp_volume_free(v);
  free(path);
}

static void save_into_a_missing_folder_fails_cleanly(void **state)
{
  (void)state;
  VpVolume *v = sample_volume(VP_VOXEL_U8);
  char *path = vp_test_tmp_path("no-folder/mask.nii.gz");
  VpError err = {0};
  assert_false(vp_volume_save_nifti(v, path, &err));
  assert_int_equal(err.code, VP_ERR_IO);
  assert_contains(err.message, "does not exist");
  vp_volume_free(v);
  free(path);
}

static void save_replaces_an_existing_file(void **state)
{
  (void)state;
  char *path = vp_test_tmp_path("replaced.nii");
  assert_true(vp_test_write_file(path, "old", 3));
  VpVolume *v = sample_volume(VP_VOXEL_I16);
  assert_true(vp_volume_save_nifti(v, path, NULL));
  VpVolume *back = load_ok(path, NULL);
  assert_same_volume(v, back);
  vp_volume_free(back);
  vp_volume_free(v);
  free(path);
}

/* ---- labels ---- */

static void float_mask_labels_round_to_nearest(void **state)
{
  (void)state;
  float raw[24] = {0};
  raw[0] = 20.0f, raw[1] = 20.9999f, raw[2] = 21.2f, raw[3] = 22.0f, raw[4] = 0.3f;
  Spec s = spec();
  s.datatype = DT_FLOAT32;
  s.data = raw;
  s.pixdim[0] = s.pixdim[1] = s.pixdim[2] = 2.0; /* 8 mm3 voxels */
  char *path = write_spec("float-mask.nii.gz", &s);
  VpVolume *v = load_ok(path, NULL);
  VpLabelStats stats;
  assert_true(vp_volume_label_stats(v, &stats, NULL));
  assert_int_equal(stats.count, 3);
  assert_int_equal(stats.labels[0].label, 20);
  assert_int_equal(stats.labels[0].voxel_count, 1);
  assert_int_equal(stats.labels[1].label, 21);
  assert_int_equal(stats.labels[1].voxel_count, 2);
  assert_float_equal(stats.labels[1].volume_ml, 0.016, 1e-9);
  assert_int_equal(stats.labels[2].label, 22);
  vp_label_stats_clear(&stats);
  vp_volume_free(v);
  free(path);
}

static void absent_label_error_lists_labels_present(void **state)
{
  (void)state;
  VpVolume *v = vp_volume_new((int[3]){3, 3, 3}, VP_VOXEL_U8, NULL, NULL, NULL);
  vp_volume_set_value(v, 0, 0, 0, 20);
  vp_volume_set_value(v, 1, 0, 0, 24);
  vp_volume_set_value(v, 2, 0, 0, 99);
  VpError err = {0};
  assert_true(vp_volume_require_label(v, 24, &err));
  assert_false(vp_volume_require_label(v, 22, &err));
  assert_int_equal(err.code, VP_ERR_INVALID);
  assert_string_equal(err.message,
                      "label 22 is not in the mask; labels present: 20 (L1), 24 (L5), 99");
  vp_volume_free(v);
}

static void empty_mask_says_it_has_no_labels(void **state)
{
  (void)state;
  VpVolume *v = vp_volume_new((int[3]){3, 3, 3}, VP_VOXEL_I16, NULL, NULL, NULL);
  VpError err = {0};
  assert_false(vp_volume_require_label(v, 1, &err));
  assert_contains(err.message, "the mask has no labels");
  vp_volume_free(v);
}

static void image_is_not_taken_for_a_mask(void **state)
{
  (void)state;
  VpVolume *v = vp_volume_new((int[3]){2, 1, 1}, VP_VOXEL_F32, NULL, NULL, NULL);
  vp_volume_set_value(v, 0, 0, 0, -3e9);
  vp_volume_set_value(v, 1, 0, 0, 5);
  VpLabelStats stats;
  VpError err = {0};
  assert_false(vp_volume_label_stats(v, &stats, &err));
  assert_int_equal(err.code, VP_ERR_LIMIT);
  assert_contains(err.message, "an image rather than a label mask");
  vp_label_stats_clear(&stats);
  vp_volume_free(v);
}

static void level_names_follow_verse_numbering(void **state)
{
  (void)state;
  assert_string_equal(vp_level_name(1), "C1");
  assert_string_equal(vp_level_name(7), "C7");
  assert_string_equal(vp_level_name(8), "T1");
  assert_string_equal(vp_level_name(19), "T12");
  assert_string_equal(vp_level_name(20), "L1");
  assert_string_equal(vp_level_name(24), "L5");
  assert_string_equal(vp_level_name(25), "L6");
  assert_string_equal(vp_level_name(28), "T13");
  assert_null(vp_level_name(0));
  assert_null(vp_level_name(26));
  assert_null(vp_level_name(-3));
}

static void level_labels_are_found_case_insensitively(void **state)
{
  (void)state;
  assert_int_equal(vp_level_label("L3"), 22);
  assert_int_equal(vp_level_label("l3"), 22);
  assert_int_equal(vp_level_label("t13"), 28);
  assert_int_equal(vp_level_label("c1"), 1);
  assert_int_equal(vp_level_label("L7"), -1);
  assert_int_equal(vp_level_label(""), -1);
  assert_int_equal(vp_level_label(NULL), -1);
}

/* ---- the volume itself ---- */

static void new_volume_refuses_bad_sizes(void **state)
{
  (void)state;
  VpError err = {0};
  assert_null(vp_volume_new((int[3]){4, 0, 4}, VP_VOXEL_U8, NULL, NULL, &err));
  assert_int_equal(err.code, VP_ERR_INVALID);
  assert_null(vp_volume_new((int[3]){1 << 30, 1 << 30, 1 << 30}, VP_VOXEL_F32, NULL, NULL, &err));
  assert_int_equal(err.code, VP_ERR_LIMIT);
  VpMat4 flat = vp_mat4_scaling(vp_vec3(1, 1, 0));
  assert_null(vp_volume_new((int[3]){2, 2, 2}, VP_VOXEL_U8, &flat, NULL, &err));
  assert_int_equal(err.code, VP_ERR_INVALID);
}

static void values_outside_the_grid_are_nan(void **state)
{
  (void)state;
  VpVolume *v = vp_volume_new((int[3]){2, 2, 2}, VP_VOXEL_I16, NULL, NULL, NULL);
  assert_true(isnan(vp_volume_value(v, 2, 0, 0)));
  assert_true(isnan(vp_volume_value(v, 0, -1, 0)));
  vp_volume_set_value(v, 5, 5, 5, 1); /* ignored, no crash */
  vp_volume_free(v);
}

static void stored_values_are_rounded_and_clamped(void **state)
{
  (void)state;
  VpVolume *v = vp_volume_new((int[3]){4, 1, 1}, VP_VOXEL_U8, NULL, NULL, NULL);
  vp_volume_set_value(v, 0, 0, 0, 2.6);
  vp_volume_set_value(v, 1, 0, 0, -7);
  vp_volume_set_value(v, 2, 0, 0, 1000);
  vp_volume_set_value(v, 3, 0, 0, NAN);
  assert_float_equal(vp_volume_value(v, 0, 0, 0), 3, 0);
  assert_float_equal(vp_volume_value(v, 1, 0, 0), 0, 0);
  assert_float_equal(vp_volume_value(v, 2, 0, 0), 255, 0);
  assert_float_equal(vp_volume_value(v, 3, 0, 0), 0, 0);
  vp_volume_free(v);
}

static void linear_sampling_interpolates_and_stops_outside(void **state)
{
  (void)state;
  VpMat4 m = vp_mat4_scaling(vp_vec3(2, 2, 2));
  VpVolume *v = vp_volume_new((int[3]){2, 2, 2}, VP_VOXEL_F32, &m, NULL, NULL);
  vp_volume_set_value(v, 1, 0, 0, 8); /* at world (2, 0, 0) */
  assert_float_equal(vp_volume_sample_linear(v, vp_vec3(1, 0, 0), -1), 4, 1e-9);
  assert_float_equal(vp_volume_sample_linear(v, vp_vec3(1, 1, 1), -1), 1, 1e-9);
  assert_float_equal(vp_volume_sample_linear(v, vp_vec3(2.9, 0, 0), -1), 8, 1e-9); /* edge */
  assert_float_equal(vp_volume_sample_linear(v, vp_vec3(3.1, 0, 0), -1), -1, 0);
  assert_float_equal(vp_volume_sample_linear(v, vp_vec3(NAN, 0, 0), -1), -1, 0);
  assert_float_equal(vp_volume_sample_nearest(v, vp_vec3(1.2, 0.4, -0.9), -1), 8, 0);
  vp_volume_free(v);
}

static void bounds_include_the_outer_voxel_halves(void **state)
{
  (void)state;
  VpMat4 m = pir_affine();
  VpVolume *v = vp_volume_new((int[3]){10, 20, 30}, VP_VOXEL_U8, &m, NULL, NULL);
  VpBox3 b = vp_volume_bounds_mm(v);
  VpVec3 size = vp_box3_size(b);
  assert_float_equal(size.x, 60, 1e-9); /* 30 voxels of 2 mm along k */
  assert_float_equal(size.y, 8, 1e-9);
  assert_float_equal(size.z, 16, 1e-9);
  assert_float_equal(b.max.x, -78 + 29.5 * 2, 1e-9);
  assert_float_equal(vp_volume_voxel_volume_mm3(v), 0.8 * 0.8 * 2, 1e-12);
  vp_volume_free(v);
}

static void oblique_axes_get_distinct_letters(void **state)
{
  (void)state;
  /* 30 degrees about S: i runs mostly R, j mostly A; k runs I (mirrored). */
  VpMat3 r = vp_mat3_rotation(vp_vec3(0, 0, 1), vp_deg_to_rad(30));
  r.m[0][2] = 0, r.m[1][2] = 0, r.m[2][2] = -1;
  VpMat4 m = vp_mat4_from_mat3(r, vp_vec3(0, 0, 0));
  VpVolume *v = vp_volume_new((int[3]){2, 2, 2}, VP_VOXEL_U8, &m, NULL, NULL);
  char code[4];
  vp_volume_orientation_code(v, code);
  assert_string_equal(code, "RAI");
  /* 45 degrees exactly: a tie still gives three different letters. */
  r = vp_mat3_rotation(vp_vec3(0, 0, 1), vp_deg_to_rad(45));
  assert_true(vp_volume_set_affine(v, vp_mat4_from_mat3(r, vp_vec3(0, 0, 0)), NULL));
  vp_volume_orientation_code(v, code);
  assert_true(code[0] != code[1] && code[2] == 'S');
  vp_volume_free(v);
}

int main(void)
{
  nifti_set_debug_level(0);
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(uint8_is_kept_as_uint8),
    cmocka_unit_test(int8_is_widened_to_int16),
    cmocka_unit_test(int16_is_kept_as_int16),
    cmocka_unit_test(uint16_is_kept_as_uint16),
    cmocka_unit_test(int32_is_kept_as_int32),
    cmocka_unit_test(uint32_within_range_becomes_int32),
    cmocka_unit_test(int64_within_range_becomes_int32),
    cmocka_unit_test(uint64_within_range_becomes_int32),
    cmocka_unit_test(float32_is_kept_as_float32),
    cmocka_unit_test(float64_becomes_float32),
    cmocka_unit_test(uint32_beyond_int32_is_refused),
    cmocka_unit_test(unsupported_datatype_is_refused),
    cmocka_unit_test(gzip_file_reads_like_plain),
    cmocka_unit_test(nifti2_file_is_read),
    cmocka_unit_test(big_endian_file_is_read),
    cmocka_unit_test(data_after_a_larger_offset_is_found),
    cmocka_unit_test(single_volume_with_fourth_dimension_one_is_read),
    cmocka_unit_test(two_dimensional_image_is_one_slice),
    cmocka_unit_test(time_series_is_refused),
    cmocka_unit_test(sform_is_preferred_over_qform),
    cmocka_unit_test(qform_is_used_without_sform),
    cmocka_unit_test(pixdim_alone_scales_voxels),
    cmocka_unit_test(metre_units_become_millimetres),
    cmocka_unit_test(singular_sform_is_refused),
    cmocka_unit_test(implausibly_large_transform_is_refused),
    cmocka_unit_test(slope_and_intercept_are_applied),
    cmocka_unit_test(exact_integer_scaling_stays_int16),
    cmocka_unit_test(fractional_slope_gives_float),
    cmocka_unit_test(slope_zero_means_no_scaling),
    cmocka_unit_test(nan_voxels_are_counted_and_refused),
    cmocka_unit_test(infinite_voxels_are_refused),
    cmocka_unit_test(truncated_file_is_refused_before_reading),
    cmocka_unit_test(truncated_header_is_refused),
    cmocka_unit_test(gzip_ending_early_is_refused),
    cmocka_unit_test(gzip_too_small_for_its_volume_is_refused),
    cmocka_unit_test(corrupt_gzip_is_refused),
    cmocka_unit_test(voxel_offset_beyond_the_file_is_refused),
    cmocka_unit_test(voxel_offset_beyond_the_gzip_stream_is_refused),
    cmocka_unit_test(voxel_offset_inside_the_header_is_refused),
    cmocka_unit_test(nan_voxel_offset_is_refused),
    cmocka_unit_test(zero_dimension_is_refused),
    cmocka_unit_test(negative_dimension_is_refused),
    cmocka_unit_test(dimension_count_out_of_range_is_refused),
    cmocka_unit_test(overflowing_dimensions_are_refused_without_allocating),
    cmocka_unit_test(volume_over_the_memory_cap_is_refused),
    cmocka_unit_test(text_file_is_not_nifti),
    cmocka_unit_test(empty_file_is_refused),
    cmocka_unit_test(missing_file_is_an_io_error),
    cmocka_unit_test(directory_is_refused),
    cmocka_unit_test(analyze_header_is_refused),
    cmocka_unit_test(header_of_a_pair_is_refused),
    cmocka_unit_test(bad_files_print_nothing),
    cmocka_unit_test(damaged_headers_never_crash),
    cmocka_unit_test(saved_volumes_read_back_identically),
    cmocka_unit_test(sheared_affine_is_saved_in_the_sform_only),
    cmocka_unit_test(save_into_a_missing_folder_fails_cleanly),
    cmocka_unit_test(save_replaces_an_existing_file),
    cmocka_unit_test(float_mask_labels_round_to_nearest),
    cmocka_unit_test(absent_label_error_lists_labels_present),
    cmocka_unit_test(empty_mask_says_it_has_no_labels),
    cmocka_unit_test(image_is_not_taken_for_a_mask),
    cmocka_unit_test(level_names_follow_verse_numbering),
    cmocka_unit_test(level_labels_are_found_case_insensitively),
    cmocka_unit_test(new_volume_refuses_bad_sizes),
    cmocka_unit_test(values_outside_the_grid_are_nan),
    cmocka_unit_test(stored_values_are_rounded_and_clamped),
    cmocka_unit_test(linear_sampling_interpolates_and_stops_outside),
    cmocka_unit_test(bounds_include_the_outer_voxel_halves),
    cmocka_unit_test(oblique_axes_get_distinct_letters),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
