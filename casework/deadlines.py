"""Working-day arithmetic for statutory deadlines.

Decree 56/2017: a support plan for a child in need of protection is due within 5 working days.
Working days skip weekends and the fixed-date public holidays; the lunar New Year and Hung Kings'
day move every year and are not counted here (a deadline may then fall a day or two early, never late).
"""

from __future__ import annotations

import datetime as dt

FIXED_HOLIDAYS = {(1, 1), (4, 30), (5, 1), (9, 1), (9, 2)}
CHILD_SUPPORT_PLAN_WORKING_DAYS = 5


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and (day.month, day.day) not in FIXED_HOLIDAYS


def add_working_days(start: dt.date, days: int) -> dt.date:
    current = start
    remaining = days
    while remaining > 0:
        current += dt.timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current
