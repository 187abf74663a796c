"""``dtsim serve``: it serves the page and the API on the address it prints, and refuses in one
line what it cannot do (no web extra, a busy port, an unknown host)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request

import pytest

from dtsim.web.server import listen


def dtsim(*args: str, prelude: str = "") -> list[str]:
    code = f"{prelude}\nfrom dtsim.cli import main\nmain({list(args)!r})\n"
    return [sys.executable, "-c", code]


def test_serve_answers_on_the_printed_address_and_stops_on_ctrl_c() -> None:
    with subprocess.Popen(
        dtsim("serve", "--port", "0"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line.startswith("dtsim serving http://127.0.0.1:"), line
            url = line.split()[2]
            with urllib.request.urlopen(url + "api/schema", timeout=30) as response:
                assert any(field["path"] == "nodes" for field in json.load(response))
            with urllib.request.urlopen(url, timeout=30) as response:
                assert b"<title>dtsim" in response.read()
        finally:
            proc.send_signal(signal.SIGINT)
            _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr  # the status of a run stopped by Ctrl-C
    assert "Traceback" not in stderr


def test_serve_without_the_web_extra_is_one_line() -> None:
    out = subprocess.run(
        dtsim("serve", prelude="import sys; sys.modules['fastapi'] = None"), capture_output=True, text=True
    )
    assert out.returncode == 2
    assert out.stderr == "error: dtsim serve needs the web extra (fastapi is missing): pip install 'dtsim[web]'\n"


def test_serve_on_a_busy_port_is_one_line() -> None:
    sock = listen("127.0.0.1", 0)
    port = sock.getsockname()[1]
    try:
        out = subprocess.run(dtsim("serve", "--port", str(port)), capture_output=True, text=True, timeout=60)
    finally:
        sock.close()
    assert out.returncode == 2
    assert out.stderr.startswith(f"error: --port = {port}: cannot listen on 127.0.0.1:{port} (")
    assert out.stderr.count("\n") == 1


@pytest.mark.parametrize("host", ["no-such-host.invalid"])
def test_serve_on_an_unknown_host_is_one_line(host: str) -> None:
    out = subprocess.run(dtsim("serve", "--host", host), capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert out.stderr.startswith(f"error: --host = '{host}': not an address this machine can listen on")
    assert out.stderr.count("\n") == 1
