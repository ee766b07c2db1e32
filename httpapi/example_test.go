package httpapi_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/riptide-go/riptide"
	"github.com/riptide-go/riptide/httpapi"
	"github.com/riptide-go/riptide/riptidetest"
	"github.com/riptide-go/riptide/stream"
)

// The API mounted under /riptide/ in a host's own mux, next to the host's
// routes.
func ExampleNew() {
	site := riptidetest.NewSite() // a local demo site on 127.0.0.1
	defer site.Close()
	c, err := riptide.New(riptide.AllowPrivateNetworks())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "host home") })
	mux.Handle("/riptide/", http.StripPrefix("/riptide", httpapi.New(c, httpapi.Options{})))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, err := http.Post(srv.URL+"/riptide/extract", "application/json",
		strings.NewReader(`{"url": "`+site.URL("/articles/rip-currents.html")+`"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	var res riptide.Result
	err = json.NewDecoder(resp.Body).Decode(&res)
	resp.Body.Close()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.StatusCode, res.Document.Title)

	resp, err = http.Post(srv.URL+"/riptide/crawl", "application/json",
		strings.NewReader(`{"urls": ["`+site.URL("/about.html")+`", "`+site.URL("/broken")+`"], "order": "input"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 4<<20)
	for sc.Scan() { // one event per line
		var ev stream.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			fmt.Println(err)
			return
		}
		if ev.Type == stream.TypeError {
			fmt.Println(ev.Type, ev.Error.Code)
			continue
		}
		fmt.Println(ev.Type)
	}

	resp, err = http.Post(srv.URL+"/riptide/crawl", "application/json", strings.NewReader(`{"urls": []}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	var apiErr struct {
		Error httpapi.Error `json:"error"`
	}
	err = json.NewDecoder(resp.Body).Decode(&apiErr)
	resp.Body.Close()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.StatusCode, apiErr.Error.ErrorType, apiErr.Error.Code)
	// Output:
	// 200 How rip currents form, and how to escape one
	// start
	// result
	// error http_status_500
	// summary
	// 400 validation missing_field
}
