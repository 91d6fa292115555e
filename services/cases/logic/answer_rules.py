"""A framework version's answer rules compiled once (a version never changes): which questions it has and
which apply to each case type, so checking a case's answers is a few set lookups, not a walk of the document."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.schemas.common import FieldError
from shared.schemas.enums import CaseType, Judgement
from shared.schemas.frameworks import Framework

_JUDGEMENTS = frozenset(Judgement.__members__)


@dataclass(frozen=True)
class AnswerRules:
    label: str  # "omi-2008 v1", as messages name the framework
    questions: frozenset[str]
    applicable: Mapping[CaseType, frozenset[str]]

    def check(
        self, case_type: CaseType, answers: Mapping[str, Any], evidence: Mapping[str, Any], prefix: str = ""
    ) -> list[FieldError]:
        """Every entry the framework does not allow for this case, named; empty when all is well."""
        applicable = self.applicable[case_type]
        errors: list[FieldError] = []
        for question_id, judgement in answers.items():
            if judgement in _JUDGEMENTS and (
                question_id in applicable or (judgement == Judgement.na and question_id in self.questions)
            ):
                continue  # the usual case, decided without building anything
            field = f"{prefix}answers.{question_id}"
            if question_id not in self.questions:
                errors.append(self._unknown(field, question_id))
            elif judgement not in _JUDGEMENTS:
                message = f"{judgement!r} is not a judgement; use yes, no or na"
                errors.append(FieldError(field=field, location="body", type="judgement", message=message))
            else:
                message = f"{question_id} does not apply to {case_type.value} cases; answer na or leave it out"
                errors.append(FieldError(field=field, location="body", type="not_applicable", message=message))
        errors += [self._unknown(f"{prefix}evidence.{q}", q) for q in evidence if q not in self.questions]
        return errors

    def _unknown(self, field: str, question_id: str) -> FieldError:
        message = f"{question_id} is not a question of {self.label}"
        return FieldError(field=field, location="body", type="unknown_question", message=message)


_COMPILED: dict[tuple[str, int], AnswerRules] = {}


def rules_of(framework: Framework) -> AnswerRules:
    """The compiled rules of a framework version (compiled on first use)."""
    key = (framework.id, framework.version)
    if (rules := _COMPILED.get(key)) is None:
        questions = framework.questions().values()
        rules = AnswerRules(
            label=f"{framework.id} v{framework.version}",
            questions=frozenset(q.id for q in questions),
            applicable={t: frozenset(q.id for q in questions if q.applies(t)) for t in CaseType},
        )
        _COMPILED[key] = rules
    return rules
