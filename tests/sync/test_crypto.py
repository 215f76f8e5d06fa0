from __future__ import annotations

import stat
from pathlib import Path

import pytest

from vivim.errors import CryptoError
from vivim.sync import crypto
from vivim.sync.entries import peer_id_of


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_device_identity_persists_with_owner_only_key_files(tmp_path: Path) -> None:
    first = crypto.load_or_create_device(tmp_path)
    vault = crypto.load_or_create_vault(tmp_path)
    again = crypto.load_or_create_device(tmp_path)
    assert peer_id_of(first.sign_pub) == peer_id_of(again.sign_pub)
    assert first.box_pub == again.box_pub
    assert crypto.load_or_create_vault(tmp_path).keys == vault.keys
    assert len(vault.keys[vault.current]) == 32
    assert mode(tmp_path / crypto.DEVICE_FILE) == 0o600
    assert mode(tmp_path / crypto.VAULT_FILE) == 0o600


def test_libp2p_peer_id_comes_from_the_device_key(tmp_path: Path) -> None:
    from libp2p.crypto.ed25519 import create_new_key_pair
    from libp2p.peer.id import ID

    device = crypto.load_or_create_device(tmp_path)
    key_pair = create_new_key_pair(device.seed)
    assert ID.from_pubkey(key_pair.public_key).to_base58() == peer_id_of(device.sign_pub)


def test_passphrase_protects_key_files_and_a_wrong_one_is_refused(tmp_path: Path) -> None:
    device = crypto.load_or_create_device(tmp_path)
    vault = crypto.load_or_create_vault(tmp_path)
    crypto.protect_keys(tmp_path, "correct horse")
    assert crypto.is_protected(tmp_path)
    assert b"ed25519_seed" not in (tmp_path / crypto.DEVICE_FILE).read_bytes()
    with pytest.raises(CryptoError):
        crypto.load_or_create_device(tmp_path)
    with pytest.raises(CryptoError):
        crypto.load_or_create_device(tmp_path, "wrong")
    assert crypto.load_or_create_device(tmp_path, "correct horse").seed == device.seed
    assert crypto.load_vault(tmp_path, "correct horse").keys == vault.keys


def test_sealed_vault_key_opens_only_for_its_device(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    alice = crypto.load_or_create_device(tmp_path / "a")
    bob = crypto.load_or_create_device(tmp_path / "b")
    sealed = crypto.seal_to(alice.box_pub, b"k" * 32)
    assert alice.open_sealed(sealed) == b"k" * 32
    with pytest.raises(CryptoError):
        bob.open_sealed(sealed)


@pytest.mark.parametrize("use_passphrase", [False, True])
def test_backup_opens_only_with_its_key_or_passphrase(use_passphrase: bool) -> None:
    vault, other = crypto.VaultKeys.generate(), crypto.VaultKeys.generate()
    secret = "a passphrase" if use_passphrase else None
    blob = crypto.encrypt_backup(b"the whole store", vault=vault, passphrase=secret)
    assert b"the whole store" not in blob
    assert crypto.decrypt_backup(blob, vault=vault, passphrase=secret) == b"the whole store"
    with pytest.raises(CryptoError):
        crypto.decrypt_backup(blob, vault=other, passphrase="not it" if use_passphrase else None)
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(CryptoError):
        crypto.decrypt_backup(tampered, vault=vault, passphrase=secret)
