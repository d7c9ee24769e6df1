"""Local stand-ins of the messaging platforms' APIs (there is no internet here), on loopback, in the test process.

They answer the way the real APIs document: the Telegram Bot API methods the
adapter calls (``getMe``, ``getUpdates`` with long polling and offsets,
``sendMessage``, ``sendPhoto`` and ``sendDocument`` (multipart uploads), ``answerCallbackQuery``, ``setWebhook``,
``deleteWebhook``, ``getFile`` and the file download at ``/file/bot<token>/<file_path>``)
with ``{"ok": ..., "result"|"error_code"}`` bodies, 429 with
``parameters.retry_after``; WeChat's ``/cgi-bin/token``, ``/cgi-bin/message/custom/send`` (text, menu, image),
``/cgi-bin/media/upload`` (temporary media, multipart) and ``/cgi-bin/media/get`` with its errcodes. A test can make them
refuse (429, 45009, -1), go down (connections dropped) and come back.
"""

from __future__ import annotations

import email.policy
import itertools
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx


@dataclass(frozen=True)
class Raw:
    """An answer that is not JSON: a file's bytes."""

    data: bytes
    content_type: str
    headers: dict = field(default_factory=dict)


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class StandIn:
    """A threaded HTTP server whose handler calls ``self.handle(method, path, query, body) -> (status, json)``."""

    def __init__(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                if owner.down:  # an outage: the connection drops without an answer
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                status, payload = owner.handle(self.command, parts.path, parse_qs(parts.query), body, self.headers.get("content-type", ""))
                raw = payload if isinstance(payload, Raw) else Raw(json.dumps(payload, ensure_ascii=False).encode(), "application/json")
                self.send_response(status)
                self.send_header("content-type", raw.content_type)
                for name, value in raw.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(raw.data)))
                self.end_headers()
                self.wfile.write(raw.data)

            do_GET = do_POST = _serve

            def log_message(self, *args) -> None:
                pass

        self.down = False
        self.lock = threading.Condition()
        self.server = _Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def handle(self, method: str, path: str, query: dict, body: bytes, content_type: str) -> tuple[int, dict]:
        raise NotImplementedError

    def wait_for(self, check: Callable[[], object], timeout: float = 30.0):
        """Wait until ``check()`` is truthy (what the platform has received so far); returns it."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while not (result := check()):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{type(self).__name__}: not received within {timeout} s")
                self.lock.wait(min(left, 0.2))
            return result

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def multipart(body: bytes, content_type: str) -> tuple[dict[str, str], dict[str, tuple[str, str, bytes]]]:
    """A multipart/form-data body: its plain fields, and its files (field -> (file name, content type, bytes))."""
    message = BytesParser(policy=email.policy.HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields, files = {}, {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True) or b""
        if part.get_filename() is not None:
            files[name] = (part.get_filename(), part.get_content_type(), data)
        else:
            fields[name] = data.decode()
    return fields, files


def _form(body: bytes, content_type: str) -> dict:
    if "multipart/form-data" in content_type:
        fields, files = multipart(body, content_type)
        return {**fields, "_files": files}
    if "json" in content_type:
        return json.loads(body or b"{}")
    fields = {k: v[0] for k, v in parse_qs(body.decode()).items()}
    for key in ("reply_markup", "allowed_updates"):
        if key in fields:
            fields[key] = json.loads(fields[key])
    return fields


class TelegramApi(StandIn):
    """The Bot API at ``/bot<token>/<method>``."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self.sent: list[dict] = []  # every sendMessage that succeeded
        self.uploads: list[dict] = []  # every sendPhoto / sendDocument: method, chat_id, file name, content type, bytes, caption
        self.answered: list[dict] = []  # answerCallbackQuery calls
        self.webhooks: list[dict] = []
        self.updates: list[dict] = []  # queued for getUpdates
        self.refuse: list[tuple[int, dict]] = []  # the next sendMessage calls get these answers
        self.calls: list[str] = []
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, bytes): what customers sent, for getFile
        self.file_refusals: dict[str, tuple[int, dict]] = {}  # file_id -> what getFile answers instead
        self.downloads: list[str] = []  # every file path downloaded
        self._ids = itertools.count(1000)
        self._update_ids = itertools.count(500000)

    # what a test does
    def rate_limit_next(self, times: int = 1, retry_after: int = 1) -> None:
        with self.lock:
            self.refuse += [(429, {"ok": False, "error_code": 429, "description": f"Too Many Requests: retry after {retry_after}",
                                   "parameters": {"retry_after": retry_after}})] * times

    def push_update(self, update: dict) -> dict:
        """An update for the bot to fetch with getUpdates (given the next update_id)."""
        with self.lock:
            update = {"update_id": next(self._update_ids), **update}
            self.updates.append(update)
            self.lock.notify_all()
            return update

    def messages_to(self, chat_id: int | str) -> list[dict]:
        with self.lock:
            return [m for m in self.sent if str(m["chat_id"]) == str(chat_id)]

    def add_file(self, data: bytes, file_path: str) -> str:
        """A file a customer sent (Telegram keeps it): its new file_id."""
        file_id = "AgAC" + secrets.token_urlsafe(18)
        with self.lock:
            self.files[file_id] = (file_path, data)
        return file_id

    # the API
    def handle(self, method, path, query, body, content_type):
        files = f"/file/bot{self.token}/"
        if path.startswith(files):
            with self.lock:
                found = [data for file_path, data in self.files.values() if file_path == path[len(files):]]
                self.downloads.append(path[len(files):])
            return (200, Raw(found[0], "application/octet-stream")) if found else (404, {"ok": False, "error_code": 404, "description": "Not Found"})
        prefix = f"/bot{self.token}/"
        if not path.startswith(prefix):
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        name = path[len(prefix):]
        args = _form(body, content_type) if body else {k: v[0] for k, v in query.items()}
        with self.lock:
            self.calls.append(name)
        handler = getattr(self, f"_{name}", None)
        if handler is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        return handler(args)

    def _getMe(self, args):
        return 200, {"ok": True, "result": {"id": 42, "is_bot": True, "first_name": "Shop", "username": "shop_help_bot"}}

    def _sendMessage(self, args):
        with self.lock:
            if self.refuse:
                return self.refuse.pop(0)
            message = {"message_id": next(self._ids), "date": int(time.time()), "chat": {"id": int(args["chat_id"]), "type": "private"},
                       "from": {"id": 42, "is_bot": True, "first_name": "Shop"}, "text": args["text"]}
            if args.get("reply_markup"):
                message["reply_markup"] = args["reply_markup"]
            self.sent.append({"chat_id": args["chat_id"], "text": args["text"], "reply_markup": args.get("reply_markup"), "message": message, "at": time.time()})
            self.lock.notify_all()
        return 200, {"ok": True, "result": message}

    def _sendPhoto(self, args):
        return self._upload("sendPhoto", "photo", args)

    def _sendDocument(self, args):
        return self._upload("sendDocument", "document", args)

    def _upload(self, method: str, field_name: str, args: dict):
        """A file uploaded with the call (multipart: the field names an attach:// part, or is the part itself)."""
        files = args.get("_files") or {}
        ref = str(args.get(field_name) or "")
        part = files.get(ref[len("attach://"):]) if ref.startswith("attach://") else files.get(field_name)
        if part is None:
            return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: there is no {field_name} in the request"}
        filename, kind, data = part
        with self.lock:
            if self.refuse:
                return self.refuse.pop(0)
            message = {"message_id": next(self._ids), "date": int(time.time()), "chat": {"id": int(args["chat_id"]), "type": "private"},
                       "from": {"id": 42, "is_bot": True, "first_name": "Shop"}}
            unique = secrets.token_hex(4)
            if method == "sendPhoto":
                message["photo"] = [{"file_id": "AgAC" + unique, "file_unique_id": unique, "width": 48, "height": 32, "file_size": len(data)}]
            else:
                message["document"] = {"file_id": "BQAC" + unique, "file_unique_id": unique, "file_name": filename, "file_size": len(data)}
            if args.get("caption"):
                message["caption"] = args["caption"]
            self.uploads.append({"method": method, "chat_id": args["chat_id"], "filename": filename, "content_type": kind, "data": data,
                                 "caption": args.get("caption"), "at": time.time()})
            self.lock.notify_all()
        return 200, {"ok": True, "result": message}

    def uploads_to(self, chat_id: int | str) -> list[dict]:
        with self.lock:
            return [u for u in self.uploads if str(u["chat_id"]) == str(chat_id)]

    def _getFile(self, args):
        file_id = str(args.get("file_id") or "")
        with self.lock:
            if file_id in self.file_refusals:
                return self.file_refusals[file_id]
            if file_id not in self.files:
                return 400, {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"}
            file_path, data = self.files[file_id]
        return 200, {"ok": True, "result": {"file_id": file_id, "file_unique_id": file_id[-8:], "file_size": len(data), "file_path": file_path}}

    def _answerCallbackQuery(self, args):
        with self.lock:
            self.answered.append(args)
            self.lock.notify_all()
        return 200, {"ok": True, "result": True}

    def _setWebhook(self, args):
        with self.lock:
            self.webhooks.append(args)
            self.lock.notify_all()
        return 200, {"ok": True, "result": True, "description": "Webhook was set"}

    def _deleteWebhook(self, args):
        return 200, {"ok": True, "result": True, "description": "Webhook was deleted"}

    def _getUpdates(self, args):
        offset = int(args.get("offset") or 0)
        deadline = time.monotonic() + min(float(args.get("timeout") or 0), 5.0)  # long polling, shortened for tests
        with self.lock:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]  # an offset confirms everything before it
            while not self.updates and time.monotonic() < deadline:
                self.lock.wait(0.1)
            return 200, {"ok": True, "result": list(self.updates[:100])}


class WeChatApi(StandIn):
    """The Official Account API: ``/cgi-bin/token`` and ``/cgi-bin/message/custom/send``."""

    def __init__(self, app_id: str, app_secret: str) -> None:
        super().__init__()
        self.app_id, self.app_secret = app_id, app_secret
        self.tokens: list[str] = []  # every access_token handed out; only the latest is valid
        self.sent: list[dict] = []
        self.refuse: list[dict | None] = []  # the next custom/send calls get these errcodes (None: that one goes through)
        self.slow: list[float] = []  # the next custom/send calls take this many seconds each
        self.media: dict[str, tuple[bytes, str, str]] = {}  # media_id -> (bytes, content type, file name): what followers sent
        self.pictures: dict[str, bytes] = {}  # path -> bytes: the pictures' addresses (PicUrl)
        self.uploaded: dict[str, tuple[bytes, str, str]] = {}  # media_id -> (bytes, type, file name): temporary media the account uploaded

    def refuse_next(self, errcode: int, errmsg: str, times: int = 1, after: int = 0) -> None:
        """The next ``times`` sends are refused with ``errcode``, once ``after`` sends went through."""
        with self.lock:
            self.refuse += [None] * after + [{"errcode": errcode, "errmsg": errmsg}] * times

    def slow_next(self, seconds: float, times: int = 1) -> None:
        """The next ``times`` sends each take ``seconds`` before WeChat answers (a slow network, a busy WeChat)."""
        with self.lock:
            self.slow += [seconds] * times

    def expire_token(self) -> None:
        """WeChat invalidated the current token (another system fetched one, or it expired early)."""
        with self.lock:
            self.tokens.append("expired-" + secrets.token_hex(4))

    def messages_to(self, openid: str) -> list[dict]:
        with self.lock:
            return [m for m in self.sent if m["touser"] == openid]

    def add_media(self, data: bytes, content_type: str = "image/jpeg", filename: str = "") -> str:
        """What a follower sent (WeChat keeps it three days): its MediaId."""
        media_id = "media-" + secrets.token_urlsafe(18)
        with self.lock:
            self.media[media_id] = (data, content_type, filename or f"{media_id}.jpg")
        return media_id

    def handle(self, method, path, query, body, content_type):
        q = {k: v[0] for k, v in query.items()}
        if path == "/cgi-bin/token":
            if q.get("appid") != self.app_id or q.get("secret") != self.app_secret:
                return 200, {"errcode": 40125, "errmsg": "invalid appsecret"}
            with self.lock:
                token = secrets.token_urlsafe(24)
                self.tokens.append(token)
            return 200, {"access_token": token, "expires_in": 7200}
        if path == "/cgi-bin/message/custom/send":
            with self.lock:
                delay = self.slow.pop(0) if self.slow else 0.0
            time.sleep(delay)
            with self.lock:
                if not self.tokens or q.get("access_token") != self.tokens[-1]:
                    return 200, {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
                refused = self.refuse.pop(0) if self.refuse else None
                if refused is not None:
                    return 200, refused
                message = json.loads(body)
                if message.get("msgtype") == "image" and (message.get("image") or {}).get("media_id") not in self.uploaded:
                    return 200, {"errcode": 40007, "errmsg": "invalid media_id"}
                self.sent.append({**message, "at": time.time()})
                self.lock.notify_all()
            return 200, {"errcode": 0, "errmsg": "ok"}
        if path == "/cgi-bin/media/upload":
            with self.lock:
                if not self.tokens or q.get("access_token") != self.tokens[-1]:
                    return 200, {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
            if q.get("type") not in ("image", "voice", "video", "thumb"):
                return 200, {"errcode": 40004, "errmsg": "invalid media type"}
            _fields, files = multipart(body, content_type) if "multipart/form-data" in content_type else ({}, {})
            if "media" not in files:
                return 200, {"errcode": 41005, "errmsg": "media data missing"}
            filename, kind, data = files["media"]
            if q["type"] == "image" and not filename.lower().endswith((".jpg", ".jpeg", ".png", ".gif", ".bmp")):
                return 200, {"errcode": 40005, "errmsg": "invalid file type"}
            media_id = secrets.token_urlsafe(32)
            with self.lock:
                self.uploaded[media_id] = (data, kind, filename)
            return 200, {"type": q["type"], "media_id": media_id, "created_at": int(time.time())}
        if path == "/cgi-bin/media/get":
            with self.lock:
                if not self.tokens or q.get("access_token") != self.tokens[-1]:
                    return 200, {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
                found = self.media.get(q.get("media_id", ""))
            if found is None:
                return 200, Raw(json.dumps({"errcode": 40007, "errmsg": "invalid media_id"}).encode(), "text/plain")
            data, kind, name = found
            return 200, Raw(data, kind, {"content-disposition": f'attachment; filename="{name}"'})
        if path in self.pictures:
            return 200, Raw(self.pictures[path], "image/jpeg")
        return 404, {"errcode": 40066, "errmsg": "invalid url"}


class DelayedRasa(StandIn):
    """A Rasa that is slow: forwards every request to the real one after ``delay`` seconds (the bot's own answer, late)."""

    def __init__(self, rasa_url: str, delay: float) -> None:
        super().__init__()
        self.rasa_url = rasa_url
        self.delay = delay
        self._http = httpx.Client(timeout=60)

    def handle(self, method, path, query, body, content_type):
        if path == "/webhooks/rest/webhook":
            time.sleep(self.delay)
        resp = self._http.request(method, f"{self.rasa_url}{path}", params={k: v[0] for k, v in query.items()}, content=body,
                                  headers={"content-type": content_type} if content_type else {})
        return resp.status_code, resp.json()
