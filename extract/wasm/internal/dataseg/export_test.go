package dataseg

// Segments returns the offsets and bytes of module's data segments, by
// offset.
func Segments(module []byte) (offsets []uint32, data [][]byte, err error) {
	secs, err := sections(module)
	if err != nil {
		return nil, nil, err
	}
	for _, s := range secs {
		if s.id != sectionData {
			continue
		}
		segs, err := readSegments(module[s.at:s.end])
		if err != nil {
			return nil, nil, err
		}
		for _, sg := range segs {
			offsets = append(offsets, sg.offset)
			data = append(data, sg.data)
		}
	}
	return offsets, data, nil
}

// OtherSections returns module's sections other than data and data count,
// concatenated, header first.
func OtherSections(module []byte) []byte {
	out := append([]byte(nil), module[:8]...)
	secs, _ := sections(module)
	for _, s := range secs {
		if s.id != sectionData && s.id != sectionDataCount {
			out = append(out, module[s.start:s.end]...)
		}
	}
	return out
}
