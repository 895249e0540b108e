//! A global allocator wrapper that maps large blocks straight from the kernel and grows
//! them with `mremap`: the page tables move, the bytes do not. The graph keeps several
//! vectors with one entry per relation, and when they double together (at 2^17, 2^20...
//! relations) a copying allocator copied and page-faulted hundreds of megabytes in one
//! step: a live view froze for 200 ms at a million relations. Smaller blocks go to the
//! wrapped allocator (mimalloc), which keeps them fast.

use std::alloc::{GlobalAlloc, Layout};

/// Blocks from this size on are mapped (1 MiB: far above what is made and freed often,
/// far below the graph's big vectors).
pub const MAPPED_FROM: usize = 1 << 20;

/// The page size of x86_64 Linux, the alignment a mapping has.
const PAGE: usize = 4096;

/// Wraps `A`: large blocks are mapped, the rest is `A`'s.
pub struct RemapLarge<A>(pub A);

fn is_mapped(layout: &Layout) -> bool {
    layout.size() >= MAPPED_FROM && layout.align() <= PAGE
}

/// The bytes a mapping of `size` spans.
fn span(size: usize) -> usize {
    size.div_ceil(PAGE) * PAGE
}

fn map(size: usize) -> *mut u8 {
    // SAFETY: an anonymous private mapping with no address hint has no preconditions;
    // failure is MAP_FAILED, turned into null as GlobalAlloc requires.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            span(size),
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        std::ptr::null_mut()
    } else {
        p.cast()
    }
}

// SAFETY: every block is returned to the allocator that made it: the wrapped one for
// layouts below MAPPED_FROM (or over-aligned), the kernel for the others, decided by the
// same test on the layout GlobalAlloc passes back; mappings are page-aligned, which
// satisfies every alignment they are used for.
unsafe impl<A: GlobalAlloc> GlobalAlloc for RemapLarge<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if is_mapped(&layout) {
            map(layout.size())
        } else {
            // SAFETY: forwarded with the caller's guarantees.
            unsafe { self.0.alloc(layout) }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if is_mapped(&layout) {
            // Fresh anonymous pages read as zero.
            map(layout.size())
        } else {
            // SAFETY: forwarded with the caller's guarantees.
            unsafe { self.0.alloc_zeroed(layout) }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if is_mapped(&layout) {
            // SAFETY: `ptr` is a mapping of this size made by `map` (same layout test).
            unsafe { libc::munmap(ptr.cast(), span(layout.size())) };
        } else {
            // SAFETY: forwarded with the caller's guarantees.
            unsafe { self.0.dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: GlobalAlloc's contract: new_size > 0 and fits isize with this alignment.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (is_mapped(&layout), is_mapped(&new_layout)) {
            (true, true) => {
                // SAFETY: `ptr` is a mapping of the old span; the kernel moves it whole.
                let p = unsafe {
                    libc::mremap(
                        ptr.cast(),
                        span(layout.size()),
                        span(new_size),
                        libc::MREMAP_MAYMOVE,
                    )
                };
                if p == libc::MAP_FAILED {
                    std::ptr::null_mut()
                } else {
                    p.cast()
                }
            }
            // SAFETY: forwarded with the caller's guarantees.
            (false, false) => unsafe { self.0.realloc(ptr, layout, new_size) },
            _ => {
                // Across the threshold: a new block of the other kind, the bytes copied.
                // SAFETY: new_layout is valid (above); the copy stays within both blocks;
                // the old block is freed with its own layout.
                unsafe {
                    let new = self.alloc(new_layout);
                    if !new.is_null() {
                        std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                        self.dealloc(ptr, layout);
                    }
                    new
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::alloc::System;

    const A: RemapLarge<System> = RemapLarge(System);

    fn fill(p: *mut u8, n: usize) {
        for i in (0..n).step_by(4093) {
            // SAFETY: i < n, within the block.
            unsafe { *p.add(i) = (i % 251) as u8 };
        }
    }

    fn check(p: *const u8, n: usize) {
        for i in (0..n).step_by(4093) {
            // SAFETY: i < n, within the block.
            assert_eq!(unsafe { *p.add(i) }, (i % 251) as u8, "byte {i}");
        }
    }

    #[test]
    fn blocks_keep_their_bytes_through_growth_across_and_above_the_threshold() {
        let small = Layout::from_size_align(1000, 8).unwrap();
        // SAFETY: valid layouts; every block is freed with the layout it has.
        unsafe {
            let p = A.alloc(small);
            fill(p, 1000);
            let p = A.realloc(p, small, MAPPED_FROM * 2);
            check(p, 1000);
            fill(p, MAPPED_FROM * 2);
            let big = Layout::from_size_align(MAPPED_FROM * 2, 8).unwrap();
            let p = A.realloc(p, big, MAPPED_FROM * 64);
            check(p, MAPPED_FROM * 2);
            let huge = Layout::from_size_align(MAPPED_FROM * 64, 8).unwrap();
            let p = A.realloc(p, huge, 500);
            check(p, 500);
            A.dealloc(p, Layout::from_size_align(500, 8).unwrap());
        }
    }

    #[test]
    fn large_zeroed_blocks_are_zero_and_over_aligned_ones_stay_with_the_inner_allocator() {
        let big = Layout::from_size_align(MAPPED_FROM + 1, 64).unwrap();
        assert!(is_mapped(&big));
        // SAFETY: valid layouts, freed with them.
        unsafe {
            let p = A.alloc_zeroed(big);
            assert!(!p.is_null() && (p as usize).is_multiple_of(PAGE));
            assert!((0..big.size()).step_by(997).all(|i| *p.add(i) == 0));
            A.dealloc(p, big);
        }
        let odd = Layout::from_size_align(MAPPED_FROM, 2 * PAGE).unwrap();
        assert!(!is_mapped(&odd), "an alignment a mapping cannot promise");
    }
}
