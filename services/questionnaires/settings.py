from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class QuestionnairesSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OMI_QUESTIONNAIRES_", env_file=".env", extra="ignore")

    port: int = 8002
    database_url: str = "sqlite+aiosqlite:///data/questionnaires.db"
    cases_url: str = Field("http://127.0.0.1:8001", description="Where a return's case is checked against its inspection.")
    templates_dir: Path = Field(
        Path(__file__).parent / "templates", description="Questionnaire templates (YAML) loaded at start-up."
    )
