//! How `bench gen-trace` joins its copies into one connected graph. Without links, every
//! copy of the sample is an island, and a lineage walk never leaves the copy it starts in,
//! which is not what a long recording of one machine looks like. With links, the sample's
//! files and directories are the same objects in every copy (as they would be on a disk
//! that each run of the workload finds where the previous run left it): their identifiers
//! keep their boot id and move their version instead, and each copy opens with
//! `version_entity` relations from the previous copy's last version of each file to its own
//! first one. Information then flows from copy to copy through the files, so backward and
//! forward walks run as deep as their budgets allow.

use crate::capture::builder::element::{Section, Stamp, relation};
use crate::capture::builder::host::Host;
use crate::graph::ElementKey;
use crate::graph::identifier::IdentifierFields;
use hashbrown::{HashMap, HashSet};

/// Entity types whose objects persist from copy to copy.
const PERSISTENT: [&str; 2] = ["file", "directory"];

/// One persistent object of the sample: its identity and the versions the sample defines.
#[derive(Clone, Copy, Debug)]
struct Persistent {
    fields: IdentifierFields,
    first: u32,
    last: u32,
}

/// What the copies share, found in the sample.
#[derive(Debug, Default)]
pub struct Links {
    /// Type codes (the identifier's first field) of persistent entities.
    kinds: HashSet<u64>,
    objects: Vec<Persistent>,
    /// How far each copy moves the versions of persistent objects: past the sample's
    /// highest version, so copies never define the same version twice.
    version_step: u32,
    /// The sample's highest relation id; link relation ids start above it.
    last_relation_id: u64,
    date: String,
    jiffies: u64,
}

impl Links {
    /// Finds the persistent objects of a W3C sample (lines that are not W3C documents are
    /// passed over: they get no links, and are copied as they are).
    pub fn scan(lines: &[&str]) -> Links {
        let mut links = Links::default();
        let mut versions: HashMap<(u64, u64, u32, u32), (u32, u32)> = HashMap::new();
        let mut highest_version = 0u32;
        for line in lines {
            let Ok(serde_json::Value::Object(doc)) = serde_json::from_str(line) else {
                continue;
            };
            for (section, elements) in &doc {
                let Some(elements) = elements.as_object() else {
                    continue;
                };
                let is_node = matches!(section.as_str(), "entity" | "activity" | "agent");
                for (key, attrs) in elements {
                    if !is_node {
                        let id = attrs.get("cf:id").and_then(number).unwrap_or(0);
                        links.last_relation_id = links.last_relation_id.max(id);
                        continue;
                    }
                    let Some(f) = ElementKey::parse(key).fields() else {
                        continue;
                    };
                    highest_version = highest_version.max(f.version);
                    if links.date.is_empty() {
                        links.date = text(attrs, "cf:date");
                        links.jiffies = attrs.get("cf:jiffies").and_then(number).unwrap_or(0);
                    }
                    let kind = attrs.get("prov:type").and_then(|t| t.as_str());
                    if section == "entity" && kind.is_some_and(|k| PERSISTENT.contains(&k)) {
                        links.kinds.insert(f.kind);
                        let span = versions
                            .entry((f.kind, f.id, f.boot_id, f.machine_id))
                            .or_insert((f.version, f.version));
                        span.0 = span.0.min(f.version);
                        span.1 = span.1.max(f.version);
                    }
                }
            }
        }
        links.version_step = highest_version.saturating_add(1);
        let mut objects: Vec<Persistent> = versions
            .into_iter()
            .map(
                |((kind, id, boot_id, machine_id), (first, last))| Persistent {
                    fields: IdentifierFields {
                        kind,
                        id,
                        boot_id,
                        machine_id,
                        version: 0,
                    },
                    first,
                    last,
                },
            )
            .collect();
        // Hash order would make two runs write different files.
        objects.sort_by_key(|o| (o.fields.kind, o.fields.id, o.fields.boot_id));
        links.objects = objects;
        links
    }

    /// How many objects each copy shares with the previous one.
    pub fn shared_objects(&self) -> usize {
        self.objects.len()
    }

    /// True when a non-relation identifier of this type persists across copies.
    pub fn persists(&self, fields: &IdentifierFields) -> bool {
        !fields.is_relation() && self.kinds.contains(&fields.kind)
    }

    /// How far copy `copy` moves the versions of persistent objects.
    pub fn version_shift(&self, copy: u32) -> u32 {
        copy.wrapping_mul(self.version_step)
    }

    /// The W3C document that opens copy `copy` (from 1): one `version_entity` per persistent
    /// object, from the previous copy's last version to this copy's first. `relation_base`
    /// is where this copy's relation ids start (the sample's ids move by it).
    pub fn bridge(&self, copy: u32, relation_base: u64) -> Option<String> {
        if copy == 0 || self.objects.is_empty() {
            return None;
        }
        let stamp = Stamp {
            date: self.date.clone(),
            jiffies: self.jiffies.wrapping_add(relation_base),
        };
        let mut doc = String::from(
            r#"{"prefix":{"prov":"http://www.w3.org/ns/prov","cf":"http://www.camflow.org"},"wasDerivedFrom":{"#,
        );
        for (i, o) in self.objects.iter().enumerate() {
            let host = Host {
                machine_id: o.fields.machine_id,
                boot_id: o.fields.boot_id,
                uname: Vec::new(),
            };
            let version_key = |version: u32| {
                let f = IdentifierFields {
                    version,
                    ..o.fields
                };
                format!("cf:{}", ElementKey::Binary(f.encode()).to_text())
            };
            let from = version_key(o.last.wrapping_add(self.version_shift(copy - 1)));
            let to = version_key(o.first.wrapping_add(self.version_shift(copy)));
            let id = relation_base + self.last_relation_id + 1 + i as u64;
            if i > 0 {
                doc.push(',');
            }
            doc.push_str(
                &relation(
                    &host,
                    &stamp,
                    Section::WasDerivedFrom,
                    "version_entity",
                    id,
                    &from,
                    &to,
                    0,
                )
                .text(),
            );
        }
        doc.push_str("}}");
        Some(doc)
    }

    /// True when link relation ids stay below the next copy's: `step` is how far each copy
    /// moves relation ids.
    pub fn fits(&self, step: u64) -> bool {
        self.last_relation_id + 1 + (self.objects.len() as u64) < step
    }
}

/// A number written as JSON number or as a decimal string (camflowd writes both).
fn number(v: &serde_json::Value) -> Option<u64> {
    v.as_u64().or_else(|| v.as_str()?.parse().ok())
}

fn text(attrs: &serde_json::Value, name: &str) -> String {
    attrs
        .get(name)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string()
}
