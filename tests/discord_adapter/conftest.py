from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from bot.bootstrap import Services, build_services
from bot.core.clock import FixedClock
from bot.discord.bot import OptOutBot
from bot.discord.settings import DiscordSettings
from tests.conftest import BEFORE_DEADLINE, KNOWLEDGE_DIR
from tests.discord_adapter.fake_rest_api import TOKEN, FakeRestApi
from tests.discord_adapter.harness import (
    RecordingAdapter,
    offline,
    point_http_at,
    recording_adapter,
)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(BEFORE_DEADLINE)


@pytest.fixture
def services(tmp_path, clock) -> Iterator[Services]:
    built = build_services(
        clock, database=f"sqlite:///{tmp_path}/optout.db", knowledge_dir=KNOWLEDGE_DIR
    )
    yield built
    built.close()


@pytest.fixture
def settings(tmp_path) -> DiscordSettings:
    return DiscordSettings(token=TOKEN, data_dir=tmp_path / "data")


@pytest.fixture
def adapter() -> Iterator[RecordingAdapter]:
    with recording_adapter() as recorder:
        yield recorder


@pytest.fixture
async def bot(services, settings, adapter, rest) -> AsyncIterator[OptOutBot]:
    """The bot as it is after setup_hook, with no gateway: interactions come from the harness,
    interaction responses go to the recording adapter, and the REST calls a command makes
    besides (a DM to the user) go to the fake REST API."""
    async with offline(OptOutBot(services.chat, settings, sync_on_start=False)) as built:
        yield built


@pytest.fixture
async def rest(monkeypatch) -> AsyncIterator[FakeRestApi]:
    server = await FakeRestApi().start()
    point_http_at(monkeypatch, server.base_url)
    yield server
    await server.stop()


@pytest.fixture
async def online_bot(rest, services, settings) -> AsyncIterator[OptOutBot]:
    """The bot logged in to the fake REST API (setup_hook ran, commands synced); no gateway."""
    logged_in = OptOutBot(services.chat, settings)
    async with logged_in:
        await logged_in.login(TOKEN)
        yield logged_in
