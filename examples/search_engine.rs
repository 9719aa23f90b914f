//! The search engine alone: times `SearchIndex::search` over a workload's queries, with no
//! HTTP and no database, and prints a checksum of the pages, so that two builds run on the
//! same index can be compared (the same checksum: the same pages with the same scores).
//!
//! Usage: `search_engine INDEX_DIR PATHS_FILE [ROUNDS]`. PATHS_FILE holds URLs with `q=` (the
//! benchmark's `search.paths`); each query runs once untimed, then ROUNDS times (3). The
//! server must not be running on that index: it holds the index's lock.

use std::error::Error;
use std::time::Instant;

use headline::search::collect::{Order, Seen, Wanted};
use headline::search::query::Plan;
use headline::search::{Location, SearchIndex};

// Headline's allocator, so that the times are the server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Relevance pages of 20 (and one more), as the Content API asks for them.
fn wanted() -> Wanted {
    let now = chrono::Utc::now().timestamp_micros();
    Wanted {
        order: Order::Relevance { now },
        seen: Seen::Public { now },
        published_after: None,
        published_before: None,
        after: None,
        hits: 21,
        count: false,
        facets: false,
    }
}

/// The `q` of each URL, decoded as the server decodes a query string.
fn queries(text: &str) -> Result<Vec<String>, serde_urlencoded::de::Error> {
    let mut queries = Vec::new();
    for (_, query) in text.lines().filter_map(|line| line.split_once('?')) {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)?;
        queries.extend(pairs.into_iter().filter(|(k, _)| k == "q").map(|(_, q)| q));
    }
    Ok(queries)
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: search_engine INDEX_DIR PATHS_FILE [ROUNDS]";
    let dir = args.next().ok_or(usage)?;
    let paths = args.next().ok_or(usage)?;
    let rounds: u32 = args.next().map_or(Ok(3), |r| r.parse())?.max(1);
    let index = SearchIndex::open(&Location::Dir(dir.into()))?;
    let queries = queries(&std::fs::read_to_string(paths)?)?;
    let plans = queries
        .iter()
        .map(|q| Plan::parse(q))
        .collect::<Result<Vec<_>, _>>()?;
    let wanted = wanted();
    // Microseconds per query, over the timed rounds.
    let mut times = vec![0.0; plans.len()];
    let mut checksum = 0u64;
    for round in 0..=rounds {
        checksum = 0;
        for (plan, time) in plans.iter().zip(&mut times) {
            let start = Instant::now();
            let found = index.search(plan, None, None, &wanted)?;
            if round > 0 {
                *time += start.elapsed().as_secs_f64() * 1e6 / f64::from(rounds);
            }
            for hit in &found.hits {
                let key = hit.id.cast_unsigned() ^ hit.score.to_bits();
                checksum = checksum.wrapping_mul(31).wrapping_add(key);
            }
        }
    }
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    let at = |q: usize| sorted.get(sorted.len() * q / 100).copied().unwrap_or(0.0);
    let mean = times.iter().sum::<f64>() / f64::from(u32::try_from(times.len())?.max(1));
    println!(
        "{} queries: mean {mean:.0} µs, p50 {:.0}, p90 {:.0}, p99 {:.0}; checksum {checksum:016x}",
        times.len(),
        at(50),
        at(90),
        at(99),
    );
    let mut slowest: Vec<(f64, &String)> = times.into_iter().zip(&queries).collect();
    slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (time, query) in slowest.iter().take(5) {
        println!("  {time:>7.0} µs  {query}");
    }
    Ok(())
}
