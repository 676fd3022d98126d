#!/usr/bin/env python3
"""Fuzz corea's edges with generated bad input: the parser, the grader, the cache readers, the CLI and the reward functions.

Usage: nice python bench/fuzz.py [--out bench/results/fuzz.md] [--n 2000] [--seed 0] [--baseline DIR]

--baseline DIR also runs the same inputs against another corea (a folder holding a `corea` package, e.g. the code before
issue 11: `git archive 61d42ad corea | tar -x -C /tmp/corea_before`) in a subprocess, and reports both tables.

For each part it counts the inputs tried and, among them:
- crashes: an exception other than the documented one-line refusal (ValueError/FileNotFoundError from readers, exit code 2
  from the CLI), or any exception where none may happen (the parser, the reward functions);
- hangs: a call that did not return within its bound (the grader: its per-item timeout plus a start-up allowance);
- wrong numbers: an accepted input whose result differs from the value the input was built to have (a confidence written
  in a valid form that parses to another number, a cache whose pass@1 read back differs from the truth, a reward that is
  not finite, a CLI run that exits 0 on an argument outside its rule);
- rows lost: an accepted cache file read back with fewer or more rows than were written.
Inputs are generated from a seeded RNG, so a run is reproducible; the truth of each input is known by construction.
"""
import argparse, io, json, math, os, platform, random, string, sys, tempfile, time, warnings
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
import numpy as np, pandas as pd

ROOT = Path(__file__).resolve().parents[1]
FRAGMENTS = ['\\boxed{', '\\confidence{', '}', '{', '\\\\', '\\', '$', '%', '\\%', '/', '\\frac{', '}{', '-', '+', '.', 'e', 'E',
             '0', '1', '9', '0.5', '1e-3', '-0', 'nan', 'inf', '<answer>', '</answer>', '<confidence>', '</confidence>', ' ',
             '\n', 'π', '因', 'ß', '\x00', '\u202e', '9^{9^{9^{9}}}', 'x', '=', '(', ')', ',']

class Tally:
    "Counts for one part of the fuzz run."
    def __init__(self, name): self.name, self.tried, self.crashes, self.hangs, self.wrong, self.lost, self.examples = name, 0, 0, 0, 0, 0, []
    def note(self, kind, what):
        setattr(self, kind, getattr(self, kind) + 1)
        if len(self.examples) < 3: self.examples.append(f'{kind}: {what}'[:160])
    def row(self): return f"| {self.name} | {self.tried:,} | {self.crashes} | {self.hangs} | {self.wrong} | {self.lost} |"

def rand_text(rng, max_frags=30):
    if rng.random() < 0.2: return ''.join(rng.choice(string.printable) for _ in range(rng.randint(0, 80)))
    return ''.join(rng.choice(FRAGMENTS) for _ in range(rng.randint(0, max_frags)))

def valid_confidence_forms(rng):
    "(text, value): a confidence written in one of the documented valid forms, with the value it must parse to."
    k = rng.randint(0, 100)
    v = k / 100
    forms = [(f'{v}', v), (f'{v:.2f}', v), (f'{k}%', v) if k >= 1 else ('0', 0.0), (f'{k}/100', v), (f'\\frac{{{k}}}{{100}}', v),
             (f'{v:e}', float(f'{v:e}')), (f'${v}$', v), (f'-0', 0.0), (f' {v} ', v)]
    return rng.choice(forms)

def fuzz_parser(rng, n):
    from corea.parsing import parse_response, parse_confidence
    t = Tally('parser (`parse_response`, `parse_confidence`)')
    for _ in range(n):
        text = rand_text(rng, 60) * (rng.randint(1, 200) if rng.random() < 0.05 else 1)
        t.tried += 1
        t0 = time.perf_counter()
        try: r = parse_response(text, bare_percent=rng.random() < 0.3)
        except Exception as e: t.note('crashes', f'{text[:40]!r}: {type(e).__name__}'); continue
        if time.perf_counter() - t0 > 1.0: t.note('hangs', f'{len(text)} chars took {time.perf_counter() - t0:.1f} s')
        if r.confidence is not None and not (isinstance(r.confidence, float) and 0 <= r.confidence <= 1): t.note('wrong', f'{text[:40]!r} -> {r.confidence}')
    for _ in range(n):
        s, v = valid_confidence_forms(rng)
        t.tried += 1
        try: got, why = parse_confidence(s)
        except Exception as e: t.note('crashes', f'{s!r}: {type(e).__name__}'); continue
        if why is not None or got is None or abs(got - v) > 1e-9: t.note('wrong', f'{s!r} -> {(got, why)}, expected {v}')
    return t

def fuzz_grader(rng, n):
    from corea.grading import grade_batch
    t = Tally('grader (`grade_batch`, worker pool, timeout 2 s)')
    preds, golds, truth = [], [], []
    for _ in range(n):
        a, b = rng.randint(1, 60), rng.randint(2, 9)
        kind = rng.random()
        if kind < 0.3: preds.append(rng.choice([f'\\frac{{{a}}}{{{b}}}', f'{a}/{b}'])); golds.append(f'\\frac{{{a * 3}}}{{{b * 3}}}'); truth.append(True)
        elif kind < 0.5: preds.append(str(a + 1)); golds.append(str(a)); truth.append(False)
        else: preds.append(rand_text(rng, 20)); golds.append(rng.choice(['5', '\\frac{1}{2}', 'x^2+1', '(1, 2]'])); truth.append(None)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        for i in range(0, n, 200):
            p, g, tr = preds[i:i + 200], golds[i:i + 200], truth[i:i + 200]
            t.tried += len(p)
            t0 = time.perf_counter()
            try: ok, st = grade_batch(p, g, timeout=2, return_status=True)
            except Exception as e: t.note('crashes', f'batch {i}: {type(e).__name__}: {e}'); continue
            dt = time.perf_counter() - t0
            if dt > 2 * (1 + int((np.asarray(st) == 'timeout').sum())) + 60: t.note('hangs', f'batch {i}: {dt:.0f} s')
            for pi, oi, ti, si in zip(p, ok, tr, st):
                if ti is not None and bool(oi) != ti and si not in ('timeout', 'error'): t.note('wrong', f'{pi!r}: {bool(oi)}, truth {ti}')
    return t

BOOL_SPELLINGS = [(True, False), ('True', 'False'), ('true', 'false'), ('yes', 'no'), ('1', '0'), (1, 0), (1.0, 0.0)]

def make_cache(rng, n_q=30):
    rows = []
    for m, conf in (('slm', True), ('llm', False)):
        for q in range(n_q):
            for s in range(2 if conf else 1):
                rows.append(dict(dataset='d', question_id=f'q{q:03d}', sample=s, model=m, method='v', correct=rng.random() < 0.5,
                                 confidence=round(rng.random(), 2) if conf else None, n_in=rng.randint(1, 99), n_out=rng.randint(1, 99)))
    return pd.DataFrame(rows)

def corrupt(rng, df):
    "(frame, valid, what): the cache with one random change; valid says whether corea must accept it (same pass@1)."
    df = df.copy().astype(object)
    i, what = rng.randrange(len(df)), rng.randrange(9)
    if what == 0:
        t, f = rng.choice(BOOL_SPELLINGS)
        df['correct'] = [t if c else f for c in df['correct']]; return df, True, f'correct spelled {t!r}/{f!r}'
    if what == 1: df.loc[i, 'correct'] = v = rng.choice(['maybe', 'None', 2, 'TRUE!', -1]); return df, False, f'correct = {v!r}'
    if what == 2: df.loc[i, 'confidence'] = v = rng.choice([1.5, -0.1, 'high', float('inf'), True]) if df.loc[i, 'model'] == 'slm' else 'x'; return df, False, f'confidence = {v!r}'
    if what == 3: df.loc[i, 'n_out'] = v = rng.choice([-1, 2.5, None, 'many']); return df, False, f'n_out = {v!r}'
    if what == 4: c, v = rng.choice(['question_id', 'model', 'dataset']), rng.choice([None, '']); df.loc[i, c] = v; return df, False, f'{c} = {v!r}'
    if what == 5: return pd.concat([df, df.iloc[[i]]], ignore_index=True), False, 'a row twice'
    if what == 6: df.loc[i, 'sample'] = v = rng.choice([None, -2, 0.5]); return df, False, f'sample = {v!r}'
    if what == 7: c = rng.choice(['correct', 'n_in', 'confidence', 'question_id']); return df.drop(columns=c), False, f'no column {c}'
    return df, True, 'unchanged'

def write(df, path):
    if path.suffix == '.parquet':
        try: df.to_parquet(path)
        except Exception: return False                      # pyarrow cannot store this mix of types: nothing to read
    elif path.suffix == '.csv': df.to_csv(path, index=False)
    else: df.to_json(path, orient='records', lines=path.suffix == '.jsonl')
    return True

def fuzz_cache(rng, n, tmp):
    try: from corea.cache import read_generations
    except ImportError: from corea.cli import read_generations       # corea before issue 11 (to check that this harness finds its bugs)
    t = Tally('cache readers (`read_generations`: .parquet/.jsonl/.json/.csv)')
    base = make_cache(rng)
    for k in range(n):
        df, valid, what = corrupt(rng, base)
        p = tmp/f'c{k}{rng.choice([".parquet", ".jsonl", ".json", ".csv"])}'
        if not write(df, p): continue
        if (what, p.suffix) in {('confidence = inf', '.json'), ('confidence = inf', '.jsonl'), ('confidence = True', '.parquet')}:
            valid = True            # the writer changed the value: pandas writes inf to JSON as null, pyarrow stores True as 1.0
        t.tried += 1
        try: got = read_generations(p)
        except (ValueError, FileNotFoundError) as e:
            if valid: t.note('wrong', f'{p.name}: a valid cache ({what}) was refused ({str(e)[:80]})')
            elif len(str(e).splitlines()) != 1: t.note('crashes', f'{p.name}: a refusal of {len(str(e).splitlines())} lines')
            continue
        except Exception as e: t.note('crashes', f'{p.name}: {type(e).__name__}: {str(e)[:80]}'); continue
        if not valid: t.note('wrong', f'{p.name}: an invalid cache was accepted ({what})'); continue
        if len(got) != len(base): t.note('lost', f'{p.name}: {len(got)} rows of {len(base)}')
        truth = base.groupby('model').correct.mean().sort_index()
        try: seen = got.assign(correct=got['correct'].astype(bool)).groupby('model').correct.mean().sort_index()   # as the cascade reads it
        except Exception as e: t.note('crashes', f'{p.name}: the rows read back break the cascade ({type(e).__name__})'); continue
        if len(seen) != len(truth) or not np.allclose(seen.to_numpy(float), truth.to_numpy(float)): t.note('wrong', f'{p.name}: pass@1 {seen.round(3).tolist()}, truth {truth.round(3).tolist()}')
    return t

def fuzz_cli(rng, n, tmp):
    from corea.cli import main
    from corea.widgets import synthetic_cache
    t = Tally('CLI (`corea simulate` / `generate` argument values)')
    synthetic_cache(n_questions=20, n_runs=1).to_parquet(tmp/'gen.parquet')            # SYNTHETIC: for the fuzz run only
    values = ['-1', '0', '0.5', '1.1', '1.2', 'nan', 'inf', '-inf', '1e9', 'abc', '', '3', '-0']
    rules = {'--threshold': lambda v: 0 <= v <= 1.1, '--output-weight': lambda v: math.isfinite(v) and v >= 0,
             '--param-ratio': lambda v: math.isfinite(v) and v > 0}
    for _ in range(n):
        opt, val = rng.choice(list(rules)), rng.choice(values)
        t.tried += 1
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err), warnings.catch_warnings():
            warnings.simplefilter('ignore')
            try: code = main(['simulate', str(tmp/'gen.parquet'), opt, val])
            except BaseException as e: t.note('crashes', f'{opt} {val!r}: {type(e).__name__}'); continue
        try: ok = rules[opt](float(val))
        except ValueError: ok = False
        if code not in (0, 2) or 'Traceback' in err.getvalue(): t.note('crashes', f'{opt} {val!r}: exit {code}')
        elif code == 0 and not ok: t.note('wrong', f'{opt} {val!r} accepted (exit 0)')
        elif code == 2 and ok: t.note('wrong', f'{opt} {val!r} refused: {err.getvalue().strip()[:80]}')
        elif code == 2 and len(err.getvalue().strip().splitlines()) != 1: t.note('crashes', f'{opt} {val!r}: {len(err.getvalue().splitlines())}-line error')
    return t

def rand_completion(rng):
    good = f'\\boxed{{{rng.randint(0, 9)}}} \\confidence{{{rng.choice(["0.3", "0.9", "1e-3", "-0", "0.9%", "150%", "x"])}}}'
    return rng.choice([good, rand_text(rng), None, 17, 3.5, [], {}, [{'role': 'assistant', 'content': good}],
                       [{'role': 'assistant', 'content': [{'type': 'text', 'text': good}, {'type': 'image'}]}],
                       [{'role': 'assistant', 'content': None}], {'content': [good, 5]}])

def fuzz_rewards(rng, n):
    from corea.rewards import make_reward_func, score_completions, confidence_reward, CONFIDENCE_KINDS
    t = Tally('rewards (TRL callables, `score_completions`, array rewards)')
    funcs = [make_reward_func('correctness'), make_reward_func('format'), make_reward_func('confidence', 'brier'),
             make_reward_func('confidence', 'sample_kl')]
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        for _ in range(n // 8):
            k = rng.randint(1, 8)
            comps = [rand_completion(rng) for _ in range(k)]
            answers = [rng.choice(['4', 4, None, '', float('nan'), 'B', '\\frac{1}{2}', 2.5, True]) for _ in range(k)]
            kinds = [rng.choice(['math', 'math', 'choice', None, 'nope']) for _ in range(k)]
            for f in funcs:
                t.tried += k
                try: r = f([None] * k, comps, answer=answers, kind=kinds)
                except Exception as e: t.note('crashes', f'{f.__name__}: {type(e).__name__}: {str(e)[:80]}'); continue
                if len(r) != k or not np.isfinite(np.asarray(r, float)).all(): t.note('wrong', f'{f.__name__}: {r}')
            c = [rng.choice([0.5, np.nan, np.inf, -np.inf, 2.0, -1.0, 0.0, 1.0]) for _ in range(k)]
            for kind in CONFIDENCE_KINDS:
                t.tried += k
                try: r = confidence_reward(kind, c, [rng.random() < 0.5 for _ in range(k)], group=[i % 2 for i in range(k)])
                except Exception as e: t.note('crashes', f'{kind}: {type(e).__name__}'); continue
                if not (np.isfinite(r).all() and (r >= -1).all() and (r <= 0).all()): t.note('wrong', f'{kind}: {c} -> {r}')
    return t

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', default=str(ROOT/'bench'/'results'/'fuzz.md'))
    ap.add_argument('--n', type=int, default=2000, help='inputs per part (the grader and the CLI get a fraction)')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--baseline', help='a folder holding another corea package to fuzz with the same inputs (see above)')
    ap.add_argument('--baseline-name', help='what the baseline is, for the report (default: its path)')
    a = ap.parse_args()
    rng, load0, t0 = random.Random(a.seed), os.getloadavg()[0], time.time()
    tmp = Path(tempfile.mkdtemp())
    parts = []
    for name, fn in [('parser', lambda: fuzz_parser(rng, a.n)), ('grader', lambda: fuzz_grader(rng, a.n // 2)),
                     ('cache', lambda: fuzz_cache(rng, a.n // 4, tmp)), ('cli', lambda: fuzz_cli(rng, a.n // 20, tmp)),
                     ('rewards', lambda: fuzz_rewards(rng, a.n))]:
        ts = time.time(); parts.append(fn()); print(f'{name}: {time.time() - ts:.1f} s', parts[-1].row(), flush=True)
    total = {k: sum(getattr(p, k) for p in parts) for k in ('tried', 'crashes', 'hangs', 'wrong', 'lost')}
    lines = ['## Fuzzing: generated bad input at every edge (`bench/fuzz.py`)', '',
             f"Command: `nice python bench/fuzz.py --n {a.n} --seed {a.seed}{' --baseline DIR' if a.baseline else ''}`. Machine: {platform.machine()}, {os.cpu_count()} CPU cores visible, "
             f"Python {platform.python_version()}; shared, load average {load0:.1f} at the start, {os.getloadavg()[0]:.1f} at the end; "
             f"{time.time() - t0:.0f} s in all.", '',
             'Each input is generated with its truth known by construction (a confidence written in a valid form, a cache whose '
             'pass@1 is known, an argument inside or outside its rule); see the script\'s docstring for what counts as a crash, '
             'a hang, a wrong number or a lost row.', '',
             '| part | inputs tried | crashes | hangs | wrong numbers | rows lost |', '|---|---|---|---|---|---|',
             *[p.row() for p in parts],
             f"| **all** | **{total['tried']:,}** | **{total['crashes']}** | **{total['hangs']}** | **{total['wrong']}** | **{total['lost']}** |", '']
    ex = [e for p in parts for e in p.examples]
    lines += (['First findings:', ''] + [f'- {e}' for e in ex] + ['']) if ex else ['No crash, hang, wrong number or lost row.', '']
    if a.baseline:
        import subprocess
        out = Path(tempfile.mkdtemp())/'baseline.md'
        env = {**os.environ, "PYTHONPATH": str(Path(a.baseline).resolve())}       # cwd elsewhere: no corea from this checkout
        subprocess.run([sys.executable, __file__, '--n', str(a.n), '--seed', str(a.seed), '--out', str(out)], env=env, cwd=out.parent,
                       capture_output=True, text=True, timeout=3600)
        base = out.read_text().split('\n') if out.exists() else ['(the baseline run wrote no table)']
        tab = [l for l in base if l.startswith('|')]
        first = [l for l in base if l.startswith('- ')]
        lines += [f'The same inputs against {a.baseline_name or a.baseline} (run in a subprocess, same seed):', '', *tab, '']
        if first: lines += ['Its first findings:', '', *first, '']
    Path(a.out).write_text('\n'.join(lines))
    print('\n'.join(lines))
    return 0 if not any(total[k] for k in ('crashes', 'hangs', 'wrong', 'lost')) else 1

if __name__ == '__main__': sys.exit(main())
