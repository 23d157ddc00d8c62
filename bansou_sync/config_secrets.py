"""Secrets the configuration points at (the client key, the SMTP password): read from
their files when needed, never stored on the settings model, and a warning when a
secret file is readable by others."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from bansou_sync import config_errors as check
from bansou_sync.errors import ConfigError


def readable_by_others(path: Path, key: str) -> list[str]:
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        return []  # a missing file is reported where it is read
    if not mode & 0o077:
        return []
    ja = f"他のユーザーも読める権限です (chmod 600 {path} を実行してください)"
    en = f"the file has mode {mode:o}; run chmod 600 {path}"
    return [check.line(key, ja, en)]


def problem(key: str, ja: str, en: str) -> ConfigError:
    return ConfigError(check.line(key, ja, en))


def read_secret(path: Path, key: str, create: bool) -> str:
    if create and not path.exists():
        try:
            if not path.parent.is_dir():
                path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd: int | None = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            if not (isinstance(exc, FileExistsError) and path.is_file()):
                raise problem(
                    key,
                    f"鍵ファイルを作れません ({exc.strerror})。このユーザーが書き込めるフォルダを"
                    "指定するか、フォルダを作って所有者を直してください",
                    f"cannot create {path} ({exc.strerror}): point it at a folder this user "
                    "can write, or create the folder and chown it to this user",
                ) from exc
            fd = None  # another process won the race: use its key
        if fd is not None:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(secrets.token_hex(32) + "\n")
    try:
        return path.read_text(encoding="utf-8").strip()
    except PermissionError as exc:
        raise problem(
            key,
            f"ファイルはありますが、このユーザーには読めません。chown と chmod 600 {path} で"
            "読めるようにしてください",
            f"{path} exists but this user cannot read it: chown it to this user and "
            f"chmod 600 {path}",
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise problem(key, "ファイルを読めません", f"cannot read {path} ({exc})") from exc
