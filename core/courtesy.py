"""Whether a message holds nothing but courtesy words: thanks, yes and no, goodbye ("好的谢谢", "no thanks", "👍").

Two readers, two vocabularies. After an agent resolved a chat, thanks alone must not reopen the ticket
(``THANKS``, ``bot/thanks.py``). And the NLU hears a problem that starts with "嗯", "no" or "right" as affirm or
deny ("嗯 表带断了", "right earbud no sound"): a canned "Great! Anything else?" to it is the worst reply the bot
can give, so only a message made of small-talk words gets one (``SMALL_TALK``, ``actions/small_talk.py``).
A message counts only whole: every word must be one of the vocabulary's (Chinese is split into its pieces,
longest first), punctuation and emoji aside; anything else is a message to answer.

Thanks and goodbye are read more leniently (``carries_problem``): said in other words they are still courtesy
("thanks for sorting that out", "谢谢你帮我查到了"), so only a message that also carries a problem beside them ("谢谢，
但是我的快递还没到", "拜拜，耳机用了两天就坏了") is a message to answer: a contrast ("but", "但是"), a negation or a word of
trouble outside the courtesy words themselves ("没问题" and "no worries" are courtesy, "没到" and "never came" are not).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

_PARTICLES = {"亲", "啦", "了", "呢", "呀", "啊", "吧", "哦", "噢", "哈", "哈哈", "哈哈哈", "嘛", "的"}

_THANKS_ZH = {"好的", "好滴", "好嘞", "好吧", "好", "行", "可以", "谢谢你们", "谢谢你", "谢谢您", "谢谢啦", "谢谢了", "谢谢", "谢啦", "谢了",
              "多谢", "感谢", "非常感谢", "太感谢了", "辛苦了", "辛苦", "收到", "知道了", "明白了", "明白", "了解", "嗯嗯", "嗯", "哦哦",
              "没问题", "没事了", "没有了", "不用了", "再见", "拜拜", *(_PARTICLES - {"啊", "吧", "嘛", "的", "噢"})}
_THANKS_EN = {"ok", "okay", "k", "kk", "thanks", "thank", "you", "thx", "ty", "tysm", "much", "so", "very", "great", "cool", "perfect",
              "got", "it", "alright", "all", "right", "fine", "good", "nice", "awesome", "cheers", "bye", "goodbye", "appreciate",
              "appreciated", "that", "thats", "that's", "helps", "helped", "a", "lot", "lots", "many", "noted", "sure", "yes", "yep",
              "yeah", "will", "do", "again"}

# Yes, no and goodbye besides thanks. Bare 不 and 没 are not pieces: "不发货", "没到" say something.
_SMALL_TALK_ZH = _THANKS_ZH | _PARTICLES | {
    "是", "是的", "是啊", "对", "对的", "对啊", "对呀", "没错", "嗯呢", "当然", "好啊", "行啊", "可以的", "确定", "那好", "那行", "就这样",
    "不是", "不是的", "不要", "不要了", "不用", "不需要", "不需要了", "不了", "没有", "没", "算了", "不对", "不行", "没事", "那没事了",
    "没有别的问题", "没别的问题", "没有其他问题", "没其他问题", "没别的", "没其他", "就这些", "暂时没有", "先这样", "晚安", "拜", "再会",
    "帮大忙了", "帮了大忙", "太好了", "真棒", "棒", "赞", "回头见", "下次见", "再联系", "就是这个", "就是它", "这个", "那个", "这几个",
    "都", "也", "我要的", "好的呢", "祝您", "祝你", "愉快", "早安", "辛苦你了", "麻烦了", "麻烦你了", "打扰了", "挺好", "很好", "可以了",
    "行了", "知道啦", "懂了", "清楚了", "没啥了", "没什么了", "没什么", "没啥"}
_SMALL_TALK_EN = _THANKS_EN | {
    "yup", "ya", "yea", "correct", "exactly", "indeed", "absolutely", "definitely", "of", "course", "no", "nope", "nah", "not", "really",
    "i'm", "im", "i", "am", "nothing", "else", "need", "don't", "dont", "want", "please", "pls", "later", "see", "bye-bye", "for", "now",
    "is", "everything", "fine", "anything", "more", "sounds", "the", "end", "wonderful", "nvm", "never", "mind", "have", "nice", "day",
    "one", "go", "ahead", "none", "these", "this", "those", "take", "care", "talk", "soon", "cya", "ttyl", "night", "works", "helpful",
    "super", "was", "just", "we're", "were", "done", "good-bye", "farewell"}
# A negation with an acknowledgement is a problem: "没收到" (not received), "还没到" (not here yet).
_NEGATED = re.compile(r"[没不未].{0,2}(收到|到|明白|了解|知道)")


@dataclass(frozen=True)
class Courtesy:
    """A vocabulary of courtesy words; ``only(text)`` says whether ``text`` is made of them and nothing else."""

    zh: frozenset[str]
    en: frozenset[str]
    max_chars: int = 40
    _pieces: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_pieces", tuple(sorted(self.zh, key=len, reverse=True)))  # "谢谢你" whole before "谢谢"

    def only(self, text: str) -> bool:
        text = unicodedata.normalize("NFKC", text).lower().strip()
        if not text or len(text) > self.max_chars or _NEGATED.search(text):
            return False
        # punctuation, symbols and emoji are not words; what remains must be the vocabulary's words only
        kept = "".join(ch if unicodedata.category(ch)[0] in "LN" or ch.isspace() or ch == "'" else " " for ch in text)
        words = kept.split()
        if not words:
            return any(unicodedata.category(ch) == "So" for ch in text)  # only emoji: 👍 🙏
        return all(self._known(word) for word in words)

    def _known(self, word: str) -> bool:
        if re.fullmatch(r"[a-z']+", word):
            return word in self.en
        rest = word
        while rest:
            piece = next((p for p in self._pieces if rest.startswith(p)), None)
            if piece is None:
                return False
            rest = rest[len(piece):]
        return True


# A problem beside the courtesy (``carries_problem``): a contrast, or a negation or word of trouble once the courtesy
# phrases that hold one are taken out ("没问题了，再见", "no worries" say nothing is wrong; "发票一直没收到" does).
_CONTRAST_ZH = re.compile(r"但|可是|不过|却|然而")
_ZH_COURTESY_NEGATIONS = re.compile(r"没问题|没事|不用|不客气|别客气|没关系|不需要|不要了|没有?(别的|其他|其它)(问题)?|没什么|没啥|没有了|暂时没有"
                                    r"|不好意思|不错|不麻烦|不打扰了?|不聊了|不说了|差不多|问题(已经?|都)?解决了?")
_TROUBLE_ZH = re.compile(r"[没不未无别]|坏|破|碎|裂|错|丢|漏|缺|少了|太慢|好慢|很慢|退款|退货|换货|投诉|差评|骗|假货|问题|故障|毛病|划痕|过期|烂|差(?!不多)")
_EN_COURTESY_NEGATIONS = re.compile(r"\b(no (problem|problems|worries|worry|rush|hurry|need)|not at all|not a problem|never mind|nothing else"
                                    r"|no,? thanks?( you)?|not bad|don'?t worry|(don'?t|do not) need anything( else)?)\b")
_TROUBLE_EN = re.compile(r"\b(but|however|though|although|yet|except|still|not|no|never|nobody|nothing|none|cannot|without|\w+n't|(ca|do|does|did|is|was|wo|have|has|are|were|could)nt"
                         r"|broken|broke|damaged|missing|wrong|late|lost|refund|charged|faulty|defective|cracked|scratched|stuck|failed"
                         r"|problem|problems|issue|issues|complain\w*|error|torn|hole|leak\w*|dead|worse|terrible|awful|disappointed|crash\w*|rude|bad|poor)\b")


def carries_problem(text: str) -> bool:
    """Whether a message heard as thanks or goodbye also states a problem ("谢谢，但是我的快递还没到", "thanks but the
    parcel never came", "再见，东西坏了也没人管"): then it is answered as a question, not with "you're welcome". A message of
    courtesy words alone (``SMALL_TALK.only``) carries none, nor does courtesy in other words ("thanks, it works now")."""
    text = unicodedata.normalize("NFKC", text).lower().strip()
    if not text or SMALL_TALK.only(text):
        return False
    if _NEGATED.search(text) or _CONTRAST_ZH.search(text):  # "没收到", "还没到": an acknowledgement negated; "谢谢，但是…"
        return True
    if _TROUBLE_ZH.search(_ZH_COURTESY_NEGATIONS.sub(" ", text)):
        return True
    return bool(_TROUBLE_EN.search(_EN_COURTESY_NEGATIONS.sub(" ", text)))


THANKS = Courtesy(frozenset(_THANKS_ZH), frozenset(_THANKS_EN))
SMALL_TALK = Courtesy(frozenset(_SMALL_TALK_ZH), frozenset(_SMALL_TALK_EN))

# Heard as these, a message that says more is nearly always courtesy in other words ("thanks for sorting that out",
# "关闭对话": searching it offered suggestions or, once, a confident wrong answer): answered as small talk unless it
# carries a problem. A yes or a no that says more is nearly always a problem or a correction ("不是我要问的").
LENIENT = frozenset({"thanks", "goodbye"})


def small_talk_reply(intent: str | None, text: str) -> bool:
    """Whether a message the NLU heard as ``intent`` (affirm, deny, thanks or goodbye) gets that small-talk reply
    (``actions/small_talk.py``); if not, the knowledge base search answers it or records it as a gap."""
    if SMALL_TALK.only(text):
        return True
    return intent in LENIENT and not carries_problem(text)
