//! Pieces of an object's body mapped from its blob file rather than read
//! into a buffer.
//!
//! Serving an object copies its bytes twice when they are read: from the
//! page cache into a buffer, then from the buffer into the socket. A mapped
//! piece skips the first copy: the socket write reads the page cache's pages
//! through the mapping. Blob files are written once and renamed into place
//! (see the blob module), never changed after, so a mapping cannot see its
//! bytes change or its file shrink under it.

use std::fs::File;
use std::io;

use memmap2::{Mmap, MmapOptions};

/// A range of a blob file, mapped read-only; its bytes are `as_ref()`.
/// Dropping it unmaps the range.
pub struct MappedPiece {
    map: Mmap,
    /// Where the piece starts in the mapping (which starts at a page).
    start: usize,
    len: usize,
}

impl MappedPiece {
    /// Maps `len` bytes of `file` from `offset`; the pages are faulted in
    /// at once (they are about to be sent whole).
    pub(crate) fn map(file: &File, offset: u64, len: usize) -> io::Result<MappedPiece> {
        let page = page_size();
        let start = (offset % page) as usize;
        let file_len = file.metadata()?.len();
        if offset + len as u64 > file_len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the blob file is shorter than its metadata says",
            ));
        }
        // SAFETY: blob files are never written, truncated or replaced in
        // place once renamed to their id (checked above that the range is
        // inside the file), so the mapped bytes stay valid and unchanged
        // for the mapping's life; removing the file leaves the mapping as is.
        let map = unsafe {
            MmapOptions::new()
                .offset(offset - start as u64)
                .len(start + len)
                .populate()
                .map(file)?
        };
        Ok(MappedPiece { map, start, len })
    }

    /// The piece's length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the piece has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl AsRef<[u8]> for MappedPiece {
    fn as_ref(&self) -> &[u8] {
        &self.map[self.start..self.start + self.len]
    }
}

/// The system's page size, which a mapping's offset must be a multiple of.
fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size > 0 {
        size as u64
    } else {
        4096
    }
}
