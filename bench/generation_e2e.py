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


def tree_cpu(root: int | None = None) -> float:
    "CPU seconds (user + system) of a process and its live descendants, and of its reaped children: load-independent work."
    root, tick = root or os.getpid(), os.sysconf('SC_CLK_TCK')
    stats = {}
    for d in Path('/proc').iterdir():
        if not d.name.isdigit(): continue
        try: f = (d/'stat').read_text().rsplit(')', 1)[1].split()
        except OSError: continue
        stats[int(d.name)] = (int(f[1]), sum(map(int, f[11:15])) if int(d.name) == root else int(f[11]) + int(f[12]))
    kids, total, todo = {}, 0, [root]
    for pid, (ppid, _) in stats.items(): kids.setdefault(ppid, []).append(pid)
    while todo:
        pid = todo.pop()
        total += stats.get(pid, (0, 0))[1]
        todo += kids.get(pid, [])
    return total / tick


def measure(fn, *args, server_pid: int | None = None, **kw):
    "Run fn; add wall, CPU seconds of this process tree (and of the server's, if any) and the load before / after."
    l0, c0, s0 = load1(), tree_cpu(), tree_cpu(server_pid) if server_pid else 0.0
    r = fn(*args, **kw)
    r = r[0] if isinstance(r, tuple) else r
    r['cpu'] = tree_cpu() - c0 + ((tree_cpu(server_pid) - s0) if server_pid else 0.0)
    r['load'] = f'{l0:.1f} / {load1():.1f}'
    return r


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


class _Sleepy:
    "A stand-in engine that costs no CPU: it sleeps, and returns varied answers (so math-verify really grades)."
    name = 'zero-CPU stand-in'
    def __init__(self, sleep_s: float): self.sleep_s, self.i = sleep_s, 0
    def generate(self, chats, temperature=0.6, top_p=1.0, max_new_tokens=16, seed=0):
        from corea.backends.base import Generation
        time.sleep(self.sleep_s)
        self.i += len(chats)
        return [Generation(f'Adding step by step. The answer is \\boxed{{{(self.i + j) % 97 - 40}}}. \\confidence{{0.8}}', 300, 40,
                           -0.5, 0.6, 'stop', None) for j in range(len(chats))]


def overhead(a, tmp, sleep_s: float = 0.5):
    "corea.generate's own cost: the same loop around an engine that only sleeps; what is left is parse, grade, cache."
    from corea.data import make_arithmetic_questions
    from corea.generate import generate, _warm_grading
    _warm_grading()
    qs = make_arithmetic_questions(a.n, seed=7)
    be = _Sleepy(sleep_s)
    c0, t0 = tree_cpu(), time.time()
    c = generate(qs, tmp/'overhead', model='x', model_name='x', dataset='arithmetic', k=a.samples, backend=be,
                 batch_size=a.batch, progress=False)
    n_batches = -(-len(qs) * a.samples // a.batch)
    return dict(answers=c.last_run['answers'], wall=time.time() - t0, engine_s=n_batches * sleep_s, cpu=tree_cpu() - c0,
                shards=c.last_run['shards_written'])


def overhead_lines(o, a) -> list[str]:
    return ['', f"corea's own cost: `corea.generate` around a zero-CPU stand-in engine (it sleeps {o['engine_s'] / max(1, -(-o['answers'] // a.batch)):.1f} s "
            f"a batch and returns varied answers), {o['answers']} answers ({a.n} questions x {a.samples}), batch {a.batch}, with parsing, "
            f"math-verify grading and the cache: wall {o['wall']:.1f} s against {o['engine_s']:.1f} s of engine sleep "
            f"(overhead {o['wall'] - o['engine_s']:.1f} s, {100 * (o['wall'] - o['engine_s']) / o['engine_s']:.1f}% of the engine time), "
            f"{o['cpu']:.2f} CPU seconds for all {o['answers']} answers, {o['shards']} shards written. Load average at the end: "
            + ', '.join(f'{x:.1f}' for x in os.getloadavg()) + '.']


def openai_rows(qs, chats, a, tmp):
    from corea.client import SyncClient
    from corea.procs import local_server
    from corea.generate import _batch_seed
    res = {}
    with local_server(max_batch=a.batch, max_wait_ms=20, dtype=a.dtype) as ls:
        ids = [str(i) for i in qs.id]
        todo = order(chats, ids, a.samples)
        def alone():
            with SyncClient(ls.base_url, model=ls.model, max_concurrency=a.batch) as sc:
                t = time.time()
                outs = sc.chat_many([chats[i] for i, _ in todo], temperature=0.6, max_tokens=a.max_new)
                return dict(wall=time.time() - t, tokens=sum(o[0].completion_tokens for o in outs), answers=len(outs))
        with SyncClient(ls.base_url, model=ls.model, max_concurrency=a.batch) as sc:          # warm-up, a full batch
            sc.chat_many(chats[:a.batch], max_tokens=16)
        for rep in range(a.repeat):
            res[f'openai engine alone (client, same requests) #{rep + 1}'] = measure(alone, server_pid=ls.process.pid)
            print(res, flush=True)
            res[f'openai corea.generate end to end #{rep + 1}'] = measure(
                e2e, 'openai', qs, a, tmp/f'oa{rep}', server_pid=ls.process.pid, model=ls.model, model_name=ls.model,
                backend_kwargs=dict(base_url=ls.base_url, max_concurrency=a.batch))
            print(res, flush=True)
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--n', type=int, default=256, help='arithmetic questions')
    ap.add_argument('--samples', type=int, default=2)
    ap.add_argument('--max-new', type=int, default=96)
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--dtype', default='float32')
    ap.add_argument('--openai', action='store_true', help='also the openai backend through corea engine serve')
    ap.add_argument('--repeat', type=int, default=2, help='alternating passes (engine alone, end to end) per backend')
    ap.add_argument('--no-old-loop', action='store_true', help='skip the pre-issue-8 loop row')
    ap.add_argument('--overhead-only', action='store_true', help="only corea's own cost (zero-CPU engine); appends to --out")
    ap.add_argument('--out', default=str(OUT))
    a = ap.parse_args(argv)
    if a.overhead_only:
        o = overhead(a, Path(tempfile.mkdtemp(prefix='corea-bench-')))
        lines = overhead_lines(o, a)
        with open(a.out, 'a') as f: f.write('\n'.join(lines) + '\n')
        print('\n'.join(lines))
        return
    import torch
    from corea.data import make_arithmetic_questions
    from corea.backends.transformers import TransformersBackend
    from corea.generate import chat_prompts
    from corea.models import smollm2_hf_dir
    qs = make_arithmetic_questions(a.n, seed=7)
    chats, ids = chat_prompts(qs), [str(i) for i in qs.id]
    todo = order(chats, ids, a.samples)
    tmp = Path(tempfile.mkdtemp(prefix='corea-bench-'))
    load_start = ', '.join(f'{x:.1f}' for x in os.getloadavg())
    be = TransformersBackend(smollm2_hf_dir(), dtype=a.dtype)
    be.generate(chats[:a.batch], 0.6, 1.0, 16, seed=0)                   # warm-up at the full batch size
    rows = {}
    gens_all = engine_alone(be, chats, ids, todo, a)[1] if a.repeat == 0 else None
    for rep in range(a.repeat):               # alternate, so that a change of load hits both paths alike
        box = {}
        def alone():
            r, box['gens'] = engine_alone(be, chats, ids, todo, a)
            return r
        rows[f'transformers engine alone #{rep + 1}'] = measure(alone)
        gens_all = box['gens']
        print(rows, flush=True)
        rows[f'transformers corea.generate end to end #{rep + 1}'] = measure(e2e, be, qs, a, tmp/f'e2e{rep}', dtype=a.dtype)
        print(rows, flush=True)
    if not a.no_old_loop:
        rows['transformers, the loop before issue 8'] = measure(old_loop, be, qs, chats, ids, todo, a, tmp/'old')
        print(rows, flush=True)
    costs = step_costs(gens_all, qs, tmp)
    print(costs, flush=True)
    del be
    if a.openai: rows.update(openai_rows(qs, chats, a, tmp))
    load_end = ', '.join(f'{x:.1f}' for x in os.getloadavg())
    shutil.rmtree(tmp, ignore_errors=True)
    tps = lambda r: r['tokens'] / r['wall']
    tpc = lambda r: r['tokens'] / max(r['cpu'], 1e-9)
    def total(prefix):
        rs = [r for k, r in rows.items() if k.startswith(prefix)]
        return dict(tokens=sum(r['tokens'] for r in rs), wall=sum(r['wall'] for r in rs), cpu=sum(r['cpu'] for r in rs)) if rs else None
    cmd = ('nice python bench/generation_e2e.py' + ''.join(f' --{k.replace("_", "-")} {v}' for k, v in dict(
           n=a.n, samples=a.samples, max_new=a.max_new, batch=a.batch, dtype=a.dtype, repeat=a.repeat).items())
           + (' --openai' if a.openai else '') + (' --no-old-loop' if a.no_old_loop else ''))
    lines = ['## corea generate end to end vs the engine alone (issue 8)', '',
             f'Command: `{cmd}`. Workload: {a.n} of corea\'s arithmetic questions (seed 7) x {a.samples} samples = '
             f'{len(todo)} answers, the real COREA prompt (two demonstrations), temperature 0.6, at most {a.max_new} new tokens, '
             f'SmolLM2-135M-Instruct {a.dtype}, batch {a.batch}. {platform.machine()}, {os.cpu_count()} cores, torch '
             f'{torch.__version__} with {torch.get_num_threads()} threads. Shared machine: load average (1, 5, 15 min) '
             f'{load_start} at the start, {load_end} at the end. Passes alternate (engine alone, end to end, ...) so a change '
             'of load hits both. CPU s: CPU seconds of the benchmark process tree (and of the server process for openai rows) '
             'during the pass: the work done, which the load of other jobs does not inflate the way it inflates wall time.', '',
             '| pass | answers | output tokens | wall time | output tokens/s | CPU s | output tokens per CPU s | shards | load (1 min) before / after |',
             '|---|---|---|---|---|---|---|---|---|']
    for name, r in rows.items():
        lines.append(f"| {name} | {r['answers']} | {r['tokens']:,} | {r['wall']:.1f} s | {tps(r):.1f} | {r['cpu']:.1f} | "
                     f"{tpc(r):.2f} | {r.get('shards', '')} | {r['load']} |")
    lines += ['', '| backend | end to end / engine alone, output tokens/s (wall) | same, output tokens per CPU second | target |',
              '|---|---|---|---|']
    for be_name in ('transformers', 'openai'):
        eng, e2 = total(f'{be_name} engine alone'), total(f'{be_name} corea.generate end to end')
        if eng and e2:
            lines.append(f'| {be_name} | {tps(e2) / tps(eng):.2f} | {tpc(e2) / tpc(eng):.2f} | >= 0.70 |')
    old, eng = rows.get('transformers, the loop before issue 8'), total('transformers engine alone')
    if old and eng: lines.append(f'| transformers, the loop before issue 8 | {tps(old) / tps(eng):.2f} | {tpc(old) / tpc(eng):.2f} | |')
    lines += ['', f"Steps timed alone on the engine-alone answers ({len(todo)} rows, {costs['n_batches']} batches): parse + grade "
              f"{costs['grade_s']:.1f} s (the first call starts the math-verify worker process); cache writes as one shard per "
              f"batch {costs['write_per_batch_s']:.2f} s, as shards of 256 rows {costs['write_256_s']:.2f} s. `corea.generate` "
              'runs parse, grade and writes on a writer thread while the next batch generates, and starts the grading worker '
              'while the first batch generates.']
    Path(a.out).write_text('\n'.join(lines) + '\n')
    print('\n'.join(lines))
    print(f'wrote {a.out}')


if __name__ == '__main__': main()
