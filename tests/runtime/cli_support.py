"""The `deliberate` command run in the test's own process, for checks that are decided before any server, database
or subprocess is started (help texts, refused settings, refused input): the same `main` as the installed program,
without the second or so of starting and importing a new Python each time. Tests about the process itself (signals,
locks, embedded servers, exit on kill) keep running the real program."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from unittest import mock

from deliberate.cli import main

# What the program sees in a subprocess with captured output: no terminal, so argparse wraps help at 80 columns.
_PIPE_COLUMNS = {"COLUMNS": "80"}


def run_main(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`deliberate ARGS` with `env` as its whole environment (the current one when None) and `stdin` as standard
    input; its exit status and output, as `subprocess.run(..., capture_output=True, text=True)` gives them."""
    out, err = io.StringIO(), io.StringIO()
    environment = {**(dict(os.environ) if env is None else env), **_PIPE_COLUMNS}
    with (
        mock.patch.dict(os.environ, environment, clear=True),
        mock.patch.object(sys, "stdin", io.StringIO(stdin)),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        try:
            status = main(list(args))
        except SystemExit as exit_:  # argparse: --help, or a usage error
            status = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 2)
    return subprocess.CompletedProcess(["deliberate", *args], status, out.getvalue(), err.getvalue())
