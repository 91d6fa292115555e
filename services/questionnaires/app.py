"""The questionnaires service: questionnaire templates and the offender, victim and sentencer returns."""

from fastapi import FastAPI

from services.questionnaires import api
from services.questionnaires.db import MIGRATIONS
from services.questionnaires.logic import kept, templates
from services.questionnaires.settings import QuestionnairesSettings
from shared.schemas.questionnaires import ReturnImport
from shared.service import Wiring, build_service, serve


def create_app(settings: QuestionnairesSettings | None = None, wiring: Wiring = Wiring()) -> FastAPI:
    settings = settings or QuestionnairesSettings()
    documents = templates.read_documents(settings.templates_dir)  # invalid documents stop start-up

    async def on_startup(app: FastAPI) -> None:
        app.state.templates = templates.Templates()
        app.state.kept = kept.Kept()
        async with app.state.sessionmaker() as session, session.begin():
            await templates.store_documents(session, documents)

    return build_service(
        "questionnaires",
        settings,
        migrations=MIGRATIONS,
        routers=[api.router],
        wiring=wiring,
        calls={"cases": settings.cases_url},
        on_startup=on_startup,
        description="Questionnaire templates, distributions and the offender, victim and sentencer returns.",
        extra_schemas=[ReturnImport],
    )


def main() -> None:
    serve("questionnaires", "services.questionnaires.app:create_app", QuestionnairesSettings())
