"""The stratified random draw of a case sample from an area's caseload: reproducible, meeting the mix's
case-type counts and minimums exactly and holding female offenders in proportion to the caseload.

How a sample is drawn: the caseload is sorted on reference (so its order does not matter) and
given one random order by ``np.random.default_rng(seed)``. Cases are grouped into strata by case
type, by which minimums they count towards and by whether they are female (their profile). (0)
Quotas the caseload provably cannot meet are reported at once (``feasibility``). (1) While a
minimum is unmet, the case that counts towards the most unmet minimums is taken (then the one
serving the scarcest, then the first in the random order), in a case type that still has places.
(2) Each case type is filled with the first of its remaining cases in the random order. (3) While
a quota is still missed (a minimum, or the female count), one case is swapped for another of the
same case type, taking at random one of the swaps that cut the shortfall most (or, failing any,
one that leaves it as it is), for at most ``_REPAIR_STEPS`` swaps; if a quota is still missed
then, ``SampleInfeasible`` reports the best sample found (this last case is a heuristic verdict,
unlike those of step 0).

Cases that serve a minimum are over-represented against the caseload: that is the point of the
minimums. The rest of each case type is a simple random sample of what is left.
"""

from collections import deque
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from services.cases.logic.caseload import CaseloadError, CaseloadProblem
from services.cases.logic.composition import composition
from services.cases.logic.feasibility import unmeetable
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
    profiles,
    required_minimums,
)
from shared.schemas.cases import CaseAttributes
from shared.schemas.sampling import DrawnSample, SampleMix, SampleWarning

Flags = NDArray[np.bool_]

# _SWAP_DELTA[p_in, p_out, k]: how swapping a case of profile p_out for one of p_in moves count k.
_SWAP_DELTA: Counts = PROFILE_BITS[:, None, :] - PROFILE_BITS[None, :, :]
_REPAIR_STEPS = 60  # bound on the swaps of step (3); each costs well under a millisecond


class SampleInfeasible(Exception):
    """The caseload cannot supply a sample meeting the mix: one ``SampleWarning`` per quota."""

    def __init__(self, problems: list[SampleWarning]) -> None:
        self.problems = problems
        super().__init__(str(self))

    def __str__(self) -> str:
        return "cannot draw the sample: " + "; ".join(p.message for p in self.problems)


def _sorted_unique(caseload: Sequence[CaseAttributes]) -> list[CaseAttributes]:
    cases = sorted(caseload, key=lambda case: case.reference)
    repeated = {cases[j].reference for j in range(1, len(cases)) if cases[j].reference == cases[j - 1].reference}
    if repeated:
        raise CaseloadError(
            [
                CaseloadProblem(
                    row=position,
                    field="reference",
                    value=case.reference,
                    message=f"reference {case.reference!r} is not unique in the caseload",
                )
                for position, case in enumerate(caseload, start=1)
                if case.reference in repeated
            ]
        )
    return cases


class _Shortfall:
    """Shortfall of a sample's counts (the minimums, then the female count) against the quotas, vectorised."""

    def __init__(self, required: Counts, female_lowest: int, female_highest: int) -> None:
        self.required = required
        self.female_lowest = female_lowest
        self.female_highest = female_highest
        self.active = required > 0

    def of(self, counts: Counts) -> Counts:
        minimums = np.maximum(0, self.required - counts[..., :QUOTA_COUNT]).sum(-1)
        female = counts[..., FEMALE_BIT]
        result: Counts = minimums + np.maximum(0, self.female_lowest - female) + np.maximum(0, female - self.female_highest)
        return result

    def key(self, counts: Counts) -> Counts:
        """Lexicographic: shortfall first, then minus the number of minimums with some slack."""
        has_slack = np.clip(counts[..., :QUOTA_COUNT] - self.required, 0, 1) * self.active
        result: Counts = self.of(counts) * (QUOTA_COUNT + 1) - has_slack.sum(-1)
        return result


def draw_sample(caseload: Sequence[CaseAttributes], mix: SampleMix, seed: int) -> DrawnSample:
    """Draw a reproducible stratified random sample of ``caseload`` meeting ``mix``.

    The sample holds exactly ``mix.case_types[t]`` cases of each type, meets every minimum, and
    holds round(female share of the caseload x sample size) female offenders, give or take
    ``mix.female_tolerance``. The same caseload, in any order, and the same seed draw the same
    sample. Raises ``CaseloadError`` if references are not unique, ``SampleInfeasible`` (one
    problem per quota) if the caseload cannot supply the sample, ``ValueError`` for a negative
    seed.
    """
    if seed < 0:
        raise ValueError("seed must be a non-negative integer")
    cases = _sorted_unique(caseload)
    size = len(cases)
    types = len(CASE_TYPES)

    type_index, profile = profiles(cases)
    female = int(((profile >> FEMALE_BIT) & 1).sum())
    if problems := unmeetable(type_index, profile, mix):
        raise SampleInfeasible(problems)

    required = required_minimums(mix)
    _, female_lowest, female_highest = female_bounds(female, size, mix)
    shortfall = _Shortfall(required, female_lowest, female_highest)

    rng = np.random.default_rng(seed)
    rank = np.empty(size, dtype=np.int64)
    rank[rng.permutation(size)] = np.arange(size)
    stratum = type_index * PROFILES + profile
    selected = np.zeros(size, dtype=bool)
    counts = np.zeros(QUOTA_COUNT + 1, dtype=np.int64)

    # (1) Minimums first: per stratum, a queue of its cases in the random order.
    queue = np.lexsort((rank, stratum))
    bounds = np.searchsorted(stratum[queue], np.arange(types * PROFILES + 1))
    head, end = bounds[:-1].copy(), bounds[1:]
    places_left = places_by_type(mix)
    quota_bits = PROFILE_BITS[:, :QUOTA_COUNT]
    while True:
        unmet = (required - counts[:QUOTA_COUNT]) > 0
        if not unmet.any():
            break
        left = (end - head).reshape(types, PROFILES)
        open_ = (left > 0) & (places_left[:, None] > 0)
        served = np.where(open_, (quota_bits @ unmet.astype(np.int64))[None, :], 0)
        best = served.max()
        if best <= 0:
            break  # no place left for an unmet minimum: the swaps of (3) try
        # Scarcity: how much of what is still needed can still fit.
        can_fit = np.minimum(left @ quota_bits, places_left[:, None]).sum(0)
        scarcity = np.where(unmet, (required - counts[:QUOTA_COUNT]) / np.maximum(can_fit, 1), 0.0)
        score = np.where(served == best, (quota_bits @ scarcity)[None, :], -np.inf)
        candidates = np.flatnonzero(score >= score.max() - 1e-9)
        heads = queue[head[candidates]]
        picked = candidates[np.argmin(rank[heads])]
        i = queue[head[picked]]
        head[picked] += 1
        selected[i] = True
        places_left[picked // PROFILES] -= 1
        counts += PROFILE_BITS[profile[i]]

    # (2) Fill each case type with the first of its remaining cases in the random order.
    for t in range(types):
        if places_left[t] > 0:
            pool = np.flatnonzero(~selected & (type_index == t))
            take = pool[np.argsort(rank[pool], kind="stable")[: places_left[t]]]
            selected[take] = True
            counts += PROFILE_BITS[profile[take]].sum(0)

    # (3) Swap within case types while a quota is still missed.
    if shortfall.of(counts) > 0:
        counts = _repair(selected, counts, stratum, rank, rng, shortfall)
    if shortfall.of(counts) > 0:
        raise SampleInfeasible(_best_found_falls_short(counts, mix, shortfall, size, female))

    chosen = [cases[i] for i in np.flatnonzero(selected)]  # in reference order
    return DrawnSample(
        seed=seed,
        caseload_size=size,
        selected=chosen,
        composition=composition(chosen, mix, female_share=female / size),
    )


def _repair(
    selected: Flags,
    counts: Counts,
    stratum: Counts,
    rank: Counts,
    rng: np.random.Generator,
    shortfall: _Shortfall,
) -> Counts:
    """Swap selected cases for unselected ones of the same case type to cut the shortfall.

    Each step considers every (case type, profile in, profile out) swap. If some lower the
    shortfall's key (the shortfall, then the slack of the minimums), one of the best is taken,
    uniformly over the pairs of cases they swap. Otherwise a swap that leaves the shortfall as it
    is is taken at random (uniformly over the triples), to get off a plateau: e.g. giving the PPO
    minimum some slack in one case type so that a PPO case of another type can make way for a
    female case. A case swapped out goes to the back of its stratum's queue. Stops when no quota
    is missed, when no swap keeps the shortfall, or after ``_REPAIR_STEPS`` steps; the shortfall
    never rises, so the counts returned are the best found. Mutates ``selected``.
    """
    types = len(CASE_TYPES)
    strata = types * PROFILES
    unselected = np.flatnonzero(~selected)
    unselected = unselected[np.lexsort((rank[unselected], stratum[unselected]))]
    bounds = np.searchsorted(stratum[unselected], np.arange(strata + 1))
    pools = [deque(unselected[bounds[s] : bounds[s + 1]].tolist()) for s in range(strata)]
    members: list[list[int]] = [[] for _ in range(strata)]
    for i in np.flatnonzero(selected):
        members[stratum[i]].append(int(i))
    in_count = np.array([len(q) for q in pools], dtype=np.int64).reshape(types, PROFILES)
    out_count = np.array([len(m) for m in members], dtype=np.int64).reshape(types, PROFILES)
    moving = ~np.eye(PROFILES, dtype=bool)[None, :, :]  # a swap within one profile changes nothing
    never = np.iinfo(np.int64).max

    for _ in range(_REPAIR_STEPS):
        short = shortfall.of(counts)
        if short <= 0:
            break
        after = counts + _SWAP_DELTA  # [p_in, p_out, k]: the same for every case type
        keys = shortfall.key(after)
        pairs = in_count[:, :, None] * out_count[:, None, :]  # [t, p_in, p_out]
        masked = np.where(pairs > 0, keys[None, :, :], never)
        best = masked.min()
        if best < shortfall.key(counts):
            ties = np.flatnonzero(masked == best)
            weights = pairs.ravel()[ties].astype(float)
        else:
            ties = np.flatnonzero((pairs > 0) & moving & (shortfall.of(after) <= short)[None, :, :])
            if not len(ties):
                break
            weights = np.ones(len(ties))
        flat = int(ties[rng.choice(len(ties), p=weights / weights.sum())]) if len(ties) > 1 else int(ties[0])
        t, rest = divmod(flat, PROFILES * PROFILES)
        p_in, p_out = divmod(rest, PROFILES)
        s_in, s_out = t * PROFILES + p_in, t * PROFILES + p_out
        i_in = pools[s_in].popleft()
        out_list = members[s_out]
        j = int(rng.integers(len(out_list)))
        i_out = out_list[j]
        out_list[j] = out_list[-1]
        out_list.pop()
        members[s_in].append(i_in)
        pools[s_out].append(i_out)
        in_count[t, p_in] -= 1
        out_count[t, p_in] += 1
        out_count[t, p_out] -= 1
        in_count[t, p_out] += 1
        selected[i_in], selected[i_out] = True, False
        counts = counts + _SWAP_DELTA[p_in, p_out]
    return counts


def _best_found_falls_short(
    counts: Counts, mix: SampleMix, shortfall: _Shortfall, caseload_size: int, female: int
) -> list[SampleWarning]:
    problems = []
    for k, quota in enumerate(QUOTAS):
        needed = int(shortfall.required[k])
        if counts[k] < needed:
            problems.append(
                SampleWarning(
                    quota=f"minimums.{quota}",
                    required=needed,
                    actual=int(counts[k]),
                    message=(
                        f"the minimums compete for the same places of the case-type mix: the "
                        f"best sample found holds {counts[k]} {QUOTA_LABELS[quota]} alongside the "
                        f"other quotas; the minimum is {needed}"
                    ),
                )
            )
    held = int(counts[FEMALE_BIT])
    if not shortfall.female_lowest <= held <= shortfall.female_highest:
        target, _, _ = female_bounds(female, caseload_size, mix)
        problems.append(
            SampleWarning(
                quota="female",
                required=shortfall.female_lowest if held < shortfall.female_lowest else shortfall.female_highest,
                actual=held,
                message=(
                    f"the best sample found that meets the minimums holds {held} female offenders; "
                    f"in proportion to the caseload it needs {target} (±{mix.female_tolerance})"
                ),
            )
        )
    return problems
