#!/usr/bin/env python3
"""Throughput of the reward pipeline of a GRPO step on 8,192 completions (1024 questions x G=8, the paper's rollout batch).

Usage: nice python bench/rewards.py [--out bench/results/rewards.md] [--repeats 3]

Completions are built from corea.data.make_arithmetic_questions with a fixed seed: correct answers (some in equivalent forms
such as 14.0), wrong answers, malformed (no \\boxed), missing/unparsable confidence, and some long reasoning.
Rows (best of --repeats, worker pool already started):
- the path corea.train uses: `local_reward_inputs` (parse + grade + format + confidence, once) then `gathered_rewards`
  (p_hat and the L1 group reward on the gathered arrays; one process here, so the gather is the identity);
- baseline in the same run: three separate TRL reward callables (correctness, format, sample-level confidence), the usual
  TRL layout, each of which parses and grades the whole batch again;
- `score_completions` with grading in-process (n_workers=0), to show what the worker pool adds or costs here.
"""
import argparse, os, platform, sys, time, warnings
from pathlib import Path
import numpy as np
from corea.data import make_arithmetic_questions
from corea.rewards import score_completions, RewardConfig, make_reward_func
from corea.train import local_reward_inputs, gathered_rewards

def build(n_q=1024, G=8, seed=0):
    rng = np.random.default_rng(seed)
    # levels 2-5 only: level 1 (one-digit + and -) has ~120 distinct questions, and make_arithmetic_questions cycles levels,
    # so 1024 questions over all five levels would ask it for ~205 distinct level-1 questions (it never returns)
    qs = make_arithmetic_questions(n_q, seed=seed, levels=(2, 3, 4, 5))
    comps, answers, prompts = [], [], []
    for q in qs.itertuples():
        for g in range(G):
            u, c = rng.random(), rng.random()
            a = q.answer
            ans = a if u < .5 else (f'{a}.0' if u < .6 else str(int(rng.integers(0, 200))))
            conf = rf'\confidence{{{c:.2f}}}' if rng.random() < .85 else (r'\confidence{high}' if rng.random() < .5 else '')
            body = f"We compute {q.question.rstrip('?').replace('What is ', '')} step by step. " * (int(rng.integers(20, 60)) if rng.random() < .1 else 1)
            tail = rf'The answer is \boxed{{{ans}}}. ' if rng.random() < .9 else f'The answer is {ans}. '
            comps.append([{'role': 'assistant', 'content': body + tail + conf}]); answers.append(a)
            prompts.append([{'role': 'user', 'content': q.question}])
    return comps, answers, prompts

def best(f, seeds):
    "Best wall time of f(batch) over fresh batches (one seed each: no grading cache carries over between runs)."
    ts = []
    for seed in seeds:
        batch = build(seed=seed)
        t = time.perf_counter(); out = f(*batch); ts.append(time.perf_counter() - t)
    return min(ts), out

def main():
    ap = argparse.ArgumentParser(); ap.add_argument('--out', default='bench/results/rewards.md'); ap.add_argument('--repeats', type=int, default=3)
    args = ap.parse_args()
    warnings.simplefilter('ignore')
    load0 = os.getloadavg()[0]
    G, rc, k = 8, RewardConfig(confidence_kind='l1'), args.repeats
    comps, answers, prompts = build(seed=0); n = len(comps)
    local_reward_inputs(prompts[:64], comps[:64], answers[:64], config=rc)          # start the grading worker pool
    seeds = lambda i: range(1 + i * k, 1 + (i + 1) * k)                            # distinct fresh batches for every run
    t_train, (R, metrics) = best(lambda c, a, p: gathered_rewards(local_reward_inputs(p, c, a, config=rc), G, rc), seeds(0))
    local = local_reward_inputs(prompts, comps, answers, config=rc)
    t0 = time.perf_counter(); R0, _ = gathered_rewards(local, G, rc); t_group = time.perf_counter() - t0
    funcs = [make_reward_func('correctness'), make_reward_func('format'), make_reward_func('confidence', 'sample_l1')]
    t_base, _ = best(lambda c, a, p: [f(p, c, answer=a) for f in funcs], seeds(1))
    t_inproc, _ = best(lambda c, a, p: score_completions(c, a, groups=np.arange(len(c)) // G, prompts=p, config=rc, n_workers=0), seeds(2))
    # the three pipelines agree on one batch
    base = [f(prompts, comps, answer=answers) for f in funcs]
    df = score_completions(comps, answers, groups=np.arange(n) // G, prompts=prompts, config=rc, n_workers=0)
    assert np.allclose(base[0], R0[:, 0]) and np.allclose(base[1], R0[:, 1]), 'baseline and corea.train disagree on correctness/format'
    assert np.allclose(df.r_correct, R0[:, 0]) and np.allclose(df.r_confidence, R0[:, 2]), 'in-process and pool scoring disagree'
    load1 = os.getloadavg()[0]
    rate = n / t_train
    rows = [('`corea.train`: `local_reward_inputs` once, then `gathered_rewards` (L1 group reward)', t_train),
            ('baseline: 3 TRL reward callables (correctness, format, sample_L1), each scoring the batch', t_base),
            ('`score_completions`, grading in-process (`n_workers=0`)', t_inproc)]
    lines = ['## Rewards: the reward pipeline of one GRPO rollout batch (`corea.train`, `corea.rewards`)', '',
             f'Command: `nice python bench/rewards.py`. Machine: {platform.machine()}, {os.cpu_count()} CPU cores visible, Python '
             f'{sys.version.split()[0]}; shared, load average {load0:.1f} at the start, {load1:.1f} at the end. Best of {k} runs '
             f'each, every run on a fresh batch (another seed, so no grading cache carries over); grading worker pool already started.', '',
             f'Workload: {n:,} chat completions = 1,024 arithmetic questions x G = 8 (the paper\'s rollout batch), fixed seeds; '
             f'on seed 0: accuracy {df.correct.mean():.3f}, no `\\boxed{{}}` {df.answer.isna().mean():.3f}, no valid confidence {df.confidence.isna().mean():.3f}, '
             f'grade statuses {df.grade_status.value_counts().to_dict()}.', '',
             '| pipeline | wall time | completions/s | vs baseline |', '|---|---|---|---|']
    lines += [f'| {name} | {t:.2f} s | {n / t:,.0f} | {t_base / t:.1f}x |' for name, t in rows]
    lines += ['', f'**{rate:,.0f} completions/s** for the path training uses; of that, the group step (`gathered_rewards` alone: p_hat, '
              f'L1 reward, metrics on {n:,} rows) takes {t_group * 1000:.1f} ms. The three pipelines give the same rewards on one batch (asserted).', '',
              f'What it means for a step: on 8 GPUs each process scores its own 1/8 of the batch ({n // 8:,} completions, about '
              f'{n / 8 / rate:.2f} s at this rate) before the gather, and one process alone would take {t_train:.1f} s for all {n:,}. '
              f'A paper-scale rollout of {n:,} completions of up to 4,096 tokens takes minutes of GPU generation, so the reward is a '
              f'small share of the step; we could not time such a step here (no GPU). On this CPU, one tiny GRPO step of SmolLM2-135M '
              f'(8 completions of 64 tokens) takes 25-110 s depending on the load (`nbs/10_train.ipynb`), and scoring its 8 completions takes about '
              f'{8 / rate * 1000:.0f} ms.', '',
              'The baseline row is what the usual TRL layout costs: one reward function per component, each parsing and grading every '
              'completion again (and a group-level reward could not be exact in it, see `nbs/10_train.ipynb`). Grading is de-duplicated '
              'and cached per process (`corea.grading`), so the second and third callables are cheaper than the first. The in-process '
              'row is faster than the worker pool here: arithmetic answers are easy (half of them skip math-verify, equal to the gold '
              'up to spaces), so sending them to worker processes costs more than grading them, and the 2 cores are shared. The pool is '
              'there for the hard answers of real math data, where one answer can take seconds and needs a timeout that works off the '
              'main thread (see the grading section).', '']
    Path(args.out).write_text('\n'.join(lines)); print('\n'.join(lines))

if __name__ == '__main__': main()
