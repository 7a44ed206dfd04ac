import json
import logging

import pytest

from bot.logging_setup import SecretMaskingFilter, configure_logging
from bot.settings import ConfigurationError, PrivateFeeds, load_settings

TOKEN = "123456789:AAH-abcdefghijklmnopqrstuvwxyz012345"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in (
        "BOT_TOKEN",
        "DATABASE_URL",
        "ADMIN_IDS",
        "DEFAULT_DIGEST_TIME",
        "DEFAULT_TIMEZONE",
        "ALLOW_PRIVATE_FEEDS",
        "LOG_LEVEL",
        "TELEGRAM_API_URL",
        "METRICS_PORT",
    ):
        monkeypatch.delenv(name, raising=False)


def test_defaults():
    settings = load_settings()
    assert settings.token is None
    assert settings.database_url == "sqlite:///./data/crisisdesk.db"
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert (settings.default_digest_time, settings.default_timezone) == ("09:00", "Asia/Baku")
    assert settings.allow_private_feeds is PrivateFeeds.OFF
    assert settings.admin_ids == []


def test_environment_and_dotenv(monkeypatch, tmp_path):
    (tmp_path / ".env").write_text(f"BOT_TOKEN={TOKEN}\nADMIN_IDS=111, 222\nDEFAULT_TIMEZONE=Europe/Moscow\n")
    monkeypatch.setenv("ALLOW_PRIVATE_FEEDS", "loopback")
    monkeypatch.setenv("TELEGRAM_API_URL", "http://127.0.0.1:8081/")
    settings = load_settings()
    assert settings.token == TOKEN
    assert settings.admin_ids == [111, 222]
    assert settings.default_timezone == "Europe/Moscow"
    assert settings.allow_private_feeds is PrivateFeeds.LOOPBACK
    assert settings.telegram_api_url == "http://127.0.0.1:8081"
    assert TOKEN not in repr(settings)


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("DEFAULT_DIGEST_TIME", "25:00", "DEFAULT_DIGEST_TIME: expected HH:MM"),
        ("DEFAULT_TIMEZONE", "Mars/Olympus", "DEFAULT_TIMEZONE: expected an IANA time zone"),
        ("ADMIN_IDS", "alice,bob", "ADMIN_IDS: expected Telegram user ids"),
        ("BOT_TOKEN", "not-a-token", "BOT_TOKEN: expected a token like"),
        (
            "ALLOW_PRIVATE_FEEDS",
            "sometimes",
            "ALLOW_PRIVATE_FEEDS: Input should be 'off', 'loopback' or 'true'",
        ),
        ("POLL_CONCURRENCY", "0", "POLL_CONCURRENCY: Input should be greater than or equal to 1"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL: expected one of DEBUG"),
    ],
)
def test_a_wrong_value_is_one_line_naming_the_variable(monkeypatch, variable, value, expected):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError) as raised:
        load_settings()
    message = str(raised.value)
    assert expected in message
    assert "\n" not in message
    if variable == "BOT_TOKEN":
        assert value not in message


def test_the_token_is_masked_in_every_log_line(caplog):
    record = logging.LogRecord(
        "aiogram",
        logging.INFO,
        __file__,
        1,
        "POST %s failed",
        (f"https://api.telegram.org/bot{TOKEN}/getUpdates",),
        None,
    )
    SecretMaskingFilter([TOKEN]).filter(record)
    assert TOKEN not in record.getMessage()
    assert "bot***/getUpdates" in record.getMessage()


def test_json_logs_are_one_object_per_line_with_context_and_no_token(capsys):
    configure_logging("INFO", "json", secrets=[TOKEN])
    logging.getLogger("feeds.pipeline").info(
        "feed %s failed: token %s", "https://x.az/rss", TOKEN, extra={"feed": 7}
    )
    logging.getLogger().handlers[:] = []
    line = capsys.readouterr().err.strip()
    event = json.loads(line)
    assert (event["level"], event["logger"], event["feed"]) == ("INFO", "feeds.pipeline", 7)
    assert event["message"] == "feed https://x.az/rss failed: token ***"
    assert "\n" not in line and TOKEN not in line
