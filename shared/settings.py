"""Settings every service has; each service subclasses with its own env prefix (OMI_<SERVICE>_)."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.collector import YOUNG_THRESHOLD, YoungThreshold
from shared.tokens import AuthSettings


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    database_url: str = Field(
        "sqlite+aiosqlite:///data/service.db",
        description="sqlite+aiosqlite:///path (embedded default) or postgresql+asyncpg://user@host/db",
    )
    migrate_on_start: bool = Field(True, description="Apply Alembic migrations at start-up.")
    log_level: str = "INFO"
    access_log: bool = Field(
        False,
        description="A log line per request at INFO (uvicorn's access log, ≈ 0.02-0.04 ms CPU a request); off: the "
        "gateway logs each request at the edge, and each request's span records it.",
    )
    call_timeout: float = Field(10.0, gt=0, description="Seconds allowed for a call to another service.")
    max_concurrent_requests: int = Field(
        200, ge=1, description="Requests in progress at once; more are answered 503 overloaded with Retry-After."
    )
    shutdown_grace_seconds: int = Field(
        20, ge=1, description="On SIGTERM, seconds in-flight requests get to finish before the process stops."
    )
    auth: AuthSettings = Field(default_factory=AuthSettings, description="Token checks: the OMI_AUTH_ settings.")
    max_body_bytes: int = Field(
        4 * 1024 * 1024, ge=1, description="Largest request body read (bulk imports excepted); larger is 413."
    )
    max_table_body_bytes: int = Field(
        32 * 1024 * 1024, ge=1, description="Largest body of a bulk import (JSON or CSV); larger is 413."
    )
    memory_trim_seconds: float = Field(
        5.0,
        ge=0,
        description="How often freed heap pages are given back to the system (glibc malloc_trim); 0: only after a "
        "request body over 1 MiB, as always.",
    )
    gc_young_threshold: YoungThreshold = YOUNG_THRESHOLD
    trace_sql: bool = Field(False, description="A span per SQL statement, beside the span per request.")
    standing_cache_seconds: float = Field(
        5.0, ge=0, description="How long a caller's standing on an inspection, asked of the cases service, is reused."
    )
