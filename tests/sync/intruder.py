"""An unpaired libp2p peer that tries the sync protocol on a node: `python -m tests.sync.intruder ADDR`.

Prints one JSON line: whether the Noise connection came up, how many bytes the node sent back
on the sync stream, and how the stream ended.
"""

from __future__ import annotations

import json
import os
import sys

import trio


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
    print(json.dumps(trio.run(main, sys.argv[1])), flush=True)
