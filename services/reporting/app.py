"""The reporting service: section 4 grades, narrative and report assembly, drafts to published."""

from fastapi import FastAPI

from services.reporting import api, report_api
from services.reporting.db import MIGRATIONS
from services.reporting.logic import printing
from services.reporting.logic.upstream import Upstream
from services.reporting.settings import ReportingSettings
from shared.db import utcnow
from shared.frameworks import FrameworkSource
from shared.schemas.reports import ReportDocument
from shared.service import Wiring, build_service, serve


async def _connect(app: FastAPI) -> None:
    clients = app.state.clients
    app.state.upstream = Upstream(
        cases=clients["cases"],
        scoring=clients["scoring"],
        questionnaires=clients["questionnaires"],
        frameworks=FrameworkSource(clients["scoring"]),
    )


async def _disconnect(app: FastAPI) -> None:
    printing.close()


def create_app(settings: ReportingSettings | None = None, wiring: Wiring = Wiring()) -> FastAPI:
    settings = settings or ReportingSettings()
    app = build_service(
        "reporting",
        settings,
        migrations=MIGRATIONS,
        routers=[api.router, report_api.router],
        wiring=wiring,
        calls={"cases": settings.cases_url, "scoring": settings.scoring_url, "questionnaires": settings.questionnaires_url},
        on_startup=_connect,
        on_shutdown=_disconnect,
        description="Section 4 grades, narrative and the report.",
        extra_schemas=[ReportDocument],
    )
    app.state.clock = utcnow  # tests put a fixed clock here
    return app


def main() -> None:
    serve("reporting", "services.reporting.app:create_app", ReportingSettings())
