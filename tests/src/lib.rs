//! Object types shared by the integration tests, defined in a crate of their own so the
//! tests also exercise hierarchies that cross a crate boundary.
