"""What the messaging channels themselves say to customers, in their language (the service's notices are in ``handoff/notices.py``)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "choice_expired": {
        "en": "That choice is no longer available. Please type your question.",
        "zh": "该选项已失效，请直接输入您的问题。",
    },
    "helpful": {"en": "👍 Helpful", "zh": "👍 有帮助"},
    "not_helpful": {"en": "👎 Not helpful", "zh": "👎 没帮助"},
    "vote_thanks": {"en": "Thanks for the feedback", "zh": "感谢您的反馈"},
    "slow_down": {
        "en": "You're sending messages faster than we can read them. We'll read the ones you just sent in a moment, in order: no need to send them again.",
        "zh": "您发送消息的速度有点快。刚才的消息我们稍后会按顺序处理，无需重复发送。",
    },
    "media_for_agent": {
        "en": "I can't open photos, voice messages or files myself, but our agents can. Tell me in a few words what it's about, "
              "or tap below and an agent will look at it.",
        "zh": "抱歉，我暂时看不了图片、语音和文件，但人工客服可以查看。您可以用文字简单描述一下问题，或点击下方转人工，由客服为您查看。",
    },
    "to_agent": {"en": "Show it to an agent", "zh": "转人工客服查看"},
    "text_only": {
        "en": "Sorry, I can only read text messages here. Please type your question.",
        "zh": "抱歉，这里暂时只能处理文字消息，请直接输入您的问题。",
    },
    "menu_unmapped": {  # a WeChat custom-menu button the shop gave no meaning (Settings.wechat_menu)
        "en": "Sorry, that menu button doesn't do anything yet. Please type your question, or tap below to talk to an agent.",
        "zh": "抱歉，该菜单功能暂未开通。请直接输入您的问题，或点击下方转人工客服。",
    },
    "menu_to_agent": {"en": "Talk to an agent", "zh": "转人工客服"},
    "private_only": {
        "en": "Hi! I can only help in a private chat, so your order details stay between us. Please tap my name and send me a message there.",
        "zh": "您好！为保护您的订单和个人信息，我只在私聊中提供服务。请点击我的头像，在私聊中给我发消息。",
    },
}
RATING_TITLES = ("★", "★★", "★★★", "★★★★", "★★★★★")


def channel_say(key: str, language: str) -> str:
    variants = TEXTS[key]
    return variants.get(language, variants["en"])
