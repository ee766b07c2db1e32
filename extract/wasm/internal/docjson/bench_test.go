package docjson_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/riptide-go/riptide/extract"
	"github.com/riptide-go/riptide/extract/wasm/internal/docjson"
)

// BenchmarkAppendDocument compares AppendDocument, appending to a reused
// buffer, with json.Marshal and with the json.Encoder the guest used, on a
// document shaped like a news article's.
func BenchmarkAppendDocument(b *testing.B) {
	benchmarkEncoders(b, []*extract.Document{articleDocument()})
}

// BenchmarkCorpus is BenchmarkAppendDocument on the documents of the
// article benchmark (RIPTIDE_BENCH_DIR), one op per document.
func BenchmarkCorpus(b *testing.B) {
	docs := corpus(b)
	all := make([]*extract.Document, len(docs))
	for i, d := range docs {
		all[i] = d.doc
	}
	benchmarkEncoders(b, all)
}

func benchmarkEncoders(b *testing.B, docs []*extract.Document) {
	size := 0
	for _, d := range docs {
		size += len(docjson.AppendDocument(nil, d))
	}
	size /= len(docs)
	run := func(name string, encode func(*extract.Document)) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size))
			i := 0
			for b.Loop() {
				encode(docs[i%len(docs)])
				i++
			}
		})
	}
	var out []byte
	run("docjson", func(d *extract.Document) { out = docjson.AppendDocument(out[:0], d) })
	run("docjson-new", func(d *extract.Document) { out = docjson.AppendDocument(nil, d) })
	run("json.Marshal", func(d *extract.Document) {
		var err error
		if out, err = json.Marshal(d); err != nil {
			b.Fatal(err)
		}
	})
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	run("json.Encoder", func(d *extract.Document) {
		buf.Reset()
		if err := enc.Encode(d); err != nil {
			b.Fatal(err)
		}
	})
}

// articleDocument returns a document the size of a long news article:
// about 9 KB of text written three ways, 60 links, 8 images with srcsets,
// a table, two JSON-LD blocks and the usual meta tags.
func articleDocument() *extract.Document {
	var text, md, html strings.Builder
	for i := range 24 {
		p := fmt.Sprintf("Paragraph %d of the article says “something” about the café’s prices — "+
			"they rose 12%% in a year, \"more than expected\", said one owner (see the chart). ", i)
		p += strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit. ", 3)
		text.WriteString(p + "\n\n")
		md.WriteString(p + "[a link](https://example.com/p/" + fmt.Sprint(i) + ")\n\n")
		html.WriteString(`<p class="body">` + strings.ReplaceAll(p, "\"", "&quot;") + `<a href="https://example.com/p/` + fmt.Sprint(i) + `">a link</a></p>` + "\n")
	}
	d := &extract.Document{
		URL:                "https://news.example.com/2025/06/01/cafe-prices-rise?utm_source=feed",
		CanonicalURL:       "https://news.example.com/2025/06/01/cafe-prices-rise",
		Title:              "Café prices rise faster than expected, owners say",
		Authors:            []string{"Jane Doe", "Ana Pérez"},
		Published:          "2025-06-01T08:30:00Z",
		Modified:           "2025-06-01T12:00:00Z",
		SiteName:           "Example News",
		Description:        "Owners blame rent and beans; customers are \"not amused\".",
		Language:           "en",
		Categories:         []string{"Business", "Food"},
		Tags:               []string{"coffee", "prices", "inflation"},
		Favicon:            "https://news.example.com/favicon.ico",
		LeadImage:          "https://cdn.example.com/img/lead-1200.jpg",
		Markdown:           md.String(),
		Text:               text.String(),
		HTML:               html.String(),
		WordCount:          1530,
		ReadingTimeSeconds: 390,
		Quality: extract.Quality{Score: 87, Parts: map[string]int{
			"length": 30, "density": 25, "structure": 15, "metadata": 12, "boilerplate": 5,
		}},
		Schema: []json.RawMessage{
			json.RawMessage("{\n  \"@context\": \"https://schema.org\",\n  \"@type\": \"NewsArticle\",\n  \"headline\": \"Café prices rise faster than expected\",\n  \"datePublished\": \"2025-06-01T08:30:00Z\",\n  \"author\": [{\"@type\": \"Person\", \"name\": \"Jane Doe\"}],\n  \"image\": [\"https://cdn.example.com/img/lead-1200.jpg\"]\n}"),
			json.RawMessage(`{"@context":"https://schema.org","@type":"BreadcrumbList","itemListElement":[{"@type":"ListItem","position":1,"name":"Business","item":"https://news.example.com/business"}]}`),
		},
		OpenGraph: map[string]string{
			"title": "Café prices rise", "type": "article", "url": "https://news.example.com/2025/06/01/cafe-prices-rise",
			"image": "https://cdn.example.com/img/lead-1200.jpg", "image:width": "1200", "image:height": "630",
			"site_name": "Example News", "description": "Owners blame rent and beans.",
		},
		Twitter: map[string]string{"card": "summary_large_image", "site": "@examplenews", "creator": "@janedoe", "title": "Café prices rise"},
		Robots:  []string{"index", "follow", "max-image-preview:large"},
		Meta: extract.Metadata{
			Engine: "native", Version: "0.9.0", Duration: 3*time.Millisecond + 417*time.Microsecond, NodesVisited: 2841,
			Warnings: []string{"2 scripts with invalid JSON-LD skipped"},
		},
	}
	for i := range 60 {
		d.Links = append(d.Links, extract.Link{
			URL:       fmt.Sprintf("https://news.example.com/section/%d/story-%d", i%7, i),
			Text:      fmt.Sprintf("Related story number %d", i),
			External:  i%5 == 0,
			InContent: i%3 == 0,
			NoFollow:  i%11 == 0,
		})
	}
	for i := range 8 {
		m := extract.Media{
			Kind: extract.MediaImage, URL: fmt.Sprintf("https://cdn.example.com/img/%d-1200.jpg", i),
			Alt: "A café counter with a price list", Caption: "Prices at a café in June. Photo: J. Doe",
			Width: 1200, Height: 800,
		}
		for _, w := range []int{480, 800, 1200} {
			m.Srcset = append(m.Srcset, extract.SrcsetCandidate{URL: fmt.Sprintf("https://cdn.example.com/img/%d-%d.jpg", i, w), Width: w})
		}
		m.Srcset = append(m.Srcset, extract.SrcsetCandidate{URL: fmt.Sprintf("https://cdn.example.com/img/%d@2x.jpg", i), Density: 2})
		d.Media = append(d.Media, m)
	}
	table := extract.Table{Caption: "Price of an espresso", HeaderRows: 1, Rows: [][]string{{"City", "2024", "2025", "Change"}}}
	for i := range 10 {
		table.Rows = append(table.Rows, []string{fmt.Sprintf("City %d", i), "€1.20", "€1.35", "+12.5%"})
	}
	d.Tables = []extract.Table{table}
	return d
}

func TestArticleDocument(t *testing.T) { checkSame(t, articleDocument()) }
