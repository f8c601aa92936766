"""Makes the oracles for Unravel's representation probes (Tests/AnalysisTests/Fixtures).

Each probe's formula is computed again here, independently of the Swift code: block outputs and
gradients come from the PyTorch model (forward hooks, autograd), the logit lens runs the model's
own head modules, and the ridge fits, CKA and cosines are written out in NumPy in float64.

The networks are the committed parity fixtures resnet20_a (post-activation, option A) and
preact20_a (pre-activation: its head normalises before pooling), loaded strictly from their
model files. The data are standard-normal images with labels drawn uniformly.

Inputs are redrawn (a new seed, printed) when any top-two logit margin that decides a counted
outcome (the lens, a probe's prediction, the network's own prediction) is below 1e-4: there the
two frameworks' float rounding could honestly disagree on an argmax, and the counts would test
rounding instead of the formula.

    .build/unravel/venv/bin/python notebooks-export/make_probe_fixtures.py Tests/AnalysisTests/Fixtures
"""
import os
import sys

import h5py
import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_dataset  # noqa: E402
import make_nets_fixtures as nf  # noqa: E402
import unravel_models as um  # noqa: E402

IMAGES = 44          # batches of 8: five full and a last one of 4 (CKA's smallest minibatch)
BATCH = 8
SPLIT_SEED = 5       # --split-seed: which images fit the linear probes and the lens projections
FRACTION = 0.5
ALPHA = 1e-3
GRADIENT_BATCHES = 3  # iterative inference reads the first 3 batches (24 images)
MARGIN = 1e-4
NETS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "NetsTests", "Fixtures")


def load(name, model):
    """The fixture model's weights, loaded strictly (every key, every shape)."""
    with h5py.File(os.path.join(NETS, f"{name}.model.h5"), "r") as f:
        state = {k: torch.from_numpy(np.array(v)) for k, v in f["weights"].items()}
    for key, value in model.state_dict().items():
        if key.endswith("num_batches_tracked"):
            state[key] = value
    model.load_state_dict(state, strict=True)
    return model.eval()


def fits(index):
    """ProbeSplit.fraction: image i fits when SplitMix64(seed + i)'s first draw < fraction·2⁶⁴."""
    return nf.SplitMix64(SPLIT_SEED + index).next() < FRACTION * 2.0 ** 64


def head(model, h):
    """The model's own head on a block output (N, C, H, W)."""
    if isinstance(model, um.PreActResNet):
        h = F.relu(model.bn(h))
    return model.linear(F.adaptive_avg_pool2d(h, 1).flatten(1))


def block_values(model, x):
    """Per block: input, output (forward hooks), and the branch output."""
    blocks = [parent[key] for parent, key in nf.blocks_in_order(model)]
    inputs, outputs = [], []
    def keep(_module, args, output):
        inputs.append(args[0])
        outputs.append(output)

    handles = [b.register_forward_hook(keep) for b in blocks]
    with torch.no_grad():
        logits = model(x)
    for handle in handles:
        handle.remove()
    with torch.no_grad():
        branches = [nf.branch_output(b, h) for b, h in zip(blocks, inputs)]
    return logits, inputs, outputs, branches


def top_two_margin(scores):
    top = np.sort(np.asarray(scores, dtype=np.float64), axis=1)
    return float((top[:, -1] - top[:, -2]).min())


def ridge(x, y, alpha):
    """RidgeRegression.solve: centred, λ = α·tr(Sxx)/d, intercept unpenalised (np.linalg.solve)."""
    x, y = x.astype(np.float64), y.astype(np.float64)
    mx, my = x.mean(0), y.mean(0)
    sxx = (x - mx).T @ (x - mx)
    lam = alpha * np.trace(sxx) / x.shape[1]
    w = np.linalg.solve(sxx + lam * np.eye(x.shape[1]), (x - mx).T @ (y - my))
    return w, my - mx @ w, lam


def hsic1(k, l):
    """Unbiased HSIC (Song et al. 2012), in matrix form."""
    n = k.shape[0]
    kt, lt = k - np.diag(np.diag(k)), l - np.diag(np.diag(l))
    one = np.ones(n)
    return (np.trace(kt @ lt) + kt.sum() * lt.sum() / ((n - 1) * (n - 2)) - 2 / (n - 2) * one @ kt @ lt @ one) / (n * (n - 3))


def minibatch_cka(rows, columns):
    """Nguyen et al. 2021: HSIC averaged over minibatches, then normalised. rows/columns: per
    block, the list of per-minibatch flattened outputs."""
    def mean_hsic(a, b):
        return np.mean([hsic1(p @ p.T, q @ q.T) for p, q in zip(a, b)])
    matrix = np.zeros((len(rows), len(columns)))
    for i, a in enumerate(rows):
        for j, b in enumerate(columns):
            matrix[i, j] = mean_hsic(a, b) / np.sqrt(mean_hsic(a, a) * mean_hsic(b, b))
    return matrix


def flattened_by_batch(outputs):
    """Per block, per minibatch of BATCH (those of at least 4 images), the (n, HWC) outputs in
    float64. The order within an image does not change a Gram matrix."""
    per_block = []
    for out in outputs:
        flat = out.detach().numpy().reshape(out.shape[0], -1).astype(np.float64)
        per_block.append([flat[s:s + BATCH] for s in range(0, len(flat), BATCH) if len(flat[s:s + BATCH]) >= 4])
    return per_block


def lens(model, outputs, logits, labels, rows):
    """Error, mean loss and agreement of the head on each 64-channel block output, on the images
    at `rows`; NaN elsewhere."""
    final = logits.argmax(1)[rows]
    error, loss, agree, margins = [], [], [], []
    for out in outputs:
        if out.shape[1] != 64:
            error.append(np.nan), loss.append(np.nan), agree.append(np.nan)
            continue
        with torch.no_grad():
            z = head(model, out[rows])
        margins.append(top_two_margin(z.numpy()))
        error.append(float((z.argmax(1) != labels[rows]).double().mean()))
        loss.append(float(F.cross_entropy(z.double(), labels[rows], reduction="mean")))
        agree.append(float((z.argmax(1) == final).double().mean()))
    return np.array(error), np.array(loss), np.array(agree), min(margins)


def projected_lens(model, outputs, logits, labels, fit_rows, eval_rows):
    """Every block through a ridge map from its pooled output to the last block's pooled output,
    which the head reads as a 1×1 map, on the held-out images; and the direct reading of the
    64-channel blocks on the same images."""
    target = outputs[-1].mean((2, 3)).numpy()
    final = logits.argmax(1)[eval_rows]
    error, loss, agree, margins, maps = [], [], [], [], {}
    for index, out in enumerate(outputs):
        pooled = out.mean((2, 3)).numpy()
        w, b, lam = ridge(pooled[fit_rows], target[fit_rows], ALPHA)
        maps[index] = np.concatenate([w, b[None, :]])
        projected = torch.from_numpy((pooled[eval_rows].astype(np.float64) @ w + b).astype(np.float32))
        with torch.no_grad():
            z = head(model, projected[:, :, None, None])
        margins.append(top_two_margin(z.numpy()))
        error.append(float((z.argmax(1) != labels[eval_rows]).double().mean()))
        loss.append(float(F.cross_entropy(z.double(), labels[eval_rows], reduction="mean")))
        agree.append(float((z.argmax(1) == final).double().mean()))
    direct = lens(model, outputs, logits, labels, eval_rows)
    return np.array(error), np.array(loss), np.array(agree), min(min(margins), direct[3]), maps, direct[:3]


def linear_probes(outputs, labels, fit_rows, eval_rows):
    accuracy, weights, margins = [], [], []
    onehot = np.eye(10)[labels.numpy()]
    for out in outputs:
        pooled = out.mean((2, 3)).numpy()
        w, b, lam = ridge(pooled[fit_rows], onehot[fit_rows], ALPHA)
        scores = pooled[eval_rows].astype(np.float64) @ w + b
        margins.append(top_two_margin(scores))
        accuracy.append(float((scores.argmax(1) == labels.numpy()[eval_rows]).mean()))
        weights.append(np.concatenate([w, b[None, :]]))
    return np.array(accuracy), weights, min(margins)


def inference(model, x, labels):
    """Per block, mean over images of cos(f(h), −∂L/∂h) (NaN where the shape changes) and
    ‖f(h)‖/‖h‖, with L the summed cross-entropy; autograd gives ∂L/∂h at each block input."""
    blocks = [parent[key] for parent, key in nf.blocks_in_order(model)]
    inputs = []

    def keep(_module, args):
        args[0].retain_grad()
        inputs.append(args[0])

    handles = [b.register_forward_pre_hook(keep) for b in blocks]
    x = x.clone().requires_grad_(True)
    F.cross_entropy(model(x), labels, reduction="sum").backward()
    for handle in handles:
        handle.remove()
    cosine, ratio = [], []
    for b, h in zip(blocks, inputs):
        with torch.no_grad():
            f = nf.branch_output(b, h).double().flatten(1)
        hv, g = h.detach().double().flatten(1), h.grad.double().flatten(1)
        ratio.append(float((f.norm(dim=1) / hv.norm(dim=1)).mean()))
        cosine.append(float(F.cosine_similarity(f, -g, dim=1, eps=1e-300).mean()) if f.shape == g.shape else np.nan)
    return np.array(cosine), np.array(ratio)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "Tests/AnalysisTests/Fixtures"
    os.makedirs(out, exist_ok=True)
    models = {"resnet20_a": load("resnet20_a", um.CifarResNet(20, "A")),
              "preact20_a": load("preact20_a", um.PreActResNet(20, "A"))}
    fit_rows = np.array([i for i in range(IMAGES) if fits(i)])
    eval_rows = np.array([i for i in range(IMAGES) if not fits(i)])
    seed = 0
    while True:
        generator = torch.Generator().manual_seed(seed)
        x = torch.randn(IMAGES, 3, 32, 32, generator=generator)
        labels = torch.randint(0, 10, (IMAGES,), generator=generator)
        results, worst = {}, np.inf
        for name, model in models.items():
            logits, inputs, outputs, _ = block_values(model, x)
            r = {"logits": logits}
            r["lens"] = lens(model, outputs, logits, labels, np.arange(IMAGES))
            r["projected"] = projected_lens(model, outputs, logits, labels, fit_rows, eval_rows)
            r["linear"] = linear_probes(outputs, labels, fit_rows, eval_rows)
            r["cka"] = minibatch_cka(flattened_by_batch(outputs), flattened_by_batch(outputs))
            r["outputs"] = outputs
            n = GRADIENT_BATCHES * BATCH
            r["inference"] = inference(model, x[:n], labels[:n])
            worst = min(worst, top_two_margin(logits.numpy()), r["lens"][3], r["projected"][3], r["linear"][2])
            results[name] = r
        if worst >= MARGIN:
            break
        print(f"seed {seed}: a top-two margin of {worst:.2e} < {MARGIN}: an argmax could flip on rounding; redrawing")
        seed += 1
    make_dataset.write(os.path.join(out, "probe_data.h5"), x.numpy(), labels.numpy(), [str(c) for c in range(10)],
                       f"make_probe_fixtures.py, torch seed {seed}")
    with h5py.File(os.path.join(out, "probes.expected.h5"), "w") as f:
        f.attrs.update(images=IMAGES, batch=BATCH, split_seed=SPLIT_SEED, fraction=FRACTION, alpha=ALPHA,
                       gradient_batches=GRADIENT_BATCHES, torch_version=str(torch.__version__), data_seed=seed)
        f["fit_rows"] = fit_rows
        for name, r in results.items():
            g = f.create_group(name)
            for key, values in zip(("error", "loss", "agreement"), r["lens"][:3]):
                g[f"lens/{key}"] = values
            for key, values in zip(("error", "loss", "agreement"), r["projected"][:3]):
                g[f"lens_projected/{key}"] = values
            for block, m in r["projected"][4].items():
                g[f"lens_projected/maps/block_{block}"] = m
            for key, values in zip(("error", "loss", "agreement"), r["projected"][5]):
                g[f"lens_projected/direct_{key}"] = values
            g["linear/accuracy"] = r["linear"][0]
            for block, w in enumerate(r["linear"][1]):
                g[f"linear/weights/block_{block}"] = w
            g["cka"] = r["cka"]
            g["inference/cosine"], g["inference/relative_norm"] = r["inference"]
        against = minibatch_cka(flattened_by_batch(results["resnet20_a"]["outputs"]),
                                flattened_by_batch(results["preact20_a"]["outputs"]))
        f["cka_resnet20_a_against_preact20_a"] = against
    print(f"wrote {out}/probe_data.h5 and probes.expected.h5 (data seed {seed}, worst margin {worst:.2e})")


if __name__ == "__main__":
    main()
