"""Who works on which inspection (its team) and which area assessor assesses which case (allocation), and a
caller's standing on an inspection or case, which every service decides access on."""

from typing import Any, Literal
from uuid import UUID

from sqlalchemy import ColumnElement, Select, bindparam, inspect, null, select, true
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlmodel import col

from services.cases import models
from shared.access import Scope, Standing
from shared.db import get_or_404, utcnow
from shared.errors import NotFound, invalid
from shared.pagination import PageParams, paginate
from shared.schemas.access import Allocation, TeamMember
from shared.tokens import Principal, Role


def member_as_wire(row: models.TeamMember) -> TeamMember:
    return TeamMember.model_validate(row, from_attributes=True)


def allocation_as_wire(row: models.CaseAllocation) -> Allocation:
    return Allocation.model_validate(row, from_attributes=True)


async def put_member(session: AsyncSession, inspection_id: UUID, subject: str, role: str) -> tuple[models.TeamMember, bool]:
    """Add a subject to the team, or change their role; True when added."""
    await get_or_404(session, models.Inspection, inspection_id, f"inspection {inspection_id}")
    row = await session.get(models.TeamMember, (inspection_id, subject))
    if row is None:
        row = models.TeamMember(inspection_id=inspection_id, subject=subject, role=role, added_at=utcnow())
        session.add(row)
        await session.flush()
        return row, True
    if row.role != role:
        row.role = role
        await session.flush()
    return row, False


async def join_as_creator(session: AsyncSession, inspection_id: UUID, principal: Principal) -> None:
    """An inspector who plans an inspection is on its team from then on."""
    if principal.role is Role.inspector:
        session.add(models.TeamMember(inspection_id=inspection_id, subject=principal.subject, role="inspector"))
        await session.flush()


async def list_members(
    session: AsyncSession, inspection_id: UUID, params: PageParams
) -> tuple[list[models.TeamMember], str | None]:
    column = inspect(models.TeamMember).c
    statement = select(models.TeamMember).where(column.inspection_id == inspection_id)
    return await paginate(session, statement, (column.subject,), params)


async def remove_member(session: AsyncSession, inspection_id: UUID, subject: str) -> None:
    """Off the team; their case allocations on this inspection go with them."""
    row = await get_or_404(session, models.TeamMember, (inspection_id, subject), f"team member {subject}")
    allocations = await session.scalars(
        select(models.CaseAllocation).where(
            col(models.CaseAllocation.inspection_id) == inspection_id, col(models.CaseAllocation.assessor) == subject
        )
    )
    for allocation in allocations:
        await session.delete(allocation)
    await session.delete(row)
    await session.flush()


async def allocate(session: AsyncSession, case_id: UUID, assessor: str) -> tuple[models.CaseAllocation, bool]:
    """Allocate a case to an area assessor of its inspection's team; True when it had none."""
    case = await get_or_404(session, models.Case, case_id, f"case {case_id}")
    member = await session.get(models.TeamMember, (case.inspection_id, assessor))
    if member is None or member.role != "area_assessor":
        raise invalid("assessor", "not an area assessor on this inspection's team", type="not_on_team")
    row = await session.get(models.CaseAllocation, case_id)
    if row is None:
        row = models.CaseAllocation(case_id=case_id, inspection_id=case.inspection_id, assessor=assessor, allocated_at=utcnow())
        session.add(row)
        await session.flush()
        return row, True
    if row.assessor != assessor:
        row.assessor, row.allocated_at = assessor, utcnow()
        await session.flush()
    return row, False


def _standing_statement(target: Literal["inspection", "case"]) -> Select[Any]:
    """One read of a caller's standing: the inspection's status, the caller's team role and, for a case, its
    inspection and allocation (every request's access check runs it)."""
    inspections, members, allocations = models.INSPECTIONS, models.TEAM_MEMBERS, models.CASE_ALLOCATIONS
    on_team = (members.c.inspection_id == inspections.c.id) & (members.c.subject == bindparam("subject"))
    if target == "inspection":
        return (
            select(inspections.c.id, inspections.c.status, members.c.role, null(), null())
            .select_from(inspections.outerjoin(members, on_team))
            .where(inspections.c.id == bindparam("key"))
        )
    cases = models.CASES
    joined = cases.join(inspections, inspections.c.id == cases.c.inspection_id).outerjoin(members, on_team)
    return (
        select(inspections.c.id, inspections.c.status, members.c.role, cases.c.id, allocations.c.assessor)
        .select_from(joined.outerjoin(allocations, allocations.c.case_id == cases.c.id))
        .where(cases.c.id == bindparam("key"))
    )


_STANDING = {target: _standing_statement(target) for target in ("inspection", "case")}


async def standing(
    reader: AsyncSession | AsyncConnection, principal: Principal, target: Literal["inspection", "case"], key: UUID
) -> Standing:
    found = (await reader.execute(_STANDING[target], {"subject": principal.subject, "key": key})).first()
    if found is None:
        raise NotFound(f"{target} {key} does not exist")
    return Standing(*found)


class LocalStandings:
    """The cases service's own standing source: its database, read outside any transaction (one statement, so
    no BEGIN and ROLLBACK round trips around it)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.reads = engine.execution_options(isolation_level="AUTOCOMMIT")

    async def of(self, principal: Principal, target: Literal["inspection", "case"], key: UUID) -> Standing:
        async with self.reads.connect() as connection:
            return await standing(connection, principal, target, key)


def visible_inspections(principal: Principal, scope: str | None) -> ColumnElement[bool]:
    """The inspections a list shows the caller: all, their team's, or the published ones."""
    if scope == Scope.published:
        return col(models.Inspection.status) == "published"
    if scope == Scope.any:
        return true()
    on_team = select(col(models.TeamMember.inspection_id)).where(col(models.TeamMember.subject) == principal.subject)
    return col(models.Inspection.id).in_(on_team)


def visible_cases(principal: Principal, scope: str | None) -> ColumnElement[bool]:
    """The cases of a (visible) inspection a list shows the caller: all, or those allocated to them."""
    if scope != Scope.allocated:
        return true()
    mine = select(col(models.CaseAllocation.case_id)).where(col(models.CaseAllocation.assessor) == principal.subject)
    return col(models.Case.id).in_(mine)
