from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.collector import YOUNG_THRESHOLD, YoungThreshold
from shared.tokens import AuthSettings


class Route(BaseModel):
    """Requests whose path starts with ``prefix`` go to ``service``; ``*`` matches one path segment."""

    prefix: str
    service: str


DEFAULT_ROUTES = [
    Route(prefix="/api/v1/frameworks", service="scoring"),
    Route(prefix="/api/v1/scores", service="scoring"),
    Route(prefix="/api/v1/inspections/*/scores", service="scoring"),
    Route(prefix="/api/v1/questionnaires", service="questionnaires"),
    Route(prefix="/api/v1/inspections/*/questionnaires", service="questionnaires"),
    Route(prefix="/api/v1/inspections/*/grades", service="reporting"),
    Route(prefix="/api/v1/inspections/*/report", service="reporting"),
    Route(prefix="/api/v1/inspections/*/report:send-for-comment", service="reporting"),
    Route(prefix="/api/v1/inspections/*/report:publish", service="reporting"),
    Route(prefix="/api/v1/inspections/*/narrative", service="reporting"),
    Route(prefix="/api/v1/inspections/*/performance", service="reporting"),
    Route(prefix="/api/v1/inspections/*/caseload", service="reporting"),
    Route(prefix="/api/v1/inspections/*/timeline", service="reporting"),
    Route(prefix="/api/v1/reports", service="reporting"),
    Route(prefix="/api/v1/inspections", service="cases"),
    Route(prefix="/api/v1/cases", service="cases"),
    Route(prefix="/api/v1/assessments:changes", service="cases"),
    Route(prefix="/api/v1/audit", service="cases"),
]


class ServiceUrls(BaseModel):
    """One field per service, so setting one URL from the environment keeps the others' defaults."""

    model_config = ConfigDict(extra="forbid")

    cases: str = "http://127.0.0.1:8001"
    questionnaires: str = "http://127.0.0.1:8002"
    scoring: str = "http://127.0.0.1:8003"
    reporting: str = "http://127.0.0.1:8004"

    def __getitem__(self, service: str) -> str:
        url: str = getattr(self, service)
        return url

    def names(self) -> set[str]:
        return set(type(self).model_fields)


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OMI_GATEWAY_", env_file=".env", extra="ignore", env_nested_delimiter="__")

    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    gc_young_threshold: YoungThreshold = YOUNG_THRESHOLD
    services: ServiceUrls = Field(
        default_factory=lambda: ServiceUrls(),
        description="Base URL of each routed service; set one with OMI_GATEWAY_SERVICES__CASES=... (the others keep theirs).",
    )
    routes: list[Route] = Field(DEFAULT_ROUTES, description="The route table; the longest matching prefix wins.")
    connect_timeout: float = Field(2.0, gt=0, description="Seconds to connect to a service before answering 503.")
    read_timeout: float = Field(30.0, gt=0, description="Seconds to wait for a service's answer before 504.")
    retry_after: int = Field(5, ge=1, description="Retry-After seconds sent with a 503.")
    max_body_bytes: int = Field(64 * 1024 * 1024, ge=1, description="Largest request body forwarded; larger is 413.")
    openapi_cache_seconds: float = Field(30.0, ge=0, description="How long the merged OpenAPI document is reused.")
    retry_attempts: int = Field(3, ge=1, description="Tries of a request safe to repeat whose service was not reached.")
    retry_max_body_bytes: int = Field(
        1024 * 1024, ge=0, description="Keyed writes with a body up to this size are held whole, so they can be repeated."
    )
    breaker_failures: int = Field(5, ge=1, description="Consecutive connect failures that open a service's circuit.")
    breaker_cooldown_seconds: float = Field(5.0, gt=0, description="Seconds an open circuit answers 503 before one probe.")
    max_url_bytes: int = Field(16 * 1024, ge=256, description="Longest path and query forwarded; longer is 414.")
    max_header_bytes: int = Field(
        256 * 1024, ge=16 * 1024, description="Largest request line and headers the server reads; beyond, its own 400."
    )
    max_concurrent_requests: int = Field(1000, ge=1, description="Requests in progress at once; more are answered 503.")
    shutdown_grace_seconds: int = Field(20, ge=1, description="On SIGTERM, seconds in-flight requests get to finish.")
    auth: AuthSettings = Field(default_factory=AuthSettings, description="Token checks: the OMI_AUTH_ settings.")
    rate_limit: str = Field("600/minute", description="Requests allowed per token subject (limits notation, e.g. 100/second).")
    rate_limit_redis_url: str | None = Field(
        None, description="Count in Redis (async+redis://host:6379/0), shared by every gateway replica; memory if unset."
    )
    rate_limit_key_prefix: str = Field("omi-gateway", description="Prefix of the rate-limit keys in Redis.")
    cors_origins: list[str] = Field([], description="Origins allowed to call from a browser (CORS); none by default.")
    behind_tls: bool = Field(False, description="Send Strict-Transport-Security (the gateway is reached over HTTPS).")
