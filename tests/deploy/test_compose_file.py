"""The compose stack's wiring, checked without a Docker engine (none runs on CI machines).

These read deploy/docker-compose.yml, deploy/Dockerfile and deploy/.env.example and assert
what would break the stack at `make up`: a service pointed at the wrong broker or database, a
replica set that is never initiated, a health check that does not exist, a build argument the
Dockerfile ignores, a setting nobody documented.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SERVICES = {"requests": 8001, "balances": 8002, "notifications": 8003, "calendar": 8004}
INTERPOLATION = re.compile(r"\$\{(\w+)(?::?[-?][^}]*)?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    return loaded


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return (DEPLOY / "Dockerfile").read_text()


def healthcheck_command(service: dict[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    assert test[0] in {"CMD", "CMD-SHELL"}, test
    return " ".join(test[1:])


def test_every_app_service_and_its_infrastructure_is_defined(compose: dict[str, Any]) -> None:
    default = {name for name, s in compose["services"].items() if not s.get("profiles")}
    assert default == {"nats", "mongo", *SERVICES, "web"}
    by_profile: dict[str, set[str]] = {}
    for name, service in compose["services"].items():
        for profile in service.get("profiles", []):
            by_profile.setdefault(profile, set()).add(name)
    assert by_profile == {
        "ha": {"nats-2", "nats-3", *(f"{name}-2" for name in (*SERVICES, "web"))},
        "observability": {"jaeger"},
    }


def test_the_web_calls_the_services_apis_and_has_no_database_or_broker(
    compose: dict[str, Any],
) -> None:
    web = compose["services"]["web"]
    assert web["build"]["args"]["SERVICE"] == "web"
    pyproject = tomllib.loads((ROOT / "services" / "web" / "pyproject.toml").read_text())
    assert pyproject["project"]["name"] == "leaveflow-web"
    env = web["environment"]
    for name, port in SERVICES.items():
        assert env[f"{name.upper()}_URL"] == f"http://{name}:{port}"
    assert not {key for key in env if key.endswith("_DATABASE_URL") or key == "NATS_URL"}
    assert (env["WEB_HOST"], env["WEB_PORT"]) == ("0.0.0.0", "8000")
    assert web["depends_on"]["requests"]["condition"] == "service_healthy"
    assert "http://127.0.0.1:8000/readyz" in healthcheck_command(web)
    assert any(str(p).endswith(":8000") for p in web["ports"])


def test_nats_runs_jetstream_with_monitoring_and_a_healthcheck_on_it(
    compose: dict[str, Any],
) -> None:
    nats = compose["services"]["nats"]
    command = nats["command"]
    config = command[command.index("-c") + 1]
    assert config == "/etc/nats/${NATS_CONFIG:-single.conf}"
    assert "./nats:/etc/nats:ro" in nats["volumes"]  # deploy/nats/ is the config folder
    for name in ("single.conf", "cluster.conf"):
        text = (DEPLOY / "nats" / name).read_text()
        assert re.search(r"^jetstream: enabled$", text, re.MULTILINE), name
        assert re.search(r"^http_port: 8222$", text, re.MULTILINE), name
        assert re.search(r"^port: 4222$", text, re.MULTILINE), name
    assert "8222/healthz" in healthcheck_command(nats)
    assert any(v.endswith(f":{command[command.index('-sd') + 1]}") for v in nats["volumes"])


def test_mongo_is_a_single_node_replica_set_that_the_healthcheck_initiates(
    compose: dict[str, Any],
) -> None:
    mongo = compose["services"]["mongo"]
    command = mongo["command"]
    assert command[command.index("--replSet") + 1] == "rs0"
    assert "--bind_ip_all" in command
    check = healthcheck_command(mongo)
    assert "rs.initiate" in check
    assert "_id: 'rs0'" in check
    # The member name is what drivers are redirected to: it must resolve inside the network.
    assert "host: 'mongo:27017'" in check
    assert "isWritablePrimary" in check  # healthy only once it can take writes


@pytest.mark.parametrize(("name", "port"), SERVICES.items())
def test_service_is_built_from_the_shared_dockerfile_for_its_own_package(
    compose: dict[str, Any], name: str, port: int
) -> None:
    build = compose["services"][name]["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
    assert build["args"]["SERVICE"] == name
    # The Dockerfile syncs leaveflow-${SERVICE}: that must be the member's real name.
    pyproject = tomllib.loads((ROOT / "services" / name / "pyproject.toml").read_text())
    assert pyproject["project"]["name"] == f"leaveflow-{name}"


@pytest.mark.parametrize(("name", "port"), SERVICES.items())
def test_service_talks_to_nats_and_its_own_mongo_database(
    compose: dict[str, Any], name: str, port: int
) -> None:
    env = compose["services"][name]["environment"]
    prefix = name.upper()
    assert env["NATS_URL"] == "${NATS_URL:-nats://nats:4222}"
    assert env["NATS_STREAM_REPLICAS"] == "${NATS_STREAM_REPLICAS:-1}"
    assert env[f"{prefix}_DATABASE_URL"] == (
        f"mongodb://mongo:27017/leaveflow_{name}?replicaSet=rs0"
    )
    assert env[f"{prefix}_HOST"] == "0.0.0.0"  # loopback inside a container is unreachable
    assert int(env[f"{prefix}_PORT"]) == port
    for other, other_port in SERVICES.items():
        assert env[f"{other.upper()}_URL"] == f"http://{other}:{other_port}"
    others = {f"{o.upper()}_DATABASE_URL" for o in SERVICES if o != name}
    assert not others & set(env), "a service must not know another service's database"


@pytest.mark.parametrize(("name", "port"), SERVICES.items())
def test_service_waits_for_healthy_infrastructure_and_reports_readiness(
    compose: dict[str, Any], name: str, port: int
) -> None:
    service = compose["services"][name]
    for dependency in ("nats", "mongo"):
        assert service["depends_on"][dependency]["condition"] == "service_healthy"
    assert f"http://127.0.0.1:{port}/readyz" in healthcheck_command(service)
    published = [str(p).rsplit(":", 1)[-1] for p in service["ports"]]
    assert str(port) in published


def test_dockerfile_builds_one_service_per_argument_as_non_root(dockerfile: str) -> None:
    lines = [line.strip() for line in dockerfile.splitlines()]
    assert "ARG SERVICE" in lines
    sync = next(line for line in lines if "uv sync" in line)
    assert "--frozen" in sync
    assert '--package "leaveflow-${SERVICE}"' in sync
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users, "the image must not run as root"
    assert users[-1] not in {"root", "0"}
    cmd = next(line for line in lines if line.startswith("CMD "))
    assert "python -m leaveflow_${SERVICE}" in cmd
    assert "exec " in cmd  # signals from `docker stop` must reach python, not sh
    # The build arg only reaches CMD (run time) through ENV.
    assert re.search(r"SERVICE=\$\{SERVICE\}", dockerfile)


def test_the_pinned_uv_in_the_image_matches_the_makefile(dockerfile: str) -> None:
    makefile = (ROOT / "Makefile").read_text()
    pinned = re.search(r"^UV_VERSION := (\S+)$", makefile, re.MULTILINE)
    assert pinned is not None
    assert f"ARG UV_VERSION={pinned.group(1)}" in dockerfile


def test_every_variable_compose_reads_is_documented_in_env_example() -> None:
    used = set(INTERPOLATION.findall((DEPLOY / "docker-compose.yml").read_text()))
    documented = {
        line.split("=", 1)[0]
        for line in (DEPLOY / ".env.example").read_text().splitlines()
        if line and not line.startswith("#") and "=" in line
    }
    assert used, "the pattern no longer finds ${VAR} references"
    assert used <= documented, f"undocumented: {sorted(used - documented)}"
