// Package pegasus names the Pegasus server versions whose handling of the
// logs differs. Every layer that models a server's behaviour imports it:
// replay, gc, migrate, serversim and the command line.
package pegasus

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a Pegasus server version whose handling of the logs differs.
type Version string

const (
	V23 Version = "2.3" // slog is the WAL; slog/plog max-decree consistency check
	V24 Version = "2.4" // plog is the WAL; slog replayed read-only
	V25 Version = "2.5" // as 2.4 for replay (2.5 changes slog GC)
	V26 Version = "2.6" // no slog code: slog files are ignored
)

// ParseVersion accepts 2.3 to 2.6, as written in a release name too: a
// leading "v" and a patch level are allowed ("2.6.0", "v2.4.1"); nothing
// waltool models changes within a minor version.
func ParseVersion(s string) (Version, error) {
	t := strings.TrimPrefix(strings.TrimSpace(s), "v")
	if parts := strings.Split(t, "."); len(parts) == 3 {
		if _, err := strconv.ParseUint(parts[2], 10, 32); err == nil {
			t = parts[0] + "." + parts[1]
		}
	}
	switch v := Version(t); v {
	case V23, V24, V25, V26:
		return v, nil
	}
	return "", fmt.Errorf("server version %q: want 2.3, 2.4, 2.5 or 2.6 (a patch level such as 2.6.0 is fine)", s)
}
