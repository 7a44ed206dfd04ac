"""Seed knowledge base: incidents, outlets, people, timeline and commentators' views."""

from bot.knowledge.loader import ErrorLine, KnowledgeError, load_knowledge
from bot.knowledge.schema import (
    INCIDENT_IDS,
    LANGUAGES,
    Background,
    Feed,
    Figure,
    Framing,
    Incident,
    Knowledge,
    LocalizedText,
    Outlet,
    OutletStatus,
    Person,
    Source,
    TimelineEvent,
    View,
)

__all__ = [
    "INCIDENT_IDS",
    "LANGUAGES",
    "Background",
    "ErrorLine",
    "Feed",
    "Figure",
    "Framing",
    "Incident",
    "Knowledge",
    "KnowledgeError",
    "LocalizedText",
    "Outlet",
    "OutletStatus",
    "Person",
    "Source",
    "TimelineEvent",
    "View",
    "load_knowledge",
]
