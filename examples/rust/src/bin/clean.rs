//! A correct program with heap traffic across threads: tagsan must stay
//! silent.
//!
//!   tagsan cargo run --manifest-path examples/rust/Cargo.toml --bin clean
//!
//! Expected: no report, prints "words: 4000, longest: 11" and exits 0.

use std::collections::HashMap;
use std::sync::mpsc;
use std::thread;

fn main() {
    let (tx, rx) = mpsc::channel::<Vec<String>>();
    let workers: Vec<_> = (0..4)
        .map(|t| {
            let tx = tx.clone();
            thread::spawn(move || {
                let words: Vec<String> = (0..1000).map(|i| format!("w{t}-{:0>width$}", i, width = 1 + i % 8)).collect();
                tx.send(words).unwrap();
            })
        })
        .collect();
    drop(tx);
    let mut counts: HashMap<usize, usize> = HashMap::new();
    let mut total = 0;
    for batch in rx {
        for w in &batch {
            *counts.entry(w.len()).or_default() += 1;
        }
        total += batch.len();
    }
    for w in workers {
        w.join().unwrap();
    }
    let longest = counts.keys().max().copied().unwrap_or(0);
    println!("words: {total}, longest: {longest}");
    assert_eq!((total, longest), (4000, 11));
}
