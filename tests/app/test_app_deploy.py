"""Serving a class through HAProxy: ``deploy/serve_class.py``, its configuration template and
the container files that share it.

The browser test starts the documented command with two Streamlit processes, opens the
Network page from two browsers without cookies (HAProxy's cookie sends them to different
processes), uploads a network and downloads it again through the balancer (both only work
when every request of a session reaches the process that holds it), kills one Streamlit
process (the command starts it again), then stops the command with Ctrl-C (SIGINT) and
checks that nothing is left running.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from apphelpers import ROOT
from browserhelpers import metric_value, rerun_done, wait_ready

import fpsnn_core as fp

sys.path.insert(0, str(ROOT / "deploy"))
from serve_class import (  # noqa: E402
    COOKIE,
    Backend,
    Deployment,
    free_ports,
    healthy,
    main,
    parse_backends,
    render_config,
    streamlit_command,
)

DEPLOY = ROOT / "deploy"
HAPROXY = "/usr/sbin/haproxy"


def _haproxy() -> str:
    if not os.path.exists(HAPROXY):
        pytest.fail(f"{HAPROXY} is missing: apt-get install -y haproxy")
    return HAPROXY


def _haproxy_check(text: str, tmp_path) -> subprocess.CompletedProcess:
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(text)
    return subprocess.run([_haproxy(), "-c", "-f", str(cfg)], capture_output=True, text=True)


def test_rendered_configuration_is_valid_and_sticky(tmp_path):
    backends = [Backend(f"app{i}", "127.0.0.1", 9000 + i) for i in (1, 2, 3)]
    text = render_config(backends, "127.0.0.1", 8500)
    check = _haproxy_check(text, tmp_path)
    assert check.returncode == 0, check.stderr
    assert "Configuration file is valid" in check.stdout
    assert re.search(r"^\s*bind 127\.0\.0\.1:8500$", text, re.M)
    servers = re.findall(r"^\s*server (\S+) (\S+) cookie (\S+)$", text, re.M)
    assert servers == [
        ("app1", "127.0.0.1:9001", "app1"),
        ("app2", "127.0.0.1:9002", "app2"),
        ("app3", "127.0.0.1:9003", "app3"),
    ]
    assert re.search(rf"^\s*cookie {COOKIE} insert indirect", text, re.M)
    assert re.search(r"^\s*option httpchk GET /_stcore/health$", text, re.M)
    tunnel = re.search(r"^\s*timeout tunnel (\d+)h$", text, re.M)
    assert tunnel and int(tunnel.group(1)) >= 2  # a lecture's websocket stays open
    assert "$" not in text  # every placeholder filled
    assert re.search(r"^\s*bind \[::1\]:8500$", render_config(backends, "::1", 8500), re.M)


def test_bad_arguments_give_one_line_messages(capsys):
    with pytest.raises(ValueError, match="processes must be a positive integer"):
        Deployment(0)
    with pytest.raises(ValueError, match="port 8602 overlaps the backend ports 8601-8602"):
        Deployment(2, port=8602, backend_port=8601)
    with pytest.raises(ValueError, match="port must be a port number"):
        Deployment(1, port=70000)
    with pytest.raises(ValueError, match="not found"):
        Deployment(1, haproxy="no-such-haproxy-here")
    with pytest.raises(ValueError, match="backends must be HOST:PORT"):
        parse_backends("app1")
    assert main(["--render", "--backends", "app1:notaport"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: backends must be HOST:PORT") and err.count("\n") == 1
    assert main(["--processes", "-1"]) == 2
    assert capsys.readouterr().err == "error: processes must be a positive integer, got -1\n"


def test_container_files_match_the_script(tmp_path):
    """The compose file's app services, the balancer's BACKENDS and the Streamlit command of
    the image agree with ``serve_class.py``; the rendered balancer configuration is valid."""
    compose = (DEPLOY / "compose.yaml").read_text()
    apps = re.findall(r"^  (app\d+): \*app$", compose, re.M)
    backends = re.search(r"^\s+BACKENDS: (\S+)$", compose, re.M).group(1)
    assert apps == ["app1", "app2"]
    assert parse_backends(backends) == [Backend(a, a, 8501) for a in apps]
    for a in apps:
        assert re.search(rf"^\s+{a}: {{condition: service_healthy}}$", compose, re.M), a
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", dockerfile, re.M).group(1))
    script = streamlit_command(Backend("app1", "0.0.0.0", 8501))
    assert cmd[:5] == ["python", "-m", "streamlit", "run", "app.py"]
    assert script[1:4] == cmd[1:4] and script[4] == str(ROOT / "app.py")
    assert cmd[5:] == script[5:]
    assert "ARG BACKENDS=app1:8501,app2:8501" in dockerfile
    assert "--render --backends \"$BACKENDS\" --address '*'" in dockerfile
    text = render_config(parse_backends(backends), "*", 8501)
    check = _haproxy_check(text, tmp_path)  # app1, app2 resolve only inside compose
    assert check.returncode == 0, check.stderr
    assert "could not resolve address 'app1'" in check.stderr


def _serve(first: int, log) -> subprocess.Popen:
    """The documented command, two processes, on ``first`` (HAProxy) and the next ports."""
    with log.open("w") as out:
        return subprocess.Popen(
            [
                sys.executable,
                str(DEPLOY / "serve_class.py"),
                "--processes",
                "2",
                "--port",
                str(first),
                "--backend-port",
                str(first + 1),
                "--address",
                "127.0.0.1",
                "--log-dir",
                str(log.parent / "logs"),
            ],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _wait_serving(proc: subprocess.Popen, log, timeout: float = 120.0) -> dict[str, int]:
    """The Streamlit pids by name, once the command says it is serving."""
    deadline = time.monotonic() + timeout
    while "serving the app on" not in log.read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"serve_class.py did not start: {log.read_text()}")
        time.sleep(0.2)
    return {m[0]: int(m[1]) for m in re.findall(r"(app\d): pid (\d+)", log.read_text())}


def _wait_restarted(log, name: str, timeout: float = 30.0) -> int:
    """The new pid of process ``name`` once the command has started it again."""
    deadline = time.monotonic() + timeout
    while not (
        m := re.search(
            rf"{name} \(port \d+\) exited with -9; started again as "
            r"pid (\d+)",
            log.read_text(),
        )
    ):
        if time.monotonic() > deadline:
            pytest.fail(f"{name} was not started again: {log.read_text()}")
        time.sleep(0.2)
    return int(m.group(1))


def _wait_healthy(url: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not healthy(url):
        if time.monotonic() > deadline:
            pytest.fail(f"{url} did not answer its health check within {timeout:.0f} s")
        time.sleep(0.3)


def _backend(context) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == COOKIE)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_class_behind_haproxy_in_the_browser(browser, browser_context_args, tmp_path):
    _haproxy()
    first = free_ports(3)
    url = f"http://127.0.0.1:{first}"
    log = tmp_path / "serve.log"
    proc = _serve(first, log)
    contexts = []
    try:
        pids = _wait_serving(proc, log)
        assert sorted(pids) == ["app1", "app2"]
        pages = []
        for _ in range(2):  # two browsers without cookies, one after the other
            contexts.append(browser.new_context(**browser_context_args))
            pages.append(contexts[-1].new_page())
            pages[-1].goto(f"{url}/network")
            wait_ready(pages[-1])
        # the second went to the other process: the first one's websocket is still open
        assert sorted(_backend(c) for c in contexts) == ["app1", "app2"]

        page = pages[1]
        net = fp.Network([[6.0, 0.0], [0.0, 3.0], [0.0, 0.0]], 1, 0.5, 1.0, 1.0)
        path = tmp_path / "pair.json"
        path.write_text(fp.to_json(net, [[0.2, 0.9]], 3.0))
        page.get_by_text("Load / save network").click()
        page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(path))
        rerun_done(page)
        page.wait_for_url("**motif=Uploaded*")
        wait_ready(page)
        assert page.get_by_test_id("stException").count() == 0
        assert "motif=Uploaded%3A+pair.json" in page.url
        n_spikes = fp.simulate(net, [[0.2, 0.9]], 3.0).n_spikes
        assert int(metric_value(page, "Spikes")) == n_spikes > 0

        button = page.get_by_test_id("stDownloadButton").filter(
            has_text="Download this network (JSON)"
        )
        if not button.is_visible():  # the expander folded on the rerun
            page.get_by_text("Load / save network").click()
        with page.expect_download() as info:
            button.click()
        downloaded = fp.from_json(Path(info.value.path()).read_text())
        assert downloaded.network.weights.tolist() == net.weights.tolist()
        assert [list(t) for t in downloaded.inputs] == [[0.2, 0.9]]
        # the other browser's session still answers
        assert pages[0].get_by_test_id("stException").count() == 0
        assert int(metric_value(pages[0], "Spikes")) > 0

        os.kill(pids["app1"], signal.SIGKILL)  # a crashed process is started again
        pids["app1"] = _wait_restarted(log, "app1")
        _wait_healthy(f"http://127.0.0.1:{first + 1}")
    finally:
        for c in contexts:
            c.close()
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        try:
            rc = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise
    assert rc == 0, log.read_text()
    assert "SIGINT: stopping" in log.read_text()
    assert not [name for name, pid in pids.items() if _alive(pid)]
    assert not healthy(url)  # HAProxy is gone too


def test_server_skips_the_full_collection_after_each_rerun():
    """``.streamlit/config.toml`` turns off Streamlit's ``gc.collect(2)`` after every script
    run (40 % of a loaded server's CPU) and keeps a closed session 30 s, not 120 (what a
    closed tab holds is freed sooner); a misspelt option would be ignored silently, so the
    option is read back through Streamlit's own configuration loader in a fresh process
    started in the repository, as ``streamlit run`` would be."""
    code = (
        "from streamlit import config; config.get_config_options(force_reparse=True); "
        "print(config.get_option('runner.postScriptGC'), "
        "config.get_option('client.toolbarMode'), "
        "config.get_option('server.disconnectedSessionTTL'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "HOME": str(ROOT)},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "minimal", "30"]
