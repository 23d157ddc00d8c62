"""``python -m bansou_sync.cli ARGS`` run inside the test process, for the end-to-end
tests that check what a command does, not the process it runs in.

A fresh interpreter costs about 1.5 s of CPU per command (importing pandas, the Google
clients, pydantic, matplotlib); the end-to-end tests run hundreds of commands, so most
of them call :func:`run_cli` instead: the same ``main``, the same argument parsing, exit
code, standard output and standard error (including the traceback an uncaught
exception would print), the given working folder and environment — and afterwards the
test process's own working folder, environment, logging set-up and garbage collector as
they were. What only a real process shows (``-m`` start-up, signals, ``os._exit`` at a
crash point, the service loop) stays in a subprocess: :func:`run_cli` starts one itself
when a crash point is armed, and the tests of the process boundary call
:func:`run_cli_process` (the kill harness, ``test_cli_service``, ``test_log_privacy``,
the set-up commands' first-run tests).
"""

from __future__ import annotations

import contextlib
import gc
import io
import logging
import os
import subprocess
import sys
import traceback
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

# the variables a crash point reads (bansou_sync.app.crashpoints): os._exit would end
# the test process itself, so a command with one armed runs in a subprocess
_PROCESS_ONLY_ENV = ("BANSOU_CRASH_AT", "BANSOU_SLOW_AT")
_PROCESS_ONLY_COMMANDS = ("serve",)


def run_cli_process(
    args: Sequence[str], *, cwd: Path | None = None, env: Mapping[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """The command in a new interpreter, as cron or systemd start it."""
    return subprocess.run(
        [sys.executable, "-m", "bansou_sync.cli", *args],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_cli(
    args: Sequence[str], *, cwd: Path | None = None, env: Mapping[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """The command's result as :func:`run_cli_process` gives it, run in this process."""
    if any(env.get(name) for name in _PROCESS_ONLY_ENV) or (
        args and args[0] in _PROCESS_ONLY_COMMANDS
    ):
        return run_cli_process(args, cwd=cwd, env=env, timeout=timeout)
    from bansou_sync.cli import main

    out, err = io.StringIO(), io.StringIO()
    with _isolated(cwd, env), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse (usage, --version) and sys.exit in a command
            code = _exit_code(exc, err)
        except BaseException:  # what the interpreter prints for an uncaught exception
            err.write(traceback.format_exc())
            code = 1
    return subprocess.CompletedProcess(
        [sys.executable, "-m", "bansou_sync.cli", *args], code, out.getvalue(), err.getvalue()
    )


def _exit_code(exc: SystemExit, err: io.StringIO) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    err.write(f"{exc.code}\n")
    return 1


@contextlib.contextmanager
def _isolated(cwd: Path | None, env: Mapping[str, str]) -> Iterator[None]:
    """``cwd`` and ``env`` for the command; the process as it was afterwards."""
    folder = os.getcwd()
    environ = dict(os.environ)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    loggers = {
        name: logging.getLogger(name).level
        for name in list(logging.root.manager.loggerDict)
        if isinstance(logging.root.manager.loggerDict[name], logging.Logger)
    }
    os.environ.clear()
    os.environ.update(env)
    if cwd is not None:
        os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(folder)
        os.environ.clear()
        os.environ.update(environ)
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
                handler.close()
        for handler in handlers:
            if handler not in root.handlers:
                root.addHandler(handler)
        root.setLevel(level)
        for name, was in loggers.items():
            logging.getLogger(name).setLevel(was)
        # a cycle takes what survived it out of the collector's passes (app/quiet.py);
        # that is the command's process's business, not the test runner's
        gc.unfreeze()
