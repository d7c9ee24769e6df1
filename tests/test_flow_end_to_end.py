"""The whole flow through the real stack: bot answers, escalates, an agent takes over, resolves, the customer rates."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from websockets.sync.client import connect

from core.action_call import action_call

# Chats wait in the queue for an agent to claim them (the desk's push assignment is tested in test_service_desk.py).
pytestmark = pytest.mark.usefixtures("manual_assignment")


def bot_texts(result: dict) -> list[str]:
    return [m["text"] for m in result["replies"] if m["sender"] == "bot"]


def test_faq_answered_in_english(customer_factory):
    c = customer_factory("en")
    result = c.say("How much does shipping cost? Is there free delivery?")
    answer = result["replies"][0]
    assert answer["sender"] == "bot"
    assert answer["meta"]["decision"] == "answer"
    assert answer["meta"]["hits"][0]["id"].startswith("shipping-") and answer["meta"]["hits"][0]["id"].endswith("-en")
    assert "¥99" in answer["text"]
    assert result["conversation"]["status"] == "bot"


def test_faq_answered_in_chinese(customer_factory):
    c = customer_factory("zh")
    result = c.say("运费怎么算？满多少包邮")
    answer = result["replies"][0]
    assert answer["meta"]["decision"] == "answer", answer["meta"]
    assert answer["meta"]["hits"][0]["id"].endswith("-zh")
    assert "99" in answer["text"] and any("\u4e00" <= ch <= "\u9fff" for ch in answer["text"])


def test_the_action_server_embeds_a_message_ahead_of_its_turn(settings, stack):
    """What the hub sends beside each Rasa turn (bot/query_prefetch.py): taken, and harmless for what is not searched."""
    for text, language in (("运费怎么算", "zh"), ("how much is shipping", "en"), ("", "en"), ('/faq{"faq_id":"x"}', "en"), ("hello", "fr")):
        body = action_call("action_prefetch_query", "prefetch-test", {"text": text, "metadata": {"language": language}})
        resp = httpx.post(settings.action_url, json=body, timeout=60)
        assert resp.status_code == 200, resp.text
        assert resp.json()["events"] == []  # nothing said, nothing changed: not a dialogue step


def test_small_talk_in_both_languages(customer_factory):
    en = customer_factory("en")
    assert any("hi" in t.lower() or "hello" in t.lower() for t in bot_texts(en.say("hello there")))
    assert bot_texts(en.say("thank you so much"))
    zh = customer_factory("zh")
    greeting = bot_texts(zh.say("你好"))
    assert greeting and any("\u4e00" <= ch <= "\u9fff" for ch in greeting[0])
    bye = bot_texts(zh.say("再见"))
    assert bye and any("\u4e00" <= ch <= "\u9fff" for ch in bye[0])


def test_the_bot_follows_a_customer_who_switches_language_mid_chat(customer_factory):
    """The language slot is set only when the language changes (bot/language_slot.py): each switch still shows."""
    c = customer_factory("en")

    def has_han(text: str) -> bool:
        return any("\u4e00" <= ch <= "\u9fff" for ch in text)

    first = [m for m in c.say("hello")["replies"] if m["sender"] == "bot"]
    assert first and not has_han(first[0]["text"]) and first[0]["meta"]["intent"] == "greet"
    switched = [m for m in c.say("你好")["replies"] if m["sender"] == "bot"]
    assert switched and has_han(switched[0]["text"]) and switched[0]["meta"]["intent"] == "greet"
    back = [m for m in c.say("thank you so much")["replies"] if m["sender"] == "bot"]
    assert back and not has_han(back[0]["text"]) and back[0]["meta"]["intent"] == "thanks"


def test_a_web_chat_tells_rasa_its_language_when_it_starts_and_the_first_reply_speaks_it(customer_factory, settings):
    """The language slot is set when the chat starts (bot/language_slot.py ``prepare``), not on the first reply's time."""
    token = {"token": settings.secret("rasa-token")}
    for language, greeting in (("zh", "你好"), ("en", "hello")):
        c = customer_factory(language)
        tracker = httpx.get(f"{settings.rasa_url}/conversations/{c.id}/tracker", params=token, timeout=30).json()
        assert tracker["slots"].get("language") == language  # before the customer has written anything
        reply = [m for m in c.say(greeting)["replies"] if m["sender"] == "bot"]
        assert reply and any("\u4e00" <= ch <= "\u9fff" for ch in reply[0]["text"]) == (language == "zh")


def test_asking_for_a_human_queues_with_position(customer_factory, agent_factory):
    agent_factory("alice").post("/presence", {"presence": "online"})  # someone is at work, picking chats from the queue
    c = customer_factory("zh")
    result = c.say("转人工")
    assert result["conversation"]["status"] == "queued"
    assert result["queue"]["position"] >= 1
    system = [m for m in result["replies"] if m["sender"] == "system"]
    assert system and system[-1]["meta"]["kind"] == "queued"
    en = customer_factory("en")
    assert en.say("I want to talk to a person")["conversation"]["status"] == "queued"


def test_complaint_escalates_with_category(customer_factory, agent_factory):
    c = customer_factory("en")
    result = c.say("This is unacceptable, my parcel is two weeks late and nobody helps. I want to file a complaint!")
    assert result["conversation"]["status"] == "queued"
    detail = agent_factory("bob").get(f"/conversations/{c.id}").json()
    assert detail["packet"]["reason"] == "complaint"
    assert detail["packet"]["category"] == "logistics"
    assert detail["conversation"]["priority"] == 1


@pytest.mark.parametrize(("language", "text"), [
    ("zh", "快递员把包裹扔在门口被人拿走了，太过分了，我要投诉"),
    ("zh", "申请退款两个星期了还没到账，我要投诉你们"),
    ("zh", "衣服洗了一次就掉色，我想投诉"),
    ("zh", "运费多收了我十块钱，我要投诉"),
    ("en", "The courier left my parcel outside and it was stolen. I want to complain."),
    ("en", "You charged me twice for one order. I want to file a complaint."),
    ("en", "The jacket lost its colour after one wash, I'd like to make a complaint"),
])
def test_a_customer_who_says_they_want_to_complain_is_handed_over_as_a_complaint(customer_factory, agent_factory, language, text):
    """"…，我要投诉" ends a complaint, whatever it is about: the NLU read some of them as questions (their words are
    the knowledge base's: refunds, shipping fees, colours) and the bot answered a customer who had just said they want
    to complain with an FAQ entry; the dashboard then counted no complaint."""
    c = customer_factory(language)
    result = c.say(text)
    assert result["conversation"]["status"] in ("queued", "assigned"), result["replies"]
    detail = agent_factory("bob").get(f"/conversations/{c.id}").json()
    assert detail["packet"]["reason"] == "complaint"


def test_full_handoff_flow(customer_factory, agent_factory, settings):
    c = customer_factory("en")
    # The bot answers a real question first: that turn must reach the agent too.
    first = c.say("Can I pay with Alipay or WeChat?")
    assert first["replies"][0]["meta"]["decision"] == "answer"
    # Two questions the knowledge base cannot answer: the second miss escalates.
    miss1 = c.say("Who will win the football world cup this year?")
    assert miss1["conversation"]["status"] == "bot"
    miss2 = c.say("Do you sell tickets for the opera in Vienna next spring?")
    assert miss2["conversation"]["status"] == "queued", miss2
    assert miss2["queue"]["position"] >= 1

    alice = agent_factory("alice")
    queue = alice.get("/queue").json()
    item = next(i for i in queue if i["conversation"]["id"] == c.id)
    assert item["packet"]["reason"] == "low_confidence"
    assert item["waiting_seconds"] >= 0

    claimed = alice.post(f"/conversations/{c.id}/claim")
    assert claimed.status_code == 200, claimed.text
    detail = claimed.json()
    senders = [m["sender"] for m in detail["messages"]]
    texts = [m["text"] for m in detail["messages"]]
    assert "Can I pay with Alipay or WeChat?" in texts and "Do you sell tickets for the opera in Vienna next spring?" in texts
    assert senders.count("bot") >= 2 and "system" in senders
    bot_turn = next(m for m in detail["messages"] if m["sender"] == "bot")
    assert bot_turn["meta"]["intent"] and bot_turn["meta"]["hits"]
    packet = detail["packet"]
    assert packet["reason"] == "low_confidence" and packet["language"] == "en"
    assert packet["tried"] and all({"id", "question", "score"} <= set(t) for t in packet["tried"])
    assert "opera" in packet["summary"] or "opera" in packet["last_customer_message"]

    ws_url = settings.hub_url.replace("http", "ws") + f"/api/conversations/{c.id}/ws?token={c.token}&after={detail['messages'][-1]['id']}"
    with connect(ws_url) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "status"
        reply = alice.post(f"/conversations/{c.id}/messages", {"text": "Hi, I'm Alice. Let me look into that for you."})
        assert reply.status_code == 200
        pushed = json.loads(ws.recv(timeout=10))
        assert pushed["type"] == "message" and pushed["message"]["sender"] == "agent"
        assert pushed["message"]["text"] == "Hi, I'm Alice. Let me look into that for you."
        assert pushed["message"]["author"] == "Alice"

        # While a human owns the chat the bot stays silent, even for a question it knows.
        during = c.say("hello? how long does delivery take?")
        assert during["replies"] == []
        assert during["conversation"]["status"] == "assigned"
        echoed = json.loads(ws.recv(timeout=10))
        assert echoed["message"]["sender"] == "customer"

    resolved = alice.post(f"/conversations/{c.id}/resolve")
    assert resolved.status_code == 200
    assert resolved.json()["conversation"]["status"] == "resolved"
    last = c.transcript()[-1]
    assert last["sender"] == "system" and last["meta"]["kind"] == "rating_request"

    rated = c.hub.post(f"/api/conversations/{c.id}/rating", json={"score": 5, "comment": "quick and kind"}, headers=c.headers)
    assert rated.status_code == 200
    assert rated.json()["conversation"]["rating"] == 5
    assert c.status()["conversation"]["rating"] == 5

    # The whole transcript is there, in order, bot turns included.
    final = c.transcript()
    customer_said = [m["text"] for m in final if m["sender"] == "customer"]
    assert customer_said == [
        "Can I pay with Alipay or WeChat?",
        "Who will win the football world cup this year?",
        "Do you sell tickets for the opera in Vienna next spring?",
        "hello? how long does delivery take?",
    ]
    assert [m["id"] for m in final] == sorted((m["id"] for m in final), key=lambda i: tuple(map(int, i.split("-"))))


def test_hand_back_to_bot(customer_factory, agent_factory):
    c = customer_factory("en")
    c.say("agent please")
    bob = agent_factory("bob")
    assert bob.post(f"/conversations/{c.id}/claim").status_code == 200
    back = bob.post(f"/conversations/{c.id}/handback")
    assert back.status_code == 200 and back.json()["conversation"]["status"] == "bot"
    again = c.say("How do I reset my password?")
    assert again["replies"] and again["replies"][0]["sender"] == "bot"
    assert again["conversation"]["status"] == "bot"


def test_agent_cannot_act_on_a_chat_it_does_not_own(customer_factory, agent_factory):
    c = customer_factory("en")
    c.say("human please")
    alice, bob = agent_factory("alice"), agent_factory("bob")
    assert alice.post(f"/conversations/{c.id}/claim").status_code == 200
    assert bob.post(f"/conversations/{c.id}/messages", {"text": "hi"}).status_code == 403
    assert bob.post(f"/conversations/{c.id}/resolve").status_code == 403
    moved = alice.post(f"/conversations/{c.id}/transfer", {"to": "bob"})
    assert moved.status_code == 200 and moved.json()["conversation"]["agent"] == "bob"
    assert bob.post(f"/conversations/{c.id}/messages", {"text": "Bob here"}).status_code == 200


def test_queue_position_updates_live_when_the_queue_moves(customer_factory, agent_factory, settings):
    first, second = customer_factory("en"), customer_factory("en")
    first.say("I want to talk to a person")
    before = second.say("I want to talk to a person")["queue"]["position"]
    ws_url = settings.hub_url.replace("http", "ws") + f"/api/conversations/{second.id}/ws?token={second.token}"
    with connect(ws_url) as ws:
        frames = []
        # drain the replayed history and the initial status
        while True:
            frame = json.loads(ws.recv(timeout=10))
            if frame["type"] == "status":
                break
        assert frame["queue"]["position"] == before
        assert agent_factory("alice").post(f"/conversations/{first.id}/claim").status_code == 200
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            frame = json.loads(ws.recv(timeout=10))
            frames.append(frame)
            if frame["type"] == "status":
                break
        assert frame["type"] == "status" and frame["queue"]["position"] == before - 1, frames


def test_typing_notices_reach_the_other_side_and_are_not_stored(customer_factory, agent_factory, settings):
    c = customer_factory("en")
    c.say("agent please")
    alice = agent_factory("alice")
    assert alice.post(f"/conversations/{c.id}/claim").status_code == 200
    base = settings.hub_url.replace("http", "ws")
    with connect(f"{base}/api/agent/ws?token={alice.token}") as agent_ws, connect(f"{base}/api/conversations/{c.id}/ws?token={c.token}") as customer_ws:
        while json.loads(customer_ws.recv(timeout=10))["type"] != "status":
            pass  # replayed history, then the current status
        time.sleep(0.3)  # both subscriptions are live
        customer_ws.send(json.dumps({"type": "typing", "active": True}))
        seen = json.loads(agent_ws.recv(timeout=10))
        while seen["type"] != "typing":
            seen = json.loads(agent_ws.recv(timeout=10))
        assert seen == {"type": "typing", "sender": "customer", "active": True, "conversation_id": c.id}
        agent_ws.send(json.dumps({"type": "typing", "conversation_id": c.id, "active": True}))
        got = json.loads(customer_ws.recv(timeout=10))
        while got["type"] != "typing":
            got = json.loads(customer_ws.recv(timeout=10))
        assert got["sender"] == "agent" and got["author"] == "Alice"
    assert all(m["sender"] != "typing" and "typing" not in m["meta"].get("kind", "") for m in c.transcript())
