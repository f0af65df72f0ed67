// Package app handles commands (load a stream, let the domain decide, append
// with the revision read, retry on conflict) and runs the dispatcher process
// manager. It depends on the domain and on the event store port only.
package app
