from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class QuestionnairesSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OMI_QUESTIONNAIRES_", env_file=".env", extra="ignore")

    port: int = 8002
    database_url: str = "sqlite+aiosqlite:///data/questionnaires.db"
