"""What `corea serve` costs in the path of a request, and what it does under sustained load with several workers.
Writes bench/results/serve.md.

Upstreams: two instant local upstreams (`corea.serve.scripted_upstream`, no model: a scripted COREA answer whose
confidence the request picks), each a uvicorn process of its own (`corea.procs.local_app`). `corea serve` runs as the
`corea serve` command (`corea.serve.serve_process`), with its log on.

1. Added latency: the same requests (a quarter of them deferred) sent straight to the upstreams, the client running
   the cascade itself (SLM call, then the LLM call when the confidence is low), and through `corea serve`, at 1 and 64
   in flight, in alternating blocks. Added = through minus direct, at p50 and p99; throughput at 64 in flight.
   Where the time goes: the proxy's CPU seconds per request (its process's CPU time over the run) and, from the
   proxy's own timings, how much of a request is spent in the upstream calls.
2. Soak: N_SOAK requests (half streamed, a quarter deferred, 2% failing at the SLM, 2% at the LLM) against
   `--workers 2`: every answered request logged exactly once, no 5xx that is not an upstream's fault, the workers'
   memory after the first 1,000 requests and at the end.
"""
import asyncio, json, os, sys, tempfile, time
from pathlib import Path
import aiohttp, numpy as np, psutil
from corea.cache import GenerationCache
from corea.parsing import COREA_INSTRUCTION, parse_response
from corea.procs import descendants, local_app
from corea.serve import serve_process

N_LAT = {1: int(os.environ.get('N1', 300)), 64: int(os.environ.get('N64', 1000))}
N_SOAK, SOAK_IN_FLIGHT, BLOCKS = int(os.environ.get('N_SOAK', 10_000)), 32, 3
ROOT = Path(__file__).resolve().parents[1]

def note(msg): print(f'[{time.strftime("%H:%M:%S")}] {msg}', file=sys.stderr, flush=True)

def text_of(i: int) -> str:
    "Request i's question: every 4th deferred (low confidence), every 50th failing at the SLM, at the LLM."
    t = f'What is {i} + 5?' + (' [conf=0.3]' if i % 4 == 0 else ' [conf=0.95]')
    return t + (' [fail-slm]' if i % 50 == 1 else ' [fail-llm]' if i % 50 == 4 else '')

def body(i: int, stream: bool = False) -> dict:
    b = dict(model='cascade', messages=[{'role': 'user', 'content': text_of(i)}], max_tokens=16, temperature=0)
    return {**b, 'stream': True, 'stream_options': {'include_usage': True}} if stream else b

class Http:
    "The load generator's client (aiohttp: about an eighth of httpx's CPU a request, and it shares the cores)."
    ERRORS = (aiohttp.ClientError, asyncio.TimeoutError)

    def __init__(self, in_flight: int):
        self.s = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=in_flight),
                                       timeout=aiohttp.ClientTimeout(total=60))

    async def post(self, url: str, obj: dict) -> tuple[int, bytes]:
        "(status, body) of one JSON POST; a streamed answer is read to its end."
        async with self.s.post(url, data=json.dumps(obj), headers={'Content-Type': 'application/json'}) as r:
            return r.status, await r.read()

async def direct_one(c, slm, llm, i):
    "The client runs the cascade itself: the SLM with the COREA instruction, the LLM when the confidence is low."
    b = body(i)
    _, s = await c.post(f'{slm}/chat/completions', {**b, 'model': 'slm', 'messages': [
        {'role': 'user', 'content': b['messages'][0]['content'] + '\n\n' + COREA_INSTRUCTION}]})
    conf = parse_response(json.loads(s)['choices'][0]['message']['content']).confidence
    if conf is None or conf < 0.8: await c.post(f'{llm}/chat/completions', {**b, 'model': 'llm'})

async def through_one(c, url, i):
    status, raw = await c.post(f'{url}/chat/completions', body(i))
    if status != 200: raise RuntimeError(f'corea serve answered {status}: {raw[:200]!r}')
    return json.loads(raw)['corea']

async def run_block(fn, n: int, in_flight: int, offset: int) -> tuple[list, float, list]:
    "(latencies in s, wall seconds, results or connection errors) of n requests with `in_flight` at once."
    lat, out = [], []
    c = Http(in_flight)
    async with c.s:
        queue = iter(range(offset, offset + n))
        async def worker():
            for i in queue:
                t0 = time.perf_counter()
                try: out.append(await fn(c, i))
                except Http.ERRORS as e: out.append(e)      # counted and reported, never dropped
                lat.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(in_flight)))
        return lat, time.perf_counter() - t0, out

def cpu_s(pid: int) -> float:
    "CPU seconds (user + system) of a process and everything below it."
    total = 0.0
    for p in [pid, *descendants(pid)]:
        try: t = psutil.Process(p).cpu_times()
        except psutil.Error: continue
        total += t.user + t.system
    return total

def latency(slm: str, llm: str, tmp: Path) -> dict:
    "Direct vs through `corea serve` at 1 and 64 in flight, in alternating blocks."
    clean = lambda i: i % 50 not in (1, 4)                     # no injected failures here
    ids = [i for i in range(200_000) if clean(i)]
    res = {}
    args = ['--slm-url', slm, '--slm-model', 'slm', '--llm-url', llm, '--llm-model', 'llm', '--threshold', 0.8,
            '--log', tmp/'latency-log']
    with serve_process(args) as (url, proc):
        asyncio.run(run_block(lambda c, i: through_one(c, url, ids[i]), 200, 8, 0))   # warm both paths
        asyncio.run(run_block(lambda c, i: direct_one(c, slm, llm, ids[i]), 200, 8, 0))
        for k, n in N_LAT.items():
            d_lat, t_lat, d_wall, t_wall, infos, cpu, t_n, errs = [], [], 0.0, 0.0, [], 0.0, 0, [0, 0]
            for b in range(BLOCKS):
                off = b * n
                lat, wall, out = asyncio.run(run_block(lambda c, i: direct_one(c, slm, llm, ids[i]), n, k, off))
                errs[0] += sum(isinstance(o, Exception) for o in out)
                d_lat += lat
                d_wall += wall
                c0 = cpu_s(proc.pid)
                lat, wall, out = asyncio.run(run_block(lambda c, i: through_one(c, url, ids[i]), n, k, off))
                cpu += cpu_s(proc.pid) - c0
                errs[1] += sum(isinstance(o, Exception) for o in out)
                out = [o for o in out if not isinstance(o, Exception)]
                t_lat, t_wall, infos, t_n = t_lat + lat, t_wall + wall, infos + out, t_n + n
                note(f'{k} in flight, block {b + 1}: direct {np.median(d_lat) * 1e3:.2f} ms, '
                     f'through {np.median(t_lat) * 1e3:.2f} ms (p50 so far)')
            up = [i['latency_s']['slm'] + i['latency_s']['llm'] for i in infos]
            inside = [i['latency_s']['total'] - u for i, u in zip(infos, up)]
            res[k] = dict(d=np.array(d_lat), t=np.array(t_lat), d_rps=BLOCKS * n / d_wall, t_rps=BLOCKS * n / t_wall,
                          cpu_ms=cpu / t_n * 1e3, inside=np.array(inside), n=BLOCKS * n,
                          deferred=sum(i['deferred'] for i in infos) / len(infos), errors=errs)
    return res

def sse_decision(text: str) -> dict | None:
    "The `corea` object of the last event that carries one (a streamed answer's last chunk, or an error event)."
    out = None
    for line in text.splitlines():
        if line.startswith('data: {'):
            ev = json.loads(line[6:])
            out = ev.get('corea', out)
    return out

async def soak_one(c, url, i):
    stream = i % 2 == 0
    status, raw = await c.post(f'{url}/chat/completions', body(i, stream))
    text = raw.decode()
    return i, status, (sse_decision(text) if stream and status == 200 else json.loads(text).get('corea'))

def rss_mb(pid: int) -> float:
    "Resident memory (MiB) of the `corea serve` workers: the processes below the supervisor."
    total = 0
    for p in descendants(pid):
        try:
            pr = psutil.Process(p)
            if 'multiprocessing' in ' '.join(pr.cmdline()): total += pr.memory_info().rss
        except psutil.Error: pass
    return total / 2**20

def soak(slm: str, llm: str, tmp: Path) -> dict:
    "N_SOAK requests against --workers 2; the log checked row by row, the 5xx checked, the workers' memory."
    log = tmp/'soak-log'
    args = ['--slm-url', slm, '--slm-model', 'slm', '--llm-url', llm, '--llm-model', 'llm', '--threshold', 0.8,
            '--log', log, '--workers', 2, '--max-in-flight', 128]
    out, mem, wall = [], [], 0.0
    with serve_process(args) as (url, proc):
        for k in range(0, N_SOAK, 1000):                  # the workers' memory after every 1,000 requests
            n = min(1000, N_SOAK - k)
            _, w, got = asyncio.run(run_block(lambda c, i: soak_one(c, url, i), n, SOAK_IN_FLIGHT, k))
            out, wall = out + got, wall + w
            mem.append(rss_mb(proc.pid))
            note(f'soak: {len(out)} requests in {wall:.1f} s, workers {mem[-1]:.0f} MiB')
    mem1, mem2 = mem[0], mem[-1]
    conn_errors = sum(isinstance(r, Exception) for r in out)
    res = [r for r in out if not isinstance(r, Exception)]
    df = GenerationCache(log).read()
    answered = {d['request_id']: (i, d) for i, st, d in res if d}
    upstream_fault = lambda i, st, d: st == 502 and d and d.get('deferred') and '[fail-llm]' in text_of(i)
    bad5xx = [(i, st) for i, st, d in res if st >= 500 and not upstream_fault(i, st, d)]
    llm_rows = df[df.model == 'llm']
    want_llm = sum(1 for _, d in answered.values() if d['deferred'])
    codes = {c: sum(st == c for _, st, _ in res) for c in sorted({st for _, st, _ in res})}
    return dict(n=len(out), mem=mem, codes=codes,
                rows=len(df), ids_missing=len(set(answered) - set(df.request_id)),
                ids_extra=len(set(df.request_id) - set(answered)),
                dup=int(df.duplicated(['dataset', 'question_id', 'sample', 'model', 'method']).sum()),
                slm_rows=int((df.model == 'slm').sum()), llm_rows=len(llm_rows), want_llm=want_llm,
                bad5xx=bad5xx, mem1=mem1, mem2=mem2, wall=wall, shards=len(GenerationCache(log).shards()),
                streamed=sum(1 for i, st, _ in res if i % 2 == 0 and st == 200),
                deferred=sum(1 for _, d in answered.values() if d['deferred']),
                slm_failed=sum(1 for _, d in answered.values() if d['reason'] == 'slm_failed'), conn_errors=conn_errors)

_PROFILE_CLIENT = """
import aiohttp, asyncio, json, sys
async def main():
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=16)) as c:
        sem = asyncio.Semaphore(16)
        async def one(i):
            async with sem:
                q = {'messages': [{'role': 'user', 'content': f'q{i}' + (' [conf=0.3]' if i % 4 == 0 else '')}]}
                async with c.post(sys.argv[1] + '/chat/completions', data=json.dumps(q),
                                  headers={'Content-Type': 'application/json'}) as r:
                    assert r.status == 200, await r.text()
        await asyncio.gather(*(one(i) for i in range(int(sys.argv[2]))))
asyncio.run(main())
"""

def profile_proxy(slm: str, llm: str, tmp: Path, n: int = 600) -> dict:
    "Shares of the proxy's busy profiled time: corea's code, its upstream calls (aiohttp), the rest (inbound HTTP, loop)."
    import cProfile, pstats, socket, subprocess, threading, uvicorn
    from corea.serve import ServeConfig, make_app, uvicorn_config
    cfg = ServeConfig(slm, 'slm', llm, 'llm', 0.8, log=str(tmp/'profile-log'))
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    server = uvicorn.Server(uvicorn_config(make_app(cfg), cfg))
    url = f'http://127.0.0.1:{sock.getsockname()[1]}/v1'
    def client():
        while not server.started: time.sleep(0.05)
        subprocess.run([sys.executable, '-c', _PROFILE_CLIENT, url, str(n)], check=True)
        server.should_exit = True
    threading.Thread(target=client, daemon=True).start()
    prof = cProfile.Profile()
    prof.runcall(server.run, sockets=[sock])
    st = pstats.Stats(prof).stats              # (file, line, name) -> (calls, ncalls, tottime, cumtime, callers)
    cum = lambda name: max((v[3] for (f, _, fn), v in st.items() if f.endswith('corea/serve.py') and fn == name),
                           default=0.0)
    total = sum(v[2] for (f, _, fn), v in st.items() if 'select.epoll' not in fn)   # not the idle wait for sockets
    handle, calls = cum('handle'), cum('call')
    return dict(total=total, corea=(handle - calls) / total, upstream=calls / total, rest=(total - handle) / total, n=n)

def pct(x, q): return float(np.percentile(x, q)) * 1e3

def report(lat: dict, sk: dict, prof: dict, load0, load1, cores) -> str:
    rows = []
    for k, r in lat.items():
        add50, add99 = pct(r['t'], 50) - pct(r['d'], 50), pct(r['t'], 99) - pct(r['d'], 99)
        rows.append(f"| {k} | {r['n']} | {pct(r['d'], 50):.2f} / {pct(r['d'], 99):.2f} ms | "
                    f"{pct(r['t'], 50):.2f} / {pct(r['t'], 99):.2f} ms | **{add50:+.2f} / {add99:+.2f} ms** | "
                    f"{r['d_rps']:.0f} / {r['t_rps']:.0f} req/s ({r['t_rps'] / r['d_rps']:.0%}) | "
                    f"{r['cpu_ms']:.2f} ms | {pct(r['inside'], 50):.2f} ms | {r['errors'][0]} / {r['errors'][1]} |")
    r64 = lat[64]
    add99 = pct(r64['t'], 99) - pct(r64['d'], 99)
    ratio = r64['t_rps'] / r64['d_rps']
    ok_lat, ok_tp = add99 <= 5, ratio >= 0.7
    verdict = (f"Goal (p99 added <= 5 ms at 64 in flight, throughput >= 70% of direct): p99 added {add99:+.1f} ms "
               f"({'met' if ok_lat else f'missed by {add99 - 5:.1f} ms'}), throughput {ratio:.0%} "
               f"({'met' if ok_tp else f'missed by {70 - 100 * ratio:.0f} points'}).")
    c = sk['codes']
    soak_ok = (sk['conn_errors'] == 0 and sk['ids_missing'] == 0 and sk['ids_extra'] == 0 and sk['dup'] == 0
               and not sk['bad5xx']
               and sk['llm_rows'] == sk['want_llm'] and abs(sk['mem2'] / sk['mem1'] - 1) <= 0.10)
    return '\n'.join([
        '## corea serve: added latency and a soak (`bench/serve.py`)', '',
        f"Command: `python bench/serve.py`. Two instant local upstreams (`corea.serve.scripted_upstream`: no model, "
        f"a scripted COREA answer whose confidence the request picks), each a uvicorn process of its own; "
        f"`corea serve` started by the `corea serve` command, one worker, `--log` on. A quarter of the requests are "
        f"deferred (two upstream calls). Direct: the client runs the cascade itself against the upstreams (SLM call "
        f"with the COREA instruction, LLM call when the confidence is low); through: one call to `corea serve`. "
        f"{BLOCKS} alternating blocks of each. Machine: {cores} shared cores, load average {load0[0]:.1f} / "
        f"{load0[1]:.1f} / {load0[2]:.1f} at the start, {load1[0]:.1f} / {load1[1]:.1f} / {load1[2]:.1f} at the end "
        f"(a training job and other work share them).", '',
        '| in flight | requests | direct p50 / p99 | through p50 / p99 | added p50 / p99 | throughput direct / '
        'through | proxy CPU per request | proxy time outside upstream calls (p50) | connection errors direct / '
        'through |', '|---|---|---|---|---|---|---|---|---|', *rows, '',
        verdict, '', littles_law(lat[64], 64), '', negative_note(lat[64]),
        f"For scale: with instant upstreams, one direct request alone (one or two HTTP calls) takes "
        f"{pct(lat[1]['d'], 50):.0f} ms at p50 here. On these cores, under this load and at `nice -n 10` (as this "
        "project runs its benchmarks), every hop from process to process waits for the scheduler, so the "
        "milliseconds above measure the machine's queue more than the proxy; the proxy's CPU time per request (next "
        "paragraph) is the number that carries over to another machine.", '',
        "Where the time goes: the client, both upstreams and `corea serve` are Python processes on the same "
        f"{cores} cores, so at 64 in flight every request waits for CPU. `corea serve` spends "
        f"{r64['cpu_ms']:.2f} ms of CPU per request (HTTP in, validation, one or two upstream calls through aiohttp, "
        "the decision, metering, metrics, the log), which caps one worker near "
        f"{1e3 / r64['cpu_ms']:.0f} requests/s on a free core; the direct client pays for its own upstream calls "
        "but not for a second HTTP hop. Inside the proxy (its own timing, outside the upstream calls) a request "
        f"takes {pct(r64['inside'], 50):.2f} ms at p50 at 64 in flight, against {pct(lat[1]['inside'], 50):.2f} ms "
        "alone: the rest of the added time is waiting for the CPU that the client and the upstreams hold. More "
        "workers (`--workers N`) or cores raise the ceiling; the load average above says how much CPU was free. "
        f"A profile of the proxy (cProfile, {prof['n']} requests, 16 in flight, in-process) splits its time: "
        f"{prof['upstream']:.0%} in its upstream calls (aiohttp, the sockets), {prof['rest']:.0%} in the "
        f"inbound HTTP (uvicorn, h11, Starlette) and the event loop, {prof['corea']:.0%} in corea's own code "
        "(validation, the decision, metering, metrics, the log): the added time is the second HTTP hop in Python, "
        "not the cascade's logic.", '',
        f"**Soak.** {sk['n']} requests, {SOAK_IN_FLIGHT} in flight, against `--workers 2` with `--log`: half "
        f"streamed ({sk['streamed']} streams answered), {sk['deferred']} deferred ({sk['slm_failed']} because the "
        f"SLM failed on purpose), 2% failing at the LLM on purpose. {sk['wall']:.0f} s "
        f"({sk['n'] / sk['wall']:.0f} req/s). Status codes: {c}. 5xx not caused by an upstream: "
        f"{len(sk['bad5xx'])}; requests without any HTTP answer (connection errors): {sk['conn_errors']}. "
        f"Log: {sk['rows']} rows in {sk['shards']} shards ({sk['slm_rows']} SLM rows, "
        f"{sk['llm_rows']} LLM rows for {sk['want_llm']} LLM calls), answered requests missing from it: "
        f"{sk['ids_missing']}, rows of unknown requests: {sk['ids_extra']}, duplicated keys: {sk['dup']}. "
        f"Workers' memory (RSS): {sk['mem1']:.0f} MiB after the first 1,000 requests, {sk['mem2']:.0f} MiB at the "
        f"end ({sk['mem2'] / sk['mem1'] - 1:+.1%}; after each 1,000: {', '.join(f'{m:.0f}' for m in sk['mem'])} "
        "MiB). "
        + ('All soak checks pass.' if soak_ok else 'SOME SOAK CHECKS FAIL.'), '',
        memory_note(sk['mem']), ''])

def negative_note(r: dict) -> str:
    "Why the added latency can be negative here, when it is."
    if pct(r['t'], 99) >= pct(r['d'], 99): return ''
    return ("Negative added latency means no added latency could be measured, not a speed-up a user gets: the direct "
            "client makes the SLM call and, when deferred, the LLM call itself from its one process, while through "
            "corea serve it makes one call and the proxy, a second process on the other core, makes the upstream "
            "calls; on 2 shared cores that parallelism outweighs the second hop.\n")

def littles_law(r: dict, n: int) -> str:
    "What the throughputs alone imply for the added latency at `n` in flight (a closed loop: latency = n / throughput)."
    implied = (n / r['t_rps'] - n / r['d_rps']) * 1e3
    need = 1 / (1 + 0.005 * r['d_rps'] / n)          # through / direct throughput that keeps the added mean <= 5 ms
    return (f"What the goal asks, by Little's law: with {n} requests always in flight, the mean latency is {n} / "
            f"throughput, so the throughputs alone imply an added mean of {n} / {r['t_rps']:.0f} - {n} / "
            f"{r['d_rps']:.0f} = {implied:+.0f} ms (measured mean: "
            f"{(r['t'].mean() - r['d'].mean()) * 1e3:+.0f} ms). With instant upstreams the added latency at {n} in "
            f"flight is therefore set by the proxy's throughput, not its own time: <= 5 ms needs corea serve to pass "
            f"{need:.1%} of the direct throughput here, while client, upstreams and proxy share {os.cpu_count()} "
            "cores. With real models upstream, throughput is the models', and the added latency falls toward the "
            "proxy's own time per request (the column 'proxy time outside upstream calls').")

def memory_note(mem: list) -> str:
    "What the workers' memory series says: a step, then a slope per 1,000 requests."
    if len(mem) < 3: return ''
    step, slope = mem[1] - mem[0], (mem[-1] - mem[1]) / (len(mem) - 2)
    return (f"Memory, read from the series: a step of {step:+.0f} MiB between the first and the second 1,000 requests, "
            f"then {slope:+.1f} MiB per 1,000 ({mem[-1] / mem[1] - 1:+.1%} from 2,000 to {len(mem)},000 requests). "
            "The slope is what the log's key index should cost: each worker's `GenerationCache` keeps every row's key "
            "(both workers' rows) to refuse a duplicate, about 0.4 KB a row, 1.3 rows a request. The step is a worker's "
            "warm-up: before issue 22's fix a worker grew by about 25 MiB on its first requests (its first Parquet "
            "write and read: Arrow's memory pool and reader threads, the grader's import, the upstream pools), and "
            "one of the two workers could get its first traffic only after the first 1,000; a worker now does those "
            "once at start-up (`LogWriter._warm`, `CascadeProxy.start`), so it is at its working size when it says "
            "it is ready.")

def main(out_path=ROOT/'bench'/'results'/'serve.md'):
    load0, cores = os.getloadavg(), os.cpu_count()
    tmp = Path(tempfile.mkdtemp(prefix='corea-serve-bench-'))
    with local_app('corea.serve:scripted_upstream', 'slm', fail='[fail-slm]') as slm, \
         local_app('corea.serve:scripted_upstream', 'llm', fail='[fail-llm]') as llm:
        note('upstreams ready')
        lat = latency(slm, llm, tmp)
        prof = profile_proxy(slm, llm, tmp)
        note(f'profile: {prof}')
        sk = soak(slm, llm, tmp)
    text = report(lat, sk, prof, load0, os.getloadavg(), cores)
    Path(out_path).write_text(text)
    print(text)

if __name__ == '__main__':
    main()
