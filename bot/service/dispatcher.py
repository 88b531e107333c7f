"""The reminder dispatcher: claims due reminders in batches, sends them, records what happened.

Delivery is at least once with a dedupe key: outcomes are recorded as the sends finish, a few per
write, and no more than RECORD_STEP reminders are ever sent (or in flight) and not yet recorded,
so a crash repeats at most that many; a lease that expires lets another instance pick up a crashed
one's claims. A stop is orderly: sends in flight finish, the rest of the batch is not sent, what
was sent is recorded and the other claims are released.

Rate limits are per platform account (one Telegram bot: 30 messages a second), not per process:
a notifier names its accounts (sender_keys), and only the instance holding an account's sender
lease in the database sends for it; the others stand by and take over when the lease runs out.
A 429 is the platform asking to slow down, not a failed attempt: it is waited out and not counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields
from typing import Literal, Protocol

from bot.core.chats import ChatRef
from bot.core.clock import Clock
from bot.core.knowledge import KnowledgeBase
from bot.core.reminders import (
    DEFAULT_OFFSETS,
    Subscription,
    delivery,
    event_ids,
    reminder_text,
    reminders_between,
)
from bot.service.commands import BARE_WORDS, CommandForm, commands_written
from bot.service.errors import PermanentRefusal, TransientFailure
from bot.storage.base import (
    Claim,
    Outcome,
    ReminderState,
    ReminderStore,
    SenderLeaseStore,
    SubscriptionStore,
)

log = logging.getLogger(__name__)

# Reminders are scheduled this far ahead of the clock on every pass.
SCHEDULE_HORIZON = dt.timedelta(days=35)
# The long-running loop reschedules every subscription (seconds at 100,000 subscribers) only this
# often, or at once for a new knowledge base or a wake-up without a subscription; a subscription
# that changed is scheduled on its own, so a loop woken by every subscribe stays cheap.
SCHEDULE_EVERY = dt.timedelta(minutes=10)
SCHEDULE_CHUNK = 1000
# At most this many reminders are sent (or in flight) and not yet recorded at any moment: a kill
# repeats at most this many. It also caps sends in flight at once.
RECORD_STEP = 5
# How long a sender lease lasts; it is renewed once half of it has passed, while sending.
SENDER_LEASE = dt.timedelta(seconds=30)
# The most a reminder waits out 429s in total before it is put back for later (never failed).
MAX_FLOOD_WAIT = 300.0

Sleep = Callable[[float], Awaitable[None]]
Attempt = Literal["sent", "refused", "failed", "deferred", "stopped"]


class PassObserver(Protocol):
    """Where each pass's outcomes are counted (bot.ops.metrics.Metrics)."""

    def observe_pass(self, report: PassReport) -> None: ...


class Notifier(Protocol):
    """The port each platform implements; raises PermanentRefusal or TransientFailure (with
    retry_after for a rate limit). A notifier may also have `platforms` (what it delivers) and
    `sender_keys` ({platform: account}, e.g. {"telegram": "telegram:<bot id>"}): the accounts
    whose rate limit all instances share, sent for by one instance at a time; and `on_gone`
    (GoneHook), called with a subscription whose chat refused a reminder for good, before it is
    deactivated (Discord tells whoever set up a channel's reminders); and `command_form(chat)`
    (a CommandForm): how the commands a reminder names are written in that chat, bare words
    ("unsubscribe") without it."""

    async def send(self, chat: ChatRef, text: str, stop_label: str = "Stop reminders") -> None:
        """Deliver `text`; a door that offers a stop button labels it `stop_label` (the
        subscriber's language)."""
        ...


class GoneHook(Protocol):
    """A notifier's optional `on_gone`: told that `subscription`'s chat refused for good, with
    the knowledge base in the subscription's language for its words. Whatever it does, the
    subscription is deactivated afterwards; what it raises is logged and ignored."""

    async def __call__(self, subscription: Subscription, words: KnowledgeBase) -> None: ...


@dataclass
class PassReport:
    """Counts of one dispatch pass: every outcome is counted."""

    scheduled: int = 0
    claimed: int = 0
    sent: int = 0
    late: int = 0
    skipped: int = 0
    failed: int = 0
    refused: int = 0
    retries: int = 0
    rate_limited: int = 0  # of the retries, 429s waited out (never counted as attempts)
    deferred: int = 0  # left scheduled after MAX_FLOOD_WAIT of 429s: claimed again later

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


class SchedulingPorts(SubscriptionStore, ReminderStore, Protocol):
    """What scheduling reads and writes: the active subscriptions, and their reminders."""


class DispatcherPorts(SchedulingPorts, SenderLeaseStore, Protocol):
    """The dispatcher's storage: scheduling, claims and outcomes, the sender lease, and a
    subscription's deactivation when its platform refuses it for good."""


def schedule_reminders(
    store: SchedulingPorts,
    kb: KnowledgeBase,
    until: dt.datetime,
    offsets: tuple[int, ...] = DEFAULT_OFFSETS,
    *,
    now: dt.datetime | None = None,
) -> int:
    """Store every reminder of every active subscription due before `until`, and with `now` the
    notices of events new to it; the dedupe key makes this safe to repeat. Subscriptions whose
    known events are not set yet get this knowledge base's first. Returns how many were new."""
    store.settle_known_events(event_ids(kb))
    added = 0
    chunk = []
    for sub in store.active_subscriptions():
        chunk += reminders_between(sub, kb, sub.created_at, until, offsets, now=now)
        if len(chunk) >= SCHEDULE_CHUNK:
            added += store.schedule(chunk)
            chunk = []
    return added + store.schedule(chunk)


class Dispatcher:
    def __init__(
        self,
        store: DispatcherPorts,
        notifier: Notifier,
        kb: KnowledgeBase,
        clock: Clock,
        *,
        worker: str | None = None,
        batch_size: int = 100,
        lease: dt.timedelta = dt.timedelta(minutes=10),
        horizon: dt.timedelta = SCHEDULE_HORIZON,
        offsets: tuple[int, ...] = DEFAULT_OFFSETS,
        max_attempts: int = 4,
        base_backoff: float = 1.0,
        max_backoff: float = 60.0,
        idle_sleep: float = 300.0,
        min_sleep: float = 1.0,
        sleep: Sleep = asyncio.sleep,
        concurrency: int = 16,
        record_step: int = RECORD_STEP,
        sender_lease: dt.timedelta = SENDER_LEASE,
        max_flood_wait: float = MAX_FLOOD_WAIT,
        metrics: PassObserver | None = None,
    ):
        self.store = store
        self.notifier = notifier
        self.kb = kb
        self.clock = clock
        self.worker = worker or f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.batch_size = batch_size
        self.lease = lease
        self.horizon = horizon
        self.offsets = offsets
        self.max_attempts = max_attempts
        self.base_backoff = base_backoff
        # A wait longer than this (even one the platform asks for) is not made: the reminder fails.
        self.max_backoff = max_backoff
        self.idle_sleep = idle_sleep
        self.min_sleep = min_sleep
        self._sleep = sleep
        # Subscriptions served side by side within a batch: the platform notifiers pace them, and
        # one slow round trip must not hold up the rest (Telegram's 30/s needs several in flight).
        # Sends in flight are capped lower, by record_step (5 at 100 ms a round trip: 50/s).
        self.concurrency = max(1, concurrency)
        self.record_step = max(1, record_step)
        # A notifier that knows its platforms (RoutingNotifier) makes this process claim only
        # reminders it can deliver; others stay for the process that has that platform's token.
        self.sender_keys: dict[str, str] = dict(getattr(notifier, "sender_keys", None) or {})
        self.platforms: frozenset[str] | None = getattr(notifier, "platforms", None)
        if self.platforms is None and self.sender_keys:
            self.platforms = frozenset(self.sender_keys)
        self._command_form: Callable[[ChatRef], CommandForm] | None = getattr(
            notifier, "command_form", None
        )
        self.sender_lease = sender_lease
        # A claim must not expire while its reminder waits out 429s: another claim would repeat it.
        self.max_flood_wait = min(max_flood_wait, lease.total_seconds() / 2)
        self._held: dict[str, dt.datetime] = {}  # sender key -> when our lease on it ends
        self._holding = asyncio.Lock()
        self.metrics = metrics
        self._wake = asyncio.Event()
        self._scheduled_at: dt.datetime | None = None
        self._scheduled_kb: KnowledgeBase | None = None
        self._changed = False
        self._pending: dict[int, Subscription] = {}
        self._stopping = False
        self._stopped = asyncio.Event()  # set with _stopping: cuts a retry wait short
        self.running = False  # inside run_forever(): readiness reads it
        # Passes of the loop begun and finished, so that settle() can wait for a whole one.
        self._passes_begun = 0
        self._passes_done = 0

    # --- the loop --------------------------------------------------------------------------------

    def wake(self, subscription: Subscription | None = None) -> None:
        """Run the next pass now: this subscription changed (it alone is scheduled), or, without
        one, something did (every subscription is)."""
        if subscription is None:
            self._changed = True
        else:
            self._pending[subscription.id] = subscription
        self._wake.set()

    def _full_schedule_due(self, now: dt.datetime) -> bool:
        if self._changed or self._scheduled_at is None or self.kb is not self._scheduled_kb:
            return True
        return now - self._scheduled_at >= SCHEDULE_EVERY

    def _schedule_pending(self, now: dt.datetime) -> int:
        pending, self._pending = list(self._pending.values()), {}
        until = now + self.horizon
        return self.store.schedule(
            r
            for sub in pending
            for r in reminders_between(sub, self.kb, sub.created_at, until, self.offsets, now=now)
        )

    def stop(self) -> None:
        """Stop between sends: no new send starts, claims not sent are released."""
        self._stopping = True
        self._stopped.set()
        self._wake.set()

    def resume(self) -> None:
        """Undo stop(), for a last pass run by hand after the loop has ended."""
        self._stopping = False
        self._stopped.clear()

    def release(self) -> int:
        """Give back this worker's unfinished claims and sender leases; returns how many claims."""
        released = self.store.release(self.worker)
        if released:
            log.info("released %s claimed reminder(s) not sent", released)
        for key in list(self._held):
            self.store.release_sender(key, self.worker)
            del self._held[key]
        return released

    # --- one sender per platform account ---------------------------------------------------------

    @property
    def sender_leases(self) -> frozenset[str]:
        """The platform accounts this instance sends for now (the others stand by for them)."""
        return frozenset(self._held)

    async def _hold(self, key: str) -> bool:
        """Whether this worker holds the sender lease on `key`, renewing it once half has passed."""
        async with self._holding:
            now = self.clock.now()
            until = self._held.get(key)
            if until is not None and now < until - self.sender_lease / 2:
                return True
            held = await asyncio.to_thread(
                self.store.hold_sender, key, self.worker, now, self.sender_lease
            )
            if held:
                if until is None:
                    log.info("sending reminders as %s", key)
                self._held[key] = now + self.sender_lease
            elif until is not None:
                del self._held[key]
                log.warning("sender lease on %s lost to another instance: standing by", key)
            return held

    async def _may_send(self, platform: str) -> bool:
        key = self.sender_keys.get(platform)
        return key is None or await self._hold(key)

    async def _claimable_platforms(self) -> frozenset[str] | None:
        """The platforms to claim for: every one this process delivers, but of those with a
        sender key only the ones whose lease it holds (another instance is sending the rest)."""
        if not self.sender_keys or self.platforms is None:
            return self.platforms
        return frozenset([p for p in sorted(self.platforms) if await self._may_send(p)])

    async def run_forever(self) -> None:
        """Pass after pass, sleeping until the next due reminder, at most idle_sleep seconds."""
        self.running = True
        try:
            await self._loop()
        finally:
            self.running = False
            if self._stopping:
                await asyncio.to_thread(self.release)

    async def settle(self, timeout: float = 60.0) -> None:
        """Wake the loop and return once a whole pass that began after this call has finished
        (or the loop is not running): what is due by now has been sent. The terminal chat calls
        it after each line, so piped input sees the reminders typed input would."""
        wanted = self._passes_begun + 1
        self.wake()
        deadline = asyncio.get_running_loop().time() + timeout
        while self.running and self._passes_done < wanted:
            if asyncio.get_running_loop().time() > deadline:
                return
            await asyncio.sleep(0.01)

    async def _loop(self) -> None:
        while not self._stopping:
            self._wake.clear()
            self._passes_begun += 1
            begun = self._passes_begun
            now = self.clock.now()
            full = self._full_schedule_due(now)
            if full:
                self._changed, self._pending = False, {}
            try:
                if not full and self._pending:
                    await asyncio.to_thread(self._schedule_pending, now)
                await self.run_once(schedule=full)
                if full:
                    self._scheduled_at, self._scheduled_kb = now, self.kb
                next_due = await asyncio.to_thread(self.store.next_due_at, self.platforms)
            except Exception as error:  # keep the loop alive; the next pass retries
                log.error("dispatch pass failed: %s", type(error).__name__)
                next_due = None
            self._passes_done = begun
            delay = self.idle_sleep
            if next_due is not None:
                until_due = (next_due - self.clock.now()).total_seconds()
                delay = min(self.idle_sleep, max(self.min_sleep, until_due))
            if self._stopping:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)

    async def run_once(self, *, schedule: bool = True) -> PassReport:
        """One pass: schedule what is coming, then claim and send due reminders until none is left."""
        report = PassReport()
        if schedule:
            now = self.clock.now()
            report.scheduled = await asyncio.to_thread(
                schedule_reminders, self.store, self.kb, now + self.horizon, self.offsets, now=now
            )
        while not self._stopping:
            platforms = await self._claimable_platforms()
            if platforms is not None and not platforms:
                break  # another instance holds every sender lease: stand by
            claims = await asyncio.to_thread(
                self.store.claim_due,
                self.clock.now(),
                limit=self.batch_size,
                lease=self.lease,
                worker=self.worker,
                platforms=platforms,
            )
            if not claims:
                break
            report.claimed += len(claims)
            await self._dispatch_batch(claims, report)
        if report.claimed:
            log.info("dispatch pass: %s", report.as_dict())
        if self.metrics is not None:
            self.metrics.observe_pass(report)
        return report

    # --- one batch -------------------------------------------------------------------------------

    async def _dispatch_batch(self, claims: list[Claim], report: PassReport) -> None:
        # One subscription's reminders go in order; different subscriptions' go side by side.
        by_subscription: dict[int, list[Claim]] = {}
        for claim in claims:
            by_subscription.setdefault(claim.subscription.id, []).append(claim)
        recorder = _Recorder(self.store, self.clock, self.record_step)
        limit = asyncio.Semaphore(self.concurrency)

        async def run(group: list[Claim]) -> None:
            async with limit:
                await self._dispatch_subscription(group, recorder, report)

        try:
            async with asyncio.TaskGroup() as tasks:  # one failure stops the others
                for group in by_subscription.values():
                    tasks.create_task(run(group))
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from None
        await recorder.flush()

    async def _dispatch_subscription(
        self, claims: list[Claim], recorder: _Recorder, report: PassReport
    ) -> None:
        for claim in claims:
            if self._stopping:
                return  # left claimed: released when the loop ends
            sub = claim.subscription
            now = self.clock.now()
            decision = delivery(claim.reminder, sub, now, self.offsets)
            text = (
                None
                if decision == "skip"
                else reminder_text(
                    claim.reminder, sub, self._words(sub), now, late=decision == "late"
                )
            )
            if text is None:
                recorder.note(Outcome(claim.id, ReminderState.SKIPPED))
                report.skipped += 1
                continue
            await recorder.slot()
            if self._stopping:  # stopped while waiting for a slot: not sent, released later
                recorder.free()
                return
            result = await self._deliver(claim, text, report)
            if result in ("stopped", "deferred"):
                recorder.free()
                if result == "deferred":
                    report.deferred += 1
                return  # left claimed: claimed again when the lease runs out, in order
            if result == "sent":
                late = decision == "late"
                await recorder.add(
                    Outcome(claim.id, ReminderState.LATE if late else ReminderState.SENT)
                )
                if late:
                    report.late += 1
                else:
                    report.sent += 1
            elif result == "refused":
                report.refused += 1
                # Written before the deactivation, which drops the subscription's scheduled rows.
                refusal = [Outcome(claim.id, ReminderState.REFUSED)]
                await asyncio.to_thread(self.store.record, refusal, self.clock.now())
                recorder.free()
                await self._tell_gone(sub)
                await asyncio.to_thread(self.store.deactivate, sub.id)
                log.info("subscription %s deactivated: delivery refused", sub.id)
                return  # its other reminders were dropped with the subscription
            else:
                await recorder.add(Outcome(claim.id, ReminderState.FAILED))
                report.failed += 1

    def _words(self, sub: Subscription) -> KnowledgeBase:
        """The knowledge base in the subscriber's language, its messages naming commands as
        they work in that chat ("/optout unsubscribe" on Discord, "/unsubscribe@bot" in a
        Telegram group): the notifier's command_form, or the bare words."""
        form = self._command_form(sub.chat) if self._command_form else BARE_WORDS
        return commands_written(self.kb.in_language(sub.language), form)

    async def _tell_gone(self, sub: Subscription) -> None:
        """The notifier's on_gone, if it has one: never in the way of the deactivation."""
        on_gone: GoneHook | None = getattr(self.notifier, "on_gone", None)
        if on_gone is None:
            return
        try:
            await on_gone(sub, self.kb.in_language(sub.language))
        except Exception as error:  # logged by type: a notice is not worth a failed pass
            log.warning("subscription %s gone: notice failed: %s", sub.id, type(error).__name__)

    async def _deliver(self, claim: Claim, text: str, report: PassReport) -> Attempt:
        chat = claim.subscription.chat
        stop_label = self.kb.in_language(claim.subscription.language).say("reminders.stop_button")
        attempt = 1
        flood_waited = 0.0
        while True:
            if not await self._may_send(chat.platform):
                return "stopped"  # another instance sends for this account now
            try:
                await self.notifier.send(chat, text, stop_label)
                return "sent"
            except PermanentRefusal:
                return "refused"
            except TransientFailure as error:
                retry_after = error.retry_after
                name = "TransientFailure"
            except Exception as error:  # a notifier bug or an unmapped error: retried, then failed
                retry_after = None
                name = type(error).__name__
            if retry_after is not None:
                # The platform's rate limit, not this reminder's failure: waited out, not counted.
                # Past the cap it is left for later, so a 429 that never ends cannot hold it.
                if flood_waited + retry_after > self.max_flood_wait:
                    log.warning(
                        "reminder %s deferred: rate limited for %.0f s", claim.id, flood_waited
                    )
                    return "deferred"
                wait = retry_after
                flood_waited += wait
                report.rate_limited += 1
            else:
                wait = self.base_backoff * 2 ** (attempt - 1)
                if attempt == self.max_attempts or wait > self.max_backoff:
                    log.warning("reminder %s failed after %s attempts: %s", claim.id, attempt, name)
                    return "failed"
                attempt += 1
            if self._stopping or not await self._wait_unless_stopped(max(0.0, wait)):
                return "stopped"
            report.retries += 1

    async def _wait_unless_stopped(self, seconds: float) -> bool:
        """Sleep; False as soon as stop() is called instead."""
        sleeping = asyncio.ensure_future(self._sleep(seconds))
        stopped = asyncio.ensure_future(self._stopped.wait())
        try:
            await asyncio.wait({sleeping, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeping.cancel()
            stopped.cancel()
        return not self._stopping


class _Recorder:
    """Records a batch's outcomes as its sends finish. A send takes a slot first, given back once
    its outcome is written, so at most `step` reminders are ever sent and not yet recorded. While
    one write runs, the outcomes that come in meanwhile wait and go together in the next."""

    def __init__(self, store: ReminderStore, clock: Clock, step: int):
        self._store = store
        # A store that can write on the event loop (PostgreSQL) saves a thread hop per write.
        self._record_async = getattr(store, "record_async", None)
        self._clock = clock
        self._slots = asyncio.Semaphore(step)
        self._pending: list[tuple[Outcome, bool]] = []  # (outcome, holds a slot)
        self._writing = False

    async def slot(self) -> None:
        await self._slots.acquire()

    def free(self) -> None:
        """Give back a slot whose send did not happen."""
        self._slots.release()

    def note(self, outcome: Outcome) -> None:
        """An outcome without a send (skipped): written with the next ones, nothing waits on it."""
        self._pending.append((outcome, False))

    async def add(self, outcome: Outcome) -> None:
        """The outcome of a send made under a slot: written now, or with the write under way's
        next round."""
        self._pending.append((outcome, True))
        if not self._writing:
            await self._write()

    async def flush(self) -> None:
        if not self._writing:
            await self._write()

    async def _write(self) -> None:
        self._writing = True
        try:
            while self._pending:
                # One turn of the loop first: sends woken by the slots just given back finish
                # and join this write, so writes carry up to `step` outcomes, not half as many.
                await asyncio.sleep(0)
                written, self._pending = self._pending, []
                outcomes = [outcome for outcome, _slot in written]
                if self._record_async is not None:
                    await self._record_async(outcomes, self._clock.now())
                else:
                    await asyncio.to_thread(self._store.record, outcomes, self._clock.now())
                for _outcome, slot in written:
                    if slot:
                        self._slots.release()
        finally:
            self._writing = False


async def stop_dispatcher(dispatcher: Dispatcher, task: asyncio.Task, grace: float) -> None:
    """Stop a running dispatcher within `grace` seconds: it stops between sends; if a send
    still hangs after that it is cancelled. Either way its unsent claims are released."""
    dispatcher.stop()
    try:
        await asyncio.wait_for(asyncio.shield(task), grace)
    except TimeoutError:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        log.warning("reminder dispatcher cancelled after %ss: a send was still in flight", grace)
    except Exception as error:  # the loop failed while stopping: still release
        log.error("reminder dispatcher failed while stopping: %s", type(error).__name__)
    await asyncio.to_thread(dispatcher.release)
