"""The README's configuration table names every setting the services read."""

from pathlib import Path

import pytest

from services.cases.settings import CasesSettings
from services.gateway.settings import GatewaySettings, ServiceUrls
from services.questionnaires.settings import QuestionnairesSettings
from services.reporting.settings import ReportingSettings
from services.scoring.settings import ScoringSettings
from shared.tokens import AuthSettings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


@pytest.mark.parametrize(
    "settings", [CasesSettings, QuestionnairesSettings, ScoringSettings, ReportingSettings, GatewaySettings, AuthSettings]
)
def test_every_setting_is_documented(settings) -> None:
    prefix = settings.model_config["env_prefix"]
    service = prefix.removeprefix("OMI_").rstrip("_")
    missing = []
    for name in settings.model_fields:
        names = [f"{prefix}{name.upper()}", f"OMI_<SERVICE>_{name.upper()}"]
        if name == "auth":
            names = ["OMI_AUTH_"]  # its own settings, checked as AuthSettings
        if name == "services":
            names = [f"{prefix}SERVICES__{s.upper()}" for s in ServiceUrls.model_fields][:1]
        if not any(n in README for n in names):
            missing.append(names[0])
    assert not missing, f"undocumented settings of {service}: {missing}"


def test_readme_gives_the_two_commands() -> None:
    assert "make run" in README and "make test" in README and "```mermaid" in README
