"""Logs are JSON lines that lead to their trace and request."""

import json
import logging

import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider

from shared.context import request_id_var
from shared.logs import configure_logging
from tests.processes import sqlite_urls, suite


def test_a_log_line_carries_service_trace_and_request(capsys) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("probe", "INFO")
        token = request_id_var.set("req-7")
        with TracerProvider().get_tracer("test").start_as_current_span("work") as span:
            logging.getLogger("omi.test").info("assessment stored", extra={"case": "WM-001"})
        request_id_var.reset(token)
        line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    assert line["message"] == "assessment stored" and line["level"] == "INFO" and line["case"] == "WM-001"
    assert line["service"] == "probe" and line["request_id"] == "req-7"
    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")


@pytest.mark.parametrize("access_log", [False, True])
def test_the_access_log_line_per_request_follows_its_setting(tmp_path, access_log: bool) -> None:
    process = suite(tmp_path, sqlite_urls(tmp_path), ("scoring",))["scoring"]
    process.env |= {"OMI_SCORING_LOG_LEVEL": "INFO"} | ({"OMI_SCORING_ACCESS_LOG": "true"} if access_log else {})
    process.start()
    try:
        assert httpx.get(f"{process.url}/healthz", headers={"X-Request-ID": "access-probe"}, timeout=5).status_code == 200
    finally:
        process.stop()
    lines = [json.loads(line) for line in process.log.read_text().splitlines() if line.startswith("{")]
    logged = [line for line in lines if line.get("logger") == "uvicorn.access" and "/healthz" in line["message"]]
    assert bool(logged) is access_log, logged
    assert all(line["service"] == "scoring" for line in logged)
