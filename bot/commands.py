"""Every command of the bot: what /help lists and what the Telegram menu shows, in one place."""

from dataclasses import dataclass


def N_(message: str) -> str:
    """Mark a message for translation; it is translated where it is shown."""
    return message


@dataclass(frozen=True)
class CommandInfo:
    name: str
    description: str  # msgid, one line, at most 256 characters in every language (Telegram's limit)
    example: str  # shown verbatim
    admin: bool = False


COMMANDS = (
    CommandInfo("start", N_("Welcome, and choose your language"), "/start"),
    CommandInfo("help", N_("Every command with an example"), "/help"),
    CommandInfo("subscribe", N_("Get the daily digest"), "/subscribe"),
    CommandInfo("unsubscribe", N_("Stop the daily digest (your settings are kept)"), "/unsubscribe"),
    CommandInfo("settings", N_("Digest time, time zone, language, incidents, alerts, chart"), "/settings"),
    CommandInfo("digest", N_("The digest for the last 24 hours, now"), "/digest"),
    CommandInfo("background", N_("The crisis in brief"), "/background"),
    CommandInfo("incidents", N_("Every incident with its coverage over the last 7 days"), "/incidents"),
    CommandInfo(
        "incident", N_("One incident: facts, how each side frames it, latest coverage"), "/incident azal"
    ),
    CommandInfo("timeline", N_("The dated events, in order"), "/timeline"),
    CommandInfo("views", N_("Commentators on each side and their positions"), "/views russia"),
    CommandInfo("who", N_("A person: role, affiliation, what they said or did"), "/who Aliyev"),
    CommandInfo(
        "outlets", N_("Outlets by side and language, where they are blocked, feed health"), "/outlets"
    ),
    CommandInfo("latest", N_("The newest matched items, for one incident or all"), "/latest azal 5"),
    CommandInfo(
        "search", N_('Search the archive: words, "phrases", prefix*, AND, OR, NOT'), "/search AZAL AND Aktau*"
    ),
    CommandInfo("why", N_("Why an item was tagged: its incidents and matched terms"), "/why 1234"),
    CommandInfo("export", N_("A CSV file of an incident's items"), "/export azal 30"),
    CommandInfo("feeds", N_("Feed health"), "/feeds", admin=True),
    CommandInfo("addfeed", N_("Add a feed to an outlet"), "/addfeed https://example.az/rss apa", admin=True),
    CommandInfo("disablefeed", N_("Stop polling a feed"), "/disablefeed 12", admin=True),
    CommandInfo("enablefeed", N_("Resume polling a feed"), "/enablefeed 12", admin=True),
    CommandInfo("stats", N_("Subscribers, items per day, matches per incident"), "/stats", admin=True),
    CommandInfo(
        "broadcast", N_("Send a message to every subscriber"), "/broadcast Maintenance tonight", admin=True
    ),
)
ADMIN_COMMANDS = tuple(command.name for command in COMMANDS if command.admin)
