"""`solewear predict` and `solewear export`: the inference sub-commands.

They import nothing from `training`; the umbrella `solewear` command
registers them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from inference.decode import IMAGE_SUFFIXES


def _expand(paths: list[str]) -> list[str]:
    """Files as given; folders become the images inside them (sorted)."""
    out: list[str] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            out += [str(f) for f in sorted(path.iterdir()) if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES]
        else:
            out.append(p)
    return out


def _describe(pred) -> str:
    from inference.taxonomy import load_taxonomy

    tax = load_taxonomy()
    head = f"{pred.path}" + (f" [{pred.part}]" if pred.part else "")
    if pred.error:
        return f"{head}: {pred.error}"
    what = tax.wear_class(pred.label).label if pred.label else "can't tell"
    text = (f"{head}: {what} ({pred.confidence:.0%}), {pred.side} shoe ({pred.side_source}), "
            f"severity {pred.severity:.2f} - {pred.severity_words}")
    text += f"; flags: {', '.join(pred.flags)}" if pred.flags else ""
    return text + (f"; warning: the photo looks like a {pred.side_conflict} shoe, not the {pred.side} one given"
                   if pred.side_conflict else "")


def checkpoint_or_bundled(checkpoint: str | None) -> Path:
    """The checkpoint a command was given, else the bundled model (FileNotFoundError when none is installed)."""
    from inference.model_store import NO_MODEL_MESSAGE, bundled_checkpoint

    found = Path(checkpoint) if checkpoint else bundled_checkpoint()
    if found is None:
        raise FileNotFoundError(NO_MODEL_MESSAGE)
    return found


def cmd_predict(args: argparse.Namespace) -> int:
    from inference.predictor import NoModelError, Predictor

    try:
        predictor = Predictor(args.checkpoint, backend=args.backend)
    except (NoModelError, FileNotFoundError, ValueError) as exc:
        print(f"solewear predict: {exc}", file=sys.stderr)
        return 2
    files = _expand(args.images)
    if not files:
        print("solewear predict: no images given", file=sys.stderr)
        return 2
    side = None if args.side == "auto" else args.side
    visuals = Path(args.save_visuals) if args.save_visuals else None
    if visuals:
        visuals.mkdir(parents=True, exist_ok=True)
    failed = False
    for start in range(0, len(files), args.batch_size):
        chunk = files[start:start + args.batch_size]
        results = predictor.predict_batch(chunk, [side] * len(chunk), explain=visuals is not None)
        for preds in results:
            for pred in preds:
                failed |= pred.error is not None
                print(pred.to_json() if args.json else _describe(pred), flush=True)
                if visuals and pred.heatmap is not None:
                    stem = Path(pred.path).stem + (f"-{pred.part.replace(' ', '-')}" if pred.part else "")
                    pred.heatmap.save(visuals / f"{stem}-heatmap.png")
                    pred.diagram.save(visuals / f"{stem}-zones.png")
    return 1 if failed else 0   # docs/conventions.md section 8: every photo got its line, some an error


def cmd_export(args: argparse.Namespace) -> int:
    from inference.checkpoint import load_checkpoint
    from inference.export import export_onnx
    from inference.taxonomy import load_taxonomy

    try:
        model, meta = load_checkpoint(checkpoint_or_bundled(args.checkpoint), taxonomy=load_taxonomy())
    except (FileNotFoundError, ValueError) as exc:
        print(f"solewear export: {exc}", file=sys.stderr)
        return 2
    path = export_onnx(model, meta, args.out)
    print(f"exported {path} (and {path.with_suffix('.json').name}); onnxruntime parity checked")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    pr = sub.add_parser("predict", help="read the wear on sole photos",
                        description="Classify the wear pattern of each sole photo. A clue, not a diagnosis.")
    pr.add_argument("images", nargs="+", metavar="IMAGE", help="photos (or folders of photos)")
    pr.add_argument("--side", choices=["left", "right", "auto"], default="auto", help="which shoe the photos show (default: detect); a given side means one shoe per photo, never split as a pair")
    pr.add_argument("--checkpoint", default=None, help="model checkpoint (default: the bundled model)")
    pr.add_argument("--json", action="store_true", help="one JSON object per result, one per line")
    pr.add_argument("--save-visuals", default=None, metavar="DIR", help="write heatmap and zone-diagram PNGs here")
    pr.add_argument("--backend", choices=["auto", "torch", "onnx"], default="auto", help="auto: onnxruntime on a CPU, PyTorch on CUDA")
    pr.add_argument("--batch-size", type=int, default=16, help="photos read together")
    pr.set_defaults(func=cmd_predict)

    ex = sub.add_parser("export", help="export a checkpoint (ONNX)")
    ex.add_argument("--checkpoint", default=None, help="model checkpoint (default: the bundled model)")
    ex.add_argument("--format", choices=["onnx"], required=True)
    ex.add_argument("--out", required=True, metavar="FILE")
    ex.set_defaults(func=cmd_export)
