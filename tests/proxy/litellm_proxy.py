"""A LiteLLM proxy on 127.0.0.1 in front of the scripted gateway, for tests/proxy.

`LiteLLMProxy(upstream_url, deployments).start()` writes a proxy config (each `Deployment`
a model group the proxy serves, all pointing at `upstream_url`), runs `litellm --config ...`
from the running interpreter's venv (`make test-proxy` makes .venv-proxy for it), waits for
it to answer (a bounded poll), and `stop()` ends it. Its output goes to a log file whose tail
the failure messages quote (`log_tail()`).

No network: the proxy reads LiteLLM's bundled tables (model costs, Anthropic beta headers,
policy templates, autorouter presets, blog posts) instead of fetching them, its telemetry is
vetoed (`LITELLM_TELEMETRY_DISABLED`), and it gets a clean environment (no inherited keys,
base URLs or database) whose HTTP(S)_PROXY is `OutboundTrap`, a loopback listener that
records and refuses anything the proxy tries to reach outside 127.0.0.1 (`NO_PROXY` lets the
calls to the upstream through): a test can assert that nothing tried.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["MASTER_KEY", "UPSTREAM_KEY", "Deployment", "LiteLLMProxy", "OutboundTrap"]

LOOPBACK = "127.0.0.1"
# The proxy's own key (LiteLLM wants master keys to start with "sk-"): what our clients send.
MASTER_KEY = "sk-proxy-master-key-0000000000"
# The key the proxy sends upstream (the scripted gateway checks it).
UPSTREAM_KEY = "sk-upstream-wholesale-key-00000"
# Startup imports the whole proxy (about 25 s on 2 idle cores, more on a busy machine).
START_TIMEOUT = 180.0

# LiteLLM's switches for its bundled copies instead of a fetch from the internet.
_OFFLINE = {
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS": "True",
    "LITELLM_LOCAL_POLICY_TEMPLATES": "True",
    "LITELLM_LOCAL_AUTOROUTER_PRESETS": "True",
    "LITELLM_LOCAL_BLOG_POSTS": "True",
    "LITELLM_TELEMETRY_DISABLED": "true",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "PYTHONUNBUFFERED": "1",
}
# Readiness polls go straight to 127.0.0.1, whatever proxy our own environment names.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))
# All the subprocess inherits from ours.
_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ")


@dataclass(frozen=True)
class Deployment:
    """One model group of the proxy: clients ask for `name`, the proxy calls the upstream
    with LiteLLM model `model` ("openai/<id>": the OpenAI provider, `<id>` sent upstream)."""

    name: str
    model: str
    api_key: str = UPSTREAM_KEY
    # More litellm_params (drop_params, allowed_openai_params, num_retries, ...).
    params: Mapping[str, Any] = field(default_factory=dict)


class OutboundTrap:
    """A loopback listener standing in for an HTTP proxy: records the first line of each
    connection (`CONNECT host:443 ...` or `GET http://...`) and closes it."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self._socket = socket.create_server((LOOPBACK, 0))
        self._socket.settimeout(0.2)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="outbound-trap", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self._socket.getsockname()[1]}"

    def start(self) -> OutboundTrap:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        self._socket.close()

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self._socket.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                conn.settimeout(2)
                with contextlib.suppress(OSError):
                    line = conn.recv(1024).split(b"\r\n", 1)[0]
                    self.hits.append(line.decode("latin-1"))
                    conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def _litellm_command() -> list[str]:
    """The `litellm` script of the running interpreter's venv (never one found elsewhere)."""
    script = Path(sys.executable).parent / "litellm"
    if not script.exists():
        found = shutil.which("litellm")
        raise RuntimeError(
            f"no litellm script beside {sys.executable} (found elsewhere: {found}); "
            "run the proxy suite with `make test-proxy`"
        )
    return [str(script)]


class LiteLLMProxy:
    """The proxy process: `start()`, `url`, `stop()`, `log_tail()`."""

    def __init__(
        self,
        upstream_url: str,
        deployments: Sequence[Deployment],
        workdir: Path,
        *,
        trap: OutboundTrap | None = None,
    ) -> None:
        self.upstream_url = upstream_url
        self.deployments = tuple(deployments)
        self.workdir = workdir
        self.trap = trap
        self.port = 0
        self.config_path = workdir / "litellm-config.yaml"
        self.log_path = workdir / "litellm-proxy.log"
        self.startup_seconds = 0.0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The proxy's root; clients take `url + "/v1"` as base URL."""
        return f"http://{LOOPBACK}:{self.port}"

    def config(self) -> dict[str, Any]:
        """The proxy config (YAML is a superset of JSON: written as JSON)."""
        model_list = [
            {
                "model_name": d.name,
                "litellm_params": {
                    "model": d.model,
                    "api_base": self.upstream_url,
                    "api_key": d.api_key,
                    **d.params,
                },
            }
            for d in self.deployments
        ]
        return {"model_list": model_list, "general_settings": {"master_key": MASTER_KEY}}

    def environment(self) -> dict[str, str]:
        env = {name: os.environ[name] for name in _INHERITED if name in os.environ}
        env.update(_OFFLINE)
        if self.trap is not None:
            for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
                env[name] = env[name.lower()] = self.trap.url
        env["NO_PROXY"] = env["no_proxy"] = f"{LOOPBACK},localhost"
        return env

    def start(self) -> LiteLLMProxy:
        self.config_path.write_text(json.dumps(self.config(), indent=2))
        self.port = _free_port()
        command = [
            *_litellm_command(),
            "--config",
            str(self.config_path),
            "--host",
            LOOPBACK,
            "--port",
            str(self.port),
        ]
        started = time.monotonic()
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                command,
                cwd=self.workdir,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() ends its children too
            )
        try:
            self._wait_ready(started)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started
        return self

    def _wait_ready(self, started: float) -> None:
        process = self._process
        assert process is not None
        while time.monotonic() - started < START_TIMEOUT:
            if process.poll() is not None:
                raise RuntimeError(
                    f"the LiteLLM proxy exited with {process.returncode} before answering:\n"
                    + self.log_tail()
                )
            # URLError and HTTPError are OSErrors: not up yet.
            with (
                contextlib.suppress(OSError),
                _DIRECT.open(f"{self.url}/health/liveliness", timeout=2) as answer,
            ):
                if answer.status == 200:
                    return
            time.sleep(0.25)
        raise RuntimeError(
            f"the LiteLLM proxy did not answer within {START_TIMEOUT:.0f} s:\n" + self.log_tail()
        )

    def stop(self) -> None:
        """SIGTERM to its process group, SIGKILL after 15 s; safe to call twice."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)

    def log_tail(self, lines: int = 60) -> str:
        """The last lines of the proxy's output."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no proxy log)"
        return "\n".join(text.splitlines()[-lines:])
