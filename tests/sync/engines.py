"""In-process engines over real databases and real keys, exchanging entries without a network."""

from __future__ import annotations

from pathlib import Path

from vivim.config import Paths
from vivim.protocol import CaptureUpsert, ConversationIn, TurnIn
from vivim.store import Store
from vivim.store.capture import upsert_capture
from vivim.sync.documents import store_view
from vivim.sync.engine import SyncEngine


async def open_engine(home: Path) -> SyncEngine:
    home.mkdir(parents=True, exist_ok=True)
    paths = Paths(home)
    store = await Store.open(paths.db)
    return await SyncEngine.open(store, paths.keys)


async def pair_in_process(first: SyncEngine, joiner: SyncEngine) -> None:
    """What the pairing protocol achieves, without the network: both record each other, the
    joiner takes the vault's keys and its member list."""
    members = await first.member_records()
    await joiner.adopt_vault(first.vault)
    await first.add_device(joiner.self_record())
    await joiner.add_device(first.self_record(), members)


async def exchange(a: SyncEngine, b: SyncEngine) -> None:
    """One round of what two connected nodes do (node.Session): each tells the other how far it
    has come (its version vector and what it knows of others'), sends a snapshot first if the
    other is behind what it compacted away, then the entries the other lacks.

    Only between devices that know each other as paired: a node refuses a session with any other
    peer (node.Session, SyncNode._allowed), so a device paired part-way through meets the others
    once the news of it has reached them through the devices they already know."""
    if b.peer_id not in await a.allowed_peers() or a.peer_id not in await b.allowed_peers():
        return
    for _ in range(10):
        await a.export_local()
        await b.export_local()
        moved = 0
        for src, dst in ((a, b), (b, a)):
            vv = await dst.version_vector()
            await src.note_acks({**await dst.acks(), dst.peer_id: vv})
            plan = await src.snapshot_plan(vv)
            if plan:
                for spec in plan:
                    await dst.ingest_snapshot(await src.snapshot_part(spec))
                vv = await dst.version_vector()
                moved += 1
            raws = [raw for _, raw in await src.entries_for(vv, limit=100_000)]
            if raws:
                res = await dst.ingest(raws)
                moved += res.accepted
        if not moved:
            return


def capture(
    conv_id: str, turns: list[tuple[str, str, str]], *, title: str | None = None, provider: str = "claude"
) -> CaptureUpsert:
    return CaptureUpsert(
        conversation=ConversationIn(provider=provider, external_id=conv_id, title=title),
        turns=[TurnIn(key=k, role=r, text=t, markdown=t, position=i) for i, (k, r, t) in enumerate(turns)],
    )


async def write_capture(engine: SyncEngine, cap: CaptureUpsert) -> None:
    await engine.store.write(upsert_capture, cap)


async def view(engine: SyncEngine) -> dict:
    return await engine.store.read(store_view)


async def close(*engines: SyncEngine) -> None:
    for e in engines:
        await e.store.close()
