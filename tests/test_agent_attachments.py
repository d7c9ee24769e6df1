"""An agent sends the customer a picture or a PDF (a return label, a size chart, a screenshot of where the order number
is): through the real stack, to a Telegram customer (the stand-in receives the very bytes through sendDocument /
sendPhoto), to a WeChat follower (temporary media, then an image message), and to a web customer (read back with
the conversation's token). Only the agent who owns the chat may send; a file that is not a picture or a PDF, or too
large, is refused with a code the console words; erasure deletes what was sent.
"""

from __future__ import annotations

import socket
import struct
import zlib

import pytest

from core.redis import Keys, sync_client
from tests.clients import AgentClient, run_cli
from tests.test_channel_attachments import JPEG, png
from tests.test_channel_telegram import _wait_delivered, claimed_chat, conversation_of
from tests.test_channel_wechat import follower

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def send_path(cid: str) -> str:
    return f"/api/agent/conversations/{cid}/attachments"


@pytest.mark.usefixtures("manual_assignment")  # the agent claims the chat from the queue
def test_an_agent_sends_a_telegram_customer_a_pdf_and_a_picture(settings, hub, agents, channels_hub, telegram_api, telegram_secret):
    """alice sends the return label (a PDF, a Chinese name) and a photo: Telegram gets the same bytes through
    sendDocument and sendPhoto, each delivered once; bob, who does not own the chat, is refused (403), and so are a file
    that is neither (422) and one over the limit (413), none of which reaches Telegram."""
    user, alice, cid = claimed_chat(settings, hub, channels_hub, telegram_api, telegram_secret, "Ann", "alice")
    sent = hub.post(send_path(cid), params={"name": "退货标签.pdf", "client_message_id": "label-1"}, content=PDF,
                    headers={**alice.headers, "Content-Type": "application/pdf"})
    assert sent.status_code == 201, sent.text
    line = sent.json()
    assert line["sender"] == "agent" and line["meta"]["kind"] == "attachment" and line["meta"]["media"]["type"] == "file"
    assert line["meta"]["media"]["name"] == "退货标签.pdf"
    again = hub.post(send_path(cid), params={"name": "退货标签.pdf", "client_message_id": "label-1"}, content=PDF,
                     headers={**alice.headers, "Content-Type": "application/pdf"})
    assert again.status_code in (200, 201) and again.json()["id"] == line["id"]  # sent again: stored once
    assert _wait_delivered(alice, cid, line["id"])[line["id"]]["channel"] == "telegram"
    [document] = telegram_api.wait_for(lambda: telegram_api.uploads_to(user.user_id))
    assert document["method"] == "sendDocument" and document["data"] == PDF and document["filename"] == "退货标签.pdf"

    picture = png(rgb=(30, 90, 200))
    shown = hub.post(send_path(cid), params={"name": "size-chart.png"}, content=picture, headers={**alice.headers, "Content-Type": "image/png"})
    assert shown.status_code == 201, shown.text
    _wait_delivered(alice, cid, shown.json()["id"])
    photo = telegram_api.uploads_to(user.user_id)[-1]
    assert photo["method"] == "sendPhoto" and photo["data"] == picture
    opened = hub.get(f"/api/agent/conversations/{cid}/messages/{line['id']}/attachment", headers=alice.headers)  # the console opens what it sent
    assert opened.status_code == 200 and opened.content == PDF and opened.headers["content-disposition"].startswith("attachment;")

    bob = AgentClient(hub, "bob", console=False)
    refused = hub.post(send_path(cid), content=PDF, headers={**bob.headers, "Content-Type": "application/pdf"})
    assert refused.status_code == 403 and refused.json()["code"] == "not_owner", refused.text
    html = hub.post(send_path(cid), content=b"<html><script>alert(1)</script></html>", headers={**alice.headers, "Content-Type": "application/pdf"})
    assert html.status_code == 422 and html.json()["code"] == "not_a_picture_or_pdf", html.text
    huge = hub.post(send_path(cid), content=PDF + b"\0" * settings.agent_attachment_max_bytes, headers={**alice.headers, "Content-Type": "application/pdf"})
    assert huge.status_code == 413, huge.text
    assert hub.post(send_path(cid), content=PDF, headers={"Content-Type": "application/pdf"}).status_code in (401, 403)  # signed in as nobody
    assert len(telegram_api.uploads_to(user.user_id)) == 2


@pytest.mark.usefixtures("manual_assignment")
def test_an_agent_sends_a_wechat_follower_a_picture_as_temporary_media(settings, hub, agents, channels_hub, wechat_api):
    """The picture is uploaded as temporary media (/cgi-bin/media/upload) and sent as a customer-service image message
    with its media_id; a PDF, which an official account cannot send, is refused at once (422), not lost in the outbox."""
    f = follower(channels_hub)
    assert "转接人工" in f.reply_text(f.push(f.text_xml("我要转人工")[0], encrypted=True))
    cid = conversation_of(settings, "wechat", f.openid)
    alice = AgentClient(hub, "alice")
    assert alice.post(f"/conversations/{cid}/claim").status_code == 200
    wechat_api.expire_token()  # the upload renews a stale access_token once, as a text does
    sent = hub.post(send_path(cid), params={"name": "订单号在这里.jpg"}, content=JPEG, headers={**alice.headers, "Content-Type": "image/jpeg"})
    assert sent.status_code == 201, sent.text
    [image] = wechat_api.wait_for(lambda: [m for m in wechat_api.messages_to(f.openid) if m["msgtype"] == "image"])
    assert wechat_api.uploaded[image["image"]["media_id"]][0] == JPEG
    _wait_delivered(alice, cid, sent.json()["id"])
    pdf = hub.post(send_path(cid), params={"name": "label.pdf"}, content=PDF, headers={**alice.headers, "Content-Type": "application/pdf"})
    assert pdf.status_code == 422 and pdf.json()["code"] == "not_for_this_channel", pdf.text


def _claimed_by_alice(hub) -> tuple[str, dict, AgentClient]:
    """A web chat handed over and claimed by alice: its id, the customer's bearer header, alice's client."""
    started = hub.post("/api/conversations", json={"language": "en"}).json()
    cid, bearer = started["conversation_id"], {"Authorization": f"Bearer {started['token']}"}
    hub.post(f"/api/conversations/{cid}/messages", json={"text": "I want a person"}, headers=bearer)
    hub.post(f"/api/conversations/{cid}/handoff", headers=bearer)
    alice = AgentClient(hub, "alice")
    assert alice.post(f"/conversations/{cid}/claim").status_code == 200
    return cid, bearer, alice


@pytest.mark.usefixtures("manual_assignment")
def test_a_web_customer_reads_what_the_agent_sent_and_erasure_deletes_it(settings, hub, agents):
    """The web customer's page reads the agent's picture through its picture route and the PDF through its sibling
    (a download under its name), with the conversation's token only; erasing the conversation deletes both."""
    cid, bearer, alice = _claimed_by_alice(hub)
    picture = png(rgb=(200, 200, 10))
    image = hub.post(send_path(cid), params={"name": "where.png"}, content=picture, headers={**alice.headers, "Content-Type": "image/png"}).json()
    label = hub.post(send_path(cid), params={"name": "label.pdf"}, content=PDF, headers={**alice.headers, "Content-Type": "application/pdf"}).json()
    assert image["id"] not in alice.get(f"/conversations/{cid}/deliveries").json()  # the web page reads the transcript: no outbox

    served = hub.get(f"/api/conversations/{cid}/messages/{image['id']}/picture", headers=bearer)
    assert served.status_code == 200 and served.content == picture and served.headers["content-type"] == "image/png", served.text
    pdf = hub.get(f"/api/conversations/{cid}/messages/{label['id']}/file", headers=bearer)
    assert pdf.status_code == 200 and pdf.content == PDF and pdf.headers["content-type"] == "application/pdf", pdf.text
    assert pdf.headers["content-disposition"].startswith("attachment;") and "label.pdf" in pdf.headers["content-disposition"]
    assert hub.get(f"/api/conversations/{cid}/messages/{image['id']}/file", headers=bearer).status_code == 404  # a picture is no file
    other = hub.post("/api/conversations", json={"language": "en"}).json()
    assert hub.get(f"/api/conversations/{cid}/messages/{label['id']}/file", headers={"Authorization": f"Bearer {other['token']}"}).status_code == 403

    r = sync_client(settings)
    proc = run_cli("-m", "privacy", "delete", "--conversation", cid, "--yes")
    assert proc.returncode == 0, proc.stderr
    assert not r.exists(Keys(settings.key_prefix).uploads(cid))


def declared_png(width: int, height: int) -> bytes:
    """A valid grey PNG of ``width`` x ``height``: a few hundred KB even at 20000 x 20000 (all one shade)."""
    packer = zlib.compressobj(9)
    row = b"\x00" * (width + 1)
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


# A JPEG whose frame header says 30000 x 30000 (the scan that follows is a few bytes), and a 10 x 10 GIF whose one
# frame is 20000 x 20000 (a browser grows the picture to hold it).
JPEG_30000 = (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
              + b"\xff\xc0\x00\x0b\x08" + struct.pack(">HH", 30000, 30000) + b"\x01\x01\x11\x00" + bytes(64) + b"\xff\xd9")
GIF_FRAME_20000 = (b"GIF89a" + struct.pack("<HH", 10, 10) + b"\x00\x00\x00"
                   + b"\x2c" + struct.pack("<HHHH", 0, 0, 20000, 20000) + b"\x00" + b"\x02\x02\x4c\x01\x00" + b"\x3b")


@pytest.mark.usefixtures("manual_assignment")
def test_a_picture_declaring_more_pixels_than_a_browser_can_draw_is_refused(settings, hub, agents):
    """A few hundred KB of PNG can declare 20000 x 20000 pixels: it passed as a picture, and the agent's console
    (which shows every picture of the chat as a thumbnail) decoded each one to 1.6 GB; ten of them, within a chat's
    picture limit, left it unable to draw for over a minute. A picture whose header declares more than 8000 x 8000
    pixels is refused now, from the customer (422 image_too_many_pixels) and from an agent, whatever its format;
    nothing is stored; a 48-megapixel phone photo is still taken."""
    started = hub.post("/api/conversations", json={"language": "en"}).json()
    cid, bearer = started["conversation_id"], {"Authorization": f"Bearer {started['token']}"}
    url = f"/api/conversations/{cid}/attachments"
    bomb = declared_png(20000, 20000)
    assert len(bomb) < settings.web_image_max_bytes
    for picture, kind in ((bomb, "image/png"), (JPEG_30000, "image/jpeg"), (GIF_FRAME_20000, "image/gif")):
        refused = hub.post(url, content=picture, headers={**bearer, "Content-Type": kind})
        assert refused.status_code == 422 and refused.json()["code"] == "image_too_many_pixels", (kind, refused.text)
    assert not sync_client(settings).exists(Keys(settings.key_prefix).uploads(cid))
    photo = declared_png(8000, 6000)
    taken = hub.post(url, content=photo, headers={**bearer, "Content-Type": "image/png"})
    assert taken.status_code == 201, taken.text

    hub.post(f"/api/conversations/{cid}/handoff", headers=bearer)
    alice = AgentClient(hub, "alice")
    assert alice.post(f"/conversations/{cid}/claim").status_code == 200
    for picture, kind in ((bomb, "image/png"), (GIF_FRAME_20000, "image/gif")):
        refused = hub.post(send_path(cid), params={"name": "chart.png"}, content=picture, headers={**alice.headers, "Content-Type": kind})
        assert refused.status_code == 422 and refused.json()["code"] == "image_too_many_pixels", (kind, refused.text)
    lines = hub.get(f"/api/conversations/{cid}/messages", headers=bearer).json()
    assert [m["meta"].get("kind") for m in lines if m["sender"] in ("customer", "agent")].count("attachment") == 1


def _post_slowly(settings, path: str, headers: dict, body: bytes, meanwhile) -> bytes:
    """POST ``body`` to the hub in two parts, running ``meanwhile`` after the first: the route has started (its
    authorisation is done) and is reading the body. What the hub answered."""
    host, port = settings.hub_url.removeprefix("http://").split(":")
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\n{head}Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body[:10])
        meanwhile()
        sock.sendall(body[10:])
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


@pytest.mark.usefixtures("manual_assignment")
def test_a_picture_still_arriving_when_the_conversation_is_erased_is_not_kept(settings, hub, agents):
    """The customer's picture (or the agent's file) was still on its way when the conversation was erased: the hub
    answered 500, and kept the picture under the erased conversation's name for the retention period (180 days),
    where nothing would delete it. Now nothing is kept and the answer is a 404 unknown_conversation."""
    r, keys = sync_client(settings), Keys(settings.key_prefix)

    def erase(cid: str):
        def run() -> None:
            proc = run_cli("-m", "privacy", "delete", "--conversation", cid, "--yes")
            assert proc.returncode == 0, proc.stderr
        return run

    started = hub.post("/api/conversations", json={"language": "en"}).json()
    cid, bearer = started["conversation_id"], {"Authorization": f"Bearer {started['token']}"}
    hub.post(f"/api/conversations/{cid}/messages", json={"text": "the parcel came broken"}, headers=bearer)
    answer = _post_slowly(settings, f"/api/conversations/{cid}/attachments", {**bearer, "Content-Type": "image/png"}, png(), erase(cid))
    assert answer.startswith(b"HTTP/1.1 404") and b"unknown_conversation" in answer, answer[:300]
    assert r.keys(f"*{cid}*") == []

    cid, bearer, alice = _claimed_by_alice(hub)
    answer = _post_slowly(settings, send_path(cid) + "?name=label.pdf", {**alice.headers, "Content-Type": "application/pdf"}, PDF, erase(cid))
    assert answer.startswith(b"HTTP/1.1 404"), answer[:300]
    assert not r.exists(keys.uploads(cid))
