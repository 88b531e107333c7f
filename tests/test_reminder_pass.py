"""`optout-bot reminders run` (bootstrap.dispatch_once): a pass stopped by SIGTERM or SIGINT
records what it sent and gives the rest of its claims back at once, as the long-running bot does,
so the next pass (or another instance) need not wait out their lease."""

from __future__ import annotations

import asyncio
import datetime as dt
import signal

import pytest

from bot.bootstrap import build_services, dispatch_once
from bot.core.chats import ChatRef
from bot.core.clock import FixedClock
from tests.service.fakes import BERLIN, subscribe

DUE = dt.datetime(2025, 10, 20, 10, 0, tzinfo=BERLIN)  # 14 days before the 3 November start
CHATS = 12


class SignalledNotifier:
    """Sends slowly; the first send makes the process receive `signal_number` while in flight."""

    def __init__(self, signal_number: int):
        self.signal_number = signal_number
        self.started: list[str] = []
        self.sent: list[str] = []

    async def send(self, chat: ChatRef, text: str, stop_label: str = "Stop reminders") -> None:
        self.started.append(chat.chat_id)
        if len(self.started) == 1:
            signal.raise_signal(self.signal_number)
        await asyncio.sleep(0.01)  # in flight when the signal is handled
        self.sent.append(chat.chat_id)


@pytest.fixture
def services(tmp_path):
    built = build_services(FixedClock(DUE), database=f"sqlite:///{tmp_path / 'bot.db'}", warm=False)
    for n in range(CHATS):
        subscribe(built.store, chat_id=str(n))
    yield built
    built.close()


@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGINT])
async def test_a_signalled_pass_records_its_sends_and_releases_the_other_claims(
    services, signal_number
):
    notifier = SignalledNotifier(signal_number)
    report = await dispatch_once(services, notifier)

    # Every send that started finished and was recorded; no new one started after the signal.
    assert notifier.sent == notifier.started
    assert 1 <= len(notifier.sent) < CHATS
    assert report.sent == len(notifier.sent)
    assert services.store.stats()["sent"] == len(notifier.sent)
    # The others are free to claim now, by any worker, without waiting out a lease.
    claims = services.store.claim_due(
        DUE, limit=100, lease=dt.timedelta(minutes=10), worker="next-pass"
    )
    assert len(claims) == CHATS - len(notifier.sent)
    assert {c.subscription.chat_id for c in claims}.isdisjoint(notifier.sent)
    # The handlers are gone with the pass: the signal's own default applies again.
    loop = asyncio.get_running_loop()
    assert not loop.remove_signal_handler(signal_number)


async def test_an_unsignalled_pass_sends_everything_due(services):
    class Recording:
        def __init__(self):
            self.sent: list[str] = []

        async def send(self, chat: ChatRef, text: str, stop_label: str = "Stop reminders"):
            self.sent.append(chat.chat_id)

    notifier = Recording()
    report = await dispatch_once(services, notifier)
    assert sorted(notifier.sent, key=int) == [str(n) for n in range(CHATS)]
    assert report.sent == CHATS
    assert (
        services.store.claim_due(DUE, limit=100, lease=dt.timedelta(minutes=10), worker="next-pass")
        == []
    )
