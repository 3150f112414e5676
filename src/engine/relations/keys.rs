//! Keys as SQLite compares them for a foreign key, and parent key sets shaped for lookups that
//! allocate nothing.

use super::*;

/// A key value normalised the way SQLite compares a child value against its parent column,
/// borrowing the row's bytes so that a lookup allocates nothing.
#[derive(Hash, PartialEq, Eq, Clone, Copy, Debug)]
pub(super) enum KeyRef<'a> {
    Int(i64),
    Real(u64),
    Text(&'a [u8]),
    Blob(&'a [u8]),
}

/// An owned key, for parent key sets of mixed types and for composite keys.
#[derive(Hash, PartialEq, Eq, Clone, Debug)]
pub(super) enum Key {
    Int(i64),
    Real(u64),
    Text(Vec<u8>),
    Blob(Vec<u8>),
    Tuple(Vec<Key>),
}

impl KeyRef<'_> {
    pub(super) fn owned(self) -> Key {
        match self {
            KeyRef::Int(i) => Key::Int(i),
            KeyRef::Real(r) => Key::Real(r),
            KeyRef::Text(t) => Key::Text(t.to_vec()),
            KeyRef::Blob(b) => Key::Blob(b.to_vec()),
        }
    }
}

pub(super) fn to_key(v: ValueRef<'_>, parent: Affinity) -> Option<KeyRef<'_>> {
    let numeric = matches!(
        parent,
        Affinity::Integer | Affinity::Real | Affinity::Numeric
    );
    Some(match v {
        ValueRef::Null => return None,
        ValueRef::Integer(i) => KeyRef::Int(i),
        ValueRef::Real(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => KeyRef::Int(f as i64),
        ValueRef::Real(f) => KeyRef::Real(f.to_bits()),
        ValueRef::Text(t) if numeric => {
            let s = std::str::from_utf8(t).unwrap_or_default().trim();
            match (s.parse::<i64>(), s.parse::<f64>()) {
                (Ok(i), _) => KeyRef::Int(i),
                (_, Ok(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => KeyRef::Int(f as i64),
                (_, Ok(f)) => KeyRef::Real(f.to_bits()),
                _ => KeyRef::Text(t),
            }
        }
        ValueRef::Text(t) => KeyRef::Text(t),
        ValueRef::Blob(b) => KeyRef::Blob(b),
    })
}

/// What a row's key columns hold: one value, a value made text by a TEXT parent's affinity, or a
/// composite key.
pub(super) enum Probe<'a> {
    One(KeyRef<'a>),
    Text(Vec<u8>),
    Tuple(Key),
}

/// An integer child value as a TEXT parent column's affinity makes it before comparing: its
/// decimal text (`1` matches the parent key `'1'`, as `PRAGMA foreign_key_check` has it).
fn as_text(v: ValueRef<'_>, parent: Affinity) -> Option<Vec<u8>> {
    match (v, parent) {
        (ValueRef::Integer(i), Affinity::Text) => Some(i.to_string().into_bytes()),
        _ => None,
    }
}

/// The key in `cols` of `row`, or `None` when any part is NULL (SQLite does not check those).
pub(super) fn key_at<'r>(
    row: &'r Row,
    cols: &[usize],
    aff: &[Affinity],
) -> rusqlite::Result<Option<Probe<'r>>> {
    if let ([col], [a]) = (cols, aff) {
        let v = row.get_ref(*col)?;
        if let Some(text) = as_text(v, *a) {
            return Ok(Some(Probe::Text(text)));
        }
        return Ok(to_key(v, *a).map(Probe::One));
    }
    let mut parts = Vec::with_capacity(cols.len());
    for (c, a) in cols.iter().zip(aff) {
        let v = row.get_ref(*c)?;
        if let Some(text) = as_text(v, *a) {
            parts.push(Key::Text(text));
            continue;
        }
        match to_key(v, *a) {
            Some(k) => parts.push(k.owned()),
            None => return Ok(None),
        }
    }
    Ok(Some(Probe::Tuple(Key::Tuple(parts))))
}

pub(super) fn json_value(v: ValueRef<'_>) -> serde_json::Value {
    match v {
        ValueRef::Null => serde_json::Value::Null,
        ValueRef::Integer(i) => i.into(),
        ValueRef::Real(f) => f.into(),
        ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned().into(),
        ValueRef::Blob(b) => format!("<blob {} bytes>", b.len()).into(),
    }
}

/// A parent's keys, shaped for fast lookups: integer keys (the common INTEGER PRIMARY KEY) as a
/// bitmap when dense, a hash set of integers when sparse, text keys as a set of byte strings
/// (probed without allocating), anything else as a set of owned keys.
pub(super) enum KeySet {
    Dense { min: i64, bits: Vec<u64> },
    Ints(FxHashSet<i64>),
    Texts(FxHashSet<Box<[u8]>>),
    Keys(FxHashSet<Key>),
}

impl KeySet {
    pub(super) fn build(keys: Vec<Key>) -> KeySet {
        if !keys.is_empty() && keys.iter().all(|k| matches!(k, Key::Text(_))) {
            let texts = keys.into_iter().filter_map(|k| match k {
                Key::Text(t) => Some(t.into_boxed_slice()),
                _ => None,
            });
            return KeySet::Texts(texts.collect());
        }
        let ints: Option<Vec<i64>> = keys
            .iter()
            .map(|k| match k {
                Key::Int(i) => Some(*i),
                _ => None,
            })
            .collect();
        match ints {
            Some(ints) => KeySet::from_ints(ints),
            None => KeySet::Keys(keys.into_iter().collect()),
        }
    }

    fn from_ints(ints: Vec<i64>) -> KeySet {
        let (min, max) = (
            ints.iter().copied().min().unwrap_or(0),
            ints.iter().copied().max().unwrap_or(0),
        );
        let span = (max as i128 - min as i128 + 1) as u128;
        // A bitmap costs a bit per value in the range: worth it while that stays near a byte a key.
        if span <= 8 * ints.len() as u128 + 4096 {
            let mut bits = vec![0u64; (span as usize).div_ceil(64)];
            for i in ints {
                let at = (i - min) as usize;
                bits[at / 64] |= 1 << (at % 64);
            }
            KeySet::Dense { min, bits }
        } else {
            KeySet::Ints(ints.into_iter().collect())
        }
    }

    pub(super) fn contains(&self, probe: &Probe) -> bool {
        match (self, probe) {
            (KeySet::Dense { min, bits }, Probe::One(KeyRef::Int(i))) => {
                let Some(at) = i.checked_sub(*min).filter(|d| *d >= 0) else {
                    return false;
                };
                let at = at as u64;
                bits.get((at / 64) as usize)
                    .is_some_and(|w| w & (1 << (at % 64)) != 0)
            }
            (KeySet::Ints(set), Probe::One(KeyRef::Int(i))) => set.contains(i),
            (KeySet::Texts(set), Probe::One(KeyRef::Text(t))) => set.contains(*t),
            (KeySet::Texts(set), Probe::Text(t)) => set.contains(t.as_slice()),
            (KeySet::Keys(set), Probe::Text(t)) => set.contains(&Key::Text(t.clone())),
            (KeySet::Keys(set), Probe::One(k)) => set.contains(&k.owned()),
            (KeySet::Keys(set), Probe::Tuple(k)) => set.contains(k),
            _ => false,
        }
    }
}

/// Parent keys as they are read: integers alone, 8 bytes each, until the first key of another
/// type, then owned keys (32 bytes and more each). A million integer keys then peak at 8 MB
/// before becoming a bitmap, not 32 MB.
#[derive(Default)]
pub(super) struct Keys {
    ints: Vec<i64>,
    others: Vec<Key>,
}

impl Keys {
    pub(super) fn push(&mut self, probe: Probe) {
        match probe {
            Probe::One(KeyRef::Int(i)) if self.others.is_empty() => self.ints.push(i),
            Probe::One(k) => self.push_other(k.owned()),
            Probe::Text(t) => self.push_other(Key::Text(t)),
            Probe::Tuple(k) => self.push_other(k),
        }
    }

    fn push_other(&mut self, key: Key) {
        self.others.extend(self.ints.drain(..).map(Key::Int));
        self.others.push(key);
    }

    pub(super) fn len(&self) -> usize {
        self.ints.len() + self.others.len()
    }

    pub(super) fn build(self) -> KeySet {
        if self.others.is_empty() {
            KeySet::from_ints(self.ints)
        } else {
            KeySet::build(self.others)
        }
    }
}
