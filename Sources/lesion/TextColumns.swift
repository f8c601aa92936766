/// A table of plain text columns, each as wide as its widest cell, for the tables on stdout.
/// Written here because ordo-one/TextTable, the one table library on the local package list,
/// draws boxed tables; golden tests, grep and awk want plain columns.
struct TextColumns {
    enum Alignment { case left, right }

    let alignments: [Alignment]
    private(set) var rows: [[String]]

    /// `header` gives one title per column; `alignments` says how each column's cells align.
    init(_ header: [String], _ alignments: [Alignment]) {
        precondition(header.count == alignments.count, "a column without an alignment")
        self.alignments = alignments
        rows = [header]
    }

    mutating func append(_ row: [String]) {
        precondition(row.count == alignments.count, "a row of \(row.count) cells in a table of \(alignments.count) columns")
        rows.append(row)
    }

    /// The header and rows, indented, columns two spaces apart, with no trailing spaces.
    func lines(indent: String = "  ") -> [String] {
        let widths = alignments.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            let cells = row.indices.map { column -> String in
                let fill = String(repeating: " ", count: widths[column] - row[column].count)
                return alignments[column] == .left ? row[column] + fill : fill + row[column]
            }
            let line = indent + cells.joined(separator: "  ")
            return String(line.reversed().drop { $0 == " " }.reversed())
        }
    }
}
