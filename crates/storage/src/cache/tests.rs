use std::time::{Duration, SystemTime};

use super::*;

fn key(namespace: &str, cache: &str, url: &str) -> CacheKey {
    CacheKey {
        namespace: namespace.into(),
        cache: cache.into(),
        url: url.into(),
    }
}

fn response(body: &str, headers: &[(&str, &str)]) -> Response {
    Response {
        status: 200,
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        body: body.as_bytes().to_vec(),
    }
}

fn at(s: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + s)
}

fn body_of(db: &CacheDb, k: &CacheKey, now: SystemTime) -> Option<String> {
    db.matching(k, &[], now)
        .unwrap()
        .map(|(_, b)| String::from_utf8(b).unwrap())
}

#[test]
fn entries_are_kept_by_namespace_cache_and_url_until_they_expire() {
    let dir = tempfile::tempdir().unwrap();
    let db = CacheDb::open(&dir.path().join("cache.sqlite"), 1 << 20).unwrap();
    let a = key("w1", "default", "https://x.test/a");
    let fresh = response("one", &[("cache-control", "max-age=60")]);
    assert_eq!(
        db.put(&a, &[], fresh, at(0)).unwrap(),
        PutOutcome::Stored(Duration::from_secs(60))
    );
    assert_eq!(body_of(&db, &a, at(59)).as_deref(), Some("one"));
    assert_eq!(body_of(&db, &key("w2", "default", &a.url), at(1)), None);
    assert_eq!(body_of(&db, &key("w1", "other", &a.url), at(1)), None);
    assert_eq!(body_of(&db, &a, at(60)), None, "expired");
    assert_eq!(db.stored_bytes(), 0, "an expired entry found is removed");

    let skipped = response("x", &[("cache-control", "no-store")]);
    assert!(matches!(
        db.put(&a, &[], skipped, at(0)).unwrap(),
        PutOutcome::Skipped(_)
    ));
    assert_eq!(body_of(&db, &a, at(1)), None);

    db.put(&a, &[], response("two", &[]), at(0)).unwrap();
    assert!(db.delete(&a, at(1)).unwrap());
    assert!(!db.delete(&a, at(1)).unwrap());
}

#[test]
fn entries_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite");
    let a = key("w", "default", "https://x.test/");
    {
        let db = CacheDb::open(&path, 1 << 20).unwrap();
        db.put(&a, &[], response("kept", &[]), at(0)).unwrap();
    }
    let db = CacheDb::open(&path, 1 << 20).unwrap();
    assert_eq!(db.stored_bytes(), 4);
    assert_eq!(body_of(&db, &a, at(1)).as_deref(), Some("kept"));
}

#[test]
fn vary_matches_only_the_same_request_header_values() {
    let dir = tempfile::tempdir().unwrap();
    let db = CacheDb::open(&dir.path().join("cache.sqlite"), 1 << 20).unwrap();
    let a = key("w", "default", "https://x.test/");
    let lang = |v: &str| vec![("Accept-Language".to_string(), v.to_string())];
    db.put(
        &a,
        &lang("fr"),
        response("bonjour", &[("vary", "Accept-Language")]),
        at(0),
    )
    .unwrap();
    assert!(db.matching(&a, &lang("fr"), at(1)).unwrap().is_some());
    assert!(db.matching(&a, &lang("en"), at(1)).unwrap().is_none());
    assert!(db.matching(&a, &[], at(1)).unwrap().is_none());
}

#[test]
fn the_least_recently_used_go_when_the_cache_is_full() {
    let dir = tempfile::tempdir().unwrap();
    let db = CacheDb::open(&dir.path().join("cache.sqlite"), 25).unwrap();
    let k = |i: u32| key("w", "default", &format!("https://x.test/{i}"));
    let ten = "0123456789";
    db.put(&k(1), &[], response(ten, &[]), at(0)).unwrap();
    db.put(&k(2), &[], response(ten, &[]), at(0)).unwrap();
    // Matching 1 makes 2 the least recently used; the match itself writes
    // nothing (the eviction writes its stamp first).
    let changes = db.inner.lock().conn.total_changes();
    assert!(body_of(&db, &k(1), at(1)).is_some());
    assert_eq!(db.inner.lock().conn.total_changes(), changes);
    db.put(&k(3), &[], response(ten, &[]), at(2)).unwrap();
    assert_eq!(db.stored_bytes(), 20);
    assert!(body_of(&db, &k(2), at(3)).is_none(), "evicted");
    assert!(body_of(&db, &k(1), at(3)).is_some());
    assert!(body_of(&db, &k(3), at(3)).is_some());
    // Larger than the whole cache: refused, nothing evicted.
    let big = "x".repeat(26);
    assert_eq!(
        db.put(&k(4), &[], response(&big, &[]), at(4)).unwrap(),
        PutOutcome::TooLarge {
            size: 26,
            limit: 25
        }
    );
    assert_eq!(db.stored_bytes(), 20);
}

#[test]
fn matched_stamps_are_written_in_batches() {
    let dir = tempfile::tempdir().unwrap();
    let db = CacheDb::open(&dir.path().join("cache.sqlite"), 1 << 20).unwrap();
    let k = |i: usize| key("w", "default", &format!("https://x.test/{i}"));
    for i in 0..TOUCHED_BATCH {
        db.put(&k(i), &[], response("x", &[]), at(0)).unwrap();
    }
    let changes = db.inner.lock().conn.total_changes();
    for i in 0..TOUCHED_BATCH - 1 {
        assert!(body_of(&db, &k(i), at(1)).is_some());
    }
    assert_eq!(db.inner.lock().conn.total_changes(), changes);
    assert!(body_of(&db, &k(TOUCHED_BATCH - 1), at(1)).is_some());
    assert_eq!(
        db.inner.lock().conn.total_changes(),
        changes + TOUCHED_BATCH as u64
    );
    assert!(db.inner.lock().touched.is_empty());
}

#[test]
fn a_ranged_match_sends_only_the_range() {
    let dir = tempfile::tempdir().unwrap();
    let db = CacheDb::open(&dir.path().join("cache.sqlite"), 1 << 20).unwrap();
    let a = key("w", "default", "https://x.test/");
    db.put(&a, &[], response("0123456789", &[]), at(0)).unwrap();
    let range = vec![("Range".to_string(), "bytes=2-4".to_string())];
    let (answer, body) = db.matching(&a, &range, at(1)).unwrap().unwrap();
    assert_eq!(answer.status, 206);
    assert_eq!(body, b"234");
}
