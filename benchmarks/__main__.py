"""Benchmark runner: `python -m benchmarks NAME [benchmark options]`."""

from __future__ import annotations

import importlib
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

#: Where results go; tests point it elsewhere so they never overwrite the recorded ones.
RESULTS_DIR = Path(os.environ.get("SOLEWEAR_BENCH_RESULTS", Path(__file__).resolve().parent / "results"))


def machine_info() -> dict[str, Any]:
    """What the numbers were measured on: they mean little without it."""
    import torch

    return {
        "cores": os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "cuda": torch.cuda.is_available(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
    }


def format_table(rows: list[dict[str, Any]]) -> str:
    """Plain fixed-width table; floats get three significant decimals."""
    if not rows:
        return "(no rows)"
    cols = list(dict.fromkeys(k for row in rows for k in row))

    def cell(v: Any) -> str:
        return f"{v:.3f}" if isinstance(v, float) else str(v)

    widths = {c: max(len(c), *(len(cell(r.get(c, ""))) for r in rows)) for c in cols}
    lines = ["  ".join(c.ljust(widths[c]) for c in cols), "  ".join("-" * widths[c] for c in cols)]
    lines += ["  ".join(cell(r.get(c, "")).ljust(widths[c]) for c in cols) for r in rows]
    return "\n".join(lines)


def report(results: Path, out: Path) -> Path:
    """docs/speed.md from the latest results: one table per benchmark, with when and on what it ran."""
    lines = ["# Speed", "", "The latest run of each benchmark (`make bench NAME=...`), written by `python -m benchmarks "
             "--report` from `benchmarks/results/`. Times are medians; ratios are to a torchvision ResNet-18 forward "
             "(batch 1, 224 px, two threads) measured in the same run, since this machine's speed moves from day to day.", ""]
    for path in sorted(results.glob("*.json")):
        data = json.loads(path.read_text())
        machine = data.get("machine", {})
        lines += [f"## {data['benchmark']}", "",
                  f"Measured {data['measured_at']} on {machine.get('cores', '?')} cores, torch {machine.get('torch', '?')}"
                  + (f", options `{' '.join(data['args'])}`" if data.get("args") else "") + ".", ""]
        rows = data["rows"]
        cols = list(dict.fromkeys(k for row in rows for k in row))
        lines += ["| " + " | ".join(cols) + " |", "|" + " --- |" * len(cols)]
        lines += ["| " + " | ".join(str(row.get(c, "")) for c in cols) + " |" for row in rows]
        lines.append("")
    out.write_text("\n".join(lines))
    return out


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--report"]:
        print(f"written: {report(RESULTS_DIR, Path(__file__).resolve().parents[1] / 'docs' / 'speed.md')}")
        return 0
    if not argv or argv[0] in {"-h", "--help"}:
        names = sorted(p.stem for p in Path(__file__).parent.glob("*.py") if not p.stem.startswith("_"))
        print(f"usage: python -m benchmarks NAME [options]\navailable: {', '.join(names)}")
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    try:
        module = importlib.import_module(f"benchmarks.{name}")
    except ModuleNotFoundError:
        print(f"no benchmark named {name!r}", file=sys.stderr)
        return 2
    started = time.time()
    rows = module.run(rest)
    print(format_table(rows))
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"{name}.json"
    payload = {
        "benchmark": name,
        "args": rest,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "wall_seconds": round(time.time() - started, 2),
        "machine": machine_info(),
        "rows": rows,
    }
    out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"\nwritten: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
