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
import multiprocessing
import os
import sys
import time

import numpy as np
import optuna
import torch


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
    x_train, y_train, x_val, y_val = data
    seed = job["seed"] + repeat
    torch.manual_seed(seed)
    model = build_model(job["data"]["featureCount"], job["hidden"], seed)
    # eps: Keras and tfjs use 1e-7 (PyTorch's default is 1e-8).
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, eps=1e-7)
    # PyTorch reduces after patience + 1 bad epochs, Keras after patience; and Keras's last cooldown
    # epoch already counts as a bad one, PyTorch's does not. With these two shifts both reduce at the
    # same epochs (checked against src/plateau/scheduler.ts on random val_loss series), down to
    # PyTorch's eps: it skips reductions smaller than 1e-8.
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer,
        mode="min",
        factor=factor,
        patience=max(patience - 1, 0),
        threshold=job["minDelta"],
        threshold_mode="abs",
        cooldown=max(job["cooldown"] - 1, 0),
        min_lr=job["minLr"],
    )
    loss_fn = torch.nn.MSELoss()
    shuffle = torch.Generator().manual_seed(seed)
    rows = x_train.shape[0]
    batch = job["batchSize"]
    val_loss = float("nan")
    for _ in range(job["epochs"]):
        model.train()
        order = torch.randperm(rows, generator=shuffle)
        for start in range(0, rows, batch):
            index = order[start : start + batch]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x_train[index]), y_train[index])
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            val_loss = loss_fn(model(x_val), y_val).item()
        if not np.isfinite(val_loss):
            break
        scheduler.step(val_loss)
    return val_loss


def worker(job):
    torch.set_num_threads(1)
    data = job["data"]
    tensors = (*load_split(data, "train", data["trainCount"]), *load_split(data, "val", data["validationCount"]))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = optuna.storages.JournalStorage(optuna.storages.JournalFileStorage(job["journal"]))
    study = optuna.load_study(study_name="peer", storage=storage, sampler=optuna.samplers.GridSampler(job["grid"]))
    total = len(job["grid"]["learningRate"]) * len(job["grid"]["factor"]) * len(job["grid"]["patience"]) * len(job["grid"].get("repeat", [0]))

    def objective(trial):
        lr = trial.suggest_float("learningRate", min(job["grid"]["learningRate"]), max(job["grid"]["learningRate"]))
        factor = trial.suggest_float("factor", min(job["grid"]["factor"]), max(job["grid"]["factor"]))
        patience = trial.suggest_int("patience", min(job["grid"]["patience"]), max(job["grid"]["patience"]))
        repeats = job["grid"].get("repeat", [0])
        repeat = trial.suggest_int("repeat", min(repeats), max(repeats)) if len(repeats) > 1 else 0
        return train(job, tensors, lr, factor, patience, repeat)

    # Stop once every grid point has been started (running ones count), so no worker repeats one.
    study.optimize(objective, callbacks=[optuna.study.MaxTrialsCallback(total, states=None)])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("job")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    with open(args.job) as handle:
        job = json.load(handle)
    started = time.perf_counter()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = optuna.storages.JournalStorage(optuna.storages.JournalFileStorage(job["journal"]))
    study = optuna.create_study(study_name="peer", storage=storage, direction="minimize", sampler=optuna.samplers.GridSampler(job["grid"]))
    # fork: workers start from this already-imported interpreter, before torch has started any threads.
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=worker, args=(job,)) for _ in range(args.workers)]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    failed = [process.exitcode for process in processes if process.exitcode != 0]
    if failed:
        print(f"peer: worker exit codes {failed}", file=sys.stderr)
        return 1
    wall = time.perf_counter() - started
    trials = []
    for trial in study.get_trials(deepcopy=False):
        if trial.state == optuna.trial.TrialState.COMPLETE:
            trials.append({"config": trial.params, "finalValLoss": trial.value})
        else:
            trials.append({"config": trial.params, "finalValLoss": None, "state": trial.state.name})
    print(json.dumps({
        "sweepSeconds": wall,
        "workers": args.workers,
        "versions": {"python": sys.version.split()[0], "torch": torch.__version__, "optuna": optuna.__version__, "numpy": np.__version__},
        "torchThreadsPerWorker": 1,
        "trials": trials,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
