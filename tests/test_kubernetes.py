"""deploy/k8s/*.yaml, offline: against the Kubernetes API schemas that kubernetes-validate ships, strictly
(an unknown or misspelt field fails), and against the code."""

import importlib.util
import re
from urllib.parse import urlsplit

import kubernetes_validate
import kubernetes_validate.utils
import pytest
import yaml

from tests.deployment import (
    DATABASE_SERVICES,
    IMAGE,
    K8S_DIR,
    K8S_VERSIONS,
    NAMESPACE,
    OTEL_VARIABLES,
    ROUTED,
    SETTINGS,
    dockerfile_uid,
    env_problems,
    gateway_targets,
    load_settings,
    prefix,
    service_run_by,
    service_urls,
)


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
    # The pod is dropped from its Service during preStop, then drains for the grace period before SIGKILL.
    pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert pre_stop >= 2, "endpoints need a moment to drop the pod before it stops accepting"
    assert pod["terminationGracePeriodSeconds"] >= pre_stop + settings.shutdown_grace_seconds + 2
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
