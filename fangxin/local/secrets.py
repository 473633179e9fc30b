"""Secrets for a local run (never committed): the event-store key and the units' tokens.

Made once per state directory, with file mode 600, and handed to the services as environment.
Production deployments bring their own through their secret store instead.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from pathlib import Path

from eventsourcing.cryptography import AESCipher

LOCAL_UNITS = {  # unit id -> role, for trying the APIs locally
    "district-food-safety-office": "office",
    "market-regulation": "unit",
    "education-sports": "unit",
    "agriculture-rural": "unit",
    "health": "unit",
    "township:北郊乡": "unit",
    "auditor": "auditor",
}


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(text, encoding="utf-8")


def ensure_local_secrets(state_dir: Path) -> dict[str, str]:
    """The environment that points the services at this state directory's secrets."""
    folder = state_dir / "secrets"
    key_file, units_file, tokens_file = (folder / "cipher.key", folder / "units.json",
                                         folder / "tokens.json")
    if not key_file.exists():
        _write_private(key_file, AESCipher.create_key(32))
    if not units_file.exists() or not tokens_file.exists():
        tokens = {unit: secrets.token_urlsafe(24) for unit in LOCAL_UNITS}
        callers = [{"unit": unit, "role": role,
                    "token_sha256": hashlib.sha256(tokens[unit].encode()).hexdigest()}
                   for unit, role in LOCAL_UNITS.items()]
        _write_private(units_file, json.dumps({"version": 1, "callers": callers},
                                              ensure_ascii=False, indent=1))
        _write_private(tokens_file, json.dumps(tokens, ensure_ascii=False, indent=1))
    return {"FANGXIN_CIPHER_KEY": key_file.read_text(encoding="utf-8").strip(),
            "FANGXIN_UNITS_FILE": str(units_file)}


def local_tokens(state_dir: Path) -> dict[str, str]:
    data: dict[str, str] = json.loads((state_dir / "secrets" / "tokens.json").read_text("utf-8"))
    return data
