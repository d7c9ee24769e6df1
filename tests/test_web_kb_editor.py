"""The knowledge-base editor page (/kb), driven in a real (Debian) Chromium with Playwright against the real stack.

An editor creates an entry, tries it against the drafts, publishes, and a customer gets the new answer from the
running bot; then edits it and reads the diff in the history. An agent only gets a read-only page.
Screenshots land in artifacts/ (gitignored).
"""

from __future__ import annotations

import re
import time
from pathlib import Path


from core.redis import Keys, sync_client
from hub.errors import STORE_DOWN
from kb.gaps import GapLog
from tests.browser import ARTIFACTS, DESKTOP, PHONE, assert_accessible, expect, staff_page
from tests.clients import kb


WAIT = 60_000  # publishing and the first bot turn can be slow while models warm up

ENTRY_ID = "other-bluefern-loyalty-card-en"
QUESTION = "Can I use my Bluefern Café loyalty card to collect points on orders?"
PHRASINGS = ["do Bluefern cafe stamps count for my orders", "Bluefern coffee loyalty card points", "link my Bluefern café card to my account"]
MARKER = "KBMARK4417"
ANSWER = (f"Yes! Your **Bluefern Café** loyalty card earns *one point* per order. {MARKER}\n\n"
          "- Open Account → Partners\n- Enter the card number\n\nDetails: [partner page](https://example.com/bluefern)")
ASK = "does my bluefern cafe loyalty card earn points when I order?"


def sign_in(browser, hub: str, username: str, viewport: dict, locale: str = "en-US"):
    return staff_page(browser, hub, "/kb", username, viewport, "zh" if locale.startswith("zh") else "en")


def ask_until(customer_factory, question: str, marker: str, seconds: float = 10) -> str:
    """The action server checks for a new version at most once a second: ask again until it shows."""
    deadline = time.monotonic() + seconds
    while True:
        text = " ".join(r.get("text", "") for r in customer_factory("en").say(question)["replies"])
        if marker in text or time.monotonic() > deadline:
            return text
        time.sleep(0.5)


def test_pages_never_write_html_from_data():
    root = Path(__file__).resolve().parent.parent
    for source in [*root.glob("web/common/*.js"), *root.glob("kb/web/*.js"), *root.glob("handoff/web/*.js"), *root.glob("bot/web/*.js")]:
        text = source.read_text()
        for banned in ("innerHTML", "insertAdjacentHTML", "outerHTML", "eval(", "new Function", "javascript:", "document.write"):
            assert banned not in text, f"{source.name}: {banned}"
    for page in [*root.glob("*/web/*.html")]:
        html = page.read_text()
        assert "<script>" not in html and not re.search(r"\son[a-z]+=", html) and 'style="' not in html, page.name


def test_kb_editor_page(stack, settings, agents, browser, customer_factory):
    ARTIFACTS.mkdir(exist_ok=True)
    hub = settings.hub_url
    errors: list[str] = []

    ctx, page = sign_in(browser, hub, "erin", DESKTOP)
    page.on("pageerror", lambda e: errors.append(str(e)))
    expect(page.locator("#me-role")).to_have_text("Editor")
    expect(page.locator("#entry-list li").first).to_be_visible()
    expect(page.get_by_role("button", name="Publish", exact=True)).to_be_visible()

    # A new entry; the API's validation error shows next to the field first.
    page.get_by_role("button", name="New entry", exact=True).click()
    page.get_by_label("Entry id").fill(ENTRY_ID)
    page.get_by_label("Answer (Markdown)").fill(ANSWER)
    page.get_by_role("button", name="Save draft", exact=True).click()
    expect(page.locator("#err-question")).to_be_visible()
    expect(page.locator("#e-question")).to_have_attribute("aria-invalid", "true")

    page.get_by_label("Question", exact=True).fill(QUESTION)
    page.get_by_label("Other phrasings (one per line)").fill("\n".join(PHRASINGS))
    page.locator("#e-category").fill("other")
    page.get_by_label("Tags (comma separated)").fill("partners, loyalty")
    # live preview: markdown rendered as DOM nodes
    expect(page.locator("#preview strong")).to_have_text("Bluefern Café")
    expect(page.locator("#preview em")).to_have_text("one point")
    expect(page.locator("#preview li")).to_have_count(2)
    expect(page.locator("#preview a")).to_have_text("partner page")
    expect(page.locator("#preview a")).to_have_attribute("href", "https://example.com/bluefern")  # the same renderer as the chat
    page.get_by_role("button", name="Save draft", exact=True).click()
    expect(page.locator("#save-status")).to_contain_text("revision 1")
    expect(page.locator("#err-question")).to_be_hidden()
    expect(page.locator("#editor-title")).to_have_text(ENTRY_ID)
    expect(page.locator("#editor-status")).to_have_text("Draft")
    row = page.locator(f"#entry-list li[data-id='{ENTRY_ID}']")
    expect(row).to_contain_text("Draft")
    expect(page.locator("#pending-summary")).to_contain_text("waiting to be published")
    page.locator("#pending-details summary").click()
    expect(page.locator("#pending-list")).to_contain_text(ENTRY_ID)

    # Filters: drafts only, then search.
    page.locator("#f-status").select_option("draft")
    expect(row).to_be_visible()
    expect(page.locator("#entry-list li .tag.status.published")).to_have_count(0)
    page.locator("#q").fill("bluefern")
    expect(page.locator("#entry-list li")).to_have_count(1)
    expect(page.locator("#list-count")).to_have_text("1")
    page.screenshot(path=str(ARTIFACTS / "kb-editor-desktop.png"))
    page.locator("#q").fill("")
    page.locator("#f-status").select_option("")

    # Try it against the drafts: the new entry ranks first; the published KB doesn't know it yet.
    page.get_by_role("button", name="Try it", exact=True).click()
    page.get_by_label("Customer question").fill(ASK)
    page.get_by_label("Drafts (unpublished)").check()
    page.get_by_role("button", name="Ask", exact=True).click()
    expect(page.locator("#try-result .hit").first).to_have_attribute("data-id", ENTRY_ID, timeout=WAIT)
    expect(page.locator("#try-result .gate")).to_contain_text("answer ≥")
    expect(page.locator("#try-result .hit").first.locator(".score.dense")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "kb-try-desktop.png"))
    page.get_by_label("Published KB").check()
    page.get_by_role("button", name="Ask", exact=True).click()
    expect(page.locator("#try-result")).to_contain_text("Searched the published KB", timeout=WAIT)
    assert page.locator(f"#try-result .hit[data-id='{ENTRY_ID}']").count() == 0

    # Publish asks first, listing what will change; then the new version number shows and the running bot answers with it.
    page.get_by_role("button", name="Publish", exact=True).click()
    dialog = page.get_by_role("dialog", name="Publish these changes?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(ENTRY_ID)
    expect(dialog).to_contain_text("new")
    page.screenshot(path=str(ARTIFACTS / "kb-publish-confirm-desktop.png"))
    dialog.get_by_role("button", name=re.compile(r"^Publish \d+ changes?$")).click()
    expect(page.locator("#publish-result")).to_contain_text("Published version", timeout=WAIT)
    version = int(re.search(r"version (\d+)", page.locator("#publish-result").inner_text()).group(1))
    expect(page.locator("#pending-summary")).to_have_text("Everything is published.")
    expect(page.locator("#live-version")).to_have_text(f"Live: version {version}")
    reply = ask_until(customer_factory, ASK, MARKER)
    assert MARKER in reply, reply

    # Edit the answer: a second revision, and the history shows what changed.
    page.locator(f"#entry-list li[data-id='{ENTRY_ID}'] button").click()
    expect(page.locator("#editor-status")).to_have_text("Published")
    page.get_by_label("Answer (Markdown)").fill(ANSWER.replace("*one point*", "*two points*"))
    page.keyboard.press("Control+s")  # keyboard save
    expect(page.locator("#save-status")).to_contain_text("revision 2")
    expect(page.locator("#history-list li")).to_have_count(2)
    expect(page.locator("#diff h3")).to_have_text("Changes from revision 1 to 2")
    expect(page.locator("#diff ins").first).to_contain_text("two")
    expect(page.locator("#diff del").first).to_contain_text("one")
    page.locator("#history").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "kb-history-desktop.png"))
    page.locator("#history-list li", has_text="Revision 1").locator("button").click()
    expect(page.locator("#diff h3")).to_have_text("First revision: everything is new.")

    # Versions: the published one is live; earlier ones can be rolled back to.
    page.get_by_role("button", name="Versions", exact=True).click()
    live_row = page.locator("#versions-body tr.live")
    expect(live_row).to_contain_text("Live")
    assert int(live_row.get_attribute("data-version")) >= version  # this publish, or its complete version once relearned
    expect(live_row.get_by_role("button", name=re.compile("Roll back"))).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "kb-versions-desktop.png"))

    # Content gaps: a question the bot can't answer becomes a group, and then a draft entry.
    gap_q = "Do you rent out kayaks for the river festival?"
    customer_factory("en").say(gap_q)  # the bot logs it if it falls back; log it (and a rewording) the same way regardless
    log = GapLog(sync_client(settings), Keys(settings.key_prefix))
    log.record("can I rent a kayak during the river festival", "en", "fallback")
    log.record(gap_q, "en", "fallback")
    page.get_by_role("button", name="Content gaps", exact=True).click()
    refresh = page.get_by_role("button", name="Refresh", exact=True)
    refresh.click()  # waits for the tab's own load to finish (the button is disabled while loading)
    expect(refresh).to_be_enabled(timeout=WAIT)
    gap = page.locator("#gaps-list li.gap", has_text=gap_q).first
    expect(gap).to_be_visible(timeout=WAIT)
    gap_id = gap.get_by_label("Id for the new entry")
    expect(gap_id).to_have_value(re.compile(r"^other-.*kayaks.*-en$"))
    gap.get_by_label("Category").select_option("product")
    expect(gap_id).to_have_value(re.compile(r"^product-.*kayaks.*-en$"))
    page.screenshot(path=str(ARTIFACTS / "kb-gaps-desktop.png"))
    new_id = gap_id.input_value()
    gap.get_by_role("button", name="Create entry from this group", exact=True).click()
    expect(page.locator("#editor-title")).to_have_text(new_id)
    expect(page.locator("#e-question")).to_have_value(gap_q)

    # Import shows per-row errors (and imports nothing); export downloads through the auth header.
    page.get_by_role("button", name="Import / Export", exact=True).click()
    bad_csv = "id,question,answer,language\nok-row-en,Fine question?,Fine answer,en\nbad id!,Q?,A,en\nno-answer-en,Q?,,en\n"
    page.locator("#import-file").set_input_files({"name": "bad.csv", "mimeType": "text/csv", "buffer": bad_csv.encode()})
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator("#import-errors")).to_contain_text("nothing was imported")
    expect(page.locator("#import-errors tbody tr")).to_have_count(2)
    page.screenshot(path=str(ARTIFACTS / "kb-import-desktop.png"))
    with page.expect_download() as dl:
        page.get_by_role("button", name="JSON", exact=True).click()
    assert dl.value.suggested_filename == "kb.json"
    assert ENTRY_ID in Path(dl.value.path()).read_text()
    assert errors == []

    # The phone layout: list first, then the entry and its tools via the tabs.
    phone_ctx, phone = sign_in(browser, hub, "erin", PHONE)
    expect(phone.locator("#entry-list")).to_be_visible()
    phone.screenshot(path=str(ARTIFACTS / "kb-list-phone.png"))
    phone.locator(f"#entry-list li[data-id='{ENTRY_ID}'] button").click()
    expect(phone.locator("#editor")).to_be_visible()
    expect(phone.locator("#entry-list")).to_be_hidden()
    phone.screenshot(path=str(ARTIFACTS / "kb-editor-phone.png"), full_page=False)
    phone.get_by_role("button", name="Try it", exact=True).click()
    phone.get_by_label("Customer question").fill(ASK)
    phone.get_by_role("button", name="Ask", exact=True).click()
    expect(phone.locator("#try-result .hit").first).to_have_attribute("data-id", ENTRY_ID, timeout=WAIT)
    phone.screenshot(path=str(ARTIFACTS / "kb-try-phone.png"))
    phone_ctx.close()

    # An agent reads, but gets no edit controls.
    agent_ctx, agent = sign_in(browser, hub, "alice", DESKTOP)
    expect(agent.locator("#me-role")).to_have_text("Read-only")
    expect(agent.locator(f"#entry-list li[data-id='{ENTRY_ID}']")).to_be_visible()
    expect(agent.get_by_role("button", name="Publish", exact=True)).to_have_count(0)
    expect(agent.get_by_role("button", name="New entry", exact=True)).to_have_count(0)
    agent.locator(f"#entry-list li[data-id='{ENTRY_ID}'] button").click()
    expect(agent.locator("#readonly-note")).to_be_visible()
    expect(agent.locator("#e-answer")).to_be_disabled()
    expect(agent.get_by_role("button", name="Save draft", exact=True)).to_have_count(0)
    expect(agent.get_by_role("button", name="Delete", exact=True)).to_have_count(0)
    agent.get_by_role("button", name="Versions", exact=True).click()
    expect(agent.locator("#versions-body tr").first).to_be_visible()
    expect(agent.get_by_role("button", name=re.compile("Roll back"))).to_have_count(0)
    agent.get_by_role("button", name="Entry", exact=True).click()
    agent.screenshot(path=str(ARTIFACTS / "kb-agent-readonly-desktop.png"))
    agent_ctx.close()

    # Chinese UI follows the browser language, and can be switched.
    zh_ctx, zh = sign_in(browser, hub, "erin", PHONE, locale="zh-CN")
    expect(zh.locator("#list-title")).to_contain_text("条目")
    expect(zh.get_by_role("button", name="发布", exact=True)).to_be_visible()
    zh.screenshot(path=str(ARTIFACTS / "kb-list-phone-zh.png"))
    zh.locator("header .ui-lang-select").select_option("en")
    expect(zh.get_by_role("button", name="Publish", exact=True)).to_be_visible()
    zh_ctx.close()

    # Roll back (confirmed in a dialog) to the starter version: it is live again.
    page.get_by_role("button", name="Versions", exact=True).click()
    page.get_by_role("button", name=f"Roll back v{version - 1}", exact=True).click()
    page.get_by_role("dialog", name="Roll back?").get_by_role("button", name="Roll back").click()
    expect(page.locator(f"#versions-body tr[data-version='{version - 1}']")).to_contain_text("Live")
    expect(page.locator("#publish-result")).to_have_text(f"Version {version - 1} is live again.")
    expect(page.locator("#live-version")).to_have_text(f"Live: version {version - 1}")
    ctx.close()


def test_editor_guards_unsaved_edits_speaks_plainly_and_links_voted_down_answers(stack, settings, agents, browser, customer_factory, hub):
    # A customer votes an answer down: the gap it leaves links to that answer.
    c = customer_factory("en")
    answer = next(r for r in c.say("How long does delivery take?")["replies"] if r["meta"].get("decision") == "answer")
    assert hub.post(f"/api/conversations/{c.id}/feedback", json={"message_id": answer["id"], "helpful": False}, headers=c.headers).status_code == 204

    ctx, page = sign_in(browser, settings.hub_url, "erin", DESKTOP, locale="zh-CN")
    rows = page.locator("#entry-list li button")
    expect(rows.nth(1)).to_be_visible()
    first_id, second_id = page.locator("#entry-list li").nth(0).get_attribute("data-id"), page.locator("#entry-list li").nth(1).get_attribute("data-id")
    rows.nth(0).click()
    expect(page.locator("#editor-title")).to_have_text(first_id)
    page.locator("#e-answer").fill("一个还没保存的修改")
    rows.nth(1).click()
    dialog = page.get_by_role("dialog", name="放弃未保存的修改？")
    expect(dialog).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "kb-unsaved-warning-zh.png"))
    dialog.get_by_role("button", name="继续编辑").click()
    expect(page.locator("#editor-title")).to_have_text(first_id)
    expect(page.locator("#e-answer")).to_have_value("一个还没保存的修改")
    rows.nth(1).click()
    page.get_by_role("dialog", name="放弃未保存的修改？").get_by_role("button", name="放弃修改").click()
    expect(page.locator("#editor-title")).to_have_text(second_id)

    # Validation in plain words, in the interface language.
    page.get_by_role("button", name="新建条目", exact=True).click()
    page.locator("#e-id").fill("bad id!")
    page.get_by_role("button", name="保存草稿", exact=True).click()
    expect(page.locator("#err-id")).to_have_text("只能使用字母、数字和 - _ . :（不能有空格）。")
    expect(page.locator("#err-question")).to_have_text("此项不能为空。")
    expect(page.locator("#err-answer")).to_have_text("此项不能为空。")
    expect(page.locator("#editor")).not_to_contain_text("String should")
    page.screenshot(path=str(ARTIFACTS / "kb-validation-zh.png"))

    # The gap's reason is translated, and it links to the answer that was voted down.
    page.get_by_role("button", name="内容缺口", exact=True).click()
    gap = page.locator("#gaps-list li.gap", has_text="How long does delivery take?").first
    expect(gap).to_contain_text("顾客评为没帮助", timeout=WAIT)
    expect(gap).not_to_contain_text("not_helpful")
    voted = gap.locator(".voted-entry").first
    expect(voted).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "kb-gaps-zh.png"))
    assert_accessible(page, "editor, content gaps (desktop, zh)")
    entry_id = voted.get_attribute("data-entry")
    voted.click()
    page.get_by_role("dialog", name="放弃未保存的修改？").get_by_role("button", name="放弃修改").click()  # the new entry was never saved
    expect(page.locator("#editor-title")).to_have_text(entry_id)
    assert_accessible(page, "editor, an entry (desktop, zh)")
    ctx.close()


def test_editor_pages_are_accessible(stack, settings, agents, browser):
    for language, viewport in (("en", DESKTOP), ("zh", PHONE)):
        ctx = browser.new_context(viewport=viewport, locale={"en": "en-US", "zh": "zh-CN"}[language])
        page = ctx.new_page()
        page.goto(f"{settings.hub_url}/kb")
        expect(page.locator("#login-form")).to_be_visible()
        assert_accessible(page, f"editor sign-in ({language})")
        ctx.close()
        ctx, page = sign_in(browser, settings.hub_url, "erin", viewport, locale={"en": "en-US", "zh": "zh-CN"}[language])
        expect(page.locator("#entry-list li").first).to_be_visible()
        assert_accessible(page, f"editor, entry list ({language})")
        page.locator("#entry-list li button").first.click()
        expect(page.locator("#editor")).to_be_visible()
        assert_accessible(page, f"editor, entry ({language})")
        for tab in ("try", "versions", "io"):
            page.locator(f".tab[data-tab='{tab}']").click()
            expect(page.locator(f"#panel-{tab}")).to_be_visible()
            assert_accessible(page, f"editor, {tab} tab ({language})")
        ctx.close()


def test_a_save_over_someone_elses_change_says_so_and_keeps_the_typed_text(stack, settings, agents, browser, editor):
    """Two editors open the same entry; the one saving second is told (in their language) and loses nothing typed."""
    entry_id = "orders-gift-wrap-conflict-en"
    entry = {"id": entry_id, "question": "How much does gift wrapping cost?", "phrasings": ["price of gift wrap"],
             "answer": "Gift wrap costs 2 EUR.", "category": "orders", "language": "en", "tags": ["wrap"]}
    assert kb(editor, "POST", "/entries", json=entry).status_code == 201
    errors: list[str] = []
    a_ctx, a = sign_in(browser, settings.hub_url, "erin", DESKTOP)  # editor A, English
    b_ctx, b = sign_in(browser, settings.hub_url, "erin", DESKTOP, locale="zh-CN")  # editor B, Chinese
    for page in (a, b):
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.locator(f"#entry-list li[data-id='{entry_id}'] button").click()
        expect(page.locator("#editor-title")).to_have_text(entry_id)

    a.locator("#e-answer").fill("Gift wrap costs 3 EUR. MARKER-A1")
    a.get_by_role("button", name="Save draft", exact=True).click()
    expect(a.locator("#save-status")).to_contain_text("revision 2")

    # B still has revision 1: the save is refused, said in Chinese, with A's version shown and B's text still in the form.
    b.locator("#e-answer").fill("礼品包装 2 欧元。MARKER-B1")
    b.locator("#e-tags").fill("wrap, gifts")
    b.get_by_role("button", name="保存草稿", exact=True).click()
    b_box = b.locator("#conflict")
    expect(b_box).to_be_visible()
    expect(b_box).to_contain_text("有人修改了这个条目")
    expect(b_box).to_contain_text("erin 在")
    expect(b_box).to_contain_text("保存了第 2 版，晚于你打开的第 1 版")
    expect(b_box).to_contain_text("MARKER-A1")
    expect(b.locator("#e-answer")).to_have_value("礼品包装 2 欧元。MARKER-B1")
    expect(b.locator("#e-tags")).to_have_value("wrap, gifts")
    b.screenshot(path=str(ARTIFACTS / "kb-conflict-zh.png"))
    assert kb(editor, "GET", f"/entries/{entry_id}").json()["answer"] == "Gift wrap costs 3 EUR. MARKER-A1"  # A's answer kept

    # B loads A's version: it fills the form, and B's own text stays on screen to copy from.
    b_box.get_by_role("button", name="载入对方的版本", exact=True).click()
    expect(b.locator("#e-answer")).to_have_value("Gift wrap costs 3 EUR. MARKER-A1")
    expect(b_box).to_contain_text("你的内容（未保存）")
    expect(b_box).to_contain_text("MARKER-B1")
    expect(b_box).to_contain_text("wrap, gifts")
    b.locator("#e-tags").fill("wrap, gifts")
    b.get_by_role("button", name="保存草稿", exact=True).click()
    expect(b.locator("#save-status")).to_contain_text("第 3 版")
    expect(b_box).to_be_hidden()

    # A, still at revision 2, edits again: refused in English; A chooses to save their text over revision 3.
    a.locator("#e-answer").fill("Gift wrap is free this month. MARKER-A2")
    a.get_by_role("button", name="Save draft", exact=True).click()
    a_box = a.locator("#conflict")
    expect(a_box).to_contain_text("Someone else changed this entry")
    expect(a_box).to_contain_text("erin saved revision 3")
    expect(a_box).to_contain_text("after you opened revision 2")
    expect(a.locator("#e-answer")).to_have_value("Gift wrap is free this month. MARKER-A2")
    a.screenshot(path=str(ARTIFACTS / "kb-conflict-desktop.png"))
    a_box.get_by_role("button", name="Save mine over theirs", exact=True).click()
    expect(a.locator("#save-status")).to_contain_text("revision 4")
    expect(a_box).to_be_hidden()
    now = kb(editor, "GET", f"/entries/{entry_id}").json()
    assert now["answer"] == "Gift wrap is free this month. MARKER-A2" and now["revision"] == 4
    assert [h["revision"] for h in kb(editor, "GET", f"/entries/{entry_id}/history").json()] == [1, 2, 3, 4]

    # B, still at revision 3, deletes: nothing is deleted until B has seen revision 4, then "delete anyway" does it.
    b.get_by_role("button", name="删除", exact=True).click()
    b.get_by_role("dialog").get_by_role("button", name="删除", exact=True).click()
    expect(b_box).to_contain_text("条目没有删除")
    expect(b_box).to_contain_text("MARKER-A2")
    assert kb(editor, "GET", f"/entries/{entry_id}").json()["revision"] == 4
    b_box.get_by_role("button", name="仍然删除", exact=True).click()
    expect(b.locator("#publish-result")).to_contain_text(f"已删除 {entry_id}")
    assert kb(editor, "GET", f"/entries/{entry_id}").status_code == 404
    assert errors == []
    a_ctx.close()
    b_ctx.close()


def test_opening_an_entry_someone_else_deleted_says_so_and_draws_the_list_again(stack, settings, agents, browser, editor):
    """Opening an entry from a list drawn before a colleague deleted it showed the hub's English "no entry ..." under
    the form (or nowhere, with no entry open) and left the entry in the list. Now it says so in the editor's
    language and draws the list again."""
    entry_id = "shipping-parcel-locker-gone-en"
    entry = {"id": entry_id, "question": "Can I pick up my order from a parcel locker?", "phrasings": ["parcel locker pickup"],
             "answer": "Yes, choose a locker at checkout.", "category": "shipping", "language": "en", "tags": []}
    assert kb(editor, "POST", "/entries", json=entry).status_code == 201
    errors: list[str] = []
    ctx, page = sign_in(browser, settings.hub_url, "erin", DESKTOP, locale="zh-CN")
    page.on("pageerror", lambda e: errors.append(str(e)))
    expect(page.locator(f"#entry-list li[data-id='{entry_id}']")).to_be_visible()
    assert kb(editor, "DELETE", f"/entries/{entry_id}").status_code == 204  # a colleague deletes it
    page.locator(f"#entry-list li[data-id='{entry_id}'] button").click()
    expect(page.locator("#placeholder-note")).to_have_text(f"“{entry_id}”已不存在：已被他人删除。列表已更新。")
    expect(page.locator(f"#entry-list li[data-id='{entry_id}']")).to_have_count(0)
    expect(page.locator("#editor")).to_be_hidden()
    page.screenshot(path=str(ARTIFACTS / "kb-entry-gone-zh.png"))
    page.locator("#entry-list li button").first.click()  # the next entry opens as usual; its form shows no stale note
    expect(page.locator("#editor")).to_be_visible()
    expect(page.locator("#placeholder-note")).to_be_hidden()
    expect(page.locator("#form-error")).to_be_hidden()
    assert errors == []
    ctx.close()


def test_the_keyboard_stays_put_and_a_rolled_back_version_is_not_learning(stack, settings, agents, browser, editor):
    """Opening an entry with Enter keeps the focus on its row (on a phone, where the list hides: on the entry); rolling
    back by keyboard keeps it on the version's row; the version rolled back from does not say "learning…" for good."""
    entry_id = "orders-keyboard-umbrella-en"
    entry = {"id": entry_id, "question": "Can I borrow an umbrella at the counter?", "phrasings": ["umbrella lending at the counter"],
             "answer": "Yes, for a day. MARKER-KB5", "category": "orders", "language": "en", "tags": []}
    assert kb(editor, "POST", "/entries", json=entry).status_code == 201
    before = kb(editor, "GET", "/versions").json()["live"]
    focused = "() => { const a = document.activeElement; return a.closest('[data-id]')?.dataset.id || a.closest('[data-version]')?.dataset.version || a.id || a.tagName; }"

    ctx, page = sign_in(browser, settings.hub_url, "erin", DESKTOP)
    page.locator(f"#entry-list li[data-id='{entry_id}'] button").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#editor-title")).to_have_text(entry_id)
    expect(page.locator(f"#entry-list li[data-id='{entry_id}'] button")).to_have_attribute("aria-current", "true")
    assert page.evaluate(focused) == entry_id

    page.get_by_role("button", name="Publish", exact=True).click()
    page.get_by_role("dialog", name="Publish these changes?").get_by_role("button", name=re.compile(r"^Publish \d+ changes?$")).click()
    expect(page.locator("#publish-result")).to_contain_text("Published version", timeout=WAIT)
    version = int(re.search(r"version (\d+)", page.locator("#publish-result").inner_text()).group(1))
    page.get_by_role("button", name="Versions", exact=True).click()
    page.get_by_role("button", name=f"Roll back v{before}", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog", name="Roll back?")).to_be_visible()
    page.keyboard.press("Enter")  # the dialog's "Roll back"
    expect(page.locator("#publish-result")).to_have_text(f"Version {before} is live again.", timeout=WAIT)  # beside the relearn's CPU
    expect(page.locator(f"#versions-body tr[data-version='{before}']")).to_contain_text("Live")
    assert page.evaluate(focused) == str(before)

    left = next(v for v in kb(editor, "GET", "/versions").json()["versions"] if v["version"] == version)
    row = page.locator(f"#versions-body tr[data-version='{version}']")
    expect(row).not_to_contain_text("learning")
    if left["learning"] == "stopped":  # rolled back before its relearn ended (the usual case)
        expect(row).to_contain_text(f"not learned: rolled back to v{before}")
    page.screenshot(path=str(ARTIFACTS / "kb-versions-rolled-back-desktop.png"))
    ctx.close()

    # A phone shows the list or the entry: opened with Enter, the focus goes to the entry it opened.
    phone_ctx, phone = sign_in(browser, settings.hub_url, "erin", PHONE)
    first = phone.locator("#entry-list li").first
    expect(first).to_be_visible()
    first_id = first.get_attribute("data-id")
    first.locator("button").focus()
    phone.keyboard.press("Enter")
    expect(phone.locator("#editor-title")).to_have_text(first_id)
    expect(phone.locator("#entry-list")).to_be_hidden()
    assert phone.evaluate(focused) == "editor-title"
    phone_ctx.close()


def test_a_save_while_the_service_is_away_or_failing_says_so_in_the_interface_language(stack, settings, agents, browser):
    """No answer at all, the hub's 503 (its sentence is English) or a bare 500: the editor says which, in Chinese
    under a Chinese interface (it said "offline", the English sentence, "Request failed"), and the edit stays."""
    ctx, page = sign_in(browser, settings.hub_url, "erin", DESKTOP, locale="zh-CN")
    page.locator("#entry-list li button").first.click()
    answer = page.locator("#e-answer")
    answer.fill("服务中断时的修改")
    failures = (
        (lambda route: route.abort("connectionrefused"), "无法连接到服务，请在网络恢复后重试。"),
        (lambda route: route.fulfill(status=503, json={"detail": STORE_DOWN}, headers={"Retry-After": "5"}), "服务暂时不可用，请几秒后重试。"),
        (lambda route: route.fulfill(status=500, body="Internal Server Error", content_type="text/plain"), "服务出错（500），请重试。"),
    )
    for failure, said in failures:
        page.route("**/api/kb/**", failure)
        page.locator("#save").click()
        expect(page.locator("#form-error")).to_have_text(said)
        expect(answer).to_have_value("服务中断时的修改")
        page.unroute("**/api/kb/**")
    ctx.close()


def test_an_import_refused_under_a_chinese_interface_says_why_in_chinese(stack, settings, agents, browser, editor):
    """The import's summary and every row's problem came as the hub's English ("2 bad row(s); nothing was imported",
    "id: String should match pattern '^[A-Za-z0-9_.:\\-]+$'", "duplicate id (first seen in row 2)") under a Chinese
    interface, in a column headed 问题 (which in this editor means the entry's question). Now all of it is Chinese."""
    before = kb(editor, "GET", "/entries").json()
    ctx, page = sign_in(browser, settings.hub_url, "erin", DESKTOP, locale="zh-CN")
    page.get_by_role("button", name="导入 / 导出", exact=True).click()
    bad_csv = ("id,language,question,answer\n"
               "imp-zh-ok-zh,zh,可以开发票吗？,可以。\n"
               "bad id!,zh,问题？,答案。\n"
               "imp-zh-no-answer-zh,zh,没有答案的问题？,\n"
               "imp-zh-ok-zh,zh,重复的问题？,重复。\n"
               "imp-zh-french-zh,FR,法语？,不支持。\n")
    page.locator("#import-file").set_input_files({"name": "问答.csv", "mimeType": "text/csv", "buffer": bad_csv.encode()})
    page.get_by_role("button", name="导入", exact=True).click()
    errors = page.locator("#import-errors")
    expect(errors.locator(".import-msg")).to_have_text("有 4 行有误，未导入任何内容。请在文件中改正后重新导入。")
    expect(errors.locator("thead")).to_have_text(re.compile(r"行\s*ID\s*错误原因"))
    rows = errors.locator("tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.nth(0)).to_contain_text("条目 ID：只能使用字母、数字和 - _ . :（不能有空格）。")
    expect(rows.nth(1)).to_contain_text("答案：此项不能为空。")
    expect(rows.nth(2)).to_contain_text("这个 ID 在第 2 行已经用过")
    expect(rows.nth(3)).to_contain_text("语言：请选择英文或中文。")
    said = [errors.locator(".import-msg").inner_text(), *errors.locator("tbody td:nth-child(3)").all_inner_texts()]
    assert not [text for text in said if re.search(r"[A-Za-z]{3,}", text)], said  # no English word left in what the page says
    page.screenshot(path=str(ARTIFACTS / "kb-import-zh-desktop.png"))

    # A file without the columns the import needs (编号/问题/答案 would do: headers are read in Chinese too): one
    # sentence about the file, no table of rows.
    page.locator("#import-file").set_input_files({"name": "问答.csv", "mimeType": "text/csv", "buffer": "序号,内容,备注\n1,运费？,8元\n".encode()})
    page.get_by_role("button", name="导入", exact=True).click()
    expect(errors.locator(".import-msg")).to_have_text("第一行必须是列名，缺少：id, question, answer。 未导入任何内容。")
    expect(errors.locator("table")).to_have_count(0)
    assert_accessible(page, "kb import errors (zh)")
    ctx.close()
    assert kb(editor, "GET", "/entries").json() == before


def test_an_import_can_replace_the_whole_kb_from_the_editor(stack, settings, agents, browser, editor):
    """A new shop imports its own FAQ over the starter one: the import form's "用此文件替换整个知识库" box deletes what
    the file does not hold (drafts until publish) and the status says how many. Without it the demo shop's 132 entries
    stayed and answered this shop's customers. The file here is the KB as it is, so only the two test entries go."""
    exported = kb(editor, "GET", "/export?format=csv").content
    for n in (1, 2):
        entry = {"id": f"web-replace-{n}-zh", "language": "zh", "category": "other", "question": f"要被替换的问题{n}？", "answer": "示例答案。"}
        assert kb(editor, "POST", "/entries", json=entry).status_code == 201
    ctx, page = sign_in(browser, settings.hub_url, "erin", DESKTOP, locale="zh-CN")
    page.get_by_role("button", name="导入 / 导出", exact=True).click()
    replace = page.get_by_role("checkbox", name="用此文件替换整个知识库")
    expect(replace).not_to_be_checked()
    expect(page.locator("#import-replace-help")).to_contain_text("文件中没有的条目将被删除")
    assert_accessible(page, "kb import with replace (zh)")

    # A header alone would empty the KB: refused, said in Chinese.
    page.locator("#import-file").set_input_files({"name": "问答.csv", "mimeType": "text/csv", "buffer": b"id,language,question,answer\n"})
    replace.check()
    page.get_by_role("button", name="导入", exact=True).click()
    expect(page.locator("#import-errors .import-msg")).to_have_text("文件中没有任何条目：用它替换知识库会删除所有条目。 未导入任何内容。")

    page.locator("#import-file").set_input_files({"name": "问答.csv", "mimeType": "text/csv", "buffer": exported})
    page.get_by_role("button", name="导入", exact=True).click()
    expect(page.locator("#import-status")).to_have_text(re.compile(r"^已导入：新增 0，修改 0，未变 \d+，删除 2（文件中没有）。$"))
    expect(replace).not_to_be_checked()  # one replace per choice: the next import adds again
    page.screenshot(path=str(ARTIFACTS / "kb-import-replace-zh.png"))
    ctx.close()
    ids = {e["id"] for e in kb(editor, "GET", "/entries").json()}
    assert not ids & {"web-replace-1-zh", "web-replace-2-zh"} and "shipping-shipping-fee-zh" in ids


HAN_THEN_ASCII_PUNCTUATION = re.compile(r"[\u3400-\u9fff][:,]")


def test_chinese_labels_use_the_full_width_colon(stack, settings, agents, browser, editor):
    """The content gaps said "最新: …" and "原因: 没有合适答案 ×1, 顾客评为没帮助 ×1" under a Chinese interface, ASCII
    colon and comma after Chinese words; the history's changed lines were read out as "added: …" in English. Chinese
    takes "：" and "、" (English keeps ": " and ", ")."""
    question = "河边音乐节期间可以租皮划艇吗"
    log = GapLog(sync_client(settings), Keys(settings.key_prefix))
    log.record(question, "zh", "fallback")
    log.record(question, "zh", "not_helpful")
    entry_id = "other-colon-history-zh"
    entry = {"id": entry_id, "question": "可以寄存行李吗？", "phrasings": ["行李寄存"], "answer": "可以，免费寄存一天。",
             "category": "other", "language": "zh", "tags": []}
    assert kb(editor, "POST", "/entries", json=entry).status_code == 201
    assert kb(editor, "PUT", f"/entries/{entry_id}", json={**{k: v for k, v in entry.items() if k != "id"}, "phrasings": ["行李寄存", "能存包吗"]}).status_code == 200

    for locale, newest, reasons in (("zh-CN", "最新：", ("原因：", "、")), ("en-US", "Newest: ", ("Reasons: ", ", "))):
        ctx, page = sign_in(browser, settings.hub_url, "erin", DESKTOP, locale=locale)
        page.get_by_role("button", name="内容缺口" if locale == "zh-CN" else "Content gaps", exact=True).click()
        gap = page.locator("#gaps-list li.gap", has_text=question).first
        expect(gap).to_be_visible(timeout=WAIT)
        expect(gap.locator(".gap-newest")).to_contain_text(newest)
        reasons_line = gap.locator("p.muted.small-text")
        expect(reasons_line).to_have_text(re.compile(f"^{reasons[0]}.+×\\d+{reasons[1]}.+×\\d+$"))  # other tests' gaps may join the group
        if locale == "zh-CN":
            assert not HAN_THEN_ASCII_PUNCTUATION.search(gap.inner_text()), gap.inner_text()
            page.screenshot(path=str(ARTIFACTS / "kb-gaps-colon-zh.png"))
            page.locator(f"#entry-list li[data-id='{entry_id}'] button").click()
            expect(page.locator("#diff .line.ins")).to_have_attribute("aria-label", "新增：能存包吗")
        ctx.close()
    assert kb(editor, "DELETE", f"/entries/{entry_id}").status_code == 204
    log.dismiss([question])


def test_a_draft_from_a_chinese_gap_gets_an_id_an_editor_can_read(stack, settings, agents, browser, editor):
    """"Create entry from this group" kept only a question's ASCII words, so a Chinese question got "other-3fa2b1c9-zh".
    Now its customer-service terms make the id, in English, in the question's order; a question with none of them gets
    "gap-" and a short hash. The suggested id is the one the draft is created under."""
    with_terms, without = "发票能开公司抬头吗？运费也能开吗", "你们那个东西到底怎么样啊"
    log = GapLog(sync_client(settings), Keys(settings.key_prefix))
    log.record(with_terms, "zh", "fallback")  # the newest wording of its group: the id is made from it
    ctx, page = sign_in(browser, settings.hub_url, "erin", DESKTOP, locale="zh-CN")
    page.get_by_role("button", name="内容缺口", exact=True).click()
    gap = page.locator("#gaps-list li.gap", has_text=with_terms).first
    expect(gap).to_be_visible(timeout=WAIT)
    suggested = gap.get_by_label("新条目的 ID")
    expect(suggested).to_have_value("other-invoice-company-title-zh")
    gap.get_by_label("分类").select_option("payment")
    expect(suggested).to_have_value("payment-invoice-company-title-zh")
    page.screenshot(path=str(ARTIFACTS / "kb-gaps-zh-id.png"))
    gap.get_by_role("button", name="用这一组新建条目", exact=True).click()
    expect(page.locator("#editor-title")).to_have_text("payment-invoice-company-title-zh")
    expect(page.locator("#e-question")).to_have_value(with_terms)

    log.record(without, "zh", "fallback")
    page.get_by_role("button", name="内容缺口", exact=True).click()
    refresh = page.get_by_role("button", name="刷新", exact=True)
    refresh.click()
    expect(refresh).to_be_enabled(timeout=WAIT)
    other = page.locator("#gaps-list li.gap", has_text=without).first
    expect(other.get_by_label("新条目的 ID")).to_have_value(re.compile(r"^other-gap-[0-9a-f]{6}-zh$"), timeout=WAIT)
    ctx.close()
    assert kb(editor, "DELETE", "/entries/payment-invoice-company-title-zh").status_code == 204
    log.dismiss([without])


def test_the_versions_list_pairs_a_publish_with_its_complete_learning(stack, settings, agents, browser, editor):
    """A publish of one edit shows as two versions: the one live at once and, about half a minute later, its full
    relearn in the background. The list showed v2 and v3 with nothing linking them, as if there had been two
    publishes; now v3 says it is the complete learning of v2 and v2 that it was relearned as v3, in both languages."""
    entry = {"id": "orders-versions-pair-en", "question": "Can I collect my parcel at the harbour kiosk?", "phrasings": ["parcel pickup at the harbour kiosk"],
             "answer": "Yes, with your order number. MARKER-KB7", "category": "orders", "language": "en", "tags": []}
    assert kb(editor, "POST", "/entries", json=entry).status_code == 201
    ctx, page = sign_in(browser, settings.hub_url, "erin", DESKTOP)
    expect(page.locator("#pending-summary")).to_have_text(re.compile(r"^\d+ changes? waiting to be published$"))  # loaded: Publish asks about them
    page.get_by_role("button", name="Publish", exact=True).click()
    page.get_by_role("dialog", name="Publish these changes?").get_by_role("button", name=re.compile(r"^Publish \d+ changes?$")).click()
    expect(page.locator("#publish-result")).to_contain_text("Published version", timeout=WAIT)
    published = int(re.search(r"version (\d+)", page.locator("#publish-result").inner_text()).group(1))
    deadline = time.monotonic() + 400  # the background relearn: about half a minute, more on a busy machine
    while True:
        versions = kb(editor, "GET", "/versions").json()["versions"]
        complete = next((v["version"] for v in versions if v.get("relearn_of") == published), None)
        if complete or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert complete, versions

    for locale, versions_tab, pair in (("en-US", "Versions", (f"complete learning of v{published}", f"relearned as v{complete}")),
                                       ("zh-CN", "版本", (f"v{published} 的完整学习", f"已完整学习为 v{complete}"))):
        if locale == "zh-CN":
            ctx.close()
            ctx, page = sign_in(browser, settings.hub_url, "erin", DESKTOP, locale=locale)
        page.get_by_role("button", name=versions_tab, exact=True).click()
        expect(page.locator(f"#versions-body tr[data-version='{complete}'] td").first).to_contain_text(pair[0], timeout=WAIT)
        expect(page.locator(f"#versions-body tr[data-version='{published}'] td").first).to_contain_text(pair[1])
        expect(page.locator(f"#versions-body tr[data-version='{published}']")).not_to_contain_text("learning…")
        page.screenshot(path=str(ARTIFACTS / f"kb-versions-pair-{locale}.png"))
    assert_accessible(page, "editor, versions with a relearn (desktop, zh)")
    ctx.close()


def test_every_tab_of_the_editor_is_on_screen_on_a_phone(stack, settings, agents, browser):
    """At 390 px the tab bar scrolled sideways behind a hidden scrollbar: "Import / Export" (「导入 / 导出」) was cut off
    and nothing said there was more. The tabs wrap now: every one lies inside the screen, in both languages."""
    for locale, io_tab in (("en-US", "Import / Export"), ("zh-CN", "导入 / 导出")):
        ctx, page = sign_in(browser, settings.hub_url, "erin", PHONE, locale=locale)
        expect(page.get_by_role("button", name=io_tab, exact=True)).to_be_visible()
        nav = page.locator("nav.tabs").bounding_box()
        tabs = page.locator("nav.tabs .tab")
        shown = [tabs.nth(i) for i in range(tabs.count()) if tabs.nth(i).is_visible()]
        assert len(shown) == 6, [t.inner_text() for t in shown]  # the phone's "Entries" and the five sections
        for tab in shown:
            box = tab.bounding_box()
            assert box["x"] >= nav["x"] and box["x"] + box["width"] <= min(nav["x"] + nav["width"], PHONE["width"]), (tab.inner_text(), box, nav)
        page.screenshot(path=str(ARTIFACTS / f"kb-tabs-phone-{locale}.png"))
        page.get_by_role("button", name=io_tab, exact=True).click()
        expect(page.get_by_role("button", name=io_tab, exact=True)).to_have_attribute("aria-current", "page")
        ctx.close()


def live_version(editor, seconds: float = 1200) -> int:
    """The live version once it is learned in full (a relearn left running by an earlier test ends first)."""
    deadline = time.monotonic() + seconds
    while True:
        body = kb(editor, "GET", "/versions").json()
        info = next(v for v in body["versions"] if v["version"] == body["live"])
        if info.get("learning") == "full" or time.monotonic() > deadline:
            return body["live"]
        time.sleep(2)


def test_a_rollback_says_what_it_changes_and_one_publish_offers_one_target(stack, settings, agents, browser, editor):
    """One publish made v2 (live at once) and v3 (its full relearn, the same entries): the first "Roll back" offered
    went to v2, the same content as live, and rolling back to it showed "learning…" again; the dialog only asked
    "Roll back to version 2?". Now the relearned overlay offers no rollback of its own (its complete version is the
    target), and the dialog says what would change, entry by entry kind, in both languages, and why a version published
    as a quick overlay would be learning again."""
    before = live_version(editor)
    published = {e["id"]: e for e in kb(editor, "GET", "/entries", params={"language": "en", "status": "published"}).json()}
    edited, deleted = sorted(published)[-1], sorted(published)[-2]
    added = {"id": "orders-rollback-kite-en", "question": "Can I fly a kite from the store roof terrace?", "phrasings": ["kite flying on the roof terrace"],
             "answer": "Yes, on calm days. MARKER-KB8", "category": "orders", "language": "en", "tags": []}
    change = {k: published[edited][k] for k in ("question", "phrasings", "category", "language", "tags")}
    ctx = None
    try:
        assert kb(editor, "POST", "/entries", json=added).status_code == 201
        assert kb(editor, "PUT", f"/entries/{edited}", json={**change, "answer": "Changed for a rollback test. MARKER-KB9"}).status_code == 200
        assert kb(editor, "DELETE", f"/entries/{deleted}").status_code == 204
        pending = kb(editor, "POST", "/publish").json()
        assert pending["learning"] == "pending", pending
        quick = pending["version"]
        deadline = time.monotonic() + 1200  # the background relearn: half a minute, minutes on a loaded box
        while (complete := next((v["version"] for v in kb(editor, "GET", "/versions").json()["versions"] if v.get("relearn_of") == quick), None)) is None:
            assert time.monotonic() < deadline, "the relearn never completed"
            time.sleep(2)

        # The server's account of a rollback, before it is done.
        assert kb(editor, "GET", f"/versions/{before}/rollback-changes").json() == {
            "version": before, "live": complete, "reverted": [edited], "removed": [added["id"]], "restored": [deleted], "learning": "full", "base": None}
        to_quick = kb(editor, "GET", f"/versions/{quick}/rollback-changes").json()  # the same entries as live, but an overlay
        assert (to_quick["reverted"], to_quick["removed"], to_quick["restored"], to_quick["learning"], to_quick["base"]) == ([], [], [], "pending", before)

        ctx, page = sign_in(browser, settings.hub_url, "erin", DESKTOP)
        page.get_by_role("button", name="Versions", exact=True).click()
        expect(page.locator(f"#versions-body tr[data-version='{quick}']")).to_contain_text(f"relearned as v{complete}")
        expect(page.get_by_role("button", name=f"Roll back v{quick}", exact=True)).to_have_count(0)  # the same entries as live
        page.get_by_role("button", name=f"Roll back v{before}", exact=True).click()
        dialog = page.get_by_role("dialog", name="Roll back?")
        expect(dialog).to_contain_text(f"1 entry goes back to its text in v{before}: {edited}.")
        expect(dialog).to_contain_text(f"1 entry not in v{before} will be removed: {added['id']}.")
        expect(dialog).to_contain_text(f"1 entry that is not live now comes back from v{before}: {deleted}.")
        expect(dialog).not_to_contain_text("learned again")
        page.screenshot(path=str(ARTIFACTS / "kb-rollback-dialog-en.png"))
        dialog.get_by_role("button", name="Roll back", exact=True).click()
        expect(page.locator("#publish-result")).to_have_text(f"Version {before} is live again.", timeout=WAIT)
        expect(page.locator(f"#versions-body tr[data-version='{before}']")).to_contain_text("Live")
        expect(page.locator("#versions-body")).not_to_contain_text("learning…")  # a complete version needs no learning
        assert kb(editor, "GET", f"/entries/{deleted}").status_code == 200
        expect(page.get_by_role("button", name=f"Roll back v{quick}", exact=True)).to_have_count(0)
        ctx.close()
        ctx = None

        # A quick publish replaced before its relearn: rolled back to, it would learn again, and the dialog says why.
        extra = {**added, "id": "orders-rollback-balloon-en", "question": "Do you sell helium balloons at the roof terrace?",
                 "phrasings": ["helium balloons on the terrace"], "answer": "Yes. MARKER-KB10"}
        assert kb(editor, "POST", "/entries", json=extra).status_code == 201
        stopped = kb(editor, "POST", "/publish").json()["version"]
        assert kb(editor, "POST", "/rollback", json={"version": before}).status_code == 200

        ctx, page = sign_in(browser, settings.hub_url, "erin", DESKTOP, locale="zh-CN")
        page.get_by_role("button", name="版本", exact=True).click()
        page.get_by_role("button", name=f"回滚 v{complete}", exact=True).click()
        dialog = page.get_by_role("dialog", name="确认回滚？")
        expect(dialog).to_contain_text(f"1 个条目将恢复为 v{complete} 中的内容：{edited}。")
        expect(dialog).to_contain_text(f"1 个 v{complete} 中没有的条目将被移除：{deleted}。")
        expect(dialog).to_contain_text(f"1 个现在不在线上的条目将从 v{complete} 恢复：{added['id']}。")
        page.screenshot(path=str(ARTIFACTS / "kb-rollback-dialog-zh.png"))
        dialog.get_by_role("button", name="取消", exact=True).click()
        expect(dialog).to_have_count(0)
        if next(v for v in kb(editor, "GET", "/versions").json()["versions"] if v["version"] == stopped)["learning"] == "stopped":  # the usual case
            page.get_by_role("button", name=f"回滚 v{stopped}", exact=True).click()
            expect(dialog).to_contain_text(f"1 个现在不在线上的条目将从 v{stopped} 恢复：{extra['id']}。")
            expect(dialog).to_contain_text(f"v{stopped} 是在 v{before} 之上的快速发布")
            expect(dialog).to_contain_text("学习中…")
            page.screenshot(path=str(ARTIFACTS / "kb-rollback-dialog-overlay-zh.png"))
            dialog.get_by_role("button", name="取消", exact=True).click()
        assert_accessible(page, "editor, versions after rollbacks (desktop, zh)")
    finally:
        if ctx is not None:
            ctx.close()
        if kb(editor, "GET", "/versions").json()["live"] != before:
            kb(editor, "POST", "/rollback", json={"version": before})
    assert kb(editor, "GET", f"/entries/{edited}").json()["answer"] == published[edited]["answer"]
