"""Engines over real SQLite files and real keys, exchanging entries directly (no network)."""

from __future__ import annotations

import random
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sync.engines import capture, close, exchange, open_engine, pair_in_process, view, write_capture
from vivim.sync import entries, library


async def conversation_id(engine, external_id: str = "c1") -> int:
    row = await engine.store.fetchone("SELECT id FROM conversations WHERE external_id = ?", (external_id,))
    return row[0]


async def two_paired(tmp_path: Path):
    a, b = await open_engine(tmp_path / "a"), await open_engine(tmp_path / "b")
    await pair_in_process(a, b)
    return a, b


async def test_capture_on_one_device_reaches_the_other(tmp_path: Path) -> None:
    a, b = await two_paired(tmp_path)
    await write_capture(
        a, capture("c1", [("k1", "user", "hello"), ("k2", "assistant", "hi")], title="Greeting")
    )
    await exchange(a, b)
    assert (await view(b))["claude/c1"]["messages"] == {
        "k1": ["user", "hello", "complete"],
        "k2": ["assistant", "hi", "complete"],
    }
    assert await view(a) == await view(b)
    await close(a, b)


async def test_rename_on_one_and_tag_on_the_other_both_survive(tmp_path: Path) -> None:
    a, b = await two_paired(tmp_path)
    await write_capture(a, capture("c1", [("k1", "user", "hello")], title="Old"))
    await exchange(a, b)
    await a.store.write(library.rename_conversation, await conversation_id(a), "New title")
    await b.store.write(library.add_tag, await conversation_id(b), "work")
    await b.store.write(library.set_pinned, await conversation_id(b), True)
    await exchange(a, b)
    va = await view(a)
    assert va == await view(b)
    assert va["claude/c1"]["title"] == "New title"
    assert va["claude/c1"]["tags"] == ["work"] and va["claude/c1"]["pinned"]
    await close(a, b)


async def test_same_conversation_captured_on_both_converges(tmp_path: Path) -> None:
    a, b = await two_paired(tmp_path)
    await write_capture(a, capture("c1", [("k1", "user", "question"), ("k2", "assistant", "answer from a")]))
    await write_capture(b, capture("c1", [("k1", "user", "question"), ("k3", "assistant", "another answer")]))
    await exchange(a, b)
    va = await view(a)
    assert va == await view(b)
    assert set(va["claude/c1"]["messages"]) == {"k1", "k2", "k3"}
    await close(a, b)


async def test_delete_propagates_and_a_stale_update_does_not_resurrect(tmp_path: Path) -> None:
    a, b = await two_paired(tmp_path)
    await write_capture(a, capture("c1", [("k1", "user", "secret plans")]))
    await exchange(a, b)
    await write_capture(b, capture("c1", [("k1", "user", "secret plans"), ("k2", "assistant", "late reply")]))
    await a.store.write(library.delete_conversation, await conversation_id(a))
    await exchange(a, b)
    for engine in (a, b):
        assert (await view(engine))["claude/c1"] == {"deleted": True}
        assert (await engine.store.fetchone("SELECT COUNT(*) FROM messages"))[0] == 0
    hits = await b.store.fetchone("SELECT COUNT(*) FROM chunks_fts WHERE chunks_fts MATCH 'secret'")
    assert hits[0] == 0
    await close(a, b)


async def test_tampered_entry_is_rejected_and_changes_nothing(tmp_path: Path) -> None:
    a, b = await two_paired(tmp_path)
    await exchange(a, b)
    await write_capture(a, capture("c1", [("k1", "user", "original")]))
    await a.export_local()
    raws = [raw for _, raw in await a.entries_for(await b.version_vector())]
    doc_entry = next(entries.decode(r) for r in raws if entries.decode(r).kind == "doc")
    body = bytearray(doc_entry.body)
    body[-1] ^= 1
    forged = entries.Entry(
        doc_entry.origin, doc_entry.seq, doc_entry.kind, doc_entry.key_id, bytes(body), doc_entry.sig
    )
    result = await b.ingest([forged.encode()])
    assert result.rejected == 1 and result.accepted == 0
    assert "claude/c1" not in await view(b)
    # re-signed by a device that is not in the vault: still refused
    outsider = await open_engine(tmp_path / "outsider")
    resigned = entries.make(
        outsider.device, doc_entry.origin, doc_entry.seq, "doc", doc_entry.key_id, doc_entry.body
    )
    assert (await b.ingest([resigned.encode()])).rejected == 1
    await exchange(a, b)
    assert (await view(b))["claude/c1"]["messages"]["k1"][1] == "original"
    await close(a, b, outsider)


async def test_replayed_entry_is_not_applied_twice(tmp_path: Path) -> None:
    a, b = await two_paired(tmp_path)
    await write_capture(a, capture("c1", [("k1", "user", "first version, streaming")]))
    await exchange(a, b)
    old = [raw for _, raw in await a.entries_for({})]
    await a.store.write(library.rename_conversation, await conversation_id(a), "Renamed later")
    await exchange(a, b)
    result = await b.ingest(old)
    assert result.accepted == 0 and result.duplicates == len(old)
    assert (await view(b))["claude/c1"]["title"] == "Renamed later"
    await close(a, b)


async def test_entry_from_an_unknown_device_is_never_accepted(tmp_path: Path) -> None:
    a, b = await two_paired(tmp_path)
    stranger, other = await open_engine(tmp_path / "s"), await open_engine(tmp_path / "o")
    await pair_in_process(stranger, other)  # a different vault
    await write_capture(stranger, capture("c1", [("k1", "user", "injected")]))
    await stranger.export_local()
    raws = [raw for _, raw in await stranger.entries_for({})]
    result = await b.ingest(raws)
    assert result.accepted == 0
    assert "claude/c1" not in await view(b)
    await close(a, b, stranger, other)


async def test_revoked_device_gets_nothing_new_and_its_new_entries_are_refused(tmp_path: Path) -> None:
    a, b = await two_paired(tmp_path)
    c = await open_engine(tmp_path / "c")
    await pair_in_process(a, c)
    await exchange(a, b)
    await exchange(a, c)
    await write_capture(a, capture("c1", [("k1", "user", "before revocation")]))
    await exchange(a, b)
    await exchange(a, c)
    old_key = a.vault.current
    assert await a.revoke(c.peer_id)
    assert a.vault.current != old_key
    await exchange(a, b)
    assert b.vault.current == a.vault.current  # the new key reached the remaining device
    assert c.peer_id not in await a.allowed_peers() and c.peer_id not in await b.allowed_peers()
    await write_capture(a, capture("c2", [("k1", "user", "after revocation")]))
    await a.export_local()
    # even if a blind relay handed c everything, c cannot read the new entries
    await c.ingest([raw for _, raw in await a.entries_for(await c.version_vector())])
    assert "claude/c2" not in await view(c)
    # and what c writes now is refused by the others
    await write_capture(c, capture("c3", [("k1", "user", "from the revoked device")]))
    await c.export_local()
    result = await b.ingest([raw for _, raw in await c.entries_for(await b.version_vector())])
    assert result.accepted == 0 and "claude/c3" not in await view(b)
    await close(a, b, c)


async def test_blind_peer_stores_and_forwards_without_reading(tmp_path: Path) -> None:
    a, b = await two_paired(tmp_path)
    blind = await open_engine(tmp_path / "blind")
    members = await a.member_records()
    await blind.adopt_vault(None)
    await a.add_device(blind.self_record())
    await blind.add_device(a.self_record(), members)
    await exchange(a, b)
    await write_capture(a, capture("c1", [("k1", "user", "for b's eyes only")]))
    await exchange(a, blind)  # b is offline; only the blind backup is reachable
    assert await view(blind) == {}
    stored = await blind.store.fetchall("SELECT entry FROM sync_log")
    assert not any(b"for b's eyes" in bytes(r[0]) for r in stored)
    await exchange(blind, b)  # later b meets only the backup
    assert (await view(b))["claude/c1"]["messages"]["k1"][1] == "for b's eyes only"
    await close(a, b, blind)


async def test_restart_sends_only_the_difference(tmp_path: Path) -> None:
    a, b = await two_paired(tmp_path)
    for i in range(5):
        await write_capture(a, capture(f"c{i}", [("k1", "user", f"message {i}")]))
    await exchange(a, b)
    await close(a, b)
    a, b = await open_engine(tmp_path / "a"), await open_engine(tmp_path / "b")
    await write_capture(a, capture("c1", [("k1", "user", "message 1"), ("k2", "assistant", "new")]))
    await a.export_local()
    missing = await a.entries_for(await b.version_vector())
    assert len(missing) == 1  # one conversation document changed, nothing else is resent
    await exchange(a, b)
    assert await view(a) == await view(b)
    await close(a, b)


# ---- randomised: three devices, offline edits, any order of meeting -----------------------------

ACTIONS = st.lists(
    st.tuples(
        st.integers(0, 2),
        st.sampled_from(["capture", "grow", "rename", "tag", "untag", "pin", "delete", "sync"]),
        st.integers(0, 2),
        st.integers(0, 3),
    ),
    min_size=3,
    max_size=16,
)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS, seed=st.integers(0, 10_000))
async def test_three_devices_converge_after_random_offline_edits(tmp_path_factory, actions, seed) -> None:
    root = tmp_path_factory.mktemp("peers")
    a, b, c = [await open_engine(root / n) for n in "abc"]
    await pair_in_process(a, b)
    await pair_in_process(a, c)
    peers = [a, b, c]
    rng = random.Random(seed)
    for who, action, conv, n in actions:
        engine, ext = peers[who], f"c{conv}"
        row = await engine.store.fetchone(
            "SELECT id, deleted_at FROM conversations WHERE external_id = ?", (ext,)
        )
        if action == "capture":
            await write_capture(
                engine, capture(ext, [(f"k{n}", "user", f"turn {n} on {who}")], title=f"t{who}")
            )
        elif action == "grow":
            await write_capture(engine, capture(ext, [("k0", "assistant", "answer " + "x" * (n + 1))]))
        elif row is None or row[1] is not None:
            continue
        elif action == "rename":
            await engine.store.write(library.rename_conversation, row[0], f"renamed {who}.{n}")
        elif action == "tag":
            await engine.store.write(library.add_tag, row[0], f"tag{n}")
        elif action == "untag":
            await engine.store.write(library.remove_tag, row[0], f"tag{n}")
        elif action == "pin":
            await engine.store.write(library.set_pinned, row[0], bool(n % 2))
        elif action == "delete":
            await engine.store.write(library.delete_conversation, row[0])
        if action == "sync":
            other = peers[(who + 1 + rng.randrange(2)) % 3]
            await exchange(engine, other)
    for x, y in [(a, b), (b, c), (a, c), (a, b)]:
        await exchange(x, y)
    va, vb, vc = await view(a), await view(b), await view(c)
    assert va == vb == vc
    await close(a, b, c)


async def test_a_users_title_wins_over_the_page_title_captured_on_another_device(tmp_path: Path) -> None:
    a, b = await two_paired(tmp_path)
    await write_capture(a, capture("c1", [("k1", "user", "hello")], title="New chat"))
    await exchange(a, b)
    await a.store.write(library.rename_conversation, await conversation_id(a), "Trip to Lisbon")
    await exchange(a, b)
    # the page's own title arrives later, captured on either device: the user's title stays everywhere
    await write_capture(b, capture("c1", [("k1", "user", "hello")], title="Lisbon itinerary"))
    await write_capture(a, capture("c1", [("k1", "user", "hello")], title="Lisbon itinerary"))
    await exchange(a, b)
    va = await view(a)
    assert va == await view(b) and va["claude/c1"]["title"] == "Trip to Lisbon"
    # cleared on b: the page's title is back on both
    await b.store.write(library.rename_conversation, await conversation_id(b), None)
    await write_capture(b, capture("c1", [("k1", "user", "hello")], title="Lisbon itinerary"))
    await exchange(a, b)
    va = await view(a)
    assert va == await view(b) and va["claude/c1"]["title"] == "Lisbon itinerary"
    await close(a, b)


async def test_a_conversation_captured_after_another_was_deleted_reaches_the_other_device(
    tmp_path: Path,
) -> None:
    """SQLite gives the new turn the deleted turn's rowid: it must still be sent (found by the property test)."""
    a, b = await two_paired(tmp_path)
    await write_capture(a, capture("c0", [("k0", "user", "draft to throw away")], title="Old"))
    await a.store.write(library.delete_conversation, await conversation_id(a, "c0"))
    await write_capture(a, capture("c1", [("k0", "user", "the one to keep")], title="New"))
    await exchange(a, b)
    assert (await view(b))["claude/c1"]["messages"] == {"k0": ["user", "the one to keep", "complete"]}
    assert await view(a) == await view(b)
    await close(a, b)


async def test_a_deleted_conversation_captured_again_on_the_other_device_keeps_no_messages_there(
    tmp_path: Path,
) -> None:
    """The tombstone wins on the device itself, not only after its next sync: b, which received the
    deletion, refuses the page's turns at once, and both stay deleted after they meet again."""
    a, b = await two_paired(tmp_path)
    await write_capture(a, capture("c1", [("k1", "user", "secret plans")]))
    await exchange(a, b)
    await a.store.write(library.delete_conversation, await conversation_id(a))
    await exchange(a, b)
    await write_capture(b, capture("c1", [("k1", "user", "secret plans"), ("k2", "assistant", "reply")]))
    assert (await b.store.fetchone("SELECT COUNT(*) FROM messages"))[0] == 0
    await exchange(a, b)
    for engine in (a, b):
        assert (await view(engine))["claude/c1"] == {"deleted": True}
        assert (await engine.store.fetchone("SELECT COUNT(*) FROM messages"))[0] == 0
    await close(a, b)


async def test_tags_pin_and_title_restored_from_a_json_archive_reach_the_other_device(tmp_path: Path) -> None:
    """An archive imported on one device restores the user's marks through the same edits the web app
    makes, so sync carries them like any other edit."""
    import json

    from vivim.importers import import_path

    a, b = await two_paired(tmp_path)
    archive = tmp_path / "archive.json"
    conversation = {
        "provider": "claude",
        "external_id": "c1",
        "title": "My own name",
        "title_by_user": True,
        "tags": ["work", "deep dive"],
        "pinned": True,
        "messages": [{"key": "k1", "role": "user", "text": "hello", "markdown": "hello"}],
    }
    archive.write_text(json.dumps({"vivim_export": 1, "conversations": [conversation]}))
    summary = await import_path(a.store, archive)
    assert summary.conversations_created == 1
    await exchange(a, b)
    vb = await view(b)
    assert vb == await view(a)
    assert vb["claude/c1"]["tags"] == ["deep dive", "work"] and vb["claude/c1"]["pinned"] is True
    assert vb["claude/c1"]["title"] == "My own name"
    # the page's title captured later on b does not replace the user's
    await write_capture(b, capture("c1", [("k1", "user", "hello")], title="New chat"))
    await exchange(a, b)
    assert (await view(a))["claude/c1"]["title"] == "My own name"
    await close(a, b)
