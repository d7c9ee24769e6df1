"""Reading and writing whole knowledge bases as JSON, CSV or Excel, with a per-row error report."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from kb.records import FaqEntry, trim

COLUMNS = ["id", "language", "category", "question", "phrasings", "answer", "tags", "status"]
WRONG_JSON_SHAPE = 'expected a JSON array of entries, or an object with an "entries" array (each entry an object)'


@dataclass
class RowError:
    row: int  # 1-based, as a person counts rows in the file (CSV: header is row 1)
    id: str | None
    message: str


@dataclass
class ParsedFile:
    entries: list[FaqEntry] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    def file_problem(self) -> str | None:
        """What is wrong with the file as a whole (row 0: not JSON, or not an array of entries), if that is the problem."""
        return next((e.message for e in self.errors if e.row == 0), None)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not trim(value))


# What editors write in a spreadsheet's language column besides the codes: the language's name in either language,
# and the locale tags Excel and other tools write. Keys are lower case; anything else is left for the entry's own check,
# which refuses it naming the codes ("FR", "日本語").
LANGUAGE_NAMES: dict[str, str] = {
    **dict.fromkeys(("中文", "简体中文", "汉语", "中文（简体）", "中文(简体)", "chinese", "simplified chinese", "chinese (simplified)", "zh-cn", "zh_cn", "zh-hans", "zh-hans-cn"), "zh"),
    **dict.fromkeys(("英文", "英语", "english", "en-us", "en_us", "en-gb", "en_gb"), "en"),
}


# What a shop's spreadsheet calls the columns: the export's own names in any case, and the Chinese headers a Chinese
# FAQ sheet (or a helpdesk's export of one) has. A sheet headed 编号/问题/答案 was refused as lacking id, question, answer.
COLUMN_NAMES: dict[str, str] = {
    **{c: c for c in COLUMNS},
    **dict.fromkeys(("编号", "条目编号", "问题编号", "标识"), "id"),
    **dict.fromkeys(("语言", "语种"), "language"),
    **dict.fromkeys(("分类", "类别", "类目", "问题分类", "问题类别", "业务类型"), "category"),
    **dict.fromkeys(("问题", "标准问题", "标准问", "标准问法", "主问题"), "question"),
    **dict.fromkeys(("相似问法", "相似问题", "相似问", "其他问法", "扩展问法", "扩展问题", "同义问法", "phrasing", "similar questions"),
                    "phrasings"),
    **dict.fromkeys(("答案", "回答", "答复", "标准答案", "回复"), "answer"),
    **dict.fromkeys(("标签", "tag"), "tags"),
    **dict.fromkeys(("状态",), "status"),
}


def column_of(header: object) -> str:
    """The entry field a header names (``COLUMN_NAMES``: "Question", "问题", "相似问法"), or the header as it is."""
    name = " ".join(str(header or "").replace("\u3000", " ").split())
    return COLUMN_NAMES.get(name.lower(), name)


def _cell(column: str, value: object) -> object:
    """A spreadsheet cell as an entry field: the id and language codes without the spaces a paste leaves around them
    (" faq-1 " is the id faq-1), the language code in either case ("ZH" is zh), or the language named ("中文", "English")."""
    if isinstance(value, str) and column in ("id", "language", "status"):
        value = trim(value)
        if column == "language":
            value = " ".join(value.lower().split())
            return LANGUAGE_NAMES.get(value, value)
        return value.lower() if column != "id" else value
    return value


def parse_rows(rows: list[dict], first_row_number: int = 1) -> ParsedFile:
    """Validate every row; collect every problem instead of stopping at the first.

    A row with nothing in it (a spreadsheet's empty separator row, or the trailing rows Excel keeps formatted) is
    skipped, not reported as missing its id, question and answer; rows keep their numbers as the file counts them.
    """
    result = ParsedFile()
    seen: dict[str, int] = {}
    for offset, row in enumerate(rows):
        number = first_row_number + offset
        row = {column_of(k): v for k, v in row.items()}
        row = {k: _cell(k, v) for k, v in row.items() if k in COLUMNS and not _blank(v)}
        if not row:
            continue
        rid = row.get("id")
        if rid in seen:
            result.errors.append(RowError(number, rid, f"duplicate id (first seen in row {seen[rid]})"))
            continue
        try:
            entry = FaqEntry(**row)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'row'}: {_plain(e)}" for e in exc.errors())
            result.errors.append(RowError(number, rid, problems))
            continue
        seen[entry.id] = number
        result.entries.append(entry)
    return result


def _plain(error: dict) -> str:
    if error["type"] == "missing":
        return "missing"
    return error["msg"].removeprefix("Value error, ")


# A cell that starts with one of these is run as a formula by Excel and LibreOffice (CSV injection, OWASP):
# a content gap drafted from a customer's "=HYPERLINK(...)" must come out of an export as text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class NotText(ValueError):
    """An uploaded .json/.csv that is neither UTF-8 nor GB18030 text."""


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without the BOM Excel writes), else GB18030: Excel on Chinese Windows saves "CSV" as GBK,
    which used to come in as replacement characters (or a traceback from the command line)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise NotText("the file is neither UTF-8 nor GBK/GB18030 text: save it as CSV UTF-8")


def read_file(path: Path) -> ParsedFile:
    """The file's entries, or a file problem (row 0) the caller can show: missing, of another type, not text."""
    suffix = path.suffix.lower()
    if suffix not in (".json", ".csv", ".xlsx", ".xlsm"):
        return ParsedFile(errors=[RowError(0, None, f"unsupported file type {suffix or '(none)'!r}; use .json, .csv or .xlsx")])
    try:
        data = path.read_bytes()
        if suffix == ".json":
            return read_json(decode_text(data))
        if suffix == ".csv":
            return read_csv(decode_text(data))
        try:
            return read_xlsx(data)
        except Exception as exc:  # openpyxl raises many kinds on a damaged workbook
            return ParsedFile(errors=[RowError(0, None, f"not a readable Excel workbook ({type(exc).__name__})")])
    except (OSError, NotText) as exc:
        return ParsedFile(errors=[RowError(0, None, exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc))])


def read_json(text: str) -> ParsedFile:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return ParsedFile(errors=[RowError(0, None, f"not valid JSON: {exc}")])
    if isinstance(data, dict):  # {"entries": [...]}, as some exports wrap it; any other object is not a KB
        data = data.get("entries")
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        return ParsedFile(errors=[RowError(0, None, WRONG_JSON_SHAPE)])
    return parse_rows(data, 1)


def read_csv(text: str) -> ParsedFile:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("id", "question", "answer") if c not in {column_of(f) for f in reader.fieldnames or []}]
    if missing:
        return ParsedFile(errors=[RowError(1, None, f"header lacks column(s): {', '.join(missing)}")])
    return parse_rows([{k: _unguarded(v) for k, v in row.items()} for row in reader], 2)


def read_xlsx(data: bytes) -> ParsedFile:
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    if not rows:
        return ParsedFile(errors=[RowError(1, None, "empty sheet")])
    header = [str(c or "").strip() for c in rows[0]]
    return parse_rows([dict(zip(header, ["" if v is None else str(v) for v in r])) for r in rows[1:]], 2)


def _flat(entry: FaqEntry) -> dict:
    d = entry.model_dump(include=set(COLUMNS))
    d["phrasings"] = " | ".join(entry.phrasings)
    d["tags"] = " | ".join(entry.tags)
    return d


def to_json(entries: list[FaqEntry]) -> str:
    return json.dumps([e.model_dump(include=set(COLUMNS)) for e in entries], ensure_ascii=False, indent=2)


def _guarded(value: object) -> object:
    """A CSV cell a spreadsheet would run as a formula, with the apostrophe that makes it text (read back without it)."""
    return f"'{value}" if isinstance(value, str) and value.startswith(_FORMULA_STARTS) else value


def _unguarded(value: object) -> object:
    return value[1:] if isinstance(value, str) and value.startswith("'") and value[1:].startswith(_FORMULA_STARTS) else value


# Excel opens a .csv by double-click in the system's ANSI code page (GBK on Chinese Windows) unless the file starts
# with a UTF-8 byte-order mark: without it every Chinese question and answer of an export showed as mojibake.
# Our own import reads the mark (decode_text: utf-8-sig).
CSV_BOM = "\ufeff"


def to_csv(entries: list[FaqEntry]) -> str:
    """The entries as CSV text for Excel: UTF-8 with a byte-order mark first (CSV_BOM)."""
    out = io.StringIO()
    out.write(CSV_BOM)
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for e in entries:
        writer.writerow({k: _guarded(v) for k, v in _flat(e).items()})
    return out.getvalue()


def to_xlsx(entries: list[FaqEntry]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "faq"
    ws.append(COLUMNS)
    for e in entries:
        flat = _flat(e)
        ws.append([flat[c] for c in COLUMNS])
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # openpyxl takes "=..." for a formula: stored as the text it is
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
