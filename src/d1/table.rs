//! Tables for the terminal, as `wrangler d1` prints them.

/// `rows` under `header`, in a box drawn with line characters.
pub fn render(header: &[String], rows: &[Vec<String>]) -> String {
    let width = |s: &str| s.chars().count();
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(width(cell));
            }
        }
    }
    let line = |left: &str, mid: &str, right: &str| {
        let parts: Vec<String> = widths.iter().map(|w| "─".repeat(w + 2)).collect();
        format!("{left}{}{right}\n", parts.join(mid))
    };
    let cells = |values: &[String]| {
        let parts: Vec<String> = widths
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let v = values.get(i).map(String::as_str).unwrap_or("");
                // One line per cell: line breaks would break the box.
                let v = v.replace(['\n', '\r'], " ");
                format!(" {v}{} ", " ".repeat(w - width(&v)))
            })
            .collect();
        format!("│{}│\n", parts.join("│"))
    };
    let mut out = line("┌", "┬", "┐");
    out.push_str(&cells(header));
    out.push_str(&line("├", "┼", "┤"));
    for row in rows {
        out.push_str(&cells(row));
    }
    out.push_str(&line("└", "┴", "┘"));
    out
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn draws_a_box_around_the_widest_cells() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let table = render(&s(&["id", "name"]), &[s(&["1", "Ann"]), s(&["22", "Bé"])]);
        assert_eq!(
            table,
            "┌────┬──────┐\n\
             │ id │ name │\n\
             ├────┼──────┤\n\
             │ 1  │ Ann  │\n\
             │ 22 │ Bé   │\n\
             └────┴──────┘\n"
        );
    }
}
