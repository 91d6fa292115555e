"""The benchmark's results: rows built from timings or wrk loads, printed as one table and written to
bench/results.json with the machine and the run's settings."""

import json
import os
import platform
import statistics
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.load import Load

RESULTS = Path(__file__).resolve().parent / "results.json"
SHORT = {"gateway": "gw", "cases": "cases", "questionnaires": "quest", "scoring": "scor", "reporting": "rep"}


@dataclass
class Row:
    group: str
    name: str
    unit: str
    median: float
    p95: float | None = None
    p99: float | None = None
    ratio: float | None = None
    ratio_of: str = ""
    target: str = ""
    met: bool | None = None
    cpu_ms_per_request: dict[str, float] = field(default_factory=dict)
    runs: list[float] = field(default_factory=list)
    note: str = ""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def timed(group: str, name: str, timings_ms: list[float], target_ms: float | None = None) -> Row:
    median = statistics.median(timings_ms)
    return Row(
        group,
        name,
        "ms",
        median,
        percentile(timings_ms, 0.95),
        percentile(timings_ms, 0.99),
        target="" if target_ms is None else f"<= {target_ms:g} ms",
        met=None if target_ms is None else median <= target_ms,
        runs=[round(t, 2) for t in timings_ms],
    )


def loaded(group: str, name: str, load: Load, note: str = "") -> Row:
    """A wrk load as requests a second (median of the runs) with its latency percentiles (median of the runs)."""
    socket_errors = sum(run.socket_errors for run in load.runs)
    statuses: dict[str, int] = {}
    for run in load.runs:
        for status, count in run.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    if socket_errors:
        note = f"{note}; {socket_errors} socket errors".lstrip("; ")
    if statuses:
        sample = next((run.sample for run in load.runs if run.sample), "")
        note = f"{note}; answers not 2xx: {statuses}, the first: {sample[:160]}".lstrip("; ")
    return Row(
        group,
        name,
        "req/s",
        statistics.median(run.rate for run in load.runs),
        statistics.median(run.p95_ms for run in load.runs),
        statistics.median(run.p99_ms for run in load.runs),
        cpu_ms_per_request=load.cpu_ms_per_request(),
        runs=[round(run.rate, 1) for run in load.runs],
        note=note,
    )


def against(row: Row, ceiling: float, of: str, target: float | None = None) -> Row:
    """``row`` with its ratio to ``ceiling`` (and a target ratio)."""
    row.ratio, row.ratio_of = row.median / ceiling if ceiling else None, of
    if target is not None and row.ratio is not None:
        row.target, row.met = f">= {target:g}x", row.ratio >= target
    return row


def _format(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"


def print_table(rows: list[Row], skipped: list[str]) -> None:
    print(f"\n{'measure':<58} {'median':>9} {'p95':>8} {'p99':>8} {'unit':<6} {'ratio':>6} {'target':<12}")
    group = ""
    for row in rows:
        if row.group != group:
            group = row.group
            print(f"-- {group}")
        ratio = "" if row.ratio is None else f"{row.ratio:.3f}"
        verdict = "" if row.met is None else ("ok" if row.met else "MISS")
        print(
            f"{row.name:<58} {_format(row.median):>9} {_format(row.p95):>8} {_format(row.p99):>8} {row.unit:<6} "
            f"{ratio:>6} {row.target:<12} {verdict}"
        )
        details = [f"vs {row.ratio_of}"] if row.ratio_of else []
        if row.cpu_ms_per_request:
            cpu = " ".join(f"{SHORT.get(k, k)} {v:.2f}" for k, v in row.cpu_ms_per_request.items() if v >= 0.005)
            details.append(f"CPU ms/req: {cpu} (sum {sum(row.cpu_ms_per_request.values()):.2f})")
        if row.note:
            details.append(row.note)
        if details:
            print(f"    {'; '.join(details)}")
    for reason in skipped:
        print(f"SKIPPED: {reason}")


def machine() -> dict[str, Any]:
    memory = next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    os_name = next(
        (
            line.split("=", 1)[1].strip('"')
            for line in Path("/etc/os-release").read_text().splitlines()
            if line.startswith("PRETTY_NAME")
        ),
        platform.platform(),
    )
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(int(memory.split()[1]) / 1024 / 1024, 1),
        "os": os_name,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "load_average": os.getloadavg(),  # 1, 5, 15 minutes: others' work on a shared machine
    }


def commit(folder: Path | None = None) -> str:
    """HEAD's short hash, and "+changes" when a tracked file other than the results differs from it: a run of
    a tree with changes not yet committed is not taken for a run of its parent."""
    git = ["git", "-C", str(folder or Path.cwd())]
    try:
        head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True).stdout
        status = [*git, "status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)bench/results*.json"]
        changed = subprocess.run(status, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head.strip() + ("+changes" if changed.strip() else "")


def write(rows: list[Row], skipped: list[str], settings: dict[str, Any], started: dict[str, Any], path: Path = RESULTS) -> None:
    """The results with the machine as it was at the start (``started``) and its load average at the end."""
    document = {
        "commit": commit(),
        "machine": started | {"load_average_at_end": os.getloadavg()},
        "settings": settings,
        "rows": [asdict(r) for r in rows],
        "skipped": skipped,
    }
    path.write_text(json.dumps(document, indent=1) + "\n")


def markdown(document: dict[str, Any]) -> str:
    """A results file as the README's Markdown table (`python -m bench --markdown bench/results.json`)."""
    lines = [
        "| measure | median | p95 | p99 | unit | ratio | against | target | CPU ms per request |",
        "| --- | ---: | ---: | ---: | --- | ---: | --- | --- | --- |",
    ]
    for row in document["rows"]:
        cpu = ", ".join(f"{SHORT.get(k, k)} {v:.2f}" for k, v in row["cpu_ms_per_request"].items() if v >= 0.005)
        verdict = "" if row["met"] is None else (" ✓" if row["met"] else " ✗")
        ratio = "" if row["ratio"] is None else f"{row['ratio']:.3f}"
        name = row["name"].strip().replace("|", "/")
        cells = [f"{row['group']}: {name}", _format(row["median"]), _format(row["p95"]), _format(row["p99"]), row["unit"]]
        lines.append("| " + " | ".join([*cells, ratio, row["ratio_of"], row["target"] + verdict, cpu]) + " |")
    return "\n".join(lines)
