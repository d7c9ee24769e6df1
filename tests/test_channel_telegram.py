"""A customer on Telegram, through the real stack (Rasa, actions, Valkey, hub) and a local stand-in of the Bot API.

They ask an FAQ question in Chinese, tap one of the bot's suggestions (an inline
keyboard button, its spinner answered), ask for a person, see their place in
the queue, get the agent's reply from the console, and rate with a button.
Updates arrive by webhook (checked against the secret given to setWebhook) and
by long polling; a retried update is stored once; the bot token never reaches a log.
"""

from __future__ import annotations

import json
import random
import secrets
import time

import pytest
from websockets.sync.client import connect

from core.redis import Keys, sync_client
from tests.channel_clients import TelegramUser
from tests.channel_fixtures import TELEGRAM_TOKEN, channel_hub
from tests.clients import AgentClient, sign_off


def conversation_of(settings, channel: str, address: str) -> str:
    cid = sync_client(settings).get(Keys(settings.key_prefix).channel_conversation(channel, str(address)))
    assert cid, "no conversation for this chat"
    return cid


@pytest.mark.usefixtures("manual_assignment")  # the agent claims the chat from the queue
def test_a_telegram_customer_gets_answers_choices_a_person_and_rates(settings, hub, agents, channels_hub, telegram_api, telegram_secret):
    user = TelegramUser(channels_hub, telegram_secret)
    user.say("运费怎么算？")
    answer = telegram_api.wait_for(lambda: telegram_api.messages_to(user.user_id))[0]
    assert "包邮" in answer["text"] and "**" not in answer["text"]  # the FAQ answer, markdown made plain
    votes = [row[0] for row in answer["reply_markup"]["inline_keyboard"]]
    assert [v["text"] for v in votes] == ["👍 有帮助", "👎 没帮助"]

    # "Not helpful" is never a dead end: the bot offers its next best answers and a person, as buttons.
    tap = user.tap(answer["message"], votes[1]["callback_data"])
    telegram_api.wait_for(lambda: [a for a in telegram_api.answered if a["callback_query_id"] == tap["callback_query"]["id"] and a.get("text") == "感谢您的反馈"])
    offer = telegram_api.wait_for(lambda: telegram_api.messages_to(user.user_id)[1:])[0]
    keyboard = offer["reply_markup"]["inline_keyboard"]
    titles = [row[0]["text"] for row in keyboard]
    assert "抱歉没能帮到您" in offer["text"] and len(titles) >= 2 and titles[-1] == "都不是，转人工", titles

    # Tapping a suggestion: the spinner stops and the chosen answer comes.
    tap = user.tap(offer["message"], keyboard[0][0]["callback_data"])
    telegram_api.wait_for(lambda: any(a["callback_query_id"] == tap["callback_query"]["id"] for a in telegram_api.answered))
    chosen = telegram_api.wait_for(lambda: telegram_api.messages_to(user.user_id)[2:])[0]
    assert chosen["text"] and chosen["text"] != answer["text"]
    cid = conversation_of(settings, "telegram", user.user_id)

    # "Talk to a person": the queue notice tells them where they stand.
    user.say("转人工")
    telegram_api.wait_for(lambda: [m for m in telegram_api.messages_to(user.user_id) if any(s in m["text"] for s in ("排在第", "马上为您服务", "没有客服在线"))])

    # The agent claims the chat in the console and replies: the customer gets it on Telegram, and the agent sees it delivered.
    alice = AgentClient(hub, "alice")
    assert alice.post(f"/conversations/{cid}/claim").status_code == 200
    detail = alice.get(f"/conversations/{cid}").json()
    assert detail["conversation"]["channel"] == "telegram"
    assert [m["text"] for m in detail["messages"] if m["sender"] == "customer"][:3] == ["运费怎么算？", titles[0], "转人工"]
    sent = alice.post(f"/conversations/{cid}/messages", {"text": "您好，我是客服 Alice，退货运费由我们承担。"}).json()
    telegram_api.wait_for(lambda: [m for m in telegram_api.messages_to(user.user_id) if m["text"] == "您好，我是客服 Alice，退货运费由我们承担。"])
    deliveries = _wait_delivered(alice, cid, sent["id"])
    assert deliveries[sent["id"]]["channel"] == "telegram"

    # Resolved: the rating request comes with five buttons; one tap rates the chat (a second tap does not count twice).
    assert alice.post(f"/conversations/{cid}/resolve").status_code == 200
    rating = telegram_api.wait_for(lambda: [m for m in telegram_api.messages_to(user.user_id) if m["reply_markup"] and "打分" in m["text"]])[0]
    stars = [row[0] for row in rating["reply_markup"]["inline_keyboard"]]
    assert [s["text"] for s in stars] == ["★", "★★", "★★★", "★★★★", "★★★★★"]
    user.tap(rating["message"], stars[4]["callback_data"])
    telegram_api.wait_for(lambda: [m for m in telegram_api.messages_to(user.user_id) if m["text"] == "感谢您的评价！"])
    user.tap(rating["message"], stars[0]["callback_data"])
    conv = alice.get(f"/conversations/{cid}").json()["conversation"]
    assert conv["rating"] == 5
    assert alice.get(f"/tickets/{conv['ticket_id']}").json()["ticket"]["rating"] == 5  # the ticket is rated, as from the web chat
    time.sleep(1)
    assert len([m for m in telegram_api.messages_to(user.user_id) if m["text"] == "感谢您的评价！"]) == 1


def claimed_chat(settings, hub, channels_hub, telegram_api, telegram_secret, name: str, agent: str) -> tuple[TelegramUser, AgentClient, str]:
    """An English Telegram customer ``name`` who asked for a person, claimed from the queue by ``agent``, and told so."""
    user = TelegramUser(channels_hub, telegram_secret, language_code="en", name=name)
    user.say("I want to talk to a person")
    telegram_api.wait_for(lambda: [m for m in telegram_api.messages_to(user.user_id) if "queue" in m["text"]])
    cid = conversation_of(settings, "telegram", user.user_id)
    client = AgentClient(hub, agent)
    assert client.post(f"/conversations/{cid}/claim").status_code == 200
    telegram_api.wait_for(lambda: [m for m in telegram_api.messages_to(user.user_id) if "has joined" in m["text"]])
    return user, client, cid


def _wait_delivered(agent: AgentClient, cid: str, mid: str, state: str = "delivered") -> dict:
    deadline = time.monotonic() + 30
    while True:
        deliveries = agent.get(f"/conversations/{cid}/deliveries").json()
        if deliveries.get(mid, {}).get("state") == state:
            return deliveries
        assert time.monotonic() < deadline, deliveries.get(mid)
        time.sleep(0.2)


def linked_on_phone(hub, channels_hub, telegram_secret, reply: str) -> tuple[TelegramUser, AgentClient, str, dict, dict]:
    """A web customer claimed by alice, linked to their Telegram account, who wrote last from the phone: alice's
    ``reply`` went to Telegram. Returns the Telegram user, alice, the chat, the web customer's auth header, the reply."""
    web = hub.post("/api/conversations", json={"language": "en", "visitor_id": secrets.token_hex(16)}).json()
    cid, auth = web["conversation_id"], {"Authorization": f"Bearer {web['token']}"}
    hub.post(f"/api/conversations/{cid}/messages", json={"text": "My kettle leaks, I want a person"}, headers=auth)
    hub.post(f"/api/conversations/{cid}/handoff", headers=auth)
    alice = AgentClient(hub, "alice")
    assert alice.post(f"/conversations/{cid}/claim").status_code == 200
    user = TelegramUser(channels_hub, telegram_secret, language_code="en", name="Lu")
    assert alice.post(f"/conversations/{cid}/customer/link", {"identity": f"telegram:{user.user_id}"}).status_code == 200

    user.say("It's me, on my phone now")
    deadline = time.monotonic() + 20
    while not any(m["channel"] == "telegram" for m in alice.get(f"/conversations/{cid}").json()["messages"]):
        assert time.monotonic() < deadline
        time.sleep(0.3)
    on_phone = alice.post(f"/conversations/{cid}/messages", {"text": reply}).json()
    assert _wait_delivered(alice, cid, on_phone["id"])[on_phone["id"]]["channel"] == "telegram"
    return user, alice, cid, auth, on_phone


def test_a_retried_update_is_stored_once_and_answered_once(settings, hub, channels_hub, telegram_api, telegram_secret):
    user = TelegramUser(channels_hub, telegram_secret, language_code="en", name="Ann")
    update = user.message_update("How much does shipping cost?")
    assert user.post(update).status_code == 200
    telegram_api.wait_for(lambda: telegram_api.messages_to(user.user_id))
    assert user.post(update).status_code == 200  # Telegram sends it again (it did not see our 200 in time)
    time.sleep(2)
    cid = conversation_of(settings, "telegram", user.user_id)
    customer_lines = [m for m in sync_client(settings).xrange(Keys(settings.key_prefix).transcript(cid)) if '"sender": "customer"' in m[1]["m"]]
    assert len(customer_lines) == 1
    assert len(telegram_api.messages_to(user.user_id)) == 1


@pytest.mark.parametrize("secret", ["wrong-secret", ""])
def test_the_webhook_refuses_what_telegram_did_not_send(channels_hub, telegram_secret, secret):
    user = TelegramUser(channels_hub, telegram_secret)
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
    resp = user.hub.post("/api/channels/telegram/webhook", headers=headers, json=user.message_update("hello"))
    assert resp.status_code == 403, resp.text


def _without_chat(user: TelegramUser) -> dict:
    update = user.message_update("hello")
    del update["message"]["chat"]
    return update


def _text_not_a_string(user: TelegramUser) -> dict:
    update = user.message_update("hello")
    update["message"]["text"] = {"bold": "hello"}
    return update


@pytest.mark.parametrize("make, malformed", [
    (lambda user: b"{not json", True),
    (lambda user: b"", True),
    (lambda user: [1, 2, 3], True),
    (lambda user: {"no": "update_id"}, True),
    (_without_chat, True),
    (_text_not_a_string, True),
    (lambda user: {"update_id": user.update_id + 1}, False),  # no message at all
    (lambda user: {"update_id": user.update_id + 1, "message": None}, False),
], ids=["broken-json", "empty", "a-list", "no-update-id", "no-chat", "text-not-a-string", "no-message", "null-message"])
def test_a_malformed_or_unhandled_update_is_acknowledged_and_ignored(settings, channels_hub, telegram_api, telegram_secret, make, malformed):
    """Telegram sends an update again and again until it gets a 2xx (and holds the updates after it back
    meanwhile): what the bot cannot use is answered 200 and nothing is stored or sent; a malformed one is logged."""
    user = TelegramUser(channels_hub, telegram_secret)
    log = settings.var_dir / "logs" / "channel-hub.log"
    logged_before = log.read_text(errors="replace").count("telegram: ignored update")
    body = make(user)
    resp = user.hub.post("/api/channels/telegram/webhook", headers={"X-Telegram-Bot-Api-Secret-Token": telegram_secret},
                         **({"content": body} if isinstance(body, bytes) else {"json": body}))
    assert resp.status_code == 200, resp.text
    assert sync_client(settings).get(Keys(settings.key_prefix).channel_conversation("telegram", str(user.user_id))) is None
    if malformed:
        assert log.read_text(errors="replace").count("telegram: ignored update") > logged_before
    user.say("How much does shipping cost?")  # and the next update is handled as usual
    telegram_api.wait_for(lambda: telegram_api.messages_to(user.user_id))


@pytest.mark.parametrize("chat_id", ["abc", "77", 1.5, None, {"id": 1}, True])
def test_an_update_whose_chat_id_is_not_an_integer_is_a_clear_400(settings, channels_hub, telegram_secret, chat_id):
    """Telegram's chat ids are integers; any other is a forged or broken update: refused, saying why, and not stored
    (its replies could never be sent)."""
    user = TelegramUser(channels_hub, telegram_secret)
    update = user.message_update("hello")
    update["message"]["chat"]["id"] = chat_id
    resp = user.post(update)
    assert resp.status_code == 400 and "chat id" in resp.json()["detail"], resp.text
    r, k = sync_client(settings), Keys(settings.key_prefix)
    assert r.get(k.channel_conversation("telegram", str(chat_id))) is None
    tap = user.tap_update({"message_id": 7, "date": 1, "chat": {"id": chat_id, "type": "private"}, "text": "rate"}, "r:4")
    resp = user.post(tap)
    assert resp.status_code == 400 and "chat id" in resp.json()["detail"], resp.text


def test_long_polling_for_a_shop_without_a_public_url(settings, stack, telegram_api, wechat_api, channels_hub):
    with channel_hub(settings, telegram_api, wechat_api, name="polling-hub", CS_TELEGRAM_MODE="polling", CS_TELEGRAM_POLL_TIMEOUT_SECONDS="3"):
        telegram_api.wait_for(lambda: "deleteWebhook" in telegram_api.calls and "getUpdates" in telegram_api.calls)
        user = TelegramUser("http://unused", "")
        telegram_api.push_update(user.message_update("/start"))
        greeting = telegram_api.wait_for(lambda: telegram_api.messages_to(user.user_id))
        assert greeting[0]["text"]
        telegram_api.push_update(user.message_update("运费怎么算？"))
        telegram_api.wait_for(lambda: len(telegram_api.messages_to(user.user_id)) >= 2)
        assert "运费" in telegram_api.messages_to(user.user_id)[1]["text"] or "包邮" in telegram_api.messages_to(user.user_id)[1]["text"]
        time.sleep(4)  # more polls: nothing is fetched, stored or answered twice
        assert len(telegram_api.messages_to(user.user_id)) == 2
    assert int(sync_client(settings).hget(Keys(settings.key_prefix).channel_state("telegram"), "offset")) > 0  # kept for the next poller


def test_the_bot_token_never_reaches_a_log(settings, channels_hub, telegram_api):
    telegram_api.wait_for(lambda: telegram_api.sent)
    for log in (settings.var_dir / "logs").glob("*.log"):
        assert TELEGRAM_TOKEN not in log.read_text(errors="replace"), log.name
        assert TELEGRAM_TOKEN.split(":")[1] not in log.read_text(errors="replace"), log.name


@pytest.mark.usefixtures("manual_assignment")  # the agent claims the chat from the queue
def test_a_linked_customer_who_switches_to_telegram_continues_with_the_same_agent(settings, hub, agents, channels_hub, telegram_api, telegram_secret):
    """A web customer talking to an agent writes from Telegram: once linked, the message joins the same chat, and the reply goes to Telegram."""
    web = hub.post("/api/conversations", json={"language": "en", "visitor_id": secrets.token_hex(16)}).json()
    auth = {"Authorization": f"Bearer {web['token']}"}
    hub.post(f"/api/conversations/{web['conversation_id']}/messages", json={"text": "My blender arrived broken, I want a person"}, headers=auth)
    hub.post(f"/api/conversations/{web['conversation_id']}/handoff", headers=auth)
    alice = AgentClient(hub, "alice")
    assert alice.post(f"/conversations/{web['conversation_id']}/claim").status_code == 200
    user = TelegramUser(channels_hub, telegram_secret, language_code="en", name="Kai")
    linked = alice.post(f"/conversations/{web['conversation_id']}/customer/link", {"identity": f"telegram:{user.user_id}"})
    assert linked.status_code == 200, linked.text

    user.say("Hi, it's me from the website, I'm on my phone now")
    detail = alice.get(f"/conversations/{web['conversation_id']}").json()
    deadline = time.monotonic() + 20
    while not any(m["channel"] == "telegram" for m in detail["messages"]):
        assert time.monotonic() < deadline, detail["messages"]
        time.sleep(0.3)
        detail = alice.get(f"/conversations/{web['conversation_id']}").json()
    assert detail["conversation"]["status"] == "assigned" and detail["conversation"]["agent"] == "alice"  # the same chat, the same agent
    assert telegram_api.messages_to(user.user_id) == []  # no bot, no queue notice: a person is already on it
    reply = alice.post(f"/conversations/{web['conversation_id']}/messages", {"text": "Got it Kai, a replacement is on its way."}).json()
    telegram_api.wait_for(lambda: [m for m in telegram_api.messages_to(user.user_id) if m["text"] == "Got it Kai, a replacement is on its way."])
    assert _wait_delivered(alice, web["conversation_id"], reply["id"])[reply["id"]]["channel"] == "telegram"


def _attachment_update(user: TelegramUser, caption: str = "", **content) -> dict:
    update = user.message_update("")
    del update["message"]["text"]
    update["message"].update(content, **({"caption": caption} if caption else {}))
    return update


def _lines(settings, cid: str) -> list[dict]:
    return [json.loads(m[1]["m"]) for m in sync_client(settings).xrange(Keys(settings.key_prefix).transcript(cid))]


PHOTO = [{"file_id": "AgAD-small", "file_unique_id": "u1", "width": 90, "height": 90},
         {"file_id": "AgAD-large", "file_unique_id": "u2", "width": 1280, "height": 960}]


def test_a_photo_is_kept_for_the_agent_and_the_customer_is_offered_one(settings, channels_hub, telegram_api, telegram_secret):
    """The bot reads text only, but nothing the customer sent is lost: the photo is a line of the transcript with the
    file_id that fetches it (the largest size), said once even when Telegram sends the update again. The customer hears
    that an agent can look at it, one tap away, not "please type your question"."""
    user = TelegramUser(channels_hub, telegram_secret)
    update = _attachment_update(user, photo=PHOTO)
    assert user.post(update).status_code == 200
    assert user.post(update).status_code == 200  # the retry
    told = telegram_api.wait_for(lambda: telegram_api.messages_to(user.user_id))
    time.sleep(1)
    assert len(telegram_api.messages_to(user.user_id)) == len(told) == 1
    assert "人工客服可以查看" in told[0]["text"], told[0]["text"]
    button = told[0]["reply_markup"]["inline_keyboard"][0][0]
    cid = conversation_of(settings, "telegram", user.user_id)
    customer = [m for m in _lines(settings, cid) if m["sender"] == "customer"]
    assert len(customer) == 1 and customer[0]["text"] == "[photo]"
    assert customer[0]["meta"]["media"]["file_id"] == "AgAD-large"

    user.tap(told[0]["message"], button["callback_data"])  # "show it to an agent": handed over
    deadline = time.monotonic() + 20
    while sync_client(settings).hget(Keys(settings.key_prefix).conv(cid), "status") not in ("queued", "assigned"):
        assert time.monotonic() < deadline
        time.sleep(0.2)


def test_the_words_beside_a_photo_are_read_and_personal_data_masked(settings, channels_hub, telegram_api, telegram_secret):
    """A photo of a damaged parcel captioned "the box arrived crushed": the caption is the customer's question, answered
    by the bot like any text (the photo kept before it), not "sorry, I can only read text"."""
    user = TelegramUser(channels_hub, telegram_secret)
    update = _attachment_update(user, "快递到了，箱子压坏了，里面的东西也碎了 13812345678", photo=PHOTO)
    assert user.post(update).status_code == 200
    assert user.post(update).status_code == 200  # the retry
    answer = telegram_api.wait_for(lambda: telegram_api.messages_to(user.user_id))[0]
    assert "只能处理文字" not in answer["text"] and "看不了图片" not in answer["text"], answer["text"]
    cid = conversation_of(settings, "telegram", user.user_id)
    time.sleep(1)
    customer = [m for m in _lines(settings, cid) if m["sender"] == "customer"]
    assert [m["text"].split(" ")[0] for m in customer] == ["[photo]", "快递到了，箱子压坏了，里面的东西也碎了"], customer
    assert customer[0]["meta"]["media"]["file_id"] == "AgAD-large"
    assert "13812345678" not in customer[1]["text"]


@pytest.mark.usefixtures("manual_assignment")  # the agent claims the chat from the queue
def test_what_a_customer_sends_an_agent_reaches_the_agent_and_nothing_tells_them_to_type(settings, hub, agents, channels_hub, telegram_api, telegram_secret):
    """The agent asks for a photo of the damage and where to pick the parcel up: the photo, the voice message, the
    place and the file reach the transcript with what the agent needs (file_id, coordinates, the file's name), and the
    customer is not told the chat takes text only."""
    user, alice, cid = claimed_chat(settings, hub, channels_hub, telegram_api, telegram_secret, "Ann", "alice")
    alice.post(f"/conversations/{cid}/messages", {"text": "Please send a photo of the damage and your pick-up location."})
    telegram_api.wait_for(lambda: [m for m in telegram_api.messages_to(user.user_id) if m["text"].startswith("Please send a photo")])
    before = len(telegram_api.messages_to(user.user_id))
    for content in ({"photo": PHOTO}, {"voice": {"file_id": "AwAC-voice", "file_unique_id": "v1", "duration": 7}},
                    {"location": {"latitude": 31.2304, "longitude": 121.4737}},
                    {"document": {"file_id": "BQAC-doc", "file_unique_id": "d1", "file_name": "receipt.pdf"}}):
        assert user.post(_attachment_update(user, **content)).status_code == 200
    deadline = time.monotonic() + 20
    while len(shown := [m for m in alice.get(f"/conversations/{cid}").json()["messages"] if m["sender"] == "customer"]) < 5:
        assert time.monotonic() < deadline, shown
        time.sleep(0.2)
    assert [m["text"] for m in shown[1:]] == ["[photo]", "[voice] 7s", "[location] (31.2304, 121.4737)", "[document] receipt.pdf"]
    assert [m["meta"]["media"].get("file_id") for m in shown[1:]] == ["AgAD-large", "AwAC-voice", None, "BQAC-doc"]
    time.sleep(1)
    assert len(telegram_api.messages_to(user.user_id)) == before  # nothing said to the customer: the agent has it


@pytest.mark.usefixtures("manual_assignment")  # the agent claims the chat from the queue
def test_the_agents_reply_goes_to_the_channel_the_linked_customer_last_wrote_from(settings, hub, agents, channels_hub, telegram_api, telegram_secret):
    """One chat, written to from the web page and from Telegram by the same (linked) customer: each reply of the
    agent goes where the customer wrote last, not where they wrote once."""
    user, alice, cid, auth, on_phone = linked_on_phone(hub, channels_hub, telegram_secret, "Thanks Lu, which model is it?")

    # Back at the computer: the next reply is read on the web page, not pushed to the phone.
    assert hub.post(f"/api/conversations/{cid}/messages", json={"text": "Back at my desk: it's the K-200"}, headers=auth).status_code == 200
    at_desk = alice.post(f"/conversations/{cid}/messages", {"text": "A K-200 replacement is on its way."}).json()
    assert on_phone["id"] in alice.get(f"/conversations/{cid}/deliveries").json()
    assert at_desk["id"] not in alice.get(f"/conversations/{cid}/deliveries").json()  # not queued for Telegram
    shown = hub.get(f"/api/conversations/{cid}/messages", headers=auth).json()
    assert "A K-200 replacement is on its way." in [m["text"] for m in shown]

    # And on the phone again: the reply follows.
    user.say("Will it come tomorrow?")
    deadline = time.monotonic() + 20
    while [m["text"] for m in alice.get(f"/conversations/{cid}").json()["messages"] if m["sender"] == "customer"][-1] != "Will it come tomorrow?":
        assert time.monotonic() < deadline
        time.sleep(0.3)
    tomorrow = alice.post(f"/conversations/{cid}/messages", {"text": "Yes, before noon."}).json()
    _wait_delivered(alice, cid, tomorrow["id"])
    assert [m["text"] for m in telegram_api.messages_to(user.user_id)] == ["Thanks Lu, which model is it?", "Yes, before noon."]


@pytest.mark.usefixtures("manual_assignment")  # the agent claims the chat from the queue
def test_a_score_typed_under_the_rating_request_is_the_rating_and_rates_the_ticket(settings, hub, agents, channels_hub, telegram_api, telegram_secret):
    """"Rate us from 1 to 5": a customer on a phone types "5" rather than tapping a star. That is the rating (of the
    chat and of its ticket), thanked for, not a new problem that reopens the solved ticket and queues them again.
    """
    user, alice, cid = claimed_chat(settings, hub, channels_hub, telegram_api, telegram_secret, "Ann", "alice")
    alice.post(f"/conversations/{cid}/messages", {"text": "Your parcel was reshipped today."})
    assert alice.post(f"/conversations/{cid}/resolve").status_code == 200
    telegram_api.wait_for(lambda: [m for m in telegram_api.messages_to(user.user_id) if m["reply_markup"] and "rate" in m["text"]])

    user.say("5")
    telegram_api.wait_for(lambda: [m for m in telegram_api.messages_to(user.user_id) if m["text"] == "Thank you for your feedback!"])
    conv = alice.get(f"/conversations/{cid}").json()["conversation"]
    assert (conv["status"], conv["rating"]) == ("resolved", 5)
    ticket = alice.get(f"/tickets/{conv['ticket_id']}").json()["ticket"]
    assert ticket["rating"] == 5 and ticket["status"] != "open", ticket
    assert not [m for m in telegram_api.messages_to(user.user_id) if "reopened" in m["text"]]


def test_a_message_over_the_chat_limit_is_kept_whole_and_passed_to_a_person(settings, channels_hub, telegram_api, telegram_secret):
    """The web chat refuses a message over its limit (max_message_chars) and says so; a channel cannot, and the customer
    is waiting. Such a message (a pasted complaint, a whole story) got the bot's "I didn't quite understand, could you
    rephrase?": it is no question the bot can match. It stays whole in the transcript, and a person reads it; the
    customer is told so, in their language."""
    user = TelegramUser(channels_hub, telegram_secret)
    rng = random.Random(7)  # a long complaint pasted from a document: varied words, not one sentence repeated
    long_text = "我的订单号是 A12345，" + "".join(rng.choice(HANZI) + ("，" if i % 17 == 16 else "") for i in range(3900))
    assert len(long_text) > settings.max_message_chars
    user.say(long_text)
    told = telegram_api.wait_for(lambda: [m for m in telegram_api.messages_to(user.user_id) if "消息内容较长" in m["text"]], timeout=60)
    assert "人工客服" in told[0]["text"]
    cid = conversation_of(settings, "telegram", user.user_id)
    lines = _lines(settings, cid)
    assert [m["text"] for m in lines if m["sender"] == "customer"] == [long_text]  # nothing the customer sent is lost
    assert not [m for m in lines if m["sender"] == "bot" and "没太理解" in m["text"]]
    r, k = sync_client(settings), Keys(settings.key_prefix)
    deadline = time.monotonic() + 20
    while r.hget(k.conv(cid), "status") not in ("queued", "assigned"):  # waiting for a person, or pushed to one at a console
        assert time.monotonic() < deadline, r.hgetall(k.conv(cid))
        time.sleep(0.2)

HANZI = ("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经"
         "十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表"
         "间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员")


@pytest.mark.parametrize("kind", ["group", "supergroup"])
def test_a_message_in_a_group_is_answered_once_with_an_invitation_to_write_privately(settings, channels_hub, telegram_api, telegram_secret, kind):
    """The bot serves customers one to one: in a group it was silent, even to /start, and people thought it broken.
    It now says once, in the group and in the sender's language, to message it privately, and opens no conversation."""
    zh = TelegramUser(channels_hub, telegram_secret)
    en = TelegramUser(channels_hub, telegram_secret, language_code="en-GB", name="Ann")
    group = {"id": -(10**12 + zh.user_id), "type": kind, "title": "Shop fans"}
    zh.chat = en.chat = group
    assert zh.say("/start@shop_help_bot") and zh.say("运费怎么算？")
    told = telegram_api.wait_for(lambda: telegram_api.messages_to(group["id"]))
    assert len(told) == 1 and "私聊" in told[0]["text"], told
    en.say("/start")
    told = telegram_api.wait_for(lambda: telegram_api.messages_to(group["id"])[1:])
    assert len(told) == 1 and "private chat" in told[0]["text"], told
    r, k = sync_client(settings), Keys(settings.key_prefix)
    for address in (group["id"], zh.user_id, en.user_id):
        assert r.get(k.channel_conversation("telegram", str(address))) is None
    zh.say("还在吗？")  # said once to each: the group is not answered at every message
    zh.chat = {"id": zh.user_id, "type": "private", "first_name": "李雷"}
    zh.say("运费怎么算？")  # and in private, the bot answers as usual
    telegram_api.wait_for(lambda: telegram_api.messages_to(zh.user_id))
    assert len(telegram_api.messages_to(group["id"])) == 2


def test_an_edited_message_is_a_new_message_marked_as_the_edit_and_answered(settings, hub, agents, supervisor, channels_hub, telegram_api, telegram_secret):
    """A customer corrects the order number in the message they sent (Telegram's "Edit"). The edit was not even asked
    for (allowed_updates) and was ignored: the agent saw the wrong number. It is now a new line of the transcript marked
    as the edit of the earlier one (which is kept), answered like any message; Telegram's retry of it is stored once."""
    assert "edited_message" in [w for w in telegram_api.webhooks[-1]["allowed_updates"]]
    user = TelegramUser(channels_hub, telegram_secret)
    sent = user.say("运费怎么算？订单号 A10023")
    telegram_api.wait_for(lambda: telegram_api.messages_to(user.user_id))
    user.update_id += 1
    edit = {"update_id": user.update_id, "edited_message": {**sent["message"], "text": "运费怎么算？订单号 A10032", "edit_date": int(time.time())}}
    assert user.post(edit).status_code == 200
    telegram_api.wait_for(lambda: telegram_api.messages_to(user.user_id)[1:])  # answered like a new message
    assert user.post(edit).status_code == 200  # Telegram sends it again
    cid = conversation_of(settings, "telegram", user.user_id)
    shown = [m for m in AgentClient(hub, supervisor).get(f"/conversations/{cid}").json()["messages"] if m["sender"] == "customer"]
    assert [m["text"] for m in shown] == ["运费怎么算？订单号 A10023", "运费怎么算？订单号 A10032"]
    assert shown[1]["meta"]["edited_of"] == shown[0]["id"] and "edited_of" not in shown[0]["meta"]


@pytest.mark.usefixtures("manual_assignment")  # the chat waits in the queue, nobody's yet
def test_a_telegram_customers_id_reaches_only_staff_who_may_see_them(settings, hub, agents, channels_hub, telegram_api, telegram_secret):
    """The queue notice sent to a waiting Telegram customer was announced to every console with the customer's
    Telegram id in it, and any agent reading the waiting chat's deliveries got it too: an identity the customer panel
    masks for agents whose chat it is not (hub/visibility.py)."""
    bob = AgentClient(hub, "bob", console=False)
    with connect(f"{settings.hub_url.replace('http', 'ws')}/api/agent/ws?token={bob.token}") as console:
        user = TelegramUser(channels_hub, telegram_secret, language_code="en", name="Queued Quinn")
        user.say("I want to talk to a person")
        telegram_api.wait_for(lambda: [m for m in telegram_api.messages_to(user.user_id) if "queue" in m["text"]])
        cid = conversation_of(settings, "telegram", user.user_id)
        while (frame := json.loads(console.recv(timeout=30))).get("type") != "delivery" or frame["conversation_id"] != cid:
            pass
    assert str(user.user_id) not in json.dumps(frame)
    deliveries = bob.get(f"/conversations/{cid}/deliveries").json()
    assert deliveries and str(user.user_id) not in json.dumps(deliveries)
    supervisor = AgentClient(hub, "sue", console=False)
    assert any(d["to"] == str(user.user_id) for d in supervisor.get(f"/conversations/{cid}/deliveries").json().values())
    sign_off(settings, "bob")
    sign_off(settings, "sue")
