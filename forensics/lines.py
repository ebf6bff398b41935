"""Log lines read again on demand, so that a big log is not held twice in memory.

The log parsers keep every record's decoded fields, its `source`, `line` and the byte
`offset` of its first line, but not the line itself (`raw` is null) when the member can be
read again unchanged: a file of a folder bundle (read from disk again), or the member's bytes
(an archive member: those bytes are kept). `with_raw(df)` fills `raw` for the rows of `df`
that need it - the few lines a finding cites, or every line for an export - and redacts
them as `forensics.redact` redacts the frames, adding what it replaced to the bundle's count.

`load()` makes its store the current one (a context variable), so a rule or the version
detector can fill the lines it cites without being handed the store.
"""

from __future__ import annotations

import weakref
from contextlib import nullcontext
from contextvars import ContextVar

import polars as pl

# Above this many rows of one source, the whole member is read at once (vectorised).
ROWS_PER_SEEK = 20_000
CACHE_ROWS = 100_000


class LineStore:
    """Where each log member can be read again: a file path or the member's bytes."""

    def __init__(self) -> None:
        self._where: dict[str, str | bytes] = {}
        self._cache: dict[tuple[str, int], str] = {}
        self.redactions = 0
        self.keep: object = None  # what must live as long as the store (a spool directory)

    def add(self, source: str, where: str | bytes) -> None:
        self._where[source] = where

    def rename(self, prefix: str) -> None:
        """Sources made relative to the bundle root (`prefix` taken off), as `load` does."""
        self._where = {key.removeprefix(prefix): value for key, value in self._where.items()}

    def _read(self, source: str, offsets: list[int]) -> list[str | None]:
        where = self._where.get(source)
        if where is None:
            return [None] * len(offsets)
        out: list[str | None] = []
        if isinstance(where, (bytes, bytearray, memoryview)):
            data = where
            for offset in offsets:
                end = data.find(b"\n", offset)
                out.append(bytes(data[offset : end if end >= 0 else len(data)]).decode("utf-8", errors="replace"))
            return out
        try:
            with open(where, "rb") as handle:
                for offset in offsets:
                    handle.seek(offset)
                    out.append(handle.readline().rstrip(b"\n").decode("utf-8", errors="replace"))
        except OSError:
            return [None] * len(offsets)
        return out

    def _read_all(self, source: str) -> pl.DataFrame | None:
        """Every line of a member with its offset (source, offset, _raw), as the parsers read
        them (`parsers._logs.read_lines`: the offsets are the ones the log rows carry)."""
        from parsers._base import ParseResult
        from parsers._logs import read_lines

        where = self._where.get(source)
        if where is None:
            return None
        try:
            with open(where, "rb") if isinstance(where, str) else nullcontext() as handle:
                data = handle.read() if handle is not None else where
        except OSError:
            return None
        lines = read_lines(data, source, ParseResult("lines"))
        return lines.select(pl.lit(source).alias("source"), "offset", pl.col("raw").alias("_raw"))

    def fill(self, df: pl.DataFrame) -> pl.DataFrame:
        """`df` with `raw` filled (and redacted) where it is null and `offset` is known."""
        from forensics.redact import redact_series

        if df.height == 0 or "raw" not in df.columns or "offset" not in df.columns or "source" not in df.columns:
            return df
        wanted = pl.col("raw").is_null() & pl.col("offset").is_not_null()
        need = df.with_row_index("_row").filter(wanted).select("_row", "source", "offset")
        if need.height == 0:
            return df
        pieces: list[pl.DataFrame] = []
        for (source,), rows in need.group_by("source", maintain_order=True):
            if rows.height > ROWS_PER_SEEK:
                every = self._read_all(source)
                if every is None:
                    continue
                found = rows.join(every.drop("source"), on="offset", how="left")
                texts, count = redact_series(found["_raw"])
                self.redactions += count
                found = found.with_columns(texts.alias("_raw"))
                pieces.append(found.select("_row", "_raw"))
                continue
            offsets = rows["offset"].to_list()
            missing = [o for o in offsets if (source, o) not in self._cache]
            if missing:
                texts = pl.Series("_raw", self._read(source, sorted(set(missing))), dtype=pl.String)
                texts, count = redact_series(texts)
                self.redactions += count
                if len(self._cache) > CACHE_ROWS:
                    self._cache.clear()
                self._cache.update(zip(((source, o) for o in sorted(set(missing))), texts.to_list()))
            pieces.append(
                rows.select("_row", pl.Series("_raw", [self._cache.get((source, o)) for o in offsets], dtype=pl.String))
            )
        if not pieces:
            return df
        filled = pl.concat(pieces)
        out = df.with_row_index("_row").join(filled, on="_row", how="left", maintain_order="left")
        return out.with_columns(pl.coalesce("raw", "_raw").str.strip_chars_end("\r").alias("raw")).drop("_row", "_raw")


# The store of the bundle loaded last in this context, held weakly: it (and its spool
# directory) goes away with the frames that own it.
CURRENT: ContextVar[weakref.ref | None] = ContextVar("forensics_line_store", default=None)


def make_current(store: LineStore) -> None:
    CURRENT.set(weakref.ref(store))


def with_raw(df: pl.DataFrame, store: LineStore | None = None) -> pl.DataFrame:
    """`df` (log rows) with `raw` filled from `store`, else from the current analysis' store."""
    if store is None:
        ref = CURRENT.get()
        store = ref() if ref is not None else None
    return store.fill(df) if store is not None else df
