"""Schemathesis against the gateway's merged OpenAPI document, over real sockets (every service a uvicorn process).

Every operation of the merged document, a bounded number of examples each with a fixed seed, and
the stateful phase; path ids are often the seeded suite's real objects, so operations reach their
logic and not only their 404s. All checks: no 5xx, responses, statuses and headers as documented,
but one: `positive_data_acceptance` expects every schema-valid body accepted, and JSON Schema's
`integer` takes 4.0, which our wire refuses on purpose (strict integers; a domain rule such as a
sample's total is not in the schema either).
"""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.conftest import SERVICES
from tests.processes import admin_headers, auth_env, free_port
from tests.test_assessments import LICENCE_CASE

EXAMPLES = 12
SEED = 2008
SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str], dict[str, str]]]:
    """The whole suite as processes on SQLite, seeded with an inspection, a case and its assessment."""
    folder = tmp_path_factory.mktemp("schemathesis")
    ports = {name: free_port() for name in ("gateway", *SERVICES)}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    env = dict(os.environ, OTEL_SDK_DISABLED="true")
    for name in SERVICES:
        env[f"OMI_{name.upper()}_PORT"] = str(ports[name])
        env[f"OMI_{name.upper()}_DATABASE_URL"] = f"sqlite+aiosqlite:///{folder}/{name}.db"
        env["OMI_GATEWAY_SERVICES__" + name.upper()] = urls[name]
        for callee in SERVICES:
            env[f"OMI_{name.upper()}_{callee.upper()}_URL"] = urls[callee]
    env["OMI_GATEWAY_PORT"] = str(ports["gateway"])
    # Every request as an admin (the token checks have their own tests); many requests, one subject.
    env |= auth_env(folder) | {"OMI_GATEWAY_RATE_LIMIT": "1000000/minute"}
    admin = admin_headers(folder / "keys")
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", f"services.{name}"],
            env=env | {f"OMI_{name.upper()}_LOG_LEVEL": "WARNING"},
            cwd=Path(__file__).parent.parent,
            stdout=subprocess.DEVNULL,
        )
        for name in ("gateway", *SERVICES)
    ]
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{urls['gateway']}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the suite did not become ready"
            time.sleep(0.3)
        with httpx.Client(base_url=urls["gateway"], timeout=30, headers=admin) as client:
            body = {"area": "West Midlands", "country": "england", "fieldwork_start": "2008-06-09"}
            inspection = client.post("/api/v1/inspections", json=body).json()
            case = client.post(f"/api/v1/inspections/{inspection['id']}/cases", json=LICENCE_CASE).json()
            client.put(f"/api/v1/cases/{case['id']}/assessment", json={"answers": {"1.2.01": "yes"}}).raise_for_status()
        seeded = {"inspection_id": inspection["id"], "case_id": case["id"], "framework_id": "omi-2008"}
        yield urls["gateway"], seeded, admin
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def test_every_operation_conforms_to_the_merged_document(suite: tuple[str, dict[str, str], dict[str, str]]) -> None:
    base_url, seeded, admin = suite
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    schema.config.seed = SEED
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20

    for operation in operations:

        @SETTINGS
        @given(case=operation.as_strategy(), real=st.booleans())
        def check(case: schemathesis.Case, real: bool) -> None:
            if real and case.path_parameters:
                case.path_parameters |= {k: v for k, v in seeded.items() if k in case.path_parameters}
            try:
                case.call_and_validate(base_url=base_url, headers=admin, excluded_checks=[positive_data_acceptance])
            except Exception as failure:  # schemathesis' check failures, one report for all
                failures.append(f"{case.method} {case.formatted_path}: {str(failure)[:600]}")

        hypothesis.seed(SEED)(check)()
    assert not failures, "\n\n".join(failures[:20])


def test_stateful_phase(suite: tuple[str, dict[str, str], dict[str, str]]) -> None:
    base_url, _, admin = suite
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    machine = schema.as_state_machine()

    class Suite(machine):  # type: ignore[misc,valid-type]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, object]:
            return {"base_url": base_url, "headers": admin}

        def validate_response(self, response, case: schemathesis.Case, additional_checks=None, **kwargs) -> None:  # type: ignore[no-untyped-def]
            case.validate_response(response, additional_checks=additional_checks, excluded_checks=[positive_data_acceptance])

    run_state_machine_as_test(
        Suite,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=6,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
