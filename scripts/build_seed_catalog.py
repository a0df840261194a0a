#!/usr/bin/env python3
"""Build cinerank's seed catalogue (seed_data/movies.csv) from wikipedia-movie-data.

Input : the decade files movies-1970s.json ... movies-2020s.json of
        "wikipedia-movie-data" by Peter Rust (MIT licence), each an array of
        {title, year, cast[], genres[], href, extract, thumbnail, ...}.
Output: a MovieLens-style movies.csv extended with five trailing columns:
        movieId,title,genres,overview,poster_url,popularity,price,stock
        and credits.csv beside it: movieId,role,position,name
        (role `cast` in billing order from the data's cast list, role
        `director` parsed from the extract's "directed by ..." clause by
        parse_directors; tests in scripts/test_build_seed_catalog.py)

Selection
---------
Only films from 1970-2023 that have a thumbnail, a non-empty extract and at
least one genre that maps onto the cinerank genre set are eligible.  Duplicate
(title, year) pairs are collapsed (the highest-scoring entry wins).  Films are
then picked per decade (see DECADE_QUOTA, ~3,000 in total) by a *fame proxy*,
because the Wikipedia data has no popularity field.

Fame proxy (documented; all percentile terms are in [0, 1])
-----------------------------------------------------------
    2.0 * percentile of extract length           (longer Wikipedia lead ~ bigger article)
  + 1.5 * percentile of cast-list length, within the film's decade
          (older list pages list fewer actors, hence per decade)
  + 2.0 * percentile of "star power": sum of the three largest log(1 + n)
          over the first four billed actors, n = number of films in the whole
          data set in which the actor is among the first six billed
  + 1.0 * percentile of director prominence: log(1 + films whose extract
          says "directed by <same name>")
  + keyword bonuses in the extract (Academy Award, acclaim, highest-grossing,
          National Film Registry, franchise, cult, ... see POSITIVE_KEYWORDS)
  + keyword penalties in the first sentence (direct-to-video, television film,
          ... see NEGATIVE_KEYWORDS)
  + 1.0 per mention of "<Title> (<Year>)" in other films' extracts (max 3)
          -- sequels and remakes cite their famous originals
  + 0.8 per sequel title in the data set ("<Title> 2", "<Title>: ...",
          "<Title> II", ...; max 3) -- franchise starters
  + 0.15 per Wikipedia genre (max 4)
Against a hand-made list of ~90 famous films the proxy keeps roughly 80 % of
them (The Godfather, Jaws, Star Wars, Titanic, The Matrix, Inception, Toy Story
and Pulp Fiction are all in).  Films whose Wikipedia lead is a single short
paragraph with a small cast (e.g. Get Out, Gravity) can still be missed.

Popularity column
-----------------
`popularity` turns the fame proxy into a number in (0, 1] (written with six
decimals; larger = more famous) that the rating generator uses as the film's
exposure rank:
    popularity = 0.8 * (fame percentile within the film's decade)
               + 0.2 * (fame percentile within the whole selected catalogue)
where a percentile is (n - rank + 1) / n with rank 1 = most famous among the
n films compared (ties broken like the selection, so ranks are total).  The
within-decade part dominates because the raw proxy favours 2000s/2010s films
(longer Wikipedia leads, more box-office wording): with a purely global
percentile the median 1970s film would rank ~2,500th of 3,000 and classics
would be starved of ratings.  The global part keeps a mild cross-decade
signal and breaks ties between decades of equal size.  Only the order of the
values matters to the generator.

Store columns
-------------
`price` and `stock` put the films on sale in the store (integers in the minor
unit of the store currency, KRW by default, which has none).  Each film draws
a uniform number u from SHA-256 of "cinerank-store:<movieId>" (so the columns
never depend on the order of anything else) and gets:
    u < 0.04          not for sale: price and stock empty
    u < 0.16          a limited physical edition: price 19,900 (14,900 before
                      1990), stock 0-50 copies from a second hash; about one
                      in six of these is sold out (stock 0)
    otherwise         digital (stock empty = unlimited), by release year:
                      3,900 before 2000, 5,500 for 2000-2014, 9,900 from 2015
These columns were added after the rest; adding them left every other column
byte-identical, and the rating generator ignores them.

Output is deterministic: every sort has a total, stable key, and movieId is
assigned 1..N ordered by (year, title, href).

Rebuild with:  python3 scripts/build_seed_catalog.py
(optional: --source DIR --out FILE)
"""

from __future__ import annotations

import argparse
import bisect
import collections
import csv
import hashlib
import json
import math
import os
import re
import sys

# A checkout of https://github.com/prust/wikipedia-movie-data (MIT licence).
DEFAULT_SOURCE = os.environ.get("WIKIPEDIA_MOVIE_DATA", "wikipedia-movie-data")
DECADE_FILES = [
    "movies-1970s.json",
    "movies-1980s.json",
    "movies-1990s.json",
    "movies-2000s.json",
    "movies-2010s.json",
    "movies-2020s.json",
]
YEAR_MIN, YEAR_MAX = 1970, 2023

# Films kept per decade (2020s only covers 2020-2023).  Total: 3,000.
DECADE_QUOTA = {1970: 450, 1980: 550, 1990: 600, 2000: 550, 2010: 550, 2020: 300}

# The 20 cinerank genres, in canonical output order.
CINERANK_GENRES = [
    "Action", "Adventure", "Animation", "Biography", "Comedy", "Crime",
    "Documentary", "Drama", "Family", "Fantasy", "History", "Horror", "Music",
    "Mystery", "Romance", "Science Fiction", "Sports", "Thriller", "War",
    "Western",
]

# Wikipedia genre -> cinerank genres.  An empty tuple means "dropped" (the
# label says nothing about content).  "Teen" is special-cased below.
GENRE_MAP: dict[str, tuple[str, ...]] = {
    "Action": ("Action",),
    "Adventure": ("Adventure",),
    "Animated": ("Animation",),
    "Biography": ("Biography",),
    "Comedy": ("Comedy",),
    "Crime": ("Crime",),
    "Dance": ("Music",),
    "Disaster": ("Action", "Drama"),
    "Documentary": ("Documentary",),
    "Drama": ("Drama",),
    "Erotic": ("Drama", "Romance"),
    "Family": ("Family",),
    "Fantasy": ("Fantasy",),
    "Found Footage": ("Horror",),
    "Historical": ("History",),
    "Horror": ("Horror",),
    "Independent": (),
    "Legal": ("Drama",),
    "Live Action": (),
    "Martial Arts": ("Action",),
    "Musical": ("Music",),
    "Mystery": ("Mystery",),
    "Noir": ("Crime", "Thriller"),
    "Performance": ("Music",),
    "Political": ("Drama",),
    "Romance": ("Romance",),
    "Satire": ("Comedy",),
    "Science Fiction": ("Science Fiction",),
    "Short": (),
    "Silent": (),
    "Slasher": ("Horror", "Thriller"),
    "Sport": ("Sports",),
    "Sports": ("Sports",),
    "Spy": ("Action", "Thriller"),
    "Superhero": ("Action", "Fantasy"),
    "Supernatural": ("Fantasy", "Horror"),
    "Suspense": ("Thriller",),
    "Teen": (),  # -> Comedy only when nothing else maps (see map_genres)
    "Thriller": ("Thriller",),
    "War": ("War",),
    "Western": ("Western",),
}

POSITIVE_KEYWORDS = {
    "academy award": 1.0, "oscar": 0.7, "golden globe": 0.5, "acclaim": 0.8,
    "greatest": 1.0, "national film registry": 1.5, "library of congress": 1.0,
    "highest-grossing": 1.2, "box office success": 0.8,
    "commercial success": 0.8, "blockbuster": 0.8, "franchise": 0.5,
    "cult": 0.4, "influential": 0.8, "grossed": 0.5, "nominat": 0.5,
    "won ": 0.3, "praise": 0.4, "positive reviews": 0.3, "iconic": 0.6,
    "classic": 0.4, "sequel": 0.3, "box office": 0.3,
}
NEGATIVE_KEYWORDS = {  # only looked for in the first sentence
    "direct-to-video": -2.0, "straight-to-video": -2.0,
    "television film": -2.0, "made-for-television": -2.0,
    "made for television": -2.0, "low-budget": -0.7, "unreleased": -1.0,
}

OVERVIEW_MAX = 1000
DIRECTOR_RE = re.compile(r"directed by ([A-Z][\w.'-]+(?: [A-Z][\w.'-]+){1,2})")
SEQUEL_RE = re.compile(r"(?=(\s+(?:\d+|II|III|IV|V|VI|Part\b)|:))")
SENTENCE_END_RE = re.compile(r"[.!?][\"')\]]?(?=\s)")


# "directed by", also "directed, written, produced, and co-edited by".
DIRECTED_BY_RE = re.compile(r"\bdirected(?:,? (?:and )?(?:co-)?[a-z]+(?:ed|en))*,? by ")
# Words that may stand inside a name in lower case ("Guillermo del Toro").
NAME_PARTICLES = {"de", "del", "della", "der", "di", "da", "van", "von", "le", "la", "du", "dos",
                  "bin", "al", "ten", "ter"}
# Capitalised words after a name that end it rather than continue it.
NAME_STOPS = {"The", "It", "A", "An", "In", "Its", "Starring", "Based", "From", "With", "This"}
CAST_LIMIT = 10


def _name_token(token: str) -> bool:
    word = token.rstrip(",.;:)")
    if not word:
        return False
    if word in NAME_PARTICLES:
        return True
    return word[0].isupper() and word not in NAME_STOPS


def _ends_sentence(token: str) -> bool:
    """A token ending in '.' that is not an initial ("F.") or a suffix ("Jr.")."""
    if not token.endswith("."):
        return False
    word = token[:-1]
    return not (len(word) == 1 and word.isupper()) and word not in {"Jr", "Sr", "St", "Dr"}


def parse_directors(extract: str) -> list[str]:
    """Directors named in the first "directed by ..." clause of an extract.

    A name is a run of capitalised words (initials, hyphens, apostrophes and
    particles like "del" allowed) that ends at a comma, a sentence end or a
    lower-case word; "A and B" names two directors; at most four names.
    """
    found = DIRECTED_BY_RE.search(extract)
    if not found:
        return []
    tokens = extract[found.end():].split()
    names: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(tokens) and len(names) < 4:
        token = tokens[i]
        if _name_token(token) and (current or token.rstrip(",.;:)") not in NAME_PARTICLES):
            current.append(token.rstrip(",;:)"))
            finished = token[-1] in ",;:)" or _ends_sentence(token)
            if len(current) >= 2 and token.endswith(".") and not _ends_sentence(token):
                finished = False
            if finished or len(current) == 5:
                names.append(" ".join(current))
                current = []
                if not token.endswith(",") or _ends_sentence(token):
                    break
                # "A, B and C": carry on only if a name follows the comma.
                if i + 1 < len(tokens) and not _name_token(tokens[i + 1]):
                    break
        elif token == "and" and current and i + 1 < len(tokens) and _name_token(tokens[i + 1]):
            names.append(" ".join(current))
            current = []
        else:
            break
        i += 1
    if current:
        names.append(" ".join(current))
    names = [n if n.endswith((" Jr.", " Sr.")) else n.rstrip(".") for n in names]
    # "Joel and Ethan Coen": a lone first name shares the next one's surname.
    for k in range(len(names) - 1):
        if " " not in names[k] and " " in names[k + 1]:
            names[k] = f"{names[k]} {names[k + 1].split()[-1]}"
    # A single word left is a surname in prose ("directed by Spielberg"), not a credit.
    return [n for n in names if " " in n]


def write_credits(films: list[dict], out_path: str) -> int:
    """credits.csv: cast in billing order (first CAST_LIMIT) and directors."""
    rows = 0
    with open(out_path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        w.writerow(["movieId", "role", "position", "name"])
        for i, f in enumerate(films, start=1):
            for position, name in enumerate(parse_directors(f["extract"]), start=1):
                w.writerow([i, "director", position, name])
                rows += 1
            seen = set()
            cast = [" ".join(n.split()) for n in (f.get("cast") or []) if n and n.strip()]
            for name in cast:
                if name.casefold() in seen or len(seen) == CAST_LIMIT:
                    continue
                seen.add(name.casefold())
                w.writerow([i, "cast", len(seen), name])
                rows += 1
    return rows


def map_genres(wiki_genres: list[str]) -> list[str]:
    """Map Wikipedia genres onto cinerank genres (canonical order)."""
    out: set[str] = set()
    for g in wiki_genres:
        out.update(GENRE_MAP.get(g, ()))
    if not out and "Teen" in wiki_genres:
        out.add("Comedy")
    return [g for g in CINERANK_GENRES if g in out]


def clean_overview(text: str) -> str:
    """Trim, collapse whitespace and cut at a sentence end within OVERVIEW_MAX."""
    text = " ".join(text.split())
    if len(text) <= OVERVIEW_MAX:
        return text
    head = text[: OVERVIEW_MAX + 1]
    ends = [m.end() for m in SENTENCE_END_RE.finditer(head)]
    if ends and ends[-1] >= OVERVIEW_MAX // 3:
        return head[: ends[-1]].rstrip()
    cut = head[:OVERVIEW_MAX].rsplit(" ", 1)[0].rstrip(" ,;:")
    return cut + "\u2026"


def percentile_fn(values):
    """Return f(v) = mid-rank percentile of v among values, in [0, 1]."""
    s = sorted(values)
    n = len(s)
    return lambda v: (bisect.bisect_left(s, v) + bisect.bisect_right(s, v)) / (2 * n)


def load(source: str) -> list[dict]:
    films = []
    for name in DECADE_FILES:
        with open(os.path.join(source, name), encoding="utf-8") as fh:
            films.extend(json.load(fh))
    return films


def build(source: str) -> list[dict]:
    everything = load(source)
    eligible = []
    for f in everything:
        year = f.get("year")
        if not isinstance(year, int) or not YEAR_MIN <= year <= YEAR_MAX:
            continue
        extract = " ".join((f.get("extract") or "").split())
        if not f.get("thumbnail") or not extract or not f.get("genres"):
            continue
        genres = map_genres(f["genres"])
        if not genres or not (f.get("title") or "").strip():
            continue
        eligible.append(dict(f, extract=extract, cr_genres=genres,
                             title=" ".join(f["title"].split())))

    # --- features -----------------------------------------------------------
    all_extracts = "\n".join(f["extract"] for f in eligible)
    actor_count = collections.Counter()
    for f in everything:
        for a in (f.get("cast") or [])[:6]:
            actor_count[a] += 1
    director_count = collections.Counter()
    for f in eligible:
        for d in set(DIRECTOR_RE.findall(f["extract"])):
            director_count[d] += 1
    titles = {f["title"] for f in eligible}
    sequels = collections.Counter()
    for t in titles:
        for m in SEQUEL_RE.finditer(t):
            parent = t[: m.start()]
            if parent != t and parent in titles:
                sequels[parent] += 1

    def decade(f):
        return f["year"] // 10 * 10

    def star(f):
        c = sorted((math.log1p(actor_count[a]) for a in (f.get("cast") or [])[:4]),
                   reverse=True)
        return sum(c[:3])

    def director(f):
        return max((math.log1p(director_count[d])
                    for d in DIRECTOR_RE.findall(f["extract"])), default=0.0)

    by_decade = collections.defaultdict(list)
    for f in eligible:
        by_decade[decade(f)].append(f)
    cast_pct = {d: percentile_fn([len(x.get("cast") or []) for x in v])
                for d, v in by_decade.items()}
    ext_pct = percentile_fn([len(f["extract"]) for f in eligible])
    star_pct = percentile_fn([star(f) for f in eligible])
    dir_pct = percentile_fn([director(f) for f in eligible])

    for f in eligible:
        low = f["extract"].lower()
        first = low.split(". ")[0]
        s = 2.0 * ext_pct(len(f["extract"]))
        s += 1.5 * cast_pct[decade(f)](len(f.get("cast") or []))
        s += 2.0 * star_pct(star(f))
        s += 1.0 * dir_pct(director(f))
        s += sum(w for k, w in POSITIVE_KEYWORDS.items() if k in low)
        s += sum(w for k, w in NEGATIVE_KEYWORDS.items() if k in first)
        s += 1.0 * min(3, all_extracts.count(f"{f['title']} ({f['year']})"))
        s += 0.8 * min(3, sequels.get(f["title"], 0))
        s += 0.15 * min(4, len(f["genres"]))
        f["fame"] = round(s, 9)  # rounding keeps ordering platform-stable

    # --- dedupe (title, year): keep the most famous entry ---------------------
    def rank_key(f):
        return (-f["fame"], f["title"], f["year"], f.get("href") or "")

    best: dict[tuple[str, int], dict] = {}
    for f in sorted(eligible, key=rank_key):
        best.setdefault((f["title"].casefold(), f["year"]), f)

    # --- per-decade selection ---------------------------------------------------
    chosen = []
    per_decade = collections.defaultdict(list)
    for f in best.values():
        per_decade[decade(f)].append(f)
    for d, quota in sorted(DECADE_QUOTA.items()):
        chosen.extend(sorted(per_decade.get(d, []), key=rank_key)[:quota])

    assign_popularity(chosen, rank_key, decade)
    chosen.sort(key=lambda f: (f["year"], f["title"], f.get("href") or ""))
    return chosen


def assign_popularity(films: list[dict], rank_key, decade) -> None:
    """Set f["popularity"] (see "Popularity column" in the module docstring)."""
    def percentiles(group):
        ordered = sorted(group, key=rank_key)  # most famous first
        n = len(ordered)
        return {id(f): (n - r) / n for r, f in enumerate(ordered)}  # r is 0-based

    global_pct = percentiles(films)
    groups = collections.defaultdict(list)
    for f in films:
        groups[decade(f)].append(f)
    decade_pct = {}
    for group in groups.values():
        decade_pct.update(percentiles(group))
    for f in films:
        f["popularity"] = 0.8 * decade_pct[id(f)] + 0.2 * global_pct[id(f)]


def store_unit(movie_id: int, salt: str) -> float:
    """A uniform number in [0, 1) fixed by the movieId alone."""
    digest = hashlib.sha256(f"cinerank-store:{salt}{movie_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def store_columns(movie_id: int, year: int) -> tuple[str, str]:
    """(price, stock) as CSV text; see "Store columns" in the module docstring."""
    u = store_unit(movie_id, "")
    if u < 0.04:
        return "", ""
    if u < 0.16:
        price = 14900 if year < 1990 else 19900
        stock = max(0, int(store_unit(movie_id, "stock:") * 60) - 9)
        return str(price), str(stock)
    price = 3900 if year < 2000 else 5500 if year < 2015 else 9900
    return str(price), ""


def write_csv(films: list[dict], out_path: str) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    with open(out_path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        w.writerow(["movieId", "title", "genres", "overview", "poster_url", "popularity",
                    "price", "stock"])
        for i, f in enumerate(films, start=1):
            w.writerow([
                i,
                f"{f['title']} ({f['year']})",
                "|".join(f["cr_genres"]),
                clean_overview(f["extract"]),
                f["thumbnail"].strip(),
                f"{f['popularity']:.6f}",
                *store_columns(i, f["year"]),
            ])


def main(argv=None) -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source", default=DEFAULT_SOURCE,
                    help="directory with movies-19x0s.json ... (default: %(default)s)")
    ap.add_argument("--out", default=os.path.join(here, "..", "seed_data", "movies.csv"))
    args = ap.parse_args(argv)
    films = build(args.source)
    write_csv(films, args.out)
    credits_out = os.path.join(os.path.dirname(os.path.abspath(args.out)), "credits.csv")
    credit_rows = write_credits(films, credits_out)
    print(f"wrote {credit_rows} credits to {os.path.normpath(credits_out)}", file=sys.stderr)
    decades = collections.Counter(f["year"] // 10 * 10 for f in films)
    genres = collections.Counter(g for f in films for g in f["cr_genres"])
    print(f"wrote {len(films)} films to {os.path.normpath(args.out)}", file=sys.stderr)
    print("per decade: " + ", ".join(f"{d}s={n}" for d, n in sorted(decades.items())),
          file=sys.stderr)
    print("per genre: " + ", ".join(f"{g}={genres[g]}" for g in CINERANK_GENRES),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
