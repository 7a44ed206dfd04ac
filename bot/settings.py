"""Configuration from the environment and an optional `.env` file.

The variable names are the interface (README, `.env.example`, docker-compose.yml): keep them.
"""

import re
from datetime import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
TELEGRAM_DEFAULT_API_URL = "https://api.telegram.org"
_TOKEN_PATTERN = re.compile(r"^\d+:[A-Za-z0-9_-]{20,}$")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class PrivateFeeds(StrEnum):
    """Which private addresses a feed URL may reach (SSRF guard)."""

    OFF = "off"
    LOOPBACK = "loopback"  # 127.0.0.0/8 and ::1 only: what tests and the demo use
    ALL = "true"


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = Field(default=None, description="Telegram bot token from BotFather")
    telegram_api_url: str = Field(default=TELEGRAM_DEFAULT_API_URL, description="Bot API server base URL")
    database_url: str = Field(default="sqlite:///./data/crisisdesk.db", description="SQLAlchemy URL")
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list, description="admin user ids")
    default_digest_time: str = Field(default="09:00", description="HH:MM, new subscribers' digest time")
    default_timezone: str = Field(default="Asia/Baku", description="IANA zone of new subscribers")
    poll_concurrency: int = Field(default=16, ge=1, le=256, description="feeds fetched at once")
    poll_host_delay_s: float = Field(default=1.0, ge=0, le=60, description="spacing per host, seconds")
    poll_tick_s: int = Field(default=30, ge=1, le=3600, description="how often due feeds are claimed")
    poll_batch_size: int = Field(default=50, ge=1, le=1000, description="feeds claimed per tick")
    allow_private_feeds: PrivateFeeds = Field(default=PrivateFeeds.OFF, description="off, loopback, true")
    send_rate_limit: float = Field(default=25.0, gt=0, le=1000, description="messages per second")
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING, ERROR")
    log_format: LogFormat = Field(default=LogFormat.TEXT, description="text or json")
    metrics_port: int | None = Field(default=None, ge=1, le=65535, description="health/metrics port")
    seeds_dir: Path = Field(default=REPO_ROOT / "seeds", description="knowledge base folder")

    @field_validator("bot_token", mode="before")
    @classmethod
    def _token_shape(cls, value: object) -> object:
        if value in (None, ""):
            return None
        if not isinstance(value, str) or not _TOKEN_PATTERN.match(value.strip()):
            raise ValueError("expected a token like 123456789:AA... from BotFather")
        return value.strip()

    @field_validator("telegram_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("expected an http(s) URL such as http://127.0.0.1:8081")
        return value.rstrip("/")

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _admin_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part for part in re.split(r"[\s,]+", value.strip()) if part]
            if not all(re.fullmatch(r"-?\d+", part) for part in parts):
                raise ValueError("expected Telegram user ids separated by commas, e.g. 1111,2222")
            return [int(part) for part in parts]
        return value

    @field_validator("default_digest_time")
    @classmethod
    def _digest_time(cls, value: str) -> str:
        if not _HHMM.match(value.strip()):
            raise ValueError("expected HH:MM in 24-hour time, e.g. 09:00")
        return value.strip()

    @field_validator("default_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("expected an IANA time zone such as Asia/Baku or Europe/Moscow") from None
        return value

    @field_validator("allow_private_feeds", mode="before")
    @classmethod
    def _private_feeds(cls, value: object) -> object:
        aliases = {
            "false": "off",
            "0": "off",
            "no": "off",
            "": "off",
            "1": "true",
            "yes": "true",
            "all": "true",
        }
        if isinstance(value, str):
            return aliases.get(value.strip().lower(), value.strip().lower())
        if isinstance(value, bool):
            return "true" if value else "off"
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator("metrics_port", mode="before")
    @classmethod
    def _empty_port(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def digest_time(self) -> time:
        hours, minutes = self.default_digest_time.split(":")
        return time(int(hours), int(minutes))

    @property
    def token(self) -> str | None:
        return self.bot_token.get_secret_value() if self.bot_token else None


class ConfigurationError(Exception):
    """A wrong configuration value, rendered as one line naming the variable."""


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise ConfigurationError(describe_validation_error(error)) from None


def describe_validation_error(error: ValidationError) -> str:
    problems = []
    for issue in error.errors():
        variable = str(issue["loc"][0]).upper() if issue["loc"] else "configuration"
        message = issue["msg"].removeprefix("Value error, ")
        received = issue.get("input")
        shown = "" if variable == "BOT_TOKEN" or received is None else f" (got {str(received)[:60]!r})"
        problems.append(f"{variable}: {message}{shown}")
    return "invalid configuration: " + "; ".join(problems)
