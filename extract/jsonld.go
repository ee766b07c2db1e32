package extract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Bounds on structured data, so hostile pages cost bounded work.
const (
	maxSchemaBlocks  = 64      // JSON-LD script blocks read
	maxSchemaObjects = 256     // objects kept in Document.Schema
	maxSchemaBytes   = 1 << 20 // size of one JSON-LD block
	maxSchemaDepth   = 24      // nesting followed when reading fields
)

// schemaObj is one decoded schema.org object (JSON-LD or microdata).
type schemaObj = map[string]any

// readJSONLD decodes one JSON-LD block. It appends the block's top-level
// objects (arrays and @graph flattened) to raws (compact JSON) and objs
// (decoded), and returns an error for invalid JSON.
func readJSONLD(src string, raws []json.RawMessage, objs []schemaObj) ([]json.RawMessage, []schemaObj, error) {
	src = strings.TrimSpace(validUTF8(src))
	// Some CMSs wrap the JSON in HTML comments or CDATA markers.
	for _, p := range [][2]string{{"<!--", "-->"}, {"<![CDATA[", "]]>"}, {"/*<![CDATA[*/", "/*]]>*/"}} {
		if strings.HasPrefix(src, p[0]) && strings.HasSuffix(src, p[1]) {
			src = strings.TrimSpace(src[len(p[0]) : len(src)-len(p[1])])
		}
	}
	if src == "" {
		return raws, objs, nil
	}
	if len(src) > maxSchemaBytes {
		return raws, objs, fmt.Errorf("block of %d bytes exceeds %d", len(src), maxSchemaBytes)
	}
	var top json.RawMessage
	if err := json.Unmarshal([]byte(src), &top); err != nil {
		return raws, objs, err
	}
	var add func(raw json.RawMessage, depth int)
	add = func(raw json.RawMessage, depth int) {
		if len(objs) >= maxSchemaObjects || depth > 2 {
			return
		}
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 {
			return
		}
		switch raw[0] {
		case '[':
			var items []json.RawMessage
			if json.Unmarshal(raw, &items) == nil {
				for _, it := range items {
					add(it, depth+1)
				}
			}
		case '{':
			var obj schemaObj
			if json.Unmarshal(raw, &obj) != nil {
				return
			}
			if _, ok := obj["@graph"]; ok {
				var probe struct {
					Graph []json.RawMessage `json:"@graph"`
				}
				if json.Unmarshal(raw, &probe) == nil {
					for _, it := range probe.Graph {
						add(it, depth+1)
					}
				}
				if _, typed := obj["@type"]; !typed {
					return
				}
			}
			var buf bytes.Buffer
			if json.Compact(&buf, raw) == nil {
				raws = append(raws, json.RawMessage(buf.Bytes()))
				objs = append(objs, obj)
			}
		}
	}
	add(top, 0)
	return raws, objs, nil
}

// schemaTypes returns the @type values of o (string or array), without a
// schema.org prefix.
func schemaTypes(o schemaObj) []string {
	var out []string
	switch t := o["@type"].(type) {
	case string:
		out = append(out, trimSchemaPrefix(t))
	case []any:
		for _, v := range t {
			if s, ok := v.(string); ok {
				out = append(out, trimSchemaPrefix(s))
			}
		}
	}
	return out
}

func trimSchemaPrefix(t string) string {
	for _, p := range []string{"http://schema.org/", "https://schema.org/", "schema:"} {
		if strings.HasPrefix(t, p) {
			return t[len(p):]
		}
	}
	return t
}

// schemaRank orders objects by how likely they describe the page's main
// content: 3 for articles and posts, 2 for other creative works, 1 for
// web pages, 0 for the rest (organisations, breadcrumbs...).
func schemaRank(o schemaObj) int {
	r := 0
	for _, t := range schemaTypes(o) {
		switch {
		case strings.HasSuffix(t, "Article") || strings.HasSuffix(t, "Posting") ||
			t == "Report" || t == "Review" || t == "Recipe" || t == "Dataset":
			r = max(r, 3)
		case t == "VideoObject" || t == "Book" || t == "Course" || t == "Event" ||
			t == "Product" || t == "HowTo" || t == "CreativeWork" || t == "Movie" ||
			t == "PodcastEpisode" || t == "Question":
			r = max(r, 2)
		case strings.HasSuffix(t, "Page"):
			r = max(r, 1)
		}
	}
	return r
}

// schemaHasType reports whether o has one of the given types.
func schemaHasType(o schemaObj, types ...string) bool {
	for _, t := range schemaTypes(o) {
		for _, w := range types {
			if t == w {
				return true
			}
		}
	}
	return false
}

// metaFields is what one metadata source says about the page. Sources are
// merged field by field in priority order.
type metaFields struct {
	title       string
	authors     []string
	published   string
	modified    string
	siteName    string
	description string
	language    string
	image       string
	canonical   string
	categories  []string
	tags        []string
}

// schemaFields reads the page fields from schema.org objects: the best
// ranked object first, others filling what it lacks. ids resolves
// {"@id": ...} references (as in @graph documents).
func schemaFields(objs []schemaObj) metaFields {
	var f metaFields
	if len(objs) == 0 {
		return f
	}
	ids := make(map[string]schemaObj)
	for _, o := range objs {
		if id, ok := o["@id"].(string); ok && len(o) > 1 {
			if _, dup := ids[id]; !dup {
				ids[id] = o
			}
		}
	}
	// Candidates: every object plus mainEntity objects, best rank first
	// (stable, so page order breaks ties).
	cands := make([]schemaObj, 0, len(objs)+2)
	for _, o := range objs {
		cands = append(cands, o)
		if me, ok := deref(o["mainEntity"], ids).(schemaObj); ok {
			cands = append(cands, me)
		}
		// Posts nested in a page or blog (microdata WebPage > blogPost)
		// count as candidates too; other nested works (a review's
		// itemReviewed, a page's about) describe something else.
		for _, k := range [...]string{"blogPost", "blogPosts", "hasPart"} {
			if len(cands) > 4*maxSchemaObjects {
				break
			}
			switch t := o[k].(type) {
			case schemaObj:
				if schemaRank(t) >= 2 {
					cands = append(cands, t)
				}
			case []any:
				for i, e := range t {
					if e, ok := e.(schemaObj); ok && i < 8 && schemaRank(e) >= 2 {
						cands = append(cands, e)
					}
				}
			}
		}
	}
	for rank := 3; rank >= 0; rank-- {
		for _, o := range cands {
			if schemaRank(o) != rank {
				continue
			}
			if schemaHasType(o, "BreadcrumbList", "ListItem", "SearchAction", "ImageObject", "Person", "Organization", "WebSite", "SiteNavigationElement") {
				continue
			}
			fillFromSchema(&f, o, ids, rank)
		}
	}
	// Site name from the publisher, else a WebSite or Organization.
	if f.siteName == "" {
		for _, o := range objs {
			if schemaHasType(o, "WebSite") {
				if f.siteName = schemaText(o["name"], ids); f.siteName != "" {
					break
				}
			}
		}
	}
	if f.siteName == "" {
		for _, o := range objs {
			if schemaHasType(o, "Organization", "NewsMediaOrganization") {
				if f.siteName = schemaText(o["name"], ids); f.siteName != "" {
					break
				}
			}
		}
	}
	return f
}

func fillFromSchema(f *metaFields, o schemaObj, ids map[string]schemaObj, rank int) {
	if f.title == "" {
		f.title = schemaText(o["headline"], ids)
		if f.title == "" && rank >= 2 {
			f.title = schemaText(o["name"], ids)
		}
	}
	if len(f.authors) == 0 {
		f.authors = schemaNames(o["author"], ids, 0)
		if len(f.authors) == 0 {
			f.authors = schemaNames(o["creator"], ids, 0)
		}
	}
	if f.published == "" {
		for _, k := range []string{"datePublished", "dateCreated", "uploadDate", "startDate"} {
			if f.published = schemaDate(o[k]); f.published != "" {
				break
			}
		}
	}
	if f.modified == "" {
		f.modified = schemaDate(o["dateModified"])
	}
	if f.siteName == "" {
		f.siteName = firstOf(schemaNames(o["publisher"], ids, 0))
		if f.siteName == "" {
			if ip, ok := deref(o["isPartOf"], ids).(schemaObj); ok && schemaHasType(ip, "WebSite", "Periodical", "PublicationIssue") {
				f.siteName = schemaText(ip["name"], ids)
			}
		}
	}
	if f.description == "" {
		f.description = schemaText(o["description"], ids)
	}
	if f.language == "" {
		switch v := deref(o["inLanguage"], ids).(type) {
		case string:
			f.language = v
		case schemaObj:
			f.language = schemaText(v["alternateName"], ids)
			if f.language == "" {
				f.language = schemaText(v["name"], ids)
			}
		}
	}
	if f.image == "" {
		f.image = schemaURL(o["image"], ids, 0)
		if f.image == "" {
			f.image = schemaURL(o["thumbnailUrl"], ids, 0)
		}
	}
	if f.canonical == "" && rank >= 1 {
		if u, ok := o["url"].(string); ok {
			f.canonical = u
		}
	}
	if len(f.categories) == 0 {
		f.categories = schemaList(o["articleSection"], ids)
	}
	if len(f.tags) == 0 {
		f.tags = schemaList(o["keywords"], ids)
	}
}

// deref follows an {"@id": x} reference to the full object, if known.
func deref(v any, ids map[string]schemaObj) any {
	if o, ok := v.(schemaObj); ok && len(o) == 1 {
		if id, ok := o["@id"].(string); ok {
			if full, ok := ids[id]; ok {
				return full
			}
		}
	}
	return v
}

// schemaText returns a string value (a plain string, a number, the first
// string of an array, or an object's @value).
func schemaText(v any, ids map[string]schemaObj) string {
	switch t := deref(v, ids).(type) {
	case string:
		return cleanText(t)
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case []any:
		for _, e := range t {
			if s := schemaText(e, nil); s != "" {
				return s
			}
		}
	case schemaObj:
		if s, ok := t["@value"].(string); ok {
			return cleanText(s)
		}
	}
	return ""
}

// schemaNames returns names from a Person/Organization value: a string, an
// object with name (or givenName/familyName), or an array of these.
func schemaNames(v any, ids map[string]schemaObj, depth int) []string {
	if depth > maxSchemaDepth {
		return nil
	}
	switch t := deref(v, ids).(type) {
	case string:
		s := cleanText(t)
		if s == "" || looksLikeURL(s) {
			return nil
		}
		return []string{s}
	case []any:
		var out []string
		for i, e := range t {
			if i >= 32 {
				break
			}
			out = append(out, schemaNames(e, ids, depth+1)...)
		}
		return out
	case schemaObj:
		name := schemaText(t["name"], ids)
		if name == "" {
			name = collapseWS(schemaText(t["givenName"], ids) + " " + schemaText(t["familyName"], ids))
		}
		if name == "" || looksLikeURL(name) {
			return nil
		}
		return []string{name}
	}
	return nil
}

// schemaDate returns a normalised date from a string or Unix timestamp.
func schemaDate(v any) string {
	switch t := v.(type) {
	case string:
		return parseDate(t)
	case float64:
		if t > 0 && t < 1e14 {
			return unixDate(int64(t))
		}
	case []any:
		if len(t) > 0 {
			return schemaDate(t[0])
		}
	}
	return ""
}

// schemaURL returns a URL from a string, an ImageObject ({url} or
// {contentUrl}) or an array of these (the first).
func schemaURL(v any, ids map[string]schemaObj, depth int) string {
	if depth > maxSchemaDepth {
		return ""
	}
	switch t := deref(v, ids).(type) {
	case string:
		return strings.TrimSpace(t)
	case []any:
		for _, e := range t {
			if s := schemaURL(e, ids, depth+1); s != "" {
				return s
			}
		}
	case schemaObj:
		for _, k := range []string{"url", "contentUrl", "@id"} {
			if s, ok := t[k].(string); ok && strings.TrimSpace(s) != "" {
				return strings.TrimSpace(s)
			}
		}
	}
	return ""
}

// schemaList returns the items of a comma-separated string or an array of
// strings.
func schemaList(v any, ids map[string]schemaObj) []string {
	switch t := deref(v, ids).(type) {
	case string:
		return splitList(t)
	case []any:
		var out []string
		for i, e := range t {
			if i >= 64 {
				break
			}
			if s := schemaText(e, ids); s != "" {
				out = append(out, splitList(s)...)
			}
		}
		return out
	}
	return nil
}

// splitList splits a keyword list on commas (or semicolons when there is
// no comma), collapsing white space and dropping empty items.
func splitList(s string) []string {
	sep := ","
	if !strings.Contains(s, ",") {
		if !strings.Contains(s, ";") {
			if s = cleanText(s); s == "" {
				return nil
			}
			return []string{s}
		}
		sep = ";"
	}
	var out []string
	for _, p := range strings.Split(s, sep) {
		if p = cleanText(p); p != "" {
			out = append(out, p)
		}
		if len(out) >= 64 {
			break
		}
	}
	return out
}

func firstOf(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// looksLikeURL reports whether s is a URL rather than a name.
func looksLikeURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") ||
		strings.HasPrefix(s, "//") || strings.HasPrefix(s, "www.")
}
