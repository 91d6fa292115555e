"""The compact form in which the scoring service keeps an assessed case between requests: only what scoring
reads of it (its id, the attributes scores filter and group on, its assessment's version and answers), made
as each case of a bulk read is parsed, so that a read's parsed documents never pile up."""

import threading
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

from pydantic import AfterValidator, BaseModel

from services.scoring.logic.scoring import Plan
from shared.case_filters import CASE_ATTRIBUTES
from shared.errors import UpstreamFailed
from shared.schemas.cases import CaseAssessment, attribute_text

# The answers as one byte per question of the index below, at the question's number (0: not answered), up to
# its last answered one: a parsed case with its 125-answer dict and wire documents is about 7 KB, this about
# 0.2 KB under the first framework met (a later framework's cases also carry a byte for each question numbered
# before theirs). Each case's question numbers beside its answers, as before, took twice that again.
_CODES = {"yes": 1, "no": 2, "na": 3}
_JUDGEMENTS = ("", "yes", "no", "na")  # by code (0, not answered, is never read)
_POSITION = {name: position for position, name in enumerate(CASE_ATTRIBUTES)}

# Every question id met, numbered in the order met. The cases service stores answers only to its frameworks'
# questions (a few hundred a framework), so the index stays small; the bound stops a cases service gone
# wrong from growing it without end.
QUESTION_IDS_MAX = 4096
_NUMBERS: dict[str, int] = {}
_QUESTION_IDS: list[str] = []
_NEW_IDS = threading.Lock()


def _number(question_ids: Collection[str]) -> None:
    """Number the question ids not yet in the index."""
    with _NEW_IDS:
        for question_id in question_ids:
            if question_id not in _NUMBERS:
                if len(_QUESTION_IDS) >= QUESTION_IDS_MAX:
                    raise UpstreamFailed(f"the cases service sent answers to more than {QUESTION_IDS_MAX} question ids")
                _NUMBERS[question_id] = len(_QUESTION_IDS)
                _QUESTION_IDS.append(question_id)


def _coded(answers: Mapping[str, str]) -> bytes:
    # A plain loop: faster here than map() and a packed list of numbers (10 µs a 125-answer case, not 16).
    codes = bytearray(len(_QUESTION_IDS))
    for question_id, judgement in answers.items():
        codes[_NUMBERS[question_id]] = _CODES[judgement]
    return bytes(codes).rstrip(b"\0")  # the questions numbered after its last answer take no room


def _judgements(answers: Mapping[str, str]) -> bytes:
    """The answers' codes, each at its question's number (0 where a question is not answered)."""
    try:
        return _coded(answers)
    except (KeyError, IndexError):  # a question met for the first time (or numbered since the codes were sized)
        _number(answers)
        return _coded(answers)


@dataclass(slots=True, eq=False)
class KeptCase:
    """An assessed case of a kept sample: what it was read as never changes (a change is read as a new one)."""

    id: UUID
    attributes: tuple[object, ...]  # the case's values of CASE_ATTRIBUTES, in that order (enum members, booleans, tiers)
    version: int  # of its assessment
    updated_at: datetime
    judgements: bytes  # its answers' codes by question number in the index (see _judgements)
    # Its answers encoded for the plan last asked (a sample is scored under its one framework), kept with it
    # so that a changed sample encodes only its changed cases, and the encoding goes when the case does.
    # One tuple, replaced whole, so that threads scoring at once never pair a plan with another's row.
    _encoded: tuple[Plan, bytes] | None = field(default=None, repr=False)

    def attribute(self, name: str) -> str:
        """The case's value of a CASE_ATTRIBUTES attribute, as text (see attribute_text)."""
        return attribute_text(self.attributes[_POSITION[name]])

    def answers(self) -> dict[str, str]:
        """The assessment's answers as stored: question id to yes | no | na (in the index's order)."""
        return {_QUESTION_IDS[number]: _JUDGEMENTS[code] for number, code in enumerate(self.judgements) if code}

    def row(self, plan: Plan) -> bytes:
        """Its answers as a row of ``plan``'s matrix (Plan.encode_row), encoded once per plan."""
        encoded = self._encoded
        if encoded is None or encoded[0] is not plan:
            encoded = self._encoded = (plan, plan.encode_row(self.answers()))
        return encoded[1]


def kept(item: CaseAssessment) -> KeptCase | None:
    """The kept form of a case of a bulk read; None when it is not assessed (a sample keeps only assessed cases)."""
    assessment = item.assessment
    if assessment is None:
        return None
    case, answers = item.case, assessment.answers
    return KeptCase(
        id=case.id,
        attributes=tuple(getattr(case, name) for name in CASE_ATTRIBUTES),
        version=assessment.version,
        updated_at=assessment.updated_at,
        judgements=_judgements(answers),
    )


# A case of a bulk read, made compact as soon as it is validated: the wire document is dropped at once.
if TYPE_CHECKING:
    KeptItem = KeptCase | None
else:
    KeptItem = Annotated[CaseAssessment, AfterValidator(kept)]


class SampleChanges(BaseModel):
    """shared.schemas.cases.SampleChanges as scoring reads it: its items kept (None for those not assessed)."""

    inspection_id: UUID
    sample_revision: int
    items: list[KeptItem]


class AssessmentChanges(BaseModel):
    """shared.schemas.cases.AssessmentChanges as scoring reads it."""

    samples: list[SampleChanges]
    deferred: list[UUID]
    missing: list[UUID]


def assessed(items: Iterable[KeptItem]) -> dict[UUID, KeptCase]:
    """The assessed ones of a read's items, by case id."""
    return {item.id: item for item in items if item is not None}
