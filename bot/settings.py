"""Every environment variable the bot reads, validated once at start-up, before anything connects.

This is the only module that reads the environment (tests/test_architecture.py checks it): the
rest of the bot, the core included, is given what it needs by bot.bootstrap. `load_settings()`
reports every problem, one line each, and never echoes a secret. The chat platforms' own settings
classes (bot.telegram.settings, bot.discord.settings) do their checks; they are read from the
environment here.
"""

from __future__ import annotations

import os
import re
import socket
import tempfile
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit, urlunsplit

from bot.core.reminders import DEFAULT_OFFSETS
from bot.storage import DEFAULT_DATA_DIR, DEFAULT_DATABASE_FILE

if TYPE_CHECKING:
    from bot.discord.settings import DiscordSettings
    from bot.telegram.settings import TelegramSettings

DEFAULT_HTTP_HOST = "127.0.0.1"
LOG_FORMATS = ("text", "json")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
MAX_OFFSET_DAYS = 365
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}

# Every variable read here, for `config check` and the .env.example test.
VARIABLES = (
    "OPTOUT_DATABASE_URL",
    "OPTOUT_DATABASE_PASSWORD",
    "OPTOUT_DATA_DIR",
    "OPTOUT_KNOWLEDGE_DIR",
    "OPTOUT_CACHE_DIR",
    "OPTOUT_HTTP_HOST",
    "OPTOUT_HTTP_PORT",
    "OPTOUT_LOG_FORMAT",
    "OPTOUT_LOG_LEVEL",
    "OPTOUT_COLLECT_UNANSWERED",
    "OPTOUT_REMINDER_OFFSETS",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_API_BASE_URL",
    "TELEGRAM_WEBHOOK_URL",
    "TELEGRAM_WEBHOOK_SECRET",
    "TELEGRAM_WEBHOOK_LISTEN",
    "TELEGRAM_WEBHOOK_PORT",
    "DISCORD_BOT_TOKEN",
    "DISCORD_GUILD_ID",
)
PLATFORM_TOKENS = {"telegram": "TELEGRAM_BOT_TOKEN", "discord": "DISCORD_BOT_TOKEN"}
# A platform's other settings, checked even while its token is unset.
TELEGRAM_OPTIONS = (
    "TELEGRAM_API_BASE_URL",
    "TELEGRAM_WEBHOOK_URL",
    "TELEGRAM_WEBHOOK_SECRET",
    "TELEGRAM_WEBHOOK_PORT",
)
DISCORD_OPTIONS = ("DISCORD_GUILD_ID",)

# When a platform's settings class rejects one variable, it is replaced by a value the class
# accepts (None: removed) and the class is asked again, so every problem gets its line.
_STAND_INS: dict[str, str | None] = {
    "TELEGRAM_BOT_TOKEN": "1:stand-in",
    "TELEGRAM_API_BASE_URL": None,
    "TELEGRAM_WEBHOOK_URL": None,
    "TELEGRAM_WEBHOOK_SECRET": "stand-in",
    "TELEGRAM_WEBHOOK_PORT": None,
    "DISCORD_BOT_TOKEN": "A" * 24 + ".AAAAAA." + "A" * 27,
    "DISCORD_GUILD_ID": None,
}


class SettingsInvalid(ValueError):
    """One or more settings are wrong; `problems` holds one line each, with no secret in it."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Settings:
    database_url: str
    data_dir: Path
    knowledge_dir: Path | None = None  # None: the knowledge base shipped in the package
    cache_dir: Path | None = None  # None: the default below
    # Where the core keeps its caches without OPTOUT_CACHE_DIR: $XDG_CACHE_HOME/optout-bot.
    default_cache_dir: Path | None = None
    http_host: str = DEFAULT_HTTP_HOST
    http_port: int | None = None  # None: no HTTP server
    log_format: str = "text"
    log_level: str = "INFO"
    collect_unanswered: bool = False
    reminder_offsets: tuple[int, ...] = DEFAULT_OFFSETS
    telegram: Any = None  # TelegramSettings when its token is set (or --only telegram)
    discord: Any = None  # DiscordSettings likewise
    doors: tuple[str, ...] = field(default=())
    log_level_set: bool = False  # OPTOUT_LOG_LEVEL given (the terminal chat quiets logs if not)
    locale_language: str | None = None  # the terminal's language hint (LANG=de_DE: "de_DE")

    @property
    def cache_folder(self) -> Path | None:
        """The folder the core keeps its caches in."""
        return self.cache_dir or self.default_cache_dir

    def describe(self) -> list[str]:
        """The effective configuration, one `NAME=value` per line, secrets masked."""
        lines = [
            f"OPTOUT_DATABASE_URL={mask_url(self.database_url)}",
            f"OPTOUT_DATA_DIR={self.data_dir}",
            f"OPTOUT_KNOWLEDGE_DIR={self.knowledge_dir or '(built in)'}",
            f"OPTOUT_CACHE_DIR={self.cache_dir or '(default)'}",
            f"OPTOUT_HTTP_HOST={self.http_host}",
            f"OPTOUT_HTTP_PORT={self.http_port or '(unset: no HTTP server)'}",
            f"OPTOUT_LOG_FORMAT={self.log_format}",
            f"OPTOUT_LOG_LEVEL={self.log_level}",
            f"OPTOUT_COLLECT_UNANSWERED={int(self.collect_unanswered)}",
            f"OPTOUT_REMINDER_OFFSETS={','.join(map(str, self.reminder_offsets))}",
        ]
        if self.telegram is None:
            lines.append("TELEGRAM_BOT_TOKEN=(unset: Telegram off)")
        else:
            t = self.telegram
            lines += [
                f"TELEGRAM_BOT_TOKEN={mask_secret(t.token)}",
                f"TELEGRAM_API_BASE_URL={t.api_base_url}",
                f"TELEGRAM_WEBHOOK_URL={t.webhook_url or '(unset: long polling)'}",
                f"TELEGRAM_WEBHOOK_SECRET={mask_secret(t.webhook_secret)}",
                f"TELEGRAM_WEBHOOK_LISTEN={t.webhook_listen}",
                f"TELEGRAM_WEBHOOK_PORT={t.webhook_port}",
            ]
        if self.discord is None:
            lines.append("DISCORD_BOT_TOKEN=(unset: Discord off)")
        else:
            lines += [
                f"DISCORD_BOT_TOKEN={mask_secret(self.discord.token)}",
                f"DISCORD_GUILD_ID={self.discord.guild_id or '(unset: global commands)'}",
            ]
        lines.append(f"doors: {', '.join(self.doors) or 'terminal'}")
        return lines


def mask_secret(value: str | None) -> str:
    return "(unset)" if not value else f"*** ({len(value)} characters)"


def mask_url(url: str) -> str:
    """The URL with any password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def load_settings(
    environ: Mapping[str, str] | None = None, *, only: Collection[str] | None = None
) -> Settings:
    """Settings from the environment. A chat platform is on when its token is set, or when it is
    named in `only` (then a missing token is a problem). Raises SettingsInvalid listing every
    problem found."""
    env = _environ(environ)
    problems: list[str] = []

    def value(name: str) -> str:
        return env.get(name, "").strip()

    wanted = set(only or ()) | {name for name, key in PLATFORM_TOKENS.items() if value(key)}
    data_dir = Path(value("OPTOUT_DATA_DIR") or DEFAULT_DATA_DIR)
    url = value("OPTOUT_DATABASE_URL") or (
        "sqlite:///" + (data_dir / DEFAULT_DATABASE_FILE).as_posix()
    )
    # The data folder holds the default SQLite file and Discord's command-sync hash.
    if not value("OPTOUT_DATABASE_URL") or "discord" in wanted:
        reason = unwritable_folder_reason(data_dir)
        if reason:
            problems.append(f"OPTOUT_DATA_DIR {reason}: {data_dir}")
    problem = database_url_problem(url)
    password = env.get("OPTOUT_DATABASE_PASSWORD", "")
    if problem:
        problems.append(problem)
    elif password:
        url, problem = with_password(url, password)
        if problem:
            problems.append(problem)
    elif value("OPTOUT_DATABASE_URL").startswith("sqlite:///"):
        database_folder = Path(url.removeprefix("sqlite:///")).parent
        reason = unwritable_folder_reason(database_folder)
        if reason:
            problems.append(
                f"OPTOUT_DATABASE_URL: the database's folder {reason}: {database_folder}"
            )

    knowledge_dir = Path(value("OPTOUT_KNOWLEDGE_DIR")) if value("OPTOUT_KNOWLEDGE_DIR") else None
    if knowledge_dir is not None and not knowledge_dir.is_dir():
        problems.append(f"OPTOUT_KNOWLEDGE_DIR is not a directory: {knowledge_dir}")
    cache_dir = Path(value("OPTOUT_CACHE_DIR")) if value("OPTOUT_CACHE_DIR") else None

    http_host = value("OPTOUT_HTTP_HOST") or DEFAULT_HTTP_HOST
    if value("OPTOUT_HTTP_HOST") and not resolves(http_host):
        problems.append(
            f"OPTOUT_HTTP_HOST is not an address or a host name this machine resolves: {http_host}"
        )
    http_port = None
    if value("OPTOUT_HTTP_PORT"):
        http_port = _port(value("OPTOUT_HTTP_PORT"))
        if http_port is None:
            problems.append("OPTOUT_HTTP_PORT must be a port number (1-65535)")

    log_format = value("OPTOUT_LOG_FORMAT").lower() or "text"
    if log_format not in LOG_FORMATS:
        problems.append("OPTOUT_LOG_FORMAT must be text or json")
    log_level = value("OPTOUT_LOG_LEVEL").upper() or "INFO"
    if log_level not in LOG_LEVELS:
        problems.append(f"OPTOUT_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")

    collect_text = value("OPTOUT_COLLECT_UNANSWERED").lower()
    if collect_text not in _TRUE | _FALSE:
        problems.append("OPTOUT_COLLECT_UNANSWERED must be 1 or 0")

    offsets = DEFAULT_OFFSETS
    if value("OPTOUT_REMINDER_OFFSETS"):
        offsets = _offsets(value("OPTOUT_REMINDER_OFFSETS"))
        if offsets is None:
            problems.append(
                "OPTOUT_REMINDER_OFFSETS must be distinct whole days before a date, 0-"
                f"{MAX_OFFSET_DAYS}, separated by commas (for example 14,7,1,0)"
            )
            offsets = DEFAULT_OFFSETS

    telegram = discord = None
    from bot.discord.settings import SettingsError as DiscordSettingsError
    from bot.telegram.settings import SettingsError

    if "telegram" in wanted:
        telegram = _checked(telegram_settings, SettingsError, env, problems)
    elif _any_set(env, TELEGRAM_OPTIONS):
        # Off without a token, but a wrong value would surface only once a token is added.
        _checked(telegram_settings, SettingsError, _stand_in_token(env, "telegram"), problems)
    if "discord" in wanted:
        discord = _checked(discord_settings, DiscordSettingsError, env, problems)
    elif _any_set(env, DISCORD_OPTIONS):
        _checked(
            discord_settings,
            DiscordSettingsError,
            _stand_in_token(env, "discord"),
            problems,
        )

    if problems:
        raise SettingsInvalid(problems)
    return Settings(
        database_url=url,
        data_dir=data_dir,
        knowledge_dir=knowledge_dir,
        cache_dir=cache_dir,
        http_host=http_host,
        http_port=http_port,
        log_format=log_format,
        log_level=log_level,
        collect_unanswered=collect_text in _TRUE,
        reminder_offsets=offsets,
        telegram=telegram,
        discord=discord,
        doors=tuple(name for name in PLATFORM_TOKENS if name in wanted),
        default_cache_dir=default_cache_dir(env),
        log_level_set=bool(value("OPTOUT_LOG_LEVEL")),
        locale_language=locale_language(env),
    )


def _environ(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def database_url(environ: Mapping[str, str] | None = None) -> str:
    """OPTOUT_DATABASE_URL, or the default SQLite file under OPTOUT_DATA_DIR (unchecked: for
    build_services() called without settings)."""
    env = _environ(environ)
    url = env.get("OPTOUT_DATABASE_URL", "").strip()
    if url:
        return url
    data_dir = Path(env.get("OPTOUT_DATA_DIR") or DEFAULT_DATA_DIR)
    # An absolute path keeps its leading "/", giving the four-slash form.
    return "sqlite:///" + (data_dir / DEFAULT_DATABASE_FILE).as_posix()


def knowledge_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """OPTOUT_KNOWLEDGE_DIR, unchecked (`ask`, `eval` and `kb check` load it and say what is
    wrong); None: the knowledge base shipped in the package."""
    configured = _environ(environ).get("OPTOUT_KNOWLEDGE_DIR", "").strip()
    return Path(configured) if configured else None


def default_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """$XDG_CACHE_HOME/optout-bot, or ~/.cache/optout-bot."""
    xdg = _environ(environ).get("XDG_CACHE_HOME")
    return Path(xdg or Path.home() / ".cache") / "optout-bot"


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The folder the core keeps its caches in: OPTOUT_CACHE_DIR, or the default."""
    configured = _environ(environ).get("OPTOUT_CACHE_DIR", "").strip()
    return Path(configured) if configured else default_cache_dir(environ)


def locale_language(environ: Mapping[str, str] | None = None) -> str | None:
    """The terminal's hint, as Telegram's language_code is: the locale's language (LANG=de_DE)."""
    env = _environ(environ)
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name)
        if value:
            return value.split(".")[0]
    return None


def child_environment(overrides: Mapping[str, str]) -> dict[str, str]:
    """This process's environment with `overrides`, for a child process (the benchmarks')."""
    return {**os.environ, **overrides}


# Not the bot's own (so neither in VARIABLES nor in .env.example): the PostgreSQL database the
# tests and benchmarks may use.
TEST_POSTGRES_URL = "OPTOUT_TEST_POSTGRES_URL"
DEVELOPER_VARIABLES = (TEST_POSTGRES_URL,)


def benchmark_postgres_url(environ: Mapping[str, str] | None = None) -> str | None:
    """OPTOUT_TEST_POSTGRES_URL, or None."""
    return _environ(environ).get(TEST_POSTGRES_URL) or None


def telegram_settings(environ: Mapping[str, str] | None = None) -> TelegramSettings:
    """The Telegram settings from TELEGRAM_*; SettingsError (one line) on the first problem."""
    from bot.telegram.settings import (
        DEFAULT_API_BASE_URL,
        DEFAULT_WEBHOOK_LISTEN,
        DEFAULT_WEBHOOK_PORT,
        SettingsError,
        TelegramSettings,
    )

    env = _environ(environ)

    def value(name: str) -> str | None:
        text = env.get(name, "").strip()
        return text or None

    port_text = value("TELEGRAM_WEBHOOK_PORT")
    try:
        port = int(port_text) if port_text else DEFAULT_WEBHOOK_PORT
    except ValueError:
        raise SettingsError("TELEGRAM_WEBHOOK_PORT must be a port number (1-65535)") from None
    return TelegramSettings(
        token=value("TELEGRAM_BOT_TOKEN") or "",
        api_base_url=value("TELEGRAM_API_BASE_URL") or DEFAULT_API_BASE_URL,
        webhook_url=value("TELEGRAM_WEBHOOK_URL"),
        webhook_secret=value("TELEGRAM_WEBHOOK_SECRET"),
        webhook_listen=value("TELEGRAM_WEBHOOK_LISTEN") or DEFAULT_WEBHOOK_LISTEN,
        webhook_port=port,
    )


def discord_settings(environ: Mapping[str, str] | None = None) -> DiscordSettings:
    """The Discord settings from DISCORD_* and OPTOUT_DATA_DIR; SettingsError (one line) on the
    first problem."""
    from bot.discord.settings import SNOWFLAKE, DiscordSettings, SettingsError

    env = _environ(environ)
    guild_text = env.get("DISCORD_GUILD_ID", "").strip()
    if guild_text and not SNOWFLAKE.match(guild_text):
        raise SettingsError("DISCORD_GUILD_ID must be a server id (15-21 digits)")
    return DiscordSettings(
        token=env.get("DISCORD_BOT_TOKEN", "").strip(),
        guild_id=int(guild_text) if guild_text else None,
        data_dir=Path(env.get("OPTOUT_DATA_DIR", "").strip() or DEFAULT_DATA_DIR),
    )


def database_url_problem(url: str) -> str | None:
    """One line saying what is wrong with a database URL, or None; nothing is connected."""
    if url.startswith("sqlite:///"):
        if not url.removeprefix("sqlite:///").strip("/"):
            return "OPTOUT_DATABASE_URL: a sqlite:/// URL needs a file path"
        return None
    if url.startswith(("postgresql://", "postgres://")):
        reason = _postgres_url_reason(url)
        if reason is None:
            return None
        return (
            f"OPTOUT_DATABASE_URL is not a valid PostgreSQL URL ({reason}): {mask_url_safely(url)}"
        )
    scheme = url.split(":", 1)[0] if ":" in url else url[:20]
    return (
        f"OPTOUT_DATABASE_URL has an unsupported scheme {scheme!r}: "
        "use sqlite:///path.db or postgresql://user@host/db"
    )


def with_password(url: str, password: str) -> tuple[str, str | None]:
    """A PostgreSQL URL with OPTOUT_DATABASE_PASSWORD put in, percent-encoded so that any
    character works (compose passes the password apart from the URL for this reason)."""
    if not url.startswith(("postgresql://", "postgres://")):
        return url, "OPTOUT_DATABASE_PASSWORD is only for a postgresql:// OPTOUT_DATABASE_URL"
    parts = urlsplit(url)
    if parts.password is not None:
        return url, (
            "OPTOUT_DATABASE_PASSWORD is set and OPTOUT_DATABASE_URL holds a password too: keep one"
        )
    user, at, host = parts.netloc.rpartition("@")
    if not at or not user:
        return url, "OPTOUT_DATABASE_PASSWORD needs a user in OPTOUT_DATABASE_URL (user@host)"
    netloc = f"{user}:{quote(password, safe='')}@{host}"
    return urlunsplit(parts._replace(netloc=netloc)), None


_ENCODE_HINT = "a password with @, : or / must be percent-encoded"


def _postgres_url_reason(url: str) -> str | None:
    """Why libpq would refuse this URL, without any part of the user or password in it."""
    import psycopg

    userinfo = _userinfo(url)
    if "@" in userinfo or "/" in userinfo:
        return _ENCODE_HINT
    try:
        port = urlsplit(url).port
    except ValueError:
        port = 0
    if port == 0:
        reason = "the port must be a number from 1 to 65535"
        return f"{reason}; {_ENCODE_HINT}" if userinfo else reason
    try:
        psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.Error as exc:
        message = " ".join(str(exc).split())

        def shown(match: re.Match[str]) -> str:
            # libpq quotes the token it refuses; one from the user or password stays hidden.
            return '"***"' if userinfo and match[1] in userinfo else match[0]

        return re.sub(r'"([^"]*)"', shown, message)
    return None


def _userinfo(url: str) -> str:
    """What stands before the last "@" of the authority: user and password, possibly
    mis-encoded (then it may run past the first "/")."""
    rest = url.split("://", 1)[1].split("?", 1)[0]
    return rest.rpartition("@")[0]


def mask_url_safely(url: str) -> str:
    """The URL with the password hidden, whether or not it parses: everything between the
    user and the last "@" (a mis-encoded password may hold "/" or "@")."""
    if "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    userinfo, at, host_and_path = rest.rpartition("@")
    if not at:
        return url
    if ":" not in userinfo and "/" not in userinfo:
        return url  # a user and no password
    user = userinfo.split(":", 1)[0].split("/", 1)[0]
    return f"{scheme}://{user}:***@{host_and_path}"


def unwritable_folder_reason(folder: Path) -> str | None:
    """Why the bot could not create or write files in `folder`, or None when it can. The folder
    is created at start-up when missing, so its nearest existing parent is what is tried: a
    folder is made there and removed (permission bits alone would say yes to root on a
    read-only file system)."""
    existing = folder
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        return "is not a directory" if existing == folder else f"is inside a file ({existing})"
    try:
        Path(tempfile.mkdtemp(prefix=".optout-bot-check-", dir=existing)).rmdir()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        if existing == folder:
            return f"is not writable ({reason})"
        return f"cannot be created in {existing} ({reason})"
    return None


def resolves(host: str) -> bool:
    """True when the HTTP endpoint could bind to `host` (an address or a resolvable name)."""
    try:
        socket.getaddrinfo(host, None, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError):
        return False
    return True


def _any_set(env: Mapping[str, str], names: Collection[str]) -> bool:
    return any(env.get(name, "").strip() for name in names)


def _stand_in_token(env: Mapping[str, str], platform: str) -> dict[str, str]:
    name = PLATFORM_TOKENS[platform]
    return {**env, name: _STAND_INS[name] or ""}


def _port(text: str) -> int | None:
    try:
        port = int(text)
    except ValueError:
        return None
    return port if 1 <= port <= 65535 else None


def _offsets(text: str) -> tuple[int, ...] | None:
    try:
        days = [int(part) for part in text.split(",")]
    except ValueError:
        return None
    if len(set(days)) != len(days) or any(not 0 <= d <= MAX_OFFSET_DAYS for d in days):
        return None
    return tuple(sorted(days, reverse=True))


def _checked(from_env, error_type, env: Mapping[str, str], problems: list[str]):
    """The platform's settings, or None with each of its problems appended (a rejected variable
    is replaced by a stand-in and the class asked again)."""
    trial = dict(env)
    found = False
    for _ in range(len(_STAND_INS) + 1):
        try:
            settings = from_env(trial)
        except error_type as exc:
            found = True
            message = str(exc)
            problems.append(message)
            name = message.split()[0]
            if name not in _STAND_INS or trial.get(name) == _STAND_INS[name]:
                return None
            stand_in = _STAND_INS[name]
            if stand_in is None:
                trial.pop(name, None)
            else:
                trial[name] = stand_in
            continue
        return None if found else settings
    return None
