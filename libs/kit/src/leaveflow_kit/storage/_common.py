"""Rules every storage adapter shares, so the three cannot drift apart.

Names, documents, filters and the retry loop of `atomic` are checked and interpreted here
once; each adapter only translates them to its own database.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import math
import random
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

import orjson

from .port import Between, Doc, IndexSpec, StorageError, Transaction, TransientConflict

T = TypeVar("T")
Scalar = str | int | float | bool | None
Condition = Scalar | Between
WhereItems = tuple[tuple[str, Condition], ...]

# Collection and field names end up inside SQL text (so that SQLite can match partial and
# expression indexes) and in MongoDB namespaces: a strict alphabet keeps both safe.
_COLLECTION_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,62}")
_FIELD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
# The MongoDB adapter keeps its outbox and inbox in collections of these names.
RESERVED_COLLECTIONS = frozenset({"outbox", "inbox"})


def check_collection(name: str) -> str:
    if not isinstance(name, str) or not _COLLECTION_RE.fullmatch(name):
        raise ValueError(f"invalid collection name {name!r}: use letters, digits and _")
    if name in RESERVED_COLLECTIONS:
        raise ValueError(f"collection name {name!r} is reserved for the store itself")
    return name


def check_field(name: str) -> str:
    if not isinstance(name, str) or not _FIELD_RE.fullmatch(name) or name == "_id":
        raise ValueError(f"invalid field name {name!r}: use letters, digits and _")
    return name


def check_key(key: str) -> str:
    if not isinstance(key, str) or not key:
        raise ValueError(f"a document key must be a non-empty string, got {key!r}")
    return key


def check_limit(limit: int | None) -> int | None:
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ValueError(f"limit must be a non-negative int or None, got {limit!r}")
    return limit


def check_index(spec: IndexSpec) -> IndexSpec:
    check_collection(spec.collection)
    if not spec.fields:
        raise ValueError(f"index on {spec.collection!r} names no field")
    for name in spec.fields:
        check_field(name)
    return spec


def index_name(spec: IndexSpec) -> str:
    prefix = "ux" if spec.unique else "ix"
    return f"{prefix}_{spec.collection}__{'__'.join(spec.fields)}"


def check_where(where: Mapping[str, Any]) -> WhereItems:
    """Equality filters on top-level fields, values limited to JSON scalars.

    Lists and objects are refused: databases disagree on what equality means for them
    (MongoDB matches an array that merely contains the value).
    """
    items: list[tuple[str, Condition]] = []
    for name, value in where.items():
        check_field(name)
        if isinstance(value, Between):
            items.append((name, check_between(name, value)))
            continue
        if value is not None and not isinstance(value, str | int | float):
            raise TypeError(f"where[{name!r}] must be a str, number, bool or None")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"where[{name!r}] must be a finite number")
        items.append((name, value))
    return tuple(items)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_between(name: str, between: Between) -> Between:
    """Two strings, or two finite numbers (not bools)."""
    low, high = between.low, between.high
    if isinstance(low, str) and isinstance(high, str):
        return between
    if isinstance(low, int | float) and isinstance(high, int | float):
        if isinstance(low, bool) or isinstance(high, bool):
            raise TypeError(f"where[{name!r}]: Between takes two strings or two numbers")
        if not (math.isfinite(low) and math.isfinite(high)):
            raise ValueError(f"where[{name!r}] bounds must be finite numbers")
        return between
    raise TypeError(f"where[{name!r}]: Between takes two strings or two numbers")


def in_range(actual: Any, between: Between) -> bool:
    """`Between` as the real databases see it: a value of the bounds' kind only."""
    low, high = between.low, between.high
    if isinstance(low, str) or isinstance(high, str):
        return isinstance(actual, str) and str(low) <= actual <= str(high)
    return _is_number(actual) and low <= actual <= high


def encode_doc(doc: Doc) -> str:
    """The stored form of a document; refuses what is not plain JSON."""
    if not isinstance(doc, dict):
        raise TypeError(f"a document must be a dict, got {type(doc).__name__}")
    for name in doc:
        if not isinstance(name, str):
            raise TypeError(f"document field names must be strings, got {name!r}")
        if name == "_id":
            raise ValueError("'_id' is reserved: a document is addressed by its key")
    try:
        text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"document is not JSON-compatible: {exc}") from exc
    if has_long_digit_run(text) and _has_wide_int(doc):
        raise TypeError("document is not JSON-compatible: an integer does not fit in 64 bits")
    return text


# Integers of 19 digits or more may not fit in 64 bits: MongoDB cannot store those, and
# orjson would read them back as floats, so no adapter accepts them. A text without such
# a run of digits (nearly all) is not walked.
_LONG_RUN = 19
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
# Every ASCII digit to "0", every other byte to " ": a run of digits is then a substring.
# About 1 us on a 1.3 KB document, where the regex \d{19,} took 30-40 us (it restarts at
# every digit of every run of dates and ids): the largest single cost of a year end's
# write of 100,000 carry-overs (issue 19's profile).
_DIGITS_TO_ZERO = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_ZEROS = b"0" * _LONG_RUN


def has_long_digit_run(text: str) -> bool:
    """Whether `text` holds 19 ASCII digits in a row (the JSON encoder writes a number
    only in ASCII digits, so other scripts' digits never make an integer)."""
    return _ZEROS in text.encode("utf-8", "surrogatepass").translate(_DIGITS_TO_ZERO)


def _has_wide_int(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return not _INT64_MIN <= value <= _INT64_MAX
    if isinstance(value, dict):
        return any(_has_wide_int(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_wide_int(v) for v in value)
    return False


def decode_doc(text: str) -> Doc:
    # orjson: about three times the standard library's speed on our documents, and
    # documents are decoded on every read path.
    doc: Doc = orjson.loads(text)
    return doc


def same_value(actual: Any, expected: Scalar) -> bool:
    """Equality as the real databases see it: None matches missing or null, a bool never
    equals a number, 1 equals 1.0, a string only equals a string."""
    if expected is None:
        return actual is None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(expected, str):
        return isinstance(actual, str) and actual == expected
    return isinstance(actual, int | float) and actual == expected


def matches(doc: Doc, where: WhereItems) -> bool:
    return all(
        in_range(doc.get(name), value)
        if isinstance(value, Between)
        else same_value(doc.get(name), value)
        for name, value in where
    )


def unique_values(doc: Doc, fields: tuple[str, ...]) -> tuple[Any, ...] | None:
    """The (hashable) entry a unique index holds for `doc`; None when a field is missing
    or null, as such documents are not constrained (SQLite's NULL rule, a partial index in
    MongoDB)."""
    values = tuple(doc.get(name) for name in fields)
    if any(value is None for value in values):
        return None
    return tuple(
        ("json", json.dumps(value, sort_keys=True)) if isinstance(value, list | dict) else value
        for value in values
    )


class _Operation:
    """One operation of a transaction: refused once it ended, and a failure (an Exception,
    not a cancellation) dooms it. A class rather than a @contextmanager: it wraps every
    operation, and a generator costs 0.9 µs a use against 0.15 µs (issue 19)."""

    __slots__ = ("_state",)

    def __init__(self, state: TransactionState) -> None:
        self._state = state

    def __enter__(self) -> None:
        self._state.check()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if isinstance(exc, Exception):
            self._state.failure = exc


class TransactionState:
    """Guards a transaction object: no use after it ended, and a failed write dooms it.

    MongoDB aborts a transaction on any write error, so every adapter does the same: once
    an operation raised (e.g. DuplicateKey), `atomic` raises that error even if `fn`
    caught it, and nothing is committed.
    """

    def __init__(self) -> None:
        self.finished = False
        self.failure: BaseException | None = None
        self._operation = _Operation(self)

    def check(self) -> None:
        if self.finished:
            raise StorageError("this transaction has already ended")
        if self.failure is not None:
            raise StorageError("this transaction was aborted by an earlier error") from (
                self.failure
            )

    def operation(self) -> _Operation:
        """`with state.operation():` around each of the transaction's operations."""
        return self._operation

    def raise_failure(self) -> None:
        if self.failure is not None:
            raise self.failure

    async def run(self, fn: Callable[[Any], Awaitable[T]], tx: Any) -> T:
        """`fn(tx)`; if an operation failed, raise that failure even if fn caught it (a
        later "aborted" error is replaced by its cause, which is what callers handle)."""
        try:
            result = await fn(tx)
        except StorageError:
            self.raise_failure()
            raise
        self.raise_failure()
        return result


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries of `atomic` on TransientConflict, with full-jitter backoff."""

    max_attempts: int = 30
    base_delay: float = 0.002
    max_delay: float = 0.1

    def delay(self, attempt: int) -> float:
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))


_open_transactions: contextvars.ContextVar[frozenset[int]] = contextvars.ContextVar(
    "leaveflow_open_transactions", default=frozenset()
)


async def run_atomic(
    store: object,
    attempt: Callable[[Callable[[Transaction], Awaitable[T]]], Awaitable[T]],
    fn: Callable[[Transaction], Awaitable[T]],
    policy: RetryPolicy,
) -> T:
    """Run `attempt(fn)` until it does not raise TransientConflict, at most
    `policy.max_attempts` times. Nested `atomic` on the same store is refused: the inner
    call would either deadlock (one writer) or commit on its own (MongoDB)."""
    open_now = _open_transactions.get()
    if id(store) in open_now:
        raise RuntimeError("Store.atomic cannot be nested: pass the transaction down instead")
    token = _open_transactions.set(open_now | {id(store)})
    try:
        for number in range(1, policy.max_attempts + 1):
            try:
                return await attempt(fn)
            except TransientConflict:
                if number == policy.max_attempts:
                    raise
            await asyncio.sleep(policy.delay(number))
        raise AssertionError("unreachable")  # pragma: no cover
    finally:
        _open_transactions.reset(token)
