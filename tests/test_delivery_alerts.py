"""Spike alerts: the baseline rule, the new-story rule, the per-reader limits, and the alert itself."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.delivery.alerts import AlertRules, Spike, choose_alerts, volume_spikes, volume_threshold
from bot.delivery.jobs import DeliveryDeps, plan_spike_alerts
from bot.i18n import create_i18n
from storage.deliveries import Recipient
from storage.models import Delivery, Subscriber
from storage.session import session_scope
from tests.support.coverage import Coverage

NOW = datetime(2025, 7, 3, 12, 0, tzinfo=UTC)
RULES = AlertRules()


def steady_history(incident: str, per_hour: int, hours: int = 14 * 24) -> list[tuple[str, datetime]]:
    start = NOW - timedelta(hours=1) - timedelta(hours=hours)
    return [
        (incident, start + timedelta(hours=h, minutes=m * 7)) for h in range(hours) for m in range(per_hour)
    ]


def last_hour(incident: str, count: int) -> list[tuple[str, datetime]]:
    return [(incident, NOW - timedelta(minutes=55 - n)) for n in range(count)]


@pytest.mark.parametrize(
    ("history", "recent", "spike"),
    [
        (steady_history("a", 1), 6, True),  # baseline 1 ± 0: six is a spike
        (steady_history("a", 1), 4, False),  # above the baseline but fewer than five items
        (steady_history("a", 3), 5, True),
        (steady_history("a", 3), 3, False),  # a normal hour
        ([], 5, True),  # never covered before: five at once is news
    ],
)
def test_volume_rule(history, recent, spike):
    found = volume_spikes([*history, *last_hour("a", recent)], NOW, RULES)
    assert ("a" in found) is spike


def test_a_noisy_baseline_raises_the_bar():
    # Most hours quiet, some with bursts of 8: mean + 3σ is well above 6.
    bursts = [("a", NOW - timedelta(hours=h, minutes=30)) for h in range(2, 300, 10) for _ in range(8)]
    assert volume_threshold([8 if h % 10 == 0 else 0 for h in range(336)], 3.0) > 6
    assert "a" not in volume_spikes([*bursts, *last_hour("a", 6)], NOW, RULES)
    assert "a" in volume_spikes([*bursts, *last_hour("a", 12)], NOW, RULES)


def reader(subscriber_id: int, incidents: tuple[str, ...] = ()) -> Recipient:
    return Recipient(
        subscriber_id, subscriber_id, "en", "UTC", "09:00", incidents, False, True, True, None, NOW
    )


def spike(incident: str, trigger: str, count: int = 6) -> Spike:
    return Spike(incident, trigger, count, 1.0, None)


def test_limits_one_per_incident_per_six_hours_and_five_a_day():
    spikes = [spike("a", "volume-1"), spike("b", "story-2", 4)]
    history = [
        (1, "a/volume-0", NOW - timedelta(hours=5)),  # reader 1 had an "a" alert 5 hours ago
        (2, "a/volume-0", NOW - timedelta(hours=7)),  # reader 2 seven hours ago: may have another
        (3, "b/story-2", NOW - timedelta(hours=8)),  # reader 3 got this very story already
        *[(4, f"c/story-{n}", NOW - timedelta(hours=n + 1)) for n in range(4)],  # reader 4: four today
        *[(5, f"c/story-{n}", NOW - timedelta(hours=n + 1)) for n in range(5)],  # reader 5: five today
    ]
    readers = [reader(1), reader(2), reader(3), reader(4), reader(5), reader(6, ("b",))]
    chosen = {(r.subscriber_id, s.period_key) for r, s in choose_alerts(spikes, readers, history, NOW, RULES)}
    assert chosen == {
        (1, "b/story-2"),
        (2, "a/volume-1"),
        (2, "b/story-2"),
        (3, "a/volume-1"),
        (4, "a/volume-1"),  # the stronger spike takes reader 4's last place of the day
        (6, "b/story-2"),  # follows only "b"
    }


def test_alerts_end_to_end_from_coverage_to_planned_rows(engine):
    with session_scope(engine) as session:
        data = Coverage(session)
        data.incident("media-battle", "Media battle")
        data.incident("entry-bans", "Entry bans")
        outlets = [
            data.outlet("tass", "russia", "TASS"),
            data.outlet("apa", "azerbaijan", "APA", ["az"]),
            data.outlet("reuters", "international", "Reuters", ["en"]),
        ]
        for day in range(1, 14):  # a quiet baseline: one item a day
            data.item(
                outlets[0], f"old {day}", fetched_at=NOW - timedelta(days=day), incidents=["media-battle"]
            )
        for n in range(7):  # a surge in the last hour
            data.item(
                outlets[n % 3],
                f"surge {n}",
                fetched_at=NOW - timedelta(minutes=50 - n),
                incidents=["media-battle"],
            )
        story = data.story("Visa regime talks", NOW - timedelta(minutes=100), language="en")
        for minutes, outlet in (
            (100, outlets[2]),
            (70, outlets[0]),
            (40, outlets[1]),
        ):  # 3 outlets in 2 hours
            data.item(
                outlet,
                "Visa regime talks",
                language="en",
                fetched_at=NOW - timedelta(minutes=minutes),
                incidents=["entry-bans"],
                story=story,
            )
        readers = {
            "all": data.subscriber(1, alerts_enabled=True),
            "bans": data.subscriber(2, alerts_enabled=True, incidents=["entry-bans"]),
            "off": data.subscriber(3, alerts_enabled=False),
            "unsubscribed": data.subscriber(4, alerts_enabled=True, subscribed=False),
        }
    deps = DeliveryDeps(engine=engine, broadcaster=None, i18n=create_i18n(), clock=lambda: NOW)
    assert plan_spike_alerts(deps) == 3
    with session_scope(engine) as session:
        rows = session.exec(select(Delivery, Subscriber.chat_id).join(Subscriber)).all()
    planned = {(chat, row.period_key) for row, chat in rows}
    assert planned == {
        (1, "media-battle/volume-2025070311"),
        (1, f"entry-bans/story-{story.id}"),
        (2, f"entry-bans/story-{story.id}"),
    }
    volume = next(row for row, chat in rows if row.period_key.startswith("media-battle")).payload["parts"][0][
        "html"
    ]
    assert volume.startswith(
        "⚡ <b>Media battle</b>\n7 reports in the last hour (usually up to 1)\n• <b>surge"
    )
    story_alert = next(row for row, _ in rows if row.period_key.startswith("entry-bans")).payload["parts"][0][
        "html"
    ]
    assert "A new story carried by 3 outlets within two hours" in story_alert
    assert (
        "<b>Visa regime talks</b>" in story_alert
        and ">Reuters</a>" in story_alert
        and ">APA</a>" in story_alert
    )
    # Fifteen minutes later the surge goes on: nobody is alerted again.
    later = DeliveryDeps(
        engine=engine, broadcaster=None, i18n=create_i18n(), clock=lambda: NOW + timedelta(minutes=15)
    )
    assert plan_spike_alerts(later) == 0
    assert readers["off"].id and readers["unsubscribed"].id  # present, and never alerted
