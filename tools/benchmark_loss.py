#!/usr/bin/env python
"""Time the ranking losses on the synthetic data of the thesis (Sec. 4.1.1, Fig. 4.1).

Figure mode (default): for L logits and m % positives, the forward + backward time (median of
--repeats) of AP, BAP, RS and BRS Loss, of BRS with its negatives' buckets found by binary search
among the sorted positives (BRS-search) or by one sort of all logits as Alg. 2 prints it
(BRS-sortall) instead of the default grid lookup, and two floors measured in the same run: one
torch.sort of the same logits and a sigmoid focal loss forward + backward in plain torch.
Prints a table of times and ratios and writes benchmark_loss.csv / .json / .png into --out.
The unbucketed RS / AP Loss cost O(P N): a cell whose time, extrapolated from the largest cell
already measured, exceeds --time-cap is skipped and reported as skipped.

Scale mode (--scale): BRS and BAP at L = 10M, m = 1 % and L = 1M, m = 5 %, each in a fresh process,
printing time and peak memory (resource.getrusage; on CUDA also torch.cuda.max_memory_allocated).

On CUDA (``--device cuda``) each row also counts the host-device synchronisations of one BAP and
one BRS call (torch.cuda.set_sync_debug_mode); the goal there is BRS <= one sort (BRS/sort <= 1).

    python tools/benchmark_loss.py --out work_dirs/benchmark_loss
    python tools/benchmark_loss.py --scale
    python tools/benchmark_loss.py --device cuda --sizes 1000000 --percents 0.1 1
"""
import argparse
import csv
import json
import resource
import statistics
import subprocess
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchmark_timing import count_syncs, timed  # noqa: E402
from brs_detr.ranking.functional import ranking_loss  # noqa: E402

LOSSES = {  # name: (bucketed, with_sorting, delta, how negatives find their bucket)
    "AP": (False, False, 1.0, None),
    "BAP": (True, False, 1.0, "grid"),
    "RS": (False, True, 0.5, None),
    "BRS": (True, True, 0.5, "grid"),
    "BRS-search": (True, True, 0.5, "search"),
    "BRS-sortall": (True, True, 0.5, "sort"),
}
FLOORS = ("sort", "focal")
#: Losses whose host-device synchronisations per call are counted on CUDA.
SYNC_COUNTED = ("BAP", "BRS")
SCALE_CASES = ((10_000_000, 1.0), (1_000_000, 5.0))


def synthetic(num_logits, percent, device, seed=0):
    """Sec. 4.1.1: positives ~ N(-1, 1) with IoU ~ U(0, 1), negatives ~ N(1, 1); float32."""
    gen = torch.Generator().manual_seed(seed)
    num_pos = max(1, round(num_logits * percent / 100))
    logits = torch.randn(num_logits, generator=gen) + 1
    targets = torch.zeros(num_logits)
    targets[:num_pos] = torch.rand(num_pos, generator=gen).clamp_min(1e-3)
    logits[:num_pos] -= 2
    perm = torch.randperm(num_logits, generator=gen)
    return logits[perm].to(device), targets[perm].to(device)


def sigmoid_focal_loss(logits, targets, gamma=2.0, alpha=0.25):
    """Focal loss on binary labels (targets > 0), summed; the score-based baseline."""
    labels = (targets > 0).to(logits.dtype)
    prob = logits.sigmoid()
    ce = F.binary_cross_entropy_with_logits(logits, labels, reduction="none")
    p_t = prob * labels + (1 - prob) * (1 - labels)
    alpha_t = alpha * labels + (1 - alpha) * (1 - labels)
    return (alpha_t * (1 - p_t) ** gamma * ce).sum()


def make_step(name, logits, targets):
    """A closure running one forward + backward (or one sort) of ``name``."""
    if name == "sort":
        return lambda: torch.sort(logits)
    if name == "focal":
        def focal():
            x = logits.detach().requires_grad_()
            sigmoid_focal_loss(x, targets).backward()
        return focal
    bucketed, with_sorting, delta, assign = LOSSES[name]

    def ranking():
        x = logits.detach().requires_grad_()
        ranking_err, sorting_err = ranking_loss(x, targets, delta, bucketed, with_sorting,
                                                assign or "grid")
        (ranking_err + sorting_err).backward()
    return ranking


def run_figure(args, device):
    rows, skipped = [], []
    # Unbucketed losses: (pairs, seconds) of their largest cell so far; time ~ P x L pairs.
    largest_cell = {}
    for num_logits in args.sizes:
        for percent in args.percents:
            logits, targets = synthetic(num_logits, percent, device)
            num_pos = int((targets > 0).sum())
            pairs = num_pos * num_logits
            row = {"L": num_logits, "m%": percent, "P": num_pos}
            for name in list(args.losses) + list(FLOORS):
                bucketed = LOSSES.get(name, (True,))[0]
                if not bucketed and name in largest_cell:
                    estimate = largest_cell[name][1] / largest_cell[name][0] * pairs
                    if estimate > args.time_cap:
                        row[name] = None
                        skipped.append(f"{name} L={num_logits} m={percent}% (~{estimate:.0f} s "
                                       f"estimated > --time-cap {args.time_cap:g} s)")
                        continue
                # Slow cells run once (plus no warm-up) when a single run is already long.
                fn = make_step(name, logits, targets)
                first = timed(fn, device)
                reps = args.repeats if first * args.repeats < args.time_cap else 1
                row[name] = first if reps == 1 else statistics.median(
                    [first] + [timed(fn, device) for _ in range(reps - 1)])
                if not bucketed and pairs >= largest_cell.get(name, (0, 0.0))[0]:
                    largest_cell[name] = (pairs, row[name])
                if name in SYNC_COUNTED:
                    row[f"{name} syncs"] = count_syncs(fn, device)
            rows.append(row)
            print(format_row(row, args.losses), flush=True)
    return rows, skipped


def ratio(a, b):
    return None if a is None or b is None else a / b


def format_row(row, losses):
    cells = [f"L={row['L']:>8} m={row['m%']:>4}% P={row['P']:>6}"]
    for name in list(losses) + list(FLOORS):
        t = row.get(name)
        cells.append(f"{name}={'skipped' if t is None else f'{t * 1e3:.1f}ms'}")
    cells += [f"{name} syncs={row[name + ' syncs']}" for name in SYNC_COUNTED
              if row.get(name + " syncs") is not None]
    return "  ".join(cells)


def summary_table(rows, losses):
    cols = list(losses) + list(FLOORS)
    header = ["L", "m%", "P"] + [f"{c} [s]" for c in cols] + [
        "RS/BRS", "AP/BAP", "BRS/sort", "BRS/focal", "BRS-search/BRS", "BRS-sortall/BRS"]
    lines = [header]
    for row in rows:
        times = [row.get(c) for c in cols]
        ratios = [ratio(row.get("RS"), row.get("BRS")), ratio(row.get("AP"), row.get("BAP")),
                  ratio(row.get("BRS"), row.get("sort")), ratio(row.get("BRS"), row.get("focal")),
                  ratio(row.get("BRS-search"), row.get("BRS")),
                  ratio(row.get("BRS-sortall"), row.get("BRS"))]
        lines.append([str(row["L"]), f"{row['m%']:g}", str(row["P"])]
                     + ["skipped" if t is None else f"{t:.4f}" for t in times]
                     + ["-" if r is None else f"{r:.2f}" for r in ratios])
    widths = [max(len(line[k]) for line in lines) for k in range(len(header))]
    return "\n".join("  ".join(c.rjust(w) for c, w in zip(line, widths)) for line in lines)


def write_outputs(rows, skipped, args, device):
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cols = ["L", "m%", "P"] + list(args.losses) + list(FLOORS)
    with open(out / "benchmark_loss.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore")  # syncs: in the JSON
        writer.writeheader()
        for row in rows:
            writer.writerow({c: "" if row.get(c) is None else row[c] for c in cols})
    meta = {"device": str(device), "threads": torch.get_num_threads(), "repeats": args.repeats,
            "torch": torch.__version__, "time_cap_s": args.time_cap, "skipped": skipped,
            "rows": rows}
    (out / "benchmark_loss.json").write_text(json.dumps(meta, indent=2))
    plot(rows, args.losses, out / "benchmark_loss.png")
    print(f"wrote {out / 'benchmark_loss.csv'}, .json, .png")


def plot(rows, losses, path):
    import matplotlib  # lazily: only the plot needs it
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted({r["L"] for r in rows})
    fig, axes = plt.subplots(1, len(sizes), figsize=(5 * len(sizes), 4), squeeze=False)
    for ax, size in zip(axes[0], sizes):
        sub = [r for r in rows if r["L"] == size]
        for name in list(losses) + list(FLOORS):
            pts = [(r["m%"], r[name]) for r in sub if r.get(name) is not None]
            if pts:
                style = "--" if name in FLOORS else "-"
                ax.plot(*zip(*pts), style, marker="o", label=name)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(f"L = {size:,}")
        ax.set_xlabel("positives m [%]")
        ax.set_ylabel("forward + backward [s]")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def scale_case(args, device):
    """One scale measurement in this (fresh) process: time and peak memory of one loss."""
    num_logits, percent = args.scale_case
    logits, targets = synthetic(int(num_logits), percent, device)
    start_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    seconds = timed(make_step(args.scale_loss, logits, targets), device)
    result = {"loss": args.scale_loss, "L": int(num_logits), "m%": percent,
              "P": int((targets > 0).sum()), "seconds": seconds,
              "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
              "rss_before_loss_gib": start_rss / 2**20}
    if device.type == "cuda":
        result["peak_cuda_gib"] = torch.cuda.max_memory_allocated(device) / 2**30
    print(json.dumps(result))


def run_scale(args):
    results = []
    for num_logits, percent in SCALE_CASES:
        for loss in ("BRS", "BAP"):
            cmd = [sys.executable, __file__, "--device", args.device, "--scale-case",
                   str(num_logits), str(percent), "--scale-loss", loss]
            if args.threads:
                cmd += ["--threads", str(args.threads)]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            results.append(json.loads(out.strip().splitlines()[-1]))
            r = results[-1]
            print(f"{loss:4s} L={r['L']:>9,} m={percent:g}% P={r['P']:>7,}: {r['seconds']:.2f} s, "
                  f"peak RSS {r['peak_rss_gib']:.2f} GiB (before the loss {r['rss_before_loss_gib']:.2f})"
                  + (f", peak CUDA {r['peak_cuda_gib']:.2f} GiB" if "peak_cuda_gib" in r else ""),
                  flush=True)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--percents", type=float, nargs="+", default=[0.1, 1.0, 2.0, 5.0])
    parser.add_argument("--losses", nargs="+", default=list(LOSSES), choices=list(LOSSES))
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per cell (median)")
    parser.add_argument("--time-cap", type=float, default=10.0,
                        help="skip unbucketed cells estimated to take longer (s)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch default)")
    parser.add_argument("--out", default="work_dirs/benchmark_loss")
    parser.add_argument("--scale", action="store_true", help="run the scale mode instead")
    parser.add_argument("--scale-case", type=float, nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--scale-loss", choices=["BRS", "BAP"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if args.scale_case:
        return scale_case(args, device)
    print(f"device {device}, {torch.get_num_threads()} threads, torch {torch.__version__}")
    if args.scale:
        results = run_scale(args)
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "benchmark_loss_scale.json").write_text(json.dumps(results, indent=2))
        return None
    rows, skipped = run_figure(args, device)
    print()
    print(summary_table(rows, args.losses))
    for line in skipped:
        print("skipped:", line)
    write_outputs(rows, skipped, args, device)
    return None


if __name__ == "__main__":
    main()
