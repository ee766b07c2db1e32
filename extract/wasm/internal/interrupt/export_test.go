package interrupt

// Stats is Instrument that also returns the number of checks inserted at
// loop headers and at function entries.
func Stats(module []byte) (out []byte, loops, entries int, err error) {
	m, err := scan(module)
	if err != nil {
		return nil, 0, 0, err
	}
	r := newRewriter(m)
	if err := r.run(); err != nil {
		return nil, 0, 0, err
	}
	return r.out, r.loops, r.entries, nil
}
