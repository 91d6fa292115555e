"""What the deployment tests (compose, Kubernetes, Docker) share: the files, the settings classes, and
how an environment is read against them. The files are checked offline: no Docker engine, cluster or
network is needed.

Every OMI_* variable must name a real field of its service's settings class (the classes ignore
unknown variables, so a typo would otherwise pass silently), ports agree between settings,
healthchecks, probes and Services, and every URL names a service that exists, on the port that
service listens on, and is the service the setting is meant to reach.
"""

import os
import re
import shlex
from pathlib import Path

import kubernetes_validate
import kubernetes_validate.utils
import pytest
from pydantic_settings import BaseSettings

from services.cases.settings import CasesSettings
from services.gateway.settings import DEFAULT_ROUTES, GatewaySettings
from services.questionnaires.settings import QuestionnairesSettings
from services.reporting.settings import ReportingSettings
from services.scoring.settings import ScoringSettings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
COMPOSE_SCHEMA = Path(__file__).resolve().parent / "data" / "compose-spec.json"
POSTGRES_INIT = ROOT / "deploy" / "postgres-init.sql"
K8S_DIR = ROOT / "deploy" / "k8s"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"

SETTINGS: dict[str, type[BaseSettings]] = {
    "gateway": GatewaySettings,
    "cases": CasesSettings,
    "questionnaires": QuestionnairesSettings,
    "scoring": ScoringSettings,
    "reporting": ReportingSettings,
}
DATABASE_SERVICES = ("cases", "questionnaires", "scoring", "reporting")
ROUTED = {route.service for route in DEFAULT_ROUTES}
IMAGE = "omi-platform:latest"
NAMESPACE = "omi"
OTEL_VARIABLES = {"OTEL_EXPORTER_OTLP_ENDPOINT"}
# The oldest Kubernetes these manifests promise to fit, and the newest whose schemas are shipped.
K8S_VERSIONS = ("1.30", kubernetes_validate.utils.latest_version())
PORT_IN_HEALTHCHECK = re.compile(r"http://(?:127\.0\.0\.1|localhost):(\d+)/readyz\b")


def prefix(service: str) -> str:
    return SETTINGS[service].model_config["env_prefix"]


def service_run_by(command: str | list[str] | None) -> str | None:
    """`python -m services.<name>` -> name (also for services.migrate); anything else -> None."""
    if not command:
        return None
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    if len(argv) == 3 and argv[0] in ("python", "python3") and argv[1] == "-m" and argv[2].startswith("services."):
        return argv[2].removeprefix("services.")
    return None


def env_problems(service: str, env: dict[str, str]) -> list[str]:
    """Names in ``env`` with ``service``'s prefix that its settings class would silently ignore."""
    problems = []
    fields = SETTINGS[service].model_fields
    for key in env:
        if not key.startswith(prefix(service)):
            continue
        suffix = key.removeprefix(prefix(service))
        if "__" in suffix:
            field, _, item = suffix.partition("__")
            if service != "gateway" or field != "SERVICES":
                problems.append(f"{key}: only the gateway's SERVICES takes nested (__) keys")
            elif item.lower() not in ROUTED:
                problems.append(f"{key}: the gateway routes to no service {item.lower()!r} ({sorted(ROUTED)})")
        elif suffix.lower() not in fields:
            problems.append(f"{key}: {SETTINGS[service].__name__} has no field {suffix.lower()!r}")
    return problems


def gateway_targets(env: dict[str, str]) -> set[str]:
    return {key.removeprefix("OMI_GATEWAY_SERVICES__").lower() for key in env if key.startswith("OMI_GATEWAY_SERVICES__")}


def service_urls(service: str, env: dict[str, str]) -> dict[str, str]:
    """The URLs ``service`` uses to call others, keyed by the service each should reach."""
    if service == "gateway":
        return {
            key.removeprefix("OMI_GATEWAY_SERVICES__").lower(): value
            for key, value in env.items()
            if key.startswith("OMI_GATEWAY_SERVICES__")
        }
    urls = {}
    for key, value in env.items():
        field = key.removeprefix(prefix(service)).lower()
        if key.startswith(prefix(service)) and field.endswith("_url") and field != "database_url":
            urls[field.removesuffix("_url")] = value
    return urls


def load_settings(service: str, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> BaseSettings:
    """The settings ``service`` would start with, given exactly ``env`` (no .env file, no stray OMI_*)."""
    for key in list(os.environ):
        if key.startswith("OMI_"):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, str(value))
    return SETTINGS[service](_env_file=None)


def database_names_in_init_script() -> dict[str, tuple[str, str]]:
    """database -> (owner, owner's password), from deploy/postgres-init.sql."""
    sql = POSTGRES_INIT.read_text()
    passwords = dict(re.findall(r"CREATE ROLE (\w+) LOGIN PASSWORD '([^']*)'", sql))
    return {db: (owner, passwords.get(owner, "")) for db, owner in re.findall(r"CREATE DATABASE (\w+) OWNER (\w+)", sql)}


def dockerfile_uid() -> int:
    (user,) = re.findall(r"^USER\s+(\S+)", DOCKERFILE.read_text(), re.MULTILINE)
    uid = user.split(":")[0]
    assert uid.isdigit(), "a numeric USER lets Kubernetes check runAsNonRoot"
    return int(uid)
