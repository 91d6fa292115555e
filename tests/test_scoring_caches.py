"""What the scoring service keeps between requests: samples in their compact form (the same answers and
fingerprint as the cases service holds), scores of the newest revision only, and bounds tied to the kept samples."""

from datetime import UTC, datetime
from uuid import uuid4

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.scoring.logic import frameworks, kept, live, scoring
from services.scoring.settings import ScoringSettings
from shared.canonical import canonical_sha256
from shared.errors import UpstreamFailed
from shared.schemas.cases import Assessment, Case, CaseAssessment
from tests.conftest import Stack
from tests.helpers import flipped, put_with_current_etag
from tests.test_scores import assessed_inspection

FRAMEWORKS_DIR = ScoringSettings().frameworks_dir


def test_scores_are_bounded_by_the_kept_samples() -> None:
    caches = live.Caches.keeping(8)
    assert (caches.samples.size, caches.scores.size) == (8, 8 * live.SCORES_PER_SAMPLE)


async def test_scores_are_kept_for_the_newest_revision_only(stack: Stack, gw: httpx.AsyncClient) -> None:
    caches = stack.apps["scoring"].state.caches
    inspection, _ = await assessed_inspection(gw, count=8, seed=61)
    url = f"/api/v1/inspections/{inspection['id']}/scores"
    case = (await gw.get(f"/api/v1/inspections/{inspection['id']}/cases", params={"limit": 1})).json()["items"][0]
    kept_before = len(caches.scores)
    for _ in range(3):
        assert (await gw.get(url)).status_code == 200
        changed = await put_with_current_etag(
            gw, f"/api/v1/cases/{case['id']}/assessment", lambda current: {"answers": flipped(current["answers"])}
        )
        assert changed.status_code == 200
    assert len(caches.scores) == kept_before + 1


async def test_a_snapshot_fingerprints_the_answers_as_the_cases_service_holds_them(gw: httpx.AsyncClient) -> None:
    inspection, _ = await assessed_inspection(gw, count=12, seed=62)
    base = f"/api/v1/inspections/{inspection['id']}"
    assert (await gw.get(f"{base}/scores")).status_code == 200  # the sample is kept, compact, from here on
    snapshot = (await gw.post(f"{base}/scores/snapshots", json={})).json()
    items = (await gw.get(f"{base}/assessments", params={"limit": 500})).json()["items"]
    canonical = [
        {"case_id": i["case"]["id"], "version": i["assessment"]["version"], "answers": i["assessment"]["answers"]}
        for i in sorted(items, key=lambda i: i["case"]["id"])
        if i["assessment"] is not None
    ]
    assert snapshot["assessments_sha256"] == canonical_sha256(canonical)


def _item(answers: dict[str, str]) -> CaseAssessment:
    case_id, inspection_id, now = uuid4(), uuid4(), datetime.now(UTC)
    case = Case(
        id=case_id, inspection_id=inspection_id, created_at=now, reference="R1", case_type="community", roh_level="high", tier=2
    )
    assessment = Assessment(
        case_id=case_id,
        inspection_id=inspection_id,
        version=3,
        answers=answers,
        evidence={},
        assessor=None,
        reason=None,
        framework_id="omi-2008",
        framework_version=1,
        updated_at=now,
    )
    return CaseAssessment(case=case, assessment=assessment)


def test_a_kept_case_holds_its_answers_and_attributes_as_read() -> None:
    answers = {"1.2.S": "no", "1.1.01": "yes", "2.3.04": "na"}
    item = kept.kept(_item(answers))
    assert item is not None
    assert item.answers() == answers
    assert (item.attribute("case_type"), item.attribute("tier"), item.attribute("ppo")) == ("community", "2", "false")


@given(st.dictionaries(st.sampled_from([f"q.{n}" for n in range(40)]), st.sampled_from(["yes", "no", "na"])))
def test_a_kept_case_gives_back_exactly_the_answers_read(answers: dict[str, str]) -> None:
    item = kept.kept(_item(answers))
    assert item is not None and item.answers() == answers


def test_the_question_index_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    kept.kept(_item({"1.1.01": "yes"}))
    known = len(kept._QUESTION_IDS)
    monkeypatch.setattr(kept, "QUESTION_IDS_MAX", known)
    assert kept.kept(_item({"1.1.01": "no"})) is not None  # known ids need no room
    with pytest.raises(UpstreamFailed):
        kept.kept(_item({"1.1.01": "no", f"unknown.{uuid4().hex}": "yes"}))
    assert len(kept._QUESTION_IDS) == known


def test_a_kept_case_is_encoded_once_under_a_plan_and_afresh_under_another() -> None:
    (omi,) = [f for f in frameworks.read_documents(FRAMEWORKS_DIR) if f.id == "omi-2008"]
    plan, other_plan = scoring.Plan(omi), scoring.Plan(omi)
    case = kept.kept(_item({"1.1.01": "yes", "1.2.S": "no"}))
    assert case is not None
    row = case.row(plan)
    assert row == plan.encode_row(case.answers())
    assert case.row(plan) is row
    assert case.row(other_plan) == row and case.row(other_plan) is not row
