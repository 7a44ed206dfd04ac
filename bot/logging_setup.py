"""Logging: one line per event, text or JSON, with secrets masked whatever logged them."""

import json
import logging
import re
from datetime import UTC, datetime

# aiogram and aiohttp put the token in request URLs: mask anything shaped like a bot token.
_TOKEN_SHAPE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")
_CONTEXT_FIELDS = ("feed", "subscriber", "job", "chat", "incident", "worker")


class SecretMaskingFilter(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [secret for secret in secrets if secret]

    def mask(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return _TOKEN_SHAPE.sub("***", text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.mask(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self.mask(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        return True


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s%(context)s")

    def format(self, record: logging.LogRecord) -> str:
        context = [f"{name}={getattr(record, name)}" for name in _CONTEXT_FIELDS if hasattr(record, name)]
        record.context = (" [" + " ".join(context) + "]") if context else ""
        return super().format(record)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        event = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        event.update({name: getattr(record, name) for name in _CONTEXT_FIELDS if hasattr(record, name)})
        if record.exc_text or record.exc_info:
            event["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(event, ensure_ascii=False, default=str)


def configure_logging(level: str, log_format: str = "text", secrets: list[str] | None = None) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(SecretMaskingFilter(secrets or []))
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Request-level chatter from these libraries would drown the events that matter.
    noisy_loggers = (
        "aiohttp.access",
        "apscheduler.scheduler",
        "apscheduler.executors.default",
        "alembic.runtime.migration",
    )
    for noisy in noisy_loggers:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
