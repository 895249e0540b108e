//! Capture policies in CamFlow's terms (DESIGN §6): the model of a policy (global
//! switches, node and relation type filters, propagate filters, track / propagate /
//! opaque rules for files, processes, users, groups, cgroups and security contexts, IPv4
//! ingress and egress rules), and the list of individual filters the UI toggles. Loading
//! and saving camflow.ini, applying a policy to a capture or a CamFlow kernel, and the
//! what-if over a recording live in the submodules. Never draws.

pub mod control;
pub mod ini;
pub mod kernel;
pub mod resolve;
pub mod securityfs;
pub mod simulate;
mod simulate_net;
pub mod vocabulary;

use std::collections::BTreeSet;
use std::fmt;
use std::net::Ipv4Addr;

/// What a rule does to what it names (CamFlow's `track`, `propagate`, `opaque`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Setting {
    /// Recorded even when the capture records only tracked things (`all=false`).
    Track,
    /// Tracked, and everything it sends information to becomes tracked too.
    Propagate,
    /// Never recorded, nor anything it takes part in.
    Opaque,
}

impl Setting {
    /// The camflow.ini key.
    pub fn key(self) -> &'static str {
        match self {
            Setting::Track => "track",
            Setting::Propagate => "propagate",
            Setting::Opaque => "opaque",
        }
    }

    fn from_key(key: &str) -> Option<Setting> {
        match key {
            "track" => Some(Setting::Track),
            "propagate" => Some(Setting::Propagate),
            "opaque" => Some(Setting::Opaque),
            _ => None,
        }
    }
}

/// What a rule names.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    /// A file by path (`[file]`).
    Path(String),
    /// A user by name or number (`[user]`).
    User(String),
    /// A group by name or number (`[group]`).
    Group(String),
    /// A security context (`[secctx]`).
    SecCtx(String),
    /// A process by pid (`[process]`, a provscope section: camflow.ini has none).
    Pid(u32),
    /// A cgroup by id (`[cgroup]`, a provscope section; CamFlow's `--track-cgroup`).
    Cgroup(u64),
}

impl Subject {
    /// The camflow.ini section that holds rules on this kind of subject.
    pub fn section(&self) -> &'static str {
        match self {
            Subject::Path(_) => "file",
            Subject::User(_) => "user",
            Subject::Group(_) => "group",
            Subject::SecCtx(_) => "secctx",
            Subject::Pid(_) => "process",
            Subject::Cgroup(_) => "cgroup",
        }
    }

    /// The value as camflow.ini writes it.
    pub fn value(&self) -> String {
        match self {
            Subject::Path(s) | Subject::User(s) | Subject::Group(s) | Subject::SecCtx(s) => {
                s.clone()
            }
            Subject::Pid(p) => p.to_string(),
            Subject::Cgroup(c) => c.to_string(),
        }
    }
}

/// A track / propagate / opaque rule.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rule {
    /// What it names.
    pub subject: Subject,
    /// What it does.
    pub setting: Setting,
}

/// What an IPv4 rule does to a matching connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NetOp {
    /// Track the socket.
    Track,
    /// Track and propagate.
    Propagate,
    /// Track and record packet contents.
    Record,
}

impl NetOp {
    /// The camflow.ini key.
    pub fn key(self) -> &'static str {
        match self {
            NetOp::Track => "track",
            NetOp::Propagate => "propagate",
            NetOp::Record => "record",
        }
    }

    fn from_key(key: &str) -> Option<NetOp> {
        match key {
            "track" => Some(NetOp::Track),
            "propagate" => Some(NetOp::Propagate),
            "record" => Some(NetOp::Record),
            _ => None,
        }
    }
}

/// Which way an IPv4 rule applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NetWay {
    /// On bind (`[ipv4−ingress]`).
    Ingress,
    /// On connect (`[ipv4−egress]`).
    Egress,
}

impl NetWay {
    /// The section name without its minus sign's spelling: `ingress` or `egress`.
    pub fn name(self) -> &'static str {
        match self {
            NetWay::Ingress => "ingress",
            NetWay::Egress => "egress",
        }
    }
}

/// An IPv4 rule: `ip/prefix:port`, port 0 meaning any port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ipv4Rule {
    /// Ingress or egress.
    pub way: NetWay,
    /// The network address.
    pub addr: Ipv4Addr,
    /// Prefix length, 0 to 32.
    pub prefix: u8,
    /// Port (host order); 0 for any.
    pub port: u16,
    /// What to do.
    pub op: NetOp,
}

impl Ipv4Rule {
    /// The netmask of the prefix, host order.
    pub fn mask(&self) -> u32 {
        if self.prefix == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(self.prefix.min(32)))
        }
    }

    /// True when a connection to or from `addr:port` matches.
    pub fn matches(&self, addr: Ipv4Addr, port: u16) -> bool {
        let mask = self.mask();
        (u32::from(addr) & mask) == (u32::from(self.addr) & mask)
            && (self.port == 0 || self.port == port)
    }

    /// `ip/prefix:port`, as camflow.ini writes it.
    pub fn target(&self) -> String {
        format!("{}/{}:{}", self.addr, self.prefix, self.port)
    }

    /// Parses `ip/prefix:port` (`:port` optional, meaning any).
    pub fn parse_target(text: &str) -> Option<(Ipv4Addr, u8, u16)> {
        let (net, port) = match text.rsplit_once(':') {
            Some((net, port)) => (net, port.trim().parse::<u16>().ok()?),
            None => (text, 0),
        };
        let (ip, prefix) = match net.split_once('/') {
            Some((ip, prefix)) => (ip, prefix.trim().parse::<u8>().ok()?),
            None => (net, 32),
        };
        if prefix > 32 {
            return None;
        }
        Some((ip.trim().parse().ok()?, prefix, port))
    }
}

/// `[compression]`: versioning and compression switches (None: left as they are).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Compression {
    /// `version`: create node versions.
    pub version: Option<bool>,
    /// `node`: version only when needed.
    pub node: Option<bool>,
    /// `edge`: skip consecutive identical edges.
    pub edge: Option<bool>,
    /// `duplicate`: re-emit both ends with each edge.
    pub duplicate: Option<bool>,
}

/// `[relay]`: CamFlow's relay buffer geometry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RelayConf {
    /// Sub-buffer size as a power of two.
    pub buff_exp: u32,
    /// Sub-buffers per CPU.
    pub subuf_nb: u32,
}

/// A capture policy. Switches that are `None` were not set and leave the capture as it
/// is: a policy that only lists filters does not turn whole-system capture off.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    /// `machine_id` (0: a random id kept by the machine).
    pub machine_id: Option<u32>,
    /// `enabled`: the master switch.
    pub enabled: Option<bool>,
    /// `all`: record everything (true) or only tracked things (false).
    pub all: Option<bool>,
    /// Node types never recorded (nor the relations that touch them).
    pub node_filter: BTreeSet<String>,
    /// Relation types never recorded.
    pub relation_filter: BTreeSet<String>,
    /// Node types tracking does not propagate through.
    pub propagate_node_filter: BTreeSet<String>,
    /// Relation types tracking does not propagate through.
    pub propagate_relation_filter: BTreeSet<String>,
    /// `[compression]`.
    pub compression: Compression,
    /// Track / propagate / opaque rules, in file order.
    pub rules: Vec<Rule>,
    /// IPv4 ingress and egress rules, in file order.
    pub ipv4: Vec<Ipv4Rule>,
    /// `[relay]`.
    pub relay: Option<RelayConf>,
}

/// One filter of a policy, as the filter panel lists and toggles it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Filter {
    /// `node_filter=TYPE`.
    Node(String),
    /// `relation_filter=TYPE`.
    Relation(String),
    /// `propagate_node_filter=TYPE`.
    PropagateNode(String),
    /// `propagate_relation_filter=TYPE`.
    PropagateRelation(String),
    /// A track / propagate / opaque rule.
    Rule(Rule),
    /// An IPv4 rule.
    Ipv4(Ipv4Rule),
}

impl fmt::Display for Filter {
    /// The filter in camflow.ini words: `relation_filter=read`, `file opaque=/usr/bin/bash`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::Node(t) => write!(f, "node_filter={t}"),
            Filter::Relation(t) => write!(f, "relation_filter={t}"),
            Filter::PropagateNode(t) => write!(f, "propagate_node_filter={t}"),
            Filter::PropagateRelation(t) => write!(f, "propagate_relation_filter={t}"),
            Filter::Rule(r) => write!(
                f,
                "{} {}={}",
                r.subject.section(),
                r.setting.key(),
                r.subject.value()
            ),
            Filter::Ipv4(r) => write!(f, "ipv4-{} {}={}", r.way.name(), r.op.key(), r.target()),
        }
    }
}

impl Filter {
    /// Reads a filter in the words [`Filter`]'s `Display` writes (camflow.ini's):
    /// `relation_filter=read`, `node_filter=envp`, `file opaque=/usr/bin/bash`,
    /// `user track=alice`, `ipv4-egress record=10.0.0.0/8:443`.
    pub fn parse(text: &str) -> Result<Filter, String> {
        let text = text.trim();
        let (section, setting) = match text.split_once(' ') {
            Some((section, setting)) if !section.contains('=') => (section, setting.trim()),
            _ => ("provenance", text),
        };
        let loaded = ini::parse(&format!("[{section}]\n{setting}\n"))
            .map_err(|e| format!("'{text}': {}", e.message))?;
        if let Some(w) = loaded.warnings.first() {
            return Err(format!("'{text}': {w}"));
        }
        let mut filters = loaded.policy.filters();
        match (filters.pop(), filters.is_empty()) {
            (Some(f), true) => Ok(f),
            _ => Err(format!(
                "'{text}' is not a filter (try relation_filter=read, or file opaque=/path)"
            )),
        }
    }
}

impl Policy {
    /// Every filter the policy holds, in a stable order (type filters first).
    pub fn filters(&self) -> Vec<Filter> {
        let mut out: Vec<Filter> = Vec::new();
        out.extend(self.node_filter.iter().cloned().map(Filter::Node));
        out.extend(self.relation_filter.iter().cloned().map(Filter::Relation));
        out.extend(
            self.propagate_node_filter
                .iter()
                .cloned()
                .map(Filter::PropagateNode),
        );
        out.extend(
            self.propagate_relation_filter
                .iter()
                .cloned()
                .map(Filter::PropagateRelation),
        );
        out.extend(self.rules.iter().cloned().map(Filter::Rule));
        out.extend(self.ipv4.iter().copied().map(Filter::Ipv4));
        out
    }

    /// True when the policy holds this filter.
    pub fn has(&self, filter: &Filter) -> bool {
        match filter {
            Filter::Node(t) => self.node_filter.contains(t),
            Filter::Relation(t) => self.relation_filter.contains(t),
            Filter::PropagateNode(t) => self.propagate_node_filter.contains(t),
            Filter::PropagateRelation(t) => self.propagate_relation_filter.contains(t),
            Filter::Rule(r) => self.rules.contains(r),
            Filter::Ipv4(r) => self.ipv4.contains(r),
        }
    }

    /// Adds a filter (no change when it is already there).
    pub fn insert(&mut self, filter: Filter) {
        match filter {
            Filter::Node(t) => {
                self.node_filter.insert(t);
            }
            Filter::Relation(t) => {
                self.relation_filter.insert(t);
            }
            Filter::PropagateNode(t) => {
                self.propagate_node_filter.insert(t);
            }
            Filter::PropagateRelation(t) => {
                self.propagate_relation_filter.insert(t);
            }
            Filter::Rule(r) => {
                if !self.rules.contains(&r) {
                    self.rules.push(r);
                }
            }
            Filter::Ipv4(r) => {
                if !self.ipv4.contains(&r) {
                    self.ipv4.push(r);
                }
            }
        }
    }

    /// Removes a filter (no change when it is absent).
    pub fn remove(&mut self, filter: &Filter) {
        match filter {
            Filter::Node(t) => {
                self.node_filter.remove(t);
            }
            Filter::Relation(t) => {
                self.relation_filter.remove(t);
            }
            Filter::PropagateNode(t) => {
                self.propagate_node_filter.remove(t);
            }
            Filter::PropagateRelation(t) => {
                self.propagate_relation_filter.remove(t);
            }
            Filter::Rule(r) => self.rules.retain(|x| x != r),
            Filter::Ipv4(r) => self.ipv4.retain(|x| x != r),
        }
    }

    /// Only tracked things are recorded (`all=false`).
    pub fn track_only(&self) -> bool {
        self.all == Some(false)
    }

    /// A short fingerprint of the policy (FNV-1a of its camflow.ini text), shown in the
    /// status bar so that two screens can tell whether they run the same policy.
    pub fn fingerprint(&self) -> String {
        let text = ini::to_string(self);
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in text.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        format!("{:08x}", (h >> 32) ^ (h & 0xffff_ffff))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_read_back_what_they_display() {
        for text in [
            "relation_filter=read",
            "node_filter=envp",
            "propagate_relation_filter=write",
            "file opaque=/usr/bin/bash",
            "user track=root",
            "ipv4-egress record=10.0.0.0/8:443",
        ] {
            let filter = Filter::parse(text).unwrap();
            assert_eq!(filter.to_string(), text);
        }
        for bad in ["", "read", "nonsense=1", "[x] y=z", "weird opaque=/x"] {
            assert!(Filter::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ipv4_rules_match_by_prefix_and_port() {
        let (addr, prefix, port) = Ipv4Rule::parse_target("10.0.0.0/8:80").unwrap();
        let rule = Ipv4Rule {
            way: NetWay::Egress,
            addr,
            prefix,
            port,
            op: NetOp::Track,
        };
        assert!(rule.matches(Ipv4Addr::new(10, 2, 3, 4), 80));
        assert!(!rule.matches(Ipv4Addr::new(10, 2, 3, 4), 81));
        assert!(!rule.matches(Ipv4Addr::new(11, 2, 3, 4), 80));
        let any = Ipv4Rule {
            prefix: 0,
            port: 0,
            ..rule
        };
        assert!(any.matches(Ipv4Addr::new(192, 168, 1, 1), 9));
        assert_eq!(rule.target(), "10.0.0.0/8:80");
        assert_eq!(Ipv4Rule::parse_target("1.2.3.4/33:1"), None);
        assert_eq!(
            Ipv4Rule::parse_target("1.2.3.4"),
            Some(([1, 2, 3, 4].into(), 32, 0))
        );
    }

    #[test]
    fn filters_toggle() {
        let mut p = Policy::default();
        let read = Filter::Relation(String::from("read"));
        assert!(!p.has(&read));
        let before = p.fingerprint();
        p.insert(read.clone());
        p.insert(read.clone());
        assert_eq!(p.filters(), vec![read.clone()]);
        assert_ne!(p.fingerprint(), before);
        p.remove(&read);
        assert!(p.filters().is_empty());
        assert_eq!(p.fingerprint(), before);
        let rule = Filter::Rule(Rule {
            subject: Subject::Path(String::from("/usr/bin/bash")),
            setting: Setting::Opaque,
        });
        assert_eq!(rule.to_string(), "file opaque=/usr/bin/bash");
    }
}
