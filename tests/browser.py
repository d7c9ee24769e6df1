"""Shared set-up for the real-browser tests: Debian's chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright import sync_api

expect = sync_api.expect

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"  # screenshots (gitignored)
# Without the networking flags Chromium keeps trying to reach Google's hosts, which are closed here.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM.exists(), "Debian chromium is missing (/usr/bin/chromium): ./test.sh installs it"
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        yield b
        b.close()
