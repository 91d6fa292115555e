"""What the service keeps between summaries: each recently summarised questionnaire's counted returns
as read at its revision, and the summary documents built from them. A write to the returns bumps the
revision and a new distribution the version, in the database, so every replica reads afresh after it."""

import time
from collections.abc import Mapping, Sequence
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.questionnaires import models
from services.questionnaires.logic import returns, summary
from shared.cache import LruCache
from shared.schemas.questionnaires import QuestionnaireTemplate

Filters = Mapping[str, Sequence[str]]


class Kept:
    def __init__(self, questionnaires: int = 256, documents: int = 2048) -> None:
        self._returns: LruCache[tuple[int, dict[UUID, summary.Counted]]] = LruCache(questionnaires)
        self._documents: LruCache[bytes] = LruCache(documents)

    async def counted(self, session: AsyncSession, questionnaire: models.Questionnaire) -> list[summary.Counted]:
        """The counted returns at the questionnaire's revision: those kept, brought up to date by
        reading only what was written since (a whole read the first time)."""
        key = (questionnaire.inspection_id, questionnaire.respondent)
        kept = self._returns.get(key)
        if kept is not None and kept[0] == questionnaire.revision:
            return list(kept[1].values())
        since = kept[0] if kept is not None and kept[0] < questionnaire.revision else None
        # Read after the revision: a write in between is in these rows and bumps the revision again,
        # so what is kept under a revision is never older than it (and is read again, by id, next time).
        changes = await returns.counted(session, questionnaire.inspection_id, questionnaire.respondent, since)
        found = dict(kept[1]) if kept is not None and since is not None else {}
        found.update(changes.counted)
        for return_id in changes.withdrawn:
            found.pop(return_id, None)
        self._returns.put(key, (questionnaire.revision, found))
        return list(found.values())

    async def summary_json(
        self,
        session: AsyncSession,
        questionnaire: models.Questionnaire | None,
        template: QuestionnaireTemplate,
        filters: Filters,
        split_by: str | None,
    ) -> tuple[bytes, str]:
        """The summary (or split summary) as JSON, and its Server-Timing: where the time went."""
        started = time.perf_counter()
        if questionnaire is None:  # nothing recorded: an empty summary of the current template
            return _document(template, summary.Sent(None, None), [], filters, split_by), "summarise;dur=0"
        key: tuple[UUID, str, int, int, str, str | None] = (
            questionnaire.inspection_id,
            questionnaire.respondent,
            questionnaire.revision,
            questionnaire.version,
            repr(sorted((name, tuple(values)) for name, values in filters.items())),
            split_by,
        )
        if (document := self._documents.get(key)) is not None:
            return document, "kept;dur=0"
        counted = await self.counted(session, questionnaire)
        read = time.perf_counter()
        sent = summary.Sent(questionnaire.sent, questionnaire.cases)
        document = self._documents.put(key, _document(template, sent, counted, filters, split_by))
        timing = f"read;dur={(read - started) * 1000:.2f}, summarise;dur={(time.perf_counter() - read) * 1000:.2f}"
        return document, timing


def _document(
    template: QuestionnaireTemplate, sent: summary.Sent, counted: Sequence[summary.Counted], filters: Filters, by: str | None
) -> bytes:
    if by is not None:
        return summary.split(template, sent, counted, filters, by).model_dump_json().encode()
    return summary.summary(template, sent, counted, filters).model_dump_json().encode()
