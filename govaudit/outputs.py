"""The CLI's outputs: findings as a table, JSON, CSV (spreadsheet-safe) or Excel, to a file or stdout."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Iterable

import pandas as pd

from .errors import GovauditError
from .rules import registry
from .rules.finding import FINDING_COLUMNS


def write_findings(df: pd.DataFrame, fmt: str, out: str | None):
    """Write findings as a table, JSON, CSV or Excel (to ``out`` or stdout)."""
    if fmt == "xlsx":
        if not out:
            raise GovauditError("Excel 问题清单需要用 --out 指定输出文件（如 --out 问题清单.xlsx）")
        from .export import findings_xlsx
        findings_xlsx(df, out)
        return
    if fmt == "json":
        text = json.dumps([_jsonable(r) for r in df.to_dict("records")], ensure_ascii=False, indent=2) + "\n"
    elif fmt == "csv":
        text = _csv_safe(df).to_csv(index=False)
    else:
        text = _table(df)
    if out:
        Path(out).write_text(text, encoding="utf-8-sig" if fmt == "csv" else "utf-8")
    else:
        sys.stdout.write(text)


def write_findings_frames(frames: Iterable[pd.DataFrame], fmt: str, out: str | None) -> None:
    """``write_findings`` for findings that come frame by frame (an out-of-core run): CSV and JSON are
    written as they come, byte for byte what one frame would give; a table and Excel need them all first."""
    if fmt not in ("csv", "json"):
        frames = list(frames)
        write_findings(pd.concat(frames, ignore_index=True) if frames else _empty(), fmt, out)
        return
    f = open(out, "w", encoding="utf-8-sig" if fmt == "csv" else "utf-8", newline="") if out else sys.stdout
    try:
        if fmt == "csv":
            _csv_frames(frames, f)
        else:
            _json_frames(frames, f)
    finally:
        if out:
            f.close()


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=FINDING_COLUMNS, dtype=object)


def _csv_frames(frames, f) -> None:
    header = True
    for df in frames:
        f.write(_csv_safe(df).to_csv(index=False, header=header))
        header = False
    if header:
        f.write(_empty().to_csv(index=False))


def _json_frames(frames, f) -> None:
    first = True
    for df in frames:
        for record in df.to_dict("records"):
            text = json.dumps(_jsonable(record), ensure_ascii=False, indent=2).replace("\n", "\n  ")
            f.write(("[\n  " if first else ",\n  ") + text)
            first = False
    f.write("[]\n" if first else "\n]\n")


def _jsonable(record: dict) -> dict:
    return {k: (None if v is None or (isinstance(v, float) and v != v) else
                v.item() if hasattr(v, "item") else v) for k, v in record.items()}


def _csv_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Text starting with = + - @ would be a formula in Excel: prefix a quote (OWASP CSV injection)."""
    def safe(v):
        return "'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r") else v
    return df.apply(lambda s: s.map(safe))


def _table(df: pd.DataFrame) -> str:
    if df.empty:
        return "未发现问题。\n"
    names = registry.SEVERITY_NAMES
    lines = []
    for report, group in df.groupby("report", sort=False):
        lines.append(f"\n{report}（{group['source'].iloc[0]}）")
        unreadable = group["category"].eq("parse")
        for f in group[~unreadable].itertuples():
            where = " ".join(x for x in (f.table, f.row, f.column, f.section) if x)
            lines.append(f"  [{names.get(f.severity, f.severity)}] {f.rule} {where}: {f.message}")
        if unreadable.any():            # reading problems: listed once per report, apart from its findings
            lines.append(f"  无法读取 {int(unreadable.sum())} 处（未取值，请对照原文）：")
            lines += [f"    - {f.message}" for f in group[unreadable].itertuples()]
    unreadable = int(df["category"].eq("parse").sum())
    findings = df[df["category"].ne("parse")]
    counts = findings["severity"].value_counts()
    lines.append("\n合计：" + "，".join(f"{names[s]} {counts.get(s, 0)} 条" for s in ("error", "warning", "info"))
                 + f"（涉及 {findings['problem'].nunique() if 'problem' in findings else len(findings)} 个问题）"
                 + (f"；无法读取 {unreadable} 处" if unreadable else ""))
    return "\n".join(lines) + "\n"

