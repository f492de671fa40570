/* NIfTI-1 and NIfTI-2 single-file volumes (.nii, .nii.gz): loading and saving.
 * The reference library (nifti2_io) interprets the header: byte order, the
 * qform quaternion, the sform, units. The voxel bytes are read with zlib
 * directly, because the library's loader silently replaces NaN and infinite
 * floats by 0 and its znzread() turns a gzip error into a huge byte count;
 * and every header field is validated before the library or we allocate. */
#include "vp-volume.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <nifti2_io.h>
#include <zlib.h>

#include "vp-fileutil.h"
#include "vp-intl-private.h"

#define N1_HEADER_BYTES 348
#define N2_HEADER_BYTES 540
#define CHUNK_BYTES ((size_t)1 << 20)

/* A stored datatype and how it is kept in memory when not scaled. */
typedef struct SourceType {
  int code;
  const char *name;
  size_t bytes;
  bool is_float;
  double min, max; /* representable range */
  VpVoxelType plain;
} SourceType;

static const SourceType source_types[] = {
  {DT_UINT8, "uint8", 1, false, 0.0, 255.0, VP_VOXEL_U8},
  {DT_INT8, "int8", 1, false, -128.0, 127.0, VP_VOXEL_I16},
  {DT_INT16, "int16", 2, false, -32768.0, 32767.0, VP_VOXEL_I16},
  {DT_UINT16, "uint16", 2, false, 0.0, 65535.0, VP_VOXEL_U16},
  {DT_INT32, "int32", 4, false, -2147483648.0, 2147483647.0, VP_VOXEL_I32},
  {DT_UINT32, "uint32", 4, false, 0.0, 4294967295.0, VP_VOXEL_I32},
  {DT_INT64, "int64", 8, false, -9223372036854775808.0, 9223372036854775807.0, VP_VOXEL_I32},
  {DT_UINT64, "uint64", 8, false, 0.0, 18446744073709551615.0, VP_VOXEL_I32},
  {DT_FLOAT32, "float32", 4, true, -FLT_MAX, FLT_MAX, VP_VOXEL_F32},
  {DT_FLOAT64, "float64", 8, true, -DBL_MAX, DBL_MAX, VP_VOXEL_F32},
};

static const SourceType *find_source_type(int code)
{
  for (size_t i = 0; i < sizeof source_types / sizeof source_types[0]; i++)
    if (source_types[i].code == code)
      return &source_types[i];
  return NULL;
}

/* The header fields we validate, in native byte order, plus the raw bytes
 * for the library's own conversion. */
typedef struct Header {
  int version;
  unsigned char raw[N2_HEADER_BYTES];
  int64_t dim[8];
  int datatype;
  double vox_offset;
  double scl_slope, scl_inter;
  char descrip[81];
} Header;

typedef struct Load {
  const char *path;
  gzFile gz;
  Header header;
  const SourceType *source;
  VpVoxelType out_type;
  bool scaled, reduced;
  size_t voxels;
  VpVolume *vol;
  uint64_t nan_count, inf_count, out_of_range;
  size_t first_bad;
} Load;

const char *vp_volume_transform_name(VpVolumeTransform transform)
{
  switch (transform) {
  case VP_VOLUME_TRANSFORM_SFORM:
    return "sform";
  case VP_VOLUME_TRANSFORM_QFORM:
    return "qform";
  case VP_VOLUME_TRANSFORM_PIXDIM:
    return "pixdim";
  }
  return "unknown";
}

static uint32_t swap32(uint32_t v)
{
  return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
}

static void swap_bytes(unsigned char *p, size_t count, size_t size)
{
  for (size_t i = 0; i < count; i++, p += size)
    for (size_t a = 0, b = size - 1; a < b; a++, b--) {
      unsigned char t = p[a];
      p[a] = p[b];
      p[b] = t;
    }
}

/* ---- header ---- */

static bool fill_header_v1(Header *h, bool swapped, VpError *err)
{
  nifti_1_header n;
  memcpy(&n, h->raw, sizeof n);
  if (swapped)
    nifti_swap_as_nifti1(&n);
  if (memcmp(n.magic, "ni1", 4) == 0)
    return vp_error_set(err, VP_ERR_FORMAT,
                        _("this is the header of a .hdr/.img pair; only single-file NIfTI "
                          "(.nii or .nii.gz) is supported"));
  if (memcmp(n.magic, "n+1", 4) != 0)
    return vp_error_set(err, VP_ERR_FORMAT,
                        _("the header has no NIfTI-1 signature (an ANALYZE 7.5 file?); ANALYZE "
                          "files have no reliable orientation, convert it to NIfTI first"));
  for (int i = 0; i < 8; i++)
    h->dim[i] = n.dim[i];
  h->datatype = n.datatype;
  h->vox_offset = n.vox_offset;
  h->scl_slope = n.scl_slope;
  h->scl_inter = n.scl_inter;
  memcpy(h->descrip, n.descrip, 80);
  return true;
}

static bool fill_header_v2(Header *h, bool swapped, VpError *err)
{
  nifti_2_header n;
  memcpy(&n, h->raw, sizeof n);
  if (swapped)
    nifti_swap_as_nifti2(&n);
  if (memcmp(n.magic, "ni2", 4) == 0)
    return vp_error_set(err, VP_ERR_FORMAT,
                        _("this is the header of a .hdr/.img pair; only single-file NIfTI "
                          "(.nii or .nii.gz) is supported"));
  if (memcmp(n.magic, "n+2", 4) != 0)
    return vp_error_set(err, VP_ERR_FORMAT, _("the header has no NIfTI-2 signature"));
  for (int i = 0; i < 8; i++)
    h->dim[i] = n.dim[i];
  h->datatype = n.datatype;
  h->vox_offset = (double)n.vox_offset;
  h->scl_slope = n.scl_slope;
  h->scl_inter = n.scl_inter;
  memcpy(h->descrip, n.descrip, 80);
  return true;
}

/* NIfTI version from the sizeof_hdr field (348 or 540, either byte order). */
static int header_version(const unsigned char *raw, bool *swapped)
{
  uint32_t size;
  memcpy(&size, raw, 4);
  *swapped = swap32(size) == N1_HEADER_BYTES || swap32(size) == N2_HEADER_BYTES;
  uint32_t native = *swapped ? swap32(size) : size;
  return native == N1_HEADER_BYTES ? 1 : native == N2_HEADER_BYTES ? 2 : 0;
}

static bool read_header(Load *ld, VpError *err)
{
  Header *h = &ld->header;
  int got = gzread(ld->gz, h->raw, sizeof h->raw);
  if (got < 0)
    return vp_error_set(err, VP_ERR_FORMAT, _("the compressed data cannot be read (%s)"),
                        gzerror(ld->gz, NULL));
  if (got == 0)
    return vp_error_set(err, VP_ERR_TRUNCATED, _("the file is empty"));
  bool swapped = false;
  h->version = got >= 4 ? header_version(h->raw, &swapped) : 0;
  if (h->version == 0)
    return vp_error_set(err, VP_ERR_FORMAT,
                        _("not a NIfTI file: it does not start with a NIfTI-1 or NIfTI-2 header"));
  int need = h->version == 1 ? N1_HEADER_BYTES : N2_HEADER_BYTES;
  if (got < need)
    return vp_error_set(err, VP_ERR_TRUNCATED,
                        _("the file ends early: the NIfTI-%d header needs %d bytes, the file has "
                          "%d"),
                        h->version, need, got);
  return h->version == 1 ? fill_header_v1(h, swapped, err) : fill_header_v2(h, swapped, err);
}

static bool check_dims(const Header *h, VpError *err)
{
  int64_t ndim = h->dim[0];
  if (ndim < 1 || ndim > 7)
    return vp_error_set(err, VP_ERR_FORMAT,
                        _("the header gives %lld dimensions (dim[0]); NIfTI allows 1 to 7"),
                        (long long)ndim);
  for (int i = 1; i <= ndim; i++)
    if (h->dim[i] < 1)
      return vp_error_set(err, VP_ERR_FORMAT,
                          _("dimension %d has size %lld; every dimension needs at least one voxel"),
                          i, (long long)h->dim[i]);
  for (int i = 4; i <= ndim; i++)
    if (h->dim[i] != 1)
      return vp_error_set(err, VP_ERR_FORMAT,
                          _("dimension %d has size %lld: the file holds more than one 3D volume, "
                            "and only a single 3D volume is supported"),
                          i, (long long)h->dim[i]);
  return true;
}

/* Size along axis a (1 for axes beyond dim[0]). */
static int64_t header_dim(const Header *h, int a)
{
  return a + 1 <= h->dim[0] ? h->dim[a + 1] : 1;
}

static void format_gib(double bytes, char *buf, size_t size)
{
  snprintf(buf, size, "%.1f GiB", bytes / (1024.0 * 1024.0 * 1024.0));
}

/* The voxel count, refusing before any allocation what overflows or exceeds
 * the caller's memory cap. */
static bool check_size(Load *ld, const VpVolumeLimits *limits, VpError *err)
{
  const Header *h = &ld->header;
  size_t out_size = vp_voxel_type_size(ld->out_type);
  size_t max_bytes = limits ? limits->max_bytes : VP_VOLUME_DEFAULT_MAX_BYTES;
  double exact = 1.0; /* for the message only */
  size_t count = 1;
  bool fits = true;
  for (int a = 0; a < 3; a++) {
    int64_t d = header_dim(h, a);
    exact *= (double)d;
    if (d > INT_MAX || (size_t)d > SIZE_MAX / count)
      fits = false;
    else
      count *= (size_t)d;
  }
  /* The file's bytes are counted too (read in chunks, never held whole), so
   * that byte offsets computed from them cannot overflow. */
  if (!fits || count > max_bytes / out_size || count > ((size_t)1 << 58) / ld->source->bytes) {
    char need[32], cap[32], cap_bytes[32];
    format_gib(exact * (double)out_size, need, sizeof need);
    format_gib((double)max_bytes, cap, sizeof cap);
    return vp_error_set(err, VP_ERR_LIMIT,
                        _("the volume of %lld x %lld x %lld voxels needs %s of memory, more than "
                          "the limit of %s (%s bytes)"),
                        (long long)header_dim(h, 0), (long long)header_dim(h, 1),
                        (long long)header_dim(h, 2), need, cap,
                        vp_format_count(max_bytes, cap_bytes));
  }
  ld->voxels = count;
  return true;
}

static bool is_whole(double v)
{
  return nearbyint(v) == v;
}

/* Which values to apply and how to keep the result: scaled integers stay
 * integers when exact in int16, everything else scaled becomes float32. */
static void choose_storage(Load *ld)
{
  const Header *h = &ld->header;
  const SourceType *s = ld->source;
  double slope = h->scl_slope, inter = h->scl_inter;
  /* Slope 0 means "no scaling" (NIfTI); a non-finite one is garbage, read the same way. */
  ld->scaled = isfinite(slope) && isfinite(inter) && slope != 0.0 && !(slope == 1.0 && inter == 0.0);
  ld->out_type = s->plain;
  ld->reduced = s->code == DT_FLOAT64;
  if (!ld->scaled)
    return;
  double a = s->min * slope + inter, b = s->max * slope + inter;
  if (!s->is_float && is_whole(slope) && is_whole(inter) && fmin(a, b) >= INT16_MIN &&
      fmax(a, b) <= INT16_MAX) {
    ld->out_type = VP_VOXEL_I16;
    return;
  }
  ld->out_type = VP_VOXEL_F32;
  ld->reduced = s->bytes >= 4 && !(s->is_float && s->bytes == 4);
}

static bool check_offset(Load *ld, VpError *err)
{
  const Header *h = &ld->header;
  double header_bytes = ld->header.version == 1 ? N1_HEADER_BYTES : N2_HEADER_BYTES;
  if (!isfinite(h->vox_offset) || h->vox_offset < header_bytes || h->vox_offset > (double)INT_MAX)
    return vp_error_set(err, VP_ERR_FORMAT,
                        _("the voxel data offset (vox_offset %g) is not a byte position after the "
                          "%g-byte header"),
                        h->vox_offset, header_bytes);
  return true;
}

/* Deflate cannot compress better than 1032:1 (zlib FAQ); a little margin. */
#define MAX_DEFLATE_RATIO 1100ull

/* Refuses, before allocating anything, a file too short for its voxel data:
 * exactly for an uncompressed file, by the best possible compression ratio
 * for a gzip one (whose full length is known only after reading it). */
static bool check_file_size(Load *ld, VpError *err)
{
  struct stat st;
  if (stat(ld->path, &st) != 0)
    return true; /* the reads will tell */
  /* Both are below 2^63 (checked sizes), so the sum cannot wrap. */
  unsigned long long offset = (unsigned long long)ld->header.vox_offset;
  unsigned long long need = (unsigned long long)ld->voxels * ld->source->bytes;
  unsigned long long have = (unsigned long long)st.st_size;
  char a[32], b[32], c[32];
  if (!gzdirect(ld->gz)) {
    if (have < (offset + need) / MAX_DEFLATE_RATIO)
      return vp_error_set(err, VP_ERR_TRUNCATED,
                          _("the file ends early: %s bytes of voxel data cannot be in a "
                            "compressed file of %s bytes"),
                          vp_format_count(need, a), vp_format_count(have, b));
    return true;
  }
  if (offset >= have)
    return vp_error_set(err, VP_ERR_TRUNCATED,
                        _("the file ends early: the voxel data should start at byte %s, but the "
                          "file has only %s bytes"),
                        vp_format_count(offset, a), vp_format_count(have, b));
  if (need > have - offset)
    return vp_error_set(err, VP_ERR_TRUNCATED,
                        _("the file ends early: the voxel data need %s bytes from byte %s, but only "
                          "%s are there"),
                        vp_format_count(need, a), vp_format_count(offset, b),
                        vp_format_count(have - offset, c));
  return true;
}

static bool validate_header(Load *ld, const VpVolumeLimits *limits, VpError *err)
{
  const Header *h = &ld->header;
  if (!check_dims(h, err))
    return false;
  ld->source = find_source_type(h->datatype);
  if (!ld->source) {
    const char *name = nifti_datatype_to_string(h->datatype);
    return vp_error_set(err, VP_ERR_FORMAT,
                        _("datatype %d (%s) is not supported; supported are uint8, int8, int16, "
                          "uint16, int32, uint32, int64, uint64, float32 and float64"),
                        h->datatype, name ? name : "unknown");
  }
  choose_storage(ld);
  return check_size(ld, limits, err) && check_offset(ld, err) && check_file_size(ld, err);
}

/* ---- world transform ---- */

static double unit_to_mm(int xyz_units)
{
  switch (xyz_units) {
  case NIFTI_UNITS_METER:
    return 1000.0;
  case NIFTI_UNITS_MICRON:
    return 0.001;
  default: /* mm, or unknown: NIfTI tools assume mm */
    return 1.0;
  }
}

static VpMat4 affine_from_dmat(const nifti_dmat44 *m, double scale)
{
  VpMat4 r = vp_mat4_identity();
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 4; j++)
      r.m[i][j] = m->m[i][j] * scale;
  return r;
}

/* Entries within 1 km keep every world coordinate of the grid well inside
 * float range, where meshes store them (NaN fails here too). */
static bool affine_is_plausible(const VpMat4 *m)
{
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 4; j++)
      if (!(fabs(m->m[i][j]) <= 1e6))
        return false;
  return true;
}

/* sform if coded, else qform if coded, else the voxel size alone. */
static bool set_world_transform(VpVolume *vol, const nifti_image *nim, VpVolumeInfo *info,
                                VpError *err)
{
  double scale = unit_to_mm(nim->xyz_units);
  VpMat4 m = vp_mat4_scaling(vp_vec3(fabs(nim->dx) * scale, fabs(nim->dy) * scale,
                                     fabs(nim->dz) * scale));
  info->transform = VP_VOLUME_TRANSFORM_PIXDIM;
  if (nim->sform_code > 0) {
    m = affine_from_dmat(&nim->sto_xyz, scale);
    info->transform = VP_VOLUME_TRANSFORM_SFORM;
  } else if (nim->qform_code > 0) {
    m = affine_from_dmat(&nim->qto_xyz, scale);
    info->transform = VP_VOLUME_TRANSFORM_QFORM;
  }
  if (!vp_volume_set_affine(vol, m, NULL))
    return vp_error_set(err, VP_ERR_FORMAT,
                        _("the %s transform of the header is singular or not finite, so voxels "
                          "cannot be placed in the world"),
                        vp_volume_transform_name(info->transform));
  if (!affine_is_plausible(&m))
    return vp_error_set(err, VP_ERR_FORMAT,
                        _("the %s transform of the header places voxels more than 1 km apart or "
                          "away, which no scan does"),
                        vp_volume_transform_name(info->transform));
  return true;
}

/* Lets the library interpret the header (it handles byte order and the
 * quaternion); safe because every field it sizes things by was checked. */
static nifti_image *convert_header(const Load *ld, VpError *err)
{
  nifti_image *nim = NULL;
  if (ld->header.version == 1) {
    nifti_1_header n1;
    memcpy(&n1, ld->header.raw, sizeof n1);
    nim = nifti_convert_n1hdr2nim(n1, ld->path);
  } else {
    nifti_2_header n2;
    memcpy(&n2, ld->header.raw, sizeof n2);
    nim = nifti_convert_n2hdr2nim(n2, ld->path);
  }
  if (!nim)
    vp_error_set(err, VP_ERR_FORMAT, _("the NIfTI library could not interpret the header"));
  return nim;
}

static void fill_info(const Load *ld, const nifti_image *nim, VpVolumeInfo *info)
{
  const Header *h = &ld->header;
  info->nifti_version = h->version;
  info->compressed = !gzdirect(ld->gz);
  info->datatype = h->datatype;
  snprintf(info->datatype_name, sizeof info->datatype_name, "%s", ld->source->name);
  memcpy(info->file_dims, h->dim, sizeof info->file_dims);
  double scale = unit_to_mm(nim->xyz_units);
  info->pixdim_mm[0] = fabs(nim->dx) * scale;
  info->pixdim_mm[1] = fabs(nim->dy) * scale;
  info->pixdim_mm[2] = fabs(nim->dz) * scale;
  info->sform_code = nim->sform_code;
  info->qform_code = nim->qform_code;
  info->scl_slope = h->scl_slope;
  info->scl_inter = h->scl_inter;
  info->scaled = ld->scaled;
  info->precision_reduced = ld->reduced;
  info->vox_offset = (int64_t)h->vox_offset;
  size_t n = strnlen(h->descrip, 80);
  for (size_t i = 0; i < n; i++) /* the field is free text from any tool */
    info->description[i] = (h->descrip[i] >= 0x20 && h->descrip[i] < 0x7f) ? h->descrip[i] : '?';
  info->description[n] = '\0';
}

/* ---- voxel data ---- */

static double decode(const unsigned char *p, int code)
{
  switch (code) {
  case DT_UINT8:
    return *p;
  case DT_INT8:
    return (int8_t)*p;
#define DECODE(T)                                                                                  \
  do {                                                                                             \
    T v;                                                                                           \
    memcpy(&v, p, sizeof v);                                                                       \
    return (double)v;                                                                              \
  } while (0)
  case DT_INT16:
    DECODE(int16_t);
  case DT_UINT16:
    DECODE(uint16_t);
  case DT_INT32:
    DECODE(int32_t);
  case DT_UINT32:
    DECODE(uint32_t);
  case DT_INT64:
    DECODE(int64_t);
  case DT_UINT64:
    DECODE(uint64_t);
  case DT_FLOAT32:
    DECODE(float);
  case DT_FLOAT64:
    DECODE(double);
#undef DECODE
  }
  return 0.0;
}

static void note_bad(Load *ld, uint64_t *counter, size_t at)
{
  if (ld->nan_count + ld->inf_count + ld->out_of_range == 0)
    ld->first_bad = at;
  (*counter)++;
}

/* One value, scaled, checked and stored; bad values are counted and stored as 0. */
static void convert_one(Load *ld, size_t at, double v)
{
  if (isnan(v)) {
    note_bad(ld, &ld->nan_count, at);
    v = 0.0;
  }
  if (ld->scaled)
    v = v * ld->header.scl_slope + ld->header.scl_inter;
  if (isinf(v) || (ld->out_type == VP_VOXEL_F32 && fabs(v) > FLT_MAX)) {
    note_bad(ld, &ld->inf_count, at);
    v = 0.0;
  }
  if (ld->out_type == VP_VOXEL_I32 && (v < INT32_MIN || v > INT32_MAX)) {
    note_bad(ld, &ld->out_of_range, at);
    v = 0.0;
  }
  switch (ld->out_type) {
  case VP_VOXEL_U8:
    ((uint8_t *)ld->vol->data)[at] = (uint8_t)v;
    break;
  case VP_VOXEL_I16:
    ((int16_t *)ld->vol->data)[at] = (int16_t)v;
    break;
  case VP_VOXEL_U16:
    ((uint16_t *)ld->vol->data)[at] = (uint16_t)v;
    break;
  case VP_VOXEL_I32:
    ((int32_t *)ld->vol->data)[at] = (int32_t)v;
    break;
  case VP_VOXEL_F32:
    ((float *)ld->vol->data)[at] = (float)v;
    break;
  }
}

static void convert_chunk(Load *ld, const unsigned char *bytes, size_t first, size_t count)
{
  size_t size = ld->source->bytes;
  bool same = !ld->scaled && vp_voxel_type_size(ld->out_type) == size &&
              ld->source->code != DT_UINT32 && ld->source->code != DT_INT8;
  if (same && ld->out_type != VP_VOXEL_F32) { /* integers need no checks */
    memcpy((unsigned char *)ld->vol->data + first * size, bytes, count * size);
    return;
  }
  for (size_t i = 0; i < count; i++)
    convert_one(ld, first + i, decode(bytes + i * size, ld->source->code));
}

static bool read_error(Load *ld, size_t done_bytes, size_t need_bytes, VpError *err)
{
  int code = Z_OK;
  const char *why = gzerror(ld->gz, &code);
  char a[32], b[32];
  if (code == Z_DATA_ERROR)
    return vp_error_set(err, VP_ERR_FORMAT, _("the compressed data are corrupt (%s)"), why);
  if (code == Z_ERRNO)
    return vp_error_set(err, VP_ERR_IO, _("read error: %s"), strerror(errno));
  return vp_error_set(err, VP_ERR_TRUNCATED,
                      _("the file ends early: the voxel data stop after %s of %s bytes"),
                      vp_format_count(done_bytes, a), vp_format_count(need_bytes, b));
}

static bool read_voxels(Load *ld, VpError *err)
{
  size_t size = ld->source->bytes, per_chunk = CHUNK_BYTES / size;
  bool swapped = false;
  header_version(ld->header.raw, &swapped);
  unsigned char *chunk = malloc(per_chunk * size);
  if (!chunk)
    return vp_error_set(err, VP_ERR_NOMEM, _("out of memory"));
  bool ok = gzseek(ld->gz, (z_off_t)ld->header.vox_offset, SEEK_SET) >= 0;
  size_t done = 0;
  while (ok && done < ld->voxels) {
    size_t n = ld->voxels - done < per_chunk ? ld->voxels - done : per_chunk;
    int got = gzread(ld->gz, chunk, (unsigned)(n * size));
    ok = got >= 0 && (size_t)got == n * size;
    if (ok) {
      if (swapped && size > 1)
        swap_bytes(chunk, n, size);
      convert_chunk(ld, chunk, done, n);
      done += n;
    }
  }
  free(chunk);
  return ok || read_error(ld, done * size, ld->voxels * size, err);
}

/* Appends ", <part>" (or the first part) to buf. */
static void append_part(char *buf, size_t size, const char *part)
{
  size_t used = strlen(buf);
  snprintf(buf + used, size - used, "%s%s", used ? ", " : "", part);
}

static bool check_values(const Load *ld, VpError *err)
{
  if (ld->nan_count + ld->inf_count + ld->out_of_range == 0)
    return true;
  char what[256] = "", part[128], n[32];
  if (ld->nan_count) {
    snprintf(part, sizeof part, _("%s voxels that are not numbers (NaN)"),
             vp_format_count(ld->nan_count, n));
    append_part(what, sizeof what, part);
  }
  if (ld->inf_count) {
    snprintf(part, sizeof part, _("%s voxels that are infinite or too large for float32"),
             vp_format_count(ld->inf_count, n));
    append_part(what, sizeof what, part);
  }
  if (ld->out_of_range) {
    snprintf(part, sizeof part, _("%s voxels beyond the 32-bit integer range"),
             vp_format_count(ld->out_of_range, n));
    append_part(what, sizeof what, part);
  }
  const VpVolume *v = ld->vol;
  size_t plane = (size_t)v->dims[0] * (size_t)v->dims[1];
  return vp_error_set(err, VP_ERR_FORMAT, _("the file contains %s (the first at voxel %d, %d, %d)"),
                      what, (int)(ld->first_bad % (size_t)v->dims[0]),
                      (int)(ld->first_bad / (size_t)v->dims[0] % (size_t)v->dims[1]),
                      (int)(ld->first_bad / plane));
}

static VpVolume *load_open(Load *ld, const VpVolumeLimits *limits, VpVolumeInfo *info,
                           VpError *err)
{
  if (!read_header(ld, err) || !validate_header(ld, limits, err))
    return NULL;
  nifti_image *nim = convert_header(ld, err);
  if (!nim)
    return NULL;
  fill_info(ld, nim, info);
  int dims[3] = {(int)header_dim(&ld->header, 0), (int)header_dim(&ld->header, 1),
                 (int)header_dim(&ld->header, 2)};
  VpVolumeLimits unlimited = {.max_bytes = SIZE_MAX}; /* check_size applied the cap */
  ld->vol = vp_volume_new(dims, ld->out_type, NULL, &unlimited, err);
  bool ok = ld->vol && set_world_transform(ld->vol, nim, info, err);
  nifti_image_free(nim);
  ok = ok && read_voxels(ld, err) && check_values(ld, err);
  if (!ok) {
    vp_volume_free(ld->vol);
    return NULL;
  }
  return ld->vol;
}

static gzFile open_file(const char *path, VpError *err)
{
  struct stat st;
  if (stat(path, &st) != 0) {
    vp_error_set(err, VP_ERR_IO, _("cannot open: %s"), strerror(errno));
    return NULL;
  }
  if (!S_ISREG(st.st_mode)) {
    vp_error_set(err, VP_ERR_IO, _("not a regular file"));
    return NULL;
  }
  gzFile gz = gzopen(path, "rb");
  if (!gz) {
    vp_error_set(err, errno == ENOMEM ? VP_ERR_NOMEM : VP_ERR_IO, _("cannot open: %s"),
                 strerror(errno));
    return NULL;
  }
  gzbuffer(gz, 256 * 1024);
  return gz;
}

VpVolume *vp_volume_load_nifti(const char *path, const VpVolumeLimits *limits, VpVolumeInfo *info,
                               VpError *err)
{
  nifti_set_debug_level(0); /* the library would print diagnostics to stderr */
  if (!path || !*path) {
    vp_error_set(err, VP_ERR_INVALID, _("no file name given"));
    return NULL;
  }
  VpVolumeInfo scratch;
  if (!info)
    info = &scratch;
  memset(info, 0, sizeof *info);
  Load ld = {.path = path};
  ld.gz = open_file(path, err);
  VpVolume *vol = ld.gz ? load_open(&ld, limits, info, err) : NULL;
  if (ld.gz)
    gzclose(ld.gz);
  if (!vol)
    vp_error_prefix(err, "%s", path);
  return vol;
}

/* ---- saving ---- */

static int datatype_of(VpVoxelType type)
{
  switch (type) {
  case VP_VOXEL_U8:
    return DT_UINT8;
  case VP_VOXEL_I16:
    return DT_INT16;
  case VP_VOXEL_U16:
    return DT_UINT16;
  case VP_VOXEL_I32:
    return DT_INT32;
  case VP_VOXEL_F32:
    return DT_FLOAT32;
  }
  return DT_UNKNOWN;
}

/* The affine as the library's double matrix, for its quaternion code. */
static nifti_dmat44 dmat_of(const VpMat4 *m)
{
  nifti_dmat44 r;
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++)
      r.m[i][j] = m->m[i][j];
  return r;
}

/* A qform can only hold rotation, voxel size and offset: no shear. */
static bool affine_is_orthogonal(const VpMat4 *m)
{
  for (int a = 0; a < 3; a++)
    for (int b = a + 1; b < 3; b++) {
      VpVec3 ca = vp_vec3(m->m[0][a], m->m[1][a], m->m[2][a]);
      VpVec3 cb = vp_vec3(m->m[0][b], m->m[1][b], m->m[2][b]);
      if (fabs(vp_vec3_dot(ca, cb)) > 1e-6 * vp_vec3_length(ca) * vp_vec3_length(cb))
        return false;
    }
  return true;
}

typedef struct Qform {
  double b, c, d, x, y, z, dx, dy, dz, qfac;
} Qform;

static Qform qform_of(const VpVolume *vol)
{
  Qform q;
  nifti_dmat44_to_quatern(dmat_of(&vol->voxel_to_world), &q.b, &q.c, &q.d, &q.x, &q.y, &q.z, &q.dx,
                          &q.dy, &q.dz, &q.qfac);
  return q;
}

static bool header_v1(const VpVolume *vol, unsigned char *out, VpError *err)
{
  int64_t dims[8] = {3, vol->dims[0], vol->dims[1], vol->dims[2], 1, 1, 1, 1};
  nifti_1_header *h = nifti_make_new_n1_header(dims, datatype_of(vol->type));
  if (!h)
    return vp_error_set(err, VP_ERR_NOMEM, _("out of memory"));
  const VpMat4 *m = &vol->voxel_to_world;
  Qform q = qform_of(vol);
  for (int a = 0; a < 3; a++)
    h->pixdim[a + 1] = (float)vol->spacing_mm[a];
  h->pixdim[0] = (float)q.qfac;
  h->vox_offset = 352.0f;
  h->scl_slope = 1.0f;
  h->scl_inter = 0.0f;
  h->xyzt_units = NIFTI_UNITS_MM;
  h->qform_code = affine_is_orthogonal(m) ? NIFTI_XFORM_SCANNER_ANAT : NIFTI_XFORM_UNKNOWN;
  h->sform_code = NIFTI_XFORM_SCANNER_ANAT;
  h->quatern_b = (float)q.b, h->quatern_c = (float)q.c, h->quatern_d = (float)q.d;
  h->qoffset_x = (float)q.x, h->qoffset_y = (float)q.y, h->qoffset_z = (float)q.z;
  for (int j = 0; j < 4; j++) {
    h->srow_x[j] = (float)m->m[0][j];
    h->srow_y[j] = (float)m->m[1][j];
    h->srow_z[j] = (float)m->m[2][j];
  }
  snprintf(h->descrip, sizeof h->descrip, "Vertebra Planner");
  memcpy(h->magic, "n+1", 4);
  memcpy(out, h, N1_HEADER_BYTES);
  memset(out + N1_HEADER_BYTES, 0, 4); /* extender: no extensions */
  free(h);
  return true;
}

static bool header_v2(const VpVolume *vol, unsigned char *out, VpError *err)
{
  int64_t dims[8] = {3, vol->dims[0], vol->dims[1], vol->dims[2], 1, 1, 1, 1};
  nifti_2_header *h = nifti_make_new_n2_header(dims, datatype_of(vol->type));
  if (!h)
    return vp_error_set(err, VP_ERR_NOMEM, _("out of memory"));
  const VpMat4 *m = &vol->voxel_to_world;
  Qform q = qform_of(vol);
  for (int a = 0; a < 3; a++)
    h->pixdim[a + 1] = vol->spacing_mm[a];
  h->pixdim[0] = q.qfac;
  h->vox_offset = N2_HEADER_BYTES + 4;
  h->scl_slope = 1.0;
  h->scl_inter = 0.0;
  h->xyzt_units = NIFTI_UNITS_MM;
  h->qform_code = affine_is_orthogonal(m) ? NIFTI_XFORM_SCANNER_ANAT : NIFTI_XFORM_UNKNOWN;
  h->sform_code = NIFTI_XFORM_SCANNER_ANAT;
  h->quatern_b = q.b, h->quatern_c = q.c, h->quatern_d = q.d;
  h->qoffset_x = q.x, h->qoffset_y = q.y, h->qoffset_z = q.z;
  for (int j = 0; j < 4; j++) {
    h->srow_x[j] = m->m[0][j];
    h->srow_y[j] = m->m[1][j];
    h->srow_z[j] = m->m[2][j];
  }
  snprintf(h->descrip, sizeof h->descrip, "Vertebra Planner");
  memcpy(h->magic, "n+2\0\r\n\032\n", 8);
  memcpy(out, h, N2_HEADER_BYTES);
  memset(out + N2_HEADER_BYTES, 0, 4);
  free(h);
  return true;
}

static bool ends_with(const char *s, const char *suffix)
{
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Makes room for more compressed output; false when memory runs out. */
static bool grow_output(z_stream *zs, unsigned char **out, size_t *cap)
{
  size_t used = (size_t)zs->total_out, grown = *cap + *cap / 2 + 4096; /* all output is ours */
  unsigned char *bigger = grown > *cap ? realloc(*out, grown) : NULL;
  if (!bigger)
    return false;
  *out = bigger;
  *cap = grown;
  zs->next_out = bigger + used;
  zs->avail_out = (uInt)(grown - used < UINT_MAX ? grown - used : UINT_MAX);
  return true;
}

/* Appends input to a gzip stream held in a growing buffer; flush Z_FINISH
 * ends the stream. */
static bool deflate_into(z_stream *zs, const unsigned char *in, size_t size, int flush,
                         unsigned char **out, size_t *cap)
{
  size_t done = 0;
  do {
    size_t piece = size - done < (1u << 30) ? size - done : (1u << 30);
    zs->next_in = (unsigned char *)in + done;
    zs->avail_in = (uInt)piece;
    done += piece;
    int mode = done == size ? flush : Z_NO_FLUSH;
    for (;;) {
      if (zs->avail_out == 0 && !grow_output(zs, out, cap))
        return false;
      int rc = deflate(zs, mode);
      if (rc == Z_STREAM_ERROR)
        return false;
      if (mode == Z_FINISH ? rc == Z_STREAM_END : zs->avail_in == 0 && zs->avail_out != 0)
        break;
    }
  } while (done < size);
  return true;
}

static unsigned char *gzip_file(const unsigned char *head, size_t head_size,
                                const unsigned char *data, size_t data_size, size_t *out_size)
{
  z_stream zs = {0};
  if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return NULL;
  size_t cap = head_size + data_size / 4 + 4096;
  unsigned char *out = malloc(cap);
  bool ok = out != NULL;
  if (ok) {
    zs.next_out = out;
    zs.avail_out = (uInt)(cap < UINT_MAX ? cap : UINT_MAX);
    ok = deflate_into(&zs, head, head_size, Z_NO_FLUSH, &out, &cap) &&
         deflate_into(&zs, data, data_size, Z_FINISH, &out, &cap);
  }
  *out_size = zs.total_out;
  deflateEnd(&zs);
  if (!ok) {
    free(out);
    return NULL;
  }
  return out;
}

static unsigned char *plain_file(const unsigned char *head, size_t head_size,
                                 const unsigned char *data, size_t data_size, size_t *out_size)
{
  if (data_size > SIZE_MAX - head_size)
    return NULL;
  unsigned char *out = malloc(head_size + data_size);
  if (out) {
    memcpy(out, head, head_size);
    memcpy(out + head_size, data, data_size);
    *out_size = head_size + data_size;
  }
  return out;
}

bool vp_volume_save_nifti(const VpVolume *vol, const char *path, VpError *err)
{
  unsigned char head[N2_HEADER_BYTES + 4];
  bool v2 = vol->dims[0] > INT16_MAX || vol->dims[1] > INT16_MAX || vol->dims[2] > INT16_MAX;
  size_t head_size = v2 ? N2_HEADER_BYTES + 4 : N1_HEADER_BYTES + 4;
  if (!(v2 ? header_v2(vol, head, err) : header_v1(vol, head, err)))
    return false;
  size_t data_size = vp_volume_voxel_count(vol) * vp_voxel_type_size(vol->type), size = 0;
  unsigned char *file = ends_with(path, ".gz")
                            ? gzip_file(head, head_size, vol->data, data_size, &size)
                            : plain_file(head, head_size, vol->data, data_size, &size);
  if (!file) {
    char n[32];
    vp_error_set(err, VP_ERR_NOMEM, _("out of memory while encoding %s bytes of voxel data"),
                 vp_format_count(data_size, n));
    vp_error_prefix(err, "%s", path);
    return false;
  }
  bool ok = vp_file_write_atomic(path, file, size, err);
  free(file);
  return ok;
}
