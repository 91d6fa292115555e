"""Questionnaire templates: loaded from the service's YAML files, stored once per version, never edited in place."""

from collections.abc import Sequence
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.questionnaires import models
from shared.documents import store_version
from shared.errors import NotFound
from shared.schemas.questionnaires import QuestionnaireTemplate, Respondent


def read_documents(directory: Path) -> list[QuestionnaireTemplate]:
    """Every template under ``directory``, validated; a bad one stops start-up."""
    templates = [
        QuestionnaireTemplate.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        for path in sorted(directory.glob("*.yaml"))
    ]
    ids_of: dict[Respondent, set[str]] = {}
    for template in templates:
        ids_of.setdefault(template.respondent, set()).add(template.id)
    shared_respondents = sorted(r.value for r, ids in ids_of.items() if len(ids) > 1)
    if shared_respondents:
        raise ValueError(f"one template id per respondent group; several for {', '.join(shared_respondents)}")
    return templates


async def store_documents(session: AsyncSession, templates: Sequence[QuestionnaireTemplate]) -> None:
    for template in templates:
        key = (template.id, template.version)
        await store_version(session, models.TemplateDocument, "template", template, key, respondent=template.respondent.value)


class Templates:
    """Stored template versions, parsed once each (a stored version never changes)."""

    def __init__(self) -> None:
        self._parsed: dict[tuple[str, int], QuestionnaireTemplate] = {}

    async def current(self, session: AsyncSession, respondent: Respondent) -> QuestionnaireTemplate:
        """The newest stored version of the respondent group's template."""
        return await self._one(session, respondent, None)

    async def all_current(self, session: AsyncSession) -> list[QuestionnaireTemplate]:
        """The current version of each respondent group's template, of the groups that have one."""
        found = []
        for respondent in Respondent:
            try:
                found.append(await self.current(session, respondent))
            except NotFound:
                continue
        return found

    async def version(self, session: AsyncSession, respondent: Respondent, version: int | None) -> QuestionnaireTemplate:
        return await self._one(session, respondent, version)

    async def pinned(self, session: AsyncSession, template_id: str, version: int) -> QuestionnaireTemplate:
        """A version known to be stored (pinned by a questionnaire)."""
        if (template_id, version) not in self._parsed:
            row = await session.get(models.TemplateDocument, (template_id, version))
            if row is None:
                raise NotFound(f"template {template_id} version {version} is not stored")
            self._parsed[(template_id, version)] = QuestionnaireTemplate.model_validate(row.document)
        return self._parsed[(template_id, version)]

    async def _one(self, session: AsyncSession, respondent: Respondent, version: int | None) -> QuestionnaireTemplate:
        table = models.TemplateDocument
        statement = select(col(table.id), col(table.version)).where(col(table.respondent) == respondent.value)
        if version is not None:
            statement = statement.where(col(table.version) == version)
        found = (await session.execute(statement.order_by(col(table.version).desc()).limit(1))).first()
        if found is None:
            raise NotFound(f"no {respondent.value} template" + (f" version {version}" if version is not None else ""))
        return await self.pinned(session, found[0], found[1])
