"""`make migrate`: bring every service's database to its newest revision, from each service's settings."""

from services.cases.db import MIGRATIONS as CASES
from services.cases.settings import CasesSettings
from services.questionnaires.db import MIGRATIONS as QUESTIONNAIRES
from services.questionnaires.settings import QuestionnairesSettings
from services.reporting.db import MIGRATIONS as REPORTING
from services.reporting.settings import ReportingSettings
from services.scoring.db import MIGRATIONS as SCORING
from services.scoring.settings import ScoringSettings
from shared.migrations import migrate_url

SERVICES = {
    "cases": (CasesSettings, CASES),
    "questionnaires": (QuestionnairesSettings, QUESTIONNAIRES),
    "scoring": (ScoringSettings, SCORING),
    "reporting": (ReportingSettings, REPORTING),
}


def main() -> None:
    for name, (settings_class, migrations) in SERVICES.items():
        settings = settings_class()
        migrate_url(settings.database_url, migrations)
        print(f"migrated {name}")


if __name__ == "__main__":
    main()
