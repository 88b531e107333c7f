from __future__ import annotations

from pathlib import Path

import pytest

from bot.discord.settings import DiscordSettings, SettingsError
from bot.settings import discord_settings
from tests.discord_adapter.fake_rest_api import TOKEN


def test_settings_from_the_environment():
    settings = discord_settings(
        {"DISCORD_BOT_TOKEN": f" {TOKEN} ", "DISCORD_GUILD_ID": "300000000000000001"}
    )
    assert settings.token == TOKEN and settings.guild_id == 300000000000000001
    assert settings.data_dir == Path("./data")
    assert discord_settings(
        {"DISCORD_BOT_TOKEN": TOKEN, "OPTOUT_DATA_DIR": "/srv"}
    ).data_dir == Path("/srv")


def test_the_token_is_never_shown():
    settings = DiscordSettings(token=TOKEN)
    assert TOKEN not in repr(settings) and TOKEN not in str(settings)
    assert "***" in repr(settings)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "DISCORD_BOT_TOKEN is not set"),
        ({"DISCORD_BOT_TOKEN": f"Bot {TOKEN}"}, "without 'Bot '"),
        ({"DISCORD_BOT_TOKEN": "not-a-token"}, "does not look like a bot token"),
        ({"DISCORD_BOT_TOKEN": TOKEN, "DISCORD_GUILD_ID": "my-server"}, "DISCORD_GUILD_ID"),
    ],
)
def test_bad_settings_are_one_line_errors(env, message):
    with pytest.raises(SettingsError) as error:
        discord_settings(env)
    text = str(error.value)
    assert message in text and "\n" not in text and "not-a-token" not in text
