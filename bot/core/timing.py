"""Wording that depends on the day: what is still to come before a date, what has happened since.

The knowledge base states facts from the day they take effect on ("since 3 November 2025");
before that day the same facts are said as coming ("from 3 November 2025, in 14 days"). Pure:
the day is given, never read from a clock here.
"""

from __future__ import annotations

import datetime as dt

from bot.core.formats import format_date, format_days, format_month
from bot.core.knowledge import Answer, KnowledgeBase, PolicyCoverage


def since_text(cover: PolicyCoverage, language: str) -> str:
    """Since when a policy applies: a day, or a month where no source gives the day."""
    if cover.since is None:
        return ""
    if cover.since_month_only:
        return format_month(cover.since, language, after_since=True)
    return format_date(cover.since, language)


def starts_later(cover: PolicyCoverage, today: dt.date) -> bool:
    """Whether the policy's start date is still to come on `today` (it applies from that day)."""
    return cover.since is not None and cover.since > today


def coverage_when(kb: KnowledgeBase, cover: PolicyCoverage, today: dt.date) -> str:
    """When a "yes" applies, in the knowledge base's language: "since 3 November 2025", or before
    that day "from 3 November 2025, in 14 days"; "" when the coverage gives no date."""
    if cover.since is None or cover.value != "yes":
        return ""
    date = since_text(cover, kb.language)
    if starts_later(cover, today):
        days = (cover.since - today).days
        return kb.say(
            "answers.from", date=date, in_days=format_days(days, kb.language, direction=True)
        )
    return kb.say("answers.since", date=date)


def paragraphs_on(kb: KnowledgeBase, answer: Answer, today: dt.date) -> list[str]:
    """An answer's paragraphs as they read on `today`: a dated paragraph takes its `before`
    wording until its event's day, and its own wording from that day on."""
    paragraphs = list(answer.paragraphs)
    for dated in answer.dated:
        day = kb.event_index[dated.event_id].date
        days = (day - today).days
        if days > 0:
            paragraphs[dated.index] = dated.before.format(
                date=format_date(day, kb.language), days_left=format_days(days, kb.language)
            )
    return paragraphs


def short_on(kb: KnowledgeBase, answer: Answer, today: dt.date) -> str:
    """An answer's short text as it reads on `today`: its `before` wording (with {date} and
    {days_left}) until its event's day, its own from that day on."""
    dated = answer.short_dated
    if dated is None or not dated.event_id:
        return answer.short
    day = kb.event_index[dated.event_id].date
    days = (day - today).days
    if days > 0:
        return dated.before.format(
            date=format_date(day, kb.language), days_left=format_days(days, kb.language)
        )
    return answer.short
