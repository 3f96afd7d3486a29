"""GBVIMS incident classification: the guided questions, asked in GBVIMS order.

The first "yes" decides the core type; the answers are stored beside the result so the choice can be
checked later. (GBVIMS Classification Tool: rape, sexual assault, physical assault, forced marriage,
denial of resources, psychological/emotional abuse, then non-GBV.)
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise


class GBVType(models.TextChoices):
    RAPE = "rape", _("Rape")
    SEXUAL_ASSAULT = "sexual_assault", _("Sexual assault")
    PHYSICAL_ASSAULT = "physical_assault", _("Physical assault")
    FORCED_MARRIAGE = "forced_marriage", _("Forced marriage")
    DENIAL_OF_RESOURCES = "denial_of_resources", _("Denial of resources, opportunities or services")
    PSYCHOLOGICAL_ABUSE = "psychological_abuse", _("Psychological / emotional abuse")
    NON_GBV = "non_gbv", _("Not gender-based violence")


# (answer key, question, the type a "yes" decides), in the order they must be asked.
QUESTIONS: tuple[tuple[str, StrOrPromise, str], ...] = (
    ("penetration", _("Did the incident include penetration, however slight, of the vagina, anus or "
                      "mouth, with a penis or other body part or object, without consent?"), GBVType.RAPE),
    ("sexual_contact", _("Did it include unwanted sexual contact that did not end in penetration "
                         "(including attempted rape)?"), GBVType.SEXUAL_ASSAULT),
    ("physical", _("Did it include physical assault (hitting, slapping, choking, cutting, burning, "
                   "shoving, or attack with a weapon)?"), GBVType.PHYSICAL_ASSAULT),
    ("forced_marriage", _("Was it an act of forced marriage?"), GBVType.FORCED_MARRIAGE),
    ("denial", _("Did it include denial of rightful access to money, property, work, schooling, health "
                 "care or other services?"), GBVType.DENIAL_OF_RESOURCES),
    ("psychological", _("Did it include psychological or emotional abuse (threats, humiliation, "
                        "confinement, stalking, harassment)?"), GBVType.PSYCHOLOGICAL_ABUSE),
)
ANSWER_KEYS = tuple(key for key, _question, _type in QUESTIONS)


def classify(answers: Mapping[str, bool]) -> GBVType:
    """The core type for these answers: the first "yes" in GBVIMS order, else non-GBV."""
    for key, _question, decided in QUESTIONS:
        if answers.get(key):
            return GBVType(decided)
    return GBVType.NON_GBV
