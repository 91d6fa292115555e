"""The draft PDF's key: what the PDF shows, so an unchanged draft is served its kept rendering and
any change to its content is a new one."""

from services.reporting.logic.printing import content_key

DOCUMENT = {"lang": "en", "status": "draft", "draft_number": 1, "generated_at": "2026-01-01T10:00:00Z", "summary": []}


def test_the_moment_of_assembly_is_not_part_of_the_key():
    assert content_key(DOCUMENT) == content_key(DOCUMENT | {"generated_at": "2026-01-01T10:05:00Z"})


def test_any_change_to_the_content_is_a_new_key():
    key = content_key(DOCUMENT)
    for change in ({"lang": "cy"}, {"status": "sent_for_comment"}, {"draft_number": 2}, {"summary": [{"text": "a"}]}):
        assert content_key(DOCUMENT | change) != key, change
