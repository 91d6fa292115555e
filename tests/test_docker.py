"""The Dockerfile and .dockerignore: one non-root image for every process."""

import re

import yaml

from tests.deployment import DOCKERFILE, DOCKERIGNORE, SETTINGS, dockerfile_uid, service_run_by


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
