#!/usr/bin/env python3
"""Mixed GRPO groups on the RL starting model (issue 21, item 1): which arithmetic levels give groups with 0 < p̂ < 1?

The miniature run failed because most GRPO groups were all wrong (94 of 160 had p̂ = 0, 39 were mixed). This bench
measures, before any training, how the model every RL arm starts from (the format warm-up, `trained_slm('base')`, the
bare COREA instruction, no demonstrations) does on fresh arithmetic questions of each level when sampled exactly as the
GRPO stage samples (G rollouts at its temperature, top-p 1, no top-k, at most max_completion_length tokens: the
miniature config's `rl` block and trl.GRPOConfig's defaults), and from the per-level numbers the expected share of
mixed groups for candidate level mixes.

Fresh questions: corea's own generator (`make_arithmetic_questions`, one level at a time) with a seed the run does not
use, minus every question of the run's data/ (eval, dev, train, warmup) and its commuted twins (a + b / b + a,
a * b / b * a, (a + b) * c / (b + a) * c, a * c - b / c * a - b, and word problems with the same numbers). Level 1 has
only 126 distinct questions and the run used 120 of them, so it has almost no fresh question left: it is filled up
with training questions of the run (never eval or dev), those the warm-up never saw first, and marked as such.

  nice -n 19 python bench/mixed_groups.py run      # generate (resumable, one cache per round; --budget-min stops it)
  nice -n 19 python bench/mixed_groups.py retest   # G fresh rollouts of every level 1-3 question that gave a mixed group
  python bench/mixed_groups.py report              # tables from whatever the caches hold

It measured the first run's warm-up model, which corea shipped until miniature2 was published (2026-12-03); `run` and
`retest` check that the shipped base adapter is that run's, so they refuse on later checkouts: measure from a checkout
of commit 3f00a76 or earlier. `report` works on any checkout.

Writes bench/results/mixed_groups/ (questions.jsonl, overlap.json, runs.json, caches/round*/, per_question.csv) and
the measurement part of bench/results/mixed_groups.md (the design note below its marker line is kept).
"""
import argparse, json, os, re, sys, time
from itertools import product
from pathlib import Path
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT/'bench'/'results'/'mixed_groups'
RUN = ROOT/'experiments'/'miniature'
SPLITS = ('eval', 'dev', 'train', 'warmup')
MODEL_NAME = 'SLM (format warm-up)'
MARK = '<!-- design note: written by hand, kept when the report is rewritten -->'

# --- fresh questions ------------------------------------------------------------------------------------------------
def canonical(q: str) -> tuple:
    "The arithmetic a question asks, up to commuting its operands (a + b = b + a): equal keys = the same question."
    n = [int(x) for x in re.findall(r'\d+', q)]
    if m := re.fullmatch(r'What is \((\d+) \+ (\d+)\) \* (\d+)\?', q): return ('(a+b)*c', *sorted(n[:2]), n[2])
    if m := re.fullmatch(r'What is (\d+) \* (\d+) - (\d+)\?', q): return ('a*c-b', *sorted(n[:2]), n[2])
    if m := re.fullmatch(r'What is (\d+) ([-+*]) (\d+)\?', q):
        a, op, b = int(m[1]), m[2], int(m[3])
        return (op, *sorted((a, b))) if op in '+*' else (op, a, b)
    if len(n) == 3: return ('a+b*c', n[0], *sorted(n[1:]))      # word problem: a + b bags x c each; names ignored
    raise ValueError(f'not an arithmetic question of corea: {q!r}')

def run_questions(run: Path) -> pd.DataFrame:
    from corea.data import load_jsonl_benchmark
    return pd.concat([load_jsonl_benchmark(run/'data'/f'{s}.jsonl').assign(split=s) for s in SPLITS], ignore_index=True)

def level_of(q_id: str) -> int: return int(re.match(r'arith-L(\d)', q_id)[1])

def fresh_questions(n_per_level: int, seed: int, run: Path, levels=(1, 2, 3, 4, 5)) -> tuple[pd.DataFrame, dict]:
    "n_per_level questions per level not in the run (nor a commuted twin of one); level 1 filled from the run's train split."
    from corea.data import ARITHMETIC_LEVEL_SIZES, make_arithmetic_questions
    seen = run_questions(run)
    seen_keys, seen_text = set(map(canonical, seen.question)), set(seen.question)
    n_warm = len(pd.read_json(run/'data'/'warmup.jsonl', lines=True))
    rows, info = [], {}
    for lv in levels:
        pool = make_arithmetic_questions(min(ARITHMETIC_LEVEL_SIZES[lv], max(400, 4 * n_per_level)), seed=seed + lv,
                                         levels=[lv])
        keys = pool.question.map(canonical)
        exact, twin = pool.question.isin(seen_text), keys.isin(seen_keys) & ~pool.question.isin(seen_text)
        fresh = pool[~keys.isin(seen_keys)].assign(key=keys[~keys.isin(seen_keys)]).drop_duplicates('key')
        take = fresh.head(n_per_level).assign(origin='fresh')
        filled = 0
        if len(take) < n_per_level:       # level 1: the run used nearly all of it; fill with training questions
            tr = pd.read_json(run/'data'/'train.jsonl', lines=True)
            tr = tr.assign(order=np.where(np.arange(len(tr)) >= n_warm, 0, 1), key=tr.question.map(canonical))
            tr = tr[(tr.level == lv)].sort_values('order', kind='stable').drop_duplicates('key')
            held = set(map(canonical, seen[seen.split.isin(['eval', 'dev'])].question))
            tr = tr[~tr.key.isin(held) & ~tr.key.isin(set(take.key))]
            add = tr.head(n_per_level - len(take))
            filled = len(add)
            take = pd.concat([take, add.assign(origin=np.where(add.order == 0, 'run-train (not in warm-up)',
                                                               'run-train (warm-up)'))], ignore_index=True)
        rows.append(take)
        info[lv] = dict(pool=len(pool), exact_in_run=int(exact.sum()), commuted_twin_in_run=int(twin.sum()),
                        fresh_distinct=len(fresh), measured=len(take), fresh_measured=int((take.origin == 'fresh').sum()),
                        filled_from_run_train=filled)
    qs = pd.concat(rows, ignore_index=True)
    cols = ['id', 'question', 'answer', 'choices', 'source', 'level', 'origin']
    qs = qs[cols].assign(answer=lambda d: d.answer.astype(str), choices=None)
    # the checks this measurement rests on: nothing from eval/dev, no fresh question in any split (twins included)
    ev = set(map(canonical, seen[seen.split.isin(['eval', 'dev'])].question))
    assert not set(map(canonical, qs.question)) & ev, 'a measured question is in the eval or dev set'
    fr = qs[qs.origin == 'fresh']
    assert not set(map(canonical, fr.question)) & seen_keys, 'a fresh question is in the run'
    assert qs.question.map(canonical).is_unique, 'two measured questions are commuted twins'
    return qs, info

def read_questions() -> pd.DataFrame:
    qs = pd.read_json(OUT/'questions.jsonl', lines=True, dtype={'answer': str, 'id': str})
    return qs.assign(answer=qs.answer.astype(str), choices=None)

# --- generation -----------------------------------------------------------------------------------------------------
def rl_settings(run: Path) -> dict:
    "How the GRPO stage samples: the run's rl block, the rest trl.GRPOConfig's defaults (top_p 1, top_k 0)."
    from trl import GRPOConfig
    import dataclasses
    rl = json.loads((run/'config.json').read_text())['rl']
    d = {f.name: f.default for f in dataclasses.fields(GRPOConfig)}
    assert d['top_p'] == 1.0 and d['top_k'] in (0, None) and d['min_p'] is None and d['repetition_penalty'] == 1.0, d
    return dict(G=int(rl['num_generations']), temperature=float(rl['temperature']), top_p=1.0,
                max_new_tokens=int(rl['max_completion_length']), few_shot=0, questions_per_step=int(rl['rollout_batch_size']))

def starting_model(run: Path) -> Path:
    "The RL arms' starting model: the shipped format warm-up, checked to be the run's own models/base adapter."
    from corea.models import adapter_fingerprint, slm_assets_dir, trained_slm
    a, b = adapter_fingerprint(run/'models'/'base'/'adapter'), adapter_fingerprint(slm_assets_dir()/'base')
    assert a == b, f"the shipped base adapter ({b}) is not the run's models/base/adapter ({a})"
    return trained_slm('base')

def cmd_run(a):
    from corea.generate import generate, run_summary
    OUT.mkdir(parents=True, exist_ok=True)
    qp = OUT/'questions.jsonl'
    if qp.exists(): qs = read_questions()
    else:
        qs, info = fresh_questions(a.n, a.seed, Path(a.run))
        qs.to_json(qp, orient='records', lines=True)
        (OUT/'overlap.json').write_text(json.dumps(dict(seed=a.seed, run=str(a.run), levels=info), indent=1))
    st = rl_settings(Path(a.run))
    model = starting_model(Path(a.run))
    t0, load0 = time.time(), os.getloadavg()
    log = dict(started=time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()), load_start=load0, settings=st, rounds=[])
    qs = qs.assign(rank=qs.groupby('level').cumcount())
    rounds = int(qs['rank'].max()) // a.per_round + 1
    for r in range(rounds):
        el = (time.time() - t0) / 60
        if r and el + el / r > a.budget_min:
            print(f'budget: {el:.1f} min used, a round takes ~{el / r:.1f} min: stop before round {r}', flush=True)
            break
        sub = qs[(qs['rank'] // a.per_round) == r].drop(columns=['rank', 'origin'])
        t = time.time()
        c = generate(sub.reset_index(drop=True), OUT/'caches'/f'round{r}', model=str(model), dataset=f'arithmetic-fresh-r{r}',
                     k=st['G'], n_demos=0, temperature=st['temperature'], top_p=st['top_p'],
                     max_new_tokens=st['max_new_tokens'], batch_size=a.batch_size, backend='ct2', dtype='float32',
                     seed=a.seed + r, model_name=MODEL_NAME, n_params=135e6, progress=False,
                     backend_kwargs=dict(threads=a.threads), shard_rows=64, flush_seconds=20)
        lr = getattr(c, 'last_run', None)
        print(f'round {r}: {len(sub)} questions, {time.time() - t:.0f} s' + (f': {run_summary(lr)}' if lr else ' (cached)'),
              f'load {os.getloadavg()[0]:.2f}', flush=True)
        log['rounds'].append(dict(round=r, questions=len(sub), wall_s=round(time.time() - t, 1), load=os.getloadavg()))
    log.update(wall_s=round(time.time() - t0, 1), load_end=os.getloadavg(),
               finished=time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()))
    runs = json.loads((OUT/'runs.json').read_text()) if (OUT/'runs.json').exists() else []
    (OUT/'runs.json').write_text(json.dumps(runs + [log], indent=1, default=float))

def cmd_retest(a):
    "Screening, measured: G fresh rollouts (another seed) of every level 1-3 question that gave a mixed group."
    from corea.generate import generate, run_summary
    st, t0, load0 = rl_settings(Path(a.run)), time.time(), os.getloadavg()
    qs, rows = load_rows()
    pq = per_question(qs, rows, st['G'])
    sub = qs[qs.id.isin(pq.index[pq.mixed & pq.level.isin([1, 2, 3])])].drop(columns=['origin']).reset_index(drop=True)
    c = generate(sub, OUT/'caches'/'retest', model=str(starting_model(Path(a.run))), dataset='arithmetic-fresh-retest',
                 k=st['G'], n_demos=0, temperature=st['temperature'], top_p=st['top_p'], max_new_tokens=st['max_new_tokens'],
                 batch_size=a.batch_size, backend='ct2', dtype='float32', seed=a.seed + 1000, model_name=MODEL_NAME,
                 n_params=135e6, progress=False, backend_kwargs=dict(threads=a.threads), shard_rows=64, flush_seconds=20)
    if getattr(c, 'last_run', None): print('retest:', run_summary(c.last_run), flush=True)
    log = dict(what='retest', started=time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(t0)), load_start=load0,
               questions=len(sub), wall_s=round(time.time() - t0, 1), load_end=os.getloadavg(), rounds=[])
    runs = json.loads((OUT/'runs.json').read_text()) if (OUT/'runs.json').exists() else []
    (OUT/'runs.json').write_text(json.dumps(runs + [log], indent=1, default=float))

# --- analysis -------------------------------------------------------------------------------------------------------
def subtype(q: str) -> str:
    "A finer difficulty class inside a level: the operation, and whether it carries / borrows."
    k = canonical(q)
    if k[0] == '+':
        if k[1] + k[2] >= 100: return '+ sum >= 100'
        return '+ carry' if k[1] % 10 + k[2] % 10 >= 10 else '+ no carry'
    if k[0] == '-': return '- borrow' if k[1] % 10 < k[2] % 10 else '- no borrow'
    if k[0] == '*': return '* units carry' if (k[2] % 10) * k[1] >= 10 else '* no units carry'
    return k[0]

def load_rows() -> tuple[pd.DataFrame, pd.DataFrame]:
    from corea.cache import read_cache
    qs = read_questions()
    parts = [read_cache(p) for p in sorted((OUT/'caches').glob('round*')) if (p/'manifest.json').exists()]
    parts = [p[p.question_id.isin(qs.id)] for p in parts]
    rows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return qs, rows

def per_question(qs: pd.DataFrame, rows: pd.DataFrame, G: int) -> pd.DataFrame:
    g = rows.groupby('question_id')
    pq = pd.DataFrame(dict(n=g.size(), n_correct=g.correct.sum(), conf_written=g.confidence.apply(lambda c: c.notna().mean()),
                           conf_mean=g.confidence.mean(), conf_std=g.confidence.std(ddof=0),
                           conf_distinct=g.confidence.nunique(), n_out=g.n_out.mean(),
                           cut=g.finish_reason.apply(lambda f: (f == 'length').mean())))
    pq = qs.set_index('id').join(pq, how='inner')
    pq = pq[pq.n == G].copy()                                   # whole groups only
    pq['p_hat'] = pq.n_correct / G
    pq['mixed'] = (pq.n_correct > 0) & (pq.n_correct < G)
    pq['subtype'] = pq.question.map(subtype)
    return pq

def auroc(rows: pd.DataFrame) -> float:
    "How well the written confidence separates right from wrong answers (NaN with one class only)."
    from sklearn.metrics import roc_auc_score
    d = rows.dropna(subset=['confidence'])
    return float(roc_auc_score(d.correct, d.confidence)) if d.correct.nunique() == 2 else float('nan')

def binom_mixed(p: float, G: int) -> float: return 1 - p ** G - (1 - p) ** G

def level_table(pq: pd.DataFrame, rows: pd.DataFrame, G: int) -> pd.DataFrame:
    out = []
    r = rows.assign(level=rows.question_id.map(level_of))
    r = r[r.question_id.isin(pq.index)]
    for lv, d in pq.groupby('level'):
        rr = r[r.level == lv]
        c = rr.confidence.dropna()
        hist = np.bincount(d.n_correct.astype(int), minlength=G + 1)
        vc = c.round(2).value_counts(normalize=True)
        out.append(dict(level=lv, questions=len(d), fresh=int((d.origin == 'fresh').sum()), accuracy=rr.correct.mean(),
                        mixed=d.mixed.mean(), mixed_ci='%.2f-%.2f' % wilson(d.mixed.sum(), len(d)), all_wrong=(d.n_correct == 0).mean(), all_right=(d.n_correct == G).mean(),
                        binom_mixed=binom_mixed(rr.correct.mean(), G), hist=' '.join(map(str, hist)),
                        conf_written=rr.confidence.notna().mean(), conf_mean=c.mean(), conf_std=c.std(ddof=0),
                        conf_top=f'{vc.index[0]:g} ({vc.iloc[0]:.0%})' if len(vc) else '-',
                        conf_auroc=auroc(rr), conf_in_group_std=d.conf_std.mean(), n_out=rr.n_out.mean(), cut=(rr.finish_reason == 'length').mean()))
    return pd.DataFrame(out).set_index('level')

def candidate_mixes(levels) -> dict:
    L = list(levels)
    def w(d): return np.array([d.get(l, 0.0) for l in L], float) / sum(d.values())
    return {'uniform 1-5 (the miniature run)': w({l: 1 for l in L}),
            'levels 2-3 only': w({2: 1, 3: 1}),
            'toward 2-3: 10/35/35/10/10 %': w({1: .1, 2: .35, 3: .35, 4: .1, 5: .1}),
            'toward 2-3: 5/40/40/10/5 %': w({1: .05, 2: .4, 3: .4, 4: .1, 5: .05}),
            'toward 1-3, no 4-5: 20/40/40/0/0 %': w({1: .2, 2: .4, 3: .4}),
            'toward 1-3: 30/30/30/5/5 %': w({1: .3, 2: .3, 3: .3, 4: .05, 5: .05})}

def capped_best(m: pd.Series, caps: dict, floor: float = 0.0) -> np.ndarray:
    "Weights maximising sum w_l m_l with every level at least `floor` and level l at most caps[l]: fill the best first."
    w = np.full(len(m), floor)
    for i in np.argsort(-m.to_numpy(), kind='stable'):
        w[i] += max(0.0, min(caps.get(m.index[i], 1.0) - floor, 1 - w.sum()))
    return w

def wilson(k: float, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0: return (np.nan, np.nan)
    p = k / n
    c, h = (p + z * z / (2 * n)) / (1 + z * z / n), z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (c - h, c + h)

def mix_table(lt: pd.DataFrame, G: int, steps_q=(2, 4), screened: pd.Series | None = None,
              screened_low: pd.Series | None = None) -> pd.DataFrame:
    "Expected shares per mix; with `screened` (level -> P(mixed) of a question screened mixed) the screened mixes too."
    m, acc, n = lt.mixed, lt.accuracy, lt.questions.to_numpy()
    mixes = candidate_mixes(lt.index)
    mixes['levels 1-3 at 30/35/35 %'] = np.array([.3, .35, .35, 0, 0])[:len(m)]
    best = lt.mixed.idxmax()
    mixes[f'max: level {best} only'] = capped_best(m, {})
    for cap in (0.2, 0.3):
        mixes[f'max with level 1 <= {cap:.0%} (its pool: 126 questions in all)'] = capped_best(m, {1: cap})
    rows = []
    for name, w in mixes.items():
        s = float(w @ m.to_numpy())
        se = float(np.sqrt(np.sum(w ** 2 * m.to_numpy() * (1 - m.to_numpy()) / n)))
        row = {'mix': name, 'weights L' + '/'.join(map(str, lt.index)): '/'.join(f'{x:.0%}' for x in w),
               'expected mixed share': s, '± 1.96 se': 1.96 * se, 'expected accuracy': float(w @ acc.to_numpy()),
               'p̂ = 0': float(w @ lt.all_wrong.to_numpy()), 'p̂ = 1': float(w @ lt.all_right.to_numpy())}
        for q in steps_q:
            row[f'informative rollouts / step ({q} q x G={G})'] = q * G * s
            row[f'P(step has a mixed group), {q} q'] = 1 - (1 - s) ** q
        rows.append(row)
    est = [(screened, 'beta-binomial estimate'), (screened_low, 'lower bound: the retest of 4 rollouts')]
    for sc_, how in [(x, h) for x, h in est if x is not None]:   # questions kept only if mixed on the starting model
        for name, w in {'levels 1-3 at 30/35/35 %, screened': np.array([.3, .35, .35]),
                        'levels 2-3 at 50/50 %, screened': np.array([0, .5, .5])}.items():
            sm = sc_.reindex([1, 2, 3]).to_numpy()
            s = float(w @ sm)
            row = {'mix': name + f' ({how}; the yield: {float(w @ m.reindex([1, 2, 3]).to_numpy()):.0%} of '
                   'the questions screened are kept)', 'weights L' + '/'.join(map(str, lt.index)):
                   '/'.join(f'{x:.0%}' for x in [*w, 0, 0]), 'expected mixed share': s}
            for q in steps_q:
                row[f'informative rollouts / step ({q} q x G={G})'] = q * G * s
                row[f'P(step has a mixed group), {q} q'] = 1 - (1 - s) ** q
            rows.append(row)
        # the recommendation: level 1 as it is (screening it gains nothing and spends its scarce questions), 2-3 screened
        sm = np.array([m.get(1, np.nan), *sc_.reindex([2, 3]).to_numpy()])
        s = float(np.array([.3, .35, .35]) @ sm)
        row = {'mix': f'level 1 at 30 % as it is, levels 2-3 at 35/35 % screened ({how} for 2-3)',
               'weights L' + '/'.join(map(str, lt.index)): '30%/35%/35%/0%/0%', 'expected mixed share': s}
        for q in steps_q:
            row[f'informative rollouts / step ({q} q x G={G})'] = q * G * s
            row[f'P(step has a mixed group), {q} q'] = 1 - (1 - s) ** q
        rows.append(row)
    return pd.DataFrame(rows)

def retest_table(qs: pd.DataFrame, pq: pd.DataFrame, G: int) -> pd.DataFrame | None:
    "Per level: the screened questions' fresh groups (caches/retest), mixed share and where the others went."
    from corea.cache import read_cache
    p = OUT/'caches'/'retest'
    if not (p/'manifest.json').exists(): return None
    r = read_cache(p)
    g = int(r.groupby('question_id')['sample'].apply(lambda s: next(i for i in range(G + 1) if i not in set(s))).min())
    r = r[r['sample'] < g]                   # a stopped retest: the first g samples, which every question has
    n = r.groupby('question_id').correct.agg(['sum', 'size']).join(pq[['level', 'n_correct']])
    out = {}
    for lv, d in n.groupby('level'):
        k = ((d['sum'] > 0) & (d['sum'] < g)).sum()
        full = pq[pq.level == lv]
        a, b = fit_beta_binomial(full.n_correct.to_numpy(), G)
        pred = p_mixed_next(d.n_correct.to_numpy(), G, g, a, b).mean()
        out[lv] = {'screened questions': len(d), 'retest group size': g, f'screening: mean right of {G}': d.n_correct.mean(),
                   f'retest: mean right of {g}': d['sum'].mean(), 'mixed share': k / len(d),
                   '95 % CI (Wilson)': '%.2f-%.2f' % wilson(k, len(d)), 'p̂ = 0': (d['sum'] == 0).mean(),
                   'p̂ = 1': (d['sum'] == g).mean(), f'beta-binomial prediction of the mixed share at {g}': pred}
    return pd.DataFrame(out).T.rename_axis('level')

def fit_beta_binomial(k: np.ndarray, n: int) -> tuple[float, float]:
    "Maximum-likelihood Beta(a, b) prior of per-question accuracy from k correct of n per question."
    from scipy.optimize import minimize
    from scipy.special import betaln
    def nll(t):
        a, b = np.exp(t)
        return -np.sum(betaln(k + a, n - k + b) - betaln(a, b))
    return tuple(np.exp(minimize(nll, np.log([0.5, 0.5]), method='Nelder-Mead').x))

def p_mixed_next(k: np.ndarray, n: int, G: int, a: float, b: float) -> np.ndarray:
    "P(a fresh group of G is mixed | k of n right), under the Beta(a, b) prior: beta-binomial posterior predictive."
    from scipy.special import betaln
    a2, b2 = a + k, b + n - k
    return 1 - np.exp(betaln(a2 + G, b2) - betaln(a2, b2)) - np.exp(betaln(a2, b2 + G) - betaln(a2, b2))

def screening_table(pq: pd.DataFrame, rows: pd.DataFrame, G: int, groups: dict) -> pd.DataFrame:
    "Does a question that gave a mixed group give one again? Half-split (samples 0..G/2-1 vs the rest) and a beta-binomial."
    r = rows[rows.question_id.isin(pq.index)]
    h = r.assign(B=r['sample'] >= G // 2).groupby(['question_id', 'B']).correct.sum().unstack()
    H = G // 2
    mA, mB = (h[False] > 0) & (h[False] < H), (h[True] > 0) & (h[True] < H)
    out = []
    for name, lv in groups.items():
        d = pq[pq.level.isin(lv)]
        ids = d.index
        a, b = fit_beta_binomial(d.n_correct.to_numpy(), G)
        pm = p_mixed_next(d.n_correct.to_numpy(), G, G, a, b)
        mixed = d.mixed.to_numpy()
        out.append({'levels': name, 'questions': len(d), f'G={H}: mixed share (half B)': mB[ids].mean(),
                    f'G={H}: mixed in B if mixed in A': mB[ids][mA[ids]].mean() if mA[ids].any() else np.nan,
                    f'questions mixed in A': int(mA[ids].sum()),
                    'Beta prior a, b': f'{a:.2f}, {b:.2f}',
                    f'G={G}: fresh group mixed, unscreened (model)': float(p_mixed_next(np.zeros(1), 0, G, a, b)[0]),
                    f'G={G}: fresh group mixed if screened mixed at G={G} (model)': pm[mixed].mean() if mixed.any() else np.nan,
                    'screening yield (mixed at G=8)': mixed.mean()})
    return pd.DataFrame(out)

def fmt(df: pd.DataFrame) -> str:
    def f(v):
        if isinstance(v, float): return '-' if v != v else (f'{v:.2f}' if abs(v) >= 1e-9 else '0')
        return str(v)
    cols = list(df.columns)
    return '\n'.join(['| ' + ' | '.join(map(str, cols)) + ' |', '|' + '---|' * len(cols)] +
                     ['| ' + ' | '.join(f(v) for v in r) + ' |' for r in df.itertuples(index=False)])

def cmd_report(a):
    st = rl_settings(Path(a.run))
    G = st['G']
    qs, rows = load_rows()
    pq = per_question(qs, rows, G)
    pq.to_csv(OUT/'per_question.csv')
    lt = level_table(pq, rows, G)
    runs = json.loads((OUT/'runs.json').read_text()) if (OUT/'runs.json').exists() else []
    ov = json.loads((OUT/'overlap.json').read_text())
    lines = ['## Mixed GRPO groups on the starting model (issue 21)', '',
             f"Command: `nice -n 19 python bench/mixed_groups.py run --n {a.n} --threads 2` then "
             f"`nice -n 19 python bench/mixed_groups.py retest --threads 2` (stopped at the budget), then "
             f"`python bench/mixed_groups.py report`. Model: the format warm-up every RL arm starts from "
             f"(`corea.models.trained_slm('base')`, the same adapter as experiments/miniature/models/base), the bare "
             f"COREA instruction (0 demonstrations). Sampling as the GRPO stage of miniature.yaml: G = {G}, temperature "
             f"{st['temperature']:g}, top-p 1, no top-k, at most {st['max_new_tokens']} new tokens; ct2 float32 on "
             f"2 threads. Questions: corea's generator, seed {ov['seed']} + level, without any question of the run's "
             "data/ or its commuted twin.", '']
    for r in runs:
        what = (f"retest of {r['questions']} screened questions" if r.get('what') == 'retest' else
                f"{len(r['rounds'])} rounds of {r['rounds'][0]['questions'] if r['rounds'] else 0} questions")
        lines.append(f"Run {r['started']} ({'retest' if r.get('what') == 'retest' else 'run'}): "
                     f"{r['wall_s'] / 60:.1f} min wall, {what}, load average "
                     f"(1, 5, 15 min) {', '.join(f'{x:.2f}' for x in r['load_start'])} at the start, "
                     f"{', '.join(f'{x:.2f}' for x in r['load_end'])} at the end.")
    lines += ['', 'Overlap with the run (per level: questions drawn, exact copies of a run question, commuted twins, '
              'fresh distinct, measured, of which fresh / filled from the run\'s train split):', '']
    lines += [f"- L{lv}: {d['pool']} drawn, {d['exact_in_run']} exact, {d['commuted_twin_in_run']} twins, "
              f"{d['fresh_distinct']} fresh; measured {d['measured']} = {d['fresh_measured']} fresh + "
              f"{d['filled_from_run_train']} run-train" for lv, d in ov['levels'].items()]
    t = lt.reset_index()
    t = t.rename(columns=dict(level='level', questions='groups', fresh='fresh', accuracy='accuracy (rollouts)',
                              mixed='mixed share', mixed_ci='95 % CI (Wilson)', all_wrong='p̂ = 0', all_right='p̂ = 1',
                              binom_mixed='mixed if every question had the level accuracy',
                              hist=f'groups with 0..{G} right', conf_written='confidence written',
                              conf_mean='confidence mean', conf_std='confidence std', conf_top='most common value',
                              conf_auroc='confidence AUROC (right vs wrong)',
                              conf_in_group_std='mean within-group confidence std', n_out='mean completion tokens',
                              cut=f'cut at {st["max_new_tokens"]}'))
    allr = rows[rows.question_id.isin(pq.index)]
    c = allr.dropna(subset=['confidence']).groupby('correct').confidence.mean()
    lines += ['', fmt(t), '', f'All levels: confidence AUROC {auroc(allr):.2f}; mean confidence {c.get(True, np.nan):.3f} '
              f'when right, {c.get(False, np.nan):.3f} when wrong; {allr.confidence.isna().mean():.1%} of answers '
              'without a confidence in [0, 1].', '']
    # within a level
    sub = pq.groupby(['level', 'subtype']).agg(groups=('mixed', 'size'), accuracy=('p_hat', 'mean'),
                                               mixed=('mixed', 'mean'), all_wrong=('n_correct', lambda x: (x == 0).mean()),
                                               all_right=('n_correct', lambda x: (x == G).mean())).reset_index()
    lines += ['Within a level (subtype: operation, carry / borrow):', '', fmt(sub), '']
    sc = screening_table(pq, rows, G, {'1': [1], '2': [2], '3': [3], '2-3': [2, 3], '1-3': [1, 2, 3]})
    scr = pd.Series(sc[f'G={G}: fresh group mixed if screened mixed at G={G} (model)'].to_numpy()[:3], index=[1, 2, 3])
    rt, scr_low = retest_table(qs, pq, G), None
    if rt is not None:
        g = int(rt['retest group size'].iloc[0])
        lines += [f'Screening, measured: every level 1-3 question that gave a mixed group above, {g} fresh rollouts '
                  '(another seed) of the same starting model; is the new group mixed?' + (
                  f' The retest was stopped at the generation budget with {g} of {G} samples per question: a group of '
                  f'{g} is mixed less often than one of {G} (a mixed {g} is part of a mixed {G}), so these shares are '
                  f'lower bounds for G = {G}.' if g < G else ''), '', fmt(rt.reset_index()), '']
        scr_low = rt['mixed share'].reindex([1, 2, 3]).astype(float).rename('retest')
    mt = mix_table(lt, G, screened=scr, screened_low=scr_low)
    lines += ['Expected share of mixed groups for candidate level mixes (sum over levels of weight x the level\'s '
              'measured mixed share, ± 1.96 standard errors from the 24 groups per level; informative rollouts = '
              'rollouts in mixed groups; the screened rows: the beta-binomial estimate of the screening table below, and the '
              'retest\'s measured share at 4 rollouts, a lower bound for 8):', '',
              fmt(mt), '']
    lines += ['Screening questions on the starting model: would a question that gave a mixed group give one again? '
              f'Half-split: the first {G // 2} rollouts (A) against the other {G // 2} (B) of each group. Model: a '
              'beta-binomial fitted to the groups of those levels (maximum likelihood), its posterior predictive for a '
              f'fresh group of {G}:', '', fmt(sc), '']
    text = '\n'.join(lines)
    dest = ROOT/'bench'/'results'/'mixed_groups.md'          # the measurement; the design note after MARK is kept
    kept = dest.read_text().split(MARK, 1)[1] if dest.exists() and MARK in dest.read_text() else '\n'
    dest.write_text(text + '\n\n' + MARK + kept)
    print(text)

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('what', choices=['run', 'retest', 'report'])
    ap.add_argument('--run', default=str(RUN), help='the miniature run folder (its data/, config.json, models/base)')
    ap.add_argument('--n', type=int, default=24, help='questions per level')
    ap.add_argument('--per-round', type=int, default=6, help='questions per level in one round (one cache)')
    ap.add_argument('--seed', type=int, default=2121, help='question and sampling seed (the run uses 0)')
    ap.add_argument('--batch-size', type=int, default=16)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--budget-min', type=float, default=33.0, help='no new round once this many minutes are used up')
    a = ap.parse_args()
    dict(run=cmd_run, retest=cmd_retest, report=cmd_report)[a.what](a)

if __name__ == '__main__': main()
