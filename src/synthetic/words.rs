//! Words, names, Zipf-popular picks and Markdown bodies: the text of the newsroom.

use rand::Rng;
use rand::rngs::StdRng;

pub(super) const WORDS: &[&str] = &[
    "phone",
    "camera",
    "battery",
    "screen",
    "launch",
    "market",
    "price",
    "chip",
    "design",
    "update",
    "software",
    "network",
    "patent",
    "deal",
    "partner",
    "global",
    "review",
    "feature",
    "sensor",
    "display",
    "charging",
    "wireless",
    "flagship",
    "budget",
    "series",
    "model",
    "performance",
    "processor",
    "memory",
    "storage",
    "lens",
    "zoom",
    "video",
    "photo",
    "night",
    "mode",
    "app",
    "store",
    "service",
    "cloud",
    "privacy",
    "security",
    "release",
    "version",
    "announce",
    "expect",
    "rumor",
    "leak",
    "report",
    "analyst",
    "sales",
    "growth",
    "quarter",
    "revenue",
    "customer",
    "europe",
    "india",
    "china",
    "america",
    "africa",
    "brand",
    "company",
    "engineer",
    "research",
    "factory",
    "supply",
    "shortage",
    "demand",
    "upgrade",
    "foldable",
    "hinge",
    "glass",
    "aluminium",
    "plastic",
    "water",
    "resistance",
    "speaker",
    "audio",
    "earbuds",
    "watch",
    "fitness",
    "health",
    "tracker",
    "laptop",
    "tablet",
    "keyboard",
    "stylus",
    "gaming",
    "refresh",
    "rate",
    "pixel",
    "resolution",
    "brightness",
    "efficiency",
    "thermal",
    "cooling",
    "antenna",
    "signal",
    "carrier",
    "5g",
    "wifi",
    "bluetooth",
    "standard",
    "regulator",
    "court",
    "license",
    "agreement",
    "investment",
    "startup",
    "acquisition",
    "ecosystem",
    "developer",
];

pub(super) const VERBS: &[&str] = &[
    "launches", "reveals", "confirms", "teases", "delays", "cuts", "boosts", "tests", "ships",
    "unveils", "expands", "doubles", "rethinks", "drops", "wins", "loses",
];

pub(super) fn pick<'a>(rng: &mut StdRng, items: &[&'a str]) -> &'a str {
    items
        .get(rng.random_range(0..items.len()))
        .copied()
        .unwrap_or_default()
}

pub(super) fn topic_name(i: usize) -> String {
    const KNOWN: &[&str] = &[
        "Xiaomi", "Samsung", "Apple", "Google", "Nokia", "Redmi", "OnePlus", "Huawei", "Oppo",
        "Vivo", "Sony", "Motorola", "Android", "iOS", "Leica", "Zeiss", "Qualcomm", "MediaTek",
    ];
    match KNOWN.get(i) {
        Some(name) => (*name).to_owned(),
        None => format!("Topic {i}"),
    }
}

/// Zipf-like weights 1/k over `n` topics, as a cumulative table to sample from.
pub(super) fn zipf_cdf(n: usize) -> Vec<f64> {
    let mut acc = 0.0;
    let mut cdf: Vec<f64> = (1..=n)
        .map(|k| {
            acc += 1.0 / f64::from(u32::try_from(k).unwrap_or(u32::MAX));
            acc
        })
        .collect();
    for w in &mut cdf {
        *w /= acc;
    }
    cdf
}

pub(super) fn sample_cdf(rng: &mut StdRng, cdf: &[f64]) -> usize {
    let x: f64 = rng.random();
    cdf.partition_point(|w| *w < x).min(cdf.len() - 1)
}

pub(super) fn body(rng: &mut StdRng, topic: &str) -> String {
    let target = rng.random_range(2_048..4_096);
    let mut out = String::with_capacity(target + 256);
    while out.len() < target {
        if rng.random_ratio(1, 6) {
            out.push_str("## ");
            out.push_str(topic);
            out.push(' ');
            out.push_str(pick(rng, WORDS));
            out.push_str("\n\n");
        }
        let sentences = rng.random_range(3..7);
        for _ in 0..sentences {
            let words = rng.random_range(8..18);
            for w in 0..words {
                let word = if rng.random_ratio(1, 25) {
                    topic
                } else {
                    pick(rng, WORDS)
                };
                if w == 0 {
                    let mut chars = word.chars();
                    if let Some(first) = chars.next() {
                        out.extend(first.to_uppercase());
                        out.push_str(chars.as_str());
                    }
                } else if rng.random_ratio(1, 40) {
                    out.push_str(" **");
                    out.push_str(word);
                    out.push_str("**");
                } else {
                    out.push(' ');
                    out.push_str(word);
                }
            }
            out.push_str(". ");
        }
        out.push_str("\n\n");
    }
    out
}
