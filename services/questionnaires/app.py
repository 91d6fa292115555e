"""The questionnaires service: questionnaire templates and the offender, victim and sentencer returns."""

from fastapi import FastAPI

from services.questionnaires import api
from services.questionnaires.db import MIGRATIONS
from services.questionnaires.settings import QuestionnairesSettings
from shared.service import Wiring, build_service, serve


def create_app(settings: QuestionnairesSettings | None = None, wiring: Wiring = Wiring()) -> FastAPI:
    settings = settings or QuestionnairesSettings()
    return build_service(
        "questionnaires",
        settings,
        migrations=MIGRATIONS,
        routers=[api.router],
        wiring=wiring,
        calls={"cases": settings.cases_url},
        description="Questionnaire templates and returns.",
    )


def main() -> None:
    serve("questionnaires", "services.questionnaires.app:create_app", QuestionnairesSettings())
