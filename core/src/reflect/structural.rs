//! [`structural_eq`] and [`structural_hash`]: equality and hashing of object graphs by
//! their reflected fields, consistent with each other. The rules are in the `reflect`
//! module docs ("Structural equality and hashing"); the canonical tree is never built:
//! both walk the graph with a path of the objects above (for back-references) and a memo of
//! shared nodes whose result does not depend on that path.

use ::alloc::collections::{BTreeMap, BTreeSet};
use ::alloc::vec::Vec;
use core::ptr;

use super::any::AsAnyObj;
use super::field::Instance;
use super::seq::Seq;
use super::value::Value;
use super::visit::{addr, is_shared};
use crate::obj::{AnyObj, Obj};
use crate::type_info::AnyObject;
use crate::weak::WeakObj;

/// "No back-reference": the smallest path depth a subtree's back-references reach.
const NO_REF: usize = usize::MAX;

/// The depth of `target` on `path` (the shared objects above, with their depths), searched
/// from the top.
#[inline]
fn on_path(path: &[(usize, usize)], target: usize) -> Option<usize> {
    path.iter().rev().find(|p| p.0 == target).map(|p| p.1)
}

/// Whether two objects are structurally equal: the same real type and equal reflected
/// fields, recursively. See [the rules](super#structural-equality-and-hashing) (sharing, cycles,
/// weak references, opaque fields, floats).
///
/// ```
/// use rcobj::reflect::{structural_eq, structural_hash};
/// use rcobj::{Obj, Object};
///
/// #[derive(Object)]
/// #[object(key = "doc.reflect.structural_eq.Expr")]
/// struct Expr { op: &'static str, args: Vec<Obj<Expr>> }
///
/// fn leaf(op: &'static str) -> Obj<Expr> { Obj::new(Expr { op, args: vec![] }) }
/// let a = Obj::new(Expr { op: "+", args: vec![leaf("x"), leaf("y")] });
/// let b = Obj::new(Expr { op: "+", args: vec![leaf("x"), leaf("y")] }); // built apart
/// let c = Obj::new(Expr { op: "+", args: vec![leaf("y"), leaf("x")] });
/// assert!(structural_eq(&a, &b));
/// assert_eq!(structural_hash(&a), structural_hash(&b));
/// assert!(!structural_eq(&a, &c));
/// ```
pub fn structural_eq<A, B>(a: &A, b: &B) -> bool
where
    A: AsAnyObj + ?Sized,
    B: AsAnyObj + ?Sized,
{
    let (a, b) = (a.as_any_obj(), b.as_any_obj());
    let mut cx = EqCx {
        depth: 0,
        lhs: Vec::new(),
        rhs: Vec::new(),
        memo: BTreeSet::new(),
        weak: Vec::new(),
    };
    if !cx.objects(a, b).0 {
        return false;
    }
    if cx.weak.is_empty() {
        return true;
    }
    // Weak references to live objects: by position in the graph, or by identity.
    let (pa, pb) = (Positions::of(a), Positions::of(b));
    cx.weak.iter().all(
        |&(x, y)| match (pa.0.contains_key(&x), pb.0.contains_key(&y)) {
            (true, true) => Positions::same(&pa, x, &pb, y),
            (false, false) => x == y,
            _ => false,
        },
    )
}

/// The state of one comparison: the depth of the current pair, the shared objects above it
/// on both sides (only a shared object can be met again, see `is_shared`), the pairs of
/// shared objects already found equal, and the pairs of live weak targets whose positions
/// must agree.
struct EqCx {
    depth: usize,
    lhs: Vec<(usize, usize)>,
    rhs: Vec<(usize, usize)>,
    memo: BTreeSet<(usize, usize)>,
    weak: Vec<(usize, usize)>,
}

/// Where each object of a graph first occurs in preorder: the object it was reached from
/// (`usize::MAX` for the root), the field's position in `all_fields`, and the object's
/// position among those the field holds.
struct Positions(BTreeMap<usize, (usize, usize, usize)>);

impl Positions {
    fn of(root: &AnyObj) -> Positions {
        let mut first = BTreeMap::new();
        let mut stack: Vec<(&AnyObj, (usize, usize, usize))> =
            Vec::from([(root, (usize::MAX, 0, 0))]);
        let mut children: Vec<(&AnyObj, (usize, usize, usize))> = Vec::new();
        while let Some((node, from)) = stack.pop() {
            let key = addr(node);
            if first.contains_key(&key) {
                continue;
            }
            first.insert(key, from);
            let inst = Instance::new(node);
            for (i, field) in inst.type_info().all_fields().enumerate() {
                let mut n = 0;
                // SAFETY: the fields of the object's real type.
                super::visit::objects_in(unsafe { field.read(inst) }, &mut |o| {
                    children.push((o, (key, i, n)));
                    n += 1;
                });
            }
            stack.extend(children.drain(..).rev());
        }
        Positions(first)
    }

    /// Whether `x` in `a` and `y` in `b` (both present) first occur at the same position.
    fn same(a: &Positions, mut x: usize, b: &Positions, mut y: usize) -> bool {
        loop {
            let (Some(&(px, fx, nx)), Some(&(py, fy, ny))) = (a.0.get(&x), b.0.get(&y)) else {
                return false;
            };
            if (fx, nx) != (fy, ny) || (px == usize::MAX) != (py == usize::MAX) {
                return false;
            }
            if px == usize::MAX {
                return true;
            }
            (x, y) = (px, py);
        }
    }
}

impl EqCx {
    /// Compares two objects reached by strong references; returns the result and the
    /// smallest path depth a back-reference below reached.
    fn objects(&mut self, a: &AnyObj, b: &AnyObj) -> (bool, usize) {
        let (sa, sb) = (is_shared(a), is_shared(b));
        let (ka, kb) = (addr(a), addr(b));
        // Only a shared object can be on the path (see `is_shared`).
        let pa = if sa { on_path(&self.lhs, ka) } else { None };
        let pb = if sb { on_path(&self.rhs, kb) } else { None };
        match (pa, pb) {
            (Some(i), Some(j)) => return (i == j, i),
            (None, None) => {}
            _ => return (false, NO_REF),
        }
        // A pair can come up twice only if both objects are shared.
        let memoize = sa && sb;
        if memoize && self.memo.contains(&(ka, kb)) {
            return (true, NO_REF);
        }
        let depth = self.depth;
        let (eq, reach) = self.fields(a, b, sa, sb);
        // Memoize only a result that does not depend on the path above: no back-reference
        // below reached above this pair.
        if eq && memoize && reach >= depth {
            self.memo.insert((ka, kb));
        }
        (eq, reach)
    }

    /// Compares the real types and the fields of two objects.
    fn fields(&mut self, a: &AnyObj, b: &AnyObj, sa: bool, sb: bool) -> (bool, usize) {
        let (ia, ib) = (Instance::new(a), Instance::new(b));
        let info = ia.type_info();
        if !ptr::eq(info, ib.type_info()) {
            return (false, NO_REF);
        }
        let same = Obj::ptr_eq(a, b);
        if info.depth() == 0 {
            // A foreign object: nothing to see into.
            return (same, NO_REF);
        }
        if sa {
            self.lhs.push((addr(a), self.depth));
        }
        if sb {
            self.rhs.push((addr(b), self.depth));
        }
        self.depth += 1;
        let mut reach = NO_REF;
        let eq = info.each_field_list(|list| {
            for field in list {
                // SAFETY: the fields of the real type, which both objects have.
                let (va, vb) = unsafe { (field.read(ia), field.read(ib)) };
                let (e, r) = self.values(va, vb, same);
                reach = reach.min(r);
                if !e {
                    return false;
                }
            }
            true
        });
        self.depth -= 1;
        if sa {
            self.lhs.pop();
        }
        if sb {
            self.rhs.pop();
        }
        (eq, reach)
    }

    /// Compares two field values; `same` says whether they belong to one object.
    fn values(&mut self, a: Value<'_>, b: Value<'_>, same: bool) -> (bool, usize) {
        let eq = match (a, b) {
            (Value::Object(x), Value::Object(y)) => return self.objects(x, y),
            (Value::Weak(x), Value::Weak(y)) => return self.weaks(x, y),
            (Value::Seq(x), Value::Seq(y)) => return self.seqs(x, y, same),
            (Value::None, Value::None) => true,
            (Value::Bool(x), Value::Bool(y)) => x == y,
            (Value::Int(x), Value::Int(y)) => x == y,
            (Value::UInt(x), Value::UInt(y)) => x == y,
            (Value::Float(x), Value::Float(y)) => x == y || (x.is_nan() && y.is_nan()),
            (Value::Char(x), Value::Char(y)) => x == y,
            (Value::Str(x), Value::Str(y)) => x == y,
            (Value::Bytes(x), Value::Bytes(y)) => x == y,
            (Value::Opaque(_), Value::Opaque(_)) => same,
            _ => false,
        };
        (eq, NO_REF)
    }

    fn weaks(&mut self, a: &WeakObj<AnyObject>, b: &WeakObj<AnyObject>) -> (bool, usize) {
        let (ka, kb) = (a.addr(), b.addr());
        if a.strong_count() == 0 || b.strong_count() == 0 {
            // Empty or dangling: not part of any graph, so by identity.
            return (ka == kb, NO_REF);
        }
        self.weak.push((ka, kb));
        (true, NO_REF)
    }

    fn seqs(&mut self, a: Seq<'_>, b: Seq<'_>, same: bool) -> (bool, usize) {
        if a.len() != b.len() {
            return (false, NO_REF);
        }
        let mut reach = NO_REF;
        for (x, y) in a.iter().zip(b.iter()) {
            let (e, r) = self.values(x, y, same);
            reach = reach.min(r);
            if !e {
                return (false, reach);
            }
        }
        (true, reach)
    }
}

/// A hash of an object's canonical tree (see [the rules](super#structural-equality-and-hashing)): objects that are
/// [`structural_eq`] hash the same. 64 bits, deterministic within a build of rcobj.
///
/// ```
/// use rcobj::reflect::structural_hash;
/// use rcobj::{Obj, Object};
///
/// #[derive(Object)]
/// #[object(key = "doc.reflect.structural_hash.Pair")]
/// struct Pair(i64, i64);
///
/// assert_eq!(structural_hash(&Obj::new(Pair(1, 2))), structural_hash(&Obj::new(Pair(1, 2))));
/// assert_ne!(structural_hash(&Obj::new(Pair(1, 2))), structural_hash(&Obj::new(Pair(2, 1))));
/// ```
pub fn structural_hash<A: AsAnyObj + ?Sized>(obj: &A) -> u64 {
    let mut cx = HashCx {
        depth: 0,
        path: Vec::new(),
        memo: BTreeMap::new(),
        keys: [(0, 0); 8],
    };
    cx.object(obj.as_any_obj()).0
}

/// Tags that keep values of different kinds apart in the hash.
mod tag {
    pub const NONE: u64 = 1;
    pub const BOOL: u64 = 2;
    pub const INT: u64 = 3;
    pub const UINT: u64 = 4;
    pub const FLOAT: u64 = 5;
    pub const CHAR: u64 = 6;
    pub const STR: u64 = 7;
    pub const BYTES: u64 = 8;
    pub const OBJECT_BACK: u64 = 9;
    pub const WEAK: u64 = 10;
    pub const SEQ: u64 = 12;
    pub const OPAQUE: u64 = 13;
    pub const FOREIGN: u64 = 14;
}

/// A fast 64-bit hash state: FxHash's multiply-rotate step per word, a murmur3 finaliser
/// at the end of each object (so an object's hash is well mixed where its parent adds it).
#[derive(Clone, Copy)]
struct Mix(u64);

impl Mix {
    const K: u64 = 0x517c_c1b7_2722_0a95;

    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Mix::K);
    }

    /// The length, then the bytes eight at a time; a short tail is read as overlapping
    /// words (which the length makes unambiguous), with no copy.
    #[inline]
    fn bytes(&mut self, bytes: &[u8]) {
        let n = bytes.len();
        self.add(n as u64);
        let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or([0; 8]));
        let half = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap_or([0; 4]));
        if n >= 8 {
            let mut at = 0;
            while at + 8 <= n {
                self.add(word(at));
                at += 8;
            }
            if at < n {
                self.add(word(n - 8));
            }
        } else if n >= 4 {
            self.add(u64::from(half(0)) | u64::from(half(n - 4)) << 32);
        } else if n > 0 {
            let b = |i: usize| u64::from(bytes[i]);
            self.add(b(0) | b(n / 2) << 8 | b(n - 1) << 16);
        }
    }

    #[inline]
    fn finish(self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// The state of one hash: the current depth, the shared objects above it (with their
/// depths), the hashes of shared objects whose tree does not depend on the path above
/// them, and a small cache of type keys' hashes (by descriptor address).
struct HashCx {
    depth: usize,
    path: Vec<(usize, usize)>,
    memo: BTreeMap<usize, u64>,
    keys: [(usize, u64); 8],
}

impl HashCx {
    /// Hashes an object reached by a strong reference (not on the path); returns its hash
    /// and the smallest path depth a back-reference below reached.
    fn object(&mut self, obj: &AnyObj) -> (u64, usize) {
        let shared = is_shared(obj);
        let key = addr(obj);
        if shared {
            if let Some(&h) = self.memo.get(&key) {
                return (h, NO_REF);
            }
        }
        let inst = Instance::new(obj);
        let info = inst.type_info();
        let mut h = Mix(self.key_hash(info));
        if info.depth() == 0 {
            h.add(tag::FOREIGN);
            h.add(key as u64);
            return (h.finish(), NO_REF);
        }
        let depth = self.depth;
        if shared {
            self.path.push((key, depth));
        }
        self.depth += 1;
        let mut reach = NO_REF;
        for list in info.field_lists() {
            for field in list {
                // SAFETY: the fields of the object's real type.
                let r = self.value(&mut h, unsafe { field.read(inst) });
                reach = reach.min(r);
            }
        }
        self.depth -= 1;
        if shared {
            self.path.pop();
        }
        let h = h.finish();
        if shared && reach >= depth {
            self.memo.insert(key, h);
        }
        (h, reach)
    }

    /// The hash of a type's key, through the cache.
    #[inline]
    fn key_hash(&mut self, info: &crate::TypeInfo) -> u64 {
        let p = ptr::from_ref(info).addr();
        let slot = &mut self.keys[(p >> 6 ^ p >> 10) & 7];
        if slot.0 != p {
            let mut h = Mix(0);
            h.bytes(info.key().as_bytes());
            *slot = (p, h.0);
        }
        slot.1
    }

    /// Adds a field value to `h`; returns the smallest path depth a back-reference reached.
    /// Inlined into the field loop: only objects and sequences leave it.
    #[inline(always)]
    fn value(&mut self, h: &mut Mix, value: Value<'_>) -> usize {
        match value {
            Value::Object(o) => self.object_value(h, o),
            Value::Seq(seq) => self.seq_value(h, seq),
            Value::None => {
                h.add(tag::NONE);
                NO_REF
            }
            Value::Bool(b) => {
                h.add(tag::BOOL);
                h.add(u64::from(b));
                NO_REF
            }
            Value::Int(i) => {
                h.add(tag::INT);
                h.add(i as u64);
                NO_REF
            }
            Value::UInt(u) => {
                h.add(tag::UINT);
                h.add(u);
                NO_REF
            }
            Value::Float(x) => {
                h.add(tag::FLOAT);
                // One hash for the values `==` (and NaN) calls equal.
                let x = if x == 0.0 {
                    0.0
                } else if x.is_nan() {
                    f64::NAN
                } else {
                    x
                };
                h.add(x.to_bits());
                NO_REF
            }
            Value::Char(c) => {
                h.add(tag::CHAR);
                h.add(u64::from(c));
                NO_REF
            }
            Value::Str(s) => {
                h.add(tag::STR);
                h.bytes(s.as_bytes());
                NO_REF
            }
            Value::Bytes(b) => {
                h.add(tag::BYTES);
                h.bytes(b);
                NO_REF
            }
            Value::Weak(w) => {
                // Whether it is empty, dangling or alive: all that weak references equal
                // by position or identity are sure to share.
                h.add(tag::WEAK);
                h.add(if w.addr() == usize::MAX {
                    0
                } else if w.strong_count() == 0 {
                    1
                } else {
                    2
                });
                NO_REF
            }
            Value::Opaque(_) => {
                h.add(tag::OPAQUE);
                NO_REF
            }
        }
    }

    #[inline(never)]
    fn object_value(&mut self, h: &mut Mix, o: &AnyObj) -> usize {
        if is_shared(o) {
            if let Some(i) = on_path(&self.path, addr(o)) {
                h.add(tag::OBJECT_BACK);
                h.add((self.depth - i) as u64);
                return i;
            }
        }
        let (oh, r) = self.object(o);
        h.add(oh);
        r
    }

    #[inline(never)]
    fn seq_value(&mut self, h: &mut Mix, seq: Seq<'_>) -> usize {
        h.add(tag::SEQ);
        h.add(seq.len() as u64);
        let mut reach = NO_REF;
        for item in seq.iter() {
            reach = reach.min(self.value(h, item));
        }
        reach
    }
}
