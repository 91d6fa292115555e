"""What a case sample is made of, counted against its mix, with a warning for each shortfall."""

from collections.abc import Sequence

from services.cases.logic.quotas import FEMALE_BIT, PROFILE_BITS, QUOTA_COUNT, QUOTA_LABELS, QUOTAS, CaseLike, profiles
from services.cases.logic.spreadsheet import BOOLEAN_COLUMNS
from shared.schemas.cases import attribute_text
from shared.schemas.enums import AssessorRole, CaseType, Ethnicity, Gender, RohLevel
from shared.schemas.sampling import SampleComposition, SampleMix, SampleWarning


def _vocabularies(with_role: bool) -> dict[str, list[str]]:
    vocabularies = {
        "case_type": [t.value for t in CaseType],
        "roh_level": [r.value for r in RohLevel],
        "tier": ["1", "2", "3", "4"],
        "ppo": ["true", "false"],
        "approved_premises": ["true", "false"],
        "statutory_victim_contact": ["true", "false"],
        "gender": [g.value for g in Gender],
        "ethnicity": [e.value for e in Ethnicity],
    }
    if with_role:
        vocabularies["assessor_role"] = [r.value for r in AssessorRole] + ["unassigned"]
    return vocabularies


def _count_key(attribute: str, value: object) -> str:
    if attribute in BOOLEAN_COLUMNS:
        value = bool(value)
    return "unassigned" if value is None else attribute_text(value)


def _span(mix: SampleMix) -> str:
    return str(mix.min_total) if mix.min_total == mix.max_total else f"{mix.min_total}-{mix.max_total}"


def composition(cases: Sequence[CaseLike], mix: SampleMix, *, female_share: float | None = None) -> SampleComposition:
    """Count what ``cases`` are made of and warn of each shortfall against ``mix``.

    ``cases`` are ``CaseAttributes`` or any objects with those attributes (a stored case also
    carries ``assessor_role``, which is then counted too). Warnings: the total outside
    ``[min_total, max_total]``; each case type below its count in the mix; each minimum not met.
    The female count needs the caseload: it is checked only when ``female_share`` (female
    offenders / caseload size) is given.
    """
    with_role = any(getattr(case, "assessor_role", None) is not None for case in cases)
    counts = {attribute: dict.fromkeys(values, 0) for attribute, values in _vocabularies(with_role).items()}
    for case in cases:
        for attribute, tally in counts.items():
            key = _count_key(attribute, getattr(case, attribute, None))
            tally[key] = tally.get(key, 0) + 1
    _, profile = profiles(cases)
    counted = PROFILE_BITS[profile].sum(0)
    met, female = [int(n) for n in counted[:QUOTA_COUNT]], int(counted[FEMALE_BIT])

    total = len(cases)
    warnings: list[SampleWarning] = []
    if not mix.min_total <= total <= mix.max_total:
        warnings.append(
            SampleWarning(
                quota="total",
                required=mix.min_total if total < mix.min_total else mix.max_total,
                actual=total,
                message=f"the sample has {total} cases; the mix needs {_span(mix)}",
            )
        )
    for case_type, needed in mix.case_types.items():
        actual = counts["case_type"].get(case_type.value, 0)
        if actual < needed:
            warnings.append(
                SampleWarning(
                    quota=f"case_types.{case_type.value}",
                    required=needed,
                    actual=actual,
                    message=f"the sample has {actual} {case_type.value} cases; the mix needs {needed}",
                )
            )
    for quota, actual in zip(QUOTAS, met, strict=True):
        needed = getattr(mix.minimums, quota)
        if actual < needed:
            warnings.append(
                SampleWarning(
                    quota=f"minimums.{quota}",
                    required=needed,
                    actual=actual,
                    message=f"the sample has {actual} {QUOTA_LABELS[quota]}; the minimum is {needed}",
                )
            )
    if female_share is not None:
        target = int(female_share * total + 0.5 + 1e-9)  # halves up, like the draw
        if abs(female - target) > mix.female_tolerance:
            warnings.append(
                SampleWarning(
                    quota="female",
                    required=target,
                    actual=female,
                    message=(
                        f"the sample has {female} female offenders; in proportion to the "
                        f"caseload ({female_share:.1%}) it needs {target} "
                        f"(±{mix.female_tolerance})"
                    ),
                )
            )
    return SampleComposition(total=total, counts=counts, mix=mix, warnings=warnings)
