package projections

import "context"

// FastDecodes reports whether the fast decoder read a payload itself rather
// than falling back to the domain codec.
func FastDecodes(typ string, data []byte) bool {
	_, ok := fastDecode(typ, data)
	return ok
}

// Expand shows how a query is rewritten for a table suffix and a dialect.
func Expand(suffix string, d Dialect, q string) string { return newNames(suffix, d).expand(q) }

// CommitInGroup runs stmts, then returns fail, as one batch of the views'
// group commit.
func CommitInGroup(ctx context.Context, v *Views, stmts []string, fail error) error {
	return v.group.commit(ctx, newNames("", v.dialect), func(tx *Tx) error {
		for _, q := range stmts {
			if err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		return fail
	})
}
