"""Hop 1: every member of a bundle through the parser that recognises it -> one Frames object.

Every member ends up in the inventory: the parser that read it and the rows it produced,
or why it was not read (a symlink to a member read elsewhere, no parser for it, refused).
Problems of the bundle reader and of the parsers are collected in the `problems` frame.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import polars as pl

import parsers
from parsers import event_tables, objects
from parsers._base import FileData
from forensics import redact
from forensics.bundle import TIME_RANGE, Bundle, Member, Reader, strip_root
from forensics.lines import LineStore, make_current


@dataclass
class InventoryItem:
    path: str
    size: int
    parser: str | None
    rows: int
    problems: int
    note: str


@dataclass
class Frames:
    """The typed frames of one bundle (DESIGN.md §3); a missing frame is empty, never absent."""

    data: dict[str, pl.DataFrame]
    bundle: Bundle
    inventory: list[InventoryItem] = field(default_factory=list)
    lines: LineStore = field(default_factory=LineStore)  # log lines read again on demand

    def __getitem__(self, kind: str) -> pl.DataFrame:
        return self.data[kind]

    def with_raw(self, df: pl.DataFrame) -> pl.DataFrame:
        """Log rows of this bundle with `raw` filled (read again, redacted)."""
        return self.lines.fill(df)

    @property
    def redactions(self) -> int:
        """Values redacted in the frames and in the log lines read again so far."""
        return self.bundle.redactions + self.lines.redactions

    def has(self, kind: str) -> bool:
        return self.data[kind].height > 0


# progress(phase, member, size): "read" for each member as it is read (its bytes), then "parse"
# once every member is (what is left of the parsing and the frames' assembly).
Progress = Callable[[str, str, int], None]

PARSE_THREADS = 2
MAX_PENDING = 4
MAX_HELD = 256 * 1024**2
# Small members are parsed in groups of up to SMALL_GROUP (`parsers.parse_small`): crust-gather
# writes every object as a file of its own (bench/README.md: 200,000 Event files).
SMALL_BYTES = 64 * 1024
SMALL_GROUP = 512


def load(path: str, max_bytes: int | None = None, progress: Progress | None = None, **caps: int | None) -> Frames:
    """Read and parse a bundle. Raises `forensics.bundle.BundleError` only for unusable input."""
    reader = Reader(
        path, **({"max_bytes": max_bytes} if max_bytes else {}), **{k: v for k, v in caps.items() if v}
    )  # max_members, max_ratio
    collected: dict[str, list[pl.DataFrame]] = {kind: [] for kind in parsers.FRAME_NAMES}
    origins: dict[str, list[str | None]] = {
        kind: [] for kind in parsers.FRAME_NAMES
    }  # a frame's member when every row's source is it
    problems: list[dict] = []
    problem_frames: list[pl.DataFrame] = []  # the parsers' problems, member by member
    inventory: list[InventoryItem] = []
    parsed: list[Member] = []  # the member of each inventory item made by `take`
    notes: dict[str, str] = {}  # one string for each distinct note (200,000 object files: a few notes)
    store = LineStore()

    def take(member, path, data, result) -> None:  # `path`: the member's as read, before the root is known
        parsed.append(member)
        if result is None:
            inventory.append(InventoryItem(path, member.size, None, 0, 0, "no parser recognises this file"))
            return
        for kind, df in result.frames.items():
            collected[kind].append(df)
            origins[kind].append(path if _all_from(df, path) else None)
        logs = result.frames.get("logs")
        if logs is not None and logs["offset"].is_not_null().any():  # lines to read again on demand
            store.add(path, member.disk or data)
        member.disk = None  # the store's now: the bundle's members outlive the reading
        found = result.problem_count()
        if found:
            problem_frames.append(result.problem_frame())
        note = notes.setdefault(result.note, result.note)
        inventory.append(InventoryItem(path, member.size, result.parser, result.rows(), found, note))

    _parse_members(reader, take, progress)
    bundle = reader.bundle
    store.keep = reader.spool  # archive members copied to disk live as long as the store
    for item, member in zip(inventory, parsed):  # the reader has taken the root off its members' paths
        item.path = member.path
    if bundle.root:
        store.rename(bundle.root + "/")
    _unread(bundle, inventory, problems)
    problems += bundle.problems

    data = {}
    for kind in parsers.FRAME_NAMES:
        frames = collected[kind]
        df = pl.concat(frames, how="vertical_relaxed") if frames else parsers.empty(kind)
        data[kind] = _aligned(df)
    data["problems"] = _aligned(
        pl.concat([data["problems"], *problem_frames, parsers._base.frame("problems", problems)])
    )
    if bundle.root:  # sources are relative to the bundle root
        for kind, df in data.items():
            if "source" in df.columns and df.height:
                data[kind] = _relative_sources(df, bundle.root, collected.get(kind, []), origins.get(kind, []))
    inventory.sort(key=lambda item: item.path)
    data = _resolve_releases(data)
    data = _dedupe(data)
    data["events"] = _resolve_namespaces(event_tables.anchor(data["events"], bundle.collected_at), data["releases"])
    data = _implausible_times(data)
    data, bundle.redactions = redact.redact(data)  # secrets out of every frame, before any rule or output
    bundle.redactions += _redact_inventory(inventory, bundle)  # member names, link targets, notes
    frames = Frames(data=data, bundle=bundle, inventory=inventory, lines=store)
    make_current(store)
    return frames


def _unread(bundle: Bundle, inventory: list[InventoryItem], problems: list[dict]) -> None:
    """The inventory items of the members not parsed (links, archives read in place, refused
    files), and a problem for each refused one."""
    for member in bundle.members:
        if member.type == "symlink":
            inventory.append(
                InventoryItem(member.path, 0, None, 0, 0, member.note or f"symlink to {member.target} (read there)")
            )
        elif member.type == "archive":
            inventory.append(InventoryItem(member.path, member.size, None, 0, 0, member.note))
        elif member.type == "refused":
            inventory.append(InventoryItem(member.path, member.size, None, 0, 1, f"refused: {member.note}"))
            as_read = f"{bundle.root}/{member.path}" if bundle.root else member.path  # as the parsers' sources
            problems.append({"source": as_read, "line": None, "reason": f"refused: {member.note}", "excerpt": ""})


def _parse_members(reader: Reader, take, progress: Progress | None) -> None:
    """Every file of the bundle parsed, `take(member, path, data, result)` called in member order
    (`path`: the member's path as read, the bundle's root not yet taken off).

    Members are parsed by PARSE_THREADS threads while the next ones are read (Polars and
    Arrow release the GIL: a big log and the object files overlap), with at most MAX_PENDING
    members or groups / MAX_HELD bytes in memory at once. A folder's big files (logs read from disk)
    are started first, on a thread of their own: the object files before them in member
    order are mostly Python, holding the GIL, and would leave a core idle; the streamed
    decode needs no GIL. Small members (up to SMALL_BYTES) go in groups of up to SMALL_GROUP
    (`parsers.parse_small`), parsed on the reading thread itself: their parsing is Python
    holding the GIL, and on another thread it overlapped nothing but cost the handoffs of the
    GIL at each of the reader's system calls (bench/README.md: 200,000 files). Results are
    taken in member order."""
    early = ThreadPoolExecutor(max_workers=1, thread_name_prefix="forensics-early")
    started = {
        (path, data.path, data.size): early.submit(parsers.parse_member, path, data)
        for path, data in reader.big_files()
    }
    with early, ThreadPoolExecutor(max_workers=PARSE_THREADS) as pool:
        pending: deque = deque()  # (future, [(member, path, data, size)], grouped): a member, or a group of small ones
        held = 0
        group: list[tuple[Member, str, bytes, int]] = []
        previous: tuple[str, bytes] | None = None  # the member read last, when a JSON file in memory

        def submit(future, members: list, grouped: bool = False) -> None:
            nonlocal held
            pending.append((future, members, grouped))
            held += sum(size for *_, size in members)
            while pending and (len(pending) > MAX_PENDING or held > MAX_HELD):
                take_next()

        def take_next() -> None:
            nonlocal held
            future, members, grouped = pending.popleft()
            results = future.result() if grouped else [future.result()]
            for (member, path, data, size), result in zip(members, results):
                take(member, path, data, result)
                held -= size

        def flush() -> None:
            if group:
                members = list(group)
                group.clear()
                done: Future = Future()  # parsed here, on the reading thread (see above)
                done.set_result(parsers.parse_small([(path, data) for _, path, data, _ in members]))
                submit(done, members, grouped=True)

        for member, data in reader.files():
            path = member.path  # as read: the reader takes the bundle's root off after the last member
            if progress:
                progress("read", path, len(data))
            size = len(data) if isinstance(data, bytes) else 0
            key = (path, data.path, data.size) if isinstance(data, FileData) else None
            twin = previous if _is_twin(path, data, previous) else None
            previous = (path, data) if isinstance(data, bytes) and path.endswith(".json") else None
            if twin is None and isinstance(data, bytes) and size <= SMALL_BYTES:
                group.append((member, path, data, size))
                if len(group) == SMALL_GROUP:
                    flush()
                continue
            flush()
            submit(started.pop(key, None) or pool.submit(_parse, path, data, twin), [(member, path, data, size)])
        flush()
        if progress:
            progress("parse", "", 0)
        while pending:
            take_next()
        for future in started.values():  # not handed over as started (a cap, a file changed): not used
            future.cancel()


def _is_twin(path: str, data, previous: tuple[str, bytes] | None) -> bool:
    """A YAML file read right after the JSON file of the same name (troubleshoot writes each
    custom resource file in both)."""
    return (
        previous is not None
        and isinstance(data, bytes)
        and path.endswith((".yaml", ".yml"))
        and previous[0] == path.rsplit(".", 1)[0] + ".json"
    )


def _parse(path: str, data, twin: tuple[str, bytes] | None):
    """`parsers.parse_member`, or for a YAML twin holding the same objects as the JSON file
    read before it, a note that says so (`parsers.objects.twin`)."""
    if twin is not None:
        same = objects.twin(data, *twin)
        if same is not None:
            return same
    return parsers.parse_member(path, data)


def _redact_inventory(inventory: list[InventoryItem], bundle: Bundle) -> int:
    """The inventory's paths and notes (member names, symlink targets) and the bundle's root
    folder redacted as the frames are; the number of values replaced."""
    texts = [item.path for item in inventory] + [item.note for item in inventory] + [bundle.root, bundle.name]
    redacted, count = redact.redact_texts(texts)
    if count:
        n = len(inventory)
        for item, path, note in zip(inventory, redacted[:n], redacted[n : 2 * n]):
            item.path, item.note = path, note
        bundle.root, bundle.name = redacted[-2], redacted[-1]
    return count


def _implausible_times(data: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Times outside TIME_RANGE (Go's zero time, year 9999, an age of centuries) taken off
    the timeline: set to null, so that no rule or renderer computes with them, and flagged,
    one problem per member and column with the first such value and its line (the line, its
    excerpt, keeps the time as written)."""
    low, high = (pl.lit(bound).dt.cast_time_unit("us") for bound in TIME_RANGE)
    problems = []
    for kind, df in data.items():
        columns = [name for name, dtype in df.schema.items() if isinstance(dtype, pl.Datetime)]
        if not columns or not df.height:
            continue
        outside = {name: (pl.col(name) < low) | (pl.col(name) >= high) for name in columns}
        flags = df.select(pl.any_horizontal(list(outside.values())).fill_null(False)).to_series()
        if not flags.any():
            continue
        found = df.filter(flags)
        for name in columns:
            bad = found.filter(outside[name].fill_null(False))
            for (source,), rows in bad.group_by("source", maintain_order=True):
                first = rows.row(0, named=True)
                value = rows.select(pl.col(name).dt.to_string("%Y-%m-%dT%H:%M:%SZ")).item(0, 0)
                problems.append(
                    {
                        "source": source,
                        "line": first.get("line"),
                        "reason": f"{rows.height} time(s) in {kind}.{name} outside "
                        f"{TIME_RANGE[0].year}-{TIME_RANGE[1].year} (first: {value}): not placed on the "
                        f"timeline",
                        "excerpt": first.get("excerpt") or "",
                    }
                )
        data[kind] = df.with_columns(
            pl.when(outside[name].fill_null(False)).then(None).otherwise(pl.col(name)).alias(name) for name in columns
        )
    if problems:
        data["problems"] = pl.concat(
            [data["problems"], parsers._base.frame("problems", problems)], how="vertical_relaxed"
        )
    return data


def _all_from(df: pl.DataFrame, path: str) -> bool:
    """Every row of a member's frame has the member's path as its source (the parsers' rule;
    checked, not assumed)."""
    return "source" in df.columns and (df.height == 0 or bool(df.select((pl.col("source") == path).all()).item()))


def _relative_sources(
    df: pl.DataFrame, root: str, pieces: list[pl.DataFrame], origins: list[str | None]
) -> pl.DataFrame:
    """`df` with its sources relative to the bundle root (`strip_root`). When each member's
    piece has one source, its member's path, the column is that path repeated per piece: the
    same values without a string operation on every row (two million log rows: 80 ms), and
    a column of repeats that the redaction reads quickly."""
    if pieces and None not in origins and sum(piece.height for piece in pieces) == df.height:
        column = pl.concat(
            [
                pl.repeat(strip_root(origin, root), piece.height, dtype=pl.String, eager=True)
                for origin, piece in zip(origins, pieces)
                if piece.height
            ],
            rechunk=False,
        )
        return _aligned(df.with_columns(column.alias("source")))
    return df.with_columns(pl.col("source").str.strip_prefix(root + "/"))


def _aligned(df: pl.DataFrame) -> pl.DataFrame:
    """`df` with every column cut into chunks at the same rows, without copying any data.

    Members and log pieces come in chunks; a column whose values differ from member to
    member (`source`) is cut only between members, the others between pieces too. A select
    on a frame whose columns are cut at different rows first copies every column into one
    chunk (half a gigabyte of views for two million log rows, in every rule); and rechunking
    once would leave as much memory behind. Instead the columns with fewer cuts are cut
    again, by zero-copy slices, where the others are. A column of one chunk is left as it is
    (a value broadcast over all rows is no chunk at all to Polars)."""
    if df.height == 0 or df.width < 2:
        return df
    columns = [df.get_column(name) for name in df.columns]
    counts = [column.n_chunks() for column in columns]
    reference = columns[counts.index(max(counts))]
    cuts = _cuts(reference)
    for index, column in enumerate(columns):
        if 1 < counts[index] and _cuts(column) != cuts:
            starts = [0, *cuts]
            ends = [*cuts, df.height]
            pieces = [column.slice(a, b - a) for a, b in zip(starts, ends)]
            df.replace_column(index, pl.concat(pieces, rechunk=False))
    return df


def _cuts(column: pl.Series) -> list[int]:
    """The rows where a column's chunks begin, the first one excepted."""
    total, out = 0, []
    for chunk in column.get_chunks()[:-1]:
        total += len(chunk)
        out.append(total)
    return out


def _resolve_namespaces(events: pl.DataFrame, releases: pl.DataFrame) -> pl.DataFrame:
    """A HelmRelease event from a table without NAMESPACE gets the namespace of the only
    HelmRelease of that name in the bundle (left unknown when there are several or none)."""
    missing = (pl.col("kind") == "HelmRelease") & pl.col("namespace").is_null()
    if not events.height or not releases.height or not events.select(missing.any()).item():
        return events
    unique = (
        releases.select("name", "namespace").unique().filter(pl.col("name").is_unique()).rename({"namespace": "_ns"})
    )
    joined = events.join(unique, on="name", how="left")
    namespace = pl.when(missing).then(pl.col("_ns")).otherwise(pl.col("namespace"))
    return joined.with_columns(
        namespace.alias("namespace"),
        pl.when(missing & pl.col("_ns").is_not_null())
        .then(pl.format("{}/{}", pl.col("_ns"), pl.col("name")))
        .otherwise(pl.col("release"))
        .alias("release"),
    ).drop("_ns")


_KEYED = ("releases", "events", "logs")  # frames whose `release` is a HelmRelease key


def _resolve_releases(data: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Rows read from text that did not name their release in full get the release the rest of
    the bundle names: `?/<name>` the one release of that name whose namespace is known, `?/?`
    the one release the bundle names at all (a paste about one release names it once). Where
    there is not exactly one, the key stays as it is; a resolved row says so (`release_basis`)."""
    known = pl.concat([data[kind].select("release") for kind in _KEYED]).drop_nulls().unique()["release"].to_list()
    if not any(key.startswith("?/") for key in known):
        return data
    full = [key for key in known if not key.startswith("?/")]
    mapping: dict[str, tuple[str, str]] = {}
    for key in known:
        if key.startswith("?/") and key != "?/?":
            matches = [f for f in full if f.split("/", 1)[1] == key[2:]]
            if len(matches) == 1:
                mapping[key] = (matches[0], f"namespace from {matches[0]} elsewhere in the bundle")
    named = {mapping.get(key, (key, ""))[0] for key in known if key != "?/?"}
    if "?/?" in known and len(named) == 1:
        only = named.pop()
        mapping["?/?"] = (only, f"the only release the bundle names ({only})")
    elif "?/?" in known:  # a log record cut before its keys, in a bundle of many releases: a controller line
        data["logs"] = data["logs"].with_columns(
            pl.when(pl.col("release") == "?/?").then(None).otherwise(pl.col("release")).alias("release")
        )
    if not mapping:
        return data
    old = list(mapping)
    new = [mapping[key][0] for key in old]
    why = [mapping[key][1] for key in old]
    for kind, df in data.items():
        if "release" not in df.columns or not df.height:
            continue
        hit = pl.col("release").is_in(old)
        columns = [
            pl.when(hit)
            .then(pl.col("release").replace_strict(old, new, default=None))
            .otherwise(pl.col("release"))
            .alias("release")
        ]
        if kind == "logs":  # a record cut before its keys, now known to be about this HelmRelease
            columns.append(
                pl.when(hit & pl.col("kind").is_null())
                .then(pl.lit("HelmRelease"))
                .otherwise(pl.col("kind"))
                .alias("kind")
            )
        if kind in ("releases", "events"):
            resolved = pl.col("release").replace_strict(old, new, default=None)
            columns += [
                pl.when(hit)
                .then(resolved.str.split("/").list.get(0))
                .otherwise(pl.col("namespace"))
                .alias("namespace"),
                pl.when(hit).then(resolved.str.split("/").list.get(1)).otherwise(pl.col("name")).alias("name"),
                pl.when(hit)
                .then(pl.col("release").replace_strict(old, why, default=None))
                .otherwise(pl.col("release_basis"))
                .alias("release_basis"),
            ]
        data[kind] = df.with_columns(columns)
    return data


def _dedupe(data: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The same object read twice (a JSON file and its YAML twin copy) counts once."""
    releases = data["releases"]
    if releases.height and releases["release"].n_unique() < releases.height:
        # Keep the full object over a table row, then the first seen.
        # Keep the richest form: the object, then `kubectl describe`, then a table row.
        # then a status message, alert labels, a metric series: the less it says, the later
        rank = pl.col("input_format").replace_strict(
            {"object": 0, "kubectl-describe": 1, "alert": 3, "metric": 4}, default=2, return_dtype=pl.Int8
        )
        keep = (
            releases.with_columns(rank.alias("_rank"))
            .sort("_rank", maintain_order=True)
            .unique("release", keep="first", maintain_order=True)
        )
        kept = keep.select("release", "source")
        data["releases"] = keep.drop("_rank")
        for kind in ("conditions", "history", "managed_fields"):
            data[kind] = data[kind].join(kept, on=["release", "source"], how="semi")
    events = data["events"]
    if events.height and events["uid"].drop_nulls().n_unique() < events["uid"].drop_nulls().len():
        data["events"] = pl.concat(
            [
                events.filter(pl.col("uid").is_null()),
                events.filter(pl.col("uid").is_not_null()).unique("uid", keep="first", maintain_order=True),
            ]
        )
    return data
