"""`make bench`: Unravel beside PyTorch eager and onnxruntime on CIFAR ResNet-110, batch 128,
same threads, same weights, in one run. Prints images/s and ratios.

    python3 bench/bench.py [--depth 110] [--batch 128] [--threads 2] [--seconds 10]

A framework that is not installed is reported as absent, not skipped silently.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def rate(fn, batch, seconds):
    """Images/s: one warm-up call, then the median time of repeated calls."""
    fn()
    times, start = [], time.perf_counter()
    while time.perf_counter() - start < seconds or len(times) < 3:
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return batch / statistics.median(times)


def bench_torch(depth, batch, threads, seconds):
    import torch

    sys.path.insert(0, HERE)
    import make_bench_model

    torch.set_num_threads(threads)
    model = make_bench_model.build(depth)
    x = torch.randn(batch, 3, 32, 32)
    labels = torch.arange(batch) % 10

    def forward():
        with torch.no_grad():
            model(x)

    def gradient():
        xx = x.clone().requires_grad_(True)
        loss = torch.nn.functional.cross_entropy(model(xx), labels, reduction="sum")
        torch.autograd.grad(loss, xx)

    return {"forward": rate(forward, batch, seconds), "gradient": rate(gradient, batch, seconds),
            "version": torch.__version__}


def bench_onnxruntime(path, batch, threads, seconds):
    import numpy as np
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    x = np.random.randn(batch, 3, 32, 32).astype(np.float32)
    return {"forward": rate(lambda: session.run(None, {"x": x}), batch, seconds), "version": ort.__version__}


def bench_unravel(path, batch, threads, seconds, paths=False):
    binary = os.path.join(ROOT, ".build", "release", "lesion")
    out = subprocess.run([binary, "bench", path, "--batch-size", str(batch), "--threads", str(threads),
                          "--seconds", str(seconds), "--json"] + (["--paths"] if paths else []),
                         check=True, capture_output=True, text=True)
    result = json.loads(out.stdout)
    return {"forward": result["forwardImagesPerSecond"], "gradient": result["gradientImagesPerSecond"],
            "version": "oneDNN " + result["oneDNN"], "decomposition": result.get("exactDecompositionCost")}


def machine_peak(threads, seconds):
    """GFLOP/s of bench/peak.c: FP32 fused multiply-adds on every thread, nothing from memory."""
    out = subprocess.run([os.path.join(ROOT, ".build", "unravel", "peak"), str(threads), str(seconds)],
                         check=True, capture_output=True, text=True)
    return {"gflops": float(out.stdout)}


def network_macs(path):
    """Multiply-adds per image: the whole network, and each block in order (`lesion info --json`)."""
    binary = os.path.join(ROOT, ".build", "release", "lesion")
    info = json.loads(subprocess.run([binary, "info", path, "--json"], check=True, capture_output=True,
                                     text=True).stdout)
    return info["macs"], [block["macs"] for block in info["blocks"]]


def sweep_macs(total, blocks):
    """Multiply-adds per image of a drop-one sweep on shared prefixes: the intact pass, then for each
    block every block after it. Stem and head are left out of the variants, so this is a lower bound
    on the work, and the ceiling derived from it an upper bound."""
    return total + sum(sum(blocks[i + 1:]) for i in range(len(blocks)))


def sweep_unravel(model, data, batch, threads, images, command=("drop",)):
    """Images per second through a whole sweep: the wall time of `lesion drop` (or `lesion scale
    --alphas ...`), loading, hashing and saving included, over `images` images."""
    binary = os.path.join(ROOT, ".build", "release", "lesion")
    out = os.path.join(os.path.dirname(data), f"{command[0]}-bench.h5")
    start = time.perf_counter()
    subprocess.run([binary, *command, model, data, "-o", out, "--batch-size", str(batch), "--threads", str(threads),
                    "--limit", str(images), "--force", "--quiet"], check=True, stdout=subprocess.DEVNULL)
    return images / (time.perf_counter() - start)


def torch_bench_model(depth, threads, images):
    """torch, the bench's CIFAR ResNet in PyTorch, its blocks in order, and `images` random inputs."""
    import torch

    sys.path.insert(0, HERE)
    import make_bench_model

    torch.set_num_threads(threads)
    model = make_bench_model.build(depth)
    x = torch.randn(images, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    return torch, model, blocks_of(model), x


def blocks_of(model):
    return [block for layer in (model.layer1, model.layer2, model.layer3) for block in layer]


def scaled_forward(torch, block, alpha):
    """The block with its branch multiplied by α: relu(α·branch + shortcut)."""
    b = block
    return lambda t: torch.relu(alpha * b.bn2(b.conv2(torch.relu(b.bn1(b.conv1(t))))) + b.shortcut(t))


def classify(model, x, batch):
    for first in range(0, len(x), batch):
        model(x[first:first + batch]).argmax(1)


def sweep_torch(depth, batch, threads, images):
    """The naive PyTorch loop: one full pass over the images per variant (intact + each block removed)."""
    torch, model, blocks, x = torch_bench_model(depth, threads, images)
    start = time.perf_counter()
    with torch.no_grad():
        classify(model, x, batch)
        for block in blocks:
            original = block.forward
            block.forward = lambda t, b=block: torch.relu(b.shortcut(t))  # the block becomes its shortcut
            classify(model, x, batch)
            block.forward = original
    return images / (time.perf_counter() - start)


def sweep_torch_scale(depth, batch, threads, images, alphas):
    """The naive PyTorch loop for the scale sweep: one full pass per variant, each block's branch
    multiplied by each α in turn (α = 0 is the lesion)."""
    torch, model, blocks, x = torch_bench_model(depth, threads, images)
    start = time.perf_counter()
    with torch.no_grad():
        classify(model, x, batch)
        for block in blocks:
            original = block.forward
            for alpha in alphas:
                block.forward = scaled_forward(torch, block, alpha)
                classify(model, x, batch)
            block.forward = original
    return images / (time.perf_counter() - start)


def sweep_torch_scale_recalibrated(depth, batch, threads, images, alphas, recalibration_images):
    """The PyTorch script a researcher would write for what `lesion scale --recalibrate-bn`
    writes, both groups: per variant, evaluate with the trained statistics, then reset every batch
    norm, run one train-mode pass over the recalibration images with cumulative averages (momentum
    None), and evaluate again. (Unravel re-estimates only the batch norms after the changed block,
    from population statistics layer by layer; the work is comparable, a pass over the
    recalibration images per variant.)"""
    import copy

    torch, trained, blocks, x = torch_bench_model(depth, threads, images)
    r = torch.randn(recalibration_images, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    start = time.perf_counter()
    with torch.no_grad():
        classify(trained, x, batch)
        for index in range(len(blocks)):
            for alpha in alphas:
                model = copy.deepcopy(trained)
                block = blocks_of(model)[index]
                block.forward = scaled_forward(torch, block, alpha)
                classify(model, x, batch)
                for m in model.modules():
                    if isinstance(m, torch.nn.BatchNorm2d):
                        m.reset_running_stats()
                        m.momentum = None
                model.train()
                for first in range(0, recalibration_images, batch):
                    model(r[first:first + batch])
                model.eval()
                classify(model, x, batch)
    return images / (time.perf_counter() - start)


def make_sweep_data(folder, images):
    import numpy as np

    sys.path.insert(0, os.path.join(ROOT, "notebooks-export"))
    import make_dataset

    path = os.path.join(folder, f"noise{images}.h5")
    if not os.path.exists(path):
        rng = np.random.default_rng(0)
        make_dataset.write(path, rng.standard_normal((images, 3, 32, 32)).astype(np.float32),
                           rng.integers(0, 10, images), [str(c) for c in range(10)], "standard-normal noise")
    return path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--depth", type=int, default=110)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3, help="turns each framework takes; each keeps its best")
    parser.add_argument("--sweep-images", type=int, default=1024, help="images for the drop-one sweep")
    parser.add_argument("--torch-sweep-images", type=int, default=256,
                        help="images for PyTorch's naive sweep (it is slow; its rate is per image)")
    parser.add_argument("--sweep-rounds", type=int, default=2, help="turns each drop-one sweep takes")
    parser.add_argument("--scale-alphas", default="0,0.5,1.5,2", help="the scale sweep's branch scales")
    parser.add_argument("--recalibration-images", type=int, default=128,
                        help="images batch norms are re-estimated on in the recalibrated scale sweep")
    parser.add_argument("--recalibrated-sweep-images", type=int, default=128,
                        help="images both recalibrated scale sweeps evaluate (the same for both: the re-estimation "
                             "is paid per variant, not per image)")
    parser.add_argument("--torch-scale-images", type=int, default=64,
                        help="images for PyTorch's naive scale sweep (a full pass per variant: 4 per block)")
    args = parser.parse_args()

    folder = os.path.join(ROOT, ".build", "unravel", "bench")
    base = os.path.join(folder, f"resnet{args.depth}")
    if not os.path.exists(base + ".h5"):
        subprocess.run([sys.executable, os.path.join(HERE, "make_bench_model.py"), folder, "--depth", str(args.depth)],
                       check=True, stdout=subprocess.DEVNULL)

    # Shared machines are noisy: the frameworks take turns for several rounds, and each keeps its
    # best rate, so a burst of load elsewhere does not decide a ratio.
    results = {}
    for _ in range(args.rounds):
        for name, run in [("peak", lambda: machine_peak(args.threads, 2)),
                          ("unravel", lambda: bench_unravel(base + ".h5", args.batch, args.threads, args.seconds)),
                          ("pytorch", lambda: bench_torch(args.depth, args.batch, args.threads, args.seconds)),
                          ("onnxruntime", lambda: bench_onnxruntime(base + ".onnx", args.batch, args.threads, args.seconds))]:
            if "absent" in results.get(name, {}):
                continue
            try:
                measured = run()
            except Exception as error:  # absent framework or failed run: say so
                results[name] = {"absent": f"{type(error).__name__}: {error}"}
                continue
            best = results.setdefault(name, measured)
            for key in ("forward", "gradient", "gflops"):
                if key in measured:
                    best[key] = max(best[key], measured[key])

    # The sweeps take turns too; each keeps its best rate.
    sweep = {}
    try:
        data = make_sweep_data(folder, args.sweep_images)
    except Exception as error:
        data, sweep["unravel"] = None, f"{type(error).__name__}: {error}"
    alphas = [float(a) for a in args.scale_alphas.split(",")]
    for _ in range(args.sweep_rounds):
        for name, run in [("unravel", lambda: sweep_unravel(base + ".h5", data, args.batch, args.threads,
                                                             args.sweep_images)),
                          ("pytorch", lambda: sweep_torch(args.depth, args.batch, args.threads,
                                                          args.torch_sweep_images)),
                          ("unravel_scale", lambda: sweep_unravel(base + ".h5", data, args.batch, args.threads,
                                                                   args.sweep_images, ("scale", "--alphas", args.scale_alphas))),
                          ("pytorch_scale", lambda: sweep_torch_scale(args.depth, args.batch, args.threads,
                                                                      args.torch_scale_images, alphas)),
                          ("unravel_recalibrated", lambda: sweep_unravel(
                              base + ".h5", data, args.batch, args.threads, min(args.recalibrated_sweep_images, args.sweep_images),
                              ("scale", "--alphas", args.scale_alphas, "--recalibrate-bn",
                               "--recalibrate-limit", str(args.recalibration_images)))),
                          ("pytorch_recalibrated", lambda: sweep_torch_scale_recalibrated(
                              args.depth, args.batch, args.threads, min(args.recalibrated_sweep_images, args.sweep_images),
                              alphas, args.recalibration_images))]:
            if isinstance(sweep.get(name), str) or (name.startswith("unravel") and data is None):
                continue
            try:
                sweep[name] = max(sweep.get(name, 0.0), run())
            except Exception as error:
                sweep[name] = f"{type(error).__name__}: {error}"

    policy = os.environ.get("OMP_WAIT_POLICY", "default (active spin)")
    print(f"CIFAR ResNet-{args.depth}, batch {args.batch}, {args.threads} threads, OMP_WAIT_POLICY={policy}, "
          f"best of {args.rounds} rounds")
    print(f"{'':14}{'forward img/s':>15}{'fwd+input grad img/s':>22}   version")
    for name, r in results.items():
        if name == "peak":
            continue
        if "absent" in r:
            print(f"{name:14}{'absent':>15}{'':>22}   {r['absent']}")
            continue
        gradient = f"{r['gradient']:.0f}" if "gradient" in r else "-"
        print(f"{name:14}{r['forward']:15.0f}{gradient:>22}   {r['version']}")
    ours = results["unravel"]
    if "absent" not in ours:
        for name in ("pytorch", "onnxruntime"):
            other = results[name]
            if "absent" in other:
                continue
            line = f"unravel / {name}: forward {ours['forward'] / other['forward']:.2f}x"
            if "gradient" in other:
                line += f", forward+input gradient {ours['gradient'] / other['gradient']:.2f}x"
            print(line)

    blocks = 3 * (args.depth - 2) // 6
    try:
        cost = bench_unravel(base + ".h5", args.batch, args.threads, args.seconds, paths=True)["decomposition"]
        print(f"\nexact gradient decomposition over all {blocks + 1} path lengths: {cost:.1f} full input-gradient passes "
              f"(target at most n/2 + 2 = {blocks / 2 + 2:.0f})")
    except Exception as error:
        print(f"\nexact gradient decomposition: failed ({error})")
    drop_ratio = print_sweep(f"\ndrop-one sweep ({blocks} blocks, {blocks + 1} variants), images/s through the whole sweep:", sweep,
                             ("unravel", f"unravel `lesion drop`, {args.sweep_images} images, shared prefixes"),
                             ("pytorch", f"pytorch naive loop, {args.torch_sweep_images} images, a full pass per variant"),
                             "drop-one sweep", digits=1)
    variants = 1 + blocks * len(alphas)
    print_sweep(f"\nscale sweep (α = {args.scale_alphas} on each of {blocks} blocks, {variants} variants), images/s:", sweep,
                ("unravel_scale", f"unravel `lesion scale`, {args.sweep_images} images, shared prefixes"),
                ("pytorch_scale", f"pytorch naive loop, {args.torch_scale_images} images, a full pass per variant"),
                "scale sweep", versus=drop_ratio)
    print_sweep(f"scale sweep with batch norms re-estimated on {args.recalibration_images} images per variant, "
                f"{min(args.recalibrated_sweep_images, args.sweep_images)} images evaluated by both, images/s:", sweep,
                ("unravel_recalibrated", "unravel `lesion scale --recalibrate-bn` (both groups)"),
                ("pytorch_recalibrated", "pytorch: per variant evaluation, a train-mode pass, evaluation again"),
                "recalibrated scale sweep", versus=drop_ratio)
    print_ceilings(results, sweep, *network_macs(base + ".h5"))


def print_sweep(title, sweep, ours, theirs, what, digits=2, versus=None):
    """Both rates of one sweep and their ratio (beside drop-one's, `versus`); returns the ratio."""
    print(title)
    for name, label in (ours, theirs):
        value = sweep[name]
        print(f"  {label}: " + (f"{value:.{digits}f}" if isinstance(value, float) else f"absent ({value})"))
    if not all(isinstance(sweep.get(name), float) for name, _ in (ours, theirs)):
        return None
    ratio = sweep[ours[0]] / sweep[theirs[0]]
    print(f"unravel / pytorch {what}: {ratio:.2f}x" + (f" (drop-one: {versus:.2f}x)" if versus is not None else ""))
    return ratio


def print_ceilings(results, sweep, total_macs, block_macs):
    """Each rate as a share of the machine's FP32 peak, and the best ratio over PyTorch that any
    engine doing the same arithmetic could reach at 100% of that peak."""
    peak = results.get("peak", {})
    if "gflops" not in peak:
        print(f"\nFP32 peak: not measured ({peak.get('absent', 'bench/peak.c not built')})")
        return
    gflops = peak["gflops"]
    print(f"\nFP32 peak of this machine (bench/peak.c, FMA on every thread): {gflops:.0f} GFLOP/s")
    forward_flop = 2 * total_macs        # per image; backward-data repeats every multiply-add once
    work = {"forward": forward_flop, "gradient": 2 * forward_flop}
    for name, r in results.items():
        if name == "peak" or "absent" in r:
            continue
        shares = [f"{key} {r[key] * flop * 1e-9:.0f} GFLOP/s = {100 * r[key] * flop * 1e-9 / gflops:.0f}%"
                  for key, flop in work.items() if key in r]
        print(f"  {name}: " + ", ".join(shares))
    torch, ours = results.get("pytorch", {}), results.get("unravel", {})
    if "absent" in torch or "absent" in ours:
        return
    print("best ratio over PyTorch any engine could reach at 100% of peak, exact FP32 arithmetic:")
    for key, flop in work.items():
        ceiling = gflops * 1e9 / flop
        label = "forward" if key == "forward" else "forward+input gradient"
        print(f"  {label}: {ceiling / torch[key]:.2f}x (unravel reaches {ours[key] / torch[key]:.2f}x)")
    if isinstance(sweep.get("pytorch"), float):
        ceiling = gflops * 1e9 / (2 * sweep_macs(total_macs, block_macs))
        line = f"  drop-one sweep on shared prefixes: {ceiling / sweep['pytorch']:.2f}x"
        if isinstance(sweep.get("unravel"), float):
            line += f" (unravel reaches {sweep['unravel'] / sweep['pytorch']:.2f}x)"
        print(line)


if __name__ == "__main__":
    main()
