#!/usr/bin/env python3
"""Writes the benchmark's random-URL workloads: one file of request paths per workload, which
bench/paths.lua picks from at random, one path per request. Popularity is in the files: a
Zipf workload repeats hot paths, a uniform one lists each path once.

Beside each NAME.paths it writes NAME.json, the workload's median response body, which the
ceiling (examples/ceiling.rs) serves for it.

Usage: workloads.py SERVER SLUGS OUT_DIR
  SERVER  a running Headline (http://127.0.0.1:PORT): topic pages and their deeper pages are
          followed through the API, so their cursors are real
  SLUGS   public article slugs, newest first, one per line
"""
import json
import random
import sys
import urllib.request

LINES = 100_000


def get(server, path):
    with urllib.request.urlopen(server + path) as res:
        return json.load(res)


def zipf(items, s, n, rng):
    weights = [1.0 / (rank ** s) for rank in range(1, len(items) + 1)]
    return rng.choices(items, weights=weights, k=n)


def main():
    server, slugs_file, out = sys.argv[1], sys.argv[2], sys.argv[3]
    rng = random.Random(42)
    slugs = [line.strip() for line in open(slugs_file) if line.strip()]
    article = [f"/api/v1/articles/{s}" for s in slugs]
    workloads = {
        # Search engines and social links: any story of the archive, once each.
        "article_uniform": article,
        # Hot stories: Zipf(1.1) popularity over the newest 50,000.
        "article_zipf": zipf(article[:50_000], 1.1, LINES, rng),
        "related": [f"{p}/related" for p in rng.sample(article, min(len(article), LINES))],
    }

    # Topic pages by the topics' popularity, pages 1 to 3 (deeper pages by their cursors).
    topics, cursor = [], None
    while True:
        page = get(server, "/api/v1/topics?limit=100" + (f"&cursor={cursor}" if cursor else ""))
        topics += [t for t in page["data"] if t["article_count"] > 0]
        cursor = page["meta"]["pagination"]["next_cursor"]
        if not cursor:
            break
    topics.sort(key=lambda t: -t["article_count"])
    pages = []
    for t in topics[:300]:
        path = f"/api/v1/articles?topic={t['slug']}"
        pages.append(path)
        for _ in range(2):
            nxt = get(server, path)["meta"]["pagination"]["next_cursor"]
            if not nxt:
                break
            path = f"/api/v1/articles?topic={t['slug']}&cursor={nxt}"
            pages.append(path)
    workloads["topic_pages"] = zipf(pages, 1.0, LINES, rng)

    # Searches: one to three words taken from titles (slugs are made of their words).
    words = sorted({w for s in slugs[:20_000] for w in s.split("-") if w.isalpha() and len(w) > 3})
    workloads["search"] = [
        "/api/v1/articles?q=" + "+".join(rng.sample(words, rng.randint(1, 3)))
        for _ in range(20_000)
    ]

    # What a newsroom's front end sees: 60 % hot stories, 15 % the long tail, 10 % related
    # boxes, 10 % topic pages, 5 % searches.
    mix = (
        rng.choices(workloads["article_zipf"], k=60_000)
        + rng.choices(workloads["article_uniform"], k=15_000)
        + rng.choices(workloads["related"], k=10_000)
        + rng.choices(workloads["topic_pages"], k=10_000)
        + rng.choices(workloads["search"], k=5_000)
    )
    rng.shuffle(mix)
    workloads["mix"] = mix

    for name, paths in workloads.items():
        with open(f"{out}/{name}.paths", "w") as f:
            f.write("\n".join(paths) + "\n")
        # The ceiling answers this workload with its median body.
        bodies = []
        for path in rng.sample(paths, 41):
            with urllib.request.urlopen(server + path) as res:
                bodies.append(res.read())
        bodies.sort(key=len)
        with open(f"{out}/{name}.json", "wb") as f:
            f.write(bodies[len(bodies) // 2])


if __name__ == "__main__":
    main()
