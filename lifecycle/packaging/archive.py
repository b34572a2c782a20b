"""Sealing a package: the one-time passphrase, the SHA-256 manifest and the AES-256 zip."""

from __future__ import annotations

import hashlib
import io
import json
import secrets
from dataclasses import dataclass
from typing import Any

import pyzipper

# No 0/O, 1/I/L: the passphrase is read aloud or typed from another channel.
PASSPHRASE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # noqa: S105 - an alphabet, not a secret
PASSPHRASE_GROUPS = 6
PASSPHRASE_GROUP_LENGTH = 5
MANIFEST_NAME = "manifest.json"


def passphrase_generate() -> str:
    """Return a new random passphrase (30 characters from 31: about 148 bits)."""
    groups = (
        "".join(secrets.choice(PASSPHRASE_ALPHABET) for _ in range(PASSPHRASE_GROUP_LENGTH))
        for _ in range(PASSPHRASE_GROUPS)
    )
    return "-".join(groups)


def sha256_hex(data: bytes) -> str:
    """Return the SHA-256 of `data` as 64 hex digits."""
    return hashlib.sha256(data).hexdigest()


def manifest_entries(files: dict[str, bytes]) -> list[dict[str, Any]]:
    """Return one {name, sha256, size} entry per file, in name order."""
    return [
        {"name": name, "sha256": sha256_hex(data), "size": len(data)}
        for name, data in sorted(files.items())
    ]


@dataclass(frozen=True)
class SealedArchive:
    archive: bytes
    sha256: str
    manifest: list[dict[str, Any]]


def archive_seal(
    *, files: dict[str, bytes], passphrase: str, header: dict[str, Any]
) -> SealedArchive:
    """Return an AES-256 zip of `files` plus `manifest.json`, encrypted with `passphrase`.

    File names are not encrypted by the zip format: callers name files generically.
    """
    entries = manifest_entries(files)
    manifest = {**header, "algorithm": "sha256", "files": entries}
    manifest_bytes = json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8")
    buffer = io.BytesIO()
    with pyzipper.AESZipFile(
        buffer, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
    ) as archive:
        archive.setpassword(passphrase.encode("utf-8"))
        archive.setencryption(pyzipper.WZ_AES, nbits=256)
        for name, data in sorted(files.items()):
            archive.writestr(name, data)
        archive.writestr(MANIFEST_NAME, manifest_bytes)
    data = buffer.getvalue()
    return SealedArchive(archive=data, sha256=sha256_hex(data), manifest=entries)
