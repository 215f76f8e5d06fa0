"""End-to-end encrypted sync between a person's own devices.

Modules: `schema` (migration 3), `crypto` (keys, the vault, sealed backups), `library` (renames,
tags, pins, deletes in the store),
`entries` (the signed, encrypted, append-only update log), `documents` (pycrdt documents fed
from and applied to the store), `engine` (both of those together, transport-free), `bridge`
(trio guest mode inside asyncio), `node` (py-libp2p transport), `pairing`, `service`.
Nothing here imports libp2p or pycrdt at import time except `node`, `documents`, `pairing`.
"""
