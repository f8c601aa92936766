# %% [markdown]
# # Plotting an Unravel results file
#
# Reads a results file written by `lesion study` (or `drop`, `drop-many`, `reorder`, `paths`,
# `grads`, `lens`, `probe-linear`, `cka`, `inference`) with h5py and draws the figures of Veit, Wilber & Belongie (NeurIPS 2016) with
# matplotlib. This script is the plain twin of `plot_results.ipynb` (cells are marked `# %%`);
# `python3 notebooks-export/sync_notebooks.py` rebuilds the notebook from it.
#
#     python3 notebooks-export/plot_results.py results.h5 --out plots/

# %%
import argparse
import os
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

EXPERIMENTS = {"drop_one", "drop_many", "reorder", "paths", "grads_exact", "grads_sampled", "highway_gates", "model",
               "lens", "linear_probes", "cka", "inference"}


def networks(f):
    """(name, group) per network: the root itself, or one group per network (the bundled study)."""
    if EXPERIMENTS & set(f.keys()):
        return [(f["model"].attrs["name"] if "model" in f else "network", f)]
    return [(g["model"].attrs["name"] if "model" in g else name, g) for name, g in f.items()]


# %% [markdown]
# ## Removing one block (Fig. 3): a ResNet barely notices, except at downsampling blocks

# %%
def plot_drop_one(nets, ax):
    for name, g in nets:
        if "drop_one/error" not in g:
            continue
        blocks, error = g["drop_one/variants/block"][1:], g["drop_one/error"][()]
        (line,) = ax.plot(blocks, 100 * error[1:], "o-", ms=3, label=name)
        ax.axhline(100 * error[0], ls="--", color=line.get_color(), lw=1)
        if "model" in g:
            for b in g["model"].attrs["downsampling_blocks"]:
                ax.axvline(b, color="grey", ls=":", lw=1)
    ax.set(xlabel="removed block", ylabel="test error (%)", title="Error when one block is removed")
    ax.legend(fontsize=7)


# %% [markdown]
# ## Removing k blocks (Fig. 5a) and reordering (Fig. 5b): smooth degradation

# %%
def plot_drop_many(nets, ax):
    for name, g in nets:
        if "drop_many/error" not in g:
            continue
        k, error = g["drop_many/variants/k"][1:], g["drop_many/error"][1:]
        ks = np.unique(k)
        mean = [error[k == v].mean() for v in ks]
        ax.fill_between(ks, [100 * error[k == v].min() for v in ks], [100 * error[k == v].max() for v in ks], alpha=0.2)
        ax.plot(ks, 100 * np.array(mean), "o-", ms=3, label=name)
    ax.set(xlabel="blocks removed (k)", ylabel="test error (%)", title="Error when k random blocks are removed")
    ax.legend(fontsize=7)


def plot_reorder(nets, ax):
    for name, g in nets:
        if "reorder/error" in g:
            ax.scatter(g["reorder/variants/kendall_tau"][()], 100 * g["reorder/error"][()], s=10, alpha=0.6, label=name)
    ax.set(xlabel="Kendall τ", ylabel="test error (%)", title="Error against Kendall τ")
    ax.legend(fontsize=7)


# %% [markdown]
# ## Paths (Fig. 6): their lengths, the gradient each carries, and where the gradient comes from

# %%
def plot_paths(nets, ax):
    for name, g in nets:
        if "paths/share" in g:
            share = g["paths/share"][()]
            ax.bar(np.arange(len(share)), share, alpha=0.6, label=name)
    ax.set(xlabel="path length", ylabel="share of paths", title="Distribution of path lengths")
    ax.legend(fontsize=7)


def gradient_series(g):
    if "grads_exact/norm_of_sum" in g:
        e = g["grads_exact"]
        lengths = e["length"][()]
        return "exact", lengths, e["norm_of_sum_per_path"][()], e["norm_of_sum"][()], tuple(e.attrs["effective_lengths_90"])
    if "grads_sampled/mean_norm" in g:
        s = g["grads_sampled"]
        total = s["total_contribution"][()]
        return "sampled", s["length"][()], s["mean_norm"][()], total, None
    return None


def plot_magnitude(nets, ax):
    for name, g in nets:
        series = gradient_series(g)
        if series:
            ax.semilogy(series[1], series[2], "o-", ms=3, label=f"{name} ({series[0]})")
    ax.set(xlabel="path length", ylabel="‖∂L/∂x‖ per path", title="Gradient magnitude per path")
    ax.legend(fontsize=7)


def plot_total(nets, ax):
    for name, g in nets:
        series = gradient_series(g)
        if not series:
            continue
        (line,) = ax.plot(series[1], series[3], "o-", ms=3, label=name)
        if series[4]:
            ax.axvspan(series[4][0] - 0.5, series[4][1] + 0.5, color=line.get_color(), alpha=0.15)
    ax.set(xlabel="path length", ylabel="total contribution", title="Total gradient contribution (shaded: 90%)")
    ax.legend(fontsize=7)


# %% [markdown]
# ## What each block knows: logit lens, linear probes, CKA, iterative inference
#
# NaN marks a block a probe could not read (the lens skips blocks whose channels are not the
# head's unless `--project` was given; a downsampling branch has no inference cosine).

# %%
def per_block(nets, ax, group, column, whole):
    """One line per network of a per-block column in percent, the whole network's value dashed."""
    for name, g in nets:
        if f"{group}/{column}" not in g:
            continue
        (line,) = ax.plot(g[f"{group}/block"][()], 100 * g[f"{group}/{column}"][()], "o-", ms=3, label=name)
        value = whole(g)
        if value is not None:
            ax.axhline(100 * value, ls="--", color=line.get_color(), lw=1)
    ax.legend(fontsize=7)


def plot_lens(nets, ax):
    """Solid: the head on the blocks it can read; dashed: every block through the fitted projection."""
    for name, g in nets:
        if "lens/error" not in g:
            continue
        blocks = g["lens/block"][()]
        (line,) = ax.plot(blocks, 100 * g["lens/error"][()], "o-", ms=3, label=name)
        if "lens/projected_error" in g:
            ax.plot(blocks, 100 * g["lens/projected_error"][()], "--", color=line.get_color(), label=f"{name}, projected")
    ax.set(xlabel="block", ylabel="test error (%)", title="Logit lens: the head on each block's output")
    ax.legend(fontsize=7)


def plot_linear_probes(nets, ax):
    per_block(nets, ax, "linear_probes", "accuracy", lambda g: g["linear_probes"].attrs["network_accuracy"])
    ax.set(xlabel="block", ylabel="held-out accuracy (%)", title="Linear probes (dashed: the whole network)")


def plot_cka(nets, ax):
    """The first network's CKA matrix; downsampling blocks dotted."""
    for name, g in nets:
        if "cka/matrix" not in g:
            continue
        image = ax.imshow(g["cka/matrix"][()], vmin=0, vmax=1, cmap="Blues", origin="upper")
        for b in g["cka"].attrs["row_downsampling_blocks"]:
            ax.axhline(b - 0.5, color="grey", ls=":", lw=1)
            ax.axvline(b - 0.5, color="grey", ls=":", lw=1)
        ax.figure.colorbar(image, ax=ax, label="linear CKA")
        ax.set(xlabel=f"block of {g['cka'].attrs['columns']}", ylabel="block", title=f"CKA between block outputs: {name}")
        return


def plot_inference(nets, ax):
    for name, g in nets:
        if "inference/cosine" not in g:
            continue
        ax.plot(g["inference/block"][()], g["inference/cosine"][()], "o-", ms=3, label=name)
    ax.axhline(0, color="grey", lw=1)
    ax.set(xlabel="block", ylabel="cos(f(h), −∂L/∂h)", title="Iterative inference: branch against the loss gradient")
    ax.legend(fontsize=7)


# %% [markdown]
# ## All figures, one PNG each

# %%
FIGURES = {"drop_one": plot_drop_one, "drop_many": plot_drop_many, "reorder": plot_reorder, "paths": plot_paths,
           "gradient_magnitude": plot_magnitude, "total_contribution": plot_total, "lens": plot_lens,
           "linear_probes": plot_linear_probes, "cka": plot_cka, "inference": plot_inference}


def plot_all(path, out):
    os.makedirs(out, exist_ok=True)
    written = []
    with h5py.File(path, "r") as f:
        nets = networks(f)
        for name, draw in FIGURES.items():
            fig, ax = plt.subplots(figsize=(6, 3.6))
            draw(nets, ax)
            fig.tight_layout()
            target = os.path.join(out, f"{name}.png")
            fig.savefig(target, dpi=110)
            plt.close(fig)
            written.append(target)
    return written


# %%
if __name__ == "__main__" and "ipykernel" not in sys.modules:
    parser = argparse.ArgumentParser(description="Draw an Unravel results file's figures as PNGs.")
    parser.add_argument("results")
    parser.add_argument("--out", default="plots")
    args = parser.parse_args()
    for target in plot_all(args.results, args.out):
        print("wrote", target)
