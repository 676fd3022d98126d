#!/usr/bin/env python3
"""Can SmolLM2-135M with a rank-8 LoRA write a confidence that depends on the question? miniature5's part 1 (issue 21).

miniature5 is miniature4 with one change: the format warm-up's targets carry the warm-up answers' accuracy at the
question's level (`warmup_confidence: level`) where miniature4's carried a random confidence. This script reads each
run's format check of its warmed-up model (100 dev questions x 2 answers, temperature 0.6, no demonstrations; the
files `caches/checks/warmed-up-0-demos`) and says, per level and overall: accuracy, mean confidence beside the warm-up
target, AUROC, ECE (a missing confidence counts as 0, as the cascade treats it), and the AUROC of the level rule (the
targets themselves, written for each answer by its level) on the same answers: what a model that had learned exactly
the targets would reach. What decides the answer was stated in experiments/miniature5/README.md before the run.

  python bench/level_warmup.py          # writes bench/results/level_warmup.md
"""
import os
from pathlib import Path
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
RUNS = {'miniature4': 'random targets', 'miniature5': 'level targets'}
OUT = ROOT/'bench'/'results'/'level_warmup.md'
MID = (0.1, 0.9)                     # the goal's levels: accuracy between 10% and 90%

def level_targets(run: str) -> pd.Series:
    "level -> the confidence miniature5's warm-up targets carry (the warm-up answers' accuracy at the level)."
    from corea.reproduce import load_config, read_cache, read_split, warmup_examples
    cfg = load_config(f'{run}.yaml', [])
    qs = read_split(cfg, 'warmup')
    ex = warmup_examples(read_cache(cfg.run_dir/'caches'/'warmup'), qs, 'level')
    return ex.assign(level=ex.question_id.astype(str).map(qs.set_index(qs.id.astype(str)).level)
                     ).groupby('level').confidence.first()

def dev_answers(run: str) -> pd.DataFrame:
    "The warmed-up model's dev answers with their level; a missing confidence kept as NaN (counted as 0 below)."
    from corea.reproduce import load_config, read_cache, read_split
    cfg = load_config(f'{run}.yaml', [])
    dev = read_split(cfg, 'dev')
    rows = read_cache(cfg.run_dir/'caches'/'checks'/'warmed-up-0-demos')
    return rows.assign(level=rows.question_id.astype(str).map(dev.set_index(dev.id.astype(str)).level))

def summary(d: pd.DataFrame, target: pd.Series) -> dict:
    from corea.metrics import auroc, ece
    from scipy.stats import spearmanr
    c, y = d.confidence.fillna(0).to_numpy(float), d.correct.to_numpy(bool)
    acc = d.groupby('level').correct.mean()
    mid = d[d.level.map(acc).between(*MID)]
    within = [auroc(g.confidence.fillna(0).to_numpy(float), g.correct.to_numpy(bool)) for _, g in mid.groupby('level')]
    return dict(answers=len(d), coverage=float(d.confidence.notna().mean()), pass_at_1=float(y.mean()),
                auroc=auroc(c, y), ece=ece(c, y), spearman_level=float(spearmanr(c, d.level).statistic),
                within=float(np.mean(within)) if within else float('nan'),
                level_rule=auroc(d.level.map(target).to_numpy(float), y))

def main():
    target = level_targets('miniature5')
    runs = {r: dev_answers(r) for r in RUNS if (ROOT/'experiments'/r/'caches'/'checks'/'warmed-up-0-demos').is_dir()}
    lines = ["## Can the SLM write a question-dependent confidence? The format warm-up with level targets "
             "(`bench/level_warmup.py`)", "",
             "miniature5's part 1 (experiments/miniature5/README.md, stated before it ran): the same format warm-up as "
             "miniature4 (SFT, LoRA r = 8, 2 epochs, on the SLM's own 293 well-formed answers to 140 warm-up questions),"
             " its targets' confidences set to the warm-up answers' accuracy at the question's level in place of a "
             "random draw. Measured on 100 dev questions x 2 answers (temperature 0.6), the run's own format check. "
             "A missing confidence counts as 0; the level rule is the targets written by level on the same answers.",
             "", f"Load average when written: {os.getloadavg()[0]:.1f} (no timing here).", "",
             "| warm-up | answers | confidence written | pass@1 | AUROC | AUROC within levels of 10-90% | ECE | "
             "Spearman(confidence, level) | level rule's AUROC |", "|---|---|---|---|---|---|---|---|---|"]
    for r, d in runs.items():
        s = summary(d, target)
        lines.append(f"| {r} ({RUNS[r]}) | {s['answers']} | {s['coverage']:.0%} | {s['pass_at_1']:.2f} | "
                     f"{s['auroc']:.3f} | {s['within']:.3f} | {s['ece']:.3f} | {s['spearman_level']:+.2f} | "
                     f"{s['level_rule']:.3f} |")
    lines += ["", "Per level: accuracy and mean confidence (missing = 0) of each warmed-up model, beside the target.", "",
              "| level | target | " + " | ".join(f"{r} accuracy | {r} confidence" for r in runs) + " |",
              "|---|---|" + "---|---|" * len(runs)]
    for lv in sorted(target.index):
        cells = []
        for d in runs.values():
            g = d[d.level == lv]
            cells += [f"{g.correct.mean():.2f}", f"{g.confidence.fillna(0).mean():.2f}"]
        lines.append(f"| {lv} | {target[lv]:.1f} | " + " | ".join(cells) + " |")
    OUT.write_text("\n".join(lines) + "\n")
    print(OUT.read_text())

if __name__ == '__main__': main()
