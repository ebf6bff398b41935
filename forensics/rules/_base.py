"""The Rule base class, the rule context and the evidence-row contract.

A rule is one class with an explicit `id` (two letters + three digits), a kebab-case
`name` naming the failure pattern, a `label` from the root-cause vocabulary, a `severity`,
the frames it `needs`, and a docstring whose sections are its user documentation:
*What it detects*, *Why it matters*, *Evidence*, *Remediation*.

`check(ctx)` returns `self.findings(evidence, verdicts)`: the evidence (frames of cited lines,
`cite()`) and one verdict row per release it fires on, with a few named columns: the
confidence, its reason, the remediation, optionally since/upstream, and the columns its
`summary` (a format string, forensics.rules._exprs.fmt) names. The result has the EVIDENCE
schema: one row per cited line, the finding-level columns repeated on each row of a release;
the engine groups them into one Finding per release.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

import polars as pl

from forensics.lines import with_raw
from forensics.load import Frames
from forensics.model import Label, Severity
from forensics.rules._exprs import fmt
from forensics.versions import ControllerState

TS = pl.Datetime("us", "UTC")
EVIDENCE = {
    "release": pl.String,
    "summary": pl.String,
    "confidence": pl.String,
    "confidence_reason": pl.String,
    "remediation": pl.String,
    "since": TS,  # when the current problem began (default: the earliest evidence time)
    "upstream": pl.String,  # a dependency finding: the release it waits on (optional column)
    "ts": TS,
    "source": pl.String,
    "line": pl.Int64,
    "excerpt": pl.String,
    "note": pl.String,
}
SECTIONS = ("What it detects", "Why it matters", "Evidence", "Remediation")


@dataclass
class Context:
    frames: Frames
    timeline: pl.LazyFrame  # every timeline row, as a query (collected only by a rule that needs it)
    controller: ControllerState
    window_start: datetime | None
    window_end: datetime | None
    findings: list = field(default_factory=list)  # phase-2 rules see the findings of phase 1
    cache: dict = field(default_factory=dict)  # shared intermediate frames (e.g. failure_state)


class Rule:
    id: ClassVar[str]
    name: ClassVar[str]
    label: ClassVar[Label]
    severity: ClassVar[Severity]
    needs: ClassVar[tuple[str, ...]] = ()  # frames it reads: it is skipped when all of them are empty
    phase: ClassVar[int] = 1  # 2 = runs after the others and reads ctx.findings
    summary: ClassVar[str]  # the finding's one line: a format string over the verdict rows' columns

    def check(self, ctx: Context) -> pl.DataFrame:  # pragma: no cover - abstract
        raise NotImplementedError

    def findings(self, evidence: list[pl.DataFrame], verdicts: pl.DataFrame) -> pl.DataFrame:
        """The evidence rows of the releases in `verdicts`, with their summary written."""
        return findings_of(evidence, verdicts.with_columns(fmt(self.summary).alias("summary")))

    @classmethod
    def description(cls) -> str:
        """The docstring's first paragraph, on one line."""
        return " ".join(_dedent(cls.__doc__ or "").strip().split("\n\n")[0].split())

    @classmethod
    def sections(cls) -> dict[str, str]:
        """The docstring's sections, by heading."""
        doc = _dedent(cls.__doc__ or "")
        parts = re.split(r"^(" + "|".join(SECTIONS) + r")\n-+\n", doc, flags=re.M)
        return {parts[i]: parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}

    @classmethod
    def documentation(cls) -> str:
        return _dedent(cls.__doc__ or "").strip()


def _dedent(text: str) -> str:
    lines = text.expandtabs().splitlines()
    indents = [len(line) - len(line.lstrip()) for line in lines[1:] if line.strip()]
    cut = min(indents) if indents else 0
    return "\n".join([lines[0].strip()] + [line[cut:] for line in lines[1:]]) if lines else ""


def cite(df: pl.DataFrame, note: pl.Expr | str, ts: str | pl.Expr | None = "ts") -> pl.DataFrame:
    """Evidence rows (release, ts, source, line, excerpt, note) from a frame with provenance;
    a `note` string is a format string over the frame's columns."""
    note_expr = fmt(note) if isinstance(note, str) else note
    ts_expr = pl.lit(None, TS) if ts is None else (pl.col(ts) if isinstance(ts, str) else ts)
    if "excerpt" not in df.columns:
        df = with_raw(df)  # log rows: their lines read again (they are not held)
    excerpt = pl.col("excerpt") if "excerpt" in df.columns else log_excerpt()
    return df.select(
        pl.col("release"),
        ts_expr.cast(TS).alias("ts"),
        pl.col("source"),
        pl.col("line").cast(pl.Int64),
        excerpt.alias("excerpt"),
        note_expr.cast(pl.String).alias("note"),
    )


def log_excerpt() -> pl.Expr:
    """The readable part of a log line: its error, else its message, when that text appears
    verbatim in the line (so the citation still holds it); else the line itself."""
    raw = pl.col("raw")
    error_in_line = pl.col("error").is_not_null() & raw.str.contains(pl.col("error"), literal=True)
    msg_in_line = pl.col("msg").is_not_null() & raw.str.contains(pl.col("msg"), literal=True)
    text = pl.when(error_in_line).then(pl.col("error")).when(msg_in_line).then(pl.col("msg")).otherwise(raw)
    return text.str.slice(0, 300)


def findings_of(evidence: list[pl.DataFrame], verdicts: pl.DataFrame) -> pl.DataFrame:
    """Join evidence rows with per-release finding columns into the EVIDENCE schema.

    `verdicts` has one row per release that the rule fires on, with `summary`,
    `confidence`, `confidence_reason`, `remediation` and optionally `since` and `upstream`;
    evidence of other releases is dropped.
    """
    cited = [e for e in evidence if e.height]
    if not cited or verdicts.height == 0:
        return no_findings()
    rows = pl.concat(cited, how="vertical_relaxed")
    if "since" not in verdicts.columns:
        verdicts = verdicts.with_columns(pl.lit(None, TS).alias("since"))
    if "upstream" not in verdicts.columns:
        verdicts = verdicts.with_columns(pl.lit(None, pl.String).alias("upstream"))
    columns = ["release", "summary", "confidence", "confidence_reason", "remediation", "since", "upstream"]
    joined = verdicts.select(columns).join(rows, on="release", how="inner")
    return joined.select([pl.col(c).cast(t) for c, t in EVIDENCE.items()]).unique(maintain_order=True)


def no_findings() -> pl.DataFrame:
    """The empty result of a rule that fires on nothing."""
    return _NO_FINDINGS.clear()


_NO_FINDINGS = pl.DataFrame(schema=EVIDENCE)  # (built once: a frame from a schema costs ~0.1 ms)


def controller_logs(ctx: Context) -> pl.DataFrame:
    """helm-controller's log rows, filtered once per analysis and shared by the rules."""
    if "controller_logs" not in ctx.cache:
        from forensics.versions import helm_controller_logs

        ctx.cache["controller_logs"] = helm_controller_logs(ctx.frames["logs"])
    return ctx.cache["controller_logs"]


def release_logs(ctx: Context, condition: pl.Expr) -> pl.DataFrame:
    """helm-controller's log rows of a release where `condition` holds, in one filter: only
    the matching rows are copied (a filter on the release alone copies nearly every row of
    a log whose text lines name none, hundreds of MB on a big log)."""
    return controller_logs(ctx).filter(pl.col("release").is_not_null() & condition)
