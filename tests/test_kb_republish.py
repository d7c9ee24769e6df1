"""A publish that changes a few entries is live at once (the previous version plus an overlay, ``learning: "pending"``),
then completed in the background (``learning: "full"``); the action server follows through the hub either way."""

from __future__ import annotations

import json
import time

import pytest

from tests.clients import ask_until, kb

pytestmark = pytest.mark.usefixtures("manual_assignment")





def live_info(editor) -> dict:
    body = kb(editor, "GET", "/versions").json()
    return next(v for v in body["versions"] if v["version"] == body["live"])


def wait_until_complete(editor, seconds: float = 400) -> dict:
    """The live version once the background relearn has replaced the pending one."""
    deadline = time.monotonic() + seconds
    while True:
        info = live_info(editor)
        if info.get("learning") == "full" or time.monotonic() > deadline:
            return info
        time.sleep(2)


def hit_ids(reply: dict) -> list[str]:
    return [h["id"] for h in reply.get("meta", {}).get("hits", [])]


def entry(entry_id: str, question: str, phrasings: list[str], answer: str) -> dict:
    return {"id": entry_id, "question": question, "phrasings": phrasings, "answer": answer, "category": "orders", "language": "en"}


KIOSK = entry("orders-kiosk-gift-cards-en", "Can I buy gift cards at the Harbor Market airport kiosk?",
              ["gift cards sold at the airport kiosk", "does the airport kiosk have gift cards"], "Yes, every airport kiosk sells gift cards. MARKER-K1")
KIOSK_EDITED = entry(KIOSK["id"], "Do you repair vintage typewriters at the pop-up store?",
                     ["typewriter repair in the pop up shop", "can you fix my old typewriter"], "Our pop-up stores repair typewriters on Saturdays. MARKER-K2")
LOCKER = entry("orders-locker-umbrellas-en", "Can I borrow an umbrella from the parcel locker?",
               ["umbrella lending at the parcel locker", "do lockers lend umbrellas"], "Each parcel locker lends umbrellas for a day. MARKER-L1")
TANDEM = entry("orders-tandem-bikes-en", "Do you rent tandem bicycles at the lakeside pop-up?",
               ["tandem bike hire by the lake", "can we hire a bicycle for two at the lakeside store"], "Tandems are for hire at the lakeside pop-up. MARKER-T1")


def test_edit_delete_and_add_are_live_at_once_then_relearned_in_full(editor, customer_factory):
    for e in (KIOSK, LOCKER):
        assert kb(editor, "POST", "/entries", json=e).status_code == 201
    kb(editor, "POST", "/publish")
    assert "MARKER-K1" in ask_until(customer_factory, KIOSK["question"], lambda r: "MARKER-K1" in r["text"])["text"]
    assert "MARKER-L1" in ask_until(customer_factory, "do parcel lockers lend out umbrellas?", lambda r: "MARKER-L1" in r["text"])["text"]

    # One edit (every wording and the answer replaced), one deletion, one new entry: served over the previous version.
    assert kb(editor, "PUT", f"/entries/{KIOSK['id']}", json={k: v for k, v in KIOSK_EDITED.items() if k != "id"}).status_code == 200
    assert kb(editor, "DELETE", f"/entries/{LOCKER['id']}").status_code == 204
    assert kb(editor, "POST", "/entries", json=TANDEM).status_code == 201
    info = kb(editor, "POST", "/publish").json()
    assert info["learning"] == "pending" and set(info["changed"]) >= {KIOSK["id"], LOCKER["id"], TANDEM["id"]}
    assert info["embedded_texts"] <= 6  # only the new wordings
    assert live_info(editor)["learning"] in ("pending", "full")  # "full" once a quick relearn already replaced it

    def check_served() -> None:
        edited = ask_until(customer_factory, "could you fix my old typewriter?", lambda r: "MARKER-K2" in r["text"])
        assert "MARKER-K2" in edited["text"]
        old = ask_until(customer_factory, KIOSK["question"], lambda r: KIOSK["id"] not in hit_ids(r))
        assert KIOSK["id"] not in hit_ids(old) and "MARKER" not in old["text"]  # the old wording no longer finds the entry
        gone = ask_until(customer_factory, "do parcel lockers lend out umbrellas?", lambda r: LOCKER["id"] not in hit_ids(r))
        assert LOCKER["id"] not in hit_ids(gone) and "MARKER-L1" not in gone["text"]
        added = ask_until(customer_factory, "can we hire a bicycle for two by the lake?", lambda r: "MARKER-T1" in r["text"])
        assert "MARKER-T1" in added["text"]

    check_served()
    for _ in range(60):  # the relearn may finish between the try and the list (a busy box: seen for 3 tries running): ask again
        tried = kb(editor, "POST", "/try", json={"question": "could you fix my old typewriter?", "target": "published"}).json()
        served = next(v for v in kb(editor, "GET", "/versions").json()["versions"] if v["version"] == tried["version"])
        if tried["learning"] == served["learning"]:
            break
        time.sleep(0.5)
    # On a quiet box the relearn may already have replaced the pending version: then it is its complete version.
    assert tried["version"] == info["version"] or served.get("relearn_of") == info["version"]
    assert tried["learning"] == served["learning"] and tried["gate"] == served["gates"]["en"]  # the gate stored with the version that served it

    # The background relearn publishes a complete version of the same entries; the bot answers the same.
    complete = wait_until_complete(editor)
    assert complete["learning"] == "full" and complete["relearn_of"] == info["version"]
    assert complete["entries"] == info["entries"] and complete["texts"] == info["texts"]
    check_served()
    tried = kb(editor, "POST", "/try", json={"question": "could you fix my old typewriter?", "target": "published"}).json()
    assert tried["version"] == complete["version"] and tried["learning"] == "full" and tried["gate"] == complete["gates"]["en"]

    for e in (KIOSK, TANDEM):
        kb(editor, "DELETE", f"/entries/{e['id']}")
    kb(editor, "POST", "/publish")
    wait_until_complete(editor)  # later test files expect a complete version


def wait_until_relearned(editor, pending: int, seconds: float = 1200) -> dict:
    """The live version once it is the complete relearn of ``pending``. Generous: a relearn took over 6 minutes on a
    loaded two-core box (the deadline only stops a hung run; nothing here asserts speed)."""
    deadline = time.monotonic() + seconds
    while True:
        info = live_info(editor)
        if info.get("relearn_of") == pending or time.monotonic() > deadline:
            return info
        time.sleep(2)


# Wordings of its own: an entry left published by a failed earlier test (TANDEM has the same meaning) would tie with it.
QUICK = entry("orders-kayak-quick-en", "Can I borrow a kayak at the riverside kiosk?",
              ["kayak lending at the river kiosk", "does the riverside kiosk lend kayaks"], "Kayaks at the riverside kiosk. MARKER-Q1")


def test_two_quick_publishes_end_with_the_last_ones_content(editor, customer_factory):
    """The first publish's relearn is still running (or just done) when the second publish replaces it: whatever the
    order, the version that ends up live is the complete relearn of the second one, and it serves the second's answer."""
    question = "could I borrow a kayak from the kiosk by the river?"
    assert kb(editor, "POST", "/entries", json=QUICK).status_code == 201
    try:
        one = kb(editor, "POST", "/publish").json()
        changed = kb(editor, "PUT", f"/entries/{QUICK['id']}", json={**{k: v for k, v in QUICK.items() if k != "id"}, "answer": "Kayaks, now also at the harbour. MARKER-Q2"})
        assert changed.status_code == 200
        two = kb(editor, "POST", "/publish").json()  # while the first one's relearn runs (or right after it)
        assert two["version"] > one["version"] and two["learning"] == "pending"

        complete = wait_until_relearned(editor, two["version"])
        assert complete["learning"] == "full" and complete["relearn_of"] == two["version"], complete
        versions = {v["version"]: v for v in kb(editor, "GET", "/versions").json()["versions"]}
        # The first one never went back live: stopped by the second publish, or relearned first and then replaced.
        assert versions[one["version"]]["learning"] in ("stopped", "relearned"), versions[one["version"]]
        assert [v for v, i in versions.items() if i["learning"] == "pending"] == []

        # What the customer and the editor see: the second answer (answered, or that entry offered first), never the first.
        reply = ask_until(customer_factory, question, lambda r: hit_ids(r)[:1] == [QUICK["id"]] or "MARKER-Q2" in r["text"], seconds=60)
        assert "MARKER-Q1" not in reply["text"] and ("MARKER-Q2" in reply["text"] or hit_ids(reply)[0] == QUICK["id"]), reply
        tried = kb(editor, "POST", "/try", json={"question": question, "target": "published"}).json()
        assert tried["version"] == complete["version"] and tried["learning"] == "full"
        assert tried["hits"][0]["id"] == QUICK["id"] and "MARKER-Q2" in tried["hits"][0]["answer"] and "MARKER-Q1" not in json.dumps(tried)
    finally:
        kb(editor, "DELETE", f"/entries/{QUICK['id']}")
        kb(editor, "POST", "/publish")
        wait_until_complete(editor)  # later test files expect a complete version


def library_store(settings, name: str):
    """A KB of its own (not the starter one) holding the training tests' small library, drafts not yet published:
    the store, the embedding models and the entries."""
    from core.redis import sync_client
    from kb.embeddings import EmbedderSet
    from kb.records import FaqEntry
    from kb.store import KbStore
    from tests.test_kb_training import LIBRARY

    store = KbStore(sync_client(settings), name)
    store.clear()
    entries = [FaqEntry(id=f"library-{key}-{lang}", question=q, phrasings=p, answer=f"({lang}) about {key}", language=lang)
               for lang, rows in LIBRARY.items() for key, q, p in rows]
    store.save_many(entries, "test")
    return store, EmbedderSet.from_settings(settings), entries


def test_editing_only_an_answer_changes_what_is_said_not_how_questions_match(stack, settings):
    """The overlay scores its rows with the base's statistics and classifier: re-publishing an entry whose wordings
    did not change ranks every question exactly as the previous version did."""
    from kb.publishing import publish
    from kb.search import Searcher
    from tests.test_kb_training import IN_SCOPE, OFF_TOPIC_QUESTIONS

    store, embedders, entries = library_store(settings, "test-republish")
    publish(store, embedders, "test", root=settings.kb_dir, settings=settings)
    questions = [(q, lang) for lang, rows in IN_SCOPE.items() for q, _ in rows]
    questions += [(q, lang) for lang, rows in OFF_TOPIC_QUESTIONS.items() for q in rows]
    questions += [(e.phrasings[0], e.language) for e in entries]

    def ranked(searcher: Searcher) -> list[tuple]:
        out = []
        for q, lang in questions:
            r = searcher.search(q, lang)
            out.append((q, r.decision, [(h.id, round(h.score, 3), h.exact) for h in r.hits]))
        return out

    before = ranked(Searcher(store, embedders, settings, root=settings.kb_dir))
    store.save_many([entries[0].model_copy(update={"answer": "New answer: open until 22:00. MARKER-A9"})], "test")
    info = publish(store, embedders, "test", root=settings.kb_dir, fast=True, settings=settings)
    assert info["learning"] == "pending" and info["changed"] == [entries[0].id] and info["embedded_texts"] == 0

    after = Searcher(store, embedders, settings, root=settings.kb_dir)
    assert after.current().version == info["version"]
    assert ranked(after) == before
    assert "MARKER-A9" in after.search(entries[0].question, "en").top.answer
    store.clear()


def test_a_version_replaced_while_learning_says_how_it_ended_not_learning_for_good(stack, settings):
    """Only the live version is ever relearned: one replaced while pending settles as "stopped" (by a rollback or a
    publish) or "relearned" (its complete version came first); rolled back to, it is pending again."""
    from kb.publishing import publish, rollback
    from kb.relearning import relearn

    store, embedders, entries = library_store(settings, "test-settle")

    def quick(answer: str) -> int:
        store.save_many([entries[0].model_copy(update={"answer": answer})], "test")
        info = publish(store, embedders, "test", root=settings.kb_dir, fast=True, settings=settings)
        assert info["learning"] == "pending"
        return info["version"]

    full = publish(store, embedders, "test", root=settings.kb_dir, settings=settings)["version"]
    pending = quick("Open until 22:00.")
    rollback(store, full, "erin", root=settings.kb_dir)
    settled = store.version_info(pending)
    assert (settled["learning"], settled["stopped_by"], settled["replaced_by"]) == ("stopped", "rollback", full)
    assert relearn(store, embedders, pending, settings, settings.kb_dir) is None  # a queued relearn of it does nothing

    again = rollback(store, pending, "erin", root=settings.kb_dir)  # served again: its relearn is due again
    assert again["learning"] == "pending" and "stopped_by" not in again and store.version_info(pending)["learning"] == "pending"
    complete = relearn(store, embedders, pending, settings, settings.kb_dir)
    assert complete["relearn_of"] == pending and store.published_version() == complete["version"]
    assert store.version_info(pending)["learning"] == "relearned" and store.version_info(pending)["relearned_as"] == complete["version"]

    first, second = quick("Open until 23:00."), quick("Open until midnight.")
    assert store.version_info(first)["learning"] == "stopped" and store.version_info(first)["stopped_by"] == "publish"
    assert store.version_info(first)["replaced_by"] == second and store.version_info(second)["learning"] == "pending"
    assert [v["version"] for v in store.versions() if v["learning"] == "pending"] == [second]  # only the live one learns
    store.clear()


def test_rolling_back_from_a_version_still_learning_leaves_nothing_learning_through_the_hub(editor):
    # From a complete version: one an earlier test left learning would be learning again once rolled back to.
    before = wait_until_complete(editor)["version"]
    added = {**TANDEM, "id": "orders-tandem-rolled-back-en", "answer": "Tandems by the lake. MARKER-R1"}
    assert kb(editor, "POST", "/entries", json=added).status_code == 201
    pending = kb(editor, "POST", "/publish").json()
    assert pending["learning"] == "pending"
    assert kb(editor, "POST", "/rollback", json={"version": before}).status_code == 200

    body = kb(editor, "GET", "/versions").json()
    versions = {v["version"]: v for v in body["versions"]}
    left = versions[pending["version"]]
    assert body["live"] == before and left["learning"] != "pending", left
    if left["learning"] == "stopped":  # rolled back before its relearn ended (the usual case)
        assert left["stopped_by"] == "rollback" and left["replaced_by"] == before
    else:  # a quick relearn replaced it first
        assert left["learning"] == "relearned" and versions[left["relearned_as"]]["relearn_of"] == pending["version"]
    assert [v["version"] for v in body["versions"] if v["learning"] == "pending"] == []

    # Rolled back to, it is learning again, and its relearn completes it.
    assert kb(editor, "POST", "/rollback", json={"version": pending["version"]}).json()["learning"] == "pending"
    complete = wait_until_complete(editor)
    assert complete["learning"] == "full" and complete["relearn_of"] == pending["version"]
    kb(editor, "POST", "/rollback", json={"version": before})  # the added entry is gone again; later tests expect a complete version
    assert live_info(editor)["learning"] == "full"
