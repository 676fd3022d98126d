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

def best(f, repeats):
    ts = []
    for _ in range(repeats):
        t = time.perf_counter(); out = f(); ts.append(time.perf_counter() - t)
    return min(ts), out

def main():
    ap = argparse.ArgumentParser(); ap.add_argument('--out', default='bench/results/rewards.md'); ap.add_argument('--repeats', type=int, default=3)
    args = ap.parse_args()
    warnings.simplefilter('ignore')
    load0 = os.getloadavg()[0]
    comps, answers, prompts = build(); n = len(comps); G = 8
    rc = RewardConfig(confidence_kind='l1')
    local_reward_inputs(prompts[:64], comps[:64], answers[:64], config=rc)          # start the grading worker pool
    t_train, (R, metrics) = best(lambda: gathered_rewards(local_reward_inputs(prompts, comps, answers, config=rc), G, rc), args.repeats)
    local = local_reward_inputs(prompts, comps, answers, config=rc)
    t_group, _ = best(lambda: gathered_rewards(local, G, rc), args.repeats)
    funcs = [make_reward_func('correctness'), make_reward_func('format'), make_reward_func('confidence', 'sample_l1')]
    t_base, base = best(lambda: [f(prompts, comps, answer=answers) for f in funcs], args.repeats)
    t_inproc, df = best(lambda: score_completions(comps, answers, prompts=prompts, config=rc, n_workers=0), args.repeats)
    assert np.allclose(base[0], R[:, 0]) and np.allclose(base[1], R[:, 1]), 'baseline and corea.train disagree on correctness/format'
    assert np.allclose(df.r_correct, R[:, 0]) and np.allclose(df.r_confidence, R[:, 2]), 'in-process and pool scoring disagree'
    load1 = os.getloadavg()[0]
    rate = n / t_train
    rows = [('`corea.train`: `local_reward_inputs` once, then `gathered_rewards` (L1 group reward)', t_train),
            ('baseline: 3 TRL reward callables (correctness, format, sample_L1), each scoring the batch', t_base),
            ('`score_completions`, grading in-process (`n_workers=0`)', t_inproc)]
    lines = ['## Rewards: the reward pipeline of one GRPO rollout batch (`corea.train`, `corea.rewards`)', '',
             f'Command: `nice python bench/rewards.py`. Machine: {platform.machine()}, {os.cpu_count()} CPU cores visible, Python '
             f'{sys.version.split()[0]}; shared, load average {load0:.1f} at the start, {load1:.1f} at the end. Best of {args.repeats} runs '
             f'each, grading worker pool already started.', '',
             f'Workload: {n:,} chat completions = 1,024 arithmetic questions x G = 8 (the paper\'s rollout batch), fixed seed: '
             f'accuracy {df.correct.mean():.3f}, no `\\boxed{{}}` {df.answer.isna().mean():.3f}, no valid confidence {df.confidence.isna().mean():.3f}, '
             f'grade statuses {df.grade_status.value_counts().to_dict()}.', '',
             '| pipeline | wall time | completions/s | vs baseline |', '|---|---|---|---|']
    lines += [f'| {name} | {t:.2f} s | {n / t:,.0f} | {t_base / t:.1f}x |' for name, t in rows]
    lines += ['', f'**{rate:,.0f} completions/s** for the path training uses; of that, the group step (`gathered_rewards` alone: p_hat, '
              f'L1 reward, metrics on {n:,} rows) takes {t_group * 1000:.1f} ms. Every row gives the same rewards (asserted).', '',
              f'What it means for a step: on 8 GPUs each process scores its own 1/8 of the batch ({n // 8:,} completions, about '
              f'{n / 8 / rate:.2f} s at this rate) before the gather, and one process alone would take {t_train:.1f} s for all {n:,}. '
              f'A paper-scale rollout of {n:,} completions of up to 4,096 tokens takes minutes of GPU generation, so the reward is a '
              f'small share of the step; we could not time such a step here (no GPU). On this CPU, one tiny GRPO step of SmolLM2-135M '
              f'(8 completions of 64 tokens) takes 30-110 s depending on the load, and scoring its 8 completions takes about '
              f'{8 / rate * 1000:.0f} ms.', '',
              'The baseline row is what the usual TRL layout costs: one reward function per component, each parsing and grading every '
              'completion again (and a group-level reward could not be exact in it, see `nbs/10_train.ipynb`). Grading is de-duplicated '
              'and cached per process (`corea.grading`), so the second and third callables are cheaper than the first; the in-process '
              'row shows whether the worker pool pays off on easy arithmetic answers on 2 shared cores.', '']
    Path(args.out).write_text('\n'.join(lines)); print('\n'.join(lines))

if __name__ == '__main__': main()
