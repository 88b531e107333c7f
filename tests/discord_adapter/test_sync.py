"""Command sync: at start-up only when the command set changed since the last sync (a hash in
OPTOUT_DATA_DIR), and on demand with `optout-bot discord sync`; against the fake REST API."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import threading
from collections.abc import Iterator

import discord
from discord import app_commands

from bot.bootstrap import door_words
from bot.discord.bot import SYNC_FILE, OptOutBot
from bot.discord.runner import sync_commands
from tests.discord_adapter.fake_rest_api import APP_ID, TOKEN, FakeRestApi
from tests.discord_adapter.harness import GUILD_ID, point_http_at

GLOBAL = f"/api/v10/applications/{APP_ID}/commands"
IN_GUILD = f"/api/v10/applications/{APP_ID}/guilds/{GUILD_ID}/commands"
SUBCOMMANDS = {
    "help",
    "topics",
    "language",
    "ask",
    "affected",
    "steps",
    "object",
    "deadline",
    "sources",
    "more",
    "subscribe",
    "unsubscribe",
    "reminders",
    "checkup",
    "timezone",
    "privacy",
    "forget",
    "channel-reminders",
}


async def start(bot: OptOutBot) -> None:
    async with bot:
        await bot.login(TOKEN)  # setup_hook: the cog, then a sync when the commands changed


async def test_the_first_start_syncs_and_a_restart_does_not(rest, services, settings):
    await start(OptOutBot(services.chat, settings))
    (synced,) = rest.synced()
    assert synced.path == GLOBAL
    (group,) = synced.json
    assert group["name"] == "optout"
    assert {option["name"] for option in group["options"]} == SUBCOMMANDS
    assert group["contexts"] == [0, 1] and group["integration_types"] == [0]
    stored = json.loads((settings.data_dir / SYNC_FILE).read_text())
    assert list(stored) == [f"{APP_ID}:global"]

    await start(OptOutBot(services.chat, settings))
    assert len(rest.synced()) == 1


async def test_a_changed_command_set_is_synced_at_the_next_start(rest, services, settings):
    await start(OptOutBot(services.chat, settings))

    class NextVersion(OptOutBot):
        async def setup_hook(self) -> None:
            async def ping(interaction: discord.Interaction) -> None: ...

            self.tree.add_command(app_commands.Command(name="ping", description="p", callback=ping))
            await super().setup_hook()

    await start(NextVersion(services.chat, settings))
    assert len(rest.synced()) == 2
    assert sorted(c["name"] for c in rest.synced()[-1].json) == ["optout", "ping"]

    await start(NextVersion(services.chat, settings))
    assert len(rest.synced()) == 2


async def test_a_development_server_gets_its_own_commands(rest, services, settings):
    in_guild = dataclasses.replace(settings, guild_id=GUILD_ID)
    await start(OptOutBot(services.chat, in_guild))
    (synced,) = rest.synced()
    assert synced.path == IN_GUILD and synced.json[0]["name"] == "optout"

    await start(OptOutBot(services.chat, settings))  # global is another scope: synced too
    assert [s.path for s in rest.synced()] == [IN_GUILD, GLOBAL]


async def test_a_failed_sync_is_retried_at_the_next_start(rest, services, settings, monkeypatch):
    async def refused(*args, **kwargs):
        raise discord.DiscordServerError(_Response(503), {"message": "unavailable", "code": 0})

    bot = OptOutBot(services.chat, settings)
    monkeypatch.setattr(bot.tree, "sync", refused)
    await start(bot)  # the bot still starts, with the commands Discord already has
    assert not (settings.data_dir / SYNC_FILE).exists()

    await start(OptOutBot(services.chat, settings))
    assert len(rest.synced()) == 1


class _Response:
    def __init__(self, status: int):
        self.status = status
        self.reason = "error"


# --- optout-bot discord sync ---------------------------------------------------------------------


@contextlib.contextmanager
def rest_in_a_thread(monkeypatch) -> Iterator[FakeRestApi]:
    """sync_commands() runs its own event loop, so the fake API runs in another thread."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = asyncio.run_coroutine_threadsafe(FakeRestApi().start(), loop).result()
    point_http_at(monkeypatch, server.base_url)
    try:
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result()
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


def test_discord_sync_always_syncs(monkeypatch, settings, capsys):
    with rest_in_a_thread(monkeypatch) as server:
        assert sync_commands(settings, door_words()) == 0
        assert sync_commands(settings, door_words()) == 0
    assert [r.path for r in server.synced()] == [GLOBAL, GLOBAL]
    out = capsys.readouterr().out
    assert "synced globally: /optout with 18 subcommands" in out
    assert (settings.data_dir / SYNC_FILE).exists()


def test_discord_sync_to_a_development_server(monkeypatch, settings, capsys):
    with rest_in_a_thread(monkeypatch) as server:
        assert sync_commands(dataclasses.replace(settings, guild_id=GUILD_ID), door_words()) == 0
    assert [r.path for r in server.synced()] == [IN_GUILD]
    assert f"to server {GUILD_ID}" in capsys.readouterr().out


def test_discord_sync_with_a_rejected_token(monkeypatch, settings, capsys):
    with rest_in_a_thread(monkeypatch) as server:
        server.token = "another"
        assert sync_commands(settings, door_words()) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "DISCORD_BOT_TOKEN" in err
    assert TOKEN not in err


async def test_descriptions_go_in_each_language_discord_shows(rest, services, settings):
    await start(OptOutBot(services.chat, settings))
    (synced,) = rest.synced()
    (group,) = synced.json
    options = {option["name"]: option for option in group["options"]}
    steps = options["steps"]["description_localizations"]
    german = services.answerer.kb.in_language("de")
    assert steps["de"] == german.say("commands.optout")
    assert (
        steps["es-ES"]
        == steps["es-419"]
        == services.answerer.kb.in_language("es").say("commands.optout")
    )
    assert "en-US" not in steps and "ja" not in steps  # English is the default; no Japanese
    assert options["language"]["description_localizations"][
        "pl"
    ] == services.answerer.kb.in_language("pl").say("commands.language")
    assert options["ask"]["description_localizations"] == {}  # no message for it: English
