"""The fast header encoder puts exactly the stock nats-py bytes on the wire."""

from __future__ import annotations

import pytest
from nats import errors
from nats.aio.client import Client

from llm_provider.adapters.nats_client import FastHeaderClient


async def wire_bytes(client: Client, headers: dict[str, str] | None) -> bytes:
    sent: list[bytes] = []

    async def capture(command: bytes, priority: bool = False) -> None:
        sent.append(command)

    client._send_command = capture  # type: ignore[method-assign]
    await client._send_publish("a.subject", "_INBOX.x", b"payload", 7, headers)
    return b"".join(sent)


@pytest.mark.parametrize("headers", [
    None,
    {},
    {"Nats-Msg-Id": "r-1", "huleedu-schema": "huleedu.llm.v1.ComparisonResult"},
    {"huleedu-correlation-id": "  padded value  "},
    {"k": "line\r\nbreak\nand\rreturns"},
    {"  spaced-key ": "v", "": "skipped", "   ": "also skipped"},
    {"Nats-Msg-Id": "åäö unicode"},
])
async def test_headers_encode_to_the_same_bytes_as_the_stock_client(headers):
    fast = await wire_bytes(FastHeaderClient(), headers)
    assert fast == await wire_bytes(Client(), headers)
    again = await wire_bytes(FastHeaderClient(), headers)  # from the key cache this time
    assert again == fast


async def test_an_invalid_header_key_is_refused_as_the_stock_client_refuses_it():
    with pytest.raises(errors.BadHeaderError):
        await wire_bytes(FastHeaderClient(), {"bad key:": "v"})
