"""Load and fault test of `corea serve` against two real OpenAI-compatible upstreams (corea's engine server with
SmolLM2-135M-Instruct on the CPU, one process per role). Writes bench/results/serve.md.

1. Baseline: the client runs the cascade itself (SLM call, then LLM call) straight against the upstreams.
2. Load: the same requests through `corea serve` (a separate process, started with the `corea serve` command):
   throughput, p50/p99 latency added by the proxy (client latency minus the upstream time the proxy measured),
   and the log checked row by row (no request lost, none written twice).
3. Faults: the SLM upstream is killed a third of the way through a run, the LLM upstream two thirds of the way:
   every request still gets an answer (LLM after the SLM died, a 502 after both), counted in /metrics and the log.
"""
import asyncio, os, re, signal, subprocess, sys, tempfile, time
from pathlib import Path
import httpx
import numpy as np
from corea.procs import local_server
from corea.cache import GenerationCache
from corea.parsing import COREA_INSTRUCTION
from corea.data import make_arithmetic_questions

N, CONCURRENCY, MAX_TOKENS, THRESHOLD = int(os.environ.get('N', 200)), 16, 4, 0.8
THREADS = {'OMP_NUM_THREADS': '1', 'MKL_NUM_THREADS': '1'}  # one thread per upstream: two model processes share 2 cores
READY = re.compile(r'corea serve: ready at (\S+)')

def questions(n):
    qs = make_arithmetic_questions(min(n, 300), seed=1)
    return [dict(q=q.question, gold=str(q.answer), id=str(q.id)) for _, q in qs.iterrows()] * (n // min(n, 300) + 1)

def body(item, i):
    return dict(
        model='cascade',
        messages=[{'role': 'user', 'content': item['q']}],
        max_tokens=MAX_TOKENS,
        temperature=0,
        corea=dict(gold=item['gold'], dataset='arithmetic', question_id=f"{item['id']}-{i}"),
    )

async def fire(url, items, on_done=None):
    "Send every request with at most CONCURRENCY in flight; return (results, wall seconds)."
    sem, out = asyncio.Semaphore(CONCURRENCY), [None] * len(items)
    async with httpx.AsyncClient(timeout=300, limits=httpx.Limits(max_connections=CONCURRENCY * 2)) as c:
        async def one(i):
            async with sem:
                t0 = time.perf_counter()
                try:
                    r = await c.post(f'{url}/chat/completions', json=body(items[i], i))
                    out[i] = (r.status_code, r.json(), time.perf_counter() - t0)
                except Exception as e: out[i] = (None, repr(e), time.perf_counter() - t0)
                if on_done: on_done(sum(o is not None for o in out))
        t0 = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(len(items))))
        return out, time.perf_counter() - t0

async def direct(slm, llm, items):
    "Baseline: the client does the cascade itself against the upstreams (same concurrency, same requests)."
    from corea.parsing import parse_response
    sem = asyncio.Semaphore(CONCURRENCY)
    lat = []
    async with httpx.AsyncClient(timeout=300) as c:
        async def one(i):
            async with sem:
                t0 = time.perf_counter()
                b = body(items[i], i)
                b.pop('corea')
                s = await c.post(f'{slm.base_url}/chat/completions', json={**b, 'model': slm.model, 'messages': [
                    {'role': 'user', 'content': items[i]['q'] + '\n\n' + COREA_INSTRUCTION}]})
                conf = parse_response(s.json()['choices'][0]['message']['content']).confidence
                if conf is None or conf < THRESHOLD:
                    await c.post(f'{llm.base_url}/chat/completions', json={**b, 'model': llm.model})
                lat.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(len(items))))
        return time.perf_counter() - t0, lat

def start_proxy(slm, llm, log, extra=()):
    "`corea serve` as its own process (the command a user runs); returns (process, base URL)."
    cmd = [
        sys.executable,
        '-c',
        'import sys; from corea.cli import main; sys.exit(main())',
        'serve',
        '--slm-url',
        slm.base_url,
        '--slm-model',
        slm.model,
        '--llm-url',
        llm.base_url,
        '--llm-model',
        llm.model,
        '--threshold',
        str(THRESHOLD),
        '--port',
        '0',
        '--log',
        str(log),
        '--slm-timeout',
        '300',
        '--llm-timeout',
        '300',
        '--param-ratio',
        str(32 / 7),
        *extra,
    ]
    out = Path(tempfile.mkstemp(suffix='.log')[1])
    p = subprocess.Popen(cmd, stdout=open(out, 'w'), stderr=subprocess.STDOUT)
    for _ in range(600):
        m = READY.search(out.read_text())
        if m: break
        if p.poll() is not None: raise RuntimeError(f'corea serve exited: {out.read_text()[-2000:]}')
        time.sleep(0.1)
    url = m.group(1)
    for _ in range(100):
        try:
            if httpx.get(url.replace('/v1', '/health'), timeout=2).status_code == 200: return p, url
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError('corea serve did not answer /health')

def stop(p):
    p.send_signal(signal.SIGTERM)
    p.wait(120)

def check_log(log, results):
    "(rows, problems): the log must hold one SLM row per answered request, one LLM row per LLM call, nothing twice."
    df = GenerationCache(log).read()
    probs = []
    ids = {r[1]['corea']['request_id'] for r in results if isinstance(r[1], dict) and 'corea' in r[1]}
    if set(df.request_id) != ids: probs.append(f'request ids differ: {len(set(df.request_id) ^ ids)}')
    slm_rows = df[df.confidence_reason.fillna('') != 'llm']
    if len(slm_rows) != len(ids): probs.append(f'{len(slm_rows)} SLM rows for {len(ids)} requests')
    if df.duplicated(['dataset', 'question_id', 'sample', 'model', 'method']).any(): probs.append('duplicated keys')
    n_llm_calls = sum(1 for r in results if isinstance(r[1], dict) and r[1].get('corea', {}).get('deferred'))
    if (df.confidence_reason == 'llm').sum() != n_llm_calls:
        probs.append(f"{(df.confidence_reason == 'llm').sum()} LLM rows for {n_llm_calls} LLM calls")
    return len(df), probs

def note(msg):
    print(f'[{time.strftime("%H:%M:%S")}] {msg}', file=sys.stderr, flush=True)

def pct(x, q): return float(np.percentile(x, q)) * 1000

def main(out_path='bench/results/serve.md'):
    load0 = os.getloadavg()
    items = questions(N)[:N]
    tmp = Path(tempfile.mkdtemp(prefix='corea-serve-bench-'))
    with local_server(served_model_name='SmolLM2-135M (SLM)', max_batch=32, env=THREADS) as slm, \
         local_server(served_model_name='SmolLM2-135M (LLM)', max_batch=32, env=THREADS) as llm:
        note('upstreams ready')
        asyncio.run(direct(slm, llm, items[:CONCURRENCY]))                      # warm both upstreams
        note('warm')
        base_wall, base_lat = asyncio.run(direct(slm, llm, items))
        note(f'baseline {base_wall:.1f} s')
        p, url = start_proxy(slm, llm, tmp/'load')
        res, wall = asyncio.run(fire(url, items))
        note(f'through corea serve {wall:.1f} s')
        metrics = httpx.get(url.replace('/v1', '/metrics')).text
        stop(p)
        ok = [r for r in res if r[0] == 200]
        added = [r[2] - r[1]['corea']['latency_s']['slm'] - r[1]['corea']['latency_s']['llm'] for r in ok]
        rows, probs = check_log(tmp/'load', res)
        n_def = sum(r[1]['corea']['deferred'] for r in ok)
        # faults: kill the SLM a third of the way through, the LLM two thirds of the way
        p, url = start_proxy(slm, llm, tmp/'faults')
        killed = {}
        def on_done(k):
            if k >= N // 3 and 'slm' not in killed: slm.kill(); killed['slm'] = k
            if k >= 2 * N // 3 and 'llm' not in killed: llm.kill(); killed['llm'] = k
        fres, fwall = asyncio.run(fire(url, items, on_done))
        note(f'faults {fwall:.1f} s')
        fmetrics = httpx.get(url.replace('/v1', '/metrics')).text
        stop(p)
        frows, fprobs = check_log(tmp/'faults', fres)
    codes = {c: sum(r[0] == c for r in fres) for c in sorted({r[0] for r in fres}, key=str)}
    slm_failed = sum(1 for r in fres if r[0] == 200 and r[1]['corea']['reason'] == 'slm_failed')
    no_answer = sum(r[0] is None for r in fres)
    err = lambda text, side: sum(
        float(v) for k, v in re.findall(rf'corea_upstream_errors_total\{{(.*?upstream="{side}".*?)\}} (\S+)', text)
    )
    load1 = os.getloadavg()
    lines = [
        '## corea serve: load and faults (`bench/serve.py`)',
        '',
        f'Command: `python bench/serve.py`. Upstreams: two corea engine servers (`corea.engine_server`, '
        f'transformers backend, '
        f'SmolLM2-135M-Instruct on the CPU), one process per role; `corea serve` started as its own process '
        f'by the `corea serve` '
        f'command with `--threshold {THRESHOLD} --log DIR` (upstream timeouts 300 s: the machine, not the '
        f'proxy, is slow). {N} arithmetic questions, {CONCURRENCY} in flight, max_tokens {MAX_TOKENS}, '
        f'temperature 0 (so most answers carry no confidence and are deferred: the heavier path, two upstream calls). '
        f'Shared 2-core machine: load average {load0[0]:.1f} at the start, {load1[0]:.1f} at the end.',
        '',
        '| run | requests | HTTP 200 | deferred | wall time | throughput | p50 / p99 added latency |',
        '|---|---|---|---|---|---|---|',
        f'| client runs the cascade itself, straight to the upstreams (baseline) | {N} | {N} | - | {base_wall:.1f} s | '
        f'{N / base_wall:.2f} req/s (1x) | - |',
        f'| through `corea serve` | {N} | {len(ok)} | {n_def} | {wall:.1f} s | {N / wall:.2f} req/s '
        f'({(N / wall) / (N / base_wall):.2f}x) | {pct(added, 50):.1f} / {pct(added, 99):.1f} ms |',
        '',
        "On this shared machine the load, not the proxy, sets the wall times (compare the load averages): "
        "read the throughput ratio as 'the proxy is not the bottleneck', not as a speedup. ",
        f'Added latency = the client\'s latency minus the upstream time the proxy measured (both calls): '
        f'HTTP, validation, '
        f'parsing, metering and logging. Log: {rows} rows for {N} requests ({n_def} with an LLM row), '
        + ('no request lost, none written twice.' if not probs else f'PROBLEMS: {"; ".join(probs)}.'),
        '',
        f'**Faults.** Same {N} requests; the SLM upstream was killed (SIGKILL) after {killed.get("slm")} '
        f'answers, the LLM upstream '
        f'after {killed.get("llm")}. Status codes: {codes}; {slm_failed} requests answered by the LLM because '
        f'the SLM was down '
        f'(reason `slm_failed`); {no_answer} requests without any HTTP answer; upstream errors in /metrics: '
        f'SLM {err(fmetrics, "slm"):g}, LLM {err(fmetrics, "llm"):g}. Log: {frows} rows, '
        + ('every answered request logged once.' if not fprobs else f'PROBLEMS: {"; ".join(fprobs)}.'),
        '',
    ]
    Path(out_path).parent.mkdir(parents=True, exist_ok=True)
    Path(out_path).write_text('\n'.join(lines))
    print('\n'.join(lines))
    assert not probs and not fprobs and no_answer == 0 and len(ok) == N, 'see the report above'

if __name__ == '__main__':
    main()
