"""A version's ``learning`` once another version replaces it (kb.store.settle_learning) and when it is served again
(reopen_learning): a replaced version is never relearned, so it must not say "pending" for good."""

from __future__ import annotations

from kb.store import reopen_learning, settle_learning

PENDING = {"version": 5, "learning": "pending", "base": 3, "changed": ["a"]}


def test_a_rollback_stops_a_pending_version():
    assert settle_learning(PENDING, 4, {"version": 4, "learning": "full", "rolled_back_by": "erin"}) == {
        **PENDING, "learning": "stopped", "stopped_by": "rollback", "replaced_by": 4}


def test_a_publish_stops_it_and_its_relearn_completes_it():
    assert settle_learning(PENDING, 6, {"learning": "pending", "base": 3})["stopped_by"] == "publish"
    relearned = settle_learning(PENDING, 6, {"learning": "full", "relearn_of": 5})
    assert relearned["learning"] == "relearned" and relearned["relearned_as"] == 6 and "stopped_by" not in relearned


def test_a_complete_version_is_left_as_it_is():
    assert settle_learning({"version": 4, "learning": "full"}, 5, {"learning": "pending"}) is None


def test_served_again_it_is_pending_again():
    stopped = settle_learning(PENDING, 4, {"rolled_back_by": "erin"})
    assert reopen_learning(stopped) == PENDING
    assert reopen_learning(settle_learning(PENDING, 6, {"relearn_of": 5})) == PENDING
    assert reopen_learning({"version": 4, "learning": "full"}) == {"version": 4, "learning": "full"}
