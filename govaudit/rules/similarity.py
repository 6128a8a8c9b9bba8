"""Text similarity for copy detection: Jaccard of character 4-gram shingles."""
from __future__ import annotations

import re

_STRIP = re.compile(r"[\s\W\d_]+")


def shingles(text: str, k: int = 4) -> set[str]:
    t = _STRIP.sub("", text)
    return {t[i:i + k] for i in range(max(0, len(t) - k + 1))}


def similarity(a: str, b: str) -> float:
    sa, sb = shingles(a), shingles(b)
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


def similar_sections(a, b, keys, threshold: float, min_chars: int = 80):
    """(section key, section title, similarity) for each section of reports ``a`` and ``b`` at or above threshold."""
    from .. import template as T
    for key in keys:
        x, y = a.sections.get(key, ""), b.sections.get(key, "")
        if min(len(x), len(y)) < min_chars:
            continue
        s = similarity(x, y)
        if s >= threshold:
            yield key, next(t.title for t in T.SECTIONS if t.key == key), s


class SectionIndex:
    """Near-duplicate sections across a corpus without comparing every pair.

    MinHash signatures (numpy) of each section's shingles, banded for LSH: reports whose
    sections agree on a whole band become candidates, and only candidates get the exact
    Jaccard. With 16 bands of 4 rows a pair at similarity 0.8 is a candidate with
    probability 0.9998, a pair at 0.2 with 0.025, so the work stays near-linear.
    """

    PERMUTATIONS, BANDS = 64, 16
    _PRIME = (1 << 31) - 1

    def __init__(self, reports, keys, min_chars: int = 80):
        import numpy as np
        rng = np.random.default_rng(20210530)
        self._a = rng.integers(1, self._PRIME, self.PERMUTATIONS, dtype=np.uint64)
        self._b = rng.integers(0, self._PRIME, self.PERMUTATIONS, dtype=np.uint64)
        self.shingles: dict[tuple[int, str], set[str]] = {}
        self._buckets: dict[tuple, list] = {}
        self._bands_of: dict[tuple[int, str], list[tuple]] = {}
        for r in reports:
            for key in keys:
                text = r.sections.get(key, "")
                if len(text) < min_chars:
                    continue
                sh = shingles(text)
                if not sh:
                    continue
                self.shingles[(id(r), key)] = sh
                sig = self._signature(np, sh)
                rows = self.PERMUTATIONS // self.BANDS
                bands = [(r.year, key, i, sig[i * rows:(i + 1) * rows].tobytes()) for i in range(self.BANDS)]
                self._bands_of[(id(r), key)] = bands
                for band in bands:
                    self._buckets.setdefault(band, []).append(r)

    def _signature(self, np, sh: set[str]):
        x = np.fromiter((hash(s) & 0xFFFFFFFF for s in sh), dtype=np.uint64, count=len(sh))
        return ((np.outer(self._a, x) + self._b[:, None]) % self._PRIME).min(axis=1)

    def similar(self, report, key: str, threshold: float):
        """(other report, similarity) for same-year reports whose ``key`` section is at or above threshold."""
        mine = self.shingles.get((id(report), key))
        if mine is None:
            return
        seen = {id(report)}
        for band in self._bands_of[(id(report), key)]:
            for other in self._buckets[band]:
                if id(other) in seen:
                    continue
                seen.add(id(other))
                theirs = self.shingles[(id(other), key)]
                s = len(mine & theirs) / len(mine | theirs)
                if s >= threshold:
                    yield other, s
