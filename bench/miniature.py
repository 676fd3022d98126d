#!/usr/bin/env python3
"""Wall time of a `corea reproduce` run, stage by stage, the GRPO step times of its arms, and what its logs show.

Reads what the run wrote (its ledger `stages.json`, each arm's `trainer_state.json`, `calibration.jsonl` (the dev
curve) and `rollouts/step-*.parquet` (every rollout)); runs nothing itself, so it can be rerun at any point of a run that
spans several sessions. Writes bench/results/<run folder name>.md.
Usage: python bench/miniature.py [--run experiments/miniature2]
"""
import argparse, json
from pathlib import Path
import numpy as np
import pandas as pd
from corea.reproduce import newest_state
from corea.train import read_dev_curve, read_rollouts

ROOT = Path(__file__).resolve().parents[1]

def step_times(arm_dir: Path) -> list[float]:
    "The `step_time` of every logged GRPO step (seconds; a step during which the job was paused counts its pause)."
    return [float(h['step_time']) for h in newest_state(arm_dir).get('log_history', []) if 'step_time' in h]

def stage_lines(led: dict) -> list[str]:
    out = ['| stage | wall time | load at start / end | finished |', '|---|---|---|---|']
    for name, e in led.items():
        out.append(f"| {name} | {e['wall_s'] / 60:.1f} min | {e['load_start']:.1f} / {e['load_end']:.1f} | "
                   f"{e['finished']} |")
    return out + ['', f'Finished stages: {len(led)}, {sum(e["wall_s"] for e in led.values()) / 3600:.2f} h of wall '
                      'time in all.']

KINDS = ('all right', 'all wrong', 'mixed')

def group_frame(ro: pd.DataFrame) -> pd.DataFrame:
    """One row per GRPO group (step, question), in step order: its p̂, level, kind (`KINDS`), accuracy, mean
    confidence, the spread sum |x_i - mean x| of its reward and of its confidence term (when logged), and how many
    times its question had been drawn before. Every per-group table below reads this frame."""
    col = next((c for c in ro.columns if c.startswith('r_confidence')), None)
    spread = lambda s: (s - s.mean()).abs().sum()
    terms = dict(dr=('reward', spread), **({'dc': (col, spread)} if col else {}))
    g = ro.groupby(['step', 'question_id'], sort=True).agg(
        p_hat=('p_hat', 'first'), level=('level', 'first'), acc=('correct', 'mean'), conf=('confidence', 'mean'),
        **terms).reset_index()
    g['kind'] = np.select([g.p_hat == 1, g.p_hat == 0], KINDS[:2], KINDS[2])
    return g.assign(mixed=g.kind == KINDS[2], seen=g.groupby('question_id').cumcount())

def window_table(ro: pd.DataFrame, g: pd.DataFrame, width: int = 25) -> list[str]:
    "Per window of steps: mixed share of groups (all and by level), accuracy, confidence spread, reward."
    g = g.assign(window=g.step // width * width)
    levels = sorted(ro.level.unique())
    out = [f"| steps | groups | mixed share | {' | '.join(f'mixed L{lv}' for lv in levels)} | accuracy | confidence "
           'written | confidence mean | confidence std | mean reward |', '|---' * (8 + len(levels)) + '|']
    ro = ro.assign(window=ro.step // width * width)
    for w, gw in g.groupby('window'):
        r = ro[ro.window == w]
        by = [gw[gw.level == lv].mixed.mean() for lv in levels]
        out.append(f"| {w}-{w + width - 1} | {len(gw)} | {gw.mixed.mean():.2f} | "
                   + ' | '.join('-' if np.isnan(b) else f'{b:.2f}' for b in by)
                   + f" | {r.correct.mean():.2f} | {r.confidence.notna().mean():.2f} | {r.confidence.mean():.2f} | "
                   f"{r.confidence.std():.2f} | {r.reward.mean():.3f} |")
    return out

def exposure_table(g: pd.DataFrame, most: int = 8) -> list[str]:
    """Per how many times a training question had been drawn before (its exposures): its groups' accuracy and mean
    confidence. Accuracy rising with exposure while the dev pass@1 stays flat is the model learning its training
    questions; a confidence reward on them then teaches the training questions' accuracy, not the dev questions'."""
    g = g.assign(seen=g.seen.clip(upper=most))
    out = ['| drawn before | groups | accuracy | mean confidence |', '|---|---|---|---|']
    for k, gk in g.groupby('seen'):
        out.append(f"| {k}{'+' if k == most else ''} | {len(gk)} | {gk.acc.mean():.2f} | {gk.conf.mean():.2f} |")
    return out

def confidence_share_table(g: pd.DataFrame, width: int = 50) -> list[str]:
    """Per window and kind of group (all right, all wrong, mixed): the share of groups, and how much of the reward's
    spread within a group is the confidence term's (the median over groups of sum |c_i - mean c| / sum |r_i - mean r|;
    GRPO divides both by the group's std, so this is the confidence's part of the advantage, whatever the scaling)."""
    if 'dc' not in g: return []                                         # no confidence term logged (RLVR)
    g = g.assign(window=g.step // width * width)
    out = ['| steps | ' + ' | '.join(f'{k}: groups, confidence part' for k in KINDS) + ' |', '|---|---|---|---|']
    for w, gw in g.groupby('window'):
        cells = []
        for k in KINDS:
            gk = gw[(gw.kind == k) & (gw.dr > 1e-9)]
            part = (gk.dc / gk.dr).median() if len(gk) else np.nan
            cells.append(f"{(gw.kind == k).mean():.0%}, {'-' if np.isnan(part) else f'{part:.0%}'}")
        out.append(f'| {w}-{w + width - 1} | ' + ' | '.join(cells) + ' |')
    return out

def right_wrong_table(ro: pd.DataFrame, g: pd.DataFrame, width: int = 25) -> list[str]:
    """Per window, within mixed groups (the only ones where the correctness reward tells rollouts apart): the mean
    confidence of the right rollouts and of the wrong ones. A gap near 0 says the correctness reward does not select
    on the confidence, so a drift of the confidence's level in an arm without a confidence term comes from elsewhere."""
    mixed = g.loc[g.mixed, ['step', 'question_id']]
    m = ro.merge(mixed, on=['step', 'question_id']).dropna(subset=['confidence'])
    m = m.assign(window=m.step // width * width)
    out = ['| steps | mixed-group rollouts | right: mean confidence | wrong: mean confidence | right - wrong |',
           '|---|---|---|---|---|']
    for w, mw in m.groupby('window'):
        right, wrong = mw[mw.correct].confidence.mean(), mw[~mw.correct].confidence.mean()
        out.append(f'| {w}-{w + width - 1} | {len(mw)} | {right:.2f} | {wrong:.2f} | {right - wrong:+.3f} |')
    return out

def dev_table(curve: list[dict]) -> list[str]:
    out = ['| step | pass@1 | AUROC | ECE | confidence written | mean confidence |', '|---|---|---|---|---|---|']
    for r in curve:
        out.append(f"| {r['step']} | {r.get('pass_at_1', np.nan):.3f} | {r.get('auroc', np.nan):.3f} | "
                   f"{r.get('ece', np.nan):.3f} | {r.get('confidence_output_ratio', np.nan):.2f} | "
                   f"{r.get('mean_confidence', np.nan):.2f} |")
    return out

def arm_lines(run: Path, arm: str) -> list[str]:
    d, out = run/'rl'/arm, []
    if (d/'rollouts').is_dir():
        ro = read_rollouts(d)
        g = group_frame(ro)
        out += ['', f'**{arm}**: {ro.step.nunique()} steps in the rollout log (`rl/{arm}/rollouts/`), '
                f'{len(ro):,} rollouts. Windows of 25 steps:', '', *window_table(ro, g), '',
                f'**{arm}**, by exposure ({ro.question_id.nunique()} distinct training questions; a missing '
                'confidence counts as missing here, as in the windows):', '', *exposure_table(g)]
        out += ['', f'**{arm}**, right against wrong rollouts of the same mixed groups:', '',
                *right_wrong_table(ro, g)]
        if share := confidence_share_table(g):
            out += ['', f"**{arm}**, what the confidence term weighs in GRPO's advantage, by kind of group (over "
                    '100%: the term cancels part of the correctness reward, as a sample-level term does for a right '
                    'answer said with low confidence):', '', *share]
    if curve := read_dev_curve(d):
        out += ['', f'**{arm}**, the dev curve (`rl/{arm}/calibration.jsonl`; a missing confidence counts as 0):', '',
                *dev_table(curve)]
    if (d/'stopped.json').exists(): out += ['', f"Stopped by the dev curve: {(d/'stopped.json').read_text()}"]
    return out

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--run', default=str(ROOT/'experiments'/'miniature2'))
    run = Path(ap.parse_args().run)
    led = json.loads((run/'stages.json').read_text()) if (run/'stages.json').exists() else {}
    cfg = json.loads((run/'config.json').read_text())
    shown = run.relative_to(ROOT) if run.is_relative_to(ROOT) else run
    out = [f"## COREA in miniature: the run {cfg['name']} (`bench/miniature.py --run {shown}`)", '',
           f"Command: `corea reproduce --config {cfg['name']}.yaml` (resumable; it runs over several sessions on this "
           f'2-core machine). Settings: `{shown}/config.json`. Wall time per finished stage, with the 1-minute load '
           'average at its start and end (the machine is shared):', '', *stage_lines(led), '',
           f"GRPO steps ({cfg['rl'].get('rollout_batch_size')} questions x G = {cfg['rl'].get('num_generations')} "
           f"rollouts of at most {cfg['rl'].get('max_completion_length')} tokens, LoRA r = {cfg['rl'].get('lora_r')}, "
           'torch on 2 threads). A step during which the job was paused or shared the cores with a test run is slow; '
           'the median is the typical step:', '',
           '| arm | steps logged | median step | 90th percentile | total |', '|---|---|---|---|---|']
    for arm in cfg['arms']:
        t = step_times(run/'rl'/arm)
        if t: out.append(f'| {arm} | {len(t)} | {np.median(t):.1f} s | {np.percentile(t, 90):.1f} s | '
                         f'{sum(t) / 60:.1f} min |')
    if 'screen' in led: out += ['', f"Screen stage (levels {cfg['screen']['levels']}, k = {cfg['screen']['k']}): "
                                f"{json.dumps(led['screen']['info'])}"]
    for arm in cfg['arms']: out += arm_lines(run, arm)
    if (tables := run/'results'/'tables.md').exists():            # the tables stage's report, one heading level down
        text = tables.read_text().splitlines()
        out += ['', f'### The tables stage (`{shown}/results/tables.md`)', '',
                *[('###' + l.lstrip('#')) if l.startswith('#') else l for l in text[1:]]]
    (ROOT/'bench'/'results'/f'{run.name}.md').write_text('\n'.join(out) + '\n')
    print('\n'.join(out))

if __name__ == '__main__': main()
