"""Helpers shared by readers: checking the input and decoding text."""
from __future__ import annotations

import hashlib
from pathlib import Path

from ..errors import ReadError


def require_file(path: Path) -> bytes:
    """The file's bytes, or ReadError when it is missing, a directory or empty."""
    if not path.exists():
        raise ReadError(path, "文件不存在")
    if path.is_dir():
        raise ReadError(path, "这是一个目录，不是文件")
    data = path.read_bytes()
    if not data.strip():
        raise ReadError(path, "文件为空")
    return data


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode(path: Path, data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK/GB2312).

    A file that is neither, or that holds binary data, is an error: mojibake is never shown silently.
    """
    if b"\x00" in data[:4096]:
        raise ReadError(path, "文件包含二进制数据，不是文本文件")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "gb18030" and not _plausible_chinese(text):
            break
        return text.replace("\r\n", "\n").replace("\r", "\n")
    raise ReadError(path, "无法识别文件编码（既不是 UTF-8，也不是 GBK/GB18030）")


def _plausible_chinese(text: str) -> bool:
    """GB18030 decodes almost any byte string; accept it only when it yields mostly common CJK text."""
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    rare = sum(1 for ch in text if "\u3400" <= ch <= "\u4dbf" or 0xE000 <= ord(ch) <= 0xF8FF
               or 0x20000 <= ord(ch) or (ord(ch) < 32 and ch not in "\n\r\t"))
    return cjk > 0 and rare <= max(2, cjk // 50)
