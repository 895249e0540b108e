//! What-if on a recording (DESIGN §6): which elements a policy would have kept, which it
//! would have dropped and because of which filter, their bytes as camflowd writes them,
//! and which lineage a selection loses. CamFlow's semantics: a node of a filtered type is
//! not recorded, nor any relation touching it; a relation of a filtered type is not
//! recorded; opaque objects and processes vanish with their relations; with `all=false`
//! only relations touching something tracked are recorded, and tracking spreads from
//! `propagate` objects along information flow, in trace order, except through the
//! propagate filters. Each dropped element is charged to the first filter that drops it,
//! so the per-filter counts add up to the total.

use crate::capture::camflow::w3c_write::{edge_element, node_element};
use crate::graph::selector::Selector;
use crate::graph::store::{EdgeId, NodeId, ObjectId, Origin, ProvGraph};
use crate::graph::value;
use crate::policy::resolve::{group_id, user_id};
use crate::policy::simulate_net::sockets_matching;
use crate::policy::{Filter, NetOp, Policy, Setting, Subject};
use hashbrown::{HashMap, HashSet};
use petgraph::Direction;
use std::collections::VecDeque;

/// The cause charged when `all=false` leaves an element out.
pub const NOT_TRACKED: &str = "all=false (not tracked)";

/// Elements and their bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tally {
    /// Elements.
    pub elements: u64,
    /// Bytes of their W3C JSON text.
    pub bytes: u64,
}

impl Tally {
    fn add(&mut self, bytes: usize) {
        self.elements += 1;
        self.bytes += bytes as u64;
    }
}

/// The verdict of a policy on every element of a graph.
#[derive(Clone, Debug)]
pub struct Simulation {
    /// Causes, by index: the policy's filters (in [`Policy::filters`] order), then
    /// [`NOT_TRACKED`].
    pub causes: Vec<String>,
    /// For every vertex (by index), the cause that drops it, if any.
    pub node_cause: Vec<Option<u32>>,
    /// For every edge (by index), the cause that drops it, if any.
    pub edge_cause: Vec<Option<u32>>,
    /// Things the recording cannot tell (e.g. cgroup rules: traces carry no cgroup).
    pub warnings: Vec<String>,
}

/// Totals of a simulation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Everything the trace defines.
    pub trace: Tally,
    /// What the policy keeps.
    pub kept: Tally,
    /// What it drops.
    pub dropped: Tally,
    /// What each cause drops, in [`Simulation::causes`] order.
    pub per_cause: Vec<Tally>,
}

/// What a selection's lineage loses under a policy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineageLoss {
    /// Vertices reached without the policy.
    pub before: usize,
    /// Vertices reached with it.
    pub after: usize,
    /// Vertices no longer reached: (vertex, hops from the roots, the cause that cut the
    /// path it was reached by).
    pub lost: Vec<(NodeId, usize, u32)>,
}

/// Applies `policy` to `g`.
pub fn simulate(g: &ProvGraph, policy: &Policy) -> Simulation {
    let filters = policy.filters();
    let mut sim = Simulation {
        causes: filters.iter().map(Filter::to_string).collect(),
        node_cause: vec![None; g.node_count()],
        edge_cause: vec![None; g.edge_count()],
        warnings: Vec::new(),
    };
    sim.causes.push(String::from(NOT_TRACKED));
    let not_tracked = (sim.causes.len() - 1) as u32;
    let mut seeds: Vec<(ObjectId, bool)> = Vec::new();
    for (i, filter) in filters.iter().enumerate() {
        let cause = i as u32;
        match filter {
            Filter::Node(t) => {
                for n in g.node_ids().filter(|&n| g.node_kind(n) == t.as_str()) {
                    sim.drop_node(n, cause);
                }
            }
            Filter::Relation(t) => {
                for e in g.edge_ids().filter(|&e| g.edge_kind(e) == t.as_str()) {
                    sim.drop_edge(e, cause);
                }
            }
            Filter::Rule(rule) => {
                let objects = subjects(g, &rule.subject, &mut sim.warnings);
                match rule.setting {
                    Setting::Opaque => {
                        for o in objects {
                            for &n in &g.object(o).versions {
                                sim.drop_node(n, cause);
                            }
                        }
                    }
                    Setting::Track => seeds.extend(objects.into_iter().map(|o| (o, false))),
                    Setting::Propagate => seeds.extend(objects.into_iter().map(|o| (o, true))),
                }
            }
            Filter::Ipv4(rule) => {
                let sockets = sockets_matching(g, rule, &mut sim.warnings);
                let propagate = rule.op == NetOp::Propagate;
                seeds.extend(sockets.into_iter().map(|o| (o, propagate)));
            }
            // Propagate filters only change how tracking spreads (below).
            Filter::PropagateNode(_) | Filter::PropagateRelation(_) => {}
        }
    }
    // Relations touching a dropped vertex go with it, charged to the vertex's cause.
    for e in g.edge_ids() {
        let (a, b) = g.endpoints(e);
        if let Some(c) = sim.node_cause[a.index()].or(sim.node_cause[b.index()]) {
            sim.drop_edge(e, c);
        }
    }
    if policy.track_only() {
        sim.apply_tracking(g, policy, &seeds, not_tracked);
    }
    sim
}

impl Simulation {
    fn drop_node(&mut self, n: NodeId, cause: u32) {
        self.node_cause[n.index()].get_or_insert(cause);
    }

    fn drop_edge(&mut self, e: EdgeId, cause: u32) {
        self.edge_cause[e.index()].get_or_insert(cause);
    }

    /// `all=false`: walks relations in trace order; a relation is kept when either end's
    /// object is tracked at that moment; a propagating sender makes its receiver
    /// tracked and propagating, unless a propagate filter stops it.
    fn apply_tracking(
        &mut self,
        g: &ProvGraph,
        policy: &Policy,
        seeds: &[(ObjectId, bool)],
        cause: u32,
    ) {
        let mut tracked: HashSet<ObjectId> = HashSet::new();
        let mut propagating: HashSet<ObjectId> = HashSet::new();
        for &(o, propagate) in seeds {
            tracked.insert(o);
            if propagate {
                propagating.insert(o);
            }
        }
        let mut order: Vec<EdgeId> = g.edge_ids().filter(|&e| !g.edge(e).derived).collect();
        order.sort_by_key(|&e| g.order_key(e));
        let mut touched: HashSet<NodeId> = HashSet::new();
        for e in order {
            let (a, b) = g.endpoints(e);
            let (oa, ob) = (g.node(a).object, g.node(b).object);
            if self.edge_cause[e.index()].is_some() {
                continue;
            }
            if !(tracked.contains(&oa) || tracked.contains(&ob)) {
                self.drop_edge(e, cause);
                continue;
            }
            touched.insert(a);
            touched.insert(b);
            if propagating.contains(&oa)
                && !policy.propagate_relation_filter.contains(g.edge_kind(e))
                && !policy.propagate_node_filter.contains(g.node_kind(b))
            {
                tracked.insert(ob);
                propagating.insert(ob);
            }
        }
        for n in g.node_ids() {
            if g.node(n).origin == Origin::Defined
                && !touched.contains(&n)
                && !tracked.contains(&g.node(n).object)
            {
                self.drop_node(n, cause);
            }
        }
    }

    /// Counts and bytes, in total and per cause. Only what the trace defines counts
    /// (not dangling ends, not the agents provscope derives).
    pub fn summary(&self, g: &ProvGraph) -> Summary {
        let mut s = Summary {
            per_cause: vec![Tally::default(); self.causes.len()],
            ..Summary::default()
        };
        let mut text = String::new();
        for n in g
            .node_ids()
            .filter(|&n| g.node(n).origin == Origin::Defined)
        {
            text.clear();
            node_element(g, n, &mut text);
            self.count(&mut s, self.node_cause[n.index()], text.len());
        }
        for e in g.edge_ids().filter(|&e| !g.edge(e).derived) {
            text.clear();
            edge_element(g, e, &mut text);
            self.count(&mut s, self.edge_cause[e.index()], text.len());
        }
        s
    }

    fn count(&self, s: &mut Summary, cause: Option<u32>, bytes: usize) {
        s.trace.add(bytes);
        match cause {
            Some(c) => {
                s.dropped.add(bytes);
                s.per_cause[c as usize].add(bytes);
            }
            None => s.kept.add(bytes),
        }
    }

    /// The lineage of `roots` (one way, at most `depth` hops) with and without the
    /// policy, and for each vertex lost, the cause nearest the roots on the path that
    /// reached it.
    pub fn lineage_loss(
        &self,
        g: &ProvGraph,
        roots: &[NodeId],
        dir: Direction,
        depth: usize,
    ) -> LineageLoss {
        let before = walk(g, roots, dir, depth, |_| true);
        let after = walk(g, roots, dir, depth, |e| {
            let (a, b) = g.endpoints(e);
            self.edge_cause[e.index()].is_none()
                && self.node_cause[a.index()].is_none()
                && self.node_cause[b.index()].is_none()
        });
        let mut lost = Vec::new();
        for (&n, &(d, _)) in &before {
            if after.contains_key(&n) {
                continue;
            }
            // Up the path that first reached n, remembering the cut nearest the roots.
            let mut cut = self.node_cause[n.index()];
            let mut at = n;
            while let Some((_, Some(e))) = before.get(&at).copied() {
                let (a, b) = g.endpoints(e);
                let prev = if a == at { b } else { a };
                cut = self.edge_cause[e.index()]
                    .or(self.node_cause[prev.index()])
                    .or(cut);
                at = prev;
            }
            lost.push((n, d, cut.unwrap_or(0)));
        }
        lost.sort_by_key(|&(n, d, _)| (d, n));
        LineageLoss {
            before: before.len(),
            after: after.len(),
            lost,
        }
    }
}

/// Breadth-first over non-derived relations that `keep` allows: each reached vertex
/// with its depth and the relation that reached it first.
fn walk(
    g: &ProvGraph,
    roots: &[NodeId],
    dir: Direction,
    depth: usize,
    keep: impl Fn(EdgeId) -> bool,
) -> HashMap<NodeId, (usize, Option<EdgeId>)> {
    let mut seen: HashMap<NodeId, (usize, Option<EdgeId>)> = HashMap::new();
    let mut queue = VecDeque::new();
    for &r in roots {
        seen.insert(r, (0, None));
        queue.push_back(r);
    }
    while let Some(n) = queue.pop_front() {
        let d = seen[&n].0;
        if d >= depth {
            continue;
        }
        for (e, other) in g.edges_of(n, dir) {
            if g.edge(e).derived || !keep(e) || seen.contains_key(&other) {
                continue;
            }
            seen.insert(other, (d + 1, Some(e)));
            queue.push_back(other);
        }
    }
    seen
}

fn attr_u64(g: &ProvGraph, n: NodeId, name: &str) -> Option<u64> {
    g.node_attr(n, name).and_then(value::json_u64)
}

/// The objects a rule names in a recording.
fn subjects(g: &ProvGraph, subject: &Subject, warnings: &mut Vec<String>) -> Vec<ObjectId> {
    let mut nodes: Vec<NodeId> = match subject {
        Subject::Path(p) => g.select(&Selector::Path(p.clone())),
        Subject::Pid(pid) => {
            let tasks = g.select(&Selector::Pid(u64::from(*pid)));
            let mut out: Vec<NodeId> = tasks.iter().flat_map(|&t| g.process_memory_of(t)).collect();
            out.extend(tasks);
            out
        }
        Subject::User(name) | Subject::Group(name) => {
            let (attr, id) = match subject {
                Subject::User(_) => ("cf:uid", user_id(name)),
                _ => ("cf:gid", group_id(name)),
            };
            let Some(id) = id else {
                warnings.push(format!(
                    "{} {name}: no such name on this machine",
                    subject.section()
                ));
                return Vec::new();
            };
            let memories: Vec<NodeId> = g
                .defined_nodes()
                .filter(|&n| {
                    g.node_kind(n) == "process_memory"
                        && attr_u64(g, n, attr) == Some(u64::from(id))
                })
                .collect();
            let mut out: Vec<NodeId> = memories
                .iter()
                .flat_map(|&m| g.tasks_of_process(m))
                .collect();
            out.extend(memories);
            out
        }
        Subject::SecCtx(ctx) => g
            .defined_nodes()
            .filter(|&n| g.node_attr_text(n, "cf:secctx").as_deref() == Some(ctx.as_str()))
            .collect(),
        Subject::Cgroup(id) => {
            warnings.push(format!(
                "cgroup {id}: recordings carry no cgroup ids, so this rule changes nothing here"
            ));
            Vec::new()
        }
    };
    let mut objects: Vec<ObjectId> = nodes.drain(..).map(|n| g.node(n).object).collect();
    objects.sort_unstable();
    objects.dedup();
    objects
}
