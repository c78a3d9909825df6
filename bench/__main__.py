"""`python -m bench`: generate (or reuse) a large fictional practice and print figures.

Examples:
  python -m bench                      # full scale on SQLite (generation takes minutes once)
  python -m bench --scale 0.1          # a quick run
  python -m bench --load               # 50 simulated clinicians for 60 s (bench/load.py)
  python -m bench --scale 0.1 --database-url postgres://bench@/psynote_bench?host=/tmp/pg
"""

import argparse
import os
import shlex
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The bench runs with production defaults, whatever the calling shell has set.
_CLEARED = (
    "PSYNOTE_MASTER_KEY",
    "PSYNOTE_MASTER_KEY_FILE",
    "PSYNOTE_SECRET_KEY",
    "PSYNOTE_FAST_HASHER",
    "PSYNOTE_DEBUG",
    "PSYNOTE_ANCHOR_DIR",  # its audit checkpoints stay in the bench folder
    "DATABASE_URL",
)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Time opening and signing notes through the HTTP stack and `psynote "
        "verify` on a generated practice (50 clinicians, 5,000 clients, 100,000 "
        "signed notes, 1,000,000 audit events at --scale 1), each beside its bare "
        "primitive. Prints figures and PASS/MISS against the targets; never fails "
        "on a missed target.",
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="size of the practice relative to the full one (default 1.0; 0.1 for a quick run)",
    )
    parser.add_argument(
        "--database-url",
        default="",
        help="PostgreSQL URL of an EMPTY database (or one this benchmark "
        "generated); default: SQLite in the bench folder",
    )
    parser.add_argument(
        "--home",
        type=Path,
        default=REPO / ".bench",
        help="folder for generated databases, keys and results "
        "(default: .bench/ in the repository, which git ignores)",
    )
    parser.add_argument(
        "--regenerate",
        action="store_true",
        help="rebuild the practice even if a generated one of this size exists",
    )
    parser.add_argument("--opens", type=int, default=300, help="notes to open (default 300)")
    parser.add_argument("--signs", type=int, default=200, help="notes to sign (default 200)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed for the samples")
    parser.add_argument(
        "--generate-only",
        action="store_true",
        help="generate (or check) the practice, measure nothing",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also profile opening, signing and verify in-process with "
        "cProfile and print the hottest functions",
    )
    parser.add_argument(
        "--bulk",
        action="store_true",
        help="instead, time the FHIR bulk export of practices of --bulk-clients sizes "
        "(bench/bulk.py)",
    )
    parser.add_argument(
        "--backup",
        action="store_true",
        help="instead, time psynote backup, backup --check and restore of the generated "
        "practice (bench/backup.py)",
    )
    parser.add_argument(
        "--search",
        action="store_true",
        help="instead, time search over the encrypted notes beside plaintext SQLite FTS5 "
        "over the same notes (bench/search.py)",
    )
    parser.add_argument(
        "--ha",
        action="store_true",
        help="instead, open/sign latency behind the pg_auto_failover pair beside a single "
        "server; run under scripts/with-ha-postgres (bench/ha.py)",
    )
    parser.add_argument("--bulk-clients", default="1000,5000", help="default 1000,5000")
    parser.add_argument(
        "--load",
        action="store_true",
        help="instead, simulated clinicians against `psynote serve` on a fresh SQLite "
        "installation: p95 per action, errors, \"database is locked\" (bench/load.py)",
    )
    parser.add_argument("--load-clients", type=int, default=50, help="default 50")
    parser.add_argument("--load-seconds", type=float, default=60, help="default 60")
    parser.add_argument("--load-think", type=float, default=1.0,
                        help="seconds each clinician waits between actions (default 1; "
                        "0 saturates the server)")
    parser.add_argument("--bulk-tracemalloc", action="store_true")
    parser.add_argument(
        "--api", action="store_true",
        help="instead, the API's create + sign and open sequence over HTTP against "
        "`psynote serve --workers 1` on a fresh installation (SQLite, or --database-url), "
        "with PASS/FAIL against the GNU Health targets (bench/peer_run.py)")
    parser.add_argument("--api-n", type=int, default=100, help="timed sequences (default 100)")
    parser.add_argument("--api-sequences", default="combined,classic",
                        help="of bench/peer.py: combined (2 calls), classic (4 calls)")
    parser.add_argument(
        "--practices",
        action="store_true",
        help="instead, note create+sign throughput with 1 vs 10 practices writing at once, "
        "beside bare INSERT+COMMIT (bench/practices.py; needs --database-url)",
    )
    parser.add_argument("--practices-workers", default="1,2,4,10", help="default 1,2,4,10")
    parser.add_argument("--practices-seconds", type=float, default=10, help="default 10")
    args = parser.parse_args(argv)
    if args.scale <= 0 or args.opens < 1 or args.signs < 1:
        parser.error("--scale, --opens and --signs must be positive")
    if args.database_url and not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("--database-url must be a PostgreSQL URL (postgres://...)")
    return args


def _home_for(args: argparse.Namespace) -> Path:
    backend = "sqlite"
    if args.database_url:
        from urllib.parse import urlsplit

        backend = "postgresql-" + (urlsplit(args.database_url).path.strip("/") or "default")
    return (args.home / f"{backend}-scale{args.scale:g}").resolve()


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.ha:
        from bench import ha

        return ha.main(args.signs)
    if args.load:
        from bench import load

        return load.main(args.load_clients, args.load_seconds, args.home / "load-sqlite",
                         args.load_think)
    if args.api:
        from bench import peer_run

        backend = "postgresql" if args.database_url else "sqlite"
        return peer_run.main(args.home / f"api-{backend}", args.database_url, args.api_n,
                             args.api_sequences.split(","))
    if args.practices:
        from bench import practices

        if not args.database_url:
            print("--practices needs --database-url (PostgreSQL)", file=sys.stderr)
            return 2
        for name in _CLEARED:
            os.environ.pop(name, None)
        return practices.main(args.database_url, _home_for(args),
                              [int(n) for n in args.practices_workers.split(",")],
                              args.practices_seconds,
                              "python -m bench " + shlex.join(argv or sys.argv[1:]))
    if args.bulk:
        from bench import bulk

        sizes = [int(n) for n in args.bulk_clients.split(",")]
        bulk.run(sizes, args.home, trace=args.bulk_tracemalloc)
        return 0
    home = _home_for(args)
    home.mkdir(parents=True, exist_ok=True)
    for name in _CLEARED:
        os.environ.pop(name, None)
    env = {"PSYNOTE_HOME": str(home), "DJANGO_SETTINGS_MODULE": "psynote.settings"}
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    os.environ.update(env)

    import django

    django.setup()
    from bench import run, store, web
    from bench.generate import Scale
    from psynote.lib import crypto

    crypto.create_master_key_file()
    scale = Scale.of(args.scale)
    command = "python -m bench " + shlex.join(argv if argv is not None else sys.argv[1:])
    try:
        meta = store.prepare(home, scale, regenerate=args.regenerate)
    except store.RefusedDatabase as refused:
        print(refused, file=sys.stderr)
        return 2
    if args.generate_only:
        print(f"Generated practice ready in {home} ({meta['generation_seconds']:.0f} s).")
        return 0

    if args.backup:
        from bench import backup

        backup.run(home, web.server_env(env), args.database_url)
        return 0
    if args.search:
        from bench import search

        figures = search.run(args.seed)
        print()
        print(f"Command: {command}")
        print(search.report(figures))
        return 0
    results = run.Results(
        machine=run.machine(),
        database={"backend": "PostgreSQL" if args.database_url else "SQLite", **meta},
    )
    run.run_verify(meta["practice_id"], results, print)
    started = time.perf_counter()
    run.run_http(meta, web.server_env(env), home, args.opens, args.signs, args.seed, results, print)
    print(f"  (HTTP phase took {time.perf_counter() - started:.0f} s)")
    if args.profile:
        from bench import hotspots

        hotspots.profile_all(meta["practice_id"], home, args.seed, print)
    from bench import search

    search_figures = search.run(args.seed)
    results.machine["load_after"] = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print()
    print(run.report(results, command, scale))
    print(search.report(search_figures))
    print(f"\nSaved: {run.save(results, home)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
