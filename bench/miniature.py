#!/usr/bin/env python3
"""Wall time of `corea reproduce --config miniature.yaml`, stage by stage, and the GRPO step times of its arms.

Reads what the run wrote (its ledger `stages.json` and each arm's `trainer_state.json`); runs nothing itself, so it can
be rerun at any point of a run that spans several sessions. Writes bench/results/miniature.md.
Usage: python bench/miniature.py [--run experiments/miniature]
"""
import argparse, json
from pathlib import Path
import numpy as np
from corea.reproduce import newest_state

ROOT = Path(__file__).resolve().parents[1]

def step_times(arm_dir: Path) -> list[float]:
    "The `step_time` of every logged GRPO step (seconds; a step during which the job was paused counts its pause)."
    return [float(h['step_time']) for h in newest_state(arm_dir).get('log_history', []) if 'step_time' in h]

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--run', default=str(ROOT/'experiments'/'miniature'))
    run = Path(ap.parse_args().run)
    led = json.loads((run/'stages.json').read_text())
    cfg = json.loads((run/'config.json').read_text())
    out = ['## COREA in miniature: the run (`bench/miniature.py`)', '',
           'Command: `corea reproduce --config miniature.yaml` (resumable; it ran over several sessions on this 2-core '
           f'machine). Settings: `{run.relative_to(ROOT) if run.is_relative_to(ROOT) else run}/config.json`. '
           'Wall time per finished stage, with the 1-minute load average at its start and end (the machine is shared):', '',
           '| stage | wall time | load at start / end | finished |', '|---|---|---|---|']
    for name, e in led.items():
        out.append(f"| {name} | {e['wall_s'] / 60:.1f} min | {e['load_start']:.1f} / {e['load_end']:.1f} | {e['finished']} |")
    total = sum(e['wall_s'] for e in led.values())
    out += ['', f'Finished stages: {len(led)}, {total / 3600:.2f} h of wall time in all.', '',
            f"GRPO steps ({cfg['rl'].get('rollout_batch_size')} questions x G = {cfg['rl'].get('num_generations')} "
            f"rollouts of at most {cfg['rl'].get('max_completion_length')} tokens, LoRA r = {cfg['rl'].get('lora_r')}, "
            'torch on 2 threads). A step during which the job was paused or shared the cores with a test run is slow; '
            'the median is the typical step:', '',
            '| arm | steps logged | median step | 90th percentile | total |', '|---|---|---|---|---|']
    for arm in ('rlvr', 'brier', 'l1'):
        t = step_times(run/'rl'/arm)
        if t: out.append(f'| {arm} | {len(t)} | {np.median(t):.1f} s | {np.percentile(t, 90):.1f} s | {sum(t) / 60:.1f} min |')
    (ROOT/'bench'/'results'/'miniature.md').write_text('\n'.join(out) + '\n')
    print('\n'.join(out))

if __name__ == '__main__': main()
