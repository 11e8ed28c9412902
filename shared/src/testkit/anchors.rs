//! The `AnchorStore` conformance suite.

use std::sync::Arc;

use bytes::Bytes;

use crate::ports::{AnchorError, AnchorStore};

/// Runs on an empty store.
pub async fn conformance(store: Arc<dyn AnchorStore>) {
    let s = store.as_ref();
    assert!(s.list().await.unwrap().is_empty(), "an empty store lists nothing");
    assert!(s.get("2026-12-07.json").await.unwrap().is_none());

    s.put("2026-12-07.json", Bytes::from_static(b"{\"day\":\"2026-12-07\"}")).await.unwrap();
    s.put("2026-12-05.json", Bytes::from_static(b"five")).await.unwrap();
    assert_eq!(s.get("2026-12-07.json").await.unwrap().as_deref(), Some(&b"{\"day\":\"2026-12-07\"}"[..]));
    assert!(
        matches!(s.put("2026-12-07.json", Bytes::from_static(b"rewritten")).await, Err(AnchorError::Exists)),
        "an anchor is never replaced"
    );
    assert_eq!(s.get("2026-12-07.json").await.unwrap().as_deref(), Some(&b"{\"day\":\"2026-12-07\"}"[..]));
    assert_eq!(s.list().await.unwrap(), ["2026-12-05.json", "2026-12-07.json"], "listed in ascending order");

    for wrong in ["", "../escape.json", "a/b.json", ".hidden"] {
        assert!(matches!(s.put(wrong, Bytes::new()).await, Err(AnchorError::InvalidName(_))), "{wrong:?}");
        assert!(matches!(s.get(wrong).await, Err(AnchorError::InvalidName(_))), "{wrong:?}");
    }
}
