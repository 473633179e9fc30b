"""deploy/compose.yaml, deploy/k8s/ and the Dockerfile, checked against the code (Docker does not
run here): every FANGXIN_* variable is a setting of the service it is given to and its value
validates, every port and path is the one the service serves, the console's API addresses are
the workflow's and the projections' own, topic partitions cover replicas."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from fastapi.routing import APIRoute
from pydantic import ValidationError

from contracts import topics as t
from fangxin.local.kafka import kafka_version
from fangxin.metrics_catalogue import build_app, close_app
from services.console.settings import ConsoleSettings
from services.intake.settings import IntakeSettings
from services.platform.settings import ServiceSettings
from services.projections.settings import ProjectionsSettings
from services.workflow.settings import WorkflowSettings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
SETTINGS: dict[str, type[ServiceSettings]] = {
    "intake": IntakeSettings, "workflow": WorkflowSettings, "projections": ProjectionsSettings,
    "console": ConsoleSettings}
# The services on Kafka and PostgreSQL; the console uses neither, only the two APIs below.
PIPELINE = ("intake", "workflow", "projections")
CONSOLE_APIS = {"workflow_url": "workflow", "projections_url": "projections"}
# What each service subscribes to (services/*/app.py, pump.py): one replica per partition.
CONSUMES = {"intake": [t.INBOUND], "workflow": [t.SUPERVISION, t.WORKFLOW_COMMANDS],
            "projections": [t.SUPERVISION, t.TRACE, t.WORKFLOW_EVENTS], "console": []}
PLACEHOLDER = re.compile(r"\$\{[A-Z_]+(?::[?-][^}]*)?\}")


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return data


def _k8s() -> list[dict[str, Any]]:
    return [doc for path in sorted(K8S.glob("*.yaml")) if path.name != "kustomization.yaml"
            for doc in yaml.safe_load_all(path.read_text()) if doc]


def _deployments() -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in _k8s() if d["kind"] == "Deployment"}


@pytest.fixture(scope="module")
def routes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    """The GET paths each service's real app serves."""
    found = {}
    for service in SETTINGS:
        app = build_app(service, tmp_path_factory.mktemp(service))
        try:
            found[service] = {r.path for r in app.routes
                              if isinstance(r, APIRoute) and "GET" in r.methods}
        finally:
            close_app(app)
    return found


def _validated(service: str, env: dict[str, str]) -> ServiceSettings:
    """The service's Settings built from exactly ``env`` (placeholders made concrete)."""
    settings = SETTINGS[service]
    known = {f"FANGXIN_{name.upper()}": name for name in settings.model_fields}
    unknown = sorted(set(env) - set(known))
    assert not unknown, f"{service}: {unknown} are not settings of {settings.__name__}"
    values = {known[key]: PLACEHOLDER.sub("placeholder", value) for key, value in env.items()}
    try:
        return settings(_env_file=None, **values)  # type: ignore[call-arg]
    except ValidationError as exc:
        pytest.fail(f"{service}: {exc}")


def _default_port(service: str) -> int:
    port: int = SETTINGS[service].model_fields["http_port"].default
    return port


def _api_targets(settings: ServiceSettings) -> dict[str, tuple[str, int]]:
    """Host and port of each API the console calls, read off its validated settings."""
    assert isinstance(settings, ConsoleSettings)
    found = {}
    for field, service in CONSOLE_APIS.items():
        url = urlsplit(getattr(settings, field))
        assert url.scheme == "http", f"{field}: {url.geturl()}"
        assert url.path in {"", "/"}, f"{field}: {url.geturl()}"
        assert url.hostname is not None, f"{field}: {url.geturl()}"
        assert url.port is not None, f"{field}: {url.geturl()}"
        found[service] = (url.hostname, url.port)
    return found


def _created_topics(script: str) -> dict[str, int]:
    calls = [shlex.split(line) for line in script.splitlines()
             if line.strip().startswith("create ")]
    return {topic: int(partitions) for _, topic, partitions in calls}


# ---------------------------------------------------------------- compose


def test_compose_runs_kafka_postgres_the_services_prometheus_and_grafana():
    services = _compose()["services"]

    assert set(services) == {"kafka", "topics", "postgres", "intake", "workflow", "projections",
                             "console", "prometheus", "grafana"}
    assert services["kafka"]["image"] == f"apache/kafka:{kafka_version()}"
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert services["kafka"]["environment"]["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert services["topics"]["image"] == services["kafka"]["image"]


@pytest.mark.parametrize("service", PIPELINE)
def test_compose_gives_each_service_only_its_settings_and_serves_the_right_port(service, routes):
    compose = _compose()
    spec = compose["services"][service]
    env = {k: str(v) for k, v in spec["environment"].items()}

    settings = _validated(service, {k: v for k, v in env.items() if k.startswith("FANGXIN_")})

    assert spec["command"] == [f"services.{service}"]
    default_port = SETTINGS[service].model_fields["http_port"].default
    assert settings.http_port == default_port
    assert spec["ports"] == [f"{default_port}:{default_port}"]
    assert settings.persistence == "postgres"
    assert settings.http_host == "0.0.0.0"
    assert settings.kafka_bootstrap == "kafka:9092"
    assert settings.postgres_host == "postgres"
    check = " ".join(spec["healthcheck"]["test"])
    assert "/health/ready" in check
    assert "/health/ready" in routes[service]
    assert {"kafka", "postgres", "topics"} <= set(spec["depends_on"])
    assert f"CREATE DATABASE {settings.postgres_dbname} " in (
        compose["configs"]["databases"]["content"])
    for secret in spec.get("secrets", []):
        assert f"/run/secrets/{secret}" in env.values()


def test_compose_runs_the_console_on_its_port_against_the_two_apis_in_the_network(routes):
    compose = _compose()
    spec = compose["services"]["console"]
    env = {k: str(v) for k, v in spec["environment"].items()}

    settings = _validated("console", env)

    assert spec["command"] == ["services.console"]
    assert settings.http_port == _default_port("console")
    assert spec["ports"] == [f"{settings.http_port}:{settings.http_port}"]
    assert settings.http_host == "0.0.0.0"
    for service, (host, port) in _api_targets(settings).items():
        assert host == service, "the API is called by its Compose service name"
        assert compose["services"][service]["environment"]["FANGXIN_HTTP_PORT"] == str(port)
        assert port == _default_port(service)
        assert spec["depends_on"][service] == {"condition": "service_healthy"}
    assert not [k for k in env if k.startswith(("FANGXIN_KAFKA", "FANGXIN_POSTGRES"))]
    assert set(spec["depends_on"]) == set(CONSOLE_APIS.values())
    check = " ".join(spec["healthcheck"]["test"])
    assert "/health/ready" in check
    assert {"/health/ready", "/health/live", "/metrics"} <= routes["console"]
    for secret in spec.get("secrets", []):
        assert f"/run/secrets/{secret}" in env.values()


def test_compose_secrets_have_local_defaults_and_the_cipher_key_is_required():
    compose = _compose()
    workflow_env = compose["services"]["workflow"]["environment"]

    assert workflow_env["FANGXIN_CIPHER_KEY"].startswith("${FANGXIN_CIPHER_KEY:?")
    producers = compose["secrets"]["producers.json"]["file"]
    default = re.search(r":-([^}]+)\}", producers)
    assert default is not None
    assert (DEPLOY / default.group(1)).is_file()


def test_compose_creates_every_topic_once_with_enough_partitions():
    script = _compose()["services"]["topics"]["command"][0]
    created = _created_topics(script)

    assert sorted(created) == sorted(t.ALL)
    assert "--replication-factor 1" in script


def test_compose_prometheus_scrapes_the_compose_services_on_their_ports():
    compose = _compose()
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    mounts = compose["services"]["prometheus"]["volumes"]

    assert "./prometheus:/etc/prometheus:ro" in mounts
    for job in config["scrape_configs"]:
        (target,) = job["static_configs"][0]["targets"]
        host, port = target.split(":")
        assert host == job["job_name"]
        assert compose["services"][host]["environment"]["FANGXIN_HTTP_PORT"] == port


def test_compose_grafana_is_provisioned_with_prometheus_and_the_dashboards():
    compose = _compose()
    grafana = compose["services"]["grafana"]
    provisioning = DEPLOY / "grafana" / "provisioning"
    provider = yaml.safe_load((provisioning / "dashboards" / "fangxin.yml").read_text())
    source = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())

    mounts = dict(volume.removesuffix(":ro").split(":", 1) for volume in grafana["volumes"])
    assert mounts["./grafana/provisioning"] == "/etc/grafana/provisioning"
    assert mounts["./grafana/dashboards"] == provider["providers"][0]["options"]["path"]
    assert list((DEPLOY / "grafana" / "dashboards").glob("*.json"))
    assert source["datasources"][0]["url"] == "http://prometheus:9090"
    assert "9090:9090" in compose["services"]["prometheus"]["ports"]


# ---------------------------------------------------------------- kubernetes


def test_kustomization_lists_every_manifest():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())

    assert sorted(kustomization["resources"]) == sorted(
        p.name for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")
    kinds = sorted(d["kind"] for d in _k8s())
    assert kinds == sorted(["Namespace", "ConfigMap", "Job",
                            *["Deployment", "Service"] * len(SETTINGS)])


def _config_map() -> dict[str, str]:
    (config,) = [d for d in _k8s() if d["kind"] == "ConfigMap"]
    return {k: str(v) for k, v in config["data"].items()}


def _container_env(container: dict[str, Any]) -> dict[str, str]:
    env = dict(_config_map()) if container.get("envFrom") else {}
    for item in container.get("env", []):
        source = item.get("valueFrom")
        env[item["name"]] = str(item["value"]) if source is None else f"from-{next(iter(source))}"
    return env


def _containers(deployment: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from deployment["spec"]["template"]["spec"]["containers"]


@pytest.mark.parametrize("service", list(SETTINGS))
def test_each_deployment_runs_its_service_with_its_settings_probes_and_resources(service, routes):
    deployment = _deployments()[service]
    pod = deployment["spec"]["template"]
    (container,) = _containers(deployment)
    env = _container_env(container)

    settings = _validated(service, env)

    assert container["image"] == "fangxin"
    assert container["args"] == [f"services.{service}"]
    (port,) = container["ports"]
    assert port == {"name": "http", "containerPort": settings.http_port}
    assert settings.http_port == _default_port(service)
    assert settings.http_host == "0.0.0.0"
    assert container["readinessProbe"]["httpGet"] == {"path": "/health/ready", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/health/live", "port": "http"}
    assert {"/health/ready", "/health/live", "/metrics"} <= routes[service]
    assert set(container["resources"]["requests"]) == {"cpu", "memory"}
    assert "memory" in container["resources"]["limits"]
    assert pod["metadata"]["annotations"] == {"prometheus.io/scrape": "true",
                                              "prometheus.io/port": str(settings.http_port),
                                              "prometheus.io/path": "/metrics"}
    assert pod["metadata"]["labels"] == deployment["spec"]["selector"]["matchLabels"]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    for value in env.values():
        if value.startswith("/etc/fangxin/"):
            (mount,) = [n for n, path in mounts.items() if value.startswith(path + "/")]
            assert "secret" in volumes[mount]


def test_the_console_deployment_calls_the_apis_by_their_services_and_ports():
    (container,) = _containers(_deployments()["console"])
    settings = _validated("console", _container_env(container))
    services = {d["metadata"]["name"]: d for d in _k8s() if d["kind"] == "Service"}

    for service, (host, port) in _api_targets(settings).items():
        assert host in {service, f"{service}.fangxin", f"{service}.fangxin.svc"}, host
        (exposed,) = services[service]["spec"]["ports"]
        assert exposed["port"] == port == _default_port(service)
    assert isinstance(settings, ConsoleSettings)
    assert settings.cookie_secure, "in the cluster the console is served behind TLS"


def test_secrets_come_from_kubernetes_secrets_never_from_the_config_map():
    secret_like = re.compile(r"PASSWORD|CIPHER|TOKEN|KEY$")

    assert not [k for k in _config_map() if secret_like.search(k)]
    for deployment in _deployments().values():
        for container in _containers(deployment):
            for item in container.get("env", []):
                if secret_like.search(item["name"]):
                    assert "secretKeyRef" in item.get("valueFrom", {}), item


def test_each_service_has_a_service_on_its_named_port():
    services = {d["metadata"]["name"]: d for d in _k8s() if d["kind"] == "Service"}

    for name, deployment in _deployments().items():
        (container,) = _containers(deployment)
        (port,) = services[name]["spec"]["ports"]
        assert port["targetPort"] == "http"
        assert port["port"] == container["ports"][0]["containerPort"]
        assert services[name]["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]


def test_the_topic_job_gives_every_consumed_topic_a_partition_per_replica():
    (job,) = [d for d in _k8s() if d["kind"] == "Job"]
    (container,) = job["spec"]["template"]["spec"]["containers"]
    created = _created_topics(container["args"][0])

    assert container["image"] == f"apache/kafka:{kafka_version()}"
    assert sorted(created) == sorted(t.ALL)
    assert "--replication-factor 3" in container["args"][0]
    for name, deployment in _deployments().items():
        replicas = deployment["spec"]["replicas"]
        for topic in CONSUMES[name]:
            assert created[topic] >= replicas, f"{name}: {replicas} replicas, {topic} {created}"


def test_in_cluster_prometheus_names_jobs_like_the_alerts_expect():
    config = yaml.safe_load((DEPLOY / "prometheus" / "kubernetes.yml").read_text())
    (job,) = config["scrape_configs"]
    relabel = job["relabel_configs"]
    label = "__meta_kubernetes_pod_label_app_kubernetes_io_name"

    assert {"source_labels": [label], "target_label": "job"} in relabel
    keep = [r for r in relabel if r.get("action") == "keep" and r["source_labels"] == [label]]
    assert set(keep[0]["regex"].split("|")) == set(_deployments()) == set(SETTINGS)
    assert config["rule_files"] == ["alerts.yml"]


# ---------------------------------------------------------------- image


def test_the_dockerfile_runs_each_service_from_the_source_tree():
    text = (ROOT / "Dockerfile").read_text()
    ignored = (ROOT / ".dockerignore").read_text().split()

    assert 'ENTRYPOINT ["python", "-m"]' in text
    assert 'CMD ["services.intake"]' in text
    for source in re.findall(r"^COPY (?:--\S+ )*(\S+) ", text, re.MULTILINE):
        if not source.startswith("/"):
            assert (ROOT / source).exists(), source
            assert source not in ignored
    env = dict(re.findall(r"(FANGXIN_[A-Z_]+)=(\S+)", text))
    known = {f"FANGXIN_{name.upper()}" for name in ServiceSettings.model_fields}
    assert set(env) <= known
    ports = {int(p) for p in re.search(r"^EXPOSE (.+)$", text, re.MULTILINE)[1].split()}
    # EXPOSE only documents; Compose and the Deployments publish each port themselves.
    assert ports == {_default_port(s) for s in SETTINGS}
    assert "USER 10001" in text
    for deployment in _deployments().values():
        assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == 10001


def test_the_deployment_guide_names_what_the_manifests_need():
    doc = (ROOT / "docs" / "deployment.md").read_text()

    for name in ("fangxin-secrets", "fangxin-units", "fangxin-producers", "postgres-password",
                 "cipher-key", "FANGXIN_CIPHER_KEY", "deploy/compose.yaml", "kubectl apply -k",
                 "FANGXIN_COOKIE_SECURE"):
        assert name in doc, name
