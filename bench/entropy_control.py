#!/usr/bin/env python3
"""Does GRPO's adaptive entropy control keep the L1 confidence from locking, and does a warm-up that already ranks
answers give L1 something to shape? miniature3, miniature4 and miniature5's L1 arms side by side (issue 21).

miniature4 is miniature3 with one change, TRL's adaptive entropy control (target 0.28 nats a token): same data, warm-up,
seeds and step shape. miniature5 is miniature4 with one change, a format warm-up whose confidences say the level's
accuracy (`warmup_confidence: level`). This script reads the L1 arms' files only (no model is run) and puts them side by
side, per 25-step window: the trainer's mean token entropy and entropy coefficient, the seconds a step, the share of
groups whose rollouts all wrote one confidence (`corea.metrics.one_value_share`; there the L1 reward adds nothing to the
advantage), the confidence spread within groups, Spearman between a group's mean confidence and its p̂, training
accuracy, and the dev AUROC that the trainer measured every 25 steps on 100 dev questions, and from the same dev answers
the mean confidence and accuracy by level and the AUROC within each level. What decides the answers was stated in
experiments/miniature4/README.md and experiments/miniature5/README.md before the runs.

  python bench/entropy_control.py          # writes bench/results/entropy_control.md
"""
import json, os
from pathlib import Path
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
RUNS = {'miniature3': 'fixed entropy bonus 0.001', 'miniature4': 'adaptive entropy control, target 0.28',
        'miniature5': "miniature4 from a warm-up whose confidences say the level's accuracy"}
OUT = ROOT/'bench'/'results'/'entropy_control.md'
WINDOW = 25

def arm(run: str) -> Path: return ROOT/'experiments'/run/'rl'/'l1'

def trainer_log(run: str) -> pd.DataFrame:
    "The trainer's per-step log (newest trainer state of the arm: its own or its newest checkpoint's)."
    from corea.reproduce import newest_state
    rows = [h for h in newest_state(arm(run)).get('log_history', []) if 'entropy' in h]
    return pd.DataFrame(rows).assign(step=lambda d: d.step - 1)        # TRL logs step k after rollout step k - 1

def windows(run: str) -> pd.DataFrame:
    from corea.metrics import auroc, one_value_share
    from corea.train import read_rollouts
    from scipy.stats import spearmanr
    d, log = read_rollouts(arm(run)), trainer_log(run)
    out = []
    for lo in range(0, int(d.step.max()) + 1, WINDOW):
        x, t = d[d.step.between(lo, lo + WINDOW - 1)], log[log.step.between(lo, lo + WINDOW - 1)]
        g = x.groupby(['step', 'question_id']).agg(mean=('confidence', 'mean'), std=('confidence', 'std'),
                                                   p_hat=('p_hat', 'first'))
        groups = [v.to_numpy() for _, v in x.groupby(['step', 'question_id']).confidence]
        out.append(dict(steps=f'{lo}-{int(x.step.max())}', entropy=t.entropy.mean(),
                        coef=t.entropy_coef.mean() if 'entropy_coef' in t else np.nan,
                        step_s=t.step_time.median() if 'step_time' in t else np.nan,
                        one_value=one_value_share(groups), within=g['std'].mean(),
                        rho=spearmanr(g['mean'], g.p_hat, nan_policy='omit').correlation, accuracy=x.correct.mean(),
                        auroc=auroc(x.confidence.fillna(0.0), x.correct)))
    return pd.DataFrame(out)

def dev_curve(run: str) -> dict[int, float]:
    from corea.reproduce import calibration_rows
    return {r['step']: r.get('auroc') for r in calibration_rows(arm(run))}

def dev_by_level(run: str) -> pd.DataFrame:
    "Per dev evaluation and level: accuracy, mean confidence (a missing one counts 0) and AUROC within the level."
    from corea.metrics import auroc
    from corea.reproduce import calibration_rows
    dev = pd.read_json(ROOT/'experiments'/run/'data'/'dev.jsonl', lines=True)
    out = []
    for r in calibration_rows(arm(run)):
        x = dev.head(len(r['correct'])).assign(c=pd.Series(r['confidences'], dtype=float).fillna(0.0), y=r['correct'])
        for level, v in x.groupby('level'):
            mixed = 0 < v.y.mean() < 1
            out.append(dict(step=r['step'], level=level, accuracy=v.y.mean(), confidence=v.c.mean(),
                            auroc=auroc(v.c, v.y) if mixed else np.nan))
    return pd.DataFrame(out)

def level_lines(run: str) -> list[str]:
    d = dev_by_level(run)
    cell = lambda v: f'{v.accuracy:.2f} / {v.confidence:.2f}' + ('' if np.isnan(v.auroc) else f' / {v.auroc:.2f}')
    return [f"| {run} | {step} | " + " | ".join(cell(v) for v in g.sort_values('level').itertuples()) + " |"
            for step, g in d.groupby('step')]

def main():
    lines = ["## The L1 arm across runs: the lock, entropy control, a warm-up that ranks "
             "(`bench/entropy_control.py`)", "",
             "The L1 arms of three runs, each differing from the one before in one setting "
             "(experiments/miniature4/README.md, experiments/miniature5/README.md): "
             + '; '.join(f'{r}: {what}' for r, what in RUNS.items()) + ". From their files only; per 25-step window, "
             "the trainer's mean token entropy and entropy coefficient and median seconds a step, the share of groups "
             "whose four rollouts wrote one confidence (the L1 reward then adds nothing to GRPO's advantage), the mean "
             "confidence std within a group, Spearman(group mean confidence, p̂), the accuracy on training "
             "questions and the AUROC of the rollouts' confidences for their own correctness (a missing one counts 0).",
             "", f"Load average when written: {os.getloadavg()[0]:.1f} (step times are from the runs themselves, "
             "each beside whatever else ran then).", "",
             "| run | steps | entropy | entropy coef | s a step | one confidence | std within | Spearman(c, p̂) | "
             "accuracy | AUROC |", "|---|---|---|---|---|---|---|---|---|---|"]
    for run in RUNS:
        if not (arm(run)/'rollouts').exists(): continue
        for r in windows(run).itertuples():
            lines.append(f"| {run} | {r.steps} | {r.entropy:.3f} | {r.coef:.3f} | {r.step_s:.0f} | {r.one_value:.0%} | "
                         f"{r.within:.2f} | {r.rho:+.2f} | {r.accuracy:.2f} | {r.auroc:.2f} |")
    curves = {run: dev_curve(run) for run in RUNS if (arm(run)/'calibration.jsonl').exists()}
    steps = sorted(set().union(*curves.values()))
    lines += ["", "Dev AUROC (100 dev questions at temperature 0.6, every 25 steps; confidences that are all one value "
              "give 0.5):", "", "| run | " + " | ".join(str(s) for s in steps) + " |",
              "|---|" + "---|" * len(steps)]
    for run, c in curves.items():
        lines.append(f"| {run} | " + " | ".join(f'{c[s]:.3f}' if c.get(s) is not None else '' for s in steps) + " |")
    lines += ["", "The same dev answers by level (20 questions a level): accuracy / mean confidence, and the AUROC "
              "within the level where it has right and wrong answers (20 answers: read it as a direction, not a "
              "value):",
              "",
              "| run | step | " + " | ".join(f'level {l}' for l in range(1, 6)) + " |", "|---|---|" + "---|" * 5]
    for run in curves:
        if (ROOT/'experiments'/run/'data'/'dev.jsonl').exists(): lines += level_lines(run)
    OUT.write_text('\n'.join(lines) + '\n')
    print(OUT.read_text())

if __name__ == '__main__': main()
