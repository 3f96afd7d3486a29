"""The whole demo, for ``seed_demo``: after the accounts demo (``accounts.demo.build_demo``: units,
organisations, one user per role), each app's demo data, in this order because each builds on the one
before it — referrals are sent from the demo cases, and the indicators count both.

A builder takes the :class:`~accounts.demo.Demo` the accounts demo returned, must be idempotent, write
through its own app's services and use only what ``demo`` holds (which already respects
``--only-area``). ``seed_demo`` runs them inside its transaction, so ``--dry-run`` rolls them back too.
To add one, write it in a module here and put it in :data:`BUILDERS`.
"""

from __future__ import annotations

from collections.abc import Callable

from accounts.demo import Demo
from portal.demo.casework import build_demo_cases
from portal.demo.indicators import build_demo_release, build_demo_targets
from portal.demo.referrals import build_demo_referrals

DemoBuilder = Callable[[Demo], None]

BUILDERS: tuple[DemoBuilder, ...] = (
    build_demo_cases,
    build_demo_referrals,
    build_demo_targets,
    build_demo_release,
)
