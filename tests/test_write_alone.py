"""A request's one write that is one statement commits by itself on PostgreSQL (shared.writing_ctes.on_its_own):
others see it once the statement has run, before the request's session ends, so the row lock it takes (the
sample revision's bump) is not held while the request answers; unless the request holds its transaction (an
Idempotency-Key's record commits with what it answers for; a questionnaire made on first use with its first
return, though that request's reads ran without a transaction). SQLite writes in the request's transaction."""

import uuid

import httpx
import pytest
from sqlalchemy import func, select

from services.cases import models
from services.cases.logic import cases
from services.questionnaires import models as questionnaire_models
from shared import writing_ctes
from shared.schemas.cases import CaseCreate
from tests.conftest import Stack, plan_inspection
from tests.helpers import LICENCE_CASE
from tests.questionnaire_helpers import OFFENDER_BASE, questionnaire_url


async def _seen_before_the_request_ends(stack: Stack, inspection_id: uuid.UUID, held: bool) -> bool:
    body = CaseCreate.model_validate(LICENCE_CASE | {"reference": f"ALONE-{held}"})
    async with stack.apps["cases"].state.sessionmaker() as session:
        await session.execute(select(models.INSPECTIONS.c.status))  # a read first: the request's transaction has begun
        if held:
            await writing_ctes.hold_transaction(session)
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


async def _questionnaires_of(stack: Stack, inspection_id: str) -> int:
    table = questionnaire_models.QUESTIONNAIRES
    async with stack.apps["questionnaires"].state.engine.connect() as connection:
        found = select(func.count()).select_from(table).where(table.c.inspection_id == uuid.UUID(inspection_id))
        return int(await connection.scalar(found) or 0)


async def test_a_questionnaire_made_on_first_use_goes_with_a_refused_first_return(stack: Stack, gw: httpx.AsyncClient) -> None:
    """A single return reads without a transaction, but the questionnaire its first return creates must commit
    with that return: refused, it leaves nothing behind; stored, both are there."""
    inspection_id = (await plan_inspection(gw))["id"]
    url = questionnaire_url(inspection_id, "offender")
    refused = await gw.post(f"{url}/returns", json={"answers": OFFENDER_BASE | {"working_relationship": "maybe"}})
    assert refused.status_code == 422, refused.text
    assert await _questionnaires_of(stack, inspection_id) == 0
    assert (await gw.get(f"{url}/returns")).json()["items"] == []
    stored = await gw.post(f"{url}/returns", json={"answers": OFFENDER_BASE})
    assert stored.status_code == 201, stored.text
    assert await _questionnaires_of(stack, inspection_id) == 1


async def test_an_audited_write_through_a_session_without_a_transaction_is_refused(stack: Stack) -> None:
    """Such a write would commit at once and its audit record only with the request (or never, if the request
    then failed): a request that writes through the session holds its transaction first."""
    inspection_id = uuid.uuid4()
    async with stack.apps["questionnaires"].state.sessionmaker() as session:
        await writing_ctes.reads_alone(session)
        session.add(
            questionnaire_models.Questionnaire(
                inspection_id=inspection_id, respondent="offender", template_id="offender", template_version=1
            )
        )
        if stack.backend == "postgresql":
            with pytest.raises(RuntimeError, match="without a transaction"):
                await session.flush()
        else:  # SQLite reads in the request's transaction: the write is flushed in it
            await session.flush()
        await session.rollback()
    assert await _questionnaires_of(stack, str(inspection_id)) == 0


async def test_after_a_commit_the_session_writes_in_a_transaction_again(stack: Stack) -> None:
    """A session that read without a transaction and committed is on a connection of the pool's again: its next
    audited write is allowed and goes with the transaction it begins (rolled back here: nothing stored)."""
    inspection_id = uuid.uuid4()
    async with stack.apps["questionnaires"].state.sessionmaker() as session:
        await writing_ctes.reads_alone(session)
        await session.execute(select(func.count()).select_from(questionnaire_models.QUESTIONNAIRES))
        await session.commit()
        session.add(
            questionnaire_models.Questionnaire(
                inspection_id=inspection_id, respondent="offender", template_id="offender", template_version=1
            )
        )
        await session.flush()
        await session.rollback()
    assert await _questionnaires_of(stack, str(inspection_id)) == 0
