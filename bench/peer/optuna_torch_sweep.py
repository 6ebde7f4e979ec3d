#!/usr/bin/python3
"""The peer baseline of issue 7: a grid sweep with Optuna's GridSampler and PyTorch's ReduceLROnPlateau.

Run as its users would run it at its best: N worker processes, one torch thread each, sharing one
Optuna journal file; each trial trains the MLP with Adam and ReduceLROnPlateau and reports the
final val_loss. bench/peer.ts writes the job (data files and settings) and reads the one JSON line
this prints on stdout:

    /usr/bin/python3 bench/peer/optuna_torch_sweep.py JOB.json --workers 2

JOB.json: {"data": {"dir", "featureCount", "trainCount", "validationCount"}, "grid": {"learningRate",
"factor", "patience"[, "repeat"]}, "hidden": [{"kind": "dense", "units": 64}, {"kind": "batchNorm"},
{"kind": "dropout", "rate": 0.1}, ...], "epochs", "batchSize", "seed", "minDelta", "cooldown", "minLr",
"journal"}. "hidden" is the layer list before the one linear output (dense layers are relu); a grid
with "repeat" [0, 1, …] trains each configuration once per repeat, from seed + repeat. The data files are little-endian float32: x_train.f32, y_train.f32, x_val.f32, y_val.f32.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keras_fit import fit, run_grid_study  # noqa: E402


def load_split(data, name, rows):
    x = np.fromfile(os.path.join(data["dir"], f"x_{name}.f32"), dtype="<f4").reshape(rows, data["featureCount"])
    y = np.fromfile(os.path.join(data["dir"], f"y_{name}.f32"), dtype="<f4").reshape(rows, 1)
    return torch.from_numpy(x), torch.from_numpy(y)


def build_model(features, hidden, seed):
    # Keras defaults (glorot-uniform kernels, zero biases; batch norm with momentum 0.99, which is
    # PyTorch's 0.01, and epsilon 1e-3) so both sides train the same model from a seeded start
    # shared by every configuration of one seed.
    torch.manual_seed(seed)
    modules = []
    width = features
    for layer in hidden:
        if layer["kind"] == "dense":
            modules += [torch.nn.Linear(width, layer["units"]), torch.nn.ReLU()]
            width = layer["units"]
        elif layer["kind"] == "batchNorm":
            modules.append(torch.nn.BatchNorm1d(width, eps=1e-3, momentum=0.01))
        elif layer["kind"] == "dropout":
            modules.append(torch.nn.Dropout(layer["rate"]))
        else:
            raise ValueError(f"unknown layer kind {layer['kind']}")
    modules.append(torch.nn.Linear(width, 1))
    model = torch.nn.Sequential(*modules)
    for module in model:
        if isinstance(module, torch.nn.Linear):
            torch.nn.init.xavier_uniform_(module.weight)
            torch.nn.init.zeros_(module.bias)
    return model


def train(job, data, lr, factor, patience, repeat):
    seed = job["seed"] + repeat
    torch.manual_seed(seed)
    model = build_model(job["data"]["featureCount"], job["hidden"], seed)
    val_loss, _ = fit(job, model, torch.nn.MSELoss(), data, lr, factor, patience, seed)
    return val_loss


def load_data(job):
    data = job["data"]
    return (*load_split(data, "train", data["trainCount"]), *load_split(data, "val", data["validationCount"]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("job")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    with open(args.job) as handle:
        job = json.load(handle)
    return run_grid_study(job, args.workers, load_data, train)


if __name__ == "__main__":
    sys.exit(main())
