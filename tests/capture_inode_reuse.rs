//! Tracking marks that the kernel spreads belong to a file, not to its inode number: once
//! the file is deleted, a new file given the same number (ext4 hands a freed number out
//! again at once) is not tracked for it, as CamFlow's marks, kept in the inode itself,
//! go with the inode. Runs on a journaled ext4 made for the test (root; with
//! PROVSCOPE_REQUIRE_BPF=1 a missing privilege fails instead of skipping).

mod common;

use common::can_capture;
use common::capture::capture_under_policy;
use common::walk::by_path;
use provscope::scratch_fs::LoopExt4;

#[test]
fn a_new_file_under_a_deleted_tracked_files_inode_number_is_not_tracked() {
    if !can_capture() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let fs = LoopExt4::mount(&dir.path().join("fs")).expect("a journaled ext4 on a loop device");
    let at = |name: &str| fs.dir().join(name).to_string_lossy().into_owned();
    let (secret, copy, fresh, reader_out, inodes) = (
        at("secret"),
        at("copy"),
        at("fresh"),
        at("reader-out"),
        at("inodes"),
    );
    std::fs::write(&secret, "the secret").unwrap();
    let policy = format!("[provenance]\nall=false\n[file]\npropagate={secret}\n");
    // cat reads the secret, so its write marks `copy` as propagating; `copy` is deleted
    // and `fresh`, written by the untracked shell, takes its inode number; a second cat
    // reads `fresh` and writes `reader-out`.
    let script = format!(
        "cat {secret} > {copy}; stat -c %i {copy} > {inodes}; rm {copy}; \
         echo unrelated > {fresh}; stat -c %i {fresh} >> {inodes}; \
         cat {fresh} > {reader_out}"
    );
    let (g, stderr) = capture_under_policy(dir.path(), &policy, &["sh", "-c", &script]);
    let numbers: Vec<String> = std::fs::read_to_string(&inodes)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(
        numbers.len(),
        2,
        "both inode numbers were written: {numbers:?}"
    );
    assert_eq!(
        numbers[0], numbers[1],
        "ext4 gave the deleted file's inode number to the next one (the premise)"
    );
    assert!(
        !by_path(&g, &copy, "file").is_empty(),
        "the secret's reader is tracked, so its copy is recorded: {stderr}"
    );
    assert!(
        by_path(&g, &reader_out, "file").is_empty() && by_path(&g, &reader_out, "path").is_empty(),
        "the reader of the new file is not tracked through the deleted file's mark"
    );
}

#[test]
fn a_policys_mark_stays_with_the_file_it_named() {
    if !can_capture() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let fs = LoopExt4::mount(&dir.path().join("fs")).expect("a journaled ext4 on a loop device");
    let at = |name: &str| fs.dir().join(name).to_string_lossy().into_owned();
    let (target, other, inodes) = (at("target"), at("other"), at("inodes"));
    std::fs::write(&target, "named by the policy").unwrap();
    let policy = format!("[provenance]\nall=false\n[file]\ntrack={target}\n");
    // The untracked shell appends to the tracked file (recorded), deletes it, and writes
    // a new file, which takes its inode number (not recorded: nothing tracked is touched).
    let script = format!(
        "echo more >> {target}; stat -c %i {target} > {inodes}; rm {target}; \
         echo new > {other}; stat -c %i {other} >> {inodes}; echo again >> {other}"
    );
    let (g, stderr) = capture_under_policy(dir.path(), &policy, &["sh", "-c", &script]);
    let numbers = std::fs::read_to_string(&inodes).unwrap();
    let numbers: Vec<&str> = numbers.lines().collect();
    assert!(
        numbers.len() == 2 && numbers[0] == numbers[1],
        "the new file took the deleted one's inode number (the premise): {numbers:?}"
    );
    assert!(
        !by_path(&g, &target, "file").is_empty(),
        "the file the policy tracks is recorded: {stderr}"
    );
    assert!(
        by_path(&g, &other, "file").is_empty() && by_path(&g, &other, "path").is_empty(),
        "the new file under its number is not tracked"
    );
}
