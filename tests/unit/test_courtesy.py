from core.courtesy import SMALL_TALK, THANKS


def test_yes_no_thanks_and_goodbye_alone_are_small_talk():
    for text in ("好的", "是的", "对的，没错", "不用了，谢谢", "没有了", "不是", "嗯嗯", "没有别的问题了", "算了吧", "拜拜～", "不行", "OK",
                 "yes", "no thanks", "nope, that's all", "I'm good, thanks!", "no, nothing else", "bye", "sure 👍", "Yes please"):
        assert SMALL_TALK.only(text), text


def test_a_problem_after_a_yes_or_a_no_is_not_small_talk():
    for text in ("嗯 表带断了", "不行啊 还是连不上", "没收到", "还没到", "没有收到货", "不发货吗", "对，我要退货", "是的 但是屏幕碎了",
                 "right earbud no sound", "no sound from the left earbud", "right side not charging", "yes but it is broken",
                 "thanks but the parcel never came", "no, where is my refund", "", "好的" * 30):
        assert not SMALL_TALK.only(text), text


def test_thanks_is_the_narrower_vocabulary():
    assert THANKS.only("好的谢谢") and SMALL_TALK.only("好的谢谢")
    assert SMALL_TALK.only("不是") and not THANKS.only("不是")  # a no after a resolved chat is not thanks


def test_a_problem_beside_thanks_or_goodbye_is_carried_and_courtesy_in_other_words_is_not():
    from core.courtesy import carries_problem, small_talk_reply

    for text in ("谢谢，但是我的快递还没到", "thanks but the parcel never came", "再见，东西坏了也没人管", "感谢回复，但问题还是没有解决",
                 "谢谢，屏幕裂了", "bye. my order is late again", "谢谢 快递员态度很差", "thanks, it doesnt work", "ok thanks, the app keeps crashing"):
        assert carries_problem(text), text
        assert not small_talk_reply("thanks", text) and not small_talk_reply("goodbye", text), text
    for text in ("thanks for sorting that out", "关闭对话", "谢谢你帮我查到了", "thanks, it works now", "thanks for the quick reply, no worries",
                 "好的，没问题，谢谢", "不打扰了，拜拜", "差不多了，谢谢", "再见，慢走", "谢谢，祝你假期愉快", "not bad, thanks", "谢谢", "bye"):
        assert not carries_problem(text), text
        assert small_talk_reply("thanks", text), text
    # a yes or a no that says anything more is searched, as before
    assert not small_talk_reply("affirm", "thanks for sorting that out") and small_talk_reply("deny", "no thanks")
