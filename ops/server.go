package ops

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/gc"
	"github.com/waltool/waltool/serverconfig"
	"github.com/waltool/waltool/vfs"
)

// Settings are how an operator names a replica server's dirs: its
// config.ini with the server's -cargs, and the values of its
// [replication] slog_dir and data_dirs, with their meaning, over the
// config's. Read once (Open), they travel as one value to dataroot.
type Settings struct {
	Config   string // the server's config.ini; "" for none
	Cargs    string // the server's -cargs: k1=v1;k2=v2
	SlogDir  string // [replication] slog_dir: the slog is <SlogDir>/replica/slog
	DataDirs string // [replication] data_dirs: tag:/path,...
	// NoSlog states that the server has no slog (it never ran <= 2.5).
	NoSlog bool
}

// Server is Settings read: the config parsed once, the dirs it places.
type Server struct {
	Settings
	conf *serverconfig.Config // nil without a config
	root string               // the config's [core] data_dir
	dirs dataroot.ServerSettings
}

// Open reads s's config, if any, through fsys.
func (s Settings) Open(fsys vfs.FS) (*Server, error) {
	srv := &Server{Settings: s}
	if s.Config != "" {
		b, err := vfs.ReadFile(fsys, s.Config, 16<<20)
		if err != nil {
			return nil, fmt.Errorf("--config: %w", err)
		}
		if srv.conf, err = serverconfig.Parse(s.Config, b, s.Cargs); err != nil {
			return nil, fmt.Errorf("--config: %w", err)
		}
		if srv.root, srv.dirs, err = dataroot.SettingsFromConfig(srv.conf); err != nil {
			return nil, fmt.Errorf("--config: %w", err)
		}
	}
	if s.SlogDir != "" {
		srv.dirs.SlogDir = dataroot.Setting{Value: s.SlogDir, From: dataroot.FromFlag, Detail: "--slog-dir"}
	}
	if s.DataDirs != "" {
		srv.dirs.DataDirs = dataroot.Setting{Value: s.DataDirs, From: dataroot.FromFlag, Detail: "--data-dirs"}
	}
	return srv, nil
}

// NamesDirs reports whether the operator named the dirs at all (a config,
// a slog dir, data dirs): a resume or rollback then checks them against
// the run's.
func (s *Server) NamesDirs() bool { return s.Config != "" || s.SlogDir != "" || s.DataDirs != "" }

// Paths are the PATH arguments, or with none and a config, the [core]
// data_dir it names.
func (s *Server) Paths(args []string) []string {
	if len(args) > 0 || s.conf == nil {
		return args
	}
	return []string{s.root}
}

// OnePath is the single PATH of a command that takes one ("ROOT").
func (s *Server) OnePath(args []string, what string) (string, error) {
	paths := s.Paths(args)
	if len(paths) != 1 {
		return "", Usage("takes one %s (or --config), got %d arguments", what, len(paths))
	}
	return paths[0], nil
}

// Resolve says what a PATH names (dataroot.Resolve), read through fsys. A
// PATH given with a config stands for its [core] data_dir.
func (s *Server) Resolve(fsys vfs.FS, path string) (*dataroot.Target, error) {
	dirs := s.dirs
	if s.conf != nil && path != s.root {
		dirs.RootFrom = dataroot.Setting{Value: path, From: dataroot.FromPath, Detail: "ROOT"}
	} else if s.conf != nil {
		dirs.RootFrom.Value = path
	}
	return dataroot.Resolve(fsys, path, dataroot.Options{Server: dirs, NoSlog: s.NoSlog})
}

// Files resolves the single PATH of a command (or the config's root) and
// lists its log files.
func (s *Server) Files(fsys vfs.FS, args []string) (*dataroot.Target, []format.LogFile, error) {
	p, err := s.OnePath(args, "PATH")
	if err != nil {
		return nil, nil, err
	}
	t, err := s.Resolve(fsys, p)
	if err != nil {
		return nil, nil, err
	}
	return t, t.Files(), nil
}

// GCLimits are the GC keys of the config's [replication] section over
// the server version's code defaults in l, as the server reads them.
func (s *Server) GCLimits(l *gc.Limits) error {
	if s.conf == nil {
		return nil
	}
	get := func(key string, set func(int64)) error {
		v, ok := s.conf.Get("replication", key)
		if !ok || strings.TrimSpace(v.Value) == "" {
			return nil
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v.Value), 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("--config: %s:%d: [replication] %s = %q: want a number >= 0", s.conf.File, v.Line, key, v.Value)
		}
		set(n)
		return nil
	}
	for _, k := range []struct {
		key string
		set func(int64)
	}{
		{"log_private_reserve_max_size_mb", func(n int64) { l.LogPrivateReserveMaxSizeMB = n }},
		{"log_private_reserve_max_time_seconds", func(n int64) { l.LogPrivateReserveMaxTimeSeconds = n }},
		{"log_shared_file_count_limit", func(n int64) { l.LogSharedFileCountLimit = int(n) }},
		{"log_shared_gc_flush_replicas_limit", func(n int64) { l.LogSharedGCFlushReplicasLimit = int(n) }},
	} {
		if err := get(k.key, k.set); err != nil {
			return err
		}
	}
	return nil
}

// ServerAddress is the replica server's address for the flush command,
// from addr (IP[:PORT], the operator's), the port from the config when
// left out. The IP is not on disk (the server takes its primary
// interface's), so without addr it is a placeholder, with the config's
// port if known; "" when neither is known.
func (s *Server) ServerAddress(addr string) (string, error) {
	host, port, err := parseAddress(addr)
	if err != nil {
		return "", Usage("--server-address %q: %v", addr, err)
	}
	if port == "" && s.conf != nil {
		if p, _, err := s.conf.ReplicaPort(); err == nil {
			port = strconv.Itoa(p)
		} else if host != "" {
			return "", Usage("--server-address %s has no port, and --config gives none: %v", addr, err)
		}
	}
	switch {
	case host == "" && port == "":
		return "", nil
	case host == "":
		return "<replica_server_ip>:" + port, nil
	case port == "":
		return "", Usage("--server-address %s has no port (and no --config gives one): give IP:PORT, as 10.0.0.5:34801", addr)
	}
	return host + ":" + port, nil
}

// parseAddress splits IP[:PORT] as the 2.3-2.5 shell's remote_command -l
// reads a node (rpc_address::from_string_ipv4): an IPv4 address or
// localhost (no other host name), and a port up to 65535.
func parseAddress(s string) (host, port string, err error) {
	if s == "" {
		return "", "", nil
	}
	host = s
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		host, port = s[:i], s[i+1:]
		if n, err := strconv.ParseUint(port, 10, 16); err != nil || n > 65535 {
			return "", "", fmt.Errorf("the port must be a number from 0 to 65535")
		}
	}
	if a, err := netip.ParseAddr(host); host != "localhost" && (err != nil || !a.Is4()) {
		return "", "", fmt.Errorf("want an IPv4 address, as 10.0.0.5:34801: the Pegasus shell's remote_command -l takes no host name")
	}
	return host, port, nil
}
