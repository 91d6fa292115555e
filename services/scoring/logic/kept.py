"""The compact form in which the scoring service keeps an assessed case between requests: only what scoring
reads of it (its id, the attributes scores filter and group on, its assessment's version and answers), made
as each case of a bulk read is parsed, so that a read's parsed documents never pile up."""

import struct
import threading
from array import array
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

from pydantic import AfterValidator, BaseModel

from shared.case_filters import CASE_ATTRIBUTES
from shared.errors import UpstreamFailed
from shared.schemas.cases import CaseAssessment, attribute_text

# One byte per answer and two per question id (its number in the index below): a parsed case with its
# 125-answer dict and wire documents is about 7 KB, this about 0.6 KB.
_CODES = {"yes": b"y", "no": b"n", "na": b"a"}
_JUDGEMENTS = {code[0]: judgement for judgement, code in _CODES.items()}
_POSITION = {name: position for position, name in enumerate(CASE_ATTRIBUTES)}

# Every question id met, numbered in the order met. The cases service stores answers only to its frameworks'
# questions (a few hundred a framework), so the index stays small; the bound stops a cases service gone
# wrong from growing it without end.
QUESTION_IDS_MAX = 4096
_NUMBERS: dict[str, int] = {}
_QUESTION_IDS: list[str] = []
_NEW_IDS = threading.Lock()


def _numbers(question_ids: Collection[str]) -> bytes:
    """The question ids' numbers in the index (two bytes each, as array("H") reads them), new ones numbered."""
    try:
        return struct.pack(f"{len(question_ids)}H", *map(_NUMBERS.__getitem__, question_ids))
    except KeyError:
        pass
    with _NEW_IDS:
        for question_id in question_ids:
            if question_id not in _NUMBERS:
                if len(_QUESTION_IDS) >= QUESTION_IDS_MAX:
                    raise UpstreamFailed(f"the cases service sent answers to more than {QUESTION_IDS_MAX} question ids")
                _NUMBERS[question_id] = len(_QUESTION_IDS)
                _QUESTION_IDS.append(question_id)
    return struct.pack(f"{len(question_ids)}H", *map(_NUMBERS.__getitem__, question_ids))


@dataclass(frozen=True, slots=True)
class KeptCase:
    """An assessed case of a kept sample."""

    id: UUID
    attributes: tuple[object, ...]  # the case's values of CASE_ATTRIBUTES, in that order (enum members, booleans, tiers)
    version: int  # of its assessment
    updated_at: datetime
    questions: bytes  # the answered question ids' numbers in the index, in the order stored
    judgements: bytes  # their answers, one code each

    def attribute(self, name: str) -> str:
        """The case's value of a CASE_ATTRIBUTES attribute, as text (see attribute_text)."""
        return attribute_text(self.attributes[_POSITION[name]])

    def answers(self) -> dict[str, str]:
        """The assessment's answers as stored: question id to yes | no | na."""
        question_ids = map(_QUESTION_IDS.__getitem__, array("H", self.questions))
        return dict(zip(question_ids, map(_JUDGEMENTS.__getitem__, self.judgements), strict=True))


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
        questions=_numbers(answers),
        judgements=b"".join(map(_CODES.__getitem__, answers.values())),
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
