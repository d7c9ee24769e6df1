"""The simulated customers: a seeded, pure plan of what each one does and when.

Volumes follow the shape of a shop's day (quiet at night, peaks late morning
and evening) and week (busier at the weekend); the mix of what customers do
(ask the FAQ, ask something the bot cannot answer, ask for a person,
complain) and how the humans do (waits, first replies, transfers, ratings,
reopens, chats nobody took) gives every figure of the dashboard something to
show, including misses against the targets.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
HOUR_WEIGHTS = [1, 1, 0, 0, 0, 1, 2, 4, 6, 9, 11, 12, 9, 8, 9, 10, 9, 8, 8, 10, 12, 11, 7, 3]  # 0:00 .. 23:00
WEEKDAY_FACTOR = [1.0, 0.95, 0.9, 0.95, 1.05, 1.3, 1.25]  # Monday .. Sunday

# What the bot cannot answer (content gaps), in both languages.
UNKNOWN = {
    "en": ["do you sell concert tickets", "can you recommend a good restaurant nearby", "is there a student discount on laptops",
           "can I pay with bitcoin", "do you have a store in Berlin"],
    "zh": ["你们卖演唱会门票吗", "附近有什么好吃的餐厅", "笔记本电脑有学生优惠吗", "可以用比特币付款吗", "你们在北京有实体店吗"],
}
COMPLAINT_TAIL = {"en": " This is unacceptable, I want to complain.", "zh": "，太过分了，我要投诉"}
LOW_COMMENTS = {
    "en": ["waited too long for a reply", "the solution did not fix my problem", "slow response and I had to repeat myself",
           "the agent did not understand my problem", "still waiting for the refund"],
    "zh": ["回复太慢了", "问题没有解决", "等了很久才有人回复", "客服没理解我的问题", "退款还没到账，处理太慢"],
}
GOOD_COMMENTS = {"en": ["quick and helpful, thanks", "", "great service"], "zh": ["解决得很快，谢谢", "", "服务很好"]}
AGENT_REPLIES = {
    "en": ["Hello, I'm sorry about that. Let me check your order right away.", "I've looked into it and arranged a fix for you."],
    "zh": ["您好，非常抱歉给您带来不便，我马上为您查询。", "已为您处理好了，请留意短信通知。"],
}
# Complaint shares near the practice's example (product quality 30 %, service attitude 24 %, logistics 15 %, after-sales 12 %, ...).
CATEGORY_WEIGHTS = {"product_quality": 30, "service_attitude": 24, "logistics": 15, "after_sales": 12, "billing": 10, "other": 9}


@dataclass
class Step:
    at: float  # simulated time
    actor: str  # "customer" or the agent's username
    action: str  # start / say / vote / handoff / claim / reply / transfer / resolve / rate / cancel
    data: dict = field(default_factory=dict)


@dataclass
class SimulatedCustomer:
    start: float
    language: str
    channel: str
    tier: str
    kind: str  # faq / unknown / human / complaint
    steps: list[Step] = field(default_factory=list)


def _faq(language: str) -> list[str]:
    entries = json.loads((ROOT / "data" / "faq" / "starter.json").read_text(encoding="utf-8"))
    return [q for e in entries if e["language"] == language for q in [e["question"], *e["phrasings"][:2]]]


def _complaints(language: str) -> dict[str, list[str]]:
    data = json.loads((ROOT / "data" / "triage" / "train.json").read_text(encoding="utf-8"))
    return {cat: texts[language] for cat, texts in data.items() if not cat.startswith("_") and language in texts}


def day_starts(day: date, count: int, zone: ZoneInfo, rng: random.Random, until: float) -> list[float]:
    hours = rng.choices(range(24), weights=HOUR_WEIGHTS, k=count)
    out = []
    for hour in hours:
        ts = datetime.combine(day, time(hour), zone).timestamp() + rng.uniform(0, 3600)
        if ts < until:
            out.append(ts)
    return sorted(out)


def customers(first: date, days: int, per_day: int, agents: dict[str, list[str]], zone: ZoneInfo, seed: int, until: float) -> list[SimulatedCustomer]:
    """Every simulated customer of ``days`` days from ``first``; ``agents``: language -> usernames who take those chats."""
    rng = random.Random(seed)
    faq = {lang: _faq(lang) for lang in ("en", "zh")}
    complaints = {lang: _complaints(lang) for lang in ("en", "zh")}
    out = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        count = max(1, round(per_day * WEEKDAY_FACTOR[day.weekday()] * rng.uniform(0.85, 1.15)))
        for start in day_starts(day, count, zone, rng, until):
            out.append(_customer(start, rng, faq, complaints, agents))
    # Whatever the dates drew (8% of customers are VIPs), one escalated chat is a VIP's, so the dashboard shows the
    # VIP policy beside the others: on some days' draws no VIP asked for a person.
    escalating = [c for c in out if c.kind in ("human", "complaint")]
    if escalating and not any(c.tier == "vip" for c in escalating):
        escalating[0].tier = "vip"
    return out


def _customer(start: float, rng: random.Random, faq: dict, complaints: dict, agents: dict[str, list[str]]) -> SimulatedCustomer:
    language = rng.choices(["zh", "en"], weights=[6, 4])[0]
    channel = rng.choices(["web", "wechat", "telegram", "app"], weights=[55, 25, 10, 10])[0]
    tier = "vip" if rng.random() < 0.08 else "standard"
    kind = rng.choices(["faq", "unknown", "human", "complaint"], weights=[52, 10, 20, 18])[0]
    c = SimulatedCustomer(start, language, channel, tier, kind)
    t = start
    c.steps.append(Step(t, "customer", "start"))
    t += rng.uniform(5, 40)
    if kind in ("faq", "human"):
        for _ in range(rng.choice([1, 1, 2])):
            c.steps.append(Step(t, "customer", "say", {"text": rng.choice(faq[language])}))
            t += rng.uniform(15, 90)
            vote = rng.random()
            if vote < 0.3:
                c.steps.append(Step(t, "customer", "vote", {"helpful": True}))
            elif vote < 0.38:
                c.steps.append(Step(t, "customer", "vote", {"helpful": False}))
            t += rng.uniform(5, 30)
    if kind == "unknown":
        c.steps.append(Step(t, "customer", "say", {"text": rng.choice(UNKNOWN[language])}))
        t += rng.uniform(20, 60)
        if rng.random() < 0.5:
            c.steps.append(Step(t, "customer", "say", {"text": rng.choice(faq[language])}))
        return c
    if kind == "faq":
        return c
    if kind == "human":
        c.steps.append(Step(t, "customer", "handoff"))
    else:
        category = rng.choices(list(CATEGORY_WEIGHTS), weights=list(CATEGORY_WEIGHTS.values()))[0]
        text = rng.choice(complaints[language][category]).rstrip(".。!！") + COMPLAINT_TAIL[language]
        c.steps.append(Step(t, "customer", "say", {"text": text, "category": category}))
    _humans(c, t, rng, agents[language] or agents["en"])
    return c


def _humans(c: SimulatedCustomer, t: float, rng: random.Random, staff: list[str]) -> None:
    """What the agents do with an escalated chat: usually quick, sometimes slow, now and then nobody."""
    if rng.random() < 0.05:  # nobody takes it: the SLA clocks breach, the customer leaves
        return
    slow = rng.random() < 0.12
    wait = rng.uniform(400, 5400) if slow else rng.lognormvariate(4.2, 0.7)  # median ~70 s
    agent = rng.choice(staff)
    t += wait
    c.steps.append(Step(t, agent, "claim"))
    t += rng.uniform(400, 900) if rng.random() < 0.1 else rng.uniform(10, 120)
    c.steps.append(Step(t, agent, "reply", {"text": AGENT_REPLIES[c.language][0]}))
    if rng.random() < 0.08 and len(staff) > 1:
        other = rng.choice([s for s in staff if s != agent])
        t += rng.uniform(60, 300)
        c.steps.append(Step(t, agent, "transfer", {"to": other}))
        agent = other
        t += rng.uniform(30, 120)
        c.steps.append(Step(t, agent, "reply", {"text": AGENT_REPLIES[c.language][1]}))
    t += rng.uniform(120, 1500) if not (c.kind == "complaint" and rng.random() < 0.07) else rng.uniform(26 * 3600, 40 * 3600)
    c.steps.append(Step(t, agent, "resolve"))
    t += rng.uniform(10, 120)
    if rng.random() < 0.75:
        unhappy = rng.random() < (0.45 if slow else 0.1)
        score = rng.choice([1, 2, 3]) if unhappy else rng.choice([4, 5, 5, 5])
        comment = rng.choice(LOW_COMMENTS[c.language]) if unhappy else rng.choice(GOOD_COMMENTS[c.language])
        c.steps.append(Step(t, "customer", "rate", {"score": score, "comment": comment}))
        t += rng.uniform(60, 3600)
    if rng.random() < 0.06:  # the problem came back: the customer writes again, and the chat reopens
        c.steps.append(Step(t, "customer", "say", {"text": "还是不行" if c.language == "zh" else "it still doesn't work"}))
