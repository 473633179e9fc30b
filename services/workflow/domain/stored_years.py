"""Calendar years loaded by a command (国务院办公厅放假安排), kept in the event store."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.workflow.domain.yearfiles import YearCalendar, parse_year_file


class StoredYear(Aggregate):
    """The year file of one year, as loaded; a later load replaces it."""

    @staticmethod
    def create_id(year: int) -> UUID:
        return uuid5(NAMESPACE_URL, f"fangxin:calendar-year:{year}")

    @event("Loaded")
    def __init__(self, year: int, text: str) -> None:
        self.year = year
        self.text = text

    @event("Replaced")
    def replace(self, text: str) -> None:
        self.text = text

    @property
    def calendar(self) -> YearCalendar:
        return parse_year_file(self.text)
