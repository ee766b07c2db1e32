package extract

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/language"
)

// normalizeLang turns a language attribute or header value ("en_US",
// "pt-br", "en-US,en;q=0.8") into a canonical BCP 47 tag, or "" when it is
// not a usable language.
func normalizeLang(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, ",;"); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	if s == "" || len(s) > 35 {
		return ""
	}
	s = strings.ReplaceAll(s, "_", "-")
	switch strings.ToLower(s) {
	case "x-default", "und", "mul", "zxx", "*":
		return ""
	}
	t, err := language.Parse(s)
	if err != nil {
		return ""
	}
	if b, conf := t.Base(); conf == language.No || b.String() == "und" {
		return ""
	}
	return t.String()
}

// Content-based language detection: a cheap guess from the body text for
// pages that do not declare their language. Scripts with one dominant
// language (Cyrillic, CJK, Greek...) are told apart by code points; Latin
// script languages by counting very frequent function words.

// langSampleBytes bounds the text looked at.
const langSampleBytes = 4096

// stopWordLangs lists the languages told apart by function words, in the
// bit order of stopWords' values.
var stopWordLangs = []string{"en", "de", "fr", "es", "it", "pt", "nl", "sv", "pl", "tr", "id", "ru", "uk"}

// stopWords maps a frequent, fairly distinctive word to the set (bit i =
// stopWordLangs[i]) of languages it is frequent in.
var stopWords = func() map[string]uint16 {
	lists := [][]string{
		// en
		{"the", "and", "of", "to", "is", "that", "it", "with", "for", "was", "this", "are", "be", "have", "not", "you", "which", "from", "they", "by", "or", "his", "her", "but", "were", "has", "been", "their", "will", "would", "an", "at", "on", "in", "we"},
		// de
		{"der", "die", "und", "das", "ist", "nicht", "sich", "mit", "den", "auf", "ein", "eine", "auch", "dem", "des", "zu", "von", "für", "im", "wird", "sie", "es", "wir", "ich", "aber", "oder", "werden", "wie", "nach", "bei", "noch", "einer"},
		// fr
		{"le", "la", "les", "des", "et", "est", "une", "du", "dans", "que", "pour", "qui", "pas", "sur", "au", "avec", "il", "elle", "ce", "sont", "nous", "vous", "mais", "ou", "par", "plus", "aux", "cette", "être", "à"},
		// es
		{"el", "la", "los", "las", "y", "que", "del", "es", "en", "por", "una", "con", "para", "se", "no", "su", "al", "lo", "como", "más", "pero", "sus", "le", "ya", "fue", "este", "entre", "muy", "también"},
		// it
		{"il", "di", "che", "e", "la", "per", "un", "non", "sono", "della", "del", "è", "una", "gli", "nel", "alla", "anche", "con", "ma", "si", "le", "dei", "più", "questo", "come", "delle", "nella"},
		// pt
		{"de", "que", "não", "uma", "os", "do", "da", "em", "para", "com", "é", "mais", "as", "dos", "das", "se", "mas", "foi", "ao", "ele", "no", "na", "seu", "sua", "também", "pelo", "pela", "muito", "são", "isso"},
		// nl
		{"de", "het", "een", "en", "van", "is", "dat", "niet", "op", "te", "zijn", "voor", "met", "ook", "maar", "aan", "er", "als", "bij", "nog", "wordt", "uit", "wat", "naar", "deze", "worden", "hij", "ze"},
		// sv
		{"och", "att", "det", "som", "en", "är", "av", "för", "med", "till", "den", "har", "inte", "om", "ett", "på", "jag", "men", "var", "de", "från", "kan", "så", "vi"},
		// pl
		{"i", "w", "nie", "na", "się", "z", "jest", "do", "to", "że", "o", "jak", "ale", "po", "co", "tak", "za", "od", "przez", "jego", "są", "dla", "czy", "tylko", "już", "być"},
		// tr
		{"ve", "bir", "bu", "da", "de", "için", "ile", "çok", "olarak", "daha", "gibi", "ama", "olan", "en", "kadar", "sonra", "ne", "var", "değil", "her", "ancak", "olduğu"},
		// id
		{"yang", "dan", "di", "ini", "itu", "dengan", "untuk", "tidak", "dari", "dalam", "akan", "pada", "juga", "ke", "karena", "ada", "oleh", "mereka", "bisa", "atau", "sudah", "saya"},
		// ru
		{"и", "в", "не", "на", "что", "с", "по", "это", "как", "он", "но", "из", "к", "для", "от", "так", "за", "же", "его", "был", "она", "только", "или", "было", "уже", "ещё", "если", "мы"},
		// uk
		{"і", "в", "не", "на", "що", "з", "у", "та", "це", "як", "до", "за", "від", "для", "але", "його", "або", "вже", "ще", "є", "був", "була", "також", "при", "ми", "які"},
	}
	m := make(map[string]uint16, 400)
	for i, l := range lists {
		for _, w := range l {
			m[w] |= 1 << i
		}
	}
	return m
}()

// detectable reports whether detectLang can recognise language base, so
// that a guess can contradict a declaration of it (a page declared
// Danish is not overruled by a guess of Swedish).
func detectable(base string) bool {
	switch base {
	case "ja", "ko", "zh", "el", "he", "fa", "ar", "th", "hi":
		return true
	}
	for _, l := range stopWordLangs {
		if l == base {
			return true
		}
	}
	return false
}

// detectLanguage guesses the language of text (only the first
// langSampleBytes are read). It returns "" when unsure.
func detectLanguage(text string) string {
	lang, _ := detectLang(text)
	return lang
}

// detectLang is detectLanguage that also says whether the evidence is
// strong enough to overrule a page's declared language: plenty of text in
// a script of its own, or many function words with a wide lead.
func detectLang(text string) (lang string, strong bool) {
	if len(text) > langSampleBytes {
		text = truncUTF8(text, langSampleBytes)
	}
	c := countLang(text)
	if c.letters < 20 {
		return "", false
	}
	// Scripts used by essentially one language here.
	switch {
	case c.kana*10 > c.letters || c.kana > 0 && c.han+c.kana > c.letters/2 && c.kana*20 > c.han:
		return "ja", c.letters >= 100
	case c.hangul*3 > c.letters:
		return "ko", c.letters >= 100
	case c.han*2 > c.letters:
		return "zh", c.letters >= 100
	case c.greek*2 > c.letters:
		return "el", c.letters >= 100
	case c.hebrew*2 > c.letters:
		return "he", c.letters >= 100
	case c.arabic*2 > c.letters:
		if c.persian*50 > c.arabic {
			return "fa", c.letters >= 100
		}
		return "ar", c.letters >= 100
	case c.thai*2 > c.letters:
		return "th", c.letters >= 100
	case c.deva*2 > c.letters:
		return "hi", c.letters >= 100
	case c.cyr*2 > c.letters:
		if c.ukr*100 > c.cyr {
			return "uk", c.letters >= 100
		}
		return "ru", c.letters >= 100
	case c.latin*2 <= c.letters:
		return "", false
	}
	best, second := -1, 0
	for i := range stopWordLangs {
		if best < 0 || c.hits[i] > c.hits[best] {
			if best >= 0 {
				second = c.hits[best]
			}
			best = i
		} else if c.hits[i] > second {
			second = c.hits[i]
		}
	}
	// Enough evidence, and a clear lead over the runner-up.
	if best < 0 || c.hits[best] < 3 || c.hits[best]*20 < c.words || c.hits[best]*10 < second*12 {
		return "", false
	}
	return stopWordLangs[best], c.hits[best] >= 12 && c.hits[best] >= 2*second && c.hits[best]*8 >= c.words
}

// langCounts is what detectLang decides from: letters by script, words,
// and for each language of stopWordLangs its function words seen.
type langCounts struct {
	letters                                       int
	latin, cyr, han, kana, hangul, arabic, hebrew int
	greek, thai, deva, persian, ukr               int
	words                                         int
	hits                                          [16]int
}

// countLang counts the letters, words and function words of text.
func countLang(text string) (c langCounts) {
	var wb [32]byte
	w := wb[:0]
	flush := func() {
		c.word(w)
		w = w[:0]
	}
	for i := 0; i < len(text); {
		// ASCII, most of most pages, without the Unicode tables: a
		// letter is a Latin one, anything else ends the word.
		if b := text[i]; b < utf8.RuneSelf {
			i++
			if b |= 0x20; b < 'a' || b > 'z' {
				flush()
				continue
			}
			c.letters++
			c.latin++
			if len(w) < cap(w)-utf8.UTFMax {
				w = append(w, b)
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		if !unicode.IsLetter(r) {
			if !unicode.IsMark(r) {
				flush()
			}
			continue
		}
		c.letter(r)
		if len(w) < cap(w)-utf8.UTFMax {
			w = utf8.AppendRune(w, unicode.ToLower(r))
		}
	}
	flush()
	return c
}

// word counts the word w (lower case), if not empty.
func (c *langCounts) word(w []byte) {
	if len(w) == 0 {
		return
	}
	c.words++
	if bits, ok := stopWords[string(w)]; ok {
		for i := range stopWordLangs {
			if bits&(1<<i) != 0 {
				c.hits[i]++
			}
		}
	}
}

// letter counts the letter r and its script.
func (c *langCounts) letter(r rune) {
	c.letters++
	switch {
	case r < 0x250:
		c.latin++
	case r >= 0x400 && r < 0x530:
		c.cyr++
		switch r {
		case 'і', 'ї', 'є', 'ґ', 'І', 'Ї', 'Є', 'Ґ':
			c.ukr++
		}
	case r >= 0x370 && r < 0x400:
		c.greek++
	case r >= 0x590 && r < 0x600:
		c.hebrew++
	case r >= 0x600 && r < 0x700:
		c.arabic++
		switch r {
		case 'پ', 'چ', 'ژ', 'گ', 'ی':
			c.persian++
		}
	case r >= 0x900 && r < 0x980:
		c.deva++
	case r >= 0xE00 && r < 0xE80:
		c.thai++
	case r >= 0x3040 && r < 0x3100:
		c.kana++
	case r >= 0xAC00 && r < 0xD7B0 || r >= 0x1100 && r < 0x1200:
		c.hangul++
	case unicode.Is(unicode.Han, r):
		c.han++
	}
}
