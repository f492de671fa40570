/* The published reference ranges of a vertebra's measurements, per level
 * (DOMAIN.md): shown beside the measured figures and used to check real
 * scans. Every range names its source; a figure not published for a level
 * is left unknown rather than guessed. */
#include "vp-anatomy-private.h"

#include <string.h>

/* Zindrick 1987 reports standard deviations of 2.1-4.1 mm for the lumbar
 * isthmus width. The range is the lower of the two published means minus
 * 3 SD to the higher plus 3 SD, with the smallest reported SD, so the range
 * stays a check rather than anything goes (4.1 mm would reach below zero at
 * L1-L3). The same SD stands for the thoracic means, which come without
 * one. */
#define PEDICLE_WIDTH_SD_MM 2.1
#define PEDICLE_WIDTH_SPREAD (3.0 * PEDICLE_WIDTH_SD_MM)

/* A band of ±10 degrees around a transverse angle published as "about". */
#define ABOUT_ANGLE_BAND_DEG 10.0

typedef struct LevelWidth {
  const char *level;
  double mean_low, mean_high; /* the smaller and larger published mean */
  const char *source;
} LevelWidth;

static const LevelWidth pedicle_widths[] = {
    {"T1", 9.3, 9.3, "Kaur 2016 (mean 9.3 mm ± 3 SD, SD 2.1 mm assumed)"},
    {"T4", 4.5, 4.5, "Kaur 2016 (mean about 4.5 mm ± 3 SD, SD 2.1 mm assumed)"},
    {"T8", 6.3, 6.3, "compilation (mean 6.3 mm ± 3 SD, SD 2.1 mm assumed)"},
    {"T12", 8.3, 8.3, "compilation (mean 8.3 mm ± 3 SD, SD 2.1 mm assumed)"},
    {"L1", 8.6, 8.7, "Panjabi 1992, Zindrick 1987 (means 8.6-8.7 mm ± 3 SD, SD 2.1 mm)"},
    {"L2", 8.3, 8.9, "Panjabi 1992, Zindrick 1987 (means 8.3-8.9 mm ± 3 SD, SD 2.1 mm)"},
    {"L3", 10.2, 10.3, "Panjabi 1992, Zindrick 1987 (means 10.2-10.3 mm ± 3 SD, SD 2.1 mm)"},
    {"L4", 12.9, 14.1, "Panjabi 1992, Zindrick 1987 (means 12.9-14.1 mm ± 3 SD, SD 2.1 mm)"},
    {"L5", 18.0, 18.6, "Panjabi 1992, Zindrick 1987 (means 18.0-18.6 mm ± 3 SD, SD 2.1 mm)"},
};

typedef struct LevelAngle {
  const char *level;
  double low, high;
  const char *source;
} LevelAngle;

static const LevelAngle transverse_angles[] = {
    {"T1", 35.0 - ABOUT_ANGLE_BAND_DEG, 35.0 + ABOUT_ANGLE_BAND_DEG,
     "Kaur 2016 (about 35 degrees, ±10 degrees shown)"},
    {"T12", -10.0 - ABOUT_ANGLE_BAND_DEG, -10.0 + ABOUT_ANGLE_BAND_DEG,
     "Kaur 2016 (about -10 degrees, ±10 degrees shown)"},
    {"L5", 20.0, 30.0, "roughly 20-30 degrees at L5 [check]"},
};

/* 'T' or 'L' and the number, for the levels this table covers; 0 for others. */
static char level_region(const char *level, int *number)
{
  if (!level || (level[0] != 'C' && level[0] != 'T' && level[0] != 'L' && level[0] != 'S'))
    return '\0';
  int n = 0, digits = 0;
  for (const char *p = level + 1; *p; p++, digits++) {
    if (*p < '0' || *p > '9' || digits >= 2)
      return '\0';
    n = n * 10 + (*p - '0');
  }
  static const int last[] = {['C' - 'C'] = 7, ['L' - 'C'] = 6, ['S' - 'C'] = 1, ['T' - 'C'] = 13};
  if (digits == 0 || n < 1 || n > last[level[0] - 'C'] || (digits == 2 && level[1] == '0'))
    return '\0';
  *number = n;
  return level[0];
}

static VpAnatomyRange known_range(double low, double high, const char *source)
{
  return (VpAnatomyRange){.known = true, .low = low < 0.0 ? 0.0 : low, .high = high,
                          .source = source};
}

static void set_pedicle_width(const char *level, VpAnatomyReference *out)
{
  for (size_t i = 0; i < sizeof pedicle_widths / sizeof pedicle_widths[0]; i++) {
    const LevelWidth *w = &pedicle_widths[i];
    if (strcmp(w->level, level) == 0)
      out->pedicle_width_mm = known_range(w->mean_low - PEDICLE_WIDTH_SPREAD,
                                          w->mean_high + PEDICLE_WIDTH_SPREAD, w->source);
  }
}

static void set_transverse_angle(const char *level, VpAnatomyReference *out)
{
  for (size_t i = 0; i < sizeof transverse_angles / sizeof transverse_angles[0]; i++) {
    const LevelAngle *a = &transverse_angles[i];
    if (strcmp(a->level, level) == 0)
      out->transverse_angle_deg = (VpAnatomyRange){true, a->low, a->high, a->source};
  }
}

/* Safe-zone heights (PMC2200778): the range over T1-T10 and over T11-L5. */
static void set_pedicle_height(char region, int number, VpAnatomyReference *out)
{
  if (region == 'T' && number <= 10)
    out->pedicle_height_mm =
        known_range(8.6, 13.7, "PMC2200778 (safe zone height, range over T1-T10)");
  else if ((region == 'T' && number <= 12) || (region == 'L' && number <= 5))
    out->pedicle_height_mm =
        known_range(13.9, 16.7, "PMC2200778 (safe zone height, range over T11-L5)");
}

/* Panjabi 1992 gives the lumbar body and canal as ranges over L1-L5 means. */
static void set_lumbar_body(char region, int number, VpAnatomyReference *out)
{
  if (region != 'L' || number > 5)
    return;
  out->posterior_body_height_mm =
      known_range(22.9, 24.3, "Panjabi 1992 (range of the L1-L5 means)");
  out->endplate_width_mm = known_range(41.2, 47.3, "Panjabi 1992 (upper endplate, L1-L5 means)");
  out->canal_width_mm = known_range(23.7, 27.1, "Panjabi 1992 (range of the L1-L5 means)");
  out->canal_depth_mm = known_range(17.5, 19.7, "Panjabi 1992 (range of the L1-L5 means)");
}

bool vp_anatomy_reference(const char *level, VpAnatomyReference *out)
{
  memset(out, 0, sizeof *out);
  int number = 0;
  char region = level_region(level, &number);
  if (!region)
    return false;
  set_pedicle_width(level, out);
  set_transverse_angle(level, out);
  set_pedicle_height(region, number, out);
  set_lumbar_body(region, number, out);
  return true;
}
