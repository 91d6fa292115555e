"""The framework documents in services/scoring/frameworks: valid, and faithful to the reference report."""

import copy
import re
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from shared.schemas.enums import CaseType
from shared.schemas.frameworks import Framework
from tests.conftest import reference_file

REPO = Path(__file__).resolve().parents[1]
FRAMEWORKS_DIR = REPO / "services" / "scoring" / "frameworks"
REPORT = "seed/000_1c87cd31f265fc93.txt"  # the published report, in ../shared

FRAMEWORK_FILES = sorted(FRAMEWORKS_DIR.glob("*.yaml"))

CASE_CRITERIA = ["1.1", "1.2", "1.3", "1.4", "1.5", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "3.1", "3.2"]
GRADED_CRITERIA = ["4.1", "4.2", "4.3", "4.4", "4.5", "4.6"]


def _load(path: Path) -> Framework:
    return Framework.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def _normalise(text: str) -> str:
    """Drop markdown emphasis and heading marks, collapse whitespace."""
    return re.sub(r"\s+", " ", re.sub(r"[*#]", "", text)).strip()


@pytest.fixture(scope="module")
def omi() -> Framework:
    return _load(FRAMEWORKS_DIR / "omi-2008.yaml")


def _report_text() -> str:
    # The framework's titles and statements are checked against this report (required under CI=true).
    return _normalise(reference_file(REPORT).read_text(encoding="utf-8"))


@pytest.fixture
def report_text() -> str:
    return _report_text()


def test_reference_report_present():
    assert "General Criterion" in _report_text()


# --- every document ---------------------------------------------------------------------------


def test_framework_documents_exist():
    names = {p.name for p in FRAMEWORK_FILES}
    assert {"omi-2008.yaml", "ratings-2024.yaml"} <= names


@pytest.mark.parametrize("path", FRAMEWORK_FILES, ids=lambda p: p.name)
def test_document_validates(path: Path):
    framework = _load(path)
    assert framework.id == path.stem
    for question in framework.questions().values():
        assert question.text.endswith("?"), question.id
        assert question.guidance.strip(), f"{question.id} has no guidance"


@pytest.mark.parametrize("path", FRAMEWORK_FILES, ids=lambda p: p.name)
def test_applies_to_values_are_case_types(path: Path):
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    valid = {c.value for c in CaseType}
    for section in raw["sections"]:
        for criterion in section["criteria"]:
            for question in criterion.get("questions", []):
                applies_to = question.get("applies_to")
                if applies_to is None:
                    continue
                assert applies_to, f"{question['id']}: empty applies_to; omit it for every case type"
                assert set(applies_to) <= valid, question["id"]
                assert len(applies_to) == len(set(applies_to)), question["id"]


# --- omi-2008 ---------------------------------------------------------------------------------


def test_omi_header(omi: Framework):
    assert (omi.id, omi.version) == ("omi-2008", 1)
    assert (omi.weights.questions, omi.weights.summary) == (0.8, 0.2)
    assert omi.grade_scale == ["well_met", "satisfactorily_met", "partly_met", "not_met"]
    assert omi.scoring.kind == "weighted_mean"
    assert omi.roh_thread_sections == ["1", "2"]
    assert [s.id for s in omi.sections] == ["1", "2", "3", "4"]


def test_omi_criteria(omi: Framework):
    criteria = omi.criteria()
    assert len(criteria) == 20
    assert [c.id for c in criteria] == CASE_CRITERIA + GRADED_CRITERIA
    for criterion in criteria:
        section = criterion.id.split(".")[0]
        assert criterion in next(s for s in omi.sections if s.id == section).criteria
        if criterion.id in GRADED_CRITERIA:
            assert criterion.scored_by == "grade"
            assert criterion.questions == []
        else:
            assert criterion.scored_by == "cases"


@pytest.mark.parametrize("criterion_id", CASE_CRITERIA)
def test_omi_case_criterion_questions(omi: Framework, criterion_id: str):
    criterion = next(c for c in omi.criteria() if c.id == criterion_id)
    summaries = [q for q in criterion.questions if q.summary]
    individual = [q for q in criterion.questions if not q.summary]
    assert len(summaries) == 1
    assert summaries[0].id == f"{criterion_id}.S"
    assert 6 <= len(individual) <= 16, len(individual)
    assert [q.id for q in individual] == [f"{criterion_id}.{n:02d}" for n in range(1, len(individual) + 1)]
    assert not any(q.key for q in criterion.questions)


def test_omi_titles_match_report(omi: Framework, report_text: str):
    for criterion in omi.criteria():
        words = criterion.title.upper().split()
        # The heading is "<id> General Criterion: <TITLE>"; 2.3 and 3.1 are laid out oddly, so
        # allow anything non-alphabetic between the parts (and whatever follows the title).
        pattern = (
            r"(?<![\d.])"
            + re.escape(criterion.id)
            + r"[^A-Za-z]*General Criterion:[^A-Za-z]*(?P<title>"
            + r"\s+".join(re.escape(w) for w in words)
            + r")"
            # ... and the title must end there: no upper-case word or parenthesis continues it
            # ("VICTIM" is not "VICTIMS"; "(Punish)" belongs to 2.4's title), though a mixed-case
            # word may follow glued on ("VICTIMSConsistent").
            + r"(?-i:(?![A-Z](?:[A-Z\s]|$))(?!\s+[A-Z]{2})(?!\s*\())"
        )
        match = re.search(pattern, report_text, flags=re.IGNORECASE)
        assert match, f"{criterion.id} {criterion.title!r} not found as a heading in the report"
        # The report writes headings in upper case, with a mixed-case parenthesis, e.g. "(Punish)".
        heading = re.sub(r"\(.*?\)", "", match.group("title"))
        assert heading.upper() == heading, match.group("title")


def test_omi_titles_in_sentence_case_as_report_appendix(omi: Framework, report_text: str):
    # Appendix 4 of the report lists every criterion as "<id> <Title in sentence case>".
    for criterion in omi.criteria():
        assert f"- {criterion.id} {criterion.title} " in report_text, criterion.id


def test_omi_statements_match_report(omi: Framework, report_text: str):
    for criterion in omi.criteria():
        assert _normalise(criterion.statement) in report_text, f"{criterion.id} statement not in the report"


def test_omi_roh_flags(omi: Framework):
    by_id = {c.id: c for c in omi.criteria()}
    for criterion_id in ("1.2", "2.2"):
        criterion = by_id[criterion_id]
        assert any(q.roh and not q.summary for q in criterion.questions), criterion_id
        assert next(q for q in criterion.questions if q.summary).roh, criterion_id
    thread = [q for s in omi.sections if s.id in omi.roh_thread_sections for c in s.criteria for q in c.questions if q.roh]
    assert len(thread) >= 15
    assert sum(q.roh for q in omi.questions().values()) >= 15


def test_omi_conclusion_bands_ascending(omi: Framework):
    mins = [b.min for b in omi.conclusion_bands]
    assert mins and mins[0] == 0 and mins == sorted(mins)


# --- ratings-2024 -----------------------------------------------------------------------------


def test_ratings_framework():
    ratings = _load(FRAMEWORKS_DIR / "ratings-2024.yaml")
    assert (ratings.id, ratings.version) == ("ratings-2024", 1)
    assert ratings.scoring.kind == "lowest_key_question"
    assert [(b.min, b.label) for b in ratings.scoring.ratings] == [
        (0, "inadequate"),
        (50, "requires_improvement"),
        (65, "good"),
        (80, "outstanding"),
    ]
    assert ratings.roh_thread_sections is None
    assert ratings.grade_scale == []
    assert len(ratings.sections) == 2
    for section in ratings.sections:
        assert 2 <= len(section.criteria) <= 3
        for criterion in section.criteria:
            assert criterion.scored_by == "cases"
            assert 3 <= len(criterion.questions) <= 5
            assert 1 <= sum(q.key for q in criterion.questions) <= 3
            assert not any(q.summary for q in criterion.questions)
    assert any(q.roh for q in ratings.questions().values())
    omi_ids = set(_load(FRAMEWORKS_DIR / "omi-2008.yaml").questions())
    assert not omi_ids & set(ratings.questions())


# --- the model rejects a broken document --------------------------------------------------------


def _minimal() -> dict:
    return {
        "id": "broken",
        "version": 1,
        "title": "A framework to break",
        "grade_scale": ["well_met", "not_met"],
        "sections": [
            {
                "id": "1",
                "title": "Section",
                "criteria": [
                    {
                        "id": "1.1",
                        "title": "Criterion",
                        "statement": "Work is done.",
                        "scored_by": "cases",
                        "questions": [
                            {"id": "1.1.01", "text": "Was it done?"},
                            {"id": "1.1.S", "text": "Overall, was it done well?", "summary": True},
                        ],
                    },
                    {"id": "1.2", "title": "Graded", "statement": "Graded.", "scored_by": "grade"},
                ],
            }
        ],
    }


def test_minimal_document_is_valid():
    Framework.model_validate(_minimal())


def test_two_summary_questions_rejected():
    doc = _minimal()
    doc["sections"][0]["criteria"][0]["questions"].append({"id": "1.1.T", "text": "Overall, again?", "summary": True})
    with pytest.raises(ValidationError, match="summary"):
        Framework.model_validate(doc)


def test_missing_summary_question_rejected():
    doc = _minimal()
    doc["sections"][0]["criteria"][0]["questions"].pop()
    with pytest.raises(ValidationError, match="summary"):
        Framework.model_validate(doc)


def test_duplicate_question_id_rejected():
    doc = _minimal()
    doc["sections"][0]["criteria"][0]["questions"].insert(1, {"id": "1.1.01", "text": "Was it done twice?"})
    with pytest.raises(ValidationError, match="appears twice"):
        Framework.model_validate(doc)


def test_duplicate_question_id_across_criteria_rejected():
    doc = _minimal()
    extra = copy.deepcopy(doc["sections"][0]["criteria"][0])
    extra["id"] = "1.3"
    doc["sections"][0]["criteria"].append(extra)
    with pytest.raises(ValidationError, match="appears twice"):
        Framework.model_validate(doc)


@pytest.mark.parametrize("weights", [{"questions": 0.8, "summary": 0.3}, {"questions": 0.5, "summary": 0.2}])
def test_weights_not_adding_to_one_rejected(weights: dict):
    doc = _minimal()
    doc["weights"] = weights
    with pytest.raises(ValidationError, match="add up to 1"):
        Framework.model_validate(doc)


def test_graded_criterion_with_questions_rejected():
    doc = _minimal()
    doc["sections"][0]["criteria"][1]["questions"] = [{"id": "1.2.01", "text": "Graded?"}]
    with pytest.raises(ValidationError, match="no questions"):
        Framework.model_validate(doc)


def test_invalid_applies_to_rejected():
    doc = _minimal()
    doc["sections"][0]["criteria"][0]["questions"][0]["applies_to"] = ["prison"]
    with pytest.raises(ValidationError):
        Framework.model_validate(doc)


def test_ratings_criterion_without_key_question_rejected():
    doc = _minimal()
    doc["scoring"] = {"kind": "lowest_key_question", "ratings": [{"min": 0, "label": "inadequate"}]}
    with pytest.raises(ValidationError, match="no key question"):
        Framework.model_validate(doc)


def _tiny(**overrides):
    document = {
        "id": "tiny",
        "version": 1,
        "title": "tiny",
        "sections": [
            {
                "id": "1",
                "title": "one",
                "criteria": [
                    {
                        "id": "1.1",
                        "title": "c",
                        "statement": "s",
                        "scored_by": "cases",
                        "questions": [{"id": "1.1.01", "text": "q?"}, {"id": "1.1.S", "text": "s?", "summary": True}],
                    }
                ],
            }
        ],
    }
    return document | overrides


@pytest.mark.parametrize(
    "overrides, complaint",
    [
        ({"conclusion_bands": [{"min": 10, "label": "a"}]}, "min 0"),
        ({"conclusion_bands": [{"min": 0, "label": "a"}, {"min": 0, "label": "b"}]}, "same min"),
        ({"roh_thread_sections": ["9"]}, "no such section"),
        ({"grade_scale": ["a", "a"]}, "repeats"),
    ],
)
def test_more_broken_documents_are_rejected(overrides, complaint) -> None:
    with pytest.raises(ValidationError, match=complaint):
        Framework.model_validate(_tiny(**overrides))


def test_flags_must_fit_the_rule_and_case_types_are_distinct() -> None:
    keyed = _tiny()
    keyed["sections"][0]["criteria"][0]["questions"][0]["key"] = True
    with pytest.raises(ValidationError, match="is key"):
        Framework.model_validate(keyed)
    twice = _tiny()
    twice["sections"][0]["criteria"][0]["questions"][0]["applies_to"] = ["licence", "licence"]
    with pytest.raises(ValidationError, match="twice"):
        Framework.model_validate(twice)
    Framework.model_validate(_tiny())
