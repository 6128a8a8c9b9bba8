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
