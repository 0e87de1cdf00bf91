#!/usr/bin/env python3
"""Process spawn to first response of `motu serve`, many times over.

Started by benches/spawn.sh. Spawns `motu serve` on a Worker file (pinned to
core 0, exactly as compare.py spawns it for its table) and measures the time
to the first 200 answer to GET /, RUNS times per engine, then prints the
median, p90, p99 and minimum in milliseconds. Given several binaries
(`--motu A --motu B`), the runs are interleaved (A, B, A, B, ...) so that
noise from other work on the machine falls on all of them alike: this is
how to compare a change against the binary before it.
"""

import argparse
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402  (the spawn and polling code are shared)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--motu", action="append", required=True, help="a motu binary (repeat to compare)")
    p.add_argument("--engines", default="quickjs,v8")
    p.add_argument("--workload", default="hello", help="a Worker of --workers, without .js")
    p.add_argument("--workers", required=True, help="the folder of the Worker files")
    p.add_argument("--runs", type=int, default=50)
    opts = p.parse_args()

    engines = [e for e in opts.engines.split(",") if e]
    times = {(b, e): [] for b in opts.motu for e in engines}
    with tempfile.TemporaryDirectory(prefix="motu-spawn-") as tmp:
        for i in range(opts.runs):
            for engine in engines:
                for binary in opts.motu:
                    opts_one = argparse.Namespace(motu=binary, workers=os.path.abspath(opts.workers))
                    proc, _, ms = compare.start_server(f"motu-{engine}", opts.workload, tmp, opts_one)
                    compare.stop(proc)
                    times[(binary, engine)].append(ms)
            print(f"\rrun {i + 1}/{opts.runs}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)

    print(f"spawn -> first 200 to GET / ({opts.workload}, {opts.runs} runs each, ms)")
    print(f"{'binary':<40} {'engine':<8} {'median':>8} {'p90':>8} {'p99':>8} {'min':>8}")
    for (binary, engine), values in times.items():
        values.sort()
        print(
            f"{binary[-40:]:<40} {engine:<8} {compare.median(values):8.2f} "
            f"{compare.nearest_rank(values, 90):8.2f} {compare.nearest_rank(values, 99):8.2f} {values[0]:8.2f}"
        )


if __name__ == "__main__":
    main()
