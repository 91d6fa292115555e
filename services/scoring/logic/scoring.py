"""The scoring engine: pure, deterministic functions over plain data.

Rules: ``shared/spec/scoring.md``. No web framework, no database, no clock, no global state
(but a bounded memo of the bootstrap's draws, which depend on nothing but their size and seed).

* Point estimates (question proportions, criterion, section and RoH thread scores) are computed in
  exact rational arithmetic (:class:`fractions.Fraction`, the framework's weights read as the
  decimals they are written as) and converted to ``float`` once, at the end. A score that is exactly
  67.5 is therefore the float 67.5, never 67.49999999999999, and :func:`display_percent` rounds it
  the way the report must (68%).
* Question proportions carry a 95% Wilson score interval.
* Criterion, section and thread scores carry a 95% percentile bootstrap interval from resampling the
  assessed cases with replacement, vectorised with numpy: the answers become an
  ``n_cases x n_questions`` int8 matrix, each resample is a row of a ``resamples x n_cases`` matrix of
  draw counts, and the yes/relevant counts of every question in every resample come out of one
  matrix product.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import numpy as np

from shared.percent import display_percent
from shared.schemas.frameworks import Band, Criterion, Framework, LowestKeyQuestionRule

__all__ = [
    "Z_95",
    "AreaComparison",
    "CriterionScore",
    "InspectionScore",
    "Plan",
    "QuestionScore",
    "ScoreWithInterval",
    "SectionScore",
    "ThreadScore",
    "compare_with_mean",
    "display_percent",
    "score_inspection",
    "score_rows",
    "suggested_conclusion",
    "wilson_interval",
]

Z_95 = 1.959964
"""Two-sided 95% standard normal quantile, as fixed by the spec."""

_YES, _NO, _NA = 1, 0, -1
# A case's answers encode to one int8 byte per question. ``None`` is accepted as "unanswered" (a
# JSON null); a missing key means the same.
_CODES: dict[object, bytes] = {"yes": b"\x01", "no": b"\x00", "na": b"\xff", None: b"\xff"}
_BAD_BYTE = b"\x09"  # marks an answer that is none of the above
_PERCENTILES = (0.025, 0.975)
_BLOCK = 256  # resamples per block of the vectorised statistics (see _bootstrap)


# --------------------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class QuestionScore:
    id: str
    relevant: int
    above_line: int
    proportion: float | None
    interval: tuple[float, float] | None


@dataclass(frozen=True, slots=True)
class CriterionScore:
    id: str
    score: float | None
    interval: tuple[float, float] | None
    rating: str | None
    suggested_conclusion: str | None
    questions: list[QuestionScore]


@dataclass(frozen=True, slots=True)
class SectionScore:
    id: str
    score: float | None
    interval: tuple[float, float] | None


@dataclass(frozen=True, slots=True)
class ThreadScore:
    score: float | None
    interval: tuple[float, float] | None


@dataclass(frozen=True, slots=True)
class InspectionScore:
    cases_assessed: int
    criteria: list[CriterionScore]
    sections: list[SectionScore]
    roh_thread: ThreadScore


@dataclass(frozen=True, slots=True)
class AreaComparison:
    inspection_id: str
    score: float | None
    interval: tuple[float, float] | None
    differs: Literal["above", "below"] | None


# ------------------------------------------------------------------------------- small functions


def wilson_interval(above: int, relevant: int, z: float = Z_95) -> tuple[float, float] | None:
    """95% (by default) Wilson score interval of ``above / relevant``, on 0-100.

    ``None`` when ``relevant == 0``. The bounds are clipped to [0, 100] against rounding error.
    """
    if relevant < 0 or above < 0 or above > relevant:
        raise ValueError(f"need 0 <= above <= relevant, got above={above}, relevant={relevant}")
    if relevant == 0:
        return None
    n = float(relevant)
    p = above / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denom
    half = (z / denom) * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n))
    lo = max(0.0, min(100.0 * (centre - half), 100.0 * p))
    hi = min(100.0, max(100.0 * (centre + half), 100.0 * p))
    return (lo, hi)


def _band_label(bands: Sequence[Band], score: float | None) -> str | None:
    """Label of the highest band whose ``min`` is at or below ``score`` (bands in any order)."""
    if score is None:
        return None
    best: Band | None = None
    for band in bands:
        if band.min <= score and (best is None or band.min > best.min):
            best = band
    return None if best is None else best.label


def suggested_conclusion(framework: Framework, score: float | None) -> str | None:
    """The conclusion the framework's bands suggest for ``score`` (the inspectors' is the record)."""
    return _band_label(framework.conclusion_bands, score)


ScoreWithInterval = tuple[float | None, tuple[float, float] | None]


def compare_with_mean(
    scores: Mapping[str, ScoreWithInterval],
) -> tuple[float | None, list[AreaComparison]]:
    """National mean of the defined scores, and each area against it (in the mapping's order).

    An area ``differs`` only when its whole interval lies above (``lo > mean``) or below
    (``hi < mean``) the mean; an interval touching or straddling the mean, or a missing score or
    interval, gives ``None``. The mean includes every area, the compared one too.
    """
    defined = [float(s) for s, _ in scores.values() if s is not None]
    mean = math.fsum(defined) / len(defined) if defined else None
    out: list[AreaComparison] = []
    for inspection_id, (score, interval) in scores.items():
        differs: Literal["above", "below"] | None = None
        if mean is not None and score is not None and interval is not None:
            lo, hi = interval
            if lo > mean:
                differs = "above"
            elif hi < mean:
                differs = "below"
        out.append(AreaComparison(inspection_id, score, interval, differs))
    return mean, out


# ---------------------------------------------------------------------------- the scoring plan


class Plan:
    """A framework compiled to column indices: which questions feed which statistic.

    Columns are laid out criterion by criterion, each criterion as two contiguous blocks: its
    *primary* questions then its *secondary* ones. Under the weighted-mean rule the primary block is
    the individual questions and the secondary block the summary question; under the
    lowest-key-question rule it is the key questions, then the others. Criteria come in section
    order, so every section's criteria are contiguous as well. One ``ufunc.reduceat`` along the
    columns then gives every block's sum (or minimum) for every resample at once, without copying
    columns about, and in a fixed order of summation (no BLAS), so results are bitwise reproducible.
    """

    def __init__(self, framework: Framework) -> None:
        self.framework = framework
        self.lowest_key = isinstance(framework.scoring, LowestKeyQuestionRule)
        self.ratings: list[Band] = framework.scoring.ratings if isinstance(framework.scoring, LowestKeyQuestionRule) else []
        self.w_q = Fraction(str(framework.weights.questions))
        self.w_s = Fraction(str(framework.weights.summary))

        thread_sections = framework.roh_thread_sections
        self.criteria: list[Criterion] = []
        self.section_ids: list[str] = []
        section_starts: list[int] = []
        self.column: dict[str, int] = {}  # question id -> column of the layout
        self.primary: list[list[int]] = []  # per criterion, columns of its primary block
        self.secondary: list[list[int]] = []
        self.section_members: list[list[int]] = []
        thread: list[int] = []
        for section in framework.sections:
            members: list[int] = []
            in_thread = thread_sections is None or section.id in thread_sections
            for criterion in section.criteria:
                if criterion.scored_by != "cases":
                    continue
                members.append(len(self.criteria))
                self.criteria.append(criterion)
                if self.lowest_key:
                    first = [q for q in criterion.questions if q.key]
                    then = [q for q in criterion.questions if not q.key]
                else:
                    first = [q for q in criterion.questions if not q.summary]
                    then = [q for q in criterion.questions if q.summary]
                blocks: list[list[int]] = []
                for block in (first, then):
                    cols: list[int] = []
                    for q in block:
                        col = len(self.column)
                        self.column[q.id] = col
                        cols.append(col)
                        if q.roh and in_thread:
                            thread.append(col)
                    blocks.append(cols)
                self.primary.append(blocks[0])
                self.secondary.append(blocks[1])
            if members:
                section_starts.append(members[0])
                self.section_ids.append(section.id)
                self.section_members.append(members)
        self.qids = list(self.column)
        self._fallback = [_BAD_BYTE] * len(self.qids)
        self.thread = sorted(thread)
        self.n_stats = len(self.criteria) + len(self.section_ids) + 1

        # reduceat plan: the starts of the non-empty blocks, and where each block's result lands.
        starts: list[int] = []
        self.primary_pos = np.full(len(self.criteria), -1, dtype=np.intp)
        self.secondary_pos = np.full(len(self.criteria), -1, dtype=np.intp)
        for c, (primary, secondary) in enumerate(zip(self.primary, self.secondary, strict=True)):
            for columns, pos in ((primary, self.primary_pos), (secondary, self.secondary_pos)):
                if columns:
                    pos[c] = len(starts)
                    starts.append(columns[0])
        self.block_starts = np.array(starts, dtype=np.intp)
        self.section_starts = np.array(section_starts, dtype=np.intp)
        self.thread_cols = np.array(self.thread, dtype=np.intp)

    # ---------------------------------------------------------------------------- encoding

    def encode_row(self, answers: Mapping[str, str | None]) -> bytes:
        """One case's answers as a row of the matrix (``n_questions`` int8 bytes); unknown ids are ignored.

        Rows are bytes so that a caller may keep them per case and re-encode only what changed."""
        # map() keeps the per-answer loop in C: this runs for every answer of every case encoded.
        row = b"".join(map(_CODES.get, map(answers.get, self.qids), self._fallback))
        if _BAD_BYTE in row:
            j = row.index(_BAD_BYTE)
            raise ValueError(f"answer {answers[self.qids[j]]!r} to question {self.qids[j]!r} is not 'yes', 'no' or 'na'")
        return row

    def matrix(self, rows: Sequence[bytes]) -> np.ndarray:
        """``n_cases x n_questions`` int8 from encoded rows: 1 yes, 0 no, -1 na or unanswered."""
        return np.frombuffer(b"".join(rows), dtype=np.int8).reshape(len(rows), len(self.qids))

    def encode_rows(self, answers: Sequence[Mapping[str, str | None]]) -> list[bytes]:
        rows = []
        for i, case in enumerate(answers):
            try:
                rows.append(self.encode_row(case))
            except ValueError as exc:
                raise ValueError(f"case {i}: {exc}") from None
        return rows

    # -------------------------------------------------------------- exact point estimates

    @staticmethod
    def _mean(values: Sequence[Fraction | None]) -> Fraction | None:
        defined = [v for v in values if v is not None]
        return sum(defined, Fraction(0)) / len(defined) if defined else None

    @staticmethod
    def _mean_p(above: Sequence[int], relevant: Sequence[int], cols: Sequence[int]) -> Fraction | None:
        """Exact mean of ``p = 100 * above / relevant`` over the columns with ``relevant > 0``.

        Summed over a common denominator in integers, with a single Fraction at the end: the same
        value as adding Fractions one by one, at a fraction of the cost.
        """
        defined = [(above[j], relevant[j]) for j in cols if relevant[j]]
        if not defined:
            return None
        common = math.lcm(*(r for _, r in defined))
        return Fraction(100 * sum(a * (common // r) for a, r in defined), common * len(defined))

    def point(
        self, above: Sequence[int], relevant: Sequence[int]
    ) -> tuple[list[Fraction | None], list[Fraction | None], Fraction | None]:
        """Exact criterion, section and thread scores from the per-column counts."""
        criteria: list[Fraction | None] = []
        for first, then in zip(self.primary, self.secondary, strict=True):
            if self.lowest_key:
                keys = [Fraction(100 * above[j], relevant[j]) for j in first if relevant[j]]
                criteria.append(min(keys) if keys else None)
                continue
            q_mean = self._mean_p(above, relevant, first)
            # The framework validator guarantees exactly one summary question, so this is p(s).
            s_mean = self._mean_p(above, relevant, then)
            if q_mean is not None and s_mean is not None:
                criteria.append(self.w_q * q_mean + self.w_s * s_mean)
            else:
                criteria.append(q_mean if q_mean is not None else s_mean)
        sections = [self._mean([criteria[c] for c in members]) for members in self.section_members]
        thread = self._mean_p(above, relevant, self.thread)
        return criteria, sections, thread

    # ------------------------------------------------------------- vectorised bootstrap

    @staticmethod
    def _place(blocks: np.ndarray, pos: np.ndarray, empty: float) -> np.ndarray:
        """Per-criterion columns from per-block results; ``empty`` where the block is empty."""
        out = np.full((blocks.shape[0], pos.size), empty)
        has = pos >= 0
        out[:, has] = blocks[:, pos[has]]
        return out

    def statistics(self, yes: np.ndarray, rel: np.ndarray) -> np.ndarray:
        """Criterion, section and thread scores for every resample (rows), NaN where undefined.

        ``yes`` and ``rel`` are ``resamples x n_questions`` float counts. Returns
        ``resamples x (n_criteria + n_sections + 1)``.
        """
        # p0 = 100 * yes / rel where rel > 0, else 0 (yes is 0 there too): no 0/0, no warning.
        # 100 * yes is an exact integer, so each p0 is the correctly rounded proportion.
        p0 = yes * 100.0
        p0 /= np.maximum(rel, 1.0)
        defined = np.minimum(rel, 1.0)  # 1.0 where the question is relevant to the resample
        if self.lowest_key:
            lowest = np.minimum.reduceat(np.where(rel > 0, p0, np.inf), self.block_starts, axis=1)
            crit = self._place(lowest, self.primary_pos, np.inf)
            crit[np.isinf(crit)] = np.nan
        else:
            sums = np.add.reduceat(p0, self.block_starts, axis=1)
            counts = np.add.reduceat(defined, self.block_starts, axis=1)
            place = self._place
            q_mean = _ratio(place(sums, self.primary_pos, 0.0), place(counts, self.primary_pos, 0.0))
            s_mean = _ratio(place(sums, self.secondary_pos, 0.0), place(counts, self.secondary_pos, 0.0))
            # w_q*Q + w_s*P written as Q + w_s*(P - Q) (w_q + w_s = 1): exactly Q when P == Q, and
            # within [min(P, Q), max(P, Q)]. NaN unless both are defined; then fall back on either.
            crit = q_mean + float(self.w_s) * (s_mean - q_mean)
            only_s = np.isnan(q_mean)
            crit[only_s] = s_mean[only_s]
            only_q = np.isnan(s_mean) & ~only_s
            crit[only_q] = q_mean[only_q]
        crit_defined = ~np.isnan(crit)
        if self.section_starts.size:
            sections = _ratio(
                np.add.reduceat(np.where(crit_defined, crit, 0.0), self.section_starts, axis=1),
                np.add.reduceat(crit_defined.astype(np.float64), self.section_starts, axis=1),
            )
        else:
            sections = np.empty((crit.shape[0], 0))
        thread = _ratio(
            p0[:, self.thread_cols].sum(axis=1, keepdims=True),
            defined[:, self.thread_cols].sum(axis=1, keepdims=True),
        )
        return np.concatenate([crit, sections, thread], axis=1)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` with NaN (and no warning) where ``den == 0``."""
    ratio: np.ndarray = np.divide(num, den, out=np.full(num.shape, np.nan), where=den > 0)
    return ratio


def _percentile_intervals(stats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """2.5th and 97.5th percentiles of each column over its non-NaN rows (numpy's 'linear' rule).

    Columns with no defined row give NaN. Sorting puts NaN last, so the defined values of a column
    are its first ``valid`` sorted rows; no all-NaN slice is ever handed to a nan-function.
    """
    srt = np.sort(stats, axis=0)
    valid = np.count_nonzero(~np.isnan(stats), axis=0)
    last = np.maximum(valid - 1, 0)
    bounds = []
    for q in _PERCENTILES:
        pos = q * last
        below = np.floor(pos).astype(np.intp)
        above = np.minimum(below + 1, last)
        frac = pos - below
        a = np.take_along_axis(srt, below[None, :], axis=0)[0]
        b = np.take_along_axis(srt, above[None, :], axis=0)[0]
        bounds.append(np.where(valid > 0, a + frac * (b - a), np.nan))
    return bounds[0], bounds[1]


def _draw_counts(n: int, resamples: int, seed: int) -> np.ndarray:
    """How often each of ``n`` cases is drawn in each resample: a read-only ``resamples x n`` matrix, of bytes
    where the counts fit one (``n`` <= 255: a case is drawn at most ``n`` times), float32 otherwise.

    It depends on nothing but its arguments (the cases are put in canonical order before they meet
    it), so draws of a usual size are made once and kept: the same matrix as drawing afresh."""
    if n * resamples <= _KEEP_DRAWS_UP_TO:
        return _kept_draw_counts(n, resamples, seed)
    return _new_draw_counts(n, resamples, seed)


def _new_draw_counts(n: int, resamples: int, seed: int) -> np.ndarray:
    # The matrix is made before its temporaries, so that their memory, freed above it, goes back
    # to the allocator whole (made after them, each kept matrix left holes that stayed resident).
    # Bytes take a quarter of float32's memory (the kept draws of the usual sizes: 1.3 MB, not 5.3). The product
    # with float32 indicators is the same float32 product: numpy casts the bytes for it, a float32 temporary each
    # call (0.5 MB at 1,000 x 120, 0.06 ms), so what is kept falls, not a call's peak.
    counts = np.empty((resamples, n), dtype=np.uint8 if n <= _BYTE_COUNTS_UP_TO else np.float32)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n, size=(resamples, n))
    draws += (np.arange(resamples) * n)[:, None]
    counts.ravel()[:] = np.bincount(draws.ravel(), minlength=resamples * n)
    counts.flags.writeable = False
    return counts


# A memo of a pure function, bounded: at most 32 matrices of at most 2 MB.
_KEEP_DRAWS_UP_TO = 500_000
_BYTE_COUNTS_UP_TO = 255
_kept_draw_counts = functools.lru_cache(maxsize=32)(_new_draw_counts)


def _bootstrap(plan: Plan, matrix: np.ndarray, resamples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap bounds for every criterion, section and the thread (NaN if undefined)."""
    # Canonical case order: rows sorted lexicographically by their answer vectors. Equal rows are
    # interchangeable, so the sorted matrix (and with it every resample) does not depend on the
    # order in which the cases were given.
    order = np.lexsort(matrix.T[::-1])
    matrix = matrix[order]
    # Indicators of "yes" and of "relevant" side by side, so one product counts both. Counts are
    # integers well below 2**24, so float32 products are exact whatever the BLAS summation order.
    xy = np.concatenate([matrix == _YES, matrix >= _NO], axis=1).astype(np.float32)
    # Yes and relevant counts of every question in every resample: one matrix product (a single
    # BLAS call, so a multi-threaded BLAS synchronises once, not once per block).
    counts = _draw_counts(matrix.shape[0], resamples, seed) @ xy
    m = matrix.shape[1]
    stats = np.empty((resamples, plan.n_stats))
    # The statistics are then computed in fixed-size blocks of resamples: the float64 temporaries
    # stay small and cache-resident and are recycled by the allocator instead of being page-faulted
    # in afresh. Row-wise arithmetic only, so the block size does not change any result.
    for lo in range(0, resamples, _BLOCK):
        hi = min(lo + _BLOCK, resamples)
        stats[lo:hi] = plan.statistics(counts[lo:hi, :m].astype(np.float64), counts[lo:hi, m:].astype(np.float64))
    return _percentile_intervals(stats)


def _as_float(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


def _bracket(score: float | None, lo: float, hi: float) -> tuple[float, float] | None:
    """The bootstrap interval, widened if need be to contain its score, clipped to [0, 100].

    A percentile interval of a ratio-of-counts statistic need not contain the point estimate in a
    small sample (the bootstrap distribution can be skewed wholly to one side of it, e.g. when a
    question's few relevant cases are often left out of a resample and the mean then falls back on
    other questions). The API promises that an interval brackets its score, so the interval reported
    is [min(lo, score), max(hi, score)]. If no resample defines the statistic at all (possible only
    with very few resamples) the interval degenerates to [score, score].
    """
    if score is None:
        return None
    if math.isnan(lo) or math.isnan(hi):
        return (score, score)
    return (max(0.0, min(lo, score)), min(100.0, max(hi, score)))


# ----------------------------------------------------------------------------------- the engine


def score_inspection(
    framework: Framework,
    answers: Sequence[Mapping[str, str | None]],
    *,
    resamples: int,
    seed: int = 2008,
) -> InspectionScore:
    """Score one sample of assessed cases against ``framework``.

    ``answers`` holds one mapping per assessed case: question id -> "yes" | "no" | "na" (a missing
    question, or ``None``, is unanswered and counts like "na"; ids the framework does not score are
    ignored). Only criteria scored by cases are returned; sections are those holding at least one.
    Deterministic: the same data, ``resamples`` and ``seed`` give the same result, whatever the
    order of the cases. ``resamples`` has no default here: the service's is its setting
    (``bootstrap_resamples``).
    """
    plan = Plan(framework)
    return score_rows(plan, plan.encode_rows(answers), resamples=resamples, seed=seed)


def score_rows(plan: Plan, rows: Sequence[bytes], *, resamples: int, seed: int = 2008) -> InspectionScore:
    """:func:`score_inspection` of cases already encoded with ``plan.encode_row``."""
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")
    framework = plan.framework
    matrix = plan.matrix(rows)
    n_cases = matrix.shape[0]

    above = np.count_nonzero(matrix == _YES, axis=0).tolist()
    relevant = np.count_nonzero(matrix >= _NO, axis=0).tolist()
    crit, sections, thread = plan.point(above, relevant)
    crit_f = [_as_float(v) for v in crit]
    sections_f = [_as_float(v) for v in sections]
    thread_f = _as_float(thread)

    if n_cases and plan.qids:
        lo, hi = _bootstrap(plan, matrix, resamples, seed)
    else:
        lo = hi = np.full(plan.n_stats, np.nan)
    lo_l, hi_l = lo.tolist(), hi.tolist()
    intervals = [_bracket(s, a, b) for s, a, b in zip([*crit_f, *sections_f, thread_f], lo_l, hi_l, strict=True)]

    criteria: list[CriterionScore] = []
    for c, criterion in enumerate(plan.criteria):
        questions = []
        for q in criterion.questions:  # framework order
            col = plan.column[q.id]
            questions.append(
                QuestionScore(
                    id=q.id,
                    relevant=relevant[col],
                    above_line=above[col],
                    # 100 * above is an exact integer: this division is correctly rounded, the
                    # float nearest the exact proportion.
                    proportion=100 * above[col] / relevant[col] if relevant[col] else None,
                    interval=wilson_interval(above[col], relevant[col]),
                )
            )
        score = crit_f[c]
        criteria.append(
            CriterionScore(
                id=criterion.id,
                score=score,
                interval=intervals[c],
                rating=_band_label(plan.ratings, score) if plan.lowest_key else None,
                suggested_conclusion=suggested_conclusion(framework, score),
                questions=questions,
            )
        )
    k = len(crit)
    section_scores = [
        SectionScore(id=sid, score=sections_f[i], interval=intervals[k + i]) for i, sid in enumerate(plan.section_ids)
    ]
    return InspectionScore(
        cases_assessed=n_cases,
        criteria=criteria,
        sections=section_scores,
        roh_thread=ThreadScore(score=thread_f, interval=intervals[-1]),
    )
