"""Settings: every missing or malformed variable is named with how to fix it."""

import pytest

from bot.scheduler import MIN_LEASE
from bot.settings import DEFAULT_DATABASE_PATH, SettingsError, load_settings

TOKEN = "MTAxMjM0NTY3ODkwMTIzNDU2.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789AB"


def test_defaults_without_anything():
    settings = load_settings({})
    assert settings.discord_token is None
    assert str(settings.database_path) == DEFAULT_DATABASE_PATH
    assert settings.dev_guild_id is None
    assert settings.log_level == "INFO"
    assert not settings.summaries_enabled


def test_full_configuration():
    settings = load_settings(
        {
            "DISCORD_TOKEN": f"  {TOKEN}\n",
            "DATABASE_PATH": "/tmp/club.sqlite3",
            "DEV_GUILD_ID": "123456789012345678",
            "LOG_LEVEL": "debug",
            "OPENAI_API_KEY": "sk-test",
            "OPENAI_BASE_URL": "http://127.0.0.1:9999/v1",
            "SUMMARY_MODEL": "tiny",
        }
    )
    assert settings.require_token().get() == TOKEN
    assert settings.dev_guild_id == 123456789012345678
    assert settings.log_level == "DEBUG"
    assert settings.summaries_enabled and settings.summary_model == "tiny"


def test_missing_token_is_named_when_required():
    with pytest.raises(SettingsError, match=r"^DISCORD_TOKEN is not set.*developer portal"):
        load_settings({}).require_token()


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DISCORD_TOKEN": "not a token"}, "DISCORD_TOKEN"),
        ({"DISCORD_TOKEN": f"Bot {TOKEN}"}, "DISCORD_TOKEN"),
        ({"DISCORD_TOKEN": '"abc.def"'}, "DISCORD_TOKEN"),
        ({"DEV_GUILD_ID": "my-server"}, "DEV_GUILD_ID"),
        ({"DEV_GUILD_ID": "12"}, "DEV_GUILD_ID"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"OPENAI_BASE_URL": "ftp://x", "OPENAI_API_KEY": "k"}, "OPENAI_BASE_URL"),
        ({"OPENAI_BASE_URL": "http://127.0.0.1:1/v1"}, "OPENAI_API_KEY"),
        ({"DATABASE_PATH": "/tmp"}, "DATABASE_PATH"),
        ({"CALENDAR_FEED_PORT": "http"}, "CALENDAR_FEED_PORT"),
        ({"CALENDAR_FEED_PORT": "70000"}, "CALENDAR_FEED_PORT"),
        ({"CALENDAR_FEED_PORT": "-1"}, "CALENDAR_FEED_PORT"),
        ({"CALENDAR_FEED_HOST": "0.0.0.0"}, "CALENDAR_FEED_PORT"),
        ({"CALENDAR_FEED_URL": "https://club.example.org"}, "CALENDAR_FEED_PORT"),
        ({"CALENDAR_FEED_PORT": "8787", "CALENDAR_FEED_URL": "club.example.org"}, "CALENDAR_FEED_URL"),
        ({"CALENDAR_FEED_PORT": "8787", "CALENDAR_FEED_URL": "https://x.org/?a=1"}, "CALENDAR_FEED_URL"),
    ],
)
def test_malformed_settings_name_the_variable(env, variable):
    with pytest.raises(SettingsError) as caught:
        load_settings(env)
    message = str(caught.value)
    assert variable in message
    assert "\n" not in message


def test_secrets_never_print():
    settings = load_settings({"DISCORD_TOKEN": TOKEN, "OPENAI_API_KEY": "sk-very-secret"})
    shown = repr(settings) + str(settings)
    assert TOKEN not in shown
    assert "sk-very-secret" not in shown


def test_llm_client_only_when_configured():
    from openai import AsyncOpenAI

    from bot.__main__ import build_llm

    assert build_llm(load_settings({})) is None
    client = build_llm(
        load_settings({"OPENAI_API_KEY": "sk-local", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"})
    )
    assert isinstance(client, AsyncOpenAI)
    assert str(client.base_url).startswith("http://127.0.0.1:9/v1")


def test_summary_limits_have_defaults_and_are_validated():
    settings = load_settings({})
    assert settings.summary_context_tokens == 8000
    assert settings.summary_daily_tokens > 0 and settings.summary_cooldown_seconds > 0
    custom = load_settings(
        {
            "SUMMARY_CONTEXT_TOKENS": "32_000",
            "SUMMARY_DAILY_TOKENS": "0",
            "SUMMARY_COOLDOWN_SECONDS": "10",
            "SUMMARY_TIMEOUT_SECONDS": "30",
        }
    )
    assert (custom.summary_context_tokens, custom.summary_daily_tokens, custom.summary_cooldown_seconds) == (
        32000,
        0,
        10,
    )
    assert custom.summary_timeout_seconds == 30.0
    for name, bad in (
        ("SUMMARY_CONTEXT_TOKENS", "1000"),
        ("SUMMARY_DAILY_TOKENS", "lots"),
        ("SUMMARY_COOLDOWN_SECONDS", "-1"),
    ):
        with pytest.raises(SettingsError, match=name):
            load_settings({name: bad})


def test_the_llm_client_retries_with_the_configured_timeout():
    from bot.__main__ import LLM_MAX_RETRIES, build_llm

    client = build_llm(load_settings({"OPENAI_API_KEY": "k", "SUMMARY_TIMEOUT_SECONDS": "45"}))
    assert client is not None
    assert client.max_retries == LLM_MAX_RETRIES and client.timeout == 45.0


def test_calendar_feed_is_off_unless_a_port_is_set():
    off = load_settings({"CALENDAR_FEED_HOST": "  ", "CALENDAR_FEED_URL": ""})
    assert not off.calendar_feed_enabled and off.calendar_feed_port is None
    on = load_settings({"CALENDAR_FEED_PORT": "8787", "CALENDAR_FEED_URL": "https://club.example.org/"})
    assert on.calendar_feed_enabled and on.calendar_feed_port == 8787
    assert on.calendar_feed_host == "127.0.0.1"  # never every interface unless asked
    assert on.calendar_feed_url == "https://club.example.org"


def test_discord_api_base_must_be_an_api_v10_url():
    from bot.settings import SettingsError, load_settings

    assert load_settings({"DISCORD_API_BASE": "http://127.0.0.1:8080/api/v10/"}).discord_api_base == (
        "http://127.0.0.1:8080/api/v10"
    )
    assert load_settings({}).discord_api_base is None
    for bad in ("127.0.0.1:8080", "http://proxy:8080/", "ftp://proxy/api/v10", "http://proxy/api/v10?x=1"):
        try:
            load_settings({"DISCORD_API_BASE": bad})
        except SettingsError as exc:
            assert "DISCORD_API_BASE" in str(exc)
        else:
            raise AssertionError(f"{bad!r} was accepted")


def test_database_url_is_a_secret_and_named_without_its_password():
    settings = load_settings({"DATABASE_URL": "postgresql://club:hunter2@db.example.org:5432/bookclub"})
    assert settings.database_url is not None
    assert settings.database_url.get() == "postgresql://club:hunter2@db.example.org:5432/bookclub"
    assert "hunter2" not in repr(settings) and "hunter2" not in settings.database_label
    assert settings.database_label == "postgresql://club:***@db.example.org:5432/bookclub"
    assert load_settings({}).database_url is None


@pytest.mark.parametrize("url", ["mysql://club:hunter2@db/bookclub", "club.sqlite3", "postgresql://"])
def test_a_database_url_that_is_not_postgres_is_refused_without_echoing_it(url):
    with pytest.raises(SettingsError) as caught:
        load_settings({"DATABASE_URL": url})
    assert "DATABASE_URL" in str(caught.value) and "hunter2" not in str(caught.value)


def test_the_scheduler_lease_defaults_to_fifteen_minutes_and_refuses_less_than_the_scheduler_takes():
    assert load_settings({}).scheduler_lease_seconds == 900
    assert load_settings({"SCHEDULER_LEASE_SECONDS": " 8 "}).scheduler_lease_seconds == 8
    assert (
        load_settings({"SCHEDULER_LEASE_SECONDS": "3"}).scheduler_lease_seconds == MIN_LEASE.total_seconds()
    )
    for bad in ("2", "0", "-5", "8s", "1.5"):
        with pytest.raises(
            SettingsError, match=r"^SCHEDULER_LEASE_SECONDS must be a whole number of at least 3 "
        ):
            load_settings({"SCHEDULER_LEASE_SECONDS": bad})
