package interrupt

// Counts are the checks Instrument inserted: at loop heads, at function
// entries and before branches back to a dispatch loop; and the dispatch
// loops it found and the branches to them it left without a check.
type Counts struct {
	Loops, Entries, Backs, Dispatches, Forward int
}

// Stats is Instrument that also returns its Counts.
func Stats(module []byte) (out []byte, c Counts, err error) {
	m, err := scan(module)
	if err != nil {
		return nil, c, err
	}
	r := newRewriter(m)
	if err := r.run(); err != nil {
		return nil, c, err
	}
	return r.out, Counts{r.loops, r.entries, r.backs, r.dispatches, r.forward}, nil
}
