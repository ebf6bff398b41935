"""How big frames are held: repeated log strings stored once, columns chunked alike.

Both are memory measures that must not change a single value; the benchmark
(`bench/run.py`) measures the memory, these tests the values and the layout.
"""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from forensics.load import _aligned, _cuts
from parsers import _logs_stream


def _text_bytes(series: pl.Series) -> int:
    """Bytes of string data behind a String column (its views not counted)."""
    array = series.to_arrow(compat_level=pl.CompatLevel.newest())
    return sum(buffer.size for buffer in array.buffers()[2:] if buffer is not None)


def test_repeated_log_strings_are_stored_once_with_the_same_values():
    n = 20_000
    df = pl.DataFrame(
        {
            "msg": [
                f"HelmChart/flux-system/team-{i % 40}-svc with SourceRef 'HelmRepository/flux-system/charts' is in-sync"
                for i in range(n)
            ],
            "reconcile_id": [f"{i:036d}" for i in range(n)],  # all distinct: left alone
            "error": [
                None if i % 1000 else "install retries exhausted for this release" for i in range(n)
            ],  # too few present
            "line": list(range(n)),
        }
    )
    out = _logs_stream.share(df, _logs_stream.Repeats(), ("msg", "reconcile_id", "error"))
    assert_frame_equal(out, df)
    assert _text_bytes(out["msg"]) * 100 < _text_bytes(df["msg"])  # 40 texts instead of 20,000
    assert _text_bytes(out["reconcile_id"]) == _text_bytes(df["reconcile_id"])
    assert out["error"].null_count() == df["error"].null_count()


def test_only_columns_with_few_distinct_values_are_shared():
    """A column with more than a quarter of its values distinct (reconcile ids: a few lines
    each) is left as it is; one with fewer is shared."""
    n = 12_000
    df = pl.DataFrame(
        {
            "reconcile_id": [f"{i // 3:036d}" for i in range(n)],  # a third distinct
            "release": [
                f"team-{i % 2400 % 7}/service-with-a-long-name-{i % 2400:04d}" for i in range(n)
            ],  # a fifth distinct
        }
    )
    out = _logs_stream.share(df, _logs_stream.Repeats(), ("reconcile_id", "release"))
    assert_frame_equal(out, df)
    assert _text_bytes(out["reconcile_id"]) == _text_bytes(df["reconcile_id"])
    assert _text_bytes(out["release"]) * 4 < _text_bytes(df["release"])


def _run(numbers) -> pl.DataFrame:
    return pl.DataFrame({"msg": [f"HelmRelease/team-{i:02d}/service reconciliation finished in 1.2s" for i in numbers]})


def test_runs_of_one_log_point_into_the_texts_seen_so_far():
    """The runs of one log share one set of distinct texts (`Repeats`): a run's column holds
    views into it, not a copy of its own, even after new texts were added to it."""
    runs = [
        _run(i % 40 for i in range(10_000)),
        _run(i % 40 for i in range(10_000)),
        _run(20 + i % 40 for i in range(10_000)),
    ]
    repeats = _logs_stream.Repeats()
    outs = [_logs_stream.share(df, repeats, ("msg",)) for df in runs]
    for out, df in zip(outs, runs):
        assert_frame_equal(out, df)
    distinct = pl.concat([df["msg"] for df in runs]).unique()
    texts = int(distinct.str.len_bytes().sum())  # the 60 texts, once
    for out in outs:
        assert _text_bytes(out["msg"]) <= 2 * texts  # not the run's 10,000 texts (~600 KB)


def test_texts_seen_once_in_a_run_do_not_keep_the_runs_texts_alive():
    """A run of repeated messages with a few one-off lines among them (a text record's whole
    line): the column holds the shared texts and a copy of the one-off ones, not views into
    every text of the run."""
    numbers = list(range(10_000))
    run = pl.DataFrame(
        {
            "msg": [
                f"klog line {i} that appears once in the whole log, with its own text"
                if i % 100 == 0
                else f"HelmRelease/team-{i % 40:02d}/service reconciliation finished in 1.2s"
                for i in numbers
            ]
        }
    )
    out = _logs_stream.share(run, _logs_stream.Repeats(), ("msg",))
    assert_frame_equal(out, run)
    one_off = int(run["msg"].filter(run["msg"].str.starts_with("klog")).str.len_bytes().sum())
    assert _text_bytes(out["msg"]) < 2 * one_off + 40 * 80  # not the run's ~650 KB
    assert _text_bytes(run["msg"]) > 10 * _text_bytes(out["msg"])


def test_a_run_of_mostly_new_distinct_texts_is_left_as_it_is():
    repeats = _logs_stream.Repeats()
    first = _run(i % 40 for i in range(8_000))
    _logs_stream.share(first, repeats, ("msg",))
    fresh = _run(100 + i for i in range(8_000))  # all new, all distinct
    out = _logs_stream.share(fresh, repeats, ("msg",))
    assert_frame_equal(out, fresh)
    assert _text_bytes(out["msg"]) == _text_bytes(fresh["msg"])
    again = _logs_stream.share(first, repeats, ("msg",))  # the known texts still shared
    assert_frame_equal(again, first)
    assert _text_bytes(again["msg"]) * 100 < _text_bytes(first["msg"])


def test_threads_sharing_the_texts_of_a_log_get_their_own_values():
    from concurrent.futures import ThreadPoolExecutor

    repeats = _logs_stream.Repeats()
    runs = [_run((i * 7 + k) % (30 + k) for i in range(5_000)) for k in range(24)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        outs = list(pool.map(lambda df: _logs_stream.share(df, repeats, ("msg",)), runs))
    for out, df in zip(outs, runs):
        assert_frame_equal(out, df)


def test_columns_cut_differently_are_cut_alike_without_changing_values():
    pieces = [
        pl.DataFrame({"msg": [f"m{i}-{j}" for j in range(size)], "line": list(range(size))}).with_columns(
            pl.lit(f"file-{i // 2}").alias("source")
        )
        for i, size in enumerate([5, 7, 3, 9])
    ]
    members = [pl.concat(pieces[:2], rechunk=False), pl.concat(pieces[2:], rechunk=False)]
    df = pl.concat(members, rechunk=False)  # `source` differs by member: cut there only
    expected = df.clone().rechunk()
    assert _cuts(df["source"]) != _cuts(df["msg"])
    out = _aligned(df)
    assert_frame_equal(out, expected)
    assert {name: _cuts(out[name]) for name in out.columns} == {name: [5, 12, 15] for name in out.columns}
    # a select on the aligned frame keeps the chunks: nothing was copied into one piece
    assert out.select(pl.col("msg"), pl.col("source")).get_column("msg").n_chunks() == 4


def test_log_pieces_come_out_in_chunks_cut_alike():
    """Each column of a parsed piece is one chunk (the byte offsets too), so the pieces of a
    member are cut at the same rows in every column."""
    lines = "\n".join(
        '{"level":"info","ts":"2024-03-12T10:00:%02d.000Z","msg":"m %d","controller":"helmrelease","controllerKind":"HelmRelease",'
        '"namespace":"ns","name":"r","reconcileID":"%d"}' % (i % 60, i, i)
        for i in range(3000)
    )
    from parsers import zap_log

    result = zap_log.parse(
        (lines + "\n").encode(), "cluster-resources/pods/logs/flux-system/helm-controller-1/manager.log"
    )
    logs = result.frames["logs"]
    assert logs.height == 3000
    assert {logs[name].n_chunks() for name in logs.columns} == {1}


def test_sources_made_relative_by_member_equal_the_string_operation():
    """Members whose rows all cite the member: the column is rebuilt from the paths (cut
    alike with the others); a member with other sources falls back to the string operation.
    Either way the values are those of `strip_prefix` on every row."""
    from forensics.load import _all_from, _relative_sources

    root = "bundle-1"
    paths = [f"{root}/logs/a.log", f"{root}/logs/b.log", "elsewhere/c.log"]
    pieces = [
        pl.DataFrame({"msg": [f"m{i}" for i in range(n)], "source": [path] * n}) for path, n in zip(paths, (5, 0, 4))
    ]
    df = pl.concat(pieces, rechunk=False)
    expected = df.with_columns(pl.col("source").str.strip_prefix(root + "/"))
    origins = [path if _all_from(piece, path) else None for path, piece in zip(paths, pieces)]
    assert origins == paths
    out = _relative_sources(df, root, pieces, origins)
    assert_frame_equal(out, expected)
    assert _cuts(out["source"]) == _cuts(out["msg"])

    mixed = pieces[:2] + [pieces[2].with_columns(pl.Series("source", ["elsewhere/c.log", "x", "elsewhere/c.log", "y"]))]
    assert not _all_from(mixed[2], paths[2])
    df = pl.concat(mixed, rechunk=False)
    out = _relative_sources(df, root, mixed, [paths[0], paths[1], None])
    assert_frame_equal(out, df.with_columns(pl.col("source").str.strip_prefix(root + "/")))


def test_inventory_entries_built_without_validation_are_the_validated_ones():
    from forensics import _inventory
    from forensics.load import InventoryItem
    from forensics.model import InventoryEntry

    items = [
        InventoryItem("namespaces/team-00/v1/event/a.yaml", 812, "k8s-objects", 1, 0, "Event×1"),
        InventoryItem("cluster-resources/pods/logs/x.log", 0, None, 0, 1, "refused: over --max-bytes"),
    ]
    built = _inventory(items, InventoryEntry)
    validated = [InventoryEntry(**vars(item)) for item in items]
    assert [type(entry) for entry in built] == [InventoryEntry] * 2
    assert [entry.model_dump(exclude_unset=True) for entry in built] == [
        entry.model_dump(exclude_unset=True) for entry in validated
    ]
    assert [entry.model_dump_json() for entry in built] == [entry.model_dump_json() for entry in validated]
