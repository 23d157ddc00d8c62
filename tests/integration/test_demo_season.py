"""``scripts/demo`` (issue 13 §6): one command replays the reference season with the
scripted member of staff and leaves accepted, held and paid rows, a payment file, the
labels and the report, and says where each is — from a fresh copy of the repository,
and again when run a second time.

The copy holds the repository's files as a clone would (``git ls-files``); its venv
borrows this test's installed packages (as tests/integration/test_documented_install.py
does), so the demo runs offline and installs nothing.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def clone(target: Path) -> Path:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    venv = target / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    ours = [p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]
    lines = "".join(f"import site; site.addsitedir({p!r})\n" for p in ours)
    (venv / "lib" / version / "site-packages" / "zz_borrowed.pth").write_text(lines, "utf-8")
    (venv / ".installed").touch()  # the pinned set is there: scripts/demo installs nothing
    return target


def rows(status: Path, tab: str) -> list[dict[str, str]]:
    text = (status / f"{tab}.csv").read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def run_demo(checkout: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("BANSOU_CLIENT_KEY", "PYTHONPATH")}
    return subprocess.run(
        ["bash", str(checkout / "scripts" / "demo")],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return clone(tmp_path_factory.mktemp("fresh-clone"))


def test_the_demo_ends_the_season_with_accepted_held_and_paid_rows_and_every_output(
    checkout: Path,
) -> None:
    result = run_demo(checkout)
    assert result.returncode == 0, result.stderr[-2000:]
    out = checkout / "out" / "demo" / "out"
    applications = rows(out / "status", "申請")
    codes = [r["状態コード"] for r in applications]
    held = [r for r in applications if "payment_held" in r["理由"]]
    assert codes.count("paid") > 100
    assert any(r["状態コード"] == "accepted" and r["支払予定日"] for r in applications)
    assert held and all(r["状態コード"] == "accepted" and not r["支払予定日"] for r in held)
    payments = rows(out / "status", "支払")
    assert {"支払済", "予定", "保留"} <= {r["状態"] for r in payments}
    assert list((out / "payments").glob("zengin_*.txt"))
    assert list((out / "payments").glob("支払_*.csv"))
    assert list((out / "labels").glob("memo-labels-*.pdf"))
    assert (out / "reports" / "report.html").stat().st_size > 0
    assert len(list((out / "outbox").glob("*.eml"))) > 500
    for where in ("status", "outbox", "payments", "labels", "reports/report.html"):
        assert str(out / where) in result.stdout, where
    assert result.stdout.index("振込ファイル") < result.stdout.index("payment files")
    assert "Traceback" not in result.stderr


def test_the_demo_run_a_second_time_starts_afresh_and_ends_the_same(checkout: Path) -> None:
    out = checkout / "out" / "demo" / "out"
    if not (out / "status" / "申請.csv").exists():
        assert run_demo(checkout).returncode == 0
    first = (out / "status" / "申請.csv").read_text(encoding="utf-8-sig")
    mails = len(list((out / "outbox").glob("*.eml")))
    again = run_demo(checkout)
    assert again.returncode == 0, again.stderr[-2000:]
    assert (out / "status" / "申請.csv").read_text(encoding="utf-8-sig") == first
    assert len(list((out / "outbox").glob("*.eml"))) == mails
