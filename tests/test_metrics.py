"""Metrics: every service serves its own Prometheus text at /metrics, counting what it did; the gateway forwards only /api/v1."""

import json
import re
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from services.gateway.settings import DEFAULT_ROUTES
from tests.conftest import Stack, plan_inspection
from tests.questionnaire_helpers import OFFENDER_BASE, import_json, new_questionnaire, post_return
from tests.test_assessments import add_case

DASHBOARD = Path(__file__).parent.parent / "deploy" / "grafana-dashboard.json"


async def _scrape(client: httpx.AsyncClient) -> dict[str, list[tuple[dict[str, str], float]]]:
    response = await client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain"), response.text
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return samples


def _value(samples: dict[str, list[tuple[dict[str, str], float]]], name: str, **labels: str) -> float:
    return sum(value for found, value in samples.get(name, []) if labels.items() <= found.items())


async def test_a_request_is_counted_in_the_services_metrics(stack: Stack, gw: httpx.AsyncClient) -> None:
    async with stack.service("cases") as cases, stack.service("gateway") as gateway:
        before = await _scrape(cases)
        gateway_before = await _scrape(gateway)
        inspection = await plan_inspection(gw)
        case = await add_case(gw, inspection["id"])
        assessed = await gw.put(f"/api/v1/cases/{case['id']}/assessment", json={"answers": {"1.2.01": "yes"}})
        assert assessed.status_code == 201, assessed.text
        assert (await gw.get("/api/v1/inspections/not-a-uuid")).status_code == 422
        after = await _scrape(cases)
        gateway_after = await _scrape(gateway)

    def grew(name: str, old: dict, new: dict, **labels: str) -> float:
        return _value(new, name, **labels) - _value(old, name, **labels)

    server = "http_server_request_duration_seconds_count"
    assert grew(server, before, after, http_route="/api/v1/inspections", http_response_status_code="201") == 1
    assert grew(server, before, after, http_route="/api/v1/cases/{case_id}/assessment", http_response_status_code="201") == 1
    assert grew(server, before, after, http_route="/api/v1/inspections/{inspection_id}", http_response_status_code="422") == 1
    assert grew("omi_assessment_writes_total", before, after, outcome="created") == 1
    # Cases called scoring for the framework; the gateway called cases for each request.
    assert grew("http_client_request_duration_seconds_count", gateway_before, gateway_after, server_address="cases.test") >= 4
    assert "db_client_connections_usage" in after
    assert _value(gateway_after, server, http_route="/api/v1/{path:path}") >= 4


async def test_questionnaire_returns_are_counted(stack: Stack, gw: httpx.AsyncClient) -> None:
    async with stack.service("questionnaires") as questionnaires:
        before = await _scrape(questionnaires)
        url = await new_questionnaire(gw, "offender", sent=10)
        await post_return(gw, url, OFFENDER_BASE)
        imported = await import_json(gw, url, [{"return_key": f"k-{n}", "answers": OFFENDER_BASE} for n in range(3)])
        assert imported["created"] == 3
        after = await _scrape(questionnaires)
    name = "omi_questionnaire_writes_total"
    assert _value(after, name, outcome="created") - _value(before, name, outcome="created") == 4


async def test_metrics_are_not_forwarded_by_the_gateway(stack: Stack, gw: httpx.AsyncClient) -> None:
    assert all(route.prefix.startswith("/api/v1/") for route in DEFAULT_ROUTES)
    # /metrics at the gateway is the gateway's own (its calls out), never a service's.
    served = await _scrape(gw)
    assert "omi_assessment_writes_total" not in served and "db_client_connections_usage" not in served
    assert (await gw.get("/api/v1/../metrics")).status_code in (400, 404)


async def test_the_dashboard_queries_metrics_that_exist(stack: Stack, gw: httpx.AsyncClient) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    metric = re.compile(r"\b([a-z][a-z_]*_(?:total|count|bucket|sum))\b")
    names = {name for expression in expressions for name in metric.findall(expression)}
    assert names
    inspection = await plan_inspection(gw)
    case = await add_case(gw, inspection["id"])
    assert (await gw.put(f"/api/v1/cases/{case['id']}/assessment", json={"answers": {"1.2.01": "yes"}})).status_code == 201
    exported: set[str] = set()
    for service in stack.apps:
        async with stack.service(service) as client:
            exported |= set(await _scrape(client))
    assert names <= exported, names - exported
    titles = {panel["title"] for panel in dashboard["panels"]}
    assert {"Request rate per service", "Error rate per service", "Latency (p95) per service"} <= titles
