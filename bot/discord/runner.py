"""Running the Discord door: log in, connect to the gateway, deliver reminders, and stop cleanly
on SIGTERM or SIGINT; and `optout-bot discord sync`.

The lifecycle is written out rather than left to Client.run() so that it can run inside an event
loop someone else owns (tests, or more doors in one process), and so that start-up failures
become one-line messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator

import aiohttp
import discord

from bot.discord.bot import MAX_RATELIMIT_WAIT, OptOutBot, bot_intents
from bot.discord.notifier import DiscordNotifier, RateLimitCounter
from bot.discord.settings import DiscordSettings
from bot.service.chat import ChatService, Words
from bot.service.dispatcher import Dispatcher, stop_dispatcher

log = logging.getLogger(__name__)

# Sends in flight at a stop get this long; the dispatcher then releases what it has not sent.
DISPATCHER_GRACE = 5.0
# Gateway close codes worth a sentence of their own.
CLOSE_REASONS = {
    4004: "Discord rejected DISCORD_BOT_TOKEN",
    4011: "Discord requires sharding from 2,500 servers: run the bot as an AutoShardedBot",
    4014: "the bot asked for a privileged intent that is not enabled",
}


class DiscordStartError(RuntimeError):
    """The bot could not start or stopped on an error; one line, no secret."""


def build_bot(service: ChatService, settings: DiscordSettings) -> OptOutBot:
    return OptOutBot(service, settings)


async def login(client: discord.Client, settings: DiscordSettings) -> None:
    """The HTTP login (and setup_hook); discord.py's own messages are not passed on."""
    try:
        await client.login(settings.token)
    except discord.LoginFailure:
        raise DiscordStartError(
            "Discord rejected DISCORD_BOT_TOKEN: reset it on the Bot page of the Developer Portal"
        ) from None
    except discord.HTTPException as exc:
        raise DiscordStartError(f"Discord start-up failed (HTTP {exc.status})") from None
    except (aiohttp.ClientError, OSError) as exc:
        raise DiscordStartError(
            f"cannot reach Discord ({type(exc).__name__}); check the network"
        ) from None


async def serve(
    bot: OptOutBot,
    settings: DiscordSettings,
    stop: asyncio.Event,
    *,
    dispatcher: Dispatcher | None = None,
) -> None:
    """Answer, and deliver reminders when given a dispatcher, until `stop` is set."""
    async with bot:
        await login(bot, settings)
        await bot.warm_up()
        gateway = asyncio.create_task(bot.connect(reconnect=True), name="discord-gateway")
        stopping = asyncio.create_task(stop.wait(), name="discord-stop")
        delivery = (
            asyncio.create_task(dispatcher.run_forever(), name="discord-reminders")
            if dispatcher is not None
            else None
        )
        log.info("discord started reminders=%s", dispatcher is not None)
        try:
            await asyncio.wait({gateway, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if dispatcher is not None and delivery is not None:
                await stop_dispatcher(dispatcher, delivery, DISPATCHER_GRACE)
            stopping.cancel()
            await bot.close()
            await asyncio.gather(gateway, return_exceptions=True)
            log.info("discord stopped")
        if gateway.done() and not gateway.cancelled() and gateway.exception() is not None:
            raise _start_error(gateway.exception())


def sync_commands(settings: DiscordSettings, words: Words) -> int:
    """`optout-bot discord sync`: register /optout with Discord now, in DISCORD_GUILD_ID when
    set (instant, for development), globally otherwise; the exit status."""
    _default_logging()

    async def main() -> int:
        bot = OptOutBot(None, settings, words=words, sync_on_start=False)
        async with bot:
            await login(bot, settings)
            await bot.sync_commands(force=True)
            return sum(len(c.get("options", [])) for c in await bot.command_payload())

    try:
        count = asyncio.run(main())
    except DiscordStartError as exc:
        print(f"optout-bot: {exc}", file=sys.stderr)
        return 1
    except discord.HTTPException as exc:
        print(
            f"optout-bot: Discord refused the commands (HTTP {exc.status}, code {exc.code})",
            file=sys.stderr,
        )
        return 1
    where = f"to server {settings.guild_id}" if settings.guild_id else "globally"
    print(f"discord commands synced {where}: /optout with {count} subcommands")
    return 0


@contextlib.asynccontextmanager
async def http_notifier(settings: DiscordSettings) -> AsyncIterator[DiscordNotifier]:
    """A notifier over an HTTP-only login (no gateway), for one dispatch pass from cron
    (`optout-bot reminders run`)."""
    counter = RateLimitCounter()
    client = discord.Client(
        intents=bot_intents(),
        allowed_mentions=discord.AllowedMentions.none(),
        http_trace=counter.trace,
        max_ratelimit_timeout=MAX_RATELIMIT_WAIT,
    )
    async with client:
        await login(client, settings)
        yield DiscordNotifier(client, rate_limits=counter)


def _start_error(error: BaseException | None) -> DiscordStartError:
    if isinstance(error, DiscordStartError):
        return error
    if isinstance(error, discord.PrivilegedIntentsRequired):
        return DiscordStartError(CLOSE_REASONS[4014])
    if isinstance(error, discord.ConnectionClosed) and error.code in CLOSE_REASONS:
        return DiscordStartError(CLOSE_REASONS[error.code])
    return DiscordStartError(f"the Discord connection failed ({type(error).__name__})")


def _default_logging() -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
        )
