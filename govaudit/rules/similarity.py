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
