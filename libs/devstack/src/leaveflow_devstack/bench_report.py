"""The bench's one table: every figure of issue 19 next to its target and the same-run baseline.

Each row is a `Figure`: what was measured, the value, the target (a bound and its direction)
and whether it was met. The machine is shared, so the table says how loaded it was, and the
ratios against the raw baseline measured in the same run are the figures that travel.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from rich.table import Table


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values (0 for none)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass(frozen=True)
class Target:
    bound: float
    at_least: bool  # True: the value must reach the bound; False: stay under it

    def met(self, value: float) -> bool:
        return value >= self.bound if self.at_least else value <= self.bound


def at_least(bound: float) -> Target:
    return Target(bound, at_least=True)


def at_most(bound: float) -> Target:
    return Target(bound, at_least=False)


@dataclass(frozen=True)
class Figure:
    measure: str
    value: float
    unit: str  # "ms", "s", "/s", "MB", "%", "n" (a count), "" (a ratio)
    target: Target | None = None
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.target is None:
            return ""
        return "met" if self.target.met(self.value) else "MISSED"

    def shown(self, value: float | None = None) -> str:
        v = self.value if value is None else value
        if self.unit == "ms":
            if v < 10:
                return f"{v:.2f} ms"
            return f"{v:,.1f} ms" if v < 100 else f"{v:,.0f} ms"
        if self.unit == "s":
            return f"{v:,.2f} s"
        if self.unit == "/s":
            return f"{v:,.0f}/s"
        if self.unit == "MB":
            return f"{v:,.0f} MB"
        if self.unit == "%":
            return f"{v:.2f} %"
        if self.unit == "n":
            return f"{v:,.0f}"
        return f"{v:,.3f}" if v < 10 else f"{v:,.0f}"

    @property
    def target_text(self) -> str:
        if self.target is None:
            return ""
        sign = ">=" if self.target.at_least else "<="
        return f"{sign} {self.shown(self.target.bound)}"


def render(title: str, figures: Sequence[Figure], load: str) -> Table:
    table = Table(title=title, caption=load, caption_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    table.add_column("", justify="center")
    table.add_column("note", style="dim")
    for figure in figures:
        verdict = figure.verdict
        style = "green" if verdict == "met" else "bold red" if verdict else ""
        table.add_row(
            figure.measure,
            figure.shown(),
            figure.target_text,
            f"[{style}]{verdict}[/]" if verdict else "",
            figure.note,
        )
    return table


def load_average() -> str:
    """The machine's 1/5/15-minute load, for the caption beside every figure."""
    try:
        with open("/proc/loadavg") as fh:
            one, five, fifteen = fh.read().split()[:3]
    except OSError:
        return "load unknown"
    return f"load {one} / {five} / {fifteen} (1/5/15 min)"
