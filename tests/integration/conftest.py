"""pytest fixtures for booting the hypervisor under an emulator.

Each test boots a fresh emulator with a timeout, collects the serial output,
and asserts on it and on the exit status. When a test fails, the whole serial
log of its boot is attached to the failure report (see Boot.__str__ and the
pytest_runtest_makereport hook), so a failing boot always shows what it printed.
"""
import os
import pathlib
import re
import subprocess
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"

ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]")


class Boot:
    """The result of one emulator run."""

    def __init__(self, argv, status, output, elapsed, timed_out):
        self.argv = argv
        self.status = status
        self.output = output
        self.elapsed = elapsed
        self.timed_out = timed_out

    @property
    def lines(self):
        return self.output.splitlines()

    def __str__(self):
        head = f"$ {' '.join(map(str, self.argv))}\nexit status {self.status}"
        if self.timed_out:
            head += " (TIMED OUT)"
        return f"{head}, {self.elapsed:.2f} s\n--- serial log ---\n{self.output}--- end ---"


def run_emulator(argv, timeout, request=None, stdin_data=None):
    """Run argv (an emulator with its serial on stdio) to completion or timeout."""
    start = time.monotonic()
    timed_out = False
    try:
        proc = subprocess.run(argv, input=stdin_data, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout, cwd=ROOT)
        out, status = proc.stdout, proc.returncode
    except subprocess.TimeoutExpired as e:
        out, status, timed_out = e.stdout or b"", None, True
    text = ANSI_RE.sub("", out.decode("utf-8", errors="replace")).replace("\r", "")
    boot = Boot(argv, status, text, time.monotonic() - start, timed_out)
    if request is not None:
        request.node.boot_logs = getattr(request.node, "boot_logs", []) + [boot]
    return boot


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        for boot in getattr(item, "boot_logs", []):
            report.sections.append(("emulator boot", str(boot)))
