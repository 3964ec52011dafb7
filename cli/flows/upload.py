"""Upload texts to the content service, skipping what is already stored.

Content ids are the sha256 of the bytes, so the CLI knows each id before uploading: a
StatContent that answers means the text is stored and is not sent again (a re-run of a large
folder costs one small call per essay). PutContent would dedupe anyway; the Stat saves bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cli.errors import CliError
from cli.rpc import Client
from contracts.huleedu.content.v1 import content_pb2
from contracts.ids import derived_id

TEXT = "text/plain; charset=utf-8"
JSON = "application/json"


@dataclass
class UploadStats:
    uploaded: int = 0
    already_stored: int = 0


def is_stored(client: Client, content_id: str) -> bool:
    try:
        client.call("StatContent", content_pb2.StatContentRequest(content_id=content_id))
    except CliError as err:
        if "CONTENT_NOT_FOUND" in err.message:
            return False
        raise
    return True


def put(client: Client, data: bytes, *, content_type: str = TEXT) -> str:
    """Store `data` (idempotent: the request id is derived from its checksum); return its id."""
    from contracts.ids import content_id_for

    content_id = content_id_for(data)
    request = content_pb2.PutContentRequest(
        request_id=derived_id("huleedu-cli-put", content_id, content_type), content=data,
        content_type=content_type,
    )
    stored = client.call("PutContent", request).metadata.content_id
    if stored != content_id:
        raise CliError(f"content service stored {stored}, expected {content_id}")
    return content_id


def ensure_stored(
    client: Client, items: list[bytes], *, stats: UploadStats,
    on_item: Callable[[], None] = lambda: None,
) -> list[str]:
    """Content id of each item, uploading only what the content service does not hold yet."""
    from contracts.ids import content_id_for

    ids = []
    for data in items:
        content_id = content_id_for(data)
        if is_stored(client, content_id):
            stats.already_stored += 1
        else:
            put(client, data)
            stats.uploaded += 1
        ids.append(content_id)
        on_item()
    return ids
