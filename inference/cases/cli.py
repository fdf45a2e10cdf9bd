"""`solewear cases upgrade | list | export`: the case log from the command line."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from inference.cases.database import DATABASE_ENV, CaseLogError, database_url, make_engine, pointed_at, upgrade


def _settings(args: argparse.Namespace):
    from inference.settings import load_inference_settings

    return pointed_at(load_inference_settings().case_log, args.database or os.environ.get(DATABASE_ENV))


def _open(args: argparse.Namespace):
    from inference.cases.store import CaseLog

    return CaseLog.open(_settings(args))


def cmd_upgrade(args: argparse.Namespace) -> int:
    settings = _settings(args)
    revision = upgrade(make_engine(database_url(settings.database)))
    print(f"case log at schema {revision}: {database_url(settings.database)}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    log = _open(args)
    cases = log.cases(args.search or "")
    for c in cases:
        print(f"{c.case_id}\t{c.visits} visit(s)\t{c.first_visit} .. {c.last_visit}")
    counts = log.counts()
    print(f"{counts['cases']} case(s), {counts['visits']} visit(s), {counts['shoe_readings']} shoe reading(s)",
          file=sys.stderr)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from inference.cases.export import export_training_set
    from inference.taxonomy import load_taxonomy

    try:
        summary = export_training_set(_open(args), Path(args.out_dir), load_taxonomy())
    except FileExistsError as exc:
        print(f"solewear cases export: {exc}", file=sys.stderr)
        return 2
    print(f"{summary.photos} labelled photo(s) written: {summary.manifest} ({summary.left_out} reading(s) left out: "
          "labelled unsure or not labelled by a clinician)")
    return 0


def _run(func):
    """Case-log problems are messages (exit 2), never tracebacks."""
    def guarded(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except CaseLogError as exc:
            print(f"solewear cases: {exc}", file=sys.stderr)
            return 2
    return guarded


def add_commands(sub: argparse._SubParsersAction) -> None:
    cases = sub.add_parser("cases", help="the clinic case log (consented cases, visits over time, export for training)")
    actions = cases.add_subparsers(dest="cases_command", required=True, metavar="ACTION")
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument("--database", default=None, metavar="PATH_OR_URL",
                          help=f"SQLite file or database URL (default: ${DATABASE_ENV}, else case_log.database in "
                               "configs/inference.yaml)")
    up = actions.add_parser("upgrade", parents=[database], help="create the case log or upgrade its schema")
    up.set_defaults(func=_run(cmd_upgrade))
    ls = actions.add_parser("list", parents=[database], help="list cases (id, visits, first and last visit)")
    ls.add_argument("--search", default=None, help="only case ids containing this text")
    ls.set_defaults(func=_run(cmd_list))
    ex = actions.add_parser("export", parents=[database],
                            help="write consented, clinician-labelled photos as a training set (manifest.csv)")
    ex.add_argument("out_dir", metavar="OUT_DIR", help="a new or empty folder")
    ex.set_defaults(func=_run(cmd_export))
