// Package simulate plays a district against Paidan: it registers a
// generated district's teams and drives residents placing orders and teams
// accepting, declining, ignoring (letting offers expire), completing and
// rating, with configurable probabilities and delays. It reaches Paidan
// through a Driver: over HTTP against a running server (HTTP), or in-process
// on the command handlers and the store (InProcess). The automatic
// dispatcher is the server's: the simulator only plays the people.
//
// Run drives a fixed number of orders and reports what became of each; with
// Config.Orders zero it runs until its context ends, which is the gentle
// demo load of `paidan serve --demo` (DemoConfig).
package simulate
