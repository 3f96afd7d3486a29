"""The rule of protection, printed in every output, and the smallest cell size it is applied with."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from indicators.disclosure import MAX_PERTURBATION

# The rule, printed in every output.
RULE_TITLE = gettext_lazy("How figures are protected")


def rule_points(k: int) -> list[str]:
    return [
        _(
            "Only cases whose survivor consented to use in anonymised statistics, and has not withdrawn that "
            "consent, are counted (GBVIMS information-sharing practice). The number left out is shown, and "
            "protected in the same way."
        ),
        _(
            "A person with cases at several trusted addresses is counted once (matched by a keyed index, "
            "without reading any name)."
        ),
        _(
            "A count of people below %(k)s, zero included, is shown as “<%(k)s”, never as a number: “<%(k)s” "
            "does not even say whether anybody is there. Counts of services and referrals are treated the same "
            "way."
        )
        % {"k": k},
        _(
            "Every other count is shown with a small change of at most %(d)s either way, and most with none "
            "(the cell-key method of the UK's 2021 Census and the Australian Bureau of Statistics). The same "
            "figure always has the same value, in every report, download and DHIS2 export; a total may differ "
            "from the sum of its parts by a few, and no count can be worked out exactly by subtracting figures "
            "from each other. Nights and amounts are changed by up to 10%% and rounded."
        )
        % {"d": MAX_PERTURBATION},
        _(
            "A count in which one trusted address's cases are nearly everything — fewer than %(k)s would be "
            "left without them — is hidden (“×”), so that no figure is one trusted address's caseload. "
            "Services, nights, amounts, medians and rates about hidden people are hidden with them. The finest "
            "area reported is the commune."
        )
        % {"k": k},
        _(
            "An ethnic minority group is listed on its own where the province counts %(k)s or more survivors "
            "of that group in the period; the other groups are counted together as “Other minority groups”. "
            "Every report of the province lists the same groups."
        )
        % {"k": k},
        _(
            "Reports cover fixed periods (month, quarter, year, programme phase) and administrative areas "
            "only, and agree with the reports of the areas that contain them."
        ),
        _(
            "Counts of trusted addresses, partners and livelihood models are not counts of people and are "
            "shown as they are. No list of cases is ever shown."
        ),
    ]


def min_cell() -> int:
    return int(getattr(settings, "INDICATORS_MIN_CELL", 5))

