"""Documentation commons benchmarks (issue 5): `.venv/bin/python bench/commons_run.py --help`.

For each database (SQLite, PostgreSQL) and each size (10,000 and 100,000 pages, with five
revisions a page on average, see `commons_generate.py`):
1. generate the commons, or reuse it, and build its search index (both timed);
2. server time and query counts, in-process (Django's test client, no network, no web
   server), for an anonymous visitor: a page (the rendered HTML cached, and its first view,
   which renders it), the search page and the API search with French queries, a page's
   history (a random page and the page with the longest history), recent changes and their
   Atom feed, a place's documentation tree, the wanted pages, what links to the most linked
   page, the home of the commons, and the diff of two revisions of ~50 kB (the view, and
   `diffs.word_diff` alone). The query count of each is recorded at both sizes: it must not
   grow with the pages.
Then the import of a 10,000-page MediaWiki dump with `tiers import-mediawiki` into an empty
database (pages/s, revisions/s), on each database; and, at the largest size, on PostgreSQL
(and SQLite with `--load-on postgres,sqlite`), anonymous page views through gunicorn with 32
clients (`commons_load.py`).

The application runs with its own settings in production mode (DEBUG=false), as in `run.py`,
whose helpers (server environment, collectstatic, CPU meter) are reused. Results go to
`bench/results/commons-<time>.json` and `.txt`; the PostgreSQL databases
(`tiers_bench_commons`, `tiers_bench_commons_small`, `tiers_bench_commons_import`) are
dropped at the end unless `--keep-db`.

`--measure` is the in-process part alone, against DATABASE_URL (run with run.py's
environment; see bench/README.md); `--import-only` the import alone.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import gc
import json
import os
import pstats
import random
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
VENV_BIN = Path(sys.executable).parent
sys.path.insert(0, str(BENCH_DIR))

from commons_generate import LONG_PAGE_TITLE  # noqa: E402
from inprocess import percentile, summary  # noqa: E402

HOST = "127.0.0.1"
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/tiers_bench_commons"
# Server-time targets of the issue (p95, in-process), in milliseconds; the search one is
# stated for PostgreSQL.
TARGETS_MS = {
    "page": 30.0,
    "search": 50.0,
    "api_search": 50.0,
    "diff_50kb": 100.0,
    "word_diff_50kb": 100.0,
}
POSTGRES_ONLY = {"search", "api_search"}
# What people type: one to three words, with and without accents, other forms of a word
# (stems), a rare word, a title, a word found nowhere.
QUERIES = [
    "compostage", "composter", "documentation", "documenter", "gouvernance partagée",
    "gouvernance partagee", "bénévoles", "benevole", "réparation vélo", "imprimante 3D",
    "conciergerie solidaire", "budget participatif", "médiation numérique", "charte",
    "levain", "lombricomposteur", "statuts SCIC", "subventions publiques",
    "cuisine partagée", "accueil des nouveaux membres", "éco-construction", "Nextcloud",
    "fresque du climat", "xylophone",
]  # fmt: skip


@dataclass
class Target:
    """One URL (or function); `path` is called with the request number (random pages)."""

    name: str
    what: str
    path: Callable[[int], str]
    client: Any = None
    expected: int = 200
    rounds: int = 0  # 0: --rounds
    varying: bool = False  # count queries over several paths (min-max)
    info: dict[str, Any] = field(default_factory=dict)
    # run before each request, outside the timing (clearing the cached HTML of a page)
    prepare: Callable[[int], None] | None = None
    # measured instead of a request (a pure function); returns (status, size)
    call: Callable[[int], tuple[int, int]] | None = None

    def run(self, i: int = 0, *, prepared: bool = False) -> tuple[int, int]:
        if self.prepare is not None and not prepared:
            self.prepare(i)
        if self.call is not None:
            return self.call(i)
        response = self.client.get(self.path(i))
        return response.status_code, len(response.content)


def measure(args: argparse.Namespace) -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiers.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.db import close_old_connections, connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from tiers.commons import diffs, services
    from tiers.commons.models import Page, PageLink, Revision
    from tiers.commons.text import slug_of
    from tiers.places.models import Place

    rng = random.Random(args.seed)
    ids = list(Page.objects.order_by("pk").values_list("pk", flat=True))
    picked = rng.sample(ids, min(400, len(ids)))
    slug_of_id = dict(Page.objects.filter(pk__in=picked).values_list("pk", "slug"))
    warm = [slug_of_id[pk] for pk in picked[:200]]
    cold_ids = picked[200:]
    cold = [slug_of_id[pk] for pk in cold_ids]
    busiest = Page.objects.order_by("-revision_number", "pk").values_list(
        "slug", "revision_number"
    )[0]
    long_page = Page.objects.get(slug=slug_of(LONG_PAGE_TITLE))
    long_revisions = list(Revision.objects.filter(page=long_page).order_by("number"))
    old_text, new_text = long_revisions[0].body, long_revisions[-1].body
    tree = (
        Page.objects.filter(place__isnull=False)
        .values("place")
        .annotate(n=Count("id"))
        .order_by("-n", "place")
        .first()
    )
    assert tree is not None
    tree_place = Place.objects.get(pk=tree["place"])
    linked = (
        PageLink.objects.filter(target__isnull=False)
        .values("target")
        .annotate(n=Count("id"))
        .order_by("-n", "target")
        .first()
    )
    assert linked is not None
    most_linked = Page.objects.get(pk=linked["target"])

    # The warm pages have their rendered HTML (as after their first view).
    for page in Page.objects.filter(slug__in=warm):
        services.page_html(page)

    # A 500 is recorded as an error of the target, not raised.
    client = Client(HTTP_HOST=HOST, raise_request_exception=False)
    # As `tiers/wsgi.py` does in each server process.
    gc.collect()
    gc.freeze()

    def fixed(path: str) -> Callable[[int], str]:
        return lambda _i: path

    def page_url(slugs: list[str]) -> Callable[[int], str]:
        return lambda i: reverse("commons:page", args=[slugs[i % len(slugs)]])

    def forget_html(i: int) -> None:
        """The page's first view: no rendered HTML, nothing cached."""
        Page.objects.filter(pk=cold_ids[i % len(cold_ids)]).update(html="")
        cache.clear()

    def query(i: int) -> str:
        return QUERIES[i % len(QUERIES)]

    def word_diff(_i: int) -> tuple[int, int]:
        diff = diffs.word_diff(old_text, new_text)
        return 200, len(diff.rows)

    search_url = reverse("commons:search")
    found = [
        Target(
            "page",
            "page, random, rendered HTML cached",
            page_url(warm),
            varying=True,
            info={"pages": len(warm)},
        ),
        Target(
            "page_first_view",
            "page, random, first view (renders and stores the HTML)",
            page_url(cold),
            varying=True,
            prepare=forget_html,
        ),
        Target(
            "search",
            f"search page ?q=, {len(QUERIES)} French queries in turn",
            lambda i: f"{search_url}?{urlencode({'q': query(i)})}",
            varying=True,
            info={"queries": QUERIES},
        ),
        Target(
            "search_kind",
            "search page ?q=&kind=recette",
            lambda i: f"{search_url}?{urlencode({'q': query(i), 'kind': 'recette'})}",
            varying=True,
        ),
        Target(
            "api_search",
            "API /api/v1/pages?q=, the same queries",
            lambda i: f"/api/v1/pages?{urlencode({'q': query(i)})}",
            varying=True,
        ),
        Target("api_list", "API /api/v1/pages, first page", fixed("/api/v1/pages")),
        Target(
            "history",
            "history of a random page",
            lambda i: reverse("commons:history", args=[warm[i % len(warm)]]),
            varying=True,
        ),
        Target(
            "history_busiest",
            f"history of the page with the most revisions ({busiest[1]})",
            fixed(reverse("commons:history", args=[busiest[0]])),
            info={"revisions": busiest[1]},
        ),
        Target("recent", "recent changes", fixed(reverse("commons:recent"))),
        Target("recent_atom", "recent changes, Atom feed", fixed(reverse("commons:recent_atom"))),
        Target(
            "place_tree",
            f"a place's documentation tree ({tree['n']} pages)",
            fixed(reverse("commons:place_tree", args=[tree_place.slug])),
            info={"pages_in_tree": tree["n"]},
        ),
        Target("wanted", "wanted pages", fixed(reverse("commons:wanted"))),
        Target(
            "backlinks",
            f"what links to the most linked page ({linked['n']} links)",
            fixed(reverse("commons:backlinks", args=[most_linked.slug])),
            info={"links": linked["n"]},
        ),
        Target("index", "home of the commons", fixed(reverse("commons:index"))),
        Target(
            "diff_50kb",
            "diff view, two revisions of ~50 kB differing in ~20 places",
            fixed(reverse("commons:diff", args=[long_page.slug]) + "?de=1&a=2"),
            info={"bytes": [len(old_text.encode()), len(new_text.encode())]},
        ),
        Target(
            "word_diff_50kb",
            "diffs.word_diff() of the same two texts, alone",
            fixed(""),
            call=word_diff,
        ),
    ]
    for target in found:
        target.client = client

    if args.profile:
        chosen = [t for t in found if t.name == args.profile]
        if not chosen:
            raise SystemExit(f"Unknown target {args.profile!r}: {[t.name for t in found]}")
        for i in range(3):
            chosen[0].run(i)
        profiler = cProfile.Profile()
        rounds = max(5, args.rounds // 2)
        for i in range(rounds):
            if chosen[0].prepare is not None:
                chosen[0].prepare(i)
            profiler.enable()
            chosen[0].run(i, prepared=True)
            profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stderr).strip_dirs().sort_stats("cumulative")
        print(f"{rounds} requests of {args.profile}", file=sys.stderr)
        stats.print_stats(40)
        stats.sort_stats("tottime").print_stats(25)
        return {}

    results: dict[str, Any] = {
        "code_digest": code_digest(),
        "database": connection.vendor,
        "debug": settings.DEBUG,
        "conn_max_age": settings.DATABASES["default"]["CONN_MAX_AGE"],
        "pages": Page.objects.count(),
        "revisions": Revision.objects.count(),
        "links": PageLink.objects.count(),
        "wanted_links": PageLink.objects.filter(target__isnull=True).count(),
        "targets": {},
    }
    only = {n.strip() for n in args.only.split(",") if n.strip()} if args.only else set()
    for target in found:
        if only and target.name not in only:
            continue
        entry: dict[str, Any] = {"what": target.what, "path": target.path(0), **target.info}
        results["targets"][target.name] = entry
        status, _size = target.run()  # warm: imports, templates
        if status != target.expected:
            entry["error"] = f"HTTP {status}"
            print(f"{target.name}: HTTP {status}, not measured", file=sys.stderr)
            continue
        if target.call is None:
            counts = []
            for i in range(len(QUERIES) if target.varying else 3):
                if target.prepare is not None:
                    target.prepare(i)
                with CaptureQueriesContext(connection) as ctx:
                    target.run(i, prepared=True)
                counts.append(len(ctx.captured_queries))
            entry["queries"] = max(counts)
            entry["queries_min"] = min(counts)
        for i in range(3):
            target.run(i)
        samples, cpu, sizes, statuses = [], [], [], set()
        rounds = target.rounds or args.rounds
        if target.varying and target.name.startswith(("search", "api_search")):
            rounds = max(rounds, 4 * len(QUERIES))  # every query four times at least
        for i in range(rounds):
            if target.prepare is not None:
                target.prepare(i)
            started, started_cpu = time.perf_counter(), time.process_time()
            status, size = target.run(i, prepared=True)
            close_old_connections()  # the end of a request, as the server handles it
            samples.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            sizes.append(size)
            statuses.add(status)
        entry.update(summary(samples))
        entry["cpu_p50_ms"] = round(percentile(cpu, 50), 2)
        entry["bytes"] = sorted(sizes)[len(sizes) // 2]
        entry["statuses"] = sorted(statuses)
        if target.name in ("search", "api_search"):
            by_query: dict[str, list[float]] = {}
            for i, ms in enumerate(samples):
                by_query.setdefault(query(i), []).append(ms)
            entry["by_query_p50_ms"] = {q: round(percentile(v, 50), 2) for q, v in by_query.items()}
        queries = f"{entry['queries_min']}-{entry['queries']} queries" if "queries" in entry else ""
        print(
            f"  {target.name:18} {entry['p50_ms']:7.2f} {entry['p95_ms']:7.2f} "
            f"{entry['p99_ms']:7.2f} ms  {queries:14} {entry['bytes']:8} bytes",
            file=sys.stderr,
        )
    return results


def code_digest() -> str:
    """A short SHA-256 of the code measured (the commons app, its templates, its API)."""
    import hashlib

    src = REPO_DIR / "src" / "tiers"
    app = sorted([*(src / "commons").rglob("*.py"), *(src / "commons").rglob("*.html")])
    digest = hashlib.sha256()
    for path in [*app, src / "api" / "pages.py"]:
        if path.is_file() and "migrations" not in path.parts:
            digest.update(str(path.relative_to(src)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


# --- the import ----------------------------------------------------------------------------


def own_dump(path: Path, pages: int, revisions_per_page: int, seed: int) -> dict[str, Any]:
    """A MediaWiki 0.11 export of `pages` pages (used when bench/commons_dump.py is absent):
    wikitext with headings, emphasis, lists, a table, internal and external links,
    categories, a template, a reference; a few redirects and talk pages; every revision
    with its author, time and summary."""
    from xml.sax.saxutils import escape

    rng = random.Random(seed)
    topics = ["Compostage", "Conciergerie", "Café réparation", "Gouvernance", "Fablab",
              "Jardin partagé", "Cuisine partagée", "Médiation numérique", "Atelier vélo"]  # fmt: skip
    towns = ["Rennes", "Lyon", "Brest", "Lille", "Nantes", "Pau", "Metz", "Albi", "Nîmes"]
    titles = [f"{rng.choice(topics)} à {rng.choice(towns)} {n}" for n in range(pages)]
    revisions = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11" '
            'xml:lang="fr">\n<siteinfo><sitename>Bench</sitename><namespaces>'
            '<namespace key="0" case="first-letter" /><namespace key="1" '
            'case="first-letter">Discussion</namespace><namespace key="14" '
            'case="first-letter">Catégorie</namespace></namespaces></siteinfo>\n'
        )
        rev_id = 0
        for n, title in enumerate(titles):
            ns, shown = 0, title
            if n % 50 == 49:
                ns, shown = 1, f"Discussion:{titles[n - 1]}"
            out.write(f"<page><title>{escape(shown)}</title><ns>{ns}</ns><id>{n + 1}</id>\n")
            if n % 40 == 39:
                out.write(f'<redirect title="{escape(titles[n - 1])}" />\n')
            count = 1 if n % 40 == 39 else rng.randint(1, 2 * revisions_per_page - 1)
            text = ""
            for k in range(count):
                rev_id += 1
                revisions += 1
                if n % 40 == 39:
                    text = f"#REDIRECTION [[{titles[n - 1]}]]"
                else:
                    other = rng.choice(titles)
                    text += (
                        f"\n== Partie {k + 1} ==\nLe collectif '''documente''' ''tout'' : voir "
                        f"[[{other}]] et [https://movilab.org Movilab].<ref>Source {k}</ref>\n"
                        f"* un point\n* un autre point\n{{{{Ébauche}}}}\n"
                        '{| class="wikitable"\n! Poste !! Coût\n|-\n| Local || 300 €\n|}\n'
                        f"[[Catégorie:{rng.choice(topics)}]]\n"
                    )
                when = dt.datetime(2020, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=rev_id)
                out.write(
                    f"<revision><id>{rev_id}</id><timestamp>{when:%Y-%m-%dT%H:%M:%SZ}"
                    f"</timestamp><contributor><username>Utilisateur{rng.randint(1, 400)}"
                    f"</username><id>{rng.randint(1, 400)}</id></contributor>"
                    f"<comment>modification {k + 1}</comment><model>wikitext</model>"
                    f'<format>text/x-wiki</format><text xml:space="preserve">{escape(text)}'
                    "</text></revision>\n"
                )
            out.write("</page>\n")
        out.write("</mediawiki>\n")
    return {"pages": pages, "revisions": revisions, "generator": "commons_run.own_dump"}


def make_dump(args: argparse.Namespace) -> tuple[Path, dict[str, Any]]:
    """The dump to import, written again at each run (a few seconds) under bench/results/:
    bench/commons_dump.generate_dump when it exists, else own_dump."""
    path = RESULTS_DIR / (
        f"commons-dump-{args.import_pages}-r{args.import_revisions}-s{args.seed}-"
        f"t{args.import_talk}-a{args.import_redirects}.xml"
    )
    meta_path = path.with_suffix(".json")
    started = time.perf_counter()
    import importlib

    try:
        generate_dump = getattr(importlib.import_module("commons_dump"), "generate_dump", None)
    except ImportError:
        generate_dump = None
    if generate_dump is not None:
        meta = call_generate_dump(generate_dump, path, args)
    else:
        meta = own_dump(path, args.import_pages, args.import_revisions, args.seed)
    meta = {
        **meta,
        "bytes": path.stat().st_size,
        "seconds": round(time.perf_counter() - started, 1),
    }
    meta_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False, default=str), "utf-8")
    return path, meta


def call_generate_dump(
    generate_dump: Callable[..., Any], path: Path, args: argparse.Namespace
) -> dict[str, Any]:
    """`commons_dump.generate_dump(path, pages, revisions_per_page, seed, *, talk_ratio,
    redirect_ratio)`: pages with their history, some talk pages and redirects."""
    import inspect

    params = inspect.signature(generate_dump).parameters
    options = {"talk_ratio": args.import_talk, "redirect_ratio": args.import_redirects}
    result = generate_dump(
        path, args.import_pages, args.import_revisions, args.seed,
        **{k: v for k, v in options.items() if k in params},
    )  # fmt: skip
    meta: dict[str, Any] = {
        "generator": "commons_dump.generate_dump",
        "revisions_per_page": args.import_revisions,
        **{k: v for k, v in options.items() if k in params},
    }
    if isinstance(result, dict):
        meta.update(result)
    meta.setdefault("pages", args.import_pages)
    return meta


def count_rows() -> dict[str, int]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiers.settings")
    import django

    django.setup()
    from tiers.commons.models import Comment, Page, PageAlias, PageLink, Revision

    return {
        "pages": Page.objects.count(),
        "revisions": Revision.objects.count(),
        "aliases": PageAlias.objects.count(),
        "comments": Comment.objects.count(),
        "links": PageLink.objects.count(),
    }


def import_rate(db: str, args: argparse.Namespace, dump: Path) -> dict[str, Any]:
    """Import the dump into an empty database with `tiers import-mediawiki`, timed."""
    from generate import recreate_database
    from run import base_env, run_checked

    url = import_url(db, args)
    recreate_database(url)
    env = base_env(url, None)
    done = run_checked([sys.executable, "manage.py", "migrate", "--noinput"], env, 600)
    if done.returncode != 0:
        raise SystemExit(f"migrate failed for {url}:\n{done.stderr[-2000:]}")
    from run import CpuMeter, background

    background(args)
    meter = CpuMeter(None)
    started = time.perf_counter()
    cmd = [str(VENV_BIN / "tiers"), "import-mediawiki", str(dump)]
    usage = run_checked([*cmd[:2], "--help"], env, 120).stdout
    report_path = RESULTS_DIR / f"commons-import-report-{db}.json"
    if "--no-progress" in usage:
        cmd.append("--no-progress")
    if "--report" in usage:
        report_path.unlink(missing_ok=True)
        cmd += ["--report", str(report_path)]
    done = run_checked(cmd, env, 7200)
    seconds = time.perf_counter() - started
    others = meter.others_pct()
    result: dict[str, Any] = {
        "database": db,
        "exit_code": done.returncode,
        "seconds": round(seconds, 1),
        "others_cpu_pct": others,
        "output_tail": (done.stdout[-3000:] + done.stderr[-3000:]).strip(),
    }
    result["command"] = " ".join(cmd[1:]).replace(str(REPO_DIR) + "/", "")
    if report_path.exists():
        try:
            result["import_report"] = json.loads(report_path.read_text(encoding="utf-8"))
        except ValueError:
            result["import_report"] = report_path.read_text(encoding="utf-8")[:5000]
    counted = run_checked([sys.executable, __file__, "--count"], env, 600)
    if counted.returncode == 0:
        rows = json.loads(counted.stdout)
        result["rows"] = rows
        result["pages_per_s"] = round(rows["pages"] / seconds, 1)
        result["revisions_per_s"] = round(rows["revisions"] / seconds, 1)
    else:
        result["count_error"] = counted.stderr[-2000:]
    return result


# --- orchestration -------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def with_name(url: str, suffix: str) -> str:
    """The PostgreSQL URL of a sibling database: tiers_bench_commons -> ..._<suffix>."""
    base, _slash, name = url.rpartition("/")
    name, _q, query = name.partition("?")
    return f"{base}/{name}_{suffix}" + (f"?{query}" if query else "")


def database_url(db: str, pages: int, args: argparse.Namespace) -> str:
    if db == "sqlite":
        return f"sqlite:///{RESULTS_DIR / f'tiers-bench-commons-{pages}.sqlite3'}"
    return str(args.postgres_url) if pages == args.pages else with_name(args.postgres_url, "small")


def import_url(db: str, args: argparse.Namespace) -> str:
    if db == "sqlite":
        return f"sqlite:///{RESULTS_DIR / 'tiers-bench-commons-import.sqlite3'}"
    return with_name(args.postgres_url, "import")


def generate(
    pages: int, revisions: int, args: argparse.Namespace, env: dict[str, str], report: Path
) -> dict[str, Any]:
    from run import CpuMeter

    started = time.perf_counter()
    meter = CpuMeter(None)
    cmd = [
        sys.executable, str(BENCH_DIR / "commons_generate.py"), "--pages", str(pages),
        "--revisions", str(revisions), "--seed", str(args.seed), "--recreate",
        "--report", str(report),
    ]  # fmt: skip
    done = subprocess.run(cmd, env=env, cwd=REPO_DIR, timeout=7200, check=False)
    if done.returncode != 0:
        raise SystemExit(f"commons_generate.py failed for {env['DATABASE_URL']}")
    generated = json.loads(report.read_text(encoding="utf-8"))
    generated["wall_s"] = round(time.perf_counter() - started, 1)
    generated["others_cpu_pct"] = meter.others_pct()
    return generated


def measure_subprocess(
    env: dict[str, str], out: Path, args: argparse.Namespace
) -> tuple[dict[str, Any], float]:
    """The in-process part in a fresh process; (results, CPU % of other processes)."""
    from run import CpuMeter, background

    best: tuple[dict[str, Any], float] | None = None
    for attempt in range(args.retries + 1):
        background(args)
        meter = CpuMeter(None)
        cmd = [sys.executable, __file__, "--measure", "--out", str(out)]
        cmd += ["--rounds", str(args.rounds), "--seed", str(args.seed)]
        if args.only:
            cmd += ["--only", args.only]
        done = subprocess.run(cmd, env=env, cwd=REPO_DIR, timeout=3600, check=False)
        others = meter.others_pct()
        if done.returncode != 0:
            raise SystemExit("the in-process measurement failed")
        measured = json.loads(out.read_text(encoding="utf-8"))
        if best is None or others < best[1]:
            best = (measured, others)
        if others <= args.idle_threshold:
            break
        if attempt < args.retries:
            log(f"other processes took {others:.0f}% of the CPU, measuring again")
        else:
            log(f"other processes took {others:.0f}% of the CPU: figures disturbed")
    assert best is not None
    return best


def measure_database(
    db: str,
    sizes: list[tuple[int, int]],
    args: argparse.Namespace,
    results: dict[str, Any],
    dropped: list[str],
) -> None:
    """Each size on one database: the data set, then the in-process measurement."""
    from run import base_env, check_migrated

    for pages, revisions in sizes:  # the largest last: the load test runs on it
        url = database_url(db, pages, args)
        if db == "postgres":
            dropped.append(url)
        env = base_env(url, None)
        log(f"{db}: {pages} pages, {revisions} revisions: data set and search index")
        gen_report = RESULTS_DIR / f"commons-generate-{db}-{pages}.json"
        results["generated"][db][str(pages)] = generate(pages, revisions, args, env, gen_report)
        check_migrated(url, env)
        log(f"{db}: {pages} pages, server time and query counts, in-process")
        measured, others = measure_subprocess(
            env, RESULTS_DIR / f"commons-inprocess-{db}-{pages}.json", args
        )
        measured["others_cpu_pct"] = others
        results["inprocess"][db][str(pages)] = measured


def fmt(value: Any, width: int = 8) -> str:
    return f"{value:{width}.2f}" if isinstance(value, int | float) else f"{value!s:>{width}}"


def met(name: str, db: str, p95: float) -> str:
    if name not in TARGETS_MS or (name in POSTGRES_ONLY and db != "postgres"):
        return ""
    return "yes" if p95 < TARGETS_MS[name] else "NO"


def report(results: dict[str, Any]) -> str:
    digests = sorted(
        {m.get("code_digest", "?") for by in results["inprocess"].values() for m in by.values()}
    )
    lines = [
        "",
        f"Tiers commons bench {results['started']} · {results['machine']['cores']} cores "
        f"({results['machine']['cpu']}), commit {results['machine']['git_head']}, code "
        + ", ".join(digests),
        "",
        "Data sets (generation and search index, seconds; reused when already there)",
    ]
    for db, by_size in results["generated"].items():
        for size, gen in by_size.items():
            made = gen.get("generated", {})
            index = gen.get("search_index", {})
            index_text = (
                f"index {index.get('seconds', '-')} s"
                if index.get("built") and not index.get("reused")
                else (
                    "index reused" if index.get("reused") else f"no index ({index.get('reason')})"
                )
            )
            what = (
                f"generated in {gen.get('generate_s')} s ({made.get('revision_text_mb')} MB of "
                f"revision text, {made.get('links')} links)"
                if made
                else "reused"
            )
            lines.append(
                f"{db:9} {size:>7} pages: {what}, {index_text} (others "
                f"{gen.get('others_cpu_pct', 0):.0f}%)"
            )
    lines += [
        "",
        "Server time, in-process (ms; targets p95: page < 30, search < 50 on PostgreSQL, "
        "diff < 100)",
        f"{'database':9} {'pages':>7} {'target':18} {'p50':>8} {'p95':>8} {'p99':>8} "
        f"{'queries':>7} {'bytes':>9} {'met':>4} {'others':>6}",
    ]
    for db, by_size in results["inprocess"].items():
        for size, measured in by_size.items():
            for name, st in measured["targets"].items():
                if "error" in st:
                    lines.append(f"{db:9} {size:>7} {name:18} {st['error']}")
                    continue
                queries = (
                    "-"
                    if "queries" not in st
                    else f"{st['queries_min']}-{st['queries']}"
                    if st["queries_min"] != st["queries"]
                    else str(st["queries"])
                )
                lines.append(
                    f"{db:9} {size:>7} {name:18} {fmt(st['p50_ms'])} {fmt(st['p95_ms'])} "
                    f"{fmt(st['p99_ms'])} {queries:>7} {st['bytes']:9} "
                    f"{met(name, db, st['p95_ms']):>4} {measured.get('others_cpu_pct', 0):5.0f}%"
                )
    lines += [
        "",
        "Query counts against the size (must not grow; min-max over the pages or queries "
        "of a target)",
    ]
    for db, by_size in results["inprocess"].items():
        sizes = list(by_size)
        names = list(by_size[sizes[-1]]["targets"]) if sizes else []
        for name in names:
            counts = []
            for size in sizes:
                st = by_size[size]["targets"].get(name, {})
                low, high = st.get("queries_min", "-"), st.get("queries", "-")
                counts.append(str(high) if low == high else f"{low}-{high}")
            lines.append(f"{db:9} {name:18} " + " → ".join(counts) + f"  ({' → '.join(sizes)})")
    if results.get("import"):
        lines += ["", "Import of a MediaWiki dump with `tiers import-mediawiki` (empty database)"]
        dump = results.get("dump", {})
        lines.append(
            f"dump: {dump.get('pages')} pages, {dump.get('revisions', '?')} revisions, "
            f"{dump.get('bytes', 0) / 1e6:.1f} MB ({dump.get('generator')})"
        )
        for db, imp in results["import"].items():
            rows = imp.get("rows", {})
            lines.append(
                f"{db:9} exit {imp['exit_code']}, {imp['seconds']} s: {rows.get('pages', '?')} "
                f"pages, {rows.get('revisions', '?')} revisions → {imp.get('pages_per_s', '-')} "
                f"pages/s, {imp.get('revisions_per_s', '-')} revisions/s "
                f"(others {imp['others_cpu_pct']:.0f}%)"
            )
    for db, load in results.get("load", {}).items():
        lines += ["", f"Anonymous page views through gunicorn ({db})"]
        lines.append(load.get("text", json.dumps(load)[:2000]))
    if results.get("errors"):
        lines += ["", "Stopped: " + "; ".join(results["errors"])]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Commons benchmarks (see bench/README.md).")
    parser.add_argument("--measure", action="store_true", help="in-process part only (internal)")
    parser.add_argument("--count", action="store_true", help="print the commons' row counts")
    parser.add_argument("--out", type=Path, help="--measure: write the JSON here")
    parser.add_argument("--profile", metavar="TARGET", help="--measure: cProfile one target")
    parser.add_argument("--only", default="", help="--measure: these targets only (a,b)")
    parser.add_argument("--db", choices=["all", "sqlite", "postgres"], default="all")
    parser.add_argument("--postgres-url", default=DEFAULT_PG_URL)
    parser.add_argument("--pages", type=int, default=100_000)
    parser.add_argument("--revisions", type=int, default=500_000)
    parser.add_argument(
        "--small-pages", type=int, default=10_000, help="the smaller size (0: none)"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--rounds", type=int, default=100, help="requests per target")
    parser.add_argument("--import-pages", type=int, default=10_000, help="pages of the dump")
    parser.add_argument("--import-revisions", type=int, default=5, help="per page of the dump")
    parser.add_argument("--import-talk", type=float, default=0.1, help="share with a talk page")
    parser.add_argument("--import-redirects", type=float, default=0.05, help="share redirected")
    parser.add_argument("--import-on", default="sqlite,postgres")
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--import-only", action="store_true")
    parser.add_argument(
        "--load-on", default="postgres", help="databases to load through gunicorn: postgres,sqlite"
    )
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30.0, help="load: per scenario")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn gthread threads")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the PostgreSQL dbs")
    parser.add_argument("--wait-idle", type=float, default=0.0)
    parser.add_argument("--idle-threshold", type=float, default=25.0)
    parser.add_argument("--retries", type=int, default=0)
    parser.add_argument("--label", default="")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.count:
        print(json.dumps(count_rows()))
        return 0
    if args.measure:
        # With the default settings, e-mails built in a request are written to stdout.
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
            measured = measure(args)
        if args.profile:
            return 0
        text = json.dumps(measured, indent=2, ensure_ascii=False)
        if args.out:
            args.out.write_text(text, encoding="utf-8")
        else:
            print(text)
        return 0

    from bookings_run import drop_postgres
    from run import background, base_env, collectstatic, machine, postgres_version

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    ratio = args.revisions / args.pages
    sizes = [(args.pages, args.revisions)]
    if 0 < args.small_pages < args.pages:
        sizes.insert(0, (args.small_pages, round(args.small_pages * ratio)))
    dbs = ["sqlite", "postgres"] if args.db == "all" else [args.db]
    load_on = {d.strip() for d in args.load_on.split(",") if d.strip()}
    import_on = [d.strip() for d in args.import_on.split(",") if d.strip() in dbs]
    results: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "sizes": [{"pages": p, "revisions": r} for p, r in sizes],
        "seed": args.seed,
        "rounds": args.rounds,
        "targets_ms": TARGETS_MS,
        "generated": {},
        "inprocess": {},
        "import": {},
        "load": {},
        "errors": [],
    }
    if "postgres" in dbs:
        results["machine"]["postgresql"] = postgres_version(args.postgres_url)
    collectstatic(database_url(dbs[0], args.pages, args))
    dropped: list[str] = []
    try:
        for db in [] if args.import_only else dbs:
            results["generated"][db] = {}
            results["inprocess"][db] = {}
            try:
                measure_database(db, sizes, args, results, dropped)
            except SystemExit as exc:  # the other database is measured all the same
                log(f"{db}: stopped: {exc}")
                results["errors"].append(f"{db}: {exc}")
                continue
            if db in load_on and not args.skip_load:
                url = database_url(db, args.pages, args)
                out = RESULTS_DIR / f"commons-load-{db}.json"
                out.unlink(missing_ok=True)
                background(args)
                log(f"{db}: anonymous page views through gunicorn, {args.clients} clients")
                cmd = [
                    sys.executable, str(BENCH_DIR / "commons_load.py"), "--out", str(out),
                    "--clients", str(args.clients), "--seconds", str(args.seconds),
                    "--workers", str(args.workers), "--worker-class", args.worker_class,
                    "--threads", str(args.threads), "--seed", str(args.seed),
                    "--wait-idle", str(args.wait_idle), "--retries", str(args.retries),
                    "--idle-threshold", str(args.idle_threshold),
                ]  # fmt: skip
                done = subprocess.run(
                    cmd, env=base_env(url, None), cwd=REPO_DIR, timeout=3600, check=False
                )
                if out.exists():
                    results["load"][db] = json.loads(out.read_text(encoding="utf-8"))
                    results["load"][db]["exit_code"] = done.returncode
                else:
                    results["load"][db] = {"ok": False, "exit_code": done.returncode}
        if not args.skip_import and import_on:
            dump, meta = make_dump(args)
            results["dump"] = {**meta, "path": str(dump.relative_to(REPO_DIR))}
            log(f"MediaWiki dump {dump.name}: {meta}")
            for db in import_on:
                if db == "postgres":
                    dropped.append(import_url(db, args))
                log(f"{db}: tiers import-mediawiki {dump.name} into an empty database")
                try:
                    results["import"][db] = imported = import_rate(db, args, dump)
                except SystemExit as exc:
                    log(f"{db}: import stopped: {exc}")
                    results["errors"].append(f"{db} import: {exc}")
                    continue
                log(
                    f"{db}: exit {imported['exit_code']}, {imported['seconds']} s, "
                    f"{imported.get('pages_per_s', '-')} pages/s, "
                    f"{imported.get('revisions_per_s', '-')} revisions/s"
                )
    finally:
        if not args.keep_db:
            for url in dict.fromkeys(dropped):
                drop_postgres(url)
            if dropped:
                log("dropped the PostgreSQL databases (--keep-db keeps them)")

    text = report(results)
    print(text)
    suffix = f"-{args.label}" if args.label else ""
    out = RESULTS_DIR / f"commons-{stamp}{suffix}.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str), "utf-8")
    (RESULTS_DIR / f"commons-{stamp}{suffix}.txt").write_text(text + "\n", encoding="utf-8")
    log(f"results written to {out.relative_to(REPO_DIR)}")
    failed = list(results["errors"])
    failed += [db for db, load in results["load"].items() if not load.get("ok")]
    failed += [db for db, imp in results["import"].items() if imp.get("exit_code")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
