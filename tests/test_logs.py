"""Logs are JSON lines that lead to their trace and request."""

import json
import logging

from opentelemetry.sdk.trace import TracerProvider

from shared.context import request_id_var
from shared.logs import configure_logging


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
