"""Reading KB files (kb/io.py): a file that is not a list of entries is said to be so, never imported as nothing."""

from __future__ import annotations

import pytest

from kb.io import read_json


@pytest.mark.parametrize("text", ['{"not": "a list"}', '{"entries": {"id": "x"}}', '"just text"', "42", '[1, 2]'])
def test_json_that_is_not_a_list_of_entries_is_a_file_problem(text):
    parsed = read_json(text)
    assert parsed.entries == [] and parsed.errors
    assert parsed.file_problem() == 'expected a JSON array of entries, or an object with an "entries" array (each entry an object)'


def test_both_accepted_shapes_read_their_entries():
    row = '{"id": "orders-where-en", "question": "Where is my order?", "answer": "Under Account.", "language": "en"}'
    for text in (f"[{row}]", f'{{"entries": [{row}]}}'):
        parsed = read_json(text)
        assert parsed.errors == [] and [e.id for e in parsed.entries] == ["orders-where-en"]
    assert read_json("[]").errors == [] and read_json('{"entries": []}').errors == []


def test_headers_are_read_by_name_in_either_language():
    from kb.io import column_of, read_csv

    assert [column_of(h) for h in ("编号", " 问题 ", "相似问法", "答案", "Question", "ANSWER", "语\u3000言", "备注")] == [
        "id", "question", "phrasings", "answer", "question", "answer", "语 言", "备注"]
    parsed = read_csv("编号,语言,问题,答案,备注\r\nship-1,中文,发货吗？,发。,内部用\r\n")
    assert not parsed.errors and parsed.entries[0].id == "ship-1" and parsed.entries[0].answer == "发。"
