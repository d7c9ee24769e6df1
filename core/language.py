"""Which language a customer writes in: Chinese if the text has Han characters, else English."""

import re

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
SUPPORTED = ("en", "zh")


def detect_language(text: str, default: str = "en") -> str:
    if _HAN.search(text or ""):
        return "zh"
    if re.search(r"[A-Za-z]", text or ""):
        return "en"
    return default
