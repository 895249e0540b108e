//! `apply` and `change` against a temporary directory laid out like CamFlow's securityfs
//! (regular files, a [`TypeTable`] for the `type` file), checking the exact bytes each
//! control file received.

use std::fs;
use std::path::Path;

use super::*;
use crate::policy::{
    Compression, Filter, Ipv4Rule, NetOp, NetWay, Policy, RelayConf, Rule, Setting, Subject,
};

const FILES: [&str; 28] = [
    "enable",
    "all",
    "should_version",
    "compress_node",
    "compress_edge",
    "duplicate",
    "type",
    "relay_conf",
    "boot_id",
    "machine_id",
    "node_filter",
    "derived_filter",
    "generated_filter",
    "used_filter",
    "informed_filter",
    "propagate_node_filter",
    "propagate_derived_filter",
    "propagate_generated_filter",
    "propagate_used_filter",
    "propagate_informed_filter",
    "process",
    "ipv4_ingress",
    "ipv4_egress",
    "secctx",
    "secctx_filter",
    "uid",
    "gid",
    "ns",
];

fn securityfs() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in FILES {
        fs::write(dir.path().join(name), b"").unwrap();
    }
    dir
}

/// Empties every control file, so that a test sees only what the next call writes.
fn reset(dir: &Path) {
    for name in FILES {
        fs::write(dir.join(name), b"").unwrap();
    }
}

fn table() -> TypeTable {
    TypeTable::new()
        .node("envp", 0x2000_0000_0040_0000)
        .relation("read", 0x8020_0000_0000_0001)
        .relation("named", 0x8080_0000_0000_0001)
        .relation("write", 0x8040_0000_0000_0020)
        .relation("clone", 0x8010_0000_0000_0001)
}

fn open(dir: &Path) -> SecurityFs {
    SecurityFs::open(dir).unwrap().with_type_table(table())
}

fn bytes(dir: &Path, name: &str) -> Vec<u8> {
    fs::read(dir.join(name)).unwrap()
}

/// Every control file that received something.
fn touched(dir: &Path) -> Vec<&'static str> {
    FILES
        .into_iter()
        .filter(|f| !bytes(dir, f).is_empty())
        .collect()
}

fn rule(subject: Subject, setting: Setting) -> Rule {
    Rule { subject, setting }
}

fn policy() -> Policy {
    let mut p = Policy {
        enabled: Some(true),
        all: Some(false),
        compression: Compression {
            node: Some(true),
            ..Compression::default()
        },
        relay: Some(RelayConf {
            buff_exp: 20,
            subuf_nb: 8,
        }),
        ..Policy::default()
    };
    p.node_filter.insert("envp".into());
    p.relation_filter.insert("read".into());
    p.relation_filter.insert("named".into());
    p.propagate_relation_filter.insert("write".into());
    p.rules
        .push(rule(Subject::User("root".into()), Setting::Track));
    p.rules
        .push(rule(Subject::Group("0".into()), Setting::Opaque));
    p.rules.push(rule(
        Subject::SecCtx("system_u:object_r:bin_t:s0".into()),
        Setting::Propagate,
    ));
    p.rules.push(rule(Subject::Pid(4242), Setting::Propagate));
    p.rules
        .push(rule(Subject::Cgroup(4_026_531_835), Setting::Track));
    for (way, addr, prefix, port, op) in [
        (NetWay::Egress, [10, 0, 0, 0], 8, 80, NetOp::Record),
        (NetWay::Ingress, [0, 0, 0, 0], 0, 0, NetOp::Propagate),
    ] {
        let addr = addr.into();
        p.ipv4.push(Ipv4Rule {
            way,
            addr,
            prefix,
            port,
            op,
        });
    }
    p
}

/// A 24-byte `prov_filter` with `SUBTYPE_MASK`, written out by hand.
fn filter_bytes(id: [u8; 8], add: u8) -> Vec<u8> {
    let mut b = id.to_vec();
    b.extend([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00]);
    b.extend([add, 0, 0, 0, 0, 0, 0, 0]);
    b
}

#[test]
fn open_checks_the_layout() {
    let dir = tempfile::tempdir().unwrap();
    let err = SecurityFs::open(dir.path()).unwrap_err().to_string();
    assert!(
        err.ends_with("no control file `enable`; is this a CamFlow kernel?"),
        "{err}"
    );
    let err = SecurityFs::open(dir.path().join("nope"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("no such directory"), "{err}");
}

#[test]
fn apply_writes_the_exact_structs() {
    let dir = securityfs();
    let fs = open(dir.path()).with_relay_ids(RelayIds {
        boot_id: 2,
        machine_id: 0xdead_beef,
    });
    let applied = fs.apply(&policy()).unwrap();
    let d = dir.path();
    assert_eq!(
        bytes(d, "relay_conf"),
        [2, 0, 0, 0, 0xef, 0xbe, 0xad, 0xde, 20, 0, 0, 0, 8, 0, 0, 0]
    );
    for (file, id) in [
        (
            "node_filter",
            [0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x20],
        ),
        ("used_filter", [0x01, 0, 0, 0, 0, 0, 0x20, 0x80]),
        ("derived_filter", [0x01, 0, 0, 0, 0, 0, 0x80, 0x80]),
        (
            "propagate_generated_filter",
            [0x20, 0, 0, 0, 0, 0, 0x40, 0x80],
        ),
    ] {
        assert_eq!(bytes(d, file), filter_bytes(id, 1), "{file}");
    }
    for (file, op) in [("uid", 0x01), ("gid", 0x02)] {
        let want = [0, 0, 0, 0, op, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(bytes(d, file), want, "{file}");
    }
    let mut ingress = vec![0u8; 24];
    ingress[10] = 0x05;
    assert_eq!(bytes(d, "ipv4_ingress"), ingress);
    let egress: [u8; 24] = [
        10, 0, 0, 0, 0xff, 0, 0, 0, 0x00, 0x50, 0x21, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    assert_eq!(bytes(d, "ipv4_egress"), egress);
    let secctx = bytes(d, "secctx_filter");
    assert_eq!(secctx.len(), 4120);
    assert_eq!(&secctx[4..30], b"system_u:object_r:bin_t:s0");
    assert_eq!(secctx[4100..4105], [26, 0, 0, 0, 0x05]);
    assert!(secctx[..4].iter().chain(&secctx[30..4100]).all(|b| *b == 0));
    let process = bytes(d, "process");
    assert_eq!(process.len(), 264);
    assert_eq!(process[40..44], [0x05, 0, 0, 0]); // tracked | propagate
    assert_eq!(process[256..264], [0x05, 0, 0, 0, 0x92, 0x10, 0, 0]); // op, vpid 4242
    let mut ns = vec![0u8; 40];
    ns[20..25].copy_from_slice(&[0xfb, 0xff, 0xff, 0xef, 0x01]); // 4026531835, TRACKED
    assert_eq!(bytes(d, "ns"), ns);
    assert_eq!(bytes(d, "enable"), b"1\0");
    assert_eq!(bytes(d, "all"), b"0\0");
    assert_eq!(bytes(d, "compress_node"), b"1\0");
    for untouched in [
        "should_version",
        "compress_edge",
        "duplicate",
        "informed_filter",
    ] {
        assert!(bytes(d, untouched).is_empty(), "{untouched}");
    }
    // camconfd's order: relay_conf first, the switches last.
    let order: Vec<_> = applied
        .written
        .iter()
        .map(|w| w.path.file_name().unwrap().to_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        order,
        [
            "relay_conf",
            "node_filter",
            "derived_filter",
            "used_filter",
            "propagate_generated_filter",
            "uid",
            "gid",
            "ipv4_ingress",
            "ipv4_egress",
            "secctx_filter",
            "process",
            "ns",
            "enable",
            "all",
            "compress_node",
        ]
    );
    assert_eq!(applied.written[3].what, "add read (0x8020000000000001)");
    assert!(applied.notes.is_empty(), "{:?}", applied.notes);
}

#[test]
fn a_configured_relay_is_left_alone() {
    let dir = securityfs();
    fs::write(dir.path().join("boot_id"), [3, 0, 0, 0]).unwrap();
    let p = Policy {
        relay: Some(RelayConf {
            buff_exp: 20,
            subuf_nb: 8,
        }),
        ..Policy::default()
    };
    let applied = open(dir.path()).apply(&p).unwrap();
    assert!(applied.written.is_empty());
    assert!(applied.notes[0].contains("already configured (boot_id 3, machine_id 0)"));
    let unconfigured = securityfs();
    let applied = open(unconfigured.path()).apply(&p).unwrap();
    assert!(applied.notes[0].contains("no boot and machine ids were given"));
}

#[test]
fn change_writes_only_the_toggled_filter() {
    let dir = securityfs();
    let fs = open(dir.path());
    let before = policy();
    fs.apply(&before).unwrap();
    reset(dir.path());

    let mut after = before.clone();
    after.insert(Filter::Relation("clone".into()));
    let applied = fs.change(&before, &after).unwrap();
    assert_eq!(touched(dir.path()), ["informed_filter"]);
    assert_eq!(
        bytes(dir.path(), "informed_filter"),
        filter_bytes([0x01, 0, 0, 0, 0, 0, 0x10, 0x80], 1)
    );
    assert_eq!(applied.written.len(), 1);

    reset(dir.path());
    fs.change(&after, &before).unwrap();
    assert_eq!(touched(dir.path()), ["informed_filter"]);
    assert_eq!(
        bytes(dir.path(), "informed_filter"),
        filter_bytes([0x01, 0, 0, 0, 0, 0, 0x10, 0x80], 0)
    );

    reset(dir.path());
    let mut no_root = before.clone();
    no_root.remove(&Filter::Rule(rule(
        Subject::User("root".into()),
        Setting::Track,
    )));
    no_root.all = Some(true);
    fs.change(&before, &no_root).unwrap();
    assert_eq!(touched(dir.path()), ["all", "uid"]);
    assert_eq!(
        bytes(dir.path(), "uid"),
        [0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    );
    assert_eq!(bytes(dir.path(), "all"), b"1\0");
}

#[test]
fn a_bad_filter_writes_nothing() {
    let dir = securityfs();
    let fs = open(dir.path());
    let mut p = policy();
    p.relation_filter.insert("dup".into()); // provscope's, unknown to the kernel
    let err = fs.apply(&p).unwrap_err().to_string();
    assert_eq!(
        err,
        "relation_filter=dup: the kernel knows no relation type named 'dup'"
    );
    assert!(touched(dir.path()).is_empty());

    let mut p = policy();
    p.relation_filter.insert("ran_on".into());
    let err = fs.apply(&p).unwrap_err().to_string();
    assert!(err.starts_with("relation_filter=ran_on: "), "{err}");
    assert!(touched(dir.path()).is_empty());

    // A kernel id in another category than the file's is refused.
    let fs = SecurityFs::open(dir.path())
        .unwrap()
        .with_type_table(TypeTable::new().relation("read", 0x8040_0000_0000_0001));
    let mut p = Policy::default();
    p.relation_filter.insert("read".into());
    let err = fs.apply(&p).unwrap_err().to_string();
    assert!(err.contains("is not in used_filter's category"), "{err}");
}

#[test]
fn file_rules_edit_the_provenance_xattr() {
    let dir = securityfs();
    let target = dir.path().join("target");
    fs::write(&target, b"data").unwrap();
    let mut elt = [0x5au8; 256];
    elt[40..44].copy_from_slice(&[0x01, 0, 0, 0]); // tracked already
    if let Err(e) = xattr::write(&target, &elt) {
        // The pure flag edit is covered in layout's tests.
        eprintln!("skipping: security.* xattrs are not settable here: {e}");
        return;
    }
    let fs = open(dir.path());
    let path = target.to_str().unwrap().to_owned();
    let mut p = Policy::default();
    p.rules
        .push(rule(Subject::Path(path.clone()), Setting::Opaque));
    let applied = fs.apply(&p).unwrap();
    assert_eq!(applied.written[0].path, target);
    assert_eq!(applied.written[0].what, "+opaque");
    let mut want = [0x5au8; 256];
    want[40..44].copy_from_slice(&[0x03, 0, 0, 0]);
    assert_eq!(xattr::read(&target).unwrap(), want);
    assert!(touched(dir.path()).is_empty());

    let mut q = Policy::default();
    q.rules.push(rule(Subject::Path(path), Setting::Propagate));
    fs.change(&p, &q).unwrap();
    want[40..44].copy_from_slice(&[0x05, 0, 0, 0]); // +tracked +propagate -opaque
    assert_eq!(xattr::read(&target).unwrap(), want);
}
