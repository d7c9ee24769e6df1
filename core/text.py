"""Text people type, made safe to show beside other text. Pure: strings in, strings out.

Unicode's explicit direction controls (embeddings U+202A/B, overrides U+202D/E, their end U+202C, isolates
U+2066-U+2069) act on everything after them up to the end of the paragraph they are shown in, not only on
the string that carries them: a customer's name or message with a right-to-left override (U+202E) turned the
console's "Rated 1/5" beside it into "5/1 detaR", and the next lines of the handoff summary into mirror
writing ("Trojan Source" spoofing). Nobody writing Chinese or English needs them (right-to-left scripts
are shown right to left without them), so they are dropped where such text is stored: names, messages,
notes, tags, comments. So are control characters (NUL, ESC, ...) other than tab and line breaks: nothing
shows them, and a message of them alone is refused as blank (hub/deps.py). Text stored before this rule still
has them: every page drops the same characters from whatever the hub sends it (web/common/text.js), so keep the
two character classes the same.
"""

from __future__ import annotations

import re

_UNSHOWABLE = re.compile("[\u202a-\u202e\u2066-\u2069\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def shown_as_typed(text: str) -> str:
    """``text`` without direction controls and control characters (tab and line breaks stay)."""
    return _UNSHOWABLE.sub("", text) if text else text
