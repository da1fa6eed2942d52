#!/usr/bin/env python3
"""Cold start: time from exec of the release binary to the first 200 on /health.

Usage: bench/coldstart.py BINARY [RUNS]   (environment is passed through; set DATABASE_URL so the
embedded cluster is not started: the pool is lazy, so no connection is made before the first 200).
Polls the port with raw sockets every 0.2 ms, so the measurement is not dominated by the poller.
"""
import os, socket, statistics, subprocess, sys, time

def first_200(port, deadline):
    req = b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    while time.perf_counter() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(req)
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return True
        except OSError:
            time.sleep(0.0002)
    return False

def main():
    binary, runs = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 20
    port = 18099
    env = dict(os.environ, BIND=f"127.0.0.1:{port}", RUST_LOG="warn")
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ok = first_200(port, t0 + 10)
        samples.append((time.perf_counter() - t0) * 1000)
        p.terminate(); p.wait()
        if not ok:
            sys.exit("server never answered 200 on /health")
    samples.sort()
    print(f"cold start over {runs} runs: median {statistics.median(samples):.1f} ms, "
          f"min {samples[0]:.1f} ms, max {samples[-1]:.1f} ms")

if __name__ == "__main__":
    main()
