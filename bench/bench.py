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


def bench_unravel(path, batch, threads, seconds):
    binary = os.path.join(ROOT, ".build", "release", "lesion")
    out = subprocess.run([binary, "bench", path, "--batch-size", str(batch), "--threads", str(threads),
                          "--seconds", str(seconds), "--json"], check=True, capture_output=True, text=True)
    result = json.loads(out.stdout)
    return {"forward": result["forwardImagesPerSecond"], "gradient": result["gradientImagesPerSecond"],
            "version": "oneDNN " + result["oneDNN"]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--depth", type=int, default=110)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()

    folder = os.path.join(ROOT, ".build", "unravel", "bench")
    base = os.path.join(folder, f"resnet{args.depth}")
    if not os.path.exists(base + ".h5"):
        subprocess.run([sys.executable, os.path.join(HERE, "make_bench_model.py"), folder, "--depth", str(args.depth)],
                       check=True, stdout=subprocess.DEVNULL)

    results = {}
    for name, run in [("unravel", lambda: bench_unravel(base + ".h5", args.batch, args.threads, args.seconds)),
                      ("pytorch", lambda: bench_torch(args.depth, args.batch, args.threads, args.seconds)),
                      ("onnxruntime", lambda: bench_onnxruntime(base + ".onnx", args.batch, args.threads, args.seconds))]:
        try:
            results[name] = run()
        except Exception as error:  # absent framework or failed run: say so
            results[name] = {"absent": f"{type(error).__name__}: {error}"}

    policy = os.environ.get("OMP_WAIT_POLICY", "default (active spin)")
    print(f"CIFAR ResNet-{args.depth}, batch {args.batch}, {args.threads} threads, OMP_WAIT_POLICY={policy}")
    print(f"{'':14}{'forward img/s':>15}{'fwd+input grad img/s':>22}   version")
    for name, r in results.items():
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


if __name__ == "__main__":
    main()
