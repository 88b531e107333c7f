"""Reminder broadcast through Telegram's flood limit: 3,000 reminders to 3,000 private chats.

Run by hand, never in tests: `.venv/bin/python bench/bench_telegram.py` (about 100 s). The fake
Bot API (tests/telegram_adapter/fake_bot_api.py) runs on 127.0.0.1 in a thread of its own, like a
remote server, and enforces Telegram's limit strictly: at most 30 sendMessage calls in any one
second, a 429 with retry_after beyond it. The reminders go the way production sends them: the
Dispatcher claims them from a SQLite store and sends each through TelegramNotifier over an ExtBot
with the Application's AIORateLimiter.

Prints the achieved rate (target: at least 90% of 30/s, i.e. 27/s), the 429s received (target:
0), the most messages the server saw in any one second, and the dispatcher's pass report.
--latency adds a network round trip to every sendMessage; --concurrent sends through the
notifier from every chat at once instead of through the (sequential) dispatcher.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import datetime as dt
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.bootstrap import build_services  # noqa: E402
from bot.core.chats import ChatRef  # noqa: E402
from bot.core.clock import FixedClock  # noqa: E402
from bot.core.reminders import Subscription, reminders_between  # noqa: E402
from bot.telegram.limits import OVERALL_PER_SECOND  # noqa: E402
from bot.telegram.notifier import TelegramNotifier, reminder_bot  # noqa: E402
from bot.telegram.settings import TelegramSettings  # noqa: E402
from tests.telegram_adapter.fake_bot_api import FakeBotApi  # noqa: E402

CHATS = 3000
FIRST_CHAT = 10_000_000
CREATED = dt.datetime(2025, 10, 1, 12, 0, tzinfo=dt.UTC)


class ServerThread:
    """The fake Bot API on its own event loop and thread, as a remote server would be."""

    def __init__(self, flood_limit: int, latency: float):
        self.api = FakeBotApi(flood_limit=flood_limit)
        self.api.latency = latency
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> FakeBotApi:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.api.start(), self._loop).result(10)
        return self.api

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.api.stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


def first_due(kb) -> dt.datetime:
    """When the first reminder of a Berlin subscriber falls due (14 days before the 3 November
    2025 start, at 10:00): one reminder due for every subscriber at once, read from the knowledge
    base rather than written here, so a moved event cannot leave the bench with nothing to send."""
    sub = Subscription(0, "telegram", "0", "DE", "en", "Europe/Berlin", "off", CREATED)
    horizon = CREATED + dt.timedelta(days=400)
    return min(reminder.due_at for reminder in reminders_between(sub, kb, CREATED, horizon))


def busiest_second(times: list[float]) -> int:
    """The most timestamps in any window of one second."""
    ordered = sorted(times)
    return max((bisect.bisect_left(ordered, t + 1.0) - i for i, t in enumerate(ordered)), default=0)


async def broadcast(api: FakeBotApi, count: int, concurrent: bool) -> dict:
    settings = TelegramSettings(token=api.token, api_base_url=api.base_url)
    clock = FixedClock(CREATED)
    with tempfile.TemporaryDirectory() as tmp:
        services = build_services(clock, database=f"sqlite:///{tmp}/bench.db")
        store = services.store
        for n in range(count):
            store.add_subscription(
                "telegram",
                str(FIRST_CHAT + n),
                region="DE",
                language="en",
                timezone="Europe/Berlin",
                checkup="off",
                created_at=CREATED,
            )
        async with reminder_bot(settings) as bot:
            notifier = TelegramNotifier(bot)
            clock.set(first_due(services.answerer.kb))
            started = time.perf_counter()
            if concurrent:
                chats = [ChatRef("telegram", str(FIRST_CHAT + n)) for n in range(count)]
                results = await asyncio.gather(
                    *(notifier.send(chat, "Reminder: bench") for chat in chats),
                    return_exceptions=True,
                )
                report = {"sent": sum(r is None for r in results), "errors": count}
                report["errors"] -= report["sent"]
            else:
                report = (await services.dispatcher(notifier).run_once()).as_dict()
            elapsed = time.perf_counter() - started
        services.close()
    return {"elapsed": elapsed, "report": report}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=CHATS)
    parser.add_argument("--limit", type=int, default=OVERALL_PER_SECOND, help="server's msg/s")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per sendMessage")
    parser.add_argument("--concurrent", action="store_true", help="bypass the dispatcher")
    args = parser.parse_args()

    with ServerThread(args.limit, args.latency) as api:
        result = asyncio.run(broadcast(api, args.count, args.concurrent))
        sends = [at for (name, _), at in zip(api.calls, api.call_times, strict=True)
                 if name == "sendMessage"]  # fmt: skip
        too_many = api.flood_answers
        delivered = api.delivered

    span = sends[-1] - sends[0] if len(sends) > 1 else 0.0
    rate = (delivered - 1) / span if span else 0.0
    mode = "concurrent notifier.send" if args.concurrent else "Dispatcher.run_once"
    print(f"broadcast: {args.count} reminders to {args.count} private chats via {mode}")
    print(f"server: at most {args.limit} msg/s in any second, latency {args.latency * 1000:.0f} ms")
    print(f"delivered: {delivered} of {args.count} in {result['elapsed']:.1f} s")
    print(
        f"achieved rate: {rate:.2f} msg/s first to last "
        f"({rate / args.limit:.1%} of {args.limit}/s; target >= 90%)"
    )
    print(f"429s received: {too_many} (target 0)")
    print(f"busiest second seen by the server: {busiest_second(sends)} messages")
    print(f"pass report: {result['report']}")
    ok = delivered == args.count and too_many == 0 and rate >= 0.9 * args.limit
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
