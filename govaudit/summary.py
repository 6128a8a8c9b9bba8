"""What the driver of an out-of-core check keeps of each report: a compact summary, never the report.

A summary holds the few meta fields that name and pair the report (id, agency, year, source, sha256),
the file it came from (to find the parsed report in the content cache, or read it again) and the MinHash
signatures of the sections that copy detection compares: about 1 KiB, where a parsed report is ~120 KiB.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .report import Named
from .rules.copy import COMPARED
from .rules.similarity import section_signatures

# the meta a summary keeps; the last three are set when Corpus.distinct_ids renames a second file of a unit
KEPT_META = ("id", "agency", "year", "source", "sha256", "finding_key", "same_as")
RENAMED_META = ("id", "finding_key", "same_as")


@dataclass(slots=True)
class Summary(Named):
    meta: dict
    path: str
    signatures: dict[str, np.ndarray] = field(default_factory=dict)


def summarize(report, path) -> Summary:
    return Summary({k: report.meta[k] for k in KEPT_META if k in report.meta}, str(path),
                   section_signatures(report, COMPARED))


@dataclass
class Summaries:
    """The result of an out-of-core check beside its findings: a summary per report read, and the
    ``Corpus.errors`` records of the files that were not (or whose checks could not finish)."""
    reports: list[Summary] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)

    def __iter__(self):
        return iter(self.reports)

    def __len__(self) -> int:
        return len(self.reports)
