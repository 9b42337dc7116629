"""Keys that must survive restarts on a single machine.

When no key is given in the environment, one is generated once and kept in the data folder,
so `make run` works on a fresh machine and encrypted ID numbers stay readable after a restart.
Back this folder up with the database: without the field key the ID numbers cannot be read.
"""

import base64
import os
from pathlib import Path


def persistent_key(path: Path, nbytes: int = 32) -> str:
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = base64.urlsafe_b64encode(os.urandom(nbytes)).decode()
    # O_EXCL: two processes starting at once must not write two different keys.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key
