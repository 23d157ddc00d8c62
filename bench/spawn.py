"""Run a command as a new process and read its own CPU time and peak RSS from the kernel.

A process started straight from the benchmark (``fork``/``vfork`` then ``exec``) is
charged, in its peak RSS, the benchmark's own resident memory at the moment it started:
Linux carries the old address space's high-water mark into ``ru_maxrss`` across
``exec``. The benchmark holds the generated history (hundreds of MB at 30k), so the
figure was the benchmark's, not bansou-sync's. The command is therefore started by a
small launcher (a bare interpreter: ``-S``, nothing imported but ``os``), whose own
figure is the inflated one and is never read; the command's is reported through a pipe.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_LAUNCHER = """
import json, os, sys
# the command's output goes where its errors go (the log); the pipe carries the figures
pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ,
                     file_actions=[(os.POSIX_SPAWN_DUP2, 2, 1)])
_, status, usage = os.wait4(pid, 0)
print(json.dumps([os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime,
                  usage.ru_maxrss]))
"""


def run_measured(
    command: list[str], cwd: Path, env: dict[str, str], log: Path
) -> tuple[int, float, float]:
    """``command``'s exit code, CPU seconds (user + system) and peak RSS in MB; its
    output and errors appended to ``log``."""
    with log.open("ab") as err:
        done = subprocess.run(
            [sys.executable, "-S", "-c", _LAUNCHER, *command],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=err,
            check=False,
        )
    code, cpu, maxrss_kb = json.loads(done.stdout)
    return code, cpu, maxrss_kb / 1024
