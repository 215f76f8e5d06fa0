from __future__ import annotations

import pytest

from vivim.sync import crypto


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id at its interactive cost: the moderate default costs 256 MiB and ~1 s per use."""
    import nacl.pwhash

    monkeypatch.setattr(crypto, "ARGON_OPS", nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE)
    monkeypatch.setattr(crypto, "ARGON_MEM", nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE)
    monkeypatch.delenv("VIVIM_PASSPHRASE", raising=False)
