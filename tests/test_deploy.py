"""The deployment files, checked offline: no Docker engine, cluster or network is needed.

* docker-compose.yml against the Compose Specification's JSON schema (tests/data/compose-spec.json,
  a copy of compose-spec/compose-spec's schema/compose-spec.json; see its "$comment").
* deploy/k8s/*.yaml against the Kubernetes API schemas that kubernetes-validate ships, strictly
  (an unknown or misspelt field fails).
* Both against the code: every OMI_* variable names a real field of its service's settings class
  (the classes ignore unknown variables, so a typo would otherwise pass silently), ports agree
  between settings, healthchecks, probes and Services, and every URL names a service that exists,
  on the port that service listens on, and is the service the setting is meant to reach.
"""

import importlib.util
import json
import os
import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import kubernetes_validate
import kubernetes_validate.utils
import pytest
import yaml
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


# --- helpers shared by the compose and k8s checks -------------------------------------------------


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


# --- docker-compose.yml -----------------------------------------------------------------------------


def load_compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def compose_env(definition: dict) -> dict[str, str]:
    environment = definition.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {key: "" if value is None else str(value) for key, value in environment.items()}


def compose_apps(compose: dict) -> dict[str, str]:
    """compose service name -> the platform service it runs."""
    return {
        name: service_run_by(definition.get("command"))
        for name, definition in compose["services"].items()
        if service_run_by(definition.get("command")) in SETTINGS
    }


def compose_validator() -> jsonschema.protocols.Validator:
    # .gitignore's `data/` also matches tests/data/: the schema is tracked with `git add -f`.
    assert COMPOSE_SCHEMA.is_file(), f"{COMPOSE_SCHEMA} is missing (ignored by .gitignore's data/? git add -f it)"
    schema = json.loads(COMPOSE_SCHEMA.read_text())
    # The schema says draft-07 (as https://json-schema.org/draft-07/schema, which jsonschema's
    # validator_for does not recognise), so the validator is chosen here, not looked up.
    assert "draft-07" in schema["$schema"]
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_compose_file_follows_the_compose_specification() -> None:
    errors = sorted(compose_validator().iter_errors(load_compose()), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)


@pytest.mark.parametrize(
    "mistake",
    [
        lambda c: c["services"]["cases"].update(helthcheck=c["services"]["cases"].pop("healthcheck")),
        lambda c: c["services"]["gateway"]["depends_on"]["cases"].update(condition="service_ready"),
        lambda c: c["services"]["gateway"].update(ports=[{"target": 8000, "publish": 8000}]),
        lambda c: c.update(service=c.pop("services")),
    ],
    ids=["misspelt-key", "unknown-condition", "bad-port-mapping", "misspelt-top-level"],
)
def test_compose_schema_catches_mistakes(mistake) -> None:
    compose = load_compose()
    mistake(compose)
    assert list(compose_validator().iter_errors(compose))


def test_compose_runs_every_service_from_the_one_image() -> None:
    compose = load_compose()
    apps = compose_apps(compose)
    assert sorted(apps.values()) == sorted(SETTINGS), "each service runs in exactly one compose service"
    for name in apps:
        assert compose["services"][name].get("build") == ".", f"{name} is not built from ./Dockerfile"


@pytest.mark.parametrize("service", sorted(SETTINGS))
def test_compose_env_matches_the_settings(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    compose = load_compose()
    name = next(n for n, s in compose_apps(compose).items() if s == service)
    definition = compose["services"][name]
    env = compose_env(definition)

    assert not env_problems(service, env)
    strangers = [k for k in env if k.startswith("OMI_") and not k.startswith(prefix(service))]
    assert not strangers, f"{name} sets another service's variables: {strangers}"
    assert not set(env) - OTEL_VARIABLES - {k for k in env if k.startswith(prefix(service))}

    settings = load_settings(service, env, monkeypatch)
    assert settings.host == "0.0.0.0", "in a container the service must listen on every interface"
    assert f"{prefix(service)}PORT" in env and settings.port == int(env[f"{prefix(service)}PORT"])
    if service in DATABASE_SERVICES:
        assert settings.database_url.startswith("postgresql+asyncpg://")
    if service == "gateway":
        # One SERVICES__X replaces the whole default map: every routed service needs its URL.
        assert gateway_targets(env) == ROUTED
    assert env.get("OTEL_EXPORTER_OTLP_ENDPOINT"), f"{name} exports no traces"

    ports_in_check = PORT_IN_HEALTHCHECK.findall(" ".join(definition["healthcheck"]["test"]))
    assert ports_in_check == [str(settings.port)], f"{name}'s healthcheck must GET /readyz on {settings.port}"


def test_compose_urls_name_existing_services_on_their_ports() -> None:
    compose = load_compose()
    services = compose["services"]
    apps = compose_apps(compose)
    port_of = {name: int(compose_env(services[name])[f"{prefix(svc)}PORT"]) for name, svc in apps.items()}
    databases = database_names_in_init_script()
    used_databases = []

    for name, definition in services.items():
        for key, value in compose_env(definition).items():
            if "://" not in value:
                continue
            url = urlsplit(value)
            assert url.hostname in services, f"{name}: {key}={value} names no compose service"
            if url.scheme.startswith("postgresql"):
                assert url.hostname == "postgres" and url.port == 5432, f"{name}: {key}={value}"
                database = url.path.lstrip("/")
                assert database in databases, f"{name}: database {database!r} is not created by {POSTGRES_INIT.name}"
                assert (url.username, url.password) == databases[database], f"{name}: {key} logs in as the wrong role"
                used_databases.append(database)
            elif key == "OTEL_EXPORTER_OTLP_ENDPOINT":
                assert (url.scheme, url.hostname, url.port) == ("http", "jaeger", 4318), f"{name}: {value}"
            else:
                assert url.port == port_of.get(url.hostname), f"{name}: {key}={value} is not {url.hostname}'s port"

        if name in apps:
            for callee, value in service_urls(apps[name], compose_env(definition)).items():
                host = urlsplit(value).hostname
                assert apps.get(host) == callee, f"{name}: the {callee} URL {value} reaches {apps.get(host, host)}"

    assert sorted(used_databases) == sorted(DATABASE_SERVICES), "one database per service, none shared"
    assert str(services["jaeger"]["environment"]["COLLECTOR_OTLP_ENABLED"]).lower() == "true"


def test_compose_start_order_and_healthchecks() -> None:
    compose = load_compose()
    services = compose["services"]
    apps = compose_apps(compose)
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]

    for name, definition in services.items():
        for target, condition in (definition.get("depends_on") or {}).items():
            assert target in services, f"{name} depends on a missing service {target}"
            if condition["condition"] == "service_healthy":
                assert "healthcheck" in services[target], f"{name} waits for {target}, which has no healthcheck"
        if apps.get(name) in DATABASE_SERVICES:
            assert definition["depends_on"]["postgres"]["condition"] == "service_healthy"

    gateway = next(n for n, s in apps.items() if s == "gateway")
    waits_for = {apps.get(t) for t, c in services[gateway]["depends_on"].items() if c["condition"] == "service_healthy"}
    assert waits_for >= ROUTED, "the gateway's /readyz needs every routed service ready"

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"depends_on cycle: {' -> '.join((*path, name))}"
        for target in services[name].get("depends_on") or {}:
            visit(target, (*path, name))

    for name in services:
        visit(name, ())


def test_compose_publishes_only_the_gateway_and_the_jaeger_ui() -> None:
    compose = load_compose()
    published = set()
    for name, definition in compose["services"].items():
        for port in definition.get("ports") or []:
            if isinstance(port, dict):
                published.add((name, int(port["target"])))
            else:
                published.add((name, int(str(port).split("/")[0].split(":")[-1])))
    gateway_port = int(compose_env(compose["services"]["gateway"])["OMI_GATEWAY_PORT"])
    assert published == {("gateway", gateway_port), ("jaeger", 16686)}


def test_postgres_init_script_is_mounted_and_creates_every_database() -> None:
    postgres = load_compose()["services"]["postgres"]
    mounts = [v.split(":") for v in postgres["volumes"] if isinstance(v, str)]
    assert any(
        (ROOT / source).resolve() == POSTGRES_INIT and target.startswith("/docker-entrypoint-initdb.d/")
        for source, target, *_ in mounts
    )
    assert sorted(database_names_in_init_script()) == sorted(DATABASE_SERVICES)
    sql = POSTGRES_INIT.read_text()
    for database in DATABASE_SERVICES:
        assert f"REVOKE CONNECT, TEMPORARY ON DATABASE {database} FROM PUBLIC;" in sql, f"{database} is open to every role"


# --- deploy/k8s ---------------------------------------------------------------------------------------


def load_manifests() -> list[tuple[str, dict]]:
    documents = []
    for path in sorted(K8S_DIR.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                documents.append((path.name, document))
    return documents


MANIFESTS = load_manifests()


def manifest(kind: str, name: str) -> dict:
    found = [d for _, d in MANIFESTS if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def of_kind(kind: str) -> list[dict]:
    return [d for _, d in MANIFESTS if d["kind"] == kind]


def only_container(workload: dict) -> dict:
    containers = workload["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def config_map() -> dict[str, str]:
    (config,) = of_kind("ConfigMap")
    return config["data"]


def secret_data() -> dict[str, str]:
    (secret,) = of_kind("Secret")
    return secret["stringData"]


def container_env(container: dict) -> dict[str, str]:
    """The environment the container starts with: envFrom ConfigMap/Secret, then env (which wins)."""
    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        if "configMapRef" in source:
            env.update(manifest("ConfigMap", source["configMapRef"]["name"])["data"])
        if "secretRef" in source:
            env.update(manifest("Secret", source["secretRef"]["name"])["stringData"])
    for variable in container.get("env") or []:
        if "value" in variable:
            env[variable["name"]] = variable["value"]
        else:
            ref = variable["valueFrom"]["secretKeyRef"]
            data = manifest("Secret", ref["name"])["stringData"]
            assert ref["key"] in data, f"{variable['name']}: Secret {ref['name']} has no key {ref['key']}"
            env[variable["name"]] = data[ref["key"]]
    return env


def resolve_port(container: dict, port: int | str) -> int:
    if isinstance(port, int):
        return port
    (number,) = [p["containerPort"] for p in container["ports"] if p.get("name") == port]
    return number


def deployment_of(service: str) -> dict:
    deployment = manifest("Deployment", service)
    assert service_run_by(only_container(deployment)["command"]) == service
    return deployment


def service_for(deployment: dict) -> dict:
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    matching = [s for s in of_kind("Service") if s["spec"]["selector"].items() <= labels.items()]
    assert len(matching) == 1, f"expected one Service for {deployment['metadata']['name']}"
    return matching[0]


def k8s_service_host(hostname: str) -> str | None:
    """A Service name from `name`, `name.omi`, `name.omi.svc` or `name.omi.svc.cluster.local`."""
    match = re.fullmatch(rf"([a-z0-9-]+)(?:\.{NAMESPACE}(?:\.svc(?:\.cluster\.local)?)?)?", hostname)
    return match.group(1) if match else None


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize(
    "document", [d for _, d in MANIFESTS], ids=[f"{f}:{d['kind']}/{d['metadata']['name']}" for f, d in MANIFESTS]
)
def test_k8s_manifest_is_valid(document: dict, version: str) -> None:
    kubernetes_validate.validate(document, version, strict=True)


def test_k8s_strict_validation_catches_mistakes() -> None:
    deployment = yaml.safe_load(yaml.safe_dump(manifest("Deployment", "cases")))
    only_container(deployment)["readinesProbe"] = only_container(deployment).pop("readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSIONS[-1], strict=True)


def test_k8s_objects_live_in_one_namespace() -> None:
    assert manifest("Namespace", NAMESPACE)
    names = [(d["kind"], d["metadata"]["name"]) for _, d in MANIFESTS]
    assert len(names) == len(set(names)), "duplicate objects"
    strays = [
        n
        for (_, d), n in zip(MANIFESTS, names, strict=True)
        if d["kind"] != "Namespace" and d["metadata"].get("namespace") != NAMESPACE
    ]
    assert not strays, f"outside namespace {NAMESPACE}: {strays}"
    assert {d["metadata"]["name"] for d in of_kind("Deployment")} == set(SETTINGS)


def test_k8s_config_map_names_real_settings() -> None:
    data = config_map()
    owners = {key: next((s for s in SETTINGS if key.startswith(prefix(s))), None) for key in data}
    assert not [k for k, owner in owners.items() if owner is None and k not in OTEL_VARIABLES], "unknown variables"
    for service in SETTINGS:
        assert not env_problems(service, data)
        assert data.get(f"{prefix(service)}HOST") == "0.0.0.0"
        assert f"{prefix(service)}PORT" in data
    assert gateway_targets(data) == ROUTED
    assert not [k for k in data if k.endswith("DATABASE_URL")], "database URLs belong in the Secret"


@pytest.mark.parametrize("service", sorted(SETTINGS))
def test_k8s_deployment_matches_the_settings(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    deployment = deployment_of(service)
    pod = deployment["spec"]["template"]["spec"]
    container = only_container(deployment)
    env = container_env(container)

    assert deployment["spec"]["selector"]["matchLabels"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    assert container["image"] == IMAGE
    assert not env_problems(service, env)
    settings = load_settings(service, env, monkeypatch)
    assert settings.host == "0.0.0.0"
    if service in DATABASE_SERVICES:
        assert settings.database_url.startswith("postgresql+asyncpg://")
        assert settings.migrate_on_start is False, "the omi-migrate Job migrates, not the replicas"
        secret_refs = {v["valueFrom"]["secretKeyRef"]["key"] for v in container.get("env", []) if "valueFrom" in v}
        assert secret_refs == {f"{prefix(service)}DATABASE_URL"}, "a service reads only its own database URL"

    (port,) = container["ports"]
    assert port["containerPort"] == settings.port
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    # The gateway stays in its Service while a service behind it is down (that service's routes answer 503).
    assert container["readinessProbe"]["httpGet"]["path"] == ("/healthz" if service == "gateway" else "/readyz")
    for probe in ("livenessProbe", "readinessProbe"):
        assert resolve_port(container, container[probe]["httpGet"]["port"]) == settings.port, probe

    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= container["resources"][kind].keys(), f"resources.{kind}"
    check_restricted(pod, container)


def check_restricted(pod: dict, container: dict) -> None:
    """The namespace enforces the `restricted` Pod Security Standard; the pods must meet it."""
    security = pod.get("securityContext", {}) | container.get("securityContext", {})
    assert security.get("runAsNonRoot") is True
    assert security.get("runAsUser") == dockerfile_uid(), "runAsUser is the image's user"
    assert security.get("seccompProfile", {}).get("type") == "RuntimeDefault"
    assert container["securityContext"].get("allowPrivilegeEscalation") is False
    assert container["securityContext"].get("capabilities", {}).get("drop") == ["ALL"]
    assert manifest("Namespace", NAMESPACE)["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_k8s_services_front_the_deployments() -> None:
    for service in SETTINGS:
        deployment = deployment_of(service)
        front = service_for(deployment)
        assert front["metadata"]["name"] == service
        assert front["spec"].get("type", "ClusterIP") == "ClusterIP"
        (port,) = front["spec"]["ports"]
        container = only_container(deployment)
        assert resolve_port(container, port.get("targetPort", port["port"])) == container["ports"][0]["containerPort"]


def test_k8s_urls_name_existing_services_on_their_ports() -> None:
    data = config_map()
    checked = 0
    for caller in SETTINGS:
        for callee, value in service_urls(caller, data).items():
            url = urlsplit(value)
            name = k8s_service_host(url.hostname or "")
            assert name, f"{value}: not a Service in namespace {NAMESPACE}"
            front = manifest("Service", name)
            assert url.port == front["spec"]["ports"][0]["port"], f"{value}: not Service {name}'s port"
            assert front is service_for(deployment_of(callee)), f"{caller}'s {callee} URL {value} reaches {name}"
            checked += 1
    # cases -> three (frameworks; audit trails), questionnaires -> cases, scoring -> cases, reporting -> three,
    # gateway -> four.
    assert checked == 3 + 1 + 1 + 3 + len(ROUTED)


def test_k8s_migration_job_migrates_every_database() -> None:
    (job,) = of_kind("Job")
    container = only_container(job)
    assert service_run_by(container["command"]) == "migrate"
    assert importlib.util.find_spec("services.migrate") is not None
    assert container["image"] == IMAGE
    assert job["spec"]["template"]["spec"]["restartPolicy"] in ("Never", "OnFailure")
    check_restricted(job["spec"]["template"]["spec"], container)

    wanted = {f"{prefix(s)}DATABASE_URL" for s in DATABASE_SERVICES}
    assert set(secret_data()) == wanted
    env = container_env(container)
    assert wanted <= env.keys()
    databases = [urlsplit(env[key]).path.lstrip("/") for key in sorted(wanted)]
    assert all(env[key].startswith("postgresql+asyncpg://") for key in wanted)
    assert len(set(databases)) == len(databases), "one database per service"


# --- Dockerfile -------------------------------------------------------------------------------------------


def dockerfile_uid() -> int:
    (user,) = re.findall(r"^USER\s+(\S+)", DOCKERFILE.read_text(), re.MULTILINE)
    uid = user.split(":")[0]
    assert uid.isdigit(), "a numeric USER lets Kubernetes check runAsNonRoot"
    return int(uid)


def test_dockerfile_builds_one_non_root_image() -> None:
    text = DOCKERFILE.read_text()
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in text
    assert re.search(r"pip install -c constraints\.txt \.$", text, re.MULTILINE)
    assert dockerfile_uid() != 0
    assert re.search(r"^WORKDIR /app$", text, re.MULTILINE)
    (cmd,) = re.findall(r"^CMD (.+)$", text, re.MULTILINE)
    assert service_run_by(yaml.safe_load(cmd)) in SETTINGS
    ignored = set(DOCKERIGNORE.read_text().split())
    assert {".git", ".venv", "data", ".env"} <= ignored
