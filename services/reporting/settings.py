from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OMI_REPORTING_", env_file=".env", extra="ignore")

    port: int = 8004
    database_url: str = "sqlite+aiosqlite:///data/reporting.db"
    cases_url: str = Field("http://127.0.0.1:8001", description="Inspections and the case sample.")
    scoring_url: str = Field("http://127.0.0.1:8003", description="Scores and snapshots.")
    questionnaires_url: str = Field("http://127.0.0.1:8002", description="Questionnaire figures.")
    pseudonym_key: SecretStr | None = Field(
        None, description="Key of the case-reference pseudonyms in published reports; unset: one made under data/keys."
    )
