package projections

import (
	"context"
	"errors"
	"fmt"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// sqliteWriter writes a rebuild's new rows into its fresh SQLite tables,
// and indexes them, on a connection of its own that calls SQLite's C API
// (modernc's translation of it) directly. Through database/sql and the
// driver, binding the values cost about as much as SQLite's own work of
// inserting them: every parameter went through two conversions, a lookup
// of its name, and a C allocation of its own for every text. Here a
// statement's texts are copied into one reused C buffer and bound in
// place.
//
// It takes SQLite's write lock only inside its own short transactions, as
// the views' writer does: other writers (a live pipeline) wait for it the
// way they wait for each other. Rows stored earlier and changed since are
// still upserted through Tx, after this connection committed, never while
// it holds the lock.
type sqliteWriter struct {
	tls   *libc.TLS
	db    uintptr
	names *names
	stmts map[string]uintptr // prepared, by SQL text as given
	// buf holds the texts bound to the statement being run.
	buf    uintptr
	bufCap int
}

var _ rowInserter = (*sqliteWriter)(nil)

// openSQLiteWriter opens the file of v's main database with the settings of
// v's writer that matter for writing: the same busy timeout, commits that
// do not sync (synchronous NORMAL in WAL mode) and never checkpoint (the
// views' background checkpointer does), and as much page cache.
func openSQLiteWriter(ctx context.Context, v *Views, nm *names) (*sqliteWriter, error) {
	path, err := mainFile(ctx, v)
	if err != nil {
		return nil, err
	}
	w := &sqliteWriter{tls: libc.NewTLS(), names: nm, stmts: map[string]uintptr{}}
	pdb := libc.Xmalloc(w.tls, libc.Tsize_t(unsafe.Sizeof(uintptr(0))))
	name, err := libc.CString(path)
	if pdb == 0 || err != nil {
		libc.Xfree(w.tls, pdb)
		w.tls.Close()
		return nil, errors.New("open the rebuild's writer: out of memory")
	}
	rc := sqlite3.Xsqlite3_open_v2(w.tls, name, pdb, sqlite3.SQLITE_OPEN_READWRITE|sqlite3.SQLITE_OPEN_NOMUTEX, 0)
	w.db = *(*uintptr)(cptr(pdb))
	libc.Xfree(w.tls, name)
	libc.Xfree(w.tls, pdb)
	if rc != sqlite3.SQLITE_OK {
		err := w.errorf(rc, "open the rebuild's writer on %s", path)
		w.close()
		return nil, err
	}
	if err := w.exec(`PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL;
		PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 0`); err != nil {
		w.close()
		return nil, err
	}
	return w, nil
}

// mainFile is the path of the file v's writer has open as its main
// database.
func mainFile(ctx context.Context, v *Views) (string, error) {
	rows, err := v.write.QueryContext(ctx, `PRAGMA database_list`)
	if err != nil {
		return "", fmt.Errorf("find the views' file: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq int
		var name, file string
		if err := rows.Scan(&seq, &name, &file); err != nil {
			return "", fmt.Errorf("find the views' file: %w", err)
		}
		if name == "main" && file != "" {
			return file, nil
		}
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("find the views' file: %w", err)
	}
	return "", errNoFile
}

// errNoFile: the views live in memory; the rebuild then writes through
// the views' writer.
var errNoFile = errors.New("find the views' file: the writer has no main database file")

func (w *sqliteWriter) begin() error { return w.exec("BEGIN IMMEDIATE") }

func (w *sqliteWriter) commit() error { return w.exec("COMMIT") }

// rollback ends a transaction that failed; SQLite may have ended it already.
func (w *sqliteWriter) rollback() {
	if sqlite3.Xsqlite3_get_autocommit(w.tls, w.db) == 0 {
		_ = w.exec("ROLLBACK")
	}
}

func (w *sqliteWriter) exec(q string) error {
	z, err := libc.CString(q)
	if err != nil {
		return errors.New("out of memory")
	}
	defer libc.Xfree(w.tls, z)
	if rc := sqlite3.Xsqlite3_exec(w.tls, w.db, z, 0, 0, 0); rc != sqlite3.SQLITE_OK {
		return w.errorf(rc, "%s", q)
	}
	return nil
}

// insertRows runs a multi-row INSERT of the rebuild, naming tables as
// {name}, with args bound in order.
func (w *sqliteWriter) insertRows(_ context.Context, q string, args []any) error {
	st, err := w.prepared(q)
	if err != nil {
		return err
	}
	defer sqlite3.Xsqlite3_reset(w.tls, st)
	if err := w.bind(st, args); err != nil {
		return fmt.Errorf("%s: %w", truncated(q), err)
	}
	if rc := sqlite3.Xsqlite3_step(w.tls, st); rc != sqlite3.SQLITE_DONE {
		return w.errorf(rc, "%s", truncated(q))
	}
	return nil
}

func (w *sqliteWriter) prepared(q string) (uintptr, error) {
	if st, ok := w.stmts[q]; ok {
		return st, nil
	}
	z, err := libc.CString(w.names.expand(q))
	if err != nil {
		return 0, errors.New("out of memory")
	}
	defer libc.Xfree(w.tls, z)
	pst := libc.Xmalloc(w.tls, libc.Tsize_t(unsafe.Sizeof(uintptr(0))))
	if pst == 0 {
		return 0, errors.New("out of memory")
	}
	defer libc.Xfree(w.tls, pst)
	if rc := sqlite3.Xsqlite3_prepare_v2(w.tls, w.db, z, -1, pst, 0); rc != sqlite3.SQLITE_OK {
		return 0, w.errorf(rc, "prepare %s", truncated(q))
	}
	st := *(*uintptr)(cptr(pst))
	w.stmts[q] = st
	return st, nil
}

// bind binds args to st's parameters 1…len(args). Texts and blobs are
// copied into w.buf, which stays untouched until the statement has run
// (SQLite reads bound SQLITE_STATIC values in place).
func (w *sqliteWriter) bind(st uintptr, args []any) error {
	if n := int(sqlite3.Xsqlite3_bind_parameter_count(w.tls, st)); n != len(args) {
		return fmt.Errorf("the statement has %d parameters, got %d values", n, len(args))
	}
	size := 0
	for _, a := range args {
		switch v := a.(type) {
		case string:
			size += len(v)
		case []byte:
			size += len(v)
		}
	}
	if size > w.bufCap {
		libc.Xfree(w.tls, w.buf)
		w.bufCap = max(size, 2*w.bufCap, 64<<10)
		if w.buf = libc.Xmalloc(w.tls, libc.Tsize_t(w.bufCap)); w.buf == 0 {
			w.bufCap = 0
			return errors.New("out of memory")
		}
	}
	var buf []byte
	if w.bufCap > 0 {
		buf = unsafe.Slice((*byte)(cptr(w.buf)), w.bufCap)
	}
	off := 0
	for i, a := range args {
		p := int32(i + 1)
		var rc int32
		switch v := a.(type) {
		case nil:
			rc = sqlite3.Xsqlite3_bind_null(w.tls, st, p)
		case int64:
			rc = sqlite3.Xsqlite3_bind_int64(w.tls, st, p, v)
		case int:
			rc = sqlite3.Xsqlite3_bind_int64(w.tls, st, p, int64(v))
		case float64:
			rc = sqlite3.Xsqlite3_bind_double(w.tls, st, p, v)
		case bool:
			var b int64
			if v {
				b = 1
			}
			rc = sqlite3.Xsqlite3_bind_int64(w.tls, st, p, b)
		case string:
			copy(buf[off:], v)
			rc = sqlite3.Xsqlite3_bind_text(w.tls, st, p, w.buf+uintptr(off), int32(len(v)), 0)
			off += len(v)
		case []byte:
			if v == nil {
				rc = sqlite3.Xsqlite3_bind_null(w.tls, st, p)
				break
			}
			copy(buf[off:], v)
			rc = sqlite3.Xsqlite3_bind_blob(w.tls, st, p, w.buf+uintptr(off), int32(len(v)), 0)
			off += len(v)
		default:
			return fmt.Errorf("value %d is a %T, which the rebuild's writer does not bind", i+1, a)
		}
		if rc != sqlite3.SQLITE_OK {
			return w.errorf(rc, "bind value %d", i+1)
		}
	}
	return nil
}

// createIndexes runs the rebuild's CREATE INDEX statements in one
// transaction; the tables' pages are still in this connection's cache.
func (w *sqliteWriter) createIndexes(indexes []string) error {
	if err := w.begin(); err != nil {
		return err
	}
	for _, q := range indexes {
		if err := w.exec(q); err != nil {
			w.rollback()
			return err
		}
	}
	if err := w.commit(); err != nil {
		w.rollback()
		return err
	}
	return nil
}

// errorf describes a failed call by the connection's last error message.
func (w *sqliteWriter) errorf(rc int32, format string, args ...any) error {
	msg := libc.GoString(sqlite3.Xsqlite3_errstr(w.tls, rc))
	if w.db != 0 {
		msg = libc.GoString(sqlite3.Xsqlite3_errmsg(w.tls, w.db))
	}
	return fmt.Errorf("%s: %s (sqlite %d)", fmt.Sprintf(format, args...), msg, rc)
}

// close ends any open transaction and releases the connection.
func (w *sqliteWriter) close() {
	if w.db != 0 {
		w.rollback()
		for _, st := range w.stmts {
			sqlite3.Xsqlite3_finalize(w.tls, st)
		}
		sqlite3.Xsqlite3_close_v2(w.tls, w.db)
		w.db = 0
	}
	w.stmts = nil
	libc.Xfree(w.tls, w.buf)
	w.buf, w.bufCap = 0, 0
	w.tls.Close()
}

// truncated shortens a statement of thousands of placeholders for an error.
func truncated(q string) string {
	if len(q) > 120 {
		return q[:120] + "…"
	}
	return q
}

// cptr turns an address in libc's heap, outside Go's, into a pointer to
// read or write through. It reinterprets the variable rather than
// converting the integer, a conversion go vet rightly flags for Go memory;
// the collector ignores pointers outside its heap.
func cptr(p uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&p)) }
