//! [`ObjCell<T>`]: the memory block of an object — the header at offset 0, the value after
//! it — and its allocation and deallocation.

use ::alloc::alloc::{self, Layout};
use core::ptr::NonNull;

use crate::header::{Deleter, ObjectHeader};

/// The block behind every handle: `#[repr(C)] { header, value }`.
///
/// The value never contains the header, so no safe `&mut T` can touch the counts. For a
/// child type the value starts with its parent's value, so an `ObjCell<Child>` is also a
/// valid `ObjCell<Parent>` (the derive asserts the value offsets match).
///
/// ```
/// use rcobj::{value_offset, ObjCell, Object};
///
/// #[derive(Object)]
/// #[object(key = "doc.cell.ObjCell")]
/// struct Item(u64);
///
/// assert_eq!(core::mem::size_of::<ObjCell<Item>>(), 24 + 8);
/// assert_eq!(value_offset::<Item>(), 24);
/// ```
#[repr(C)]
pub struct ObjCell<T> {
    pub(crate) header: ObjectHeader,
    pub(crate) value: T,
}

/// The offset of the value inside [`ObjCell<T>`]: 24, or more for an over-aligned `T`.
///
/// ```
/// use rcobj::value_offset;
///
/// #[repr(align(64))]
/// struct Wide([u8; 64]);
///
/// assert_eq!(value_offset::<u64>(), 24);
/// assert_eq!(value_offset::<Wide>(), 64);
/// ```
pub const fn value_offset<T>() -> usize {
    core::mem::offset_of!(ObjCell<T>, value)
}

impl<T> ObjCell<T> {
    /// Allocates a block with a fresh header (strong 1, weak 1) and `value`.
    ///
    /// Exactly one allocation through the global allocator; the header is written with
    /// plain stores.
    #[inline]
    pub(crate) fn allocate(value: T, type_index: i32, deleter: Deleter) -> NonNull<ObjCell<T>> {
        let layout = Layout::new::<ObjCell<T>>();
        // SAFETY: the layout is never zero-sized (the header alone is 24 bytes).
        let raw = unsafe { alloc::alloc(layout) }.cast::<ObjCell<T>>();
        let Some(ptr) = NonNull::new(raw) else {
            alloc::handle_alloc_error(layout)
        };
        // SAFETY: `ptr` is a fresh allocation of the right layout (8-aligned, since the
        // header is); writing the header and the value initialises it.
        unsafe {
            let cell = ptr.as_ptr();
            ObjectHeader::write_fresh(
                core::ptr::addr_of_mut!((*cell).header),
                type_index,
                Some(deleter),
            );
            core::ptr::addr_of_mut!((*cell).value).write(value);
        }
        ptr
    }

    /// Frees the block without touching the value.
    ///
    /// # Safety
    ///
    /// `ptr` came from [`allocate`](Self::allocate) for this `T`, the value was already
    /// dropped or moved out, and no one uses the block afterwards.
    #[inline]
    pub(crate) unsafe fn free(ptr: *mut ObjCell<T>) {
        // SAFETY: guaranteed by the caller: same allocation, same layout.
        unsafe { alloc::dealloc(ptr.cast(), Layout::new::<ObjCell<T>>()) }
    }
}
