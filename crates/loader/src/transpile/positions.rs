//! From places in generated JavaScript back to places in the file the
//! author wrote.
//!
//! The transformer's source map is kept as a table of mappings, one per
//! token the code generator marked, sorted by their place in the generated
//! code. Looking a place up finds the last mapping at or before it on the
//! same line. The table is also what the disk cache stores.

/// The mappings of one transpiled module.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Positions {
    /// `[generated line, generated column, original line, original
    /// column]`, all 0-based, sorted by generated place.
    mappings: Vec<[u32; 4]>,
}

impl Positions {
    /// The mappings of an oxc source map.
    pub(crate) fn from_source_map(map: &oxc_sourcemap::SourceMap<'_>) -> Self {
        let mut mappings: Vec<[u32; 4]> = map
            .get_tokens()
            .filter(|t| t.get_source_id().is_some())
            .map(|t| {
                [
                    t.get_dst_line(),
                    t.get_dst_col(),
                    t.get_src_line(),
                    t.get_src_col(),
                ]
            })
            .collect();
        mappings.sort_unstable_by_key(|m| (m[0], m[1]));
        Self { mappings }
    }

    /// Moves every mapping on generated line 0 right by `columns` (text was
    /// put before the generated code on its first line).
    pub(crate) fn shift_first_line(&mut self, columns: u32) {
        for m in self.mappings.iter_mut().take_while(|m| m[0] == 0) {
            m[1] += columns;
        }
    }

    /// The original place of the generated place `line:column` (both
    /// 1-based, as engines report them), 1-based; `None` when the line has
    /// no mapping.
    pub fn original(&self, line: u32, column: u32) -> Option<(u32, u32)> {
        let (line, column) = (line.checked_sub(1)?, column.saturating_sub(1));
        let start = self.mappings.partition_point(|m| m[0] < line);
        let end = self.mappings.partition_point(|m| m[0] <= line);
        let on_line = &self.mappings[start..end];
        let at = on_line.partition_point(|m| m[1] <= column);
        // The last mapping at or before the column; before the first one,
        // the first one.
        let m = on_line.get(at.saturating_sub(1))?;
        Some((m[2] + 1, m[3] + 1))
    }

    /// How many mappings there are.
    pub fn len(&self) -> usize {
        self.mappings.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.mappings.is_empty()
    }

    /// The table as bytes (little-endian `u32`s), for the disk cache.
    pub(crate) fn to_bytes(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&(self.mappings.len() as u32).to_le_bytes());
        for m in &self.mappings {
            for v in m {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
    }

    /// The table written by [`Positions::to_bytes`] at the start of
    /// `bytes`, and the bytes after it; `None` when they are not one.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Option<(Self, &[u8])> {
        let (count, mut rest) = read_u32(bytes)?;
        let count = count as usize;
        if rest.len() / 16 < count {
            return None;
        }
        let mut mappings = Vec::with_capacity(count);
        for _ in 0..count {
            let mut m = [0; 4];
            for v in &mut m {
                (*v, rest) = read_u32(rest)?;
            }
            mappings.push(m);
        }
        Some((Self { mappings }, rest))
    }
}

/// A little-endian `u32` at the start of `bytes`, and the bytes after it.
pub(crate) fn read_u32(bytes: &[u8]) -> Option<(u32, &[u8])> {
    let (head, rest) = bytes.split_first_chunk::<4>()?;
    Some((u32::from_le_bytes(*head), rest))
}

#[cfg(test)]
mod tests {
    use super::Positions;

    fn table() -> Positions {
        Positions {
            mappings: vec![[0, 0, 2, 0], [0, 6, 2, 10], [2, 4, 7, 8]],
        }
    }

    #[test]
    fn a_place_maps_to_the_last_mapping_before_it_on_its_line() {
        let p = table();
        assert_eq!(p.original(1, 1), Some((3, 1)));
        assert_eq!(p.original(1, 6), Some((3, 1)));
        assert_eq!(p.original(1, 7), Some((3, 11)));
        assert_eq!(p.original(1, 40), Some((3, 11)));
        assert_eq!(p.original(3, 1), Some((8, 9)));
        assert_eq!(p.original(2, 1), None);
        assert_eq!(p.original(9, 1), None);
        assert_eq!(p.original(0, 1), None);
    }

    #[test]
    fn the_table_survives_bytes() {
        let mut bytes = Vec::new();
        table().to_bytes(&mut bytes);
        bytes.push(7);
        let (back, rest) = Positions::from_bytes(&bytes).unwrap();
        assert_eq!(back, table());
        assert_eq!(rest, &[7]);
        assert!(Positions::from_bytes(&bytes[..bytes.len() - 3]).is_none());
    }

    #[test]
    fn shifting_moves_only_the_first_line() {
        let mut p = table();
        p.shift_first_line(5);
        assert_eq!(p.original(1, 12), Some((3, 11)));
        assert_eq!(p.original(3, 5), Some((8, 9)));
    }
}
