"""Plain Kademlia DHT nodes (real py-libp2p hosts in server mode, VIVIM's record validator) for
discovery tests: `python -m tests.sync.dht_swarm N`. Prints one JSON line with their addresses,
then serves until stdin closes. None of them is paired with anything: they stand in for the
strangers' nodes a DHT is made of."""

from __future__ import annotations

import json
import os
import sys

import trio


async def main(count: int) -> None:
    import contextlib

    import multiaddr
    from libp2p.tools.anyio_service import background_trio_service

    from vivim.sync.discovery import make_dht
    from vivim.sync.node import make_host

    hosts = [make_host(os.urandom(32), ["/ip4/127.0.0.1/tcp/0"], None, False) for _ in range(count)]
    async with contextlib.AsyncExitStack() as stack:
        dhts = []
        for host in hosts:
            await stack.enter_async_context(host.run([multiaddr.Multiaddr("/ip4/127.0.0.1/tcp/0")]))
            dht = make_dht(host)
            await stack.enter_async_context(background_trio_service(dht))
            dhts.append(dht)
        from libp2p.peer.peerinfo import PeerInfo

        for i, host in enumerate(hosts[1:], 1):  # a chain plus the first: a small, connected swarm
            for j in {0, i - 1}:
                await host.connect(PeerInfo(hosts[j].get_id(), hosts[j].get_addrs()))
                await dhts[i].add_peer(hosts[j].get_id())
                await dhts[j].add_peer(host.get_id())
        print(json.dumps([str(h.get_addrs()[0]) for h in hosts]), flush=True)
        await trio.to_thread.run_sync(sys.stdin.read)


if __name__ == "__main__":
    trio.run(main, int(sys.argv[1]))
