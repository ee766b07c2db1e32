package extract

import (
	"encoding/csv"
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Bounds on tables: spans are capped as browsers cap them, and the grid
// stops growing past these sizes.
const (
	maxColSpan   = 1000
	maxRowSpan   = 1000
	maxGridCols  = 1000
	maxGridRows  = 10000
	maxGridCells = 200_000
	maxTables    = 256
	maxGridText  = 4 << 20 // cell text bytes read per table
)

// collectTables lists the data tables of the content subtree. Layout
// tables are skipped: role=presentation, tables holding other tables,
// tables of a single cell, and tables whose cells hold only links and
// images.
func collectTables(content *html.Node) []Table {
	if content == nil {
		return nil
	}
	var out []Table
	var walk func(n *html.Node, depth int)
	walk = func(n *html.Node, depth int) {
		for c := n.FirstChild; c != nil && len(out) < maxTables; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			switch c.DataAtom {
			case atom.Script, atom.Style, atom.Noscript, atom.Template:
				continue
			case atom.Table:
				if isDataTable(c) {
					g := buildGrid(c, func(cell *html.Node) string { return textOf(cell, textLimitDefault) })
					if len(g.rows) > 0 {
						out = append(out, Table{Caption: g.caption, HeaderRows: g.headerRows, Rows: g.rows})
					}
					continue // nested tables of a data table are part of its cells
				}
			}
			if depth < 512 {
				walk(c, depth+1)
			}
		}
	}
	if isElem(content, atom.Table) {
		if isDataTable(content) {
			g := buildGrid(content, func(cell *html.Node) string { return textOf(cell, textLimitDefault) })
			if len(g.rows) > 0 {
				return []Table{{Caption: g.caption, HeaderRows: g.headerRows, Rows: g.rows}}
			}
			return nil
		}
	}
	walk(content, 0)
	return out
}

// tableRows returns the rows of table t (not of nested tables) in display
// order: thead, then bodies and bare rows, then tfoot; and its caption.
func tableRows(t *html.Node) (rows []*html.Node, caption *html.Node, headRows int) {
	var head, body, foot []*html.Node
	for c := t.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode {
			continue
		}
		switch c.DataAtom {
		case atom.Caption:
			if caption == nil {
				caption = c
			}
		case atom.Tr:
			body = append(body, c)
		case atom.Thead, atom.Tbody, atom.Tfoot:
			for r := c.FirstChild; r != nil; r = r.NextSibling {
				if isElem(r, atom.Tr) {
					switch c.DataAtom {
					case atom.Thead:
						head = append(head, r)
					case atom.Tfoot:
						foot = append(foot, r)
					default:
						body = append(body, r)
					}
				}
			}
		}
		if len(head)+len(body)+len(foot) > maxGridRows {
			break
		}
	}
	rows = append(append(append(rows, head...), body...), foot...)
	return rows, caption, len(head)
}

// isDataTable tells data tables from layout tables: presentation roles,
// tables holding tables or page structure (headings, several paragraphs or
// lists, long text in a cell), a single row without headers, a single
// non-empty cell, and tables of links and images only are layout.
func isDataTable(t *html.Node) bool {
	switch strings.ToLower(attrOf(t, "role")) {
	case "presentation", "none":
		return false
	}
	rows, caption, head := tableRows(t)
	if len(rows) == 0 {
		return false
	}
	cells, nonEmpty, th := 0, 0, 0
	onlyLinks := true
	for _, r := range rows {
		for c := r.FirstChild; c != nil; c = c.NextSibling {
			if !isElem(c, atom.Td) && !isElem(c, atom.Th) {
				continue
			}
			cells++
			if c.DataAtom == atom.Th {
				th++
			}
			kind := cellKind(c)
			if kind == cellNested || kind == cellBlocks {
				return false
			}
			if kind != cellEmpty {
				nonEmpty++
				if kind == cellText {
					onlyLinks = false
				}
			}
		}
		if cells > maxGridCells {
			break
		}
	}
	if nonEmpty <= 1 || cells <= 1 {
		return false
	}
	// One row of plain cells lays out columns; data has rows.
	if len(rows) == 1 && th == 0 && caption == nil {
		return false
	}
	if caption != nil || head > 0 || th > 0 {
		return true
	}
	return !onlyLinks
}

const (
	cellEmpty = iota
	cellText
	cellLinksOnly // only links and images
	cellNested    // holds a table
	cellBlocks    // holds page structure (headings, lists, several paragraphs, long text)
)

// cellKind classifies a cell's content, looking at a bounded number of
// nodes.
func cellKind(cell *html.Node) int {
	kind := cellEmpty
	budget := 512
	paras, textLen := 0, 0
	var walk func(n *html.Node, inLink bool) bool
	walk = func(n *html.Node, inLink bool) bool {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if budget--; budget < 0 {
				return false
			}
			switch c.Type {
			case html.TextNode:
				if textLen += len(c.Data); textLen > 2000 {
					kind = cellBlocks
					return false
				}
				if strings.TrimSpace(c.Data) != "" {
					if inLink {
						if kind == cellEmpty {
							kind = cellLinksOnly
						}
					} else {
						kind = cellText
					}
				}
			case html.ElementNode:
				switch c.DataAtom {
				case atom.Table:
					kind = cellNested
					return false
				case atom.H1, atom.H2, atom.H3, atom.H4, atom.Blockquote, atom.Pre, atom.Form, atom.Article, atom.Nav:
					kind = cellBlocks
					return false
				case atom.P, atom.Ul, atom.Ol:
					if paras++; paras >= 3 {
						kind = cellBlocks
						return false
					}
					if !walk(c, inLink) {
						return false
					}
				case atom.Img, atom.Svg, atom.Picture:
					if kind == cellEmpty {
						kind = cellLinksOnly
					}
				case atom.Script, atom.Style:
				default:
					if !walk(c, inLink || c.DataAtom == atom.A) {
						return false
					}
				}
			}
		}
		return true
	}
	walk(cell, false)
	return kind
}

// grid is a table with spans expanded.
type grid struct {
	caption    string
	headerRows int
	rows       [][]string
}

// buildGrid expands a table's rows and spans into a rectangular grid,
// writing each cell with cellText. A cell spanning several positions is
// repeated in each. Header rows are the thead rows, or else the leading
// rows made only of th cells.
func buildGrid(t *html.Node, cellText func(*html.Node) string) grid {
	rows, caption, head := tableRows(t)
	var g grid
	if caption != nil {
		g.caption = textOf(caption, 4096)
	}
	type carry struct {
		text string
		left int
	}
	var carries []carry // per column: a rowspan still covering it
	cellsTotal := 0
	textBytes := 0
	allTH := make([]bool, 0, len(rows))
	for ri, r := range rows {
		if len(g.rows) >= maxGridRows || cellsTotal >= maxGridCells || textBytes > maxGridText {
			break
		}
		var row []string
		col := 0
		onlyTH := true
		fillCarries := func() {
			for col < len(carries) && carries[col].left > 0 {
				row = append(row, carries[col].text)
				carries[col].left--
				col++
			}
		}
		for c := r.FirstChild; c != nil; c = c.NextSibling {
			if !isElem(c, atom.Td) && !isElem(c, atom.Th) {
				continue
			}
			if c.DataAtom == atom.Td {
				onlyTH = false
			}
			fillCarries()
			text := cellText(c)
			cs := spanAttr(c, "colspan", maxColSpan)
			rs := spanAttr(c, "rowspan", maxRowSpan)
			if rs == 0 || rs > len(rows)-ri { // rowspan=0: to the end of the table
				rs = len(rows) - ri
			}
			// The text is repeated in every position the cell covers.
			if textBytes += (len(text) + 1) * cs * rs; textBytes > maxGridText {
				break
			}
			for k := 0; k < cs && col < maxGridCols; k++ {
				row = append(row, text)
				if rs > 1 {
					for len(carries) <= col {
						carries = append(carries, carry{})
					}
					carries[col] = carry{text: text, left: rs - 1}
				}
				col++
			}
			if col >= maxGridCols || cellsTotal+len(row) >= maxGridCells {
				break
			}
		}
		// Rowspans from earlier rows that reach past this row's cells.
		for col < len(carries) {
			if carries[col].left > 0 {
				row = append(row, carries[col].text)
				carries[col].left--
			} else {
				row = append(row, "")
			}
			col++
		}
		if len(row) == 0 {
			continue
		}
		cellsTotal += len(row)
		g.rows = append(g.rows, row)
		allTH = append(allTH, onlyTH)
	}
	// Rectangular: pad every row to the widest, keeping the grid within
	// maxGridCells.
	width := 0
	for _, r := range g.rows {
		width = max(width, len(r))
	}
	if width > 0 && len(g.rows)*width > maxGridCells {
		g.rows = g.rows[:max(1, maxGridCells/width)]
	}
	for i, r := range g.rows {
		for len(r) < width {
			r = append(r, "")
		}
		g.rows[i] = r
	}
	if head > 0 {
		g.headerRows = min(head, len(g.rows))
	} else {
		for g.headerRows < len(allTH) && allTH[g.headerRows] && g.headerRows < len(g.rows)-1 {
			g.headerRows++
		}
	}
	return g
}

// spanAttr reads a colspan or rowspan attribute: 1 when absent or
// invalid, capped at limit; rowspan may be 0 (to the end).
func spanAttr(n *html.Node, key string, limit int) int {
	v := strings.TrimSpace(attrOf(n, key))
	if v == "" {
		return 1
	}
	// Browsers read the leading digits ("2px" is 2).
	end := 0
	for end < len(v) && end < 7 && v[end] >= '0' && v[end] <= '9' {
		end++
	}
	k, err := strconv.Atoi(v[:end])
	if err != nil || k < 0 {
		return 1
	}
	if k == 0 {
		if key == "rowspan" {
			return 0
		}
		return 1
	}
	return min(k, limit)
}

// CSV returns the table as CSV (RFC 4180, CRLF-free: lines end in "\n"),
// header rows first. The caption is not included.
func (t Table) CSV() string {
	var b strings.Builder
	w := csv.NewWriter(&b)
	for _, r := range t.Rows {
		if err := w.Write(r); err != nil {
			break
		}
	}
	w.Flush()
	return b.String()
}

// Markdown returns the table as a GitHub Flavored Markdown table. The first
// row is the header row (GFM tables need one, so a table without header
// rows uses its first row); pipes in cells are escaped and line breaks
// become spaces. The caption, if any, is written above the table in
// italics.
func (t Table) Markdown() string {
	var b strings.Builder
	if t.Caption != "" {
		b.WriteString("_")
		b.WriteString(escapeMarkdownInline(t.Caption))
		b.WriteString("_\n\n")
	}
	writeGFMTable(&b, "", t.Rows, func(s string) string { return escapeMarkdownInline(s) })
	return b.String()
}

// writeGFMTable writes rows as a GFM table, each line starting with
// prefix. cell renders one cell's text.
func writeGFMTable(b *strings.Builder, prefix string, rows [][]string, cell func(string) string) {
	if len(rows) == 0 {
		return
	}
	width := 0
	for _, r := range rows {
		width = max(width, len(r))
	}
	if width == 0 {
		return
	}
	line := func(r []string) {
		b.WriteString(prefix)
		b.WriteByte('|')
		for i := 0; i < width; i++ {
			s := ""
			if i < len(r) {
				s = gfmCell(cell(r[i]))
			}
			b.WriteByte(' ')
			b.WriteString(s)
			if s != "" {
				b.WriteByte(' ')
			}
			b.WriteByte('|')
		}
		b.WriteByte('\n')
	}
	line(rows[0])
	b.WriteString(prefix)
	b.WriteByte('|')
	for i := 0; i < width; i++ {
		b.WriteString(" --- |")
	}
	b.WriteByte('\n')
	for _, r := range rows[1:] {
		line(r)
	}
}

// gfmCell makes s safe inside a GFM table cell: one line, pipes escaped.
func gfmCell(s string) string {
	if !strings.ContainsAny(s, "|\n\r") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 4)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '|':
			b.WriteString(`\|`)
		case '\n', '\r':
			b.WriteByte(' ')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
