#!/usr/bin/env python3
"""Why the miniature2 L1 arm's confidence collapsed (issue 21): the two hypotheses, measured on the run's rollout logs.

The L1 arm of `corea reproduce --config miniature2.yaml` trained 150 steps; its confidences shrank to one value near the
median of p̂ and never followed the question (bench/results/miniature2.md). Before any second run, this script measures,
from the rollout logs alone (`experiments/miniature2/rl/<arm>/rollouts/`, no generation, no model):

1. **Exposure.** How many distinct questions the arm saw and how often each, against the paper's setting (256 questions a
   step, several epochs over its training set).
2. **The share of the GRPO advantage that the confidence reward carries.** GRPO gives every token of a rollout one
   advantage, (r - mean_group r) / std_group r. Within a group this splits exactly into a part from correctness + format
   and a part from the confidence reward; the script reports their mean absolute sizes and how often the confidence part
   decides the sign of a rollout's advantage.
3. **What learning the question is worth.** The mean L1 confidence reward -|c - p̂| of three confidence rules on the
   arm's own groups: the best constant (the median of p̂ over rollouts), the best rule that knows only the level (the
   median per level), and the oracle (c = p̂). The first two are the optima the collapse and a level-aware model reach.
4. **Within-group alignment.** For L1 and Brier, Spearman between a rollout's advantage and how close its confidence is
   to its target, within mixed groups: whether the gradient on the confidence tokens points the right way.

5. **Where the spread went.** The confidence spread within a group and between groups, and the share of groups whose
   rollouts all wrote one confidence value: there the confidence reward is the same for every rollout, so it adds
   nothing to GRPO's advantage, and a collapsed confidence can no longer be moved by it.

  python bench/l1_signal.py                                   # miniature2: writes bench/results/l1_signal.md
  python bench/l1_signal.py --run experiments/miniature3      # writes bench/results/l1_signal_miniature3.md
"""
import argparse, json
from pathlib import Path
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT/'experiments'/'miniature2'
MARK = '**Reading** (written by hand from the tables above):'
NOTE = '''- Hypothesis "the correctness reward drowns the confidence reward within a group": **not what happened.** In mixed
  groups the confidence reward carries 19-33% of the advantage's size and sets its sign for 8-12% of L1's rollouts, and
  within a group the advantage ranks rollouts by how close their confidence is to p̂ (median Spearman +0.58 to +0.69).
  The gradient on the confidence tokens points the right way inside each group.
- Hypothesis "too little exposure": **consistent with everything measured.** 2 questions a step, 202 questions each seen
  1.5 times. Each step pulls the confidences of *its* two questions toward their p̂. Without the capacity (or the data)
  to tell questions apart, what generalises is "write about this step's p̂", and the steps' p̂ average to the middle:
  the within-group spread shrinks (0.31 -> 0.06, table 5) and nothing replaces it with a between-question spread (0.14 ->
  0.04, with the groups' mean confidence running slightly *against* their p̂, Spearman -0.05 to -0.30). That is the
  collapse the run shows (confidence std 0.32 -> 0.08), and its confidences trail the rising accuracy (the best constant moved from 0.38 to
  0.75 while the arm wrote ~0.47).
- A per-level rule would have earned +0.07 (first 50 steps) to +0.15 L1 reward a rollout over the best constant: the
  signal to learn the question's difficulty was there, as large as in the first miniature run (0.156), and the arm
  never reached even the constant.
- What this says for a second run (a new, stated run, not a change to miniature2): many more questions a step (the
  paper's 256; on this CPU, 16-32 with fewer rollouts each), and many more steps per question. At ~36 s a step of 16
  rollouts this machine cannot buy that within a session; a GPU can.'''
NOTE3 = '''- miniature3 tested the exposure hypothesis (8 questions x G = 4 a step, each training question seen 4.5 times in 113
  steps, against 1.5 in miniature2's 150): **the confidence collapsed all the same**, to 0.5 for every question by step
  100, and the dev AUROC never passed its value at step 25 (0.585; 0.500 at step 100). Three times the exposure did not prevent it.
- Table 5 shows the mechanism: the within-group spread fell from 0.26 to 0.01 and the share of groups whose four
  rollouts all wrote one confidence rose from 2% to 90%. In such a group the confidence reward is equal for every
  rollout and adds nothing to GRPO's advantage (table 2: its share fell from 26% to 3%), so a collapsed confidence cannot
  be moved again: the collapse locks itself.
- The collapse is not the confidence reward's doing: the L1 reward of what the arm wrote stayed at -0.42 while the best
  constant (0.75) would have earned -0.35 and a per-level rule -0.19 (table 3). It follows the sharpening of the whole
  policy while correctness is learned (mean token entropy 0.28 -> 0.08 in the trainer's log; training accuracy 0.37 ->
  0.64), which takes the confidence tokens with it.
- The next run (miniature4, stated in experiments/miniature4/README.md) changes one thing: GRPO's adaptive entropy
  control holds the mean token entropy at the starting model's 0.28.'''
NOTES = {'miniature2': NOTE, 'miniature3': NOTE3}                                    # the readings, per run, written after its tables
PAPER_QUESTIONS_PER_STEP = 256                                  # METHOD.md / paper: 256 questions x 8 rollouts a step

def rollouts(run: Path, arm: str) -> pd.DataFrame:
    d = pd.read_parquet(run/'rl'/arm/'rollouts')
    return d.assign(group=d.step.astype(str) + '/' + d.question_id)

def confidence_column(d: pd.DataFrame) -> str | None:
    cols = [c for c in d.columns if c.startswith('r_confidence')]
    return cols[0] if cols else None

def exposure(d: pd.DataFrame) -> dict:
    seen = d.groupby('question_id').step.nunique()
    steps = d.step.nunique()
    qps = d.groupby('step').question_id.nunique().median()
    return dict(steps=steps, questions_per_step=qps, distinct=len(seen), mean_visits=seen.mean(), max_visits=seen.max(),
                once=(seen == 1).mean(), paper_rollouts_per_step=PAPER_QUESTIONS_PER_STEP * 8)

def advantage_split(d: pd.DataFrame, conf: str) -> dict:
    "Mean |advantage| from correctness + format and from the confidence reward, within mixed groups (GRPO's scale)."
    m = d[(d.p_hat > 0) & (d.p_hat < 1)]
    rows = []
    for _, g in m.groupby('group'):
        sd = g.reward.std(ddof=0)
        if sd == 0: continue
        task = g.r_correctness + g.r_format
        a_task, a_conf = (task - task.mean()) / sd, (g[conf] - g[conf].mean()) / sd
        rows.append(pd.DataFrame(dict(a_task=a_task, a_conf=a_conf, a=a_task + a_conf)))
    a = pd.concat(rows, ignore_index=True)
    flips = (np.sign(a.a) != np.sign(a.a_task)) & (a.a_task != 0)
    return dict(groups=len(rows), task=a.a_task.abs().mean(), conf=a.a_conf.abs().mean(),
                conf_share=a.a_conf.abs().mean() / (a.a_task.abs().mean() + a.a_conf.abs().mean()),
                sign_set_by_conf=flips.mean())

def worth(d: pd.DataFrame) -> dict:
    "Mean L1 reward -|c - p̂| over the arm's rollouts for three confidence rules (higher is better, 0 the oracle)."
    const = d.p_hat.median()
    by_level = d.groupby('level').p_hat.transform('median')
    return dict(constant=const, r_constant=-(d.p_hat - const).abs().mean(), r_level=-(d.p_hat - by_level).abs().mean(),
                r_oracle=0.0, r_actual=-(d.p_hat - d.confidence.fillna(0)).abs().mean())

def alignment(d: pd.DataFrame, arm: str) -> float:
    "Median over mixed groups of Spearman(advantage, closeness of confidence to its target)."
    m = d[(d.p_hat > 0) & (d.p_hat < 1) & d.confidence.notna()]
    target = m.p_hat if arm == 'l1' else m.correct.astype(float)
    m = m.assign(close=-(m.confidence - target).abs())
    rho = []
    for _, g in m.groupby('group'):
        if g.reward.std() > 0 and g.close.std() > 0: rho.append(g.reward.corr(g.close, method='spearman'))
    return float(np.median(rho)) if rho else float('nan')

def spread(d: pd.DataFrame) -> dict:
    "Confidence spread inside groups and between them, and whether the groups' means follow their p̂."
    from corea.metrics import one_value_share
    g = d.dropna(subset=['confidence']).groupby('group').agg(std=('confidence', 'std'), mean=('confidence', 'mean'),
                                                               p_hat=('p_hat', 'first'))
    return dict(within=g['std'].mean(), between=g['mean'].std(), rho=g['mean'].corr(g.p_hat, method='spearman'),
                one_value=one_value_share([v.to_numpy() for _, v in d.groupby('group').confidence]))

def mixed_share(d: pd.DataFrame, G: int) -> float:
    "Expected share of mixed groups had each group held G of its 8 rollouts (drawn without replacement)."
    from math import comb
    g = d.groupby('group').correct.agg(['sum', 'size'])
    assert (g['size'] == 8).all(), 'groups of 8 rollouts expected'
    r = g['sum'].astype(int)
    return float((1 - r.map(lambda k: comb(k, G)) / comb(8, G) - r.map(lambda k: comb(8 - k, G)) / comb(8, G)).mean())

def window(d: pd.DataFrame, lo: int, hi: int) -> pd.DataFrame: return d[(d.step >= lo) & (d.step < hi)]

def main(argv=None):
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument('--run', type=Path, default=RUN, help='a run folder of corea reproduce (default: miniature2)')
    run = a.parse_args(argv).run.resolve()
    out = ROOT/'bench'/'results'/('l1_signal.md' if run.name == 'miniature2' else f'l1_signal_{run.name}.md')
    arms = {a: rollouts(run, a) for a in ('l1', 'brier', 'rlvr') if (run/'rl'/a/'rollouts').exists()}
    if 'l1' not in arms: raise SystemExit(f'l1_signal: {run}/rl/l1/rollouts holds no rollout log: train the L1 arm first')
    G = int(arms['l1'].groupby('group').size().median())
    lines = [f"## Why {run.name}'s L1 confidence collapsed: the hypotheses measured (`bench/l1_signal.py`)", "",
             f"From the rollout logs of `corea reproduce --config {run.name}.yaml` only (no model is run). Mixed groups: "
             f"0 < p̂ < 1 among the G = {G} rollouts of one question.", "",
             "**1. Exposure.**", "",
             "| arm | steps | questions a step | distinct questions seen | visits per question (mean / max) | seen once |",
             "|---|---|---|---|---|---|"]
    for a, d in arms.items():
        e = exposure(d)
        lines.append(f"| {a} | {e['steps']} | {e['questions_per_step']:.0f} | {e['distinct']} | "
                     f"{e['mean_visits']:.2f} / {e['max_visits']} | {e['once']:.0%} |")
    lines += ["", f"The paper's steps hold {PAPER_QUESTIONS_PER_STEP} questions x 8 rollouts; one of its steps sees more "
              "questions than this whole arm.", "",
              "**2. How much of GRPO's advantage the confidence reward carries** (mixed groups; advantages in units of the "
              "group's reward std, split exactly into the correctness + format part and the confidence part):", "",
              "| arm | steps | mixed groups | mean abs advantage: correctness + format | mean abs advantage: confidence | "
              "confidence's share | rollouts whose advantage sign the confidence sets |", "|---|---|---|---|---|---|---|"]
    for a, d in arms.items():
        conf = confidence_column(d)
        if conf is None: continue
        for lo in range(0, d.step.max() + 1, 50):
            s = advantage_split(window(d, lo, lo + 50), conf)
            lines.append(f"| {a} | {lo}-{min(lo + 49, d.step.max())} | {s['groups']} | {s['task']:.2f} | {s['conf']:.2f} | "
                         f"{s['conf_share']:.0%} | {s['sign_set_by_conf']:.0%} |")
    d = arms['l1']
    lines += ["", "**3. What a question-aware confidence is worth under L1** (mean reward -|c - p̂| over the L1 arm's "
              "rollouts; 0 is the oracle c = p̂):", "",
              "| steps | best constant c | reward of the constant | reward of the best per-level rule | "
              "reward of what the arm wrote | level rule's gain over the constant |", "|---|---|---|---|---|---|"]
    for lo in (0, 50, 100):
        w = worth(window(d, lo, lo + 50))
        lines.append(f"| {lo}-{min(lo + 49, d.step.max())} | {w['constant']:.2f} | {w['r_constant']:.3f} | {w['r_level']:.3f} | "
                     f"{w['r_actual']:.3f} | {w['r_level'] - w['r_constant']:+.3f} |")
    lines += ["", "**4. Does the advantage reward the right confidence within a group?** Median over mixed groups of "
              "Spearman(reward, -|c - target|), target p̂ for L1 and the rollout's own correctness for Brier:", "",
              "| arm | steps | median Spearman |", "|---|---|---|"]
    for a in ('l1', 'brier'):
        if a not in arms: continue
        d = arms[a]
        for lo in range(0, d.step.max() + 1, 50):
            lines.append(f"| {a} | {lo}-{min(lo + 49, d.step.max())} | {alignment(window(d, lo, lo + 50), a):+.2f} |")
    lines += ["", "**5. Where the confidence spread went** (L1; per 25-step window: the mean std of confidence within a "
              "group, the std of the groups' mean confidences, Spearman between a group's mean confidence and its p̂, "
              "and the share of groups whose rollouts all wrote one confidence value, where the confidence reward adds "
              "nothing to the advantage):", "",
              "| steps | std within a group | std between groups | Spearman(group mean confidence, p̂) | "
              "groups with one confidence value |", "|---|---|---|---|---|"]
    d = arms['l1']
    for lo in range(0, d.step.max() + 1, 25):
        w = spread(window(d, lo, lo + 25))
        lines.append(f"| {lo}-{lo + 24} | {w['within']:.2f} | {w['between']:.2f} | {w['rho']:+.2f} | "
                     f"{w['one_value']:.0%} |")
    if G == 8: lines += mixed_share_table(arms)
    if run.name in NOTES: lines += ["", MARK, NOTES[run.name]]
    out.write_text('\n'.join(lines) + '\n')
    print(out.read_text())

def mixed_share_table(arms: dict) -> list[str]:
    "Table 6: the share of mixed groups at G = 8, 4, 2, estimated from groups of 8 (miniature2's design measurement)."
    lines = ["", "**6. The next run's design, measured on the starting model** (miniature3): the share of mixed groups at "
              "G rollouts, estimated from each arm's first 25 steps (8 rollouts of a question with r right: a random G "
              "of them are mixed with probability 1 - C(r,G)/C(8,G) - C(8-r,G)/C(8,G)), and the mixed groups a step "
              "holds for two step shapes:", "", "| arm | G = 8 | G = 4 | G = 2 |", "|---|---|---|---|"]
    share = {}
    for a, d in arms.items():
        share[a] = {G: mixed_share(window(d, 0, 25), G) for G in (8, 4, 2)}
        lines.append(f"| {a} | {share[a][8]:.2f} | {share[a][4]:.2f} | {share[a][2]:.2f} |")
    m8, m4 = (np.mean([v[G] for v in share.values()]) for G in (8, 4))
    lines += ["", f"2 questions x G = 8 (miniature2): {2 * m8:.1f} mixed groups a step, {2 * m8 / 16:.3f} per rollout. "
              f"8 questions x G = 4 (miniature3): {8 * m4:.1f} mixed groups a step, {8 * m4 / 32:.3f} per rollout, "
              "for twice the rollouts a step."]
    return lines

if __name__ == '__main__': main()
