"""The quotas a caseload provably cannot meet within a sample mix (step 0 of the draw), each explained
with its numbers: found before drawing, so an impossible mix is refused at once and in full."""

from itertools import combinations

import numpy as np

from services.cases.logic.quotas import (
    CASE_TYPES,
    FEMALE_BIT,
    PROFILE_BITS,
    PROFILES,
    QUOTA_COUNT,
    QUOTA_LABELS,
    QUOTAS,
    Counts,
    female_bounds,
    places_by_type,
    required_minimums,
)
from shared.schemas.sampling import SampleMix, SampleWarning


def unmeetable(type_index: Counts, profile: Counts, mix: SampleMix) -> list[SampleWarning]:
    """Every quota the caseload (its cases' case types and profiles) cannot meet: a case type short
    of cases, a minimum short of cases in the caseload or within the case-type places, a set of
    minimums that cannot all fit in the places together, a female count out of reach."""
    places_needed = places_by_type(mix)
    available = np.bincount(type_index, minlength=len(CASE_TYPES))
    problems = [
        SampleWarning(
            quota=f"case_types.{case_type.value}",
            required=int(places_needed[t]),
            actual=int(available[t]),
            message=f"the caseload has {available[t]} {case_type.value} cases; the mix needs {places_needed[t]}",
        )
        for t, case_type in enumerate(CASE_TYPES)
        if available[t] < places_needed[t]
    ]
    places = np.minimum(available, places_needed)  # places that can actually be filled per type
    problems += _minimums_alone(type_index, profile, places, places_needed, mix)
    problems += _minimums_together(type_index, profile, places, mix, problems)
    if not problems:
        problems += _female_out_of_reach(type_index, profile, places_needed, available, mix)
    return problems


def _minimums_alone(
    type_index: Counts, profile: Counts, places: Counts, places_needed: Counts, mix: SampleMix
) -> list[SampleWarning]:
    problems: list[SampleWarning] = []
    for k, quota in enumerate(QUOTAS):
        needed = getattr(mix.minimums, quota)
        if needed <= 0:
            continue
        meeting = np.bincount(type_index[(profile >> k) & 1 == 1], minlength=len(CASE_TYPES))
        have = int(meeting.sum())
        label = QUOTA_LABELS[quota]
        if have < needed:
            problems.append(
                SampleWarning(
                    quota=f"minimums.{quota}",
                    required=needed,
                    actual=have,
                    message=f"the caseload has {have} {label}; the minimum is {needed}",
                )
            )
            continue
        fit = int(np.minimum(meeting, places).sum())
        if fit < needed:
            detail = ", ".join(
                f"{case_type.value}: {meeting[t]} for {places_needed[t]} places" for t, case_type in enumerate(CASE_TYPES)
            )
            problems.append(
                SampleWarning(
                    quota=f"minimums.{quota}",
                    required=needed,
                    actual=fit,
                    message=(
                        f"the caseload has {have} {label} but only {fit} fit within the "
                        f"case-type mix ({detail}); the minimum is {needed}"
                    ),
                )
            )
    return problems


def _minimums_together(
    type_index: Counts, profile: Counts, places: Counts, mix: SampleMix, known: list[SampleWarning]
) -> list[SampleWarning]:
    """Sets of minimums that provably cannot be met together within the case-type places.

    For a set S of minimums, a case counts towards at most |S| of them: the counts of S in the
    sample add up to at most the sum, over case types, of the ``places`` best cases of that type
    ranked by how many minimums of S they meet. If the minimums of S add up to more, no sample
    meets them all. Only the smallest such sets are reported (a set holding a minimum that
    already fails on its own, or a smaller failing set, is left out).
    """
    required = [int(n) for n in required_minimums(mix)]
    active = [k for k in range(QUOTA_COUNT) if required[k] > 0]
    failed = [1 << QUOTAS.index(w.quota.removeprefix("minimums.")) for w in known if w.quota.startswith("minimums.")]
    types = len(CASE_TYPES)
    per_stratum = np.bincount(type_index * PROFILES + profile, minlength=types * PROFILES).reshape(types, PROFILES)
    problems: list[SampleWarning] = []
    for size in range(2, len(active) + 1):
        for subset in combinations(active, size):
            mask = sum(1 << k for k in subset)
            if any(f & mask == f for f in failed):
                continue
            met = PROFILE_BITS[:, list(subset)].sum(1)  # minimums of S each profile meets
            order = np.argsort(-met, kind="stable")
            bound = 0
            for t in range(types):
                taken = np.minimum(per_stratum[t, order], places[t])
                taken = np.minimum(taken, np.maximum(0, places[t] - (np.cumsum(taken) - taken)))
                bound += int((taken * met[order]).sum())
            needed = sum(required[k] for k in subset)
            if needed > bound:
                failed.append(mask)
                parts = [f"{QUOTA_LABELS[QUOTAS[k]]} ({required[k]})" for k in subset]
                problems.append(
                    SampleWarning(
                        quota=",".join(f"minimums.{QUOTAS[k]}" for k in subset),
                        required=needed,
                        actual=bound,
                        message=(
                            f"the minimums of {', '.join(parts[:-1])} and {parts[-1]} add up to "
                            f"{needed}, but within the case-type mix the caseload can supply at "
                            f"most {bound} towards them (a case counting once for each of these "
                            f"minimums it meets)"
                        ),
                    )
                )
    return problems


def _female_out_of_reach(
    type_index: Counts, profile: Counts, places_needed: Counts, available: Counts, mix: SampleMix
) -> list[SampleWarning]:
    caseload_size = len(type_index)
    female = (profile >> FEMALE_BIT) & 1 == 1
    female_by_type = np.bincount(type_index[female], minlength=len(CASE_TYPES))
    target, lowest, highest = female_bounds(int(female.sum()), caseload_size, mix)
    most = int(np.minimum(female_by_type, places_needed).sum())
    least = int(np.maximum(0, places_needed - (available - female_by_type)).sum())
    share = f"{female.sum() / caseload_size:.1%}" if caseload_size else "0%"
    wanted = f"{target} (±{mix.female_tolerance})"
    if most < lowest:
        return [
            SampleWarning(
                quota="female",
                required=lowest,
                actual=most,
                message=(
                    f"at most {most} female offenders fit within the case-type mix; in "
                    f"proportion to the caseload ({share}) the sample needs {wanted}"
                ),
            )
        ]
    if least > highest:
        return [
            SampleWarning(
                quota="female",
                required=highest,
                actual=least,
                message=(
                    f"the case-type mix forces at least {least} female offenders into the "
                    f"sample; in proportion to the caseload ({share}) it needs {wanted}"
                ),
            )
        ]
    return []
