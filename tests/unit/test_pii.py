"""core/pii.py: what counts as personal data, what does not, and how it is masked."""

from __future__ import annotations

import pytest

from core.pii import find, mask, mask_contacts, mask_identity

VALID_ID = "110101199003077774"  # birth date and check digit hold
VALID_CARD = "6222020200112233446"  # Luhn holds


@pytest.mark.parametrize("text, expected", [
    ("我的手机号13812345678，谢谢", "我的手机号138****5678，谢谢"),
    ("call me on +86 139-1234-5678 please", "call me on 139****5678 please"),
    (f"身份证{VALID_ID}", "身份证110101********7774"),
    (f"my id is {VALID_ID}.", "my id is 110101********7774."),
    (f"卡号 {VALID_CARD}", "卡号 **** 3446"),
    ("visa 4111 1111 1111 1111 expires", "visa **** 1111 expires"),
    ("mail me: li.na+shop@example.com", "mail me: l***@example.com"),
    # labelled numbers are personal data even when mistyped (the issue's own example)
    ("我的手机号13812345678，身份证110101199003077777，卡号6222020200112233445",
     "我的手机号138****5678，身份证110101********7777，卡号**** 3445"),
    # ID numbers written in groups, as on the card: valid, or labelled and mistyped
    ("身份证 110101 19900307 7774 谢谢", "身份证 110101********7774 谢谢"),
    ("身份证：110105-19491231-002X", "身份证：110105********002X"),
    ("my id 110101-19900307-7774 ok", "my id 110101********7774 ok"),
    ("证件号 110101 1990 0307 7777", "证件号 110101********7777"),
    # a +86 mobile written whole is 13 digits, and this one passes the Luhn check: still a phone
    ("reach me at +8613812345678", "reach me at 138****5678"),
    ("电话8613812345678", "电话138****5678"),
    ("卡号 8613812345678", "卡号 **** 5678"),  # said to be a card: a card
])
def test_personal_data_is_masked(text, expected):
    assert mask(text)[0] == expected


@pytest.mark.parametrize("text", [
    "订单号 202311261234567890 已发货",  # an order number: unlabelled, fails the checks
    "价格 99 元，运费 10 元，满 199 包邮",
    "tracking SF1234567890123",
    "version 1.2.3, 2026-11-26",
    "",
])
def test_what_is_not_personal_data_is_left_alone(text):
    assert mask(text) == (text, [])


def test_findings_keep_the_originals_for_sealing():
    findings = find(f"13812345678 和 {VALID_ID}")
    assert [(f.kind, f.value) for f in findings] == [("phone", "13812345678"), ("id_card", VALID_ID)]


@pytest.mark.parametrize("identity, expected", [
    ("phone:+8613812345678", "phone:138****5678"),
    ("phone:13812345678", "phone:138****5678"),
    ("email:li.na@example.cn", "email:l***@example.cn"),
    ("shop:c-1a2b3c", "shop:****"),  # short: four characters would give much of it away
    ("telegram:123456789", "telegram:****"),
    ("web:conversation-0123456789abcdef0123456789abcdef", "web:****cdef"),
])
def test_identities_are_masked_for_staff_who_may_not_see_them(identity, expected):
    assert mask_identity(identity) == expected


def test_the_contact_in_a_line_the_product_wrote_is_masked_as_a_phone_number_not_a_card():
    assert mask_contacts("Thank you. We'll answer here, and can reach you at +8613812345678.") == "Thank you. We'll answer here, and can reach you at 138****5678."
    assert mask_contacts("谢谢！我们会在这里回复您，也可以通过 li.na@example.cn 联系您。") == "谢谢！我们会在这里回复您，也可以通过 l***@example.cn 联系您。"
