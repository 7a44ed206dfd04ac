"""Trend charts: reports per incident per day, a PNG drawn with matplotlib's Agg backend.

The digest's optional chart and the /trend command draw the same chart. It is sized for a phone
(1200 px wide, large type, thick lines, the legend under the plot) and days are the reader's
local days.
"""

import asyncio
import io
import json
import textwrap
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import DateFormatter, DayLocator
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from sqlalchemy import Engine

from bot.delivery.schedule import zone
from storage.digest_queries import match_times
from storage.session import session_scope

WIDTH_IN, DPI = 8.0, 150  # 1200 px wide
LEGEND_CHARS = 60  # what fits one legend line at that width
_CACHE_SIZE = 64


@dataclass(frozen=True)
class ChartData:
    days: list[date]
    series: dict[str, list[int]]  # incident id → count per day, in `days` order


def daily_counts(
    times: Iterable[tuple[str, datetime]], incidents: Sequence[str], days: int, until: datetime, tz: ZoneInfo
) -> ChartData:
    """Count matches per incident per local day, for the `days` days ending with `until`'s day."""
    last = until.astimezone(tz).date()
    dates = [last - timedelta(days=offset) for offset in range(days - 1, -1, -1)]
    index = {day: position for position, day in enumerate(dates)}
    series = {incident: [0] * days for incident in incidents}
    for incident, when in times:
        position = index.get(when.astimezone(tz).date())
        if position is not None and incident in series:
            series[incident][position] += 1
    return ChartData(dates, series)


def chart_since(days: int, until: datetime, tz: ZoneInfo) -> datetime:
    """The UTC start of the first local day a `days`-day chart ending at `until` shows."""
    first = until.astimezone(tz).date() - timedelta(days=days - 1)
    return datetime.combine(first, time(0), tzinfo=tz).astimezone(UTC)


def build_figure(data: ChartData, labels: Sequence[str], title: str) -> Figure:
    # One legend entry a line, shortened: a phone screen is narrow, and a cut-off name reads worse.
    figure = Figure(figsize=(WIDTH_IN, 5.0 + 0.35 * len(data.series)), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for (incident, counts), label in zip(data.series.items(), labels, strict=True):
        short = textwrap.shorten(label, LEGEND_CHARS, placeholder="…")
        axes.plot(data.days, counts, marker="o", markersize=5, linewidth=2.5, label=short, gid=incident)
    axes.set_title(title, fontsize=17, loc="left")
    axes.tick_params(labelsize=12)
    axes.xaxis.set_major_locator(DayLocator(interval=max(1, len(data.days) // 7)))
    axes.xaxis.set_major_formatter(DateFormatter("%d.%m"))
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)
    if data.series:
        figure.legend(loc="outside lower left", ncols=1, fontsize=12, frameon=False)
    return figure


def render_png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


class ChartRenderer:
    """Draws chart specs (see `DigestComposer.chart_part`), keeping recent PNGs: one planning run
    asks for the same few charts many times."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()  # matplotlib is not thread-safe; one drawing at a time

    async def render(self, spec: dict) -> bytes:
        return await asyncio.to_thread(self.render_now, spec)

    def render_now(self, spec: dict) -> bytes:
        key = json.dumps(spec, sort_keys=True, ensure_ascii=False)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            png = self._draw(spec)
            self._cache[key] = png
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
            return png

    def _draw(self, spec: dict) -> bytes:
        tz = zone(spec["timezone"])
        until = datetime.fromisoformat(spec["until"])
        incidents = list(spec["incidents"])
        with session_scope(self.engine) as session:
            times = match_times(session, chart_since(spec["days"], until, tz), until, incidents)
        data = daily_counts(times, incidents, spec["days"], until, tz)
        return render_png(build_figure(data, spec["labels"], spec["title"]))
