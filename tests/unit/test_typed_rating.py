"""A score typed under the rating request ("5", "5分", "五星", "★★★★") is the rating; a message with a number in it is not."""

import pytest

from bot.ratings import typed_score


@pytest.mark.parametrize("text, score", [
    ("5", 5), ("５", 5), ("5分", 5), ("打5分", 5), ("给你们五星", 5), ("四星", 4), ("★★★★★", 5), ("⭐⭐⭐", 3), ("4 stars", 4),
    ("5/5", 5), ("1!", 1), (" 2 分。", 2),
])
def test_a_score_alone_is_a_rating(text, score):
    assert typed_score(text) == score


@pytest.mark.parametrize("text", ["6", "0", "10", "5天了还没到货", "5531", "订单5", "3 items missing", "", "★★★★★★", "好的谢谢"])
def test_anything_more_is_a_message(text):
    assert typed_score(text) is None
