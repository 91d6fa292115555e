"""What many tests do the same way: a case to add, answers flipped, a write under the current ETag."""

import asyncio
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.tokens import AuthSettings, ensure_keys, sign

PROBLEM = "application/problem+json"


def local_auth(keys_dir: Path) -> AuthSettings:
    """The embedded issuer in a folder of the test run; unknown kids re-read the keys at once (rotation tests)."""
    ensure_keys(keys_dir)
    return AuthSettings(mode="embedded", keys_dir=keys_dir, key_refresh_seconds=0)


def bearer(auth: AuthSettings, subject: str, role: str, hours: float = 8) -> dict[str, str]:
    """The Authorization header of a token signed with the issuer's newest key."""
    return {"Authorization": f"Bearer {sign(auth, subject, role, hours)}"}


# For tests that start an app of their own rather than the suite's stack.
AUTH = local_auth(Path(tempfile.mkdtemp(prefix="omi-keys-")))
ADMIN = bearer(AUTH, "test-admin", "admin")
LICENCE_CASE = {
    "reference": "WM-001",
    "case_type": "licence",
    "roh_level": "high",
    "tier": 4,
    "ppo": False,
    "approved_premises": True,
    "statutory_victim_contact": True,
    "gender": "male",
    "ethnicity": "black",
    "assessor_role": "inspector",
}

Body = Mapping[str, Any] | Callable[[dict[str, Any]], Mapping[str, Any]]


async def add_case(gw: httpx.AsyncClient, inspection_id: str, **fields: Any) -> dict[str, Any]:
    response = await gw.post(f"/api/v1/inspections/{inspection_id}/cases", json=LICENCE_CASE | fields)
    assert response.status_code == 201, response.text
    return response.json()


def flipped(answers: Mapping[str, str], *, both_ways: bool = False) -> dict[str, str]:
    """Every yes made no (and every no yes, ``both_ways``); na and the rest as they were."""
    turned = {"yes": "no", "no": "yes"} if both_ways else {"yes": "no"}
    return {question: turned.get(judgement, judgement) for question, judgement in answers.items()}


async def write_with_current_etag(client: httpx.AsyncClient, method: str, url: str, body: Body) -> httpx.Response:
    """Read ``url``, then write ``body`` (or ``body(what was read)``) under the ETag just read."""
    current = await client.get(url)
    assert current.status_code == 200, current.text
    content = body(current.json()) if callable(body) else body
    return await client.request(method, url, json=content, headers={"If-Match": current.headers["etag"]})


async def put_with_current_etag(client: httpx.AsyncClient, url: str, body: Body) -> httpx.Response:
    return await write_with_current_etag(client, "PUT", url, body)


async def patch_with_current_etag(client: httpx.AsyncClient, url: str, body: Body) -> httpx.Response:
    return await write_with_current_etag(client, "PATCH", url, body)


async def publish_report(gw: httpx.AsyncClient, inspection_id: str) -> dict[str, Any]:
    """The inspection's report sent for comment and published (as it stands), through the gateway."""
    url = f"/api/v1/inspections/{inspection_id}/report"
    status = await gw.get(f"{url}/status")
    sent = await gw.post(f"{url}:send-for-comment", headers={"If-Match": status.headers["etag"]})
    assert sent.status_code == 200, sent.text
    published = await gw.post(f"{url}:publish", headers={"If-Match": sent.headers["etag"]})
    assert published.status_code == 200, published.text
    state: dict[str, Any] = published.json()
    return state


async def terminate_backend(admin: AsyncEngine, pid: int) -> None:
    """The server closes the backend ``pid`` (as a restart does to each), and the client has seen it."""
    async with admin.connect() as connection:
        assert await connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        gone = text("SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = :pid")
        while not await connection.scalar(gone, {"pid": pid}):  # noqa: ASYNC110 - polls the server
            await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)  # the event loop reads the closed socket: asyncpg marks the connection closed
