"""Incremental updates and log compaction, with engines over real SQLite files and real keys."""

from __future__ import annotations

import random
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sync.engines import capture, close, exchange, open_engine, pair_in_process, view, write_capture
from vivim.sync import compaction, entries, library
from vivim.sync.engine import SyncEngine


async def doc_entries(engine: SyncEngine) -> int:
    return (await engine.store.fetchone("SELECT COUNT(*) FROM sync_log WHERE kind = 'doc'"))[0]


async def last_doc_entry_size(engine: SyncEngine) -> int:
    row = await engine.store.fetchone(
        "SELECT LENGTH(entry) FROM sync_log WHERE origin = ? AND kind = 'doc' ORDER BY seq DESC LIMIT 1",
        (engine.peer_id,),
    )
    return row[0]


async def test_one_turn_in_a_long_conversation_sends_and_stores_only_that_turn(tmp_path: Path) -> None:
    a, b = await open_engine(tmp_path / "a"), await open_engine(tmp_path / "b")
    await pair_in_process(a, b)
    text = "a paragraph of an answer " * 20
    await write_capture(a, capture("long", [(f"k{i}", "assistant", text + str(i)) for i in range(600)]))
    await a.export_local()
    # every turn rewritten once (streaming -> final): the document now holds 600 deletions
    await write_capture(
        a, capture("long", [(f"k{i}", "assistant", text + str(i) + " done") for i in range(600)])
    )
    await exchange(a, b)
    await write_capture(a, capture("long", [("new", "user", "one more question")]))
    await exchange(a, b)
    assert (await view(b))["claude/long"]["messages"]["new"] == ["user", "one more question", "complete"]
    # the entry holds the one turn, not the document nor its delete set
    assert await last_doc_entry_size(a) < 600
    stored = await a.store.fetchone("SELECT COUNT(*), MAX(LENGTH(body)) FROM sync_doc_updates")
    assert stored[0] >= 1 and stored[1] < 600
    await close(a, b)


async def test_documents_in_memory_stay_bounded(tmp_path: Path) -> None:
    a, b = await open_engine(tmp_path / "a"), await open_engine(tmp_path / "b")
    await pair_in_process(a, b)
    a.docs.max_docs = b.docs.max_docs = 5
    for i in range(30):
        await write_capture(a, capture(f"c{i}", [("k1", "user", f"question {i}")]))
    await exchange(a, b)
    assert len(a.docs) <= 5 and len(b.docs) <= 5
    assert len(await view(b)) == 30
    # documents dropped from memory load again from base + updates and keep working
    await write_capture(b, capture("c0", [("k2", "assistant", "answer 0")]))
    await exchange(a, b)
    assert (await view(a))["claude/c0"]["messages"]["k2"][1] == "answer 0"
    await close(a, b)


async def test_compaction_drops_what_every_device_holds_and_sync_goes_on(tmp_path: Path) -> None:
    a, b = await open_engine(tmp_path / "a"), await open_engine(tmp_path / "b")
    await pair_in_process(a, b)
    for i in range(20):
        await write_capture(a, capture("c1", [(f"k{i}", "user", f"turn {i}")]))
        await a.export_local()
    await exchange(a, b)
    assert await doc_entries(a) >= 20
    done = await a.compact()
    assert done["entries"] >= 20 and await doc_entries(a) == 0
    assert await b.compact() == {"entries": done["entries"], "bytes": done["bytes"]}
    kinds = {r[0] for r in await a.store.fetchall("SELECT kind FROM sync_log")}
    assert kinds == {"member"}  # who may write is never compacted
    before = await a.version_vector()
    await write_capture(b, capture("c1", [("k99", "assistant", "after compaction")]))
    await exchange(a, b)
    assert await view(a) == await view(b)
    assert (await view(a))["claude/c1"]["messages"]["k99"][1] == "after compaction"
    assert (await a.version_vector())[a.peer_id] == before[a.peer_id]  # seqs never go back
    await close(a, b)


async def test_compaction_waits_for_a_device_that_has_not_acknowledged(tmp_path: Path) -> None:
    a, b, c = [await open_engine(tmp_path / n) for n in "abc"]
    await pair_in_process(a, b)
    await pair_in_process(a, c)
    await write_capture(a, capture("c1", [("k1", "user", "hello")]))
    await exchange(a, b)
    assert (await a.compact())["entries"] == 0  # c has not acknowledged anything yet
    await exchange(a, c)
    assert (await a.compact())["entries"] > 0
    await close(a, b, c)


async def test_an_acknowledgement_relayed_by_the_blind_backup_lets_compaction_run(tmp_path: Path) -> None:
    a, relay, c = [await open_engine(tmp_path / n) for n in ("a", "relay", "c")]
    await pair_in_process(a, c)
    members = await a.member_records()
    await relay.adopt_vault(None)
    await a.add_device(relay.self_record())
    await c.add_device(relay.self_record())
    await relay.add_device(a.self_record(), members)
    await write_capture(a, capture("c1", [("k1", "user", "hello")]))
    await exchange(a, relay)
    await exchange(relay, c)  # c takes a's entries from the relay and reports how far it got
    assert (await view(c))["claude/c1"]["messages"]["k1"][1] == "hello"
    await exchange(a, relay)  # the relay passes c's acknowledgement on
    assert (await a.compact())["entries"] > 0
    await close(a, relay, c)


async def test_a_device_paired_after_compaction_gets_a_snapshot(tmp_path: Path) -> None:
    a, b, c = [await open_engine(tmp_path / n) for n in "abc"]
    await pair_in_process(a, b)
    await write_capture(
        a, capture("c1", [("k1", "user", "hello"), ("k2", "assistant", "hi")], title="Greeting")
    )
    await write_capture(b, capture("c2", [("k1", "user", "second")]))
    c2 = (await b.store.fetchone("SELECT id FROM conversations WHERE external_id = 'c2'"))[0]
    await b.store.write(library.add_tag, c2, "work")
    await exchange(a, b)
    await a.compact()
    await b.compact()
    await pair_in_process(a, c)
    await exchange(a, c)
    assert c.counters["snapshots_taken"] == 1
    assert await view(c) == await view(a)
    assert (await view(c))["claude/c2"]["tags"] == ["work"]
    # c raised its floors: it takes b's next entry directly, without a gap (once b has heard of c
    # from a: devices talk only with devices they know as paired)
    await exchange(a, b)
    assert c.peer_id in await b.allowed_peers()
    await exchange(b, c)
    await write_capture(b, capture("c2", [("k2", "assistant", "later")]))
    await exchange(b, c)
    assert (await view(c))["claude/c2"]["messages"]["k2"][1] == "later"
    await close(a, b, c)


async def test_a_blind_backup_keeps_a_snapshot_and_passes_it_on(tmp_path: Path) -> None:
    a, b, relay, d = [await open_engine(tmp_path / n) for n in ("a", "b", "relay", "d")]
    await pair_in_process(a, b)
    for i in range(5):
        await write_capture(a, capture(f"c{i}", [("k1", "user", f"question {i}")]))
    await exchange(a, b)
    await a.compact()
    # a blind backup paired now is behind a's floor: it keeps the snapshot (ciphertext)
    members = await a.member_records()
    await relay.adopt_vault(None)
    await a.add_device(relay.self_record())
    await relay.add_device(a.self_record(), members)
    await exchange(a, relay)
    assert relay.counters["snapshots_taken"] == 1
    kept = await relay.store.fetchone("SELECT COUNT(*) FROM sync_snapshot WHERE complete = 1")
    assert kept[0] >= 1
    # d joins through a but only ever meets the relay, which hands it the kept parts
    members = await a.member_records()
    await d.adopt_vault(a.vault)
    await a.add_device(d.self_record())
    await d.add_device(a.self_record(), members)
    await exchange(a, relay)  # the relay learns of d
    await exchange(relay, d)
    assert await view(d) == await view(a)
    await close(a, b, relay, d)


async def test_a_snapshot_signed_by_someone_else_is_refused(tmp_path: Path) -> None:
    a, b, stranger = [await open_engine(tmp_path / n) for n in ("a", "b", "stranger")]
    await pair_in_process(a, b)
    await stranger.adopt_vault(a.vault)  # even holding the vault key is not enough
    await write_capture(stranger, capture("evil", [("k1", "user", "planted")]))
    raw = await stranger.store.read(
        lambda c: compaction.make_part(
            c, stranger.device, stranger.peer_id, stranger.vault, [], 0, True, {a.peer_id: 10**6}, []
        )
    )
    with pytest.raises(entries.Rejected, match="not a paired device"):
        await b.ingest_snapshot(raw)
    part = compaction.decode_part(raw)
    forged = msgspec.msgpack.encode(
        compaction.SnapshotPart(a.peer_id, part.floors, 0, True, part.key_id, part.body, [], part.sig)
    )
    with pytest.raises(entries.Rejected, match="bad signature"):
        await b.ingest_snapshot(forged)
    assert (await b.store.fetchone("SELECT COUNT(*) FROM sync_floor"))[0] == 0
    await close(a, b, stranger)


# ---- property: any order of updates, compaction at any point -> the same state everywhere ------

ACTIONS = st.lists(
    st.tuples(
        st.integers(0, 2),
        st.sampled_from(
            [
                "capture",
                "grow",
                "rename",
                "tag",
                "untag",
                "delete",
                "sync",
                "sync",
                "compact",
                "compact",
                "join",
            ]
        ),
        st.integers(0, 2),
        st.integers(0, 3),
    ),
    min_size=4,
    max_size=18,
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS, seed=st.integers(0, 10_000))
async def test_compaction_at_any_point_leaves_every_device_the_same(tmp_path_factory, actions, seed) -> None:
    root = tmp_path_factory.mktemp("compaction")
    a, b, c = [await open_engine(root / n) for n in "abc"]
    await pair_in_process(a, b)
    await pair_in_process(a, c)
    peers = [a, b, c]
    late: SyncEngine | None = None  # a device paired part-way, possibly after compaction
    rng = random.Random(seed)
    captured: set[tuple[str, str]] = set()
    for who, action, conv, n in actions:
        engine, ext = peers[who], f"c{conv}"
        row = await engine.store.fetchone(
            "SELECT id, deleted_at FROM conversations WHERE external_id = ?", (ext,)
        )
        if action == "capture":
            await write_capture(
                engine, capture(ext, [(f"k{n}", "user", f"turn {n} on {who}")], title=f"t{who}")
            )
            captured.add((ext, f"k{n}"))
        elif action == "grow":
            await write_capture(engine, capture(ext, [("k0", "assistant", "answer " + "x" * (n + 1))]))
            captured.add((ext, "k0"))
        elif action == "sync":
            await exchange(engine, peers[(who + 1 + rng.randrange(len(peers) - 1)) % len(peers)])
        elif action == "compact":
            await engine.export_local()
            await engine.compact()
        elif action == "join" and late is None:
            late = await open_engine(root / "late")
            await pair_in_process(engine, late)
            peers.append(late)
        elif row is None or row[1] is not None:
            continue
        elif action == "rename":
            await engine.store.write(library.rename_conversation, row[0], f"renamed {who}.{n}")
        elif action == "tag":
            await engine.store.write(library.add_tag, row[0], f"tag{n}")
        elif action == "untag":
            await engine.store.write(library.remove_tag, row[0], f"tag{n}")
        elif action == "delete":
            await engine.store.write(library.delete_conversation, row[0])
    for _ in range(2):  # everyone meets a neighbour, then compacts, then meets again
        for x, y in zip(peers, peers[1:] + peers[:1]):
            await exchange(x, y)
        for x in peers:
            await x.compact()
    views = [await view(p) for p in peers]
    assert all(v == views[0] for v in views[1:])
    for ext, key in captured:  # nothing captured anywhere is lost, unless its conversation was deleted
        conv = views[0][f"claude/{ext}"]
        assert conv.get("deleted") or key in conv["messages"]
    await close(*peers)


async def test_a_blind_backup_compacts_what_every_device_acknowledged(tmp_path: Path) -> None:
    a, relay, c = [await open_engine(tmp_path / n) for n in ("a", "relay", "c")]
    await pair_in_process(a, c)
    members = await a.member_records()
    await relay.adopt_vault(None)
    await a.add_device(relay.self_record())
    await c.add_device(relay.self_record())
    await relay.add_device(a.self_record(), members)
    for i in range(10):
        await write_capture(a, capture("c1", [(f"k{i}", "user", f"turn {i}")]))
        await a.export_local()
    await exchange(a, relay)
    assert (await relay.compact())["entries"] == 0  # c has not got them yet
    await exchange(relay, c)
    assert (await relay.compact())["entries"] >= 10
    assert await doc_entries(relay) == 0
    await write_capture(c, capture("c1", [("k99", "assistant", "still flowing")]))
    await exchange(relay, c)
    await exchange(a, relay)
    assert (await view(a))["claude/c1"]["messages"]["k99"][1] == "still flowing"
    await close(a, relay, c)


async def test_a_partition_of_hours_of_edits_heals(tmp_path: Path) -> None:
    """Two pairs of devices apart for a simulated afternoon (hundreds of edits on each side, each
    side compacting as it goes, though it cannot drop what the other side has not acknowledged),
    then one meeting of one device from each side: every device ends the same, nothing lost."""
    a, b, c, d = [await open_engine(tmp_path / n) for n in "abcd"]
    for other in (b, c, d):
        await pair_in_process(a, other)
    for x, y in ((a, b), (a, c), (a, d), (b, c), (c, d)):
        await exchange(x, y)  # everyone knows everyone
    rng = random.Random(17)
    for minute in range(240):  # four hours, an edit a minute on each side
        for side, (x, y) in enumerate(((a, b), (c, d))):
            editor = x if minute % 2 else y
            conv = f"s{side}c{rng.randrange(6)}"
            await write_capture(
                editor, capture(conv, [(f"m{minute}", "user", f"minute {minute} on side {side}")])
            )
            if minute % 30 == 29:
                await exchange(x, y)
                await x.compact()
                await y.compact()
    shared = [await view(e) for e in (a, c)]
    assert not set(shared[0]) & {k for k in shared[1] if k.startswith("claude/s1")}  # truly apart
    await exchange(b, c)
    for x, y in ((a, b), (c, d), (a, d)):
        await exchange(x, y)
    views = [await view(e) for e in (a, b, c, d)]
    assert all(v == views[0] for v in views[1:])
    turns = sum(len(conv["messages"]) for conv in views[0].values())
    assert turns == 480
    for x, y in ((a, b), (b, c), (c, d), (a, d), (a, b)):  # acknowledgements go round once more
        await exchange(x, y)
    for e in (a, b, c, d):
        await e.compact()
    assert sum([await doc_entries(e) for e in (a, b, c, d)]) == 0
    await close(a, b, c, d)
