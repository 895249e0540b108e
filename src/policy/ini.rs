//! camflow.ini, read and written (reference §5.4). Reading follows camconfd's ini parser:
//! `[section]` headers, `key=value` (or `key: value`) lines, `;` and `#` comments, `;`
//! after a blank as an inline comment, repeatable keys. Section names are matched with
//! either minus sign: camconfd only knows `[ipv4−egress]` with U+2212, while
//! `camflow -c` prints an ASCII `[ipv4-egress]`; both load here. Writing uses U+2212 so
//! that camconfd reads the file back. `[process]` and `[cgroup]` are provscope's own
//! sections (camconfd ignores them). Unknown sections and keys are kept as warnings with
//! their line numbers, never dropped silently; a malformed line or value is an error.

use crate::policy::vocabulary::{is_node_type, relation_category};
use crate::policy::{
    Compression, Ipv4Rule, NetOp, NetWay, Policy, RelayConf, Rule, Setting, Subject,
};
use std::fmt::Write as _;

/// U+2212 MINUS SIGN, as camconfd spells the ipv4 section names.
const MINUS: char = '\u{2212}';

/// A line camflow.ini cannot be read past.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct IniError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
}

/// A policy read from camflow.ini, with what was not understood.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Loaded {
    /// The policy.
    pub policy: Policy,
    /// Lines that were skipped or are suspicious, e.g. `line 9: unknown section [foo]`.
    pub warnings: Vec<String>,
}

fn error(line: usize, message: impl Into<String>) -> IniError {
    IniError {
        line,
        message: message.into(),
    }
}

fn parse_bool(line: usize, key: &str, value: &str) -> Result<bool, IniError> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Ok(true),
        "false" | "no" | "off" | "0" => Ok(false),
        _ => Err(error(
            line,
            format!("{key}: expected true or false, found '{value}'"),
        )),
    }
}

fn parse_number<T: std::str::FromStr>(line: usize, key: &str, value: &str) -> Result<T, IniError> {
    value
        .parse()
        .map_err(|_| error(line, format!("{key}: expected a number, found '{value}'")))
}

/// The section name with either minus spelled `-`, lower case.
fn normal_section(name: &str) -> String {
    name.trim().replace(MINUS, "-").to_ascii_lowercase()
}

/// Removes an inline comment: `;` or `#` after a blank.
fn strip_inline_comment(value: &str) -> &str {
    let bytes = value.as_bytes();
    for i in 1..bytes.len() {
        if (bytes[i] == b';' || bytes[i] == b'#') && bytes[i - 1].is_ascii_whitespace() {
            return value[..i].trim_end();
        }
    }
    value
}

/// Reads camflow.ini text.
pub fn parse(text: &str) -> Result<Loaded, IniError> {
    let mut loaded = Loaded::default();
    let mut section = String::new();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with(';') || trimmed.starts_with('#') {
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix('[') {
            let Some(name) = rest.strip_suffix(']') else {
                return Err(error(
                    line,
                    format!("section header without ']': {trimmed}"),
                ));
            };
            section = normal_section(name);
            if !KNOWN_SECTIONS.contains(&section.as_str()) {
                loaded.warnings.push(format!(
                    "line {line}: unknown section [{}], skipped",
                    name.trim()
                ));
            }
            continue;
        }
        let Some(at) = trimmed.find(['=', ':']) else {
            return Err(error(
                line,
                format!("expected key=value, found '{trimmed}'"),
            ));
        };
        let key = trimmed[..at].trim().to_ascii_lowercase();
        let value = strip_inline_comment(trimmed[at + 1..].trim());
        if section.is_empty() {
            return Err(error(line, format!("'{key}' comes before any [section]")));
        }
        apply(&mut loaded, &section, &key, value, line)?;
    }
    Ok(loaded)
}

const KNOWN_SECTIONS: [&str; 11] = [
    "provenance",
    "compression",
    "file",
    "ipv4-ingress",
    "ipv4-egress",
    "user",
    "group",
    "secctx",
    "relay",
    "process",
    "cgroup",
];

fn type_filter(loaded: &mut Loaded, line: usize, key: &str, value: &str, node: bool) {
    let known = if node {
        is_node_type(value)
    } else {
        relation_category(value).is_some()
    };
    if !known {
        loaded.warnings.push(format!(
            "line {line}: {key}={value}: CamFlow has no {} type of that name",
            if node { "node" } else { "relation" }
        ));
    }
    let p = &mut loaded.policy;
    let set = match (key, node) {
        ("node_filter", _) => &mut p.node_filter,
        ("relation_filter", _) => &mut p.relation_filter,
        ("propagate_node_filter", _) => &mut p.propagate_node_filter,
        _ => &mut p.propagate_relation_filter,
    };
    set.insert(value.to_string());
}

fn apply(
    loaded: &mut Loaded,
    section: &str,
    key: &str,
    value: &str,
    line: usize,
) -> Result<(), IniError> {
    let unknown_key = |loaded: &mut Loaded| {
        loaded.warnings.push(format!(
            "line {line}: unknown key '{key}' in [{section}], skipped"
        ));
    };
    match section {
        "provenance" => match key {
            "machine_id" => loaded.policy.machine_id = Some(parse_number(line, key, value)?),
            "enabled" => loaded.policy.enabled = Some(parse_bool(line, key, value)?),
            "all" => loaded.policy.all = Some(parse_bool(line, key, value)?),
            "node_filter" | "propagate_node_filter" => type_filter(loaded, line, key, value, true),
            "relation_filter" | "propagate_relation_filter" => {
                type_filter(loaded, line, key, value, false)
            }
            _ => unknown_key(loaded),
        },
        "compression" => {
            let c: &mut Compression = &mut loaded.policy.compression;
            let slot = match key {
                "version" => &mut c.version,
                "node" => &mut c.node,
                "edge" => &mut c.edge,
                "duplicate" => &mut c.duplicate,
                _ => {
                    unknown_key(loaded);
                    return Ok(());
                }
            };
            *slot = Some(parse_bool(line, key, value)?);
        }
        "file" | "user" | "group" | "secctx" | "process" | "cgroup" => {
            let Some(setting) = Setting::from_key(key) else {
                unknown_key(loaded);
                return Ok(());
            };
            if value.is_empty() {
                return Err(error(line, format!("{key}: empty value")));
            }
            let subject = match section {
                "file" => Subject::Path(value.to_string()),
                "user" => Subject::User(value.to_string()),
                "group" => Subject::Group(value.to_string()),
                "secctx" => Subject::SecCtx(value.to_string()),
                "process" => Subject::Pid(parse_number(line, key, value)?),
                _ => Subject::Cgroup(parse_number(line, key, value)?),
            };
            let rule = Rule { subject, setting };
            if !loaded.policy.rules.contains(&rule) {
                loaded.policy.rules.push(rule);
            }
        }
        "ipv4-ingress" | "ipv4-egress" => {
            let Some(op) = NetOp::from_key(key) else {
                unknown_key(loaded);
                return Ok(());
            };
            let (addr, prefix, port) = Ipv4Rule::parse_target(value).ok_or_else(|| {
                error(
                    line,
                    format!("{key}: expected ip/prefix:port, found '{value}'"),
                )
            })?;
            let way = if section == "ipv4-ingress" {
                NetWay::Ingress
            } else {
                NetWay::Egress
            };
            let rule = Ipv4Rule {
                way,
                addr,
                prefix,
                port,
                op,
            };
            if !loaded.policy.ipv4.contains(&rule) {
                loaded.policy.ipv4.push(rule);
            }
        }
        "relay" => {
            let relay = loaded.policy.relay.get_or_insert(RelayConf {
                buff_exp: 20,
                subuf_nb: 8,
            });
            match key {
                "buff_exp" => relay.buff_exp = parse_number(line, key, value)?,
                "subuf_nb" => relay.subuf_nb = parse_number(line, key, value)?,
                _ => unknown_key(loaded),
            }
        }
        // Unknown sections were reported once, at their header.
        _ => {}
    }
    Ok(())
}

fn bool_line(out: &mut String, key: &str, value: Option<bool>) {
    if let Some(v) = value {
        let _ = writeln!(out, "{key}={v}");
    }
}

/// Writes a policy as camflow.ini text that camconfd and [`parse`] both read.
pub fn to_string(p: &Policy) -> String {
    let mut out = String::from("; capture policy written by provscope (camflow.ini syntax)\n");
    out.push_str("[provenance]\n");
    if let Some(id) = p.machine_id {
        let _ = writeln!(out, "machine_id={id}");
    }
    bool_line(&mut out, "enabled", p.enabled);
    bool_line(&mut out, "all", p.all);
    for (key, set) in [
        ("node_filter", &p.node_filter),
        ("relation_filter", &p.relation_filter),
        ("propagate_node_filter", &p.propagate_node_filter),
        ("propagate_relation_filter", &p.propagate_relation_filter),
    ] {
        for t in set {
            let _ = writeln!(out, "{key}={t}");
        }
    }
    let c = p.compression;
    if c != Compression::default() {
        out.push_str("[compression]\n");
        bool_line(&mut out, "version", c.version);
        bool_line(&mut out, "node", c.node);
        bool_line(&mut out, "edge", c.edge);
        bool_line(&mut out, "duplicate", c.duplicate);
    }
    let rules_in = |out: &mut String, section: &str| {
        let mut first = true;
        for r in p.rules.iter().filter(|r| r.subject.section() == section) {
            if first {
                let _ = writeln!(out, "[{section}]");
                first = false;
            }
            let _ = writeln!(out, "{}={}", r.setting.key(), r.subject.value());
        }
    };
    rules_in(&mut out, "file");
    for way in [NetWay::Ingress, NetWay::Egress] {
        let mut first = true;
        for r in p.ipv4.iter().filter(|r| r.way == way) {
            if first {
                let _ = writeln!(out, "[ipv4{MINUS}{}]", way.name());
                first = false;
            }
            let _ = writeln!(out, "{}={}", r.op.key(), r.target());
        }
    }
    for section in ["user", "group", "secctx"] {
        rules_in(&mut out, section);
    }
    if let Some(r) = p.relay {
        let _ = writeln!(
            out,
            "[relay]\nbuff_exp={}\nsubuf_nb={}",
            r.buff_exp, r.subuf_nb
        );
    }
    for section in ["process", "cgroup"] {
        rules_in(&mut out, section);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    /// camflow.ini as CamFlow ships it (cut down, reference §5.4), with the U+2212
    /// section names the shipped file uses.
    const SHIPPED: &str = "[provenance]\n\
        ;unique identifier for the machine, use hostid if set to 0\n\
        machine_id=0\n\
        enabled=true\n\
        all=false\n\
        node_filter=directory\n\
        node_filter=inode_unknown\n\
        node_filter=char\n\
        node_filter=envp\n\
        propagate_node_filter=directory\n\
        relation_filter=sh_read\n\
        [compression]\n\
        version=true\n\
        node=true\n\
        edge=true\n\
        duplicate=false\n\
        [file]\n\
        opaque=/usr/bin/bash\n\
        track=/home/thomas/test.o\n\
        [ipv4\u{2212}egress]\n\
        propagate=0.0.0.0/0:80\n\
        record=10.0.0.0/8:443\n\
        [user]\n\
        track=vagrant\n\
        [relay]\n\
        buff_exp=20\n\
        subuf_nb=8\n";

    #[test]
    fn reads_the_shipped_file() {
        let loaded = parse(SHIPPED).unwrap();
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        let p = loaded.policy;
        assert_eq!(p.machine_id, Some(0));
        assert_eq!((p.enabled, p.all), (Some(true), Some(false)));
        assert!(p.track_only());
        assert_eq!(
            p.node_filter.iter().map(String::as_str).collect::<Vec<_>>(),
            ["char", "directory", "envp", "inode_unknown"]
        );
        assert!(p.relation_filter.contains("sh_read"));
        assert_eq!(p.compression.duplicate, Some(false));
        assert_eq!(p.rules.len(), 3);
        assert_eq!(
            p.rules[0],
            Rule {
                subject: Subject::Path(String::from("/usr/bin/bash")),
                setting: Setting::Opaque
            }
        );
        assert_eq!(p.ipv4.len(), 2);
        assert_eq!(p.ipv4[0].way, NetWay::Egress);
        assert_eq!(p.ipv4[0].op, NetOp::Propagate);
        assert_eq!(p.ipv4[1].addr, Ipv4Addr::new(10, 0, 0, 0));
        assert_eq!(p.ipv4[1].prefix, 8);
        assert_eq!(p.ipv4[1].port, 443);
        assert_eq!(
            p.relay,
            Some(RelayConf {
                buff_exp: 20,
                subuf_nb: 8
            })
        );
    }

    #[test]
    fn both_minus_signs_name_the_same_section() {
        let ascii = parse("[ipv4-ingress]\ntrack=127.0.0.1/32:8080\n").unwrap();
        let unicode = parse("[ipv4\u{2212}ingress]\ntrack=127.0.0.1/32:8080\n").unwrap();
        assert_eq!(ascii, unicode);
        assert_eq!(ascii.policy.ipv4[0].way, NetWay::Ingress);
        assert!(ascii.warnings.is_empty());
    }

    #[test]
    fn writes_what_camconfd_and_this_reader_read() {
        let p = parse(SHIPPED).unwrap().policy;
        let text = to_string(&p);
        assert!(text.contains("[ipv4\u{2212}egress]\n"), "{text}");
        assert!(!text.contains("[ipv4-egress]"));
        let again = parse(&text).unwrap();
        assert!(again.warnings.is_empty());
        assert_eq!(again.policy, p);
        assert_eq!(to_string(&again.policy), text);
    }

    #[test]
    fn unknown_lines_are_reported_not_dropped_silently() {
        let loaded =
            parse("[provenance]\nall=true\nnode_filter=no_such_type\nfrobnicate=1\n[weird]\nx=1\n")
                .unwrap();
        assert_eq!(loaded.policy.all, Some(true));
        assert_eq!(loaded.warnings.len(), 3, "{:?}", loaded.warnings);
        assert!(loaded.warnings[0].starts_with("line 3:"));
        assert!(loaded.warnings[1].contains("frobnicate"));
        assert!(loaded.warnings[2].contains("[weird]"));
    }

    #[test]
    fn malformed_lines_are_errors_with_their_line() {
        assert_eq!(parse("[provenance]\nall=maybe\n").unwrap_err().line, 2);
        assert_eq!(parse("[file\n").unwrap_err().line, 1);
        assert_eq!(parse("all=true\n").unwrap_err().line, 1);
        assert_eq!(parse("[provenance]\n\nnonsense\n").unwrap_err().line, 3);
        let e = parse("[ipv4-egress]\ntrack=300.1.1.1/8:80\n").unwrap_err();
        assert!(e.message.contains("ip/prefix:port"), "{e}");
        assert!(parse("[process]\nopaque=abc\n").is_err());
    }

    #[test]
    fn comments_bom_and_colons() {
        let loaded = parse(
            "\u{feff}# comment\n[provenance]\nall : true ; inline\n[file]\nopaque=/tmp/a;b\n",
        )
        .unwrap();
        assert_eq!(loaded.policy.all, Some(true));
        assert_eq!(
            loaded.policy.rules[0].subject,
            Subject::Path(String::from("/tmp/a;b"))
        );
    }

    #[test]
    fn provscope_sections_round_trip() {
        let text = "[process]\nopaque=1234\n[cgroup]\ntrack=42\n";
        let p = parse(text).unwrap().policy;
        assert_eq!(p.rules[0].subject, Subject::Pid(1234));
        assert_eq!(p.rules[1].subject, Subject::Cgroup(42));
        assert_eq!(parse(&to_string(&p)).unwrap().policy, p);
    }
}
