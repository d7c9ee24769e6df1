"""A Chinese customer is answered in Chinese when a message holds a link, a tracking number or a product name, and the
conversation's language changes only when the customer writes real words of the other language (real stack)."""

from __future__ import annotations


def has_han(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def said_to_customer(result: dict) -> list[dict]:
    return [m for m in result["replies"] if m["sender"] in ("bot", "system")]


def test_a_tracking_number_a_link_or_a_product_alone_is_answered_in_the_customers_language(customer_factory):
    for text in ("SF1234567890", "https://shop.example.com/orders/8812", "iPhone 15 Pro Max", "/request_human"):
        result = customer_factory("zh").say(text)
        replies = said_to_customer(result)
        assert result["message"]["meta"]["language"] == "zh", text
        assert replies and all(has_han(m["text"]) for m in replies), (text, [m["text"] for m in replies])
        assert result["conversation"]["language"] == "zh"


def test_a_chinese_customer_on_a_chat_started_in_english_keeps_chinese_after_their_first_words(customer_factory):
    """The conversation takes the language of the customer's real words: a code they send next is answered in it."""
    c = customer_factory("en")
    first = c.say("我的快递三天没动了")
    assert first["conversation"]["language"] == "zh"
    result = c.say("SF1234567890")
    assert result["message"]["meta"]["language"] == "zh"
    assert all(has_han(m["text"]) for m in said_to_customer(result)), [m["text"] for m in said_to_customer(result)]


def test_an_english_sentence_switches_and_a_typed_command_does_not(customer_factory):
    c = customer_factory("zh")
    english = c.say("Where is my parcel? I ordered it a week ago")
    assert english["message"]["meta"]["language"] == "en" and english["conversation"]["language"] == "en"
    assert said_to_customer(english) and not any(has_han(m["text"]) for m in said_to_customer(english))
    back = c.say("我的iPhone 15屏幕坏了，可以换吗")
    assert back["message"]["meta"]["language"] == "zh" and back["conversation"]["language"] == "zh"
