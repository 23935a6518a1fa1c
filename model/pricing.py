"""Prices per 1M tokens, and which of them apply at a given moment (DeepSeek bills peak and off-peak hours).

A price list is a `PriceSchedule`: one `Prices` when the provider charges the same around the clock,
or an off-peak and a peak `Prices` with the peak hours as data (the catalog's provider entry), so a
changed schedule is a catalog edit. `Usage`-like objects are read by attribute (no import of base).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone


@dataclass(frozen=True)
class Prices:
    """USD per 1M tokens. Input on a cache hit is cheaper at DeepSeek; elsewhere both are equal."""

    input_cache_hit: float
    input_cache_miss: float
    output: float
    source: str = ""

    def cost(self, usage) -> float:
        return (
            usage.cached_tokens * self.input_cache_hit
            + usage.uncached_tokens * self.input_cache_miss
            + usage.output_tokens * self.output
        ) / 1_000_000


FREE = Prices(0.0, 0.0, 0.0, source="local")


@dataclass(frozen=True)
class PeakHours:
    """Weekday hour ranges in a fixed UTC offset (DeepSeek: Beijing time, UTC+8, no daylight saving)."""

    utc_offset_hours: float
    weekdays: tuple[int, ...]  # Monday = 0
    hours: tuple[tuple[int, int], ...]  # [start, end) in local hours
    label: str = ""

    def local(self, when: datetime) -> datetime:
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return when.astimezone(timezone(timedelta(hours=self.utc_offset_hours)))

    def is_peak(self, when: datetime) -> bool:
        t = self.local(when)
        if t.weekday() not in self.weekdays:
            return False
        minutes = t.hour * 60 + t.minute
        return any(a * 60 <= minutes < b * 60 for a, b in self.hours)

    def next_change(self, when: datetime) -> datetime:
        """When the rate next switches (to the minute), so a UI can say "off-peak from 18:00"."""
        now = self.is_peak(when)
        t = when.replace(second=0, microsecond=0)
        for _ in range(8 * 24 * 60):  # a week of minutes at most; the loop is tiny in practice
            t += timedelta(minutes=1)
            if self.is_peak(t) != now:
                return t
        return t


@dataclass(frozen=True)
class PriceSchedule:
    """`off_peak` is the only price when `peak` is None (a flat price list)."""

    off_peak: Prices
    peak: Prices | None = None
    hours: PeakHours | None = None
    source: str = ""

    @property
    def flat(self) -> bool:
        return self.peak is None or self.hours is None

    def window(self, when: datetime | None = None) -> str:
        """"peak", "off-peak" or "flat" at `when` (default: now)."""
        if self.flat:
            return "flat"
        return "peak" if self.hours.is_peak(when or datetime.now(UTC)) else "off-peak"

    def at(self, when: datetime | None = None) -> Prices:
        return self.peak if self.window(when) == "peak" else self.off_peak

    def other(self, when: datetime | None = None) -> tuple[str, Prices] | None:
        """The rate that does not apply now, with its name; None for a flat list."""
        w = self.window(when)
        if w == "flat":
            return None
        return ("off-peak", self.off_peak) if w == "peak" else ("peak", self.peak)

    def cost(self, usage, when: datetime | None = None) -> float:
        return self.at(when).cost(usage)


def as_schedule(prices: Prices | PriceSchedule | None) -> PriceSchedule | None:
    if prices is None or isinstance(prices, PriceSchedule):
        return prices
    return PriceSchedule(off_peak=prices, source=prices.source)


__all__ = ["Prices", "FREE", "PeakHours", "PriceSchedule", "as_schedule"]
