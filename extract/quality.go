package extract

import (
	"unicode"
	"unicode/utf8"
)

// Reading speeds used for Document.ReadingTimeSeconds.
const (
	wordsPerMinute    = 238 // words of space-separated scripts
	cjkCharsPerMinute = 500 // Chinese, Japanese characters
)

// Parts of the quality score and their maximum weight (the score is their
// sum, clamped to 0-100):
//
//   - "content" (25): main content was found (not the whole-page fallback).
//   - "length" (25): amount of main text; full marks from 2,000 characters,
//     nothing under 100.
//   - "links" (15): low link density (link text / all text); full marks up
//     to 10%, nothing from 50%.
//   - "structure" (15): paragraphs (10, full from 5) and headings (5).
//   - "metadata" (20): title 6, author(s) 5, published date 5, language 4.
//   - "degraded" (-30): the page could not be parsed as a tree.
const (
	qContent   = 25
	qLength    = 25
	qLinks     = 15
	qStructure = 15
	qMetadata  = 20
	qDegraded  = -30
)

// scoreQuality computes the 0-100 quality score and its parts (see the
// weights above). It also fills doc.WordCount and doc.ReadingTimeSeconds
// from doc.Text, so it must run after the text is written.
func scoreQuality(doc *Document, s contentStats) Quality {
	words, cjk := countWords(doc.Text)
	doc.WordCount = words + cjk
	doc.ReadingTimeSeconds = readingSeconds(words, cjk)

	parts := make(map[string]int, 6)
	if s.ContentFound {
		parts["content"] = qContent
	} else {
		parts["content"] = 0
	}
	chars := s.TextChars
	if chars == 0 {
		chars = utf8.RuneCountInString(doc.Text)
	}
	switch {
	case chars >= 2000:
		parts["length"] = qLength
	case chars <= 100:
		parts["length"] = 0
	default:
		parts["length"] = qLength * (chars - 100) / 1900
	}
	if chars > 0 {
		density := float64(s.LinkChars) / float64(chars)
		switch {
		case density <= 0.1:
			parts["links"] = qLinks
		case density >= 0.5:
			parts["links"] = 0
		default:
			parts["links"] = int(float64(qLinks) * (0.5 - density) / 0.4)
		}
	} else {
		parts["links"] = 0
	}
	st := min(s.Paragraphs, 5) * 10 / 5
	if s.Headings > 0 {
		st += 5
	}
	parts["structure"] = st
	md := 0
	if doc.Title != "" {
		md += 6
	}
	if len(doc.Authors) > 0 {
		md += 5
	}
	if doc.Published != "" {
		md += 5
	}
	if doc.Language != "" {
		md += 4
	}
	parts["metadata"] = md
	if s.Degraded {
		parts["degraded"] = qDegraded
	}
	score := 0
	for _, v := range parts {
		score += v
	}
	return Quality{Score: max(0, min(100, score)), Parts: parts}
}

// countWords counts the words of text: runs of letters, digits and marks
// (an apostrophe or hyphen between letters joins a word), and separately
// the characters of scripts written without spaces (Han, Hiragana,
// Katakana, Thai...), each of which counts as one word.
func countWords(text string) (words, cjk int) {
	inWord := false
	prevJoin := false
	for _, r := range text {
		switch {
		case isCJK(r):
			cjk++
			inWord = false
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
			if !inWord {
				words++
				inWord = true
			}
			prevJoin = false
		case inWord && !prevJoin && (r == '\'' || r == '’' || r == '-'):
			prevJoin = true // stays in the word if a letter follows
		default:
			inWord = false
			prevJoin = false
		}
	}
	return words, cjk
}

// isCJK reports whether r belongs to a script written without spaces
// between words.
func isCJK(r rune) bool {
	if r < 0x0E00 {
		return false
	}
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Thai, r) ||
		unicode.Is(unicode.Lao, r) || unicode.Is(unicode.Khmer, r) ||
		unicode.Is(unicode.Myanmar, r)
}

// readingSeconds estimates the reading time, rounded up to whole seconds.
func readingSeconds(words, cjk int) int {
	if words == 0 && cjk == 0 {
		return 0
	}
	// seconds = words*60/wpm + cjk*60/cpm, in integer arithmetic.
	num := words*60*cjkCharsPerMinute + cjk*60*wordsPerMinute
	den := wordsPerMinute * cjkCharsPerMinute
	return (num + den - 1) / den
}
