"""Fixtures for the messaging-channel tests: the platforms' stand-ins, and hub workers configured to use them.

The session's own hub has no channels (the other suites run as before); a
channel hub is an extra hub worker on the same stack (Redis, Rasa, the action
server), configured like an operator's ``.env`` would, with its API base URLs
pointing at the local stand-ins.
"""

from __future__ import annotations

import contextlib
import json
import subprocess

import pytest

from tests.clients import ROOT, start_hub
from tests.standins import TelegramApi, WeChatApi

TELEGRAM_TOKEN = "7012345678:AAH-test_tokenDoNotLog0123456789abcd"
# The values of WeChat's own encryption sample (WXBizMsgCrypt Sample.py): token, EncodingAESKey, AppID.
WECHAT_TOKEN = "spamtest"
WECHAT_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
WECHAT_APP_ID = "wx2c2769f8efd9abc2"
WECHAT_APP_SECRET = "test-app-secret-do-not-log"
PUBLIC_WEBHOOK = "https://support.shop.example/api/channels/telegram/webhook"
# The shop's own custom-menu keys (CS_WECHAT_MENU), as an operator writes them: one read as a question, one a person.
WECHAT_MENU = {"V1001_SHIPPING_FEE": "运费怎么算？", "V1002_CONTACT_US": "human"}


def channel_env(telegram: TelegramApi, wechat: WeChatApi, **extra: str) -> dict[str, str]:
    return {
        "CS_TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "CS_TELEGRAM_API_BASE": telegram.url, "CS_TELEGRAM_MODE": "webhook",
        "CS_TELEGRAM_WEBHOOK_URL": PUBLIC_WEBHOOK,
        "CS_WECHAT_APP_ID": WECHAT_APP_ID, "CS_WECHAT_APP_SECRET": WECHAT_APP_SECRET, "CS_WECHAT_TOKEN": WECHAT_TOKEN,
        "CS_WECHAT_ENCODING_AES_KEY": WECHAT_AES_KEY, "CS_WECHAT_API_BASE": wechat.url, "CS_WECHAT_MENU": json.dumps(WECHAT_MENU, ensure_ascii=False),
        "CS_OUTBOX_BACKOFF_SECONDS": "0.5", "CS_OUTBOX_BACKOFF_MAX_SECONDS": "2",
        **extra,
    }


@contextlib.contextmanager
def channel_hub(settings, telegram: TelegramApi, wechat: WeChatApi, *, rasa_port: int | None = None, name: str = "channel-hub", **extra: str):
    """A hub worker with both channels; yields its URL. Its output goes to ``<var>/logs/<name>.log``."""
    log = settings.var_dir / "logs" / f"{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    proc, url = start_hub(rasa_port or settings.rasa_port, 15, log=log, **channel_env(telegram, wechat, **extra))
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def telegram_api():
    with TelegramApi(TELEGRAM_TOKEN) as api:
        yield api


@pytest.fixture(scope="session")
def wechat_api():
    with WeChatApi(WECHAT_APP_ID, WECHAT_APP_SECRET) as api:
        yield api


@pytest.fixture(scope="session")
def channels_hub(stack, settings, telegram_api, wechat_api):
    """The session's channel hub (Telegram in webhook mode, WeChat in safe mode)."""
    with channel_hub(settings, telegram_api, wechat_api) as url:
        yield url


@pytest.fixture(scope="session")
def telegram_secret(channels_hub, telegram_api) -> str:
    """The secret_token the hub gave Telegram in setWebhook (Telegram sends it back with every update)."""
    hook = telegram_api.wait_for(lambda: telegram_api.webhooks[-1] if telegram_api.webhooks else None)
    assert hook["url"] == PUBLIC_WEBHOOK
    return hook["secret_token"]


__all__ = ["ROOT", "TELEGRAM_TOKEN", "WECHAT_AES_KEY", "WECHAT_APP_ID", "WECHAT_APP_SECRET", "WECHAT_MENU", "WECHAT_TOKEN", "channel_hub"]
