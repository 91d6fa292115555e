"""The gateway's overhead: the same wrk load sent straight to the cases service, through the gateway, and
through nginx in front of the service (the reference proxy), for GET one inspection and the assessment PUT;
the gateway's throughput ratio to direct against nginx's ratio, and its CPU per proxied request."""

from typing import Any

from bench import ingest, nginx
from bench.load import Counts, Load, repeated
from bench.proc import Meter
from bench.suite import Suite
from bench.table import Row, loaded

GROUP = "gateway overhead"
RATIO_OF_NGINX = 0.9  # the gateway's ratio to direct within 0.9 of nginx's
GATEWAY_CPU_MS = 1.0


def _loads(suite: Suite, counts: Counts, puts: ingest.Puts, base: str, meter: Meter) -> dict[str, Load]:
    get = [f"/api/v1/inspections/{puts.inspection_id}"]
    return {
        "GET one inspection": repeated(base, get, "GET", suite.headers, None, **counts.load(meter)),
        "assessment PUT": ingest.put_load(puts, base, suite.headers, counts, meter),
    }


def _rows(loads: dict[str, dict[str, Load]]) -> list[Row]:
    rows = []
    for what in ("GET one inspection", "assessment PUT"):
        direct = loads["direct"][what]
        direct_row = loaded(GROUP, f"{what}: direct", direct)
        rows.append(direct_row)
        ratios = {}
        for where in ("gateway", "nginx"):
            if where not in loads:
                continue
            row = loaded(GROUP, f"{what}: {where}", loads[where][what])
            row.ratio, row.ratio_of = row.median / direct_row.median, "direct"
            ratios[where] = row.ratio
            rows.append(row)
        if "nginx" in ratios:
            gateway = next(r for r in rows if r.name == f"{what}: gateway")
            share = ratios["gateway"] / ratios["nginx"]
            gateway.target, gateway.met = f">= {RATIO_OF_NGINX:g} of nginx", share >= RATIO_OF_NGINX
            gateway.note = f"gateway ratio / nginx ratio = {share:.2f}"
        gateway = next(r for r in rows if r.name == f"{what}: gateway")
        own = gateway.cpu_ms_per_request.get("gateway")
        if own is not None:
            gateway.note = f"{gateway.note}; gateway's own CPU {own:.2f} ms/req (target <= {GATEWAY_CPU_MS:g})".lstrip("; ")
    return rows


def measure(suite: Suite, counts: Counts, puts: ingest.Puts, skipped: list[str]) -> tuple[list[Row], dict[str, Any]]:
    """The rows, and the PUT loads direct and through the gateway (the ingest rows report them too)."""
    pids = suite.pids
    meter = Meter(pids, suite.database_names if suite.postgres_url else [])
    loads = {
        "direct": _loads(suite, counts, puts, suite.urls["cases"], meter),
        "gateway": _loads(suite, counts, puts, suite.gateway, meter),
    }
    if nginx.binary() is None:
        skipped.append("gateway overhead through nginx: nginx is not installed (make bench-tools installs it)")
    else:
        with nginx.proxy(suite.urls["cases"]) as (url, pid):
            with_nginx = Meter(pids | {"nginx": pid}, meter.database_names)
            loads["nginx"] = _loads(suite, counts, puts, url, with_nginx)
    puts_by_path = {where: loads[where]["assessment PUT"] for where in ("direct", "gateway")}
    return _rows(loads), puts_by_path
