"""The KB store's writes against a Valkey of its own (no stack): no save is lost, no revision number comes twice.

Saves, an import and a publish run from threads at once, the way the hub's thread pool and ``./cs kb import``
run them; what is checked is what an editor would see afterwards: the history and the working copy.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from core.redis import Keys
from kb.records import FaqEntry
from kb.store import KbStore, StaleEntry


@pytest.fixture
def store(valkey_url, request):
    """A fresh namespace per test on the module's Valkey."""
    return KbStore(redis.Redis.from_url(valkey_url, decode_responses=True), request.node.name[:60], Keys("kbtest"))


def entry(entry_id: str = "orders-where-en", **fields) -> FaqEntry:
    return FaqEntry(**{"id": entry_id, "question": "Where is my order?", "answer": "Under Account → Orders.", "language": "en", **fields})


def revisions(store: KbStore, entry_id: str) -> list[int]:
    return [e.revision for e in store.history(entry_id)]


def test_parallel_saves_to_one_entry_each_get_their_own_revision(store):
    store.save_many([entry()], "setup")
    answers = [f"Answer number {i}." for i in range(24)]
    start = threading.Barrier(len(answers))

    def save(answer: str) -> None:
        start.wait()
        store.save_many([entry(answer=answer)], "editor")

    with ThreadPoolExecutor(len(answers)) as pool:
        list(pool.map(save, answers))
    history = store.history("orders-where-en")
    assert [e.revision for e in history] == list(range(1, len(answers) + 2))  # unique, increasing, none skipped
    assert sorted(e.answer for e in history[1:]) == sorted(answers)  # every save is in the history
    assert store.get("orders-where-en").revision == len(answers) + 1 and store.get("orders-where-en").answer == history[-1].answer


def test_a_save_from_a_stale_revision_is_refused_and_changes_nothing(store):
    store.save_many([entry()], "setup")
    store.save_many([entry(answer="A's new answer.")], "alice", base_revisions={"orders-where-en": 1})
    with pytest.raises(StaleEntry) as refused:
        store.save_many([entry(tags=["b-tag"])], "bob", base_revisions={"orders-where-en": 1})
    assert refused.value.current.answer == "A's new answer." and refused.value.current.revision == 2
    assert "changed by alice" in refused.value.detail and "now at revision 2" in refused.value.detail
    assert store.get("orders-where-en").answer == "A's new answer." and revisions(store, "orders-where-en") == [1, 2]
    with pytest.raises(StaleEntry):  # a "new" entry that exists already
        store.save_many([entry()], "carol", base_revisions={"orders-where-en": 0})


def test_import_and_edits_at_once_never_repeat_a_revision(store):
    ids = [f"entry-{i}" for i in range(40)]
    store.save_many([entry(i) for i in ids], "setup")
    start = threading.Barrier(2)

    def imports() -> None:
        start.wait()
        for round_ in range(15):
            store.save_many([entry(i, answer=f"Imported {round_}.") for i in ids], "import")

    def edits() -> None:
        start.wait()
        for round_ in range(15):
            for i in ids[:5]:
                store.save_many([entry(i, answer=f"Edited {round_}.")], "editor")

    with ThreadPoolExecutor(2) as pool:
        for f in [pool.submit(imports), pool.submit(edits)]:
            f.result()
    for i in ids:
        revs = revisions(store, i)
        assert revs == list(range(1, len(revs) + 1)), (i, revs)
        assert store.get(i).revision == revs[-1]


def test_rollback_or_delete_never_brings_a_revision_number_back(store):
    store.save_many([entry()], "setup")
    store.promote()
    published_v1 = store.list_published()
    store.save_many([entry(answer="Second.")], "editor")
    store.promote()
    store.restore_published(published_v1)  # the working copy is revision 1 again
    assert store.get("orders-where-en").revision == 1
    store.save_many([entry(answer="Third.")], "editor", base_revisions={"orders-where-en": 1})
    store.delete("orders-where-en", "editor")
    store.save_many([entry(answer="Again.")], "editor", base_revisions={"orders-where-en": 0})
    history = store.history("orders-where-en")
    assert [(e.revision, e.answer) for e in history] == [(1, "Under Account → Orders."), (2, "Second."), (3, "Third."), (3, "(deleted)"), (4, "Again.")]


def test_a_save_during_publish_stays_a_draft(store):
    """promote() publishes what it read; an edit that lands meanwhile must not be marked published (nor lost)."""
    store.save_many([entry()], "setup")
    real_hgetall = store.r.hgetall

    def hgetall_then_edit(key):
        data = real_hgetall(key)
        if key == store._entries:  # the publish has read the drafts: an editor saves now
            store.r.hgetall = real_hgetall
            store.save_many([entry(answer="Saved during the publish.")], "editor")
        return data

    store.r.hgetall = hgetall_then_edit
    store.promote()
    assert store.list_published()[0].answer == "Under Account → Orders."
    working = store.get("orders-where-en")
    assert working.answer == "Saved during the publish." and working.status == "draft" and working.revision == 2
    assert store.pending_changes()["changed"] == ["orders-where-en"]
