"""Every setting validated at start-up: one line per problem, no secret in any line."""

from __future__ import annotations

import socket

import pytest

from bot.bootstrap import build_services
from bot.core.clock import FixedClock
from bot.settings import VARIABLES, SettingsInvalid, load_settings
from tests.cli_process import run
from tests.conftest import AFTER_DEADLINE, KNOWLEDGE_DIR

TELEGRAM_TOKEN = "123456789:AAHsecretsecretsecret_-x"
DISCORD_TOKEN = "MTAxMjM0NTY3ODkwMTIzNDU2.GhIjKl.abcdefghijklmnopqrstuvwxyz0123"


def problems(env: dict[str, str], **kwargs) -> list[str]:
    with pytest.raises(SettingsInvalid) as caught:
        load_settings(env, **kwargs)
    return caught.value.problems


def test_defaults_need_nothing(tmp_path):
    settings = load_settings({"OPTOUT_DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path}/optout-bot.db"
    assert settings.http_host == "127.0.0.1" and settings.http_port is None
    assert settings.reminder_offsets == (14, 7, 1, 0)
    assert settings.telegram is None and settings.discord is None and settings.doors == ()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"OPTOUT_DATABASE_URL": "mysql://u:pw@h/db"}, "OPTOUT_DATABASE_URL has an unsupported"),
        (
            {"OPTOUT_DATABASE_URL": "postgresql://u:pw@h:nope/db"},
            "OPTOUT_DATABASE_URL is not a valid",
        ),
        ({"OPTOUT_DATABASE_URL": "sqlite:///"}, "OPTOUT_DATABASE_URL: a sqlite:/// URL"),
        ({"OPTOUT_HTTP_PORT": "http"}, "OPTOUT_HTTP_PORT must be a port number"),
        ({"OPTOUT_HTTP_PORT": "70000"}, "OPTOUT_HTTP_PORT must be a port number"),
        ({"OPTOUT_LOG_FORMAT": "xml"}, "OPTOUT_LOG_FORMAT must be text or json"),
        ({"OPTOUT_LOG_LEVEL": "loud"}, "OPTOUT_LOG_LEVEL must be one of"),
        ({"OPTOUT_COLLECT_UNANSWERED": "maybe"}, "OPTOUT_COLLECT_UNANSWERED must be 1 or 0"),
        ({"OPTOUT_REMINDER_OFFSETS": "7,x"}, "OPTOUT_REMINDER_OFFSETS must be"),
        ({"OPTOUT_REMINDER_OFFSETS": "7,7"}, "OPTOUT_REMINDER_OFFSETS must be"),
        ({"OPTOUT_REMINDER_OFFSETS": "-1"}, "OPTOUT_REMINDER_OFFSETS must be"),
        ({"OPTOUT_KNOWLEDGE_DIR": "/no/such/dir"}, "OPTOUT_KNOWLEDGE_DIR is not a directory"),
        ({"TELEGRAM_BOT_TOKEN": "not-a-token"}, "TELEGRAM_BOT_TOKEN does not look like"),
        (
            {"TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "TELEGRAM_WEBHOOK_URL": "https://b.example/t"},
            "TELEGRAM_WEBHOOK_SECRET is required when TELEGRAM_WEBHOOK_URL is set",
        ),
        ({"DISCORD_BOT_TOKEN": "short.token"}, "DISCORD_BOT_TOKEN does not look like"),
        ({"DISCORD_BOT_TOKEN": DISCORD_TOKEN, "DISCORD_GUILD_ID": "12"}, "DISCORD_GUILD_ID"),
    ],
)
def test_each_bad_value_gives_its_line(tmp_path, env, expected):
    found = problems({"OPTOUT_DATA_DIR": str(tmp_path), **env})
    assert len(found) == 1 and found[0].startswith(expected), found
    assert "pw" not in found[0]


def test_every_problem_is_reported_at_once(tmp_path):
    found = problems(
        {
            "OPTOUT_DATA_DIR": str(tmp_path),
            "OPTOUT_DATABASE_URL": "mysql://x",
            "OPTOUT_HTTP_PORT": "0",
            "TELEGRAM_BOT_TOKEN": "abc",
            "TELEGRAM_WEBHOOK_URL": "https://b.example/t",
            "DISCORD_BOT_TOKEN": "Bot " + DISCORD_TOKEN,
        }
    )
    assert [line.split()[0] for line in found] == [
        "OPTOUT_DATABASE_URL",
        "OPTOUT_HTTP_PORT",
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_WEBHOOK_SECRET",
        "DISCORD_BOT_TOKEN",
    ]
    assert not any(DISCORD_TOKEN in line for line in found)


def test_only_names_a_platform_whose_token_is_missing(tmp_path):
    assert problems({"OPTOUT_DATA_DIR": str(tmp_path)}, only=["telegram"]) == [
        "TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather"
    ]


def test_describe_masks_every_secret(tmp_path):
    settings = load_settings(
        {
            "OPTOUT_DATA_DIR": str(tmp_path),
            "OPTOUT_DATABASE_URL": "postgresql://bot:hunter2@db:5432/optout",
            "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
            "TELEGRAM_WEBHOOK_URL": "https://b.example/t",
            "TELEGRAM_WEBHOOK_SECRET": "webhooksecret",
            "DISCORD_BOT_TOKEN": DISCORD_TOKEN,
        }
    )
    text = "\n".join(settings.describe())
    for secret in ("hunter2", TELEGRAM_TOKEN, "AAHsecret", "webhooksecret", DISCORD_TOKEN):
        assert secret not in text
    assert "postgresql://bot:***@db:5432/optout" in text
    assert settings.doors == ("telegram", "discord")
    described = {line.split("=", 1)[0] for line in settings.describe() if "=" in line}
    assert described <= set(VARIABLES)


def test_reminder_offsets_reach_the_dispatcher_and_subscriptions(tmp_path):
    settings = load_settings(
        {"OPTOUT_DATA_DIR": str(tmp_path), "OPTOUT_REMINDER_OFFSETS": "3,30,0"}
    )
    assert settings.reminder_offsets == (30, 3, 0)
    services = build_services(
        FixedClock(AFTER_DEADLINE), settings=settings, knowledge_dir=KNOWLEDGE_DIR
    )
    try:
        assert services.dispatcher(object()).offsets == (30, 3, 0)
        assert services.subscriptions.offsets == (30, 3, 0)
    finally:
        services.close()


def test_config_check_prints_masked_configuration(tmp_path, command_line):
    status, out, err = command_line(
        "config",
        "check",
        env={"OPTOUT_DATA_DIR": str(tmp_path), "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN},
    )
    assert status == 0, err
    assert "TELEGRAM_BOT_TOKEN=*** (" in out and TELEGRAM_TOKEN not in out
    assert "configuration ok" in out


def test_config_check_exits_1_with_one_line_per_problem(tmp_path, command_line):
    status, _, err = command_line(
        "config",
        "check",
        env={
            "OPTOUT_DATA_DIR": str(tmp_path),
            "OPTOUT_DATABASE_URL": "oracle://u:pw@h/db",
            "TELEGRAM_BOT_TOKEN": "123:bad token",
        },
    )
    assert status == 1
    lines = err.strip().splitlines()
    assert len(lines) == 2 and all(line.startswith("optout-bot: ") for line in lines)
    assert "pw" not in err and "bad token" not in err


# --- `run` in a process of its own: it would start the doors were the check to let it ----------


@pytest.mark.slow
def test_run_stops_before_connecting_when_a_setting_is_bad(tmp_path):
    # An unroutable database: were it contacted, the command would hang, not exit 2 at once.
    result = run(
        "run",
        env={
            "OPTOUT_DATA_DIR": str(tmp_path),
            "OPTOUT_DATABASE_URL": "postgresql://u@10.255.255.1:5432/db?connect_timeout=30",
            "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
            "OPTOUT_HTTP_PORT": "not-a-port",
        },
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "optout-bot: OPTOUT_HTTP_PORT must be a port number (1-65535)"


# --- settings that were accepted, then crashed with a traceback ---------------------------------

BLOCKING_FILE = "not-a-folder"


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        (("config", "check"), {"OPTOUT_DATA_DIR": "/proc/optout-bot-data"}, "OPTOUT_DATA_DIR"),
        (
            ("config", "check"),
            {"OPTOUT_DATA_DIR": f"{{tmp}}/{BLOCKING_FILE}/data"},
            "OPTOUT_DATA_DIR",
        ),
        (
            ("config", "check"),
            {"OPTOUT_DATABASE_URL": "sqlite:////proc/optout-bot-data/bot.db"},
            "OPTOUT_DATABASE_URL",
        ),
        (
            ("config", "check"),
            {"OPTOUT_HTTP_HOST": "not_a_host.invalid", "OPTOUT_HTTP_PORT": "8080"},
            "OPTOUT_HTTP_HOST",
        ),
        (
            ("config", "check"),
            {
                "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
                "TELEGRAM_WEBHOOK_URL": "https://bot.example.org:9999/hook",
                "TELEGRAM_WEBHOOK_SECRET": "webhooksecret",
            },
            "TELEGRAM_WEBHOOK_URL",
        ),
        (("config", "check"), {"DISCORD_GUILD_ID": "notanumber"}, "DISCORD_GUILD_ID"),
        (
            ("config", "check"),
            {"OPTOUT_DATABASE_URL": "postgresql://u:s3cret-pw@localhost:99999/db"},
            "OPTOUT_DATABASE_URL",
        ),
        (("chat", "--now", "yesterday"), {}, "--now"),
        (("reminders", "due", "--at", "tomorrow"), {}, "--at"),
        (("reminders", "due", "--since", "2025-11-03", "--at", "2025-11-01"), {}, "--since"),
    ],
)
def test_a_bad_setting_or_argument_is_one_line_naming_it(tmp_path, command_line, args, env, named):
    (tmp_path / BLOCKING_FILE).write_text("")
    env = {name: text.replace("{tmp}", str(tmp_path)) for name, text in env.items()}
    # In this process, a traceback would be this test's error.
    status, _, err = command_line(*args, env={"OPTOUT_DATA_DIR": str(tmp_path / "data"), **env})
    assert status != 0
    (line,) = err.strip().splitlines()
    assert named in line and "s3cret-pw" not in line, line


def test_the_reason_a_postgresql_url_is_refused_is_shown_without_the_password(tmp_path):
    (line,) = problems(
        {
            "OPTOUT_DATA_DIR": str(tmp_path),
            "OPTOUT_DATABASE_URL": "postgresql://bot:pq@rs/tuvz@db:5432/optout",
        }
    )
    assert "must be percent-encoded" in line and "pq@rs" not in line and "tuvz" not in line
    (line,) = problems(
        {"OPTOUT_DATA_DIR": str(tmp_path), "OPTOUT_DATABASE_URL": "postgresql://b:x%zzy@db/o"}
    )
    assert "invalid percent-encoded token" in line and "x%zzy" not in line
    (line,) = problems(
        {"OPTOUT_DATA_DIR": str(tmp_path), "OPTOUT_DATABASE_URL": "postgresql://db/o?nope=1"}
    )
    assert 'invalid URI query parameter: "nope"' in line


def test_a_percent_encoded_password_is_accepted(tmp_path):
    url = "postgresql://bot:p%40ss%3Aw%2Ford@db:5432/optout"
    settings = load_settings({"OPTOUT_DATA_DIR": str(tmp_path), "OPTOUT_DATABASE_URL": url})
    assert settings.database_url == url


def test_the_data_folder_is_not_required_with_postgresql_and_no_discord(tmp_path):
    settings = load_settings(
        {
            "OPTOUT_DATA_DIR": "/proc/optout-bot-data",
            "OPTOUT_DATABASE_URL": "postgresql://bot@db:5432/optout",
        }
    )
    assert settings.data_dir.as_posix() == "/proc/optout-bot-data"


@pytest.mark.slow  # `run` in a process of its own; tests/ops/test_http.py has the error itself
def test_an_endpoint_that_cannot_listen_is_one_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(
            "run",
            "--only",
            "terminal",
            stdin="",
            env={"OPTOUT_DATA_DIR": str(tmp_path), "OPTOUT_HTTP_PORT": str(port)},
        )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("optout-bot: OPTOUT_HTTP_HOST/OPTOUT_HTTP_PORT: cannot listen on")
