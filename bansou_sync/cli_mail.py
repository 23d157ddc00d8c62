"""``bansou-sync release-surge``: let the volunteer mail held by the surge guard go.

The same as ticking 一斉送信を許可 in the 同期 tab (``app.surge``), for staff who would
rather type a command. Registered by ``cli.build_parser``; errors are turned into
messages by ``cli.main``. Only counts are printed.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bansou_sync.errors import ConfigError


def add_parser(sub: Any, with_config: Callable[[argparse.ArgumentParser], None]) -> None:
    release = sub.add_parser(
        "release-surge",
        help="保留中の伴走者あてメールを送る / send the mail held after a surge",
        description="新規回答が intake.surge_limit を超えた同期で保留した伴走者あてメールの送信を"
        "許可します。次の同期から古い順に(送信上限の範囲で)送ります。同期タブの「一斉送信を許可」"
        "と同じです。 Releases the volunteer mail held after a surge of responses; the next"
        " cycles send it in order, within the daily limits.",
    )
    with_config(release)


def cmd_release_surge(args: argparse.Namespace) -> int:
    from rich.console import Console

    from bansou_sync.adapters.ledger import Ledger
    from bansou_sync.config import load_config

    console = Console(stderr=False, highlight=False, soft_wrap=True)
    settings = load_config(args.config)
    ledger_path = Path(settings.state.path)
    if not ledger_path.exists():
        raise ConfigError(
            f"state.path: 台帳 {ledger_path} がまだありません。先に once を実行してください"
            " / no ledger yet: run `once` first"
        )
    # no service lock: the service is running when staff release, and one UPDATE in
    # SQLite's own write lock is safe beside it (its next cycle sees the mail pending)
    with Ledger.open(ledger_path) as ledger:
        released = ledger.release_held()
    if released:
        console.print(
            f"保留していたメール {released} 通の送信を許可しました。次の同期から順に送ります"
            f" / {released} held emails released; the next cycles send them in order"
        )
    else:
        console.print("保留中のメールはありません / no mail is held")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {"release-surge": cmd_release_surge}
