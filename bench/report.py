"""The results table, as plain text for the terminal and as Markdown for the README."""

from __future__ import annotations

import math
import os
import platform
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Row:
    group: str
    metric: str
    value: float
    floor: float | None  # the side-by-side baseline measured in the same run, if any
    ratio: float | None
    goal: str
    met: bool | None
    note: str = ""


HEADER = ("", "measure", "widget", "floor", "ratio", "goal", "met", "")


def _number(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _cells(row: Row) -> tuple[str, ...]:
    met = "" if row.met is None else ("yes" if row.met else "NO")
    ratio = "-" if row.ratio is None or math.isnan(row.ratio) else f"{row.ratio:.2f}x"
    return (
        row.group,
        row.metric,
        _number(row.value),
        _number(row.floor),
        ratio,
        row.goal,
        met,
        row.note,
    )


def render_table(rows: list[Row]) -> str:
    table = [HEADER, *(_cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADER))]
    numeric = {2, 3, 4}
    out = []
    for n, line in enumerate(table):
        cells = [
            cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i])
            for i, cell in enumerate(line)
        ]
        out.append("  ".join(cells).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def render_markdown(rows: list[Row], about: str) -> str:
    lines = [
        "| "
        + " | ".join(h or "group" if i == 0 else h or "note" for i, h in enumerate(HEADER))
        + " |",
        "|" + "|".join(["---", "---", "--:", "--:", "--:", "---", "---", "---"]) + "|",
    ]
    for row in rows:
        cells = [c.replace("|", "\\|") for c in _cells(row)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n\n" + about + "\n"


def machine(chromium: str, load_before: str, load_after: str, runs: int) -> str:
    return (
        f"Machine: {_cpu()}, {os.cpu_count()} cores, {_memory()} RAM; "
        f"{platform.system()} {platform.release()}; {chromium} (headless); "
        f"Python {platform.python_version()}. Load average {load_before} before, "
        f"{load_after} after. Medians of {runs} runs (each cold, then warm)."
    )


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.0f} GB"
    except OSError:
        pass
    return "unknown"
