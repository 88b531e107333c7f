"""Start-up time and resident memory of the real bot, with its seven languages.

Run by hand, never in tests: `.venv/bin/python bench/bench_memory.py` (a few minutes). Each round
starts `optout-bot run --only telegram` (see bench_telegram_load.py) twice with a cache dir of its
own: first empty (a cold start: the region index and the word lists are built), then with what
that start left there (a warm start). For each start it measures the seconds from launch until
/readyz answers 200, the resident memory (VmRSS) one second after that, idle, and its peak under
the load of bench_telegram_load.py (1,000 questions from 100 chats at 20 a second), sampled every
20 ms. `--baseline DIR` measures the checkout in DIR too, in the same rounds (for instance
`git archive main | tar -x -C /tmp/base`), so that figures on a shared machine are compared with
a baseline measured alongside them. Targets (issue 15): at most 450 MiB idle and 550 MiB at peak;
the Kubernetes memory limit in deploy/ at least 1.3 times the peak.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_telegram_load import Round, ServerThread, questions, run_round  # noqa: E402

IDLE_TARGET = 450
PEAK_TARGET = 550


def spread(values: list[float]) -> str:
    return f"{min(values):.1f} / {statistics.median(values):.1f} / {max(values):.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--chats", type=int, default=100)
    parser.add_argument("--limit", type=int, default=30)
    parser.add_argument("--idle", type=float, default=1.0)
    parser.add_argument("--baseline", type=Path, help="another checkout, measured alongside")
    args = parser.parse_args()

    pool = questions()
    asked = [pool[n % len(pool)] for n in range(args.questions)]
    checkouts = [("this", ROOT)] + ([("baseline", args.baseline)] if args.baseline else [])
    results: dict[tuple[str, str], list[Round]] = {}
    with ServerThread(args.limit) as server:
        for number in range(args.rounds):
            for name, root in checkouts:
                with tempfile.TemporaryDirectory() as cache:
                    for start in ("cold", "warm"):
                        measured = run_round(
                            server, "optout", asked, args, number, cache_dir=cache, root=root
                        )
                        results.setdefault((name, start), []).append(measured)
                        print(
                            f"round {number + 1} {name:8} {start}: ready after "
                            f"{measured.ready_after:.1f} s, RSS idle {measured.rss_idle:.0f} MiB, "
                            f"peak {measured.rss_peak:.0f} MiB, p99 {measured.percentile(0.99):.0f} "
                            f"ms",
                            flush=True,
                        )
    print("\nmin / median / max over rounds")
    for (name, start), rounds in results.items():
        print(
            f"{name:8} {start}: ready after {spread([r.ready_after for r in rounds])} s; "
            f"RSS idle {spread([r.rss_idle for r in rounds])} MiB; "
            f"peak {spread([r.rss_peak for r in rounds])} MiB"
        )
    mine = results[("this", "cold")] + results[("this", "warm")]
    peak = max(r.rss_peak for r in mine)
    print(f"highest peak {peak:.0f} MiB: a limit of at least {1.3 * peak:.0f} MiB leaves 30%")
    ok = all(r.rss_idle <= IDLE_TARGET and r.rss_peak <= PEAK_TARGET for r in mine)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
