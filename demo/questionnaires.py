"""The demo's questionnaire returns: valid answers to whatever template the stack serves, seeded.

Pure: a template (as `GET /api/v1/questionnaires/templates/{respondent}` gives it) in, a list of
answer sets out. Skip logic is honoured both ways (a question whose `show_if` is not met is left
out); `counts` fixes how many returns give a value to a question (e.g. 14 of 15 offenders saying
yes to a good working relationship), the rest are drawn.
"""

import random
from collections.abc import Mapping
from typing import Any

YES_SHARE = 0.7  # yes_no questions without a fixed count: about this share answer yes


def _value(question: Mapping[str, Any], rng: random.Random) -> Any:
    kind = question["type"]
    options = [str(o) for o in question.get("options") or []]
    if kind == "yes_no":
        return "yes" if rng.random() < YES_SHARE else "no"
    if kind in ("scale", "single_choice"):
        # Scales lean to their first (the templates' favourable) end, the way the report's returns did.
        weights = [float(len(options) - i) for i in range(len(options))] if kind == "scale" else [1.0] * len(options)
        return rng.choices(options, weights=weights)[0]
    if kind == "multiple_choice":
        chosen = [o for o in options if rng.random() < 0.35]
        return chosen or options[:1]
    if kind == "number":
        given_low, given_high = question.get("min"), question.get("max")
        low = int(given_low) if given_low is not None else 0
        high = int(given_high) if given_high is not None else low + 10
        return rng.randint(low, high)
    # Free text: left blank where allowed rather than invent what someone said.
    return "No further comment." if question.get("required") else None


def returns(
    template: Mapping[str, Any], count: int, seed: int, counts: Mapping[str, Mapping[str, int]] | None = None
) -> list[dict[str, Any]]:
    """``count`` answer sets valid against ``template``."""
    rng = random.Random(f"{seed}/{template.get('respondent')}")
    # Fixed values are handed out in turn to the returns that are asked the question (skip logic).
    fixed: dict[str, list[str]] = {}
    for question_id, per_value in (counts or {}).items():
        values = [value for value, n in per_value.items() for _ in range(n)]
        rng.shuffle(values)
        fixed[question_id] = values
    made: list[dict[str, Any]] = []
    for _ in range(count):
        answers: dict[str, Any] = {}
        for question in template["questions"]:
            condition = question.get("show_if")
            if condition and answers.get(condition["question"]) != condition["equals"]:
                continue
            given = fixed.get(question["id"])
            value = given.pop() if given else _value(question, rng)
            if value is None:
                continue
            answers[question["id"]] = value
        made.append(answers)
    return made
