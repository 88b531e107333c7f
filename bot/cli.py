"""The optout-bot command line: run, chat, ask, kb check/reload/gaps, eval, reminders, config check."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from bot.core.clock import Clock, ShiftedClock, SystemClock, parse_moment
from bot.core.knowledge_loader import KnowledgeError, load_knowledge
from bot.core.reply import render_plain, render_short
from bot.ops import EndpointUnavailable
from bot.storage import StoreUnavailable


def _clock(now: dt.datetime | None) -> Clock:
    return ShiftedClock(now) if now else SystemClock()


def moment(text: str) -> dt.datetime:
    """An argument that names a moment: ISO 8601, so that a typo is a one-line usage error."""
    try:
        return parse_moment(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO 8601 date or moment: {text!r} (for example 2025-10-15 or "
            "2025-10-15T09:00:00+02:00)"
        ) from None


class CommandLineParser(argparse.ArgumentParser):
    """A wrong argument is one line on stderr (exit 2), not the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class InvalidSettings(Exception):
    """Settings were reported as invalid on stderr; exit with this status."""

    def __init__(self, status: int):
        self.status = status


def _settings(only: Sequence[str] | None = None, *, status: int = 2):
    """Every setting, checked before anything connects; each problem on its own line."""
    from bot.settings import SettingsInvalid, load_settings

    try:
        settings = load_settings(only=only)
    except SettingsInvalid as exc:
        for problem in exc.problems:
            print(f"optout-bot: {problem}", file=sys.stderr)
        raise InvalidSettings(status) from None
    from bot.ops.logging import configure_logging

    configure_logging(settings.log_format, settings.log_level)
    return settings


def _services(now: dt.datetime | None, settings=None, *, warm: bool = True):
    from bot.bootstrap import build_services

    return build_services(_clock(now), settings=settings or _settings(), warm=warm)


def cmd_chat(args: argparse.Namespace, settings=None) -> int:
    import logging

    from bot.bootstrap import run_terminal

    services = _services(args.now, settings)
    if not services.settings.log_level_set:
        logging.getLogger().setLevel(logging.WARNING)  # the chat shares the terminal with logs
    try:
        return run_terminal(services)
    finally:
        services.close()


def cmd_run(args: argparse.Namespace) -> int:
    """Every door whose settings are present (or only the one named); with no chat-platform
    token, the terminal chat."""
    from bot.bootstrap import run_doors

    only = [args.only] if args.only in ("telegram", "discord") else None
    settings = _settings(only)
    if args.only == "terminal" or (args.only is None and not settings.doors):
        return cmd_chat(args, settings)
    if args.only is not None:
        settings = dataclasses.replace(
            settings,
            telegram=settings.telegram if args.only == "telegram" else None,
            discord=settings.discord if args.only == "discord" else None,
            doors=(args.only,),
        )
    # run_doors() warms the services up once its operations endpoint answers /healthz.
    return run_doors(lambda: _services(args.now, settings, warm=False), settings)


def cmd_config_check(args: argparse.Namespace) -> int:
    """The effective configuration with secrets masked; exit 1 with the problems if invalid."""
    settings = _settings(status=1)
    for line in settings.describe():
        print(line)
    print("configuration ok")
    return 0


def cmd_kb_reload(args: argparse.Namespace) -> int:
    """Ask the running bot, through its local HTTP endpoint, to reload the knowledge base."""
    import urllib.error
    import urllib.request

    from bot.ops.http import reload_url

    settings = _settings()
    if settings.http_port is None:
        print(
            "optout-bot: OPTOUT_HTTP_PORT is not set, so the running bot has no endpoint to "
            "reach: set it, or send the process SIGHUP",
            file=sys.stderr,
        )
        return 2
    url = reload_url(settings.http_host, settings.http_port)
    request = urllib.request.Request(url, data=b"", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body = json.load(response)
    except urllib.error.HTTPError as exc:
        body = json.loads(exc.read() or b"{}")
        for problem in body.get("problems", []):
            print(problem, file=sys.stderr)
        print(
            f"knowledge base not reloaded ({body.get('error') or 'invalid'}): the previous one "
            "stays live",
            file=sys.stderr,
        )
        return 1
    except OSError as exc:
        print(f"optout-bot: cannot reach the running bot at {url} ({exc})", file=sys.stderr)
        return 1
    print(f"knowledge base reloaded: {body['intents']} intents, {body['events']} events")
    return 0


def cmd_kb_gaps(args: argparse.Namespace) -> int:
    """The questions most often left unanswered (collected only with OPTOUT_COLLECT_UNANSWERED=1),
    to grow the knowledge base where people need it."""
    from bot.service.unanswered import RETENTION, UnansweredQuestions

    settings = _settings()
    services = _services(None, settings)
    try:
        gaps = UnansweredQuestions(services.store, services.clock).most_frequent(args.limit)
    finally:
        services.close()
    if not gaps:
        state = "on" if settings.collect_unanswered else "off"
        print(
            f"no unanswered questions collected in the last {RETENTION.days} days "
            f"(OPTOUT_COLLECT_UNANSWERED is {state})"
        )
        return 0
    print(f"{'count':>5}  {'last seen':<10}  question (normalised)")
    for gap in gaps:
        print(f"{gap.count:>5}  {gap.last_seen:%Y-%m-%d}  {gap.text}")
    return 0


def cmd_discord_sync(args: argparse.Namespace) -> int:
    from bot.discord.runner import sync_commands
    from bot.discord.settings import SettingsError
    from bot.settings import discord_settings

    try:
        settings = discord_settings()
    except SettingsError as exc:
        print(f"optout-bot: {exc}", file=sys.stderr)
        return 2
    from bot.bootstrap import door_words

    return sync_commands(settings, door_words())


def cmd_reminders(args: argparse.Namespace) -> int:
    """Operator commands: due (a dry run), stats, run (one dispatch pass, for cron)."""
    settings = _settings()
    services = _services(None, settings)
    try:
        if args.reminders_command == "stats":
            print_counts(services.store.stats(), as_json=args.json)
            return 0
        if args.reminders_command == "due":
            from bot.service.operations import due_between

            now = services.clock.now()
            at = args.at or now
            # Without --at: what fell due in the last day; with a future --at: from now on.
            start = args.since or (now if at > now else at - dt.timedelta(days=1))
            if start > at:
                print("optout-bot: error: argument --since: later than --at", file=sys.stderr)
                return 2
            rows = due_between(
                services.store, services.answerer.kb, start, at, services.reminder_offsets
            )
            for reminder, sub in rows:
                print(
                    f"{reminder.due_at:%Y-%m-%d %H:%M}Z  subscription {sub.id} "
                    f"({sub.platform}, {sub.region})  {reminder.subject}  offset {reminder.offset_days}"
                )
            print(
                f"{len(rows)} reminder(s) due from {start.isoformat()} to {at.isoformat()} "
                "(dry run: nothing was sent)"
            )
            return 0
        import asyncio

        from bot.bootstrap import dispatch_once, notifier_for_pass
        from bot.notifiers import NoPlatformConfigured

        async def one_pass():
            async with notifier_for_pass(settings) as notifier:
                return await dispatch_once(services, notifier)

        try:
            report = asyncio.run(one_pass())
        except NoPlatformConfigured as exc:
            print(f"optout-bot: {exc}", file=sys.stderr)
            return 2
        print_counts(report.as_dict(), as_json=args.json)
        return 0
    finally:
        services.close()


def print_counts(counts: dict[str, int], *, as_json: bool) -> None:
    """`reminders stats` and `reminders run` alike: `name: count` lines, or one JSON object."""
    if as_json:
        print(json.dumps(counts))
        return
    for name, count in counts.items():
        print(f"{name}: {count}")


def cmd_ask(args: argparse.Namespace) -> int:
    from bot.bootstrap import build_answerer

    answerer = build_answerer(_clock(args.now))
    if args.question:
        questions = [" ".join(args.question)]
        as_json = args.json
    else:
        questions = (line.rstrip("\n") for line in sys.stdin)
        as_json = True
    for question in questions:
        reply, _ = answerer.respond(question)
        text = render_plain(reply)
        if as_json:
            short = render_short(reply, hint=False)
            print(json.dumps(reply.as_json(text, short), ensure_ascii=False), flush=True)
        else:
            print(text)
    return 0


def cmd_kb_check(args: argparse.Namespace) -> int:
    from bot.core.kb_audit import audit_knowledge
    from bot.core.knowledge_loader import default_knowledge_dir
    from bot.settings import knowledge_dir

    folder = args.dir or knowledge_dir()
    try:
        kb = load_knowledge(folder)
    except KnowledgeError as exc:
        print(str(exc), file=sys.stderr)
        print(f"knowledge base invalid: {len(exc.issues)} problem(s)", file=sys.stderr)
        return 1
    for warning in kb.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    today = _clock(getattr(args, "now", None)).now().date()
    findings = audit_knowledge(folder or default_knowledge_dir(), kb, today)
    errors = [f for f in findings if f.severity == "error"]
    for finding in findings:
        prefix = "warning: " if finding.severity == "warning" else ""
        print(prefix + str(finding), file=sys.stderr)
    if errors:
        print(f"knowledge base invalid: {len(errors)} problem(s)", file=sys.stderr)
        return 1
    print(
        f"knowledge base ok: {len(kb.intents)} intents, {len(kb.sources)} sources, "
        f"{len(kb.events)} events, languages {', '.join(kb.languages)}, "
        f"last verified {kb.last_verified}"
        + (
            f"; {len(kb.warnings)} warning(s): English stands in for what a translation lacks"
            if kb.warnings
            else ""
        )
    )
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from bot.core.evaluation import evaluate, load_examples

    # eval.de.yaml is written in German; eval.yaml in English.
    suffixes = Path(args.file).suffixes
    language = suffixes[-2].lstrip(".") if len(suffixes) > 1 else "en"
    from bot.bootstrap import build_answerer

    report = evaluate(build_answerer(_clock(args.now)), load_examples(args.file), language)
    print(report.render())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = CommandLineParser(prog="optout-bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="start every door whose settings are present")
    run.add_argument("--only", choices=("terminal", "telegram", "discord"))
    run.add_argument(
        "--now", type=moment, help="start the bot's clock at this ISO 8601 moment; it runs on"
    )
    run.set_defaults(func=cmd_run)

    chat = sub.add_parser("chat", help="chat in the terminal (no token needed)")
    chat.add_argument(
        "--now", type=moment, help="start the bot's clock at this ISO 8601 moment; it runs on"
    )
    chat.set_defaults(func=cmd_chat)

    ask = sub.add_parser("ask", help="answer one question, or one per line from stdin as JSON")
    ask.add_argument("question", nargs="*")
    ask.add_argument("--json", action="store_true", help="print the JSON contract")
    ask.add_argument("--now", type=moment)
    ask.set_defaults(func=cmd_ask)

    kb = sub.add_parser("kb", help="knowledge-base tools")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    check = kb_sub.add_parser("check", help="validate the knowledge base")
    check.add_argument("--dir", help="knowledge folder (default: OPTOUT_KNOWLEDGE_DIR or built in)")
    check.add_argument(
        "--now", type=moment, help="check last_verified against this ISO 8601 moment"
    )
    check.set_defaults(func=cmd_kb_check)
    kb_sub.add_parser(
        "reload", help="make the running bot reload its knowledge base (via OPTOUT_HTTP_PORT)"
    ).set_defaults(func=cmd_kb_reload)
    gaps = kb_sub.add_parser(
        "gaps", help="the most frequent unanswered questions (OPTOUT_COLLECT_UNANSWERED=1)"
    )
    gaps.add_argument("--limit", type=int, default=20, help="how many to list (default 20)")
    gaps.set_defaults(func=cmd_kb_gaps)

    cfg = sub.add_parser("config", help="configuration tools")
    cfg_sub = cfg.add_subparsers(dest="config_command", required=True)
    cfg_sub.add_parser(
        "check", help="validate every setting and print them with secrets masked"
    ).set_defaults(func=cmd_config_check)

    dsc = sub.add_parser("discord", help="Discord tools")
    dsc_sub = dsc.add_subparsers(dest="discord_command", required=True)
    dsc_sub.add_parser("sync", help="register the slash commands now").set_defaults(
        func=cmd_discord_sync
    )

    rem = sub.add_parser("reminders", help="reminder operations")
    rem_sub = rem.add_subparsers(dest="reminders_command", required=True)
    due = rem_sub.add_parser("due", help="what would be sent by a moment (dry run)")
    due.add_argument("--at", type=moment, help="ISO 8601 moment (default: now)")
    due.add_argument(
        "--since",
        type=moment,
        help="ISO 8601 moment to count from (default: now; without --at, a day ago)",
    )
    due.set_defaults(func=cmd_reminders)
    for name, help_text in (
        ("stats", "reminder counts by state"),
        ("run", "one dispatch pass (cron); prints its counts"),
    ):
        counts = rem_sub.add_parser(name, help=help_text)
        counts.add_argument("--json", action="store_true", help="one JSON object")
        counts.set_defaults(func=cmd_reminders)

    ev = sub.add_parser("eval", help="accuracy on a labelled question file")
    ev.add_argument("file")
    ev.add_argument("--now", type=moment)
    ev.set_defaults(func=cmd_eval)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except InvalidSettings as exc:
        return exc.status
    except KnowledgeError as exc:
        print(f"optout-bot: invalid knowledge base:\n{exc}", file=sys.stderr)
        return 1
    except StoreUnavailable as exc:
        print(f"optout-bot: {exc} (OPTOUT_DATABASE_URL)", file=sys.stderr)
        return 1
    except EndpointUnavailable as exc:
        print(f"optout-bot: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
