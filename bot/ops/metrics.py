"""Prometheus metrics in a registry of their own, made by the composition root and passed in.

Counters are updated where the work happens (questions, dispatch passes); the dispatcher lag and
the subscriber counts are read from the store when /metrics is scraped.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from bot.core.reply import Reply
    from bot.service.dispatcher import PassReport
    from bot.storage.base import ReminderStore, StoreCounts

    class WatchedStore(ReminderStore, StoreCounts, Protocol):
        """What /metrics reads: the oldest due reminder and the subscriber counts."""


log = logging.getLogger(__name__)

BANDS = {
    "answer": "answered",
    "did_you_mean": "did_you_mean",
    "fallback": "fallback",
    "ask_region": "ask_region",
}
OUTCOMES = ("sent", "late", "skipped", "failed", "deactivated")
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    def __init__(self, now: Callable[[], dt.datetime] | None = None):
        self.registry = CollectorRegistry(auto_describe=True)
        self._now = now or (lambda: dt.datetime.now(dt.UTC))
        self.questions = Counter(
            "optout_questions",
            "Questions answered, by intent and band (answered, did_you_mean, fallback, ask_region)",
            ["intent", "band"],
            registry=self.registry,
        )
        self.answer_latency = Histogram(
            "optout_answer_latency_seconds",
            "Time to answer one question in the core",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.reminders = Counter(
            "optout_reminders",
            "Reminders by outcome (sent, late, skipped, failed, deactivated)",
            ["outcome"],
            registry=self.registry,
        )
        for outcome in OUTCOMES:
            self.reminders.labels(outcome)
        self._store_collector: _StoreCollector | None = None

    def observe_reply(self, reply: Reply, seconds: float) -> None:
        band = BANDS.get(reply.kind, reply.kind)
        self.questions.labels(reply.intent or "none", band).inc()
        self.answer_latency.observe(seconds)

    def observe_pass(self, report: PassReport) -> None:
        counts = {
            "sent": report.sent,
            "late": report.late,
            "skipped": report.skipped,
            "failed": report.failed,
            "deactivated": report.refused,
        }
        for outcome, count in counts.items():
            if count:
                self.reminders.labels(outcome).inc(count)

    def watch_store(self, store: WatchedStore) -> None:
        """Report dispatcher lag and subscribers from this store at each scrape."""
        if self._store_collector is None:
            self._store_collector = _StoreCollector(store, self._now)
            self.registry.register(self._store_collector)
        else:
            self._store_collector.store = store

    def render(self) -> bytes:
        """The text exposition format; reads the store, so call it off the event loop."""
        return generate_latest(self.registry)


class _StoreCollector(Collector):
    def __init__(self, store: WatchedStore, now: Callable[[], dt.datetime]):
        self.store = store
        self._now = now

    def describe(self) -> list:
        return []  # collected only at scrape time, never at registration

    def collect(self) -> Iterator[GaugeMetricFamily]:
        lag = GaugeMetricFamily(
            "optout_dispatcher_lag_seconds",
            "Now minus the oldest due reminder not yet sent (0 when none is due)",
        )
        subscribers = GaugeMetricFamily(
            "optout_subscribers",
            "Active subscriptions by platform and region",
            labels=["platform", "region"],
        )
        try:
            oldest = self.store.next_due_at()
            counts = self.store.subscriber_counts()
        except Exception as error:  # a scrape must not fail because the database is down
            log.warning("metrics: store unavailable error=%s", type(error).__name__)
            return
        lag.add_metric([], max(0.0, (self._now() - oldest).total_seconds()) if oldest else 0.0)
        for (platform, region), count in sorted(counts.items()):
            subscribers.add_metric([platform, region], count)
        yield lag
        yield subscribers
