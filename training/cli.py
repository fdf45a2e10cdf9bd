"""The `solewear` command line (docs/conventions.md section 4).

The umbrella command lives in `training` because `training` is the package
allowed to import both sides (`training -> inference`); sub-commands that only
need inference import nothing from training.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from inference.cases.cli import add_commands as add_case_commands
from inference.cli import add_commands as add_inference_commands
from inference.config import ConfigError


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"size must look like 384x576, got {text!r}") from exc
    if not (32 <= w <= 4096 and 32 <= h <= 4096):
        raise argparse.ArgumentTypeError("width and height must be between 32 and 4096 pixels")
    return w, h


def _csv_list(text: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in text.split(",") if v.strip())


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _cmd_generate(args: argparse.Namespace) -> int:
    from training.generator.dataset import GenerateOptions, generate_dataset
    from training.generator.preview import contact_sheet
    from training.generator.real_sheet import real_beside_generated
    from training.real_soles import REAL_SOLES

    if args.out_dir is None and args.preview is None:
        print("solewear generate: give OUT_DIR (with --n) or --preview PNG", file=sys.stderr)
        return 2
    if args.preview is not None:
        path = contact_sheet(args.preview, per_class=args.preview_per_class, seed=args.seed)
        print(f"contact sheet written: {path}")
        beside = real_beside_generated(path.with_name(f"{path.stem}-real{path.suffix}"), seed=args.seed)
        print(f"real beside generated written: {beside}" if beside else
              f"note: no real sole photos at {REAL_SOLES} (set SOLEWEAR_REAL_SOLES), so no real-beside-generated sheet")
    if args.out_dir is not None:
        if args.n is None:
            print("solewear generate: --n is required with OUT_DIR", file=sys.stderr)
            return 2
        weights = tuple(float(w) for w in args.class_weights) if args.class_weights else None
        if weights is not None and len(weights) != len(args.classes or weights):
            print("solewear generate: --class-weights needs one weight per class", file=sys.stderr)
            return 2
        opts = GenerateOptions(n=args.n, seed=args.seed, size=args.size, classes=args.classes or None,
                               class_weights=weights, photos_per_shoe=args.photos_per_shoe, workers=args.workers,
                               style=args.style)
        try:
            manifest = generate_dataset(Path(args.out_dir), opts, progress=not args.quiet)
        except ValueError as exc:
            print(f"solewear generate: {exc}", file=sys.stderr)
            return 2
        print(f"{args.n} samples written: {manifest}")
    return 0


def _fresh_run_dir(out: Path) -> Path:
    """The run folder, or the first free numbered one beside it (runs/x-2, -3, ...) when it already holds files:
    a new run never mixes its checkpoints and metrics into an earlier one's."""
    if not out.exists() or not any(out.iterdir()):
        return out
    n = 2
    while (candidate := out.with_name(f"{out.name}-{n}")).exists() and any(candidate.iterdir()):
        n += 1
    return candidate


def _cmd_train(args: argparse.Namespace) -> int:
    from training.config import load_config
    from training.data import DataError
    from training.train import train

    cfg = load_config(args.config, args.set, data_dir=args.data, out=args.out)
    if not (args.resume or args.exist_ok):
        fresh = _fresh_run_dir(Path(cfg.out))
        if fresh != Path(cfg.out) and int(os.environ.get("RANK", "0")) == 0:
            print(f"note: {cfg.out} holds an earlier run; writing to {fresh} (--exist-ok reuses the folder)", file=sys.stderr)
        cfg.out = str(fresh)
    try:
        best = train(cfg, resume=args.resume, progress=not args.quiet)
    except DataError as exc:
        print(f"solewear train: {exc}", file=sys.stderr)
        return 2
    if int(os.environ.get("RANK", "0")) == 0:  # under torchrun, only rank 0 reports
        print(f"best checkpoint: {best}")
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    import json

    from inference.cli import checkpoint_or_bundled
    from inference.decode import ImageError
    from training.data import DataError
    from training.evaluate import evaluate, summary_table, training_overlap

    data = Path(args.manifest).resolve()
    data_dir = data.parent if data.name == "manifest.csv" else data
    try:
        checkpoint = checkpoint_or_bundled(args.checkpoint)
        for warning in training_overlap(checkpoint, data_dir):
            print(f"warning: {warning}", file=sys.stderr)
        out_dir = args.out or Path("runs") / f"eval-{checkpoint.stem}-{data_dir.name}"
        report = evaluate(checkpoint, Path(args.manifest), out_dir, given_side=args.given_side, progress=not (args.quiet or args.json),
                          held_out=args.held_out_style)
    except (DataError, ImageError, FileNotFoundError, ValueError) as exc:
        print(f"solewear evaluate: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({k: v for k, v in report.items() if k != "reliability"}))
    else:
        print(summary_table(report))
        print(f"\nreport, confusion matrix, reliability diagram and per-photo predictions: {out_dir}")
    return 0


def _cmd_real_check(args: argparse.Namespace) -> int:
    import json

    from inference.predictor import NoModelError, Predictor
    from training.real_soles import format_real_figures, real_photo_figures

    try:
        predictor = Predictor(args.checkpoint)
    except (NoModelError, FileNotFoundError, ValueError) as exc:
        print(f"solewear real-check: {exc}", file=sys.stderr)
        return 2
    figures = real_photo_figures(predictor)
    print(json.dumps(figures) if args.json else format_real_figures(figures))
    return 0


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from inference.decode import ImageError
    from training.calibrate import calibrate
    from training.data import DataError

    try:
        record = calibrate(Path(args.checkpoint), Path(args.manifest), progress=not args.quiet)
    except (DataError, ImageError, FileNotFoundError) as exc:
        print(f"solewear calibrate: {exc}", file=sys.stderr)
        return 2
    print(f"temperature {record['temperature']:.3f}: ECE on {record['n_images']} validation photos "
          f"{record['val_ece_before']:.3f} -> {record['val_ece_after']:.3f} (written to the checkpoint's metadata)")
    return 0


def _cmd_data_check(args: argparse.Namespace) -> int:
    import json

    from training.checks import check, format_report

    report = check(Path(args.dir), Path(args.against) if args.against else None)
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 1 if report["problems"] else 0


class _DefaultsFormatter(argparse.HelpFormatter):
    """Help that shows each option's default, unless it is empty or the help already names it."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if action.default in (None, False, [], argparse.SUPPRESS) or "default" in text or not action.option_strings:
            return text
        return f"{text} (default: %(default)s)"


class _Parser(argparse.ArgumentParser):
    """Every (sub-)command's --help shows the defaults, as timm's and torchvision's scripts do."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", _DefaultsFormatter)
        super().__init__(*args, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    from inference import __version__

    parser = _Parser(prog="solewear", description="Read running-shoe sole wear from photos. A clue, not a diagnosis.")
    parser.add_argument("--version", action="version", version=f"solewear {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    gen = sub.add_parser("generate", help="render a synthetic data set of worn soles",
                         description="Render synthetic worn-sole photos with simulated wear, depth maps, masks and a manifest.")
    gen.add_argument("out_dir", nargs="?", metavar="OUT_DIR", help="folder to write the data set into")
    gen.add_argument("--n", type=_positive, help="number of photos")
    gen.add_argument("--seed", type=int, default=0, help="base seed; same seed and options give identical files")
    gen.add_argument("--workers", type=_positive, default=1, help="processes to render with")
    gen.add_argument("--size", type=_size, default=None, help="photo size WIDTHxHEIGHT (default from configs/generator.yaml)")
    gen.add_argument("--classes", type=_csv_list, default=None, help="comma-separated class ids (default: all)")
    gen.add_argument("--class-weights", type=_csv_list, default=None, help="comma-separated weights, one per class (default: balanced)")
    gen.add_argument("--photos-per-shoe", type=_positive, default=1, help="photos of each simulated shoe (same shoe_id)")
    gen.add_argument("--style", choices=("seen", "held_out"), default=None,
                     help="leave-style-out: draw appearance only from the seen values, or only from the held-out ones "
                          "(configs/generator.yaml held_out_style); default: every value")
    gen.add_argument("--preview", type=Path, default=None, metavar="PNG", help="also write a contact sheet, one row per class, and "
                     "beside it (NAME-real.png) the real sole photos each next to the generated sole most like it")
    gen.add_argument("--preview-per-class", type=_positive, default=5)
    gen.add_argument("--quiet", action="store_true", help="no progress bar")
    gen.set_defaults(func=_cmd_generate)

    tr = sub.add_parser("train", help="train a model from a YAML config",
                        description="Train the wear classifier. Works unchanged under torchrun for several processes or machines.")
    tr.add_argument("--config", required=True, help="YAML run config, e.g. configs/default.yaml")
    tr.add_argument("--data", default=None, metavar="DIR", help="train on this folder instead (manifest.csv or a folder per class)")
    tr.add_argument("--out", default=None, metavar="DIR", help="run folder (default from the config)")
    tr.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config value, e.g. optim.epochs=4 (repeatable)")
    tr.add_argument("--resume", action="store_true", help="continue from the run folder's last checkpoint")
    tr.add_argument("--exist-ok", action="store_true", help="write into the run folder even if it holds an earlier run "
                    "(by default a new numbered folder is used)")
    tr.add_argument("--quiet", action="store_true")
    tr.set_defaults(func=_cmd_train)

    ev = sub.add_parser("evaluate", help="evaluate a checkpoint on a labelled set",
                        description="Accuracy, macro-F1, per-class metrics, confusion matrix, zone MAE, side/orientation accuracy, calibration, bootstrap intervals.")
    ev.add_argument("--checkpoint", default=None, help="model checkpoint (default: the bundled model)")
    ev.add_argument("--manifest", required=True, help="manifest.csv, or a data-set folder")
    ev.add_argument("--out", type=Path, default=None, help="where to write report.json and the plots (default runs/eval-CHECKPOINT-DATA)")
    ev.add_argument("--given-side", action="store_true", help="use the labelled side instead of detecting it")
    ev.add_argument("--held-out-style", type=Path, default=None, metavar="DIR",
                    help="also read this set of held-out-style soles (solewear generate --style held_out) and report its "
                         "macro-F1 beside the --manifest set's (in-style), with intervals and the gap")
    ev.add_argument("--json", action="store_true", help="print the report as one JSON object")
    ev.add_argument("--quiet", action="store_true")
    ev.set_defaults(func=_cmd_evaluate)

    rc = sub.add_parser("real-check", help="what a model does on the real photos the project holds (no wear labels)",
                        description="Held-out real photos of new soles (found, one result per sole, read as new) and "
                                    "the worn CSAFE photos in their eight symmetric views (side, toe direction, one class). "
                                    "The photos are looked for at $SOLEWEAR_REAL_SOLES.")
    rc.add_argument("--checkpoint", default=None, help="model checkpoint (default: the bundled model)")
    rc.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    rc.set_defaults(func=_cmd_real_check)

    cal = sub.add_parser("calibrate", help="refit a checkpoint's temperature on validation photos, end to end",
                         description="Fit the softmax temperature on the Predictor's own two-pass output for a labelled "
                                     "validation set and store it in the checkpoint's metadata.")
    cal.add_argument("--checkpoint", required=True)
    cal.add_argument("--manifest", required=True, help="validation manifest.csv, or a data-set folder (not the test set)")
    cal.add_argument("--quiet", action="store_true")
    cal.set_defaults(func=_cmd_calibrate)

    data = sub.add_parser("data", help="data-set tools")
    data_sub = data.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    chk = data_sub.add_parser("check", help="report problems in a data set")
    chk.add_argument("dir")
    chk.add_argument("--against", default=None, metavar="DIR", help="another split: report shoe_ids found in both")
    chk.add_argument("--json", action="store_true")
    chk.set_defaults(func=_cmd_data_check)

    add_inference_commands(sub)
    add_case_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"solewear: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
