"""System notices: what the service itself says to customers, in their language (the bot's own words live in domain.yml)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "queued": {
        "en": "Your ticket {ticket} is with our team. You're number {position} in the queue for a human agent. Estimated wait: about {minutes} min. You can keep typing; the agent will see everything.",
        "zh": "您的工单 {ticket} 已转交人工客服。您目前排在第 {position} 位，预计等待约 {minutes} 分钟。您可以继续留言，客服接入后会看到全部记录。",
    },
    "queued_now": {
        "en": "Your ticket {ticket} is with our team. An agent will be with you in a moment; they'll see everything you wrote.",
        "zh": "您的工单 {ticket} 已转交人工客服，客服马上为您服务，您之前的留言对方都能看到。",
    },
    "queued_nobody_online": {
        "en": "Your ticket {ticket} is with our team, but no agent is available right now{back}. Leave your phone number or e-mail and your question here: we will answer in this chat as soon as someone is back.",
        "zh": "您的工单 {ticket} 已转交人工客服，但目前没有客服在线{back}。请留下您的手机号或邮箱以及您的问题，客服上线后会在这里第一时间回复您。",
    },
    "back_at": {
        "en": " (we're back {when})",
        "zh": "（客服将于 {when} 上线）",
    },
    "contact_saved": {
        "en": "Thank you. We'll answer here, and can reach you at {contact}.",
        "zh": "谢谢！我们会在这里回复您，也可以通过 {contact} 联系您。",
    },
    "welcome_after_resolved": {
        "en": "You're welcome! If anything else comes up, just write here.",
        "zh": "不客气！如果还有其他问题，随时在这里留言。",
    },
    "requeued": {
        "en": "{agent} had to step away. We're connecting you to another agent; they'll see the whole conversation.",
        "zh": "{agent} 暂时离开，正在为您转接其他客服，对方可以看到全部对话记录。",
    },
    "stepped_away": {  # before what a hand-over is told now, when nobody can take the chat at once
        "en": "{agent} had to step away. ",
        "zh": "{agent} 暂时离开。",
    },
    "ticket_reopened": {
        "en": "We've reopened your ticket {ticket}. An agent will be with you shortly.",
        "zh": "已为您重新打开工单 {ticket}，客服会尽快为您服务。",
    },
    "bot_unavailable": {
        "en": "Sorry, our assistant is having trouble right now. I'm passing your message to a human agent.",
        "zh": "抱歉，智能助手暂时出现故障，已为您转接人工客服。",
    },
    "long_message": {  # a messaging channel's message over the web chat's limit (max_message_chars): kept whole, read by a person
        "en": "Your message is long, so I've passed it to a human agent, who will read all of it.",
        "zh": "您的消息内容较长，已为您转交人工客服，客服会完整阅读。",
    },
    "unfollowed": {  # for the agent (an internal line): a WeChat follower unfollowed the official account
        "en": "The customer unfollowed the WeChat account: replies can no longer reach them.",
        "zh": "顾客已取消关注公众号：回复将无法再送达对方。",
    },
    "assigned": {
        "en": "{agent} has joined the conversation.",
        "zh": "{agent} 已接入，为您服务。",
    },
    "transferred": {
        "en": "You've been transferred to {agent}.",
        "zh": "已为您转接给{agent}。",
    },
    "resolved": {
        "en": "This conversation has been marked as resolved. How would you rate the help you got, from 1 (poor) to 5 (excellent)?",
        "zh": "本次服务已结束。请为本次服务打分：1（很差）到 5（非常满意）。",
    },
    "handed_back": {
        "en": "You're back with the virtual assistant. Ask me anything, or ask for a person again at any time.",
        "zh": "已为您切换回智能助手，有问题可以继续问我，也可以随时转人工。",
    },
    "queue_left": {
        "en": "You've left the queue. I'm here if you need anything else.",
        "zh": "您已退出排队，还有其他问题可以继续问我。",
    },
    "not_helpful_alternatives": {
        "en": "Sorry that didn't help. Is your question one of these?",
        "zh": "抱歉没能帮到您。您想问的是下面哪个问题？",
    },
    "not_helpful_person": {
        "en": "Sorry that didn't help. Would you like to talk to a person?",
        "zh": "抱歉没能帮到您。需要为您转接人工客服吗？",
    },
    # The last choice of every set of choices the bot offers.
    "choice_person": {
        "en": "None of these, talk to a person",
        "zh": "都不是，转人工",
    },
    "rating_thanks": {
        "en": "Thank you for your feedback!",
        "zh": "感谢您的评价！",
    },
}


# How a notice names the agent, by language: Chinese puts the word for "agent" before the name ("客服 小李"), unless
# the display name already starts with it: an agent named "客服小李" was announced as "客服 客服小李 已接入".
# English notices use the bare name ("Agent Li has joined"), so no title is added there and none can double.
AGENT_TITLE: dict[str, str] = {"zh": "客服"}


def agent_called(name: str, language: str) -> str:
    """The agent as a notice in ``language`` names them: their display name with the language's title, said once."""
    title = AGENT_TITLE.get(language)
    if not title or name.strip().startswith(title):
        return name
    return f"{title} {name}"


def say(key: str, language: str, **values: object) -> str:
    """A notice in the customer's language; an ``agent`` value is the display name, titled by ``agent_called``."""
    variants = TEXTS[key]
    if isinstance(values.get("agent"), str):
        values["agent"] = agent_called(values["agent"], language)
    return variants.get(language, variants["en"]).format(**values)
