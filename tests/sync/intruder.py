"""An unpaired libp2p peer that tries the sync protocol on a node: `python -m tests.sync.intruder ADDR`,
or asks it for a circuit relay slot: `python -m tests.sync.intruder ADDR --relay`.

Prints one JSON line: whether the Noise connection came up, how many bytes the node sent back
on the sync stream, and how the stream ended (with --relay: whether a reservation was granted).
"""

from __future__ import annotations

import json
import os
import sys

import trio


async def reserve(addr: str) -> dict:
    import multiaddr
    from libp2p.peer.peerinfo import info_from_p2p_addr

    from vivim.sync.node import make_host
    from vivim.sync.relay import Relaying

    host = make_host(os.urandom(32), ["/ip4/127.0.0.1/tcp/0"], None, False)
    report: dict = {"connected": False, "reserved": False, "error": None}
    async with host.run([multiaddr.Multiaddr("/ip4/127.0.0.1/tcp/0")]):
        relaying = Relaying(host, _anyone, lambda: False)
        async with relaying.running():
            info = info_from_p2p_addr(multiaddr.Multiaddr(addr))
            await host.connect(info)
            report["connected"] = True
            try:
                with trio.fail_after(20):
                    async with trio.open_nursery() as nursery:
                        report["reserved"] = await relaying.reserve(info.peer_id.to_base58(), nursery)
                        nursery.cancel_scope.cancel()
            except Exception as exc:
                report["error"] = type(exc).__name__
    return report


async def _anyone(peer: str) -> bool:
    return True


async def main(addr: str) -> dict:
    import multiaddr
    from libp2p.peer.peerinfo import info_from_p2p_addr

    from vivim.sync.node import make_host
    from vivim.sync.wire import SYNC_PROTOCOL, write_frame

    host = make_host(os.urandom(32), ["/ip4/127.0.0.1/tcp/0"], None, False)
    report: dict = {"connected": False, "received": 0, "ended": None}
    async with host.run([multiaddr.Multiaddr("/ip4/127.0.0.1/tcp/0")]):
        info = info_from_p2p_addr(multiaddr.Multiaddr(addr))
        await host.connect(info)
        report["connected"] = True
        try:
            with trio.fail_after(10):
                stream = await host.new_stream(info.peer_id, [SYNC_PROTOCOL])
                await write_frame(stream, {"t": "hello", "vv": {}})
                while True:
                    chunk = await stream.read(65536)
                    if not chunk:
                        report["ended"] = "closed"
                        break
                    report["received"] += len(chunk)
        except Exception as exc:
            report["ended"] = type(exc).__name__
    return report


if __name__ == "__main__":
    print(json.dumps(trio.run(reserve if "--relay" in sys.argv else main, sys.argv[1])), flush=True)
