"""A web-chat customer attaches a picture of what arrived ("商品和图片不一样"), in a real browser against the real stack:
they see it in their chat at once, the bot says an agent can look at it and hands them over with one tap, and the
agent who claims the chat sees the very picture in the console and opens it full size, inside the console."""

from __future__ import annotations

import base64
import os
import re
import struct
import zlib

import pytest

from tests.browser import DESKTOP, PHONE, WAIT, assert_accessible, chat_page, expect, saved_conversation, shot, staff_page
from tests.test_channel_attachments import png


@pytest.mark.usefixtures("manual_assignment")  # the agent claims the chat from the queue
def test_a_picture_the_customer_attaches_reaches_the_agents_console(stack, settings, agents, browser):
    picture = png(64, 40, (240, 160, 0))
    ctx, page = chat_page(browser, settings.hub_url, PHONE, language="zh")
    attach = page.get_by_role("button", name="发送图片")
    expect(attach).to_be_visible()
    with page.expect_file_chooser() as chooser:
        attach.click()
    chooser.value.set_files(files=[{"name": "到货照片.png", "mimeType": "image/png", "buffer": picture}])
    mine = page.locator(".row.customer img.picture")
    expect(mine).to_have_attribute("alt", "您发送的图片", timeout=WAIT)
    expect(page.locator(".row.customer.pending")).to_have_count(0, timeout=WAIT)  # the hub has it
    told = page.locator(".row.system.media_for_agent")
    expect(told).to_contain_text("人工客服可以查看", timeout=WAIT)
    assert_accessible(page, "chat with an attached picture")
    shot(page, "chat-picture-attached")

    with page.expect_file_chooser() as chooser:  # not a picture: said under it, in the page's language, never sent
        attach.click()
    chooser.value.set_files(files=[{"name": "invoice.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4"}])
    expect(page.locator(".row.customer.failed .failed-note")).to_have_text("只能发送 JPEG、PNG、WebP 或 GIF 格式的图片。")

    told.get_by_role("button", name="转人工客服查看").click()
    cid, _token = saved_conversation(page)
    console, agent = staff_page(browser, settings.hub_url, "/console", "alice", DESKTOP)
    agent.locator(f'#queue li[data-cid="{cid}"]').get_by_role("button", name=re.compile("^Claim")).click()
    thumb = agent.locator("#transcript .msg.customer .attachment-thumb img")
    expect(thumb).to_have_attribute("alt", "Photo the customer sent", timeout=WAIT)
    agent.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    assert thumb.evaluate("(img) => [img.naturalWidth, img.naturalHeight]") == [64, 40]
    served = thumb.evaluate("async (img) => Array.from(new Uint8Array(await (await fetch(img.src)).arrayBuffer()))")
    assert bytes(served) == picture
    # Full size inside the console (it opened a new browser tab, away from the chat): Escape or a click beside it
    # closes it, and the keyboard is back on the thumbnail.
    opener = agent.get_by_role("button", name="Photo the customer sent: view full size")
    opener.click()
    viewer = agent.get_by_role("dialog", name="Photo the customer sent")
    expect(viewer).to_be_visible()
    assert len(console.pages) == 1
    agent.wait_for_function("() => { const img = document.querySelector('dialog.viewer img'); return img.complete && img.naturalWidth === 64; }")
    assert_accessible(agent, "console with a customer's picture full size")
    shot(agent, "console-web-picture")
    agent.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    assert agent.evaluate("() => document.activeElement.classList.contains('attachment-thumb')")
    agent.keyboard.press("Enter")  # from the keyboard too
    expect(viewer).to_be_visible()
    agent.mouse.click(5, 5)  # beside the picture
    expect(viewer).to_be_hidden()
    console.close()
    ctx.close()


def test_the_customer_sees_their_own_picture_again_after_a_reload(stack, settings, hub, browser):
    """After a reload the customer's chat showed "📷 Picture sent" where their photo was: the page had it only from
    the file they picked. It now fetches it from the hub with the conversation's token (the way it reads its
    transcript) and shows the very picture under the page's own CSP; another customer's token is refused."""
    picture = png(64, 40, (30, 120, 220))
    ctx, page = chat_page(browser, settings.hub_url, DESKTOP)
    blocked: list[str] = []
    page.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Attach a picture").click()
    chooser.value.set_files(files=[{"name": "parcel.png", "mimeType": "image/png", "buffer": picture}])
    expect(page.locator(".row.customer img.picture")).to_be_visible(timeout=WAIT)
    expect(page.locator(".row.customer.pending")).to_have_count(0, timeout=WAIT)  # the hub has it

    page.reload()
    mine = page.locator(".row.customer img.picture")
    expect(mine).to_have_attribute("alt", "Your picture", timeout=WAIT)
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=mine.element_handle())
    assert mine.evaluate("(img) => [img.naturalWidth, img.naturalHeight]") == [64, 40]
    expect(page.locator(".row.customer .picture-sent")).to_have_count(0)
    page.locator("#lang").click()  # its label follows the page's language
    expect(mine).to_have_attribute("alt", "您发送的图片")
    assert not blocked, blocked
    assert_accessible(page, "chat with the customer's picture after a reload (zh)")
    shot(page, "chat-picture-after-reload")

    cid, token = saved_conversation(page)
    mine_auth = {"Authorization": f"Bearer {token}"}
    lines = hub.get(f"/api/conversations/{cid}/messages", headers=mine_auth).json()
    line = next(m for m in lines if m["sender"] == "customer" and m["meta"].get("kind") == "attachment")
    url = f"/api/conversations/{cid}/messages/{line['id']}/picture"
    served = hub.get(url, headers=mine_auth)
    assert served.status_code == 200 and served.content == picture, served.text
    assert served.headers["content-type"] == "image/png" and served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["cache-control"].startswith("private")
    other = hub.post("/api/conversations", json={"language": "en"}).json()
    assert hub.get(url, headers={"Authorization": f"Bearer {other['token']}"}).status_code == 403  # another customer's session
    assert hub.get(url).status_code in (401, 403)
    told = next(m for m in lines if m["meta"].get("kind") == "media_for_agent")
    not_a_picture = hub.get(f"/api/conversations/{cid}/messages/{told['id']}/picture", headers=mine_auth)
    assert not_a_picture.status_code == 404 and not_a_picture.json()["code"] == "not_an_attachment"
    # a picture of another conversation cannot be reached through this one's token
    theirs = hub.get(f"/api/conversations/{other['conversation_id']}/messages/{line['id']}/picture", headers={"Authorization": f"Bearer {other['token']}"})
    assert theirs.status_code == 404
    ctx.close()


def test_a_picture_the_hub_could_not_take_waits_in_the_outbox_and_is_sent_once(stack, settings, hub, browser):
    """A picture sent while the hub was away was marked failed at once and lost with a reload, where a typed message
    waits in the outbox and goes by itself. Now a picture waits the same way (kept across a reload), is sent once
    when the hub is back; one that fails for good says so, survives a reload with "Retry", and goes when retried."""
    first, second = png(50, 30, (200, 30, 120)), png(30, 50, (20, 180, 60))
    ctx, page = chat_page(browser, settings.hub_url, DESKTOP)
    cid, token = saved_conversation(page)
    upload = re.compile(rf"/api/conversations/{cid}/attachments")

    def attach(picture: bytes, name: str) -> None:
        with page.expect_file_chooser() as chooser:
            page.locator("#attach").click()
        chooser.value.set_files(files=[{"name": name, "mimeType": "image/png", "buffer": picture}])

    def sent_pictures() -> list[bytes]:
        auth = {"Authorization": f"Bearer {token}"}
        lines = hub.get(f"/api/conversations/{cid}/messages", headers=auth).json()
        return [hub.get(f"/api/conversations/{cid}/messages/{m['id']}/picture", headers=auth).content
                for m in lines if m["sender"] == "customer" and m["meta"].get("kind") == "attachment"]

    page.route(upload, lambda route: route.fulfill(status=503, content_type="application/json", body='{"detail": "the hub is restarting"}'))
    attach(first, "box.png")
    waiting = page.locator(".row.customer.pending img.picture")
    expect(waiting).to_have_count(1, timeout=WAIT)
    expect(page.locator("#conn")).to_be_visible(timeout=WAIT)  # the service is away: it is sent again by itself
    expect(page.locator(".row.customer.failed")).to_have_count(0)
    page.reload()
    expect(waiting).to_have_count(1, timeout=WAIT)  # still waiting after the reload, the picture itself shown
    page.wait_for_function("(img) => img.complete && img.naturalWidth === 50", arg=waiting.element_handle())
    page.unroute(upload)
    expect(page.locator(".row.customer.pending")).to_have_count(0, timeout=WAIT)
    assert sent_pictures() == [first]

    page.route(upload, lambda route: route.fulfill(status=500, content_type="application/json", body='{"detail": "internal error"}'))
    attach(second, "label.png")
    failed = page.locator(".row.customer.failed")
    expect(failed.locator(".failed-note")).to_have_text("The picture couldn't be sent. Please try again.", timeout=WAIT)
    expect(failed.locator("img.picture")).to_be_visible()
    page.reload()
    page.locator("#lang").click()
    expect(failed.locator(".failed-note")).to_have_text("图片发送失败，请重试。", timeout=WAIT)
    expect(failed.get_by_role("button", name="不发送了")).to_be_visible()
    assert_accessible(page, "chat with a picture not sent (zh)")
    shot(page, "chat-picture-not-sent-zh")
    page.unroute(upload)
    failed.get_by_role("button", name="重试").click()
    expect(page.locator(".row.customer.failed, .row.customer.pending")).to_have_count(0, timeout=WAIT)
    assert sent_pictures() == [first, second]
    page.reload()  # nothing left in the outbox: nothing sent again, nothing shown twice
    expect(page.locator(".row.customer img.picture")).to_have_count(2, timeout=WAIT)
    expect(page.locator(".row.customer.failed, .row.customer.pending")).to_have_count(0)
    assert sent_pictures() == [first, second]
    ctx.close()


def claimed_by_alice(browser, settings):
    """A web customer (English, desktop) who asked for a person, claimed by alice in her console: the two pages."""
    ctx, page = chat_page(browser, settings.hub_url, DESKTOP)
    page.get_by_role("button", name="Talk to a person").click()
    cid, _token = saved_conversation(page)
    console, agent = staff_page(browser, settings.hub_url, "/console", "alice", DESKTOP)
    agent.locator(f'#queue li[data-cid="{cid}"]').get_by_role("button", name=re.compile("^Claim")).click()
    return ctx, page, cid, console, agent


@pytest.mark.usefixtures("manual_assignment")  # the agent claims the chat from the queue
def test_an_agent_sends_a_picture_and_a_pdf_the_web_customer_sees_and_downloads(stack, settings, agents, browser):
    """An agent could not send the customer anything but words. Now the paper-clip beside the reply box sends a picture
    or a PDF: the customer's chat shows the very picture live (over the WebSocket) and again after a reload, and
    downloads the PDF under its name; a file that is not a picture or a PDF is refused in the console, in Chinese too."""
    picture, label = png(72, 36, (250, 90, 30)), b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << >> endobj\n%%EOF\n"
    ctx, page, cid, console, agent = claimed_by_alice(browser, settings)
    attach = agent.get_by_role("button", name="Send a picture or PDF")
    expect(attach).to_be_visible(timeout=WAIT)
    with agent.expect_file_chooser() as chooser:
        attach.click()
    chooser.value.set_files(files=[{"name": "where-is-the-order-number.png", "mimeType": "image/png", "buffer": picture}])
    sent = agent.locator("#transcript .msg.agent .attachment-thumb img")
    expect(sent).to_have_attribute("alt", "Picture sent to the customer", timeout=WAIT)

    shown = page.locator(".row.agent img.picture.from-agent")  # live, over the WebSocket
    expect(shown).to_have_attribute("alt", "Picture from the agent", timeout=WAIT)
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=shown.element_handle())
    assert shown.evaluate("(img) => [img.naturalWidth, img.naturalHeight]") == [72, 36]
    source = shown.get_attribute("src")  # a data: URL (the page's CSP allows no other): the very bytes the agent sent
    assert source.startswith("data:image/png;base64,") and base64.b64decode(source.split(",", 1)[1]) == picture

    with agent.expect_file_chooser() as chooser:
        attach.click()
    chooser.value.set_files(files=[{"name": "退货标签.pdf", "mimeType": "application/pdf", "buffer": label}])
    link = page.get_by_role("link", name="Download 退货标签.pdf (from the agent)")
    expect(link).to_be_visible(timeout=WAIT)
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "退货标签.pdf"
    assert open(download.value.path(), "rb").read() == label
    assert_accessible(page, "chat with a picture and a file from the agent")
    shot(page, "chat-agent-picture-and-file")

    page.reload()  # after a reload: fetched again with the conversation's token
    again = page.locator(".row.agent img.picture.from-agent")
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=again.element_handle(timeout=WAIT))
    assert again.evaluate("(img) => [img.naturalWidth, img.naturalHeight]") == [72, 36]
    expect(page.get_by_role("link", name="Download 退货标签.pdf (from the agent)")).to_be_visible()

    agent.locator("header .ui-lang-select").select_option("zh")  # a refusal in the agent's language
    attach = agent.get_by_role("button", name="发送图片或 PDF")
    with agent.expect_file_chooser() as chooser:
        attach.click()
    chooser.value.set_files(files=[{"name": "fake.png", "mimeType": "image/png", "buffer": b"<html><script>alert(1)</script></html>"}])
    expect(agent.locator("#action-error")).to_have_text("只能发送 JPEG、PNG、WebP、GIF 图片或 PDF 文件。", timeout=WAIT)
    # what alice sent stays in her transcript across the switch of language (it was only added to the screen)
    expect(agent.locator("#transcript .msg.agent .attachment-thumb img")).to_have_attribute("alt", "发给顾客的图片", timeout=WAIT)
    expect(agent.locator("#transcript .msg.agent .attachment-file")).to_have_text("⬇ 下载退货标签.pdf")
    assert_accessible(agent, "console with the attach button")
    shot(agent, "console-agent-sent-picture")
    expect(page.locator(".row.agent img.picture.from-agent")).to_have_count(1)  # nothing else reached the customer
    console.close()
    ctx.close()


# A file handed to the page the way a paste or a drop hands it (a DataTransfer holding the file's bytes).
_HAND_OVER = """([target, kind, name, type, bytes]) => {
  const data = new DataTransfer();
  data.items.add(new File([new Uint8Array(bytes)], name, { type }));
  const node = document.querySelector(target);
  if (kind === "paste") return node.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
  node.dispatchEvent(new DragEvent("dragover", { dataTransfer: data, bubbles: true, cancelable: true }));
  return node.dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
}"""


def test_a_picture_pasted_into_the_box_or_dropped_onto_the_chat_is_attached(stack, settings, hub, browser):
    """A screenshot pasted into the message box did nothing, and a photo dragged from the desktop onto the chat made the
    browser open the file in place of the chat (the conversation gone from the screen). Both are now attached like one
    picked with the button: shown at once, sent to the hub; pasted text is still left to the box."""
    pasted, dropped = png(48, 32, (10, 90, 200)), png(32, 48, (200, 90, 10))
    ctx, page = chat_page(browser, settings.hub_url, DESKTOP)
    cid, token = saved_conversation(page)
    handled = page.evaluate(_HAND_OVER, ["#input", "paste", "image.png", "image/png", list(pasted)])
    assert handled is False  # taken by the chat, not pasted into the box as well
    expect(page.locator(".row.customer img.picture")).to_have_count(1, timeout=WAIT)
    expect(page.locator(".row.customer.pending")).to_have_count(0, timeout=WAIT)  # the hub has it: the two in order
    handled = page.evaluate(_HAND_OVER, ["#log", "drop", "包裹.png", "image/png", list(dropped)])
    assert handled is False  # the browser does not open the file in place of the chat
    expect(page.locator(".row.customer img.picture")).to_have_count(2, timeout=WAIT)
    expect(page.locator(".row.customer.pending")).to_have_count(0, timeout=WAIT)
    auth = {"Authorization": f"Bearer {token}"}
    lines = hub.get(f"/api/conversations/{cid}/messages", headers=auth).json()
    sent = [hub.get(f"/api/conversations/{cid}/messages/{m['id']}/picture", headers=auth).content
            for m in lines if m["sender"] == "customer" and m["meta"].get("kind") == "attachment"]
    assert sent == [pasted, dropped]
    page.locator("#input").focus()  # words pasted are still the box's to take
    assert page.evaluate("""() => document.querySelector('#input').dispatchEvent(new ClipboardEvent('paste', {
        clipboardData: (() => { const d = new DataTransfer(); d.setData('text/plain', 'hi'); return d; })(), bubbles: true, cancelable: true }))""")
    assert_accessible(page, "chat with a pasted and a dropped picture")
    shot(page, "chat-picture-pasted-dropped")
    ctx.close()


def test_a_big_photo_is_a_bounded_thumbnail_a_phone_customer_taps_to_see_full_size(stack, settings, browser):
    """A customer on a phone sends a 4000x3000 photo: it is a thumbnail inside their chat (no sideways scroll), but
    tapping it did nothing, so the photo could not be seen any bigger, nor the agent's picture. Tapping it (or Enter on
    it) now shows it full size over the chat, labelled in Chinese; the close button or Escape brings the chat back."""
    photo = png(4000, 3000, (90, 140, 60))
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN", has_touch=True, is_mobile=True)
    page = ctx.new_page()
    page.goto(f"{settings.hub_url}/chat")
    page.wait_for_function("() => { const s = JSON.parse(localStorage.getItem('cs_chat_v1') || 'null'); return s && s.id && s.token; }")
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="发送图片").tap()
    chooser.value.set_files(files=[{"name": "IMG_0001.png", "mimeType": "image/png", "buffer": photo}])
    # Its row as the hub has it (with an id), not the pending one: that is drawn first, from the file, and replaced when
    # the hub confirms it (waiting for "no pending row" alone could pass before the pending row was even drawn).
    thumb = page.locator(".row.customer[data-id] img.picture")
    page.wait_for_function("() => { const img = document.querySelector('.row.customer[data-id] img.picture'); return img && img.complete && img.naturalWidth === 4000 && img.getBoundingClientRect().width > 0; }", timeout=WAIT)
    box = thumb.bounding_box()
    assert box["width"] <= 240 and box["height"] <= 240, box
    assert abs(box["width"] / box["height"] - 4 / 3) < 0.05, box  # scaled, not squashed
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), "the chat scrolls sideways"

    opener = page.get_by_role("button", name="您发送的图片：查看大图")
    opener.tap()
    viewer = page.get_by_role("dialog", name="您发送的图片")
    expect(viewer).to_be_visible()
    full = viewer.locator("img")
    big = full.bounding_box()
    assert big["width"] > box["width"] * 1.4 and big["width"] <= PHONE["width"], big
    assert_accessible(page, "a picture shown full size (zh)")
    shot(page, "chat-picture-full-size")
    viewer.get_by_role("button", name="关闭图片").tap()
    expect(viewer).to_be_hidden()
    opener.focus()  # from the keyboard too; Escape closes it and the keyboard is back on the thumbnail
    page.keyboard.press("Enter")
    expect(viewer).to_be_visible()
    page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    assert page.evaluate("() => document.activeElement.classList.contains('picture-open')")
    ctx.close()


@pytest.mark.usefixtures("manual_assignment")  # the agent claims the chat from the queue
def test_an_agent_drops_or_pastes_a_file_onto_the_reply_box_and_it_is_sent(stack, settings, agents, browser):
    """An agent dragging a return label from the desktop onto the reply box sent nothing (the browser would open the file
    in place of the console), and a screenshot pasted into the box was lost. Both are now sent like a file picked with
    the paper-clip; a big photo is a bounded thumbnail in the transcript on a 1366x768 screen; the customer gets both."""
    photo, label = png(4000, 3000, (30, 60, 200)), b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n"
    ctx, page, cid, console, agent = claimed_by_alice(browser, settings)
    expect(agent.locator("#reply")).to_be_visible(timeout=WAIT)
    handled = agent.evaluate(_HAND_OVER, ["#reply", "drop", "退货标签.pdf", "application/pdf", list(label)])
    assert handled is False  # taken by the console, not opened by the browser
    expect(page.get_by_role("link", name="Download 退货标签.pdf (from the agent)")).to_be_visible(timeout=WAIT)
    handled = agent.evaluate(_HAND_OVER, ["#reply", "paste", "image.png", "image/png", list(photo)])
    assert handled is False
    sent = agent.locator("#transcript .msg.agent .attachment-thumb img")
    agent.wait_for_function("(img) => img.complete && img.naturalWidth === 4000", arg=sent.element_handle(timeout=WAIT))
    box = sent.bounding_box()
    assert box["width"] <= 240 and box["height"] <= 180, box
    assert agent.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    expect(page.locator(".row.agent img.picture.from-agent")).to_have_count(1, timeout=WAIT)
    assert_accessible(agent, "console after a dropped file and a pasted picture")
    shot(agent, "console-dropped-and-pasted")
    console.close()
    ctx.close()


def _noisy_png(width: int, height: int) -> bytes:
    """A PNG that does not compress (random pixels): as heavy as a phone photo of its size."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + os.urandom(width * 3) for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 0)) + chunk(b"IEND", b""))


def test_a_picture_sent_over_a_slow_connection_shows_how_much_has_gone(stack, settings, hub, browser):
    """On a slow mobile connection a 1 MB photo took many seconds to send with nothing but a spinner: the customer could
    not tell it was moving. A bar under it now says how much has gone (labelled 正在发送图片 for a screen reader), and
    goes once the hub has the picture."""
    photo = _noisy_png(600, 600)
    ctx, page = chat_page(browser, settings.hub_url, PHONE, language="zh")
    cid, token = saved_conversation(page)
    cdp = ctx.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 100, "downloadThroughput": -1,
                                                  "uploadThroughput": 64 * 1024})
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="发送图片").click()
    chooser.value.set_files(files=[{"name": "IMG_0002.png", "mimeType": "image/png", "buffer": photo}])
    bar = page.get_by_role("progressbar", name="正在发送图片")
    expect(bar).to_be_visible(timeout=WAIT)
    page.wait_for_function("() => { const b = document.querySelector('.row.pending progress.upload'); return b && b.value > 0 && b.value < 100; }")
    assert_accessible(page, "chat while a picture is being sent (zh)")
    shot(page, "chat-picture-sending")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    expect(page.locator(".row.customer.pending")).to_have_count(0, timeout=WAIT)
    expect(page.locator("progress.upload")).to_have_count(0)
    auth = {"Authorization": f"Bearer {token}"}
    lines = hub.get(f"/api/conversations/{cid}/messages", headers=auth).json()
    sent = [hub.get(f"/api/conversations/{cid}/messages/{m['id']}/picture", headers=auth).content
            for m in lines if m["sender"] == "customer" and m["meta"].get("kind") == "attachment"]
    assert sent == [photo]
    ctx.close()


@pytest.mark.usefixtures("manual_assignment")  # the agent claims the chat from the queue
def test_a_file_the_agent_sends_over_a_slow_line_shows_how_much_has_gone(stack, settings, agents, browser):
    """An agent sending a 1 MB photo over a slow line saw only a dimmed paper-clip for many seconds. A bar along the top
    of the reply box now fills as it goes (named for a screen reader, in the agent's language across a switch) and goes
    once the customer has the picture."""
    photo = _noisy_png(600, 600)
    ctx, page, cid, console, agent = claimed_by_alice(browser, settings)
    attach = agent.get_by_role("button", name="Send a picture or PDF")
    expect(attach).to_be_visible(timeout=WAIT)
    cdp = console.new_cdp_session(agent)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 100, "downloadThroughput": -1,
                                                  "uploadThroughput": 64 * 1024})
    with agent.expect_file_chooser() as chooser:
        attach.click()
    chooser.value.set_files(files=[{"name": "size-chart.png", "mimeType": "image/png", "buffer": photo}])
    expect(agent.get_by_role("progressbar", name="Sending the file to the customer")).to_be_visible(timeout=WAIT)
    agent.wait_for_function("() => { const b = document.querySelector('#reply-form progress.upload'); return b && b.value > 0 && b.value < 100; }")
    agent.locator("header .ui-lang-select").select_option("zh")
    expect(agent.get_by_role("progressbar", name="正在把文件发给顾客")).to_be_visible()
    assert_accessible(agent, "console while a file is being sent (zh)")
    shot(agent, "console-file-sending")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    expect(agent.locator("#transcript .msg.agent .attachment-thumb img")).to_be_visible(timeout=WAIT)
    expect(agent.locator("progress.upload")).to_have_count(0)
    expect(page.locator(".row.agent img.picture.from-agent")).to_have_count(1, timeout=WAIT)
    console.close()
    ctx.close()


def test_after_a_reload_the_chat_with_pictures_opens_at_the_latest_line(stack, settings, browser):
    """A phone customer who had sent a few photos reloaded the chat and landed in the middle of it, the latest reply
    below the fold: the log was scrolled to the end before the pictures (fetched from the hub) arrived and grew it.
    Now a picture that loads while the log is at its end keeps it there."""
    ctx, page = chat_page(browser, settings.hub_url, PHONE, language="zh")
    for i in range(3):
        with page.expect_file_chooser() as chooser:
            page.locator("#attach").click()
        chooser.value.set_files(files=[{"name": f"p{i}.png", "mimeType": "image/png", "buffer": png(4000, 3000, (40 * i, 100, 100))}])
        expect(page.locator(".row.customer.pending")).to_have_count(0, timeout=WAIT)
    expect(page.locator(".row.system.media_for_agent")).to_have_count(3, timeout=WAIT)
    page.reload()
    expect(page.locator(".row.customer img.picture")).to_have_count(3, timeout=WAIT)
    page.wait_for_function("""() => { const log = document.getElementById('log');
        return [...log.querySelectorAll('img.picture')].every((img) => img.complete && img.naturalWidth > 0)
          && log.scrollHeight > log.clientHeight && log.scrollTop + log.clientHeight >= log.scrollHeight - 2; }""", timeout=WAIT)
    expect(page.locator(".row.system.media_for_agent").last).to_be_in_viewport()
    shot(page, "chat-pictures-after-reload-at-end")
    ctx.close()


@pytest.mark.usefixtures("manual_assignment")  # the agent claims the chat from the queue
def test_the_agent_opening_a_chat_with_photos_sees_its_latest_line(stack, settings, agents, browser):
    """An agent claiming a chat where the customer had sent a few photos saw the middle of the transcript on a 1366x768
    screen, the customer's latest words below the fold: it was scrolled to its end before the photos loaded and grew it.
    Now a photo that loads while the transcript is at its end keeps it there; each photo is a bounded thumbnail."""
    ctx, page = chat_page(browser, settings.hub_url, DESKTOP, language="zh")
    for i in range(3):
        with page.expect_file_chooser() as chooser:
            page.locator("#attach").click()
        chooser.value.set_files(files=[{"name": f"p{i}.png", "mimeType": "image/png", "buffer": png(4000, 3000, (100, 40 * i, 100))}])
        expect(page.locator(".row.customer.pending")).to_have_count(0, timeout=WAIT)
    page.locator(".row.system.media_for_agent").last.get_by_role("button", name="转人工客服查看").click(timeout=WAIT)
    cid, _token = saved_conversation(page)
    console, agent = staff_page(browser, settings.hub_url, "/console", "alice", DESKTOP)
    agent.locator(f'#queue li[data-cid="{cid}"]').get_by_role("button", name=re.compile("^Claim")).click()
    thumbs = agent.locator("#transcript .msg.customer .attachment-thumb img")
    expect(thumbs).to_have_count(3, timeout=WAIT)
    agent.wait_for_function("""() => { const t = document.getElementById('transcript');
        return [...t.querySelectorAll('.attachment-thumb img')].every((img) => img.complete && img.naturalWidth > 0)
          && t.scrollHeight > t.clientHeight && t.scrollTop + t.clientHeight >= t.scrollHeight - 2; }""", timeout=WAIT)
    for box in (thumbs.nth(i).bounding_box() for i in range(3)):
        assert box["width"] <= 240 and box["height"] <= 180, box
    expect(agent.locator("#transcript .msg").last).to_be_in_viewport()
    shot(agent, "console-photos-at-end")
    console.close()
    ctx.close()


@pytest.mark.usefixtures("manual_assignment")  # the agent claims the chat from the queue
def test_a_file_the_agent_sent_that_failed_on_the_way_is_retried_and_arrives_once(stack, settings, hub, agents, browser):
    """An agent's picture sent while the connection dropped was lost with an error: the agent had to find the file
    and send it again. It now stays at the end of the transcript as not sent, with Retry (and Discard); retried, it
    reaches the customer. Sent again under the same client message id, a file the hub took but whose answer was
    lost is stored once, whatever Retry is pressed twice."""
    picture, label = png(60, 40, (10, 150, 90)), b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n"
    ctx, page, cid, console, agent = claimed_by_alice(browser, settings)
    _cid, token = saved_conversation(page)
    upload = re.compile(rf"/api/agent/conversations/{cid}/attachments\?")
    attach = agent.get_by_role("button", name="Send a picture or PDF")
    expect(attach).to_be_visible(timeout=WAIT)

    def sent_files() -> list[dict]:
        lines = hub.get(f"/api/conversations/{cid}/messages", headers={"Authorization": f"Bearer {token}"}).json()
        return [m for m in lines if m["sender"] == "agent" and m["meta"].get("kind") == "attachment"]

    def send(name: str, kind: str, data: bytes) -> None:
        with agent.expect_file_chooser() as chooser:
            attach.click()
        chooser.value.set_files(files=[{"name": name, "mimeType": kind, "buffer": data}])

    agent.route(upload, lambda route: route.abort("internetdisconnected"))  # the hub never hears of it
    send("size-chart.png", "image/png", picture)
    unsent = agent.locator("#transcript .msg.unsent")
    expect(unsent.locator(".attachment-error")).to_have_text("Not sent: Can't reach the service. Please try again once the connection is back.", timeout=WAIT)
    expect(unsent).to_contain_text("size-chart.png")
    assert_accessible(agent, "console with a file not sent")
    shot(agent, "console-file-not-sent")
    agent.locator("header .ui-lang-select").select_option("zh")  # still there, in the agent's language
    expect(unsent.locator(".attachment-error")).to_have_text("未发出：无法连接到服务，请在网络恢复后重试。", timeout=WAIT)
    expect(unsent.get_by_role("button", name="重试发送size-chart.png")).to_be_visible()
    agent.locator("header .ui-lang-select").select_option("en")
    assert sent_files() == []
    agent.unroute(upload)
    unsent.get_by_role("button", name="Retry sending size-chart.png").click()
    expect(unsent).to_have_count(0, timeout=WAIT)
    expect(agent.locator("#transcript .msg.agent .attachment-thumb img")).to_have_count(1, timeout=WAIT)
    expect(page.locator(".row.agent img.picture.from-agent")).to_have_count(1, timeout=WAIT)
    assert len(sent_files()) == 1

    def lost_answer(route) -> None:  # the hub takes it, the answer never reaches the console
        route.fetch()
        route.abort("connectionreset")
    agent.route(upload, lost_answer)
    send("退货标签.pdf", "application/pdf", label)
    expect(unsent.locator(".attachment-error")).to_contain_text("Not sent:", timeout=WAIT)
    assert len(sent_files()) == 2  # it reached the hub
    agent.unroute(upload)
    unsent.get_by_role("button", name="Retry sending 退货标签.pdf").dblclick()
    expect(unsent).to_have_count(0, timeout=WAIT)
    expect(agent.locator("#transcript .msg.agent .attachment-file")).to_have_count(1, timeout=WAIT)
    files = sent_files()
    assert len(files) == 2 and files[1]["meta"]["media"]["name"] == "退货标签.pdf"  # stored once
    expect(page.get_by_role("link", name="Download 退货标签.pdf (from the agent)")).to_have_count(1, timeout=WAIT)

    agent.route(upload, lambda route: route.abort("internetdisconnected"))  # Discard: it goes, nothing is sent
    send("wrong.png", "image/png", picture)
    unsent.get_by_role("button", name="Discard wrong.png (not sent)").click(timeout=WAIT)
    expect(unsent).to_have_count(0)
    expect(agent.locator("#reply")).to_be_focused()  # the keyboard is not lost with the line
    agent.unroute(upload)
    assert len(sent_files()) == 2
    console.close()
    ctx.close()


def test_a_picture_too_large_to_draw_is_refused_in_the_customers_words(stack, settings, hub, browser):
    """A picture whose header declares 20000 x 20000 pixels (a few hundred KB) was taken and shown to the agent; the
    hub refuses it now (image_too_many_pixels), and the customer reads why under it, in the page's language, never
    sent again; an ordinary photo after it goes."""
    from tests.test_agent_attachments import declared_png

    ctx, page = chat_page(browser, settings.hub_url, DESKTOP)
    cid, token = saved_conversation(page)

    def attach(picture: bytes, name: str) -> None:
        with page.expect_file_chooser() as chooser:
            page.locator("#attach").click()
        chooser.value.set_files(files=[{"name": name, "mimeType": "image/png", "buffer": picture}])

    attach(declared_png(20000, 20000), "huge.png")
    failed = page.locator(".row.customer.failed")
    expect(failed.locator(".failed-note")).to_have_text(
        "This picture is too large to show (more than 8000 × 8000 pixels). Send a smaller one: a photo or a screenshot is fine.", timeout=WAIT)
    page.locator("#lang").click()
    expect(failed.locator(".failed-note")).to_have_text("图片尺寸太大，无法显示（超过 8000 × 8000 像素）。请发送小一些的图片，照片或截图都可以。")
    attach(png(60, 40, (30, 30, 200)), "box.png")
    # Sent and shown (before: only "no row pending", true before its upload had even begun).
    expect(page.locator(".row.customer:not(.failed):not(.pending) img.picture")).to_have_count(1, timeout=WAIT)
    expect(page.locator(".row.customer.pending")).to_have_count(0, timeout=WAIT)
    lines = hub.get(f"/api/conversations/{cid}/messages", headers={"Authorization": f"Bearer {token}"}).json()
    assert [m["meta"]["media"]["size"] for m in lines if m["meta"].get("kind") == "attachment"] == [len(png(60, 40, (30, 30, 200)))]
    page.reload()  # refused for good: not in the outbox, never sent again
    expect(page.locator(".row.customer img.picture")).to_have_count(1, timeout=WAIT)
    ctx.close()
