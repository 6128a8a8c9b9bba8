"""The PDF reader gives exactly what it gave before the speed work (issue 17): every reading's
blocks with their page/bbox sources, the tidy cells and provenance, warnings and findings of the
real hongze PDF and of PDFs LibreOffice made from the samples, against tests/fixtures/pdf/golden.json
(written by the main branch's code; see tests/pdf_snapshot.py)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from govaudit.readers import pdf as pdf_reader
from pdf_snapshot import PDF_FIXTURES, golden_pdfs, snapshot

ROOT = Path(__file__).resolve().parents[1]
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


FAILING_TABULA = """
import json, sys
from pathlib import Path
import govaudit
pdf = Path(sys.argv[1])
out = []
for _ in range(2):              # the first call starts the JVM here, the second runs on the tabula thread
    report = govaudit.load(pdf)
    out.append({"readings": report.meta["readings"],
                "notes": [w["message"] for w in report.warnings if w["code"] == "pdf-single-reading"],
                "values": [c["value"] for c in report.tidy().to_dict("records")]})
print(json.dumps(out, ensure_ascii=False))
"""


@needs_java
def test_when_tabula_fails_the_pdfplumber_readings_stand(real, tmp_path):
    """tabula-java's jar missing (a broken install): both PDF loads of a fresh process, the one that
    starts the JVM and the one whose pages go to the tabula thread, say so and keep the values."""
    env = {**os.environ, "TABULA_JAR": str(tmp_path / "missing.jar"),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", FAILING_TABULA, str(real / "hongze-district-2023.pdf")],
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    want = [c["value"] for c in GOLDEN["hongze-district-2023.pdf"]["tidy"]]
    for load in json.loads(done.stdout.splitlines()[-1]):
        assert load["readings"] == ["grid", "words"]
        assert len(load["notes"]) == 1 and "tabula 读取失败" in load["notes"][0]
        assert load["values"] == want
