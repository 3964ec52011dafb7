"""The baseline every mesh benchmark is a ratio of: raw JetStream publish + pull + ack.

One process publishes `n` messages of `size` bytes (async acks, with Nats-Msg-Id like the mesh)
while a pull consumer fetches and acks them; the rate is what NATS alone sustains here.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import nats
from nats.js.api import StreamConfig


async def raw_jetstream(js, *, n: int, size: int) -> float:
    name = f"BENCH_RAW_{uuid.uuid4().hex[:8]}"
    subject = f"bench.raw.{name}"
    await js.add_stream(StreamConfig(name=name, subjects=[subject]))
    sub = await js.pull_subscribe(subject, durable="raw", stream=name)
    payload = b"x" * size

    async def publish() -> None:
        pending = []
        for i in range(n):
            pending.append(
                await js.publish_async(subject, payload, headers={"Nats-Msg-Id": str(i)})
            )
            if len(pending) >= 1_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)

    async def consume() -> None:
        seen = 0
        while seen < n:
            try:
                msgs = await sub.fetch(256, timeout=1)
            except (TimeoutError, nats.errors.TimeoutError):
                continue
            for msg in msgs:
                await msg.ack()
            seen += len(msgs)

    started = time.monotonic()
    await asyncio.gather(publish(), consume())
    rate = n / (time.monotonic() - started)
    await js.delete_stream(name)
    print(f"raw JetStream publish+consume+ack: {rate:.0f} msgs/s", flush=True)
    return rate
