"""Helpers shared by readers: checking the input and decoding text."""
from __future__ import annotations

import codecs
import errno
import hashlib
import os
import stat
from pathlib import Path

from ..errors import ReadError, shown_path

MAX_BAD_BYTES = 64           # more invalid sequences than this: not a damaged UTF-8 file but another encoding
CHARS_PER_BAD_BYTE = 100     # ...and at least this many good non-ASCII characters for each invalid one

_KINDS = ((stat.S_ISFIFO, "命名管道"), (stat.S_ISSOCK, "套接字"), (stat.S_ISCHR, "字符设备"),
          (stat.S_ISBLK, "块设备"))


def require_file(path: Path) -> bytes:
    """The file's bytes, or ReadError saying why not: missing, a broken or looping symlink, a directory,
    not a regular file (a named pipe would block forever), no permission, or empty."""
    info = path_problem(path)
    if info:
        raise ReadError(path, info)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ReadError(path, os_reason(e)) from e
    if not data.strip():
        raise ReadError(path, "文件为空")
    return data


def path_problem(path: Path) -> str | None:
    """Why ``path`` cannot be read as a file (in Chinese), or None when it is a regular file."""
    try:
        st = os.stat(path)
    except OSError as e:
        if os.path.islink(path) and e.errno in (errno.ENOENT, errno.ELOOP):
            return symlink_reason(path, e)
        return os_reason(e)
    if stat.S_ISDIR(st.st_mode):
        return "这是一个目录，不是文件"
    if not stat.S_ISREG(st.st_mode):
        kind = next((name for test, name in _KINDS if test(st.st_mode)), "特殊文件")
        return f"不是普通文件（{kind}），未读取"
    return None


def symlink_reason(path: Path, e: OSError) -> str:
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    if e.errno == errno.ELOOP:
        return f"符号链接循环（指向 {shown_path(target)}，最终又指回自身），未读取"
    return f"符号链接指向的文件不存在（指向 {shown_path(target)}）"


def os_reason(e: OSError) -> str:
    """A Chinese reason for an operating-system error reading a file."""
    if isinstance(e, PermissionError):
        return "没有读取权限"
    if isinstance(e, FileNotFoundError):
        return "文件不存在"
    if isinstance(e, IsADirectoryError):
        return "这是一个目录，不是文件"
    if e.errno == errno.ELOOP:
        return "符号链接循环，未读取"
    return f"读取失败（{e.strerror or type(e).__name__}）"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"), (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
         (codecs.BOM_UTF8, "utf-8", "UTF-8"), (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
         (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"))


def decode(path: Path, data: bytes) -> str:
    """Strict decoding (for readers that cannot carry reading notes): a damaged byte is an error naming it."""
    text, notes = decode_text(path, data)
    if notes:
        where = notes[0]["source"]
        raise ReadError(path, f"第 {where['line']} 行（文件第 {where['byte'] + 1} 个字节）起有 {len(notes)} 处"
                              f"不是有效的 {where['encoding']} 编码")
    return text


def decode_text(path: Path, data: bytes) -> tuple[str, list[dict]]:
    """The text and reading notes. A byte-order mark decides (UTF-8, UTF-16, UTF-32); else UTF-8;
    else GB18030 (a superset of GBK/GB2312) when that reads as Chinese.

    A UTF-8 file with a few damaged bytes (a flipped bit) is read with U+FFFD in their place and a note
    naming each byte's position and line; a cell holding one is then not a number, never a guess.
    A file that is neither, or that holds binary data, is an error: mojibake is never shown silently.
    """
    for bom, encoding, name in _BOMS:
        if data.startswith(bom):
            text, bad = _decode_marking(data, encoding, len(bom), limit=MAX_BAD_BYTES)
            if bad is None:
                raise ReadError(path, f"文件以 {name} 字节顺序标记开头，但内容无法按 {name} 解码")
            return _newlines(text), _bad_notes(bad, name)
    if b"\x00" in data[:4096]:
        text = _utf16_without_bom(data)
        if text is None:
            raise ReadError(path, "文件包含二进制数据，不是文本文件")
        return _newlines(text), []
    try:
        return _newlines(data.decode("utf-8")), []
    except UnicodeDecodeError:
        pass
    text, bad = _decode_marking(data, "utf-8", 0, limit=MAX_BAD_BYTES)
    if bad is not None:
        good = sum(1 for ch in text if ord(ch) > 127) - len(bad)
        if good >= 20 and len(bad) * CHARS_PER_BAD_BYTE <= max(good, CHARS_PER_BAD_BYTE):
            return _newlines(text), _bad_notes(bad, "UTF-8")
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is not None and _plausible_chinese(text):
        return _newlines(text), []
    raise ReadError(path, "无法识别文件编码（既不是 UTF-8，也不是 GBK/GB18030）")


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 saved without a byte-order mark (some Windows tools): the NUL bytes of its ASCII characters
    (digits, tabs, newlines) fall on one side of each byte pair (a CJK character such as 一 = U+4E00 puts
    a few on the other). Accepted only when it then decodes strictly and reads as Chinese; anything else
    with NUL bytes is binary."""
    head = data[:4096]
    zeros_even, zeros_odd = head[0::2].count(0), head[1::2].count(0)
    if len(data) % 2 or max(zeros_even, zeros_odd) < 4 * min(zeros_even, zeros_odd) + 8:
        return None
    try:
        text = data.decode("utf-16-be" if zeros_even > zeros_odd else "utf-16-le")
    except UnicodeDecodeError:
        return None
    return text if _plausible_chinese(text) else None


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode_marking(data: bytes, encoding: str, start: int, *, limit: int):
    """Decode from ``start`` with U+FFFD for each invalid sequence: (text, [(byte offset, bytes, line)]),
    or (None, None) past ``limit`` invalid sequences. Linear in the file for each invalid sequence."""
    parts: list[str] = []
    bad: list[tuple[int, bytes, int]] = []
    lines = 1
    pos = start
    while True:
        try:
            parts.append(data[pos:].decode(encoding))
            return "".join(parts), bad
        except UnicodeDecodeError as e:
            if len(bad) >= limit:
                return None, None
            good = data[pos:pos + e.start].decode(encoding)
            lines += good.count("\n")
            parts.append(good)
            parts.append("\ufffd")
            bad.append((pos + e.start, data[pos + e.start:pos + e.end], lines))
            pos += e.end


def _bad_notes(bad, name: str) -> list[dict]:
    return [{"code": "bad-bytes", "table": "", "row": "", "column": "",
             "message": f"第 {line} 行（文件第 {offset + 1} 个字节）的 {raw.hex(' ').upper()} 不是有效的 {name} 编码，"
                        f"已按“\ufffd”读入，该处文字请对照原件",
             "source": {"line": line, "byte": offset, "encoding": name}}
            for offset, raw, line in bad]


def _plausible_chinese(text: str) -> bool:
    """GB18030 decodes almost any byte string; accept it only when it yields mostly common CJK text."""
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    rare = sum(1 for ch in text if "\u3400" <= ch <= "\u4dbf" or 0xE000 <= ord(ch) <= 0xF8FF
               or 0x20000 <= ord(ch) or (ord(ch) < 32 and ch not in "\n\r\t"))
    return cjk > 0 and rare <= max(2, cjk // 50)


def size_text(n: int) -> str:
    """A size as people read it: 310 KB, 16 MB, 205.3 MB, 4.2 GB."""
    mb = 1024 * 1024
    if n < mb:
        return f"{max(1, round(n / 1024))} KB"
    value, unit = (n / mb, "MB") if n < 1024 * mb else (n / 1024 / mb, "GB")
    return f"{value:,.1f}".removesuffix(".0") + f" {unit}"


def check_file_size(path, limit: int, kind: str) -> None:
    """Refuse a regular file over ``limit`` bytes before reading it (``kind``: "Word 文件", "网页文件")."""
    try:
        st = os.stat(path)
    except OSError:
        return                                 # require_file says why it cannot be read
    if stat.S_ISREG(st.st_mode) and st.st_size > limit:
        size = size_text(st.st_size)
        if size == size_text(limit):           # "10 MB 超过上限 10 MB" would read as no excess at all
            size = f"{st.st_size:,} 字节"
        raise ReadError(path, f"{kind}大小 {size}，超过上限 {size_text(limit)}，未读取")
