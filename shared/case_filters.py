"""Case attributes as query parameters: what scores and questionnaire summaries filter and group on."""

from typing import Annotated

from fastapi import Query
from pydantic import Field

from shared.schemas.cases import attribute_text
from shared.schemas.enums import AssessorRole, CaseType, Ethnicity, Gender, RohLevel

# Case attributes a breakdown may filter or group on.
CASE_ATTRIBUTES = (
    "case_type",
    "roh_level",
    "tier",
    "ppo",
    "approved_premises",
    "statutory_victim_contact",
    "gender",
    "ethnicity",
    "assessor_role",
)


def case_filters(
    case_type: Annotated[list[CaseType] | None, Query()] = None,
    roh_level: Annotated[list[RohLevel] | None, Query()] = None,
    tier: Annotated[list[Annotated[int, Field(ge=1, le=4)]] | None, Query()] = None,
    ppo: Annotated[list[bool] | None, Query()] = None,
    approved_premises: Annotated[list[bool] | None, Query()] = None,
    statutory_victim_contact: Annotated[list[bool] | None, Query()] = None,
    gender: Annotated[list[Gender] | None, Query()] = None,
    ethnicity: Annotated[list[Ethnicity] | None, Query()] = None,
    assessor_role: Annotated[list[AssessorRole] | None, Query()] = None,
) -> dict[str, list[str]]:
    """Case attributes to restrict to, as attribute text; repeat a parameter for several values."""
    given = {
        "case_type": case_type,
        "roh_level": roh_level,
        "tier": tier,
        "ppo": ppo,
        "approved_premises": approved_premises,
        "statutory_victim_contact": statutory_victim_contact,
        "gender": gender,
        "ethnicity": ethnicity,
        "assessor_role": assessor_role,
    }
    return {name: sorted({attribute_text(v) for v in values}) for name, values in given.items() if values}
