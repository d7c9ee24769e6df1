"""Customers on messaging apps, as the platforms present them to the hub: Telegram updates and signed WeChat pushes.

``TelegramUser`` builds updates exactly as the Bot API documents them and posts
them to the webhook with the ``X-Telegram-Bot-Api-Secret-Token`` header (or
queues them on the stand-in for long polling). ``WeChatFollower`` posts
message pushes as WeChat's server does: XML, the query signature (sha1 of the
sorted token, timestamp and nonce), and in safe mode the AES-encrypted body
with ``msg_signature`` (encrypted with wechatpy, the way WeChat's sample code does).
"""

from __future__ import annotations

import hashlib
import itertools
import random
import secrets
import time

import httpx
import xmltodict
from wechatpy.crypto import WeChatCrypto

_ids = itertools.count(int(time.time()) % 100000 * 1000)


class TelegramUser:
    def __init__(self, hub_url: str, secret: str, *, language_code: str = "zh-hans", name: str = "李雷") -> None:
        self.hub = httpx.Client(base_url=hub_url, timeout=60)
        self.secret = secret
        self.user_id = random.randint(10**8, 10**9)
        self.user = {"id": self.user_id, "is_bot": False, "first_name": name, "language_code": language_code}
        self.chat = {"id": self.user_id, "type": "private", "first_name": name}
        self.update_id = random.randint(10**6, 10**7)

    def message_update(self, text: str) -> dict:
        self.update_id += 1
        return {"update_id": self.update_id, "message": {"message_id": next(_ids), "date": int(time.time()), "chat": self.chat, "from": self.user, "text": text}}

    def tap_update(self, bot_message: dict, data: str) -> dict:
        """Tapping an inline keyboard button of ``bot_message`` (the message as sendMessage returned it)."""
        self.update_id += 1
        return {"update_id": self.update_id, "callback_query": {"id": str(next(_ids)), "from": self.user, "message": bot_message,
                                                                 "chat_instance": "-1234567890", "data": data}}

    def post(self, update: dict, secret: str | None = None) -> httpx.Response:
        return self.hub.post("/api/channels/telegram/webhook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret if secret is not None else self.secret})

    def say(self, text: str) -> dict:
        update = self.message_update(text)
        resp = self.post(update)
        assert resp.status_code == 200, resp.text
        return update

    def tap(self, bot_message: dict, data: str) -> dict:
        update = self.tap_update(bot_message, data)
        resp = self.post(update)
        assert resp.status_code == 200, resp.text
        return update


def wechat_signature(*parts: str) -> str:
    """WeChat's signature: sha1 of the parts sorted and joined (documented in its "接入指南")."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


class WeChatFollower:
    def __init__(self, hub_url: str, token: str, *, app_id: str, aes_key: str | None = None, account: str = "gh_10f6c3c3ac5a") -> None:
        self.hub = httpx.Client(base_url=hub_url, timeout=60)
        self.token = token
        self.crypto = WeChatCrypto(token, aes_key, app_id) if aes_key else None
        self.openid = "o" + secrets.token_urlsafe(20)[:27]
        self.account = account

    def text_xml(self, text: str, msg_id: int | None = None, **extra: str) -> tuple[str, int]:
        msg_id = msg_id or random.randint(10**18, 10**19 - 1)
        more = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in extra.items())
        xml = (f"<xml><ToUserName><![CDATA[{self.account}]]></ToUserName><FromUserName><![CDATA[{self.openid}]]></FromUserName>"
               f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{text}]]></Content>"
               f"<MsgId>{msg_id}</MsgId>{more}</xml>")
        return xml, msg_id

    def event_xml(self, event: str, key: str = "") -> str:
        return (f"<xml><ToUserName><![CDATA[{self.account}]]></ToUserName><FromUserName><![CDATA[{self.openid}]]></FromUserName>"
                f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event>"
                f"<EventKey><![CDATA[{key}]]></EventKey></xml>")

    def push(self, xml: str, *, encrypted: bool = False, signature: str | None = None, timestamp: int | None = None) -> httpx.Response:
        return self.send(*self.request(xml, encrypted=encrypted, signature=signature, timestamp=timestamp))

    def request(self, xml: str, *, encrypted: bool = False, signature: str | None = None, timestamp: int | None = None) -> tuple[dict, bytes]:
        """The query and body WeChat's server posts for ``xml`` (a fresh nonce; sealed with AES in safe mode)."""
        timestamp = str(timestamp or int(time.time()))
        nonce = str(random.randint(10**8, 10**9))
        params = {"signature": signature or wechat_signature(self.token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce, "openid": self.openid}
        body = xml
        if encrypted:
            sealed = xmltodict.parse(self.crypto.encrypt_message(xml, nonce, timestamp))["xml"]
            body = f"<xml><ToUserName><![CDATA[{self.account}]]></ToUserName><Encrypt><![CDATA[{sealed['Encrypt']}]]></Encrypt></xml>"
            params.update(encrypt_type="aes", msg_signature=sealed["MsgSignature"])
        return params, body.encode()

    def send(self, params: dict, body: bytes) -> httpx.Response:
        """Post a push exactly as given (a captured one sent again is a replay)."""
        return self.hub.post("/api/channels/wechat", params=params, content=body, headers={"content-type": "text/xml"})

    def reply_text(self, resp: httpx.Response) -> str:
        """The text of a passive reply (decrypted in safe mode); "" for ``success``."""
        if resp.text == "success" or not resp.text:
            return ""
        data = xmltodict.parse(resp.text)["xml"]
        if "Encrypt" in data:
            inner = self.crypto.decrypt_message(resp.text, data["MsgSignature"], data["TimeStamp"], data["Nonce"])
            data = xmltodict.parse(inner)["xml"]
        assert data["ToUserName"] == self.openid and data["FromUserName"] == self.account and data["MsgType"] == "text"
        return data["Content"]
