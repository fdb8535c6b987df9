//! The book allocates nothing per order in steady state: after a warm-up
//! on a benchmark stream, tens of thousands more operations (new orders,
//! IOC, cancels, moves that trade, the price window following a drifting
//! market) run without a single heap allocation.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use cascade::book::workload::{generate, run_all, Mix};
use cascade::book::OrderBook;

/// Counts allocations (and reallocations) made through the global allocator.
struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call unchanged to the system allocator; the only
// addition is an atomic counter.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn no_allocation_per_order_in_steady_state() {
    for mix in [Mix::ExchangeCore, Mix::Replay] {
        let w = generate(mix, 60_000, 11);
        let (warm, measured) = w.ops.split_at(30_000);
        // Sized up front: the arenas and the index grow only at a new
        // high-water mark, which a long enough run reaches anyway.
        let mut book = OrderBook::with_capacity(4096);
        let mut out = Vec::with_capacity(1024);
        run_all(&mut book, &w.prefill, &mut out);
        run_all(&mut book, warm, &mut out);
        let before = ALLOCS.load(Ordering::Relaxed);
        let filled = run_all(&mut book, measured, &mut out);
        let allocs = ALLOCS.load(Ordering::Relaxed) - before;
        assert!(filled > 0);
        assert_eq!(
            allocs,
            0,
            "{}: {allocs} allocations in {} ops",
            mix.name(),
            measured.len()
        );
    }
}
