"""The Telegram door's fixtures: the fake Bot API on 127.0.0.1 and the bot's settings for it;
and, for reminders and languages, the real Application over a set of services of its own (a
SQLite store in tmp_path, a FixedClock for the calendar) with a dispatcher whose pacing and retry
waits go to a FakeTime, so nothing sleeps for real. test_telegram.py's conversation tests run
their own `bot`, over the shared chat service."""

from __future__ import annotations

import functools

import pytest

from bot.bootstrap import Services, wake_all
from bot.core.clock import FixedClock
from bot.service.conversations import ConversationService
from bot.service.subscriptions import SubscriptionService
from bot.storage import open_store
from bot.telegram.app import build_application
from bot.telegram.notifier import TelegramNotifier
from bot.telegram.runner import running
from bot.telegram.settings import TelegramSettings
from tests.conftest import BEFORE_DEADLINE
from tests.telegram_adapter.fake_bot_api import FakeBotApi
from tests.telegram_adapter.support import FakeTime


@pytest.fixture(scope="session", autouse=True)
def one_ssl_context():
    """python-telegram-bot makes two httpx clients a bot, and httpx loads certifi's certificates
    into a new SSL context for each (30 ms); the fake Bot API speaks plain HTTP. One context, made
    once, serves the session's clients (if httpx moves the function, each makes its own again)."""
    import httpx._transports.default as transports

    made = functools.cache(transports.create_ssl_context)

    def shared(verify=True, cert=None, trust_env=True):
        if verify is True and cert is None:
            return made(verify, cert, trust_env)
        return made.__wrapped__(verify=verify, cert=cert, trust_env=trust_env)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(transports, "create_ssl_context", shared, raising=False)
        yield


@pytest.fixture
async def api():
    server = await FakeBotApi().start()
    yield server
    await server.stop()


@pytest.fixture
def settings(api) -> TelegramSettings:
    return TelegramSettings(token=api.token, api_base_url=api.base_url)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(BEFORE_DEADLINE)


@pytest.fixture
def services(answerer, clock, tmp_path):
    answerer.clock = clock
    conversations = ConversationService(answerer)
    store = open_store(f"sqlite:///{tmp_path / 'bot.db'}")
    dispatchers: list = []
    subscriptions = SubscriptionService(
        store, conversations, on_change=lambda sub: wake_all(dispatchers, sub)
    )
    built = Services(clock, answerer, conversations, store, subscriptions, dispatchers=dispatchers)
    yield built
    built.close()


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
async def bot(api, settings, services):
    app = build_application(settings, services.chat)
    async with running(app, settings, poll_timeout=1):
        yield app


@pytest.fixture
def dispatcher(bot, services, fake_time):
    notifier = TelegramNotifier(bot.bot, clock=fake_time.monotonic, sleep=fake_time.sleep)
    return services.dispatcher(notifier, sleep=fake_time.sleep)
