//! The bucket's behaviour, on a real folder.

use std::io::Read;

use md5::{Digest, Md5};

use super::*;

fn bucket() -> (tempfile::TempDir, Bucket) {
    let dir = tempfile::tempdir().unwrap();
    let bucket = Bucket::open(&dir.path().join("b")).unwrap();
    (dir, bucket)
}

fn put(bucket: &Bucket, key: &str, body: &[u8], options: PutOptions) -> Option<ObjectMeta> {
    let mut w = bucket.put(key, options).unwrap();
    w.write(body).unwrap();
    w.finish().unwrap()
}

fn body(bucket: &Bucket, key: &str, options: &GetOptions) -> (ObjectMeta, Vec<u8>) {
    match bucket.get(key, options).unwrap() {
        GetResult::Found(meta, mut reader) => {
            let mut out = Vec::new();
            reader.read_to_end(&mut out).unwrap();
            (meta, out)
        }
        GetResult::NotFound => panic!("{key}: not found"),
        GetResult::PreconditionFailed(_) => panic!("{key}: precondition failed"),
    }
}

fn code(e: StorageError) -> u32 {
    failure::code(&e).unwrap_or_else(|| panic!("not an R2 error: {e}"))
}

fn md5_hex(data: &[u8]) -> String {
    hex(&Md5::digest(data))
}

#[test]
fn objects_round_trip_with_their_metadata() {
    let (_dir, b) = bucket();
    let options = PutOptions {
        http_metadata: HttpMetadata {
            content_type: Some("text/plain".into()),
            cache_expiry: Some(1_700_000_000_000),
            ..Default::default()
        },
        custom_metadata: vec![("z".into(), "1".into()), ("a".into(), "2".into())],
        ..Default::default()
    };
    let stored = put(&b, "dir/hello.txt", b"hello world", options).unwrap();
    assert_eq!(stored.etag, md5_hex(b"hello world"));
    assert_eq!(stored.http_etag(), format!("\"{}\"", stored.etag));
    assert_eq!(stored.size, 11);
    assert_eq!(stored.storage_class, "Standard");
    assert_eq!(stored.version.len(), 32);
    assert_eq!(
        stored.checksums.get(ChecksumAlgorithm::Md5).map(hex),
        Some(stored.etag.clone())
    );
    let head = b.head("dir/hello.txt").unwrap().unwrap();
    assert_eq!(head.custom_metadata, stored.custom_metadata, "order kept");
    assert_eq!(head.http_metadata, stored.http_metadata);
    assert_eq!(head.uploaded, stored.uploaded);
    assert_eq!(
        head.range,
        Some(ByteRange {
            offset: 0,
            length: 11
        })
    );
    let (meta, bytes) = body(&b, "dir/hello.txt", &GetOptions::default());
    assert_eq!(bytes, b"hello world");
    assert_eq!(meta.version, stored.version);
    assert!(b.head("missing").unwrap().is_none());
    assert!(matches!(
        b.get("missing", &GetOptions::default()).unwrap(),
        GetResult::NotFound
    ));
    // Overwritten: a new version, the old body gone from disk.
    let again = put(&b, "dir/hello.txt", b"bye", PutOptions::default()).unwrap();
    assert_ne!(again.version, stored.version);
    assert_eq!(body(&b, "dir/hello.txt", &GetOptions::default()).1, b"bye");
    assert_eq!(blob_files(&b), 1);
    b.delete(&["dir/hello.txt".into(), "never-was".into()])
        .unwrap();
    assert!(b.head("dir/hello.txt").unwrap().is_none());
    assert_eq!(blob_files(&b), 0);
}

fn blob_files(b: &Bucket) -> usize {
    std::fs::read_dir(b.dir().join("blobs")).unwrap().count()
}

#[test]
fn bodies_are_streamed_in_and_out_in_pieces() {
    let (_dir, b) = bucket();
    let mut w = b.put("big", PutOptions::default()).unwrap();
    let chunk: Vec<u8> = (0..65536u32).map(|i| (i % 251) as u8).collect();
    let mut md5 = Md5::new();
    for _ in 0..64 {
        w.write(&chunk).unwrap();
        md5.update(&chunk);
    }
    assert_eq!(w.size(), 64 * 65536);
    let meta = w.finish().unwrap().unwrap();
    assert_eq!(meta.etag, hex(&md5.finalize()));
    let GetResult::Found(_, mut reader) = b.get("big", &GetOptions::default()).unwrap() else {
        panic!()
    };
    assert_eq!(reader.remaining(), 64 * 65536);
    let mut total = 0;
    while let Some(piece) = reader.read_chunk(100_000).unwrap() {
        assert!(piece.len() <= 100_000);
        assert_eq!(piece[0], ((total % 65536) % 251) as u8);
        total += piece.len();
    }
    assert_eq!(total, 64 * 65536);
}

#[test]
fn an_unfinished_put_stores_nothing() {
    let (_dir, b) = bucket();
    let mut w = b.put("k", PutOptions::default()).unwrap();
    w.write(b"partial").unwrap();
    drop(w);
    assert!(b.head("k").unwrap().is_none());
    assert_eq!(blob_files(&b), 0, "the temporary file is gone");
}

#[test]
fn checksums_are_verified_and_kept() {
    let (_dir, b) = bucket();
    let data = b"checked body";
    let digests = [
        (ChecksumAlgorithm::Md5, Md5::digest(data).to_vec()),
        (ChecksumAlgorithm::Sha1, sha1::Sha1::digest(data).to_vec()),
        (
            ChecksumAlgorithm::Sha256,
            sha2::Sha256::digest(data).to_vec(),
        ),
        (
            ChecksumAlgorithm::Sha384,
            sha2::Sha384::digest(data).to_vec(),
        ),
        (
            ChecksumAlgorithm::Sha512,
            sha2::Sha512::digest(data).to_vec(),
        ),
    ];
    for (algorithm, digest) in &digests {
        let key = algorithm.field();
        let stored = put(
            &b,
            key,
            data,
            PutOptions {
                checksum: Some((*algorithm, digest.clone())),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(stored.checksums.get(*algorithm), Some(digest.as_slice()));
        let head = b.head(key).unwrap().unwrap();
        assert_eq!(head.checksums.get(*algorithm), Some(digest.as_slice()));
        assert!(head.checksums.get(ChecksumAlgorithm::Md5).is_some());
        // One bit off: R2's BadDigest, and nothing stored.
        let mut wrong = digest.clone();
        wrong[0] ^= 1;
        let mut w = b
            .put(
                "bad",
                PutOptions {
                    checksum: Some((*algorithm, wrong.clone())),
                    ..Default::default()
                },
            )
            .unwrap();
        w.write(data).unwrap();
        let e = w.finish().unwrap_err();
        let name = algorithm.display_name();
        assert_eq!(
            e.to_string(),
            format!(
                "The {name} checksum you specified did not match what we received.\n\
                 You provided a {name} checksum with value: {}\n\
                 Actual {name} was: {} (10037)",
                hex(&wrong),
                hex(digest)
            )
        );
        assert!(b.head("bad").unwrap().is_none());
    }
    assert_eq!(blob_files(&b), 5);
}

#[test]
fn conditional_puts_and_gets() {
    let (_dir, b) = bucket();
    let only_if = |c: Conditional| PutOptions {
        only_if: Some(c),
        ..Default::default()
    };
    // etagMatches on a missing object fails; etagDoesNotMatch: * creates.
    let matches_any = Conditional {
        etag_matches: Some(vec![EtagCondition::Wildcard]),
        ..Default::default()
    };
    assert!(put(&b, "c", b"v1", only_if(matches_any.clone())).is_none());
    let create_only = Conditional {
        etag_does_not_match: Some(vec![EtagCondition::Wildcard]),
        ..Default::default()
    };
    let v1 = put(&b, "c", b"v1", only_if(create_only.clone())).unwrap();
    assert!(put(&b, "c", b"v2", only_if(create_only)).is_none());
    let on_etag = |etag: &str| Conditional {
        etag_matches: Some(vec![EtagCondition::Strong(etag.into())]),
        ..Default::default()
    };
    assert!(put(&b, "c", b"v2", only_if(on_etag("nope"))).is_none());
    assert_eq!(body(&b, "c", &GetOptions::default()).1, b"v1");
    let v2 = put(&b, "c", b"v2", only_if(on_etag(&v1.etag))).unwrap();
    assert_eq!(blob_files(&b), 1, "failed conditional puts leave no file");
    // A get whose condition fails gets the metadata, no body.
    let get_if = |c: Conditional| GetOptions {
        only_if: Some(c),
        range: None,
    };
    match b.get("c", &get_if(on_etag(&v1.etag))).unwrap() {
        GetResult::PreconditionFailed(meta) => {
            assert_eq!(meta.etag, v2.etag);
            assert_eq!(
                meta.range,
                Some(ByteRange {
                    offset: 0,
                    length: 2
                })
            );
        }
        _ => panic!("expected a failed precondition"),
    }
    assert_eq!(body(&b, "c", &get_if(on_etag(&v2.etag))).1, b"v2");
    let since = |after: i64| Conditional {
        uploaded_after: Some(after),
        ..Default::default()
    };
    assert!(matches!(
        b.get("c", &get_if(since(v2.uploaded))).unwrap(),
        GetResult::PreconditionFailed(_)
    ));
    assert_eq!(body(&b, "c", &get_if(since(v2.uploaded - 1))).1, b"v2");
}

#[test]
fn ranged_gets_return_the_bytes_asked_for() {
    let (_dir, b) = bucket();
    put(&b, "r", b"0123456789", PutOptions::default());
    let ranged = |range: RangeRequest| {
        body(
            &b,
            "r",
            &GetOptions {
                only_if: None,
                range: Some(range),
            },
        )
    };
    let (meta, bytes) = ranged(RangeRequest::Bytes {
        offset: Some(2),
        length: Some(3),
        suffix: None,
    });
    assert_eq!(bytes, b"234");
    assert_eq!(
        meta.range,
        Some(ByteRange {
            offset: 2,
            length: 3
        })
    );
    let (_, bytes) = ranged(RangeRequest::Bytes {
        offset: None,
        length: None,
        suffix: Some(4),
    });
    assert_eq!(bytes, b"6789");
    assert_eq!(ranged(RangeRequest::Header("bytes=5-".into())).1, b"56789");
    let e = b
        .get(
            "r",
            &GetOptions {
                only_if: None,
                range: Some(RangeRequest::Bytes {
                    offset: Some(11),
                    length: None,
                    suffix: None,
                }),
            },
        )
        .err()
        .unwrap();
    assert_eq!(code(e), failure::INVALID_RANGE);
}

#[test]
fn limits_fail_with_r2s_errors() {
    let (_dir, b) = bucket();
    let long = "k".repeat(1025);
    assert_eq!(
        code(b.put(&long, PutOptions::default()).err().unwrap()),
        failure::INVALID_OBJECT_NAME
    );
    assert!(b.put(&"k".repeat(1024), PutOptions::default()).is_ok());
    assert_eq!(
        code(b.head(&long).unwrap_err()),
        failure::INVALID_OBJECT_NAME
    );
    let metadata = |bytes: usize| PutOptions {
        custom_metadata: vec![("name".into(), "v".repeat(bytes - 4))],
        ..Default::default()
    };
    assert!(b.put("m", metadata(8192)).is_ok());
    let e = b.put("m", metadata(8193)).err().unwrap();
    assert_eq!(
        e.to_string(),
        "Your metadata headers exceed the maximum allowed metadata size. (10012)"
    );
    let class = |c: &str| PutOptions {
        storage_class: Some(c.into()),
        ..Default::default()
    };
    assert_eq!(
        put(&b, "ia", b"x", class("InfrequentAccess"))
            .unwrap()
            .storage_class,
        "InfrequentAccess"
    );
    assert_eq!(
        code(b.put("s", class("Glacier")).err().unwrap()),
        failure::INVALID_STORAGE_CLASS
    );
    for limit in [0, 1001] {
        let e = b
            .list(&ListOptions {
                limit: Some(limit),
                ..Default::default()
            })
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "MaxKeys params must be positive integer <= 1000. (10022)"
        );
    }
    let keys: Vec<String> = (0..1001).map(|i| i.to_string()).collect();
    assert_eq!(
        code(b.delete(&keys).unwrap_err()),
        failure::INVALID_ARGUMENT
    );
    b.delete(&keys[..1000]).unwrap();
}

#[test]
fn a_write_past_the_upload_limit_fails_as_it_crosses_it() {
    let (_dir, b) = bucket();
    let mut w = b.put("huge", PutOptions::default()).unwrap();
    // Counted, not written: the limit is checked before the bytes go out.
    w.blob_mut().pretend_written(limits::MAX_UPLOAD_BYTES);
    let e = w.write(b"x").unwrap_err();
    assert_eq!(
        e.to_string(),
        "Your proposed upload exceeds the maximum allowed object size. (100100)"
    );
}

fn keys(result: &ListResult) -> Vec<&str> {
    result.objects.iter().map(|o| o.key.as_str()).collect()
}

#[test]
fn listing_pages_through_keys_in_order() {
    let (_dir, b) = bucket();
    for key in ["b", "a", "c/1", "c/2", "c/sub/3", "d", "é", "e"] {
        put(&b, key, key.as_bytes(), PutOptions::default());
    }
    let all = b.list(&ListOptions::default()).unwrap();
    assert_eq!(
        keys(&all),
        ["a", "b", "c/1", "c/2", "c/sub/3", "d", "e", "é"]
    );
    assert!(!all.truncated && all.cursor.is_none());
    // Two at a time, with the cursor.
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = b
            .list(&ListOptions {
                limit: Some(2),
                cursor: cursor.clone(),
                ..Default::default()
            })
            .unwrap();
        assert!(page.objects.len() <= 2);
        seen.extend(keys(&page).into_iter().map(str::to_owned));
        if !page.truncated {
            assert!(page.cursor.is_none());
            break;
        }
        cursor = page.cursor;
    }
    assert_eq!(seen, keys(&all));
    let prefixed = b
        .list(&ListOptions {
            prefix: Some("c/".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(keys(&prefixed), ["c/1", "c/2", "c/sub/3"]);
    let after = b
        .list(&ListOptions {
            start_after: Some("c/2".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(keys(&after), ["c/sub/3", "d", "e", "é"]);
}

#[test]
fn a_delimiter_groups_keys_into_prefixes() {
    let (_dir, b) = bucket();
    for key in ["a", "c/1", "c/2", "c/sub/3", "d/x", "e"] {
        put(&b, key, b"", PutOptions::default());
    }
    let top = b
        .list(&ListOptions {
            delimiter: Some("/".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(keys(&top), ["a", "e"]);
    assert_eq!(top.delimited_prefixes, ["c/", "d/"]);
    let inside = b
        .list(&ListOptions {
            delimiter: Some("/".into()),
            prefix: Some("c/".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(keys(&inside), ["c/1", "c/2"]);
    assert_eq!(inside.delimited_prefixes, ["c/sub/"]);
    // One entry per page: prefixes count against the limit, and the cursor
    // moves past a whole prefix.
    let mut entries = Vec::new();
    let mut cursor = None;
    loop {
        let page = b
            .list(&ListOptions {
                limit: Some(1),
                delimiter: Some("/".into()),
                cursor: cursor.clone(),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(page.objects.len() + page.delimited_prefixes.len(), 1);
        entries.extend(keys(&page).into_iter().map(str::to_owned));
        entries.extend(page.delimited_prefixes.iter().cloned());
        if !page.truncated {
            break;
        }
        cursor = page.cursor;
    }
    assert_eq!(entries, ["a", "c/", "d/", "e"]);
}

const PART: usize = limits::MIN_PART_BYTES as usize;

fn upload(b: &Bucket, key: &str, upload_id: &str, number: u32, data: &[u8]) -> UploadedPart {
    let mut w = b.upload_part(key, upload_id, number).unwrap();
    for chunk in data.chunks(1 << 20) {
        w.write(chunk).unwrap();
    }
    w.finish().unwrap()
}

#[test]
fn multipart_uploads_join_their_parts() {
    let (_dir, b) = bucket();
    let id = b
        .create_multipart_upload(
            "mp",
            MultipartOptions {
                http_metadata: HttpMetadata {
                    content_type: Some("application/octet-stream".into()),
                    ..Default::default()
                },
                custom_metadata: vec![("m".into(), "1".into())],
                storage_class: None,
            },
        )
        .unwrap();
    let parts: Vec<Vec<u8>> = vec![vec![1; PART], vec![2; PART], vec![3; 1000]];
    // Uploaded out of order; part 2 uploaded twice (the second replaces it).
    let p3 = upload(&b, "mp", &id, 3, &parts[2]);
    let _ = upload(&b, "mp", &id, 2, &[9; 10]);
    let p2 = upload(&b, "mp", &id, 2, &parts[1]);
    let p1 = upload(&b, "mp", &id, 1, &parts[0]);
    assert_eq!(p1.etag, md5_hex(&parts[0]));
    // An extra part, not named at completion, is dropped.
    let _ = upload(&b, "mp", &id, 4, b"unused");
    assert_eq!(blob_files(&b), 4);
    let meta = b
        .complete_multipart_upload("mp", &id, &[p1.clone(), p2.clone(), p3.clone()])
        .unwrap();
    let mut md5s = Md5::new();
    for p in &parts {
        md5s.update(Md5::digest(p));
    }
    assert_eq!(meta.etag, format!("{}-3", hex(&md5s.finalize())));
    assert_eq!(meta.size, (2 * PART + 1000) as u64);
    assert_eq!(meta.custom_metadata, vec![("m".to_owned(), "1".to_owned())]);
    assert!(meta.checksums.get(ChecksumAlgorithm::Md5).is_none());
    assert_eq!(blob_files(&b), 3);
    let (_, whole) = body(&b, "mp", &GetOptions::default());
    assert_eq!(whole, parts.concat());
    // A range across the boundary of parts 1 and 2.
    let (_, across) = body(
        &b,
        "mp",
        &GetOptions {
            only_if: None,
            range: Some(RangeRequest::Bytes {
                offset: Some(PART as u64 - 2),
                length: Some(4),
                suffix: None,
            }),
        },
    );
    assert_eq!(across, [1, 1, 2, 2]);
    // Done: no more parts, completing again fails, aborting is a no-op.
    assert_eq!(
        code(b.upload_part("mp", &id, 5).err().unwrap()),
        failure::NO_SUCH_UPLOAD
    );
    assert_eq!(
        code(b.complete_multipart_upload("mp", &id, &[p1]).unwrap_err()),
        failure::NO_SUCH_UPLOAD
    );
    b.abort_multipart_upload("mp", &id).unwrap();
    assert_eq!(
        body(&b, "mp", &GetOptions::default()).1.len(),
        2 * PART + 1000
    );
    // Overwriting the object frees its parts.
    put(&b, "mp", b"small", PutOptions::default());
    assert_eq!(blob_files(&b), 1);
}

/// Reads the rest of `reader` as mapped pieces of at most `max` bytes: the
/// bytes and each piece's length.
fn mapped(reader: &mut ObjectReader, max: usize) -> (Vec<u8>, Vec<usize>) {
    let (mut bytes, mut lengths) = (Vec::new(), Vec::new());
    while let Some(piece) = reader.map_chunk(max).unwrap() {
        bytes.extend_from_slice(piece.as_ref());
        lengths.push(piece.len());
    }
    (bytes, lengths)
}

#[test]
fn mapped_pieces_hold_the_bytes_a_read_gives() {
    let (_dir, b) = bucket();
    let id = b
        .create_multipart_upload("mp", MultipartOptions::default())
        .unwrap();
    let parts: Vec<Vec<u8>> = vec![
        (0..PART).map(|i| (i % 251) as u8).collect(),
        (0..PART).map(|i| (i % 241) as u8).collect(),
        vec![3; 1000],
    ];
    let done: Vec<UploadedPart> = (0..3)
        .map(|i| upload(&b, "mp", &id, i as u32 + 1, &parts[i]))
        .collect();
    b.complete_multipart_upload("mp", &id, &done).unwrap();
    let whole = parts.concat();
    let get = |range: Option<RangeRequest>| {
        let GetResult::Found(_, reader) = b
            .get(
                "mp",
                &GetOptions {
                    only_if: None,
                    range,
                },
            )
            .unwrap()
        else {
            panic!("the object is there")
        };
        reader
    };
    // Whole: pieces end where the parts do.
    let (bytes, lengths) = mapped(&mut get(None), 1 << 20);
    assert_eq!(bytes, whole);
    assert!(lengths.iter().all(|&n| n <= 1 << 20));
    assert_eq!(lengths.iter().sum::<usize>(), whole.len());
    // A range that starts off a page boundary and crosses a part's end.
    let (offset, length) = (PART - 4097, 10_000);
    let range = RangeRequest::Bytes {
        offset: Some(offset as u64),
        length: Some(length as u64),
        suffix: None,
    };
    let (bytes, lengths) = mapped(&mut get(Some(range)), 3000);
    assert_eq!(bytes, whole[offset..offset + length]);
    assert_eq!(lengths, [3000, 1097, 3000, 2903]);
    // Mapped and read pieces mix, and a piece outlives its object.
    let mut reader = get(None);
    let first = reader.read_chunk(5).unwrap().unwrap();
    let second = reader.map_chunk(7).unwrap().unwrap();
    b.delete(&["mp".into()]).unwrap();
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).unwrap();
    drop(reader);
    assert_eq!(blob_files(&b), 0, "the files went with the reader");
    assert_eq!([&first[..], second.as_ref(), &rest[..]].concat(), whole);
}

#[test]
fn multipart_rules_fail_with_r2s_errors() {
    let (_dir, b) = bucket();
    let id = b
        .create_multipart_upload("k", MultipartOptions::default())
        .unwrap();
    let small = upload(&b, "k", &id, 1, b"tiny");
    let last = upload(&b, "k", &id, 2, b"last");
    let e = b
        .complete_multipart_upload("k", &id, &[small.clone(), last.clone()])
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Your proposed upload is smaller than the minimum allowed object size. (10011)"
    );
    let wrong = UploadedPart {
        part_number: 2,
        etag: "0".repeat(32),
    };
    let e = b.complete_multipart_upload("k", &id, &[wrong]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "One or more of the specified parts could not be found. (10025)"
    );
    let big = upload(&b, "k", &id, 1, &vec![0; PART + 1]);
    let mid = upload(&b, "k", &id, 2, &vec![0; PART]);
    let end = upload(&b, "k", &id, 3, b"end");
    assert_eq!(
        code(
            b.complete_multipart_upload("k", &id, &[big, mid, end])
                .unwrap_err()
        ),
        failure::BAD_UPLOAD
    );
    assert_eq!(
        code(b.upload_part("k", &id, 0).err().unwrap()),
        failure::INVALID_ARGUMENT
    );
    assert_eq!(
        code(b.upload_part("k", &id, 10_001).err().unwrap()),
        failure::INVALID_ARGUMENT
    );
    // Another key, or an unknown id, is no such upload.
    assert_eq!(
        code(b.upload_part("other", &id, 1).err().unwrap()),
        failure::NO_SUCH_UPLOAD
    );
    assert_eq!(
        code(b.abort_multipart_upload("k", "unknown").unwrap_err()),
        failure::NO_SUCH_UPLOAD
    );
    assert!(blob_files(&b) > 0);
    b.abort_multipart_upload("k", &id).unwrap();
    assert_eq!(blob_files(&b), 0, "aborting deletes the parts");
    assert_eq!(
        code(b.upload_part("k", &id, 1).err().unwrap()),
        failure::NO_SUCH_UPLOAD
    );
    assert!(b.head("k").unwrap().is_none());
}

#[test]
fn uploads_expire_after_seven_days() {
    let (_dir, b) = bucket();
    let id = b
        .create_multipart_upload("old", MultipartOptions::default())
        .unwrap();
    upload(&b, "old", &id, 1, b"part");
    b.expire_uploads(now_ms() + limits::UPLOAD_LIFETIME_MS - 60_000)
        .unwrap();
    assert_eq!(blob_files(&b), 1, "not yet");
    b.expire_uploads(now_ms() + limits::UPLOAD_LIFETIME_MS + 60_000)
        .unwrap();
    assert_eq!(blob_files(&b), 0);
    assert_eq!(
        code(b.upload_part("old", &id, 2).err().unwrap()),
        failure::NO_SUCH_UPLOAD
    );
}

#[test]
fn a_read_under_way_survives_a_delete() {
    let (_dir, b) = bucket();
    let data = vec![7u8; 300_000];
    put(&b, "k", &data, PutOptions::default());
    let GetResult::Found(_, mut reader) = b.get("k", &GetOptions::default()).unwrap() else {
        panic!()
    };
    let first = reader.read_chunk(1000).unwrap().unwrap();
    b.delete(&["k".into()]).unwrap();
    assert_eq!(blob_files(&b), 1, "kept for the reader");
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).unwrap();
    assert_eq!(first.len() + rest.len(), data.len());
    drop(reader);
    assert_eq!(blob_files(&b), 0, "deleted once the reader is done");
}

#[test]
fn data_survives_reopening_and_leftovers_are_swept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b");
    let stored = {
        let b = Bucket::open(&path).unwrap();
        put(&b, "kept", b"durable", PutOptions::default()).unwrap()
    };
    // What a crash can leave: a temporary file, a blob never committed.
    std::fs::write(path.join("blobs/0123.tmp"), b"half").unwrap();
    std::fs::write(path.join("blobs/feedbeef"), b"orphan").unwrap();
    let b = Bucket::open(&path).unwrap();
    assert_eq!(b.head("kept").unwrap().unwrap(), {
        let mut s = stored;
        s.range = Some(ByteRange {
            offset: 0,
            length: 7,
        });
        s
    });
    assert_eq!(body(&b, "kept", &GetOptions::default()).1, b"durable");
    assert_eq!(blob_files(&b), 1);
}

#[test]
fn a_file_that_is_not_a_database_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b");
    std::fs::create_dir_all(&path).unwrap();
    std::fs::write(path.join("meta.sqlite"), vec![b'x'; 4096]).unwrap();
    let e = Bucket::open(&path).err().unwrap().to_string();
    assert!(e.contains("meta.sqlite"), "{e}");
}

#[test]
fn a_store_shares_each_bucket() {
    let dir = tempfile::tempdir().unwrap();
    let store = R2Store::new(dir.path());
    let a = store.bucket("shared", None).unwrap();
    let b = store.bucket("shared", None).unwrap();
    put(&a, "k", b"v", PutOptions::default());
    assert!(b.head("k").unwrap().is_some());
    let eu = store.bucket("shared", Some("eu")).unwrap();
    assert!(
        eu.head("k").unwrap().is_none(),
        "a jurisdiction is another bucket"
    );
    assert!(store.bucket("../escape", None).is_err());
}
