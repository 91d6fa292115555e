"""Readiness waits for warm-up: a service is not ready until what its first requests need is filled."""

import asyncio
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager

from services.cases.db import MIGRATIONS
from services.scoring.app import create_app as create_scoring
from services.scoring.logic import scoring, warmup
from services.scoring.settings import ScoringSettings
from shared.service import Wiring, build_service
from shared.settings import ServiceSettings
from tests.helpers import ADMIN, AUTH


async def test_not_ready_until_the_warm_up_has_finished(tmp_path: Path) -> None:
    release, started = asyncio.Event(), asyncio.Event()

    async def warm_up(app) -> None:
        started.set()
        await release.wait()

    settings = ServiceSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/probe.db")
    app = build_service("probe", settings, migrations=MIGRATIONS, routers=[], wiring=Wiring(), warm_up=warm_up)
    async with LifespanManager(app):
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://probe")
        await started.wait()
        assert (await client.get("/healthz")).status_code == 200
        cold = await client.get("/readyz")
        assert cold.status_code == 503 and cold.json()["type"] == "urn:omi:problem:not-ready", cold.text
        assert "warming up" in cold.json()["detail"] and cold.headers["retry-after"] == "1"
        release.set()
        await app.state.warm.wait()
        assert (await client.get("/readyz")).status_code == 200


async def test_scoring_is_ready_only_with_plans_and_draws_of_usual_samples(tmp_path: Path) -> None:
    settings = ScoringSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/scoring.db", bootstrap_resamples=137, auth=AUTH)
    app = create_scoring(settings, Wiring())
    async with LifespanManager(app):
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://scoring", headers=ADMIN)
        await app.state.warm.wait()
        assert (await client.get("/readyz")).status_code == 200
        stored = {(f["id"], f["version"]) for f in (await client.get("/api/v1/frameworks")).json()}
        caches = app.state.caches
        assert stored and set(caches.plans) >= stored and set(caches.parsed_frameworks) >= stored
        # The draws a first score of each usual sample size needs are kept already (137 resamples: ours alone).
        before = scoring._kept_draw_counts.cache_info()
        for size in warmup.USUAL_SIZES:
            scoring._draw_counts(size, 137, 2008)
        after = scoring._kept_draw_counts.cache_info()
        assert after.hits - before.hits == len(warmup.USUAL_SIZES) and after.misses == before.misses
