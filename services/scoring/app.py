"""The scoring service: framework documents and scores."""

import asyncio

from fastapi import FastAPI
from threadpoolctl import threadpool_limits

from services.scoring import api
from services.scoring.db import MIGRATIONS
from services.scoring.logic import frameworks, live, warmup
from services.scoring.settings import ScoringSettings
from shared.service import Wiring, build_service, serve


def create_app(settings: ScoringSettings | None = None, wiring: Wiring = Wiring()) -> FastAPI:
    settings = settings or ScoringSettings()
    documents = frameworks.read_documents(settings.frameworks_dir)  # invalid documents stop start-up
    # Bootstrap matrices are small: a second BLAS thread only spins and slows scoring on two cores.
    threadpool_limits(limits=1, user_api="blas")

    async def on_startup(app: FastAPI) -> None:
        app.state.caches = live.Caches.keeping(settings.kept_samples)
        async with app.state.sessionmaker() as session, session.begin():
            await frameworks.store_documents(session, documents)

    async def warm_up(app: FastAPI) -> None:
        await asyncio.to_thread(warmup.warm, app.state.caches, documents, settings.bootstrap_resamples)

    return build_service(
        "scoring",
        settings,
        migrations=MIGRATIONS,
        routers=[api.router],
        wiring=wiring,
        calls={"cases": settings.cases_url},
        on_startup=on_startup,
        warm_up=warm_up,
        description="Framework documents and scores.",
    )


def main() -> None:
    serve("scoring", "services.scoring.app:create_app", ScoringSettings())
