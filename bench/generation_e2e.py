#!/usr/bin/env python3
"""End-to-end speed of `corea.generate` against the engine it drives, measured alone on the same prompts in the same run.

    nice python bench/generation_e2e.py                          # issue 8's workload: 256 prompts x 2 samples, 96 new tokens
    nice python bench/generation_e2e.py --n 64 --openai          # smaller, plus the openai backend through a local server

Rows (each a ratio to the engine alone, measured in the same run, next to the load average):
- transformers engine alone: `TransformersBackend.generate` over the same batches, in the same order and with the same
  seeds as `generate` uses, so both produce the same tokens; nothing else (no parsing, grading or cache);
- transformers, the loop before issue 8 (generate, then parse + grade, then write one shard, batch after batch);
- transformers, `corea.generate` end to end (parse, grade and write on the writer thread, shards of 256 rows);
- with --openai: `corea engine serve` (transformers inside, dynamic batching) started by `local_server`; engine alone
  is the client sending the same chats at the same concurrency; then `corea.generate(backend='openai')` end to end.
Also the cost of each step measured alone on the generated rows: parse + grade, and cache writes.
Writes bench/results/generation_e2e.md.
"""
import argparse, os, platform, shutil, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT/'bench'/'results'/'generation_e2e.md'


def load1() -> float: return os.getloadavg()[0]


def order(chats, ids, k):
    "The (question index, sample) order `corea.generate` uses: sample-major, shorter prompts first."
    o = sorted(range(len(chats)), key=lambda i: sum(len(m['content']) for m in chats[i]))
    return [(i, s) for s in range(k) for i in o]


def engine_alone(be, chats, ids, todo, a):
    from corea.generate import _batch_seed
    t, n_out, gens_all = time.time(), 0, []
    for j in range(0, len(todo), a.batch):
        b = todo[j:j + a.batch]
        gens = be.generate([chats[i] for i, _ in b], 0.6, 1.0, a.max_new, seed=_batch_seed(0, (ids[b[0][0]], b[0][1])))
        n_out += sum(g.n_out for g in gens)
        gens_all.append((b, gens))
    return dict(wall=time.time() - t, tokens=n_out, answers=len(todo)), gens_all


def old_loop(be, qs, chats, ids, todo, a, path):
    "The pre-issue-8 loop: generate a batch, then parse + grade it, then write it as its own shard."
    from corea.generate import _batch_seed, responses_to_rows
    from corea.cache import GenerationCache, make_manifest
    c = GenerationCache(path, manifest=make_manifest('smol', None, 'arithmetic', 'x', {}, token_count='bench'))
    t, n_out = time.time(), 0
    for j in range(0, len(todo), a.batch):
        b = todo[j:j + a.batch]
        gens = be.generate([chats[i] for i, _ in b], 0.6, 1.0, a.max_new, seed=_batch_seed(0, (ids[b[0][0]], b[0][1])))
        sub = qs.iloc[[i for i, _ in b]].reset_index(drop=True)
        c.append(responses_to_rows(gens, sub, [s for _, s in b], 'arithmetic', 'smol', 'verbalized', 'math'))
        n_out += sum(g.n_out for g in gens)
    return dict(wall=time.time() - t, tokens=n_out, answers=len(todo), shards=len(c.shards()))


def e2e(backend, qs, a, path, **kw):
    from corea.generate import generate
    t = time.time()
    c = generate(qs, path, dataset='arithmetic', k=a.samples, max_new_tokens=a.max_new, batch_size=a.batch, backend=backend,
                 progress=False, temperature=0.6, seed=0, **kw)
    wall = time.time() - t
    rows = c.read()
    return dict(wall=wall, tokens=int(rows.n_out.sum()), answers=len(rows), shards=len(c.shards()))


def step_costs(gens_all, qs, tmp):
    "Parse + grade and cache writes of the engine-alone answers, each timed alone."
    import pandas as pd
    from corea.generate import responses_to_rows
    from corea.cache import GenerationCache, make_manifest
    t = time.time()
    rows = [responses_to_rows(g, qs.iloc[[i for i, _ in b]].reset_index(drop=True), [s for _, s in b], 'arithmetic', 'smol',
                              'verbalized', 'math') for b, g in gens_all]
    grade_s = time.time() - t
    c = GenerationCache(tmp/'writes', manifest=make_manifest('smol', None, 'arithmetic', 'x', {}, token_count='bench'))
    t = time.time()
    for r in rows: c.append(r)
    per_batch_s = time.time() - t
    c2 = GenerationCache(tmp/'writes256', manifest=make_manifest('smol', None, 'arithmetic', 'x', {}, token_count='bench'))
    allr = pd.concat(rows, ignore_index=True)
    t = time.time()
    for j in range(0, len(allr), 256): c2.append(allr.iloc[j:j + 256])
    big_s = time.time() - t
    return dict(grade_s=grade_s, write_per_batch_s=per_batch_s, write_256_s=big_s, n_batches=len(rows))


def openai_rows(qs, chats, a, tmp):
    from corea.client import SyncClient
    from corea.engine_server import local_server
    from corea.generate import _batch_seed
    res = {}
    with local_server(max_batch=a.batch, max_wait_ms=20, dtype=a.dtype) as ls:
        ids = [str(i) for i in qs.id]
        todo = order(chats, ids, a.samples)
        with SyncClient(ls.base_url, model=ls.model, max_concurrency=a.batch) as sc:
            sc.chat_many([chats[0]], max_tokens=4)                       # warm-up
            l0, t = load1(), time.time()
            outs = sc.chat_many([chats[i] for i, _ in todo], temperature=0.6, max_tokens=a.max_new)
            res['openai engine alone (client, same requests)'] = dict(wall=time.time() - t, tokens=sum(o[0].completion_tokens for o in outs),
                                                                      answers=len(outs), load=f'{l0:.1f} / {load1():.1f}')
        l0 = load1()
        r = e2e('openai', qs, a, tmp/'oa', model=ls.model, model_name=ls.model,
                backend_kwargs=dict(base_url=ls.base_url, max_concurrency=a.batch))
        res['openai corea.generate end to end'] = dict(r, load=f'{l0:.1f} / {load1():.1f}')
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--n', type=int, default=256, help='arithmetic questions')
    ap.add_argument('--samples', type=int, default=2)
    ap.add_argument('--max-new', type=int, default=96)
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--dtype', default='float32')
    ap.add_argument('--openai', action='store_true', help='also the openai backend through corea engine serve')
    ap.add_argument('--out', default=str(OUT))
    a = ap.parse_args(argv)
    import torch
    from corea.data import make_arithmetic_questions
    from corea.generate import TransformersBackend, chat_prompts
    from corea.models import smollm2_hf_dir
    qs = make_arithmetic_questions(a.n, seed=7)
    chats, ids = chat_prompts(qs), [str(i) for i in qs.id]
    todo = order(chats, ids, a.samples)
    tmp = Path(tempfile.mkdtemp(prefix='corea-bench-'))
    load_start = ', '.join(f'{x:.1f}' for x in os.getloadavg())
    be = TransformersBackend(smollm2_hf_dir(), dtype=a.dtype)
    be.generate(chats[:2], 0.6, 1.0, 8, seed=0)                          # warm-up
    rows = {}
    l0 = load1(); r, gens_all = engine_alone(be, chats, ids, todo, a); rows['transformers engine alone'] = dict(r, load=f'{l0:.1f} / {load1():.1f}')
    print(rows, flush=True)
    l0 = load1(); r = e2e(be, qs, a, tmp/'e2e', dtype=a.dtype); rows['transformers corea.generate end to end'] = dict(r, load=f'{l0:.1f} / {load1():.1f}')
    print(rows, flush=True)
    l0 = load1(); r = old_loop(be, qs, chats, ids, todo, a, tmp/'old'); rows['transformers, the loop before issue 8'] = dict(r, load=f'{l0:.1f} / {load1():.1f}')
    print(rows, flush=True)
    costs = step_costs(gens_all, qs, tmp)
    print(costs, flush=True)
    del be
    if a.openai: rows.update(openai_rows(qs, chats, a, tmp))
    load_end = ', '.join(f'{x:.1f}' for x in os.getloadavg())
    shutil.rmtree(tmp, ignore_errors=True)
    base = rows['transformers engine alone']
    tps = lambda r: r['tokens'] / r['wall']
    cmd = 'nice python bench/generation_e2e.py' + ''.join(f' --{k.replace("_", "-")} {v}' for k, v in
                                                        dict(n=a.n, samples=a.samples, max_new=a.max_new, batch=a.batch, dtype=a.dtype).items()) + (' --openai' if a.openai else '')
    lines = ['## corea generate end to end vs the engine alone (issue 8)', '',
             f'Command: `{cmd}`. Workload: {a.n} of corea\'s arithmetic questions (seed 7) x {a.samples} samples = {len(todo)} answers, '
             f'the real COREA prompt (two demonstrations), temperature 0.6, at most {a.max_new} new tokens, SmolLM2-135M-Instruct '
             f'{a.dtype}, batch {a.batch}. {platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__} with {torch.get_num_threads()} '
             f'threads. Shared machine: load average (1, 5, 15 min) {load_start} at the start, {load_end} at the end. Each ratio is '
             'against the engine alone of the same backend, measured in this run (target: end to end >= 0.70).', '',
             '| path | answers | output tokens | wall time | output tokens/s | ratio to its engine alone | shards | load (1 min) before / after |',
             '|---|---|---|---|---|---|---|---|']
    for name, r in rows.items():
        ref = rows['openai engine alone (client, same requests)'] if name.startswith('openai') else base
        lines.append(f"| {name} | {r['answers']} | {r['tokens']:,} | {r['wall']:.1f} s | {tps(r):.1f} | {tps(r) / tps(ref):.2f} | "
                     f"{r.get('shards', '')} | {r['load']} |")
    lines += ['', f"Steps measured alone on the engine-alone answers ({len(todo)} rows, {costs['n_batches']} batches): parse + grade "
              f"{costs['grade_s']:.1f} s; cache writes as one shard per batch {costs['write_per_batch_s']:.1f} s, as shards of 256 rows "
              f"{costs['write_256_s']:.1f} s; generation itself {base['wall']:.1f} s. `corea.generate` runs parse, grade and writes on "
              'a writer thread while the next batch generates, so on an idle machine they cost little beyond the engine; on a loaded '
              '2-core machine they compete with it for the same cores.']
    Path(a.out).write_text('\n'.join(lines) + '\n')
    print('\n'.join(lines))
    print(f'wrote {a.out}')


if __name__ == '__main__': main()
