"""A customer's typed text is words, never a command to Rasa; only a button the bot offered in the chat sends one.

Rasa reads a message that starts with ``/`` as ``/intent{entities}`` and skips its NLU. Typed by a
customer, ``/restart`` used to silence the bot (and hand the chat to a person as "bot unavailable"),
and ``/faq{"faq_id": ...}``, typed or sent as a forged button payload, picked any entry in any language.
"""

from __future__ import annotations

import json

from bot.feedback import answered_entry
from tests.clients import Customer

ZH_ENTRY = "shipping-shipping-fee-zh"


def bot_replies(result: dict) -> list[dict]:
    return [m for m in result["replies"] if m["sender"] == "bot"]


def answered_with(result: dict, entry_id: str) -> bool:
    return any(answered_entry(m["meta"]) == entry_id for m in bot_replies(result))


def test_typed_slash_commands_are_read_as_words(customer_factory):
    typed_faq = f'/faq{{"faq_id":"{ZH_ENTRY}"}}'
    for text in ("/restart", "  /session_start", "/greet", "/", typed_faq):
        c: Customer = customer_factory("en")
        result = c.say(text)
        kinds = [m["meta"].get("kind") for m in result["replies"] if m["sender"] == "system"]
        assert "bot_unavailable" not in kinds and bot_replies(result), (text, result["replies"])
        assert result["conversation"]["status"] == "bot" and not answered_with(result, ZH_ENTRY), (text, result["replies"])
        assert [m["text"] for m in c.transcript() if m["sender"] == "customer"] == [text]  # stored as the customer typed it


def test_only_a_button_the_bot_offered_sends_its_payload(customer_factory, hub):
    c: Customer = customer_factory("en")
    forged = c.say("hello", payload=f'/faq{{"faq_id":"{ZH_ENTRY}"}}')
    assert not answered_with(forged, ZH_ENTRY), forged["replies"]
    restart = c.say("hi", payload="/restart")
    assert bot_replies(restart) and "bot_unavailable" not in json.dumps(restart["replies"])

    # "Not helpful" makes the bot offer other entries as buttons: pressing one answers with that very entry.
    answer = bot_replies(c.say("how much is shipping"))[0]
    assert answer["meta"]["decision"] == "answer", answer["meta"]
    voted = hub.post(f"/api/conversations/{c.id}/feedback", json={"message_id": answer["id"], "helpful": False}, headers=c.headers)
    assert voted.status_code == 204, voted.text
    offer = [m for m in c.transcript() if m["sender"] == "bot" and m["meta"].get("buttons")][-1]
    button = next(b for b in offer["meta"]["buttons"] if b["payload"].startswith("/faq"))
    entry = json.loads(button["payload"][len("/faq"):])["faq_id"]
    picked = c.say(button["title"], payload=button["payload"])
    assert answered_with(picked, entry), picked["replies"]
