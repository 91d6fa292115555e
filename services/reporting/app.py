"""The reporting service: section 4 grades, narrative and report assembly, drafts to published."""

from fastapi import FastAPI

from services.reporting import api
from services.reporting.db import MIGRATIONS
from services.reporting.settings import ReportingSettings
from shared.service import Wiring, build_service, serve


def create_app(settings: ReportingSettings | None = None, wiring: Wiring = Wiring()) -> FastAPI:
    settings = settings or ReportingSettings()
    return build_service(
        "reporting",
        settings,
        migrations=MIGRATIONS,
        routers=[api.router],
        wiring=wiring,
        calls={"cases": settings.cases_url, "scoring": settings.scoring_url, "questionnaires": settings.questionnaires_url},
        description="Section 4 grades, narrative and the report.",
    )


def main() -> None:
    serve("reporting", "services.reporting.app:create_app", ReportingSettings())
