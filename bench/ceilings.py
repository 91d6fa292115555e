"""The database's own ceilings for the suite's writes, measured in the same run on a scratch database of
the same server: an assessment written as one transaction of its row and its history row from 16
connections (raw asyncpg, no framework), and `copy_records_to_table` of import-sized batches of those rows."""

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime

import asyncpg

TABLES = """
CREATE TABLE assessments (
    case_id uuid PRIMARY KEY, inspection_id uuid NOT NULL, framework_id varchar(64) NOT NULL,
    framework_version int NOT NULL, version int NOT NULL, answers json NOT NULL, evidence json NOT NULL,
    assessor varchar(200), reason text, revision int NOT NULL, created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL);
CREATE INDEX ON assessments (inspection_id, revision);
CREATE TABLE assessment_versions (
    case_id uuid NOT NULL, version int NOT NULL, answers json NOT NULL, evidence json NOT NULL,
    assessor varchar(200), reason text, created_at timestamptz NOT NULL, PRIMARY KEY (case_id, version));
"""
ROW = "INSERT INTO assessments VALUES ($1, $2, 'omi-2008', 1, 1, $3, '{}', 'bench', NULL, 1, $4, $4)"
HISTORY = "INSERT INTO assessment_versions VALUES ($1, 1, $2, '{}', 'bench', NULL, $3)"


async def _database(admin_dsn: str) -> tuple[str, str]:
    name = f"omi_bench_ceiling_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    dsn = admin_dsn.rsplit("/", 1)[0] + "/" + name
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(TABLES)
    finally:
        await connection.close()
    return name, dsn


async def _drop(admin_dsn: str, name: str) -> None:
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def single_row_transactions(dsn: str, answers: str, seconds: float, connections: int = 16) -> tuple[float, list[float]]:
    """Writes a second (row + history row per transaction) and each write's milliseconds."""
    pool = await asyncpg.create_pool(dsn, min_size=connections, max_size=connections)
    inspection = uuid.uuid4()
    latencies: list[float] = []
    stop = time.perf_counter() + seconds

    async def writer() -> None:
        async with pool.acquire() as connection:
            while time.perf_counter() < stop:
                started = time.perf_counter()
                case, now = uuid.uuid4(), datetime.now(UTC)
                async with connection.transaction():
                    await connection.execute(ROW, case, inspection, answers, now)
                    await connection.execute(HISTORY, case, answers, now)
                latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    try:
        await asyncio.gather(*(writer() for _ in range(connections)))
    finally:
        await pool.close()
    return len(latencies) / (time.perf_counter() - started), latencies


async def copy_rows(dsn: str, answers: str, rows: int) -> float:
    """Rows a second for one COPY of ``rows`` assessments and their history rows, in one transaction."""
    inspection, now = uuid.uuid4(), datetime.now(UTC)
    cases = [uuid.uuid4() for _ in range(rows)]
    current = [(c, inspection, "omi-2008", 1, 1, answers, "{}", "bench", None, 1, now, now) for c in cases]
    history = [(c, 1, answers, "{}", "bench", None, now) for c in cases]
    connection = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        async with connection.transaction():
            await connection.copy_records_to_table("assessments", records=current)
            await connection.copy_records_to_table("assessment_versions", records=history)
        return rows / (time.perf_counter() - started)
    finally:
        await connection.close()


async def measure(admin_dsn: str, answers: dict[str, str], seconds: float, repeat: int, rows: int) -> dict[str, object]:
    """The ceilings, each repeated: writes a second (with latencies) and COPY rows a second."""
    name, dsn = await _database(admin_dsn)
    try:
        text = json.dumps(answers)
        await single_row_transactions(dsn, text, min(1.0, seconds))  # warm up
        writes = [await single_row_transactions(dsn, text, seconds) for _ in range(repeat)]
        await copy_rows(dsn, text, rows)
        copies = [await copy_rows(dsn, text, rows) for _ in range(max(3, repeat))]
    finally:
        await _drop(admin_dsn, name)
    return {
        "write_rates": [rate for rate, _ in writes],
        "write_ms": [ms for _, run in writes for ms in run],
        "copy_rates": copies,
    }
