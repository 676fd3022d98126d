#!/usr/bin/env python3
"""Grading throughput on the 2,500 RLCR MATH-500 answers: corea's `grade_batch` against a serial math-verify loop.

Usage: nice python bench/grading.py [--out bench/results/grading.md]

Baseline (measured in the same run): the loop of TRL's `accuracy_reward` (trl/rewards/accuracy_rewards.py): for every
item, `parse(gold)`, `parse(answer)`, `verify(gold_parsed, answer_parsed)` in the main thread with math-verify's own
SIGALRM timeouts (10 s parse, 5 s verify, TRL's values). It is given exactly corea's inputs
(`corea.grading.math_verify_input`), so the verdicts must be identical, and the script asserts they are. For information
it also times TRL's `accuracy_reward` itself (completion `\\boxed{answer}`, gold unprepared), whose verdicts differ.
"""
import argparse, logging, os, platform, sys, time
from pathlib import Path

import numpy as np
import pandas as pd

for _n in ('math_verify', 'math_verify.parser', 'math_verify.grader'): logging.getLogger(_n).setLevel(logging.ERROR)


def load():
    from corea.data import shared_data_dir, load_benchmark
    gens = pd.read_json(shared_data_dir()/'generations'/'rlcr_hotpot_models'/'math500.jsonl', lines=True)
    gold = load_benchmark('math500').set_index('id')['answer']
    return list(gens.extracted_answer), list(gens['id'].map(gold))


def baseline(preds, golds):
    "TRL accuracy_reward's loop on corea's inputs: parse gold, parse answer, verify; serial, SIGALRM timeouts."
    from math_verify import parse, verify
    from corea.grading import math_verify_input
    out = []
    for p, g in zip(preds, golds):
        gp = parse(math_verify_input(g), parsing_timeout=10)
        if not gp: out.append(False); continue
        ap = parse(math_verify_input(p), parsing_timeout=10)
        out.append(bool(ap) and bool(verify(gp, ap, timeout_seconds=5)))
    return np.array(out)


def trl_literal(preds, golds):
    from trl.rewards import accuracy_reward
    r = accuracy_reward([[{'role': 'assistant', 'content': '\\boxed{' + p + '}'}] for p in preds], golds)
    return np.array([bool(x) for x in r])


def _proc_cpu(pids):
    "CPU seconds (user + system) used so far by the processes `pids` (Linux /proc; None elsewhere)."
    try:
        tot = 0
        for pid in pids:
            st = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()
            tot += int(st[11]) + int(st[12])
        return tot / os.sysconf('SC_CLK_TCK')
    except Exception: return None


def run_config(name: str, nw: int) -> dict:
    "Measure one configuration in this (fresh) process: wall time, CPU time of this process and its workers, verdicts."
    from corea.grading import grade_batch, get_pool
    import math_verify, latex2sympy2_extended  # noqa: F401  (imports are not grading work: done before any clock starts)
    preds, golds = load()
    pool = None
    if name == 'baseline': f = lambda: baseline(preds, golds)
    elif name == 'trl': f = lambda: trl_literal(preds, golds)
    elif name == 'inproc': f = lambda: grade_batch(preds, golds, 'math', n_workers=0)
    elif name == 'first_call': f = lambda: grade_batch(preds, golds, 'math', timeout=5, n_workers=nw)
    elif name in ('fresh', 'repeat'):
        pool = get_pool(nw)
        pool.run([('\\boxed{0}', [(0, '\\boxed{0}')])] * nw, 60)        # workers started and imported, caches empty
        if name == 'repeat': grade_batch(preds, golds, 'math', timeout=5, n_workers=nw)
        f = lambda: grade_batch(preds, golds, 'math', timeout=5, n_workers=nw)
    else: raise ValueError(f"unknown configuration {name!r}")
    pids = [w[0].pid for w in pool._workers] if pool is not None else []
    c0, w0, t0 = time.process_time(), _proc_cpu(pids), time.perf_counter()
    v = f()
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    if name == 'first_call': cpu = None                                  # its workers did not exist at the start
    elif pids: w1 = _proc_cpu(pids); cpu = None if None in (w0, w1) else cpu + w1 - w0
    return dict(wall=dt, cpu=cpu, verdicts=''.join('1' if x else '0' for x in v))


def measure(name: str, nw: int = 0, repeats: int = 2) -> tuple:
    "Best-of-`repeats` (wall, cpu, verdicts) of a configuration, each repeat in a fresh Python process."
    import json, subprocess
    best = None
    for _ in range(repeats):
        out = subprocess.run([sys.executable, __file__, '--run', name, '--workers', str(nw)], capture_output=True, text=True)
        if out.returncode: raise RuntimeError(f"configuration {name} failed:\n{out.stderr[-3000:]}")
        r = json.loads(out.stdout.strip().splitlines()[-1])
        if best is None or r['wall'] < best['wall']: best = r
    return best['wall'], best['cpu'], np.array([c == '1' for c in best['verdicts']])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default=str(Path(__file__).resolve().parent/'results'/'grading.md'))
    ap.add_argument('--repeats', type=int, default=2)
    ap.add_argument('--run', help='internal: measure one configuration in this process and print JSON')
    ap.add_argument('--workers', type=int, default=0)
    args = ap.parse_args()
    if args.run:
        import json
        print(json.dumps(run_config(args.run, args.workers))); return
    from corea.grading import default_workers, math_verify_input, _same_answer
    preds, golds = load()
    n, ncpu, R = len(preds), default_workers(), args.repeats
    loads = [os.getloadavg()[0]]

    t_base, c_base, base = measure('baseline', 0, R)
    rows = [('serial math-verify loop (TRL `accuracy_reward` style), **baseline**', t_base, c_base)]
    configs = [('inproc', 0, 'corea in-process (`n_workers=0`): fast path, de-duplication, gold/parse cache; no parallelism'),
               ('first_call', ncpu, f'corea `grade_batch`, {ncpu} workers, first call: includes starting the pool')]
    configs += [('fresh', k, f'corea `grade_batch`, {k} worker{"s" if k > 1 else ""}, pool already started, caches empty') for k in sorted({1, ncpu})]
    configs += [('repeat', ncpu, f'corea `grade_batch`, {ncpu} workers, repeated call (workers\' parse caches warm)')]
    for name, k, label in configs:
        t, c, v = measure(name, k, R)
        assert (v == base).all(), f"{label}: {(v != base).sum()} verdicts differ from the baseline"
        rows.append((label, t, c))
    t_trl, _, trl_v = measure('trl', 0, 1)
    loads.append(os.getloadavg()[0])
    n_identical = sum(_same_answer(p, g) for p, g in zip(preds, golds))
    n_pairs = len({(math_verify_input(p), math_verify_input(g)) for p, g in zip(preds, golds) if not _same_answer(p, g)})
    n_golds = len(set(golds))

    fmt = lambda c: '' if c is None else f'{c:.2f} s'
    lines = ["## Grading throughput (`corea.grading`)", "",
             f"Command: `nice python bench/grading.py`. Workload: the {n:,} RLCR MATH-500 answers (`extracted_answer`, 5 methods x 500 questions) "
             f"against their MATH-500 golds. {platform.machine()}, {os.cpu_count()} CPU cores visible, {ncpu} usable, Python {platform.python_version()}; "
             f"the machine is shared: load average {loads[0]:.1f} at the start, {loads[1]:.1f} at the end. Every number is the best of {R} runs, "
             "each in a fresh Python process (no cache or lazy initialisation carries over between rows). "
             "CPU time adds up the grading process and its workers. **All corea runs return verdicts identical to the baseline (asserted).**", "",
             "| grader | wall time | answers/s | wall speed-up | CPU time | CPU speed-up |", "|---|---|---|---|---|---|"]
    for label, t, c in rows:
        lines.append(f"| {label} | {t:.2f} s | {n / t:,.0f} | {t_base / t:.1f}x | {fmt(c)} | {'' if c is None else f'{c_base / c:.1f}x'} |")
    lines += ["",
              f"For reference, TRL's `accuracy_reward` itself (completion `\\boxed{{answer}}`, gold unprepared) takes {t_trl:.2f} s "
              f"({n / t_trl:,.0f} answers/s), but its verdicts differ from corea's on {(trl_v != base).sum()} answers: it parses the bare gold "
              "string, so `3\\sqrt{13}` is read as 3 and `\\frac{\\sqrt{21}}{5}` not at all (see `nbs/01_grading.ipynb`).", "",
              "Where the speed-up comes from, on this data:", "",
              f"- **fast path**: {n_identical:,} of {n:,} answers equal their gold up to spaces, `$` and a trailing period and skip math-verify;",
              f"- **de-duplication**: the other {n - n_identical:,} answers hold only {n_pairs:,} distinct (answer, gold) pairs "
              "(RLVR-Classifier and Answer-Prob re-use the RLVR text), each graded once;",
              f"- **gold cache**: {n_golds} distinct golds; tasks are grouped by gold, so a worker parses each of its golds once, not once per answer;",
              "- **why the CPU saving is smaller than these counts suggest**: math-verify's cost is heavy-tailed. Simple answers cost "
              "well under a millisecond once sympy is warm, while the first tuple, interval, matrix or equation a process meets, and "
              "a few large expressions, cost 0.1-0.2 s each (in a profiling run, the 15 slowest of the 2,500 answers took 29% of the "
              "CPU time). Those are mostly distinct answers, which no cache or fast path removes; the warm-cache row shows the rest.",
              f"- **parallelism**: {ncpu} worker processes. This is where 2 cores stop helping. A second worker can at best halve the "
              "wall time of what remains, each worker pays sympy's warm-up separately (so 2 workers use more CPU than 1), and on "
              "this machine, shared by several people (load average well above 2), the second core is mostly busy with other jobs: "
              "the wall-time rows for 2 workers largely measure contention. Tasks are independent and the parent only routes "
              "messages, so on a machine with 8 or more free cores the pool divides the remaining work by the number of workers, "
              "which together with the savings above is where the 8x target applies; we could not measure that here.", "",
              "The per-item timeout is enforced by the parent (a worker silent for longer than `timeout` on one item is killed and "
              "replaced), so none of this relies on math-verify's SIGALRM timeouts, which do not work off the main thread. "
              "Starting the pool (fork server, then workers) costs a few seconds on this loaded machine (the first-call row minus the fresh-workers row); it happens once and the pool is reused by every later call."]
    Path(args.out).write_text('\n'.join(lines) + '\n')
    print('\n'.join(lines))


if __name__ == '__main__':
    main()
