"""How fast the web studio answers with 100,000 artworks in the catalog (SQLite).

    python benchmarks/gallery.py [--home DIR] [--count 100000] [--requests 400] [--clients 8]
                                 [--database-url postgresql+psycopg://...]

`--database-url` puts the catalog on that database (PostgreSQL: give a schema of its own
through `?options=-csearch_path%3Dname`, made beforehand) instead of the studio's SQLite.

Builds (once, into `--home`, default $TMPDIR/studiolo-gallery-bench-<count>;
reused while it holds the same count) a studio with `--count` catalogued
artworks, written in bulk straight through the catalog's tables: real rows
(a recipe as `Recipe.to_json()`, three credits: prompt author, model, style
artist; one or two tags; a prompt of 5-7 words from a small vocabulary, so one
search word matches 6 to 13% of the works), owned 70/30 by two people, 10%
private, spread over two years; each with a real 64 px PNG in the file store
(its sha256 is the id) and a 64 px WebP in the thumbnail cache. 32 of them go
through `Studio.store` (credit ledger, recipe chunk, signed C2PA manifest)
like every artwork the studio makes, so the artwork page's provenance check
reads a real manifest.

Then it starts the real server (`uvicorn`, one process, on 127.0.0.1), logs
in, and with `--clients` threads (each a keep-alive connection, like a browser)
requests, after a warm-up, `--requests` times each:

- floor:   GET /api/me (session lookup + JSON: the framework's own cost);
- gallery: GET /gallery (the page: the newest 40 visible works + the count);
- search:  GET /api/artworks?q=<word> (a prompt word, rotating over 12 words, so
  after the warm-up every count is remembered: see below);
- search, new query: GET /api/artworks?q=<piece>[&owner=<name>] where no two requests
  ask the same (pieces of 3+ letters of the 12 words, alone or with an owner): every
  count is counted;
- artwork: GET /artwork/<id> (a different visible work each time, so the file's
  provenance check is never remembered);
- artwork, again: the 40 works of the warm-up again;
- verify, first: GET /api/artworks/<id>/verify, each work's first provenance check (the
  artwork page leaves a first check to its script since 2026-12-06: before, "artwork page"
  included it and "artwork, again" was a page whose check was remembered).

Each line: p50 and p95 latency in ms, requests per second, and the server's CPU
ms per request (the steadier number when other work shares the machine). Target:
p95 under 100 ms with 8 clients. `--count 2000` makes a smoke run in a minute.

Measured 2026-11-23, 16:10 UTC, on a quiet machine (2 AMD EPYC cores, no other job:
the benchmark's 8 client threads share them with the server), Python 3.11, SQLite
3.40; 100,000 artworks, 8 clients, 400 requests each after 40 warm-up, one server
process: `python benchmarks/gallery.py --home /tmp/gb100k`, six runs in a row, 16:11-16:16
UTC. Each cell is the median of the six; the last column the worst p95 of the six:

    endpoint             p50 ms   p95 ms   cpu ms   worst p95
    floor (/api/me)         9.9     15.6      1.2        19.7
    gallery page           29.3     59.6      4.0        76.0
    search API             20.6     43.3      2.9        70.5
    search, new query      49.7     83.0      9.8       164.1
    artwork page           33.1     77.0      5.2       110.4
    artwork, again         20.8     45.2      3.0        66.7

Five of the six runs had every p95 under 100 ms; the third (all its cells 20-90%
slower: this virtual machine shares its host) had 164 ms for a new query and 110
ms for a never-viewed artwork. Requests per second: gallery ~250, search ~330.

What made the difference (each step measured with py-spy on the server and the
same command; the earlier figures are in the history below):
- Statements built once (catalog/queries.py, visibility.py, the session lookup, the
  boards): building a SQLAlchemy Core statement took ~0.5-1.3 ms of Python per
  statement on this CPU, more than SQLite took to answer it (the board list: 1.26 ms
  to build and run, 7 microseconds in SQLite). Now a statement is built once per
  set of filters, its values bound at run time.
- Counts remembered until the catalog changes (catalog/changes.py): SQLite's
  `PRAGMA data_version` on a connection of our own says whether anyone, in any
  process, has committed since; a count up to 1000 for a search word read 1001
  index hits and rows (~4.5 ms).
- An owner filter as `owner_id = (subquery)`, not IN: the page walks
  ix_artworks_owner_id_created and stops; IN read all 70,000 of the owner's works
  and sorted them (74 ms -> 0.5 ms for "q=nel&owner=ann").
- The gallery, search and artwork pages run on the event loop (their reads take
  about a millisecond): no thread hand-offs, no threads waiting for the GIL. A count
  not remembered, and the provenance check of a picture over 256x256 px not yet
  remembered, still go to a worker thread (SQLite counts without the GIL, beside
  the loop).
- Smaller things: the trusted roots are read again only when their folder changes,
  one artwork's credits and parents by equality (no expanding IN), the paintings'
  <option> list rendered once, templates not re-checked on disk.

Limits: a real artwork's first view costs its provenance check (a signed 1024 px
file ~7 ms of C2PA hashing, benchmarks/provenance.py; an unsigned one also its
watermark read, ~0.15 s), once per file; the count cache helps only on SQLite
(PostgreSQL counts every time) and empties whenever anything is written, a
running job's progress included.

PostgreSQL 15 (the shared `.ci/postgres.sh` server on 127.0.0.1), 1,000,000 artworks,
2026-12-04 21:00 UTC, on the same 2 AMD EPYC cores shared with other work (load average
1.3-3.2): `python benchmarks/gallery.py --count 1000000 --home /tmp/jobs-gb-1m
--database-url "$URL?options=-csearch_path%3Djobs_gb_1m"` (the build took 1285 s), two runs:

    endpoint             p50 ms   p95 ms   cpu ms   (second run: p95)
    floor (/api/me)         6.8     13.6      0.6        16.6
    gallery page           41.9     61.5      3.2        67.7
    search API             59.4     99.6      2.8        90.7
    search, new query      67.9    117.8      3.0       121.1
    artwork page           55.1    117.3      4.2       248.0
    artwork, again         31.3     58.8      2.3        91.3

"cpu ms" is the studiolo server's only: PostgreSQL's own work runs in its processes.
The gallery page is under 100 ms p95; a new search and a never-viewed artwork are not.

2026-12-06, the same cores at load average 12-16 (other engineers' work: /api/me alone had
a p95 of 60-117 ms, against 13.6 ms above, so no latency here can judge a 100 ms target).
The causes, found with EXPLAIN ANALYZE on a 1,000,000-row catalog (the 100,000 built by this
script in schema scale_gb_100k, plus 9 copies of each row made in SQL with new ids and times
a few seconds apart, schema scale_gb_1m; files exist for the first 100,000 only):
- A new search's cost was its count: `count(*)` of up to 1001 matches reads a row per match
  and more (a sequential scan with the LIKE per row, 10-60 thousand rows for an owner filter;
  through the trigram index, a bitmap of every match first). Over 40 of this script's new
  queries: median 26.4 ms, p95 48.6 ms of PostgreSQL time; counting up to 201 instead: 1.8
  and 11.0 ms. The gallery now counts to 200 ("200+"; visibility.COUNT_CAP). No index was
  missing: the page itself walks ix_artworks_owner_id_created / ix_artworks_created and
  takes 0.7-1.2 ms at 1M.
- An artwork page's first view checked the file's provenance on the event loop: the file's
  first read (at 1M files seldom in the OS cache), the C2PA read, the watermark and a
  catalog lookup, 7 ms of CPU and 41 ms of wall time at load 20, while every other request
  waited. The page now shows a remembered check, and otherwise leaves it to its script
  (GET /api/artworks/{id}/verify, in a worker thread). Its own statements are index
  lookups of 0.02-0.14 ms at 100k.

`--only floor,gallery,search` on the 1M catalog, back to back at load 12.5-13.9
(the code before: commit 5e90ca9, PYTHONPATH at its src; then this code):

    endpoint             p95 ms before   p95 ms after (two runs)   cpu ms after
    floor (/api/me)          117.1          106.9 / 59.6              1.2-1.8
    gallery page             375.7          420.6 / 470.7             7.5-8.3
    search API               333.9          264.2 / 279.4             5.8-6.4
    search, new query        408.1          245.9 / 311.1             5.7-6.5

100,000 artworks on PostgreSQL, all lines, `--requests 200`, load 13.7-16.2: floor p95 62.3,
gallery 514.3, search 176.7, new query 225.9, artwork page 599.9, again 632.2, verify
first 180.6 ms (cpu ms 1.2 / 8.3 / 4.6 / 4.9 / 7.2 / 7.8 / 6.6). At this load a single
client's gallery page took 42 ms of which 20 ms were statements; with 8 clients the
latencies are queueing for the two cores. Whether the gallery, search and artwork page
meet < 100 ms p95 at 1M must be measured again on a quiet machine (and with a full 1M build:
it takes 1285 s at load 2, about 6700 s at this stop's load, so it was not made).

History (the same command; earlier code):

    2026-11-23 13:00 UTC, quiet machine (FTS5 trigram search, verify LRU, pooled mmap
    SQLite connections, httptools + uvloop; statements built per request, sync
    endpoints):
    endpoint             p50 ms   p95 ms    req/s   cpu ms      (second run: p95)
    floor (/api/me)        16.1     25.2    477.3      2.2        28.9
    gallery page           64.6    111.3    116.8      9.5       131.9
    search API             65.0    108.4    117.1     11.2       123.1
    artwork page           99.2    141.2     79.4     14.3       158.4
    artwork, again         65.2     99.5    120.9      8.9       118.0

    Earlier still, on cores shared with two CPU-heavy benchmarks (medians of 3 runs),
    with LIKE search and h11 + asyncio: gallery p95 94, search 217, artwork 133 ms;
    with the LIKE prefix id lookup: gallery 284, search 324, artwork page 1612 ms.

`--workers`: 2 uvicorn workers were measured with the 13:00 code: gallery p95 62-79
vs 104-122 ms, search no faster, artwork mixed. Not adopted: the progress hub
(steps, previews, results as they come) lives in one process, so a job's event
stream served by another worker would fall back to the job row, and each worker
would run its own job runner.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlencode

OWNER, MEMBER, PASSWORD = "ann", "bob", "benchmark password"
SIGNED = 32
CHUNK = 5000
SUBJECTS = ["lighthouse", "harbour", "forest", "mountain", "river", "city", "garden", "desert",
            "cathedral", "meadow", "island", "bridge", "village", "glacier", "orchard", "canyon"]
LIGHT = ["at dawn", "at dusk", "at night", "under the moon", "in fog", "in rain", "at noon",
         "in snow", "after the storm", "in autumn light"]
MOODS = ["quiet", "stormy", "golden", "misty", "bright", "lonely", "crowded", "ancient"]
STYLES = [("Claude Monet", "Impression, Sunrise"), ("Katsushika Hokusai", "The Great Wave"),
          ("Vincent van Gogh", "The Starry Night"), ("J. M. W. Turner", "The Fighting Temeraire"),
          ("Edvard Munch", "The Scream"), ("Théodore Géricault", "The Raft of the Medusa")]
WORDS = ["lighthouse", "harbour", "glacier", "cathedral", "misty", "orchard", "canyon", "golden",
         "fog", "bridge", "lonely", "island"]


# -- building the catalog ------------------------------------------------------------------------
def default_home(count: int, database_url: str | None = None) -> Path:
    kind = "" if database_url is None else "-" + database_url.split(":")[0].split("+")[0]
    return Path(tempfile.gettempdir()) / f"studiolo-gallery-bench-{count}{kind}"


def open_studio(home: Path) -> object:
    from studiolo.core.settings import Settings
    from studiolo.studio import Studio

    return Studio(settings=Settings.from_env(home, person=OWNER), load_entry_points=False)


def prompt_of(rng: random.Random) -> tuple[str, tuple[str, str]]:
    text = f"a {rng.choice(MOODS)} {rng.choice(SUBJECTS)} {rng.choice(LIGHT)}"
    return text, rng.choice(STYLES)


def tiny_png(rng: random.Random, text: str) -> tuple[bytes, bytes]:
    """A 64 px PNG (with an A1111-like text chunk) and its 64 px WebP thumbnail."""
    from PIL import Image, ImageDraw, PngImagePlugin

    image = Image.new("RGB", (64, 64), tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(4):
        box = sorted(rng.sample(range(64), 2)), sorted(rng.sample(range(64), 2))
        draw.ellipse((box[0][0], box[1][0], box[0][1], box[1][1]),
                     fill=tuple(rng.randrange(256) for _ in range(3)))
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", text)
    png, webp = io.BytesIO(), io.BytesIO()
    image.save(png, "PNG", pnginfo=info)
    image.save(webp, "WEBP", quality=70)
    return png.getvalue(), webp.getvalue()


def write_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def build(home: Path, count: int) -> None:
    """Fill a new studio at `home` with `count` artworks (see the module docstring)."""
    import hashlib

    from sqlalchemy import insert, select

    from studiolo.catalog import accounts
    from studiolo.catalog.schema import artworks, credits, people, recipes, tags
    from studiolo.core.types import Artwork, Credit, Recipe

    studio = open_studio(home)
    accounts.add_user(studio.catalog, OWNER, PASSWORD, role="owner")
    accounts.add_user(studio.catalog, MEMBER, PASSWORD)
    rng = random.Random(7)
    started = time.perf_counter()
    # 1. A few through the studio's own store: ledger, recipe chunk, signed manifest.
    from PIL import Image

    for k in range(SIGNED):
        text, (artist, title) = prompt_of(rng)
        recipe = Recipe(engine="painter", prompt=text, seed=k, width=64, height=64, steps=1,
                        options={"style": title})
        image = Image.new("RGB", (64, 64), tuple(rng.randrange(256) for _ in range(3)))
        studio.store(Artwork(recipe=recipe, image=image), style_credits=[
            Credit(name=artist, kind="artist", role="style_source", share=0.3,
                   evidence=f"in the style of {title}")])
    # 2. The rest in bulk, straight through the tables.
    with studio.catalog.engine.connect() as conn:
        ids = dict(conn.execute(select(people.c.name, people.c.id)).all())
    start = datetime.now(UTC) - timedelta(days=730)
    files = studio.files.root
    thumbs = home / "thumbs" / "256"
    for first in range(SIGNED, count, CHUNK):
        rows, credit_rows, tag_rows, recipe_rows = [], [], [], []
        for n in range(first, min(count, first + CHUNK)):
            text, (artist, title) = prompt_of(rng)
            owner = OWNER if rng.random() < 0.7 else MEMBER
            recipe = Recipe(engine="painter", prompt=text, seed=n, width=64, height=64, steps=1,
                            options={"style": title})
            png, webp = tiny_png(rng, f"{text}\nSteps: 1, Seed: {n}, Size: 64x64")
            sha = hashlib.sha256(png).hexdigest()
            write_file(files / sha[:2] / f"{sha[2:]}.png", png)
            write_file(thumbs / sha[:2] / f"{sha}.webp", webp)
            recipe_rows.append({"json": recipe.to_json(), "engine": "painter", "model": None,
                                "model_hash": None, "seed": n})
            rows.append({"id": sha, "owner_id": ids[owner], "ext": "png", "width": 64,
                         "height": 64, "title": None, "private": rng.random() < 0.1,
                         "created": start + timedelta(seconds=n * 630720 // count * 100),
                         "engine": "painter", "prompt": text, "mode": "txt2img"})
            for i, (name, kind, role, share) in enumerate([
                (owner, "person", "prompt_author", 0.5), ("studiolo painter", "model",
                                                          "model_author", 0.2),
                (artist, "artist", "style_source", 0.3),
            ]):
                credit_rows.append({"artwork_id": sha, "name": name, "kind": kind, "role": role,
                                    "share": share, "evidence": f"{role} of {text}", "ref": None,
                                    "position": i})
            tag_rows += [{"artwork_id": sha, "tag": t}
                         for t in {text.split()[2], rng.choice(MOODS)}]
        with studio.catalog.engine.begin() as conn:
            # The new recipes' ids, in the order of their rows (SQLite and PostgreSQL).
            made = conn.execute(insert(recipes).returning(recipes.c.id,
                                                          sort_by_parameter_order=True),
                                recipe_rows).scalars().all()
            for row, recipe_id in zip(rows, made, strict=True):
                row["recipe_id"] = recipe_id
            conn.execute(insert(artworks), rows)
            conn.execute(insert(credits), credit_rows)
            conn.execute(insert(tags), tag_rows)
        print(f"  {min(count, first + CHUNK):,} artworks ({time.perf_counter() - started:.0f} s)",
              file=sys.stderr)
    (home / "bench.json").write_text(json.dumps({"count": count, "built": time.time(),
                                                 "database": database_kind()}))


def database_kind() -> str:
    url = os.environ.get("STUDIOLO_DATABASE_URL", "sqlite")
    return "PostgreSQL" if url.startswith("postgresql") else "SQLite"


def ready(home: Path, count: int) -> bool:
    marker = home / "bench.json"
    if not marker.exists():
        return False
    built = json.loads(marker.read_text())
    return built.get("count") == count and built.get("database", "SQLite") == database_kind()


# -- the server ------------------------------------------------------------------------------------
def serve(home: Path, port: int) -> None:
    """Run the real server for this studio (in the child process)."""
    import uvicorn

    from studiolo.web.app import create_app

    uvicorn.run(create_app(open_studio(home)), host="127.0.0.1", port=port, log_level="warning")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(home: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    child = subprocess.Popen([sys.executable, __file__, "--home", str(home), "--serve", str(port)])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return child, port
        except OSError:
            time.sleep(0.1)
    child.kill()
    raise SystemExit("the server did not start within 60 s")


def log_in(port: int) -> str:
    """The session cookie header of a logged-in owner."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("GET", "/login")
    reply = conn.getresponse()
    page = reply.read().decode()
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    login_cookie = reply.getheader("set-cookie").split(";")[0]
    body = urlencode({"name": OWNER, "password": PASSWORD, "csrf": token, "next": "/gallery"})
    conn.request("POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded",
                                          "Cookie": login_cookie})
    reply = conn.getresponse()
    reply.read()
    cookies = [c.split(";")[0] for c in reply.headers.get_all("set-cookie") or []]
    session = next(c for c in cookies if c.startswith("studiolo_session="))
    conn.close()
    return session


def load(port: int, cookie: str, paths: list[str], clients: int) -> tuple[list[float], float]:
    """GET every path once, spread over `clients` keep-alive connections; latencies in ms."""
    times: list[float] = []
    lock = threading.Lock()
    queue = iter(paths)

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        while True:
            with lock:
                path = next(queue, None)
            if path is None:
                break
            t0 = time.perf_counter()
            conn.request("GET", path, headers={"Cookie": cookie})
            reply = conn.getresponse()
            reply.read()
            mine.append((time.perf_counter() - t0) * 1000)
            if reply.status != 200:
                raise SystemExit(f"GET {path} answered {reply.status}")
        conn.close()
        with lock:
            times.extend(mine)

    wall = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times, time.perf_counter() - wall


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) the process has used, on Linux; None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fresh_queries() -> list[str]:
    """Query strings that each ask a different search: every piece of 3 or more letters of
    the search words, alone and with each owner as a filter (a few hundred)."""
    pieces = sorted({w[a:b] for w in WORDS for a in range(len(w)) for b in range(a + 3, len(w) + 1)})
    found = [f"q={quote(p)}" + (f"&owner={o}" if o else "") for p in pieces
             for o in ("", OWNER, MEMBER)]
    random.Random(3).shuffle(found)
    return found


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def visible_ids(home: Path, n: int) -> list[str]:
    from sqlalchemy import false, select

    from studiolo.catalog.schema import artworks

    studio = open_studio(home)
    with studio.catalog.engine.connect() as conn:
        ids = list(conn.scalars(select(artworks.c.id).where(artworks.c.private == false())))
    return random.Random(1).sample(ids, min(n, len(ids)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--home", type=Path, help="the studio to build once and reuse")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=400, help="per endpoint")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=40, help="per endpoint, not measured")
    parser.add_argument("--database-url", help="the catalog's database (default: SQLite in --home)")
    parser.add_argument("--only", help="measure only these endpoints (comma-separated: the "
                        "first word of each line, e.g. floor,gallery,search)")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.database_url:
        os.environ["STUDIOLO_DATABASE_URL"] = args.database_url  # the server child's too
    home = (args.home or default_home(args.count, args.database_url)).expanduser().resolve()
    os.environ.setdefault("STUDIOLO_CURATE_EMBEDDER", "light")
    if args.serve:
        serve(home, args.serve)
        return
    if not ready(home, args.count):
        if home.exists() and any(home.iterdir()):
            raise SystemExit(f"{home} holds something else; give an empty or new --home")
        print(f"building {args.count:,} artworks in {home} (once)", file=sys.stderr)
        build(home, args.count)
    only = {w.strip() for w in args.only.split(",")} if args.only else None
    wanted = (lambda name: only is None or name.split()[0].strip(",") in only)
    # The artwork lines' works (reading every visible id: not needed for the others).
    sample = (visible_ids(home, args.requests + args.warmup)
              if wanted("artwork") or wanted("verify") else [])
    child, port = start_server(home)
    try:
        cookie = log_in(port)
        rng = random.Random(2)
        fresh = fresh_queries()
        endpoints = {
            "floor (/api/me)": lambda i: "/api/me",
            "gallery page": lambda i: "/gallery",
            "search API": lambda i: f"/api/artworks?q={quote(WORDS[i % len(WORDS)])}",
            # Never the same query twice (a piece of a word, and an owner filter or none), so
            # no count is remembered from an earlier request (catalog/changes.py).
            "search, new query": lambda i: f"/api/artworks?{fresh[i % len(fresh)]}",
            "artwork page": lambda i: f"/artwork/{sample[i % len(sample)]}",
            # The same 40 works again: their provenance checks are remembered (web/verified.py).
            "artwork, again": lambda i: f"/artwork/{sample[i % max(args.warmup, 1)]}",
            # The check the artwork page's script asks for after a first view (each work's
            # first: the pages above do not check).
            "verify, first": lambda i: f"/api/artworks/{sample[i % len(sample)]}/verify",
        }
        print(f"{args.count:,} artworks, {args.clients} clients, {args.requests} requests each "
              f"(after {args.warmup} warm-up), {database_kind()}, {os.cpu_count()} CPU cores")
        # "cpu ms": the server's CPU time per request, which other work on the machine
        # moves much less than the latencies (they include waiting for a core).
        print(f"{'endpoint':<18} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>8} {'cpu ms':>8}")
        for name, path in endpoints.items():
            if not wanted(name):
                continue
            order = list(range(args.requests + args.warmup))
            rng.shuffle(order)
            load(port, cookie, [path(i) for i in order[:args.warmup]], args.clients)
            cpu = cpu_seconds(child.pid)
            times, wall = load(port, cookie, [path(i) for i in order[args.warmup:]], args.clients)
            used = cpu_seconds(child.pid)
            cost = "-" if cpu is None or used is None else f"{(used - cpu) / len(times) * 1000:.1f}"
            print(f"{name:<18} {percentile(times, 50):8.1f} {percentile(times, 95):8.1f} "
                  f"{len(times) / wall:8.1f} {cost:>8}", flush=True)
    finally:
        child.terminate()
        child.wait(10)


if __name__ == "__main__":
    main()
