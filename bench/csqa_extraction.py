#!/usr/bin/env python3
"""CommonsenseQA below chance (issue 21): where the shipped SLMs' answers are lost (no box, a number, an option's text,
a letter), in the shipped cache and in a fresh small generation with the earlier prompt and grading (before) and the
current ones (after), beside the 20% chance rate of five options. Prints counts, letters and ids only, never question
text; with --keep FILE the responses are written to FILE (keep it out of git: it quotes the options).

Run: PYTHONPATH=. nice -n 19 python bench/csqa_extraction.py [--n 30] [--models rlvr base] [--seed 0] [--keep FILE]
"""
import argparse, glob, re
from pathlib import Path
import pandas as pd
import corea
from corea.data import load_benchmark
from corea.grading import grade_batch, normalize_choice
from corea.parsing import COREA_INSTRUCTION, build_prompt, parse_response
from corea.generate import option_lists

CHANCE = 0.2
KINDS = ('no_box', 'number', 'letter', 'option_text', 'other')

def answer_kind(answer, choices) -> str:
    "What a boxed answer is: none, a bare number, a letter normalize_choice reads, an option's exact text, else other."
    if not isinstance(answer, str): return 'no_box'
    if normalize_choice(answer) is not None: return 'letter'
    if normalize_choice(answer, choices=choices) is not None: return 'option_text'
    if re.fullmatch(r'\s*[\d.]+\s*', answer): return 'number'
    return 'other'

def summary(df: pd.DataFrame, by: str) -> pd.DataFrame:
    "Per group: the share of each answer kind, accuracy as graded (letters only) and with option texts read."
    out = pd.crosstab(df[by], df.kind, normalize='index').reindex(columns=list(KINDS), fill_value=0)
    out['readable'] = out.letter + out.option_text
    out['acc_letters'] = df.groupby(by).acc_letters.mean()
    out['acc_options'] = df.groupby(by).acc_options.mean()
    out['acc_readable'] = df[df.kind.isin(['letter', 'option_text'])].groupby(by).acc_options.mean()
    out['confidence'] = df.groupby(by).has_conf.mean()
    out.insert(0, 'n', df.groupby(by).size())
    return out.round(3)

def grade(df: pd.DataFrame, bench: pd.DataFrame) -> pd.DataFrame:
    "Add kind, letter-only and option-text-aware correctness (the shipped and the current grading) and has_conf."
    q = bench.loc[df.question_id]
    ch = option_lists(q.reset_index(), 'choice')
    answers = [a if isinstance(a, str) else None for a in df.answer]
    return df.assign(kind=[answer_kind(a, c) for a, c in zip(answers, ch)],
                     acc_letters=grade_batch(answers, list(q.answer), 'choice'),
                     acc_options=grade_batch(answers, list(q.answer), 'choice', choices=ch),
                     has_conf=df.confidence.notna().to_numpy())

def shipped(bench: pd.DataFrame) -> pd.DataFrame:
    "The CommonsenseQA rows of the shipped evaluation (corea/assets/default_cache), graded both ways."
    root = Path(corea.__file__).parent/'assets'/'default_cache'/'data'
    df = pd.concat([pd.read_parquet(f) for f in sorted(glob.glob(str(root/'*.parquet')))])
    df = df[(df.dataset == 'commonsenseqa') & (df.model != 'RLVR-SLM majority@5')].reset_index(drop=True)
    return grade(df, bench)

def fresh(bench: pd.DataFrame, n: int, models: list[str], seed: int, keep: str | None) -> pd.DataFrame:
    "n seeded questions x models, the eval stage's settings (no demonstrations, temperature 0.6, 128 tokens), both prompts."
    from corea.backends.base import get_backend
    from corea.models import trained_slm
    qs = bench.reset_index().sample(n, random_state=seed).reset_index(drop=True)
    prompts = dict(before=[build_prompt(q, list(c), instruction=COREA_INSTRUCTION) for q, c in zip(qs.question, qs.choices)],
                   after=[build_prompt(q, list(c)) for q, c in zip(qs.question, qs.choices)])
    rows = []
    for name in models:
        be = get_backend('ct2', trained_slm(name))
        for which, ps in prompts.items():
            gens = be.generate([[dict(role='user', content=p)] for p in ps], temperature=0.6, max_new_tokens=128, seed=seed)
            for qid, g in zip(qs.id, gens):
                r = parse_response(g.text)
                rows.append(dict(model=name, prompt=which, question_id=qid, answer=r.answer, response=g.text,
                                 confidence=r.confidence))
    df = pd.DataFrame(rows)
    if keep: df.to_json(keep, orient='records', lines=True)
    return grade(df.drop(columns='response'), bench)

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--n', type=int, default=30, help='CommonsenseQA dev questions in the fresh sample')
    ap.add_argument('--models', nargs='+', default=['rlvr', 'base'], help="trained SLMs ('base', 'rlvr', 'brier', 'l1')")
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--keep', help='write the fresh responses here (not into git)')
    ap.add_argument('--no-generate', action='store_true', help='only the shipped cache')
    a = ap.parse_args()
    bench = load_benchmark('commonsenseqa').set_index('id')
    pd.set_option('display.width', 200)
    print(f'chance rate: {CHANCE:.0%} (five options)\n\nshipped cache (3 runs x 60 questions per SLM):')
    print(summary(shipped(bench), 'model').to_string())
    if a.no_generate: return
    df = fresh(bench, a.n, a.models, a.seed, a.keep)
    df['run'] = df.model + ' / ' + df.prompt
    print(f'\nfresh: {a.n} questions (seed {a.seed}) x {a.models}, before = earlier prompt, after = current prompt:')
    print(summary(df, 'run').to_string())
    print('\nboxed letters chosen:', df[df.kind == 'letter'].groupby('run').answer.apply(
        lambda s: ''.join(sorted(normalize_choice(x) for x in s))).to_dict())

if __name__ == '__main__': main()
