"""Reading numbers out of cells and runs of text, without ever guessing.

A cell is a *value token* when it is a number or an explicit "not applicable"
marker (blank, "/", "—", "无"). Markers become ``None`` (NA), never 0.
Digits of neighbouring cells that a web page ran together ("0000000",
"303") are split only when exactly one split is possible, or when exactly
one split agrees with the row's own printed total; otherwise the row gets
no values and a warning.
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

    Each part is "0" or has no leading zero; a token is never split across its own boundaries.
    Tokens with a decimal point or a sign are never split.
    ``["0000000"], 7`` -> seven "0"; ``["303"], 3`` -> ["3", "0", "3"]; ``["1077"], 3`` -> None
    (1|0|77 and 10|7|7 are both possible).
    """
    return _SplitCounter(tokens, n).unique()


def split_by_totals(tokens: list[str], n: int, block: int) -> list[str] | None:
    """The one split in which every block of ``block`` numbers ends with the sum of the others.

    A 表三 row is one block of 7 (总计 last); a 表四 row run is blocks of 5. Only the row's own
    total decides; None when no split or more than one split fits, or the run is too long to decide.
    """
    if n % block:
        return None
    return _SplitCounter(tokens, n, block).unique()


class SplitTooLong(ValueError):
    """A digit run with too many possible splits to decide within the work budget."""


class _SplitCounter:
    """Counts splits (capped at 2) by dynamic programming over (token, offset, part, block sum).

    Polynomial in the run length, and a hard budget on states keeps time and memory bounded
    whatever the input; over budget raises SplitTooLong.
    """

    BUDGET = 50_000       # memoised states
    MAX_DIGITS = 9        # no count in these tables has more digits

    def __init__(self, tokens: list[str], n: int, block: int | None = None):
        self.tokens, self.n, self.block = tokens, n, block
        self.memo: dict[tuple, int] = {}

    def unique(self) -> list[str] | None:
        tokens, n = self.tokens, self.n
        if len(tokens) == n and self.block is None:
            return list(tokens)
        if len(tokens) > n or not tokens or any(not t.isdigit() for t in tokens):
            return None
        if not n <= sum(map(len, tokens)) <= n * self.MAX_DIGITS:
            return None
        if self._count(0, 0, 0, 0) != 1:
            return None
        return self._witness()

    def _parts_from(self, i: int, j: int):
        """(part, next token, next offset) for every number that can start at token i, offset j."""
        token = self.tokens[i]
        ends = range(j + 1, j + 2) if token[j] == "0" else range(j + 1, min(len(token), j + self.MAX_DIGITS) + 1)
        for e in ends:
            yield token[j:e], (i + 1, 0) if e == len(token) else (i, e)

    def _count(self, i: int, j: int, k: int, s: int) -> int:
        """Splits of the rest from token i offset j, with k parts taken and block partial sum s."""
        if i == len(self.tokens):
            return 1 if k == self.n else 0
        if k == self.n:
            return 0
        key = (i, j, k, s)
        if key in self.memo:
            return self.memo[key]
        if len(self.memo) >= self.BUDGET:
            raise SplitTooLong(" ".join(self.tokens)[:40])
        found = 0
        for part, (ni, nj) in self._parts_from(i, j):
            ns = self._next_sum(k, s, int(part))
            if ns is None:
                if self.block and int(part) > s:
                    break            # a longer block total would be larger still
                continue
            found += self._count(ni, nj, k + 1, ns)
            if found > 1:
                break
        self.memo[key] = min(found, 2)
        return self.memo[key]

    def _next_sum(self, k: int, s: int, value: int) -> int | None:
        """The block sum after taking part k; None when part k closes a block and is not its sum."""
        if not self.block:
            return 0
        if (k + 1) % self.block == 0:
            return 0 if value == s else None
        return s + value

    def _witness(self) -> list[str]:
        out, i, j, k, s = [], 0, 0, 0, 0
        while i < len(self.tokens):
            for part, (ni, nj) in self._parts_from(i, j):
                ns = self._next_sum(k, s, int(part))
                if ns is not None and self._count(ni, nj, k + 1, ns) == 1:
                    out.append(part)
                    i, j, k, s = ni, nj, k + 1, ns
                    break
        return out
