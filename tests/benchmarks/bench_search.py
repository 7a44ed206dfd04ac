"""`/search` latency over a large synthetic multilingual archive, SQLite FTS5 and PostgreSQL, against LIKE.

1,000,000 items (100,000 with --quick) with Russian, Azerbaijani and English titles and summaries
drawn with a Zipf law from the knowledge base's own words plus made-up ones, published over two
years. Each query goes the way the bot's /search takes it: the matcher's parser, stems, then
`storage.search.search_items` for the first page. The baseline is what one would
write without an index: every positive word as `LIKE '%word%'` on title or summary, newest first,
measured in the same run on the same database.
"""

import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from bot.knowledge import load_knowledge
from bot.search_query import parse_search
from bot.settings import REPO_ROOT
from storage import migrate
from storage.engine import create_db_engine, normalise_database_url
from storage.search import search_items, search_tokens
from storage.session import session_scope

POSTGRES_ADMIN_URL = os.environ.get("CRISISDESK_BENCH_POSTGRES_URL", "postgresql://127.0.0.1:5432/test")
START = datetime(2023, 7, 1, tzinfo=UTC)
SPAN = timedelta(days=730)
BATCH = 20_000
ROUNDS = 7  # each query's first page, timed this many times
LIKE_ROUNDS = 2
PAGE = 8


def vocabulary(rng: random.Random) -> list[str]:
    """Words ranked by frequency: the knowledge base's words among made-up ones of three scripts."""
    knowledge = load_knowledge(REPO_ROOT / "seeds")
    texts = [value for incident in knowledge.incidents for value in incident.summary.model_dump().values()]
    texts += [value for event in knowledge.timeline for value in event.event.model_dump().values()]
    real = sorted({word for value in texts for word in value.split() if len(search_tokens(word)) == 1})
    real = [word.strip(".,;:«»“”()\"'") for word in real]
    syllables = {
        "latin": [
            "ba",
            "ka",
            "ru",
            "sa",
            "ta",
            "mo",
            "ne",
            "li",
            "da",
            "ve",
            "zo",
            "ri",
            "an",
            "er",
            "in",
            "ul",
            "ov",
            "ek",
        ],
        "azeri": ["bə", "qə", "şə", "ça", "ğı", "ıl", "ər", "üz", "ön", "xə", "yə", "mə"],
        "cyrillic": ["ко", "ра", "ни", "ст", "ов", "ал", "ен", "му", "да", "ли", "пе", "ры", "жу", "щи"],
    }
    made_up = set()
    while len(made_up) < 40_000:
        parts = syllables[rng.choice(list(syllables))]
        made_up.add("".join(rng.choice(parts) for _ in range(rng.randint(2, 4))))
    words = [word for word in real if word] + sorted(made_up)
    rng.shuffle(words)
    return words


def zipf_sampler(rng: random.Random, words: list[str]) -> Callable[[int], list[str]]:
    cumulative, total = [], 0.0
    for rank in range(len(words)):
        total += 1 / (rank + 1)
        cumulative.append(total)
    return lambda n: rng.choices(words, cum_weights=cumulative, k=n)


def rows(count: int, rng: random.Random, words: list[str], outlet_id: int, feed_id: int):
    draw = zipf_sampler(rng, words)
    step = SPAN / count
    for n in range(count):
        title = " ".join(draw(rng.randint(6, 12)))
        summary = " ".join(draw(rng.randint(15, 35)))
        published = START + step * n + timedelta(minutes=rng.randint(-90, 90))
        yield {
            "feed_id": feed_id,
            "outlet_id": outlet_id,
            "entry_key": f"bench-{n}",
            "title": title[:1].upper() + title[1:],
            "summary": summary,
            "language": "ru",
            "content_hash": f"{n:064d}",
            "published_at": published,
            "fetched_at": published,
            "updated_at": published,
        }


def fill(engine: Engine, count: int, words: list[str]) -> float:
    """Insert `count` items in batches; returns the seconds it took."""
    rng = random.Random(2025)
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO outlets (slug, name, side, languages, cited_in_seed, status, updated_at) VALUES ('bench', 'Bench', 'russia', '[]', false, '[]', :now)"
            ),
            {"now": START},
        )
        outlet_id = connection.execute(text("SELECT id FROM outlets WHERE slug = 'bench'")).scalar_one()
        connection.execute(
            text(
                "INSERT INTO feeds (outlet_id, url, verified, origin, status, next_check_at, check_interval_s, "
                "min_interval_s, consecutive_errors, created_at) "
                "VALUES (:outlet, 'https://bench.example/rss', false, 'cli', 'active', :now, 900, 0, 0, :now)"
            ),
            {"outlet": outlet_id, "now": START},
        )
        feed_id = connection.execute(text("SELECT id FROM feeds")).scalar_one()
    insert = text(
        "INSERT INTO items (feed_id, outlet_id, entry_key, title, summary, language, content_hash, "
        "published_at, fetched_at, updated_at) VALUES (:feed_id, :outlet_id, :entry_key, :title, :summary, "
        ":language, :content_hash, :published_at, :fetched_at, :updated_at)"
    )
    batch = []
    for row in rows(count, rng, words, outlet_id, feed_id):
        batch.append(row)
        if len(batch) == BATCH:
            with engine.begin() as connection:
                connection.execute(insert, batch)
            batch = []
    if batch:
        with engine.begin() as connection:
            connection.execute(insert, batch)
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    return time.perf_counter() - started


def queries(words: list[str]) -> list[str]:
    """What readers type: common, middling and rare words, combined every way the syntax allows."""
    common, common2 = words[3], words[7]
    middling, middling2 = words[300], words[450]
    rare, rare2 = words[20_000], words[30_000]
    return [
        common,
        middling,
        rare,
        f"{common} AND {middling}",
        f'"{common} {common2}"',
        f"{middling[:4]}*",
        f"{middling} OR {rare}",
        f"{common} NOT {middling}",
        f"{middling} NEAR/3 {common}",
        f"({rare} OR {rare2}) AND {common2}",
        f"{middling2} NOT {common2}",
    ]


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def time_search(engine: Engine, texts: list[str]) -> list[float]:
    samples = []
    expressions = [parse_search(query) for query in texts]
    for _ in range(ROUNDS):
        for expression in expressions:
            started = time.perf_counter()
            with session_scope(engine) as session:
                search_items(session, expression, limit=PAGE)
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def like_terms(query: str) -> list[str]:
    """The words a LIKE search would look for: the positive ones, operators and quotes dropped."""
    positive = query.split(" NOT ")[0]
    for mark in '"()*':
        positive = positive.replace(mark, " ")
    return [word for word in positive.split() if word not in ("AND", "OR") and not word.startswith("NEAR")]


def time_like(engine: Engine, texts: list[str]) -> list[float]:
    """The naive baseline: each positive word as LIKE '%word%' on title or summary, newest first."""
    samples = []
    for _ in range(LIKE_ROUNDS):
        for query in texts:
            words = like_terms(query)
            conditions = " AND ".join(f"(title LIKE :w{n} OR summary LIKE :w{n})" for n in range(len(words)))
            params = {f"w{n}": f"%{word}%" for n, word in enumerate(words)}
            sql = f"SELECT id FROM items WHERE {conditions} ORDER BY published_at DESC, id DESC LIMIT {PAGE + 1}"
            started = time.perf_counter()
            with engine.connect() as connection:
                connection.execute(text(sql), params).all()
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def measure(engine: Engine, count: int, words: list[str], label: str) -> dict[str, float]:
    fill_seconds = fill(engine, count, words)
    texts = queries(words)
    fts = time_search(engine, texts)
    like = time_like(engine, texts)
    return {
        f"search.{label}_items": float(count),
        f"search.{label}_fill_s": round(fill_seconds, 1),
        f"search.{label}_p50_ms": round(statistics.median(fts), 2),
        f"search.{label}_p95_ms": round(percentile(fts, 0.95), 2),
        f"search.{label}_like_p50_ms": round(statistics.median(like), 2),
        f"search.{label}_like_p95_ms": round(percentile(like, 0.95), 2),
        f"search.{label}_ratio_vs_like": round(percentile(like, 0.95) / percentile(fts, 0.95), 1),
    }


def postgres_scratch() -> tuple[Engine, Callable[[], None]] | None:
    """A scratch database on the local PostgreSQL server, or None when it does not answer."""
    name = f"crisisdesk_bench_{os.getpid()}"
    try:
        admin = create_engine(normalise_database_url(POSTGRES_ADMIN_URL), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception:
        return None
    url = create_engine(normalise_database_url(POSTGRES_ADMIN_URL)).url.set(database=name)
    engine = create_db_engine(url.render_as_string(hide_password=False))

    def drop() -> None:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return engine, drop


def run(quick: bool) -> dict[str, float]:
    count = 100_000 if quick else 1_000_000
    words = vocabulary(random.Random(7))
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        engine = create_db_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        migrate.upgrade(engine)
        results.update(measure(engine, count, words, "sqlite"))
        engine.dispose()
    scratch = postgres_scratch()
    if scratch is not None:
        engine, drop = scratch
        try:
            migrate.upgrade(engine)
            results.update(measure(engine, count, words, "postgres"))
        finally:
            drop()
    return results
