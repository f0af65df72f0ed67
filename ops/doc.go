// Package ops holds configuration, metrics, logging and health checks, and
// (under deploy/) the files to run Paidan beside EventStoreDB and PostgreSQL.
package ops
