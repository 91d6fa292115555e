"""What a sample mix asks of a sample (case-type counts, minimums, a female count in proportion to the
caseload) and which of those quotas each case counts towards."""

from collections.abc import Sequence
from enum import Enum
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from shared.schemas.enums import CaseType, Ethnicity, Gender, RohLevel
from shared.schemas.sampling import Minimums, SampleMix

Counts = NDArray[np.int64]

# The minimums, in the order of their bits in a case's profile.
QUOTAS: tuple[str, ...] = tuple(Minimums.model_fields)
QUOTA_LABELS: dict[str, str] = {
    "high_roh": "high/very high RoH cases",
    "ppo": "PPO cases",
    "approved_premises": "approved premises residents",
    "statutory_victim_contact": "statutory victim contact cases",
    "minority_ethnic": "black and minority ethnic offenders",
}
CASE_TYPES: tuple[CaseType, ...] = tuple(CaseType)
_CASE_TYPE_INDEX = {case_type.value: index for index, case_type in enumerate(CASE_TYPES)}
_HIGH_ROH = frozenset({RohLevel.high.value, RohLevel.very_high.value})
_NOT_MINORITY = frozenset({Ethnicity.white.value, Ethnicity.unknown.value})

# A case's profile: one bit per minimum it counts towards (in QUOTAS order), then one if female.
QUOTA_COUNT = len(QUOTAS)
FEMALE_BIT = QUOTA_COUNT
PROFILES = 1 << (QUOTA_COUNT + 1)
# PROFILE_BITS[p, k]: whether profile p has bit k (k < QUOTA_COUNT: that minimum; FEMALE_BIT: female).
PROFILE_BITS: Counts = ((np.arange(PROFILES)[:, None] >> np.arange(QUOTA_COUNT + 1)[None, :]) & 1).astype(np.int64)


class CaseLike(Protocol):
    """What the quotas read of a case: a ``CaseAttributes``, a stored case, anything with these."""

    @property
    def case_type(self) -> object: ...
    @property
    def roh_level(self) -> object: ...
    @property
    def ppo(self) -> object: ...
    @property
    def approved_premises(self) -> object: ...
    @property
    def statutory_victim_contact(self) -> object: ...
    @property
    def gender(self) -> object: ...
    @property
    def ethnicity(self) -> object: ...


def _plain(value: object) -> object:
    """An enum attribute as its value (a ``StrEnum`` member is a ``str``, so it already is one)."""
    return value.value if isinstance(value, Enum) and not isinstance(value, str) else value


def profiles(cases: Sequence[CaseLike]) -> tuple[Counts, Counts]:
    """Each case's case type (its index in CASE_TYPES) and profile, as arrays."""
    type_of, high, not_minority, female = _CASE_TYPE_INDEX, _HIGH_ROH, _NOT_MINORITY, Gender.female.value
    type_index: list[int] = []
    profile: list[int] = []
    for case in cases:  # written out: a caseload runs to tens of thousands of cases
        type_index.append(type_of[str(_plain(case.case_type))])
        profile.append(
            (_plain(case.roh_level) in high)
            | (bool(case.ppo) << 1)
            | (bool(case.approved_premises) << 2)
            | (bool(case.statutory_victim_contact) << 3)
            | ((_plain(case.ethnicity) not in not_minority) << 4)
            | ((_plain(case.gender) == female) << FEMALE_BIT)
        )
    return np.array(type_index, dtype=np.int64), np.array(profile, dtype=np.int64)


def places_by_type(mix: SampleMix) -> Counts:
    """How many cases of each case type (CASE_TYPES order) the mix asks for."""
    return np.array([mix.case_types.get(case_type, 0) for case_type in CASE_TYPES], dtype=np.int64)


def required_minimums(mix: SampleMix) -> Counts:
    return np.array([getattr(mix.minimums, quota) for quota in QUOTAS], dtype=np.int64)


def female_target(female: int, caseload_size: int, total: int) -> int:
    """round(female share of the caseload x sample size), halves rounded up."""
    if caseload_size <= 0:
        return 0
    return (2 * female * total + caseload_size) // (2 * caseload_size)


def female_bounds(female: int, caseload_size: int, mix: SampleMix) -> tuple[int, int, int]:
    """The female target and the lowest and highest female counts the mix's tolerance allows."""
    total = mix.total
    target = female_target(female, caseload_size, total)
    return target, max(0, target - mix.female_tolerance), min(total, target + mix.female_tolerance)
