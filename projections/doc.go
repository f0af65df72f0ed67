// Package projections turns the global event log into read models: a watermill
// source over the store's $all subscription, a router of projection handlers
// with checkpoints, and the SQL tables coordinators, analysts and the
// dispatcher read.
package projections
