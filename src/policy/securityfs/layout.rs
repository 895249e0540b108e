//! The binary layouts of CamFlow's securityfs control structs, as the kernel reads them
//! (x86_64, CamFlow v0.9.0; reference §5.2, structs from camflow-dev
//! `include/uapi/linux/provenance_fs.h`). Each encoder is a small pure function that
//! returns the exact bytes of one struct: integers little-endian (x86_64), padding zero,
//! and network byte order only where CamFlow stores it (the IPv4 address, mask and port).
//! The `taint` fields are always zero: provscope's policies carry no taint labels.

use std::net::Ipv4Addr;

/// `PROV_SET_TRACKED`: the op sets or clears "tracked" (provenance_fs.h).
pub const PROV_SET_TRACKED: u8 = 0x01;
/// `PROV_SET_OPAQUE`.
pub const PROV_SET_OPAQUE: u8 = 0x02;
/// `PROV_SET_PROPAGATE`.
pub const PROV_SET_PROPAGATE: u8 = 0x04;
/// `PROV_SET_TAINT`.
pub const PROV_SET_TAINT: u8 = 0x08;
/// `PROV_SET_DELETE`: remove the list entry with this key.
pub const PROV_SET_DELETE: u8 = 0x10;
/// `PROV_SET_RECORD`: record packet contents (IPv4 rules).
pub const PROV_SET_RECORD: u8 = 0x20;

/// The subtype bits of a type id; libprovenance writes it as every filter's mask
/// (provenance_types.h `SUBTYPE_MASK`).
pub const SUBTYPE_MASK: u64 = 0x0000_FFFF_FFFF_FFFF;
/// The class and category bits of a type id (`TYPE_MASK`).
pub const TYPE_MASK: u64 = 0xFFFF_0000_0000_0000;

/// `sizeof(union prov_elt)` on x86_64 (reference §5.1).
pub const PROV_ELT_LEN: usize = 256;
/// One `union prov_elt`: a relay record, or a file's `security.provenance` xattr.
pub type ProvElt = [u8; PROV_ELT_LEN];
/// Offset of the u32 `internal_flag` in every `prov_elt` (reference §5.1, `basic_elements`).
pub const INTERNAL_FLAG_AT: usize = 40;
/// `internal_flag` bit 0: tracked.
pub const TRACKED_BIT: u32 = 1 << 0;
/// `internal_flag` bit 1: opaque.
pub const OPAQUE_BIT: u32 = 1 << 1;
/// `internal_flag` bit 2: propagate.
pub const PROPAGATE_BIT: u32 = 1 << 2;

/// `PATH_MAX`: the size of `secinfo.secctx`.
pub const SECCTX_LEN: usize = 4096;
/// `PROV_TYPE_STR_MAX_LEN`: the size of `prov_type.str`.
pub const TYPE_STR_LEN: usize = 256;
/// `sizeof(struct prov_type)`.
pub const PROV_TYPE_LEN: usize = 272;
/// `sizeof(struct secinfo)`.
pub const SECINFO_LEN: usize = 4120;

/// The bytes of a string for a `char[size]` field: None when it does not fit with its
/// terminating NUL, or holds a NUL.
fn c_text(text: &str, size: usize) -> Option<&[u8]> {
    let bytes = text.as_bytes();
    (bytes.len() < size && !bytes.contains(&0)).then_some(bytes)
}

fn put(buf: &mut [u8], at: usize, bytes: &[u8]) {
    buf[at..at + bytes.len()].copy_from_slice(bytes);
}

/// `struct prov_filter { u64 filter; u64 mask; u8 add; }`, 24 bytes:
/// `filter @0 | mask @8 | add @16 | pad @17..24` (aligned to its u64s).
/// The kernel ORs (add != 0) or clears `filter & mask` in its bitmap (fs.c `__write_filter`).
pub fn prov_filter(filter: u64, mask: u64, add: bool) -> [u8; 24] {
    let mut b = [0u8; 24];
    put(&mut b, 0, &filter.to_le_bytes());
    put(&mut b, 8, &mask.to_le_bytes());
    b[16] = u8::from(add);
    b
}

/// `struct prov_ipv4_filter { u32 ip; u32 mask; u16 port; u8 op; u64 taint; }`, 24 bytes:
/// `ip @0 | mask @4 | port @8 | op @10 | pad @11..16 | taint @16`.
///
/// `ip`, `mask` and `port` are in network byte order. libprovenance
/// (`src/libprovenance.c` `__param_to_ipv4_filter`) stores the dotted quad's bytes in
/// order (`ip.buffer[0]=a`...), the mask from `uint32_to_ipv4mask` (low `n` bits set,
/// then each byte bit-reversed, which leaves the mask's bytes in network order) and
/// `htons(port)`; the kernel compares them with `sin_addr.s_addr` and `sin_port`
/// (provenance_net.h `prov_ipv4_whichOP`). The address is written masked, as the
/// kernel stores it (fs.c `__write_ipv4_filter`: `ip = ip & mask`). `mask` and `port`
/// are given in host order (`/8` is 0xFF00_0000, as `Ipv4Rule::mask` gives it).
pub fn prov_ipv4_filter(addr: Ipv4Addr, mask: u32, port: u16, op: u8) -> [u8; 24] {
    let mut b = [0u8; 24];
    put(&mut b, 0, &(u32::from(addr) & mask).to_be_bytes());
    put(&mut b, 4, &mask.to_be_bytes());
    put(&mut b, 8, &port.to_be_bytes());
    b[10] = op;
    b
}

/// `struct userinfo { u32 uid; u8 op; u64 taint; }` and `struct groupinfo` (same layout),
/// 16 bytes: `id @0 | op @4 | pad @5..8 | taint @8`.
pub fn userinfo(id: u32, op: u8) -> [u8; 16] {
    let mut b = [0u8; 16];
    put(&mut b, 0, &id.to_le_bytes());
    b[4] = op;
    b
}

/// `struct nsinfo { u32 utsns, ipcns, mntns, pidns, netns, cgroupns; u8 op; u64 taint; }`,
/// 40 bytes: `utsns @0 | ipcns @4 | mntns @8 | pidns @12 | netns @16 | cgroupns @20 |
/// op @24 | pad @25..32 | taint @32`. A cgroup rule sets only `cgroupns`; the others stay
/// 0 (`IGNORE_NS`), as libprovenance's `provenance_cgroup_*` write them.
pub fn nsinfo_cgroup(cgroupns: u32, op: u8) -> [u8; 40] {
    let mut b = [0u8; 40];
    put(&mut b, 20, &cgroupns.to_le_bytes());
    b[24] = op;
    b
}

/// `struct prov_process_config { union prov_elt prov; u8 op; u32 vpid; }`, 264 bytes:
/// `prov @0..256 | op @256 | pad @257..260 | vpid @260`. The kernel finds the task by
/// `vpid`, and for each op bit copies that flag from `prov` (fs.c `update_prov_config`).
pub fn prov_process_config(prov: &ProvElt, op: u8, vpid: u32) -> [u8; 264] {
    let mut b = [0u8; 264];
    put(&mut b, 0, prov);
    b[256] = op;
    put(&mut b, 260, &vpid.to_le_bytes());
    b
}

/// `struct relay_conf { u32 boot_id; u32 machine_id; u32 buff_exp; u32 subuf_nb; }`,
/// 16 bytes, no padding (field order from reference §5.2).
pub fn relay_conf(boot_id: u32, machine_id: u32, buff_exp: u32, subuf_nb: u32) -> [u8; 16] {
    let mut b = [0u8; 16];
    put(&mut b, 0, &boot_id.to_le_bytes());
    put(&mut b, 4, &machine_id.to_le_bytes());
    put(&mut b, 8, &buff_exp.to_le_bytes());
    put(&mut b, 12, &subuf_nb.to_le_bytes());
    b
}

/// `struct secinfo { u32 secid; char secctx[PATH_MAX]; u32 len; u8 op; u64 taint; }`,
/// 4120 bytes: `secid @0 | secctx @4..4100 | len @4100 | op @4104 | pad @4105..4112 |
/// taint @4112`. `secid` stays 0: the kernel computes it from `secctx`/`len`
/// (fs.c `prov_write_secctx_filter`). None when the label does not fit with its NUL
/// (libprovenance `strncpy`s it into the buffer) or holds a NUL.
pub fn secinfo(secctx: &str, op: u8) -> Option<[u8; SECINFO_LEN]> {
    let text = c_text(secctx, SECCTX_LEN)?;
    let mut b = [0u8; SECINFO_LEN];
    put(&mut b, 4, text);
    put(&mut b, 4100, &u32::try_from(text.len()).ok()?.to_le_bytes());
    b[4104] = op;
    Some(b)
}

/// `struct prov_type { u64 id; char str[256]; u8 is_relation; }`, 272 bytes:
/// `id @0 | str @8..264 | is_relation @264 | pad @265..272`, as a question: `id` 0 and
/// `str` set ask the kernel for the id (fs.c `prov_read_prov_type`). None when the name
/// does not fit with its NUL or holds a NUL.
pub fn prov_type(name: &str, is_relation: bool) -> Option<[u8; PROV_TYPE_LEN]> {
    let text = c_text(name, TYPE_STR_LEN)?;
    let mut b = [0u8; PROV_TYPE_LEN];
    put(&mut b, 8, text);
    b[264] = u8::from(is_relation);
    Some(b)
}

/// The same struct asking the other way: `id` and `is_relation` set ask the kernel for
/// the name, which it writes into `str` of the buffer read (libprovenance
/// `provenance_type_id_to_str`).
pub fn prov_type_of_id(id: u64, is_relation: bool) -> [u8; PROV_TYPE_LEN] {
    let mut b = [0u8; PROV_TYPE_LEN];
    put(&mut b, 0, &id.to_le_bytes());
    b[264] = u8::from(is_relation);
    b
}

/// The name in a `prov_type` the kernel answered: `str` up to its NUL.
pub fn prov_type_name(answer: &[u8; PROV_TYPE_LEN]) -> &[u8] {
    let name = &answer[8..8 + TYPE_STR_LEN];
    let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
    &name[..end]
}

/// The `id` of a `prov_type` the kernel answered (0: it does not know the name).
pub fn prov_type_id(answer: &[u8; PROV_TYPE_LEN]) -> u64 {
    let mut id = [0u8; 8];
    id.copy_from_slice(&answer[0..8]);
    u64::from_le_bytes(id)
}

/// A switch (`enable`, `all`, ...) as libprovenance writes it: the digit and its NUL, two
/// bytes (`__set_boolean` writes `2*sizeof(char)`). The NUL matters: the kernel parses
/// the written bytes with `kstrtouint(str, 2, ...)` (fs.c `__write_flag`), which needs it.
pub fn switch_text(on: bool) -> [u8; 2] {
    [if on { b'1' } else { b'0' }, 0]
}

/// The tracked / opaque / propagate bits of a `prov_elt`'s `internal_flag`.
pub fn elt_flags(elt: &ProvElt) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&elt[INTERNAL_FLAG_AT..INTERNAL_FLAG_AT + 4]);
    u32::from_le_bytes(word) & (TRACKED_BIT | OPAQUE_BIT | PROPAGATE_BIT)
}

/// `elt` with the `set` bits of `internal_flag` set and the `clear` bits cleared, every
/// other byte unchanged (libprovenance `prov_set_flag` / `prov_clear_flag`).
pub fn with_elt_flags(elt: &ProvElt, set: u32, clear: u32) -> ProvElt {
    let mut out = *elt;
    let mut word = [0u8; 4];
    word.copy_from_slice(&elt[INTERNAL_FLAG_AT..INTERNAL_FLAG_AT + 4]);
    let flags = (u32::from_le_bytes(word) & !clear) | set;
    put(&mut out, INTERNAL_FLAG_AT, &flags.to_le_bytes());
    out
}

/// The `PROV_SET_*` op bits that touch the given `internal_flag` bits.
pub fn op_for_flags(flags: u32) -> u8 {
    let mut op = 0;
    if flags & TRACKED_BIT != 0 {
        op |= PROV_SET_TRACKED;
    }
    if flags & OPAQUE_BIT != 0 {
        op |= PROV_SET_OPAQUE;
    }
    if flags & PROPAGATE_BIT != 0 {
        op |= PROV_SET_PROPAGATE;
    }
    op
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A zeroed buffer of `len` bytes with hand-written runs placed at their offsets.
    fn expected(len: usize, runs: &[(usize, &[u8])]) -> Vec<u8> {
        let mut b = vec![0u8; len];
        for (at, bytes) in runs {
            b[*at..*at + bytes.len()].copy_from_slice(bytes);
        }
        b
    }

    #[test]
    fn prov_filter_bytes() {
        // RL_READ of the old header (0x8020000000000001), SUBTYPE_MASK, add.
        let want: [u8; 24] = [
            0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x80, // filter
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, // mask
            0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // add, padding
        ];
        assert_eq!(prov_filter(0x8020_0000_0000_0001, SUBTYPE_MASK, true), want);
        let remove = prov_filter(0x8020_0000_0000_0001, SUBTYPE_MASK, false);
        assert_eq!(remove[16], 0x00);
        assert_eq!(remove[..16], want[..16]);
    }

    #[test]
    fn ipv4_filter_is_network_order() {
        // 10.1.2.3/8:80, track|propagate: ip masked to 10.0.0.0.
        let want: [u8; 24] = [
            0x0a, 0x00, 0x00, 0x00, // ip 10.0.0.0
            0xff, 0x00, 0x00, 0x00, // mask 255.0.0.0
            0x00, 0x50, // port 80, big-endian
            0x05, // op TRACKED|PROPAGATE
            0x00, 0x00, 0x00, 0x00, 0x00, // padding
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // taint
        ];
        let got = prov_ipv4_filter(Ipv4Addr::new(10, 1, 2, 3), 0xff00_0000, 80, 0x05);
        assert_eq!(got, want);
        // 192.168.1.7/20:443 record; /0 any; /32 exact.
        let want20: [u8; 24] = [
            0xc0, 0xa8, 0x00, 0x00, 0xff, 0xff, 0xf0, 0x00, 0x01, 0xbb, 0x21, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0,
        ];
        assert_eq!(
            prov_ipv4_filter(Ipv4Addr::new(192, 168, 1, 7), 0xffff_f000, 443, 0x21),
            want20
        );
        let any = prov_ipv4_filter(Ipv4Addr::new(1, 2, 3, 4), 0, 0, 0x10);
        assert_eq!(any[..11], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10]);
        let host = prov_ipv4_filter(Ipv4Addr::new(127, 0, 0, 1), u32::MAX, 1, 0x01);
        assert_eq!(
            host[..11],
            [0x7f, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0x00, 0x01, 0x01]
        );
    }

    #[test]
    fn userinfo_and_nsinfo_bytes() {
        let want: [u8; 16] = [
            0xe8, 0x03, 0x00, 0x00, // uid 1000
            0x02, // op OPAQUE
            0x00, 0x00, 0x00, // padding
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // taint
        ];
        assert_eq!(userinfo(1000, PROV_SET_OPAQUE), want);
        let want: [u8; 40] = [
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // uts..net ignored
            0x78, 0x56, 0x34, 0x12, // cgroupns 0x12345678
            0x10, // op DELETE
            0, 0, 0, 0, 0, 0, 0, // padding
            0, 0, 0, 0, 0, 0, 0, 0, // taint
        ];
        assert_eq!(nsinfo_cgroup(0x1234_5678, PROV_SET_DELETE), want);
    }

    #[test]
    fn process_config_bytes() {
        let mut prov = [0u8; PROV_ELT_LEN];
        prov[40] = 0x05;
        prov[255] = 0xee;
        let want = expected(
            264,
            &[
                (40, &[0x05]),
                (255, &[0xee]),
                (256, &[0x05]),                   // op
                (260, &[0x39, 0x30, 0x00, 0x00]), // vpid 12345
            ],
        );
        assert_eq!(prov_process_config(&prov, 0x05, 12345).to_vec(), want);
    }

    #[test]
    fn relay_conf_bytes() {
        let want: [u8; 16] = [
            0x02, 0x00, 0x00, 0x00, // boot_id 2
            0xef, 0xbe, 0xad, 0xde, // machine_id 0xdeadbeef
            0x14, 0x00, 0x00, 0x00, // buff_exp 20
            0x08, 0x00, 0x00, 0x00, // subuf_nb 8
        ];
        assert_eq!(relay_conf(2, 0xdead_beef, 20, 8), want);
    }

    #[test]
    fn secinfo_bytes() {
        let got = secinfo("system_u:object_r:bin_t:s0", 0x05).unwrap();
        let want = expected(
            SECINFO_LEN,
            &[
                (4, b"system_u:object_r:bin_t:s0"),
                (4100, &[26, 0, 0, 0]), // len
                (4104, &[0x05]),        // op
            ],
        );
        assert_eq!(got.to_vec(), want);
        assert!(secinfo(&"x".repeat(4096), 1).is_none());
        assert!(secinfo(&"x".repeat(4095), 1).is_some());
        assert!(secinfo("a\0b", 1).is_none());
    }

    #[test]
    fn prov_type_bytes() {
        let got = prov_type("used_disc", true).unwrap();
        let want = expected(PROV_TYPE_LEN, &[(8, b"used_disc"), (264, &[0x01])]);
        assert_eq!(got.to_vec(), want);
        assert_eq!(prov_type("file", false).unwrap()[264], 0);
        assert!(prov_type(&"n".repeat(256), false).is_none());
        let mut answer = got;
        answer[..8].copy_from_slice(&[0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x20, 0x80]);
        assert_eq!(prov_type_id(&answer), 0x8020_0000_8000_0000);
    }

    #[test]
    fn prov_type_asked_by_id_and_the_name_answered() {
        let got = prov_type_of_id(0x0000_0000_0000_0002, false);
        let want = expected(PROV_TYPE_LEN, &[(0, &[0x02])]);
        assert_eq!(got.to_vec(), want);
        assert_eq!(prov_type_of_id(5, true)[264], 0x01);
        assert_eq!(
            prov_type_name(&got),
            b"",
            "no name before the kernel answers"
        );
        let mut answer = got;
        answer[8..12].copy_from_slice(b"file");
        assert_eq!(prov_type_name(&answer), b"file");
        // A name that fills str has no NUL: all 256 bytes are the name.
        answer[8..264].fill(b'n');
        assert_eq!(prov_type_name(&answer).len(), 256);
    }

    #[test]
    fn switches_carry_their_nul() {
        assert_eq!(switch_text(true), [0x31, 0x00]);
        assert_eq!(switch_text(false), [0x30, 0x00]);
    }

    #[test]
    fn flag_edit_touches_only_internal_flag() {
        let mut elt = [0xa5u8; PROV_ELT_LEN];
        elt[40..44].copy_from_slice(&[0x02, 0x00, 0x00, 0x80]); // opaque + a high bit
        assert_eq!(elt_flags(&elt), OPAQUE_BIT);
        let edited = with_elt_flags(&elt, TRACKED_BIT | PROPAGATE_BIT, OPAQUE_BIT);
        let mut want = [0xa5u8; PROV_ELT_LEN];
        want[40..44].copy_from_slice(&[0x05, 0x00, 0x00, 0x80]);
        assert_eq!(edited, want);
        assert_eq!(elt_flags(&edited), TRACKED_BIT | PROPAGATE_BIT);
        assert_eq!(op_for_flags(TRACKED_BIT | OPAQUE_BIT | PROPAGATE_BIT), 0x07);
        assert_eq!(op_for_flags(PROPAGATE_BIT), PROV_SET_PROPAGATE);
    }
}
