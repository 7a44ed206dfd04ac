"""Inline keyboards: callback data factories, the language picker and page navigation."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton
from aiogram.utils.keyboard import InlineKeyboardBuilder

T = TypeVar("T")

LANGUAGE_NAMES = {"en": "English", "ru": "Русский", "az": "Azərbaycanca"}  # each in its own language


class PickLanguage(CallbackData, prefix="lang"):
    code: str


class SettingsScreen(CallbackData, prefix="set"):
    """A settings screen (`screen`), a page of it, or a choice made on it (`value`)."""

    screen: str
    page: int = 0
    value: str = ""


class OpenIncident(CallbackData, prefix="inc"):
    id: str
    view: str = "card"  # card / timeline / latest


class OpenPerson(CallbackData, prefix="who"):
    id: str


class TimelinePage(CallbackData, prefix="tl"):
    page: int


class SearchResultsPage(CallbackData, prefix="sp"):
    page: int


class Nothing(CallbackData, prefix="noop"):
    """The page counter between the arrows: pressing it does nothing."""


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    number: int  # from 0
    count: int
    first_index: int  # of items[0] in the whole list


def paginate(items: Sequence[T], page: int, per_page: int) -> Page[T]:
    """One page of `items`; a page number out of range (an old button) gives the nearest page."""
    count = max(1, -(-len(items) // per_page))
    number = min(max(page, 0), count - 1)
    start = number * per_page
    return Page(list(items[start : start + per_page]), number, count, start)


def page_row(page: Page, callback: Callable[[int], CallbackData]) -> list[InlineKeyboardButton]:
    """‹ 2/5 › — nothing when everything fits on one page."""
    if page.count <= 1:
        return []
    label = f"{page.number + 1}/{page.count}"
    return navigation_row(page.number, label, page.number + 1 < page.count, callback)


def navigation_row(
    number: int, label: str, has_next: bool, callback: Callable[[int], CallbackData]
) -> list[InlineKeyboardButton]:
    """‹ label › for page `number` (from 0); the arrows only where there is a page to go to."""
    row = []
    if number > 0:
        row.append(InlineKeyboardButton(text="‹", callback_data=callback(number - 1).pack()))
    row.append(InlineKeyboardButton(text=label, callback_data=Nothing().pack()))
    if has_next:
        row.append(InlineKeyboardButton(text="›", callback_data=callback(number + 1).pack()))
    return row


def language_keyboard(current: str | None = None) -> InlineKeyboardBuilder:
    builder = InlineKeyboardBuilder()
    for code, name in LANGUAGE_NAMES.items():
        mark = "✓ " if code == current else ""
        builder.button(text=f"{mark}{name}", callback_data=PickLanguage(code=code))
    builder.adjust(3)
    return builder


def shorten(text: str, limit: int = 48) -> str:
    """Button labels stay on one line."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
