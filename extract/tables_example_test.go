package extract_test

import (
	"fmt"

	"github.com/riptide-go/riptide/extract"
)

func ExampleTable_CSV() {
	t := extract.Table{
		HeaderRows: 1,
		Rows: [][]string{
			{"City", "Population"},
			{"Zürich", "421,878"},
			{`"Big" Apple`, "8,258,035"},
		},
	}
	fmt.Print(t.CSV())
	// Output:
	// City,Population
	// Zürich,"421,878"
	// """Big"" Apple","8,258,035"
}

func ExampleTable_Markdown() {
	t := extract.Table{
		Caption:    "Release dates",
		HeaderRows: 1,
		Rows: [][]string{
			{"Version", "Date"},
			{"1.0", "2024-01-02"},
			{"2.0 | beta", "2025-06-30"},
		},
	}
	fmt.Print(t.Markdown())
	// Output:
	// _Release dates_
	//
	// | Version | Date |
	// | --- | --- |
	// | 1.0 | 2024-01-02 |
	// | 2.0 \| beta | 2025-06-30 |
}
