"""Settings of the scoring service, read from the environment (OMI_SCORING_*) and .env."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class ScoringSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OMI_SCORING_", env_file=".env", extra="ignore")

    port: int = 8003
    database_url: str = "sqlite+aiosqlite:///data/scoring.db"
    cases_url: str = Field("http://127.0.0.1:8001", description="Where assessments are read from.")
    frameworks_dir: Path = Field(
        Path(__file__).parent / "frameworks", description="Framework documents (YAML) loaded at start-up."
    )
    # 1000 is the usual floor for percentile intervals (Efron & Tibshirani); more only moves the
    # interval's ends by fractions of a point on 120 cases, and costs time on every cold score.
    bootstrap_resamples: int = Field(1000, ge=100, le=20000, description="Resamples for bootstrap intervals.")
    # A kept 120-case sample is about 0.8 MB resident (its answers as read): the bound keeps the service's
    # memory within its budget; a national view across more inspections reads the others again each time.
    kept_samples: int = Field(
        64, ge=1, description="Inspections whose assessed samples are kept between requests (least recently used go)."
    )
