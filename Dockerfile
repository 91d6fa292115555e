# One image for all five services; each container picks its service with its command:
#   python -m services.gateway | services.cases | services.questionnaires | services.scoring | services.reporting
#   python -m services.migrate   (migrates every service's database, then exits)
# Settings come from the environment (OMI_<SERVICE>_*, see services/*/settings.py); in a container set
# OMI_<SERVICE>_HOST=0.0.0.0. Health checks are declared per service (docker-compose.yml, deploy/k8s),
# not here: one image-level HEALTHCHECK could not know which service's port to probe.

ARG PYTHON_IMAGE=python:3.11-slim

# --- build: install the project and its pinned dependency tree into a virtualenv -----------------
FROM ${PYTHON_IMAGE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
# Dependencies first (constraints.txt pins the whole tree), so source edits reuse this layer's cache...
COPY pyproject.toml constraints.txt ./
# ...then the code. A regular (non-editable) install: the image runs from site-packages, and the
# package data it needs (migrations, scoring/frameworks/*.yaml, *.mako) ships in the wheel.
COPY shared ./shared
COPY services ./services
RUN pip install -c constraints.txt .

# --- runtime ---------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}

LABEL org.opencontainers.image.title="omi-platform" \
      org.opencontainers.image.description="Inspection platform services: gateway, cases, questionnaires, scoring, reporting"

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1

# A fixed numeric uid/gid so Kubernetes can check runAsNonRoot (deploy/k8s uses runAsUser 10001).
RUN groupadd --system --gid 10001 omi \
    && useradd --system --uid 10001 --gid omi --home-dir /app --no-create-home --shell /usr/sbin/nologin omi

COPY --from=build /opt/venv /opt/venv

# /app holds no code (imports resolve to the installed package); data/ is only for the SQLite
# defaults (sqlite+aiosqlite:///data/<service>.db) when no PostgreSQL DATABASE_URL is given, and for
# data/keys, the embedded token keys (a volume shared by every service; OIDC needs none).
WORKDIR /app
RUN mkdir -p /app/data/keys && chown -R omi:omi /app

USER 10001:10001

EXPOSE 8000 8001 8002 8003 8004

CMD ["python", "-m", "services.gateway"]
