"""The channel adapters' pure parts, without servers: WeChat's documented vectors, Telegram updates, rendering, choices."""

from __future__ import annotations

import hashlib

import pytest
from wechatpy.exceptions import InvalidSignatureException

from bot.channels.base import Outbound, choice_data, language_of, plain_text, rating_data, read_choice, read_vote, vote_data
from bot.channels.media import content_disposition_name, safe_filename, sniff
from bot.channels.telegram import TelegramChannel, split_text, webhook_secret
from bot.channels.wechat import InvalidPush, WeChatChannel, render_text, split_bytes
from core.redis import Keys
from handoff.models import Message

# WeChat's message-encryption sample (WXBizMsgCrypt, Sample.py): credentials, a push and its msg_signature.
TOKEN, AES_KEY, APP_ID = "spamtest", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx2c2769f8efd9abc2"
TIMESTAMP, NONCE, MSG_SIGNATURE = "1409735669", "1320562132", "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
ENCRYPTED = ("hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=")
PUSH = f"<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><Encrypt><![CDATA[{ENCRYPTED}]]></Encrypt></xml>"


@pytest.fixture
def wechat() -> WeChatChannel:
    return WeChatChannel(APP_ID, "secret", TOKEN, AES_KEY, "http://127.0.0.1:9", None, Keys("t"), reply_window_seconds=48 * 3600, refresh_margin_seconds=300)


def test_wechats_documented_sample_push_decrypts_to_its_text_message(wechat):
    xml = wechat.open(PUSH.encode(), encrypted=True, msg_signature=MSG_SIGNATURE, timestamp=TIMESTAMP, nonce=NONCE)
    inbound = wechat.parse(xml)
    assert (inbound.kind, inbound.text, inbound.user_id, inbound.event_id) == ("message", "abcdteT", "oyORnuP8q7ou2gfYjqLzSIWZf0rs", "msg:6054768590064713728")
    assert wechat.account(xml) == "gh_10f6c3c3ac5a"


def test_a_tampered_msg_signature_or_body_is_refused_and_garbage_is_malformed(wechat):
    with pytest.raises(InvalidSignatureException):
        wechat.open(PUSH.encode(), encrypted=True, msg_signature="0" * 40, timestamp=TIMESTAMP, nonce=NONCE)
    with pytest.raises(InvalidSignatureException):
        wechat.open(PUSH.replace("hyzAe", "hyzAf").encode(), encrypted=True, msg_signature=MSG_SIGNATURE, timestamp=TIMESTAMP, nonce=NONCE)
    for body in (b"<xml><unclosed></xml>", b"not xml at all", b"<other/>", "<xml>\udcff</xml>".encode("utf-8", "surrogatepass")):
        with pytest.raises(InvalidPush):
            wechat.open(body, encrypted=False, msg_signature="", timestamp=TIMESTAMP, nonce=NONCE)


def test_the_url_signature_is_sha1_of_the_sorted_token_timestamp_and_nonce(wechat):
    good = hashlib.sha1("".join(sorted([TOKEN, TIMESTAMP, NONCE])).encode()).hexdigest()
    assert wechat.signed(good, TIMESTAMP, NONCE)
    assert not wechat.signed(good, TIMESTAMP, "1320562133")
    assert not wechat.signed("", TIMESTAMP, NONCE)


def test_a_passive_reply_is_encrypted_back_for_the_follower(wechat):
    body = wechat.reply("oyORnuP8q7ou2gfYjqLzSIWZf0rs", "gh_10f6c3c3ac5a", [Outbound("运费满99元包邮")], encrypted=True, nonce=NONCE, timestamp=TIMESTAMP)
    assert "<Encrypt>" in body and "运费" not in body
    opened = wechat.crypto.decrypt_message(body, *[body.split(f"<{tag}>")[1].split(f"</{tag}>")[0].removeprefix("<![CDATA[").removesuffix("]]>")
                                                   for tag in ("MsgSignature", "TimeStamp", "Nonce")])
    assert "运费满99元包邮" in opened and "oyORnuP8q7ou2gfYjqLzSIWZf0rs" in opened
    assert wechat.reply("o", "gh", [Outbound("长" * 800)], encrypted=False, nonce=NONCE, timestamp=TIMESTAMP) is None  # too long: the API sends it


def test_wechat_events_and_menu_taps():
    channel = WeChatChannel(APP_ID, "s", TOKEN, None, "http://x", None, Keys("t"), reply_window_seconds=10, refresh_margin_seconds=1)
    sub = channel.parse("<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType><Event>subscribe</Event></xml>")
    assert (sub.kind, sub.payload, sub.event_id) == ("start", "/greet", "event:o1:1:subscribe:")
    click = channel.parse("<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>2</CreateTime><MsgType>event</MsgType><Event>CLICK</Event><EventKey>human</EventKey></xml>")
    assert click.payload == "/request_human"
    tap = channel.parse("<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>3</CreateTime><MsgType>text</MsgType><Content>★★★★★</Content>"
                        "<MsgId>7</MsgId><bizmsgmenuid>r:5</bizmsgmenuid></xml>")
    assert (tap.kind, read_choice(tap.choice)) == ("choice", 5)
    gone = channel.parse("<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>4</CreateTime><MsgType>event</MsgType><Event>unsubscribe</Event></xml>")
    assert (gone.kind, gone.address, gone.event_id) == ("unfollow", "o1", "event:o1:4:unsubscribe:")
    photo = channel.parse("<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>5</CreateTime><MsgType>image</MsgType><PicUrl>u</PicUrl><MsgId>9</MsgId><MediaId>m</MediaId></xml>")
    assert (photo.kind, photo.text, photo.media) == ("attachment", "", {"type": "image", "media_id": "m", "url": "u", "line": "[image] u"})
    assert channel.reply_window_closed(1.0) and not channel.reply_window_closed(0)
    for broken in ("<xml><FromUserName><a>o1</a></FromUserName><MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId></xml>",
                   "<xml><FromUserName>o1</FromUserName><MsgType><x/></MsgType></xml>",
                   "<xml><FromUserName>o1</FromUserName><MsgType>text</MsgType><Content><b>hi</b></Content><MsgId>1</MsgId></xml>",
                   "<xml><FromUserName>o1</FromUserName><MsgType>text</MsgType><Content>hi</Content><MsgId>abc</MsgId></xml>",
                   "<xml><FromUserName>o1</FromUserName><MsgType>event</MsgType><Event>CLICK</Event><EventKey><a/></EventKey></xml>"):
        with pytest.raises(InvalidPush):
            channel.parse(broken)


def test_choices_render_for_each_channel_and_come_back_as_what_was_offered():
    bot = Message(id="1700000000000-3", conversation_id="c", sender="bot", text="**您想问哪一个？**", ts=0,
                  meta={"buttons": [{"title": "运费怎么算？", "payload": '/faq{"faq_id":"shipping-fee"}'}, {"title": "都不是，转人工", "payload": "/request_human"}]})
    out = TelegramChannel("1:x", "http://x", secret="s").render(bot)
    assert out.text == "您想问哪一个？" and [c.title for c in out.choices] == ["运费怎么算？", "都不是，转人工"]
    assert [read_choice(c.data) for c in out.choices] == [("1700000000000-3", 0), ("1700000000000-3", 1)]
    assert all(len(c.data.encode()) <= 64 for c in out.choices)  # Telegram's callback_data limit
    rating = Message(id="1-1", conversation_id="c", sender="system", text="请为本次服务打分", ts=0, meta={"kind": "rating_request"})
    assert [read_choice(c.data) for c in TelegramChannel("1:x", "http://x", secret="s").render(rating).choices] == [1, 2, 3, 4, 5]
    assert 'msgmenuid=r:5">★★★★★</a>' in render_text(TelegramChannel("1:x", "http://x", secret="s").render(rating))
    assert read_choice("b:not-an-id:0") is None and read_choice(rating_data(6)) is None and read_choice(choice_data("1-2", 3)) == ("1-2", 3)
    # Twenty digits that are past Redis's 64 bits are no message id (Redis would refuse them with an error).
    assert read_choice(choice_data(f"{2**64}-0", 0)) is None and read_vote(vote_data(f"0-{2**64}", True)) is None
    assert read_vote(vote_data(f"{2**64 - 1}-0", False)) == (f"{2**64 - 1}-0", False)


def test_text_helpers():
    assert plain_text("**Free** over ¥99.\n\n- one\n- [two](https://x.y/z)") == "Free over ¥99.\n\n• one\n• two (https://x.y/z)"
    assert plain_text("实付满**¥99**包邮") == "实付满¥99包邮"
    assert language_of("zh-hans") == "zh" and language_of("en-US") == "en" and language_of(None) is None
    assert [len(p) for p in split_text("a" * 9000, 4096)] == [4096, 4096, 808]
    assert all(len(p.encode()) <= 2000 for p in split_bytes("运" * 1000, 2000)) and "".join(split_bytes("运" * 1000, 2000)) == "运" * 1000
    assert webhook_secret("1:x") == webhook_secret("1:x") != webhook_secret("1:y") and "1:x" not in webhook_secret("1:x")


def test_telegram_updates_become_what_the_customer_did():
    channel = TelegramChannel("1:x", "http://x", secret="s")
    user = {"id": 77, "is_bot": False, "first_name": "Li", "language_code": "zh-hans"}
    chat = {"id": 77, "type": "private"}
    msg = channel.parse(channel.update({"update_id": 1, "message": {"message_id": 5, "date": 1, "chat": chat, "from": user, "text": "运费怎么算"}}))
    assert (msg.kind, msg.address, msg.user_id, msg.language, msg.event_id) == ("message", "77", "77", "zh", "m:77:5")
    start = channel.parse(channel.update({"update_id": 2, "message": {"message_id": 6, "date": 1, "chat": chat, "from": user, "text": "/start"}}))
    assert (start.kind, start.payload) == ("start", "/greet")
    tap = channel.parse(channel.update({"update_id": 3, "callback_query": {"id": "99", "from": user, "chat_instance": "1", "data": "r:4",
                                                                           "message": {"message_id": 7, "date": 1, "chat": chat, "text": "rate"}}}))
    assert (tap.kind, tap.choice, tap.ack) == ("choice", "r:4", "99")
    group = {"id": -5, "type": "group", "title": "g"}
    assert channel.parse(channel.update({"update_id": 4, "message": {"message_id": 8, "date": 1, "chat": group, "from": user, "text": "hi"}})) is None
    with pytest.raises(ValueError):
        channel.update({"message": {}})


def test_retries_back_off_exponentially_and_honour_the_channels_retry_after():
    from bot.outbox import SendPolicy

    policy = SendPolicy(backoff_seconds=1, backoff_max_seconds=300)
    assert [policy.wait_before(n, None) for n in (1, 2, 3, 4, 12)] == [1, 2, 4, 8, 300]
    assert policy.wait_before(1, 30) == 30  # Telegram's 429 retry_after, WeChat's quota wait


def test_the_shops_menu_keys_are_read_as_configured():
    menu = {"V1001_FEE": "运费怎么算？", "V1002_US": "human", "V1003_GREET": "/greet", "human": "我想咨询一下"}
    channel = WeChatChannel(APP_ID, "s", TOKEN, None, "http://x", None, Keys("t"), reply_window_seconds=10, refresh_margin_seconds=1, menu=menu)
    click = lambda key: channel.parse("<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>2</CreateTime><MsgType>event</MsgType>"
                                      f"<Event>CLICK</Event><EventKey>{key}</EventKey></xml>")
    assert (click("V1001_FEE").kind, click("V1001_FEE").text, click("V1001_FEE").payload) == ("message", "运费怎么算？", "")
    assert click("V1002_US").payload == "/request_human" and click("V1003_GREET").payload == "/greet"
    assert (click("human").text, click("human").payload) == ("我想咨询一下", "")  # the shop's meaning wins over the built-in one
    assert click("agent").payload == "/request_human" and click("/request_human").payload == "/request_human"  # built-ins still work
    unknown = click("V9_SALE")
    assert (unknown.kind, unknown.text, unknown.payload) == ("unmapped_menu", "[菜单] V9_SALE", "")


@pytest.mark.parametrize("menu", [{"": "x"}, {"K": " "}, {"K" * 129: "x"}, {" K": "x"}])
def test_a_menu_key_wechat_cannot_send_or_a_button_that_says_nothing_is_refused(menu):
    from pydantic import ValidationError

    from core.settings import Settings

    with pytest.raises(ValidationError, match="wechat_menu"):
        Settings(wechat_menu=menu)


def test_only_the_first_bytes_of_a_known_image_make_an_attachment_inline():
    assert sniff(b"\x89PNG\r\n\x1a\n" + b"\0" * 8) == "image/png"
    assert sniff(b"\xff\xd8\xff\xe0" + b"\0" * 12) == "image/jpeg"
    assert sniff(b"GIF89a" + b"\0" * 10) == "image/gif"
    assert sniff(b"RIFF\x24\0\0\0WEBPVP8 ") == "image/webp"
    for other in (b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>", b"<html><script>", b"%PDF-1.7", b"", b"\xff\xd8"):
        assert sniff(other) is None, other


def test_a_download_is_named_safely_in_any_language():
    assert safe_filename("../../etc/passwd", "x") == "passwd"
    assert safe_filename('C:\\Users\\a\\收据"\r\n.pdf', "x") == "收据.pdf"
    assert safe_filename(" .. ", "photo_1") == "photo_1"
    assert content_disposition_name("收据 5512.pdf") == "filename=\"___5512.pdf\"; filename*=UTF-8''%E6%94%B6%E6%8D%AE%205512.pdf"
