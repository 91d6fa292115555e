"""Settings of the cases service, read from the environment (OMI_CASES_*) and .env."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class CasesSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OMI_CASES_", env_file=".env", extra="ignore")

    port: int = 8001
    database_url: str = "sqlite+aiosqlite:///data/cases.db"
    scoring_url: str = Field("http://127.0.0.1:8003", description="Where frameworks are read from.")
    questionnaires_url: str = Field("http://127.0.0.1:8002", description="Whose audit trail is merged in.")
    reporting_url: str = Field("http://127.0.0.1:8004", description="Whose audit trail is merged in.")
