"""The assessed sample of an inspection, read from the cases service in one paged bulk read."""

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from uuid import UUID

import time
from dataclasses import dataclass

import httpx

from services.scoring.logic.cache import LruCache
from shared.problems import ProblemError
from shared.schemas.cases import CaseAssessment
from shared.schemas.common import Page
from shared.schemas.inspections import Inspection

PAGE_SIZE = 500
# Case attributes a breakdown may filter or group on.
ATTRIBUTES = (
    "case_type", "roh_level", "tier", "ppo", "approved_premises", "statutory_victim_contact",
    "gender", "ethnicity", "assessor_role",
)


async def read(client: httpx.AsyncClient, url: str, params: dict, headers: dict | None = None) -> httpx.Response:
    """A GET to the cases service; its failures become problems (a 304 is the caller's to handle)."""
    try:
        response = await client.get(url, params=params, headers=headers)
    except httpx.TransportError as exc:
        raise ProblemError(503, "Cases service unavailable", "assessments could not be read", headers={"Retry-After": "5"}) from exc
    if response.status_code == 304:
        return response
    if response.status_code == 404:
        raise ProblemError(404, "Not Found", response.json().get("detail", "not found"), kind="not-found")
    if response.status_code != 200:
        raise ProblemError(502, "Bad gateway", f"the cases service answered {response.status_code}")
    return response


async def inspection(client: httpx.AsyncClient, inspection_id: UUID) -> Inspection:
    return Inspection.model_validate_json((await read(client, f"/api/v1/inspections/{inspection_id}", {})).content)


Sample = tuple[str, list[CaseAssessment]]  # a key for this state of the sample ("" if none) and its assessed cases


# A kept sample is read whole again after this long, so that writes the revisions cannot show (a
# cases pod of an older release during a rolling deploy, a database restored to an earlier
# revision that then counts up again) are picked up within a bounded time.
KEEP_SAMPLE_FOR = 600.0


@dataclass(frozen=True)
class KnownSample:
    """A sample as last read: its ETag, its revision number and its assessed cases by case id."""

    etag: str
    revision: int
    cases: dict[UUID, CaseAssessment]
    read_at: float  # time.monotonic() of the last whole read

    def as_sample(self) -> Sample:
        # The key scores are kept under: the revision, and when it was last read whole (a whole
        # read may find what the revision did not show).
        return f"{self.etag}@{self.read_at}" if self.etag else "", list(self.cases.values())


async def assessed_cases(client: httpx.AsyncClient, inspection_id: UUID, cache: LruCache[KnownSample]) -> Sample:
    """Every case of the sample that has an assessment, and the sample's revision, in paged bulk
    reads (no call per case). Known before: only what changed since is read (304 when nothing)."""
    url = f"/api/v1/inspections/{inspection_id}/assessments"
    known = cache.get(inspection_id)
    if known and time.monotonic() - known.read_at > KEEP_SAMPLE_FOR:
        known = None
    params: dict = {"limit": PAGE_SIZE} | ({"since": known.revision} if known else {})
    response = await read(client, url, params, {"If-None-Match": known.etag} if known else None)
    if response.status_code == 304 and known:
        return known.as_sample()
    etag, revision = response.headers.get("etag", ""), response.headers.get("sample-revision", "")
    if known and revision.isdigit() and int(revision) < known.revision:
        # The revision went backwards (a restored database): what we hold cannot be patched up.
        known, params = None, {"limit": PAGE_SIZE}
        response = await read(client, url, params)
        etag, revision = response.headers.get("etag", ""), response.headers.get("sample-revision", "")
    cases = dict(known.cases) if known else {}
    while True:
        page = Page[CaseAssessment].model_validate_json(response.content)
        cases.update((item.case.id, item) for item in page.items if item.assessment is not None)
        if page.next_cursor is None:
            break
        response = await read(client, url, params | {"cursor": page.next_cursor})
    # A sample patched with changes is as old as its last whole read.
    fresh = KnownSample(etag, int(revision) if revision.isdigit() else -1, cases, known.read_at if known else time.monotonic())
    if etag and revision.isdigit():
        cache.put(inspection_id, fresh)
    return fresh.as_sample()


def attribute_value(item: CaseAssessment, attribute: str) -> str:
    value = getattr(item.case, attribute)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(getattr(value, "value", value))


def select(items: Iterable[CaseAssessment], filters: Mapping[str, Sequence[str]]) -> list[CaseAssessment]:
    """The cases whose every filtered attribute takes one of the given values."""
    return [i for i in items if all(attribute_value(i, a) in values for a, values in filters.items())]


def group(items: Iterable[CaseAssessment], attribute: str) -> dict[str, list[CaseAssessment]]:
    groups: dict[str, list[CaseAssessment]] = {}
    for item in items:
        groups.setdefault(attribute_value(item, attribute), []).append(item)
    return dict(sorted(groups.items()))


def answers(items: Iterable[CaseAssessment]) -> list[dict[str, str]]:
    return [item.assessment.answers for item in items]


def fingerprint(items: Iterable[CaseAssessment]) -> str:
    """SHA-256 of the canonical assessments: by case id, each with its version and answers, keys sorted."""
    canonical = sorted(
        (
            {"case_id": str(i.case.id), "version": i.assessment.version,
             "answers": i.assessment.answers}
            for i in items
        ),
        key=lambda entry: entry["case_id"],
    )
    return hashlib.sha256(json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
