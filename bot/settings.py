"""Settings read from the environment (and `.env`), validated once at start-up."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlsplit, urlunsplit

DEFAULT_DATABASE_PATH = "data/bookclub.sqlite3"
DEFAULT_SUMMARY_MODEL = "gpt-4o-mini"
# Compatible endpoints do not report their context window, so the default fits small local models too.
DEFAULT_SUMMARY_CONTEXT_TOKENS = 8000
MIN_SUMMARY_CONTEXT_TOKENS = 2000
DEFAULT_SUMMARY_DAILY_TOKENS = 200_000
DEFAULT_SUMMARY_COOLDOWN_SECONDS = 300
DEFAULT_SUMMARY_TIMEOUT_SECONDS = 120.0
DEFAULT_SCHEDULER_POLL_SECONDS = 15
DEFAULT_SCHEDULER_LEASE_SECONDS = 900
MIN_SCHEDULER_LEASE_SECONDS = 3  # bot.scheduler.MIN_LEASE
DEFAULT_CALENDAR_FEED_HOST = "127.0.0.1"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# A bot token is three URL-safe base64 segments joined by dots.
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it and says how to fix it."""


class Secret:
    """A string that never shows itself in logs, reprs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        """Return the secret value."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Settings:
    """Everything the bot is configured with."""

    discord_token: Secret | None
    database_path: Path
    dev_guild_id: int | None
    log_level: str
    openai_api_key: Secret | None
    openai_base_url: str | None
    summary_model: str
    # Lets `/review feature url:` fetch from private and loopback addresses (tests, self-hosted blogs).
    review_fetch_allow_private: bool = False
    summary_context_tokens: int = DEFAULT_SUMMARY_CONTEXT_TOKENS
    summary_daily_tokens: int = DEFAULT_SUMMARY_DAILY_TOKENS
    summary_cooldown_seconds: int = DEFAULT_SUMMARY_COOLDOWN_SECONDS
    summary_timeout_seconds: float = DEFAULT_SUMMARY_TIMEOUT_SECONDS
    # The calendar feed listens only when a port is set (0: any free port, as tests use).
    calendar_feed_port: int | None = None
    calendar_feed_host: str = DEFAULT_CALENDAR_FEED_HOST
    # The public base URL members' calendar apps reach (a reverse proxy with HTTPS), if not http://host:port.
    calendar_feed_url: str | None = None
    # Where REST calls go instead of Discord's own API: a shared rate-limit proxy for shard processes.
    discord_api_base: str | None = None
    # A PostgreSQL database (postgresql://…) instead of the SQLite file; a secret, as it may hold a password.
    database_url: Secret | None = None
    # On a shared database, how often the scheduler looks for timers other processes scheduled (0: never).
    scheduler_poll_seconds: int = DEFAULT_SCHEDULER_POLL_SECONDS
    # How long a process's claim on a due timer lives: a killed process's timers run elsewhere after it.
    scheduler_lease_seconds: int = DEFAULT_SCHEDULER_LEASE_SECONDS

    @property
    def database_label(self) -> str:
        """Name the database for messages: the SQLite file, or the PostgreSQL URL without its password."""
        if self.database_url is None:
            return str(self.database_path)
        return redact_url(self.database_url.get())

    @property
    def calendar_feed_enabled(self) -> bool:
        """Say whether the bot serves calendar feeds over HTTP."""
        return self.calendar_feed_port is not None

    @property
    def summaries_enabled(self) -> bool:
        """Say whether an LLM is configured for thread summaries."""
        return self.openai_api_key is not None

    def require_token(self) -> Secret:
        """Return the Discord token or explain how to provide one."""
        if self.discord_token is None:
            raise SettingsError(
                "DISCORD_TOKEN is not set: copy .env.example to .env and paste your bot's token "
                "(Discord developer portal → your application → Bot → Reset Token)."
            )
        return self.discord_token


def redact_url(url: str) -> str:
    """Return a connection URL without its password, fit for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def _clean(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _parse_token(raw: str | None) -> Secret | None:
    if raw is None:
        return None
    if raw.lower().startswith("bot "):
        raise SettingsError("DISCORD_TOKEN must be the bare token: remove the leading 'Bot '.")
    if not _TOKEN_SHAPE.match(raw):
        raise SettingsError(
            "DISCORD_TOKEN does not look like a bot token (three dot-separated parts, no spaces or quotes): "
            "copy it again from the developer portal → Bot → Reset Token."
        )
    return Secret(raw)


def _parse_guild_id(raw: str | None) -> int | None:
    if raw is None:
        return None
    if not raw.isdigit() or not 15 <= len(raw) <= 21:
        raise SettingsError(
            f"DEV_GUILD_ID must be a server ID (a 17-20 digit number), not {raw!r}: in Discord enable "
            "Developer Mode, right-click the server and choose 'Copy Server ID'; or leave it empty."
        )
    return int(raw)


def _parse_log_level(raw: str | None) -> str:
    level = (raw or "INFO").upper()
    if level not in LOG_LEVELS:
        raise SettingsError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {raw!r}.")
    return level


def _parse_database_path(raw: str | None) -> Path:
    path = Path(raw or DEFAULT_DATABASE_PATH).expanduser()
    if path.exists() and path.is_dir():
        raise SettingsError(f"DATABASE_PATH must be a file, but {str(path)!r} is a directory.")
    return path


def _parse_database_url(raw: str | None) -> Secret | None:
    """Read DATABASE_URL: a PostgreSQL connection URL, postgresql://user:password@host:port/name."""
    if raw is None:
        return None
    parsed = urlparse(raw)
    if parsed.scheme not in ("postgresql", "postgres") or not (parsed.netloc or parsed.query):
        # The value may hold a password: the message shows its scheme only.
        raise SettingsError(
            "DATABASE_URL must be a PostgreSQL URL such as postgresql://bookclub:password@127.0.0.1:5432/bookclub "
            f"(its scheme is {parsed.scheme or 'missing'!r}); leave it empty to use the SQLite file DATABASE_PATH."
        )
    return Secret(raw)


def _parse_base_url(raw: str | None) -> str | None:
    if raw is None:
        return None
    parsed = urlparse(raw)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SettingsError(
            f"OPENAI_BASE_URL must be an http(s) URL such as https://api.openai.com/v1, not {raw!r}."
        )
    return raw


def _parse_api_base(raw: str | None) -> str | None:
    """Read DISCORD_API_BASE: an http(s) URL ending in Discord's API version, e.g. http://proxy:8080/api/v10."""
    if raw is None:
        return None
    parsed = urlparse(raw)
    if (
        parsed.scheme not in ("http", "https")
        or not parsed.netloc
        or parsed.query
        or not parsed.path.rstrip("/").endswith("/api/v10")
    ):
        raise SettingsError(
            "DISCORD_API_BASE must be the base URL of a Discord REST proxy ending in /api/v10, such as "
            f"http://127.0.0.1:8080/api/v10, not {raw!r}."
        )
    return raw.rstrip("/")


def _parse_port(raw: str | None) -> int | None:
    if raw is None:
        return None
    if not raw.isdigit() or int(raw) > 65535:
        raise SettingsError(
            f"CALENDAR_FEED_PORT must be a port number (1-65535, or 0 for any free one), not {raw!r}; "
            "leave it empty to serve no calendar feed."
        )
    return int(raw)


def _parse_feed_url(raw: str | None) -> str | None:
    if raw is None:
        return None
    parsed = urlparse(raw)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or parsed.query or parsed.fragment:
        raise SettingsError(
            f"CALENDAR_FEED_URL must be the public base URL of the feed, such as https://club.example.org "
            f"(no query or fragment), not {raw!r}."
        )
    return raw.rstrip("/")


def _parse_flag(name: str, raw: str | None) -> bool:
    if raw is None:
        return False
    value = raw.casefold()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false (or 1 or 0), not {raw!r}.")


def _parse_number(env: Mapping[str, str], name: str, default: int, minimum: int, meaning: str) -> int:
    raw = _clean(env, name)
    if raw is None:
        return default
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise SettingsError(f"{name} must be a whole number of at least {minimum} ({meaning}), not {raw!r}.")
    return value


def load_settings(env: Mapping[str, str]) -> Settings:
    """Build validated settings from an environment mapping."""
    openai_key = _clean(env, "OPENAI_API_KEY")
    base_url = _parse_base_url(_clean(env, "OPENAI_BASE_URL"))
    if base_url is not None and openai_key is None:
        raise SettingsError(
            "OPENAI_BASE_URL is set but OPENAI_API_KEY is not: set both to enable summaries, or neither."
        )
    feed_port = _parse_port(_clean(env, "CALENDAR_FEED_PORT"))
    feed_host = _clean(env, "CALENDAR_FEED_HOST")
    feed_url = _parse_feed_url(_clean(env, "CALENDAR_FEED_URL"))
    if feed_port is None and (feed_host is not None or feed_url is not None):
        raise SettingsError(
            "CALENDAR_FEED_HOST or CALENDAR_FEED_URL is set but CALENDAR_FEED_PORT is not: set the port to "
            "serve the calendar feed, or leave all three empty."
        )
    return Settings(
        discord_token=_parse_token(_clean(env, "DISCORD_TOKEN")),
        database_path=_parse_database_path(_clean(env, "DATABASE_PATH")),
        dev_guild_id=_parse_guild_id(_clean(env, "DEV_GUILD_ID")),
        log_level=_parse_log_level(_clean(env, "LOG_LEVEL")),
        openai_api_key=Secret(openai_key) if openai_key else None,
        openai_base_url=base_url,
        summary_model=_clean(env, "SUMMARY_MODEL") or DEFAULT_SUMMARY_MODEL,
        review_fetch_allow_private=_parse_flag(
            "REVIEW_FETCH_ALLOW_PRIVATE", _clean(env, "REVIEW_FETCH_ALLOW_PRIVATE")
        ),
        summary_context_tokens=_parse_number(
            env,
            "SUMMARY_CONTEXT_TOKENS",
            DEFAULT_SUMMARY_CONTEXT_TOKENS,
            MIN_SUMMARY_CONTEXT_TOKENS,
            "the model's context window in tokens",
        ),
        summary_daily_tokens=_parse_number(
            env,
            "SUMMARY_DAILY_TOKENS",
            DEFAULT_SUMMARY_DAILY_TOKENS,
            0,
            "tokens a club may use a day; 0 turns summaries off",
        ),
        summary_cooldown_seconds=_parse_number(
            env,
            "SUMMARY_COOLDOWN_SECONDS",
            DEFAULT_SUMMARY_COOLDOWN_SECONDS,
            0,
            "seconds between a member's summaries",
        ),
        summary_timeout_seconds=float(
            _parse_number(
                env,
                "SUMMARY_TIMEOUT_SECONDS",
                int(DEFAULT_SUMMARY_TIMEOUT_SECONDS),
                1,
                "seconds to wait for one answer",
            )
        ),
        calendar_feed_port=feed_port,
        calendar_feed_host=feed_host or DEFAULT_CALENDAR_FEED_HOST,
        calendar_feed_url=feed_url,
        discord_api_base=_parse_api_base(_clean(env, "DISCORD_API_BASE")),
        database_url=_parse_database_url(_clean(env, "DATABASE_URL")),
        scheduler_poll_seconds=_parse_number(
            env,
            "SCHEDULER_POLL_SECONDS",
            DEFAULT_SCHEDULER_POLL_SECONDS,
            0,
            "seconds between looks for timers other processes scheduled; 0 turns them off",
        ),
        scheduler_lease_seconds=_parse_number(
            env,
            "SCHEDULER_LEASE_SECONDS",
            DEFAULT_SCHEDULER_LEASE_SECONDS,
            MIN_SCHEDULER_LEASE_SECONDS,
            "seconds a dead process's timers wait before another process runs them",
        ),
    )


def configure_logging(level: str) -> None:
    """Configure the root logger once, for the whole process."""
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)-8s %(name)s: %(message)s",
    )
    # discord.py's gateway chatter is noise at INFO.
    logging.getLogger("discord.gateway").setLevel(max(logging.getLevelName(level), logging.WARNING))
