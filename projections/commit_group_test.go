package projections_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/paidan/paidan/projections"
)

// Batches committed at once share transactions, yet each is kept or lost
// whole on its own: a batch that fails (by its own error or a failing
// statement) leaves nothing behind and costs the others nothing.
func TestGroupCommitKeepsBatchesApart(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) *projections.Views) {
		v := open(t)
		ctx := context.Background()
		if err := projections.CommitInGroup(ctx, v, []string{
			`CREATE TABLE grouped (k TEXT PRIMARY KEY, n BIGINT NOT NULL)`,
			`INSERT INTO grouped (k, n) VALUES ('taken', 0)`,
		}, nil); err != nil {
			t.Fatalf("create the table: %v", err)
		}
		refused := errors.New("refused by the batch")
		const batches = 60
		errs := make([]error, batches)
		var wg sync.WaitGroup
		for i := range batches {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ins := func(k string) string { return fmt.Sprintf(`INSERT INTO grouped (k, n) VALUES ('%s', %d)`, k, i) }
				switch i % 3 {
				case 0: // kept: two rows
					errs[i] = projections.CommitInGroup(ctx, v, []string{ins(fmt.Sprintf("a%d", i)), ins(fmt.Sprintf("b%d", i))}, nil)
				case 1: // its own error after writing
					errs[i] = projections.CommitInGroup(ctx, v, []string{ins(fmt.Sprintf("a%d", i))}, refused)
				case 2: // a statement fails after one succeeded
					errs[i] = projections.CommitInGroup(ctx, v, []string{ins(fmt.Sprintf("a%d", i)), ins("taken")}, nil)
				}
			}()
		}
		wg.Wait()
		for i, err := range errs {
			switch i % 3 {
			case 0:
				if err != nil {
					t.Errorf("batch %d: %v", i, err)
				}
			case 1:
				if !errors.Is(err, refused) {
					t.Errorf("batch %d: expected its own error, found %v", i, err)
				}
			case 2:
				if err == nil {
					t.Errorf("batch %d: a duplicate key was committed", i)
				}
			}
		}
		rows, err := v.DB().QueryContext(ctx, `SELECT k, n FROM grouped`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		got := map[string]int{}
		for rows.Next() {
			var k string
			var n int
			if err := rows.Scan(&k, &n); err != nil {
				t.Fatal(err)
			}
			got[k] = n
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		want := map[string]int{"taken": 0}
		for i := 0; i < batches; i += 3 {
			want[fmt.Sprintf("a%d", i)], want[fmt.Sprintf("b%d", i)] = i, i
		}
		if len(got) != len(want) {
			t.Errorf("found %d rows, expected %d: %v", len(got), len(want), got)
		}
		for k, n := range want {
			if g, ok := got[k]; !ok || g != n {
				t.Errorf("row %s: found %d (present %v), expected %d", k, g, ok, n)
			}
		}
	})
}
