"""Idempotency-Key for creating POSTs, implemented once for every service.

The first response to a key is stored in the same transaction as what it created, so a
replay returns it again and creates nothing; the same key with a different body is 409.
Requests with one key are serialised before the replay lookup (a transaction-scoped advisory
lock on PostgreSQL, the database write lock on SQLite), so concurrent repeats wait for the
first to finish and then replay its response instead of racing it.
"""

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import delete, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Column, Field, SQLModel, Text, col

from shared import writing_ctes
from shared.auth import current_caller
from shared.canonical import canonical_sha256
from shared.db import UtcDateTime, get_session
from shared.errors import Conflict
from shared.responses import to_json

REPLAYED_HEADER = "Idempotent-Replayed"
# How long a key is remembered: long enough for any client's retries, short enough that the table
# does not grow for ever (expired records are dropped as new ones are written).
KEEP_FOR = timedelta(hours=24)


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_records"

    key: str = Field(primary_key=True, max_length=255)
    scope: str = Field(primary_key=True, max_length=512)
    request_hash: str = Field(max_length=64)
    status_code: int
    response_body: str = Field(sa_column=Column(Text, nullable=False))
    response_headers: str = Field(sa_column=Column(Text, nullable=False))
    # Indexed: expired records are found by age on every keyed write.
    created_at: datetime = Field(sa_type=UtcDateTime, index=True)


def _body_hash(body: bytes) -> str:
    try:
        return canonical_sha256(json.loads(body))
    except (ValueError, UnicodeDecodeError, RecursionError):  # not JSON, or nested too deeply to read: its bytes
        return hashlib.sha256(body).hexdigest()


class Idempotency:
    def __init__(self, session: AsyncSession, key: str | None, scope: str, request_hash: str) -> None:
        self.session = session
        self.key = key
        self.scope = scope
        self.request_hash = request_hash

    async def replay(self) -> JSONResponse | None:
        """The stored first response for this key, or None when the key is new (or absent).

        Call it first in the request's transaction: from here to the commit, other requests with
        this key wait."""
        if self.key is None:
            return None
        await writing_ctes.hold_transaction(self.session)
        await self._serialise()
        # Expired records go (an expired record of this very key included, so it can be reused).
        # On SQLite this first write also takes the database's write lock: one keyed write at a time.
        expired = col(IdempotencyRecord.created_at) < datetime.now(UTC) - KEEP_FOR
        await self.session.execute(delete(IdempotencyRecord).where(expired))
        record = await self.session.get(IdempotencyRecord, (self.key, self.scope))
        if record is None:
            return None
        if record.request_hash != self.request_hash:
            raise Conflict("This Idempotency-Key was used with a different request body.", kind="idempotency-key-reused")
        headers = json.loads(record.response_headers) | {REPLAYED_HEADER: "true"}
        return JSONResponse(json.loads(record.response_body), status_code=record.status_code, headers=headers)

    async def _serialise(self) -> None:
        connection = await self.session.connection()
        if connection.dialect.name == "postgresql":
            digest = hashlib.sha256(f"{self.scope}\n{self.key}".encode()).digest()
            lock = int.from_bytes(digest[:8], "big", signed=True)
            await connection.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": lock})

    async def respond(self, content: Any, status_code: int, headers: dict[str, str] | None = None) -> Response:
        """Build the response and, under a key, store it with the transaction that created the resource."""
        # A wire model is serialised once, by pydantic-core; anything else as FastAPI would encode it.
        body = content.model_dump_json().encode() if isinstance(content, BaseModel) else to_json(jsonable_encoder(content))
        headers = headers or {}
        if self.key is not None:
            now = datetime.now(UTC)
            self.session.add(
                IdempotencyRecord(
                    key=self.key,
                    scope=self.scope,
                    request_hash=self.request_hash,
                    status_code=status_code,
                    response_body=body.decode(),
                    response_headers=json.dumps(headers),
                    created_at=now,
                )
            )
            try:
                await self.session.flush()
            except IntegrityError as exc:
                # Only when replay() was not called first: another request with the key committed first.
                raise Conflict(
                    "A concurrent request with this Idempotency-Key won; retry to get its response.",
                    kind="idempotency-key-conflict",
                ) from exc
        return Response(body, status_code=status_code, headers=headers, media_type="application/json")


async def idempotency(
    request: Request,
    session: Annotated[AsyncSession, Depends(get_session, scope="function")],
    idempotency_key: Annotated[
        str | None,
        Header(max_length=255, description="Repeat a create safely: same key and body return the first response."),
    ] = None,
) -> Idempotency:
    if idempotency_key is None:
        return Idempotency(session, None, "", "")
    # The request is what the key stands for: its body, its query (a seed, a reason) and its media type.
    body = await request.body()
    query = "&".join(sorted(request.url.query.split("&"))) if request.url.query else ""
    media_type = request.headers.get("content-type", "")
    fingerprint = _body_hash(body) + hashlib.sha256(f"{query}\n{media_type}".encode()).hexdigest()
    # Keys are the caller's own: another subject's same key never replays someone else's response.
    caller = current_caller()
    subject = caller.principal.subject if caller else ""
    scope = f"{hashlib.sha256(subject.encode()).hexdigest()[:32]} {request.method} {request.url.path}"
    return Idempotency(session, idempotency_key, scope, hashlib.sha256(fingerprint.encode()).hexdigest())
