"""Install and run the real Flowise server (npm `flowise`) on loopback, with fresh API keys.

The recipe, every step plain HTTP or npm:

1. `npm install flowise@VERSION --ignore-scripts` into a cache dir (plain `npm install` fails
   offline: faiss-node's install script downloads from github.com), then rebuild `sqlite3`, the
   one native module the server needs, from source (`npm_config_nodedir=/usr`).
2. Start `node node_modules/flowise/bin/run start` on 127.0.0.1 from a fresh data dir, with a
   fixed `FLOWISE_SECRETKEY_OVERWRITE` so `encryptedData` can be decrypted by the harness.
3. `POST /api/v1/account/register` (first account only), `POST /api/v1/auth/login` (JWT cookies),
   then `POST /api/v1/apikey` with `x-request-from: internal` once per key; the answer lists every
   key with its plaintext `apiKey`.

Nothing here is imported by the default test suite.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

__all__ = [
    "FLOWISE_VERSION",
    "KEY_PERMISSIONS",
    "PASSPHRASE",
    "RunningFlowise",
    "default_home",
    "free_port",
    "install",
    "is_installed",
    "start",
]

FLOWISE_VERSION = "3.1.4"
# The encryption passphrase the harness gives the server (test data only, never a real secret).
PASSPHRASE = "contract-test-fixed-key-0123456789"
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "Test-Passw0rd!"  # a throwaway account on a throwaway loopback server

# Role of each minted key -> its permissions on the real server.
KEY_PERMISSIONS: dict[str, list[str]] = {
    "full": [
        "credentials:view",
        "credentials:create",
        "credentials:update",
        "credentials:delete",
        "chatflows:view",
    ],
    "view": ["credentials:view"],
    "nocred": ["chatflows:view"],
    "create": ["credentials:create"],
}


def default_home(version: str = FLOWISE_VERSION) -> Path:
    """Where the npm package is installed: $FLOWISE_HOME or ~/.cache/flowise-VERSION."""
    env = os.environ.get("FLOWISE_HOME")
    return Path(env) if env else Path.home() / ".cache" / f"flowise-{version}"


def is_installed(home: Path) -> bool:
    return (home / "node_modules/flowise/bin/run").exists() and (home / ".sqlite3-built").exists()


def install(home: Path, version: str = FLOWISE_VERSION) -> None:
    """Install flowise@version into `home` (about 3 GB and ten minutes); no-op when present."""
    if is_installed(home):
        return
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "package.json").exists():
        subprocess.run(["npm", "init", "-y"], cwd=home, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(
        ["npm", "install", f"flowise@{version}", "--ignore-scripts", "--no-audit", "--no-fund"],
        cwd=home,
        check=True,
    )
    env = {**os.environ, "npm_config_nodedir": "/usr"}
    subprocess.run(["npm", "rebuild", "sqlite3"], cwd=home, check=True, env=env)
    (home / ".sqlite3-built").touch()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class RunningFlowise:
    """A started server: its URL, process and the plaintext API keys by role."""

    url: str
    process: subprocess.Popen[bytes]
    state_dir: Path
    keys: dict[str, str] = field(default_factory=dict)

    def stop(self) -> None:
        """Stop the server's process group (it was started in a session of its own)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def __enter__(self) -> RunningFlowise:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"flowise exited early ({process.returncode}); log tail:\n{tail}")
        try:
            if httpx.get(f"{url}/api/v1/ping", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise RuntimeError(f"flowise not ready after {timeout:.0f}s; see {log}")


def _mint_keys(url: str) -> dict[str, str]:
    with httpx.Client(base_url=url, timeout=30) as client:
        register = client.post(
            "/api/v1/account/register",
            json={"user": {"name": "Admin", "email": ADMIN_EMAIL, "credential": ADMIN_PASSWORD}},
        )
        if register.status_code >= 400:
            raise RuntimeError(f"register failed: HTTP {register.status_code}")
        login = client.post(
            "/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
        if login.status_code >= 400:
            raise RuntimeError(f"login failed: HTTP {login.status_code}")
        keys: dict[str, str] = {}
        for role, permissions in KEY_PERMISSIONS.items():
            answer = client.post(
                "/api/v1/apikey",
                headers={"x-request-from": "internal"},
                json={"keyName": role, "permissions": permissions},
            )
            answer.raise_for_status()
            minted = [k for k in answer.json() if k.get("keyName") == role]
            if not minted:
                raise RuntimeError(f"key {role!r} missing from the /apikey answer")
            keys[role] = minted[0]["apiKey"]
        return keys


def start(
    home: Path,
    *,
    port: int = 0,
    state_dir: Path | None = None,
    node: str = "node",
    timeout: float = 300,
) -> RunningFlowise:
    """Start Flowise from `home` on 127.0.0.1 with a fresh data dir; bootstrap and mint keys."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    state = state_dir or Path(tempfile.mkdtemp(prefix="flowise-run-"))
    shutil.rmtree(state, ignore_errors=True)
    for sub in ("data", "secret", "logs", "blob"):
        (state / sub).mkdir(parents=True)
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "DATABASE_TYPE": "sqlite",
        "DATABASE_PATH": str(state / "data"),
        "SECRETKEY_PATH": str(state / "secret"),
        "LOG_PATH": str(state / "logs"),
        "BLOB_STORAGE_PATH": str(state / "blob"),
        "FLOWISE_SECRETKEY_OVERWRITE": PASSPHRASE,
        "DISABLE_FLOWISE_TELEMETRY": "true",
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "info"),
    }
    log = state / "server.out"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [node, str(home / "node_modules/flowise/bin/run"), "start"],
            cwd=home,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = RunningFlowise(url=url, process=process, state_dir=state)
    try:
        _wait_ready(url, process, log, timeout)
        running.keys = _mint_keys(url)
    except BaseException:
        running.stop()
        raise
    return running


def main() -> int:
    """Start Flowise and leave it running; print where its URL, PID and keys are (a 0600 file)."""
    home = default_home()
    install(home)
    running = start(home)
    env_file = running.state_dir / "keys.env"
    lines = [f"FLOWISE_PID={running.process.pid}", f"FLOWISE_URL={running.url}"]
    lines += [f"FLOWISE_KEY_{role.upper()}={key}" for role, key in running.keys.items()]
    env_file.touch(mode=0o600)
    env_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"flowise up at {running.url}, pid {running.process.pid}; keys in {env_file}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
