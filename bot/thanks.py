"""Whether a customer's message only thanks or acknowledges ("好的谢谢", "ok thanks!", "👍").

Said after an agent resolved the chat, such a message is courtesy, not a new problem: it must not
reopen the solved ticket (back to the queue, "we reopened your ticket") nor count as a reopen against
first-contact resolution. Very common in Chinese chat. Only whole messages made of these words
count: "谢谢，但是还没收到货" (thanks, but it has not arrived) is a new problem.
"""

from __future__ import annotations

from core.courtesy import THANKS


def only_thanks(text: str) -> bool:
    """True when ``text`` holds nothing but thanks and acknowledgements (and punctuation or emoji)."""
    return THANKS.only(text)
