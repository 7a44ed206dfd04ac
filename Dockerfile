# crisisdesk: the bot, the scheduler and the polling workers share this image.
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, in their own layer: it is rebuilt only when pyproject.toml changes.
COPY pyproject.toml README.md ./
RUN mkdir -p bot feeds storage \
    && touch bot/__init__.py feeds/__init__.py storage/__init__.py \
    && pip install . \
    && pip uninstall -y crisisdesk

COPY bot ./bot
COPY feeds ./feeds
COPY storage ./storage
COPY seeds ./seeds
RUN pip install --no-deps -e . \
    && useradd --create-home --uid 10001 crisisdesk \
    && mkdir -p /app/data && chown crisisdesk /app/data

USER crisisdesk
ENTRYPOINT ["crisisdesk"]
CMD ["run"]
