package projections

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Dump writes the rows of the named tables as text, one table after another
// ("# table" then one tab-separated line per row), rows sorted by every
// column, so two databases holding the same rows dump identically. Tests
// compare dumps with golden files; operators diff them.
func (v *Views) Dump(ctx context.Context, tables ...string) (string, error) {
	var b strings.Builder
	for _, t := range tables {
		if !validName.MatchString(t) {
			return "", fmt.Errorf("dump: table name %q: expected lowercase letters, digits and underscores", t)
		}
		rows, err := v.read.QueryContext(ctx, `SELECT * FROM `+t)
		if err != nil {
			return "", fmt.Errorf("dump %s: %w", t, err)
		}
		cols, err := rows.Columns()
		if err != nil {
			rows.Close()
			return "", err
		}
		var lines []string
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return "", fmt.Errorf("dump %s: %w", t, err)
			}
			f := make([]string, len(vals))
			for i, x := range vals {
				f[i] = formatValue(x)
			}
			lines = append(lines, strings.Join(f, "\t"))
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return "", fmt.Errorf("dump %s: %w", t, err)
		}
		sortStrings(lines)
		fmt.Fprintf(&b, "# %s (%s)\n", t, strings.Join(cols, ", "))
		for _, l := range lines {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return b.String(), nil
}

func formatValue(x any) string {
	switch v := x.(type) {
	case nil:
		return "NULL"
	case int64:
		return strconv.FormatInt(v, 10)
	case int32:
		return strconv.FormatInt(int64(v), 10)
	case float64:
		return strconv.FormatFloat(v, 'g', 12, 64)
	case bool:
		if v {
			return "1"
		}
		return "0"
	case []byte:
		return strconv.Quote(string(v))
	case string:
		return strconv.Quote(v)
	default:
		return fmt.Sprint(v)
	}
}

func sortStrings(s []string) { slices.Sort(s) }
