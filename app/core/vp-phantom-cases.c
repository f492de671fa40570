/* Titles and teaching notes of the cases shipped with the application. The
 * shapes are in resources/cases/<n>-<id>.json; the texts live here so
 * gettext extracts them and the application shows them translated. */
#include <string.h>

#include "vp-intl-private.h"
#include "vp-phantom.h"

static const VpTeachingCase cases[] = {
    {"l1-osteoporotic-wedge", N_("L1 osteoporotic wedge fracture, Genant grade 2"),
     /* xgettext:no-c-format */
     N_("An osteoporotic L1 (trabecular bone about 85 HU) with a wedge compression fracture: the "
        "anterior height is about a third lower than expected, Genant grade 2. This is the routine "
        "case for bipedicular vertebroplasty. Both pedicles are wide enough for an 11 G needle, so "
        "plan one transpedicular needle per side with each tip in the anterior third of the body, "
        "and aim for a cement volume of about 15-30 % of the body's volume. On the lateral view "
        "each tip must have passed the posterior wall before, on the AP view, it crosses the "
        "medial wall of its pedicle.")},
    {"l3-lytic-posterior-breach", N_("L3 lytic metastasis breaking through the posterior wall"),
     N_("A lytic metastasis fills the posterior half of the L3 body and has destroyed part of the "
        "posterior wall, so the tumour lies open to the spinal canal. Cortical disruption was the "
        "strongest risk factor for cement leakage in a meta-analysis (odds ratio 5.6), and cement "
        "that leaks backwards reaches the epidural space and the nerve roots. Place the needle "
        "tips "
        "anterior to the lesion, prefer high-viscosity cement in small portions, and stop when "
        "cement nears the posterior wall. Posterior wall involvement is a relative "
        "contraindication: weigh it and record it.")},
    {"t12-kummell-cleft", N_("T12 fracture with an intravertebral gas cleft (Kümmell)"),
     N_("T12 has collapsed in a wedge fracture and holds a gas-filled cleft (about -900 HU) "
        "below its superior endplate, the sign of a fracture that has not healed (Kümmell "
        "disease). Cement runs into the cleft first and fills it before it spreads into the "
        "trabecular bone around it. That helps to stabilise the body, but a cleft also raises the "
        "risk of leakage, above all into the disc. Aim the needle tips into the cleft and follow "
        "how it fills.")},
    {"t8-metastasis", N_("T8 metastasis: small pedicles, parapedicular route"),
     N_("A lytic metastasis sits in the left half of the T8 body. Mid-thoracic pedicles are "
        "narrow, here about 5 mm, so a transpedicular 11 G needle does not fit with the usual "
        "margin of about 1 mm on each side. Compare a thinner needle with the parapedicular route: "
        "it enters between the lateral wall of the pedicle and the rib head at the costovertebral "
        "joint, at a steeper medial angle of about 20-30 degrees, with the lung lateral to the "
        "path.")},
    {"t5-narrow-pedicles", N_("T5 with pedicles of about 4 mm"),
     N_("An osteoporotic T5 with a mild wedge fracture and pedicles only about 4 mm wide; most "
        "T4 and T5 pedicles are narrower than 5 mm (Kaur 2016). An 11 G needle (3.05 mm) with a "
        "margin of about 1 mm on each side needs at least 5 mm, so the transpedicular 11 G route "
        "must be refused "
        "here. Plan with a thinner needle (13-15 G) or by the parapedicular route past the rib "
        "head, and check the clearance to the medial pedicle wall along the whole path.")},
    {"l4-normal", N_("L4 normal anatomy: free practice"),
     N_("A normal L4 with healthy bone and no fracture, for free practice. Find the pedicle axes, "
        "place needles by the transpedicular route, compare unipedicular access across the "
        "midline (most successful at L3-L4) with bipedicular access, and see how a planned cement "
        "volume compares with the volume of the body.")},
};

#define CASE_COUNT (sizeof cases / sizeof cases[0])

size_t vp_teaching_case_count(void) { return CASE_COUNT; }

const VpTeachingCase *vp_teaching_case_at(size_t index)
{
  return index < CASE_COUNT ? &cases[index] : NULL;
}

const VpTeachingCase *vp_teaching_case_find(const char *id)
{
  for (size_t i = 0; id && i < CASE_COUNT; i++)
    if (strcmp(cases[i].id, id) == 0)
      return &cases[i];
  return NULL;
}
