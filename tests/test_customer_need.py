"""The one-line need in the agents' lists, and the way to a person at the end of every set of choices (pure functions, no servers)."""

from __future__ import annotations

from bot.feedback import answered_entry, with_person_choice
from handoff.models import HUMAN_PAYLOAD, HandoffPacket, Message
from handoff.summary import customer_need


def msg(i: int, sender: str, text: str, **meta) -> Message:
    return Message(id=f"{1000 + i}-0", conversation_id="c", sender=sender, text=text, ts=float(i), meta=meta)


def test_the_need_is_the_last_substantive_message_not_the_request_for_a_person():
    messages = [
        msg(1, "customer", "hi"), msg(2, "bot", "Hello!", intent="greet"),
        msg(3, "customer", "my parcel 12345 is three days late"), msg(4, "bot", "Delivery takes…", intent="faq"),
        msg(5, "customer", "转人工"), msg(6, "bot", "Connecting you…", intent="request_human"),
        msg(7, "customer", "None of these, talk to a person", payload=HUMAN_PAYLOAD),
    ]
    assert customer_need(messages) == "my parcel 12345 is three days late"


def test_what_the_customer_writes_while_waiting_is_the_newest_need():
    messages = [msg(1, "customer", "I want to talk to a person"), msg(2, "bot", "Connecting…", intent="request_human"),
                msg(3, "customer", "  the zip on my jacket broke  ")]
    assert customer_need(messages) == "the zip on my jacket broke"


def test_without_a_substantive_message_the_packet_summary_is_the_need():
    packet = HandoffPacket(reason="customer_request", summary="asked about invoices")
    assert customer_need([msg(1, "customer", "转人工")], packet) == "asked about invoices"


def test_every_set_of_choices_ends_with_a_person_once():
    choices = with_person_choice([{"title": "How much is shipping?", "payload": '/faq{"faq_id":"x"}'}], "zh")
    assert choices[-1] == {"title": "都不是，转人工", "payload": HUMAN_PAYLOAD}
    assert with_person_choice(choices, "zh") == choices


def test_the_answered_entry_of_a_bot_answer():
    assert answered_entry({"entry_id": "a", "hits": [{"id": "b"}]}) == "a"
    assert answered_entry({"chosen": "c"}) == "c"
    assert answered_entry({"decision": "answer", "hits": [{"id": "d"}]}) == "d"
    assert answered_entry({"decision": "suggest", "hits": [{"id": "d"}]}) == ""
