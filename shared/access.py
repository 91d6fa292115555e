"""Who may do what: the role matrix as data (endpoint -> action; action x role -> scope) and the one check every
service runs before an endpoint, answering 403 for a role not allowed what it can see and 404 for what it
may not see at all. An endpoint missing from the matrix is refused (a test lists every route against it)."""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Literal, Protocol
from uuid import UUID

from fastapi import Depends, Request
from fastapi.routing import APIRoute

from shared.auth import CHALLENGE, Caller, current_caller
from shared.errors import Forbidden, NotFound, Unauthenticated
from shared.tokens import Principal, Role


class Scope(StrEnum):
    """On what a role may do an action."""

    any = "any"  # everything (or nothing inspection-bound)
    team = "team"  # inspections whose team the caller is on
    allocated = "allocated"  # on the team, and only the cases allocated to the caller
    published = "published"  # published inspections only


@dataclass(frozen=True)
class Standing:
    """The caller's standing on one inspection (and one of its cases), as the cases service keeps it."""

    inspection_id: UUID
    status: str
    team_role: str | None
    case_id: UUID | None = None
    allocated_to: str | None = None


class StandingSource(Protocol):
    """Where a service learns a caller's standing; NotFound when the inspection or case does not exist."""

    async def of(self, principal: Principal, target: Literal["inspection", "case"], key: UUID) -> Standing: ...


@dataclass(frozen=True)
class Endpoint:
    """An endpoint's action, and where its target is: a path parameter, an optional query parameter, or none;
    ``by_link``: a token in the URL (`?access_token=`, shared.auth) is taken here, on a published inspection."""

    action: str
    target: Literal["inspection", "case"] | None = None
    parameter: str | None = None
    in_query: bool = False
    by_link: bool = False


A, IN, S, AA, R = Role.admin, Role.inspector, Role.system, Role.area_assessor, Role.reader
ANY, TEAM, ALLOCATED, PUBLISHED = Scope.any, Scope.team, Scope.allocated, Scope.published

# action -> role -> scope; a role not named may not do the action.
ACTIONS: Mapping[str, Mapping[Role, Scope]] = {
    "inspection.create": {A: ANY, IN: ANY},
    "inspection.list": {A: ANY, IN: TEAM, S: TEAM, AA: TEAM, R: PUBLISHED},
    "inspection.read": {A: ANY, IN: TEAM, S: TEAM, AA: TEAM, R: PUBLISHED},
    "inspection.update": {A: ANY, IN: TEAM},
    "case.create": {A: ANY, IN: TEAM, S: TEAM},
    "case.list": {A: ANY, IN: TEAM, S: TEAM, AA: ALLOCATED},
    "case.read": {A: ANY, IN: TEAM, S: TEAM, AA: ALLOCATED},
    "assessment.read": {A: ANY, IN: TEAM, S: TEAM, AA: ALLOCATED},
    "assessment.write": {A: ANY, IN: TEAM, S: TEAM, AA: ALLOCATED},
    "assessment.import": {A: ANY, IN: TEAM, S: TEAM},
    "assessment.export": {A: ANY, IN: TEAM, S: TEAM},
    "assessment.changes": {A: ANY},
    "sample.read": {A: ANY, IN: TEAM},
    "sample.draw": {A: ANY, IN: TEAM},
    "team.read": {A: ANY, IN: TEAM},
    "team.write": {A: ANY, IN: TEAM},
    "allocation.write": {A: ANY, IN: TEAM},
    "audit.read": {A: ANY, IN: TEAM},
    "standing.read": {A: ANY, IN: ANY, S: ANY, AA: ANY, R: ANY},
    "framework.read": {A: ANY, IN: ANY, S: ANY, AA: ANY},
    "score.read": {A: ANY, IN: TEAM},
    "snapshot.create": {A: ANY, IN: TEAM},
    "national.read": {A: ANY},
    "questionnaire.template.read": {A: ANY, IN: ANY, S: ANY},
    "questionnaire.write": {A: ANY, IN: TEAM},
    "questionnaire.return": {A: ANY, IN: TEAM, S: TEAM},
    "questionnaire.read": {A: ANY, IN: TEAM, S: TEAM},
    "grade.write": {A: ANY, IN: TEAM},
    "report.read": {A: ANY, IN: TEAM, R: PUBLISHED},
    "report.lifecycle": {A: ANY, IN: TEAM},
    "timeline.read": {A: ANY, IN: TEAM},
    "narrative.read": {A: ANY, IN: TEAM},
    "narrative.write": {A: ANY, IN: TEAM},
    "report.comment": {A: ANY, IN: TEAM},
    "timeline.write": {A: ANY, IN: TEAM},
    "report.overdue": {A: ANY},
}

# The narrative parts the reporting service serves each at its own path.
NARRATIVE_PARTS = ("summary", "foreword", "acknowledgements", "recommendations", "next_steps", "good_practice", "service_users")

# Whether a caller may see a target at all decides 403 (it may) or 404 (it may not).
_VISIBILITY = {"inspection": "inspection.read", "case": "case.read"}

Target = tuple[Literal["inspection", "case"], str]
_INSPECTION: Target = ("inspection", "inspection_id")
_CASE: Target = ("case", "case_id")
V1 = "/api/v1"


def _on(action: str, target: Target | None = None) -> Endpoint:
    return Endpoint(action, *target) if target else Endpoint(action)


# (method, route path) -> endpoint. Rows for the questionnaires and reporting contract paths are here ahead
# of their endpoints; a row whose route does not exist yet matches nothing.
ENDPOINTS: Mapping[tuple[str, str], Endpoint] = {
    ("POST", f"{V1}/inspections"): _on("inspection.create"),
    ("GET", f"{V1}/inspections"): _on("inspection.list"),
    ("GET", f"{V1}/inspections/{{inspection_id}}"): _on("inspection.read", _INSPECTION),
    ("PATCH", f"{V1}/inspections/{{inspection_id}}"): _on("inspection.update", _INSPECTION),
    ("POST", f"{V1}/inspections/{{inspection_id}}/cases"): _on("case.create", _INSPECTION),
    ("GET", f"{V1}/inspections/{{inspection_id}}/cases"): _on("case.list", _INSPECTION),
    ("GET", f"{V1}/cases/{{case_id}}"): _on("case.read", _CASE),
    ("PUT", f"{V1}/cases/{{case_id}}/assessment"): _on("assessment.write", _CASE),
    ("GET", f"{V1}/cases/{{case_id}}/assessment"): _on("assessment.read", _CASE),
    ("GET", f"{V1}/cases/{{case_id}}/assessment/history"): _on("assessment.read", _CASE),
    ("GET", f"{V1}/cases/{{case_id}}/assessment/history/{{version}}"): _on("assessment.read", _CASE),
    ("POST", f"{V1}/inspections/{{inspection_id}}/assessments:import"): _on("assessment.import", _INSPECTION),
    ("GET", f"{V1}/inspections/{{inspection_id}}/assessments"): _on("assessment.export", _INSPECTION),
    ("POST", f"{V1}/assessments:changes"): _on("assessment.changes"),
    ("GET", f"{V1}/inspections/{{inspection_id}}/sample"): _on("sample.read", _INSPECTION),
    ("POST", f"{V1}/inspections/{{inspection_id}}/sample:draw"): _on("sample.draw", _INSPECTION),
    ("GET", f"{V1}/inspections/{{inspection_id}}/team"): _on("team.read", _INSPECTION),
    ("PUT", f"{V1}/inspections/{{inspection_id}}/team/{{subject}}"): _on("team.write", _INSPECTION),
    ("DELETE", f"{V1}/inspections/{{inspection_id}}/team/{{subject}}"): _on("team.write", _INSPECTION),
    ("PUT", f"{V1}/cases/{{case_id}}/allocation"): _on("allocation.write", _CASE),
    ("GET", f"{V1}/audit"): Endpoint("audit.read", "inspection", "inspection", in_query=True),
    ("GET", "/internal/audit"): Endpoint("audit.read", "inspection", "inspection", in_query=True),
    ("GET", "/internal/standing"): _on("standing.read"),
    ("GET", f"{V1}/frameworks"): _on("framework.read"),
    ("GET", f"{V1}/frameworks/{{framework_id}}"): _on("framework.read"),
    ("GET", f"{V1}/inspections/{{inspection_id}}/scores"): _on("score.read", _INSPECTION),
    ("GET", f"{V1}/inspections/{{inspection_id}}/scores/breakdown"): _on("score.read", _INSPECTION),
    ("POST", f"{V1}/inspections/{{inspection_id}}/scores/snapshots"): _on("snapshot.create", _INSPECTION),
    ("GET", f"{V1}/inspections/{{inspection_id}}/scores/snapshots"): _on("score.read", _INSPECTION),
    ("GET", f"{V1}/inspections/{{inspection_id}}/scores/snapshots/{{snapshot_id}}"): _on("score.read", _INSPECTION),
    ("GET", f"{V1}/scores/national"): _on("national.read"),
    ("GET", f"{V1}/questionnaires/templates"): _on("questionnaire.template.read"),
    ("GET", f"{V1}/questionnaires/templates/{{respondent}}"): _on("questionnaire.template.read"),
    ("PUT", f"{V1}/inspections/{{inspection_id}}/questionnaires/{{respondent}}"): _on("questionnaire.write", _INSPECTION),
    ("POST", f"{V1}/inspections/{{inspection_id}}/questionnaires/{{respondent}}/returns"): _on(
        "questionnaire.return", _INSPECTION
    ),
    ("GET", f"{V1}/inspections/{{inspection_id}}/questionnaires/{{respondent}}"): _on("questionnaire.read", _INSPECTION),
    ("GET", f"{V1}/inspections/{{inspection_id}}/questionnaires/{{respondent}}/distribution"): _on(
        "questionnaire.read", _INSPECTION
    ),
    ("GET", f"{V1}/inspections/{{inspection_id}}/questionnaires/{{respondent}}/returns"): _on("questionnaire.read", _INSPECTION),
    ("POST", f"{V1}/inspections/{{inspection_id}}/questionnaires/{{respondent}}/returns:import"): _on(
        "questionnaire.return", _INSPECTION
    ),
    ("GET", f"{V1}/inspections/{{inspection_id}}/questionnaires/{{respondent}}/returns/{{return_id}}"): _on(
        "questionnaire.read", _INSPECTION
    ),
    ("DELETE", f"{V1}/inspections/{{inspection_id}}/questionnaires/{{respondent}}/returns/{{return_id}}"): _on(
        "questionnaire.return", _INSPECTION
    ),
    ("PUT", f"{V1}/inspections/{{inspection_id}}/grades/{{criterion_id}}"): _on("grade.write", _INSPECTION),
    ("GET", f"{V1}/inspections/{{inspection_id}}/report"): Endpoint("report.read", *_INSPECTION, by_link=True),
    ("POST", f"{V1}/inspections/{{inspection_id}}/report:send-for-comment"): _on("report.lifecycle", _INSPECTION),
    ("POST", f"{V1}/inspections/{{inspection_id}}/report:publish"): _on("report.lifecycle", _INSPECTION),
    ("GET", f"{V1}/inspections/{{inspection_id}}/timeline"): _on("timeline.read", _INSPECTION),
    ("PUT", f"{V1}/inspections/{{inspection_id}}/timeline/{{milestone}}"): _on("timeline.write", _INSPECTION),
    ("GET", f"{V1}/inspections/{{inspection_id}}/narrative"): _on("narrative.read", _INSPECTION),
    ("GET", f"{V1}/inspections/{{inspection_id}}/narrative/{{part}}/history"): _on("narrative.read", _INSPECTION),
    ("GET", f"{V1}/inspections/{{inspection_id}}/narrative/criteria/{{criterion_id}}"): _on("narrative.read", _INSPECTION),
    ("PUT", f"{V1}/inspections/{{inspection_id}}/narrative/criteria/{{criterion_id}}"): _on("narrative.write", _INSPECTION),
    ("GET", f"{V1}/inspections/{{inspection_id}}/grades"): _on("narrative.read", _INSPECTION),
    ("GET", f"{V1}/inspections/{{inspection_id}}/grades/{{criterion_id}}"): _on("narrative.read", _INSPECTION),
    ("GET", f"{V1}/inspections/{{inspection_id}}/performance"): _on("narrative.read", _INSPECTION),
    ("PUT", f"{V1}/inspections/{{inspection_id}}/performance"): _on("narrative.write", _INSPECTION),
    ("GET", f"{V1}/inspections/{{inspection_id}}/caseload"): _on("narrative.read", _INSPECTION),
    ("PUT", f"{V1}/inspections/{{inspection_id}}/caseload"): _on("narrative.write", _INSPECTION),
    ("GET", f"{V1}/inspections/{{inspection_id}}/report/status"): _on("report.lifecycle", _INSPECTION),
    ("POST", f"{V1}/inspections/{{inspection_id}}/report/comments"): _on("report.comment", _INSPECTION),
    ("GET", f"{V1}/inspections/{{inspection_id}}/report/comments"): _on("report.comment", _INSPECTION),
    ("PUT", f"{V1}/inspections/{{inspection_id}}/report/comments/{{comment_id}}/answer"): _on("report.comment", _INSPECTION),
    ("GET", f"{V1}/reports/overdue"): _on("report.overdue"),
    **{
        (method, f"{V1}/inspections/{{inspection_id}}/narrative/{part}"): _on(action, _INSPECTION)
        for part in NARRATIVE_PARTS
        for method, action in (("GET", "narrative.read"), ("PUT", "narrative.write"))
    },
}


def permits(scope: Scope, principal: Principal, standing: Standing) -> bool:
    if scope is Scope.any:
        return True
    if scope is Scope.published:
        return standing.status == "published"
    if standing.team_role is None:
        return False
    return scope is Scope.team or standing.case_id is None or standing.allocated_to == principal.subject


def scope_of(principal: Principal, action: str) -> Scope | None:
    return ACTIONS[action].get(principal.role) if principal.role is not None else None


@dataclass(frozen=True)
class Decision:
    """The scope the caller acts in, and the standing looked up for it (None where none was needed)."""

    scope: Scope
    standing: Standing | None = None


async def decide(endpoint: Endpoint, principal: Principal, raw_key: str | None, standings: StandingSource) -> Decision:
    """The scope the caller acts in, or Forbidden / NotFound."""
    scope = scope_of(principal, endpoint.action)
    if endpoint.target is None or scope is Scope.any:
        if scope is None:
            raise Forbidden(f"the {principal.role or 'unknown'} role may not do {endpoint.action}")
        return Decision(scope)
    if raw_key is None:  # an optional target left out: only a role allowed everything may
        raise Forbidden(f"the {principal.role} role must name the {endpoint.parameter} for {endpoint.action}")
    key = _uuid(raw_key)
    if key is None:
        if scope is None:
            raise Forbidden(f"the {principal.role or 'unknown'} role may not do {endpoint.action}")
        return Decision(scope)  # the endpoint answers 422 for the bad id
    standing = await standings.of(principal, endpoint.target, key)
    if scope is not None and permits(scope, principal, standing):
        return Decision(scope, standing)
    visible = scope_of(principal, _VISIBILITY[endpoint.target])
    if visible is not None and permits(visible, principal, standing):
        raise Forbidden(f"the {principal.role} role may not do {endpoint.action}")
    raise NotFound(f"{endpoint.target} {key} does not exist")


def _uuid(raw: str | None) -> UUID | None:
    try:
        return UUID(raw) if raw is not None else None
    except ValueError:
        return None


def _inspection_of(endpoint: Endpoint, raw_key: str | None, decision: Decision) -> UUID | None:
    """The inspection the request is about, for its audit records, where known without a read: a case write's
    records name it themselves (shared.audit)."""
    if decision.standing is not None:
        return decision.standing.inspection_id
    return _uuid(raw_key) if endpoint.target == "inspection" else None


async def _check_link(
    endpoint: Endpoint, raw_key: str | None, decision: Decision, standings: StandingSource, caller: Caller
) -> None:
    """A token from the URL is taken only if a reader's, on a link endpoint of a published inspection (otherwise as if none)."""
    key = _uuid(raw_key)
    if not endpoint.by_link or endpoint.target is None or key is None:
        raise Unauthenticated("send Authorization: Bearer <token>", headers={"WWW-Authenticate": CHALLENGE})
    if caller.principal.role != "reader":
        # A URL ends up in histories, logs and pasted links: only a token that reads published reports anyway.
        raise Unauthenticated(
            "a token in the URL must be a reader's: send others as Authorization: Bearer <token>",
            headers={"WWW-Authenticate": CHALLENGE},
        )
    standing = decision.standing or await standings.of(caller.principal, endpoint.target, key)
    if standing.status != "published":
        raise Unauthenticated(
            "a token in the URL reads a published report only: send Authorization: Bearer <token>",
            headers={"WWW-Authenticate": CHALLENGE},
        )


async def authorize(request: Request) -> None:
    """The dependency in front of every route of every service (shared.service)."""
    caller = current_caller()
    if caller is None:
        raise Unauthenticated("send Authorization: Bearer <token>")
    route = request.scope.get("route")
    method = "GET" if request.method == "HEAD" else request.method
    endpoint = ENDPOINTS.get((method, route.path)) if isinstance(route, APIRoute) else None
    if endpoint is None:
        raise Forbidden("no access rule covers this endpoint")
    source = request.query_params if endpoint.in_query else request.path_params
    raw_key = source.get(endpoint.parameter) if endpoint.parameter else None
    standings: StandingSource = request.app.state.standings
    decision = await decide(endpoint, caller.principal, raw_key, standings)
    if caller.by_link:
        await _check_link(endpoint, raw_key, decision, standings, caller)
    caller.scope, caller.action = decision.scope, endpoint.action
    caller.inspection_id = _inspection_of(endpoint, raw_key, decision)


def the_caller() -> Caller:
    """The verified caller, for endpoints whose answer depends on who asks (lists filtered by scope)."""
    caller = current_caller()
    if caller is None:
        raise Unauthenticated("send Authorization: Bearer <token>")
    return caller


CallerDep = Annotated[Caller, Depends(the_caller)]
