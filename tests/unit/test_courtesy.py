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
