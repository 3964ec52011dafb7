"""A nats-py client whose message headers cost a fraction of the stock encoding.

nats-py encodes every header of every publish with a regex check of the key and a
`str.translate` of the value (several microseconds per header). This service publishes two
header-carrying messages per result, so that was one of its largest per-message costs. The
subclass caches validated keys and only rewrites values that contain CR or LF; the bytes
on the wire are identical (tests/unit/llm_provider/test_llm_nats_client.py compares them
with the stock encoder), and anything unusual falls back to the stock code path.
"""

from __future__ import annotations

from typing import Any

from nats.aio.client import _HEADER_KEY_RE, Client
from nats.protocol import command as prot_command

_HDR_LINE = b"NATS/1.0\r\n"
_MAX_CACHED_KEYS = 256


def encode_headers(headers: dict[str, Any], cache: dict[str, bytes]) -> bytearray | None:
    """The header block nats-py would send, or None when the stock path must decide."""
    block = bytearray(_HDR_LINE)
    for key, value in headers.items():
        prefix = cache.get(key)
        if prefix is None:
            name = key.strip()
            if name and not _HEADER_KEY_RE.fullmatch(name):
                return None  # let nats-py raise its BadHeaderError
            prefix = f"{name}: ".encode() if name else b""
            if len(cache) < _MAX_CACHED_KEYS:
                cache[key] = prefix
        if not prefix:
            continue  # nats-py skips empty keys
        text = value.strip()
        if "\r" in text or "\n" in text:
            text = text.replace("\r", " ").replace("\n", " ")
        block += prefix
        block += text.encode()
        block += b"\r\n"
    block += b"\r\n"
    return block


def wire_size(payload: bytes, headers: dict[str, str]) -> int:
    """What a message counts against the server's max_payload: headers and payload together
    (nats-py checks the payload alone, and the server answers a bigger one by closing the
    connection)."""
    block = encode_headers(headers, {})
    return len(payload) + (len(block) if block is not None else 0)


class FastHeaderClient(Client):
    def __init__(self) -> None:
        super().__init__()
        self._header_keys: dict[str, bytes] = {}

    async def _send_publish(self, subject: str, reply: str, payload: bytes,
                            payload_size: int, headers: dict[str, Any] | None) -> None:
        block = encode_headers(headers, self._header_keys) if headers and subject else None
        if block is None:
            await super()._send_publish(subject, reply, payload, payload_size, headers)
            return
        self.stats["out_msgs"] += 1
        self.stats["out_bytes"] += payload_size
        await self._send_command(prot_command.hpub_cmd(subject, reply, block, payload))
        if self._flush_queue is not None and self._flush_queue.empty():
            await self._flush_pending()


async def connect(servers: str | list[str], **options: Any) -> FastHeaderClient:
    client = FastHeaderClient()
    await client.connect(servers, **options)
    return client
