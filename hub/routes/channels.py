"""Messaging channels over HTTP: the webhooks Telegram and WeChat push to, and each line's delivery for the console.

The webhooks refuse what is not theirs before reading it: a wrong secret or
signature is a 403, a WeChat body that is not its XML a 400, a WeChat push
whose timestamp is too old a 403, and so is a plaintext one when safe mode is
configured (its body is signed by nothing) unless ``CS_WECHAT_ALLOW_PLAINTEXT``.
A push taken in before (a replay, or WeChat's retry) is answered ``success``
and does nothing. A Telegram update the bot cannot
read is answered 200 and logged (Telegram sends an update again until it gets
a 2xx, holding back the ones after it), except one whose ids Telegram never
sends (a chat id that is not an integer): a 400. A verified message
is stored before the webhook answers (Redis away: 503, and the channel sends
it again); its replies go out through the outbox (``bot/outbox.py``), or, for
WeChat when the bot is fast, in the webhook's answer itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse, Response
from wechatpy.exceptions import InvalidSignatureException

from bot.channels.telegram import InvalidUpdate, TelegramChannel, receive_update
from bot.channels.wechat import InvalidPush, WeChatChannel
from bot.outbox import Delivery, announce
from core.errors import NotAllowed
from hub.deps import ChatStaff, ConversationId, Svc, may_read
from hub.middleware.metrics import arrived
from hub.services import Services
from hub.visibility import deliveries_for

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/channels", tags=["channels"])
agent_router = APIRouter(prefix="/api/agent", tags=["agent"])
SUCCESS = "success"  # what WeChat expects when there is no passive reply


def _channel(services: Services, name: str, kind: type):
    channel = services.channels.get(name)
    if not isinstance(channel, kind):
        raise HTTPException(404, f"the {name} channel is not configured on this hub")
    return channel


@router.post("/telegram/webhook", summary="Telegram pushes updates here (setWebhook with secret_token)")
async def telegram_webhook(request: Request, services: Svc,
                           x_telegram_bot_api_secret_token: Annotated[str | None, Header()] = None) -> dict:
    channel: TelegramChannel = _channel(services, "telegram", TelegramChannel)
    if not channel.verify(x_telegram_bot_api_secret_token):
        raise HTTPException(403, "wrong or missing X-Telegram-Bot-Api-Secret-Token")
    try:
        update = channel.update(json.loads(await request.body()))
    except ValueError as exc:  # broken JSON (JSONDecodeError), not an update: a non-2xx would only make Telegram send it again
        log.warning("telegram: ignored update: %s", exc)
        return {"ok": True}
    try:
        await receive_update(channel, services.gateway, update)
    except InvalidUpdate as exc:
        raise HTTPException(400, f"not a Telegram update: {exc}") from None
    return {"ok": True}


@router.get("/wechat", response_class=PlainTextResponse, summary="WeChat's URL check (服务器配置): echoes echostr when the signature is right")
async def wechat_check(services: Svc, signature: str = Query("", max_length=64), timestamp: str = Query("", max_length=20),
                       nonce: str = Query("", max_length=64), echostr: str = Query("", max_length=512)) -> str:
    channel: WeChatChannel = _channel(services, "wechat", WeChatChannel)
    if not channel.signed(signature, timestamp, nonce):
        raise HTTPException(403, "wrong signature")
    return echostr


@router.post("/wechat", summary="WeChat pushes messages and events here (plaintext, compatible or safe mode)")
async def wechat_push(request: Request, services: Svc, signature: str = Query("", max_length=64), timestamp: str = Query("", max_length=20),
                      nonce: str = Query("", max_length=64), encrypt_type: str = Query("", max_length=10),
                      msg_signature: str = Query("", max_length=64)) -> Response:
    s = services.settings
    # WeChat waits 5 s from sending: the passive reply's deadline counts from the push's arrival, not from this handler or the bot.
    deadline = arrived(request.scope) + s.wechat_passive_reply_deadline_seconds
    channel: WeChatChannel = _channel(services, "wechat", WeChatChannel)
    if not channel.signed(signature, timestamp, nonce):
        raise HTTPException(403, "wrong signature")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > s.channel_replay_window_seconds:
        raise HTTPException(403, "the push is too old (a replay?)")
    encrypted = encrypt_type == "aes"
    if channel.crypto is not None and not encrypted and not s.wechat_allow_plaintext:
        raise HTTPException(403, "a plaintext push, but an EncodingAESKey is configured: WeChat seals pushes in compatible and safe mode "
                                 "(set CS_WECHAT_ALLOW_PLAINTEXT=true only while switching the account from plaintext mode)")
    body = await request.body()
    digest = channel.push_digest(signature, timestamp, nonce, body)
    if await channel.handled_before(digest):
        return PlainTextResponse(SUCCESS)  # a replay (or a retry of what was taken in): nothing happens twice
    try:
        xml = channel.open(body, encrypted=encrypted, msg_signature=msg_signature, timestamp=timestamp, nonce=nonce)
        inbound = channel.parse(xml)
    except InvalidSignatureException:
        raise HTTPException(403, "wrong msg_signature") from None
    except InvalidPush as exc:
        raise HTTPException(400, str(exc)) from None
    if inbound is None:
        return PlainTextResponse(SUCCESS)
    # Replies appended before the deadline wait for the passive reply; past it the outbox sends them.
    receipt = await services.gateway.receive(channel, inbound, hold_until=time.time() + max(0.0, deadline - time.monotonic()))
    await channel.remember(digest, window_seconds=s.channel_replay_window_seconds)
    if receipt.duplicate or receipt.turn is None or receipt.conversation is None:
        if receipt.conversation is not None:
            await services.outbox.unhold(receipt.conversation.id)  # what it said (a slow-down notice) goes at once
        return PlainTextResponse(SUCCESS)  # a retry (answered, or being answered, already), a tap, or kept over the limits
    cid = receipt.conversation.id
    done, _ = await asyncio.wait({receipt.turn}, timeout=max(0.0, deadline - time.monotonic()))
    outcome = receipt.turn.result() if done and receipt.turn.exception() is None else None
    reply = None
    if outcome is not None and outcome.ids:
        replies = await services.orchestrator.replies(cid, outcome)
        reply = channel.reply(inbound.address, channel.account(xml), [channel.render(m) for m in replies], encrypted=encrypted, nonce=nonce, timestamp=timestamp)
    # Past the deadline WeChat has given up on this request (and would show the customer an error): "success", and the API sends it.
    if reply is None or time.monotonic() > deadline or not await services.outbox.claim(cid, outcome.ids, "passive_reply"):
        await services.outbox.unhold(cid)
        return PlainTextResponse(SUCCESS)
    for mid in outcome.ids:
        delivery = await services.outbox.delivery(cid, mid)
        if delivery:
            await announce(services.conversations, cid, mid, delivery)
    return Response(reply, media_type="application/xml")


@agent_router.get("/conversations/{cid}/deliveries", response_model=dict[str, Delivery],
                  summary="How each line reached the customer's messaging channel: message id -> delivered, retrying (with why) or failed")
async def deliveries(cid: ConversationId, me: ChatStaff, services: Svc) -> dict[str, Delivery]:
    conv = await services.conversations.require(cid)
    if not await may_read(services, me, conv):
        raise NotAllowed("this conversation is not yours")
    return deliveries_for(me, conv, await services.outbox.deliveries(cid))
