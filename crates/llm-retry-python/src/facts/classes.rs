//! What an exception's class contributes: its names along the MRO, the SDK family it belongs to, and which
//! of the read attributes its classes define. Computed once per type and cached.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use pyo3::exceptions::PyException;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyType, PyWeakrefMethods, PyWeakrefReference};

use llm_retry_core::classify::ClassName;

use super::attributes::{interrupted, read, OWN_ATTRS};

/// Bounds on the per-type cache: how many types, and how many bytes of names (a process has a few dozen
/// exception types; a program that makes types without end fills it, and then its dead types are dropped).
const MAX_CACHED_TYPES: usize = 4096;
const MAX_CACHED_NAME_BYTES: usize = 4 << 20;
/// Classes kept of one MRO, and bytes kept of one class or module name: longer ones match no rule.
const MAX_MRO: usize = 64;
const MAX_NAME: usize = 256;

/// What the extraction needs to know about a type.
#[derive(Clone)]
pub(super) struct ClassView {
    pub(super) classes: Arc<Vec<ClassName>>,
    pub(super) is_exception: bool,
    pub(super) is_grpc: bool,
    pub(super) is_tenacity_retry_error: bool,
    /// An aiohttp error, whose `.code` is a deprecated alias of `.status` that warns at the user's line.
    pub(super) is_aiohttp: bool,
    /// Defined in httpx or httpx2 (whose `Headers` keep a `_list` of byte triples).
    pub(super) is_httpx: bool,
    /// A LiteLLM exception, whose message may end with the provider's body.
    pub(super) is_litellm: bool,
    /// Bit i set: some class in the MRO defines `OWN_ATTRS[i]` (a property or class attribute), so it
    /// must be read with getattr; otherwise it can only live in the instance `__dict__`.
    pub(super) class_attrs: u32,
    /// A custom `__getattr__`/`__getattribute__` somewhere in the MRO: every read goes through getattr.
    pub(super) dynamic: bool,
    /// Some class other than `BaseException` defines `__str__`: the text is what `str()` gives, not the args.
    pub(super) own_str: bool,
}

/// A cached view, with a weak reference to the type it describes: the cache never keeps a class alive, and
/// an entry whose type died (its address may now be another type's) is never used.
struct Cached {
    of: Py<PyWeakrefReference>,
    view: ClassView,
    name_bytes: usize,
}

impl Cached {
    fn describes(&self, ty: &Bound<'_, PyType>) -> bool {
        self.of
            .bind(ty.py())
            .upgrade()
            .is_some_and(|alive| alive.as_ptr() == ty.as_ptr())
    }

    fn alive(&self, py: Python<'_>) -> bool {
        self.of.bind(py).upgrade().is_some()
    }
}

/// Keys are type addresses: a multiplicative hash of the address is enough, and much cheaper than SipHash.
#[derive(Default)]
struct AddressHasher(u64);

impl std::hash::Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type ByAddress = HashMap<usize, Cached, std::hash::BuildHasherDefault<AddressHasher>>;

#[derive(Default)]
struct ClassCache {
    views: ByAddress,
    name_bytes: usize,
}

impl ClassCache {
    /// Room for one more entry: the dead types go first, then everything if that is not enough.
    fn make_room(&mut self, py: Python<'_>, name_bytes: usize) {
        let full = |c: &ClassCache| {
            c.views.len() >= MAX_CACHED_TYPES || c.name_bytes + name_bytes > MAX_CACHED_NAME_BYTES
        };
        if !full(self) {
            return;
        }
        self.views.retain(|_, cached| cached.alive(py));
        self.name_bytes = self.views.values().map(|c| c.name_bytes).sum();
        if full(self) {
            self.views.clear();
            self.name_bytes = 0;
        }
    }
}

static CLASS_CACHE: Mutex<Option<ClassCache>> = Mutex::new(None);

/// The view of `ty`, from the cache when possible. The lock is never held while calling Python code (a weak
/// reference is read and dropped without any).
pub(super) fn class_view(ty: &Bound<'_, PyType>) -> ClassView {
    let key = ty.as_ptr() as usize;
    if let Ok(guard) = CLASS_CACHE.lock() {
        let found = guard.as_ref().and_then(|cache| cache.views.get(&key));
        if let Some(found) = found.filter(|c| c.describes(ty)) {
            return found.view.clone();
        }
    }
    let view = read_class(ty);
    if interrupted() {
        // Read in part: not kept.
        return view;
    }
    let Ok(of) = PyWeakrefReference::new(ty) else {
        return view;
    };
    let name_bytes = view
        .classes
        .iter()
        .map(|c| c.name.len() + c.module.len())
        .sum();
    if let Ok(mut guard) = CLASS_CACHE.lock() {
        let cache = guard.get_or_insert_with(ClassCache::default);
        cache.make_room(ty.py(), name_bytes);
        let cached = Cached {
            of: of.unbind(),
            view: view.clone(),
            name_bytes,
        };
        cache.name_bytes += name_bytes;
        if let Some(replaced) = cache.views.insert(key, cached) {
            cache.name_bytes -= replaced.name_bytes;
        }
    }
    view
}

/// Walks the MRO of `ty`: names, and which `OWN_ATTRS` its namespaces define.
fn read_class(ty: &Bound<'_, PyType>) -> ClassView {
    let py = ty.py();
    let mut classes = Vec::new();
    let mut class_attrs = 0u32;
    let mut dynamic = false;
    let mut own_str = false;
    let mro = ty.mro();
    if mro.len() > MAX_MRO {
        // The classes past the bound are not looked at: every read goes through getattr, and str().
        dynamic = true;
        own_str = true;
    }
    for class in mro.iter().take(MAX_MRO) {
        if interrupted() {
            break;
        }
        let Ok(class) = class.cast_into::<PyType>() else {
            continue;
        };
        let name = read(py, class.name())
            .map(|n| short_name(&n.to_string_lossy()))
            .unwrap_or_default();
        let module = read(py, class.module())
            .map(|m| short_name(&m.to_string_lossy()))
            .unwrap_or_default();
        let builtin = module == "builtins";
        if let Some(namespace) = read(py, class.getattr(intern!(py, "__dict__"))) {
            let defines = |name: &str| read(py, namespace.contains(name)).unwrap_or(true);
            for (i, attr_name) in OWN_ATTRS.iter().enumerate() {
                if defines(attr_name) {
                    class_attrs |= 1 << i;
                }
            }
            dynamic |= defines("__getattr__") || (!builtin && defines("__getattribute__"));
            // BaseException's `__str__` is `str(args[0])` or `str(args)`: the args are read directly.
            let default_str = builtin && (name == "BaseException" || name == "object");
            own_str |= !default_str && defines("__str__");
        } else {
            dynamic = true;
            own_str = true;
        }
        if name == "object" && builtin {
            continue;
        }
        classes.push(ClassName { module, name });
    }
    let is_exception = read(py, ty.is_subclass_of::<PyException>()).unwrap_or(false);
    let is_grpc = classes
        .iter()
        .any(|c| c.module.starts_with("grpc") || c.name == "RpcError");
    let is_tenacity_retry_error = classes
        .iter()
        .any(|c| c.name == "RetryError" && c.module.starts_with("tenacity"));
    let is_aiohttp = classes.iter().any(|c| c.module.starts_with("aiohttp"));
    let is_httpx = classes
        .first()
        .is_some_and(|c| c.module.starts_with("httpx"));
    let is_litellm = classes
        .first()
        .is_some_and(|c| c.module.starts_with("litellm"));
    ClassView {
        classes: Arc::new(classes),
        is_exception,
        is_grpc,
        is_tenacity_retry_error,
        is_aiohttp,
        is_httpx,
        is_litellm,
        class_attrs,
        dynamic,
        own_str,
    }
}

/// At most `MAX_NAME` bytes of a class or module name, cut on a char boundary.
fn short_name(name: &str) -> String {
    let mut end = name.len().min(MAX_NAME);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name[..end].to_owned()
}

/// How many types the cache holds, and how many bytes of names.
#[cfg(test)]
pub(super) fn cache_size() -> (usize, usize) {
    let guard = CLASS_CACHE
        .lock()
        .expect("the cache lock is never poisoned in tests");
    guard
        .as_ref()
        .map_or((0, 0), |c| (c.views.len(), c.name_bytes))
}

#[cfg(test)]
pub(super) const CACHE_BOUNDS: (usize, usize) = (MAX_CACHED_TYPES, MAX_CACHED_NAME_BYTES);
