package extract

import (
	"strconv"
	"strings"
	"time"
)

// Dates are normalised to ISO 8601: RFC 3339 (with the source's offset,
// UTC when the source names none) when the source carries a time of day,
// YYYY-MM-DD otherwise. Years before minDateYear or after next year are
// rejected as nonsense.
const minDateYear = 1900

// dateLayouts are tried in order by time.Parse; hasTime says whether the
// layout carries a time of day.
var dateLayouts = []struct {
	layout  string
	hasTime bool
}{
	{time.RFC3339Nano, true},
	{"2006-01-02T15:04:05.999999999Z0700", true},
	{"2006-01-02T15:04:05.999999999", true},
	{"2006-01-02T15:04Z07:00", true},
	{"2006-01-02T15:04Z0700", true},
	{"2006-01-02T15:04", true},
	{"2006-01-02 15:04:05.999999999Z07:00", true},
	{"2006-01-02 15:04:05.999999999Z0700", true},
	{"2006-01-02 15:04:05.999999999 -0700", true},
	{"2006-01-02 15:04:05.999999999 -0700 MST", true},
	{"2006-01-02 15:04:05.999999999", true},
	{"2006-01-02 15:04", true},
	{"2006-01-02", false},
	{"2006-1-2", false},
	{"2006/01/02 15:04:05", true},
	{"2006/01/02 15:04", true},
	{"2006/1/2", false},
	{"2006.1.2", false},
	{"20060102", false},
	{time.RFC1123, true},
	{time.RFC1123Z, true},
	{"Mon, 2 Jan 2006 15:04:05 MST", true},
	{"Mon, 2 Jan 2006 15:04:05 -0700", true},
	{"Mon, 2 Jan 2006 15:04:05", true},
	{"Mon, 02 Jan 2006 15:04:05", true},
	{time.RFC850, true},
	{time.ANSIC, true},
	{time.UnixDate, true},
	{time.RubyDate, true},
	{time.RFC822, true},
	{time.RFC822Z, true},
}

// parseDate normalises a date string found in metadata or markup. It
// returns "" when s holds no plausible date.
func parseDate(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 200 {
		return ""
	}
	if isAllDigits(s) && len(s) >= 9 && len(s) <= 13 {
		// Unix time in seconds or milliseconds.
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return ""
		}
		return unixDate(n)
	}
	if len(s) >= 8 && s[0] >= '0' && s[0] <= '9' || len(s) > 20 && s[3] == ',' || strings.Count(s, ":") >= 2 {
		for _, l := range dateLayouts {
			if len(l.layout) > 2*len(s)+8 {
				continue
			}
			t, err := time.Parse(l.layout, s)
			if err != nil {
				continue
			}
			return formatDate(t, l.hasTime)
		}
	}
	return parseLooseDate(s)
}

// unixDate formats a Unix timestamp (seconds, or milliseconds when it is
// too large for seconds) as RFC 3339 in UTC.
func unixDate(n int64) string {
	if n > 1e11 {
		n /= 1000
	}
	return formatDate(time.Unix(n, 0).UTC(), true)
}

func formatDate(t time.Time, hasTime bool) string {
	if y := t.Year(); y < minDateYear || y > time.Now().Year()+1 {
		return ""
	}
	if !hasTime {
		return t.Format("2006-01-02")
	}
	return t.Format(time.RFC3339)
}

func isAllDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// monthNames maps lower-case month names and abbreviations in a few
// languages to month numbers.
var monthNames = map[string]int{
	"january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3,
	"april": 4, "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7,
	"august": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9, "october": 10,
	"oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
	// German
	"januar": 1, "jänner": 1, "februar": 2, "märz": 3, "mai": 5, "juni": 6,
	"juli": 7, "oktober": 10, "okt": 10, "dezember": 12, "dez": 12,
	// French
	"janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "juin": 6,
	"juillet": 7, "août": 8, "aout": 8, "septembre": 9, "octobre": 10,
	"novembre": 11, "décembre": 12, "decembre": 12,
	// Spanish, Portuguese, Italian
	"enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6,
	"julio": 7, "agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10,
	"noviembre": 11, "diciembre": 12, "janeiro": 1, "fevereiro": 2, "março": 3,
	"maio": 5, "junho": 6, "julho": 7, "setembro": 9, "outubro": 10,
	"novembro": 11, "dezembro": 12, "gennaio": 1, "febbraio": 2, "aprile": 4,
	"maggio": 5, "giugno": 6, "luglio": 7, "settembre": 9, "ottobre": 10,
	"dicembre": 12,
	// Dutch
	"januari": 1, "februari": 2, "maart": 3, "mei": 5, "augustus": 8,
	// Russian (genitive, as in "19 ноября 2019")
	"января": 1, "февраля": 2, "марта": 3, "апреля": 4, "мая": 5, "июня": 6,
	"июля": 7, "августа": 8, "сентября": 9, "октября": 10, "ноября": 11, "декабря": 12,
}

// parseLooseDate reads textual and numeric dates such as "January 2, 2006",
// "2 Jan 2006", "Mon, Jan 2nd 2006 at 3pm", "2. Januar 2006",
// "02.01.2006" (day first) and "01/02/2006" (month first unless the first
// number cannot be a month). The time of day, if any, is ignored.
func parseLooseDate(s string) string {
	var nums [4]int
	var numLen [4]int
	nn := 0
	month := 0
	sep := byte(0)
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			j := i
			v := 0
			for j < len(s) && s[j] >= '0' && s[j] <= '9' && j-i < 5 {
				v = v*10 + int(s[j]-'0')
				j++
			}
			// A time of day ("15:04") is skipped.
			if j < len(s) && s[j] == ':' {
				for j < len(s) && (s[j] == ':' || s[j] >= '0' && s[j] <= '9') {
					j++
				}
				i = j
				continue
			}
			if nn < len(nums) {
				nums[nn] = v
				numLen[nn] = j - i
				nn++
			} else {
				return ""
			}
			if j < len(s) && (s[j] == '/' || s[j] == '.' || s[j] == '-') && sep == 0 && month == 0 {
				sep = s[j]
			}
			i = j
		case c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= 0x80:
			j := i
			for j < len(s) && (s[j] >= 'A' && s[j] <= 'Z' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 0x80) {
				j++
			}
			if m, ok := monthNames[strings.ToLower(s[i:j])]; ok && month == 0 {
				month = m
			}
			i = j
		default:
			i++
		}
	}
	year, day := 0, 0
	if month != 0 {
		// Textual month: one 4-digit year and one day number.
		for k := 0; k < nn; k++ {
			switch {
			case numLen[k] == 4 && year == 0:
				year = nums[k]
			case numLen[k] <= 2 && day == 0 && nums[k] >= 1 && nums[k] <= 31:
				day = nums[k]
			}
		}
		if year == 0 || day == 0 {
			return ""
		}
	} else {
		if nn != 3 {
			return ""
		}
		switch {
		case numLen[0] == 4:
			year, month, day = nums[0], nums[1], nums[2]
		case numLen[2] == 4 && sep == '.':
			day, month, year = nums[0], nums[1], nums[2]
		case numLen[2] == 4:
			month, day, year = nums[0], nums[1], nums[2]
			if month > 12 {
				month, day = day, month
			}
		default:
			return ""
		}
	}
	if month < 1 || month > 12 || day < 1 || day > 31 {
		return ""
	}
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if t.Day() != day {
		return "" // e.g. 31 February
	}
	return formatDate(t, false)
}

// dateFromURLPath finds a /YYYY/MM/DD/ (or /YYYY-MM-DD/, /YYYY/mon/DD/)
// date in a URL path, as many news sites publish under.
func dateFromURLPath(p string) string {
	if d := dateFromURLMonthName(p); d != "" {
		return d
	}
	for i := 0; i+10 <= len(p); i++ {
		if p[i] != '/' {
			continue
		}
		s := p[i+1:]
		if len(s) < 10 || !isAllDigits(s[:4]) || (s[4] != '/' && s[4] != '-') ||
			!isAllDigits(s[5:7]) || s[7] != s[4] || !isAllDigits(s[8:10]) {
			continue
		}
		if len(s) > 10 && s[10] != '/' && s[10] != '-' && s[10] != '.' {
			continue
		}
		d := s[:4] + "-" + s[5:7] + "-" + s[8:10]
		if t, err := time.Parse("2006-01-02", d); err == nil {
			return formatDate(t, false)
		}
	}
	return ""
}

// dateFromURLMonthName finds /YYYY/mon/DD/ ("/2019/nov/18/").
func dateFromURLMonthName(p string) string {
	parts := strings.Split(p, "/")
	for i := 0; i+2 < len(parts) && i < 32; i++ {
		if len(parts[i]) != 4 || !isAllDigits(parts[i]) {
			continue
		}
		m, ok := monthNames[strings.ToLower(parts[i+1])]
		if !ok || len(parts[i+2]) == 0 || len(parts[i+2]) > 2 || !isAllDigits(parts[i+2]) {
			continue
		}
		y, _ := strconv.Atoi(parts[i])
		d, _ := strconv.Atoi(parts[i+2])
		t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
		if t.Day() == d {
			return formatDate(t, false)
		}
	}
	return ""
}
