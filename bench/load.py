"""Load generation: wrk in its own process on loopback, 16 connections, bounded in time, each request's path
taken in turn from a list (so every PUT can be the first write of its case) and its body from a file, a
"@N@" in the body made unique per request; warm-up, then several repetitions, with CPU per request."""

import json
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench.proc import Meter

CONNECTIONS = 16
THREADS = 2

_SCRIPT = """
local paths = {}
for line in io.lines(%(paths)s) do paths[#paths + 1] = line end
local body = %(body)s
local headers = %(headers)s
local method = %(method)s
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function request()
  local i = tid + 1 + counter * %(threads)d
  counter = counter + 1
  if i > #paths then i = (i - 1) %% #paths + 1 end
  local text = body
  if text ~= nil then text = string.gsub(text, "@N@", tid .. "-" .. counter) end
  return wrk.format(method, paths[i], headers, text)
end

statuses = {}  -- globals: done() reads them from each thread
sample = ""
function response(status, headers, body)
  if status > 299 then
    statuses[status] = (statuses[status] or 0) + 1
    if sample == "" then sample = status .. " " .. string.sub(body, 1, 200) end
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local counts, seen = {}, {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do counts[status] = (counts[status] or 0) + count end
  end
  for status, count in pairs(counts) do seen[#seen + 1] = '"' .. status .. '": ' .. count end
  local first = ""
  for _, thread in ipairs(threads) do if first == "" then first = thread:get("sample") end end
  io.write("\\nSAMPLE " .. first .. "\\n")
  io.write(string.format(
    '\\nRESULT {"requests": %%d, "duration_us": %%d, "socket_errors": %%d, "non_2xx": %%d, ' ..
    '"p50_us": %%d, "p95_us": %%d, "p99_us": %%d, "max_us": %%d, "statuses": {%%s}}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, table.concat(seen, ", ")))
end
"""


def available() -> bool:
    return shutil.which("wrk") is not None


@dataclass
class Run:
    """One wrk run's summary."""

    requests: int
    seconds: float
    socket_errors: int
    non_2xx: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    statuses: dict[str, int]
    sample: str = ""  # the first answer that was not 2xx

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _lua(value: str | None) -> str:
    return "nil" if value is None else json.dumps(value)  # a JSON string is a valid Lua string literal here


def wrk(base: str, paths: list[str], method: str, headers: dict[str, str], body: str | None, seconds: float) -> Run:
    """One run of wrk against ``base`` for ``seconds``."""
    if body is not None:
        body = body.replace("@RUN@", uuid.uuid4().hex[:8])  # unique keys across runs too
    folder = Path(tempfile.mkdtemp(prefix="omi-wrk-"))
    (folder / "paths").write_text("\n".join(paths) + "\n")
    lua_headers = "{" + ", ".join(f"[{_lua(k)}] = {_lua(v)}" for k, v in headers.items()) + "}"
    script = _SCRIPT % {
        "paths": _lua(str(folder / "paths")),
        "body": _lua(body),
        "headers": lua_headers,
        "method": _lua(method),
        "threads": THREADS,
    }
    (folder / "load.lua").write_text(script)
    argv = ["wrk", "-t", str(THREADS), "-c", str(CONNECTIONS), "-d", f"{max(1, round(seconds))}s", "--timeout", "30s"]
    done = subprocess.run(
        [*argv, "-s", str(folder / "load.lua"), base], capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    if done.returncode != 0 or "RESULT " not in done.stdout:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr[-2000:]} {done.stdout[-2000:]}; script in {folder}")
    output = done.stdout
    shutil.rmtree(folder, ignore_errors=True)
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    raw = json.loads(line.removeprefix("RESULT "))
    return Run(
        raw["requests"],
        raw["duration_us"] / 1e6,
        raw["socket_errors"],
        raw["non_2xx"],
        raw["p50_us"] / 1000,
        raw["p95_us"] / 1000,
        raw["p99_us"] / 1000,
        raw["statuses"],
        next((line[7:] for line in output.splitlines() if line.startswith("SAMPLE ")), ""),
    )


@dataclass
class Load:
    """Repeated runs of one load: each run's summary and the CPU seconds each process used over all of them."""

    runs: list[Run]
    cpu: dict[str, float]

    @property
    def requests(self) -> int:
        return sum(run.requests for run in self.runs)

    def cpu_ms_per_request(self) -> dict[str, float]:
        return {name: round(seconds * 1000 / max(1, self.requests), 3) for name, seconds in self.cpu.items()}


class Paths:
    """A pool of request paths used up in order (each case's first write is used once)."""

    def __init__(self, paths: list[str]) -> None:
        self._paths = paths
        self._next = 0

    def take(self, count: int) -> list[str]:
        taken = self._paths[self._next : self._next + count]
        if len(taken) < count:
            raise RuntimeError(f"the benchmark seeded {len(self._paths)} paths; {self._next + count} needed")
        self._next += count
        return taken


def repeated(
    base: str,
    paths: Paths | list[str],
    method: str,
    headers: dict[str, str],
    body: str | None,
    *,
    seconds: float,
    repeat: int,
    warmup: float,
    meter: Meter,
    budget_per_second: int = 3000,
) -> Load:
    """A warm-up run, then ``repeat`` measured runs; a pool of paths gives each run fresh ones."""

    def once(duration: float) -> Run:
        chosen = paths.take(int(budget_per_second * max(1, round(duration)))) if isinstance(paths, Paths) else paths
        return wrk(base, chosen, method, headers, body, duration)

    if warmup > 0:
        once(warmup)
    meter.start()
    runs = [once(seconds) for _ in range(repeat)]
    return Load(runs, meter.stop())


@dataclass(frozen=True)
class Counts:
    """How much of everything a run does: `make bench` (full) or `make bench-quick`."""

    seconds: float = 8
    repeat: int = 3
    warmup: float = 3
    timings: int = 30  # repetitions of the timed single requests
    inspections: int = 50  # for the national view
    import_rows: int = 2000
    imports: int = 3
    scale_inspections: int = 1000
    scale_per_inspection: int = 100  # stored assessments per inspection at the scaling rows' large end

    def load(self, meter: Meter) -> dict[str, object]:
        return {"seconds": self.seconds, "repeat": self.repeat, "warmup": self.warmup, "meter": meter}


FULL = Counts()
QUICK = Counts(
    seconds=1,
    repeat=1,
    warmup=0,
    timings=3,
    inspections=3,
    import_rows=200,
    imports=1,
    scale_inspections=50,
    scale_per_inspection=4,
)
