"""The cases service: inspections, the case sample and case assessments."""

from fastapi import FastAPI

from services.cases import api, teams_api
from services.cases.db import MIGRATIONS
from services.cases.logic.teams import LocalStandings
from services.cases.settings import CasesSettings
from shared.frameworks import FrameworkSource
from shared.schemas.cases import AssessmentImport
from shared.schemas.sampling import SampleDraw
from shared.service import Wiring, build_service, serve


async def _on_startup(app: FastAPI) -> None:
    app.state.frameworks = FrameworkSource(app.state.clients["scoring"])


def create_app(settings: CasesSettings | None = None, wiring: Wiring = Wiring()) -> FastAPI:
    settings = settings or CasesSettings()
    return build_service(
        "cases",
        settings,
        migrations=MIGRATIONS,
        routers=[api.router, teams_api.router],
        wiring=wiring,
        calls={
            "scoring": settings.scoring_url,
            "questionnaires": settings.questionnaires_url,
            "reporting": settings.reporting_url,
        },
        on_startup=_on_startup,
        description="Inspections, the case sample and case assessments.",
        extra_schemas=[AssessmentImport, SampleDraw],
        standings=lambda app: LocalStandings(app.state.engine),
    )


def main() -> None:
    serve("cases", "services.cases.app:create_app", CasesSettings())
