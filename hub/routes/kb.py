"""The knowledge-base editor's API: entries, revisions, publish and roll back, "try it", content gaps, import/export.

Everyone logged in to the console may read; only editors and admins may change.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, HTTPException, Query, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field, ValidationError

from core.settings import Settings
from handoff.votes import VotedDown
from hub.deps import Editor, Reader, Svc
from kb import io as kbio
from kb.gaps import GapGroup, group
from kb.publishing import publish, rollback, rollback_changes
from kb.records import FaqEntry
from kb.search import NoPublishedIndex
from kb.store import EntryNotFound, NothingToReplaceWith, StaleEntry

router = APIRouter(prefix="/api/kb", tags=["knowledge base"])


class EntryIn(BaseModel):
    question: str
    phrasings: list[str] = Field(default_factory=list)
    answer: str
    category: str = "other"
    language: Literal["en", "zh"] = "en"
    tags: list[str] = Field(default_factory=list)


class EntryChange(EntryIn):
    base_revision: int | None = Field(None, ge=1, description="the revision this change was made from (as loaded); if the entry "
                                      "is no longer at it, nothing is saved and the answer is 409 with the current entry. "
                                      "Omitted: saved over whatever is current")


class NewEntry(EntryIn):
    id: str


class TryIt(BaseModel):
    question: str = Field(min_length=1, max_length=2000)
    language: Literal["en", "zh"] | None = None
    target: Literal["published", "draft"] = "published"
    previous: str | None = Field(None, max_length=2000, description="the customer's previous question, to try a follow-up (\"and to Canada?\")")


class Rollback(BaseModel):
    version: int


class GapDraft(BaseModel):
    id: str = Field(description="id of the new entry")
    questions: list[str] = Field(min_length=1, description="the group's questions: the first becomes the question, the rest phrasings")
    language: Literal["en", "zh"]
    category: str = "other"


def _entry(data: dict) -> FaqEntry:
    try:
        return FaqEntry(**data)
    except ValidationError as exc:
        raise HTTPException(422, "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors())) from exc


def _stale(exc: StaleEntry) -> HTTPException:
    """409 with what happened in words and the entry as it is now, so an editor can compare before saving again."""
    current = exc.current.model_dump(mode="json") if exc.current else None
    who = exc.last or exc.current
    return HTTPException(409, {"message": exc.detail, "base_revision": exc.base_revision, "current": current,
                               "changed_by": who.updated_by if who else None, "changed_at": who.updated_at if who else None})


def _ensure_new(store, entry_id: str) -> None:
    try:
        store.get(entry_id)
    except EntryNotFound:
        return
    raise HTTPException(409, f"entry {entry_id} already exists")


@router.get("/entries", response_model=list[FaqEntry])
def list_entries(me: Reader, services: Svc, q: str = "", language: str | None = None, category: str | None = None, status: str | None = None) -> list[FaqEntry]:
    needle = q.lower().strip()
    out = []
    for e in services.kb_store.list_entries():
        if language and e.language != language or category and e.category != category or status and e.status != status:
            continue
        if needle and not any(needle in t.lower() for t in [e.id, e.answer, *e.texts()]):
            continue
        out.append(e)
    return out


@router.get("/entries/{entry_id}", response_model=FaqEntry)
def get_entry(entry_id: str, me: Reader, services: Svc) -> FaqEntry:
    try:
        return services.kb_store.get(entry_id)
    except EntryNotFound:
        raise HTTPException(404, f"no entry {entry_id}") from None


@router.get("/entries/{entry_id}/history", response_model=list[FaqEntry], summary="Every revision, oldest first, with author and time")
def history(entry_id: str, me: Reader, services: Svc) -> list[FaqEntry]:
    revisions = services.kb_store.history(entry_id)
    if not revisions:
        raise HTTPException(404, f"no entry {entry_id}")
    return revisions


@router.post("/entries", response_model=FaqEntry, status_code=201, summary="Create a draft entry")
def create_entry(body: NewEntry, me: Editor, services: Svc) -> FaqEntry:
    store = services.kb_store
    _ensure_new(store, body.id)
    try:
        saved = store.save(_entry(body.model_dump()), me.username, base_revision=0)
    except StaleEntry:  # created by someone else since the check above
        raise HTTPException(409, f"entry {body.id} already exists") from None
    services.audit.record_sync(me.username, "kb_entry_created", body.id)
    return saved


@router.put("/entries/{entry_id}", response_model=FaqEntry, summary="Change an entry (a new draft revision)",
            responses={409: {"description": "the entry changed (or was deleted) since `base_revision`: nothing was saved"}})
def update_entry(entry_id: str, body: EntryChange, me: Editor, services: Svc) -> FaqEntry:
    store = services.kb_store
    try:
        store.get(entry_id)
    except EntryNotFound:  # deleted since it was loaded: the 409 below says by whom; never existed: 404
        if body.base_revision is None or not store.history(entry_id):
            raise HTTPException(404, f"no entry {entry_id}") from None
    entry = _entry({**body.model_dump(exclude={"base_revision"}), "id": entry_id})
    try:
        saved = store.save(entry, me.username, body.base_revision)
    except StaleEntry as exc:
        raise _stale(exc) from None
    services.audit.record_sync(me.username, "kb_entry_changed", entry_id)
    return saved  # as this save left it: a save made just after has its own revision


@router.delete("/entries/{entry_id}", status_code=204, summary="Delete (takes effect at the next publish)",
               responses={409: {"description": "the entry changed since `base_revision`: nothing was deleted"}})
def delete_entry(entry_id: str, me: Editor, services: Svc,
                 base_revision: int | None = Query(None, ge=1, description="the revision the editor saw (as loaded); if the entry "
                                                   "changed since, nothing is deleted and the answer is 409 with the entry as it is now")) -> None:
    try:
        services.kb_store.delete(entry_id, me.username, base_revision)
    except EntryNotFound:
        raise HTTPException(404, f"no entry {entry_id}") from None
    except StaleEntry as exc:
        raise _stale(exc) from None
    services.audit.record_sync(me.username, "kb_entry_deleted", entry_id)


@router.get("/pending", summary="What the next publish would change")
def pending(me: Reader, services: Svc) -> dict:
    return services.kb_store.pending_changes()


@router.post("/publish", summary="Publish every draft: a new index version the bot uses within seconds, no restart")
def publish_now(me: Editor, services: Svc) -> dict:
    """A few changed entries are served at once over the previous version (``learning: "pending"``) and relearned
    in full in the background; the version that relearn publishes says ``learning: "full"`` (kb/overlay.py)."""
    result = publish(services.kb_store, services.embedders, me.username, fast=True, settings=services.settings)
    if result.get("learning") == "pending":
        services.kb_relearner.schedule(result["version"])
    services.audit.record_sync(me.username, "kb_published", str(result.get("version", "")))
    return result


@router.get("/versions", summary="Published versions, newest last, and which one is live")
def versions(me: Reader, services: Svc) -> dict:
    return {"live": services.kb_store.published_version(), "versions": services.kb_store.versions()}


@router.get("/versions/{version}/rollback-changes", summary="What rolling back to a version would change, before doing it")
def rollback_preview(version: int, me: Reader, services: Svc) -> dict:
    """Ids of the live entries that would get the version's text again (``reverted``), be removed (``removed``) or come
    back (``restored``); ``learning``: ``"pending"`` when the version would be learned again in the background."""
    try:
        return rollback_changes(services.kb_store, version)
    except ValueError as exc:
        raise HTTPException(404, str(exc)) from exc


@router.post("/rollback", summary="Serve an earlier published version again")
def roll_back(body: Rollback, me: Editor, services: Svc) -> dict:
    try:
        result = rollback(services.kb_store, body.version, me.username)
    except ValueError as exc:
        raise HTTPException(404, str(exc)) from exc
    if result.get("learning") == "pending":  # an overlay version served again: complete it again
        services.kb_relearner.schedule(body.version)
    services.audit.record_sync(me.username, "kb_rolled_back", str(body.version))
    return result


@router.post("/try", summary="What the bot would do with a question, against the published KB or the drafts")
def try_it(body: TryIt, me: Reader, services: Svc) -> dict:
    searcher = services.searcher
    try:
        index = searcher.draft() if body.target == "draft" else searcher.current()
    except NoPublishedIndex as exc:
        raise HTTPException(409, str(exc)) from exc
    result = searcher.search(body.question, body.language, k=5, index=index, context=body.previous)
    return {**result.as_dict(), "target": body.target}  # result.gate: the thresholds calibrated at publish, and their expected precision


@router.get("/gaps", response_model=list[GapGroup], summary="Questions the bot could not answer, grouped and counted")
def gaps(me: Reader, services: Svc, limit: int = Query(2000, ge=1, le=20000)) -> list[GapGroup]:
    return group(services.gaps.recent(limit), services.embedders)


@router.get("/voted-down", response_model=list[VotedDown], summary="Questions whose answer customers voted not helpful, with the entry that answered")
async def voted_down(me: Reader, services: Svc) -> list[VotedDown]:
    return await services.votes.voted_down()


@router.post("/gaps/draft", response_model=FaqEntry, status_code=201, summary="Turn a gap group into a draft entry")
def gap_to_draft(body: GapDraft, me: Editor, services: Svc) -> FaqEntry:
    store = services.kb_store
    _ensure_new(store, body.id)
    # The group's wordings that fit an entry (a customer message may be longer than a phrasing), as many as one holds.
    fitting = [q.strip() for q in body.questions if q.strip() and len(q.strip()) <= Settings.kb_max_phrasing_chars]
    questions = list(dict.fromkeys(fitting))[: Settings.kb_max_phrasings + 1]
    if not questions:
        raise HTTPException(422, f"questions: none of them fits an entry (at most {Settings.kb_max_phrasing_chars} characters)")
    placeholder = "（待补充答案）" if body.language == "zh" else "(answer to be written)"
    entry = _entry({"id": body.id, "question": questions[0], "phrasings": questions[1:], "answer": placeholder, "category": body.category, "language": body.language, "tags": ["from-gaps"]})
    try:
        saved = store.save(entry, me.username, base_revision=0)
    except StaleEntry:
        raise HTTPException(409, f"entry {body.id} already exists") from None
    services.gaps.dismiss(list(dict.fromkeys(q.strip() for q in body.questions if q.strip())))  # the whole group, also wordings left out
    services.audit.record_sync(me.username, "kb_entry_created", body.id, source="gaps")
    return saved


@router.post("/import", summary="Import a .json, .csv or .xlsx file as drafts; nothing is written if any row is bad")
async def import_file(file: UploadFile, me: Editor, services: Svc,
                      replace: bool = Query(False, description="make the knowledge base exactly the file: entries not in it are deleted (as drafts)")) -> dict:
    data = await file.read()
    suffix = Path(file.filename or "").suffix.lower()
    if suffix in (".json", ".csv"):
        try:
            text = kbio.decode_text(data)
        except kbio.NotText as exc:
            raise HTTPException(422, {"message": f"{exc}; nothing was imported", "errors": [{"row": 0, "id": None, "message": str(exc)}]}) from exc
        parsed = await run_in_threadpool(kbio.read_json if suffix == ".json" else kbio.read_csv, text)
    elif suffix in (".xlsx", ".xlsm"):
        _check_spreadsheet(data, services.settings.max_xlsx_uncompressed_bytes)
        try:
            parsed = await run_in_threadpool(kbio.read_xlsx, data)
        except Exception as exc:  # openpyxl raises many kinds on a damaged workbook
            raise HTTPException(422, f"not a readable Excel workbook: {type(exc).__name__}") from exc
    else:
        raise HTTPException(415, "upload a .json, .csv or .xlsx file")
    if parsed.errors:
        problem = parsed.file_problem()
        message = f"{problem}; nothing was imported" if problem else f"{len(parsed.errors)} bad row(s); nothing was imported"
        raise HTTPException(422, {"message": message, "errors": [e.__dict__ for e in parsed.errors]})
    deleted = 0
    if replace:
        try:
            created, updated, deleted = await run_in_threadpool(services.kb_store.replace_all, parsed.entries, me.username)
        except NothingToReplaceWith as exc:
            raise HTTPException(422, {"message": f"{exc}; nothing was imported", "errors": [{"row": 0, "id": None, "message": str(exc)}]}) from exc
    else:
        created, updated = await run_in_threadpool(services.kb_store.save_many, parsed.entries, me.username)
    await services.audit.record(me.username, "kb_imported", file.filename or "", created=created, updated=updated, deleted=deleted)
    return {"created": created, "updated": updated, "unchanged": len(parsed.entries) - created - updated, "deleted": deleted}


@router.get("/export", summary="Every entry (working copy) as JSON, CSV or Excel")
def export(me: Reader, services: Svc, format: Literal["json", "csv", "xlsx"] = "json") -> Response:
    entries = services.kb_store.list_entries()
    body, media = {
        "json": lambda: (kbio.to_json(entries), "application/json"),
        "csv": lambda: (kbio.to_csv(entries), "text/csv"),
        "xlsx": lambda: (kbio.to_xlsx(entries), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    }[format]()
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="kb.{format}"'})


def _check_spreadsheet(data: bytes, max_uncompressed: int) -> None:
    """An .xlsx is a zip: refuse anything else, and zips that would inflate past the limit (zip bombs), before unpacking."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise HTTPException(415, "not an .xlsx file (an .xlsx is a zip archive; this is not one)") from None
    with archive:
        inflated = sum(info.file_size for info in archive.infolist())  # zipfile never inflates past these
        names = archive.namelist()
    if inflated > max_uncompressed:
        raise HTTPException(413, f"spreadsheet too large when unpacked ({inflated} bytes, limit {max_uncompressed})")
    if "[Content_Types].xml" not in names:
        raise HTTPException(415, "not an .xlsx file (the zip has no [Content_Types].xml)")
