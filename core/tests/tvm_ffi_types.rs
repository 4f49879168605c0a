//! One type system with tvm-ffi (feature `tvm-ffi`): what both type tables say about every
//! type, and the decisions that hold only for the pinned libtvm_ffi.
#![cfg(all(feature = "tvm-ffi", not(miri), not(loom)))]

/// `include/README.md` ("tvm-ffi's allocation header") decides not to reserve
/// `TVMFFIObjectAllocHeader` before rcobj objects, for C ABI 0.1.16 only, where it is
/// dormant. Another ABI version must re-open that decision before this test is updated.
#[test]
fn alloc_header_decision_is_for_this_c_abi() {
    assert_eq!(
        rcobj::tvm_ffi::c_abi_version(),
        (0, 1, 16),
        "libtvm_ffi's C ABI changed: re-check the allocation-header decision in include/README.md"
    );
}
