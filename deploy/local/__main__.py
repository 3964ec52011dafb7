"""``python -m deploy.local up|down|status|run`` -- the local mesh launcher."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from deploy.local import mesh, run
from deploy.local.report import describe
from deploy.local.services import SERVICES

DEFAULT_RUN_DIR = Path(".run")


def parse_replicas(items: list[str]) -> dict[str, int]:
    """``--replicas 2`` (every service) or ``--replicas cj=3`` (one service), repeatable."""
    counts = {spec.name: 1 for spec in SERVICES}
    for item in items:
        name, _, count = item.rpartition("=")
        targets = [name] if name else list(counts)
        if any(t not in counts for t in targets) or not count.isdigit() or int(count) < 1:
            raise SystemExit(f"bad --replicas {item!r}: use N or SERVICE=N ({', '.join(counts)})")
        counts.update({t: int(count) for t in targets})
    return counts


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m deploy.local", description=__doc__)
    parser.add_argument("--run-dir", type=Path, default=DEFAULT_RUN_DIR,
                        help="state, logs and embedded data (default .run)")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in [("up", "start the mesh in the background"),
                       ("run", "start the mesh, run an assessment, stop")]:
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("--replicas", action="append", default=[], metavar="N|SERVICE=N")
        cmd.add_argument("--own-infra", action="store_true",
                         help="start NATS and PostgreSQL from the wheels even if servers answer")
        if name == "run":
            cmd.add_argument("--judge", default=None, help="provider/model (default: simulated)")
    sub.add_parser("down", help="stop everything `up` started")
    sub.add_parser("status", help="show what is running")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    run_dir: Path = args.run_dir.resolve()
    if args.command == "up":
        return _up(run_dir, parse_replicas(args.replicas), own_infra=args.own_infra)
    if args.command == "run":
        return run.main(run_dir, replicas=parse_replicas(args.replicas), judge=args.judge,
                        own_infra=args.own_infra)
    if args.command == "down":
        mesh.down(run_dir)
        return 0
    return _status(run_dir)


def _up(run_dir: Path, replicas: dict[str, int], *, own_infra: bool) -> int:
    existing = mesh.load(run_dir)
    if existing is not None and mesh.is_up(existing):
        print("mesh is already up:")
        print("\n".join(describe(existing)))
        return 0
    try:
        started = mesh.up(run_dir, replicas=replicas, own_infra=own_infra)
    except Exception as exc:  # one readable line, not a traceback, for `make up`
        print(f"make up failed: {exc}", file=sys.stderr)
        return 1
    print("\n".join(describe(started)))
    return 0


def _status(run_dir: Path) -> int:
    current = mesh.load(run_dir)
    if current is None:
        print("mesh is not running")
        return 1
    print("\n".join(describe(current)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
