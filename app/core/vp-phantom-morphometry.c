/* The level table of the phantom generator: default shape of each vertebra
 * T1-L5, with the source of every figure (see DOMAIN.md). Where no source in
 * DOMAIN.md gives a figure the value is an anatomical estimate, interpolated
 * between levels, and says so ("estimate"). */
#include <string.h>

#include "vp-phantom-private.h"

#define FIRST_LABEL 8 /* T1 */
#define LAST_LABEL 24 /* L5 */
#define LEVEL_COUNT (LAST_LABEL - FIRST_LABEL + 1)

/* Per level: W D Ha Hp | canal w d | pedicle w h | angles transverse sagittal |
 * spinous length angle height | transverse length sweep thickness |
 * articular height | facet angle. mm and degrees. */
/* clang-format off */
static const double table[LEVEL_COUNT][MORPH_COLUMN_COUNT] = {
  /* T1  */ {25.5, 16.0, 13.8, 14.5, 21.0, 15.0, 9.3, 8.6, 35, 10, 38, 25, 9.0, 24, 25, 9, 8, 75},
  /* T2  */ {26.0, 17.0, 14.8, 15.5, 18.0, 15.0, 7.6, 9.3, 29, 12, 40, 40, 8.5, 23, 35, 9, 7, 75},
  /* T3  */ {26.5, 18.5, 15.3, 16.0, 16.5, 14.8, 5.9, 9.9, 23, 13, 40, 50, 8.0, 22, 40, 9, 7, 75},
  /* T4  */ {27.0, 20.0, 15.8, 16.5, 15.6, 14.7, 4.5, 10.4, 18, 14, 40, 55, 8.0, 21, 42, 9, 7, 75},
  /* T5  */ {28.0, 22.0, 16.3, 17.0, 15.4, 14.8, 4.6, 10.9, 14, 14, 40, 58, 8.0, 20, 43, 9, 7, 75},
  /* T6  */ {29.0, 23.5, 16.8, 17.5, 15.4, 14.9, 5.0, 11.4, 11, 14, 40, 60, 8.0, 20, 43, 9, 7, 75},
  /* T7  */ {30.0, 25.0, 17.3, 18.0, 15.5, 15.0, 5.5, 11.9, 8, 14, 40, 60, 8.0, 19, 43, 9, 7, 75},
  /* T8  */ {31.5, 26.5, 17.9, 18.7, 15.8, 15.2, 6.3, 12.4, 6, 14, 38, 58, 8.5, 19, 42, 9, 7, 72},
  /* T9  */ {33.0, 27.5, 18.5, 19.3, 16.2, 15.4, 6.8, 13.0, 3, 13, 36, 52, 9.0, 18, 40, 9, 7, 70},
  /* T10 */ {35.0, 28.5, 19.3, 20.2, 16.8, 15.6, 7.3, 13.7, 0, 12, 34, 42, 10, 16, 38, 9, 7, 65},
  /* T11 */ {37.5, 29.5, 20.3, 21.2, 18.2, 16.2, 7.8, 15.5, -5, 10, 30, 30, 12, 11, 30, 8, 8, 50},
  /* T12 */ {39.5, 30.5, 21.2, 22.2, 20.5, 17.0, 8.3, 16.2, -10, 8, 28, 18, 15, 8, 25, 8, 9, 40},
  /* L1  */ {41.2, 31.5, 22.5, 23.2, 23.7, 17.5, 8.6, 16.7, 8, 5, 27, 10, 18, 16, 12, 5, 8, 25},
  /* L2  */ {42.8, 33.0, 23.6, 23.7, 23.9, 17.6, 8.3, 16.0, 11, 3, 29, 8, 19, 20, 10, 5, 8, 30},
  /* L3  */ {44.5, 34.0, 24.5, 24.0, 24.3, 17.9, 10.2, 15.3, 14, 2, 30, 5, 20, 25, 8, 5, 8, 38},
  /* L4  */ {46.0, 34.5, 25.3, 24.3, 25.0, 18.5, 14.1, 14.6, 18, 0, 28, 5, 19, 20, 8, 6, 8, 45},
  /* L5  */ {47.3, 35, 26.5, 22.9, 27.1, 19.7, 18.6, 13.9, 25, -2, 22, 10, 15, 17, 12, 10, 8, 55},
};
/* clang-format on */

/* Parameter name of each column; the pedicle columns set both sides. */
static const char *const column_names[MORPH_COLUMN_COUNT] = {
    "body_width_mm",
    "body_depth_mm",
    "body_height_anterior_mm",
    "body_height_posterior_mm",
    "canal_width_mm",
    "canal_depth_mm",
    "pedicle_width_mm",
    "pedicle_height_mm",
    "pedicle_transverse_angle_deg",
    "pedicle_sagittal_angle_deg",
    "spinous_length_mm",
    "spinous_angle_deg",
    "spinous_height_mm",
    "transverse_length_mm",
    "transverse_angle_deg",
    "transverse_thickness_mm",
    "articular_height_mm",
    "facet_angle_deg",
};

static bool is_lumbar(int label) { return label >= 20; }

void phantom_morphometry_fill(VpPhantomParams *p, int label)
{
  const double *row = table[label - FIRST_LABEL];
  p->body_width_mm = row[MORPH_BODY_WIDTH];
  p->body_depth_mm = row[MORPH_BODY_DEPTH];
  p->body_height_anterior_mm = row[MORPH_BODY_HEIGHT_ANTERIOR];
  p->body_height_posterior_mm = row[MORPH_BODY_HEIGHT_POSTERIOR];
  p->canal_width_mm = row[MORPH_CANAL_WIDTH];
  p->canal_depth_mm = row[MORPH_CANAL_DEPTH];
  p->pedicle_width_left_mm = p->pedicle_width_right_mm = row[MORPH_PEDICLE_WIDTH];
  p->pedicle_height_left_mm = p->pedicle_height_right_mm = row[MORPH_PEDICLE_HEIGHT];
  p->pedicle_transverse_angle_deg = row[MORPH_TRANSVERSE_ANGLE];
  p->pedicle_sagittal_angle_deg = row[MORPH_SAGITTAL_ANGLE];
  p->spinous_length_mm = row[MORPH_SPINOUS_LENGTH];
  p->spinous_angle_deg = row[MORPH_SPINOUS_ANGLE];
  p->spinous_height_mm = row[MORPH_SPINOUS_HEIGHT];
  p->transverse_length_mm = row[MORPH_TRANSVERSE_LENGTH];
  p->transverse_angle_deg = row[MORPH_TRANSVERSE_SWEEP];
  p->transverse_thickness_mm = row[MORPH_TRANSVERSE_THICKNESS];
  p->articular_height_mm = row[MORPH_ARTICULAR_HEIGHT];
  p->facet_angle_deg = row[MORPH_FACET_ANGLE];
  /* Shape details without a published per-level figure (estimates). */
  p->body_waist_mm = is_lumbar(label) ? 1.8 : 1.2;
  p->endplate_concavity_mm = is_lumbar(label) ? 1.4 : 1.0;
  p->posterior_wall_concavity_mm = is_lumbar(label) ? 2.5 : 2.0;
  p->body_heart_taper = is_lumbar(label) ? 0.05 : 0.25;
  p->pedicle_offset_mm = is_lumbar(label) ? 4.5 : 3.5;
  /* T11 and T12 are transitional: their arch is nearly lumbar. */
  p->lamina_thickness_mm = is_lumbar(label) ? 7.5 : label >= 18 ? 6.5 : 5.5;
  p->spinous_thickness_mm = is_lumbar(label) ? 7.0 : label >= 18 ? 6.5 : 5.5;
}

static const char *pedicle_width_source(int label)
{
  switch (label) {
  case 8:  /* T1 */
  case 11: /* T4 */
    return "Kaur 2016";
  case 15: /* T8 */
  case 19: /* T12 */
    return "secondary compilation (DOMAIN.md)";
  default:
    return is_lumbar(label) ? "Panjabi 1992" : "estimate";
  }
}

const char *phantom_morphometry_source(int label, MorphColumn column)
{
  switch (column) {
  case MORPH_PEDICLE_WIDTH:
    return pedicle_width_source(label);
  case MORPH_PEDICLE_HEIGHT:
    return "estimate (within the PMC2200778 ranges)";
  case MORPH_TRANSVERSE_ANGLE:
    return label == 8 || label == 19 ? "Kaur 2016" : "estimate";
  case MORPH_BODY_WIDTH:
    return is_lumbar(label) ? "Panjabi 1992 (range, interpolated)" : "estimate";
  case MORPH_BODY_HEIGHT_POSTERIOR:
    return is_lumbar(label) ? "Panjabi 1992 (range, interpolated)" : "estimate";
  case MORPH_CANAL_WIDTH:
  case MORPH_CANAL_DEPTH:
    return is_lumbar(label) ? "Panjabi 1992 (range, interpolated)" : "estimate";
  default:
    return "estimate";
  }
}

int phantom_morphometry_column(const char *param_name)
{
  static const struct {
    const char *name;
    MorphColumn column;
  } sided[] = {
      {"pedicle_width_left_mm", MORPH_PEDICLE_WIDTH},
      {"pedicle_width_right_mm", MORPH_PEDICLE_WIDTH},
      {"pedicle_height_left_mm", MORPH_PEDICLE_HEIGHT},
      {"pedicle_height_right_mm", MORPH_PEDICLE_HEIGHT},
  };
  for (int c = 0; c < MORPH_COLUMN_COUNT; c++)
    if (strcmp(param_name, column_names[c]) == 0)
      return c;
  for (size_t i = 0; i < sizeof sided / sizeof sided[0]; i++)
    if (strcmp(param_name, sided[i].name) == 0)
      return (int)sided[i].column;
  return -1;
}
