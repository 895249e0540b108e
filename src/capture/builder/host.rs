//! Facts about the machine the capture runs on, in CamFlow's terms: machine id, boot id,
//! the `machine` agent's uname attributes, and the clock CamFlow stamps elements with
//! (`cf:date` in UTC, `cf:jiffies`). Read once at start.

use std::time::{SystemTime, UNIX_EPOCH};

/// The machine and boot identity of a capture.
#[derive(Clone, Debug)]
pub struct Host {
    /// `cf:machine_id`: from /etc/machine-id (CamFlow draws its own at install time).
    pub machine_id: u32,
    /// `cf:boot_id`: from the kernel's per-boot random id.
    pub boot_id: u32,
    /// uname fields, in CamFlow's `cf:u_*` names.
    pub uname: Vec<(&'static str, String)>,
}

/// The first 8 hex digits of an id file, as a number (0 when unreadable).
fn hex_prefix(path: &str) -> u32 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| {
            let hex: String = s.chars().filter(char::is_ascii_hexdigit).take(8).collect();
            u32::from_str_radix(&hex, 16).ok()
        })
        .unwrap_or(0)
}

fn c_field(field: &[libc::c_char]) -> String {
    let bytes: Vec<u8> = field
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    // A host name is bytes too: kept lossless, as path names are.
    super::name_bytes::escape(&bytes).into_owned()
}

impl Host {
    /// Reads this machine's facts.
    pub fn read() -> Host {
        // SAFETY: utsname is plain data; uname fills it and cannot fail on Linux.
        let mut u: libc::utsname = unsafe { std::mem::zeroed() };
        // SAFETY: `u` is a valid, writable utsname.
        let uname = if unsafe { libc::uname(&mut u) } == 0 {
            vec![
                ("cf:u_sysname", c_field(&u.sysname)),
                ("cf:u_nodename", c_field(&u.nodename)),
                ("cf:u_release", c_field(&u.release)),
                ("cf:u_version", c_field(&u.version)),
                ("cf:u_machine", c_field(&u.machine)),
                ("cf:u_domainname", c_field(&u.domainname)),
            ]
        } else {
            Vec::new()
        };
        Host {
            machine_id: hex_prefix("/etc/machine-id").max(1),
            boot_id: hex_prefix("/proc/sys/kernel/random/boot_id").max(1),
            uname,
        }
    }
}

/// `cf:date`: CamFlow's "YYYY:MM:DDTHH:MM:SS", UTC, for the current time.
pub fn camflow_date_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    camflow_date(secs)
}

/// `cf:date` for seconds since the epoch.
pub fn camflow_date(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}:{m:02}:{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// `cf:jiffies` from a kernel timestamp (ns since boot): Linux starts jiffies five
/// minutes before wrap-around and ticks at CONFIG_HZ (250 on Debian).
pub fn jiffies(ts_ns: u64) -> u64 {
    const INITIAL_JIFFIES: u64 = 0xFFFF_FFFF_u64.wrapping_sub(300 * 250) + 1;
    INITIAL_JIFFIES + ts_ns / 4_000_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_camflow_layout() {
        assert_eq!(camflow_date(0), "1970:01:01T00:00:00");
        // 2019-01-24 08:00:25 UTC, the date of the v0.5.0 sample.
        assert_eq!(camflow_date(1_548_316_825), "2019:01:24T08:00:25");
        assert_eq!(camflow_date(951_782_400), "2000:02:29T00:00:00");
    }

    #[test]
    fn host_ids_are_never_zero() {
        let h = Host::read();
        assert!(h.machine_id != 0 && h.boot_id != 0);
    }
}
