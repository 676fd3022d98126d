"""What one upstream call costs the calling process in CPU: httpx (corea's client before issue 22's rework) against
aiohttp (corea.client.OpenAIClient now), and corea's OpenAIClient itself. Writes bench/results/upstream_client.md.

One instant local upstream (`corea.serve.scripted_upstream` in a uvicorn process of its own, `corea.procs.local_app`);
each client sends N chat completion requests, IN_FLIGHT at once, after 100 for warm-up, and the calling process's
CPU time (`time.process_time`: all its threads) is divided by N. Clients alternate over ROUNDS rounds, in the same
run, so the ratio against httpx is what the numbers mean on a shared machine.
"""
import asyncio, json, os, sys, time
from pathlib import Path
import aiohttp, httpx, numpy as np
from corea.client import OpenAIClient
from corea.procs import local_app

N, IN_FLIGHT, ROUNDS = int(os.environ.get('N', 1500)), 16, int(os.environ.get('ROUNDS', 3))
ROOT = Path(__file__).resolve().parents[1]
BODY = {'model': 'slm', 'messages': [{'role': 'user', 'content': 'What is 2 + 2? [conf=0.9]'}], 'max_tokens': 16}

async def timed(one, n: int = N) -> tuple[float, float]:
    "(wall seconds, CPU seconds of this process) of n calls of `one`, IN_FLIGHT at once, after a warm-up of 100."
    sem = asyncio.Semaphore(IN_FLIGHT)
    async def bounded():
        async with sem: await one()
    await asyncio.gather(*(bounded() for _ in range(100)))
    t, c = time.perf_counter(), time.process_time()
    await asyncio.gather(*(bounded() for _ in range(n)))
    return time.perf_counter() - t, time.process_time() - c

async def with_httpx(url: str):
    limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
    async with httpx.AsyncClient(limits=limits, timeout=60) as c:
        async def one():
            r = await c.post(f'{url}/chat/completions', json=BODY)
            assert r.status_code == 200 and 'choices' in r.json()
        return await timed(one)

async def with_aiohttp(url: str):
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=IN_FLIGHT)) as s:
        async def one():
            async with s.post(f'{url}/chat/completions', data=json.dumps(BODY),
                              headers={'Content-Type': 'application/json'}) as r:
                assert r.status == 200 and 'choices' in json.loads(await r.read())
        return await timed(one)

async def with_corea(url: str):
    async with OpenAIClient(url, max_concurrency=IN_FLIGHT, logprobs=False, api_key_env=None) as c:
        async def one(): assert 'choices' in await c.request('chat/completions', BODY)
        return await timed(one)

CLIENTS = {'httpx (AsyncClient)': with_httpx, 'aiohttp (ClientSession)': with_aiohttp,
           'corea.client.OpenAIClient (aiohttp)': with_corea}

def main():
    load0, res = os.getloadavg(), {k: [] for k in CLIENTS}
    with local_app('corea.serve:scripted_upstream', 'slm') as url:
        for r in range(ROUNDS):
            for name, fn in CLIENTS.items():
                wall, cpu = asyncio.run(fn(url))
                res[name].append((wall, cpu))
                print(f'round {r + 1} {name}: {cpu / N * 1e3:.2f} ms CPU a request, {N / wall:.0f} req/s', flush=True)
    load1 = os.getloadavg()
    base = np.median([c for _, c in res['httpx (AsyncClient)']]) / N
    rows = []
    for name, v in res.items():
        cpu = np.median([c for _, c in v]) / N
        rps = np.median([N / w for w, _ in v])
        vs = 'baseline' if name.startswith('httpx') else f'{base / cpu:.1f}x less'
        rows.append(f'| {name} | {cpu * 1e3:.2f} ms | {vs} | {rps:.0f} req/s |')
    text = '\n'.join([
        '## Upstream calls: the caller\'s CPU a request, httpx against aiohttp (`bench/upstream_client.py`)', '',
        f'Command: `python bench/upstream_client.py`. One instant local upstream (`corea.serve.scripted_upstream`, its '
        f'own uvicorn process); {N} chat completion requests a client and round, {IN_FLIGHT} in flight, after 100 '
        f'for warm-up; the medians of {ROUNDS} alternating rounds. CPU = the calling process\'s CPU time over the '
        f'requests. {os.cpu_count()} cores, shared: load average {load0[0]:.1f} / {load0[1]:.1f} / {load0[2]:.1f} at '
        f'the start, {load1[0]:.1f} / {load1[1]:.1f} / {load1[2]:.1f} at the end.', '',
        '| client | CPU a request (median) | vs httpx | throughput (median) |', '|---|---|---|---|', *rows, '',
        'Why it matters: `corea serve` makes one or two upstream calls a request, and a proxy\'s CPU a request sets '
        'both its ceiling and, under load, the time requests wait for it. corea.client moved from httpx to aiohttp '
        'for this (issue 22); the serve benchmark\'s load generator uses aiohttp too, since it shares the cores.', ''])
    out = ROOT/'bench'/'results'/'upstream_client.md'
    out.write_text(text)
    print(text)

if __name__ == '__main__': main()
