"""A follower of a WeChat Official Account, through the real stack and a local stand-in of the WeChat API.

Pushes are posted as WeChat's server does (signed query, safe-mode AES body).
A fast bot answers in the passive reply; a slow one (Rasa delayed past WeChat's
5-second wait) gets ``success`` at once and the answer through the
customer-service API; WeChat's retry of a push (same MsgId) is processed once;
forged, malformed and replayed pushes are refused; the access_token is fetched
once, shared, and renewed when WeChat says it is stale; an agent's reply outside
the 48-hour window is marked undeliverable for the agent.
"""

from __future__ import annotations

import json
import random
import re
import time

import pytest

from core.redis import Keys, sync_client
from tests.channel_clients import WeChatFollower, wechat_signature
from tests.channel_fixtures import WECHAT_AES_KEY, WECHAT_APP_ID, WECHAT_TOKEN, channel_hub
from tests.clients import AgentClient
from tests.standins import DelayedRasa
from tests.test_channel_telegram import _wait_delivered, conversation_of


def follower(url: str) -> WeChatFollower:
    return WeChatFollower(url, WECHAT_TOKEN, app_id=WECHAT_APP_ID, aes_key=WECHAT_AES_KEY)


def test_the_url_check_echoes_only_for_the_right_signature(channels_hub):
    f = follower(channels_hub)
    ts, nonce = str(int(time.time())), "123456"
    ok = f.hub.get("/api/channels/wechat", params={"signature": wechat_signature(WECHAT_TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce, "echostr": "e9f8d7"})
    assert (ok.status_code, ok.text) == (200, "e9f8d7")
    bad = f.hub.get("/api/channels/wechat", params={"signature": "0" * 40, "timestamp": ts, "nonce": nonce, "echostr": "e9f8d7"})
    assert bad.status_code == 403 and "e9f8d7" not in bad.text


def test_a_fast_bot_answers_in_the_passive_reply_in_safe_mode(settings, channels_hub, wechat_api):
    f = follower(channels_hub)
    xml, _ = f.text_xml("运费怎么算？")
    started = time.monotonic()
    resp = f.push(xml, encrypted=True)
    assert resp.status_code == 200 and time.monotonic() - started < 5
    answer = f.reply_text(resp)
    assert "运费" in answer or "包邮" in answer
    assert "运费" not in resp.text  # encrypted on the wire
    time.sleep(1.5)
    assert wechat_api.messages_to(f.openid) == []  # passively answered: not sent again through the API


def test_a_slow_bot_gets_success_in_time_and_the_answer_through_the_api(settings, stack, telegram_api, wechat_api, channels_hub):
    with DelayedRasa(settings.rasa_url, delay=6.0) as slow_rasa, \
            channel_hub(settings, telegram_api, wechat_api, rasa_port=slow_rasa.port, name="slow-bot-hub", CS_TELEGRAM_MODE="polling",
                        CS_TELEGRAM_BOT_TOKEN="") as url:
        f = follower(url)
        xml, msg_id = f.text_xml("运费怎么算？")
        started = time.monotonic()
        resp = f.push(xml, encrypted=True)
        waited = time.monotonic() - started
        assert (resp.status_code, resp.text) == (200, "success") and waited < 5, waited
        # WeChat retries the push (same MsgId) after 5 s: acknowledged, not processed again.
        again = f.push(xml, encrypted=True)
        assert (again.status_code, again.text) == (200, "success")
        sent = wechat_api.wait_for(lambda: wechat_api.messages_to(f.openid), timeout=40)
        assert sent[0]["msgtype"] == "text" and ("运费" in sent[0]["text"]["content"] or "包邮" in sent[0]["text"]["content"])
        time.sleep(2)
        assert len(wechat_api.messages_to(f.openid)) == 1
        cid = conversation_of(settings, "wechat", f.openid)
        stored = [m for m in sync_client(settings).xrange(Keys(settings.key_prefix).transcript(cid)) if '"sender": "customer"' in m[1]["m"]]
        assert len(stored) == 1


def test_past_the_passive_reply_deadline_the_answer_goes_through_the_api(settings, stack, telegram_api, wechat_api, channels_hub):
    """The passive reply has a deadline counted from the push's arrival (CS_WECHAT_PASSIVE_REPLY_DEADLINE_SECONDS):
    a bot done after it is not waited for; WeChat gets "success" and the customer the answer through the API, once."""
    with DelayedRasa(settings.rasa_url, delay=1.0) as slow_rasa, \
            channel_hub(settings, telegram_api, wechat_api, rasa_port=slow_rasa.port, name="deadline-hub", CS_TELEGRAM_MODE="polling",
                        CS_TELEGRAM_BOT_TOKEN="", CS_WECHAT_PASSIVE_REPLY_DEADLINE_SECONDS="0.5") as url:
        f = follower(url)
        resp = f.push(f.text_xml("运费怎么算？")[0], encrypted=True)
        assert (resp.status_code, resp.text) == (200, "success")
        sent = wechat_api.wait_for(lambda: wechat_api.messages_to(f.openid), timeout=40)
        assert "运费" in sent[0]["text"]["content"] or "包邮" in sent[0]["text"]["content"]
        cid = conversation_of(settings, "wechat", f.openid)
        deadline = time.monotonic() + 20
        while not (deliveries := [json.loads(d) for d in sync_client(settings).hgetall(Keys(settings.key_prefix).deliveries(cid)).values()]) \
                or any(d["state"] != "delivered" for d in deliveries):
            assert time.monotonic() < deadline, deliveries
            time.sleep(0.2)
        assert {d["via"] for d in deliveries} == {"api"}
        time.sleep(1)
        assert len(wechat_api.messages_to(f.openid)) == len(sent)


def test_a_retried_push_is_processed_once(settings, channels_hub, wechat_api):
    f = follower(channels_hub)
    xml, _ = f.text_xml("怎么查物流？")
    first = f.push(xml, encrypted=True)
    second = f.push(xml, encrypted=True)
    assert first.status_code == second.status_code == 200
    assert f.reply_text(first) and second.text == "success"
    cid = conversation_of(settings, "wechat", f.openid)
    stored = [m for m in sync_client(settings).xrange(Keys(settings.key_prefix).transcript(cid)) if '"sender": "customer"' in m[1]["m"]]
    assert len(stored) == 1


def test_forged_malformed_and_replayed_pushes_are_refused(settings, channels_hub):
    f = follower(channels_hub)
    xml, _ = f.text_xml("hello")
    assert f.push(xml, signature="0" * 40).status_code == 403
    assert f.push(xml, timestamp=int(time.time()) - 3600).status_code == 403  # a captured push sent again an hour later
    assert f.push("<xml><ToUserName>broken", encrypted=True).status_code == 400
    assert f.push("<html>not wechat</html>", encrypted=True).status_code == 400
    # well-formed XML, but not a push as WeChat sends one: a field that is an element, repeated, or a MsgId that is no number
    for broken in (xml.replace("<Content><![CDATA[hello]]></Content>", "<Content><b>hello</b></Content>"),
                   xml.replace("</FromUserName>", f"</FromUserName><FromUserName>{f.openid}x</FromUserName>", 1),
                   re.sub(r"<MsgId>\d+</MsgId>", "<MsgId>abc</MsgId>", xml),
                   re.sub(r"<MsgId>\d+</MsgId>", "", xml)):
        resp = f.push(broken, encrypted=True)
        assert resp.status_code == 400, (broken, resp.text)
    # safe mode: a body encrypted for another account (or tampered) fails its msg_signature
    other = WeChatFollower(channels_hub, WECHAT_TOKEN, app_id=WECHAT_APP_ID, aes_key="B" * 43)
    assert other.push(xml, encrypted=True).status_code == 403
    assert sync_client(settings).get(Keys(settings.key_prefix).channel_conversation("wechat", f.openid)) is None  # nothing was taken in


@pytest.mark.usefixtures("manual_assignment")  # the agent claims the chat from the queue
def test_agent_replies_go_through_the_api_with_a_shared_token_renewed_when_stale(settings, hub, agents, channels_hub, wechat_api):
    f = follower(channels_hub)
    resp = f.push(f.text_xml("我要转人工")[0], encrypted=True)
    assert "转接人工" in f.reply_text(resp)
    cid = conversation_of(settings, "wechat", f.openid)
    alice = AgentClient(hub, "alice")
    assert alice.post(f"/conversations/{cid}/claim").status_code == 200
    wechat_api.wait_for(lambda: [m for m in wechat_api.messages_to(f.openid) if "已接入" in m["text"]["content"]])
    fetched = len(wechat_api.tokens)
    wechat_api.expire_token()  # WeChat says 40001: the hub renews the token once and sends again
    reply = alice.post(f"/conversations/{cid}/messages", {"text": "您好，请提供订单号。"}).json()
    wechat_api.wait_for(lambda: [m for m in wechat_api.messages_to(f.openid) if m["text"]["content"] == "您好，请提供订单号。"])
    assert len(wechat_api.tokens) == fetched + 2  # the expired one, and exactly one renewal
    assert _wait_delivered(alice, cid, reply["id"])[reply["id"]]["via"] == "api"

    # WeChat busy (-1) and out of quota (45009): retried, delivered once.
    wechat_api.refuse_next(-1, "system error")
    wechat_api.refuse_next(45009, "reach max api daily quota limit")
    second = alice.post(f"/conversations/{cid}/messages", {"text": "我们已经为您补发。"}).json()
    deliveries = alice.get(f"/conversations/{cid}/deliveries").json()
    assert deliveries[second["id"]]["state"] in ("pending", "retrying")
    _wait_delivered(alice, cid, second["id"], "retrying")
    # 45009 asks for a long wait (the quota resets daily); the test moves the retry time forward as a new day would
    r, k = sync_client(settings), Keys(settings.key_prefix)
    deadline = time.monotonic() + 30
    while not [m for m in wechat_api.messages_to(f.openid) if m["text"]["content"] == "我们已经为您补发。"]:
        if r.zscore(k.outbox_due, cid) and not r.exists(k.outbox_lease(cid)):
            r.zadd(k.outbox_due, {cid: time.time()}, xx=True)
        assert time.monotonic() < deadline
        time.sleep(0.3)
    assert len([m for m in wechat_api.messages_to(f.openid) if m["text"]["content"] == "我们已经为您补发。"]) == 1

    # Two days later the customer has not written again: WeChat's 48-hour window is closed, the agent is told.
    r.hset(k.conv(cid), "last_inbound_at", str(time.time() - 49 * 3600))
    late = alice.post(f"/conversations/{cid}/messages", {"text": "还在吗？"}).json()
    failed = _wait_delivered(alice, cid, late["id"], "failed")[late["id"]]
    assert "48-hour" in failed["error"]
    assert not [m for m in wechat_api.messages_to(f.openid) if m["text"]["content"] == "还在吗？"]


def test_subscribing_greets_and_a_menu_click_can_ask_for_a_person(channels_hub):
    f = follower(channels_hub)
    greeting = f.reply_text(f.push(f.event_xml("subscribe"), encrypted=True))
    assert greeting
    asked = f.reply_text(f.push(f.event_xml("CLICK", "human"), encrypted=True))
    assert "人工" in asked or "agent" in asked.lower()


def test_the_shops_own_menu_keys_do_what_the_shop_configured_and_an_unknown_one_says_so(settings, channels_hub, wechat_api):
    """A shop's menu has its own EventKeys (CS_WECHAT_MENU). Only "human" and "/..." meant anything: the bot got
    "[菜单] V1001_SHIPPING_FEE", words the customer never wrote, and answered that it did not understand. A mapped
    key is read as the text the shop gave it, or asks for a person; a key nobody mapped is answered with a menu
    fallback (type the question, or one tap for a person), not a guess."""
    f = follower(channels_hub)
    asked = f.push(f.event_xml("CLICK", "V1001_SHIPPING_FEE"), encrypted=True)
    answer = f.reply_text(asked) or wechat_api.wait_for(lambda: [m["text"]["content"] for m in wechat_api.messages_to(f.openid)
                                                                  if m["msgtype"] == "text"])[0]
    assert "运费" in answer and "没太理解" not in answer, answer
    cid = conversation_of(settings, "wechat", f.openid)
    r, k = sync_client(settings), Keys(settings.key_prefix)
    customer = lambda: [json.loads(m[1]["m"]) for m in r.xrange(k.transcript(cid)) if json.loads(m[1]["m"])["sender"] == "customer"]
    assert [m["text"] for m in customer()] == ["运费怎么算？"]

    assert f.push(f.event_xml("CLICK", "V9_SPRING_SALE"), encrypted=True).status_code == 200
    offer = wechat_api.wait_for(lambda: [m for m in wechat_api.messages_to(f.openid) if m["msgtype"] == "msgmenu"
                                         and "菜单功能暂未开通" in m["msgmenu"]["head_content"]])[0]
    assert [c["content"] for c in offer["msgmenu"]["list"]] == ["转人工客服"]
    assert customer()[-1]["text"] == "[菜单] V9_SPRING_SALE"
    assert r.hget(k.conv(cid), "status") == "bot"

    person = f.push(f.event_xml("CLICK", "V1002_CONTACT_US"), encrypted=True)
    told = f.reply_text(person) or wechat_api.wait_for(lambda: [m["text"]["content"] for m in wechat_api.messages_to(f.openid)
                                                                 if m["msgtype"] == "text" and "人工" in m["text"]["content"]])[0]
    assert "人工" in told, told
    deadline = time.monotonic() + 20
    while r.hget(k.conv(cid), "status") not in ("queued", "assigned"):
        assert time.monotonic() < deadline, r.hgetall(k.conv(cid))
        time.sleep(0.2)


def test_a_captured_push_sent_again_within_the_time_window_does_nothing(settings, channels_hub):
    """The URL signature covers only the timestamp and nonce: a push captured on the way and posted again at once
    passes it. The same push taken in before is answered "success" (a 403 would also refuse WeChat's own retry of a
    push whose first attempt failed before it was stored) and does nothing; a new push of the same text is taken."""
    f = follower(channels_hub)
    first = f.push(f.text_xml("我的快递到哪了？")[0], encrypted=True)
    assert first.status_code == 200 and f.reply_text(first)
    params, body = f.request(f.event_xml("CLICK", "human"), encrypted=True)
    asked = f.send(params, body)
    assert asked.status_code == 200 and f.reply_text(asked)
    cid = sync_client(settings).get(Keys(settings.key_prefix).channel_conversation("wechat", f.openid))
    said = len(sync_client(settings).xrange(Keys(settings.key_prefix).transcript(cid)))
    again = f.send(params, body)
    assert again.status_code == 200 and again.text == "success", again.text
    assert len(sync_client(settings).xrange(Keys(settings.key_prefix).transcript(cid))) == said  # nothing said or stored twice
    assert f.push(f.text_xml("我的快递到哪了？")[0], encrypted=True).status_code == 200  # written again: a new push


def test_with_an_aes_key_a_plaintext_push_is_refused_unless_plaintext_is_allowed(settings, stack, telegram_api, wechat_api, channels_hub):
    """In safe mode every push is sealed and signed with msg_signature; a plaintext body is covered by no signature
    at all. With an EncodingAESKey configured, plaintext is refused unless CS_WECHAT_ALLOW_PLAINTEXT=true (while
    switching the account's message mode)."""
    f = follower(channels_hub)
    refused = f.push(f.text_xml("退货地址是哪里？")[0])  # correctly signed URL, plaintext body
    assert refused.status_code == 403 and "plaintext" in refused.json()["detail"], refused.text
    assert sync_client(settings).get(Keys(settings.key_prefix).channel_conversation("wechat", f.openid)) is None
    with channel_hub(settings, telegram_api, wechat_api, name="plaintext-allowed-hub", CS_TELEGRAM_MODE="polling", CS_TELEGRAM_BOT_TOKEN="",
                     CS_WECHAT_ALLOW_PLAINTEXT="true") as url:
        g = follower(url)
        assert g.reply_text(g.push(g.event_xml("subscribe")))
        asked = g.reply_text(g.push(g.event_xml("CLICK", "human")))
        assert "人工" in asked or "agent" in asked.lower()


@pytest.mark.usefixtures("manual_assignment")  # the agent claims the chat from the queue
def test_a_follower_who_types_the_score_rates_the_chat(settings, hub, agents, channels_hub, wechat_api):
    """WeChat shows the rating request's choices as menu links; "请为本次服务打分：1 到 5" invites typing "5分"."""
    f = follower(channels_hub)
    f.push(f.text_xml("转人工")[0], encrypted=True)
    cid = conversation_of(settings, "wechat", f.openid)
    alice = AgentClient(hub, "alice")
    assert alice.post(f"/conversations/{cid}/claim").status_code == 200
    alice.post(f"/conversations/{cid}/messages", {"text": "已为您补发。"})
    assert alice.post(f"/conversations/{cid}/resolve").status_code == 200
    wechat_api.wait_for(lambda: [m for m in wechat_api.messages_to(f.openid) if m["msgtype"] == "msgmenu"])
    request = [m for m in alice.get(f"/conversations/{cid}").json()["messages"] if m["meta"].get("kind") == "rating_request"][-1]
    _wait_delivered(alice, cid, request["id"])  # the outbox is done with it: the thanks can go in the passive reply
    assert f.reply_text(f.push(f.text_xml("5分")[0], encrypted=True)) == "感谢您的评价！"
    conv = alice.get(f"/conversations/{cid}").json()["conversation"]
    assert (conv["status"], conv["rating"]) == ("resolved", 5)
    assert alice.get(f"/tickets/{conv['ticket_id']}").json()["ticket"]["rating"] == 5


def _push_xml(f: WeChatFollower, msgtype: str, **fields: str) -> str:
    more = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items())
    return (f"<xml><ToUserName><![CDATA[{f.account}]]></ToUserName><FromUserName><![CDATA[{f.openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[{msgtype}]]></MsgType>{more}"
            f"<MsgId>{random.randint(10**18, 10**19 - 1)}</MsgId></xml>")


def test_a_picture_a_place_and_a_voice_message_reach_the_transcript_and_a_heard_voice_is_answered(settings, channels_hub, wechat_api):
    """A follower sends a picture of the damaged parcel: the transcript keeps its address and MediaId, and the follower
    is offered an agent (a menu message: one tap) rather than told to type. A place keeps its name and coordinates.
    A voice message WeChat heard ("Recognition") is answered like the same words typed."""
    f = follower(channels_hub)
    resp = f.push(_push_xml(f, "image", PicUrl="http://mmbiz.qpic.cn/mmbiz_jpg/parcel/0", MediaId="media-parcel-1"), encrypted=True)
    assert resp.status_code == 200
    offer = wechat_api.wait_for(lambda: wechat_api.messages_to(f.openid))[0]
    assert offer["msgtype"] == "msgmenu" and "人工客服可以查看" in offer["msgmenu"]["head_content"], offer
    assert [c["content"] for c in offer["msgmenu"]["list"]] == ["转人工客服查看"]
    f.push(_push_xml(f, "location", Location_X="23.134521", Location_Y="113.358803", Scale="20", Label="广州市天河区天河路"), encrypted=True)
    heard = f.push(_push_xml(f, "voice", MediaId="media-voice-1", Format="amr", Recognition="退货运费谁出？"), encrypted=True)
    # in the passive reply, or through the API when the place's notice is still on its way (replies keep their order)
    answer = f.reply_text(heard) or wechat_api.wait_for(lambda: [m["text"]["content"] for m in wechat_api.messages_to(f.openid)
                                                                 if m["msgtype"] == "text" and "运费" in m["text"]["content"]])[0]
    assert "运费" in answer, answer
    cid = conversation_of(settings, "wechat", f.openid)
    lines = [json.loads(m[1]["m"]) for m in sync_client(settings).xrange(Keys(settings.key_prefix).transcript(cid))]
    customer = [m for m in lines if m["sender"] == "customer"]
    assert [m["text"] for m in customer] == ["[image] http://mmbiz.qpic.cn/mmbiz_jpg/parcel/0", "[location] 广州市天河区天河路 (23.134521, 113.358803)",
                                             "[voice]", "退货运费谁出？"], customer
    assert customer[0]["meta"]["media"]["media_id"] == "media-parcel-1" and customer[2]["meta"]["media"]["media_id"] == "media-voice-1"


def test_unfollowing_the_account_is_a_line_for_the_agent_in_the_open_conversation(settings, hub, agents, supervisor, channels_hub, wechat_api):
    """A follower who unfollows can no longer be written to. The agent learned it only when a reply failed; now the
    open conversation says so at once (an internal line, in the conversation's language: never sent to the customer),
    once however often WeChat sends the event, and an unfollow with no conversation opens none."""
    f = follower(channels_hub)
    assert "转接人工" in f.reply_text(f.push(f.text_xml("我要转人工")[0], encrypted=True))
    cid = conversation_of(settings, "wechat", f.openid)
    params, body = f.request(f.event_xml("unsubscribe"), encrypted=True)
    assert f.send(params, body).text == "success"
    sue = AgentClient(hub, supervisor)  # whoever holds the chat (push assignment): a supervisor reads it
    lines = [m for m in sue.get(f"/conversations/{cid}").json()["messages"] if m["meta"].get("kind") == "unfollowed"]
    assert [(m["sender"], m["text"]) for m in lines] == [("system", "顾客已取消关注公众号：回复将无法再送达对方。")]
    assert f.send(params, body).text == "success"  # WeChat's retry: the same request again, not said twice
    assert len([m for m in sue.get(f"/conversations/{cid}").json()["messages"] if m["meta"].get("kind") == "unfollowed"]) == 1
    assert lines[0]["id"] not in sue.get(f"/conversations/{cid}/deliveries").json()  # never queued for the customer
    assert not [m for m in wechat_api.messages_to(f.openid) if "取消关注" in json.dumps(m, ensure_ascii=False)]

    stranger = follower(channels_hub)
    assert stranger.push(stranger.event_xml("unsubscribe"), encrypted=True).text == "success"
    assert sync_client(settings).get(Keys(settings.key_prefix).channel_conversation("wechat", stranger.openid)) is None
