//! What an exception's class contributes: its names along the MRO, the SDK family it belongs to, and which
//! of the read attributes its classes define. Computed once per type and cached.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use pyo3::exceptions::PyException;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyType;

use llm_retry_core::classify::ClassName;

use super::attributes::{interrupted, read, OWN_ATTRS};

/// Bound on the per-type cache of MRO facts; cleared when full (types are usually a few dozen).
const MAX_CACHED_TYPES: usize = 4096;

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
    /// Bit i set: some class in the MRO defines `OWN_ATTRS[i]` (a property or class attribute), so it
    /// must be read with getattr; otherwise it can only live in the instance `__dict__`.
    pub(super) class_attrs: u32,
    /// A custom `__getattr__`/`__getattribute__` somewhere in the MRO: every read goes through getattr.
    pub(super) dynamic: bool,
    /// Some class other than `BaseException` defines `__str__`: the text is what `str()` gives, not the args.
    pub(super) own_str: bool,
}

/// A cached view, with the type it describes.
struct Cached {
    /// Keeps the type alive so its address cannot be reused by another type while cached.
    _type: Py<PyType>,
    view: ClassView,
}

/// Type addresses are unique while the type lives (the cache keeps it alive): a multiplicative hash of the
/// address is enough, and much cheaper than SipHash.
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

type ClassCache = HashMap<usize, Cached, std::hash::BuildHasherDefault<AddressHasher>>;

static CLASS_CACHE: Mutex<Option<ClassCache>> = Mutex::new(None);

/// The view of `ty`, from the cache when possible. The lock is never held while calling Python.
pub(super) fn class_view(ty: &Bound<'_, PyType>) -> ClassView {
    let key = ty.as_ptr() as usize;
    if let Ok(guard) = CLASS_CACHE.lock() {
        if let Some(found) = guard.as_ref().and_then(|cache| cache.get(&key)) {
            return found.view.clone();
        }
    }
    let view = read_class(ty);
    if interrupted() {
        // Read in part: not kept.
        return view;
    }
    if let Ok(mut guard) = CLASS_CACHE.lock() {
        let cache = guard.get_or_insert_with(ClassCache::default);
        if cache.len() >= MAX_CACHED_TYPES {
            cache.clear();
        }
        cache.insert(
            key,
            Cached {
                _type: ty.clone().unbind(),
                view: view.clone(),
            },
        );
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
    for class in ty.mro().iter() {
        if interrupted() {
            break;
        }
        let Ok(class) = class.cast_into::<PyType>() else {
            continue;
        };
        let name = read(py, class.name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let module = read(py, class.module())
            .map(|m| m.to_string_lossy().into_owned())
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
    ClassView {
        classes: Arc::new(classes),
        is_exception,
        is_grpc,
        is_tenacity_retry_error,
        is_aiohttp,
        is_httpx,
        class_attrs,
        dynamic,
        own_str,
    }
}
