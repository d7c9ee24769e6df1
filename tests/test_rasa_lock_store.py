"""Rasa's conversation lock (``rasa_run/lock_store.py``): one holder at a time across Rasa replicas, in Rasa's own terms.

Runs in Rasa's virtualenv against a Valkey of the module's own: two lock stores on one Redis
stand for two Rasa replicas.
"""

from __future__ import annotations

import json
import os
import subprocess

from core.stack import RASA_PYTHON
from tests.conftest import ROOT

_REPLICAS = r'''
import asyncio, json, subprocess, sys, threading, time, uuid
from urllib.parse import urlsplit
from rasa.core.lock_store import LockError, RedisLockStore
from rasa_run.lock_store import LEASE_SECONDS, ScriptedRedisLockStore

HOLDER = sys.argv[2]

url = urlsplit(sys.argv[1])
kwargs = dict(host=url.hostname, port=url.port, db=int(url.path.strip("/") or 0), password=url.password, key_prefix="test")
replicas = [ScriptedRedisLockStore(**kwargs), ScriptedRedisLockStore(**kwargs)]
stock = RedisLockStore(**kwargs)
report = {}

# 1. Sixty tickets asked at once from two replicas (threads): every one a different number.
cid = "tickets-" + uuid.uuid4().hex
numbers, barrier = [], threading.Barrier(12)
def ask(i):
    barrier.wait()
    for _ in range(5):
        numbers.append(replicas[i % 2].issue_ticket(cid, 30))
threads = [threading.Thread(target=ask, args=(i,)) for i in range(12)]
[t.start() for t in threads]; [t.join() for t in threads]
report["tickets"] = sorted(numbers)
report["stock_reads_them"] = [t.number for t in stock.get_lock(cid).tickets]
report["ttl_ms"] = replicas[0].red.pttl(replicas[0].key_prefix + cid)
for n in numbers:
    replicas[0].cleanup(cid, n)
report["key_after_release"] = replicas[0].red.exists(replicas[0].key_prefix + cid)

async def main():
    # 2. Thirty messages of one conversation on two replicas at once: one holder at a time, served in ticket order.
    cid = "turns-" + uuid.uuid4().hex
    holders, most, entered = 0, 0, []
    async def message(i):
        nonlocal holders, most
        async with replicas[i % 2].lock(cid, 30, 0.2):
            holders += 1; most = max(most, holders)
            entered.append(i)
            await asyncio.sleep(0.005)
            holders -= 1
    await asyncio.gather(*(message(i) for i in range(30)))
    report["most_holders"], report["entered"] = most, len(entered)

    # 3. A replica killed in a turn (its ticket never released): the next message waits only for its lifetime.
    cid = "crashed-" + uuid.uuid4().hex
    t0 = time.monotonic()
    replicas[0].issue_ticket(cid, 0.3)
    async with replicas[1].lock(cid, 30, 0.1):
        report["waited_for_dead_holder_s"] = time.monotonic() - t0

    # 4. A replica on Rasa's own store holds the lock: ours waits for it, then takes it.
    cid = "mixed-" + uuid.uuid4().hex
    order = []
    async def stock_turn():
        async with stock.lock(cid, 30, 0.05):
            order.append("stock in"); await asyncio.sleep(0.2); order.append("stock out")
    async def our_turn():
        await asyncio.sleep(0.05)
        async with replicas[0].lock(cid, 30, 0.05):
            order.append("ours in")
    await asyncio.gather(stock_turn(), our_turn())
    report["mixed_order"] = order

    # 5. A message whose own ticket expires while a stuck turn holds the lock gives up then, not when the lock goes.
    cid = "stuck-" + uuid.uuid4().hex
    replicas[0].issue_ticket(cid, 30)
    t0 = time.monotonic()
    try:
        async with replicas[1].lock(cid, 0.3, 0.05):
            report["stuck_gave_up_after_s"] = "acquired"
    except LockError:
        report["stuck_gave_up_after_s"] = time.monotonic() - t0

    # 6. A Rasa process killed while it holds the lock with Rasa's 60 s lifetime, after it renewed its ticket: the
    # ticket lapses within the lease (seconds), not the minute; the next message then takes the lock.
    cid = "killed-" + uuid.uuid4().hex
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, sys.argv[1], cid], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    await asyncio.sleep(LEASE_SECONDS / 3 + 1)  # it renewed at least once: alive, it would keep the lock
    report["renewed_while_alive"] = replicas[0].red.exists(replicas[0].key_prefix + cid)
    holder.kill(); holder.wait()
    report["lock_ttl_after_kill_ms"] = replicas[0].red.pttl(replicas[0].key_prefix + cid)
    t0 = time.monotonic()
    async with replicas[1].lock(cid, 60, 0.2):
        report["waited_for_killed_holder_s"] = time.monotonic() - t0

asyncio.run(main())
print(json.dumps(report))
'''

# A Rasa replica in a turn that never ends (until it is killed).
HOLDER = r'''
import asyncio, sys
from urllib.parse import urlsplit
from rasa_run.lock_store import ScriptedRedisLockStore

url = urlsplit(sys.argv[1])
store = ScriptedRedisLockStore(host=url.hostname, port=url.port, db=int(url.path.strip("/") or 0), password=url.password, key_prefix="test")

async def main():
    async with store.lock(sys.argv[2]):
        print("held", flush=True)
        await asyncio.sleep(3600)

asyncio.run(main())
'''


def test_two_rasa_replicas_share_one_conversation_lock(valkey_url):
    proc = subprocess.run([str(RASA_PYTHON), "-c", _REPLICAS, valkey_url, HOLDER], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["tickets"] == list(range(60))  # no ticket given twice, none skipped
    assert report["stock_reads_them"] == list(range(60))  # Rasa's own store reads the same lock
    # The lock goes by itself with its last ticket: 30 s from the clock reading of the replica that issued it, which a
    # thread may read a few ms before another's script runs (a CI run saw 30,001 ms), so the key may outlive 30 s by that.
    assert 0 < report["ttl_ms"] <= 31_000
    assert report["key_after_release"] == 0
    assert report["most_holders"] == 1 and report["entered"] == 30
    assert 0.29 <= report["waited_for_dead_holder_s"] < 10  # not before the dead ticket expired, and not for ever
    assert report["mixed_order"] == ["stock in", "stock out", "ours in"]
    assert report["stuck_gave_up_after_s"] != "acquired" and 0.29 <= report["stuck_gave_up_after_s"] < 10
    # a killed Rasa: its lock was held past the first renewal, then lapses within the 10 s lease, not Rasa's 60 s
    assert report["renewed_while_alive"] == 1
    assert 0 < report["lock_ttl_after_kill_ms"] <= 10_000
    assert report["waited_for_killed_holder_s"] < 30
