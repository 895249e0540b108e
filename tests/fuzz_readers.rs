//! Property tests: mutated, truncated and random inputs never panic the readers, and
//! every line is accounted for (read into elements or counted as skipped).

mod common;
use common::*;
use proptest::prelude::*;
use provscope::capture::camflow::{ReaderOptions, read_trace};
use provscope::graph::ProvGraph;

fn sample_bytes() -> Vec<u8> {
    let mut all = Vec::new();
    for name in [V017, V050, V080] {
        all.extend(std::fs::read(sample(name)).expect("sample"));
        all.push(b'\n');
    }
    all
}

fn read(bytes: &[u8], limit: usize) -> provscope::capture::camflow::LoadReport {
    let mut g = ProvGraph::new();
    let opts = ReaderOptions { max_record: limit };
    let report = read_trace(bytes, &opts, &mut g).expect("in-memory reads cannot fail");
    // The graph stays consistent whatever came in.
    let c = g.counts();
    assert!(c.dangling_edges <= c.edges);
    // The counts kept while reading are those of a full walk, however messy the input.
    assert_eq!(c, g.recount());
    report
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let r = read(&bytes, 1 << 20);
        prop_assert!(r.lines <= bytes.len() as u64 + 1);
    }

    #[test]
    fn mutated_samples_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..64),
        cut in any::<prop::sample::Index>(),
        limit in 64usize..200_000,
    ) {
        let mut bytes = sample_bytes();
        for (at, b) in edits {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        let end = cut.index(bytes.len() + 1);
        let _ = read(&bytes[..end], limit);
    }

    #[test]
    fn spliced_lines_never_panic(
        picks in proptest::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 1..20),
    ) {
        let bytes = sample_bytes();
        let mut out = Vec::new();
        for (a, b) in picks {
            let (x, y) = (a.index(bytes.len()), b.index(bytes.len()));
            out.extend_from_slice(&bytes[x.min(y)..x.max(y)]);
            out.push(b'\n');
        }
        let _ = read(&out, 1 << 20);
    }
}

#[test]
fn a_truncated_sample_keeps_every_complete_line() {
    let text = std::fs::read_to_string(sample(V050)).expect("sample");
    let lines: Vec<&str> = text.lines().collect();
    let keep = lines[..10].join("\n");
    let cut = format!("{keep}\n{}", &lines[10][..lines[10].len() / 3]);
    let mut whole = ProvGraph::new();
    read_trace(keep.as_bytes(), &ReaderOptions::default(), &mut whole).expect("read");
    let mut g = ProvGraph::new();
    let r = read_trace(cut.as_bytes(), &ReaderOptions::default(), &mut g).expect("read");
    assert_eq!(r.problems.skipped_lines, 1);
    assert!(
        r.problems.kept[0]
            .reason
            .contains("cut short by the end of the input")
    );
    assert_eq!(g.counts(), whole.counts());
}

#[test]
fn huge_lines_are_skipped_without_holding_them() {
    let text = std::fs::read_to_string(sample(V050)).expect("sample");
    let huge = format!("{{\"prefix\":\"{}\"}}", "x".repeat(3 << 20));
    let input = format!("{huge}\n{text}");
    let mut g = ProvGraph::new();
    let r = read_trace(
        input.as_bytes(),
        &ReaderOptions {
            max_record: 1 << 20,
        },
        &mut g,
    )
    .expect("read");
    assert_eq!(r.problems.skipped_lines, 1);
    assert!(
        r.problems.kept[0].reason.contains("longer than"),
        "{:?}",
        r.problems.kept
    );
    assert_eq!(g.counts().nodes, 178);
}
