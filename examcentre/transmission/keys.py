"""The centre's Ed25519 key pair, kept in the instance folder.

One private key per centre: ``<SIGNING_KEY_DIR or instance/keys>/centre-<id>.ed25519.pem``,
created on first use (or by ``examcentre keys init``) with file mode 0600 in a 0700 folder.
It is never stored in the database and never served; the public key is shown on the outbox
page and exported by ``examcentre keys show`` for the authority to register.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app

from . import signing


def key_dir() -> Path:
    configured = current_app.config.get("SIGNING_KEY_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "keys"


def key_path(centre_id: int) -> Path:
    return key_dir() / f"centre-{centre_id}.ed25519.pem"


def has_key(centre_id: int) -> bool:
    return key_path(centre_id).exists()


def load_or_create(centre_id: int) -> tuple[Ed25519PrivateKey, bool]:
    """The centre's private key, made on first use; (key, created)."""
    path = key_path(centre_id)
    if path.exists():
        return signing.load_private_key(path.read_bytes()), False
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = signing.generate_private_key()
    # O_EXCL: two processes making the key at once cannot both win (the loser reads it).
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return signing.load_private_key(path.read_bytes()), False
    with os.fdopen(fd, "wb") as handle:
        handle.write(signing.private_key_pem(key))
    return key, True


def public_key_pem(centre_id: int) -> str | None:
    """The centre's public key (PEM) if it has a key pair yet."""
    if not has_key(centre_id):
        return None
    key = signing.load_private_key(key_path(centre_id).read_bytes())
    return signing.public_key_pem(key.public_key())


def fingerprint(centre_id: int) -> str | None:
    if not has_key(centre_id):
        return None
    key = signing.load_private_key(key_path(centre_id).read_bytes())
    return signing.fingerprint(key.public_key())
