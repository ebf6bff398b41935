"""The compiled-template cache of the HTML report: same output, never stale, never fatal."""

from __future__ import annotations

import jinja2

from forensics.report import html


def _render(cache, text: str) -> str:
    env = jinja2.Environment(loader=jinja2.DictLoader({"t.j2": text}), autoescape=True, bytecode_cache=cache)
    return env.get_template("t.j2").render(name="<b>x</b>")


def test_a_changed_template_is_compiled_again(tmp_path):
    cache = html._QuietBytecodeCache(str(tmp_path))
    assert _render(cache, "A {{ name }}") == "A &lt;b&gt;x&lt;/b&gt;"
    assert list(tmp_path.iterdir())  # written
    assert _render(cache, "A {{ name }}") == "A &lt;b&gt;x&lt;/b&gt;"  # read back
    assert _render(cache, "B {{ name }}!") == "B &lt;b&gt;x&lt;/b&gt;!"  # same name, new text: not the old code


def test_a_damaged_cache_entry_is_compiled_again(tmp_path):
    cache = html._QuietBytecodeCache(str(tmp_path))
    _render(cache, "D {{ name }}")
    for entry in tmp_path.iterdir():
        entry.write_bytes(b"not bytecode")
    assert _render(cache, "D {{ name }}") == "D &lt;b&gt;x&lt;/b&gt;"


def test_a_cache_that_cannot_be_written_only_costs_time(tmp_path, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(jinja2.bccache.tempfile, "NamedTemporaryFile", full)
    assert _render(html._QuietBytecodeCache(str(tmp_path)), "E {{ name }}") == "E &lt;b&gt;x&lt;/b&gt;"
    assert not list(tmp_path.iterdir())


def test_no_cache_folder_of_our_own_means_compiling_every_time(monkeypatch):
    def unsafe(self):
        raise RuntimeError("Cache directory is not owned by the user")

    monkeypatch.setattr(jinja2.FileSystemBytecodeCache, "_get_default_cache_dir", unsafe)
    assert html._bytecode_cache() is None
