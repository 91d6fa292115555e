"""Questionnaire templates: every document valid, bad ones refused when loaded, a stored version never
edited in place, and a new version current for new questionnaires while pinned ones keep theirs."""

import copy
from pathlib import Path

import httpx
import pytest
import yaml
from asgi_lifespan import LifespanManager
from pydantic import ValidationError

from services.questionnaires.app import create_app
from services.questionnaires.logic.templates import read_documents
from services.questionnaires.settings import QuestionnairesSettings
from shared.documents import DocumentChanged
from shared.schemas.questionnaires import QuestionnaireTemplate
from shared.service import Wiring
from tests.conftest import AppsTransport, Stack, plan_inspection, url_of
from tests.questionnaire_helpers import OFFENDER_BASE, questionnaire_url

TEMPLATES = Path(__file__).resolve().parents[1] / "services" / "questionnaires" / "templates"


def _offender() -> dict:
    return yaml.safe_load((TEMPLATES / "offender.yaml").read_text(encoding="utf-8"))


def test_every_template_is_valid_and_one_per_respondent_group() -> None:
    templates = read_documents(TEMPLATES)
    assert sorted(t.respondent.value for t in templates) == ["offender", "sentencer", "victim"]
    assert all(t.version >= 1 and t.questions for t in templates)


def _with(document: dict, index: int, **changes) -> dict:
    changed = copy.deepcopy(document)
    changed["questions"][index] = {**changed["questions"][index], **changes}
    return changed


MISTAKES = {
    "show_if names a later question": lambda d: _with(d, 3, show_if={"question": "visited_in_prison", "equals": "yes"}),
    "show_if equals no option": lambda d: _with(d, 4, show_if={"question": "recently_released", "equals": "perhaps"}),
    "show_if on free text": lambda d: {
        **d,
        "questions": [*d["questions"], {**d["questions"][4], "id": "x", "show_if": {"question": "comments", "equals": "a"}}],
    },
    "a question twice": lambda d: _with(d, 1, id="working_relationship"),
    "victims named": lambda d: {**d, "respondent": "victim", "names_cases": True},
    "yes_no with other options": lambda d: _with(d, 0, options=["yes", "no", "maybe"]),
    "free text without max_length": lambda d: _with(d, 8, max_length=None),
    "options on a number": lambda d: _with(d, 0, type="number", options=["1"]),
    "one option on a scale": lambda d: _with(d, 5, options=["only"]),
    "an option with the separator": lambda d: _with(d, 7, options=["drugs;alcohol", "finance"]),
    "min above max": lambda d: _with(d, 0, type="number", options=[], min=5, max=1),
    "unknown field": lambda d: _with(d, 0, colour="red"),
    "Welsh text empty": lambda d: _with(d, 0, text={"en": "Hello", "cy": ""}),
}


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_a_bad_template_is_refused(mistake: str) -> None:
    with pytest.raises(ValidationError):
        QuestionnaireTemplate.model_validate(MISTAKES[mistake](_offender()))


def test_welsh_text_is_kept_beside_the_english() -> None:
    document = _with(_offender(), 0, text={"en": "Do you get on?", "cy": "Ydych chi'n cyd-dynnu?"})
    template = QuestionnaireTemplate.model_validate(document)
    assert template.questions[0].text.cy == "Ydych chi'n cyd-dynnu?" and template.questions[1].text.cy is None


def test_two_templates_for_one_respondent_group_stop_loading(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(_offender()))
    (tmp_path / "b.yaml").write_text(yaml.safe_dump({**_offender(), "id": "other-offender"}))
    with pytest.raises(ValueError, match="one template id per respondent group"):
        read_documents(tmp_path)


async def test_versions_are_pinned_and_never_edited(stack: Stack, gw: httpx.AsyncClient, tmp_path: Path) -> None:
    if stack.backend != "sqlite":
        pytest.skip("template storage is the same on every backend; run once")
    folder = tmp_path / "templates"
    folder.mkdir()
    for name in ("offender", "victim", "sentencer"):
        (folder / f"{name}.yaml").write_text((TEMPLATES / f"{name}.yaml").read_text(encoding="utf-8"))
    transport = AppsTransport()
    transport.mount("cases.test", stack.apps["cases"])
    settings = QuestionnairesSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/questionnaires.db",
        cases_url=url_of("cases"),
        templates_dir=folder,
        auth=stack.auth,
    )

    def client_of(app) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://questionnaires.test", headers=stack.headers()
        )

    pinned = questionnaire_url((await plan_inspection(gw))["id"], "offender")
    app = create_app(settings, Wiring(transport=transport))
    async with LifespanManager(app), client_of(app) as client:
        assert (await client.post(f"{pinned}/returns", json={"answers": OFFENDER_BASE})).status_code == 201

    second = _offender() | {"version": 2}
    second["questions"] = [*second["questions"], {"id": "seen_monthly", "text": {"en": "Monthly?"}, "type": "yes_no"}]
    (folder / "offender-2.yaml").write_text(yaml.safe_dump(second))
    app = create_app(settings, Wiring(transport=transport))
    async with LifespanManager(app), client_of(app) as client:
        assert (await client.get("/api/v1/questionnaires/templates/offender")).json()["version"] == 2
        assert (await client.get("/api/v1/questionnaires/templates/offender", params={"version": 1})).json()["version"] == 1
        assert (await client.get(pinned)).json()["template_version"] == 1
        late = await client.post(f"{pinned}/returns", json={"answers": OFFENDER_BASE | {"seen_monthly": "yes"}})
        assert late.status_code == 422 and late.json()["errors"][0]["type"] == "unknown_question"
        fresh = questionnaire_url((await plan_inspection(gw))["id"], "offender")
        created = await client.post(f"{fresh}/returns", json={"answers": OFFENDER_BASE | {"seen_monthly": "yes"}})
        assert created.status_code == 201 and created.json()["template_version"] == 2

    edited = _offender()
    edited["questions"][0]["text"]["en"] = "Do you get on with your offender manager?"
    (folder / "offender.yaml").write_text(yaml.safe_dump(edited))
    app = create_app(settings, Wiring(transport=transport))
    with pytest.raises(DocumentChanged, match="omi-2008-offender version 1"):
        async with LifespanManager(app):
            pass
