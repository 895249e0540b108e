//! Tests of the relay record decoder: records built byte by byte as a CamFlow kernel
//! writes them, decoded into the elements camflowd would write.

use super::*;
use crate::capture::relay::testing::*;

const DATE: &str = "2024:01:02T03:04:05";

fn decoded(rec: &[u8]) -> Decoded {
    decode(rec, &mut TypeTable::builtin(), DATE)
}

fn node_of(rec: &[u8]) -> NodeRecord<'static> {
    match decoded(rec).element {
        Some(Element::Node(n)) => n,
        other => panic!("not a node: {other:?}"),
    }
}

fn attr<'a>(attrs: &'a [Attr<'static>], name: &str) -> &'a str {
    attrs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_ref())
        .unwrap_or_else(|| panic!("no {name} in {attrs:?}"))
}

fn text_of(attrs: &[Attr<'static>], name: &str) -> String {
    serde_json::from_str(attr(attrs, name)).unwrap()
}

#[test]
fn a_task_with_camflowd_s_attributes_and_a_round_tripping_id() {
    let rec = task(3666, 2, 4242);
    let n = node_of(&rec);
    assert_eq!(n.kind, "task");
    assert_eq!(n.class, ProvClass::Activity);
    let fields = ElementKey::parse(&n.key).fields().unwrap();
    assert_eq!(fields.kind, TASK);
    assert_eq!((fields.id, fields.version), (3666, 2));
    assert_eq!((fields.boot_id, fields.machine_id), (BOOT, MACHINE_ID));
    assert_eq!(ElementKey::parse(&n.key).to_text(), n.key);
    assert_eq!(attr(&n.attrs, "cf:id"), "\"3666\"");
    assert_eq!(attr(&n.attrs, "cf:pid"), "4242");
    assert_eq!(attr(&n.attrs, "cf:vpid"), "4243");
    assert_eq!(
        attr(&n.attrs, "cf:machine_id"),
        format!("\"cf:{MACHINE_ID}\"")
    );
    assert_eq!(attr(&n.attrs, "cf:utime"), "\"11\"");
    assert_eq!(attr(&n.attrs, "cf:cgroupns"), "26");
    assert_eq!(attr(&n.attrs, "cf:jiffies"), "\"4295000000\"");
    assert_eq!(attr(&n.attrs, "cf:date"), format!("\"{DATE}\""));
    assert_eq!(attr(&n.attrs, "prov:label"), "\"[task] 2\"");
    let names: Vec<&str> = n.attrs.iter().map(|(k, _)| k.as_ref()).collect();
    assert_eq!(
        names[..9],
        [
            "cf:id",
            "prov:type",
            "cf:boot_id",
            "cf:machine_id",
            "cf:version",
            "cf:date",
            "cf:taint",
            "cf:jiffies",
            "cf:epoch"
        ]
    );
}

#[test]
fn a_file_a_process_and_an_iattr() {
    let n = node_of(&file(77, 1, 0o100644, 123_456));
    assert_eq!(n.kind, "file");
    assert_eq!(attr(&n.attrs, "cf:mode"), "\"0x81a4\"");
    assert_eq!(attr(&n.attrs, "cf:ino"), "123456");
    assert_eq!(attr(&n.attrs, "cf:uid"), "1000");
    assert_eq!(
        attr(&n.attrs, "cf:uuid"),
        "\"00112233-4455-6677-8899-aabbccddeeff\""
    );
    assert_eq!(attr(&n.attrs, "prov:label"), "\"[file] 1\"");

    let n = node_of(&process_memory(5, 0, 3666));
    assert_eq!(n.kind, "process_memory");
    assert_eq!(attr(&n.attrs, "cf:tgid"), "3666");
    assert_eq!(attr(&n.attrs, "prov:label"), "\"[process] 0\"");

    let rec = Rec::short(IATTR, 9, 0)
        .u32(at::SPECIFIC, 0x1)
        .u16(at::IATTR_MODE, 0o755)
        .u64(at::IATTR_SIZE, (-1i64) as u64)
        .0;
    let n = node_of(&rec);
    assert_eq!(attr(&n.attrs, "cf:valid"), "\"0x1\"");
    assert_eq!(attr(&n.attrs, "cf:mode"), "\"0x1ed\"");
    assert_eq!(attr(&n.attrs, "cf:size"), "\"-1\"");
    assert_eq!(attr(&n.attrs, "prov:label"), "\"[iattr] 9\"");
}

#[test]
fn a_read_relation_with_its_category_and_ends() {
    let snd = node_id(FILE, 77, 1);
    let rcv = node_id(TASK, 3666, 2);
    let rec = relation(READ, 2572, snd, rcv)
        .u64(at::REL_FLAGS, 0x4)
        .u8(at::REL_SET, 1)
        .u64(at::REL_OFFSET, 512)
        .u64(at::REL_TASK_ID, 3666)
        .0;
    let e = match decoded(&rec).element {
        Some(Element::Edge(e)) => e,
        other => panic!("not an edge: {other:?}"),
    };
    assert_eq!(e.kind, "read");
    assert_eq!(e.category, Category::Used);
    assert_eq!(e.sender, ElementKey::Binary(snd).to_text());
    assert_eq!(e.receiver, ElementKey::Binary(rcv).to_text());
    assert_eq!(e.sender_kind.as_deref(), Some("file"));
    assert_eq!(e.receiver_kind.as_deref(), Some("task"));
    let fields = ElementKey::parse(&e.key).fields().unwrap();
    assert_eq!((fields.kind, fields.id), (READ, 2572));
    assert_eq!(attr(&e.attrs, "cf:id"), "\"2572\"");
    assert_eq!(attr(&e.attrs, "prov:label"), "\"read\"");
    assert_eq!(attr(&e.attrs, "cf:allowed"), "\"true\"");
    assert_eq!(attr(&e.attrs, "cf:offset"), "\"512\"");
    assert_eq!(attr(&e.attrs, "cf:flags"), "\"4\"");
    assert_eq!(attr(&e.attrs, "cf:task_id"), "\"3666\"");
    assert!(e.attrs.iter().all(|(k, _)| k != "prov:entity"));

    // Every category from its bits.
    for (bits, category, name) in [
        (0x8080_0000_0000_0001, Category::WasDerivedFrom, "named"),
        (0x8040_0000_0000_0020, Category::WasGeneratedBy, "write"),
        (0x8010_0000_0000_0001, Category::WasInformedBy, "clone"),
        (
            0x8008_0000_0000_0001,
            Category::WasInfluencedBy,
            "load_unknown",
        ),
        (0x8004_0000_0000_0001, Category::WasAssociatedWith, "ran_on"),
    ] {
        match decoded(&relation(bits, 1, snd, rcv).0).element {
            Some(Element::Edge(e)) => {
                assert_eq!((e.category, e.kind.as_ref()), (category, name))
            }
            other => panic!("{other:?}"),
        }
    }
    // Disallowed, no offset when `set` is not 1.
    let rec = relation(READ, 3, snd, rcv)
        .u8(at::REL_ALLOWED, 1)
        .u64(at::REL_OFFSET, 9)
        .0;
    let Some(Element::Edge(e)) = decoded(&rec).element else {
        panic!()
    };
    assert_eq!(attr(&e.attrs, "cf:allowed"), "\"false\"");
    assert!(e.attrs.iter().all(|(k, _)| k != "cf:offset"));
}

#[test]
fn long_records_path_argv_string_machine_address_xattr_content() {
    let n = node_of(&path(99, "/usr/bin/make"));
    assert_eq!(n.kind, "path");
    assert_eq!(text_of(&n.attrs, "cf:pathname"), "/usr/bin/make");
    assert_eq!(text_of(&n.attrs, "prov:label"), "[path] /usr/bin/make");

    let n = node_of(&long_text_node(ARGV, 5, "wget").u8(at::TRUNCATED, 1).0);
    assert_eq!(text_of(&n.attrs, "cf:value"), "wget");
    assert_eq!(text_of(&n.attrs, "cf:truncated"), "true");
    assert_eq!(text_of(&n.attrs, "prov:label"), "[argv] wget");
    let n = node_of(&long_text_node(ENVP, 6, "HOME=/root").0);
    assert_eq!(text_of(&n.attrs, "prov:label"), "[envp] HOME=/root");

    let n = node_of(&long_text_node(STRING, 7, "hello log").0);
    assert_eq!(text_of(&n.attrs, "cf:log"), "hello log");
    assert_eq!(text_of(&n.attrs, "prov:label"), "[log] hello log");

    let n = node_of(&machine("camflow-host", [0, 9, 0]));
    assert_eq!(n.class, ProvClass::Agent);
    assert_eq!(text_of(&n.attrs, "cf:u_nodename"), "camflow-host");
    assert_eq!(text_of(&n.attrs, "cf:u_sysname"), "Linux");
    assert_eq!(text_of(&n.attrs, "cf:k_version"), "0.9.0");
    assert_eq!(text_of(&n.attrs, "cf:k_commit"), "0861533");

    let rec = Rec::long(ADDRESS, 8, 0)
        .u64(at::SPECIFIC, 16)
        .u16(at::ADDR, 2)
        .bytes(at::ADDR + 2, &[0, 80, 93, 184, 216, 34])
        .0;
    let n = node_of(&rec);
    let v: serde_json::Value = serde_json::from_str(attr(&n.attrs, "cf:address")).unwrap();
    assert_eq!(v["type"], "AF_INET");
    assert_eq!(v["host"], "93.184.216.34");
    assert_eq!(v["service"], "80");
    assert_eq!(
        text_of(&n.attrs, "prov:label"),
        "[address] IPV4 93.184.216.34 (80)"
    );

    let rec = Rec::long(XATTR, 10, 0)
        .bytes(at::SPECIFIC, b"security.provenance\0")
        .u64(at::LONG_LEN, 256)
        .0;
    let n = node_of(&rec);
    assert_eq!(text_of(&n.attrs, "cf:name"), "security.provenance");
    assert_eq!(attr(&n.attrs, "cf:size"), "256");

    let rec = Rec::long(PACKET_CONTENT, 11, 0)
        .bytes(at::SPECIFIC, b"GET /")
        .u64(at::LONG_LEN, 5)
        .0;
    let n = node_of(&rec);
    assert_eq!(text_of(&n.attrs, "cf:content"), "R0VUIC8=");
    assert_eq!(attr(&n.attrs, "cf:length"), "5");
}

#[test]
fn a_packet_has_its_own_identifier() {
    let mut id = [0u8; 32];
    id[..8].copy_from_slice(&PACKET.to_le_bytes());
    id[8..10].copy_from_slice(&10538u16.to_le_bytes());
    id[12..16].copy_from_slice(&[10, 0, 2, 15]);
    id[16..20].copy_from_slice(&[10, 0, 2, 3]);
    id[20..22].copy_from_slice(&43521u16.to_be_bytes());
    id[22..24].copy_from_slice(&53u16.to_be_bytes());
    let rec = Rec(vec![0; at::PROV_ELT])
        .bytes(0, &id)
        .u16(at::SPECIFIC, 60)
        .0;
    let n = node_of(&rec);
    assert_eq!(n.kind, "packet");
    assert_eq!(attr(&n.attrs, "cf:id"), "10538");
    assert_eq!(text_of(&n.attrs, "cf:sender"), "10.0.2.15:43521");
    assert_eq!(
        text_of(&n.attrs, "prov:label"),
        "[packet] 10.0.2.15:43521->10.0.2.3:53 (10538)"
    );
    assert!(n.attrs.iter().all(|(k, _)| k != "cf:version"));
}

#[test]
fn a_disclosed_node_splices_its_members_and_survives_bad_ones() {
    let parent = node_id(TASK, 1, 0);
    let content = br#""ex:foo":"bar","ex:n":3"#;
    let rec = Rec::long(DISC_ENTITY, 12, 0)
        .u64(at::SPECIFIC, content.len() as u64)
        .bytes(at::ADDR, content)
        .bytes(at::DISC_PARENT, &parent)
        .0;
    let n = node_of(&rec);
    assert_eq!(
        text_of(&n.attrs, "cf:hasParent"),
        format!("cf:{}", ElementKey::Binary(parent).to_text())
    );
    assert_eq!(attr(&n.attrs, "ex:foo"), "\"bar\"");
    assert_eq!(attr(&n.attrs, "ex:n"), "3");

    let rec = Rec::long(DISC_ENTITY, 13, 0)
        .u64(at::SPECIFIC, 9)
        .bytes(at::ADDR, b"not json}")
        .0;
    let d = decoded(&rec);
    assert!(d.element.is_some());
    assert!(d.problem.unwrap().contains("not JSON"));
}

#[test]
fn hostile_strings_are_clamped_escaped_and_flagged() {
    // Escape sequences, no NUL anywhere, and a length far past the buffer.
    let mut hostile = b"/tmp/\x1b]0;owned\x07\x1b[2J\"quote".to_vec();
    hostile.resize(4096, b'A');
    let rec = Rec::long(PATH, 1, 0)
        .bytes(at::SPECIFIC, &hostile)
        .u64(at::LONG_LEN, u64::MAX)
        .0;
    let d = decoded(&rec);
    assert!(d.repaired, "a clamped length is a repair");
    let Some(Element::Node(n)) = d.element else {
        panic!()
    };
    let raw = attr(&n.attrs, "cf:pathname");
    assert!(!raw.contains('\u{1b}') && !raw.contains('\u{7}'), "{raw}");
    let value: String = serde_json::from_str(raw).unwrap();
    assert_eq!(value.len(), 4096, "bounded by the buffer");
    assert!(value.starts_with("/tmp/\u{1b}]0;owned\u{7}\u{1b}[2J\"quote"));

    // Invalid UTF-8 is replaced visibly; the record still decodes.
    let rec = Rec::long(PATH, 2, 0)
        .bytes(at::SPECIFIC, b"/bin/\xff\xfe")
        .u64(at::LONG_LEN, 7)
        .0;
    let d = decoded(&rec);
    assert!(d.repaired);
    let Some(Element::Node(n)) = d.element else {
        panic!()
    };
    assert_eq!(text_of(&n.attrs, "cf:pathname"), "/bin/\u{fffd}\u{fffd}");

    // A long type in a short record: what is past the end reads as empty.
    let n = node_of(&Rec::short(PATH, 3, 0).0);
    assert_eq!(text_of(&n.attrs, "cf:pathname"), "");
}

#[test]
fn unknown_and_damaged_types() {
    // A well-formed type no table names: kept, visible, reported.
    let d = decoded(&Rec::short(0x2000_0000_8000_0000, 4, 0).0);
    assert_eq!(d.unknown_type, Some(0x2000_0000_8000_0000));
    let Some(Element::Node(n)) = d.element else {
        panic!()
    };
    assert_eq!(n.kind, "unknown_0x2000000080000000");
    // Not a CamFlow type at all, or an empty record: damaged, no element.
    for rec in [
        vec![0u8; at::PROV_ELT],
        Rec::short(0x6000_0000_0000_0001, 1, 0).0,
    ] {
        let d = decoded(&rec);
        assert!(d.element.is_none());
        assert!(d.problem.is_some());
    }
    // A relation without a receiver.
    let rec = relation(READ, 1, node_id(FILE, 1, 0), [0; 32]).0;
    assert!(decoded(&rec).problem.unwrap().contains("receiver"));
    // Any bytes at all: never a panic.
    for len in [0, 1, 31, 255, 4279] {
        let _ = decoded(&vec![0xab; len]);
    }
}
