"""What returns add up to, in one pass over their answers: per question how many answered and how many
are without data, each option's count and share of those who answered, number statistics. Free text
is only ever counted, never read out. Split summaries put the same side by side per value."""

import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from operator import countOf, methodcaller
from typing import Any, NamedTuple

from shared.case_filters import CASE_ATTRIBUTES
from shared.errors import invalid
from shared.schemas.cases import attribute_text
from shared.schemas.questionnaires import (
    ONE_OPTION_TYPES,
    NumberStatistics,
    OptionCount,
    QuestionnaireSplit,
    QuestionnaireSplitGroup,
    QuestionnaireSummary,
    QuestionnaireTemplate,
    QuestionSummary,
    QuestionType,
    TemplateQuestion,
)

Filters = Mapping[str, Sequence[str]]


class Counted(NamedTuple):
    """A return that counts: its answers and, when it names a case, that case's attributes."""

    answers: Mapping[str, Any]
    case_attributes: Mapping[str, Any] | None


@dataclass(frozen=True)
class Sent:
    """How many were sent (None: unknown) and, when known, to which cases (id -> attributes)."""

    count: int | None
    cases: Mapping[str, Mapping[str, Any]] | None


def _matches(attributes: Mapping[str, Any] | None, filters: Filters) -> bool:
    if not filters:
        return True
    if attributes is None:
        return False  # an anonymous return has no case attributes to match
    return all(attribute_text(attributes.get(name)) in values for name, values in filters.items())


def _sent_to(sent: Sent, filters: Filters) -> int | None:
    """What was sent to the cases the filters keep: countable only when the cases are known."""
    if not filters:
        return sent.count
    if sent.cases is None:
        return None
    return sum(_matches(attributes, filters) for attributes in sent.cases.values())


def _statistics(values: list[int]) -> NumberStatistics:
    return NumberStatistics(min=min(values), median=statistics.median(values), max=max(values))


def _percentage(count: int, of: int) -> float | None:
    return 100 * count / of if of else None


def _question_summary(question: TemplateQuestion, answer_sets: Sequence[Mapping[str, Any]], returned: int) -> QuestionSummary:
    """One question's figures. Each is one pass over the answers, in C (map, Counter, countOf): a
    summary of thousands of returns takes milliseconds. Free text is only counted."""
    values = list(map(methodcaller("get", question.id), answer_sets))
    answered = returned - countOf(values, None)
    statistics_ = None
    tally: Mapping[str, int] = {}
    if question.type in ONE_OPTION_TYPES:
        tally = Counter(values)
    elif question.type == QuestionType.multiple_choice:
        tally = Counter(chain.from_iterable(filter(None, values)))
    elif question.type == QuestionType.number and answered:
        statistics_ = _statistics([v for v in values if v is not None])
    return QuestionSummary(
        id=question.id,
        text=question.text.en,
        type=question.type.value,
        answered=answered,
        without_data=returned - answered,
        options=[
            OptionCount(value=option, count=tally.get(option, 0), percentage=_percentage(tally.get(option, 0), answered))
            for option in question.options
        ],
        statistics=statistics_,
    )


def summarise(
    template: QuestionnaireTemplate, sent: int | None, returns: Sequence[Counted], filters: Filters
) -> QuestionnaireSummary:
    """The summary of these returns (all of them counted), against ``sent``; ``filters``: what chose them."""
    answer_sets = [counted.answers for counted in returns]
    returned = len(answer_sets)
    questions = [_question_summary(question, answer_sets, returned) for question in template.questions]
    return QuestionnaireSummary(
        respondent=template.respondent,
        template_id=template.id,
        template_version=template.version,
        sent=sent,
        returned=returned,
        response_rate=_percentage(returned, sent) if sent is not None else None,
        over_returned=sent is not None and returned > sent,
        questions=questions,
        filters={name: list(values) for name, values in filters.items()},
    )


def summary(template: QuestionnaireTemplate, sent: Sent, returns: Sequence[Counted], filters: Filters) -> QuestionnaireSummary:
    """The summary of the returns whose cases the filters keep (every return without filters)."""
    kept = [r for r in returns if _matches(r.case_attributes, filters)] if filters else returns
    return summarise(template, _sent_to(sent, filters), kept, filters)


def split(
    template: QuestionnaireTemplate, sent: Sent, returns: Sequence[Counted], filters: Filters, by: str
) -> QuestionnaireSplit:
    """Summaries side by side, one per answer of a one-option question or per value of a case
    attribute, and one (value null) for the returns without one."""
    kept = [r for r in returns if _matches(r.case_attributes, filters)] if filters else returns
    question = template.question(by)
    groups: dict[str | None, list[Counted]]
    if question is not None:
        if question.type not in ONE_OPTION_TYPES:
            raise invalid(
                "split_by", f"{by} is a {question.type.value} question; split on a one-option question", location="query"
            )
        groups = {option: [] for option in question.options}
        for counted in kept:
            groups.setdefault(counted.answers.get(by), []).append(counted)
    elif by in CASE_ATTRIBUTES:
        found: dict[str | None, list[Counted]] = {}
        for counted in kept:
            value = attribute_text(counted.case_attributes[by]) if counted.case_attributes is not None else None
            found.setdefault(value, []).append(counted)
        groups = {value: found[value] for value in sorted(v for v in found if v is not None)}
        groups[None] = found.get(None, [])
    else:
        raise invalid(
            "split_by", f"{by} is neither a question of {template.id} v{template.version} nor a case attribute", location="query"
        )
    groups[None] = groups.pop(None, [])  # the returns without a value come last

    def sent_to(value: str | None) -> int | None:
        # Returns cannot be told apart by an answer before they come back: only an attribute's
        # share of what was sent is known, and only when the cases it was sent to are.
        if question is not None or value is None:
            return None
        return _sent_to(sent, {**filters, by: [value]})

    return QuestionnaireSplit(
        by=by,
        groups=[
            QuestionnaireSplitGroup(value=value, summary=summarise(template, sent_to(value), members, filters))
            for value, members in groups.items()
        ],
    )
