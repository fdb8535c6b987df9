//! A slab arena: values addressed by a `u32` handle, freed slots reused, so
//! that a book in steady state allocates nothing per order.
//!
//! Owns: storage and the free list. Must not: know what it stores or check
//! that a handle is live (callers keep that invariant; `check_invariants`
//! verifies it through `is_free`).

use std::ops::{Index, IndexMut};

/// The handle that means "none" in intrusive links.
pub const NIL: u32 = u32::MAX;

/// Values of type `T` under `u32` handles.
#[derive(Clone, Debug)]
pub struct Arena<T> {
    items: Vec<T>,
    free: Vec<u32>,
}

impl<T> Default for Arena<T> {
    fn default() -> Self {
        Arena {
            items: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<T> Arena<T> {
    /// Stores `value`, reusing a freed slot if there is one.
    #[inline]
    pub fn alloc(&mut self, value: T) -> u32 {
        if let Some(h) = self.free.pop() {
            self.items[h as usize] = value;
            h
        } else {
            let h = self.items.len();
            // Invariant: fewer than 2^32 - 1 live values (memory runs out long
            // before: that would be hundreds of GiB of orders).
            assert!(h < NIL as usize, "arena full");
            self.items.push(value);
            h as u32
        }
    }

    /// Frees a slot; its value stays until the slot is reused.
    #[inline]
    pub fn release(&mut self, h: u32) {
        self.free.push(h);
    }

    /// Number of live values.
    pub fn live(&self) -> usize {
        self.items.len() - self.free.len()
    }

    /// True when `h` is out of range or on the free list (slow: for checks).
    pub fn is_free(&self, h: u32) -> bool {
        h as usize >= self.items.len() || self.free.contains(&h)
    }
}

impl<T> Index<u32> for Arena<T> {
    type Output = T;
    #[inline]
    fn index(&self, h: u32) -> &T {
        &self.items[h as usize]
    }
}

impl<T> IndexMut<u32> for Arena<T> {
    #[inline]
    fn index_mut(&mut self, h: u32) -> &mut T {
        &mut self.items[h as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reuses_freed_slots() {
        let mut a = Arena::default();
        let x = a.alloc(1);
        let y = a.alloc(2);
        assert_eq!((a[x], a[y], a.live()), (1, 2, 2));
        a.release(x);
        assert!(a.is_free(x) && !a.is_free(y));
        let z = a.alloc(3);
        assert_eq!((z, a[z], a.live()), (x, 3, 2));
    }
}
