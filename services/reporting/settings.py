from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OMI_REPORTING_", env_file=".env", extra="ignore")

    port: int = 8004
    database_url: str = "sqlite+aiosqlite:///data/reporting.db"
    cases_url: str = Field("http://127.0.0.1:8001", description="Inspections and the case sample.")
    scoring_url: str = Field("http://127.0.0.1:8003", description="Scores and snapshots.")
    questionnaires_url: str = Field("http://127.0.0.1:8002", description="Questionnaire figures.")
    draft_from_weeks: int = Field(
        4, ge=0, le=520, description="The draft for comment is due from this many weeks after fieldwork."
    )
    draft_due_weeks: int = Field(6, ge=0, le=520, description="... and at the latest this many weeks after fieldwork.")
    publication_weeks: int = Field(12, ge=0, le=520, description="Publication is due this many weeks after fieldwork.")
    improvement_plan_weeks: int = Field(
        4, ge=0, le=520, description="The area's improvement plan is due this many weeks after publication."
    )
    reinspection_months: int = Field(
        12, ge=1, le=120, description="A focused re-inspection is due this many months after fieldwork."
    )
    reinspection_below: float = Field(
        60.0, ge=0, le=100, description="A published RoH thread score below this calls for a focused re-inspection."
    )
