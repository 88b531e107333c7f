"""A dispatcher in a process of its own, for test_crash_safety: one pass over the due reminders
at a fixed moment, through a notifier that appends each delivered chat id to a file, flushed and
fsynced line by line, so that what went out survives the process being killed.

    python crash_worker.py DATABASE_URL OUT_FILE --at ISO-8601 [--batch-size N]
        [--lease-seconds S] [--pause SECONDS]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
from pathlib import Path
from typing import ClassVar, TextIO

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bot.core.chats import ChatRef
from bot.core.clock import FixedClock, parse_moment
from bot.core.knowledge_loader import load_knowledge
from bot.service.dispatcher import Dispatcher
from bot.storage import open_store


class FileNotifier:
    """Records each delivery durably before returning, as a real platform's send would."""

    # Its platform account, as a real notifier names its bot: the restarted worker must take
    # over the killed one's sender lease.
    sender_keys: ClassVar[dict[str, str]] = {"terminal": "terminal:crash-test"}

    def __init__(self, out: TextIO, pause: float):
        self.out = out
        self.pause = pause  # a little time per send, so that a kill lands inside a batch

    async def send(self, chat: ChatRef, text: str, stop_label: str = "Stop reminders") -> None:
        await asyncio.sleep(self.pause)
        self.out.write(chat.chat_id + "\n")
        self.out.flush()
        os.fsync(self.out.fileno())


async def dispatch(args: argparse.Namespace) -> int:
    store = open_store(args.database_url)
    try:
        with open(args.out_file, "a", encoding="utf-8") as out:
            dispatcher = Dispatcher(
                store,
                FileNotifier(out, args.pause),
                load_knowledge(),
                FixedClock(parse_moment(args.at)),
                worker=f"crash-worker-{os.getpid()}",
                batch_size=args.batch_size,
                lease=dt.timedelta(seconds=args.lease_seconds),
            )
            report = await dispatcher.run_once(schedule=False)
    finally:
        store.close()
    print(report.as_dict(), flush=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("database_url")
    parser.add_argument("out_file")
    parser.add_argument("--at", required=True, help="the fixed moment the clock shows")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--lease-seconds", type=float, default=60.0)
    parser.add_argument("--pause", type=float, default=0.0)
    return asyncio.run(dispatch(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
