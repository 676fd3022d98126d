#!/usr/bin/env python3
"""Throughput of the whole reward pipeline (parse + grade + format + confidence) on 8,192 completions (1024 questions x G=8).

Usage: nice python bench/rewards.py [--out bench/results/rewards.md]

Completions are built from corea.data.make_arithmetic_questions with a fixed seed: correct answers (some in equivalent forms
such as 14.0 or \\frac{28}{2}), wrong answers, malformed (no \\boxed), missing/unparsable confidence, and some long reasoning.
"""
import argparse, platform, sys, time, warnings
from pathlib import Path
import numpy as np
from corea.data import make_arithmetic_questions
from corea.rewards import score_completions, RewardConfig

def build(n_q=1024, G=8, seed=0):
    rng = np.random.default_rng(seed)
    qs = make_arithmetic_questions(n_q, seed=seed)
    comps, answers, groups, prompts = [], [], [], []
    for qi, q in enumerate(qs.itertuples()):
        for g in range(G):
            u, c = rng.random(), rng.random()
            a = q.answer
            ans = a if u < .5 else (f'{a}.0' if u < .6 and '/' not in a and '.' not in a else (a if u < .6 else str(int(rng.integers(0, 200)))))
            conf = rf'\confidence{{{c:.2f}}}' if rng.random() < .85 else (r'\confidence{high}' if rng.random() < .5 else '')
            body = f"We compute {q.question.rstrip('?').replace('What is ', '')} step by step. " * (int(rng.integers(20, 60)) if rng.random() < .1 else 1)
            tail = rf'The answer is \boxed{{{ans}}}. ' if rng.random() < .9 else f'The answer is {ans}. '
            comps.append(body + tail + conf); answers.append(a); groups.append(qi); prompts.append(q.question)
    return comps, answers, groups, prompts

def main():
    ap = argparse.ArgumentParser(); ap.add_argument('--out', default='bench/results/rewards.md'); args = ap.parse_args()
    comps, answers, groups, prompts = build()
    score_completions(comps[:64], answers[:64], groups=groups[:64], prompts=prompts[:64])   # warm the worker pool
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        t = time.perf_counter(); df = score_completions(comps, answers, groups=groups, prompts=prompts, config=RewardConfig(confidence_kind='l1')); dt = time.perf_counter() - t
    n = len(comps); rate = n / dt
    lines = [f'## Rewards (bench/rewards.py)', '', f'Command: `nice python bench/rewards.py` ({platform.processor() or platform.machine()}, Python {sys.version.split()[0]}, 2 shared cores)', '',
             f'{n} completions (1024 arithmetic questions x G=8), full pipeline `corea.rewards.score_completions` (parse + grade_batch in worker processes + format + L1 group confidence): '
             f'**{dt:.2f} s, {rate:,.0f} completions/s**.', '',
             f'Mix: accuracy {df.correct.mean():.3f}, no boxed answer {df.answer.isna().mean():.3f}, missing confidence {df.confidence.isna().mean():.3f}, grade statuses {df.grade_status.value_counts().to_dict()}.', '',
             f'Share of a GRPO step: at tiny scale (MODELS.md, ~25 s per step, batch of 8-64 completions) scoring a batch of 64 takes ~{64 / rate * 1000:.0f} ms = {64 / rate / 25:.2%} of the step; '
             f'at paper scale (e.g. 8,192 completions per step, a step of minutes) it is {dt:.1f} s, i.e. {dt / 180:.1%} of a 3-minute step.', '']
    Path(args.out).write_text('\n'.join(lines)); print('\n'.join(lines))

if __name__ == '__main__': main()
