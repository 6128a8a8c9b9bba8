"""The PDF reader gives exactly what it gave before the speed work (issue 17): every reading's
blocks with their page/bbox sources, the tidy cells and provenance, warnings and findings of the
real hongze PDF and of PDFs LibreOffice made from the samples, against tests/fixtures/pdf/golden.json
(written by the main branch's code; see tests/pdf_snapshot.py)."""
from __future__ import annotations

import json

import pytest

from govaudit.readers import pdf as pdf_reader
from pdf_snapshot import PDF_FIXTURES, golden_pdfs, snapshot

GOLDEN = json.loads((PDF_FIXTURES / "golden.json").read_text(encoding="utf-8"))
needs_java = pytest.mark.skipif(not pdf_reader.java_available(), reason="no JVM for tabula: the golden has its reading")


def findings_of_shared_rules(snap: dict, rules: set) -> list:
    """Findings of the rules both the golden's code and this code have: a rule added on either side
    is not a change of reading."""
    return [f for f in snap["findings"] if f["rule"] in rules]


@needs_java
@pytest.mark.parametrize("path", golden_pdfs(), ids=lambda p: p.name)
def test_pdf_reading_and_findings_are_unchanged(path):
    got = json.loads(json.dumps(snapshot(path), ensure_ascii=False, sort_keys=True))
    want = GOLDEN[path.name]
    assert sorted(got) == sorted(want)
    for part in sorted(set(want) - {"findings", "rules"}):     # one part at a time: a failure names it
        assert got[part] == want[part], part
    shared = set(got["rules"]) & set(want["rules"])
    assert findings_of_shared_rules(got, shared) == findings_of_shared_rules(want, shared)


def test_golden_covers_table_and_text_only_pdfs():
    kinds = {name: sorted(g["readings"]) for name, g in GOLDEN.items()}
    assert kinds["hongze-district-2023.pdf"] == ["grid", "tabula", "words"]
    assert kinds["pingtan-czj-2021.pdf"] == ["words"]          # no ruled tables: one reading
    assert all(len(g["tidy"]) >= 186 for g in GOLDEN.values())
    assert sum(len(g["findings"]) for g in GOLDEN.values()) >= 10
