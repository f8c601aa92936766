"""`make bench`: Unravel beside PyTorch eager and onnxruntime on the network forms users run
(bench/forms.py: CIFAR ResNet-110, torchvision ResNet-50 at 224, the pre-activation and highway
forms; ResNet-152 with --long), same threads, same weights, in one run with the machine's FP32
peak measured in the same rounds. Prints images/s, ratios, shares of the peak and peak memory,
then the sweeps against PyTorch's naive loops, and a summary table.

    python3 bench/bench.py [--forms cifar110,resnet50] [--long] [--threads 2] [--seconds 5]

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
sys.path.insert(0, HERE)
from forms import FORMS  # noqa: E402


def rate(fn, batch, seconds):
    """Images/s: one warm-up call, then the median time of repeated calls."""
    fn()
    times, start = [], time.perf_counter()
    while time.perf_counter() - start < seconds or len(times) < 3:
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return batch / statistics.median(times)


def bench_torch(form, threads, seconds):
    import torch

    torch.set_num_threads(threads)
    model = form.build()
    x = torch.randn(form.batch, *form.input)
    labels = torch.arange(form.batch) % 10

    def forward():
        with torch.no_grad():
            model(x)

    def gradient():
        xx = x.clone().requires_grad_(True)
        loss = torch.nn.functional.cross_entropy(model(xx), labels, reduction="sum")
        torch.autograd.grad(loss, xx)

    return {"forward": rate(forward, form.batch, seconds), "gradient": rate(gradient, form.batch, seconds),
            "version": torch.__version__}


def bench_onnxruntime(path, form, threads, seconds):
    import numpy as np
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    x = np.random.randn(form.batch, *form.input).astype(np.float32)
    return {"forward": rate(lambda: session.run(None, {"x": x}), form.batch, seconds), "version": ort.__version__}


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
    # --force replaces this experiment's results, but lesion refuses a results file made on other
    # data (the CIFAR and ResNet-50 sweeps use different data), so each sweep starts a new file.
    for stale in (out, out + ".lock"):
        if os.path.exists(stale):
            os.remove(stale)
    start = time.perf_counter()
    # stderr is kept and shown only on failure: on noise, lesion rightly warns that most of a
    # 1000-class model's classes have no image, which says nothing about speed.
    run = subprocess.run([binary, *command, model, data, "-o", out, "--batch-size", str(batch), "--threads",
                          str(threads), "--limit", str(images), "--force", "--quiet"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if run.returncode != 0:
        raise RuntimeError(f"lesion {command[0]} failed (exit {run.returncode}): {run.stderr.strip()}")
    return images / elapsed


def torch_bench_model(form, threads, images):
    """torch, the form's network in PyTorch, its blocks in order, and `images` random inputs."""
    import torch

    torch.set_num_threads(threads)
    model = form.build()
    x = torch.randn(images, *form.input, generator=torch.Generator().manual_seed(0))
    return torch, model, form.blocks(model), x


def scaled_forward(torch, block, alpha):
    """A CIFAR basic block with its branch multiplied by α: relu(α·branch + shortcut)."""
    b = block
    return lambda t: torch.relu(alpha * b.bn2(b.conv2(torch.relu(b.bn1(b.conv1(t))))) + b.shortcut(t))


def classify(model, x, batch):
    for first in range(0, len(x), batch):
        model(x[first:first + batch]).argmax(1)


def sweep_torch(form, batch, threads, images):
    """The naive PyTorch loop: one full pass over the images per variant (intact + each block removed)."""
    torch, model, blocks, x = torch_bench_model(form, threads, images)
    start = time.perf_counter()
    with torch.no_grad():
        classify(model, x, batch)
        for block in blocks:
            original = block.forward
            block.forward = form.lesioned(torch, block)   # the block becomes what its shortcut leaves
            classify(model, x, batch)
            block.forward = original
    return images / (time.perf_counter() - start)


def sweep_torch_scale(form, batch, threads, images, alphas):
    """The naive PyTorch loop for the scale sweep: one full pass per variant, each block's branch
    multiplied by each α in turn (α = 0 is the lesion)."""
    torch, model, blocks, x = torch_bench_model(form, threads, images)
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


def sweep_torch_scale_recalibrated(form, batch, threads, images, alphas, recalibration_images):
    """The PyTorch script a researcher would write for what `lesion scale --recalibrate-bn`
    writes, both groups: per variant, evaluate with the trained statistics, then reset every batch
    norm, run one train-mode pass over the recalibration images with cumulative averages (momentum
    None), and evaluate again. (Unravel re-estimates only the batch norms after the changed block,
    from population statistics layer by layer; the work is comparable, a pass over the
    recalibration images per variant.)"""
    import copy

    torch, trained, blocks, x = torch_bench_model(form, threads, images)
    r = torch.randn(recalibration_images, *form.input, generator=torch.Generator().manual_seed(1))
    start = time.perf_counter()
    with torch.no_grad():
        classify(trained, x, batch)
        for index in range(len(blocks)):
            for alpha in alphas:
                model = copy.deepcopy(trained)
                block = form.blocks(model)[index]
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


def make_sweep_data(folder, images, size=32):
    import numpy as np

    sys.path.insert(0, os.path.join(ROOT, "notebooks-export"))
    import make_dataset

    path = os.path.join(folder, f"noise{images}" + ("" if size == 32 else f"-{size}") + ".h5")
    if not os.path.exists(path):
        rng = np.random.default_rng(0)
        with open(os.devnull, "w") as quiet:
            stdout, sys.stdout = sys.stdout, quiet
            try:
                make_dataset.write(path, rng.standard_normal((images, 3, size, size)).astype(np.float32),
                                   rng.integers(0, 10, images), [str(c) for c in range(10)], "standard-normal noise")
            finally:
                sys.stdout = stdout
    return path


def peak_rss(arguments):
    """Peak resident memory (MB) of one `lesion` run. A small Python process starts it and reads
    its children's peak: measured from this process, the child would be charged with this
    process's own memory (torch loaded) from before its exec."""
    probe = ("import resource, subprocess, sys\n"
             "run = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)\n"
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if run.returncode == 0 else run.stderr)")
    out = subprocess.run([sys.executable, "-c", probe, os.path.join(ROOT, ".build", "release", "lesion"), *arguments],
                         capture_output=True, text=True).stdout.strip()
    try:
        return int(out) / 1024
    except ValueError:
        raise RuntimeError(f"lesion {arguments[0]} failed: {out}") from None


def memory(path, data, form, threads):
    """Peak RSS of `lesion eval` and of a recorded input-gradient pass (`lesion predict
    --input-gradients`), each over two batches of the form's size."""
    folder = os.path.dirname(data)
    common = ["--batch-size", str(form.batch), "--threads", str(threads), "--limit", str(2 * form.batch)]
    return {"eval": peak_rss(["eval", path, data, "--quiet", *common]),
            "gradient": peak_rss(["predict", path, data, "-o", os.path.join(folder, "rss.h5"), "--force", "--quiet",
                                  "--input-gradients", *common])}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--forms", default="cifar110,resnet50,preact110,highway",
                        help=f"comma-separated, of {', '.join(FORMS)}")
    parser.add_argument("--long", action="store_true", help="also the long forms (torchvision ResNet-152 at 224)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3, help="turns each framework takes; each keeps its best")
    parser.add_argument("--sweep-images", type=int, default=1024, help="images for the CIFAR drop-one and scale sweeps")
    parser.add_argument("--torch-sweep-images", type=int, default=256,
                        help="images for PyTorch's naive sweep (it is slow; its rate is per image)")
    parser.add_argument("--sweep-rounds", type=int, default=2, help="turns each sweep takes")
    parser.add_argument("--scale-alphas", default="0,0.5,1.5,2", help="the scale sweep's branch scales")
    parser.add_argument("--recalibration-images", type=int, default=128,
                        help="images batch norms are re-estimated on in the recalibrated scale sweep")
    parser.add_argument("--recalibrated-sweep-images", type=int, default=128,
                        help="images both recalibrated scale sweeps evaluate (the same for both: the re-estimation "
                             "is paid per variant, not per image)")
    parser.add_argument("--torch-scale-images", type=int, default=64,
                        help="images for PyTorch's naive scale sweep (a full pass per variant: 4 per block)")
    parser.add_argument("--resnet50-sweep-images", type=int, default=128, help="images for ResNet-50's drop-one sweep")
    parser.add_argument("--torch-resnet50-sweep-images", type=int, default=32,
                        help="images for PyTorch's naive drop-one loop on ResNet-50")
    parser.add_argument("--no-sweeps", action="store_true", help="only forward and gradient rates and memory")
    args = parser.parse_args()
    keys = [k for k in args.forms.split(",") if k] + [f.key for f in FORMS.values() if f.long and args.long]
    unknown = [k for k in keys if k not in FORMS]
    if unknown:
        parser.error(f"unknown form(s) {', '.join(unknown)}; choose from {', '.join(FORMS)}")

    folder = os.path.join(ROOT, ".build", "unravel", "bench")
    os.makedirs(folder, exist_ok=True)
    measured = {}
    for key in keys:
        form = FORMS[key]
        base = os.path.join(folder, form.key)
        if not os.path.exists(base + ".h5"):
            subprocess.run([sys.executable, os.path.join(HERE, "make_bench_model.py"), folder, "--form", form.key],
                           check=True, stdout=subprocess.DEVNULL)
        measured[key] = measure_form(form, base, args)
        report_form(form, measured[key], args, network_macs(base + ".h5")[0])

    if args.no_sweeps:
        return print_summary(measured)
    if "cifar110" in keys:
        cifar_sweeps(FORMS["cifar110"], os.path.join(folder, "cifar110"), folder, args, measured["cifar110"]["results"])
    if "resnet50" in keys:
        resnet50_sweep(FORMS["resnet50"], os.path.join(folder, "resnet50"), folder, args, measured["resnet50"]["results"])
    print_summary(measured)


def measure_form(form, base, args):
    """Rounds of the peak and each engine on one form, each keeping its best rate; then memory."""
    # Shared machines are noisy: the frameworks take turns for several rounds, and each keeps its
    # best rate, so a burst of load elsewhere does not decide a ratio.
    results = {}
    for _ in range(args.rounds):
        for name, run in [("peak", lambda: machine_peak(args.threads, 2)),
                          ("unravel", lambda: bench_unravel(base + ".h5", form.batch, args.threads, args.seconds)),
                          ("pytorch", lambda: bench_torch(form, args.threads, args.seconds)),
                          ("onnxruntime", lambda: bench_onnxruntime(base + ".onnx", form, args.threads, args.seconds))]:
            if "absent" in results.get(name, {}):
                continue
            try:
                value = run()
            except Exception as error:  # absent framework or failed run: say so
                results[name] = {"absent": f"{type(error).__name__}: {error}"}
                continue
            best = results.setdefault(name, value)
            for key in ("forward", "gradient", "gflops"):
                if key in value:
                    best[key] = max(best[key], value[key])
    try:
        rss = memory(base + ".h5", make_sweep_data(os.path.dirname(base), 2 * form.batch, form.size), form, args.threads)
    except Exception as error:
        rss = {"absent": f"{type(error).__name__}: {error}"}
    return {"results": results, "memory": rss}


def report_form(form, measured, args, total_macs):
    results = measured["results"]
    policy = os.environ.get("OMP_WAIT_POLICY", "default (active spin)")
    print(f"\n== {form.title}, batch {form.batch}, {args.threads} threads, OMP_WAIT_POLICY={policy}, "
          f"best of {args.rounds} rounds")
    print(f"{'':14}{'forward img/s':>15}{'fwd+input grad img/s':>22}   version")
    for name, r in results.items():
        if name == "peak":
            continue
        if "absent" in r:
            print(f"{name:14}{'absent':>15}{'':>22}   {r['absent']}")
            continue
        gradient = f"{r['gradient']:.1f}" if "gradient" in r else "-"
        print(f"{name:14}{r['forward']:15.1f}{gradient:>22}   {r['version']}")
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
    rss = measured["memory"]
    print("peak RSS: " + (f"lesion eval {rss['eval']:.0f} MB, lesion predict --input-gradients {rss['gradient']:.0f} MB"
                          if "absent" not in rss else f"not measured ({rss['absent']})"))
    print_ceilings(results, total_macs)


def cifar_sweeps(form, base, folder, args, results):
    """Drop-one, scale and recalibrated scale sweeps on CIFAR ResNet-110, each against PyTorch."""
    sweep = {}
    try:
        data = make_sweep_data(folder, args.sweep_images)
    except Exception as error:
        data, sweep["unravel"] = None, f"{type(error).__name__}: {error}"
    alphas = [float(a) for a in args.scale_alphas.split(",")]
    recalibrated_images = min(args.recalibrated_sweep_images, args.sweep_images)
    take_turns(sweep, args.sweep_rounds, data, [
        ("unravel", lambda: sweep_unravel(base + ".h5", data, form.batch, args.threads,
                                           args.sweep_images)),
        ("pytorch", lambda: sweep_torch(form, form.batch, args.threads, args.torch_sweep_images)),
        ("unravel_scale", lambda: sweep_unravel(base + ".h5", data, form.batch, args.threads,
                                                 args.sweep_images, ("scale", "--alphas", args.scale_alphas))),
        ("pytorch_scale", lambda: sweep_torch_scale(form, form.batch, args.threads,
                                                    args.torch_scale_images, alphas)),
        ("unravel_recalibrated", lambda: sweep_unravel(
            base + ".h5", data, form.batch, args.threads, recalibrated_images,
            ("scale", "--alphas", args.scale_alphas, "--recalibrate-bn",
             "--recalibrate-limit", str(args.recalibration_images)))),
        ("pytorch_recalibrated", lambda: sweep_torch_scale_recalibrated(
            form, form.batch, args.threads, recalibrated_images, alphas, args.recalibration_images))])

    total, blocks_macs = network_macs(base + ".h5")
    blocks = len(blocks_macs)
    print(f"\n== sweeps on {form.title}")
    try:
        cost = bench_unravel(base + ".h5", form.batch, args.threads, args.seconds, paths=True)["decomposition"]
        print(f"exact gradient decomposition over all {blocks + 1} path lengths: {cost:.1f} full input-gradient passes "
              f"(target at most n/2 + 2 = {blocks / 2 + 2:.0f})")
    except Exception as error:
        print(f"exact gradient decomposition: failed ({error})")
    drop_ratio = print_sweep(f"drop-one sweep ({blocks} blocks, {blocks + 1} variants), images/s through the whole sweep:", sweep,
                             ("unravel", f"unravel `lesion drop`, {args.sweep_images} images, shared prefixes"),
                             ("pytorch", f"pytorch naive loop, {args.torch_sweep_images} images, a full pass per variant"),
                             "drop-one sweep", digits=1)
    variants = 1 + blocks * len(alphas)
    print_sweep(f"\nscale sweep (α = {args.scale_alphas} on each of {blocks} blocks, {variants} variants), images/s:", sweep,
                ("unravel_scale", f"unravel `lesion scale`, {args.sweep_images} images, shared prefixes"),
                ("pytorch_scale", f"pytorch naive loop, {args.torch_scale_images} images, a full pass per variant"),
                "scale sweep", versus=drop_ratio)
    print_sweep(f"scale sweep with batch norms re-estimated on {args.recalibration_images} images per variant, "
                f"{recalibrated_images} images evaluated by both, images/s:", sweep,
                ("unravel_recalibrated", "unravel `lesion scale --recalibrate-bn` (both groups)"),
                ("pytorch_recalibrated", "pytorch: per variant evaluation, a train-mode pass, evaluation again"),
                "recalibrated scale sweep", versus=drop_ratio)
    print_sweep_ceiling(results, sweep, total, blocks_macs)


def resnet50_sweep(form, base, folder, args, results):
    """Drop-one on ResNet-50's 16 blocks against PyTorch's naive loop."""
    sweep = {}
    try:
        data = make_sweep_data(folder, args.resnet50_sweep_images, form.size)
    except Exception as error:
        data, sweep["unravel"] = None, f"{type(error).__name__}: {error}"
    take_turns(sweep, args.sweep_rounds, data, [
        ("unravel", lambda: sweep_unravel(base + ".h5", data, form.batch, args.threads, args.resnet50_sweep_images)),
        ("pytorch", lambda: sweep_torch(form, form.batch, args.threads, args.torch_resnet50_sweep_images))])
    total, blocks_macs = network_macs(base + ".h5")
    print(f"\n== sweeps on {form.title}")
    print_sweep(f"drop-one sweep ({len(blocks_macs)} blocks, {len(blocks_macs) + 1} variants), images/s through the whole sweep:",
                sweep, ("unravel", f"unravel `lesion drop`, {args.resnet50_sweep_images} images, shared prefixes"),
                ("pytorch", f"pytorch naive loop, {args.torch_resnet50_sweep_images} images, a full pass per variant"),
                "drop-one sweep", digits=2)
    print_sweep_ceiling(results, sweep, total, blocks_macs)


def take_turns(sweep, rounds, data, runners):
    """Each sweep in turn for `rounds` rounds, keeping its best rate; a failure is kept as its
    message, and Unravel's sweeps are skipped when their data could not be made."""
    for _ in range(rounds):
        for name, run in runners:
            if isinstance(sweep.get(name), str) or (name.startswith("unravel") and data is None):
                continue
            try:
                sweep[name] = max(sweep.get(name, 0.0), run())
            except Exception as error:
                sweep[name] = f"{type(error).__name__}: {error}"


def print_summary(measured):
    """One line per form: the ratios and shares of the peak, for a closing note."""
    print("\n== summary (forward, forward+input gradient; ratios; share of the FP32 peak measured in the same rounds)")
    print("| form | fwd U/P/O img/s | U/P, U/O | share | fwd+grad U/P | U/P | share | peak RSS eval / grad |")
    print("|---|---|---|---|---|---|---|---|")
    for key, m in measured.items():
        r = m["results"]
        u, p, o = (r.get(k, {}) for k in ("unravel", "pytorch", "onnxruntime"))
        if "absent" in u:
            print(f"| {key} | absent | | | | | | |")
            continue
        macs = network_macs(os.path.join(ROOT, ".build", "unravel", "bench", key + ".h5"))[0]
        gflops = r.get("peak", {}).get("gflops")

        def share(rate, flop):
            return f"{100 * rate * flop * 1e-9 / gflops:.0f}%" if gflops else "-"

        def val(x, k):
            return f"{x[k]:.1f}" if k in x else "-"

        def ratio(x, k):
            return f"{u[k] / x[k]:.2f}x" if k in x and k in u else "-"
        rss = m["memory"]
        memory_text = f"{rss['eval']:.0f} / {rss['gradient']:.0f} MB" if "absent" not in rss else "-"
        print(f"| {key} | {val(u, 'forward')} / {val(p, 'forward')} / {val(o, 'forward')} | {ratio(p, 'forward')}, "
              f"{ratio(o, 'forward')} | {share(u['forward'], 2 * macs)} | {val(u, 'gradient')} / {val(p, 'gradient')} | "
              f"{ratio(p, 'gradient')} | {share(u['gradient'], 4 * macs)} | {memory_text} |")


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


def print_ceilings(results, total_macs):
    """Each rate as a share of the machine's FP32 peak, and the best ratio over PyTorch that any
    engine doing the same arithmetic could reach at 100% of that peak."""
    peak = results.get("peak", {})
    if "gflops" not in peak:
        print(f"FP32 peak: not measured ({peak.get('absent', 'bench/peak.c not built')})")
        return
    gflops = peak["gflops"]
    print(f"FP32 peak of this machine (bench/peak.c, FMA on every thread): {gflops:.0f} GFLOP/s")
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


def print_sweep_ceiling(results, sweep, total_macs, block_macs):
    """The best drop-one ratio over PyTorch's naive loop any exact FP32 engine could reach."""
    gflops = results.get("peak", {}).get("gflops")
    if gflops and isinstance(sweep.get("pytorch"), float):
        ceiling = gflops * 1e9 / (2 * sweep_macs(total_macs, block_macs))
        line = f"best drop-one ratio any exact FP32 engine could reach on shared prefixes: {ceiling / sweep['pytorch']:.2f}x"
        if isinstance(sweep.get("unravel"), float):
            line += f" (unravel reaches {sweep['unravel'] / sweep['pytorch']:.2f}x, " \
                    f"{100 * sweep['unravel'] / (ceiling):.0f}% of the ceiling)"
        print(line)


if __name__ == "__main__":
    main()
