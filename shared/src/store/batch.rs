//! Reads gathered to be made together: a use case names what it needs to decide ([`Reads`]),
//! the store reads it all in one round trip ([`Store::read_all`], the `Table`'s `get_many`),
//! and the use case takes each entity back by the typed [`Slot`] it was given.

use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::{Store, StoreError, Versioned, from_item, keys};
use crate::{
    domain::{BranchCode, Case, Event, Organisation, Procedure, ProcessCode, Siret, Subscription},
    ports::{Item, Key},
};

/// The keys of the entities to read together, in the order they were asked.
#[derive(Debug, Default)]
pub struct Reads {
    keys: Vec<Key>,
}

/// Where an entity of type `T` will be in the answer of [`Store::read_all`].
#[derive(Debug)]
pub struct Slot<T> {
    index: usize,
    kind: PhantomData<fn() -> T>,
}

impl<T> Clone for Slot<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Slot<T> {}

impl Reads {
    pub fn new() -> Self {
        Self::default()
    }

    fn slot<T>(&mut self, key: Key) -> Slot<T> {
        self.keys.push(key);
        Slot { index: self.keys.len() - 1, kind: PhantomData }
    }

    pub fn procedure(&mut self, code: &ProcessCode) -> Slot<Procedure> {
        self.slot(keys::procedure(code))
    }

    pub fn organisation(&mut self, siret: &Siret, branch: &BranchCode) -> Slot<Organisation> {
        self.slot(keys::organisation(siret, branch))
    }

    pub fn subscription(&mut self, siret: &Siret, branch: &BranchCode, process: &ProcessCode) -> Slot<Subscription> {
        self.slot(keys::subscription(siret, branch, process))
    }

    pub fn case(&mut self, id: Uuid) -> Slot<Case> {
        self.slot(keys::case(id))
    }

    pub fn event(&mut self, case: Uuid, id: Uuid) -> Slot<Event> {
        self.slot(keys::event(case, id))
    }

    pub(super) fn raw<T>(&mut self, key: Key) -> Slot<T> {
        self.slot(key)
    }
}

/// The answer of [`Store::read_all`]: each slot's entity, if it exists.
#[derive(Debug)]
pub struct ReadAll {
    items: Vec<Option<Item>>,
}

impl ReadAll {
    /// The entity read for `slot`, with its version.
    ///
    /// # Errors
    /// `Corrupt` when the item does not hold a `T`.
    pub fn versioned<T: DeserializeOwned>(&self, slot: Slot<T>) -> Result<Option<Versioned<T>>, StoreError> {
        self.items.get(slot.index).cloned().flatten().map(from_item).transpose()
    }

    /// The entity read for `slot`.
    ///
    /// # Errors
    /// `Corrupt` when the item does not hold a `T`.
    pub fn get<T: DeserializeOwned>(&self, slot: Slot<T>) -> Result<Option<T>, StoreError> {
        Ok(self.versioned(slot)?.map(|v| v.value))
    }
}

impl Store {
    /// Reads every entity of `reads` in one round trip, each as strongly consistent as a
    /// single read.
    ///
    /// # Errors
    /// When the table fails.
    pub async fn read_all(&self, reads: Reads) -> Result<ReadAll, StoreError> {
        if reads.keys.is_empty() {
            return Ok(ReadAll { items: Vec::new() });
        }
        Ok(ReadAll { items: self.table().get_many(&reads.keys).await? })
    }
}
