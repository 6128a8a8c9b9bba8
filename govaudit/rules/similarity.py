"""Text similarity for copy detection: Jaccard of character 4-gram shingles.

A shingle set is held as a sorted array of 64-bit hashes (8 bytes a shingle, where a
set of 4-character strings costs some 80), computed with numpy from the code points,
so the hashes are the same in every process and a corpus of thousands fits in memory.
"""
from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

_STRIP = re.compile(r"[\s\W\d_]+")
_K = 4
_BASE = np.uint64(0x100000001B3)          # FNV prime: a polynomial hash of the k code points, mod 2**64


@lru_cache(maxsize=2048)
def shingles(text: str) -> np.ndarray:
    """Sorted unique hashes of the text's 4-character shingles (letters only)."""
    t = _STRIP.sub("", text)
    if len(t) < _K:
        return np.empty(0, dtype=np.uint64)
    points = np.frombuffer(t.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    h = np.zeros(len(points) - _K + 1, dtype=np.uint64)
    for i in range(_K):                   # array arithmetic wraps silently mod 2**64: that is the hash
        h = h * _BASE + points[i:len(points) - _K + 1 + i]
    out = np.unique(h)
    out.flags.writeable = False          # shared through the cache
    return out


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    if not a.size or not b.size:
        return 0.0
    common = np.intersect1d(a, b, assume_unique=True).size
    return common / (a.size + b.size - common)


def similarity(a: str, b: str) -> float:
    return jaccard(shingles(a), shingles(b))


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
    sections agree on a whole band become candidates. With 16 bands of 4 rows a pair at
    similarity 0.8 is a candidate with probability 0.9998, a pair at 0.2 with 0.025.
    Boilerplate makes many pairs similar at 0.3–0.6, so candidates are screened by the
    share of equal signature entries (an estimate of their similarity; with 64 entries its
    standard error at 0.8 is 0.05) before the exact Jaccard decides: only an estimate
    ``SCREEN_MARGIN`` (four standard errors) below the threshold drops a candidate.
    """

    PERMUTATIONS, BANDS = 64, 16
    SCREEN_MARGIN = 0.2
    _PRIME = (1 << 31) - 1

    def __init__(self, reports, keys, min_chars: int = 80):
        rng = np.random.default_rng(20210530)
        self._a = rng.integers(1, self._PRIME, self.PERMUTATIONS, dtype=np.uint64)
        self._b = rng.integers(0, self._PRIME, self.PERMUTATIONS, dtype=np.uint64)
        self._row: dict[tuple[int, str], int] = {}            # (id(report), key) -> row of the arrays below
        self._reports: list = []
        self._shingles: list[np.ndarray] = []
        signatures: list[np.ndarray] = []
        buckets: dict[tuple, list[int]] = {}
        rows = self.PERMUTATIONS // self.BANDS
        for r in reports:
            for key in keys:
                text = r.sections.get(key, "")
                if len(text) < min_chars:
                    continue
                sh = shingles(text)
                if not sh.size:
                    continue
                row = self._row[(id(r), key)] = len(self._reports)
                self._reports.append(r)
                self._shingles.append(sh)
                sig = self._signature(sh)
                signatures.append(sig)
                for i in range(self.BANDS):
                    buckets.setdefault((r.year, key, i, sig[i * rows:(i + 1) * rows].tobytes()), []).append(row)
        self._signatures = np.array(signatures, dtype=np.uint32).reshape(len(signatures), self.PERMUTATIONS)
        self._buckets_of: list[list[np.ndarray]] = [[] for _ in self._reports]
        for members in buckets.values():
            if len(members) > 1:
                shared = np.array(members, dtype=np.int64)
                for row in members:
                    self._buckets_of[row].append(shared)

    def _signature(self, sh: np.ndarray) -> np.ndarray:
        x = sh & np.uint64(0xFFFFFFFF)
        return ((np.outer(self._a, x) + self._b[:, None]) % self._PRIME).min(axis=1)

    def similar(self, report, key: str, threshold: float):
        """(other report, similarity) for same-year reports whose ``key`` section is at or above threshold."""
        row = self._row.get((id(report), key))
        if row is None or not self._buckets_of[row]:
            return
        candidates = np.unique(np.concatenate(self._buckets_of[row]))
        candidates = candidates[candidates != row]
        estimate = (self._signatures[candidates] == self._signatures[row]).mean(axis=1)
        for other in candidates[estimate >= threshold - self.SCREEN_MARGIN]:
            s = jaccard(self._shingles[row], self._shingles[other])
            if s >= threshold:
                yield self._reports[other], s
