package extract

import (
	"testing"
	"unicode"
	"unicode/utf8"
)

// countLangRunes is countLang rune by rune, through the Unicode tables
// for every character: the definition countLang's ASCII path must keep.
func countLangRunes(text string) (c langCounts) {
	var w []byte
	for _, r := range text {
		if !unicode.IsLetter(r) {
			if !unicode.IsMark(r) {
				c.word(w)
				w = w[:0]
			}
			continue
		}
		c.letter(r)
		if len(w) < 32-utf8.UTFMax {
			w = utf8.AppendRune(w, unicode.ToLower(r))
		}
	}
	c.word(w)
	return c
}

var langCountSeeds = []string{
	"", "The cat and the dog", "Der Hund und die Katze ist nicht hier", "L'été est là, à Paris",
	"Ünïcödé MIXED case ÀÉÎ and ascii", "Привет, это тест і ще", "日本語のテキストです", "한국어 텍스트",
	"שלום עולם", "مرحبا پ", "नमस्ते", "สวัสดี", "a\u0301b e\u0308", "x\xffy\xc3", "123 abc_def-ghi@jkl",
	"averyveryveryveryveryveryverylongwordthatoverflowsthebuffer and the", "ÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀ ab",
}

func TestCountLang(t *testing.T) {
	for _, s := range langCountSeeds {
		if got, want := countLang(s), countLangRunes(s); got != want {
			t.Errorf("%q: %+v, want %+v", s, got, want)
		}
	}
}

// TestCountLangBench: the same counts on the benchmark's pages, read as
// text whole (markup, scripts and all).
func TestCountLangBench(t *testing.T) {
	for _, p := range benchPages(t) {
		s := truncUTF8(string(p), 1<<16)
		if got, want := countLang(s), countLangRunes(s); got != want {
			t.Fatalf("%+v, want %+v", got, want)
		}
	}
}

func FuzzCountLang(f *testing.F) {
	for _, s := range langCountSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := countLang(s), countLangRunes(s); got != want {
			t.Fatalf("%q: %+v, want %+v", s, got, want)
		}
	})
}

// containsAnyEach is containsAnyASCIIFold's definition: any word found by
// containsASCIIFold.
func containsAnyEach(s string, words []string) bool {
	for _, w := range words {
		if containsASCIIFold(s, w) {
			return true
		}
	}
	return false
}

var hintWordSets = [][]string{
	{"comment", "footer", "sidebar", "related"},
	{"byline", "author"},
	{"avatar", "bio", "image", "photo", "about", "box"},
	{"a", "ab"}, {"x-y", "1a"}, {"zz"},
}

func TestContainsAnyASCIIFold(t *testing.T) {
	for _, s := range []string{"", "COMMENTS", "post-Byline", "x", "authorbox", "foot", "relate", "Sidebar!", "a", "1A", "X-Y", "ZZ", "z", "aB"} {
		for _, words := range hintWordSets {
			if got, want := containsAnyASCIIFold(s, words), containsAnyEach(s, words); got != want {
				t.Errorf("%q %q: %v, want %v", s, words, got, want)
			}
		}
	}
}

func FuzzContainsAnyASCIIFold(f *testing.F) {
	f.Add("entry-comment-footer", uint8(0))
	f.Add("AUTHOR", uint8(1))
	f.Add("\x80\xc1abc", uint8(3))
	f.Fuzz(func(t *testing.T, s string, set uint8) {
		words := hintWordSets[int(set)%len(hintWordSets)]
		if got, want := containsAnyASCIIFold(s, words), containsAnyEach(s, words); got != want {
			t.Fatalf("%q %q: %v, want %v", s, words, got, want)
		}
	})
}
