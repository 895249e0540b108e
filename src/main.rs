//! The `provscope` command: parses the command line and runs the chosen command.

/// mimalloc instead of glibc's allocator: a live capture makes its records on one thread
/// and the view frees them on another, and glibc then grows the capture thread's arena
/// one page-protection call at a time (tens of thousands a second, more of that thread's
/// time than building the records); mimalloc's thread-local heaps take such frees back
/// cheaply. Blocks of a megabyte and more are mapped from the kernel and grown with
/// mremap instead (large_alloc.rs): the graph's big vectors then grow without a copy.
/// mimalloc is built without transparent huge pages (feature `no_thp`): it asked for
/// them on its arenas, and a capture then spent 30% of its time zeroing fresh 2 MiB pages
/// (perf: `do_huge_pmd_anonymous_page` under `mi_page_free_list_extend`); without them
/// it takes 15% less CPU for the same records. The process's own setting is not touched,
/// so a captured command is not affected.
#[global_allocator]
static ALLOCATOR: provscope::large_alloc::RemapLarge<mimalloc::MiMalloc> =
    provscope::large_alloc::RemapLarge(mimalloc::MiMalloc);

fn main() -> std::process::ExitCode {
    provscope::app::cli::main()
}
