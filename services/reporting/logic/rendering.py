"""Which rendering of the report a request gets (JSON, HTML or PDF; English or Welsh), and the
renderings a publication freezes: every format in every language the inspection publishes in."""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.reporting import models
from services.reporting.logic import i18n, render
from shared.errors import NotAcceptable, NotFound

JSON, HTML, PDF = "application/json", "text/html; charset=utf-8", "application/pdf"
FORMATS: dict[str, str] = {"json": JSON, "html": HTML, "pdf": PDF}
Format = Literal["json", "html", "pdf"]


def media_type(format: Format | None, accept: str | None) -> str:
    """The format asked for: ``?format=`` where given, else the best of Accept (JSON for */*)."""
    if format is not None:
        return FORMATS[format]
    offered = {"application/json": JSON, "text/html": HTML, "application/pdf": PDF}
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate((accept or "*/*").split(",")):
        kind, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranked.append((quality, -position, kind.strip().lower()))
    for quality, _, kind in sorted(ranked, reverse=True):
        if quality <= 0:
            continue
        if kind in offered:
            return offered[kind]
        if kind in ("*/*", "application/*"):
            return JSON
        if kind == "text/*":
            return HTML
    raise NotAcceptable("the report is served as application/json, text/html or application/pdf")


@dataclass(frozen=True)
class Rendered:
    lang: i18n.Lang
    media_type: str
    body: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


def render_all(documents: Mapping[i18n.Lang, bytes]) -> list[Rendered]:
    """Every format of every language's document, as a publication freezes them (CPU-bound: run in the worker process)."""
    made: list[Rendered] = []
    for lang, body in documents.items():
        document = orjson.loads(body)
        page = render.html(document)
        made += [
            Rendered(lang, JSON, body),
            Rendered(lang, HTML, page.encode("utf-8")),
            Rendered(lang, PDF, render.pdf(document, page)),
        ]
    return made


def rows(inspection_id: UUID, rendered: list[Rendered]) -> list[models.ReportRendering]:
    return [
        models.ReportRendering(inspection_id=inspection_id, lang=r.lang, media_type=r.media_type, body=r.body, sha256=r.sha256)
        for r in rendered
    ]


async def frozen(
    session: AsyncSession, inspection_id: UUID, media: str, requested: str | None, accept_language: str | None
) -> bytes:
    """The published rendering in ``media`` of the language asked for (among those it was published
    in), read in one query."""
    query = select(col(models.ReportRendering.lang), col(models.ReportRendering.body)).where(
        col(models.ReportRendering.inspection_id) == inspection_id,
        col(models.ReportRendering.media_type) == media,
    )
    found: dict[str, bytes] = {lang: body for lang, body in (await session.execute(query)).all()}
    languages = tuple(lang for lang in i18n.LANGS if lang in found)
    if not languages:
        raise NotFound(f"the published report has no {media} rendering")
    return found[i18n.choose(requested, accept_language, languages)]
