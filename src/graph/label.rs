//! Readable labels instead of base64 ids: a file is its path, a task its command line and
//! pid, a socket its address, a user agent its uid. Labels come from the graph itself
//! (`named` edges from paths and addresses, `arg` edges from argv, attributes), so they
//! work for every CamFlow release. The text is raw trace data: callers that draw it must
//! sanitise it (see `crate::text`).

use crate::graph::family::Family;
use crate::graph::store::{NodeId, ObjectId, ProvGraph};
use crate::graph::value;
use petgraph::Direction;

impl ProvGraph {
    /// A readable label for a vertex (the label of its object, plus its version when the
    /// object has several).
    pub fn node_label(&self, n: NodeId) -> String {
        let object = self.node(n).object;
        let base = self.object_label(object);
        if self.object(object).versions.len() > 1 {
            format!("{base} v{}", self.node(n).version)
        } else {
            base
        }
    }

    /// A readable label for an object.
    pub fn object_label(&self, o: ObjectId) -> String {
        let versions = &self.object(o).versions;
        let Some(&first) = versions.first() else {
            return String::from("(empty)");
        };
        let kind = self.node_kind(first);
        let attr = |name: &str| {
            versions
                .iter()
                .find_map(|&v| self.node_attr_text(v, name))
                .map(|s| s.into_owned())
        };
        match kind {
            "task" => self.task_label(o),
            "process_memory" | "process" => {
                let cmd = self
                    .command_line(o)
                    .unwrap_or_else(|| String::from("process"));
                match attr("cf:tgid").filter(|t| t != "0") {
                    Some(tgid) => format!("{cmd} [tgid {tgid}]"),
                    None => cmd,
                }
            }
            "path" | "file_name" => attr("cf:pathname").unwrap_or_else(|| kind.to_string()),
            "argv" | "envp" => attr("cf:value").unwrap_or_default(),
            "address" => versions
                .iter()
                .find_map(|&v| self.node_attr(v, "cf:address"))
                .map_or_else(|| String::from("address"), address_text),
            "packet" => format!(
                "{} → {}",
                attr("cf:sender").unwrap_or_default(),
                attr("cf:receiver").unwrap_or_default()
            ),
            "machine" => attr("cf:u_nodename")
                .or_else(|| attr("cf:nodename"))
                .unwrap_or_else(|| format!("machine {}", self.object(o).id)),
            "user" => format!("uid {}", attr("cf:uid").unwrap_or_default()),
            "group" => format!("gid {}", attr("cf:gid").unwrap_or_default()),
            "string" => attr("cf:log").unwrap_or_default(),
            _ => self
                .names_of(o)
                .into_iter()
                .next()
                .unwrap_or_else(|| match attr("cf:ino") {
                    Some(ino) => format!("{kind} ino {ino}"),
                    None => format!("{kind} {}", self.object(o).id),
                }),
        }
    }

    /// Names given to an object through `named` edges (paths, addresses), oldest first.
    pub fn names_of(&self, o: ObjectId) -> Vec<String> {
        let mut names = Vec::new();
        for &v in &self.object(o).versions {
            for (e, from) in self.edges_of(v, Direction::Incoming) {
                if self.edge(e).family != Family::Naming {
                    continue;
                }
                let text = match self.node_kind(from) {
                    "address" => self.node_attr(from, "cf:address").map(address_text),
                    _ => self
                        .node_attr_text(from, "cf:pathname")
                        .map(|s| s.into_owned()),
                };
                if let Some(t) = text.filter(|t| !names.contains(t)) {
                    names.push(t);
                }
            }
        }
        names
    }

    /// The command line of a process: its argv in order, else its executable's path, else
    /// (a fork that has not exec'd yet, or a credential change such as setuid, which
    /// CamFlow records as a new process_memory) the command line of the process whose task
    /// created it.
    pub fn command_line(&self, memory: ObjectId) -> Option<String> {
        let mut current = memory;
        // A chain of forks without exec is short; the bound only guards hostile cycles.
        for _ in 0..16 {
            if let Some(own) = self.own_command_line(current) {
                return Some(own);
            }
            current = self.creator_process(current)?;
        }
        None
    }

    fn own_command_line(&self, memory: ObjectId) -> Option<String> {
        let mut args: Vec<(u64, String)> = Vec::new();
        for &v in &self.object(memory).versions {
            for (e, from) in self.edges_of(v, Direction::Incoming) {
                if self.edge_kind(e) != "arg" {
                    continue;
                }
                if let Some(val) = self.node_attr_text(from, "cf:value") {
                    args.push((self.order_key(e).0, val.into_owned()));
                }
            }
        }
        if !args.is_empty() {
            args.sort();
            return Some(
                args.into_iter()
                    .map(|(_, a)| a)
                    .collect::<Vec<_>>()
                    .join(" "),
            );
        }
        self.names_of(memory).into_iter().next()
    }

    /// The process of the task that generated this process_memory's first version
    /// (`clone_mem`, `setuid`, `setgid`...), when that is another process.
    fn creator_process(&self, memory: ObjectId) -> Option<ObjectId> {
        let &first = self.object(memory).versions.first()?;
        self.edges_of(first, Direction::Incoming)
            .filter(|&(e, task)| {
                // A task's memory_write feeds its own process, not a new one.
                let creates =
                    self.edge(e).family != Family::SharedWrite || self.edge_kind(e) == "clone_mem";
                creates && self.node_kind(task) == "task"
            })
            .find_map(|(_, task)| {
                self.process_memory_of(task)
                    .into_iter()
                    .map(|m| self.node(m).object)
                    .find(|&o| o != memory)
            })
    }

    fn task_label(&self, o: ObjectId) -> String {
        let versions = &self.object(o).versions;
        let pid = versions
            .iter()
            .find_map(|&v| self.node_attr(v, "cf:pid").and_then(value::json_u64));
        let name = versions
            .iter()
            .find_map(|&v| self.node_attr_text(v, "cf:name").map(|s| s.into_owned()))
            .or_else(|| {
                // The newest version's process: after an exec the task runs the new program.
                versions.iter().rev().find_map(|&v| {
                    self.process_memory_of(v)
                        .first()
                        .and_then(|&m| self.command_line(self.node(m).object))
                })
            })
            .unwrap_or_else(|| String::from("task"));
        match pid {
            Some(pid) => format!("{name} [pid {pid}]"),
            None => name,
        }
    }
}

/// `host:service`, `path` or the family of a CamFlow address attribute (a nested JSON
/// object in W3C, e.g. `{"type":"AF_INET","host":"10.0.2.3","serv":"domain"}`).
pub fn address_text(json: &str) -> String {
    let Ok(map) = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(json) else {
        return value::display(json).into_owned();
    };
    let get = |k: &str| map.get(k).and_then(|v| v.as_str()).unwrap_or("");
    if !get("path").is_empty() {
        return get("path").to_string();
    }
    let service = [get("serv"), get("service")]
        .into_iter()
        .find(|s| !s.is_empty())
        .unwrap_or("");
    match (get("host"), service) {
        ("", "") => get("type").to_string(),
        (host, "") => host.to_string(),
        (host, service) => format!("{host}:{service}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_read_like_addresses() {
        assert_eq!(
            address_text(r#"{"type":"AF_INET", "host":"10.0.2.3", "serv":"domain"}"#),
            "10.0.2.3:domain"
        );
        assert_eq!(
            address_text(r#"{"type":"AF_UNIX","path":"/run/x"}"#),
            "/run/x"
        );
        assert_eq!(address_text(r#"{"type":"OTHER"}"#), "OTHER");
        assert_eq!(address_text("\"flat\""), "flat");
    }
}
