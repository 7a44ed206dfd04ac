"""`crisisdesk digest preview`: the console command as users run it."""

import json
from datetime import timedelta

from sqlalchemy.engine import make_url

from storage.columns import utcnow
from storage.session import session_scope
from tests.support.coverage import Coverage
from tests.test_cli import crisisdesk


def test_preview_prints_the_digest_a_subscriber_would_get_now(sqlite_engine, tmp_path):
    now = utcnow()
    with session_scope(sqlite_engine) as session:
        data = Coverage(session)
        data.incident("media-battle", "Media battle", ru="Медийная война")
        tass = data.outlet("tass", "russia", "TASS")
        data.item(
            tass, "Sputnik <staff> detained", fetched_at=now - timedelta(hours=2), incidents=["media-battle"]
        )
        data.subscriber(555, language="ru", chart_enabled=True)
    env = {"DATABASE_URL": make_url(str(sqlite_engine.url)).render_as_string(hide_password=False)}

    shown = crisisdesk("digest", "preview", "--user-id", "555", env=env, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "<b>Медийная война</b>" in shown.stdout
    assert "Sputnik &lt;staff&gt; detained" in shown.stdout
    assert "a trend chart of media-battle" in shown.stdout

    as_json = json.loads(
        crisisdesk("digest", "preview", "--user-id", "555", "--json", env=env, cwd=tmp_path).stdout
    )
    assert (
        as_json["chat_id"] == 555
        and not as_json["quiet"]
        and as_json["chart"]["incidents"] == ["media-battle"]
    )

    missing = crisisdesk("digest", "preview", "--user-id", "9", env=env, cwd=tmp_path)
    assert missing.returncode == 1 and "no chat with user id 9" in missing.stderr
