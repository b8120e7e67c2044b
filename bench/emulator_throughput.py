"""Requests per second of the emulator for a 1K PNG Imagen request, sequential and with 4 concurrent clients.

    .venv/bin/python bench/emulator_throughput.py [--seconds S]

Each scenario runs for S seconds (default 2) after one warm-up request; every request gets a distinct prompt so
nothing is served from a cache (the emulator has none, but the drawing differs per prompt).
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import threading
import time

import httpx
from vertex_image.emulator import Emulator

PATH = "/v1/projects/bench/locations/us-central1/publishers/google/models/imagen-4.0-generate-001:predict"
HEADERS = {"Authorization": "Bearer bench"}


def _body(n: int) -> dict[str, object]:
    return {
        "instances": [{"prompt": f"benchmark image number {n} of a harbour at dawn"}],
        "parameters": {"sampleCount": 1, "aspectRatio": "1:1", "outputOptions": {"mimeType": "image/png"}},
    }


def run(base_url: str, clients: int, seconds: float) -> tuple[int, float, list[float]]:
    """(requests done, elapsed seconds, latencies) with ``clients`` threads for ``seconds``."""
    counter = itertools.count()
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        with httpx.Client(base_url=base_url, timeout=60) as client:
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                response = client.post(PATH, json=_body(next(counter)), headers=HEADERS)
                response.raise_for_status()
                with lock:
                    latencies.append(time.perf_counter() - start)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies), time.perf_counter() - start, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    with Emulator() as em:
        with httpx.Client(base_url=em.base_url, timeout=60) as client:
            client.post(PATH, json=_body(-1), headers=HEADERS).raise_for_status()
        rows = []
        for clients in (1, 4):
            done, elapsed, latencies = run(em.base_url, clients, args.seconds)
            rows.append(
                (clients, done, done / elapsed, statistics.median(latencies) * 1000, max(latencies) * 1000)
            )
    print(f"{'clients':>7} {'requests':>8} {'req/s':>7} {'median ms':>9} {'max ms':>7}")
    for clients, done, rate, median, worst in rows:
        print(f"{clients:>7} {done:>8} {rate:>7.1f} {median:>9.1f} {worst:>7.1f}")
    print("(1K PNG Imagen :predict, sampleCount 1, over loopback HTTP, one emulator process)")


if __name__ == "__main__":
    main()
