//! What DynamoDB bills: item sizes as it counts them, request units, and the writes accounted
//! against the table as the decorator saw it written (index writes, stream records).

use hubee_shared::ports::{Index, Item, Key, Write, item_key};
use serde_json::{Value, json};

use crate::meter::{Counts, MeterState};

/// DynamoDB's size of a value: strings in UTF-8 bytes, numbers about one byte per two digits
/// plus one, booleans and null one byte, lists and maps 3 bytes plus one per element.
fn value_size(v: &Value) -> usize {
    match v {
        Value::Null | Value::Bool(_) => 1,
        Value::Number(n) => n.to_string().bytes().filter(u8::is_ascii_digit).count().div_ceil(2) + 1,
        Value::String(s) => s.len(),
        Value::Array(a) => 3 + a.iter().map(|x| value_size(x) + 1).sum::<usize>(),
        Value::Object(m) => 3 + m.iter().map(|(k, x)| k.len() + value_size(x) + 1).sum::<usize>(),
    }
}

pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

pub fn json_size(item: &Item) -> usize {
    serde_json::to_string(item).map_or(0, |s| s.len())
}

/// An item is in a (sparse) index when it carries both of the index's key attributes.
pub fn in_index(item: &Item, index: Index) -> bool {
    item.get(index.pk_attr()).is_some_and(Value::is_string) && item.get(index.sk_attr()).is_some_and(Value::is_string)
}

fn index_key(item: &Item, index: Index) -> (Option<&Value>, Option<&Value>) {
    (item.get(index.pk_attr()), item.get(index.sk_attr()))
}

fn kb_units(bytes: usize) -> f64 {
    bytes.div_ceil(1024).max(1) as f64
}

/// The item under `key` once the deltas are added (created from nothing if absent).
fn added(st: &MeterState, key: &Key, deltas: &[(String, i64)]) -> Item {
    let mut item = st.shadow.get(key).cloned().unwrap_or_else(|| {
        let mut i = Item::new();
        i.insert("PK".into(), json!(key.pk));
        i.insert("SK".into(), json!(key.sk));
        i
    });
    for (attr, delta) in deltas {
        let now = item.get(attr).and_then(Value::as_i64).unwrap_or(0) + delta;
        item.insert(attr.clone(), json!(now));
    }
    item
}

/// Counts one write (standard or transactional) against the table as the decorator saw it, and
/// applies it when it succeeded.
pub fn account_write(c: &mut Counts, st: &mut MeterState, write: &Write, transactional: bool, applied: bool) {
    let factor = if transactional { 2.0 } else { 1.0 };
    let (key, new) = match write {
        Write::Put { item, .. } => {
            let Some(key) = item_key(item) else { return };
            (key, Some(item.clone()))
        }
        Write::Delete { key, .. } => (key.clone(), None),
        Write::Add { key, attr, delta } => (key.clone(), Some(added(st, key, &[(attr.clone(), *delta)]))),
        Write::AddAll { key, deltas } => (key.clone(), Some(added(st, key, deltas))),
        Write::Check { key, .. } => {
            let size = st.shadow.get(key).map_or(0, item_size);
            c.db_transact_checks += 1.0;
            // Assumed: a condition check in a transaction is billed as a transactional write.
            c.wru += 2.0 * kb_units(size);
            c.wru_transact += 2.0 * kb_units(size);
            return;
        }
    };
    let old = st.shadow.get(&key);
    let old_size = old.map_or(0, item_size);
    let new_size = new.as_ref().map_or(0, item_size);
    let units = factor * kb_units(old_size.max(new_size));
    c.wru += units;
    if transactional {
        c.wru_transact += units;
    }
    if let Some(n) = &new {
        c.write_item_bytes += new_size as f64;
        c.write_json_bytes += json_size(n) as f64;
    }
    // Every index the item was or is in is written too (a key change there: delete + put).
    for index in Index::ALL {
        let was = old.is_some_and(|o| in_index(o, index));
        let is = new.as_ref().is_some_and(|n| in_index(n, index));
        let moved = was && is && old.map(|o| index_key(o, index)) != new.as_ref().map(|n| index_key(n, index));
        if moved {
            c.gsi_writes += 2.0;
            c.gsi_wru += kb_units(old_size) + kb_units(new_size);
        } else if was || is {
            c.gsi_writes += 1.0;
            c.gsi_wru += kb_units(if is { old_size.max(new_size) } else { old_size });
        }
    }
    if let Some(id) = hubee_shared::store::outbox_id_of(&key)
        && new.is_some()
    {
        // An INSERT or MODIFY record the stream's filter lets through to `notify`.
        c.stream_records += 1.0;
        if applied {
            st.outbox_records.push(id);
        }
    }
    if applied {
        match new {
            Some(item) => st.shadow.insert(key, item),
            None => st.shadow.remove(&key),
        };
    }
}
