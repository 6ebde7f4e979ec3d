#!/usr/bin/python3
"""The early-stopping peer of issue 18: one grid run three ways by Optuna + PyTorch — no pruner,
MedianPruner and SuccessiveHalvingPruner — counting the epochs each trains and the winner each finds.

Same model, data and ReduceLROnPlateau mapping as bench/peer/optuna_torch_sweep.py (whose train
loop this reuses); each trial reports its val_loss after every epoch (step = epoch index), and
asks the pruner whether to stop. One process, in-memory storage: the pruners decide from the
trials before, in a fixed order (GridSampler with a seed), so the same job prunes the same trials.
bench/pruners.ts writes the job and reads the one JSON line this prints on stdout:

    /usr/bin/python3 bench/peer/pruners.py JOB.json [--ways none,median,successiveHalving]

JOB.json: the job of optuna_torch_sweep.py (without "journal"), its grid with "repeat": [0, 1, …]
for seeds, plus optional "samplerSeed" (default 0), "median": {"nStartupTrials", "nWarmupSteps"}
and "successiveHalving": {"minResource", "reductionFactor"} (Optuna's defaults when absent).

A configuration's score is the mean final val_loss over its seeds, as plateau's ranking has it
(src/rank/ranking.ts); a configuration with any seed pruned has no score (Optuna judged it
hopeless), and one with a diverged seed scores +inf.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import optuna
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keras_fit import fit, versions  # noqa: E402
from optuna_torch_sweep import build_model, load_split  # noqa: E402

WAYS = ("none", "median", "successiveHalving")


def make_pruner(way, job):
    if way == "none":
        return optuna.pruners.NopPruner()
    if way == "median":
        settings = job.get("median", {})
        return optuna.pruners.MedianPruner(n_startup_trials=settings.get("nStartupTrials", 5), n_warmup_steps=settings.get("nWarmupSteps", 0))
    if way == "successiveHalving":
        settings = job.get("successiveHalving", {})
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=settings.get("minResource", "auto"), reduction_factor=settings.get("reductionFactor", 4))
    raise ValueError(f"unknown way {way!r}: expected one of {', '.join(WAYS)}")


def train_reporting(job, data, trial, lr, factor, patience, repeat):
    """optuna_torch_sweep.train with a report and a pruning check after every epoch."""
    seed = job["seed"] + repeat
    torch.manual_seed(seed)
    model = build_model(job["data"]["featureCount"], job["hidden"], seed)
    epochs = [0]

    def report(epoch, val_loss):
        epochs[0] = epoch + 1
        trial.report(val_loss, epoch)
        if trial.should_prune():
            trial.set_user_attr("epochs", epochs[0])
            raise optuna.TrialPruned()

    val_loss, ran = fit(job, model, torch.nn.MSELoss(), data, lr, factor, patience, seed, after_epoch=report)
    trial.set_user_attr("epochs", ran)
    # A diverged trial ranks last (Optuna fails a trial that returns NaN).
    return val_loss if np.isfinite(val_loss) else float("inf")


def rank_configs(trials, repeats):
    """Configurations by mean final val_loss over their seeds, best first; those with a pruned seed last, unscored."""
    groups = {}
    for trial in trials:
        key = (trial["config"]["learningRate"], trial["config"]["factor"], trial["config"]["patience"])
        groups.setdefault(key, []).append(trial)
    configs = []
    for (lr, factor, patience), members in groups.items():
        finished = [m["value"] for m in members if m["state"] == "COMPLETE"]
        scored = len(finished) == len(repeats) and len(members) == len(repeats)
        configs.append({
            "learningRate": lr,
            "factor": factor,
            "patience": patience,
            "score": float(np.mean(finished)) if scored else None,
            "seedsCompleted": len(finished),
        })
    configs.sort(key=lambda c: (c["score"] is None, c["score"] if c["score"] is not None else 0.0, c["learningRate"], c["factor"], c["patience"]))
    # JSON has no Infinity: a diverged configuration keeps its place, says so, and has no number.
    for config in configs:
        score = config.pop("score")
        config["meanValLoss"] = score if score is not None and np.isfinite(score) else None
        config["diverged"] = score is not None and not np.isfinite(score)
    return configs


def run_way(way, job, data):
    grid = job["grid"]
    repeats = grid.get("repeat", [0])
    space = {"learningRate": grid["learningRate"], "factor": grid["factor"], "patience": grid["patience"], "repeat": repeats}
    total = len(grid["learningRate"]) * len(grid["factor"]) * len(grid["patience"]) * len(repeats)
    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.GridSampler(space, seed=job.get("samplerSeed", 0)), pruner=make_pruner(way, job))

    def objective(trial):
        lr = trial.suggest_categorical("learningRate", grid["learningRate"])
        factor = trial.suggest_categorical("factor", grid["factor"])
        patience = trial.suggest_categorical("patience", grid["patience"])
        repeat = trial.suggest_categorical("repeat", repeats)
        return train_reporting(job, data, trial, lr, factor, patience, repeat)

    started = time.perf_counter()
    study.optimize(objective, n_trials=total)
    wall = time.perf_counter() - started
    trials = [
        {
            "config": {k: t.params[k] for k in ("learningRate", "factor", "patience")},
            "repeat": t.params["repeat"],
            "state": t.state.name,
            "value": t.value,
            "epochs": t.user_attrs.get("epochs", 0),
        }
        for t in study.get_trials(deepcopy=False)
    ]
    ranking = rank_configs(trials, repeats)
    return {
        "way": way,
        "trials": len(trials),
        "completed": sum(1 for t in trials if t["state"] == "COMPLETE"),
        "pruned": sum(1 for t in trials if t["state"] == "PRUNED"),
        "epochsTrained": sum(t["epochs"] for t in trials),
        "wallSeconds": wall,
        "winner": ranking[0] if ranking and ranking[0]["meanValLoss"] is not None else None,
        "top3": [c for c in ranking[:3] if c["meanValLoss"] is not None],
        "ranking": ranking,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("job")
    parser.add_argument("--ways", default=",".join(WAYS), help="comma-separated subset of: " + ", ".join(WAYS))
    args = parser.parse_args()
    ways = args.ways.split(",")
    for way in ways:
        if way not in WAYS:
            print(f"--ways: unknown way {way!r}: expected some of {', '.join(WAYS)}", file=sys.stderr)
            return 2
    with open(args.job) as handle:
        job = json.load(handle)
    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    data = job["data"]
    tensors = (*load_split(data, "train", data["trainCount"]), *load_split(data, "val", data["validationCount"]))
    results = []
    for way in ways:
        results.append(run_way(way, job, tensors))
        print(f"pruners: {way}: {results[-1]['epochsTrained']} epochs in {results[-1]['wallSeconds']:.1f} s", file=sys.stderr)
    print(json.dumps({
        "versions": versions(),
        "epochsPerTrial": job["epochs"],
        "ways": results,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
