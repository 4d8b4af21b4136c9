// Package serverconfig reads a Pegasus server's config.ini the way the
// server does: rdsn's dsn::configuration::load (Pegasus v2.4.0
// src/rdsn/src/utils/configuration.cpp, v2.5.0 and HEAD
// src/utils/configuration.cpp, rdsn v2.3.0 src/utils/configuration.cpp;
// the same code in all of them), with the server's -cargs arguments.
// An item "k=" (empty value) fills %{k} with nothing (see parseCargs).
//
// It is a leaf package: it parses bytes, and what the keys mean (the slog
// dir, the data dirs) is dataroot's business (dataroot.ServerDirs).
//
// Macros. rdsn's -cargs "k1=v1;k2=v2" replaces every "%k1%" of the file
// text with v1, before parsing (configuration::load). The "%{k}" macros of
// Pegasus's own config.ini template (src/server/config.ini: data_dir =
// %{app.dir}, slog_dir = %{slog.dir}, data_dirs = %{data.dirs}) are not
// rdsn's: the deployment fills them before the server reads the file
// (run.sh's `sed -i 's/%{app.dir}/.\/data/g'`, or the deploy tool's
// template). Load fills both forms from the same arguments, so that one
// --cargs serves a rendered config.ini and its template alike; Unfilled
// lists the "%{...}" macros left, which the server would read as literal
// text (a path named "%{slog.dir}").
package serverconfig

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Config is a parsed config.ini.
type Config struct {
	// File is the path it was read from, for messages.
	File     string
	sections map[string]map[string]*entry
	order    []string
}

type entry struct {
	value string
	line  int
}

// Value is a key's value and where it was defined.
type Value struct {
	Section, Key, Value string
	Line                int
}

// Parse parses data, the text of file (a name for messages), with the
// server's -cargs arguments (may be empty).
//
// As configuration::load:
//   - arguments: every ',' becomes ';' (so a value cannot hold a comma: a
//     data_dirs list cannot be passed through -cargs), items are split on
//     ';' and each on '=' with utils::split_args (pieces trimmed of " \t"
//     before and " \t\r\n" after, empty pieces dropped), and each item
//     must give exactly a key and a value, else the server refuses to
//     start ("invalid configuration argument");
//   - "%key%" is replaced by value in the whole text, in argument order;
//   - per line: leading ' ', '\t', '\r' skipped; '#' and ';' start a
//     comment unless escaped as "^#", "^;";
//   - "[name]" opens a section (text after ']' ignored); a section defined
//     twice is an error; "key = value" and a bare "key" (value "") belong
//     to the current section, none yet is an error; a line starting with
//     '[' that holds '=' is an error;
//   - keys and values are trimmed (utils::trim_string); a key defined twice
//     keeps its first value (the server prints "skip redefinition");
//   - a value longer than 2 that starts and ends with '%' (an argument not
//     provided) becomes "";
//   - an empty file is an error ("cannot get length").
func Parse(file string, data []byte, cargs string) (*Config, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("%s: empty file (the server refuses it: configuration::load)", file)
	}
	text := string(data) + "\n"
	args, err := parseCargs(cargs, true)
	if err != nil {
		return nil, err
	}
	for _, kv := range args {
		if kv[1] != "" { // "k=" is for %{k} only (see parseCargs)
			text = strings.ReplaceAll(text, "%"+kv[0]+"%", kv[1])
		}
		// The deployment's %{k} form (see the package comment).
		text = strings.ReplaceAll(text, "%{"+kv[0]+"}", kv[1])
	}
	c := &Config{File: file, sections: map[string]map[string]*entry{}}
	var cur map[string]*entry
	for i, raw := range strings.Split(text, "\n") {
		lineno := i + 1
		line := stripComment(strings.TrimLeft(raw, " \t\r"))
		if line == "" {
			continue
		}
		eq := strings.IndexByte(line, '=')
		if line[0] == '[' {
			if eq >= 0 {
				return nil, lineErr(file, lineno, raw)
			}
			end := strings.IndexByte(line, ']')
			if end < 0 {
				return nil, lineErr(file, lineno, raw)
			}
			name := trim(line[1:end])
			if name == "" {
				return nil, lineErr(file, lineno, raw)
			}
			if _, dup := c.sections[name]; dup {
				return nil, fmt.Errorf("%s:%d: section [%s] is redefined (the server refuses the file)", file, lineno, name)
			}
			cur = map[string]*entry{}
			c.sections[name] = cur
			c.order = append(c.order, name)
			continue
		}
		if cur == nil {
			return nil, fmt.Errorf("%s:%d: %q: no section defined yet (the server refuses the file)", file, lineno, raw)
		}
		key, value := line, ""
		if eq >= 0 {
			key, value = line[:eq], trim(line[eq+1:])
		}
		key = trim(key)
		if key == "" {
			return nil, lineErr(file, lineno, raw)
		}
		if _, dup := cur[key]; dup {
			continue // "WARNING: skip redefinition of option"
		}
		if len(value) > 2 && value[0] == '%' && value[len(value)-1] == '%' {
			value = "" // "if argument is not provided"
		}
		cur[key] = &entry{value: value, line: lineno}
	}
	return c, nil
}

func lineErr(file string, lineno int, line string) error {
	return fmt.Errorf("%s:%d: unexpected configuration %q (the server refuses the file)", file, lineno, strings.TrimRight(line, "\r"))
}

// stripComment cuts line at the first '#' or ';' not escaped by '^', and
// removes the escaping '^' of the escaped ones (configuration::load's
// shift loop).
func stripComment(line string) string {
	if !strings.ContainsAny(line, "#;") {
		return line
	}
	var b strings.Builder
	for i := 0; i < len(line); i++ {
		ch := line[i]
		if ch == '#' || ch == ';' {
			if i > 0 && line[i-1] == '^' {
				s := b.String()
				b.Reset()
				b.WriteString(s[:len(s)-1])
				b.WriteByte(ch)
				continue
			}
			break
		}
		b.WriteByte(ch)
	}
	return b.String()
}

// trim is utils::trim_string: leading " \t", trailing " \t\r\n".
func trim(s string) string {
	return strings.TrimRight(strings.TrimLeft(s, " \t"), " \t\r\n")
}

// splitArgs is utils::split_args with keep_place_holder=false.
func splitArgs(s string, sep byte) []string {
	var out []string
	for _, tok := range strings.Split(s, string(sep)) {
		if tok = trim(tok); tok != "" {
			out = append(out, tok)
		}
	}
	return out
}

// ParseCargs parses -cargs "k1=v1;k2=v2" as configuration::load does:
// ',' is a separator too, each item must be exactly key=value.
func ParseCargs(s string) ([][2]string, error) { return parseCargs(s, false) }

// parseCargs is ParseCargs; with emptyOK, an item "k=" gives k an empty
// value, which Parse uses for the deployment's %{k} macros only (run.sh
// fills %{slog.dir} with nothing: `sed -i 's/%{slog.dir}//g'`), never for
// %k%, since the server's -cargs refuses "k=" (split_args drops the empty
// piece): an unprovided %k% value is "" anyway.
func parseCargs(s string, emptyOK bool) ([][2]string, error) {
	var out [][2]string
	for _, kv := range splitArgs(strings.ReplaceAll(s, ",", ";"), ';') {
		vs := splitArgs(kv, '=')
		if emptyOK && len(vs) == 1 && strings.HasSuffix(kv, "=") && strings.Count(kv, "=") == 1 {
			vs = append(vs, "")
		}
		if len(vs) != 2 {
			hint := ""
			if strings.Contains(s, ",") {
				hint = " (the server turns every ',' of -cargs into ';', so a value cannot hold a comma)"
			}
			return nil, fmt.Errorf("invalid configuration argument %q in %q: want key=value%s", kv, s, hint)
		}
		out = append(out, [2]string{vs[0], vs[1]})
	}
	return out, nil
}

// Get returns the value of [section] key and whether it is defined.
func (c *Config) Get(section, key string) (Value, bool) {
	e, ok := c.sections[section][key]
	if !ok {
		return Value{Section: section, Key: key}, false
	}
	return Value{Section: section, Key: key, Value: e.value, Line: e.line}, true
}

// HasSection reports whether [name] is defined.
func (c *Config) HasSection(name string) bool {
	_, ok := c.sections[name]
	return ok
}

// Sections are the section names in file order.
func (c *Config) Sections() []string { return append([]string(nil), c.order...) }

var macro = regexp.MustCompile(`%\{[^}]*\}`)

// Unfilled lists the "%{...}" macros left in the values of the given
// [section] keys ("section.key"), sorted: the server would read them as
// literal text.
func (c *Config) Unfilled(keys ...string) []string {
	seen := map[string]bool{}
	for _, sk := range keys {
		i := strings.IndexByte(sk, '.')
		if i < 0 {
			continue
		}
		if v, ok := c.Get(sk[:i], sk[i+1:]); ok {
			for _, m := range macro.FindAllString(v.Value, -1) {
				seen[m] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for m := range seen {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// ErrNoReplicaApp is returned by ReplicaAppName when the config runs no
// replica server.
var ErrNoReplicaApp = errors.New("no [apps.*] section with type = replica")

// replicaRole is the role name of the replica server app: the section
// name after "apps." of the first [apps.*] with type = replica, "" when
// none, and whether the config has [apps.*] sections at all.
func (c *Config) replicaRole() (role string, hasApps bool) {
	for _, s := range c.order {
		if !strings.HasPrefix(s, "apps.") || s == "apps..default" {
			continue
		}
		hasApps = true
		if t, _ := c.Get(s, "type"); t.Value == "replica" {
			return s[len("apps."):], true
		}
	}
	return "", hasApps
}

// ErrNoPort is returned by ReplicaPort when the config lists no port for
// the replica server app.
var ErrNoPort = errors.New("no ports listed for the replica server app")

// ReplicaPort is the port of the replica server's address, the one the
// Pegasus shell's remote_command -l names: the lowest of its app's
// "ports" list (service_app_spec::init sorts CONFIG_FLD_INT_LIST(ports),
// a ','-separated list inherited from [apps..default] when empty; the
// rpc engine sets its primary address's port to the first: Pegasus
// v2.5.0 src/runtime/global_config.cpp, src/runtime/rpc/rpc_engine.cpp
// rpc_engine::start; v2.4.0 the same under src/rdsn). A config running
// several instances (count > 1, each its own port) has no one port.
func (c *Config) ReplicaPort() (int, Value, error) {
	role, _ := c.replicaRole()
	if role == "" {
		return 0, Value{}, fmt.Errorf("%s: %w", c.File, ErrNoReplicaApp)
	}
	if names, err := c.ReplicaAppName(); err != nil {
		return 0, Value{}, err
	} else if len(names) > 1 {
		return 0, Value{}, fmt.Errorf("%s: the replica server app runs %d instances, each on its own port", c.File, len(names))
	}
	v, _ := c.Get("apps."+role, "ports")
	if strings.TrimSpace(v.Value) == "" {
		v, _ = c.Get("apps..default", "ports")
	}
	port := -1
	for _, p := range splitArgs(v.Value, ',') {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 65535 {
			return 0, v, fmt.Errorf("%s:%d: [%s] ports = %q: want port numbers", c.File, v.Line, v.Section, v.Value)
		}
		if port < 0 || n < port {
			port = n
		}
	}
	if port < 0 {
		return 0, v, fmt.Errorf("%s: [apps.%s]: %w", c.File, role, ErrNoPort)
	}
	return port, v, nil
}

// ReplicaAppName is the full name of the replica server app, the name of
// its directory under [core] data_dir (service_spec::init_app_specs,
// Pegasus v2.5.0 src/runtime/global_config.cpp): the role name is the
// section name after "apps." ([apps.replica] → "replica"), and with
// count > 1 (count inherits from [apps..default], else 1) the instances
// are <role>1..<role>N. A config with no [apps.*] section at all (a
// fragment) gives "replica", Pegasus's own name. It returns every full
// name when count > 1.
func (c *Config) ReplicaAppName() ([]string, error) {
	role, hasApps := c.replicaRole()
	if role == "" {
		if hasApps {
			return nil, fmt.Errorf("%s: %w", c.File, ErrNoReplicaApp)
		}
		return []string{"replica"}, nil
	}
	count := 1
	cv, ok := c.Get("apps."+role, "count")
	if !ok {
		cv, ok = c.Get("apps..default", "count")
	}
	if ok && cv.Value != "" {
		if _, err := fmt.Sscanf(cv.Value, "%d", &count); err != nil || count < 1 {
			return nil, fmt.Errorf("%s:%d: [%s] count = %q: want a positive number", c.File, cv.Line, cv.Section, cv.Value)
		}
	}
	if count == 1 {
		return []string{role}, nil
	}
	names := make([]string, count)
	for i := range names {
		names[i] = fmt.Sprintf("%s%d", role, i+1)
	}
	return names, nil
}
