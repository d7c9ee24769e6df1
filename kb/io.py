"""Reading and writing whole knowledge bases as JSON, CSV or Excel, with a per-row error report."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from kb.records import FaqEntry

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


def parse_rows(rows: list[dict], first_row_number: int = 1) -> ParsedFile:
    """Validate every row; collect every problem instead of stopping at the first."""
    result = ParsedFile()
    seen: dict[str, int] = {}
    for offset, row in enumerate(rows):
        number = first_row_number + offset
        row = {k: v for k, v in row.items() if k in COLUMNS and v not in (None, "")}
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


def read_file(path: Path) -> ParsedFile:
    suffix = path.suffix.lower()
    if suffix == ".json":
        return read_json(path.read_text(encoding="utf-8"))
    if suffix == ".csv":
        return read_csv(path.read_text(encoding="utf-8-sig"))
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(path.read_bytes())
    raise ValueError(f"{path}: unsupported file type {suffix!r}; use .json, .csv or .xlsx")


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
    missing = [c for c in ("id", "question", "answer") if c not in (reader.fieldnames or [])]
    if missing:
        return ParsedFile(errors=[RowError(1, None, f"header lacks column(s): {', '.join(missing)}")])
    return parse_rows(list(reader), 2)


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


def to_csv(entries: list[FaqEntry]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for e in entries:
        writer.writerow(_flat(e))
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
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
