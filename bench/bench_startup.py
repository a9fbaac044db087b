"""Start-up and reset times of the default data set.

- start-up: `mockpace serve --db :memory:` launched as a process, until `/_mockpace/health`
  answers 200; baseline: the same for a bare uvicorn app answering one route (the floor of
  starting a Python web server);
- reset: `POST /_mockpace/reset` on the default data set, against `GET /_mockpace/health` (an
  endpoint doing one small query) in the same run.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx

from mockpace.testing.plugin import free_port


def time_until_healthy(cmd: list[str], url: str) -> tuple[float, subprocess.Popen[bytes]]:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        try:
            if httpx.get(url, timeout=0.5).status_code == 200:
                return time.perf_counter() - start, proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"{cmd} exited with {proc.returncode}")
        time.sleep(0.02)


def startup(runs: int = 3) -> tuple[float, float]:
    bare = Path(tempfile.mkdtemp()) / "bare_app.py"
    bare.write_text(textwrap.dedent("""
        from fastapi import FastAPI
        app = FastAPI()
        @app.get("/_mockpace/health")
        def health():
            return {"status": "ok"}
    """))
    ours, floor = [], []
    for _ in range(runs):
        port = free_port()
        took, proc = time_until_healthy(
            [sys.executable, "-m", "mockpace", "serve", "--db", ":memory:", "--port", str(port),
             "--anchor-date", "2026-11-02"],
            f"http://127.0.0.1:{port}/_mockpace/health")
        ours.append(took)
        proc.terminate()
        proc.wait()
        port = free_port()
        took, proc = time_until_healthy(
            [sys.executable, "-m", "uvicorn", "--app-dir", str(bare.parent), "bare_app:app",
             "--port", str(port), "--log-level", "warning"],
            f"http://127.0.0.1:{port}/_mockpace/health")
        floor.append(took)
        proc.terminate()
        proc.wait()
    return statistics.median(ours), statistics.median(floor)


def reset_times(runs: int = 20) -> tuple[float, float, float]:
    port = free_port()
    _, proc = time_until_healthy(
        [sys.executable, "-m", "mockpace", "serve", "--db", ":memory:", "--port", str(port),
         "--anchor-date", "2026-11-02"], f"http://127.0.0.1:{port}/_mockpace/health")
    try:
        base = f"http://127.0.0.1:{port}/_mockpace"
        # a bodiless admin POST carries an X-Mockpace-* header (the admin plane's CSRF guard)
        with httpx.Client(headers={"X-Mockpace-Request": "bench"}) as client:
            server_ms, wall, health = [], [], []
            for _ in range(runs):
                start = time.perf_counter()
                body = client.post(base + "/reset").json()
                wall.append((time.perf_counter() - start) * 1000)
                server_ms.append(body["ms"])
                start = time.perf_counter()
                client.get(base + "/health")
                health.append((time.perf_counter() - start) * 1000)
        return statistics.median(server_ms), statistics.median(wall), statistics.median(health)
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    ours, floor = startup()
    print("| measure | mockpace | baseline | ratio |")
    print("|---|---|---|---|")
    print(f"| start-up to first 200 on health (default data set) | {ours:.2f} s "
          f"| {floor:.2f} s (bare uvicorn app) | {ours / floor:.1f}x |")
    server_ms, wall, health = reset_times()
    print(f"| reset of the default data set, over HTTP | {wall:.1f} ms (restore {server_ms:.1f} ms)"
          f" | {health:.1f} ms (GET health) | {wall / health:.1f}x |")


if __name__ == "__main__":
    main()
