"""Pairing codes expire, work once, and burn after repeated wrong guesses; the SPAKE2 exchange
pairs only with the right code and never sends it."""

from __future__ import annotations

from pathlib import Path

import trio
import trio.testing

from vivim.errors import Unauthorized
from vivim.sync import crypto, entries, pairing


class Pipe:
    """One end of an in-memory duplex byte stream with libp2p's read/write names."""

    def __init__(self, stream: trio.abc.Stream, log: list[bytes]) -> None:
        self.stream, self.log = stream, log

    async def read(self, n: int) -> bytes:
        return await self.stream.receive_some(n)

    async def write(self, data: bytes) -> None:
        self.log.append(data)
        await self.stream.send_all(data)


def device(tmp_path: Path, name: str) -> tuple[crypto.DeviceKeys, entries.MemberRecord]:
    (tmp_path / name).mkdir()
    keys = crypto.load_or_create_device(tmp_path / name)
    peer = entries.peer_id_of(keys.sign_pub)
    return keys, entries.MemberRecord("add", peer, keys.sign_pub, keys.box_pub, name)


def run_exchange(tmp_path: Path, offer_code: str, join_code: str):
    old_keys, old = device(tmp_path, "old")
    new_keys, new = device(tmp_path, "new")
    vault = crypto.VaultKeys.generate()
    wire: list[bytes] = []
    results: dict = {}

    async def main() -> None:
        left, right = trio.testing.memory_stream_pair()

        async def offerer() -> None:
            try:
                results["offer"] = await pairing.offer(
                    Pipe(left, wire),
                    offer_code,
                    me=old,
                    my_addrs=["/ip4/1.2.3.4/tcp/1"],
                    remote_peer=new.peer_id,
                    members=[old],
                    vault=vault,
                )
            except Unauthorized as exc:
                results["offer"] = exc
                await left.aclose()

        async def joiner() -> None:
            try:
                results["join"] = await pairing.join(
                    Pipe(right, wire),
                    join_code,
                    me=new,
                    my_addrs=[],
                    remote_peer=old.peer_id,
                    device=new_keys,
                )
            except Exception as exc:
                results["join"] = exc

        async with trio.open_nursery() as nursery:
            nursery.start_soon(offerer)
            nursery.start_soon(joiner)

    trio.run(main)
    return results, vault, b"".join(wire)


def test_right_code_pairs_with_matching_fingerprints_and_the_vault_key_sealed(tmp_path: Path) -> None:
    code = pairing.new_code()
    results, vault, wire = run_exchange(tmp_path, code, code.lower().replace("-", " "))
    assert results["offer"]["fingerprint"] == results["join"]["fingerprint"]
    assert results["join"]["vault"].keys == vault.keys
    assert code.replace("-", "").encode() not in wire.replace(b"-", b"")
    assert vault.keys[vault.current] not in wire


def test_wrong_code_pairs_nothing_on_either_side(tmp_path: Path) -> None:
    results, _, _ = run_exchange(tmp_path, "ABCD-EFGH", "ABCD-EFGJ")
    assert isinstance(results["offer"], Unauthorized)
    assert isinstance(results["join"], Exception)


async def test_codes_expire_work_once_and_burn_after_three_failures(store) -> None:
    expired = await store.write(lambda c: pairing.create_request(c, "offer", "AAAA-BBBB", ttl=-1))
    assert (await store.read(pairing.get_request, expired))["status"] == "expired"
    assert await store.read(pairing.pending_offers) == []
    used = await store.write(lambda c: pairing.create_request(c, "offer", "CCCC-DDDD"))
    await store.write(pairing.finish_request, used, "done", {"peer_id": "x"})
    assert await store.read(pairing.pending_offers) == []
    guessed = await store.write(lambda c: pairing.create_request(c, "offer", "EEEE-FFFF"))
    for _ in range(pairing.MAX_ATTEMPTS - 1):
        await store.write(pairing.count_failure, guessed)
    assert await store.read(pairing.pending_offers) == [(guessed, "EEEE-FFFF")]
    await store.write(pairing.count_failure, guessed)
    assert (await store.read(pairing.get_request, guessed))["status"] == "failed"
    assert await store.read(pairing.pending_offers) == []
