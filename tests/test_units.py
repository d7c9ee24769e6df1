"""Small pieces on their own (no servers): parsing Rasa output, triage, KB file validation, tokenization."""

from __future__ import annotations

from bot.rasa_client import parse_rest_output
from core.language import detect_language
from handoff.triage import priority
from kb import io as kbio
from kb.text import tokenize


def test_markdown_answer_in_custom_payload_stays_one_message():
    turn = parse_rest_output([
        {"recipient_id": "c", "custom": {"type": "bot_turn", "text": "line 1\n\nline 2", "decision": "answer", "intent": "faq", "confidence": 0.9}},
    ])
    assert [r.text for r in turn.replies] == ["line 1\n\nline 2"]
    assert turn.replies[0].meta["decision"] == "answer" and turn.intent == "faq"


def test_custom_meta_attaches_to_previous_text_and_handoff_is_picked_up():
    turn = parse_rest_output([
        {"text": "pick one", "buttons": [{"title": "A", "payload": "/faq{\"faq_id\":\"a\"}"}]},
        {"custom": {"type": "bot_turn", "decision": "suggest"}},
        {"text": "connecting you"},
        {"custom": {"type": "handoff", "packet": {"reason": "customer_request"}}},
    ])
    assert turn.replies[0].meta["decision"] == "suggest" and turn.replies[0].buttons[0]["title"] == "A"
    assert turn.handoff == {"reason": "customer_request"}


def test_language_detection():
    assert detect_language("我的快递呢") == "zh"
    assert detect_language("where is my parcel") == "en"
    assert detect_language("12345", default="zh") == "zh"


def test_triage_categories_and_priority():
    assert priority("complaint", "standard") == 1 and priority("customer_request", "vip") == 2


def test_kb_file_with_bad_rows_reports_every_row():
    text = "id,language,question,answer\nok-1,en,Q?,A.\nbad-2,fr,Q?,A.\nbad-3,en,Q?,\nok-1,en,Q again?,A.\n"
    parsed = kbio.read_csv(text)
    rows = {e.row: e.message for e in parsed.errors}
    assert set(rows) == {3, 4, 5}
    assert "unknown language" in rows[3] and "answer" in rows[4] and "duplicate id" in rows[5]


def test_tokenize_mixed_text():
    tokens = tokenize("亲，能开增值税专用发票吗 shipping fees")
    assert "发票" in tokens and "ship" in tokens and "fee" in tokens and "亲" not in tokens
