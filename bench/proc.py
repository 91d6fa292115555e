"""CPU time and resident memory of the measured processes, read from /proc: each process's utime+stime
(with its children, for nginx's workers) and the PostgreSQL backends serving the benchmark's own databases
(found by the database name in their process titles, so other users of the server are not counted)."""

import os
from dataclasses import dataclass, field
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()  # the command name may hold spaces


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a live process has used; 0 when it is gone."""
    try:
        fields = _stat_fields(pid)
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat_fields(int(entry.name))[1]) == pid:
                    found.append(int(entry.name))
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
    return found


def postgres_backends(database_names: list[str]) -> list[int]:
    """Backends whose title names one of the databases ("postgres: 15/main: user database host state")."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().decode(errors="replace")
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if title.startswith("postgres:") and any(f" {name} " in title for name in database_names):
            pids.append(int(entry.name))
    return pids


@dataclass
class Meter:
    """CPU seconds per named process between a start and a stop; 'postgres' sums the benchmark's backends."""

    processes: dict[str, int]
    database_names: list[str] = field(default_factory=list)
    _before: dict[str, dict[int, float]] = field(default_factory=dict)

    def _read(self) -> dict[str, dict[int, float]]:
        readings = {name: {pid: cpu_seconds(pid) for pid in [pid, *children(pid)]} for name, pid in self.processes.items()}
        if self.database_names:
            readings["postgres"] = {pid: cpu_seconds(pid) for pid in postgres_backends(self.database_names)}
        return readings

    def start(self) -> None:
        self._before = self._read()

    def stop(self) -> dict[str, float]:
        """CPU seconds used by each since start (a backend started meanwhile counts from zero)."""
        after = self._read()
        return {
            name: sum(seconds - self._before.get(name, {}).get(pid, 0.0) for pid, seconds in pids.items())
            for name, pids in after.items()
        }


def memory(processes: dict[str, int]) -> dict[str, float]:
    return {name: round(rss_mb(pid), 1) for name, pid in processes.items()}
