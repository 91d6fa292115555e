"""docker-compose.yml, offline: against the Compose Specification's JSON schema (tests/data/compose-spec.json,
a copy of compose-spec/compose-spec's schema/compose-spec.json; see its "$comment") and against the code."""

import json
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

from tests.deployment import (
    COMPOSE_FILE,
    COMPOSE_SCHEMA,
    DATABASE_SERVICES,
    OTEL_VARIABLES,
    PORT_IN_HEALTHCHECK,
    POSTGRES_INIT,
    ROOT,
    ROUTED,
    SETTINGS,
    database_names_in_init_script,
    env_problems,
    gateway_targets,
    load_settings,
    prefix,
    service_run_by,
    service_urls,
)


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
