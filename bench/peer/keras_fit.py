"""What every Python peer shares: Keras's ReduceLROnPlateau in PyTorch's terms, the epoch loop, and
the N-worker Optuna grid study (one torch thread per worker, one journal file).

bench/peer/optuna_torch_sweep.py (the MLP), cnn.py (the small CNN) and pruners.py (one process,
with pruners) differ only in their data, model and loss; the training and the study are this file's.
"""
import json
import multiprocessing
import sys
import time

import numpy as np
import optuna
import torch


def keras_plateau(optimizer, job, factor, patience):
    """ReduceLROnPlateau reducing at the epochs Keras's does.

    PyTorch reduces after patience + 1 bad epochs, Keras after patience; and Keras's last cooldown
    epoch already counts as a bad one, PyTorch's does not. With these two shifts both reduce at the
    same epochs (checked against src/plateau/scheduler.ts on random val_loss series), down to
    PyTorch's eps: it skips reductions smaller than 1e-8.
    """
    return torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer,
        mode="min",
        factor=factor,
        patience=max(patience - 1, 0),
        threshold=job["minDelta"],
        threshold_mode="abs",
        cooldown=max(job["cooldown"] - 1, 0),
        min_lr=job["minLr"],
    )


def fit(job, model, loss_fn, data, lr, factor, patience, seed, after_epoch=None):
    """Adam + the Keras plateau schedule for job["epochs"] epochs of shuffled batches.

    after_epoch(epoch, val_loss) runs after each finite validation (before the schedule steps), so a
    pruner can report and stop the trial by raising. Returns (final val_loss, epochs run); a
    non-finite val_loss ends the trial there.
    """
    x_train, y_train, x_val, y_val = data
    # eps: Keras and tfjs use 1e-7 (PyTorch's default is 1e-8).
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, eps=1e-7)
    scheduler = keras_plateau(optimizer, job, factor, patience)
    shuffle = torch.Generator().manual_seed(seed)
    rows = x_train.shape[0]
    batch = job["batchSize"]
    val_loss = float("nan")
    epochs = 0
    for epoch in range(job["epochs"]):
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
        epochs += 1
        if not np.isfinite(val_loss):
            break
        if after_epoch is not None:
            after_epoch(epoch, val_loss)
        scheduler.step(val_loss)
    return val_loss, epochs


def grid_total(grid):
    return len(grid["learningRate"]) * len(grid["factor"]) * len(grid["patience"]) * len(grid.get("repeat", [0]))


def grid_worker(job, load_data, train):
    """One worker process of the shared-journal study: train(job, data, lr, factor, patience, repeat) per grid point."""
    torch.set_num_threads(1)
    data = load_data(job)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = optuna.storages.JournalStorage(optuna.storages.JournalFileStorage(job["journal"]))
    grid = job["grid"]
    study = optuna.load_study(study_name="peer", storage=storage, sampler=optuna.samplers.GridSampler(grid))
    repeats = grid.get("repeat", [0])

    def objective(trial):
        lr = trial.suggest_float("learningRate", min(grid["learningRate"]), max(grid["learningRate"]))
        factor = trial.suggest_float("factor", min(grid["factor"]), max(grid["factor"]))
        patience = trial.suggest_int("patience", min(grid["patience"]), max(grid["patience"]))
        repeat = trial.suggest_int("repeat", min(repeats), max(repeats)) if len(repeats) > 1 else 0
        return train(job, data, lr, factor, patience, repeat)

    # Stop once every grid point has been started (running ones count), so no worker repeats one.
    study.optimize(objective, callbacks=[optuna.study.MaxTrialsCallback(grid_total(grid), states=None)])


def run_grid_study(job, workers, load_data, train):
    """The whole sweep in `workers` processes; prints the one JSON line the bench reads. Returns the exit code."""
    started = time.perf_counter()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = optuna.storages.JournalStorage(optuna.storages.JournalFileStorage(job["journal"]))
    study = optuna.create_study(study_name="peer", storage=storage, direction="minimize", sampler=optuna.samplers.GridSampler(job["grid"]))
    # fork: workers start from this already-imported interpreter, before torch has started any threads.
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=grid_worker, args=(job, load_data, train)) for _ in range(workers)]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    failed = [process.exitcode for process in processes if process.exitcode != 0]
    if failed:
        print(f"peer: worker exit codes {failed}", file=sys.stderr)
        return 1
    wall = time.perf_counter() - started
    trials = [
        {"config": trial.params, "finalValLoss": trial.value if trial.state == optuna.trial.TrialState.COMPLETE else None}
        for trial in study.get_trials(deepcopy=False)
    ]
    print(json.dumps({
        "sweepSeconds": wall,
        "workers": workers,
        "versions": versions(),
        "trials": trials,
    }))
    return 0


def versions():
    return {"python": sys.version.split()[0], "torch": torch.__version__, "optuna": optuna.__version__, "numpy": np.__version__}
