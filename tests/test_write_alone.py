"""A request's one write that is one statement commits by itself on PostgreSQL (shared.writing_ctes.on_its_own):
others see it once the statement has run, before the request's session ends, so the row lock it takes (the
sample revision's bump) is not held while the request answers; unless the request holds its transaction (an
Idempotency-Key's record commits with what it answers for). SQLite writes in the request's transaction."""

import uuid

import httpx
from sqlalchemy import func, select

from services.cases import models
from services.cases.logic import cases
from shared import writing_ctes
from shared.schemas.cases import CaseCreate
from tests.conftest import Stack, plan_inspection
from tests.helpers import LICENCE_CASE


async def _seen_before_the_request_ends(stack: Stack, inspection_id: uuid.UUID, held: bool) -> bool:
    body = CaseCreate.model_validate(LICENCE_CASE | {"reference": f"ALONE-{held}"})
    async with stack.apps["cases"].state.sessionmaker() as session:
        await session.execute(select(models.INSPECTIONS.c.status))  # a read first: the request's transaction has begun
        if held:
            writing_ctes.hold_transaction(session)
        case = await cases.create(session, inspection_id, body)
        async with stack.apps["cases"].state.engine.connect() as other:
            seen = await other.scalar(select(func.count()).select_from(models.CASES).where(models.CASES.c.id == case.id))
        await session.commit()
    return seen == 1


async def test_a_one_statement_write_commits_by_itself_unless_the_transaction_is_held(
    stack: Stack, gw: httpx.AsyncClient
) -> None:
    inspection_id = uuid.UUID((await plan_inspection(gw))["id"])
    assert await _seen_before_the_request_ends(stack, inspection_id, held=False) is (stack.backend == "postgresql")
    assert await _seen_before_the_request_ends(stack, inspection_id, held=True) is False
    listed = (await gw.get(f"/api/v1/inspections/{inspection_id}/cases")).json()["items"]
    assert sorted(c["reference"] for c in listed) == ["ALONE-False", "ALONE-True"]  # both committed in the end
