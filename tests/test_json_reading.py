"""shared.bodies.parse_json: orjson's fast reading gives exactly what the standard reader with its duplicate-key
check gives, for every text: the same value, or the same error naming the same key."""

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.bodies import _unique_keys, parse_json
from shared.errors import BadRequest, InvalidInput


def _standard(body: bytes) -> Any:
    """What the reader gave before orjson: the value, or the error's kind and fields."""
    try:
        return json.loads(body.decode("utf-8"), object_pairs_hook=_unique_keys, parse_constant=_reject)
    except RecursionError:
        return ("error", "json_too_deep")
    except ValueError as exc:  # a duplicate key (named), or not JSON
        key = getattr(exc, "key", None)
        return ("error", "_DuplicateKey", key) if key is not None else ("error", "json_invalid")


def _reject(name: str) -> Any:
    raise ValueError(name)


def _read(body: bytes) -> Any:
    try:
        return parse_json(body)
    except InvalidInput as exc:
        [error] = exc.errors
        return ("error", "_DuplicateKey", error.field) if error.type == "duplicate_key" else ("error", error.type)
    except BadRequest as exc:
        return ("error", exc.errors[0].type)


@pytest.mark.parametrize(
    ("body", "key"),
    [
        (b'{"tier": 99, "tier": 2}', "tier"),
        (b'{"rows": [{"answers": {"1.1": "yes", "1.1": "no"}}]}', "1.1"),
        (b'{"a": 1, "\\u0061": 2}', "a"),  # the same key once its escape is read
        (b'{"a\\u003a": 1, "a\\u003a": 2}', "a:"),  # an escaped colon: read by the standard reader
        (b'{"a:b": "c:d", "x": {"k": 1, "k": 2}}', "k"),  # colons in strings do not hide one
    ],
)
def test_a_duplicate_key_is_named(body: bytes, key: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_json(body)
    assert [(e.field, e.type) for e in raised.value.errors] == [(key, "duplicate_key")]


@pytest.mark.parametrize(
    ("body", "value"),
    [
        (b'{"a:b": "c:d", "e": ["f:", {"g": ":"}]}', {"a:b": "c:d", "e": ["f:", {"g": ":"}]}),
        (b'{"big": 123456789012345678901234567890}', {"big": 123456789012345678901234567890}),  # past orjson's 64 bits
        (b'{"s": "\\ud800"}', {"s": "\ud800"}),  # a lone surrogate, as the standard reader takes it
        (b" [1.5, -0, 1e2, true, null] ", [1.5, 0, 100.0, True, None]),
    ],
)
def test_what_orjson_does_not_take_is_read_as_before(body: bytes, value: Any) -> None:
    assert parse_json(body) == value


def test_unreadable_bodies_keep_their_errors() -> None:
    assert _read(b'{"a": NaN}') == ("error", "json_invalid")
    assert _read(b"[" * 5000 + b"]" * 5000) == ("error", "json_too_deep")


def test_a_body_deeper_than_orjson_writes_is_read_by_the_standard_reader() -> None:
    deep = b'{"a": ' * 300 + b"[]" + b"}" * 300  # orjson writes at most 254 levels
    value = _read(deep)
    for _ in range(300):
        value = value["a"]
    assert value == []
    assert _read(b'{"a": "\xff"}') == ("error", "utf8_invalid")
    assert _read(b'{"a": 1,}') == ("error", "json_invalid")


_KEYS = st.sampled_from(["a", "b", "a:", ":", "\\u0061", "\\u003a", "c\\\\u003a"])
_SCALARS = st.sampled_from(['"x"', '":"', '"y:z"', "1", "-2.5", "true", "null", "12345678901234567890123"])


@st.composite
def _texts(draw: st.DrawFn, depth: int = 0) -> str:
    """JSON texts whose objects often repeat a key, written directly or escaped."""
    if depth >= 3 or draw(st.booleans()):
        return draw(_SCALARS)
    if draw(st.booleans()):
        return "[" + ", ".join(draw(st.lists(_texts(depth + 1), max_size=3))) + "]"
    members = draw(st.lists(st.tuples(_KEYS, _texts(depth + 1)), max_size=4))
    return "{" + ", ".join(f'"{key}": {value}' for key, value in members) + "}"


@settings(max_examples=400, deadline=None)
@given(_texts())
def test_every_text_reads_as_the_standard_reader_reads_it(text: str) -> None:
    body = text.encode()
    assert _read(body) == _standard(body)
