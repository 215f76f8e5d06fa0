"""Plain Kademlia DHT nodes (real py-libp2p hosts in server mode, VIVIM's record validator) for
discovery tests: `python -m tests.sync.dht_swarm N [--liar I]`. Prints one JSON line with their
addresses, then serves until stdin closes. None of them is paired with anything: they stand in for
the strangers' nodes a DHT is made of.

With `--liar I`, node I is a hostile DHT node (tests/sync/dht_liar.py): it stores anything, answers
lookups with forgeries and pushes forged, restamped and rolled-back records to every node it knows;
when stdin closes it prints one more JSON line, what it tried and what the other nodes accepted."""

from __future__ import annotations

import json
import os
import sys

import trio

from tests.sync.dht_liar import Tally, lie, make_liar_dht


async def main(count: int, liar: int | None) -> None:
    import contextlib

    import multiaddr
    from libp2p.tools.anyio_service import background_trio_service

    from vivim.sync.discovery import make_dht
    from vivim.sync.node import make_host

    hosts = [make_host(os.urandom(32), ["/ip4/127.0.0.1/tcp/0"], None, False) for _ in range(count)]
    async with contextlib.AsyncExitStack() as stack:
        dhts = []
        for i, host in enumerate(hosts):
            await stack.enter_async_context(host.run([multiaddr.Multiaddr("/ip4/127.0.0.1/tcp/0")]))
            dht = make_liar_dht(host) if i == liar else make_dht(host)
            await stack.enter_async_context(background_trio_service(dht))
            dhts.append(dht)
        from libp2p.peer.peerinfo import PeerInfo

        for i, host in enumerate(hosts[1:], 1):  # a chain plus the first: a small, connected swarm
            for j in {0, i - 1}:
                await host.connect(PeerInfo(hosts[j].get_id(), hosts[j].get_addrs()))
                await dhts[i].add_peer(hosts[j].get_id())
                await dhts[j].add_peer(host.get_id())
        print(json.dumps([str(h.get_addrs()[0]) for h in hosts]), flush=True)
        async with trio.open_nursery() as nursery:
            tally = Tally()
            if liar is not None:
                nursery.start_soon(lie, dhts[liar], tally)
            await trio.to_thread.run_sync(sys.stdin.read)
            nursery.cancel_scope.cancel()
        if liar is not None:
            print(json.dumps(tally.report()), flush=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    trio.run(main, int(args[0]), int(args[2]) if args[1:2] == ["--liar"] else None)
