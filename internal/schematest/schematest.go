// Package schematest holds waltool's --json output to its contract
// (package schema) in tests: each document validates against its
// command's JSON Schema with a real validator, and keeps the rules a
// schema cannot say at once for every key (no null, no negative number, no
// key outside the vocabulary).
package schematest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/waltool/waltool/schema"
)

// Base is the URI the schema files' $id values start with.
const Base = "https://github.com/waltool/waltool/schema/v1/"

// Vocabulary is v1/vocabulary.json: every key, its JSON type and meaning.
type Vocabulary struct {
	Version string `json:"version"`
	Keys    map[string]struct {
		Type    string `json:"type"`
		Meaning string `json:"meaning"`
	} `json:"keys"`
}

var (
	once     sync.Once
	compiled map[string]*jsonschema.Schema
	vocab    Vocabulary
	loadErr  error
)

func load() {
	b, err := fs.ReadFile(schema.Files, "v1/vocabulary.json")
	if err == nil {
		err = json.Unmarshal(b, &vocab)
	}
	if err != nil {
		loadErr = fmt.Errorf("vocabulary: %w", err)
		return
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	names, _ := fs.Glob(schema.Files, "v1/*.schema.json")
	for _, n := range names {
		b, _ := fs.ReadFile(schema.Files, n)
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			loadErr = fmt.Errorf("%s: %w", n, err)
			return
		}
		if err := c.AddResource(Base+strings.TrimPrefix(n, "v1/"), doc); err != nil {
			loadErr = fmt.Errorf("%s: %w", n, err)
			return
		}
	}
	compiled = map[string]*jsonschema.Schema{}
	for _, n := range names {
		s, err := c.Compile(Base + strings.TrimPrefix(n, "v1/"))
		if err != nil {
			loadErr = fmt.Errorf("%s: %w", n, err)
			return
		}
		compiled[strings.TrimSuffix(strings.TrimPrefix(n, "v1/"), ".schema.json")] = s
	}
}

// Load compiles every schema file and reads the vocabulary.
func Load() (Vocabulary, error) {
	once.Do(load)
	return vocab, loadErr
}

// FileFor names the schema file of a command: "migrate upgrade" is
// migrate-upgrade.schema.json.
func FileFor(command string) string { return strings.ReplaceAll(command, " ", "-") }

// Check holds one document (or one line of a stream) of command to the
// contract: its schema, and the rules every key keeps.
func Check(command string, doc []byte) error {
	if _, err := Load(); err != nil {
		return err
	}
	s := compiled[FileFor(command)]
	if s == nil {
		return fmt.Errorf("no schema file for command %q", command)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if err := s.Validate(inst); err != nil {
		return fmt.Errorf("%s.schema.json: %v", FileFor(command), err)
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return err
	}
	if probs := Rules(v, ""); len(probs) > 0 {
		return fmt.Errorf("contract rules: %s", strings.Join(probs, "; "))
	}
	return nil
}

// Rules lists where v breaks the rules of every document: a null, a
// negative number, a key outside the vocabulary or of another type than
// the vocabulary's. A write's own "request" keeps Pegasus's names and
// numbers and is not looked into.
func Rules(v any, at string) []string {
	var probs []string
	switch x := v.(type) {
	case nil:
		probs = append(probs, at+": null")
	case json.Number:
		if strings.HasPrefix(x.String(), "-") {
			probs = append(probs, at+": negative number "+x.String())
		}
	case []any:
		for i, e := range x {
			probs = append(probs, Rules(e, fmt.Sprintf("%s[%d]", at, i))...)
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			e := x[k]
			w, ok := vocab.Keys[k]
			switch {
			case !ok:
				probs = append(probs, at+"."+k+": key outside the vocabulary")
			case e != nil && w.Type != TypeOf(e) && !(w.Type == "number" && TypeOf(e) == "integer"):
				probs = append(probs, fmt.Sprintf("%s.%s: %s, the vocabulary says %s", at, k, TypeOf(e), w.Type))
			}
			if k == "request" {
				continue
			}
			probs = append(probs, Rules(e, at+"."+k)...)
		}
	}
	return probs
}

// TypeOf is the JSON Schema type name of a decoded value.
func TypeOf(v any) string {
	switch x := v.(type) {
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number:
		if strings.ContainsAny(x.String(), ".eE") {
			return "number"
		}
		return "integer"
	case float64:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "null"
}
