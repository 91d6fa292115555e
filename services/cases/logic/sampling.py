"""The case sample of an inspection (domain step 2, "Sample"): drawing it and checking it.

Plain functions, no web framework and no database:

- ``draw_sample`` draws a reproducible stratified random sample from a caseload that meets a
  ``SampleMix`` exactly (case-type counts), meets every minimum and holds female offenders in
  proportion to the caseload; it raises ``SampleInfeasible``, explaining each quota, when the
  caseload cannot supply one.
- ``composition`` counts what a sample is made of and warns of each shortfall against a mix.
- ``parse_caseload_csv`` reads a caseload export; ``CaseloadError`` names every bad row and field.

How a sample is drawn: the caseload is sorted on reference (so its order does not matter) and
given one random order by ``np.random.default_rng(seed)``. Cases are grouped into classes by case
type, by which minimums they count towards and by whether they are female. (0) Quotas the caseload
provably cannot meet are reported at once: a case type short of cases, a minimum short of cases
in the caseload or within the case-type places, a set of minimums that cannot all fit in the
places together, a female count out of reach. (1) While a minimum is unmet, the case that counts
towards the most unmet minimums is taken (then the one serving the scarcest, then the first in
the random order), in a case type that still has places. (2) Each case type is filled with the
first of its remaining cases in the random order. (3) While a quota is still missed (a minimum,
or the female count), one case is swapped for another of the same case type, taking at random
one of the swaps that cut the shortfall most (or, failing any, one that leaves it as it is), for
at most ``_REPAIR_STEPS`` swaps; if a quota is still missed then, ``SampleInfeasible`` reports the
best sample found (this last case is a heuristic verdict, unlike those of step 0).

Cases that serve a minimum are over-represented against the caseload: that is the point of the
minimums. The rest of each case type is a simple random sample of what is left.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from enum import Enum
from itertools import combinations
from typing import Any

import numpy as np
from pydantic import ValidationError

from services.cases.logic import spreadsheet
from shared.schemas.cases import CaseAttributes, attribute_text
from shared.schemas.enums import AssessorRole, CaseType, Ethnicity, Gender, RohLevel
from shared.schemas.sampling import (
    DrawnSample,
    Minimums,
    SampleComposition,
    SampleMix,
    SampleWarning,
)
from shared.spreadsheet import SpreadsheetError, table

__all__ = [
    "QUOTAS",
    "CaseloadError",
    "SampleInfeasible",
    "composition",
    "draw_sample",
    "female_target",
    "parse_caseload_csv",
]

# The minimums, in the order of their bits in a case's profile.
QUOTAS: tuple[str, ...] = tuple(Minimums.model_fields)
QUOTA_LABELS: dict[str, str] = {
    "high_roh": "high/very high RoH cases",
    "ppo": "PPO cases",
    "approved_premises": "approved premises residents",
    "statutory_victim_contact": "statutory victim contact cases",
    "minority_ethnic": "black and minority ethnic offenders",
}
_HIGH_ROH = frozenset({RohLevel.high.value, RohLevel.very_high.value})
_NOT_MINORITY = frozenset({Ethnicity.white.value, Ethnicity.unknown.value})
_TYPES: tuple[CaseType, ...] = tuple(CaseType)
_TYPE_POS = {t.value: i for i, t in enumerate(_TYPES)}

_NQ = len(QUOTAS)
_FEMALE_BIT = _NQ  # bit 5 of a class profile
_NPROF = 1 << (_NQ + 1)  # 64 profiles: 5 quota bits + female
# _BITS[p, k]: whether profile p has bit k (k < 5: quota k; k == 5: female).
_BITS = ((np.arange(_NPROF)[:, None] >> np.arange(_NQ + 1)[None, :]) & 1).astype(np.int64)
# _DELTA[p_in, p_out, k]: how swapping a case of profile p_out for one of p_in moves count k.
_DELTA = _BITS[:, None, :] - _BITS[None, :, :]


# --------------------------------------------------------------------------------------------
# Errors


class CaseloadError(ValueError):
    """A caseload that cannot be used: one dict per problem, all of them collected.

    Each dict has ``row`` (for a CSV: the row number as a spreadsheet shows it, the header
    being row 1; for a caseload given as a sequence: the 1-based position, or None), ``field``
    (a column name, or None for the whole row), ``value`` (the raw value, when there is one) and
    ``message``.
    """

    def __init__(self, errors: list[dict[str, Any]]):
        self.errors = errors
        super().__init__(str(self))

    def __str__(self) -> str:
        shown = []
        for e in self.errors[:10]:
            where = []
            if e.get("row") is not None:
                where.append(f"row {e['row']}")
            if e.get("field"):
                where.append(str(e["field"]))
            shown.append(f"{', '.join(where) or 'caseload'}: {e['message']}")
        more = f"; and {len(self.errors) - 10} more" if len(self.errors) > 10 else ""
        return f"{len(self.errors)} error(s) in the caseload: " + "; ".join(shown) + more


class SampleInfeasible(Exception):
    """The caseload cannot supply a sample meeting the mix: one ``SampleWarning`` per quota."""

    def __init__(self, problems: list[SampleWarning]):
        self.problems = problems
        super().__init__(str(self))

    def __str__(self) -> str:
        return "cannot draw the sample: " + "; ".join(p.message for p in self.problems)


# --------------------------------------------------------------------------------------------
# Attributes of a case


def _v(value: Any) -> Any:
    return value.value if isinstance(value, Enum) and not isinstance(value, str) else value


def _quota_flags(case: Any) -> tuple[bool, ...]:
    """Which minimums a case counts towards, in QUOTAS order.

    Enum attributes may be the ``StrEnum`` members or their string values (a ``StrEnum`` member
    is a ``str``, so it is looked up as its value).
    """
    return (
        _v(case.roh_level) in _HIGH_ROH,
        bool(case.ppo),
        bool(case.approved_premises),
        bool(case.statutory_victim_contact),
        _v(case.ethnicity) not in _NOT_MINORITY,
    )


def _is_female(case: Any) -> bool:
    return _v(case.gender) == Gender.female.value


def _profiles(cases: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Case-type position and profile (quota bits, female bit 5) of each case, as arrays."""
    tpos, high, nonmin, female = _TYPE_POS, _HIGH_ROH, _NOT_MINORITY, Gender.female.value
    types: list[int] = []
    profs: list[int] = []
    for c in cases:
        types.append(tpos[_v(c.case_type)])
        profs.append(
            (_v(c.roh_level) in high)
            | (bool(c.ppo) << 1)
            | (bool(c.approved_premises) << 2)
            | (bool(c.statutory_victim_contact) << 3)
            | ((_v(c.ethnicity) not in nonmin) << 4)
            | ((_v(c.gender) == female) << 5)
        )
    return np.array(types, dtype=np.int64), np.array(profs, dtype=np.int64)


def female_target(female: int, caseload_size: int, total: int) -> int:
    """round(female share of the caseload x sample size), halves rounded up."""
    if caseload_size <= 0:
        return 0
    return (2 * female * total + caseload_size) // (2 * caseload_size)


def _female_bounds(female: int, caseload_size: int, mix: SampleMix) -> tuple[int, int, int]:
    total = mix.total
    target = female_target(female, caseload_size, total)
    return target, max(0, target - mix.female_tolerance), min(total, target + mix.female_tolerance)


# --------------------------------------------------------------------------------------------
# Composition


def _vocabularies(with_role: bool) -> dict[str, list[str]]:
    vocab = {
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
        vocab["assessor_role"] = [r.value for r in AssessorRole] + ["unassigned"]
    return vocab


def _count_key(attribute: str, value: Any) -> str:
    if attribute in spreadsheet.BOOLEAN_COLUMNS:
        value = bool(value)
    return "unassigned" if value is None else attribute_text(value)


def composition(cases: Sequence[Any], mix: SampleMix, *, female_share: float | None = None) -> SampleComposition:
    """Count what ``cases`` are made of and warn of each shortfall against ``mix``.

    ``cases`` are ``CaseAttributes`` or any objects with those attributes (a ``Case`` also
    carries ``assessor_role``, which is then counted too). Warnings: the total outside
    ``[min_total, max_total]``; each case type below its count in the mix; each minimum not met.
    The female count needs the caseload: it is checked only when ``female_share`` (female
    offenders / caseload size) is given.
    """
    with_role = any(getattr(c, "assessor_role", None) is not None for c in cases)
    counts = {a: dict.fromkeys(values, 0) for a, values in _vocabularies(with_role).items()}
    quota_counts = [0] * _NQ
    female = 0
    for case in cases:
        for attribute, tally in counts.items():
            key = _count_key(attribute, getattr(case, attribute, None))
            tally[key] = tally.get(key, 0) + 1
        for k, flag in enumerate(_quota_flags(case)):
            quota_counts[k] += flag
        female += _is_female(case)

    total = len(cases)
    warnings: list[SampleWarning] = []
    if not mix.min_total <= total <= mix.max_total:
        span = str(mix.min_total) if mix.min_total == mix.max_total else f"{mix.min_total}-{mix.max_total}"
        warnings.append(
            SampleWarning(
                quota="total",
                required=mix.min_total if total < mix.min_total else mix.max_total,
                actual=total,
                message=f"the sample has {total} cases; the mix needs {span}",
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
                    message=(f"the sample has {actual} {case_type.value} cases; the mix needs {needed}"),
                )
            )
    for k, name in enumerate(QUOTAS):
        needed = getattr(mix.minimums, name)
        if quota_counts[k] < needed:
            warnings.append(
                SampleWarning(
                    quota=f"minimums.{name}",
                    required=needed,
                    actual=quota_counts[k],
                    message=(f"the sample has {quota_counts[k]} {QUOTA_LABELS[name]}; the minimum is {needed}"),
                )
            )
    if female_share is not None:
        target = int(np.floor(female_share * total + 0.5 + 1e-9))  # halves up, like draw_sample
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


# --------------------------------------------------------------------------------------------
# Drawing


def _sorted_unique(caseload: Sequence[CaseAttributes]) -> list[CaseAttributes]:
    order = sorted(range(len(caseload)), key=lambda i: caseload[i].reference)
    cases = [caseload[i] for i in order]
    dupes = {cases[j].reference for j in range(1, len(cases)) if cases[j].reference == cases[j - 1].reference}
    if dupes:
        errors = [
            {
                "row": i + 1,
                "field": "reference",
                "value": c.reference,
                "message": f"reference {c.reference!r} is not unique in the caseload",
            }
            for i, c in enumerate(caseload)
            if c.reference in dupes
        ]
        raise CaseloadError(errors)
    return cases


def _feasibility(tcode: np.ndarray, prof: np.ndarray, n: int, mix: SampleMix) -> list[SampleWarning]:
    """Every quota the caseload provably cannot meet, each explained with its numbers."""
    need_t = np.array([mix.case_types.get(t, 0) for t in _TYPES])
    have_t = np.bincount(tcode, minlength=len(_TYPES))
    problems: list[SampleWarning] = []
    for i, t in enumerate(_TYPES):
        if have_t[i] < need_t[i]:
            problems.append(
                SampleWarning(
                    quota=f"case_types.{t.value}",
                    required=int(need_t[i]),
                    actual=int(have_t[i]),
                    message=(f"the caseload has {have_t[i]} {t.value} cases; the mix needs {need_t[i]}"),
                )
            )
    places = np.minimum(have_t, need_t)  # places that can actually be filled per type
    for k, name in enumerate(QUOTAS):
        needed = getattr(mix.minimums, name)
        if needed <= 0:
            continue
        have_kt = np.bincount(tcode[(prof >> k) & 1 == 1], minlength=len(_TYPES))
        have = int(have_kt.sum())
        label = QUOTA_LABELS[name]
        if have < needed:
            problems.append(
                SampleWarning(
                    quota=f"minimums.{name}",
                    required=needed,
                    actual=have,
                    message=f"the caseload has {have} {label}; the minimum is {needed}",
                )
            )
            continue
        fit = int(np.minimum(have_kt, places).sum())
        if fit < needed:
            detail = ", ".join(f"{t.value}: {have_kt[i]} for {need_t[i]} places" for i, t in enumerate(_TYPES))
            problems.append(
                SampleWarning(
                    quota=f"minimums.{name}",
                    required=needed,
                    actual=fit,
                    message=(
                        f"the caseload has {have} {label} but only {fit} fit within the "
                        f"case-type mix ({detail}); the minimum is {needed}"
                    ),
                )
            )
    problems.extend(_joint_bounds(tcode, prof, places, mix, problems))
    if not problems:
        female = (prof >> _FEMALE_BIT) & 1 == 1
        fem_t = np.bincount(tcode[female], minlength=len(_TYPES))
        target, lo, hi = _female_bounds(int(female.sum()), n, mix)
        most = int(np.minimum(fem_t, need_t).sum())
        least = int(np.maximum(0, need_t - (have_t - fem_t)).sum())
        share = f"{female.sum() / n:.1%}" if n else "0%"
        wanted = f"{target} (±{mix.female_tolerance})"
        if most < lo:
            problems.append(
                SampleWarning(
                    quota="female",
                    required=lo,
                    actual=most,
                    message=(
                        f"at most {most} female offenders fit within the case-type mix; in "
                        f"proportion to the caseload ({share}) the sample needs {wanted}"
                    ),
                )
            )
        elif least > hi:
            problems.append(
                SampleWarning(
                    quota="female",
                    required=hi,
                    actual=least,
                    message=(
                        f"the case-type mix forces at least {least} female offenders into the "
                        f"sample; in proportion to the caseload ({share}) it needs {wanted}"
                    ),
                )
            )
    return problems


def _joint_bounds(
    tcode: np.ndarray,
    prof: np.ndarray,
    places: np.ndarray,
    mix: SampleMix,
    known: list[SampleWarning],
) -> list[SampleWarning]:
    """Sets of minimums that provably cannot be met together within the case-type places.

    For a set S of minimums, a case counts towards at most |S| of them: the counts of S in the
    sample add up to at most the sum, over case types, of the ``places`` best cases of that type
    ranked by how many minimums of S they meet. If the minimums of S add up to more, no sample
    meets them all. Only the smallest such sets are reported (a set holding a minimum that
    already fails on its own, or a smaller failing set, is left out).
    """
    required = [getattr(mix.minimums, q) for q in QUOTAS]
    active = [k for k in range(_NQ) if required[k] > 0]
    failed = [1 << QUOTAS.index(w.quota.removeprefix("minimums.")) for w in known if w.quota.startswith("minimums.")]
    ntypes = len(_TYPES)
    per_class = np.bincount(tcode * _NPROF + prof, minlength=ntypes * _NPROF).reshape(ntypes, _NPROF)
    problems: list[SampleWarning] = []
    for size in range(2, len(active) + 1):
        for subset in combinations(active, size):
            mask = sum(1 << k for k in subset)
            if any(f & mask == f for f in failed):
                continue
            met = _BITS[:, list(subset)].sum(1)  # minimums of S each profile meets
            order = np.argsort(-met, kind="stable")
            bound = 0
            for t in range(ntypes):
                taken = np.minimum(per_class[t, order], places[t])
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


class _Objective:
    """Shortfall of a sample's counts (5 minimums + female) against the quotas, vectorised."""

    def __init__(self, required: np.ndarray, female_lo: int, female_hi: int):
        self.required = required
        self.lo = female_lo
        self.hi = female_hi
        self.active = required > 0

    def shortfall(self, counts: np.ndarray) -> np.ndarray:
        q = np.maximum(0, self.required - counts[..., :_NQ]).sum(-1)
        f = counts[..., _NQ]
        return q + np.maximum(0, self.lo - f) + np.maximum(0, f - self.hi)

    def key(self, counts: np.ndarray) -> np.ndarray:
        """Lexicographic: shortfall first, then minus the number of quotas with some slack."""
        has_slack = np.clip(counts[..., :_NQ] - self.required, 0, 1) * self.active
        slack = has_slack.sum(-1)
        return self.shortfall(counts) * (_NQ + 1) - slack


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
    n = len(cases)
    ntypes = len(_TYPES)

    tcode, prof = _profiles(cases)
    n_female = int(((prof >> _FEMALE_BIT) & 1).sum())

    problems = _feasibility(tcode, prof, n, mix)
    if problems:
        raise SampleInfeasible(problems)

    need_t = np.array([mix.case_types.get(t, 0) for t in _TYPES], dtype=np.int64)
    required = np.array([getattr(mix.minimums, q) for q in QUOTAS], dtype=np.int64)
    _, female_lo, female_hi = _female_bounds(n_female, n, mix)
    objective = _Objective(required, female_lo, female_hi)

    rng = np.random.default_rng(seed)
    rank = np.empty(n, dtype=np.int64)
    rank[rng.permutation(n)] = np.arange(n)
    cls = tcode * _NPROF + prof
    selected = np.zeros(n, dtype=bool)
    counts = np.zeros(_NQ + 1, dtype=np.int64)

    # (1) Minimums first: per class, a queue of its cases in the random order.
    queue = np.lexsort((rank, cls))
    bounds = np.searchsorted(cls[queue], np.arange(ntypes * _NPROF + 1))
    head, end = bounds[:-1].copy(), bounds[1:]
    cap = need_t.copy()
    quota_bits = _BITS[:, :_NQ]
    while True:
        unmet = (required - counts[:_NQ]) > 0
        if not unmet.any():
            break
        left = (end - head).reshape(ntypes, _NPROF)
        open_ = (left > 0) & (cap[:, None] > 0)
        served = np.where(open_, (quota_bits @ unmet.astype(np.int64))[None, :], 0)
        best = served.max()
        if best <= 0:
            break  # no place left for an unmet minimum: the swaps of (3) try
        # Scarcity: how much of what is still needed can still fit.
        can_fit = np.minimum(left @ quota_bits, cap[:, None]).sum(0)
        scarcity = np.where(unmet, (required - counts[:_NQ]) / np.maximum(can_fit, 1), 0.0)
        score = np.where(served == best, (quota_bits @ scarcity)[None, :], -np.inf)
        candidates = np.flatnonzero(score >= score.max() - 1e-9)
        heads = queue[head[candidates]]
        pick_cls = candidates[np.argmin(rank[heads])]
        i = queue[head[pick_cls]]
        head[pick_cls] += 1
        selected[i] = True
        cap[pick_cls // _NPROF] -= 1
        counts += _BITS[prof[i]]

    # (2) Fill each case type with the first of its remaining cases in the random order.
    for t in range(ntypes):
        if cap[t] > 0:
            pool = np.flatnonzero(~selected & (tcode == t))
            take = pool[np.argsort(rank[pool], kind="stable")[: cap[t]]]
            selected[take] = True
            counts += _BITS[prof[take]].sum(0)

    # (3) Swap within case types while a quota is still missed.
    if objective.shortfall(counts) > 0:
        counts = _repair(selected, counts, tcode, prof, cls, rank, rng, objective)
    if objective.shortfall(counts) > 0:
        raise SampleInfeasible(_joint_problems(counts, mix, objective, n, n_female))

    chosen = [cases[i] for i in np.flatnonzero(selected)]  # in reference order
    return DrawnSample(
        seed=seed,
        caseload_size=n,
        selected=chosen,
        composition=composition(chosen, mix, female_share=n_female / n),
    )


_REPAIR_STEPS = 60  # bound on the swaps of step (3); each costs well under a millisecond


def _repair(
    selected: np.ndarray,
    counts: np.ndarray,
    tcode: np.ndarray,
    prof: np.ndarray,
    cls: np.ndarray,
    rank: np.ndarray,
    rng: np.random.Generator,
    objective: _Objective,
) -> np.ndarray:
    """Swap selected cases for unselected ones of the same case type to cut the shortfall.

    Each step considers every (case type, class in, class out) swap. If some lower the objective
    key (the shortfall, then the slack of the minimums), one of the best is taken, uniformly over
    the pairs of cases they swap. Otherwise a swap that leaves the shortfall as it is is taken at
    random (uniformly over the class triples), to get off a plateau: e.g. giving the PPO minimum
    some slack in one case type so that a PPO case of another type can make way for a female
    case. A case swapped out goes to the back of its class's queue. Stops when no quota is
    missed, when no swap keeps the shortfall, or after ``_REPAIR_STEPS`` steps; the shortfall
    never rises, so the counts returned are the best found. Mutates ``selected``.
    """
    ntypes = len(_TYPES)
    ncls = ntypes * _NPROF
    unselected = np.flatnonzero(~selected)
    unselected = unselected[np.lexsort((rank[unselected], cls[unselected]))]
    bounds = np.searchsorted(cls[unselected], np.arange(ncls + 1))
    pools = [deque(unselected[bounds[c] : bounds[c + 1]].tolist()) for c in range(ncls)]
    members: list[list[int]] = [[] for _ in range(ncls)]
    for i in np.flatnonzero(selected):
        members[cls[i]].append(int(i))
    in_count = np.array([len(q) for q in pools], dtype=np.int64).reshape(ntypes, _NPROF)
    out_count = np.array([len(m) for m in members], dtype=np.int64).reshape(ntypes, _NPROF)
    moving = ~np.eye(_NPROF, dtype=bool)[None, :, :]  # a swap within one class changes nothing
    never = np.iinfo(np.int64).max

    for _ in range(_REPAIR_STEPS):
        short = objective.shortfall(counts)
        if short <= 0:
            break
        after = counts + _DELTA  # [p_in, p_out, k]: the same for every case type
        keys = objective.key(after)
        pairs = in_count[:, :, None] * out_count[:, None, :]  # [t, p_in, p_out]
        masked = np.where(pairs > 0, keys[None, :, :], never)
        best = masked.min()
        if best < objective.key(counts):
            ties = np.flatnonzero(masked == best)
            w = pairs.ravel()[ties].astype(float)
        else:
            ties = np.flatnonzero((pairs > 0) & moving & (objective.shortfall(after) <= short)[None, :, :])
            if not len(ties):
                break
            w = np.ones(len(ties))
        flat = int(ties[rng.choice(len(ties), p=w / w.sum())]) if len(ties) > 1 else int(ties[0])
        t, rest = divmod(flat, _NPROF * _NPROF)
        p_in, p_out = divmod(rest, _NPROF)
        c_in, c_out = t * _NPROF + p_in, t * _NPROF + p_out
        i_in = pools[c_in].popleft()
        out_list = members[c_out]
        j = int(rng.integers(len(out_list)))
        i_out = out_list[j]
        out_list[j] = out_list[-1]
        out_list.pop()
        members[c_in].append(i_in)
        pools[c_out].append(i_out)
        in_count[t, p_in] -= 1
        out_count[t, p_in] += 1
        out_count[t, p_out] -= 1
        in_count[t, p_out] += 1
        selected[i_in], selected[i_out] = True, False
        counts = counts + _DELTA[p_in, p_out]
    return counts


def _joint_problems(counts: np.ndarray, mix: SampleMix, objective: _Objective, n: int, female: int) -> list[SampleWarning]:
    problems = []
    for k, name in enumerate(QUOTAS):
        needed = int(objective.required[k])
        if counts[k] < needed:
            problems.append(
                SampleWarning(
                    quota=f"minimums.{name}",
                    required=needed,
                    actual=int(counts[k]),
                    message=(
                        f"the minimums compete for the same places of the case-type mix: the "
                        f"best sample found holds {counts[k]} {QUOTA_LABELS[name]} alongside the "
                        f"other quotas; the minimum is {needed}"
                    ),
                )
            )
    f = int(counts[_NQ])
    if not objective.lo <= f <= objective.hi:
        target, _, _ = _female_bounds(female, n, mix)
        problems.append(
            SampleWarning(
                quota="female",
                required=objective.lo if f < objective.lo else objective.hi,
                actual=f,
                message=(
                    f"the best sample found that meets the minimums holds {f} female offenders; "
                    f"in proportion to the caseload it needs {target} (±{mix.female_tolerance})"
                ),
            )
        )
    return problems


# --------------------------------------------------------------------------------------------
# CSV


_FIELDS: tuple[str, ...] = tuple(CaseAttributes.model_fields)
_REQUIRED: tuple[str, ...] = tuple(name for name, f in CaseAttributes.model_fields.items() if f.is_required())


def parse_caseload_csv(text: str) -> list[CaseAttributes]:
    """Read a caseload export: a header row naming ``CaseAttributes`` fields, one case a row.

    Column names are matched without regard to case or surrounding spaces; columns of fields
    with a default may be left out, and an empty cell takes the default. Booleans read
    true/false/yes/no/1/0 in any case; enum values are matched in any case with spaces or
    hyphens read as underscores ("Very High" is ``very_high``). Every problem is collected and
    raised as one ``CaseloadError``: unknown, duplicate or missing columns (row 1), and for each
    bad row each bad field, rows with the wrong number of cells, and repeated references. Row
    numbers are as a spreadsheet shows them (the header is row 1). Blank rows are skipped.
    """
    try:
        header, rows = table(text)
    except SpreadsheetError as exc:
        raise CaseloadError([{"row": exc.row, "field": None, "value": None, "message": exc.message}]) from exc
    columns = [h.lower() for h in header]
    errors: list[dict[str, Any]] = []
    unknown = [h for h, c in zip(header, columns, strict=True) if c not in _FIELDS]
    if unknown:
        errors.append(
            {
                "row": 1,
                "field": ", ".join(unknown),
                "value": None,
                "message": f"unknown column(s) {', '.join(map(repr, unknown))}; the columns are {', '.join(_FIELDS)}",
            }
        )
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        errors.append(
            {
                "row": 1,
                "field": ", ".join(repeated),
                "value": None,
                "message": f"repeated column(s): {', '.join(repeated)}",
            }
        )
    missing = [f for f in _REQUIRED if f not in columns]
    if missing:
        errors.append(
            {
                "row": 1,
                "field": ", ".join(missing),
                "value": None,
                "message": f"missing required column(s): {', '.join(missing)}",
            }
        )
    if errors:
        raise CaseloadError(errors)

    cases: list[CaseAttributes] = []
    first_row: dict[str, int] = {}
    try:
        numbered = list(rows)
    except SpreadsheetError as exc:
        raise CaseloadError([{"row": exc.row, "field": None, "value": None, "message": exc.message}]) from exc
    for row_no, cells in numbered:
        if len(cells) != len(columns):
            errors.append(
                {
                    "row": row_no,
                    "field": None,
                    "value": None,
                    "message": f"expected {len(columns)} cells, found {len(cells)}",
                }
            )
            continue
        data: dict[str, Any] = {}
        row_errors: list[dict[str, Any]] = []
        for column, raw in zip(columns, cells, strict=True):
            value = raw.strip()
            if value == "" and column not in _REQUIRED:
                continue  # the default
            if column in spreadsheet.BOOLEAN_COLUMNS:
                read = spreadsheet.case_cell(column, value)
                if isinstance(read, bool):
                    data[column] = read
                else:
                    row_errors.append(
                        {
                            "row": row_no,
                            "field": column,
                            "value": raw,
                            "message": "expected true/false, yes/no, y/n or 1/0",
                        }
                    )
                continue
            if value == "":
                continue  # required: pydantic reports it missing
            data[column] = spreadsheet.case_cell(column, value)
        try:
            case = CaseAttributes.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors():
                field = str(err["loc"][0]) if err["loc"] else None
                row_errors.append(
                    {
                        "row": row_no,
                        "field": field,
                        "value": cells[columns.index(field)] if field in columns else None,
                        "message": err["msg"],
                    }
                )
            case = None
        if case is not None and not row_errors:
            if case.reference in first_row:
                row_errors.append(
                    {
                        "row": row_no,
                        "field": "reference",
                        "value": case.reference,
                        "message": f"reference repeats row {first_row[case.reference]}",
                    }
                )
            else:
                first_row[case.reference] = row_no
                cases.append(case)
        errors.extend(row_errors)
    if errors:
        raise CaseloadError(errors)
    return cases
