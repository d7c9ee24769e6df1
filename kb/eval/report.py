"""The ``kb eval`` report as a terminal table (the JSON form is the report dict itself)."""

from __future__ import annotations

from rich.table import Table


def _pct(value) -> str:
    return "-" if value is None else f"{value:.1%}"


def _auroc(value) -> str:
    return "-" if value is None else f"{value:.3f}"


ROWS = (
    ("top-1 (in scope)", "top1", _pct),
    ("top-3 (in scope)", "top3", _pct),
    ("AUROC top score, top-1 right", "auroc", _auroc),
    ("in-scope accuracy (answered right)", "in_scope_accuracy", _pct),
    ("answer precision", "answer_precision", _pct),
    ("in scope not answered (to suggest/fallback)", "in_scope_not_answered", _pct),
    ("  of which suggest with the entry shown", "in_scope_suggest_shown", _pct),
    ("OOS recall (not answered)", "oos_recall", _pct),
    ("OOS precision (not answered)", "oos_precision", _pct),
    ("OOS recall (fallback)", "oos_recall_fallback", _pct),
    ("OOS precision (fallback)", "oos_precision_fallback", _pct),
)


def _gate_line(gate: dict) -> str:
    return f"{gate['answer']:g} / {gate['suggest']:g} / {gate['margin']:g}"


def table(report: dict) -> Table:
    title = (
        f"{report['dataset']} ({report['language']}): {report['entries']} entries, {report['texts']} texts, "
        f"model {report['model']}, published in {report['publish_seconds']} s; "
        f"val {report['split']['val']} / test {report['split']['test']} questions ({report['split']['how']})"
    )
    columns = [("gate calibrated at publish (the bot)", report["published"])]
    if "validated" in report:
        columns.append((f"gate calibrated on val ({report['validated']['gate']['source'].get('objective')})", report["validated"]))
    out = Table(title=title)
    out.add_column("test metric")
    for name, _ in columns:
        out.add_column(name)
    out.add_row("gate answer / suggest / margin", *[_gate_line(c["gate"]) for _, c in columns])
    out.add_row("expected precision (where calibrated)", *[_pct(c["gate"].get("expected_precision")) for _, c in columns])
    for label, key, fmt in ROWS:
        out.add_row(label, *[fmt(c["test"].get(key)) for _, c in columns])
    out.add_row("latency p50 / p95 ms", *[f"{c['test']['latency_ms_p50']:.1f} / {c['test']['latency_ms_p95']:.1f}" for _, c in columns])
    out.add_row("decisions answer / suggest / fallback", *[" / ".join(str(v) for v in c["test"]["decisions"].values()) for _, c in columns])
    return out
