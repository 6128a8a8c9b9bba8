"""What a PDF's load+check gives, as plain JSON, to compare the PDF reader before and after a change.

``snapshot(path)`` holds every reading the reader made (blocks, cell texts and their page/bbox
sources), the report's tidy cells with their provenance, its warnings, meta and sections, and
the findings (with the ids of the rules that ran, so that a rule added later is not taken
for a change of reading). tests/fixtures/pdf/golden.json was written by the main branch's reader before the
speed work (issue 17), so an optimisation that changes any of these fails tests/test_pdf_speed.py.

Regenerate only on purpose, with the code whose output is the reference:
``PYTHONPATH=/path/to/that/checkout python tests/pdf_snapshot.py tests/fixtures/pdf/golden.json``
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PDF_FIXTURES = HERE / "fixtures" / "pdf"


def golden_pdfs() -> list[Path]:
    """The real hongze PDF and the LibreOffice PDFs bundled in tests/fixtures/pdf."""
    return [HERE / "fixtures" / "real" / "hongze-district-2023.pdf", *sorted(PDF_FIXTURES.glob("*.pdf"))]


def plain(obj):
    """JSON-safe and order-stable: tuples become lists, NaN/NA become None, numpy scalars Python ones."""
    import pandas as pd

    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    if obj is None or obj is pd.NA or (isinstance(obj, float) and math.isnan(obj)):
        return None
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    if hasattr(obj, "item"):
        return obj.item()
    return obj


def reading(doc) -> list:
    """A Document's blocks: ["p", text, source] or ["t", [[text, source, rowspan, colspan], ...], source]."""
    from govaudit.document import Table

    out = []
    for b in doc.blocks:
        if isinstance(b, Table):
            out.append(["t", [[[c.text, c.source, c.rowspan, c.colspan] for c in row] for row in b.rows], b.source])
        else:
            out.append(["p", b.text, b.source])
    return plain(out)


def snapshot(path: Path) -> dict:
    import govaudit
    from govaudit.parse import parse
    from govaudit.readers import pdf as pdf_reader
    from govaudit.rules import registry

    doc = pdf_reader.read(path)
    readings = {doc.meta.get("reading", "primary"): reading(doc)}
    readings.update({name: reading(alt) for name, alt in doc.alternates.items()})
    report = parse(doc)
    tidy = report.tidy().drop(columns=["report"])
    findings = govaudit.check(report)
    findings["source"] = [Path(s).name if s else s for s in findings["source"]]   # the checkout's path is not the reading
    meta = {k: v for k, v in report.meta.items() if k not in ("source", "path")}
    return plain({
        "notes": doc.notes,
        "readings": readings,
        "dtypes": {t: [str(d) for d in report.table(t).dtypes] for t in ("active", "requests", "appeals")},
        "tidy": tidy.to_dict("records"),
        "provenance": sorted([list(k), v] for k, v in report.provenance.items()),
        "warnings": report.warnings,
        "meta": meta,
        "sections": report.sections,
        "rules": sorted(r.id for r in registry.all_rules()),
        "findings": findings.drop(columns=[c for c in ("report", "source_file") if c in findings.columns])
                            .to_dict("records"),
    })


def main(out: str) -> int:
    import govaudit

    print(f"govaudit from {Path(govaudit.__file__).parent}", file=sys.stderr)
    golden = {p.name: snapshot(p) for p in golden_pdfs()}
    Path(out).write_text(json.dumps(golden, ensure_ascii=False, sort_keys=True, indent=0) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
