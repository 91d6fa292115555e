"""The case sample of an inspection (domain step 2, "Sample"), as it crosses the wire.

An inspection assesses a sample of 110-120 cases drawn from the area's caseload: a fixed mix of
case types (standard: 40 licence, 60 community, 10 custody), with a minimum number of cases of
high/very high RoH, PPO, approved premises residents, statutory victim contact and black and
minority ethnic offenders, and female offenders in proportion to the caseload. Everything is
configurable per inspection through ``SampleMix``.
"""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.schemas.cases import CaseAttributes
from shared.schemas.enums import CaseType

DEFAULT_CASE_TYPES: dict[CaseType, int] = {
    CaseType.licence: 40,
    CaseType.community: 60,
    CaseType.custody: 10,
}


class Minimums(BaseModel):
    """The minimum number of cases of each kind the sample must hold."""

    model_config = ConfigDict(extra="forbid")

    high_roh: int = Field(default=30, ge=0, le=100_000, description="Cases of high or very high Risk of Harm.")
    ppo: int = Field(default=10, ge=0, le=100_000, description="Prolific and other priority offenders.")
    approved_premises: int = Field(default=5, ge=0, le=100_000, description="Approved premises residents.")
    statutory_victim_contact: int = Field(default=15, ge=0, le=100_000, description="Statutory victim contact cases.")
    minority_ethnic: int = Field(
        default=15,
        ge=0,
        le=100_000,
        description='Black and minority ethnic offenders: ethnicity neither "white" nor "unknown".',
    )


class SampleMix(BaseModel):
    """How the sample of one inspection is composed.

    ``case_types`` is the exact number of cases of each type; a type left out counts 0 (the
    validated model always holds all three). Their sum is the sample size and must lie within
    ``[min_total, max_total]``. ``female_tolerance``: the number of female offenders may differ
    from round(female share of the caseload x sample size) by at most this.
    """

    model_config = ConfigDict(extra="forbid")

    case_types: dict[CaseType, Annotated[int, Field(ge=0, le=100_000)]] = Field(default_factory=lambda: dict(DEFAULT_CASE_TYPES))
    min_total: int = Field(default=110, ge=1, le=100_000)
    max_total: int = Field(default=120, ge=1, le=100_000)
    minimums: Minimums = Field(default_factory=Minimums)
    female_tolerance: int = Field(default=2, ge=0, le=100_000)

    @property
    def total(self) -> int:
        return sum(self.case_types.values())

    @model_validator(mode="after")
    def _consistent(self) -> "SampleMix":
        for case_type in CaseType:
            self.case_types.setdefault(case_type, 0)
        problems: list[str] = []
        if self.min_total > self.max_total:
            problems.append(f"min_total ({self.min_total}) exceeds max_total ({self.max_total})")
        total = self.total
        if not self.min_total <= total <= self.max_total:
            problems.append(
                f"the case types add up to {total}; the sample must hold between {self.min_total} and {self.max_total} cases"
            )
        for name, value in self.minimums.model_dump().items():
            if value > total:
                problems.append(f"minimums.{name} ({value}) exceeds the sample size ({total})")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class SampleWarning(BaseModel):
    """One quota a sample (or a caseload) does not meet.

    ``quota`` names the quota as a path into ``SampleMix``: ``total``, ``case_types.<type>``,
    ``minimums.<name>`` or ``female``.
    """

    quota: str
    required: int
    actual: int
    message: str


class SampleComposition(BaseModel):
    """What a sample is made of, and where it falls short of its mix.

    ``counts`` maps an attribute (case_type, roh_level, tier, ppo, approved_premises,
    statutory_victim_contact, gender, ethnicity, and assessor_role when the cases carry one) to
    the number of cases for each value; every value of the vocabulary is listed, with 0 where no
    case has it. Booleans are counted under ``"true"`` and ``"false"``, tiers under ``"1"``-``"4"``.
    """

    total: int
    counts: dict[str, dict[str, int]]
    mix: SampleMix
    warnings: list[SampleWarning] = []


class DrawnSample(BaseModel):
    """A sample drawn from a caseload. The same caseload (in any order) and seed draw it again."""

    seed: int = Field(ge=0)
    caseload_size: int
    selected: list[CaseAttributes]
    composition: SampleComposition


class SampleDraw(BaseModel):
    """Draw a sample from the area's caseload (as JSON; a CSV caseload goes as text/csv with ?seed=)."""

    model_config = ConfigDict(extra="forbid")

    seed: int = Field(ge=0, le=2**32 - 1, description="The same caseload and seed draw the same sample.")
    caseload: list[CaseAttributes] = Field(min_length=1)
    add_to_inspection: bool = Field(default=False, description="Add the drawn cases to the inspection's (empty) sample.")
    area_assessor_share: float = Field(
        default=1 / 3, ge=0, le=1, description="Share of the added cases assessed by area assessors (about a third)."
    )
