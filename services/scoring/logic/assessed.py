"""The assessed samples of inspections, read from the cases service in bulk (never a call per case) and
kept (in the compact form of services.scoring.logic.kept): a kept sample is brought up to date by reading
only what changed since its revision."""

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

import httpx

from services.scoring.logic.kept import AssessmentChanges, KeptCase, KeptItem, assessed
from shared.cache import LruCache
from shared.canonical import canonical_sha256
from shared.clients import call_service
from shared.errors import NotFound, UpstreamFailed
from shared.schemas.cases import CHANGES_MAX_INSPECTIONS
from shared.schemas.common import Page
from shared.schemas.inspections import Inspection

PAGE_SIZE = 500
# Cases asked for in one changes read (the cases service's default is 2,000): each answer is parsed whole, and
# answers of about 1.3 MB of JSON keep both services' working sets small; a first read of 50 samples takes 12.
CHANGES_LIMIT = 500
T = TypeVar("T")


async def read(client: httpx.AsyncClient, url: str, params: dict[str, Any]) -> httpx.Response:
    return await call_service(client, "cases", "GET", url, params=params)


async def _post(client: httpx.AsyncClient, url: str, body: dict[str, Any]) -> httpx.Response:
    return await call_service(client, "cases", "POST", url, json=body)


async def read_pages(
    client: httpx.AsyncClient, url: str, params: dict[str, Any], page_type: type[Page[T]], first: httpx.Response | None = None
) -> list[T]:
    """Every item of a paged list of the cases service (``page_type``: its pages, e.g. ``Page[Inspection]``),
    following its cursors (``first``: its first page, when already read)."""
    response = first or await read(client, url, params)
    items: list[T] = []
    while True:
        page = page_type.model_validate_json(response.content)
        items += page.items
        if page.next_cursor is None:
            return items
        response = await read(client, url, params | {"cursor": page.next_cursor})


async def inspection(client: httpx.AsyncClient, inspection_id: UUID) -> Inspection:
    return Inspection.model_validate_json((await read(client, f"/api/v1/inspections/{inspection_id}", {})).content)


@dataclass(frozen=True)
class Sample:
    """The assessed cases of a sample as read, and the state they were read in."""

    revision: int
    read_at: float  # time.monotonic() of the last whole read (a whole read may find what revisions did not show)
    cases: list[KeptCase]


# A kept sample is read whole again after this long, so that writes the revisions cannot show (a
# cases pod of an older release during a rolling deploy, a database restored to an earlier
# revision that then counts up again) are picked up within a bounded time.
KEEP_SAMPLE_FOR = 600.0


@dataclass(frozen=True)
class KnownSample:
    """A sample as last read: its revision and its assessed cases by case id."""

    revision: int
    cases: dict[UUID, KeptCase]
    read_at: float

    def as_sample(self) -> Sample:
        return Sample(self.revision, self.read_at, list(self.cases.values()))

    def patched(self, revision: int, changed: Iterable[KeptItem]) -> "KnownSample":
        # A sample patched with changes is as old as its last whole read.
        return KnownSample(revision, self.cases | assessed(changed), self.read_at)


def _kept(cache: LruCache[KnownSample], inspection_id: UUID) -> KnownSample | None:
    known = cache.get(inspection_id)
    return known if known and time.monotonic() - known.read_at <= KEEP_SAMPLE_FOR else None


def _revision(response: httpx.Response) -> int:
    value = response.headers.get("sample-revision", "")
    if not value.isdigit():
        raise UpstreamFailed("the cases service sent no sample revision")
    return int(value)


async def assessed_cases(client: httpx.AsyncClient, inspection_id: UUID, cache: LruCache[KnownSample]) -> Sample:
    """Every case of the sample that has an assessment, and the sample's revision, in paged bulk
    reads (no call per case). Known before: only what changed since is read."""
    url = f"/api/v1/inspections/{inspection_id}/assessments"
    known = _kept(cache, inspection_id)
    params: dict[str, Any] = {"limit": PAGE_SIZE} | ({"since": known.revision} if known else {})
    response = await read(client, url, params)
    revision = _revision(response)
    if known and revision < known.revision:
        # The revision went backwards (a restored database): what we hold cannot be patched up.
        known, params = None, {"limit": PAGE_SIZE}
        response = await read(client, url, params)
        revision = _revision(response)
    changed = await read_pages(client, url, params, Page[KeptItem], first=response)
    fresh = known.patched(revision, changed) if known else KnownSample(revision, assessed(changed), time.monotonic())
    return cache.put(inspection_id, fresh).as_sample()


async def assessed_samples(
    client: httpx.AsyncClient, inspections: Sequence[Inspection], cache: LruCache[KnownSample]
) -> dict[UUID, Sample]:
    """The samples of many inspections: kept ones at the listed revision as they are, the others
    brought up to date together, in changes reads of up to a hundred inspections each."""
    found: dict[UUID, Sample] = {}
    pending: dict[UUID, KnownSample | None] = {}
    for inspection in inspections:
        known = _kept(cache, inspection.id)
        if known and known.revision == inspection.sample_revision:
            found[inspection.id] = known.as_sample()
        else:  # behind, or ahead (a restored database): read whole then
            pending[inspection.id] = known if known and known.revision < inspection.sample_revision else None
    while pending:
        asked = dict(list(pending.items())[:CHANGES_MAX_INSPECTIONS])
        body = {
            "limit": CHANGES_LIMIT,
            "inspections": [{"inspection_id": str(i), "since": known.revision if known else None} for i, known in asked.items()],
        }
        answer = AssessmentChanges.model_validate_json((await _post(client, "/api/v1/assessments:changes", body)).content)
        if answer.missing:
            raise NotFound(f"inspection {answer.missing[0]} does not exist")
        for sample in answer.samples:
            known = asked[sample.inspection_id]
            if known and sample.sample_revision < known.revision:
                pending[sample.inspection_id] = None  # restored since the listing: read it whole
                continue
            fresh = (
                known.patched(sample.sample_revision, sample.items)
                if known
                else KnownSample(sample.sample_revision, assessed(sample.items), time.monotonic())
            )
            found[sample.inspection_id] = cache.put(sample.inspection_id, fresh).as_sample()
            del pending[sample.inspection_id]
        if not answer.samples:
            if not answer.deferred:
                raise UpstreamFailed("the cases service answered for none of the inspections asked")
            # Not even one fits in an answer: that one is read on its own, in pages.
            alone = answer.deferred[0]
            found[alone] = await assessed_cases(client, alone, cache)
            del pending[alone]
    return found


def select(items: Iterable[KeptCase], filters: Mapping[str, Sequence[str]]) -> list[KeptCase]:
    """The cases whose every filtered attribute takes one of the given values."""
    return [i for i in items if all(i.attribute(a) in values for a, values in filters.items())]


def group(items: Iterable[KeptCase], attribute: str) -> dict[str, list[KeptCase]]:
    groups: dict[str, list[KeptCase]] = {}
    for item in items:
        groups.setdefault(item.attribute(attribute), []).append(item)
    return dict(sorted(groups.items()))


def answers(items: Iterable[KeptCase]) -> list[Mapping[str, str]]:
    return [item.answers() for item in items]


def fingerprint(items: Iterable[KeptCase]) -> str:
    """SHA-256 of the canonical assessments: by case id, each with its version and answers, keys sorted."""
    canonical = [
        {"case_id": str(item.id), "version": item.version, "answers": item.answers()}
        for item in sorted(items, key=lambda item: str(item.id))
    ]
    return canonical_sha256(canonical)
