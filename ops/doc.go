// Package ops is what each waltool command does, as a Go call: one request
// type and one report type per command, the guards a write passes first
// (the root's lock, no process holding the root, what Pegasus would
// refuse), the precedence of the server's config over the code defaults
// and of flags over both, and the migrate run (apply, reopen, prove, roll
// back or finish), once for the upgrade and the downgrade.
//
// A report prints itself for people (WriteText) and as the machine
// contract's document (Doc, package schema); the error an operation
// returns is its verdict, which ExitStatus maps to the process's exit
// status. cmd/waltool turns flags into requests, and reports and errors
// into output and exit statuses: nothing else. Tests call ops directly.
package ops
