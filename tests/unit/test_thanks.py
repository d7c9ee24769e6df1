from bot.thanks import only_thanks


def test_thanks_and_acknowledgements_alone_are_courtesy():
    for text in ("好的谢谢", "好的，谢谢！", "谢谢你们辛苦啦~", "收到了，辛苦了", "嗯嗯好的", "👍", "🙏", "ok thanks!", "Thank you so much 🙏",
                 "thanks, that helps a lot", "OK", "ＯＫ，谢谢"):
        assert only_thanks(text), text


def test_anything_more_is_a_message_to_answer():
    for text in ("谢谢，但是还没收到货", "thanks but it is broken", "不好", "可以退货吗", "where is my order", "好的，那运费谁出？", "", "   ",
                 "谢谢" * 30, "ok?? my refund"):
        assert not only_thanks(text), text
