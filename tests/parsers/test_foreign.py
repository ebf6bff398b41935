"""Files of a cluster's other programs (`parsers.foreign`): past 16 kB, a log or text whose
name and text name neither Flux nor Helm is listed, not read; one word of Flux or Helm, in the
name or anywhere in the text, and it is read as before."""

from __future__ import annotations

import pytest

from parsers import foreign, parse_member
from parsers._base import FileData

PATH = "cluster-resources/pods/logs/web/shop-7d9f/app.log"
FAILURE = "Helm upgrade failed for release apps/web with chart web@1.2.0: timed out waiting for the condition\n"


def access_log(lines: int) -> str:
    return "".join(
        f'10.42.0.{i % 250} - - [15/Jan/2024:09:{i // 60 % 60:02d}:{i % 60:02d} +0000] "GET /api/items/{i} HTTP/1.1" '
        f'200 {i % 9000} "-" "curl/8.5.0"\n'
        for i in range(lines)
    )


def klog(lines: int) -> str:
    return "".join(
        f"I0115 09:{i // 60 % 60:02d}:{i % 60:02d}.{i:06d}       1 sync.go:{i % 900}] synced item {i}\n"
        for i in range(lines)
    )


def test_a_big_text_of_another_program_is_listed_not_read():
    text = access_log(1200)
    assert len(text) > foreign.MIN_BYTES
    result = parse_member(PATH, text.encode())
    assert (result.parser, result.rows(), result.problem_count(), result.note) == (None, 0, 0, foreign.NOTE)
    # fewer lines: read as a paste, as before (its lines not understood)
    assert parse_member(PATH, access_log(50).encode()).parser == "paste"


def test_one_line_naming_a_release_anywhere_opens_the_reading():
    text = access_log(1200)
    half = text.index("\n", len(text) // 2) + 1
    result = parse_member(PATH, (text[:half] + FAILURE + text[half:]).encode())
    line = text[:half].count("\n") + 1
    assert result.frames["events"].select("release", "line").rows() == [("apps/web", line)]


def test_a_name_that_says_what_the_file_is_opens_the_reading():
    assert parse_member("helm-controller-status.txt", access_log(1200).encode()).parser == "paste"


def test_a_log_parser_reads_a_log_of_flux_not_one_of_another_program():
    other = klog(1500)
    assert len(other) > foreign.MIN_BYTES
    assert parse_member(PATH, other.encode()).parser is None
    flux = other + "I0115 10:00:00.000001       1 reflector.go:5] Watch close - *v2.HelmRelease total 3 items\n"
    read = parse_member(PATH, flux.encode())
    assert (read.parser, read.rows()) == ("klog-log", 1501)
    assert parse_member("flux-system/helm-controller-5d8b/manager.log", other.encode()).rows() == 1500
    # small: read whatever it names
    assert parse_member(PATH, klog(100).encode()).rows() == 100


@pytest.mark.parametrize("word", foreign.WORDS)
def test_each_word_opens_the_reading_in_any_case(word):
    assert not foreign.foreign("app.log", access_log(1200).encode() + word.upper() + b"\n")


def test_a_member_on_disk_is_searched_a_chunk_at_a_time_and_across_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(foreign, "CHUNK", 4096)
    text = access_log(1200).encode()
    path = tmp_path / "app.log"
    path.write_bytes(text)
    assert foreign.foreign(str(path), FileData(str(path), len(text)))
    for at in (4096 - 2, 4096 * 7 - 1, len(text) - 1):  # the word across a chunk's end, in the last
        path.write_bytes(text[:at] + b"Flux" + text[at:])
        assert not foreign.foreign(str(path), FileData(str(path), path.stat().st_size)), at


def test_objects_of_another_program_are_not_read_again_as_a_paste(monkeypatch):
    import json

    from parsers import paste

    pasted: list[str] = []
    read = paste.read
    monkeypatch.setattr(paste, "read", lambda data, source: pasted.append(source) or read(data, source))
    series = [{"name": f"requests_total_{i}", "value": i, "labels": {"pod": f"shop-{i % 50}"}} for i in range(2000)]
    data = json.dumps(series).encode()  # mappings of no kind: no Kubernetes object
    assert len(data) > foreign.MIN_BYTES
    assert parse_member("metrics.json", data).parser == "kubernetes-objects"
    assert pasted == []
    parse_member("helm-metrics.json", data)
    parse_member("metrics.json", json.dumps(series[:100]).encode())  # small
    assert pasted == ["helm-metrics.json", "metrics.json"]
