"""The channels this deployment has: each one whose credentials are in the settings, built once per hub worker."""

from __future__ import annotations

import redis.asyncio as aioredis

from bot.channels.base import Channel
from bot.channels.telegram import WEBHOOK_PATH, TelegramChannel, webhook_secret
from bot.channels.wechat import WeChatChannel
from core.redis import Keys
from core.settings import Settings


def configured_channels(settings: Settings, client: aioredis.Redis, keys: Keys) -> dict[str, Channel]:
    """Telegram with a bot token; WeChat with an AppID, AppSecret and Token (the EncodingAESKey only for safe mode)."""
    channels: dict[str, Channel] = {}
    s = settings
    if s.telegram_bot_token and s.telegram_bot_token.get_secret_value():
        token = s.telegram_bot_token.get_secret_value()
        secret = webhook_secret(token, s.telegram_webhook_secret.get_secret_value() if s.telegram_webhook_secret else None)
        channels["telegram"] = TelegramChannel(token, s.telegram_api_base, secret=secret, poll_timeout=s.telegram_poll_timeout_seconds)
    if s.wechat_app_id and s.wechat_app_secret and s.wechat_token:
        aes_key = s.wechat_encoding_aes_key.get_secret_value() if s.wechat_encoding_aes_key else None
        channels["wechat"] = WeChatChannel(
            s.wechat_app_id, s.wechat_app_secret.get_secret_value(), s.wechat_token.get_secret_value(), aes_key, s.wechat_api_base, client, keys,
            reply_window_seconds=s.wechat_reply_window_hours * 3600, refresh_margin_seconds=s.wechat_token_refresh_margin_seconds,
            menu=s.wechat_menu,
        )
    return channels


def telegram_webhook_url(settings: Settings) -> str | None:
    """Where Telegram should push updates: configured, or the hub's public URL plus the webhook path."""
    if settings.telegram_webhook_url:
        return settings.telegram_webhook_url
    return f"{settings.public_url.rstrip('/')}{WEBHOOK_PATH}" if settings.public_url else None
