"""Reading numbers out of cells and runs of text, without ever guessing.

A cell is a *value token* when it is a number or an explicit "not applicable"
marker (blank, "/", "—", "无"). Markers become ``None`` (NA), never 0.
Digits of neighbouring cells that a web page ran together ("0000000",
"303") are split only when exactly one split is possible; otherwise the
row gets no values and a warning.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

NA_MARKERS = frozenset({"", "/", "／", "\\", "—", "——", "-", "--", "－", "–", "―", "无", "空", "×"})

_NUMBER = re.compile(r"^([+\-−－]?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?\s*(万元|元|件|条|笔|个|项|次|人次|%)?$")


@lru_cache(maxsize=1024)
def nfkc(text: str) -> str:
    """NFKC (full-width digits and punctuation to ASCII); cached, as every narrative rule normalises the same sections."""
    return unicodedata.normalize("NFKC", text)


def is_value_text(text: str) -> bool:
    """True when a whole cell holds a number or an NA marker."""
    s = nfkc(text).strip()
    return s in NA_MARKERS or bool(_NUMBER.match(s))


def to_value(text: str):
    """Cell text -> int, float or None (NA). Raises ValueError when it is not a value."""
    s = nfkc(text).strip()
    if s in NA_MARKERS:
        return None
    m = _NUMBER.match(s)
    if not m:
        raise ValueError(text)
    sign, digits, frac, _unit = m.groups()
    digits = digits.replace(",", "")
    negative = sign in ("-", "−", "－")
    if frac is not None:
        value = float(f"{digits}.{frac}")
    else:
        value = int(digits)
    return -value if negative else value


def unit_of(text: str) -> str:
    m = _NUMBER.match(nfkc(text).strip())
    return (m.group(4) or "") if m else ""


def unique_split(tokens: list[str], n: int) -> list[str] | None:
    """Split run-together digit tokens into exactly ``n`` numbers when only one way exists.

    Each part is "0" or has no leading zero. Tokens with a decimal point or a sign are never split.
    ``["0000000"], 7`` -> seven "0"; ``["303"], 3`` -> ["3", "0", "3"]; ``["1077"], 3`` -> None
    (1|0|77 and 10|7|7 are both possible).
    """
    if len(tokens) == n:
        return list(tokens)
    if len(tokens) > n or any(not t.isdigit() for t in tokens):
        return None
    ways = [_splits(t) for t in tokens]
    found: list[list[str]] = []

    def walk(i: int, remaining: int, acc: list[str]):
        if len(found) > 1:
            return
        if i == len(ways):
            if remaining == 0:
                found.append(list(acc))
            return
        left_tokens = len(ways) - i - 1
        for parts in ways[i]:
            k = len(parts)
            if left_tokens <= remaining - k:
                walk(i + 1, remaining - k, acc + list(parts))

    walk(0, n, [])
    return found[0] if len(found) == 1 else None


@lru_cache(maxsize=4096)
def _splits(token: str) -> tuple[tuple[str, ...], ...]:
    """Every way to cut a digit string into numbers without leading zeros."""
    if not token:
        return ((),)
    out = []
    for i in range(1, len(token) + 1):
        head = token[:i]
        if len(head) > 1 and head[0] == "0":
            break
        for rest in _splits(token[i:]):
            out.append((head,) + rest)
    return tuple(out)
