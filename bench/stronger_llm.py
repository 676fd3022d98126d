#!/usr/bin/env python3
"""A stronger LLM role, measured (issue 21, item 6): SmolLM2-135M + calculator (corea.specialist) beside the
candidates and the shipped SLMs, on in-domain arithmetic by level (the run's dev set and corea's own held-out set),
GSM8K and CommonsenseQA (questions outside the run's OOD samples), with mean tokens, the training's wall time and load.

  PYTHONPATH=. nice -n 10 python bench/stronger_llm.py train --run-data experiments/miniature2/data \
      --also-exclude experiments/miniature/data --out DIR --lr 5e-4 --save-steps 5 \
      --mix '{"2": 12, "3": 12, "4": 12, "5": 36, "word": 120, "choice": 48}'
  PYTHONPATH=. nice -n 10 python bench/stronger_llm.py export --checkpoint DIR/trainer/checkpoint-30   # or DIR/adapter
  PYTHONPATH=. nice -n 10 python bench/stronger_llm.py measure --run-data experiments/miniature2/data --work WORK \
      --n 40 --n-ood 60 --train-info DIR/train_info.json --notes NOTES.md
Writes bench/results/stronger_llm.md (numbers only, never benchmark text); caches go to --work (outside git).
"""
import argparse, json, os, shutil, sys, time
from pathlib import Path
import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
OWN_SEEDS = dict(dev=2101, heldout=2102, word_dev=2103)     # corea's own sets for this bench, never the run's

def run_questions(*run_data: Path) -> pd.DataFrame:
    "Every question of the runs' data folders (eval, dev, train, warmup and any other split written there)."
    from corea.data import load_jsonl_benchmark
    files = sorted(f for d in run_data for f in Path(d).glob('*.jsonl'))
    if not files: raise FileNotFoundError(f"{run_data} holds no .jsonl split: give the run's data folder.")
    return pd.concat([load_jsonl_benchmark(f).assign(split=f.stem) for f in files], ignore_index=True)

def own_sets(run_keys: set) -> dict:
    "corea's own dev and held-out arithmetic (levels 2-5: the run's splits use level 1 up) and word problems."
    from corea.data import make_arithmetic_questions, question_key
    from corea.specialist import make_word_problems
    out, seen = {}, set(run_keys)
    for name, n in (('dev', 80), ('heldout', 160)):
        out[name] = make_arithmetic_questions(n, seed=OWN_SEEDS[name], levels=[2, 3, 4, 5], exclude=seen)
        seen |= {question_key(q) for q in out[name].question}
    out['word_dev'] = make_word_problems(60, seed=OWN_SEEDS['word_dev'], exclude=seen)
    return out

def keys_of(*frames) -> set:
    from corea.data import question_key
    return {question_key(q) for f in frames for q in f.question}

def train(args) -> None:
    from corea.specialist import specialist_questions, train_specialist
    run = run_questions(args.run_data, *args.also_exclude)
    own = own_sets(keys_of(run_questions(args.run_data)))
    exclude = keys_of(run, *own.values())
    mix = json.loads(args.mix) if args.mix else None
    mix = {int(k) if k.isdigit() else k: v for k, v in mix.items()} if mix else None
    qs = specialist_questions(mix, seed=args.seed, exclude=exclude)
    assert not keys_of(qs) & exclude
    load0 = os.getloadavg()
    recipe = dict(excluded=dict(run_data=[str(d) for d in (args.run_data, *args.also_exclude)], run_questions=len(run),
                                own_sets={k: len(v) for k, v in own.items()}, seeds=OWN_SEEDS),
                  mix=qs.assign(part=qs.level.fillna(0).astype(int).astype(str) + qs.source).part.value_counts()
                  .sort_index().to_dict())
    info = train_specialist(qs, args.out, epochs=args.epochs, lr=args.lr, lora_r=args.lora_r, seed=args.seed,
                            save_steps=args.save_steps, recipe=recipe | dict(load_start=round(load0[0], 2)))
    info |= dict(load_start=load0[0], load_end=os.getloadavg()[0])
    (Path(args.out)/'train_info.json').write_text(json.dumps(info, indent=1))
    print(json.dumps(info))

IN_DOMAIN = ('run-dev', 'own-heldout')

def ood_questions(name: str, n: int, run_seed: int = 0, run_n: int = 60, seed: int = 2104) -> pd.DataFrame:
    "`n` seeded questions of benchmark `name` that are not in the run's OOD sample (`ood_sets`: run_n, run_seed)."
    from corea.data import load_benchmark
    df = load_benchmark(name)
    run = df.sample(n=min(run_n, len(df)), random_state=run_seed)
    rest = df[~df.id.isin(run.id)]
    return rest.sample(n=min(n, len(rest)), random_state=seed).reset_index(drop=True)

def export(args) -> None:
    "Ship a training checkpoint as the specialist's adapter (float16, with the recipe of the run and its step)."
    from corea.models import save_adapter_fp16
    ckpt, run = Path(args.checkpoint), Path(args.checkpoint).parent.parent
    state = json.loads((ckpt/'trainer_state.json').read_text())
    info = json.loads((run/'train_info.json').read_text()) if (run/'train_info.json').exists() else {}
    recipe = json.loads((run/'recipe.json').read_text()) | info | dict(
        steps=state['global_step'], of_steps=state['max_steps'],
        losses=[round(h['loss'], 4) for h in state['log_history'] if 'loss' in h])
    save_adapter_fp16(ckpt, args.dest, recipe)
    print(json.dumps(recipe, indent=1))

def systems(only: list | None, adapter: str | None = None) -> dict:
    "name -> (model folder, backend, backend kwargs, which sets): the specialist, its candidates, the shipped SLMs."
    from corea.models import smollm2_hf_dir, trained_slm
    from corea.specialist import SPECIALIST_LABEL, specialist_model
    out = {SPECIALIST_LABEL: (lambda: specialist_model(adapter), 'calculator', dict(inner='ct2'), None),
           'SmolLM2-135M-Instruct': (lambda: smollm2_hf_dir(), 'ct2', {}, ('commonsenseqa',)),
           'SLM': (lambda: trained_slm('base'), 'ct2', {}, IN_DOMAIN),      # their OOD scores: shipped_reference
           'RLVR-SLM': (lambda: trained_slm('rlvr'), 'ct2', {}, IN_DOMAIN)}
    return {k: v for k, v in out.items() if not only or k in only}

def eval_sets(args) -> dict:
    "The questions measured: the run's dev set, corea's own held-out set, GSM8K and CommonsenseQA outside the run's."
    from corea.data import load_jsonl_benchmark
    run = run_questions(args.run_data)
    own = own_sets(keys_of(run))
    return {'run-dev': load_jsonl_benchmark(Path(args.run_data)/'dev.jsonl'),
            'commonsenseqa': ood_questions('commonsenseqa', args.n_ood), 'own-heldout': own['heldout'].head(args.n),
            'gsm8k': ood_questions('gsm8k', args.n_ood)}

def measure(args) -> None:
    "Every system answers every set once (k = 1, the eval settings: no demonstrations, temperature 0.6, 128 tokens)."
    from corea.cache import read_cache
    from corea.generate import generate
    sets, rows = {k: v for k, v in eval_sets(args).items() if not args.sets or k in args.sets}, []
    for name, (folder, backend, kw, only) in systems(args.systems, args.adapter).items():
        for ds, qs in sets.items():
            if only and ds not in only: continue
            load0 = os.getloadavg()[0]
            c = generate(qs, Path(args.work)/name/ds, model=folder(), dataset=ds, k=args.k, n_demos=0, model_name=name,
                         n_params=135e6, temperature=0.6, max_new_tokens=128, backend=backend, backend_kwargs=kw,
                         batch_size=16, progress=False)
            r = c.read().assign(level=lambda x: level_of(x.question_id))
            wall = c.last_run['wall_s'] if getattr(c, 'last_run', None) else np.nan      # NaN: all from the cache
            rows.append(r.assign(system=name, wall_s=wall, load=(load0 + os.getloadavg()[0]) / 2))
            print(f'{name} on {ds}: {r.correct.mean():.3f} ({len(r)} answers)', flush=True)
    all_rows = pd.concat(rows, ignore_index=True)
    all_rows.drop(columns=['response']).to_parquet(Path(args.work)/'rows.parquet')
    write_report(all_rows, args)

def level_of(ids: pd.Series) -> pd.Series:
    "The level of corea's arithmetic questions from their ids (`arith-L3-...`); NaN for any other question."
    return ids.astype(str).str.extract(r'^arith-L(\d)-')[0].astype(float)

def shipped_reference() -> pd.DataFrame:
    "The shipped evaluation (corea/assets/default_cache: the first miniature run's eval set, k = 3): rows with levels."
    import corea
    from corea.cache import read_cache
    r = read_cache(Path(corea.__file__).parent/'assets'/'default_cache')
    return r.assign(level=level_of(r.question_id))

def pct(x) -> str: return '' if pd.isna(x) else f'{100 * x:.1f}%'

def by_level(r: pd.DataFrame) -> str:
    "Accuracy by level, then overall, of one system on one in-domain set."
    acc = r.groupby(r.level.astype(int)).correct.mean()
    return ' / '.join(pct(acc.get(lv)) if lv in acc else '-' for lv in range(1, 6)) + f' (all {pct(r.correct.mean())})'

def write_report(rows: pd.DataFrame, args) -> None:
    "bench/results/stronger_llm.md: accuracy by level, OOD accuracy, mean tokens, load; the training's numbers."
    info = json.loads(Path(args.train_info).read_text()) if args.train_info and Path(args.train_info).exists() else {}
    lines = ['## A stronger LLM role, measured (issue 21, item 6)', '',
             f'Command: `PYTHONPATH=. nice -n 10 python bench/stronger_llm.py measure --run-data {args.run_data} '
             f'--work DIR --k {args.k}` (after `train`). One answer per question (k = {args.k}), the eval stage\'s '
             'settings: the bare COREA prompt (no demonstrations), temperature 0.6, 128 new tokens, float32 ct2. '
             'Accuracy by level 1 / 2 / 3 / 4 / 5 (all levels).', '',
             '| system | run dev set (levels 1-5) | own held-out (levels 2-5) | GSM8K | CommonsenseQA (chance 20%) '
             '| mean tokens in / out (in-domain) | mean tokens in / out (GSM8K, CSQA) |',
             '|---|---|---|---|---|---|---|']
    for name, g in rows.groupby('system', sort=False):
        d = {ds: x for ds, x in g.groupby('dataset')}
        both = lambda ks: pd.concat([d[k] for k in ks if k in d]) if any(k in d for k in ks) else None
        ind, ood = both(IN_DOMAIN), both(('gsm8k', 'commonsenseqa'))
        cell = lambda k: (by_level(d[k]) if k in d else '-')
        acc = lambda k: (f'{pct(d[k].correct.mean())} (n={len(d[k])})' if k in d else '-')
        tok = lambda x: '-' if x is None else f'{x.n_in.mean():.0f} / {x.n_out.mean():.1f}'
        lines.append(f'| {name} | {cell("run-dev")} | {cell("own-heldout")} | {acc("gsm8k")} | {acc("commonsenseqa")} '
                     f'| {tok(ind)} | {tok(ood)} |')
    ref = shipped_reference()
    lines += ['', 'The shipped SLMs as the first miniature run evaluated them (`corea/assets/default_cache`: its eval '
              'set, 40 questions a level, 3 answers each; GSM8K and CommonsenseQA its 60-question samples, '
              'CommonsenseQA with the earlier prompt and letter-only grading):', '',
              '| system | in-domain by level 1 / 2 / 3 / 4 / 5 (all) | GSM8K | CommonsenseQA '
              '| tokens in / out in-domain |',
              '|---|---|---|---|---|']
    for name, g in ref.groupby('model'):
        d = {ds: x for ds, x in g.groupby('dataset')}
        lines.append(f'| {name} | {by_level(d["arithmetic"])} | {pct(d["gsm8k"].correct.mean())} | '
                     f'{pct(d["commonsenseqa"].correct.mean())} | {d["arithmetic"].n_in.mean():.0f} / '
                     f'{d["arithmetic"].n_out.mean():.1f} |')
    runs = rows.groupby(['system', 'dataset'], sort=False)[['wall_s', 'load']].first().dropna()
    each = '; '.join(f'{s} on {d}: {w:.0f} s, load {l:.1f}' for (s, d), (w, l) in runs.iterrows())
    if len(runs): lines += ['', f'Generation wall time (s) and mean load average (2 cores) of each run: {each}.']
    if info:
        lines += ['', f'SFT: {info.get("examples")} examples, {info.get("steps")} steps, '
                  f'{info.get("train_s", 0) / 60:.1f} min '
                  f'(load {info.get("load_start", 0):.1f} at start, {info.get("load_end", 0):.1f} at the end); loss '
                  f'{info.get("first_loss", 0):.3f} -> {info.get("last_loss", 0):.3f}.']
    out = HERE/'results'/'stronger_llm.md'
    text = '\n'.join(lines) + '\n'
    if args.notes and Path(args.notes).exists(): text += '\n' + Path(args.notes).read_text()
    out.write_text(text)
    print(text)

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest='cmd', required=True)
    t = sub.add_parser('train')
    t.add_argument('--run-data', type=Path, required=True)
    t.add_argument('--out', type=Path, required=True)
    t.add_argument('--epochs', type=float, default=1.0)
    t.add_argument('--lr', type=float, default=3e-4)
    t.add_argument('--lora-r', type=int, default=16)
    t.add_argument('--seed', type=int, default=0)
    t.add_argument('--save-steps', type=int, help='keep a checkpoint every N steps')
    t.add_argument('--also-exclude', type=Path, nargs='*', default=[], help="other runs' data folders to keep out")
    t.add_argument('--mix', help='JSON: questions per level and "word", "choice" (default SPECIALIST_MIX)')
    m = sub.add_parser('measure')
    m.add_argument('--run-data', type=Path, required=True)
    m.add_argument('--work', type=Path, required=True)
    m.add_argument('--n', type=int, default=80, help='own held-out questions (20 per level 2-5)')
    m.add_argument('--n-ood', type=int, default=60)
    m.add_argument('--k', type=int, default=1)
    m.add_argument('--systems', nargs='*')
    m.add_argument('--sets', nargs='*', help='run-dev, own-heldout, gsm8k, commonsenseqa (default: all)')
    m.add_argument('--train-info', help="the train step's train_info.json")
    m.add_argument('--notes', help='a markdown file appended to the results (what was decided and why)')
    m.add_argument('--adapter', help="the specialist's adapter folder (default: the shipped one)")
    e = sub.add_parser('export')
    e.add_argument('--checkpoint', required=True, help='OUT/trainer/checkpoint-N of the train step')
    e.add_argument('--dest', default=str(HERE.parent/'corea'/'assets'/'specialist'))
    args = p.parse_args(argv)
    {'train': train, 'measure': measure, 'export': export}[args.cmd](args)

if __name__ == '__main__':
    main()
