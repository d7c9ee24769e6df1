"""A customer's language comes from the words they wrote, never from a link, a code, a product name or a button's command."""

from core.language import detect_language, is_command


def test_links_codes_addresses_and_product_names_in_chinese_text_keep_it_chinese():
    for text in ("我的iPhone 15屏幕坏了", "iPhone 15 Pro Max 有货吗", "AirPods Pro 2 没声音", "MacBook Air 不开机",
                 "我的快递单号是SF1234567890", "订单号 JD20231128A 的物流", "https://shop.example.com/order/123 这个订单怎么还没发货",
                 "邮箱是 zhang.wei@example.com", "USB-C 线", "好的 thanks"):
        assert detect_language(text, default="en") == "zh", text


def test_a_message_with_no_words_keeps_the_conversations_language():
    for text in ("SF1234567890", "JD20231128A", "iPhone 15", "Huawei Mate 60 Pro", "AirPods Pro", "https://shop.example.com/order/123?x=1",
                 "www.taobao.com", "zhang.wei@example.com", "12345", "ok", "/request_human", '/faq{"faq_id":"shipping-cost-zh"}'):
        assert detect_language(text, default="zh") == "zh", text
        assert detect_language(text, default="en") == "en", text


def test_an_english_sentence_is_english_even_with_a_product_or_a_chinese_name_in_it():
    for text in ("Where is my parcel?", "hello", "my iPhone 15 screen is broken", "Where is my MacBook Pro order",
                 "My name is 王伟, where is my parcel?", "请问 how long does shipping take to Shanghai"):
        assert detect_language(text, default="zh") == "en", text


def test_commands_are_what_buttons_send_not_what_customers_type():
    assert is_command("/request_human") and is_command(' /faq{"faq_id": "a-1"} ')
    for text in ("/ 这是什么", "/restart now", "1/2", "转人工", "I want to talk to a person", ""):
        assert not is_command(text), text
