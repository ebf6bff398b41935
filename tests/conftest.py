"""Shared fixtures: paths, the golden-file switch, and a cached analysis of the samples."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
GOLDEN = Path(__file__).resolve().parent / "golden"
FIXED_TIME = datetime(2024, 1, 15, 12, 0, 0, tzinfo=timezone.utc)


def pytest_addoption(parser):
    parser.addoption(
        "--update-golden", action="store_true", help="rewrite golden files and reports/ instead of comparing"
    )


@pytest.fixture(scope="session")
def update_golden(request) -> bool:
    return request.config.getoption("--update-golden")


@pytest.fixture(scope="session")
def analyses():
    """Analyses of bundles by path, computed once per session."""
    import forensics

    cache = {}

    def get(path: Path):
        key = str(path)
        if key not in cache:
            cache[key] = forensics.run(key, generated_at=FIXED_TIME)
        return cache[key]

    return get
