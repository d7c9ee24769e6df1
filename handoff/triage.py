"""Complaint category and queue priority of an escalation.

Categories follow the complaint taxonomy of Chinese e-commerce service
practice: product quality, service attitude, logistics, after-sales, billing, other.
"""

from __future__ import annotations

from handoff.models import Category

_KEYWORDS: dict[Category, tuple[str, ...]] = {
    "service_attitude": ("态度", "客服", "不理人", "敷衍", "骂", "没礼貌", "rude", "attitude", "ignored", "unhelpful", "unprofessional", "your staff", "customer service"),
    "logistics": ("快递", "物流", "配送", "发货", "没收到", "丢件", "延迟", "运输", "签收", "delivery", "shipping", "courier", "parcel", "package", "late", "tracking", "lost", "arrive"),
    "after_sales": ("退货", "退款", "换货", "售后", "维修", "保修", "return", "refund", "exchange", "repair", "warranty", "after-sales"),
    "billing": ("扣款", "付款", "支付", "发票", "多扣", "收费", "价格", "优惠券", "charged", "charge", "payment", "invoice", "bill", "overcharged", "coupon", "price"),
    "product_quality": ("质量", "坏了", "破损", "假货", "瑕疵", "不能用", "故障", "次品", "broken", "defective", "quality", "fake", "damaged", "faulty", "doesn't work", "stopped working"),
}
# Where the KB category of what the bot tried says more than the words do.
_FROM_KB: dict[str, Category] = {"shipping": "logistics", "returns": "after_sales", "payment": "billing", "product": "product_quality"}


def categorize(customer_texts: list[str], kb_categories: list[str] | None = None) -> Category:
    """Most keyword hits across what the customer wrote (latest message counts double)."""
    scores: dict[Category, float] = {}
    for i, text in enumerate(customer_texts):
        weight = 2.0 if i == len(customer_texts) - 1 else 1.0
        lowered = text.lower()
        for category, words in _KEYWORDS.items():
            hits = sum(1 for w in words if w in lowered)
            if hits:
                scores[category] = scores.get(category, 0.0) + weight * hits
    if scores:
        return max(scores, key=lambda c: scores[c])
    for category in reversed(kb_categories or []):
        if category in _FROM_KB:
            return _FROM_KB[category]
    return "other"


def priority(reason: str, customer_tier: str) -> int:
    """Higher goes first: VIP customers, then complaints, then everyone else by waiting time."""
    if customer_tier.lower() in ("vip", "gold", "platinum"):
        return 2
    if reason in ("complaint", "negative_feedback"):
        return 1
    return 0
