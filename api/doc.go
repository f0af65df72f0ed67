// Package api is Paidan's HTTP surface: the JSON API, sign-in and
// authorization, Server-Sent Events and the coordinator dashboard.
package api
