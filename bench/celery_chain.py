"""The baseline of bench/engine.py: a bare Celery app whose task does nothing but count itself in Redis.

    BENCH_BROKER_URL=redis://127.0.0.1:6379/9 celery -A bench.celery_chain worker --concurrency 2

Its delivery settings are flowhub's (acks late, requeue on a lost worker, prefetch one, no
results), so the two differ only in what a step does, not in how Celery carries it.
"""

from __future__ import annotations

import os
from functools import cache

import redis
from celery import Celery, chain
from celery.canvas import Signature

QUEUE = "bench-chain"
COUNTER = "bench:chain-steps"

app = Celery("bench_chain", broker=os.environ.get("BENCH_BROKER_URL"))
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    task_default_queue=QUEUE,
    worker_hijack_root_logger=False,
)


@cache
def _counter() -> redis.Redis:
    return redis.Redis.from_url(app.conf.broker_url)


@app.task(name="bench.noop")
def noop() -> None:
    _counter().incr(COUNTER)


def three_noops() -> Signature:
    return chain(noop.si(), noop.si(), noop.si())
