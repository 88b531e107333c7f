"""The deploy/ files, checked without Docker: the compose file parses and every variable it or
the code reads is documented in .env.example; the Kubernetes manifests parse."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import psycopg
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from bot.settings import DEVELOPER_VARIABLES, VARIABLES, load_settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SETTING_NAME = re.compile(r"^(OPTOUT|TELEGRAM|DISCORD)_[A-Z0-9_]+$")


# "#NAME=": a setting documented but left out, so that it does not override a deployment's own.
LEFT_OUT = re.compile(r"^#((?:OPTOUT|TELEGRAM|DISCORD)_[A-Z0-9_]+)=")


def set_in_example() -> set[str]:
    names = set()
    for line in (DEPLOY / ".env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            assert "=" in line, line
            names.add(line.split("=", 1)[0].strip())
    return names


def documented() -> set[str]:
    left_out = {
        match[1]
        for line in (DEPLOY / ".env.example").read_text().splitlines()
        if (match := LEFT_OUT.match(line))
    }
    return set_in_example() | left_out


def test_the_env_example_overrides_no_folder_a_deployment_sets():
    """An env file's line, even an empty one, wins over the image's ENV and the unit's
    Environment=: the database would land elsewhere than the backup instructions say."""
    unit = (DEPLOY / "systemd" / "optout-bot.service").read_text()
    set_by_deployment = set(re.findall(r"^Environment=([A-Z_]+)=", unit, re.MULTILINE))
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    set_by_deployment |= set(re.findall(r"\b(OPTOUT_[A-Z_]+)=", dockerfile))
    assert {"OPTOUT_DATA_DIR", "OPTOUT_CACHE_DIR"} <= set_by_deployment
    empty = {
        line.removesuffix("=")
        for line in (DEPLOY / ".env.example").read_text().splitlines()
        if re.fullmatch(r"[A-Z0-9_]+=", line)
    }
    assert not set_by_deployment & empty


def test_every_env_example_entry_has_a_comment():
    lines = (DEPLOY / ".env.example").read_text().splitlines()
    for i, line in enumerate(lines):
        if line and not line.startswith("#"):
            above = lines[: i + 1]
            # Its own comment, or the comment of the group of lines just above it.
            assert any(prev.startswith("#") for prev in above[-4:-1]), line


def test_compose_parses_and_names_only_documented_variables():
    text = (DEPLOY / "docker-compose.yml").read_text()
    compose = yaml.safe_load(text)
    assert set(compose["services"]) == {"bot", "postgres"}
    bot = compose["services"]["bot"]
    assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert bot["env_file"] == ".env"
    assert "healthcheck" in bot and "healthcheck" in compose["services"]["postgres"]
    assert "postgres-data" in compose["volumes"]
    # ${NAME} and ${NAME:-default} interpolations ($${...} is escaped for the container's shell).
    referenced = set(re.findall(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)", text))
    referenced |= set(bot.get("environment", {}))
    assert referenced, "the compose file references no variable"
    assert referenced <= documented(), referenced - documented()


def test_every_setting_the_code_reads_is_documented():
    assert set(VARIABLES) <= documented(), set(VARIABLES) - documented()
    in_code = set()
    for path in (ROOT / "bot").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            is_text = isinstance(node, ast.Constant) and isinstance(node.value, str)
            if is_text and SETTING_NAME.match(node.value):
                in_code.add(node.value)
    in_code -= set(DEVELOPER_VARIABLES)  # the tests' database: no setting of the bot's
    assert in_code <= documented(), in_code - documented()
    assert in_code <= set(VARIABLES), in_code - set(VARIABLES)


def test_kubernetes_manifests_parse_with_probes_on_health_and_readiness():
    documents = [
        doc
        for path in sorted((DEPLOY / "kubernetes").glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
    ]
    deployments = {d["metadata"]["name"]: d for d in documents if d["kind"] == "Deployment"}
    assert deployments["optout-bot-telegram"]["spec"]["replicas"] > 1
    assert deployments["optout-bot-discord"]["spec"]["replicas"] == 1
    for deployment in deployments.values():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert {d["kind"] for d in documents} >= {"Deployment", "Service", "Secret"}
    for deployment in deployments.values():
        pod = deployment["spec"]["template"]["spec"]
        container = pod["containers"][0]
        assert pod["automountServiceAccountToken"] is False
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert "startupProbe" in container
    claims = {d["metadata"]["name"] for d in documents if d["kind"] == "PersistentVolumeClaim"}
    discord_volumes = deployments["optout-bot-discord"]["spec"]["template"]["spec"]["volumes"]
    assert discord_volumes[0]["persistentVolumeClaim"]["claimName"] in claims
    (budget,) = [d for d in documents if d["kind"] == "PodDisruptionBudget"]
    assert budget["spec"]["selector"]["matchLabels"]["door"] == "telegram"


def test_dockerfile_runs_as_non_root_with_a_health_check():
    text = (DEPLOY / "Dockerfile").read_text()
    assert text.count("FROM python:3.11-slim") == 2
    assert "pip wheel" in text and "USER optout" in text and "VOLUME /data" in text
    assert "HEALTHCHECK" in text and "/healthz" in text and "OPTOUT_HTTP_HOST=0.0.0.0" in text


def compose_interpolated(text: str, env: dict[str, str]) -> str:
    """${NAME}, ${NAME:-default} and ${NAME:?error} as docker compose fills them in."""

    def value(match: re.Match[str]) -> str:
        name, operator, fallback = match[1], match[2], match[3]
        if env.get(name):
            return env[name]
        assert operator != ":?", f"compose would refuse to start: {name} is required"
        return fallback if operator == ":-" else ""

    return re.sub(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:-|:\?)([^}]*))?\}", value, text)


def test_compose_passes_a_password_with_any_character_safely(tmp_path):
    password = "p@ss:w/rd%?#"
    text = compose_interpolated(
        (DEPLOY / "docker-compose.yml").read_text(),
        {"POSTGRES_PASSWORD": password, "POSTGRES_USER": "optout", "POSTGRES_DB": "optout"},
    )
    environment = yaml.safe_load(text)["services"]["bot"]["environment"]
    assert password not in environment["OPTOUT_DATABASE_URL"]
    env = {name: str(value) for name, value in environment.items()}
    settings = load_settings({**env, "OPTOUT_DATA_DIR": str(tmp_path)})
    parsed = psycopg.conninfo.conninfo_to_dict(settings.database_url)
    assert parsed["password"] == password
    assert (parsed["host"], parsed["user"], parsed["dbname"]) == ("postgres", "optout", "optout")


def test_the_image_installs_the_runtime_dependencies_at_locked_versions():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "COPY deploy/constraints.txt /wheels/constraints.txt" in dockerfile
    assert "pip install --constraint /wheels/constraints.txt /wheels/*.whl" in dockerfile
    pins = {}
    for line in (DEPLOY / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"not an exact pin: {line}"
            pins[canonicalize_name(name)] = Version(version)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for text in project["dependencies"]:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not pinned in deploy/constraints.txt"
        assert requirement.specifier.contains(pins[name]), f"{name}=={pins[name]} breaks {text}"
    # The test and lint tools stay out of the image.
    for text in project["optional-dependencies"]["dev"]:
        name = canonicalize_name(Requirement(text).name)
        assert name == "aiohttp" or name not in pins, name


def test_the_kubernetes_knowledge_update_reaches_every_pod():
    """kubectl exec on a deployment reaches one pod: the recipe rolls out an image instead."""
    recipe = (DEPLOY / "README.md").read_text()
    assert "kubectl set image deployment/optout-bot-telegram" in recipe
    assert not re.search(r"kubectl exec deploy/\S+ -- optout-bot kb reload", recipe)
    names = {
        document["metadata"]["name"]
        for document in yaml.safe_load_all((DEPLOY / "kubernetes" / "deployment.yaml").read_text())
        if document and document.get("kind") == "Deployment"
    }
    assert {"optout-bot-telegram", "optout-bot-discord"} <= names
