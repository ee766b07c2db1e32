package dataseg

import "github.com/riptide-go/riptide/internal/leb128"

// Segments returns the offsets and bytes of module's data segments, in
// the order the data section lists them.
func Segments(module []byte) (offsets []uint32, data [][]byte, err error) {
	for p := 8; p < len(module); {
		size, q, _ := leb128.U32(module, p+1)
		if module[p] == sectionData {
			segs, err := readSegments(module[q : q+int(size)])
			if err != nil {
				return nil, nil, err
			}
			for _, s := range segs {
				offsets = append(offsets, s.offset)
				data = append(data, s.data)
			}
		}
		p = q + int(size)
	}
	return offsets, data, nil
}

// OtherSections returns module's sections other than data and data count,
// concatenated, header first.
func OtherSections(module []byte) []byte {
	out := append([]byte(nil), module[:8]...)
	for p := 8; p < len(module); {
		size, q, _ := leb128.U32(module, p+1)
		if id := module[p]; id != sectionData && id != sectionDataCount {
			out = append(out, module[p:q+int(size)]...)
		}
		p = q + int(size)
	}
	return out
}
