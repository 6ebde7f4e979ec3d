"""The CNN peer of issue 17: the small CNN sweep with Optuna's GridSampler and PyTorch's ReduceLROnPlateau.

As bench/peer/optuna_torch_sweep.py (N worker processes, one torch thread each, one Optuna journal
file), but the model is the job's layer list on images: conv2d (valid/same padding, relu), max and
average pooling, flatten, relu dense layers, and a softmax output over "classes" trained with
cross-entropy on the class index (nn.CrossEntropyLoss on logits = softmax + sparse categorical
cross-entropy). bench/cnn-sweep.ts writes the job and reads the one JSON line this prints:

    /usr/bin/python3 bench/peer/cnn.py JOB.json --workers 2

JOB.json: as optuna_torch_sweep.py's, with "data": {"dir", "shape": [h, w, c], "trainCount",
"validationCount"}, "layers" (the spec's layers before the softmax output) and "classes". The x
files hold NHWC float32 rows (our layout); they are permuted to NCHW for torch.
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
    h, w, c = data["shape"]
    x = np.fromfile(os.path.join(data["dir"], f"x_{name}.f32"), dtype="<f4").reshape(rows, h, w, c).transpose(0, 3, 1, 2).copy()
    y = np.fromfile(os.path.join(data["dir"], f"y_{name}.f32"), dtype="<f4")
    return torch.from_numpy(x), torch.from_numpy(y.reshape(rows, 1) if data.get("regression") else y.astype(np.int64))


def build_model(job, seed):
    torch.manual_seed(seed)
    h, w, channels = job["data"]["shape"]
    modules = []
    flat = None
    for layer in job["layers"]:
        kind = layer["kind"]
        if kind == "conv2d":
            k, s = layer["kernelSize"], layer["strides"]
            padding = "same" if layer["padding"] == "same" and s == 1 else 0
            if layer["padding"] == "same" and s != 1:
                raise ValueError("the peer pads 'same' at stride 1 only")
            modules += [torch.nn.Conv2d(channels, layer["filters"], k, stride=s, padding=padding), torch.nn.ReLU()]
            if padding == 0:
                h, w = (h - k) // s + 1, (w - k) // s + 1
            channels = layer["filters"]
        elif kind in ("maxPooling2d", "averagePooling2d"):
            if layer["padding"] != "valid":
                raise ValueError("the peer pools with valid padding only")
            p, s = layer["poolSize"], layer["strides"]
            modules.append((torch.nn.MaxPool2d if kind == "maxPooling2d" else torch.nn.AvgPool2d)(p, stride=s))
            h, w = (h - p) // s + 1, (w - p) // s + 1
        elif kind == "flatten":
            # NCHW flattens in another order than Keras's NHWC: the same network up to a fixed permutation of the dense layer's inputs.
            modules.append(torch.nn.Flatten())
            flat = h * w * channels
        elif kind == "dense":
            modules += [torch.nn.Linear(flat, layer["units"]), torch.nn.ReLU()]
            flat = layer["units"]
        else:
            raise ValueError(f"unknown layer kind {kind}")
    # "head": "softmax" (default: logits over the classes) or "regression" (one linear unit on the class index, MSE).
    modules.append(torch.nn.Linear(flat, 1 if job.get("head") == "regression" else job["classes"]))
    model = torch.nn.Sequential(*modules)
    for module in model:
        if isinstance(module, (torch.nn.Linear, torch.nn.Conv2d)):
            torch.nn.init.xavier_uniform_(module.weight)
            torch.nn.init.zeros_(module.bias)
    return model


def train(job, data, lr, factor, patience, repeat):
    seed = job["seed"] + repeat
    model = build_model(job, seed)
    loss_fn = torch.nn.MSELoss() if job.get("head") == "regression" else torch.nn.CrossEntropyLoss()
    val_loss, _ = fit(job, model, loss_fn, data, lr, factor, patience, seed)
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
