"""What the inspection's framework version says a part may hold: known section and criterion ids,
conclusions from its conclusion scale, grades from its grade scale, grades only for graded criteria."""

from collections.abc import Sequence

from shared.errors import InvalidInput, invalid
from shared.schemas.common import FieldError
from shared.schemas.frameworks import Criterion, Framework
from shared.schemas.narrative import CriterionNarrative, GoodPractice, GradePut, PerformanceData, ServiceUsers, Summary

ROH = "roh"  # the Summary's Risk of Harm paragraph


def conclusion_scale(framework: Framework) -> list[str]:
    """The framework's conclusions, from its bands, lowest first (data, never code)."""
    return [band.label for band in sorted(framework.conclusion_bands, key=lambda band: band.min)]


def _error(field: str, message: str, type: str = "value_error") -> FieldError:
    return FieldError(field=field, location="body", message=message, type=type)


def _raise_any(errors: Sequence[FieldError]) -> None:
    if errors:
        raise InvalidInput(errors)


def criterion(framework: Framework, criterion_id: str, scored_by: str) -> Criterion:
    """The criterion of this id, scored the way the endpoint writes for; 422 naming it otherwise."""
    found = next((c for c in framework.criteria() if c.id == criterion_id), None)
    if found is None:
        raise invalid(
            "criterion_id",
            f"framework {framework.id} v{framework.version} has no criterion {criterion_id}",
            location="path",
            type="unknown_criterion",
        )
    if found.scored_by != scored_by:
        how = "graded (PUT .../grades/{criterion_id})" if found.scored_by == "grade" else "scored from cases"
        raise invalid("criterion_id", f"criterion {criterion_id} is {how}", location="path", type="scored_by")
    return found


def summary(framework: Framework, body: Summary) -> None:
    known = [s.id for s in framework.sections] + [ROH]
    errors, seen = [], set()
    for number, paragraph in enumerate(body.paragraphs):
        if paragraph.section not in known:
            errors.append(_error(f"paragraphs.{number}.section", f"not one of {', '.join(known)}", "unknown_section"))
        elif paragraph.section in seen:
            errors.append(_error(f"paragraphs.{number}.section", "a second paragraph for this section", "duplicate"))
        seen.add(paragraph.section)
    _raise_any(errors)


def good_practice(framework: Framework, body: GoodPractice) -> None:
    known = {c.id for c in framework.criteria()}
    _raise_any(
        [
            _error(
                f"examples.{number}.criterion_id", f"no criterion {example.criterion_id} in the framework", "unknown_criterion"
            )
            for number, example in enumerate(body.examples)
            if example.criterion_id not in known
        ]
    )


def service_users(body: ServiceUsers) -> None:
    groups = [g.group for g in body.groups]
    _raise_any(
        [
            _error(f"groups.{n}.group", "a second entry for this group", "duplicate")
            for n, g in enumerate(groups)
            if g in groups[:n]
        ]
    )


def criterion_narrative(framework: Framework, body: CriterionNarrative) -> None:
    scale = conclusion_scale(framework)
    if body.conclusion is not None and body.conclusion not in scale:
        raise invalid("conclusion", f"not on the framework's conclusion scale: {'; '.join(scale)}", type="conclusion")


def grade(framework: Framework, body: GradePut) -> None:
    if body.grade not in framework.grade_scale:
        raise invalid("grade", f"not on the framework's grade scale: {', '.join(framework.grade_scale)}", type="grade")


def performance(body: PerformanceData) -> None:
    domains = [r.domain for r in body.domain_ratings]
    _raise_any(
        [
            _error(f"domain_ratings.{n}.domain", "a second rating for this domain", "duplicate")
            for n, domain in enumerate(domains)
            if domain in domains[:n]
        ]
    )
