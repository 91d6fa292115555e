"""A return's answers checked against its template version: types, options, ranges, lengths, required
questions and skip logic both ways. Every bad answer is named at once; no message repeats an
answer (free text can name people)."""

from collections.abc import Mapping
from typing import Any

from shared.schemas.common import FieldError
from shared.schemas.questionnaires import ONE_OPTION_TYPES, QuestionnaireTemplate, QuestionType, TemplateQuestion


def _error(field: str, type_: str, message: str) -> FieldError:
    return FieldError(field=field, location="body", type=type_, message=message)


def _value_problem(question: TemplateQuestion, value: Any) -> tuple[str, str] | None:
    """(type, message) of what is wrong with one answer, or None when it fits the question."""
    kind = question.type
    if kind in ONE_OPTION_TYPES:
        if not isinstance(value, str) or value not in question.options:
            return "option", f"answer one of {', '.join(question.options)}"
    elif kind == QuestionType.multiple_choice:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return "options", "answer a list of options"
        unknown = [v for v in value if v not in question.options]
        if unknown:
            return "option", f"not options of {question.id}: {', '.join(sorted(set(unknown)))}"
        if len(set(value)) != len(value):
            return "duplicate", "an option is given twice"
        if not value:
            return "blank", "give at least one option, or leave the question out"
    elif kind == QuestionType.number:
        if not isinstance(value, int) or isinstance(value, bool):
            return "number", "answer a whole number"
        if question.min is not None and value < question.min:
            return "range", f"the smallest allowed answer is {question.min}"
        if question.max is not None and value > question.max:
            return "range", f"the largest allowed answer is {question.max}"
    elif kind == QuestionType.free_text:
        if not isinstance(value, str):
            return "text", "answer with text"
        if "\x00" in value:
            return "text", "text must not contain NUL characters"
        if not value.strip():
            return "blank", "a blank answer: leave the question out"
        if question.max_length is not None and len(value) > question.max_length:
            return "too_long", f"at most {question.max_length} characters ({len(value)} given)"
    return None


def check_answers(template: QuestionnaireTemplate, answers: Mapping[str, Any], prefix: str = "answers") -> list[FieldError]:
    """Every answer the template version does not allow, and every required one missing; empty when all is well."""
    errors: list[FieldError] = []
    known = {q.id for q in template.questions}
    for question_id in answers:
        if question_id not in known:
            errors.append(
                _error(f"{prefix}.{question_id}", "unknown_question", f"not a question of {template.id} v{template.version}")
            )
    valid: dict[str, Any] = {}
    undecided: set[str] = set()  # answered wrongly, or shown by such an answer: skip logic waits for the fix
    for question in template.questions:
        field = f"{prefix}.{question.id}"
        condition = question.show_if
        if condition is not None and condition.question in undecided:
            undecided.add(question.id)
            continue
        shown = condition is None or valid.get(condition.question) == condition.equals
        if question.id not in answers:
            if shown and question.required:
                errors.append(_error(field, "required", "this question must be answered"))
        elif condition is not None and not shown:
            errors.append(_error(field, "not_shown", f"asked only when {condition.question} is {condition.equals}: leave it out"))
        elif (problem := _value_problem(question, answers[question.id])) is not None:
            errors.append(_error(field, *problem))
            undecided.add(question.id)
        else:
            valid[question.id] = answers[question.id]
    return errors


def check_case_link(template: QuestionnaireTemplate, case_given: bool) -> list[FieldError]:
    if case_given and not template.names_cases:
        return [_error("case_id", "anonymous", f"{template.respondent.value} returns are anonymous: name no case")]
    return []
