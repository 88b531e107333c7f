"""A process delivers only the platforms it has a notifier for; the others wait for theirs."""

from __future__ import annotations

import datetime as dt

from bot.bootstrap import build_services
from bot.core.chats import ChatRef
from bot.core.clock import FixedClock
from bot.notifiers import RoutingNotifier
from tests.conftest import BEFORE_DEADLINE, KNOWLEDGE_DIR


class Recorder:
    def __init__(self):
        self.sent = []

    async def send(self, chat, text, stop_label="Stop reminders"):
        self.sent.append(chat)


async def test_each_process_claims_only_its_platforms(tmp_path):
    clock = FixedClock(BEFORE_DEADLINE)
    services = build_services(
        clock, database=f"sqlite:///{tmp_path}/x.db", knowledge_dir=KNOWLEDGE_DIR
    )
    try:
        await services.subscriptions.subscribe(ChatRef("telegram", "1"), "DE")
        await services.subscriptions.subscribe(ChatRef("discord", "user:2"), "DE")
        clock.advance(dt.timedelta(days=5, hours=1))  # 20 Oct 10:00 Berlin: one reminder each
        telegram = Recorder()
        report = await services.dispatcher(RoutingNotifier({"telegram": telegram})).run_once()
        assert [c.platform for c in telegram.sent] == ["telegram"]
        assert report.failed == 0 and report.sent == 1
        discord = Recorder()
        await services.dispatcher(RoutingNotifier({"discord": discord})).run_once()
        assert [c.chat_id for c in discord.sent] == ["user:2"]
        assert services.store.stats()["failed"] == 0
    finally:
        services.close()
