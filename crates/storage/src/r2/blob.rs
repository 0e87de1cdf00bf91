//! Blobs: the bodies of objects and of multipart parts, one file each in the
//! bucket's `blobs/` folder, named by a random id.
//!
//! A blob is written to `<id>.tmp`, hashed as it is written, synced,
//! renamed to `<id>` and its folder synced: only then does the metadata
//! that names it get committed, so a committed object never names a file
//! that is not whole. A crash leaves at most files no metadata names,
//! removed when the bucket is next opened ([`Blobs::sweep`]).
//!
//! Readers hold the blobs they are to read ([`Blobs::acquire`]); a blob
//! removed meanwhile (its object deleted or overwritten) is deleted when
//! the last reader lets go, so a read that started always finishes.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::Arc;

use md5::{Digest, Md5};
use parking_lot::Mutex;

use crate::r2::mapped::MappedPiece;
use crate::r2::object::{ByteRange, ChecksumAlgorithm};
use crate::r2::{failure, random_id};
use crate::StorageError;

/// The blob files of one bucket.
pub(crate) struct Blobs {
    dir: PathBuf,
    refs: Mutex<Refs>,
}

#[derive(Default)]
struct Refs {
    /// Readers per blob.
    readers: HashMap<String, usize>,
    /// Removed blobs that readers still hold.
    doomed: HashSet<String>,
}

impl Blobs {
    /// The blobs in `dir`, created if missing.
    pub(crate) fn open(dir: PathBuf) -> Result<Arc<Self>, StorageError> {
        fs::create_dir_all(&dir).map_err(|e| super::io(&dir, e))?;
        Ok(Arc::new(Self {
            dir,
            refs: Mutex::default(),
        }))
    }

    fn path(&self, id: &str) -> PathBuf {
        self.dir.join(id)
    }

    /// A new blob, written to a temporary file until [`BlobWriter::finish`].
    /// Writes beyond `max` bytes fail with R2's `EntityTooLarge`. MD5 is
    /// always computed; `extra` too, if given.
    pub(crate) fn create(
        &self,
        max: u64,
        extra: Option<ChecksumAlgorithm>,
    ) -> Result<BlobWriter, StorageError> {
        let id = random_id();
        let tmp = self.dir.join(format!("{id}.tmp"));
        let file = File::create(&tmp).map_err(|e| super::io(&tmp, e))?;
        Ok(BlobWriter {
            path: self.path(&id),
            dir: self.dir.clone(),
            id,
            tmp,
            file: Some(file),
            size: 0,
            max,
            md5: Md5::new(),
            extra: extra.map(Hasher::new),
        })
    }

    /// Holds `ids` for a reader: they stay on disk until released.
    pub(crate) fn acquire(&self, ids: &[String]) {
        let mut refs = self.refs.lock();
        for id in ids {
            *refs.readers.entry(id.clone()).or_default() += 1;
        }
    }

    /// Lets go of `id`; deletes it if it was removed meanwhile and nobody
    /// else holds it.
    pub(crate) fn release(&self, id: &str) {
        let mut refs = self.refs.lock();
        let Some(count) = refs.readers.get_mut(id) else {
            return;
        };
        *count -= 1;
        if *count == 0 {
            refs.readers.remove(id);
            if refs.doomed.remove(id) {
                drop(refs);
                self.delete(id);
            }
        }
    }

    /// Removes blobs no metadata names any more: now, or when their last
    /// reader lets go.
    pub(crate) fn remove(&self, ids: impl IntoIterator<Item = String>) {
        for id in ids {
            let mut refs = self.refs.lock();
            if refs.readers.contains_key(&id) {
                refs.doomed.insert(id);
            } else {
                drop(refs);
                self.delete(&id);
            }
        }
    }

    fn delete(&self, id: &str) {
        let path = self.path(id);
        if let Err(e) = fs::remove_file(&path) {
            if e.kind() != io::ErrorKind::NotFound {
                // Left for the sweep when the bucket is next opened.
                tracing::warn!("R2: could not delete {}: {e}", path.display());
            }
        }
    }

    /// Deletes temporary files and blobs `named` says no metadata names:
    /// what a crash between writing a blob and committing (or between
    /// committing and deleting) left behind. Returns how many it deleted.
    pub(crate) fn sweep(
        &self,
        named: impl Fn(&str) -> Result<bool, StorageError>,
    ) -> Result<usize, StorageError> {
        let entries = fs::read_dir(&self.dir).map_err(|e| super::io(&self.dir, e))?;
        let mut deleted = 0;
        for entry in entries {
            let entry = entry.map_err(|e| super::io(&self.dir, e))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.ends_with(".tmp") || !named(name)? {
                self.delete(name);
                deleted += 1;
            }
        }
        Ok(deleted)
    }

    /// A reader of `segments` (blob id and range in it), in order; the
    /// blobs must have been [acquired](Blobs::acquire), and are released as
    /// the reader finishes each or is dropped.
    pub(crate) fn reader(self: &Arc<Self>, segments: Vec<(String, ByteRange)>) -> ObjectReader {
        let remaining = segments.iter().map(|(_, r)| r.length).sum();
        ObjectReader {
            blobs: self.clone(),
            segments: segments.into(),
            current: None,
            remaining,
        }
    }
}

/// A hash being computed.
enum Hasher {
    Md5(Md5),
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
}

impl Hasher {
    fn new(algorithm: ChecksumAlgorithm) -> Self {
        match algorithm {
            ChecksumAlgorithm::Md5 => Hasher::Md5(Md5::new()),
            ChecksumAlgorithm::Sha1 => Hasher::Sha1(sha1::Sha1::new()),
            ChecksumAlgorithm::Sha256 => Hasher::Sha256(sha2::Sha256::new()),
            ChecksumAlgorithm::Sha384 => Hasher::Sha384(sha2::Sha384::new()),
            ChecksumAlgorithm::Sha512 => Hasher::Sha512(sha2::Sha512::new()),
        }
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Md5(h) => h.update(data),
            Hasher::Sha1(h) => h.update(data),
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha384(h) => h.update(data),
            Hasher::Sha512(h) => h.update(data),
        }
    }

    fn finish(self) -> (ChecksumAlgorithm, Vec<u8>) {
        match self {
            Hasher::Md5(h) => (ChecksumAlgorithm::Md5, h.finalize().to_vec()),
            Hasher::Sha1(h) => (ChecksumAlgorithm::Sha1, h.finalize().to_vec()),
            Hasher::Sha256(h) => (ChecksumAlgorithm::Sha256, h.finalize().to_vec()),
            Hasher::Sha384(h) => (ChecksumAlgorithm::Sha384, h.finalize().to_vec()),
            Hasher::Sha512(h) => (ChecksumAlgorithm::Sha512, h.finalize().to_vec()),
        }
    }
}

/// A blob being written. Dropped unfinished, its temporary file is deleted.
pub(crate) struct BlobWriter {
    id: String,
    tmp: PathBuf,
    path: PathBuf,
    dir: PathBuf,
    file: Option<File>,
    size: u64,
    max: u64,
    md5: Md5,
    extra: Option<Hasher>,
}

/// A blob written, synced and in place, that no metadata names yet.
pub(crate) struct WrittenBlob {
    pub(crate) id: String,
    pub(crate) size: u64,
    pub(crate) md5: Vec<u8>,
    /// The other checksum asked for.
    pub(crate) extra: Option<(ChecksumAlgorithm, Vec<u8>)>,
}

impl BlobWriter {
    /// Appends `data`.
    pub(crate) fn write(&mut self, data: &[u8]) -> Result<(), StorageError> {
        self.size += data.len() as u64;
        if self.size > self.max {
            return Err(failure::entity_too_large());
        }
        self.md5.update(data);
        if let Some(h) = &mut self.extra {
            h.update(data);
        }
        let file = self.file.as_mut().expect("a blob writer's file is open");
        file.write_all(data).map_err(|e| super::io(&self.tmp, e))
    }

    /// Bytes written so far.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// Counts `n` bytes as written without writing them (to test limits).
    #[cfg(test)]
    pub(crate) fn pretend_written(&mut self, n: u64) {
        self.size += n;
    }

    /// Syncs the file, gives it its name and syncs the folder.
    pub(crate) fn finish(mut self) -> Result<WrittenBlob, StorageError> {
        let file = self.file.as_ref().expect("a blob writer's file is open");
        file.sync_all().map_err(|e| super::io(&self.tmp, e))?;
        fs::rename(&self.tmp, &self.path).map_err(|e| super::io(&self.tmp, e))?;
        // In place: from here on, a failure leaves the file for the sweep.
        self.file = None;
        crate::fs::sync_dir(&self.dir)?;
        let md5 = std::mem::take(&mut self.md5).finalize().to_vec();
        Ok(WrittenBlob {
            id: std::mem::take(&mut self.id),
            size: self.size,
            md5,
            extra: self.extra.take().map(Hasher::finish),
        })
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// A blob file being read: its id, where the reader is in it and the bytes
/// left in its range.
struct OpenBlob {
    file: File,
    id: String,
    offset: u64,
    left: u64,
}

/// The bytes of an object: its blobs' ranges one after the other, read from
/// the files as they are asked for (a large object never sits in memory).
pub struct ObjectReader {
    blobs: Arc<Blobs>,
    segments: VecDeque<(String, ByteRange)>,
    /// The blob being read.
    current: Option<OpenBlob>,
    remaining: u64,
}

impl ObjectReader {
    /// Bytes not read yet.
    pub fn remaining(&self) -> u64 {
        self.remaining
    }

    /// Reads up to `max` bytes: `None` at the end. The bytes are read
    /// straight into the returned buffer's memory, which is not zeroed
    /// first (an object's body is read in pieces of a MiB, and zeroing
    /// each was a tenth of the time of serving one).
    pub fn read_chunk(&mut self, max: usize) -> io::Result<Option<Vec<u8>>> {
        let want = (self.remaining.min(max as u64)) as usize;
        if want == 0 {
            return Ok(None);
        }
        let mut buf: Vec<u8> = Vec::with_capacity(want);
        while buf.len() < want {
            let filled = buf.len();
            let n = self.read_uninit(&mut buf.spare_capacity_mut()[..want - filled])?;
            if n == 0 {
                break;
            }
            // SAFETY: `read_uninit` initialised the first `n` bytes of the
            // spare capacity, which follow the `filled` bytes already there.
            unsafe { buf.set_len(filled + n) };
        }
        Ok((!buf.is_empty()).then_some(buf))
    }

    /// The next piece of up to `max` bytes, mapped from its blob file
    /// instead of copied: `None` at the end. A piece never spans two blobs
    /// (a multipart object's pieces end where its parts do). Blob files are
    /// never changed once written, so the mapping stays what was read; a
    /// blob removed while mapped stays readable until the piece is dropped.
    pub fn map_chunk(&mut self, max: usize) -> io::Result<Option<MappedPiece>> {
        loop {
            if let Some(open) = &mut self.current {
                if open.left > 0 {
                    let len = open.left.min(max as u64) as usize;
                    let piece = MappedPiece::map(&open.file, open.offset, len).map_err(|e| {
                        io::Error::new(e.kind(), format!("mapping R2 blob {}: {e}", open.id))
                    })?;
                    // The reader's file position follows, for `read` after
                    // a mapped piece.
                    open.file.seek(SeekFrom::Current(len as i64))?;
                    open.advance(len);
                    self.remaining -= len as u64;
                    return Ok(Some(piece));
                }
                let done = self.current.take().expect("current is set");
                self.blobs.release(&done.id);
                continue;
            }
            if !self.open_next()? {
                return Ok(None);
            }
        }
    }

    /// Reads into `buf` (which may be uninitialised): how many bytes, now
    /// initialised at its start; 0 at the end.
    fn read_uninit(&mut self, buf: &mut [std::mem::MaybeUninit<u8>]) -> io::Result<usize> {
        use std::os::fd::AsRawFd;
        loop {
            if let Some(open) = &mut self.current {
                if open.left > 0 {
                    let want = buf.len().min(open.left as usize);
                    // SAFETY: the kernel writes at most `want` bytes into
                    // memory `buf` owns, and reports how many.
                    let n = unsafe {
                        libc::read(
                            open.file.as_raw_fd(),
                            buf.as_mut_ptr().cast::<libc::c_void>(),
                            want,
                        )
                    };
                    if n < 0 {
                        let e = io::Error::last_os_error();
                        if e.kind() == io::ErrorKind::Interrupted {
                            continue;
                        }
                        return Err(e);
                    }
                    let n = n as usize;
                    if n == 0 {
                        return Err(short(&open.id));
                    }
                    open.advance(n);
                    self.remaining -= n as u64;
                    return Ok(n);
                }
                let done = self.current.take().expect("current is set");
                self.blobs.release(&done.id);
                continue;
            }
            if !self.open_next()? {
                return Ok(0);
            }
        }
    }
}

impl ObjectReader {
    /// Opens the next segment's blob file at its offset: `false` when
    /// there is none left.
    fn open_next(&mut self) -> io::Result<bool> {
        let Some((id, range)) = self.segments.pop_front() else {
            return Ok(false);
        };
        let path = self.blobs.path(&id);
        let opened = File::open(&path).and_then(|mut f| {
            f.seek(SeekFrom::Start(range.offset))?;
            Ok(f)
        });
        match opened {
            Ok(file) => {
                self.current = Some(OpenBlob {
                    file,
                    id,
                    offset: range.offset,
                    left: range.length,
                });
                Ok(true)
            }
            Err(e) => {
                self.blobs.release(&id);
                Err(io::Error::new(
                    e.kind(),
                    format!("opening R2 blob {}: {e}", path.display()),
                ))
            }
        }
    }
}

impl OpenBlob {
    /// Moves past `n` bytes just read or mapped.
    fn advance(&mut self, n: usize) {
        self.offset += n as u64;
        self.left -= n as u64;
    }
}

/// The error of a blob file that ends before its range does.
fn short(id: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!("R2 blob {id} is shorter than its metadata says"),
    )
}

impl Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // SAFETY: initialised bytes are valid `MaybeUninit`s, and
        // `read_uninit` writes only bytes (never uninitialised ones).
        let uninit = unsafe {
            std::slice::from_raw_parts_mut(
                buf.as_mut_ptr().cast::<std::mem::MaybeUninit<u8>>(),
                buf.len(),
            )
        };
        self.read_uninit(uninit)
    }
}

impl Drop for ObjectReader {
    fn drop(&mut self) {
        if let Some(open) = self.current.take() {
            self.blobs.release(&open.id);
        }
        for (id, _) in self.segments.drain(..) {
            self.blobs.release(&id);
        }
    }
}
