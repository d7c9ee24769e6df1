"""Whether a customer's message only thanks or acknowledges ("好的谢谢", "ok thanks!", "👍").

Said after an agent resolved the chat, such a message is courtesy, not a new problem: it must not
reopen the solved ticket (back to the queue, "we reopened your ticket") nor count as a reopen against
first-contact resolution. Very common in Chinese chat. Only whole messages made of these words
count: "谢谢，但是还没收到货" (thanks, but it has not arrived) is a new problem.
"""

from __future__ import annotations

import re
import unicodedata

# Longest first, so "谢谢你" is taken whole before "谢谢".
_ZH = sorted({"好的", "好滴", "好嘞", "好吧", "好", "行", "可以", "谢谢你们", "谢谢你", "谢谢您", "谢谢啦", "谢谢了", "谢谢", "谢啦", "谢了",
              "多谢", "感谢", "非常感谢", "太感谢了", "辛苦了", "辛苦", "收到", "知道了", "明白了", "明白", "了解", "嗯嗯", "嗯", "哦哦", "哦",
              "没问题", "没事了", "没有了", "不用了", "再见", "拜拜", "亲", "啦", "了", "呢", "呀", "哈", "哈哈", "哈哈哈"}, key=len, reverse=True)
_EN = {"ok", "okay", "k", "kk", "thanks", "thank", "you", "thx", "ty", "tysm", "much", "so", "very", "great", "cool", "perfect",
       "got", "it", "alright", "all", "right", "fine", "good", "nice", "awesome", "cheers", "bye", "goodbye", "appreciate", "appreciated",
       "that", "thats", "that's", "helps", "helped", "a", "lot", "lots", "many", "noted", "sure", "yes", "yep", "yeah", "will", "do", "again"}
_MAX_CHARS = 40


def only_thanks(text: str) -> bool:
    """True when ``text`` holds nothing but thanks and acknowledgements (and punctuation or emoji)."""
    text = unicodedata.normalize("NFKC", text).lower().strip()
    if not text or len(text) > _MAX_CHARS:
        return False
    # punctuation, symbols and emoji are not words; what remains must be thanks words only
    kept = "".join(ch if unicodedata.category(ch)[0] in "LN" or ch.isspace() or ch == "'" else " " for ch in text)
    words = kept.split()
    if not words:
        return any(unicodedata.category(ch) == "So" for ch in text)  # only emoji: 👍 🙏
    for word in words:
        if re.fullmatch(r"[a-z']+", word):
            if word not in _EN:
                return False
            continue
        rest = word
        while rest:
            piece = next((p for p in _ZH if rest.startswith(p)), None)
            if piece is None:
                return False
            rest = rest[len(piece):]
    return True
