//! The navigator's catalog moved with the time cursor is the same as filtering the whole
//! catalog at every position: on every real sample and the demo recording, over steps
//! back and forth and jumps of every size, the moved catalog is compared with a plain
//! filter of the full catalog by the timeline's visibility test.

mod common;
use common::*;
use provscope::graph::catalog::TypeGroup;
use provscope::graph::catalog_as_of::CatalogAsOf;
use provscope::graph::timeline::Timeline;

fn plain_filter(full: &[TypeGroup], timeline: &Timeline, cursor: usize) -> Vec<TypeGroup> {
    full.iter()
        .map(|t| TypeGroup {
            class: t.class,
            kind: t.kind.clone(),
            objects: t
                .objects
                .iter()
                .copied()
                .filter(|&o| timeline.object_visible(o, cursor))
                .collect(),
        })
        .collect()
}

/// A small deterministic generator, so a failure replays.
struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

#[test]
fn moving_the_catalog_equals_filtering_it_on_every_sample() {
    for trace in [sample(V017), sample(V050), sample(V080), demo_trace()] {
        let s = loaded_state(std::slice::from_ref(&trace));
        let full = s.catalog.clone();
        let timeline = s.time.timeline.clone();
        let n = timeline.len();
        let mut index = CatalogAsOf::new(&full, &timeline).expect("groups in arrival order");
        let mut at = n / 2;
        let mut shown = index.filter(&full, at);
        assert_eq!(shown, plain_filter(&full, &timeline, at), "{trace} at {at}");
        let mut rng = Lcg(7);
        let mut changed_somewhere = false;
        for _ in 0..400 {
            at = match rng.below(4) {
                0 => at.saturating_sub(1),
                1 => (at + 1).min(n),
                2 => rng.below(n + 1),
                _ => [0, n][rng.below(2)],
            };
            changed_somewhere |= index.move_to(&full, &mut shown, at) > 0;
            assert_eq!(shown, plain_filter(&full, &timeline, at), "{trace} at {at}");
        }
        assert!(changed_somewhere, "{trace}: no move changed anything");
    }
}
