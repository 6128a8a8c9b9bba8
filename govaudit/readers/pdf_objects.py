"""pdfplumber's page objects and table cell texts, exactly as pdfplumber makes them, with less work (issue 17).

pdfminer reads a content stream a few bytes at a time in Python (``PSBaseParser``), which was
over a third of a PDF load. :class:`FastInterpreter` cuts each stream into the very same
objects with one regular expression and runs pdfminer's operators on them exactly as
``PDFPageInterpreter.execute`` does (same argument stack, same operator lookup). A stream it
does not fully recognise (procedures, inline images, anything malformed or where pdfminer's
reading depends on its 4 KiB blocks) is left whole to pdfminer's own parser, so the objects
pdfplumber gets are the same either way; tests/test_pdf_objects.py compares the two on every
test PDF and on random streams.

Characters then become pdfplumber's object dicts in :func:`_char_object`, the same dicts as
``Page.process_object`` makes with less work; :func:`table_texts` is ``Table.extract()`` with
each character's centre computed once and only the table's characters tried against its cells.
"""
from __future__ import annotations

import re
from unicodedata import normalize

from pdfminer import settings
from pdfminer.layout import LTChar, LTContainer
from pdfminer.pdfinterp import PDFPageInterpreter
from pdfminer.pdftypes import stream_value
from pdfminer.psparser import KWD, LIT, PSKeyword, PSLiteral, keyword_name, literal_name
from pdfplumber.page import ALL_ATTRS, PDFPageAggregatorWithMarkedContent, fix_fontname_bytes
from pdfplumber.utils import extract_text, resolve_all, resolve_and_decode
from pdfplumber.utils.exceptions import PdfminerException

# Larger decoded streams go to pdfminer's parser, which holds less of a stream's objects at once.
MAX_FAST_STREAM = 4 * 2**20

# One token, after optional white space; each alternative mirrors a branch of pdfminer's
# PSBaseParser (psparser.py) and is as strict as that branch: an input where the two could
# differ does not match, and the stream goes to pdfminer instead.
_TOKEN = re.compile(rb"""[ \t\n\r\f\v]*(?:
    ([-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+))                     # 1 number
  | /((?:[^#/%\[\]()<>{}\s]|\#[0-9A-Fa-f]{0,2})*)           # 2 name, with #xx escapes
  | ([A-Za-z][^#/%\[\]()<>{}\s]*)                          # 3 keyword, true, false
  | <([0-9A-Fa-f \t\n\r\f\v]*)>(?!>)                       # 4 hex string
  | \(([^()\\]*)\)                                         # 5 string without escapes or nested ()
  | ([\[\]'"]|<<|>>)                                       # 6 array/dict delimiters, ' and "
  | (\()                                                   # 7 any other string
  | %[^\r\n]*                                              #   comment (no group: no object)
)""", re.VERBOSE)
_TRAILING_SPACE = re.compile(rb"[ \t\n\r\f\v]*\Z")
# Inline images (their binary data needs pdfminer's reader); a stray ID or EI pdfminer drops.
_INLINE_IMAGE = (KWD(b"BI"), KWD(b"ID"), KWD(b"EI"))
_HEX_DIGITS = re.compile(rb"[0-9A-Fa-f]{2}|[0-9A-Fa-f]")
_SPACE = re.compile(rb"[ \t\n\r\f\v]")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{0,2})")
_STRING_STOP = re.compile(rb"[()\\]")
_OCTAL = re.compile(rb"[0-7]{1,3}")
_ESCAPES = {b"b": 8, b"t": 9, b"n": 10, b"f": 12, b"r": 13, b"(": 40, b")": 41, b"\\": 92}   # psparser.ESC_STRING

# pdfminer reads a stream in blocks of this size, and a few of its steps look at the next byte
# without reading on ("<<" and ">>", "#xx" in names, "\" escapes): where such a step meets the
# end of a block its result differs, so a stream with one there goes to pdfminer.
_BLOCK = 4096


def _across_block(start: int, end: int) -> bool:
    return start // _BLOCK != end // _BLOCK


def tokens(data: bytes) -> list | None:
    """The objects pdfminer's ``PDFContentParser.nextobject`` gives for ``data`` (arrays and
    dictionaries built), or None when the stream is not one this tokenizer fully recognises."""
    out: list = []
    stack: list[tuple[bytes, list]] = []     # open arrays and dictionaries
    current = out
    pos = 0
    match = _TOKEN.match
    while True:
        m = match(data, pos)
        if m is None:
            break
        pos = m.end()
        kind = m.lastindex
        if kind == 1:
            text = m.group(1)
            current.append(float(text) if b"." in text else int(text))
        elif kind == 3:
            word = m.group(3)
            if word == b"true":
                current.append(True)
            elif word == b"false":
                current.append(False)
            else:
                keyword = KWD(word)
                if keyword in _INLINE_IMAGE:
                    return None
                current.append(keyword)
        elif kind == 2:
            raw = m.group(2)
            if pos == len(data) and (not raw or b"#" in raw):
                return None      # pdfminer's ending of such a name depends on what follows the stream
            name = _name(raw, m.start(2))
            if name is None:
                return None
            current.append(name)
        elif kind == 4:
            current.append(_hex_string(m.group(4)))
        elif kind == 5:
            current.append(m.group(5))
        elif kind == 6:
            delimiter = m.group(6)
            if len(delimiter) == 2 and _across_block(m.start(6), m.start(6) + 1):
                return None
            if delimiter == b"[" or delimiter == b"<<":
                stack.append((delimiter, current))
                current = []
            elif delimiter == b"]" or delimiter == b">>":
                if not stack or (stack[-1][0] == b"[") != (delimiter == b"]"):
                    return None                      # unbalanced: pdfminer's recovery decides
                opened, parent = stack.pop()
                if opened == b"<<":
                    if len(current) % 2 or not all(isinstance(k, PSLiteral) for k in current[::2]):
                        return None
                    value = {literal_name(k): v for k, v in zip(current[::2], current[1::2]) if v is not None}
                else:
                    value = current
                parent.append(value)
                current = parent
            else:
                current.append(KWD(delimiter))      # the ' and " text operators
        elif kind == 7:
            found = _literal_string(data, pos)
            if found is None:
                return None
            text, pos = found
            current.append(text)
        # else a comment
    if stack or not _TRAILING_SPACE.match(data, pos):
        return None
    return out


def _name(raw: bytes, start: int):
    """pdfminer's literal for ``/raw``: "#" and up to two hex digits are that byte (a bare "#" is dropped)."""
    if b"#" in raw:
        if any(_across_block(start + e.start(), start + e.start() + 2) for e in _NAME_ESCAPE.finditer(raw)):
            return None
        raw = _NAME_ESCAPE.sub(lambda e: bytes((int(e.group(1), 16),)) if e.group(1) else b"", raw)
    try:
        return LIT(str(raw, "utf-8"))
    except UnicodeDecodeError:
        return LIT(raw)


def _literal_string(data: bytes, pos: int) -> tuple[bytes, int] | None:
    """pdfminer's reading of the string whose "(" ends at ``pos``: nested parentheses kept, "\\"
    escapes (octal, named, a line break after "\\" dropped, "\\" before any other byte dropped);
    (bytes, position after the closing ")"), or None."""
    out = bytearray()
    depth = 1
    while True:
        m = _STRING_STOP.search(data, pos)
        if m is None:
            return None                              # unterminated
        j = m.start()
        out += data[pos:j]
        c = data[j]
        if c == 0x5C:                                 # backslash
            k = j + 1
            if _across_block(j, k + 3):
                return None
            octal = _OCTAL.match(data, k)
            if octal:
                value = int(octal.group(), 8)
                if value > 255:
                    return None                      # pdfminer fails an assertion there
                out.append(value)
                pos = octal.end()
            elif data[k:k + 1] in _ESCAPES:
                out.append(_ESCAPES[data[k:k + 1]])
                pos = k + 1
            elif data[k:k + 2] == b"\r\n":
                pos = k + 2
            else:
                pos = k + 1
        elif c == 0x28:                               # (
            depth += 1
            out.append(c)
            pos = j + 1
        else:                                         # )
            depth -= 1
            if not depth:
                return bytes(out), j + 1
            out.append(c)
            pos = j + 1


def _hex_string(digits: bytes) -> bytes:
    """pdfminer's reading of ``<digits>``: pairs of hex digits, a last odd digit as its own value."""
    try:
        return bytes.fromhex(digits.decode("ascii"))
    except ValueError:
        return bytes(int(h, 16) for h in _HEX_DIGITS.findall(_SPACE.sub(b"", digits)))


class FastInterpreter(PDFPageInterpreter):
    """pdfminer's page interpreter reading content streams with :func:`tokens`."""

    def execute(self, streams) -> None:
        objects = self._fast_objects(streams)
        if objects is None:
            return super().execute(streams)
        self.stream_ids.clear()
        self.stream_ids.update(stream_value(s).objid for s in streams)
        operators: dict = {}
        for obj in objects:
            if obj.__class__ is not PSKeyword:
                self.argstack.append(obj)    # self.push(obj); pop() replaces the list, so looked up each time
                continue
            op = operators.get(obj)
            if op is None:
                op = operators[obj] = self._operator(obj)
            func, nargs = op
            if func is None:
                continue
            if nargs:
                args = self.pop(nargs)
                if len(args) == nargs:
                    func(*args)
            else:
                func()

    def _operator(self, keyword: PSKeyword) -> tuple:
        """(bound method, number of arguments) as pdfminer's ``execute`` looks them up, or (None, 0)."""
        name = keyword_name(keyword)
        method = "do_{}".format(name.replace("*", "_a").replace('"', "_w").replace("'", "_q"))
        func = getattr(self, method, None)
        if func is None:
            return None, 0
        return func, func.__code__.co_argcount - 1

    def _fast_objects(self, streams) -> list | None:
        """The streams' objects, or None for pdfminer's own path (which also does its own checks
        and logging: streams without an id, circular form references, strict mode). An older
        pdfminer (without those checks, and splitting streams differently) always reads itself:
        the tokenizer was compared with 20260107's parser."""
        if settings.STRICT or not streams or not hasattr(self, "parent_stream_ids"):
            return None
        objects: list = []
        try:
            for s in streams:
                stream = stream_value(s)
                if stream.objid is None or stream.objid in self.parent_stream_ids:
                    return None
                data = stream.get_data()
                if len(data) > MAX_FAST_STREAM:
                    return None
                found = tokens(data)
                if found is None:
                    return None
                objects += found
        except Exception:  # a broken stream: pdfminer's path raises or recovers as it always did
            return None
        return objects


def parse_page(page) -> None:
    """What pdfplumber's ``Page.layout`` and ``Page.objects`` do, with :class:`FastInterpreter` and
    :func:`_char_object`; pdfplumber keeps both and does not parse the page again."""
    if hasattr(page, "_objects"):
        return
    if not hasattr(page, "_layout"):
        device = PDFPageAggregatorWithMarkedContent(page.pdf.rsrcmgr, pageno=page.page_number,
                                                    laparams=page.pdf.laparams)
        try:
            FastInterpreter(page.pdf.rsrcmgr, device).process_page(page.page_obj)
        except Exception as e:  # as pdfplumber raises it, so a broken or encrypted file reads the same
            raise PdfminerException(e) from e
        page._layout = device.get_result()
    objects: dict[str, list] = {}
    for obj in _layout_objects(page, page._layout._objs):
        if obj["object_type"] != "anno":
            objects.setdefault(obj["object_type"], []).append(obj)
    page._objects = objects


def _layout_objects(page, items):
    """pdfplumber's ``Page.iter_layout_objects``, characters by :func:`_char_object`."""
    for obj in items:
        if isinstance(obj, LTContainer):
            if page.pdf.laparams is not None:
                yield page.process_object(obj)
            yield from _layout_objects(page, obj._objs)
        elif type(obj) is LTChar:
            yield _char_object(page, obj)
        else:
            yield page.process_object(obj)


_PLAIN = frozenset({int, float, str, bool, type(None)})
_colour_space_names: dict = {}


def _resolved(value):
    """resolve_all(value); a tuple of plain values (the character's matrix) as it is."""
    if type(value) is tuple and all(type(v) in _PLAIN for v in value):
        return value
    return resolve_all(value)


def _colour_space_name(name):
    """resolve_and_decode of a colour space's name, once per name (a page has a handful)."""
    if isinstance(name, (str, bytes)):
        found = _colour_space_names.get((type(name), name))
        if found is None:
            if len(_colour_space_names) > 1000:      # a file that names many: keep the cache small
                _colour_space_names.clear()
            found = _colour_space_names[type(name), name] = resolve_and_decode(name)
        return found
    return resolve_and_decode(name)


def _char_object(page, obj) -> dict:
    """pdfplumber's ``Page.process_object`` for a character (most of a page's objects), the same
    dict without resolving values that are plain numbers or text (resolve_all gives them back as
    they are)."""
    attr = {k: v if type(v) in _PLAIN else _resolved(v) for k, v in obj.__dict__.items() if k in ALL_ATTRS}
    attr["object_type"] = "char"
    attr["page_number"] = page.page_number
    for cs in ("ncs", "scs"):
        if hasattr(obj, cs):
            attr[cs] = _colour_space_name(getattr(obj, cs).name)
    text = obj.get_text()
    attr["text"] = normalize(page.pdf.unicode_norm, text) if page.pdf.unicode_norm is not None else text
    gs = obj.graphicstate
    attr["stroking_color"] = gs.scolor if isinstance(gs.scolor, tuple) else (gs.scolor,)
    attr["non_stroking_color"] = gs.ncolor if isinstance(gs.ncolor, tuple) else (gs.ncolor,)
    if isinstance(attr["fontname"], bytes):
        attr["fontname"] = fix_fontname_bytes(attr["fontname"])
    mb_x0, mb_top = page.mediabox[:2]
    if "y0" in attr:
        attr["top"] = (page.height - attr["y1"]) + mb_top
        attr["bottom"] = (page.height - attr["y0"]) + mb_top
        attr["doctop"] = page.initial_doctop + attr["top"]
    if "x0" in attr and mb_x0 != 0:
        attr["x0"] = attr["x0"] + mb_x0
        attr["x1"] = attr["x1"] + mb_x0
    return attr


def table_texts(table, centres: list) -> list[list[str | None]]:
    """``table.extract()``: each cell's text (None where the grid has no cell). ``centres`` are
    :func:`char_centres` of the table's page."""
    x0, top, x1, bottom = table.bbox
    inside = [c for c in centres if x0 <= c[0] < x1 and top <= c[1] < bottom]
    out = []
    for row in table.rows:
        rx0, rtop, rx1, rbottom = row.bbox
        row_chars = [c for c in inside if rx0 <= c[0] < rx1 and rtop <= c[1] < rbottom]
        texts: list[str | None] = []
        for cell in row.cells:
            if cell is None:
                texts.append(None)
                continue
            cx0, ctop, cx1, cbottom = cell
            chars = [c[2] for c in row_chars if cx0 <= c[0] < cx1 and ctop <= c[1] < cbottom]
            texts.append(extract_text(chars) if chars else "")
        out.append(texts)
    return out


def char_centres(chars: list[dict]) -> list[tuple[float, float, dict]]:
    """(horizontal centre, vertical centre, char) as ``Table.extract`` computes them, in page order."""
    return [((c["x0"] + c["x1"]) / 2, (c["top"] + c["bottom"]) / 2, c) for c in chars]
