"""The real pastes of ../shared/real-cases (text users put into public threads): every case is
read (no "nothing usable"), and every line of every file is read, cleaned away with its role,
or a problem row with its reason. Their labels are scored by ../shared/tools/score_cases.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import ROOT

CASES = ROOT.parent / "shared" / "real-cases"
FOLDERS = sorted(p for p in CASES.glob("*") if (p / "case.json").exists()) if CASES.exists() else []

pytestmark = pytest.mark.skipif(not FOLDERS, reason="../shared/real-cases is not here")


def _inputs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name != "case.json")


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_every_case_is_read_and_every_line_accounted_for(folder, tmp_path):
    import forensics
    from parsers import paste

    for path in _inputs(folder):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    analysis = forensics.analyze(str(tmp_path))
    assert any(n for kind, n in analysis.bundle.rows.items() if kind != "problems"), [
        i.note for i in analysis.inventory
    ]
    for path in _inputs(folder):
        data = path.read_bytes()
        _, account = paste.read(data, path.name)
        lines = len(data.decode("utf-8", errors="replace").rstrip("\n").split("\n"))
        assert sorted(account) == list(range(1, lines + 1)), path.name


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_every_file_the_paste_reads_rows_from_names_flux_or_helm(folder):
    """A word of `foreign.WORDS` is in every real paste that gives rows, whatever its name: had
    it been past 16 kB, it would still be read."""
    from parsers import foreign, paste

    for path in _inputs(folder):
        data = path.read_bytes()
        if paste.read(data, path.name)[0].rows():
            assert not foreign.foreign("paste.txt", data + b"\n" * foreign.MIN_BYTES), path.name
