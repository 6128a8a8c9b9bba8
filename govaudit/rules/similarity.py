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


PERMUTATIONS, BANDS = 64, 16
SCREEN_MARGIN = 0.2
_PRIME = (1 << 31) - 1


@lru_cache(maxsize=1)
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """The MinHash hash functions: a fixed seed, so every process (pool worker, Dask worker) signs alike."""
    rng = np.random.default_rng(20210530)
    return (rng.integers(1, _PRIME, PERMUTATIONS, dtype=np.uint64),
            rng.integers(0, _PRIME, PERMUTATIONS, dtype=np.uint64))


def signature(sh: np.ndarray) -> np.ndarray:
    """The MinHash signature of a shingle set: ``PERMUTATIONS`` uint32 values."""
    a, b = _permutations()
    x = sh & np.uint64(0xFFFFFFFF)
    return ((np.outer(a, x) + b[:, None]) % _PRIME).min(axis=1).astype(np.uint32)


def section_signatures(report, keys, min_chars: int = 80) -> dict[str, np.ndarray]:
    """The signature of each of the report's ``keys`` sections that copy detection compares (long enough, with
    letters): what a report contributes to the index, in memory or as part of a compact summary."""
    out = {}
    for key in keys:
        text = report.sections.get(key, "")
        if len(text) < min_chars:
            continue
        sh = shingles(text)
        if sh.size:
            out[key] = signature(sh)
    return out


class LSH:
    """Candidate pairs from MinHash signatures alone, banded for LSH.

    Row ``i`` is one section: its group (reports of one year, one section key: only those are compared)
    and its signature. Rows whose signatures agree on a whole band of the same group become candidates.
    With 16 bands of 4 rows a pair at similarity 0.8 is a candidate with probability 0.9998, a pair at
    0.2 with 0.025. Boilerplate makes many pairs similar at 0.3–0.6, so candidates are screened by the
    share of equal signature entries (an estimate of their similarity; with 64 entries its standard
    error at 0.8 is 0.05): only an estimate ``SCREEN_MARGIN`` (four standard errors) below the threshold
    drops a candidate. The exact Jaccard of the texts decides, wherever the texts are.
    """

    def __init__(self, groups: list, signatures: np.ndarray):
        self._signatures = signatures
        self._buckets_of: list[list[np.ndarray]] = [[] for _ in groups]
        if not groups:
            return
        ids: dict = {}
        group = np.array([ids.setdefault(g, len(ids)) for g in groups], dtype=np.uint32)
        width = PERMUTATIONS // BANDS
        for i in range(BANDS):
            band = np.column_stack([group, signatures[:, i * width:(i + 1) * width]])
            _, label, counts = np.unique(band, axis=0, return_inverse=True, return_counts=True)
            label = label.ravel()
            shared = np.flatnonzero(counts > 1)
            if not shared.size:
                continue
            order = np.argsort(label, kind="stable")          # rows by bucket, ascending within one
            starts = np.searchsorted(label[order], shared)
            for bucket, start in zip(shared, starts):
                members = order[start:start + counts[bucket]]
                for row in members:
                    self._buckets_of[row].append(members)

    def candidates(self, row: int, threshold: float) -> np.ndarray:
        """The rows that may be at or above ``threshold`` similar to ``row``, ascending (in corpus order)."""
        if not self._buckets_of[row]:
            return np.empty(0, dtype=np.int64)
        candidates = np.unique(np.concatenate(self._buckets_of[row]))
        candidates = candidates[candidates != row]
        estimate = (self._signatures[candidates] == self._signatures[row]).mean(axis=1)
        return candidates[estimate >= threshold - SCREEN_MARGIN]


class SectionIndex:
    """Near-duplicate sections across a corpus in memory without comparing every pair (see :class:`LSH`)."""

    def __init__(self, reports, keys, min_chars: int = 80):
        self._row: dict[tuple[int, str], int] = {}            # (id(report), key) -> row
        self._reports: list = []
        self._shingles: list[np.ndarray] = []
        groups, signatures = [], []
        for r in reports:
            for key, sig in section_signatures(r, keys, min_chars).items():
                self._row[(id(r), key)] = len(self._reports)
                self._reports.append(r)
                self._shingles.append(shingles(r.sections[key]))
                groups.append((r.year, key))
                signatures.append(sig)
        self._lsh = LSH(groups, np.array(signatures, dtype=np.uint32).reshape(len(signatures), PERMUTATIONS))

    def similar(self, report, key: str, threshold: float):
        """(other report, similarity) for same-year reports whose ``key`` section is at or above threshold,
        in corpus order."""
        row = self._row.get((id(report), key))
        if row is None:
            return
        for other in self._lsh.candidates(row, threshold):
            s = jaccard(self._shingles[row], self._shingles[other])
            if s >= threshold:
                yield self._reports[other], s


class CandidateIndex:
    """The same answers as :class:`SectionIndex` for one report, from candidates chosen elsewhere on
    signatures alone (the out-of-core check): ``{key: [(other, its section text), ...]}`` in corpus order."""

    def __init__(self, candidates: dict[str, list[tuple[object, str]]]):
        self._candidates = candidates

    def similar(self, report, key: str, threshold: float):
        text = report.sections.get(key, "")
        for other, other_text in self._candidates.get(key, ()):
            s = similarity(text, other_text)
            if s >= threshold:
                yield other, s
