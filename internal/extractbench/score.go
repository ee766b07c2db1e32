package extractbench

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Scores are the benchmark's article-body metrics (see the benchmark's
// README): word 4-gram shingles counted as multisets, page counts
// normalised to sum to 1, precision and recall averaged over pages, F1 of
// the two means.
type Scores struct {
	F1, Precision, Recall, Accuracy float64
	Pages                           int
}

// PageScore is one page's normalised counts.
type PageScore struct {
	ID         string
	TP, FP, FN float64
	Exact      bool
	Precision  float64 // NaN when the page has no predicted shingle
	Recall     float64 // NaN when the truth has no shingle
}

// LoadTruth reads ground-truth.json: {id: {"articleBody": text, ...}}.
func LoadTruth(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var raw map[string]struct {
		ArticleBody *string `json:"articleBody"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("extractbench: %s: %w", path, err)
	}
	out := make(map[string]string, len(raw))
	for id, v := range raw {
		if v.ArticleBody != nil {
			out[id] = *v.ArticleBody
		} else {
			out[id] = ""
		}
	}
	return out, nil
}

// Score scores predictions (id to article body; a missing id is empty
// output) against truth.
func Score(truth, pred map[string]string) (Scores, []PageScore) {
	var sumP, sumR float64
	var nP, nR, exact int
	pages := make([]PageScore, 0, len(truth))
	for id, t := range truth {
		ps := ScorePage(t, pred[id])
		ps.ID = id
		pages = append(pages, ps)
		if ps.TP+ps.FP > 0 {
			sumP += ps.Precision
			nP++
		}
		if ps.TP+ps.FN > 0 {
			sumR += ps.Recall
			nR++
		}
		if ps.Exact {
			exact++
		}
	}
	var s Scores
	s.Pages = len(truth)
	if nP > 0 {
		s.Precision = sumP / float64(nP)
	}
	if nR > 0 {
		s.Recall = sumR / float64(nR)
	}
	if s.Precision+s.Recall > 0 {
		s.F1 = 2 * s.Precision * s.Recall / (s.Precision + s.Recall)
	}
	if s.Pages > 0 {
		s.Accuracy = float64(exact) / float64(s.Pages)
	}
	return s, pages
}

// ScorePage scores one page.
func ScorePage(truth, pred string) PageScore {
	tt, pt := Tokens(truth), Tokens(pred)
	ts, ps := shingles(tt), shingles(pt)
	var tp, nt, np int
	for k, c := range ts {
		nt += c
		tp += min(c, ps[k])
	}
	for _, c := range ps {
		np += c
	}
	fp, fn := np-tp, nt-tp
	out := PageScore{Exact: equalTokens(tt, pt)}
	total := float64(tp + fp + fn)
	if total > 0 {
		out.TP, out.FP, out.FN = float64(tp)/total, float64(fp)/total, float64(fn)/total
	}
	switch {
	case fp == 0 && fn == 0:
		out.Precision, out.Recall = 1, 1
	default:
		out.Precision = out.TP / (out.TP + out.FP)
		out.Recall = out.TP / (out.TP + out.FN)
	}
	return out
}

// Tokens splits s into word tokens as Python's \w+ does on str: runs of
// letters, numbers and the underscore (combining marks split words).
func Tokens(s string) []string {
	var out []string
	start := -1
	for i, r := range s {
		w := r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r)
		if r == utf8.RuneError {
			w = false
		}
		if w && start < 0 {
			start = i
		} else if !w && start >= 0 {
			out = append(out, s[start:i])
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}

func shingles(toks []string) map[string]int {
	m := make(map[string]int)
	if len(toks) == 0 {
		return m
	}
	const n = 4
	if len(toks) < n {
		m[strings.Join(toks, "\x00")]++
		return m
	}
	for i := 0; i+n <= len(toks); i++ {
		m[strings.Join(toks[i:i+n], "\x00")]++
	}
	return m
}

func equalTokens(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
