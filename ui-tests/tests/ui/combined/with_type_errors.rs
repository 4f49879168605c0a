// The derive's own errors and the compiler's checks on the parent type are reported in
// the same round.
use rcobj::Object;

#[derive(Object)]
#[object(final)]
struct Sealed;

struct Plain;

#[derive(Object)]
#[object(kee = "demo.A")]
struct A(#[parent] Sealed);

#[derive(Object)]
#[repr(C)]
#[object(kee = "demo.B")]
struct B(#[parent] Plain);

fn main() {}
