//! The counts the graph keeps while it grows (what live views show every second) against
//! full walks worked out here: every sample, read in its own order and with its lines
//! reversed and shuffled (so relations arrive before their ends and placeholders are
//! defined late), gives the same counts, families and top talkers as a walk over all of it.

mod common;
use common::*;
use provscope::capture::camflow::{ReaderOptions, read_trace};
use provscope::graph::{Family, ProvGraph};
use std::collections::HashMap;

fn load(bytes: &[u8]) -> ProvGraph {
    let mut g = ProvGraph::new();
    read_trace(bytes, &ReaderOptions::default(), &mut g).unwrap();
    g
}

/// Families and the ten busiest objects by a walk over every relation.
fn walked(g: &ProvGraph) -> (Vec<u64>, Vec<(u32, u64)>) {
    let mut families = vec![0u64; Family::ALL.len()];
    let mut degree: HashMap<u32, u64> = HashMap::new();
    for e in g.edge_ids() {
        if g.edge(e).derived {
            continue;
        }
        let f = Family::ALL
            .iter()
            .position(|&x| x == g.edge(e).family)
            .unwrap();
        families[f] += 1;
        let (a, b) = g.endpoints(e);
        *degree.entry(g.node(a).object.0).or_default() += 1;
        *degree.entry(g.node(b).object.0).or_default() += 1;
    }
    let mut top: Vec<(u32, u64)> = degree.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    top.truncate(10);
    (families, top)
}

fn check(g: &ProvGraph, what: &str) {
    assert_eq!(g.counts(), g.recount(), "{what}");
    let census = g.census();
    let (families, top) = walked(g);
    assert_eq!(census.families(), families, "{what}");
    let kept: Vec<(u32, u64)> = census
        .top_objects(10)
        .iter()
        .map(|(o, d)| (o.0, *d))
        .collect();
    assert_eq!(kept, top, "{what}");
}

/// A fixed shuffle (xorshift), so a failure can be replayed.
fn shuffled<T>(mut v: Vec<T>, mut seed: u64) -> Vec<T> {
    for i in (1..v.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        v.swap(i, (seed % (i as u64 + 1)) as usize);
    }
    v
}

#[test]
fn kept_counts_equal_full_walks_in_any_arrival_order() {
    for name in [V017, V050, V080] {
        let bytes = std::fs::read(sample(name)).unwrap();
        check(&load(&bytes), name);
        let lines: Vec<&[u8]> = bytes.split_inclusive(|&b| b == b'\n').collect();
        if lines.len() < 2 {
            continue;
        }
        let mut reversed = lines.clone();
        reversed.reverse();
        let g = load(&reversed.concat());
        check(&g, &format!("{name} reversed"));
        assert!(g.counts().nodes > 0);
        for seed in [1, 7, 42] {
            let g = load(&shuffled(lines.clone(), seed).concat());
            check(&g, &format!("{name} shuffled {seed}"));
        }
    }
}

#[test]
fn a_placeholder_defined_late_stops_its_relations_dangling() {
    let bytes = std::fs::read(sample(V050)).unwrap();
    let lines: Vec<&[u8]> = bytes.split_inclusive(|&b| b == b'\n').collect();
    // Relations first: some ends are placeholders until their documents come.
    let half = lines.len() / 2;
    let mut g = ProvGraph::new();
    let opts = ReaderOptions::default();
    read_trace(&lines[half..].concat()[..], &opts, &mut g).unwrap();
    let early = g.counts();
    read_trace(&lines[..half].concat()[..], &opts, &mut g).unwrap();
    let late = g.counts();
    assert_eq!(late, g.recount());
    assert_eq!(
        late,
        load(&bytes).counts(),
        "the order of arrival changes nothing"
    );
    assert!(
        early.dangling_edges > late.dangling_edges,
        "defining placeholders heals relations: {} then {}",
        early.dangling_edges,
        late.dangling_edges
    );
}
