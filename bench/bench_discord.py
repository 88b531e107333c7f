"""Discord's interaction path under load: the first response within Discord's 3 seconds, and the
answer's time, against a bare discord.py echo bot.

Run by hand, never in tests: `.venv/bin/python bench/bench_discord.py` (about a minute a round).
Each round builds, in this process, either the real door (OptOutBot: its CommandTree, the
/optout cog, the real core and a fresh SQLite store in a temp dir, warmed up as `optout-bot run`
does; no reminder dispatcher) or a bare discord.py Client whose CommandTree has one /optout ask
that echoes the question back; the rounds alternate which goes first. Neither has a gateway:
real INTERACTION_CREATE payloads are handed to discord.py's connection state as its gateway
reader does, and the interaction responses and follow-ups are recorded as discord.py sends them
(tests/discord_adapter/harness.py); the other REST calls (the DM of /optout subscribe asked in a
server) go to the fake REST API (tests/discord_adapter/fake_rest_api.py) on 127.0.0.1.

The load: `--questions` /optout ask with questions from the public eval sets of all seven
languages (each with its language's Discord locale), from `--users` users, half in a server and
half in a DM with the bot; evenly among them, `--store` store commands per question (/optout
subscribe, reminders, checkup, timezone and unsubscribe: those that touch the store, deferred
first); all arriving as a Poisson process at `--rate` a second. The echo bot gets the same
questions at the same moments, and no store command. An interaction's times count from the
moment it was due (a busy event loop that reads it late is not excused): to its first response
(the answer, or a deferral), and to the last message of its answer (the response or its last
follow-up). The network to and from Discord is not in them. All rounds run in this one
process: what the core loads once per process (lru_cache), such as the city zones the first
/optout subscribe reads, weighs on the first round only.

Prints, per bot and round, p50 / p99 / max of both times (for the bot also per kind: /ask and
the store commands), the first response's p99 over the first ten seconds, how many first
responses came after 3 s or never, how many were deferred, how many got no answer, and the
warnings logged (a failed command); then min / median / max over the rounds and the ratio of the
bot's /ask p99 first response to the echo bot's, in the same round. Targets: no first response
after 3 s, every interaction answered, no warning.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import discord  # noqa: E402
import pytest  # noqa: E402
from discord import app_commands  # noqa: E402

from bench.bench_telegram_load import questions, spread  # noqa: E402
from bot.bootstrap import Services, build_services  # noqa: E402
from bot.discord.bot import OptOutBot  # noqa: E402
from bot.discord.settings import DiscordSettings  # noqa: E402
from tests.discord_adapter.fake_rest_api import TOKEN, FakeRestApi  # noqa: E402
from tests.discord_adapter.harness import (  # noqa: E402
    Place,
    RecordingAdapter,
    Sent,
    deliver,
    offline,
    point_http_at,
    recording_adapter,
    settle,
    slash,
)

DEADLINE = 3.0  # Discord's, for the first response to an interaction
SETTLE_TIMEOUT = 120.0  # after the last arrival; what is not answered by then counts as such
FIRST_USER = 410000000000000001
# The Discord locale of each eval set's language.
LOCALES = {"en": "en-US", "de": "de", "fr": "fr", "nl": "nl", "it": "it", "es": "es-ES", "pl": "pl"}
REGIONS = ("DE", "FR", "NL", "IT", "ES", "PL", "UK", "EU")
# The slash commands that touch the store (deferred first), in turn.
STORE_COMMANDS = ("subscribe", "reminders", "checkup", "timezone", "unsubscribe")


@dataclass(frozen=True)
class Arrival:
    at: float  # seconds after the load started
    kind: str  # "ask", or the store command's name
    payload: dict[str, Any]  # the INTERACTION_CREATE

    @property
    def token(self) -> str:
        return self.payload["token"]


@dataclass(frozen=True)
class Timing:
    kind: str
    at: float  # when it was due, seconds after the load started
    first: float | None  # seconds to the first response, None without one
    final: float | None  # seconds to the answer's last message, None without one
    deferred: bool


@dataclass
class Round:
    bot: str
    timings: list[Timing]
    warnings: int = 0

    def chosen(self, kinds: str | None = None, first: float | None = None) -> list[Timing]:
        """All timings, or those of /ask ("ask") or of the store commands ("store"); or those of
        the first `first` seconds."""
        return [
            t
            for t in self.timings
            if (kinds is None or (t.kind == "ask") == (kinds == "ask"))
            and (first is None or t.at < first)
        ]

    def percentile(
        self, what: str, share: float, kinds: str | None = None, first: float | None = None
    ) -> float:
        """In ms, of "first" (the first response) or "final" (the answer's last message)."""
        values = sorted(
            getattr(t, what) for t in self.chosen(kinds, first) if getattr(t, what) is not None
        )
        if not values:
            return float("nan")
        return values[min(len(values) - 1, int(share * len(values)))] * 1000

    @property
    def late(self) -> int:
        """First responses after Discord's 3 seconds, or none at all."""
        return sum(t.first is None or t.first > DEADLINE for t in self.timings)

    @property
    def deferred(self) -> int:
        return sum(t.deferred for t in self.timings)

    @property
    def unanswered(self) -> int:
        return sum(t.final is None for t in self.timings)


# --- the load ----------------------------------------------------------------------------------


def store_options(name: str, number: int) -> dict[str, Any]:
    if name == "subscribe":
        return {"region": REGIONS[number % len(REGIONS)]}
    if name == "checkup":
        return {"cadence": "monthly"}
    if name == "timezone":
        return {"zone": "Europe/Berlin"}
    return {}


def arrivals(
    asked: list[tuple[str, str]], store: float, rate: float, users: int, seed: int
) -> list[Arrival]:
    """The questions as /optout ask, with `store` store commands per question spread evenly among
    them, each from one of `users` users (in a server or in a DM), as a Poisson process."""
    rng = random.Random(seed)
    found: list[Arrival] = []
    at = 0.0
    stored = 0

    def place(locale: str) -> Place:
        user = FIRST_USER + rng.randrange(users)
        return Place(guild=rng.random() < 0.5, user_id=user, locale=locale)

    for number, (text, language) in enumerate(asked):
        at += rng.expovariate(rate)
        found.append(Arrival(at, "ask", slash("ask", place(LOCALES[language]), question=text)))
        while stored < int((number + 1) * store):
            name = STORE_COMMANDS[stored % len(STORE_COMMANDS)]
            at += rng.expovariate(rate)
            payload = slash(
                name, place(rng.choice(list(LOCALES.values()))), **store_options(name, stored)
            )
            found.append(Arrival(at, name, payload))
            stored += 1
    return found


async def drive(client: discord.Client, load: list[Arrival]) -> float:
    """Deliver each interaction when it is due; wait until the bot has done with them all."""
    started = time.perf_counter()
    for arrival in load:
        delay = started + arrival.at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        deliver(client, arrival.payload)
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(SETTLE_TIMEOUT):
            await settle()
    return started


def timings(load: list[Arrival], adapter: RecordingAdapter, started: float) -> list[Timing]:
    sent: dict[str, list[Sent]] = defaultdict(list)
    for item in adapter.sent:
        sent[item.token].append(item)
    found = []
    for arrival in load:
        due = started + arrival.at
        answers = sent.get(arrival.token, [])
        callbacks = [s for s in answers if s.kind == "callback"]
        messages = [s for s in answers if s.kind == "followup" or s.type == 4]
        found.append(
            Timing(
                arrival.kind,
                arrival.at,
                first=callbacks[0].at - due if callbacks else None,
                final=messages[-1].at - due if messages else None,
                deferred=any(s.type == 5 for s in callbacks),
            )
        )
    return found


# --- the bots ----------------------------------------------------------------------------------


async def echo(interaction: discord.Interaction, question: str) -> None:
    """The question back, as the interaction's response."""
    await interaction.response.send_message(question)


class EchoBot(discord.Client):
    """A bare discord.py bot: a CommandTree with one /optout ask, which echoes the question."""

    def __init__(self) -> None:
        super().__init__(intents=discord.Intents(guilds=True))
        self.tree = app_commands.CommandTree(self)
        group = app_commands.Group(name="optout", description="Echo")
        group.add_command(app_commands.Command(name="ask", description="Echo", callback=echo))
        self.tree.add_command(group)


class WarningCount(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


@contextlib.contextmanager
def warnings_counted() -> Iterator[WarningCount]:
    handler = WarningCount()
    logging.getLogger().addHandler(handler)
    try:
        yield handler
    finally:
        logging.getLogger().removeHandler(handler)


async def load_round(
    bot: str, load: list[Arrival], services: Services | None, data_dir: Path
) -> Round:
    rest = await FakeRestApi().start()
    try:
        with (
            pytest.MonkeyPatch.context() as patch,
            recording_adapter() as adapter,
            warnings_counted() as warnings,
        ):
            point_http_at(patch, rest.base_url)
            if services is not None:
                settings = DiscordSettings(token=TOKEN, data_dir=data_dir)
                client: discord.Client = OptOutBot(services.chat, settings, sync_on_start=False)
            else:
                client = EchoBot()
            async with offline(client):
                if isinstance(client, OptOutBot):
                    await client.warm_up()
                started = await drive(client, load)
            return Round(bot, timings(load, adapter, started), warnings.count)
    finally:
        await rest.stop()


def run_round(bot: str, load: list[Arrival]) -> Round:
    """One round of `bot` ("optout" or "echo") in an event loop of its own; the echo bot is
    given only the questions."""
    with tempfile.TemporaryDirectory() as tmp:
        if bot == "echo":
            return asyncio.run(
                load_round(bot, [a for a in load if a.kind == "ask"], None, Path(tmp))
            )
        services = build_services(database=f"sqlite:///{tmp}/bench.db")
        try:
            return asyncio.run(load_round(bot, load, services, Path(tmp) / "data"))
        finally:
            services.close()


def run(
    questions_: int = 1000,
    rounds: int = 3,
    rate: float = 20.0,
    users: int = 200,
    store: float = 0.1,
    bots: tuple[str, ...] = ("optout", "echo"),
) -> list[Round]:
    pool = questions()
    asked = [pool[n % len(pool)] for n in range(questions_)]
    found: list[Round] = []
    for number in range(rounds):
        load = arrivals(asked, store, rate, users, seed=number)
        # Alternate which goes first, so neither always meets a warmer machine.
        for bot in bots if number % 2 == 0 else tuple(reversed(bots)):
            found.append(run_round(bot, load))
    return found


# --- the report --------------------------------------------------------------------------------


def figures(r: Round, kinds: str | None = None) -> str:
    first = " ".join(
        f"{label} {r.percentile('first', share, kinds):7.1f}"
        for label, share in (("p50", 0.5), ("p99", 0.99), ("max", 1.0))
    )
    final = " ".join(
        f"{label} {r.percentile('final', share, kinds):7.1f}"
        for label, share in (("p50", 0.5), ("p99", 0.99), ("max", 1.0))
    )
    return (
        f"first response {first} ms, first 10 s p99 "
        f"{r.percentile('first', 0.99, kinds, first=10):7.1f} ms; answer {final} ms"
    )


def report(rounds: list[Round]) -> None:
    for r in rounds:
        print(
            f"{r.bot:7} {figures(r)}; {len(r.timings)} interactions, after 3 s {r.late}, "
            f"deferred {r.deferred}, unanswered {r.unanswered}, warnings {r.warnings}"
        )
        if r.bot == "optout":
            for kinds, label in (("ask", "/ask"), ("store", "store")):
                chosen = r.chosen(kinds)
                deferred = sum(t.deferred for t in chosen)
                print(f"  {label:5} {figures(r, kinds)}; {len(chosen)}, deferred {deferred}")
    print("\nmin / median / max over rounds")
    for bot in sorted({r.bot for r in rounds}):
        mine = [r for r in rounds if r.bot == bot]
        print(
            f"{bot:7} first response p50 {spread([r.percentile('first', 0.5) for r in mine])} ms; "
            f"p99 {spread([r.percentile('first', 0.99) for r in mine])} ms; "
            f"max {spread([r.percentile('first', 1.0) for r in mine])} ms; "
            f"first 10 s p99 {spread([r.percentile('first', 0.99, first=10) for r in mine])} ms"
        )
        print(
            f"{'':7} answer p50 {spread([r.percentile('final', 0.5) for r in mine])} ms; "
            f"p99 {spread([r.percentile('final', 0.99) for r in mine])} ms; "
            f"max {spread([r.percentile('final', 1.0) for r in mine])} ms; "
            f"after 3 s {sum(r.late for r in mine)}, deferred {sum(r.deferred for r in mine)}, "
            f"unanswered {sum(r.unanswered for r in mine)}, warnings {sum(r.warnings for r in mine)}"
        )
    optout = [r for r in rounds if r.bot == "optout"]
    echo = [r for r in rounds if r.bot == "echo"]
    if optout and echo:
        for share, label in ((0.99, "p99"), (0.5, "p50")):
            ratios = [
                o.percentile("first", share, "ask") / e.percentile("first", share)
                for o, e in zip(optout, echo, strict=True)
            ]
            print(f"/ask first response {label} bot / echo (same round): {spread(ratios)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=20.0, help="interactions a second")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--store", type=float, default=0.1, help="store commands per question")
    parser.add_argument("--bots", default="optout,echo", help="which bots, in this order")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    rounds = run(
        args.questions, args.rounds, args.rate, args.users, args.store, tuple(args.bots.split(","))
    )
    report(rounds)
    ok = all(r.late == 0 and r.unanswered == 0 and r.warnings == 0 for r in rounds)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
