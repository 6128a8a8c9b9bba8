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
    with np.errstate(over="ignore"):                  # wrap-around is the hash
        for i in range(_K):
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
    sections agree on a whole band become candidates, and only candidates get the exact
    Jaccard. With 16 bands of 4 rows a pair at similarity 0.8 is a candidate with
    probability 0.9998, a pair at 0.2 with 0.025, so the work stays near-linear.
    """

    PERMUTATIONS, BANDS = 64, 16
    _PRIME = (1 << 31) - 1

    def __init__(self, reports, keys, min_chars: int = 80):
        rng = np.random.default_rng(20210530)
        self._a = rng.integers(1, self._PRIME, self.PERMUTATIONS, dtype=np.uint64)
        self._b = rng.integers(0, self._PRIME, self.PERMUTATIONS, dtype=np.uint64)
        self.shingles: dict[tuple[int, str], np.ndarray] = {}
        self._buckets: dict[tuple, list] = {}
        self._bands_of: dict[tuple[int, str], list[tuple]] = {}
        for r in reports:
            for key in keys:
                text = r.sections.get(key, "")
                if len(text) < min_chars:
                    continue
                sh = shingles(text)
                if not sh.size:
                    continue
                self.shingles[(id(r), key)] = sh
                sig = self._signature(sh)
                rows = self.PERMUTATIONS // self.BANDS
                bands = [(r.year, key, i, sig[i * rows:(i + 1) * rows].tobytes()) for i in range(self.BANDS)]
                self._bands_of[(id(r), key)] = bands
                for band in bands:
                    self._buckets.setdefault(band, []).append(r)

    def _signature(self, sh: np.ndarray) -> np.ndarray:
        x = sh & np.uint64(0xFFFFFFFF)
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
                s = jaccard(mine, self.shingles[(id(other), key)])
                if s >= threshold:
                    yield other, s
