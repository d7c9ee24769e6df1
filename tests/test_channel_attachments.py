"""What a customer sends beside their words on a messaging channel (the photo of the broken item, a receipt), opened by
the agent who reads the chat: through the real stack, with the platforms' stand-ins holding the files.

The hub fetches the file from the platform (Telegram ``getFile`` and its file server, WeChat ``/cgi-bin/media/get``
or the picture's address) and streams it back: an image inline, anything else as a download, never sniffed. Only
an agent who may read the conversation gets it; a platform that refuses is a clear 404 or 502 with a ``code``.
"""

from __future__ import annotations

import base64
import json
import os
import struct
import subprocess
import sys
import time
import zlib

import httpx
import pytest

from core.redis import Keys, sync_client
from handoff.models import HUMAN_PAYLOAD
from tests.channel_clients import TelegramUser
from tests.channel_fixtures import TELEGRAM_TOKEN, channel_env
from tests.clients import ROOT, AgentClient, run_cli
from tests.test_channel_telegram import _attachment_update, claimed_chat, conversation_of, linked_on_phone
from tests.test_channel_wechat import _push_xml, follower


def png(width: int = 48, height: int = 32, rgb: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    """A real PNG (a browser draws it): one colour, ``width`` x ``height``."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(range(256)) * 8 + b"\xff\xd9"


def attachment_path(cid: str, mid: str) -> str:
    return f"/api/agent/conversations/{cid}/messages/{mid}/attachment"


def customer_lines(settings, cid: str, count: int, kind: str = "attachment") -> list[dict]:
    """The conversation's first ``count`` customer lines of ``kind``, once they are stored."""
    deadline = time.monotonic() + 20
    while True:
        lines = [{**json.loads(m[1]["m"]), "id": m[0]} for m in sync_client(settings).xrange(Keys(settings.key_prefix).transcript(cid))]
        found = [m for m in lines if m["sender"] == "customer" and m["meta"].get("kind") == kind]
        if len(found) >= count:
            return found
        assert time.monotonic() < deadline, lines
        time.sleep(0.2)


def photo_of(file_id: str) -> list[dict]:
    return [{"file_id": "AgAD-thumb", "file_unique_id": "t1", "width": 90, "height": 60},
            {"file_id": file_id, "file_unique_id": file_id[-6:], "width": 48, "height": 32}]


@pytest.mark.usefixtures("manual_assignment")  # the agent claims the chat from the queue
def test_the_agent_opens_the_photo_and_the_file_a_telegram_customer_sent(settings, hub, agents, channels_hub, telegram_api, telegram_secret):
    """The customer sends a photo of the broken item and a file: the agent who holds the chat gets the very bytes
    Telegram has, the photo inline as a PNG, the file (HTML, whatever it claims) as a download under its own name.
    Another agent gets a 403, a line that is no attachment a 404."""
    user, alice, cid = claimed_chat(settings, hub, channels_hub, telegram_api, telegram_secret, "Ann", "alice")
    picture = png()
    photo_id = telegram_api.add_file(picture, "photos/file_7.png")
    page = b"<html><script>alert(document.cookie)</script></html>"
    doc_id = telegram_api.add_file(page, "documents/file_8.html")
    assert user.post(_attachment_update(user, photo=photo_of(photo_id))).status_code == 200
    assert user.post(_attachment_update(user, document={"file_id": doc_id, "file_unique_id": "d8", "file_name": "收据 5512.html"})).status_code == 200
    photo, document = customer_lines(settings, cid, 2)

    with httpx.Client(base_url=channels_hub, timeout=60) as client:
        resp = client.get(attachment_path(cid, photo["id"]), headers=alice.headers)
        assert resp.status_code == 200, resp.text
        assert resp.content == picture
        assert resp.headers["content-type"] == "image/png"
        assert resp.headers["content-disposition"].startswith("inline")
        assert resp.headers["x-content-type-options"] == "nosniff"

        resp = client.get(attachment_path(cid, document["id"]), headers=alice.headers)
        assert resp.status_code == 200, resp.text
        assert resp.content == page
        assert resp.headers["content-type"] == "application/octet-stream"  # never text/html: the browser saves it
        assert resp.headers["content-disposition"].startswith("attachment;")
        assert "filename*=UTF-8''%E6%94%B6%E6%8D%AE%205512.html" in resp.headers["content-disposition"]
        assert resp.headers["x-content-type-options"] == "nosniff"

        bob = AgentClient(client, "bob", console=False)  # another agent: not his chat
        resp = client.get(attachment_path(cid, photo["id"]), headers=bob.headers)
        assert resp.status_code == 403 and resp.json()["code"] == "not_allowed", resp.text
        assert httpx.get(channels_hub + attachment_path(cid, photo["id"])).status_code == 401  # signed in as nobody

        said = alice.post(f"/conversations/{cid}/messages", {"text": "Thanks, I can see the crack."}).json()
        resp = client.get(attachment_path(cid, said["id"]), headers=alice.headers)
        assert resp.status_code == 404 and resp.json()["code"] == "not_an_attachment", resp.text
    assert telegram_api.downloads.count("photos/file_7.png") == 1  # bob never reached Telegram
    for log in (settings.var_dir / "logs").glob("*.log"):  # the file's URL holds the bot token: masked in every log
        assert TELEGRAM_TOKEN.split(":")[1] not in log.read_text(errors="replace"), log.name


@pytest.mark.usefixtures("manual_assignment")
def test_a_file_telegram_refuses_is_a_clear_error(settings, hub, agents, channels_hub, telegram_api, telegram_secret):
    """Telegram no longer has the file, is down for it, or it is over 20 MB: the agent gets why (a code the console
    words), never a broken stream or a 500."""
    user, alice, cid = claimed_chat(settings, hub, channels_hub, telegram_api, telegram_secret, "Bo", "alice")
    telegram_api.file_refusals["AgAD-busy"] = (500, {"ok": False, "error_code": 500, "description": "Internal Server Error"})
    telegram_api.file_refusals["AgAD-huge"] = (400, {"ok": False, "error_code": 400, "description": "Bad Request: file is too big"})
    for file_id in ("AgAD-forgotten", "AgAD-busy", "AgAD-huge"):
        assert user.post(_attachment_update(user, photo=photo_of(file_id))).status_code == 200
    lines = customer_lines(settings, cid, 3)
    with httpx.Client(base_url=channels_hub, timeout=60) as client:
        got = [client.get(attachment_path(cid, m["id"]), headers=alice.headers) for m in lines]
    assert [(r.status_code, r.json()["code"]) for r in got] == [(404, "attachment_gone"), (502, "channel_unreachable"), (502, "attachment_too_large")]
    assert all(TELEGRAM_TOKEN not in r.text for r in got)  # the file URL holds the bot token: never in an error


def test_an_overseer_opens_what_a_wechat_follower_sent(settings, hub, agents, supervisor, channels_hub, wechat_api):
    """A follower sends a picture (MediaId), a picture WeChat gave only an address for (PicUrl), and one WeChat no
    longer keeps: the first two come back as sent, even right after WeChat dropped the access_token; the third is a
    404 that says so."""
    f = follower(channels_hub)
    media_id = wechat_api.add_media(JPEG, "image/jpeg", "parcel.jpg")
    wechat_api.pictures["/pic/parcel-2.png"] = png(rgb=(20, 120, 200))
    f.push(_push_xml(f, "image", PicUrl=f"{wechat_api.url}/mmbiz_jpg/parcel/0", MediaId=media_id), encrypted=True)
    f.push(_push_xml(f, "image", PicUrl=f"{wechat_api.url}/pic/parcel-2.png"), encrypted=True)
    f.push(_push_xml(f, "image", PicUrl=f"{wechat_api.url}/mmbiz_jpg/parcel/3", MediaId="media-expired"), encrypted=True)
    cid = conversation_of(settings, "wechat", f.openid)
    first, second, third = customer_lines(settings, cid, 3)
    wechat_api.expire_token()
    with httpx.Client(base_url=channels_hub, timeout=60) as client:
        sue = AgentClient(client, supervisor, console=False)
        resp = client.get(attachment_path(cid, first["id"]), headers=sue.headers)
        assert resp.status_code == 200 and resp.content == JPEG and resp.headers["content-type"] == "image/jpeg", resp.text
        resp = client.get(attachment_path(cid, second["id"]), headers=sue.headers)
        assert resp.status_code == 200 and resp.content == wechat_api.pictures["/pic/parcel-2.png"] and resp.headers["content-type"] == "image/png"
        resp = client.get(attachment_path(cid, third["id"]), headers=sue.headers)
        assert resp.status_code == 404 and resp.json()["code"] == "attachment_gone", resp.text


def test_a_web_customer_attaches_a_picture_an_agent_opens_and_erasure_deletes(settings, hub, agents, supervisor):
    """The web chat's customer attaches a photo of what arrived: it is stored once (sent again under the same id), the
    bot says an agent can look at it (as for a channel's photo), the agent opens the very bytes, another agent may
    not. Only a real picture within the limit is taken. Erasing the conversation deletes the picture too."""
    started = hub.post("/api/conversations", json={"language": "zh"}).json()
    cid, bearer = started["conversation_id"], {"Authorization": f"Bearer {started['token']}"}
    url = f"/api/conversations/{cid}/attachments"
    picture = png(rgb=(10, 160, 90))
    sent = hub.post(url, params={"client_message_id": "pic-1"}, content=picture, headers={**bearer, "Content-Type": "image/png"})
    assert sent.status_code == 201, sent.text
    line = sent.json()
    assert line["sender"] == "customer" and line["meta"]["kind"] == "attachment" and line["meta"]["media"]["type"] == "image"
    again = hub.post(url, params={"client_message_id": "pic-1"}, content=picture, headers={**bearer, "Content-Type": "image/png"})
    assert again.status_code in (200, 201) and again.json()["id"] == line["id"]
    transcript = hub.get(f"/api/conversations/{cid}/messages", headers=bearer).json()
    assert [m["id"] for m in transcript if m["sender"] == "customer"] == [line["id"]]
    told = [m for m in transcript if m["meta"].get("kind") == "media_for_agent"]
    assert len(told) == 1 and "人工客服可以查看" in told[0]["text"] and told[0]["meta"]["buttons"][0]["payload"] == HUMAN_PAYLOAD

    html = b"<html><script>alert(1)</script></html>"
    refused = hub.post(url, content=html, headers={**bearer, "Content-Type": "image/png"})
    assert refused.status_code == 422 and refused.json()["code"] == "not_an_image", refused.text
    huge = hub.post(url, content=picture + b"\0" * settings.web_image_max_bytes, headers={**bearer, "Content-Type": "image/png"})
    assert huge.status_code == 413, huge.text
    assert hub.post(url, content=picture, headers={"Content-Type": "image/png"}).status_code in (401, 403)  # no token: not theirs to add to
    assert hub.get("/api/conversations/limits").json()["max_image_bytes"] == settings.web_image_max_bytes

    sue = AgentClient(hub, supervisor, console=False)
    opened = hub.get(attachment_path(cid, line["id"]), headers=sue.headers)
    assert opened.status_code == 200 and opened.content == picture and opened.headers["content-type"] == "image/png", opened.text
    assert opened.headers["content-disposition"].startswith("inline")
    bob = AgentClient(hub, "bob", console=False)  # a chat with the bot: not his to read
    assert hub.get(attachment_path(cid, line["id"]), headers=bob.headers).status_code == 403

    r = sync_client(settings)
    assert r.exists(Keys(settings.key_prefix).uploads(cid))
    assert 0 < r.ttl(Keys(settings.key_prefix).uploads(cid)) <= settings.retention_days * 86400
    proc = run_cli("-m", "privacy", "delete", "--conversation", cid, "--yes")
    assert proc.returncode == 0, proc.stderr
    assert not r.exists(Keys(settings.key_prefix).uploads(cid))
    assert hub.get(attachment_path(cid, line["id"]), headers=sue.headers).status_code == 404


@pytest.mark.usefixtures("manual_assignment")  # the agent claims the chat from the queue
def test_a_picture_attached_on_the_web_brings_the_linked_customers_replies_back_to_the_web(settings, hub, agents, channels_hub, telegram_api, telegram_secret):
    """A linked customer wrote last from Telegram, so the agent's replies went there; back at the computer they attach a
    photo in the web chat. Like a line typed there, it brings the replies back to the web page: the agent's next reply
    is shown in the chat and not pushed to the phone (before, it kept going to Telegram)."""
    _, alice, cid, auth, on_phone = linked_on_phone(hub, channels_hub, telegram_secret, "Thanks Lu, can you show me the leak?")

    sent = hub.post(f"/api/conversations/{cid}/attachments", params={"client_message_id": "leak-1"}, content=png(rgb=(20, 60, 200)),
                    headers={**auth, "Content-Type": "image/png"})
    assert sent.status_code == 201, sent.text
    seen = alice.post(f"/conversations/{cid}/messages", {"text": "I see the crack: a new kettle is on its way."}).json()
    deliveries = alice.get(f"/conversations/{cid}/deliveries").json()
    assert on_phone["id"] in deliveries
    assert seen["id"] not in deliveries, deliveries[seen["id"]]  # not queued for Telegram: the customer reads it on the web page
    shown = hub.get(f"/api/conversations/{cid}/messages", headers=auth).json()
    assert "I see the crack: a new kettle is on its way." in [m["text"] for m in shown]


def test_the_privacy_export_holds_the_pictures_the_customer_attached(settings, hub):
    """A data-subject export (``./cs privacy export``) gave the customer their words but not the photos they
    attached in the web chat. It now holds each picture, its type and its bytes, beside the line that names it."""
    started = hub.post("/api/conversations", json={"language": "en"}).json()
    cid, bearer = started["conversation_id"], {"Authorization": f"Bearer {started['token']}"}
    pictures = [png(rgb=(120, 10, 10)), JPEG]
    lines = []
    for n, (picture, kind) in enumerate(zip(pictures, ("image/png", "image/jpeg"))):
        sent = hub.post(f"/api/conversations/{cid}/attachments", params={"client_message_id": f"p-{n}"}, content=picture,
                        headers={**bearer, "Content-Type": kind})
        assert sent.status_code == 201, sent.text
        lines.append(sent.json()["id"])

    out = settings.var_dir / f"export-{cid}.json"
    proc = run_cli("-m", "privacy", "export", "--conversation", cid, "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    exported = json.loads(out.read_text())
    out.unlink()
    [conversation] = exported["conversations"]
    got = conversation["pictures"]
    assert [p["message_id"] for p in got] == lines
    assert [p["content_type"] for p in got] == ["image/png", "image/jpeg"]
    assert [base64.b64decode(p["data_base64"]) for p in got] == pictures
    assert [p["size"] for p in got] == [len(p) for p in pictures]
    named = {m["id"]: m["meta"]["media"]["upload_id"] for m in conversation["messages"] if m["meta"].get("kind") == "attachment"}
    assert [named[p["message_id"]] for p in got] == [p["upload_id"] for p in got]


def _export(settings, cid: str, **env: str) -> tuple[dict, subprocess.CompletedProcess]:
    out = settings.var_dir / f"export-{cid}.json"
    proc = subprocess.run([sys.executable, "-m", "privacy", "export", "--conversation", cid, "--out", str(out)], cwd=ROOT,
                          env={**os.environ, **env}, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    exported = json.loads(out.read_text())
    out.unlink()
    [conversation] = exported["conversations"]
    return conversation, proc


def test_the_privacy_export_fetches_what_a_channel_customer_sent_and_lists_what_it_could_not(settings, hub, channels_hub, telegram_api, telegram_secret, wechat_api):
    """A data-subject export gave a Telegram or WeChat customer the words they wrote but not the photos and files they
    sent (the hub keeps only the platform's reference), and did not say so. It now fetches each from the platform at
    export time, within a size allowance, and lists each one it could not fetch with why: gone from the platform,
    the platform failing, past the allowance, or no credentials for the channel on this machine."""
    user = TelegramUser(channels_hub, telegram_secret, language_code="en", name="Cy")
    photo, receipt, big = png(rgb=(90, 30, 160)), b"%PDF-1.4\n" + bytes(range(256)) * 4 + b"\n%%EOF\n", b"\0" * 4096
    telegram_api.file_refusals["AgAD-down"] = (500, {"ok": False, "error_code": 500, "description": "Internal Server Error"})
    sent = [{"photo": photo_of(telegram_api.add_file(photo, "photos/file_90.png"))},
            {"document": {"file_id": telegram_api.add_file(receipt, "documents/file_91.pdf"), "file_unique_id": "r91", "file_name": "收据 5512.pdf"}},
            {"photo": photo_of("AgAD-expired")}, {"photo": photo_of("AgAD-down")},
            {"document": {"file_id": telegram_api.add_file(big, "documents/file_92.bin"), "file_unique_id": "b92", "file_name": "video.bin"}}]
    for content in sent:
        assert user.post(_attachment_update(user, **content)).status_code == 200
    deadline = time.monotonic() + 20
    while not sync_client(settings).get(Keys(settings.key_prefix).channel_conversation("telegram", str(user.user_id))):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    cid = conversation_of(settings, "telegram", user.user_id)
    lines = customer_lines(settings, cid, len(sent))

    allowance = str(len(photo) + len(receipt) + 100)  # the big one is past it
    conversation, proc = _export(settings, cid, **channel_env(telegram_api, wechat_api, CS_EXPORT_CHANNEL_FILES_MAX_BYTES=allowance))
    got = conversation["channel_files"]
    assert [f["message_id"] for f in got] == [lines[0]["id"], lines[1]["id"]]
    assert [base64.b64decode(f["data_base64"]) for f in got] == [photo, receipt]
    assert [(f["content_type"], f["size"], f["channel"]) for f in got] == [("image/png", len(photo), "telegram"), ("application/octet-stream", len(receipt), "telegram")]
    assert got[1]["file_name"] == "收据 5512.pdf" and got[1]["media"] == lines[1]["meta"]["media"]
    missing = conversation["channel_files_not_fetched"]
    assert [(f["message_id"], f["code"]) for f in missing] == [(lines[2]["id"], "attachment_gone"), (lines[3]["id"], "channel_unreachable"),
                                                                (lines[4]["id"], "export_size_limit")]
    assert all(f["reason"] and f["media"]["file_id"] for f in missing)
    assert "3 file(s)" in proc.stderr and "channel_files_not_fetched" in proc.stderr
    assert "channel files: 100%" in proc.stderr and "5/5" in proc.stderr  # the fetch's progress, file by file
    assert TELEGRAM_TOKEN.split(":")[1] not in json.dumps(conversation)  # the file URLs hold the bot token

    # No Telegram credentials where the export runs: said, not skipped.
    conversation, _ = _export(settings, cid)
    assert conversation["channel_files"] == []
    assert {f["code"] for f in conversation["channel_files_not_fetched"]} == {"channel_refused"}
    assert len(conversation["channel_files_not_fetched"]) == len(sent)
    assert "not configured" in conversation["channel_files_not_fetched"][0]["reason"]

    f = follower(channels_hub)  # WeChat: a picture it still keeps, one past its three days
    parcel = png(rgb=(20, 160, 120))
    f.push(_push_xml(f, "image", PicUrl=f"{wechat_api.url}/mmbiz_jpg/parcel/5", MediaId=wechat_api.add_media(parcel, "image/png", "parcel.png")), encrypted=True)
    f.push(_push_xml(f, "image", PicUrl=f"{wechat_api.url}/mmbiz_jpg/parcel/6", MediaId="media-expired"), encrypted=True)
    wx = conversation_of(settings, "wechat", f.openid)
    kept, expired = customer_lines(settings, wx, 2)
    conversation, _ = _export(settings, wx, **channel_env(telegram_api, wechat_api))
    assert [(p["message_id"], base64.b64decode(p["data_base64"]), p["content_type"]) for p in conversation["channel_files"]] == [(kept["id"], parcel, "image/png")]
    assert [(p["message_id"], p["code"]) for p in conversation["channel_files_not_fetched"]] == [(expired["id"], "attachment_gone")]
    assert conversation["pictures"] == []  # web-chat pictures: none here


def test_a_picture_address_that_is_not_wechats_is_never_fetched(settings, hub, agents, supervisor, channels_hub, telegram_api, wechat_api):
    """A WeChat picture without a MediaId is fetched from its PicUrl. A push that named an address on the hub's own
    network instead (a plaintext-mode push is signed over its timestamp and nonce only, so one captured URL lets its
    body be replaced; here: another service beside the hub, standing for a cloud metadata address or an admin port)
    had the hub fetch it and hand the answer to the agent who opened the line, and into the customer's data export.
    Only WeChat's picture servers, or the configured API base, are fetched now: the line is a 404 not_an_attachment,
    and the export lists it as not fetched; a picture at a WeChat address is still fetched."""
    internal = b"AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
    telegram_api.add_file(internal, "secrets/metadata.txt")
    inside = f"{telegram_api.url}/file/bot{telegram_api.token}/secrets/metadata.txt"
    assert httpx.get(inside).content == internal  # reachable from where the hub runs
    wechat_api.pictures["/pic/parcel-7.png"] = png(rgb=(200, 200, 20))
    f = follower(channels_hub)
    for address in (inside, "http://127.0.0.1:1/latest/meta-data/", f"{wechat_api.url}/pic/parcel-7.png"):
        f.push(_push_xml(f, "image", PicUrl=address), encrypted=True)
    cid = conversation_of(settings, "wechat", f.openid)
    forged, closed_port, genuine = customer_lines(settings, cid, 3)
    with httpx.Client(base_url=channels_hub, timeout=60) as client:
        sue = AgentClient(client, supervisor, console=False)
        for line in (forged, closed_port):
            resp = client.get(attachment_path(cid, line["id"]), headers=sue.headers)
            assert resp.status_code == 404 and resp.json()["code"] == "not_an_attachment", resp.text
            assert internal not in resp.content
        resp = client.get(attachment_path(cid, genuine["id"]), headers=sue.headers)
        assert resp.status_code == 200 and resp.content == wechat_api.pictures["/pic/parcel-7.png"], resp.text

    conversation, _ = _export(settings, cid, **channel_env(telegram_api, wechat_api))
    assert internal not in json.dumps(conversation).encode() and base64.b64encode(internal).decode() not in json.dumps(conversation)
    assert [p["message_id"] for p in conversation["channel_files"]] == [genuine["id"]]
    assert [(p["message_id"], p["code"]) for p in conversation["channel_files_not_fetched"]] == [(forged["id"], "not_an_attachment"), (closed_port["id"], "not_an_attachment")]


def test_a_channel_picture_declaring_more_pixels_than_a_browser_can_draw_is_a_download(settings, hub, agents, supervisor, channels_hub, wechat_api):
    """A picture a follower sent that declares 20000 x 20000 pixels (a few hundred KB) was served inline, and the
    console shows every picture as a thumbnail: 1.6 GB to decode each. It is served as a download now (its bytes
    unchanged), as any file that is no picture; an ordinary one is still inline."""
    from tests.test_agent_attachments import declared_png

    bomb, photo = declared_png(20000, 20000), png(rgb=(120, 20, 20))
    f = follower(channels_hub)
    f.push(_push_xml(f, "image", PicUrl=f"{wechat_api.url}/mmbiz_jpg/parcel/11", MediaId=wechat_api.add_media(bomb, "image/png", "huge.png")), encrypted=True)
    f.push(_push_xml(f, "image", PicUrl=f"{wechat_api.url}/mmbiz_jpg/parcel/12", MediaId=wechat_api.add_media(photo, "image/png", "box.png")), encrypted=True)
    cid = conversation_of(settings, "wechat", f.openid)
    huge, ordinary = customer_lines(settings, cid, 2)
    with httpx.Client(base_url=channels_hub, timeout=60) as client:
        sue = AgentClient(client, supervisor, console=False)
        resp = client.get(attachment_path(cid, huge["id"]), headers=sue.headers)
        assert resp.status_code == 200 and resp.content == bomb, resp.text[:200]
        assert resp.headers["content-type"] == "application/octet-stream" and resp.headers["content-disposition"].startswith("attachment;")
        resp = client.get(attachment_path(cid, ordinary["id"]), headers=sue.headers)
        assert resp.status_code == 200 and resp.content == photo and resp.headers["content-type"] == "image/png"
        assert resp.headers["content-disposition"].startswith("inline")
