/* Label masks: which labels a mask holds, how large each is, and the VerSe
 * names of vertebra levels. */
#include "vp-volume.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vp-intl-private.h"

/* Enough for any real mask; a wider value span means the input is no mask. */
#define MAX_LABEL_SPAN (1u << 20)

int vp_label_from_value(double value)
{
  if (!(fabs(value) < 2147483647.0)) /* NaN and out-of-range values are no label */
    return 0;
  return (int)lround(value);
}

static const struct {
  int label;
  const char *name;
} levels[] = {
  {1, "C1"},   {2, "C2"},   {3, "C3"},   {4, "C4"},   {5, "C5"},   {6, "C6"},  {7, "C7"},
  {8, "T1"},   {9, "T2"},   {10, "T3"},  {11, "T4"},  {12, "T5"},  {13, "T6"}, {14, "T7"},
  {15, "T8"},  {16, "T9"},  {17, "T10"}, {18, "T11"}, {19, "T12"}, {20, "L1"}, {21, "L2"},
  {22, "L3"},  {23, "L4"},  {24, "L5"},  {25, "L6"},  {28, "T13"},
};

const char *vp_level_name(int label)
{
  for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
    if (levels[i].label == label)
      return levels[i].name;
  return NULL;
}

int vp_level_label(const char *name)
{
  if (!name)
    return -1;
  for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
    if (strcasecmp(levels[i].name, name) == 0)
      return levels[i].label;
  return -1;
}

/* Smallest and largest label in the mask; false when a value lies beyond
 * the int range, where rounding to a label would not be monotonic. */
static bool label_range(double min, double max, int *lo, int *hi)
{
  if (isnan(min)) { /* only NaN values: no labels at all */
    *lo = *hi = 0;
    return true;
  }
  *lo = vp_label_from_value(min);
  *hi = vp_label_from_value(max);
  return fabs(min) < 2147483647.0 && fabs(max) < 2147483647.0;
}

/* Voxel counts per label in [lo, lo + span), typed loops for speed. */
static void count_labels(const VpVolume *mask, int lo, uint64_t *counts)
{
  size_t n = vp_volume_voxel_count(mask);
  switch (mask->type) {
  case VP_VOXEL_U8:
    for (size_t at = 0; at < n; at++)
      counts[((const uint8_t *)mask->data)[at] - lo]++;
    break;
  case VP_VOXEL_I16:
    for (size_t at = 0; at < n; at++)
      counts[((const int16_t *)mask->data)[at] - lo]++;
    break;
  case VP_VOXEL_U16:
    for (size_t at = 0; at < n; at++)
      counts[((const uint16_t *)mask->data)[at] - lo]++;
    break;
  case VP_VOXEL_I32:
    for (size_t at = 0; at < n; at++)
      counts[(int64_t)((const int32_t *)mask->data)[at] - lo]++;
    break;
  case VP_VOXEL_F32:
    for (size_t at = 0; at < n; at++) {
      float v = ((const float *)mask->data)[at];
      if (!isnan(v))
        counts[(int64_t)vp_label_from_value(v) - lo]++;
    }
    break;
  }
}

static bool fill_stats(const VpVolume *mask, const uint64_t *counts, int lo, size_t span,
                       VpLabelStats *out, VpError *err)
{
  size_t present = 0;
  for (size_t i = 0; i < span; i++)
    present += counts[i] && lo + (int64_t)i != 0;
  out->labels = calloc(present ? present : 1, sizeof *out->labels);
  if (!out->labels)
    return vp_error_set(err, VP_ERR_NOMEM, _("out of memory"));
  double voxel_ml = vp_volume_voxel_volume_mm3(mask) / 1000.0;
  for (size_t i = 0; i < span; i++) {
    int label = (int)(lo + (int64_t)i);
    if (!counts[i] || label == 0)
      continue;
    out->labels[out->count++] =
        (VpLabelCount){.label = label, .voxel_count = counts[i],
                       .volume_ml = (double)counts[i] * voxel_ml};
  }
  return true;
}

bool vp_volume_label_stats(const VpVolume *mask, VpLabelStats *out, VpError *err)
{
  memset(out, 0, sizeof *out);
  int lo, hi;
  double min, max;
  vp_volume_value_range(mask, &min, &max);
  bool in_range = label_range(min, max, &lo, &hi);
  size_t span = (size_t)((int64_t)hi - lo + 1);
  if (!in_range || span > MAX_LABEL_SPAN)
    return vp_error_set(err, VP_ERR_LIMIT,
                        _("the values run from %g to %g, too many distinct labels for a mask; is "
                          "this an image rather than a label mask?"),
                        min, max);
  uint64_t *counts = calloc(span, sizeof *counts);
  if (!counts)
    return vp_error_set(err, VP_ERR_NOMEM, _("out of memory"));
  count_labels(mask, lo, counts);
  bool ok = fill_stats(mask, counts, lo, span, out, err);
  free(counts);
  return ok;
}

void vp_label_stats_clear(VpLabelStats *stats)
{
  free(stats->labels);
  stats->labels = NULL;
  stats->count = 0;
}

const VpLabelCount *vp_label_stats_find(const VpLabelStats *stats, int label)
{
  for (size_t i = 0; i < stats->count; i++)
    if (stats->labels[i].label == label)
      return &stats->labels[i];
  return NULL;
}

void vp_label_stats_format(const VpLabelStats *stats, char *buf, size_t size)
{
  if (size == 0)
    return;
  buf[0] = '\0';
  size_t used = 0;
  for (size_t i = 0; i < stats->count; i++) {
    char item[48];
    const char *name = vp_level_name(stats->labels[i].label);
    if (name)
      snprintf(item, sizeof item, "%s%d (%s)", i ? ", " : "", stats->labels[i].label, name);
    else
      snprintf(item, sizeof item, "%s%d", i ? ", " : "", stats->labels[i].label);
    size_t len = strlen(item);
    if (used + len + 5 > size) { /* keep room for ", ..." */
      snprintf(buf + used, size - used, ", ...");
      return;
    }
    memcpy(buf + used, item, len + 1);
    used += len;
  }
}

bool vp_volume_require_label(const VpVolume *mask, int label, VpError *err)
{
  VpLabelStats stats;
  if (!vp_volume_label_stats(mask, &stats, err))
    return false;
  bool found = vp_label_stats_find(&stats, label) != NULL;
  if (!found && stats.count == 0)
    vp_error_set(err, VP_ERR_INVALID, _("label %d is not in the mask: the mask has no labels"),
                 label);
  else if (!found) {
    char present[400];
    vp_label_stats_format(&stats, present, sizeof present);
    vp_error_set(err, VP_ERR_INVALID, _("label %d is not in the mask; labels present: %s"), label,
                 present);
  }
  vp_label_stats_clear(&stats);
  return found;
}
