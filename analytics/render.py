"""The briefing as a file: self-contained HTML (charts by ECharts, inlined), PDF (headless Chromium prints that page,
CJK fonts embedded), or an Excel workbook (openpyxl) for whoever wants the numbers."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from analytics.briefing import change
from analytics.texts import WORDS, t

ROOT = Path(__file__).resolve().parent.parent
ECHARTS = ROOT / "node_modules" / "echarts" / "dist" / "echarts.min.js"
_env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html", "j2"]))


class RenderError(RuntimeError):
    """The file could not be made (no Chromium for a PDF): the message says what to install."""


def html(briefing: dict, *, generated: datetime, simulated: bool = False) -> str:
    lang = briefing["lang"]
    echarts = ECHARTS.read_text(encoding="utf-8") if ECHARTS.exists() else ""
    return _env.get_template("briefing.html.j2").render(
        b=briefing, generated=generated.strftime("%Y-%m-%d %H:%M %Z"), simulated=simulated, echarts=echarts,
        w=lambda key, **v: t(WORDS, key, lang, **v), delta=lambda a, b: change(a, b, ratio=False),
        complaint_data=[{"name": c["name"], "value": c["count"]} for c in briefing["complaints"]],
        rating_data=[briefing["satisfaction"]["distribution"][str(s)] for s in range(1, 6)],
    )


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    raise RenderError("a PDF needs Chromium: apt-get install chromium fonts-noto-cjk (or use --format html)")


def has_chinese_fonts() -> bool:
    """Whether fontconfig knows a font with Chinese glyphs (without one, Chromium prints a Chinese page as boxes)."""
    try:
        return bool(subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, timeout=30).stdout.strip())
    except (OSError, subprocess.SubprocessError):
        return False


def pdf(page: str, out: Path, timeout: float = 120.0, *, chinese: bool = False) -> None:
    """Print the HTML page with headless Chromium (its JavaScript draws the charts first). ``chinese``: the page is
    in Chinese, refused without Chinese fonts rather than printed as boxes."""
    browser = chromium()
    if chinese and not has_chinese_fonts():
        raise RenderError("a Chinese PDF needs Chinese fonts: apt-get install fonts-noto-cjk (or use --format html)")
    with tempfile.TemporaryDirectory(prefix="cs-report-") as tmp:
        source = Path(tmp) / "briefing.html"
        source.write_text(page, encoding="utf-8")
        argv = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-extensions", f"--user-data-dir={tmp}/profile", "--no-pdf-header-footer",
                "--virtual-time-budget=10000", "--run-all-compositor-stages-before-draw", f"--print-to-pdf={out}", source.as_uri()]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0 or not out.exists() or out.stat().st_size == 0:
            raise RenderError(f"Chromium could not print the briefing: {done.stderr.strip()[-400:]}")


def xlsx(briefing: dict, out: Path) -> None:
    """One sheet per table of the briefing."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    lang = briefing["lang"]
    w = lambda key, **v: t(WORDS, key, lang, **v)  # noqa: E731
    book = Workbook()
    sheets = {
        w("kpis"): ([w("indicator"), w("target"), w("actual"), w("previous"), w("change"), w("status"), w("measured")],
                    [[k["name"], k["target"], k["actual"], k["previous"], k["change"], k["status"], k["how"]] for k in briefing["kpis"]]),
        w("complaints"): ([w("category"), w("count"), w("share"), w("previous")],
                          [[c["name"], c["count"], round(c["share_value"], 4), c["previous"]] for c in briefing["complaints"]]),
        w("negative"): ([w("theme"), w("count"), w("share")],
                        [[r["name"], r["comments"], round(r["share_value"], 4)] for r in briefing["satisfaction"]["every_theme"]]),
        "SLA": ([w("policy"), w("met"), w("breached"), w("attainment")], [[p["policy"], p["met"], p["breached"], p["attainment"]] for p in briefing["sla"]]),
        w("agents"): ([w("agent"), w("chats"), w("resolved"), w("frt_p50"), w("handle"), w("fcr"), w("csat"), w("breaches")],
                      [[a["name"], a["chats"], a["resolved"], a["frt"], a["handle"], a["fcr_text"], a["csat_text"], a["breaches"]] for a in briefing["agents"]]),
        w("actions"): ([w("actions")], [[a] for a in briefing["actions"]]),
    }
    book.remove(book.active)
    for title, (header, rows) in sheets.items():
        sheet = book.create_sheet(title[:31])
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        for column in sheet.columns:
            sheet.column_dimensions[column[0].column_letter].width = min(60, max(10, *(len(str(c.value or "")) + 2 for c in column)))
    book.save(out)
