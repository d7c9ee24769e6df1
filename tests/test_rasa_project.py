"""The Rasa project itself: its data validates, and the trained model recognises held-out intents in both languages."""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from pathlib import Path

import httpx

from tests.conftest import ROOT

SMOKE = json.loads((Path(__file__).parent / "data" / "nlu_smoke.json").read_text())


def test_rasa_data_validates():
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    proc = subprocess.run([str(ROOT / ".venv-rasa" / "bin" / "rasa"), "data", "validate"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def test_intents_of_held_out_sentences(stack, settings):
    right: Counter = Counter()
    total: Counter = Counter()
    with httpx.Client(base_url=settings.rasa_url, timeout=30) as rasa:
        for item in SMOKE:
            intent = rasa.post("/model/parse", json={"text": item["text"]}).json()["intent"]["name"]
            key = (item["intent"], item["language"])
            total[key] += 1
            right[key] += intent == item["intent"]
    for key in sorted(total):
        print(f"nlu {key[0]:14} {key[1]}: {right[key]}/{total[key]}")
    overall = sum(right.values()) / sum(total.values())
    print(f"nlu overall: {overall:.1%}")
    assert overall >= 0.85
    for language in ("en", "zh"):  # asking for a person must work in both languages
        assert right[("request_human", language)] >= 0.8 * total[("request_human", language)]
