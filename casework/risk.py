"""Structured danger questions and the level they give.

Adapted from the danger-assessment practice used in GBV case management: some answers alone mean the
danger is severe (threats to kill, strangulation, a weapon); the rest add up.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    SEVERE = "severe", _("Severe")


RISK_ORDER = [RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH, RiskLevel.SEVERE]

# (key, question, weight); weight None means a "yes" alone makes the danger severe.
QUESTIONS: tuple[tuple[str, StrOrPromise, int | None], ...] = (
    ("threat_to_kill", _("Has the person who hurt her threatened to kill her or her children?"), None),
    ("strangled", _("Has she ever been choked or strangled?"), None),
    ("weapon", _("Has a weapon (knife, gun, machete) been used or threatened?"), None),
    ("escalating", _("Has the violence become more frequent or more severe recently?"), 2),
    ("knows_location", _("Does he know where she is now?"), 2),
    ("children_at_risk", _("Are children in danger?"), 2),
    ("forced_sex", _("Has she been forced to have sex?"), 2),
    ("pregnant", _("Is she pregnant or has she given birth in the last year?"), 1),
    ("substance_use", _("Does he often drink heavily or use drugs?"), 1),
    ("controls_daily", _("Does he control her daily life (money, phone, who she sees)?"), 1),
    ("separation", _("Has she recently left him or told him she wants to leave?"), 1),
    ("fears_for_life", _("Does she believe he could kill her?"), 2),
)
ANSWER_KEYS = tuple(key for key, _q, _w in QUESTIONS)


def assess(answers: Mapping[str, bool]) -> RiskLevel:
    score = 0
    for key, _question, weight in QUESTIONS:
        if not answers.get(key):
            continue
        if weight is None:
            return RiskLevel.SEVERE
        score += weight
    if score >= 6:
        return RiskLevel.HIGH
    if score >= 3:
        return RiskLevel.MEDIUM
    return RiskLevel.LOW
