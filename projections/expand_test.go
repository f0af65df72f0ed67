package projections_test

import (
	"testing"

	"github.com/paidan/paidan/projections"
)

func TestQueryExpansion(t *testing.T) {
	tests := []struct {
		name, suffix string
		dialect      projections.Dialect
		in, want     string
	}{
		{"sqlite positional", "", projections.SQLite,
			`INSERT INTO {orders} (a, b) VALUES ($1, $2)`, `INSERT INTO orders (a, b) VALUES (?, ?)`},
		{"sqlite reused placeholder kept", "", projections.SQLite,
			`SELECT 1 FROM {t} WHERE a = $1 OR b = $1`, `SELECT 1 FROM t WHERE a = $1 OR b = $1`},
		{"sqlite out of order kept", "", projections.SQLite,
			`UPDATE {t} SET a = $2 WHERE k = $1`, `UPDATE t SET a = $2 WHERE k = $1`},
		{"sqlite quoted text kept", "", projections.SQLite,
			`SELECT '$1' FROM {t} WHERE a = $1`, `SELECT '$1' FROM t WHERE a = $1`},
		{"postgres keeps $N", "__r1", projections.Postgres,
			`INSERT INTO {orders} (a) VALUES ($1)`, `INSERT INTO orders__r1 (a) VALUES ($1)`},
		{"index names get the suffix", "__r9", projections.SQLite,
			`CREATE INDEX {q}_x ON {q} (a)`, `CREATE INDEX q__r9_x ON q__r9 (a)`},
		{"without rowid on sqlite", "", projections.SQLite,
			`CREATE TABLE {t} (k TEXT PRIMARY KEY)` + projections.WithoutRowID, `CREATE TABLE t (k TEXT PRIMARY KEY) WITHOUT ROWID`},
		{"without rowid dropped on postgres", "", projections.Postgres,
			`CREATE TABLE {t} (k TEXT PRIMARY KEY)` + projections.WithoutRowID, `CREATE TABLE t (k TEXT PRIMARY KEY)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := projections.Expand(tc.suffix, tc.dialect, tc.in); got != tc.want {
				t.Errorf("expand(%q) = %q, expected %q", tc.in, got, tc.want)
			}
		})
	}
}
